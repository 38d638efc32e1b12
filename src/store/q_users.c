/* q_users.c -- SQLite queries for users, accounts and memberships, and the bootstrap. */
#include <string.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define USER_COLS "SELECT id, email, password_hash, otp_secret, created_at, updated_at FROM users "
#define ACCOUNT_COLS \
	"SELECT a.id, a.email, a.name, a.plan_identifier, a.created_at, a.updated_at FROM accounts a "

static void read_user(arena_t *a, sqlite3_stmt *s, void *p)
{
	user_t *u = p;
	u->id = sqlite3_column_int64(s, 0);
	u->email = sq_text(a, s, 1);
	u->password_hash = sq_text(a, s, 2);
	u->otp_secret = sq_text(a, s, 3);
	u->created_at = sqlite3_column_int64(s, 4);
	u->updated_at = sqlite3_column_int64(s, 5);
}

static void read_account(arena_t *a, sqlite3_stmt *s, void *p)
{
	account_t *acc = p;
	acc->id = sqlite3_column_int64(s, 0);
	acc->email = sq_text(a, s, 1);
	acc->name = sq_text(a, s, 2);
	acc->plan_identifier = sq_text(a, s, 3);
	acc->created_at = sqlite3_column_int64(s, 4);
	acc->updated_at = sqlite3_column_int64(s, 5);
}

int sq_insert_user(sq_conn_t *c, user_t *u)
{
	static const char sql[] = "INSERT INTO users (email, password_hash, otp_secret, created_at,"
				  " updated_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	u->created_at = u->updated_at = time_now();
	sq_bind_text(s, 1, u->email);
	sq_bind_text(s, 2, u->password_hash);
	sq_bind_text(s, 3, u->otp_secret);
	sqlite3_bind_int64(s, 4, u->created_at);
	sqlite3_bind_int64(s, 5, u->updated_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		u->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

int sq_insert_account(sq_conn_t *c, account_t *acc)
{
	static const char sql[] = "INSERT INTO accounts (email, name, plan_identifier, created_at,"
				  " updated_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	acc->created_at = acc->updated_at = time_now();
	sq_bind_text(s, 1, acc->email);
	sq_bind_text(s, 2, acc->name);
	sq_bind_text(s, 3, acc->plan_identifier);
	sqlite3_bind_int64(s, 4, acc->created_at);
	sqlite3_bind_int64(s, 5, acc->updated_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		acc->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

static int insert_grants(sq_conn_t *c, const membership_t *m, const char *kind,
			 const char **names)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO membership_grants VALUES (?, ?, ?, ?)";
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		sqlite3_stmt *s = sq_prepare(c, sql);
		if (s == NULL) {
			return ERR_STORE;
		}
		sqlite3_bind_int64(s, 1, m->account_id);
		sqlite3_bind_int64(s, 2, m->user_id);
		sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
		sq_bind_text(s, 4, names[i]);
		int ret = sq_step_done(c, s);
		if (ret != ERR_OK) {
			return ret;
		}
	}
	return ERR_OK;
}

int sq_insert_membership(sq_conn_t *c, const membership_t *m)
{
	static const char del[] = "DELETE FROM memberships WHERE account_id = ? AND user_id = ?";
	static const char ins[] = "INSERT INTO memberships VALUES (?, ?, ?, ?)";
	sqlite3_stmt *s = sq_prepare(c, del);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, m->account_id);
	sqlite3_bind_int64(s, 2, m->user_id);
	int ret = sq_step_done(c, s);
	if (ret != ERR_OK) {
		return ret;
	}
	s = sq_prepare(c, ins);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, m->account_id);
	sqlite3_bind_int64(s, 2, m->user_id);
	sqlite3_bind_text(s, 3, role_name(m->role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, time_now());
	ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		ret = insert_grants(c, m, "domain", m->domains);
	}
	if (ret == ERR_OK) {
		ret = insert_grants(c, m, "zone", m->zones);
	}
	return ret;
}

int sq_is_empty(store_t *st, bool *is_empty)
{
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		return ERR_STORE;
	}
	sqlite3_stmt *s = sq_prepare(c, "SELECT NOT EXISTS (SELECT 1 FROM users)");
	int ret = ERR_STORE;
	if (s != NULL) {
		int rc = sqlite3_step(s);
		*is_empty = rc == SQLITE_ROW && sqlite3_column_int(s, 0) != 0;
		ret = rc == SQLITE_ROW ? ERR_OK : sq_err(c, rc);
		sqlite3_reset(s);
	}
	sq_release(st, c);
	return ret;
}

static int bootstrap_txn(sq_conn_t *c, void *arg)
{
	store_bootstrap_t *b = arg;
	int ret = sq_insert_user(c, &b->user);
	if (ret == ERR_OK) {
		ret = sq_insert_account(c, &b->account);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	membership_t m = { .account_id = b->account.id, .user_id = b->user.id, .role = ROLE_OWNER };
	ret = sq_insert_membership(c, &m);
	if (ret != ERR_OK) {
		return ret;
	}
	b->token.kind = TOKEN_ACCOUNT;
	b->token.account_id = b->account.id;
	return sq_insert_token(c, &b->token, b->token_digest);
}

int sq_bootstrap(store_t *st, store_bootstrap_t *b)
{
	return sq_write(st, bootstrap_txn, b);
}

static int user_create_txn(sq_conn_t *c, void *arg)
{
	return sq_insert_user(c, arg);
}

int sq_user_create(store_t *st, user_t *u)
{
	return sq_write(st, user_create_txn, u);
}

int sq_user_get(store_t *st, arena_t *a, int64_t id, user_t *out)
{
	sq_bind_t b = { .i = { id }, .count = 1 };
	return sq_query(st, a, USER_COLS "WHERE id = ?", &b, read_user, sizeof(*out), true, out,
			NULL);
}

int sq_user_get_by_email(store_t *st, arena_t *a, const char *email, user_t *out)
{
	sq_bind_t b = { .t = { email }, .is_text = 1, .count = 1 };
	return sq_query(st, a, USER_COLS "WHERE email = ?", &b, read_user, sizeof(*out), true, out,
			NULL);
}

int sq_user_list(store_t *st, arena_t *a, user_t **out, size_t *count)
{
	return sq_query(st, a, USER_COLS "ORDER BY id", NULL, read_user, sizeof(**out), false, out,
			count);
}

typedef struct {
	int64_t id;
	const char *secret;
} otp_arg_t;

static int set_otp_txn(sq_conn_t *c, void *arg)
{
	otp_arg_t *o = arg;
	sqlite3_stmt *s = sq_prepare(c, "UPDATE users SET otp_secret = ?, updated_at = ? WHERE id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sq_bind_text(s, 1, o->secret);
	sqlite3_bind_int64(s, 2, time_now());
	sqlite3_bind_int64(s, 3, o->id);
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_user_set_otp(store_t *st, int64_t id, const char *otp_secret)
{
	otp_arg_t o = { id, otp_secret };
	return sq_write(st, set_otp_txn, &o);
}

static int account_create_txn(sq_conn_t *c, void *arg)
{
	return sq_insert_account(c, arg);
}

int sq_account_create(store_t *st, account_t *acc)
{
	return sq_write(st, account_create_txn, acc);
}

int sq_account_get(store_t *st, arena_t *a, int64_t id, account_t *out)
{
	sq_bind_t b = { .i = { id }, .count = 1 };
	return sq_query(st, a, ACCOUNT_COLS "WHERE a.id = ?", &b, read_account, sizeof(*out), true,
			out, NULL);
}

int sq_account_list(store_t *st, arena_t *a, account_t **out, size_t *count)
{
	return sq_query(st, a, ACCOUNT_COLS "ORDER BY a.id", NULL, read_account, sizeof(**out),
			false, out, count);
}

int sq_account_list_for_user(store_t *st, arena_t *a, int64_t user_id, account_t **out,
			     size_t *count)
{
	sq_bind_t b = { .i = { user_id }, .count = 1 };
	return sq_query(st, a,
			ACCOUNT_COLS "JOIN memberships m ON m.account_id = a.id "
				     "WHERE m.user_id = ? ORDER BY a.id",
			&b, read_account, sizeof(**out), false, out, count);
}

/* Memberships: the row, then its grants in a second query. */
static void read_membership(arena_t *a, sqlite3_stmt *s, void *p)
{
	membership_t *m = p;
	m->account_id = sqlite3_column_int64(s, 0);
	m->user_id = sqlite3_column_int64(s, 1);
	const char *role = (const char *)sqlite3_column_text(s, 2);
	if (role == NULL || role_parse(role, &m->role) != ERR_OK) {
		m->role = ROLE_ZONE_OPERATOR; /* the least privilege for a row we cannot read */
	}
}

typedef struct {
	const char *kind;
	const char *name;
} grant_t;

static void read_grant(arena_t *a, sqlite3_stmt *s, void *p)
{
	grant_t *g = p;
	g->kind = sq_text(a, s, 0);
	g->name = sq_text(a, s, 1);
}

static int load_grants(store_t *st, arena_t *a, membership_t *m)
{
	sq_bind_t b = { .i = { m->account_id, m->user_id }, .count = 2 };
	grant_t *g = NULL;
	size_t n = 0;
	int ret = sq_query(st, a,
			   "SELECT kind, name FROM membership_grants WHERE account_id = ? AND "
			   "user_id = ? ORDER BY kind, name",
			   &b, read_grant, sizeof(*g), false, &g, &n);
	if (ret != ERR_OK) {
		return ret;
	}
	m->domains = arena_alloc_array(a, n + 1, sizeof(char *));
	m->zones = arena_alloc_array(a, n + 1, sizeof(char *));
	if (m->domains == NULL || m->zones == NULL) {
		return ERR_TOOBIG;
	}
	size_t nd = 0, nz = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(g[i].kind, "domain") == 0) {
			m->domains[nd++] = g[i].name;
		} else {
			m->zones[nz++] = g[i].name;
		}
	}
	m->domains[nd] = m->zones[nz] = NULL;
	return ERR_OK;
}

static int membership_put_txn(sq_conn_t *c, void *arg)
{
	return sq_insert_membership(c, arg);
}

int sq_membership_put(store_t *st, const membership_t *m)
{
	return sq_write(st, membership_put_txn, (void *)m);
}

#define MEMBERSHIP_COLS "SELECT account_id, user_id, role FROM memberships "

int sq_membership_get(store_t *st, arena_t *a, int64_t account_id, int64_t user_id,
		      membership_t *out)
{
	sq_bind_t b = { .i = { account_id, user_id }, .count = 2 };
	int ret = sq_query(st, a, MEMBERSHIP_COLS "WHERE account_id = ? AND user_id = ?", &b,
			   read_membership, sizeof(*out), true, out, NULL);
	return ret == ERR_OK ? load_grants(st, a, out) : ret;
}

int sq_membership_list(store_t *st, arena_t *a, int64_t account_id, membership_t **out,
		       size_t *count)
{
	/* account_id 0 lists the memberships of every account */
	sq_bind_t b = { .i = { account_id, account_id }, .count = 2 };
	int ret = sq_query(st, a, MEMBERSHIP_COLS "WHERE account_id = ? OR ? = 0 ORDER BY "
						  "account_id, user_id",
			   &b, read_membership, sizeof(**out), false, out, count);
	for (size_t i = 0; ret == ERR_OK && i < *count; i++) {
		ret = load_grants(st, a, &(*out)[i]);
	}
	return ret;
}

typedef struct {
	int64_t account_id, user_id;
} member_key_t;

static int membership_remove_txn(sq_conn_t *c, void *arg)
{
	member_key_t *k = arg;
	sqlite3_stmt *s =
		sq_prepare(c, "DELETE FROM memberships WHERE account_id = ? AND user_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, k->account_id);
	sqlite3_bind_int64(s, 2, k->user_id);
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_membership_remove(store_t *st, int64_t account_id, int64_t user_id)
{
	member_key_t k = { account_id, user_id };
	return sq_write(st, membership_remove_txn, &k);
}
