/* rr_internal.h -- helpers shared by rrtype.c, rr.c and rr_zonefile.c (dns/wire only). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire/rr.h"

/* A byte allowed in an owner label or a host name label (the '*' label aside). */
static inline bool rr_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* True for a host name: labels of rr_label_char bytes, 1..63 each, at most 253 characters,
 * one optional trailing dot. */
bool rr_hostname_ok(const char *p, size_t len);

/* Print rdata the way libknot does, on one line: names without their trailing dot when
 * strip_dots (the root stays "."), whitespace outside quotes collapsed, no blanks at the
 * ends. The rdata is first checked against the type's descriptor. ERR_OK, ERR_PARSE
 * (rdata malformed for the type), ERR_TOOBIG (arena budget). */
int rr_dump(arena_t *a, uint16_t code, const uint8_t *rdata, uint16_t size, bool strip_dots,
	    const char **text);

/* Normalize the content of a pseudo-type (t has RR_PSEUDO) as rr_parse() does; apex is
 * the zone name without its dot (for a bare "@"). ERR_OK, ERR_INVALID (err filled),
 * ERR_TOOBIG, ERR_NOMEM. */
int rr_pseudo_content(arena_t *a, const char *apex, const rrtype_t *t, const char *content,
		      const char **out, rr_error_t *err);

/* Check a zone name ("example.com" or "example.com."); returns its length without the
 * trailing dot, 0 when it is not a valid name. */
size_t rr_origin_len(const char *origin);
