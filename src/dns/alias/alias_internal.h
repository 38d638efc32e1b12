/* alias_internal.h -- the upstream resolver client shared by alias.c, upstream.c and tests. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#define UPSTREAM_MAX 16          /* servers in the resolver setting */
#define UPSTREAM_BATCH 64        /* questions in flight at once */
#define UPSTREAM_TTL_MAX 86400   /* longer TTLs are cut to a day */
#define UPSTREAM_NEG_TTL 60      /* a negative answer without an SOA (RFC 2308 5 wants one) */

typedef struct upstream {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];               /* "192.0.2.1:53", "[2001:db8::1]:53" for logs */
} upstream_t;

/* "IP", "IP:port", "IPv6", "[IPv6]" or "[IPv6]:port", comma-separated, blanks ignored;
 * port 53 by default. Returns ERR_OK with out[0..*count), ERR_INVALID with a message
 * in err, ERR_TOOBIG past max. */
int upstream_parse(const char *list, upstream_t *out, size_t max, size_t *count, char *err,
		   size_t errsize);

/* One question to the upstream and its answer. */
typedef struct upstream_q {
	const knot_dname_t *name;    /* lowercase wire (borrowed) */
	uint16_t type;               /* A or AAAA */
	int ret;                     /* ERR_OK: an answer (rrs empty for NODATA/NXDOMAIN);
				      * ERR_TIMEOUT, ERR_UPSTREAM (SERVFAIL, REFUSED, garbage,
				      * a refused connection) */
	knot_rdataset_t rrs;         /* the addresses, CNAMEs followed; heap, free with
				      * knot_rdataset_clear(&rrs, NULL) */
	uint32_t ttl;                /* min over the CNAMEs and the RRset (or the negative
				      * TTL: min(SOA TTL, MINIMUM), RFC 2308 5), <= a day */
	const char *server;          /* the server that answered or failed last (text) */
	uint16_t _id;
	bool _is_done;
	bool _is_tc;
} upstream_q_t;

/* Ask qs[0..n) (n <= UPSTREAM_BATCH): all at once over UDP to one server, waiting up to
 * timeout_ms for the answers; truncated ones again over TCP (same timeout each); what is
 * left unanswered goes to the next server, unless *stop (may be NULL) turns true. *first
 * is the server to start with; it moves past a server that answered nothing. Blocks; for
 * the refresher thread only. */
void upstream_resolve(const upstream_t *servers, size_t server_count, size_t *first,
		      upstream_q_t *qs, size_t n, unsigned timeout_ms, const atomic_bool *stop);
