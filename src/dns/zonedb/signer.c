/* signer.c -- the keys a signed zone's version signs answers with at query time (issue 7):
 * ALIAS/URL addresses, POOL CNAMEs and NSEC3 RRs with a narrower bitmap exist only when a
 * query asks, so the dns workers sign them then (dns/query sigcache.c).
 *
 * DESIGN: the loader opens the zone's keys for each build (load_sign.c); the active ones
 * are handed to a signer that the version keeps (zdb_zone_set_signer()) and that is freed
 * with the version's memory (a cleanup of its generation), after every worker has passed
 * a quiescent point. The signer is immutable once attached, so the workers read it
 * without locks; each signs with its own libdnssec contexts. The key-set id lets a
 * worker's signature cache serve signatures across versions signed with the same keys.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/zonedb/zonedb_internal.h"

#define SIGNER_KEYS_MAX 8

struct zdb_signer {
	_Atomic size_t refs;
	knot_dname_storage_t apex;
	uint32_t lifetime, refresh;
	uint64_t keyset;                  /* FNV-1a over the keys' DNSKEY rdata */
	size_t key_count;
	zsign_key_t keys[SIGNER_KEYS_MAX];
	dnssec_key_t *owned[SIGNER_KEYS_MAX];
};

zdb_signer_t *zdb_signer_new(const knot_dname_t *apex, uint32_t lifetime, uint32_t refresh)
{
	zdb_signer_t *s = xcalloc(1, sizeof(*s));
	atomic_init(&s->refs, 1);
	(void)!knot_dname_store(s->apex, apex);
	knot_dname_to_lower(s->apex);
	s->lifetime = lifetime;
	s->refresh = refresh < lifetime ? refresh : lifetime / 2;
	s->keyset = 14695981039346656037ull;
	return s;
}

int zdb_signer_add_key(zdb_signer_t *s, dnssec_key_t *key, uint8_t roles, const uint8_t *dnskey,
		       size_t size)
{
	if (s->key_count == SIGNER_KEYS_MAX ||
	    zsign_key_init(&s->keys[s->key_count], key, roles) != ERR_OK) {
		return ERR_INVAL_ARG;
	}
	s->owned[s->key_count++] = key;
	for (size_t i = 0; i < size; i++) {
		s->keyset = (s->keyset ^ dnskey[i]) * 1099511628211ull;
	}
	s->keyset = (s->keyset ^ roles) * 1099511628211ull;
	return ERR_OK;
}

void zdb_signer_ref(zdb_signer_t *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void zdb_signer_unref(zdb_signer_t *s)
{
	if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) {
		return;
	}
	for (size_t i = 0; i < s->key_count; i++) {
		dnssec_key_free(s->owned[i]);
	}
	free(s);
}

void zdb_signer_policy(const zdb_signer_t *s, uint32_t now, zsign_policy_t *out)
{
	*out = (zsign_policy_t){
		.apex = s->apex,
		.keys = s->keys,
		.key_count = s->key_count,
		.now = now,
		.inception = now - 3600, /* validators with clocks behind ours */
		.expiration = now + s->lifetime,
		.refresh = s->refresh,
	};
}

uint64_t zdb_signer_keyset(const zdb_signer_t *s)
{
	return s->keyset;
}

static void on_gen_free(void *p)
{
	zdb_signer_unref(p);
}

void zdb_zone_set_signer(zdb_zone_t *z, zdb_signer_t *s)
{
	if (s == NULL) {
		return;
	}
	if (!arena_add_cleanup(&z->gen->mem, on_gen_free, s)) {
		zdb_signer_unref(s); /* the generation is over its budget: no online signing */
		return;
	}
	z->signer = s;
}

const zdb_signer_t *zdb_zone_signer(const zdb_zone_t *z)
{
	return z->signer;
}
