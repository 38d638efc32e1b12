/* q_contacts.c -- SQLite queries for contacts; every one is scoped to an account. */
#include "core/err.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define CONTACT_COLS                                                                             \
	"id, account_id, label, first_name, last_name, organization_name, job_title, address1, " \
	"address2, city, state_province, postal_code, country, phone, fax, email, created_at, "  \
	"updated_at"

static void read_contact(arena_t *a, sqlite3_stmt *s, void *p)
{
	contact_t *c = p;
	c->id = sqlite3_column_int64(s, 0);
	c->account_id = sqlite3_column_int64(s, 1);
	c->label = sq_text(a, s, 2);
	c->first_name = sq_text(a, s, 3);
	c->last_name = sq_text(a, s, 4);
	c->organization_name = sq_text(a, s, 5);
	c->job_title = sq_text(a, s, 6);
	c->address1 = sq_text(a, s, 7);
	c->address2 = sq_text(a, s, 8);
	c->city = sq_text(a, s, 9);
	c->state_province = sq_text(a, s, 10);
	c->postal_code = sq_text(a, s, 11);
	c->country = sq_text(a, s, 12);
	c->phone = sq_text(a, s, 13);
	c->fax = sq_text(a, s, 14);
	c->email = sq_text(a, s, 15);
	c->created_at = sqlite3_column_int64(s, 16);
	c->updated_at = sqlite3_column_int64(s, 17);
}

/* Bind the text fields, in the column order of CONTACT_COLS, from parameter 1. */
static void bind_fields(sqlite3_stmt *s, const contact_t *c)
{
	const char *v[] = {
		c->label,          c->first_name,  c->last_name, c->organization_name,
		c->job_title,      c->address1,    c->address2,  c->city,
		c->state_province, c->postal_code, c->country,   c->phone,
		c->fax,            c->email,
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sq_bind_text(s, (int)i + 1, v[i] != NULL ? v[i] : "");
	}
}

static int create_txn(sq_conn_t *conn, void *arg)
{
	static const char sql[] =
		"INSERT INTO contacts (label, first_name, last_name, organization_name,"
		" job_title, address1, address2, city, state_province, postal_code, country,"
		" phone, fax, email, account_id, created_at, updated_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	contact_t *c = arg;
	sqlite3_stmt *s = sq_prepare(conn, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	c->created_at = c->updated_at = time_now();
	bind_fields(s, c);
	sqlite3_bind_int64(s, 15, c->account_id);
	sqlite3_bind_int64(s, 16, c->created_at);
	sqlite3_bind_int64(s, 17, c->updated_at);
	int ret = sq_step_done(conn, s);
	if (ret == ERR_OK) {
		c->id = sqlite3_last_insert_rowid(conn->db);
	}
	return ret;
}

int sq_contact_create(store_t *st, contact_t *c)
{
	return sq_write(st, create_txn, c);
}

int sq_contact_get(store_t *st, arena_t *a, int64_t account_id, int64_t id, contact_t *out)
{
	sq_bind_t b = { .i = { account_id, id }, .count = 2 };
	return sq_query(st, a,
			"SELECT " CONTACT_COLS " FROM contacts WHERE account_id = ? AND id = ?", &b,
			read_contact, sizeof(*out), true, out, NULL);
}

/* content/v2/contacts.md, Sorting: id, label and email; the text ones alphabetical. */
static const sq_sort_col_t contact_sorts[] = {
	{ "id", "id" },
	{ "label", "label COLLATE NOCASE" },
	{ "email", "email COLLATE NOCASE" },
	{ NULL, NULL },
};

int sq_contact_list(store_t *st, arena_t *a, int64_t account_id, const store_list_t *q,
		    contact_t **out, size_t *count, int64_t *total)
{
	sq_bind_t b = { .i = { account_id }, .count = 1 };
	sq_list_query_t lq = {
		.cols = CONTACT_COLS,
		.from = "contacts",
		.where = "account_id = ?",
		.sorts = contact_sorts,
		.tiebreak = "id",
		.bind = &b,
		.read = read_contact,
		.elem_size = sizeof(**out),
	};
	return sq_list(st, a, &lq, q, out, count, total);
}

static int update_txn(sq_conn_t *conn, void *arg)
{
	static const char sql[] =
		"UPDATE contacts SET label = ?, first_name = ?, last_name = ?,"
		" organization_name = ?, job_title = ?, address1 = ?, address2 = ?, city = ?,"
		" state_province = ?, postal_code = ?, country = ?, phone = ?, fax = ?, email = ?,"
		" updated_at = ?"
		" WHERE account_id = ? AND id = ?";
	contact_t *c = arg;
	sqlite3_stmt *s = sq_prepare(conn, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	c->updated_at = time_now();
	bind_fields(s, c);
	sqlite3_bind_int64(s, 15, c->updated_at);
	sqlite3_bind_int64(s, 16, c->account_id);
	sqlite3_bind_int64(s, 17, c->id);
	int ret = sq_step_done(conn, s);
	return ret == ERR_OK && sqlite3_changes(conn->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_contact_update(store_t *st, contact_t *c)
{
	return sq_write(st, update_txn, c);
}

typedef struct {
	int64_t account_id, id;
} contact_key_t;

/* 1 when the query (?1 the contact id, ?2 if it has one the account id) finds a row, 0
 * when not, or an ERR_*. */
static int exists(sq_conn_t *conn, const char *sql, const contact_key_t *k)
{
	sqlite3_stmt *s = sq_prepare(conn, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, k->id);
	if (sqlite3_bind_parameter_count(s) > 1) {
		sqlite3_bind_int64(s, 2, k->account_id);
	}
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sq_err(conn, rc);
}

static int delete_txn(sq_conn_t *conn, void *arg)
{
	static const char mine[] = "SELECT 1 FROM contacts WHERE id = ? AND account_id = ?";
	/* Any domain counts: the foreign key (ON DELETE RESTRICT) would refuse anyway. */
	static const char in_use[] = "SELECT 1 FROM domains WHERE registrant_id = ? LIMIT 1";
	static const char del[] = "DELETE FROM contacts WHERE id = ? AND account_id = ?";
	contact_key_t *k = arg;
	int found = exists(conn, mine, k);
	if (found <= 0) {
		return found == 0 ? ERR_NOTFOUND : found;
	}
	int used = exists(conn, in_use, k);
	if (used != 0) {
		return used == 1 ? ERR_CONFLICT : used;
	}
	sqlite3_stmt *s = sq_prepare(conn, del);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, k->id);
	sqlite3_bind_int64(s, 2, k->account_id);
	return sq_step_done(conn, s);
}

int sq_contact_delete(store_t *st, int64_t account_id, int64_t id)
{
	contact_key_t k = { account_id, id };
	return sq_write(st, delete_txn, &k);
}
