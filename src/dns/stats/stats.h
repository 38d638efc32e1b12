/* stats.h -- per-zone query counters of the dns role (DNS analytics): counted by each
 * worker thread without locks, summed and written to the store by a flusher thread.
 *
 * A worker registers once with stats_worker_add() and then calls stats_count() after each
 * answer; the flusher (stats_flusher_start(), flush.c) adds the counts since its last
 * flush to the store's (zone, UTC day, node) rows every `analytics-flush-seconds` and
 * once more when it stops. The design is in stats.c. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dns/zonedb/zonedb.h"
#include "store/store.h"

typedef struct stats stats_t;
typedef struct stats_worker stats_worker_t;

/* The counters of one dns role. Free with stats_free(), after every worker that counts
 * into it has stopped and the flusher is stopped. */
stats_t *stats_new(void);
void stats_free(stats_t *s);

/* A counter table for the calling worker thread, owned by s (freed by stats_free(), so
 * its last counts survive the thread). Takes a mutex: call once at thread start, never
 * on the query path. NULL s: NULL (counting off). */
stats_worker_t *stats_worker_add(stats_t *s);

/* Count one answered query in zone (NULL: a question outside every zone, not counted).
 * Only the thread that made w may call it; no locks, no atomic read-modify-write, and a
 * heap allocation only when the table grows (the first sight of a zone past the table's
 * half). NULL w: nothing. */
void stats_count(stats_worker_t *w, const zdb_zone_t *zone);
/* The same by the zone's store id (ids <= 0 are not counted). */
void stats_count_id(stats_worker_t *w, int64_t zone_id);

/* The counts of every zone since the last stats_commit(), summed over the workers, for
 * the flusher: *out is an array of *count {zone_id, volume} (no volume is zero); free() it.
 * Reads the workers' tables while they count. Until stats_commit(), a later collect
 * reports these queries again (with the new ones): a flush that fails loses nothing.
 * Collectors are serialized. */
void stats_collect(stats_t *s, store_analytics_count_t **out, size_t *count);
/* The last stats_collect() reached the store: its counts are the new baseline. */
void stats_commit(stats_t *s);

/* --- the flusher (flush.c) ----------------------------------------------------------- */

typedef struct stats_flusher stats_flusher_t;

typedef struct stats_flusher_conf {
	const char *node;        /* this node's name; NULL or "" = the host name */
	const char *region;      /* this node's region */
	unsigned flush_seconds;  /* at least this often (and at each UTC midnight); 0 = 60 */
} stats_flusher_conf_t;

/* Add s's counts to the store now, in one transaction, as (zone, date, node) rows; date
 * is "YYYY-MM-DD". On success the counts are committed (stats_commit()); on failure they
 * stay for the next flush. Returns ERR_OK or the store's error. */
int stats_flush(stats_t *s, store_t *st, const char *date, const char *node,
		const char *region);

/* Start the flusher thread. s and st are borrowed and must outlive it; conf is copied. */
int stats_flusher_start(stats_flusher_t **out, stats_t *s, store_t *st,
			const stats_flusher_conf_t *conf);
/* Flush one last time, stop the thread, free it. Call after the workers have stopped
 * (their last counts are in the final flush) and before the store closes. NULL: nothing. */
void stats_flusher_stop(stats_flusher_t *f);
