/* xfr_internal.h -- what the files of dns/xfr share: the ACL, the keyring, the journal,
 * NOTIFY, the catalog, and the xfr_t itself. */
#pragma once

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "dns/xfr/xfr.h"

#define XFR_ADDR_TEXT 64      /* "[ffff:...:ffff]:65535" */
#define XFR_KEY_TEXT (KNOT_DNAME_TXT_MAXLEN + 1)
#define XFR_LIST_MAX 64       /* rules in transfer-allow, targets in notify */

/* --- acl.c: transfer-allow and notify ------------------------------------------------ */

/* One transfer-allow rule: an address block, and the key a request must be signed with
 * ("" = any request from the block, signed or not). */
typedef struct acl_rule {
	int family;                    /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;               /* bits that must match */
	char key[XFR_KEY_TEXT];        /* lowercase, no final dot; "" = none */
} acl_rule_t;

/* One NOTIFY target. */
typedef struct notify_target {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[XFR_ADDR_TEXT];      /* as given, for logs */
	char key[XFR_KEY_TEXT];        /* "" = unsigned */
} notify_target_t;

/* "CIDR[@key],..." (CIDR: ADDR, ADDR/LEN, IPv6 with or without brackets). Returns ERR_OK
 * and a heap array (free()) in *out, or ERR_INVALID with a message in err. */
int acl_parse(const char *text, acl_rule_t **out, size_t *count, char *err, size_t errsize);
/* Whether a request from client, signed with key_name (NULL = unsigned), may transfer. */
bool acl_allows(const acl_rule_t *rules, size_t count, const struct sockaddr *client,
		const char *key_name);
/* "ADDR:PORT[@key],..." (IPv6 as [ADDR]:PORT). Same contract as acl_parse(). */
int targets_parse(const char *text, notify_target_t **out, size_t *count, char *err,
		  size_t errsize);
/* A key name as the ACL keeps it: lowercase, no final dot. false when too long. */
bool acl_key_norm(const char *in, size_t len, char out[XFR_KEY_TEXT]);
/* "ADDR:PORT" of a socket address. */
void xfr_addr_format(const struct sockaddr *sa, char *out, size_t size);

/* --- tsig.c: the keyring ------------------------------------------------------------ */

typedef struct keyring_key {
	knot_dname_t name[KNOT_DNAME_MAXLEN];  /* lowercase wire */
	char text[XFR_KEY_TEXT];               /* lowercase, no final dot */
	int algorithm;                         /* dnssec_tsig_algorithm_t */
	uint8_t secret[XFR_TSIG_SECRET_MAX];
	size_t secret_size;
} keyring_key_t;

/* Immutable once published. */
typedef struct keyring {
	size_t count;
	keyring_key_t keys[];
} keyring_t;

/* "hmac-sha256" or "hmac-sha512" as a dnssec_tsig_algorithm_t; DNSSEC_TSIG_UNKNOWN (0)
 * for anything else. */
int xfr_tsig_algorithm(const char *name);
/* Every key of the store into a new keyring (free()). Keys that do not decode are
 * logged and left out. Returns ERR_OK or the store's error. */
int keyring_load(store_t *st, keyring_t **out);
bool keyring_equal(const keyring_t *a, const keyring_t *b);
/* The key of this name (lowercase text, no final dot), or NULL. */
const keyring_key_t *keyring_find_text(const keyring_t *k, const char *name);
/* Fill t's key from k (for signing NOTIFY and transfers). */
void tsig_from_key(xfr_tsig_t *t, const keyring_key_t *k);
/* t's key as libknot wants it (pointers into t; valid while t is not moved). */
void tsig_key_view(const xfr_tsig_t *t, knot_tsig_key_t *key);

/* --- journal.c: IXFR difference sequences -------------------------------------------- */

/* The RRsets of a node as it transfers: its own (the apex SOA aside: diffs and transfers
 * place it themselves) and what its pseudo-records answer with, sorted by type. */
#define SYNTH_MAX 4      /* RRsets a node's pseudo-records stand for */
#define VIEW_MAX 512     /* RRsets of one node */
typedef struct view {
	const knot_rrset_t *sets[VIEW_MAX + 2 * SYNTH_MAX];
	size_t count;
	knot_rrset_t synth[SYNTH_MAX];
	knot_rrset_t synth_sigs[SYNTH_MAX]; /* AXFR of a signed zone: their RRSIGs (axfr.c) */
} view_t;

/* What view_fill() needs to synthesize: the hook and memory for its rdata. */
typedef struct synth_ctx {
	const zdb_t *db;
	xfr_synth_fn fn;
	void *ctx;
	arena_t mem;        /* synthesized rdata; reset by the caller per node */
	knot_mm_t mm;
} synth_ctx_t;

void synth_init(synth_ctx_t *sc, const zdb_t *db, xfr_synth_fn fn, void *ctx);
/* v = node n as it transfers; synthesized rdata in sc->mem. */
void view_fill(view_t *v, const zdb_node_t *n, synth_ctx_t *sc);

/* RFC 1982 serial arithmetic: a is older than b. */
bool xfr_serial_lt(uint32_t a, uint32_t b);

/* One difference sequence (RFC 1995 4): from serial `from` to `to`, the RRs removed (the
 * old SOA first) then the RRs added (the new SOA first), as records in data (see
 * diff_rr_next()). Immutable and shared between journals (refs). */
typedef struct xfr_diff {
	_Atomic unsigned refs;
	uint32_t from, to;
	size_t removed;              /* RRs removed, the SOA included */
	size_t added;
	size_t size;                 /* bytes of data */
	uint8_t *data;
} xfr_diff_t;

/* One RR of a diff, pointing into its data. */
typedef struct diff_rr {
	const knot_dname_t *owner;
	uint16_t type;
	uint32_t ttl;
	const knot_rdata_t *rdata;
} diff_rr_t;

/* Read the RR at data + *pos and move *pos past it. false at the end. */
bool diff_rr_next(const xfr_diff_t *d, size_t *pos, diff_rr_t *rr);
void diff_unref(xfr_diff_t *d);

/* A zone version's history: diffs oldest first, each ending where the next starts, the
 * last ending at the version's serial. Immutable; freed with its zone version. */
typedef struct xfr_journal {
	size_t count;
	size_t rr_total;             /* RRs in all diffs: bounded by the zone's size */
	xfr_diff_t *diffs[];
} xfr_journal_t;

void journal_free(void *j);
/* Another journal with the same diffs (shared); NULL for NULL or empty. */
xfr_journal_t *journal_copy(const xfr_journal_t *j);
/* The index of the diff that starts at serial `from`, or -1. */
long journal_find(const xfr_journal_t *j, uint32_t from);

/* The limits of one zone's journal. */
typedef struct journal_limits {
	size_t max_diffs;            /* ixfr-history */
	size_t max_rrs;              /* RRs in all diffs */
} journal_limits_t;

/* The exact difference between two versions of a zone (what a secondary holding old must
 * change to hold new), the RRs synth makes for ALIAS/URL/POOL nodes included. NULL when
 * the serials do not go forward (RFC 1982) or the versions are the same. *zone_rrs gets
 * the RR count of new (for the limits). */
xfr_diff_t *diff_zones(const zdb_zone_t *old, const zdb_zone_t *new, const zdb_t *db,
		       xfr_synth_fn synth, void *synth_ctx, size_t *zone_rrs);
/* One change-log row as a diff: ERR_OK and *out; ERR_INVALID when the row cannot be one
 * (another kind than "records", a pseudo-record whose answer the row does not carry,
 * malformed JSON or rdata, no SOA first). RRs of records not served in `region` are left
 * out, as the loader leaves them out. */
int diff_from_row(const store_change_row_t *row, const char *region, xfr_diff_t **out);
/* The journal of a zone first seen: the longest unbroken run of rows (oldest first)
 * that ends at the zone's serial; NULL when there is none. */
xfr_journal_t *journal_from_rows(const store_change_row_t *rows, size_t count,
				 uint32_t serial, const char *region,
				 const journal_limits_t *lim);
/* old's diffs (NULL = none) and d (taken), cut to the limits; NULL when nothing is left. */
xfr_journal_t *journal_append(const xfr_journal_t *old, xfr_diff_t *d,
			      const journal_limits_t *lim);

/* --- axfr.c, ixfr.c: one transfer answer -------------------------------------------- */

typedef enum { OUT_SOA, OUT_AXFR, OUT_IXFR } out_mode_t;
typedef enum { PH_SOA_FIRST, PH_BODY, PH_SOA_LAST, PH_DONE } out_phase_t;

struct xfr_out {
	xfr_t *x;
	zdb_t *db;
	zdb_reader_t *pin;          /* TCP: keeps zone (and its journal) alive; NULL over UDP */
	const zdb_zone_t *zone;
	const xfr_journal_t *journal;
	out_mode_t mode;
	out_phase_t phase;
	/* AXFR: the node, RRset and RR to put next; then a signed zone's NSEC3 RRs */
	size_t node;
	size_t nsec3;
	size_t set;
	uint16_t rr;
	bool has_view;
	view_t *view;
	synth_ctx_t synth;
	zsign_policy_t sign_policy; /* signed zone: signs synthesized RRsets (made when needed) */
	zsign_ctx_t *sign;
	uint8_t *edit;              /* signed zone: per chain index, what the transfer changes
				     * in that NSEC3 (axfr.c); NULL: nothing */
	bool has_empty;             /* an edit says EMPTY: find which names are left out */
	/* IXFR: the diff and the position in it */
	size_t diff;
	size_t pos;
	/* the next messages: a copy of the question, the TSIG chain */
	uint8_t *qwire;
	knot_pkt_t *q;
	bool has_tsig;
	xfr_tsig_t tsig;
	arena_t mem;                /* one message's packet arrays */
	knot_mm_t mm;
	/* for the log */
	const char *what;           /* "AXFR", "IXFR" */
	char zone_text[KNOT_DNAME_TXT_MAXLEN + 1];
	char client[XFR_ADDR_TEXT];
	uint32_t from, serial;
	unsigned messages;
	size_t bytes;
	int64_t started_us;
	bool has_failed;
};

/* A transfer of zone (found through db by the caller, which must keep it alive until
 * out_pin() or the end of the query) in mode. */
xfr_out_t *out_new(xfr_t *x, const xfr_request_t *req, const zdb_zone_t *zone, out_mode_t mode);
/* Put RRs into pkt until the answer ends (KNOT_EOK) or pkt is full (KNOT_ESPACE); any other
 * code: the answer cannot go on. */
int out_fill(xfr_out_t *o, knot_pkt_t *pkt);
/* The AXFR body: every node but the apex SOA (axfr.c). */
int axfr_body(xfr_out_t *o, knot_pkt_t *pkt);
/* The IXFR body: the diffs from o->diff on (ixfr.c). */
int ixfr_body(xfr_out_t *o, knot_pkt_t *pkt);
/* One RR into pkt: KNOT_EOK, KNOT_ESPACE when it does not fit. */
int out_put(knot_pkt_t *pkt, const knot_dname_t *owner, uint16_t type, uint32_t ttl,
	    const knot_rdata_t *rd);

/* --- notify.c ------------------------------------------------------------------------ */

typedef struct notify notify_t;

/* targets borrowed (the xfr_t's). Returns NULL when the socket cannot be made. */
notify_t *notify_new(const notify_target_t *targets, size_t count);
void notify_free(notify_t *n);
/* The sockets to poll for answers (1 or 2). */
size_t notify_fds(const notify_t *n, int fds[2]);
/* Queue a NOTIFY of zone apex (serial, SOA RR rdata for the answer section: may be NULL)
 * to every target, replacing one in flight for the same zone and target. */
void notify_queue(notify_t *n, const knot_dname_t *apex, uint32_t serial,
		  const knot_rdata_t *soa, uint32_t soa_ttl);
/* Read answers, send what is due, give up on what has failed; keys for signing come
 * from k. Returns ms until something is due (-1 = nothing pending). */
int notify_run(notify_t *n, const keyring_t *k, int64_t now_ms);
/* NOTIFYs in flight or queued. */
size_t notify_pending(const notify_t *n);

/* --- catalog.c ----------------------------------------------------------------------- */

/* The catalog zone (RFC 9432, version 2) listing members[0..count) (lowercase wire),
 * with this serial; NULL when it cannot be built (logged). */
zdb_zone_t *catalog_build(const knot_dname_t *apex, const knot_dname_t *const *members,
			  size_t count, uint32_t serial);
/* The member's unique label: hex of the first 20 bytes of SHA-256 of its lowercase wire
 * name (stable: the same zone keeps its label). out holds 41 bytes. */
void catalog_member_label(const knot_dname_t *member, char out[41]);

/* --- xfr.c ---------------------------------------------------------------------------- */

/* A served zone as xfr knows it. */
typedef struct zentry {
	struct zentry *next;         /* hash chain */
	knot_dname_t *apex;          /* heap */
	int64_t zone_id;
	const zdb_zone_t *zone;      /* the version last published (loader thread only) */
	unsigned untrimmed;          /* changes since the change log was last trimmed */
} zentry_t;

struct xfr {
	store_t *st;
	zdb_t *db;
	acl_rule_t *acl;
	size_t acl_count;
	notify_target_t *targets;
	size_t target_count;
	knot_dname_t catalog[KNOT_DNAME_MAXLEN];
	bool has_catalog;
	unsigned history;
	char *region;
	xfr_synth_fn synth;
	void *synth_ctx;
	_Atomic(keyring_t *) keys;
	_Atomic int64_t denied_log_ms; /* rate limit of "transfer refused" lines */

	pthread_mutex_t lock;        /* everything below */
	zentry_t **buckets;
	size_t bucket_count;
	size_t zone_count;
	bool is_catalog_dirty;
	struct pending_trim {
		int64_t zone_id;
		size_t keep;
	} *trims;
	size_t trim_count, trim_cap;
	struct pending_notify {
		knot_dname_t *apex;      /* heap */
	} *notifies;
	size_t notify_count, notify_cap;

	/* the background thread */
	pthread_t thread;
	bool is_started;
	atomic_bool is_stopping;
	atomic_bool is_serving;      /* the DNS sockets are bound: NOTIFY may go out */
	int wake_fd;                 /* eventfd */
	notify_t *notify;
	const zdb_zone_t *catalog_zone; /* the version we published last (thread only) */
	uint32_t catalog_serial;
};

/* Wake the background thread. */
void xfr_wake(xfr_t *x);
