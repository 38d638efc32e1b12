/* ixfr.c -- answering AXFR and IXFR requests: the checks, the choice between an IXFR, an
 * AXFR and the SOA alone, and the IXFR body (RFC 1995).
 *
 * DESIGN. xfr_answer() runs inside the query (a DNS worker, no store access): the zone
 * must be one we serve, by its apex; the client must pass transfer-allow with the key it
 * signed with (checked after TSIG verification, so a forged key never counts); an IXFR
 * carries the client's SOA in its authority section (RFC 1995 3). Then:
 *   - the client's serial is ours or newer: our SOA alone (RFC 1995 2, 4);
 *   - the journal has a diff starting at the client's serial: the IXFR, our SOA, then
 *     each diff (its old SOA, removed RRs, its new SOA, added RRs), then our SOA;
 *   - else an AXFR-style answer (RFC 1995 4), over TCP; over UDP the SOA alone, which
 *     tells the client to come back over TCP (RFC 1995 2), as when the IXFR does not fit.
 * Over TCP the answer holds its zone version with a QSBR reader of its own for as long
 * as it runs (registered before the zone is looked up, so the version it finds is
 * covered), and the TCP worker asks for the next messages (xfr_out_next()).
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "dns/xfr/xfr_internal.h"

#define DENIED_LOG_MS 1000 /* at most one "refused" line a second */
#define FIRST_MSG_MAX 16384 /* bytes of a TCP transfer's first message */

int ixfr_body(xfr_out_t *o, knot_pkt_t *pkt)
{
	const xfr_journal_t *j = o->journal;
	for (; j != NULL && o->diff < j->count; o->diff++, o->pos = 0) {
		const xfr_diff_t *d = j->diffs[o->diff];
		size_t pos = o->pos;
		diff_rr_t rr;
		while (diff_rr_next(d, &pos, &rr)) {
			int ret = out_put(pkt, rr.owner, rr.type, rr.ttl, rr.rdata);
			if (ret != KNOT_EOK) {
				return ret;
			}
			o->pos = pos;
		}
	}
	return KNOT_EOK;
}

/* RFC 1995 3: the client's version is the SOA in the authority section. */
static bool client_serial(const knot_pkt_t *q, const knot_dname_t *apex, uint32_t *serial)
{
	const knot_pktsection_t *ns = knot_pkt_section(q, KNOT_AUTHORITY);
	if (ns->count < 1) {
		return false;
	}
	const knot_rrset_t *rr = knot_pkt_rr(ns, 0);
	if (rr->type != KNOT_RRTYPE_SOA || rr->rrs.count != 1 ||
	    !knot_dname_is_case_equal(rr->owner, apex)) {
		return false;
	}
	*serial = knot_soa_serial(rr->rrs.rdata);
	return true;
}

static void log_denied(xfr_t *x, const xfr_request_t *req, const zdb_zone_t *zone)
{
	int64_t now = time_mono_ms(), last = atomic_load(&x->denied_log_ms);
	if (now - last < DENIED_LOG_MS ||
	    !atomic_compare_exchange_strong(&x->denied_log_ms, &last, now)) {
		return;
	}
	char name[KNOT_DNAME_TXT_MAXLEN + 1] = "?", client[XFR_ADDR_TEXT] = "?";
	(void)knot_dname_to_str(name, zdb_zone_apex(zone), sizeof(name));
	if (req->client != NULL) {
		xfr_addr_format(req->client, client, sizeof(client));
	}
	bool is_signed = req->tsig != NULL && req->tsig->is_signed;
	log_info("zone %s, outgoing %s to %s, refused (transfer-allow, key %s)", name,
		 knot_pkt_qtype(req->query) == KNOT_RRTYPE_IXFR ? "IXFR" : "AXFR", client,
		 is_signed ? req->tsig->key_name : "none");
}

static void log_start(const xfr_out_t *o, bool is_ixfr)
{
	if (o->mode == OUT_IXFR) {
		log_info("zone %s, outgoing IXFR to %s, started, serial %u -> %u", o->zone_text,
			 o->client, o->from, o->serial);
	} else if (o->mode == OUT_AXFR && is_ixfr) {
		log_info("zone %s, outgoing IXFR to %s, started, no history from serial %u, "
			 "sending the whole zone (AXFR style), serial %u", o->zone_text, o->client,
			 o->from, o->serial);
	} else if (o->mode == OUT_AXFR) {
		log_info("zone %s, outgoing AXFR to %s, started, serial %u", o->zone_text, o->client,
			 o->serial);
	} else {
		log_debug("zone %s, outgoing IXFR to %s, SOA only (client serial %u, ours %u)",
			  o->zone_text, o->client, o->from, o->serial);
	}
}

static uint16_t answer(xfr_t *x, const xfr_request_t *req, knot_pkt_t *pkt, zdb_reader_t *pin,
		       xfr_out_t **more)
{
	const zdb_zone_t *zone = zdb_find_zone(req->db, req->qname);
	if (zone == NULL || !knot_dname_is_equal(zdb_zone_apex(zone), req->qname) ||
	    knot_pkt_qclass(req->query) != KNOT_CLASS_IN) {
		return KNOT_RCODE_REFUSED; /* not a zone we serve (RFC 5936 2.2.1) */
	}
	const char *key = req->tsig != NULL && req->tsig->is_signed ? req->tsig->key_name : NULL;
	if (x == NULL || !acl_allows(x->acl, x->acl_count, req->client, key)) {
		if (x != NULL) {
			log_denied(x, req, zone);
		}
		return KNOT_RCODE_REFUSED; /* RFC 5936 4.2: a policy refusal */
	}
	bool is_ixfr = knot_pkt_qtype(req->query) == KNOT_RRTYPE_IXFR;
	uint32_t from = 0, serial = zdb_zone_serial(zone);
	out_mode_t mode = OUT_AXFR;
	long start = 0;
	if (is_ixfr) {
		if (!client_serial(req->query, zdb_zone_apex(zone), &from)) {
			return KNOT_RCODE_FORMERR;
		}
		if (!xfr_serial_lt(from, serial)) {
			mode = OUT_SOA; /* up to date (or ahead of us) */
		} else if ((start = journal_find(zdb_zone_ext(zone), from)) >= 0) {
			mode = OUT_IXFR;
		} else {
			mode = req->is_tcp ? OUT_AXFR : OUT_SOA;
		}
	}
	xfr_out_t *o = out_new(x, req, zone, mode);
	if (o == NULL) {
		return KNOT_RCODE_SERVFAIL;
	}
	o->diff = start > 0 ? (size_t)start : 0;
	o->from = from;
	log_start(o, is_ixfr);
	/* The first message is built in the query's fixed arena, where libknot's per-RR
	 * arrays and compression table must fit (a few hundred RRs); the next ones
	 * (xfr_out_next(), in the transfer's own memory) are no bigger. */
	size_t max = pkt->max_size;
	if (req->is_tcp && pkt->max_size > FIRST_MSG_MAX) {
		pkt->max_size = FIRST_MSG_MAX;
	}
	int ret = out_fill(o, pkt);
	pkt->max_size = max;
	if (ret == KNOT_ESPACE && !req->is_tcp) {
		/* RFC 1995 2: an IXFR that does not fit a UDP answer is the SOA alone */
		(void)knot_pkt_init_response(pkt, req->query);
		o->mode = OUT_SOA;
		o->phase = PH_SOA_FIRST;
		ret = out_fill(o, pkt);
	}
	o->messages = 1;
	o->bytes = pkt->size;
	if (ret == KNOT_ESPACE) {
		o->pin = pin; /* the rest is the TCP worker's to ask for */
		*more = o;
		return KNOT_RCODE_NOERROR;
	}
	if (ret != KNOT_EOK) {
		log_warn("zone %s, outgoing %s to %s, failed (%s)", o->zone_text, o->what, o->client,
			 knot_strerror(ret));
		o->has_failed = true;
	}
	xfr_out_free(o);
	return ret == KNOT_EOK ? KNOT_RCODE_NOERROR : KNOT_RCODE_SERVFAIL;
}

uint16_t xfr_answer(xfr_t *x, const xfr_request_t *req, knot_pkt_t *pkt, xfr_out_t **more)
{
	*more = NULL;
	if (knot_pkt_qtype(req->query) == KNOT_RRTYPE_AXFR && !req->is_tcp) {
		return KNOT_RCODE_NOTIMPL; /* RFC 5936 4.2, as Knot */
	}
	zdb_reader_t *pin = req->is_tcp ? zdb_reader_register((zdb_t *)req->db) : NULL;
	uint16_t rcode = answer(x, req, pkt, pin, more);
	if (*more == NULL && pin != NULL) {
		zdb_reader_unregister((zdb_t *)req->db, pin);
	}
	return rcode;
}
