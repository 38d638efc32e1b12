/* location.c -- the redirect role's parsing of outside input: the request's host and
 * path, and the Location that combines them with a URL record's content.
 *
 * DESIGN: everything here is pure (arena in, arena out) so that tests and a fuzz target
 * can drive it without a server. The request target comes raw from the request line
 * (before libmicrohttpd unescapes it), so "%2F" and "+" reach the target site unchanged;
 * bytes that may not appear in a URL at all are percent-encoded, never dropped.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "redirect/redirect_internal.h"

#define LABEL_MAX 63

typedef struct slice {
	const char *p;
	size_t len;
} slice_t;

/* "http://" or "https://" at the start (any case): the length of the prefix, else 0. */
static size_t scheme_prefix(const char *s)
{
	if (strncasecmp(s, "http://", 7) == 0) {
		return 7;
	}
	if (strncasecmp(s, "https://", 8) == 0) {
		return 8;
	}
	return 0;
}

static size_t authority_len(const char *s)
{
	return strcspn(s, "/?#");
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Lowercase in place; true when it is a host name: labels of 1..63 letters, digits,
 * hyphens and underscores (service labels such as _acme exist), 253 bytes in all. */
static bool host_name_ok(char *h, size_t len)
{
	if (len == 0 || len > REDIRECT_HOST_MAX) {
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		h[i] = (char)tolower((unsigned char)h[i]);
		if (h[i] == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
		} else if (!is_host_char(h[i]) || ++label > LABEL_MAX) {
			return false;
		}
	}
	return label > 0;
}

/* ":digits" or nothing. */
static bool port_ok(const char *p, size_t len)
{
	if (len == 0) {
		return true;
	}
	if (p[0] != ':' || len < 2 || len > 6) {
		return false;
	}
	for (size_t i = 1; i < len; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return false;
		}
	}
	return true;
}

static const char *parse_host(arena_t *a, slice_t in)
{
	while (in.len > 0 && (in.p[0] == ' ' || in.p[0] == '\t')) {
		in.p++;
		in.len--;
	}
	while (in.len > 0 && (in.p[in.len - 1] == ' ' || in.p[in.len - 1] == '\t')) {
		in.len--;
	}
	if (in.len > 0 && in.p[0] == '[') { /* an IPv6 literal: a valid host, never a zone */
		const char *close = memchr(in.p, ']', in.len);
		if (close == NULL) {
			return NULL;
		}
		size_t n = (size_t)(close - in.p) + 1;
		if (!port_ok(close + 1, in.len - n) || n > 2 + 45) {
			return NULL;
		}
		char *h = arena_strndup(a, in.p, n);
		for (size_t i = 0; h != NULL && i < n; i++) {
			h[i] = (char)tolower((unsigned char)h[i]);
			if (!isxdigit((unsigned char)h[i]) && strchr("[]:.", h[i]) == NULL) {
				return NULL;
			}
		}
		return h;
	}
	const char *colon = memchr(in.p, ':', in.len);
	size_t n = colon != NULL ? (size_t)(colon - in.p) : in.len;
	if (colon != NULL && !port_ok(colon, in.len - n)) {
		return NULL;
	}
	if (n > 0 && in.p[n - 1] == '.') { /* the absolute form of the same name */
		n--;
	}
	char *h = arena_strndup(a, in.p, n);
	return h != NULL && host_name_ok(h, n) ? h : NULL;
}

const char *redirect_host(arena_t *a, const char *target, const char *host_header)
{
	size_t pre = target != NULL ? scheme_prefix(target) : 0;
	if (pre > 0) { /* RFC 9112 3.2.2: the absolute form's authority replaces Host */
		const char *auth = target + pre;
		size_t len = authority_len(auth);
		if (memchr(auth, '@', len) != NULL) {
			return NULL;
		}
		return parse_host(a, (slice_t){ auth, len });
	}
	if (host_header == NULL) {
		return NULL;
	}
	return parse_host(a, (slice_t){ host_header, strlen(host_header) });
}

/* Bytes a URL may not carry as they are (RFC 3986 2 and appendix C: controls, space,
 * non-ASCII, and the delimiters that are never allowed). '#' cannot start a fragment in a
 * request target, so it is kept as data. '%' stays: the client escaped already. */
static bool needs_escape(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}#", c) != NULL;
}

static char *escape(arena_t *a, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		n += needs_escape((unsigned char)p[i]) ? 3 : 1;
	}
	char *out = arena_alloc(a, n + 1);
	if (out == NULL) {
		return NULL;
	}
	char *o = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (needs_escape(c)) {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

const char *redirect_path(arena_t *a, const char *target)
{
	if (target == NULL || *target == '\0') {
		return "/";
	}
	const char *p = target;
	size_t pre = scheme_prefix(p);
	if (pre > 0) {
		p += pre;
		p += authority_len(p);
	} else if (p[0] != '/') {
		p = ""; /* asterisk or authority form: no path */
	}
	if (p[0] == '/') {
		return escape(a, p, strlen(p));
	}
	/* "http://host" or "http://host?q": the path is "/" */
	const char *rest = escape(a, p, strlen(p));
	return rest != NULL ? arena_printf(a, "/%s", rest) : NULL;
}

/* The parts of a URL record's content. */
typedef struct target {
	slice_t scheme, authority, path, query, fragment; /* query and fragment without ?/# */
} target_t;

static void split_content(const char *c, target_t *t)
{
	size_t auth_len = authority_len(c);
	const char *sep = strstr(c, "://");
	if (sep != NULL && (size_t)(sep - c) < auth_len) {
		t->scheme = (slice_t){ c, (size_t)(sep - c) };
		c = sep + 3;
		auth_len = authority_len(c);
	} else {
		t->scheme = (slice_t){ "http", 4 }; /* "host[/path]": DNSimple's older records */
	}
	t->authority = (slice_t){ c, auth_len };
	c += auth_len;
	size_t path_len = strcspn(c, "?#");
	t->path = (slice_t){ c, path_len };
	c += path_len;
	if (*c == '?') {
		size_t q = strcspn(c + 1, "#");
		t->query = (slice_t){ c + 1, q };
		c += 1 + q;
	}
	if (*c == '#') {
		t->fragment = (slice_t){ c + 1, strlen(c + 1) };
	}
}

const char *redirect_location(arena_t *a, const char *content, const char *path_query)
{
	target_t t = { 0 };
	split_content(content, &t);
	size_t rpath_len = strcspn(path_query, "?");
	slice_t rquery = { NULL, 0 };
	if (path_query[rpath_len] == '?') {
		const char *q = path_query + rpath_len + 1;
		rquery = (slice_t){ q, strlen(q) };
	}
	slice_t path = t.path;
	if (path.len == 0 || (path.len == 1 && path.p[0] == '/')) {
		path = (slice_t){ path_query, rpath_len };
	}
	slice_t query = t.query.len > 0 ? t.query : rquery;
	char *scheme = arena_strndup(a, t.scheme.p, t.scheme.len);
	if (scheme == NULL) {
		return NULL;
	}
	for (char *s = scheme; *s != '\0'; s++) {
		*s = (char)tolower((unsigned char)*s);
	}
	return arena_printf(a, "%s://%.*s%.*s%s%.*s%s%.*s", scheme, (int)t.authority.len,
			    t.authority.p, (int)path.len, path.p, query.len > 0 ? "?" : "",
			    (int)query.len, query.p, t.fragment.p != NULL ? "#" : "",
			    (int)t.fragment.len, t.fragment.p != NULL ? t.fragment.p : "");
}
