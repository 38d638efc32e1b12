/* xfr.c -- the transfer context: settings, the loader's hook (journals, NOTIFY, the set
 * of zones), and the background thread (NOTIFY, the catalog zone, trimming the change
 * log, polling the TSIG keys).
 *
 * DESIGN. Two threads touch an xfr_t. The loader thread calls xfr_on_zone() for every
 * version it publishes; there it builds the version's journal (it holds the previous
 * version, which only the loader retires and reclaims, so it is still valid during the
 * call) and records the change in the zone table. The background thread does everything
 * that waits or writes: NOTIFY over UDP (notify.c), catalog rebuilds (debounced:
 * CATALOG_DELAY_MS after the last change), trimming the change log to ixfr-history rows
 * per changed zone (once a second, batched), and the keyring (polled once a second). It
 * is a QSBR reader of the zone db (offline while it waits) to read SOAs for NOTIFY. The
 * zone table and the queues between the two are under one mutex, held briefly.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/xfr/xfr_internal.h"

#define KEY_POLL_MS 1000
#define TRIM_EVERY_MS 1000
#define CATALOG_DELAY_MS 200
#define RRS_MIN 4096          /* journal RRs allowed even for the smallest zone */

/* --- settings ------------------------------------------------------------------------- */

static int parse_catalog(const char *text, knot_dname_t *out, bool *has, char *err,
			 size_t errsize)
{
	*has = false;
	if (text == NULL || *text == '\0') {
		return ERR_OK;
	}
	char buf[KNOT_DNAME_TXT_MAXLEN + 2];
	size_t len = strlen(text);
	if (len > KNOT_DNAME_TXT_MAXLEN) {
		snprintf(err, errsize, "catalog-zone: name too long");
		return ERR_INVALID;
	}
	snprintf(buf, sizeof(buf), "%s%s", text, text[len - 1] == '.' ? "" : ".");
	if (knot_dname_from_str(out, buf, KNOT_DNAME_MAXLEN) == NULL || out[0] == 0) {
		snprintf(err, errsize, "catalog-zone: '%s' is not a domain name", text);
		return ERR_INVALID;
	}
	knot_dname_to_lower(out);
	*has = true;
	return ERR_OK;
}

int xfr_conf_check(const xfr_conf_t *conf, char *err, size_t errsize)
{
	acl_rule_t *acl = NULL;
	notify_target_t *targets = NULL;
	size_t n = 0;
	knot_dname_t cat[KNOT_DNAME_MAXLEN];
	bool has = false;
	int ret = acl_parse(conf->transfer_allow, &acl, &n, err, errsize);
	if (ret == ERR_OK) {
		ret = targets_parse(conf->notify, &targets, &n, err, errsize);
	}
	if (ret == ERR_OK) {
		ret = parse_catalog(conf->catalog_zone, cat, &has, err, errsize);
	}
	free(acl);
	free(targets);
	return ret;
}

int xfr_new(xfr_t **out, const xfr_conf_t *conf, store_t *st, zdb_t *db, char *err,
	    size_t errsize)
{
	xfr_t *x = xcalloc(1, sizeof(*x));
	x->st = st;
	x->db = db;
	x->wake_fd = -1;
	int ret = acl_parse(conf->transfer_allow, &x->acl, &x->acl_count, err, errsize);
	if (ret == ERR_OK) {
		ret = targets_parse(conf->notify, &x->targets, &x->target_count, err, errsize);
	}
	if (ret == ERR_OK) {
		ret = parse_catalog(conf->catalog_zone, x->catalog, &x->has_catalog, err, errsize);
	}
	x->history = conf->ixfr_history;
	x->region = xstrdup(conf->region != NULL ? conf->region : "global");
	x->synth = conf->synth;
	x->synth_ctx = conf->synth_ctx;
	atomic_init(&x->keys, xcalloc(1, sizeof(keyring_t)));
	pthread_mutex_init(&x->lock, NULL);
	x->bucket_count = 1024;
	x->buckets = xcalloc(x->bucket_count, sizeof(zentry_t *));
	x->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ret == ERR_OK && x->wake_fd < 0) {
		snprintf(err, errsize, "eventfd failed (%s)", strerror(errno));
		ret = ERR_INTERNAL;
	}
	if (ret != ERR_OK) {
		xfr_free(x);
		return ret;
	}
	*out = x;
	return ERR_OK;
}

void xfr_set_synth(xfr_t *x, xfr_synth_fn synth, void *ctx)
{
	x->synth = synth;
	x->synth_ctx = ctx;
}

/* --- the zone table --------------------------------------------------------------------- */

static size_t bucket_of(const xfr_t *x, const knot_dname_t *apex)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0, n = knot_dname_size(apex); i < n; i++) {
		h = (h ^ apex[i]) * 1099511628211ULL;
	}
	return h & (x->bucket_count - 1);
}

static zentry_t **table_find(xfr_t *x, const knot_dname_t *apex)
{
	zentry_t **pp = &x->buckets[bucket_of(x, apex)];
	while (*pp != NULL && !knot_dname_is_equal((*pp)->apex, apex)) {
		pp = &(*pp)->next;
	}
	return pp;
}

static void table_grow(xfr_t *x)
{
	size_t old_count = x->bucket_count;
	zentry_t **old = x->buckets;
	x->bucket_count *= 2;
	x->buckets = xcalloc(x->bucket_count, sizeof(zentry_t *));
	for (size_t i = 0; i < old_count; i++) {
		for (zentry_t *e = old[i], *next; e != NULL; e = next) {
			next = e->next;
			size_t b = bucket_of(x, e->apex);
			e->next = x->buckets[b];
			x->buckets[b] = e;
		}
	}
	free(old);
}

static zentry_t *table_add(xfr_t *x, const knot_dname_t *apex)
{
	if (x->zone_count >= x->bucket_count) {
		table_grow(x);
	}
	zentry_t *e = xcalloc(1, sizeof(*e));
	size_t size = knot_dname_size(apex);
	e->apex = xmalloc(size);
	memcpy(e->apex, apex, size);
	size_t b = bucket_of(x, apex);
	e->next = x->buckets[b];
	x->buckets[b] = e;
	x->zone_count++;
	return e;
}

/* --- queues to the thread (x->lock held) ------------------------------------------------ */

static void queue_trim(xfr_t *x, int64_t zone_id, size_t keep)
{
	if (x->trim_count == x->trim_cap) {
		x->trim_cap = x->trim_cap ? x->trim_cap * 2 : 64;
		x->trims = xrealloc(x->trims, x->trim_cap * sizeof(*x->trims));
	}
	x->trims[x->trim_count].zone_id = zone_id;
	x->trims[x->trim_count].keep = keep;
	x->trim_count++;
}

static void queue_notify(xfr_t *x, const knot_dname_t *apex)
{
	if (x->target_count == 0) {
		return;
	}
	if (x->notify_count == x->notify_cap) {
		x->notify_cap = x->notify_cap ? x->notify_cap * 2 : 64;
		x->notifies = xrealloc(x->notifies, x->notify_cap * sizeof(*x->notifies));
	}
	size_t size = knot_dname_size(apex);
	x->notifies[x->notify_count].apex = xmalloc(size);
	memcpy(x->notifies[x->notify_count].apex, apex, size);
	x->notify_count++;
}

void xfr_wake(xfr_t *x)
{
	uint64_t one = 1;
	if (x->wake_fd >= 0) {
		(void)!write(x->wake_fd, &one, sizeof(one));
	}
}

void xfr_notify_zone(void *ctx, const knot_dname_t *apex)
{
	xfr_t *x = ctx;
	pthread_mutex_lock(&x->lock);
	queue_notify(x, apex);
	pthread_mutex_unlock(&x->lock);
	xfr_wake(x);
}

/* --- the loader's hook ------------------------------------------------------------------ */

static journal_limits_t limits(const xfr_t *x, size_t zone_rrs)
{
	return (journal_limits_t){ .max_diffs = x->history,
				   .max_rrs = zone_rrs > RRS_MIN ? zone_rrs : RRS_MIN };
}

/* The history of a zone first seen: from the change log. */
static xfr_journal_t *journal_seed(xfr_t *x, const zdb_zone_t *z)
{
	if (zdb_zone_id(z) == 0 || x->st == NULL || zdb_zone_nsec3(z) != NULL) {
		return NULL; /* a zone built without the store (tests), or signed (AXFR only) */
	}
	arena_t a;
	arena_init(&a, 0);
	store_change_row_t *rows = NULL;
	size_t n = 0;
	xfr_journal_t *j = NULL;
	int ret = store_change_history(x->st, &a, zdb_zone_id(z), x->history, &rows, &n);
	if (ret == ERR_OK && n > 0) {
		journal_limits_t lim = limits(x, zdb_zone_rr_count(z));
		j = journal_from_rows(rows, n, zdb_zone_serial(z), x->region, &lim);
	} else if (ret != ERR_OK) {
		log_warn("zone %s, IXFR history not read (%s)", rows != NULL ? rows->zone_name : "?",
			 err_str(ret));
	}
	arena_clear(&a);
	return j;
}

/* The history of a new version of a zone we hold: the old one's and their difference. */
static xfr_journal_t *journal_next(xfr_t *x, const zdb_zone_t *old, const zdb_zone_t *z)
{
	const xfr_journal_t *prev = zdb_zone_ext(old);
	if (zdb_zone_nsec3(z) != NULL || zdb_zone_nsec3(old) != NULL) {
		/* A signed zone's differences include signatures and NSEC3 RRs the diffs do not
		 * carry: its secondaries transfer it whole (AXFR). */
		return NULL;
	}
	if (zdb_zone_serial(old) == zdb_zone_serial(z)) {
		/* the same serial again (a secondary zone refreshed, a rebuild): same history */
		return journal_copy(prev);
	}
	size_t rrs = 0;
	xfr_diff_t *d = diff_zones(old, z, x->db, x->synth, x->synth_ctx, &rrs);
	if (d == NULL) {
		return NULL; /* the serial went back: no IXFR into the past */
	}
	journal_limits_t lim = limits(x, rrs);
	return journal_append(prev, d, &lim);
}

void xfr_on_zone(void *ctx, const knot_dname_t *apex, const zdb_zone_t *zone)
{
	xfr_t *x = ctx;
	if (x->has_catalog && knot_dname_is_equal(apex, x->catalog)) {
		return; /* a hosted zone of the catalog's name: the catalog is ours */
	}
	pthread_mutex_lock(&x->lock);
	zentry_t **pp = table_find(x, apex);
	zentry_t *e = *pp;
	const zdb_zone_t *old = e != NULL ? e->zone : NULL;
	if (zone == NULL && e != NULL) {
		*pp = e->next;
		x->zone_count--;
		x->is_catalog_dirty = true;
		queue_trim(x, e->zone_id, 1); /* other DNS nodes still learn of the deletion */
		free(e->apex);
		free(e);
	}
	pthread_mutex_unlock(&x->lock);
	if (zone == NULL) {
		xfr_wake(x);
		return;
	}
	if (x->history > 0) {
		/* The version is published already: readers see no journal, then this one
		 * (zdb_zone_set_ext), and fall back to AXFR meanwhile. */
		int64_t started = time_mono_us();
		xfr_journal_t *j = old != NULL ? journal_next(x, old, zone) : journal_seed(x, zone);
		if (j != NULL) {
			zdb_zone_set_ext((zdb_zone_t *)zone, j, journal_free);
		}
		int64_t us = time_mono_us() - started;
		log_debug("zone id %lld, IXFR journal of serial %u: %zu diffs, %zu RRs, in %lld.%03lld ms",
			  (long long)zdb_zone_id(zone), zdb_zone_serial(zone), j != NULL ? j->count : 0,
			  j != NULL ? j->rr_total : 0, (long long)(us / 1000), (long long)(us % 1000));
	}
	bool is_changed = old == NULL || zdb_zone_serial(old) != zdb_zone_serial(zone);
	pthread_mutex_lock(&x->lock);
	pp = table_find(x, apex);
	e = *pp;
	if (e == NULL) {
		e = table_add(x, apex);
		x->is_catalog_dirty = true;
	} else if (is_changed && x->history > 0 && ++e->untrimmed > x->history / 8) {
		/* every history/8 changes: the log holds at most 12.5% more than it keeps */
		queue_trim(x, zdb_zone_id(zone), x->history);
		e->untrimmed = 0;
	}
	e->zone = zone;
	e->zone_id = zdb_zone_id(zone);
	if (is_changed) {
		queue_notify(x, apex);
	}
	pthread_mutex_unlock(&x->lock);
	xfr_wake(x);
}

/* --- the background thread ---------------------------------------------------------------- */

static void poll_keys(xfr_t *x)
{
	keyring_t *k = NULL;
	if (keyring_load(x->st, &k) != ERR_OK) {
		return; /* logged by the store; the old keys stay */
	}
	keyring_t *cur = atomic_load(&x->keys);
	if (keyring_equal(cur, k)) {
		free(k);
		return;
	}
	atomic_store_explicit(&x->keys, k, memory_order_release);
	zdb_retire(x->db, cur, free); /* workers may be verifying with it */
	log_info("dns, %zu TSIG key%s loaded", k->count, k->count == 1 ? "" : "s");
}

static int cmp_trim(const void *a, const void *b)
{
	const struct pending_trim *x = a, *y = b;
	return x->zone_id < y->zone_id ? -1 : x->zone_id > y->zone_id;
}

static void run_trims(xfr_t *x)
{
	pthread_mutex_lock(&x->lock);
	struct pending_trim *trims = x->trims;
	size_t n = x->trim_count;
	x->trims = NULL;
	x->trim_count = x->trim_cap = 0;
	pthread_mutex_unlock(&x->lock);
	if (n == 0) {
		free(trims);
		return;
	}
	qsort(trims, n, sizeof(*trims), cmp_trim);
	for (size_t i = 0; i < n; i++) {
		size_t keep = trims[i].keep;
		while (i + 1 < n && trims[i + 1].zone_id == trims[i].zone_id) {
			keep = trims[++i].keep; /* the latest wish wins (a deletion: 1) */
		}
		int ret = store_change_trim(x->st, trims[i].zone_id, keep);
		if (ret != ERR_OK) {
			log_warn("dns, zone id %lld, change log not trimmed (%s)",
				 (long long)trims[i].zone_id, err_str(ret));
		}
	}
	free(trims);
}

static void run_notifies(xfr_t *x)
{
	pthread_mutex_lock(&x->lock);
	struct pending_notify *q = x->notifies;
	size_t n = x->notify_count;
	x->notifies = NULL;
	x->notify_count = x->notify_cap = 0;
	pthread_mutex_unlock(&x->lock);
	for (size_t i = 0; i < n; i++) {
		const zdb_zone_t *z = zdb_find_zone(x->db, q[i].apex);
		if (z != NULL && knot_dname_is_equal(zdb_zone_apex(z), q[i].apex)) {
			const knot_rrset_t *soa = zdb_zone_soa(z);
			notify_queue(x->notify, q[i].apex, zdb_zone_serial(z), soa->rrs.rdata,
				     soa->ttl);
		}
		free(q[i].apex);
	}
	free(q);
}

static const knot_dname_t **members(xfr_t *x, size_t *count)
{
	pthread_mutex_lock(&x->lock);
	const knot_dname_t **names = xmalloc((x->zone_count + 1) * sizeof(*names));
	size_t n = 0;
	for (size_t b = 0; b < x->bucket_count; b++) {
		for (zentry_t *e = x->buckets[b]; e != NULL; e = e->next) {
			size_t size = knot_dname_size(e->apex);
			knot_dname_t *copy = xmalloc(size);
			memcpy(copy, e->apex, size);
			names[n++] = copy;
		}
	}
	x->is_catalog_dirty = false;
	pthread_mutex_unlock(&x->lock);
	*count = n;
	return names;
}

/* Build and publish the catalog zone anew, with its journal. */
static void run_catalog(xfr_t *x)
{
	size_t n = 0;
	const knot_dname_t **names = members(x, &n);
	uint32_t now = (uint32_t)time_now();
	uint32_t serial = x->catalog_zone == NULL || xfr_serial_lt(x->catalog_serial, now)
				  ? now
				  : x->catalog_serial + 1;
	zdb_zone_t *z = catalog_build(x->catalog, names, n, serial);
	for (size_t i = 0; i < n; i++) {
		free((void *)names[i]);
	}
	free(names);
	if (z == NULL) {
		return;
	}
	if (x->catalog_zone != NULL && x->history > 0) {
		xfr_journal_t *j = journal_next(x, x->catalog_zone, z);
		if (j != NULL) {
			zdb_zone_set_ext(z, j, journal_free);
		}
	}
	zdb_publish(x->db, z); /* retires the previous version; the loader reclaims it */
	x->catalog_zone = z;
	x->catalog_serial = serial;
	char name[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
	(void)knot_dname_to_str(name, x->catalog, sizeof(name));
	log_info("zone %s, catalog zone published, serial %u, %zu member zone%s", name, serial,
		 n, n == 1 ? "" : "s");
	if (x->notify != NULL) {
		const knot_rrset_t *soa = zdb_zone_soa(z);
		notify_queue(x->notify, x->catalog, serial, soa->rrs.rdata, soa->ttl);
	}
}

static void *run(void *arg)
{
	xfr_t *x = arg;
	zdb_reader_t *reader = zdb_reader_register(x->db);
	int64_t now = time_mono_ms(), keys_at = now + KEY_POLL_MS, trim_at = now + TRIM_EVERY_MS;
	int64_t dirty_at = 0;
	while (!atomic_load(&x->is_stopping)) {
		now = time_mono_ms();
		if (now >= keys_at) {
			poll_keys(x);
			keys_at = now + KEY_POLL_MS;
		}
		if (now >= trim_at) {
			run_trims(x);
			trim_at = now + TRIM_EVERY_MS;
		}
		pthread_mutex_lock(&x->lock);
		bool is_dirty = x->is_catalog_dirty && x->has_catalog;
		pthread_mutex_unlock(&x->lock);
		if (is_dirty && dirty_at == 0) {
			dirty_at = now + CATALOG_DELAY_MS; /* let a burst of changes settle */
		}
		if (dirty_at != 0 && now >= dirty_at) {
			run_catalog(x);
			dirty_at = 0;
		}
		int timeout = (int)((keys_at < trim_at ? keys_at : trim_at) - now);
		if (dirty_at != 0 && dirty_at - now < timeout) {
			timeout = (int)(dirty_at - now);
		}
		if (x->notify != NULL && atomic_load(&x->is_serving)) {
			run_notifies(x);
			int due = notify_run(x->notify, atomic_load(&x->keys), now);
			timeout = due >= 0 && due < timeout ? due : timeout;
		}
		zdb_reader_quiescent(reader);
		struct pollfd fds[3] = { { .fd = x->wake_fd, .events = POLLIN } };
		int nfds = 1;
		if (x->notify != NULL) {
			int sfd[2];
			size_t k = notify_fds(x->notify, sfd);
			for (size_t i = 0; i < k; i++) {
				fds[nfds++] = (struct pollfd){ .fd = sfd[i], .events = POLLIN };
			}
		}
		zdb_reader_offline(reader);
		(void)poll(fds, (nfds_t)nfds, timeout < 0 ? 0 : timeout);
		zdb_reader_online(reader);
		uint64_t drained;
		(void)!read(x->wake_fd, &drained, sizeof(drained));
	}
	zdb_reader_unregister(x->db, reader);
	return NULL;
}

int xfr_start(xfr_t *x)
{
	keyring_t *k = NULL;
	int ret = keyring_load(x->st, &k);
	if (ret != ERR_OK) {
		return ret;
	}
	free(atomic_exchange(&x->keys, k)); /* nobody reads it before the start */
	if (x->target_count > 0 && (x->notify = notify_new(x->targets, x->target_count)) == NULL) {
		return ERR_INTERNAL;
	}
	if (pthread_create(&x->thread, NULL, run, x) != 0) {
		return ERR_INTERNAL;
	}
	x->is_started = true;
	if (k->count > 0) {
		log_info("dns, %zu TSIG key%s loaded", k->count, k->count == 1 ? "" : "s");
	}
	return ERR_OK;
}

void xfr_set_serving(xfr_t *x)
{
	atomic_store(&x->is_serving, true);
	xfr_wake(x);
}

void xfr_free(xfr_t *x)
{
	if (x == NULL) {
		return;
	}
	if (x->is_started) {
		atomic_store(&x->is_stopping, true);
		xfr_wake(x);
		pthread_join(x->thread, NULL);
	}
	if (x->notify != NULL && notify_pending(x->notify) > 0) {
		log_debug("dns, %zu NOTIFY messages unanswered at shutdown",
			  notify_pending(x->notify));
	}
	notify_free(x->notify);
	for (size_t b = 0; x->buckets != NULL && b < x->bucket_count; b++) {
		for (zentry_t *e = x->buckets[b], *next; e != NULL; e = next) {
			next = e->next;
			free(e->apex);
			free(e);
		}
	}
	for (size_t i = 0; i < x->notify_count; i++) {
		free(x->notifies[i].apex);
	}
	free(x->notifies);
	free(x->trims);
	free(x->buckets);
	free(atomic_load(&x->keys));
	free(x->acl);
	free(x->targets);
	free(x->region);
	if (x->wake_fd >= 0) {
		close(x->wake_fd);
	}
	pthread_mutex_destroy(&x->lock);
	free(x);
}
