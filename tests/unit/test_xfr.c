/* test_xfr.c -- dns/xfr as the query layer uses it: transfer-allow and notify parsing,
 * AXFR and IXFR answers through query_handle() (one message and many, TCP and UDP), TSIG
 * on requests and on every message of an answer, and the catalog zone. (The journal has
 * test_journal.c.) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libknot/libknot.h>
#include <libknot/tsig-op.h>
#include <libzscanner/scanner.h>

#include "sorted_runs.h"
#include "core/err.h"
#include "dns/query/query.h"
#include "dns/xfr/xfr_internal.h"

/* ---- transfer-allow and notify ---------------------------------------------------------- */

static struct sockaddr_storage addr(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static bool allows(const acl_rule_t *r, size_t n, const char *ip, const char *key)
{
	struct sockaddr_storage ss = addr(ip);
	return acl_allows(r, n, (const struct sockaddr *)&ss, key);
}

static void test_acl(void **state)
{
	acl_rule_t *r = NULL;
	size_t n = 0;
	char err[256];
	assert_int_equal(acl_parse(" 10.0.0.0/8, 192.0.2.1@XFR.Key.Test. ,2001:db8::/32,"
				   "[::1]@k2,0.0.0.0/0@all", &r, &n, err, sizeof(err)), ERR_OK);
	assert_int_equal(n, 5);
	assert_string_equal(r[1].key, "xfr.key.test");
	assert_true(allows(r, n, "10.1.2.3", NULL));
	assert_true(allows(r, n, "10.1.2.3", "any.key"));    /* no key named: signed or not */
	assert_false(allows(r, n, "11.1.2.3", NULL));
	assert_false(allows(r, n, "192.0.2.1", NULL));        /* the key is required */
	assert_true(allows(r, n, "192.0.2.1", "xfr.key.test"));
	assert_false(allows(r, n, "192.0.2.2", "xfr.key.test"));
	assert_true(allows(r, n, "2001:db8:ffff::1", NULL));
	assert_false(allows(r, n, "2001:db9::1", NULL));
	assert_true(allows(r, n, "::1", "k2"));
	assert_false(allows(r, n, "::1", NULL));
	assert_true(allows(r, n, "::ffff:10.9.9.9", NULL));   /* IPv4 on a dual-stack socket */
	assert_true(allows(r, n, "198.51.100.1", "all"));
	assert_false(allows(r, n, "198.51.100.1", "other"));
	free(r);
	assert_int_equal(acl_parse("10.0.0.0/12", &r, &n, err, sizeof(err)), ERR_OK);
	assert_true(allows(r, n, "10.15.255.255", NULL));
	assert_false(allows(r, n, "10.16.0.0", NULL));
	free(r);
	assert_int_equal(acl_parse("", &r, &n, err, sizeof(err)), ERR_OK);
	assert_int_equal(n, 0);
	assert_false(allows(r, n, "127.0.0.1", NULL));       /* empty: nobody */
	free(r);
	static const char *const bad[] = { "10.0.0.0/33", "::/129", "host.example", "10.0.0.1@",
					   "1.2.3.4/x", "/8" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(acl_parse(bad[i], &r, &n, err, sizeof(err)), ERR_INVALID);
		assert_non_null(strstr(err, "transfer-allow"));
	}

	notify_target_t *t = NULL;
	assert_int_equal(targets_parse("127.0.0.1:5301, [::1]:53@key.one", &t, &n, err,
				       sizeof(err)), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].ss.ss_family, AF_INET);
	assert_string_equal(t[0].key, "");
	assert_int_equal(t[1].ss.ss_family, AF_INET6);
	assert_string_equal(t[1].key, "key.one");
	free(t);
	static const char *const bad_t[] = { "127.0.0.1", "::1:53", "127.0.0.1:99999", "x:53" };
	for (size_t i = 0; i < sizeof(bad_t) / sizeof(bad_t[0]); i++) {
		assert_int_equal(targets_parse(bad_t[i], &t, &n, err, sizeof(err)), ERR_INVALID);
	}
}

/* ---- zones ------------------------------------------------------------------------------- */

static zdb_zone_t *zone(uint32_t serial, const char *text, size_t filler)
{
	zdb_builder_t *b = zdb_builder_new("example.com.", serial);
	zdb_builder_set_id(b, 1);
	char head[512];
	snprintf(head, sizeof(head),
		 "@ 3600 SOA ns1.example.com. host.example.com. %u 7200 3600 1209600 300\n"
		 "@ 3600 NS ns1.example.com.\nns1 A 192.0.2.53\n%s", serial, text);
	zs_scanner_t s;
	assert_int_equal(zs_init(&s, "example.com.", KNOT_CLASS_IN, 3600), 0);
	assert_int_equal(zs_set_input_string(&s, head, strlen(head)), 0);
	while (zs_parse_record(&s) == 0 && s.state == ZS_STATE_DATA) {
		char owner[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(owner, s.r_owner, sizeof(owner));
		assert_int_equal(zdb_builder_add(b, owner, s.r_type, s.r_ttl, s.r_data,
						 (uint16_t)s.r_data_length), ERR_OK);
	}
	assert_int_not_equal(s.state, ZS_STATE_ERROR);
	zs_deinit(&s);
	for (size_t i = 0; i < filler; i++) {
		char owner[64];
		uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		snprintf(owner, sizeof(owner), "host%zu.example.com.", i);
		assert_int_equal(zdb_builder_add(b, owner, KNOT_RRTYPE_A, 300, a, 4), ERR_OK);
	}
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	assert_null(err);
	return z;
}

typedef struct fx {
	zdb_t *db;
	xfr_t *x;
	query_conf_t conf;
	query_worker_t *w;
	struct sockaddr_storage client;
	uint8_t in[4096];
	uint8_t out[65535];
	size_t out_size;
} fx_t;

static fx_t F;

static void publish(zdb_zone_t *z)
{
	zdb_publish(F.db, z);
	xfr_on_zone(F.x, zdb_zone_apex(z), z); /* as the loader does, after publishing */
}

static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	F.db = zdb_new();
	xfr_conf_t xc = { .transfer_allow = "127.0.0.1,192.0.2.99@xfr.key.test",
			  .ixfr_history = 10, .region = "global" };
	char err[256];
	if (xfr_new(&F.x, &xc, NULL, F.db, err, sizeof(err)) != ERR_OK) {
		return -1;
	}
	/* one key, as the background thread would publish it from the store */
	keyring_t *k = calloc(1, sizeof(*k) + sizeof(keyring_key_t));
	k->count = 1;
	snprintf(k->keys[0].text, sizeof(k->keys[0].text), "xfr.key.test");
	knot_dname_from_str(k->keys[0].name, "xfr.key.test.", KNOT_DNAME_MAXLEN);
	k->keys[0].algorithm = xfr_tsig_algorithm("hmac-sha256");
	memcpy(k->keys[0].secret, "0123456789abcdef0123456789abcdef", 32);
	k->keys[0].secret_size = 32;
	free(atomic_exchange(&F.x->keys, k));
	F.conf.xfr = F.x;
	F.w = query_worker_new(&F.conf);
	F.client = addr("127.0.0.1");
	publish(zone(1, "www A 192.0.2.1\nold TXT \"gone soon\"\n", 0));
	publish(zone(2, "www A 192.0.2.2\nnew TXT \"hello\"\n", 0));
	*state = &F;
	return 0;
}

static int teardown(void **state)
{
	query_worker_free(F.w);
	xfr_free(F.x);
	zdb_free(F.db);
	return 0;
}

/* ---- messages ------------------------------------------------------------------------------ */

static size_t query(uint16_t type, uint32_t ixfr_serial, uint16_t id)
{
	knot_pkt_t *p = knot_pkt_new(F.in, sizeof(F.in), NULL);
	knot_pkt_clear(p);
	knot_wire_set_id(p->wire, id);
	knot_dname_storage_t name;
	knot_dname_from_str(name, "example.com.", sizeof(name));
	assert_int_equal(knot_pkt_put_question(p, name, KNOT_CLASS_IN, type), KNOT_EOK);
	if (type == KNOT_RRTYPE_IXFR) {
		uint8_t soa[64];
		size_t n = 0;
		soa[n++] = 0;
		soa[n++] = 0; /* mname, rname: the root */
		knot_wire_write_u32(soa + n, ixfr_serial);
		memset(soa + n + 4, 0, 16);
		n += 20;
		knot_rrset_t rr;
		knot_rrset_init(&rr, name, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0);
		assert_int_equal(knot_rrset_add_rdata(&rr, soa, (uint16_t)n, NULL), KNOT_EOK);
		knot_pkt_begin(p, KNOT_AUTHORITY);
		assert_int_equal(knot_pkt_put(p, 0, &rr, 0), KNOT_EOK);
		knot_rdataset_clear(&rr.rrs, NULL); /* the owner is ours */
	}
	size_t size = p->size;
	knot_pkt_free(p);
	return size;
}

/* Sign the query in F.in with the key; returns the new size and the MAC for the answer. */
static size_t sign(size_t size, const char *secret, uint8_t *mac, size_t *mac_size)
{
	knot_tsig_key_t key = { .algorithm = DNSSEC_TSIG_HMAC_SHA256 };
	key.name = knot_dname_from_str_alloc("xfr.key.test.");
	key.secret.data = (uint8_t *)secret;
	key.secret.size = strlen(secret);
	*mac_size = 64;
	assert_int_equal(knot_tsig_sign(F.in, &size, sizeof(F.in), NULL, 0, mac, mac_size, &key,
					0, 0), KNOT_EOK);
	knot_dname_free(key.name, NULL);
	return size;
}

typedef struct answer {
	size_t messages;
	size_t rrs;
	uint16_t rcode;
	char text[1 << 16];   /* "TYPE owner" per RR, the SOAs with their serial */
	size_t len;
	xfr_out_t *more;
} answer_t;

static answer_t A;

static void take(const uint8_t *wire, size_t size)
{
	knot_pkt_t *p = knot_pkt_new((uint8_t *)wire, (uint16_t)size, NULL);
	assert_int_equal(knot_pkt_parse(p, KNOT_PF_KEEPWIRE), KNOT_EOK); /* the TSIG stays */
	A.messages++;
	A.rcode = knot_wire_get_rcode(p->wire);
	const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		char owner[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(owner, rr->owner, sizeof(owner));
		char type[16];
		knot_rrtype_to_string(rr->type, type, sizeof(type));
		if (rr->type == KNOT_RRTYPE_SOA) {
			A.len += (size_t)snprintf(A.text + A.len, sizeof(A.text) - A.len, "SOA %u\n",
						  knot_soa_serial(rr->rrs.rdata));
		} else if (A.len < sizeof(A.text) - 300) {
			A.len += (size_t)snprintf(A.text + A.len, sizeof(A.text) - A.len, "%s %s\n",
						  type, owner);
		}
		A.rrs += rr->rrs.count;
	}
	knot_pkt_free(p);
}

/* The whole answer to F.in[0..size): every message, collected in A. */
static void ask(size_t size, bool is_tcp)
{
	memset(&A, 0, sizeof(A));
	query_src_t src = { .addr = (const struct sockaddr *)&F.client, .is_tcp = is_tcp };
	F.out_size = query_handle(F.w, F.db, &src, F.in, size, F.out, sizeof(F.out));
	assert_true(F.out_size > 0);
	take(F.out, F.out_size);
	A.more = query_worker_take_xfr(F.w);
	assert_true(is_tcp || A.more == NULL);
	size_t n;
	while (A.more != NULL && (n = xfr_out_next(A.more, F.out, sizeof(F.out))) > 0) {
		assert_true(n <= 16384);
		take(F.out, n);
	}
	xfr_out_free(A.more);
}

static void test_axfr(void **state)
{
	ask(query(KNOT_RRTYPE_AXFR, 0, 1), true);
	assert_int_equal(A.rcode, KNOT_RCODE_NOERROR);
	assert_int_equal(A.messages, 1);
	assert_runs_equal(A.text, "SOA 2\nNS example.com.\nTXT new.example.com.\n"
				    "A ns1.example.com.\nA www.example.com.\nSOA 2\n");
	/* over UDP: NOTIMP (RFC 5936 4.2) */
	size_t size = query(KNOT_RRTYPE_AXFR, 0, 2);
	query_src_t src = { .addr = (const struct sockaddr *)&F.client, .is_tcp = false };
	F.out_size = query_handle(F.w, F.db, &src, F.in, size, F.out, sizeof(F.out));
	assert_int_equal(knot_wire_get_rcode(F.out), KNOT_RCODE_NOTIMPL);
	/* a client transfer-allow does not list, a zone we do not serve */
	F.client = addr("127.0.0.2");
	ask(query(KNOT_RRTYPE_AXFR, 0, 3), true);
	assert_int_equal(A.rcode, KNOT_RCODE_REFUSED);
	assert_int_equal(A.rrs, 0);
	F.client = addr("127.0.0.1");
}

static void test_axfr_many_messages(void **state)
{
	publish(zone(3, "www A 192.0.2.2\n", 5000));
	ask(query(KNOT_RRTYPE_AXFR, 0, 4), true);
	assert_int_equal(A.rcode, KNOT_RCODE_NOERROR);
	assert_true(A.messages > 5);
	assert_int_equal(A.rrs, 5000 + 3 + 2); /* the filler, NS, ns1, www, both SOAs */
	assert_int_equal(strncmp(A.text, "SOA 3\n", 6), 0);
	assert_non_null(strstr(A.text + A.len - 7, "SOA 3\n"));
}

static void test_ixfr(void **state)
{
	/* from 1: the difference (old SOA, removed, new SOA, added) between our SOAs */
	ask(query(KNOT_RRTYPE_IXFR, 1, 5), true);
	assert_int_equal(A.rcode, KNOT_RCODE_NOERROR);
	assert_runs_equal(A.text, "SOA 2\nSOA 1\nTXT old.example.com.\nA www.example.com.\n"
				    "SOA 2\nTXT new.example.com.\nA www.example.com.\nSOA 2\n");
	/* the same over UDP, where it fits */
	ask(query(KNOT_RRTYPE_IXFR, 1, 6), false);
	assert_int_equal(A.rrs, 8);
	/* up to date, or ahead: the SOA alone */
	ask(query(KNOT_RRTYPE_IXFR, 2, 7), true);
	assert_runs_equal(A.text, "SOA 2\n");
	ask(query(KNOT_RRTYPE_IXFR, 5, 8), false);
	assert_runs_equal(A.text, "SOA 2\n");
	/* no history from there: the whole zone AXFR-style over TCP, the SOA over UDP */
	ask(query(KNOT_RRTYPE_IXFR, 0xfffffff0u, 9), true);
	assert_runs_equal(A.text, "SOA 2\nNS example.com.\nTXT new.example.com.\n"
				    "A ns1.example.com.\nA www.example.com.\nSOA 2\n");
	ask(query(KNOT_RRTYPE_IXFR, 0xfffffff0u, 10), false);
	assert_runs_equal(A.text, "SOA 2\n");
	/* an IXFR without the client's SOA */
	size_t size = query(KNOT_RRTYPE_IXFR, 0, 11);
	knot_wire_set_nscount(F.in, 0);
	size -= 12 + 2 + 20 + 10 - 2; /* the authority RR: owner pointer, fixed part, rdata */
	ask(size, true);
	assert_int_equal(A.rcode, KNOT_RCODE_FORMERR);
	/* many changes chain into one answer; a big one does not fit UDP: the SOA alone */
	publish(zone(4, "www A 192.0.2.4\n", 300));
	ask(query(KNOT_RRTYPE_IXFR, 1, 12), true);
	assert_int_equal(A.rrs, 1 + 6 + 305 + 1); /* ours, 1->2, 2->4 (300 hosts), ours */
	ask(query(KNOT_RRTYPE_IXFR, 1, 13), false);
	assert_runs_equal(A.text, "SOA 4\n");
}

static void test_tsig(void **state)
{
	const char *secret = "0123456789abcdef0123456789abcdef";
	F.client = addr("192.0.2.99"); /* its rule names the key */
	ask(query(KNOT_RRTYPE_AXFR, 0, 20), true);
	assert_int_equal(A.rcode, KNOT_RCODE_REFUSED); /* unsigned */

	publish(zone(5, "www A 192.0.2.5\n", 3000));
	uint8_t mac[64];
	size_t mac_size;
	size_t size = sign(query(KNOT_RRTYPE_AXFR, 0, 21), secret, mac, &mac_size);
	/* every message verifies, the first with the request's MAC, the next chained */
	memset(&A, 0, sizeof(A));
	query_src_t src = { .addr = (const struct sockaddr *)&F.client, .is_tcp = true };
	F.out_size = query_handle(F.w, F.db, &src, F.in, size, F.out, sizeof(F.out));
	knot_tsig_key_t key = { .algorithm = DNSSEC_TSIG_HMAC_SHA256 };
	key.name = knot_dname_from_str_alloc("xfr.key.test.");
	key.secret.data = (uint8_t *)secret;
	key.secret.size = 32;
	uint8_t prev[64];
	size_t prev_size = mac_size;
	memcpy(prev, mac, mac_size);
	xfr_out_t *more = query_worker_take_xfr(F.w);
	assert_non_null(more);
	size_t n = F.out_size, messages = 0;
	do {
		knot_pkt_t *p = knot_pkt_new(F.out, (uint16_t)n, NULL);
		assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK); /* strips the TSIG RR */
		assert_non_null(p->tsig_rr);
		int ret = messages == 0
				  ? knot_tsig_client_check(p->tsig_rr, p->wire, p->size, prev, prev_size,
							   &key, 0)
				  : knot_tsig_client_check_next(p->tsig_rr, p->wire, p->size, prev,
								prev_size, &key, 0);
		if (ret != KNOT_EOK) {
			fprintf(stderr, "message %zu: %s\n", messages, knot_strerror(ret));
		}
		assert_int_equal(ret, KNOT_EOK);
		prev_size = knot_tsig_rdata_mac_length(p->tsig_rr);
		memcpy(prev, knot_tsig_rdata_mac(p->tsig_rr), prev_size);
		knot_pkt_free(p);
		messages++;
	} while ((n = xfr_out_next(more, F.out, sizeof(F.out))) > 0);
	xfr_out_free(more);
	assert_true(messages > 2);
	knot_dname_free(key.name, NULL);

	/* a wrong secret: NOTAUTH with an unsigned BADSIG */
	size = sign(query(KNOT_RRTYPE_AXFR, 0, 22), "not the secret at all, not at all", mac,
		    &mac_size);
	ask(size, true);
	assert_int_equal(A.rcode, KNOT_RCODE_NOTAUTH);
	knot_pkt_t *p = knot_pkt_new(F.out, (uint16_t)F.out_size, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_int_equal(knot_tsig_rdata_error(p->tsig_rr), KNOT_RCODE_BADSIG);
	assert_int_equal(knot_tsig_rdata_mac_length(p->tsig_rr), 0);
	knot_pkt_free(p);
	/* signed with the right key from 127.0.0.1 (a rule without key): allowed, signed */
	F.client = addr("127.0.0.1");
	size = sign(query(KNOT_RRTYPE_IXFR, 2, 23), secret, mac, &mac_size);
	ask(size, true);
	assert_int_equal(A.rcode, KNOT_RCODE_NOERROR);
	assert_int_equal(strncmp(A.text, "SOA 5\nSOA 2\n", 12), 0);
}

/* ---- the catalog zone ---------------------------------------------------------------------- */

static void test_catalog(void **state)
{
	knot_dname_t *cat = knot_dname_from_str_alloc("catalog.invalid.");
	knot_dname_t *m1 = knot_dname_from_str_alloc("example.com.");
	knot_dname_t *m2 = knot_dname_from_str_alloc("example.net.");
	const knot_dname_t *members[] = { m1, m2 };
	zdb_zone_t *z = catalog_build(cat, members, 2, 77);
	assert_non_null(z);
	assert_int_equal(zdb_zone_serial(z), 77);
	char label[41];
	catalog_member_label(m1, label);
	assert_int_equal(strlen(label), 40);
	char other[41];
	catalog_member_label(m2, other);
	assert_string_not_equal(label, other);
	char owner[128];
	snprintf(owner, sizeof(owner), "%s.zones.catalog.invalid.", label);
	knot_dname_t *o = knot_dname_from_str_alloc(owner);
	const zdb_node_t *n = zdb_zone_get(z, o);
	assert_non_null(n);
	const knot_rrset_t *ptr = zdb_node_rrset(n, KNOT_RRTYPE_PTR);
	assert_non_null(ptr);
	assert_true(knot_dname_is_equal(ptr->rrs.rdata->data, m1));
	knot_dname_t *v = knot_dname_from_str_alloc("version.catalog.invalid.");
	n = zdb_zone_get(z, v);
	assert_non_null(n);
	const knot_rrset_t *txt = zdb_node_rrset(n, KNOT_RRTYPE_TXT);
	assert_memory_equal(txt->rrs.rdata->data, "\0012", 2);
	assert_non_null(zdb_node_rrset(zdb_zone_apex_node(z), KNOT_RRTYPE_NS));
	assert_int_equal(zdb_zone_soa(z)->ttl, 0);
	zdb_zone_free(z);
	knot_dname_free(o, NULL);
	knot_dname_free(v, NULL);
	knot_dname_free(cat, NULL);
	knot_dname_free(m1, NULL);
	knot_dname_free(m2, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl),
		cmocka_unit_test_setup_teardown(test_axfr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_axfr_many_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsig, setup, teardown),
		cmocka_unit_test(test_catalog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
