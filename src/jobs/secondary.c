/* secondary.c -- the transfer worker: every secondary zone pulled from its primaries on
 * the SOA timers (RFC 1035 3.3.13, RFC 1996 on NOTIFY), AXFR first, then IXFR.
 *
 * DESIGN. One scheduler thread and xfr-workers transfer threads (Knot's zone events, with
 * the store as the timer database). Every tick (500 ms, or at once on NOTIFY) the
 * scheduler reads the secondary zones from the store, keeps a table of them sorted by id
 * (their timers, whether one is being transferred, the primaries' addresses for NOTIFY),
 * expires the zones whose primaries have been silent past SOA expire, and queues the due
 * ones. A transfer thread refreshes one zone: it asks each linked primary in turn, IXFR
 * when we hold data (a primary whose serial is not newer answers with its SOA only), AXFR
 * otherwise or when IXFR is refused, inconsistent or not served; the result goes to the
 * store in one transaction (q_secondary.c) or nothing does. The outcome sets the zone's
 * next refresh: SOA refresh after a success, SOA retry after a failure, both within
 * [xfr-refresh-min, xfr-refresh-max]. The timers that must survive a restart (the last
 * success, hence expire) are the store's; the rest is recomputed from them.
 *
 * NOTIFY arrives on DNS worker threads (jobs_notify): a lookup in the table under the
 * lock, a flag, a signal. That lock is held only for table operations, never for I/O.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sbuf.h"
#include "core/timeutil.h"
#include "jobs/jobs_internal.h"

#define TICK_MS 500
#define SZ_MAX_ADDRS 8            /* primaries' addresses kept for NOTIFY, per zone */
#define QUEUE_CATALOG (-1)
#define RETRY_NO_DATA 10          /* s between attempts while a zone has no SOA yet */
#define TOTAL_PER_TIMEOUT 60      /* a whole transfer may take this many xfr-timeouts */

typedef struct sz {
	int64_t id;
	knot_dname_t apex[KNOT_DNAME_MAXLEN]; /* lowercase */
	struct sockaddr_storage addrs[SZ_MAX_ADDRS];
	size_t addr_count;
	int64_t next_ms;              /* monotonic ms of the next refresh */
	bool is_busy;                 /* queued or being transferred */
	bool is_notified;
} sz_t;

struct jobs {
	const conf_t *conf;
	store_t *st;
	catalog_t *catalog;
	rollover_t *rollover;         /* the key rollover scheduler (rollover.c) */
	int catalog_ret;              /* why catalog_new() refused the settings */
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* the scheduler's */
	pthread_cond_t work;          /* the transfer threads' */
	sz_t *zones;                  /* sorted by id */
	size_t count;
	int64_t *queue;
	size_t queue_count, queue_cap;
	bool is_woken;
	bool cat_busy, cat_notified;
	int64_t cat_next_ms;
	_Atomic bool is_stopping;
	bool is_started;
	pthread_t sched;
	pthread_t *workers;
	size_t worker_count;
};

/* --- small helpers shared with catalog.c --------------------------------------------- */

int jobs_parse_addr(const char *s, char *ip, size_t ip_size, int *port)
{
	const char *colon = NULL, *host = s;
	size_t len = 0;
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':') {
			return ERR_INVALID;
		}
		host = s + 1;
		len = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			return ERR_INVALID;
		}
		len = (size_t)(colon - s);
	}
	char *end = NULL;
	long p = strtol(colon + 1, &end, 10);
	if (len == 0 || len >= ip_size || end == colon + 1 || *end != '\0' || p < 1 || p > 65535) {
		return ERR_INVALID;
	}
	memcpy(ip, host, len);
	ip[len] = '\0';
	*port = (int)p;
	xfr_peer_t peer;
	return xfr_peer_set(&peer, ip, *port);
}

/* The IPv4 address inside an IPv4-mapped IPv6 one (RFC 4291 2.5.5.2), else NULL. */
static const uint8_t *v4_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return IN6_IS_ADDR_V4MAPPED(a6) ? a6->s6_addr + 12 : NULL;
}

bool jobs_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if ((a->sa_family != AF_INET && a->sa_family != AF_INET6) ||
	    (b->sa_family != AF_INET && b->sa_family != AF_INET6)) {
		return false;
	}
	const uint8_t *a4 = v4_of(a), *b4 = v4_of(b);
	if (a4 != NULL || b4 != NULL) {
		return a4 != NULL && b4 != NULL && memcmp(a4, b4, 4) == 0;
	}
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* --- timers -------------------------------------------------------------------------- */

static int64_t clamp_refresh(const jobs_t *j, int64_t s)
{
	if (s < j->conf->xfr_refresh_min) {
		s = j->conf->xfr_refresh_min;
	}
	return s > j->conf->xfr_refresh_max ? j->conf->xfr_refresh_max : s;
}

static int64_t expire_of(const jobs_t *j, const store_secondary_t *x)
{
	return x->expire > j->conf->xfr_expire_min ? x->expire : j->conf->xfr_expire_min;
}

/* Seconds to the next refresh after a failure. */
static int64_t retry_of(const jobs_t *j, const store_secondary_t *x)
{
	return clamp_refresh(j, x->has_serial ? x->retry : RETRY_NO_DATA);
}

/* When a zone first seen (at start, or new) is due, from the store's timers. */
static int64_t first_due(const jobs_t *j, const store_secondary_t *x, int64_t now,
			 int64_t now_ms)
{
	if (!x->has_serial || x->is_refresh_now) {
		return now_ms;
	}
	int64_t at = x->last_error_at > x->last_ok_at ? x->last_attempt_at + retry_of(j, x)
						       : x->last_ok_at + clamp_refresh(j, x->refresh);
	return now_ms + (at > now ? (at - now) * 1000 : 0);
}

/* --- one refresh ------------------------------------------------------------------- */

typedef struct pull {
	jobs_t *j;
	arena_t *a;
	const store_secondary_t *x;
	const store_primary_t *p;
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	const char *why;
	uint32_t refresh;             /* the SOA refresh we now hold */
} pull_t;

static int peer_of(pull_t *pl, xfr_peer_t *peer, knot_tsig_key_t *key)
{
	memset(peer, 0, sizeof(*peer));
	if (xfr_peer_set(peer, pl->p->ip, (int)pl->p->port) != ERR_OK) {
		pl->why = "the primary's address is not an IP address";
		return ERR_INVALID;
	}
	peer->timeout_ms = (int)pl->j->conf->xfr_timeout * 1000;
	peer->total_ms = peer->timeout_ms * TOTAL_PER_TIMEOUT;
	peer->stop = &pl->j->is_stopping;
	if (pl->p->tsig_key == NULL) {
		return ERR_OK;
	}
	store_tsig_key_t k;
	int ret = store_tsig_key_get(pl->j->st, pl->a, pl->p->tsig_key, &k);
	if (ret != ERR_OK) {
		pl->why = arena_printf(pl->a, "TSIG key %s: %s", pl->p->tsig_key, err_str(ret));
		return ret;
	}
	if (knot_tsig_key_init(key, k.algorithm, k.name, k.secret) != KNOT_EOK) {
		pl->why = arena_printf(pl->a, "TSIG key %s cannot be used", pl->p->tsig_key);
		return ERR_INVALID;
	}
	peer->key = key;
	return ERR_OK;
}

/* One attempt with an answer in hand: to the store, or nothing. */
static int take(pull_t *pl, const xfr_in_t *xin)
{
	const store_secondary_t *x = pl->x;
	if (xin->is_uptodate || (xin->is_full && x->has_serial && xin->serial == x->serial)) {
		pl->refresh = x->refresh;
		log_debug("zone %s, serial %u is current at %s", x->zone.name, x->serial, pl->p->ip);
		return store_secondary_mark(pl->j->st, x->zone.id, STORE_SECONDARY_OK, NULL, time_now());
	}
	store_xfr_apply_t ap;
	int ret = xfr_apply_prepare(pl->j->st, pl->a, &x->zone, xin, &ap, &pl->why);
	if (ret != ERR_OK) {
		return ret;
	}
	ap.now = time_now();
	ret = store_secondary_apply(pl->j->st, &ap);
	if (ret != ERR_OK) {
		pl->why = ret == ERR_CONFLICT ? "an IXFR delta removes a record we do not hold"
					      : arena_printf(pl->a, "the store failed (%s)", err_str(ret));
		return ret;
	}
	pl->refresh = ap.refresh;
	if (xin->is_full) {
		log_info("zone %s, AXFR of serial %u from %s:%lld (%zu records)", x->zone.name,
			 xin->serial, pl->p->ip, (long long)pl->p->port, ap.count);
	} else {
		log_info("zone %s, IXFR from serial %u to %u from %s:%lld (%zu deltas)", x->zone.name,
			 x->serial, xin->serial, pl->p->ip, (long long)pl->p->port, ap.delta_count);
	}
	return ERR_OK;
}

/* Refresh from one primary: IXFR when we hold data, AXFR otherwise or as the fallback. */
static int pull_one(pull_t *pl)
{
	xfr_peer_t peer;
	knot_tsig_key_t key = { 0 };
	int ret = peer_of(pl, &peer, &key);
	bool is_ixfr = pl->x->has_serial;
	for (int round = 0; ret == ERR_OK && round < 2; round++) {
		xfr_in_t xin;
		ret = xfr_in_fetch(&peer, &xin, pl->a, pl->apex, is_ixfr, pl->x->serial, 0);
		pl->why = xin.error;
		if (ret == ERR_OK) {
			ret = take(pl, &xin);
		}
		/* RFC 1995 4: a primary without the history, or one that answers NOTIMP or
		 * FORMERR to IXFR, is asked for the whole zone. */
		bool is_fallback = is_ixfr && (ret == ERR_CONFLICT || ret == ERR_INVALID ||
					       (ret == ERR_UPSTREAM &&
						(xin.rcode == KNOT_RCODE_NOTIMPL ||
						 xin.rcode == KNOT_RCODE_FORMERR)));
		xfr_in_clear(&xin);
		if (!is_fallback) {
			break;
		}
		log_info("zone %s, IXFR from %s failed (%s), asking for AXFR", pl->x->zone.name,
			 pl->p->ip, pl->why ? pl->why : err_str(ret));
		is_ixfr = false;
		ret = ERR_OK;
	}
	knot_tsig_key_deinit(&key);
	return ret;
}

/* Refresh one zone from its primaries in turn; returns ms until its next refresh. */
static int64_t refresh_zone(jobs_t *j, int64_t zone_id)
{
	arena_t a;
	arena_init(&a, 0);
	store_secondary_t *xs = NULL;
	size_t n = 0;
	int ret = store_secondary_list(j->st, &a, 0, zone_id, &xs, &n);
	int64_t next = clamp_refresh(j, j->conf->xfr_refresh_max);
	if (ret != ERR_OK || n == 0 || xs[0].primary_count == 0) {
		arena_clear(&a);
		return (ret != ERR_OK ? clamp_refresh(j, RETRY_NO_DATA) : next) * 1000;
	}
	const store_secondary_t *x = &xs[0];
	pull_t pl = { .j = j, .a = &a, .x = x };
	char apex_text[KNOT_DNAME_TXT_MAXLEN + 2];
	snprintf(apex_text, sizeof(apex_text), "%s.", x->zone.name);
	if (knot_dname_from_str(pl.apex, apex_text, sizeof(pl.apex)) == NULL) {
		arena_clear(&a);
		return next * 1000;
	}
	knot_dname_to_lower(pl.apex);
	sbuf_t errors = SBUF_INIT;
	for (size_t i = 0; i < x->primary_count && !atomic_load(&j->is_stopping); i++) {
		pl.p = &x->primaries[i];
		pl.why = NULL;
		ret = pull_one(&pl);
		if (ret == ERR_OK) {
			next = clamp_refresh(j, pl.refresh);
			break;
		}
		sbuf_printf(&errors, "%s%s (%s:%lld): %s", errors.len ? "; " : "", pl.p->name,
			    pl.p->ip, (long long)pl.p->port, pl.why ? pl.why : err_str(ret));
	}
	if (ret != ERR_OK && !atomic_load(&j->is_stopping)) {
		/* Nothing changed: the previous version keeps serving. */
		log_warn("zone %s, refresh failed, data unchanged (%s)", x->zone.name,
			 errors.p ? errors.p : err_str(ret));
		store_secondary_mark(j->st, x->zone.id, STORE_SECONDARY_FAILED, errors.p, time_now());
		next = retry_of(j, x);
	}
	sbuf_clear(&errors);
	arena_clear(&a);
	return next * 1000;
}

/* --- the transfer threads ------------------------------------------------------------ */

static sz_t *find(jobs_t *j, int64_t id)
{
	size_t lo = 0, hi = j->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (j->zones[mid].id < id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < j->count && j->zones[lo].id == id ? &j->zones[lo] : NULL;
}

static void enqueue(jobs_t *j, int64_t id)
{
	if (j->queue_count == j->queue_cap) {
		j->queue_cap = j->queue_cap ? j->queue_cap * 2 : 64;
		j->queue = xrealloc(j->queue, j->queue_cap * sizeof(int64_t));
	}
	j->queue[j->queue_count++] = id;
}

static void *worker_run(void *arg)
{
	jobs_t *j = arg;
	pthread_mutex_lock(&j->lock);
	while (!atomic_load(&j->is_stopping)) {
		if (j->queue_count == 0) {
			pthread_cond_wait(&j->work, &j->lock);
			continue;
		}
		int64_t id = j->queue[0];
		memmove(j->queue, j->queue + 1, --j->queue_count * sizeof(int64_t));
		pthread_mutex_unlock(&j->lock);
		int64_t delay = id == QUEUE_CATALOG ? catalog_refresh(j->catalog) : refresh_zone(j, id);
		pthread_mutex_lock(&j->lock);
		int64_t at = time_mono_ms() + delay;
		if (id == QUEUE_CATALOG) {
			j->cat_busy = false;
			j->cat_next_ms = at;
		} else {
			sz_t *z = find(j, id);
			if (z != NULL) {
				z->is_busy = false;
				z->next_ms = at;
			}
		}
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* --- the scheduler ----------------------------------------------------------------- */

static void fill(sz_t *z, const store_secondary_t *x)
{
	char text[KNOT_DNAME_TXT_MAXLEN + 2];
	snprintf(text, sizeof(text), "%s.", x->zone.name);
	if (knot_dname_from_str(z->apex, text, sizeof(z->apex)) == NULL) {
		z->apex[0] = 0;
	}
	knot_dname_to_lower(z->apex);
	z->addr_count = 0;
	for (size_t i = 0; i < x->primary_count && z->addr_count < SZ_MAX_ADDRS; i++) {
		xfr_peer_t peer;
		if (xfr_peer_set(&peer, x->primaries[i].ip, 53) == ERR_OK) {
			z->addrs[z->addr_count++] = peer.addr;
		}
	}
}

static bool is_expiring(const jobs_t *j, const store_secondary_t *x, int64_t now)
{
	return x->has_serial && !x->is_expired && x->last_ok_at > 0 &&
	       now >= x->last_ok_at + expire_of(j, x);
}

static void tick(jobs_t *j)
{
	arena_t a;
	arena_init(&a, 0);
	store_secondary_t *xs = NULL;
	size_t n = 0;
	if (store_secondary_list(j->st, &a, 0, 0, &xs, &n) != ERR_OK) {
		arena_clear(&a);
		return;
	}
	int64_t now = time_now(), now_ms = time_mono_ms();
	size_t *expiring = arena_alloc_array(&a, n + 1, sizeof(size_t)); /* indexes into xs */
	size_t nexp = 0;
	sz_t *next = xcalloc(n + 1, sizeof(sz_t));
	pthread_mutex_lock(&j->lock);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const store_secondary_t *x = &xs[i];
		while (k < j->count && j->zones[k].id < x->zone.id) {
			k++;
		}
		sz_t *z = &next[i];
		if (k < j->count && j->zones[k].id == x->zone.id) {
			*z = j->zones[k];
		} else {
			z->id = x->zone.id;
			z->next_ms = first_due(j, x, now, now_ms);
		}
		fill(z, x);
		if (!x->zone.is_active || x->primary_count == 0) {
			continue;
		}
		if (is_expiring(j, x, now) && expiring != NULL) {
			expiring[nexp++] = i;
		}
		if (!z->is_busy && (x->is_refresh_now || z->is_notified || z->next_ms <= now_ms)) {
			z->is_busy = true;
			z->is_notified = false;
			enqueue(j, z->id);
		}
	}
	free(j->zones);
	j->zones = next;
	j->count = n;
	if (j->catalog != NULL && !j->cat_busy && (j->cat_notified || j->cat_next_ms <= now_ms)) {
		j->cat_busy = true;
		j->cat_notified = false;
		enqueue(j, QUEUE_CATALOG);
	}
	if (j->queue_count > 0) {
		pthread_cond_broadcast(&j->work);
	}
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < nexp; i++) {
		/* RFC 1035 3.3.13: past expire the data is no longer authoritative. */
		const store_secondary_t *x = &xs[expiring[i]];
		log_warn("zone %s, expired: no primary confirmed serial %u within %lld s, no longer "
			 "served", x->zone.name, x->serial, (long long)expire_of(j, x));
		store_secondary_mark(j->st, x->zone.id, STORE_SECONDARY_EXPIRED, NULL, now);
	}
	arena_clear(&a);
}

static void *sched_run(void *arg)
{
	jobs_t *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		if (!j->is_woken && !atomic_load(&j->is_stopping)) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += TICK_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&j->wake, &j->lock, &ts);
		}
		j->is_woken = false;
		bool is_stopping = atomic_load(&j->is_stopping);
		pthread_mutex_unlock(&j->lock);
		if (is_stopping) {
			return NULL;
		}
		tick(j);
	}
}

/* --- the role ------------------------------------------------------------------------ */

jobs_t *jobs_new(const conf_t *conf, store_t *st)
{
	jobs_t *j = xcalloc(1, sizeof(*j));
	j->conf = conf;
	j->st = st;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&j->work, NULL);
	/* here, not in jobs_start(): NOTIFY may read it as soon as the dns role runs */
	j->catalog = catalog_new(conf, st, &j->is_stopping, &j->catalog_ret);
	return j;
}

int jobs_start(jobs_t *j)
{
	if (j->catalog_ret != ERR_OK) {
		return j->catalog_ret;
	}
	j->worker_count = (size_t)j->conf->xfr_workers;
	j->workers = xcalloc(j->worker_count, sizeof(pthread_t));
	for (size_t i = 0; i < j->worker_count; i++) {
		if (pthread_create(&j->workers[i], NULL, worker_run, j) != 0) {
			j->worker_count = i;
			return ERR_INTERNAL;
		}
	}
	if (pthread_create(&j->sched, NULL, sched_run, j) != 0) {
		return ERR_INTERNAL;
	}
	j->is_started = true;
	j->rollover = rollover_new(j->conf, j->st);
	if (rollover_start(j->rollover) != ERR_OK) {
		return ERR_INTERNAL;
	}
	log_info("jobs, transfer worker started (%zu transfer threads%s)", j->worker_count,
		 j->catalog != NULL ? ", catalog consumer on" : "");
	return ERR_OK;
}

void jobs_stop(jobs_t *j)
{
	if (j == NULL) {
		return;
	}
	pthread_mutex_lock(&j->lock);
	atomic_store(&j->is_stopping, true);
	pthread_cond_broadcast(&j->wake);
	pthread_cond_broadcast(&j->work);
	pthread_mutex_unlock(&j->lock);
	if (j->is_started) {
		pthread_join(j->sched, NULL);
	}
	for (size_t i = 0; i < j->worker_count; i++) {
		pthread_join(j->workers[i], NULL);
	}
	rollover_free(j->rollover);
	catalog_free(j->catalog);
	free(j->workers);
	free(j->zones);
	free(j->queue);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->work);
	free(j);
}

int jobs_notify(void *ctx, const knot_dname_t *zone, const struct sockaddr *from)
{
	jobs_t *j = ctx;
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	knot_dname_copy_lower(apex, zone);
	bool is_from_primary = false;
	if (catalog_matches(j->catalog, apex, from, &is_from_primary)) {
		if (!is_from_primary) {
			return KNOT_RCODE_REFUSED;
		}
		pthread_mutex_lock(&j->lock);
		j->cat_notified = true;
		j->is_woken = true;
		pthread_cond_signal(&j->wake);
		pthread_mutex_unlock(&j->lock);
		return KNOT_RCODE_NOERROR;
	}
	int rcode = KNOT_RCODE_NOTAUTH;
	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < j->count; i++) {
		sz_t *z = &j->zones[i];
		if (!knot_dname_is_equal(z->apex, apex)) {
			continue;
		}
		rcode = KNOT_RCODE_REFUSED; /* RFC 1996 3.10: only from the zone's primaries */
		for (size_t k = 0; k < z->addr_count; k++) {
			if (jobs_same_ip((const struct sockaddr *)&z->addrs[k], from)) {
				rcode = KNOT_RCODE_NOERROR;
				z->is_notified = true;
				j->is_woken = true;
				pthread_cond_signal(&j->wake);
				break;
			}
		}
		break;
	}
	pthread_mutex_unlock(&j->lock);
	return rcode;
}
