/* sigcache.c -- a dns worker's cache of the RRSIGs it made at query time (issue 7): ALIAS
 * and URL addresses, POOL CNAMEs and NSEC3 RRs with a narrower bitmap in signed zones.
 *
 * DESIGN: an ECDSA signature costs tens of microseconds, a cached answer well under one,
 * so each worker keeps what it signed: a fixed table of SIGCACHE_SETS sets of two entries,
 * keyed by the signed data (owner, type, TTL, rdata; a SHA-256 digest of it when it does
 * not fit an entry) and the signer's key set. An entry is served until its signatures
 * near their refresh time (the signer's policy: expiry - refresh), then signed again; the
 * older entry of a set makes room. The table is allocated with the worker (calloc: pages
 * are touched only as entries are used); a miss signs with libdnssec contexts made for
 * that one signature, the only allocations left on the query path, and only on a miss.
 * No locks: one worker, one cache.
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/query/query_internal.h"

#define SIGCACHE_SETS 2048        /* x 2 entries: about 4 MiB of address space per worker */
#define SIGCACHE_KEY_MAX 256
#define SIGCACHE_SIGS_MAX 640     /* two ECDSA/Ed25519 RRSIGs under a long apex */
#define KEY_DIGEST_MARK 0xff      /* never the first byte of a wire name (labels <= 63) */

typedef struct entry {
	uint64_t hash;            /* 0: empty */
	uint64_t keyset;
	uint32_t refresh_at;      /* RRSIG time from which the signatures are not served */
	uint32_t used;            /* the cache's clock at the last hit */
	uint16_t key_size;
	uint16_t sig_count;
	uint16_t sigs_size;
	uint8_t key[SIGCACHE_KEY_MAX];
	_Alignas(uint16_t) uint8_t sigs[SIGCACHE_SIGS_MAX];
} entry_t;

struct sigcache {
	entry_t *entries;         /* SIGCACHE_SETS * 2 */
	uint32_t clock;
	sigcache_stats_t stats;
};

sigcache_t *sigcache_new(void)
{
	sigcache_t *c = xcalloc(1, sizeof(*c));
	c->entries = xcalloc(SIGCACHE_SETS * 2, sizeof(entry_t));
	return c;
}

void sigcache_free(sigcache_t *c)
{
	if (c == NULL) {
		return;
	}
	free(c->entries);
	free(c);
}

sigcache_stats_t sigcache_stats(const sigcache_t *c)
{
	return c->stats;
}

/* The key of rrset: owner (lowercase) | type | TTL | rdataset bytes, or the digest mark
 * and zsign_rrset_digest() when that is too long. Returns its size, 0 on failure. */
static size_t make_key(const knot_rrset_t *rrset, uint8_t key[SIGCACHE_KEY_MAX])
{
	size_t owner_size = knot_dname_size(rrset->owner);
	size_t size = owner_size + 6 + rrset->rrs.size;
	if (size <= SIGCACHE_KEY_MAX) {
		knot_dname_copy_lower(key, rrset->owner);
		knot_wire_write_u16(key + owner_size, rrset->type);
		knot_wire_write_u32(key + owner_size + 2, rrset->ttl);
		memcpy(key + owner_size + 6, rrset->rrs.rdata, rrset->rrs.size);
		return size;
	}
	zsign_digest_t d;
	if (zsign_rrset_digest(rrset, &d) != ERR_OK) {
		return 0;
	}
	key[0] = KEY_DIGEST_MARK;
	memcpy(key + 1, d.b, sizeof(d.b));
	return 1 + sizeof(d.b);
}

static uint64_t key_hash(const uint8_t *key, size_t size, uint64_t keyset)
{
	uint64_t h = 14695981039346656037ull ^ keyset; /* FNV-1a: spreading, not security */
	for (size_t i = 0; i < size; i++) {
		h = (h ^ key[i]) * 1099511628211ull;
	}
	return h | 1; /* 0 marks an empty entry */
}

static bool entry_serves(const entry_t *e, uint64_t h, uint64_t keyset, const uint8_t *key,
			 size_t key_size, uint32_t now)
{
	return e->hash == h && e->keyset == keyset && e->key_size == key_size &&
	       (int32_t)(e->refresh_at - now) > 0 && memcmp(e->key, key, key_size) == 0;
}

static int copy_out(const uint8_t *sigs, uint16_t count, uint16_t size, knot_rdataset_t *out,
		    knot_mm_t *mm)
{
	knot_rdataset_t set = { .count = count, .size = size, .rdata = (knot_rdata_t *)sigs };
	return knot_rdataset_copy(out, &set, mm) == KNOT_EOK ? ERR_OK : ERR_NOMEM;
}

/* Sign rrset now with every key of s that signs its type (malloc'd rdataset). */
static int sign_now(const zdb_signer_t *s, const knot_rrset_t *rrset, uint32_t now,
		    knot_rdataset_t *sigs, uint32_t *refresh_at)
{
	zsign_policy_t p;
	zdb_signer_policy(s, now, &p);
	zsign_ctx_t *ctx = zsign_ctx_new(&p);
	if (ctx == NULL) {
		return ERR_INTERNAL;
	}
	int ret = zsign_rrset(ctx, rrset, sigs, NULL);
	zsign_ctx_free(ctx);
	if (ret == ERR_OK && !zsign_rdataset_refresh_at(&p, sigs, refresh_at)) {
		ret = ERR_INVALID; /* no key signs this type */
	}
	return ret;
}

int sigcache_sign(sigcache_t *c, const zdb_signer_t *s, const knot_rrset_t *rrset, uint32_t now,
		  knot_rdataset_t *out, knot_mm_t *mm)
{
	uint8_t key[SIGCACHE_KEY_MAX];
	size_t key_size = make_key(rrset, key);
	if (key_size == 0) {
		return ERR_INTERNAL;
	}
	uint64_t keyset = zdb_signer_keyset(s);
	uint64_t h = key_hash(key, key_size, keyset);
	entry_t *set = &c->entries[(h >> 1) % SIGCACHE_SETS * 2];
	c->clock++;
	for (int i = 0; i < 2; i++) {
		if (entry_serves(&set[i], h, keyset, key, key_size, now)) {
			set[i].used = c->clock;
			c->stats.hits++;
			return copy_out(set[i].sigs, set[i].sig_count, set[i].sigs_size, out, mm);
		}
	}
	c->stats.misses++;
	knot_rdataset_t sigs = { 0 };
	uint32_t refresh_at = 0;
	int ret = sign_now(s, rrset, now, &sigs, &refresh_at);
	if (ret == ERR_OK) {
		ret = copy_out((const uint8_t *)sigs.rdata, sigs.count, (uint16_t)sigs.size, out, mm);
	}
	if (ret == ERR_OK && sigs.size <= SIGCACHE_SIGS_MAX) {
		/* the empty entry, else the one with the older hit */
		entry_t *e = set[0].hash == 0 || (set[1].hash != 0 &&
						 (int32_t)(set[0].used - set[1].used) < 0)
				     ? &set[0]
				     : &set[1];
		*e = (entry_t){ .hash = h, .keyset = keyset, .refresh_at = refresh_at,
				.used = c->clock, .key_size = (uint16_t)key_size,
				.sig_count = sigs.count, .sigs_size = (uint16_t)sigs.size };
		memcpy(e->key, key, key_size);
		memcpy(e->sigs, sigs.rdata, sigs.size);
	}
	knot_rdataset_clear(&sigs, NULL);
	return ret;
}
