/* test_dnssec_sign.c -- RRSIGs made with generated keys and checked with libdnssec's
 * verifier; RRSIG fields; which keys sign what; the keep-or-resign rule; two threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dnssec_testkey.h"

#include "core/err.h"
#include "dns/dnssec/sign.h"

#define NOW 1700000000u
#define APEX ((const uint8_t *)"\x07" "example" "\x03" "com")

static dnssec_key_t *ecdsa_csk, *ed_csk, *ksk, *zsk;

static int group_setup(void **state)
{
	(void)state;
	dnssec_crypto_init();
	ecdsa_csk = testkey_new(13, 257, APEX);
	ed_csk = testkey_new(15, 257, APEX);
	ksk = testkey_new(13, 257, APEX);
	zsk = testkey_new(13, 256, APEX);
	return ecdsa_csk && ed_csk && ksk && zsk ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	dnssec_key_free(ecdsa_csk);
	dnssec_key_free(ed_csk);
	dnssec_key_free(ksk);
	dnssec_key_free(zsk);
	dnssec_crypto_cleanup();
	return 0;
}

/* An RRset from text-free parts: owner (text), type, TTL and `count` rdata. */
static knot_rrset_t *rrset_make(const char *owner, uint16_t type, uint32_t ttl,
				const uint8_t *const *rdata, const uint16_t *sizes, size_t count)
{
	knot_dname_t *o = knot_dname_from_str_alloc(owner);
	knot_rrset_t *rr = knot_rrset_new(o, type, KNOT_CLASS_IN, ttl, NULL);
	knot_dname_free(o, NULL);
	for (size_t i = 0; i < count; i++) {
		assert_int_equal(knot_rrset_add_rdata(rr, rdata[i], sizes[i], NULL), KNOT_EOK);
	}
	return rr;
}

static knot_rrset_t *a_rrset(const char *owner, uint32_t ttl, uint8_t last)
{
	const uint8_t a1[] = { 192, 0, 2, last }, a2[] = { 198, 51, 100, last };
	const uint8_t *rd[] = { a1, a2 };
	const uint16_t sz[] = { 4, 4 };
	return rrset_make(owner, KNOT_RRTYPE_A, ttl, rd, sz, 2);
}

static zsign_policy_t policy_of(zsign_key_t *keys, size_t count)
{
	return (zsign_policy_t){ .apex = APEX, .keys = keys, .key_count = count, .now = NOW,
				 .inception = NOW - 3600, .expiration = NOW + 14 * 86400,
				 .refresh = 7 * 86400 };
}

static void sign_and_verify(dnssec_key_t *key, uint8_t algorithm)
{
	zsign_key_t k;
	assert_int_equal(zsign_key_init(&k, key, ZSIGN_KEY_CSK), ERR_OK);
	zsign_policy_t p = policy_of(&k, 1);
	zsign_ctx_t *c = zsign_ctx_new(&p);
	assert_non_null(c);
	knot_rrset_t *rr = a_rrset("www.example.com.", 300, 1);
	knot_rdataset_t sigs;
	knot_rdataset_init(&sigs);
	assert_int_equal(zsign_rrset(c, rr, &sigs, NULL), ERR_OK);
	assert_int_equal(sigs.count, 1);
	const knot_rdata_t *sig = sigs.rdata;
	/* RFC 4034 3.1 fields. */
	assert_int_equal(knot_rrsig_type_covered(sig), KNOT_RRTYPE_A);
	assert_int_equal(knot_rrsig_alg(sig), algorithm);
	assert_int_equal(knot_rrsig_labels(sig), 3);
	assert_int_equal(knot_rrsig_original_ttl(sig), 300);
	assert_int_equal(knot_rrsig_sig_expiration(sig), NOW + 14 * 86400);
	assert_int_equal(knot_rrsig_sig_inception(sig), NOW - 3600);
	assert_int_equal(knot_rrsig_key_tag(sig), dnssec_key_get_keytag(key));
	assert_true(knot_dname_is_equal(knot_rrsig_signer_name(sig), APEX));
	assert_int_equal(knot_rrsig_signature_len(sig), 64);
	assert_int_equal(zsign_rrset_verify(rr, sig, key), ERR_OK);

	/* Other data, or a changed signature, does not verify. */
	knot_rrset_t *other = a_rrset("www.example.com.", 300, 2);
	assert_int_equal(zsign_rrset_verify(other, sig, key), ERR_INVALID);
	knot_rrset_free(other, NULL);
	sigs.rdata->data[sigs.rdata->len - 5] ^= 0x40;
	assert_int_equal(zsign_rrset_verify(rr, sig, key), ERR_INVALID);
	/* The original TTL is the one signed (RFC 4035 5.3.2: the served TTL may be lower). */
	knot_rrset_t *ttl = a_rrset("www.example.com.", 301, 1);
	knot_rdataset_t fresh;
	knot_rdataset_init(&fresh);
	assert_int_equal(zsign_rrset(c, ttl, &fresh, NULL), ERR_OK);
	assert_int_equal(knot_rrsig_original_ttl(fresh.rdata), 301);
	assert_int_equal(zsign_rrset_verify(rr, fresh.rdata, key), ERR_OK);
	knot_rdataset_clear(&fresh, NULL);
	knot_rrset_free(ttl, NULL);
	knot_rdataset_clear(&sigs, NULL);
	knot_rrset_free(rr, NULL);
	zsign_ctx_free(c);
}

static void test_sign_ecdsa(void **state)
{
	(void)state;
	sign_and_verify(ecdsa_csk, 13);
}

static void test_sign_ed25519(void **state)
{
	(void)state;
	sign_and_verify(ed_csk, 15);
}

/* RFC 4034 3.1.3: a wildcard's labels leave out the "*"; the signature verifies over any
 * name the wildcard answers for (RFC 4035 5.3.2). The owner is signed in lowercase. */
static void test_sign_wildcard_and_case(void **state)
{
	(void)state;
	zsign_key_t k;
	assert_int_equal(zsign_key_init(&k, ecdsa_csk, ZSIGN_KEY_CSK), ERR_OK);
	zsign_policy_t p = policy_of(&k, 1);
	zsign_ctx_t *c = zsign_ctx_new(&p);
	knot_rrset_t *wc = a_rrset("*.W.Example.COM.", 60, 9);
	knot_rdataset_t sigs;
	knot_rdataset_init(&sigs);
	assert_int_equal(zsign_rrset(c, wc, &sigs, NULL), ERR_OK);
	assert_int_equal(knot_rrsig_labels(sigs.rdata), 3);
	knot_rrset_t *expanded = a_rrset("a.b.w.example.com.", 60, 9);
	assert_int_equal(zsign_rrset_verify(expanded, sigs.rdata, ecdsa_csk), ERR_OK);
	knot_rrset_t *lower = a_rrset("*.w.example.com.", 60, 9);
	assert_int_equal(zsign_rrset_verify(lower, sigs.rdata, ecdsa_csk), ERR_OK);
	/* An owner outside the apex is refused. */
	knot_rrset_t *out = a_rrset("www.example.net.", 60, 9);
	assert_int_equal(zsign_rrset(c, out, &sigs, NULL), ERR_INVAL_ARG);
	knot_rrset_free(out, NULL);
	knot_rrset_free(lower, NULL);
	knot_rrset_free(expanded, NULL);
	knot_rrset_free(wc, NULL);
	knot_rdataset_clear(&sigs, NULL);
	zsign_ctx_free(c);
}

/* The KSK signs DNSKEY, CDS, CDNSKEY; the ZSK everything else; NS at a cut and glue are
 * not signed, DS at a cut is. */
static void test_key_roles(void **state)
{
	(void)state;
	zsign_key_t keys[2];
	assert_int_equal(zsign_key_init(&keys[0], ksk, ZSIGN_KEY_KSK), ERR_OK);
	assert_int_equal(zsign_key_init(&keys[1], zsk, ZSIGN_KEY_ZSK), ERR_OK);
	assert_int_equal(zsign_key_init(&keys[1], zsk, 0), ERR_INVAL_ARG);
	assert_int_equal(zsign_key_init(&keys[1], zsk, ZSIGN_KEY_ZSK), ERR_OK);
	zsign_policy_t p = policy_of(keys, 2);
	zsign_ctx_t *c = zsign_ctx_new(&p);

	knot_rdataset_t dnskey, cdnskey, cds;
	knot_rdataset_init(&dnskey);
	knot_rdataset_init(&cdnskey);
	knot_rdataset_init(&cds);
	assert_int_equal(zsign_apex_keys(&p, &dnskey, &cdnskey, &cds, NULL), ERR_OK);
	assert_int_equal(dnskey.count, 2);
	assert_int_equal(cdnskey.count, 1);
	assert_int_equal(cds.count, 1);
	knot_rrset_t *dk = knot_rrset_new(APEX, KNOT_RRTYPE_DNSKEY, KNOT_CLASS_IN, 3600, NULL);
	dk->rrs = dnskey;
	knot_rdataset_t sigs;
	knot_rdataset_init(&sigs);
	assert_int_equal(zsign_rrset(c, dk, &sigs, NULL), ERR_OK);
	assert_int_equal(sigs.count, 1);
	assert_int_equal(knot_rrsig_key_tag(sigs.rdata), keys[0].tag);
	assert_int_equal(zsign_rrset_verify(dk, sigs.rdata, ksk), ERR_OK);
	knot_rdataset_clear(&sigs, NULL);

	knot_rrset_t *a = a_rrset("example.com.", 300, 3);
	assert_int_equal(zsign_rrset(c, a, &sigs, NULL), ERR_OK);
	assert_int_equal(sigs.count, 1);
	assert_int_equal(knot_rrsig_key_tag(sigs.rdata), keys[1].tag);
	assert_int_equal(zsign_rrset_verify(a, sigs.rdata, zsk), ERR_OK);
	knot_rdataset_clear(&sigs, NULL);

	assert_true(zsign_rrset_is_signed(KNOT_RRTYPE_A, false, false));
	assert_true(zsign_rrset_is_signed(KNOT_RRTYPE_DS, true, false));
	assert_false(zsign_rrset_is_signed(KNOT_RRTYPE_NS, true, false));
	assert_false(zsign_rrset_is_signed(KNOT_RRTYPE_A, false, true));
	assert_false(zsign_rrset_is_signed(KNOT_RRTYPE_RRSIG, false, false));
	assert_true(zsign_rrset_is_signed(KNOT_RRTYPE_NS, false, false)); /* apex NS */

	knot_rrset_free(a, NULL);
	knot_rrset_free(dk, NULL); /* frees dnskey with it */
	knot_rdataset_clear(&cdnskey, NULL);
	knot_rdataset_clear(&cds, NULL);
	zsign_ctx_free(c);
}

/* Keep unchanged, fresh signatures; remake changed, expiring, or new-key ones; drop
 * signatures of keys no longer used. */
static void test_refresh_rule(void **state)
{
	(void)state;
	zsign_key_t keys[2];
	assert_int_equal(zsign_key_init(&keys[0], ecdsa_csk, ZSIGN_KEY_CSK), ERR_OK);
	assert_int_equal(zsign_key_init(&keys[1], ed_csk, ZSIGN_KEY_CSK), ERR_OK);
	zsign_policy_t p = policy_of(keys, 1);
	zsign_ctx_t *c = zsign_ctx_new(&p);
	knot_rrset_t *rr = a_rrset("host.example.com.", 300, 5);
	knot_rdataset_t old, next;
	knot_rdataset_init(&old);
	knot_rdataset_init(&next);
	size_t made = 99;
	assert_int_equal(zsign_rrset_refresh(c, rr, false, NULL, &old, NULL, &made), ERR_OK);
	assert_int_equal(made, 1);

	/* Unchanged data, a day later: kept byte for byte. */
	p.now = NOW + 86400;
	assert_int_equal(zsign_rrset_refresh(c, rr, true, &old, &next, NULL, &made), ERR_OK);
	assert_int_equal(made, 0);
	assert_true(knot_rdataset_eq(&old, &next));
	assert_true(zsign_rrsig_is_reusable(&p, 0, rr, old.rdata));
	knot_rdataset_clear(&next, NULL);

	/* Changed data: remade. */
	assert_int_equal(zsign_rrset_refresh(c, rr, false, &old, &next, NULL, &made), ERR_OK);
	assert_int_equal(made, 1);
	knot_rdataset_clear(&next, NULL);

	/* A TTL change makes the old signature unfit even if the caller says "same". */
	knot_rrset_t *ttl = a_rrset("host.example.com.", 600, 5);
	assert_false(zsign_rrsig_is_reusable(&p, 0, ttl, old.rdata));
	knot_rrset_free(ttl, NULL);

	/* Within the refresh window (8 days on, 6 left, refresh 7): remade. */
	p.now = NOW + 8 * 86400;
	assert_false(zsign_rrsig_is_reusable(&p, 0, rr, old.rdata));
	uint32_t at = 0;
	assert_true(zsign_rdataset_refresh_at(&p, &old, &at));
	assert_int_equal(at, NOW + 7 * 86400);
	p.now = NOW + 8 * 86400;
	p.inception = p.now - 3600;
	p.expiration = p.now + 14 * 86400;
	assert_int_equal(zsign_rrset_refresh(c, rr, true, &old, &next, NULL, &made), ERR_OK);
	assert_int_equal(made, 1);
	assert_int_equal(knot_rrsig_sig_expiration(next.rdata), p.expiration);
	knot_rdataset_clear(&next, NULL);
	zsign_ctx_free(c);

	/* A second key joins: the first key's signature is kept, the new key signs. Then the
	 * first key leaves: its signature is dropped. */
	p = policy_of(keys, 2);
	c = zsign_ctx_new(&p);
	assert_int_equal(zsign_rrset_refresh(c, rr, true, &old, &next, NULL, &made), ERR_OK);
	assert_int_equal(made, 1);
	assert_int_equal(next.count, 2);
	assert_true(knot_rdataset_member(&next, old.rdata));
	zsign_ctx_free(c);
	p = policy_of(&keys[1], 1);
	c = zsign_ctx_new(&p);
	knot_rdataset_t last;
	knot_rdataset_init(&last);
	assert_int_equal(zsign_rrset_refresh(c, rr, true, &next, &last, NULL, &made), ERR_OK);
	assert_int_equal(made, 0);
	assert_int_equal(last.count, 1);
	assert_int_equal(knot_rrsig_key_tag(last.rdata), keys[1].tag);
	knot_rdataset_clear(&last, NULL);
	knot_rdataset_clear(&next, NULL);
	knot_rdataset_clear(&old, NULL);
	knot_rrset_free(rr, NULL);
	zsign_ctx_free(c);
}

static void test_same_and_digest(void **state)
{
	(void)state;
	knot_rrset_t *a = a_rrset("x.example.com.", 300, 1);
	knot_rrset_t *b = a_rrset("X.Example.com.", 300, 1);
	knot_rrset_t *c = a_rrset("x.example.com.", 301, 1);
	knot_rrset_t *d = a_rrset("x.example.com.", 300, 2);
	zsign_digest_t da, db, dc, dd;
	assert_int_equal(zsign_rrset_digest(a, &da), ERR_OK);
	assert_int_equal(zsign_rrset_digest(b, &db), ERR_OK);
	assert_int_equal(zsign_rrset_digest(c, &dc), ERR_OK);
	assert_int_equal(zsign_rrset_digest(d, &dd), ERR_OK);
	assert_true(zsign_rrset_same(a, b));
	assert_false(zsign_rrset_same(a, c));
	assert_false(zsign_rrset_same(a, d));
	assert_memory_equal(da.b, db.b, sizeof(da.b));
	assert_memory_not_equal(da.b, dc.b, sizeof(da.b));
	assert_memory_not_equal(da.b, dd.b, sizeof(da.b));
	knot_rrset_free(a, NULL);
	knot_rrset_free(b, NULL);
	knot_rrset_free(c, NULL);
	knot_rrset_free(d, NULL);
}

/* Jitter lowers expirations by at most `jitter`, differently for different RRsets. */
static void test_jitter(void **state)
{
	(void)state;
	zsign_key_t k;
	assert_int_equal(zsign_key_init(&k, ecdsa_csk, ZSIGN_KEY_CSK), ERR_OK);
	zsign_policy_t p = policy_of(&k, 1);
	p.jitter = 86400;
	zsign_ctx_t *c = zsign_ctx_new(&p);
	uint32_t lo = UINT32_MAX, hi = 0;
	for (int i = 0; i < 20; i++) {
		char name[64];
		snprintf(name, sizeof(name), "h%d.example.com.", i);
		knot_rrset_t *rr = a_rrset(name, 300, (uint8_t)i);
		knot_rdataset_t sigs;
		knot_rdataset_init(&sigs);
		assert_int_equal(zsign_rrset(c, rr, &sigs, NULL), ERR_OK);
		uint32_t e = knot_rrsig_sig_expiration(sigs.rdata);
		assert_true(e <= p.expiration && e >= p.expiration - p.jitter);
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
		assert_int_equal(zsign_rrset_verify(rr, sigs.rdata, ecdsa_csk), ERR_OK);
		knot_rdataset_clear(&sigs, NULL);
		knot_rrset_free(rr, NULL);
	}
	assert_true(hi > lo);
	zsign_ctx_free(c);
}

/* Two threads, one context each, over 2,000 RRsets; every signature verifies. */
static void test_run_threads(void **state)
{
	(void)state;
	enum { N = 2000 };
	zsign_key_t k;
	assert_int_equal(zsign_key_init(&k, ecdsa_csk, ZSIGN_KEY_CSK), ERR_OK);
	zsign_policy_t p = policy_of(&k, 1);
	knot_rrset_t **rrs = calloc(N, sizeof(*rrs));
	zsign_job_t *jobs = calloc(N, sizeof(*jobs));
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof(name), "n%d.example.com.", i);
		rrs[i] = a_rrset(name, 300, (uint8_t)i);
		jobs[i].rrset = rrs[i];
		knot_rdataset_init(&jobs[i].sigs);
	}
	size_t made = 0;
	assert_int_equal(zsign_run(&p, jobs, N, 2, &made), ERR_OK);
	assert_int_equal(made, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].sigs.count, 1);
		if (i % 50 == 0) {
			assert_int_equal(zsign_rrset_verify(rrs[i], jobs[i].sigs.rdata, ecdsa_csk),
					 ERR_OK);
		}
	}
	/* The second round over the same data keeps everything. */
	zsign_job_t *again = calloc(N, sizeof(*again));
	for (int i = 0; i < N; i++) {
		again[i] = (zsign_job_t){ .rrset = rrs[i], .old_sigs = &jobs[i].sigs,
					  .is_same_data = true };
	}
	assert_int_equal(zsign_run(&p, again, N, 2, &made), ERR_OK);
	assert_int_equal(made, 0);
	for (int i = 0; i < N; i++) {
		assert_true(knot_rdataset_eq(&again[i].sigs, &jobs[i].sigs));
		knot_rdataset_clear(&again[i].sigs, NULL);
		knot_rdataset_clear(&jobs[i].sigs, NULL);
		knot_rrset_free(rrs[i], NULL);
	}
	free(again);
	free(jobs);
	free(rrs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_ecdsa),
		cmocka_unit_test(test_sign_ed25519),
		cmocka_unit_test(test_sign_wildcard_and_case),
		cmocka_unit_test(test_key_roles),
		cmocka_unit_test(test_refresh_rule),
		cmocka_unit_test(test_same_and_digest),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_run_threads),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
