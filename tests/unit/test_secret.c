/* test_secret.c -- password hashing, token secrets, TOTP (RFC 6238 vectors), PKCE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/err.h"
#include "model/secret.h"

static int setup(void **state)
{
	return secret_init() == ERR_OK ? 0 : -1;
}

static void test_password(void **state)
{
	char hash[SECRET_HASH_SIZE];
	assert_int_equal(secret_password_hash("correct horse", hash), ERR_OK);
	assert_non_null(strstr(hash, "$argon2id$"));
	assert_true(secret_password_verify(hash, "correct horse"));
	assert_false(secret_password_verify(hash, "correct horsf"));
	assert_false(secret_password_verify("", "x"));
	assert_false(secret_password_verify(NULL, "x"));
}

static void test_tokens(void **state)
{
	char a[SECRET_TOKEN_SIZE], b[SECRET_TOKEN_SIZE];
	secret_token_new("npa", a);
	secret_token_new("npa", b);
	assert_int_equal(strncmp(a, "npa_", 4), 0);
	assert_int_equal(strlen(a), 4 + 43);
	assert_string_not_equal(a, b);
	char d1[SECRET_DIGEST_SIZE], d2[SECRET_DIGEST_SIZE];
	secret_digest("abc", d1);
	/* SHA-256("abc"), FIPS 180-2 */
	assert_string_equal(d1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	secret_digest("abd", d2);
	assert_false(secret_equal(d1, d2));
	assert_true(secret_equal(d1, d1));
}

static void test_totp(void **state)
{
	/* RFC 6238 Appendix B, SHA-1 key "12345678901234567890", truncated to 6 digits. */
	const char *key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	assert_true(secret_otp_verify(key, "287082", 59));
	assert_true(secret_otp_verify(key, "081804", 1111111109));
	assert_true(secret_otp_verify(key, "081804", 1111111109 + 30)); /* one step of skew */
	assert_false(secret_otp_verify(key, "081804", 1111111109 + 120));
	assert_false(secret_otp_verify(key, "000000", 59));
	assert_false(secret_otp_verify(key, "28708", 59));
	assert_false(secret_otp_verify(NULL, "287082", 59));
	char fresh[SECRET_OTP_SIZE];
	secret_otp_new(fresh);
	assert_int_equal(strlen(fresh), 32);
}

static void test_pkce(void **state)
{
	/* RFC 7636 Appendix B */
	char out[48];
	secret_pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out);
	assert_string_equal(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_totp),
		cmocka_unit_test(test_pkce),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
