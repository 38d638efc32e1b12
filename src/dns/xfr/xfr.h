/* xfr.h -- Nameplate as a primary: zone transfers out (AXFR, RFC 5936; IXFR, RFC 1995),
 * NOTIFY out (RFC 1996), the transfer ACL and TSIG (RFC 8945), the catalog zone (RFC 9432).
 *
 * DESIGN. One xfr_t per dns role, made at start from the settings (transfer-allow, notify,
 * ixfr-history, catalog-zone). It learns of every published zone version from the
 * loader's hook (xfr_on_zone(), on the loader thread) and then:
 *   - attaches an IXFR journal to the new version (zdb_zone_set_ext()): the difference
 *     sequences from older serials, immutable and shared between versions. A version
 *     replacing one we saw gets the exact difference of the two (what a secondary holding
 *     the old one must change: RRsets compared node by node, the RRs ALIAS, URL and POOL
 *     answer with included); a zone first seen at start gets its history from the change
 *     log (store_change_history(): zone_changes rows, each an IXFR difference sequence).
 *     The history is bounded by ixfr-history rows per zone, trimmed in the store too, and
 *     by the zone's own size (past it, AXFR is cheaper);
 *   - queues a NOTIFY to every `notify` target, which a background thread sends over UDP
 *     with retries (1 s doubling, 5 tries), and logs failures per zone;
 *   - keeps the set of served zones for the catalog zone, which the same thread rebuilds
 *     and publishes when zones come and go.
 * The query side (dns/query calls xfr_answer() for AXFR and IXFR) reads only immutable
 * data: the zone version and its journal; a TCP transfer pins its version with a QSBR
 * reader of its own (xfr_out_t) for as long as it runs, so the workers go on passing
 * quiescent points between messages. TSIG keys come from the store (admin tsig-key); the
 * thread polls them every second and publishes an immutable keyring read lock-free, the
 * old one retired through the zone db's grace period.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "dns/zonedb/zonedb.h"
#include "store/store.h"

typedef struct xfr xfr_t;

/* The RRsets a node's ALIAS, URL and POOL records answer with (A, AAAA, CNAME), which a
 * secondary must hold instead of the pseudo-records (issue 6). Writes at most max RRsets
 * into out (owner = node->owner; rdata from mm, valid until the transfer message or
 * journal is built) and returns their number; only types the node has no RRset of. Runs
 * on a QSBR reader of db (a DNS worker or the loader thread). */
typedef size_t (*xfr_synth_fn)(void *ctx, const zdb_t *db, const zdb_node_t *node,
			       knot_rrset_t *out, size_t max, knot_mm_t *mm);

typedef struct xfr_conf {
	const char *transfer_allow; /* "CIDR[@key],...": who may transfer; "" = nobody */
	const char *notify;         /* "ADDR:PORT[@key],...": NOTIFY targets; "" = none */
	const char *catalog_zone;   /* name of the generated catalog zone; "" = none */
	unsigned ixfr_history;      /* change-log rows kept per zone (0 = no IXFR history) */
	const char *region;         /* this node's region (records of others are left out) */
	xfr_synth_fn synth;         /* NULL: nodes with ALIAS/URL/POOL transfer without them */
	void *synth_ctx;
} xfr_conf_t;

/* Parse the settings. Returns ERR_OK and *out (free with xfr_free()), or ERR_INVALID with
 * a message in err ("transfer-allow: '10.0.0.0/33' is not ADDR[/LEN][@KEY]"). st and db
 * are borrowed and must outlive it. Nothing runs until xfr_start(). */
int xfr_new(xfr_t **out, const xfr_conf_t *conf, store_t *st, zdb_t *db, char *err,
	    size_t errsize);
/* Set (or change, before xfr_start()) the synth hook. */
void xfr_set_synth(xfr_t *x, xfr_synth_fn synth, void *ctx);
/* The synth hook of a running dns role: ctx is its alias_t (dns/alias; NULL: nodes with
 * ALIAS and URL records transfer without addresses), the rules of dns/query's answers. */
size_t xfr_synth_alias(void *ctx, const zdb_t *db, const zdb_node_t *node, knot_rrset_t *out,
		       size_t max, knot_mm_t *mm);

/* Check the settings only (serve --check). */
int xfr_conf_check(const xfr_conf_t *conf, char *err, size_t errsize);
/* Load the TSIG keys and start the background thread (NOTIFY, catalog, trimming, key
 * polling). Returns ERR_OK, ERR_STORE or ERR_INTERNAL. */
int xfr_start(xfr_t *x);
/* The dns role answers now: NOTIFYs (queued since the start) may go out, as a secondary
 * that hears one asks at once. */
void xfr_set_serving(xfr_t *x);
/* Stop the thread and free everything; the DNS workers (which may hold the keyring) and
 * the loader must be stopped first. NULL does nothing. */
void xfr_free(xfr_t *x);

/* The loader's hook (zdb_loader_conf_t.on_zone, ctx = the xfr_t), on the loader thread:
 * a zone version was published (zone) or the zone was taken out (zone == NULL). */
void xfr_on_zone(void *ctx, const knot_dname_t *apex, const zdb_zone_t *zone);
/* Send NOTIFY for a zone now (its current serial), e.g. when what an ALIAS record answers
 * changed (alias_change_fn, ctx = the xfr_t). Any thread; never blocks. */
void xfr_notify_zone(void *ctx, const knot_dname_t *apex);

/* --- the query side (dns/query) ------------------------------------------------------- */

#define XFR_TSIG_NAME_MAX KNOT_DNAME_MAXLEN
#define XFR_TSIG_SECRET_MAX 128
#define XFR_TSIG_DIGEST_MAX 64

/* The TSIG state of one request and its answer (RFC 8945). Self-contained (the key is
 * copied in), so it may be copied by value, e.g. into a transfer that outlives the
 * query's quiescent point. */
typedef struct xfr_tsig {
	bool is_signed;             /* the request was signed with a key we have, and verified */
	uint16_t error;             /* TSIG error of the request: 0, BADSIG, BADKEY, BADTIME */
	uint64_t time_signed;       /* the request's Time Signed */
	uint8_t digest[XFR_TSIG_DIGEST_MAX]; /* the request's MAC, then our last one */
	size_t digest_size;
	unsigned count;             /* messages we signed so far */
	int algorithm;              /* dnssec_tsig_algorithm_t */
	char key_name[KNOT_DNAME_TXT_MAXLEN + 1]; /* for the ACL and logs, no final dot */
	uint8_t _name[XFR_TSIG_NAME_MAX];
	uint8_t _secret[XFR_TSIG_SECRET_MAX];
	size_t _secret_size;
} xfr_tsig_t;

/* Verify the TSIG of a request (wire[0..size) holds the whole message, its TSIG RR last).
 * Returns the RCODE: NOERROR with t->is_signed, NOTAUTH with t->error (BADKEY: no such
 * key, or x is NULL; BADSIG; BADTIME), FORMERR for a malformed message. mm is for
 * temporary memory (the query's). */
uint16_t xfr_tsig_verify(const xfr_t *x, const uint8_t *wire, size_t size, xfr_tsig_t *t,
			 knot_mm_t *mm);
/* Bytes an answer must keep free for our TSIG RR. */
size_t xfr_tsig_reserve(const xfr_tsig_t *t);
/* Sign an answer message (wire[0..*size), room up to max): the first with the request's
 * MAC (RFC 8945 4.2; with error BADTIME when that was the request's problem), the next
 * ones of a TCP answer as RFC 8945 5.3.1. Returns KNOT_EOK or a KNOT_E* code. */
int xfr_tsig_sign(xfr_tsig_t *t, uint8_t *wire, size_t *size, size_t max);

/* One AXFR or IXFR request, as the query layer parsed it. */
typedef struct xfr_request {
	const zdb_t *db;
	const knot_pkt_t *query;         /* parsed */
	const knot_dname_t *qname;       /* lowercase */
	const struct sockaddr *client;
	bool is_tcp;
	const xfr_tsig_t *tsig;          /* NULL: unsigned */
} xfr_request_t;

typedef struct xfr_out xfr_out_t;

/* Answer an AXFR or IXFR request: checks (zone, class, transfer-allow and the request's
 * key, IXFR's SOA) and the first message's RRs into pkt (answer section; room for OPT
 * and TSIG already reserved). Returns the RCODE (REFUSED for a zone we do not serve or a
 * client the ACL refuses, FORMERR for an IXFR without the client's SOA, SERVFAIL); with
 * NOERROR over TCP, *more may get the rest of the answer (free with xfr_out_free()).
 * Over UDP (IXFR only; AXFR over UDP never gets here) the whole answer is in pkt: the
 * difference sequences when they fit, else the SOA alone (RFC 1995 2). */
uint16_t xfr_answer(xfr_t *x, const xfr_request_t *req, knot_pkt_t *pkt, xfr_out_t **more);
/* The first message went out signed with t: the next ones continue its chain. */
void xfr_out_set_tsig(xfr_out_t *o, const xfr_tsig_t *t);
/* The next message of the answer into out (at most out_max bytes, at most 65535), or 0
 * when the answer is complete. Any thread, but one at a time. */
size_t xfr_out_next(xfr_out_t *o, uint8_t *out, size_t out_max);
/* End the transfer (complete or not: logged either way) and free it. NULL is fine. */
void xfr_out_free(xfr_out_t *o);
