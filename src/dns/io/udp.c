/* udp.c -- a UDP worker: receive a batch, answer each message, send the batch.
 *
 * DESIGN. The worker owns one socket per listen address (SO_REUSEPORT) and one batch of
 * UDP_BATCH receive slots and answer buffers, made when the thread starts; answering
 * allocates nothing. With several sockets the worker waits in epoll_wait (offline for
 * the zone db's QSBR, so it never delays reclamation) until a socket or the stop eventfd
 * is readable; for each readable socket it takes a batch with recvmmsg(MSG_DONTWAIT),
 * answers each message through query_handle() and sends the answers with one sendmmsg(),
 * and is quiescent after each batch. Knot's udp_master and NSD's handle_udp work the
 * same way. With one socket (one listen address, as in most deployments and in the
 * benchmarks) the worker waits in recvmmsg(MSG_WAITFORONE) itself: one system call
 * fewer per batch (epoll_wait was about 2% of the worker's CPU under load, besides the
 * sleeping itself); stopping wakes it with shutdown(SHUT_RD) (io_wake_udp()).
 * Sockets bound to a wildcard address get IP_PKTINFO / IPV6_RECVPKTINFO, and each answer
 * carries the query's destination back as its source.
 *
 * Interrupt moderation: after a batch of fewer than UDP_SMALL_BATCH queries the worker
 * pauses dns-udp-coalesce microseconds (offline for QSBR) before it receives again. A
 * server faster than its clients otherwise answers a few queries per wake-up, and each
 * wake-up costs it (the switch back in) and the client (woken per answer burst) more
 * than the queries do: in bench/dns (dnsperf on the other core, 1,000 zones) a 20 us
 * pause took the queries per CPU-second from 1.06-1.22x Knot DNS's to 1.22-1.30x, and
 * dnsperf's rate rose with it (bench/dns/RESULTS.md, 2026-11-28). Full batches (a busy
 * server) never pause; a query that arrives during a pause waits at most that long (plus
 * the kernel's timer slack), as NICs' interrupt moderation makes packets wait.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "dns/io/io_internal.h"

#define UDP_BATCH 64
#define UDP_BURST 8      /* full batches from one socket before the others get a turn */
#define UDP_SMALL_BATCH 8 /* fewer queries than this in a batch: pause (coalesce()) */
#define UDP_RX_SIZE 4096 /* larger queries arrive MSG_TRUNC and are dropped */
/* Slots one cache line apart from a multiple of 4 KiB: at a 4 KiB stride the first line
 * of every slot (all a query uses) falls in the same L1 set. */
#define UDP_RX_STRIDE (UDP_RX_SIZE + 64)
#define UDP_CMSG_SIZE CMSG_SPACE(sizeof(struct in6_pktinfo))

typedef union udp_cmsg {
	struct cmsghdr align;
	uint8_t buf[UDP_CMSG_SIZE];
} udp_cmsg_t;

typedef struct udp_batch {
	struct mmsghdr rx[UDP_BATCH];
	struct mmsghdr tx[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct iovec tx_iov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	udp_cmsg_t cmsg[UDP_BATCH];
	uint8_t *in;      /* UDP_BATCH * UDP_RX_STRIDE */
	uint8_t *out;     /* UDP_BATCH * out_size */
	size_t out_size;  /* our EDNS payload size: no answer is bigger */
	stats_worker_t *stats; /* this worker's zone counters (NULL = off) */
} udp_batch_t;

/* Ready slot i for the next recvmmsg(). Control space is offered on every socket: only
 * wildcard ones have pktinfo turned on, the others return none. */
static void rx_reset(udp_batch_t *b, size_t i)
{
	struct msghdr *h = &b->rx[i].msg_hdr;
	b->rx_iov[i].iov_base = b->in + i * UDP_RX_STRIDE;
	b->rx_iov[i].iov_len = UDP_RX_SIZE;
	h->msg_iov = &b->rx_iov[i];
	h->msg_iovlen = 1;
	h->msg_name = &b->peer[i];
	h->msg_namelen = sizeof(b->peer[i]);
	h->msg_control = b->cmsg[i].buf;
	h->msg_controllen = sizeof(b->cmsg[i].buf);
	h->msg_flags = 0;
}

static udp_batch_t *batch_new(size_t out_size)
{
	udp_batch_t *b = xcalloc(1, sizeof(*b));
	b->in = xmalloc((size_t)UDP_BATCH * UDP_RX_STRIDE);
	b->out = xmalloc((size_t)UDP_BATCH * out_size);
	b->out_size = out_size;
	for (size_t i = 0; i < UDP_BATCH; i++) {
		rx_reset(b, i);
	}
	return b;
}

static void batch_free(udp_batch_t *b)
{
	free(b->in);
	free(b->out);
	free(b);
}

/* Turn the received destination into the reply's source. The interface index is cleared
 * so that the routing table, not the arrival interface, picks the way out (Knot does the
 * same), except for link-local addresses, which mean nothing without their interface. */
static void pktinfo_reply(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);
			if (!IN6_IS_ADDR_LINKLOCAL(&pi->ipi6_addr)) {
				pi->ipi6_ifindex = 0;
			}
		}
	}
}

/* EMSGSIZE: an IPv4 answer bigger than the interface MTU cannot leave with DF
 * (listener.c sets IP_PMTUDISC_PROBE), so the configured UDP payload size is more than
 * the link carries. The socket goes back to fragmenting such answers (still ignoring
 * forged ICMP), once; true when the answer is worth sending again. */
static bool udp_send_too_big(int fd)
{
	int mode = 0;
	socklen_t len = sizeof(mode);
	if (getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, &len) != 0 ||
	    mode != IP_PMTUDISC_PROBE) {
		return false; /* IPv6, or fragmenting already */
	}
	mode = IP_PMTUDISC_OMIT;
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof(mode)) != 0) {
		return false;
	}
	log_warn("dns, a UDP answer is bigger than the interface MTU; such answers are "
		 "fragmented from now on (lower dns-udp-payload to avoid it)");
	return true;
}

/* Send tx[0..count); a datagram the kernel refuses (no route, ...) is skipped. */
static void send_all(io_worker_t *w, int fd, struct mmsghdr *tx, unsigned count)
{
	unsigned done = 0;
	while (done < count) {
		int sent = sendmmsg(fd, tx + done, count - done, 0);
		if (sent > 0) {
			done += (unsigned)sent;
		} else if (sent < 0 && (errno == EINTR ||
					(errno == EMSGSIZE && udp_send_too_big(fd)))) {
			continue;
		} else {
			w->dropped++;
			done++;
		}
	}
}

/* Queue the answer for slot i as tx[k]. */
static void tx_set(udp_batch_t *b, unsigned k, size_t i, size_t size)
{
	struct msghdr *rh = &b->rx[i].msg_hdr, *th = &b->tx[k].msg_hdr;
	b->tx_iov[k].iov_base = b->out + i * b->out_size;
	b->tx_iov[k].iov_len = size;
	th->msg_iov = &b->tx_iov[k];
	th->msg_iovlen = 1;
	th->msg_name = &b->peer[i];
	th->msg_namelen = rh->msg_namelen;
	th->msg_control = NULL;
	th->msg_controllen = 0;
	if (rh->msg_controllen > 0) {
		pktinfo_reply(rh);
		th->msg_control = rh->msg_control;
		th->msg_controllen = rh->msg_controllen;
	}
}

/* Answer the n messages received in b and send the answers. */
static void answer_batch(io_worker_t *w, udp_batch_t *b, int fd, size_t n)
{
	const zdb_t *db = w->srv->db;
	const uint8_t *wires[UDP_BATCH];
	size_t sizes[UDP_BATCH];
	for (size_t i = 0; i < n; i++) {
		wires[i] = b->in + i * UDP_RX_STRIDE;
		sizes[i] = b->rx[i].msg_len;
	}
	query_prefetch(db, wires, sizes, n);
	unsigned k = 0;
	for (size_t i = 0; i < n; i++) {
		if (b->rx[i].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			w->dropped++;
			continue;
		}
		query_src_t src = { .addr = (const struct sockaddr *)&b->peer[i], .is_tcp = false };
		size_t size = query_handle(w->qw, db, &src, wires[i],
					   b->rx[i].msg_len, b->out + i * b->out_size,
					   b->out_size);
		if (size > 0) {
			tx_set(b, k++, i, size);
			stats_count(b->stats, query_worker_last_zone(w->qw));
		}
	}
	send_all(w, fd, b->tx, k);
	w->queries += k;
	for (size_t i = 0; i < n; i++) {
		rx_reset(b, i);
	}
}

/* One batch from one socket. Returns how many messages it held. */
static size_t serve_batch(io_worker_t *w, udp_batch_t *b, int fd)
{
	int n = recvmmsg(fd, b->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		return 0; /* EAGAIN; other errors (ICMP reports) concern no query */
	}
	answer_batch(w, b, fd, (size_t)n);
	return (size_t)n;
}

/* After a batch of n (< UDP_SMALL_BATCH) queries, let the next ones gather (the file's
 * comment). */
static void coalesce(io_worker_t *w, zdb_reader_t *r, size_t n)
{
	long ns = w->srv->udp_coalesce_ns;
	if (ns == 0 || n >= UDP_SMALL_BATCH ||
	    atomic_load_explicit(&w->srv->is_stopping, memory_order_relaxed)) {
		return;
	}
	struct timespec pause = { .tv_sec = 0, .tv_nsec = ns };
	zdb_reader_offline(r);
	(void)nanosleep(&pause, NULL);
	zdb_reader_online(r);
}

/* Several sockets: wait for any of them (or the stop eventfd) in epoll_wait. */
static void run_polled(io_worker_t *w, udp_batch_t *b, zdb_reader_t *r)
{
	dns_server_t *s = w->srv;
	struct epoll_event evs[IO_MAX_ADDRS + 1];
	while (!atomic_load_explicit(&s->is_stopping, memory_order_relaxed)) {
		zdb_reader_offline(r);
		int n = epoll_wait(w->epfd, evs, IO_MAX_ADDRS + 1, -1);
		zdb_reader_online(r);
		size_t got = 0;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == IO_TAG_STOP) {
				continue;
			}
			/* A full batch means more waits: take a few more before looking at
			 * the other sockets again. */
			int fd = w->fds[evs[i].data.u64 - 1];
			for (int j = 0; j < UDP_BURST; j++) {
				size_t k = serve_batch(w, b, fd);
				got += k;
				if (k < UDP_BATCH) {
					break;
				}
				zdb_reader_quiescent(r);
			}
		}
		zdb_reader_quiescent(r);
		if (got > 0) {
			coalesce(w, r, got);
		}
	}
}

/* One socket: wait in recvmmsg itself. MSG_WAITFORONE blocks for the first message only
 * and then takes whatever else is queued. io_wake_udp() ends the wait at stop: after
 * shutdown(SHUT_RD) the call returns at once (an empty message, or none). */
static void run_single(io_worker_t *w, udp_batch_t *b, zdb_reader_t *r)
{
	dns_server_t *s = w->srv;
	int fd = w->fds[0];
	while (!atomic_load_explicit(&s->is_stopping, memory_order_relaxed)) {
		zdb_reader_offline(r);
		int n = recvmmsg(fd, b->rx, UDP_BATCH, MSG_WAITFORONE, NULL);
		zdb_reader_online(r);
		if (n > 0) {
			answer_batch(w, b, fd, (size_t)n);
			coalesce(w, r, (size_t)n);
		} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
			/* Nothing but ICMP reports is expected here; never spin on an error. */
			struct pollfd p = { .fd = fd, .events = POLLIN };
			zdb_reader_offline(r);
			(void)poll(&p, 1, 100);
			zdb_reader_online(r);
		}
		zdb_reader_quiescent(r);
	}
}

void io_wake_udp(dns_server_t *s)
{
	for (unsigned i = 0; s->udp != NULL && i < s->worker_count; i++) {
		for (size_t j = 0; s->udp[i].fds != NULL && j < s->addr_count; j++) {
			if (s->udp[i].fds[j] >= 0) {
				/* ENOTCONN for an unconnected socket, but the receive side is shut
				 * and every waiter woken all the same (inet_shutdown()). */
				(void)shutdown(s->udp[i].fds[j], SHUT_RD);
			}
		}
	}
}

void *udp_worker_run(void *arg)
{
	io_worker_t *w = arg;
	dns_server_t *s = w->srv;
	udp_batch_t *b = batch_new(s->qconf.udp_max_payload);
	b->stats = stats_worker_add(s->stats);
	zdb_reader_t *r = zdb_reader_register(s->db);
	if (s->addr_count == 1) {
		run_single(w, b, r);
	} else {
		run_polled(w, b, r);
	}
	zdb_reader_unregister(s->db, r);
	batch_free(b);
	return NULL;
}
