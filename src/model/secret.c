/* secret.c -- password hashing, token secrets and TOTP over libsodium and liboath. */
#include <liboath/oath.h>
#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "model/secret.h"

int secret_init(void)
{
	if (sodium_init() < 0 || oath_init() != OATH_OK) {
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

int secret_password_hash(const char *password, char out[SECRET_HASH_SIZE])
{
	_Static_assert(SECRET_HASH_SIZE >= crypto_pwhash_STRBYTES, "hash buffer too small");
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		return ERR_NOMEM;
	}
	return ERR_OK;
}

bool secret_password_verify(const char *hash, const char *password)
{
	if (hash == NULL || *hash == '\0') {
		return false;
	}
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void secret_token_new(const char *prefix, char out[SECRET_TOKEN_SIZE])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	size_t n = (size_t)snprintf(out, SECRET_TOKEN_SIZE, "%s_", prefix);
	sodium_bin2base64(out + n, SECRET_TOKEN_SIZE - n, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void secret_digest(const char *secret, char out[SECRET_DIGEST_SIZE])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	sodium_bin2hex(out, SECRET_DIGEST_SIZE, h, sizeof(h));
}

bool secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb) {
		return false;
	}
	return sodium_memcmp(a, b, la) == 0;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void secret_otp_new(char out[SECRET_OTP_SIZE])
{
	unsigned char raw[20];
	randombytes_buf(raw, sizeof(raw));
	size_t n = 0;
	/* 160 bits = 32 base32 characters, no padding */
	for (size_t bit = 0; bit < sizeof(raw) * 8; bit += 5) {
		unsigned v = 0;
		for (size_t i = 0; i < 5; i++) {
			size_t b = bit + i;
			v = (v << 1) | ((raw[b / 8] >> (7 - b % 8)) & 1u);
		}
		out[n++] = b32[v];
	}
	out[n] = '\0';
}

bool secret_otp_verify(const char *base32_secret, const char *code, int64_t now)
{
	if (base32_secret == NULL || code == NULL || strlen(code) != 6) {
		return false;
	}
	char *key = NULL;
	size_t keylen = 0;
	if (oath_base32_decode(base32_secret, strlen(base32_secret), &key, &keylen) != OATH_OK) {
		return false;
	}
	int r = oath_totp_validate(key, keylen, (time_t)now, OATH_TOTP_DEFAULT_TIME_STEP_SIZE,
				   OATH_TOTP_DEFAULT_START_TIME, 1, code);
	sodium_memzero(key, keylen);
	free(key);
	return r >= 0;
}

void secret_pkce_s256(const char *verifier, char out[48])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
	sodium_bin2base64(out, 48, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
