/* test_rollover.c -- model/rollover.c: the RFC 7583 timeline of automatic key rollovers,
 * step by step (roll_next, roll_apply) and run whole on a simulated clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "model/rollover.h"

#define T0 1700000000
#define MAX_KEYS 8

static const roll_timers_t TIMERS = {
	.zsk_lifetime = 20, .csk_lifetime = 30, .propagation_delay = 2, .parent_ds_ttl = 5,
	.ds_wait = 0,
};
static const roll_ttls_t TTLS = { .dnskey = 60, .max = 300 };

/* A zone's keys in memory, as the store would hold them after each step. */
typedef struct sim {
	zone_key_t keys[MAX_KEYS];
	size_t count;
	int64_t next_id;
} sim_t;

static zone_key_t *add(sim_t *s, const char *role, uint16_t flags, int64_t at)
{
	zone_key_t *k = &s->keys[s->count++];
	*k = (zone_key_t){ .id = ++s->next_id, .zone_id = 1, .role = role, .algorithm = 13,
			   .flags = flags, .keytag = (uint16_t)(1000 + s->next_id),
			   .created = at, .publish = at, .active = at };
	return k;
}

/* The step due at now, applied as the store would (true when one was taken). */
static bool run_step(sim_t *s, zone_key_layout_t layout, const roll_timers_t *t,
		     const roll_ds_t *ds, size_t ds_count, int64_t now, roll_step_t *out)
{
	roll_step_t st = roll_next(layout, s->keys, s->count, t, ds, ds_count, now);
	if (out != NULL) {
		*out = st;
	}
	zone_key_t changed = { 0 }, added = { 0 };
	roll_apply(&st, s->keys, t, &TTLS, now, &changed, &added);
	switch (st.kind) {
	case ROLL_NONE:
		return false;
	case ROLL_PUBLISH:
		added.id = ++s->next_id;
		added.keytag = (uint16_t)(1000 + added.id);
		s->keys[s->count++] = added;
		break;
	case ROLL_ACTIVATE:
	case ROLL_DS_SEEN:
		s->keys[st.key] = changed;
		break;
	case ROLL_REMOVE:
		memmove(&s->keys[st.key], &s->keys[st.key + 1],
			(s->count - st.key - 1) * sizeof(zone_key_t));
		s->count--;
		break;
	}
	return true;
}

static bool is_signing(const zone_key_t *k, int64_t now)
{
	return (k->publish == 0 || now >= k->publish) && (k->remove == 0 || now < k->remove) &&
	       (k->active == 0 || now >= k->active) && (k->retire == 0 || now < k->retire);
}

static void test_zsk_steps(void **state)
{
	sim_t s = { 0 };
	add(&s, ZONE_KEY_KSK, 257, T0);
	add(&s, ZONE_KEY_ZSK, 256, T0);
	roll_step_t st;
	/* within its lifetime: nothing */
	assert_false(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, T0 + 19, &st));
	assert_int_equal(st.kind, ROLL_NONE);
	/* past it: the successor is published, active after Dprp + DNSKEY TTL */
	int64_t t = T0 + 20;
	assert_true(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, t, &st));
	assert_int_equal(st.kind, ROLL_PUBLISH);
	assert_int_equal(st.key, 1);
	assert_int_equal(s.count, 3);
	const zone_key_t *n = &s.keys[2];
	assert_string_equal(n->role, ZONE_KEY_ZSK);
	assert_int_equal(n->flags, 256);
	assert_int_equal(n->algorithm, 13);
	assert_int_equal(n->publish, t);
	assert_int_equal(n->created, t);
	assert_int_equal(n->active, t + 2 + 60);
	assert_int_equal(n->retire, 0);
	assert_int_equal(n->remove, 0);
	assert_false(is_signing(n, t + 61));
	/* before Ipub passed: nothing, even though a lifetime passed again */
	assert_false(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, t + 61, NULL));
	/* at it: the old ZSK retires now and goes after Dprp + the largest TTL */
	int64_t ta = t + 62;
	assert_true(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, ta, &st));
	assert_int_equal(st.kind, ROLL_ACTIVATE);
	assert_int_equal(st.key, 1);
	assert_int_equal(st.next, 2);
	assert_int_equal(s.keys[1].retire, ta);
	assert_int_equal(s.keys[1].remove, ta + 2 + 300);
	assert_string_equal(s.keys[1].role, ZONE_KEY_ZSK);
	assert_false(is_signing(&s.keys[1], ta));
	assert_true(is_signing(&s.keys[2], ta));
	/* while the old key is on its way out no new rollover starts, lifetime or not */
	assert_false(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, ta + 301, NULL));
	/* removal */
	assert_true(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, ta + 302, &st));
	assert_int_equal(st.kind, ROLL_REMOVE);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.keys[0].role, ZONE_KEY_KSK);
	assert_int_equal(s.keys[1].keytag, 1003);
	/* the next rollover counts the lifetime from the new key's activation */
	assert_true(run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, ta + 303, &st));
	assert_int_equal(st.kind, ROLL_PUBLISH);
	/* the KSK never rolls by itself */
	for (size_t i = 0; i < s.count; i++) {
		assert_true(i == 0 || strcmp(s.keys[i].role, ZONE_KEY_ZSK) == 0);
	}
	assert_int_equal(s.keys[0].keytag, 1001);
}

static void test_zsk_lifetime_zero(void **state)
{
	sim_t s = { 0 };
	add(&s, ZONE_KEY_KSK, 257, T0);
	add(&s, ZONE_KEY_ZSK, 256, T0);
	roll_timers_t t = TIMERS;
	t.zsk_lifetime = 0;
	assert_false(run_step(&s, ZONE_KEYS_KSK_ZSK, &t, NULL, 0, T0 + 100000000, NULL));
	/* a csk-layout zone ignores the ZSK lifetime, ksk-zsk the CSK's */
	sim_t c = { 0 };
	add(&c, ZONE_KEY_CSK, 257, T0);
	t = TIMERS;
	t.csk_lifetime = 0;
	assert_false(run_step(&c, ZONE_KEYS_CSK, &t, NULL, 0, T0 + 100000000, NULL));
}

/* The whole rollover on a clock that ticks every second: at every instant some key
 * signs, and the sequence of steps is publish, activate, remove. */
static void test_zsk_whole(void **state)
{
	sim_t s = { 0 };
	add(&s, ZONE_KEY_KSK, 257, T0);
	add(&s, ZONE_KEY_ZSK, 256, T0);
	roll_kind_t seen[8];
	int64_t at[8];
	size_t n = 0;
	for (int64_t now = T0; now < T0 + 400 && n < 3; now++) {
		roll_step_t st;
		if (run_step(&s, ZONE_KEYS_KSK_ZSK, &TIMERS, NULL, 0, now, &st)) {
			seen[n] = st.kind;
			at[n++] = now;
		}
		size_t zsk_signing = 0;
		for (size_t i = 0; i < s.count; i++) {
			zsk_signing += strcmp(s.keys[i].role, ZONE_KEY_ZSK) == 0 &&
				       is_signing(&s.keys[i], now);
		}
		assert_true(zsk_signing >= 1);
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], ROLL_PUBLISH);
	assert_int_equal(seen[1], ROLL_ACTIVATE);
	assert_int_equal(seen[2], ROLL_REMOVE);
	assert_int_equal(at[0], T0 + 20);
	assert_int_equal(at[1], T0 + 20 + 62);
	assert_int_equal(at[2], T0 + 20 + 62 + 302);
}

static void test_csk(void **state)
{
	sim_t s = { 0 };
	add(&s, ZONE_KEY_CSK, 257, T0);
	roll_step_t st;
	assert_false(run_step(&s, ZONE_KEYS_CSK, &TIMERS, NULL, 0, T0 + 29, NULL));
	int64_t t = T0 + 30;
	assert_true(run_step(&s, ZONE_KEYS_CSK, &TIMERS, NULL, 0, t, &st));
	assert_int_equal(st.kind, ROLL_PUBLISH);
	assert_string_equal(s.keys[1].role, ZONE_KEY_CSK);
	assert_int_equal(s.keys[1].flags, 257);
	assert_int_equal(s.keys[1].active, t + 62);
	/* the new CSK signs the zone; the old one keeps signing the DNSKEY RRset only */
	int64_t ta = t + 62;
	assert_true(run_step(&s, ZONE_KEYS_CSK, &TIMERS, NULL, 0, ta, &st));
	assert_int_equal(st.kind, ROLL_ACTIVATE);
	assert_string_equal(s.keys[0].role, ZONE_KEY_KSK);
	assert_int_equal(s.keys[0].flags, 257);
	assert_int_equal(s.keys[0].retire, 0);
	assert_int_equal(s.keys[0].remove, 0);
	/* no DS for the new key at the parent: the old one stays, however long */
	roll_ds_t old_ds = { .keytag = s.keys[0].keytag, .algorithm = 13 };
	assert_false(run_step(&s, ZONE_KEYS_CSK, &TIMERS, &old_ds, 1, ta + 100000, NULL));
	/* a DS of another algorithm with the same tag is not the new key's */
	roll_ds_t ds[2] = { old_ds, { .keytag = s.keys[1].keytag, .algorithm = 15 } };
	assert_false(run_step(&s, ZONE_KEYS_CSK, &TIMERS, ds, 2, ta + 100000, NULL));
	/* the parent's DS names the new CSK: the old goes after Dprp + the DS TTL */
	ds[1].algorithm = 13;
	int64_t td = ta + 100001;
	assert_true(run_step(&s, ZONE_KEYS_CSK, &TIMERS, ds, 2, td, &st));
	assert_int_equal(st.kind, ROLL_DS_SEEN);
	assert_int_equal(st.key, 0);
	assert_int_equal(st.next, 1);
	assert_int_equal(s.keys[0].retire, td + 2 + 5);
	assert_int_equal(s.keys[0].remove, td + 2 + 5);
	assert_true(is_signing(&s.keys[0], td + 6)); /* still signs DNSKEY until it goes */
	assert_false(run_step(&s, ZONE_KEYS_CSK, &TIMERS, ds, 2, td + 6, NULL));
	assert_true(run_step(&s, ZONE_KEYS_CSK, &TIMERS, ds, 2, td + 7, &st));
	assert_int_equal(st.kind, ROLL_REMOVE);
	assert_int_equal(s.count, 1);
	assert_string_equal(s.keys[0].role, ZONE_KEY_CSK);
	assert_int_equal(s.keys[0].keytag, 1002);
}

static void test_csk_ds_wait(void **state)
{
	sim_t s = { 0 };
	add(&s, ZONE_KEY_CSK, 257, T0);
	roll_timers_t t = TIMERS;
	t.ds_wait = 50;
	assert_true(run_step(&s, ZONE_KEYS_CSK, &t, NULL, 0, T0 + 30, NULL));
	int64_t ta = s.keys[1].active;
	assert_true(run_step(&s, ZONE_KEYS_CSK, &t, NULL, 0, ta, NULL));
	assert_false(run_step(&s, ZONE_KEYS_CSK, &t, NULL, 0, ta + 49, NULL));
	roll_step_t st;
	assert_true(run_step(&s, ZONE_KEYS_CSK, &t, NULL, 0, ta + 50, &st));
	assert_int_equal(st.kind, ROLL_DS_SEEN);
}

/* Two keys of the role with no retire time: the one that starts later is the successor,
 * whatever the row order; with equal starts the later row. */
static void test_successor_order(void **state)
{
	sim_t s = { 0 };
	add(&s, ZONE_KEY_KSK, 257, T0);
	zone_key_t *newer = add(&s, ZONE_KEY_ZSK, 256, T0 + 100);
	add(&s, ZONE_KEY_ZSK, 256, T0);
	(void)newer;
	roll_step_t st = roll_next(ZONE_KEYS_KSK_ZSK, s.keys, s.count, &TIMERS, NULL, 0, T0 + 100);
	assert_int_equal(st.kind, ROLL_ACTIVATE);
	assert_int_equal(st.key, 2);
	assert_int_equal(st.next, 1);
	st = roll_next(ZONE_KEYS_KSK_ZSK, s.keys, s.count, &TIMERS, NULL, 0, T0 + 99);
	assert_int_equal(st.kind, ROLL_NONE);
}

static void test_interval(void **state)
{
	assert_int_equal(roll_check_interval(&TIMERS), 1);
	roll_timers_t d = { .zsk_lifetime = 2592000, .propagation_delay = 3600,
			    .parent_ds_ttl = 86400 };
	assert_int_equal(roll_check_interval(&d), 60);
	d.propagation_delay = 40;
	assert_int_equal(roll_check_interval(&d), 10);
	roll_timers_t z = { 0 };
	assert_int_equal(roll_check_interval(&z), 60);
	assert_string_equal(roll_kind_name(ROLL_DS_SEEN), "ds-seen");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zsk_steps),
		cmocka_unit_test(test_zsk_lifetime_zero),
		cmocka_unit_test(test_zsk_whole),
		cmocka_unit_test(test_csk),
		cmocka_unit_test(test_csk_ds_wait),
		cmocka_unit_test(test_successor_order),
		cmocka_unit_test(test_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
