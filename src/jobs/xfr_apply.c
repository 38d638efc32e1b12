/* xfr_apply.c -- from a parsed transfer to the store's all-or-nothing apply request.
 *
 * DESIGN: nothing reaches the store unless the zone it makes would be served. The
 * resulting zone is built with the dns role's zone builder (zdb_builder_*), which refuses
 * what the loader would refuse (no SOA, CNAME beside other data, ...); every RR must be
 * one the store can hold (a type with a row in the record-type table, rdata that the
 * record codec prints). For IXFR the records we hold are read (one consistent version)
 * into a hash set, the deltas applied to it in order, and a removal of an RR we do not
 * hold ends it with ERR_CONFLICT: the worker then asks for the whole zone (RFC 1995 4
 * leaves inconsistent history to AXFR). Only the worker writes a secondary zone, so the
 * version read here is the one the store applies to.
 */
#include <string.h>

#include "core/err.h"
#include "dns/wire/rr.h"
#include "dns/zonedb/zonedb.h"
#include "jobs/jobs_internal.h"

/* --- RR conversion ------------------------------------------------------------------- */

/* The owner relative to the apex, lowercase text ("" for the apex), in the arena. */
static const char *rel_name(arena_t *a, const knot_dname_t *owner, const knot_dname_t *apex)
{
	int labels = knot_dname_in_bailiwick(owner, apex);
	if (labels <= 0) {
		return labels == 0 ? "" : NULL;
	}
	char buf[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(buf, owner, sizeof(buf)) == NULL) {
		return NULL;
	}
	/* keep the first `labels` labels of the text (escapes never hold an unescaped dot) */
	size_t n = 0;
	for (int l = 0; l < labels; l++) {
		while (buf[n] != '\0' && buf[n] != '.') {
			n += buf[n] == '\\' ? (buf[n + 1] >= '0' && buf[n + 1] <= '9' ? 4 : 2) : 1;
		}
		n++;
	}
	return arena_strndup(a, buf, n - 1);
}

static int to_record(arena_t *a, const zone_t *zone, const knot_dname_t *apex,
		     const xfr_rr_t *rr, record_t *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->type = rrtype_by_code(rr->type);
	if (out->type == NULL || (out->type->flags & RR_PSEUDO)) {
		*why = arena_printf(a, "a record of type %u, which cannot be stored", rr->type);
		return ERR_PARSE;
	}
	out->name = rel_name(a, rr->owner, apex);
	if (out->name == NULL) {
		*why = "a record outside the zone (out-of-zone data)";
		return ERR_PARSE;
	}
	out->zone_id = zone->id;
	out->zone_name = zone->name;
	out->rdata = rr->rdata;
	out->rdata_size = rr->rdlen;
	out->ttl = rr->ttl;
	out->regions = "global";
	int ret = rr_format(a, zone->name, out->type, rr->rdata, rr->rdlen, &out->content,
			    &out->has_priority, &out->priority);
	if (ret != ERR_OK) {
		*why = arena_printf(a, "malformed %s record at %s", out->type->name,
				    *out->name ? out->name : "the apex");
	}
	return ret;
}

static int to_records(arena_t *a, const zone_t *zone, const knot_dname_t *apex,
		      const xfr_rrs_t *rrs, record_t **out, size_t *count, const char **why)
{
	*out = arena_alloc_array(a, rrs->count + 1, sizeof(record_t));
	if (*out == NULL) {
		*why = "the transfer is larger than the memory allowed";
		return ERR_TOOBIG;
	}
	for (size_t i = 0; i < rrs->count; i++) {
		int ret = to_record(a, zone, apex, &rrs->v[i], &(*out)[i], why);
		if (ret != ERR_OK) {
			return ret;
		}
	}
	*count = rrs->count;
	return ERR_OK;
}

/* --- the zone we would serve ---------------------------------------------------------- */

static int check_build(const zone_t *zone, uint32_t serial, const record_t *rs, size_t n,
		       const char **why)
{
	zdb_builder_t *b = zdb_builder_new(zone->name, serial);
	if (b == NULL) {
		*why = "the zone name is not a domain name";
		return ERR_PARSE;
	}
	int ret = ERR_OK;
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		char owner[KNOT_DNAME_TXT_MAXLEN + 2];
		snprintf(owner, sizeof(owner), "%s%s%s.", rs[i].name, *rs[i].name ? "." : "",
			 zone->name);
		ret = zdb_builder_add(b, owner, rs[i].type->code, rs[i].ttl, rs[i].rdata,
				      rs[i].rdata_size);
	}
	if (ret != ERR_OK) {
		zdb_builder_free(b);
		*why = "a record the zone cannot hold";
		return ERR_PARSE;
	}
	const char *bad = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &bad);
	if (z == NULL) {
		*why = bad != NULL ? bad : "the zone cannot be served";
		return ERR_PARSE;
	}
	zdb_zone_free(z);
	return ERR_OK;
}

/* --- IXFR: the deltas over the records we hold ---------------------------------------- */

typedef struct slot {
	uint64_t hash;
	record_t r;
	uint8_t state; /* 0 empty, 1 live, 2 removed */
} slot_t;

typedef struct rrset_tab {
	arena_t *a;
	slot_t *v;
	size_t mask;
	size_t live;
} tab_t;

static uint64_t rr_hash(const char *name, uint16_t type, const uint8_t *rdata, uint16_t size)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = name; *p != '\0'; p++) {
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	}
	h = (h ^ type) * 1099511628211ull;
	for (uint16_t i = 0; i < size; i++) {
		h = (h ^ rdata[i]) * 1099511628211ull;
	}
	return h;
}

static bool same(const record_t *a, const record_t *b)
{
	return a->type->code == b->type->code && a->rdata_size == b->rdata_size &&
	       strcmp(a->name, b->name) == 0 && memcmp(a->rdata, b->rdata, a->rdata_size) == 0;
}

/* The slot of r: its live or removed slot, else the first free one on its probe path. */
static slot_t *lookup(tab_t *t, const record_t *r, uint64_t h)
{
	slot_t *reuse = NULL;
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		slot_t *s = &t->v[i];
		if (s->state == 0) {
			return reuse != NULL ? reuse : s;
		}
		if (s->hash == h && same(&s->r, r)) {
			return s;
		}
		if (s->state == 2 && reuse == NULL) {
			reuse = s;
		}
	}
}

static void tab_add(tab_t *t, const record_t *r)
{
	uint64_t h = rr_hash(r->name, r->type->code, r->rdata, r->rdata_size);
	slot_t *s = lookup(t, r, h);
	if (s->state != 1) {
		t->live++;
	}
	s->hash = h;
	s->r = *r; /* a duplicate RR replaces the one held (its TTL wins) */
	s->state = 1;
}

static int tab_remove(tab_t *t, const record_t *r)
{
	uint64_t h = rr_hash(r->name, r->type->code, r->rdata, r->rdata_size);
	slot_t *s = lookup(t, r, h);
	if (s->state != 1 || !same(&s->r, r)) {
		return ERR_CONFLICT;
	}
	s->state = 2;
	t->live--;
	return ERR_OK;
}

static int ixfr_prepare(store_t *st, arena_t *a, const zone_t *zone, const xfr_in_t *x,
			store_xfr_apply_t *out, const char **why)
{
	size_t adds = 0;
	for (size_t d = 0; d < x->delta_count; d++) {
		adds += x->deltas[d].added.count;
	}
	tab_t t = { .a = a };
	record_t *held = NULL;
	size_t nheld = 0;
	int ret = store_record_all(st, a, zone, &held, &nheld);
	if (ret != ERR_OK) {
		*why = "cannot read the zone's records";
		return ret;
	}
	size_t cap = 1024; /* at most half full */
	while (cap < 2 * (nheld + adds + 1)) {
		cap *= 2;
	}
	t.v = arena_alloc_array(a, cap, sizeof(slot_t));
	if (t.v == NULL) {
		*why = "the zone is larger than the memory allowed";
		return ERR_TOOBIG;
	}
	memset(t.v, 0, cap * sizeof(slot_t));
	t.mask = cap - 1;
	for (size_t i = 0; i < nheld; i++) {
		if (held[i].rdata != NULL) {
			tab_add(&t, &held[i]);
		}
	}
	out->deltas = arena_alloc_array(a, x->delta_count + 1, sizeof(store_xfr_delta_t));
	if (out->deltas == NULL) {
		*why = "the transfer is larger than the memory allowed";
		return ERR_TOOBIG;
	}
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	memcpy(apex, x->apex, knot_dname_size(x->apex));
	for (size_t d = 0; d < x->delta_count; d++) {
		store_xfr_delta_t *sd = &out->deltas[d];
		sd->serial = x->deltas[d].to;
		ret = to_records(a, zone, apex, &x->deltas[d].removed, &sd->removed,
				 &sd->removed_count, why);
		if (ret == ERR_OK) {
			ret = to_records(a, zone, apex, &x->deltas[d].added, &sd->added,
					 &sd->added_count, why);
		}
		for (size_t i = 0; ret == ERR_OK && i < sd->removed_count; i++) {
			ret = tab_remove(&t, &sd->removed[i]);
		}
		if (ret == ERR_CONFLICT) {
			*why = "an IXFR delta removes a record we do not hold";
		}
		for (size_t i = 0; ret == ERR_OK && i < sd->added_count; i++) {
			tab_add(&t, &sd->added[i]);
		}
		if (ret != ERR_OK) {
			return ret;
		}
	}
	out->delta_count = x->delta_count;
	/* the zone after the deltas, as the dns role would build it */
	record_t *after = arena_alloc_array(a, t.live + 1, sizeof(record_t));
	if (after == NULL) {
		*why = "the zone is larger than the memory allowed";
		return ERR_TOOBIG;
	}
	size_t n = 0;
	for (size_t i = 0; i <= t.mask; i++) {
		if (t.v[i].state == 1) {
			after[n++] = t.v[i].r;
		}
	}
	return check_build(zone, x->serial, after, n, why);
}

int xfr_apply_prepare(store_t *st, arena_t *a, const zone_t *zone, const xfr_in_t *x,
		      store_xfr_apply_t *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->zone_id = zone->id;
	out->serial = x->serial;
	const uint8_t *soa = x->soa.rdata + x->soa.rdlen - 20; /* RFC 1035 3.3.13 */
	out->refresh = knot_wire_read_u32(soa + 4);
	out->retry = knot_wire_read_u32(soa + 8);
	out->expire = knot_wire_read_u32(soa + 12);
	out->now = 0;
	if (!x->is_full) {
		return ixfr_prepare(st, a, zone, x, out, why);
	}
	out->is_full = true;
	int ret = to_records(a, zone, x->apex, &x->rrs, &out->records, &out->count, why);
	return ret == ERR_OK ? check_build(zone, x->serial, out->records, out->count, why)
			     : ret;
}
