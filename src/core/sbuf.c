/* sbuf.c -- growable string builder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/sbuf.h"

void sbuf_reserve(sbuf_t *b, size_t extra)
{
	if (b->len + extra + 1 <= b->_cap) {
		return;
	}
	size_t cap = b->_cap ? b->_cap : 64;
	while (cap < b->len + extra + 1) {
		cap *= 2;
	}
	b->p = xrealloc(b->p, cap);
	b->_cap = cap;
}

void sbuf_append(sbuf_t *b, const char *s, size_t len)
{
	sbuf_reserve(b, len);
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void sbuf_puts(sbuf_t *b, const char *s)
{
	sbuf_append(b, s, strlen(s));
}

void sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		sbuf_reserve(b, 0);
		b->p[b->len] = '\0';
		return;
	}
	sbuf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *sbuf_take(sbuf_t *b)
{
	if (b->p == NULL) {
		return xstrdup("");
	}
	char *p = b->p;
	b->p = NULL;
	b->len = b->_cap = 0;
	return p;
}

void sbuf_clear(sbuf_t *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->_cap = 0;
}
