/* reply.c -- reply bodies: data envelopes, error bodies from error codes, headers. */
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"

void reply_set_header(api_reply_t *rep, const char *name, const char *value)
{
	if (rep->header_count < API_MAX_HEADERS) {
		rep->header_names[rep->header_count] = name;
		rep->header_values[rep->header_count] = value;
		rep->header_count++;
	}
}

void reply_data(api_reply_t *rep, int status, json_t *data)
{
	json_decref(rep->body);
	rep->status = status;
	rep->body = json_pack("{s:o}", "data", data);
}

void reply_raw(api_reply_t *rep, int status, const char *content_type, char *raw, size_t size)
{
	free(rep->raw);
	rep->status = status;
	rep->content_type = content_type;
	rep->raw = raw;
	rep->raw_size = size;
}

/* The written text becomes the reply's body as it is: no tree, no second copy. */
static void reply_json(api_reply_t *rep, int status, jsonw_t *w)
{
	size_t len = 0;
	char *text = jsonw_take(w, &len);
	json_decref(rep->body);
	rep->body = NULL;
	reply_raw(rep, status, "application/json; charset=utf-8", text, len);
}

void reply_data_open(jsonw_t *w, size_t size_hint)
{
	jsonw_init(w, size_hint);
	jsonw_obj_open(w);
	jsonw_key(w, "data");
}

void reply_data_close(api_reply_t *rep, int status, jsonw_t *w)
{
	jsonw_obj_close(w);
	reply_json(rep, status, w);
}

void reply_page_open(jsonw_t *w, size_t count, size_t item_size)
{
	reply_data_open(w, count * item_size + 256);
	jsonw_arr_open(w);
}

void reply_page_close(api_reply_t *rep, jsonw_t *w, const api_page_t *page, int64_t total)
{
	jsonw_arr_close(w);
	jsonw_key(w, "pagination");
	api_page_write(w, page, total);
	reply_data_close(rep, 200, w);
}

json_t *reply_error_body(const api_req_t *req, int code)
{
	const char *msg = req->message != NULL ? req->message : err_str(code);
	json_t *body = json_pack("{s:s}", "message", msg);
	if (body == NULL) {
		/* a message that echoes client bytes that are not UTF-8: say what we can */
		body = json_pack("{s:s}", "message", err_str(code));
	}
	/* The 400 schema requires "errors", empty when no field is at fault. */
	if (err_http_status(code) == 400) {
		json_object_set_new(body, "errors",
				    req->errors != NULL ? json_incref(req->errors) : json_object());
	}
	return body;
}

void reply_field_error(api_req_t *req, const char *field, const char *message)
{
	if (req->errors == NULL) {
		req->errors = json_object();
	}
	json_t *list = json_object_get(req->errors, field);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(req->errors, field, list);
	}
	json_array_append_new(list, json_string(message));
}
