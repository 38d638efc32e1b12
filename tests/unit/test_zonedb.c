/* test_zonedb.c -- zone building, lookups, zone cuts, the zone table and reclamation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "dns/zonedb/zonedb.h"

static const uint8_t soa[] = {
	3, 'n', 's', '1', 0, 4, 'h', 'o', 's', 't', 0, /* mname, rname */
	0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0x09, 0x3a, 0x80, 0, 0, 0x01, 0x2c,
};
static const uint8_t addr1[] = { 192, 0, 2, 1 };
static const uint8_t addr2[] = { 192, 0, 2, 2 };
static const uint8_t ns_target[] = { 2, 'n', 's', 3, 's', 'u', 'b', 7, 'e', 'x', 'a', 'm', 'p',
				     'l', 'e', 3, 'c', 'o', 'm', 0 };

static zdb_zone_t *example(void)
{
	zdb_builder_t *b = zdb_builder_new("example.com", 7);
	assert_non_null(b);
	assert_int_equal(zdb_builder_add(b, "example.com.", KNOT_RRTYPE_SOA, 3600, soa, sizeof(soa)),
			 ERR_OK);
	assert_int_equal(zdb_builder_add(b, "WWW.example.com.", KNOT_RRTYPE_A, 600, addr1, 4), ERR_OK);
	assert_int_equal(zdb_builder_add(b, "www.example.com.", KNOT_RRTYPE_A, 300, addr2, 4), ERR_OK);
	assert_int_equal(zdb_builder_add(b, "www.example.com.", KNOT_RRTYPE_A, 300, addr2, 4), ERR_OK);
	assert_int_equal(zdb_builder_add(b, "a.b.c.example.com.", KNOT_RRTYPE_A, 60, addr1, 4),
			 ERR_OK);
	assert_int_equal(zdb_builder_add(b, "*.w.example.com.", KNOT_RRTYPE_A, 60, addr1, 4), ERR_OK);
	assert_int_equal(zdb_builder_add(b, "sub.example.com.", KNOT_RRTYPE_NS, 60, ns_target,
					 sizeof(ns_target)),
			 ERR_OK);
	assert_int_equal(zdb_builder_add(b, "ns.sub.example.com.", KNOT_RRTYPE_A, 60, addr1, 4),
			 ERR_OK);
	assert_int_equal(zdb_builder_add(b, "other.org.", KNOT_RRTYPE_A, 60, addr1, 4), ERR_INVALID);
	const char *err = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &err);
	assert_null(err);
	assert_non_null(z);
	return z;
}

static void name(const char *text, knot_dname_t *out)
{
	assert_non_null(knot_dname_from_str(out, text, KNOT_DNAME_MAXLEN));
	knot_dname_to_lower(out);
}

static void test_lookups(void **state)
{
	zdb_zone_t *z = example();
	knot_dname_t q[KNOT_DNAME_MAXLEN];
	const zdb_node_t *enc = NULL;
	assert_int_equal(zdb_zone_serial(z), 7);
	assert_non_null(zdb_zone_soa(z));

	name("www.example.com.", q);
	const zdb_node_t *n = zdb_zone_find(z, q, &enc);
	assert_non_null(n);
	const knot_rrset_t *a = zdb_node_rrset(n, KNOT_RRTYPE_A);
	assert_non_null(a);
	assert_int_equal(a->rrs.count, 2);   /* the duplicate collapsed */
	assert_int_equal(a->ttl, 300);       /* the lowest TTL of the set */
	assert_null(zdb_node_rrset(n, KNOT_RRTYPE_AAAA));

	name("b.c.example.com.", q); /* an empty non-terminal exists */
	n = zdb_zone_find(z, q, &enc);
	assert_non_null(n);
	assert_true(n->flags & ZDB_NODE_EMPTY);

	name("x.c.example.com.", q);
	assert_null(zdb_zone_find(z, q, &enc));
	name("c.example.com.", q);
	assert_true(knot_dname_is_equal(enc->owner, q));

	name("foo.w.example.com.", q); /* the encloser w has the wildcard child */
	assert_null(zdb_zone_find(z, q, &enc));
	assert_non_null(enc->wildcard);
	assert_true(enc->flags & ZDB_NODE_EMPTY);

	name("ns.sub.example.com.", q);
	n = zdb_zone_find(z, q, &enc);
	assert_non_null(n);
	assert_true(n->flags & ZDB_NODE_NONAUTH);
	const zdb_node_t *cut = zdb_node_cut(n);
	assert_non_null(cut);
	assert_true(cut->flags & ZDB_NODE_DELEG);
	name("sub.example.com.", q);
	assert_true(knot_dname_is_equal(cut->owner, q));
	assert_null(zdb_node_cut(zdb_zone_apex_node(z)));
	zdb_zone_free(z);
}

static void test_refused_zones(void **state)
{
	zdb_builder_t *b = zdb_builder_new("bad.test", 1);
	assert_int_equal(zdb_builder_add(b, "www.bad.test.", KNOT_RRTYPE_A, 60, addr1, 4), ERR_OK);
	const char *err = NULL;
	assert_null(zdb_builder_finish(b, &err));
	assert_non_null(strstr(err, "SOA"));

	b = zdb_builder_new("cname.test", 1);
	zdb_builder_add(b, "cname.test.", KNOT_RRTYPE_SOA, 60, soa, sizeof(soa));
	zdb_builder_add(b, "x.cname.test.", KNOT_RRTYPE_CNAME, 60, ns_target, sizeof(ns_target));
	zdb_builder_add(b, "x.cname.test.", KNOT_RRTYPE_A, 60, addr1, 4);
	assert_null(zdb_builder_finish(b, &err));
	assert_non_null(strstr(err, "CNAME"));
}

/* Many zones one by one (start-up): every one is found, and the table only doubles. */
static void test_many_zones(void **state)
{
	zdb_t *db = zdb_new();
	char apex[64];
	knot_dname_t q[KNOT_DNAME_MAXLEN];
	for (int i = 0; i < 3000; i++) {
		snprintf(apex, sizeof(apex), "z%d.test", i);
		zdb_builder_t *b = zdb_builder_new(apex, (uint32_t)i);
		snprintf(apex, sizeof(apex), "z%d.test.", i);
		assert_int_equal(zdb_builder_add(b, apex, KNOT_RRTYPE_SOA, 60, soa, sizeof(soa)),
				 ERR_OK);
		const char *err = NULL;
		zdb_zone_t *z = zdb_builder_finish(b, &err);
		assert_non_null(z);
		zdb_publish(db, z);
	}
	assert_int_equal(zdb_zone_count(db), 3000);
	for (int i = 0; i < 3000; i += 7) {
		snprintf(apex, sizeof(apex), "www.z%d.test.", i);
		name(apex, q);
		const zdb_zone_t *z = zdb_find_zone(db, q);
		assert_non_null(z);
		assert_int_equal(zdb_zone_serial(z), (uint32_t)i);
	}
	name("z3000.test.", q);
	assert_null(zdb_find_zone(db, q));
	zdb_reclaim(db);
	zdb_free(db);
}

static void test_table(void **state)
{
	zdb_t *db = zdb_new();
	zdb_reader_t *r = zdb_reader_register(db);
	knot_dname_t q[KNOT_DNAME_MAXLEN];
	name("www.example.com.", q);
	assert_null(zdb_find_zone(db, q));
	zdb_publish(db, example());
	const zdb_zone_t *z = zdb_find_zone(db, q);
	assert_non_null(z);
	name("example.org.", q);
	assert_null(zdb_find_zone(db, q));
	name("deep.a.b.c.example.com.", q);
	assert_ptr_equal(zdb_find_zone(db, q), z);

	/* a new version replaces the old; the old stays valid until we are quiescent */
	zdb_publish(db, example());
	zdb_reclaim(db);
	assert_int_equal(zdb_zone_serial(z), 7); /* still readable: r was not quiescent */
	zdb_reader_quiescent(r);
	zdb_reclaim(db);
	const zdb_zone_t *z2 = zdb_find_zone(db, q);
	assert_non_null(z2);
	assert_int_equal(zdb_zone_count(db), 1);

	zdb_reader_offline(r);
	zdb_remove(db, zdb_zone_apex(z2));
	zdb_reclaim(db); /* an offline reader does not hold anything back */
	zdb_reader_online(r);
	assert_null(zdb_find_zone(db, q));
	assert_int_equal(zdb_zone_count(db), 0);
	zdb_reader_unregister(db, r);
	zdb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_refused_zones),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_many_zones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
