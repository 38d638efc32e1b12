/* flush.c -- the analytics flusher: a thread that adds the workers' counts to the store.
 *
 * DESIGN. The thread sleeps until the next flush (`analytics-flush-seconds`) or the next
 * UTC midnight, whichever comes first, then collects the counts (stats_collect) and adds
 * them in one store transaction to the (zone, date, node) rows, dated by the UTC day on
 * which the interval began. No interval runs past a midnight, so counts land on the day
 * they were made, give or take the thread's wake-up latency at midnight. If it wakes a
 * little early (the monotonic and the wall clock drift apart), the next interval is just
 * a few milliseconds long. A failed write is logged and its counts stay for the next
 * flush (then dated by that flush's interval). Stopping flushes one last time, after the
 * workers have stopped, so a clean shutdown loses nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/stats/stats.h"

#define NS_PER_S INT64_C(1000000000)
#define NS_PER_DAY (86400 * NS_PER_S)

struct stats_flusher {
	stats_t *stats;            /* borrowed */
	store_t *st;               /* borrowed */
	char *node;
	char *region;
	int64_t interval_ns;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* CLOCK_MONOTONIC */
	bool is_stopping;
	bool has_failed;           /* the last flush failed: log the next success */
};

int stats_flush(stats_t *s, store_t *st, const char *date, const char *node,
		const char *region)
{
	store_analytics_add_t add = { .date = date, .node = node, .region = region };
	store_analytics_count_t *counts = NULL;
	stats_collect(s, &counts, &add.count);
	add.counts = counts;
	int ret = add.count > 0 ? store_analytics_add(st, &add) : ERR_OK;
	if (ret == ERR_OK) {
		stats_commit(s);
		if (add.dropped > 0) {
			log_debug("dns analytics, %zu counts of zones deleted before their first "
				  "flush dropped", add.dropped);
		}
	}
	free(counts);
	return ret;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Sleep ns or until stop; true when stopping. */
static bool nap(stats_flusher_t *f, int64_t ns)
{
	int64_t until = clock_ns(CLOCK_MONOTONIC) + ns;
	struct timespec ts = { .tv_sec = until / NS_PER_S, .tv_nsec = until % NS_PER_S };
	pthread_mutex_lock(&f->lock);
	while (!f->is_stopping && pthread_cond_timedwait(&f->cond, &f->lock, &ts) != ETIMEDOUT) {
	}
	bool is_stopping = f->is_stopping;
	pthread_mutex_unlock(&f->lock);
	return is_stopping;
}

static void flush_interval(stats_flusher_t *f, int64_t since_ns)
{
	char date[11];
	time_iso_date(since_ns / NS_PER_S, date);
	int ret = stats_flush(f->stats, f->st, date, f->node, f->region);
	if (ret != ERR_OK && !f->has_failed) {
		log_err("dns analytics, flush failed (%s); counts kept for the next flush",
			err_str(ret));
	} else if (ret == ERR_OK && f->has_failed) {
		log_info("dns analytics, flush succeeded again");
	}
	f->has_failed = ret != ERR_OK;
}

static void *run(void *arg)
{
	stats_flusher_t *f = arg;
	int64_t since = clock_ns(CLOCK_REALTIME); /* the start of the interval */
	bool is_last = false;
	while (!is_last) {
		int64_t now = clock_ns(CLOCK_REALTIME);
		int64_t to_midnight = (now / NS_PER_DAY + 1) * NS_PER_DAY - now;
		is_last = nap(f, to_midnight < f->interval_ns ? to_midnight : f->interval_ns);
		int64_t next = clock_ns(CLOCK_REALTIME);
		flush_interval(f, since);
		since = next;
	}
	return NULL;
}

int stats_flusher_start(stats_flusher_t **out, stats_t *s, store_t *st,
			const stats_flusher_conf_t *conf)
{
	stats_flusher_t *f = xcalloc(1, sizeof(*f));
	f->stats = s;
	f->st = st;
	char host[256] = "localhost";
	if (conf->node == NULL || *conf->node == '\0') {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0') {
			snprintf(host, sizeof(host), "localhost");
		}
		host[sizeof(host) - 1] = '\0';
	}
	f->node = xstrdup(conf->node != NULL && *conf->node != '\0' ? conf->node : host);
	f->region = xstrdup(conf->region != NULL ? conf->region : "global");
	f->interval_ns = (int64_t)(conf->flush_seconds > 0 ? conf->flush_seconds : 60) * NS_PER_S;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	int ret = pthread_create(&f->thread, NULL, run, f);
	if (ret != 0) {
		log_err("dns analytics, cannot start the flusher (%s)", strerror(ret));
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->lock);
		free(f->node);
		free(f->region);
		free(f);
		return -ret;
	}
	log_info("dns analytics, counting as node %s (region %s), flushed every %lld s", f->node,
		 f->region, (long long)(f->interval_ns / NS_PER_S));
	*out = f;
	return ERR_OK;
}

void stats_flusher_stop(stats_flusher_t *f)
{
	if (f == NULL) {
		return;
	}
	pthread_mutex_lock(&f->lock);
	f->is_stopping = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f->node);
	free(f->region);
	free(f);
}
