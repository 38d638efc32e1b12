/* scope.c -- parsing and matching of token scopes (content/v2.md, Authorization). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model/scope.h"

/* Split "kind:name:access" (name may itself not contain ':'). */
static bool split(const char *s, size_t len, const char **kind, size_t *kind_len,
		  const char **name, size_t *name_len, scope_access_t *access)
{
	const char *c1 = memchr(s, ':', len);
	if (c1 == NULL) {
		return false;
	}
	const char *rest = c1 + 1;
	const char *end = s + len;
	const char *c2 = memchr(rest, ':', (size_t)(end - rest));
	if (c2 == NULL || memchr(c2 + 1, ':', (size_t)(end - c2 - 1)) != NULL) {
		return false;
	}
	*kind = s;
	*kind_len = (size_t)(c1 - s);
	*name = rest;
	*name_len = (size_t)(c2 - rest);
	size_t alen = (size_t)(end - c2 - 1);
	if (alen == 4 && strncmp(c2 + 1, "read", 4) == 0) {
		*access = SCOPE_READ;
	} else if (alen == 5 && strncmp(c2 + 1, "write", 5) == 0) {
		*access = SCOPE_WRITE;
	} else {
		return false;
	}
	return *kind_len > 0 && *name_len > 0;
}

bool scope_is_valid(const char *scope)
{
	const char *k, *n;
	size_t kl, nl;
	scope_access_t a;
	return split(scope, strlen(scope), &k, &kl, &n, &nl, &a);
}

bool scope_grants(const char *scopes, const scope_need_t *need)
{
	if (scopes == NULL || *scopes == '\0') {
		return true;
	}
	const char *p = scopes;
	while (*p != '\0') {
		while (*p == ' ') {
			p++;
		}
		size_t len = strcspn(p, " ");
		const char *k, *n;
		size_t kl, nl;
		scope_access_t a;
		if (len > 0 && split(p, len, &k, &kl, &n, &nl, &a) &&
		    kl == strlen(need->kind) && strncmp(k, need->kind, kl) == 0 &&
		    ((nl == 1 && n[0] == '*') ||
		     (nl == strlen(need->name) && strncasecmp(n, need->name, nl) == 0)) &&
		    a >= need->access) {
			return true;
		}
		p += len;
	}
	return false;
}

void scope_format(const scope_need_t *need, char *out, size_t size)
{
	snprintf(out, size, "%s:%s:%s", need->kind, need->name,
		 need->access == SCOPE_WRITE ? "write" : "read");
}
