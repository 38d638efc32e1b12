/* alias.h -- what ALIAS and URL records answer: ALIAS targets' addresses (from our zones,
 * or from upstream resolvers through a cache refreshed in the background) and the
 * redirector's addresses.
 *
 * DESIGN. An ALIAS target inside the hosted zones is answered from the zone db at query
 * time (alias_resolve() follows CNAME, ALIAS and URL links through our zones, at most 16
 * steps). Where that chain leaves our data (a name in no hosted zone, or below a zone
 * cut), the name is external and its A and AAAA RRsets come from the cache: an
 * open-addressing table of entries, one per external name, each holding two immutable
 * answers (A, AAAA) behind atomic pointers. DNS workers read the table and the answers
 * without locks or allocation; a new answer replaces the old with one pointer swap, the
 * old one (and an old table or a forgotten entry) is freed through the zone db's QSBR
 * grace period (zdb_retire()), since the workers are its readers already.
 *
 * One refresher thread owns every write. The loader tells it (alias_on_zone()) which
 * ALIAS targets each zone has; the thread follows each through the zone db (it is a
 * QSBR reader itself) to find the external names, adds an entry for each and resolves
 * it at once, then again at 75% of the answer's TTL, so queries never wait on an
 * upstream. Upstream queries go to the `resolver` servers in turn, built and parsed with
 * libknot, over UDP with a timeout and over TCP when truncated. When every upstream
 * fails the last good answer stays (RFC 8767 serve-stale: answered with TTL 30 once it
 * has expired, for at most a day past its expiry), retried with backoff (1 s doubling
 * to 60 s), and the failure is logged (at most once per 10 s). A full sweep over every
 * zone's targets (once a second at most after a zone changes, every minute otherwise)
 * finds names no ALIAS leads to any more; they are forgotten after 10 minutes unused.
 * Without resolvers, external targets have entries with no answer (NODATA) and one
 * warning is logged. Finding due entries is a scan of the table: fine for tens of
 * thousands of targets; a timer heap would be the next step past that.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "dns/zonedb/zonedb.h"

typedef struct alias alias_t;

/* Called on the refresher thread when the addresses behind an external ALIAS target
 * change (or first arrive), once per zone whose ALIAS records lead there: the hook for
 * sending NOTIFY to secondaries (zone transfers carry ALIAS answers). apex is lowercase
 * wire. Runs with the cache's lock held: it must not call alias_*() and
 * should only queue work. Changes of internal targets come with their zone's own change
 * (the loader), so they need no hook here. */
typedef void (*alias_change_fn)(void *ctx, const knot_dname_t *apex);

typedef struct alias_conf {
	const char *resolvers;      /* "IP[:port],[IPv6]:port,IPv6,..." (port 53 when
				     * absent); NULL or "" = none: external targets answer
				     * NODATA */
	const char *redirect;       /* the redirect role's addresses (IPv4 and IPv6,
				     * comma-separated): what URL records answer; NULL or
				     * "" = none */
	unsigned timeout_ms;        /* per upstream server and batch; 0 = 1500 */
	alias_change_fn on_change;  /* NULL = none */
	void *on_change_ctx;
} alias_conf_t;

/* Parse the settings and make an idle cache over db (borrowed; it must outlive the
 * cache). Returns ERR_OK and *out (free with alias_free()), or ERR_INVALID with a
 * message in err for a bad address ("resolver: '...' is not IP[:port]"). */
int alias_new(alias_t **out, const alias_conf_t *conf, zdb_t *db, char *err, size_t errsize);
/* Start the refresher thread. Returns ERR_OK or ERR_INTERNAL. */
int alias_start(alias_t *a);
/* Stop the thread and free everything. The DNS workers must be stopped first (they may
 * hold answers). NULL does nothing. */
void alias_free(alias_t *a);

/* The loader's hook (zdb_loader_conf_t.on_zone, ctx = the alias_t): a zone was published
 * (zone) or taken out (zone == NULL). Copies the zone's ALIAS targets and wakes the
 * thread; cheap, never blocks on an upstream. */
void alias_on_zone(void *ctx, const knot_dname_t *apex, const zdb_zone_t *zone);

/* --- query side: lock-free, allocation-free; results valid until the caller's next
 * QSBR quiescent point --------------------------------------------------------------- */

/* The A or AAAA RRset (type) that an ALIAS target answers, or NULL (NODATA: the target
 * has none, is not resolved yet, or cannot be). Follows the target through the zones of
 * db (CNAME, ALIAS, URL; at most 16 steps), then the cache. *ttl comes in as the ALIAS
 * record's TTL and goes out lowered to every TTL on the way: min(ALIAS TTL, target TTL).
 * The RRset's owner is meaningless: the caller puts it under its own name. a may be
 * NULL (no cache: external targets are NULL). */
const knot_rrset_t *alias_resolve(const alias_t *a, const zdb_t *db, const knot_dname_t *target,
				  uint16_t type, uint32_t *ttl);
/* The cached A or AAAA RRset of an external name (lowercase wire), or NULL; *ttl = the
 * time it has left (RFC 8767: 30 s once expired and served stale). */
const knot_rrset_t *alias_lookup(const alias_t *a, const knot_dname_t *name, uint16_t type,
				 uint32_t *ttl);
/* The redirector's A or AAAA RRset (TTL 0: the caller sets the URL record's), or NULL
 * when there is no address of that family (or a is NULL). */
const knot_rrset_t *alias_redirect(const alias_t *a, uint16_t type);

/* --- writer side ------------------------------------------------------------------------ */

/* Publish an answer for an external name as if the upstream had given it: rrs (copied;
 * empty = the name has no such RRset) valid for ttl seconds. The refresher does this
 * after each resolution; tests use it without a thread. Not concurrently with a running
 * refresher thread. */
void alias_set(alias_t *a, const knot_dname_t *name, uint16_t type, const knot_rdataset_t *rrs,
	       uint32_t ttl);
/* Number of external names cached. */
size_t alias_count(const alias_t *a);
