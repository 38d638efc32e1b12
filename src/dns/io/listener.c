/* listener.c -- the dns role's sockets and threads: parse the listen list, bind, start, stop.
 *
 * DESIGN. Every address gets one UDP socket per UDP worker and one listening TCP socket
 * per TCP worker, all with SO_REUSEPORT: the kernel hashes each client onto one socket,
 * so workers share nothing and never lock (Knot's udp-workers and tcp-workers; NSD's
 * reuseport). SO_REUSEPORT also lets a second process bind the same port silently and
 * steal half the queries, so before binding we probe each address with a plain socket
 * that cannot share: an address in use fails the start, naming the address. Everything is
 * bound in dns_server_start() on the caller's thread, so every error is reported there;
 * the threads only run. Stopping sets a flag and makes one eventfd readable; it sits in
 * every worker's epoll set, so each worker leaves its wait at once, and we join them
 * (UDP workers with one socket wait in recvmmsg instead: shutdown() wakes those).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/mem.h"
#include "dns/io/io_internal.h"

#define DEFAULT_TCP_IDLE 10       /* seconds, RFC 7766 6.2.3 suggests "a few" */
#define DEFAULT_TCP_MAX 1000
#define UDP_RCVBUF (4 << 20)      /* ask for 4 MiB; the kernel caps it at rmem_max */

/* --- settings ----------------------------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* "0x..." is hex, anything else is the bytes of the text (as Knot's nsid option). */
static int parse_nsid(dns_server_conf_t *dc, const char *text, char *err, size_t errsize)
{
	size_t len = strlen(text);
	if (len == 0) {
		return ERR_OK;
	}
	size_t size = 0;
	if (len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		const char *h = text + 2;
		size_t hlen = len - 2;
		if (hlen % 2 != 0 || hlen / 2 > DNS_NSID_MAX) {
			snprintf(err, errsize, "nsid: '%s' is not an even number of hex digits "
				 "(at most %d bytes)", text, DNS_NSID_MAX);
			return ERR_INVALID;
		}
		for (size_t i = 0; i < hlen; i += 2) {
			int hi = hex_value(h[i]), lo = hex_value(h[i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errsize, "nsid: '%s' is not hex after 0x", text);
				return ERR_INVALID;
			}
			dc->nsid_buf[size++] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		if (len > DNS_NSID_MAX) {
			snprintf(err, errsize, "nsid: longer than %d bytes", DNS_NSID_MAX);
			return ERR_INVALID;
		}
		memcpy(dc->nsid_buf, text, len);
		size = len;
	}
	dc->query.nsid = dc->nsid_buf;
	dc->query.nsid_size = size;
	return ERR_OK;
}

int dns_server_conf_init(dns_server_conf_t *dc, const conf_t *conf, char *err, size_t errsize)
{
	memset(dc, 0, sizeof(*dc));
	dc->listen = conf->dns;
	dc->workers = (unsigned)conf->dns_workers;
	dc->tcp_idle_timeout = (unsigned)conf->dns_tcp_idle_timeout;
	dc->tcp_max_clients = (unsigned)conf->dns_tcp_max_clients;
	dc->udp_coalesce_us = (unsigned)conf->dns_udp_coalesce;
	dc->query.udp_max_payload = (uint16_t)conf->dns_udp_payload;
	dc->query.identity = *conf->identity != '\0' ? conf->identity : NULL;
	dc->query.version = *conf->version != '\0' ? conf->version : NULL;
	if (getrandom(dc->query.cookie_secret, sizeof(dc->query.cookie_secret), 0) !=
	    (ssize_t)sizeof(dc->query.cookie_secret)) {
		snprintf(err, errsize, "no random bytes for the DNS cookie secret (%s)",
			 strerror(errno));
		return ERR_IO;
	}
	return parse_nsid(dc, conf->nsid, err, errsize);
}

/* --- addresses ---------------------------------------------------------------------- */

void io_addr_format(const struct sockaddr *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(s4->sin_port));
	}
}

static uint16_t addr_port(const io_addr_t *a)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	return ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
					       : ((const struct sockaddr_in *)sa)->sin_port);
}

static void addr_set_port(io_addr_t *a, uint16_t port)
{
	struct sockaddr *sa = (struct sockaddr *)&a->ss;
	if (sa->sa_family == AF_INET6) {
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	} else {
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	}
}

/* "192.0.2.1:53" or "[2001:db8::1]:53", numeric only (core/netaddr). */
static int parse_one(const char *text, size_t len, io_addr_t *a)
{
	if (len == 0 || len >= sizeof(a->text)) {
		return ERR_INVALID;
	}
	memcpy(a->text, text, len);
	a->text[len] = '\0';
	if (netaddr_parse(a->text, len, 0, &a->ss, &a->len) != ERR_OK) {
		return ERR_INVALID;
	}
	if (a->ss.ss_family == AF_INET6) {
		a->is_wild = IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&a->ss)->sin6_addr);
	} else {
		a->is_wild = ((struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	return ERR_OK;
}

static int parse_list(const char *list, io_addr_t **out, size_t *count)
{
	io_addr_t *addrs = xcalloc(IO_MAX_ADDRS, sizeof(*addrs));
	size_t n = 0;
	for (const char *p = list; *p != '\0';) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, ",");
		size_t trimmed = len;
		while (trimmed > 0 && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t')) {
			trimmed--;
		}
		if (trimmed > 0) {
			if (n == IO_MAX_ADDRS || parse_one(p, trimmed, &addrs[n]) != ERR_OK) {
				log_err("dns, bad listen address '%.*s' (want ADDR:PORT or "
					"[ADDR6]:PORT, at most %d of them)", (int)trimmed, p,
					IO_MAX_ADDRS);
				free(addrs);
				return ERR_INVALID;
			}
			n++;
		}
		p += len + (p[len] == ',');
	}
	if (n == 0) {
		log_err("dns, no listen address in '%s'", list);
		free(addrs);
		return ERR_INVALID;
	}
	*out = addrs;
	*count = n;
	return ERR_OK;
}

/* --- sockets ------------------------------------------------------------------------ */

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* An IPv6 address we may skip: the host has no IPv6 at all, or no ::1 (some sandboxes). */
static bool can_skip(const io_addr_t *a, int err)
{
	if (a->ss.ss_family != AF_INET6) {
		return false;
	}
	const struct in6_addr *ip = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	return err == EAFNOSUPPORT || (err == EADDRNOTAVAIL && IN6_IS_ADDR_LOOPBACK(ip));
}

/* Is the address free? A socket without SO_REUSEPORT cannot share the port, so it fails
 * with EADDRINUSE where another server (or another nameplate) listens. TCP may ignore
 * connections in TIME_WAIT (SO_REUSEADDR), never a listener. Sets *is_skipped for an
 * address that can_skip(). */
static int probe(const io_addr_t *a, bool *is_skipped)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	for (size_t i = 0; i < 2; i++) {
		int fd = socket(a->ss.ss_family, types[i] | SOCK_CLOEXEC, 0);
		int ret = fd < 0 ? -1 : 0;
		if (ret == 0 && a->ss.ss_family == AF_INET6) {
			ret = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		}
		if (ret == 0 && types[i] == SOCK_STREAM) {
			ret = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		}
		if (ret == 0) {
			ret = bind(fd, (const struct sockaddr *)&a->ss, a->len);
		}
		int err = errno;
		if (fd >= 0) {
			close(fd);
		}
		if (ret == 0) {
			continue;
		}
		if (can_skip(a, err)) {
			log_warn("dns, skipping listen address %s (%s)", a->text, strerror(err));
			*is_skipped = true;
			return ERR_OK;
		}
		log_err("dns, cannot bind %s %s (%s)", i == 0 ? "udp" : "tcp", a->text,
			strerror(err));
		return ERR_IO;
	}
	return ERR_OK;
}

static int open_socket(const io_addr_t *a, bool is_tcp)
{
	int family = a->ss.ss_family;
	int fd = socket(family, (is_tcp ? SOCK_STREAM | SOCK_NONBLOCK : SOCK_DGRAM) | SOCK_CLOEXEC,
			0);
	if (fd < 0) {
		return -1;
	}
	int ret = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (ret == 0 && family == AF_INET6) {
		ret = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	}
	if (ret == 0 && is_tcp) {
		ret = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	}
	if (ret == 0 && !is_tcp && a->is_wild) {
		/* Replies must leave from the address the query came to. */
		ret = family == AF_INET6 ? set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
					 : set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	}
	if (ret == 0 && !is_tcp) {
		/* Never trust ICMP "too big" (anyone can forge it to make us fragment), as
		 * Knot; and a deep receive queue for bursts. IPv4 answers carry DF (RFC 9715
		 * 3.1 R2): fragments are for attackers to spoof, not for DNS. DF also spares
		 * the kernel an IP ID per datagram (RFC 6864 4.1: none is needed when DF is
		 * set), a hash and a shared counter, ~1.5% of a UDP worker's CPU. An answer
		 * bigger than the interface MTU cannot leave with DF: the socket then goes
		 * back to fragmenting (udp_send_too_big()). IPv6 fragments only what exceeds
		 * the interface MTU. All best effort. */
		if (family == AF_INET6) {
			(void)set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
		} else {
			(void)set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
		}
		(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, UDP_RCVBUF);
	}
	if (ret == 0) {
		ret = bind(fd, (const struct sockaddr *)&a->ss, a->len);
	}
	if (ret == 0 && is_tcp) {
		ret = listen(fd, SOMAXCONN);
	}
	if (ret != 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Port 0: take the port the kernel gave the first socket, for every other socket. */
static void adopt_port(io_addr_t *a, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		const struct sockaddr *sa = (const struct sockaddr *)&ss;
		addr_set_port(a, ntohs(sa->sa_family == AF_INET6
					       ? ((const struct sockaddr_in6 *)sa)->sin6_port
					       : ((const struct sockaddr_in *)sa)->sin_port));
	}
}

static int bind_workers(dns_server_t *s, size_t ai, io_worker_t *ws, bool is_tcp)
{
	io_addr_t *a = &s->addrs[ai];
	for (unsigned i = 0; i < s->worker_count; i++) {
		int fd = open_socket(a, is_tcp);
		if (fd < 0) {
			log_err("dns, cannot bind %s %s (%s)", is_tcp ? "tcp" : "udp", a->text,
				strerror(errno));
			return ERR_IO;
		}
		ws[i].fds[ai] = fd;
		if (addr_port(a) == 0) {
			adopt_port(a, fd);
		}
	}
	return ERR_OK;
}

/* Probe, skip what may be skipped, then bind every worker's sockets. */
static int bind_all(dns_server_t *s)
{
	size_t kept = 0;
	for (size_t i = 0; i < s->addr_count; i++) {
		bool is_skipped = false;
		int ret = probe(&s->addrs[i], &is_skipped);
		if (ret != ERR_OK) {
			return ret;
		}
		if (!is_skipped) {
			s->addrs[kept++] = s->addrs[i];
		}
	}
	s->addr_count = kept;
	if (kept == 0) {
		log_err("dns, no listen address is usable");
		return ERR_IO;
	}
	for (size_t i = 0; i < s->addr_count; i++) {
		int ret = bind_workers(s, i, s->udp, false);
		if (ret == ERR_OK) {
			ret = bind_workers(s, i, s->tcp, true);
		}
		if (ret != ERR_OK) {
			return ret;
		}
		char text[IO_ADDR_TEXT];
		io_addr_format((const struct sockaddr *)&s->addrs[i].ss, text, sizeof(text));
		log_info("dns, listening on %s (udp, tcp)", text);
	}
	return ERR_OK;
}

/* --- workers ------------------------------------------------------------------------ */

static void workers_init(dns_server_t *s, io_worker_t *ws, size_t addr_count)
{
	for (unsigned i = 0; i < s->worker_count; i++) {
		ws[i].srv = s;
		ws[i].id = i;
		ws[i].epfd = -1;
		ws[i].fds = xmalloc(addr_count * sizeof(int));
		for (size_t j = 0; j < addr_count; j++) {
			ws[i].fds[j] = -1;
		}
	}
}

static int workers_new_query(dns_server_t *s, io_worker_t *ws)
{
	for (unsigned i = 0; i < s->worker_count; i++) {
		ws[i].qw = query_worker_new(&s->qconf);
		if (ws[i].qw == NULL) {
			log_err("dns, cannot make query worker %u", i);
			return ERR_NOMEM;
		}
	}
	return ERR_OK;
}

static int poll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Each worker's epoll set: the stop eventfd and its sockets. */
static int workers_poll_init(dns_server_t *s, io_worker_t *ws)
{
	for (unsigned i = 0; i < s->worker_count; i++) {
		ws[i].epfd = epoll_create1(EPOLL_CLOEXEC);
		int ret = ws[i].epfd < 0 ? -1 : poll_add(ws[i].epfd, s->stop_fd, IO_TAG_STOP);
		for (size_t j = 0; ret == 0 && j < s->addr_count; j++) {
			ret = poll_add(ws[i].epfd, ws[i].fds[j], io_tag(j));
		}
		if (ret != 0) {
			log_err("dns, cannot make a worker's epoll set (%s)", strerror(errno));
			return ERR_IO;
		}
	}
	return ERR_OK;
}

static int workers_start(dns_server_t *s, io_worker_t *ws, void *(*run)(void *),
			 const char *kind)
{
	for (unsigned i = 0; i < s->worker_count; i++) {
		int ret = pthread_create(&ws[i].thread, NULL, run, &ws[i]);
		if (ret != 0) {
			log_err("dns, cannot start %s worker %u (%s)", kind, i, strerror(ret));
			return ERR_IO;
		}
		ws[i].is_started = true;
		char name[32];
		snprintf(name, sizeof(name), "dns-%s-%u", kind, i);
		name[15] = '\0'; /* the kernel keeps 15 characters */
		pthread_setname_np(ws[i].thread, name);
	}
	return ERR_OK;
}

static void workers_free(dns_server_t *s, io_worker_t *ws, uint64_t *queries,
			 uint64_t *dropped)
{
	if (ws == NULL) {
		return;
	}
	for (unsigned i = 0; i < s->worker_count; i++) {
		if (ws[i].is_started) {
			pthread_join(ws[i].thread, NULL);
		}
		for (size_t j = 0; ws[i].fds != NULL && j < s->addr_count; j++) {
			if (ws[i].fds[j] >= 0) {
				close(ws[i].fds[j]);
			}
		}
		free(ws[i].fds);
		if (ws[i].epfd >= 0) {
			close(ws[i].epfd);
		}
		query_worker_free(ws[i].qw);
		*queries += ws[i].queries;
		*dropped += ws[i].dropped;
	}
	free(ws);
}

static void server_free(dns_server_t *s, bool is_started)
{
	atomic_store(&s->is_stopping, true);
	if (s->stop_fd >= 0 && eventfd_write(s->stop_fd, 1) != 0) {
		PANIC("dns, cannot wake the workers");
	}
	io_wake_udp(s);
	uint64_t udp_q = 0, tcp_q = 0, dropped = 0;
	/* addr_count may have shrunk in bind_all(); the fds arrays are at least that long. */
	workers_free(s, s->udp, &udp_q, &dropped);
	workers_free(s, s->tcp, &tcp_q, &dropped);
	if (s->stop_fd >= 0) {
		close(s->stop_fd);
	}
	if (is_started) {
		log_info("dns, stopped (%llu udp and %llu tcp queries answered, %llu dropped)",
			 (unsigned long long)udp_q, (unsigned long long)tcp_q,
			 (unsigned long long)dropped);
	}
	free(s->identity);
	free(s->version);
	free(s->addrs);
	free(s);
}

static void copy_conf(dns_server_t *s, const dns_server_conf_t *conf)
{
	s->qconf = conf->query;
	if (conf->query.nsid != NULL) {
		s->qconf.nsid_size = conf->query.nsid_size < DNS_NSID_MAX ? conf->query.nsid_size
									    : DNS_NSID_MAX;
		memcpy(s->nsid, conf->query.nsid, s->qconf.nsid_size);
		s->qconf.nsid = s->nsid;
	}
	if (conf->query.identity != NULL) {
		s->identity = xstrdup(conf->query.identity);
	}
	if (conf->query.version != NULL) {
		s->version = xstrdup(conf->query.version);
	}
	s->qconf.identity = s->identity;
	s->qconf.version = s->version;
	if (s->qconf.udp_max_payload < 512) {
		s->qconf.udp_max_payload = 512; /* RFC 6891 6.2.5 */
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->worker_count = conf->workers > 0 ? conf->workers : (cpus > 0 ? (unsigned)cpus : 1);
	unsigned idle = conf->tcp_idle_timeout > 0 ? conf->tcp_idle_timeout : DEFAULT_TCP_IDLE;
	s->tcp_idle_ms = (int64_t)idle * 1000;
	s->udp_coalesce_ns = (long)(conf->udp_coalesce_us < 1000 ? conf->udp_coalesce_us : 1000) *
			     1000;
	unsigned max = conf->tcp_max_clients > 0 ? conf->tcp_max_clients : DEFAULT_TCP_MAX;
	/* Each TCP worker keeps its share; SO_REUSEPORT spreads clients evenly. */
	s->tcp_max_per_worker = (max + s->worker_count - 1) / s->worker_count;
}

int dns_server_start(dns_server_t **out, const dns_server_conf_t *conf, zdb_t *db)
{
	io_addr_t *addrs = NULL;
	size_t addr_count = 0;
	int ret = parse_list(conf->listen != NULL ? conf->listen : "", &addrs, &addr_count);
	if (ret != ERR_OK) {
		return ret;
	}
	dns_server_t *s = xcalloc(1, sizeof(*s));
	s->db = db;
	s->stats = conf->stats;
	s->addrs = addrs;
	s->addr_count = addr_count;
	copy_conf(s, conf);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		log_err("dns, cannot make an eventfd (%s)", strerror(errno));
		server_free(s, false);
		return ERR_IO;
	}
	s->udp = xcalloc(s->worker_count, sizeof(io_worker_t));
	s->tcp = xcalloc(s->worker_count, sizeof(io_worker_t));
	workers_init(s, s->udp, addr_count);
	workers_init(s, s->tcp, addr_count);
	ret = workers_new_query(s, s->udp);
	if (ret == ERR_OK) {
		ret = workers_new_query(s, s->tcp);
	}
	if (ret == ERR_OK) {
		ret = bind_all(s);
	}
	/* A UDP worker with one socket waits in recvmmsg (udp.c run_single): an epoll set
	 * would leave its entry on the socket's wait queue, and every query arriving and
	 * every answer sent would call into it (sock_def_readable, sock_wfree). */
	if (ret == ERR_OK && s->addr_count > 1) {
		ret = workers_poll_init(s, s->udp);
	}
	if (ret == ERR_OK) {
		ret = workers_poll_init(s, s->tcp);
	}
	/* Workers take no process signals: the thread that waits for SIGTERM gets them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (ret == ERR_OK) {
		ret = workers_start(s, s->udp, udp_worker_run, "udp");
	}
	if (ret == ERR_OK) {
		ret = workers_start(s, s->tcp, tcp_worker_run, "tcp");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != ERR_OK) {
		server_free(s, false);
		return ret;
	}
	log_info("dns, started (%u udp and %u tcp workers, tcp idle timeout %lld s, "
		 "at most %u tcp clients per worker)", s->worker_count, s->worker_count,
		 (long long)(s->tcp_idle_ms / 1000), s->tcp_max_per_worker);
	*out = s;
	return ERR_OK;
}

void dns_server_stop(dns_server_t *s)
{
	if (s != NULL) {
		server_free(s, true);
	}
}
