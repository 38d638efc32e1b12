/* query.h -- answering one DNS message from the zone db: the authoritative answer
 * algorithm (RFC 1034 4.3.2, RFC 2181, RFC 4592 wildcards, RFC 6672 DNAME), EDNS(0)
 * (RFC 6891), truncation, NSID (RFC 5001), CHAOS identity, DNS Cookies (RFC 7873),
 * minimal ANY (RFC 8482).
 *
 * A worker owns one query_worker_t (its buffers and memory pool, made at start), and
 * answers without allocating from the heap and without locks; everything it reads from
 * the zone db stays valid until its next zdb_reader_quiescent(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/alias/alias.h"
#include "dns/xfr/xfr.h"
#include "dns/zonedb/zonedb.h"

typedef struct query_conf {
	const uint8_t *nsid;       /* NSID option payload; NULL = off */
	size_t nsid_size;
	const char *identity;      /* id.server / hostname.bind TXT; NULL = REFUSED */
	const char *version;       /* version.bind / version.server TXT; NULL = REFUSED */
	uint16_t udp_max_payload;  /* our EDNS buffer size (RFC 9715 advice: 1232) */
	uint8_t cookie_secret[16]; /* server cookie secret (RFC 7873 / RFC 9018) */
	const alias_t *alias;      /* ALIAS targets outside our zones and the redirector's
				    * addresses (URL records); NULL = neither is answered */
	/* NOTIFY (RFC 1996) for secondary zones: the RCODE to answer (the jobs role's
	 * jobs_notify: NOERROR for a zone of ours from one of its primaries, which it then
	 * refreshes); NULL = every NOTIFY is REFUSED. Called on worker threads: no I/O. */
	int (*on_notify)(void *ctx, const knot_dname_t *zone, const struct sockaddr *from);
	void *notify_ctx;
	/* Zone transfers out and TSIG keys (dns/xfr): AXFR/IXFR and signed queries are
	 * checked against it; NULL = every transfer REFUSED, every TSIG BADKEY. */
	xfr_t *xfr;
} query_conf_t;

typedef struct query_worker query_worker_t;

/* One per worker thread; conf is borrowed for the worker's life. */
query_worker_t *query_worker_new(const query_conf_t *conf);
void query_worker_free(query_worker_t *w);

typedef struct query_src {
	const struct sockaddr *addr; /* the client, for cookies */
	bool is_tcp;
} query_src_t;

/* Answer the message in[0..in_size) into out (out_max bytes: 65535 for TCP; for UDP the
 * answer is cut to the client's EDNS size, or 512, with TC set). Returns the answer's
 * size, or 0 when nothing must be sent (a response, or garbage too short for a header). */
size_t query_handle(query_worker_t *w, const zdb_t *db, const query_src_t *src,
		    const uint8_t *in, size_t in_size, uint8_t *out, size_t out_max);

/* Online signatures of a worker (ALIAS, URL, POOL answers in signed zones): served from
 * its cache, and made anew. */
/* Before answering a batch of n messages (UDP): start the zone db's memory loads for
 * each message's question at once, so they overlap (zdb_prefetch_start(); prefetch.c).
 * A hint: answers are the same without it. Any n; messages without one plain question
 * are skipped. */
void query_prefetch(const zdb_t *db, const uint8_t *const wires[], const size_t sizes[],
		    size_t n);

typedef struct sigcache_stats {
	uint64_t hits, misses;
} sigcache_stats_t;
sigcache_stats_t query_worker_sigcache_stats(const query_worker_t *w);

/* The zone that the last query_handle() answered from (its question fell in it), or NULL:
 * for per-zone counters. Valid until the worker's next quiescent point. */
const zdb_zone_t *query_worker_last_zone(const query_worker_t *w);

/* After query_handle() answered an AXFR or IXFR over TCP with its first message: the rest
 * of the answer (xfr_out_next() for each next message, then xfr_out_free()), or NULL when
 * that message was all. The caller owns it; take it before the worker's next query. */
xfr_out_t *query_worker_take_xfr(query_worker_t *w);
