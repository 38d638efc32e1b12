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
#include "model/contact.h"
#include "model/identity.h"
#include "model/zone.h"
#include "model/zone_import.h"

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

/* A page of a list: offset/limit plus the sort order, as the API parsed them. Sort
 * fields are the API's names; each backend maps them to columns and breaks ties by id. */
#define STORE_SORT_MAX 4
typedef struct store_list {
	int64_t offset;
	int64_t limit;
	int sort_count;
	const char *sort_fields[STORE_SORT_MAX];
	bool sort_desc[STORE_SORT_MAX];
} store_list_t;

/* Filters of the domain, zone and record lists. NULL/0 fields do not filter. */
typedef struct store_filter {
	const char *name_like;       /* substring of the name */
	bool has_name;               /* records: exact name ("" = the apex) */
	const char *name;
	const char *type;            /* records: exact type mnemonic */
	int64_t registrant_id;       /* domains */
	int64_t grant_user_id;       /* role limit: only names granted to this user ... */
	const char *grant_kind;      /* ... of this kind ("domain" or "zone") */
} store_filter_t;

/* One atomic change to a zone's records: deletes, then updates, then creates (the batch
 * order of content/v2/zones/batch-change-zone-records.md). The zone serial goes up once,
 * and the change-log and outbox rows commit with it. */
typedef struct store_change {
	const zone_t *zone;
	int64_t *deletes;            /* record ids */
	size_t delete_count;
	record_t *deleted;           /* out: the deleted records (arena) */
	int64_t *update_ids;
	const json_t **update_bodies;/* merged with the stored record inside the transaction */
	size_t update_count;
	record_t *updated;           /* out: the records as updated (arena) */
	record_t *creates;           /* in: validated records; out: ids and timestamps */
	size_t create_count;
	const char *const *allowed_regions;
	bool is_system_change;       /* updateZoneNsRecords: may touch apex NS records */
	const char *event;           /* outbox event, e.g. "record.create" */
	arena_t *arena;
	/* out */
	uint32_t serial;
	const char *fail_kind;       /* "deletes", "updates", "creates" */
	size_t fail_index;
	const char *fail_message;    /* e.g. "Record not found ID=12" */
	json_t *fail_errors;         /* field errors of the failed operation (owned) */
} store_change_t;

/* One row of the zone change log, as the DNS server follows it. */
typedef struct store_change_row {
	int64_t id;
	int64_t zone_id;
	const char *zone_name;
	uint32_t serial;
	const char *kind;            /* "records", "zone_created", "zone_deleted", ... */
} store_change_row_t;

/* A new domain (NULL for a zone without a domain) with its zone and system records. */
typedef struct store_zone_new {
	domain_t *domain;
	zone_t *zone;
	record_t *records;
	size_t record_count;
} store_zone_new_t;

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

	/* Contacts, always within one account. contact_delete answers ERR_CONFLICT when a
	 * domain uses the contact. */
	int (*contact_create)(store_t *st, contact_t *c);
	int (*contact_get)(store_t *st, arena_t *a, int64_t account_id, int64_t id, contact_t *out);
	int (*contact_list)(store_t *st, arena_t *a, int64_t account_id, const store_list_t *q,
			    contact_t **out, size_t *count, int64_t *total);
	int (*contact_update)(store_t *st, contact_t *c);
	int (*contact_delete)(store_t *st, int64_t account_id, int64_t id);

	/* Domains and zones, always within one account (account_id 0: any, for the DNS
	 * loader and the CLI). domain_get and zone_get take an id or a name. */
	int (*zone_create)(store_t *st, store_zone_new_t *z);
	int (*domain_get)(store_t *st, arena_t *a, int64_t account_id, const char *ref,
			  domain_t *out);
	int (*domain_list)(store_t *st, arena_t *a, int64_t account_id, const store_filter_t *f,
			   const store_list_t *q, domain_t **out, size_t *count, int64_t *total);
	/* Deletes the domain, its zone and records. */
	int (*domain_delete)(store_t *st, int64_t account_id, int64_t domain_id);
	int (*zone_get)(store_t *st, arena_t *a, int64_t account_id, const char *ref, zone_t *out);
	int (*zone_list)(store_t *st, arena_t *a, int64_t account_id, const store_filter_t *f,
			 const store_list_t *q, zone_t **out, size_t *count, int64_t *total);
	int (*zone_set_active)(store_t *st, int64_t account_id, int64_t zone_id, bool is_active,
			       zone_t *out);
	/* Deletes a zone that has no domain (a reverse zone). */
	int (*zone_delete)(store_t *st, int64_t account_id, int64_t zone_id);

	int (*record_get)(store_t *st, arena_t *a, const zone_t *zone, int64_t id, record_t *out);
	int (*record_list)(store_t *st, arena_t *a, const zone_t *zone, const store_filter_t *f,
			   const store_list_t *q, record_t **out, size_t *count, int64_t *total);
	/* Every record of a zone, by name and type (zone files, the DNS loader). */
	int (*record_all)(store_t *st, arena_t *a, const zone_t *zone, record_t **out,
			  size_t *count);
	/* ERR_INVALID with fail_* set when one operation is refused; nothing changes then. */
	int (*zone_change)(store_t *st, store_change_t *chg);

	/* For the DNS server. Every zone of every account. */
	int (*zone_all)(store_t *st, arena_t *a, zone_t **out, size_t *count);
	/* Stream a zone's records without copying: fn is called once per record, in one
	 * read transaction (a consistent version of the zone); *serial gets its serial. */
	int (*record_each)(store_t *st, int64_t zone_id, uint32_t *serial,
			   void (*fn)(void *ctx, const char *name, uint16_t type, uint32_t ttl,
				      const uint8_t *rdata, uint16_t size, const char *content,
				      const char *regions),
			   void *ctx);
	/* Change-log rows after id `after`, oldest first, at most `limit`. */
	int (*change_since)(store_t *st, arena_t *a, int64_t after, size_t limit,
			    store_change_row_t **out, size_t *count);
	/* The newest change-log id (0 when none). */
	int (*change_last)(store_t *st, int64_t *id);
	/* Called after every commit that changed a zone (in this process), from the
	 * committing thread: keep it short (wake someone). One hook per store. */
	void (*set_change_hook)(store_t *st, void (*fn)(void *ctx), void *ctx);
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
#define store_contact_create(st, ...)          STORE_CALL(st, contact_create, __VA_ARGS__)
#define store_contact_get(st, ...)             STORE_CALL(st, contact_get, __VA_ARGS__)
#define store_contact_list(st, ...)            STORE_CALL(st, contact_list, __VA_ARGS__)
#define store_contact_update(st, ...)          STORE_CALL(st, contact_update, __VA_ARGS__)
#define store_contact_delete(st, ...)          STORE_CALL(st, contact_delete, __VA_ARGS__)
#define store_zone_create(st, ...)             STORE_CALL(st, zone_create, __VA_ARGS__)
#define store_domain_get(st, ...)              STORE_CALL(st, domain_get, __VA_ARGS__)
#define store_domain_list(st, ...)             STORE_CALL(st, domain_list, __VA_ARGS__)
#define store_domain_delete(st, ...)           STORE_CALL(st, domain_delete, __VA_ARGS__)
#define store_zone_get(st, ...)                STORE_CALL(st, zone_get, __VA_ARGS__)
#define store_zone_list(st, ...)               STORE_CALL(st, zone_list, __VA_ARGS__)
#define store_zone_set_active(st, ...)         STORE_CALL(st, zone_set_active, __VA_ARGS__)
#define store_zone_delete(st, ...)             STORE_CALL(st, zone_delete, __VA_ARGS__)
#define store_record_get(st, ...)              STORE_CALL(st, record_get, __VA_ARGS__)
#define store_record_list(st, ...)             STORE_CALL(st, record_list, __VA_ARGS__)
#define store_record_all(st, ...)              STORE_CALL(st, record_all, __VA_ARGS__)
#define store_zone_change(st, ...)             STORE_CALL(st, zone_change, __VA_ARGS__)
#define store_zone_all(st, ...)                STORE_CALL(st, zone_all, __VA_ARGS__)
#define store_record_each(st, ...)             STORE_CALL(st, record_each, __VA_ARGS__)
#define store_change_since(st, ...)            STORE_CALL(st, change_since, __VA_ARGS__)
#define store_change_last(st, ...)             STORE_CALL(st, change_last, __VA_ARGS__)
#define store_set_change_hook(st, ...)         STORE_CALL(st, set_change_hook, __VA_ARGS__)

/* A zone file into a zone (import.c): see store_zone_import(). */
typedef struct store_import {
	arena_t *arena;
	int64_t account_id;
	const char *zone_name;
	const char *text;
	size_t len;
	bool may_create;             /* create a missing zone (and its domain) */
	const char *name_servers;    /* for a created zone's system records */
	const char *soa_rname;
	uint32_t system_ttl;
	uint32_t default_ttl;        /* for records when the file sets no TTL */
	/* out */
	bool is_created;
	zone_t zone;
	zone_import_t parsed;
	uint32_t serial;
	const char *message;         /* why it failed, for people (arena) */
} store_import_t;

/* Replace the zone's custom records with the file's, in one transaction; the zone's SOA
 * and apex NS stay. ERR_INVALID (message says why, with the line) changes nothing;
 * ERR_NOTFOUND when the zone is missing and may_create is false. */
int store_zone_import(store_t *st, store_import_t *imp);
