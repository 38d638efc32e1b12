/* rr.c -- record content: DNSimple's text <-> wire rdata, through libzscanner and libknot.
 *
 * rr_parse() writes one zone-file line and lets libzscanner read it (the content rules
 * are in rr.h). The line always names the owner absolutely and the scanner's origin is
 * the root, so content names without a trailing dot are absolute, as DNSimple has them.
 * The normalized content is printed back from the wire form by rr_format(), so the two
 * agree by construction. A scanner is ~200 KiB: each thread keeps one (allocated on first
 * use, freed at thread exit) and zs_init()s it per record, about 2 us. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/wire/rr.h"
#include "dns/wire/rr_internal.h"

#define LINE_TTL 3600      /* the scanner wants a TTL; the store keeps the record's own */
#define TXT_CHUNK 255      /* RFC 1035 3.3: a <character-string> holds at most 255 bytes */
#define DUMP_MAX (1u << 21) /* largest presentation text of one rdata we print */

/* Our own reasons next to the scanner's ZS_* codes (which are all negative). */
enum { SCAN_COMMENT = 1, SCAN_MULTI, SCAN_NOTHING };

/* ---- the per-thread scanner ---- */

static pthread_key_t scanner_key;
static pthread_once_t scanner_once = PTHREAD_ONCE_INIT;
static __thread zs_scanner_t *tls_scanner;

static void on_thread_exit(void *p)
{
	free(p);
}

static void make_key(void)
{
	if (pthread_key_create(&scanner_key, on_thread_exit) != 0) {
		abort();
	}
}

static zs_scanner_t *scanner_get(void)
{
	if (tls_scanner == NULL) {
		(void)pthread_once(&scanner_once, make_key);
		tls_scanner = xmalloc(sizeof(*tls_scanner));
		(void)pthread_setspecific(scanner_key, tls_scanner);
	}
	return tls_scanner;
}

void rr_thread_release(void)
{
	if (tls_scanner != NULL) {
		(void)pthread_setspecific(scanner_key, NULL);
		free(tls_scanner);
		tls_scanner = NULL;
	}
}

/* Read one zone-file line that must hold exactly one record. The rdata is copied into
 * the arena (the scanner is reused). *why gets a ZS_* or SCAN_* code on ERR_INVALID. */
static int scan(arena_t *a, const char *line, size_t len, bool long_strings, uint8_t **rdata,
		uint16_t *size, int *why)
{
	zs_scanner_t *s = scanner_get();
	if (zs_init(s, ".", KNOT_CLASS_IN, LINE_TTL) != 0) {
		zs_deinit(s);
		return ERR_NOMEM;
	}
	s->long_string = long_strings;
	int ret = ERR_INVALID;
	*why = SCAN_NOTHING;
	if (zs_set_input_string(s, line, len) != 0 || zs_parse_record(s) != 0 ||
	    s->state != ZS_STATE_DATA) {
		if (s->state == ZS_STATE_ERROR && s->error.code != ZS_OK) {
			*why = s->error.code;
		}
		goto done;
	}
	if (s->buffer_length > 0) {
		*why = SCAN_COMMENT;
		goto done;
	}
	*size = (uint16_t)s->r_data_length;
	*rdata = arena_alloc(a, s->r_data_length + 1);
	if (*rdata == NULL) {
		ret = ERR_TOOBIG;
		goto done;
	}
	memcpy(*rdata, s->r_data, s->r_data_length);
	if (zs_parse_record(s) != 0 || s->state != ZS_STATE_EOF) {
		*why = SCAN_MULTI;
		goto done;
	}
	ret = ERR_OK;
done:
	zs_deinit(s);
	return ret;
}

/* ---- building the zone-file line ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t put_ddd(char *o, unsigned char c)
{
	o[0] = (char)('0' + c / 100);
	o[1] = (char)('0' + c / 10 % 10);
	o[2] = (char)('0' + c % 10);
	return 3;
}

static bool needs_ddd(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c >= 0x7f;
}

/* Copy content into a zone-file line: bytes that are not printable ASCII become \DDD (the
 * scanner refuses them raw), and with apex != NULL a bare "@" token becomes "apex.". */
static char *put_content(char *o, const char *c, const char *apex, size_t apex_len)
{
	bool quoted = false;
	for (size_t i = 0; c[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (ch == '\\') {
			*o++ = '\\';
			if (c[i + 1] == '\0') {
				break;
			}
			ch = (unsigned char)c[++i];
			if (needs_ddd(ch)) {
				o += put_ddd(o, ch);
			} else {
				*o++ = (char)ch;
			}
			continue;
		}
		if (needs_ddd(ch)) {
			*o++ = '\\';
			o += put_ddd(o, ch);
			continue;
		}
		if (ch == '"') {
			quoted = !quoted;
		}
		bool alone = (i == 0 || is_blank(c[i - 1]) || c[i - 1] == '(') &&
			     (c[i + 1] == '\0' || is_blank(c[i + 1]) || c[i + 1] == ')');
		if (ch == '@' && !quoted && apex != NULL && alone) {
			memcpy(o, apex, apex_len);
			o += apex_len;
			*o++ = '.';
			continue;
		}
		*o++ = (char)ch;
	}
	return o;
}

/* "<fqdn>. 3600 IN <mnemonic> [<prio> ]<content>\n" in the arena. */
static char *build_line(arena_t *a, const char *fqdn, const char *mnemonic, long prio,
			const char *content, const char *apex, size_t *len)
{
	size_t clen = strlen(content);
	size_t ats = 0;
	for (const char *p = strchr(content, '@'); p != NULL; p = strchr(p + 1, '@')) {
		ats++;
	}
	size_t apex_len = apex == NULL ? 0 : strlen(apex);
	size_t cap = strlen(fqdn) + strlen(mnemonic) + 48 + clen * 4 + ats * (apex_len + 1);
	char *line = arena_alloc(a, cap);
	if (line == NULL) {
		return NULL;
	}
	int n = prio >= 0 ? snprintf(line, cap, "%s. %d IN %s %ld ", fqdn, LINE_TTL, mnemonic, prio)
			  : snprintf(line, cap, "%s. %d IN %s ", fqdn, LINE_TTL, mnemonic);
	if (n < 0 || (size_t)n >= cap) {
		return NULL;
	}
	char *o = put_content(line + n, content, apex, apex_len);
	*o++ = '\n';
	*o = '\0';
	*len = (size_t)(o - line);
	return line;
}

/* ---- printing rdata ---- */

/* libknot hands every name it prints to this hook (meant for IDN conversion); a name
 * always ends with the root's dot, which we drop unless the name is the root itself. */
static void strip_dot(char **name)
{
	size_t n = strlen(*name);
	if (n > 1 && (*name)[n - 1] == '.') {
		(*name)[n - 1] = '\0';
	}
}

/* Collapse blanks outside quotes to one space and trim the ends, in place. */
static void collapse(char *s)
{
	size_t o = 0;
	bool quoted = false;
	bool gap = false;
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			gap = true;
			continue;
		}
		if (gap && o > 0) {
			s[o++] = ' ';
		}
		gap = false;
		s[o++] = c;
		if (c == '\\' && s[i + 1] != '\0') {
			s[o++] = s[++i];
		} else if (c == '"') {
			quoted = !quoted;
		}
	}
	s[o] = '\0';
}

static void *on_mm_alloc(void *ctx, size_t len)
{
	return arena_alloc(ctx, len);
}

static void on_mm_free(void *p)
{
	(void)p; /* the arena frees */
}

/* Does rdata have the shape libknot's descriptor gives the type (fixed fields, names,
 * nothing left over)? RFC 3597 "\#" data reaches us unchecked from the scanner, and
 * wire data from outside is untrusted. Names must be uncompressed (RFC 3597 4). */
static int wire_check(arena_t *a, uint16_t code, const uint8_t *rdata, uint16_t size)
{
	size_t total = 11 + (size_t)size;
	uint8_t *w = arena_alloc(a, total);
	if (w == NULL) {
		return ERR_TOOBIG;
	}
	w[0] = 0; /* owner: the root */
	knot_wire_write_u16(w + 1, code);
	knot_wire_write_u16(w + 3, KNOT_CLASS_IN);
	knot_wire_write_u32(w + 5, 0);
	knot_wire_write_u16(w + 9, size);
	if (size > 0) {
		memcpy(w + 11, rdata, size);
	}
	knot_mm_t mm = { .ctx = a, .alloc = on_mm_alloc, .free = on_mm_free };
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	size_t pos = 0;
	int ret = knot_rrset_rr_from_wire(w, &pos, total, &rr, &mm, false);
	if (ret == KNOT_ENOMEM) {
		return ERR_TOOBIG;
	}
	/* a compression pointer would have been expanded: the rdata would differ */
	bool same = ret == KNOT_EOK && pos == total && rr.rrs.count == 1 &&
		    rr.rrs.rdata->len == size &&
		    (size == 0 || memcmp(rr.rrs.rdata->data, rdata, size) == 0);
	return same ? ERR_OK : ERR_PARSE;
}

int rr_dump(arena_t *a, uint16_t code, const uint8_t *rdata, uint16_t size, bool strip_dots,
	    const char **text)
{
	int ret = wire_check(a, code, rdata, size);
	if (ret != ERR_OK) {
		return ret;
	}
	knot_rdata_t *rd = arena_alloc(a, knot_rdata_size(size));
	if (rd == NULL) {
		return ERR_TOOBIG;
	}
	knot_rdata_init(rd, size, rdata);
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)"", code, KNOT_CLASS_IN, 0);
	rr.rrs.count = 1;
	rr.rrs.size = knot_rdata_size(size);
	rr.rrs.rdata = rd;
	knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
	style.wrap = false;
	style.human_timestamp = false;
	style.ascii_to_idn = strip_dots ? strip_dot : NULL;
	/* \DDD is the widest common case (4 chars a byte); NSEC bitmaps can be wider. */
	size_t cap = (size_t)size * 4 + 256;
	for (;;) {
		char *buf = arena_alloc(a, cap);
		if (buf == NULL) {
			return ERR_TOOBIG;
		}
		int n = knot_rrset_txt_dump_data(&rr, 0, buf, cap, &style);
		if (n >= 0) {
			collapse(buf);
			*text = buf;
			return ERR_OK;
		}
		if (n != KNOT_ESPACE || cap == DUMP_MAX) {
			return ERR_PARSE;
		}
		cap = cap * 8 < DUMP_MAX ? cap * 8 : DUMP_MAX;
	}
}

int rr_format(arena_t *a, const char *origin, const rrtype_t *type, const uint8_t *rdata,
	      uint16_t size, const char **content, bool *has_priority, int64_t *priority)
{
	if (type == NULL || (type->flags & RR_PSEUDO) || (rdata == NULL && size > 0)) {
		return ERR_INVAL_ARG;
	}
	const char *text = NULL;
	int ret = rr_dump(a, type->code, rdata, size, true, &text);
	if (ret != ERR_OK) {
		return ret;
	}
	*has_priority = false;
	if (type->flags & RR_PRIO_FIELD) {
		/* The dump starts with the 16-bit priority, then one space. */
		const char *sp = strchr(text, ' ');
		if (size < 2 || sp == NULL) {
			return ERR_PARSE;
		}
		*has_priority = true;
		*priority = knot_wire_read_u16(rdata);
		text = sp + 1;
	}
	*content = text;
	return ERR_OK;
}

/* ---- owner names ---- */

static const char *char_error(arena_t *a, unsigned char c)
{
	if (c == '*') {
		return "is invalid: '*' is only allowed as the whole leftmost label";
	}
	if (a == NULL) {
		return "is invalid: a character is not allowed";
	}
	if (c > ' ' && c < 0x7f) {
		return arena_printf(a, "is invalid: the character '%c' is not allowed", c);
	}
	return arena_printf(a, "is invalid: the byte \\%03u is not allowed", c);
}

/* Why p[0..len) is not a valid relative name, or NULL; a may be NULL (static messages). */
static const char *label_error(arena_t *a, const char *p, size_t len, bool wild_ok)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '.') {
			continue;
		}
		size_t n = i - start;
		const char *l = p + start;
		if (n == 0) {
			return "is invalid: it has an empty label (a leading dot or two dots in a "
			       "row)";
		}
		if (n > 63) {
			return "is invalid: a label is longer than 63 characters";
		}
		bool wild = n == 1 && l[0] == '*';
		if (wild && (start != 0 || !wild_ok)) {
			return "is invalid: '*' is only allowed as the whole leftmost label";
		}
		for (size_t k = 0; k < n && !wild; k++) {
			if (!rr_label_char((unsigned char)l[k])) {
				return char_error(a, (unsigned char)l[k]);
			}
		}
		start = i + 1;
	}
	return NULL;
}

size_t rr_origin_len(const char *origin)
{
	if (origin == NULL) {
		return 0;
	}
	size_t len = strlen(origin);
	if (len > 1 && origin[len - 1] == '.') {
		len--;
	}
	if (len == 0 || len > 253 || label_error(NULL, origin, len, false) != NULL) {
		return 0;
	}
	return len;
}

static bool is_apex(const char *name)
{
	return name == NULL || name[0] == '\0' || strcmp(name, "@") == 0;
}

const char *rr_owner(arena_t *a, const char *origin, const char *name, const char **fqdn)
{
	size_t olen = rr_origin_len(origin);
	if (olen == 0) {
		return "is invalid: the zone name is not a valid domain name";
	}
	if (is_apex(name)) {
		*fqdn = arena_strndup(a, origin, olen);
		return *fqdn == NULL ? "is too long" : NULL;
	}
	size_t len = strlen(name);
	if (name[len - 1] == '.') {
		return "is invalid: names are relative to the zone, leave out the trailing dot";
	}
	const char *msg = label_error(a, name, len, true);
	if (msg != NULL) {
		return msg;
	}
	if (len + 1 + olen > 253) {
		return "is too long: the full name must be at most 253 characters";
	}
	char *out = arena_alloc(a, len + 1 + olen + 1);
	if (out == NULL) {
		return "is too long";
	}
	memcpy(out, name, len);
	out[len] = '.';
	memcpy(out + len + 1, origin, olen);
	out[len + 1 + olen] = '\0';
	*fqdn = out;
	return NULL;
}

/* ---- rr_parse ---- */

static int fail(rr_error_t *err, const char *field, const char *message)
{
	err->field = field;
	err->message = message != NULL ? message : "is invalid";
	return ERR_INVALID;
}

static int content_fail(arena_t *a, rr_error_t *err, const rrtype_t *t, int why)
{
	const char *reason;
	switch (why) {
	case SCAN_COMMENT:
		reason = "comments (';' outside quotes) are not allowed";
		break;
	case SCAN_MULTI:
		reason = "it holds more than one record";
		break;
	case SCAN_NOTHING:
		reason = "incomplete record data";
		break;
	case ZS_UNSUPPORTED_TYPE:
		return fail(err, "type", "unsupported");
	default:
		reason = zs_strerror(why);
		break;
	}
	return fail(err, "content", arena_printf(a, "is invalid for %s records: %s", t->name,
						 reason));
}

static bool is_blank_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!is_blank(*s)) {
			return false;
		}
	}
	return true;
}

/* The content without blanks at either end: [*start, *start + *len). */
static void trim(const char *c, size_t *start, size_t *len)
{
	size_t b = 0;
	size_t e = strlen(c);
	while (b < e && is_blank(c[b])) {
		b++;
	}
	while (e > b && is_blank(c[e - 1])) {
		e--;
	}
	*start = b;
	*len = e - b;
}

/* DNSimple's rule: content wrapped in double quotes is zone-file text. */
static bool is_serialized(const char *c, size_t *start)
{
	size_t len = 0;
	trim(c, start, &len);
	return len >= 2 && c[*start] == '"' && c[*start + len - 1] == '"';
}

/* Unquoted TXT content: one raw string, split into 255-byte <character-string>s. */
static int txt_raw(arena_t *a, const char *c, uint8_t **rdata, uint16_t *size, rr_error_t *err)
{
	size_t len = strlen(c);
	size_t chunks = (len + TXT_CHUNK - 1) / TXT_CHUNK;
	if (len + chunks > UINT16_MAX) {
		return fail(err, "content", "is too long");
	}
	uint8_t *w = arena_alloc(a, len + chunks);
	if (w == NULL) {
		return ERR_TOOBIG;
	}
	*rdata = w;
	*size = (uint16_t)(len + chunks);
	for (size_t off = 0; off < len; off += TXT_CHUNK) {
		size_t n = len - off < TXT_CHUNK ? len - off : TXT_CHUNK;
		*w++ = (uint8_t)n;
		memcpy(w, c + off, n);
		w += n;
	}
	return ERR_OK;
}

/* Scan content as the rdata of type code/mnemonic; apex for "@" (NULL: no "@" rule). */
static int scan_content(arena_t *a, const char *fqdn, const rrtype_t *t, const char *mnemonic,
			long prio, const char *content, const char *apex, uint8_t **rdata,
			uint16_t *size, rr_error_t *err)
{
	size_t len = strlen(content);
	size_t slashes = 0;
	while (slashes < len && content[len - 1 - slashes] == '\\') {
		slashes++;
	}
	if (slashes % 2 == 1) {
		/* it would escape the line's end */
		return content_fail(a, err, t, SCAN_NOTHING);
	}
	char *line = build_line(a, fqdn, mnemonic, prio, content, apex, &len);
	if (line == NULL) {
		return ERR_TOOBIG;
	}
	int why = 0;
	int ret = scan(a, line, len, (t->flags & RR_TEXT) != 0, rdata, size, &why);
	if (ret == ERR_INVALID) {
		return content_fail(a, err, t, why);
	}
	return ret;
}

static int pseudo_host(arena_t *a, const char *apex, const rrtype_t *t, const char *content,
		       const char **out, rr_error_t *err)
{
	uint8_t *rdata = NULL;
	uint16_t size = 0;
	const rrtype_t *cname = rrtype_by_code(KNOT_RRTYPE_CNAME);
	int ret = scan_content(a, apex, t, cname->name, -1, content, apex, &rdata, &size, err);
	if (ret != ERR_OK) {
		return ret;
	}
	if (size <= 1) {
		return fail(err, "content", arena_printf(a, "is invalid for %s records: the root "
							 "is not a host name", t->name));
	}
	if (rdata[0] == 1 && rdata[1] == '*') {
		return fail(err, "content", arena_printf(a, "is invalid for %s records: a "
							 "wildcard is not a host name", t->name));
	}
	return rr_dump(a, KNOT_RRTYPE_CNAME, rdata, size, true, out);
}

int rr_pseudo_content(arena_t *a, const char *apex, const rrtype_t *t, const char *content,
		      const char **out, rr_error_t *err)
{
	if (content == NULL || is_blank_text(content)) {
		return fail(err, "content", "can't be blank");
	}
	int ret;
	if (t->flags & RR_HOSTNAME) {
		ret = pseudo_host(a, apex, t, content, out, err);
	} else {
		size_t start = 0;
		size_t len = 0;
		trim(content, &start, &len);
		*out = arena_strndup(a, content + start, len);
		ret = *out == NULL ? ERR_TOOBIG : ERR_OK;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	const char *msg = t->check != NULL ? t->check(a, (const uint8_t *)*out, strlen(*out))
					   : NULL;
	return msg != NULL ? fail(err, "content", msg) : ERR_OK;
}

static int check_priority(arena_t *a, const rr_input_t *in, rr_error_t *err)
{
	const rrtype_t *t = in->type;
	if (t->flags & RR_PRIO_FIELD) {
		int64_t p = in->has_priority ? in->priority : 0;
		if (p < 0 || p > UINT16_MAX) {
			return fail(err, "priority", "must be between 0 and 65535");
		}
	} else if (in->has_priority && in->priority != 0) {
		return fail(err, "priority", arena_printf(a, "is not allowed for %s records",
							  t->name));
	}
	return ERR_OK;
}

static int parse_wire(arena_t *a, const rr_input_t *in, const char *fqdn, const char *apex,
		      rr_parsed_t *out, rr_error_t *err)
{
	const rrtype_t *t = in->type;
	uint8_t *rdata = NULL;
	uint16_t size = 0;
	size_t start = 0;
	int ret;
	if ((t->flags & RR_TEXT) && !is_serialized(in->content, &start)) {
		ret = txt_raw(a, in->content, &rdata, &size, err);
	} else {
		long prio = -1;
		if (t->flags & RR_PRIO_FIELD) {
			prio = in->has_priority ? (long)in->priority : 0;
		}
		const char *c = in->content + start;
		ret = scan_content(a, fqdn, t, t->name, prio, c,
				   (t->flags & RR_TEXT) ? NULL : apex, &rdata, &size, err);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	const char *msg = t->check != NULL ? t->check(a, rdata, size) : NULL;
	if (msg != NULL) {
		return fail(err, "content", msg);
	}
	ret = rr_format(a, in->origin, t, rdata, size, &out->content, &out->has_priority,
			&out->priority);
	if (ret == ERR_PARSE) {
		return fail(err, "content", arena_printf(a, "is invalid for %s records: the "
							 "data does not fit the type", t->name));
	}
	out->rdata = rdata;
	out->rdata_size = size;
	return ret;
}

int rr_parse(arena_t *a, const rr_input_t *in, rr_parsed_t *out, rr_error_t *err)
{
	memset(out, 0, sizeof(*out));
	const rrtype_t *t = in->type;
	if (t == NULL) {
		return fail(err, "type", "unsupported");
	}
	const char *fqdn = NULL;
	const char *msg = rr_owner(a, in->origin, in->name, &fqdn);
	if (msg != NULL) {
		return fail(err, "name", msg);
	}
	int ret = check_priority(a, in, err);
	if (ret != ERR_OK) {
		return ret;
	}
	if (in->content == NULL || is_blank_text(in->content)) {
		return fail(err, "content", "can't be blank");
	}
	if (strpbrk(in->content, "\r\n") != NULL) {
		return fail(err, "content", "is invalid: line breaks are not allowed");
	}
	out->fqdn = fqdn;
	/* rr_owner() checked origin; fqdn ends with it, which is the apex for "@". */
	const char *apex = fqdn + strlen(fqdn) - rr_origin_len(in->origin);
	if (!(t->flags & RR_PSEUDO)) {
		return parse_wire(a, in, fqdn, apex, out, err);
	}
	return rr_pseudo_content(a, apex, t, in->content, &out->content, err);
}
