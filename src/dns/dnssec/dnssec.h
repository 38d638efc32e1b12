/* dnssec.h -- DNSSEC keys: generation, PEM import/export, DNSKEY/DS/CDS/CDNSKEY data, and the
 * deployment secret that seals private keys at rest (keys.c).
 *
 * Names start with dnskey_ because libdnssec owns the dnssec_ prefix. Nothing here touches
 * the store or a zone: the api (enable) and the signer (sign.c) call these functions with
 * the bytes the store keeps.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libdnssec/key.h>

/* DNSKEY flags (RFC 4034 2.1.1): Zone Key, and Zone Key + Secure Entry Point. */
#define DNSKEY_FLAGS_ZSK 256
#define DNSKEY_FLAGS_KSK 257 /* a KSK or a CSK: what the parent's DS points at */
#define DNSKEY_PROTOCOL 3    /* RFC 4034 2.1.2 */

/* Algorithms we generate (RFC 8624 3.1: MUST/RECOMMENDED for signing). */
#define DNSKEY_ALG_ECDSAP256SHA256 13 /* RFC 6605 */
#define DNSKEY_ALG_ED25519 15         /* RFC 8080 */

/* DS digest types (RFC 4509, RFC 6605 2). SHA-1 (1) is only read, never offered. */
#define DNSKEY_DIGEST_SHA256 2
#define DNSKEY_DIGEST_SHA384 4

/* A key pair. rdata is the DNSKEY RDATA (flags, protocol, algorithm, public key:
 * RFC 4034 2.1); pem the private key as PKCS#8 PEM text (NUL-terminated). Both are heap
 * memory owned by the pair: release with dnskey_clear(), which wipes pem first. */
typedef struct dnskey_pair {
	uint8_t algorithm;
	uint16_t flags;
	uint16_t keytag;                    /* RFC 4034 Appendix B */
	uint8_t *rdata;
	size_t rdata_size;
	char *pem;
	size_t pem_size;                    /* without the NUL */
} dnskey_pair_t;

/* Start the crypto libraries (libdnssec/GnuTLS, libsodium). Safe to call more than once,
 * from one thread at start. \return ERR_OK or ERR_INTERNAL. */
int dnskey_init(void);

/* true for the algorithms dnskey_generate() makes (13, 15). */
bool dnskey_algorithm_is_supported(uint8_t algorithm);

/* A new key pair. \param flags DNSKEY_FLAGS_KSK (KSK, CSK) or DNSKEY_FLAGS_ZSK.
 * \return ERR_OK, ERR_INVAL_ARG (algorithm not supported), ERR_INTERNAL (crypto failed). */
int dnskey_generate(uint8_t algorithm, uint16_t flags, dnskey_pair_t *out);

/* The pair from its private key in PKCS#8 PEM: the public half, DNSKEY RDATA and key tag
 * are computed again. \return ERR_OK, ERR_PARSE (not a key of that algorithm). */
int dnskey_from_pem(const char *pem, size_t pem_size, uint8_t algorithm, uint16_t flags,
		    dnskey_pair_t *out);

/* Wipe and free the pair's memory; k may be zeroed or NULL. */
void dnskey_clear(dnskey_pair_t *k);

/* A libdnssec key that can sign, for the signer: name is the zone (text, with or without
 * the final dot). Free with dnssec_key_free(). \return ERR_OK, ERR_PARSE, ERR_INVALID. */
int dnskey_load(const dnskey_pair_t *k, const char *zone_name, dnssec_key_t **out);

/* The key tag of DNSKEY RDATA (RFC 4034 Appendix B). \return ERR_OK, ERR_PARSE. */
int dnskey_tag(const uint8_t *rdata, size_t size, uint16_t *tag);

/* DNSKEY RDATA from its fields (public_key is the raw key, RFC 4034 2.1.4), into out
 * (heap, free()). \return ERR_OK, ERR_INVAL_ARG (empty key). */
int dnskey_rdata(uint16_t flags, uint8_t algorithm, const uint8_t *public_key, size_t key_size,
		 uint8_t **out, size_t *out_size);

/* The DS digest of a DNSKEY (RFC 4034 5.1.4: digest(owner in canonical wire form |
 * DNSKEY RDATA)) into digest (at least DNSKEY_DIGEST_MAX bytes).
 * \param owner  the zone name as text
 * \return ERR_OK, ERR_INVAL_ARG (digest type not 2 or 4), ERR_PARSE (owner or rdata). */
#define DNSKEY_DIGEST_MAX 48
int dnskey_digest(const char *owner, const uint8_t *rdata, size_t size, uint8_t digest_type,
		  uint8_t *digest, size_t *digest_size);

/* DS RDATA (RFC 4034 5.1: key tag, algorithm, digest type, digest) for a DNSKEY, into out
 * (at least DNSKEY_DS_MAX bytes). CDS RDATA is the same (RFC 7344 3.1), and CDNSKEY
 * RDATA is the DNSKEY RDATA itself (RFC 7344 3.2), so the signer publishes these bytes.
 * \return as dnskey_digest(). */
#define DNSKEY_DS_MAX (4 + DNSKEY_DIGEST_MAX)
int dnskey_ds(const char *owner, const uint8_t *rdata, size_t size, uint8_t digest_type,
	      uint8_t *out, size_t *out_size);
#define dnskey_cds dnskey_ds

/* The deployment secret: 32 random bytes that seal every private key (libsodium
 * crypto_secretbox, XSalsa20-Poly1305). */
#define DNSKEY_SECRET_SIZE 32
typedef struct dnskey_secret {
	uint8_t key[DNSKEY_SECRET_SIZE];
} dnskey_secret_t;

/* Read the secret from path; when the file does not exist and may_create is set, create
 * it first (DNSKEY_SECRET_SIZE random bytes, mode 0600, written to a temporary file and
 * linked into place, so concurrent starters agree on one secret).
 * \return ERR_OK; ERR_NOTFOUND (missing, !may_create); ERR_INVALID (not exactly
 *         DNSKEY_SECRET_SIZE bytes, or readable by group or others); ERR_IO. */
int dnskey_secret_load(const char *path, bool may_create, dnskey_secret_t *out);

/* Wipe a secret held in memory. */
void dnskey_secret_clear(dnskey_secret_t *s);

/* Seal plain with the secret: version byte (1), 24-byte nonce, secretbox (MAC + text).
 * *out is heap memory (free()). \return ERR_OK. */
#define DNSKEY_SEAL_OVERHEAD (1 + 24 + 16)
int dnskey_seal(const dnskey_secret_t *s, const uint8_t *plain, size_t size, uint8_t **out,
		size_t *out_size);

/* Open what dnskey_seal() made: *out is heap memory holding the plain bytes followed by a
 * NUL (not counted in *out_size); wipe and free it (dnskey_plain_free()).
 * \return ERR_OK; ERR_DENIED (another secret, or the bytes were changed); ERR_PARSE
 *         (not a sealed blob). */
int dnskey_unseal(const dnskey_secret_t *s, const uint8_t *sealed, size_t size, uint8_t **out,
		  size_t *out_size);
void dnskey_plain_free(uint8_t *p, size_t size);
