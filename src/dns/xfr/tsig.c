/* tsig.c -- TSIG (RFC 8945) for transfers and NOTIFY: the keyring read from the store,
 * verifying a request, signing answers (one message, or every message of a TCP answer).
 *
 * DESIGN. The HMAC work is libknot's (tsig-op.h: knot_tsig_server_check, knot_tsig_sign,
 * knot_tsig_sign_next); this file finds the key and keeps the state between messages.
 * The keyring is an immutable array the background thread rebuilds when the store's keys
 * change (polled every second: keys are few and rarely change) and publishes with one
 * atomic pointer; readers are the DNS workers, which are QSBR readers of the zone db, so
 * the old keyring goes through zdb_retire(). A request's key is copied into its
 * xfr_tsig_t, which then owns everything it needs (a transfer keeps signing long after
 * the query's quiescent point).
 */
#include <libdnssec/tsig.h>
#include <libknot/tsig-op.h>
#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "dns/xfr/xfr_internal.h"

/* The algorithms keys may have (RFC 8945 6: SHA-256 is the one to implement). */
int xfr_tsig_algorithm(const char *name)
{
	if (name == NULL) {
		return DNSSEC_TSIG_UNKNOWN;
	}
	if (strcmp(name, "hmac-sha256") == 0) {
		return DNSSEC_TSIG_HMAC_SHA256;
	}
	if (strcmp(name, "hmac-sha512") == 0) {
		return DNSSEC_TSIG_HMAC_SHA512;
	}
	return DNSSEC_TSIG_UNKNOWN;
}

static bool key_decode(const store_tsig_key_t *in, keyring_key_t *out)
{
	char name[XFR_KEY_TEXT + 1];
	if (!acl_key_norm(in->name, strlen(in->name), out->text)) {
		return false;
	}
	snprintf(name, sizeof(name), "%s.", out->text);
	if (knot_dname_from_str(out->name, name, sizeof(out->name)) == NULL) {
		return false;
	}
	knot_dname_to_lower(out->name);
	out->algorithm = xfr_tsig_algorithm(in->algorithm);
	if (out->algorithm == DNSSEC_TSIG_UNKNOWN) {
		return false;
	}
	size_t size = 0;
	if (sodium_base642bin(out->secret, sizeof(out->secret), in->secret, strlen(in->secret),
			      " \t\r\n", &size, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		return false;
	}
	out->secret_size = size;
	return size > 0;
}

int keyring_load(store_t *st, keyring_t **out)
{
	arena_t a;
	arena_init(&a, 0);
	store_tsig_key_t *keys = NULL;
	size_t n = 0;
	int ret = store_tsig_key_list(st, &a, &keys, &n);
	if (ret != ERR_OK) {
		arena_clear(&a);
		return ret;
	}
	keyring_t *k = xcalloc(1, sizeof(*k) + n * sizeof(keyring_key_t));
	for (size_t i = 0; i < n; i++) {
		if (key_decode(&keys[i], &k->keys[k->count])) {
			k->count++;
		} else {
			log_warn("dns, TSIG key %s left out (bad name, algorithm or secret)",
				 keys[i].name);
		}
	}
	arena_clear(&a);
	*out = k;
	return ERR_OK;
}

bool keyring_equal(const keyring_t *a, const keyring_t *b)
{
	if (a == NULL || b == NULL || a->count != b->count) {
		return a == b;
	}
	for (size_t i = 0; i < a->count; i++) {
		const keyring_key_t *x = &a->keys[i], *y = &b->keys[i];
		if (strcmp(x->text, y->text) != 0 || x->algorithm != y->algorithm ||
		    x->secret_size != y->secret_size ||
		    memcmp(x->secret, y->secret, x->secret_size) != 0) {
			return false;
		}
	}
	return true;
}

const keyring_key_t *keyring_find_text(const keyring_t *k, const char *name)
{
	for (size_t i = 0; k != NULL && i < k->count; i++) {
		if (strcmp(k->keys[i].text, name) == 0) {
			return &k->keys[i];
		}
	}
	return NULL;
}

static const keyring_key_t *find_wire(const keyring_t *k, const knot_dname_t *name)
{
	for (size_t i = 0; k != NULL && i < k->count; i++) {
		if (knot_dname_is_case_equal(k->keys[i].name, name)) {
			return &k->keys[i];
		}
	}
	return NULL;
}

void tsig_from_key(xfr_tsig_t *t, const keyring_key_t *k)
{
	memcpy(t->_name, k->name, knot_dname_size(k->name));
	memcpy(t->_secret, k->secret, k->secret_size);
	t->_secret_size = k->secret_size;
	t->algorithm = k->algorithm;
	snprintf(t->key_name, sizeof(t->key_name), "%s", k->text);
}

void tsig_key_view(const xfr_tsig_t *t, knot_tsig_key_t *key)
{
	key->algorithm = (dnssec_tsig_algorithm_t)t->algorithm;
	key->name = (knot_dname_t *)t->_name;
	key->secret.data = (uint8_t *)t->_secret;
	key->secret.size = t->_secret_size;
}

uint16_t xfr_tsig_verify(const xfr_t *x, const uint8_t *wire, size_t size, xfr_tsig_t *t,
			 knot_mm_t *mm)
{
	memset(t, 0, offsetof(xfr_tsig_t, _name));
	/* libknot verifies the message as it was before the TSIG RR was added: parse a copy
	 * the usual way, which strips the RR and lowers ARCOUNT (the input stays as it is). */
	uint8_t *copy = mm->alloc(mm->ctx, size);
	knot_pkt_t *p = copy != NULL ? knot_pkt_new(copy, (uint16_t)size, mm) : NULL;
	if (p == NULL) {
		return KNOT_RCODE_SERVFAIL;
	}
	memcpy(copy, wire, size);
	if (knot_pkt_parse(p, 0) != KNOT_EOK || p->tsig_rr == NULL) {
		return KNOT_RCODE_FORMERR;
	}
	const knot_rrset_t *rr = p->tsig_rr;
	t->time_signed = knot_tsig_rdata_time_signed(rr);
	knot_dname_t owner[KNOT_DNAME_MAXLEN];
	memcpy(owner, rr->owner, knot_dname_size(rr->owner));
	knot_dname_to_lower(owner);
	const keyring_key_t *k =
		find_wire(x != NULL ? atomic_load_explicit(&((xfr_t *)x)->keys,
							    memory_order_acquire)
				    : NULL,
			  owner);
	if (k == NULL || (int)knot_tsig_rdata_alg(rr) != k->algorithm) {
		t->error = KNOT_RCODE_BADKEY; /* RFC 8945 5.2.2: answered unsigned */
		return KNOT_RCODE_NOTAUTH;
	}
	tsig_from_key(t, k);
	knot_tsig_key_t key;
	tsig_key_view(t, &key);
	int ret = knot_tsig_server_check(rr, p->wire, p->size, &key);
	size_t mac_size = knot_tsig_rdata_mac_length(rr);
	if (mac_size <= sizeof(t->digest)) {
		memcpy(t->digest, knot_tsig_rdata_mac(rr), mac_size);
		t->digest_size = mac_size;
	}
	switch (ret) {
	case KNOT_EOK:
		t->is_signed = true;
		return KNOT_RCODE_NOERROR;
	case KNOT_TSIG_EBADTIME:
		t->error = KNOT_RCODE_BADTIME; /* RFC 8945 5.2.3: signed, with our time */
		return KNOT_RCODE_NOTAUTH;
	case KNOT_TSIG_EBADKEY:
		t->error = KNOT_RCODE_BADKEY;
		return KNOT_RCODE_NOTAUTH;
	case KNOT_EMALF:
		return KNOT_RCODE_FORMERR;
	default: /* RFC 8945 5.2.1: a MAC that does not verify (or is cut short) */
		t->error = KNOT_RCODE_BADSIG;
		return KNOT_RCODE_NOTAUTH;
	}
}

size_t xfr_tsig_reserve(const xfr_tsig_t *t)
{
	knot_tsig_key_t key;
	tsig_key_view(t, &key);
	return knot_tsig_wire_maxsize(&key);
}

int xfr_tsig_sign(xfr_tsig_t *t, uint8_t *wire, size_t *size, size_t max)
{
	knot_tsig_key_t key;
	tsig_key_view(t, &key);
	uint8_t mac[XFR_TSIG_DIGEST_MAX];
	size_t mac_size = sizeof(mac);
	int ret;
	if (t->count == 0) {
		ret = knot_tsig_sign(wire, size, max, t->digest_size > 0 ? t->digest : NULL,
				     t->digest_size, mac, &mac_size, &key, t->error, t->time_signed);
	} else {
		ret = knot_tsig_sign_next(wire, size, max, t->digest, t->digest_size, mac,
					  &mac_size, &key, wire, *size);
	}
	if (ret == KNOT_EOK) {
		memcpy(t->digest, mac, mac_size);
		t->digest_size = mac_size;
		t->count++;
	}
	return ret;
}
