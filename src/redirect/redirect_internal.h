/* redirect_internal.h -- what the redirect role's files share: the request's host, the
 * URL record behind it, and the Location built from both. No I/O here but the store. */
#pragma once

#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

#define REDIRECT_HOST_MAX 253   /* RFC 1035 2.3.4, in text without the trailing dot */

/* The host a request names, in the form the store keys on. The request target wins when
 * it is in absolute form ("http://host/path", RFC 9112 3.2.2), the Host header otherwise.
 * Lowercased, port and one trailing dot stripped. Returns it (arena) or NULL when it is
 * missing or not a host name (a bracketed IPv6 literal yields "[...]": valid, never a
 * zone). */
const char *redirect_host(arena_t *a, const char *target, const char *host_header);

/* The path and query of the request target (origin or absolute form), with every byte
 * that may not appear in a URL percent-encoded. "/" when the target has none. Arena. */
const char *redirect_path(arena_t *a, const char *target);

/* The Location for a URL record's content and the request's path-and-query (from
 * redirect_path()). content is "http(s)://authority[/path][?query][#fragment]" or the
 * same without the scheme (meaning http). The rule (docs/zones.md, "URL redirects"):
 *   path:  the target's, unless it is empty or "/": then the request's;
 *   query: the target's when it has one, else the request's;
 *   the target's fragment stays last.
 * Returns it (arena), NULL past the arena's budget. */
const char *redirect_location(arena_t *a, const char *content, const char *path_query);

/* The URL record for host (from redirect_host()): store_url_target() with the names
 * that can never be a zone's kept away from the store. ERR_NOTFOUND when none; other
 * codes are the store's. */
int redirect_resolve(store_t *st, arena_t *a, const char *host, const char **content,
		     uint32_t *ttl);
