/* journal.c -- IXFR history: difference sequences (RFC 1995 4) between zone versions, from
 * the change log or from two versions in memory, chained into per-version journals.
 *
 * DESIGN. A diff is one immutable block of RRs (removed, then added; each list starts
 * with its SOA) in a compact record form that transfers put on the wire without copying;
 * journals are small arrays of refcounted diffs, so the journal of a new zone version
 * shares every diff of the previous one and adds one. Two sources of diffs:
 *   - two versions in memory (the loader publishes a new one while we hold the old):
 *     their exact difference, RRset by RRset at the names the new version replaced (when
 *     it was patched from the old one) or at every name;
 *     an RRset whose TTL changed is removed and added whole. This is always what a
 *     secondary holding the old version must apply, whatever made the change (records,
 *     a zone import, a secondary zone's transfer, ALIAS answers), so IXFR never sends a
 *     wrong difference;
 *   - the change log, for zones first seen at start (the history survives restarts): a
 *     zone_changes row of kind "records" is a difference sequence as it stands. A row of
 *     another kind (a zone created, replaced, (de)activated) or one holding a pseudo-record
 *     (whose answers the row does not carry) breaks the chain: IXFR from before it falls
 *     back to AXFR, as a gap in the serials does.
 * The history is cut to `ixfr-history` diffs and to about the zone's size in RRs (past
 * that an AXFR is smaller than the IXFR, and memory stays proportional to the zone).
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "dns/xfr/xfr_internal.h"
#include "dns/zonedb/load.h"

/* JSON bytes per RR well above the average (an A record takes about 80): a row with more
 * text than this many per RR the journal may hold surely holds too many RRs */
#define RR_JSON_TYPICAL_MAX 256


bool xfr_serial_lt(uint32_t a, uint32_t b)
{
	/* RFC 1982 3.2: i1 < i2 when they differ by less than 2^31 going up */
	return a != b && ((a < b && b - a < 0x80000000u) || (a > b && a - b > 0x80000000u));
}

/* --- diff data ------------------------------------------------------------------------ */

typedef struct rec_hdr {
	uint32_t ttl;
	uint16_t type;
	uint16_t owner_size;
} rec_hdr_t;

typedef struct dbuf {
	uint8_t *p;
	size_t size, cap;
	size_t count;
} dbuf_t;

static size_t pad2(size_t n)
{
	return (n + 1) & ~(size_t)1;
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static void put_rr(dbuf_t *b, const knot_dname_t *owner, uint16_t type, uint32_t ttl,
		   const knot_rdata_t *rd)
{
	size_t osize = knot_dname_size(owner);
	size_t need = pad8(sizeof(rec_hdr_t) + pad2(osize) + knot_rdata_size(rd->len));
	if (b->size + need > b->cap) {
		b->cap = b->cap * 2 > b->size + need ? b->cap * 2 : b->size + need + 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	uint8_t *at = b->p + b->size;
	memset(at, 0, need);
	rec_hdr_t h = { .ttl = ttl, .type = type, .owner_size = (uint16_t)osize };
	memcpy(at, &h, sizeof(h));
	memcpy(at + sizeof(h), owner, osize);
	memcpy(at + sizeof(h) + pad2(osize), rd, 2 + (size_t)rd->len);
	b->size += need;
	b->count++;
}

static void put_rrset(dbuf_t *b, const knot_rrset_t *set)
{
	knot_rdata_t *rd = set->rrs.rdata;
	for (uint16_t i = 0; i < set->rrs.count; i++) {
		put_rr(b, set->owner, set->type, set->ttl, rd);
		rd = knot_rdataset_next(rd);
	}
}

bool diff_rr_next(const xfr_diff_t *d, size_t *pos, diff_rr_t *rr)
{
	if (*pos >= d->size) {
		return false;
	}
	const uint8_t *at = d->data + *pos;
	rec_hdr_t h;
	memcpy(&h, at, sizeof(h));
	rr->owner = at + sizeof(h);
	rr->type = h.type;
	rr->ttl = h.ttl;
	rr->rdata = (const knot_rdata_t *)(at + sizeof(h) + pad2(h.owner_size));
	*pos += pad8(sizeof(h) + pad2(h.owner_size) + knot_rdata_size(rr->rdata->len));
	return true;
}

/* removed ++ added into one diff (both buffers are emptied). */
static xfr_diff_t *diff_make(dbuf_t *removed, dbuf_t *added, uint32_t from, uint32_t to)
{
	xfr_diff_t *d = xcalloc(1, sizeof(*d));
	atomic_init(&d->refs, 1);
	d->from = from;
	d->to = to;
	d->removed = removed->count;
	d->added = added->count;
	d->size = removed->size + added->size;
	d->data = xmalloc(d->size > 0 ? d->size : 1);
	memcpy(d->data, removed->p, removed->size);
	memcpy(d->data + removed->size, added->p, added->size);
	free(removed->p);
	free(added->p);
	memset(removed, 0, sizeof(*removed));
	memset(added, 0, sizeof(*added));
	return d;
}

void diff_unref(xfr_diff_t *d)
{
	if (d != NULL && atomic_fetch_sub(&d->refs, 1) == 1) {
		free(d->data);
		free(d);
	}
}

/* --- two versions in memory ----------------------------------------------------------- */

static void *on_alloc(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

/* The RRsets of a node as it transfers: its own (the apex SOA aside: diffs and transfers
 * place it themselves) and what its pseudo-records answer with, sorted by type. */
void view_fill(view_t *v, const zdb_node_t *n, synth_ctx_t *sc)
{
	v->count = 0;
	for (uint16_t i = 0; i < n->rrset_count && v->count < VIEW_MAX; i++) {
		if (n->rrsets[i].type != KNOT_RRTYPE_SOA || !(n->flags & ZDB_NODE_APEX)) {
			v->sets[v->count++] = &n->rrsets[i];
		}
	}
	if (n->pseudo == NULL || sc->fn == NULL) {
		return;
	}
	size_t k = sc->fn(sc->ctx, sc->db, n, v->synth, SYNTH_MAX, &sc->mm);
	for (size_t i = 0; i < k && i < SYNTH_MAX; i++) {
		/* insertion by type: the node's own RRsets are sorted already */
		size_t at = v->count;
		while (at > 0 && v->sets[at - 1]->type > v->synth[i].type) {
			v->sets[at] = v->sets[at - 1];
			at--;
		}
		v->sets[at] = &v->synth[i];
		v->count++;
	}
}

static size_t view_rrs(const view_t *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->count; i++) {
		n += v->sets[i]->rrs.count;
	}
	return n;
}

/* One type at one name: what leaves and what arrives. Rdata are in canonical order. */
static void diff_rrset(dbuf_t *rem, dbuf_t *add, const knot_rrset_t *a, const knot_rrset_t *b)
{
	if (a == NULL || b == NULL || a->ttl != b->ttl) {
		if (a != NULL) {
			put_rrset(rem, a);
		}
		if (b != NULL) {
			put_rrset(add, b);
		}
		return;
	}
	knot_rdata_t *x = a->rrs.rdata, *y = b->rrs.rdata;
	uint16_t i = 0, j = 0;
	while (i < a->rrs.count || j < b->rrs.count) {
		int c = i == a->rrs.count ? 1 : j == b->rrs.count ? -1 : knot_rdata_cmp(x, y);
		if (c < 0) {
			put_rr(rem, a->owner, a->type, a->ttl, x);
		} else if (c > 0) {
			put_rr(add, b->owner, b->type, b->ttl, y);
		}
		if (c <= 0) {
			x = knot_rdataset_next(x);
			i++;
		}
		if (c >= 0) {
			y = knot_rdataset_next(y);
			j++;
		}
	}
}

static void diff_views(dbuf_t *rem, dbuf_t *add, const view_t *a, const view_t *b)
{
	size_t i = 0, j = 0;
	while (i < a->count || j < b->count) {
		const knot_rrset_t *x = i < a->count ? a->sets[i] : NULL;
		const knot_rrset_t *y = j < b->count ? b->sets[j] : NULL;
		if (y == NULL || (x != NULL && x->type < y->type)) {
			diff_rrset(rem, add, x, NULL);
			i++;
		} else if (x == NULL || y->type < x->type) {
			diff_rrset(rem, add, NULL, y);
			j++;
		} else {
			diff_rrset(rem, add, x, y);
			i++;
			j++;
		}
	}
}

void synth_init(synth_ctx_t *sc, const zdb_t *db, xfr_synth_fn fn, void *ctx)
{
	sc->db = db;
	sc->fn = fn;
	sc->ctx = ctx;
	arena_init(&sc->mem, 0);
	sc->mm = (knot_mm_t){ .ctx = &sc->mem, .alloc = on_alloc, .free = NULL };
}

/* The difference at one name: old node x (NULL: the name is new), new node y (NULL: gone).
 * Returns the RRs y holds. */
static size_t diff_nodes(dbuf_t *rem, dbuf_t *add, view_t *va, view_t *vb, const zdb_node_t *x,
			 const zdb_node_t *y, synth_ctx_t *sc_old, synth_ctx_t *sc_new)
{
	va->count = vb->count = 0;
	if (x != NULL) {
		view_fill(va, x, sc_old);
	}
	if (y != NULL) {
		view_fill(vb, y, sc_new);
	}
	diff_views(rem, add, va, vb);
	arena_reset(&sc_old->mem);
	arena_reset(&sc_new->mem);
	return view_rrs(vb);
}

xfr_diff_t *diff_zones(const zdb_zone_t *old, const zdb_zone_t *new, const zdb_t *db,
		       xfr_synth_fn synth, void *synth_ctx, size_t *zone_rrs)
{
	uint32_t from = zdb_zone_serial(old), to = zdb_zone_serial(new);
	*zone_rrs = 0;
	if (!xfr_serial_lt(from, to)) {
		return NULL;
	}
	dbuf_t rem = { 0 }, add = { 0 };
	put_rrset(&rem, zdb_zone_soa(old));
	put_rrset(&add, zdb_zone_soa(new));
	synth_ctx_t sc_old, sc_new;
	synth_init(&sc_old, db, synth, synth_ctx);
	synth_init(&sc_new, db, synth, synth_ctx);
	view_t *va = xmalloc(sizeof(*va)), *vb = xmalloc(sizeof(*vb));
	uint32_t patched_from = 0;
	size_t changed = 0;
	const zdb_change_t *changes = zdb_zone_changes(new, &patched_from, &changed);
	if (changes != NULL && patched_from == from) {
		/* new was patched from old: only the names it replaced differ. The size is the
		 * zone's count kept as it changes (synthesized answers aside). */
		for (size_t i = 0; i < changed; i++) {
			diff_nodes(&rem, &add, va, vb, changes[i].old, changes[i].new, &sc_old, &sc_new);
		}
		*zone_rrs = zdb_zone_rr_count(new);
	} else {
		/* every name of the new version against the old one's, then the names gone */
		size_t rrs = 1, pos = 0;
		for (const zdb_node_t *y; (y = zdb_zone_next(new, &pos)) != NULL;) {
			const zdb_node_t *x = zdb_zone_get(old, y->owner);
			rrs += diff_nodes(&rem, &add, va, vb, x, y, &sc_old, &sc_new);
		}
		pos = 0;
		for (const zdb_node_t *x; (x = zdb_zone_next(old, &pos)) != NULL;) {
			if (zdb_zone_get(new, x->owner) == NULL) {
				diff_nodes(&rem, &add, va, vb, x, NULL, &sc_old, &sc_new);
			}
		}
		*zone_rrs = rrs;
	}
	free(va);
	free(vb);
	arena_clear(&sc_old.mem);
	arena_clear(&sc_new.mem);
	return diff_make(&rem, &add, from, to);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* One change-log RR into b, its rdata checked against the type and its names lowered as
 * the zone db holds them (RFC 4034 6.2), so a secondary's copy matches byte for byte.
 * ERR_OK also when the RR is left out (not served in region); ERR_INVALID otherwise. */
static int put_json_rr(dbuf_t *b, const json_t *o, const char *region, uint16_t *type_out)
{
	const char *name = json_get_str(o, "name"), *hexs = json_get_str(o, "rdata");
	json_t *jt = json_object_get(o, "type"), *jttl = json_object_get(o, "ttl");
	if (name == NULL || !json_is_integer(jt) || !json_is_integer(jttl)) {
		return ERR_INVALID;
	}
	*type_out = (uint16_t)json_integer_value(jt);
	if (hexs == NULL) {
		return ERR_INVALID; /* ALIAS, URL, POOL: what they answer is not in the row */
	}
	if (!zdb_loader_in_region(json_get_str(o, "regions"), region)) {
		return ERR_OK;
	}
	size_t hlen = strlen(hexs);
	knot_dname_t owner[KNOT_DNAME_MAXLEN];
	if (hlen % 2 != 0 || hlen / 2 > UINT16_MAX ||
	    knot_dname_from_str(owner, name, sizeof(owner)) == NULL) {
		return ERR_INVALID;
	}
	knot_dname_to_lower(owner);
	size_t osize = knot_dname_size(owner), rdlen = hlen / 2;
	uint8_t *wire = xmalloc(osize + 10 + rdlen);
	memcpy(wire, owner, osize);
	knot_wire_write_u16(wire + osize, *type_out);
	knot_wire_write_u16(wire + osize + 2, KNOT_CLASS_IN);
	knot_wire_write_u32(wire + osize + 4, (uint32_t)json_integer_value(jttl));
	knot_wire_write_u16(wire + osize + 8, (uint16_t)rdlen);
	int ret = ERR_OK;
	for (size_t i = 0; i < rdlen && ret == ERR_OK; i++) {
		int hi = hex_nibble(hexs[2 * i]), lo = hex_nibble(hexs[2 * i + 1]);
		ret = hi < 0 || lo < 0 ? ERR_INVALID : ERR_OK;
		wire[osize + 10 + i] = ret == ERR_OK ? (uint8_t)(hi << 4 | lo) : 0;
	}
	knot_rrset_t rr;
	size_t pos = 0;
	if (ret == ERR_OK &&
	    (knot_rrset_rr_from_wire(wire, &pos, osize + 10 + rdlen, &rr, NULL, true) != KNOT_EOK ||
	     pos != osize + 10 + rdlen)) {
		ret = ERR_INVALID;
	} else if (ret == ERR_OK) {
		put_rrset(b, &rr);
		knot_rrset_clear(&rr, NULL);
	}
	free(wire);
	return ret;
}

/* A JSON array of RRs into b; the first must be an SOA, whose serial goes to *serial. */
static int put_json_rrs(dbuf_t *b, const char *text, const char *region, uint32_t *serial)
{
	json_t *arr = text != NULL ? json_loads(text, 0, NULL) : NULL;
	int ret = json_is_array(arr) && json_array_size(arr) > 0 ? ERR_OK : ERR_INVALID;
	for (size_t i = 0; ret == ERR_OK && i < json_array_size(arr); i++) {
		uint16_t type = 0;
		size_t before = b->count;
		ret = put_json_rr(b, json_array_get(arr, i), region, &type);
		if (i == 0 && (ret != ERR_OK || type != KNOT_RRTYPE_SOA || b->count != before + 1)) {
			ret = ERR_INVALID;
		}
	}
	if (ret == ERR_OK) {
		diff_rr_t soa;
		size_t pos = 0;
		xfr_diff_t view = { .data = b->p, .size = b->size };
		diff_rr_next(&view, &pos, &soa);
		*serial = knot_soa_serial(soa.rdata);
	}
	json_decref(arr);
	return ret;
}

int diff_from_row(const store_change_row_t *row, const char *region, xfr_diff_t **out)
{
	if (row->kind == NULL || strcmp(row->kind, "records") != 0) {
		return ERR_INVALID; /* a zone created, replaced, (de)activated: no IXFR across */
	}
	dbuf_t rem = { 0 }, add = { 0 };
	uint32_t from = 0, to = 0;
	int ret = put_json_rrs(&rem, row->removed, region, &from);
	if (ret == ERR_OK) {
		ret = put_json_rrs(&add, row->added, region, &to);
	}
	if (ret == ERR_OK && (to != row->serial || !xfr_serial_lt(from, to))) {
		ret = ERR_INVALID;
	}
	if (ret != ERR_OK) {
		free(rem.p);
		free(add.p);
		return ret;
	}
	*out = diff_make(&rem, &add, from, to);
	return ERR_OK;
}

/* --- journals ------------------------------------------------------------------------- */

void journal_free(void *p)
{
	xfr_journal_t *j = p;
	if (j == NULL) {
		return;
	}
	for (size_t i = 0; i < j->count; i++) {
		diff_unref(j->diffs[i]);
	}
	free(j);
}

xfr_journal_t *journal_copy(const xfr_journal_t *j)
{
	if (j == NULL || j->count == 0) {
		return NULL;
	}
	xfr_journal_t *c = xmalloc(sizeof(*c) + j->count * sizeof(xfr_diff_t *));
	c->count = j->count;
	c->rr_total = j->rr_total;
	for (size_t i = 0; i < j->count; i++) {
		c->diffs[i] = j->diffs[i];
		atomic_fetch_add(&c->diffs[i]->refs, 1);
	}
	return c;
}

long journal_find(const xfr_journal_t *j, uint32_t from)
{
	for (size_t i = 0; j != NULL && i < j->count; i++) {
		if (j->diffs[i]->from == from) {
			return (long)i;
		}
	}
	return -1;
}

/* A journal of diffs[0..n) (taken), cut from the oldest end to the limits. */
static xfr_journal_t *journal_make(xfr_diff_t **diffs, size_t n, const journal_limits_t *lim)
{
	size_t first = 0, rrs = 0;
	for (size_t i = 0; i < n; i++) {
		rrs += diffs[i]->removed + diffs[i]->added;
	}
	while (first < n && (n - first > lim->max_diffs || rrs > lim->max_rrs)) {
		rrs -= diffs[first]->removed + diffs[first]->added;
		diff_unref(diffs[first++]);
	}
	if (first == n) {
		return NULL;
	}
	xfr_journal_t *j = xmalloc(sizeof(*j) + (n - first) * sizeof(xfr_diff_t *));
	j->count = n - first;
	j->rr_total = rrs;
	memcpy(j->diffs, diffs + first, j->count * sizeof(xfr_diff_t *));
	return j;
}

xfr_journal_t *journal_append(const xfr_journal_t *old, xfr_diff_t *d,
			      const journal_limits_t *lim)
{
	size_t n = old != NULL ? old->count : 0;
	if (n > 0 && old->diffs[n - 1]->to != d->from) {
		n = 0; /* the old history does not lead here */
	}
	xfr_diff_t **diffs = xmalloc((n + 1) * sizeof(*diffs));
	for (size_t i = 0; i < n; i++) {
		diffs[i] = old->diffs[i];
		atomic_fetch_add(&diffs[i]->refs, 1);
	}
	diffs[n] = d;
	xfr_journal_t *j = journal_make(diffs, n + 1, lim);
	free(diffs);
	return j;
}

xfr_journal_t *journal_from_rows(const store_change_row_t *rows, size_t count,
				 uint32_t serial, const char *region,
				 const journal_limits_t *lim)
{
	xfr_diff_t **diffs = xmalloc((count + 1) * sizeof(*diffs));
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		xfr_diff_t *d = NULL;
		/* A row far too big to be kept (an import of the whole zone) is not even
		 * parsed. */
		size_t text = (rows[i].removed != NULL ? strlen(rows[i].removed) : 0) +
			      (rows[i].added != NULL ? strlen(rows[i].added) : 0);
		bool is_ok = text / RR_JSON_TYPICAL_MAX <= lim->max_rrs &&
			     diff_from_row(&rows[i], region, &d) == ERR_OK;
		if (!is_ok || (n > 0 && diffs[n - 1]->to != d->from)) {
			while (n > 0) { /* the chain breaks here: only what follows counts */
				diff_unref(diffs[--n]);
			}
		}
		if (is_ok) {
			diffs[n++] = d;
		}
	}
	if (n > 0 && diffs[n - 1]->to != serial) {
		while (n > 0) { /* the log does not end at the version we serve */
			diff_unref(diffs[--n]);
		}
	}
	xfr_journal_t *j = n > 0 ? journal_make(diffs, n, lim) : NULL;
	free(diffs);
	return j;
}
