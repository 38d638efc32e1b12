/* rollover.c -- the RFC 7583 timeline of automatic key rollovers (see rollover.h). */
#include <string.h>

#include "model/rollover.h"

const char *roll_kind_name(roll_kind_t kind)
{
	static const char *const names[] = {
		[ROLL_NONE] = "none",        [ROLL_PUBLISH] = "publish",
		[ROLL_ACTIVATE] = "activate", [ROLL_DS_SEEN] = "ds-seen",
		[ROLL_REMOVE] = "remove",
	};
	return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static bool has_role(const zone_key_t *k, const char *role)
{
	return k->role != NULL && strcmp(k->role, role) == 0;
}

/* When a key started signing: its active time, else its publish or creation time
 * (a zone's first keys are active from the start). */
static int64_t start_of(const zone_key_t *k)
{
	return k->active != 0 ? k->active : k->publish != 0 ? k->publish : k->created;
}

/* As the dns role reads the timing columns (dns/zonedb/load_sign.c). */
static bool is_signing(const zone_key_t *k, int64_t now)
{
	return (k->publish == 0 || now >= k->publish) && (k->remove == 0 || now < k->remove) &&
	       (k->active == 0 || now >= k->active) && (k->retire == 0 || now < k->retire);
}

/* The parent's DS points at k, or the configured wait since k became active passed. */
static bool is_ds_seen(const zone_key_t *k, const roll_timers_t *t, const roll_ds_t *ds,
		       size_t ds_count, int64_t now)
{
	for (size_t i = 0; i < ds_count; i++) {
		if (ds[i].keytag == k->keytag && ds[i].algorithm == k->algorithm) {
			return true;
		}
	}
	return t->ds_wait > 0 && now >= start_of(k) + t->ds_wait;
}

static roll_step_t step(roll_kind_t kind, size_t key, size_t next)
{
	return (roll_step_t){ .kind = kind, .key = key, .next = next };
}

roll_step_t roll_next(zone_key_layout_t layout, const zone_key_t *keys, size_t count,
		      const roll_timers_t *t, const roll_ds_t *ds, size_t ds_count, int64_t now)
{
	for (size_t i = 0; i < count; i++) {
		if (keys[i].remove != 0 && now >= keys[i].remove) {
			return step(ROLL_REMOVE, i, i);
		}
	}
	bool is_csk = layout == ZONE_KEYS_CSK;
	const char *role = is_csk ? ZONE_KEY_CSK : ZONE_KEY_ZSK;
	int64_t lifetime = is_csk ? t->csk_lifetime : t->zsk_lifetime;
	size_t live[2] = { 0, 0 }, n_live = 0, demoted = count;
	bool is_leaving = false; /* a key of the last rollover is still on its way out */
	for (size_t i = 0; i < count; i++) {
		if (has_role(&keys[i], role) && keys[i].retire == 0) {
			if (n_live < 2) {
				live[n_live] = i;
			}
			n_live++;
		} else if (has_role(&keys[i], role)) {
			is_leaving = true;
		} else if (is_csk && has_role(&keys[i], ZONE_KEY_KSK)) {
			/* an old CSK that signs only the DNSKEY RRset (ROLL_ACTIVATE) */
			is_leaving = true;
			demoted = keys[i].retire == 0 ? i : demoted;
		}
	}
	if (demoted < count && n_live == 1) {
		return is_ds_seen(&keys[live[0]], t, ds, ds_count, now)
			       ? step(ROLL_DS_SEEN, demoted, live[0])
			       : step(ROLL_NONE, 0, 0);
	}
	if (n_live == 2) {
		/* keys are oldest first: on equal start times the later row is the successor */
		size_t old = live[0], new = live[1];
		if (start_of(&keys[new]) < start_of(&keys[old])) {
			old = live[1];
			new = live[0];
		}
		const zone_key_t *k = &keys[new];
		return k->active != 0 && now >= k->active ? step(ROLL_ACTIVATE, old, new)
							  : step(ROLL_NONE, 0, 0);
	}
	if (n_live == 1 && !is_leaving && lifetime > 0) {
		const zone_key_t *k = &keys[live[0]];
		if (is_signing(k, now) && now >= start_of(k) + lifetime) {
			return step(ROLL_PUBLISH, live[0], live[0]);
		}
	}
	return step(ROLL_NONE, 0, 0);
}

void roll_apply(const roll_step_t *s, const zone_key_t *keys, const roll_timers_t *t,
		const roll_ttls_t *ttls, int64_t now, zone_key_t *changed, zone_key_t *added)
{
	const zone_key_t *k = &keys[s->key];
	switch (s->kind) {
	case ROLL_PUBLISH:
		/* RFC 7583 3.2.1: Ipub = Dprp + TTLkey before the new key may sign. */
		*added = (zone_key_t){
			.zone_id = k->zone_id,
			.role = has_role(k, ZONE_KEY_CSK) ? ZONE_KEY_CSK : ZONE_KEY_ZSK,
			.algorithm = k->algorithm, /* an algorithm rollover is another scheme */
			.flags = k->flags,
			.created = now,
			.publish = now,
			.active = now + t->propagation_delay + ttls->dnskey,
		};
		break;
	case ROLL_ACTIVATE:
		*changed = *k;
		if (has_role(k, ZONE_KEY_CSK)) {
			/* RFC 7583 3.3.1: the DNSKEY RRset stays signed by the key the parent's
			 * DS may still point at; the rest of the zone by the new key. */
			changed->role = ZONE_KEY_KSK;
		} else {
			/* RFC 7583 3.2.1: Iret = Dsgn + Dprp + TTLsig; the zone is signed anew at
			 * once (Dsgn = 0), TTLsig is at most the zone's largest TTL. */
			changed->retire = now;
			changed->remove = now + t->propagation_delay + ttls->max;
		}
		break;
	case ROLL_DS_SEEN:
		/* Until every cached DS set is the new one, the old key signs the DNSKEY
		 * RRset: it stops signing when it is removed. */
		*changed = *k;
		changed->retire = changed->remove = now + t->propagation_delay + t->parent_ds_ttl;
		break;
	case ROLL_NONE:
	case ROLL_REMOVE:
		break;
	}
}

int64_t roll_check_interval(const roll_timers_t *t)
{
	const int64_t v[] = { t->zsk_lifetime, t->csk_lifetime, t->propagation_delay,
			      t->parent_ds_ttl, t->ds_wait };
	int64_t shortest = 240;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i] > 0 && v[i] < shortest) {
			shortest = v[i];
		}
	}
	int64_t s = shortest / 4;
	return s < 1 ? 1 : s > 60 ? 60 : s;
}
