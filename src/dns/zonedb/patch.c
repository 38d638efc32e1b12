/* patch.c -- a new version of a zone from the previous one and the names a change touched.
 *
 * DESIGN: the builder collects the RRs each touched name holds now (and a mark per touched
 * name, type 0, so a name with nothing left is seen). Finishing works on a small map of
 * "dirty" names: each touched name gets a new node (or none), and the names around it
 * that must change with it get copies: the parent whose child count or wildcard mark
 * changes, the empty non-terminals a new name needs or a removal leaves childless. Then the
 * dirty names are written into a copy-on-write index (only the chunks written are copied),
 * and the version records the (old, new) node pairs for the IXFR journal. A change that
 * would alter other names' flags -- a zone cut appearing or going at a name with names
 * below it -- is not patched: the zone is built whole (the answer says so). When the
 * replaced nodes' memory grows too large, the result is compacted (compact.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/zonedb/zonedb_internal.h"

/* Node flags a node keeps when its own data is replaced: they describe its place. */
#define KEPT_FLAGS (ZDB_NODE_WILDCARD | ZDB_NODE_APEX | ZDB_NODE_NONAUTH)

typedef struct dirty {
	const knot_dname_t *owner; /* NULL: a free map slot; valid during the patch */
	uint64_t hash;
	const zdb_node_t *old;     /* in the base version; NULL for a new name */
	zdb_node_t *node;          /* in the new version; NULL when the name goes */
} dirty_t;

typedef struct patch {
	zdb_zone_t *z;
	const zdb_zone_t *base;
	dirty_t *map;
	size_t mask, used;
	bool is_structural;        /* build whole instead */
} patch_t;

zdb_builder_t *zdb_patch_new(const zdb_zone_t *base, uint32_t serial)
{
	zdb_builder_t *b = xcalloc(1, sizeof(*b));
	zdb_zone_t *z = b->z = zdb_zone_new_from(base);
	b->base = base;
	arena_init(&b->scratch, 0);
	z->gen_count = base->gen_count + 1;
	z->gens = xmalloc(z->gen_count * sizeof(*z->gens));
	for (size_t i = 0; i < base->gen_count; i++) {
		atomic_fetch_add(&base->gens[i]->refs, 1);
		z->gens[i] = base->gens[i];
	}
	z->gens[base->gen_count] = z->gen;
	z->patch_bytes = base->patch_bytes;
	z->apex_node = base->apex_node;
	z->soa = base->soa;
	z->serial = serial;
	z->node_count = base->node_count;
	z->slots_used = base->slots_used;
	z->index_mask = base->index_mask;
	size_t chunks = (base->index_mask >> ZDB_CHUNK_BITS) + 1;
	z->chunks = chunks == 1 ? &z->chunk1 : arena_alloc(&z->gen->mem, chunks * sizeof(*z->chunks));
	memcpy(z->chunks, base->chunks, chunks * sizeof(*z->chunks));
	return b;
}

int zdb_patch_touch(zdb_builder_t *b, const char *owner)
{
	return zdb_builder_push(b, owner) != NULL ? ERR_OK : ERR_INVALID;
}

/* --- the dirty map ---------------------------------------------------------------------- */

static const zdb_node_t *base_get(const zdb_zone_t *z, const knot_dname_t *name, uint64_t h)
{
	size_t free_at;
	long i = zdb_index_probe(z, name, h, &free_at);
	return i >= 0 ? zdb_slot_node(*zdb_slot_at(z, (size_t)i)) : NULL;
}

static dirty_t *map_find(const patch_t *p, const knot_dname_t *name, uint64_t h)
{
	for (size_t i = h & p->mask;; i = (i + 1) & p->mask) {
		dirty_t *d = &p->map[i];
		if (d->owner == NULL || (d->hash == h && zdb_name_equal(d->owner, name))) {
			return d;
		}
	}
}

static void map_grow(patch_t *p)
{
	dirty_t *old = p->map;
	size_t size = p->mask + 1;
	p->mask = size * 2 - 1;
	p->map = xcalloc(size * 2, sizeof(*p->map));
	for (size_t i = 0; i < size; i++) {
		if (old[i].owner != NULL) {
			*map_find(p, old[i].owner, old[i].hash) = old[i];
		}
	}
	free(old);
}

static zdb_node_t *node_new(patch_t *p, const knot_dname_t *owner)
{
	return zdb_node_alloc(p->z, owner);
}

/* The dirty entry of name, made on first use with a copy of the base node (which the
 * patch may then change). The pointer is valid until the next dirty() call. */
static dirty_t *dirty(patch_t *p, const knot_dname_t *name)
{
	uint64_t h = zdb_name_hash(name);
	dirty_t *d = map_find(p, name, h);
	if (d->owner != NULL) {
		return d;
	}
	if ((p->used + 1) * 2 > p->mask + 1) {
		map_grow(p);
		d = map_find(p, name, h);
	}
	p->used++;
	d->owner = name;
	d->hash = h;
	d->old = base_get(p->base, name, h);
	d->node = NULL;
	if (d->old != NULL) {
		d->node = arena_alloc(&p->z->gen->mem, sizeof(*d->node));
		*d->node = *d->old;
		d->owner = d->old->owner;
	}
	return d;
}

static bool is_wildcard(const knot_dname_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

/* A new name exists: its parent gains a child, or is created as an empty non-terminal,
 * and so on up. */
static void link_new(patch_t *p, const knot_dname_t *name)
{
	for (;;) {
		const knot_dname_t *up = knot_wire_next_label(name, NULL);
		dirty_t *d = dirty(p, up);
		bool is_new = d->node == NULL;
		if (is_new) {
			d->node = node_new(p, up);
			d->node->flags = ZDB_NODE_EMPTY;
		}
		d->node->children++;
		if (is_wildcard(name)) {
			d->node->flags |= ZDB_NODE_WILDCARD;
		}
		if (!is_new) {
			return;
		}
		name = up;
	}
}

/* name's node goes: its parent loses a child, and an empty non-terminal left without
 * children goes too, and so on up. */
static void unlink_gone(patch_t *p, const knot_dname_t *name)
{
	for (;;) {
		const knot_dname_t *up = knot_wire_next_label(name, NULL);
		dirty_t *d = dirty(p, up);
		zdb_node_t *n = d->node;
		if (n == NULL) {
			return; /* cannot be: a name's parent exists */
		}
		n->children--;
		if (is_wildcard(name)) {
			n->flags &= (uint16_t)~ZDB_NODE_WILDCARD;
		}
		if (!(n->flags & ZDB_NODE_EMPTY) || n->children > 0 || (n->flags & ZDB_NODE_APEX)) {
			return;
		}
		d->node = NULL;
		name = up;
	}
}

static size_t node_rrs(const zdb_node_t *n)
{
	size_t count = 0;
	for (uint16_t i = 0; n != NULL && i < n->rrset_count; i++) {
		count += n->rrsets[i].rrs.count;
	}
	return count;
}

/* One touched name and the RRs [from, to) it holds now (marks included). */
static const char *apply_name(patch_t *p, const zdb_pending_t *rrs, size_t from, size_t to)
{
	bool has_data = false;
	for (size_t i = from; i < to && !has_data; i++) {
		has_data = rrs[i].type != 0;
	}
	const knot_dname_t *name = rrs[from].owner;
	dirty_t *d = dirty(p, name);
	zdb_node_t *n = d->node;
	bool was_deleg = n != NULL && (n->flags & ZDB_NODE_DELEG);
	if (!has_data) {
		if (n == NULL || (n->flags & ZDB_NODE_EMPTY)) {
			return NULL; /* nothing there, nothing now */
		}
		if (n->flags & ZDB_NODE_APEX) {
			return "the zone has no SOA record at its apex";
		}
		if (n->children > 0) {
			p->is_structural |= was_deleg;
			n->rrsets = NULL;
			n->rrset_count = 0;
			n->pseudo = NULL;
			n->flags = (uint16_t)((n->flags & KEPT_FLAGS) | ZDB_NODE_EMPTY);
			return NULL;
		}
		d->node = NULL;
		unlink_gone(p, name);
		return NULL;
	}
	bool is_new = n == NULL;
	if (is_new) {
		n = d->node = node_new(p, d->owner);
	}
	n->flags &= KEPT_FLAGS;
	zdb_fill_node(p->z, n, rrs, from, to);
	if (!(n->flags & ZDB_NODE_APEX) && zdb_node_rrset(n, KNOT_RRTYPE_NS) != NULL) {
		n->flags |= ZDB_NODE_DELEG;
	}
	p->is_structural |= was_deleg != ((n->flags & ZDB_NODE_DELEG) != 0) && n->children > 0;
	const char *why = zdb_node_check(n);
	if (why == NULL && is_new) {
		link_new(p, d->owner);
	}
	return why;
}

/* A "*" node that changed gets its parent's pointer: the parent is replaced too. */
static void link_wildcards(patch_t *p)
{
	size_t k = 0;
	dirty_t *stars = xmalloc((p->used > 0 ? p->used : 1) * sizeof(*stars));
	for (size_t i = 0; i <= p->mask; i++) {
		if (p->map[i].owner != NULL && is_wildcard(p->map[i].owner)) {
			stars[k++] = p->map[i]; /* a copy: dirty() below may move the map */
		}
	}
	for (size_t i = 0; i < k; i++) {
		dirty_t *d = dirty(p, knot_wire_next_label(stars[i].owner, NULL));
		if (d->node != NULL) {
			d->node->wildcard = stars[i].node;
		}
	}
	free(stars);
}

/* New names take NONAUTH from their parent, parents first. */
static int cmp_dirty(const void *x, const void *y)
{
	const dirty_t *a = *(const dirty_t *const *)x, *b = *(const dirty_t *const *)y;
	return zdb_name_order(a->owner, b->owner);
}

static void mark_new_names(patch_t *p)
{
	dirty_t **fresh = xmalloc(p->used * sizeof(*fresh));
	size_t k = 0;
	for (size_t i = 0; i <= p->mask; i++) {
		if (p->map[i].owner != NULL && p->map[i].old == NULL && p->map[i].node != NULL) {
			fresh[k++] = &p->map[i];
		}
	}
	qsort(fresh, k, sizeof(*fresh), cmp_dirty);
	for (size_t i = 0; i < k; i++) {
		const knot_dname_t *up = knot_wire_next_label(fresh[i]->owner, NULL);
		uint64_t h = zdb_name_hash(up);
		const dirty_t *d = map_find(p, up, h);
		const zdb_node_t *parent = d->owner != NULL ? d->node : base_get(p->base, up, h);
		if (parent->flags & (ZDB_NODE_DELEG | ZDB_NODE_NONAUTH)) {
			fresh[i]->node->flags |= ZDB_NODE_NONAUTH;
		}
	}
	free(fresh);
}

/* --- the copy-on-write index ------------------------------------------------------------ */

static zdb_slot_t *slot_for_write(zdb_zone_t *z, bool *owned, size_t i)
{
	size_t c = i >> ZDB_CHUNK_BITS;
	if (!owned[c]) {
		size_t per = z->index_mask + 1 < ZDB_CHUNK_SLOTS ? z->index_mask + 1 : ZDB_CHUNK_SLOTS;
		zdb_slot_t *copy = arena_alloc(&z->gen->mem, per * sizeof(*copy));
		memcpy(copy, z->chunks[c], per * sizeof(*copy));
		z->chunks[c] = copy;
		owned[c] = true;
	}
	return zdb_slot_at(z, i);
}

/* A fresh index for the new version's names (a patch that adds many names). */
static void index_regrow(zdb_zone_t *z, size_t extra)
{
	zdb_slot_t *one = z->chunk1;
	zdb_slot_t **chunks = z->chunks == &z->chunk1 ? &one : z->chunks; /* init resets chunk1 */
	size_t mask = z->index_mask;
	zdb_index_init(z, z->node_count + extra);
	for (size_t i = 0; i <= mask; i++) {
		const zdb_node_t *n = zdb_slot_node(chunks[i >> ZDB_CHUNK_BITS][i & (ZDB_CHUNK_SLOTS - 1)]);
		if (n != NULL && n != &zdb_tomb) {
			zdb_index_put(z, n, zdb_name_hash(n->owner));
		}
	}
}

static void write_index(patch_t *p)
{
	zdb_zone_t *z = p->z;
	size_t added = 0;
	for (size_t i = 0; i <= p->mask; i++) {
		added += p->map[i].owner != NULL && p->map[i].old == NULL;
	}
	bool is_regrown = (z->slots_used + added) * 2 > z->index_mask + 1;
	if (is_regrown) {
		index_regrow(z, 2 * added + 16);
	}
	size_t chunks = (z->index_mask >> ZDB_CHUNK_BITS) + 1;
	bool *owned = xcalloc(chunks, sizeof(*owned));
	memset(owned, is_regrown, chunks * sizeof(*owned)); /* a regrown index is all ours */
	for (size_t i = 0; i <= p->mask; i++) {
		const dirty_t *d = &p->map[i];
		if (d->owner == NULL || (d->old == NULL && d->node == NULL)) {
			continue;
		}
		size_t free_at = 0;
		long at = zdb_index_probe(z, d->owner, d->hash, &free_at);
		if (at < 0) { /* a new name */
			zdb_slot_t *s = slot_for_write(z, owned, free_at);
			z->slots_used += s->v == 0;
			*s = zdb_slot_make(d->node, d->hash);
		} else {
			*slot_for_write(z, owned, (size_t)at) =
				d->node != NULL ? zdb_slot_make(d->node, d->hash) : zdb_slot_make(&zdb_tomb, 0);
		}
	}
	free(owned);
}

/* --- finishing ---------------------------------------------------------------------------- */

/* The version's ALIAS targets: the base's, less those of replaced nodes, plus the new. */
static void update_aliases(patch_t *p)
{
	zdb_zone_t *z = p->z;
	const zdb_zone_t *base = p->base;
	size_t cap = base->alias_count, n = base->alias_count;
	for (size_t i = 0; i <= p->mask; i++) {
		const zdb_node_t *x = p->map[i].node;
		cap += x != NULL && (x->flags & ZDB_NODE_ALIAS);
	}
	const knot_dname_t **list = arena_alloc(&z->gen->mem, (cap > 0 ? cap : 1) * sizeof(*list));
	memcpy(list, base->aliases, n * sizeof(*list));
	for (size_t i = 0; i <= p->mask; i++) {
		const dirty_t *d = &p->map[i];
		if (d->owner == NULL) {
			continue;
		}
		if (d->old != NULL && (d->old->flags & ZDB_NODE_ALIAS)) {
			for (size_t k = 0; k < n; k++) {
				if (list[k] == d->old->pseudo->alias) {
					list[k] = list[--n];
					break;
				}
			}
		}
		if (d->node != NULL && (d->node->flags & ZDB_NODE_ALIAS)) {
			list[n++] = d->node->pseudo->alias;
		}
	}
	z->aliases = list;
	z->alias_count = n;
}

static void record_changes(patch_t *p)
{
	zdb_zone_t *z = p->z;
	zdb_change_t *changes = arena_alloc(&z->gen->mem, (p->used > 0 ? p->used : 1) *
							  sizeof(*changes));
	size_t k = 0;
	for (size_t i = 0; i <= p->mask; i++) {
		const dirty_t *d = &p->map[i];
		if (d->owner == NULL || (d->old == NULL && d->node == NULL)) {
			continue;
		}
		changes[k++] = (zdb_change_t){ .old = d->old, .new = d->node };
		z->node_count = z->node_count + (d->node != NULL) - (d->old != NULL);
		z->rr_count = z->rr_count + node_rrs(d->node) - node_rrs(d->old);
		if (d->node != NULL && (d->node->flags & ZDB_NODE_APEX)) {
			z->apex_node = d->node;
		}
	}
	z->changes = changes;
	z->change_count = k;
	z->changes_from = p->base->serial;
}

static const char *finish(patch_t *p, zdb_builder_t *b)
{
	size_t count = b->count;
	const zdb_pending_t *rrs = b->rrs;
	for (size_t i = 0; i < count && !p->is_structural;) {
		size_t j = i + 1;
		while (j < count && (rrs[j].owner == rrs[i].owner ||
				     knot_dname_is_equal(rrs[j].owner, rrs[i].owner))) {
			j++;
		}
		const char *why = apply_name(p, rrs, i, j);
		if (why != NULL) {
			return why;
		}
		i = j;
	}
	if (p->is_structural) {
		return NULL;
	}
	link_wildcards(p);
	mark_new_names(p);
	update_aliases(p);
	record_changes(p);
	write_index(p);
	p->z->soa = zdb_node_rrset(p->z->apex_node, KNOT_RRTYPE_SOA);
	if (p->z->soa == NULL || p->z->soa->rrs.count != 1) {
		return "the zone has no SOA record at its apex";
	}
	return NULL;
}

zdb_zone_t *zdb_patch_finish(zdb_builder_t *b, const char **err)
{
	*err = NULL;
	patch_t p = { .z = b->z, .base = b->base, .mask = 63 };
	p.map = xcalloc(p.mask + 1, sizeof(*p.map));
	zdb_builder_sort(b);
	*err = finish(&p, b);
	free(p.map);
	zdb_zone_t *z = b->z;
	if (*err != NULL || p.is_structural) {
		zdb_builder_free(b);
		return NULL;
	}
	b->z = NULL; /* the zone outlives its builder */
	zdb_builder_free(b);
	/* Replaced nodes stay in older generations while a version uses them: once the
	 * patches' memory outgrows the first generation's (or 64 KiB, for small zones), the
	 * version is compacted into one generation (compact.c). */
	size_t first = z->gens[0]->mem._used;
	z->patch_bytes += z->gen->mem._used;
	if (z->patch_bytes > (first > 65536 ? first : 65536)) {
		zdb_zone_t *c = zdb_compact(z);
		zdb_zone_free(z);
		z = c;
	}
	return z;
}
