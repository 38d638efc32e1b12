/* test_dnssec_nsec3.c -- NSEC3 hashes (RFC 5155 Appendix A vectors), owners, chains
 * (order, next hashed owner, wrap-around, bitmaps), one NSEC3 narrowed, and the proofs of RFC 5155 7.2 on a
 * small zone with a wildcard, empty non-terminals and delegations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libdnssec/crypto.h>
#include <libknot/packet/wire.h>

#include "core/err.h"
#include "dns/dnssec/sign.h"

static int group_setup(void **state)
{
	(void)state;
	dnssec_crypto_init();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dnssec_crypto_cleanup();
	return 0;
}

static knot_dname_t *dn(const char *s)
{
	static uint8_t bufs[8][KNOT_DNAME_MAXLEN];
	static int next;
	uint8_t *b = bufs[next++ % 8];
	assert_non_null(knot_dname_from_str(b, s, KNOT_DNAME_MAXLEN));
	return b;
}

/* The first label of the NSEC3 owner for name, as text. */
static void b32_of(const nsec3_hash_t *h, char out[NSEC3_B32_LEN + 1])
{
	knot_dname_storage_t owner;
	assert_int_equal(nsec3_owner(h, (const uint8_t *)"", owner), ERR_OK);
	assert_int_equal(owner[0], NSEC3_B32_LEN);
	memcpy(out, owner + 1, NSEC3_B32_LEN);
	out[NSEC3_B32_LEN] = '\0';
}

/* RFC 5155 Appendix A: SHA-1, 12 iterations, salt aabbccdd. */
static void test_hash_rfc5155_vectors(void **state)
{
	(void)state;
	static const struct {
		const char *name, *hash;
	} v[] = {
		{ "example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
		{ "a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
		{ "ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi" },
		{ "ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr" },
		{ "ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r" },
		{ "w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h" },
		{ "*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
		{ "x.w.example.", "b4um86eghhds6nea196smvmlo4ors995" },
		{ "y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc" },
		{ "x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s" },
		{ "xx.example.", "t644ebqk9bibcna874givr6joj62mlhv" },
	};
	uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
	dnssec_nsec3_params_t params = { .algorithm = DNSSEC_NSEC3_ALGORITHM_SHA1,
					 .iterations = 12,
					 .salt = { .size = sizeof(salt), .data = salt } };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		nsec3_hash_t h;
		assert_int_equal(nsec3_hash_params(dn(v[i].name), &params, &h), ERR_OK);
		char text[NSEC3_B32_LEN + 1];
		b32_of(&h, text);
		assert_string_equal(text, v[i].hash);
	}
}

/* The product's hash (no allocation) equals libdnssec's with 0 iterations, no salt. */
static void test_hash_fast_matches_libdnssec(void **state)
{
	(void)state;
	dnssec_nsec3_params_t params = { .algorithm = DNSSEC_NSEC3_ALGORITHM_SHA1 };
	const char *names[] = { ".", "example.", "a.b.c.example.com.", "*.w.example." };
	for (size_t i = 0; i < 4; i++) {
		nsec3_hash_t a, b;
		assert_int_equal(nsec3_hash(dn(names[i]), &a), ERR_OK);
		assert_int_equal(nsec3_hash_params(dn(names[i]), &params, &b), ERR_OK);
		assert_memory_equal(a.b, b.b, NSEC3_HASH_SIZE);
	}
	uint16_t size = 0;
	const uint8_t *rd = nsec3_param_rdata(&size);
	assert_int_equal(size, 5);
	assert_memory_equal(rd, "\x01\x00\x00\x00\x00", 5);
	nsec3_hash_t h;
	knot_dname_storage_t owner;
	assert_int_equal(nsec3_hash(dn("example."), &h), ERR_OK);
	assert_int_equal(nsec3_owner(&h, dn("example."), owner), ERR_OK);
	assert_int_equal(knot_dname_labels(owner, NULL), 2);
	assert_true(knot_dname_is_equal(knot_wire_next_label(owner, NULL), dn("example.")));
}

/* --- a small zone ------------------------------------------------------------------------
 * example.          SOA NS DNSKEY        (apex)
 * www.example.      A
 * w.example.        -                    (empty non-terminal)
 * *.w.example.      A  TXT               (wildcard)
 * y.example.        -                    (empty non-terminal)
 * x.y.example.      TXT
 * sub.example.      NS DS                (secure delegation; glue below is not passed)
 * ins.example.      NS                   (insecure delegation)
 */
static const uint16_t t_apex[] = { KNOT_RRTYPE_SOA, KNOT_RRTYPE_NS, KNOT_RRTYPE_DNSKEY };
static const uint16_t t_a[] = { KNOT_RRTYPE_A };
static const uint16_t t_wild[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_TXT };
static const uint16_t t_txt[] = { KNOT_RRTYPE_TXT };
static const uint16_t t_sub[] = { KNOT_RRTYPE_NS, KNOT_RRTYPE_DS };
static const uint16_t t_ins[] = { KNOT_RRTYPE_NS };

#define ZONE_NAMES 8
static const char *zone_text[ZONE_NAMES] = { "example.", "www.example.", "w.example.",
	"*.w.example.", "y.example.", "x.y.example.", "sub.example.", "ins.example." };
static uint8_t zone_owner[ZONE_NAMES][KNOT_DNAME_MAXLEN];

static void zone_names(nsec3_name_t names[ZONE_NAMES])
{
	for (int i = 0; i < ZONE_NAMES; i++) {
		assert_non_null(knot_dname_from_str(zone_owner[i], zone_text[i], KNOT_DNAME_MAXLEN));
	}
	nsec3_name_t n[ZONE_NAMES] = {
		{ zone_owner[0], t_apex, 3, NSEC3_NAME_APEX },
		{ zone_owner[1], t_a, 1, 0 },
		{ zone_owner[2], NULL, 0, NSEC3_NAME_EMPTY },
		{ zone_owner[3], t_wild, 2, 0 },
		{ zone_owner[4], NULL, 0, NSEC3_NAME_EMPTY },
		{ zone_owner[5], t_txt, 1, 0 },
		{ zone_owner[6], t_sub, 2, NSEC3_NAME_CUT },
		{ zone_owner[7], t_ins, 1, NSEC3_NAME_CUT },
	};
	memcpy(names, n, sizeof(n));
}

/* The small zone's chain, hashed on one thread. */
static void zone_chain(nsec3_chain_t *c)
{
	nsec3_name_t names[ZONE_NAMES];
	zone_names(names);
	assert_int_equal(nsec3_chain_build(zone_owner[0], names, ZONE_NAMES, 300, 1, c, NULL),
			 ERR_OK);
}

static ptrdiff_t index_of(const nsec3_chain_t *c, const char *name)
{
	nsec3_hash_t h;
	assert_int_equal(nsec3_hash(dn(name), &h), ERR_OK);
	return nsec3_find_match(c->hashes, c->count, &h);
}

/* Whether the NSEC3 at index i covers name, read from its rdata (RFC 5155 1.3). */
static bool rr_covers(const nsec3_chain_t *c, ptrdiff_t i, const char *name)
{
	nsec3_hash_t h;
	assert_int_equal(nsec3_hash(dn(name), &h), ERR_OK);
	const knot_rdata_t *rd = c->rrsets[i].rrs.rdata;
	const uint8_t *own = c->hashes[i].b, *next = knot_nsec3_next(rd);
	int lo = memcmp(own, h.b, NSEC3_HASH_SIZE), hi = memcmp(h.b, next, NSEC3_HASH_SIZE);
	if (memcmp(own, next, NSEC3_HASH_SIZE) < 0) {
		return lo < 0 && hi < 0;
	}
	return lo < 0 || hi < 0; /* the last one wraps */
}

static bool bitmap_has(const nsec3_chain_t *c, ptrdiff_t i, uint16_t type)
{
	const knot_rdata_t *rd = c->rrsets[i].rrs.rdata;
	return dnssec_nsec_bitmap_contains(knot_nsec3_bitmap(rd), knot_nsec3_bitmap_len(rd), type);
}

static void test_chain_order_and_bitmaps(void **state)
{
	(void)state;
	nsec3_name_t names[ZONE_NAMES];
	zone_names(names);
	nsec3_chain_t c;
	assert_int_equal(nsec3_chain_build(zone_owner[0], names, ZONE_NAMES, 300, 2, &c, NULL),
			 ERR_OK);
	assert_int_equal(c.count, ZONE_NAMES);
	for (size_t i = 0; i < c.count; i++) {
		const knot_rrset_t *rr = &c.rrsets[i];
		const knot_rdata_t *rd = rr->rrs.rdata;
		assert_int_equal(rr->type, KNOT_RRTYPE_NSEC3);
		assert_int_equal(rr->ttl, 300);
		assert_int_equal(rr->rrs.count, 1);
		assert_int_equal(knot_nsec3_alg(rd), 1);
		assert_int_equal(knot_nsec3_flags(rd), 0);
		assert_int_equal(knot_nsec3_iters(rd), 0);
		assert_int_equal(knot_nsec3_salt_len(rd), 0);
		assert_int_equal(knot_nsec3_next_len(rd), NSEC3_HASH_SIZE);
		if (i + 1 < c.count) {
			assert_true(memcmp(c.hashes[i].b, c.hashes[i + 1].b, NSEC3_HASH_SIZE) < 0);
		}
		/* The next hashed owner is the following hash; the last wraps to the first. */
		assert_memory_equal(knot_nsec3_next(rd), c.hashes[(i + 1) % c.count].b,
				    NSEC3_HASH_SIZE);
		knot_dname_storage_t owner;
		assert_int_equal(nsec3_owner(&c.hashes[i], zone_owner[0], owner), ERR_OK);
		assert_true(knot_dname_is_equal(owner, rr->owner));
		nsec3_hash_t h;
		assert_int_equal(nsec3_hash(c.names[i], &h), ERR_OK);
		assert_memory_equal(h.b, c.hashes[i].b, NSEC3_HASH_SIZE);
	}
	ptrdiff_t apex = index_of(&c, "example."), w = index_of(&c, "w.example."),
		  sub = index_of(&c, "sub.example."), ins = index_of(&c, "ins.example."),
		  wild = index_of(&c, "*.w.example.");
	assert_true(apex >= 0 && w >= 0 && sub >= 0 && ins >= 0 && wild >= 0);
	assert_true(bitmap_has(&c, apex, KNOT_RRTYPE_NSEC3PARAM));
	assert_true(bitmap_has(&c, apex, KNOT_RRTYPE_RRSIG));
	assert_true(bitmap_has(&c, apex, KNOT_RRTYPE_DNSKEY));
	assert_int_equal(knot_nsec3_bitmap_len(c.rrsets[w].rrs.rdata), 0);
	assert_true(bitmap_has(&c, sub, KNOT_RRTYPE_NS));
	assert_true(bitmap_has(&c, sub, KNOT_RRTYPE_DS));
	assert_true(bitmap_has(&c, sub, KNOT_RRTYPE_RRSIG));
	assert_true(bitmap_has(&c, ins, KNOT_RRTYPE_NS));
	assert_false(bitmap_has(&c, ins, KNOT_RRTYPE_RRSIG));
	assert_true(bitmap_has(&c, wild, KNOT_RRTYPE_TXT));
	assert_false(bitmap_has(&c, wild, KNOT_RRTYPE_NSEC3PARAM));
	nsec3_chain_clear(&c, NULL);

	/* A name twice: the chain would have one hash twice. */
	names[1] = names[0];
	assert_int_equal(nsec3_chain_build(zone_owner[0], names, ZONE_NAMES, 300, 1, &c, NULL),
			 ERR_CONFLICT);
	/* A name outside the zone. */
	zone_names(names);
	names[1].owner = dn("www.example.org.");
	assert_int_equal(nsec3_chain_build(zone_owner[0], names, ZONE_NAMES, 300, 1, &c, NULL),
			 ERR_INVAL_ARG);
}

/* One NSEC3 of the chain with types taken out and another next hashed owner: the rest of
 * the rdata as it was, windows left empty dropped; malformed rdata refused. */
static void test_rdata_narrow(void **state)
{
	(void)state;
	nsec3_chain_t c;
	zone_chain(&c);
	ptrdiff_t wild, apex;
	assert_int_equal(nsec3_find_name(c.hashes, c.count, dn("*.w.example."), &wild), ERR_OK);
	assert_int_equal(nsec3_find_name(c.hashes, c.count, dn("example."), &apex), ERR_OK);
	assert_int_equal(wild, index_of(&c, "*.w.example."));
	ptrdiff_t none = 0;
	assert_int_equal(nsec3_find_name(c.hashes, c.count, dn("nx.example."), &none),
			 ERR_NOTFOUND);
	assert_int_equal(none, -1);

	const knot_rdata_t *rd = c.rrsets[wild].rrs.rdata;
	_Alignas(uint16_t) uint8_t buf[512];
	knot_rdata_t *out = (knot_rdata_t *)(void *)buf;
	uint16_t drop[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA }; /* AAAA: not there, no change */
	assert_int_equal(nsec3_rdata_narrow(rd, drop, 2, NULL, out), ERR_OK);
	size_t head = (size_t)(knot_nsec3_bitmap(rd) - rd->data);
	assert_memory_equal(out->data, rd->data, head);
	const uint8_t *bm = knot_nsec3_bitmap(out);
	uint16_t bm_size = knot_nsec3_bitmap_len(out);
	assert_false(dnssec_nsec_bitmap_contains(bm, bm_size, KNOT_RRTYPE_A));
	assert_true(dnssec_nsec_bitmap_contains(bm, bm_size, KNOT_RRTYPE_TXT));
	assert_true(dnssec_nsec_bitmap_contains(bm, bm_size, KNOT_RRTYPE_RRSIG));
	/* everything out, and another next: an empty bitmap (RFC 5155 3.2.1) */
	uint16_t all[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_TXT, KNOT_RRTYPE_RRSIG };
	assert_int_equal(nsec3_rdata_narrow(rd, all, 3, &c.hashes[apex], out), ERR_OK);
	assert_int_equal(out->len, head);
	assert_memory_equal(knot_nsec3_next(out), c.hashes[apex].b, NSEC3_HASH_SIZE);
	assert_memory_equal(out->data, rd->data, head - NSEC3_HASH_SIZE);
	/* malformed: cut inside the next hashed owner, a window longer than the rdata */
	memcpy(buf + 256, rd, knot_rdata_size(rd->len));
	knot_rdata_t *bad = (knot_rdata_t *)(void *)(buf + 256);
	bad->len = 10;
	assert_int_equal(nsec3_rdata_narrow(bad, drop, 2, NULL, out), ERR_PARSE);
	bad->len = rd->len;
	bad->data[head + 1] = 33;
	assert_int_equal(nsec3_rdata_narrow(bad, drop, 2, NULL, out), ERR_PARSE);
	nsec3_chain_clear(&c, NULL);
}

static void test_find_cover_wraps(void **state)
{
	(void)state;
	nsec3_hash_t hs[3];
	memset(hs, 0, sizeof(hs));
	hs[0].b[0] = 0x10;
	hs[1].b[0] = 0x50;
	hs[2].b[0] = 0x90;
	nsec3_hash_t q = { { 0 } };
	q.b[0] = 0x05; /* below the first: the last covers it (wrap) */
	assert_int_equal(nsec3_find_cover(hs, 3, &q), 2);
	q.b[0] = 0xf0; /* above the last */
	assert_int_equal(nsec3_find_cover(hs, 3, &q), 2);
	q.b[0] = 0x60;
	assert_int_equal(nsec3_find_cover(hs, 3, &q), 1);
	q.b[0] = 0x50; /* matched, not covered */
	assert_int_equal(nsec3_find_cover(hs, 3, &q), -1);
	assert_int_equal(nsec3_find_match(hs, 3, &q), 1);
	q.b[0] = 0x51;
	assert_int_equal(nsec3_find_match(hs, 3, &q), -1);
	assert_int_equal(nsec3_find_cover(hs, 0, &q), -1);
	assert_int_equal(nsec3_find_cover(hs, 1, &q), 0); /* one NSEC3 covers all but itself */
}

static void test_proofs(void **state)
{
	(void)state;
	nsec3_chain_t c;
	zone_chain(&c);
	nsec3_proof_t p;

	/* 7.2.1 NXDOMAIN below the apex. */
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("a.b.nope.example."),
					      dn("example."), NULL, &p), ERR_OK);
	assert_int_equal(p.encloser, index_of(&c, "example."));
	assert_true(rr_covers(&c, p.next_closer, "nope.example."));
	assert_true(rr_covers(&c, p.wildcard, "*.example."));
	ptrdiff_t list[3];
	size_t n = nsec3_proof_list(&p, list);
	assert_true(n >= 1 && n <= 3); /* one NSEC3 may serve twice */

	/* NXDOMAIN under an empty non-terminal: the ENT is the closest encloser. */
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("q.y.example."),
					      dn("y.example."), NULL, &p), ERR_OK);
	assert_int_equal(p.encloser, index_of(&c, "y.example."));
	assert_true(rr_covers(&c, p.next_closer, "q.y.example."));
	assert_true(rr_covers(&c, p.wildcard, "*.y.example."));

	/* 7.2.3 NODATA at a name, and at an empty non-terminal; 7.2.4 DS at an insecure
	 * delegation (its own NSEC3 without DS in the bitmap). */
	assert_int_equal(nsec3_proof_nodata(c.hashes, c.count, dn("www.example."), NULL, &p), ERR_OK);
	assert_int_equal(p.encloser, index_of(&c, "www.example."));
	assert_int_equal(p.next_closer, -1);
	assert_int_equal(p.wildcard, -1);
	assert_int_equal(nsec3_proof_list(&p, list), 1);
	assert_int_equal(nsec3_proof_nodata(c.hashes, c.count, dn("w.example."), NULL, &p), ERR_OK);
	assert_int_equal(p.encloser, index_of(&c, "w.example."));
	assert_int_equal(nsec3_proof_nodata(c.hashes, c.count, dn("ins.example."), NULL, &p), ERR_OK);
	assert_false(bitmap_has(&c, p.encloser, KNOT_RRTYPE_DS));
	assert_int_equal(nsec3_proof_nodata(c.hashes, c.count, dn("nope.example."), NULL, &p),
			 ERR_NOTFOUND);

	/* 7.2.6 an answer from *.w.example for a.b.w.example: the next closer b.w.example. */
	assert_int_equal(nsec3_proof_wildcard_answer(c.hashes, c.count, dn("a.b.w.example."),
						     dn("w.example."), &p), ERR_OK);
	assert_int_equal(p.encloser, -1);
	assert_int_equal(p.wildcard, -1);
	assert_true(rr_covers(&c, p.next_closer, "b.w.example."));

	/* 7.2.5 NODATA from the wildcard: encloser, next closer, the wildcard's match. */
	assert_int_equal(nsec3_proof_wildcard_nodata(c.hashes, c.count, dn("z.w.example."),
						     dn("w.example."), NULL, &p), ERR_OK);
	assert_int_equal(p.encloser, index_of(&c, "w.example."));
	assert_true(rr_covers(&c, p.next_closer, "z.w.example."));
	assert_int_equal(p.wildcard, index_of(&c, "*.w.example."));

	/* What a zone keeps per name gives the same proofs without hashing the encloser or
	 * its wildcard: the indexes found here, and then wrong ones, which are trusted. */
	nsec3_known_t k = { .match = index_of(&c, "w.example.") };
	assert_int_equal(nsec3_wildcard_index(c.hashes, c.count, dn("w.example."), &k.wildcard),
			 ERR_OK);
	assert_int_equal(k.wildcard, index_of(&c, "*.w.example.")); /* matched: it exists */
	nsec3_proof_t q;
	assert_int_equal(nsec3_proof_wildcard_nodata(c.hashes, c.count, dn("z.w.example."),
						     dn("w.example."), &k, &q), ERR_OK);
	assert_memory_equal(&q, &p, sizeof(p));
	k.match = index_of(&c, "example.");
	assert_int_equal(nsec3_wildcard_index(c.hashes, c.count, dn("example."), &k.wildcard),
			 ERR_OK);
	assert_true(rr_covers(&c, k.wildcard, "*.example.")); /* covered: it does not */
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("a.b.nope.example."),
					      dn("example."), NULL, &p), ERR_OK);
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("a.b.nope.example."),
					      dn("example."), &k, &q), ERR_OK);
	assert_memory_equal(&q, &p, sizeof(p));
	k = (nsec3_known_t){ .match = 0, .wildcard = 1 };
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("a.b.nope.example."),
					      dn("example."), &k, &q), ERR_OK);
	assert_int_equal(q.encloser, 0);
	assert_int_equal(q.wildcard, 1);
	assert_int_equal(q.next_closer, p.next_closer); /* always hashed */
	k = (nsec3_known_t){ .match = index_of(&c, "www.example."), .wildcard = -1 };
	assert_int_equal(nsec3_proof_nodata(c.hashes, c.count, dn("www.example."), &k, &q),
			 ERR_OK);
	assert_int_equal(q.encloser, k.match);
	assert_int_equal(nsec3_wildcard_index(c.hashes, 0, dn("example."), &k.wildcard),
			 ERR_NOTFOUND);

	/* Bad input: the encloser is not an ancestor; an encloser not in the chain. */
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("a.example."),
					      dn("y.example."), NULL, &p), ERR_INVAL_ARG);
	assert_int_equal(nsec3_proof_nxdomain(c.hashes, c.count, dn("a.zz.example."),
					      dn("zz.example."), NULL, &p), ERR_NOTFOUND);
	nsec3_chain_clear(&c, NULL);
}

/* Many names hashed on two threads give the same chain as on one. */
static void test_chain_threads(void **state)
{
	(void)state;
	enum { N = 5000 };
	uint8_t (*owners)[64] = calloc(N, 64);
	nsec3_name_t *names = calloc(N, sizeof(*names));
	for (int i = 0; i < N; i++) {
		char text[64];
		snprintf(text, sizeof(text), "%s%d.example.", i ? "h" : "", i);
		if (i == 0) {
			snprintf(text, sizeof(text), "example.");
		}
		assert_non_null(knot_dname_from_str(owners[i], text, 64));
		names[i] = (nsec3_name_t){ owners[i], t_a, 1, i == 0 ? NSEC3_NAME_APEX : 0 };
	}
	nsec3_chain_t one, two;
	assert_int_equal(nsec3_chain_build(owners[0], names, N, 60, 1, &one, NULL), ERR_OK);
	assert_int_equal(nsec3_chain_build(owners[0], names, N, 60, 2, &two, NULL), ERR_OK);
	assert_memory_equal(one.hashes, two.hashes, N * sizeof(nsec3_hash_t));
	nsec3_chain_clear(&one, NULL);
	nsec3_chain_clear(&two, NULL);
	free(names);
	free(owners);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_rfc5155_vectors),
		cmocka_unit_test(test_hash_fast_matches_libdnssec),
		cmocka_unit_test(test_chain_order_and_bitmaps),
		cmocka_unit_test(test_rdata_narrow),
		cmocka_unit_test(test_find_cover_wraps),
		cmocka_unit_test(test_proofs),
		cmocka_unit_test(test_chain_threads),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
