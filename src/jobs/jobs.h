/* jobs.h -- the jobs role: work that outlives a request. Today: the transfer worker of
 * Secondary DNS (pulling secondary zones from their primaries by AXFR and IXFR, on the
 * SOA timers and on NOTIFY), the catalog zone consumer (RFC 9432) and the DNSSEC key
 * rollover scheduler (rollover.c).
 *
 * jobs_new() makes the role without starting anything, so `nameplate serve` can hand it
 * to the dns role (NOTIFY) before either runs; jobs_start() starts its threads. Roles
 * share state only through the store: the API writes primaries and links, the worker
 * writes transfers, the dns role serves what the store holds.
 */
#pragma once

#include <sys/socket.h>

#include <libknot/libknot.h>

#include "core/conf.h"
#include "store/store.h"

typedef struct jobs jobs_t;

/* conf and st are borrowed and must outlive the role. Free with jobs_stop(). */
jobs_t *jobs_new(const conf_t *conf, store_t *st);
/* Start the threads. ERR_INVALID for a bad catalog-primary setting. */
int jobs_start(jobs_t *j);
/* Stop every thread (a transfer in flight ends within xfr-timeout) and free; NULL is fine. */
void jobs_stop(jobs_t *j);

/* A NOTIFY (RFC 1996) for zone (wire, any case) from `from`. Returns the DNS RCODE to
 * answer: NOERROR for a secondary zone of ours from the address of one of its primaries
 * (the zone is refreshed at once), NOTAUTH when we hold no such secondary zone, REFUSED
 * when the sender is not one of its primaries. Called by DNS workers: it takes the
 * worker's lock for a table lookup, never does I/O. ctx is the jobs_t. */
int jobs_notify(void *ctx, const knot_dname_t *zone, const struct sockaddr *from);
