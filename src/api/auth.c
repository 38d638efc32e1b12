/* auth.c -- who is calling (Bearer token, HTTP Basic with optional TOTP), and the one
 * place where the /:account scope, token scopes and member roles are checked. */
#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "model/permission.h"
#include "model/secret.h"

static int load_token_owner(api_req_t *req)
{
	store_t *st = req->ctx->store;
	if (req->ident.token.kind == TOKEN_ACCOUNT) {
		req->ident.kind = IDENT_ACCOUNT;
		return store_account_get(st, req->arena, req->ident.token.account_id,
					 &req->ident.account);
	}
	req->ident.kind = IDENT_USER;
	return store_user_get(st, req->arena, req->ident.token.user_id, &req->ident.user);
}

static int bearer(api_req_t *req, const char *secret)
{
	char digest[SECRET_DIGEST_SIZE];
	secret_digest(secret, digest);
	int ret = store_token_get_by_digest(req->ctx->store, req->arena, digest, &req->ident.token);
	if (ret == ERR_NOTFOUND) {
		return ERR_AUTH;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	req->ident.has_token = true;
	ret = load_token_owner(req);
	if (ret == ERR_NOTFOUND) {
		memset(&req->ident, 0, sizeof(req->ident));
		return ERR_AUTH; /* its account or user is gone */
	}
	return ret;
}

static int basic(api_req_t *req, const char *b64, const char *otp)
{
	size_t len = strlen(b64);
	unsigned char *raw = arena_alloc(req->arena, len + 1);
	size_t raw_len = 0;
	if (raw == NULL || sodium_base642bin(raw, len, b64, len, NULL, &raw_len, NULL,
					     sodium_base64_VARIANT_ORIGINAL) != 0) {
		return ERR_AUTH;
	}
	raw[raw_len] = '\0';
	char *colon = memchr(raw, ':', raw_len);
	if (colon == NULL || memchr(raw, '\0', raw_len) != NULL) {
		return ERR_AUTH;
	}
	*colon = '\0';
	const char *email = (const char *)raw, *password = colon + 1;
	user_t u;
	int ret = store_user_get_by_email(req->ctx->store, req->arena, email, &u);
	if (ret == ERR_NOTFOUND || (ret == ERR_OK && !secret_password_verify(u.password_hash,
									      password))) {
		return ERR_AUTH;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	if (u.otp_secret != NULL && *u.otp_secret != '\0') {
		if (otp == NULL || *otp == '\0') {
			return ERR_OTP_REQUIRED;
		}
		if (!secret_otp_verify(u.otp_secret, otp, time_now())) {
			return ERR_AUTH;
		}
	}
	req->ident.kind = IDENT_USER;
	req->ident.user = u;
	return ERR_OK;
}

int auth_identify(api_req_t *req, const char *authorization, const char *otp)
{
	memset(&req->ident, 0, sizeof(req->ident));
	if (authorization == NULL) {
		return ERR_OK;
	}
	const char *p = authorization;
	while (*p == ' ') {
		p++;
	}
	if (strncasecmp(p, "Bearer ", 7) == 0) {
		p += 7;
		while (*p == ' ') {
			p++;
		}
		return *p != '\0' ? bearer(req, p) : ERR_AUTH;
	}
	if (strncasecmp(p, "Basic ", 6) == 0) {
		p += 6;
		while (*p == ' ') {
			p++;
		}
		return basic(req, p, otp);
	}
	return ERR_AUTH;
}

static bool parse_id(const char *s, int64_t *out)
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
	return *out > 0;
}

/* Resolve /:account for the caller. Another account's id answers 404, as DNSimple does. */
static int resolve_account(api_req_t *req, const char *param)
{
	int64_t id = 0;
	if (!parse_id(param, &id)) {
		return ERR_NOTFOUND;
	}
	store_t *st = req->ctx->store;
	if (req->ident.kind == IDENT_ACCOUNT) {
		if (id != req->ident.account.id) {
			return ERR_NOTFOUND;
		}
		req->account = req->ident.account;
		return ERR_OK;
	}
	int ret = store_membership_get(st, req->arena, id, req->ident.user.id, &req->membership);
	if (ret != ERR_OK) {
		return ret;
	}
	req->has_membership = true;
	return store_account_get(st, req->arena, id, &req->account);
}

/* The domain or zone the path names, by name: scopes and role grants list names, and the
 * path may give an id instead. An unknown one stays as given (the handler answers 404). */
static const char *resource_name(api_req_t *req)
{
	const char *zone = api_param(req, "zone"), *domain = api_param(req, "domain");
	int64_t id;
	if (zone != NULL && api_parse_id(zone, &id)) {
		zone_t z;
		if (store_zone_get(req->ctx->store, req->arena, req->account.id, zone, &z) == ERR_OK) {
			return z.name;
		}
	} else if (domain != NULL && api_parse_id(domain, &id)) {
		domain_t d;
		if (store_domain_get(req->ctx->store, req->arena, req->account.id, domain, &d) ==
		    ERR_OK) {
			return d.name;
		}
	}
	return zone != NULL ? zone : domain;
}

int auth_check(api_req_t *req, const api_route_t *route)
{
	if (route->flags & API_PUBLIC) {
		return ERR_OK;
	}
	if (req->ident.kind == IDENT_NONE) {
		return ERR_AUTH;
	}
	const char *account = api_param(req, "account");
	if (account != NULL) {
		int ret = resolve_account(req, account);
		if (ret != ERR_OK) {
			return ret;
		}
	}
	const char *name = resource_name(req);
	if (route->scope_kind != NULL && req->ident.has_token) {
		scope_need_t need = { route->scope_kind, name != NULL ? name : "*", route->access };
		if (!scope_grants(req->ident.token.scopes, &need)) {
			char scope[300];
			scope_format(&need, scope, sizeof(scope));
			req->message = arena_printf(req->arena, "Permission Denied. Required Scope: %s",
						    scope);
			return ERR_DENIED;
		}
	}
	if (req->has_membership) {
		permission_need_t need = {
			.kind = route->scope_kind,
			.name = name,
			.access = route->access,
			.is_admin_only = (route->flags & API_ACCOUNT_ADMIN) != 0,
			.is_record_op = (route->flags & API_RECORDS) != 0,
		};
		if (!permission_allows(&req->membership, &need)) {
			req->message = "Permission Denied";
			return ERR_DENIED;
		}
	}
	return ERR_OK;
}
