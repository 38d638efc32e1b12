/* secret.h -- passwords (argon2id), API token secrets, TOTP codes: generation and checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Call once at start (libsodium). Returns ERR_OK. */
int secret_init(void);

/* argon2id hash in libsodium's string form into out (at least SECRET_HASH_SIZE). */
#define SECRET_HASH_SIZE 128
int secret_password_hash(const char *password, char out[SECRET_HASH_SIZE]);
bool secret_password_verify(const char *hash, const char *password);

/* A random token secret "<prefix>_<43 base64url chars>" (256 bits) into out. */
#define SECRET_TOKEN_SIZE 64
void secret_token_new(const char *prefix, char out[SECRET_TOKEN_SIZE]);
/* Stored form of a high-entropy secret: hex SHA-256 (65 bytes with NUL).
 * Tokens carry 256 random bits, so a fast hash is safe and keeps lookup an index probe. */
#define SECRET_DIGEST_SIZE 65
void secret_digest(const char *secret, char out[SECRET_DIGEST_SIZE]);
/* Constant-time string equality. */
bool secret_equal(const char *a, const char *b);

/* A new base32 TOTP secret (160 bits) into out. */
#define SECRET_OTP_SIZE 40
void secret_otp_new(char out[SECRET_OTP_SIZE]);
/* RFC 6238: 6 digits, 30 s steps, SHA-1, one step of clock skew either way. */
bool secret_otp_verify(const char *base32_secret, const char *code, int64_t now);

/* base64url of SHA-256(verifier), for PKCE S256 (RFC 7636 4.2); out >= 44 bytes. */
void secret_pkce_s256(const char *verifier, char out[48]);
