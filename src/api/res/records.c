/* records.c -- zone records: list, create, get, update, delete, batch
 * (content/v2/zones/records.md, batch-change-zone-records.md; fixtures *ZoneRecord*).
 *
 * Validation that needs no stored data happens here (model/zone.c); the rules that do
 * (CNAME alone at its name, no duplicates, the record of an update) run inside the
 * store's transaction, which also raises the serial and writes the change-log and
 * outbox rows. */
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "dns/client/client.h"
#include "model/plan.h"

#define BATCH_MAX 1000 /* operations in one batch request */
#define RECORD_JSON_SIZE 320 /* bytes a record's JSON takes, about: what a list reserves */

static const char *const sort_fields[] = { "id", "name", "content", "type", NULL };

/* The region codes of the deployment, NULL-terminated, in the arena. */
static const char *const *allowed_regions(api_req_t *req)
{
	const char *list = req->ctx->conf->regions;
	size_t n = 2;
	for (const char *p = list; *p != '\0'; p++) {
		n += *p == ',';
	}
	const char **out = arena_alloc_array(req->arena, n, sizeof(char *));
	size_t k = 0;
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			out[k++] = arena_strndup(req->arena, p, len);
		}
		p += len + (p[len] == ',');
	}
	out[k] = NULL;
	return out;
}

static int feature_missing(api_req_t *req, const char *feature)
{
	req->message = arena_printf(req->arena, "%s feature is not enabled for the account %s",
				    plan_feature_title(feature), req->account.email);
	return ERR_PRECONDITION;
}

/* Regions other than "global" are a plan feature (412 without it). */
static int check_regions_feature(api_req_t *req, const json_t *body)
{
	json_t *regions = json_object_get(body, "regions");
	size_t i;
	json_t *v;
	json_array_foreach(regions, i, v) {
		const char *code = json_string_value(v);
		if (code != NULL && strcmp(code, "global") != 0 &&
		    !plan_has(req->account.plan_identifier, "regions")) {
			return feature_missing(req, "regions");
		}
	}
	return ERR_OK;
}

static int zone_writable(api_req_t *req, const zone_t *zone)
{
	if (zone->is_secondary) {
		req->message = arena_printf(req->arena, "The zone %s is a secondary zone: its records "
							"come from its primary and cannot be changed here",
					    zone->name);
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* A refused store change as a response: single operations answer 404 for a missing
 * record and 400 with the field errors otherwise. */
static int change_failed(api_req_t *req, store_change_t *chg, int ret, bool is_batch)
{
	if (ret != ERR_INVALID || chg->fail_kind == NULL) {
		json_decref(chg->fail_errors);
		return ret;
	}
	if (!is_batch && strncmp(chg->fail_message, "Record not found", 16) == 0) {
		req->message = arena_printf(req->arena, "Record `%s` not found",
					    api_param(req, "record"));
		json_decref(chg->fail_errors);
		return ERR_NOTFOUND;
	}
	req->message = is_batch || chg->fail_errors != NULL ? "Validation failed" : chg->fail_message;
	if (is_batch) {
		json_t *item = json_pack("{s:I,s:s}", "index", (json_int_t)chg->fail_index, "message",
					 chg->fail_message);
		if (chg->fail_errors != NULL) {
			json_object_set_new(item, "errors", chg->fail_errors);
		}
		req->errors = json_pack("{s:[o]}", chg->fail_kind, item);
	} else {
		req->errors = chg->fail_errors;
	}
	return ERR_INVALID;
}

static void on_record(void *w, const record_t *r)
{
	record_json_write(w, r);
}

/* GET /v2/:account/zones/:zone/records */
static int records_list(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	api_page_t page;
	store_list_t q;
	int ret = api_zone_load(req, &zone);
	if (ret == ERR_OK) {
		ret = api_list_parse(req, sort_fields, &page, &q);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	store_filter_t f = { .name_like = api_query(req, "name_like"), .type = api_query(req, "type") };
	const char *name = api_query(req, "name");
	if (name != NULL) {
		f.has_name = true; /* an empty name= means the apex */
		f.name = strcmp(name, "@") == 0 ? "" : name;
	}
	if (f.type != NULL && *f.type == '\0') {
		f.type = NULL;
	}
	/* Each row is written as the store steps to it: no record array, no copies. */
	int64_t total = 0;
	jsonw_t w;
	reply_page_open(&w, (size_t)page.per_page, RECORD_JSON_SIZE);
	ret = store_record_list_each(req->ctx->store, &zone, &f, &q, &total, on_record, &w);
	if (ret != ERR_OK) {
		jsonw_clear(&w);
		return ret;
	}
	reply_page_close(rep, &w, &page, total);
	return ERR_OK;
}

/* {"data": record} */
static void reply_record(api_reply_t *rep, int status, const record_t *r)
{
	jsonw_t w;
	reply_data_open(&w, RECORD_JSON_SIZE);
	record_json_write(&w, r);
	reply_data_close(rep, status, &w);
}

/* POST /v2/:account/zones/:zone/records */
static int records_create(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	int ret = api_zone_load(req, &zone);
	if (ret == ERR_OK) {
		ret = zone_writable(req, &zone);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *body = req->json != NULL ? req->json : json_object();
	if (req->json == NULL) {
		req->json = body; /* freed with the request */
	}
	record_t r;
	json_t *errors = json_object();
	if (record_from_json(req->arena, &zone, body, false, NULL, allowed_regions(req), &r,
			     errors) != ERR_OK) {
		req->errors = errors;
		return ERR_INVALID;
	}
	json_decref(errors);
	if ((ret = check_regions_feature(req, body)) != ERR_OK) {
		return ret;
	}
	store_change_t chg = { .zone = &zone, .creates = &r, .create_count = 1,
			       .event = "record.create", .arena = req->arena,
			       .allowed_regions = allowed_regions(req) };
	ret = store_zone_change(req->ctx->store, &chg);
	if (ret != ERR_OK) {
		return change_failed(req, &chg, ret, false);
	}
	reply_record(rep, 201, &r);
	return ERR_OK;
}

/* GET /v2/:account/zones/:zone/records/:record */
static int records_get(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	record_t r;
	int ret = api_zone_load(req, &zone);
	if (ret == ERR_OK) {
		ret = api_record_load(req, &zone, &r);
	}
	if (ret == ERR_OK) {
		reply_record(rep, 200, &r);
	}
	return ret;
}

/* The zone and the record id of /zones/:zone/records/:record, for changes. */
static int target(api_req_t *req, zone_t *zone, int64_t *id)
{
	int ret = api_zone_load(req, zone);
	if (ret == ERR_OK && !api_parse_id(api_param(req, "record"), id)) {
		req->message = arena_printf(req->arena, "Record `%s` not found",
					    api_param(req, "record"));
		ret = ERR_NOTFOUND;
	}
	return ret == ERR_OK ? zone_writable(req, zone) : ret;
}

/* PATCH /v2/:account/zones/:zone/records/:record */
static int records_update(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	int64_t id = 0;
	int ret = target(req, &zone, &id);
	if (ret != ERR_OK) {
		return ret;
	}
	if (req->json == NULL) {
		req->json = json_object();
	}
	if ((ret = check_regions_feature(req, req->json)) != ERR_OK) {
		return ret;
	}
	const json_t *bodies[1] = { req->json };
	store_change_t chg = { .zone = &zone, .update_ids = &id, .update_bodies = bodies,
			       .update_count = 1, .event = "record.update", .arena = req->arena,
			       .allowed_regions = allowed_regions(req) };
	ret = store_zone_change(req->ctx->store, &chg);
	if (ret != ERR_OK) {
		return change_failed(req, &chg, ret, false);
	}
	reply_record(rep, 200, &chg.updated[0]);
	return ERR_OK;
}

/* DELETE /v2/:account/zones/:zone/records/:record */
static int records_delete(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	int64_t id = 0;
	int ret = target(req, &zone, &id);
	if (ret != ERR_OK) {
		return ret;
	}
	store_change_t chg = { .zone = &zone, .deletes = &id, .delete_count = 1,
			       .event = "record.delete", .arena = req->arena };
	ret = store_zone_change(req->ctx->store, &chg);
	if (ret != ERR_OK) {
		return change_failed(req, &chg, ret, false);
	}
	rep->status = 204;
	return ERR_OK;
}

/* The ids of a batch's "updates" or "deletes" items. */
static int batch_ids(api_req_t *req, const json_t *items, const char *kind, int64_t **out)
{
	size_t n = json_array_size(items);
	*out = arena_alloc_array(req->arena, n + 1, sizeof(int64_t));
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(items, i);
		bool is_present = false;
		if (!json_is_object(item) ||
		    !json_get_int_lenient(item, "id", &(*out)[i], &is_present)) {
			req->message = "Validation failed";
			req->errors = json_pack("{s:[{s:I,s:s,s:{s:[s]}}]}", kind, "index", (json_int_t)i,
						"message", "Validation failed", "errors", "id",
						"can't be blank");
			return ERR_INVALID;
		}
	}
	return ERR_OK;
}

/* {"data": {"creates": [records], "updates": [records], "deletes": [{"id"}]}} */
static void reply_batch(api_reply_t *rep, const store_change_t *chg)
{
	static const char *const kinds[2] = { "creates", "updates" };
	const record_t *written[2] = { chg->creates, chg->updated };
	size_t counts[2] = { chg->create_count, chg->update_count };
	jsonw_t w;
	reply_data_open(&w, (counts[0] + counts[1]) * RECORD_JSON_SIZE + 256);
	jsonw_obj_open(&w);
	for (int k = 0; k < 2; k++) {
		jsonw_key(&w, kinds[k]);
		jsonw_arr_open(&w);
		for (size_t i = 0; i < counts[k]; i++) {
			record_json_write(&w, &written[k][i]);
		}
		jsonw_arr_close(&w);
	}
	jsonw_key(&w, "deletes");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < chg->delete_count; i++) {
		jsonw_obj_open(&w);
		jsonw_key_int(&w, "id", chg->deletes[i]);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	reply_data_close(rep, 200, &w);
}

/* POST /v2/:account/zones/:zone/batch: deletes, then updates, then creates; all or nothing. */
static int records_batch(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	int ret = api_zone_load(req, &zone);
	if (ret == ERR_OK) {
		ret = zone_writable(req, &zone);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	if (!plan_has(req->account.plan_identifier, "batch_changes")) {
		return feature_missing(req, "batch_changes");
	}
	json_t *body = req->json;
	json_t *creates = json_object_get(body, "creates"), *updates = json_object_get(body, "updates");
	json_t *deletes = json_object_get(body, "deletes");
	const char *kinds[3] = { "creates", "updates", "deletes" };
	json_t *lists[3] = { creates, updates, deletes };
	size_t total = 0;
	for (int k = 0; k < 3; k++) {
		if (lists[k] != NULL && !json_is_null(lists[k]) && !json_is_array(lists[k])) {
			/* the schema keys errors.creates etc. by operation index, so say it here */
			req->message = arena_printf(req->arena, "`%s` must be an array", kinds[k]);
			return ERR_INVALID;
		}
		total += json_array_size(lists[k]);
	}
	if (total > BATCH_MAX) {
		req->message = arena_printf(req->arena, "A batch takes at most %d operations",
					    BATCH_MAX);
		return ERR_INVALID;
	}
	const char *const *regions = allowed_regions(req);
	store_change_t chg = { .zone = &zone, .event = "record.batch", .arena = req->arena,
			       .allowed_regions = regions };
	chg.create_count = json_array_size(creates);
	chg.creates = arena_alloc_array(req->arena, chg.create_count + 1, sizeof(record_t));
	json_t *failures = json_array();
	for (size_t i = 0; i < chg.create_count; i++) {
		json_t *item = json_array_get(creates, i), *errors = json_object();
		if (!json_is_object(item) ||
		    record_from_json(req->arena, &zone, item, false, NULL, regions, &chg.creates[i],
				     errors) != ERR_OK) {
			json_array_append_new(failures,
					      json_pack("{s:I,s:s,s:o}", "index", (json_int_t)i,
							"message", "Validation failed", "errors",
							errors));
			continue;
		}
		json_decref(errors);
		if ((ret = check_regions_feature(req, item)) != ERR_OK) {
			json_decref(failures);
			return ret;
		}
	}
	if (json_array_size(failures) > 0) {
		req->message = "Validation failed";
		req->errors = json_pack("{s:o}", "creates", failures);
		return ERR_INVALID;
	}
	json_decref(failures);
	chg.update_count = json_array_size(updates);
	chg.update_bodies = arena_alloc_array(req->arena, chg.update_count + 1, sizeof(json_t *));
	for (size_t i = 0; i < chg.update_count; i++) {
		chg.update_bodies[i] = json_array_get(updates, i);
		if ((ret = check_regions_feature(req, chg.update_bodies[i])) != ERR_OK) {
			return ret;
		}
	}
	if ((ret = batch_ids(req, updates, "updates", &chg.update_ids)) != ERR_OK ||
	    (ret = batch_ids(req, deletes, "deletes", &chg.deletes)) != ERR_OK) {
		return ret;
	}
	chg.delete_count = json_array_size(deletes);
	ret = store_zone_change(req->ctx->store, &chg);
	if (ret != ERR_OK) {
		return change_failed(req, &chg, ret, true);
	}
	reply_batch(rep, &chg);
	return ERR_OK;
}

/* GET /v2/:account/zones/:zone/records/:record/distribution: does every name server
 * serve the record? As zones_distribution() (zones.c), blocking included; which answer
 * counts, pseudo-records included, is dns_check_record()'s rule (dns/client/client.h). */
static int records_distribution(api_req_t *req, api_reply_t *rep)
{
	zone_t zone;
	record_t r;
	dns_check_t chk = { 0 };
	int ret = api_zone_load(req, &zone);
	if (ret == ERR_OK) {
		ret = api_record_load(req, &zone, &r);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	ret = dns_check_record(req->arena, req->ctx->conf, &zone, &r, &chk);
	if (chk.reason != NULL) {
		log_msg(ret == ERR_OK ? LOG_DEBUG : ret == ERR_TIMEOUT ? LOG_INFO : LOG_ERR,
			"req %s, zone %s, record %lld, distribution check (%s%s%s)",
			req->request_id, zone.name, (long long)r.id,
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
	{ HTTP_GET, "/v2/:account/zones/:zone/records", records_list, "zones", SCOPE_READ, 0 },
	{ HTTP_POST, "/v2/:account/zones/:zone/records", records_create, "zones", SCOPE_WRITE,
	  API_RECORDS },
	{ HTTP_GET, "/v2/:account/zones/:zone/records/:record", records_get, "zones", SCOPE_READ, 0 },
	{ HTTP_PATCH, "/v2/:account/zones/:zone/records/:record", records_update, "zones",
	  SCOPE_WRITE, API_RECORDS },
	{ HTTP_DELETE, "/v2/:account/zones/:zone/records/:record", records_delete, "zones",
	  SCOPE_WRITE, API_RECORDS },
	{ HTTP_POST, "/v2/:account/zones/:zone/batch", records_batch, "zones", SCOPE_WRITE,
	  API_RECORDS },
	{ HTTP_GET, "/v2/:account/zones/:zone/records/:record/distribution", records_distribution,
	  "zones", SCOPE_READ, 0 },
};
API_RESOURCE(records, routes);
