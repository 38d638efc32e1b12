/* stats.c -- per-worker zone query counters, read by one collector while workers count.
 *
 * DESIGN. Each worker owns an open-addressing hash table of zone id -> query count
 * (linear probing, a power-of-two size, at most half full). Only the worker writes it:
 * a new zone's key is stored with release order into an empty slot, and a count goes up
 * with a relaxed load and a relaxed store of its own slot -- a plain increment on x86-64
 * and arm64, no lock and no read-modify-write -- so the query path shares no written
 * cache line with anyone. A one-entry cache (the last zone) skips the probe when answers
 * come in runs for one zone. Counts only grow: nobody ever resets them.
 *
 * The collector (the flusher thread, about once a minute) reads every table with
 * acquire/relaxed loads and keeps, per worker, a private map of the count it last
 * reported per zone (`base`); the difference is what it flushes. A read racing with an
 * increment sees the old or the new value, and whatever it missed comes with the next
 * flush. Only when the store has taken a flush (stats_commit) do the reported counts
 * become the baseline, so a failed flush is simply repeated, larger, the next time.
 *
 * When a new zone would make a table more than half full, the worker builds a table of
 * twice the size holding the same counts, publishes it with a release store and pushes
 * the old one on its `retired` list. The collector takes that list at the start of a pass,
 * before it loads any table, and frees it then: the only reader of a retired table is an
 * earlier pass of the collector itself. A zone's count never goes down across a swap,
 * because the copy holds the worker's latest value. Zone ids are never reused by the
 * store, so tables never drop keys; a deleted zone keeps its slot until restart.
 *
 * Swapping two buffers per flush would need each worker to notice the flip before the
 * collector reads its buffer; monotonic counters need no handshake at all.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "dns/stats/stats.h"

#define TABLE_BITS_MIN 10 /* 1024 slots (16 KiB) per worker to start */
#define CACHE_LINE 64

typedef struct slot {
	_Atomic int64_t key;       /* zone id; 0 = empty */
	_Atomic uint64_t count;
} slot_t;

typedef struct table {
	unsigned bits;
	size_t used;               /* keys; the worker's only */
	struct table *retired_next;
	slot_t slots[];
} table_t;

/* The collector's private map of zone id -> two counts. */
typedef struct pentry {
	int64_t key;
	uint64_t committed;        /* base: the count the store has; sum: the delta */
	uint64_t reported;         /* base: the count the last collect reported */
} pentry_t;

typedef struct pmap {
	unsigned bits;
	size_t used;
	pentry_t *e;
} pmap_t;

/* Cache-line aligned: workers write their last_* fields often and must not share a line. */
struct stats_worker {
	/* The worker's own. */
	_Alignas(CACHE_LINE) table_t *mine; /* the table it counts in (== table) */
	int64_t last_key;
	slot_t *last_slot;
	/* Shared with the collector. */
	_Atomic(table_t *) table;
	_Atomic(table_t *) retired;
	/* The collector's own. */
	pmap_t base;
	stats_worker_t *next;
};

struct stats {
	pthread_mutex_t lock;      /* the worker list, and one collector at a time */
	stats_worker_t *workers;
};

static inline size_t hash(int64_t key, unsigned bits)
{
	return (size_t)(((uint64_t)key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

/* --- the worker's table ---------------------------------------------------------------- */

static table_t *table_new(unsigned bits)
{
	table_t *t = xcalloc(1, sizeof(*t) + ((size_t)1 << bits) * sizeof(slot_t));
	t->bits = bits;
	return t;
}

/* The slot holding key, or the empty slot where it goes. The table is never full. */
static slot_t *table_probe(table_t *t, int64_t key)
{
	size_t mask = ((size_t)1 << t->bits) - 1;
	for (size_t i = hash(key, t->bits);; i = (i + 1) & mask) {
		int64_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
		if (k == key || k == 0) {
			return &t->slots[i];
		}
	}
}

/* Double the worker's table; the old one goes to the collector to free. */
static __attribute__((cold, noinline)) void grow(stats_worker_t *w)
{
	table_t *old = w->mine, *t = table_new(old->bits + 1);
	for (size_t i = 0; i < ((size_t)1 << old->bits); i++) {
		int64_t key = atomic_load_explicit(&old->slots[i].key, memory_order_relaxed);
		if (key != 0) {
			slot_t *s = table_probe(t, key);
			atomic_store_explicit(&s->key, key, memory_order_relaxed);
			atomic_store_explicit(&s->count,
					      atomic_load_explicit(&old->slots[i].count,
								   memory_order_relaxed),
					      memory_order_relaxed);
			t->used++;
		}
	}
	atomic_store_explicit(&w->table, t, memory_order_release); /* publishes the copy */
	w->mine = t;
	w->last_key = 0;
	w->last_slot = NULL;
	table_t *head = atomic_load_explicit(&w->retired, memory_order_relaxed);
	do {
		old->retired_next = head;
	} while (!atomic_compare_exchange_weak_explicit(&w->retired, &head, old,
							memory_order_release,
							memory_order_relaxed));
}

/* A zone the worker has not counted before (s: its empty slot). Cold and out of line:
 * the counting path stays a probe and an increment. */
static __attribute__((cold, noinline)) slot_t *insert(stats_worker_t *w, slot_t *s,
						       int64_t key)
{
	if ((w->mine->used + 1) * 2 > ((size_t)1 << w->mine->bits)) {
		grow(w);
		s = table_probe(w->mine, key);
	}
	atomic_store_explicit(&s->key, key, memory_order_release);
	w->mine->used++;
	return s;
}

void stats_count_id(stats_worker_t *w, int64_t key)
{
	if (w == NULL || key <= 0) {
		return; /* key 0: a zone built without a store id (tests) */
	}
	slot_t *s = w->last_slot;
	if (key != w->last_key) {
		s = table_probe(w->mine, key);
		if (atomic_load_explicit(&s->key, memory_order_relaxed) == 0) {
			s = insert(w, s, key);
		}
		w->last_key = key;
		w->last_slot = s;
	}
	uint64_t n = atomic_load_explicit(&s->count, memory_order_relaxed);
	atomic_store_explicit(&s->count, n + 1, memory_order_relaxed);
}

void stats_count(stats_worker_t *w, const zdb_zone_t *zone)
{
	if (w != NULL && zone != NULL) {
		stats_count_id(w, zdb_zone_id(zone));
	}
}

/* --- the collector's maps -------------------------------------------------------------- */

static pentry_t *pmap_probe(const pmap_t *m, int64_t key)
{
	size_t mask = ((size_t)1 << m->bits) - 1;
	for (size_t i = hash(key, m->bits);; i = (i + 1) & mask) {
		if (m->e[i].key == key || m->e[i].key == 0) {
			return &m->e[i];
		}
	}
}

static void pmap_grow(pmap_t *m)
{
	pmap_t bigger = { .bits = m->bits != 0 ? m->bits + 1 : TABLE_BITS_MIN };
	bigger.e = xcalloc((size_t)1 << bigger.bits, sizeof(pentry_t));
	for (size_t i = 0; m->e != NULL && i < ((size_t)1 << m->bits); i++) {
		if (m->e[i].key != 0) {
			*pmap_probe(&bigger, m->e[i].key) = m->e[i];
			bigger.used++;
		}
	}
	free(m->e);
	*m = bigger;
}

/* The entry for key, made (zeroed) when missing. */
static pentry_t *pmap_get(pmap_t *m, int64_t key)
{
	if (m->e == NULL || (m->used + 1) * 2 > ((size_t)1 << m->bits)) {
		pmap_grow(m);
	}
	pentry_t *e = pmap_probe(m, key);
	if (e->key == 0) {
		e->key = key;
		m->used++;
	}
	return e;
}

/* --- the whole --------------------------------------------------------------------------- */

stats_t *stats_new(void)
{
	stats_t *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void tables_free(table_t *t)
{
	while (t != NULL) {
		table_t *next = t->retired_next;
		free(t);
		t = next;
	}
}

void stats_free(stats_t *s)
{
	if (s == NULL) {
		return;
	}
	while (s->workers != NULL) {
		stats_worker_t *w = s->workers;
		s->workers = w->next;
		free(atomic_load(&w->table));
		tables_free(atomic_load(&w->retired));
		free(w->base.e);
		free(w);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

stats_worker_t *stats_worker_add(stats_t *s)
{
	if (s == NULL) {
		return NULL;
	}
	void *mem = NULL;
	if (posix_memalign(&mem, CACHE_LINE, sizeof(stats_worker_t)) != 0) {
		PANIC("out of memory");
	}
	stats_worker_t *w = memset(mem, 0, sizeof(*w));
	w->mine = table_new(TABLE_BITS_MIN);
	atomic_init(&w->table, w->mine);
	atomic_init(&w->retired, NULL);
	pthread_mutex_lock(&s->lock);
	w->next = s->workers;
	s->workers = w;
	pthread_mutex_unlock(&s->lock);
	return w;
}

/* Add what w counted since its baseline to sum; remember what was reported. */
static void collect_worker(stats_worker_t *w, pmap_t *sum)
{
	/* Retired tables first: any table retired after this point may be read below. */
	tables_free(atomic_exchange_explicit(&w->retired, NULL, memory_order_acquire));
	table_t *t = atomic_load_explicit(&w->table, memory_order_acquire);
	for (size_t i = 0; i < ((size_t)1 << t->bits); i++) {
		int64_t key = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
		if (key == 0) {
			continue;
		}
		uint64_t n = atomic_load_explicit(&t->slots[i].count, memory_order_relaxed);
		pentry_t *b = pmap_get(&w->base, key);
		b->reported = n;
		if (n > b->committed) {
			pmap_get(sum, key)->committed += n - b->committed;
		}
	}
}

void stats_collect(stats_t *s, store_analytics_count_t **out, size_t *count)
{
	pmap_t sum = { 0 };
	pthread_mutex_lock(&s->lock);
	for (stats_worker_t *w = s->workers; w != NULL; w = w->next) {
		collect_worker(w, &sum);
	}
	pthread_mutex_unlock(&s->lock);
	store_analytics_count_t *d = xmalloc((sum.used > 0 ? sum.used : 1) * sizeof(*d));
	size_t n = 0;
	for (size_t i = 0; sum.e != NULL && i < ((size_t)1 << sum.bits); i++) {
		if (sum.e[i].key != 0) {
			d[n].zone_id = sum.e[i].key;
			d[n].volume = sum.e[i].committed;
			n++;
		}
	}
	free(sum.e);
	*out = d;
	*count = n;
}

void stats_commit(stats_t *s)
{
	pthread_mutex_lock(&s->lock);
	for (stats_worker_t *w = s->workers; w != NULL; w = w->next) {
		for (size_t i = 0; w->base.e != NULL && i < ((size_t)1 << w->base.bits); i++) {
			w->base.e[i].committed = w->base.e[i].reported;
		}
	}
	pthread_mutex_unlock(&s->lock);
}
