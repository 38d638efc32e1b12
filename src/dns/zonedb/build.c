/* build.c -- one immutable zone version from a list of RRs: nodes, RRsets, name index,
 * zone cuts. patch.c uses the same builder for the names a change touches.
 *
 * DESIGN: RRs are collected in a scratch array, sorted by owner and type, and then laid
 * out once in the zone's generation (zonedb_internal.h): owner names, one node per name (owners, plus every
 * ancestor down to the apex, so empty non-terminals exist as nodes), RRsets with their
 * rdata contiguous in canonical order, and the open-addressing index of the names. Names
 * that are suffixes of owners point into the owners' bytes: a wire name's suffix is a
 * wire name. ALIAS, URL and POOL records travel through the same sort with their host
 * name as rdata (their private-use type codes sort after every real type) and end up in
 * the node's zdb_pseudo_t instead of an RRset, so no RRset of theirs ever reaches a
 * packet.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/zonedb/zonedb_internal.h"

zdb_builder_t *zdb_builder_new(const char *apex, uint32_t serial)
{
	knot_dname_t buf[KNOT_DNAME_MAXLEN];
	if (knot_dname_from_str(buf, apex, sizeof(buf)) == NULL) {
		return NULL;
	}
	knot_dname_to_lower(buf);
	zdb_builder_t *b = xcalloc(1, sizeof(*b));
	zdb_zone_t *z = b->z = xcalloc(1, sizeof(*b->z));
	z->gen = zdb_gen_new();
	z->gens = xmalloc(sizeof(*z->gens));
	z->gens[0] = z->gen;
	z->gen_count = 1;
	arena_init(&b->scratch, 0);
	size_t size = knot_dname_size(buf);
	z->apex = z->apex_buf;
	memcpy(z->apex, buf, size);
	z->apex_hash = zdb_name_hash(z->apex);
	z->apex_labels = (size_t)knot_dname_labels(z->apex, NULL);
	z->serial = serial;
	return b;
}

void zdb_builder_set_id(zdb_builder_t *b, int64_t id)
{
	b->z->id = id;
}

void zdb_builder_set_serial(zdb_builder_t *b, uint32_t serial)
{
	b->z->serial = serial;
}

void zdb_builder_free(zdb_builder_t *b)
{
	if (b == NULL) {
		return;
	}
	zdb_zone_free(b->z);
	arena_clear(&b->scratch);
	free(b->rrs);
	free(b);
}

void zdb_zone_free(zdb_zone_t *z)
{
	if (z == NULL) {
		return;
	}
	void *ext = atomic_load(&z->ext);
	if (ext != NULL && z->ext_free != NULL) {
		z->ext_free(ext);
	}
	for (size_t i = 0; i < z->gen_count; i++) {
		zdb_gen_unref(z->gens[i]);
	}
	free(z->gens);
	free(z);
}

static void *scratch_alloc(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

static zdb_pending_t *push(zdb_builder_t *b, const char *owner, knot_dname_t *buf)
{
	if (knot_dname_from_str(buf, owner, KNOT_DNAME_MAXLEN) == NULL) {
		return NULL;
	}
	knot_dname_to_lower(buf);
	if (knot_dname_in_bailiwick(buf, b->z->apex) < 0) { /* 0: the apex itself */
		return NULL;
	}
	if (b->count == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->rrs = xrealloc(b->rrs, b->cap * sizeof(zdb_pending_t));
	}
	zdb_pending_t *p = &b->rrs[b->count++];
	*p = (zdb_pending_t){ 0 };
	size_t n = knot_dname_size(buf);
	if (b->last_owner != NULL && knot_dname_is_equal(b->last_owner, buf)) {
		p->owner = b->last_owner;
	} else {
		knot_dname_t *o = arena_alloc(&b->scratch, n); /* nodes keep their own copy */
		memcpy(o, buf, n);
		p->owner = b->last_owner = o;
	}
	p->owner_size = (uint16_t)n;
	return p;
}

zdb_pending_t *zdb_builder_push(zdb_builder_t *b, const char *owner)
{
	knot_dname_t buf[KNOT_DNAME_MAXLEN];
	return push(b, owner, buf);
}

int zdb_builder_add(zdb_builder_t *b, const char *owner, uint16_t type, uint32_t ttl,
		    const uint8_t *rdata, uint16_t size)
{
	knot_dname_t buf[KNOT_DNAME_MAXLEN];
	zdb_pending_t *p = push(b, owner, buf);
	if (p == NULL) {
		return ERR_INVALID;
	}
	p->type = type;
	p->ttl = ttl;
	/* Parse the rdata as a message's RR would be: libknot checks it against the type's
	 * descriptor (a malformed one fails the zone, never reaches an answer) and lowers
	 * the names inside (RFC 4034 6.2), as Knot loads them; answers then match other
	 * servers', and DNSSEC signs the canonical form. */
	size_t owner_size = knot_dname_size(buf);
	size_t wire_size = owner_size + 10 + size;
	uint8_t *wire = arena_alloc(&b->scratch, wire_size);
	memcpy(wire, buf, owner_size);
	knot_wire_write_u16(wire + owner_size, type);
	knot_wire_write_u16(wire + owner_size + 2, KNOT_CLASS_IN);
	knot_wire_write_u32(wire + owner_size + 4, ttl);
	knot_wire_write_u16(wire + owner_size + 8, size);
	if (size > 0) {
		memcpy(wire + owner_size + 10, rdata, size);
	}
	knot_mm_t mm = { .ctx = &b->scratch, .alloc = scratch_alloc, .free = NULL };
	knot_rrset_t one;
	size_t pos = 0;
	if (knot_rrset_rr_from_wire(wire, &pos, wire_size, &one, &mm, true) != KNOT_EOK ||
	    pos != wire_size) {
		b->count--;
		return ERR_PARSE;
	}
	p->rdata = one.rrs.rdata;
	b->rdata_bytes += knot_rdata_size(p->rdata->len);
	return ERR_OK;
}

static bool is_pseudo(uint16_t type)
{
	return type == ZDB_TYPE_ALIAS || type == ZDB_TYPE_URL || type == ZDB_TYPE_POOL;
}

int zdb_builder_add_pseudo(zdb_builder_t *b, const char *owner, uint16_t type, uint32_t ttl,
			   const char *content)
{
	if (!is_pseudo(type)) {
		return ERR_INVALID;
	}
	/* ALIAS and POOL keep their host name as rdata (the form a CNAME's has); URL only
	 * marks its node, so its RRs are empty and collapse into one. */
	knot_dname_t target[KNOT_DNAME_MAXLEN];
	size_t size = 0;
	if (type != ZDB_TYPE_URL) {
		char text[KNOT_DNAME_TXT_MAXLEN + 2];
		size_t len = content != NULL ? strlen(content) : 0;
		if (len == 0 || len > KNOT_DNAME_TXT_MAXLEN) {
			return ERR_INVALID;
		}
		/* content names are absolute (rr.h): "target.example" is "target.example." */
		snprintf(text, sizeof(text), "%s%s", content, content[len - 1] == '.' ? "" : ".");
		if (knot_dname_from_str(target, text, sizeof(target)) == NULL) {
			return ERR_INVALID;
		}
		knot_dname_to_lower(target);
		size = knot_dname_size(target);
	}
	knot_dname_t buf[KNOT_DNAME_MAXLEN];
	zdb_pending_t *p = push(b, owner, buf);
	if (p == NULL) {
		return ERR_INVALID;
	}
	p->type = type;
	p->ttl = ttl;
	p->rdata = arena_alloc(&b->scratch, knot_rdata_size((uint16_t)size));
	knot_rdata_init(p->rdata, (uint16_t)size, target);
	return ERR_OK;
}

static int cmp_names(const knot_dname_t *a, const knot_dname_t *b)
{
	size_t la = knot_dname_size(a), lb = knot_dname_size(b);
	if (la != lb) {
		return la < lb ? -1 : 1;
	}
	return memcmp(a, b, la);
}

int zdb_name_order(const knot_dname_t *a, const knot_dname_t *b)
{
	return cmp_names(a, b);
}

static int cmp_pending(const void *x, const void *y)
{
	const zdb_pending_t *a = x, *b = y;
	/* RRs of one owner added in a row share its bytes: compare names only when not; the
	 * sizes are kept (measuring them in every comparison dominated big zones' sorts) */
	if (a->owner != b->owner) {
		if (a->owner_size != b->owner_size) {
			return a->owner_size < b->owner_size ? -1 : 1; /* the order of cmp_names() */
		}
		int c = memcmp(a->owner, b->owner, a->owner_size);
		if (c != 0) {
			return c;
		}
	}
	if (a->type != b->type) {
		return a->type < b->type ? -1 : 1;
	}
	if (a->rdata == NULL || b->rdata == NULL) { /* patch.c's touched names */
		return (a->rdata != NULL) - (b->rdata != NULL);
	}
	return knot_rdata_cmp(a->rdata, b->rdata);
}

void zdb_builder_sort(zdb_builder_t *b)
{
	if (b->count > 0) {
		qsort(b->rrs, b->count, sizeof(zdb_pending_t), cmp_pending);
	}
}

typedef struct sized_name {
	const knot_dname_t *name;
	size_t size;
} sized_name_t;

static int cmp_sized(const void *x, const void *y)
{
	const sized_name_t *a = x, *b = y;
	if (a->size != b->size) {
		return a->size < b->size ? -1 : 1; /* the order of cmp_names() */
	}
	return a->name == b->name ? 0 : memcmp(a->name, b->name, a->size);
}

/* Every distinct owner and each of its ancestors down to the apex, in cmp_names() order.
 * Sizes are carried along: computing them in every comparison dominated big zones. */
static const knot_dname_t **all_names(zdb_builder_t *b, size_t *count)
{
	size_t apex_labels = knot_dname_labels(b->z->apex, NULL);
	size_t cap = 16, n = 0;
	sized_name_t *names = xmalloc(cap * sizeof(*names));
	names[n++] = (sized_name_t){ b->z->apex, knot_dname_size(b->z->apex) };
	for (size_t i = 0; i < b->count; i++) {
		if (i > 0 && b->rrs[i].owner == b->rrs[i - 1].owner) {
			continue;
		}
		const knot_dname_t *p = b->rrs[i].owner;
		size_t size = knot_dname_size(p);
		for (size_t l = knot_dname_labels(p, NULL); l > apex_labels; l--) {
			if (n == cap) {
				cap *= 2;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[n++] = (sized_name_t){ p, size };
			size -= (size_t)p[0] + 1;
			p += p[0] + 1;
		}
	}
	qsort(names, n, sizeof(*names), cmp_sized);
	const knot_dname_t **out = xmalloc(n * sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || cmp_sized(&names[i - 1], &names[i]) != 0) {
			out[k++] = names[i].name;
		}
	}
	free(names);
	*count = k;
	return out;
}

/* The distinct RRs of one type in rrs[from, to): the same RR twice is one RR. */
static bool is_repeat(const zdb_pending_t *rrs, size_t from, size_t i)
{
	return i > from && knot_rdata_cmp(rrs[i].rdata, rrs[i - 1].rdata) == 0;
}

/* ALIAS, URL or POOL RRs [from, to) of one type, into the node's pseudo record. */
static void fill_pseudo(zdb_zone_t *z, zdb_node_t *node, zdb_pseudo_t *ps, const zdb_pending_t *rrs,
			size_t from, size_t to)
{
	uint32_t ttl = rrs[from].ttl;
	uint16_t count = 0;
	for (size_t i = from; i < to; i++) {
		ttl = rrs[i].ttl < ttl ? rrs[i].ttl : ttl; /* RFC 2181 5.2, as for RRsets */
		count += !is_repeat(rrs, from, i);
	}
	switch (rrs[from].type) {
	case ZDB_TYPE_ALIAS: {
		/* one target per name: the first in canonical order (the API allows more) */
		size_t size = rrs[from].rdata->len;
		knot_dname_t *target = arena_alloc(&z->gen->mem, size);
		memcpy(target, rrs[from].rdata->data, size);
		ps->alias = target;
		ps->alias_ttl = rrs[from].ttl;
		node->flags |= ZDB_NODE_ALIAS;
		z->alias_count++;
		break;
	}
	case ZDB_TYPE_URL:
		ps->url_ttl = ttl;
		node->flags |= ZDB_NODE_URL;
		break;
	case ZDB_TYPE_POOL: {
		const knot_rdata_t **pool = arena_alloc(&z->gen->mem, count * sizeof(*pool));
		uint16_t k = 0;
		for (size_t i = from; i < to; i++) {
			if (is_repeat(rrs, from, i)) {
				continue;
			}
			size_t sz = knot_rdata_size(rrs[i].rdata->len);
			knot_rdata_t *rd = arena_alloc(&z->gen->mem, sz);
			memcpy(rd, rrs[i].rdata, sz);
			pool[k++] = rd;
		}
		ps->pool = pool;
		ps->pool_count = count;
		ps->pool_ttl = ttl;
		node->flags |= ZDB_NODE_POOL;
		break;
	}
	}
}

/* One RRset from the RRs [from, to) of one type. */
static void fill_rrset(zdb_zone_t *z, zdb_node_t *node, knot_rrset_t *set, const zdb_pending_t *rrs,
		       size_t from, size_t to)
{
	size_t bytes = 0;
	uint32_t ttl = rrs[from].ttl;
	uint16_t count = 0;
	for (size_t i = from; i < to; i++) {
		if (is_repeat(rrs, from, i)) {
			continue;
		}
		bytes += knot_rdata_size(rrs[i].rdata->len);
		ttl = rrs[i].ttl < ttl ? rrs[i].ttl : ttl; /* RFC 2181 5.2 */
		count++;
	}
	knot_rrset_init(set, (knot_dname_t *)node->owner, rrs[from].type, KNOT_CLASS_IN, ttl);
	uint8_t *data = arena_alloc(&z->gen->mem, bytes);
	set->rrs.rdata = (knot_rdata_t *)data;
	set->rrs.count = count;
	set->rrs.size = (uint32_t)bytes;
	for (size_t i = from; i < to; i++) {
		if (is_repeat(rrs, from, i)) {
			continue;
		}
		size_t sz = knot_rdata_size(rrs[i].rdata->len);
		memcpy(data, rrs[i].rdata, sz);
		data += sz;
	}
	if (rrs[from].type == KNOT_RRTYPE_CNAME) {
		node->flags |= ZDB_NODE_CNAME;
	} else if (rrs[from].type == KNOT_RRTYPE_DNAME) {
		node->flags |= ZDB_NODE_DNAME;
	}
}

size_t zdb_fill_node(zdb_zone_t *z, zdb_node_t *node, const zdb_pending_t *rrs, size_t from,
		     size_t to)
{
	while (from < to && rrs[from].type == 0) {
		from++; /* patch.c's touched-name marks sort first */
	}
	size_t types = 0;
	bool has_pseudo = false;
	for (size_t i = from; i < to; i++) {
		if (i == from || rrs[i].type != rrs[i - 1].type) {
			has_pseudo |= is_pseudo(rrs[i].type);
			types += !is_pseudo(rrs[i].type);
		}
	}
	node->rrsets = types > 0 ? arena_alloc_zero(&z->gen->mem, types * sizeof(knot_rrset_t))
				 : NULL;
	node->rrset_count = (uint16_t)types;
	zdb_pseudo_t *ps = has_pseudo ? arena_alloc_zero(&z->gen->mem, sizeof(*ps)) : NULL;
	node->pseudo = ps;
	size_t t = 0, rrs_count = 0;
	for (size_t i = from; i < to;) {
		size_t j = i;
		while (j < to && rrs[j].type == rrs[i].type) {
			j++;
		}
		if (is_pseudo(rrs[i].type)) {
			fill_pseudo(z, node, ps, rrs, i, j);
		} else {
			knot_rrset_t *set = &node->rrsets[t++]; /* sorted by type */
			fill_rrset(z, node, set, rrs, i, j);
			rrs_count += set->rrs.count;
		}
		i = j;
	}
	return rrs_count;
}

/* Every ALIAS target among nodes, into z->aliases. */
static void list_aliases(zdb_zone_t *z, zdb_node_t *const *nodes, size_t count)
{
	size_t n = z->alias_count > 0 ? z->alias_count : 1, k = 0;
	z->aliases = arena_alloc(&z->gen->mem, n * sizeof(*z->aliases));
	for (size_t i = 0; i < count; i++) {
		if (nodes[i]->flags & ZDB_NODE_ALIAS) {
			z->aliases[k++] = nodes[i]->pseudo->alias;
		}
	}
	assert(k == z->alias_count);
}

void zdb_list_aliases(zdb_zone_t *z)
{
	size_t count = z->alias_count > 0 ? z->alias_count : 1;
	z->aliases = arena_alloc(&z->gen->mem, count * sizeof(*z->aliases));
	size_t k = 0, pos = 0;
	for (const zdb_node_t *n; (n = zdb_zone_next(z, &pos)) != NULL;) {
		if (n->flags & ZDB_NODE_ALIAS) {
			z->aliases[k++] = n->pseudo->alias;
		}
	}
	assert(k == z->alias_count);
}

const char *zdb_node_check(const zdb_node_t *n)
{
	if ((n->flags & ZDB_NODE_CNAME) && n->pseudo != NULL) {
		return "a CNAME shares its name with an ALIAS, URL or POOL record";
	}
	if ((n->flags & ZDB_NODE_CNAME) && n->rrset_count > 1) {
		/* only DNSSEC data may stand beside a CNAME (RFC 2181 10.1, RFC 4035) */
		for (uint16_t k = 0; k < n->rrset_count; k++) {
			uint16_t t = n->rrsets[k].type;
			if (t != KNOT_RRTYPE_CNAME && t != KNOT_RRTYPE_RRSIG && t != KNOT_RRTYPE_NSEC) {
				return "a CNAME shares its name with other data";
			}
		}
	}
	if ((n->flags & ZDB_NODE_APEX) && zdb_node_rrset(n, KNOT_RRTYPE_CNAME) != NULL) {
		return "a CNAME at the zone apex";
	}
	return NULL;
}

/* Links, flags and checks once every node has its RRsets. Nodes are in zdb_name_order(),
 * so a node's parent is done before it. */
static const char *finish_nodes(zdb_zone_t *z, zdb_node_t *const *nodes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		zdb_node_t *n = nodes[i];
		const char *why = zdb_node_check(n);
		if (why != NULL) {
			return why;
		}
		if (n == z->apex_node) {
			continue;
		}
		zdb_node_t *parent = (zdb_node_t *)zdb_zone_get(z, knot_wire_next_label(n->owner, NULL));
		parent->children++;
		if (n->owner[0] == 1 && n->owner[1] == '*') {
			parent->flags |= ZDB_NODE_WILDCARD;
			parent->wildcard = n;
		}
		if (n->rrset_count == 0 && n->pseudo == NULL) {
			n->flags |= ZDB_NODE_EMPTY;
		} else if (zdb_node_rrset(n, KNOT_RRTYPE_NS) != NULL) {
			n->flags |= ZDB_NODE_DELEG;
		}
		if (parent->flags & (ZDB_NODE_DELEG | ZDB_NODE_NONAUTH)) {
			n->flags |= ZDB_NODE_NONAUTH; /* below a zone cut: glue or occluded */
		}
	}
	z->soa = zdb_node_rrset(z->apex_node, KNOT_RRTYPE_SOA);
	if (z->soa == NULL || z->soa->rrs.count != 1) {
		return "the zone has no SOA record at its apex";
	}
	return NULL;
}

zdb_node_t *zdb_node_alloc(zdb_zone_t *z, const knot_dname_t *owner)
{
	size_t size = knot_dname_size(owner);
	zdb_node_t *n = arena_alloc_zero(&z->gen->mem, sizeof(*n) + size);
	memcpy(n + 1, owner, size);
	n->owner = (const knot_dname_t *)(n + 1);
	n->labels = (uint16_t)knot_dname_labels(owner, NULL);
	return n;
}

/* Every node into the index. A big zone's index is far larger than the caches: the slot
 * of the node a few places ahead is prefetched, so the writes do not wait in turn. */
static void index_all(zdb_zone_t *z, zdb_node_t *const *nodes, size_t count)
{
	enum { AHEAD = 16 };
	uint64_t *hashes = xmalloc((count > 0 ? count : 1) * sizeof(*hashes));
	for (size_t k = 0; k < count; k++) {
		hashes[k] = zdb_name_hash(nodes[k]->owner);
	}
	for (size_t k = 0; k < count; k++) {
		if (k + AHEAD < count) {
			__builtin_prefetch(zdb_slot_at(z, hashes[k + AHEAD] & z->index_mask), 1);
		}
		zdb_index_put(z, nodes[k], hashes[k]);
	}
	free(hashes);
}

/* About what a build of count names allocates (a little more, never much less), so the
 * zone takes one chunk of memory with no tails left unused (arena_reserve()). */
static size_t build_size(const zdb_builder_t *b, const knot_dname_t *const *names, size_t count)
{
	size_t slots = 16;
	while (slots < count * 2) {
		slots *= 2;
	}
	size_t bytes = slots * sizeof(zdb_slot_t) + (slots / ZDB_CHUNK_SLOTS + 1) * 16 + 64 +
		       b->rdata_bytes;
	if (b->count > 10000) {
		/* A big zone: a bound without a pass over every RR and name (a large chunk is
		 * mapped on its own, and pages past the last one written stay unmapped). */
		return bytes + count * (sizeof(zdb_node_t) + 16 + KNOT_DNAME_MAXLEN / 4) +
		       b->count * (sizeof(knot_rrset_t) + sizeof(void *) + 32);
	}
	for (size_t i = 0; i < count; i++) {
		bytes += sizeof(zdb_node_t) + knot_dname_size(names[i]) + 16;
	}
	for (size_t i = 0; i < b->count; i++) {
		const zdb_pending_t *p = &b->rrs[i], *q = i > 0 ? &b->rrs[i - 1] : NULL;
		if (q == NULL || p->type != q->type || p->owner != q->owner) {
			/* a new RRset (or pseudo-record), or the same one's owner bytes again */
			bytes += sizeof(knot_rrset_t) + 16 +
				 (is_pseudo(p->type) ? sizeof(zdb_pseudo_t) + 16 : 0);
		}
		bytes += p->rdata != NULL && is_pseudo(p->type) ? knot_rdata_size(p->rdata->len) + 8 : 0;
	}
	return bytes;
}

zdb_zone_t *zdb_builder_finish(zdb_builder_t *b, const char **err)
{
	zdb_zone_t *z = b->z;
	zdb_builder_sort(b);
	size_t count = 0;
	const knot_dname_t **names = all_names(b, &count);
	arena_reserve(&z->gen->mem, build_size(b, names, count));
	zdb_node_t **nodes = xmalloc((count > 0 ? count : 1) * sizeof(*nodes));
	zdb_index_init(z, count);
	/* Names and RRs are in the same order: each node is laid out with its owner, RRsets
	 * and rdata right after it, so an answer reads a few neighbouring cache lines. */
	size_t i = 0;
	for (size_t k = 0; k < count; k++) {
		zdb_node_t *n = nodes[k] = zdb_node_alloc(z, names[k]);
		if (knot_dname_is_equal(n->owner, z->apex)) {
			z->apex_node = n;
			n->flags |= ZDB_NODE_APEX;
		}
		if (i < b->count && knot_dname_is_equal(b->rrs[i].owner, names[k])) {
			const knot_dname_t *owner = b->rrs[i].owner;
			size_t j = i + 1;
			while (j < b->count && (b->rrs[j].owner == owner ||
						knot_dname_is_equal(b->rrs[j].owner, owner))) {
				j++;
			}
			z->rr_count += zdb_fill_node(z, n, b->rrs, i, j);
			i = j;
		}
	}
	z->node_count = count;
	free(names);
	index_all(z, nodes, count);
	*err = finish_nodes(z, nodes, count);
	if (*err != NULL) {
		free(nodes);
		zdb_builder_free(b);
		return NULL;
	}
	list_aliases(z, nodes, count);
	free(nodes);
	b->z = NULL; /* the zone outlives its builder */
	zdb_builder_free(b);
	return z;
}
