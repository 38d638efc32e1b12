/* dnssec_testkey.h -- throwaway DNSSEC keys for tests and tools: generated with libdnssec's
 * PKCS #8 key store in a temporary directory (dns/dnssec/keys.c is the product's way). */
#pragma once

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/key.h>
#include <libdnssec/keystore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int testkey_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A new signing key: algorithm 13 or 15, flags 257 (KSK/CSK) or 256 (ZSK), owner apex
 * (wire). NULL on failure. Free with dnssec_key_free(). */
static inline dnssec_key_t *testkey_new(uint8_t algorithm, uint16_t flags, const uint8_t *apex)
{
	char dir[] = "/tmp/np-testkey-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		return NULL;
	}
	dnssec_keystore_t *store = NULL;
	dnssec_key_t *key = NULL;
	char *id = NULL;
	int ret = dnssec_keystore_init_pkcs8(&store);
	if (ret == DNSSEC_EOK) {
		ret = dnssec_keystore_init(store, dir);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_keystore_open(store, dir);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_keystore_generate(store, algorithm,
					       (unsigned)dnssec_algorithm_key_size_default(algorithm),
					       NULL, &id);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_key_new(&key);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_key_set_algorithm(key, algorithm);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_keystore_get_private(store, id, key);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_key_set_flags(key, flags);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_key_set_dname(key, apex);
	}
	free(id);
	if (store != NULL) {
		dnssec_keystore_close(store);
		dnssec_keystore_deinit(store);
	}
	nftw(dir, testkey_rm, 8, FTW_DEPTH | FTW_PHYS);
	if (ret != DNSSEC_EOK) {
		dnssec_key_free(key);
		return NULL;
	}
	return key;
}
