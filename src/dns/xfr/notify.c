/* notify.c -- NOTIFY out (RFC 1996): tell each secondary that a zone changed, until it
 * answers or we give up.
 *
 * DESIGN. Owned by the xfr background thread, so nothing here locks. One non-blocking
 * UDP socket per address family; one item per (zone, target) with the serial to
 * announce, its message id, the tries so far and when the next one is due. A newer
 * serial for a zone replaces the item (tries start again). Tries go out 1, 2, 4, 8 s
 * apart (RFC 1996 3.6 leaves the interval to us; Knot retries 5 times too); after the
 * fifth unanswered try, or an answer with an error RCODE, the failure is logged with the
 * zone and the target and the item dropped: the secondary still refreshes on its SOA
 * timers. At most INFLIGHT_MAX items wait for an answer at once, so a start with many
 * zones does not flood the targets; the others wait their turn. A message carries the
 * zone's SOA in its answer section (RFC 1996 3.7, as Knot) and is signed when the
 * target names a key.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "dns/xfr/xfr_internal.h"

#define TRIES_MAX 5
#define FIRST_WAIT_MS 1000
#define INFLIGHT_MAX 256
#define MSG_SIZE 1024

typedef struct item {
	knot_dname_t *apex;       /* heap */
	size_t target;
	uint32_t serial;
	knot_rdata_t *soa;        /* heap; NULL = none in the message */
	uint32_t soa_ttl;
	uint16_t id;
	unsigned tries;
	int64_t due_ms;           /* next try; 0 = now */
} item_t;

struct notify {
	const notify_target_t *targets;
	size_t target_count;
	int fd[2];                /* IPv4, IPv6; -1 when not needed */
	item_t **items;
	size_t count, cap;
	size_t inflight;
};

static int open_socket(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

notify_t *notify_new(const notify_target_t *targets, size_t count)
{
	notify_t *n = xcalloc(1, sizeof(*n));
	n->targets = targets;
	n->target_count = count;
	n->fd[0] = n->fd[1] = -1;
	for (size_t i = 0; i < count; i++) {
		int k = targets[i].ss.ss_family == AF_INET6;
		if (n->fd[k] < 0 && (n->fd[k] = open_socket(k ? AF_INET6 : AF_INET)) < 0) {
			log_err("dns, NOTIFY socket failed (%s)", strerror(errno));
			notify_free(n);
			return NULL;
		}
	}
	return n;
}

static void item_free(item_t *it)
{
	free(it->apex);
	free(it->soa);
	free(it);
}

void notify_free(notify_t *n)
{
	if (n == NULL) {
		return;
	}
	for (size_t i = 0; i < n->count; i++) {
		item_free(n->items[i]);
	}
	free(n->items);
	for (int k = 0; k < 2; k++) {
		if (n->fd[k] >= 0) {
			close(n->fd[k]);
		}
	}
	free(n);
}

size_t notify_pending(const notify_t *n)
{
	return n != NULL ? n->count : 0;
}

static void drop(notify_t *n, size_t i)
{
	item_t *it = n->items[i];
	if (it->tries > 0) {
		n->inflight--;
	}
	item_free(it);
	n->items[i] = n->items[--n->count];
}

void notify_queue(notify_t *n, const knot_dname_t *apex, uint32_t serial,
		  const knot_rdata_t *soa, uint32_t soa_ttl)
{
	for (size_t t = 0; t < n->target_count; t++) {
		item_t *it = NULL;
		for (size_t i = 0; i < n->count && it == NULL; i++) {
			if (n->items[i]->target == t && knot_dname_is_equal(n->items[i]->apex, apex)) {
				it = n->items[i];
			}
		}
		if (it == NULL) {
			if (n->count == n->cap) {
				n->cap = n->cap ? n->cap * 2 : 64;
				n->items = xrealloc(n->items, n->cap * sizeof(item_t *));
			}
			it = xcalloc(1, sizeof(*it));
			size_t size = knot_dname_size(apex);
			it->apex = xmalloc(size);
			memcpy(it->apex, apex, size);
			it->target = t;
			n->items[n->count++] = it;
		} else if (it->tries > 0) {
			n->inflight--;
		}
		free(it->soa);
		it->soa = NULL;
		if (soa != NULL) {
			it->soa = xmalloc(knot_rdata_size(soa->len));
			memcpy(it->soa, soa, knot_rdata_size(soa->len));
		}
		it->serial = serial;
		it->soa_ttl = soa_ttl;
		it->tries = 0;
		it->due_ms = 0;
	}
}

static void zone_text(const knot_dname_t *apex, char *out, size_t size)
{
	if (knot_dname_to_str(out, apex, size) == NULL) {
		snprintf(out, size, "?");
	}
	size_t len = strlen(out);
	if (len > 1 && out[len - 1] == '.') {
		out[len - 1] = '\0';
	}
}

static void log_failed(const notify_t *n, const item_t *it, const char *why)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	zone_text(it->apex, name, sizeof(name));
	log_warn("zone %s, NOTIFY to %s failed, serial %u (%s)", name,
		 n->targets[it->target].text, it->serial, why);
}

/* The message for it into buf: the question, the SOA, a TSIG. 0 when it cannot be built. */
static size_t build(const notify_t *n, const item_t *it, const keyring_t *k, uint8_t *buf)
{
	const notify_target_t *t = &n->targets[it->target];
	memset(buf, 0, KNOT_WIRE_HEADER_SIZE);
	knot_pkt_t *pkt = knot_pkt_new(buf, MSG_SIZE, NULL);
	if (pkt == NULL) {
		return 0;
	}
	knot_pkt_clear(pkt); /* a fresh header: the buffer is the caller's stack */
	size_t size = 0;
	knot_wire_set_id(pkt->wire, it->id);
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_NOTIFY);
	knot_wire_set_aa(pkt->wire); /* RFC 1996 3.7 */
	xfr_tsig_t tsig;
	memset(&tsig, 0, sizeof(tsig));
	const keyring_key_t *key = t->key[0] != '\0' ? keyring_find_text(k, t->key) : NULL;
	if (t->key[0] != '\0' && key == NULL) {
		goto done; /* logged by the caller */
	}
	if (key != NULL) {
		tsig_from_key(&tsig, key);
		tsig.is_signed = true;
	}
	int ret = knot_pkt_put_question(pkt, it->apex, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	if (ret == KNOT_EOK && key != NULL) {
		ret = knot_pkt_reserve(pkt, (uint16_t)xfr_tsig_reserve(&tsig));
	}
	if (ret == KNOT_EOK && it->soa != NULL) {
		knot_pkt_begin(pkt, KNOT_ANSWER);
		ret = out_put(pkt, it->apex, KNOT_RRTYPE_SOA, it->soa_ttl, it->soa);
	}
	if (ret != KNOT_EOK) {
		goto done;
	}
	pkt->reserved = 0;
	size = pkt->size;
	if (key != NULL && xfr_tsig_sign(&tsig, buf, &size, MSG_SIZE) != KNOT_EOK) {
		size = 0;
	}
done:
	knot_pkt_free(pkt);
	return size;
}

static void send_one(notify_t *n, item_t *it, const keyring_t *k, int64_t now)
{
	uint8_t buf[MSG_SIZE];
	const notify_target_t *t = &n->targets[it->target];
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
		id = (uint16_t)(now * 40503u);
	}
	it->id = id;
	if (it->tries == 0) {
		n->inflight++;
	}
	it->tries++;
	it->due_ms = now + ((int64_t)FIRST_WAIT_MS << (it->tries - 1));
	size_t size = build(n, it, k, buf);
	if (size == 0) {
		return; /* counted as a try; the next one may have its key */
	}
	int fd = n->fd[t->ss.ss_family == AF_INET6];
	if (sendto(fd, buf, size, 0, (const struct sockaddr *)&t->ss, t->len) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK) {
		log_debug("dns, NOTIFY to %s not sent (%s)", t->text, strerror(errno));
	}
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
	}
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static void on_answer(notify_t *n, const uint8_t *buf, size_t size,
		      const struct sockaddr_storage *from)
{
	if (size < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(buf) ||
	    knot_wire_get_opcode(buf) != KNOT_OPCODE_NOTIFY) {
		return;
	}
	uint16_t id = knot_wire_get_id(buf);
	for (size_t i = 0; i < n->count; i++) {
		item_t *it = n->items[i];
		if (it->tries == 0 || it->id != id || !same_addr(&n->targets[it->target].ss, from)) {
			continue;
		}
		uint8_t rcode = knot_wire_get_rcode(buf);
		if (rcode != KNOT_RCODE_NOERROR) {
			const knot_lookup_t *name = knot_lookup_by_id(knot_rcode_names, rcode);
			char why[64];
			snprintf(why, sizeof(why), "answered %s", name != NULL ? name->name : "?");
			log_failed(n, it, why);
		} else {
			char name[KNOT_DNAME_TXT_MAXLEN + 1];
			zone_text(it->apex, name, sizeof(name));
			log_debug("zone %s, NOTIFY to %s answered, serial %u", name,
				  n->targets[it->target].text, it->serial);
		}
		drop(n, i);
		return;
	}
}

static void read_answers(notify_t *n)
{
	uint8_t buf[MSG_SIZE];
	for (int k = 0; k < 2; k++) {
		for (int i = 0; n->fd[k] >= 0 && i < 1024; i++) {
			struct sockaddr_storage from;
			socklen_t len = sizeof(from);
			ssize_t got = recvfrom(n->fd[k], buf, sizeof(buf), 0, (struct sockaddr *)&from,
					       &len);
			if (got < 0) {
				break;
			}
			on_answer(n, buf, (size_t)got, &from);
		}
	}
}

size_t notify_fds(const notify_t *n, int fds[2])
{
	size_t count = 0;
	for (int k = 0; k < 2; k++) {
		if (n->fd[k] >= 0) {
			fds[count++] = n->fd[k];
		}
	}
	return count;
}

int notify_run(notify_t *n, const keyring_t *k, int64_t now_ms)
{
	read_answers(n);
	int64_t next = -1;
	for (size_t i = 0; i < n->count;) {
		item_t *it = n->items[i];
		if (it->due_ms > now_ms) {
			next = next < 0 || it->due_ms < next ? it->due_ms : next;
			i++;
			continue;
		}
		if (it->tries >= TRIES_MAX) {
			log_failed(n, it, "no answer after 5 tries");
			drop(n, i);
			continue;
		}
		const char *key = n->targets[it->target].key;
		if (key[0] != '\0' && keyring_find_text(k, key) == NULL && it->tries == 0) {
			log_failed(n, it, "no such TSIG key; create it with nameplate admin tsig-key");
			drop(n, i);
			continue;
		}
		if (it->tries == 0 && n->inflight >= INFLIGHT_MAX) {
			next = next < 0 || now_ms + 10 < next ? now_ms + 10 : next;
			i++;
			continue;
		}
		send_one(n, it, k, now_ms);
		next = next < 0 || it->due_ms < next ? it->due_ms : next;
		i++;
	}
	return next < 0 ? -1 : (int)(next - now_ms);
}
