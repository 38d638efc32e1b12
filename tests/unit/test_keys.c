/* test_keys.c -- DNSSEC keys (dns/dnssec/keys.c): generation, PEM round trip, key tags and DS
 * digests against RFC 6605 6.1 and RFC 8080 6 (example keys), sealing with the secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/pem.h>
#include <libdnssec/sign.h>
#include <sodium.h>

#include "core/err.h"
#include "dns/dnssec/dnssec.h"

/* A known key: its private scalar and public key (base64, from the RFC), and its DS. */
typedef struct vector {
	const char *owner;
	uint8_t algorithm;
	const char *private_key;  /* RFC "PrivateKey:" */
	const char *public_key;   /* the DNSKEY's public key field */
	uint16_t keytag;
	const char *ds_sha256;    /* hex */
} vector_t;

static const vector_t vectors[] = {
	{ /* RFC 6605 6.1 */
	  "example.net.", 13, "GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=",
	  "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb"
	  "krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
	  55648, "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17" },
	{ /* RFC 8080 6.1 */
	  "example.com.", 15, "ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=",
	  "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613,
	  "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b" },
};

/* SHA-384 DS of the RFC 6605 key, as dnspython's make_ds() computes it (a second
 * implementation; RFC 6605's own SHA-384 example uses a P-384 key). */
static const char ds_sha384_6605[] = "3be4b980b34443e569255f4a347d4c8e8e18de755fb8072d7b355c4"
				     "4c56b50a61e8050ae636041b9664a04f05aef2680";

static size_t b64(const char *text, uint8_t *out, size_t max)
{
	size_t n = 0;
	assert_int_equal(sodium_base642bin(out, max, text, strlen(text), NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	return n;
}

static void hex(const uint8_t *p, size_t size, char *out)
{
	sodium_bin2hex(out, size * 2 + 1, p, size);
}

static int setup(void **state)
{
	return dnskey_init() == ERR_OK ? 0 : -1;
}

/* The vector's private key as PKCS#8 PEM (GnuTLS imports the raw scalar). */
static void vector_pem(const vector_t *v, dnssec_binary_t *pem)
{
	uint8_t priv[64], pub[128];
	size_t priv_size = b64(v->private_key, priv, sizeof(priv));
	size_t pub_size = b64(v->public_key, pub, sizeof(pub));
	gnutls_x509_privkey_t x = NULL;
	assert_int_equal(gnutls_x509_privkey_init(&x), 0);
	gnutls_datum_t k = { priv, (unsigned)priv_size };
	if (v->algorithm == 13) {
		/* RFC 6605 4: the public key is x | y, 32 bytes each */
		gnutls_datum_t px = { pub, 32 }, py = { pub + 32, 32 };
		assert_int_equal(pub_size, 64);
		assert_int_equal(gnutls_x509_privkey_import_ecc_raw(x, GNUTLS_ECC_CURVE_SECP256R1,
								     &px, &py, &k),
				 0);
	} else {
		gnutls_datum_t px = { pub, (unsigned)pub_size };
		assert_int_equal(gnutls_x509_privkey_import_ecc_raw(x, GNUTLS_ECC_CURVE_ED25519,
								     &px, NULL, &k),
				 0);
	}
	assert_int_equal(dnssec_pem_from_x509(x, pem), 0);
	gnutls_x509_privkey_deinit(x);
}

static void test_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const vector_t *v = &vectors[i];
		dnssec_binary_t pem = { 0 };
		vector_pem(v, &pem);
		dnskey_pair_t k;
		assert_int_equal(dnskey_from_pem((const char *)pem.data, pem.size, v->algorithm,
						 DNSKEY_FLAGS_KSK, &k),
				 ERR_OK);
		dnssec_binary_free(&pem);
		/* DNSKEY RDATA = 257 3 alg key (RFC 4034 2.1), the same as the RFC's */
		uint8_t pub[128];
		size_t pub_size = b64(v->public_key, pub, sizeof(pub));
		uint8_t *rdata = NULL;
		size_t rdata_size = 0;
		int ret = dnskey_rdata(257, v->algorithm, pub, pub_size, &rdata, &rdata_size);
		assert_int_equal(ret, ERR_OK);
		assert_int_equal(k.rdata_size, rdata_size);
		assert_memory_equal(k.rdata, rdata, rdata_size);
		assert_int_equal(k.keytag, v->keytag);
		uint16_t tag = 0;
		assert_int_equal(dnskey_tag(rdata, rdata_size, &tag), ERR_OK);
		assert_int_equal(tag, v->keytag);
		/* DS: tag, algorithm, type 2, SHA-256 digest */
		uint8_t ds[DNSKEY_DS_MAX];
		size_t ds_size = 0;
		assert_int_equal(dnskey_ds(v->owner, rdata, rdata_size, DNSKEY_DIGEST_SHA256, ds,
					   &ds_size),
				 ERR_OK);
		assert_int_equal(ds_size, 4 + 32);
		assert_int_equal(ds[0] << 8 | ds[1], v->keytag);
		assert_int_equal(ds[2], v->algorithm);
		assert_int_equal(ds[3], 2);
		char text[2 * DNSKEY_DIGEST_MAX + 1];
		hex(ds + 4, ds_size - 4, text);
		assert_string_equal(text, v->ds_sha256);
		/* The owner is taken in canonical (lower-case) form, with or without the dot. */
		char upper[64];
		snprintf(upper, sizeof(upper), "%s", v->owner);
		upper[strlen(upper) - 1] = '\0';
		for (char *c = upper; *c != '\0'; c++) {
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		}
		uint8_t ds2[DNSKEY_DS_MAX];
		size_t ds2_size = 0;
		assert_int_equal(dnskey_cds(upper, rdata, rdata_size, DNSKEY_DIGEST_SHA256, ds2,
					    &ds2_size),
				 ERR_OK);
		assert_memory_equal(ds, ds2, ds_size);
		if (v->algorithm == 13) {
			ret = dnskey_ds(v->owner, rdata, rdata_size, DNSKEY_DIGEST_SHA384, ds,
					&ds_size);
			assert_int_equal(ret, ERR_OK);
			assert_int_equal(ds_size, 4 + 48);
			hex(ds + 4, ds_size - 4, text);
			assert_string_equal(text, ds_sha384_6605);
		}
		assert_int_equal(dnskey_ds(v->owner, rdata, rdata_size, 1, ds, &ds_size),
				 ERR_INVAL_ARG);
		free(rdata);
		dnskey_clear(&k);
	}
}

/* A generated key signs, and its PEM gives back the same DNSKEY. */
static void check_generated(uint8_t algorithm, uint16_t flags, size_t key_size)
{
	dnskey_pair_t k;
	assert_int_equal(dnskey_generate(algorithm, flags, &k), ERR_OK);
	assert_int_equal(k.algorithm, algorithm);
	assert_int_equal(k.flags, flags);
	assert_int_equal(k.rdata_size, 4 + key_size);
	assert_int_equal(k.rdata[0] << 8 | k.rdata[1], flags);
	assert_int_equal(k.rdata[2], 3);
	assert_int_equal(k.rdata[3], algorithm);
	assert_non_null(strstr(k.pem, "-----BEGIN PRIVATE KEY-----"));
	uint16_t tag = 0;
	assert_int_equal(dnskey_tag(k.rdata, k.rdata_size, &tag), ERR_OK);
	assert_int_equal(tag, k.keytag);

	dnskey_pair_t again;
	assert_int_equal(dnskey_from_pem(k.pem, k.pem_size, algorithm, flags, &again), ERR_OK);
	assert_int_equal(again.rdata_size, k.rdata_size);
	assert_memory_equal(again.rdata, k.rdata, k.rdata_size);
	assert_int_equal(again.keytag, k.keytag);
	dnskey_clear(&again);

	dnssec_key_t *key = NULL;
	assert_int_equal(dnskey_load(&k, "Example.COM.", &key), ERR_OK);
	assert_true(dnssec_key_can_sign(key));
	dnssec_sign_ctx_t *ctx = NULL;
	assert_int_equal(dnssec_sign_new(&ctx, key), DNSSEC_EOK);
	dnssec_binary_t data = { 5, (uint8_t *)"hello" }, sig = { 0 };
	assert_int_equal(dnssec_sign_add(ctx, &data), DNSSEC_EOK);
	assert_int_equal(dnssec_sign_write(ctx, DNSSEC_SIGN_NORMAL, &sig), DNSSEC_EOK);
	assert_int_equal(dnssec_sign_init(ctx), DNSSEC_EOK);
	assert_int_equal(dnssec_sign_add(ctx, &data), DNSSEC_EOK);
	assert_int_equal(dnssec_sign_verify(ctx, false, &sig), DNSSEC_EOK);
	dnssec_binary_free(&sig);
	dnssec_sign_free(ctx);
	dnssec_key_free(key);

	/* The PEM is the key of this algorithm only. */
	uint8_t other = algorithm == 13 ? 15 : 13;
	assert_int_equal(dnskey_from_pem(k.pem, k.pem_size, other, flags, &again), ERR_PARSE);
	dnskey_clear(&k);
	assert_null(k.pem);
}

static void test_generate(void **state)
{
	check_generated(DNSKEY_ALG_ECDSAP256SHA256, DNSKEY_FLAGS_KSK, 64); /* RFC 6605 4 */
	check_generated(DNSKEY_ALG_ECDSAP256SHA256, DNSKEY_FLAGS_ZSK, 64);
	check_generated(DNSKEY_ALG_ED25519, DNSKEY_FLAGS_KSK, 32);         /* RFC 8080 3 */
	dnskey_pair_t k;
	assert_int_equal(dnskey_generate(8, DNSKEY_FLAGS_KSK, &k), ERR_INVAL_ARG);
	assert_false(dnskey_algorithm_is_supported(8));
	/* Two keys are two keys. */
	dnskey_pair_t a, b;
	assert_int_equal(dnskey_generate(13, 257, &a), ERR_OK);
	assert_int_equal(dnskey_generate(13, 257, &b), ERR_OK);
	assert_memory_not_equal(a.rdata, b.rdata, a.rdata_size);
	dnskey_clear(&a);
	dnskey_clear(&b);
	assert_int_equal(dnskey_from_pem("not a pem", 9, 13, 257, &k), ERR_PARSE);
}

static char dir[64];

static int tmp_setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_keys.XXXXXX");
	return mkdtemp(dir) != NULL && dnskey_init() == ERR_OK ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/loose.key", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_secret_and_seal(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	dnskey_secret_t s1, s2, other;
	assert_int_equal(dnskey_secret_load(path, false, &s1), ERR_NOTFOUND);
	assert_int_equal(dnskey_secret_load(path, true, &s1), ERR_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, DNSKEY_SECRET_SIZE);
	assert_int_equal(dnskey_secret_load(path, true, &s2), ERR_OK); /* the same, not a new */
	assert_memory_equal(s1.key, s2.key, sizeof(s1.key));
	chmod(path, 0644);
	assert_int_equal(dnskey_secret_load(path, false, &s2), ERR_INVALID);
	chmod(path, 0600);

	dnskey_pair_t k;
	assert_int_equal(dnskey_generate(13, 257, &k), ERR_OK);
	uint8_t *sealed = NULL, *plain = NULL;
	size_t sealed_size = 0, plain_size = 0;
	assert_int_equal(dnskey_seal(&s1, (const uint8_t *)k.pem, k.pem_size, &sealed,
				     &sealed_size),
			 ERR_OK);
	assert_int_equal(sealed_size, k.pem_size + DNSKEY_SEAL_OVERHEAD);
	assert_null(memmem(sealed, sealed_size, "PRIVATE KEY", 11));
	assert_int_equal(dnskey_unseal(&s1, sealed, sealed_size, &plain, &plain_size), ERR_OK);
	assert_int_equal(plain_size, k.pem_size);
	assert_string_equal((char *)plain, k.pem);
	dnskey_plain_free(plain, plain_size);

	/* Another secret opens nothing; a changed byte is refused; garbage is not a blob. */
	randombytes_buf(other.key, sizeof(other.key));
	assert_int_equal(dnskey_unseal(&other, sealed, sealed_size, &plain, &plain_size),
			 ERR_DENIED);
	assert_null(plain);
	sealed[sealed_size - 1] ^= 1;
	assert_int_equal(dnskey_unseal(&s1, sealed, sealed_size, &plain, &plain_size), ERR_DENIED);
	sealed[0] = 9;
	assert_int_equal(dnskey_unseal(&s1, sealed, sealed_size, &plain, &plain_size), ERR_PARSE);
	assert_int_equal(dnskey_unseal(&s1, sealed, 10, &plain, &plain_size), ERR_PARSE);
	free(sealed);

	/* Two seals of one text differ (fresh nonces). */
	uint8_t *a = NULL, *b = NULL;
	size_t as = 0, bs = 0;
	dnskey_seal(&s1, (const uint8_t *)"x", 1, &a, &as);
	dnskey_seal(&s1, (const uint8_t *)"x", 1, &b, &bs);
	assert_memory_not_equal(a, b, as);
	free(a);
	free(b);
	dnskey_clear(&k);

	/* A secret file of the wrong size is refused. */
	snprintf(path, sizeof(path), "%s/loose.key", dir);
	FILE *f = fopen(path, "w");
	fputs("short", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(dnskey_secret_load(path, true, &s2), ERR_INVALID);
	dnskey_secret_clear(&s1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_generate),
		cmocka_unit_test_setup_teardown(test_secret_and_seal, tmp_setup, tmp_teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
