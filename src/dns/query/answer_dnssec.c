/* answer_dnssec.c -- the DNSSEC records of an answer from a signed zone (RFC 4035 3.1,
 * RFC 5155 7.2): RRSIGs after each section's RRsets, the NSEC3 RRs of a proof, and the
 * signatures made at query time for what only exists then (issue 7).
 *
 * DESIGN: answer.c decides what to prove; this file puts it. RRSIGs and NSEC3 RRs come
 * from the zone version as they are (zdb_node_rrsigs(), zdb_zone_nsec3()), put as struct
 * copies like every other RRset. ALIAS/URL addresses and POOL CNAMEs are signed with the
 * version's signer through the worker's cache (sigcache.c). The NSEC3 of a name with
 * pseudo-records lists the types they may answer (A, AAAA, CNAME); when such a name
 * answers NODATA, that NSEC3 is sent with those types taken out of its bitmap and signed
 * at query time, the way online signers answer (the chain keeps one NSEC3 per name, so
 * the hashes and the next-owner field stay those of the chain).
 *
 * Test hook: in builds with NAMEPLATE_TEST_HOOKS (the sanitized test builds), the
 * environment variable NAMEPLATE_TEST_BAD_RRSIG=<label> makes every RRSIG whose owner
 * has that label go out with the last byte of its signature flipped, so that tests can
 * show validators reject it (docs/dnssec.md).
 */
#include <assert.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/err.h"
#include "dns/query/query_internal.h"

bool dnssec_wanted(const query_ctx_t *qc, const zdb_zone_t *zone)
{
	return qc->is_do && zone != NULL && zdb_zone_nsec3(zone) != NULL;
}

#ifdef NAMEPLATE_TEST_HOOKS
static bool has_label(const knot_dname_t *name, const char *label)
{
	size_t len = strlen(label);
	for (; name[0] != 0; name += name[0] + 1) {
		if (name[0] == len && strncasecmp((const char *)name + 1, label, len) == 0) {
			return true;
		}
	}
	return false;
}

/* A copy of sigs with the last byte of every signature flipped, in the query arena. */
static const knot_rdataset_t *corrupt(query_ctx_t *qc, const knot_rdataset_t *sigs)
{
	knot_rdataset_t *copy = qarena_alloc(qc->arena, sizeof(*copy));
	uint8_t *data = qarena_alloc(qc->arena, sigs->size);
	if (copy == NULL || data == NULL) {
		return sigs;
	}
	memcpy(data, sigs->rdata, sigs->size);
	*copy = (knot_rdataset_t){ .count = sigs->count, .size = sigs->size,
				   .rdata = (knot_rdata_t *)data };
	knot_rdata_t *rd = copy->rdata;
	for (uint16_t i = 0; i < copy->count; i++) {
		rd->data[rd->len - 1] ^= 0xff;
		rd = knot_rdataset_next(rd);
	}
	return copy;
}
#endif

int dnssec_put_rrsig(query_ctx_t *qc, const knot_rrset_t *sig, const knot_dname_t *owner)
{
	assert(qc->ans->rrset_count > 0);
	if (qc->sig_count == qc->sig_room) {
		unsigned room = qc->sig_room > 0 ? 2 * qc->sig_room : 16;
		query_sig_t *more = qarena_alloc(qc->arena, room * sizeof(*more));
		if (more == NULL) {
			return KNOT_ENOMEM;
		}
		if (qc->sig_count > 0) {
			memcpy(more, qc->sigs, qc->sig_count * sizeof(*more));
		}
		qc->sigs = more;
		qc->sig_room = room;
	}
	query_sig_t *q = &qc->sigs[qc->sig_count++];
	q->rrsig = *sig;
	q->rrsig.owner = (knot_dname_t *)owner;
	q->covered = qc->ans->rrset_count - 1;
#ifdef NAMEPLATE_TEST_HOOKS
	if (qc->bad_label != NULL && has_label(owner, qc->bad_label)) {
		q->rrsig.rrs = *corrupt(qc, &sig->rrs);
	}
#endif
	return KNOT_EOK;
}

int dnssec_flush_rrsigs(query_ctx_t *qc, bool is_optional)
{
	int ret = KNOT_EOK;
	for (unsigned i = 0; i < qc->sig_count && ret == KNOT_EOK; i++) {
		const query_sig_t *q = &qc->sigs[i];
		uint16_t hint = knot_compr_hint(&qc->ans->rr_info[q->covered],
						KNOT_COMPR_HINT_OWNER);
		ret = knot_pkt_put(qc->ans, hint, &q->rrsig, is_optional ? KNOT_PF_NOTRUNC : 0);
	}
	qc->sig_count = 0;
	return is_optional && ret == KNOT_ESPACE ? KNOT_EOK : ret;
}

static void *on_alloc(void *ctx, size_t size)
{
	return qarena_alloc(ctx, size);
}

int dnssec_put_online(query_ctx_t *qc, const zdb_zone_t *zone, const knot_rrset_t *rr,
		      const knot_dname_t *owner)
{
	const zdb_signer_t *signer = zdb_zone_signer(zone);
	if (signer == NULL) {
		return KNOT_EOK; /* signed by a build that kept no keys: sent unsigned */
	}
	if (qc->now == 0) {
		qc->now = (uint32_t)time(NULL);
	}
	knot_mm_t mm = { .ctx = qc->arena, .alloc = on_alloc, .free = NULL };
	knot_rrset_t sig;
	knot_rrset_init(&sig, (knot_dname_t *)owner, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, rr->ttl);
	int ret = sigcache_sign(qc->sigcache, signer, rr, qc->now, &sig.rrs, &mm);
	if (ret != ERR_OK) {
		return ret == ERR_NOMEM ? KNOT_ENOMEM : KNOT_ERROR;
	}
	return dnssec_put_rrsig(qc, &sig, owner);
}

/* The NSEC3 of a name with pseudo-records, without what it does not answer now. */
static int put_narrowed(query_ctx_t *qc, const zdb_zone_t *zone, const knot_rrset_t *nsec3,
			const zdb_node_t *node)
{
	const knot_rdata_t *rd = nsec3->rrs.rdata;
	knot_rdata_t *out = qarena_alloc(qc->arena, knot_rdata_size(rd->len));
	if (out == NULL) {
		return KNOT_ENOMEM;
	}
	uint16_t drop[2] = { qc->qtype, KNOT_RRTYPE_CNAME };
	size_t n = (node->flags & ZDB_NODE_POOL) ? 2 : 1;
	if (nsec3_rdata_narrow(rd, drop, n, NULL, out) != ERR_OK) {
		return KNOT_EMALF;
	}
	knot_rrset_t copy = *nsec3;
	copy.rrs = (knot_rdataset_t){ .count = 1, .size = (uint32_t)knot_rdata_size(out->len),
				      .rdata = out };
	int ret = knot_pkt_put(qc->ans, KNOT_COMPR_HINT_NONE, &copy, 0);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return dnssec_put_online(qc, zone, &copy, copy.owner);
}

int dnssec_put_proof(query_ctx_t *qc, const zdb_zone_t *zone, const nsec3_proof_t *proof,
		     const zdb_node_t *narrow, ptrdiff_t narrow_at)
{
	const zdb_nsec3_t *n3 = zdb_zone_nsec3(zone);
	ptrdiff_t list[3];
	size_t count = nsec3_proof_list(proof, list);
	for (size_t i = 0; i < count; i++) {
		const knot_rrset_t *nsec3 = &n3->chain.rrsets[list[i]];
		int ret = KNOT_EOK;
		if (narrow != NULL && list[i] == narrow_at) {
			ret = put_narrowed(qc, zone, nsec3, narrow);
		} else {
			uint16_t before = qc->ans->rrset_count;
			ret = knot_pkt_put(qc->ans, KNOT_COMPR_HINT_NONE, nsec3, KNOT_PF_CHECKDUP);
			const knot_rrset_t *sig = &n3->rrsigs[list[i]];
			if (ret == KNOT_EOK && qc->ans->rrset_count > before && sig->rrs.count > 0) {
				ret = dnssec_put_rrsig(qc, sig, sig->owner);
			}
		}
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}
