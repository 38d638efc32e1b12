/* store_sqlite.c -- the SQLite backend: WAL, foreign keys, a pool of connections.
 *
 * DESIGN: each call takes a connection from a small pool and gives it back, so API
 * threads read in parallel (WAL readers never block). Writes go through one process-wide
 * mutex and BEGIN IMMEDIATE; another process (the CLI next to a running server) waits in
 * busy_timeout. synchronous=FULL by default: a 2xx means the commit reached the disk,
 * not just the page cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/sqlite_internal.h"

#define BUSY_TIMEOUT_MS 10000

static int sq_open(store_t *st, const store_opts_t *opts)
{
	if (!opts->is_readonly && mkdir(opts->dir, 0750) != 0 && errno != EEXIST) {
		log_err("store, cannot create %s (%s)", opts->dir, strerror(errno));
		return -errno;
	}
	sq_t *s = xcalloc(1, sizeof(*s));
	size_t n = strlen(opts->dir) + sizeof("/nameplate.db");
	s->path = xmalloc(n);
	snprintf(s->path, n, "%s/nameplate.db", opts->dir);
	s->is_sync_full = opts->is_sync_full;
	s->is_readonly = opts->is_readonly;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->write_lock, NULL);
	st->impl = s;
	/* Open one connection now so that a bad path fails at start, not at first request. */
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		free(s->path);
		free(s);
		st->impl = NULL;
		return ERR_STORE;
	}
	sq_release(st, c);
	return ERR_OK;
}

static void conn_free(sq_conn_t *c)
{
	for (int i = 0; i < SQ_STMT_CACHE; i++) {
		sqlite3_finalize(c->cache[i].stmt);
	}
	sqlite3_close_v2(c->db);
	free(c);
}

static void sq_close(store_t *st)
{
	sq_t *s = st->impl;
	if (s == NULL) {
		return;
	}
	sq_conn_t *c = s->idle;
	while (c != NULL) {
		sq_conn_t *next = c->next;
		conn_free(c);
		c = next;
	}
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->write_lock);
	free(s->path);
	free(s);
	st->impl = NULL;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_err("store, '%s' failed (%s)", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return ERR_STORE;
	}
	return ERR_OK;
}

static sq_conn_t *conn_new(sq_t *s)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_NOMUTEX |
		    (s->is_readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	int rc = sqlite3_open_v2(s->path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		log_err("store, cannot open %s (%s)", s->path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close_v2(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db, 1);
	if ((!s->is_readonly && exec(db, "PRAGMA journal_mode=WAL") != ERR_OK) ||
	    exec(db, "PRAGMA foreign_keys=ON") != ERR_OK ||
	    exec(db, s->is_sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") !=
		    ERR_OK) {
		sqlite3_close_v2(db);
		return NULL;
	}
	sq_conn_t *c = xcalloc(1, sizeof(*c));
	c->db = db;
	return c;
}

sq_conn_t *sq_acquire(store_t *st)
{
	sq_t *s = st->impl;
	pthread_mutex_lock(&s->lock);
	sq_conn_t *c = s->idle;
	if (c != NULL) {
		s->idle = c->next;
	}
	pthread_mutex_unlock(&s->lock);
	return c != NULL ? c : conn_new(s);
}

void sq_release(store_t *st, sq_conn_t *c)
{
	if (c == NULL) {
		return;
	}
	sq_t *s = st->impl;
	if (!sqlite3_get_autocommit(c->db)) {
		/* A transaction left open is a bug upstream; never hand it to the next caller. */
		log_err("store, connection returned inside a transaction, rolling back");
		exec(c->db, "ROLLBACK");
	}
	pthread_mutex_lock(&s->lock);
	c->next = s->idle;
	s->idle = c;
	pthread_mutex_unlock(&s->lock);
}

sqlite3_stmt *sq_prepare(sq_conn_t *c, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 4) % SQ_STMT_CACHE;
	for (size_t i = 0; i < SQ_STMT_CACHE; i++) {
		size_t k = (h + i) % SQ_STMT_CACHE;
		if (c->cache[k].sql == sql) {
			sqlite3_reset(c->cache[k].stmt);
			sqlite3_clear_bindings(c->cache[k].stmt);
			return c->cache[k].stmt;
		}
		if (c->cache[k].sql == NULL) {
			sqlite3_stmt *s = NULL;
			int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
						    NULL);
			if (rc != SQLITE_OK) {
				log_err("store, prepare failed (%s): %s", sqlite3_errmsg(c->db), sql);
				return NULL;
			}
			c->cache[k].sql = sql;
			c->cache[k].stmt = s;
			return s;
		}
	}
	PANIC("statement cache full: raise SQ_STMT_CACHE");
}

int sq_err(sq_conn_t *c, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return ERR_OK;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
			return ERR_NOTFOUND;
		}
		return ERR_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("store, busy (%s)", sqlite3_errmsg(c->db));
		return ERR_BUSY;
	default:
		log_err("store, query failed (%s)", sqlite3_errmsg(c->db));
		return ERR_STORE;
	}
}

int sq_begin(store_t *st, sq_conn_t *c)
{
	sq_t *s = st->impl;
	pthread_mutex_lock(&s->write_lock);
	int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		pthread_mutex_unlock(&s->write_lock);
		return sq_err(c, rc);
	}
	return ERR_OK;
}

int sq_commit(store_t *st, sq_conn_t *c)
{
	sq_t *s = st->impl;
	int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	int ret = sq_err(c, rc);
	if (rc != SQLITE_OK) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&s->write_lock);
	return ret;
}

void sq_rollback(store_t *st, sq_conn_t *c)
{
	sq_t *s = st->impl;
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->write_lock);
}

int sq_step_done(sq_conn_t *c, sqlite3_stmt *s)
{
	if (s == NULL) {
		return ERR_STORE;
	}
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? ERR_OK : sq_err(c, rc);
}

const char *sq_text(arena_t *a, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	if (t == NULL) {
		return NULL;
	}
	return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(s, col));
}

void sq_bind_text(sqlite3_stmt *s, int idx, const char *v)
{
	if (v == NULL) {
		sqlite3_bind_null(s, idx);
	} else {
		sqlite3_bind_text(s, idx, v, -1, SQLITE_TRANSIENT);
	}
}

const store_ops_t store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.is_empty = sq_is_empty,
	.bootstrap = sq_bootstrap,
	.user_create = sq_user_create,
	.user_get = sq_user_get,
	.user_get_by_email = sq_user_get_by_email,
	.user_set_otp = sq_user_set_otp,
	.user_list = sq_user_list,
	.account_create = sq_account_create,
	.account_get = sq_account_get,
	.account_list = sq_account_list,
	.account_list_for_user = sq_account_list_for_user,
	.membership_put = sq_membership_put,
	.membership_get = sq_membership_get,
	.membership_list = sq_membership_list,
	.membership_remove = sq_membership_remove,
	.token_create = sq_token_create,
	.token_get_by_digest = sq_token_get_by_digest,
	.token_list = sq_token_list,
	.token_revoke = sq_token_revoke,
	.oauth_app_create = sq_oauth_app_create,
	.oauth_app_get_by_client_id = sq_oauth_app_get_by_client_id,
	.oauth_app_list = sq_oauth_app_list,
	.oauth_code_create = sq_oauth_code_create,
	.oauth_code_get = sq_oauth_code_get,
	.oauth_code_exchange = sq_oauth_code_exchange,
};

int sq_write(store_t *st, int (*fn)(sq_conn_t *c, void *arg), void *arg)
{
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		return ERR_STORE;
	}
	int ret = sq_begin(st, c);
	if (ret == ERR_OK) {
		ret = fn(c, arg);
		if (ret == ERR_OK) {
			ret = sq_commit(st, c);
		} else {
			sq_rollback(st, c);
		}
	}
	sq_release(st, c);
	return ret;
}

static void bind_all(sqlite3_stmt *s, const sq_bind_t *b)
{
	for (int n = 0; b != NULL && n < b->count; n++) {
		if (b->is_text & (1u << n)) {
			sq_bind_text(s, n + 1, b->t[n]);
		} else {
			sqlite3_bind_int64(s, n + 1, b->i[n]);
		}
	}
}

int sq_query(store_t *st, arena_t *a, const char *sql, const sq_bind_t *b, sq_read_fn read,
	     size_t elem_size, bool want_one, void *out, size_t *count)
{
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		return ERR_STORE;
	}
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		sq_release(st, c);
		return ERR_STORE;
	}
	bind_all(s, b);
	size_t n = 0, cap = want_one ? 1 : 16;
	char *rows = want_one ? out : arena_alloc_array(a, cap, elem_size);
	int rc = SQLITE_DONE, ret = ERR_OK;
	while (rows != NULL && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			char *bigger = arena_alloc_array(a, cap * 2, elem_size);
			if (bigger == NULL) {
				ret = ERR_TOOBIG;
				break;
			}
			memcpy(bigger, rows, n * elem_size);
			rows = bigger;
			cap *= 2;
		}
		memset(rows + n * elem_size, 0, elem_size);
		read(a, s, rows + n * elem_size);
		n++;
		if (want_one) {
			break;
		}
	}
	if (rows == NULL) {
		ret = ERR_TOOBIG;
	} else if (ret == ERR_OK && !want_one && rc != SQLITE_DONE) {
		ret = sq_err(c, rc);
	} else if (want_one && n == 0) {
		ret = rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
	}
	sqlite3_reset(s);
	sq_release(st, c);
	if (!want_one) {
		*(void **)out = rows;
	}
	if (count != NULL) {
		*count = n;
	}
	return ret;
}
