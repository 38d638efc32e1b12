/* zone.h -- domains, zones and records: structs, JSON shapes, names and record rules. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/jsonw.h"
#include "dns/wire/rr.h"

typedef struct domain {
	int64_t id;
	int64_t account_id;
	int64_t registrant_id;  /* 0 = none */
	const char *name;
	const char *unicode_name;
	const char *state;      /* "hosted", "registered", "expired" */
	bool auto_renew;
	bool private_whois;
	bool trustee;
	int64_t expires_at;     /* 0 = none */
	int64_t created_at, updated_at;
} domain_t;

typedef struct zone {
	int64_t id;
	int64_t account_id;
	int64_t domain_id;      /* 0 for a reverse zone without a domain */
	const char *name;
	bool is_reverse;
	bool is_secondary;
	bool is_active;
	uint32_t serial;
	int64_t last_transferred_at; /* 0 = never */
	int64_t created_at, updated_at;
} zone_t;

#define RECORD_MAX_REGIONS 8

typedef struct record {
	int64_t id;
	int64_t zone_id;
	const char *zone_name;
	const char *name;       /* relative, "" for the apex */
	const rrtype_t *type;
	const char *content;    /* normalized */
	const uint8_t *rdata;   /* canonical wire form; NULL for pseudo-types */
	uint16_t rdata_size;
	uint32_t ttl;
	bool has_priority;
	int64_t priority;
	const char *regions;    /* comma-separated, "global" by default */
	bool is_system;
	int64_t parent_id;      /* 0 = none */
	int64_t created_at, updated_at;
} record_t;

/* Limits on a record's TTL, in seconds. */
#define RECORD_TTL_MIN 60
#define RECORD_TTL_MAX 2592000 /* 30 days */
#define RECORD_TTL_DEFAULT 3600

/* Field errors go to a JSON object {"field": ["message", ...]}. */
void zone_field_error(json_t *errors, const char *field, const char *message);

/* A domain or zone name: lowercase it and check it (labels, length, a dot). The result
 * lives in the arena. NULL message when it is fine. */
const char *zone_name_check(arena_t *a, const char *name, const char **normalized);
/* true for names under in-addr.arpa or ip6.arpa. */
bool zone_name_is_reverse(const char *name);

/* Build a record from an API body (create: is_update false; update: the fields present
 * change existing). zone supplies the origin; regions are checked against allowed
 * (NULL-terminated). Every bad field is added to errors; returns ERR_INVALID then. */
int record_from_json(arena_t *a, const zone_t *zone, const json_t *body, bool is_update,
		     const record_t *existing, const char *const *allowed_regions, record_t *out,
		     json_t *errors);

/* The system records of a new zone: SOA (mname = the first name server) and the apex NS
 * set. name_servers is comma-separated. Records live in the arena. */
int zone_system_records(arena_t *a, const zone_t *z, const char *name_servers,
			const char *rname, uint32_t ttl, record_t **out, size_t *count);
/* Apex NS records for names (an array of strings); field errors go to errors. */
int zone_ns_records(arena_t *a, const zone_t *z, const json_t *names, uint32_t ttl,
		    record_t **out, size_t *count, json_t *errors);

/* The API objects (getDomain, getZone, getZoneRecord shapes): written into w as one
 * value, the single place their fields are listed. */
void domain_json_write(jsonw_t *w, const domain_t *d);
void zone_json_write(jsonw_t *w, const zone_t *z);
void record_json_write(jsonw_t *w, const record_t *r);
/* The same objects as jansson trees (the written text, parsed); free with json_decref(). */
json_t *domain_to_json(const domain_t *d);
json_t *zone_to_json(const zone_t *z);
json_t *record_to_json(const record_t *r);
