/* arena.c -- chunked bump allocator with a byte budget and cleanups (NSD's region). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/mem.h"

/* Chunks grow geometrically, so a small unit of work (or a small zone snapshot) holds
 * little memory and a big one makes few allocations. */
#define CHUNK_FIRST 1024
#define CHUNK_MAX (64 * 1024)
#define ALIGN 16

struct arena_chunk {
	arena_chunk_t *next;
	size_t size;
	size_t pos;
	_Alignas(ALIGN) unsigned char data[];
};

struct arena_cleanup {
	arena_cleanup_t *next;
	void (*fn)(void *);
	void *p;
};

void arena_init(arena_t *a, size_t budget)
{
	memset(a, 0, sizeof(*a));
	a->budget = budget;
}

void arena_reset(arena_t *a)
{
	for (arena_cleanup_t *c = a->_cleanups; c != NULL; c = c->next) {
		c->fn(c->p);
	}
	a->_cleanups = NULL;
	arena_chunk_t *c = a->_chunks;
	while (c != NULL) {
		arena_chunk_t *next = c->next;
		free(c);
		c = next;
	}
	a->_chunks = NULL;
	a->_used = 0;
}

void arena_clear(arena_t *a)
{
	arena_reset(a);
}

void *arena_alloc(arena_t *a, size_t size)
{
	size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < size || (a->budget != 0 && a->_used + need > a->budget)) {
		return NULL;
	}
	arena_chunk_t *c = a->_chunks;
	if (c == NULL || c->size - c->pos < need) {
		size_t grow = c == NULL ? CHUNK_FIRST : c->size * 2;
		grow = grow > CHUNK_MAX ? CHUNK_MAX : grow;
		size_t csize = need > grow ? need : grow;
		c = xmalloc(sizeof(*c) + csize);
		c->size = csize;
		c->pos = 0;
		c->next = a->_chunks;
		a->_chunks = c;
	}
	void *p = c->data + c->pos;
	c->pos += need;
	a->_used += need;
	return p;
}

void arena_reserve(arena_t *a, size_t size)
{
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	arena_chunk_t *c = a->_chunks;
	if (c != NULL && c->size - c->pos >= size) {
		return;
	}
	c = xmalloc(sizeof(*c) + size);
	c->size = size;
	c->pos = 0;
	c->next = a->_chunks;
	a->_chunks = c;
}

void *arena_alloc_zero(arena_t *a, size_t size)
{
	void *p = arena_alloc(a, size);
	if (p != NULL) {
		memset(p, 0, size);
	}
	return p;
}

void *arena_alloc_array(arena_t *a, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size) {
		return NULL;
	}
	return arena_alloc(a, count * size);
}

char *arena_strndup(arena_t *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return NULL;
	}
	char *p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL) {
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

bool arena_add_cleanup(arena_t *a, void (*fn)(void *), void *p)
{
	arena_cleanup_t *c = arena_alloc(a, sizeof(*c));
	if (c == NULL) {
		return false;
	}
	c->fn = fn;
	c->p = p;
	c->next = a->_cleanups;
	a->_cleanups = c;
	return true;
}
