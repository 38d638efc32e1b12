/* rollover.h -- the timeline of automatic DNSSEC key rollovers (RFC 7583): pure functions
 * that, given a zone's keys and the time, say which step is due and what it writes.
 *
 * DESIGN. The scheduler (jobs/rollover.c) reads a zone's keys, asks roll_next() for the
 * one step that is due, lets roll_apply() compute the rows it writes, and hands the store
 * one transaction (keys + serial + change-log row). Times are Unix seconds; a timing
 * column of 0 is "not set" (model/dnssec.h), and the dns role reads the columns as: a
 * key is published from `publish` until `remove`, and signs from `active` until `retire`.
 *
 * Schemes (docs/dnssec.md, "Key rollovers"):
 * - ksk-zsk layout: the ZSK rolls by Pre-Publication (RFC 7583 3.2.1). The KSK does not
 *   roll by itself (its DS is the parent's).
 * - csk layout: the CSK rolls by pre-publishing the new CSK (as a ZSK would), then, when
 *   it signs the zone, the old CSK keeps only the KSK half of its work (role "ksk": it
 *   signs the DNSKEY RRset beside the new one: RFC 7583 3.3.1 Double-KSK), so that the
 *   chain of trust holds whichever of the two DS the parent publishes. The old key goes
 *   once the parent's DS points at the new one (seen in the domain's DS records) and
 *   resolvers can no longer hold the old DS set, or after a configured wait.
 * One rollover at a time per zone: a new one starts only when the last one is over.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dnssec.h"

/* The settings the timeline follows (dnssec-* in conf_schema.c), in seconds. */
typedef struct roll_timers {
	int64_t zsk_lifetime;      /* ksk-zsk: a ZSK signs this long, then rolls; 0 = never */
	int64_t csk_lifetime;      /* csk: the same for the CSK; 0 = never */
	int64_t propagation_delay; /* Dprp: until every name server serves a new version */
	int64_t parent_ds_ttl;     /* csk: how long resolvers may hold the parent's old DS
				    * set after it changed (its TTL and the parent's delay) */
	int64_t ds_wait;           /* csk: the old CSK goes this long after the new one
				    * became active even if no DS for it was seen; 0 = wait
				    * for the DS */
} roll_timers_t;

/* The TTLs of the zone that the timeline waits on. */
typedef struct roll_ttls {
	uint32_t dnskey;           /* of the DNSKEY RRset (the signer gives it the SOA's) */
	uint32_t max;              /* the largest TTL in the zone (TTLsig) */
} roll_ttls_t;

/* A DS the parent holds (the domain's delegation signer records), as far as the timeline
 * compares it with a key: key tag and algorithm. */
typedef struct roll_ds {
	uint16_t keytag;
	uint8_t algorithm;
} roll_ds_t;

typedef enum {
	ROLL_NONE = 0,
	ROLL_PUBLISH,   /* keys[key] is past its lifetime: a successor is published now and
			 * becomes active at now + Ipub (Dprp + DNSKEY TTL; RFC 7583 3.2.1) */
	ROLL_ACTIVATE,  /* keys[next] became active: keys[key] stops signing the zone.
			 * A ZSK retires now and is removed at now + Iret (Dprp + max TTL);
			 * a CSK becomes a "ksk" that signs only the DNSKEY RRset */
	ROLL_DS_SEEN,   /* csk: the parent's DS points at keys[next] (or ds_wait passed):
			 * keys[key], the old CSK, retires and is removed at
			 * now + Dprp + parent DS TTL */
	ROLL_REMOVE,    /* keys[key]'s remove time passed: its row is deleted */
} roll_kind_t;

typedef struct roll_step {
	roll_kind_t kind;
	size_t key;     /* the outgoing key (index into keys) */
	size_t next;    /* ACTIVATE, DS_SEEN: the incoming key */
} roll_step_t;

/* "publish", "activate", ... for logs. */
const char *roll_kind_name(roll_kind_t kind);

/* The step due at `now` for a zone of this layout with keys[0 .. count-1] (oldest
 * first), ds[0 .. ds_count-1] the DS records the parent holds. Removals come first; then
 * the rollover in progress; then a new rollover when the signing key (ZSK, or CSK) has
 * signed for its lifetime and is the only key of its role. */
roll_step_t roll_next(zone_key_layout_t layout, const zone_key_t *keys, size_t count,
		      const roll_timers_t *t, const roll_ds_t *ds, size_t ds_count, int64_t now);

/* What step writes. For ACTIVATE and DS_SEEN, *changed gets keys[step->key] with its new
 * role and timing (same id). For PUBLISH, *added gets the new key's role, algorithm,
 * flags and timing (created = publish = now, active = now + Ipub); the caller generates
 * its key material. REMOVE writes nothing here (the row goes). Strings are static. */
void roll_apply(const roll_step_t *step, const zone_key_t *keys, const roll_timers_t *t,
		const roll_ttls_t *ttls, int64_t now, zone_key_t *changed, zone_key_t *added);

/* Seconds between two checks of the scheduler: a quarter of the shortest timer, within
 * [1, 60], so that a rollover with tiny timers (tests) is not late by much. */
int64_t roll_check_interval(const roll_timers_t *t);
