/* upstream.c -- questions to the configured recursive resolvers, for the ALIAS cache.
 *
 * DESIGN. A batch of questions goes to one server at a time over one connected,
 * non-blocking UDP socket (the kernel drops datagrams from other addresses and reports a
 * refused port at once), each with its own random id; one poll() loop collects the
 * answers until they are all in or the timeout passes. A reply counts when its id, QR,
 * opcode and question match; a truncated one is asked again over TCP (RFC 7766), one
 * connection per question (rare: address answers are small). What a server leaves
 * unanswered, or answers with SERVFAIL/REFUSED, goes to the next one. Packets are built
 * and parsed with libknot; nothing here knows the cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/alias/alias_internal.h"

#define QUERY_MAX 512          /* a question for one name, with EDNS */
#define EDNS_PAYLOAD 1232      /* RFC 9715 advice */
#define CHAIN_MAX 16           /* CNAMEs followed inside one answer */

/* --- the setting ------------------------------------------------------------------------ */

static int parse_one(const char *item, size_t len, upstream_t *u)
{
	char host[INET6_ADDRSTRLEN + 2] = "";
	unsigned long port = 53;
	const char *end = item + len;
	const char *port_at = NULL;
	if (item[0] == '[') {
		const char *close = memchr(item, ']', len);
		if (close == NULL || (size_t)(close - item - 1) >= sizeof(host)) {
			return ERR_INVALID;
		}
		memcpy(host, item + 1, (size_t)(close - item - 1));
		if (close + 1 < end) {
			if (close[1] != ':') {
				return ERR_INVALID;
			}
			port_at = close + 2;
		}
	} else {
		const char *colon = memchr(item, ':', len);
		bool is_v6 = colon != NULL &&
			     memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL;
		size_t hlen = colon != NULL && !is_v6 ? (size_t)(colon - item) : len;
		if (hlen >= sizeof(host)) {
			return ERR_INVALID;
		}
		memcpy(host, item, hlen);
		port_at = colon != NULL && !is_v6 ? colon + 1 : NULL;
	}
	if (port_at != NULL) {
		char digits[8] = "";
		size_t plen = (size_t)(end - port_at);
		if (plen == 0 || plen >= sizeof(digits) || strspn(port_at, "0123456789") < plen) {
			return ERR_INVALID;
		}
		memcpy(digits, port_at, plen);
		port = strtoul(digits, NULL, 10);
		if (port == 0 || port > 65535) {
			return ERR_INVALID;
		}
	}
	memset(u, 0, sizeof(*u));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&u->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&u->ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		u->len = sizeof(*s4);
		snprintf(u->text, sizeof(u->text), "%s:%lu", host, port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		u->len = sizeof(*s6);
		snprintf(u->text, sizeof(u->text), "[%s]:%lu", host, port);
	} else {
		return ERR_INVALID;
	}
	return ERR_OK;
}

int upstream_parse(const char *list, upstream_t *out, size_t max, size_t *count, char *err,
		   size_t errsize)
{
	*count = 0;
	for (const char *p = list != NULL ? list : ""; *p != '\0';) {
		size_t n = strcspn(p, ",");
		const char *item = p;
		size_t len = n;
		while (len > 0 && (*item == ' ' || *item == '\t')) {
			item++;
			len--;
		}
		while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t')) {
			len--;
		}
		p += n + (p[n] == ',');
		if (len == 0) {
			continue;
		}
		if (*count == max) {
			snprintf(err, errsize, "resolver: more than %zu servers", max);
			return ERR_TOOBIG;
		}
		if (parse_one(item, len, &out[*count]) != ERR_OK) {
			snprintf(err, errsize, "resolver: '%.*s' is not IP[:port] or [IPv6]:port",
				 (int)len, item);
			return ERR_INVALID;
		}
		(*count)++;
	}
	return ERR_OK;
}

/* --- packets ---------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The question's wire form (RD set, EDNS(0) with our payload size) into wire. */
static size_t build_query(const upstream_q_t *q, uint8_t *wire, size_t max)
{
	knot_pkt_t *pkt = knot_pkt_new(wire, (uint16_t)max, NULL);
	if (pkt == NULL) {
		return 0;
	}
	knot_pkt_clear(pkt); /* a packet over a given buffer starts as if parsed from it */
	knot_wire_set_id(pkt->wire, q->_id);
	knot_wire_set_rd(pkt->wire);
	size_t size = 0;
	knot_rrset_t opt;
	if (knot_pkt_put_question(pkt, q->name, KNOT_CLASS_IN, q->type) == KNOT_EOK &&
	    knot_edns_init(&opt, EDNS_PAYLOAD, 0, KNOT_EDNS_VERSION, NULL) == KNOT_EOK) {
		knot_pkt_begin(pkt, KNOT_ADDITIONAL);
		if (knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, 0) == KNOT_EOK) {
			size = pkt->size;
		}
		knot_rrset_clear(&opt, NULL);
	}
	knot_pkt_free(pkt);
	return size;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM). */
static uint32_t negative_ttl(const knot_pkt_t *pkt)
{
	const knot_pktsection_t *ns = knot_pkt_section(pkt, KNOT_AUTHORITY);
	for (uint16_t i = 0; i < ns->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ns, i);
		if (rr->type == KNOT_RRTYPE_SOA && rr->rrs.count > 0) {
			return min_u32(rr->ttl, knot_soa_minimum(rr->rrs.rdata));
		}
	}
	return UPSTREAM_NEG_TTL;
}

/* The addresses for q in a parsed NOERROR/NXDOMAIN answer: follow the CNAMEs from the
 * qname (RFC 1034 4.3.1: a recursive answer carries the chain), take the RRs of q->type
 * at its end. */
static int take_answer(upstream_q_t *q, const knot_pkt_t *pkt)
{
	const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
	const knot_dname_t *sname = q->name;
	uint32_t ttl = UPSTREAM_TTL_MAX;
	for (unsigned step = 0; step < CHAIN_MAX; step++) {
		const knot_rrset_t *cname = NULL;
		for (uint16_t i = 0; i < an->count && cname == NULL; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->type == KNOT_RRTYPE_CNAME &&
			    knot_dname_is_case_equal(rr->owner, sname)) {
				cname = rr;
			}
		}
		if (cname == NULL) {
			break;
		}
		ttl = min_u32(ttl, cname->ttl);
		sname = knot_cname_name(cname->rrs.rdata);
	}
	knot_rdataset_clear(&q->rrs, NULL);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != q->type || rr->rclass != KNOT_CLASS_IN ||
		    !knot_dname_is_case_equal(rr->owner, sname)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count; k++) {
			if (knot_rdataset_add(&q->rrs, rd, NULL) != KNOT_EOK) {
				return ERR_NOMEM;
			}
			rd = knot_rdataset_next(rd);
		}
		ttl = min_u32(ttl, rr->ttl);
	}
	if (q->rrs.count == 0) {
		ttl = min_u32(ttl, negative_ttl(pkt));
	}
	q->ttl = ttl;
	return ERR_OK;
}

/* wire[0..size) as the reply to q. ERR_OK when q is answered (or q->_is_tc is set);
 * ERR_INVALID when it is not q's reply (ignore it); ERR_UPSTREAM for a failure answer. */
static int read_reply(upstream_q_t *q, uint8_t *wire, size_t size)
{
	if (size < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(wire) != q->_id ||
	    !knot_wire_get_qr(wire) || knot_wire_get_opcode(wire) != KNOT_OPCODE_QUERY) {
		return ERR_INVALID;
	}
	knot_pkt_t *pkt = knot_pkt_new(wire, (uint16_t)size, NULL);
	if (pkt == NULL) {
		return ERR_NOMEM;
	}
	int ret = ERR_UPSTREAM;
	int parsed = knot_pkt_parse(pkt, 0);
	bool is_ours = knot_wire_get_qdcount(wire) == 1 && pkt->qname_size > 0 &&
		       knot_dname_is_case_equal(knot_pkt_qname(pkt), q->name) &&
		       knot_pkt_qtype(pkt) == q->type && knot_pkt_qclass(pkt) == KNOT_CLASS_IN;
	uint16_t rcode = knot_wire_get_rcode(wire);
	if (!is_ours) {
		ret = ERR_INVALID;
	} else if (knot_wire_get_tc(wire)) {
		q->_is_tc = true;
		ret = ERR_OK;
	} else if (parsed == KNOT_EOK &&
		   (rcode == KNOT_RCODE_NOERROR || rcode == KNOT_RCODE_NXDOMAIN)) {
		ret = take_answer(q, pkt);
		q->_is_done = ret == ERR_OK;
	}
	knot_pkt_free(pkt);
	return ret;
}

/* --- UDP -------------------------------------------------------------------------------- */

static int udp_socket(const upstream_t *u)
{
	int fd = socket(u->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&u->ss, u->len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A fresh id for every question still open, distinct within the batch. */
static void new_ids(upstream_q_t *qs, size_t n)
{
	uint16_t ids[UPSTREAM_BATCH];
	if (getrandom(ids, sizeof(ids), 0) != (ssize_t)sizeof(ids)) {
		for (size_t i = 0; i < UPSTREAM_BATCH; i++) {
			ids[i] = (uint16_t)(rand() ^ (int)i); /* getrandom does not fail */
		}
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++) {
			if (ids[k] == ids[i]) {
				ids[i]++;
				k = (size_t)-1; /* again from the start */
			}
		}
		qs[i]._id = ids[i];
	}
}

static upstream_q_t *by_id(upstream_q_t *qs, size_t n, const uint8_t *wire, size_t size)
{
	if (size < KNOT_WIRE_HEADER_SIZE) {
		return NULL;
	}
	uint16_t id = knot_wire_get_id(wire);
	for (size_t i = 0; i < n; i++) {
		if (qs[i]._id == id && !qs[i]._is_done && !qs[i]._is_tc) {
			return &qs[i];
		}
	}
	return NULL;
}

/* Send every open question to u and collect answers until the deadline. Returns how
 * many the server answered (a failure answer counts as one for q->ret only). */
static size_t ask_udp(const upstream_t *u, upstream_q_t *qs, size_t n, unsigned timeout_ms,
		      uint8_t *buf, size_t buf_size)
{
	int fd = udp_socket(u);
	if (fd < 0) {
		return 0;
	}
	new_ids(qs, n);
	size_t open = 0, answered = 0;
	bool is_refused = false;
	for (size_t i = 0; i < n && !is_refused; i++) {
		if (qs[i]._is_done) {
			continue;
		}
		uint8_t wire[QUERY_MAX];
		size_t size = build_query(&qs[i], wire, sizeof(wire));
		if (size == 0) {
			continue;
		}
		if (send(fd, wire, size, 0) == (ssize_t)size) {
			open++;
		} else {
			is_refused = errno == ECONNREFUSED; /* an ICMP error from an earlier one */
		}
	}
	int64_t deadline = now_ms() + timeout_ms;
	while (open > 0 && !is_refused) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			break;
		}
		ssize_t got = recv(fd, buf, buf_size, 0);
		if (got < 0) {
			is_refused = errno == ECONNREFUSED; /* nobody listens there */
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			break;
		}
		upstream_q_t *q = by_id(qs, n, buf, (size_t)got);
		if (q == NULL) {
			continue;
		}
		int ret = read_reply(q, buf, (size_t)got);
		if (ret == ERR_INVALID) {
			continue;
		}
		q->ret = ret == ERR_OK ? ERR_OK : ERR_UPSTREAM;
		q->server = u->text;
		open--;
		answered++;
	}
	for (size_t i = 0; i < n; i++) {
		if (!qs[i]._is_done && !qs[i]._is_tc) {
			qs[i].server = u->text;
			qs[i].ret = is_refused ? ERR_UPSTREAM : qs[i].ret;
		}
	}
	close(fd);
	return answered;
}

/* --- TCP -------------------------------------------------------------------------------- */

static bool wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			return false;
		}
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r > 0) {
			return true;
		}
		if (r < 0 && errno != EINTR) {
			return false;
		}
	}
}

static bool io_all(int fd, uint8_t *p, size_t size, bool is_write, int64_t deadline)
{
	while (size > 0) {
		if (!wait_fd(fd, is_write ? POLLOUT : POLLIN, deadline)) {
			return false;
		}
		ssize_t n = is_write ? send(fd, p, size, MSG_NOSIGNAL) : recv(fd, p, size, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		p += n;
		size -= (size_t)n;
	}
	return true;
}

/* One question over TCP (RFC 7766: two-byte length, then the message). */
static void ask_tcp(const upstream_t *u, upstream_q_t *q, unsigned timeout_ms, uint8_t *buf,
		    size_t buf_size)
{
	q->_is_tc = false;
	q->ret = ERR_TIMEOUT;
	q->server = u->text;
	int64_t deadline = now_ms() + timeout_ms;
	int fd = socket(u->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return;
	}
	uint8_t wire[2 + QUERY_MAX];
	size_t size = build_query(q, wire + 2, sizeof(wire) - 2);
	knot_wire_write_u16(wire, (uint16_t)size);
	int err = 0;
	socklen_t len = sizeof(err);
	if (size == 0 ||
	    (connect(fd, (const struct sockaddr *)&u->ss, u->len) != 0 && errno != EINPROGRESS) ||
	    !wait_fd(fd, POLLOUT, deadline) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0 ||
	    !io_all(fd, wire, size + 2, true, deadline)) {
		q->ret = ERR_UPSTREAM;
		close(fd);
		return;
	}
	uint8_t head[2];
	if (io_all(fd, head, 2, false, deadline)) {
		size_t reply = knot_wire_read_u16(head);
		if (reply <= buf_size && io_all(fd, buf, reply, false, deadline)) {
			int ret = read_reply(q, buf, reply);
			q->ret = ret == ERR_OK && q->_is_done ? ERR_OK : ERR_UPSTREAM;
		}
	}
	close(fd);
}

void upstream_resolve(const upstream_t *servers, size_t server_count, size_t *first,
		      upstream_q_t *qs, size_t n, unsigned timeout_ms, const atomic_bool *stop)
{
	for (size_t i = 0; i < n; i++) {
		knot_rdataset_init(&qs[i].rrs);
		qs[i].ret = server_count > 0 ? ERR_TIMEOUT : ERR_UPSTREAM;
		qs[i].ttl = 0;
		qs[i].server = NULL;
		qs[i]._is_done = qs[i]._is_tc = false;
	}
	uint8_t *buf = xmalloc(UINT16_MAX);
	size_t start = server_count > 0 ? *first % server_count : 0;
	for (size_t s = 0; s < server_count && (stop == NULL || !atomic_load(stop)); s++) {
		const upstream_t *u = &servers[(start + s) % server_count];
		size_t answered = ask_udp(u, qs, n, timeout_ms, buf, UINT16_MAX);
		size_t open = 0;
		for (size_t i = 0; i < n; i++) {
			if (qs[i]._is_tc) {
				ask_tcp(u, &qs[i], timeout_ms, buf, UINT16_MAX);
			}
			open += !qs[i]._is_done;
		}
		if (open == 0) {
			break;
		}
		if (answered == 0) {
			*first = (start + s + 1) % server_count; /* start with the next one later */
		}
	}
	free(buf);
}
