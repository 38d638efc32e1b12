/* process.c -- one DNS message in, one answer out: parsing, header, opcode, class, EDNS(0),
 * cookies, NSID, TSIG, size limits and truncation, and the dispatch of zone transfers.
 *
 * DESIGN: the steps of Knot DNS's process_query.c as straight-line code. The query is
 * parsed by libknot (knot_pkt_parse) and the answer written with knot_pkt, both packets
 * allocated per query from the worker's fixed arena (a knot_mm_t over qarena_t), which
 * is emptied when the next query starts: answering never calls malloc, takes no lock and
 * logs nothing. Each check either passes or sets the RCODE and ends processing; the answer
 * is then finished in one place (finish()): TC and truncation, the OPT RR with the upper
 * RCODE bits, the TSIG RR (a signature, or an unsigned error). A truncated UDP answer
 * keeps only the question and the OPT RR (RFC 2181 9 lets the client retry over TCP; a cut
 * answer is not worth its bytes). Only signed queries and transfers leave this path: a
 * TSIG is verified with the keys of dns/xfr (which mallocs, in libknot), and AXFR/IXFR go
 * to xfr_answer(), which builds the first message here and hands the rest of a TCP answer
 * to the caller (query_worker_take_xfr()).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/mem.h"
#include "dns/query/query_internal.h"
#include "dns/xfr/xfr.h"

/* Enough for the parse of any 64 KiB message: at most 5957 RRs (11 bytes each) with
 * their descriptors (76 bytes each) and rdata copies, plus the answer's own arrays. */
#define ARENA_SIZE (1024 * 1024)

/* Our EDNS buffer size when the configuration leaves it at 0 (RFC 9715 advice). */
#define UDP_PAYLOAD_DEFAULT 1232

/* RFC 9018 4.3: a valid server cookie older than this is replaced by a fresh one. */
#define COOKIE_REFRESH 1800
/* Accepted server cookie ages: an hour in the past, five minutes in the future (Knot). */
#define COOKIE_LIFETIME_BEFORE 3600
#define COOKIE_LIFETIME_AFTER 300

struct query_worker {
	const query_conf_t *conf;
	qarena_t arena;
	knot_mm_t mm;
	const zdb_zone_t *last_zone; /* the zone of the last answer, for the caller's counters */
	uint64_t rng;                /* query_rand() state, never 0 */
	xfr_tsig_t tsig;             /* the last query's TSIG state (written only for signed ones) */
	xfr_out_t *pending;          /* the rest of the last TCP transfer (query_worker_take_xfr) */
	sigcache_t *sigcache;        /* RRSIGs signed at query time (sigcache.c) */
	const char *bad_label;       /* test hook: NAMEPLATE_TEST_BAD_RRSIG (answer_dnssec.c) */
};

/* The response-side state that outlives the individual checks. */
typedef struct response {
	knot_rrset_t opt;     /* our OPT RR; opt.owner == NULL when the answer has none */
	bool is_cleared;      /* drop the sections: truncation or SERVFAIL */
	bool is_truncated;    /* set TC */
	bool has_tsig_error;  /* answer with an unsigned TSIG RR holding the error (RFC 8945
			       * 5.2: BADKEY, BADSIG) */
} response_t;

static void *on_alloc(void *ctx, size_t size)
{
	return qarena_alloc(ctx, size);
}

query_worker_t *query_worker_new(const query_conf_t *conf)
{
	query_worker_t *w = xcalloc(1, sizeof(*w));
	w->conf = conf;
	w->arena.base = xmalloc(ARENA_SIZE);
	w->arena.size = ARENA_SIZE;
	w->mm.ctx = &w->arena;
	w->mm.alloc = on_alloc;
	w->mm.free = NULL; /* the arena is emptied per query */
	if (getrandom(&w->rng, sizeof(w->rng), 0) != (ssize_t)sizeof(w->rng)) {
		w->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)w;
	}
	w->rng |= 1; /* xorshift's one forbidden state is 0 */
	w->sigcache = sigcache_new();
#ifdef NAMEPLATE_TEST_HOOKS
	const char *bad = getenv("NAMEPLATE_TEST_BAD_RRSIG");
	w->bad_label = bad != NULL && bad[0] != 0 ? bad : NULL;
#endif
	return w;
}

void query_worker_free(query_worker_t *w)
{
	if (w == NULL) {
		return;
	}
	xfr_out_free(w->pending);
	sigcache_free(w->sigcache);
	free(w->arena.base);
	free(w);
}

/* RFC 6891 6.2.3, 6.2.5: the requestor's size, at least 512; capped by ours (as Knot), so a
 * big EDNS size does not make us send fragments. */
static uint16_t udp_limit(const query_ctx_t *qc)
{
	if (qc->query->opt_rr == NULL) {
		return KNOT_WIRE_MIN_PKTSIZE;
	}
	uint16_t ours = qc->conf->udp_max_payload ? qc->conf->udp_max_payload : UDP_PAYLOAD_DEFAULT;
	uint16_t theirs = knot_edns_get_payload(qc->query->opt_rr);
	uint16_t limit = theirs < ours ? theirs : ours;
	return limit < KNOT_WIRE_MIN_PKTSIZE ? KNOT_WIRE_MIN_PKTSIZE : limit;
}

/* RFC 7873 5.2, with the RFC 9018 server cookie: a malformed option is FORMERR; a client
 * cookie alone, or with a server cookie we cannot verify, gets a fresh server cookie and
 * a normal answer (5.2.3 option 3: no enforcement, there is no rate limiting yet); a
 * valid server cookie is sent back, renewed once it is half an hour old. */
static int put_cookie(query_ctx_t *qc, response_t *r, const struct sockaddr *client)
{
	uint8_t *option = knot_pkt_edns_option(qc->query, KNOT_EDNS_OPTION_COOKIE);
	if (option == NULL) {
		return KNOT_EOK;
	}
	knot_edns_cookie_t cc, sc;
	int ret = knot_edns_cookie_parse(&cc, &sc, knot_edns_opt_get_data(option),
					 knot_edns_opt_get_length(option));
	if (ret != KNOT_EOK) {
		qc->rcode = KNOT_RCODE_FORMERR;
		return KNOT_EMALF;
	}
	if (client == NULL || (client->sa_family != AF_INET && client->sa_family != AF_INET6)) {
		return KNOT_EOK; /* no address to bind the cookie to */
	}
	knot_edns_cookie_params_t params = {
		.version = KNOT_EDNS_COOKIE_VERSION,
		.timestamp = (uint32_t)time(NULL),
		.lifetime_before = COOKIE_LIFETIME_BEFORE,
		.lifetime_after = COOKIE_LIFETIME_AFTER,
		.client_addr = (const struct sockaddr_storage *)client,
	};
	memcpy(params.secret, qc->conf->cookie_secret, sizeof(params.secret));
	bool is_fresh = false;
	if (sc.len > 0 && knot_edns_cookie_server_check(&sc, &cc, &params) == KNOT_EOK) {
		uint32_t stamp = knot_wire_read_u32(sc.data + 4);
		is_fresh = params.timestamp - stamp < COOKIE_REFRESH ||
			   stamp - params.timestamp <= COOKIE_LIFETIME_AFTER;
	}
	if (!is_fresh && knot_edns_cookie_server_generate(&sc, &cc, &params) != KNOT_EOK) {
		return KNOT_EOK; /* cannot happen with a parsed client cookie */
	}
	uint16_t size = knot_edns_cookie_size(&cc, &sc);
	uint8_t *wire = NULL;
	knot_mm_t *mm = &qc->ans->mm;
	ret = knot_edns_reserve_option(&r->opt, KNOT_EDNS_OPTION_COOKIE, size, &wire, mm);
	if (ret == KNOT_EOK) {
		ret = knot_edns_cookie_write(wire, size, &cc, &sc);
	}
	return ret;
}

/* RFC 5001 2.3: our NSID when the client asks for it and we have one; left out when it
 * would not leave room for the smallest answer. */
static int put_nsid(query_ctx_t *qc, response_t *r)
{
	const query_conf_t *conf = qc->conf;
	if (conf->nsid == NULL || knot_pkt_edns_option(qc->query, KNOT_EDNS_OPTION_NSID) == NULL) {
		return KNOT_EOK;
	}
	size_t used = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(qc->query) +
		      knot_edns_wire_size(&r->opt);
	size_t room = qc->ans->max_size > used ? qc->ans->max_size - used : 0;
	if (conf->nsid_size + KNOT_EDNS_OPTION_HDRLEN > room / 2) {
		return KNOT_EOK;
	}
	return knot_edns_add_option(&r->opt, KNOT_EDNS_OPTION_NSID, (uint16_t)conf->nsid_size,
				    conf->nsid, &qc->ans->mm);
}

/* RFC 6891: our OPT RR for a query that has one. Returns KNOT_EOK to go on answering,
 * anything else when qc->rcode is the answer. */
static int edns_check(query_ctx_t *qc, response_t *r, const struct sockaddr *client)
{
	const knot_rrset_t *opt = qc->query->opt_rr;
	if (opt == NULL) {
		return KNOT_EOK;
	}
	if (opt->owner[0] != 0) {
		qc->rcode = KNOT_RCODE_FORMERR; /* RFC 6891 6.1.2: the owner is the root */
		return KNOT_EMALF;
	}
	uint16_t ours = qc->conf->udp_max_payload ? qc->conf->udp_max_payload : UDP_PAYLOAD_DEFAULT;
	int ret = knot_edns_init(&r->opt, ours, 0, KNOT_EDNS_VERSION, &qc->ans->mm);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (knot_edns_do(opt)) {
		knot_edns_set_do(&r->opt); /* RFC 3225 3 */
		qc->is_do = true;          /* RFC 4035 3.1: signed zones add their records */
	}
	if (knot_edns_get_version(opt) != KNOT_EDNS_VERSION) {
		qc->rcode = KNOT_RCODE_BADVERS; /* RFC 6891 6.1.3 */
		return KNOT_ENOTSUP;
	}
	ret = put_cookie(qc, r, client);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return put_nsid(qc, r);
}

/* Bytes of the unsigned TSIG RR with an error (BADKEY: a key we do not have, RFC 8945
 * 5.2.2; BADSIG: a MAC that does not verify, 5.2.1): owner, fixed fields, algorithm and
 * 16 bytes of rdata. */
static size_t tsig_error_size(const knot_rrset_t *tsig)
{
	return knot_dname_size(tsig->owner) + 10 +
	       knot_dname_size(knot_tsig_rdata_alg_name(tsig)) + 16;
}

/* Write that TSIG RR at the end of the answer (the room was reserved). */
static void put_tsig_error(knot_pkt_t *ans, const knot_rrset_t *tsig, uint16_t error)
{
	uint8_t *p = ans->wire + ans->size;
	const knot_dname_t *alg = knot_tsig_rdata_alg_name(tsig);
	size_t owner_size = knot_dname_size(tsig->owner);
	size_t alg_size = knot_dname_size(alg);
	memcpy(p, tsig->owner, owner_size);
	p += owner_size;
	knot_wire_write_u16(p, KNOT_RRTYPE_TSIG);
	knot_wire_write_u16(p + 2, KNOT_CLASS_ANY);
	knot_wire_write_u32(p + 4, 0);
	knot_wire_write_u16(p + 8, (uint16_t)(alg_size + 16));
	p += 10;
	memcpy(p, alg, alg_size);
	p += alg_size;
	knot_wire_write_u48(p, knot_tsig_rdata_time_signed(tsig));
	knot_wire_write_u16(p + 6, knot_tsig_rdata_fudge(tsig));
	knot_wire_write_u16(p + 8, 0); /* MAC size: unsigned */
	knot_wire_write_u16(p + 10, knot_tsig_rdata_orig_id(tsig));
	knot_wire_write_u16(p + 12, error);
	knot_wire_write_u16(p + 14, 0); /* other len */
	ans->size += tsig_error_size(tsig);
	knot_wire_add_arcount(ans->wire, 1);
}

/* RFC 8945 5.2: a signed query. Verified with one of our keys, it is answered as any
 * other and the answer signed (finish()); else qc->rcode is NOTAUTH with the TSIG error.
 * Returns KNOT_EOK or a KNOT_E* code (no room). */
static int tsig_verify(query_ctx_t *qc, response_t *r)
{
	const knot_pkt_t *q = qc->query;
	qc->has_tsig = true;
	qc->rcode = xfr_tsig_verify(qc->conf->xfr, q->wire, q->size, qc->tsig, &qc->ans->mm);
	if (qc->rcode != KNOT_RCODE_NOERROR && qc->tsig->error == KNOT_RCODE_BADTIME) {
		/* RFC 8945 5.2.3: signed, with our time in Other Data */
		return knot_pkt_reserve(qc->ans, (uint16_t)xfr_tsig_reserve(qc->tsig));
	}
	if (qc->rcode != KNOT_RCODE_NOERROR) {
		r->has_tsig_error = qc->tsig->error != 0;
		return r->has_tsig_error
			       ? knot_pkt_reserve(qc->ans, (uint16_t)tsig_error_size(q->tsig_rr))
			       : KNOT_EOK;
	}
	return knot_pkt_reserve(qc->ans, (uint16_t)xfr_tsig_reserve(qc->tsig));
}

/* AXFR and IXFR (dns/xfr): the checks and the first message here; over TCP the rest is
 * handed to the caller (query_worker_take_xfr()). */
static int transfer(query_ctx_t *qc)
{
	xfr_request_t req = {
		.db = qc->db, .query = qc->query, .qname = qc->qname, .client = qc->client,
		.is_tcp = qc->is_tcp,
		.tsig = qc->has_tsig && qc->tsig->is_signed ? qc->tsig : NULL,
	};
	qc->rcode = xfr_answer(qc->conf->xfr, &req, qc->ans, &qc->xfr_more);
	qc->is_aa = qc->rcode == KNOT_RCODE_NOERROR;
	return KNOT_EOK;
}

/* Everything between a parsed message and the answer sections. Returns KNOT_EOK once
 * qc->rcode and the sections are final; KNOT_ESPACE when the answer must be truncated. */
static int process(query_ctx_t *qc, response_t *r)
{
	const knot_pkt_t *q = qc->query;
	if (knot_wire_get_opcode(q->wire) != KNOT_OPCODE_QUERY) {
		qc->rcode = KNOT_RCODE_NOTIMPL; /* NOTIFY, UPDATE, ... */
		return KNOT_EOK;
	}
	if (knot_wire_get_qdcount(q->wire) != 1) {
		qc->rcode = KNOT_RCODE_FORMERR;
		return KNOT_EOK;
	}
	qc->qname = knot_pkt_qname(q);
	qc->qtype = knot_pkt_qtype(q);
	if (q->tsig_rr != NULL) {
		int ret = tsig_verify(qc, r);
		if (ret != KNOT_EOK || qc->rcode != KNOT_RCODE_NOERROR) {
			return ret; /* verified, the question is answered below */
		}
	}
	if (qc->qtype == 0) {
		qc->rcode = KNOT_RCODE_NOTIMPL; /* a reserved type (RFC 6895 3.1), as Knot */
		return KNOT_EOK;
	}
	if (qc->qtype == KNOT_RRTYPE_AXFR || qc->qtype == KNOT_RRTYPE_IXFR) {
		return transfer(qc);
	}
	switch (knot_pkt_qclass(q)) {
	case KNOT_CLASS_IN:
	case KNOT_CLASS_ANY:
		return answer_build(qc);
	case KNOT_CLASS_CH:
		return chaos_answer(qc);
	default:
		qc->rcode = KNOT_RCODE_REFUSED;
		return KNOT_EOK;
	}
}

/* RFC 1996 3.7, 4.7: a NOTIFY for one of our secondary zones. Whether it comes from one
 * of the zone's primaries is the jobs role's to say (conf->on_notify), which then
 * refreshes the zone; without it every NOTIFY is refused. */
static int notify(query_ctx_t *qc, response_t *r, const struct sockaddr *from)
{
	const knot_pkt_t *q = qc->query;
	if (knot_wire_get_qdcount(q->wire) != 1 || knot_pkt_qclass(q) != KNOT_CLASS_IN) {
		qc->rcode = KNOT_RCODE_FORMERR;
		return KNOT_EOK;
	}
	if (q->tsig_rr != NULL) {
		qc->rcode = KNOT_RCODE_NOTAUTH; /* RFC 8945 5.2.2: as for queries */
		r->has_tsig_error = true;
		return knot_pkt_reserve(qc->ans, (uint16_t)tsig_error_size(q->tsig_rr));
	}
	if (knot_pkt_qtype(q) != KNOT_RRTYPE_SOA) {
		qc->rcode = KNOT_RCODE_NOTIMPL; /* RFC 1996 3.7: only SOA is defined */
		return KNOT_EOK;
	}
	const query_conf_t *conf = qc->conf;
	qc->rcode = conf->on_notify != NULL && from != NULL
			    ? (uint16_t)conf->on_notify(conf->notify_ctx, knot_pkt_qname(q), from)
			    : KNOT_RCODE_REFUSED;
	qc->is_aa = qc->rcode == KNOT_RCODE_NOERROR;
	return KNOT_EOK;
}

/* Flags, truncation, OPT and TSIG, RCODE: the answer as it is sent. */
static void finish(query_ctx_t *qc, response_t *r)
{
	knot_pkt_t *ans = qc->ans;
	if (r->is_cleared) {
		/* Back to the header and the question; the OPT RR goes in below. */
		(void)knot_pkt_init_response(ans, qc->query);
	}
	if (r->is_truncated) {
		knot_wire_set_tc(ans->wire);
	}
	if (qc->is_aa) {
		knot_wire_set_aa(ans->wire);
	}
	if (ans->current != KNOT_ADDITIONAL) {
		knot_pkt_begin(ans, KNOT_ADDITIONAL);
	}
	ans->reserved = 0; /* the room kept for the OPT and TSIG RRs is theirs now */
	if (r->opt.owner != NULL && qc->has_ede) {
		uint8_t code[2];
		knot_wire_write_u16(code, qc->ede_code);
		(void)knot_edns_add_option(&r->opt, KNOT_EDNS_OPTION_EDE, sizeof(code), code,
					   &ans->mm);
	}
	if (r->opt.owner != NULL) {
		knot_edns_set_ext_rcode(&r->opt, (uint8_t)KNOT_EDNS_RCODE_HI(qc->rcode));
		if (knot_pkt_put(ans, KNOT_COMPR_HINT_NONE, &r->opt, KNOT_PF_NOTRUNC) != KNOT_EOK) {
			knot_wire_set_tc(ans->wire); /* only when out_max is tiny */
		}
	}
	knot_wire_set_rcode(ans->wire, KNOT_EDNS_RCODE_LO(qc->rcode));
	if (qc->has_tsig && (qc->tsig->is_signed || qc->tsig->error == KNOT_RCODE_BADTIME)) {
		size_t size = ans->size;
		if (xfr_tsig_sign(qc->tsig, ans->wire, &size, ans->max_size) == KNOT_EOK) {
			ans->size = size;
		}
	} else if (r->has_tsig_error &&
		   ans->size + tsig_error_size(qc->query->tsig_rr) <= ans->max_size) {
		put_tsig_error(ans, qc->query->tsig_rr,
			       qc->has_tsig ? qc->tsig->error : KNOT_RCODE_BADKEY);
	}
}

/* From the parse result to final sections. KNOT_EOK when qc->rcode and the sections are
 * the answer, KNOT_ESPACE or KNOT_ERANGE to truncate, anything else for SERVFAIL. */
static int run(query_ctx_t *qc, response_t *r, int parsed, const query_src_t *src)
{
	if (parsed != KNOT_EOK) {
		qc->rcode = KNOT_RCODE_FORMERR; /* also OPT twice or outside additional */
		return KNOT_EOK;
	}
	int ret = edns_check(qc, r, src->addr);
	if (ret != KNOT_EOK) {
		return qc->rcode != KNOT_RCODE_NOERROR ? KNOT_EOK : ret;
	}
	if (r->opt.owner != NULL) {
		ret = knot_pkt_reserve(qc->ans, (uint16_t)knot_edns_wire_size(&r->opt));
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	if (knot_wire_get_opcode(qc->query->wire) == KNOT_OPCODE_NOTIFY) {
		return notify(qc, r, src->addr);
	}
	return process(qc, r);
}

/* The answer's size limit: UDP as RFC 6891 says, TCP whatever out holds. */
static void set_limit(query_ctx_t *qc, size_t out_max)
{
	size_t limit = qc->is_tcp ? UINT16_MAX : udp_limit(qc);
	qc->ans->max_size = limit < out_max ? limit : out_max;
}

size_t query_handle(query_worker_t *w, const zdb_t *db, const query_src_t *src,
		    const uint8_t *in, size_t in_size, uint8_t *out, size_t out_max)
{
	w->last_zone = NULL;
	if (w->pending != NULL) { /* a transfer nobody took: never leak it */
		xfr_out_free(w->pending);
		w->pending = NULL;
	}
	if (in_size < KNOT_WIRE_HEADER_SIZE || in_size > UINT16_MAX ||
	    out_max < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(in)) {
		return 0; /* not a query, or not even a header: no answer at all */
	}
	w->arena.used = 0;
	out_max = out_max > UINT16_MAX ? UINT16_MAX : out_max;
	/* KNOT_PF_KEEPWIRE: libknot leaves the wire as it is, so `in` stays untouched. */
	knot_pkt_t *q = knot_pkt_new((uint8_t *)in, (uint16_t)in_size, &w->mm);
	knot_pkt_t *ans = knot_pkt_new(out, (uint16_t)out_max, &w->mm);
	if (q == NULL || ans == NULL) {
		return 0;
	}
	int parsed = knot_pkt_parse(q, KNOT_PF_KEEPWIRE);
	query_ctx_t qc = {
		.conf = w->conf, .arena = &w->arena, .db = db, .query = q, .ans = ans,
		.is_tcp = src->is_tcp, .rng = &w->rng, .client = src->addr, .tsig = &w->tsig,
		.sigcache = w->sigcache, .bad_label = w->bad_label,
	};
	set_limit(&qc, out_max);
	if (knot_pkt_init_response(ans, q) != KNOT_EOK) {
		return 0; /* out cannot even hold the question */
	}
	response_t r = { 0 };
	switch (run(&qc, &r, parsed, src)) {
	case KNOT_EOK:
		break;
	case KNOT_ESPACE:
	case KNOT_ERANGE:
		r.is_cleared = r.is_truncated = true;
		break;
	default: /* out of query memory */
		qc.rcode = KNOT_RCODE_SERVFAIL;
		qc.is_aa = false;
		r.is_cleared = true;
		break;
	}
	finish(&qc, &r);
	w->last_zone = qc.zone;
	if (qc.xfr_more != NULL) {
		xfr_out_set_tsig(qc.xfr_more, qc.has_tsig ? qc.tsig : NULL);
		w->pending = qc.xfr_more;
	}
	return ans->size;
}

xfr_out_t *query_worker_take_xfr(query_worker_t *w)
{
	xfr_out_t *o = w->pending;
	w->pending = NULL;
	return o;
}

sigcache_stats_t query_worker_sigcache_stats(const query_worker_t *w)
{
	return sigcache_stats(w->sigcache);
}

const zdb_zone_t *query_worker_last_zone(const query_worker_t *w)
{
	return w->last_zone;
}
