/* test_json.c -- bounded body parsing and lenient reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/json.h"

static void test_parse_body(void **state)
{
	char msg[256];
	json_t *v = json_parse_body("{\"a\":1}", 7, msg, sizeof(msg));
	assert_non_null(v);
	json_decref(v);
	assert_null(json_parse_body("{\"a\":", 5, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "Invalid JSON"));
	assert_null(json_parse_body("[1,2]", 5, msg, sizeof(msg)));
	assert_null(json_parse_body("{\"a\":1,\"a\":2}", 13, msg, sizeof(msg)));
	char deep[200];
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	memset(deep + n, '[', 40);
	n += 40;
	memset(deep + n, ']', 40);
	n += 40;
	deep[n++] = '}';
	deep[n] = '\0';
	assert_null(json_parse_body(deep, strlen(deep), msg, sizeof(msg)));
	assert_non_null(strstr(msg, "deeper"));
}

static void test_lenient_int(void **state)
{
	json_t *o = json_pack("{s:i,s:s,s:s,s:n}", "n", 5, "s", "3600", "bad", "12x", "null");
	int64_t v = 0;
	bool present = false;
	assert_true(json_get_int_lenient(o, "n", &v, &present));
	assert_int_equal(v, 5);
	assert_true(json_get_int_lenient(o, "s", &v, &present));
	assert_int_equal(v, 3600);
	assert_false(json_get_int_lenient(o, "bad", &v, &present));
	assert_true(present);
	assert_false(json_get_int_lenient(o, "null", &v, &present));
	assert_false(present);
	assert_false(json_get_int_lenient(o, "missing", &v, &present));
	assert_false(present);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_body),
		cmocka_unit_test(test_lenient_int),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
