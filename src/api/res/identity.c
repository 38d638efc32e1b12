/* identity.c -- whoami and listAccounts (fixtures/v2/api/whoami, accounts). */
#include "api/api_internal.h"
#include "core/err.h"

/* GET /v2/whoami: the account of an account token, or the user of a user credential. */
static int identity_whoami(api_req_t *req, api_reply_t *rep)
{
	json_t *account = json_null(), *user = json_null();
	if (req->ident.kind == IDENT_ACCOUNT) {
		account = account_to_json(&req->ident.account);
	} else {
		user = user_to_json(&req->ident.user);
	}
	reply_data(rep, 200, json_pack("{s:o,s:o}", "user", user, "account", account));
	return ERR_OK;
}

/* GET /v2/accounts: the token's account, or every account the user is a member of. */
static int accounts_list(api_req_t *req, api_reply_t *rep)
{
	json_t *list = json_array();
	if (req->ident.kind == IDENT_ACCOUNT) {
		json_array_append_new(list, account_to_json(&req->ident.account));
		reply_data(rep, 200, list);
		return ERR_OK;
	}
	account_t *accounts = NULL;
	size_t count = 0;
	int ret = store_account_list_for_user(req->ctx->store, req->arena, req->ident.user.id,
					      &accounts, &count);
	if (ret != ERR_OK) {
		json_decref(list);
		return ret;
	}
	for (size_t i = 0; i < count; i++) {
		json_array_append_new(list, account_to_json(&accounts[i]));
	}
	reply_data(rep, 200, list);
	return ERR_OK;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/whoami", identity_whoami, NULL, SCOPE_READ, 0 },
	{ HTTP_GET, "/v2/accounts", accounts_list, NULL, SCOPE_READ, 0 },
};
API_RESOURCE(identity, routes);
