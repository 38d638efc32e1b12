/* secondary.c -- Secondary DNS: listPrimaryServers, createPrimaryServer, getPrimaryServer,
 * removePrimaryServer, linkPrimaryServer, unlinkPrimaryServer, createSecondaryZone
 * (content/v2/secondary-dns.md; fixtures/v2/api/{...}PrimaryServer, createSecondaryZone),
 * and, as a documented extension (docs/zones.md), the transfer state of a secondary zone.
 *
 * The API only records what to transfer from where; the jobs role's transfer worker
 * (src/jobs/secondary.c) reads it from the store and does the transfers. */
#include <arpa/inet.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/json.h"

static const char *const sort_fields[] = { "id", "name", NULL };

static json_t *primary_to_json(const store_primary_t *p)
{
	json_t *zones = json_array();
	for (size_t i = 0; i < p->zone_count; i++) {
		json_array_append_new(zones, json_string(p->zones[i]));
	}
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "account_id", json_integer(p->account_id));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "ip", json_string(p->ip));
	json_object_set_new(o, "port", json_integer(p->port));
	json_object_set_new(o, "linked_secondary_zones", zones);
	if (p->tsig_key != NULL) {
		json_object_set_new(o, "tsig_key", json_string(p->tsig_key)); /* extension */
	}
	json_object_set_new(o, "created_at", json_timestamp(p->created_at));
	json_object_set_new(o, "updated_at", json_timestamp(p->updated_at));
	return o;
}

/* The :primaryserver of the path, in the request's account. */
static int primary_load(api_req_t *req, store_primary_t *out)
{
	const char *ref = api_param(req, "primaryserver");
	int64_t id = 0;
	int ret = api_parse_id(ref, &id) ? store_primary_get(req->ctx->store, req->arena,
							     req->account.id, id, out)
					 : ERR_NOTFOUND;
	if (ret == ERR_NOTFOUND) {
		req->message = arena_printf(req->arena, "Primary server `%s` not found", ref ? ref : "");
	}
	return ret;
}

/* A string field that must be present and not blank. */
static const char *required(api_req_t *req, const char *field)
{
	json_t *v = json_object_get(req->json, field);
	const char *s = json_string_value(v);
	if (s == NULL || *s == '\0') {
		reply_field_error(req, field, v != NULL && !json_is_string(v) && !json_is_null(v)
						      ? "must be a string"
						      : "can't be blank");
		return NULL;
	}
	return s;
}

static bool is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* GET /v2/:account/secondary_dns/primaries */
static int primaries_list(api_req_t *req, api_reply_t *rep)
{
	api_page_t page;
	store_list_t q;
	int ret = api_list_parse(req, sort_fields, &page, &q);
	if (ret != ERR_OK) {
		return ret;
	}
	store_primary_t *ps = NULL;
	size_t n = 0;
	int64_t total = 0;
	ret = store_primary_list(req->ctx->store, req->arena, req->account.id, &q, &ps, &n, &total);
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, primary_to_json(&ps[i]));
	}
	reply_page(rep, items, &page, total);
	return ERR_OK;
}

/* POST /v2/:account/secondary_dns/primaries {"name", "ip", "port"?, "tsig_key"?} */
static int primaries_create(api_req_t *req, api_reply_t *rep)
{
	const char *name = required(req, "name");
	const char *ip = required(req, "ip");
	if (ip != NULL && !is_ip(ip)) {
		reply_field_error(req, "ip", "is not a valid IP address");
	}
	int64_t port = 53;
	bool has_port = false;
	json_t *pv = json_object_get(req->json, "port");
	if (pv != NULL && !json_is_null(pv) &&
	    (!json_get_int_lenient(req->json, "port", &port, &has_port) || port < 1 ||
	     port > 65535)) {
		reply_field_error(req, "port", "must be an integer between 1 and 65535");
	}
	json_t *kv = json_object_get(req->json, "tsig_key");
	const char *key = json_string_value(kv);
	if (kv != NULL && !json_is_null(kv) && (key == NULL || *key == '\0')) {
		reply_field_error(req, "tsig_key", "must be the name of a TSIG key");
	}
	if (req->errors != NULL) {
		return ERR_INVALID;
	}
	store_primary_t p = { .account_id = req->account.id, .name = name, .ip = ip, .port = port,
			      .tsig_key = key };
	int ret = store_primary_create(req->ctx->store, &p);
	if (ret == ERR_OK) {
		reply_data(rep, 201, primary_to_json(&p));
	}
	return ret;
}

/* GET /v2/:account/secondary_dns/primaries/:primaryserver */
static int primaries_get(api_req_t *req, api_reply_t *rep)
{
	store_primary_t p;
	int ret = primary_load(req, &p);
	if (ret == ERR_OK) {
		reply_data(rep, 200, primary_to_json(&p));
	}
	return ret;
}

/* DELETE /v2/:account/secondary_dns/primaries/:primaryserver */
static int primaries_delete(api_req_t *req, api_reply_t *rep)
{
	store_primary_t p;
	int ret = primary_load(req, &p);
	if (ret == ERR_OK) {
		ret = store_primary_delete(req->ctx->store, req->account.id, p.id);
	}
	if (ret == ERR_OK) {
		rep->status = 204;
	}
	return ret;
}

static int link(api_req_t *req, api_reply_t *rep, bool is_link)
{
	store_primary_t p;
	int ret = primary_load(req, &p);
	if (ret != ERR_OK) {
		return ret;
	}
	const char *ref = required(req, "zone");
	if (ref == NULL) {
		return ERR_INVALID;
	}
	zone_t z;
	ret = store_zone_get(req->ctx->store, req->arena, req->account.id, ref, &z);
	if (ret == ERR_NOTFOUND) {
		req->message = arena_printf(req->arena, "Zone `%s` not found", ref);
		return ret;
	}
	if (ret == ERR_OK && !z.is_secondary) {
		reply_field_error(req, "zone", "is not a secondary zone");
		req->message = arena_printf(req->arena, "The zone %s is not a secondary zone", z.name);
		return ERR_INVALID;
	}
	if (ret == ERR_OK) {
		ret = store_primary_link(req->ctx->store, req->account.id, p.id, z.id, is_link);
	}
	if (ret == ERR_OK) {
		ret = store_primary_get(req->ctx->store, req->arena, req->account.id, p.id, &p);
	}
	if (ret == ERR_OK) {
		reply_data(rep, 200, primary_to_json(&p));
	}
	return ret;
}

/* PUT /v2/:account/secondary_dns/primaries/:primaryserver/link {"zone"} */
static int primaries_link(api_req_t *req, api_reply_t *rep)
{
	return link(req, rep, true);
}

/* PUT /v2/:account/secondary_dns/primaries/:primaryserver/unlink {"zone"} */
static int primaries_unlink(api_req_t *req, api_reply_t *rep)
{
	return link(req, rep, false);
}

/* POST /v2/:account/secondary_dns/zones {"name"}: a zone with `secondary: true` and no
 * records of ours (with its domain, unless it is a reverse zone); its first transfer
 * happens as soon as a primary is linked. */
static int secondary_zones_create(api_req_t *req, api_reply_t *rep)
{
	const char *raw = required(req, "name");
	const char *name = NULL;
	const char *bad = raw != NULL ? zone_name_check(req->arena, raw, &name) : NULL;
	if (bad != NULL) {
		reply_field_error(req, "name", bad);
	}
	if (raw == NULL || bad != NULL) {
		return ERR_INVALID;
	}
	zone_t z = { .account_id = req->account.id, .name = name,
		     .is_reverse = zone_name_is_reverse(name) };
	domain_t d = { .account_id = req->account.id, .name = name, .unicode_name = name,
		       .state = "hosted" };
	store_zone_new_t zn = { .domain = z.is_reverse ? NULL : &d, .zone = &z };
	int ret = store_secondary_create(req->ctx->store, &zn, NULL, NULL);
	if (ret == ERR_CONFLICT) {
		reply_field_error(req, "name", "has already been taken");
		return ERR_INVALID;
	}
	if (ret == ERR_OK) {
		z.serial = 0;
		reply_data(rep, 201, zone_to_json(&z));
	}
	return ret;
}

/* GET /v2/:account/secondary_dns/zones/:zone (extension, docs/zones.md): the zone with its
 * transfer state, including the last failure. */
static int secondary_zones_get(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	store_secondary_t *xs = NULL;
	size_t n = 0;
	if (ret == ERR_OK) {
		ret = store_secondary_list(req->ctx->store, req->arena, req->account.id, z.id, &xs, &n);
	}
	if (ret == ERR_OK && n == 0) {
		req->message = arena_printf(req->arena, "Zone `%s` is not a secondary zone", z.name);
		ret = ERR_NOTFOUND;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	store_secondary_t *x = &xs[0];
	json_t *ids = json_array();
	for (size_t i = 0; i < x->primary_count; i++) {
		json_array_append_new(ids, json_integer(x->primaries[i].id));
	}
	json_t *t = json_object();
	json_object_set_new(t, "serial", x->has_serial ? json_integer(x->serial) : json_null());
	json_object_set_new(t, "refresh", json_integer(x->refresh));
	json_object_set_new(t, "retry", json_integer(x->retry));
	json_object_set_new(t, "expire", json_integer(x->expire));
	json_object_set_new(t, "expired", json_boolean(x->is_expired));
	json_object_set_new(t, "last_ok_at", json_timestamp(x->last_ok_at));
	json_object_set_new(t, "last_attempt_at", json_timestamp(x->last_attempt_at));
	json_object_set_new(t, "last_error", x->last_error ? json_string(x->last_error)
							   : json_null());
	json_object_set_new(t, "last_error_at", json_timestamp(x->last_error_at));
	json_object_set_new(t, "primary_server_ids", ids);
	json_object_set_new(t, "catalog", x->catalog ? json_string(x->catalog) : json_null());
	json_t *o = zone_to_json(&x->zone);
	json_object_set_new(o, "transfer", t);
	reply_data(rep, 200, o);
	return ERR_OK;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/:account/secondary_dns/primaries", primaries_list, "zones", SCOPE_READ,
	  0 },
	{ HTTP_POST, "/v2/:account/secondary_dns/primaries", primaries_create, "zones",
	  SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/secondary_dns/primaries/:primaryserver", primaries_get, "zones",
	  SCOPE_READ, 0 },
	{ HTTP_DELETE, "/v2/:account/secondary_dns/primaries/:primaryserver", primaries_delete,
	  "zones", SCOPE_WRITE, 0 },
	{ HTTP_PUT, "/v2/:account/secondary_dns/primaries/:primaryserver/link", primaries_link,
	  "zones", SCOPE_WRITE, 0 },
	{ HTTP_PUT, "/v2/:account/secondary_dns/primaries/:primaryserver/unlink",
	  primaries_unlink, "zones", SCOPE_WRITE, 0 },
	{ HTTP_POST, "/v2/:account/secondary_dns/zones", secondary_zones_create, "zones",
	  SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/secondary_dns/zones/:zone", secondary_zones_get, "zones",
	  SCOPE_READ, 0 },
};
API_RESOURCE(secondary, routes);
