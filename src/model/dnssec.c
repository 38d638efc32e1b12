/* dnssec.c -- DNSSEC state and DS records: the signing policy settings, JSON shapes and the
 * validation of createDomainDelegationSignerRecord.
 *
 * DESIGN: the DS body's fields are a table (JSON key, place in ds_record_t, its check), as
 * contact.c does, so every bad field is reported at once with DNSimple's messages.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "model/dnssec.h"

static const char MSG_BLANK[] = "can't be blank";
static const char MSG_INVALID[] = "is invalid";

/* ------------------------------------------------------------------ policy */

static const struct {
	const char *name;
	uint8_t algorithm;
} algorithms[] = {
	{ "ecdsap256sha256", 13 }, { "13", 13 }, { "ed25519", 15 }, { "15", 15 },
};

static const char *const layouts[] = { [ZONE_KEYS_CSK] = "csk", [ZONE_KEYS_KSK_ZSK] = "ksk-zsk" };

int zone_dnssec_policy_parse(const char *algorithm, const char *layout,
			     zone_dnssec_policy_t *out, const char **bad)
{
	*bad = NULL;
	out->algorithm = 0;
	for (size_t i = 0; algorithm != NULL && i < sizeof(algorithms) / sizeof(algorithms[0]);
	     i++) {
		if (strcasecmp(algorithm, algorithms[i].name) == 0) {
			out->algorithm = algorithms[i].algorithm;
		}
	}
	if (out->algorithm == 0) {
		*bad = "dnssec-algorithm";
		return ERR_INVALID;
	}
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (layout != NULL && strcasecmp(layout, layouts[i]) == 0) {
			out->layout = (zone_key_layout_t)i;
			return ERR_OK;
		}
	}
	*bad = "dnssec-key-layout";
	return ERR_INVALID;
}

const char *zone_key_layout_name(zone_key_layout_t layout)
{
	return layout == ZONE_KEYS_KSK_ZSK ? layouts[ZONE_KEYS_KSK_ZSK] : layouts[ZONE_KEYS_CSK];
}

json_t *zone_dnssec_to_json(const zone_dnssec_t *d)
{
	return json_pack("{s:b, s:b, s:o, s:o}", "enabled", d->is_enabled, "active", d->is_enabled,
			 "created_at", json_timestamp(d->created_at), "updated_at",
			 json_timestamp(d->updated_at));
}

bool zone_key_is_sep(const zone_key_t *k)
{
	return (k->flags & 1) != 0; /* RFC 4034 2.1.1: the SEP bit */
}

/* ------------------------------------------------------------------ DS records */

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *ds_record_to_json(const ds_record_t *r)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id,
			 "domain_id", (json_int_t)r->domain_id,
			 "algorithm", str_or_null(r->algorithm),
			 "digest", str_or_null(r->digest),
			 "digest_type", str_or_null(r->digest_type),
			 "keytag", str_or_null(r->keytag),
			 "public_key", str_or_null(r->public_key),
			 "created_at", json_timestamp(r->created_at),
			 "updated_at", json_timestamp(r->updated_at));
}

/* A field's text: a trimmed string, or a JSON integer as decimal; NULL when absent,
 * null or blank. *is_bad when it is another JSON type. */
static const char *field_text(const json_t *body, const char *key, arena_t *a, bool *is_bad)
{
	const json_t *v = json_object_get(body, key);
	*is_bad = false;
	if (json_is_integer(v)) {
		return arena_printf(a, "%lld", (long long)json_integer_value(v));
	}
	if (v == NULL || json_is_null(v)) {
		return NULL;
	}
	if (!json_is_string(v)) {
		*is_bad = true;
		return NULL;
	}
	const char *s = json_string_value(v);
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1])) {
		len--;
	}
	return len > 0 ? arena_strndup(a, s, len) : NULL;
}

/* A decimal in 0..max without sign or leading zeros beyond one digit; normalized. */
static bool number_check(arena_t *a, const char **v, long max)
{
	const char *s = *v;
	size_t len = strlen(s);
	if (len == 0 || len > 5) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return false;
		}
	}
	long n = strtol(s, NULL, 10);
	if (n > max) {
		return false;
	}
	*v = arena_printf(a, "%ld", n);
	return true;
}

static bool check_u8(arena_t *a, const char **v, const ds_record_t *r)
{
	return number_check(a, v, 255);
}

static bool check_keytag(arena_t *a, const char **v, const ds_record_t *r)
{
	return number_check(a, v, 65535);
}

/* Hex; for the digest types we know, exactly their size (RFC 3658, 4509, 6605). */
static bool check_digest(arena_t *a, const char **v, const ds_record_t *r)
{
	const char *s = *v;
	size_t len = strlen(s);
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	long type = r->digest_type != NULL ? strtol(r->digest_type, NULL, 10) : -1;
	size_t want = type == 1 ? 40 : type == 2 ? 64 : type == 4 ? 96 : 0;
	return len % 2 == 0 && len <= 512 && (want == 0 || len == want);
}

static bool check_base64(arena_t *a, const char **v, const ds_record_t *r)
{
	const char *s = *v;
	size_t len = 0, pad = 0;
	for (; s[len] != '\0'; len++) {
		char c = s[len];
		bool is_b64 = isalnum((unsigned char)c) || c == '+' || c == '/';
		if (c == '=' ? ++pad > 2 : (!is_b64 || pad > 0)) {
			return false;
		}
	}
	return len > 0 && len % 4 == 0 && len <= 8192;
}

enum { F_DS_DATA = 1 << 0, F_ALWAYS = 1 << 1 };

typedef struct ds_field {
	const char *name;
	size_t offset;
	unsigned flags;
	bool (*check)(arena_t *a, const char **v, const ds_record_t *r);
} ds_field_t;

#define DS_FIELD(n, flags, check) { #n, offsetof(ds_record_t, n), flags, check }

/* In the order of the fixture's errors; digest_type before digest is read so that the
 * digest's length can be checked against its type: see ds_record_from_json(). */
static const ds_field_t ds_fields[] = {
	DS_FIELD(algorithm,   F_ALWAYS,  check_u8),
	DS_FIELD(digest,      F_DS_DATA, check_digest),
	DS_FIELD(digest_type, F_DS_DATA, check_u8),
	DS_FIELD(keytag,      F_DS_DATA, check_keytag),
	DS_FIELD(public_key,  0,         check_base64),
};
#define DS_FIELD_COUNT (sizeof(ds_fields) / sizeof(ds_fields[0]))

static const char **ds_slot(ds_record_t *r, const ds_field_t *f)
{
	return (const char **)((char *)r + f->offset);
}

int ds_record_from_json(ds_record_t *r, const json_t *body, arena_t *a, ds_err_fn on_err,
			void *ctx)
{
	memset(r, 0, sizeof(*r));
	bool is_bad[DS_FIELD_COUNT];
	for (size_t i = 0; i < DS_FIELD_COUNT; i++) {
		*ds_slot(r, &ds_fields[i]) = field_text(body, ds_fields[i].name, a, &is_bad[i]);
	}
	int ret = ERR_OK;
	bool has_key = r->public_key != NULL;
	for (size_t i = 0; i < DS_FIELD_COUNT; i++) {
		const ds_field_t *f = &ds_fields[i];
		const char **v = ds_slot(r, f);
		const char *msg = NULL;
		if (is_bad[i]) {
			msg = MSG_INVALID;
		} else if (*v == NULL) {
			bool is_required = (f->flags & F_ALWAYS) ||
					   ((f->flags & F_DS_DATA) && !has_key);
			msg = is_required ? MSG_BLANK : NULL;
		} else if (!f->check(a, v, r)) {
			msg = MSG_INVALID;
		}
		if (msg != NULL) {
			on_err(ctx, f->name, msg);
			ret = ERR_INVALID;
		}
	}
	return ret;
}
