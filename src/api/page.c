/* page.c -- pagination and sorting: one parser for every list endpoint (content/v2.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"

#define PER_PAGE_DEFAULT 30
#define PER_PAGE_MAX 100

/* A positive integer query argument; absent leaves *out as is. */
static int positive(api_req_t *req, const char *name, int64_t *out)
{
	const char *v = api_query(req, name);
	if (v == NULL || *v == '\0') {
		return ERR_OK;
	}
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1) {
		reply_field_error(req, name, "must be a positive integer");
		return ERR_INVALID;
	}
	*out = n;
	return ERR_OK;
}

int api_page_parse(api_req_t *req, api_page_t *out)
{
	out->page = 1;
	out->per_page = PER_PAGE_DEFAULT;
	int r1 = positive(req, "page", &out->page);
	int r2 = positive(req, "per_page", &out->per_page);
	if (r1 != ERR_OK || r2 != ERR_OK) {
		return ERR_INVALID;
	}
	if (out->per_page > PER_PAGE_MAX) {
		out->per_page = PER_PAGE_MAX; /* DNSimple clamps rather than refuses */
	}
	if (out->page > INT64_MAX / PER_PAGE_MAX) {
		out->page = INT64_MAX / PER_PAGE_MAX;
	}
	return ERR_OK;
}

void api_page_write(jsonw_t *w, const api_page_t *p, int64_t total_entries)
{
	jsonw_obj_open(w);
	jsonw_key_int(w, "current_page", p->page);
	jsonw_key_int(w, "per_page", p->per_page);
	jsonw_key_int(w, "total_entries", total_entries);
	jsonw_key_int(w, "total_pages", (total_entries + p->per_page - 1) / p->per_page);
	jsonw_obj_close(w);
}

json_t *api_page_json(const api_page_t *p, int64_t total_entries)
{
	jsonw_t w;
	jsonw_init(&w, 128);
	api_page_write(&w, p, total_entries);
	return jsonw_tree(&w);
}

int api_sort_parse(api_req_t *req, const char *const *allowed, api_sort_t *out)
{
	out->count = 0;
	const char *v = api_query(req, "sort");
	if (v == NULL || *v == '\0') {
		return ERR_OK;
	}
	const char *p = v;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		const char *colon = memchr(p, ':', len);
		size_t flen = colon != NULL ? (size_t)(colon - p) : len;
		bool is_desc = false;
		if (colon != NULL) {
			size_t olen = len - flen - 1;
			if (olen == 4 && strncmp(colon + 1, "desc", 4) == 0) {
				is_desc = true;
			} else if (!(olen == 3 && strncmp(colon + 1, "asc", 3) == 0)) {
				req->message = arena_printf(req->arena, "Invalid sorting order `%.*s`",
							    (int)olen, colon + 1);
				return ERR_INVALID;
			}
		}
		const char *field = NULL;
		for (size_t i = 0; allowed[i] != NULL; i++) {
			if (strlen(allowed[i]) == flen && strncmp(allowed[i], p, flen) == 0) {
				field = allowed[i];
			}
		}
		if (field == NULL) {
			req->message = arena_printf(req->arena, "Invalid sorting field `%.*s`",
						    (int)flen, p);
			return ERR_INVALID;
		}
		if (out->count == API_SORT_MAX) {
			req->message = "Too many sorting fields";
			return ERR_INVALID;
		}
		out->fields[out->count] = field;
		out->is_desc[out->count] = is_desc;
		out->count++;
		p += len;
		if (*p == ',') {
			p++;
		}
	}
	return ERR_OK;
}

int api_list_parse(api_req_t *req, const char *const *allowed_sort, api_page_t *page,
		   store_list_t *out)
{
	api_sort_t sort;
	int ret = api_page_parse(req, page);
	if (ret == ERR_OK) {
		ret = api_sort_parse(req, allowed_sort, &sort);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	memset(out, 0, sizeof(*out));
	out->offset = (page->page - 1) * page->per_page;
	out->limit = page->per_page;
	out->sort_count = sort.count;
	for (int i = 0; i < sort.count; i++) {
		out->sort_fields[i] = sort.fields[i];
		out->sort_desc[i] = sort.is_desc[i];
	}
	return ERR_OK;
}

void reply_page(api_reply_t *rep, json_t *items, const api_page_t *page, int64_t total)
{
	json_decref(rep->body);
	rep->status = 200;
	rep->body = json_pack("{s:o,s:o}", "data", items, "pagination", api_page_json(page, total));
}
