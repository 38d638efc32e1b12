/* resolve.c -- Host -> URL record, through the store (store_url_target). */
#include "core/err.h"
#include "redirect/redirect_internal.h"

int redirect_resolve(store_t *st, arena_t *a, const char *host, const char **content,
		     uint32_t *ttl)
{
	if (host[0] == '[') {
		return ERR_NOTFOUND; /* an address literal names no zone */
	}
	return store_url_target(st, a, host, content, ttl);
}
