/* test_page.c -- pagination and sorting parameters, shared by every list endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"

static api_req_t req_with(arena_t *a, json_t *query)
{
	api_req_t r = { .arena = a, .query = query };
	return r;
}

static void test_page(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	json_t *q = json_object();
	api_req_t r = req_with(&a, q);
	api_page_t p;
	assert_int_equal(api_page_parse(&r, &p), ERR_OK);
	assert_int_equal(p.page, 1);
	assert_int_equal(p.per_page, 30);
	json_object_set_new(q, "page", json_string("3"));
	json_object_set_new(q, "per_page", json_string("500"));
	assert_int_equal(api_page_parse(&r, &p), ERR_OK);
	assert_int_equal(p.page, 3);
	assert_int_equal(p.per_page, 100);
	json_object_set_new(q, "page", json_string("0"));
	assert_int_equal(api_page_parse(&r, &p), ERR_INVALID);
	assert_non_null(json_object_get(r.errors, "page"));
	json_decref(r.errors);
	json_t *pj = api_page_json(&(api_page_t){ 1, 2 }, 5);
	char *s = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
	/* fixtures/v2/api/pages-1of3.http */
	assert_string_equal(s, "{\"current_page\":1,\"per_page\":2,\"total_entries\":5,\"total_pages\":3}");
	free(s);
	json_decref(pj);
	pj = api_page_json(&(api_page_t){ 1, 30 }, 0);
	assert_int_equal(json_integer_value(json_object_get(pj, "total_pages")), 0);
	json_decref(pj);
	json_decref(q);
	arena_clear(&a);
}

static void test_sort(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	static const char *const allowed[] = { "id", "name", "expiration", NULL };
	json_t *q = json_object();
	api_req_t r = req_with(&a, q);
	api_sort_t s;
	assert_int_equal(api_sort_parse(&r, allowed, &s), ERR_OK);
	assert_int_equal(s.count, 0);
	json_object_set_new(q, "sort", json_string("expiration:asc,id:desc"));
	assert_int_equal(api_sort_parse(&r, allowed, &s), ERR_OK);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.fields[0], "expiration");
	assert_false(s.is_desc[0]);
	assert_string_equal(s.fields[1], "id");
	assert_true(s.is_desc[1]);
	json_object_set_new(q, "sort", json_string("name"));
	assert_int_equal(api_sort_parse(&r, allowed, &s), ERR_OK);
	assert_false(s.is_desc[0]);
	json_object_set_new(q, "sort", json_string("secret:asc"));
	assert_int_equal(api_sort_parse(&r, allowed, &s), ERR_INVALID);
	assert_non_null(strstr(r.message, "secret"));
	json_object_set_new(q, "sort", json_string("id:sideways"));
	assert_int_equal(api_sort_parse(&r, allowed, &s), ERR_INVALID);
	json_decref(q);
	arena_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_sort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
