/* migrate.c -- apply numbered migrations, each in its own transaction with its version row. */
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/migrations.h"
#include "store/sqlite_internal.h"

static const char *const SQL_TABLE =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

static int current(sq_conn_t *c, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
				    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return sq_err(c, rc);
	}
	rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? ERR_OK : sq_err(c, rc);
}

static int apply(store_t *st, sq_conn_t *c, const migration_t *m)
{
	int ret = sq_begin(st, c);
	if (ret != ERR_OK) {
		return ret;
	}
	int have = 0;
	ret = current(c, &have); /* another process may have applied it meanwhile */
	if (ret != ERR_OK || have >= m->version) {
		sq_rollback(st, c);
		return ret;
	}
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, m->sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_err("store, migration %04d_%s failed (%s)", m->version, m->name,
			msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sq_rollback(st, c);
		return ERR_STORE;
	}
	sqlite3_stmt *s = NULL;
	sqlite3_prepare_v2(c->db, "INSERT INTO schema_migrations VALUES (?, ?, ?)", -1, &s, NULL);
	sqlite3_bind_int(s, 1, m->version);
	sqlite3_bind_text(s, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, time_now());
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		ret = sq_err(c, rc);
		sq_rollback(st, c);
		return ret;
	}
	ret = sq_commit(st, c);
	if (ret == ERR_OK) {
		log_info("store, applied migration %04d_%s", m->version, m->name);
	}
	return ret;
}

int sq_migrate(store_t *st, int *applied)
{
	*applied = 0;
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		return ERR_STORE;
	}
	int ret = sqlite3_exec(c->db, SQL_TABLE, NULL, NULL, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
	int version = 0;
	if (ret == ERR_OK) {
		ret = current(c, &version);
	}
	for (const migration_t *m = migrations; ret == ERR_OK && m->name != NULL; m++) {
		if (m->version <= version) {
			continue;
		}
		ret = apply(st, c, m);
		if (ret == ERR_OK) {
			(*applied)++;
		}
	}
	sq_release(st, c);
	return ret;
}

int sq_schema_version(store_t *st, int *version)
{
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		return ERR_STORE;
	}
	int ret = current(c, version);
	sq_release(st, c);
	return ret;
}
