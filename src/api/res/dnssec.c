/* dnssec.c -- getDomainDnssec, enableDomainDnssec, disableDomainDnssec, the delegation signer
 * records (list, create, get, delete) and the DS extension (content/v2/domains/dnssec.md;
 * fixtures/v2/api/{get,enable,disable}Dnssec, *DelegationSignerRecord*; docs/dnssec.md).
 *
 * DESIGN: DNSSEC is the state of the domain's zone. Enabling makes the keys here (the
 * dnssec-algorithm and dnssec-key-layout settings), seals their private halves with the
 * deployment secret, and hands the store one transaction; signing is the dns role's.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/api_internal.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "dns/dnssec/dnssec.h"

static const char *const ds_sort_fields[] = { "id", "created_at", NULL };

static void on_field_error(void *ctx, const char *field, const char *message)
{
	reply_field_error(ctx, field, message);
}

/* The path's domain and its zone. */
static int load(api_req_t *req, domain_t *d, zone_t *z)
{
	int ret = api_domain_load(req, d);
	if (ret != ERR_OK) {
		return ret;
	}
	ret = store_zone_get(req->ctx->store, req->arena, req->account.id, d->name, z);
	if (ret == ERR_NOTFOUND) {
		req->message = arena_printf(req->arena, "Zone `%s` not found", d->name);
	}
	return ret;
}

/* The path's zone and its state; a zone that never had DNSSEC is disabled since it was
 * made. */
static int load_state(api_req_t *req, zone_t *z, zone_dnssec_t *out)
{
	domain_t d;
	int ret = load(req, &d, z);
	if (ret != ERR_OK) {
		return ret;
	}
	ret = store_dnssec_get(req->ctx->store, req->arena, req->account.id, z->id, out);
	if (ret == ERR_NOTFOUND) {
		*out = (zone_dnssec_t){ .zone_id = z->id, .created_at = z->created_at,
					.updated_at = z->created_at };
		ret = ERR_OK;
	}
	return ret;
}

/* GET /v2/:account/domains/:domain/dnssec */
static int dnssec_get(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	zone_dnssec_t state;
	int ret = load_state(req, &z, &state);
	if (ret == ERR_OK) {
		reply_data(rep, 200, zone_dnssec_to_json(&state));
	}
	return ret;
}

/* The secret-key-file setting, or secret.key in the data directory. */
static const char *secret_path(api_req_t *req)
{
	const conf_t *conf = req->ctx->conf;
	if (conf->secret_key_file != NULL && conf->secret_key_file[0] != '\0') {
		return conf->secret_key_file;
	}
	return arena_printf(req->arena, "%s/secret.key", conf->data);
}

/* Copy heap bytes into the arena (the store reads keys from there). */
static const uint8_t *arena_bytes(arena_t *a, const uint8_t *p, size_t size)
{
	uint8_t *copy = arena_alloc(a, size);
	if (copy != NULL) {
		memcpy(copy, p, size);
	}
	return copy;
}

/* One new key of the zone, its private half sealed. */
static int key_make(api_req_t *req, const dnskey_secret_t *secret, const char *role,
		    uint8_t algorithm, uint16_t flags, zone_key_t *out)
{
	dnskey_pair_t pair;
	int ret = dnskey_generate(algorithm, flags, &pair);
	if (ret != ERR_OK) {
		return ret;
	}
	uint8_t *sealed = NULL;
	size_t sealed_size = 0;
	ret = dnskey_seal(secret, (const uint8_t *)pair.pem, pair.pem_size, &sealed, &sealed_size);
	if (ret == ERR_OK) {
		int64_t now = time_now();
		/* RFC 7583 3.1: created, published and active at once (a new zone's first key);
		 * retire and remove are for a rollover to set. */
		*out = (zone_key_t){
			.role = role, .algorithm = algorithm, .flags = flags, .keytag = pair.keytag,
			.dnskey = arena_bytes(req->arena, pair.rdata, pair.rdata_size),
			.dnskey_size = pair.rdata_size,
			.sealed = arena_bytes(req->arena, sealed, sealed_size),
			.sealed_size = sealed_size,
			.created = now, .publish = now, .active = now,
		};
		ret = out->dnskey != NULL && out->sealed != NULL ? ERR_OK : ERR_TOOBIG;
	}
	free(sealed);
	dnskey_clear(&pair);
	return ret;
}

/* The keys of the configured policy: one CSK, or a KSK and a ZSK. */
static int keys_make(api_req_t *req, const zone_dnssec_policy_t *policy, zone_key_t *keys,
		     size_t *count)
{
	dnskey_secret_t secret;
	int ret = dnskey_secret_load(secret_path(req), true, &secret);
	if (ret != ERR_OK) {
		log_req_err(req->request_id, "dnssec, secret key file %s unusable (%s)",
			    secret_path(req), err_str(ret));
		req->message = "The DNSSEC key secret cannot be read (see the server log)";
		return ERR_INTERNAL;
	}
	bool is_split = policy->layout == ZONE_KEYS_KSK_ZSK;
	*count = is_split ? 2 : 1;
	ret = key_make(req, &secret, is_split ? ZONE_KEY_KSK : ZONE_KEY_CSK, policy->algorithm,
		       DNSKEY_FLAGS_KSK, &keys[0]);
	if (ret == ERR_OK && is_split) {
		ret = key_make(req, &secret, ZONE_KEY_ZSK, policy->algorithm, DNSKEY_FLAGS_ZSK,
			       &keys[1]);
	}
	dnskey_secret_clear(&secret);
	if (ret != ERR_OK) {
		log_req_err(req->request_id, "dnssec, key generation failed (%s)", err_str(ret));
	}
	return ret;
}

/* POST /v2/:account/domains/:domain/dnssec: 201 with the state. Enabling an enabled zone
 * changes nothing and answers the same. */
static int dnssec_enable(api_req_t *req, api_reply_t *rep)
{
	zone_t z;
	zone_dnssec_t state;
	int ret = load_state(req, &z, &state);
	if (ret != ERR_OK) {
		return ret;
	}
	if (z.is_secondary) {
		req->message = "DNSSEC cannot be enabled for a secondary zone: its primary "
			       "signs it";
		return ERR_INVALID;
	}
	if (state.is_enabled) {
		reply_data(rep, 201, zone_dnssec_to_json(&state));
		return ERR_OK;
	}
	const conf_t *conf = req->ctx->conf;
	store_dnssec_enable_t en = { .zone = &z };
	const char *bad = NULL;
	if (zone_dnssec_policy_parse(conf->dnssec_algorithm, conf->dnssec_key_layout, &en.policy,
				     &bad) != ERR_OK) {
		req->message = arena_printf(req->arena, "The %s setting is not valid", bad);
		return ERR_INTERNAL;
	}
	zone_key_t keys[2];
	ret = keys_make(req, &en.policy, keys, &en.key_count);
	if (ret != ERR_OK) {
		return ret;
	}
	en.keys = keys;
	ret = store_dnssec_enable(req->ctx->store, &en);
	if (ret == ERR_OK) {
		reply_data(rep, 201, zone_dnssec_to_json(&en.state));
	}
	return ret;
}

/* DELETE /v2/:account/domains/:domain/dnssec: 204, or 428 when it is not enabled
 * (fixtures/v2/api/disableDnssec/not-enabled.http). */
static int dnssec_disable(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	zone_t z;
	zone_dnssec_t state;
	uint32_t serial = 0;
	int ret = load(req, &d, &z);
	if (ret == ERR_OK) {
		ret = store_dnssec_disable(req->ctx->store, &z, &state, &serial);
	}
	if (ret == ERR_STATE) {
		req->message = "DNSSEC cannot be disabled because it is not enabled";
	}
	if (ret == ERR_OK) {
		rep->status = 204;
	}
	return ret;
}

/* "B4C8..." (upper case, as dnssec-dsfromkey and the fixtures' own DS) in the arena. */
static const char *hex_upper(arena_t *a, const uint8_t *p, size_t size)
{
	char *s = arena_alloc(a, size * 2 + 1);
	if (s == NULL) {
		return NULL;
	}
	sodium_bin2hex(s, size * 2 + 1, p, size);
	for (char *c = s; *c != '\0'; c++) {
		*c = *c >= 'a' && *c <= 'f' ? (char)(*c - 'a' + 'A') : *c;
	}
	return s;
}

static const char *base64(arena_t *a, const uint8_t *p, size_t size)
{
	size_t n = sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL);
	char *s = arena_alloc(a, n);
	return s != NULL ? sodium_bin2base64(s, n, p, size, sodium_base64_VARIANT_ORIGINAL) : NULL;
}

/* One entry of the DS extension: the DS (SHA-256) of a KSK or CSK and its DNSKEY. */
static json_t *ds_entry(api_req_t *req, const zone_t *z, const zone_key_t *k)
{
	uint8_t ds[DNSKEY_DS_MAX];
	size_t ds_size = 0;
	if (k->dnskey_size <= 4 ||
	    dnskey_ds(z->name, k->dnskey, k->dnskey_size, DNSKEY_DIGEST_SHA256, ds, &ds_size) !=
		    ERR_OK) {
		return NULL;
	}
	uint16_t tag = (uint16_t)(ds[0] << 8 | ds[1]);
	const char *digest = hex_upper(req->arena, ds + 4, ds_size - 4);
	const char *key = base64(req->arena, k->dnskey + 4, k->dnskey_size - 4);
	if (digest == NULL || key == NULL) {
		return NULL;
	}
	const char *ds_text = arena_printf(req->arena, "%s. IN DS %u %u %u %s", z->name, tag,
					   k->algorithm, DNSKEY_DIGEST_SHA256, digest);
	const char *key_text = arena_printf(req->arena, "%s. IN DNSKEY %u %u %u %s", z->name,
					    k->flags, DNSKEY_PROTOCOL, k->algorithm, key);
	return json_pack("{s:s, s:i, s:i, s:i, s:s, s:i, s:i, s:s, s:s, s:s}", "role", k->role,
			 "key_tag", tag, "algorithm", k->algorithm,
			 "digest_type", DNSKEY_DIGEST_SHA256, "digest", digest,
			 "flags", k->flags, "protocol", DNSKEY_PROTOCOL, "public_key", key,
			 "ds", ds_text, "dnskey", key_text);
}

/* GET /v2/:account/domains/:domain/dnssec/ds (extension): what to give the registrar. */
static int dnssec_ds(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	zone_t z;
	zone_key_t *keys = NULL;
	size_t count = 0;
	int ret = load(req, &d, &z);
	if (ret == ERR_OK) {
		ret = store_dnssec_keys(req->ctx->store, req->arena, req->account.id, z.id, &keys,
					&count);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *items = json_array();
	int64_t now = time_now();
	for (size_t i = 0; i < count; i++) {
		/* Keys the parent's DS should point at now (docs/dnssec.md, "Key rollovers"): not
		 * a CSK that is only pre-published (resolvers may hold a DNSKEY RRset without
		 * it), nor an old one on its way out. */
		const zone_key_t *k = &keys[i];
		bool is_due = (k->active == 0 || k->active <= now) && k->retire == 0;
		json_t *e = zone_key_is_sep(k) && is_due ? ds_entry(req, &z, k) : NULL;
		if (e != NULL) {
			json_array_append_new(items, e);
		}
	}
	reply_data(rep, 200, items);
	return ERR_OK;
}

/* ------------------------------------------------------------------ DS records */

/* The :ds id; an unknown one's 404 names it (fixtures/v2/api/notfound-delegationSignerRecord). */
static int ds_param(api_req_t *req, int64_t *id)
{
	const char *p = api_param(req, "ds");
	if (api_parse_id(p, id) && *id > 0) {
		return ERR_OK;
	}
	return ERR_NOTFOUND;
}

static int ds_not_found(api_req_t *req, int ret)
{
	if (ret == ERR_NOTFOUND) {
		const char *p = api_param(req, "ds");
		req->message = arena_printf(req->arena, "Delegation signer record `%s` not found",
					    p != NULL ? p : "");
	}
	return ret;
}

/* GET /v2/:account/domains/:domain/ds_records */
static int ds_list(api_req_t *req, api_reply_t *rep)
{
	api_page_t page;
	store_list_t q;
	domain_t d;
	int ret = api_domain_load(req, &d);
	if (ret == ERR_OK) {
		ret = api_list_parse(req, ds_sort_fields, &page, &q);
	}
	ds_record_t *list = NULL;
	size_t count = 0;
	int64_t total = 0;
	if (ret == ERR_OK) {
		ret = store_ds_list(req->ctx->store, req->arena, req->account.id, d.id, &q, &list,
				    &count, &total);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < count; i++) {
		json_array_append_new(items, ds_record_to_json(&list[i]));
	}
	reply_page(rep, items, &page, total);
	return ERR_OK;
}

/* A DS digest's type from its length, for a digest sent without one: SHA-1, SHA-256 or
 * SHA-384 (RFC 3658, RFC 4509, RFC 6605 2); NULL for another length. */
static const char *digest_type_of(const char *digest)
{
	size_t len = strlen(digest);
	return len == 40 ? "1" : len == 64 ? "2" : len == 96 ? "4" : NULL;
}

/* The public-key form (dnssec.md: "Required if TLD requires KEY data") without DS data:
 * what is missing is derived from the DNSKEY "257 3 <algorithm> <public_key>" at the
 * domain: the key tag, and the digest (SHA-256 unless a digest_type is given). Fields
 * that were sent stay as sent; a digest sent without its type gets the type its length
 * says. */
static int ds_derive(api_req_t *req, const domain_t *d, ds_record_t *r)
{
	if (r->public_key == NULL ||
	    (r->digest != NULL && r->keytag != NULL && r->digest_type != NULL)) {
		return ERR_OK;
	}
	if (r->digest != NULL && r->digest_type == NULL) {
		r->digest_type = digest_type_of(r->digest);
		if (r->digest_type == NULL) {
			reply_field_error(req, "digest_type", "can't be blank");
			return ERR_INVALID;
		}
	}
	size_t max = strlen(r->public_key), key_size = 0;
	uint8_t *key = arena_alloc(req->arena, max + 1);
	uint8_t *rdata = NULL;
	size_t rdata_size = 0;
	uint8_t ds[DNSKEY_DS_MAX];
	size_t ds_size = 0;
	uint8_t type = DNSKEY_DIGEST_SHA256;
	if (r->digest_type != NULL) {
		type = (uint8_t)atoi(r->digest_type);
	}
	int ret = ERR_PARSE;
	if (key != NULL && sodium_base642bin(key, max + 1, r->public_key, max, NULL, &key_size,
					     NULL, sodium_base64_VARIANT_ORIGINAL) == 0) {
		ret = dnskey_rdata(DNSKEY_FLAGS_KSK, (uint8_t)atoi(r->algorithm), key, key_size,
				   &rdata, &rdata_size);
	}
	if (ret == ERR_OK && r->digest == NULL) {
		ret = dnskey_ds(d->name, rdata, rdata_size, type, ds, &ds_size);
		if (ret == ERR_OK) {
			r->digest_type = arena_printf(req->arena, "%u", type);
			r->digest = hex_upper(req->arena, ds + 4, ds_size - 4);
		}
	}
	uint16_t tag = 0;
	if (ret == ERR_OK && r->keytag == NULL) {
		ret = dnskey_tag(rdata, rdata_size, &tag);
		r->keytag = arena_printf(req->arena, "%u", tag);
	}
	free(rdata);
	if (ret == ERR_INVAL_ARG) {
		reply_field_error(req, "digest", "can't be blank"); /* a type we cannot compute */
		return ERR_INVALID;
	}
	if (ret != ERR_OK) {
		reply_field_error(req, "public_key", "is invalid");
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* POST /v2/:account/domains/:domain/ds_records */
static int ds_create(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	int ret = api_domain_load(req, &d);
	if (ret != ERR_OK) {
		return ret;
	}
	if (req->json != NULL && !json_is_object(req->json)) {
		req->message = "The request body must be a JSON object";
		return ERR_INVALID;
	}
	ds_record_t r;
	ret = ds_record_from_json(&r, req->json, req->arena, on_field_error, req);
	if (ret == ERR_OK) {
		ret = ds_derive(req, &d, &r);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	r.domain_id = d.id;
	ret = store_ds_create(req->ctx->store, req->account.id, &r);
	if (ret == ERR_OK) {
		reply_data(rep, 201, ds_record_to_json(&r));
	}
	return ret;
}

/* GET /v2/:account/domains/:domain/ds_records/:ds */
static int ds_get(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	ds_record_t r;
	int64_t id = 0;
	int ret = api_domain_load(req, &d);
	if (ret != ERR_OK) {
		return ret;
	}
	ret = ds_param(req, &id);
	if (ret == ERR_OK) {
		ret = store_ds_get(req->ctx->store, req->arena, req->account.id, d.id, id, &r);
	}
	if (ret != ERR_OK) {
		return ds_not_found(req, ret);
	}
	reply_data(rep, 200, ds_record_to_json(&r));
	return ERR_OK;
}

/* DELETE /v2/:account/domains/:domain/ds_records/:ds */
static int ds_delete(api_req_t *req, api_reply_t *rep)
{
	domain_t d;
	int64_t id = 0;
	int ret = api_domain_load(req, &d);
	if (ret != ERR_OK) {
		return ret;
	}
	ret = ds_param(req, &id);
	if (ret == ERR_OK) {
		ret = store_ds_delete(req->ctx->store, req->account.id, d.id, id);
	}
	if (ret != ERR_OK) {
		return ds_not_found(req, ret);
	}
	rep->status = 204;
	return ERR_OK;
}

static const api_route_t routes[] = {
	{ HTTP_GET, "/v2/:account/domains/:domain/dnssec", dnssec_get, "domains", SCOPE_READ, 0 },
	{ HTTP_POST, "/v2/:account/domains/:domain/dnssec", dnssec_enable, "domains", SCOPE_WRITE,
	  0 },
	{ HTTP_DELETE, "/v2/:account/domains/:domain/dnssec", dnssec_disable, "domains",
	  SCOPE_WRITE, 0 },
	{ HTTP_GET, "/v2/:account/domains/:domain/dnssec/ds", dnssec_ds, "domains", SCOPE_READ, 0 },
	{ HTTP_GET, "/v2/:account/domains/:domain/ds_records", ds_list, "domains", SCOPE_READ, 0 },
	{ HTTP_POST, "/v2/:account/domains/:domain/ds_records", ds_create, "domains", SCOPE_WRITE,
	  0 },
	{ HTTP_GET, "/v2/:account/domains/:domain/ds_records/:ds", ds_get, "domains", SCOPE_READ,
	  0 },
	{ HTTP_DELETE, "/v2/:account/domains/:domain/ds_records/:ds", ds_delete, "domains",
	  SCOPE_WRITE, 0 },
};
API_RESOURCE(dnssec, routes);
