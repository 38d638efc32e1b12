/* test_jsonw.c -- the direct JSON writer: escaping (against jansson's own dump), UTF-8,
 * nesting and commas, integers, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonw.h"
#include "core/timeutil.h"

/* The text of one string value written by jsonw; free with free(). */
static char *written(const char *s, size_t len)
{
	jsonw_t w;
	jsonw_init(&w, 0);
	jsonw_strn(&w, s, len);
	size_t n = 0;
	char *text = jsonw_take(&w, &n);
	assert_int_equal(n, strlen(text));
	return text;
}

/* What json_dumps() makes of the same string (the bodies before the writer). */
static char *dumped(const char *s, size_t len)
{
	json_t *v = json_stringn(s, len);
	assert_non_null(v);
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(v);
	return text;
}

static void same_as_jansson(const char *s, size_t len)
{
	char *a = written(s, len), *b = dumped(s, len);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_escapes(void **state)
{
	/* every control character, one by one and all together */
	char all[32];
	for (int c = 1; c < 32; c++) {
		char one[3] = { 'a', (char)c, 'b' };
		same_as_jansson(one, sizeof(one));
		all[c - 1] = (char)c;
	}
	same_as_jansson(all, 31);
	same_as_jansson("\0", 1); /* NUL inside a counted string: \u0000 */
	const char *cases[] = {
		"", "plain", "say \"hi\"", "back\\slash", "\\\"", "a/b", "del\x7f", "tab\there",
		"\"v=spf1 include:_spf.example.com ~all\"", "\"\\\\195\\\\188\"",
		"ünïcödé", "日本語", "🎉 emoji", "mixed \"ü\"\n\\",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		same_as_jansson(cases[i], strlen(cases[i]));
	}
	char *t = written("q\"b\\n\n\x01", 7);
	assert_string_equal(t, "\"q\\\"b\\\\n\\n\\u0001\"");
	free(t);
}

static void test_utf8(void **state)
{
	/* valid sequences pass through as they are (no \u escapes) */
	char *t = written("\xc3\xbc\xe6\x97\xa5\xf0\x9f\x8e\x89", 9);
	assert_string_equal(t, "\"\xc3\xbc\xe6\x97\xa5\xf0\x9f\x8e\x89\"");
	free(t);
	/* what is not UTF-8 becomes U+FFFD, one per bad byte, the rest kept */
	struct {
		const char *in;
		const char *out;
	} bad[] = {
		{ "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },          /* never valid */
		{ "\xc3", "\"\xef\xbf\xbd\"" },                      /* cut short */
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },      /* overlong '/' */
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\x80x", "\"\xef\xbf\xbdx\"" },                    /* lone continuation */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = written(bad[i].in, strlen(bad[i].in));
		assert_string_equal(t, bad[i].out);
		free(t);
	}
}

static void test_nesting(void **state)
{
	jsonw_t w;
	jsonw_init(&w, 4);
	jsonw_obj_open(&w);
	jsonw_key(&w, "data");
	jsonw_arr_open(&w);
	for (int i = 0; i < 2; i++) {
		jsonw_obj_open(&w);
		jsonw_key_int(&w, "id", i);
		jsonw_key(&w, "regions");
		jsonw_arr_open(&w);
		jsonw_str(&w, "global");
		jsonw_str(&w, "ams");
		jsonw_arr_close(&w);
		jsonw_key(&w, "empty");
		jsonw_obj_open(&w);
		jsonw_obj_close(&w);
		jsonw_key(&w, "none");
		jsonw_arr_open(&w);
		jsonw_arr_close(&w);
		jsonw_key_id(&w, "parent_id", 0);
		jsonw_key_bool(&w, "system_record", i == 1);
		jsonw_key_str(&w, "nothing", NULL);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_key(&w, "pagination");
	jsonw_obj_open(&w);
	jsonw_key_int(&w, "current_page", 1);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	size_t len = 0;
	char *text = jsonw_take(&w, &len);
	const char *want = "{\"data\":[{\"id\":0,\"regions\":[\"global\",\"ams\"],\"empty\":{},"
			   "\"none\":[],\"parent_id\":null,\"system_record\":false,\"nothing\":null},"
			   "{\"id\":1,\"regions\":[\"global\",\"ams\"],\"empty\":{},\"none\":[],"
			   "\"parent_id\":null,\"system_record\":true,\"nothing\":null}],"
			   "\"pagination\":{\"current_page\":1}}";
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
	/* valid JSON, and the same text as jansson dumps of it */
	json_t *v = json_loads(text, 0, NULL);
	assert_non_null(v);
	char *again = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(again, text);
	free(again);
	json_decref(v);
	free(text);
	/* an empty writer gives an empty text */
	jsonw_init(&w, 0);
	text = jsonw_take(&w, &len);
	assert_string_equal(text, "");
	free(text);
}

static void test_scalars(void **state)
{
	jsonw_t w;
	jsonw_init(&w, 0);
	jsonw_arr_open(&w);
	jsonw_int(&w, 0);
	jsonw_int(&w, -1);
	jsonw_int(&w, 2592000);
	jsonw_int(&w, INT64_MAX);
	jsonw_int(&w, INT64_MIN);
	jsonw_bool(&w, true);
	jsonw_bool(&w, false);
	jsonw_null(&w);
	jsonw_time(&w, 0);
	jsonw_time(&w, 1465503819);
	jsonw_time(&w, 1465503819); /* the same again (the writer keeps the last one) */
	jsonw_time(&w, 1465503820);
	jsonw_arr_close(&w);
	json_t *tree = jsonw_tree(&w);
	assert_non_null(tree);
	char *text = json_dumps(tree, JSON_COMPACT);
	assert_string_equal(text, "[0,-1,2592000,9223372036854775807,-9223372036854775808,true,"
				  "false,null,null,\"2016-06-09T20:23:39Z\",\"2016-06-09T20:23:39Z\","
				  "\"2016-06-09T20:23:40Z\"]");
	free(text);
	json_decref(tree);
	/* a text that is not one complete value has no tree */
	jsonw_init(&w, 0);
	jsonw_int(&w, 1);
	jsonw_int(&w, 2);
	assert_null(jsonw_tree(&w));
}

/* The arithmetic timestamp against gmtime_r() and strftime(), which it replaced. */
static void check_time(int64_t t)
{
	char got[21], want[21];
	time_iso8601(t, got);
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_string_equal(got, want);
}

static void test_time(void **state)
{
	const int64_t edges[] = {
		0, 1, 59, 60, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800 /* 03-01 */,
		4107542400 /* 2100-03-01 */, 4107456000 /* 2100-02-28 */, 1465503819,
		253402300799 /* 9999-12-31T23:59:59 */, -1, -86400,
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		check_time(edges[i]);
	}
	uint64_t x = 88172645463325252ull; /* xorshift: a fixed spread over the years */
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_time((int64_t)(x % 253402300800ull));
	}
	for (int64_t t = 1700000000; t < 1700000000 + 3 * 86400; t += 997) {
		check_time(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes), cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_nesting), cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
