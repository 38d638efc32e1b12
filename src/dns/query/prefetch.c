/* prefetch.c -- hints for a batch of questions before it is answered.
 *
 * DESIGN. Answering one question mostly waits on memory: the zone table, the zone's
 * index and the node are each a cache miss on a large data set, and each load needs the
 * one before. A UDP batch holds up to 64 independent questions, so we walk the batch a
 * level at a time (zdb_prefetch_*): the question's name, lowercased and hashed here, then
 * one round of loads per level for every question. The lookups that follow find their
 * lines in the cache. Only plain questions are read (one question, no compression
 * pointer): anything else is left to query_handle(), which validates everything anew.
 */
#include <libknot/libknot.h>

#include "dns/query/query.h"

#define PREFETCH_MAX 64 /* questions in flight: one UDP batch */

/* The question's name of a query message, lowercased into out; false if it has none we
 * can read cheaply. */
static bool question_name(const uint8_t *wire, size_t size, uint8_t out[KNOT_DNAME_MAXLEN])
{
	if (size < KNOT_WIRE_HEADER_SIZE + 1 || knot_wire_get_qr(wire) ||
	    knot_wire_get_qdcount(wire) != 1) {
		return false;
	}
	size_t at = KNOT_WIRE_HEADER_SIZE, len = 0;
	for (;;) {
		uint8_t label = wire[at];
		/* The next label's length (or QTYPE) must follow within the message. */
		if (label > KNOT_DNAME_MAXLABELLEN || len + label + 1 > KNOT_DNAME_MAXLEN ||
		    at + label + 1 >= size) {
			return false; /* also compression pointers (0xc0 and up) */
		}
		out[len++] = label;
		if (label == 0) {
			return true;
		}
		for (size_t i = 1; i <= label; i++) {
			uint8_t c = wire[at + i];
			out[len++] = (uint8_t)(c + ((unsigned)(c - 'A') < 26u ? 32 : 0));
		}
		at += label + 1;
	}
}

void query_prefetch(const zdb_t *db, const uint8_t *const wires[], const size_t sizes[],
		    size_t n)
{
	zdb_prefetch_t p[PREFETCH_MAX];
	uint8_t name[KNOT_DNAME_MAXLEN];
	for (size_t from = 0; from < n; from += PREFETCH_MAX) {
		size_t count = 0;
		for (size_t i = from; i < n && i < from + PREFETCH_MAX; i++) {
			if (question_name(wires[i], sizes[i], name)) {
				zdb_prefetch_start(db, name, &p[count++]);
			}
		}
		/* table slot -> zone -> index slot -> node */
		for (int level = 0; level < 3; level++) {
			for (size_t i = 0; i < count; i++) {
				zdb_prefetch_step(&p[i]);
			}
		}
	}
}
