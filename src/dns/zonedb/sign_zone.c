/* sign_zone.c -- a zone version signed (issue 7): the apex key RRsets, an RRSIG RRset beside
 * every signed RRset, and the NSEC3 chain.
 *
 * DESIGN: signing is a step after a whole build and before publishing, on nodes this
 * version owns (signed zones are not patched: see load.c). Each RRset that RFC 4035 2.2
 * signs becomes one job for dns/dnssec's zsign_run(), with the RRSIGs of the same RRset in
 * the previous version: an unchanged RRset keeps signatures that are not due, so a change
 * re-signs only what it changed (and what came due). The NSEC3 chain is built anew from
 * the version's names (dns/dnssec nsec3.c); an NSEC3 RRset equal to the previous chain's
 * at the same hash keeps its signatures too. Pseudo-records answer with A/AAAA (ALIAS,
 * URL) or a CNAME (POOL), so those types are in their names' bitmaps; the answer engine
 * signs those answers when it makes them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/dnssec/dnssec.h"
#include "dns/zonedb/zonedb_internal.h"

/* Types the signer owns at the apex: records of these types from the store are replaced. */
static bool is_apex_key_type(uint16_t type)
{
	return type == KNOT_RRTYPE_DNSKEY || type == KNOT_RRTYPE_CDS ||
	       type == KNOT_RRTYPE_CDNSKEY || type == KNOT_RRTYPE_NSEC3PARAM;
}

static void *gen_alloc(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

const zdb_nsec3_t *zdb_zone_nsec3(const zdb_zone_t *z)
{
	return z->nsec3;
}

static int rdataset_add(knot_rdataset_t *set, const uint8_t *data, size_t size, knot_mm_t *mm)
{
	uint8_t buf[sizeof(knot_rdata_t) + 1024];
	if (size > 1024) {
		return ERR_INVALID;
	}
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, (uint16_t)size, data);
	return knot_rdataset_add(set, rd, mm) == KNOT_EOK ? ERR_OK : ERR_INTERNAL;
}

/* DNSKEY, CDS, CDNSKEY and NSEC3PARAM into the apex node's RRsets (in type order). */
static int add_apex_rrsets(zdb_zone_t *z, const zdb_key_t *keys, size_t count, const char **err)
{
	knot_mm_t mm = { .ctx = &z->gen->mem, .alloc = gen_alloc, .free = NULL };
	/* in type order (48, 51, 59, 60): they are merged into the apex's sorted RRsets */
	enum { DNSKEY, NSEC3PARAM, CDS, CDNSKEY };
	knot_rdataset_t sets[4] = { 0 };
	static const uint16_t types[4] = { KNOT_RRTYPE_DNSKEY, KNOT_RRTYPE_NSEC3PARAM,
					   KNOT_RRTYPE_CDS, KNOT_RRTYPE_CDNSKEY };
	char apex[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(apex, z->apex, sizeof(apex)) == NULL) {
		*err = "the apex name";
		return ERR_INVALID;
	}
	int ret = ERR_OK;
	for (size_t i = 0; i < count && ret == ERR_OK; i++) {
		const zdb_key_t *k = &keys[i];
		if (!k->is_published) {
			continue;
		}
		ret = rdataset_add(&sets[DNSKEY], k->dnskey, k->dnskey_size, &mm);
		if (ret == ERR_OK && k->is_active && (k->sign.roles & ZSIGN_KEY_KSK)) {
			/* RFC 7344: CDS/CDNSKEY name the keys the parent's DS should point at */
			uint8_t ds[DNSKEY_DS_MAX];
			size_t ds_size = 0;
			ret = rdataset_add(&sets[CDNSKEY], k->dnskey, k->dnskey_size, &mm);
			if (ret == ERR_OK) {
				ret = dnskey_cds(apex, k->dnskey, k->dnskey_size, DNSKEY_DIGEST_SHA256,
						 ds, &ds_size);
			}
			if (ret == ERR_OK) {
				ret = rdataset_add(&sets[CDS], ds, ds_size, &mm);
			}
		}
	}
	uint16_t param_size = 0;
	const uint8_t *param = nsec3_param_rdata(&param_size);
	if (ret == ERR_OK) {
		ret = rdataset_add(&sets[NSEC3PARAM], param, param_size, &mm);
	}
	if (ret != ERR_OK || sets[DNSKEY].count == 0) {
		*err = "the zone's DNSSEC keys could not be published";
		return ret != ERR_OK ? ret : ERR_INVALID;
	}
	zdb_node_t *apex_node = (zdb_node_t *)z->apex_node;
	uint32_t ttl = z->soa->ttl; /* as Knot's dnskey-ttl default */
	/* NSEC3PARAM: the NSEC3 RRs' TTL (the negative TTL, RFC 9077), as knotd gives it */
	uint32_t minimum = knot_soa_minimum(z->soa->rrs.rdata);
	uint32_t param_ttl = ttl < minimum ? ttl : minimum;
	size_t n = 0, cap = apex_node->rrset_count + 4u;
	knot_rrset_t *out = arena_alloc_zero(&z->gen->mem, cap * sizeof(*out));
	size_t k = 0;
	for (uint16_t i = 0; i <= apex_node->rrset_count; i++) {
		uint16_t type = i < apex_node->rrset_count ? apex_node->rrsets[i].type : UINT16_MAX;
		while (k < 4 && types[k] < type) {
			if (sets[k].count > 0) {
				knot_rrset_init(&out[n], (knot_dname_t *)apex_node->owner, types[k],
						KNOT_CLASS_IN,
						types[k] == KNOT_RRTYPE_NSEC3PARAM ? param_ttl : ttl);
				out[n++].rrs = sets[k];
			}
			k++;
		}
		if (i < apex_node->rrset_count && !is_apex_key_type(type)) {
			out[n++] = apex_node->rrsets[i];
		}
	}
	apex_node->rrsets = out;
	apex_node->rrset_count = (uint16_t)n;
	z->soa = zdb_node_rrset(apex_node, KNOT_RRTYPE_SOA);
	return ERR_OK;
}

/* The signatures made for jobs [0, count) into RRSIG RRsets beside their RRsets. */
typedef struct signed_set {
	knot_rrset_t *out;       /* the RRSIG RRset to fill */
} signed_set_t;

static void keep_min(const zsign_policy_t *p, const knot_rdataset_t *sigs, uint32_t *at,
		     bool *has)
{
	uint32_t t = 0;
	if (zsign_rdataset_refresh_at(p, sigs, &t) &&
	    (!*has || (int32_t)(t - *at) < 0)) {
		*at = t;
		*has = true;
	}
}

static int run_jobs(zdb_zone_t *z, const zsign_policy_t *p, zsign_job_t *jobs,
		    signed_set_t *dst, size_t count, unsigned threads, uint32_t *at, bool *has)
{
	int ret = zsign_run(p, jobs, count, threads, NULL);
	knot_mm_t mm = { .ctx = &z->gen->mem, .alloc = gen_alloc, .free = NULL };
	for (size_t i = 0; i < count; i++) {
		if (ret == ERR_OK && knot_rdataset_copy(&dst[i].out->rrs, &jobs[i].sigs, &mm) != KNOT_EOK) {
			ret = ERR_INTERNAL;
		}
		if (ret == ERR_OK) {
			keep_min(p, &dst[i].out->rrs, at, has);
		}
		knot_rdataset_clear(&jobs[i].sigs, NULL);
	}
	return ret;
}

/* The types a name answers with, for its NSEC3 bitmap: its RRsets, and what its
 * pseudo-records answer with. */
static size_t node_types(const zdb_node_t *n, uint16_t *types, size_t cap)
{
	size_t k = 0;
	for (uint16_t i = 0; i < n->rrset_count && k < cap; i++) {
		types[k++] = n->rrsets[i].type;
	}
	uint16_t extra[3] = { 0 };
	size_t e = 0;
	if (n->flags & (ZDB_NODE_ALIAS | ZDB_NODE_URL)) {
		extra[e++] = KNOT_RRTYPE_A;
		extra[e++] = KNOT_RRTYPE_AAAA;
	}
	if (n->flags & ZDB_NODE_POOL) {
		extra[e++] = KNOT_RRTYPE_CNAME;
	}
	for (size_t i = 0; i < e && k < cap; i++) {
		if (zdb_node_rrset(n, extra[i]) == NULL) {
			types[k++] = extra[i];
		}
	}
	return k;
}

static int sign_chain(zdb_zone_t *z, const zdb_zone_t *prev, const zsign_policy_t *p,
		      unsigned threads, uint32_t *at, bool *has, const char **err)
{
	knot_mm_t mm = { .ctx = &z->gen->mem, .alloc = gen_alloc, .free = NULL };
	nsec3_name_t *names = xcalloc(z->node_count + 1, sizeof(*names));
	size_t n = 0, pos = 0;
	for (const zdb_node_t *node; (node = zdb_zone_next(z, &pos)) != NULL;) {
		if (node->flags & ZDB_NODE_NONAUTH) {
			continue; /* glue and occluded names get no NSEC3 (RFC 5155 7.1) */
		}
		uint16_t *types = arena_alloc(&z->gen->mem, (node->rrset_count + 3u) * sizeof(*types));
		nsec3_name_t *nm = &names[n++];
		nm->owner = node->owner;
		nm->types = types;
		nm->type_count = (uint16_t)node_types(node, types, node->rrset_count + 3u);
		nm->flags = (uint16_t)(((node->flags & ZDB_NODE_APEX) ? NSEC3_NAME_APEX : 0) |
				       ((node->flags & ZDB_NODE_DELEG) ? NSEC3_NAME_CUT : 0) |
				       ((node->flags & ZDB_NODE_EMPTY) ? NSEC3_NAME_EMPTY : 0));
	}
	uint32_t minimum = knot_soa_minimum(z->soa->rrs.rdata);
	uint32_t ttl = z->soa->ttl < minimum ? z->soa->ttl : minimum; /* RFC 9077 */
	zdb_nsec3_t *nsec3 = arena_alloc_zero(&z->gen->mem, sizeof(*nsec3));
	int ret = nsec3_chain_build(z->apex, names, n, ttl, threads, &nsec3->chain, &mm);
	free(names);
	if (ret != ERR_OK) {
		*err = "the NSEC3 chain could not be built";
		return ret;
	}
	size_t count = nsec3->chain.count;
	nsec3->rrsigs = arena_alloc_zero(&z->gen->mem, (count > 0 ? count : 1) * sizeof(knot_rrset_t));
	zsign_job_t *jobs = xcalloc(count > 0 ? count : 1, sizeof(*jobs));
	signed_set_t *dst = xcalloc(count > 0 ? count : 1, sizeof(*dst));
	const zdb_nsec3_t *old = prev != NULL ? prev->nsec3 : NULL;
	for (size_t i = 0; i < count; i++) {
		knot_rrset_t *set = &nsec3->chain.rrsets[i];
		knot_rrset_init(&nsec3->rrsigs[i], set->owner, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN,
				set->ttl);
		jobs[i].rrset = set;
		dst[i].out = &nsec3->rrsigs[i];
		ptrdiff_t j = old != NULL ? nsec3_find_match(old->chain.hashes, old->chain.count,
							     &nsec3->chain.hashes[i])
					  : -1;
		if (j >= 0) {
			jobs[i].old_sigs = &old->rrsigs[j].rrs;
			jobs[i].is_same_data = zsign_rrset_same(&old->chain.rrsets[j], set);
		}
	}
	ret = run_jobs(z, p, jobs, dst, count, threads, at, has);
	free(jobs);
	free(dst);
	if (ret != ERR_OK) {
		*err = "the NSEC3 chain could not be signed";
		return ret;
	}
	z->nsec3 = nsec3;
	return ERR_OK;
}

int zdb_zone_sign(zdb_zone_t *z, const zdb_zone_t *prev, const zsign_policy_t *p,
		  const zdb_key_t *keys, size_t key_count, unsigned threads,
		  uint32_t *refresh_at, const char **err)
{
	*err = NULL;
	if (prev != NULL && prev->nsec3 == NULL) {
		prev = NULL; /* an unsigned version has no signatures to keep */
	}
	int ret = add_apex_rrsets(z, keys, key_count, err);
	if (ret != ERR_OK) {
		return ret;
	}
	size_t total = 0, pos = 0;
	for (const zdb_node_t *node; (node = zdb_zone_next(z, &pos)) != NULL;) {
		total += node->rrset_count;
	}
	zsign_job_t *jobs = xcalloc(total > 0 ? total : 1, sizeof(*jobs));
	signed_set_t *dst = xcalloc(total > 0 ? total : 1, sizeof(*dst));
	size_t count = 0;
	pos = 0;
	for (const zdb_node_t *c; (c = zdb_zone_next(z, &pos)) != NULL;) {
		zdb_node_t *node = (zdb_node_t *)c; /* ours: the version is not published yet */
		node->sig = zdb_node_sig_new(z, node->rrset_count);
		if (node->rrset_count == 0) {
			continue; /* an empty non-terminal: proofs only */
		}
		knot_rrset_t *sigs = node->sig->rrsigs;
		const zdb_node_t *old = prev != NULL ? zdb_zone_get(prev, node->owner) : NULL;
		bool is_cut = node->flags & ZDB_NODE_DELEG, is_below = node->flags & ZDB_NODE_NONAUTH;
		for (uint16_t i = 0; i < node->rrset_count; i++) {
			const knot_rrset_t *set = &node->rrsets[i];
			knot_rrset_init(&sigs[i], (knot_dname_t *)node->owner, KNOT_RRTYPE_RRSIG,
					KNOT_CLASS_IN, set->ttl);
			if (!zsign_rrset_is_signed(set->type, is_cut, is_below)) {
				continue;
			}
			zsign_job_t *j = &jobs[count];
			dst[count++].out = &sigs[i];
			j->rrset = set;
			const knot_rrset_t *was = old != NULL ? zdb_node_rrset(old, set->type) : NULL;
			if (was != NULL && old->sig != NULL) {
				j->old_sigs = &old->sig->rrsigs[was - old->rrsets].rrs;
				j->is_same_data = zsign_rrset_same(was, set);
			}
		}
	}
	bool has = false;
	*refresh_at = 0;
	ret = run_jobs(z, p, jobs, dst, count, threads, refresh_at, &has);
	free(jobs);
	free(dst);
	if (ret != ERR_OK) {
		*err = "the zone could not be signed";
		return ret;
	}
	return sign_chain(z, prev, p, threads, refresh_at, &has, err);
}

/* --- the proofs' per-name indexes ------------------------------------------------------ */

/* One cached index: looked up on first use. Nodes of a signed zone belong to that one
 * version (signed zones are built whole, never patched), so the index cannot go stale;
 * racing readers compute the same value. */
static ptrdiff_t cached(uint32_t *slot, const nsec3_chain_t *c, const knot_dname_t *owner,
			int (*find)(const nsec3_hash_t *, size_t, const knot_dname_t *, ptrdiff_t *))
{
	uint32_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (v == ZDB_NSEC3_UNKNOWN) {
		ptrdiff_t at = -1;
		bool is_found = find(c->hashes, c->count, owner, &at) == ERR_OK && at >= 0 &&
				(size_t)at < ZDB_NSEC3_NONE;
		v = is_found ? (uint32_t)at : ZDB_NSEC3_NONE;
		__atomic_store_n(slot, v, __ATOMIC_RELAXED);
	}
	return v == ZDB_NSEC3_NONE ? -1 : (ptrdiff_t)v;
}

zdb_node_sig_t *zdb_node_sig_new(zdb_zone_t *z, uint16_t count)
{
	zdb_node_sig_t *s = arena_alloc_zero(&z->gen->mem,
					     sizeof(*s) + count * sizeof(s->rrsigs[0]));
	s->nsec3 = s->nsec3_wildcard = ZDB_NSEC3_UNKNOWN;
	return s;
}

nsec3_known_t zdb_node_nsec3_known(const zdb_zone_t *z, const zdb_node_t *n)
{
	if (z->nsec3 == NULL || n->sig == NULL) {
		return (nsec3_known_t){ -1, -1 };
	}
	const nsec3_chain_t *c = &z->nsec3->chain;
	return (nsec3_known_t){
		.match = cached(&n->sig->nsec3, c, n->owner, nsec3_find_name),
		.wildcard = cached(&n->sig->nsec3_wildcard, c, n->owner, nsec3_wildcard_index),
	};
}
