/* test_journal.c -- dns/xfr/journal.c: IXFR difference sequences from change-log rows and
 * from two zone versions, serial arithmetic, and the journals they chain into. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "sorted_runs.h"
#include "core/err.h"
#include "dns/xfr/xfr_internal.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* A zone version from zone-file lines (absolute names). */
static zdb_zone_t *zone(const char *apex, uint32_t serial, const char *text)
{
	zdb_builder_t *b = zdb_builder_new(apex, serial);
	assert_non_null(b);
	zs_scanner_t s;
	assert_int_equal(zs_init(&s, apex, KNOT_CLASS_IN, 3600), 0);
	assert_int_equal(zs_set_input_string(&s, text, strlen(text)), 0);
	while (zs_parse_record(&s) == 0 && s.state == ZS_STATE_DATA) {
		char owner[KNOT_DNAME_TXT_MAXLEN + 1];
		assert_non_null(knot_dname_to_str(owner, s.r_owner, sizeof(owner)));
		assert_int_equal(zdb_builder_add(b, owner, s.r_type, s.r_ttl, s.r_data,
						 (uint16_t)s.r_data_length),
				 ERR_OK);
	}
	assert_int_not_equal(s.state, ZS_STATE_ERROR);
	zs_deinit(&s);
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	assert_null(err);
	return z;
}

#define SOA(serial) "@ 3600 SOA ns1.example.com. host.example.com. " #serial " 7200 3600 1209600 300\n"

/* The diff as text lines, "-" for removed and "+" for added, in order. */
static char *dump(const xfr_diff_t *d)
{
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);
	size_t pos = 0, i = 0;
	diff_rr_t rr;
	while (diff_rr_next(d, &pos, &rr)) {
		knot_rrset_t set;
		knot_rrset_init(&set, (knot_dname_t *)rr.owner, rr.type, KNOT_CLASS_IN, rr.ttl);
		set.rrs.count = 1;
		set.rrs.size = knot_rdata_size(rr.rdata->len);
		set.rrs.rdata = (knot_rdata_t *)rr.rdata;
		size_t size = 1024;
		char *txt = malloc(size);
		int ret = knot_rrset_txt_dump(&set, &txt, &size, &KNOT_DUMP_STYLE_DEFAULT);
		if (ret <= 0) {
			fprintf(stderr, "dump of type %u failed: %s\n", rr.type, knot_strerror(ret));
		}
		assert_true(ret > 0);
		/* one line: "owner ttl IN TYPE rdata", blanks squeezed */
		char line[1024];
		size_t k = 0;
		for (char *p = txt; *p != '\0' && *p != '\n' && k < sizeof(line) - 1; p++) {
			if ((*p == ' ' || *p == '\t') && (k == 0 || line[k - 1] == ' ')) {
				continue;
			}
			line[k++] = *p == '\t' ? ' ' : *p;
		}
		line[k] = '\0';
		free(txt);
		len += (size_t)snprintf(out + len, cap - len, "%c%s\n", i < d->removed ? '-' : '+',
					line);
		i++;
	}
	assert_int_equal(i, d->removed + d->added);
	return out;
}

static void expect_dump(const xfr_diff_t *d, const char *want)
{
	char *got = dump(d);
	assert_runs_equal(got, want);
	free(got);
}

static const journal_limits_t LIM = { .max_diffs = 100, .max_rrs = 100000 };

/* ---- serial arithmetic ---------------------------------------------------------------------- */

static void test_serial_lt(void **state)
{
	assert_true(xfr_serial_lt(1, 2));
	assert_false(xfr_serial_lt(2, 1));
	assert_false(xfr_serial_lt(5, 5));
	assert_true(xfr_serial_lt(0xffffffffu, 0));          /* RFC 1982: wraps around */
	assert_true(xfr_serial_lt(0xfffffff0u, 0x10));
	assert_false(xfr_serial_lt(0x10, 0xfffffff0u));
	assert_true(xfr_serial_lt(0, 0x7fffffffu));
	assert_false(xfr_serial_lt(0, 0x80000000u));         /* undefined: never "older" */
	assert_false(xfr_serial_lt(0x80000000u, 0));
}

/* ---- two versions in memory ------------------------------------------------------------------- */

static void test_diff_zones(void **state)
{
	zdb_zone_t *v1 = zone("example.com.", 10,
			      SOA(10) "@ NS ns1.example.com.\n"
				      "www 300 A 192.0.2.1\nwww 300 A 192.0.2.2\n"
				      "mail 600 MX 10 mx.example.com.\n"
				      "gone 60 TXT \"bye\"\n"
				      "ttl 100 A 192.0.2.9\nttl 100 A 192.0.2.10\n");
	zdb_zone_t *v2 = zone("example.com.", 11,
			      SOA(11) "@ NS ns1.example.com.\n"
				      "www 300 A 192.0.2.2\nwww 300 A 192.0.2.3\n"
				      "mail 600 MX 10 mx.example.com.\n"
				      "new 60 AAAA 2001:db8::1\n"
				      "a.b.deep 60 TXT \"x\"\n"
				      "ttl 200 A 192.0.2.9\nttl 200 A 192.0.2.10\n");
	size_t rrs = 0;
	xfr_diff_t *d = diff_zones(v1, v2, NULL, NULL, NULL, &rrs);
	assert_non_null(d);
	assert_int_equal(d->from, 10);
	assert_int_equal(d->to, 11);
	assert_int_equal(rrs, 9); /* SOA, NS, 2 www, MX, AAAA, TXT, 2 ttl */
	/* nodes in the zone's name order; a TTL change replaces the whole RRset */
	expect_dump(d,
		    "-example.com. 3600 SOA ns1.example.com. host.example.com. 10 7200 3600 "
		    "1209600 300\n"
		    "-ttl.example.com. 100 A 192.0.2.9\n"
		    "-ttl.example.com. 100 A 192.0.2.10\n"
		    "-www.example.com. 300 A 192.0.2.1\n"
		    "-gone.example.com. 60 TXT \"bye\"\n"
		    "+example.com. 3600 SOA ns1.example.com. host.example.com. 11 7200 3600 "
		    "1209600 300\n"
		    "+new.example.com. 60 AAAA 2001:db8::1\n"
		    "+ttl.example.com. 200 A 192.0.2.9\n"
		    "+ttl.example.com. 200 A 192.0.2.10\n"
		    "+www.example.com. 300 A 192.0.2.3\n"
		    "+a.b.deep.example.com. 60 TXT \"x\"\n");
	diff_unref(d);
	/* backwards or equal serials make no diff */
	assert_null(diff_zones(v2, v1, NULL, NULL, NULL, &rrs));
	assert_null(diff_zones(v1, v1, NULL, NULL, NULL, &rrs));
	assert_int_equal(zdb_zone_rr_count(v1), 8);
	zdb_zone_free(v1);
	zdb_zone_free(v2);
}

/* The synth hook: what ALIAS/URL/POOL nodes answer is part of the transfer, and of diffs. */
static size_t fake_synth(void *ctx, const zdb_t *db, const zdb_node_t *node, knot_rrset_t *out,
			 size_t max, knot_mm_t *mm)
{
	const uint8_t *addr = ctx;
	knot_rrset_init(&out[0], (knot_dname_t *)node->owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, 60);
	uint8_t buf[8];
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, 4, addr);
	assert_int_equal(knot_rdataset_add(&out[0].rrs, rd, mm), KNOT_EOK);
	return 1;
}

static zdb_zone_t *alias_zone(uint32_t serial)
{
	zdb_builder_t *b = zdb_builder_new("example.com.", serial);
	static const uint8_t soa[] = { 3, 'n', 's', '1', 0, 4, 'h', 'o', 's', 't', 0, 0, 0, 0, 1,
				       0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0x09, 0x3a, 0x80, 0,
				       0, 0x01, 0x2c };
	assert_int_equal(zdb_builder_add(b, "example.com.", KNOT_RRTYPE_SOA, 3600, soa, sizeof(soa)),
			 ERR_OK);
	assert_int_equal(zdb_builder_add_pseudo(b, "example.com.", ZDB_TYPE_ALIAS, 60,
						"target.example.net"),
			 ERR_OK);
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	assert_non_null(z);
	return z;
}

static void test_diff_synthesized(void **state)
{
	zdb_zone_t *v1 = alias_zone(1), *v2 = alias_zone(2);
	uint8_t a1[4] = { 192, 0, 2, 1 };
	size_t rrs = 0;
	/* the same answer in both: only the SOA changes */
	xfr_diff_t *d = diff_zones(v1, v2, NULL, fake_synth, a1, &rrs);
	assert_non_null(d);
	assert_int_equal(d->removed, 1);
	assert_int_equal(d->added, 1);
	assert_int_equal(rrs, 2);
	diff_unref(d);
	/* no hook: the pseudo-record transfers as nothing at all */
	d = diff_zones(v1, v2, NULL, NULL, NULL, &rrs);
	assert_int_equal(d->removed + d->added, 2);
	diff_unref(d);
	zdb_zone_free(v1);
	zdb_zone_free(v2);
}

/* ---- change-log rows -------------------------------------------------------------------------- */

/* The JSON of an SOA RR of example.com. with this serial, as the store writes it. */
static char *soa_json(uint32_t serial)
{
	/* ns1.example.com. host.example.com. serial 7200 3600 1209600 300 */
	uint8_t rd[64];
	size_t n = 0;
	const uint8_t mname[] = { 3, 'n', 's', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				  3, 'c', 'o', 'm', 0 };
	const uint8_t rname[] = { 4, 'h', 'o', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				  3, 'c', 'o', 'm', 0 };
	memcpy(rd + n, mname, sizeof(mname));
	n += sizeof(mname);
	memcpy(rd + n, rname, sizeof(rname));
	n += sizeof(rname);
	const uint32_t nums[] = { serial, 7200, 3600, 1209600, 300 };
	for (int i = 0; i < 5; i++) {
		knot_wire_write_u32(rd + n, nums[i]);
		n += 4;
	}
	char *out = malloc(256);
	int k = snprintf(out, 256, "{\"name\":\"example.com.\",\"type\":6,\"ttl\":3600,\"rdata\":\"");
	for (size_t i = 0; i < n; i++) {
		k += snprintf(out + k, 256 - (size_t)k, "%02x", rd[i]);
	}
	snprintf(out + k, 256 - (size_t)k, "\"}");
	return out;
}

typedef struct row_fx {
	store_change_row_t rows[8];
	char *texts[16];
	size_t count, text_count;
} row_fx_t;

/* A row from serial `from` to `to` with extra RRs (JSON objects, comma-separated). */
static void add_row(row_fx_t *fx, const char *kind, uint32_t from, uint32_t to,
		    const char *removed, const char *added)
{
	char *sf = soa_json(from), *st = soa_json(to);
	char *rem = malloc(4096), *add = malloc(4096);
	snprintf(rem, 4096, "[%s%s%s]", sf, *removed ? "," : "", removed);
	snprintf(add, 4096, "[%s%s%s]", st, *added ? "," : "", added);
	free(sf);
	free(st);
	store_change_row_t *r = &fx->rows[fx->count++];
	memset(r, 0, sizeof(*r));
	r->id = (int64_t)fx->count;
	r->zone_id = 7;
	r->zone_name = "example.com";
	r->serial = to;
	r->kind = kind;
	r->removed = rem;
	r->added = add;
	fx->texts[fx->text_count++] = rem;
	fx->texts[fx->text_count++] = add;
}

static void fx_clear(row_fx_t *fx)
{
	for (size_t i = 0; i < fx->text_count; i++) {
		free(fx->texts[i]);
	}
	memset(fx, 0, sizeof(*fx));
}

#define A_WWW(last) "{\"name\":\"www.example.com.\",\"type\":1,\"ttl\":300,\"rdata\":\"c00002" last "\"}"

static void test_diff_from_row(void **state)
{
	row_fx_t fx = { 0 };
	/* names inside rdata come out lowercase, as the zone db holds them */
	add_row(&fx, "records", 100, 101, A_WWW("01"),
		A_WWW("02") ",{\"name\":\"Alias.example.com.\",\"type\":5,\"ttl\":60,"
			    "\"rdata\":\"03575757076578616d706c6503636f6d00\"}");
	xfr_diff_t *d = NULL;
	assert_int_equal(diff_from_row(&fx.rows[0], "global", &d), ERR_OK);
	assert_int_equal(d->from, 100);
	assert_int_equal(d->to, 101);
	expect_dump(d,
		    "-example.com. 3600 SOA ns1.example.com. host.example.com. 100 7200 3600 "
		    "1209600 300\n"
		    "-www.example.com. 300 A 192.0.2.1\n"
		    "+example.com. 3600 SOA ns1.example.com. host.example.com. 101 7200 3600 "
		    "1209600 300\n"
		    "+www.example.com. 300 A 192.0.2.2\n"
		    "+alias.example.com. 60 CNAME www.example.com.\n");
	diff_unref(d);
	fx_clear(&fx);

	/* a record of other regions is left out, as the loader leaves it out */
	add_row(&fx, "records", 100, 101, "",
		"{\"name\":\"eu.example.com.\",\"type\":1,\"ttl\":60,\"rdata\":\"c0000201\","
		"\"regions\":\"AMS,FRA\"}");
	assert_int_equal(diff_from_row(&fx.rows[0], "global", &d), ERR_OK);
	assert_int_equal(d->added, 1);
	diff_unref(d);
	assert_int_equal(diff_from_row(&fx.rows[0], "AMS", &d), ERR_OK);
	assert_int_equal(d->added, 2);
	diff_unref(d);
	fx_clear(&fx);

	/* what cannot be a difference sequence */
	add_row(&fx, "records", 100, 101, "",
		"{\"name\":\"example.com.\",\"type\":65401,\"ttl\":60,\"content\":\"t.example.net\"}");
	add_row(&fx, "zone_replaced", 101, 102, "", "");
	add_row(&fx, "records", 102, 102, "", "");   /* the serial does not move */
	add_row(&fx, "records", 102, 104, "", "");
	fx.rows[3].serial = 103;                     /* the row's serial is not the new SOA's */
	add_row(&fx, "records", 104, 105, A_WWW("zz"), ""); /* bad hex */
	for (size_t i = 0; i < fx.count; i++) {
		d = NULL;
		assert_int_equal(diff_from_row(&fx.rows[i], "global", &d), ERR_INVALID);
		assert_null(d);
	}
	fx_clear(&fx);
	store_change_row_t empty = { .kind = "records", .removed = "[]", .added = "[]",
				     .serial = 1 };
	assert_int_equal(diff_from_row(&empty, "global", &d), ERR_INVALID); /* no SOA first */
}

static void test_journal_from_rows(void **state)
{
	row_fx_t fx = { 0 };
	add_row(&fx, "records", 100, 101, "", A_WWW("01"));
	add_row(&fx, "records", 101, 102, A_WWW("01"), A_WWW("02"));
	add_row(&fx, "records", 102, 103, "", "");
	xfr_journal_t *j = journal_from_rows(fx.rows, fx.count, 103, "global", &LIM);
	assert_non_null(j);
	assert_int_equal(j->count, 3);
	assert_int_equal(journal_find(j, 100), 0);
	assert_int_equal(journal_find(j, 102), 2);
	assert_int_equal(journal_find(j, 103), -1);
	assert_int_equal(j->rr_total, 3 + 4 + 2);
	/* the history must end at the version served */
	assert_null(journal_from_rows(fx.rows, fx.count, 104, "global", &LIM));
	/* the newest ones within the limits */
	journal_limits_t two = { .max_diffs = 2, .max_rrs = 100 };
	xfr_journal_t *k = journal_from_rows(fx.rows, fx.count, 103, "global", &two);
	assert_int_equal(k->count, 2);
	assert_int_equal(journal_find(k, 100), -1);
	assert_int_equal(journal_find(k, 101), 0);
	journal_free(k);
	journal_limits_t few = { .max_diffs = 10, .max_rrs = 5 };
	k = journal_from_rows(fx.rows, fx.count, 103, "global", &few);
	assert_int_equal(k->count, 1); /* 4 + 2 > 5 */
	journal_free(k);
	journal_free(j);
	fx_clear(&fx);

	/* a zone replaced (an AXFR into a secondary zone, an import of another kind): only
	 * what follows it counts */
	add_row(&fx, "records", 100, 101, "", "");
	add_row(&fx, "zone_replaced", 101, 102, "", "");
	add_row(&fx, "records", 102, 103, "", A_WWW("05"));
	add_row(&fx, "records", 103, 104, "", "");
	j = journal_from_rows(fx.rows, fx.count, 104, "global", &LIM);
	assert_int_equal(j->count, 2);
	assert_int_equal(j->diffs[0]->from, 102);
	journal_free(j);
	fx_clear(&fx);

	/* a gap in the serials (rows trimmed, or another writer): the same */
	add_row(&fx, "records", 100, 101, "", "");
	add_row(&fx, "records", 105, 106, "", "");
	j = journal_from_rows(fx.rows, fx.count, 106, "global", &LIM);
	assert_int_equal(j->count, 1);
	assert_int_equal(j->diffs[0]->from, 105);
	journal_free(j);
	fx_clear(&fx);

	/* a pseudo-record in the newest row: no history at all */
	add_row(&fx, "records", 100, 101, "", "");
	add_row(&fx, "records", 101, 102, "",
		"{\"name\":\"example.com.\",\"type\":65403,\"ttl\":60,\"content\":\"a.example.net\"}");
	assert_null(journal_from_rows(fx.rows, fx.count, 102, "global", &LIM));
	fx_clear(&fx);
	assert_null(journal_from_rows(NULL, 0, 1, "global", &LIM));
}

static void test_journal_append(void **state)
{
	zdb_zone_t *v1 = zone("example.com.", 1, SOA(1) "www A 192.0.2.1\n");
	zdb_zone_t *v2 = zone("example.com.", 2, SOA(2) "www A 192.0.2.2\n");
	zdb_zone_t *v3 = zone("example.com.", 3, SOA(3) "www A 192.0.2.3\n");
	size_t rrs;
	xfr_journal_t *j1 = journal_append(NULL, diff_zones(v1, v2, NULL, NULL, NULL, &rrs), &LIM);
	xfr_journal_t *j2 = journal_append(j1, diff_zones(v2, v3, NULL, NULL, NULL, &rrs), &LIM);
	assert_int_equal(j2->count, 2);
	assert_ptr_equal(j2->diffs[0], j1->diffs[0]); /* shared, not copied */
	assert_int_equal(atomic_load(&j1->diffs[0]->refs), 2);
	journal_free(j1);
	assert_int_equal(atomic_load(&j2->diffs[0]->refs), 1);
	/* a diff that does not continue the history starts a new one */
	xfr_journal_t *j3 = journal_append(j2, diff_zones(v1, v3, NULL, NULL, NULL, &rrs), &LIM);
	assert_int_equal(j3->count, 1);
	assert_int_equal(j3->diffs[0]->from, 1);
	xfr_journal_t *c = journal_copy(j2);
	assert_int_equal(c->count, 2);
	journal_free(c);
	journal_free(j2);
	journal_free(j3);
	zdb_zone_free(v1);
	zdb_zone_free(v2);
	zdb_zone_free(v3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_lt),
		cmocka_unit_test(test_diff_zones),
		cmocka_unit_test(test_diff_synthesized),
		cmocka_unit_test(test_diff_from_row),
		cmocka_unit_test(test_journal_from_rows),
		cmocka_unit_test(test_journal_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
