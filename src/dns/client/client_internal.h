/* client_internal.h -- what client.c shares with check.c and the fuzz target. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "core/arena.h"

/* A knot_mm_t over an arena: knot's allocations come from it, its frees do nothing. */
void client_mm_init(knot_mm_t *mm, arena_t *a);

/* Take wire[0..size) as the reply to query (our wire, with its id and one question).
 * Returns ERR_OK with *out parsed (in the arena; a truncated reply, TC set, is parsed up
 * to its question only); ERR_INVALID when it is not a reply to query (id, QR, opcode or
 * question differ; no question is accepted only with a non-zero RCODE); ERR_PARSE when
 * malformed; ERR_TOOBIG when the arena's budget runs out. wire is copied. */
int client_reply_read(arena_t *a, const uint8_t *query, size_t query_size,
		      const uint8_t *wire, size_t size, knot_pkt_t **out);
