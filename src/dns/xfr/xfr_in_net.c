/* xfr_in_net.c -- the transfer client: one TCP connection to a primary, an AXFR or IXFR
 * query (RFC 5936 4.1, RFC 1995 3; TSIG-signed when a key is set), and the answer read
 * message by message (2-byte length framing, RFC 1035 4.2.2) into the parser.
 *
 * Every wait is bounded: the connect and each read by peer->timeout_ms, the whole
 * transfer by peer->total_ms. A connection that closes before the closing SOA is a failed
 * transfer, whatever came before it. Blocking sockets with poll(): the transfer worker
 * owns the thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/xfr/xfr_in.h"

int xfr_peer_set(xfr_peer_t *peer, const char *ip, int port)
{
	memset(&peer->addr, 0, sizeof(peer->addr));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&peer->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&peer->addr;
	if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		peer->addr_len = sizeof(*in4);
		return ERR_OK;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		peer->addr_len = sizeof(*in6);
		return ERR_OK;
	}
	return ERR_INVALID;
}

/* Milliseconds to wait now: the per-step timeout, cut to what the deadline leaves. */
static int wait_ms(const xfr_peer_t *p, int64_t deadline)
{
	int64_t left = deadline - time_mono_ms();
	int step = p->timeout_ms > 0 ? p->timeout_ms : 10000;
	return left < step ? (int)(left > 0 ? left : 0) : step;
}

#define STOP_CHECK_MS 200 /* how often a wait looks at peer->stop */

static int await(const xfr_peer_t *p, int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	for (;;) {
		if (p->stop != NULL && atomic_load(p->stop)) {
			return ERR_TIMEOUT;
		}
		int slice = ms < STOP_CHECK_MS ? ms : STOP_CHECK_MS;
		int n = poll(&pfd, 1, slice);
		if (n > 0) {
			return ERR_OK;
		}
		if (n < 0 && errno != EINTR) {
			return -errno;
		}
		if (n == 0) {
			ms -= slice;
			if (ms <= 0) {
				return ERR_TIMEOUT;
			}
		}
	}
}

static int connect_to(const xfr_peer_t *p, int64_t deadline, int *out, const char **why)
{
	int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "cannot make a socket";
		return -errno;
	}
	int ret = ERR_OK;
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addr_len) != 0) {
		ret = errno == EINPROGRESS ? await(p, fd, POLLOUT, wait_ms(p, deadline)) : -errno;
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (ret == ERR_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr) {
			ret = -soerr;
		}
	}
	if (ret != ERR_OK) {
		*why = ret == ERR_TIMEOUT ? "connecting to the primary timed out"
					  : "cannot connect to the primary";
		close(fd);
		return ret;
	}
	*out = fd;
	return ERR_OK;
}

static int send_all(const xfr_peer_t *p, int fd, const uint8_t *buf, size_t size,
		    int64_t deadline)
{
	size_t done = 0;
	while (done < size) {
		ssize_t n = send(fd, buf + done, size - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -errno;
		}
		int ret = await(p, fd, POLLOUT, wait_ms(p, deadline));
		if (ret != ERR_OK) {
			return ret;
		}
	}
	return ERR_OK;
}

/* Exactly size bytes; ERR_IO at end of stream. */
static int recv_all(const xfr_peer_t *p, int fd, uint8_t *buf, size_t size, int64_t deadline)
{
	size_t done = 0;
	while (done < size) {
		ssize_t n = recv(fd, buf + done, size - done, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0) {
			return ERR_IO;
		}
		if (errno != EAGAIN && errno != EINTR) {
			return -errno;
		}
		int ret = await(p, fd, POLLIN, wait_ms(p, deadline));
		if (ret != ERR_OK) {
			return ret;
		}
	}
	return ERR_OK;
}

/* The query, with the 2-byte length in front, into buf. */
static int make_query(const xfr_peer_t *peer, const knot_dname_t *apex, bool is_ixfr,
		      uint32_t have_serial, uint16_t id, uint8_t *buf, size_t max, size_t *size,
		      uint8_t *mac, size_t *mac_size)
{
	memset(buf, 0, max); /* knot_pkt_new() takes the header as the buffer holds it */
	knot_pkt_t *pkt = knot_pkt_new(buf + 2, max - 2, NULL);
	if (pkt == NULL) {
		return ERR_NOMEM;
	}
	knot_wire_set_id(pkt->wire, id);
	int ret = knot_pkt_put_question(pkt, apex, KNOT_CLASS_IN,
					is_ixfr ? KNOT_RRTYPE_IXFR : KNOT_RRTYPE_AXFR);
	if (ret == KNOT_EOK && is_ixfr) {
		/* RFC 1995 3: our SOA in the authority section; only its serial matters. */
		uint8_t rd[22] = { 0, 0 };
		knot_wire_write_u32(rd + 2, have_serial);
		knot_rrset_t *soa = knot_rrset_new(apex, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0, NULL);
		ret = soa != NULL ? knot_rrset_add_rdata(soa, rd, sizeof(rd), NULL) : KNOT_ENOMEM;
		if (ret == KNOT_EOK) {
			ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
		}
		if (ret == KNOT_EOK) {
			ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, soa, 0);
		}
		knot_rrset_free(soa, NULL);
	}
	size_t len = pkt->size;
	if (ret == KNOT_EOK && peer->key != NULL) {
		*mac_size = 64;
		ret = knot_tsig_sign(pkt->wire, &len, max - 2, NULL, 0, mac, mac_size, peer->key, 0,
				     0);
	}
	knot_pkt_free(pkt);
	if (ret != KNOT_EOK) {
		return ERR_INTERNAL;
	}
	knot_wire_write_u16(buf, (uint16_t)len);
	*size = len + 2;
	return ERR_OK;
}

static const char *io_reason(xfr_in_t *x, int ret)
{
	switch (ret) {
	case ERR_TIMEOUT:
		return "the transfer timed out";
	case ERR_IO:
		return "the primary closed the connection before the end of the transfer";
	default:
		return arena_printf(x->arena, "the connection failed (%s)", strerror(-ret));
	}
}

int xfr_in_fetch(const xfr_peer_t *peer, xfr_in_t *x, arena_t *a, const knot_dname_t *apex,
		 bool is_ixfr, uint32_t have_serial, size_t max_rrs)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
		id = (uint16_t)time_mono_us();
	}
	xfr_in_init(x, a, apex, is_ixfr ? KNOT_RRTYPE_IXFR : KNOT_RRTYPE_AXFR, id, have_serial,
		    max_rrs);
	uint8_t query[1024], mac[64];
	size_t qsize = 0, mac_size = 0;
	int ret = make_query(peer, apex, is_ixfr, have_serial, id, query, sizeof(query), &qsize,
			     mac, &mac_size);
	if (ret != ERR_OK) {
		x->error = "cannot build the query";
		return ret;
	}
	if (peer->key != NULL) {
		xfr_in_set_tsig(x, peer->key, mac, mac_size);
	}
	int64_t deadline = time_mono_ms() + (peer->total_ms > 0 ? peer->total_ms : 300000);
	int fd = -1;
	const char *why = NULL;
	ret = connect_to(peer, deadline, &fd, &why);
	if (ret != ERR_OK) {
		x->error = why;
		return ret;
	}
	ret = send_all(peer, fd, query, qsize, deadline);
	uint8_t *msg = xmalloc(UINT16_MAX + 1);
	while (ret == ERR_OK && !x->is_done) {
		uint8_t len[2];
		ret = recv_all(peer, fd, len, 2, deadline);
		size_t n = knot_wire_read_u16(len);
		if (ret == ERR_OK) {
			ret = recv_all(peer, fd, msg, n, deadline);
		}
		if (ret != ERR_OK) {
			x->error = io_reason(x, ret);
			break;
		}
		ret = xfr_in_feed(x, msg, n);
	}
	if (ret != ERR_OK && x->error == NULL) {
		x->error = io_reason(x, ret);
	}
	free(msg);
	close(fd);
	return ret;
}
