/* scope.h -- scoped tokens: "zones:*:read", "zones:example.com:write", "domains:*:read". */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum { SCOPE_NONE = 0, SCOPE_READ, SCOPE_WRITE } scope_access_t;

/* What a route needs: a resource kind ("zones", "domains", "registrar", ...), the
 * resource's name (from the path) or "*" for collections, and the access. */
typedef struct scope_need {
	const char *kind;
	const char *name;
	scope_access_t access;
} scope_need_t;

/* Validate one scope string "kind:name:read|write". */
bool scope_is_valid(const char *scope);
/* true when the space-separated list grants the need. An empty or NULL list is an
 * unscoped token and grants everything. Write implies read; "*" names any resource. */
bool scope_grants(const char *scopes, const scope_need_t *need);
/* "domains:*:read" into out. */
void scope_format(const scope_need_t *need, char *out, size_t size);
