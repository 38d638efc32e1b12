/* lookup.c -- the account's domain, zone or record named in the path, with DNSimple's
 * "not found" messages (fixtures/v2/api/notfound-*.http). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"

static int not_found(api_req_t *req, const char *what, const char *ref)
{
	req->message = arena_printf(req->arena, "%s `%s` not found", what, ref ? ref : "");
	return ERR_NOTFOUND;
}

int api_domain_load(api_req_t *req, domain_t *out)
{
	const char *ref = api_param(req, "domain");
	int ret = store_domain_get(req->ctx->store, req->arena, req->account.id, ref, out);
	return ret == ERR_NOTFOUND ? not_found(req, "Domain", ref) : ret;
}

int api_zone_load(api_req_t *req, zone_t *out)
{
	const char *ref = api_param(req, "zone");
	int ret = store_zone_get(req->ctx->store, req->arena, req->account.id, ref, out);
	return ret == ERR_NOTFOUND ? not_found(req, "Zone", ref) : ret;
}

bool api_parse_id(const char *s, int64_t *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 18) {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			return false;
		}
	}
	*out = strtoll(s, NULL, 10);
	return true;
}

int api_record_load(api_req_t *req, const zone_t *zone, record_t *out)
{
	const char *ref = api_param(req, "record");
	int64_t id = 0;
	if (!api_parse_id(ref, &id)) {
		return not_found(req, "Record", ref);
	}
	int ret = store_record_get(req->ctx->store, req->arena, zone, id, out);
	return ret == ERR_NOTFOUND ? not_found(req, "Record", ref) : ret;
}

void api_role_filter(const api_req_t *req, const char *kind, store_filter_t *f)
{
	if (!req->has_membership) {
		return;
	}
	role_t role = req->membership.role;
	if (role == ROLE_DOMAIN_MANAGER) {
		f->grant_user_id = req->ident.user.id;
		f->grant_kind = "domain"; /* a domain's zone has its name */
	} else if (role == ROLE_ZONE_OPERATOR && strcmp(kind, "zones") == 0) {
		f->grant_user_id = req->ident.user.id;
		f->grant_kind = "zone";
	}
}
