/* q_xfr.c -- SQLite queries for zone transfers out: TSIG keys, and the change log as IXFR
 * history (read the newest rows of a zone, trim the older ones). */
#include <string.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define KEY_COLS "SELECT id, name, algorithm, secret, created_at FROM tsig_keys "

static void read_key(arena_t *a, sqlite3_stmt *s, void *p)
{
	store_tsig_key_t *k = p;
	k->id = sqlite3_column_int64(s, 0);
	k->name = sq_text(a, s, 1);
	k->algorithm = sq_text(a, s, 2);
	k->secret = sq_text(a, s, 3);
	k->created_at = sqlite3_column_int64(s, 4);
}

static int key_create_txn(sq_conn_t *c, void *arg)
{
	store_tsig_key_t *k = arg;
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO tsig_keys (name, algorithm, secret, created_at) "
					"VALUES (?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	k->created_at = time_now();
	sq_bind_text(s, 1, k->name);
	sq_bind_text(s, 2, k->algorithm);
	sq_bind_text(s, 3, k->secret);
	sqlite3_bind_int64(s, 4, k->created_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		k->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

int sq_tsig_key_create(store_t *st, store_tsig_key_t *k)
{
	return sq_write(st, key_create_txn, k);
}

int sq_tsig_key_get(store_t *st, arena_t *a, const char *name, store_tsig_key_t *out)
{
	sq_bind_t b = { .t = { name }, .is_text = 1, .count = 1 };
	return sq_query(st, a, KEY_COLS "WHERE name = ?", &b, read_key, sizeof(*out), true, out,
			NULL);
}

int sq_tsig_key_list(store_t *st, arena_t *a, store_tsig_key_t **out, size_t *count)
{
	return sq_query(st, a, KEY_COLS "ORDER BY name", NULL, read_key, sizeof(store_tsig_key_t),
			false, out, count);
}

static int key_delete_txn(sq_conn_t *c, void *arg)
{
	sqlite3_stmt *s = sq_prepare(c, "DELETE FROM tsig_keys WHERE name = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sq_bind_text(s, 1, arg);
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_tsig_key_delete(store_t *st, const char *name)
{
	return sq_write(st, key_delete_txn, (void *)name);
}

static void read_history(arena_t *a, sqlite3_stmt *s, void *p)
{
	store_change_row_t *c = p;
	c->id = sqlite3_column_int64(s, 0);
	c->zone_id = sqlite3_column_int64(s, 1);
	c->zone_name = sq_text(a, s, 2);
	c->serial = (uint32_t)sqlite3_column_int64(s, 3);
	c->kind = sq_text(a, s, 4);
	c->removed = sq_text(a, s, 5);
	c->added = sq_text(a, s, 6);
}

int sq_change_history(store_t *st, arena_t *a, int64_t zone_id, size_t limit,
		      store_change_row_t **out, size_t *count)
{
	sq_bind_t b = { .i = { zone_id, (int64_t)limit }, .count = 2 };
	/* Only "records" rows are difference sequences; the RRs of the others (a zone
	 * created or replaced: the whole zone) are never read, so they are not fetched. */
	return sq_query(st, a, "SELECT * FROM (SELECT id, zone_id, zone_name, serial, kind, "
			       "CASE kind WHEN 'records' THEN removed END, "
			       "CASE kind WHEN 'records' THEN added END FROM zone_changes "
			       "WHERE zone_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
			&b, read_history, sizeof(store_change_row_t), false, out, count);
}

typedef struct {
	int64_t zone_id;
	int64_t keep;
} trim_t;

static int trim_txn(sq_conn_t *c, void *arg)
{
	const trim_t *t = arg;
	/* Everything older than the keep-th newest row; nothing when there are fewer. */
	sqlite3_stmt *s = sq_prepare(c, "DELETE FROM zone_changes WHERE zone_id = ?1 AND id < "
					"(SELECT id FROM zone_changes WHERE zone_id = ?1 "
					"ORDER BY id DESC LIMIT 1 OFFSET ?2)");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, t->zone_id);
	sqlite3_bind_int64(s, 2, t->keep - 1);
	return sq_step_done(c, s);
}

static void read_count(arena_t *a, sqlite3_stmt *s, void *p)
{
	*(int64_t *)p = sqlite3_column_int64(s, 0);
}

int sq_change_trim(store_t *st, int64_t zone_id, size_t keep)
{
	trim_t t = { zone_id, keep < 1 ? 1 : (int64_t)keep };
	/* A read first: most calls find nothing to delete and take no write lock. */
	int64_t count = 0;
	sq_bind_t b = { .i = { zone_id }, .count = 1 };
	int ret = sq_query(st, NULL, "SELECT count(*) FROM zone_changes WHERE zone_id = ?", &b,
			   read_count, sizeof(count), true, &count, NULL);
	if (ret != ERR_OK || count <= t.keep) {
		return ret;
	}
	return sq_write(st, trim_txn, &t);
}
