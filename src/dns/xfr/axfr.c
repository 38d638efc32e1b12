/* axfr.c -- one transfer answer as a sequence of messages, and the AXFR body (RFC 5936).
 *
 * DESIGN. A transfer is a cursor over immutable data: the zone version (nodes, RRsets,
 * RRs) for AXFR, the journal's diffs for IXFR (ixfr.c). Each message is a knot_pkt over
 * the caller's buffer: the header and question of the query (as Knot sends every message
 * of a transfer), as many RRs as fit in MSG_MAX bytes less the TSIG RR, with name
 * compression inside the message, then TSIG (every message signed, RFC 8945 5.3.1). The
 * cursor stops at the RR that did not fit and starts the next message with it. RRs go
 * in one by one, so an RRset may span two messages (RFC 5936 2.2 allows it) and no RRset
 * is too big. The first message is built inside the query (dns/query finishes it: OPT,
 * flags, TSIG); xfr_out_next() builds the rest, driven by the TCP worker as the client
 * reads. Nodes with ALIAS, URL or POOL records carry the RRsets those answer with (the
 * synth hook), never the pseudo-records; in a signed zone with RRSIGs made at transfer
 * time by the version's signer, as the answer engine signs them at query time.
 * The chain's NSEC3 of such a name lists every type its pseudo-records may answer
 * (sign_zone.c); the transfer must prove what it carries (RFC 5155 7.1), so as the nodes
 * go out, each one whose view lacks a listed type notes it by chain index (o->edit), and
 * its NSEC3 goes out without those types, signed at transfer time like the A/AAAA beside
 * it. A name that carries nothing is an empty non-terminal when a name below it is
 * transferred (empty bitmap), else it is not in the transfer: its NSEC3 is left out,
 * with every empty non-terminal left with nothing below, and the NSEC3 before it points
 * past it (signed again). Every other NSEC3 goes out as the chain holds it, in hash
 * order, with its stored RRSIG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/xfr/xfr_internal.h"

/* Bytes of one message. RFC 1035 4.2.2 allows 65535; 16 KiB is what Knot sends, and what
 * measured best (bench/xfr): libknot's compression work per message grows with its size,
 * and a secondary starts on each message sooner. */
#define MSG_MAX 16384
#define RR_MIN_SIZE 12 /* a compressed owner (2), the fixed fields (10), empty rdata */

static void *on_alloc(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

int out_put(knot_pkt_t *pkt, const knot_dname_t *owner, uint16_t type, uint32_t ttl,
	    const knot_rdata_t *rd)
{
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)owner, type, KNOT_CLASS_IN, ttl);
	rr.rrs.count = 1;
	rr.rrs.size = knot_rdata_size(rd->len);
	rr.rrs.rdata = (knot_rdata_t *)rd;
	return knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, KNOT_PF_NOTRUNC);
}

static int put_soa(xfr_out_t *o, knot_pkt_t *pkt)
{
	const knot_rrset_t *soa = zdb_zone_soa(o->zone);
	return out_put(pkt, soa->owner, KNOT_RRTYPE_SOA, soa->ttl, soa->rrs.rdata);
}

/* What the transfer changes in one NSEC3 of the chain (o->edit, by chain index): bit i
 * takes edit_types[i] out of its bitmap; EDIT_EMPTY (RRSIG out) says its name carries no
 * RRset; EDIT_GONE that the name is not in the transfer at all. */
enum {
	EDIT_A = 1 << 0,
	EDIT_AAAA = 1 << 1,
	EDIT_CNAME = 1 << 2,
	EDIT_EMPTY = 1 << 3,
	EDIT_GONE = 1 << 7,
};
#define EDIT_TYPES 4
static const uint16_t edit_types[EDIT_TYPES] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA,
						 KNOT_RRTYPE_CNAME, KNOT_RRTYPE_RRSIG };

/* The types the chain lists for what pseudo-records may answer (sign_zone.c), by the
 * node flag that lists them. */
static const struct {
	uint16_t flags;
	uint16_t type;
	uint8_t edit;
} pseudo_types[] = {
	{ ZDB_NODE_ALIAS | ZDB_NODE_URL, KNOT_RRTYPE_A, EDIT_A },
	{ ZDB_NODE_ALIAS | ZDB_NODE_URL, KNOT_RRTYPE_AAAA, EDIT_AAAA },
	{ ZDB_NODE_POOL, KNOT_RRTYPE_CNAME, EDIT_CNAME },
};

static bool view_has(const view_t *v, uint16_t type)
{
	for (size_t i = 0; i < v->count; i++) {
		if (v->sets[i]->type == type) {
			return true;
		}
	}
	return false;
}

/* Note what node n's NSEC3 lists that its view (filled, not yet signed) does not carry:
 * a type its pseudo-records did not answer with, RRSIG when nothing is carried. */
static void note_pseudo(xfr_out_t *o, const zdb_node_t *n)
{
	const nsec3_chain_t *c = &zdb_zone_nsec3(o->zone)->chain;
	uint8_t want = 0;
	for (size_t i = 0; i < sizeof(pseudo_types) / sizeof(pseudo_types[0]); i++) {
		if ((n->flags & pseudo_types[i].flags) && !view_has(o->view, pseudo_types[i].type)) {
			want |= pseudo_types[i].edit;
		}
	}
	if (o->view->count == 0 && !(n->flags & ZDB_NODE_APEX)) {
		want |= EDIT_EMPTY;
	}
	ptrdiff_t at;
	if (want == 0 || nsec3_find_name(c->hashes, c->count, n->owner, &at) != ERR_OK) {
		return;
	}
	const knot_rdata_t *rd = c->rrsets[at].rrs.rdata;
	uint8_t edit = 0;
	for (size_t i = 0; i < EDIT_TYPES; i++) {
		if ((want & (1u << i)) && dnssec_nsec_bitmap_contains(knot_nsec3_bitmap(rd),
								      knot_nsec3_bitmap_len(rd),
								      edit_types[i])) {
			edit |= (uint8_t)(1u << i);
		}
	}
	if (edit == 0) {
		return;
	}
	if (o->edit == NULL) {
		o->edit = xcalloc(c->count, 1);
	}
	o->edit[at] = edit;
	o->has_empty |= (edit & EDIT_EMPTY) != 0;
}

/* Chain entry i is not in the transfer; nor, then, its parent if that is an empty
 * non-terminal (in the zone, or one that carries nothing) with nothing left below it.
 * left[p] - 1: the children of entry p still in (0: not counted yet). */
static void leave_out(xfr_out_t *o, const nsec3_chain_t *c, ptrdiff_t i, uint32_t **left)
{
	for (;;) {
		o->edit[i] |= EDIT_GONE;
		const knot_dname_t *up = knot_wire_next_label(c->names[i], NULL);
		const zdb_node_t *pn = up != NULL ? zdb_zone_get(o->zone, up) : NULL;
		ptrdiff_t p;
		if (pn == NULL || nsec3_find_name(c->hashes, c->count, up, &p) != ERR_OK ||
		    !((pn->flags & ZDB_NODE_EMPTY) || (o->edit[p] & EDIT_EMPTY))) {
			return;
		}
		if (*left == NULL) {
			*left = xcalloc(c->count, sizeof(**left));
		}
		if ((*left)[p] == 0) {
			(*left)[p] = pn->children + 1;
		}
		if (--(*left)[p] > 1) {
			return;
		}
		i = p;
	}
}

/* Once every node has gone out: the names that carry nothing and have nothing below them
 * are not in the transfer (RFC 5155 7.1: an NSEC3 for every name that exists). */
static void leave_out_empty(xfr_out_t *o, const nsec3_chain_t *c)
{
	uint32_t *left = NULL;
	for (size_t i = 0; i < c->count; i++) {
		if ((o->edit[i] & (EDIT_EMPTY | EDIT_GONE)) != EDIT_EMPTY) {
			continue;
		}
		const zdb_node_t *n = zdb_zone_get(o->zone, c->names[i]);
		if (n != NULL && n->children == 0) {
			leave_out(o, c, (ptrdiff_t)i, &left);
		}
	}
	free(left);
	o->has_empty = false;
}

/* set's RRSIG RRset, made now with the version's signer, into sig and the view (RFC 4035
 * 2.2: every authoritative RRset is signed); its rdata in the synth arena. An RRset that
 * cannot be signed goes unsigned, as an answer would (dnssec_put_online). */
static void sign_set(xfr_out_t *o, const knot_rrset_t *set, knot_rrset_t *sig)
{
	const zdb_signer_t *signer = zdb_zone_signer(o->zone);
	view_t *v = o->view;
	if (signer == NULL) {
		return;
	}
	if (o->sign == NULL) {
		zdb_signer_policy(signer, (uint32_t)time(NULL), &o->sign_policy);
		o->sign = zsign_ctx_new(&o->sign_policy);
		if (o->sign == NULL) {
			return;
		}
	}
	knot_rrset_init(sig, set->owner, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, set->ttl);
	if (zsign_rrset(o->sign, set, &sig->rrs, &o->synth.mm) == ERR_OK && sig->rrs.count > 0 &&
	    v->count < VIEW_MAX + 2 * SYNTH_MAX) {
		v->sets[v->count++] = sig;
	}
}

/* The index of the NSEC3 sent after entry i (the chain wraps around; the apex's is never
 * left out). */
static size_t next_sent(const xfr_out_t *o, size_t i, size_t count)
{
	size_t j = (i + 1) % count;
	while (o->edit != NULL && (o->edit[j] & EDIT_GONE)) {
		j = (j + 1) % count;
	}
	return j;
}

/* NSEC3 i as the transfer holds it: without the types o->edit[i] takes out, pointing at
 * NSEC3 next (RFC 5155 3.1.7), signed now. false when it cannot be made (then the
 * chain's goes out). */
static bool view_nsec3_edited(xfr_out_t *o, const zdb_nsec3_t *n, size_t i, size_t next)
{
	const knot_rrset_t *stored = &n->chain.rrsets[i];
	const knot_rdata_t *rd = stored->rrs.rdata;
	uint16_t drop[EDIT_TYPES];
	size_t count = 0;
	for (size_t b = 0; b < EDIT_TYPES; b++) {
		if (o->edit[i] & (1u << b)) {
			drop[count++] = edit_types[b];
		}
	}
	const nsec3_hash_t *to = next != (i + 1) % n->chain.count ? &n->chain.hashes[next] : NULL;
	knot_rdata_t *out = arena_alloc(&o->synth.mem, knot_rdata_size(rd->len));
	if (out == NULL || nsec3_rdata_narrow(rd, drop, count, to, out) != ERR_OK) {
		return false;
	}
	view_t *v = o->view;
	v->synth[0] = *stored;
	v->synth[0].rrs = (knot_rdataset_t){ .count = 1, .size = knot_rdata_size(out->len),
					     .rdata = out };
	v->sets[0] = &v->synth[0];
	v->count = 1;
	sign_set(o, &v->synth[0], &v->synth_sigs[0]);
	return true;
}

/* The RRsets of a signed zone's next NSEC3 RR into the view: the NSEC3 and its RRSIG. */
static bool view_nsec3(xfr_out_t *o)
{
	const zdb_nsec3_t *n = zdb_zone_nsec3(o->zone);
	if (n == NULL) {
		return false;
	}
	if (o->has_empty) {
		leave_out_empty(o, &n->chain);
	}
	while (o->edit != NULL && o->nsec3 < n->chain.count && (o->edit[o->nsec3] & EDIT_GONE)) {
		o->nsec3++;
	}
	if (o->nsec3 >= n->chain.count) {
		return false;
	}
	size_t i = o->nsec3++;
	size_t next = next_sent(o, i, n->chain.count);
	if (o->edit != NULL && (o->edit[i] != 0 || next != (i + 1) % n->chain.count) &&
	    view_nsec3_edited(o, n, i, next)) {
		return true;
	}
	o->view->sets[0] = &n->chain.rrsets[i];
	o->view->sets[1] = &n->rrsigs[i];
	o->view->count = 2;
	return true;
}

/* In a signed zone, RRSIGs for the view's synthesized RRsets (ALIAS/URL addresses, a POOL
 * CNAME), from the version's signer. */
static void sign_synth(xfr_out_t *o)
{
	view_t *v = o->view;
	size_t count = v->count;
	for (size_t i = 0; i < count; i++) {
		const knot_rrset_t *set = v->sets[i];
		if (set >= v->synth && set < v->synth + SYNTH_MAX) {
			sign_set(o, set, &v->synth_sigs[set - v->synth]);
		}
	}
}

/* The next node's RRsets into the view, with their RRSIGs in a signed zone; then the
 * NSEC3 chain. false at the end. */
static bool view_next(xfr_out_t *o)
{
	arena_reset(&o->synth.mem);
	const zdb_node_t *n = zdb_zone_next(o->zone, &o->node);
	if (n == NULL) {
		return view_nsec3(o);
	}
	view_fill(o->view, n, &o->synth);
	if (n->pseudo != NULL && zdb_zone_nsec3(o->zone) != NULL) {
		note_pseudo(o, n);
		sign_synth(o);
	}
	const knot_rrset_t *sigs = zdb_node_rrsigs(n);
	for (uint16_t i = 0; sigs != NULL && i < n->rrset_count; i++) {
		if (sigs[i].rrs.count > 0 && o->view->count < VIEW_MAX + 2 * SYNTH_MAX) {
			o->view->sets[o->view->count++] = &sigs[i];
		}
	}
	return true;
}

int axfr_body(xfr_out_t *o, knot_pkt_t *pkt)
{
	for (;; o->has_view = false) {
		if (!o->has_view) {
			if (!view_next(o)) {
				break;
			}
			o->has_view = true;
			o->set = 0;
			o->rr = 0;
		}
		for (; o->set < o->view->count; o->set++, o->rr = 0) {
			const knot_rrset_t *s = o->view->sets[o->set];
			if (o->rr >= s->rrs.count) {
				continue;
			}
			knot_rdata_t *rd = knot_rdataset_at(&s->rrs, o->rr);
			for (; o->rr < s->rrs.count; o->rr++, rd = knot_rdataset_next(rd)) {
				int ret = out_put(pkt, s->owner, s->type, s->ttl, rd);
				if (ret != KNOT_EOK) {
					return ret;
				}
			}
		}
	}
	return KNOT_EOK;
}

/* Room in pkt's RR arrays for every RR a message can hold, at once: libknot grows them 16
 * entries at a time, copying them each time (quadratic in the RRs of a message, and in
 * the query's fixed arena, memory it cannot take back). The sections index the arrays,
 * so moving them is safe. */
static int reserve_rrs(knot_pkt_t *pkt)
{
	size_t want = pkt->max_size / RR_MIN_SIZE + 1;
	if (pkt->rrset_allocd >= want) {
		return KNOT_EOK;
	}
	knot_rrinfo_t *info = pkt->mm.alloc(pkt->mm.ctx, want * sizeof(*info));
	knot_rrset_t *rr = pkt->mm.alloc(pkt->mm.ctx, want * sizeof(*rr));
	if (info == NULL || rr == NULL) {
		return KNOT_ENOMEM;
	}
	if (pkt->rrset_count > 0) {
		memcpy(info, pkt->rr_info, pkt->rrset_count * sizeof(*info));
		memcpy(rr, pkt->rr, pkt->rrset_count * sizeof(*rr));
	}
	if (pkt->mm.free != NULL) {
		pkt->mm.free(pkt->rr_info);
		pkt->mm.free(pkt->rr);
	}
	pkt->rr_info = info;
	pkt->rr = rr;
	pkt->rrset_allocd = want;
	return KNOT_EOK;
}

int out_fill(xfr_out_t *o, knot_pkt_t *pkt)
{
	uint16_t before = pkt->rrset_count;
	if (reserve_rrs(pkt) != KNOT_EOK) {
		return KNOT_ENOMEM;
	}
	int ret = KNOT_EOK;
	while (ret == KNOT_EOK && o->phase != PH_DONE) {
		switch (o->phase) {
		case PH_SOA_FIRST: /* RFC 5936 2.2, RFC 1995 4: the SOA opens the answer */
			ret = put_soa(o, pkt);
			if (ret == KNOT_EOK) {
				o->phase = o->mode == OUT_SOA ? PH_DONE : PH_BODY;
			}
			break;
		case PH_BODY:
			ret = o->mode == OUT_AXFR ? axfr_body(o, pkt) : ixfr_body(o, pkt);
			if (ret == KNOT_EOK) {
				o->phase = PH_SOA_LAST;
			}
			break;
		case PH_SOA_LAST: /* ... and closes it */
			ret = put_soa(o, pkt);
			if (ret == KNOT_EOK) {
				o->phase = PH_DONE;
			}
			break;
		case PH_DONE:
			break;
		}
	}
	if (ret == KNOT_ESPACE && pkt->rrset_count == before) {
		return KNOT_ERANGE; /* not even one RR fits in an empty message */
	}
	return ret;
}

xfr_out_t *out_new(xfr_t *x, const xfr_request_t *req, const zdb_zone_t *zone, out_mode_t mode)
{
	xfr_out_t *o = xcalloc(1, sizeof(*o));
	o->x = x;
	o->db = (zdb_t *)req->db;
	o->zone = zone;
	o->journal = zdb_zone_ext(zone);
	o->mode = mode;
	o->phase = PH_SOA_FIRST;
	o->view = xmalloc(sizeof(*o->view));
	synth_init(&o->synth, req->db, x->synth, x->synth_ctx);
	arena_init(&o->mem, 0);
	o->mm = (knot_mm_t){ .ctx = &o->mem, .alloc = on_alloc, .free = NULL };
	o->what = knot_pkt_qtype(req->query) == KNOT_RRTYPE_IXFR ? "IXFR" : "AXFR";
	o->serial = zdb_zone_serial(zone);
	o->started_us = time_mono_us();
	if (knot_dname_to_str(o->zone_text, zdb_zone_apex(zone), sizeof(o->zone_text)) == NULL) {
		snprintf(o->zone_text, sizeof(o->zone_text), "?");
	}
	size_t len = strlen(o->zone_text);
	if (len > 1 && o->zone_text[len - 1] == '.') {
		o->zone_text[len - 1] = '\0';
	}
	if (req->client != NULL) {
		xfr_addr_format(req->client, o->client, sizeof(o->client));
	} else {
		snprintf(o->client, sizeof(o->client), "?");
	}
	/* The question, for the next messages (the query's buffer is the worker's). */
	size_t qsize = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(req->query);
	o->qwire = xmalloc(qsize);
	memcpy(o->qwire, req->query->wire, qsize);
	knot_wire_set_ancount(o->qwire, 0);
	knot_wire_set_nscount(o->qwire, 0);
	knot_wire_set_arcount(o->qwire, 0);
	o->q = knot_pkt_new(o->qwire, (uint16_t)qsize, NULL);
	if (o->q == NULL || knot_pkt_parse(o->q, 0) != KNOT_EOK) {
		xfr_out_free(o);
		return NULL;
	}
	return o;
}

void xfr_out_set_tsig(xfr_out_t *o, const xfr_tsig_t *t)
{
	if (t != NULL && t->is_signed) {
		o->tsig = *t;
		o->has_tsig = true;
	}
}

size_t xfr_out_next(xfr_out_t *o, uint8_t *out, size_t out_max)
{
	if (o->phase == PH_DONE || o->has_failed) {
		return 0;
	}
	arena_reset(&o->mem);
	size_t max = out_max < MSG_MAX ? out_max : MSG_MAX;
	knot_pkt_t *pkt = knot_pkt_new(out, (uint16_t)max, &o->mm);
	int ret = pkt != NULL ? knot_pkt_init_response(pkt, o->q) : KNOT_ENOMEM;
	if (ret == KNOT_EOK) {
		knot_wire_set_aa(pkt->wire);
		knot_pkt_begin(pkt, KNOT_ANSWER);
		if (o->has_tsig) {
			ret = knot_pkt_reserve(pkt, (uint16_t)xfr_tsig_reserve(&o->tsig));
		}
	}
	if (ret == KNOT_EOK) {
		ret = out_fill(o, pkt);
	}
	if (ret != KNOT_EOK && ret != KNOT_ESPACE) {
		log_warn("zone %s, outgoing %s to %s, failed (%s)", o->zone_text, o->what,
			 o->client, knot_strerror(ret));
		o->has_failed = true;
		return 0;
	}
	pkt->reserved = 0;
	size_t size = pkt->size;
	if (o->has_tsig && xfr_tsig_sign(&o->tsig, out, &size, max) != KNOT_EOK) {
		log_warn("zone %s, outgoing %s to %s, failed (TSIG signing)", o->zone_text, o->what,
			 o->client);
		o->has_failed = true;
		return 0;
	}
	o->messages++;
	o->bytes += size;
	return size;
}

void xfr_out_free(xfr_out_t *o)
{
	if (o == NULL) {
		return;
	}
	if (o->messages > 0 && o->mode != OUT_SOA) {
		int64_t us = time_mono_us() - o->started_us;
		if (o->phase == PH_DONE) {
			log_info("zone %s, outgoing %s to %s, finished, serial %u, %lld.%03lld seconds, "
				 "%u messages, %zu bytes", o->zone_text, o->what, o->client, o->serial,
				 (long long)(us / 1000000), (long long)(us / 1000 % 1000), o->messages,
				 o->bytes);
		} else if (!o->has_failed) {
			log_info("zone %s, outgoing %s to %s, failed (the client went away after %u "
				 "messages)", o->zone_text, o->what, o->client, o->messages);
		}
	}
	if (o->pin != NULL) {
		zdb_reader_unregister(o->db, o->pin);
	}
	knot_pkt_free(o->q);
	free(o->qwire);
	arena_clear(&o->mem);
	arena_clear(&o->synth.mem);
	zsign_ctx_free(o->sign);
	free(o->edit);
	free(o->view);
	free(o);
}
