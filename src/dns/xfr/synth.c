/* synth.c -- what ALIAS, URL and POOL records put on the wire in a zone transfer: the
 * RRsets the answer engine answers with at their names (dns/query/answer.c), so that a
 * secondary serves the same answers without knowing the pseudo-types (issue 6).
 *
 * DESIGN. The rules mirror answer.c's, node by node: a node's own RRset of a type always
 * wins; POOL answers CNAME, A and AAAA queries with a CNAME to one member, so a node with
 * POOL and nothing else transfers as that CNAME (the first member in canonical order: a
 * CNAME holds one name, and a secondary cannot rotate members; a node with POOL beside
 * other data transfers without it, as a CNAME cannot stand beside other data); ALIAS
 * answers A and AAAA with its target's addresses (from our zones or the ALIAS cache, TTL
 * min(ALIAS, target)), and URL with the redirector's (the URL record's TTL). An ALIAS
 * whose target has no answer yet transfers nothing for that type. The RRsets' rdata come
 * from the zone or the cache (valid until the caller's quiescent point), copied into mm
 * so that they outlive it in a journal.
 */
#include <string.h>

#include "dns/alias/alias.h"
#include "dns/xfr/xfr_internal.h"

/* set = rr under the node's name with ttl, its rdata copied into mm. */
static bool copy_set(knot_rrset_t *set, const zdb_node_t *node, uint16_t type, uint32_t ttl,
		     const knot_rdataset_t *rrs, knot_mm_t *mm)
{
	knot_rrset_init(set, (knot_dname_t *)node->owner, type, KNOT_CLASS_IN, ttl);
	return rrs->count > 0 && knot_rdataset_copy(&set->rrs, rrs, mm) == KNOT_EOK;
}

static size_t pool(const zdb_node_t *node, knot_rrset_t *out, knot_mm_t *mm)
{
	const zdb_pseudo_t *ps = node->pseudo;
	if (node->rrset_count > 0 || ps->pool_count == 0) {
		return 0;
	}
	/* the members are in canonical order already (the builder sorts them) */
	knot_rdataset_t one = { .count = 1, .size = knot_rdata_size(ps->pool[0]->len),
				.rdata = (knot_rdata_t *)ps->pool[0] };
	return copy_set(out, node, KNOT_RRTYPE_CNAME, ps->pool_ttl, &one, mm) ? 1 : 0;
}

size_t xfr_synth_alias(void *ctx, const zdb_t *db, const zdb_node_t *node, knot_rrset_t *out,
		       size_t max, knot_mm_t *mm)
{
	const alias_t *a = ctx;
	if (node->pseudo == NULL || max < 2) {
		return 0;
	}
	if (node->flags & ZDB_NODE_POOL) {
		return pool(node, out, mm);
	}
	if (!(node->flags & (ZDB_NODE_ALIAS | ZDB_NODE_URL))) {
		return 0;
	}
	static const uint16_t types[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
	size_t n = 0;
	for (size_t i = 0; i < 2; i++) {
		if (zdb_node_rrset(node, types[i]) != NULL) {
			continue; /* the node's own RRset answers */
		}
		const knot_rrset_t *rr = NULL;
		uint32_t ttl;
		if (node->flags & ZDB_NODE_ALIAS) {
			ttl = node->pseudo->alias_ttl;
			rr = alias_resolve(a, db, node->pseudo->alias, types[i], &ttl);
		} else {
			ttl = node->pseudo->url_ttl;
			rr = alias_redirect(a, types[i]);
		}
		if (rr != NULL && copy_set(&out[n], node, types[i], ttl, &rr->rrs, mm)) {
			n++;
		}
	}
	return n;
}
