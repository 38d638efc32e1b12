/* fuzz_client_reply.c -- libFuzzer target for the DNS client's reply reading
 * (dns/client/client_internal.h: client_reply_read) and RR matching (dns_client_has_rr).
 *
 * Input: a reply to the query "example.test SOA" whose id is the input's first two bytes
 * (so every input passes the id check). Invariant: every IN RR of an accepted reply is found
 * again by dns_client_has_rr() in its own section (owner printed and parsed back, rdata
 * canonicalized on both sides); a miss aborts. Seeds: tests/fuzz/corpus/client_reply/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "dns/client/client.h"
#include "dns/client/client_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void find_own_rrs(arena_t *a, const knot_pkt_t *pkt, knot_section_t id)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, id);
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->rclass != KNOT_CLASS_IN) {
			continue;
		}
		char owner[KNOT_DNAME_TXT_MAXLEN + 1];
		if (knot_dname_to_str(owner, rr->owner, sizeof(owner)) == NULL) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count; k++, rd = knot_rdataset_next(rd)) {
			if (!dns_client_has_rr(a, pkt, id, owner, rr->type, rd->data, rd->len)) {
				fprintf(stderr, "fuzz_client_reply: %s type %u not found in its "
						"own section %d\n", owner, rr->type, (int)id);
				abort();
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t question[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e',
					    's', 't', 0, 0, KNOT_RRTYPE_SOA, 0, KNOT_CLASS_IN };
	uint8_t query[KNOT_WIRE_HEADER_SIZE + sizeof(question)] = { 0 };
	if (size < 2) {
		return 0;
	}
	memcpy(query, data, 2); /* the id */
	knot_wire_set_qdcount(query, 1);
	memcpy(query + KNOT_WIRE_HEADER_SIZE, question, sizeof(question));
	arena_t a;
	arena_init(&a, 1 << 24);
	knot_pkt_t *pkt = NULL;
	int ret = client_reply_read(&a, query, sizeof(query), data, size, &pkt);
	if (ret == ERR_OK && !knot_wire_get_tc(pkt->wire)) {
		for (int s = KNOT_ANSWER; s <= KNOT_ADDITIONAL; s++) {
			find_own_rrs(&a, pkt, (knot_section_t)s);
		}
	}
	arena_clear(&a);
	return 0;
}
