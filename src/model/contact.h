/* contact.h -- registrant contacts: the struct, its JSON shape and its validation. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

typedef struct contact {
	int64_t id;
	int64_t account_id;
	const char *label;
	const char *first_name;
	const char *last_name;
	const char *organization_name;
	const char *job_title;
	const char *address1;
	const char *address2;
	const char *city;
	const char *state_province;
	const char *postal_code;
	const char *country;
	const char *phone;
	const char *fax;
	const char *email;
	int64_t created_at, updated_at;
} contact_t;

/* Longest text a field takes, in characters (UTF-8 code points). */
#define CONTACT_FIELD_MAX 255

/* Receives one field error: field is the API's key, message the text for the 400 body
 * (e.g. "can't be blank"). Both are static strings. */
typedef void (*contact_err_fn)(void *ctx, const char *field, const char *message);

/* The API body, field for field as fixtures/v2/api/getContact. */
json_t *contact_to_json(const contact_t *c);

/* Set every text field to "" and the numbers to 0: a contact before its first merge. */
void contact_init(contact_t *c);

/* Normalize c in place, then validate it, reporting EVERY bad field (a field may get
 * several messages, in the order of fixtures/v2/api/createContact/error-validation-errors).
 * Normalizing: surrounding whitespace is trimmed from every field, the country is upper
 * cased, and a phone or fax written with a leading '+' becomes '+' and its digits
 * (contact_phone_normalize). Normalized strings live in the arena.
 * Rules: first_name, last_name, address1, city, state_province, postal_code, country,
 * phone and email are required (whitespace only is blank); country is an ISO 3166-1
 * alpha-2 code; phone and a non-empty fax are plausible phone numbers; email has the
 * shape local@domain.tld; a non-empty organization_name needs a job_title; no field is
 * longer than CONTACT_FIELD_MAX characters or holds control characters.
 * \return ERR_OK, ERR_INVALID (errors reported through on_err), ERR_TOOBIG (arena) */
int contact_check(contact_t *c, arena_t *a, contact_err_fn on_err, void *ctx);

/* Merge the text fields present in a JSON object into c, then contact_check() the result
 * (PATCH semantics: absent fields keep their value; create starts from contact_init()).
 * A string is copied into the arena; null means "". Any other JSON type is reported as
 * "must be a string" on that field, which gets no further message. Unknown keys and
 * read-only keys (id, account_id, timestamps) are ignored.
 * \param obj  a JSON object, or NULL (nothing to merge)
 * \return ERR_OK, ERR_INVALID after reporting every bad field, ERR_TOOBIG (arena) */
int contact_apply(contact_t *c, const json_t *obj, arena_t *a, contact_err_fn on_err,
		  void *ctx);

/* true for an officially assigned ISO 3166-1 alpha-2 code, upper case ("DE"). */
bool contact_country_is_valid(const char *code);

/* Is text plausibly a phone number, and its stored form.
 * Takes digits, spaces, dots, dashes, one pair of parentheses (not nested) and one '+'
 * that must come first. Written with '+' (international form): 7 to 15 digits
 * (E.164 6.1), not starting with 0, stored as '+' followed by the digits, so
 * "+1 (800) 123-4567" and "+1.8001234567" both become "+18001234567". Without '+' the
 * country code cannot be told apart from a national number, so 7 to 20 digits are
 * accepted and the text is kept as given.
 * \param out  the stored form, in the arena (may be text itself)
 * \return ERR_OK, ERR_INVALID (not a phone number), ERR_TOOBIG (arena) */
int contact_phone_normalize(arena_t *a, const char *text, const char **out);

/* true for local@domain: a dot-atom local part of 1..64 bytes (RFC 5322 3.2.3; no
 * quoted strings), a domain of two or more LDH labels of 1..63 bytes (UTF-8 bytes are
 * taken for IDN), at most 254 bytes in all (RFC 5321 4.5.3.1). */
bool contact_email_is_valid(const char *email);
