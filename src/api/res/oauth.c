/* oauth.c -- OAuth 2 authorization-code flow (content/v2/oauth.md, RFC 6749 4.1, RFC 7636):
 * the consent page at /oauth/authorize and POST /v2/oauth/access_token.
 *
 * The token endpoint answers errors in OAuth's own shape ({"error", "error_description"},
 * fixtures/v2/api/oauthAccessToken), so its handler writes those bodies itself; every
 * other route leaves error bodies to the router. */
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/sbuf.h"
#include "core/timeutil.h"
#include "model/secret.h"

#define CODE_LIFETIME 600 /* seconds an authorization code stays valid */

/* The request's fields: query arguments on GET, form or JSON fields on POST. */
static const char *field(const api_req_t *req, const char *name)
{
	if (req->json != NULL) {
		const char *v = json_string_value(json_object_get(req->json, name));
		return v != NULL ? v : "";
	}
	const char *v = api_query(req, name);
	return v != NULL ? v : "";
}

typedef struct uri_parts {
	char scheme[16];
	char host[256];
	char port[8];
	const char *rest;  /* path and query, points into the original */
} uri_parts_t;

static bool uri_split(const char *uri, uri_parts_t *u)
{
	const char *sep = strstr(uri, "://");
	if (sep == NULL || (size_t)(sep - uri) >= sizeof(u->scheme)) {
		return false;
	}
	memcpy(u->scheme, uri, (size_t)(sep - uri));
	u->scheme[sep - uri] = '\0';
	const char *h = sep + 3;
	size_t auth_len = strcspn(h, "/?#");
	const char *port = NULL;
	if (*h == '[') {
		const char *close = memchr(h, ']', auth_len);
		if (close == NULL) {
			return false;
		}
		port = close + 1 < h + auth_len && close[1] == ':' ? close + 2 : NULL;
		size_t hl = (size_t)(close + 1 - h);
		if (hl >= sizeof(u->host)) {
			return false;
		}
		memcpy(u->host, h, hl);
		u->host[hl] = '\0';
	} else {
		const char *colon = memchr(h, ':', auth_len);
		size_t hl = colon ? (size_t)(colon - h) : auth_len;
		if (hl >= sizeof(u->host)) {
			return false;
		}
		memcpy(u->host, h, hl);
		u->host[hl] = '\0';
		port = colon ? colon + 1 : NULL;
	}
	size_t full = auth_len;
	u->port[0] = '\0';
	if (port != NULL) {
		size_t pl = (size_t)(h + full - port);
		if (pl >= sizeof(u->port)) {
			return false;
		}
		memcpy(u->port, port, pl);
		u->port[pl] = '\0';
	}
	u->rest = h + full;
	return u->host[0] != '\0';
}

static bool is_loopback_literal(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0;
}

/* The registered URI or a subdirectory of it; a loopback IP literal matches any port
 * (RFC 8252 7.3). */
static bool redirect_allowed(const char *registered, const char *given)
{
	if (strcmp(registered, given) == 0) {
		return true;
	}
	uri_parts_t r, g;
	if (!uri_split(registered, &r) || !uri_split(given, &g)) {
		return false;
	}
	if (strcasecmp(r.scheme, g.scheme) != 0 || strcasecmp(r.host, g.host) != 0) {
		return false;
	}
	if (strcmp(r.port, g.port) != 0 && !is_loopback_literal(r.host)) {
		return false;
	}
	size_t rl = strlen(r.rest);
	if (strcmp(r.rest, g.rest) == 0) {
		return true;
	}
	if (strncmp(r.rest, g.rest, rl) != 0) {
		return false;
	}
	/* a subdirectory: the registered path ends at a '/' boundary */
	return (rl > 0 && r.rest[rl - 1] == '/') || g.rest[rl] == '/' ||
	       (rl == 0 && g.rest[0] == '/');
}

/* The authorization request, as validated from its fields. */
typedef struct authz {
	oauth_app_t app;
	const char *redirect_uri;   /* where to send the browser */
	const char *given_redirect; /* as sent, "" when absent (kept for the token check) */
	const char *state;
	const char *challenge;
	const char *error;          /* OAuth error to redirect with, or NULL */
	const char *error_description;
} authz_t;

static int html_page(api_reply_t *rep, int status, const char *title, const char *body)
{
	sbuf_t b = SBUF_INIT;
	sbuf_printf(&b, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>"
			"</head>\n<body>\n<h1>%s</h1>\n%s</body></html>\n",
		    title, title, body);
	size_t size = b.len;
	reply_raw(rep, status, "text/html; charset=utf-8", sbuf_take(&b), size);
	return ERR_OK;
}

static int html_error(api_req_t *req, api_reply_t *rep, const char *msg)
{
	return html_page(rep, 400, "Authorization failed",
			 arena_printf(req->arena, "<p>%s</p>\n", api_html_escape(req->arena, msg)));
}

/* Validate client and redirect first: errors there are shown, never redirected
 * (RFC 6749 4.1.2.1). Errors after that go back to the client's redirect URI. */
static int authz_read(api_req_t *req, api_reply_t *rep, authz_t *az)
{
	memset(az, 0, sizeof(*az));
	int ret = store_oauth_app_get_by_client_id(req->ctx->store, req->arena,
						   field(req, "client_id"), &az->app);
	if (ret == ERR_NOTFOUND) {
		html_error(req, rep, "Unknown client_id.");
		return ERR_NOTFOUND;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	az->given_redirect = field(req, "redirect_uri");
	if (*az->given_redirect != '\0' && !redirect_allowed(az->app.redirect_uri,
							     az->given_redirect)) {
		html_error(req, rep, "The redirect_uri does not match the application's.");
		return ERR_INVALID;
	}
	az->redirect_uri = *az->given_redirect ? az->given_redirect : az->app.redirect_uri;
	az->state = field(req, "state");
	az->challenge = field(req, "code_challenge");
	const char *method = field(req, "code_challenge_method");
	if (strcmp(field(req, "response_type"), "code") != 0) {
		az->error = "unsupported_response_type";
		az->error_description = "Only response_type=code is supported";
	} else if (*az->state == '\0') {
		az->error = "invalid_request";
		az->error_description = "Missing \"state\"";
	} else if (*az->challenge != '\0' && strcmp(method, "S256") != 0) {
		az->error = "invalid_request";
		az->error_description = "code_challenge_method must be S256";
	} else if (az->app.is_public && *az->challenge == '\0') {
		az->error = "invalid_request";
		az->error_description = "Public clients must send a PKCE code_challenge";
	}
	return ERR_OK;
}

static int redirect(api_req_t *req, api_reply_t *rep, const authz_t *az, const char *query)
{
	const char *sep = strchr(az->redirect_uri, '?') ? "&" : "?";
	const char *loc = arena_printf(req->arena, "%s%s%s&state=%s", az->redirect_uri, sep, query,
				       api_url_encode(req->arena, az->state));
	reply_set_header(rep, "Location", loc);
	return html_page(rep, 302, "Redirecting", "");
}

static int redirect_error(api_req_t *req, api_reply_t *rep, const authz_t *az, const char *error,
			  const char *description)
{
	return redirect(req, rep, az,
			arena_printf(req->arena, "error=%s&error_description=%s", error,
				     api_url_encode(req->arena, description)));
}

static const char *const carried[] = { "client_id", "redirect_uri", "state", "response_type",
				       "code_challenge", "code_challenge_method", NULL };

static int consent_form(api_req_t *req, api_reply_t *rep, const authz_t *az, int status,
			const char *problem)
{
	arena_t *a = req->arena;
	sbuf_t b = SBUF_INIT;
	if (problem != NULL) {
		sbuf_printf(&b, "<p><strong>%s</strong></p>\n", api_html_escape(a, problem));
	}
	sbuf_printf(&b, "<p><strong>%s</strong> asks for access to one of your accounts.</p>\n"
			"<form method=\"post\" action=\"/oauth/authorize\">\n",
		    api_html_escape(a, az->app.name));
	for (size_t i = 0; carried[i] != NULL; i++) {
		sbuf_printf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", carried[i],
			    api_html_escape(a, field(req, carried[i])));
	}
	sbuf_printf(&b, "<p><label>Email <input name=\"email\" type=\"email\" value=\"%s\"></label></p>\n"
			"<p><label>Password <input name=\"password\" type=\"password\"></label></p>\n"
			"<p><label>One-time code (if 2FA is on) <input name=\"otp\" "
			"autocomplete=\"one-time-code\"></label></p>\n"
			"<p><label>Account id <input name=\"account_id\" value=\"%s\"></label></p>\n"
			"<p><button name=\"decision\" value=\"approve\">Authorize</button>\n"
			"<button name=\"decision\" value=\"deny\">Deny</button></p>\n</form>\n",
		    api_html_escape(a, field(req, "email")),
		    api_html_escape(a, field(req, "account_id")));
	html_page(rep, status, "Authorize application", b.p);
	sbuf_clear(&b);
	return ERR_OK;
}

/* GET /oauth/authorize: the consent page. */
static int oauth_authorize_page(api_req_t *req, api_reply_t *rep)
{
	authz_t az;
	int ret = authz_read(req, rep, &az);
	if (ret != ERR_OK) {
		return ret == ERR_NOTFOUND || ret == ERR_INVALID ? ERR_OK : ret;
	}
	if (az.error != NULL) {
		return redirect_error(req, rep, &az, az.error, az.error_description);
	}
	return consent_form(req, rep, &az, 200, NULL);
}

/* Check the user's credentials and pick the account; NULL problem on success. */
static const char *sign_in(api_req_t *req, user_t *u, int64_t *account_id)
{
	store_t *st = req->ctx->store;
	int ret = store_user_get_by_email(st, req->arena, field(req, "email"), u);
	if (ret != ERR_OK || !secret_password_verify(u->password_hash, field(req, "password"))) {
		return "Invalid email or password.";
	}
	if (u->otp_secret != NULL && *u->otp_secret != '\0' &&
	    !secret_otp_verify(u->otp_secret, field(req, "otp"), time_now())) {
		return "A valid one-time code is required.";
	}
	account_t *accounts = NULL;
	size_t count = 0;
	if (store_account_list_for_user(st, req->arena, u->id, &accounts, &count) != ERR_OK ||
	    count == 0) {
		return "This user is a member of no account.";
	}
	const char *want = field(req, "account_id");
	if (*want == '\0') {
		*account_id = accounts[0].id;
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		if (strtoll(want, NULL, 10) == accounts[i].id) {
			*account_id = accounts[i].id;
			return NULL;
		}
	}
	return "You are not a member of that account.";
}

/* POST /oauth/authorize: the user's decision. */
static int oauth_authorize_decide(api_req_t *req, api_reply_t *rep)
{
	authz_t az;
	int ret = authz_read(req, rep, &az);
	if (ret != ERR_OK) {
		return ret == ERR_NOTFOUND || ret == ERR_INVALID ? ERR_OK : ret;
	}
	if (az.error != NULL) {
		return redirect_error(req, rep, &az, az.error, az.error_description);
	}
	if (strcmp(field(req, "decision"), "approve") != 0) {
		return redirect_error(req, rep, &az, "access_denied",
				      "The user denied the authorization request");
	}
	user_t u;
	int64_t account_id = 0;
	const char *problem = sign_in(req, &u, &account_id);
	if (problem != NULL) {
		return consent_form(req, rep, &az, 401, problem);
	}
	char code[SECRET_TOKEN_SIZE], digest[SECRET_DIGEST_SIZE];
	secret_token_new("npc", code);
	secret_digest(code, digest);
	oauth_code_t oc = {
		.code_hash = digest,
		.app_id = az.app.id,
		.user_id = u.id,
		.account_id = account_id,
		.redirect_uri = az.given_redirect,
		.state = az.state,
		.code_challenge = az.challenge,
		.expires_at = time_now() + CODE_LIFETIME,
	};
	ret = store_oauth_code_create(req->ctx->store, &oc);
	if (ret != ERR_OK) {
		return ret;
	}
	return redirect(req, rep, &az, arena_printf(req->arena, "code=%s", code));
}

static int oauth_error(api_reply_t *rep, int status, const char *error, const char *description)
{
	rep->status = status;
	rep->body = json_pack("{s:s,s:s}", "error", error, "error_description", description);
	return ERR_OK;
}

/* POST /v2/oauth/access_token: exchange a code for an account token. */
static int oauth_access_token(api_req_t *req, api_reply_t *rep)
{
	if (req->json == NULL) {
		return oauth_error(rep, 400, "invalid_request", "Missing request body");
	}
	if (strcmp(field(req, "grant_type"), "authorization_code") != 0) {
		return oauth_error(rep, 400, "invalid_request",
				   "Invalid \"grant_type\": only authorization_code is supported");
	}
	store_t *st = req->ctx->store;
	oauth_app_t app;
	int ret = store_oauth_app_get_by_client_id(st, req->arena, field(req, "client_id"), &app);
	if (ret == ERR_NOTFOUND) {
		return oauth_error(rep, 401, "invalid_client", "Client authentication failed");
	}
	if (ret != ERR_OK) {
		return ret;
	}
	char digest[SECRET_DIGEST_SIZE];
	if (!app.is_public) {
		secret_digest(field(req, "client_secret"), digest);
		if (app.secret_hash == NULL || !secret_equal(app.secret_hash, digest)) {
			return oauth_error(rep, 401, "invalid_client",
					   "Client authentication failed");
		}
	}
	secret_digest(field(req, "code"), digest);
	oauth_code_t oc;
	ret = store_oauth_code_get(st, req->arena, digest, &oc);
	if (ret != ERR_OK && ret != ERR_NOTFOUND) {
		return ret;
	}
	if (ret == ERR_NOTFOUND || oc.is_used || oc.expires_at < time_now() || oc.app_id != app.id) {
		return oauth_error(rep, 400, "invalid_grant",
				   "The authorization code is invalid, expired or already used");
	}
	if (*oc.state != '\0' && strcmp(oc.state, field(req, "state")) != 0) {
		return oauth_error(rep, 400, "invalid_request",
				   "Invalid \"state\": value doesn't match the \"state\" in the "
				   "authorization request");
	}
	if (*oc.redirect_uri != '\0' && strcmp(oc.redirect_uri, field(req, "redirect_uri")) != 0) {
		return oauth_error(rep, 400, "invalid_request",
				   "Invalid \"redirect_uri\": value doesn't match the "
				   "\"redirect_uri\" in the authorization request");
	}
	if (*oc.code_challenge != '\0') {
		char computed[48];
		secret_pkce_s256(field(req, "code_verifier"), computed);
		if (!secret_equal(computed, oc.code_challenge)) {
			return oauth_error(rep, 400, "invalid_grant",
					   "The PKCE code_verifier does not match the code_challenge");
		}
	}
	char secret[SECRET_TOKEN_SIZE], token_digest[SECRET_DIGEST_SIZE];
	secret_token_new("npa", secret);
	secret_digest(secret, token_digest);
	token_t t = { .kind = TOKEN_ACCOUNT, .account_id = oc.account_id, .oauth_app_id = app.id,
		      .name = app.name };
	ret = store_oauth_code_exchange(st, digest, &t, token_digest);
	if (ret == ERR_CONFLICT) {
		return oauth_error(rep, 400, "invalid_grant", "The authorization code was already used");
	}
	if (ret != ERR_OK) {
		return ret;
	}
	rep->status = 200;
	rep->body = json_pack("{s:s,s:s,s:n,s:I}", "access_token", secret, "token_type", "Bearer",
			      "scope", "account_id", (json_int_t)oc.account_id);
	return ERR_OK;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/oauth/authorize", oauth_authorize_page, NULL, SCOPE_NONE, API_PUBLIC },
	{ HTTP_POST, "/oauth/authorize", oauth_authorize_decide, NULL, SCOPE_NONE,
	  API_PUBLIC | API_FORM },
	{ HTTP_POST, "/v2/oauth/access_token", oauth_access_token, NULL, SCOPE_NONE,
	  API_PUBLIC | API_FORM },
};
API_RESOURCE(oauth, routes);
