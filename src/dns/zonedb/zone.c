/* zone.c -- lookups in one zone version, the table of zones, and QSBR reclamation.
 *
 * DESIGN: names are hashed label by label from the root (zdb_name_hash()), so one pass
 * over a query name gives the hash of each of its suffixes: finding the zone (the longest
 * apex that is a suffix of the qname) and then the closest encloser in it probe one slot
 * run per suffix without hashing a byte twice. Index slots keep the full hash, so a probe
 * reads a node only when the hashes match. The table of zones never changes shape once
 * published: a new version of a zone goes into its slot with one atomic store, a new zone
 * fills an empty slot while the table is at most half full, and otherwise (or for a
 * removed zone) a new table, twice the size, replaces it. Retired versions and tables wait
 * on a list until every online reader has passed a quiescent point (QSBR).
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "dns/zonedb/zonedb_internal.h"

const zdb_node_t zdb_tomb;

#define HASH_SEED 1469598103934665603ULL
#define HASH_MUL 0x9e3779b97f4a7c15ULL

/* The n < 8 bytes at p as the low bytes of a word (the rest zero). */
static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
	uint64_t w = 0;
	for (size_t i = 0; i < n; i++) {
		w |= (uint64_t)p[i] << (8 * i);
	}
	return w;
}

/* One label (its length byte first) into the hash of the rest, eight bytes per
 * multiply: a byte-wise hash (FNV-1a, before) is one dependent multiply per byte, and
 * every query hashes its name a few times (~1.5% of the UDP worker's CPU). The length
 * byte leads, so labels of different lengths never load the same words. */
static inline uint64_t mix_label(uint64_t h, const uint8_t *label)
{
	size_t n = (size_t)label[0] + 1;
	const uint8_t *p = label;
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * HASH_MUL;
		h ^= h >> 32;
	}
	h = (h ^ load_tail(p, n)) * HASH_MUL;
	return h ^ (h >> 32);
}

/* The low bits pick the slot and the high ones are the slot's tag: splitmix64's
 * finalizer, so that both depend on every byte of every label. */
static inline uint64_t finish_hash(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

size_t zdb_name_hashes(const knot_dname_t *name, uint64_t hashes[ZDB_MAX_LABELS + 1],
		       const knot_dname_t *suffixes[ZDB_MAX_LABELS + 1])
{
	size_t n = 0;
	const uint8_t *p = name;
	while (*p != 0 && n < ZDB_MAX_LABELS) {
		suffixes[n++] = p;
		p += *p + 1;
	}
	suffixes[n] = p;
	uint64_t h = HASH_SEED;
	hashes[n] = finish_hash(h);
	for (size_t i = n; i-- > 0;) {
		h = mix_label(h, suffixes[i]);
		hashes[i] = finish_hash(h);
	}
	return n;
}

uint64_t zdb_name_hash(const knot_dname_t *name)
{
	uint8_t at[ZDB_MAX_LABELS];
	size_t n = 0, off = 0;
	while (name[off] != 0 && n < ZDB_MAX_LABELS) {
		at[n++] = (uint8_t)off;
		off += name[off] + 1u;
	}
	uint64_t h = HASH_SEED;
	while (n-- > 0) {
		h = mix_label(h, name + at[n]);
	}
	return finish_hash(h);
}

const knot_dname_t *zdb_zone_apex(const zdb_zone_t *z)
{
	return z->apex;
}

const zdb_node_t *zdb_zone_apex_node(const zdb_zone_t *z)
{
	return z->apex_node;
}

uint32_t zdb_zone_serial(const zdb_zone_t *z)
{
	return z->serial;
}

int64_t zdb_zone_id(const zdb_zone_t *z)
{
	return z->id;
}

const knot_rrset_t *zdb_zone_soa(const zdb_zone_t *z)
{
	return z->soa;
}

size_t zdb_zone_node_count(const zdb_zone_t *z)
{
	return z->node_count;
}

size_t zdb_zone_rr_count(const zdb_zone_t *z)
{
	return z->rr_count;
}

const zdb_change_t *zdb_zone_changes(const zdb_zone_t *z, uint32_t *from, size_t *count)
{
	*from = z->changes_from;
	*count = z->change_count;
	return z->changes;
}

const zdb_node_t *zdb_zone_next(const zdb_zone_t *z, size_t *pos)
{
	if (*pos == 0) {
		*pos = 1;
		return z->apex_node;
	}
	for (size_t i = *pos - 1; i <= z->index_mask; i++) {
		const zdb_node_t *n = zdb_slot_node(*zdb_slot_at(z, i));
		if (n != NULL && n != &zdb_tomb && n != z->apex_node) {
			*pos = i + 2;
			return n;
		}
	}
	*pos = z->index_mask + 2;
	return NULL;
}

void zdb_zone_set_ext(zdb_zone_t *z, void *ext, void (*free_fn)(void *))
{
	z->ext_free = free_fn;
	void *old = atomic_exchange_explicit(&z->ext, ext, memory_order_acq_rel);
	if (old != NULL && free_fn != NULL) {
		free_fn(old); /* only before the zone is published: readers may hold it after */
	}
}

void *zdb_zone_ext(const zdb_zone_t *z)
{
	return atomic_load_explicit(&((zdb_zone_t *)z)->ext, memory_order_acquire);
}

const knot_dname_t *const *zdb_zone_aliases(const zdb_zone_t *z, size_t *count)
{
	*count = z->alias_count;
	return z->aliases;
}

/* --- the index ------------------------------------------------------------------------- */

zdb_gen_t *zdb_gen_new(void)
{
	zdb_gen_t *g = xcalloc(1, sizeof(*g));
	atomic_init(&g->refs, 1);
	arena_init(&g->mem, 0);
	return g;
}

zdb_zone_t *zdb_zone_new_from(const zdb_zone_t *base)
{
	zdb_zone_t *z = xcalloc(1, sizeof(*z));
	z->gen = zdb_gen_new();
	z->apex = z->apex_buf;
	memcpy(z->apex_buf, base->apex, knot_dname_size(base->apex));
	z->apex_hash = base->apex_hash;
	z->apex_labels = base->apex_labels;
	z->serial = base->serial;
	z->id = base->id;
	z->rr_count = base->rr_count;
	return z;
}

void zdb_gen_unref(zdb_gen_t *g)
{
	if (g != NULL && atomic_fetch_sub(&g->refs, 1) == 1) {
		arena_clear(&g->mem);
		free(g);
	}
}

void zdb_index_init(zdb_zone_t *z, size_t nodes)
{
	size_t size = 16;
	while (size < nodes * 2) {
		size *= 2;
	}
	size_t per = size < ZDB_CHUNK_SLOTS ? size : ZDB_CHUNK_SLOTS;
	size_t chunks = size / per;
	z->chunks = chunks == 1 ? &z->chunk1 : arena_alloc(&z->gen->mem, chunks * sizeof(*z->chunks));
	for (size_t i = 0; i < chunks; i++) {
		z->chunks[i] = arena_alloc_zero(&z->gen->mem, per * sizeof(zdb_slot_t));
	}
	z->index_mask = size - 1;
	z->slots_used = 0;
}

void zdb_index_put(zdb_zone_t *z, const zdb_node_t *n, uint64_t h)
{
	assert(((uintptr_t)n >> ZDB_SLOT_ADDR_BITS) == 0);
	size_t i = h & z->index_mask;
	while (zdb_slot_at(z, i)->v != 0) {
		i = (i + 1) & z->index_mask;
	}
	*zdb_slot_at(z, i) = zdb_slot_make(n, h);
	z->slots_used++;
}

long zdb_index_probe(const zdb_zone_t *z, const knot_dname_t *name, uint64_t h, size_t *free_at)
{
	long tomb = -1;
	for (size_t i = h & z->index_mask;; i = (i + 1) & z->index_mask) {
		zdb_slot_t s = *zdb_slot_at(z, i);
		const zdb_node_t *n = zdb_slot_node(s);
		if (s.v == 0) {
			*free_at = tomb >= 0 ? (size_t)tomb : i;
			return -1;
		}
		if (n == &zdb_tomb) {
			tomb = tomb >= 0 ? tomb : (long)i;
		} else if (zdb_slot_matches(s, h) && zdb_name_equal(n->owner, name)) {
			return (long)i;
		}
	}
}

/* The node named name (hash h), or NULL. The index always has an empty slot (it is at
 * most half used, tombstones included), so the probe ends. */
static inline const zdb_node_t *get_hashed(const zdb_zone_t *z, const knot_dname_t *name,
					   uint64_t h)
{
	for (size_t i = h & z->index_mask;; i = (i + 1) & z->index_mask) {
		zdb_slot_t s = *zdb_slot_at(z, i);
		if (s.v == 0) {
			return NULL;
		}
		const zdb_node_t *n = zdb_slot_node(s);
		if (zdb_slot_matches(s, h) && n != &zdb_tomb && zdb_name_equal(n->owner, name)) {
			return n;
		}
	}
}

const zdb_node_t *zdb_zone_get(const zdb_zone_t *z, const knot_dname_t *name)
{
	return get_hashed(z, name, zdb_name_hash(name));
}

void zdb_hash_name(const knot_dname_t *name, zdb_hashed_name_t *out)
{
	out->labels = zdb_name_hashes(name, out->hash, out->suffix);
}

const zdb_node_t *zdb_zone_find_hashed(const zdb_zone_t *z, const zdb_hashed_name_t *qname,
				       const zdb_node_t **encloser)
{
	const zdb_node_t *n = get_hashed(z, qname->suffix[0], qname->hash[0]);
	if (n != NULL) {
		*encloser = n;
		return n;
	}
	/* Strip labels until a name exists; the apex always does. */
	for (size_t i = 1; i + z->apex_labels < qname->labels; i++) {
		const zdb_node_t *e = get_hashed(z, qname->suffix[i], qname->hash[i]);
		if (e != NULL) {
			*encloser = e;
			return NULL;
		}
	}
	*encloser = z->apex_node;
	return NULL;
}

const zdb_node_t *zdb_zone_find(const zdb_zone_t *z, const knot_dname_t *qname,
				const zdb_node_t **encloser)
{
	zdb_hashed_name_t n;
	zdb_hash_name(qname, &n);
	return zdb_zone_find_hashed(z, &n, encloser);
}

const knot_rrset_t *zdb_node_rrset(const zdb_node_t *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->rrset_count; i++) {
		if (n->rrsets[i].type == type) {
			return &n->rrsets[i];
		}
		if (n->rrsets[i].type > type) {
			break; /* sorted by type */
		}
	}
	return NULL;
}

const zdb_node_t *zdb_zone_wildcard(const zdb_zone_t *z, const zdb_node_t *n)
{
	return n->wildcard;
}

const zdb_node_t *zdb_zone_cut(const zdb_zone_t *z, const zdb_node_t *n)
{
	const zdb_node_t *cut = (n->flags & ZDB_NODE_DELEG) ? n : NULL;
	if (!(n->flags & ZDB_NODE_NONAUTH)) {
		return cut; /* no cut above n */
	}
	uint64_t h[ZDB_MAX_LABELS + 1];
	const knot_dname_t *suffix[ZDB_MAX_LABELS + 1];
	size_t labels = zdb_name_hashes(n->owner, h, suffix);
	for (size_t i = 1; i + z->apex_labels < labels; i++) {
		const zdb_node_t *a = get_hashed(z, suffix[i], h[i]);
		if (a != NULL && (a->flags & ZDB_NODE_DELEG)) {
			cut = a; /* the highest one wins */
		}
	}
	return cut;
}

/* --- the table of zones --------------------------------------------------------------- */

typedef struct slot {
	uint64_t hash;
	_Atomic(zdb_zone_t *) zone;
} slot_t;

typedef struct table {
	size_t mask;
	_Atomic size_t count;     /* written by the writer only; readers load relaxed */
	_Atomic unsigned max_labels;
	slot_t slots[];
} table_t;

typedef struct retired {
	struct retired *next;
	uint64_t epoch;
	zdb_zone_t *zone;   /* one of zone, table or ptr */
	table_t *table;
	void *ptr;
	void (*free_fn)(void *);
} retired_t;

struct zdb_reader {
	_Atomic uint64_t seen;    /* UINT64_MAX while offline */
	_Atomic uint64_t *epoch;  /* the db's */
	struct zdb_reader *next;
};

struct zdb {
	_Atomic(table_t *) table;
	_Atomic uint64_t epoch;
	pthread_mutex_t lock;     /* writers and reader registration */
	zdb_reader_t *readers;
	retired_t *retired;
};

static table_t *table_new(size_t capacity)
{
	size_t size = 16;
	while (size < capacity * 2) {
		size *= 2;
	}
	table_t *t = xcalloc(1, sizeof(*t) + size * sizeof(slot_t));
	t->mask = size - 1;
	return t;
}

static slot_t *table_slot(const table_t *t, const knot_dname_t *apex, uint64_t h)
{
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		slot_t *s = (slot_t *)&t->slots[i];
		zdb_zone_t *z = atomic_load_explicit(&s->zone, memory_order_acquire);
		if (z == NULL) {
			return NULL;
		}
		if (s->hash == h && zdb_name_equal(z->apex_buf, apex)) {
			return s;
		}
	}
}

static void table_put(table_t *t, zdb_zone_t *z)
{
	for (size_t i = z->apex_hash & t->mask;; i = (i + 1) & t->mask) {
		slot_t *s = &t->slots[i];
		if (atomic_load_explicit(&s->zone, memory_order_relaxed) == NULL) {
			/* max_labels first: a reader that finds the zone may need the labels */
			unsigned labels = (unsigned)knot_dname_labels(z->apex, NULL);
			if (labels > atomic_load_explicit(&t->max_labels, memory_order_relaxed)) {
				atomic_store_explicit(&t->max_labels, labels, memory_order_relaxed);
			}
			s->hash = z->apex_hash;
			atomic_store_explicit(&s->zone, z, memory_order_release);
			atomic_store_explicit(&t->count, atomic_load(&t->count) + 1,
					      memory_order_relaxed);
			return;
		}
	}
}

zdb_t *zdb_new(void)
{
	zdb_t *db = xcalloc(1, sizeof(*db));
	atomic_init(&db->table, table_new(16));
	atomic_init(&db->epoch, 1);
	pthread_mutex_init(&db->lock, NULL);
	return db;
}

static retired_t *retire(zdb_t *db, zdb_zone_t *z, table_t *t)
{
	retired_t *r = xcalloc(1, sizeof(*r));
	r->zone = z;
	r->table = t;
	r->epoch = atomic_fetch_add(&db->epoch, 1) + 1;
	r->next = db->retired;
	db->retired = r;
	return r;
}

static void retired_free(retired_t *r)
{
	zdb_zone_free(r->zone);
	free(r->table);
	if (r->free_fn != NULL) {
		r->free_fn(r->ptr);
	}
	free(r);
}

void zdb_retire(zdb_t *db, void *p, void (*free_fn)(void *))
{
	if (p == NULL) {
		return;
	}
	pthread_mutex_lock(&db->lock);
	retired_t *r = retire(db, NULL, NULL);
	r->ptr = p;
	r->free_fn = free_fn;
	pthread_mutex_unlock(&db->lock);
}

void zdb_free(zdb_t *db)
{
	if (db == NULL) {
		return;
	}
	table_t *t = atomic_load(&db->table);
	for (size_t i = 0; i <= t->mask; i++) {
		zdb_zone_free(atomic_load(&t->slots[i].zone));
	}
	free(t);
	for (retired_t *r = db->retired, *next; r != NULL; r = next) {
		next = r->next;
		retired_free(r);
	}
	for (zdb_reader_t *r = db->readers, *next; r != NULL; r = next) {
		next = r->next;
		free(r);
	}
	pthread_mutex_destroy(&db->lock);
	free(db);
}

const zdb_zone_t *zdb_find_zone_hashed(const zdb_t *db, const zdb_hashed_name_t *qname,
				       size_t skip)
{
	const table_t *t = atomic_load_explicit(&((zdb_t *)db)->table, memory_order_acquire);
	if (atomic_load_explicit(&((table_t *)t)->count, memory_order_relaxed) == 0) {
		return NULL;
	}
	size_t labels = qname->labels;
	unsigned max_labels = atomic_load_explicit(&((table_t *)t)->max_labels, memory_order_relaxed);
	size_t from = labels > max_labels ? labels - max_labels : 0;
	for (size_t i = from > skip ? from : skip; i <= labels; i++) {
		slot_t *s = table_slot(t, qname->suffix[i], qname->hash[i]);
		if (s != NULL) {
			return atomic_load_explicit(&s->zone, memory_order_acquire);
		}
	}
	return NULL;
}

const zdb_zone_t *zdb_find_zone(const zdb_t *db, const knot_dname_t *qname)
{
	zdb_hashed_name_t n;
	zdb_hash_name(qname, &n);
	return zdb_find_zone_hashed(db, &n, 0);
}

/* --- prefetching ----------------------------------------------------------------------- */

enum { PF_DONE, PF_TABLE_SLOT, PF_ZONE, PF_INDEX_SLOT };

void zdb_prefetch_start(const zdb_t *db, const knot_dname_t *qname, zdb_prefetch_t *p)
{
	const table_t *t = atomic_load_explicit(&((zdb_t *)db)->table, memory_order_acquire);
	uint64_t h[ZDB_MAX_LABELS + 1];
	const knot_dname_t *suffix[ZDB_MAX_LABELS + 1];
	size_t labels = zdb_name_hashes(qname, h, suffix);
	unsigned max_labels = atomic_load_explicit(&((table_t *)t)->max_labels, memory_order_relaxed);
	/* zdb_find_zone()'s first probe: the longest suffix that can be a zone's apex */
	p->name_hash = h[0];
	p->zone_hash = h[labels > max_labels ? labels - max_labels : 0];
	p->next = &t->slots[p->zone_hash & t->mask];
	p->level = PF_TABLE_SLOT;
	__builtin_prefetch(p->next);
}

void zdb_prefetch_step(zdb_prefetch_t *p)
{
	switch (p->level) {
	case PF_TABLE_SLOT: {
		/* The first slot only: with the table at most half full it usually holds the
		 * zone; on a miss the lookup itself probes on. */
		const slot_t *s = p->next;
		zdb_zone_t *z = atomic_load_explicit(&((slot_t *)s)->zone, memory_order_acquire);
		if (z == NULL || s->hash != p->zone_hash) {
			p->level = PF_DONE;
			return;
		}
		p->next = z;
		p->level = PF_ZONE;
		__builtin_prefetch(z); /* the hot line: chunks, chunk1, index_mask, apex */
		return;
	}
	case PF_ZONE: {
		const zdb_zone_t *z = p->next;
		p->next = zdb_slot_at(z, p->name_hash & z->index_mask);
		p->level = PF_INDEX_SLOT;
		__builtin_prefetch(p->next);
		return;
	}
	case PF_INDEX_SLOT: {
		zdb_slot_t s = *(const zdb_slot_t *)p->next;
		p->level = PF_DONE;
		if (s.v != 0 && zdb_slot_matches(s, p->name_hash)) {
			/* the node's header and, usually, its owner and first RRset */
			const char *n = (const char *)zdb_slot_node(s);
			__builtin_prefetch(n);
			__builtin_prefetch(n + 64);
		}
		return;
	}
	default:
		return;
	}
}

size_t zdb_zone_count(const zdb_t *db)
{
	return atomic_load(&((zdb_t *)db)->table)->count;
}

/* A copy of the table without `skip`, with room to grow: it doubles, so adding n zones
 * one by one copies O(n) slots in all (start-up with 100,000 zones). */
static table_t *table_copy(const table_t *t, const knot_dname_t *skip)
{
	table_t *n = table_new(2 * (atomic_load(&t->count) + 1));
	for (size_t i = 0; i <= t->mask; i++) {
		zdb_zone_t *z = atomic_load(&t->slots[i].zone);
		if (z != NULL && (skip == NULL || !knot_dname_is_equal(z->apex, skip))) {
			table_put(n, z);
		}
	}
	return n;
}

void zdb_publish(zdb_t *db, zdb_zone_t *zone)
{
	pthread_mutex_lock(&db->lock);
	table_t *t = atomic_load(&db->table);
	slot_t *s = table_slot(t, zone->apex, zone->apex_hash);
	if (s != NULL) {
		/* A new version of a served zone: one pointer store. */
		zdb_zone_t *old = atomic_exchange_explicit(&s->zone, zone, memory_order_acq_rel);
		retire(db, old, NULL);
	} else if ((atomic_load(&t->count) + 1) * 2 <= t->mask + 1) {
		/* Room left: fill an empty slot in place. Readers either miss the new zone (it is
		 * new) or see it whole: its slot's pointer is stored last, with release. */
		table_put(t, zone);
	} else {
		table_t *n = table_copy(t, NULL);
		table_put(n, zone);
		atomic_store_explicit(&db->table, n, memory_order_release);
		retire(db, NULL, t);
	}
	pthread_mutex_unlock(&db->lock);
}

void zdb_remove(zdb_t *db, const knot_dname_t *apex)
{
	pthread_mutex_lock(&db->lock);
	table_t *t = atomic_load(&db->table);
	slot_t *s = table_slot(t, apex, zdb_name_hash(apex));
	if (s != NULL) {
		zdb_zone_t *old = atomic_load(&s->zone);
		table_t *n = table_copy(t, apex);
		atomic_store_explicit(&db->table, n, memory_order_release);
		retire(db, old, t);
	}
	pthread_mutex_unlock(&db->lock);
}

void zdb_reclaim(zdb_t *db)
{
	pthread_mutex_lock(&db->lock);
	uint64_t min = UINT64_MAX;
	for (zdb_reader_t *r = db->readers; r != NULL; r = r->next) {
		uint64_t seen = atomic_load(&r->seen);
		min = seen < min ? seen : min;
	}
	retired_t **pp = &db->retired;
	while (*pp != NULL) {
		retired_t *r = *pp;
		if (r->epoch <= min) {
			*pp = r->next;
			retired_free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&db->lock);
}

zdb_reader_t *zdb_reader_register(zdb_t *db)
{
	zdb_reader_t *r = xcalloc(1, sizeof(*r));
	r->epoch = &db->epoch;
	atomic_init(&r->seen, atomic_load(&db->epoch));
	pthread_mutex_lock(&db->lock);
	r->next = db->readers;
	db->readers = r;
	pthread_mutex_unlock(&db->lock);
	return r;
}

void zdb_reader_unregister(zdb_t *db, zdb_reader_t *r)
{
	pthread_mutex_lock(&db->lock);
	for (zdb_reader_t **pp = &db->readers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&db->lock);
	free(r);
}

void zdb_reader_quiescent(zdb_reader_t *r)
{
	atomic_store(&r->seen, atomic_load(r->epoch));
}

void zdb_reader_offline(zdb_reader_t *r)
{
	atomic_store(&r->seen, UINT64_MAX);
}

void zdb_reader_online(zdb_reader_t *r)
{
	atomic_store(&r->seen, atomic_load(r->epoch));
}
