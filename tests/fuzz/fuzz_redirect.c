/* fuzz_redirect.c -- libFuzzer target for the redirect role's request parsing
 * (redirect/redirect_internal.h: redirect_host, redirect_path, redirect_location).
 *
 * Input: the request target, a NUL, the Host header, a NUL, a URL record's content (each
 * part may be missing). Checks what the server relies on: a host is NULL or a lowercase
 * name (or a bracketed literal) of at most 253 bytes; a path starts with '/' and carries
 * no byte a URL may not hold; a Location built from content without blanks or controls
 * has none either (no header splitting). Any violation aborts.
 * Seeds: tests/fuzz/corpus/redirect/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "redirect/redirect_internal.h"

static void check(bool ok, const char *what, const char *text)
{
	if (!ok) {
		fprintf(stderr, "fuzz_redirect: %s [%s]\n", what, text != NULL ? text : "(null)");
		abort();
	}
}

static bool has_blank_or_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f) {
			return true;
		}
	}
	return false;
}

static void check_host(const char *h)
{
	if (h == NULL) {
		return;
	}
	size_t len = strlen(h);
	check(len > 0 && len <= REDIRECT_HOST_MAX + 2, "host length", h);
	bool is_literal = h[0] == '[';
	for (const char *p = h; *p != '\0'; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			  *p == '_' || *p == '.' || (is_literal && strchr("[]:", *p) != NULL);
		check(ok, "host character", h);
	}
	check(is_literal || (h[len - 1] != '.' && strstr(h, "..") == NULL), "host labels", h);
}

static void check_path(const char *path)
{
	check(path != NULL && path[0] == '/', "path start", path);
	for (const char *p = path; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		check(c > 0x20 && c < 0x7f && strchr("\"<>\\^`{|}#", c) == NULL, "path byte",
		      path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3);
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	const char *target = buf;
	const char *host_header = target + strlen(target) + 1;
	if (host_header > buf + size) {
		host_header = buf + size + 1;
	}
	const char *content = host_header + strlen(host_header) + 1;
	if (content > buf + size + 1) {
		content = buf + size + 2;
	}
	arena_t a;
	arena_init(&a, 1u << 20);
	check_host(redirect_host(&a, target, host_header));
	check_host(redirect_host(&a, target, NULL));
	const char *path = redirect_path(&a, target);
	check_path(path);
	const char *loc = redirect_location(&a, content, path);
	check(loc != NULL, "no location", content);
	check(strstr(loc, "://") != NULL, "location scheme", loc);
	if (!has_blank_or_control(content)) {
		check(!has_blank_or_control(loc), "location byte", loc);
	}
	arena_clear(&a);
	free(buf);
	return 0;
}
