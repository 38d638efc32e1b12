/* rrtype.c -- the record-type table (rrtype.def), type lookups, and the types' hooks.
 *
 * Types without a row get a row built from libknot's descriptor the first time they are
 * asked for. Those rows are published lock-free into a flat array indexed by type code
 * (compare-and-swap; the loser frees its copy) and live for the whole process: at most
 * one small allocation per type code ever used. */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>

#include "core/mem.h"
#include "dns/wire/rr.h"
#include "dns/wire/rr_internal.h"

static const char *caa_check(arena_t *a, const uint8_t *rdata, size_t size);
static const char *url_check(arena_t *a, const uint8_t *rdata, size_t size);

static const rrtype_t table[] = {
#define RRTYPE(mnemonic, code, flags, check) { #mnemonic, code, flags, check },
#include "dns/wire/rrtype.def"
#undef RRTYPE
};

#define TABLE_COUNT (sizeof(table) / sizeof(table[0]))

typedef struct generic_row {
	rrtype_t row;
	char name[16]; /* "NSEC3PARAM", "TYPE65535" */
} generic_row_t;

static _Atomic(generic_row_t *) generic[65536];

const rrtype_t *rrtype_row(size_t i)
{
	return i < TABLE_COUNT ? &table[i] : NULL;
}

/* RFC 6895 3.1: 0 is reserved, 128..255 are QTYPEs and meta-types, 65535 is reserved.
 * NULL (10) cannot be written in presentation format by libzscanner. */
static bool is_storable(uint16_t code)
{
	return code != 0 && code != KNOT_RRTYPE_NULL && (code < 128 || code > 255) &&
	       code != 65535 && !knot_rrtype_is_metatype(code);
}

const rrtype_t *rrtype_by_code(uint16_t code)
{
	for (size_t i = 0; i < TABLE_COUNT; i++) {
		if (table[i].code == code) {
			return &table[i];
		}
	}
	if (!is_storable(code)) {
		return NULL;
	}
	generic_row_t *g = atomic_load_explicit(&generic[code], memory_order_acquire);
	if (g != NULL) {
		return &g->row;
	}
	g = xcalloc(1, sizeof(*g));
	if (knot_rrtype_to_string(code, g->name, sizeof(g->name)) <= 0) {
		free(g);
		return NULL;
	}
	g->row = (rrtype_t){ g->name, code, 0, NULL };
	generic_row_t *seen = NULL;
	if (!atomic_compare_exchange_strong_explicit(&generic[code], &seen, g,
						     memory_order_acq_rel, memory_order_acquire)) {
		free(g);
		g = seen;
	}
	return &g->row;
}

const rrtype_t *rrtype_find(const char *name)
{
	if (name == NULL || name[0] == '\0') {
		return NULL;
	}
	for (size_t i = 0; i < TABLE_COUNT; i++) {
		if (strcasecmp(table[i].name, name) == 0) {
			return &table[i];
		}
	}
	uint16_t code = 0;
	if (knot_rrtype_from_string(name, &code) != 0) {
		return NULL;
	}
	return rrtype_by_code(code);
}

bool rr_hostname_ok(const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '.') {
		len--;
	}
	if (len == 0 || len > 253) {
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
		} else if (!rr_label_char((unsigned char)p[i]) || ++label > 63) {
			return false;
		}
	}
	return label > 0;
}

/* ---- CAA: RFC 8659 ---- */

static const char *const caa_tags[] = {
	"issue", "issuewild", "iodef", /* RFC 8659 4.2-4.4 */
	"issuemail",                   /* RFC 9495 */
	"issuevmc",                    /* BIMI VMC (CA/B Forum) */
};

static bool has_prefix(const uint8_t *p, size_t size, const char *prefix)
{
	size_t n = strlen(prefix);
	return size >= n && strncasecmp((const char *)p, prefix, n) == 0;
}

static const char *caa_check(arena_t *a, const uint8_t *rdata, size_t size)
{
	if (size < 2 || (size_t)rdata[1] + 2 > size) {
		return "is invalid for CAA records: truncated data";
	}
	/* RFC 8659 4.1: only the Issuer Critical flag (128) is defined. */
	if (rdata[0] != 0 && rdata[0] != 128) {
		return "is invalid for CAA records: the flags must be 0 or 128";
	}
	const uint8_t *tag = rdata + 2;
	size_t tag_len = rdata[1];
	for (size_t i = 0; i < tag_len; i++) {
		if (!((tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= '0' && tag[i] <= '9'))) {
			return "is invalid for CAA records: the tag must be lowercase letters and "
			       "digits";
		}
	}
	const char *known = NULL;
	for (size_t i = 0; i < sizeof(caa_tags) / sizeof(caa_tags[0]); i++) {
		if (strlen(caa_tags[i]) == tag_len && memcmp(caa_tags[i], tag, tag_len) == 0) {
			known = caa_tags[i];
		}
	}
	if (known == NULL) {
		return arena_printf(a, "is invalid for CAA records: unknown tag '%.*s' (use "
				    "issue, issuewild, iodef, issuemail or issuevmc)",
				    (int)tag_len, (const char *)tag);
	}
	const uint8_t *value = tag + tag_len;
	size_t value_size = size - 2 - tag_len;
	/* RFC 8659 4.4: the iodef value is a mailto:, http: or https: URL. */
	if (strcmp(known, "iodef") == 0 && !has_prefix(value, value_size, "mailto:") &&
	    !has_prefix(value, value_size, "http://") &&
	    !has_prefix(value, value_size, "https://")) {
		return "is invalid for CAA records: the iodef value must be a mailto:, http:// "
		       "or https:// URL";
	}
	return NULL;
}

/* ---- URL (DNSimple's redirect pseudo-type) ---- */

#define URL_MAX 2048

static const char *url_host_check(const char *p, size_t len)
{
	if (len == 0) {
		return "is invalid for URL records: the host is missing";
	}
	if (memchr(p, '@', len) != NULL) {
		return "is invalid for URL records: user names and passwords are not allowed";
	}
	size_t host_len = len;
	const char *port = NULL;
	if (p[0] == '[') {
		const char *close = memchr(p, ']', len);
		char addr[INET6_ADDRSTRLEN];
		struct in6_addr in6;
		size_t n = close == NULL ? 0 : (size_t)(close - p - 1);
		if (close == NULL || n == 0 || n >= sizeof(addr)) {
			return "is invalid for URL records: bad IPv6 address";
		}
		memcpy(addr, p + 1, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1) {
			return "is invalid for URL records: bad IPv6 address";
		}
		host_len = (size_t)(close - p) + 1;
		if (host_len < len && p[host_len] != ':') {
			return "is invalid for URL records: bad host";
		}
	} else {
		const char *colon = memchr(p, ':', len);
		if (colon != NULL) {
			host_len = (size_t)(colon - p);
		}
		if (!rr_hostname_ok(p, host_len)) {
			return "is invalid for URL records: bad host name";
		}
	}
	if (host_len < len) {
		port = p + host_len + 1;
		size_t port_len = len - host_len - 1;
		unsigned long v = 0;
		for (size_t i = 0; i < port_len; i++) {
			if (port[i] < '0' || port[i] > '9' || i >= 5) {
				return "is invalid for URL records: bad port";
			}
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (port_len == 0 || v == 0 || v > 65535) {
			return "is invalid for URL records: bad port";
		}
	}
	return NULL;
}

static const char *url_check(arena_t *a, const uint8_t *rdata, size_t size)
{
	const char *p = (const char *)rdata;
	if (size > URL_MAX) {
		return "is invalid for URL records: longer than 2048 characters";
	}
	for (size_t i = 0; i < size; i++) {
		if (rdata[i] <= ' ' || rdata[i] > '~' || rdata[i] == '"' || rdata[i] == '\\') {
			return "is invalid for URL records: spaces, quotes, backslashes and "
			       "non-ASCII characters must be percent-encoded";
		}
	}
	const char *sep = memmem(p, size, "://", 3);
	const char *rest = p;
	if (sep != NULL) {
		size_t scheme = (size_t)(sep - p);
		if (!((scheme == 4 && strncasecmp(p, "http", 4) == 0) ||
		      (scheme == 5 && strncasecmp(p, "https", 5) == 0))) {
			return "is invalid for URL records: the scheme must be http or https";
		}
		rest = sep + 3;
	}
	size_t rest_len = size - (size_t)(rest - p);
	size_t auth = 0;
	while (auth < rest_len && rest[auth] != '/' && rest[auth] != '?' && rest[auth] != '#') {
		auth++;
	}
	return url_host_check(rest, auth);
}
