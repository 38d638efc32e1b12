/* zone_import.c -- zone files in: libzscanner reads the wire types, rr.c the pseudo-types
 * (ALIAS, URL, POOL), and each record is then checked exactly as an API create is. */
#include <ctype.h>
#include <libknot/libknot.h>
#include <libzscanner/scanner.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "model/zone_import.h"

static int fail(arena_t *a, zone_import_t *out, size_t line, const char *msg)
{
	out->err_line = line;
	out->err_message = line ? arena_printf(a, "line %zu: %s", line, msg) : msg;
	return ERR_INVALID;
}

typedef struct builder {
	arena_t *a;
	const zone_t *zone;
	zone_import_t *out;
	size_t cap;
	size_t *lines;            /* line of each record, for the zone-wide checks */
} builder_t;

/* Check one record as the API would and append it. */
static int add(builder_t *b, size_t line, const char *name, const rrtype_t *type, uint32_t ttl,
	       const char *content, bool has_priority, int64_t priority)
{
	if (ttl < RECORD_TTL_MIN || ttl > RECORD_TTL_MAX) {
		return fail(b->a, b->out, line,
			    arena_printf(b->a, "TTL %u is outside %d..%d", ttl, RECORD_TTL_MIN,
					 RECORD_TTL_MAX));
	}
	rr_input_t in = { .origin = b->zone->name, .name = name, .type = type, .content = content,
			  .has_priority = has_priority, .priority = priority };
	rr_parsed_t p;
	rr_error_t err = { 0 };
	if (rr_parse(b->a, &in, &p, &err) != ERR_OK) {
		return fail(b->a, b->out, line,
			    arena_printf(b->a, "%s %s %s", type->name, err.field ? err.field : "",
					 err.message ? err.message : "is invalid"));
	}
	if (b->out->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		record_t *rs = arena_alloc_array(b->a, cap, sizeof(record_t));
		size_t *ls = arena_alloc_array(b->a, cap, sizeof(size_t));
		if (rs == NULL || ls == NULL) {
			return ERR_TOOBIG;
		}
		if (b->out->count > 0) {
			memcpy(rs, b->out->records, b->out->count * sizeof(record_t));
			memcpy(ls, b->lines, b->out->count * sizeof(size_t));
		}
		b->out->records = rs;
		b->lines = ls;
		b->cap = cap;
	}
	record_t *r = &b->out->records[b->out->count];
	memset(r, 0, sizeof(*r));
	char *lname = arena_strdup(b->a, strcmp(name, "@") == 0 ? "" : name);
	for (char *c = lname; *c != '\0'; c++) {
		*c = (char)tolower((unsigned char)*c);
	}
	r->zone_id = b->zone->id;
	r->zone_name = b->zone->name;
	r->name = lname;
	r->type = type;
	r->content = p.content;
	r->rdata = p.rdata;
	r->rdata_size = p.rdata_size;
	r->ttl = ttl;
	r->has_priority = p.has_priority;
	r->priority = p.priority;
	r->regions = "global";
	b->lines[b->out->count] = line;
	b->out->count++;
	return ERR_OK;
}

/* The owner relative to the zone, from the scanner's wire owner. */
static const char *relative_owner(arena_t *a, const zs_scanner_t *s, const knot_dname_t *apex)
{
	if (knot_dname_in_bailiwick(s->r_owner, apex) < 0) { /* 0: the apex itself */
		return NULL;
	}
	size_t prefix = knot_dname_labels(s->r_owner, NULL) - knot_dname_labels(apex, NULL);
	if (prefix == 0) {
		return "";
	}
	char buf[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(buf, s->r_owner, sizeof(buf)) == NULL) {
		return NULL;
	}
	/* keep the first `prefix` labels of "a.b.zone." */
	const char *p = buf;
	for (size_t i = 0; i < prefix; i++) {
		p += strcspn(p, ".") + 1; /* owners from the scanner have no escaped dots here */
	}
	return arena_strndup(a, buf, (size_t)(p - buf - 1));
}

static int scan(builder_t *b, const char *text, size_t len, uint32_t default_ttl)
{
	arena_t *a = b->a;
	const char *origin = arena_printf(a, "%s.", b->zone->name);
	knot_dname_t apex[KNOT_DNAME_MAXLEN];
	if (knot_dname_from_str(apex, origin, sizeof(apex)) == NULL) {
		return fail(a, b->out, 0, "the zone name is not a domain name");
	}
	knot_dname_to_lower(apex);
	zs_scanner_t *s = malloc(sizeof(*s));
	if (s == NULL || zs_init(s, origin, KNOT_CLASS_IN, default_ttl) != 0 ||
	    zs_set_input_string(s, text, len) != 0) {
		free(s);
		return ERR_NOMEM;
	}
	int ret = ERR_OK;
	while (ret == ERR_OK && zs_parse_record(s) == 0 && s->state == ZS_STATE_DATA) {
		size_t line = (size_t)s->line_counter;
		knot_dname_to_lower(s->r_owner);
		const char *name = relative_owner(a, s, apex);
		const rrtype_t *type = rrtype_by_code(s->r_type);
		if (name == NULL) {
			ret = fail(a, b->out, line, "the owner is outside the zone");
		} else if (type == NULL) {
			ret = fail(a, b->out, line, "unsupported record type");
		} else if (type->code == KNOT_RRTYPE_SOA ||
			   (type->code == KNOT_RRTYPE_NS && *name == '\0')) {
			b->out->skipped_system++; /* the zone's own SOA and NS set stay */
		} else {
			const char *content = NULL;
			bool has_priority = false;
			int64_t priority = 0;
			if (rr_format(a, b->zone->name, type, s->r_data, s->r_data_length, &content,
				      &has_priority, &priority) != ERR_OK) {
				ret = fail(a, b->out, line, "malformed record data");
			} else {
				ret = add(b, line, name, type, s->r_ttl, content, has_priority,
					  priority);
			}
		}
	}
	if (ret == ERR_OK && s->state == ZS_STATE_ERROR) {
		ret = fail(a, b->out, (size_t)s->line_counter, zs_strerror(s->error.code));
	} else if (ret == ERR_OK && s->state == ZS_STATE_INCLUDE) {
		ret = fail(a, b->out, (size_t)s->line_counter, "$INCLUDE is not supported");
	}
	zs_deinit(s);
	free(s);
	return ret;
}

static int cmp_records(const void *x, const void *y)
{
	const record_t *a = *(record_t *const *)x, *b = *(record_t *const *)y;
	int c = strcmp(a->name, b->name);
	if (c != 0) {
		return c;
	}
	c = (int)a->type->code - (int)b->type->code;
	if (c != 0) {
		return c;
	}
	c = strcmp(a->content, b->content);
	return c != 0 ? c : (a->priority > b->priority) - (a->priority < b->priority);
}

typedef struct dname_owner {
	const char *name;
	size_t line;
} dname_owner_t;

static int cmp_owner(const void *x, const void *y)
{
	return strcmp(((const dname_owner_t *)x)->name, ((const dname_owner_t *)y)->name);
}

/* RFC 6672 2.4: no records below a DNAME's owner (knotd refuses such a zone). The DNAME
 * owners are sorted once; each record's ancestors (names are relative and lowercase,
 * "" is the apex) are looked up among them. */
static int dname_subtree_checks(builder_t *b)
{
	const zone_import_t *out = b->out;
	dname_owner_t *owners = arena_alloc_array(b->a, out->count + 1, sizeof(*owners));
	if (owners == NULL) {
		return ERR_TOOBIG;
	}
	size_t n = 0;
	for (size_t i = 0; i < out->count; i++) {
		if (out->records[i].type->code == KNOT_RRTYPE_DNAME) {
			owners[n++] = (dname_owner_t){ out->records[i].name, b->lines[i] };
		}
	}
	if (n == 0) {
		return ERR_OK;
	}
	qsort(owners, n, sizeof(*owners), cmp_owner);
	for (size_t i = 0; i < out->count; i++) {
		for (const char *p = out->records[i].name; *p != '\0';) {
			const char *dot = strchr(p, '.');
			p = dot != NULL ? dot + 1 : "";
			dname_owner_t key = { p, 0 };
			const dname_owner_t *d = bsearch(&key, owners, n, sizeof(*owners), cmp_owner);
			if (d != NULL) {
				/* reported on the later of the two lines, as the other conflicts */
				size_t line = b->lines[i] > d->line ? b->lines[i] : d->line;
				return fail(b->a, b->out, line,
					    "a name below a DNAME record cannot hold records");
			}
		}
	}
	return ERR_OK;
}

/* What the store checks per record, for the whole file at once. */
static int zone_wide_checks(builder_t *b)
{
	size_t n = b->out->count;
	record_t **sorted = arena_alloc_array(b->a, n + 1, sizeof(record_t *));
	if (sorted == NULL) {
		return ERR_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		sorted[i] = &b->out->records[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_records);
	for (size_t i = 0; i < n; i++) {
		/* a conflict is reported on the later of its two lines, where it arises */
		size_t line = b->lines[sorted[i] - b->out->records];
		if (i > 0 && b->lines[sorted[i - 1] - b->out->records] > line) {
			line = b->lines[sorted[i - 1] - b->out->records];
		}
		if (i > 0 && cmp_records(&sorted[i - 1], &sorted[i]) == 0) {
			return fail(b->a, b->out, line, "duplicate record");
		}
		/* records of one name are adjacent: a CNAME must be the only one there */
		bool same_prev = i > 0 && strcmp(sorted[i - 1]->name, sorted[i]->name) == 0;
		bool is_cname = sorted[i]->type->code == KNOT_RRTYPE_CNAME;
		bool prev_cname = same_prev && sorted[i - 1]->type->code == KNOT_RRTYPE_CNAME;
		if (same_prev && (is_cname || prev_cname)) {
			return fail(b->a, b->out, line,
				    "a CNAME record cannot share its name with other records");
		}
		/* RFC 6672 2.4: one DNAME at a name */
		if (same_prev && sorted[i]->type->code == KNOT_RRTYPE_DNAME &&
		    sorted[i - 1]->type->code == KNOT_RRTYPE_DNAME) {
			return fail(b->a, b->out, line, "a name can hold only one DNAME record");
		}
	}
	return dname_subtree_checks(b);
}

int zone_import_parse(arena_t *a, const zone_t *zone, const char *text, size_t len,
		      uint32_t default_ttl, zone_import_t *out)
{
	memset(out, 0, sizeof(*out));
	builder_t b = { .a = a, .zone = zone, .out = out };
	rr_zonefile_split_t split;
	rr_error_t err = { 0 };
	int ret = rr_zonefile_split_pseudo(a, zone->name, text, len, &split, &err);
	if (ret == ERR_INVALID) {
		return fail(a, out, split.err_line,
			    arena_printf(a, "%s %s", err.field ? err.field : "",
					 err.message ? err.message : "is invalid"));
	}
	if (ret != ERR_OK) {
		return ret;
	}
	ret = scan(&b, split.text, split.text_len, default_ttl);
	for (size_t i = 0; ret == ERR_OK && i < split.count; i++) {
		const rr_pseudo_rr_t *p = &split.rrs[i];
		ret = add(&b, p->line, p->name, p->type, p->has_ttl ? p->ttl : default_ttl,
			  p->content, false, 0);
	}
	return ret == ERR_OK ? zone_wide_checks(&b) : ret;
}

const char *zone_import_origin(arena_t *a, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && text[end] != '\n') {
			end++;
		}
		if (end - i > 8 && strncasecmp(text + i, "$ORIGIN", 7) == 0 &&
		    isspace((unsigned char)text[i + 7])) {
			size_t p = i + 7;
			while (p < end && isspace((unsigned char)text[p])) {
				p++;
			}
			size_t q = p;
			while (q < end && !isspace((unsigned char)text[q]) && text[q] != ';') {
				q++;
			}
			if (q > p && text[q - 1] == '.') {
				q--;
			}
			return q > p ? arena_strndup(a, text + p, q - p) : NULL;
		}
		i = end + 1;
	}
	return NULL;
}
