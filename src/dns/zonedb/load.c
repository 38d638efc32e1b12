/* load.c -- the zone db follows the store.
 *
 * DESIGN: one loader thread owns every write to the zone db. At start it reads the last
 * change-log id, then builds every active zone. Then it waits: a commit in this process
 * wakes it through the store's change hook; otherwise it looks every poll_ms, which is
 * how changes by other processes (`nameplate zone import`, an api role elsewhere) arrive.
 * Each wake reads the change-log rows after the last one seen and brings only the zones
 * they name up to date (or removes them), then reclaims what readers no longer see. A
 * zone whose new rows all change records is patched (patch.c): the store gives the records
 * now at the names those rows touched, and the new version shares everything else with
 * the served one. Anything else (a zone created, replaced, (de)activated; a patch that
 * would move a zone cut) rebuilds the zone whole.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/wire/rr.h"
#include "dns/zonedb/load.h"

#define CHANGE_BATCH 1000

struct zdb_loader {
	zdb_t *db;
	store_t *st;
	char *region;
	int poll_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool is_woken;
	bool is_stopping;
	int64_t last_change;
	int64_t last_end_us;     /* when the last follow() ended, and how long it took */
	int64_t last_took_us;
	zdb_loader_zone_fn on_zone;
	void *on_zone_ctx;
	/* Zones whose last refresh failed (data that cannot be served): the version served is
	 * older than the rows already read, so the next refresh builds them whole. */
	int64_t *stale;
	size_t stale_count, stale_cap;
	/* Signed zones and when their first signature comes due (RRSIG time): then the
	 * loader gives the zone a new serial, and the rebuild re-signs what is due. */
	zdb_sign_conf_t sign;
	char *secret_path;
	struct due {
		int64_t zone_id;
		char *name;
		uint32_t at;
	} *due;
	size_t due_count, due_cap;
	/* RRs of the zones built whole since the last malloc_trim(): trimming after every
	 * small change cost more than it gave back (it unmaps pages the next change faults
	 * in again), so only after a lot was built. */
	size_t built_rrs;
};

typedef struct build_ctx {
	zdb_builder_t *b;
	const char *zone;
	const char *region;
	int ret;
	size_t count;
	bool is_patch;
} build_ctx_t;

/* "global" records everywhere; others only where the node's region is listed. */
static bool in_region(const char *regions, const char *region)
{
	if (regions == NULL || *regions == '\0') {
		return true;
	}
	size_t rl = strlen(region);
	for (const char *p = regions; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if ((n == 6 && strncmp(p, "global", 6) == 0) || (n == rl && strncmp(p, region, n) == 0)) {
			return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

bool zdb_loader_in_region(const char *regions, const char *region)
{
	return in_region(regions, region);
}

static void on_record(void *ctx, const char *name, uint16_t type, uint32_t ttl,
		      const uint8_t *rdata, uint16_t size, const char *content, const char *regions)
{
	build_ctx_t *bc = ctx;
	char owner[KNOT_DNAME_TXT_MAXLEN + 2];
	snprintf(owner, sizeof(owner), "%s%s%s.", name, *name ? "." : "", bc->zone);
	if (type == 0) { /* a name the change touched (record_each_touched) */
		bc->ret = bc->ret == ERR_OK && bc->is_patch ? zdb_patch_touch(bc->b, owner) : bc->ret;
		return;
	}
	bool is_pseudo = type == ZDB_TYPE_ALIAS || type == ZDB_TYPE_URL || type == ZDB_TYPE_POOL;
	if (bc->ret != ERR_OK || (rdata == NULL && !is_pseudo) || !in_region(regions, bc->region)) {
		return;
	}
	/* ALIAS, URL and POOL have no rdata: the node keeps their content (zonedb.h). A zone
	 * transferred from a primary that serves ALIAS itself (PowerDNS) has the target as
	 * wire rdata instead. */
	char target[KNOT_DNAME_TXT_MAXLEN + 1];
	if (is_pseudo && rdata != NULL && size > 0 &&
	    knot_dname_wire_check(rdata, rdata + size, NULL) == size &&
	    knot_dname_to_str(target, rdata, sizeof(target)) != NULL) {
		content = target;
	}
	bc->ret = is_pseudo ? zdb_builder_add_pseudo(bc->b, owner, type, ttl, content)
			    : zdb_builder_add(bc->b, owner, type, ttl, rdata, size);
	bc->count++;
}

zdb_zone_t *zdb_load_zone(store_t *st, const zone_t *zone, const char *region)
{
	int64_t started = time_mono_us();
	zdb_builder_t *b = zdb_builder_new(zone->name, zone->serial);
	if (b == NULL) {
		log_warn("zone %s, load failed (not a domain name)", zone->name);
		return NULL;
	}
	zdb_builder_set_id(b, zone->id);
	build_ctx_t bc = { .b = b, .zone = zone->name, .region = region, .ret = ERR_OK };
	uint32_t serial = 0;
	int ret = store_record_each(st, zone->id, &serial, on_record, &bc);
	if (ret != ERR_OK || bc.ret != ERR_OK) {
		log_warn("zone %s, load failed (%s)", zone->name, err_str(ret != ERR_OK ? ret : bc.ret));
		zdb_builder_free(b);
		return NULL;
	}
	const char *why = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &why);
	if (z == NULL) {
		log_warn("zone %s, not served (%s)", zone->name, why);
		return NULL;
	}
	int64_t us = time_mono_us() - started;
	log_debug("zone %s, loaded serial %u, %zu records in %lld.%03lld ms", zone->name,
		  zdb_zone_serial(z), bc.count, (long long)(us / 1000), (long long)(us % 1000));
	return z;
}

static void apex_of(const char *name, knot_dname_t *out)
{
	char buf[KNOT_DNAME_TXT_MAXLEN + 2];
	snprintf(buf, sizeof(buf), "%s.", name);
	if (knot_dname_from_str(out, buf, KNOT_DNAME_MAXLEN) == NULL) {
		out[0] = 0;
	}
	knot_dname_to_lower(out);
}

/* A secondary zone is served once it has data and until it expires (jobs/secondary.c). */
static bool is_served(store_t *st, const zone_t *zone)
{
	bool is_served = true;
	if (zone->is_active && zone->is_secondary &&
	    store_secondary_is_served(st, zone->id, &is_served) != ERR_OK) {
		is_served = false;
	}
	return zone->is_active && is_served;
}

/* The served version of the zone with this apex (the loader is the only writer of the
 * zones it loads, so it may read them without being a registered reader). */
static const zdb_zone_t *served(zdb_t *db, const knot_dname_t *apex)
{
	const zdb_zone_t *z = zdb_find_zone(db, apex);
	return z != NULL && knot_dname_is_equal(zdb_zone_apex(z), apex) ? z : NULL;
}

typedef enum { PATCH_BUILT, PATCH_SAME, PATCH_FAILED, PATCH_NOT } patch_result_t;

/* Patch the served version of zone with the records at the names that the change-log rows
 * after `after` touched. PATCH_NOT: build it whole instead. */
static patch_result_t patch_zone(zdb_loader_t *l, const zone_t *zone, const zdb_zone_t *cur,
				 int64_t after, zdb_zone_t **out)
{
	int64_t started = time_mono_us();
	zdb_builder_t *b = zdb_patch_new(cur, zdb_zone_serial(cur));
	build_ctx_t bc = { .b = b, .zone = zone->name, .region = l->region, .ret = ERR_OK,
			   .is_patch = true };
	uint32_t serial = 0;
	int ret = store_record_each_touched(l->st, zone->id, after, &serial, on_record, &bc);
	if (ret != ERR_OK || bc.ret != ERR_OK) {
		zdb_builder_free(b);
		return PATCH_NOT;
	}
	if (serial == zdb_zone_serial(cur)) {
		zdb_builder_free(b); /* rows this zone's last patch read ahead already */
		return PATCH_SAME;
	}
	zdb_builder_set_serial(b, serial);
	const char *why = NULL;
	*out = zdb_patch_finish(b, &why);
	if (*out == NULL && why != NULL) {
		log_warn("zone %s, serial %u not served (%s)", zone->name, serial, why);
		return PATCH_FAILED;
	}
	if (*out == NULL) {
		return PATCH_NOT;
	}
	int64_t us = time_mono_us() - started;
	log_debug("zone %s, patched to serial %u, %zu records in %lld.%03lld ms", zone->name,
		  serial, bc.count, (long long)(us / 1000), (long long)(us % 1000));
	return PATCH_BUILT;
}

static void due_drop(zdb_loader_t *l, int64_t zone_id)
{
	for (size_t i = 0; i < l->due_count; i++) {
		if (l->due[i].zone_id == zone_id) {
			free(l->due[i].name);
			l->due[i] = l->due[--l->due_count];
			return;
		}
	}
}

static void due_set(zdb_loader_t *l, int64_t zone_id, const char *name, uint32_t at)
{
	due_drop(l, zone_id);
	if (l->due_count == l->due_cap) {
		l->due_cap = l->due_cap ? l->due_cap * 2 : 8;
		l->due = xrealloc(l->due, l->due_cap * sizeof(*l->due));
	}
	l->due[l->due_count++] = (struct due){ .zone_id = zone_id, .name = xstrdup(name), .at = at };
}

/* Signed zones whose signatures come due get a new serial: the change brings them back
 * to refresh(), whose whole build re-signs what is due. */
static void resign_due(zdb_loader_t *l)
{
	uint32_t now = (uint32_t)time_now();
	for (size_t i = 0; i < l->due_count;) {
		if ((int32_t)(now - l->due[i].at) < 0) {
			i++;
			continue;
		}
		uint32_t serial = 0;
		int ret = store_zone_touch(l->st, l->due[i].name, &serial);
		if (ret != ERR_OK && ret != ERR_NOTFOUND) {
			log_warn("zone %s, re-signing not started (%s)", l->due[i].name, err_str(ret));
			i++;
			continue;
		}
		due_drop(l, l->due[i].zone_id);
	}
}

/* Build a zone whole, and sign it when it has DNSSEC on (keeping prev's signatures that
 * still serve). NULL when it cannot be served. */
static zdb_zone_t *build_whole(zdb_loader_t *l, const zone_t *zone, const zdb_zone_t *prev)
{
	zdb_zone_t *z = zdb_load_zone(l->st, zone, l->region);
	if (z == NULL) {
		return NULL;
	}
	l->built_rrs += zdb_zone_rr_count(z);
	uint32_t at = 0;
	int ret = zdb_load_sign(l->st, &l->sign, zone->name, z, prev, &at);
	if (ret == ERR_NOTFOUND) {
		due_drop(l, zone->id);
		return z;
	}
	if (ret != ERR_OK) {
		zdb_zone_free(z);
		return NULL;
	}
	due_set(l, zone->id, zone->name, at);
	return z;
}

/* Whether zone_id is in the stale set, taking it out when take is set. */
static bool stale_has(zdb_loader_t *l, int64_t zone_id, bool take)
{
	for (size_t i = 0; i < l->stale_count; i++) {
		if (l->stale[i] == zone_id) {
			if (take) {
				l->stale[i] = l->stale[--l->stale_count];
			}
			return true;
		}
	}
	return false;
}

static void stale_add(zdb_loader_t *l, int64_t zone_id)
{
	if (stale_has(l, zone_id, false)) {
		return;
	}
	if (l->stale_count == l->stale_cap) {
		l->stale_cap = l->stale_cap ? l->stale_cap * 2 : 8;
		l->stale = xrealloc(l->stale, l->stale_cap * sizeof(*l->stale));
	}
	l->stale[l->stale_count++] = zone_id;
}

/* Bring one zone in step with the store: patch it, rebuild it, or take it out. `after`:
 * the change-log rows after this id are the ones not applied yet. */
static void refresh(zdb_loader_t *l, int64_t zone_id, const char *name, int64_t after,
		    bool is_patchable)
{
	arena_t a;
	arena_init(&a, 0);
	char ref[24];
	snprintf(ref, sizeof(ref), "%lld", (long long)zone_id);
	zone_t zone;
	int ret = store_zone_get(l->st, &a, 0, ref, &zone);
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	apex_of(name, apex);
	if (ret == ERR_NOTFOUND || (ret == ERR_OK && !is_served(l->st, &zone))) {
		zdb_remove(l->db, apex); /* deleted or deactivated: answered as not hosted */
		due_drop(l, zone_id);
		if (l->on_zone != NULL) {
			l->on_zone(l->on_zone_ctx, apex, NULL);
		}
	} else if (ret == ERR_OK) {
		const zdb_zone_t *cur = served(l->db, apex);
		/* a signed zone is built whole: its NSEC3 chain follows every name */
		is_patchable &= cur == NULL || zdb_zone_nsec3(cur) == NULL;
		zdb_zone_t *z = NULL;
		patch_result_t pr = PATCH_NOT;
		is_patchable &= !stale_has(l, zone.id, true);
		if (is_patchable && cur != NULL && zdb_zone_id(cur) == zone.id) {
			pr = patch_zone(l, &zone, cur, after, &z);
		}
		if (pr == PATCH_NOT) {
			z = build_whole(l, &zone, cur != NULL && zdb_zone_id(cur) == zone.id ? cur : NULL);
		}
		if (z == NULL && pr != PATCH_SAME) {
			stale_add(l, zone.id);
		}
		if (z != NULL) {
			zdb_publish(l->db, z);
			if (l->on_zone != NULL) { /* z is ours until this thread's next reclaim */
				l->on_zone(l->on_zone_ctx, zdb_zone_apex(z), z);
			}
		}
	} else {
		log_warn("zone %s, refresh failed (%s)", name, err_str(ret));
	}
	arena_clear(&a);
}

static void follow(zdb_loader_t *l)
{
	for (;;) {
		arena_t a;
		arena_init(&a, 0);
		store_change_row_t *rows = NULL;
		size_t n = 0;
		int ret = store_change_since(l->st, &a, l->last_change, CHANGE_BATCH, &rows, &n);
		if (ret != ERR_OK || n == 0) {
			arena_clear(&a);
			return;
		}
		/* Bring each zone up to date once per batch, at its newest change; a patch only
		 * when every row of the zone in the batch changes records. */
		for (size_t i = 0; i < n; i++) {
			bool is_later = false, is_patchable = true;
			for (size_t j = 0; j < n && !is_later; j++) {
				if (rows[j].zone_id == rows[i].zone_id) {
					is_later = j > i;
					is_patchable &= strcmp(rows[j].kind, "records") == 0;
				}
			}
			if (!is_later) {
				refresh(l, rows[i].zone_id, rows[i].zone_name, l->last_change,
					is_patchable);
			}
		}
		l->last_change = rows[n - 1].id;
		arena_clear(&a);
		zdb_reclaim(l->db);
		if (l->built_rrs > 100000) {
			malloc_trim(0); /* the rebuilds' scratch memory, and the old versions */
			l->built_rrs = 0;
		}
		if (n < CHANGE_BATCH) {
			return;
		}
	}
}

static void on_change(void *ctx)
{
	zdb_loader_t *l = ctx;
	pthread_mutex_lock(&l->lock);
	l->is_woken = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void *run(void *arg)
{
	zdb_loader_t *l = arg;
	pthread_mutex_lock(&l->lock);
	while (!l->is_stopping) {
		if (!l->is_woken) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)l->poll_ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&l->cond, &l->lock, &ts);
		}
		if (l->is_stopping) {
			break;
		}
		/* Rebuilding costs about what the last one did: wait as long again after it (at
		 * most 100 ms, so a single change to a huge zone is not held a whole rebuild), so
		 * a stream of writes is taken in batches. Small zones rebuild in microseconds. */
		int64_t pause_us = l->last_took_us < 100000 ? l->last_took_us : 100000;
		int64_t wait_us = l->last_end_us + pause_us - time_mono_us();
		if (wait_us > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)(wait_us % 1000000) * 1000L;
			ts.tv_sec += (time_t)(wait_us / 1000000) + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			while (!l->is_stopping &&
			       pthread_cond_timedwait(&l->cond, &l->lock, &ts) == 0) {
				; /* woken again meanwhile: keep waiting out the interval */
			}
		}
		l->is_woken = false;
		pthread_mutex_unlock(&l->lock);
		int64_t start = time_mono_us();
		follow(l);
		resign_due(l);
		zdb_reclaim(l->db);
		l->last_end_us = time_mono_us();
		l->last_took_us = l->last_end_us - start;
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

int zdb_loader_start(zdb_loader_t **out, zdb_t *db, store_t *st, const zdb_loader_conf_t *conf)
{
	zdb_loader_t *l = xcalloc(1, sizeof(*l));
	l->db = db;
	l->st = st;
	l->region = xstrdup(conf->region != NULL ? conf->region : "global");
	l->poll_ms = conf->poll_ms > 0 ? conf->poll_ms : 200;
	l->on_zone = conf->on_zone;
	l->on_zone_ctx = conf->on_zone_ctx;
	l->sign = conf->sign;
	l->secret_path = xstrdup(conf->sign.secret_path != NULL ? conf->sign.secret_path : "");
	l->sign.secret_path = l->secret_path;
	l->sign.threads = l->sign.threads > 0 ? l->sign.threads : 1;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);

	int64_t started = time_mono_ms();
	int ret = store_change_last(st, &l->last_change);
	arena_t a;
	arena_init(&a, 0);
	zone_t *zones = NULL;
	size_t n = 0;
	if (ret == ERR_OK) {
		ret = store_zone_all(st, &a, &zones, &n);
	}
	size_t served = 0;
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		if (!is_served(st, &zones[i])) {
			continue;
		}
		zdb_zone_t *z = build_whole(l, &zones[i], NULL);
		if (z != NULL) {
			zdb_publish(db, z);
			served++;
			if (l->on_zone != NULL) {
				l->on_zone(l->on_zone_ctx, zdb_zone_apex(z), z);
			}
		}
	}
	arena_clear(&a);
	if (ret != ERR_OK) {
		log_err("dns, loading zones failed (%s)", err_str(ret));
		zdb_loader_stop(l);
		return ret;
	}
	zdb_reclaim(db);
	/* Building used scratch memory (pending RRs, the scanner's buffers) that the zones do
	 * not keep: give it back to the system rather than hold it for the process's life. */
	malloc_trim(0);
	log_info("dns, serving %zu of %zu zones (loaded in %lld ms)", served, n,
		 (long long)(time_mono_ms() - started));
	store_set_change_hook(st, on_change, l);
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		store_set_change_hook(st, NULL, NULL);
		zdb_loader_stop(l);
		return ERR_INTERNAL;
	}
	*out = l;
	return ERR_OK;
}

void zdb_loader_stop(zdb_loader_t *l)
{
	if (l == NULL) {
		return;
	}
	if (l->thread) {
		store_set_change_hook(l->st, NULL, NULL);
		pthread_mutex_lock(&l->lock);
		l->is_stopping = true;
		pthread_cond_signal(&l->cond);
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
	}
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	free(l->stale);
	for (size_t i = 0; i < l->due_count; i++) {
		free(l->due[i].name);
	}
	free(l->due);
	free(l->secret_path);
	free(l->region);
	free(l);
}
