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

/* The answer to a CHAOS class query (id.server and friends), same contract. */
int chaos_answer(query_ctx_t *qc);
