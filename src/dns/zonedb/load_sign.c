/* load_sign.c -- the loader signs the zones that have DNSSEC enabled, with their keys from
 * the store (sealed there; opened here with the deployment secret, dns/dnssec keys.c).
 *
 * A key's state at the time of the build follows its RFC 7583 timing columns (0 = not
 * set): published from `publish` until `remove`, signing from `active` until `retire`.
 * A rollover scheduler moves those times and bumps the zone's serial when one passes,
 * which brings the zone here again.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/dnssec/dnssec.h"
#include "dns/zonedb/load.h"

typedef struct loaded_key {
	dnskey_pair_t pair;
	dnssec_key_t *key;
} loaded_key_t;

static uint8_t roles_of(const char *role)
{
	if (strcmp(role, ZONE_KEY_KSK) == 0) {
		return ZSIGN_KEY_KSK;
	}
	if (strcmp(role, ZONE_KEY_ZSK) == 0) {
		return ZSIGN_KEY_ZSK;
	}
	return ZSIGN_KEY_CSK;
}

/* One stored key opened: its signing key and its state at now. */
static int open_key(const dnskey_secret_t *secret, const zone_key_t *k, const char *zone,
		    int64_t now, loaded_key_t *lk, zdb_key_t *out)
{
	uint8_t *pem = NULL;
	size_t pem_size = 0;
	int ret = dnskey_unseal(secret, k->sealed, k->sealed_size, &pem, &pem_size);
	if (ret == ERR_OK) {
		ret = dnskey_from_pem((const char *)pem, pem_size, k->algorithm, k->flags, &lk->pair);
		dnskey_plain_free(pem, pem_size);
	}
	if (ret == ERR_OK) {
		ret = dnskey_load(&lk->pair, zone, &lk->key);
	}
	if (ret == ERR_OK) {
		ret = zsign_key_init(&out->sign, lk->key, roles_of(k->role));
	}
	if (ret != ERR_OK) {
		return ret;
	}
	out->dnskey = lk->pair.rdata;
	out->dnskey_size = (uint16_t)lk->pair.rdata_size;
	out->is_published = (k->publish == 0 || now >= k->publish) &&
			    (k->remove == 0 || now < k->remove);
	out->is_active = out->is_published && (k->active == 0 || now >= k->active) &&
			 (k->retire == 0 || now < k->retire);
	return ERR_OK;
}

/* The active keys go to the version's signer (dns/query signs ALIAS, URL and POOL
 * answers with them): ownership moves, so they are not freed below. */
static void attach_signer(zdb_zone_t *z, const zdb_sign_conf_t *conf, loaded_key_t *loaded,
			  const zdb_key_t *zk, size_t count)
{
	zdb_signer_t *s = zdb_signer_new(zdb_zone_apex(z), conf->rrsig_lifetime,
					 conf->rrsig_refresh);
	for (size_t i = 0; i < count; i++) {
		if (zk[i].is_active && zdb_signer_add_key(s, loaded[i].key, zk[i].sign.roles,
							  zk[i].dnskey, zk[i].dnskey_size) == ERR_OK) {
			loaded[i].key = NULL;
		}
	}
	zdb_zone_set_signer(z, s);
}

int zdb_load_sign(store_t *st, const zdb_sign_conf_t *conf, const char *zone_name,
		  zdb_zone_t *z, const zdb_zone_t *prev, uint32_t *refresh_at)
{
	arena_t a;
	arena_init(&a, 0);
	zone_dnssec_t state;
	int ret = store_dnssec_get(st, &a, 0, zdb_zone_id(z), &state);
	if (ret != ERR_OK || !state.is_enabled) {
		arena_clear(&a);
		return ret == ERR_OK || ret == ERR_NOTFOUND ? ERR_NOTFOUND : ret;
	}
	zone_key_t *keys = NULL;
	size_t count = 0;
	dnskey_secret_t secret;
	ret = store_dnssec_keys(st, &a, 0, zdb_zone_id(z), &keys, &count);
	if (ret == ERR_OK) {
		ret = dnskey_secret_load(conf->secret_path, false, &secret);
		if (ret != ERR_OK) {
			log_err("zone %s, DNSSEC keys cannot be opened: secret file %s (%s)", zone_name,
				conf->secret_path, err_str(ret));
		}
	}
	if (ret != ERR_OK) {
		arena_clear(&a);
		return ret;
	}
	loaded_key_t *loaded = xcalloc(count + 1, sizeof(*loaded));
	zdb_key_t *zk = xcalloc(count + 1, sizeof(*zk));
	zsign_key_t *active = xcalloc(count + 1, sizeof(*active));
	size_t n_active = 0;
	int64_t now = time_now(); /* the clock of the keys' timestamps (time() may lag it) */
	for (size_t i = 0; i < count && ret == ERR_OK; i++) {
		ret = open_key(&secret, &keys[i], zone_name, now, &loaded[i], &zk[i]);
		if (ret == ERR_OK && zk[i].is_active) {
			active[n_active++] = zk[i].sign;
		}
	}
	dnskey_secret_clear(&secret);
	const char *why = NULL;
	if (ret != ERR_OK) {
		why = "a key could not be opened";
	} else if (n_active == 0) {
		why = "no active key";
		ret = ERR_INVALID;
	} else {
		uint32_t t = (uint32_t)now;
		zsign_policy_t p = {
			.apex = zdb_zone_apex(z),
			.keys = active,
			.key_count = n_active,
			.now = t,
			.inception = t - 3600, /* validators with clocks behind ours */
			.expiration = t + conf->rrsig_lifetime,
			.refresh = conf->rrsig_refresh,
			.jitter = conf->rrsig_refresh / 4,
		};
		ret = zdb_zone_sign(z, prev, &p, zk, count, conf->threads, refresh_at, &why);
		if (ret == ERR_OK) {
			attach_signer(z, conf, loaded, zk, count);
		}
	}
	if (ret != ERR_OK) {
		log_err("zone %s, not signed (%s)", zone_name, why);
	}
	for (size_t i = 0; i < count; i++) {
		dnssec_key_free(loaded[i].key);
		dnskey_clear(&loaded[i].pair);
	}
	free(loaded);
	free(zk);
	free(active);
	arena_clear(&a);
	return ret;
}
