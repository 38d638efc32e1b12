/* fuzz_query.c -- libFuzzer target for the DNS query path (dns/query/query.h).
 *
 * Input: byte 0 picks the transport (bit 0: TCP) and the answer buffer (bit 1: a small
 * one, 600 bytes), the rest is the message given to query_prefetch() and query_handle().
 * One fixed zone set, built once, has every case the answer code has branches for: wildcards, an empty
 * non-terminal, CNAME chains and loops, DNAME, delegations with glue, big RRsets. Checks
 * what must hold for any input: the answer fits the buffer and the transport's limit,
 * parses, is a response with the query's ID, and the worker's memory is reused.
 * Build: clang -fsanitize=fuzzer,address,undefined -I src tests/fuzz/fuzz_query.c
 * src/dns/query/(process|answer|chaos).c src/dns/zonedb/(build|zone).c and core; with
 * -DFUZZ_REPLAY instead of -fsanitize=fuzzer it replays the files named on the command
 * line. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "core/err.h"
#include "dns/query/query.h"
#include "dns/zonedb/zonedb.h"

static zdb_t *db;
static query_worker_t *worker;
static const uint8_t nsid[] = "fuzz";
static const query_conf_t conf = {
	.nsid = nsid, .nsid_size = 4, .identity = "fuzz.example", .version = "fuzz",
	.udp_max_payload = 1232, .cookie_secret = { 7, 7, 7, 7, 7, 7, 7, 7, 1, 2, 3, 4 },
};

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_query: %s\n", what);
		abort();
	}
}

static void add(zdb_builder_t *b, const char *owner, uint16_t type, const void *rd, size_t n)
{
	check(zdb_builder_add(b, owner, type, 300, rd, (uint16_t)n) == ERR_OK, "zone add");
}

static void add_name(zdb_builder_t *b, const char *owner, uint16_t type, uint16_t pref,
		     const char *target)
{
	uint8_t rd[2 + KNOT_DNAME_MAXLEN];
	size_t off = 0;
	if (type == KNOT_RRTYPE_MX) {
		knot_wire_write_u16(rd, pref);
		off = 2;
	}
	check(knot_dname_from_str(rd + off, target, KNOT_DNAME_MAXLEN) != NULL, "name");
	add(b, owner, type, rd, off + knot_dname_size(rd + off));
}

static void add_a(zdb_builder_t *b, const char *owner, const char *addr)
{
	uint8_t rd[16];
	bool is_v6 = strchr(addr, ':') != NULL;
	check(inet_pton(is_v6 ? AF_INET6 : AF_INET, addr, rd) == 1, "address");
	add(b, owner, is_v6 ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A, rd, is_v6 ? 16 : 4);
}

static void publish(zdb_builder_t *b)
{
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	check(z != NULL, "zone build");
	zdb_publish(db, z);
}

static void build_zones(void)
{
	db = zdb_new();
	zdb_builder_t *b = zdb_builder_new("example.com", 1);
	static const uint8_t soa[] = "\x03ns1\x07" "example\x03" "com\x00\x01h\x07" "example\x03"
				     "com\x00\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\1\x2c";
	add(b, "example.com.", KNOT_RRTYPE_SOA, soa, sizeof(soa) - 1);
	add_name(b, "example.com.", KNOT_RRTYPE_NS, 0, "ns1.example.com.");
	add_name(b, "example.com.", KNOT_RRTYPE_MX, 10, "mail.example.com.");
	add_name(b, "example.com.", KNOT_RRTYPE_MX, 20, "x.wild.example.com.");
	add_a(b, "ns1.example.com.", "192.0.2.1");
	add_a(b, "mail.example.com.", "192.0.2.2");
	add_a(b, "mail.example.com.", "2001:db8::2");
	add_a(b, "a.b.c.example.com.", "192.0.2.3");
	add_a(b, "*.wild.example.com.", "192.0.2.4");
	add_name(b, "*.cn.example.com.", KNOT_RRTYPE_CNAME, 0, "x.cn.example.com.");
	add_name(b, "loop1.example.com.", KNOT_RRTYPE_CNAME, 0, "loop2.example.com.");
	add_name(b, "loop2.example.com.", KNOT_RRTYPE_CNAME, 0, "LOOP1.example.com.");
	add_name(b, "out.example.com.", KNOT_RRTYPE_CNAME, 0, "www.example.net.");
	add_name(b, "dn.example.com.", KNOT_RRTYPE_DNAME, 0, "example.net.");
	add_name(b, "self.example.com.", KNOT_RRTYPE_DNAME, 0, "x.self.example.com.");
	add_name(b, "deleg.example.com.", KNOT_RRTYPE_NS, 0, "ns.deleg.example.com.");
	add_name(b, "deleg.example.com.", KNOT_RRTYPE_NS, 0, "ns1.example.com.");
	add_a(b, "ns.deleg.example.com.", "192.0.2.5");
	add_a(b, "*.deleg.example.com.", "192.0.2.6");
	for (int i = 0; i < 40; i++) {
		char text[64];
		int n = snprintf(text + 1, sizeof(text) - 1, "%02d-padding-padding-padding", i);
		text[0] = (char)n;
		add(b, "big.example.com.", KNOT_RRTYPE_TXT, text, (size_t)n + 1);
	}
	publish(b);
	b = zdb_builder_new("example.net", 1);
	add(b, "example.net.", KNOT_RRTYPE_SOA, soa, sizeof(soa) - 1);
	add_a(b, "www.example.net.", "198.51.100.1");
	add_name(b, "back.example.net.", KNOT_RRTYPE_CNAME, 0, "out.example.com.");
	publish(b);
	worker = query_worker_new(&conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	if (db == NULL) {
		build_zones();
	}
	if (size < 1) {
		return 0;
	}
	struct sockaddr_in client = { .sin_family = AF_INET, .sin_port = htons(53) };
	client.sin_addr.s_addr = htonl(0xc0000263);
	query_src_t src = { .addr = (const struct sockaddr *)&client, .is_tcp = data[0] & 1 };
	size_t out_max = (data[0] & 2) ? 600 : sizeof(out);
	const uint8_t *msg = data + 1;
	size_t msg_size = size - 1;
	query_prefetch(db, &msg, &msg_size, 1); /* reads the raw question too: a UDP batch's */
	size_t n = query_handle(worker, db, &src, msg, msg_size, out, out_max);
	if (n == 0) {
		return 0;
	}
	check(msg_size >= KNOT_WIRE_HEADER_SIZE && !knot_wire_get_qr(msg), "answered a non-query");
	check(n <= out_max, "answer overflows the buffer");
	check(src.is_tcp || n <= conf.udp_max_payload, "UDP answer over our EDNS size");
	check(knot_wire_get_qr(out), "answer without QR");
	check(knot_wire_get_id(out) == knot_wire_get_id(msg), "answer with another ID");
	knot_pkt_t *p = knot_pkt_new(out, (uint16_t)n, NULL);
	check(p != NULL, "packet");
	check(knot_pkt_parse(p, 0) == KNOT_EOK, "answer does not parse");
	check(knot_wire_get_qdcount(out) <= 1, "more than one question");
	knot_pkt_free(p);
	return 0;
}

#ifdef FUZZ_REPLAY
/* Replay corpus files: fuzz_query FILE... */
int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		check(f != NULL, "open");
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
