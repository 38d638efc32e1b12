/* query_internal.h -- state shared by process.c, answer.c and chaos.c (dns/query only). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "dns/query/query.h"
#include "dns/xfr/xfr.h"

/* A fixed bump arena, emptied before each query: all the memory a query uses (libknot's
 * packet arrays and parsed rdata, synthesized names and RRsets). core/arena frees its
 * chunks at reset, which would put malloc back on the query path, hence this one. */
typedef struct qarena {
	uint8_t *base;
	size_t size;
	size_t used;
} qarena_t;

/* size bytes aligned to 16, or NULL when the arena is full (the query is then answered
 * with SERVFAIL or FORMERR, never with a crash). */
static inline void *qarena_alloc(qarena_t *a, size_t size)
{
	size_t need = (size + 15) & ~(size_t)15;
	if (need < size || need > a->size - a->used) {
		return NULL;
	}
	void *p = a->base + a->used;
	a->used += need;
	return p;
}

/* At most this many NS/MX/SRV RRsets of one answer get A/AAAA in the additional section. */
#define QUERY_EXTRA_MAX 16

/* An RRset in the answer whose rdata names may have A/AAAA in its zone. */
typedef struct query_extra {
	const zdb_zone_t *zone;
	uint16_t rr_index;  /* into ans->rr and ans->rr_info */
	bool is_referral;   /* the delegation NS of a referral: in-domain glue is mandatory */
} query_extra_t;

/* A worker's cache of the RRSIGs it signed at query time (sigcache.c). */
typedef struct sigcache sigcache_t;
sigcache_t *sigcache_new(void);
void sigcache_free(sigcache_t *c);
sigcache_stats_t sigcache_stats(const sigcache_t *c);
/* The RRSIG rdata for rrset (owner: the zone's name that holds the data, a wildcard as
 * such) by every key of s that signs its type, appended to *out (memory from mm): from
 * the cache while it is not due, else signed now (RRSIG time) and cached. Returns ERR_OK,
 * ERR_INVALID (no key of s signs the type), ERR_INTERNAL, ERR_NOMEM. */
int sigcache_sign(sigcache_t *c, const zdb_signer_t *s, const knot_rrset_t *rrset, uint32_t now,
		  knot_rdataset_t *out, knot_mm_t *mm);

/* At most this many wildcard expansions of one answer get their NSEC3 proof. */
#define QUERY_PROOF_MAX 8

/* A positive answer synthesized from a wildcard (RFC 5155 7.2.6): its proof goes into the
 * authority section once the answer section is done. */
typedef struct query_wildcard {
	const zdb_zone_t *zone;
	const knot_dname_t *sname;     /* the name answered, lowercase */
	const knot_dname_t *encloser;  /* its closest encloser */
} query_wildcard_t;

/* An RRSIG RRset waiting for the end of its section (dnssec_put_rrsig()). */
typedef struct query_sig {
	knot_rrset_t rrsig;
	uint16_t covered;  /* the RRset it signs: its index in ans->rr and ans->rr_info */
} query_sig_t;

/* One query being answered; lives on query_handle()'s stack. */
typedef struct query_ctx {
	const query_conf_t *conf;
	qarena_t *arena;
	const zdb_t *db;
	const knot_pkt_t *query;
	knot_pkt_t *ans;
	const knot_dname_t *qname;  /* lowercase (the question keeps the client's case) */
	uint16_t qtype;
	bool is_tcp;
	bool is_aa;                 /* set AA in the answer */
	uint16_t rcode;             /* extended RCODE (RFC 6891 6.1.3): 12 bits */
	const zdb_zone_t *zone;     /* the zone the question fell in, NULL when none */
	bool has_ede;               /* add an Extended DNS Error (RFC 8914) with ede_code */
	uint16_t ede_code;
	query_extra_t extra[QUERY_EXTRA_MAX];
	unsigned extra_count;
	uint64_t *rng;              /* the worker's xorshift64* state (POOL members) */
	const struct sockaddr *client;
	bool has_tsig;              /* the query is signed: *tsig holds its state */
	xfr_tsig_t *tsig;           /* the worker's (written only for signed queries) */
	xfr_out_t *xfr_more;        /* a TCP transfer's next messages (dns/xfr) */
	bool is_do;                 /* DO set (RFC 3225): signed zones add RRSIGs and NSEC3 */
	sigcache_t *sigcache;       /* the worker's (online signatures) */
	uint32_t now;               /* RRSIG time for online signatures; 0 until one is made */
	query_wildcard_t wildcards[QUERY_PROOF_MAX];
	unsigned wildcard_count;
	query_sig_t *sigs;          /* RRSIGs of this section, in the arena (NULL: none yet) */
	unsigned sig_count, sig_room;
	const char *bad_label;      /* test hook (NAMEPLATE_TEST_HOOKS): corrupt RRSIGs whose
				     * owner has this label; NULL: off */
} query_ctx_t;

/* xorshift64* (Vigna): the worker's own generator, so picking a POOL member takes no
 * lock and no syscall. The high 32 bits are the good ones. */
static inline uint32_t query_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* The answer from the zone db (RFC 1034 4.3.2) into qc->ans: the answer, authority and
 * additional sections, qc->rcode and qc->is_aa. Returns KNOT_EOK, KNOT_ESPACE when an
 * RRset that must be sent does not fit (the caller truncates), or another KNOT_E* code
 * (the caller answers SERVFAIL). */
int answer_build(query_ctx_t *qc);

/* --- DNSSEC in answers (answer_dnssec.c) --- */

/* Whether answers from zone carry DNSSEC records: the query has DO and zone is signed. */
bool dnssec_wanted(const query_ctx_t *qc, const zdb_zone_t *zone);
/* sig (an RRSIG RRset of the zone, with this owner) covers the RRset put last: it is
 * written when the section ends (dnssec_flush_rrsigs()), its owner a pointer to that
 * RRset's, as Knot does (RRSIGs after a section's RRsets: the same compression and,
 * near the size limit, the same RRsets in the answer). The test hook may corrupt a
 * copy. Returns KNOT_EOK or KNOT_ENOMEM. */
int dnssec_put_rrsig(query_ctx_t *qc, const knot_rrset_t *sig, const knot_dname_t *owner);
/* Write the section's RRSIGs in the order given. Mandatory ones (answer, authority:
 * RFC 4035 3.1.1) return KNOT_ESPACE when one does not fit (the caller truncates);
 * optional ones (additional) stop at the first that does not fit, without TC. */
int dnssec_flush_rrsigs(query_ctx_t *qc, bool is_optional);
/* Sign rr at query time with zone's signer (rr->owner: the zone's name holding the data)
 * and queue the RRSIG with owner, as dnssec_put_rrsig(). Nothing when the zone has no
 * signer. Returns KNOT_EOK, KNOT_ENOMEM, or KNOT_ERROR when signing failed. */
int dnssec_put_online(query_ctx_t *qc, const zdb_zone_t *zone, const knot_rrset_t *rr,
		      const knot_dname_t *owner);
/* Put the NSEC3 RRs of proof with their RRSIGs (each once per answer). narrow: the node
 * whose NSEC3 is proof's index narrow_at, when that node has pseudo-records: its NSEC3 is
 * sent with qtype (and CNAME for POOL) taken out of the bitmap and signed at query time,
 * since the chain lists what the pseudo-records may answer (RFC 5155 7.2.3). */
int dnssec_put_proof(query_ctx_t *qc, const zdb_zone_t *zone, const nsec3_proof_t *proof,
		     const zdb_node_t *narrow, ptrdiff_t narrow_at);

/* The answer to a CHAOS class query (id.server and friends), same contract. */
int chaos_answer(query_ctx_t *qc);
