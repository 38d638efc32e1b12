/* fuzz_xfr.c -- libFuzzer target for the inbound transfer parser (dns/xfr/xfr_in.h).
 *
 * Input: byte 0 holds flags (bit 0: the query was IXFR, else AXFR; bit 1: a TSIG key is
 * set, so every message must verify), bytes 1..4 the serial an IXFR query carried, the
 * rest is what the primary sent on the TCP connection: 2-byte lengths and messages
 * (xfr_in_feed_stream). The zone is example.com., the query ID 0x1234. Checks the
 * parser's promises: a transfer that ends well has its closing SOA and the opening one's
 * serial, a full zone starts with the SOA, each IXFR delta's removals start with an SOA of
 * the serial it leaves and its additions with the one it reaches, the deltas chain to the
 * final serial; a failed one always says why. Seeds: tests/fuzz/corpus/xfr/ (made by
 * tests/fuzz/corpus/xfr/make_seeds.py). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "dns/xfr/xfr_in.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_xfr: %s\n", what);
		abort();
	}
}

static uint32_t serial_of(const xfr_rr_t *rr)
{
	return knot_wire_read_u32(rr->rdata + rr->rdlen - 20);
}

static void check_result(const xfr_in_t *x)
{
	check(x->soa.type == KNOT_RRTYPE_SOA && serial_of(&x->soa) == x->serial, "opening SOA");
	if (x->is_uptodate) {
		check(!xfr_serial_newer(x->serial, x->have_serial), "up to date but newer");
		return;
	}
	if (x->is_full) {
		check(x->rrs.count >= 1 && x->rrs.v[0].type == KNOT_RRTYPE_SOA, "zone without SOA");
		return;
	}
	check(x->delta_count >= 1, "IXFR without deltas");
	uint32_t at = x->have_serial;
	for (size_t i = 0; i < x->delta_count; i++) {
		const xfr_delta_t *d = &x->deltas[i];
		check(d->from == at, "deltas do not chain");
		check(d->removed.count >= 1 && serial_of(&d->removed.v[0]) == d->from, "delta start");
		check(d->added.count >= 1 && serial_of(&d->added.v[0]) == d->to, "delta end");
		at = d->to;
	}
	check(at == x->serial, "deltas do not reach the final serial");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5) {
		return 0;
	}
	static const uint8_t apex[] = "\x07" "example" "\x03" "com";
	bool is_ixfr = data[0] & 1;
	uint32_t have = knot_wire_read_u32(data + 1);
	arena_t a;
	arena_init(&a, 64 << 20);
	xfr_in_t x;
	xfr_in_init(&x, &a, apex, is_ixfr ? KNOT_RRTYPE_IXFR : KNOT_RRTYPE_AXFR, 0x1234, have,
		    100000);
	knot_tsig_key_t key = { 0 };
	if (data[0] & 2) {
		/* hmac-sha256 key "key." with a fixed secret; the query's MAC is 32 zero bytes */
		if (knot_tsig_key_init(&key, "hmac-sha256", "key.",
				       "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM=") == KNOT_EOK) {
			static const uint8_t mac[32];
			xfr_in_set_tsig(&x, &key, mac, sizeof(mac));
		}
	}
	int ret = xfr_in_feed_stream(&x, data + 5, size - 5);
	if (ret == ERR_OK) {
		check(x.is_done && x.error == NULL, "success without the end of the transfer");
		check_result(&x);
	} else {
		check(x.error != NULL, "a failure without a reason");
	}
	xfr_in_clear(&x);
	knot_tsig_key_deinit(&key);
	arena_clear(&a);
	return 0;
}
