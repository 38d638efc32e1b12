/* test_alias.c -- dns/alias: settings, the lock-free cache, chasing targets through our
 * zones, the upstream client (UDP, TCP after TC, CNAME chains, negative answers,
 * failures) against a small fake resolver on loopback, and the refresher thread (learns
 * a zone's targets, follows address changes, serves stale when the upstream fails, calls
 * the change hook). */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libknot/libknot.h>

#include "core/err.h"
#include "dns/alias/alias.h"
#include "dns/alias/alias_internal.h"
#include "dns/zonedb/zonedb.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static void dname(const char *text, knot_dname_t *out)
{
	assert_non_null(knot_dname_from_str(out, text, KNOT_DNAME_MAXLEN));
	knot_dname_to_lower(out);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void rdataset_of(knot_rdataset_t *rrs, const char *addrs)
{
	knot_rdataset_init(rrs);
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		union { knot_rdata_t rd; uint8_t b[sizeof(knot_rdata_t) + 16]; } u;
		bool is_v6 = strchr(t, ':') != NULL;
		assert_int_equal(inet_pton(is_v6 ? AF_INET6 : AF_INET, t, u.rd.data), 1);
		u.rd.len = is_v6 ? 16 : 4;
		assert_int_equal(knot_rdataset_add(rrs, &u.rd, NULL), KNOT_EOK);
	}
}

/* The first address of an A RRset as text, or "" for NULL. */
static const char *first_a(const knot_rrset_t *rr, char *buf, size_t size)
{
	buf[0] = '\0';
	if (rr != NULL && rr->rrs.count > 0) {
		inet_ntop(rr->type == KNOT_RRTYPE_A ? AF_INET : AF_INET6, rr->rrs.rdata->data, buf,
			  (socklen_t)size);
	}
	return buf;
}

static const uint8_t soa_rdata[] = {
	2, 'n', 's', 0, 1, 'h', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 120,
};

static zdb_zone_t *zone_with(const char *apex, const char *const *rows)
{
	/* rows: "owner TYPE ttl content" with TYPE A, CNAME, NS, ALIAS, URL */
	zdb_builder_t *b = zdb_builder_new(apex, 1);
	char soa_owner[300];
	snprintf(soa_owner, sizeof(soa_owner), "%s.", apex);
	assert_int_equal(zdb_builder_add(b, soa_owner, KNOT_RRTYPE_SOA, 300, soa_rdata,
					 sizeof(soa_rdata)), ERR_OK);
	for (size_t i = 0; rows[i] != NULL; i++) {
		char owner[300], type[16], content[300];
		unsigned ttl = 0;
		assert_int_equal(sscanf(rows[i], "%299s %15s %u %299s", owner, type, &ttl, content),
				 4);
		uint8_t rd[300];
		uint16_t size = 0;
		int ret;
		if (strcmp(type, "ALIAS") == 0 || strcmp(type, "URL") == 0) {
			uint16_t code = type[0] == 'A' ? ZDB_TYPE_ALIAS : ZDB_TYPE_URL;
			ret = zdb_builder_add_pseudo(b, owner, code, ttl, content);
		} else {
			uint16_t code = 0;
			assert_int_equal(knot_rrtype_from_string(type, &code), 0);
			if (code == KNOT_RRTYPE_A) {
				assert_int_equal(inet_pton(AF_INET, content, rd), 1);
				size = 4;
			} else {
				assert_non_null(knot_dname_from_str(rd, content, sizeof(rd)));
				size = (uint16_t)knot_dname_size(rd);
			}
			ret = zdb_builder_add(b, owner, code, ttl, rd, size);
		}
		assert_int_equal(ret, ERR_OK);
	}
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	if (z == NULL) {
		fail_msg("zone %s not built: %s", apex, err);
	}
	return z;
}

/* ---- settings ------------------------------------------------------------------------------ */

static void test_resolver_setting(void **state)
{
	upstream_t u[UPSTREAM_MAX];
	size_t n = 0;
	char err[128];
	assert_int_equal(upstream_parse("", u, UPSTREAM_MAX, &n, err, sizeof(err)), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(upstream_parse(" 127.0.0.1:5353 , 192.0.2.1,[::1]:53,2001:db8::1,[::2]",
					u, UPSTREAM_MAX, &n, err, sizeof(err)), ERR_OK);
	assert_int_equal(n, 5);
	assert_string_equal(u[0].text, "127.0.0.1:5353");
	assert_string_equal(u[1].text, "192.0.2.1:53");
	assert_string_equal(u[2].text, "[::1]:53");
	assert_string_equal(u[3].text, "[2001:db8::1]:53");
	assert_string_equal(u[4].text, "[::2]:53");
	static const char *const bad[] = { "localhost", "1.2.3.4:0", "1.2.3.4:70000", "[::1",
					   "[::1]x", "1.2.3.4:", "1.2.3.4:5x", "300.1.1.1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(upstream_parse(bad[i], u, UPSTREAM_MAX, &n, err, sizeof(err)),
				 ERR_INVALID);
		assert_non_null(strstr(err, "resolver"));
	}
	zdb_t *db = zdb_new();
	alias_t *a = NULL;
	alias_conf_t nope = { .resolvers = "nope" };
	assert_int_equal(alias_new(&a, &nope, db, err, sizeof(err)), ERR_INVALID);
	assert_int_equal(alias_new(&a, &(alias_conf_t){ .redirect = "127.0.0.1,bad" }, db, err,
				   sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "redirect-addresses"));
	assert_int_equal(alias_new(&a, &(alias_conf_t){ .redirect = " 127.0.0.1 , ::1,127.0.0.2" },
				   db, err, sizeof(err)), ERR_OK);
	const knot_rrset_t *rr = alias_redirect(a, KNOT_RRTYPE_A);
	assert_non_null(rr);
	assert_int_equal(rr->rrs.count, 2);
	rr = alias_redirect(a, KNOT_RRTYPE_AAAA);
	assert_non_null(rr);
	assert_int_equal(rr->rrs.count, 1);
	assert_null(alias_redirect(a, KNOT_RRTYPE_MX));
	alias_free(a);
	assert_int_equal(alias_new(&a, &(alias_conf_t){ .redirect = "" }, db, err, sizeof(err)),
			 ERR_OK);
	assert_null(alias_redirect(a, KNOT_RRTYPE_A));
	alias_free(a);
	assert_null(alias_redirect(NULL, KNOT_RRTYPE_A));
	zdb_free(db);
}

/* ---- the cache ----------------------------------------------------------------------------- */

static void test_cache_set_lookup(void **state)
{
	zdb_t *db = zdb_new();
	alias_t *a = NULL;
	char err[128], buf[64];
	assert_int_equal(alias_new(&a, &(alias_conf_t){ 0 }, db, err, sizeof(err)), ERR_OK);
	knot_dname_t name[KNOT_DNAME_MAXLEN];
	dname("host.example.org.", name);
	uint32_t ttl = 0;
	assert_null(alias_lookup(a, name, KNOT_RRTYPE_A, &ttl));
	knot_rdataset_t rrs;
	rdataset_of(&rrs, "192.0.2.5 192.0.2.6");
	alias_set(a, name, KNOT_RRTYPE_A, &rrs, 100);
	knot_rdataset_clear(&rrs, NULL);
	const knot_rrset_t *rr = alias_lookup(a, name, KNOT_RRTYPE_A, &ttl);
	assert_non_null(rr);
	assert_int_equal(rr->rrs.count, 2);
	assert_true(ttl >= 99 && ttl <= 100);
	assert_null(alias_lookup(a, name, KNOT_RRTYPE_AAAA, &ttl));
	assert_null(alias_lookup(a, name, KNOT_RRTYPE_MX, &ttl));
	/* an empty answer (NODATA upstream) is no RRset */
	rdataset_of(&rrs, "");
	alias_set(a, name, KNOT_RRTYPE_AAAA, &rrs, 100);
	assert_null(alias_lookup(a, name, KNOT_RRTYPE_AAAA, &ttl));
	/* a replaced answer is seen at once */
	rdataset_of(&rrs, "192.0.2.9");
	alias_set(a, name, KNOT_RRTYPE_A, &rrs, 5);
	knot_rdataset_clear(&rrs, NULL);
	rr = alias_lookup(a, name, KNOT_RRTYPE_A, &ttl);
	assert_string_equal(first_a(rr, buf, sizeof(buf)), "192.0.2.9");
	assert_true(ttl <= 5);
	/* many names: the table grows, every one is still found */
	for (int i = 0; i < 500; i++) {
		char text[64];
		snprintf(text, sizeof(text), "n%d.example.org.", i);
		dname(text, name);
		rdataset_of(&rrs, "198.51.100.1");
		alias_set(a, name, KNOT_RRTYPE_A, &rrs, 60);
		knot_rdataset_clear(&rrs, NULL);
	}
	assert_int_equal(alias_count(a), 501);
	for (int i = 0; i < 500; i += 7) {
		char text[64];
		snprintf(text, sizeof(text), "N%d.example.org.", i);
		dname(text, name);
		assert_non_null(alias_lookup(a, name, KNOT_RRTYPE_A, &ttl));
	}
	alias_free(a);
	zdb_free(db); /* frees what was retired */
}

static void test_resolve_through_zones(void **state)
{
	zdb_t *db = zdb_new();
	static const char *const rows[] = {
		"www.zone.test. A 300 192.0.2.80",
		"cn.zone.test. CNAME 200 www.zone.test.",
		"cn2.zone.test. CNAME 100 cn.zone.test.",
		"out.zone.test. CNAME 100 far.away.org.",
		"al.zone.test. ALIAS 50 cn2.zone.test",
		"url.zone.test. URL 40 https://example.com/",
		"loop1.zone.test. CNAME 100 loop2.zone.test.",
		"loop2.zone.test. CNAME 100 loop1.zone.test.",
		"sub.zone.test. NS 100 ns.sub.zone.test.",
		"ns.sub.zone.test. A 100 192.0.2.53",
		NULL,
	};
	zdb_publish(db, zone_with("zone.test", rows));
	alias_t *a = NULL;
	char err[128], buf[64];
	assert_int_equal(alias_new(&a, &(alias_conf_t){ .redirect = "192.0.2.100" }, db, err,
				   sizeof(err)), ERR_OK);
	knot_dname_t t[KNOT_DNAME_MAXLEN];
	uint32_t ttl = 1000;
	dname("cn2.zone.test.", t);
	const knot_rrset_t *rr = alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl);
	assert_string_equal(first_a(rr, buf, sizeof(buf)), "192.0.2.80");
	assert_int_equal(ttl, 100);
	ttl = 1000;
	dname("al.zone.test.", t); /* an ALIAS on the way is followed too */
	rr = alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl);
	assert_string_equal(first_a(rr, buf, sizeof(buf)), "192.0.2.80");
	assert_int_equal(ttl, 50);
	ttl = 1000;
	dname("url.zone.test.", t);
	rr = alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl);
	assert_string_equal(first_a(rr, buf, sizeof(buf)), "192.0.2.100");
	assert_int_equal(ttl, 40);
	ttl = 1000;
	assert_null(alias_resolve(a, db, t, KNOT_RRTYPE_AAAA, &ttl)); /* no IPv6 redirector */
	dname("loop1.zone.test.", t);
	assert_null(alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl));
	dname("nothere.zone.test.", t);
	assert_null(alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl));
	/* out of our data: the cache answers for the name where the chain leaves */
	dname("out.zone.test.", t);
	assert_null(alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl));
	knot_dname_t far[KNOT_DNAME_MAXLEN];
	dname("far.away.org.", far);
	knot_rdataset_t rrs;
	rdataset_of(&rrs, "203.0.113.1");
	alias_set(a, far, KNOT_RRTYPE_A, &rrs, 30);
	knot_rdataset_clear(&rrs, NULL);
	ttl = 1000;
	rr = alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl);
	assert_string_equal(first_a(rr, buf, sizeof(buf)), "203.0.113.1");
	assert_true(ttl <= 30);
	/* below a cut of ours: external */
	dname("host.sub.zone.test.", t);
	rdataset_of(&rrs, "203.0.113.2");
	alias_set(a, t, KNOT_RRTYPE_A, &rrs, 30);
	knot_rdataset_clear(&rrs, NULL);
	ttl = 1000;
	rr = alias_resolve(a, db, t, KNOT_RRTYPE_A, &ttl);
	assert_string_equal(first_a(rr, buf, sizeof(buf)), "203.0.113.2");
	/* no cache at all: internal targets still resolve, external ones do not */
	ttl = 1000;
	dname("cn.zone.test.", t);
	assert_non_null(alias_resolve(NULL, db, t, KNOT_RRTYPE_A, &ttl));
	dname("far.away.org.", t);
	assert_null(alias_resolve(NULL, db, t, KNOT_RRTYPE_A, &ttl));
	alias_free(a);
	zdb_free(db);
}

static void test_zone_pseudo_records(void **state)
{
	static const char *const rows[] = {
		"zone.test. ALIAS 60 B.Example.ORG.",
		"zone.test. ALIAS 60 a.example.org", /* the first in canonical order answers */
		"x.zone.test. URL 60 https://example.com/",
		"x.zone.test. URL 30 https://example.com/",
		NULL,
	};
	zdb_zone_t *z = zone_with("zone.test", rows);
	size_t count = 0;
	const knot_dname_t *const *targets = zdb_zone_aliases(z, &count);
	assert_int_equal(count, 1);
	knot_dname_t want[KNOT_DNAME_MAXLEN];
	dname("a.example.org.", want);
	assert_true(knot_dname_is_equal(targets[0], want));
	const zdb_node_t *apex = zdb_zone_apex_node(z);
	assert_true(apex->flags & ZDB_NODE_ALIAS);
	assert_int_equal(apex->rrset_count, 1); /* the SOA: pseudo-records are not RRsets */
	dname("x.zone.test.", want);
	const zdb_node_t *x = zdb_zone_get(z, want);
	assert_non_null(x);
	assert_true(x->flags & ZDB_NODE_URL);
	assert_false(x->flags & ZDB_NODE_EMPTY);
	assert_int_equal(x->pseudo->url_ttl, 30);
	assert_null(zdb_node_rrset(x, ZDB_TYPE_URL));
	zdb_zone_free(z);

	/* refused: another type, a bad name, a CNAME beside a pseudo-record */
	zdb_builder_t *b = zdb_builder_new("zone.test", 1);
	assert_int_equal(zdb_builder_add_pseudo(b, "zone.test.", KNOT_RRTYPE_A, 60, "x"),
			 ERR_INVALID);
	assert_int_equal(zdb_builder_add_pseudo(b, "other.test.", ZDB_TYPE_ALIAS, 60, "x"),
			 ERR_INVALID);
	assert_int_equal(zdb_builder_add_pseudo(b, "zone.test.", ZDB_TYPE_ALIAS, 60, ""),
			 ERR_INVALID);
	assert_int_equal(zdb_builder_add_pseudo(b, "zone.test.", ZDB_TYPE_POOL, 60, "a..b"),
			 ERR_INVALID);
	zdb_builder_free(b);
	b = zdb_builder_new("zone.test", 1);
	assert_int_equal(zdb_builder_add(b, "zone.test.", KNOT_RRTYPE_SOA, 300, soa_rdata,
					 sizeof(soa_rdata)), ERR_OK);
	uint8_t rd[64];
	assert_non_null(knot_dname_from_str(rd, "www.zone.test.", sizeof(rd)));
	assert_int_equal(zdb_builder_add(b, "c.zone.test.", KNOT_RRTYPE_CNAME, 60, rd,
					 (uint16_t)knot_dname_size(rd)), ERR_OK);
	assert_int_equal(zdb_builder_add_pseudo(b, "c.zone.test.", ZDB_TYPE_ALIAS, 60, "x.org"),
			 ERR_OK);
	const char *why = NULL;
	assert_null(zdb_builder_finish(b, &why));
	assert_non_null(strstr(why, "CNAME"));
}

/* ---- a fake recursive resolver --------------------------------------------------------------- */

enum { FAKE_ANSWER, FAKE_SERVFAIL, FAKE_SILENT };

static struct {
	int udp, tcp;
	uint16_t port;
	pthread_t thread;
	_Atomic bool is_stopping;
	_Atomic int mode;
	_Atomic uint32_t addr;      /* what x.ext.test and friends answer (network order) */
	_Atomic uint32_t ttl;
	_Atomic unsigned queries;
	_Atomic unsigned tcp_queries;
} FK;

static void put_rr(knot_pkt_t *p, const char *owner, uint16_t type, uint32_t ttl,
		   const uint8_t *rd, uint16_t size)
{
	knot_dname_storage_t o;
	assert_non_null(knot_dname_from_str(o, owner, sizeof(o)));
	knot_rrset_t rr;
	knot_rrset_init(&rr, o, type, KNOT_CLASS_IN, ttl);
	assert_int_equal(knot_rrset_add_rdata(&rr, rd, size, NULL), KNOT_EOK);
	assert_int_equal(knot_pkt_put(p, KNOT_COMPR_HINT_NONE, &rr, 0), KNOT_EOK); /* written now */
	knot_rdataset_clear(&rr.rrs, NULL);
}

/* The fake's answer to wire[0..size) into out; 0 for none. */
static size_t fake_answer(uint8_t *wire, size_t size, uint8_t *out, size_t max, bool is_tcp)
{
	knot_pkt_t *q = knot_pkt_new(wire, (uint16_t)size, NULL);
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)max, NULL);
	size_t n = 0;
	if (knot_pkt_parse(q, 0) != KNOT_EOK || knot_pkt_init_response(r, q) != KNOT_EOK) {
		goto done;
	}
	atomic_fetch_add(&FK.queries, 1);
	atomic_fetch_add(&FK.tcp_queries, is_tcp);
	int mode = atomic_load(&FK.mode);
	if (mode == FAKE_SILENT) {
		goto done;
	}
	knot_wire_set_ra(r->wire);
	char name[KNOT_DNAME_TXT_MAXLEN];
	knot_dname_to_str(name, knot_pkt_qname(q), sizeof(name));
	for (char *c = name; *c != '\0'; c++) {
		*c = (char)tolower((unsigned char)*c);
	}
	uint16_t qtype = knot_pkt_qtype(q);
	uint32_t addr = atomic_load(&FK.addr), ttl = atomic_load(&FK.ttl);
	knot_pkt_begin(r, KNOT_ANSWER);
	if (mode == FAKE_SERVFAIL) {
		knot_wire_set_rcode(r->wire, KNOT_RCODE_SERVFAIL);
	} else if (strcmp(name, "tc.ext.test.") == 0 && !is_tcp) {
		knot_wire_set_tc(r->wire);
	} else if (strcmp(name, "nx.ext.test.") == 0) {
		knot_wire_set_rcode(r->wire, KNOT_RCODE_NXDOMAIN);
		knot_pkt_begin(r, KNOT_AUTHORITY);
		/* MINIMUM 120 */
		put_rr(r, "ext.test.", KNOT_RRTYPE_SOA, 300, soa_rdata, sizeof(soa_rdata));
	} else if (strcmp(name, "cn.ext.test.") == 0 && qtype == KNOT_RRTYPE_A) {
		uint8_t target[64];
		knot_dname_from_str(target, "real.ext.test.", sizeof(target));
		put_rr(r, "cn.ext.test.", KNOT_RRTYPE_CNAME, 40, target, knot_dname_size(target));
		put_rr(r, "real.ext.test.", KNOT_RRTYPE_A, 400, (uint8_t *)&addr, 4);
		static const uint8_t other[4] = { 1, 2, 3, 4 };
		put_rr(r, "other.ext.test.", KNOT_RRTYPE_A, 400, other, 4);
	} else if (qtype == KNOT_RRTYPE_A) {
		/* answers with the qname's case as sent (unbound keeps it) */
		put_rr(r, name, KNOT_RRTYPE_A, ttl, (uint8_t *)&addr, 4);
	} else {
		knot_pkt_begin(r, KNOT_AUTHORITY); /* NODATA, SOA MINIMUM 120 */
		put_rr(r, "ext.test.", KNOT_RRTYPE_SOA, 300, soa_rdata, sizeof(soa_rdata));
	}
	n = r->size;
done:
	knot_pkt_free(q);
	knot_pkt_free(r);
	return n;
}

static void fake_tcp(int fd)
{
	uint8_t head[2], in[1024], out[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 2000) <= 0 || recv(fd, head, 2, MSG_WAITALL) != 2) {
		return;
	}
	size_t size = knot_wire_read_u16(head);
	if (size > sizeof(in) || recv(fd, in, size, MSG_WAITALL) != (ssize_t)size) {
		return;
	}
	size_t n = fake_answer(in, size, out + 2, sizeof(out) - 2, true);
	if (n > 0) {
		knot_wire_write_u16(out, (uint16_t)n);
		(void)send(fd, out, n + 2, MSG_NOSIGNAL);
	}
}

static void *fake_run(void *arg)
{
	while (!atomic_load(&FK.is_stopping)) {
		struct pollfd p[2] = { { .fd = FK.udp, .events = POLLIN },
				       { .fd = FK.tcp, .events = POLLIN } };
		if (poll(p, 2, 50) <= 0) {
			continue;
		}
		if (p[0].revents & POLLIN) {
			uint8_t in[1024], out[4096];
			struct sockaddr_storage from;
			socklen_t len = sizeof(from);
			ssize_t got = recvfrom(FK.udp, in, sizeof(in), 0, (struct sockaddr *)&from,
					       &len);
			size_t n = got > 0 ? fake_answer(in, (size_t)got, out, 512, false) : 0;
			if (n > 0) {
				(void)sendto(FK.udp, out, n, 0, (struct sockaddr *)&from, len);
			}
		}
		if (p[1].revents & POLLIN) {
			int c = accept(FK.tcp, NULL, NULL);
			if (c >= 0) {
				fake_tcp(c);
				close(c);
			}
		}
	}
	return NULL;
}

static void fake_start(void)
{
	memset(&FK, 0, sizeof(FK));
	for (int attempt = 0; attempt < 20; attempt++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		FK.udp = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(bind(FK.udp, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		socklen_t len = sizeof(sa);
		getsockname(FK.udp, (struct sockaddr *)&sa, &len);
		FK.tcp = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(FK.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(FK.tcp, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    listen(FK.tcp, 16) == 0) {
			FK.port = ntohs(sa.sin_port);
			break;
		}
		close(FK.udp);
		close(FK.tcp);
	}
	assert_true(FK.port != 0);
	inet_pton(AF_INET, "192.0.2.1", (void *)&FK.addr);
	atomic_store(&FK.ttl, 300);
	assert_int_equal(pthread_create(&FK.thread, NULL, fake_run, NULL), 0);
}

static void fake_stop(void)
{
	atomic_store(&FK.is_stopping, true);
	pthread_join(FK.thread, NULL);
	close(FK.udp);
	close(FK.tcp);
}

static void fake_set_addr(const char *text)
{
	uint32_t v;
	assert_int_equal(inet_pton(AF_INET, text, &v), 1);
	atomic_store(&FK.addr, v);
}

/* ---- the upstream client ------------------------------------------------------------------- */

static void test_upstream(void **state)
{
	fake_start();
	char list[64], err[128], buf[64];
	upstream_t servers[2];
	size_t count = 0, first = 0;
	snprintf(list, sizeof(list), "127.0.0.1:%u", FK.port);
	assert_int_equal(upstream_parse(list, servers, 2, &count, err, sizeof(err)), ERR_OK);
	knot_dname_t names[5][KNOT_DNAME_MAXLEN];
	static const char *const texts[] = { "x.ext.test.", "tc.ext.test.", "cn.ext.test.",
					     "nx.ext.test.", "x.ext.test." };
	upstream_q_t qs[5];
	memset(qs, 0, sizeof(qs));
	for (int i = 0; i < 5; i++) {
		dname(texts[i], names[i]);
		qs[i].name = names[i];
		qs[i].type = i == 4 ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A;
	}
	atomic_store(&FK.ttl, 77);
	upstream_resolve(servers, count, &first, qs, 5, 1000, NULL);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(qs[i].ret, ERR_OK);
	}
	knot_rrset_t view;
	knot_rrset_init(&view, NULL, KNOT_RRTYPE_A, KNOT_CLASS_IN, 0);
	view.rrs = qs[0].rrs;
	assert_string_equal(first_a(&view, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(qs[0].ttl, 77);
	view.rrs = qs[1].rrs; /* truncated over UDP, answered over TCP */
	assert_string_equal(first_a(&view, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(atomic_load(&FK.tcp_queries), 1);
	view.rrs = qs[2].rrs; /* the CNAME chain: only the target's RRs, the lowest TTL */
	assert_int_equal(qs[2].rrs.count, 1);
	assert_string_equal(first_a(&view, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(qs[2].ttl, 40);
	assert_int_equal(qs[3].rrs.count, 0); /* NXDOMAIN: negative, min(SOA TTL, MINIMUM) */
	assert_int_equal(qs[3].ttl, 120);
	assert_int_equal(qs[4].rrs.count, 0); /* NODATA */
	assert_int_equal(qs[4].ttl, 120);
	for (int i = 0; i < 5; i++) {
		knot_rdataset_clear(&qs[i].rrs, NULL);
	}

	/* SERVFAIL and silence are failures; a dead first server is skipped */
	atomic_store(&FK.mode, FAKE_SERVFAIL);
	memset(qs, 0, sizeof(qs));
	qs[0].name = names[0];
	qs[0].type = KNOT_RRTYPE_A;
	upstream_resolve(servers, count, &first, qs, 1, 500, NULL);
	assert_int_equal(qs[0].ret, ERR_UPSTREAM);
	atomic_store(&FK.mode, FAKE_SILENT);
	upstream_resolve(servers, count, &first, qs, 1, 200, NULL);
	assert_int_equal(qs[0].ret, ERR_TIMEOUT);
	atomic_store(&FK.mode, FAKE_ANSWER);
	/* a port nobody listens on, then the fake: answered by the second */
	snprintf(list, sizeof(list), "127.0.0.1:1,127.0.0.1:%u", FK.port);
	assert_int_equal(upstream_parse(list, servers, 2, &count, err, sizeof(err)), ERR_OK);
	first = 0;
	upstream_resolve(servers, count, &first, qs, 1, 1000, NULL);
	assert_int_equal(qs[0].ret, ERR_OK);
	assert_int_equal(first, 1); /* next time the live one first */
	knot_rdataset_clear(&qs[0].rrs, NULL);
	fake_stop();
}

/* ---- the refresher ------------------------------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	unsigned calls;
	char last[KNOT_DNAME_TXT_MAXLEN];
} HOOK = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_change(void *ctx, const knot_dname_t *apex)
{
	pthread_mutex_lock(&HOOK.lock);
	HOOK.calls++;
	knot_dname_to_str(HOOK.last, apex, sizeof(HOOK.last));
	pthread_mutex_unlock(&HOOK.lock);
}

static unsigned hook_calls(void)
{
	pthread_mutex_lock(&HOOK.lock);
	unsigned n = HOOK.calls;
	pthread_mutex_unlock(&HOOK.lock);
	return n;
}

/* The ALIAS answer at ext's target as text ("" when none), as a worker would read it. */
static const char *answer_of(alias_t *a, zdb_t *db, zdb_reader_t *r, const char *target,
			     char *buf, size_t size, uint32_t *ttl)
{
	knot_dname_t t[KNOT_DNAME_MAXLEN];
	dname(target, t);
	zdb_reader_online(r);
	*ttl = 3600;
	first_a(alias_resolve(a, db, t, KNOT_RRTYPE_A, ttl), buf, size);
	zdb_reader_offline(r);
	return buf;
}

/* Wait up to ms for target's answer to be want. */
static bool wait_answer(alias_t *a, zdb_t *db, zdb_reader_t *r, const char *target,
			const char *want, int ms)
{
	char buf[64];
	uint32_t ttl;
	for (int waited = 0; waited <= ms; waited += 20) {
		if (strcmp(answer_of(a, db, r, target, buf, sizeof(buf), &ttl), want) == 0) {
			return true;
		}
		sleep_ms(20);
	}
	return false;
}

static void test_refresher(void **state)
{
	fake_start();
	atomic_store(&FK.ttl, 1); /* refreshed every second */
	zdb_t *db = zdb_new();
	zdb_reader_t *r = zdb_reader_register(db);
	zdb_reader_offline(r);
	char list[64], err[128], buf[64];
	snprintf(list, sizeof(list), "127.0.0.1:%u", FK.port);
	alias_t *a = NULL;
	alias_conf_t conf = { .resolvers = list, .timeout_ms = 300, .on_change = on_change };
	assert_int_equal(alias_new(&a, &conf, db, err, sizeof(err)), ERR_OK);
	assert_int_equal(alias_start(a), ERR_OK);

	/* a zone is published: its external target is resolved without any query asking */
	static const char *const rows[] = {
		"zone.test. ALIAS 60 Www.Ext.Test",
		"in.zone.test. ALIAS 60 host.zone.test",
		"host.zone.test. A 60 192.0.2.44",
		NULL,
	};
	zdb_zone_t *z = zone_with("zone.test", rows);
	zdb_publish(db, z);
	alias_on_zone(a, zdb_zone_apex(z), z);
	assert_true(wait_answer(a, db, r, "www.ext.test.", "192.0.2.1", 2000));
	sleep_ms(50); /* the hook runs right after the answer is published */
	assert_int_equal(hook_calls(), 1); /* a first answer is news to secondaries */
	/* only the external one is cached */
	assert_int_equal(alias_count(a), 1);
	/* the upstream's answer changes: followed within its TTL and a refresh */
	unsigned before = hook_calls();
	fake_set_addr("192.0.2.2");
	assert_true(wait_answer(a, db, r, "www.ext.test.", "192.0.2.2", 2500));
	sleep_ms(50); /* the hook runs right after the answer is published */
	assert_true(hook_calls() > before);
	pthread_mutex_lock(&HOOK.lock);
	assert_string_equal(HOOK.last, "zone.test.");
	pthread_mutex_unlock(&HOOK.lock);
	/* the upstream fails: the last good answer stays (stale, TTL 30 at most) */
	atomic_store(&FK.mode, FAKE_SERVFAIL);
	unsigned asked = atomic_load(&FK.queries);
	sleep_ms(2500);
	assert_true(atomic_load(&FK.queries) > asked); /* it kept trying */
	uint32_t ttl = 0;
	assert_string_equal(answer_of(a, db, r, "www.ext.test.", buf, sizeof(buf), &ttl),
			    "192.0.2.2");
	assert_true(ttl <= 30);
	atomic_store(&FK.mode, FAKE_SILENT);
	sleep_ms(1000);
	assert_string_equal(answer_of(a, db, r, "www.ext.test.", buf, sizeof(buf), &ttl),
			    "192.0.2.2");
	/* back again: the new answer comes (retries back off to 2 s, then 4 s) */
	atomic_store(&FK.mode, FAKE_ANSWER);
	fake_set_addr("192.0.2.3");
	assert_true(wait_answer(a, db, r, "www.ext.test.", "192.0.2.3", 6000));

	/* the zone goes away and comes back with another target */
	static const char *const rows2[] = { "zone.test. ALIAS 60 other.ext.test", NULL };
	z = zone_with("zone.test", rows2);
	zdb_publish(db, z);
	alias_on_zone(a, zdb_zone_apex(z), z);
	assert_true(wait_answer(a, db, r, "other.ext.test.", "192.0.2.3", 2000));
	assert_int_equal(alias_count(a), 2); /* the old one is forgotten only after a while */
	zdb_remove(db, zdb_zone_apex(z));
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	dname("zone.test.", apex);
	alias_on_zone(a, apex, NULL);

	zdb_reader_unregister(db, r);
	alias_free(a);
	zdb_free(db);
	fake_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolver_setting),
		cmocka_unit_test(test_cache_set_lookup),
		cmocka_unit_test(test_resolve_through_zones),
		cmocka_unit_test(test_zone_pseudo_records),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_refresher),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
