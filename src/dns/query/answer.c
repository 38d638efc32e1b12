/* answer.c -- the authoritative answer from the zone db: RFC 1034 4.3.2 with RFC 2181,
 * RFC 4592 wildcards, RFC 6672 DNAME, RFC 2308 negative answers and RFC 8482 ANY.
 *
 * DESIGN: Knot DNS's solver (internet.c) in fewer states. One step looks one name up in
 * one zone and puts what it finds into the answer section: HIT, NODATA, MISS (NXDOMAIN),
 * DELEG (a zone cut at or above the name), or FOLLOW (a CNAME, or a DNAME with its
 * synthesized CNAME: the next name to look up). The chain is followed for at most
 * CHAIN_MAX steps, also into other zones we serve (RFC 1034 4.3.2 step 3a restarts at
 * step 1). The first step decides AA; the last decides the RCODE and the authority
 * section (RFC 6604 2.1), wherever the chain ends: an NXDOMAIN, NODATA or referral in
 * another hosted zone answers with that zone's SOA or NS. RRsets are never copied: the
 * zone's knot_rrset_t is put as a struct copy whose owner is the name being answered
 * (which is how wildcards are expanded); the answer for the qname uses the question as
 * its owner (a compression pointer), so the client's case survives (0x20). Additional
 * A/AAAA come last, from the zone of the RRset that names them, as Knot's glue:
 * mandatory for in-domain glue of a referral (truncate if it does not fit), optional
 * otherwise.
 *
 * ALIAS, URL and POOL (issue 5) live beside a node's RRsets (zdb_pseudo_t) and only
 * answer what the node's own RRsets do not: a real RRset of the asked type wins, then
 * POOL (a CNAME to one member, picked per query with the worker's PRNG, for CNAME, A and
 * AAAA queries; the chain then goes on as for any CNAME), then ALIAS (A/AAAA: the
 * target's addresses, TTL min(ALIAS, target), from our zones or the ALIAS cache), then
 * URL (A/AAAA: the redirector's addresses, the URL record's TTL). Any other type at such
 * a name is NODATA. Nothing here allocates: the synthesized RRsets point into the zone or
 * into the cache's answers, which stay valid until the worker's quiescent point.
 */
#include <assert.h>
#include <string.h>

#include "core/err.h"
#include "dns/query/query_internal.h"

/* Steps of a CNAME/DNAME chain after the first (RFC 1034 3.6.2 asks for a loop guard). */
#define CHAIN_MAX 16

typedef enum {
	ST_HIT,     /* positive answer (or a chain that stops being ours to follow) */
	ST_NODATA,  /* the name exists, the type does not */
	ST_MISS,    /* the name does not exist */
	ST_DELEG,   /* the name is at or below a zone cut: referral */
	ST_FOLLOW,  /* CNAME or DNAME: go on with step->next */
	ST_TRUNC,   /* an RRset that must be sent does not fit */
	ST_FAIL,    /* out of query memory */
} state_t;

/* One name looked up in one zone. */
typedef struct step {
	const zdb_zone_t *zone;
	const knot_dname_t *sname;  /* lowercase */
	const zdb_hashed_name_t *hashed; /* sname with its suffixes' hashes */
	bool is_qname;              /* sname is the qname: owners point to the question */
	const zdb_node_t *cut;      /* ST_DELEG: the zone cut */
	const knot_dname_t *next;   /* ST_FOLLOW: the name to look up next, lowercase */
	const zdb_node_t *node;     /* ST_NODATA: the node (the wildcard for an expansion) */
	const zdb_node_t *encloser; /* ST_MISS, and an expanded wildcard: the closest
				     * encloser of sname */
	bool is_wildcard;           /* node is a wildcard expanded for sname */
} step_t;

static state_t put_state(int ret)
{
	switch (ret) {
	case KNOT_EOK:
		return ST_HIT;
	case KNOT_ESPACE:
		return ST_TRUNC;
	default:
		return ST_FAIL;
	}
}

/* Is rr in the answer already? libknot's KNOT_PF_CHECKDUP compares the type and the
 * rdata's address only, so two expansions of one wildcard RRset (the same rdata under two
 * owners: A RRsets for two MX targets, a CNAME chain passing the wildcard twice) would
 * count as one; the owner must match too. */
static bool is_put(const knot_pkt_t *pkt, const knot_rrset_t *rr)
{
	for (uint16_t i = 0; i < pkt->rrset_count; i++) {
		const knot_rrset_t *p = &pkt->rr[i];
		if (p->type == rr->type && p->rrs.rdata == rr->rrs.rdata &&
		    knot_dname_is_case_equal(p->owner, rr->owner)) {
			return true;
		}
	}
	return false;
}

/* knot_pkt_put() with our KNOT_PF_CHECKDUP: an RRset put already is not put again. */
static int pkt_put(knot_pkt_t *pkt, uint16_t hint, const knot_rrset_t *rr, uint16_t flags)
{
	if ((flags & KNOT_PF_CHECKDUP) && is_put(pkt, rr)) {
		return KNOT_EOK;
	}
	return knot_pkt_put(pkt, hint, rr, flags & (uint16_t)~KNOT_PF_CHECKDUP);
}

/* Put rr into the current section and remember it if its names may need A/AAAA. */
static int put(query_ctx_t *qc, const zdb_zone_t *zone, const knot_rrset_t *rr, uint16_t hint,
	       uint16_t flags, bool is_referral)
{
	knot_pkt_t *ans = qc->ans;
	uint16_t index = ans->rrset_count;
	int ret = pkt_put(ans, hint, rr, flags);
	if (ret != KNOT_EOK || ans->rrset_count == index) {
		return ret;
	}
	if (knot_rrtype_additional_needed(rr->type) && qc->extra_count < QUERY_EXTRA_MAX) {
		qc->extra[qc->extra_count++] = (query_extra_t){ zone, index, is_referral };
	}
	return KNOT_EOK;
}

/* The RRSIG RRset that covers rr, an RRset of node, or NULL (unsigned zone or RRset). */
static const knot_rrset_t *rrsig_of(const zdb_node_t *node, const knot_rrset_t *rr)
{
	const knot_rrset_t *sigs = node != NULL ? zdb_node_rrsigs(node) : NULL;
	if (sigs == NULL) {
		return NULL;
	}
	const knot_rrset_t *sig = &sigs[rr - node->rrsets];
	return sig->rrs.count > 0 ? sig : NULL;
}

/* Put an RRset found for step->sname: the owner is the name asked for, which expands a
 * wildcard; for the qname itself a pointer to the question (the client's case). With DO,
 * its RRSIGs follow (RFC 4035 3.1.1): node's when rr is node's own RRset, signed now when
 * node is given with rr synthesized (ALIAS, URL, POOL: is_synth). */
static int put_answer_rr(query_ctx_t *qc, const step_t *step, const zdb_node_t *node,
			 const knot_rrset_t *rr, uint16_t flags, bool is_synth)
{
	knot_rrset_t copy = *rr;
	copy.owner = (knot_dname_t *)step->sname;
	uint16_t hint = step->is_qname ? KNOT_COMPR_HINT_QNAME : KNOT_COMPR_HINT_NONE;
	uint16_t before = qc->ans->rrset_count;
	int ret = put(qc, step->zone, &copy, hint, flags, false);
	if (ret != KNOT_EOK || qc->ans->rrset_count == before || node == NULL ||
	    !dnssec_wanted(qc, step->zone)) {
		return ret;
	}
	if (is_synth) {
		copy.owner = (knot_dname_t *)node->owner; /* a wildcard signs as itself */
		return dnssec_put_online(qc, step->zone, &copy, step->sname);
	}
	const knot_rrset_t *sig = rrsig_of(node, rr);
	return sig != NULL ? dnssec_put_rrsig(qc, sig, step->sname) : KNOT_EOK;
}

/* A lowercase copy of name in the query arena, or NULL when the arena is full. */
static const knot_dname_t *lower_copy(query_ctx_t *qc, const knot_dname_t *name)
{
	knot_dname_t *copy = qarena_alloc(qc->arena, knot_dname_size(name));
	if (copy != NULL) {
		knot_dname_copy_lower(copy, name);
	}
	return copy;
}

/* RFC 8482 4.1: one RRset stands for all of them, the first by type, on every transport
 * (Knot's choice); an empty non-terminal has none (NODATA). */
static state_t put_any(query_ctx_t *qc, const step_t *step, const zdb_node_t *node)
{
	if (node->rrset_count == 0) {
		return ST_NODATA;
	}
	return put_state(put_answer_rr(qc, step, node, &node->rrsets[0], 0, false));
}

/* An RRSIG query in a signed zone, as Knot: the RRSIGs of one RRset, the first signed by
 * type (RFC 4035 3.1.5 leaves the choice to the server). */
static state_t put_rrsig_query(query_ctx_t *qc, step_t *step, const zdb_node_t *node)
{
	const knot_rrset_t *sigs = zdb_node_rrsigs(node);
	for (uint16_t i = 0; i < node->rrset_count; i++) {
		if (sigs[i].rrs.count > 0) {
			return put_state(put_answer_rr(qc, step, NULL, &sigs[i], 0, false));
		}
	}
	return ST_NODATA;
}

static state_t follow_cname(query_ctx_t *qc, step_t *step, const zdb_node_t *node)
{
	const knot_rrset_t *cname = zdb_node_rrset(node, KNOT_RRTYPE_CNAME);
	uint16_t before = qc->ans->rrset_count;
	int ret = put_answer_rr(qc, step, node, cname, KNOT_PF_CHECKDUP, false);
	if (ret != KNOT_EOK) {
		return put_state(ret);
	}
	if (qc->ans->rrset_count == before) {
		return ST_HIT; /* this CNAME is in the answer already: a loop, stop here */
	}
	step->next = lower_copy(qc, knot_cname_name(cname->rrs.rdata));
	return step->next != NULL ? ST_FOLLOW : ST_FAIL;
}

/* POOL: a CNAME from the name to one member, evenly over many queries. */
static state_t follow_pool(query_ctx_t *qc, step_t *step, const zdb_node_t *node)
{
	const zdb_pseudo_t *ps = node->pseudo;
	uint32_t pick = (uint32_t)(((uint64_t)query_rand(qc->rng) * ps->pool_count) >> 32);
	const knot_rdata_t *member = ps->pool[pick];
	knot_rrset_t cname;
	knot_rrset_init(&cname, (knot_dname_t *)step->sname, KNOT_RRTYPE_CNAME, KNOT_CLASS_IN,
			ps->pool_ttl);
	cname.rrs.count = 1;
	cname.rrs.size = (uint32_t)knot_rdata_size(member->len);
	cname.rrs.rdata = (knot_rdata_t *)member;
	uint16_t before = qc->ans->rrset_count;
	int ret = put_answer_rr(qc, step, node, &cname, KNOT_PF_CHECKDUP, true);
	if (ret != KNOT_EOK) {
		return put_state(ret);
	}
	if (qc->ans->rrset_count == before || qc->qtype == KNOT_RRTYPE_CNAME) {
		return ST_HIT; /* a loop, or the CNAME was the question */
	}
	step->next = member->data; /* lowercase: the builder lowers */
	return ST_FOLLOW;
}

/* POOL answers CNAME queries, and A/AAAA queries the node has no RRset for. */
static bool is_pool_answer(const zdb_node_t *node, uint16_t qtype)
{
	if (qtype == KNOT_RRTYPE_CNAME) {
		return true;
	}
	return (qtype == KNOT_RRTYPE_A || qtype == KNOT_RRTYPE_AAAA) &&
	       zdb_node_rrset(node, qtype) == NULL;
}

/* ALIAS, else URL: A/AAAA at a name without such an RRset. */
static state_t put_pseudo_address(query_ctx_t *qc, step_t *step, const zdb_node_t *node)
{
	const zdb_pseudo_t *ps = node->pseudo;
	const knot_rrset_t *rr = NULL;
	uint32_t ttl = 0;
	if (node->flags & ZDB_NODE_ALIAS) {
		ttl = ps->alias_ttl;
		rr = alias_resolve(qc->conf->alias, qc->db, ps->alias, qc->qtype, &ttl);
	} else {
		ttl = ps->url_ttl;
		rr = alias_redirect(qc->conf->alias, qc->qtype);
	}
	if (rr == NULL) {
		return ST_NODATA;
	}
	knot_rrset_t copy = *rr;
	copy.ttl = ttl;
	copy.type = qc->qtype;
	return put_state(put_answer_rr(qc, step, node, &copy, 0, true));
}

/* The name exists at node (or node is the wildcard that stands for it). */
static state_t name_found(query_ctx_t *qc, step_t *step, const zdb_node_t *node)
{
	uint16_t qtype = qc->qtype;
	/* A DS query at a cut is answered from the parent side; all else at or below a cut
	 * is a referral, tested before the CNAME: data below a cut is not ours to follow. */
	if ((node->flags & ZDB_NODE_NONAUTH) ||
	    ((node->flags & ZDB_NODE_DELEG) && qtype != KNOT_RRTYPE_DS)) {
		step->cut = zdb_zone_cut(step->zone, node);
		return ST_DELEG;
	}
	step->node = node;
	if ((node->flags & ZDB_NODE_CNAME) && qtype != KNOT_RRTYPE_CNAME &&
	    qtype != KNOT_RRTYPE_ANY && qtype != KNOT_RRTYPE_RRSIG && qtype != KNOT_RRTYPE_NSEC) {
		return follow_cname(qc, step, node);
	}
	if ((node->flags & ZDB_NODE_POOL) && is_pool_answer(node, qtype)) {
		return follow_pool(qc, step, node);
	}
	if (qtype == KNOT_RRTYPE_ANY) {
		return put_any(qc, step, node);
	}
	if (qtype == KNOT_RRTYPE_RRSIG && node->sig != NULL) {
		return put_rrsig_query(qc, step, node);
	}
	const knot_rrset_t *rr = zdb_node_rrset(node, qtype);
	if (rr == NULL) {
		if ((node->flags & (ZDB_NODE_ALIAS | ZDB_NODE_URL)) &&
		    (qtype == KNOT_RRTYPE_A || qtype == KNOT_RRTYPE_AAAA)) {
			return put_pseudo_address(qc, step, node);
		}
		return ST_NODATA;
	}
	return put_state(put_answer_rr(qc, step, node, rr, 0, false));
}

/* RFC 6672 2.2: the DNAME, then a CNAME from sname to sname with the DNAME owner
 * replaced by its target; YXDOMAIN when that name would be too long. */
static state_t follow_dname(query_ctx_t *qc, step_t *step, const zdb_node_t *encloser)
{
	const knot_rrset_t *dname = zdb_node_rrset(encloser, KNOT_RRTYPE_DNAME);
	uint16_t before = qc->ans->rrset_count;
	int ret = put(qc, step->zone, dname, KNOT_COMPR_HINT_NONE, KNOT_PF_CHECKDUP, false);
	if (ret != KNOT_EOK) {
		return put_state(ret);
	}
	if (qc->ans->rrset_count == before) {
		return ST_HIT; /* a loop through this DNAME */
	}
	const knot_rrset_t *sig = rrsig_of(encloser, dname);
	if (sig != NULL && dnssec_wanted(qc, step->zone)) {
		ret = dnssec_put_rrsig(qc, sig, encloser->owner);
		if (ret != KNOT_EOK) {
			return put_state(ret);
		}
	}
	const knot_dname_t *target = knot_dname_target(dname->rrs.rdata);
	size_t prefix = knot_dname_size(step->sname) - knot_dname_size(encloser->owner);
	size_t size = prefix + knot_dname_size(target);
	if (size > KNOT_DNAME_MAXLEN) {
		qc->rcode = KNOT_RCODE_YXDOMAIN;
		return ST_HIT;
	}
	knot_rdata_t *rdata = qarena_alloc(qc->arena, knot_rdata_size((uint16_t)size));
	if (rdata == NULL) {
		return ST_FAIL;
	}
	rdata->len = (uint16_t)size;
	memcpy(rdata->data, step->sname, prefix);
	knot_dname_copy_lower(rdata->data + prefix, target);
	knot_rrset_t cname;
	knot_rrset_init(&cname, (knot_dname_t *)step->sname, KNOT_RRTYPE_CNAME, KNOT_CLASS_IN,
			dname->ttl); /* RFC 6672 3.1 */
	cname.rrs.count = 1;
	cname.rrs.size = (uint32_t)knot_rdata_size((uint16_t)size);
	cname.rrs.rdata = rdata;
	ret = put_answer_rr(qc, step, NULL, &cname, 0, false); /* unsigned: RFC 6672 5.3.1 */
	if (ret != KNOT_EOK || qc->qtype == KNOT_RRTYPE_CNAME) {
		return put_state(ret); /* the synthesized CNAME answers a CNAME query (Knot) */
	}
	step->next = rdata->data;
	return ST_FOLLOW;
}

/* The name does not exist; encloser is its closest encloser (RFC 4592 3.3.1). */
static state_t name_not_found(query_ctx_t *qc, step_t *step, const zdb_node_t *encloser)
{
	if (encloser->flags & (ZDB_NODE_DELEG | ZDB_NODE_NONAUTH)) {
		step->cut = zdb_zone_cut(step->zone, encloser);
		return ST_DELEG;
	}
	if (encloser->flags & ZDB_NODE_DNAME) {
		return follow_dname(qc, step, encloser);
	}
	/* RFC 4592 3.3.1: only the closest encloser's "*" child can match; names and empty
	 * non-terminals between it and the qname block it by being the closer encloser. */
	step->encloser = encloser;
	const zdb_node_t *wildcard = zdb_zone_wildcard(step->zone, encloser);
	if (wildcard == NULL) {
		return ST_MISS;
	}
	step->is_wildcard = true;
	state_t state = name_found(qc, step, wildcard);
	if ((state == ST_HIT || state == ST_FOLLOW) && dnssec_wanted(qc, step->zone) &&
	    qc->wildcard_count < QUERY_PROOF_MAX) {
		/* RFC 5155 7.2.6: the expansion's proof goes into the authority section */
		qc->wildcards[qc->wildcard_count++] =
			(query_wildcard_t){ step->zone, step->sname, encloser->owner };
	}
	return state;
}

static state_t solve(query_ctx_t *qc, step_t *step)
{
	const zdb_node_t *encloser = NULL;
	const zdb_node_t *node = zdb_zone_find_hashed(step->zone, step->hashed, &encloser);
	if (node != NULL) {
		return name_found(qc, step, node);
	}
	return name_not_found(qc, step, encloser);
}

/* The zone to answer name from. DS lives in the parent: look its zone up from the name
 * one label up first (as Knot), so that serving both sides of a cut answers from the
 * parent; for the qname and for every name a chain leads to. */
static const zdb_zone_t *zone_for(query_ctx_t *qc, const zdb_hashed_name_t *name)
{
	if (qc->qtype == KNOT_RRTYPE_DS && name->labels > 0) {
		const zdb_zone_t *z = zdb_find_zone_hashed(qc->db, name, 1);
		if (z != NULL) {
			return z;
		}
	}
	return zdb_find_zone_hashed(qc->db, name, 0);
}

/* Follow the chain from a first step that returned ST_FOLLOW. The zone of each name is
 * looked up again, so a target in a zone we serve below a cut of the first zone is
 * answered from that zone rather than with a referral. Each name is hashed into *next
 * in turn. */
static state_t follow_chain(query_ctx_t *qc, step_t *step, zdb_hashed_name_t *next)
{
	state_t state = ST_FOLLOW;
	for (unsigned i = 0; state == ST_FOLLOW; i++) {
		if (i >= CHAIN_MAX) {
			return ST_HIT; /* the loop guard: the client goes on */
		}
		zdb_hash_name(step->next, next);
		const zdb_zone_t *z = zone_for(qc, next);
		if (z == NULL) {
			return ST_HIT; /* out of our zones: the client goes on */
		}
		*step = (step_t){ .zone = z, .sname = step->next, .hashed = next };
		state = solve(qc, step);
	}
	return state;
}

/* RFC 2308 3: the SOA's TTL in a negative answer is min(SOA TTL, SOA MINIMUM). */
static int put_soa(query_ctx_t *qc, const zdb_zone_t *zone)
{
	const knot_rrset_t *soa = zdb_zone_soa(zone);
	knot_rrset_t copy = *soa;
	uint32_t min = knot_soa_minimum(soa->rrs.rdata);
	if (min < copy.ttl) {
		copy.ttl = min;
	}
	if (!dnssec_wanted(qc, zone)) {
		/* Like Knot: an SOA that does not fit is left out, without TC. */
		(void)knot_pkt_put(qc->ans, KNOT_COMPR_HINT_NONE, &copy, KNOT_PF_NOTRUNC);
		return KNOT_EOK;
	}
	/* RFC 4035 3.1.3: a signed negative answer needs SOA, RRSIGs and NSEC3s, or TC. */
	int ret = knot_pkt_put(qc->ans, KNOT_COMPR_HINT_NONE, &copy, 0);
	const knot_rrset_t *sig = rrsig_of(zdb_zone_apex_node(zone), soa);
	if (ret == KNOT_EOK && sig != NULL) {
		ret = dnssec_put_rrsig(qc, sig, soa->owner);
	}
	return ret;
}

/* With DO in a signed zone, the NSEC3 RRs that prove a negative answer (RFC 5155 7.2.1,
 * 7.2.3, 7.2.4, 7.2.5). */
static int put_denial(query_ctx_t *qc, state_t state, const step_t *step)
{
	const zdb_zone_t *z = step->zone;
	if (!dnssec_wanted(qc, z)) {
		return KNOT_EOK;
	}
	const nsec3_chain_t *c = &zdb_zone_nsec3(z)->chain;
	nsec3_proof_t proof;
	int ret = ERR_OK;
	ptrdiff_t *narrow_at = &proof.encloser;
	if (state == ST_MISS) {
		nsec3_known_t k = zdb_node_nsec3_known(z, step->encloser);
		ret = nsec3_proof_nxdomain(c->hashes, c->count, step->sname, step->encloser->owner,
					   &k, &proof);
	} else if (step->is_wildcard) {
		nsec3_known_t k = zdb_node_nsec3_known(z, step->encloser);
		ret = nsec3_proof_wildcard_nodata(c->hashes, c->count, step->sname,
						  step->encloser->owner, &k, &proof);
		narrow_at = &proof.wildcard;
	} else {
		/* also an empty non-terminal, and DS at a delegation without one (7.2.4) */
		nsec3_known_t k = { -1, -1 };
		if (step->node != NULL) {
			assert(knot_dname_is_equal(step->node->owner, step->sname));
			k = zdb_node_nsec3_known(z, step->node);
		}
		ret = nsec3_proof_nodata(c->hashes, c->count, step->sname, &k, &proof);
	}
	if (ret != ERR_OK) {
		return KNOT_EOK; /* a chain that does not cover the name: sent without */
	}
	const zdb_node_t *node = state == ST_NODATA ? step->node : NULL;
	bool has_pseudo = node != NULL && node->pseudo != NULL;
	return dnssec_put_proof(qc, z, &proof, has_pseudo ? node : NULL, *narrow_at);
}

/* With DO in a signed zone, a referral proves its DS (RFC 4035 3.1.4: DS and RRSIGs) or
 * that there is none (RFC 5155 7.2.7: the NSEC3 matching the delegation). */
static int put_referral_ds(query_ctx_t *qc, const step_t *step)
{
	if (!dnssec_wanted(qc, step->zone)) {
		return KNOT_EOK;
	}
	const knot_rrset_t *ds = zdb_node_rrset(step->cut, KNOT_RRTYPE_DS);
	if (ds != NULL) {
		int ret = knot_pkt_put(qc->ans, KNOT_COMPR_HINT_NONE, ds, 0);
		const knot_rrset_t *sig = rrsig_of(step->cut, ds);
		if (ret == KNOT_EOK && sig != NULL) {
			ret = dnssec_put_rrsig(qc, sig, ds->owner);
		}
		return ret;
	}
	const nsec3_chain_t *c = &zdb_zone_nsec3(step->zone)->chain;
	nsec3_proof_t proof;
	nsec3_known_t k = zdb_node_nsec3_known(step->zone, step->cut);
	if (nsec3_proof_nodata(c->hashes, c->count, step->cut->owner, &k, &proof) != ERR_OK) {
		return KNOT_EOK;
	}
	return dnssec_put_proof(qc, step->zone, &proof, NULL, -1);
}

/* RFC 5155 7.2.6: the NSEC3 covering the next closer name of each wildcard expansion. */
static int put_wildcard_proofs(query_ctx_t *qc)
{
	for (unsigned i = 0; i < qc->wildcard_count; i++) {
		const query_wildcard_t *w = &qc->wildcards[i];
		const nsec3_chain_t *c = &zdb_zone_nsec3(w->zone)->chain;
		nsec3_proof_t proof;
		if (nsec3_proof_wildcard_answer(c->hashes, c->count, w->sname, w->encloser,
						&proof) != ERR_OK) {
			continue;
		}
		int ret = dnssec_put_proof(qc, w->zone, &proof, NULL, -1);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/* The SOA and the denial come from the zone of the chain's last name (RFC 2308 3). */
static int solve_negative(query_ctx_t *qc, state_t state, const step_t *step)
{
	int ret = put_soa(qc, step->zone);
	return ret == KNOT_EOK ? put_denial(qc, state, step) : ret;
}

/* The last step decides the RCODE and the authority section (RFC 6604 2.1); AA was set
 * by the first. */
static int solve_authority_records(query_ctx_t *qc, state_t state, const step_t *step)
{
	switch (state) {
	case ST_MISS:
		qc->rcode = KNOT_RCODE_NXDOMAIN;
		return solve_negative(qc, state, step);
	case ST_NODATA:
		return solve_negative(qc, state, step);
	case ST_DELEG: {
		/* The builder flags a node DELEG only with an NS RRset, NONAUTH only below one. */
		assert(step->cut != NULL);
		const knot_rrset_t *ns = zdb_node_rrset(step->cut, KNOT_RRTYPE_NS);
		int ret = put(qc, step->zone, ns, KNOT_COMPR_HINT_NONE, 0, true);
		return ret == KNOT_EOK ? put_referral_ds(qc, step) : ret;
	}
	default:
		return KNOT_EOK;
	}
}

/* The answer section's RRSIGs end it; then the authority section in Knot's order: SOA or
 * NS, the denial or the DS, the wildcard expansions' proofs, their RRSIGs. */
static int solve_authority(query_ctx_t *qc, state_t state, const step_t *step)
{
	if (state == ST_TRUNC) {
		return KNOT_ESPACE;
	}
	if (state == ST_FAIL) {
		return KNOT_ENOMEM;
	}
	int ret = dnssec_flush_rrsigs(qc, false);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_pkt_begin(qc->ans, KNOT_AUTHORITY);
	ret = solve_authority_records(qc, state, step);
	if (ret == KNOT_EOK) {
		ret = put_wildcard_proofs(qc);
	}
	return ret == KNOT_EOK ? dnssec_flush_rrsigs(qc, false) : ret;
}

/* A/AAAA for one name in the rdata of an NS/MX/SRV RRset; mandatory says which pass.
 * *last: how the last put tried ended (KNOT_EOK or KNOT_ESPACE), left alone when none is
 * tried (no such name, no address). */
static int put_glue(query_ctx_t *qc, const query_extra_t *e, const knot_dname_t *target,
		    uint16_t hint, bool mandatory, int *last)
{
	knot_dname_storage_t lower;
	knot_dname_copy_lower(lower, target);
	if (knot_dname_in_bailiwick(lower, zdb_zone_apex(e->zone)) < 0) {
		return KNOT_EOK;
	}
	const zdb_node_t *encloser = NULL;
	const zdb_node_t *node = zdb_zone_find(e->zone, lower, &encloser);
	if (node == NULL) {
		node = zdb_zone_wildcard(e->zone, encloser); /* as Knot: an expanded wildcard serves too */
	}
	if (node == NULL) {
		return KNOT_EOK;
	}
	const knot_rrset_t *ns = &qc->ans->rr[e->rr_index];
	bool is_mandatory = e->is_referral && (node->flags & (ZDB_NODE_DELEG | ZDB_NODE_NONAUTH)) &&
			    knot_dname_in_bailiwick(node->owner, ns->owner) >= 0;
	if (is_mandatory != mandatory) {
		return KNOT_EOK;
	}
	static const uint16_t types[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const knot_rrset_t *rr = zdb_node_rrset(node, types[i]);
		if (rr == NULL) {
			continue;
		}
		knot_rrset_t copy = *rr;
		/* An expanded wildcard is owned by the target (written through the hint when
		 * there is one; the owner still tells one expansion from another). */
		if (node->owner[0] == 1 && node->owner[1] == '*') {
			copy.owner = (knot_dname_t *)lower_copy(qc, lower);
			if (copy.owner == NULL) {
				return KNOT_ENOMEM;
			}
		}
		/* RFC 1034 4.3.2 step 3b: only glue the referral needs may cause truncation;
		 * an optional RRset that does not fit is left out, with the rest of this
		 * name's addresses (an AAAA without the A that did not fit), and the next
		 * names are tried (RFC 2181 9, as Knot). */
		uint16_t flags = KNOT_PF_CHECKDUP | (mandatory ? 0 : KNOT_PF_NOTRUNC);
		uint16_t before = qc->ans->rrset_count;
		int ret = pkt_put(qc->ans, hint, &copy, flags);
		*last = ret;
		if (ret == KNOT_ESPACE && !mandatory) {
			return KNOT_EOK;
		}
		if (ret != KNOT_EOK) {
			return ret;
		}
		/* RFC 4035 3.1.1: authoritative data keeps its RRSIGs, which may be dropped
		 * when they do not fit (solve_additional()); glue is not signed. */
		const knot_rrset_t *sig = rrsig_of(node, rr);
		if (sig != NULL && qc->ans->rrset_count > before && dnssec_wanted(qc, e->zone)) {
			ret = dnssec_put_rrsig(qc, sig, copy.owner);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return KNOT_EOK;
}

/* One pass over the remembered RRsets: the mandatory glue first, then the rest. In the
 * optional pass, an RRset whose last address put did not fit ends the section (as
 * Knot's solve_additional(): KNOT_ESPACE, without TC). */
static int solve_additional_pass(query_ctx_t *qc, bool mandatory)
{
	for (unsigned k = 0; k < qc->extra_count; k++) {
		const query_extra_t *e = &qc->extra[k];
		const knot_rrset_t *rr = &qc->ans->rr[e->rr_index];
		const knot_rdata_t *rdata = rr->rrs.rdata;
		int last = KNOT_EOK;
		for (uint16_t i = 0; i < rr->rrs.count; i++) {
			/* The name's place in the packet: the A/AAAA owner becomes a pointer. */
			uint16_t hint = knot_compr_hint(&qc->ans->rr_info[e->rr_index],
							KNOT_COMPR_HINT_RDATA + i);
			const knot_dname_t *target = knot_rdata_name(rdata, rr->type);
			int ret = put_glue(qc, e, target, hint, mandatory, &last);
			if (ret != KNOT_EOK) {
				return ret;
			}
			rdata = knot_rdataset_next((knot_rdata_t *)rdata);
		}
		if (!mandatory && last == KNOT_ESPACE) {
			return KNOT_ESPACE;
		}
	}
	return KNOT_EOK;
}

/* The glue a referral needs, the rest, then their RRSIGs as far as they fit. When the
 * section filled up before its addresses were all in, no RRSIG follows (Knot stops
 * there too); the answer goes out without TC (RFC 2181 9). */
static int solve_additional(query_ctx_t *qc)
{
	knot_pkt_begin(qc->ans, KNOT_ADDITIONAL);
	int ret = solve_additional_pass(qc, true);
	if (ret != KNOT_EOK) {
		return ret;
	}
	ret = solve_additional_pass(qc, false);
	if (ret == KNOT_ESPACE) {
		qc->sig_count = 0;
		return KNOT_EOK;
	}
	return ret == KNOT_EOK ? dnssec_flush_rrsigs(qc, true) : ret;
}

int answer_build(query_ctx_t *qc)
{
	zdb_hashed_name_t qname; /* not zeroed: 2 KiB, of which a few entries are used */
	zdb_hash_name(qc->qname, &qname);
	const zdb_zone_t *zone = zone_for(qc, &qname);
	qc->zone = zone;
	if (zone == NULL) {
		qc->rcode = KNOT_RCODE_REFUSED; /* not ours; AA stays clear */
		qc->has_ede = true;
		qc->ede_code = 20;              /* RFC 8914 4.21 Not Authoritative, as Knot */
		return KNOT_EOK;
	}
	knot_pkt_begin(qc->ans, KNOT_ANSWER);
	step_t step = { .zone = zone, .sname = qc->qname, .hashed = &qname, .is_qname = true };
	state_t state = solve(qc, &step);
	/* Authoritative unless a referral, decided before the chain is followed (Knot). */
	qc->is_aa = state != ST_DELEG;
	if (state == ST_FOLLOW) {
		state = follow_chain(qc, &step, &qname); /* its hashes are done with */
	}
	int ret = solve_authority(qc, state, &step);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return solve_additional(qc);
}
