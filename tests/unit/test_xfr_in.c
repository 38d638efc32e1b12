/* test_xfr_in.c -- the inbound transfer parser (dns/xfr/xfr_in.c): AXFR, IXFR deltas,
 * AXFR-style IXFR, "current", broken streams, and TSIG over a multi-message answer.
 * The first argument is the fuzz seed directory (tests/fuzz/corpus/xfr), whose named
 * seeds are the cases here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "dns/xfr/xfr_in.h"

static const char *seed_dir = "tests/fuzz/corpus/xfr";
static const uint8_t apex[] = "\x07" "example" "\x03" "com";

typedef struct {
	arena_t a;
	xfr_in_t x;
	int ret;
} run_t;

/* Feed seed `name` (flags, serial, stream) to a fresh parser. */
static void run_seed(run_t *r, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n >= 5);
	arena_init(&r->a, 0);
	xfr_in_init(&r->x, &r->a, apex, (buf[0] & 1) ? KNOT_RRTYPE_IXFR : KNOT_RRTYPE_AXFR, 0x1234,
		    knot_wire_read_u32(buf + 1), 0);
	r->ret = xfr_in_feed_stream(&r->x, buf + 5, n - 5);
}

static void done(run_t *r)
{
	xfr_in_clear(&r->x);
	arena_clear(&r->a);
}

static void test_axfr(void **state)
{
	const char *names[] = { "axfr-one", "axfr-three" };
	for (size_t i = 0; i < 2; i++) {
		run_t r;
		run_seed(&r, names[i]);
		assert_int_equal(r.ret, ERR_OK);
		assert_true(r.x.is_done && r.x.is_full);
		assert_int_equal(r.x.serial, 5);
		assert_int_equal(r.x.rrs.count, 8); /* SOA once, and the 7 others */
		assert_int_equal(r.x.rrs.v[0].type, KNOT_RRTYPE_SOA);
		done(&r);
	}
}

static void test_ixfr(void **state)
{
	run_t r;
	run_seed(&r, "ixfr-deltas-split");
	assert_int_equal(r.ret, ERR_OK);
	assert_false(r.x.is_full);
	assert_int_equal(r.x.delta_count, 2);
	assert_int_equal(r.x.deltas[0].from, 3);
	assert_int_equal(r.x.deltas[0].to, 4);
	assert_int_equal(r.x.deltas[0].removed.count, 2); /* SOA 3, the old AAAA */
	assert_int_equal(r.x.deltas[0].added.count, 2);   /* SOA 4, the new AAAA */
	assert_int_equal(r.x.deltas[1].added.count, 2);
	assert_int_equal(r.x.serial, 5);
	done(&r);

	run_seed(&r, "ixfr-current");
	assert_int_equal(r.ret, ERR_OK);
	assert_true(r.x.is_uptodate);
	done(&r);

	run_seed(&r, "ixfr-axfr-style");
	assert_int_equal(r.ret, ERR_OK);
	assert_true(r.x.is_full);
	assert_int_equal(r.x.rrs.count, 8);
	done(&r);
}

/* Each broken answer fails with a reason; the code says what kind of failure. */
static void test_broken(void **state)
{
	static const struct {
		const char *seed;
		int ret;
	} cases[] = {
		{ "axfr-cut", ERR_PARSE },          { "axfr-bad-close", ERR_PARSE },
		{ "axfr-out-of-zone", ERR_PARSE },  { "axfr-refused", ERR_UPSTREAM },
		{ "ixfr-lone-soa", ERR_INVALID },   { "ixfr-broken-chain", ERR_PARSE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_t r;
		run_seed(&r, cases[i].seed);
		assert_int_equal(r.ret, cases[i].ret);
		assert_non_null(r.x.error);
		assert_false(r.x.is_done);
		done(&r);
	}
}

/* --- TSIG ------------------------------------------------------------------------------ */

/* A response message with the given answer RRs (SOA serials; 0 = an A record). */
static size_t make_msg(uint8_t *wire, size_t max, const uint32_t *soas, size_t n)
{
	memset(wire, 0, max);
	knot_pkt_t *p = knot_pkt_new(wire, max, NULL);
	knot_wire_set_id(p->wire, 0x1234);
	knot_wire_set_qr(p->wire);
	assert_int_equal(knot_pkt_put_question(p, apex, KNOT_CLASS_IN, KNOT_RRTYPE_AXFR), KNOT_EOK);
	knot_pkt_begin(p, KNOT_ANSWER);
	for (size_t i = 0; i < n; i++) {
		uint8_t rd[64];
		knot_rrset_t *rr;
		if (soas[i] != 0) {
			rr = knot_rrset_new(apex, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 300, NULL);
			memset(rd, 0, 22);
			knot_wire_write_u32(rd + 2, soas[i]);
			knot_rrset_add_rdata(rr, rd, 22, NULL);
		} else {
			rr = knot_rrset_new(apex, KNOT_RRTYPE_A, KNOT_CLASS_IN, 300, NULL);
			uint8_t a4[4] = { 192, 0, 2, (uint8_t)i };
			knot_rrset_add_rdata(rr, a4, 4, NULL);
		}
		assert_int_equal(knot_pkt_put(p, KNOT_COMPR_HINT_NONE, rr, 0), KNOT_EOK);
		knot_rrset_free(rr, NULL);
	}
	size_t size = p->size;
	knot_pkt_free(p);
	return size;
}

/* Three messages: the first and the last signed, the middle one not (RFC 8945 5.3.1). */
static int run_signed(const knot_tsig_key_t *signer, const knot_tsig_key_t *verifier,
		      bool sign_last, bool tamper)
{
	static const uint32_t m1[] = { 7, 0 }, m2[] = { 0, 0 }, m3[] = { 0, 7 };
	const uint32_t *msgs[] = { m1, m2, m3 };
	uint8_t qmac[64] = { 1, 2, 3 }, digest[64], prev[64];
	size_t qmac_size = 32, prev_size = 0;
	arena_t a;
	arena_init(&a, 0);
	xfr_in_t x;
	xfr_in_init(&x, &a, apex, KNOT_RRTYPE_AXFR, 0x1234, 0, 0);
	xfr_in_set_tsig(&x, verifier, qmac, qmac_size);
	int ret = ERR_OK;
	uint8_t unsigned_wire[1024]; /* what the next signed message's MAC covers first */
	size_t unsigned_size = 0;
	for (int i = 0; i < 3 && ret == ERR_OK; i++) {
		uint8_t wire[1024], cover[2048];
		size_t size = make_msg(wire, sizeof(wire), msgs[i], 2);
		size_t dsize = sizeof(digest);
		if (i == 0) {
			assert_int_equal(knot_tsig_sign(wire, &size, sizeof(wire), qmac, qmac_size,
							digest, &dsize, signer, 0, 0),
					 KNOT_EOK);
		} else if (i == 2 && sign_last) {
			memcpy(cover, unsigned_wire, unsigned_size);
			memcpy(cover + unsigned_size, wire, size);
			assert_int_equal(knot_tsig_sign_next(wire, &size, sizeof(wire), prev, prev_size,
							     digest, &dsize, signer, cover,
							     unsigned_size + size),
					 KNOT_EOK);
		} else {
			memcpy(unsigned_wire, wire, size);
			unsigned_size = size;
		}
		if (i == 0 || (i == 2 && sign_last)) {
			memcpy(prev, digest, dsize);
			prev_size = dsize;
		}
		if (tamper && i == 2) {
			wire[size - 60] ^= 1;
		}
		ret = xfr_in_feed(&x, wire, size);
		if (ret != ERR_OK) {
			printf("message %d: %s\n", i + 1, x.error);
		}
	}
	bool is_done = x.is_done;
	xfr_in_clear(&x);
	arena_clear(&a);
	return ret == ERR_OK && !is_done ? ERR_PARSE : ret;
}

static void test_tsig(void **state)
{
	knot_tsig_key_t key, other;
	assert_int_equal(knot_tsig_key_init(&key, "hmac-sha256", "xfr-key.",
					    "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM="),
			 KNOT_EOK);
	assert_int_equal(knot_tsig_key_init(&other, "hmac-sha256", "xfr-key.",
					    "b3RoZXItb3RoZXItb3RoZXItb3RoZXItMDEyMzQ1Njc="),
			 KNOT_EOK);
	assert_int_equal(run_signed(&key, &key, true, false), ERR_OK);
	assert_int_equal(run_signed(&other, &key, true, false), ERR_DENIED);
	assert_int_equal(run_signed(&key, &key, false, false), ERR_DENIED); /* last unsigned */
	assert_int_equal(run_signed(&key, &key, true, true), ERR_DENIED);   /* tampered */
	knot_tsig_key_deinit(&key);
	knot_tsig_key_deinit(&other);
}

static void test_serial(void **state)
{
	assert_true(xfr_serial_newer(2, 1));
	assert_false(xfr_serial_newer(1, 1));
	assert_true(xfr_serial_newer(0, 0xffffffffu)); /* RFC 1982 wrap */
	assert_false(xfr_serial_newer(1, 2));
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		seed_dir = argv[1];
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axfr),   cmocka_unit_test(test_ixfr),
		cmocka_unit_test(test_broken), cmocka_unit_test(test_tsig),
		cmocka_unit_test(test_serial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
