/* store.c -- opening and closing a store through its backend's table. */
#include <stdlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"

int store_open(store_t **out, const store_ops_t *ops, const store_opts_t *opts)
{
	store_t *st = xcalloc(1, sizeof(*st));
	st->ops = ops != NULL ? ops : &store_sqlite_ops;
	int ret = st->ops->open(st, opts);
	if (ret != ERR_OK) {
		free(st);
		return ret;
	}
	*out = st;
	return ERR_OK;
}

void store_close(store_t *st)
{
	if (st == NULL) {
		return;
	}
	st->ops->close(st);
	free(st);
}
