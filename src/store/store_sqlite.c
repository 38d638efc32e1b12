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
#include "core/sbuf.h"
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
	pthread_mutex_init(&s->q_lock, NULL);
	pthread_cond_init(&s->q_cond, NULL);
	s->q_tail = &s->q_head;
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
	for (int i = 0; i < SQ_DYN_CACHE; i++) {
		sqlite3_finalize(c->dyn[i].stmt);
		free(c->dyn[i].sql);
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
	pthread_mutex_destroy(&s->q_lock);
	pthread_cond_destroy(&s->q_cond);
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

sqlite3_stmt *sq_prepare_text(sq_conn_t *c, const char *sql)
{
	for (size_t i = 0; i < SQ_DYN_CACHE; i++) {
		if (c->dyn[i].sql != NULL && strcmp(c->dyn[i].sql, sql) == 0) {
			sqlite3_reset(c->dyn[i].stmt);
			sqlite3_clear_bindings(c->dyn[i].stmt);
			return c->dyn[i].stmt;
		}
	}
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		log_err("store, prepare failed (%s): %s", sqlite3_errmsg(c->db), sql);
		return NULL;
	}
	size_t k = c->dyn_next++ % SQ_DYN_CACHE;
	sqlite3_finalize(c->dyn[k].stmt);
	free(c->dyn[k].sql);
	c->dyn[k].sql = xstrdup(sql);
	c->dyn[k].stmt = s;
	return s;
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
	.contact_create = sq_contact_create,
	.contact_get = sq_contact_get,
	.contact_list = sq_contact_list,
	.contact_update = sq_contact_update,
	.contact_delete = sq_contact_delete,
	.zone_create = sq_zone_create,
	.domain_get = sq_domain_get,
	.domain_list = sq_domain_list,
	.domain_delete = sq_domain_delete,
	.zone_get = sq_zone_get,
	.zone_list = sq_zone_list,
	.zone_set_active = sq_zone_set_active,
	.zone_delete = sq_zone_delete,
	.record_get = sq_record_get,
	.record_list = sq_record_list,
	.record_list_each = sq_record_list_each,
	.record_all = sq_record_all,
	.zone_change = sq_zone_change,
	.zone_all = sq_zone_all,
	.zone_touch = sq_zone_touch,
	.record_each = sq_record_each,
	.record_each_touched = sq_record_each_touched,
	.change_since = sq_change_since,
	.change_last = sq_change_last,
	.set_change_hook = sq_set_change_hook,
	.url_target = sq_url_target,
	.primary_create = sq_primary_create,
	.primary_get = sq_primary_get,
	.primary_list = sq_primary_list,
	.primary_delete = sq_primary_delete,
	.primary_link = sq_primary_link,
	.secondary_create = sq_secondary_create,
	.secondary_list = sq_secondary_list,
	.secondary_is_served = sq_secondary_is_served,
	.secondary_apply = sq_secondary_apply,
	.secondary_mark = sq_secondary_mark,
	.analytics_add = sq_analytics_add,
	.analytics_query = sq_analytics_query,
	.tsig_key_create = sq_tsig_key_create,
	.tsig_key_get = sq_tsig_key_get,
	.tsig_key_list = sq_tsig_key_list,
	.tsig_key_delete = sq_tsig_key_delete,
	.change_history = sq_change_history,
	.change_trim = sq_change_trim,
	.dnssec_get = sq_dnssec_get,
	.dnssec_enable = sq_dnssec_enable,
	.dnssec_disable = sq_dnssec_disable,
	.dnssec_keys = sq_dnssec_keys,
	.dnssec_zones = sq_dnssec_zones,
	.dnssec_rekey = sq_dnssec_rekey,
	.ds_create = sq_ds_create,
	.ds_get = sq_ds_get,
	.ds_list = sq_ds_list,
	.ds_delete = sq_ds_delete,
};

typedef struct sq_job {
	int (*fn)(sq_conn_t *c, void *arg);
	void *arg;
	int ret;
	bool is_done;
	struct sq_job *next;
} sq_job_t;

#define GROUP_MAX 512 /* jobs in one transaction */

static int savepoint(sq_conn_t *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? ERR_OK : sq_err(c, rc);
}

/* Run a batch of jobs in one transaction; each job in its own savepoint. */
static void run_batch(store_t *st, sq_job_t *batch)
{
	sq_conn_t *c = sq_acquire(st);
	int ret = c != NULL ? sq_begin(st, c) : ERR_STORE;
	bool is_any_ok = false;
	for (sq_job_t *j = batch; j != NULL; j = j->next) {
		if (ret != ERR_OK) {
			j->ret = ret;
			continue;
		}
		j->ret = savepoint(c, "SAVEPOINT job");
		if (j->ret == ERR_OK) {
			j->ret = j->fn(c, j->arg);
			if (j->ret != ERR_OK) {
				savepoint(c, "ROLLBACK TO job");
			}
			savepoint(c, "RELEASE job");
		}
		is_any_ok |= j->ret == ERR_OK;
	}
	if (ret == ERR_OK) {
		int cret = is_any_ok ? sq_commit(st, c) : (sq_rollback(st, c), ERR_OK);
		for (sq_job_t *j = batch; cret != ERR_OK && j != NULL; j = j->next) {
			if (j->ret == ERR_OK) {
				j->ret = cret;
			}
		}
	}
	sq_release(st, c);
}

int sq_write(store_t *st, int (*fn)(sq_conn_t *c, void *arg), void *arg)
{
	sq_t *s = st->impl;
	sq_job_t job = { .fn = fn, .arg = arg };
	pthread_mutex_lock(&s->q_lock);
	*s->q_tail = &job;
	s->q_tail = &job.next;
	while (!job.is_done) {
		if (s->is_leading) {
			pthread_cond_wait(&s->q_cond, &s->q_lock);
			continue;
		}
		/* Lead: take up to GROUP_MAX queued jobs (ours among them). */
		s->is_leading = true;
		sq_job_t *batch = s->q_head, *last = batch;
		for (int n = 1; n < GROUP_MAX && last->next != NULL; n++) {
			last = last->next;
		}
		s->q_head = last->next;
		if (s->q_head == NULL) {
			s->q_tail = &s->q_head;
		}
		last->next = NULL;
		pthread_mutex_unlock(&s->q_lock);
		run_batch(st, batch);
		pthread_mutex_lock(&s->q_lock);
		if (s->change_hook != NULL) {
			s->change_hook(s->change_hook_ctx); /* e.g. wake the DNS loader */
		}
		for (sq_job_t *j = batch, *next; j != NULL; j = next) {
			next = j->next; /* j lives on its owner's stack: read before marking done */
			j->is_done = true;
		}
		s->is_leading = false;
		pthread_cond_broadcast(&s->q_cond);
	}
	pthread_mutex_unlock(&s->q_lock);
	return job.ret;
}

static void bind_all(sqlite3_stmt *s, const sq_bind_t *b);

static const char *sort_column(const sq_sort_col_t *sorts, const char *field)
{
	for (size_t i = 0; sorts != NULL && sorts[i].field != NULL; i++) {
		if (strcmp(sorts[i].field, field) == 0) {
			return sorts[i].column;
		}
	}
	return NULL;
}

static int list_sql(const sq_list_query_t *lq, const store_list_t *page, sbuf_t *sql)
{
	sbuf_printf(sql, "SELECT %s FROM %s WHERE %s ORDER BY ", lq->cols, lq->from, lq->where);
	for (int i = 0; i < page->sort_count; i++) {
		const char *col = sort_column(lq->sorts, page->sort_fields[i]);
		if (col == NULL) {
			return ERR_INVALID; /* the API let through a field this query cannot sort */
		}
		sbuf_printf(sql, "%s %s, ", col, page->sort_desc[i] ? "DESC" : "ASC");
	}
	sbuf_printf(sql, "%s LIMIT ? OFFSET ?", lq->tiebreak);
	return ERR_OK;
}

int sq_list(store_t *st, arena_t *a, const sq_list_query_t *lq, const store_list_t *page,
	    void *out, size_t *count, int64_t *total)
{
	sbuf_t sql = SBUF_INIT, csql = SBUF_INIT;
	int ret = list_sql(lq, page, &sql);
	if (lq->count_sql != NULL) {
		sbuf_puts(&csql, lq->count_sql);
	} else {
		sbuf_printf(&csql, "SELECT count(*) FROM %s WHERE %s", lq->from, lq->where);
	}
	sq_conn_t *c = ret == ERR_OK ? sq_acquire(st) : NULL;
	if (ret == ERR_OK && c == NULL) {
		ret = ERR_STORE;
	}
	/* Both statements in one read transaction: the count matches the page. BEGIN and
	 * COMMIT are cached statements too (sqlite3_exec parses them each time). */
	if (ret == ERR_OK) {
		ret = sq_step_done(c, sq_prepare(c, "BEGIN"));
	}
	sqlite3_stmt *s = ret == ERR_OK ? sq_prepare_text(c, csql.p) : NULL;
	if (ret == ERR_OK && s == NULL) {
		ret = ERR_STORE;
	}
	if (ret == ERR_OK) {
		bind_all(s, lq->bind);
		int rc = sqlite3_step(s);
		*total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		ret = rc == SQLITE_ROW ? ERR_OK : sq_err(c, rc);
		sqlite3_reset(s);
	}
	s = ret == ERR_OK ? sq_prepare_text(c, sql.p) : NULL;
	if (ret == ERR_OK && s == NULL) {
		ret = ERR_STORE;
	}
	size_t n = 0;
	char *rows = NULL;
	if (ret == ERR_OK) {
		int nb = lq->bind != NULL ? lq->bind->count : 0;
		bind_all(s, lq->bind);
		sqlite3_bind_int64(s, nb + 1, page->limit);
		sqlite3_bind_int64(s, nb + 2, page->offset);
		if (lq->each == NULL) {
			rows = arena_alloc_array(a, (size_t)(page->limit > 0 ? page->limit : 1),
						 lq->elem_size);
		}
		int rc = SQLITE_DONE;
		while ((rows != NULL || lq->each != NULL) && (rc = sqlite3_step(s)) == SQLITE_ROW &&
		       n < (size_t)page->limit) {
			if (lq->each != NULL) {
				lq->each(lq->each_ctx, s);
			} else {
				memset(rows + n * lq->elem_size, 0, lq->elem_size);
				lq->read(a, s, rows + n * lq->elem_size);
			}
			n++;
		}
		/* A step that failed is not the end of the page. */
		ret = rows == NULL && lq->each == NULL ? ERR_TOOBIG
		      : rc != SQLITE_ROW && rc != SQLITE_DONE ? sq_err(c, rc) : ERR_OK;
		sqlite3_reset(s);
	}
	if (c != NULL) {
		if (!sqlite3_get_autocommit(c->db)) {
			sq_step_done(c, sq_prepare(c, "COMMIT"));
		}
		sq_release(st, c);
	}
	sbuf_clear(&sql);
	sbuf_clear(&csql);
	*(void **)out = rows;
	*count = n;
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

void sq_set_change_hook(store_t *st, void (*fn)(void *ctx), void *ctx)
{
	sq_t *s = st->impl;
	pthread_mutex_lock(&s->q_lock); /* the hook runs under q_lock */
	s->change_hook = fn;
	s->change_hook_ctx = ctx;
	pthread_mutex_unlock(&s->q_lock);
}
