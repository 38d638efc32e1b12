/* jsonw.h -- a JSON writer straight into one growing buffer, with no tree of values.
 *
 * For response bodies built from rows (the list endpoints): jansson allocates a node per
 * value and a hash per object, then walks the tree again to dump it; here each value is
 * appended where it belongs. The output is byte for byte what json_dumps() gives with
 * JSON_COMPACT | JSON_PRESERVE_ORDER (same escapes: \" \\ \b \f \n \r \t, other control
 * characters as \u00XX, UTF-8 passed through), so bodies do not change with the writer.
 *
 * Commas are the writer's business; nesting is the caller's: open and close in order,
 * and write a key before each value inside an object (checked by assert in debug builds). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

#define JSONW_MAX_DEPTH 32

typedef struct jsonw {
	sbuf_t out;             /* the text so far */
	bool _need_comma;       /* a value was written at this level */
	int _depth;
	uint32_t _in_object;    /* bit d: level d is an object (debug checks) */
	bool _has_key;          /* inside an object: a key waits for its value */
	int64_t _time;          /* the last timestamp written, and its text with quotes */
	char _time_text[24];
	size_t _time_len;
} jsonw_t;

/* Start an empty text; size_hint bytes are reserved at once (0: grow as needed). */
void jsonw_init(jsonw_t *w, size_t size_hint);
/* Free the text. */
void jsonw_clear(jsonw_t *w);
/* Give the text to the caller (free with free()), its length in *len; w is empty after. */
char *jsonw_take(jsonw_t *w, size_t *len);
/* Parse the text into a jansson value (for callers that need a tree; NULL if the text is
 * not one complete value) and clear w. */
json_t *jsonw_tree(jsonw_t *w);

void jsonw_obj_open(jsonw_t *w);
void jsonw_obj_close(jsonw_t *w);
void jsonw_arr_open(jsonw_t *w);
void jsonw_arr_close(jsonw_t *w);
/* An object member's name; its value comes next. Names are the program's own, plain
 * ASCII without quotes, backslashes or control characters: they are not escaped. */
void jsonw_key(jsonw_t *w, const char *key);

/* A string, escaped; NULL writes null. Bytes that are not UTF-8 become U+FFFD (jansson
 * would refuse the whole string). */
void jsonw_str(jsonw_t *w, const char *s);
void jsonw_strn(jsonw_t *w, const char *s, size_t len);
void jsonw_int(jsonw_t *w, int64_t v);
void jsonw_bool(jsonw_t *w, bool v);
void jsonw_null(jsonw_t *w);
/* An API timestamp, "2016-06-09T20:03:39Z", or null for 0 (as json_timestamp()). */
void jsonw_time(jsonw_t *w, int64_t t);

/* Key and value in one call, for object mappings. */
void jsonw_key_str(jsonw_t *w, const char *key, const char *s);
void jsonw_key_int(jsonw_t *w, const char *key, int64_t v);
/* An integer, or null when it is 0 (ids that may be missing). */
void jsonw_key_id(jsonw_t *w, const char *key, int64_t id);
void jsonw_key_bool(jsonw_t *w, const char *key, bool v);
void jsonw_key_time(jsonw_t *w, const char *key, int64_t t);
