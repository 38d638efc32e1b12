/* test_contact.c -- contacts: validation, normalization, the JSON merge and shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "model/contact.h"

/* Field errors as "field: message" lines, in the order reported. */
typedef struct {
	char text[4096];
	int count;
} errs_t;

static void on_err(void *ctx, const char *field, const char *message)
{
	errs_t *e = ctx;
	size_t used = strlen(e->text);
	snprintf(e->text + used, sizeof(e->text) - used, "%s: %s\n", field, message);
	e->count++;
}

/* The createContact example of content/v2/contacts.md. */
static void valid_contact(contact_t *c)
{
	contact_init(c);
	c->label = "Default";
	c->first_name = "First";
	c->last_name = "User";
	c->job_title = "CEO";
	c->organization_name = "Awesome Company";
	c->email = "first@example.com";
	c->phone = "+18001234567";
	c->fax = "+18011234567";
	c->address1 = "Italian Street, 10";
	c->city = "Roma";
	c->state_province = "RM";
	c->postal_code = "00100";
	c->country = "IT";
}

static int check(contact_t *c, arena_t *a, errs_t *e)
{
	memset(e, 0, sizeof(*e));
	return contact_check(c, a, on_err, e);
}

static void test_valid(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	valid_contact(&c);
	assert_int_equal(check(&c, &a, &e), ERR_OK);
	assert_int_equal(e.count, 0);
	assert_string_equal(c.phone, "+18001234567");
	assert_string_equal(c.country, "IT");
	arena_clear(&a);
}

/* fixtures/v2/api/createContact/error-validation-errors.http: every required field. */
static void test_all_blank(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	contact_init(&c);
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "first_name: can't be blank\n"
				    "last_name: can't be blank\n"
				    "email: can't be blank\n"
				    "email: is an invalid email address\n"
				    "phone: can't be blank\n"
				    "phone: is probably not a phone number\n"
				    "address1: can't be blank\n"
				    "city: can't be blank\n"
				    "state_province: can't be blank\n"
				    "postal_code: can't be blank\n"
				    "country: can't be blank\n");
	arena_clear(&a);
}

static void test_whitespace_is_blank_and_trimmed(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	valid_contact(&c);
	c.first_name = "  \t ";
	c.city = "  Roma ";
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "first_name: can't be blank\n");
	assert_string_equal(c.city, "Roma");
	arena_clear(&a);
}

static void test_country(void **state)
{
	static const struct {
		const char *in;
		const char *want;    /* the stored value, or NULL when invalid */
		const char *errors;
	} cases[] = {
		{ "IT", "IT", "" },
		{ "de", "DE", "" },
		{ "Gb", "GB", "" },
		{ "AX", "AX", "" },
		{ "ZW", "ZW", "" },
		{ "AD", "AD", "" },
		{ "XX", NULL, "country: is not a valid country\n" },
		{ "UK", NULL, "country: is not a valid country\n" }, /* reserved, not assigned */
		{ "ITA", NULL, "country: is the wrong length (should be 2 characters)\n"
			       "country: is not a valid country\n" },
		{ "I", NULL, "country: is the wrong length (should be 2 characters)\n"
			     "country: is not a valid country\n" },
		{ "1T", NULL, "country: is not a valid country\n" },
		{ "\xc3\x84\xc3\x96", NULL, "country: is not a valid country\n" }, /* two chars */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		arena_t a;
		arena_init(&a, 0);
		contact_t c;
		errs_t e;
		valid_contact(&c);
		c.country = cases[i].in;
		int ret = check(&c, &a, &e);
		assert_string_equal(e.text, cases[i].errors);
		if (cases[i].want != NULL) {
			assert_int_equal(ret, ERR_OK);
			assert_string_equal(c.country, cases[i].want);
		} else {
			assert_int_equal(ret, ERR_INVALID);
		}
		arena_clear(&a);
	}
	assert_true(contact_country_is_valid("US"));
	assert_false(contact_country_is_valid("us"));
	assert_false(contact_country_is_valid(""));
	assert_false(contact_country_is_valid(NULL));
}

static void test_phone(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: not a phone number */
	} cases[] = {
		{ "+18001234567", "+18001234567" },
		{ "+1.8001234567", "+18001234567" },         /* the openapi example's form */
		{ "+1 (800) 123-4567", "+18001234567" },
		{ "+39 06 1234 5678", "+390612345678" },
		{ "+1234567", "+1234567" },                  /* 7 digits */
		{ "+123456789012345", "+123456789012345" },  /* 15 digits, E.164's longest */
		{ "800-123-4567", "800-123-4567" },          /* national form: kept as given */
		{ "(06) 1234.5678", "(06) 1234.5678" },
		{ "12345678901234567890", "12345678901234567890" }, /* 20 digits */
		{ "+1234567890123456", NULL },               /* 16 digits after + */
		{ "123456789012345678901", NULL },           /* 21 digits */
		{ "123456", NULL },
		{ "+123456", NULL },
		{ "+0123456789", NULL },                     /* no country code starts with 0 */
		{ "1-800-FLOWERS", NULL },
		{ "+1 800 123 4567 x12", NULL },
		{ "1 800 + 1234567", NULL },                 /* + only first */
		{ "++18001234567", NULL },
		{ "((06)) 12345678", NULL },
		{ "(06 12345678", NULL },
		{ "06) 12345678", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		arena_t a;
		arena_init(&a, 0);
		const char *out = NULL;
		int ret = contact_phone_normalize(&a, cases[i].in, &out);
		if (cases[i].want == NULL) {
			assert_int_equal(ret, ERR_INVALID);
		} else {
			assert_int_equal(ret, ERR_OK);
			assert_string_equal(out, cases[i].want);
		}
		arena_clear(&a);
	}
}

static void test_phone_and_fax_fields(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	valid_contact(&c);
	c.phone = " +1 (800) 123-4567 ";
	c.fax = "+1.8011234567";
	assert_int_equal(check(&c, &a, &e), ERR_OK);
	assert_string_equal(c.phone, "+18001234567");
	assert_string_equal(c.fax, "+18011234567");

	valid_contact(&c);
	c.phone = "call me";
	c.fax = "12";
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "phone: is probably not a phone number\n"
				    "fax: is probably not a fax number\n");

	valid_contact(&c);
	c.fax = "";  /* optional */
	assert_int_equal(check(&c, &a, &e), ERR_OK);
	arena_clear(&a);
}

static void test_email(void **state)
{
	static const char *const good[] = {
		"first@example.com", "a.b+tag@sub.example.co.uk", "x@a.io", "o'neil@example.ie",
		"user@xn--bcher-kva.example",
		"\xc3\xbc@b\xc3\xbc\x63her.example", /* \x63 is 'c' (a hex escape would eat it) */
	};
	static const char *const bad[] = {
		"", "first", "@example.com", "first@", "first@example", "first@@example.com",
		"a@b@example.com", "first@example..com", "first@.example.com", "first@example.com.",
		".first@example.com", "first.@example.com", "fi..rst@example.com",
		"first last@example.com", "first@exa mple.com", "first@-example.com",
		"first@example-.com", "\"quoted\"@example.com", "first@exam_ple.com",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!contact_email_is_valid(good[i])) {
			fail_msg("rejected %s", good[i]);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (contact_email_is_valid(bad[i])) {
			fail_msg("accepted %s", bad[i]);
		}
	}
	char local[80], domain[300];
	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(domain, sizeof(domain), "%s@example.com", local);
	assert_false(contact_email_is_valid(domain)); /* local part of 65 */
	local[64] = '\0';
	snprintf(domain, sizeof(domain), "%s@example.com", local);
	assert_true(contact_email_is_valid(domain));
	char label[70];
	memset(label, 'b', 64);
	label[64] = '\0';
	snprintf(domain, sizeof(domain), "a@%s.com", label);
	assert_false(contact_email_is_valid(domain)); /* label of 64 */
	assert_false(contact_email_is_valid(NULL));
}

static void test_org_needs_job_title(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	valid_contact(&c);
	c.job_title = "";
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "job_title: can't be blank\n");
	valid_contact(&c);
	c.job_title = "";
	c.organization_name = "";
	assert_int_equal(check(&c, &a, &e), ERR_OK);
	arena_clear(&a);
}

static void test_length_and_controls(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	char longest[CONTACT_FIELD_MAX * 2 + 3];
	/* 255 two-byte characters pass; 256 do not */
	for (int i = 0; i < CONTACT_FIELD_MAX; i++) {
		memcpy(longest + 2 * i, "\xc3\xa9", 2);
	}
	longest[CONTACT_FIELD_MAX * 2] = '\0';
	valid_contact(&c);
	c.address2 = longest;
	assert_int_equal(check(&c, &a, &e), ERR_OK);
	memcpy(longest + CONTACT_FIELD_MAX * 2, "x", 2);
	valid_contact(&c);
	c.address2 = longest;
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "address2: is too long (maximum is 255 characters)\n");

	valid_contact(&c);
	c.city = "Ro\nma";
	c.label = "a\x7f";
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "label: contains control characters\n"
				    "city: contains control characters\n");
	arena_clear(&a);
}

/* Every bad field is reported in one pass. */
static void test_collects_everything(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e;
	valid_contact(&c);
	c.country = "ZZZ";
	c.phone = "abc";
	c.email = "nope";
	c.last_name = "";
	assert_int_equal(check(&c, &a, &e), ERR_INVALID);
	assert_string_equal(e.text, "last_name: can't be blank\n"
				    "email: is an invalid email address\n"
				    "phone: is probably not a phone number\n"
				    "country: is the wrong length (should be 2 characters)\n"
				    "country: is not a valid country\n");
	arena_clear(&a);
}

/* The JSON merge: PATCH semantics, strings only, unknown and read-only keys ignored. */
static void test_apply(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	contact_t c;
	errs_t e = { 0 };
	valid_contact(&c);
	json_t *body = json_pack("{s:s,s:n,s:i,s:b,s:s,s:i,s:s,s:s}", "city", " Milano ", "fax",
				 "label", 5, "email", 1, "first_name", "Second", "id", 99, "bogus",
				 "x", "country", "de");
	assert_int_equal(contact_apply(&c, body, &a, on_err, &e), ERR_INVALID);
	/* A field of the wrong type gets that one message, nothing more. */
	assert_string_equal(e.text, "label: must be a string\nemail: must be a string\n");
	assert_string_equal(c.city, "Milano");
	assert_string_equal(c.fax, "");
	assert_string_equal(c.label, "Default");          /* unchanged on error */
	assert_string_equal(c.email, "first@example.com");
	assert_string_equal(c.first_name, "Second");
	assert_string_equal(c.last_name, "User");         /* absent: unchanged */
	assert_string_equal(c.country, "DE");
	assert_int_equal(c.id, 0);                        /* read-only keys ignored */
	json_decref(body);

	/* On create (from contact_init) a mistyped required field is not also "blank". */
	contact_init(&c);
	memset(&e, 0, sizeof(e));
	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:i}", "first_name", "F",
			 "last_name", "L", "address1", "A", "city", "C", "state_province", "S",
			 "country", "IT", "postal_code", 100, "phone", "+18001234567", "email",
			 "f@example.com", "organization_name", "Org", "job_title", 7);
	assert_int_equal(contact_apply(&c, body, &a, on_err, &e), ERR_INVALID);
	assert_string_equal(e.text, "job_title: must be a string\npostal_code: must be a string\n");
	json_decref(body);

	valid_contact(&c);
	memset(&e, 0, sizeof(e));
	assert_int_equal(contact_apply(&c, NULL, &a, on_err, &e), ERR_OK);
	assert_int_equal(e.count, 0);
	arena_clear(&a);
}

/* fixtures/v2/api/getContact/success.http: every key, in order, with its type. */
static void test_to_json(void **state)
{
	contact_t c;
	valid_contact(&c);
	c.id = 1;
	c.account_id = 1010;
	c.created_at = c.updated_at = 1453236626; /* 2016-01-19T20:50:26Z */
	json_t *o = contact_to_json(&c);
	char *text = json_dumps(o, JSON_COMPACT);
	assert_string_equal(
		text,
		"{\"id\":1,\"account_id\":1010,\"label\":\"Default\",\"first_name\":\"First\","
		"\"last_name\":\"User\",\"job_title\":\"CEO\",\"organization_name\":\"Awesome "
		"Company\",\"email\":\"first@example.com\",\"phone\":\"+18001234567\",\"fax\":"
		"\"+18011234567\",\"address1\":\"Italian Street, 10\",\"address2\":\"\",\"city\":"
		"\"Roma\",\"state_province\":\"RM\",\"postal_code\":\"00100\",\"country\":\"IT\","
		"\"created_at\":\"2016-01-19T20:50:26Z\",\"updated_at\":\"2016-01-19T20:50:26Z\"}");
	free(text);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_all_blank),
		cmocka_unit_test(test_whitespace_is_blank_and_trimmed),
		cmocka_unit_test(test_country),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_phone_and_fax_fields),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_org_needs_job_title),
		cmocka_unit_test(test_length_and_controls),
		cmocka_unit_test(test_collects_everything),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
