/* jsonw.c -- JSON text written straight into a buffer (see jsonw.h for why). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/timeutil.h"

/* Append n bytes. The text is NUL-terminated only by jsonw_take(): one check and one
 * copy per piece, which is what the hot loop of a list body comes down to. */
static inline void put(jsonw_t *w, const char *s, size_t n)
{
	sbuf_t *b = &w->out;
	if (b->len + n + 1 > b->_cap) {
		sbuf_reserve(b, n);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void put_char(jsonw_t *w, char c)
{
	put(w, &c, 1);
}

/* Before any value: the comma after a sibling, and the debug check that a member has
 * its key. */
static inline void value_start(jsonw_t *w)
{
	assert(w->_depth == 0 || !(w->_in_object >> w->_depth & 1) || w->_has_key);
	if (w->_need_comma && !w->_has_key) {
		put_char(w, ',');
	}
	w->_has_key = false;
}

static inline void value_end(jsonw_t *w)
{
	w->_need_comma = true;
}

void jsonw_init(jsonw_t *w, size_t size_hint)
{
	memset(w, 0, sizeof(*w));
	if (size_hint > 0) {
		sbuf_reserve(&w->out, size_hint);
	}
}

void jsonw_clear(jsonw_t *w)
{
	sbuf_clear(&w->out);
	memset(w, 0, sizeof(*w));
}

char *jsonw_take(jsonw_t *w, size_t *len)
{
	assert(w->_depth == 0);
	sbuf_reserve(&w->out, 0);
	w->out.p[w->out.len] = '\0';
	*len = w->out.len;
	char *p = sbuf_take(&w->out);
	memset(w, 0, sizeof(*w));
	return p;
}

json_t *jsonw_tree(jsonw_t *w)
{
	size_t len = 0;
	char *text = jsonw_take(w, &len);
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	free(text);
	return v;
}

static void level_open(jsonw_t *w, char c, bool is_object)
{
	value_start(w);
	put_char(w, c);
	w->_depth++;
	assert(w->_depth < JSONW_MAX_DEPTH);
	w->_in_object = (w->_in_object & ~(1u << w->_depth)) | (uint32_t)is_object << w->_depth;
	w->_need_comma = false;
}

static void level_close(jsonw_t *w, char c, bool is_object)
{
	assert(w->_depth > 0 && (bool)(w->_in_object >> w->_depth & 1) == is_object);
	assert(!w->_has_key);
	(void)is_object;
	put_char(w, c);
	w->_depth--;
	value_end(w);
}

void jsonw_obj_open(jsonw_t *w)
{
	level_open(w, '{', true);
}

void jsonw_obj_close(jsonw_t *w)
{
	level_close(w, '}', true);
}

void jsonw_arr_open(jsonw_t *w)
{
	level_open(w, '[', false);
}

void jsonw_arr_close(jsonw_t *w)
{
	level_close(w, ']', false);
}

/* Bytes that go out as they are: printable ASCII but the quote and the backslash (a
 * table: the string loop is the hottest of a list body). */
#define P1 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const bool plain[256] = {
	[0x20] = 1, 1, 0 /* " */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = P1, P1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* \ */, 1, 1, 1,
	[0x60] = P1, P1,
};
#undef P1

static inline bool is_plain(unsigned char c)
{
	return plain[c];
}

/* The length of the valid UTF-8 sequence at s (RFC 3629 4: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
	if (n == 0 || c > 0xf4 || n > left) {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
	}
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f)) {
		return 0;
	}
	return n;
}

/* One byte that needs more than itself: an escape, a UTF-8 sequence or U+FFFD. Returns
 * the bytes of s it stood for. */
static size_t put_special(jsonw_t *w, const unsigned char *s, size_t left)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c = s[0];
	const char *esc = NULL;
	switch (c) {
	case '"': esc = "\\\""; break;
	case '\\': esc = "\\\\"; break;
	case '\b': esc = "\\b"; break;
	case '\f': esc = "\\f"; break;
	case '\n': esc = "\\n"; break;
	case '\r': esc = "\\r"; break;
	case '\t': esc = "\\t"; break;
	default: break;
	}
	if (esc != NULL) {
		put(w, esc, 2);
		return 1;
	}
	if (c < 0x20) {
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		put(w, u, sizeof(u));
		return 1;
	}
	size_t n = utf8_len(s, left);
	if (n == 0) {
		put(w, "\xef\xbf\xbd", 3); /* U+FFFD REPLACEMENT CHARACTER */
		return 1;
	}
	put(w, (const char *)s, n);
	return n;
}

static void put_string(jsonw_t *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;
	put_char(w, '"');
	while (s < end) {
		const unsigned char *run = s;
		while (s < end && is_plain(*s)) {
			s++;
		}
		if (s > run) {
			put(w, (const char *)run, (size_t)(s - run));
		}
		if (s < end) {
			s += put_special(w, s, (size_t)(end - s));
		}
	}
	put_char(w, '"');
}

void jsonw_key(jsonw_t *w, const char *key)
{
	assert(w->_depth > 0 && (w->_in_object >> w->_depth & 1) && !w->_has_key);
	/* ,"key": in one piece: keys are our own names, never escaped (see jsonw.h) */
	size_t len = strlen(key);
	sbuf_t *b = &w->out;
	if (b->len + len + 5 > b->_cap) {
		sbuf_reserve(b, len + 4);
	}
	char *p = b->p + b->len;
	if (w->_need_comma) {
		*p++ = ',';
	}
	*p++ = '"';
	memcpy(p, key, len);
	p += len;
	*p++ = '"';
	*p++ = ':';
	b->len = (size_t)(p - b->p);
	w->_has_key = true;
}

void jsonw_strn(jsonw_t *w, const char *s, size_t len)
{
	value_start(w);
	put_string(w, s, len);
	value_end(w);
}

void jsonw_str(jsonw_t *w, const char *s)
{
	if (s == NULL) {
		jsonw_null(w);
		return;
	}
	jsonw_strn(w, s, strlen(s));
}

void jsonw_int(jsonw_t *w, int64_t v)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	/* Through the unsigned magnitude, so INT64_MIN needs no special case. */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0) {
		*--p = '-';
	}
	value_start(w);
	put(w, p, (size_t)(buf + sizeof(buf) - p));
	value_end(w);
}

void jsonw_bool(jsonw_t *w, bool v)
{
	value_start(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
	value_end(w);
}

void jsonw_null(jsonw_t *w)
{
	value_start(w);
	put(w, "null", 4);
	value_end(w);
}

void jsonw_time(jsonw_t *w, int64_t t)
{
	if (t == 0) {
		jsonw_null(w);
		return;
	}
	/* Records list created_at and updated_at, often the same second as the last one. */
	if (t != w->_time) {
		w->_time_text[0] = '"';
		time_iso8601(t, w->_time_text + 1);
		w->_time_len = strlen(w->_time_text);
		w->_time_text[w->_time_len++] = '"';
		w->_time = t;
	}
	value_start(w);
	put(w, w->_time_text, w->_time_len);
	value_end(w);
}

void jsonw_key_str(jsonw_t *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_key_int(jsonw_t *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_key_id(jsonw_t *w, const char *key, int64_t id)
{
	jsonw_key(w, key);
	if (id != 0) {
		jsonw_int(w, id);
	} else {
		jsonw_null(w);
	}
}

void jsonw_key_bool(jsonw_t *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

void jsonw_key_time(jsonw_t *w, const char *key, int64_t t)
{
	jsonw_key(w, key);
	jsonw_time(w, t);
}
