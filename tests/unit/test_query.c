/* test_query.c -- dns/query: whole messages through query_handle() against zones built with
 * zdb_builder_*, checking sections, flags and RCODEs for every rule the server follows. */
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

#include "core/err.h"
#include "dns/alias/alias.h"
#include "dns/query/query.h"
#include "dns/zonedb/zonedb.h"

/* ---- zones ------------------------------------------------------------------------------ */

typedef struct rr_row {
	const char *owner;
	const char *type;
	uint32_t ttl;
	const char *rdata; /* presentation form, for the few types encode() knows */
} rr_row_t;

#define LONG63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TXT50 "01234567890123456789012345678901234567890123456789"

static const rr_row_t example_com[] = {
	{ "example.com.", "SOA", 3600,
	  "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300" },
	{ "example.com.", "NS", 3600, "ns1.example.com." },
	{ "example.com.", "NS", 3600, "ns2.example.com." },
	{ "example.com.", "MX", 3600, "10 mail.example.com." },
	{ "example.com.", "A", 3600, "192.0.2.1" },
	{ "ns1.example.com.", "A", 3600, "192.0.2.53" },
	{ "ns1.example.com.", "AAAA", 3600, "2001:db8::53" },
	{ "ns2.example.com.", "A", 3600, "192.0.2.54" },
	{ "mail.example.com.", "A", 3600, "192.0.2.25" },
	{ "mail.example.com.", "AAAA", 3600, "2001:db8::25" },
	{ "www.example.com.", "A", 300, "192.0.2.80" },
	{ "www.example.com.", "AAAA", 300, "2001:db8::80" },
	{ "deep.ent.example.com.", "A", 3600, "192.0.2.2" },
	{ "alias.example.com.", "CNAME", 3600, "www.example.com." },
	{ "chain1.example.com.", "CNAME", 3600, "chain2.example.com." },
	{ "chain2.example.com.", "CNAME", 3600, "WWW.Example.COM." },
	{ "loop1.example.com.", "CNAME", 3600, "loop2.example.com." },
	{ "loop2.example.com.", "CNAME", 3600, "loop1.example.com." },
	{ "dangling.example.com.", "CNAME", 3600, "nothere.example.com." },
	{ "ext.example.com.", "CNAME", 3600, "www.example.net." },
	{ "ext-nx.example.com.", "CNAME", 3600, "nothere.example.net." },
	{ "ext-cut.example.com.", "CNAME", 3600, "www.cut.example.net." },
	{ "outside.example.com.", "CNAME", 3600, "www.elsewhere.org." },
	{ "to-deleg.example.com.", "CNAME", 3600, "host.deleg.example.com." },
	{ "to-sub.example.com.", "CNAME", 3600, "host.sub.example.com." },
	{ "to-subapex.example.com.", "CNAME", 3600, "sub.example.com." },
	{ "*.wild.example.com.", "A", 3600, "192.0.2.99" },
	{ "*.wild.example.com.", "TXT", 3600, "wild" },
	{ "exists.wild.example.com.", "TXT", 3600, "exists" },
	{ "*.wild2.example.com.", "A", 3600, "192.0.2.98" },
	{ "x.y.wild2.example.com.", "A", 3600, "192.0.2.97" },
	{ "*.cnwild.example.com.", "CNAME", 3600, "www.example.com." },
	{ "dn.example.com.", "DNAME", 1800, "example.net." },
	{ "long.example.com.", "DNAME", 3600, LONG63 "." LONG63 "." LONG63 ".example.net." },
	{ "_sip._tcp.example.com.", "SRV", 3600, "0 5 5060 sip.example.com." },
	{ "sip.example.com.", "A", 3600, "192.0.2.60" },
	{ "multi.example.com.", "A", 3600, "192.0.2.70" },
	{ "multi.example.com.", "MX", 3600, "5 mail.example.com." },
	{ "multi.example.com.", "TXT", 3600, "multi" },
	{ "hinfo.example.com.", "HINFO", 3600, "cpu os" },
	/* a delegation we do not serve, with in-domain and out-of-zone name servers */
	{ "deleg.example.com.", "NS", 3600, "ns1.deleg.example.com." },
	{ "deleg.example.com.", "NS", 3600, "ns.example.net." },
	{ "deleg.example.com.", "DS", 3600, "12345 13 2 "
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
	{ "ns1.deleg.example.com.", "A", 3600, "192.0.2.210" },
	{ "ns1.deleg.example.com.", "AAAA", 3600, "2001:db8::210" },
	/* a delegation to a zone we serve too */
	{ "sub.example.com.", "NS", 3600, "ns1.sub.example.com." },
	{ "sub.example.com.", "DS", 3600, "54321 13 2 "
	  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" },
	{ "ns1.sub.example.com.", "A", 3600, "192.0.2.200" },
	/* two MX targets one wildcard covers; a wildcard CNAME that meets itself */
	{ "mx2.example.com.", "MX", 3600, "10 a.wild.example.com." },
	{ "mx2.example.com.", "MX", 3600, "20 b.wild.example.com." },
	{ "*.cnloop.example.com.", "CNAME", 3600, "x.cnloop.example.com." },
	/* an MX whose first target's A RRset cannot fit 512 bytes, the second's can */
	{ "mxbig.example.com.", "MX", 3600, "10 fat.example.com." },
	{ "mxbig.example.com.", "MX", 3600, "20 small.example.com." },
	{ "fat.example.com.", "A", 3600, "198.18.0.1" },
	{ "fat.example.com.", "A", 3600, "198.18.0.2" },
	{ "fat.example.com.", "A", 3600, "198.18.0.3" },
	{ "fat.example.com.", "A", 3600, "198.18.0.4" },
	{ "fat.example.com.", "A", 3600, "198.18.0.5" },
	{ "fat.example.com.", "A", 3600, "198.18.0.6" },
	{ "fat.example.com.", "A", 3600, "198.18.0.7" },
	{ "fat.example.com.", "A", 3600, "198.18.0.8" },
	{ "fat.example.com.", "A", 3600, "198.18.0.9" },
	{ "fat.example.com.", "A", 3600, "198.18.0.10" },
	{ "fat.example.com.", "A", 3600, "198.18.0.11" },
	{ "fat.example.com.", "A", 3600, "198.18.0.12" },
	{ "fat.example.com.", "A", 3600, "198.18.0.13" },
	{ "fat.example.com.", "A", 3600, "198.18.0.14" },
	{ "fat.example.com.", "A", 3600, "198.18.0.15" },
	{ "fat.example.com.", "A", 3600, "198.18.0.16" },
	{ "fat.example.com.", "A", 3600, "198.18.0.17" },
	{ "fat.example.com.", "A", 3600, "198.18.0.18" },
	{ "fat.example.com.", "A", 3600, "198.18.0.19" },
	{ "fat.example.com.", "A", 3600, "198.18.0.20" },
	{ "fat.example.com.", "A", 3600, "198.18.0.21" },
	{ "fat.example.com.", "A", 3600, "198.18.0.22" },
	{ "fat.example.com.", "A", 3600, "198.18.0.23" },
	{ "fat.example.com.", "A", 3600, "198.18.0.24" },
	{ "fat.example.com.", "A", 3600, "198.18.0.25" },
	{ "fat.example.com.", "A", 3600, "198.18.0.26" },
	{ "fat.example.com.", "A", 3600, "198.18.0.27" },
	{ "fat.example.com.", "A", 3600, "198.18.0.28" },
	{ "fat.example.com.", "A", 3600, "198.18.0.29" },
	{ "fat.example.com.", "A", 3600, "198.18.0.30" },
	{ "fat.example.com.", "A", 3600, "198.18.0.31" },
	{ "fat.example.com.", "A", 3600, "198.18.0.32" },
	{ "fat.example.com.", "A", 3600, "198.18.0.33" },
	{ "fat.example.com.", "A", 3600, "198.18.0.34" },
	{ "fat.example.com.", "A", 3600, "198.18.0.35" },
	{ "fat.example.com.", "A", 3600, "198.18.0.36" },
	{ "fat.example.com.", "A", 3600, "198.18.0.37" },
	{ "fat.example.com.", "A", 3600, "198.18.0.38" },
	{ "fat.example.com.", "A", 3600, "198.18.0.39" },
	{ "fat.example.com.", "A", 3600, "198.18.0.40" },
	{ "fat.example.com.", "AAAA", 3600, "2001:db8::fa7" },
	{ "small.example.com.", "A", 3600, "198.18.1.1" },
	/* RRsets that do not fit into 512 bytes */
	{ "medium.example.com.", "TXT", 3600, TXT50 " " TXT50 " " TXT50 " " TXT50 },
	{ "medium.example.com.", "TXT", 3600, TXT50 " " TXT50 " " TXT50 " " TXT50 " x" },
	{ "medium.example.com.", "TXT", 3600, TXT50 " " TXT50 " " TXT50 " " TXT50 " y" },
	{ NULL, NULL, 0, NULL },
};

static const rr_row_t example_net[] = {
	{ "example.net.", "SOA", 60, "ns.example.net. admin.example.net. 7 3600 600 86400 300" },
	{ "example.net.", "NS", 60, "ns.example.net." },
	{ "ns.example.net.", "A", 60, "198.51.100.53" },
	{ "www.example.net.", "A", 60, "198.51.100.80" },
	{ "x.example.net.", "A", 60, "198.51.100.1" },
	{ "cut.example.net.", "NS", 60, "ns.example.org." },
	{ NULL, NULL, 0, NULL },
};

static const rr_row_t sub_example_com[] = {
	{ "sub.example.com.", "SOA", 3600, "ns1.sub.example.com. h.sub.example.com. 1 2 3 4 5" },
	{ "sub.example.com.", "NS", 3600, "ns1.sub.example.com." },
	{ "ns1.sub.example.com.", "A", 3600, "192.0.2.200" },
	{ "host.sub.example.com.", "A", 3600, "192.0.2.201" },
	{ NULL, NULL, 0, NULL },
};

/* ALIAS, URL and POOL (issue 5): pseudo-records beside real ones. */
static const rr_row_t pseudo_test[] = {
	{ "pseudo.test.", "SOA", 3600, "ns.pseudo.test. h.pseudo.test. 1 2 3 4 300" },
	{ "pseudo.test.", "NS", 3600, "ns.example.net." },
	{ "pseudo.test.", "MX", 3600, "10 mail.example.com." },
	{ "pseudo.test.", "ALIAS", 60, "www.example.com" },           /* internal, TTL 60 < 300 */
	{ "ext.pseudo.test.", "ALIAS", 600, "target.external.org" },  /* external */
	{ "both.pseudo.test.", "A", 3600, "192.0.2.7" },               /* A wins, AAAA aliased */
	{ "both.pseudo.test.", "ALIAS", 3600, "www.example.com." },
	{ "chain.pseudo.test.", "ALIAS", 3600, "chain1.example.com" }, /* CNAMEs in our zones */
	{ "loop.pseudo.test.", "ALIAS", 3600, "loop1.example.com" },
	{ "nx.pseudo.test.", "ALIAS", 3600, "nothere.example.com" },
	{ "deleg.pseudo.test.", "ALIAS", 3600, "host.deleg.example.com" }, /* below a cut */
	{ "outward.pseudo.test.", "ALIAS", 3600, "outside.example.com" },  /* CNAME out */
	{ "to-url.pseudo.test.", "ALIAS", 3600, "url.pseudo.test" },
	{ "*.wild.pseudo.test.", "ALIAS", 3600, "www.example.com" },
	{ "url.pseudo.test.", "URL", 1800, "https://example.com/landing" },
	{ "url.pseudo.test.", "URL", 900, "https://example.com/other" },   /* TTL: the lowest */
	{ "url.pseudo.test.", "TXT", 3600, "hello" },
	{ "urla.pseudo.test.", "URL", 900, "example.com" },
	{ "urla.pseudo.test.", "A", 3600, "192.0.2.9" },                 /* A wins */
	{ "pool.pseudo.test.", "POOL", 120, "m1.pseudo.test" },
	{ "pool.pseudo.test.", "POOL", 120, "m2.pseudo.test" },
	{ "pool.pseudo.test.", "POOL", 120, "M3.Pseudo.Test." },
	{ "pool.pseudo.test.", "TXT", 3600, "pool" },
	{ "m1.pseudo.test.", "A", 3600, "192.0.2.31" },
	{ "m2.pseudo.test.", "A", 3600, "192.0.2.32" },
	{ "m3.pseudo.test.", "A", 3600, "192.0.2.33" },
	{ "extpool.pseudo.test.", "POOL", 120, "www.example.com" },
	{ "extpool.pseudo.test.", "POOL", 120, "www.elsewhere.org" },
	{ "to-pool.pseudo.test.", "CNAME", 60, "pool.pseudo.test." },
	{ "to-apex.pseudo.test.", "CNAME", 3600, "pseudo.test." },
	{ NULL, NULL, 0, NULL },
};

static size_t encode_name(uint8_t *p, const char *name)
{
	assert_non_null(knot_dname_from_str(p, name, KNOT_DNAME_MAXLEN));
	return knot_dname_size(p);
}

static size_t encode_u16(uint8_t *p, const char *v)
{
	knot_wire_write_u16(p, (uint16_t)strtoul(v, NULL, 10));
	return 2;
}

/* Wire rdata of `text` for the types the test zones use. */
static uint16_t encode(uint16_t type, const char *text, uint8_t *rd)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", text);
	char *tok[16] = { 0 };
	int n = 0;
	for (char *t = strtok_r(buf, " ", &save); t != NULL && n < 16;
	     t = strtok_r(NULL, " ", &save)) {
		tok[n++] = t;
	}
	size_t size = 0;
	switch (type) {
	case KNOT_RRTYPE_A:
		assert_int_equal(inet_pton(AF_INET, tok[0], rd), 1);
		return 4;
	case KNOT_RRTYPE_AAAA:
		assert_int_equal(inet_pton(AF_INET6, tok[0], rd), 1);
		return 16;
	case KNOT_RRTYPE_NS:
	case KNOT_RRTYPE_CNAME:
	case KNOT_RRTYPE_DNAME:
		return (uint16_t)encode_name(rd, tok[0]);
	case KNOT_RRTYPE_MX:
		size = encode_u16(rd, tok[0]);
		return (uint16_t)(size + encode_name(rd + size, tok[1]));
	case KNOT_RRTYPE_SRV:
		for (int i = 0; i < 3; i++) {
			size += encode_u16(rd + size, tok[i]);
		}
		return (uint16_t)(size + encode_name(rd + size, tok[3]));
	case KNOT_RRTYPE_TXT:
	case KNOT_RRTYPE_HINFO:
		for (int i = 0; i < n; i++) {
			size_t len = strlen(tok[i]);
			rd[size] = (uint8_t)len;
			memcpy(rd + size + 1, tok[i], len);
			size += len + 1;
		}
		return (uint16_t)size;
	case KNOT_RRTYPE_SOA:
		size = encode_name(rd, tok[0]);
		size += encode_name(rd + size, tok[1]);
		for (int i = 2; i < 7; i++) {
			knot_wire_write_u32(rd + size, (uint32_t)strtoul(tok[i], NULL, 10));
			size += 4;
		}
		return (uint16_t)size;
	case KNOT_RRTYPE_DS:
		size = encode_u16(rd, tok[0]);
		rd[size++] = (uint8_t)atoi(tok[1]);
		rd[size++] = (uint8_t)atoi(tok[2]);
		for (const char *h = tok[3]; h[0] != '\0' && h[1] != '\0'; h += 2) {
			unsigned byte = 0;
			sscanf(h, "%2x", &byte);
			rd[size++] = (uint8_t)byte;
		}
		return (uint16_t)size;
	default:
		fail_msg("encode: type %u", type);
		return 0;
	}
}

static void add_rr(zdb_builder_t *b, const char *owner, const char *type, uint32_t ttl,
		   const char *text)
{
	uint16_t code = 0;
	assert_int_equal(knot_rrtype_from_string(type, &code), 0);
	uint8_t rd[1024];
	uint16_t size = encode(code, text, rd);
	assert_int_equal(zdb_builder_add(b, owner, code, ttl, rd, size), ERR_OK);
}

/* Like zone_rows(), with ALIAS, URL and POOL rows as pseudo-records. */
static zdb_builder_t *zone_pseudo_rows(const char *apex, const rr_row_t *rows)
{
	zdb_builder_t *b = zdb_builder_new(apex, 1);
	assert_non_null(b);
	static const struct { const char *name; uint16_t code; } pseudo[] = {
		{ "ALIAS", ZDB_TYPE_ALIAS }, { "URL", ZDB_TYPE_URL }, { "POOL", ZDB_TYPE_POOL },
	};
	for (const rr_row_t *r = rows; r->owner != NULL; r++) {
		bool is_pseudo = false;
		for (size_t i = 0; i < 3; i++) {
			if (strcmp(r->type, pseudo[i].name) == 0) {
				assert_int_equal(zdb_builder_add_pseudo(b, r->owner, pseudo[i].code,
									r->ttl, r->rdata), ERR_OK);
				is_pseudo = true;
			}
		}
		if (!is_pseudo) {
			add_rr(b, r->owner, r->type, r->ttl, r->rdata);
		}
	}
	return b;
}

static zdb_builder_t *zone_rows(const char *apex, const rr_row_t *rows)
{
	zdb_builder_t *b = zdb_builder_new(apex, 1);
	assert_non_null(b);
	for (const rr_row_t *r = rows; r->owner != NULL; r++) {
		add_rr(b, r->owner, r->type, r->ttl, r->rdata);
	}
	return b;
}

static void publish(zdb_t *db, zdb_builder_t *b)
{
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	if (z == NULL) {
		fail_msg("zone not built: %s", err);
	}
	zdb_publish(db, z);
}

/* ---- the fixture -------------------------------------------------------------------------- */

static const uint8_t nsid[] = "ns-test-1";

static struct {
	zdb_t *db;
	alias_t *alias;
	query_conf_t conf;
	query_worker_t *w;
	struct sockaddr_in client;
	uint8_t in[65535];
	uint8_t out[65535];
	size_t out_size;
	knot_pkt_t *resp;
} F;

static int group_setup(void **state)
{
	F.db = zdb_new();
	zdb_builder_t *b = zone_rows("example.com", example_com);
	/* 12 in-domain name servers with glue: a referral that needs EDNS to fit */
	for (int i = 1; i <= 12; i++) {
		char ns[64];
		snprintf(ns, sizeof(ns), "ns%02d.fat.example.com.", i);
		add_rr(b, "fat.example.com.", "NS", 3600, ns);
		add_rr(b, ns, "A", 3600, "192.0.2.240");
		add_rr(b, ns, "AAAA", 3600, "2001:db8::240");
	}
	/* a CNAME chain longer than the loop guard */
	for (int i = 0; i < 20; i++) {
		char owner[64], target[64];
		snprintf(owner, sizeof(owner), "c%d.example.com.", i);
		snprintf(target, sizeof(target), "c%d.example.com.", i + 1);
		add_rr(b, owner, "CNAME", 3600, target);
	}
	add_rr(b, "c20.example.com.", "A", 3600, "192.0.2.20");
	/* more TXT than 1232 bytes */
	for (int i = 0; i < 30; i++) {
		char text[64];
		snprintf(text, sizeof(text), "%02d" TXT50, i);
		add_rr(b, "big.example.com.", "TXT", 3600, text);
	}
	publish(F.db, b);
	publish(F.db, zone_rows("example.net", example_net));
	publish(F.db, zone_rows("sub.example.com", sub_example_com));
	publish(F.db, zone_pseudo_rows("pseudo.test", pseudo_test));
	char err[128];
	alias_conf_t ac = { .redirect = "192.0.2.100, 2001:db8::100" };
	assert_int_equal(alias_new(&F.alias, &ac, F.db, err, sizeof(err)), ERR_OK);
	F.conf = (query_conf_t){
		.nsid = nsid, .nsid_size = sizeof(nsid) - 1,
		.identity = "ns1.test", .version = "nameplate-test",
		.udp_max_payload = 1232,
		.cookie_secret = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
		.alias = F.alias,
	};
	F.w = query_worker_new(&F.conf);
	F.client.sin_family = AF_INET;
	F.client.sin_port = htons(5353);
	inet_pton(AF_INET, "192.0.2.10", &F.client.sin_addr);
	return 0;
}

static int group_teardown(void **state)
{
	knot_pkt_free(F.resp);
	F.resp = NULL;
	query_worker_free(F.w);
	alias_free(F.alias);
	zdb_free(F.db);
	return 0;
}

/* ---- queries ------------------------------------------------------------------------------ */

typedef struct q {
	const char *name;
	uint16_t type;
	uint16_t qclass;       /* 0: IN */
	uint8_t opcode;
	bool is_tcp;
	bool has_edns;
	uint16_t payload;      /* 0: 4096 */
	uint8_t version;
	bool do_bit;
	bool nsid;
	uint16_t opt_code;     /* one more option, if opt_data */
	const uint8_t *opt_data;
	uint16_t opt_len;
	bool rd, cd;
} q_t;

/* The wire form of q into F.in; returns its size. */
static size_t build(const q_t *q)
{
	knot_pkt_t *p = knot_pkt_new(F.in, sizeof(F.in), NULL);
	assert_non_null(p);
	knot_pkt_clear(p);
	knot_wire_set_id(p->wire, 0xbeef);
	knot_dname_storage_t name;
	assert_non_null(knot_dname_from_str(name, q->name, sizeof(name)));
	assert_int_equal(knot_pkt_put_question(p, name, q->qclass ? q->qclass : KNOT_CLASS_IN,
					       q->type), KNOT_EOK);
	knot_wire_set_opcode(p->wire, q->opcode);
	if (q->rd) {
		knot_wire_set_rd(p->wire);
	}
	if (q->cd) {
		knot_wire_set_cd(p->wire);
	}
	if (q->has_edns) {
		knot_rrset_t opt;
		assert_int_equal(knot_edns_init(&opt, q->payload ? q->payload : 4096, 0, q->version,
						NULL), KNOT_EOK);
		if (q->do_bit) {
			knot_edns_set_do(&opt);
		}
		uint8_t empty = 0;
		if (q->nsid) {
			uint16_t code = KNOT_EDNS_OPTION_NSID;
			assert_int_equal(knot_edns_add_option(&opt, code, 0, &empty, NULL), 0);
		}
		if (q->opt_data != NULL) {
			assert_int_equal(knot_edns_add_option(&opt, q->opt_code, q->opt_len,
							      q->opt_data, NULL), KNOT_EOK);
		}
		knot_pkt_begin(p, KNOT_ADDITIONAL);
		assert_int_equal(knot_pkt_put(p, 0, &opt, 0), KNOT_EOK);
		knot_rrset_clear(&opt, NULL);
	}
	size_t size = p->size;
	knot_pkt_free(p);
	return size;
}

/* Send F.in[0..size) and parse the answer into F.resp (NULL when there is none). */
static knot_pkt_t *send_raw(size_t size, bool is_tcp)
{
	knot_pkt_free(F.resp);
	F.resp = NULL;
	query_src_t src = { .addr = (const struct sockaddr *)&F.client, .is_tcp = is_tcp };
	static uint8_t copy[sizeof(F.in)];
	memcpy(copy, F.in, size);
	F.out_size = query_handle(F.w, F.db, &src, F.in, size, F.out, sizeof(F.out));
	assert_memory_equal(copy, F.in, size); /* the query is read, never written */
	if (F.out_size == 0) {
		return NULL;
	}
	F.resp = knot_pkt_new(F.out, (uint16_t)F.out_size, NULL);
	assert_non_null(F.resp);
	/* NOCANON keeps the owners' case as sent */
	assert_int_equal(knot_pkt_parse(F.resp, KNOT_PF_NOCANON), KNOT_EOK);
	return F.resp;
}

static knot_pkt_t *ask(const q_t *q)
{
	knot_pkt_t *r = send_raw(build(q), q->is_tcp);
	assert_non_null(r);
	assert_true(knot_wire_get_qr(r->wire));
	assert_int_equal(knot_wire_get_id(r->wire), 0xbeef);
	return r;
}

/* ---- checks ------------------------------------------------------------------------------- */

static uint16_t rcode(const knot_pkt_t *r)
{
	return knot_pkt_ext_rcode(r);
}

/* RRs in a section, the OPT and TSIG RRs not counted. */
static uint16_t count(const knot_pkt_t *r, knot_section_t s)
{
	const knot_pktsection_t *sec = knot_pkt_section(r, s);
	uint16_t n = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		uint16_t type = knot_pkt_rr(sec, i)->type;
		n += type != KNOT_RRTYPE_OPT && type != KNOT_RRTYPE_TSIG;
	}
	return n;
}

static void expect(const knot_pkt_t *r, uint16_t want_rcode, bool aa, uint16_t an, uint16_t ns,
		   uint16_t ar)
{
	assert_int_equal(rcode(r), want_rcode);
	assert_int_equal(knot_wire_get_aa(r->wire) != 0, aa);
	assert_int_equal(count(r, KNOT_ANSWER), an);
	assert_int_equal(count(r, KNOT_AUTHORITY), ns);
	assert_int_equal(count(r, KNOT_ADDITIONAL), ar);
}

static bool same_name(const knot_dname_t *d, const char *name)
{
	knot_dname_storage_t want;
	assert_non_null(knot_dname_from_str(want, name, sizeof(want)));
	return knot_dname_is_case_equal(d, want);
}

/* The i-th RR of a section must have this owner and type. */
static const knot_rrset_t *rr_at(const knot_pkt_t *r, knot_section_t s, uint16_t i,
				 const char *owner, uint16_t type)
{
	const knot_pktsection_t *sec = knot_pkt_section(r, s);
	assert_true(i < sec->count);
	const knot_rrset_t *rr = knot_pkt_rr(sec, i);
	if (!same_name(rr->owner, owner) || rr->type != type) {
		char *got = knot_dname_to_str_alloc(rr->owner);
		fail_msg("section %d RR %u: %s type %u, want %s type %u", s, i, got, rr->type,
			 owner, type);
	}
	return rr;
}

/* The number of RRs of this owner and type in a section. */
static unsigned has_rr(const knot_pkt_t *r, knot_section_t s, const char *owner, uint16_t type)
{
	const knot_pktsection_t *sec = knot_pkt_section(r, s);
	unsigned n = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		n += rr->type == type && same_name(rr->owner, owner);
	}
	return n;
}

static void expect_a(const knot_rrset_t *rr, const char *addr)
{
	uint8_t want[4];
	assert_int_equal(inet_pton(AF_INET, addr, want), 1);
	assert_int_equal(rr->rrs.rdata->len, 4);
	assert_memory_equal(rr->rrs.rdata->data, want, 4);
}

static void expect_target(const knot_rrset_t *rr, const char *name)
{
	assert_true(same_name(knot_cname_name(rr->rrs.rdata), name));
}

/* The negative-answer SOA of zone apex, with this TTL (RFC 2308 3). */
static void expect_soa(const knot_pkt_t *r, const char *apex, uint32_t ttl)
{
	const knot_rrset_t *soa = rr_at(r, KNOT_AUTHORITY, 0, apex, KNOT_RRTYPE_SOA);
	assert_int_equal(soa->ttl, ttl);
}

/* ---- RFC 1034 4.3.2: exact matches, NODATA, NXDOMAIN, REFUSED ---------------------------- */

static void test_exact_match(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "www.example.com.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.80");
	assert_int_equal(a->ttl, 300);
	assert_null(r->opt_rr); /* no EDNS asked, none given */
}

static void test_header_flags_copied(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A, .rd = true,
				    .cd = true });
	assert_true(knot_wire_get_rd(r->wire));
	assert_true(knot_wire_get_cd(r->wire)); /* RFC 4035 3.1.6 */
	assert_false(knot_wire_get_ra(r->wire));
	assert_false(knot_wire_get_tc(r->wire));
	assert_false(knot_wire_get_ad(r->wire));
	assert_int_equal(knot_wire_get_qdcount(r->wire), 1);
}

static void test_case_preserved(void **state)
{
	const char *name = "WwW.ExAmPlE.CoM.";
	knot_pkt_t *r = ask(&(q_t){ .name = name, .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	/* the question comes back byte for byte */
	size_t qsize = KNOT_WIRE_HEADER_SIZE + knot_dname_size(F.in + 12) + 4;
	assert_memory_equal(F.out + 12, F.in + 12, qsize - 12);
	/* the answer's owner is a pointer to it */
	assert_int_equal(F.out[qsize], 0xc0);
	assert_int_equal(F.out[qsize + 1], 12);
	assert_true(knot_dname_is_equal(knot_pkt_rr(knot_pkt_section(r, KNOT_ANSWER), 0)->owner,
					knot_pkt_wire_qname(r)));
}

static void test_nodata(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_TXT });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	expect_soa(r, "example.com.", 300); /* min(3600, MINIMUM 300) */
}

static void test_nxdomain(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "nope.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 0, 1, 0);
	expect_soa(r, "example.com.", 300);
}

static void test_negative_ttl_is_soa_ttl_when_lower(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "nope.example.net.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 0, 1, 0);
	expect_soa(r, "example.net.", 60); /* min(60, MINIMUM 300) */
}

static void test_empty_non_terminal(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "ent.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	expect_soa(r, "example.com.", 300);
	r = ask(&(q_t){ .name = "x.ent.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 0, 1, 0);
}

static void test_not_our_zone(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.org.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	r = ask(&(q_t){ .name = ".", .type = KNOT_RRTYPE_NS });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
}

static void test_apex_and_longest_zone(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "sub.example.com.", .type = KNOT_RRTYPE_SOA });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0); /* from the child zone, not a referral */
	r = ask(&(q_t){ .name = "host.sub.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_a(rr_at(r, KNOT_ANSWER, 0, "host.sub.example.com.", KNOT_RRTYPE_A), "192.0.2.201");
}

static void test_class_any_and_unknown(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
				    .qclass = KNOT_CLASS_ANY });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A, .qclass = 4 /* HS */ });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
			.qclass = KNOT_CLASS_NONE });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
}

/* ---- CNAME -------------------------------------------------------------------------------- */

static void test_cname(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "Alias.Example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	expect_target(rr_at(r, KNOT_ANSWER, 0, "alias.example.com.", KNOT_RRTYPE_CNAME),
		      "www.example.com.");
	expect_a(rr_at(r, KNOT_ANSWER, 1, "www.example.com.", KNOT_RRTYPE_A), "192.0.2.80");
	/* the CNAME owner is the question's name, in its case */
	const knot_rrset_t *cname = knot_pkt_rr(knot_pkt_section(r, KNOT_ANSWER), 0);
	assert_true(knot_dname_is_equal(cname->owner, knot_pkt_wire_qname(r)));
}

static void test_cname_query_for_cname(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "alias.example.com.", .type = KNOT_RRTYPE_CNAME });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "alias.example.com.", KNOT_RRTYPE_CNAME);
}

static void test_cname_chain(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "chain1.example.com.", .type = KNOT_RRTYPE_AAAA });
	expect(r, KNOT_RCODE_NOERROR, true, 3, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "chain1.example.com.", KNOT_RRTYPE_CNAME);
	rr_at(r, KNOT_ANSWER, 1, "chain2.example.com.", KNOT_RRTYPE_CNAME);
	rr_at(r, KNOT_ANSWER, 2, "www.example.com.", KNOT_RRTYPE_AAAA);
	/* NODATA at the end of a chain: the SOA */
	r = ask(&(q_t){ .name = "chain1.example.com.", .type = KNOT_RRTYPE_MX });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 1, 0);
	expect_soa(r, "example.com.", 300);
}

static void test_cname_loop(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "loop1.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "loop1.example.com.", KNOT_RRTYPE_CNAME);
	rr_at(r, KNOT_ANSWER, 1, "loop2.example.com.", KNOT_RRTYPE_CNAME);
}

/* A chain through one wildcard CNAME twice: a.cnloop -> x.cnloop (the wildcard's
 * expansion), x.cnloop -> x.cnloop (the same RR under another owner), then a loop. */
static void test_cname_wildcard_twice(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "a.cnloop.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "a.cnloop.example.com.", KNOT_RRTYPE_CNAME);
	rr_at(r, KNOT_ANSWER, 1, "x.cnloop.example.com.", KNOT_RRTYPE_CNAME);
}

static void test_cname_chain_guard(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "c0.example.com.", .type = KNOT_RRTYPE_A,
				    .is_tcp = true });
	expect(r, KNOT_RCODE_NOERROR, true, 17, 0, 0); /* the first CNAME and 16 more */
	rr_at(r, KNOT_ANSWER, 16, "c16.example.com.", KNOT_RRTYPE_CNAME);
	r = ask(&(q_t){ .name = "c5.example.com.", .type = KNOT_RRTYPE_A, .is_tcp = true });
	expect(r, KNOT_RCODE_NOERROR, true, 16, 0, 0); /* 15 CNAMEs and the A */
	rr_at(r, KNOT_ANSWER, 15, "c20.example.com.", KNOT_RRTYPE_A);
}

static void test_cname_to_nxdomain(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "dangling.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 1, 1, 0); /* RFC 6604: the last name decides */
	rr_at(r, KNOT_ANSWER, 0, "dangling.example.com.", KNOT_RRTYPE_CNAME);
	expect_soa(r, "example.com.", 300);
}

static void test_cname_out_of_our_zones(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "outside.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "outside.example.com.", KNOT_RRTYPE_CNAME);
}

static void test_cname_into_other_zone(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "ext.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "ext.example.com.", KNOT_RRTYPE_CNAME);
	expect_a(rr_at(r, KNOT_ANSWER, 1, "www.example.net.", KNOT_RRTYPE_A), "198.51.100.80");
	/* the last name decides the RCODE and authority (RFC 6604 2.1), the first AA */
	r = ask(&(q_t){ .name = "ext-nx.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 1, 1, 0);
	rr_at(r, KNOT_ANSWER, 0, "ext-nx.example.com.", KNOT_RRTYPE_CNAME);
	expect_soa(r, "example.net.", 60);
	r = ask(&(q_t){ .name = "ext.example.com.", .type = KNOT_RRTYPE_TXT });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 1, 0);
	expect_soa(r, "example.net.", 60);
	/* below a cut of the other zone: its referral */
	r = ask(&(q_t){ .name = "ext-cut.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 1, 0);
	rr_at(r, KNOT_AUTHORITY, 0, "cut.example.net.", KNOT_RRTYPE_NS);
}

static void test_cname_into_delegation(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "to-deleg.example.com.", .type = KNOT_RRTYPE_A });
	/* authoritative for the CNAME; the target is delegated: referral in authority */
	expect(r, KNOT_RCODE_NOERROR, true, 1, 2, 2);
	rr_at(r, KNOT_ANSWER, 0, "to-deleg.example.com.", KNOT_RRTYPE_CNAME);
	assert_int_equal(has_rr(r, KNOT_AUTHORITY, "deleg.example.com.", KNOT_RRTYPE_NS), 2);
}

static void test_cname_into_served_child(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "to-sub.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	expect_a(rr_at(r, KNOT_ANSWER, 1, "host.sub.example.com.", KNOT_RRTYPE_A), "192.0.2.201");
}

/* ---- wildcards (RFC 4592) ----------------------------------------------------------------- */

static void test_wildcard(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "FoO.wild.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "foo.wild.example.com.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.99");
	assert_true(knot_dname_is_equal(a->owner, knot_pkt_wire_qname(r)));
	/* more than one label below the closest encloser */
	r = ask(&(q_t){ .name = "a.b.wild.example.com.", .type = KNOT_RRTYPE_TXT });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "a.b.wild.example.com.", KNOT_RRTYPE_TXT);
}

static void test_wildcard_nodata(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "foo.wild.example.com.", .type = KNOT_RRTYPE_MX });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	expect_soa(r, "example.com.", 300);
}

static void test_wildcard_blocked_by_name(void **state)
{
	/* exists.wild exists: it is not synthesized, nor is anything below it */
	knot_pkt_t *r = ask(&(q_t){ .name = "exists.wild.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	r = ask(&(q_t){ .name = "x.exists.wild.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 0, 1, 0);
}

static void test_wildcard_blocked_by_empty_non_terminal(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "y.wild2.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0); /* the ENT exists */
	r = ask(&(q_t){ .name = "z.y.wild2.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 0, 1, 0); /* RFC 4592 2.2.2 */
	r = ask(&(q_t){ .name = "q.wild2.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
}

static void test_wildcard_literal(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "*.wild.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "*.wild.example.com.", KNOT_RRTYPE_A);
}

static void test_wildcard_cname(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "foo.cnwild.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "foo.cnwild.example.com.", KNOT_RRTYPE_CNAME);
	rr_at(r, KNOT_ANSWER, 1, "www.example.com.", KNOT_RRTYPE_A);
}

/* ---- DNAME (RFC 6672) --------------------------------------------------------------------- */

static void test_dname(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "X.dn.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 3, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "dn.example.com.", KNOT_RRTYPE_DNAME);
	const knot_rrset_t *cname = rr_at(r, KNOT_ANSWER, 1, "x.dn.example.com.",
					  KNOT_RRTYPE_CNAME);
	expect_target(cname, "x.example.net.");
	assert_int_equal(cname->ttl, 1800); /* RFC 6672 3.1: the DNAME's TTL */
	assert_true(knot_dname_is_equal(cname->owner, knot_pkt_wire_qname(r)));
	expect_a(rr_at(r, KNOT_ANSWER, 2, "x.example.net.", KNOT_RRTYPE_A), "198.51.100.1");
}

static void test_dname_owner_itself(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "dn.example.com.", .type = KNOT_RRTYPE_DNAME });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	r = ask(&(q_t){ .name = "dn.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0); /* no substitution at the owner */
}

static void test_dname_yxdomain(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = LONG63 "." LONG63 ".long.example.com.",
				    .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_YXDOMAIN, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "long.example.com.", KNOT_RRTYPE_DNAME);
	/* a short prefix fits */
	r = ask(&(q_t){ .name = "x.long.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 2, 0, 0); /* the target is not in example.net */
	/* whose SOA fits only beyond 512 bytes (left out without TC, as Knot) */
	r = ask(&(q_t){ .name = "x.long.example.com.", .type = KNOT_RRTYPE_A, .has_edns = true });
	expect(r, KNOT_RCODE_NXDOMAIN, true, 2, 1, 0);
	expect_soa(r, "example.net.", 60);
}

static void test_dname_cname_query(void **state)
{
	/* the synthesized CNAME is the answer to a CNAME query: not followed (Knot) */
	knot_pkt_t *r = ask(&(q_t){ .name = "x.dn.example.com.", .type = KNOT_RRTYPE_CNAME });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	rr_at(r, KNOT_ANSWER, 1, "x.dn.example.com.", KNOT_RRTYPE_CNAME);
}

/* ---- delegations -------------------------------------------------------------------------- */

static void test_referral(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.deleg.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, false, 0, 2, 2);
	assert_int_equal(has_rr(r, KNOT_AUTHORITY, "deleg.example.com.", KNOT_RRTYPE_NS), 2);
	/* glue for the in-domain server; ns.example.net is in another zone */
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "ns1.deleg.example.com.", KNOT_RRTYPE_A), 1);
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "ns1.deleg.example.com.", KNOT_RRTYPE_AAAA),
			 1);
}

static void test_referral_at_cut(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "deleg.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, false, 0, 2, 2);
	r = ask(&(q_t){ .name = "deleg.example.com.", .type = KNOT_RRTYPE_NS });
	expect(r, KNOT_RCODE_NOERROR, false, 0, 2, 2); /* the parent's NS is not authoritative */
	r = ask(&(q_t){ .name = "deleg.example.com.", .type = KNOT_RRTYPE_ANY });
	expect(r, KNOT_RCODE_NOERROR, false, 0, 2, 2);
}

static void test_glue_is_not_an_answer(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "ns1.deleg.example.com.", .type = KNOT_RRTYPE_A });
	expect(r, KNOT_RCODE_NOERROR, false, 0, 2, 2);
	rr_at(r, KNOT_AUTHORITY, 0, "deleg.example.com.", KNOT_RRTYPE_NS);
}

static void test_ds_at_cut(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "deleg.example.com.", .type = KNOT_RRTYPE_DS });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "deleg.example.com.", KNOT_RRTYPE_DS);
	/* the parent side answers even when we serve the child zone too */
	r = ask(&(q_t){ .name = "sub.example.com.", .type = KNOT_RRTYPE_DS });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "sub.example.com.", KNOT_RRTYPE_DS);
	/* DS at an apex whose parent we do not serve: NODATA from the zone itself */
	r = ask(&(q_t){ .name = "example.net.", .type = KNOT_RRTYPE_DS });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	expect_soa(r, "example.net.", 60);
	/* DS below a cut is a referral */
	r = ask(&(q_t){ .name = "a.deleg.example.com.", .type = KNOT_RRTYPE_DS });
	expect(r, KNOT_RCODE_NOERROR, false, 0, 2, 2);
}

/* A chain that leads to the apex of a zone we serve below a cut: the DS there is the
 * parent's, as for a DS asked directly. */
static void test_ds_through_cname(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "to-subapex.example.com.", .type = KNOT_RRTYPE_DS });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "to-subapex.example.com.", KNOT_RRTYPE_CNAME);
	rr_at(r, KNOT_ANSWER, 1, "sub.example.com.", KNOT_RRTYPE_DS);
}

static void test_referral_truncated(void **state)
{
	/* 12 NS with in-domain glue: over 512 bytes, and the glue is mandatory */
	knot_pkt_t *r = ask(&(q_t){ .name = "www.fat.example.com.", .type = KNOT_RRTYPE_A });
	assert_true(knot_wire_get_tc(r->wire));
	expect(r, KNOT_RCODE_NOERROR, false, 0, 0, 0);
	r = ask(&(q_t){ .name = "www.fat.example.com.", .type = KNOT_RRTYPE_A, .has_edns = true });
	assert_false(knot_wire_get_tc(r->wire));
	expect(r, KNOT_RCODE_NOERROR, false, 0, 12, 24);
}

/* ---- additional section ------------------------------------------------------------------- */

static void test_additional_mx(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_MX });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 2);
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "mail.example.com.", KNOT_RRTYPE_A), 1);
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "mail.example.com.", KNOT_RRTYPE_AAAA), 1);
}

/* Two targets one wildcard covers: each gets its expansion (libknot's duplicate check
 * alone would take the second for the first, same rdata). */
static void test_additional_wildcard_twice(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "mx2.example.com.", .type = KNOT_RRTYPE_MX });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 2);
	expect_a(rr_at(r, KNOT_ADDITIONAL, 0, "a.wild.example.com.", KNOT_RRTYPE_A), "192.0.2.99");
	expect_a(rr_at(r, KNOT_ADDITIONAL, 1, "b.wild.example.com.", KNOT_RRTYPE_A), "192.0.2.99");
}

/* An optional RRset that does not fit is left out with the rest of its name's addresses
 * (fat's AAAA, which would fit, goes too), and the next name's still go in (RFC 2181 9;
 * Knot does the same); no TC for optional records. */
static void test_additional_skips_what_does_not_fit(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "mxbig.example.com.", .type = KNOT_RRTYPE_MX });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 1);
	assert_false(knot_wire_get_tc(r->wire));
	expect_a(rr_at(r, KNOT_ADDITIONAL, 0, "small.example.com.", KNOT_RRTYPE_A), "198.18.1.1");
	/* with room for all, all */
	r = ask(&(q_t){ .name = "mxbig.example.com.", .type = KNOT_RRTYPE_MX, .has_edns = true });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 42); /* RRs: parsing does not merge RRsets */
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "fat.example.com.", KNOT_RRTYPE_AAAA), 1);
}

static void test_additional_ns(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_NS });
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 3);
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "ns1.example.com.", KNOT_RRTYPE_A), 1);
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "ns1.example.com.", KNOT_RRTYPE_AAAA), 1);
	assert_int_equal(has_rr(r, KNOT_ADDITIONAL, "ns2.example.com.", KNOT_RRTYPE_A), 1);
}

static void test_additional_srv(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "_sip._tcp.example.com.", .type = KNOT_RRTYPE_SRV });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 1);
	expect_a(rr_at(r, KNOT_ADDITIONAL, 0, "sip.example.com.", KNOT_RRTYPE_A), "192.0.2.60");
}

/* ---- ANY (RFC 8482) ----------------------------------------------------------------------- */

static void test_any_minimal(void **state)
{
	/* RFC 8482 4.1, as Knot: the first RRset by type, over UDP and TCP alike */
	knot_pkt_t *r = ask(&(q_t){ .name = "multi.example.com.", .type = KNOT_RRTYPE_ANY });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "multi.example.com.", KNOT_RRTYPE_A);
	r = ask(&(q_t){ .name = "multi.example.com.", .type = KNOT_RRTYPE_ANY, .is_tcp = true });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_ANY });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "example.com.", KNOT_RRTYPE_A);
	r = ask(&(q_t){ .name = "foo.wild.example.com.", .type = KNOT_RRTYPE_ANY });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	rr_at(r, KNOT_ANSWER, 0, "foo.wild.example.com.", KNOT_RRTYPE_A);
}

static void test_any_special_cases(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "alias.example.com.", .type = KNOT_RRTYPE_ANY });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0); /* the CNAME, not followed */
	rr_at(r, KNOT_ANSWER, 0, "alias.example.com.", KNOT_RRTYPE_CNAME);
	r = ask(&(q_t){ .name = "ent.example.com.", .type = KNOT_RRTYPE_ANY });
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	r = ask(&(q_t){ .name = "hinfo.example.com.", .type = KNOT_RRTYPE_HINFO });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
}

/* ---- size limits and truncation ----------------------------------------------------------- */

static void test_truncation_without_edns(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "medium.example.com.", .type = KNOT_RRTYPE_TXT });
	assert_true(knot_wire_get_tc(r->wire));
	expect(r, KNOT_RCODE_NOERROR, true, 0, 0, 0);
	assert_int_equal(knot_wire_get_qdcount(r->wire), 1);
	assert_true(F.out_size <= 512);
}

static void test_edns_size(void **state)
{
	/* fits into our 1232 */
	knot_pkt_t *r = ask(&(q_t){ .name = "medium.example.com.", .type = KNOT_RRTYPE_TXT,
				    .has_edns = true });
	assert_false(knot_wire_get_tc(r->wire));
	expect(r, KNOT_RCODE_NOERROR, true, 3, 0, 0);
	/* the client's 4096 is capped by our 1232 */
	r = ask(&(q_t){ .name = "big.example.com.", .type = KNOT_RRTYPE_TXT, .has_edns = true });
	assert_true(knot_wire_get_tc(r->wire));
	expect(r, KNOT_RCODE_NOERROR, true, 0, 0, 0);
	assert_non_null(r->opt_rr); /* the OPT RR stays in a truncated answer */
	assert_true(F.out_size <= 1232);
	/* a client size below 512 means 512 (RFC 6891 6.2.5) */
	r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A, .has_edns = true,
			.payload = 100 });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	/* the client's smaller size wins over ours */
	r = ask(&(q_t){ .name = "medium.example.com.", .type = KNOT_RRTYPE_TXT, .has_edns = true,
			.payload = 600 });
	assert_true(knot_wire_get_tc(r->wire));
}

static void test_tcp_is_not_limited(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "big.example.com.", .type = KNOT_RRTYPE_TXT,
				    .is_tcp = true });
	assert_false(knot_wire_get_tc(r->wire));
	expect(r, KNOT_RCODE_NOERROR, true, 30, 0, 0);
}

static void test_small_out_buffer(void **state)
{
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	query_src_t src = { .addr = (const struct sockaddr *)&F.client };
	assert_int_equal(query_handle(F.w, F.db, &src, F.in, size, F.out, 20), 0);
	size_t n = query_handle(F.w, F.db, &src, F.in, size, F.out, size + 4);
	assert_int_equal(n, size); /* header and question, TC */
	assert_true(knot_wire_get_tc(F.out));
}

/* ---- EDNS (RFC 6891) ---------------------------------------------------------------------- */

static void test_edns_echo(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
				    .has_edns = true, .do_bit = true });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	assert_non_null(r->opt_rr);
	assert_int_equal(knot_edns_get_payload(r->opt_rr), 1232);
	assert_int_equal(knot_edns_get_version(r->opt_rr), 0);
	assert_true(knot_edns_do(r->opt_rr));
	assert_null(knot_pkt_edns_option(r, KNOT_EDNS_OPTION_NSID)); /* not asked */
	r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A, .has_edns = true });
	assert_false(knot_edns_do(r->opt_rr));
}

static void test_edns_badvers(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
				    .has_edns = true, .version = 1 });
	expect(r, KNOT_RCODE_BADVERS, false, 0, 0, 0);
	assert_int_equal(knot_wire_get_rcode(r->wire), 0); /* the upper bits live in the OPT */
	assert_non_null(r->opt_rr);
	assert_int_equal(knot_edns_get_version(r->opt_rr), 0);
}

static void test_edns_unknown_option_ignored(void **state)
{
	const uint8_t data[] = { 1, 2, 3 };
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
				    .has_edns = true, .opt_code = 65001, .opt_data = data,
				    .opt_len = sizeof(data) });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	assert_null(knot_pkt_edns_option(r, KNOT_EDNS_OPTION_COOKIE));
}

/* Append raw bytes to the query in F.in and bump one section count. */
static size_t append(size_t size, const uint8_t *bytes, size_t n, knot_section_t section)
{
	memcpy(F.in + size, bytes, n);
	switch (section) {
	case KNOT_ANSWER:
		knot_wire_add_ancount(F.in, 1);
		break;
	case KNOT_AUTHORITY:
		knot_wire_add_nscount(F.in, 1);
		break;
	default:
		knot_wire_add_arcount(F.in, 1);
		break;
	}
	return size + n;
}

static const uint8_t opt_root[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };

static void expect_formerr_without_opt(knot_pkt_t *r)
{
	assert_non_null(r);
	expect(r, KNOT_RCODE_FORMERR, false, 0, 0, 0);
	assert_null(r->opt_rr);
}

static void test_edns_two_opts(void **state)
{
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
				    .has_edns = true });
	size = append(size, opt_root, sizeof(opt_root), KNOT_ADDITIONAL);
	expect_formerr_without_opt(send_raw(size, false));
}

static void test_edns_opt_outside_additional(void **state)
{
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	size = append(size, opt_root, sizeof(opt_root), KNOT_ANSWER);
	expect_formerr_without_opt(send_raw(size, false));
}

static void test_edns_opt_owner_not_root(void **state)
{
	static const uint8_t opt[] = { 1, 'a', 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	size = append(size, opt, sizeof(opt), KNOT_ADDITIONAL);
	expect_formerr_without_opt(send_raw(size, false));
}

static void test_nsid(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A,
				    .has_edns = true, .nsid = true });
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	uint8_t *opt = knot_pkt_edns_option(r, KNOT_EDNS_OPTION_NSID);
	assert_non_null(opt);
	assert_int_equal(knot_edns_opt_get_length(opt), sizeof(nsid) - 1);
	assert_memory_equal(knot_edns_opt_get_data(opt), nsid, sizeof(nsid) - 1);
	/* none configured: none sent */
	F.conf.nsid = NULL;
	r = ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A, .has_edns = true,
			.nsid = true });
	F.conf.nsid = nsid;
	assert_null(knot_pkt_edns_option(r, KNOT_EDNS_OPTION_NSID));
}

/* ---- cookies (RFC 7873, RFC 9018) --------------------------------------------------------- */

static const uint8_t client_cookie[8] = { 0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57 };

/* The cookie option of F.resp: 8 bytes of client cookie, then the server cookie. */
static const uint8_t *resp_cookie(uint16_t *len)
{
	uint8_t *opt = knot_pkt_edns_option(F.resp, KNOT_EDNS_OPTION_COOKIE);
	assert_non_null(opt);
	*len = knot_edns_opt_get_length(opt);
	return knot_edns_opt_get_data(opt);
}

static knot_pkt_t *ask_cookie(const uint8_t *cookie, uint16_t len)
{
	return ask(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A, .has_edns = true,
			   .opt_code = KNOT_EDNS_OPTION_COOKIE, .opt_data = cookie,
			   .opt_len = len });
}

static void test_cookie_client_only(void **state)
{
	knot_pkt_t *r = ask_cookie(client_cookie, sizeof(client_cookie));
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	uint16_t len = 0;
	const uint8_t *c = resp_cookie(&len);
	assert_int_equal(len, 8 + 16);
	assert_memory_equal(c, client_cookie, 8);
	assert_int_equal(c[8], 1); /* RFC 9018 version */
	assert_int_equal(c[9] | c[10] | c[11], 0);
}

static void test_cookie_valid_server_cookie_reused(void **state)
{
	ask_cookie(client_cookie, sizeof(client_cookie));
	uint16_t len = 0;
	uint8_t first[40];
	const uint8_t *c = resp_cookie(&len);
	memcpy(first, c, len);
	knot_pkt_t *r = ask_cookie(first, len);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	uint16_t len2 = 0;
	const uint8_t *again = resp_cookie(&len2);
	assert_int_equal(len2, len);
	assert_memory_equal(again, first, len);
}

static void test_cookie_bad_server_cookie(void **state)
{
	uint8_t cookie[24];
	memcpy(cookie, client_cookie, 8);
	memset(cookie + 8, 0x5a, 16);
	cookie[8] = 1;
	knot_pkt_t *r = ask_cookie(cookie, sizeof(cookie));
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0); /* not enforced: a fresh cookie */
	uint16_t len = 0;
	const uint8_t *c = resp_cookie(&len);
	assert_int_equal(len, 24);
	assert_memory_not_equal(c + 8, cookie + 8, 16);
}

static void test_cookie_malformed(void **state)
{
	knot_pkt_t *r = ask_cookie(client_cookie, 5);
	expect(r, KNOT_RCODE_FORMERR, false, 0, 0, 0);
	assert_non_null(r->opt_rr);
	uint8_t long_cookie[8 + 40] = { 0 };
	r = ask_cookie(long_cookie, sizeof(long_cookie));
	expect(r, KNOT_RCODE_FORMERR, false, 0, 0, 0);
	r = ask_cookie(long_cookie, 8 + 4); /* a server cookie shorter than 8 */
	expect(r, KNOT_RCODE_FORMERR, false, 0, 0, 0);
}

/* ---- header, opcode, malformed messages --------------------------------------------------- */

static void test_responses_and_runts_dropped(void **state)
{
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	knot_wire_set_qr(F.in);
	assert_null(send_raw(size, false));
	assert_null(send_raw(11, false));
	assert_null(send_raw(0, false));
}

static void test_opcodes(void **state)
{
	static const uint8_t opcodes[] = { KNOT_OPCODE_UPDATE, KNOT_OPCODE_STATUS,
					   KNOT_OPCODE_IQUERY, 6, 15 };
	for (size_t i = 0; i < sizeof(opcodes); i++) {
		knot_pkt_t *r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_SOA,
					    .opcode = opcodes[i] });
		expect(r, KNOT_RCODE_NOTIMPL, false, 0, 0, 0);
		assert_int_equal(knot_wire_get_opcode(r->wire), opcodes[i]);
	}
}

static int notified;

/* The jobs role's part (jobs_notify): example.com. from 192.0.2.10 is ours. */
static int on_notify(void *ctx, const knot_dname_t *zone, const struct sockaddr *from)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)from;
	if (!knot_dname_is_equal(zone, (const knot_dname_t *)"\x07" "example" "\x03" "com")) {
		return KNOT_RCODE_NOTAUTH;
	}
	notified++;
	return in->sin_addr.s_addr == F.client.sin_addr.s_addr ? KNOT_RCODE_NOERROR
							       : KNOT_RCODE_REFUSED;
}

/* RFC 1996: NOTIFY goes to the hook (REFUSED without one); AA on NOERROR. */
static void test_notify(void **state)
{
	q_t q = { .name = "example.com.", .type = KNOT_RRTYPE_SOA, .opcode = KNOT_OPCODE_NOTIFY };
	knot_pkt_t *r = ask(&q);
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	assert_int_equal(knot_wire_get_opcode(r->wire), KNOT_OPCODE_NOTIFY);
	F.conf.on_notify = on_notify;
	r = ask(&q);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 0, 0);
	assert_int_equal(notified, 1);
	r = ask(&(q_t){ .name = "example.net.", .type = KNOT_RRTYPE_SOA,
			.opcode = KNOT_OPCODE_NOTIFY });
	expect(r, KNOT_RCODE_NOTAUTH, false, 0, 0, 0);
	r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_A,
			.opcode = KNOT_OPCODE_NOTIFY });
	expect(r, KNOT_RCODE_NOTIMPL, false, 0, 0, 0);
	F.conf.on_notify = NULL;
}

static void test_qdcount(void **state)
{
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	knot_wire_set_qdcount(F.in, 0);
	knot_pkt_t *r = send_raw(KNOT_WIRE_HEADER_SIZE, false);
	expect_formerr_without_opt(r);
	assert_int_equal(knot_wire_get_qdcount(r->wire), 0);
	size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	memcpy(F.in + size, F.in + 12, size - 12); /* the question twice */
	knot_wire_set_qdcount(F.in, 2);
	r = send_raw(size + size - 12, false);
	expect_formerr_without_opt(r);
	assert_int_equal(knot_wire_get_qdcount(r->wire), 0);
}

static void test_malformed(void **state)
{
	/* a question cut short */
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	knot_pkt_t *r = send_raw(size - 3, false);
	expect_formerr_without_opt(r);
	assert_int_equal(knot_wire_get_qdcount(r->wire), 0);
	/* trailing garbage after a good question: FORMERR that echoes the question */
	size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	memcpy(F.in + size, "xyz", 3);
	r = send_raw(size + 3, false);
	expect_formerr_without_opt(r);
	assert_int_equal(knot_wire_get_qdcount(r->wire), 1);
	/* an answer count with nothing behind it */
	size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	knot_wire_set_ancount(F.in, 3);
	expect_formerr_without_opt(send_raw(size, false));
	/* a compression pointer in the question */
	static const uint8_t ptr[] = { 0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1,
				       0, 1 };
	memcpy(F.in, ptr, sizeof(ptr));
	expect_formerr_without_opt(send_raw(sizeof(ptr), false));
}

static void test_transfers(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_AXFR });
	expect(r, KNOT_RCODE_NOTIMPL, false, 0, 0, 0); /* never over UDP (RFC 5936 4.2) */
	r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_IXFR });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	/* without a transfer context (dns/xfr: no transfer-allow), a policy refusal */
	r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_AXFR, .is_tcp = true });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	r = ask(&(q_t){ .name = "example.com.", .type = KNOT_RRTYPE_IXFR, .is_tcp = true });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
}

static void test_qtype_zero(void **state)
{
	knot_pkt_t *r = ask(&(q_t){ .name = "example.com.", .type = 0 });
	expect(r, KNOT_RCODE_NOTIMPL, false, 0, 0, 0);
}

static void test_tsig_unknown_key(void **state)
{
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	uint8_t rr[256];
	size_t n = encode_name(rr, "key.example.");
	knot_wire_write_u16(rr + n, KNOT_RRTYPE_TSIG);
	knot_wire_write_u16(rr + n + 2, KNOT_CLASS_ANY);
	knot_wire_write_u32(rr + n + 4, 0);
	size_t rdlen_at = n + 8;
	n += 10;
	size_t start = n;
	n += encode_name(rr + n, "hmac-sha256.");
	knot_wire_write_u48(rr + n, 1700000000);
	knot_wire_write_u16(rr + n + 6, 300);
	knot_wire_write_u16(rr + n + 8, 32);
	memset(rr + n + 10, 0xab, 32);
	n += 10 + 32;
	knot_wire_write_u16(rr + n, 0xbeef);
	knot_wire_write_u16(rr + n + 2, 0);
	knot_wire_write_u16(rr + n + 4, 0);
	n += 6;
	knot_wire_write_u16(rr + rdlen_at, (uint16_t)(n - start));
	size = append(size, rr, n, KNOT_ADDITIONAL);
	knot_pkt_t *r = send_raw(size, false);
	assert_non_null(r);
	expect(r, KNOT_RCODE_BADKEY, false, 0, 0, 0); /* libknot reads the TSIG error */
	assert_int_equal(knot_wire_get_rcode(r->wire), KNOT_RCODE_NOTAUTH);
	assert_non_null(r->tsig_rr); /* RFC 8945 5.2.2: unsigned, with BADKEY */
	assert_int_equal(knot_tsig_rdata_error(r->tsig_rr), KNOT_RCODE_BADKEY);
	assert_int_equal(knot_tsig_rdata_mac_length(r->tsig_rr), 0);
	assert_int_equal(knot_tsig_rdata_time_signed(r->tsig_rr), 1700000000);
	assert_true(same_name(r->tsig_rr->owner, "key.example."));
}

/* ---- CHAOS -------------------------------------------------------------------------------- */

static void expect_chaos_txt(const char *name, const char *text)
{
	knot_pkt_t *r = ask(&(q_t){ .name = name, .type = KNOT_RRTYPE_TXT,
				    .qclass = KNOT_CLASS_CH });
	expect(r, KNOT_RCODE_NOERROR, false, 1, 0, 0); /* not zone data: no AA (Knot) */
	const knot_rrset_t *txt = rr_at(r, KNOT_ANSWER, 0, name, KNOT_RRTYPE_TXT);
	assert_int_equal(txt->rclass, KNOT_CLASS_CH);
	assert_int_equal(txt->rrs.rdata->data[0], strlen(text));
	assert_memory_equal(txt->rrs.rdata->data + 1, text, strlen(text));
}

static void test_chaos(void **state)
{
	expect_chaos_txt("id.server.", "ns1.test");
	expect_chaos_txt("HOSTNAME.BIND.", "ns1.test");
	expect_chaos_txt("version.bind.", "nameplate-test");
	expect_chaos_txt("version.server.", "nameplate-test");
	knot_pkt_t *r = ask(&(q_t){ .name = "version.bind.", .type = KNOT_RRTYPE_A,
				    .qclass = KNOT_CLASS_CH });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	r = ask(&(q_t){ .name = "authors.bind.", .type = KNOT_RRTYPE_TXT,
			.qclass = KNOT_CLASS_CH });
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
	F.conf.version = NULL; /* off */
	r = ask(&(q_t){ .name = "version.bind.", .type = KNOT_RRTYPE_TXT,
			.qclass = KNOT_CLASS_CH });
	F.conf.version = "nameplate-test";
	expect(r, KNOT_RCODE_REFUSED, false, 0, 0, 0);
}

/* ---- ALIAS, URL, POOL (issue 5) ------------------------------------------------------------ */

static void expect_aaaa(const knot_rrset_t *rr, const char *addr)
{
	uint8_t want[16];
	assert_int_equal(inet_pton(AF_INET6, addr, want), 1);
	assert_int_equal(rr->rrs.rdata->len, 16);
	assert_memory_equal(rr->rrs.rdata->data, want, 16);
}

static knot_pkt_t *ask_type(const char *name, uint16_t type)
{
	return ask(&(q_t){ .name = name, .type = type });
}

/* A cache answer for an external name, as the refresher would publish it. */
static void cache_set(const char *name, uint16_t type, const char *addrs, uint32_t ttl)
{
	knot_dname_storage_t owner;
	assert_non_null(knot_dname_from_str(owner, name, sizeof(owner)));
	knot_dname_to_lower(owner);
	knot_rdataset_t rrs;
	knot_rdataset_init(&rrs);
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		union { knot_rdata_t rd; uint8_t b[sizeof(knot_rdata_t) + 16]; } u;
		bool is_v6 = strchr(t, ':') != NULL;
		assert_int_equal(inet_pton(is_v6 ? AF_INET6 : AF_INET, t, u.rd.data), 1);
		u.rd.len = is_v6 ? 16 : 4;
		assert_int_equal(knot_rdataset_add(&rrs, &u.rd, NULL), KNOT_EOK);
	}
	alias_set(F.alias, owner, type, &rrs, ttl);
	knot_rdataset_clear(&rrs, NULL);
}

static void test_alias_internal(void **state)
{
	/* apex flattening: the target's addresses under the apex, TTL min(ALIAS 60, A 300) */
	knot_pkt_t *r = ask_type("Pseudo.Test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "Pseudo.Test.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.80");
	assert_int_equal(a->ttl, 60);
	r = ask_type("pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_aaaa(rr_at(r, KNOT_ANSWER, 0, "pseudo.test.", KNOT_RRTYPE_AAAA), "2001:db8::80");
	/* ALIAS coexists with the apex records */
	r = ask_type("pseudo.test.", KNOT_RRTYPE_MX);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	r = ask_type("pseudo.test.", KNOT_RRTYPE_SOA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	/* a CNAME to the apex follows into the ALIAS */
	r = ask_type("to-apex.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	expect_a(rr_at(r, KNOT_ANSWER, 1, "pseudo.test.", KNOT_RRTYPE_A), "192.0.2.80");
	/* a wildcard ALIAS expands to the name asked */
	r = ask_type("x.wild.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_a(rr_at(r, KNOT_ANSWER, 0, "x.wild.pseudo.test.", KNOT_RRTYPE_A), "192.0.2.80");
}

static void test_alias_nodata(void **state)
{
	/* other types at an ALIAS name, and ALIAS itself, are NODATA: never on the wire */
	static const uint16_t types[] = { KNOT_RRTYPE_TXT, KNOT_RRTYPE_ANY, ZDB_TYPE_ALIAS,
					  ZDB_TYPE_URL, ZDB_TYPE_POOL, KNOT_RRTYPE_CNAME };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		knot_pkt_t *r = ask_type("ext.pseudo.test.", types[i]);
		expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
		expect_soa(r, "pseudo.test.", 300);
	}
	knot_pkt_t *r = ask_type("pseudo.test.", ZDB_TYPE_ALIAS);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	/* targets our data has no address for: NXDOMAIN, a CNAME loop */
	r = ask_type("nx.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	r = ask_type("loop.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
}

static void test_alias_precedence(void **state)
{
	/* a real RRset of the type asked wins; the ALIAS answers the other one */
	knot_pkt_t *r = ask_type("both.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "both.pseudo.test.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.7");
	assert_int_equal(a->ttl, 3600);
	r = ask_type("both.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	a = rr_at(r, KNOT_ANSWER, 0, "both.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect_aaaa(a, "2001:db8::80");
	assert_int_equal(a->ttl, 300);
	/* the same for URL */
	r = ask_type("urla.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_a(rr_at(r, KNOT_ANSWER, 0, "urla.pseudo.test.", KNOT_RRTYPE_A), "192.0.2.9");
	r = ask_type("urla.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_aaaa(rr_at(r, KNOT_ANSWER, 0, "urla.pseudo.test.", KNOT_RRTYPE_AAAA),
		    "2001:db8::100");
}

static void test_alias_chain(void **state)
{
	/* CNAMEs inside our zones are followed; the TTL is the lowest on the way */
	knot_pkt_t *r = ask_type("chain.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "chain.pseudo.test.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.80");
	assert_int_equal(a->ttl, 300);
	/* an ALIAS to a URL name answers the redirector's addresses */
	r = ask_type("to-url.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	a = rr_at(r, KNOT_ANSWER, 0, "to-url.pseudo.test.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.100");
	assert_int_equal(a->ttl, 900);
}

static void test_alias_external(void **state)
{
	/* not resolved yet (no resolver in this test): NODATA */
	knot_pkt_t *r = ask_type("ext.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	cache_set("Target.External.Org.", KNOT_RRTYPE_A, "203.0.113.5 203.0.113.6", 120);
	r = ask_type("ext.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "ext.pseudo.test.", KNOT_RRTYPE_A);
	assert_true(a->ttl <= 120 && a->ttl >= 118); /* counts down from the upstream's */
	/* the ALIAS TTL caps the upstream's */
	cache_set("target.external.org.", KNOT_RRTYPE_A, "203.0.113.7", 100000);
	r = ask_type("ext.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	a = rr_at(r, KNOT_ANSWER, 0, "ext.pseudo.test.", KNOT_RRTYPE_A);
	expect_a(a, "203.0.113.7"); /* a new answer is seen at once */
	assert_int_equal(a->ttl, 600);
	/* no AAAA upstream: NODATA */
	cache_set("target.external.org.", KNOT_RRTYPE_AAAA, "", 300);
	r = ask_type("ext.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	/* a target below a zone cut of ours is external too */
	r = ask_type("deleg.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	cache_set("host.deleg.example.com.", KNOT_RRTYPE_A, "198.51.100.9", 30);
	r = ask_type("deleg.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_a(rr_at(r, KNOT_ANSWER, 0, "deleg.pseudo.test.", KNOT_RRTYPE_A), "198.51.100.9");
	/* and so is the name where a CNAME of ours leads out */
	cache_set("www.elsewhere.org.", KNOT_RRTYPE_AAAA, "2001:db8:e::1", 50);
	r = ask_type("outward.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	a = rr_at(r, KNOT_ANSWER, 0, "outward.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect_aaaa(a, "2001:db8:e::1");
	assert_true(a->ttl <= 50);
}

static void test_url(void **state)
{
	knot_pkt_t *r = ask_type("url.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	const knot_rrset_t *a = rr_at(r, KNOT_ANSWER, 0, "url.pseudo.test.", KNOT_RRTYPE_A);
	expect_a(a, "192.0.2.100");
	assert_int_equal(a->ttl, 900); /* the lowest of the URL records' TTLs */
	r = ask_type("url.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	expect_aaaa(rr_at(r, KNOT_ANSWER, 0, "url.pseudo.test.", KNOT_RRTYPE_AAAA),
		    "2001:db8::100");
	r = ask_type("url.pseudo.test.", KNOT_RRTYPE_TXT);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	r = ask_type("url.pseudo.test.", KNOT_RRTYPE_MX);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	/* no redirector of a family: NODATA for it */
	F.conf.alias = NULL;
	r = ask_type("url.pseudo.test.", KNOT_RRTYPE_A);
	F.conf.alias = F.alias;
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
}

/* The member a POOL answer named (1..3 for m1..m3), or 0. */
static int pool_member(const knot_pkt_t *r, uint16_t index)
{
	const knot_rrset_t *cn = rr_at(r, KNOT_ANSWER, index, "pool.pseudo.test.",
				       KNOT_RRTYPE_CNAME);
	assert_int_equal(cn->ttl, 120);
	for (int m = 1; m <= 3; m++) {
		char name[32];
		snprintf(name, sizeof(name), "m%d.pseudo.test.", m);
		if (same_name(knot_cname_name(cn->rrs.rdata), name)) {
			return m;
		}
	}
	return 0;
}

static void test_pool(void **state)
{
	knot_pkt_t *r = ask_type("pool.pseudo.test.", KNOT_RRTYPE_CNAME);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	assert_true(pool_member(r, 0) > 0);
	/* an address query follows the CNAME as any chain */
	r = ask_type("pool.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 2, 0, 0);
	int m = pool_member(r, 0);
	char owner[32], addr[32];
	snprintf(owner, sizeof(owner), "m%d.pseudo.test.", m);
	snprintf(addr, sizeof(addr), "192.0.2.3%d", m);
	expect_a(rr_at(r, KNOT_ANSWER, 1, owner, KNOT_RRTYPE_A), addr);
	r = ask_type("pool.pseudo.test.", KNOT_RRTYPE_AAAA);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 1, 0); /* the CNAME; the member's NODATA */
	/* other types: the name's own data */
	r = ask_type("pool.pseudo.test.", KNOT_RRTYPE_TXT);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
	r = ask_type("pool.pseudo.test.", KNOT_RRTYPE_MX);
	expect(r, KNOT_RCODE_NOERROR, true, 0, 1, 0);
	/* a CNAME to the pool */
	r = ask_type("to-pool.pseudo.test.", KNOT_RRTYPE_A);
	expect(r, KNOT_RCODE_NOERROR, true, 3, 0, 0);
	assert_true(pool_member(r, 1) > 0);
}

static void test_pool_distribution(void **state)
{
	/* evenly over many queries: 3000 picks of 3, each within 1000 +- 20% */
	int seen[4] = { 0 };
	for (int i = 0; i < 3000; i++) {
		knot_pkt_t *r = ask_type("pool.pseudo.test.", KNOT_RRTYPE_CNAME);
		seen[pool_member(r, 0)]++;
	}
	assert_int_equal(seen[0], 0);
	for (int m = 1; m <= 3; m++) {
		if (seen[m] < 800 || seen[m] > 1200) {
			fail_msg("member %d picked %d times of 3000", m, seen[m]);
		}
	}
}

/* ---- memory ------------------------------------------------------------------------------- */

static void test_largest_message(void **state)
{
	/* 64 KiB of minimal RRs in the additional section: the parse fits the worker's arena */
	size_t size = build(&(q_t){ .name = "www.example.com.", .type = KNOT_RRTYPE_A });
	static const uint8_t rr[] = { 0, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 0 }; /* TYPE65280 */
	uint16_t n = 0;
	while (size + sizeof(rr) <= UINT16_MAX) {
		memcpy(F.in + size, rr, sizeof(rr));
		size += sizeof(rr);
		n++;
	}
	knot_wire_set_arcount(F.in, n);
	knot_pkt_t *r = send_raw(size, true);
	assert_non_null(r);
	expect(r, KNOT_RCODE_NOERROR, true, 1, 0, 0);
}

static void test_many_queries_reuse_memory(void **state)
{
	/* the worker's arena is emptied per query: thousands of queries run in it */
	size_t size = build(&(q_t){ .name = "c0.example.com.", .type = KNOT_RRTYPE_A,
				    .has_edns = true, .nsid = true });
	query_src_t src = { .addr = (const struct sockaddr *)&F.client, .is_tcp = true };
	for (int i = 0; i < 5000; i++) {
		size_t n = query_handle(F.w, F.db, &src, F.in, size, F.out, sizeof(F.out));
		assert_true(n > 0);
		assert_int_equal(knot_wire_get_rcode(F.out), KNOT_RCODE_NOERROR);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_match),
		cmocka_unit_test(test_header_flags_copied),
		cmocka_unit_test(test_case_preserved),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_negative_ttl_is_soa_ttl_when_lower),
		cmocka_unit_test(test_empty_non_terminal),
		cmocka_unit_test(test_not_our_zone),
		cmocka_unit_test(test_apex_and_longest_zone),
		cmocka_unit_test(test_class_any_and_unknown),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_cname_query_for_cname),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_loop),
		cmocka_unit_test(test_cname_wildcard_twice),
		cmocka_unit_test(test_cname_chain_guard),
		cmocka_unit_test(test_cname_to_nxdomain),
		cmocka_unit_test(test_cname_out_of_our_zones),
		cmocka_unit_test(test_cname_into_other_zone),
		cmocka_unit_test(test_cname_into_delegation),
		cmocka_unit_test(test_cname_into_served_child),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_wildcard_nodata),
		cmocka_unit_test(test_wildcard_blocked_by_name),
		cmocka_unit_test(test_wildcard_blocked_by_empty_non_terminal),
		cmocka_unit_test(test_wildcard_literal),
		cmocka_unit_test(test_wildcard_cname),
		cmocka_unit_test(test_dname),
		cmocka_unit_test(test_dname_owner_itself),
		cmocka_unit_test(test_dname_yxdomain),
		cmocka_unit_test(test_dname_cname_query),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_referral_at_cut),
		cmocka_unit_test(test_glue_is_not_an_answer),
		cmocka_unit_test(test_ds_at_cut),
		cmocka_unit_test(test_ds_through_cname),
		cmocka_unit_test(test_referral_truncated),
		cmocka_unit_test(test_additional_mx),
		cmocka_unit_test(test_additional_wildcard_twice),
		cmocka_unit_test(test_additional_skips_what_does_not_fit),
		cmocka_unit_test(test_additional_ns),
		cmocka_unit_test(test_additional_srv),
		cmocka_unit_test(test_any_minimal),
		cmocka_unit_test(test_any_special_cases),
		cmocka_unit_test(test_truncation_without_edns),
		cmocka_unit_test(test_edns_size),
		cmocka_unit_test(test_tcp_is_not_limited),
		cmocka_unit_test(test_small_out_buffer),
		cmocka_unit_test(test_edns_echo),
		cmocka_unit_test(test_edns_badvers),
		cmocka_unit_test(test_edns_unknown_option_ignored),
		cmocka_unit_test(test_edns_two_opts),
		cmocka_unit_test(test_edns_opt_outside_additional),
		cmocka_unit_test(test_edns_opt_owner_not_root),
		cmocka_unit_test(test_nsid),
		cmocka_unit_test(test_cookie_client_only),
		cmocka_unit_test(test_cookie_valid_server_cookie_reused),
		cmocka_unit_test(test_cookie_bad_server_cookie),
		cmocka_unit_test(test_cookie_malformed),
		cmocka_unit_test(test_responses_and_runts_dropped),
		cmocka_unit_test(test_opcodes),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_qdcount),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_transfers),
		cmocka_unit_test(test_qtype_zero),
		cmocka_unit_test(test_tsig_unknown_key),
		cmocka_unit_test(test_chaos),
		cmocka_unit_test(test_alias_internal),
		cmocka_unit_test(test_alias_nodata),
		cmocka_unit_test(test_alias_precedence),
		cmocka_unit_test(test_alias_chain),
		cmocka_unit_test(test_alias_external),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_pool_distribution),
		cmocka_unit_test(test_largest_message),
		cmocka_unit_test(test_many_queries_reuse_memory),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
