/* acl.c -- who may transfer (transfer-allow) and where NOTIFY goes (notify): parsing the
 * settings and matching a request against them.
 *
 * DESIGN. Both settings are short lists read once at start, so a request walks the
 * rules in order (as Knot's ACLs): a rule matches when the client's address is in its
 * block and, if the rule names a key, the request was signed with that key and verified
 * (tsig.c does that before the ACL is asked). No rule matching is a refusal.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/netaddr.h"
#include "core/mem.h"
#include "dns/xfr/xfr_internal.h"

bool acl_key_norm(const char *in, size_t len, char out[XFR_KEY_TEXT])
{
	while (len > 0 && in[len - 1] == '.') {
		len--;
	}
	if (len == 0 || len >= XFR_KEY_TEXT) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[len] = '\0';
	return true;
}

void xfr_addr_format(const struct sockaddr *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		snprintf(out, size, "?");
	}
}

/* The next comma-separated item of *p, blanks trimmed; false at the end. */
static bool next_item(const char **p, const char **item, size_t *len)
{
	while (**p == ',' || **p == ' ' || **p == '\t') {
		(*p)++;
	}
	if (**p == '\0') {
		return false;
	}
	size_t n = strcspn(*p, ",");
	*item = *p;
	*p += n;
	while (n > 0 && ((*item)[n - 1] == ' ' || (*item)[n - 1] == '\t')) {
		n--;
	}
	*len = n;
	return true;
}

/* "item@key": the key part into key ("" without one); *len shrinks to the address part. */
static bool split_key(const char *item, size_t *len, char key[XFR_KEY_TEXT])
{
	const char *at = memchr(item, '@', *len);
	key[0] = '\0';
	if (at == NULL) {
		return true;
	}
	size_t klen = *len - (size_t)(at - item) - 1;
	*len = (size_t)(at - item);
	return acl_key_norm(at + 1, klen, key);
}

static int parse_rule(const char *item, size_t len, acl_rule_t *r)
{
	if (!split_key(item, &len, r->key) || len == 0 || len >= XFR_ADDR_TEXT) {
		return ERR_INVALID;
	}
	char text[XFR_ADDR_TEXT];
	memcpy(text, item, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	long prefix = -1;
	if (slash != NULL) {
		char *end = NULL;
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || prefix < 0) {
			return ERR_INVALID;
		}
		*slash = '\0';
	}
	char *host = text;
	size_t hlen = strlen(host);
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		host++;
	}
	if (inet_pton(AF_INET, host, r->addr) == 1) {
		r->family = AF_INET;
		r->prefix = prefix < 0 ? 32 : (unsigned)prefix;
		return prefix > 32 ? ERR_INVALID : ERR_OK;
	}
	if (inet_pton(AF_INET6, host, r->addr) == 1) {
		r->family = AF_INET6;
		r->prefix = prefix < 0 ? 128 : (unsigned)prefix;
		return prefix > 128 ? ERR_INVALID : ERR_OK;
	}
	return ERR_INVALID;
}

int acl_parse(const char *text, acl_rule_t **out, size_t *count, char *err, size_t errsize)
{
	acl_rule_t *rules = xcalloc(XFR_LIST_MAX, sizeof(*rules));
	size_t n = 0;
	const char *p = text != NULL ? text : "", *item;
	size_t len;
	while (next_item(&p, &item, &len)) {
		if (n == XFR_LIST_MAX) {
			snprintf(err, errsize, "transfer-allow: more than %d rules", XFR_LIST_MAX);
			free(rules);
			return ERR_INVALID;
		}
		if (parse_rule(item, len, &rules[n]) != ERR_OK) {
			snprintf(err, errsize, "transfer-allow: '%.*s' is not ADDR[/LEN][@KEY]",
				 (int)len, item);
			free(rules);
			return ERR_INVALID;
		}
		n++;
	}
	*out = rules;
	*count = n;
	return ERR_OK;
}

static bool in_block(const acl_rule_t *r, const uint8_t *addr)
{
	unsigned bytes = r->prefix / 8, bits = r->prefix % 8;
	if (memcmp(r->addr, addr, bytes) != 0) {
		return false;
	}
	if (bits == 0) {
		return true;
	}
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (r->addr[bytes] & mask) == (addr[bytes] & mask);
}

bool acl_allows(const acl_rule_t *rules, size_t count, const struct sockaddr *client,
		const char *key_name)
{
	if (client == NULL) {
		return false;
	}
	uint8_t addr[16];
	int family = client->sa_family;
	if (family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)client)->sin_addr, 4);
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)client)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) { /* a dual-stack socket's IPv4 client */
			family = AF_INET;
			memcpy(addr, &a6->s6_addr[12], 4);
		} else {
			memcpy(addr, a6, 16);
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const acl_rule_t *r = &rules[i];
		if (r->family != family || !in_block(r, addr)) {
			continue;
		}
		if (r->key[0] == '\0' || (key_name != NULL && strcmp(r->key, key_name) == 0)) {
			return true;
		}
	}
	return false;
}

static int parse_target(const char *item, size_t len, notify_target_t *t)
{
	if (!split_key(item, &len, t->key) || len == 0 || len >= sizeof(t->text)) {
		return ERR_INVALID;
	}
	memcpy(t->text, item, len);
	t->text[len] = '\0';
	return netaddr_parse(t->text, len, 0, &t->ss, &t->len) == ERR_OK ? ERR_OK : ERR_INVALID;
}

int targets_parse(const char *text, notify_target_t **out, size_t *count, char *err,
		  size_t errsize)
{
	notify_target_t *targets = xcalloc(XFR_LIST_MAX, sizeof(*targets));
	size_t n = 0;
	const char *p = text != NULL ? text : "", *item;
	size_t len;
	while (next_item(&p, &item, &len)) {
		if (n == XFR_LIST_MAX) {
			snprintf(err, errsize, "notify: more than %d targets", XFR_LIST_MAX);
			free(targets);
			return ERR_INVALID;
		}
		if (parse_target(item, len, &targets[n]) != ERR_OK) {
			snprintf(err, errsize, "notify: '%.*s' is not ADDR:PORT[@KEY] "
				 "([ADDR6]:PORT for IPv6)", (int)len, item);
			free(targets);
			return ERR_INVALID;
		}
		n++;
	}
	*out = targets;
	*count = n;
	return ERR_OK;
}
