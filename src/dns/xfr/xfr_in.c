/* xfr_in.c -- the inbound transfer parser: AXFR (RFC 5936) and IXFR (RFC 1995) answers,
 * message by message, with TSIG verification of the stream (RFC 8945 5.3.1).
 *
 * DESIGN: see xfr_in.h. The answer RRs of all messages form one sequence that a small
 * state machine reads: FIRST (the primary's SOA), SECOND (IXFR: an SOA with our serial
 * starts the deltas; anything else means the whole zone follows), FULL (zone data until
 * the SOA again), DEL and ADD (one delta's removals and additions), DONE. TSIG follows
 * Knot's tsig_ctx: unsigned messages are kept until the next signed one, whose MAC covers
 * them all.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/xfr/xfr_in.h"

#define MAX_RRS_DEFAULT 10000000
#define TSIG_MAX_UNSIGNED 99 /* RFC 8945 5.3.1: at least every 100th message is signed */

enum { ST_FIRST, ST_SECOND, ST_FULL, ST_DEL, ST_ADD, ST_DONE };

bool xfr_serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u; /* RFC 1982 3.2 */
}

void xfr_in_init(xfr_in_t *x, arena_t *a, const knot_dname_t *apex, uint16_t qtype,
		 uint16_t id, uint32_t have_serial, size_t max_rrs)
{
	memset(x, 0, sizeof(*x));
	x->arena = a;
	knot_dname_copy_lower(x->apex, apex);
	x->qtype = qtype;
	x->id = id;
	x->have_serial = have_serial;
	x->max_rrs = max_rrs > 0 ? max_rrs : MAX_RRS_DEFAULT;
	x->_state = ST_FIRST;
}

void xfr_in_clear(xfr_in_t *x)
{
	free(x->tsig_buf);
	x->tsig_buf = NULL;
	x->tsig_used = x->tsig_cap = 0;
}

void xfr_in_set_tsig(xfr_in_t *x, const knot_tsig_key_t *key, const uint8_t *mac,
		     size_t mac_size)
{
	x->key = key;
	x->mac_size = mac_size < sizeof(x->mac) ? mac_size : sizeof(x->mac);
	memcpy(x->mac, mac, x->mac_size);
}

static int fail(xfr_in_t *x, int code, const char *why)
{
	if (x->error == NULL) {
		x->error = why;
	}
	return code;
}

static int push(xfr_in_t *x, xfr_rrs_t *list, const xfr_rr_t *rr)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		xfr_rr_t *v = arena_alloc_array(x->arena, cap, sizeof(xfr_rr_t));
		if (v == NULL) {
			return fail(x, ERR_TOOBIG, "the transfer is larger than the memory allowed");
		}
		if (list->count > 0) {
			memcpy(v, list->v, list->count * sizeof(xfr_rr_t));
		}
		list->v = v;
		list->cap = cap;
	}
	list->v[list->count++] = *rr;
	return ERR_OK;
}

static xfr_delta_t *delta_new(xfr_in_t *x, uint32_t from)
{
	if (x->delta_count == x->delta_cap) {
		size_t cap = x->delta_cap ? x->delta_cap * 2 : 8;
		xfr_delta_t *v = arena_alloc_array(x->arena, cap, sizeof(xfr_delta_t));
		if (v == NULL) {
			return NULL;
		}
		if (x->delta_count > 0) {
			memcpy(v, x->deltas, x->delta_count * sizeof(xfr_delta_t));
		}
		x->deltas = v;
		x->delta_cap = cap;
	}
	xfr_delta_t *d = &x->deltas[x->delta_count++];
	memset(d, 0, sizeof(*d));
	d->from = from;
	return d;
}

/* Types that never belong in a zone's data: meta-types and QTYPEs (RFC 6895 3.1). */
static bool is_meta(uint16_t type)
{
	return type == 0 || type == KNOT_RRTYPE_OPT || (type >= 128 && type <= 255);
}

static uint32_t soa_serial_of(const xfr_rr_t *rr)
{
	return knot_wire_read_u32(rr->rdata + rr->rdlen - 20);
}

/* One RR of the stream through the state machine. */
static int on_rr(xfr_in_t *x, const xfr_rr_t *rr)
{
	bool is_soa = rr->type == KNOT_RRTYPE_SOA;
	bool is_apex_soa = is_soa && knot_dname_is_equal(rr->owner, x->apex);
	if (is_soa && !is_apex_soa) {
		return fail(x, ERR_PARSE, "an SOA record outside the zone apex");
	}
	uint32_t serial = is_soa ? soa_serial_of(rr) : 0;
	xfr_delta_t *d = x->_delta;
	switch (x->_state) {
	case ST_FIRST:
		if (!is_apex_soa) {
			return fail(x, ERR_PARSE, "the answer does not start with the zone's SOA");
		}
		x->soa = *rr;
		x->serial = serial;
		if (x->qtype == KNOT_RRTYPE_IXFR && !xfr_serial_newer(serial, x->have_serial)) {
			x->is_uptodate = true; /* RFC 1995 4: nothing newer than ours */
			x->_state = ST_DONE;
			return ERR_OK;
		}
		if (x->qtype == KNOT_RRTYPE_IXFR) {
			x->_state = ST_SECOND;
			return ERR_OK;
		}
		x->is_full = true;
		x->_state = ST_FULL;
		return push(x, &x->rrs, rr);
	case ST_SECOND:
		if (is_apex_soa && serial == x->have_serial) {
			/* RFC 1995 4: incremental; the first delta starts from our serial */
			x->_delta = delta_new(x, serial);
			x->_state = ST_DEL;
			return x->_delta ? push(x, &x->_delta->removed, rr)
					 : fail(x, ERR_TOOBIG, "too many deltas");
		}
		x->is_full = true; /* AXFR-style answer (RFC 1995 4, RFC 5936) */
		int ret = push(x, &x->rrs, &x->soa);
		if (ret != ERR_OK) {
			return ret;
		}
		x->_state = ST_FULL;
		return on_rr(x, rr);
	case ST_FULL:
		if (!is_apex_soa) {
			return push(x, &x->rrs, rr);
		}
		if (serial != x->serial) {
			return fail(x, ERR_PARSE, "the closing SOA differs from the opening one");
		}
		x->_state = ST_DONE;
		return ERR_OK;
	case ST_DEL:
		if (!is_apex_soa) {
			return push(x, &d->removed, rr);
		}
		d->to = serial;
		x->_state = ST_ADD;
		return push(x, &d->added, rr);
	case ST_ADD:
		if (!is_apex_soa) {
			return push(x, &d->added, rr);
		}
		if (serial != d->to) {
			return fail(x, ERR_PARSE, "an IXFR delta does not follow the one before");
		}
		if (serial == x->serial) {
			x->_state = ST_DONE;
			x->_delta = NULL;
			return ERR_OK;
		}
		x->_delta = delta_new(x, serial);
		x->_state = ST_DEL;
		return x->_delta ? push(x, &x->_delta->removed, rr)
				 : fail(x, ERR_TOOBIG, "too many deltas");
	default:
		return fail(x, ERR_PARSE, "records after the closing SOA");
	}
}

/* Copy one parsed RR into the arena, checking what a zone may hold. */
static int take_rr(xfr_in_t *x, const knot_rrset_t *rrset)
{
	if (rrset->rclass != KNOT_CLASS_IN) {
		return fail(x, ERR_PARSE, "a record of a class other than IN");
	}
	if (is_meta(rrset->type)) {
		return fail(x, ERR_PARSE, "a meta-type record in the zone data");
	}
	if (rrset->rrs.count != 1) {
		return fail(x, ERR_PARSE, "malformed record");
	}
	if (++x->rr_count > x->max_rrs) {
		return fail(x, ERR_TOOBIG, "the zone has more records than allowed");
	}
	const knot_rdata_t *rd = rrset->rrs.rdata;
	size_t osize = knot_dname_size(rrset->owner);
	knot_dname_t *owner = arena_alloc(x->arena, osize);
	uint8_t *rdata = arena_alloc(x->arena, rd->len + 1u);
	if (owner == NULL || rdata == NULL) {
		return fail(x, ERR_TOOBIG, "the transfer is larger than the memory allowed");
	}
	knot_dname_copy_lower(owner, rrset->owner);
	if (knot_dname_in_bailiwick(owner, x->apex) < 0) {
		return fail(x, ERR_PARSE, "a record outside the zone (out-of-zone data)");
	}
	if (rrset->type == KNOT_RRTYPE_SOA && rd->len < 22) {
		return fail(x, ERR_PARSE, "a malformed SOA record");
	}
	memcpy(rdata, rd->data, rd->len);
	xfr_rr_t rr = { .owner = owner, .type = rrset->type, .ttl = rrset->ttl,
			.rdlen = rd->len, .rdata = rdata };
	return on_rr(x, &rr);
}

static int tsig_buffer(xfr_in_t *x, const uint8_t *wire, size_t size)
{
	if (x->tsig_used + size > x->tsig_cap) {
		size_t cap = x->tsig_cap ? x->tsig_cap : 65536;
		while (cap < x->tsig_used + size) {
			cap *= 2;
		}
		x->tsig_buf = xrealloc(x->tsig_buf, cap);
		x->tsig_cap = cap;
	}
	memcpy(x->tsig_buf + x->tsig_used, wire, size);
	x->tsig_used += size;
	return ERR_OK;
}

/* RFC 8945 5.3.1. The wire passed on has the TSIG RR stripped (knot_pkt_parse). */
static int tsig_verify(xfr_in_t *x, const knot_pkt_t *pkt)
{
	if (x->key == NULL) {
		return pkt->tsig_rr == NULL ? ERR_OK
					    : fail(x, ERR_DENIED, "a TSIG signature we did not ask for");
	}
	tsig_buffer(x, pkt->wire, pkt->size);
	if (pkt->tsig_rr == NULL) {
		x->is_last_signed = false;
		if (x->messages == 1) {
			return fail(x, ERR_DENIED, "the first message is not signed (TSIG)");
		}
		if (++x->unsigned_run > TSIG_MAX_UNSIGNED) {
			return fail(x, ERR_DENIED, "too many unsigned messages (TSIG)");
		}
		return ERR_OK;
	}
	const knot_rrset_t *t = pkt->tsig_rr;
	int ret = x->prev_signed == 0
			  ? knot_tsig_client_check(t, x->tsig_buf, x->tsig_used, x->mac, x->mac_size,
						   x->key, 0)
			  : knot_tsig_client_check_next(t, x->tsig_buf, x->tsig_used, x->mac,
							x->mac_size, x->key, x->prev_signed);
	if (ret != KNOT_EOK) {
		x->error = arena_printf(x->arena, "TSIG verification failed (%s)", knot_strerror(ret));
		return ERR_DENIED;
	}
	size_t n = knot_tsig_rdata_mac_length(t);
	x->mac_size = n < sizeof(x->mac) ? n : sizeof(x->mac);
	memcpy(x->mac, knot_tsig_rdata_mac(t), x->mac_size);
	x->prev_signed = knot_tsig_rdata_time_signed(t);
	x->tsig_used = 0;
	x->unsigned_run = 0;
	x->is_last_signed = true;
	return ERR_OK;
}

/* Header, RCODE and question of one message. */
static int check_message(xfr_in_t *x, const knot_pkt_t *pkt)
{
	const uint8_t *w = pkt->wire;
	if (!knot_wire_get_qr(w) || knot_wire_get_id(w) != x->id) {
		return fail(x, ERR_PARSE, "a message that does not answer our query");
	}
	if (knot_wire_get_opcode(w) != KNOT_OPCODE_QUERY || knot_wire_get_tc(w)) {
		return fail(x, ERR_PARSE, "a truncated or non-QUERY message");
	}
	uint16_t rcode = knot_pkt_ext_rcode(pkt);
	if (rcode != KNOT_RCODE_NOERROR) {
		x->rcode = rcode;
		const knot_lookup_t *name = knot_lookup_by_id(knot_rcode_names, rcode);
		bool is_tsig = pkt->tsig_rr != NULL && knot_tsig_rdata_error(pkt->tsig_rr) != 0;
		x->error = arena_printf(x->arena, "the primary answered %s%s",
					name != NULL ? name->name : "an error",
					is_tsig ? " (TSIG: the key is not the primary's)" : "");
		return ERR_UPSTREAM;
	}
	uint16_t qd = knot_wire_get_qdcount(w);
	if (qd > 1 || (qd == 1 && (!knot_dname_is_equal(knot_pkt_qname(pkt), x->apex) ||
				   knot_pkt_qtype(pkt) != x->qtype ||
				   knot_pkt_qclass(pkt) != KNOT_CLASS_IN))) {
		return fail(x, ERR_PARSE, "the answer is for another question");
	}
	return ERR_OK;
}

int xfr_in_feed(xfr_in_t *x, uint8_t *wire, size_t size)
{
	if (x->error != NULL) {
		return ERR_PARSE;
	}
	if (x->is_done) {
		return fail(x, ERR_PARSE, "a message after the end of the transfer");
	}
	if (size < KNOT_WIRE_HEADER_SIZE || size > UINT16_MAX) {
		return fail(x, ERR_PARSE, "a malformed message");
	}
	x->messages++;
	knot_pkt_t *pkt = knot_pkt_new(wire, size, NULL);
	if (pkt == NULL) {
		return fail(x, ERR_NOMEM, "out of memory");
	}
	int ret = knot_pkt_parse(pkt, 0) == KNOT_EOK ? ERR_OK
						     : fail(x, ERR_PARSE, "a malformed message");
	if (ret == ERR_OK) {
		ret = check_message(x, pkt);
	}
	if (ret == ERR_OK) {
		ret = tsig_verify(x, pkt);
	}
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	if (ret == ERR_OK && an->count == 0) {
		ret = fail(x, ERR_PARSE, "a message without records");
	}
	/* Once our serial is current the rest is not needed (an AXFR-style answer may go on). */
	for (uint16_t i = 0; ret == ERR_OK && !x->is_uptodate && i < an->count; i++) {
		ret = take_rr(x, knot_pkt_rr(an, i));
	}
	if (ret == ERR_OK && x->messages == 1 && x->_state == ST_SECOND && an->count == 1) {
		/* A lone SOA newer than ours: this primary will not do IXFR now (RFC 1995 4). */
		ret = fail(x, ERR_INVALID, "the primary answered IXFR with its SOA only");
	}
	knot_pkt_free(pkt);
	if (ret == ERR_OK && x->_state == ST_DONE) {
		if (x->key != NULL && !x->is_last_signed) {
			return fail(x, ERR_DENIED, "the last message is not signed (TSIG)");
		}
		x->is_done = true;
	}
	return ret;
}

int xfr_in_feed_stream(xfr_in_t *x, const uint8_t *data, size_t size)
{
	uint8_t *msg = xmalloc(UINT16_MAX);
	size_t pos = 0;
	int ret = ERR_OK;
	while (ret == ERR_OK && pos < size) {
		if (size - pos < 2) {
			ret = fail(x, ERR_PARSE, "the transfer was cut short");
			break;
		}
		size_t len = knot_wire_read_u16(data + pos);
		pos += 2;
		if (len > size - pos) {
			ret = fail(x, ERR_PARSE, "the transfer was cut short");
			break;
		}
		memcpy(msg, data + pos, len);
		pos += len;
		ret = xfr_in_feed(x, msg, len);
	}
	free(msg);
	if (ret == ERR_OK && !x->is_done) {
		ret = fail(x, ERR_PARSE, "the transfer was cut short");
	}
	return ret;
}
