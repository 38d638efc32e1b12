/* api.h -- the api role: the DNSimple-compatible HTTP/JSON server. */
#pragma once

#include "core/conf.h"
#include "store/store.h"

typedef struct api_server api_server_t;

/* Listen on conf->api and serve until api_server_stop(). */
int api_server_start(api_server_t **out, const conf_t *conf, store_t *st);
/* Stop accepting, let in-flight requests finish (up to grace_seconds), close. */
void api_server_stop(api_server_t *srv, int grace_seconds);
