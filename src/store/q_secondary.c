/* q_secondary.c -- SQLite queries for Secondary DNS: primary servers, links, the transfer
 * state of secondary zones, and the atomic application of a zone transfer.
 *
 * DESIGN: a secondary zone's records are written only here, by the transfer worker
 * (the API refuses record writes on secondary zones). A transfer is one transaction:
 * AXFR deletes every record and inserts the primary's; IXFR deletes and inserts each
 * delta's RRs and fails (ERR_CONFLICT, nothing written) when a delta removes an RR we do
 * not hold, so the worker falls back to AXFR. Unlike sq_zone_commit_change(), the serial
 * is the primary's and the SOA is never rewritten: the change-log rows carry the
 * primary's serial too. Expiry and its end are change-log rows ('zone_deactivated',
 * 'zone_activated') with the serial unchanged, so every dns role rebuilds the zone.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define PRIMARY_COLS                                                                 \
	"p.id, p.account_id, p.name, p.ip, p.port, p.tsig_key, p.catalog, p.created_at, " \
	"p.updated_at"

static void read_primary_at(arena_t *a, sqlite3_stmt *s, int col, store_primary_t *p)
{
	p->id = sqlite3_column_int64(s, col);
	p->account_id = sqlite3_column_int64(s, col + 1);
	p->name = sq_text(a, s, col + 2);
	p->ip = sq_text(a, s, col + 3);
	p->port = sqlite3_column_int64(s, col + 4);
	p->tsig_key = sq_text(a, s, col + 5);
	p->catalog = sq_text(a, s, col + 6);
	p->created_at = sqlite3_column_int64(s, col + 7);
	p->updated_at = sqlite3_column_int64(s, col + 8);
}

static void read_primary(arena_t *a, sqlite3_stmt *s, void *p)
{
	read_primary_at(a, s, 0, p);
}

static void read_name(arena_t *a, sqlite3_stmt *s, void *p)
{
	*(const char **)p = sq_text(a, s, 0);
}

/* The names of the zones linked to p, oldest link first. */
static int linked_zones(store_t *st, arena_t *a, store_primary_t *p)
{
	sq_bind_t b = { .i = { p->id }, .count = 1 };
	return sq_query(st, a, "SELECT z.name FROM primary_links l JOIN zones z ON z.id = l.zone_id "
			       "WHERE l.primary_id = ? ORDER BY l.created_at, z.id",
			&b, read_name, sizeof(const char *), false, &p->zones, &p->zone_count);
}

static int primary_insert_txn(sq_conn_t *c, void *arg)
{
	store_primary_t *p = arg;
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO primary_servers (account_id, name, ip, port, "
					"tsig_key, catalog, created_at, updated_at) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, p->account_id);
	sq_bind_text(s, 2, p->name);
	sq_bind_text(s, 3, p->ip);
	sqlite3_bind_int64(s, 4, p->port);
	sq_bind_text(s, 5, p->tsig_key);
	sq_bind_text(s, 6, p->catalog);
	sqlite3_bind_int64(s, 7, p->created_at);
	sqlite3_bind_int64(s, 8, p->updated_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		p->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

int sq_primary_create(store_t *st, store_primary_t *p)
{
	p->created_at = p->updated_at = time_now();
	p->zones = NULL;
	p->zone_count = 0;
	return sq_write(st, primary_insert_txn, p);
}

int sq_primary_get(store_t *st, arena_t *a, int64_t account_id, int64_t id, store_primary_t *out)
{
	sq_bind_t b = { .i = { account_id, account_id, id }, .count = 3 };
	int ret = sq_query(st, a, "SELECT " PRIMARY_COLS " FROM primary_servers p "
				  "WHERE (p.account_id = ? OR ? = 0) AND p.id = ?",
			   &b, read_primary, sizeof(*out), true, out, NULL);
	return ret == ERR_OK ? linked_zones(st, a, out) : ret;
}

int sq_primary_list(store_t *st, arena_t *a, int64_t account_id, const store_list_t *q,
		    store_primary_t **out, size_t *count, int64_t *total)
{
	static const sq_sort_col_t sorts[] = {
		{ "id", "p.id" }, { "name", "p.name" }, { NULL, NULL },
	};
	sq_bind_t b = { .i = { account_id }, .count = 1 };
	sq_list_query_t lq = {
		.cols = PRIMARY_COLS,
		.from = "primary_servers p",
		.where = "p.account_id = ?1",
		.sorts = sorts,
		.tiebreak = "p.id", /* the default order: ascending id */
		.bind = &b,
		.read = read_primary,
		.elem_size = sizeof(store_primary_t),
	};
	int ret = sq_list(st, a, &lq, q, out, count, total);
	for (size_t i = 0; ret == ERR_OK && i < *count; i++) {
		ret = linked_zones(st, a, &(*out)[i]);
	}
	return ret;
}

typedef struct {
	int64_t account_id;
	int64_t primary_id;
	int64_t zone_id;
	bool is_link;
} link_op_t;

static int delete_txn(sq_conn_t *c, void *arg)
{
	link_op_t *op = arg;
	sqlite3_stmt *s = sq_prepare(c, "DELETE FROM primary_servers WHERE id = ? AND account_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, op->primary_id);
	sqlite3_bind_int64(s, 2, op->account_id);
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_primary_delete(store_t *st, int64_t account_id, int64_t id)
{
	link_op_t op = { .account_id = account_id, .primary_id = id };
	return sq_write(st, delete_txn, &op);
}

/* Run one statement with up to three integer parameters. */
static int exec3(sq_conn_t *c, const char *sql, int64_t a, int64_t b, int64_t d)
{
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	int n = sqlite3_bind_parameter_count(s);
	int64_t v[3] = { a, b, d };
	for (int i = 0; i < n && i < 3; i++) {
		sqlite3_bind_int64(s, i + 1, v[i]);
	}
	return sq_step_done(c, s);
}

/* One integer from a query with up to two integer parameters; ERR_NOTFOUND without a row. */
static int scalar(sq_conn_t *c, const char *sql, int64_t a, int64_t b, int64_t *out)
{
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) > 1) {
		sqlite3_bind_int64(s, 2, b);
	}
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
}

static int link_txn(sq_conn_t *c, void *arg)
{
	link_op_t *op = arg;
	int64_t v = 0;
	int ret = scalar(c, "SELECT id FROM primary_servers WHERE id = ? AND account_id = ?",
			 op->primary_id, op->account_id, &v);
	if (ret == ERR_OK) {
		ret = scalar(c, "SELECT secondary FROM zones WHERE id = ? AND account_id = ?",
			     op->zone_id, op->account_id, &v);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	if (v == 0) {
		return ERR_INVALID;
	}
	if (!op->is_link) {
		return exec3(c, "DELETE FROM primary_links WHERE primary_id = ? AND zone_id = ?",
			     op->primary_id, op->zone_id, 0);
	}
	ret = exec3(c, "INSERT OR IGNORE INTO primary_links (primary_id, zone_id, created_at) "
		       "VALUES (?, ?, ?)",
		    op->primary_id, op->zone_id, time_now());
	if (ret == ERR_OK) {
		ret = exec3(c, "INSERT OR IGNORE INTO secondary_zones (zone_id) VALUES (?)",
			    op->zone_id, 0, 0);
	}
	if (ret == ERR_OK) {
		ret = exec3(c, "UPDATE secondary_zones SET refresh_now = 1 WHERE zone_id = ?",
			    op->zone_id, 0, 0);
	}
	return ret;
}

int sq_primary_link(store_t *st, int64_t account_id, int64_t primary_id, int64_t zone_id,
		    bool is_link)
{
	link_op_t op = { .account_id = account_id, .primary_id = primary_id, .zone_id = zone_id,
			 .is_link = is_link };
	return sq_write(st, link_txn, &op);
}

/* --- secondary zones ----------------------------------------------------------------- */

typedef struct {
	store_zone_new_t *z;
	const char *catalog;
	const char *catalog_id;
} create_op_t;

static int create_txn(sq_conn_t *c, void *arg)
{
	create_op_t *op = arg;
	domain_t *d = op->z->domain;
	zone_t *z = op->z->zone;
	int64_t now = time_now();
	int ret = ERR_OK;
	if (d != NULL) {
		sqlite3_stmt *s = sq_prepare(c, "INSERT INTO domains (account_id, name, unicode_name, "
						"state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
		if (s == NULL) {
			return ERR_STORE;
		}
		d->created_at = d->updated_at = now;
		sqlite3_bind_int64(s, 1, d->account_id);
		sq_bind_text(s, 2, d->name);
		sq_bind_text(s, 3, d->unicode_name);
		sq_bind_text(s, 4, d->state);
		sqlite3_bind_int64(s, 5, now);
		sqlite3_bind_int64(s, 6, now);
		ret = sq_step_done(c, s);
		d->id = sqlite3_last_insert_rowid(c->db);
		z->domain_id = d->id;
	}
	sqlite3_stmt *s = ret == ERR_OK ? sq_prepare(c, "INSERT INTO zones (account_id, domain_id, "
							"name, reverse, secondary, active, serial, "
							"created_at, updated_at) "
							"VALUES (?, ?, ?, ?, 1, 1, 0, ?, ?)")
					: NULL;
	if (ret != ERR_OK || s == NULL) {
		return ret != ERR_OK ? ret : ERR_STORE;
	}
	z->created_at = z->updated_at = now;
	z->is_secondary = z->is_active = true;
	sqlite3_bind_int64(s, 1, z->account_id);
	if (z->domain_id != 0) {
		sqlite3_bind_int64(s, 2, z->domain_id);
	}
	sq_bind_text(s, 3, z->name);
	sqlite3_bind_int(s, 4, z->is_reverse);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, now);
	if ((ret = sq_step_done(c, s)) != ERR_OK) {
		return ret;
	}
	z->id = sqlite3_last_insert_rowid(c->db);
	s = sq_prepare(c, "INSERT INTO secondary_zones (zone_id, catalog, catalog_id) VALUES (?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, z->id);
	sq_bind_text(s, 2, op->catalog);
	sq_bind_text(s, 3, op->catalog_id);
	if ((ret = sq_step_done(c, s)) != ERR_OK) {
		return ret;
	}
	/* The zone has no SOA yet: the commit only writes the change-log and outbox rows. */
	json_t *payload = d != NULL ? json_pack("{s:o}", "domain", domain_to_json(d))
				    : json_pack("{s:o}", "zone", zone_to_json(z));
	uint32_t serial = 0;
	ret = sq_zone_commit_change(c, z->id, "zone_created", json_array(), json_array(),
				    z->account_id, d != NULL ? "domain.create" : "zone.create",
				    payload, &serial);
	z->serial = serial;
	return ret;
}

int sq_secondary_create(store_t *st, store_zone_new_t *z, const char *catalog,
			const char *catalog_id)
{
	create_op_t op = { .z = z, .catalog = catalog, .catalog_id = catalog_id };
	return sq_write(st, create_txn, &op);
}

#define SECONDARY_COLS                                                                    \
	"z.id, z.account_id, z.domain_id, z.name, z.reverse, z.secondary, z.active, z.serial, " \
	"z.last_transferred_at, z.created_at, z.updated_at, s.serial, s.refresh, s.retry, "   \
	"s.expire, s.last_ok_at, s.is_expired, s.refresh_now, s.last_attempt_at, "           \
	"s.last_error, s.last_error_at, s.catalog, s.catalog_id"

static void read_secondary(arena_t *a, sqlite3_stmt *s, void *p)
{
	store_secondary_t *x = p;
	sq_read_zone(a, s, &x->zone); /* columns 0..10 are the zone's */
	x->has_serial = sqlite3_column_type(s, 11) != SQLITE_NULL;
	x->serial = (uint32_t)sqlite3_column_int64(s, 11);
	x->refresh = (uint32_t)sqlite3_column_int64(s, 12);
	x->retry = (uint32_t)sqlite3_column_int64(s, 13);
	x->expire = (uint32_t)sqlite3_column_int64(s, 14);
	x->last_ok_at = sqlite3_column_int64(s, 15);
	x->is_expired = sqlite3_column_int(s, 16) != 0;
	/* a secondary zone without a state row (none yet) is new: refresh it at once */
	x->is_refresh_now = sqlite3_column_type(s, 17) == SQLITE_NULL || sqlite3_column_int(s, 17);
	x->last_attempt_at = sqlite3_column_int64(s, 18);
	x->last_error = sq_text(a, s, 19);
	x->last_error_at = sqlite3_column_int64(s, 20);
	x->catalog = sq_text(a, s, 21);
	x->catalog_id = sq_text(a, s, 22);
}

typedef struct {
	int64_t zone_id;
	store_primary_t p;
} zone_primary_t;

static void read_zone_primary(arena_t *a, sqlite3_stmt *s, void *p)
{
	zone_primary_t *zp = p;
	zp->zone_id = sqlite3_column_int64(s, 0);
	read_primary_at(a, s, 1, &zp->p);
}

int sq_secondary_list(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
		      store_secondary_t **out, size_t *count)
{
	sq_bind_t b = { .i = { account_id, zone_id }, .count = 2 };
	int ret = sq_query(st, a, "SELECT " SECONDARY_COLS " FROM zones z "
				  "LEFT JOIN secondary_zones s ON s.zone_id = z.id "
				  "WHERE z.secondary = 1 AND (?1 = 0 OR z.account_id = ?1) "
				  "AND (?2 = 0 OR z.id = ?2) ORDER BY z.id",
			   &b, read_secondary, sizeof(store_secondary_t), false, out, count);
	zone_primary_t *links = NULL;
	size_t nlinks = 0;
	if (ret == ERR_OK) {
		ret = sq_query(st, a, "SELECT l.zone_id, " PRIMARY_COLS " FROM primary_links l "
				      "JOIN primary_servers p ON p.id = l.primary_id "
				      "JOIN zones z ON z.id = l.zone_id "
				      "WHERE (?1 = 0 OR z.account_id = ?1) AND (?2 = 0 OR z.id = ?2) "
				      "ORDER BY l.zone_id, l.created_at, p.id",
			       &b, read_zone_primary, sizeof(zone_primary_t), false, &links, &nlinks);
	}
	/* Both are ordered by zone id: hand each zone its run of links. */
	size_t k = 0;
	for (size_t i = 0; ret == ERR_OK && i < *count; i++) {
		store_secondary_t *x = &(*out)[i];
		while (k < nlinks && links[k].zone_id < x->zone.id) {
			k++;
		}
		size_t start = k;
		while (k < nlinks && links[k].zone_id == x->zone.id) {
			k++;
		}
		x->primary_count = k - start;
		x->primaries = arena_alloc_array(a, x->primary_count + 1, sizeof(store_primary_t));
		if (x->primaries == NULL) {
			return ERR_TOOBIG;
		}
		for (size_t j = start; j < k; j++) {
			x->primaries[j - start] = links[j].p;
		}
	}
	return ret;
}

static void read_bool(arena_t *a, sqlite3_stmt *s, void *p)
{
	*(bool *)p = sqlite3_column_int(s, 0) != 0;
}

int sq_secondary_is_served(store_t *st, int64_t zone_id, bool *is_served)
{
	sq_bind_t b = { .i = { zone_id }, .count = 1 };
	*is_served = false;
	int ret = sq_query(st, NULL, "SELECT serial IS NOT NULL AND is_expired = 0 "
				     "FROM secondary_zones WHERE zone_id = ?",
			   &b, read_bool, sizeof(bool), true, is_served, NULL);
	return ret == ERR_NOTFOUND ? ERR_OK : ret;
}

/* --- applying a transfer ------------------------------------------------------------- */

/* Insert one transferred record; a duplicate RR is dropped (RFC 2181 5). */
static int insert_rr(sq_conn_t *c, int64_t zone_id, const record_t *r, int64_t now)
{
	sqlite3_stmt *s = sq_prepare(c, "INSERT OR IGNORE INTO records (zone_id, name, type, "
					"type_code, content, rdata, ttl, priority, regions, "
					"system_record, created_at, updated_at) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'global', ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	bool is_system = *r->name == '\0' && (r->type->code == 6 || r->type->code == 2);
	sqlite3_bind_int64(s, 1, zone_id);
	sq_bind_text(s, 2, r->name);
	sq_bind_text(s, 3, r->type->name);
	sqlite3_bind_int(s, 4, r->type->code);
	sq_bind_text(s, 5, r->content);
	sqlite3_bind_blob(s, 6, r->rdata, r->rdata_size, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, r->ttl);
	if (r->has_priority) {
		sqlite3_bind_int64(s, 8, r->priority);
	}
	sqlite3_bind_int(s, 9, is_system);
	sqlite3_bind_int64(s, 10, now);
	sqlite3_bind_int64(s, 11, now);
	return sq_step_done(c, s);
}

/* Remove one RR (owner, type, rdata; any TTL). ERR_CONFLICT when we do not hold it. */
static int remove_rr(sq_conn_t *c, int64_t zone_id, const record_t *r)
{
	sqlite3_stmt *s = sq_prepare(c, "DELETE FROM records WHERE zone_id = ? AND name = ? "
					"AND type_code = ? AND rdata = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, zone_id);
	sq_bind_text(s, 2, r->name);
	sqlite3_bind_int(s, 3, r->type->code);
	sqlite3_bind_blob(s, 4, r->rdata, r->rdata_size, SQLITE_STATIC);
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_CONFLICT : ret;
}

/* A change-log row with the primary's serial (taking removed and added). */
static int change_row(sq_conn_t *c, int64_t zone_id, uint32_t serial, const char *kind,
		      json_t *removed, json_t *added, int64_t now)
{
	char *rem = json_dump_compact(removed), *add = json_dump_compact(added);
	json_decref(removed);
	json_decref(added);
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO zone_changes (zone_id, zone_name, serial, kind, "
					"removed, added, created_at) SELECT id, name, ?, ?, ?, ?, ? "
					"FROM zones WHERE id = ?");
	int ret = s == NULL ? ERR_STORE : ERR_OK;
	if (ret == ERR_OK) {
		sqlite3_bind_int64(s, 1, serial);
		sq_bind_text(s, 2, kind);
		sq_bind_text(s, 3, rem);
		sq_bind_text(s, 4, add);
		sqlite3_bind_int64(s, 5, now);
		sqlite3_bind_int64(s, 6, zone_id);
		ret = sq_step_done(c, s);
		if (ret == ERR_OK && sqlite3_changes(c->db) == 0) {
			ret = ERR_NOTFOUND;
		}
	}
	free(rem);
	free(add);
	return ret;
}

static json_t *rr_list(const record_t *rs, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(list, sq_record_rr_json(&rs[i]));
	}
	return list;
}

static int apply_full(sq_conn_t *c, const store_xfr_apply_t *x)
{
	int ret = exec3(c, "DELETE FROM records WHERE zone_id = ?", x->zone_id, 0, 0);
	for (size_t i = 0; ret == ERR_OK && i < x->count; i++) {
		ret = insert_rr(c, x->zone_id, &x->records[i], x->now);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	/* Not a diff: the dns role reloads the whole zone, IXFR falls back to AXFR. */
	json_t *added = json_array();
	for (size_t i = 0; i < x->count; i++) {
		if (x->records[i].type->code == 6) {
			json_array_append_new(added, sq_record_rr_json(&x->records[i]));
			break;
		}
	}
	return change_row(c, x->zone_id, x->serial, "zone_replaced", json_array(), added, x->now);
}

static int apply_deltas(sq_conn_t *c, const store_xfr_apply_t *x)
{
	int ret = ERR_OK;
	for (size_t d = 0; ret == ERR_OK && d < x->delta_count; d++) {
		const store_xfr_delta_t *dl = &x->deltas[d];
		for (size_t i = 0; ret == ERR_OK && i < dl->removed_count; i++) {
			ret = remove_rr(c, x->zone_id, &dl->removed[i]);
		}
		for (size_t i = 0; ret == ERR_OK && i < dl->added_count; i++) {
			ret = insert_rr(c, x->zone_id, &dl->added[i], x->now);
		}
		if (ret == ERR_OK) {
			ret = change_row(c, x->zone_id, dl->serial, "records",
					 rr_list(dl->removed, dl->removed_count),
					 rr_list(dl->added, dl->added_count), x->now);
		}
	}
	return ret;
}

static int apply_txn(sq_conn_t *c, void *arg)
{
	const store_xfr_apply_t *x = arg;
	int ret = x->is_full ? apply_full(c, x) : apply_deltas(c, x);
	if (ret == ERR_OK) {
		ret = exec3(c, "UPDATE zones SET serial = ?, last_transferred_at = ?2, updated_at = ?2 "
			       "WHERE id = ?3",
			    x->serial, x->now, x->zone_id);
	}
	if (ret == ERR_OK) {
		ret = exec3(c, "INSERT OR IGNORE INTO secondary_zones (zone_id) VALUES (?)", x->zone_id,
			    0, 0);
	}
	sqlite3_stmt *s = ret == ERR_OK ? sq_prepare(c, "UPDATE secondary_zones SET serial = ?, "
							"refresh = ?, retry = ?, expire = ?, "
							"last_ok_at = ?5, last_attempt_at = ?5, "
							"is_expired = 0, refresh_now = 0, "
							"last_error = NULL, last_error_at = NULL "
							"WHERE zone_id = ?")
					: NULL;
	if (ret == ERR_OK && s == NULL) {
		ret = ERR_STORE;
	}
	if (ret == ERR_OK) {
		sqlite3_bind_int64(s, 1, x->serial);
		sqlite3_bind_int64(s, 2, x->refresh);
		sqlite3_bind_int64(s, 3, x->retry);
		sqlite3_bind_int64(s, 4, x->expire);
		sqlite3_bind_int64(s, 5, x->now);
		sqlite3_bind_int64(s, 6, x->zone_id);
		ret = sq_step_done(c, s);
	}
	return ret;
}

int sq_secondary_apply(store_t *st, const store_xfr_apply_t *x)
{
	return sq_write(st, apply_txn, (void *)x);
}

typedef struct {
	int64_t zone_id;
	store_secondary_mark_t mark;
	const char *error;
	int64_t now;
} mark_op_t;

/* Flip is_expired, with a change-log row (serial unchanged) so every dns role reloads. */
static int set_expired(sq_conn_t *c, const mark_op_t *op, bool is_expired)
{
	int ret = exec3(c, "UPDATE secondary_zones SET is_expired = ? WHERE zone_id = ? "
			   "AND is_expired != ?1",
			is_expired, op->zone_id, 0);
	if (ret != ERR_OK || sqlite3_changes(c->db) == 0) {
		return ret;
	}
	int64_t serial = 0;
	ret = scalar(c, "SELECT serial FROM zones WHERE id = ?", op->zone_id, 0, &serial);
	if (ret == ERR_OK) {
		ret = change_row(c, op->zone_id, (uint32_t)serial,
				 is_expired ? "zone_deactivated" : "zone_activated", json_array(),
				 json_array(), op->now);
	}
	return ret;
}

static int mark_txn(sq_conn_t *c, void *arg)
{
	mark_op_t *op = arg;
	int ret = exec3(c, "INSERT OR IGNORE INTO secondary_zones (zone_id) VALUES (?)", op->zone_id,
			0, 0);
	if (ret != ERR_OK) {
		return ret;
	}
	switch (op->mark) {
	case STORE_SECONDARY_OK:
		ret = exec3(c, "UPDATE secondary_zones SET last_ok_at = ?1, last_attempt_at = ?1, "
			       "refresh_now = 0, last_error = NULL, last_error_at = NULL "
			       "WHERE zone_id = ?2",
			    op->now, op->zone_id, 0);
		return ret == ERR_OK ? set_expired(c, op, false) : ret;
	case STORE_SECONDARY_FAILED: {
		sqlite3_stmt *s = sq_prepare(c, "UPDATE secondary_zones SET last_attempt_at = ?1, "
						"last_error_at = ?1, last_error = ?2, "
						"refresh_now = 0 WHERE zone_id = ?3");
		if (s == NULL) {
			return ERR_STORE;
		}
		sqlite3_bind_int64(s, 1, op->now);
		sq_bind_text(s, 2, op->error != NULL ? op->error : "transfer failed");
		sqlite3_bind_int64(s, 3, op->zone_id);
		return sq_step_done(c, s);
	}
	case STORE_SECONDARY_EXPIRED:
		return set_expired(c, op, true);
	}
	return ERR_INVAL_ARG;
}

int sq_secondary_mark(store_t *st, int64_t zone_id, store_secondary_mark_t mark,
		      const char *error, int64_t now)
{
	mark_op_t op = { .zone_id = zone_id, .mark = mark, .error = error, .now = now };
	return sq_write(st, mark_txn, &op);
}
