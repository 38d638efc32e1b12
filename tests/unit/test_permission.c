/* test_permission.c -- what each role may do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/permission.h"

static const char *doms[] = { "example.com", NULL };
static const char *zones[] = { "zone.test", NULL };

static void test_owner_admin(void **state)
{
	membership_t m = { .role = ROLE_OWNER };
	permission_need_t n = { "contacts", NULL, SCOPE_WRITE, true, false };
	assert_true(permission_allows(&m, &n));
	m.role = ROLE_ADMIN;
	assert_true(permission_allows(&m, &n));
}

static void test_domain_manager(void **state)
{
	membership_t m = { .role = ROLE_DOMAIN_MANAGER, .domains = doms };
	permission_need_t n = { "domains", "example.com", SCOPE_WRITE, false, false };
	assert_true(permission_allows(&m, &n));
	n.name = "EXAMPLE.COM";
	assert_true(permission_allows(&m, &n));
	n.name = "other.com";
	assert_false(permission_allows(&m, &n));
	n = (permission_need_t){ "zones", "example.com", SCOPE_WRITE, false, true };
	assert_true(permission_allows(&m, &n));
	n = (permission_need_t){ "domains", NULL, SCOPE_READ, false, false };
	assert_true(permission_allows(&m, &n)); /* lists are filtered, not refused */
	n.access = SCOPE_WRITE;
	assert_false(permission_allows(&m, &n)); /* no new domains */
	n = (permission_need_t){ "contacts", NULL, SCOPE_READ, false, false };
	assert_false(permission_allows(&m, &n));
	n = (permission_need_t){ NULL, NULL, SCOPE_READ, true, false };
	assert_false(permission_allows(&m, &n));
	assert_true(permission_sees(&m, "domains", "example.com"));
	assert_false(permission_sees(&m, "domains", "other.com"));
}

static void test_zone_operator(void **state)
{
	membership_t m = { .role = ROLE_ZONE_OPERATOR, .zones = zones };
	permission_need_t n = { "zones", "zone.test", SCOPE_WRITE, false, true };
	assert_true(permission_allows(&m, &n));
	n.is_record_op = false; /* e.g. deactivating the zone */
	assert_false(permission_allows(&m, &n));
	n = (permission_need_t){ "zones", "zone.test", SCOPE_READ, false, false };
	assert_true(permission_allows(&m, &n));
	n.name = "other.test";
	assert_false(permission_allows(&m, &n));
	n = (permission_need_t){ "domains", "zone.test", SCOPE_READ, false, false };
	assert_false(permission_allows(&m, &n));
	n = (permission_need_t){ NULL, NULL, SCOPE_READ, false, false };
	assert_true(permission_allows(&m, &n)); /* whoami */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_admin),
		cmocka_unit_test(test_domain_manager),
		cmocka_unit_test(test_zone_operator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
