/* compact.c -- a patched zone version copied into one generation of its own.
 *
 * DESIGN: patches leave the nodes and index chunks they replaced in older generations,
 * which stay alive while any version uses them. Once a version's patch memory outgrows
 * its whole-build memory, patch.c compacts it: every live node (with its owner, RRsets,
 * rdata and pseudo-records) is copied into a fresh generation with a fresh index, which
 * is a memory copy -- no store read, no parsing, no sorting -- so it costs a fraction of a
 * whole build from the store and drops every replaced node. The copy answers exactly as
 * the original does, and keeps its serial and its list of replaced nodes (pointing at the
 * copies), so the IXFR journal sees the same difference.
 */
#include <string.h>

#include "core/mem.h"
#include "dns/zonedb/zonedb_internal.h"

static void *copy_bytes(zdb_zone_t *z, const void *p, size_t size)
{
	void *c = arena_alloc(&z->gen->mem, size > 0 ? size : 1);
	memcpy(c, p, size);
	return c;
}

static void copy_rrsets(zdb_zone_t *z, const zdb_node_t *c, const knot_rrset_t *from,
			knot_rrset_t *to, uint16_t count)
{
	for (uint16_t i = 0; i < count; i++) {
		to[i] = from[i];
		to[i].owner = (knot_dname_t *)c->owner;
		to[i].rrs.rdata = copy_bytes(z, from[i].rrs.rdata, from[i].rrs.size);
	}
}

static zdb_pseudo_t *copy_pseudo(zdb_zone_t *z, const zdb_pseudo_t *ps)
{
	zdb_pseudo_t *c = copy_bytes(z, ps, sizeof(*ps));
	if (ps->alias != NULL) {
		c->alias = copy_bytes(z, ps->alias, knot_dname_size(ps->alias));
	}
	if (ps->pool_count > 0) {
		const knot_rdata_t **pool = arena_alloc(&z->gen->mem,
							ps->pool_count * sizeof(*pool));
		for (uint16_t i = 0; i < ps->pool_count; i++) {
			pool[i] = copy_bytes(z, ps->pool[i], knot_rdata_size(ps->pool[i]->len));
		}
		c->pool = pool;
	}
	return c;
}

static zdb_node_t *copy_node(zdb_zone_t *z, const zdb_node_t *n)
{
	zdb_node_t *c = zdb_node_alloc(z, n->owner);
	c->flags = n->flags;
	c->children = n->children;
	c->rrset_count = n->rrset_count;
	if (n->rrset_count > 0) {
		c->rrsets = arena_alloc(&z->gen->mem, n->rrset_count * sizeof(*c->rrsets));
		copy_rrsets(z, c, n->rrsets, c->rrsets, n->rrset_count);
	}
	if (n->sig != NULL) { /* signed zones are not patched, so never compacted; kept whole */
		c->sig = zdb_node_sig_new(z, n->rrset_count);
		copy_rrsets(z, c, n->sig->rrsigs, c->sig->rrsigs, n->rrset_count);
	}
	if (n->pseudo != NULL) {
		c->pseudo = copy_pseudo(z, n->pseudo);
	}
	return c;
}

zdb_zone_t *zdb_compact(zdb_zone_t *old)
{
	zdb_zone_t *z = zdb_zone_new_from(old);
	z->gens = xmalloc(sizeof(*z->gens));
	z->gens[0] = z->gen;
	z->gen_count = 1;
	z->changes_from = old->changes_from;
	zdb_index_init(z, old->node_count);
	size_t pos = 0;
	for (const zdb_node_t *n; (n = zdb_zone_next(old, &pos)) != NULL;) {
		zdb_node_t *c = copy_node(z, n);
		zdb_index_put(z, c, zdb_name_hash(c->owner));
		z->node_count++;
		z->alias_count += (c->flags & ZDB_NODE_ALIAS) != 0;
		if (c->flags & ZDB_NODE_APEX) {
			z->apex_node = c;
		}
	}
	/* links to other nodes point at the copies */
	pos = 0;
	for (const zdb_node_t *n; (n = zdb_zone_next(z, &pos)) != NULL;) {
		zdb_node_t *c = (zdb_node_t *)n;
		if (c->flags & ZDB_NODE_WILDCARD) {
			knot_dname_t name[KNOT_DNAME_MAXLEN + 2] = { 1, '*' };
			memcpy(name + 2, c->owner, knot_dname_size(c->owner));
			c->wildcard = zdb_zone_get(z, name);
		}
	}
	zdb_change_t *changes = arena_alloc(&z->gen->mem, (old->change_count + 1) * sizeof(*changes));
	for (size_t i = 0; i < old->change_count; i++) {
		const zdb_node_t *to = old->changes[i].new;
		changes[i].old = old->changes[i].old; /* in the base version, as before */
		changes[i].new = to != NULL ? zdb_zone_get(z, to->owner) : NULL;
	}
	z->changes = old->changes != NULL ? changes : NULL;
	z->change_count = old->change_count;
	z->soa = zdb_node_rrset(z->apex_node, KNOT_RRTYPE_SOA);
	z->nsec3 = NULL; /* signed zones are built whole, never patched (load.c) */
	zdb_list_aliases(z);
	return z;
}
