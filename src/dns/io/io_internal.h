/* io_internal.h -- what listener.c shares with the UDP and TCP workers. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/io/dnsserver.h"

#define IO_ADDR_TEXT 64 /* "[ffff:...:ffff%ifname]:65535" */
#define IO_MAX_ADDRS 64 /* listen addresses */

/* One listen address, parsed. */
typedef struct io_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool is_wild;            /* 0.0.0.0 or [::]: replies need IP(V6)_PKTINFO */
	char text[IO_ADDR_TEXT]; /* as given, for logs */
} io_addr_t;

/* One worker thread: its sockets (one per address, in the order of srv->addrs), its
 * query worker and its counters. Owned by the server; the thread owns what it makes. */
typedef struct io_worker {
	dns_server_t *srv;     /* borrowed */
	unsigned id;
	pthread_t thread;
	bool is_started;
	int *fds;              /* count = srv->addr_count; -1 = not made */
	int epfd;              /* holds stop_fd and every fd above, tagged with io_tag() */
	query_worker_t *qw;
	uint64_t queries;      /* answered; read after the join only */
	uint64_t dropped;      /* messages not answered: truncated, send errors, refused conns */
} io_worker_t;

struct dns_server {
	zdb_t *db;                /* borrowed */
	stats_t *stats;           /* borrowed; each worker counts into a table of its own */
	query_conf_t qconf;       /* pointers into the copies below */
	uint8_t nsid[DNS_NSID_MAX];
	char *identity, *version; /* xstrdup'ed; NULL = off */
	io_addr_t *addrs;
	size_t addr_count;
	unsigned worker_count;    /* of each kind */
	int64_t tcp_idle_ms;
	unsigned tcp_max_per_worker;
	long udp_coalesce_ns;     /* 0 = no pause after small batches */
	int stop_fd;              /* eventfd: readable once stop begins; nobody reads it */
	atomic_bool is_stopping;
	io_worker_t *udp, *tcp;   /* worker_count each */
};

/* epoll tags (epoll_data.u64): 0 is the stop eventfd, 1 + i the socket of address i.
 * A TCP connection is tagged with its pointer, which is never below IO_TAG_LIMIT. */
#define IO_TAG_STOP 0
#define IO_TAG_LIMIT 4096
static inline uint64_t io_tag(size_t addr_index)
{
	return 1 + (uint64_t)addr_index;
}

/* Thread bodies; arg is an io_worker_t. They return when srv->is_stopping is set. */
void *udp_worker_run(void *arg);
/* At stop, after is_stopping is set: wake UDP workers waiting in recvmmsg(). */
void io_wake_udp(dns_server_t *s);
void *tcp_worker_run(void *arg);

/* Print "ADDR:PORT" of a socket address into out. */
void io_addr_format(const struct sockaddr *sa, char *out, size_t size);
