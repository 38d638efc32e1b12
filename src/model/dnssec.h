/* dnssec.h -- a zone's DNSSEC state and keys, and a domain's delegation signer (DS) records:
 * structs, JSON shapes, validation (content/v2/domains/dnssec.md). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

/* How a zone is signed: the algorithm of its keys and how many keys there are. */
typedef enum {
	ZONE_KEYS_CSK = 0,      /* one combined signing key (flags 257) */
	ZONE_KEYS_KSK_ZSK,      /* a key-signing key (257) and a zone-signing key (256) */
} zone_key_layout_t;

typedef struct zone_dnssec_policy {
	uint8_t algorithm;          /* 13 ECDSAP256SHA256 or 15 Ed25519 */
	zone_key_layout_t layout;
} zone_dnssec_policy_t;

/* Read the dnssec-algorithm and dnssec-key-layout settings: algorithm "ecdsap256sha256"
 * (or "13") and "ed25519" (or "15"); layout "csk" and "ksk-zsk".
 * \return ERR_OK or ERR_INVALID (*bad names the setting at fault). */
int zone_dnssec_policy_parse(const char *algorithm, const char *layout,
			     zone_dnssec_policy_t *out, const char **bad);
/* "csk" or "ksk-zsk". */
const char *zone_key_layout_name(zone_key_layout_t layout);

/* A zone's DNSSEC state: one row per zone that was ever enabled. */
typedef struct zone_dnssec {
	int64_t zone_id;
	bool is_enabled;
	zone_dnssec_policy_t policy;
	int64_t created_at, updated_at;
} zone_dnssec_t;

/* The DNSSEC body (getDomainDnssec): enabled, active, created_at, updated_at. `active`
 * follows `enabled` (see docs/dnssec.md). */
json_t *zone_dnssec_to_json(const zone_dnssec_t *d);

/* A key's role in the zone. */
#define ZONE_KEY_CSK "csk"
#define ZONE_KEY_KSK "ksk"
#define ZONE_KEY_ZSK "zsk"

/* One signing key of a zone. Timing follows RFC 7583 3.1 (0 = not set); a rollover
 * scheduler moves them. The private key is sealed (dns/dnssec keys.c): the model and the
 * store never see it in clear. Byte strings live in the arena of whoever read them. */
typedef struct zone_key {
	int64_t id;
	int64_t zone_id;
	const char *role;           /* ZONE_KEY_* */
	uint8_t algorithm;
	uint16_t flags;             /* 257 (KSK, CSK) or 256 (ZSK) */
	uint16_t keytag;
	const uint8_t *dnskey;      /* DNSKEY RDATA */
	size_t dnskey_size;
	const uint8_t *sealed;      /* the sealed PKCS#8 PEM of the private key */
	size_t sealed_size;
	int64_t created, publish, active, retire, remove;
} zone_key_t;

/* true for the keys a parent's DS points at (a CSK or KSK). */
bool zone_key_is_sep(const zone_key_t *k);

/* A delegation signer record of a domain (what goes to the registry). The text fields
 * are the API's strings; digest, digest_type and keytag are NULL for the public-key form
 * only until the handler derives them (docs/dnssec.md). */
typedef struct ds_record {
	int64_t id;
	int64_t domain_id;
	const char *algorithm;      /* "13" */
	const char *digest;         /* hex */
	const char *digest_type;    /* "2" */
	const char *keytag;         /* "2371" */
	const char *public_key;     /* base64 DNSKEY public key, or NULL */
	int64_t created_at, updated_at;
} ds_record_t;

/* The DelegationSigner body, field for field as fixtures/v2/api/getDelegationSignerRecord. */
json_t *ds_record_to_json(const ds_record_t *r);

/* Receives one field error (static strings), as contact_err_fn. */
typedef void (*ds_err_fn)(void *ctx, const char *field, const char *message);

/* Build a DS record from a createDomainDelegationSignerRecord body, reporting EVERY bad
 * field. algorithm is required; digest, digest_type and keytag are required unless
 * public_key is given (content/v2/domains/dnssec.md: "Required if TLD requires DS data"
 * vs "KEY data"; fixtures/.../createDelegationSignerRecord/validation-error.http).
 * Numbers may come as strings or JSON integers: algorithm and digest_type 0..255, keytag
 * 0..65535, stored as decimal text. digest: hex, an even number of digits, the length of
 * its type for types 1, 2 and 4 (SHA-1, SHA-256, SHA-384). public_key: base64.
 * Strings are trimmed and live in the arena.
 * \return ERR_OK, ERR_INVALID (errors reported through on_err). */
int ds_record_from_json(ds_record_t *r, const json_t *body, arena_t *a, ds_err_fn on_err,
			void *ctx);
