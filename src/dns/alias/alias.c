/* alias.c -- the ALIAS cache: lock-free lookups, targets chased through our zones, the
 * refresher thread, the redirector's addresses. DESIGN in alias.h. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "dns/alias/alias.h"
#include "dns/alias/alias_internal.h"

#define CHAIN_MAX 16                      /* steps through our zones, as answer.c's chains */
#define REFRESH_PERCENT 75                /* refresh an answer at 75% of its TTL */
#define REFRESH_MIN_MS 1000               /* but not more often than once a second */
#define RETRY_MIN_MS 1000                 /* after a failure: 1 s, 2 s, 4 s, ... */
#define RETRY_MAX_MS 30000                /* RFC 8767 5: the failure recheck timer, 30 s */
#define STALE_TTL 30                      /* RFC 8767 4: TTL of a stale answer */
#define STALE_MAX_MS (24LL * 3600 * 1000) /* RFC 8767 5: serve stale 1 to 3 days; we say 1 */
#define FORGET_MS (10 * 60 * 1000)        /* an external name nothing leads to any more */
#define SWEEP_DIRTY_MS 1000               /* full sweeps after zone changes, at most this often */
#define SWEEP_EVERY_MS 60000              /* and at least this often */
#define FAIL_LOG_MS 10000                 /* one failure line per 10 s at most */
#define TIMEOUT_DEFAULT_MS 1500
#define NEVER INT64_MAX

/* One answer for one name and type; immutable once published. */
typedef struct answer {
	knot_rrset_t rrset;     /* owner NULL and TTL 0: callers put their own */
	int64_t expires_ms;     /* CLOCK_MONOTONIC ms */
	uint64_t data[];        /* the rdata (8-aligned) */
} answer_t;

typedef struct entry {
	knot_dname_t *name;     /* lowercase wire */
	uint64_t hash;
	_Atomic(answer_t *) answer[2]; /* A, AAAA; NULL until resolved */
	/* the refresher's own (under the lock) */
	int64_t due_ms[2];      /* next resolution; NEVER when none is needed or in flight */
	int64_t good_until_ms[2]; /* expiry of the last answer the upstream gave */
	unsigned failures[2];
	int64_t unused_since_ms; /* 0 while an ALIAS leads here */
	bool is_wanted;          /* sweep scratch */
} entry_t;

/* Open addressing, at most half full; entries are only added in place (a reader sees a
 * slot empty or complete) and removed by building a new table. */
typedef struct table {
	size_t mask;
	size_t count;
	_Atomic(entry_t *) slots[];
} table_t;

/* The ALIAS targets of one zone, by apex (chained hash). */
typedef struct zone_targets {
	struct zone_targets *next;
	knot_dname_t *apex;
	uint64_t hash;
	size_t count;
	knot_dname_t **targets;
} zone_targets_t;

typedef struct name_vec {
	knot_dname_t **v;
	size_t count, cap;
} name_vec_t;

struct alias {
	_Atomic(table_t *) table;
	zdb_t *db;
	knot_rrset_t redirect[2];      /* A, AAAA */
	upstream_t servers[UPSTREAM_MAX];
	size_t server_count;
	size_t first_server;
	unsigned timeout_ms;
	alias_change_fn on_change;
	void *on_change_ctx;

	pthread_mutex_t lock;          /* everything below, and writes to the table */
	pthread_cond_t cond;
	pthread_t thread;
	bool has_thread;
	bool is_stopping;
	atomic_bool is_stopping_now;   /* is_stopping, for the thread while it asks upstream */
	bool is_dirty;                 /* a zone changed since the last sweep */
	zone_targets_t **zones;
	size_t zone_mask, zone_count;
	name_vec_t fresh;              /* targets of zones published since the thread looked */
	int64_t last_sweep_ms;
	bool has_warned;               /* "no resolver" said once */
	int64_t fail_log_ms;
	unsigned fail_quiet;           /* failures not logged since */
};

static int ix_of(uint16_t type)
{
	return type == KNOT_RRTYPE_AAAA;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* vDSO, no syscall: cheap on the query path */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t name_hash(const knot_dname_t *name)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	size_t size = knot_dname_size(name);
	for (size_t i = 0; i < size; i++) {
		h = (h ^ name[i]) * 1099511628211ULL;
	}
	return h;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* --- query side ------------------------------------------------------------------------- */

static entry_t *table_get(const table_t *t, const knot_dname_t *name, uint64_t h)
{
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		entry_t *e = atomic_load_explicit(&((table_t *)t)->slots[i], memory_order_acquire);
		if (e == NULL) {
			return NULL;
		}
		if (e->hash == h && knot_dname_is_equal(e->name, name)) {
			return e;
		}
	}
}

const knot_rrset_t *alias_lookup(const alias_t *a, const knot_dname_t *name, uint16_t type,
				 uint32_t *ttl)
{
	if (a == NULL || (type != KNOT_RRTYPE_A && type != KNOT_RRTYPE_AAAA)) {
		return NULL;
	}
	const table_t *t = atomic_load_explicit(&((alias_t *)a)->table, memory_order_acquire);
	entry_t *e = table_get(t, name, name_hash(name));
	if (e == NULL) {
		return NULL;
	}
	const answer_t *ans = atomic_load_explicit(&e->answer[ix_of(type)], memory_order_acquire);
	if (ans == NULL || ans->rrset.rrs.count == 0) {
		return NULL;
	}
	int64_t left = ans->expires_ms - now_ms();
	*ttl = left > 0 ? (uint32_t)(left / 1000) : 0; /* counts down, never overstates */
	return &ans->rrset;
}

const knot_rrset_t *alias_redirect(const alias_t *a, uint16_t type)
{
	if (a == NULL || (type != KNOT_RRTYPE_A && type != KNOT_RRTYPE_AAAA)) {
		return NULL;
	}
	const knot_rrset_t *rr = &a->redirect[ix_of(type)];
	return rr->rrs.count > 0 ? rr : NULL;
}

/* Follow name through our zones for type: the RRset when our data answers it, else NULL
 * with *external = the name where the chain leaves our data (NULL when our data says
 * there is no such RRset: NXDOMAIN, NODATA, a DNAME or POOL on the way, the loop guard). */
static const knot_rrset_t *chase(const alias_t *a, const zdb_t *db, const knot_dname_t *name,
				 uint16_t type, uint32_t *ttl, const knot_dname_t **external)
{
	*external = NULL;
	for (unsigned i = 0; i < CHAIN_MAX; i++) {
		const zdb_zone_t *z = zdb_find_zone(db, name);
		if (z == NULL) {
			*external = name;
			return NULL;
		}
		const zdb_node_t *enc = NULL;
		const zdb_node_t *n = zdb_zone_find(z, name, &enc);
		if ((n != NULL ? n : enc)->flags & (ZDB_NODE_DELEG | ZDB_NODE_NONAUTH)) {
			*external = name; /* delegated away: the child's servers answer it */
			return NULL;
		}
		if (n == NULL && !(enc->flags & ZDB_NODE_DNAME)) {
			n = zdb_zone_wildcard(z, enc); /* RFC 4592 */
		}
		if (n == NULL) {
			return NULL;
		}
		const knot_rrset_t *rr = zdb_node_rrset(n, type);
		if (rr != NULL) {
			*ttl = min_u32(*ttl, rr->ttl);
			return rr;
		}
		if (n->flags & ZDB_NODE_CNAME) {
			const knot_rrset_t *cname = zdb_node_rrset(n, KNOT_RRTYPE_CNAME);
			*ttl = min_u32(*ttl, cname->ttl);
			name = knot_cname_name(cname->rrs.rdata); /* lowercase, as built */
		} else if (n->flags & ZDB_NODE_ALIAS) {
			*ttl = min_u32(*ttl, n->pseudo->alias_ttl);
			name = n->pseudo->alias;
		} else if (n->flags & ZDB_NODE_URL) {
			*ttl = min_u32(*ttl, n->pseudo->url_ttl);
			return alias_redirect(a, type);
		} else {
			return NULL;
		}
	}
	return NULL;
}

const knot_rrset_t *alias_resolve(const alias_t *a, const zdb_t *db, const knot_dname_t *target,
				  uint16_t type, uint32_t *ttl)
{
	const knot_dname_t *external = NULL;
	const knot_rrset_t *rr = chase(a, db, target, type, ttl, &external);
	if (external != NULL) {
		uint32_t left = 0;
		rr = alias_lookup(a, external, type, &left);
		*ttl = min_u32(*ttl, left);
	}
	return rr;
}

/* --- the table (writer side, under the lock) -------------------------------------------- */

static table_t *table_new(size_t capacity)
{
	size_t size = 16;
	while (size < capacity * 2) {
		size *= 2;
	}
	table_t *t = xcalloc(1, sizeof(*t) + size * sizeof(t->slots[0]));
	t->mask = size - 1;
	return t;
}

static void table_put(table_t *t, entry_t *e)
{
	size_t i = e->hash & t->mask;
	while (atomic_load_explicit(&t->slots[i], memory_order_relaxed) != NULL) {
		i = (i + 1) & t->mask;
	}
	atomic_store_explicit(&t->slots[i], e, memory_order_release);
	t->count++;
}

static void entry_free(void *p)
{
	entry_t *e = p;
	free(atomic_load_explicit(&e->answer[0], memory_order_relaxed));
	free(atomic_load_explicit(&e->answer[1], memory_order_relaxed));
	free(e->name);
	free(e);
}

static table_t *cur_table(const alias_t *a)
{
	return atomic_load_explicit(&((alias_t *)a)->table, memory_order_relaxed);
}

/* A new table with the entries keep() accepts; the old one (and the others) retired. */
static void table_replace(alias_t *a, size_t capacity, bool (*keep)(const entry_t *e))
{
	table_t *old = cur_table(a);
	table_t *t = table_new(capacity);
	for (size_t i = 0; i <= old->mask; i++) {
		entry_t *e = atomic_load_explicit(&old->slots[i], memory_order_relaxed);
		if (e == NULL) {
			continue;
		}
		if (keep == NULL || keep(e)) {
			table_put(t, e);
		} else {
			zdb_retire(a->db, e, entry_free);
		}
	}
	atomic_store_explicit(&a->table, t, memory_order_release);
	zdb_retire(a->db, old, free);
}

static entry_t *entry_add(alias_t *a, const knot_dname_t *name, uint64_t h, int64_t now)
{
	if ((cur_table(a)->count + 1) * 2 > cur_table(a)->mask + 1) {
		table_replace(a, cur_table(a)->count * 2 + 1, NULL);
	}
	entry_t *e = xcalloc(1, sizeof(*e));
	size_t size = knot_dname_size(name);
	e->name = xmalloc(size);
	memcpy(e->name, name, size);
	e->hash = h;
	for (int ix = 0; ix < 2; ix++) {
		e->due_ms[ix] = a->server_count > 0 ? now : NEVER; /* resolve at once */
	}
	table_put(cur_table(a), e);
	if (a->server_count == 0 && !a->has_warned) {
		char text[KNOT_DNAME_TXT_MAXLEN + 1];
		log_warn("dns, ALIAS target %s is outside the hosted zones and no resolver is set: "
			 "such ALIAS records answer NODATA (set resolver)",
			 knot_dname_to_str(text, name, sizeof(text)) ? text : "?");
		a->has_warned = true;
	}
	return e;
}

/* The entry for an external name, made when missing, marked as wanted. */
static void want(alias_t *a, const knot_dname_t *name, int64_t now)
{
	uint64_t h = name_hash(name);
	entry_t *e = table_get(cur_table(a), name, h);
	if (e == NULL) {
		e = entry_add(a, name, h, now);
	}
	e->is_wanted = true;
	e->unused_since_ms = 0;
}

static answer_t *answer_new(uint16_t type, const knot_rdataset_t *rrs, int64_t expires_ms)
{
	size_t size = rrs != NULL ? rrs->size : 0;
	answer_t *ans = xcalloc(1, sizeof(*ans) + size);
	knot_rrset_init(&ans->rrset, NULL, type, KNOT_CLASS_IN, 0);
	if (size > 0) {
		memcpy(ans->data, rrs->rdata, size);
		ans->rrset.rrs.count = rrs->count;
		ans->rrset.rrs.size = (uint32_t)size;
		ans->rrset.rrs.rdata = (knot_rdata_t *)ans->data;
	}
	ans->expires_ms = expires_ms;
	return ans;
}

/* Swap e's answer for type; the old one is freed after the grace period. */
static void publish(alias_t *a, entry_t *e, int ix, answer_t *ans)
{
	answer_t *old = atomic_exchange_explicit(&e->answer[ix], ans, memory_order_acq_rel);
	zdb_retire(a->db, old, free);
}

void alias_set(alias_t *a, const knot_dname_t *name, uint16_t type, const knot_rdataset_t *rrs,
	       uint32_t ttl)
{
	pthread_mutex_lock(&a->lock);
	int64_t now = now_ms();
	uint64_t h = name_hash(name);
	entry_t *e = table_get(cur_table(a), name, h);
	if (e == NULL) {
		e = entry_add(a, name, h, now);
	}
	int ix = ix_of(type);
	ttl = min_u32(ttl, UPSTREAM_TTL_MAX);
	e->good_until_ms[ix] = now + (int64_t)ttl * 1000;
	publish(a, e, ix, answer_new(type, rrs, e->good_until_ms[ix]));
	pthread_mutex_unlock(&a->lock);
}

size_t alias_count(const alias_t *a)
{
	pthread_mutex_lock((pthread_mutex_t *)&a->lock);
	size_t n = cur_table(a)->count;
	pthread_mutex_unlock((pthread_mutex_t *)&a->lock);
	return n;
}

/* --- zones and their targets ------------------------------------------------------------ */

static knot_dname_t *name_dup(const knot_dname_t *name)
{
	size_t size = knot_dname_size(name);
	knot_dname_t *copy = xmalloc(size);
	memcpy(copy, name, size);
	return copy;
}

static void zone_targets_free(zone_targets_t *zt)
{
	for (size_t i = 0; i < zt->count; i++) {
		free(zt->targets[i]);
	}
	free(zt->targets);
	free(zt->apex);
	free(zt);
}

static zone_targets_t **zone_slot(alias_t *a, const knot_dname_t *apex, uint64_t h)
{
	zone_targets_t **pp = &a->zones[h & a->zone_mask];
	while (*pp != NULL && !((*pp)->hash == h && knot_dname_is_equal((*pp)->apex, apex))) {
		pp = &(*pp)->next;
	}
	return pp;
}

static void zones_grow(alias_t *a)
{
	size_t size = (a->zone_mask + 1) * 2;
	zone_targets_t **zones = xcalloc(size, sizeof(*zones));
	for (size_t i = 0; i <= a->zone_mask; i++) {
		for (zone_targets_t *zt = a->zones[i], *next; zt != NULL; zt = next) {
			next = zt->next;
			zt->next = zones[zt->hash & (size - 1)];
			zones[zt->hash & (size - 1)] = zt;
		}
	}
	free(a->zones);
	a->zones = zones;
	a->zone_mask = size - 1;
}

static void vec_push(name_vec_t *v, knot_dname_t *name)
{
	if (v->count == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->count++] = name;
}

void alias_on_zone(void *ctx, const knot_dname_t *apex, const zdb_zone_t *zone)
{
	alias_t *a = ctx;
	size_t count = 0;
	const knot_dname_t *const *targets = zone != NULL ? zdb_zone_aliases(zone, &count) : NULL;
	uint64_t h = name_hash(apex);
	pthread_mutex_lock(&a->lock);
	zone_targets_t **pp = zone_slot(a, apex, h);
	if (*pp != NULL) {
		zone_targets_t *old = *pp;
		*pp = old->next;
		zone_targets_free(old);
		a->zone_count--;
	}
	if (count > 0) {
		zone_targets_t *zt = xcalloc(1, sizeof(*zt));
		zt->apex = name_dup(apex);
		zt->hash = h;
		zt->count = count;
		zt->targets = xmalloc(count * sizeof(*zt->targets));
		for (size_t i = 0; i < count; i++) {
			zt->targets[i] = name_dup(targets[i]);
			vec_push(&a->fresh, name_dup(targets[i]));
		}
		if (a->zone_count + 1 > a->zone_mask + 1) {
			zones_grow(a);
		}
		pp = &a->zones[h & a->zone_mask];
		zt->next = *pp;
		*pp = zt;
		a->zone_count++;
	}
	/* Any zone change may move where a chain leaves our data (a CNAME edited, a zone
	 * added or removed): the next sweep looks again. */
	a->is_dirty = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* The external names target leads to (for A and for AAAA), wanted. Reader online. */
static void learn(alias_t *a, const knot_dname_t *target, int64_t now)
{
	static const uint16_t types[2] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
	for (int i = 0; i < 2; i++) {
		uint32_t ttl = UINT32_MAX;
		const knot_dname_t *external = NULL;
		(void)chase(a, a->db, target, types[i], &ttl, &external);
		if (external != NULL) {
			want(a, external, now);
		}
	}
}

static void learn_fresh(alias_t *a, int64_t now)
{
	for (size_t i = 0; i < a->fresh.count; i++) {
		learn(a, a->fresh.v[i], now);
		free(a->fresh.v[i]);
	}
	a->fresh.count = 0;
}

static bool is_kept(const entry_t *e)
{
	return e->unused_since_ms != -1;
}

/* Every zone's targets again: names no ALIAS leads to any more are forgotten after
 * FORGET_MS. Reader online. */
static void sweep(alias_t *a, int64_t now)
{
	table_t *t = cur_table(a);
	for (size_t i = 0; i <= t->mask; i++) {
		entry_t *e = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
		if (e != NULL) {
			e->is_wanted = false;
		}
	}
	for (size_t b = 0; b <= a->zone_mask; b++) {
		for (const zone_targets_t *zt = a->zones[b]; zt != NULL; zt = zt->next) {
			for (size_t i = 0; i < zt->count; i++) {
				learn(a, zt->targets[i], now);
			}
		}
	}
	t = cur_table(a); /* learn() may have grown it */
	size_t forgotten = 0;
	for (size_t i = 0; i <= t->mask; i++) {
		entry_t *e = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
		if (e == NULL || e->is_wanted) {
			continue;
		}
		if (e->unused_since_ms == 0) {
			e->unused_since_ms = now;
		} else if (now - e->unused_since_ms >= FORGET_MS) {
			e->unused_since_ms = -1; /* is_kept() says no */
			forgotten++;
		}
	}
	if (forgotten > 0) {
		table_replace(a, t->count - forgotten, is_kept);
		log_debug("dns, ALIAS cache forgot %zu unused targets", forgotten);
	}
}

/* The NOTIFY hook: every zone with an ALIAS that leads to name. Reader online. */
static void notify(alias_t *a, const knot_dname_t *name)
{
	static const uint16_t types[2] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
	for (size_t b = 0; b <= a->zone_mask; b++) {
		for (const zone_targets_t *zt = a->zones[b]; zt != NULL; zt = zt->next) {
			bool is_hit = false;
			for (size_t i = 0; i < zt->count && !is_hit; i++) {
				for (int k = 0; k < 2 && !is_hit; k++) {
					uint32_t ttl = UINT32_MAX;
					const knot_dname_t *ext = NULL;
					(void)chase(a, a->db, zt->targets[i], types[k], &ttl, &ext);
					is_hit = ext != NULL && knot_dname_is_equal(ext, name);
				}
			}
			if (is_hit) {
				a->on_change(a->on_change_ctx, zt->apex);
			}
		}
	}
}

/* --- refreshing ------------------------------------------------------------------------- */

static void log_failure(alias_t *a, const entry_t *e, const upstream_q_t *q, bool is_stale,
			int64_t now)
{
	if (a->fail_log_ms != 0 && now - a->fail_log_ms < FAIL_LOG_MS) {
		a->fail_quiet++;
		return;
	}
	char name[KNOT_DNAME_TXT_MAXLEN + 1], more[64] = "";
	if (knot_dname_to_str(name, e->name, sizeof(name)) == NULL) {
		snprintf(name, sizeof(name), "?");
	}
	if (a->fail_quiet > 0) {
		snprintf(more, sizeof(more), "; %u more failures since the last report",
			 a->fail_quiet);
	}
	log_warn("dns, ALIAS target %s %s, resolution failed (%s%s%s), %s%s", name,
		 q->type == KNOT_RRTYPE_AAAA ? "AAAA" : "A", err_str(q->ret),
		 q->server != NULL ? " at " : "", q->server != NULL ? q->server : "",
		 is_stale ? "serving the last answer (RFC 8767)" : "answering NODATA", more);
	a->fail_log_ms = now;
	a->fail_quiet = 0;
}

static void on_answer(alias_t *a, entry_t *e, int ix, upstream_q_t *q, int64_t now)
{
	uint32_t ttl = min_u32(q->ttl, UPSTREAM_TTL_MAX);
	const answer_t *old = atomic_load_explicit(&e->answer[ix], memory_order_relaxed);
	bool is_same = old != NULL && knot_rdataset_eq(&old->rrset.rrs, &q->rrs);
	bool is_change = !is_same && (old != NULL || q->rrs.count > 0);
	e->good_until_ms[ix] = now + (int64_t)ttl * 1000;
	publish(a, e, ix, answer_new(q->type, &q->rrs, e->good_until_ms[ix]));
	e->failures[ix] = 0;
	int64_t wait = (int64_t)ttl * 1000 * REFRESH_PERCENT / 100;
	e->due_ms[ix] = now + (wait > REFRESH_MIN_MS ? wait : REFRESH_MIN_MS);
	if (is_change) {
		char name[KNOT_DNAME_TXT_MAXLEN + 1];
		log_debug("dns, ALIAS target %s %s, %u addresses, TTL %u",
			  knot_dname_to_str(name, e->name, sizeof(name)) ? name : "?",
			  q->type == KNOT_RRTYPE_AAAA ? "AAAA" : "A", q->rrs.count, ttl);
		if (a->on_change != NULL) {
			notify(a, e->name); /* a first answer too: transfers carry it (dns/xfr) */
		}
	}
}

/* RFC 8767: keep the last good answer, as a stale copy with a short TTL once it would
 * expire before the next try; drop it a day past its expiry. */
static void on_failure(alias_t *a, entry_t *e, int ix, const upstream_q_t *q, int64_t now)
{
	unsigned shift = e->failures[ix] < 5 ? e->failures[ix] : 5;
	e->failures[ix]++;
	int64_t retry = (int64_t)RETRY_MIN_MS << shift;
	retry = retry < RETRY_MAX_MS ? retry : RETRY_MAX_MS;
	e->due_ms[ix] = now + retry;
	const answer_t *old = atomic_load_explicit(&e->answer[ix], memory_order_relaxed);
	if (old != NULL && now > e->good_until_ms[ix] + STALE_MAX_MS) {
		publish(a, e, ix, NULL);
		old = NULL;
	} else if (old != NULL && old->expires_ms < now + retry) {
		publish(a, e, ix, answer_new(q->type, &old->rrset.rrs, now + STALE_TTL * 1000));
	}
	log_failure(a, e, q, old != NULL, now);
}

/* Up to UPSTREAM_BATCH due questions; their due times become NEVER while in flight. */
static size_t collect_due(alias_t *a, int64_t now, upstream_q_t *qs, entry_t **es)
{
	const table_t *t = cur_table(a);
	size_t n = 0;
	for (size_t i = 0; i <= t->mask && n < UPSTREAM_BATCH; i++) {
		entry_t *e = atomic_load_explicit(&((table_t *)t)->slots[i], memory_order_relaxed);
		for (int ix = 0; e != NULL && ix < 2 && n < UPSTREAM_BATCH; ix++) {
			if (e->due_ms[ix] > now) {
				continue;
			}
			e->due_ms[ix] = NEVER;
			memset(&qs[n], 0, sizeof(qs[n]));
			qs[n].name = e->name;
			qs[n].type = ix ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A;
			es[n++] = e;
		}
	}
	return n;
}

static int64_t next_due(const alias_t *a)
{
	const table_t *t = cur_table(a);
	int64_t next = NEVER;
	for (size_t i = 0; i <= t->mask; i++) {
		const entry_t *e =
			atomic_load_explicit(&((table_t *)t)->slots[i], memory_order_relaxed);
		for (int ix = 0; e != NULL && ix < 2; ix++) {
			next = e->due_ms[ix] < next ? e->due_ms[ix] : next;
		}
	}
	return next;
}

static void wait_until(alias_t *a, int64_t when_ms)
{
	int64_t delay = when_ms - now_ms();
	if (delay <= 0) {
		return;
	}
	delay = delay < SWEEP_EVERY_MS ? delay : SWEEP_EVERY_MS;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += delay / 1000;
	ts.tv_nsec += (delay % 1000) * 1000000L + 1000000L; /* +1 ms: the coarse clock lags */
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&a->cond, &a->lock, &ts);
}

/* One round: learn, sweep, resolve what is due. Lock held (released while asking).
 * Returns false when there was nothing to resolve. */
static bool round_once(alias_t *a, zdb_reader_t *r)
{
	upstream_q_t qs[UPSTREAM_BATCH];
	entry_t *es[UPSTREAM_BATCH];
	int64_t now = now_ms();
	zdb_reader_online(r);
	learn_fresh(a, now);
	if ((a->is_dirty && now - a->last_sweep_ms >= SWEEP_DIRTY_MS) ||
	    now - a->last_sweep_ms >= SWEEP_EVERY_MS) {
		a->is_dirty = false;
		a->last_sweep_ms = now;
		sweep(a, now);
	}
	zdb_reader_offline(r);
	size_t n = collect_due(a, now, qs, es);
	if (n == 0) {
		return false;
	}
	pthread_mutex_unlock(&a->lock);
	upstream_resolve(a->servers, a->server_count, &a->first_server, qs, n, a->timeout_ms,
			 &a->is_stopping_now);
	pthread_mutex_lock(&a->lock);
	now = now_ms();
	zdb_reader_online(r); /* notify() reads the zones */
	for (size_t i = 0; i < n; i++) {
		int ix = ix_of(qs[i].type);
		if (qs[i].ret == ERR_OK) {
			on_answer(a, es[i], ix, &qs[i], now);
		} else {
			on_failure(a, es[i], ix, &qs[i], now);
		}
		knot_rdataset_clear(&qs[i].rrs, NULL);
	}
	zdb_reader_offline(r);
	/* No zdb_reclaim() here: the loader reclaims every poll (it relies on being the only
	 * one, to read the zone it just replaced); what we retired waits for it. */
	return true;
}

static void *run(void *arg)
{
	alias_t *a = arg;
	zdb_reader_t *r = zdb_reader_register(a->db);
	zdb_reader_offline(r);
	pthread_mutex_lock(&a->lock);
	while (!a->is_stopping) {
		if (round_once(a, r) || a->fresh.count > 0) {
			continue;
		}
		int64_t wake = next_due(a);
		int64_t sweep_at = a->last_sweep_ms;
		sweep_at += a->is_dirty ? SWEEP_DIRTY_MS : SWEEP_EVERY_MS;
		wait_until(a, wake < sweep_at ? wake : sweep_at);
	}
	pthread_mutex_unlock(&a->lock);
	zdb_reader_unregister(a->db, r);
	return NULL;
}

/* --- life ------------------------------------------------------------------------------- */

/* The redirector's addresses into a->redirect[]. */
static int parse_redirect(alias_t *a, const char *list, char *err, size_t errsize)
{
	knot_rrset_init(&a->redirect[0], NULL, KNOT_RRTYPE_A, KNOT_CLASS_IN, 0);
	knot_rrset_init(&a->redirect[1], NULL, KNOT_RRTYPE_AAAA, KNOT_CLASS_IN, 0);
	for (const char *p = list != NULL ? list : ""; *p != '\0';) {
		size_t n = strcspn(p, ",");
		char text[INET6_ADDRSTRLEN + 1] = "";
		size_t skip = strspn(p, " \t");
		size_t len = n > skip ? n - skip : 0;
		while (len > 0 && (p[skip + len - 1] == ' ' || p[skip + len - 1] == '\t')) {
			len--;
		}
		if (len >= sizeof(text)) {
			snprintf(err, errsize, "redirect-addresses: '%.*s' is not an IP address",
				 (int)n, p);
			return ERR_INVALID;
		}
		memcpy(text, p + skip, len);
		p += n + (p[n] == ',');
		if (len == 0) {
			continue;
		}
		union {
			knot_rdata_t rd;
			uint8_t bytes[sizeof(knot_rdata_t) + 16];
		} u;
		int ix = strchr(text, ':') != NULL;
		if (inet_pton(ix ? AF_INET6 : AF_INET, text, u.rd.data) != 1) {
			snprintf(err, errsize, "redirect-addresses: '%s' is not an IP address",
				 text);
			return ERR_INVALID;
		}
		u.rd.len = ix ? 16 : 4;
		if (knot_rdataset_add(&a->redirect[ix].rrs, &u.rd, NULL) != KNOT_EOK) {
			return ERR_NOMEM;
		}
	}
	return ERR_OK;
}

int alias_new(alias_t **out, const alias_conf_t *conf, zdb_t *db, char *err, size_t errsize)
{
	alias_t *a = xcalloc(1, sizeof(*a));
	a->db = db;
	atomic_init(&a->table, table_new(16));
	a->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : TIMEOUT_DEFAULT_MS;
	a->on_change = conf->on_change;
	a->on_change_ctx = conf->on_change_ctx;
	a->zones = xcalloc(64, sizeof(*a->zones));
	a->zone_mask = 63;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &ca);
	pthread_condattr_destroy(&ca);
	int ret = upstream_parse(conf->resolvers, a->servers, UPSTREAM_MAX, &a->server_count, err,
				 errsize);
	if (ret == ERR_OK) {
		ret = parse_redirect(a, conf->redirect, err, errsize);
	}
	if (ret != ERR_OK) {
		alias_free(a);
		return ret == ERR_NOMEM ? ret : ERR_INVALID;
	}
	*out = a;
	return ERR_OK;
}

int alias_start(alias_t *a)
{
	if (pthread_create(&a->thread, NULL, run, a) != 0) {
		return ERR_INTERNAL;
	}
	a->has_thread = true;
	if (a->server_count > 0) {
		char list[UPSTREAM_MAX * 66] = "";
		size_t used = 0;
		for (size_t i = 0; i < a->server_count && used < sizeof(list); i++) {
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", a->servers[i].text);
		}
		log_info("dns, ALIAS targets outside the hosted zones resolve through %s", list);
	}
	return ERR_OK;
}

void alias_free(alias_t *a)
{
	if (a == NULL) {
		return;
	}
	if (a->has_thread) {
		pthread_mutex_lock(&a->lock);
		a->is_stopping = true;
		atomic_store(&a->is_stopping_now, true);
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	table_t *t = cur_table(a);
	for (size_t i = 0; i <= t->mask; i++) {
		entry_t *e = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
		if (e != NULL) {
			entry_free(e);
		}
	}
	free(t);
	for (size_t b = 0; b <= a->zone_mask; b++) {
		for (zone_targets_t *zt = a->zones[b], *next; zt != NULL; zt = next) {
			next = zt->next;
			zone_targets_free(zt);
		}
	}
	free(a->zones);
	for (size_t i = 0; i < a->fresh.count; i++) {
		free(a->fresh.v[i]);
	}
	free(a->fresh.v);
	knot_rdataset_clear(&a->redirect[0].rrs, NULL);
	knot_rdataset_clear(&a->redirect[1].rrs, NULL);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
