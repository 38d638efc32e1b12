/* domains.c -- hosted domains: list, create (with the zone and its system records), get,
 * delete (content/v2/domains.md; fixtures listDomains, createDomain, getDomain). */
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/timeutil.h"

static const char *const sort_fields[] = { "id", "name", "expiration", NULL };

/* GET /v2/:account/domains */
static int domains_list(api_req_t *req, api_reply_t *rep)
{
	api_page_t page;
	store_list_t q;
	int ret = api_list_parse(req, sort_fields, &page, &q);
	if (ret != ERR_OK) {
		return ret;
	}
	store_filter_t f = { .name_like = api_query(req, "name_like") };
	const char *reg = api_query(req, "registrant_id");
	if (reg != NULL && *reg != '\0' && !api_parse_id(reg, &f.registrant_id)) {
		reply_field_error(req, "registrant_id", "must be an integer");
		return ERR_INVALID;
	}
	api_role_filter(req, "domains", &f);
	domain_t *ds = NULL;
	size_t n = 0;
	int64_t total = 0;
	ret = store_domain_list(req->ctx->store, req->arena, req->account.id, &f, &q, &ds, &n, &total);
	if (ret != ERR_OK) {
		return ret;
	}
	jsonw_t w;
	reply_page_open(&w, n, 384);
	for (size_t i = 0; i < n; i++) {
		domain_json_write(&w, &ds[i]);
	}
	reply_page_close(rep, &w, &page, total);
	return ERR_OK;
}

/* A new zone with its SOA and NS records; shared with the reverse-zone extension. */
int api_zone_new(api_req_t *req, const char *name, domain_t *domain, zone_t *zone)
{
	const conf_t *conf = req->ctx->conf;
	memset(zone, 0, sizeof(*zone));
	zone->account_id = req->account.id;
	zone->name = name;
	zone->is_reverse = zone_name_is_reverse(name);
	zone->is_active = true;
	zone->serial = (uint32_t)time_now();
	record_t *sys = NULL;
	size_t nsys = 0;
	int ret = zone_system_records(req->arena, zone, conf->name_servers, conf->soa_rname,
				      (uint32_t)conf->default_ttl, &sys, &nsys);
	if (ret != ERR_OK) {
		req->message = "The configured name servers or SOA mailbox are not valid names";
		return ERR_INTERNAL;
	}
	store_zone_new_t zn = { .domain = domain, .zone = zone, .records = sys, .record_count = nsys };
	ret = store_zone_create(req->ctx->store, &zn);
	if (ret == ERR_CONFLICT) {
		reply_field_error(req, "name", "has already been taken");
		return ERR_INVALID;
	}
	return ret;
}

/* POST /v2/:account/domains */
static int domains_create(api_req_t *req, api_reply_t *rep)
{
	const char *raw = json_string_value(json_object_get(req->json, "name"));
	const char *name = NULL;
	const char *bad = zone_name_check(req->arena, raw, &name);
	if (bad != NULL) {
		reply_field_error(req, "name", bad);
		return ERR_INVALID;
	}
	domain_t d = { .account_id = req->account.id, .name = name, .unicode_name = name,
		       .state = "hosted" };
	zone_t z;
	int ret = api_zone_new(req, name, &d, &z);
	if (ret == ERR_OK) {
		reply_data(rep, 201, domain_to_json(&d));
	}
	return ret;
}

/* GET /v2/:account/domains/:domain (id or name) */
static int domains_get(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	int ret = api_domain_load(req, &d);
	if (ret == ERR_OK) {
		reply_data(rep, 200, domain_to_json(&d));
	}
	return ret;
}

/* DELETE /v2/:account/domains/:domain: the domain, its zone and its records. */
static int domains_delete(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	int ret = api_domain_load(req, &d);
	if (ret == ERR_OK) {
		ret = store_domain_delete(req->ctx->store, req->account.id, d.id);
	}
	if (ret == ERR_OK) {
		rep->status = 204;
	}
	return ret;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/:account/domains", domains_list, "domains", SCOPE_READ, 0 },
	{ HTTP_POST, "/v2/:account/domains", domains_create, "domains", SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/domains/:domain", domains_get, "domains", SCOPE_READ, 0 },
	{ HTTP_DELETE, "/v2/:account/domains/:domain", domains_delete, "domains", SCOPE_WRITE, 0 },
};
API_RESOURCE(domains, routes);
