/* api_internal.h -- what the api module's files share: requests, replies, routes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/conf.h"
#include "core/jsonw.h"
#include "model/identity.h"
#include "model/scope.h"
#include "store/store.h"

typedef enum {
	HTTP_GET = 1 << 0,
	HTTP_POST = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_PATCH = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_HEAD = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
} http_method_t;

/* Route flags. */
enum {
	API_PUBLIC = 1 << 0,     /* no credentials needed */
	API_FORM = 1 << 1,       /* takes application/x-www-form-urlencoded as well as JSON */
	API_ACCOUNT_ADMIN = 1 << 2, /* owners and administrators only */
	API_RAW_BODY = 1 << 3,   /* the body is not JSON (e.g. a zone file) */
	API_RECORDS = 1 << 4,    /* changes zone records: zone operators may */
};

typedef enum { IDENT_NONE = 0, IDENT_ACCOUNT, IDENT_USER } ident_kind_t;

/* Who is calling: an account (account token) or a user (user token, Basic). */
typedef struct api_ident {
	ident_kind_t kind;
	bool has_token;
	token_t token;
	account_t account;
	user_t user;
} api_ident_t;

typedef struct api_ctx {
	const conf_t *conf;
	store_t *store;
	struct ratelimit *limits;
} api_ctx_t;

#define API_MAX_PARAMS 8
#define API_MAX_HEADERS 8

typedef struct api_req {
	arena_t *arena;
	const api_ctx_t *ctx;
	void *conn;               /* the libmicrohttpd connection, for query and headers */
	json_t *query;            /* without a connection (unit tests): query arguments */
	http_method_t method;
	const char *path;
	const char *request_id;
	const char *client_addr;
	const char *body;
	size_t body_size;
	json_t *json;             /* the parsed body when it is JSON, else NULL */
	int param_count;
	const char *param_names[API_MAX_PARAMS];
	const char *param_values[API_MAX_PARAMS];
	api_ident_t ident;
	/* The resolved account scope of /v2/:account/... routes. */
	account_t account;
	bool has_membership;
	membership_t membership;
	/* Error details the router puts in the body. */
	const char *message;
	json_t *errors;
} api_req_t;

typedef struct api_reply {
	int status;               /* 0 = 200 */
	json_t *body;             /* JSON body (owned) */
	const char *content_type; /* for raw bodies */
	char *raw;                /* raw body (owned, free()) */
	size_t raw_size;
	int header_count;
	const char *header_names[API_MAX_HEADERS];
	const char *header_values[API_MAX_HEADERS];
} api_reply_t;

typedef int (*api_handler_t)(api_req_t *req, api_reply_t *rep);

typedef struct api_route {
	unsigned methods;         /* HTTP_* bits */
	const char *pattern;      /* "/v2/:account/zones/:zone"; ":name" captures a segment */
	api_handler_t handler;
	const char *scope_kind;   /* "zones", "domains", ...; NULL = no scope check */
	scope_access_t access;
	unsigned flags;           /* API_* */
} api_route_t;

typedef struct api_resource {
	const char *name;
	const api_route_t *routes;
	size_t count;
} api_resource_t;

#define API_RESOURCE(rname, table) \
	const api_resource_t api_res_##rname = { #rname, table, sizeof(table) / sizeof(table[0]) }

/* router.c */
typedef struct api_match {
	const api_route_t *route;
	unsigned allowed;         /* methods the path takes, for 405 */
} api_match_t;
/* Find the route for method and path; fills req params. ERR_NOTFOUND or ERR_METHOD. */
int router_match(api_req_t *req, api_match_t *m);
http_method_t router_method(const char *name);
/* "DELETE, GET, HEAD, PATCH, POST" for an Allow header, in the arena. */
const char *router_allow(arena_t *a, unsigned methods);

/* auth.c */
/* Authenticate from the Authorization header (and X-Dnsimple-OTP). ERR_OK with
 * ident NONE when no credentials were sent. */
int auth_identify(api_req_t *req, const char *authorization, const char *otp);
/* Resolve /:account and check scope and role for the matched route. */
int auth_check(api_req_t *req, const api_route_t *route);

/* reply.c */
void reply_set_header(api_reply_t *rep, const char *name, const char *value);
void reply_data(api_reply_t *rep, int status, json_t *data);
void reply_raw(api_reply_t *rep, int status, const char *content_type, char *raw, size_t size);
/* Bodies written with core/jsonw instead of a jansson tree: open starts the text
 * ({"data": ...), the handler writes the one value, close ends it and hands the text to
 * the reply (w is empty after). size_hint: bytes to reserve, 0 to grow as needed. */
void reply_data_open(jsonw_t *w, size_t size_hint);
void reply_data_close(api_reply_t *rep, int status, jsonw_t *w);
/* The DNSimple error body for a code: {"message": ...} (+ "errors" for 400). */
json_t *reply_error_body(const api_req_t *req, int code);
/* Add a field error: errors[field] += message. */
void reply_field_error(api_req_t *req, const char *field, const char *message);

/* params.c */
const char *api_param(const api_req_t *req, const char *name);
const char *api_query(const api_req_t *req, const char *name);
const char *api_header(const api_req_t *req, const char *name);
/* Decode an application/x-www-form-urlencoded body into a JSON object of strings. */
json_t *api_form_decode(const char *body, size_t size);
/* Percent-encode for a query string component, in the arena. */
const char *api_url_encode(arena_t *a, const char *s);
/* Escape for HTML text and attributes, in the arena. */
const char *api_html_escape(arena_t *a, const char *s);

/* page.c: pagination and sorting shared by every list endpoint. */
typedef struct api_page {
	int64_t page;
	int64_t per_page;
} api_page_t;
int api_page_parse(api_req_t *req, api_page_t *out);
/* The "pagination" object, written into w or as a tree. */
void api_page_write(jsonw_t *w, const api_page_t *p, int64_t total_entries);
json_t *api_page_json(const api_page_t *p, int64_t total_entries);

#define API_SORT_MAX 4
typedef struct api_sort {
	int count;
	const char *fields[API_SORT_MAX];  /* points into the allowed table */
	bool is_desc[API_SORT_MAX];
} api_sort_t;
/* Parse sort=field:asc,other:desc against allowed (NULL-terminated). */
int api_sort_parse(api_req_t *req, const char *const *allowed, api_sort_t *out);
/* page, per_page and sort in one call, as the store takes them. Every list endpoint
 * uses this and reply_page(). */
int api_list_parse(api_req_t *req, const char *const *allowed_sort, api_page_t *page,
		   store_list_t *out);
/* {"data": items, "pagination": {...}} */
void reply_page(api_reply_t *rep, json_t *items, const api_page_t *page, int64_t total);
/* The same body written with core/jsonw: open starts {"data":[ with room for count items
 * of about item_size bytes; the handler writes each item; close writes the pagination
 * and hands the text to the reply (w is empty after). */
void reply_page_open(jsonw_t *w, size_t count, size_t item_size);
void reply_page_close(api_reply_t *rep, jsonw_t *w, const api_page_t *page, int64_t total);

/* lookup.c: the path's domain, zone and record in the request's account; 404 bodies as
 * the fixtures ("Zone `x` not found"). */
int api_domain_load(api_req_t *req, domain_t *out);
int api_zone_load(api_req_t *req, zone_t *out);
int api_record_load(api_req_t *req, const zone_t *zone, record_t *out);
bool api_parse_id(const char *s, int64_t *out);
/* Create a zone (with its domain unless NULL) and its system records (res/domains.c). */
int api_zone_new(api_req_t *req, const char *name, domain_t *domain, zone_t *zone);
/* Limit a list to what a domain manager or zone operator may see. */
void api_role_filter(const api_req_t *req, const char *kind, store_filter_t *f);

/* The resources, each a file in api/res/. */
extern const api_resource_t api_res_identity;
extern const api_resource_t api_res_oauth;
extern const api_resource_t api_res_contacts;
extern const api_resource_t api_res_domains;
extern const api_resource_t api_res_zones;
extern const api_resource_t api_res_records;
extern const api_resource_t api_res_analytics;
extern const api_resource_t api_res_secondary;
extern const api_resource_t api_res_dnssec;
