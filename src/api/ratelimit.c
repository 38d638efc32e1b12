/* ratelimit.c -- fixed-window counters in a hash table under one mutex.
 *
 * DESIGN: a window opens at a key's first request and lasts window_seconds, as the
 * X-RateLimit-Reset of DNSimple's responses shows. Counters live in this process only;
 * several api nodes each count their own (documented in docs/api.md). Expired entries are
 * swept when the table would grow, so memory follows the number of active callers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/ratelimit.h"
#include "core/mem.h"

typedef struct entry {
	struct entry *next;
	int64_t window_end;
	int64_t count;
	char key[];
} entry_t;

struct ratelimit {
	pthread_mutex_t lock;
	int64_t window;
	size_t bucket_count;
	size_t entry_count;
	entry_t **buckets;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s != '\0'; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	}
	return h;
}

ratelimit_t *ratelimit_new(int64_t window_seconds)
{
	ratelimit_t *rl = xcalloc(1, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
	rl->window = window_seconds;
	rl->bucket_count = 1024;
	rl->buckets = xcalloc(rl->bucket_count, sizeof(entry_t *));
	return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
	if (rl == NULL) {
		return;
	}
	for (size_t i = 0; i < rl->bucket_count; i++) {
		entry_t *e = rl->buckets[i];
		while (e != NULL) {
			entry_t *next = e->next;
			free(e);
			e = next;
		}
	}
	free(rl->buckets);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static void sweep(ratelimit_t *rl, int64_t now)
{
	for (size_t i = 0; i < rl->bucket_count; i++) {
		entry_t **pp = &rl->buckets[i];
		while (*pp != NULL) {
			entry_t *e = *pp;
			if (e->window_end <= now) {
				*pp = e->next;
				free(e);
				rl->entry_count--;
			} else {
				pp = &e->next;
			}
		}
	}
}

static void grow(ratelimit_t *rl)
{
	size_t n = rl->bucket_count * 2;
	entry_t **b = xcalloc(n, sizeof(entry_t *));
	for (size_t i = 0; i < rl->bucket_count; i++) {
		entry_t *e = rl->buckets[i];
		while (e != NULL) {
			entry_t *next = e->next;
			size_t k = hash(e->key) % n;
			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	free(rl->buckets);
	rl->buckets = b;
	rl->bucket_count = n;
}

void ratelimit_hit(ratelimit_t *rl, const char *key, int64_t limit, int64_t now,
		   ratelimit_result_t *out)
{
	pthread_mutex_lock(&rl->lock);
	size_t k = hash(key) % rl->bucket_count;
	entry_t *e = rl->buckets[k];
	while (e != NULL && strcmp(e->key, key) != 0) {
		e = e->next;
	}
	if (e == NULL) {
		if (rl->entry_count >= rl->bucket_count) {
			sweep(rl, now);
			if (rl->entry_count >= rl->bucket_count) {
				grow(rl);
			}
			k = hash(key) % rl->bucket_count;
		}
		size_t len = strlen(key);
		e = xcalloc(1, sizeof(*e) + len + 1);
		memcpy(e->key, key, len);
		e->next = rl->buckets[k];
		rl->buckets[k] = e;
		rl->entry_count++;
	}
	if (e->window_end <= now) {
		e->window_end = now + rl->window;
		e->count = 0;
	}
	out->is_allowed = e->count < limit;
	if (out->is_allowed) {
		e->count++;
	}
	out->limit = limit;
	out->remaining = limit - e->count;
	out->reset = e->window_end;
	pthread_mutex_unlock(&rl->lock);
}
