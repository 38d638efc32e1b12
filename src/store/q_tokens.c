/* q_tokens.c -- SQLite queries for API tokens, OAuth applications and authorization codes. */
#include <string.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define TOKEN_COLS                                                                         \
	"SELECT id, kind, account_id, user_id, name, scopes, oauth_app_id, created_at, "   \
	"revoked_at FROM tokens "
#define APP_COLS \
	"SELECT id, name, client_id, secret_hash, redirect_uri, is_public, created_at FROM oauth_apps "
#define CODE_COLS                                                                        \
	"SELECT digest, app_id, user_id, account_id, redirect_uri, state, code_challenge, " \
	"expires_at, used_at FROM oauth_codes "

static void read_token(arena_t *a, sqlite3_stmt *s, void *p)
{
	token_t *t = p;
	t->id = sqlite3_column_int64(s, 0);
	const char *kind = (const char *)sqlite3_column_text(s, 1);
	t->kind = kind != NULL && strcmp(kind, "user") == 0 ? TOKEN_USER : TOKEN_ACCOUNT;
	t->account_id = sqlite3_column_int64(s, 2);
	t->user_id = sqlite3_column_int64(s, 3);
	t->name = sq_text(a, s, 4);
	t->scopes = sq_text(a, s, 5);
	t->oauth_app_id = sqlite3_column_int64(s, 6);
	t->created_at = sqlite3_column_int64(s, 7);
	t->revoked_at = sqlite3_column_int64(s, 8);
}

static void bind_id_or_null(sqlite3_stmt *s, int idx, int64_t id)
{
	if (id != 0) {
		sqlite3_bind_int64(s, idx, id);
	} else {
		sqlite3_bind_null(s, idx);
	}
}

int sq_insert_token(sq_conn_t *c, token_t *t, const char *digest)
{
	static const char sql[] = "INSERT INTO tokens (kind, account_id, user_id, name, digest, "
				  "scopes, oauth_app_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	t->created_at = time_now();
	sqlite3_bind_text(s, 1, t->kind == TOKEN_USER ? "user" : "account", -1, SQLITE_STATIC);
	bind_id_or_null(s, 2, t->kind == TOKEN_ACCOUNT ? t->account_id : 0);
	bind_id_or_null(s, 3, t->kind == TOKEN_USER ? t->user_id : 0);
	sq_bind_text(s, 4, t->name != NULL ? t->name : "");
	sq_bind_text(s, 5, digest);
	sq_bind_text(s, 6, t->scopes != NULL ? t->scopes : "");
	bind_id_or_null(s, 7, t->oauth_app_id);
	sqlite3_bind_int64(s, 8, t->created_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		t->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

typedef struct {
	token_t *t;
	const char *digest;
} token_arg_t;

static int token_create_txn(sq_conn_t *c, void *arg)
{
	token_arg_t *ta = arg;
	return sq_insert_token(c, ta->t, ta->digest);
}

int sq_token_create(store_t *st, token_t *t, const char *digest)
{
	token_arg_t ta = { t, digest };
	return sq_write(st, token_create_txn, &ta);
}

int sq_token_get_by_digest(store_t *st, arena_t *a, const char *digest, token_t *out)
{
	sq_bind_t b = { .t = { digest }, .is_text = 1, .count = 1 };
	return sq_query(st, a, TOKEN_COLS "WHERE digest = ? AND revoked_at IS NULL", &b,
			read_token, sizeof(*out), true, out, NULL);
}

int sq_token_list(store_t *st, arena_t *a, token_t **out, size_t *count)
{
	return sq_query(st, a, TOKEN_COLS "ORDER BY id", NULL, read_token, sizeof(**out), false,
			out, count);
}

typedef struct {
	int64_t id, now;
} revoke_arg_t;

static int token_revoke_txn(sq_conn_t *c, void *arg)
{
	revoke_arg_t *r = arg;
	sqlite3_stmt *s = sq_prepare(
		c, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, r->now);
	sqlite3_bind_int64(s, 2, r->id);
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_token_revoke(store_t *st, int64_t id, int64_t now)
{
	revoke_arg_t r = { id, now };
	return sq_write(st, token_revoke_txn, &r);
}

static void read_app(arena_t *a, sqlite3_stmt *s, void *p)
{
	oauth_app_t *app = p;
	app->id = sqlite3_column_int64(s, 0);
	app->name = sq_text(a, s, 1);
	app->client_id = sq_text(a, s, 2);
	app->secret_hash = sq_text(a, s, 3);
	app->redirect_uri = sq_text(a, s, 4);
	app->is_public = sqlite3_column_int(s, 5) != 0;
	app->created_at = sqlite3_column_int64(s, 6);
}

static int app_create_txn(sq_conn_t *c, void *arg)
{
	oauth_app_t *app = arg;
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO oauth_apps (name, client_id, secret_hash, "
					"redirect_uri, is_public, created_at) VALUES (?, ?, ?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	app->created_at = time_now();
	sq_bind_text(s, 1, app->name);
	sq_bind_text(s, 2, app->client_id);
	sq_bind_text(s, 3, app->secret_hash);
	sq_bind_text(s, 4, app->redirect_uri);
	sqlite3_bind_int(s, 5, app->is_public ? 1 : 0);
	sqlite3_bind_int64(s, 6, app->created_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		app->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

int sq_oauth_app_create(store_t *st, oauth_app_t *app)
{
	return sq_write(st, app_create_txn, app);
}

int sq_oauth_app_get_by_client_id(store_t *st, arena_t *a, const char *client_id,
				  oauth_app_t *out)
{
	sq_bind_t b = { .t = { client_id }, .is_text = 1, .count = 1 };
	return sq_query(st, a, APP_COLS "WHERE client_id = ?", &b, read_app, sizeof(*out), true,
			out, NULL);
}

int sq_oauth_app_list(store_t *st, arena_t *a, oauth_app_t **out, size_t *count)
{
	return sq_query(st, a, APP_COLS "ORDER BY id", NULL, read_app, sizeof(**out), false, out,
			count);
}

static void read_code(arena_t *a, sqlite3_stmt *s, void *p)
{
	oauth_code_t *c = p;
	c->code_hash = sq_text(a, s, 0);
	c->app_id = sqlite3_column_int64(s, 1);
	c->user_id = sqlite3_column_int64(s, 2);
	c->account_id = sqlite3_column_int64(s, 3);
	c->redirect_uri = sq_text(a, s, 4);
	c->state = sq_text(a, s, 5);
	c->code_challenge = sq_text(a, s, 6);
	c->expires_at = sqlite3_column_int64(s, 7);
	c->is_used = sqlite3_column_type(s, 8) != SQLITE_NULL;
}

static int code_create_txn(sq_conn_t *c, void *arg)
{
	const oauth_code_t *code = arg;
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO oauth_codes (digest, app_id, user_id, "
					"account_id, redirect_uri, state, code_challenge, expires_at) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	sq_bind_text(s, 1, code->code_hash);
	sqlite3_bind_int64(s, 2, code->app_id);
	sqlite3_bind_int64(s, 3, code->user_id);
	sqlite3_bind_int64(s, 4, code->account_id);
	sq_bind_text(s, 5, code->redirect_uri != NULL ? code->redirect_uri : "");
	sq_bind_text(s, 6, code->state != NULL ? code->state : "");
	sq_bind_text(s, 7, code->code_challenge != NULL ? code->code_challenge : "");
	sqlite3_bind_int64(s, 8, code->expires_at);
	/* Expired codes are of no use to anyone: sweep them with each new one. */
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		s = sq_prepare(c, "DELETE FROM oauth_codes WHERE expires_at < ?");
		if (s == NULL) {
			return ERR_STORE;
		}
		sqlite3_bind_int64(s, 1, time_now() - 86400);
		ret = sq_step_done(c, s);
	}
	return ret;
}

int sq_oauth_code_create(store_t *st, const oauth_code_t *code)
{
	return sq_write(st, code_create_txn, (void *)code);
}

int sq_oauth_code_get(store_t *st, arena_t *a, const char *code_hash, oauth_code_t *out)
{
	sq_bind_t b = { .t = { code_hash }, .is_text = 1, .count = 1 };
	return sq_query(st, a, CODE_COLS "WHERE digest = ?", &b, read_code, sizeof(*out), true,
			out, NULL);
}

typedef struct {
	const char *code_hash;
	token_t *t;
	const char *digest;
} exchange_arg_t;

static int exchange_txn(sq_conn_t *c, void *arg)
{
	exchange_arg_t *x = arg;
	sqlite3_stmt *s = sq_prepare(c, "UPDATE oauth_codes SET used_at = ? WHERE digest = ? AND "
					"used_at IS NULL");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, time_now());
	sq_bind_text(s, 2, x->code_hash);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK && sqlite3_changes(c->db) == 0) {
		return ERR_CONFLICT;
	}
	return ret == ERR_OK ? sq_insert_token(c, x->t, x->digest) : ret;
}

int sq_oauth_code_exchange(store_t *st, const char *code_hash, token_t *t,
			   const char *token_digest)
{
	exchange_arg_t x = { code_hash, t, token_digest };
	return sq_write(st, exchange_txn, &x);
}
