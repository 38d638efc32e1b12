/* contact.c -- registrant contacts: JSON mapping, normalization and validation.
 *
 * DESIGN: one table row per text field (its JSON key, its place in contact_t, whether it
 * is required and which shape check it gets) drives the JSON output, the merge of a
 * request body and the validation, so a new field is one row. Validation never stops at
 * the first problem: every bad field is reported, with DNSimple's messages
 * (content/v2.md, "Validation failed").
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "model/contact.h"

static const char MSG_BLANK[] = "can't be blank";
static const char MSG_STRING[] = "must be a string";
static const char MSG_TOO_LONG[] = "is too long (maximum is 255 characters)";
static const char MSG_CONTROL[] = "contains control characters";

/* The fields' checks: each reports its own messages and may replace the value. */
typedef int (*check_fn)(arena_t *a, const char **value, const char *field,
			contact_err_fn on_err, void *ctx);

static int check_country(arena_t *a, const char **value, const char *field,
			 contact_err_fn on_err, void *ctx);
static int check_phone(arena_t *a, const char **value, const char *field,
		       contact_err_fn on_err, void *ctx);
static int check_fax(arena_t *a, const char **value, const char *field, contact_err_fn on_err,
		     void *ctx);
static int check_email(arena_t *a, const char **value, const char *field,
		       contact_err_fn on_err, void *ctx);

enum {
	F_REQUIRED = 1 << 0,
	F_CHECK_BLANK = 1 << 1, /* run the shape check on a blank value too (as DNSimple does) */
};

typedef struct field {
	const char *name;
	size_t offset;
	unsigned flags;
	check_fn check;
} field_t;

#define FIELD(n, flags, check) { #n, offsetof(contact_t, n), flags, check }

/* In the order of the fixtures' JSON. */
static const field_t fields[] = {
	FIELD(label,             0,                          NULL),
	FIELD(first_name,        F_REQUIRED,                 NULL),
	FIELD(last_name,         F_REQUIRED,                 NULL),
	FIELD(job_title,         0,                          NULL),
	FIELD(organization_name, 0,                          NULL),
	FIELD(email,             F_REQUIRED | F_CHECK_BLANK, check_email),
	FIELD(phone,             F_REQUIRED | F_CHECK_BLANK, check_phone),
	FIELD(fax,               0,                          check_fax),
	FIELD(address1,          F_REQUIRED,                 NULL),
	FIELD(address2,          0,                          NULL),
	FIELD(city,              F_REQUIRED,                 NULL),
	FIELD(state_province,    F_REQUIRED,                 NULL),
	FIELD(postal_code,       F_REQUIRED,                 NULL),
	FIELD(country,           F_REQUIRED,                 check_country),
};
#define FIELD_COUNT (sizeof(fields) / sizeof(fields[0]))
#define JOB_TITLE 3 /* fields[JOB_TITLE] */

static const char **slot(contact_t *c, const field_t *f)
{
	return (const char **)((char *)c + f->offset);
}

static const char *value(const contact_t *c, const field_t *f)
{
	const char *v = *(const char *const *)((const char *)c + f->offset);
	return v != NULL ? v : "";
}

/* ISO 3166-1 alpha-2, officially assigned codes (249), sorted: from Debian's iso-codes
 * 4.15 (/usr/share/iso-codes/json/iso_3166-1.json). */
static const char countries[][3] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
	"AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
	"BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
	"CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
	"DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
	"GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
	"GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
	"IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
	"KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
	"LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
	"MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
	"NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
	"PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
	"SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
	"SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
	"TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
	"VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static int cmp_code(const void *key, const void *elem)
{
	return strncmp(key, elem, 2);
}

bool contact_country_is_valid(const char *code)
{
	if (code == NULL || strlen(code) != 2) {
		return false;
	}
	return bsearch(code, countries, sizeof(countries) / sizeof(countries[0]),
		       sizeof(countries[0]), cmp_code) != NULL;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

int contact_phone_normalize(arena_t *a, const char *text, const char **out)
{
	size_t digits = 0;
	int depth = 0;
	bool has_plus = text[0] == '+';
	for (const char *p = text + (has_plus ? 1 : 0); *p != '\0'; p++) {
		if (is_digit(*p)) {
			digits++;
		} else if (*p == '(') {
			if (++depth > 1) {
				return ERR_INVALID;
			}
		} else if (*p == ')') {
			if (--depth < 0) {
				return ERR_INVALID;
			}
		} else if (*p != ' ' && *p != '.' && *p != '-') {
			return ERR_INVALID;
		}
	}
	if (depth != 0) {
		return ERR_INVALID;
	}
	if (!has_plus) {
		*out = text;
		return digits >= 7 && digits <= 20 ? ERR_OK : ERR_INVALID;
	}
	if (digits < 7 || digits > 15) { /* ITU-T E.164 6.1: at most 15 digits */
		return ERR_INVALID;
	}
	char *e = arena_alloc(a, digits + 2);
	if (e == NULL) {
		return ERR_TOOBIG;
	}
	size_t n = 0;
	e[n++] = '+';
	for (const char *p = text; *p != '\0'; p++) {
		if (is_digit(*p)) {
			e[n++] = *p;
		}
	}
	e[n] = '\0';
	if (e[1] == '0') { /* no country code starts with 0 */
		return ERR_INVALID;
	}
	*out = e;
	return ERR_OK;
}

static bool is_atext(unsigned char ch)
{
	/* RFC 5322 3.2.3 atext; bytes of UTF-8 sequences for RFC 6531 addresses. */
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit((char)ch) ||
	       ch >= 0x80 || (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

static bool is_ldh(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit((char)ch) ||
	       ch == '-' || ch >= 0x80;
}

/* A dot-atom: atext runs joined by single dots. */
static bool is_dot_atom(const char *p, size_t len)
{
	if (len == 0 || p[0] == '.' || p[len - 1] == '.') {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '.' ? p[i + 1] == '.' : !is_atext((unsigned char)p[i])) {
			return false;
		}
	}
	return true;
}

static bool is_domain(const char *p, size_t len)
{
	size_t labels = 0;
	while (len > 0) {
		const char *dot = memchr(p, '.', len);
		size_t n = dot != NULL ? (size_t)(dot - p) : len;
		if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-') {
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			if (!is_ldh((unsigned char)p[i])) {
				return false;
			}
		}
		labels++;
		if (dot == NULL) {
			break;
		}
		p += n + 1;
		len -= n + 1;
		if (len == 0) {
			return false; /* a trailing dot */
		}
	}
	return labels >= 2;
}

bool contact_email_is_valid(const char *email)
{
	size_t len = email != NULL ? strlen(email) : 0;
	const char *at = len > 0 ? strchr(email, '@') : NULL;
	if (at == NULL || len > 254 || strchr(at + 1, '@') != NULL) {
		return false;
	}
	size_t local = (size_t)(at - email);
	return local <= 64 && is_dot_atom(email, local) && is_domain(at + 1, len - local - 1);
}

static size_t utf8_chars(const char *v)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		chars += (*p & 0xc0) != 0x80; /* count the lead bytes of UTF-8 sequences */
	}
	return chars;
}

static int check_country(arena_t *a, const char **value, const char *field,
			 contact_err_fn on_err, void *ctx)
{
	const char *v = *value;
	if (utf8_chars(v) != 2) {
		on_err(ctx, field, "is the wrong length (should be 2 characters)");
	}
	char up[3] = { 0 };
	for (size_t i = 0; strlen(v) == 2 && i < 2; i++) {
		up[i] = v[i] >= 'a' && v[i] <= 'z' ? (char)(v[i] - 'a' + 'A') : v[i];
	}
	if (!contact_country_is_valid(up)) {
		on_err(ctx, field, "is not a valid country");
		return ERR_INVALID;
	}
	if (strcmp(up, v) != 0) { /* the contract wants upper case; "de" means "DE" */
		*value = arena_strdup(a, up);
	}
	return *value != NULL ? ERR_OK : ERR_TOOBIG;
}

static int check_number(arena_t *a, const char **value, const char *field,
			contact_err_fn on_err, void *ctx, const char *msg)
{
	int ret = contact_phone_normalize(a, *value, value);
	if (ret == ERR_INVALID) {
		on_err(ctx, field, msg);
	}
	return ret;
}

static int check_phone(arena_t *a, const char **value, const char *field,
		       contact_err_fn on_err, void *ctx)
{
	return check_number(a, value, field, on_err, ctx, "is probably not a phone number");
}

static int check_fax(arena_t *a, const char **value, const char *field, contact_err_fn on_err,
		     void *ctx)
{
	return check_number(a, value, field, on_err, ctx, "is probably not a fax number");
}

static int check_email(arena_t *a, const char **value, const char *field,
		       contact_err_fn on_err, void *ctx)
{
	if (!contact_email_is_valid(*value)) {
		on_err(ctx, field, "is an invalid email address");
		return ERR_INVALID;
	}
	return ERR_OK;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The value without surrounding whitespace, in the arena when it changed. */
static const char *trim(arena_t *a, const char *v)
{
	size_t len = strlen(v);
	size_t start = 0;
	while (start < len && is_space(v[start])) {
		start++;
	}
	while (len > start && is_space(v[len - 1])) {
		len--;
	}
	if (start == 0 && v[len] == '\0') {
		return v;
	}
	return arena_strndup(a, v + start, len - start);
}

/* Rules every text field shares: its length in characters and no control characters. */
static int check_text(const char *v, const char *field, contact_err_fn on_err, void *ctx)
{
	bool has_control = false;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		has_control |= *p < 0x20 || *p == 0x7f;
	}
	int ret = ERR_OK;
	if (utf8_chars(v) > CONTACT_FIELD_MAX) {
		on_err(ctx, field, MSG_TOO_LONG);
		ret = ERR_INVALID;
	}
	if (has_control) {
		on_err(ctx, field, MSG_CONTROL);
		ret = ERR_INVALID;
	}
	return ret;
}

static int check_field(contact_t *c, const field_t *f, arena_t *a, contact_err_fn on_err,
		       void *ctx)
{
	const char **v = slot(c, f);
	*v = trim(a, value(c, f));
	if (*v == NULL) {
		return ERR_TOOBIG;
	}
	bool is_blank = (*v)[0] == '\0';
	if (is_blank && !(f->flags & F_REQUIRED)) {
		return ERR_OK;
	}
	int ret = ERR_OK;
	if (is_blank) {
		on_err(ctx, f->name, MSG_BLANK);
		ret = ERR_INVALID;
	}
	if (check_text(*v, f->name, on_err, ctx) != ERR_OK) {
		return ERR_INVALID; /* a shape check would only repeat the problem */
	}
	if (f->check != NULL && (!is_blank || (f->flags & F_CHECK_BLANK))) {
		int r = f->check(a, v, f->name, on_err, ctx);
		ret = r == ERR_TOOBIG ? r : (ret != ERR_OK ? ret : r);
	}
	return ret;
}

/* Validate every field but those in skip (already reported by the merge). */
static int check_all(contact_t *c, arena_t *a, contact_err_fn on_err, void *ctx,
		     const bool *skip)
{
	assert(fields[JOB_TITLE].offset == offsetof(contact_t, job_title));
	int ret = ERR_OK;
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		int r = skip[i] ? ERR_INVALID : check_field(c, &fields[i], a, on_err, ctx);
		if (r == ERR_TOOBIG) {
			return r;
		}
		if (r != ERR_OK) {
			ret = r;
		}
	}
	/* content/v2/contacts.md: an organization_name needs a job_title. */
	if (c->organization_name[0] != '\0' && c->job_title[0] == '\0' && !skip[JOB_TITLE]) {
		on_err(ctx, "job_title", MSG_BLANK);
		ret = ERR_INVALID;
	}
	return ret;
}

int contact_check(contact_t *c, arena_t *a, contact_err_fn on_err, void *ctx)
{
	bool skip[FIELD_COUNT] = { false };
	return check_all(c, a, on_err, ctx, skip);
}

void contact_init(contact_t *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		*slot(c, &fields[i]) = "";
	}
}

/* Merge the body's text fields; a field of the wrong JSON type is reported and marked. */
static int merge(contact_t *c, const json_t *obj, arena_t *a, contact_err_fn on_err, void *ctx,
		 bool *bad)
{
	for (size_t i = 0; obj != NULL && i < FIELD_COUNT; i++) {
		const field_t *f = &fields[i];
		json_t *v = json_object_get(obj, f->name);
		if (v == NULL) {
			continue;
		}
		if (json_is_null(v)) {
			*slot(c, f) = "";
		} else if (json_is_string(v)) {
			const char *s = arena_strdup(a, json_string_value(v));
			if (s == NULL) {
				return ERR_TOOBIG;
			}
			*slot(c, f) = s;
		} else {
			on_err(ctx, f->name, MSG_STRING);
			bad[i] = true;
		}
	}
	return ERR_OK;
}

int contact_apply(contact_t *c, const json_t *obj, arena_t *a, contact_err_fn on_err,
		  void *ctx)
{
	bool bad[FIELD_COUNT] = { false };
	int ret = merge(c, obj, a, on_err, ctx, bad);
	return ret != ERR_OK ? ret : check_all(c, a, on_err, ctx, bad);
}

json_t *contact_to_json(const contact_t *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "account_id", json_integer(c->account_id));
	for (size_t i = 0; i < FIELD_COUNT; i++) {
		json_object_set_new(o, fields[i].name, json_string(value(c, &fields[i])));
	}
	json_object_set_new(o, "created_at", json_timestamp(c->created_at));
	json_object_set_new(o, "updated_at", json_timestamp(c->updated_at));
	return o;
}
