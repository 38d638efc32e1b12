/* client.c -- the DNS client: addresses, one query to many servers over UDP (TCP on TC).
 *
 * Each server is a small state machine driven by one poll() loop: UDP (waiting, resent
 * once at each retry point) -> done, or UDP -> TCP connect -> write -> read -> done when
 * the UDP answer is truncated (RFC 7766 5: retry over TCP). See client.h for the rules a
 * reply must pass.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "dns/client/client.h"
#include "dns/client/client_internal.h"

#define DEFAULT_TIMEOUT_MS 1500
#define MAX_RETRIES 3
#define QUERY_BUF 512 /* header + a 255-byte name + type/class + OPT fit */

/* --- addresses ---------------------------------------------------------------------- */

static bool parse_port(const char *p, size_t len, bool allow_port0, char out[8])
{
	if (len == 0 || len > 5) {
		return false;
	}
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return v <= 65535 && (v > 0 || allow_port0);
}

int dns_client_addr_parse(const char *text, size_t len, bool allow_port0,
			  dns_client_addr_t *out)
{
	if (len == 0 || len >= sizeof(out->text)) {
		return ERR_PARSE;
	}
	const char *end = text + len, *host = text, *colon = NULL;
	int family = AF_INET;
	if (text[0] == '[') {
		const char *rb = memchr(text, ']', len);
		if (rb == NULL || rb + 1 >= end || rb[1] != ':') {
			return ERR_PARSE;
		}
		host = text + 1;
		colon = rb + 1;
		family = AF_INET6;
	} else {
		colon = memchr(text, ':', len);
		if (colon == NULL || memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			return ERR_PARSE; /* an IPv6 address needs its brackets */
		}
	}
	size_t host_len = (size_t)((family == AF_INET6 ? colon - 1 : colon) - host);
	char h[DNS_CLIENT_ADDR_TEXT], port[8];
	if (host_len == 0 || !parse_port(colon + 1, (size_t)(end - colon - 1), allow_port0, port)) {
		return ERR_PARSE;
	}
	memcpy(h, host, host_len);
	h[host_len] = '\0';
	/* numeric only: a name here would make every check wait on a resolver */
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_family = family, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	if (getaddrinfo(h, port, &hints, &res) != 0 || res == NULL) {
		return ERR_PARSE;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	return ERR_OK;
}

int dns_client_addr_list_parse(const char *list, dns_client_addr_t *out, size_t max,
			       size_t *count)
{
	size_t n = 0;
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;
		while (s < e && (*s == ' ' || *s == '\t')) {
			s++;
		}
		while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
			e--;
		}
		if (e > s) {
			if (n == max) {
				*count = n;
				return ERR_TOOBIG;
			}
			if (dns_client_addr_parse(s, (size_t)(e - s), false, &out[n]) != ERR_OK) {
				*count = n;
				return ERR_PARSE;
			}
			n++;
		}
		p += len + (p[len] == ',');
	}
	*count = n;
	return ERR_OK;
}

/* --- packets ------------------------------------------------------------------------ */

static void *on_mm_alloc(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

static void on_mm_free(void *p)
{
	(void)p; /* the arena frees */
}

void client_mm_init(knot_mm_t *mm, arena_t *a)
{
	mm->ctx = a;
	mm->alloc = on_mm_alloc;
	mm->free = on_mm_free;
}

static int build_query(arena_t *a, const dns_client_query_t *q, uint8_t **wire, size_t *size)
{
	knot_dname_storage_t qname;
	if (q->qname == NULL || *q->qname == '\0' ||
	    knot_dname_from_str(qname, q->qname, sizeof(qname)) == NULL) {
		return ERR_INVAL_ARG;
	}
	knot_mm_t mm;
	client_mm_init(&mm, a);
	knot_pkt_t *pkt = knot_pkt_new(NULL, QUERY_BUF, &mm);
	if (pkt == NULL) {
		return ERR_TOOBIG;
	}
	uint16_t qclass = q->qclass != 0 ? q->qclass : KNOT_CLASS_IN;
	if (knot_pkt_put_question(pkt, qname, qclass, q->qtype) != KNOT_EOK) {
		return ERR_INVAL_ARG;
	}
	if (q->udp_payload > 0) {
		knot_rrset_t opt;
		if (knot_edns_init(&opt, q->udp_payload, 0, 0, &mm) != KNOT_EOK ||
		    knot_pkt_begin(pkt, KNOT_ADDITIONAL) != KNOT_EOK ||
		    knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, 0) != KNOT_EOK) {
			return ERR_TOOBIG;
		}
	}
	*wire = pkt->wire;
	*size = pkt->size;
	return ERR_OK;
}

/* Is the question of reply (already parsed) the question of query? */
static bool same_question(const knot_pkt_t *reply, const uint8_t *query, size_t query_size)
{
	const uint8_t *qname = query + KNOT_WIRE_HEADER_SIZE;
	size_t qname_size = knot_dname_size(qname);
	if (KNOT_WIRE_HEADER_SIZE + qname_size + 4 > query_size) {
		return false;
	}
	const uint8_t *p = qname + qname_size;
	return knot_dname_is_case_equal(knot_pkt_wire_qname(reply), qname) &&
	       knot_pkt_qtype(reply) == knot_wire_read_u16(p) &&
	       knot_pkt_qclass(reply) == knot_wire_read_u16(p + 2);
}

int client_reply_read(arena_t *a, const uint8_t *query, size_t query_size,
		      const uint8_t *wire, size_t size, knot_pkt_t **out)
{
	if (size < KNOT_WIRE_HEADER_SIZE || size > KNOT_WIRE_MAX_PKTSIZE) {
		return ERR_PARSE;
	}
	if (knot_wire_get_id(wire) != knot_wire_get_id(query) || !knot_wire_get_qr(wire) ||
	    knot_wire_get_opcode(wire) != knot_wire_get_opcode(query)) {
		return ERR_INVALID;
	}
	uint8_t *copy = arena_alloc(a, size);
	if (copy == NULL) {
		return ERR_TOOBIG;
	}
	memcpy(copy, wire, size);
	knot_mm_t mm;
	client_mm_init(&mm, a);
	knot_pkt_t *pkt = knot_pkt_new(copy, (uint16_t)size, &mm);
	if (pkt == NULL) {
		return ERR_TOOBIG;
	}
	/* A truncated reply may end inside an RR: only its question is needed. */
	bool is_tc = knot_wire_get_tc(copy);
	int ret = is_tc ? knot_pkt_parse_question(pkt) : knot_pkt_parse(pkt, 0);
	if (ret == KNOT_ENOMEM) {
		return ERR_TOOBIG;
	}
	if (ret != KNOT_EOK && ret != KNOT_ETRAIL) {
		return ERR_PARSE;
	}
	uint16_t qdcount = knot_wire_get_qdcount(copy);
	if (qdcount == 0) {
		/* FORMERR and friends may come without the question (RFC 1035 leaves it open) */
		if (is_tc || knot_pkt_ext_rcode(pkt) == KNOT_RCODE_NOERROR) {
			return ERR_INVALID;
		}
	} else if (qdcount != 1 || !same_question(pkt, query, query_size)) {
		return ERR_INVALID;
	}
	*out = pkt;
	return ERR_OK;
}

/* --- the exchange ------------------------------------------------------------------- */

typedef enum { ST_UDP, ST_TCP_CONNECT, ST_TCP_WRITE, ST_TCP_READ, ST_DONE } state_t;

typedef struct peer {
	const dns_client_addr_t *addr;
	dns_client_result_t *res;
	state_t state;
	int fd;
	uint8_t *query;          /* [2-byte length][query]: TCP sends it all, UDP from +2 */
	size_t query_size;       /* without the length */
	unsigned sends;          /* UDP datagrams sent */
	int64_t next_send;       /* monotonic ms of the next UDP resend */
	int last_err;            /* the last UDP socket error (an ICMP refusal), or 0 */
	size_t tcp_done;         /* bytes written, or read of the current part */
	size_t tcp_need;         /* bytes of the current part to read: 2, then the reply */
	uint8_t *tcp_buf;        /* the reply being read; NULL while reading its length */
	uint8_t tcp_len[2];
} peer_t;

typedef struct exchange {
	arena_t *arena;
	int64_t start;
	int64_t interval;        /* between UDP sends */
	unsigned retries;
	uint8_t *rbuf;           /* one UDP datagram */
	int ret;                 /* ERR_TOOBIG once the arena runs out */
} exchange_t;

static void finish(peer_t *p, dns_client_status_t status, int err)
{
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	p->state = ST_DONE;
	p->res->status = status;
	p->res->err = err;
}

static void answered(exchange_t *x, peer_t *p, knot_pkt_t *pkt, bool is_tcp)
{
	dns_client_result_t *r = p->res;
	r->reply = pkt;
	r->rcode = knot_pkt_ext_rcode(pkt);
	r->is_aa = knot_wire_get_aa(pkt->wire);
	r->is_tcp = is_tcp;
	r->rtt_ms = time_mono_ms() - x->start;
	finish(p, DNS_CLIENT_ANSWERED, ERR_OK);
}

static int open_socket(const dns_client_addr_t *addr, int type, int *fd)
{
	*fd = socket(addr->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		return -errno;
	}
	if (connect(*fd, (const struct sockaddr *)&addr->ss, addr->len) != 0 &&
	    errno != EINPROGRESS) {
		int err = -errno;
		close(*fd);
		*fd = -1;
		return err;
	}
	return ERR_OK;
}

static void udp_send(exchange_t *x, peer_t *p)
{
	p->sends++;
	p->next_send = x->start + x->interval * (int64_t)p->sends;
	if (send(p->fd, p->query + 2, p->query_size, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
		p->last_err = -errno; /* e.g. the ICMP refusal of the previous datagram */
		if (p->sends > x->retries) {
			finish(p, DNS_CLIENT_FAILED, p->last_err);
		}
	}
}

/* RFC 7766 5: a truncated UDP answer is asked again over TCP. */
static void tcp_start(peer_t *p)
{
	close(p->fd);
	p->fd = -1;
	int ret = open_socket(p->addr, SOCK_STREAM, &p->fd);
	if (ret != ERR_OK) {
		finish(p, DNS_CLIENT_FAILED, ret);
		return;
	}
	p->state = ST_TCP_CONNECT;
	p->tcp_done = 0;
}

static void udp_readable(exchange_t *x, peer_t *p)
{
	for (;;) {
		ssize_t n = recv(p->fd, x->rbuf, KNOT_WIRE_MAX_PKTSIZE, 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				p->last_err = -errno;
				if (p->sends > x->retries) {
					finish(p, DNS_CLIENT_FAILED, p->last_err);
				}
			}
			return;
		}
		knot_pkt_t *pkt = NULL;
		int ret = client_reply_read(x->arena, p->query + 2, p->query_size, x->rbuf,
					    (size_t)n, &pkt);
		if (ret == ERR_TOOBIG) {
			x->ret = ret;
			finish(p, DNS_CLIENT_FAILED, ret);
			return;
		}
		if (ret != ERR_OK) {
			continue; /* not our answer, or garbage: a resolver ignores it too */
		}
		if (knot_wire_get_tc(pkt->wire)) {
			tcp_start(p);
		} else {
			answered(x, p, pkt, false);
		}
		return;
	}
}

static void tcp_connected(peer_t *p)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
		err = errno;
	}
	if (err != 0) {
		finish(p, DNS_CLIENT_FAILED, -err);
		return;
	}
	p->state = ST_TCP_WRITE;
}

static void tcp_write(peer_t *p)
{
	size_t total = p->query_size + 2;
	while (p->tcp_done < total) {
		ssize_t n = send(p->fd, p->query + p->tcp_done, total - p->tcp_done, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				finish(p, DNS_CLIENT_FAILED, -errno);
			}
			return;
		}
		p->tcp_done += (size_t)n;
	}
	p->state = ST_TCP_READ;
	p->tcp_done = 0;
	p->tcp_need = 2;
	p->tcp_buf = NULL;
}

/* Called when the current part (length or reply) is complete. */
static void tcp_part_done(exchange_t *x, peer_t *p)
{
	if (p->tcp_buf == NULL) {
		size_t len = knot_wire_read_u16(p->tcp_len);
		p->tcp_buf = len >= KNOT_WIRE_HEADER_SIZE ? arena_alloc(x->arena, len) : NULL;
		if (p->tcp_buf == NULL) {
			x->ret = len >= KNOT_WIRE_HEADER_SIZE ? ERR_TOOBIG : x->ret;
			finish(p, DNS_CLIENT_FAILED, len >= KNOT_WIRE_HEADER_SIZE ? ERR_TOOBIG
										 : ERR_PARSE);
			return;
		}
		p->tcp_need = len;
		p->tcp_done = 0;
		return;
	}
	knot_pkt_t *pkt = NULL;
	int ret = client_reply_read(x->arena, p->query + 2, p->query_size, p->tcp_buf,
				    p->tcp_need, &pkt);
	if (ret == ERR_OK) {
		answered(x, p, pkt, true);
	} else {
		x->ret = ret == ERR_TOOBIG ? ret : x->ret;
		/* over TCP nobody else can answer: a wrong reply is a broken server */
		finish(p, DNS_CLIENT_FAILED, ret == ERR_TOOBIG ? ret : ERR_PARSE);
	}
}

static void tcp_read(exchange_t *x, peer_t *p)
{
	while (p->state == ST_TCP_READ) {
		uint8_t *dst = p->tcp_buf != NULL ? p->tcp_buf : p->tcp_len;
		ssize_t n = recv(p->fd, dst + p->tcp_done, p->tcp_need - p->tcp_done, 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				finish(p, DNS_CLIENT_FAILED, -errno);
			}
			return;
		}
		if (n == 0) {
			finish(p, DNS_CLIENT_FAILED, -ECONNRESET); /* closed before the reply */
			return;
		}
		p->tcp_done += (size_t)n;
		if (p->tcp_done == p->tcp_need) {
			tcp_part_done(x, p);
		}
	}
}

static void on_ready(exchange_t *x, peer_t *p)
{
	switch (p->state) {
	case ST_UDP:
		udp_readable(x, p); /* POLLERR too: recv() reports the ICMP error */
		break;
	case ST_TCP_CONNECT:
		tcp_connected(p);
		if (p->state == ST_TCP_WRITE) {
			tcp_write(p);
		}
		break;
	case ST_TCP_WRITE:
		tcp_write(p);
		break;
	case ST_TCP_READ:
		tcp_read(x, p);
		break;
	case ST_DONE:
		break;
	}
}

static short want_events(const peer_t *p)
{
	return p->state == ST_TCP_CONNECT || p->state == ST_TCP_WRITE ? POLLOUT : POLLIN;
}

/* Resend to silent UDP peers whose retry point has come; the earliest future retry
 * point (or the deadline) is when poll() must wake up. */
static int64_t resend_due(exchange_t *x, peer_t *peers, size_t count, int64_t now,
			  int64_t deadline)
{
	int64_t wake = deadline;
	for (size_t i = 0; i < count; i++) {
		peer_t *p = &peers[i];
		if (p->state != ST_UDP || p->sends > x->retries) {
			continue;
		}
		if (now >= p->next_send) {
			udp_send(x, p);
		}
		if (p->state == ST_UDP && p->sends <= x->retries && p->next_send < wake) {
			wake = p->next_send;
		}
	}
	return wake;
}

static void run(exchange_t *x, peer_t *peers, size_t count, int64_t deadline)
{
	struct pollfd pfds[DNS_CLIENT_MAX_SERVERS];
	peer_t *owners[DNS_CLIENT_MAX_SERVERS];
	for (;;) {
		int64_t now = time_mono_ms();
		int64_t wake = resend_due(x, peers, count, now, deadline);
		nfds_t n = 0;
		for (size_t i = 0; i < count; i++) {
			if (peers[i].state != ST_DONE) {
				pfds[n] = (struct pollfd){ .fd = peers[i].fd,
							   .events = want_events(&peers[i]) };
				owners[n++] = &peers[i];
			}
		}
		if (n == 0 || now >= deadline) {
			return;
		}
		int ready = poll(pfds, n, (int)(wake > now ? wake - now : 0));
		if (ready < 0 && errno != EINTR) {
			return; /* cannot happen with valid fds; the rest time out */
		}
		for (nfds_t i = 0; ready > 0 && i < n; i++) {
			if (pfds[i].revents != 0) {
				on_ready(x, owners[i]);
			}
		}
	}
}

static int peers_init(exchange_t *x, const uint8_t *wire, size_t size,
		      const dns_client_addr_t *servers, size_t count, dns_client_result_t *results,
		      peer_t *peers)
{
	uint16_t ids[DNS_CLIENT_MAX_SERVERS];
	if (getrandom(ids, count * sizeof(ids[0]), 0) != (ssize_t)(count * sizeof(ids[0]))) {
		return -errno;
	}
	for (size_t i = 0; i < count; i++) {
		peer_t *p = &peers[i];
		*p = (peer_t){ .addr = &servers[i], .res = &results[i], .fd = -1,
			       .query_size = size };
		results[i] = (dns_client_result_t){ .status = DNS_CLIENT_TIMEOUT };
		p->query = arena_alloc(x->arena, size + 2);
		if (p->query == NULL) {
			return ERR_TOOBIG;
		}
		knot_wire_write_u16(p->query, (uint16_t)size);
		memcpy(p->query + 2, wire, size);
		knot_wire_set_id(p->query + 2, ids[i]); /* RFC 5452 9.2: unpredictable ids */
	}
	return ERR_OK;
}

int dns_client_query(arena_t *a, const dns_client_query_t *q, const dns_client_addr_t *servers,
		     size_t count, dns_client_result_t *results)
{
	if (count == 0 || count > DNS_CLIENT_MAX_SERVERS) {
		return ERR_INVAL_ARG;
	}
	uint8_t *wire = NULL;
	size_t size = 0;
	int ret = build_query(a, q, &wire, &size);
	if (ret != ERR_OK) {
		return ret;
	}
	unsigned timeout = q->timeout_ms != 0 ? q->timeout_ms : DEFAULT_TIMEOUT_MS;
	exchange_t x = { .arena = a, .retries = q->retries < MAX_RETRIES ? q->retries : MAX_RETRIES,
			 .rbuf = arena_alloc(a, KNOT_WIRE_MAX_PKTSIZE), .ret = ERR_OK };
	peer_t *peers = arena_alloc_array(a, count, sizeof(peer_t));
	if (x.rbuf == NULL || peers == NULL) {
		return ERR_TOOBIG;
	}
	x.interval = (int64_t)timeout / (x.retries + 1);
	x.interval = x.interval > 0 ? x.interval : 1;
	if ((ret = peers_init(&x, wire, size, servers, count, results, peers)) != ERR_OK) {
		return ret;
	}
	x.start = time_mono_ms();
	for (size_t i = 0; i < count; i++) {
		ret = open_socket(peers[i].addr, SOCK_DGRAM, &peers[i].fd);
		if (ret != ERR_OK) {
			finish(&peers[i], DNS_CLIENT_FAILED, ret);
			continue;
		}
		udp_send(&x, &peers[i]);
	}
	run(&x, peers, count, x.start + timeout);
	for (size_t i = 0; i < count; i++) {
		peer_t *p = &peers[i];
		if (p->state != ST_DONE) {
			/* a UDP peer that only ever refused us failed; anything else is silent */
			bool is_refused = p->state == ST_UDP && p->last_err != 0;
			finish(p, is_refused ? DNS_CLIENT_FAILED : DNS_CLIENT_TIMEOUT, p->last_err);
		}
	}
	return x.ret;
}

/* --- reading replies ---------------------------------------------------------------- */

/* rdata of type in canonical form (RFC 4034 6.2), as libknot loads and parses RRs. */
static bool canonical(arena_t *a, uint16_t type, const uint8_t *rdata, uint16_t size,
		      const uint8_t **out)
{
	size_t total = 1 + 10 + (size_t)size;
	uint8_t *w = arena_alloc(a, total);
	if (w == NULL) {
		return false;
	}
	w[0] = 0; /* owner: the root; only the rdata matters here */
	knot_wire_write_u16(w + 1, type);
	knot_wire_write_u16(w + 3, KNOT_CLASS_IN);
	knot_wire_write_u32(w + 5, 0);
	knot_wire_write_u16(w + 9, size);
	if (size > 0) {
		memcpy(w + 11, rdata, size);
	}
	knot_mm_t mm;
	client_mm_init(&mm, a);
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	size_t pos = 0;
	if (knot_rrset_rr_from_wire(w, &pos, total, &rr, &mm, true) != KNOT_EOK ||
	    pos != total || rr.rrs.count != 1 || rr.rrs.rdata->len != size) {
		return false;
	}
	*out = rr.rrs.rdata->data;
	return true;
}

bool dns_client_has_rr(arena_t *a, const knot_pkt_t *reply, knot_section_t section,
		       const char *owner, uint16_t type, const uint8_t *rdata, uint16_t size)
{
	knot_dname_storage_t name;
	const uint8_t *want = NULL;
	if (reply == NULL || knot_dname_from_str(name, owner, sizeof(name)) == NULL ||
	    !canonical(a, type, rdata, size, &want)) {
		return false;
	}
	const knot_pktsection_t *sec = knot_pkt_section(reply, section);
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type != type || rr->rclass != KNOT_CLASS_IN ||
		    !knot_dname_is_case_equal(rr->owner, name)) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < rr->rrs.count; k++, rd = knot_rdataset_next(rd)) {
			const uint8_t *got = NULL;
			if (rd->len == size && canonical(a, type, rd->data, rd->len, &got) &&
			    (size == 0 || memcmp(got, want, size) == 0)) {
				return true;
			}
		}
	}
	return false;
}
