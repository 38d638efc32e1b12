/* dnsserver.h -- the dns role's network layer: UDP and TCP listeners, worker threads.
 *
 * dns_server_start() binds every listen address (UDP and TCP) once per worker with
 * SO_REUSEPORT, so the kernel spreads clients over the workers, and starts N UDP workers
 * (udp.c: recvmmsg/sendmmsg batches) and N TCP workers (tcp.c: RFC 7766 over epoll).
 * Each worker owns its sockets, its buffers and one query_worker_t, and answers through
 * query_handle() without locks or heap allocation; it is a QSBR reader of the zone db.
 * dns_server_stop() wakes every worker, joins it and closes everything.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "dns/query/query.h"
#include "dns/stats/stats.h"
#include "dns/zonedb/zonedb.h"

#define DNS_NSID_MAX 128 /* longest NSID payload we accept from the settings */

typedef struct dns_server_conf {
	/* Listen addresses, comma-separated: "127.0.0.1:5300,[::1]:5300,[::]:53". An IPv6
	 * loopback or any IPv6 address on a host without IPv6 is skipped with a warning; any
	 * other bind failure fails the start. Port 0 picks one free port for all sockets of
	 * that address. */
	const char *listen;
	unsigned workers;          /* UDP workers, and as many TCP workers; 0 = one per CPU */
	unsigned tcp_idle_timeout; /* seconds; 0 = 10 (RFC 7766 6.2.3) */
	unsigned tcp_max_clients;  /* open TCP connections in all; 0 = 1000 */
	unsigned udp_coalesce_us;  /* pause after a small UDP batch (udp.c); 0 = none */
	query_conf_t query;        /* for every worker's query_worker_new() */
	stats_t *stats;            /* per-zone query counters (borrowed); NULL = not counted */
	uint8_t nsid_buf[DNS_NSID_MAX]; /* storage dns_server_conf_init() points query.nsid to */
} dns_server_conf_t;

/* Fill dc from the settings (dns, dns-workers, dns-tcp-idle-timeout, dns-tcp-max-clients,
 * dns-udp-coalesce, dns-udp-payload, nsid, identity, version) and a fresh random cookie secret. dc points
 * into conf (borrowed): use it while conf lives. Returns ERR_OK, or ERR_INVALID with a
 * message in err when the nsid setting is bad (hex that is not, or too long). */
int dns_server_conf_init(dns_server_conf_t *dc, const conf_t *conf, char *err, size_t errsize);

typedef struct dns_server dns_server_t;

/* Bind every address, make every worker and start its thread. conf is read during the
 * call only (everything it points to is copied); db is borrowed and must outlive the
 * server. Logs each failure once, naming the address ("dns, cannot bind udp
 * 127.0.0.1:5300 (Address already in use)"). Returns ERR_OK and *out (free with
 * dns_server_stop()), ERR_INVALID for a bad address list, ERR_IO when a socket cannot be
 * made or bound (the port in use), ERR_NOMEM when a query worker cannot be made. */
int dns_server_start(dns_server_t **out, const dns_server_conf_t *conf, zdb_t *db);

/* Wake every worker, wait for it to finish its batch, close every socket and connection,
 * free everything. Safe to call from any thread but a worker; NULL does nothing. */
void dns_server_stop(dns_server_t *s);
