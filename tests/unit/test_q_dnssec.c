/* test_q_dnssec.c -- the store side of key rollovers (q_dnssec.c): the zones a scheduler
 * sees, and a rollover step in one transaction: key rows, serial, change-log row, and the
 * refusal of a step planned on keys that changed since. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/store.h"

typedef struct {
	char dir[64];
	store_t *st;
	arena_t arena;
	zone_t zone;
} fx_t;

static const uint8_t DNSKEY[] = { 1, 0, 3, 13, 0xaa };
static const uint8_t SEALED[] = { 1, 2, 3 };

static zone_key_t key(const char *role, uint16_t flags, uint16_t tag, int64_t t)
{
	return (zone_key_t){ .role = role, .algorithm = 13, .flags = flags, .keytag = tag,
			     .dnskey = DNSKEY, .dnskey_size = sizeof(DNSKEY), .sealed = SEALED,
			     .sealed_size = sizeof(SEALED), .created = t, .publish = t, .active = t };
}

static int setup(void **state)
{
	fx_t *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/nameplate-unit-XXXXXX");
	int applied = 0;
	store_opts_t opts = { .dir = mkdtemp(fx->dir) };
	if (opts.dir == NULL || store_open(&fx->st, NULL, &opts) != ERR_OK ||
	    store_migrate(fx->st, &applied) != ERR_OK) {
		return -1;
	}
	arena_init(&fx->arena, 0);
	store_bootstrap_t b = {
		.user = { .email = "a@example.com", .password_hash = "h" },
		.account = { .email = "a@example.com", .name = "A", .plan_identifier = "p" },
		.token = { .name = "t" },
		.token_digest = "d",
	};
	if (store_bootstrap(fx->st, &b) != ERR_OK) {
		return -1;
	}
	fx->zone = (zone_t){ .account_id = b.account.id, .name = "roll.test", .is_active = true };
	store_zone_new_t zn = { .zone = &fx->zone };
	if (store_zone_create(fx->st, &zn) != ERR_OK) {
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fx_t *fx = *state;
	arena_clear(&fx->arena);
	store_close(fx->st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	(void)!system(cmd);
	free(fx);
	return 0;
}

static size_t dnssec_changes(fx_t *fx)
{
	store_change_row_t *rows = NULL;
	size_t n = 0, count = 0;
	assert_int_equal(store_change_since(fx->st, &fx->arena, 0, 1000, &rows, &n), ERR_OK);
	for (size_t i = 0; i < n; i++) {
		count += strcmp(rows[i].kind, "dnssec") == 0;
	}
	return count;
}

static void test_rekey(void **state)
{
	fx_t *fx = *state;
	store_dnssec_zone_t *zones = NULL;
	size_t count = 0;
	assert_int_equal(store_dnssec_zones(fx->st, &fx->arena, &zones, &count), ERR_OK);
	assert_int_equal(count, 0);
	zone_key_t keys[2] = { key(ZONE_KEY_KSK, 257, 11, 1000), key(ZONE_KEY_ZSK, 256, 12, 1000) };
	store_dnssec_enable_t en = { .zone = &fx->zone, .keys = keys, .key_count = 2,
				     .policy = { .algorithm = 13, .layout = ZONE_KEYS_KSK_ZSK } };
	assert_int_equal(store_dnssec_enable(fx->st, &en), ERR_OK);

	assert_int_equal(store_dnssec_zones(fx->st, &fx->arena, &zones, &count), ERR_OK);
	assert_int_equal(count, 1);
	assert_int_equal(zones[0].zone_id, fx->zone.id);
	assert_int_equal(zones[0].account_id, fx->zone.account_id);
	assert_string_equal(zones[0].name, "roll.test");
	assert_int_equal(zones[0].policy.layout, ZONE_KEYS_KSK_ZSK);

	zone_key_t *got = NULL;
	size_t n = 0;
	assert_int_equal(store_dnssec_keys(fx->st, &fx->arena, 0, fx->zone.id, &got, &n), ERR_OK);
	assert_int_equal(n, 2);
	size_t changes = dnssec_changes(fx);

	/* publish: a key added, a new serial and a change-log row */
	zone_key_t added = key(ZONE_KEY_ZSK, 256, 13, 2000);
	added.active = 2062;
	store_dnssec_rekey_t rk = { .zone_id = fx->zone.id, .account_id = fx->zone.account_id,
				    .planned = got, .planned_count = n, .add = &added };
	assert_int_equal(store_dnssec_rekey(fx->st, &rk), ERR_OK);
	assert_true(rk.serial > en.serial);
	assert_true(added.id > 0);
	assert_int_equal(dnssec_changes(fx), changes + 1);

	/* the same step again, planned on the old keys: refused, nothing written */
	zone_key_t again = added;
	rk.add = &again;
	assert_int_equal(store_dnssec_rekey(fx->st, &rk), ERR_CONFLICT);
	zone_key_t *now = NULL;
	assert_int_equal(store_dnssec_keys(fx->st, &fx->arena, 0, fx->zone.id, &now, &n), ERR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(now[2].active, 2062);
	assert_int_equal(dnssec_changes(fx), changes + 1);

	/* activate: the old ZSK's timing changes */
	zone_key_t change = now[1];
	change.retire = 2062;
	change.remove = 2124;
	store_dnssec_rekey_t ra = { .zone_id = fx->zone.id, .account_id = fx->zone.account_id,
				    .planned = now, .planned_count = n, .change = &change };
	assert_int_equal(store_dnssec_rekey(fx->st, &ra), ERR_OK);
	assert_true(ra.serial > rk.serial);
	/* a step planned before that change is refused (its retire differs) */
	assert_int_equal(store_dnssec_rekey(fx->st, &ra), ERR_CONFLICT);

	/* remove */
	zone_key_t *after = NULL;
	assert_int_equal(store_dnssec_keys(fx->st, &fx->arena, 0, fx->zone.id, &after, &n), ERR_OK);
	assert_int_equal(after[1].retire, 2062);
	assert_int_equal(after[1].remove, 2124);
	store_dnssec_rekey_t rr = { .zone_id = fx->zone.id, .account_id = fx->zone.account_id,
				    .planned = after, .planned_count = n, .delete_id = after[1].id };
	assert_int_equal(store_dnssec_rekey(fx->st, &rr), ERR_OK);
	assert_int_equal(store_dnssec_keys(fx->st, &fx->arena, 0, fx->zone.id, &got, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].keytag, 11);
	assert_int_equal(got[1].keytag, 13);
	assert_int_equal(dnssec_changes(fx), changes + 3);

	/* DNSSEC disabled: a step is refused with ERR_STATE */
	zone_dnssec_t off;
	uint32_t serial = 0;
	assert_int_equal(store_dnssec_disable(fx->st, &fx->zone, &off, &serial), ERR_OK);
	store_dnssec_rekey_t rd = { .zone_id = fx->zone.id, .account_id = fx->zone.account_id };
	assert_int_equal(store_dnssec_rekey(fx->st, &rd), ERR_STATE);
	assert_int_equal(store_dnssec_zones(fx->st, &fx->arena, &zones, &count), ERR_OK);
	assert_int_equal(count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
