/* test_dnssec.c -- model/dnssec.c: the signing policy settings, the DNSSEC and DS JSON
 * shapes, and createDomainDelegationSignerRecord's validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/err.h"
#include "model/dnssec.h"

static void test_policy(void **state)
{
	zone_dnssec_policy_t p;
	const char *bad = NULL;
	assert_int_equal(zone_dnssec_policy_parse("ecdsap256sha256", "csk", &p, &bad), ERR_OK);
	assert_int_equal(p.algorithm, 13);
	assert_int_equal(p.layout, ZONE_KEYS_CSK);
	assert_null(bad);
	assert_int_equal(zone_dnssec_policy_parse("ED25519", "ksk-zsk", &p, &bad), ERR_OK);
	assert_int_equal(p.algorithm, 15);
	assert_int_equal(p.layout, ZONE_KEYS_KSK_ZSK);
	assert_int_equal(zone_dnssec_policy_parse("13", "csk", &p, &bad), ERR_OK);
	assert_int_equal(zone_dnssec_policy_parse("15", "csk", &p, &bad), ERR_OK);
	assert_int_equal(zone_dnssec_policy_parse("rsasha256", "csk", &p, &bad), ERR_INVALID);
	assert_string_equal(bad, "dnssec-algorithm");
	assert_int_equal(zone_dnssec_policy_parse("13", "kskzsk", &p, &bad), ERR_INVALID);
	assert_string_equal(bad, "dnssec-key-layout");
	assert_int_equal(zone_dnssec_policy_parse(NULL, NULL, &p, &bad), ERR_INVALID);
	assert_string_equal(zone_key_layout_name(ZONE_KEYS_KSK_ZSK), "ksk-zsk");
	assert_string_equal(zone_key_layout_name(ZONE_KEYS_CSK), "csk");
}

static void test_json_shapes(void **state)
{
	zone_dnssec_t d = { .is_enabled = true, .created_at = 1488548998, .updated_at = 1488548998 };
	json_t *j = zone_dnssec_to_json(&d);
	char *text = json_dumps(j, JSON_COMPACT);
	/* fixtures/v2/api/enableDnssec/success.http */
	assert_string_equal(text, "{\"enabled\":true,\"active\":true,"
				  "\"created_at\":\"2017-03-03T13:49:58Z\","
				  "\"updated_at\":\"2017-03-03T13:49:58Z\"}");
	free(text);
	json_decref(j);
	ds_record_t r = { .id = 24, .domain_id = 1010, .algorithm = "8",
			  .digest = "C1F6E04A5A61FBF65BF9DC8294C363CF11C89E802D926BDAB79C55D27BEFA94F",
			  .digest_type = "2", .keytag = "44620", .created_at = 1488548998,
			  .updated_at = 1488548998 };
	j = ds_record_to_json(&r);
	text = json_dumps(j, JSON_COMPACT);
	/* fixtures/v2/api/getDelegationSignerRecord/success.http */
	assert_string_equal(text, "{\"id\":24,\"domain_id\":1010,\"algorithm\":\"8\",\"digest\":"
				  "\"C1F6E04A5A61FBF65BF9DC8294C363CF11C89E802D926BDAB79C55D27BE"
				  "FA94F\",\"digest_type\":\"2\",\"keytag\":\"44620\",\"public_key\":"
				  "null,\"created_at\":\"2017-03-03T13:49:58Z\",\"updated_at\":"
				  "\"2017-03-03T13:49:58Z\"}");
	free(text);
	json_decref(j);
	zone_key_t k = { .flags = 257 };
	assert_true(zone_key_is_sep(&k));
	k.flags = 256;
	assert_false(zone_key_is_sep(&k));
}

/* Field errors as "field:message;" in the order reported. */
static char errors[512];

static void on_err(void *ctx, const char *field, const char *message)
{
	size_t n = strlen(errors);
	snprintf(errors + n, sizeof(errors) - n, "%s:%s;", field, message);
}

static int from(const char *body, ds_record_t *r, arena_t *a)
{
	errors[0] = '\0';
	json_t *j = json_loads(body, 0, NULL);
	assert_non_null(j);
	int ret = ds_record_from_json(r, j, a, on_err, NULL);
	json_decref(j);
	return ret;
}

static void test_ds_validation(void **state)
{
	arena_t a;
	arena_init(&a, 1 << 20);
	ds_record_t r;
	/* fixtures/v2/api/createDelegationSignerRecord/validation-error.http */
	assert_int_equal(from("{}", &r, &a), ERR_INVALID);
	assert_string_equal(errors, "algorithm:can't be blank;digest:can't be blank;"
				    "digest_type:can't be blank;keytag:can't be blank;");
	assert_int_equal(from("{\"algorithm\": \"13\", \"digest\": \"684a1f049d7d082b7f98691657da5a"
			      "65764913df7f065f6f8c36edf62d66ca03\", \"digest_type\": \"2\","
			      " \"keytag\": \"2371\"}",
			      &r, &a),
			 ERR_OK);
	assert_string_equal(r.algorithm, "13");
	assert_string_equal(r.keytag, "2371");
	assert_null(r.public_key);
	/* numbers, whitespace, leading zeros */
	assert_int_equal(from("{\"algorithm\": 13, \"digest\": \"AB\", \"digest_type\": \" 07 \","
			      " \"keytag\": 0}",
			      &r, &a),
			 ERR_OK);
	assert_string_equal(r.digest_type, "7");
	assert_string_equal(r.keytag, "0");
	/* the public-key form: the DS fields are optional, algorithm is not */
	assert_int_equal(from("{\"public_key\": \"AwEAAQ==\"}", &r, &a), ERR_INVALID);
	assert_string_equal(errors, "algorithm:can't be blank;");
	assert_int_equal(from("{\"algorithm\": \"13\", \"public_key\": \"AwEAAQ==\"}", &r, &a),
			 ERR_OK);
	assert_null(r.digest);
	/* every bad field at once */
	assert_int_equal(from("{\"algorithm\": \"256\", \"digest\": \"abc\", \"digest_type\": -1,"
			      " \"keytag\": \"65536\", \"public_key\": \"AwE=AQ==\"}",
			      &r, &a),
			 ERR_INVALID);
	assert_string_equal(errors, "algorithm:is invalid;digest:is invalid;digest_type:is invalid;"
				    "keytag:is invalid;public_key:is invalid;");
	/* a digest must have its type's length: SHA-1 40, SHA-256 64, SHA-384 96 */
	assert_int_equal(from("{\"algorithm\": \"13\", \"digest\": \"abcd\", \"digest_type\": \"1\","
			      " \"keytag\": \"1\"}",
			      &r, &a),
			 ERR_INVALID);
	assert_string_equal(errors, "digest:is invalid;");
	assert_int_equal(from("{\"algorithm\": true, \"digest\": {}, \"digest_type\": \"2\","
			      " \"keytag\": 1.5}",
			      &r, &a),
			 ERR_INVALID);
	assert_string_equal(errors, "algorithm:is invalid;digest:is invalid;keytag:is invalid;");
	arena_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_json_shapes),
		cmocka_unit_test(test_ds_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
