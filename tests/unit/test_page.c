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

/* A list body written row by row (reply_page_open, record_json_write, reply_page_close):
 * byte for byte fixtures/v2/api/listZoneRecords/success.http (its first two records). */
static void test_page_written(void **state)
{
	const rrtype_t *soa = rrtype_find("SOA"), *ns = rrtype_find("NS");
	assert_non_null(soa);
	assert_non_null(ns);
	record_t rs[2] = {
		{ .id = 1, .zone_name = "example.com", .name = "", .type = soa, .ttl = 3600,
		  .content = "ns1.dnsimple.com admin.dnsimple.com 1458642070 86400 7200 604800 300",
		  .regions = "global", .is_system = true, .created_at = 1458642053,
		  .updated_at = 1475659598 },
		{ .id = 69061, .zone_name = "example.com", .name = "", .type = ns, .ttl = 3600,
		  .content = "ns1.dnsimple.com", .regions = NULL, .is_system = true,
		  .created_at = 1458642053, .updated_at = 1458642053 },
	};
	api_reply_t rep = { 0 };
	jsonw_t w;
	reply_page_open(&w, 2, 300);
	for (size_t i = 0; i < 2; i++) {
		record_json_write(&w, &rs[i]);
	}
	reply_page_close(&rep, &w, &(api_page_t){ 1, 30 }, 2);
	const char *want =
		"{\"data\":[{\"id\":1,\"zone_id\":\"example.com\",\"parent_id\":null,\"name\":\"\","
		"\"content\":\"ns1.dnsimple.com admin.dnsimple.com 1458642070 86400 7200 604800 300\","
		"\"ttl\":3600,\"priority\":null,\"type\":\"SOA\",\"regions\":[\"global\"],"
		"\"system_record\":true,\"created_at\":\"2016-03-22T10:20:53Z\","
		"\"updated_at\":\"2016-10-05T09:26:38Z\"},{\"id\":69061,\"zone_id\":\"example.com\","
		"\"parent_id\":null,\"name\":\"\",\"content\":\"ns1.dnsimple.com\",\"ttl\":3600,"
		"\"priority\":null,\"type\":\"NS\",\"regions\":[\"global\"],\"system_record\":true,"
		"\"created_at\":\"2016-03-22T10:20:53Z\",\"updated_at\":\"2016-03-22T10:20:53Z\"}],"
		"\"pagination\":{\"current_page\":1,\"per_page\":30,\"total_entries\":2,"
		"\"total_pages\":1}}";
	assert_int_equal(rep.status, 200);
	assert_null(rep.body);
	assert_string_equal(rep.content_type, "application/json; charset=utf-8");
	assert_int_equal(rep.raw_size, strlen(want));
	assert_string_equal(rep.raw, want);
	/* the tree of one record is the same object (getZoneRecord, webhook payloads) */
	json_t *one = record_to_json(&rs[1]);
	json_t *page = json_loads(rep.raw, 0, NULL);
	assert_true(json_equal(one, json_array_get(json_object_get(page, "data"), 1)));
	json_decref(one);
	json_decref(page);
	free(rep.raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_page_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
