/* json.c -- bounded JSON parsing for request bodies, lenient reads of client input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/timeutil.h"

static int depth(const json_t *v, int level)
{
	if (level > JSON_MAX_DEPTH) {
		return level;
	}
	int max = level;
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		json_object_foreach((json_t *)v, k, child) {
			int d = depth(child, level + 1);
			max = d > max ? d : max;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			int d = depth(child, level + 1);
			max = d > max ? d : max;
		}
	}
	return max;
}

json_t *json_parse_body(const char *data, size_t size, char *msg, size_t msgsize)
{
	json_error_t jerr;
	json_t *v = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		snprintf(msg, msgsize, "Invalid JSON body: %s at line %d column %d", jerr.text,
			 jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(msg, msgsize, "Invalid JSON body: expected an object");
		json_decref(v);
		return NULL;
	}
	if (depth(v, 1) > JSON_MAX_DEPTH) {
		snprintf(msg, msgsize, "Invalid JSON body: nested deeper than %d levels",
			 JSON_MAX_DEPTH);
		json_decref(v);
		return NULL;
	}
	return v;
}

char *json_dump_compact(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

bool json_get_int_lenient(const json_t *obj, const char *key, int64_t *out, bool *is_present)
{
	json_t *v = json_object_get(obj, key);
	if (is_present != NULL) {
		*is_present = v != NULL && !json_is_null(v);
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end = NULL;
		errno = 0;
		long long n = strtoll(s, &end, 10);
		if (errno == 0 && end != s && *end == '\0') {
			*out = n;
			return true;
		}
	}
	return false;
}

const char *json_get_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *json_timestamp(int64_t t)
{
	if (t == 0) {
		return json_null();
	}
	char buf[21];
	time_iso8601(t, buf);
	return json_string(buf);
}
