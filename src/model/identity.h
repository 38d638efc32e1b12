/* identity.h -- users, accounts, memberships, tokens, OAuth apps: the structs and their rules. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct user {
	int64_t id;
	const char *email;
	const char *password_hash;  /* argon2id, libsodium's string form */
	const char *otp_secret;     /* base32 TOTP secret, NULL when 2FA is off */
	int64_t created_at, updated_at;
} user_t;

typedef struct account {
	int64_t id;
	const char *email;
	const char *name;
	const char *plan_identifier;
	int64_t created_at, updated_at;
} account_t;

/* Roles of a member in an account (content/index.md, Accounts). */
typedef enum {
	ROLE_OWNER = 0,
	ROLE_ADMIN,
	ROLE_DOMAIN_MANAGER, /* limited to the listed domains */
	ROLE_ZONE_OPERATOR,  /* limited to the records of the listed zones */
	ROLE_COUNT
} role_t;

typedef struct membership {
	int64_t account_id;
	int64_t user_id;
	role_t role;
	const char **domains;  /* for ROLE_DOMAIN_MANAGER, NULL-terminated */
	const char **zones;    /* for ROLE_ZONE_OPERATOR, NULL-terminated */
} membership_t;

typedef enum { TOKEN_ACCOUNT = 0, TOKEN_USER = 1 } token_kind_t;

typedef struct token {
	int64_t id;
	token_kind_t kind;
	int64_t account_id;    /* TOKEN_ACCOUNT */
	int64_t user_id;       /* TOKEN_USER */
	const char *name;
	const char *scopes;    /* space-separated scopes; NULL or "" = unscoped */
	int64_t oauth_app_id;  /* 0 unless issued through OAuth */
	int64_t created_at;
	int64_t revoked_at;    /* 0 while valid */
} token_t;

typedef struct oauth_app {
	int64_t id;
	const char *name;
	const char *client_id;
	const char *secret_hash; /* NULL for public clients */
	const char *redirect_uri;
	bool is_public;
	int64_t created_at;
} oauth_app_t;

typedef struct oauth_code {
	const char *code_hash;
	int64_t app_id;
	int64_t user_id;
	int64_t account_id;
	const char *redirect_uri;   /* as sent to /oauth/authorize, "" when absent */
	const char *state;
	const char *code_challenge; /* PKCE S256, "" when absent */
	int64_t expires_at;
	bool is_used;
} oauth_code_t;

/* "owner", "admin", "domain-manager", "zone-operator" (also "administrator", ...). */
int role_parse(const char *name, role_t *out);
const char *role_name(role_t role);

/* API bodies, field for field as fixtures/v2/api/whoami and accounts. */
json_t *account_to_json(const account_t *a);
json_t *user_to_json(const user_t *u);
