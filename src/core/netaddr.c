/* netaddr.c -- numeric socket addresses from settings text. */
#include <ctype.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/netaddr.h"

static bool is_port(const char *p, size_t n)
{
	if (n == 0 || n > 5) {
		return false;
	}
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i])) {
			return false;
		}
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= 65535;
}

int netaddr_parse(const char *text, size_t len, uint16_t default_port,
		  struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[64], port[8];
	const char *end = text + len, *h = text, *he = NULL, *p = NULL;
	int family = AF_INET;
	if (len > 0 && text[0] == '[') {
		const char *rb = memchr(text, ']', len);
		if (rb == NULL) {
			return ERR_INVALID;
		}
		h = text + 1;
		he = rb;
		family = AF_INET6;
		if (rb + 1 < end) {
			if (rb[1] != ':') {
				return ERR_INVALID;
			}
			p = rb + 2;
		}
	} else {
		const char *colon = memchr(text, ':', len);
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			return ERR_INVALID; /* an IPv6 address needs its brackets: [::1]:53 */
		}
		he = colon != NULL ? colon : end;
		p = colon != NULL ? colon + 1 : NULL;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= sizeof(host)) {
		return ERR_INVALID;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (p != NULL) {
		if (!is_port(p, (size_t)(end - p))) {
			return ERR_INVALID;
		}
		memcpy(port, p, (size_t)(end - p));
		port[end - p] = '\0';
	} else if (default_port != 0) {
		snprintf(port, sizeof(port), "%u", default_port);
	} else {
		return ERR_INVALID;
	}
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_family = family };
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
		return ERR_INVALID;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return ERR_OK;
}
