/* router.c -- path patterns to handlers, across every resource's route table. */
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "core/err.h"

static const api_resource_t *const resources[] = {
	&api_res_identity,
	&api_res_oauth,
	&api_res_contacts,
	&api_res_domains,
	&api_res_zones,
	&api_res_records,
	&api_res_analytics,
	&api_res_secondary,
	&api_res_dnssec,
};

static const struct {
	const char *name;
	http_method_t method;
} methods[] = {
	{ "DELETE", HTTP_DELETE }, { "GET", HTTP_GET },         { "HEAD", HTTP_HEAD },
	{ "OPTIONS", HTTP_OPTIONS }, { "PATCH", HTTP_PATCH },   { "POST", HTTP_POST },
	{ "PUT", HTTP_PUT },
};

http_method_t router_method(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(name, methods[i].name) == 0) {
			return methods[i].method;
		}
	}
	return 0;
}

const char *router_allow(arena_t *a, unsigned allowed)
{
	char buf[128] = "";
	size_t n = 0;
	/* HEAD is answered wherever GET is (libmicrohttpd drops the body). */
	if (allowed & HTTP_GET) {
		allowed |= HTTP_HEAD;
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (allowed & methods[i].method) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "",
					      methods[i].name);
		}
	}
	return arena_strdup(a, buf);
}

/* Match one pattern against the path; on success the captures go into req. */
static bool match(api_req_t *req, const char *pattern, const char *path)
{
	int count = 0;
	const char *p = pattern, *s = path;
	while (*p != '\0' && *s != '\0') {
		if (*p != '/' || *s != '/') {
			return false;
		}
		p++;
		s++;
		size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
		if (*p == ':') {
			if (slen == 0 || count == API_MAX_PARAMS) {
				return false;
			}
			req->param_names[count] = arena_strndup(req->arena, p + 1, plen - 1);
			req->param_values[count] = arena_strndup(req->arena, s, slen);
			count++;
		} else if (plen != slen || strncmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
	}
	/* A trailing slash on the path is tolerated, as Rails routes do. */
	if (*p == '\0' && (*s == '\0' || strcmp(s, "/") == 0)) {
		req->param_count = count;
		return true;
	}
	return false;
}

int router_match(api_req_t *req, api_match_t *m)
{
	m->route = NULL;
	m->allowed = 0;
	http_method_t method = req->method == HTTP_HEAD ? HTTP_GET : req->method;
	for (size_t r = 0; r < sizeof(resources) / sizeof(resources[0]); r++) {
		for (size_t i = 0; i < resources[r]->count; i++) {
			const api_route_t *route = &resources[r]->routes[i];
			if (match(req, route->pattern, req->path)) {
				m->allowed |= route->methods;
				if ((route->methods & method) && m->route == NULL) {
					m->route = route;
				}
			}
		}
	}
	if (m->route != NULL) {
		match(req, m->route->pattern, req->path); /* its captures, not the last match's */
		return ERR_OK;
	}
	return m->allowed != 0 ? ERR_METHOD : ERR_NOTFOUND;
}
