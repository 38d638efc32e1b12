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
#include "model/dnssec.h"
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
	const char *removed;         /* change_history only (else NULL): the RRs as JSON, */
	const char *added;           /* [{"name","type","ttl","rdata"|"content"}], SOA first */
} store_change_row_t;

/* A TSIG key (RFC 8945) for zone transfers and NOTIFY (q_xfr.c). */
typedef struct store_tsig_key {
	int64_t id;
	const char *name;            /* a domain name, lowercase, without the final dot */
	const char *algorithm;       /* "hmac-sha256" or "hmac-sha512" */
	const char *secret;          /* base64 */
	int64_t created_at;
} store_tsig_key_t;

/* A new domain (NULL for a zone without a domain) with its zone and system records. */
typedef struct store_zone_new {
	domain_t *domain;
	zone_t *zone;
	record_t *records;
	size_t record_count;
} store_zone_new_t;

/* Secondary DNS (q_secondary.c): primary servers, their links to secondary zones, and the
 * transfer state of each secondary zone. */
typedef struct store_primary {
	int64_t id;
	int64_t account_id;
	const char *name;
	const char *ip;
	int64_t port;
	const char *tsig_key;        /* extension: TSIG key name, NULL = unsigned transfers */
	const char *catalog;         /* made by the catalog consumer for this catalog, or NULL */
	const char **zones;          /* out: names of the linked secondary zones (arena) */
	size_t zone_count;
	int64_t created_at, updated_at;
} store_primary_t;

/* A secondary zone as the transfer worker sees it. */
typedef struct store_secondary {
	zone_t zone;
	bool has_serial;             /* false: nothing transferred yet */
	uint32_t serial;             /* the primary's SOA serial of the data we hold */
	uint32_t refresh, retry, expire; /* from that SOA (RFC 1035 3.3.13) */
	int64_t last_ok_at;          /* a primary last confirmed our data (0 = never) */
	bool is_expired;             /* past expire: not served */
	bool is_refresh_now;         /* new or newly linked: refresh at once */
	int64_t last_attempt_at;
	const char *last_error;      /* NULL after a success */
	int64_t last_error_at;
	const char *catalog;         /* the catalog zone it is a member of (RFC 9432), or NULL */
	const char *catalog_id;      /* its unique label there */
	store_primary_t *primaries;  /* linked primaries, oldest link first */
	size_t primary_count;
} store_secondary_t;

/* One IXFR delta (RFC 1995 4): the RRs removed (old SOA first) and added (new SOA first). */
typedef struct store_xfr_delta {
	uint32_t serial;             /* the serial this delta leads to */
	record_t *removed;
	size_t removed_count;
	record_t *added;
	size_t added_count;
} store_xfr_delta_t;

/* A transfer's result, applied in one transaction: AXFR replaces every record of the zone
 * (SOA and NS included) with records[]; IXFR applies deltas[] in order. Either way the
 * zone's serial becomes the primary's, last_transferred_at is set, the error is cleared,
 * and the change log gets a 'zone_replaced' row (AXFR) or one 'records' row per delta. */
typedef struct store_xfr_apply {
	int64_t zone_id;
	bool is_full;
	record_t *records;           /* AXFR */
	size_t count;
	store_xfr_delta_t *deltas;   /* IXFR */
	size_t delta_count;
	uint32_t serial, refresh, retry, expire; /* the new SOA's */
	int64_t now;
} store_xfr_apply_t;

typedef enum {
	STORE_SECONDARY_OK = 1,      /* a primary has our serial: timers restart, error cleared */
	STORE_SECONDARY_FAILED,      /* every primary failed: error kept, data untouched */
	STORE_SECONDARY_EXPIRED,     /* expire passed: stop serving */
} store_secondary_mark_t;

/* DNS analytics (q_analytics.c): query counts per zone, UTC day and DNS node. */
typedef struct store_analytics_count {
	int64_t zone_id;
	uint64_t volume;
} store_analytics_count_t;

/* One flush of the dns role's counters: (zone, date, node) += volume for each count, in
 * one transaction. Each row keeps the zone's account and name, so a zone deleted later
 * keeps its name in the data; a zone already deleted is found through its earlier rows,
 * and a zone deleted before it was ever flushed is dropped (counted in `dropped`). */
typedef struct store_analytics_add {
	const char *date;            /* "YYYY-MM-DD", UTC */
	const char *node;            /* the DNS node's name */
	const char *region;          /* the DNS node's region */
	const store_analytics_count_t *counts;
	size_t count;
	size_t dropped;              /* out */
} store_analytics_add_t;

/* A page of queryDnsAnalytics: volumes summed over the groupings, within one account. */
typedef struct store_analytics_query {
	const char *start_date;      /* inclusive, "YYYY-MM-DD" */
	const char *end_date;        /* inclusive */
	bool by_zone;                /* group by zone name */
	bool by_date;                /* group by date */
	const store_filter_t *filter;/* role limit (grant_user_id, grant_kind), or NULL */
	/* sort fields "zone_name", "date", "volume"; ungrouped fields are ignored; ties and
	 * the default order: date, then zone name */
	store_list_t page;
} store_analytics_query_t;

typedef struct store_analytics_row {
	const char *zone_name;       /* NULL unless by_zone */
	const char *date;            /* NULL unless by_date */
	int64_t volume;
} store_analytics_row_t;

/* Enable DNSSEC on a zone (q_dnssec.c), in one transaction: the state row, the keys
 * (already generated and sealed), a new serial, a 'dnssec' change-log row and the
 * dnssec.create outbox row. A zone already enabled changes nothing (was_enabled). */
typedef struct store_dnssec_enable {
	const zone_t *zone;          /* the zone, as read by the caller (account, id, JSON) */
	zone_dnssec_policy_t policy;
	zone_key_t *keys;            /* in: role, algorithm, flags, keytag, dnskey, sealed, */
	size_t key_count;            /*     timing; out: id, zone_id */
	/* out */
	zone_dnssec_t state;
	bool was_enabled;
	uint32_t serial;
} store_dnssec_enable_t;

/* A zone with DNSSEC enabled, as the rollover scheduler (jobs/rollover.c) sees it. */
typedef struct store_dnssec_zone {
	int64_t zone_id;
	int64_t account_id;
	int64_t domain_id;           /* 0 for a zone without a domain */
	const char *name;
	zone_dnssec_policy_t policy;
	uint32_t soa_ttl;            /* the SOA's TTL (the signer gives it to DNSKEY) */
	uint32_t max_ttl;            /* the largest TTL of the zone's records */
} store_dnssec_zone_t;

/* One step of a key rollover (model/rollover.h) in one transaction: a key added, or one
 * key's role and timing changed, or one key deleted; then a new serial and a 'dnssec'
 * change-log row, so every dns role signs the zone again. No webhook event (the contract
 * has none for it). The step was planned on the keys `planned` (oldest first): when the
 * zone's keys differ from them now (id, role, retire, remove), nothing is written and the
 * answer is ERR_CONFLICT; ERR_STATE when DNSSEC is no longer enabled. */
typedef struct store_dnssec_rekey {
	int64_t zone_id;
	int64_t account_id;
	const zone_key_t *planned;
	size_t planned_count;
	zone_key_t *add;             /* with its sealed key, or NULL; out: id, zone_id */
	const zone_key_t *change;    /* by id: role and timing, or NULL */
	int64_t delete_id;           /* or 0 */
	uint32_t serial;             /* out */
} store_dnssec_rekey_t;

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
	/* The same page with no array: each record goes to fn(ctx, r) as it is read, its
	 * strings and rdata borrowed from the store until fn returns. *total is set first. */
	int (*record_list_each)(store_t *st, const zone_t *zone, const store_filter_t *f,
				const store_list_t *q, int64_t *total,
				void (*fn)(void *ctx, const record_t *r), void *ctx);
	/* Every record of a zone, by name and type (zone files, the DNS loader). */
	int (*record_all)(store_t *st, arena_t *a, const zone_t *zone, record_t **out,
			  size_t *count);
	/* ERR_INVALID with fail_* set when one operation is refused; nothing changes then. */
	int (*zone_change)(store_t *st, store_change_t *chg);

	/* A new serial for a primary zone whose answers changed without a record change (an
	 * ALIAS target's addresses): secondaries then transfer the new answers. ERR_NOTFOUND
	 * for unknown and secondary zones. */
	int (*zone_touch)(store_t *st, const char *zone_name, uint32_t *serial);

	/* For the DNS server. Every zone of every account. */
	int (*zone_all)(store_t *st, arena_t *a, zone_t **out, size_t *count);
	/* Stream a zone's records without copying: fn is called once per record, in one
	 * read transaction (a consistent version of the zone); *serial gets its serial. */
	int (*record_each)(store_t *st, int64_t zone_id, uint32_t *serial,
			   void (*fn)(void *ctx, const char *name, uint16_t type, uint32_t ttl,
				      const uint8_t *rdata, uint16_t size, const char *content,
				      const char *regions),
			   void *ctx);
	/* The records now at the names that a zone's change-log rows after id `after` touched
	 * (the RRs they removed and added), in one read transaction, for patching the zone in
	 * memory: fn once with type 0 and no data per touched name (relative, "" for the
	 * apex), then once per record at it, as record_each. *serial gets the zone's serial.
	 * ERR_CONFLICT when a row after `after` is not a record change (a zone replaced,
	 * (de)activated ...): read the whole zone instead. */
	int (*record_each_touched)(store_t *st, int64_t zone_id, int64_t after, uint32_t *serial,
				   void (*fn)(void *ctx, const char *name, uint16_t type,
					      uint32_t ttl, const uint8_t *rdata, uint16_t size,
					      const char *content, const char *regions),
				   void *ctx);
	/* Change-log rows after id `after`, oldest first, at most `limit`. */
	int (*change_since)(store_t *st, arena_t *a, int64_t after, size_t limit,
			    store_change_row_t **out, size_t *count);
	/* The newest change-log id (0 when none). */
	int (*change_last)(store_t *st, int64_t *id);
	/* Called after every commit that changed a zone (in this process), from the
	 * committing thread: keep it short (wake someone). One hook per store. */
	void (*set_change_hook)(store_t *st, void (*fn)(void *ctx), void *ctx);

	/* For the redirect role. The URL record that answers for host (lowercase, no
	 * trailing dot): in the active zone that is the host's longest suffix, at the
	 * host's name or, when that name does not exist, at the wildcard of its closest
	 * encloser (RFC 4592). *content (arena) and *ttl get its content and TTL;
	 * ERR_NOTFOUND when there is none. */
	int (*url_target)(store_t *st, arena_t *a, const char *host, const char **content,
			  uint32_t *ttl);
	/* Secondary DNS (q_secondary.c), always within one account where one is given. */
	int (*primary_create)(store_t *st, store_primary_t *p);
	int (*primary_get)(store_t *st, arena_t *a, int64_t account_id, int64_t id,
			   store_primary_t *out);
	int (*primary_list)(store_t *st, arena_t *a, int64_t account_id, const store_list_t *q,
			    store_primary_t **out, size_t *count, int64_t *total);
	int (*primary_delete)(store_t *st, int64_t account_id, int64_t id);
	/* Link (or unlink) a secondary zone of the account; ERR_INVALID when the zone is not
	 * secondary. Linking asks the worker to refresh the zone at once. */
	int (*primary_link)(store_t *st, int64_t account_id, int64_t primary_id, int64_t zone_id,
			    bool is_link);
	/* A new secondary zone (and its domain unless z->domain is NULL), no records, in one
	 * transaction with its transfer state (catalog and catalog_id may be NULL). */
	int (*secondary_create)(store_t *st, store_zone_new_t *z, const char *catalog,
				const char *catalog_id);
	/* Every secondary zone (account_id 0) or one (zone_id), with state and primaries. */
	int (*secondary_list)(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
			      store_secondary_t **out, size_t *count);
	/* false when a secondary zone must not be served (expired, or never transferred). */
	int (*secondary_is_served)(store_t *st, int64_t zone_id, bool *is_served);
	/* All or nothing; ERR_CONFLICT when an IXFR delta removes an RR we do not have. */
	int (*secondary_apply)(store_t *st, const store_xfr_apply_t *x);
	/* Record an outcome (error: for FAILED; NULL otherwise). */
	int (*secondary_mark)(store_t *st, int64_t zone_id, store_secondary_mark_t mark,
			      const char *error, int64_t now);
	/* DNS analytics (q_analytics.c): see store_analytics_add_t, store_analytics_query_t.
	 * analytics_query always answers one row when nothing is grouped (the total). */
	int (*analytics_add)(store_t *st, store_analytics_add_t *add);
	int (*analytics_query)(store_t *st, arena_t *a, int64_t account_id,
			       const store_analytics_query_t *q, store_analytics_row_t **out,
			       size_t *count, int64_t *total);

	/* Zone transfers out (q_xfr.c). TSIG keys by name: create (ERR_CONFLICT when the
	 * name is taken), get, list (by name), delete (ERR_NOTFOUND). */
	int (*tsig_key_create)(store_t *st, store_tsig_key_t *k);
	int (*tsig_key_get)(store_t *st, arena_t *a, const char *name, store_tsig_key_t *out);
	int (*tsig_key_list)(store_t *st, arena_t *a, store_tsig_key_t **out, size_t *count);
	int (*tsig_key_delete)(store_t *st, const char *name);
	/* The newest `limit` change-log rows of one zone with their RRs (removed, added),
	 * oldest first: the IXFR history. */
	int (*change_history)(store_t *st, arena_t *a, int64_t zone_id, size_t limit,
			      store_change_row_t **out, size_t *count);
	/* Delete a zone's change-log rows but the newest `keep` (at least 1: other DNS
	 * processes learn of the zone's last change from it). */
	int (*change_trim)(store_t *st, int64_t zone_id, size_t keep);

	/* DNSSEC (q_dnssec.c), within one account (account_id 0: any, for the DNS role).
	 * dnssec_get: ERR_NOTFOUND when the zone never had DNSSEC. dnssec_disable: deletes
	 * the zone's keys, keeps the row with enabled 0, bumps the serial, change-log and
	 * dnssec.delete rows; ERR_STATE when it is not enabled. dnssec_keys: the zone's keys,
	 * oldest first (sealed private keys included: only keys.c opens them). */
	int (*dnssec_get)(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
			  zone_dnssec_t *out);
	int (*dnssec_enable)(store_t *st, store_dnssec_enable_t *en);
	int (*dnssec_disable)(store_t *st, const zone_t *zone, zone_dnssec_t *out,
			      uint32_t *serial);
	int (*dnssec_keys)(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
			   zone_key_t **out, size_t *count);
	/* Every zone with DNSSEC enabled (any account), by zone id; and one rollover step
	 * (store_dnssec_rekey_t). */
	int (*dnssec_zones)(store_t *st, arena_t *a, store_dnssec_zone_t **out, size_t *count);
	int (*dnssec_rekey)(store_t *st, store_dnssec_rekey_t *rk);
	/* Delegation signer records of a domain of the account; ERR_NOTFOUND for an id that
	 * is not the domain's. Sort fields "id", "created_at". */
	int (*ds_create)(store_t *st, int64_t account_id, ds_record_t *r);
	int (*ds_get)(store_t *st, arena_t *a, int64_t account_id, int64_t domain_id, int64_t id,
		      ds_record_t *out);
	int (*ds_list)(store_t *st, arena_t *a, int64_t account_id, int64_t domain_id,
		       const store_list_t *q, ds_record_t **out, size_t *count, int64_t *total);
	int (*ds_delete)(store_t *st, int64_t account_id, int64_t domain_id, int64_t id);
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
#define store_record_list_each(st, ...)        STORE_CALL(st, record_list_each, __VA_ARGS__)
#define store_record_all(st, ...)              STORE_CALL(st, record_all, __VA_ARGS__)
#define store_zone_change(st, ...)             STORE_CALL(st, zone_change, __VA_ARGS__)
#define store_zone_all(st, ...)                STORE_CALL(st, zone_all, __VA_ARGS__)
#define store_zone_touch(st, ...)              STORE_CALL(st, zone_touch, __VA_ARGS__)
#define store_record_each(st, ...)             STORE_CALL(st, record_each, __VA_ARGS__)
#define store_record_each_touched(st, ...)     STORE_CALL(st, record_each_touched, __VA_ARGS__)
#define store_change_since(st, ...)            STORE_CALL(st, change_since, __VA_ARGS__)
#define store_change_last(st, ...)             STORE_CALL(st, change_last, __VA_ARGS__)
#define store_set_change_hook(st, ...)         STORE_CALL(st, set_change_hook, __VA_ARGS__)
#define store_url_target(st, ...)              STORE_CALL(st, url_target, __VA_ARGS__)

#define store_primary_create(st, ...)          STORE_CALL(st, primary_create, __VA_ARGS__)
#define store_primary_get(st, ...)             STORE_CALL(st, primary_get, __VA_ARGS__)
#define store_primary_list(st, ...)            STORE_CALL(st, primary_list, __VA_ARGS__)
#define store_primary_delete(st, ...)          STORE_CALL(st, primary_delete, __VA_ARGS__)
#define store_primary_link(st, ...)            STORE_CALL(st, primary_link, __VA_ARGS__)
#define store_secondary_create(st, ...)        STORE_CALL(st, secondary_create, __VA_ARGS__)
#define store_secondary_list(st, ...)          STORE_CALL(st, secondary_list, __VA_ARGS__)
#define store_secondary_is_served(st, ...)     STORE_CALL(st, secondary_is_served, __VA_ARGS__)
#define store_secondary_apply(st, ...)         STORE_CALL(st, secondary_apply, __VA_ARGS__)
#define store_secondary_mark(st, ...)          STORE_CALL(st, secondary_mark, __VA_ARGS__)

#define store_analytics_add(st, ...)           STORE_CALL(st, analytics_add, __VA_ARGS__)
#define store_analytics_query(st, ...)         STORE_CALL(st, analytics_query, __VA_ARGS__)

#define store_tsig_key_create(st, ...)         STORE_CALL(st, tsig_key_create, __VA_ARGS__)
#define store_tsig_key_get(st, ...)            STORE_CALL(st, tsig_key_get, __VA_ARGS__)
#define store_tsig_key_list(st, ...)           STORE_CALL(st, tsig_key_list, __VA_ARGS__)
#define store_tsig_key_delete(st, ...)         STORE_CALL(st, tsig_key_delete, __VA_ARGS__)
#define store_change_history(st, ...)          STORE_CALL(st, change_history, __VA_ARGS__)
#define store_change_trim(st, ...)             STORE_CALL(st, change_trim, __VA_ARGS__)

#define store_dnssec_get(st, ...)              STORE_CALL(st, dnssec_get, __VA_ARGS__)
#define store_dnssec_enable(st, ...)           STORE_CALL(st, dnssec_enable, __VA_ARGS__)
#define store_dnssec_disable(st, ...)          STORE_CALL(st, dnssec_disable, __VA_ARGS__)
#define store_dnssec_keys(st, ...)             STORE_CALL(st, dnssec_keys, __VA_ARGS__)
#define store_dnssec_zones(st, ...)            STORE_CALL(st, dnssec_zones, __VA_ARGS__)
#define store_dnssec_rekey(st, ...)            STORE_CALL(st, dnssec_rekey, __VA_ARGS__)
#define store_ds_create(st, ...)               STORE_CALL(st, ds_create, __VA_ARGS__)
#define store_ds_get(st, ...)                  STORE_CALL(st, ds_get, __VA_ARGS__)
#define store_ds_list(st, ...)                 STORE_CALL(st, ds_list, __VA_ARGS__)
#define store_ds_delete(st, ...)               STORE_CALL(st, ds_delete, __VA_ARGS__)

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
