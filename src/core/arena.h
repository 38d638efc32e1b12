/* arena.h -- bump allocator for one unit of work (a request, a query, a job). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;
typedef struct arena_cleanup arena_cleanup_t;

typedef struct arena {
	arena_chunk_t *_chunks;
	arena_cleanup_t *_cleanups;
	size_t _used;   /* bytes handed out since the last reset */
	size_t budget;  /* 0 = unlimited; past it, allocations return NULL */
} arena_t;

void arena_init(arena_t *a, size_t budget);
/* Run cleanups and free every chunk; the arena can be used again. */
void arena_reset(arena_t *a);
void arena_clear(arena_t *a);

/* Returns NULL only when the budget is exceeded (bad input, not out-of-memory). */
void *arena_alloc(arena_t *a, size_t size);
void *arena_alloc_zero(arena_t *a, size_t size);
/* Make the next `size` bytes of allocations come from one chunk of about that size (a
 * caller that knows what it will allocate, such as a zone build, wastes no chunk tails). */
void arena_reserve(arena_t *a, size_t size);
/* Overflow-checked count * size. */
void *arena_alloc_array(arena_t *a, size_t count, size_t size);
char *arena_strdup(arena_t *a, const char *s);
char *arena_strndup(arena_t *a, const char *s, size_t len);
/* printf into the arena. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Call fn(p) at the next reset, in reverse order of registration. */
bool arena_add_cleanup(arena_t *a, void (*fn)(void *), void *p);
