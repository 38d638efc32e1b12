/* test_scope.c -- token scopes: parsing and granting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/scope.h"

static void test_valid(void **state)
{
	assert_true(scope_is_valid("zones:*:read"));
	assert_true(scope_is_valid("zones:example.com:write"));
	assert_true(scope_is_valid("registrar:example.com:write"));
	assert_false(scope_is_valid("zones:*:delete"));
	assert_false(scope_is_valid("zones::read"));
	assert_false(scope_is_valid("zones:read"));
	assert_false(scope_is_valid(":*:read"));
	assert_false(scope_is_valid("a:b:c:read"));
}

static void test_grants(void **state)
{
	scope_need_t zr = { "zones", "example.com", SCOPE_READ };
	scope_need_t zw = { "zones", "example.com", SCOPE_WRITE };
	scope_need_t other = { "zones", "other.com", SCOPE_READ };
	scope_need_t dr = { "domains", "*", SCOPE_READ };
	assert_true(scope_grants(NULL, &zw));          /* unscoped token */
	assert_true(scope_grants("", &zw));
	assert_true(scope_grants("zones:*:read", &zr));
	assert_false(scope_grants("zones:*:read", &zw));
	assert_true(scope_grants("zones:example.com:write", &zr)); /* write implies read */
	assert_true(scope_grants("zones:EXAMPLE.com:write", &zw)); /* names are case-blind */
	assert_false(scope_grants("zones:example.com:write", &other));
	assert_false(scope_grants("zones:*:write", &dr));
	assert_true(scope_grants("zones:*:read domains:*:read", &dr));
	assert_false(scope_grants("bogus", &dr));
}

static void test_format(void **state)
{
	char buf[64];
	scope_need_t need = { "domains", "*", SCOPE_READ };
	scope_format(&need, buf, sizeof(buf));
	assert_string_equal(buf, "domains:*:read");
	need = (scope_need_t){ "registrar", "example.com", SCOPE_WRITE };
	scope_format(&need, buf, sizeof(buf));
	assert_string_equal(buf, "registrar:example.com:write");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_grants),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
