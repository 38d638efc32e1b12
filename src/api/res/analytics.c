/* analytics.c -- DNS analytics: queryDnsAnalytics (content/v2/dns-analytics.md), the
 * query volumes per zone and day that the dns role counts (src/dns/stats/).
 *
 * Contract choices (docs/dns-analytics.md): rows are arrays of cells in the order of
 * `headers`, as the fixture shows (the spec makes each row one cell); `page` counts from
 * 1 as everywhere in v2, and page=0, which the fixture echoes, is the first page too;
 * sort fields that are not grouped have no column to sort and are ignored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/sbuf.h"
#include "core/timeutil.h"

#define PER_PAGE_DEFAULT 1000
#define PER_PAGE_MAX 10000
#define RANGE_MAX_DAYS 31
#define DEFAULT_SORT "date:asc,zone_name:asc"
#define GROUPINGS_MAX 3

/* The groupings the spec lists; "volume" is always the last column, grouping by it adds
 * nothing. */
static const char *const groupings_known[] = { "zone_name", "date", "volume", NULL };
static const char *const sort_fields[] = { "zone_name", "date", "volume", NULL };

typedef struct analytics_args {
	const char *groups[GROUPINGS_MAX]; /* in the request's order, no duplicates */
	int group_count;
	char start[11], end[11];
	api_sort_t sort;
	int64_t page, per_page;
} analytics_args_t;

/* Days since the epoch of a strict YYYY-MM-DD calendar date. */
static bool parse_date(const char *s, int64_t *days)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
		return false;
	}
	int v[3] = { 0, 0, 0 };
	static const int start[3] = { 0, 5, 8 }, width[3] = { 4, 2, 2 };
	for (int f = 0; f < 3; f++) {
		for (int i = start[f]; i < start[f] + width[f]; i++) {
			if (s[i] < '0' || s[i] > '9') {
				return false;
			}
			v[f] = v[f] * 10 + (s[i] - '0');
		}
	}
	struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2] };
	int64_t t = (int64_t)timegm(&tm);
	/* timegm() normalizes 2024-02-30 to March: a changed field means no such date */
	if (v[0] < 1970 || tm.tm_year != v[0] - 1900 || tm.tm_mon != v[1] - 1 ||
	    tm.tm_mday != v[2]) {
		return false;
	}
	*days = t / 86400;
	return true;
}

static int parse_groupings(api_req_t *req, analytics_args_t *a)
{
	const char *v = api_query(req, "groupings");
	for (const char *p = v != NULL ? v : ""; *p != '\0';) {
		size_t len = strcspn(p, ",");
		const char *known = NULL;
		for (const char *const *g = groupings_known; *g != NULL; g++) {
			if (strlen(*g) == len && strncmp(*g, p, len) == 0) {
				known = *g;
			}
		}
		if (known == NULL && len > 0) {
			reply_field_error(req, "groupings",
					  "must be zone_name, date or volume, comma-separated");
			return ERR_INVALID;
		}
		bool is_dup = known == NULL;
		for (int i = 0; i < a->group_count; i++) {
			is_dup |= a->groups[i] == known;
		}
		if (!is_dup) {
			a->groups[a->group_count++] = known;
		}
		p += len + (p[len] == ',');
	}
	return ERR_OK;
}

/* start_date and end_date, inclusive; defaults 31 days ago and yesterday (UTC). */
static int parse_dates(api_req_t *req, analytics_args_t *a)
{
	int64_t today = time_now() / 86400, days[2] = { today - 31, today - 1 };
	static const char *const names[2] = { "start_date", "end_date" };
	int ret = ERR_OK;
	for (int i = 0; i < 2; i++) {
		const char *v = api_query(req, names[i]);
		if (v != NULL && *v != '\0' && !parse_date(v, &days[i])) {
			reply_field_error(req, names[i],
					  "must be a date in ISO 8601 format (YYYY-MM-DD)");
			ret = ERR_INVALID;
		}
	}
	if (ret == ERR_OK && days[1] < days[0]) {
		reply_field_error(req, "end_date", "must not be before start_date");
		ret = ERR_INVALID;
	} else if (ret == ERR_OK && days[1] - days[0] > RANGE_MAX_DAYS) {
		req->message = "The maximum allowed date range is 31 days";
		reply_field_error(req, "end_date", "must be at most 31 days after start_date");
		ret = ERR_INVALID;
	}
	time_iso_date(days[0] * 86400, a->start);
	time_iso_date(days[1] * 86400, a->end);
	return ret;
}

/* A whole number >= min; absent leaves *out as is. */
static int number(api_req_t *req, const char *name, int64_t min, int64_t *out)
{
	const char *v = api_query(req, name);
	if (v == NULL || *v == '\0') {
		return ERR_OK;
	}
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min) {
		reply_field_error(req, name, min > 0 ? "must be a positive integer"
						     : "must be a non-negative integer");
		return ERR_INVALID;
	}
	*out = n;
	return ERR_OK;
}

static int parse_args(api_req_t *req, analytics_args_t *a)
{
	memset(a, 0, sizeof(*a));
	a->page = 1;
	a->per_page = PER_PAGE_DEFAULT;
	int ret = parse_groupings(req, a);
	int r2 = parse_dates(req, a);
	int r3 = number(req, "page", 0, &a->page);
	int r4 = number(req, "per_page", 1, &a->per_page);
	if (ret != ERR_OK || r2 != ERR_OK || r3 != ERR_OK || r4 != ERR_OK) {
		return ERR_INVALID;
	}
	if (a->per_page > PER_PAGE_MAX) {
		a->per_page = PER_PAGE_MAX; /* DNSimple clamps rather than refuses */
	}
	if (a->page > INT64_MAX / PER_PAGE_MAX) {
		a->page = INT64_MAX / PER_PAGE_MAX;
	}
	return api_sort_parse(req, sort_fields, &a->sort);
}

static bool is_grouped(const analytics_args_t *a, const char *field)
{
	for (int i = 0; i < a->group_count; i++) {
		if (strcmp(a->groups[i], field) == 0) {
			return true;
		}
	}
	return false;
}

/* The "query" object: what the answer was computed for. */
static json_t *query_json(api_req_t *req, const analytics_args_t *a)
{
	sbuf_t sort = SBUF_INIT, groups = SBUF_INIT;
	for (int i = 0; i < a->sort.count; i++) {
		sbuf_printf(&sort, "%s%s:%s", i > 0 ? "," : "", a->sort.fields[i],
			    a->sort.is_desc[i] ? "desc" : "asc");
	}
	for (int i = 0; i < a->group_count; i++) {
		sbuf_printf(&groups, "%s%s", i > 0 ? "," : "", a->groups[i]);
	}
	json_t *q = json_pack("{s:I,s:s,s:s,s:s,s:o,s:I,s:I}",
			      "account_id", (json_int_t)req->account.id,
			      "start_date", a->start,
			      "end_date", a->end,
			      "sort", a->sort.count > 0 ? sort.p : DEFAULT_SORT,
			      "groupings", a->group_count > 0 ? json_string(groups.p) : json_null(),
			      "page", (json_int_t)a->page,
			      "per_page", (json_int_t)a->per_page);
	sbuf_clear(&sort);
	sbuf_clear(&groups);
	return q;
}

/* {"headers": [groupings..., "volume"], "rows": [[cells in the same order], ...]} */
static json_t *data_json(const analytics_args_t *a, const store_analytics_row_t *rows, size_t n)
{
	json_t *headers = json_array(), *items = json_array();
	for (int i = 0; i < a->group_count; i++) {
		if (strcmp(a->groups[i], "volume") != 0) {
			json_array_append_new(headers, json_string(a->groups[i]));
		}
	}
	json_array_append_new(headers, json_string("volume"));
	for (size_t r = 0; r < n; r++) {
		json_t *row = json_array();
		for (int i = 0; i < a->group_count; i++) {
			if (strcmp(a->groups[i], "zone_name") == 0) {
				json_array_append_new(row, json_string(rows[r].zone_name));
			} else if (strcmp(a->groups[i], "date") == 0) {
				json_array_append_new(row, json_string(rows[r].date));
			}
		}
		json_array_append_new(row, json_integer((json_int_t)rows[r].volume));
		json_array_append_new(items, row);
	}
	return json_pack("{s:o,s:o}", "headers", headers, "rows", items);
}

/* GET /v2/:account/dns_analytics */
static int analytics_query(api_req_t *req, api_reply_t *rep)
{
	analytics_args_t a;
	int ret = parse_args(req, &a);
	if (ret != ERR_OK) {
		return ret;
	}
	store_filter_t f = { 0 };
	api_role_filter(req, "zones", &f);
	store_analytics_query_t q = {
		.start_date = a.start, .end_date = a.end, .filter = &f,
		.by_zone = is_grouped(&a, "zone_name"), .by_date = is_grouped(&a, "date"),
		.page = { .offset = (a.page > 1 ? a.page - 1 : 0) * a.per_page,
			  .limit = a.per_page },
	};
	for (int i = 0; i < a.sort.count; i++) {
		q.page.sort_fields[q.page.sort_count] = a.sort.fields[i];
		q.page.sort_desc[q.page.sort_count++] = a.sort.is_desc[i];
	}
	store_analytics_row_t *rows = NULL;
	size_t n = 0;
	int64_t total = 0;
	ret = store_analytics_query(req->ctx->store, req->arena, req->account.id, &q, &rows, &n,
				    &total);
	if (ret != ERR_OK) {
		return ret;
	}
	api_page_t page = { .page = a.page, .per_page = a.per_page };
	json_decref(rep->body);
	rep->status = 200;
	rep->body = json_pack("{s:o,s:o,s:o}", "data", data_json(&a, rows, n), "query",
			      query_json(req, &a), "pagination", api_page_json(&page, total));
	return ERR_OK;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/:account/dns_analytics", analytics_query, "zones", SCOPE_READ, 0 },
};
API_RESOURCE(analytics, routes);
