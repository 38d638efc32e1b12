/* tcp.c -- a TCP worker: DNS over TCP (RFC 7766) on non-blocking sockets and one epoll set.
 *
 * DESIGN. The worker owns one listening socket per address (SO_REUSEPORT) and every
 * connection it accepts. Messages are length-prefixed (RFC 1035 4.2.2); a connection may
 * carry many, and pipelined queries are answered in the order they arrive, each as soon
 * as it is complete (RFC 7766 6.2.1.1). Answers of one read are gathered in the worker's
 * stage buffer and leave in one send(); what the kernel does not take is copied to the
 * connection and sent when the socket is writable, and until then the connection reads
 * nothing more (the client's queries wait in the kernel: back-pressure).
 * Connections sit in a list ordered by last activity (a complete query, or answer bytes
 * sent): the head is the one idle longest. It is closed once idle for tcp_idle_ms
 * (RFC 7766 6.2.3), or when a new client needs its place past tcp_max_per_worker
 * (as Knot's TCP workers do). A connection keeps a small inline input buffer; only a
 * message bigger than that, or an answer the kernel could not take at once, costs a
 * heap allocation, and closed connections are kept for reuse.
 * A zone transfer (AXFR/IXFR, dns/xfr) answers one query with many messages: the query
 * layer builds the first and hands over the rest (xfr_out_t), which the connection then
 * holds. While it does, the connection waits for EPOLLOUT instead of input, and each
 * time the socket is writable the next messages are built into the stage and sent, at
 * most TCP_XFR_BURST per round so that other connections of the worker get their turn;
 * queries behind the transfer are answered after its last message.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "dns/io/io_internal.h"

#define TCP_MSG_MAX 65535                    /* RFC 1035 4.2.2: a 16-bit length */
#define TCP_INLINE 1024                      /* input held in the connection itself */
#define TCP_STAGE (2 * (2 + TCP_MSG_MAX))    /* room for two answers of the largest size */
#define TCP_EVENTS 64
#define TCP_ACCEPT_BATCH 32
#define TCP_LOG_EVERY_MS 10000
#define TCP_XFR_BURST 8                      /* transfer messages per connection per round */

typedef struct tcp_conn tcp_conn_t;

struct tcp_conn {
	tcp_conn_t *prev, *next;  /* the activity list, or the free list (next only) */
	int fd;                   /* -1 once closed */
	uint32_t events;          /* the epoll interest now */
	bool is_eof;              /* the client closed its side */
	int64_t active_ms;
	struct sockaddr_storage peer;
	uint8_t *in;              /* inline_in, or a heap buffer of 2 + TCP_MSG_MAX */
	size_t in_size, in_cap;
	uint8_t *out;             /* answer bytes the kernel has not taken yet; heap */
	size_t out_size, out_done;
	xfr_out_t *xfr;           /* the rest of a zone transfer being sent, or NULL */
	uint8_t inline_in[TCP_INLINE];
};

typedef struct tcp_state {
	io_worker_t *w;
	dns_server_t *s;
	zdb_reader_t *reader;
	stats_worker_t *stats;    /* this worker's zone counters (NULL = off) */
	int64_t now;
	tcp_conn_t *head, *tail;  /* open connections, least recently active first */
	tcp_conn_t *free_list;
	tcp_conn_t *closed;       /* closed in this round; reused after it (stale events) */
	size_t open_count;
	uint8_t *stage;
	size_t stage_used;
	int64_t logged_ms;
} tcp_state_t;

/* --- the activity list -------------------------------------------------------------- */

static void list_unlink(tcp_state_t *t, tcp_conn_t *c)
{
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		t->head = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	} else {
		t->tail = c->prev;
	}
	c->prev = c->next = NULL;
}

static void list_push(tcp_state_t *t, tcp_conn_t *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail != NULL) {
		t->tail->next = c;
	} else {
		t->head = c;
	}
	t->tail = c;
}

static void touch(tcp_state_t *t, tcp_conn_t *c)
{
	c->active_ms = t->now;
	if (t->tail != c) {
		list_unlink(t, c);
		list_push(t, c);
	}
}

/* --- connections -------------------------------------------------------------------- */

static void conn_close(tcp_state_t *t, tcp_conn_t *c)
{
	close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	if (c->in != c->inline_in) {
		free(c->in);
	}
	free(c->out);
	c->out = NULL;
	xfr_out_free(c->xfr); /* a transfer cut short is logged there */
	c->xfr = NULL;
	list_unlink(t, c);
	c->next = t->closed;
	t->closed = c;
	t->open_count--;
}

static tcp_conn_t *conn_get(tcp_state_t *t)
{
	tcp_conn_t *c = t->free_list;
	if (c != NULL) {
		t->free_list = c->next;
	} else {
		c = xmalloc(sizeof(*c));
	}
	c->prev = c->next = NULL;
	c->fd = -1;
	c->events = 0;
	c->is_eof = false;
	c->in = c->inline_in;
	c->in_size = 0;
	c->in_cap = sizeof(c->inline_in);
	c->out = NULL;
	c->out_size = c->out_done = 0;
	c->xfr = NULL;
	return c;
}

static void log_limited(tcp_state_t *t, const char *what, int err)
{
	if (t->now - t->logged_ms >= TCP_LOG_EVERY_MS || t->logged_ms == 0) {
		t->logged_ms = t->now;
		log_warn("dns, tcp worker %u, %s (%s)", t->w->id, what, strerror(err));
	}
}

/* Set the epoll interest: writable while answer bytes wait, else readable. A client
 * that closed its side and has every answer is closed. Returns false when closed. */
static bool conn_update(tcp_state_t *t, tcp_conn_t *c)
{
	uint32_t want = EPOLLIN;
	if (c->out != NULL || c->xfr != NULL) {
		want = EPOLLOUT;
	} else if (c->is_eof) {
		conn_close(t, c);
		return false;
	}
	if (want != c->events) {
		struct epoll_event ev = { .events = want, .data.ptr = c };
		if (epoll_ctl(t->w->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
			conn_close(t, c);
			return false;
		}
		c->events = want;
	}
	return true;
}

/* Send the stage; keep what the kernel did not take. Returns false when closed. */
static bool conn_flush(tcp_state_t *t, tcp_conn_t *c)
{
	size_t used = t->stage_used;
	t->stage_used = 0;
	if (used == 0) {
		return true;
	}
	ssize_t n;
	do {
		n = send(c->fd, t->stage, used, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		conn_close(t, c); /* reset by the client, ... */
		return false;
	}
	size_t sent = n > 0 ? (size_t)n : 0;
	if (sent > 0) {
		touch(t, c);
	}
	if (sent < used) {
		c->out_size = used - sent;
		c->out_done = 0;
		c->out = xmalloc(c->out_size);
		memcpy(c->out, t->stage + sent, c->out_size);
	}
	return true;
}

/* Answer one message into the stage, after its 2-byte length. */
static void answer(tcp_state_t *t, tcp_conn_t *c, const uint8_t *msg, size_t size)
{
	query_src_t src = { .addr = (const struct sockaddr *)&c->peer, .is_tcp = true };
	uint8_t *out = t->stage + t->stage_used;
	size_t n = query_handle(t->w->qw, t->s->db, &src, msg, size, out + 2, TCP_MSG_MAX);
	if (n == 0) {
		return;
	}
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	t->stage_used += 2 + n;
	t->w->queries++;
	stats_count(t->stats, query_worker_last_zone(t->w->qw));
	c->xfr = query_worker_take_xfr(t->w->qw); /* NULL but for a transfer's first message */
}

/* The next message of the connection's transfer into the stage. Returns 1 to go on, 0
 * when the answers wait for the socket, -1 when the connection was closed. */
static int xfr_step(tcp_state_t *t, tcp_conn_t *c)
{
	if (t->stage_used + 2 + TCP_MSG_MAX > TCP_STAGE) {
		if (!conn_flush(t, c)) {
			return -1;
		}
		if (c->out != NULL) {
			return 0;
		}
	}
	uint8_t *out = t->stage + t->stage_used;
	size_t n = xfr_out_next(c->xfr, out + 2, TCP_MSG_MAX);
	if (n == 0) {
		xfr_out_free(c->xfr); /* complete (or failed: logged) */
		c->xfr = NULL;
		return 1;
	}
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	t->stage_used += 2 + n;
	return 1;
}

/* Answer every complete message in the input, unless answers are still waiting. */
static void conn_serve(tcp_state_t *t, tcp_conn_t *c)
{
	size_t off = 0;
	t->stage_used = 0;
	unsigned burst = TCP_XFR_BURST;
	while (c->out == NULL && (c->xfr != NULL || c->in_size - off >= 2)) {
		if (c->xfr != NULL) {
			int step = burst > 0 ? xfr_step(t, c) : 0;
			if (step < 0) {
				return;
			}
			if (step == 0) {
				break; /* the rest when the socket is writable again */
			}
			burst--;
			continue;
		}
		size_t len = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (c->in_size - off - 2 < len) {
			break;
		}
		if (t->stage_used + 2 + TCP_MSG_MAX > TCP_STAGE) {
			if (!conn_flush(t, c)) {
				return;
			}
			if (c->out != NULL) {
				break;
			}
		}
		answer(t, c, c->in + off + 2, len);
		off += 2 + len;
		touch(t, c);
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_size - off);
		c->in_size -= off;
	}
	if (!conn_flush(t, c)) {
		return;
	}
	if (c->in_size >= 2 && c->in == c->inline_in) {
		size_t len = (size_t)c->in[0] << 8 | c->in[1];
		if (2 + len > c->in_cap) {
			uint8_t *big = xmalloc(2 + TCP_MSG_MAX);
			memcpy(big, c->in, c->in_size);
			c->in = big;
			c->in_cap = 2 + TCP_MSG_MAX;
		}
	}
	(void)conn_update(t, c);
}

static void on_readable(tcp_state_t *t, tcp_conn_t *c)
{
	/* The input never fills up: a complete message is answered (or waits, with EPOLLIN
	 * off) and a partial one always has room for the rest. */
	ssize_t n = recv(c->fd, c->in + c->in_size, c->in_cap - c->in_size, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(t, c);
		}
		return;
	}
	if (n == 0) {
		c->is_eof = true; /* answer what is complete, then close (conn_update) */
	}
	c->in_size += (size_t)n;
	conn_serve(t, c);
}

static void on_writable(tcp_state_t *t, tcp_conn_t *c)
{
	if (c->out == NULL) {
		conn_serve(t, c); /* a transfer's next messages */
		return;
	}
	ssize_t n = send(c->fd, c->out + c->out_done, c->out_size - c->out_done,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			conn_close(t, c);
		}
		return;
	}
	c->out_done += (size_t)n;
	if (n > 0) {
		touch(t, c);
	}
	if (c->out_done == c->out_size) {
		free(c->out);
		c->out = NULL;
		conn_serve(t, c); /* the queries that waited behind these answers */
	}
}

static void on_conn_event(tcp_state_t *t, tcp_conn_t *c, uint32_t events)
{
	if (c->fd < 0) {
		return; /* closed earlier in this round */
	}
	if (events & EPOLLERR) {
		conn_close(t, c);
	} else if (c->events & EPOLLOUT) {
		on_writable(t, c);
	} else {
		on_readable(t, c);
	}
}

static void on_accept(tcp_state_t *t, int lfd)
{
	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_limited(t, "cannot accept", errno);
				if (t->head != NULL) {
					conn_close(t, t->head); /* make room, or we spin */
				}
			}
			return; /* EAGAIN, ECONNABORTED, ...: the rest waits for the next round */
		}
		if (t->open_count >= t->s->tcp_max_per_worker && t->head != NULL) {
			conn_close(t, t->head); /* the least recently active makes way */
			t->w->dropped++;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		tcp_conn_t *c = conn_get(t);
		c->fd = fd;
		memcpy(&c->peer, &ss, sizeof(ss));
		c->events = EPOLLIN;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(t->w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			log_limited(t, "cannot watch a connection", errno);
			close(fd);
			c->next = t->free_list;
			t->free_list = c;
			continue;
		}
		c->active_ms = t->now;
		list_push(t, c);
		t->open_count++;
	}
}

/* Close connections idle too long; return the epoll timeout until the next one is. */
static int expire(tcp_state_t *t)
{
	int64_t idle = t->s->tcp_idle_ms;
	while (t->head != NULL && t->now - t->head->active_ms >= idle) {
		conn_close(t, t->head);
	}
	if (t->head == NULL) {
		return -1;
	}
	return (int)(t->head->active_ms + idle - t->now) + 1;
}

/* Connections closed this round may be reused now that no stale event can name them. */
static void recycle(tcp_state_t *t)
{
	while (t->closed != NULL) {
		tcp_conn_t *c = t->closed;
		t->closed = c->next;
		c->next = t->free_list;
		t->free_list = c;
	}
}

static void dispatch(tcp_state_t *t, const struct epoll_event *ev)
{
	uint64_t tag = ev->data.u64;
	if (tag == IO_TAG_STOP) {
		return; /* the loop condition sees is_stopping */
	}
	if (tag < IO_TAG_LIMIT) {
		on_accept(t, t->w->fds[tag - 1]);
		return;
	}
	on_conn_event(t, ev->data.ptr, ev->events);
}

static void state_clear(tcp_state_t *t)
{
	while (t->head != NULL) {
		conn_close(t, t->head);
	}
	recycle(t);
	while (t->free_list != NULL) {
		tcp_conn_t *c = t->free_list;
		t->free_list = c->next;
		free(c);
	}
	free(t->stage);
}

void *tcp_worker_run(void *arg)
{
	io_worker_t *w = arg;
	tcp_state_t t = { .w = w, .s = w->srv, .stage = xmalloc(TCP_STAGE) };
	t.reader = zdb_reader_register(t.s->db);
	t.stats = stats_worker_add(t.s->stats);
	t.now = time_mono_ms();
	struct epoll_event evs[TCP_EVENTS];
	while (!atomic_load_explicit(&t.s->is_stopping, memory_order_relaxed)) {
		int timeout = expire(&t);
		recycle(&t);
		zdb_reader_offline(t.reader);
		int n = epoll_wait(w->epfd, evs, TCP_EVENTS, timeout);
		zdb_reader_online(t.reader);
		t.now = time_mono_ms();
		for (int i = 0; i < n; i++) {
			dispatch(&t, &evs[i]);
		}
		zdb_reader_quiescent(t.reader);
	}
	state_clear(&t);
	zdb_reader_unregister(t.s->db, t.reader);
	return NULL;
}
