/* test_ratelimit.c -- fixed windows: counting, refusing, resetting, many keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "api/ratelimit.h"

static void test_window(void **state)
{
	ratelimit_t *rl = ratelimit_new(60);
	ratelimit_result_t r;
	for (int i = 0; i < 3; i++) {
		ratelimit_hit(rl, "k", 3, 1000, &r);
		assert_true(r.is_allowed);
		assert_int_equal(r.remaining, 2 - i);
		assert_int_equal(r.reset, 1060);
	}
	ratelimit_hit(rl, "k", 3, 1030, &r);
	assert_false(r.is_allowed);
	assert_int_equal(r.remaining, 0);
	ratelimit_hit(rl, "other", 3, 1030, &r);
	assert_true(r.is_allowed);
	ratelimit_hit(rl, "k", 3, 1060, &r); /* the window has passed */
	assert_true(r.is_allowed);
	assert_int_equal(r.remaining, 2);
	assert_int_equal(r.reset, 1120);
	ratelimit_free(rl);
}

static void test_many_keys(void **state)
{
	ratelimit_t *rl = ratelimit_new(10);
	ratelimit_result_t r;
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "a:%d", i);
		ratelimit_hit(rl, key, 1, 100 + i / 1000 * 20, &r);
		assert_true(r.is_allowed);
	}
	ratelimit_hit(rl, "a:4999", 1, 180, &r);
	assert_false(r.is_allowed);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
