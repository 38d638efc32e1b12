/* client.h -- a small DNS client: one query to several servers at once, and the checks
 * built on it (does every name server serve a zone's serial, or a record?).
 *
 * DESIGN. dns_client_query() sends the same question to every server in parallel, each
 * over its own connected, non-blocking UDP socket (the kernel then drops datagrams from
 * other addresses and reports ICMP refusals), and waits for all of them in one poll()
 * loop. A server that has not answered halfway through the time budget is asked once
 * more (same id); a truncated answer (TC) is asked again over TCP, within the same
 * budget. A reply counts only when its id, QR bit and question match the query (a reply
 * without a question is taken only with a non-zero RCODE, as FORMERR answers often
 * are); anything else is ignored, as a resolver would. The call blocks the calling
 * thread for at most the time budget; it keeps no state between calls, takes no lock
 * and allocates only from the caller's arena (packets, buffers), so any thread may use
 * it. Packets are built and parsed with libknot.
 *
 * Protocol code only: nothing here knows the store or the server's state, so the api
 * (distribution checks), and later the jobs (zone transfer checks), can share it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "core/arena.h"
#include "core/conf.h"

#define DNS_CLIENT_MAX_SERVERS 32  /* servers in one call (and in a server list) */
#define DNS_CLIENT_ADDR_TEXT 64    /* "[ffff:...:ffff]:65535" */

/* One server address. */
typedef struct dns_client_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[DNS_CLIENT_ADDR_TEXT]; /* "192.0.2.1:53" or "[2001:db8::1]:53", for logs */
} dns_client_addr_t;

/* Parse one "ADDR:PORT" or "[ADDR6]:PORT" (numeric only, port 1..65535; a port of 0 is
 * accepted only when allow_port0, for listen addresses). Returns ERR_OK or ERR_PARSE. */
int dns_client_addr_parse(const char *text, size_t len, bool allow_port0,
			  dns_client_addr_t *out);

/* Parse a comma-separated list of addresses (blanks around items are ignored, empty
 * items skipped) into out[0..max). Returns ERR_OK with *count (0 for an empty list),
 * ERR_PARSE for a bad item (*count is then the index of that item), ERR_TOOBIG for
 * more than max items. */
int dns_client_addr_list_parse(const char *list, dns_client_addr_t *out, size_t max,
			       size_t *count);

/* What to ask. */
typedef struct dns_client_query {
	const char *qname;      /* presentation form, with or without the trailing dot */
	uint16_t qtype;         /* KNOT_RRTYPE_* */
	uint16_t qclass;        /* 0 = IN */
	uint16_t udp_payload;   /* EDNS(0) payload size we offer (RFC 6891); 0 = no OPT */
	unsigned timeout_ms;    /* the whole exchange, retries and TCP included; 0 = 1500 */
	unsigned retries;       /* UDP resends to a silent server, spread evenly over the
				 * budget (0 = none; at most 3) */
} dns_client_query_t;

typedef enum {
	DNS_CLIENT_ANSWERED = 1, /* a matching reply arrived: see rcode, is_aa, reply */
	DNS_CLIENT_TIMEOUT,      /* nothing (that matched) arrived in time */
	DNS_CLIENT_FAILED,       /* the server could not be asked or refused the connection
				  * (ICMP port unreachable, TCP reset, a broken TCP reply):
				  * see err */
} dns_client_status_t;

/* One server's outcome. */
typedef struct dns_client_result {
	dns_client_status_t status;
	int err;                /* FAILED: -errno (e.g. -ECONNREFUSED) or ERR_PARSE */
	uint16_t rcode;         /* ANSWERED: extended RCODE (RFC 6891 6.1.3) */
	bool is_aa;             /* ANSWERED: the AA bit */
	bool is_tcp;            /* ANSWERED: over TCP (the UDP answer was truncated) */
	int64_t rtt_ms;         /* ANSWERED: from the first send to the answer */
	/* ANSWERED: the parsed reply (lives in the arena; never knot_pkt_free() it). Its
	 * sections: knot_pkt_section(reply, KNOT_ANSWER), ..._AUTHORITY, ..._ADDITIONAL.
	 * RRsets are in canonical form (owners and the names in rdata of the RFC 4034 6.2
	 * types lowercase), as libknot parses them. */
	knot_pkt_t *reply;
} dns_client_result_t;

/* Ask q of servers[0..count) at once; results[i] is servers[i]'s outcome. Blocks for at
 * most q->timeout_ms (plus scheduling). Returns ERR_OK once every result is filled,
 * whatever the outcomes; ERR_INVAL_ARG for a bad qname or count (0 or above
 * DNS_CLIENT_MAX_SERVERS); ERR_TOOBIG when the arena's budget runs out. Everything the
 * results point to lives in the arena. */
int dns_client_query(arena_t *a, const dns_client_query_t *q, const dns_client_addr_t *servers,
		     size_t count, dns_client_result_t *results);

/* Does section of reply hold the RR (owner, type, rdata) of class IN? Owners compare
 * case-insensitively and rdata in canonical form (RFC 4034 6.2), so stored data in any
 * case matches what a server loaded. owner is in presentation form. Returns false for
 * malformed rdata or a NULL reply. Scratch memory comes from the arena. */
bool dns_client_has_rr(arena_t *a, const knot_pkt_t *reply, knot_section_t section,
		       const char *owner, uint16_t type, const uint8_t *rdata, uint16_t size);

/* --- distribution checks (check.c) ------------------------------------------------- */

struct zone;   /* model/zone.h */
struct record;

/* The deployment's name servers, from the settings: name-server-addresses, or when that
 * is empty the first address of this node's `dns` setting (0.0.0.0 and [::] are asked
 * on the loopback), so a single-node install needs no setting. Returns ERR_OK with
 * out[0..*count), or ERR_INVALID with a message in err (size errsize) for a bad list or
 * a `dns` address with port 0 (its real port is not known here). */
int dns_check_servers(const conf_t *conf, dns_client_addr_t *out, size_t max, size_t *count,
		      char *err, size_t errsize);

/* The verdict of a check. */
typedef struct dns_check {
	bool is_distributed;    /* every server serves it */
	/* Set when not distributed, not answered, or the settings are bad: the first
	 * server at fault (NULL for bad settings) and why ("serial 2024010101, want
	 * 2024010102", "rcode REFUSED", "timed out", "Connection refused", ...), for the
	 * caller's log. Static or in the arena. */
	const dns_client_addr_t *culprit;
	const char *reason;
} dns_check_t;

/* Does every server serve zone with its current serial (zone->serial, from the store)?
 * Each is asked SOA for the apex and must answer authoritatively (AA, NOERROR) with that
 * serial or a newer one (RFC 1982 arithmetic: a change committed since the store was
 * read is fine); an older serial, another RCODE (REFUSED for a zone it does not serve)
 * or no AA is "not distributed". Servers and the time budget come from conf
 * (dns_check_servers(), distribution-timeout-ms; one UDP resend halfway). Blocks for at
 * most that budget.
 * Returns ERR_OK with the verdict; ERR_TIMEOUT when some server did not answer in time
 * or could not be asked (out->culprit says which); ERR_INTERNAL for bad settings
 * (out->reason says why); ERR_TOOBIG when the arena's budget runs out. */
int dns_check_zone(arena_t *a, const conf_t *conf, const struct zone *zone, dns_check_t *out);

/* Does every server serve rec, a record of zone? Each is asked the record's name and
 * type, and the record's RR (rdata compared in canonical form) must be in an
 * authoritative answer, or, for delegation NS records and glue, in a referral (no AA, NS
 * in authority). Only the rdata is compared, not the TTL. Every server must serve it,
 * whatever the record's regions (the settings do not say which region a server is in).
 * Pseudo-records never reach the wire as themselves: ALIAS and URL are asked A (the
 * addresses they stand for), POOL is asked CNAME (one member per query), and any
 * authoritative NOERROR answer holding at least one RR of that type at the name counts.
 * Returns as dns_check_zone(). */
int dns_check_record(arena_t *a, const conf_t *conf, const struct zone *zone,
		     const struct record *rec, dns_check_t *out);
