/* zone_import.h -- an RFC 1035 zone file to the records of one zone, under the API's rules. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "model/zone.h"

typedef struct zone_import {
	record_t *records;        /* the zone's custom records, in file order (arena) */
	size_t count;
	size_t skipped_system;    /* SOA and apex NS in the file: the zone keeps its own */
	/* on failure */
	size_t err_line;          /* 1-based line of the first problem, 0 = not a line's */
	const char *err_message;  /* "line 12: ..." (arena) */
} zone_import_t;

/* Parse text as the zone file of zone (its name is the origin; $ORIGIN may move it within
 * the zone). Every record goes through the same checks as an API create (rr_parse, TTL
 * bounds), plus the zone-wide ones an API create gets from the store: no duplicates, a
 * CNAME alone at its name. Returns ERR_OK, or ERR_INVALID with err_line/err_message and
 * nothing to import. default_ttl applies when the file sets none. */
int zone_import_parse(arena_t *a, const zone_t *zone, const char *text, size_t len,
		      uint32_t default_ttl, zone_import_t *out);

/* The $ORIGIN of a zone file's first $ORIGIN line, without the trailing dot, or NULL. */
const char *zone_import_origin(arena_t *a, const char *text, size_t len);
