/* rr_zonefile.c -- zone-file text for records: export lines, and taking the pseudo-records
 * (ALIAS, URL, POOL) out of a zone file before libzscanner reads it.
 *
 * The splitter is a line lexer, not a second zone-file parser: it knows quotes, escapes,
 * comments and parentheses well enough to find each record's owner and type, takes out
 * the lines whose type is a pseudo-type and leaves everything else to libzscanner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/sbuf.h"
#include "dns/wire/rr.h"
#include "dns/wire/rr_internal.h"

int rr_zonefile_line(arena_t *a, const char *origin, const char *name, uint32_t ttl,
		     const rrtype_t *type, const uint8_t *rdata, uint16_t size,
		     const char *pseudo_content, const char **line)
{
	const char *fqdn = NULL;
	if (type == NULL || rr_owner(a, origin, name, &fqdn) != NULL) {
		return ERR_INVAL_ARG;
	}
	const char *data = NULL;
	if (!(type->flags & RR_PSEUDO)) {
		if (rdata == NULL && size > 0) {
			return ERR_INVAL_ARG;
		}
		int ret = rr_dump(a, type->code, rdata, size, false, &data);
		if (ret != ERR_OK) {
			return ret;
		}
	} else if (pseudo_content == NULL || pseudo_content[0] == '\0') {
		return ERR_INVAL_ARG;
	} else if (type->flags & RR_HOSTNAME) {
		size_t n = strlen(pseudo_content);
		data = pseudo_content[n - 1] == '.' ? pseudo_content
						    : arena_printf(a, "%s.", pseudo_content);
	} else {
		/* URL: quoted, so that ';' in a query string is not a comment. */
		size_t n = strlen(pseudo_content);
		char *q = arena_alloc(a, n * 2 + 3);
		if (q == NULL) {
			return ERR_TOOBIG;
		}
		char *o = q;
		*o++ = '"';
		for (size_t i = 0; i < n; i++) {
			if (pseudo_content[i] == '"' || pseudo_content[i] == '\\') {
				*o++ = '\\';
			}
			*o++ = pseudo_content[i];
		}
		*o++ = '"';
		*o = '\0';
		data = q;
	}
	if (data == NULL) {
		return ERR_TOOBIG;
	}
	*line = arena_printf(a, "%s. %u IN %s %s", fqdn, ttl, type->name, data);
	return *line == NULL ? ERR_TOOBIG : ERR_OK;
}

/* ---- taking pseudo-records out of a zone file ---- */

#define MAX_TOKENS 8

typedef struct tok {
	const char *p;
	size_t len;
} tok_t;

typedef struct line_lex {
	tok_t t[MAX_TOKENS];
	size_t count;     /* tokens seen (may exceed MAX_TOKENS; only the first are kept) */
	bool has_paren;
} line_lex_t;

typedef struct split {
	arena_t *a;
	const char *zone;       /* the zone, no trailing dot */
	size_t zone_len;
	const char *origin;     /* current $ORIGIN, absolute, with the trailing dot */
	tok_t prev_owner;       /* owner token of the last record line ... */
	const char *prev_origin; /* ... and the $ORIGIN it was written under */
	bool owner_taken;       /* that line was taken out: write its owner into the next */
	bool has_ttl;           /* $TTL seen */
	uint32_t ttl;
	int depth;              /* open parentheses carried over from earlier lines */
	sbuf_t out;
	size_t cap;
	rr_zonefile_split_t *res;
	rr_error_t *err;
} split_t;

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Tokens of one line up to its comment; quotes and escapes keep blanks inside a token,
 * parentheses separate tokens and change *depth. */
static void lex(const char *p, size_t len, int *depth, line_lex_t *lx)
{
	lx->count = 0;
	lx->has_paren = false;
	size_t i = 0;
	while (i < len) {
		char c = p[i];
		if (is_blank(c)) {
			i++;
			continue;
		}
		if (c == ';') {
			break;
		}
		if (c == '(' || c == ')') {
			*depth += c == '(' ? 1 : -1;
			lx->has_paren = true;
			i++;
			continue;
		}
		size_t start = i;
		bool quoted = false;
		while (i < len && (quoted || (!is_blank(p[i]) && p[i] != ';' && p[i] != '(' &&
					      p[i] != ')'))) {
			if (p[i] == '\\' && i + 1 < len) {
				i++;
			} else if (p[i] == '"') {
				quoted = !quoted;
			}
			i++;
		}
		if (lx->count < MAX_TOKENS) {
			lx->t[lx->count] = (tok_t){ p + start, i - start };
		}
		lx->count++;
	}
}

static bool tok_is(tok_t t, const char *s)
{
	return t.len == strlen(s) && strncasecmp(t.p, s, t.len) == 0;
}

static bool ends_in_dot(tok_t t)
{
	bool dot = false;
	for (size_t i = 0; i < t.len; i++) {
		dot = t.p[i] == '.';
		if (t.p[i] == '\\') {
			i++;
		}
	}
	return dot;
}

/* A zone-file name made absolute (with the trailing dot) against origin. */
static const char *absolute(arena_t *a, tok_t t, const char *origin)
{
	if (tok_is(t, "@")) {
		return origin;
	}
	if (ends_in_dot(t)) {
		return arena_strndup(a, t.p, t.len);
	}
	if (strcmp(origin, ".") == 0) {
		return arena_printf(a, "%.*s.", (int)t.len, t.p);
	}
	return arena_printf(a, "%.*s.%s", (int)t.len, t.p, origin);
}

static int fail(split_t *s, size_t line, const char *field, const char *message)
{
	s->err->field = field;
	s->err->message = message;
	s->res->err_line = line;
	return ERR_INVALID;
}

/* "www.example.com." -> "www" for zone example.com; NULL when outside the zone. */
static const char *relative(split_t *s, const char *abs)
{
	size_t n = strlen(abs);
	if (n > 0 && abs[n - 1] == '.') {
		n--;
	}
	if (n == s->zone_len && strncasecmp(abs, s->zone, n) == 0) {
		return "";
	}
	if (n > s->zone_len + 1 && abs[n - s->zone_len - 1] == '.' &&
	    strncasecmp(abs + n - s->zone_len, s->zone, s->zone_len) == 0) {
		return arena_strndup(s->a, abs, n - s->zone_len - 1);
	}
	return NULL;
}

static bool parse_ttl(tok_t t, uint32_t *ttl)
{
	uint64_t total = 0;
	uint64_t num = 0;
	bool digits = false;
	for (size_t i = 0; i < t.len; i++) {
		char c = t.p[i];
		const char *units = "smhdw";
		static const uint32_t mult[] = { 1, 60, 3600, 86400, 604800 };
		const char *u = c != '\0' ? strchr(units, c | 0x20) : NULL;
		if (c >= '0' && c <= '9') {
			num = num * 10 + (uint64_t)(c - '0');
			digits = true;
		} else if (u != NULL && digits) {
			total += num * mult[u - units];
			num = 0;
			digits = false;
		} else {
			return false;
		}
		if (num > UINT32_MAX || total > UINT32_MAX) {
			return false;
		}
	}
	total += num;
	if (t.len == 0 || total > UINT32_MAX) {
		return false;
	}
	*ttl = (uint32_t)total;
	return true;
}

static void directive(split_t *s, const line_lex_t *lx)
{
	if (lx->count < 2) {
		return;
	}
	if (tok_is(lx->t[0], "$ORIGIN")) {
		const char *o = absolute(s->a, lx->t[1], s->origin);
		if (o != NULL) {
			s->origin = o;
		}
	} else if (tok_is(lx->t[0], "$TTL")) {
		s->has_ttl = parse_ttl(lx->t[1], &s->ttl);
	}
}

static const rrtype_t *pseudo_type(tok_t t)
{
	for (size_t i = 0; rrtype_row(i) != NULL; i++) {
		const rrtype_t *row = rrtype_row(i);
		if ((row->flags & RR_PSEUDO) && tok_is(t, row->name)) {
			return row;
		}
	}
	return NULL;
}

static bool is_ddd(const char *p)
{
	return p[0] >= '0' && p[0] <= '2' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	       p[2] <= '9' && (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0') <= 255;
}

/* A quoted token without its quotes and escapes (\X, \DDD). */
static const char *unquote(arena_t *a, tok_t t)
{
	if (t.len < 2 || t.p[0] != '"' || t.p[t.len - 1] != '"') {
		return arena_strndup(a, t.p, t.len);
	}
	char *out = arena_alloc(a, t.len);
	if (out == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 1; i + 1 < t.len; i++) {
		char c = t.p[i];
		if (c == '\\' && i + 4 < t.len && is_ddd(t.p + i + 1)) {
			c = (char)((t.p[i + 1] - '0') * 100 + (t.p[i + 2] - '0') * 10 +
				   (t.p[i + 3] - '0'));
			i += 3;
		} else if (c == '\\' && i + 2 < t.len) {
			c = t.p[++i];
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static int push(split_t *s, const rr_pseudo_rr_t *rr)
{
	if (s->res->count == s->cap) {
		size_t cap = s->cap == 0 ? 16 : s->cap * 2;
		rr_pseudo_rr_t *n = arena_alloc_array(s->a, cap, sizeof(*n));
		if (n == NULL) {
			return ERR_TOOBIG;
		}
		if (s->res->count > 0) {
			memcpy(n, s->res->rrs, s->res->count * sizeof(*n));
		}
		s->res->rrs = n;
		s->cap = cap;
	}
	s->res->rrs[s->res->count++] = *rr;
	return ERR_OK;
}

/* One pseudo-record line: tokens from t[first] on are [ttl] [IN] TYPE content. */
static int take(split_t *s, size_t line_no, const line_lex_t *lx, size_t at, tok_t owner,
		const char *owner_origin, const rrtype_t *type, const tok_t *ttl_tok)
{
	rr_pseudo_rr_t rr = { .line = line_no, .type = type, .has_ttl = s->has_ttl,
			      .ttl = s->ttl };
	if (lx->has_paren) {
		return fail(s, line_no, "content", "is invalid: parentheses are not supported "
			    "on ALIAS, URL and POOL lines");
	}
	if (ttl_tok != NULL) {
		if (!parse_ttl(*ttl_tok, &rr.ttl)) {
			return fail(s, line_no, "ttl", "is invalid");
		}
		rr.has_ttl = true;
	}
	if (lx->count != at + 2) {
		return fail(s, line_no, "content", lx->count < at + 2 ? "can't be blank"
					      : "is invalid: one value expected");
	}
	const char *abs = owner.p == NULL ? NULL : absolute(s->a, owner, owner_origin);
	rr.name = abs == NULL ? NULL : relative(s, abs);
	const char *fqdn = NULL;
	const char *msg = NULL;
	if (rr.name == NULL) {
		return fail(s, line_no, "name", "is invalid: the owner is missing or outside the "
			    "zone");
	}
	if ((msg = rr_owner(s->a, s->zone, rr.name, &fqdn)) != NULL) {
		return fail(s, line_no, "name", msg);
	}
	tok_t c = lx->t[at + 1];
	const char *content = (type->flags & RR_HOSTNAME) ? absolute(s->a, c, s->origin)
							  : unquote(s->a, c);
	if (content == NULL) {
		return ERR_TOOBIG;
	}
	const char *apex = arena_strndup(s->a, s->zone, s->zone_len);
	if (apex == NULL) {
		return ERR_TOOBIG;
	}
	int ret = rr_pseudo_content(s->a, apex, type, content, &rr.content, s->err);
	if (ret == ERR_INVALID) {
		s->res->err_line = line_no;
	}
	return ret != ERR_OK ? ret : push(s, &rr);
}

/* One line (without its newline); appends what the scanner should see to s->out. */
static int split_line(split_t *s, size_t line_no, const char *p, size_t len)
{
	line_lex_t lx;
	bool continued = s->depth > 0;
	lex(p, len, &s->depth, &lx);
	if (s->depth < 0) {
		s->depth = 0;
	}
	if (continued || lx.count == 0) {
		sbuf_append(&s->out, p, len);
		return ERR_OK;
	}
	if (p[0] == '$') {
		directive(s, &lx);
		sbuf_append(&s->out, p, len);
		return ERR_OK;
	}
	bool has_owner = !is_blank(p[0]);
	size_t at = has_owner ? 1 : 0;
	const tok_t *ttl_tok = NULL;
	for (size_t k = 0; k < 2 && at < lx.count && at < MAX_TOKENS; k++) {
		if (lx.t[at].p[0] >= '0' && lx.t[at].p[0] <= '9') {
			ttl_tok = &lx.t[at++];
		} else if (tok_is(lx.t[at], "IN")) {
			at++;
		}
	}
	const rrtype_t *type = at < lx.count && at < MAX_TOKENS ? pseudo_type(lx.t[at]) : NULL;
	if (has_owner) {
		s->prev_owner = lx.t[0];
		s->prev_origin = s->origin;
	}
	if (type != NULL) {
		int ret = take(s, line_no, &lx, at, s->prev_owner, s->prev_origin, type, ttl_tok);
		if (ret != ERR_OK) {
			return ret;
		}
		s->owner_taken = true;
		sbuf_append(&s->out, ";", 1);
		sbuf_append(&s->out, p + 1, len - 1);
		return ERR_OK;
	}
	if (!has_owner && s->owner_taken && s->prev_owner.p != NULL) {
		const char *abs = absolute(s->a, s->prev_owner, s->prev_origin);
		if (abs == NULL) {
			return ERR_TOOBIG;
		}
		sbuf_puts(&s->out, abs);
	}
	s->owner_taken = false;
	sbuf_append(&s->out, p, len);
	return ERR_OK;
}

int rr_zonefile_split_pseudo(arena_t *a, const char *origin, const char *text, size_t len,
			     rr_zonefile_split_t *out, rr_error_t *err)
{
	memset(out, 0, sizeof(*out));
	size_t zone_len = rr_origin_len(origin);
	if (zone_len == 0 || (text == NULL && len > 0)) {
		return ERR_INVAL_ARG;
	}
	split_t s = { .a = a, .zone = origin, .zone_len = zone_len, .res = out, .err = err };
	s.origin = arena_printf(a, "%.*s.", (int)zone_len, origin);
	s.prev_origin = s.origin;
	if (s.origin == NULL) {
		return ERR_TOOBIG;
	}
	int ret = ERR_OK;
	size_t line_no = 1;
	for (size_t i = 0; i < len && ret == ERR_OK; line_no++) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl == NULL ? len : (size_t)(nl - text);
		ret = split_line(&s, line_no, text + i, end - i);
		if (nl != NULL) {
			sbuf_append(&s.out, "\n", 1);
		}
		i = end + 1;
	}
	if (ret == ERR_OK) {
		out->text_len = s.out.len;
		out->text = arena_strndup(a, s.out.p != NULL ? s.out.p : "", s.out.len);
		ret = out->text == NULL ? ERR_TOOBIG : ERR_OK;
	}
	sbuf_clear(&s.out);
	return ret;
}
