/* contacts.c -- listContacts, createContact, getContact, updateContact, deleteContact
 * (content/v2/contacts.md; fixtures/v2/api/{list,create,get,update,delete}Contact*). */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"

static const char *const sort_fields[] = { "id", "label", "email", NULL };

static void on_field_error(void *ctx, const char *field, const char *message)
{
	reply_field_error(ctx, field, message);
}

/* The :contact id; anything but a positive decimal integer is an unknown contact. */
static int contact_param(api_req_t *req, int64_t *out)
{
	const char *p = api_param(req, "contact");
	size_t len = p != NULL ? strlen(p) : 0;
	bool is_num = len > 0 && len <= 18;
	for (size_t i = 0; is_num && i < len; i++) {
		is_num = p[i] >= '0' && p[i] <= '9';
	}
	*out = is_num ? strtoll(p, NULL, 10) : 0;
	return *out > 0 ? ERR_OK : ERR_NOTFOUND;
}

/* An unknown contact's 404 names the id as given: fixtures/v2/api/notfound-contact.http. */
static int not_found(api_req_t *req, int ret)
{
	if (ret == ERR_NOTFOUND) {
		const char *p = api_param(req, "contact");
		req->message = arena_printf(req->arena, "Contact `%s` not found", p ? p : "");
	}
	return ret;
}

/* The body must be a JSON object; an empty body is an empty object. */
static int body_object(api_req_t *req)
{
	if (req->json != NULL && !json_is_object(req->json)) {
		req->message = "The request body must be a JSON object";
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* GET /v2/:account/contacts */
static int contacts_list(api_req_t *req, api_reply_t *rep)
{
	api_page_t page;
	store_list_t q;
	int ret = api_list_parse(req, sort_fields, &page, &q);
	if (ret != ERR_OK) {
		return ret;
	}
	contact_t *list = NULL;
	size_t count = 0;
	int64_t total = 0;
	ret = store_contact_list(req->ctx->store, req->arena, req->account.id, &q, &list, &count,
				 &total);
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++) {
		json_array_append_new(items, contact_to_json(&list[i]));
	}
	reply_page(rep, items, &page, total);
	return ERR_OK;
}

/* POST /v2/:account/contacts */
static int contacts_create(api_req_t *req, api_reply_t *rep)
{
	int ret = body_object(req);
	if (ret != ERR_OK) {
		return ret;
	}
	contact_t c;
	contact_init(&c);
	ret = contact_apply(&c, req->json, req->arena, on_field_error, req);
	if (ret != ERR_OK) {
		return ret;
	}
	c.account_id = req->account.id;
	ret = store_contact_create(req->ctx->store, &c);
	if (ret != ERR_OK) {
		return ret;
	}
	reply_data(rep, 201, contact_to_json(&c));
	return ERR_OK;
}

/* GET /v2/:account/contacts/:contact */
static int contacts_get(api_req_t *req, api_reply_t *rep)
{
	int64_t id = 0;
	contact_t c;
	int ret = contact_param(req, &id);
	if (ret == ERR_OK) {
		ret = store_contact_get(req->ctx->store, req->arena, req->account.id, id, &c);
	}
	if (ret != ERR_OK) {
		return not_found(req, ret);
	}
	reply_data(rep, 200, contact_to_json(&c));
	return ERR_OK;
}

/* PATCH /v2/:account/contacts/:contact: only the fields sent change; the merged record
 * is validated as a whole. */
static int contacts_update(api_req_t *req, api_reply_t *rep)
{
	int64_t id = 0;
	contact_t c;
	int ret = contact_param(req, &id);
	if (ret == ERR_OK) {
		ret = store_contact_get(req->ctx->store, req->arena, req->account.id, id, &c);
	}
	if (ret != ERR_OK) {
		return not_found(req, ret);
	}
	ret = body_object(req);
	if (ret == ERR_OK) {
		ret = contact_apply(&c, req->json, req->arena, on_field_error, req);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	ret = store_contact_update(req->ctx->store, &c);
	if (ret != ERR_OK) {
		return not_found(req, ret); /* deleted since we read it */
	}
	reply_data(rep, 200, contact_to_json(&c));
	return ERR_OK;
}

/* DELETE /v2/:account/contacts/:contact: 204, or 400 while a domain uses the contact. */
static int contacts_delete(api_req_t *req, api_reply_t *rep)
{
	int64_t id = 0;
	int ret = contact_param(req, &id);
	if (ret == ERR_OK) {
		ret = store_contact_delete(req->ctx->store, req->account.id, id);
	}
	if (ret == ERR_CONFLICT) {
		/* fixtures/v2/api/deleteContact/error-contact-in-use.http */
		req->message = "The contact cannot be deleted because it's currently in use";
		return ret;
	}
	if (ret != ERR_OK) {
		return not_found(req, ret);
	}
	rep->status = 204;
	return ERR_OK;
}

/* Contacts are account administration: owners and administrators only. */
static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/:account/contacts", contacts_list, "contacts", SCOPE_READ,
	  API_ACCOUNT_ADMIN },
	{ HTTP_POST, "/v2/:account/contacts", contacts_create, "contacts", SCOPE_WRITE,
	  API_ACCOUNT_ADMIN },
	{ HTTP_GET, "/v2/:account/contacts/:contact", contacts_get, "contacts", SCOPE_READ,
	  API_ACCOUNT_ADMIN },
	{ HTTP_PATCH, "/v2/:account/contacts/:contact", contacts_update, "contacts", SCOPE_WRITE,
	  API_ACCOUNT_ADMIN },
	{ HTTP_DELETE, "/v2/:account/contacts/:contact", contacts_delete, "contacts", SCOPE_WRITE,
	  API_ACCOUNT_ADMIN },
};
API_RESOURCE(contacts, routes);
