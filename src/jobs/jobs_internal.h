/* jobs_internal.h -- what the jobs role's files share. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dns/xfr/xfr_in.h"
#include "jobs/jobs.h"

/* xfr_apply.c: a parsed transfer into the store's apply request. The new zone is built
 * in memory first (the dns role's zone builder) and refused unless it would be served;
 * for IXFR the deltas are applied to the records we hold, and ERR_CONFLICT means a delta
 * removes an RR we do not hold (ask by AXFR). *why says why it was refused (arena). */
int xfr_apply_prepare(store_t *st, arena_t *a, const zone_t *zone, const xfr_in_t *x,
		      store_xfr_apply_t *out, const char **why);

/* catalog.c: the RFC 9432 consumer. */
typedef struct catalog catalog_t;
/* NULL when catalog-primary is empty; *ret ERR_INVALID for a bad setting. */
catalog_t *catalog_new(const conf_t *conf, store_t *st, const _Atomic bool *stop, int *ret);
void catalog_free(catalog_t *c);
/* Transfer the catalog if it changed and bring the member zones in step. Returns the
 * milliseconds until the next refresh. Runs on a worker thread. */
int64_t catalog_refresh(catalog_t *c);
/* Is this NOTIFY for the catalog zone from its primary? (no I/O, no lock needed) */
bool catalog_matches(const catalog_t *c, const knot_dname_t *zone, const struct sockaddr *from,
		     bool *is_from_primary);

/* rollover.c: the key rollover scheduler (one thread). rollover_free() stops it. */
typedef struct rollover rollover_t;
rollover_t *rollover_new(const conf_t *conf, store_t *st);
int rollover_start(rollover_t *r);
void rollover_free(rollover_t *r);

/* secondary.c helpers shared with catalog.c */
/* "ADDR:PORT" or "[ADDR6]:PORT" into ip (at least 64 bytes) and *port. */
int jobs_parse_addr(const char *s, char *ip, size_t ip_size, int *port);
/* Same IP address (ports ignored). */
bool jobs_same_ip(const struct sockaddr *a, const struct sockaddr *b);
