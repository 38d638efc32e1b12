/* test_arena.c -- arena allocation, budgets, cleanups; string builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/sbuf.h"

static int cleaned;
static void on_cleanup(void *p)
{
	cleaned += *(int *)p;
}

static void test_alloc_and_reset(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	char *s = arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	void *big = arena_alloc(&a, 100000); /* larger than a chunk */
	assert_non_null(big);
	memset(big, 1, 100000);
	unsigned char *z = arena_alloc_zero(&a, 64);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(z[i], 0);
	}
	assert_true(((uintptr_t)arena_alloc(&a, 3) & 15) == 0);
	static int one = 1, two = 2;
	arena_add_cleanup(&a, on_cleanup, &one);
	arena_add_cleanup(&a, on_cleanup, &two);
	cleaned = 0;
	arena_reset(&a);
	assert_int_equal(cleaned, 3);
	assert_string_equal(arena_printf(&a, "%d-%s", 7, "x"), "7-x");
	arena_clear(&a);
}

static void test_budget(void **state)
{
	arena_t a;
	arena_init(&a, 1024);
	assert_non_null(arena_alloc(&a, 512));
	assert_null(arena_alloc(&a, 1024));
	assert_null(arena_alloc_array(&a, SIZE_MAX / 2, 4)); /* overflow is refused */
	arena_clear(&a);
}

static void test_sbuf(void **state)
{
	sbuf_t b = SBUF_INIT;
	for (int i = 0; i < 1000; i++) {
		sbuf_printf(&b, "%d,", i % 10);
	}
	assert_int_equal(b.len, 2000);
	assert_int_equal(strlen(b.p), 2000);
	char *s = sbuf_take(&b);
	assert_null(b.p);
	assert_memory_equal(s, "0,1,2,", 6);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_and_reset),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_sbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
