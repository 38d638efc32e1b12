/* zones.c -- zones: list, get, zone file, NS records, activation (content/v2/zones.md);
 * and, as documented extensions, creating and deleting zones without a domain (reverse
 * zones, docs/api.md). */
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/sbuf.h"
#include "dns/client/client.h"

static const char *const sort_fields[] = { "id", "name", NULL };

/* GET /v2/:account/zones */
static int zones_list(api_req_t *req, api_reply_t *rep)
{
	api_page_t page;
	store_list_t q;
	int ret = api_list_parse(req, sort_fields, &page, &q);
	if (ret != ERR_OK) {
		return ret;
	}
	store_filter_t f = { .name_like = api_query(req, "name_like") };
	api_role_filter(req, "zones", &f);
	zone_t *zs = NULL;
	size_t n = 0;
	int64_t total = 0;
	ret = store_zone_list(req->ctx->store, req->arena, req->account.id, &f, &q, &zs, &n, &total);
	if (ret != ERR_OK) {
		return ret;
	}
	jsonw_t w;
	reply_page_open(&w, n, 256);
	for (size_t i = 0; i < n; i++) {
		zone_json_write(&w, &zs[i]);
	}
	reply_page_close(rep, &w, &page, total);
	return ERR_OK;
}

/* GET /v2/:account/zones/:zone */
static int zones_get(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	if (ret == ERR_OK) {
		reply_data(rep, 200, zone_to_json(&z));
	}
	return ret;
}

/* POST /v2/:account/zones {"name": "2.0.192.in-addr.arpa"}: a zone without a domain. */
static int zones_create(api_req_t *req, api_reply_t *rep)
{
	const char *raw = json_string_value(json_object_get(req->json, "name"));
	const char *name = NULL;
	const char *bad = zone_name_check(req->arena, raw, &name);
	if (bad == NULL && !zone_name_is_reverse(name)) {
		bad = "must be a reverse zone (in-addr.arpa or ip6.arpa); create other zones as "
		      "domains";
	}
	if (bad != NULL) {
		reply_field_error(req, "name", bad);
		return ERR_INVALID;
	}
	zone_t z;
	int ret = api_zone_new(req, name, NULL, &z);
	if (ret == ERR_OK) {
		reply_data(rep, 201, zone_to_json(&z));
	}
	return ret;
}

/* DELETE /v2/:account/zones/:zone: only zones without a domain; a domain's zone goes with
 * its domain. */
static int zones_delete(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	if (ret != ERR_OK) {
		return ret;
	}
	if (z.domain_id != 0) {
		req->message = "This zone belongs to a domain: delete the domain instead";
		return ERR_INVALID;
	}
	ret = store_zone_delete(req->ctx->store, req->account.id, z.id);
	if (ret == ERR_OK) {
		rep->status = 204;
	}
	return ret;
}

/* GET /v2/:account/zones/:zone/file: a zone file that imports back to the same records. */
static int zones_file(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	record_t *rs = NULL;
	size_t n = 0;
	if (ret == ERR_OK) {
		ret = store_record_all(req->ctx->store, req->arena, &z, &rs, &n);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	sbuf_t b = SBUF_INIT;
	sbuf_printf(&b, "$ORIGIN %s.\n$TTL 1h\n", z.name);
	for (size_t i = 0; i < n; i++) {
		const char *line = NULL;
		ret = rr_zonefile_line(req->arena, z.name, rs[i].name, rs[i].ttl, rs[i].type,
				       rs[i].rdata, rs[i].rdata_size, rs[i].content, &line);
		if (ret != ERR_OK) {
			sbuf_clear(&b);
			return ret;
		}
		sbuf_printf(&b, "%s\n", line);
	}
	reply_data(rep, 200, json_pack("{s:s}", "zone", b.p));
	sbuf_clear(&b);
	return ERR_OK;
}

/* PUT /v2/:account/zones/:zone/file (extension, docs/api.md): the body is a zone file
 * (text/plain, text/dns or JSON {"zone": "..."}); it replaces the zone's custom records
 * as `nameplate zone import` does. Answers the resulting zone file, like getZoneFile. */
static int zones_import(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	if (ret != ERR_OK) {
		return ret;
	}
	const char *text = req->body;
	size_t len = req->body_size;
	json_t *j = NULL;
	if (len > 0 && req->body[0] == '{') {
		char msg[256];
		j = json_parse_body(req->body, len, msg, sizeof(msg));
		text = json_string_value(json_object_get(j, "zone"));
		len = text != NULL ? strlen(text) : 0;
		if (text == NULL) {
			json_decref(j);
			reply_field_error(req, "zone", "must be the zone file as a string");
			return ERR_INVALID;
		}
	}
	const conf_t *conf = req->ctx->conf;
	store_import_t imp = {
		.arena = req->arena, .account_id = req->account.id, .zone_name = z.name,
		.text = text, .len = len, .system_ttl = (uint32_t)conf->default_ttl,
		.default_ttl = (uint32_t)conf->default_ttl,
	};
	ret = store_zone_import(req->ctx->store, &imp);
	json_decref(j);
	if (ret == ERR_INVALID) {
		req->message = "Validation failed";
		reply_field_error(req, "zone", imp.message ? imp.message : "is not a valid zone file");
		return ret;
	}
	return ret == ERR_OK ? zones_file(req, rep) : ret;
}

/* PUT /v2/:account/zones/:zone/ns_records {"ns_names": [...]} */
static int zones_ns_records(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	if (ret != ERR_OK) {
		return ret;
	}
	if (z.is_secondary) {
		req->message = arena_printf(req->arena, "The zone %s is a secondary zone: its NS "
							"records come from its primary", z.name);
		return ERR_INVALID;
	}
	if (json_array_size(json_object_get(req->json, "ns_set_ids")) > 0) {
		req->message = arena_printf(req->arena, "Name server sets feature is not enabled for "
							"the account %s", req->account.email);
		return ERR_PRECONDITION;
	}
	record_t *ns = NULL;
	size_t count = 0;
	req->errors = json_object();
	ret = zone_ns_records(req->arena, &z, json_object_get(req->json, "ns_names"),
			      (uint32_t)req->ctx->conf->default_ttl, &ns, &count, req->errors);
	if (ret != ERR_OK) {
		return ret;
	}
	json_decref(req->errors);
	req->errors = NULL;
	/* Replace the apex NS set in one change: delete the old system NS records. */
	store_filter_t f = { .has_name = true, .name = "", .type = "NS" };
	store_list_t q = { .limit = 1000 };
	record_t *old = NULL;
	size_t nold = 0;
	int64_t total = 0;
	ret = store_record_list(req->ctx->store, req->arena, &z, &f, &q, &old, &nold, &total);
	if (ret != ERR_OK) {
		return ret;
	}
	int64_t *ids = arena_alloc_array(req->arena, nold + 1, sizeof(int64_t));
	size_t nids = 0;
	for (size_t i = 0; i < nold; i++) {
		if (old[i].is_system) {
			ids[nids++] = old[i].id;
		}
	}
	store_change_t chg = { .zone = &z, .deletes = ids, .delete_count = nids, .creates = ns,
			       .create_count = count, .is_system_change = true,
			       .event = "zone.ns_records.update", .arena = req->arena };
	ret = store_zone_change(req->ctx->store, &chg);
	if (ret == ERR_INVALID && chg.fail_kind != NULL) {
		req->message = chg.fail_message;
		req->errors = chg.fail_errors;
		return ret;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++) {
		json_array_append_new(items, record_to_json(&ns[i]));
	}
	reply_data(rep, 200, items);
	return ERR_OK;
}

static int set_active(api_req_t *req, api_reply_t *rep, bool is_active)
{
	zone_t z;
	int ret = api_zone_load(req, &z);
	if (ret == ERR_OK && z.is_active != is_active) {
		ret = store_zone_set_active(req->ctx->store, req->account.id, z.id, is_active, &z);
	}
	if (ret == ERR_OK) {
		reply_data(rep, 200, zone_to_json(&z));
	}
	return ret;
}

/* PUT /v2/:account/zones/:zone/activation */
static int zones_activate(api_req_t *req, api_reply_t *rep)
{
	return set_active(req, rep, true);
}

/* DELETE /v2/:account/zones/:zone/activation */
static int zones_deactivate(api_req_t *req, api_reply_t *rep)
{
	return set_active(req, rep, false);
}

/* GET /v2/:account/zones/:zone/distribution: does every name server of the deployment
 * (name-server-addresses) serve the zone's current serial? dns_check_zone() sends real
 * queries and blocks this API thread for up to distribution-timeout-ms: handlers run
 * synchronously on libmicrohttpd's thread pool, so a check ties up one thread meanwhile,
 * which is acceptable for a call clients make after a change. No answer from some
 * server: 504 with DNSimple's message (fixtures checkZoneDistribution/error.http). */
static int zones_distribution(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	dns_check_t chk = { 0 };
	int ret = api_zone_load(req, &z);
	if (ret != ERR_OK) {
		return ret;
	}
	ret = dns_check_zone(req->arena, req->ctx->conf, &z, &chk);
	if (chk.reason != NULL) {
		log_msg(ret == ERR_OK ? LOG_DEBUG : ret == ERR_TIMEOUT ? LOG_INFO : LOG_ERR,
			"req %s, zone %s, distribution check (%s%s%s)", req->request_id, z.name,
			chk.culprit ? chk.culprit->text : "", chk.culprit ? ": " : "", chk.reason);
	}
	if (ret == ERR_TIMEOUT) {
		req->message = "Could not query zone, connection timed out";
	} else if (ret == ERR_OK) {
		reply_data(rep, 200, json_pack("{s:b}", "distributed", chk.is_distributed));
	}
	return ret;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/:account/zones", zones_list, "zones", SCOPE_READ, 0 },
	{ HTTP_POST, "/v2/:account/zones", zones_create, "zones", SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/zones/:zone", zones_get, "zones", SCOPE_READ, 0 },
	{ HTTP_DELETE, "/v2/:account/zones/:zone", zones_delete, "zones", SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/zones/:zone/file", zones_file, "zones", SCOPE_READ, 0 },
	{ HTTP_PUT, "/v2/:account/zones/:zone/file", zones_import, "zones", SCOPE_WRITE,
	  API_RAW_BODY | API_RECORDS },
	{ HTTP_PUT, "/v2/:account/zones/:zone/ns_records", zones_ns_records, "zones", SCOPE_WRITE,
	  0 },
	{ HTTP_PUT, "/v2/:account/zones/:zone/activation", zones_activate, "zones", SCOPE_WRITE, 0 },
	{ HTTP_DELETE, "/v2/:account/zones/:zone/activation", zones_deactivate, "zones",
	  SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/zones/:zone/distribution", zones_distribution, "zones",
	  SCOPE_READ, 0 },
};
API_RESOURCE(zones, routes);
