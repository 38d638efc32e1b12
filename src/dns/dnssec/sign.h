/* sign.h -- the signing core of DNSSEC (issue 7): RRSIGs for RRsets, the rule that keeps
 * signatures across zone versions, and NSEC3 chains with the proofs the answer engine
 * sends. A library: it knows RRsets, keys and names, never the store or the zone db.
 *
 * DESIGN. Signing (sign.c) follows RFC 4034 3 and RFC 4035 2.2 through libdnssec
 * (dnssec_sign_*): one zsign_ctx_t per thread holds one libdnssec signing context per key
 * and a scratch buffer for the canonical RRset (RFC 4034 6.2/6.3), so two threads sign
 * one zone at once (zsign_run). A zone builder that holds the previous version of a zone
 * calls zsign_rrset_refresh() per RRset: signatures whose key is still in use, whose
 * RRset data is unchanged (the builder says so, from zsign_rrset_same() on the old RRset
 * or zsign_rrset_digest() kept beside the signatures) and which are not within the
 * refresh window of expiry are copied; only the others are made anew.
 * NSEC3 (nsec3.c) follows RFC 5155 with RFC 9276's parameters (SHA-1, 0 extra
 * iterations, no salt, no opt-out): nsec3_chain_build() turns the zone's names into NSEC3
 * RRs sorted by hash; the proof helpers are pure functions over that sorted hash array, so
 * the zone db keeps the chain however it likes and finds records by index.
 * The headers of dns/dnssec are merged into one later (dnssec.h); names here are
 * zsign_* and nsec3_* because libdnssec owns the dnssec_* prefix.
 */
#pragma once

#include <libdnssec/key.h>
#include <libdnssec/nsec.h>
#include <libknot/libknot.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- keys and policy ----------------------------------------------------------------- */

enum {
	ZSIGN_KEY_KSK = 1 << 0, /* signs DNSKEY, CDS, CDNSKEY */
	ZSIGN_KEY_ZSK = 1 << 1, /* signs every other authoritative RRset */
	ZSIGN_KEY_CSK = ZSIGN_KEY_KSK | ZSIGN_KEY_ZSK,
};

/* One signing key as the signer sees it. */
typedef struct zsign_key {
	const dnssec_key_t *key; /* borrowed; holds its private key (dnssec_key_can_sign) */
	uint16_t tag;            /* RFC 4034 B */
	uint8_t algorithm;       /* 13 ECDSA P-256 SHA-256, 15 Ed25519, ... */
	uint8_t roles;           /* ZSIGN_KEY_* */
} zsign_key_t;

/* Fill k for key (borrowed) with roles (ZSIGN_KEY_*). ERR_INVAL_ARG when the key has no
 * private key or no role; ERR_OK. */
int zsign_key_init(zsign_key_t *k, const dnssec_key_t *key, uint8_t roles);

/* What one build of a zone signs with. Times are RRSIG times: seconds since the epoch
 * modulo 2^32, compared with serial arithmetic (RFC 4034 3.1.5). */
typedef struct zsign_policy {
	const knot_dname_t *apex;  /* signer name: the zone apex, lowercase wire */
	const zsign_key_t *keys;   /* the keys in use; an old signature by a key not listed
				    * here is dropped */
	size_t key_count;
	uint32_t now;              /* the time of the build */
	uint32_t inception;        /* of new signatures; usually now - 1 h for clock skew */
	uint32_t expiration;       /* of new signatures */
	uint32_t refresh;          /* seconds: a signature expiring sooner than now + refresh
				    * is made anew */
	uint32_t jitter;           /* seconds: each new signature's expiration is lowered by
				    * a per-RRset amount in [0, jitter], so that signatures
				    * made together come up for refresh over a spread of
				    * builds instead of all at once. 0: none */
} zsign_policy_t;

/* Whether key k signs RRsets of this type (the KSK role DNSKEY, CDS and CDNSKEY; the ZSK
 * role everything else; a CSK both). */
bool zsign_key_signs(const zsign_key_t *k, uint16_t type);

/* Whether an RRset of this type at a node is signed at all (RFC 4035 2.2): authoritative
 * RRsets are; at a zone cut (is_cut) only DS is, NS and glue are not; below a cut
 * (is_below_cut: glue and occluded data) nothing is; RRSIGs are never signed. */
bool zsign_rrset_is_signed(uint16_t type, bool is_cut, bool is_below_cut);

/* --- signing ------------------------------------------------------------------------- */

/* A signing context for one thread: one libdnssec signing context per key of p, and a
 * scratch buffer. p (and everything it points to) is borrowed and must outlive it.
 * NULL when a key cannot sign. Free with zsign_ctx_free(). */
typedef struct zsign_ctx zsign_ctx_t;
zsign_ctx_t *zsign_ctx_new(const zsign_policy_t *p);
void zsign_ctx_free(zsign_ctx_t *c);

/* Sign rrset with key p->keys[key_index] whatever its roles (RFC 4034 3.1: type covered,
 * algorithm, labels without a leading "*", original TTL = rrset->ttl, expiration,
 * inception, key tag, signer = p->apex; signature over the RRSIG rdata and the RRset in
 * canonical form, RFC 4034 6.2/6.3). The rrset's rdata must be in canonical form and
 * order, as libknot's rdatasets and the zone db keep them (names inside lowercase); its
 * owner is lowercased here. Appends one RRSIG rdata to *sigs (memory from mm; NULL mm is
 * malloc). Returns ERR_OK, ERR_INVAL_ARG (empty rrset, owner outside the apex),
 * ERR_INTERNAL (the crypto library failed). */
int zsign_rrset_with(zsign_ctx_t *c, size_t key_index, const knot_rrset_t *rrset,
		     knot_rdataset_t *sigs, knot_mm_t *mm);

/* Sign rrset with every key whose roles sign its type (zsign_key_signs). Appends the
 * RRSIG rdata to *sigs. Returns as zsign_rrset_with(). The caller decides whether the
 * RRset is signed at all (zsign_rrset_is_signed). */
int zsign_rrset(zsign_ctx_t *c, const knot_rrset_t *rrset, knot_rdataset_t *sigs,
		knot_mm_t *mm);

/* Keep or remake the signatures of one RRset in a new version of the zone. old_sigs is
 * the RRSIG rdata that covered the RRset of the same owner and type in the previous
 * version (NULL or empty when there was none; RRSIGs of other types in it are skipped),
 * is_same_data says that the RRset's data (owner, type, TTL, rdata) is unchanged since
 * (zsign_rrset_same() against the old RRset, or equal zsign_rrset_digest()s). For every
 * key that signs the type: an old signature by that key that zsign_rrsig_is_reusable()
 * accepts is copied, else a new one is made. Signatures of keys no longer in the policy
 * are dropped. Appends to *sigs; *made (may be NULL) is set to the number of new
 * signatures. Returns as zsign_rrset_with(). */
int zsign_rrset_refresh(zsign_ctx_t *c, const knot_rrset_t *rrset, bool is_same_data,
			const knot_rdataset_t *old_sigs, knot_rdataset_t *sigs, knot_mm_t *mm,
			size_t *made);

/* Whether rrsig (one RRSIG rdata) made earlier may be served again for rrset with key
 * p->keys[key_index], given that the RRset's data has not changed: same type covered,
 * algorithm, key tag, labels, original TTL and signer; already valid at p->now; and
 * expiring later than p->now + p->refresh. Checks no cryptography (cheap). */
bool zsign_rrsig_is_reusable(const zsign_policy_t *p, size_t key_index,
			     const knot_rrset_t *rrset, const knot_rdata_t *rrsig);

/* The earliest time at which one of sigs (RRSIG rdata) enters the refresh window
 * (expiration - p->refresh, the minimum over them, in serial arithmetic around p->now) in
 * *at; false (and *at = 0) for an empty set. A builder keeps the minimum over the zone to
 * schedule its next build. */
bool zsign_rdataset_refresh_at(const zsign_policy_t *p, const knot_rdataset_t *sigs,
			       uint32_t *at);

/* Whether two RRsets hold the same signed data: owner (case-insensitive), type, class,
 * TTL and rdata. */
bool zsign_rrset_same(const knot_rrset_t *a, const knot_rrset_t *b);

/* A digest of an RRset's signed data (owner lowercase, type, class, TTL, canonical rdata):
 * the first 16 bytes of SHA-256, for builders that keep signatures (in memory or in the
 * store) without the RRset they signed. Returns ERR_OK or ERR_INTERNAL. */
#define ZSIGN_DIGEST_SIZE 16
typedef struct zsign_digest {
	uint8_t b[ZSIGN_DIGEST_SIZE];
} zsign_digest_t;
int zsign_rrset_digest(const knot_rrset_t *rrset, zsign_digest_t *out);

/* Verify one RRSIG rdata over rrset with key (public part suffices; signer name taken from
 * the RRSIG). ERR_OK when the signature is good; ERR_INVALID when it is not or the RRSIG
 * does not fit the key or RRset; ERR_INTERNAL. For tests and self-checks: slow. */
int zsign_rrset_verify(const knot_rrset_t *rrset, const knot_rdata_t *rrsig,
		       const dnssec_key_t *key);

/* --- signing many RRsets on several threads ------------------------------------------ */

/* One RRset to sign, and its result. */
typedef struct zsign_job {
	const knot_rrset_t *rrset;        /* borrowed */
	const knot_rdataset_t *old_sigs;  /* borrowed, may be NULL (zsign_rrset_refresh) */
	bool is_same_data;
	knot_rdataset_t sigs;             /* out: RRSIG rdata, malloc'd; free with
					   * knot_rdataset_clear(&sigs, NULL) */
} zsign_job_t;

/* Sign jobs[0 .. count-1] (zsign_rrset_refresh each) on `threads` threads (1 = the
 * caller's thread only; at most 64), each with its own zsign_ctx_t. *made (may be NULL):
 * new signatures. Returns ERR_OK or the first error (then some jobs may have no sigs;
 * the caller clears all). */
int zsign_run(const zsign_policy_t *p, zsign_job_t *jobs, size_t count, unsigned threads,
	      size_t *made);

/* --- the apex key RRsets ------------------------------------------------------------- */

/* DNSKEY rdata for every key of p (RFC 4034 2), CDNSKEY (RFC 7344 3.2: the keys with
 * the KSK role) and CDS (RFC 7344 3.1: SHA-256 digests of those, RFC 4509), appended to
 * the three rdatasets (memory from mm). Returns ERR_OK, ERR_INTERNAL. */
int zsign_apex_keys(const zsign_policy_t *p, knot_rdataset_t *dnskey, knot_rdataset_t *cdnskey,
		    knot_rdataset_t *cds, knot_mm_t *mm);

/* --- NSEC3 (nsec3.c) ----------------------------------------------------------------- */

#define NSEC3_HASH_SIZE 20      /* SHA-1 */
#define NSEC3_B32_LEN 32        /* base32hex of the hash: the first label of the owner */

typedef struct nsec3_hash {
	uint8_t b[NSEC3_HASH_SIZE];
} nsec3_hash_t;

/* RFC 5155 5 hash of name (lowercase wire) with any parameters (libdnssec's
 * dnssec_nsec3_hash; SHA-1 only). ERR_OK, ERR_INVAL_ARG, ERR_INTERNAL. */
int nsec3_hash_params(const knot_dname_t *name, const dnssec_nsec3_params_t *params,
		      nsec3_hash_t *out);
/* The product's hash: SHA-1, 0 extra iterations, empty salt (RFC 9276 3.1). name is
 * lowercase wire. Never allocates (query time). ERR_OK, ERR_INTERNAL. */
int nsec3_hash(const knot_dname_t *name, nsec3_hash_t *out);
/* The product's NSEC3PARAM rdata (RFC 5155 4, RFC 9276): alg 1, flags 0, iterations 0,
 * no salt. *size is set to its size (5). */
const uint8_t *nsec3_param_rdata(uint16_t *size);
/* The owner of the NSEC3 for hash h: base32hex(h) (lowercase, RFC 4648 7) as the first
 * label, under apex. out holds at least KNOT_DNAME_MAXLEN bytes. ERR_OK, ERR_INVAL_ARG
 * when it would be too long. */
int nsec3_owner(const nsec3_hash_t *h, const knot_dname_t *apex, knot_dname_t *out);

enum {
	NSEC3_NAME_APEX = 1 << 0,  /* the apex: NSEC3PARAM is added to its bitmap */
	NSEC3_NAME_CUT = 1 << 1,   /* a delegation: only NS and DS (and RRSIG with DS) */
	NSEC3_NAME_EMPTY = 1 << 2, /* an empty non-terminal: empty bitmap (RFC 5155 7.1) */
};

/* One name of the zone that gets an NSEC3: every authoritative name, every delegation and
 * every empty non-terminal that is not below a zone cut (RFC 5155 7.1). Names below a
 * cut (glue) are not passed. */
typedef struct nsec3_name {
	const knot_dname_t *owner; /* lowercase wire, at or below the apex; borrowed */
	const uint16_t *types;     /* the RRset types at owner, any order (none for EMPTY) */
	uint16_t type_count;
	uint16_t flags;            /* NSEC3_NAME_* */
} nsec3_name_t;

/* A zone's NSEC3 chain, sorted by hash. */
typedef struct nsec3_chain {
	size_t count;
	nsec3_hash_t *hashes;  /* ascending (memcmp); hashes[i] belongs to rrsets[i] */
	knot_rrset_t *rrsets;  /* the NSEC3 RRsets: owner nsec3_owner(hashes[i]), one RR:
				* alg 1, flags 0, iterations 0, no salt, next hashed
				* owner = hashes[i + 1] (the last wraps to hashes[0]),
				* the type bitmap (RFC 5155 3.2.1) */
	const knot_dname_t **names; /* names[i]: the zone name hashes[i] was made from */
} nsec3_chain_t;

/* Build the chain for names[0 .. count-1] (any order; duplicates not allowed), with this
 * TTL (RFC 9077: the SOA's negative TTL, min(SOA TTL, MINIMUM)). Bitmaps: the types
 * present, plus RRSIG where there is a signed RRset (every name but an empty
 * non-terminal and a delegation without DS), plus NSEC3PARAM at the apex; a delegation
 * lists only NS and DS. hashes_threads > 1 hashes on that many threads (at most 64).
 * Memory from mm (NULL: malloc); clear with nsec3_chain_clear(). Returns ERR_OK,
 * ERR_INVAL_ARG (a name outside apex, no names), ERR_CONFLICT (two names with one hash:
 * SHA-1 collision or a duplicate name), ERR_INTERNAL. */
int nsec3_chain_build(const knot_dname_t *apex, const nsec3_name_t *names, size_t count,
		      uint32_t ttl, unsigned hash_threads, nsec3_chain_t *out, knot_mm_t *mm);
void nsec3_chain_clear(nsec3_chain_t *c, knot_mm_t *mm);

/* rd, one NSEC3 rdata (RFC 5155 3.2), into out with the types drop[0 .. count) taken out
 * of its type bitmaps (windows left empty and trailing zero octets dropped, RFC 5155
 * 3.2.1) and, when next is not NULL, next as its next hashed owner; the rest as in rd.
 * For a name whose NSEC3 in the chain lists types it does not hold at the moment (the
 * pseudo-records' answers) or that must point past a name left out: answers at query
 * time, zone transfers. out holds at least knot_rdata_size(rd->len) bytes. No
 * allocation. ERR_OK; ERR_PARSE when rd is malformed, or its hash length is not
 * NSEC3_HASH_SIZE and next is given. */
int nsec3_rdata_narrow(const knot_rdata_t *rd, const uint16_t *drop, size_t count,
		       const nsec3_hash_t *next, knot_rdata_t *out);

/* --- NSEC3 lookups at query time (pure; no allocation) ------------------------------- */

/* The index of the hash equal to h in hashes[0 .. count-1] (ascending), or -1. */
ptrdiff_t nsec3_find_match(const nsec3_hash_t *hashes, size_t count, const nsec3_hash_t *h);
/* The index of name's NSEC3 (nsec3_hash, then nsec3_find_match) in *out. name is
 * lowercase wire. ERR_OK; ERR_NOTFOUND (*out = -1) when the chain has none; ERR_INTERNAL. */
int nsec3_find_name(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name,
		    ptrdiff_t *out);
/* The index of the NSEC3 that covers h (RFC 5155 1.3: h falls strictly between its owner
 * hash and its next hash, the last one wrapping around to the first), or -1 when h is
 * itself in the chain (matched, not covered) or the chain is empty. */
ptrdiff_t nsec3_find_cover(const nsec3_hash_t *hashes, size_t count, const nsec3_hash_t *h);

/* The NSEC3 RRs of one answer, as indexes into the chain; -1 where none. Send each
 * distinct index once (nsec3_proof_list). */
typedef struct nsec3_proof {
	ptrdiff_t encloser;     /* matches the closest encloser (or qname for NODATA) */
	ptrdiff_t next_closer;  /* covers the next closer name */
	ptrdiff_t wildcard;     /* covers (NXDOMAIN) or matches (wildcard NODATA) *.encloser */
} nsec3_proof_t;

/* The distinct indexes of proof in out[0 .. return-1], in the order encloser,
 * next_closer, wildcard. */
size_t nsec3_proof_list(const nsec3_proof_t *proof, ptrdiff_t out[3]);

/* What a zone may keep per name so that a proof hashes less: the index of the name's
 * own NSEC3 (match) and of the NSEC3 matching or covering its wildcard child "*.name"
 * (nsec3_wildcard_index()); -1 where not known, and the proof hashes the name itself.
 * A NULL nsec3_known_t is all unknown. */
typedef struct nsec3_known {
	ptrdiff_t match;
	ptrdiff_t wildcard;
} nsec3_known_t;

/* The index of the NSEC3 matching "*.name" when the chain has it, else of the one
 * covering it, in *out. For building nsec3_known_t. ERR_OK; ERR_NOTFOUND (empty chain),
 * ERR_INVAL_ARG (name too long for a wildcard child), ERR_INTERNAL. */
int nsec3_wildcard_index(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name,
			 ptrdiff_t *out);

/* Names in these: lowercase wire; encloser is the closest encloser of qname in the zone
 * (zdb_zone_find's *encloser), a proper ancestor of qname for NXDOMAIN and wildcard
 * answers; known is what the zone knows of the encloser (of qname for NODATA), or NULL.
 * Each returns ERR_OK, or ERR_NOTFOUND when the chain lacks an NSEC3 the proof needs (a
 * chain that does not belong to the zone), or ERR_INVAL_ARG, ERR_INTERNAL. */

/* RFC 5155 7.2.1 (NXDOMAIN): the NSEC3 matching the closest encloser, the one covering
 * the next closer name and the one covering the wildcard at the closest encloser. */
int nsec3_proof_nxdomain(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *qname,
			 const knot_dname_t *encloser, const nsec3_known_t *known,
			 nsec3_proof_t *out);
/* RFC 5155 7.2.3 and 7.2.4 (NODATA, and DS at a delegation without DS; no opt-out, so a
 * matching NSEC3 always exists), and 7.2.7 (referral to a delegation without DS, with
 * qname = the delegation): the NSEC3 matching qname, in out->encloser. */
int nsec3_proof_nodata(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *qname,
		       const nsec3_known_t *known, nsec3_proof_t *out);
/* RFC 5155 7.2.5 (NODATA from a wildcard): the closest encloser proof (matching the
 * encloser, covering the next closer) and the NSEC3 matching *.encloser. */
int nsec3_proof_wildcard_nodata(const nsec3_hash_t *hashes, size_t count,
				const knot_dname_t *qname, const knot_dname_t *encloser,
				const nsec3_known_t *known, nsec3_proof_t *out);
/* RFC 5155 7.2.6 (an answer synthesized from a wildcard): only the NSEC3 covering the
 * next closer name (the closest encloser follows from the RRSIG's labels). */
int nsec3_proof_wildcard_answer(const nsec3_hash_t *hashes, size_t count,
				const knot_dname_t *qname, const knot_dname_t *encloser,
				nsec3_proof_t *out);
