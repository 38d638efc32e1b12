/* json.h -- helpers over jansson: bounded parsing and lenient field reads. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

/* Parse a request body: must be a JSON object, at most max_depth levels deep.
 * On failure returns NULL and writes a message for the client into msg. */
json_t *json_parse_body(const char *data, size_t size, char *msg, size_t msgsize);

/* Dump compactly; free with free(). */
char *json_dump_compact(const json_t *v);

/* Read an integer that clients may send as a number or a numeric string.
 * Returns true and sets *out when the field is present and valid. */
bool json_get_int_lenient(const json_t *obj, const char *key, int64_t *out, bool *is_present);
/* An API timestamp: "2016-06-09T20:03:39Z" (ISO-8601 UTC, as the fixtures), or null for 0. */
json_t *json_timestamp(int64_t t);
/* A string field, or NULL when missing or not a string (borrowed from obj). */
const char *json_get_str(const json_t *obj, const char *key);
