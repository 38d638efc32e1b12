/* sqlite_internal.h -- what the SQLite backend's files share: connections and statements. */
#pragma once

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

/* Prepared statements kept per connection. Static SQL is keyed by its string's address
 * (open addressing): room for every statement the code has, several times over, since a
 * full table is a bug (sq_prepare panics rather than evict a statement a caller may hold).
 * SQL built at run time is keyed by text, searched linearly, evicted round-robin. */
#define SQ_STMT_CACHE 1024
#define SQ_DYN_CACHE 64

typedef struct sq_conn {
	sqlite3 *db;
	struct sq_conn *next;
	struct {
		const char *sql;   /* the static string's address is the key */
		sqlite3_stmt *stmt;
	} cache[SQ_STMT_CACHE];
	struct {
		char *sql;         /* built at run time (ORDER BY, filters): keyed by text */
		sqlite3_stmt *stmt;
	} dyn[SQ_DYN_CACHE];
	unsigned dyn_next;         /* round-robin victim when dyn is full */
} sq_conn_t;

typedef struct sq {
	char *path;
	bool is_sync_full;
	bool is_readonly;
	pthread_mutex_t lock;       /* guards idle */
	pthread_mutex_t write_lock; /* one writer per process; other processes wait in busy_timeout */
	sq_conn_t *idle;
	/* Group commit: writers queue their work; one of them (the leader) runs the whole
	 * queue in one transaction, one savepoint per job, and one fsync acknowledges all. */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct sq_job *q_head;
	struct sq_job **q_tail;
	bool is_leading;
	void (*change_hook)(void *ctx);
	void *change_hook_ctx;
} sq_t;

/* A connection for this call; give it back with sq_release(). NULL on failure. */
sq_conn_t *sq_acquire(store_t *st);
void sq_release(store_t *st, sq_conn_t *c);
/* A reset statement for a static SQL string, cached per connection. */
sqlite3_stmt *sq_prepare(sq_conn_t *c, const char *sql);
/* The same for SQL built at run time, cached by its text. */
sqlite3_stmt *sq_prepare_text(sq_conn_t *c, const char *sql);
/* Map a SQLite result code to ERR_*. Logs unexpected ones. */
int sq_err(sq_conn_t *c, int rc);
/* BEGIN IMMEDIATE under the process write lock; end with sq_commit or sq_rollback. */
int sq_begin(store_t *st, sq_conn_t *c);
int sq_commit(store_t *st, sq_conn_t *c);
void sq_rollback(store_t *st, sq_conn_t *c);
/* Run fn(c, arg) atomically in a write transaction: its changes commit when it returns
 * ERR_OK and are rolled back otherwise. Concurrent calls share one transaction and one
 * commit (group commit); each job still succeeds or fails alone. fn must not keep state
 * outside the database that a later failure of the shared commit would leave wrong:
 * its caller sees that failure as the return value. */
int sq_write(store_t *st, int (*fn)(sq_conn_t *c, void *arg), void *arg);

/* Bind parameters for a query; see sq_query(). */
typedef struct sq_bind {
	int64_t i[8];
	const char *t[8];
	unsigned is_text; /* bit n set: parameter n+1 is t[n], else i[n] */
	int count;
} sq_bind_t;
/* Read one row into element p. */
typedef void (*sq_read_fn)(arena_t *a, sqlite3_stmt *s, void *p);
/* Run a query; rows become an arena array of elem_size elements in *out, their number
 * in *count. With want_one, zero rows is ERR_NOTFOUND and only the first row is read. */
int sq_query(store_t *st, arena_t *a, const char *sql, const sq_bind_t *b, sq_read_fn read,
	     size_t elem_size, bool want_one, void *out, size_t *count);

/* One API sort field and the column (expression) it orders by. */
typedef struct sq_sort_col {
	const char *field;
	const char *column;
} sq_sort_col_t;

/* A list page: "SELECT <cols> FROM <from> WHERE <where> ORDER BY <sort...>, <tiebreak>
 * LIMIT ? OFFSET ?" and its count. b binds the WHERE's parameters (the first ones);
 * limit and offset are bound after them. */
typedef struct sq_list_query {
	const char *cols;
	const char *from;
	const char *where;
	const sq_sort_col_t *sorts;   /* ended by a NULL field */
	const char *tiebreak;         /* e.g. "id" */
	const sq_bind_t *bind;
	sq_read_fn read;
	size_t elem_size;
	const char *count_sql;        /* the total another way (same binds); NULL = count(*) */
	/* Set: rows are not read into an array but handed to each(each_ctx, s) as they are
	 * stepped (read and elem_size unused, *out NULL). */
	void (*each)(void *ctx, sqlite3_stmt *s);
	void *each_ctx;
} sq_list_query_t;
int sq_list(store_t *st, arena_t *a, const sq_list_query_t *lq, const store_list_t *page,
	    void *out, size_t *count, int64_t *total);

/* A zones row from ZONE_COLS' first eleven columns (q_zones.c) into a zone_t. */
void sq_read_zone(arena_t *a, sqlite3_stmt *s, void *p);

/* Run one statement to completion (no rows expected). */
int sq_step_done(sq_conn_t *c, sqlite3_stmt *s);
/* Column text copied into the arena; NULL for SQL NULL. */
const char *sq_text(arena_t *a, sqlite3_stmt *s, int col);
void sq_bind_text(sqlite3_stmt *s, int idx, const char *v);

/* Operations, by file. */
int sq_migrate(store_t *st, int *applied);
int sq_schema_version(store_t *st, int *version);

int sq_is_empty(store_t *st, bool *is_empty);
int sq_bootstrap(store_t *st, store_bootstrap_t *b);
int sq_user_create(store_t *st, user_t *u);
int sq_user_get(store_t *st, arena_t *a, int64_t id, user_t *out);
int sq_user_get_by_email(store_t *st, arena_t *a, const char *email, user_t *out);
int sq_user_set_otp(store_t *st, int64_t id, const char *otp_secret);
int sq_user_list(store_t *st, arena_t *a, user_t **out, size_t *count);
int sq_account_create(store_t *st, account_t *acc);
int sq_account_get(store_t *st, arena_t *a, int64_t id, account_t *out);
int sq_account_list(store_t *st, arena_t *a, account_t **out, size_t *count);
int sq_account_list_for_user(store_t *st, arena_t *a, int64_t user_id, account_t **out,
			     size_t *count);
int sq_membership_put(store_t *st, const membership_t *m);
int sq_membership_get(store_t *st, arena_t *a, int64_t account_id, int64_t user_id,
		      membership_t *out);
int sq_membership_list(store_t *st, arena_t *a, int64_t account_id, membership_t **out,
		       size_t *count);
int sq_membership_remove(store_t *st, int64_t account_id, int64_t user_id);
int sq_token_create(store_t *st, token_t *t, const char *digest);
int sq_token_get_by_digest(store_t *st, arena_t *a, const char *digest, token_t *out);
int sq_token_list(store_t *st, arena_t *a, token_t **out, size_t *count);
int sq_token_revoke(store_t *st, int64_t id, int64_t now);
int sq_oauth_app_create(store_t *st, oauth_app_t *app);
int sq_oauth_app_get_by_client_id(store_t *st, arena_t *a, const char *client_id,
				  oauth_app_t *out);
int sq_oauth_app_list(store_t *st, arena_t *a, oauth_app_t **out, size_t *count);
int sq_oauth_code_create(store_t *st, const oauth_code_t *code);
int sq_oauth_code_get(store_t *st, arena_t *a, const char *code_hash, oauth_code_t *out);
int sq_oauth_code_exchange(store_t *st, const char *code_hash, token_t *t,
			   const char *token_digest);

int sq_contact_create(store_t *st, contact_t *c);
int sq_contact_get(store_t *st, arena_t *a, int64_t account_id, int64_t id, contact_t *out);
int sq_contact_list(store_t *st, arena_t *a, int64_t account_id, const store_list_t *q,
		    contact_t **out, size_t *count, int64_t *total);
int sq_contact_update(store_t *st, contact_t *c);
int sq_contact_delete(store_t *st, int64_t account_id, int64_t id);

int sq_zone_create(store_t *st, store_zone_new_t *z);
int sq_domain_get(store_t *st, arena_t *a, int64_t account_id, const char *ref, domain_t *out);
int sq_domain_list(store_t *st, arena_t *a, int64_t account_id, const store_filter_t *f,
		   const store_list_t *q, domain_t **out, size_t *count, int64_t *total);
int sq_domain_delete(store_t *st, int64_t account_id, int64_t domain_id);
int sq_zone_get(store_t *st, arena_t *a, int64_t account_id, const char *ref, zone_t *out);
int sq_zone_list(store_t *st, arena_t *a, int64_t account_id, const store_filter_t *f,
		 const store_list_t *q, zone_t **out, size_t *count, int64_t *total);
int sq_zone_set_active(store_t *st, int64_t account_id, int64_t zone_id, bool is_active,
		       zone_t *out);
int sq_zone_delete(store_t *st, int64_t account_id, int64_t zone_id);
int sq_record_get(store_t *st, arena_t *a, const zone_t *zone, int64_t id, record_t *out);
int sq_record_list(store_t *st, arena_t *a, const zone_t *zone, const store_filter_t *f,
		   const store_list_t *q, record_t **out, size_t *count, int64_t *total);
int sq_record_list_each(store_t *st, const zone_t *zone, const store_filter_t *f,
			const store_list_t *q, int64_t *total,
			void (*fn)(void *ctx, const record_t *r), void *ctx);
int sq_record_all(store_t *st, arena_t *a, const zone_t *zone, record_t **out, size_t *count);
int sq_zone_change(store_t *st, store_change_t *chg);
int sq_zone_all(store_t *st, arena_t *a, zone_t **out, size_t *count);
int sq_zone_touch(store_t *st, const char *zone_name, uint32_t *serial);
int sq_record_each_touched(store_t *st, int64_t zone_id, int64_t after, uint32_t *serial,
			   void (*fn)(void *ctx, const char *name, uint16_t type, uint32_t ttl,
				      const uint8_t *rdata, uint16_t size, const char *content,
				      const char *regions),
			   void *ctx);
int sq_record_each(store_t *st, int64_t zone_id, uint32_t *serial,
		   void (*fn)(void *ctx, const char *name, uint16_t type, uint32_t ttl,
			      const uint8_t *rdata, uint16_t size, const char *content,
			      const char *regions),
		   void *ctx);
int sq_change_since(store_t *st, arena_t *a, int64_t after, size_t limit,
		    store_change_row_t **out, size_t *count);
int sq_change_last(store_t *st, int64_t *id);
void sq_set_change_hook(store_t *st, void (*fn)(void *ctx), void *ctx);
int sq_url_target(store_t *st, arena_t *a, const char *host, const char **content,
		  uint32_t *ttl);

int sq_primary_create(store_t *st, store_primary_t *p);
int sq_primary_get(store_t *st, arena_t *a, int64_t account_id, int64_t id, store_primary_t *out);
int sq_primary_list(store_t *st, arena_t *a, int64_t account_id, const store_list_t *q,
		    store_primary_t **out, size_t *count, int64_t *total);
int sq_primary_delete(store_t *st, int64_t account_id, int64_t id);
int sq_primary_link(store_t *st, int64_t account_id, int64_t primary_id, int64_t zone_id,
		    bool is_link);
int sq_secondary_create(store_t *st, store_zone_new_t *z, const char *catalog,
			const char *catalog_id);
int sq_secondary_list(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
		      store_secondary_t **out, size_t *count);
int sq_secondary_is_served(store_t *st, int64_t zone_id, bool *is_served);
int sq_secondary_apply(store_t *st, const store_xfr_apply_t *x);
int sq_secondary_mark(store_t *st, int64_t zone_id, store_secondary_mark_t mark,
		      const char *error, int64_t now);

int sq_analytics_add(store_t *st, store_analytics_add_t *add);
int sq_analytics_query(store_t *st, arena_t *a, int64_t account_id,
		       const store_analytics_query_t *q, store_analytics_row_t **out,
		       size_t *count, int64_t *total);

int sq_tsig_key_create(store_t *st, store_tsig_key_t *k);
int sq_tsig_key_get(store_t *st, arena_t *a, const char *name, store_tsig_key_t *out);
int sq_tsig_key_list(store_t *st, arena_t *a, store_tsig_key_t **out, size_t *count);
int sq_tsig_key_delete(store_t *st, const char *name);
int sq_change_history(store_t *st, arena_t *a, int64_t zone_id, size_t limit,
		      store_change_row_t **out, size_t *count);
int sq_change_trim(store_t *st, int64_t zone_id, size_t keep);

int sq_dnssec_get(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
		  zone_dnssec_t *out);
int sq_dnssec_enable(store_t *st, store_dnssec_enable_t *en);
int sq_dnssec_disable(store_t *st, const zone_t *zone, zone_dnssec_t *out, uint32_t *serial);
int sq_dnssec_keys(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
		   zone_key_t **out, size_t *count);
int sq_dnssec_zones(store_t *st, arena_t *a, store_dnssec_zone_t **out, size_t *count);
int sq_dnssec_rekey(store_t *st, store_dnssec_rekey_t *rk);
int sq_ds_create(store_t *st, int64_t account_id, ds_record_t *r);
int sq_ds_get(store_t *st, arena_t *a, int64_t account_id, int64_t domain_id, int64_t id,
	      ds_record_t *out);
int sq_ds_list(store_t *st, arena_t *a, int64_t account_id, int64_t domain_id,
	       const store_list_t *q, ds_record_t **out, size_t *count, int64_t *total);
int sq_ds_delete(store_t *st, int64_t account_id, int64_t domain_id, int64_t id);

/* Inside an open transaction on c: the insert half of the operations above. */
/* Raise the zone's serial (to max(serial + 1, now)), rewrite its SOA record, and write the
 * change-log row (removed/added: JSON arrays of RRs, taken) and the outbox row (payload
 * taken; NULL event = none). *serial gets the new serial. */
int sq_zone_commit_change(sq_conn_t *c, int64_t zone_id, const char *kind, json_t *removed,
			  json_t *added, int64_t account_id, const char *event, json_t *payload,
			  uint32_t *serial);
/* The change-log form of a record: {"name": fqdn, "type", "ttl", "rdata" hex | "content"}. */
json_t *sq_record_rr_json(const record_t *r);
int sq_insert_record(sq_conn_t *c, record_t *r);
int sq_insert_user(sq_conn_t *c, user_t *u);
int sq_insert_account(sq_conn_t *c, account_t *acc);
int sq_insert_membership(sq_conn_t *c, const membership_t *m);
int sq_insert_token(sq_conn_t *c, token_t *t, const char *digest);
