/* sbuf.h -- length-tracking string builder on the heap (the idea behind Redis's sds). */
#pragma once

#include <stdarg.h>
#include <stddef.h>

typedef struct sbuf {
	char *p;      /* always NUL-terminated after the first append */
	size_t len;
	size_t _cap;
} sbuf_t;

#define SBUF_INIT { NULL, 0, 0 }

void sbuf_append(sbuf_t *b, const char *s, size_t len);
/* Make room for extra more bytes (and the NUL) with at most one allocation. */
void sbuf_reserve(sbuf_t *b, size_t extra);
void sbuf_puts(sbuf_t *b, const char *s);
void sbuf_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Give the string to the caller (free with free()); the builder is empty after. */
char *sbuf_take(sbuf_t *b);
void sbuf_clear(sbuf_t *b);
