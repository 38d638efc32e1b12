/* fuzz_analytics.c -- libFuzzer target for queryDnsAnalytics' query-string arguments
 * (api/res/analytics.c: groupings, start_date, end_date, page, per_page, sort).
 *
 * Input: the six values separated by NULs, in that order (missing ones are absent).
 * Checks what the store and the reply rely on when the arguments are accepted: at most
 * three distinct known groupings, real dates with start <= end <= start + 31 days,
 * page >= 0, per_page in 1..10000, sort fields the endpoint knows; and that the "query"
 * and "data" objects can be built. Any violation aborts.
 * Seeds: tests/fuzz/corpus/analytics/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The handler's static parsers, reached the way STYLE.md 12 allows (rarely). */
#include "../../src/api/res/analytics.c"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_analytics: %s\n", what);
		abort();
	}
}

static void check_args(const analytics_args_t *a)
{
	check(a->group_count >= 0 && a->group_count <= GROUPINGS_MAX, "grouping count");
	for (int i = 0; i < a->group_count; i++) {
		for (int j = 0; j < i; j++) {
			check(a->groups[i] != a->groups[j], "duplicate grouping");
		}
	}
	int64_t start = 0, end = 0;
	check(parse_date(a->start, &start) && parse_date(a->end, &end), "dates");
	check(start <= end && end - start <= RANGE_MAX_DAYS, "date range");
	check(a->page >= 0 && a->per_page >= 1 && a->per_page <= PER_PAGE_MAX, "page");
	for (int i = 0; i < a->sort.count; i++) {
		bool is_known = false;
		for (size_t k = 0; sort_fields[k] != NULL; k++) {
			is_known |= a->sort.fields[i] == sort_fields[k];
		}
		check(is_known, "sort field");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "groupings", "start_date", "end_date", "page",
					     "per_page", "sort" };
	arena_t arena;
	arena_init(&arena, 1 << 20);
	api_req_t req = { .arena = &arena, .query = json_object() };
	req.account.id = 1;
	size_t off = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && off < size; i++) {
		const uint8_t *end = memchr(data + off, 0, size - off);
		size_t len = end != NULL ? (size_t)(end - (data + off)) : size - off;
		json_object_set_new(req.query, names[i],
				    json_stringn_nocheck((const char *)data + off, len));
		off += len + 1;
	}
	analytics_args_t a;
	if (parse_args(&req, &a) == ERR_OK) {
		check_args(&a);
		store_analytics_row_t row = { .zone_name = "example.com", .date = a.start,
					      .volume = 1 };
		json_t *q = query_json(&req, &a), *d = data_json(&a, &row, 1);
		check(q != NULL && d != NULL, "reply objects");
		check(json_array_size(json_object_get(d, "headers")) ==
			      json_array_size(json_array_get(json_object_get(d, "rows"), 0)),
		      "row width");
		json_decref(q);
		json_decref(d);
	}
	json_decref(req.errors);
	json_decref(req.query);
	arena_clear(&arena);
	return 0;
}
