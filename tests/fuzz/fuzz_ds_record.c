/* fuzz_ds_record.c -- libFuzzer target for createDomainDelegationSignerRecord's body
 * (model/dnssec.c ds_record_from_json, and api/res/dnssec.c ds_derive: the DS computed from
 * a public key).
 *
 * Input: the request body, parsed as the server parses bodies (core/json).
 * Checks what the store and the reply rely on when a body is accepted: algorithm and
 * digest_type decimal 0..255, keytag decimal 0..65535, digest even-length hex (64 digits
 * for type 2, 96 for type 4), public_key absent or base64; every field non-NULL unless
 * only the public-key form left it so; the JSON shape has all nine keys. A refused body
 * names at least one field. Any violation aborts.
 * Seeds: tests/fuzz/corpus/ds_record/. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The handler's static helpers, reached the way STYLE.md 12 allows (rarely). */
#include "../../src/api/res/dnssec.c"
#include "core/json.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ds_record: %s\n", what);
		abort();
	}
}

static bool is_decimal(const char *s, long max)
{
	size_t len = s != NULL ? strlen(s) : 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return len > 0 && (len == 1 || s[0] != '0') && strtol(s, NULL, 10) <= max;
}

static void check_record(const ds_record_t *r)
{
	check(is_decimal(r->algorithm, 255), "algorithm");
	check(r->digest_type == NULL || is_decimal(r->digest_type, 255), "digest_type");
	check(r->keytag == NULL || is_decimal(r->keytag, 65535), "keytag");
	check(r->public_key != NULL || (r->digest != NULL && r->digest_type != NULL &&
					r->keytag != NULL), "DS data");
	if (r->digest != NULL) {
		size_t len = strlen(r->digest);
		for (size_t i = 0; i < len; i++) {
			check(isxdigit((unsigned char)r->digest[i]), "digest hex");
		}
		long type = r->digest_type != NULL ? strtol(r->digest_type, NULL, 10) : 0;
		check(len > 0 && len % 2 == 0, "digest length");
		check(type != 2 || len == 64, "SHA-256 length");
		check(type != 4 || len == 96, "SHA-384 length");
	}
	json_t *j = ds_record_to_json(r);
	check(j != NULL && json_object_size(j) == 9, "json shape");
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[128];
	json_t *body = json_parse_body((const char *)data, size, msg, sizeof(msg));
	if (body == NULL) {
		return 0;
	}
	arena_t arena;
	arena_init(&arena, 1 << 20);
	api_req_t req = { .arena = &arena };
	domain_t d = { .id = 1, .account_id = 1, .name = "example.com" };
	ds_record_t r;
	int ret = ds_record_from_json(&r, body, &arena, on_field_error, &req);
	if (ret == ERR_OK) {
		ret = ds_derive(&req, &d, &r);
	}
	if (ret == ERR_OK) {
		check(req.errors == NULL, "errors on success");
		check_record(&r);
	} else {
		check(ret == ERR_INVALID && json_object_size(req.errors) > 0, "refusal names a field");
	}
	json_decref(req.errors);
	json_decref(body);
	arena_clear(&arena);
	return 0;
}
