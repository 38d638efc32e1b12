/* redirect.h -- the redirect role: HTTP 301s for the hosts of URL records. */
#pragma once

#include "core/conf.h"
#include "store/store.h"

typedef struct redirect_server redirect_server_t;

/* Listen on conf->redirect and serve until redirect_server_stop(). conf and st are
 * borrowed and must outlive the server. ERR_INVALID for a bad address, ERR_IO when the
 * address cannot be bound. */
int redirect_server_start(redirect_server_t **out, const conf_t *conf, store_t *st);
/* Stop accepting, let in-flight requests finish (up to grace_seconds), close. NULL is
 * fine. */
void redirect_server_stop(redirect_server_t *srv, int grace_seconds);
