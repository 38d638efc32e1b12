/* load.h -- filling the zone db from the store, and keeping it in step with the store. */
#pragma once

#include "dns/zonedb/zonedb.h"
#include "store/store.h"

typedef struct zdb_loader zdb_loader_t;

/* Called on the loader thread after a zone is published (zone != NULL, valid during the
 * call) or taken out (zone == NULL); apex is lowercase wire. The ALIAS cache learns its
 * targets this way (dns/alias). */
typedef void (*zdb_loader_zone_fn)(void *ctx, const knot_dname_t *apex, const zdb_zone_t *zone);

/* How the loader signs zones that have DNSSEC enabled (load_sign.c). */
typedef struct zdb_sign_conf {
	const char *secret_path;    /* the deployment secret that opens the private keys */
	uint32_t rrsig_lifetime;    /* seconds a new signature is valid */
	uint32_t rrsig_refresh;     /* seconds before expiry a signature is made anew */
	unsigned threads;           /* signing threads for a whole zone */
} zdb_sign_conf_t;

typedef struct zdb_loader_conf {
	const char *region;      /* this node's region: records of other regions are left out */
	int poll_ms;             /* how often to look for changes from other processes */
	zdb_loader_zone_fn on_zone; /* NULL = none */
	void *on_zone_ctx;
	zdb_sign_conf_t sign;
} zdb_loader_conf_t;

/* Load every active zone now (a zone that cannot be built is logged and skipped), then
 * follow the change log in a thread: woken at once by commits in this process (the
 * store's change hook), and every poll_ms for commits of other processes. */
int zdb_loader_start(zdb_loader_t **out, zdb_t *db, store_t *st, const zdb_loader_conf_t *conf);
void zdb_loader_stop(zdb_loader_t *l);

/* Whether a record of these regions (comma-separated; NULL or "" = global) is served by a
 * node of this region: "global" records everywhere, others where the region is listed.
 * The IXFR history (dns/xfr) filters the change log's RRs by the same rule. */
bool zdb_loader_in_region(const char *regions, const char *region);

/* Sign z (built whole, not published) when its zone has DNSSEC enabled, keeping prev's
 * signatures where they still serve. ERR_OK: signed, *refresh_at is when the first
 * signature comes due (RRSIG time); ERR_NOTFOUND: DNSSEC is off (z untouched); other
 * errors: it cannot be signed (logged), so it must not be served. */
int zdb_load_sign(store_t *st, const zdb_sign_conf_t *conf, const char *zone_name,
		  zdb_zone_t *z, const zdb_zone_t *prev, uint32_t *refresh_at);

/* Build one zone from the store (NULL when it cannot be served; reason logged). */
zdb_zone_t *zdb_load_zone(store_t *st, const zone_t *zone, const char *region);
