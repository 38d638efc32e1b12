/* test_rr.c -- record types and content: text -> wire -> text, owners, zone-file lines. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <libzscanner/scanner.h>

#include "core/arena.h"
#include "core/err.h"
#include "dns/wire/rr.h"

#define ZONE "example.com"
#define NOPRIO (-1)

/* ---- helpers ---- */

static char *hex_of(arena_t *a, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = arena_alloc(a, n * 2 + 1);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[n * 2] = '\0';
	return s;
}

static char *repeat(arena_t *a, char c, size_t n)
{
	char *s = arena_alloc(a, n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static int parse(arena_t *a, const char *type, const char *name, const char *content,
		 int64_t prio, rr_parsed_t *out, rr_error_t *err)
{
	rr_input_t in = { .origin = ZONE, .name = name, .type = rrtype_find(type),
			  .content = content, .has_priority = prio != NOPRIO, .priority = prio };
	memset(err, 0, sizeof(*err));
	return rr_parse(a, &in, out, err);
}

typedef struct ok_case {
	const char *type;
	const char *name;
	const char *content;
	int64_t prio;       /* NOPRIO: not given */
	const char *want;   /* normalized content */
	const char *hex;    /* wire rdata, NULL: not checked */
} ok_case_t;

typedef struct bad_case {
	const char *type;
	const char *name;
	const char *content;
	int64_t prio;
	const char *field;
} bad_case_t;

/* text -> wire -> text -> wire: content and rdata are stable. */
static void check_ok(arena_t *a, const ok_case_t *c)
{
	rr_parsed_t p;
	rr_error_t err;
	int ret = parse(a, c->type, c->name, c->content, c->prio, &p, &err);
	if (ret != ERR_OK) {
		print_error("%s %s [%s]: %s %s\n", c->type, c->name, c->content, err.field,
			    err.message);
	}
	assert_int_equal(ret, ERR_OK);
	if (strcmp(p.content, c->want) != 0) {
		print_error("%s [%s]: got [%s] want [%s]\n", c->type, c->content, p.content,
			    c->want);
	}
	assert_string_equal(p.content, c->want);
	const rrtype_t *t = rrtype_find(c->type);
	assert_int_equal(p.has_priority, (t->flags & RR_PRIO_FIELD) != 0);
	if (p.has_priority) {
		assert_int_equal(p.priority, c->prio == NOPRIO ? 0 : c->prio);
	}
	if (t->flags & RR_PSEUDO) {
		assert_null(p.rdata);
	} else {
		assert_non_null(p.rdata);
		if (c->hex != NULL) {
			assert_string_equal(hex_of(a, p.rdata, p.rdata_size), c->hex);
		}
		const char *content = NULL;
		bool has_prio = false;
		int64_t prio = -7;
		assert_int_equal(rr_format(a, ZONE, t, p.rdata, p.rdata_size, &content, &has_prio,
					   &prio), ERR_OK);
		assert_string_equal(content, c->want);
		assert_int_equal(has_prio, p.has_priority);
		if (has_prio) {
			assert_int_equal(prio, p.priority);
		}
	}
	rr_parsed_t q;
	ret = parse(a, c->type, c->name, p.content, p.has_priority ? p.priority : NOPRIO, &q,
		    &err);
	if (ret != ERR_OK) {
		print_error("re-parse %s [%s]: %s %s\n", c->type, p.content, err.field,
			    err.message);
	}
	assert_int_equal(ret, ERR_OK);
	assert_string_equal(q.content, p.content);
	assert_int_equal(q.rdata_size, p.rdata_size);
	if (p.rdata != NULL) {
		assert_memory_equal(q.rdata, p.rdata, p.rdata_size);
	}
}

static void check_bad(arena_t *a, const bad_case_t *c)
{
	rr_parsed_t p;
	rr_error_t err;
	int ret = parse(a, c->type, c->name, c->content, c->prio, &p, &err);
	if (ret != ERR_INVALID || err.field == NULL || strcmp(err.field, c->field) != 0) {
		print_error("%s %s [%s]: ret %d field %s (%s), want %s\n", c->type, c->name,
			    c->content, ret, err.field ? err.field : "-",
			    err.message ? err.message : "-", c->field);
	}
	assert_int_equal(ret, ERR_INVALID);
	assert_non_null(err.message);
	assert_string_equal(err.field, c->field);
}

static void run_ok(const ok_case_t *cases, size_t n)
{
	arena_t a;
	arena_init(&a, 0);
	for (size_t i = 0; i < n; i++) {
		check_ok(&a, &cases[i]);
		arena_reset(&a);
	}
	arena_clear(&a);
}

static void run_bad(const bad_case_t *cases, size_t n)
{
	arena_t a;
	arena_init(&a, 0);
	for (size_t i = 0; i < n; i++) {
		check_bad(&a, &cases[i]);
		arena_reset(&a);
	}
	arena_clear(&a);
}

#define RUN_OK(cases) run_ok(cases, sizeof(cases) / sizeof(cases[0]))
#define RUN_BAD(cases) run_bad(cases, sizeof(cases) / sizeof(cases[0]))

/* ---- the type table ---- */

static void test_table(void **state)
{
	static const char *const api[] = { "A", "AAAA", "ALIAS", "CAA", "CNAME", "DNSKEY",
					   "DS", "HINFO", "MX", "NAPTR", "NS", "POOL", "PTR",
					   "SOA", "SPF", "SRV", "SSHFP", "TXT", "URL" };
	size_t rows = 0;
	while (rrtype_row(rows) != NULL) {
		assert_true(rrtype_row(rows)->flags & RR_API);
		rows++;
	}
	assert_int_equal(rows, sizeof(api) / sizeof(api[0]));
	for (size_t i = 0; i < rows; i++) {
		const rrtype_t *t = rrtype_find(api[i]);
		assert_non_null(t);
		assert_string_equal(t->name, api[i]);
		assert_true(t->flags & RR_API);
		assert_ptr_equal(rrtype_by_code(t->code), t);
	}
	assert_int_equal(rrtype_find("SPF")->code, 99);
	assert_int_equal(rrtype_find("ALIAS")->code, 65401);
	assert_int_equal(rrtype_find("URL")->code, 65402);
	assert_int_equal(rrtype_find("POOL")->code, 65403);
	assert_int_equal(rrtype_find("MX")->flags, RR_API | RR_PRIO_FIELD);
	assert_int_equal(rrtype_find("SRV")->flags, RR_API | RR_PRIO_FIELD);
	assert_int_equal(rrtype_find("SOA")->flags, RR_API | RR_SYSTEM);
	assert_int_equal(rrtype_find("CNAME")->flags, RR_API | RR_NOT_APEX | RR_SINGLETON);
	assert_true(rrtype_find("ALIAS")->flags & RR_PSEUDO);
	assert_true(rrtype_find("URL")->flags & RR_PSEUDO);
	assert_true(rrtype_find("POOL")->flags & RR_PSEUDO);
	assert_non_null(rrtype_find("CAA")->check);

	/* case-insensitive, TYPEnnn, and rows for types without a table row */
	assert_ptr_equal(rrtype_find("mx"), rrtype_find("MX"));
	assert_ptr_equal(rrtype_find("TYPE15"), rrtype_find("MX"));
	assert_ptr_equal(rrtype_find("TYPE65401"), rrtype_find("ALIAS"));
	static const char *const others[] = { "HTTPS", "SVCB", "TLSA", "DNAME", "URI", "LOC",
					      "CERT", "SMIMEA", "OPENPGPKEY", "NSEC", "RRSIG",
					      "NSEC3", "CDS", "CDNSKEY", "ZONEMD", "CSYNC" };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		const rrtype_t *t = rrtype_find(others[i]);
		assert_non_null(t);
		assert_string_equal(t->name, others[i]);
		assert_int_equal(t->flags, 0);
		assert_null(t->check);
		assert_ptr_equal(rrtype_by_code(t->code), t);
	}
	assert_int_equal(rrtype_find("https")->code, 65);
	assert_ptr_equal(rrtype_find("https"), rrtype_find("TYPE65"));
	const rrtype_t *t = rrtype_find("TYPE65000");
	assert_non_null(t);
	assert_string_equal(t->name, "TYPE65000");
	assert_int_equal(t->code, 65000);
	assert_int_equal(t->flags, 0);
	assert_ptr_equal(rrtype_by_code(65000), t);

	static const char *const refused[] = { "OPT", "ANY", "AXFR", "IXFR", "TSIG", "TKEY",
					       "NULL", "TYPE0", "TYPE255", "TYPE128",
					       "TYPE65535", "TYPE65536", "FOO", "", "A A" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (rrtype_find(refused[i]) != NULL) {
			print_error("%s should be refused\n", refused[i]);
		}
		assert_null(rrtype_find(refused[i]));
	}
	assert_null(rrtype_find(NULL));
	assert_null(rrtype_by_code(0));
	assert_null(rrtype_by_code(41));
}

/* ---- DNSimple's types ---- */

static void test_a_aaaa(void **state)
{
	static const ok_case_t ok[] = {
		{ "A", "", "1.2.3.4", NOPRIO, "1.2.3.4", "01020304" },
		{ "A", "www", " 10.0.0.1 ", NOPRIO, "10.0.0.1", "0a000001" },
		{ "A", "*", "0.0.0.0", NOPRIO, "0.0.0.0", "00000000" },
		{ "A", "x", "127.0.0.1", 0, "127.0.0.1", "7f000001" }, /* priority 0 ignored */
		{ "A", "x", "\\# 4 0a000002", NOPRIO, "10.0.0.2", "0a000002" }, /* RFC 3597 */
		{ "AAAA", "", "2001:db8::1", NOPRIO, "2001:db8::1",
		  "20010db8000000000000000000000001" },
		{ "AAAA", "v6", "2001:DB8:0:0:0:0:0:A", NOPRIO, "2001:db8::a", NULL },
		{ "AAAA", "v6", "::ffff:1.2.3.4", NOPRIO, "::ffff:1.2.3.4",
		  "00000000000000000000ffff01020304" },
		{ "AAAA", "v6", "::", NOPRIO, "::", "00000000000000000000000000000000" },
	};
	static const bad_case_t bad[] = {
		{ "A", "", "1.2.3", NOPRIO, "content" },
		{ "A", "", "1.2.3.4.5", NOPRIO, "content" },
		{ "A", "", "256.1.1.1", NOPRIO, "content" },
		{ "A", "", "example.com", NOPRIO, "content" },
		{ "A", "", "1.2.3.4 5.6.7.8", NOPRIO, "content" },
		{ "A", "", "1.2.3.4 ; comment", NOPRIO, "content" },
		{ "A", "", "1.2.3.4;x", NOPRIO, "content" },
		{ "A", "", "1.2.3.4\n1.2.3.5", NOPRIO, "content" },
		{ "A", "", "1.2.3.4\r", NOPRIO, "content" },
		{ "A", "", "", NOPRIO, "content" },
		{ "A", "", "   ", NOPRIO, "content" },
		{ "A", "", "::1", NOPRIO, "content" },
		{ "A", "", "1.2.3.4 )", NOPRIO, "content" },
		{ "A", "", "( 1.2.3.4", NOPRIO, "content" },
		{ "A", "", "1.2.3.4", 10, "priority" },
		{ "A", "", "1.2.3.4", -1 - 1, "priority" },
		{ "A", "a..b", "1.2.3.4", NOPRIO, "name" },
		{ "A", "www.", "1.2.3.4", NOPRIO, "name" },
		{ "A", "bad name", "1.2.3.4", NOPRIO, "name" },
		{ "AAAA", "", "1.2.3.4", NOPRIO, "content" },
		{ "AAAA", "", "2001:db8::g", NOPRIO, "content" },
		{ "AAAA", "", "2001:db8:::1", NOPRIO, "content" },
		{ "AAAA", "", "2001:db8::1 ::2", NOPRIO, "content" },
		{ "NOPE", "", "1.2.3.4", NOPRIO, "type" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
}

static void test_names_in_content(void **state)
{
	static const ok_case_t ok[] = {
		{ "CNAME", "www", "example.com", NOPRIO, "example.com",
		  "076578616d706c6503636f6d00" },
		{ "CNAME", "www", "example.com.", NOPRIO, "example.com",
		  "076578616d706c6503636f6d00" },
		{ "CNAME", "www", "@", NOPRIO, "example.com", "076578616d706c6503636f6d00" },
		{ "CNAME", "www", "Host.Example.NET", NOPRIO, "Host.Example.NET", NULL },
		{ "CNAME", "www", "mail", NOPRIO, "mail", "046d61696c00" }, /* absolute */
		{ "CNAME", "www", "a\\.b.example.com", NOPRIO, "a\\.b.example.com", NULL },
		{ "CNAME", "www", "a\\@b.example.com", NOPRIO, "a\\@b.example.com", NULL },
		{ "CNAME", "www", "\\@", NOPRIO, "\\@", "014000" },
		{ "CNAME", "www", "_acme.example.com", NOPRIO, "_acme.example.com", NULL },
		{ "CNAME", "www", "caf\xc3\xa9.example", NOPRIO, "caf\\195\\169.example", NULL },
		{ "NS", "sub", "ns1.dnsimple.com", NOPRIO, "ns1.dnsimple.com", NULL },
		{ "NS", "", "ns2.dnsimple.com.", NOPRIO, "ns2.dnsimple.com", NULL },
		{ "PTR", "4", "host.example.com", NOPRIO, "host.example.com",
		  "04686f7374076578616d706c6503636f6d00" },
		{ "DNAME", "sub", "example.net", NOPRIO, "example.net",
		  "076578616d706c65036e657400" },
	};
	static const bad_case_t bad[] = {
		{ "CNAME", "www", "a b", NOPRIO, "content" },
		{ "CNAME", "www", "a..b", NOPRIO, "content" },
		{ "CNAME", "www", "\"quoted\"", NOPRIO, "content" },
		{ "CNAME", "www", "a(b", NOPRIO, "content" },
		{ "CNAME", "www", "x\\", NOPRIO, "content" },
		{ "CNAME", "www", "", NOPRIO, "content" },
		{ "CNAME", "www", "example.com", 5, "priority" },
		{ "NS", "sub", "ns1 ns2", NOPRIO, "content" },
		{ "PTR", "4", "1.2.3.4 x", NOPRIO, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
	arena_t a;
	arena_init(&a, 0);
	char *big = repeat(&a, 'a', 64);
	rr_parsed_t p;
	rr_error_t err;
	assert_int_equal(parse(&a, "CNAME", "www", big, NOPRIO, &p, &err), ERR_INVALID);
	assert_string_equal(err.field, "content");
	assert_non_null(strstr(err.message, "CNAME"));
	arena_clear(&a);
}

static void test_mx_srv(void **state)
{
	static const ok_case_t ok[] = {
		{ "MX", "", "mx.example.com", 10, "mx.example.com",
		  "000a026d78076578616d706c6503636f6d00" },
		{ "MX", "", "mx.example.com.", 0, "mx.example.com",
		  "0000026d78076578616d706c6503636f6d00" },
		{ "MX", "", "mxa.example.com", NOPRIO, "mxa.example.com", NULL }, /* default 0 */
		{ "MX", "", ".", 0, ".", "000000" },                            /* RFC 7505 */
		{ "MX", "sub", "@", 65535, "example.com", "ffff076578616d706c6503636f6d00" },
		{ "SRV", "_sip._tcp", "0 5060 sip.example.com", 10, "0 5060 sip.example.com",
		  "000a000013c403736970076578616d706c6503636f6d00" },
		{ "SRV", "_xmpp._tcp", "5 443 .", 0, "5 443 .", "0000000501bb00" },
		{ "SRV", "_h._udp", "65535 65535 h.example.net.", 1, "65535 65535 h.example.net",
		  NULL },
	};
	static const bad_case_t bad[] = {
		{ "MX", "", "mx.example.com", -1 - 1, "priority" },
		{ "MX", "", "mx.example.com", 65536, "priority" },
		{ "MX", "", "10 mx.example.com", 10, "content" },
		{ "MX", "", "", 10, "content" },
		{ "MX", "", "mx1 mx2", 10, "content" },
		{ "SRV", "_sip._tcp", "5060 sip.example.com", 10, "content" },
		{ "SRV", "_sip._tcp", "0 70000 sip.example.com", 10, "content" },
		{ "SRV", "_sip._tcp", "0 5060 sip.example.com", 70000, "priority" },
		{ "SRV", "_sip._tcp", "0 5060", 1, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
}

static void test_soa(void **state)
{
	static const ok_case_t ok[] = {
		{ "SOA", "", "ns1.dnsimple.com admin.dnsimple.com 1458642070 86400 7200 604800 300",
		  NOPRIO, "ns1.dnsimple.com admin.dnsimple.com 1458642070 86400 7200 604800 300",
		  "036e733108646e73696d706c6503636f6d000561646d696e08646e73696d706c6503636f6d"
		  "0056f11c960001518000001c2000093a800000012c" },
		{ "SOA", "", "ns1.dnsimple.com. admin.dnsimple.com. 1 1d 2h 1w 5m", NOPRIO,
		  "ns1.dnsimple.com admin.dnsimple.com 1 86400 7200 604800 300", NULL },
	};
	static const bad_case_t bad[] = {
		{ "SOA", "", "ns1.dnsimple.com admin.dnsimple.com 1", NOPRIO, "content" },
		{ "SOA", "", "ns1.dnsimple.com", NOPRIO, "content" },
		{ "SOA", "", "ns1 admin 1 2 3 4 5 6", NOPRIO, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
}

static void test_txt_spf(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	const char *x300 = repeat(&a, 'x', 300);
	const char *q300 = arena_printf(&a, "\"%s\"", x300);
	const char *split = arena_printf(&a, "\"%s\" \"%s\"", repeat(&a, 'x', 255),
					 repeat(&a, 'x', 45));
	const ok_case_t ok[] = {
		{ "TXT", "", "v=spf1 -all", NOPRIO, "\"v=spf1 -all\"", "0b763d73706631202d616c6c" },
		{ "TXT", "", "\"v=spf1 -all\"", NOPRIO, "\"v=spf1 -all\"",
		  "0b763d73706631202d616c6c" },
		{ "TXT", "", "\"a\" \"b\"", NOPRIO, "\"a\" \"b\"", "01610162" },
		{ "TXT", "", "\"a\"   \"b\"", NOPRIO, "\"a\" \"b\"", "01610162" },
		{ "TXT", "", "  \"a\"  ", NOPRIO, "\"a\"", "0161" },
		{ "TXT", "", "\"a\" b", NOPRIO, "\"\\\"a\\\" b\"", "052261222062" },
		{ "TXT", "", "say \"hi\"", NOPRIO, "\"say \\\"hi\\\"\"", NULL },
		{ "TXT", "", "back\\slash", NOPRIO, "\"back\\\\slash\"", "0a6261636b5c736c617368" },
		{ "TXT", "", "a;b", NOPRIO, "\"a;b\"", "03613b62" },
		{ "TXT", "", "\"a;b\"", NOPRIO, "\"a;b\"", "03613b62" },
		{ "TXT", "", " lead and trail ", NOPRIO, "\" lead and trail \"", NULL },
		{ "TXT", "", "\"\"", NOPRIO, "\"\"", "00" },
		{ "TXT", "", "\xc3\xa9t\xc3\xa9", NOPRIO, "\"\\195\\169t\\195\\169\"",
		  "05c3a974c3a9" },
		{ "TXT", "", "\"\xc3\xa9\"", NOPRIO, "\"\\195\\169\"", "02c3a9" },
		{ "TXT", "", "\"\\195\\169\"", NOPRIO, "\"\\195\\169\"", "02c3a9" },
		{ "TXT", "", "\"tab\there\"", NOPRIO, "\"tab\\009here\"", NULL },
		{ "TXT", "_dmarc", "v=DMARC1; p=none; rua=mailto:d@example.com", NOPRIO,
		  "\"v=DMARC1; p=none; rua=mailto:d@example.com\"", NULL },
		{ "TXT", "", "@", NOPRIO, "\"@\"", "0140" },
		{ "TXT", "", "\"@\" @", NOPRIO, "\"\\\"@\\\" @\"", NULL },
		{ "TXT", "", "\"a\" @ \"b\"", NOPRIO, "\"a\" \"@\" \"b\"", "016101400162" },
		{ "TXT", "", x300, NOPRIO, split, NULL },
		{ "TXT", "", q300, NOPRIO, split, NULL },
		{ "SPF", "", "v=spf1 include:_spf.example.com ~all", NOPRIO,
		  "\"v=spf1 include:_spf.example.com ~all\"", NULL },
		{ "SPF", "", "\"v=spf1\" \" -all\"", NOPRIO, "\"v=spf1\" \" -all\"", NULL },
	};
	const bad_case_t bad[] = {
		{ "TXT", "", "\"a\" ; \"b\"", NOPRIO, "content" },
		{ "TXT", "", "\"a\\\"", NOPRIO, "content" },
		{ "TXT", "", "", NOPRIO, "content" },
		{ "TXT", "", "a\nb", NOPRIO, "content" },
		{ "TXT", "", "x", 1, "priority" },
		{ "SPF", "", " ", NOPRIO, "content" },
	};
	run_ok(ok, sizeof(ok) / sizeof(ok[0]));
	run_bad(bad, sizeof(bad) / sizeof(bad[0]));

	/* 300 bytes split 255 + 45 on the wire */
	rr_parsed_t p;
	rr_error_t err;
	assert_int_equal(parse(&a, "TXT", "", x300, NOPRIO, &p, &err), ERR_OK);
	assert_int_equal(p.rdata_size, 302);
	assert_int_equal(p.rdata[0], 255);
	assert_int_equal(p.rdata[256], 45);
	/* too long for one rdata */
	const char *huge = repeat(&a, 'y', 65300);
	assert_int_equal(parse(&a, "TXT", "", huge, NOPRIO, &p, &err), ERR_INVALID);
	assert_string_equal(err.field, "content");
	arena_clear(&a);
}

static void test_caa(void **state)
{
	static const ok_case_t ok[] = {
		{ "CAA", "", "0 issue \"letsencrypt.org\"", NOPRIO, "0 issue \"letsencrypt.org\"",
		  "000569737375656c657473656e63727970742e6f7267" },
		{ "CAA", "", "0 issue letsencrypt.org", NOPRIO, "0 issue \"letsencrypt.org\"",
		  NULL },
		{ "CAA", "", "128 issuewild \";\"", NOPRIO, "128 issuewild \";\"",
		  "8009697373756577696c643b" },
		{ "CAA", "", "0 iodef \"mailto:security@example.com\"", NOPRIO,
		  "0 iodef \"mailto:security@example.com\"", NULL },
		{ "CAA", "", "0 iodef \"https://iodef.example.com/\"", NOPRIO,
		  "0 iodef \"https://iodef.example.com/\"", NULL },
		{ "CAA", "", "0 issuemail \"ca.example.net\"", NOPRIO,
		  "0 issuemail \"ca.example.net\"", NULL },
		{ "CAA", "", "0 issuevmc \"ca.example.net\"", NOPRIO,
		  "0 issuevmc \"ca.example.net\"", NULL },
		{ "CAA", "", "0 issue \"ca.example.net; account=123\"", NOPRIO,
		  "0 issue \"ca.example.net; account=123\"", NULL },
	};
	static const bad_case_t bad[] = {
		{ "CAA", "", "1 issue \"letsencrypt.org\"", NOPRIO, "content" },
		{ "CAA", "", "255 issue \"letsencrypt.org\"", NOPRIO, "content" },
		{ "CAA", "", "0 ISSUE \"letsencrypt.org\"", NOPRIO, "content" },
		{ "CAA", "", "0 foo \"bar\"", NOPRIO, "content" },
		{ "CAA", "", "0 iodef \"ftp://example.com\"", NOPRIO, "content" },
		{ "CAA", "", "0 issue letsencrypt.org; x", NOPRIO, "content" },
		{ "CAA", "", "0", NOPRIO, "content" },
		{ "CAA", "", "0 is-sue \"x\"", NOPRIO, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
}

static void test_dnssec_and_friends(void **state)
{
	static const ok_case_t ok[] = {
		{ "DNSKEY", "", "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
				"KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==", NOPRIO,
		  "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
		  "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==", NULL },
		{ "DNSKEY", "", "256 3 8 AwEAAQ==", NOPRIO, "256 3 8 AwEAAQ==",
		  "0100030803010001" },
		{ "DS", "", "12345 13 2 49fd46e6c4b45c55d4ac49fd46e6c4b45c55d4ac49fd46e6c4b45c55"
			    "d4ac49fd", NOPRIO,
		  "12345 13 2 49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD",
		  "30390d0249fd46e6c4b45c55d4ac49fd46e6c4b45c55d4ac49fd46e6c4b45c55d4ac49fd" },
		{ "SSHFP", "", "1 1 123456789abcdef67890123456789abcdef67890", NOPRIO,
		  "1 1 123456789ABCDEF67890123456789ABCDEF67890",
		  "0101123456789abcdef67890123456789abcdef67890" },
		{ "SSHFP", "", "4 2 ABCD", NOPRIO, "4 2 ABCD", "0402abcd" },
		{ "HINFO", "", "\"Intel\" \"Linux\"", NOPRIO, "\"Intel\" \"Linux\"",
		  "05496e74656c054c696e7578" },
		{ "HINFO", "", "PC Linux", NOPRIO, "\"PC\" \"Linux\"", NULL },
		{ "NAPTR", "", "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", NOPRIO,
		  "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", NULL },
		{ "NAPTR", "", "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com", NOPRIO,
		  "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com",
		  "0064000a0153075349502b44325500045f736970045f756470"
		  "076578616d706c6503636f6d00" },
	};
	static const bad_case_t bad[] = {
		{ "DNSKEY", "", "257 3 13 !!!!", NOPRIO, "content" },
		{ "DNSKEY", "", "257 3", NOPRIO, "content" },
		{ "DNSKEY", "", "70000 3 13 AwEAAQ==", NOPRIO, "content" },
		{ "DS", "", "12345 13 2 XYZ", NOPRIO, "content" },
		{ "DS", "", "12345", NOPRIO, "content" },
		{ "SSHFP", "", "1 1 xyz", NOPRIO, "content" },
		{ "SSHFP", "", "1", NOPRIO, "content" },
		{ "HINFO", "", "\"a\"", NOPRIO, "content" },
		{ "HINFO", "", "a b c", NOPRIO, "content" },
		{ "NAPTR", "", "100 10 \"u\"", NOPRIO, "content" },
		{ "NAPTR", "", "100 10 \"u\" \"E2U+sip\" \"x\" . extra", NOPRIO, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
}

static void test_pseudo(void **state)
{
	static const ok_case_t ok[] = {
		{ "ALIAS", "", "example.net", NOPRIO, "example.net", NULL },
		{ "ALIAS", "", "example.net.", NOPRIO, "example.net", NULL },
		{ "ALIAS", "www", "  target.Example.NET  ", NOPRIO, "target.Example.NET", NULL },
		{ "ALIAS", "www", "@", NOPRIO, "example.com", NULL },
		{ "POOL", "pool", "members.example.net", NOPRIO, "members.example.net", NULL },
		{ "URL", "", "https://example.com/path?a=1;b=2#frag", NOPRIO,
		  "https://example.com/path?a=1;b=2#frag", NULL },
		{ "URL", "www", "http://example.com", NOPRIO, "http://example.com", NULL },
		{ "URL", "www", "example.com/path", NOPRIO, "example.com/path", NULL },
		{ "URL", "www", "example.com", NOPRIO, "example.com", NULL },
		{ "URL", "www", " HTTPS://Example.com:8443/x ", NOPRIO,
		  "HTTPS://Example.com:8443/x", NULL },
		{ "URL", "www", "http://[2001:db8::1]:8080/", NOPRIO, "http://[2001:db8::1]:8080/",
		  NULL },
		{ "URL", "www", "http://192.0.2.1/%20x", NOPRIO, "http://192.0.2.1/%20x", NULL },
	};
	static const bad_case_t bad[] = {
		{ "ALIAS", "", "", NOPRIO, "content" },
		{ "ALIAS", "", ".", NOPRIO, "content" },
		{ "ALIAS", "", "*.example.net", NOPRIO, "content" },
		{ "ALIAS", "", "exa mple.net", NOPRIO, "content" },
		{ "ALIAS", "", "a..b", NOPRIO, "content" },
		{ "ALIAS", "", "example.net", 10, "priority" },
		{ "POOL", "", "a b", NOPRIO, "content" },
		{ "URL", "", "ftp://example.com", NOPRIO, "content" },
		{ "URL", "", "https://", NOPRIO, "content" },
		{ "URL", "", "https:///path", NOPRIO, "content" },
		{ "URL", "", "https://exa mple.com", NOPRIO, "content" },
		{ "URL", "", "https://user:pw@example.com", NOPRIO, "content" },
		{ "URL", "", "https://example.com:99999", NOPRIO, "content" },
		{ "URL", "", "https://example.com:", NOPRIO, "content" },
		{ "URL", "", "https://example.com/\"x", NOPRIO, "content" },
		{ "URL", "", "https://bad..com", NOPRIO, "content" },
		{ "URL", "", "https://[zz::1]/", NOPRIO, "content" },
		{ "URL", "", "https://ex\xc3\xa9.com", NOPRIO, "content" },
		{ "URL", "", "", NOPRIO, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
	/* no wire form */
	arena_t a;
	arena_init(&a, 0);
	const char *c;
	bool hp;
	int64_t pr;
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("ALIAS"), NULL, 0, &c, &hp, &pr),
			 ERR_INVAL_ARG);
	assert_int_equal(rr_format(&a, ZONE, NULL, NULL, 0, &c, &hp, &pr), ERR_INVAL_ARG);
	arena_clear(&a);
}

/* ---- types without a row ---- */

static void test_other_types(void **state)
{
	static const ok_case_t ok[] = {
		{ "HTTPS", "", "1 . alpn=h2,h3 ipv4hint=1.2.3.4", NOPRIO,
		  "1 . alpn=h2,h3 ipv4hint=1.2.3.4",
		  "000100000100060268320268330004000401020304" },
		{ "HTTPS", "", "1 . port=8443 alpn=h2", NOPRIO, "1 . alpn=h2 port=8443", NULL },
		{ "HTTPS", "www", "0 cdn.example.net.", NOPRIO, "0 cdn.example.net", NULL },
		{ "SVCB", "_dns", "1 svc.example.net mandatory=alpn alpn=h2 port=8443", NOPRIO,
		  "1 svc.example.net mandatory=alpn alpn=h2 port=8443", NULL },
		{ "TLSA", "_443._tcp", "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef"
				       "0123456789abcdef", NOPRIO,
		  "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
		  "0301010123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
		{ "DNAME", "old", "new.example.com", NOPRIO, "new.example.com", NULL },
		{ "URI", "_http._tcp", "10 1 \"https://example.com/\"", NOPRIO,
		  "10 1 \"https://example.com/\"",
		  "000a000168747470733a2f2f6578616d706c652e636f6d2f" },
		{ "LOC", "", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", NOPRIO,
		  "52 22 23 N 4 53 32 E -2m 0m 10000m 10m", "000016138b3cf018810cbce0009895b8" },
		{ "CERT", "", "PKIX 1 RSASHA256 AAAA", NOPRIO, "1 1 8 AAAA", "0001000108000000" },
		{ "SMIMEA", "x._smimecert", "3 1 1 abcd", NOPRIO, "3 1 1 ABCD", "030101abcd" },
		{ "OPENPGPKEY", "x._openpgpkey", "dGVzdA==", NOPRIO, "dGVzdA==", "74657374" },
		{ "NSEC", "", "next.example.com. A MX RRSIG NSEC", NOPRIO,
		  "next.example.com A MX RRSIG NSEC", NULL },
		{ "CDS", "", "0 0 0 00", NOPRIO, "0 0 0 00", "0000000000" },
		{ "TYPE65000", "", "\\# 2 abcd", NOPRIO, "\\# 2 ABCD", "abcd" },
		{ "TYPE65000", "x", "\\# 0", NOPRIO, "\\# 0", "" },
		{ "type65000", "x", "\\# 3 ab cd ef", NOPRIO, "\\# 3 ABCDEF", "abcdef" },
	};
	static const bad_case_t bad[] = {
		{ "HTTPS", "", "1 . alpn=h2 alpn=h3", NOPRIO, "content" },
		{ "HTTPS", "", "1 . mandatory=port", NOPRIO, "content" },
		{ "HTTPS", "", "1 . bogus=1", NOPRIO, "content" },
		{ "SVCB", "", "x", NOPRIO, "content" },
		{ "TLSA", "", "3 1 1 xyz", NOPRIO, "content" },
		{ "LOC", "", "99 N", NOPRIO, "content" },
		{ "URI", "", "10 1", NOPRIO, "content" },
		{ "TYPE65000", "", "\\# 3 abcd", NOPRIO, "content" },
		{ "TYPE65000", "", "abcd", NOPRIO, "content" },
		{ "TYPE65000", "", "\\# 2 abcd", 5, "priority" },
		/* RFC 3597 data must still fit the type (found by fuzz_rdata) */
		{ "NS", "", "\\# 2 cabd", NOPRIO, "content" },
		{ "NS", "", "\\# 2 c00c", NOPRIO, "content" }, /* compression pointer */
		{ "A", "", "\\# 3 010203", NOPRIO, "content" },
		{ "MX", "", "\\# 1 00", NOPRIO, "content" },
		{ "SOA", "", "\\# 1 00", NOPRIO, "content" },
	};
	RUN_OK(ok);
	RUN_BAD(bad);
}

/* Wire rdata from elsewhere (a zone file, AXFR) formats as rr_parse() would write it. */
static void test_format_wire(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	const char *c = NULL;
	bool hp = false;
	int64_t pr = 0;
	static const uint8_t mx[] = { 0, 20, 2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				      3, 'c', 'o', 'm', 0 };
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("MX"), mx, sizeof(mx), &c, &hp, &pr),
			 ERR_OK);
	assert_string_equal(c, "mx.example.com");
	assert_true(hp);
	assert_int_equal(pr, 20);
	static const uint8_t txt[] = { 3, 'a', '"', 'b', 0, 2, 0xc3, 0xa9 };
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("TXT"), txt, sizeof(txt), &c, &hp,
				   &pr), ERR_OK);
	assert_string_equal(c, "\"a\\\"b\" \"\" \"\\195\\169\"");
	assert_false(hp);
	/* malformed */
	static const uint8_t bad_a[] = { 1, 2, 3 };
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("A"), bad_a, sizeof(bad_a), &c, &hp,
				   &pr), ERR_PARSE);
	static const uint8_t bad_txt[] = { 5, 'a' };
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("TXT"), bad_txt, sizeof(bad_txt), &c,
				   &hp, &pr), ERR_PARSE);
	static const uint8_t ptr_ns[] = { 0xc0, 0x0c };
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("NS"), ptr_ns, sizeof(ptr_ns), &c, &hp,
				   &pr), ERR_PARSE);
	static const uint8_t bad_mx[] = { 0 };
	assert_int_equal(rr_format(&a, ZONE, rrtype_find("MX"), bad_mx, sizeof(bad_mx), &c, &hp,
				   &pr), ERR_PARSE);
	/* a full NSEC bitmap prints far wider than 4 chars a byte */
	uint8_t nsec[3 + 256 * 34];
	size_t n = 0;
	nsec[n++] = 1;
	nsec[n++] = 'a';
	nsec[n++] = 0;
	for (int w = 0; w < 256; w++) {
		nsec[n++] = (uint8_t)w;
		nsec[n++] = 32;
		memset(nsec + n, 0xff, 32);
		n += 32;
	}
	int ret = rr_format(&a, ZONE, rrtype_find("NSEC"), nsec, (uint16_t)n, &c, &hp, &pr);
	assert_int_equal(ret, ERR_OK);
	assert_true(strlen(c) > 100000);
	/* the arena budget is honoured */
	arena_t small;
	arena_init(&small, 256);
	ret = rr_format(&small, ZONE, rrtype_find("NSEC"), nsec, (uint16_t)n, &c, &hp, &pr);
	assert_int_equal(ret, ERR_TOOBIG);
	rr_parsed_t p;
	rr_error_t err;
	rr_input_t in = { .origin = ZONE, .name = "", .type = rrtype_find("TXT"),
			  .content = repeat(&a, 'z', 4000) };
	assert_int_equal(rr_parse(&small, &in, &p, &err), ERR_TOOBIG);
	arena_clear(&small);
	arena_clear(&a);
}

/* ---- owners ---- */

static void test_owner(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	static const struct {
		const char *origin, *name, *fqdn;
	} ok[] = {
		{ ZONE, "", "example.com" },
		{ ZONE, "@", "example.com" },
		{ ZONE, NULL, "example.com" },
		{ "example.com.", "www", "www.example.com" },
		{ ZONE, "*", "*.example.com" },
		{ ZONE, "*.sub", "*.sub.example.com" },
		{ ZONE, "_dmarc", "_dmarc.example.com" },
		{ ZONE, "_sip._tcp", "_sip._tcp.example.com" },
		{ ZONE, "a-b.c_d", "a-b.c_d.example.com" },
		{ ZONE, "WWW", "WWW.example.com" },
		{ ZONE, "www.example.com", "www.example.com.example.com" }, /* DNSimple's rule */
		{ ZONE, "4", "4.example.com" },
		{ "3.2.1.in-addr.arpa", "4", "4.3.2.1.in-addr.arpa" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *fqdn = NULL;
		const char *msg = rr_owner(&a, ok[i].origin, ok[i].name, &fqdn);
		if (msg != NULL) {
			print_error("%s: %s\n", ok[i].name, msg);
		}
		assert_null(msg);
		assert_string_equal(fqdn, ok[i].fqdn);
	}
	char *l63 = repeat(&a, 'a', 63);
	char *l64 = repeat(&a, 'a', 64);
	/* 63 + 1 + 63 + 1 + 63 + 1 + 49 + 1 + 11 = 253 */
	char *fits = arena_printf(&a, "%s.%s.%s.%s", l63, l63, l63, repeat(&a, 'b', 49));
	char *over = arena_printf(&a, "%s.%s.%s.%s", l63, l63, l63, repeat(&a, 'b', 50));
	const char *fqdn = NULL;
	assert_null(rr_owner(&a, ZONE, l63, &fqdn));
	assert_null(rr_owner(&a, ZONE, fits, &fqdn));
	assert_int_equal(strlen(fqdn), 253);
	static const char *const bad[] = { "www.", ".www", "a..b", "a.*", "*a", "a*", "*.*",
					   "sp ace", "caf\xc3\xa9", "a/b", "a@b", "\t", "." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rr_owner(&a, ZONE, bad[i], &fqdn) == NULL) {
			print_error("[%s] should be refused\n", bad[i]);
		}
		assert_non_null(rr_owner(&a, ZONE, bad[i], &fqdn));
	}
	assert_non_null(rr_owner(&a, ZONE, l64, &fqdn));
	assert_non_null(rr_owner(&a, ZONE, over, &fqdn));
	assert_non_null(rr_owner(&a, "", "www", &fqdn));
	assert_non_null(rr_owner(&a, NULL, "www", &fqdn));
	assert_non_null(rr_owner(&a, "bad zone", "www", &fqdn));
	assert_non_null(rr_owner(&a, "a..b", "www", &fqdn));
	arena_clear(&a);
}

/* ---- zone files ---- */

static const char *line_of(arena_t *a, const char *type, const char *name, uint32_t ttl,
			   const char *content, int64_t prio)
{
	rr_parsed_t p;
	rr_error_t err;
	assert_int_equal(parse(a, type, name, content, prio, &p, &err), ERR_OK);
	const char *line = NULL;
	assert_int_equal(rr_zonefile_line(a, ZONE, name, ttl, rrtype_find(type), p.rdata,
					  p.rdata_size, p.content, &line), ERR_OK);
	return line;
}

static void test_zonefile_line(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	/* the lines of fixtures/v2/api/getZoneFile/success.http */
	assert_string_equal(line_of(&a, "SOA", "", 3600, "ns1.dnsimple.com admin.dnsimple.com "
				    "1453132552 86400 7200 604800 300", NOPRIO),
			    "example.com. 3600 IN SOA ns1.dnsimple.com. admin.dnsimple.com. "
			    "1453132552 86400 7200 604800 300");
	assert_string_equal(line_of(&a, "NS", "", 3600, "ns1.dnsimple.com", NOPRIO),
			    "example.com. 3600 IN NS ns1.dnsimple.com.");
	assert_string_equal(line_of(&a, "MX", "www", 3600, "mx.example.com", 10),
			    "www.example.com. 3600 IN MX 10 mx.example.com.");
	assert_string_equal(line_of(&a, "SRV", "_sip._tcp", 60, "0 5060 sip.example.com", 10),
			    "_sip._tcp.example.com. 60 IN SRV 10 0 5060 sip.example.com.");
	assert_string_equal(line_of(&a, "TXT", "", 300, "v=spf1 -all", NOPRIO),
			    "example.com. 300 IN TXT \"v=spf1 -all\"");
	assert_string_equal(line_of(&a, "CAA", "", 300, "0 issue \"letsencrypt.org\"", NOPRIO),
			    "example.com. 300 IN CAA 0 issue \"letsencrypt.org\"");
	assert_string_equal(line_of(&a, "ALIAS", "", 3600, "target.example.net", NOPRIO),
			    "example.com. 3600 IN ALIAS target.example.net.");
	assert_string_equal(line_of(&a, "POOL", "p", 3600, "pool.example.net", NOPRIO),
			    "p.example.com. 3600 IN POOL pool.example.net.");
	assert_string_equal(line_of(&a, "URL", "www", 60, "https://example.com/?a=1;b=2",
				    NOPRIO),
			    "www.example.com. 60 IN URL \"https://example.com/?a=1;b=2\"");
	assert_string_equal(line_of(&a, "TYPE65000", "x", 1, "\\# 2 abcd", NOPRIO),
			    "x.example.com. 1 IN TYPE65000 \\# 2 ABCD");
	assert_string_equal(line_of(&a, "HTTPS", "", 300, "1 . alpn=h2", NOPRIO),
			    "example.com. 300 IN HTTPS 1 . alpn=h2");
	const char *line = NULL;
	assert_int_equal(rr_zonefile_line(&a, ZONE, "bad name", 1, rrtype_find("A"),
					  (const uint8_t *)"\1\2\3\4", 4, NULL, &line),
			 ERR_INVAL_ARG);
	assert_int_equal(rr_zonefile_line(&a, ZONE, "", 1, rrtype_find("ALIAS"), NULL, 0, NULL,
					  &line), ERR_INVAL_ARG);
	assert_int_equal(rr_zonefile_line(&a, ZONE, "", 1, rrtype_find("A"),
					  (const uint8_t *)"\1\2\3", 3, NULL, &line), ERR_PARSE);
	arena_clear(&a);
}

typedef struct scanned {
	size_t count;
	char owners[16][64];
	uint16_t types[16];
	uint32_t ttls[16];
	uint8_t rdata[16][64];
	uint16_t sizes[16];
} scanned_t;

static int scan_all(const char *text, size_t len, scanned_t *out)
{
	zs_scanner_t *s = malloc(sizeof(*s));
	memset(out, 0, sizeof(*out));
	int ret = zs_init(s, ZONE, 1, 7200);
	ret |= zs_set_input_string(s, text, len);
	while (ret == 0 && zs_parse_record(s) == 0) {
		if (s->state == ZS_STATE_EOF) {
			break;
		}
		if (s->state != ZS_STATE_DATA || out->count == 16) {
			print_error("scan: %s line %lu\n", zs_strerror(s->error.code),
				    (unsigned long)s->line_counter);
			ret = -1;
			break;
		}
		size_t i = out->count++;
		char *o = out->owners[i];
		size_t n = 0;
		for (size_t k = 0; s->r_owner[k] != 0; k += s->r_owner[k] + 1) {
			memcpy(o + n, s->r_owner + k + 1, s->r_owner[k]);
			n += s->r_owner[k];
			o[n++] = '.';
		}
		o[n] = '\0';
		out->types[i] = s->r_type;
		out->ttls[i] = s->r_ttl;
		out->sizes[i] = (uint16_t)s->r_data_length;
		memcpy(out->rdata[i], s->r_data, s->r_data_length < 64 ? s->r_data_length : 64);
	}
	zs_deinit(s);
	free(s);
	return ret;
}

/* Export lines, take the pseudo-records out again, and scan the rest. */
static void test_zonefile_roundtrip(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	const char *lines[] = {
		line_of(&a, "SOA", "", 3600, "ns1.dnsimple.com admin.dnsimple.com 1 2 3 4 5",
			NOPRIO),
		line_of(&a, "ALIAS", "", 3600, "target.example.net", NOPRIO),
		line_of(&a, "MX", "", 600, "mx.example.com", 10),
		line_of(&a, "URL", "www", 60, "https://example.com/?a=1;b=2", NOPRIO),
		line_of(&a, "TXT", "www", 60, "say \"hi\"; bye", NOPRIO),
		line_of(&a, "POOL", "p", 30, "pool.example.net", NOPRIO),
	};
	const char *text = arena_printf(&a, "$ORIGIN example.com.\n$TTL 1h\n%s\n%s\n%s\n%s\n%s\n"
					"%s\n", lines[0], lines[1], lines[2], lines[3], lines[4],
					lines[5]);
	rr_zonefile_split_t sp;
	rr_error_t err = { 0 };
	assert_int_equal(rr_zonefile_split_pseudo(&a, ZONE, text, strlen(text), &sp, &err),
			 ERR_OK);
	assert_int_equal(sp.count, 3);
	assert_string_equal(sp.rrs[0].name, "");
	assert_ptr_equal(sp.rrs[0].type, rrtype_find("ALIAS"));
	assert_string_equal(sp.rrs[0].content, "target.example.net");
	assert_int_equal(sp.rrs[0].line, 4);
	assert_true(sp.rrs[0].has_ttl);
	assert_int_equal(sp.rrs[0].ttl, 3600);
	assert_string_equal(sp.rrs[1].name, "www");
	assert_string_equal(sp.rrs[1].content, "https://example.com/?a=1;b=2");
	assert_int_equal(sp.rrs[1].ttl, 60);
	assert_string_equal(sp.rrs[2].name, "p");
	assert_ptr_equal(sp.rrs[2].type, rrtype_find("POOL"));
	assert_string_equal(sp.rrs[2].content, "pool.example.net");
	assert_int_equal(sp.rrs[2].ttl, 30);
	scanned_t sc;
	assert_int_equal(scan_all(sp.text, sp.text_len, &sc), 0);
	assert_int_equal(sc.count, 3);
	assert_int_equal(sc.types[0], 6);
	assert_int_equal(sc.types[1], 15);
	assert_string_equal(sc.owners[1], "example.com.");
	assert_int_equal(sc.ttls[1], 600);
	assert_int_equal(sc.types[2], 16);
	/* the TXT rdata is what rr_parse() made */
	rr_parsed_t p;
	assert_int_equal(parse(&a, "TXT", "www", "say \"hi\"; bye", NOPRIO, &p, &err), ERR_OK);
	assert_int_equal(sc.sizes[2], p.rdata_size);
	assert_memory_equal(sc.rdata[2], p.rdata, p.rdata_size);
	arena_clear(&a);
}

static void test_zonefile_split(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	const char *text =
		"$ORIGIN example.com.\n"                       /* 1 */
		"$TTL 1h\n"                                    /* 2 */
		"@ IN SOA ns1 admin (\n"                       /* 3 */
		"     1 2 3 4 5 ) ; URL in a comment\n"        /* 4 */
		"@ 300 IN ALIAS target.example.net.\n"         /* 5 */
		"  IN A 1.2.3.4\n"                             /* 6: owner comes from line 5 */
		"\tIN AAAA ::1\n"                              /* 7 */
		"www url \"https://example.com/a;b\" ; note\n" /* 8 */
		"$ORIGIN sub.example.com.\n"                   /* 9 */
		"pool 1d IN POOL members\n"                    /* 10 */
		"Alias.Example.COM. alias @\n"                 /* 11 */
		"  IN ALIAS x.example.net.\n"                  /* 12: owner from line 11 */
		"txt IN TXT \"ALIAS x\"\n";                    /* 13 */
	rr_zonefile_split_t sp;
	rr_error_t err = { 0 };
	int ret = rr_zonefile_split_pseudo(&a, ZONE ".", text, strlen(text), &sp, &err);
	if (ret != ERR_OK) {
		print_error("line %zu: %s %s\n", sp.err_line, err.field, err.message);
	}
	assert_int_equal(ret, ERR_OK);
	assert_int_equal(sp.count, 5);
	assert_int_equal(sp.rrs[0].line, 5);
	assert_string_equal(sp.rrs[0].name, "");
	assert_int_equal(sp.rrs[0].ttl, 300);
	assert_int_equal(sp.rrs[1].line, 8);
	assert_string_equal(sp.rrs[1].name, "www");
	assert_string_equal(sp.rrs[1].content, "https://example.com/a;b");
	assert_true(sp.rrs[1].has_ttl);
	assert_int_equal(sp.rrs[1].ttl, 3600); /* $TTL */
	assert_int_equal(sp.rrs[2].line, 10);
	assert_string_equal(sp.rrs[2].name, "pool.sub");
	assert_string_equal(sp.rrs[2].content, "members.sub.example.com");
	assert_int_equal(sp.rrs[2].ttl, 86400);
	assert_string_equal(sp.rrs[3].name, "Alias");
	assert_string_equal(sp.rrs[3].content, "sub.example.com");
	assert_string_equal(sp.rrs[4].name, "Alias");
	assert_int_equal(sp.rrs[4].line, 12);
	scanned_t sc;
	assert_int_equal(scan_all(sp.text, sp.text_len, &sc), 0);
	assert_int_equal(sc.count, 4);
	assert_int_equal(sc.types[0], 6);
	assert_int_equal(sc.types[1], 1);
	assert_string_equal(sc.owners[1], "example.com.");
	assert_int_equal(sc.types[2], 28);
	assert_string_equal(sc.owners[2], "example.com.");
	assert_int_equal(sc.types[3], 16);
	assert_string_equal(sc.owners[3], "txt.sub.example.com.");
	/* line numbers are kept */
	size_t lines = 0;
	for (size_t i = 0; i < sp.text_len; i++) {
		lines += sp.text[i] == '\n';
	}
	assert_int_equal(lines, 13);

	/* no $TTL, no TTL: has_ttl is false */
	text = "www IN ALIAS example.net.";
	assert_int_equal(rr_zonefile_split_pseudo(&a, ZONE, text, strlen(text), &sp, &err),
			 ERR_OK);
	assert_int_equal(sp.count, 1);
	assert_false(sp.rrs[0].has_ttl);
	assert_string_equal(sp.text, ";ww IN ALIAS example.net.");

	static const struct {
		const char *text;
		size_t line;
		const char *field;
	} bad[] = {
		{ "www IN ALIAS\n", 1, "content" },
		{ "a 1 IN A 1.2.3.4\nwww IN URL a b\n", 2, "content" },
		{ "x.other.org. IN ALIAS y.\n", 1, "name" },
		{ "www 1x IN ALIAS y.\n", 1, "ttl" },
		{ "www IN ALIAS ( y. )\n", 1, "content" },
		{ "  IN ALIAS y.\n", 1, "name" },
		{ "www IN URL ftp://x\n", 1, "content" },
		{ "www IN ALIAS .\n", 1, "content" },
		{ "bad_name! IN ALIAS y.\n", 1, "name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = rr_zonefile_split_pseudo(&a, ZONE, bad[i].text, strlen(bad[i].text), &sp,
					       &err);
		if (ret != ERR_INVALID || strcmp(err.field, bad[i].field) != 0) {
			print_error("[%s]: %d %s\n", bad[i].text, ret, err.field);
		}
		assert_int_equal(ret, ERR_INVALID);
		assert_string_equal(err.field, bad[i].field);
		assert_int_equal(sp.err_line, bad[i].line);
	}
	assert_int_equal(rr_zonefile_split_pseudo(&a, "bad zone", "", 0, &sp, &err),
			 ERR_INVAL_ARG);
	assert_int_equal(rr_zonefile_split_pseudo(&a, ZONE, "", 0, &sp, &err), ERR_OK);
	assert_int_equal(sp.count, 0);
	assert_int_equal(sp.text_len, 0);
	arena_clear(&a);
}

/* ---- threads and speed ---- */

static void *on_thread(void *arg)
{
	arena_t a;
	arena_init(&a, 0);
	char type[16];
	snprintf(type, sizeof(type), "TYPE%d", 60000 + (int)(intptr_t)arg);
	for (int i = 0; i < 500; i++) {
		rr_parsed_t p;
		rr_error_t err;
		if (parse(&a, "HTTPS", "", "1 . alpn=h2", NOPRIO, &p, &err) != ERR_OK ||
		    strcmp(p.content, "1 . alpn=h2") != 0 ||
		    parse(&a, type, "", "\\# 1 ff", NOPRIO, &p, &err) != ERR_OK ||
		    rrtype_find(type)->code != 60000 + (int)(intptr_t)arg % 3) {
			arena_clear(&a);
			return (void *)1;
		}
		arena_reset(&a);
	}
	arena_clear(&a);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[8];
	for (intptr_t i = 0; i < 8; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, on_thread, (void *)(i % 3)), 0);
	}
	for (int i = 0; i < 8; i++) {
		void *ret = (void *)2;
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
}

static void test_speed(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	struct timespec t0, t1;
	const int n = 20000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		rr_parsed_t p;
		rr_error_t err;
		assert_int_equal(parse(&a, i % 2 ? "MX" : "A", "www", i % 2 ? "mx.example.com"
					: "192.0.2.1", i % 2 ? 10 : NOPRIO, &p, &err), ERR_OK);
		arena_reset(&a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("rr_parse: %.0f records/s (this build; sanitizers slow it down)\n",
		      n / secs);
	assert_true(n / secs > 2000);
	arena_clear(&a);
}

static int teardown(void **state)
{
	rr_thread_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_a_aaaa),
		cmocka_unit_test(test_names_in_content),
		cmocka_unit_test(test_mx_srv),
		cmocka_unit_test(test_soa),
		cmocka_unit_test(test_txt_spf),
		cmocka_unit_test(test_caa),
		cmocka_unit_test(test_dnssec_and_friends),
		cmocka_unit_test(test_pseudo),
		cmocka_unit_test(test_other_types),
		cmocka_unit_test(test_format_wire),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_zonefile_line),
		cmocka_unit_test(test_zonefile_roundtrip),
		cmocka_unit_test(test_zonefile_split),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_speed),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
