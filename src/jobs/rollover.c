/* rollover.c -- the key rollover scheduler of the jobs role: every zone with DNSSEC
 * enabled rolls its signing key (the ZSK, or the CSK) on the RFC 7583 timeline of
 * model/rollover.h.
 *
 * DESIGN. One thread. Every check interval (a quarter of the shortest rollover timer,
 * within [1 s, 60 s]: roll_check_interval) it reads the zones with DNSSEC enabled and
 * their keys from the store, asks roll_next() which step is due for each, and writes it
 * through store_dnssec_rekey(): the key rows, a new serial and a 'dnssec' change-log row
 * in one transaction, so every dns role signs the zone again with the keys in their new
 * state. A step writes at most one key, and a zone takes one step per check. New keys are
 * made here (dns/dnssec keys.c) and sealed with the deployment secret before they reach
 * the store, as enabling does in the api.
 *
 * The store is the only state: a restart, or another process running the jobs role on
 * the same store, picks the timeline up from the key rows. Two schedulers racing on one
 * zone do not both write: the store refuses a step planned on keys that changed since
 * (ERR_CONFLICT), and the loser plans again at its next check.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/dnssec/dnssec.h"
#include "jobs/jobs_internal.h"
#include "model/rollover.h"

#define DS_MAX 100 /* DS records of a domain read to look for the new CSK's */

struct rollover {
	const conf_t *conf;
	store_t *st;
	roll_timers_t timers;
	int64_t interval_ms;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool is_stopping;
	bool is_started;
	pthread_t thread;
};

rollover_t *rollover_new(const conf_t *conf, store_t *st)
{
	rollover_t *r = xcalloc(1, sizeof(*r));
	r->conf = conf;
	r->st = st;
	r->timers = (roll_timers_t){
		.zsk_lifetime = conf->dnssec_zsk_lifetime,
		.csk_lifetime = conf->dnssec_csk_lifetime,
		.propagation_delay = conf->dnssec_propagation_delay,
		.parent_ds_ttl = conf->dnssec_parent_ds_ttl,
		.ds_wait = conf->dnssec_ds_wait,
	};
	r->interval_ms = roll_check_interval(&r->timers) * 1000;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &ca);
	pthread_condattr_destroy(&ca);
	return r;
}

/* The DS records of the zone's domain: what the parent holds, as far as we know. */
static size_t parent_ds(rollover_t *r, arena_t *a, const store_dnssec_zone_t *z, roll_ds_t *out)
{
	if (z->domain_id == 0) {
		return 0;
	}
	store_list_t q = { .offset = 0, .limit = DS_MAX };
	ds_record_t *list = NULL;
	size_t count = 0, n = 0;
	int64_t total = 0;
	if (store_ds_list(r->st, a, z->account_id, z->domain_id, &q, &list, &count, &total) !=
	    ERR_OK) {
		return 0;
	}
	for (size_t i = 0; i < count && n < DS_MAX; i++) {
		if (list[i].keytag != NULL && list[i].algorithm != NULL) {
			out[n++] = (roll_ds_t){ .keytag = (uint16_t)atoi(list[i].keytag),
						.algorithm = (uint8_t)atoi(list[i].algorithm) };
		}
	}
	return n;
}

/* The secret-key-file setting, or secret.key in the data directory (as the api's). */
static const char *secret_path(const conf_t *conf, arena_t *a)
{
	if (conf->secret_key_file != NULL && conf->secret_key_file[0] != '\0') {
		return conf->secret_key_file;
	}
	return arena_printf(a, "%s/secret.key", conf->data);
}

/* Key material for the key roll_apply() described: generated, its private half sealed;
 * the bytes live in the arena. */
static int key_material(rollover_t *r, arena_t *a, zone_key_t *k)
{
	dnskey_secret_t secret;
	int ret = dnskey_secret_load(secret_path(r->conf, a), false, &secret);
	dnskey_pair_t pair = { 0 };
	if (ret == ERR_OK) {
		ret = dnskey_generate(k->algorithm, k->flags, &pair);
	}
	uint8_t *sealed = NULL;
	size_t sealed_size = 0;
	if (ret == ERR_OK) {
		ret = dnskey_seal(&secret, (const uint8_t *)pair.pem, pair.pem_size, &sealed,
				  &sealed_size);
	}
	dnskey_secret_clear(&secret);
	if (ret == ERR_OK) {
		uint8_t *rdata = arena_alloc(a, pair.rdata_size);
		uint8_t *blob = arena_alloc(a, sealed_size);
		ret = rdata != NULL && blob != NULL ? ERR_OK : ERR_TOOBIG;
		if (ret == ERR_OK) {
			memcpy(rdata, pair.rdata, pair.rdata_size);
			memcpy(blob, sealed, sealed_size);
			k->keytag = pair.keytag;
			k->dnskey = rdata;
			k->dnskey_size = pair.rdata_size;
			k->sealed = blob;
			k->sealed_size = sealed_size;
		}
	}
	free(sealed);
	dnskey_clear(&pair);
	return ret;
}

/* Plan and write the one step due for zone z. */
static void roll_zone(rollover_t *r, arena_t *a, const store_dnssec_zone_t *z, int64_t now)
{
	zone_key_t *keys = NULL;
	size_t count = 0;
	if (store_dnssec_keys(r->st, a, 0, z->zone_id, &keys, &count) != ERR_OK || count == 0) {
		return;
	}
	roll_ds_t *ds = NULL;
	size_t ds_count = 0;
	if (z->policy.layout == ZONE_KEYS_CSK && count > 1) {
		ds = arena_alloc_array(a, DS_MAX, sizeof(*ds));
		ds_count = ds != NULL ? parent_ds(r, a, z, ds) : 0;
	}
	roll_step_t s = roll_next(z->policy.layout, keys, count, &r->timers, ds, ds_count, now);
	if (s.kind == ROLL_NONE) {
		return;
	}
	roll_ttls_t ttls = { .dnskey = z->soa_ttl, .max = z->max_ttl };
	zone_key_t changed = { 0 }, added = { 0 };
	roll_apply(&s, keys, &r->timers, &ttls, now, &changed, &added);
	store_dnssec_rekey_t rk = { .zone_id = z->zone_id, .account_id = z->account_id,
				    .planned = keys, .planned_count = count };
	int ret = ERR_OK;
	if (s.kind == ROLL_PUBLISH) {
		ret = key_material(r, a, &added);
		rk.add = &added;
	} else if (s.kind == ROLL_REMOVE) {
		rk.delete_id = keys[s.key].id;
	} else {
		rk.change = &changed;
	}
	if (ret == ERR_OK) {
		ret = store_dnssec_rekey(r->st, &rk);
	}
	const zone_key_t *k = &keys[s.key];
	if (ret == ERR_OK) {
		log_info("zone %s, key rollover: %s, %s key %u%s%u, serial %u", z->name,
			 roll_kind_name(s.kind), k->role, k->keytag,
			 s.kind == ROLL_PUBLISH ? ", new key " : s.kind == ROLL_REMOVE ? "" : ", to ",
			 s.kind == ROLL_PUBLISH ? added.keytag : keys[s.next].keytag, rk.serial);
	} else if (ret != ERR_CONFLICT && ret != ERR_STATE) {
		log_err("zone %s, key rollover: %s of %s key %u failed (%s)", z->name,
			roll_kind_name(s.kind), k->role, k->keytag, err_str(ret));
	}
}

static void tick(rollover_t *r)
{
	arena_t a;
	arena_init(&a, 0);
	store_dnssec_zone_t *zones = NULL;
	size_t count = 0;
	if (store_dnssec_zones(r->st, &a, &zones, &count) == ERR_OK) {
		int64_t now = time_now();
		for (size_t i = 0; i < count; i++) {
			roll_zone(r, &a, &zones[i], now);
		}
	}
	arena_clear(&a);
}

static void *run(void *arg)
{
	rollover_t *r = arg;
	for (;;) {
		tick(r);
		pthread_mutex_lock(&r->lock);
		if (!r->is_stopping) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += r->interval_ms / 1000;
			ts.tv_nsec += (r->interval_ms % 1000) * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->wake, &r->lock, &ts);
		}
		bool is_stopping = r->is_stopping;
		pthread_mutex_unlock(&r->lock);
		if (is_stopping) {
			return NULL;
		}
	}
}

int rollover_start(rollover_t *r)
{
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		return ERR_INTERNAL;
	}
	r->is_started = true;
	log_info("jobs, key rollover scheduler started (checks every %lld s)",
		 (long long)(r->interval_ms / 1000));
	return ERR_OK;
}

void rollover_free(rollover_t *r)
{
	if (r == NULL) {
		return;
	}
	pthread_mutex_lock(&r->lock);
	r->is_stopping = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	if (r->is_started) {
		pthread_join(r->thread, NULL);
	}
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
