/* xfr_in.h -- inbound zone transfers: the response parser for AXFR (RFC 5936) and IXFR
 * (RFC 1995), with TSIG verification of the message stream (RFC 8945 5.3.1), and the TCP
 * client that asks a primary for a transfer (xfr_in_net.c).
 *
 * DESIGN. The parser is a state machine over the answer RRs of every message, in order:
 * the first SOA (the primary's serial), then either the whole zone (AXFR, or an IXFR
 * answered AXFR-style) up to the closing SOA, or IXFR deltas (old SOA, removals, new SOA,
 * additions, ...) up to the closing SOA. It does no I/O, so the network client, the
 * tests and the fuzz target (tests/fuzz/fuzz_xfr.c) feed it the same way. Every message
 * is checked (ID, QR, opcode, RCODE, TC, question, class, owner inside the zone, types
 * that never belong in a zone, counts) and any fault ends the transfer with an error and
 * a reason: the caller then changes nothing. What it keeps lives in the caller's arena.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "core/arena.h"

/* One RR of the transfer. */
typedef struct xfr_rr {
	const knot_dname_t *owner;   /* lowercase wire (arena) */
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;        /* wire, names uncompressed (arena) */
} xfr_rr_t;

typedef struct xfr_rrs {
	xfr_rr_t *v;
	size_t count;
	size_t cap;
} xfr_rrs_t;

/* One IXFR delta: removed[0] is the old SOA, added[0] the new one (RFC 1995 4). */
typedef struct xfr_delta {
	uint32_t from;
	uint32_t to;
	xfr_rrs_t removed;
	xfr_rrs_t added;
} xfr_delta_t;

typedef struct xfr_in {
	arena_t *arena;
	knot_dname_t apex[KNOT_DNAME_MAXLEN]; /* lowercase */
	uint16_t qtype;              /* KNOT_RRTYPE_AXFR or KNOT_RRTYPE_IXFR */
	uint16_t id;                 /* the query's message ID */
	uint32_t have_serial;        /* IXFR: the serial we hold (sent in the query) */
	size_t max_rrs;              /* refuse larger transfers */
	/* TSIG (set with xfr_in_set_tsig) */
	const knot_tsig_key_t *key;
	uint8_t mac[64];             /* the last verified MAC (first: the query's) */
	size_t mac_size;
	uint64_t prev_signed;        /* time signed of the last verified message */
	unsigned unsigned_run;       /* messages since the last signed one */
	uint8_t *tsig_buf;           /* those messages' wire, for the next check (heap) */
	size_t tsig_used, tsig_cap;
	bool is_last_signed;
	/* state */
	int _state;
	size_t messages;
	size_t rr_count;
	xfr_delta_t *_delta;         /* the delta being read */
	size_t delta_cap;
	/* results */
	xfr_rr_t soa;                /* the primary's SOA (first RR) */
	uint32_t serial;             /* its serial */
	bool is_done;
	bool is_uptodate;            /* IXFR: the primary's serial is not newer than ours */
	bool is_full;                /* the whole zone came: rrs (SOA first, once) */
	xfr_rrs_t rrs;
	xfr_delta_t *deltas;         /* IXFR deltas, oldest first */
	size_t delta_count;
	uint16_t rcode;              /* the RCODE of a refused transfer, else 0 */
	const char *error;           /* why it failed (static or arena) */
} xfr_in_t;

/* Start parsing the answer to a query for apex (wire, any case) of type qtype
 * (AXFR/IXFR) with message ID id; have_serial is the serial an IXFR query carried.
 * max_rrs caps the RRs accepted (0 = 10 million). Free the TSIG buffer with
 * xfr_in_clear(). */
void xfr_in_init(xfr_in_t *x, arena_t *a, const knot_dname_t *apex, uint16_t qtype,
		 uint16_t id, uint32_t have_serial, size_t max_rrs);
void xfr_in_clear(xfr_in_t *x);

/* Verify every message with key (borrowed; RFC 8945 5.3.1: the first and the last message
 * signed, at most 99 unsigned in a row); mac is the query's MAC. */
void xfr_in_set_tsig(xfr_in_t *x, const knot_tsig_key_t *key, const uint8_t *mac,
		     size_t mac_size);

/* Feed one DNS message (the buffer is modified: libknot strips the TSIG RR). Returns
 * ERR_OK (x->is_done tells whether the transfer is complete) or an error with x->error:
 * ERR_PARSE for a malformed message or RR stream, ERR_UPSTREAM when the primary refused
 * (x->rcode), ERR_DENIED for a TSIG failure, ERR_TOOBIG past max_rrs or the arena budget,
 * ERR_INVALID when an IXFR answer is a lone SOA newer than ours (ask by AXFR). */
int xfr_in_feed(xfr_in_t *x, uint8_t *wire, size_t size);

/* Feed a TCP byte stream: 2-byte length, message, ... (RFC 1035 4.2.2). Stops at the end of
 * the transfer; bytes after it are an error. Returns as xfr_in_feed(); a partial message
 * at the end is ERR_PARSE ("transfer cut short") unless the transfer is done. */
int xfr_in_feed_stream(xfr_in_t *x, const uint8_t *data, size_t size);

/* RFC 1982 serial arithmetic: a is newer than b. */
bool xfr_serial_newer(uint32_t a, uint32_t b);

/* --- the client (xfr_in_net.c) ------------------------------------------------------- */

typedef struct xfr_peer {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const knot_tsig_key_t *key;  /* NULL = unsigned */
	int timeout_ms;              /* connect, and each read */
	int total_ms;                /* the whole transfer */
	const _Atomic bool *stop;    /* when set, waits end at once (ERR_TIMEOUT); may be NULL */
} xfr_peer_t;

/* "192.0.2.1" or "2001:db8::1" and a port into peer->addr. ERR_INVALID when not an IP. */
int xfr_peer_set(xfr_peer_t *peer, const char *ip, int port);

/* Ask the peer for the zone over TCP (IXFR with have_serial when is_ixfr, else AXFR) and
 * parse the answer into x (initialized here, in arena a). Returns as xfr_in_feed(), plus
 * ERR_IO / ERR_TIMEOUT for the connection; x->error says why in every case. */
int xfr_in_fetch(const xfr_peer_t *peer, xfr_in_t *x, arena_t *a, const knot_dname_t *apex,
		 bool is_ixfr, uint32_t have_serial, size_t max_rrs);
