/* zone.c -- names of domains and zones, the record rules of the API, JSON shapes. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "model/zone.h"

void zone_field_error(json_t *errors, const char *field, const char *message)
{
	json_t *list = json_object_get(errors, field);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(errors, field, list);
	}
	json_array_append_new(list, json_string(message));
}

const char *zone_name_check(arena_t *a, const char *name, const char **normalized)
{
	if (name == NULL || *name == '\0') {
		return "can't be blank";
	}
	size_t len = strlen(name);
	if (name[len - 1] == '.') {
		len--; /* a trailing dot is the same name */
	}
	if (len > 253) {
		return "is too long (maximum is 253 characters)";
	}
	char *out = arena_strndup(a, name, len);
	if (out == NULL) {
		return "is too long";
	}
	size_t label = 0, labels = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];
		out[i] = (char)tolower(c);
		if (c == '.') {
			if (label == 0) {
				return "is not a valid domain name (empty label)";
			}
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_') {
			return "is not a valid domain name (letters, digits, hyphens and dots only)";
		}
		if (++label > 63) {
			return "is not a valid domain name (a label is longer than 63 characters)";
		}
	}
	if (label == 0) {
		return "is not a valid domain name (empty label)";
	}
	if (labels < 2) {
		return "is not a valid domain name (it needs a dot, like example.com)";
	}
	*normalized = out;
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0 && (ls == lx || s[ls - lx - 1] == '.');
}

bool zone_name_is_reverse(const char *name)
{
	return ends_with(name, "in-addr.arpa") || ends_with(name, "ip6.arpa");
}

/* regions: an array of known region codes; "global" stands alone. */
static const char *read_regions(arena_t *a, const json_t *v, const char *const *allowed,
				json_t *errors)
{
	if (v == NULL || json_is_null(v)) {
		return "global";
	}
	if (!json_is_array(v)) {
		zone_field_error(errors, "regions", "must be an array of region codes");
		return NULL;
	}
	if (json_array_size(v) == 0) {
		return "global"; /* none selected: the record appears everywhere */
	}
	char buf[256] = "";
	size_t n = 0, i;
	json_t *item;
	bool has_global = false;
	json_array_foreach(v, i, item) {
		const char *code = json_string_value(item);
		bool is_known = false;
		for (size_t k = 0; code != NULL && allowed[k] != NULL; k++) {
			is_known |= strcmp(allowed[k], code) == 0;
		}
		if (!is_known) {
			zone_field_error(errors, "regions",
					 arena_printf(a, "%s is not a valid region",
						      code ? code : "(not a string)"));
			return NULL;
		}
		has_global |= strcmp(code, "global") == 0;
		if (strstr(buf, code) == NULL && n + strlen(code) + 2 < sizeof(buf)) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", code);
		}
	}
	if (has_global && json_array_size(v) > 1) {
		zone_field_error(errors, "regions", "global cannot be combined with other regions");
		return NULL;
	}
	return arena_strdup(a, buf);
}

/* A TTL or priority that clients send as a number or a numeric string. */
static bool read_int(const json_t *body, const char *key, int64_t *out, bool *is_present,
		     json_t *errors, const char *msg)
{
	if (json_get_int_lenient(body, key, out, is_present)) {
		return true;
	}
	if (*is_present) {
		zone_field_error(errors, key, msg);
	}
	return false;
}

static const char *field_name(const char *rr_field)
{
	/* The API names the type field record_type in its errors (content/v2.md). */
	return strcmp(rr_field, "type") == 0 ? "record_type" : rr_field;
}

int record_from_json(arena_t *a, const zone_t *zone, const json_t *body, bool is_update,
		     const record_t *existing, const char *const *allowed_regions, record_t *out,
		     json_t *errors)
{
	if (existing != NULL) {
		*out = *existing;
	} else {
		memset(out, 0, sizeof(*out));
		out->ttl = RECORD_TTL_DEFAULT;
		out->regions = "global";
	}
	out->zone_id = zone->id;
	out->zone_name = zone->name;
	size_t before = json_object_size(errors);

	json_t *jname = json_object_get(body, "name");
	if (jname != NULL && !json_is_null(jname)) {
		if (!json_is_string(jname)) {
			zone_field_error(errors, "name", "must be a string");
		} else {
			out->name = json_string_value(jname);
		}
	} else if (!is_update) {
		out->name = ""; /* DNSimple takes a missing name as the apex */
	}
	if (!is_update) {
		const char *type = json_string_value(json_object_get(body, "type"));
		if (type == NULL) {
			zone_field_error(errors, "record_type", "can't be blank");
		} else if ((out->type = rrtype_find(type)) == NULL) {
			zone_field_error(errors, "record_type", "unsupported");
		} else if (out->type->flags & RR_SYSTEM) {
			zone_field_error(errors, "record_type",
					 "SOA records are managed by the system");
		}
	}
	json_t *jcontent = json_object_get(body, "content");
	if (jcontent != NULL && !json_is_null(jcontent)) {
		if (!json_is_string(jcontent)) {
			zone_field_error(errors, "content", "must be a string");
		} else {
			out->content = json_string_value(jcontent);
		}
	} else if (!is_update) {
		zone_field_error(errors, "content", "can't be blank");
	}
	int64_t v = 0;
	bool is_present = false;
	if (read_int(body, "ttl", &v, &is_present, errors, "is not a number")) {
		if (v < RECORD_TTL_MIN || v > RECORD_TTL_MAX) {
			zone_field_error(errors, "ttl",
					 arena_printf(a, "must be between %d and %d", RECORD_TTL_MIN,
						      RECORD_TTL_MAX));
		} else {
			out->ttl = (uint32_t)v;
		}
	}
	bool has_priority = false;
	int64_t priority = 0;
	if (read_int(body, "priority", &v, &is_present, errors, "is not a number")) {
		has_priority = true;
		priority = v;
	}
	if (json_object_get(body, "regions") != NULL || !is_update) {
		const char *regions = read_regions(a, json_object_get(body, "regions"),
						   allowed_regions, errors);
		if (regions != NULL) {
			out->regions = regions;
		}
	}
	if (json_object_size(errors) != before || out->type == NULL) {
		return ERR_INVALID;
	}
	if (out->type->flags & RR_PRIO_FIELD) {
		if (!has_priority) {
			/* kept on update; 0 on create, the schema's default */
			priority = existing != NULL && existing->has_priority ? existing->priority : 0;
			has_priority = true;
		}
	} else if (has_priority && priority != 0) {
		zone_field_error(errors, "priority",
				 arena_printf(a, "is not used by %s records", out->type->name));
		return ERR_INVALID;
	} else {
		has_priority = false;
	}
	rr_input_t in = { .origin = zone->name, .name = out->name, .type = out->type,
			  .content = out->content, .has_priority = has_priority,
			  .priority = priority };
	rr_parsed_t parsed;
	rr_error_t err = { 0 };
	if (rr_parse(a, &in, &parsed, &err) != ERR_OK) {
		zone_field_error(errors, field_name(err.field ? err.field : "content"),
				 err.message ? err.message : "is invalid");
		return ERR_INVALID;
	}
	/* The stored name is relative and lowercase; "@" is the apex. */
	if (strcmp(out->name, "@") == 0) {
		out->name = "";
	}
	char *lname = arena_strdup(a, out->name);
	for (char *p = lname; p != NULL && *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
	out->name = lname;
	bool is_apex = *out->name == '\0';
	if (is_apex && out->type->code == 2 /* NS */ && !out->is_system) {
		zone_field_error(errors, "record_type",
				 "the apex NS records are system records; change them with the "
				 "zone's ns_records");
		return ERR_INVALID;
	}
	out->content = parsed.content;
	out->rdata = parsed.rdata;
	out->rdata_size = parsed.rdata_size;
	out->has_priority = parsed.has_priority;
	out->priority = parsed.priority;
	return ERR_OK;
}

/* The API shapes of domains, zones and records: one field list each, written with
 * core/jsonw (list bodies are written straight from rows); the *_to_json() trees are the
 * same text parsed, for the single-object replies and webhook payloads. Field order is
 * the fixtures' (fixtures/v2/api/getDomain, getZone, getZoneRecord). */
void domain_json_write(jsonw_t *w, const domain_t *d)
{
	jsonw_obj_open(w);
	jsonw_key_int(w, "id", d->id);
	jsonw_key_int(w, "account_id", d->account_id);
	jsonw_key_id(w, "registrant_id", d->registrant_id);
	jsonw_key_str(w, "name", d->name);
	jsonw_key_str(w, "unicode_name", d->unicode_name);
	jsonw_key_str(w, "state", d->state);
	jsonw_key_bool(w, "auto_renew", d->auto_renew);
	jsonw_key_bool(w, "private_whois", d->private_whois);
	jsonw_key_bool(w, "trustee", d->trustee);
	jsonw_key(w, "expires_on");
	if (d->expires_at != 0) {
		char date[11];
		time_iso_date(d->expires_at, date);
		jsonw_str(w, date);
	} else {
		jsonw_null(w);
	}
	jsonw_key_time(w, "expires_at", d->expires_at);
	jsonw_key_time(w, "created_at", d->created_at);
	jsonw_key_time(w, "updated_at", d->updated_at);
	jsonw_obj_close(w);
}

void zone_json_write(jsonw_t *w, const zone_t *z)
{
	jsonw_obj_open(w);
	jsonw_key_int(w, "id", z->id);
	jsonw_key_int(w, "account_id", z->account_id);
	jsonw_key_str(w, "name", z->name);
	jsonw_key_bool(w, "reverse", z->is_reverse);
	jsonw_key_bool(w, "secondary", z->is_secondary);
	jsonw_key_time(w, "last_transferred_at", z->last_transferred_at);
	jsonw_key_bool(w, "active", z->is_active);
	jsonw_key_time(w, "created_at", z->created_at);
	jsonw_key_time(w, "updated_at", z->updated_at);
	jsonw_obj_close(w);
}

void record_json_write(jsonw_t *w, const record_t *r)
{
	jsonw_obj_open(w);
	jsonw_key_int(w, "id", r->id);
	jsonw_key_str(w, "zone_id", r->zone_name);
	jsonw_key_id(w, "parent_id", r->parent_id);
	jsonw_key_str(w, "name", r->name);
	jsonw_key_str(w, "content", r->content);
	jsonw_key_int(w, "ttl", r->ttl);
	jsonw_key(w, "priority");
	if (r->has_priority) {
		jsonw_int(w, r->priority);
	} else {
		jsonw_null(w);
	}
	jsonw_key_str(w, "type", r->type->name);
	jsonw_key(w, "regions");
	jsonw_arr_open(w);
	const char *p = r->regions != NULL && *r->regions ? r->regions : "global";
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		jsonw_strn(w, p, n);
		p += n + (p[n] == ',');
	}
	jsonw_arr_close(w);
	jsonw_key_bool(w, "system_record", r->is_system);
	jsonw_key_time(w, "created_at", r->created_at);
	jsonw_key_time(w, "updated_at", r->updated_at);
	jsonw_obj_close(w);
}

json_t *domain_to_json(const domain_t *d)
{
	jsonw_t w;
	jsonw_init(&w, 512);
	domain_json_write(&w, d);
	return jsonw_tree(&w);
}

json_t *zone_to_json(const zone_t *z)
{
	jsonw_t w;
	jsonw_init(&w, 512);
	zone_json_write(&w, z);
	return jsonw_tree(&w);
}

json_t *record_to_json(const record_t *r)
{
	jsonw_t w;
	jsonw_init(&w, 512);
	record_json_write(&w, r);
	return jsonw_tree(&w);
}

static int system_record(arena_t *a, const zone_t *z, const char *type, const char *content,
			 uint32_t ttl, record_t *out)
{
	memset(out, 0, sizeof(*out));
	out->type = rrtype_find(type);
	rr_input_t in = { .origin = z->name, .name = "", .type = out->type, .content = content };
	rr_parsed_t parsed;
	rr_error_t err = { 0 };
	int ret = rr_parse(a, &in, &parsed, &err);
	if (ret != ERR_OK) {
		return ret;
	}
	out->zone_name = z->name;
	out->name = "";
	out->content = parsed.content;
	out->rdata = parsed.rdata;
	out->rdata_size = parsed.rdata_size;
	out->ttl = ttl;
	out->regions = "global";
	out->is_system = true;
	return ERR_OK;
}

int zone_system_records(arena_t *a, const zone_t *z, const char *name_servers,
			const char *rname, uint32_t ttl, record_t **out, size_t *count)
{
	size_t n = 1;
	for (const char *p = name_servers; *p != '\0'; p++) {
		n += *p == ',';
	}
	record_t *rs = arena_alloc_array(a, n + 1, sizeof(record_t));
	if (rs == NULL) {
		return ERR_NOMEM;
	}
	size_t k = 0;
	const char *first = NULL;
	for (const char *p = name_servers; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			const char *ns = arena_strndup(a, p, len);
			first = first != NULL ? first : ns;
			int ret = system_record(a, z, "NS", ns, ttl, &rs[1 + k]);
			if (ret != ERR_OK) {
				return ret;
			}
			k++;
		}
		p += len + (p[len] == ',');
	}
	if (first == NULL) {
		return ERR_INVALID;
	}
	/* RFC 1912 2.2 timers, as DNSimple's zones have them; serial set by the store. */
	const char *soa = arena_printf(a, "%s %s %u 86400 7200 604800 300", first, rname, z->serial);
	int ret = system_record(a, z, "SOA", soa, ttl, &rs[0]);
	*out = rs;
	*count = k + 1;
	return ret;
}

int zone_ns_records(arena_t *a, const zone_t *z, const json_t *names, uint32_t ttl,
		    record_t **out, size_t *count, json_t *errors)
{
	if (!json_is_array(names) || json_array_size(names) == 0) {
		zone_field_error(errors, "ns_names", "must be a non-empty array of name server names");
		return ERR_INVALID;
	}
	record_t *rs = arena_alloc_array(a, json_array_size(names), sizeof(record_t));
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v) {
		const char *ns = json_string_value(v);
		const char *norm = NULL;
		if (ns == NULL || zone_name_check(a, ns, &norm) != NULL ||
		    system_record(a, z, "NS", norm, ttl, &rs[i]) != ERR_OK) {
			zone_field_error(errors, "ns_names",
					 arena_printf(a, "%s is not a valid name server name",
						      ns ? ns : "(not a string)"));
			return ERR_INVALID;
		}
	}
	*out = rs;
	*count = json_array_size(names);
	return ERR_OK;
}
