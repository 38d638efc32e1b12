/* store.h -- the one storage interface: every handler and command goes through it.
 *
 * DESIGN: a backend fills a store_ops_t table (SQLite in store_sqlite.c; PostgreSQL
 * implements the same table later) and handlers call the store_* wrappers below, so
 * no handler knows which engine runs. Each operation is atomic on its own; operations
 * that must change several rows together (bootstrap, the OAuth code exchange) are one
 * operation each, so every backend makes them one transaction. Returned strings live in
 * the caller's arena. Every account-scoped query takes the account id.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "model/identity.h"

typedef struct store store_t;

typedef struct store_opts {
	const char *dir;       /* SQLite: data directory; PostgreSQL: connection string */
	bool is_sync_full;     /* fsync every commit (SQLite synchronous=FULL) */
	bool is_readonly;
} store_opts_t;

/* What "admin bootstrap" and the first start create, in one transaction. */
typedef struct store_bootstrap {
	user_t user;           /* in: email, password_hash; out: id, timestamps */
	account_t account;     /* in: email, name, plan_identifier; out: id, timestamps */
	token_t token;         /* in: name; out: id */
	const char *token_digest;
} store_bootstrap_t;

typedef struct store_ops {
	const char *name;
	int (*open)(store_t *st, const store_opts_t *opts);
	void (*close)(store_t *st);
	/* Apply pending numbered migrations; *applied gets how many ran. */
	int (*migrate)(store_t *st, int *applied);
	int (*schema_version)(store_t *st, int *version);
	int (*is_empty)(store_t *st, bool *is_empty);
	int (*bootstrap)(store_t *st, store_bootstrap_t *b);

	int (*user_create)(store_t *st, user_t *u);
	int (*user_get)(store_t *st, arena_t *a, int64_t id, user_t *out);
	int (*user_get_by_email)(store_t *st, arena_t *a, const char *email, user_t *out);
	int (*user_set_otp)(store_t *st, int64_t id, const char *otp_secret);
	int (*user_list)(store_t *st, arena_t *a, user_t **out, size_t *count);

	int (*account_create)(store_t *st, account_t *acc);
	int (*account_get)(store_t *st, arena_t *a, int64_t id, account_t *out);
	int (*account_list)(store_t *st, arena_t *a, account_t **out, size_t *count);
	/* Accounts the user is a member of, by id. */
	int (*account_list_for_user)(store_t *st, arena_t *a, int64_t user_id, account_t **out,
				     size_t *count);

	/* Insert or replace a membership with its domain/zone lists. */
	int (*membership_put)(store_t *st, const membership_t *m);
	int (*membership_get)(store_t *st, arena_t *a, int64_t account_id, int64_t user_id,
			      membership_t *out);
	int (*membership_list)(store_t *st, arena_t *a, int64_t account_id, membership_t **out,
			       size_t *count);
	int (*membership_remove)(store_t *st, int64_t account_id, int64_t user_id);

	int (*token_create)(store_t *st, token_t *t, const char *digest);
	/* A token that is not revoked, by the digest of its secret. */
	int (*token_get_by_digest)(store_t *st, arena_t *a, const char *digest, token_t *out);
	int (*token_list)(store_t *st, arena_t *a, token_t **out, size_t *count);
	int (*token_revoke)(store_t *st, int64_t id, int64_t now);

	int (*oauth_app_create)(store_t *st, oauth_app_t *app);
	int (*oauth_app_get_by_client_id)(store_t *st, arena_t *a, const char *client_id,
					  oauth_app_t *out);
	int (*oauth_app_list)(store_t *st, arena_t *a, oauth_app_t **out, size_t *count);
	int (*oauth_code_create)(store_t *st, const oauth_code_t *code);
	int (*oauth_code_get)(store_t *st, arena_t *a, const char *code_hash, oauth_code_t *out);
	/* Mark the code used and create the token, in one transaction. ERR_CONFLICT when
	 * the code was already used (a concurrent exchange won). */
	int (*oauth_code_exchange)(store_t *st, const char *code_hash, token_t *t,
				   const char *token_digest);
} store_ops_t;

struct store {
	const store_ops_t *ops;
	void *impl;
};

extern const store_ops_t store_sqlite_ops;

/* Open a store with the given backend (NULL = SQLite). Free with store_close(). */
int store_open(store_t **out, const store_ops_t *ops, const store_opts_t *opts);
void store_close(store_t *st);

#define STORE_CALL(st, fn, ...) ((st)->ops->fn((st), ##__VA_ARGS__))
#define store_migrate(st, ...)                 STORE_CALL(st, migrate, __VA_ARGS__)
#define store_schema_version(st, ...)          STORE_CALL(st, schema_version, __VA_ARGS__)
#define store_is_empty(st, ...)                STORE_CALL(st, is_empty, __VA_ARGS__)
#define store_bootstrap(st, ...)               STORE_CALL(st, bootstrap, __VA_ARGS__)
#define store_user_create(st, ...)             STORE_CALL(st, user_create, __VA_ARGS__)
#define store_user_get(st, ...)                STORE_CALL(st, user_get, __VA_ARGS__)
#define store_user_get_by_email(st, ...)       STORE_CALL(st, user_get_by_email, __VA_ARGS__)
#define store_user_set_otp(st, ...)            STORE_CALL(st, user_set_otp, __VA_ARGS__)
#define store_user_list(st, ...)               STORE_CALL(st, user_list, __VA_ARGS__)
#define store_account_create(st, ...)          STORE_CALL(st, account_create, __VA_ARGS__)
#define store_account_get(st, ...)             STORE_CALL(st, account_get, __VA_ARGS__)
#define store_account_list(st, ...)            STORE_CALL(st, account_list, __VA_ARGS__)
#define store_account_list_for_user(st, ...)   STORE_CALL(st, account_list_for_user, __VA_ARGS__)
#define store_membership_put(st, ...)          STORE_CALL(st, membership_put, __VA_ARGS__)
#define store_membership_get(st, ...)          STORE_CALL(st, membership_get, __VA_ARGS__)
#define store_membership_list(st, ...)         STORE_CALL(st, membership_list, __VA_ARGS__)
#define store_membership_remove(st, ...)       STORE_CALL(st, membership_remove, __VA_ARGS__)
#define store_token_create(st, ...)            STORE_CALL(st, token_create, __VA_ARGS__)
#define store_token_get_by_digest(st, ...)     STORE_CALL(st, token_get_by_digest, __VA_ARGS__)
#define store_token_list(st, ...)              STORE_CALL(st, token_list, __VA_ARGS__)
#define store_token_revoke(st, ...)            STORE_CALL(st, token_revoke, __VA_ARGS__)
#define store_oauth_app_create(st, ...)        STORE_CALL(st, oauth_app_create, __VA_ARGS__)
#define store_oauth_app_get_by_client_id(st, ...) \
	STORE_CALL(st, oauth_app_get_by_client_id, __VA_ARGS__)
#define store_oauth_app_list(st, ...)          STORE_CALL(st, oauth_app_list, __VA_ARGS__)
#define store_oauth_code_create(st, ...)       STORE_CALL(st, oauth_code_create, __VA_ARGS__)
#define store_oauth_code_get(st, ...)          STORE_CALL(st, oauth_code_get, __VA_ARGS__)
#define store_oauth_code_exchange(st, ...)     STORE_CALL(st, oauth_code_exchange, __VA_ARGS__)
