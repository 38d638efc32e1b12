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
	assert_non_null(zdb_zone_wildcard(z, enc));
	assert_true(enc->flags & ZDB_NODE_EMPTY);

	name("ns.sub.example.com.", q);
	n = zdb_zone_find(z, q, &enc);
	assert_non_null(n);
	assert_true(n->flags & ZDB_NODE_NONAUTH);
	const zdb_node_t *cut = zdb_zone_cut(z, n);
	assert_non_null(cut);
	assert_true(cut->flags & ZDB_NODE_DELEG);
	name("sub.example.com.", q);
	assert_true(knot_dname_is_equal(cut->owner, q));
	assert_null(zdb_zone_cut(z, zdb_zone_apex_node(z)));
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

/* ---- patches: a patched version equals the same data built whole ---------------------------- */

/* Names (relative to p.test; "" is the apex) and the records each may hold. */
static const char *const pnames[] = {
	"", "www", "a.b.c", "b.c", "*.w", "x.w", "sub", "ns.sub", "deep.sub", "m", "*.m.n",
	"q.r.s.t", "r.s.t", "*", "cn",
};
#define PNAMES (sizeof(pnames) / sizeof(pnames[0]))
enum { P_A1, P_A2, P_TXT, P_NS, P_CNAME, P_ALIAS, P_KINDS };
static const uint8_t ptxt[] = { 2, 'h', 'i' };

typedef struct pmodel {
	bool has[PNAMES][P_KINDS];
	uint32_t serial;
} pmodel_t;

static void padd(zdb_builder_t *b, const pmodel_t *m, size_t i)
{
	char owner[128];
	snprintf(owner, sizeof(owner), "%s%sp.test.", pnames[i], *pnames[i] ? "." : "");
	if (i == 0) {
		assert_int_equal(zdb_builder_add(b, owner, KNOT_RRTYPE_SOA, 60, soa, sizeof(soa)),
				 ERR_OK);
	}
	for (int k = 0; k < P_KINDS; k++) {
		if (!m->has[i][k]) {
			continue;
		}
		int ret = ERR_OK;
		switch (k) {
		case P_A1: ret = zdb_builder_add(b, owner, KNOT_RRTYPE_A, 60, addr1, 4); break;
		case P_A2: ret = zdb_builder_add(b, owner, KNOT_RRTYPE_A, 30, addr2, 4); break;
		case P_TXT: ret = zdb_builder_add(b, owner, KNOT_RRTYPE_TXT, 60, ptxt, 3); break;
		case P_NS:
			ret = zdb_builder_add(b, owner, KNOT_RRTYPE_NS, 60, ns_target, sizeof(ns_target));
			break;
		case P_CNAME:
			ret = zdb_builder_add(b, owner, KNOT_RRTYPE_CNAME, 60, ns_target,
					      sizeof(ns_target));
			break;
		case P_ALIAS:
			ret = zdb_builder_add_pseudo(b, owner, ZDB_TYPE_ALIAS, 60, "target.example.");
			break;
		}
		assert_int_equal(ret, ERR_OK);
	}
}

static zdb_zone_t *pbuild(const pmodel_t *m, const char **err)
{
	zdb_builder_t *b = zdb_builder_new("p.test", m->serial);
	for (size_t i = 0; i < PNAMES; i++) {
		padd(b, m, i);
	}
	return zdb_builder_finish(b, err);
}

static bool rrsets_equal(const zdb_node_t *x, const zdb_node_t *y)
{
	if (x->rrset_count != y->rrset_count || (x->pseudo == NULL) != (y->pseudo == NULL)) {
		return false;
	}
	for (uint16_t i = 0; i < x->rrset_count; i++) {
		if (!knot_rrset_equal(&x->rrsets[i], &y->rrsets[i], true) ||
		    x->rrsets[i].ttl != y->rrsets[i].ttl) {
			return false;
		}
	}
	return x->pseudo == NULL || knot_dname_is_equal(x->pseudo->alias, y->pseudo->alias);
}

/* Every node of a is in b with the same data, flags and children count, and vice versa. */
static void assert_same_zone(const zdb_zone_t *a, const zdb_zone_t *b)
{
	assert_int_equal(zdb_zone_node_count(a), zdb_zone_node_count(b));
	assert_int_equal(zdb_zone_rr_count(a), zdb_zone_rr_count(b));
	size_t pos = 0, seen = 0, ac = 0, bc = 0;
	for (const zdb_node_t *x; (x = zdb_zone_next(a, &pos)) != NULL; seen++) {
		const zdb_node_t *y = zdb_zone_get(b, x->owner);
		char txt[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(txt, x->owner, sizeof(txt));
		if (y == NULL || x->flags != y->flags || x->children != y->children ||
		    !rrsets_equal(x, y)) {
			fail_msg("node %s differs (flags %x/%x, children %u/%u)", txt, x->flags,
				 y ? y->flags : 0, x->children, y ? y->children : 0);
		}
		/* the wildcard child pointer leads to this version's "*" node */
		const zdb_node_t *w = zdb_zone_wildcard(a, x);
		if ((w == NULL) != (zdb_zone_wildcard(b, y) == NULL) ||
		    (w != NULL && (w != zdb_zone_get(a, w->owner) || !rrsets_equal(w, y->wildcard)))) {
			fail_msg("node %s: wildcard child differs or is stale", txt);
		}
	}
	assert_int_equal(seen, zdb_zone_node_count(a));
	zdb_zone_aliases(a, &ac);
	zdb_zone_aliases(b, &bc);
	assert_int_equal(ac, bc);
	assert_true(knot_rrset_equal(zdb_zone_soa(a), zdb_zone_soa(b), true));
}

static void test_patch_equals_build(void **state)
{
	pmodel_t m = { .serial = 1 };
	m.has[1][P_A1] = m.has[2][P_TXT] = m.has[4][P_A1] = m.has[6][P_NS] = m.has[7][P_A1] = true;
	const char *err = NULL;
	zdb_zone_t *cur = pbuild(&m, &err);
	assert_non_null(cur);
	srandom(7);
	size_t patched = 0, rebuilt = 0, refused = 0;
	for (int step = 0; step < 3000; step++) {
		pmodel_t next = m;
		next.serial = m.serial + 1;
		size_t touched[3];
		size_t count = 1 + (size_t)random() % 3;
		for (size_t t = 0; t < count; t++) {
			size_t i = 1 + (size_t)random() % (PNAMES - 1);
			touched[t] = i;
			for (int k = 0; k < P_KINDS; k++) {
				/* mostly address and text data; zone cuts, CNAMEs and ALIAS now and then */
				int odds = k <= P_TXT ? 2 : 8;
				next.has[i][k] = random() % odds == 0;
			}
		}
		zdb_zone_t *whole = pbuild(&next, &err);
		zdb_builder_t *b = zdb_patch_new(cur, next.serial);
		assert_int_equal(zdb_patch_touch(b, "p.test."), ERR_OK);
		padd(b, &next, 0); /* the new SOA */
		for (size_t t = 0; t < count; t++) {
			char owner[128];
			snprintf(owner, sizeof(owner), "%s.p.test.", pnames[touched[t]]);
			assert_int_equal(zdb_patch_touch(b, owner), ERR_OK);
			padd(b, &next, touched[t]);
		}
		const char *perr = NULL;
		zdb_zone_t *patch = zdb_patch_finish(b, &perr);
		if (whole == NULL) {
			/* data the server refuses (a CNAME beside other data): so does the patch,
			 * unless it gives up for a whole build, which refuses it */
			assert_null(patch);
			refused++;
			continue;
		}
		if (patch == NULL) {
			assert_null(perr);
			rebuilt++;
			zdb_zone_free(cur);
			cur = whole;
		} else {
			assert_same_zone(patch, whole);
			assert_same_zone(whole, patch);
			patched++;
			/* the old version stays as it was until it is freed */
			zdb_zone_free(cur);
			zdb_zone_free(whole);
			cur = patch;
		}
		m = next;
	}
	zdb_zone_free(cur);
	/* the mix exercised each path */
	assert_true(patched > 1000);
	assert_true(rebuilt > 10);
	assert_true(refused > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_refused_zones),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_many_zones),
		cmocka_unit_test(test_patch_equals_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
