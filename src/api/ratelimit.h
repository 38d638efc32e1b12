/* ratelimit.h -- fixed-window request quotas per credential or client address. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct ratelimit ratelimit_t;

typedef struct ratelimit_result {
	bool is_allowed;
	int64_t limit;
	int64_t remaining;
	int64_t reset;      /* Unix time when the window ends */
} ratelimit_result_t;

/* Windows of window_seconds. Free with ratelimit_free(). */
ratelimit_t *ratelimit_new(int64_t window_seconds);
void ratelimit_free(ratelimit_t *rl);
/* Count one request for key against limit at time now. */
void ratelimit_hit(ratelimit_t *rl, const char *key, int64_t limit, int64_t now,
		   ratelimit_result_t *out);
