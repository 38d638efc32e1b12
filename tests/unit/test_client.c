/* test_client.c -- the DNS client (dns/client/client.c) and the distribution checks
 * (check.c) against fake servers on loopback threads: answers, silence, refusal, one
 * resend, spoofed ids, TC then TCP, replies without a question, serial judgement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "dns/client/client.h"
#include "dns/wire/rr.h"
#include "model/zone.h"

typedef enum {
	FS_ANSWER,          /* AA answer: SOA with f->serial, A 192.0.2.1 */
	FS_SILENT,          /* reads and never answers */
	FS_DROP_FIRST,      /* ignores the first datagram, answers the rest */
	FS_WRONG_ID_FIRST,  /* a reply with another id, then the right one */
	FS_TC,              /* TC over UDP; the answer over TCP */
	FS_FORMERR_NOQ,     /* FORMERR without a question section */
	FS_NOERROR_NOQ,     /* NOERROR without a question: must be ignored (times out) */
	FS_REFUSED,
	FS_NO_AA,
} fs_mode_t;

typedef struct fake {
	fs_mode_t mode;
	uint32_t serial;
	int udp, tcp;
	uint16_t port;
	pthread_t thread;
	atomic_bool stop;
	atomic_int udp_seen, tcp_seen;
} fake_t;

/* The reply to query q: question copied, AA (unless FS_NO_AA), and the mode's content. */
static size_t make_reply(fake_t *f, const uint8_t *q, size_t qsize, uint8_t *out, bool tc)
{
	knot_pkt_t *query = knot_pkt_new((void *)q, (uint16_t)qsize, NULL);
	assert_non_null(query);
	assert_int_equal(knot_pkt_parse(query, 0), KNOT_EOK);
	knot_pkt_t *r = knot_pkt_new(out, KNOT_WIRE_MAX_PKTSIZE, NULL);
	assert_int_equal(knot_pkt_init_response(r, query), KNOT_EOK);
	if (f->mode != FS_NO_AA) {
		knot_wire_set_aa(r->wire);
	}
	if (f->mode == FS_REFUSED) {
		knot_wire_set_rcode(r->wire, KNOT_RCODE_REFUSED);
	} else if (tc) {
		knot_wire_set_tc(r->wire);
	} else {
		uint16_t type = knot_pkt_qtype(query);
		knot_rrset_t *rr = knot_rrset_new(knot_pkt_qname(query), type, KNOT_CLASS_IN, 300,
						  NULL);
		uint8_t rd[22] = { 0, 0 }; /* SOA: root mname and rname, then the numbers */
		knot_wire_write_u32(rd + 2, f->serial);
		uint8_t a[4] = { 192, 0, 2, 1 };
		if (type == KNOT_RRTYPE_SOA) {
			knot_rrset_add_rdata(rr, rd, sizeof(rd), NULL);
		} else if (type == KNOT_RRTYPE_A) {
			knot_rrset_add_rdata(rr, a, sizeof(a), NULL);
		}
		knot_pkt_begin(r, KNOT_ANSWER);
		if (rr->rrs.count > 0) {
			assert_int_equal(knot_pkt_put(r, 0, rr, 0), KNOT_EOK);
		}
		knot_rrset_free(rr, NULL);
	}
	size_t size = r->size;
	if (f->mode == FS_FORMERR_NOQ || f->mode == FS_NOERROR_NOQ) {
		knot_wire_set_qdcount(out, 0);
		knot_wire_set_ancount(out, 0);
		knot_wire_set_rcode(out, f->mode == FS_FORMERR_NOQ ? KNOT_RCODE_FORMERR : 0);
		size = KNOT_WIRE_HEADER_SIZE;
	}
	knot_pkt_free(r);
	knot_pkt_free(query);
	return size;
}

static void on_udp(fake_t *f)
{
	uint8_t q[512], out[KNOT_WIRE_MAX_PKTSIZE];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(f->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &len);
	if (n <= 0) {
		return;
	}
	int seen = ++f->udp_seen;
	if (f->mode == FS_SILENT || (f->mode == FS_DROP_FIRST && seen == 1)) {
		return;
	}
	size_t size = make_reply(f, q, (size_t)n, out, f->mode == FS_TC);
	if (f->mode == FS_WRONG_ID_FIRST) {
		knot_wire_set_id(out, (uint16_t)(knot_wire_get_id(out) + 1));
		sendto(f->udp, out, size, 0, (struct sockaddr *)&from, len);
		knot_wire_set_id(out, (uint16_t)(knot_wire_get_id(out) - 1));
	}
	sendto(f->udp, out, size, 0, (struct sockaddr *)&from, len);
}

static void on_tcp(fake_t *f)
{
	int c = accept(f->tcp, NULL, NULL);
	if (c < 0) {
		return;
	}
	f->tcp_seen++;
	uint8_t len[2], q[512], out[KNOT_WIRE_MAX_PKTSIZE + 2];
	if (recv(c, len, 2, MSG_WAITALL) == 2) {
		size_t n = knot_wire_read_u16(len);
		if (n <= sizeof(q) && recv(c, q, n, MSG_WAITALL) == (ssize_t)n) {
			size_t size = make_reply(f, q, n, out + 2, false);
			knot_wire_write_u16(out, (uint16_t)size);
			send(c, out, size + 2, MSG_NOSIGNAL);
		}
	}
	close(c);
}

static void *fake_run(void *arg)
{
	fake_t *f = arg;
	while (!f->stop) {
		struct pollfd p[2] = { { .fd = f->udp, .events = POLLIN },
				       { .fd = f->tcp, .events = POLLIN } };
		if (poll(p, f->tcp >= 0 ? 2 : 1, 20) <= 0) {
			continue;
		}
		if (p[0].revents & POLLIN) {
			on_udp(f);
		}
		if (f->tcp >= 0 && (p[1].revents & POLLIN)) {
			on_tcp(f);
		}
	}
	return NULL;
}

/* The port bound, or 0 when port is taken. */
static uint16_t bind_loopback(int fd, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		assert_int_not_equal(port, 0);
		return 0;
	}
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	return ntohs(sa.sin_port);
}

static void fake_start(fake_t *f, fs_mode_t mode, uint32_t serial)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->serial = serial;
	f->tcp = -1;
	for (int tries = 0; tries < 50; tries++) {
		f->udp = socket(AF_INET, SOCK_DGRAM, 0);
		f->port = bind_loopback(f->udp, 0);
		if (mode != FS_TC) {
			break;
		}
		f->tcp = socket(AF_INET, SOCK_STREAM, 0);
		if (bind_loopback(f->tcp, f->port) != 0) {
			break;
		}
		close(f->tcp); /* the port is taken in TCP: try another */
		close(f->udp);
		f->tcp = -1;
	}
	if (mode == FS_TC) {
		assert_int_equal(listen(f->tcp, 4), 0);
	}
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_stop(fake_t *f)
{
	f->stop = true;
	pthread_join(f->thread, NULL);
	close(f->udp);
	if (f->tcp >= 0) {
		close(f->tcp);
	}
}

static void addr_of(uint16_t port, dns_client_addr_t *out)
{
	char text[32];
	snprintf(text, sizeof(text), "127.0.0.1:%u", port);
	assert_int_equal(dns_client_addr_parse(text, strlen(text), false, out), ERR_OK);
}

/* A loopback UDP port with nothing bound to it (the kernel answers ICMP unreachable). */
static uint16_t dead_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port = bind_loopback(fd, 0);
	close(fd);
	return port;
}

static int ask(arena_t *a, fake_t *f, size_t n, uint16_t extra_port, uint16_t qtype,
	       unsigned timeout, dns_client_result_t *res)
{
	dns_client_addr_t addrs[4];
	for (size_t i = 0; i < n; i++) {
		addr_of(f[i].port, &addrs[i]);
	}
	if (extra_port != 0) {
		addr_of(extra_port, &addrs[n++]);
	}
	dns_client_query_t q = { .qname = "Example.TEST", .qtype = qtype, .udp_payload = 1232,
				 .timeout_ms = timeout, .retries = 1 };
	return dns_client_query(a, &q, addrs, n, res);
}

static void test_addr_parse(void **state)
{
	dns_client_addr_t a;
	const char *good[] = { "127.0.0.1:53", "[::1]:5300", "192.0.2.1:65535", "[2001:db8::1]:1" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t len = strlen(good[i]);
		assert_int_equal(dns_client_addr_parse(good[i], len, false, &a), ERR_OK);
		assert_string_equal(a.text, good[i]);
	}
	assert_int_equal(a.ss.ss_family, AF_INET6);
	const char *bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
			      "::1:53", "[::1]53", "[::1]", "localhost:53", ":53", "1.2.3.4:5x",
			      "[127.0.0.1]:53", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]);
		assert_int_equal(dns_client_addr_parse(bad[i], len, false, &a), ERR_PARSE);
	}
	assert_int_equal(dns_client_addr_parse("0.0.0.0:0", 9, true, &a), ERR_OK);

	dns_client_addr_t list[3];
	size_t n = 9;
	assert_int_equal(dns_client_addr_list_parse("", list, 3, &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(dns_client_addr_list_parse(" 127.0.0.1:53 ,, [::1]:53,", list, 3, &n),
			 ERR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].text, "[::1]:53");
	assert_int_equal(dns_client_addr_list_parse("127.0.0.1:53,bad", list, 3, &n), ERR_PARSE);
	assert_int_equal(n, 1);
	assert_int_equal(dns_client_addr_list_parse("1.1.1.1:1,1.1.1.1:2,1.1.1.1:3,1.1.1.1:4",
						    list, 3, &n), ERR_TOOBIG);
}

static void test_answers_in_parallel(void **state)
{
	fake_t f[3];
	fake_start(&f[0], FS_ANSWER, 7);
	fake_start(&f[1], FS_REFUSED, 7);
	fake_start(&f[2], FS_SILENT, 7);
	arena_t a;
	arena_init(&a, 0);
	dns_client_result_t res[4];
	int64_t t0 = time_mono_ms();
	assert_int_equal(ask(&a, f, 3, dead_port(), KNOT_RRTYPE_SOA, 400, res), ERR_OK);
	int64_t took = time_mono_ms() - t0;
	assert_true(took >= 390 && took < 2500); /* the silent one sets the pace, once */
	assert_int_equal(res[0].status, DNS_CLIENT_ANSWERED);
	assert_true(res[0].is_aa && !res[0].is_tcp);
	assert_int_equal(res[0].rcode, KNOT_RCODE_NOERROR);
	const knot_pktsection_t *an = knot_pkt_section(res[0].reply, KNOT_ANSWER);
	assert_int_equal(an->count, 1);
	assert_int_equal(knot_soa_serial(knot_pkt_rr(an, 0)->rrs.rdata), 7);
	assert_int_equal(res[1].status, DNS_CLIENT_ANSWERED);
	assert_int_equal(res[1].rcode, KNOT_RCODE_REFUSED);
	assert_int_equal(res[2].status, DNS_CLIENT_TIMEOUT);
	assert_int_equal(f[2].udp_seen, 2); /* asked, then once more halfway */
	assert_int_equal(res[3].status, DNS_CLIENT_FAILED);
	assert_int_equal(res[3].err, -ECONNREFUSED);
	for (int i = 0; i < 3; i++) {
		fake_stop(&f[i]);
	}
	arena_clear(&a);
}

static void test_resend_spoof_tc(void **state)
{
	fake_t f[3];
	fake_start(&f[0], FS_DROP_FIRST, 1);
	fake_start(&f[1], FS_WRONG_ID_FIRST, 2);
	fake_start(&f[2], FS_TC, 3);
	arena_t a;
	arena_init(&a, 0);
	dns_client_result_t res[3];
	assert_int_equal(ask(&a, f, 3, 0, KNOT_RRTYPE_SOA, 600, res), ERR_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i].status, DNS_CLIENT_ANSWERED);
		const knot_pktsection_t *an = knot_pkt_section(res[i].reply, KNOT_ANSWER);
		assert_int_equal(an->count, 1);
		assert_int_equal(knot_soa_serial(knot_pkt_rr(an, 0)->rrs.rdata), (uint32_t)i + 1);
	}
	assert_int_equal(f[0].udp_seen, 2);
	assert_true(res[0].rtt_ms >= 290); /* the resend came halfway through 600 ms */
	assert_int_equal(f[1].udp_seen, 1); /* the right reply followed the spoofed one */
	assert_true(res[2].is_tcp);
	assert_int_equal(f[2].tcp_seen, 1);
	for (int i = 0; i < 3; i++) {
		fake_stop(&f[i]);
	}
	arena_clear(&a);
}

static void test_no_question(void **state)
{
	fake_t f[2];
	fake_start(&f[0], FS_FORMERR_NOQ, 1);
	fake_start(&f[1], FS_NOERROR_NOQ, 1);
	arena_t a;
	arena_init(&a, 0);
	dns_client_result_t res[2];
	assert_int_equal(ask(&a, f, 2, 0, KNOT_RRTYPE_SOA, 200, res), ERR_OK);
	assert_int_equal(res[0].status, DNS_CLIENT_ANSWERED);
	assert_int_equal(res[0].rcode, KNOT_RCODE_FORMERR);
	assert_int_equal(res[1].status, DNS_CLIENT_TIMEOUT);
	fake_stop(&f[0]);
	fake_stop(&f[1]);
	arena_clear(&a);
}

static void test_bad_input(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	dns_client_addr_t addr;
	addr_of(53, &addr);
	dns_client_result_t res[1];
	dns_client_query_t q = { .qname = "", .qtype = KNOT_RRTYPE_A };
	assert_int_equal(dns_client_query(&a, &q, &addr, 1, res), ERR_INVAL_ARG);
	q.qname = "a..b";
	assert_int_equal(dns_client_query(&a, &q, &addr, 1, res), ERR_INVAL_ARG);
	q.qname = "example.test";
	assert_int_equal(dns_client_query(&a, &q, &addr, 0, res), ERR_INVAL_ARG);
	arena_clear(&a);
	arena_init(&a, 1024); /* too small for a receive buffer */
	assert_int_equal(dns_client_query(&a, &q, &addr, 1, res), ERR_TOOBIG);
	arena_clear(&a);
}

static void set(conf_t *c, const char *key, const char *value)
{
	char err[256];
	assert_int_equal(conf_set(c, key, value, err, sizeof(err)), ERR_OK);
}

static void servers_conf(conf_t *c, fake_t *f, size_t n, uint16_t extra)
{
	char list[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < n + (extra != 0); i++) {
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s127.0.0.1:%u",
					i ? "," : "", i < n ? f[i].port : extra);
	}
	set(c, "name-server-addresses", list);
}

static void test_check_servers(void **state)
{
	conf_t c;
	conf_init(&c);
	dns_client_addr_t s[4];
	size_t n = 0;
	char err[256];
	set(&c, "dns", "0.0.0.0:5300,[::1]:5300");
	assert_int_equal(dns_check_servers(&c, s, 4, &n, err, sizeof(err)), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(((struct sockaddr_in *)&s[0].ss)->sin_addr.s_addr,
			 htonl(INADDR_LOOPBACK));
	set(&c, "dns", "[::]:53");
	assert_int_equal(dns_check_servers(&c, s, 4, &n, err, sizeof(err)), ERR_OK);
	assert_true(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&s[0].ss)->sin6_addr));
	set(&c, "dns", "127.0.0.1:0");
	assert_int_equal(dns_check_servers(&c, s, 4, &n, err, sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "port 0"));
	set(&c, "name-server-addresses", "192.0.2.1:53, [2001:db8::1]:53");
	assert_int_equal(dns_check_servers(&c, s, 4, &n, err, sizeof(err)), ERR_OK);
	assert_int_equal(n, 2);
	set(&c, "name-server-addresses", "192.0.2.1:53,ns1.example:53");
	assert_int_equal(dns_check_servers(&c, s, 4, &n, err, sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "item 2"));
	conf_clear(&c);
}

static void test_check_zone(void **state)
{
	fake_t f[3];
	fake_start(&f[0], FS_ANSWER, 100);
	fake_start(&f[1], FS_ANSWER, 101); /* newer than the store: fine (RFC 1982) */
	fake_start(&f[2], FS_ANSWER, 99);
	conf_t c;
	conf_init(&c);
	set(&c, "distribution-timeout-ms", "300");
	arena_t a;
	arena_init(&a, 0);
	zone_t z = { .name = "example.test", .serial = 100 };
	dns_check_t chk;
	servers_conf(&c, f, 2, 0);
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_OK);
	assert_true(chk.is_distributed);
	assert_null(chk.reason);
	servers_conf(&c, f, 3, 0);
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_OK);
	assert_false(chk.is_distributed);
	assert_ptr_not_equal(chk.culprit, NULL);
	assert_string_equal(chk.reason, "serial 99, want 100");
	z.serial = 0xfffffff0u; /* 100 is newer in serial arithmetic */
	servers_conf(&c, f, 1, 0);
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_OK);
	assert_true(chk.is_distributed);
	z.serial = 100;
	servers_conf(&c, f, 2, dead_port());
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_TIMEOUT);
	assert_string_equal(chk.reason, "Connection refused");
	set(&c, "name-server-addresses", "");
	set(&c, "dns", "127.0.0.1:0");
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_INTERNAL);
	assert_null(chk.culprit);
	for (int i = 0; i < 3; i++) {
		fake_stop(&f[i]);
	}
	fake_t g[2];
	fake_start(&g[0], FS_REFUSED, 100);
	fake_start(&g[1], FS_NO_AA, 100);
	set(&c, "name-server-addresses", "");
	servers_conf(&c, g, 1, 0);
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_OK);
	assert_false(chk.is_distributed);
	assert_string_equal(chk.reason, "rcode REFUSED");
	servers_conf(&c, g + 1, 1, 0);
	assert_int_equal(dns_check_zone(&a, &c, &z, &chk), ERR_OK);
	assert_false(chk.is_distributed);
	fake_stop(&g[0]);
	fake_stop(&g[1]);
	arena_clear(&a);
	conf_clear(&c);
}

static void test_check_record(void **state)
{
	fake_t f;
	fake_start(&f, FS_ANSWER, 1);
	conf_t c;
	conf_init(&c);
	set(&c, "distribution-timeout-ms", "300");
	servers_conf(&c, &f, 1, 0);
	arena_t a;
	arena_init(&a, 0);
	zone_t z = { .name = "example.test" };
	const uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	/* the fake answers A 192.0.2.1 at any name it is asked */
	record_t r = { .name = "www", .type = rrtype_find("A"), .rdata = a1, .rdata_size = 4 };
	dns_check_t chk;
	assert_int_equal(dns_check_record(&a, &c, &z, &r, &chk), ERR_OK);
	assert_true(chk.is_distributed);
	r.rdata = a2;
	assert_int_equal(dns_check_record(&a, &c, &z, &r, &chk), ERR_OK);
	assert_false(chk.is_distributed);
	assert_string_equal(chk.reason, "record not in the answer");
	/* a pseudo-record: asked A, any A answer counts */
	r = (record_t){ .name = "", .type = rrtype_find("ALIAS"), .content = "target.example" };
	assert_int_equal(dns_check_record(&a, &c, &z, &r, &chk), ERR_OK);
	assert_true(chk.is_distributed);
	/* POOL is asked CNAME; the fake has none */
	r.type = rrtype_find("POOL");
	assert_int_equal(dns_check_record(&a, &c, &z, &r, &chk), ERR_OK);
	assert_false(chk.is_distributed);
	fake_stop(&f);
	arena_clear(&a);
	conf_clear(&c);
}

static void test_has_rr_canonical(void **state)
{
	fake_t f;
	fake_start(&f, FS_ANSWER, 5);
	arena_t a;
	arena_init(&a, 0);
	dns_client_result_t res[1];
	assert_int_equal(ask(&a, &f, 1, 0, KNOT_RRTYPE_SOA, 300, res), ERR_OK);
	uint8_t rd[22] = { 0, 0 };
	knot_wire_write_u32(rd + 2, 5);
	/* the owner in another case still matches */
	assert_true(dns_client_has_rr(&a, res[0].reply, KNOT_ANSWER, "EXAMPLE.test.",
				      KNOT_RRTYPE_SOA, rd, sizeof(rd)));
	assert_false(dns_client_has_rr(&a, res[0].reply, KNOT_AUTHORITY, "example.test",
				       KNOT_RRTYPE_SOA, rd, sizeof(rd)));
	knot_wire_write_u32(rd + 2, 6);
	assert_false(dns_client_has_rr(&a, res[0].reply, KNOT_ANSWER, "example.test",
				       KNOT_RRTYPE_SOA, rd, sizeof(rd)));
	assert_false(dns_client_has_rr(&a, res[0].reply, KNOT_ANSWER, "example.test",
				       KNOT_RRTYPE_SOA, rd, 3)); /* malformed */
	assert_false(dns_client_has_rr(&a, NULL, KNOT_ANSWER, "example.test", KNOT_RRTYPE_SOA,
				       rd, sizeof(rd)));
	fake_stop(&f);
	arena_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_answers_in_parallel),
		cmocka_unit_test(test_resend_spoof_tc),
		cmocka_unit_test(test_no_question),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_check_servers),
		cmocka_unit_test(test_check_zone),
		cmocka_unit_test(test_check_record),
		cmocka_unit_test(test_has_rr_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
