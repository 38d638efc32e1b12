/* keys.c -- DNSSEC key pairs (libdnssec over GnuTLS) and their sealing with the deployment
 * secret (libsodium).
 *
 * DESIGN: a key pair lives as two byte strings, the DNSKEY RDATA (public, stored and
 * served as is) and the PKCS#8 PEM of the private key (what libdnssec loads to sign, and
 * what Knot's own keystore keeps), so nothing of ours parses key material: GnuTLS makes
 * the key, libdnssec turns the PEM into a key that signs and derives the DNSKEY. The PEM
 * is sealed with crypto_secretbox under a 32-byte deployment secret before it reaches the
 * store; a copy of the database without the secret file holds no usable private key.
 * Plain PEM lives only in heap memory that is wiped before it is freed.
 * DS digests are computed here (GnuTLS hashes) rather than by dnssec_key_create_ds(), so
 * that a DNSKEY of any algorithm, not only one libdnssec can load, gets its DS.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libdnssec/crypto.h>
#include <libdnssec/error.h>
#include <libdnssec/keytag.h>
#include <libdnssec/pem.h>
#include <libknot/libknot.h>
#include <sodium.h>

#include "core/err.h"
#include "core/mem.h"
#include "dns/dnssec/dnssec.h"

#define SEAL_VERSION 1

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = ERR_INTERNAL;

static void on_init(void)
{
	dnssec_crypto_init();
	init_result = sodium_init() >= 0 ? ERR_OK : ERR_INTERNAL;
}

int dnskey_init(void)
{
	pthread_once(&init_once, on_init);
	return init_result;
}

bool dnskey_algorithm_is_supported(uint8_t algorithm)
{
	return algorithm == DNSKEY_ALG_ECDSAP256SHA256 || algorithm == DNSKEY_ALG_ED25519;
}

void dnskey_clear(dnskey_pair_t *k)
{
	if (k == NULL) {
		return;
	}
	if (k->pem != NULL) {
		sodium_memzero(k->pem, k->pem_size);
	}
	free(k->pem);
	free(k->rdata);
	memset(k, 0, sizeof(*k));
}

/* A libdnssec key with algorithm and flags set and the private key loaded from PEM. */
static int key_from_pem(const char *pem, size_t pem_size, uint8_t algorithm, uint16_t flags,
			dnssec_key_t **out)
{
	dnssec_key_t *key = NULL;
	if (dnssec_key_new(&key) != DNSSEC_EOK) {
		return ERR_NOMEM;
	}
	dnssec_binary_t b = { .size = pem_size, .data = (uint8_t *)pem };
	if (dnssec_key_set_algorithm(key, algorithm) != DNSSEC_EOK ||
	    dnssec_key_set_flags(key, flags) != DNSSEC_EOK ||
	    dnssec_key_load_pkcs8(key, &b) != DNSSEC_EOK) {
		dnssec_key_free(key);
		return ERR_PARSE;
	}
	*out = key;
	return ERR_OK;
}

int dnskey_from_pem(const char *pem, size_t pem_size, uint8_t algorithm, uint16_t flags,
		    dnskey_pair_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!dnskey_algorithm_is_supported(algorithm) || dnskey_init() != ERR_OK) {
		return ERR_PARSE;
	}
	dnssec_key_t *key = NULL;
	int ret = key_from_pem(pem, pem_size, algorithm, flags, &key);
	if (ret != ERR_OK) {
		return ret;
	}
	dnssec_binary_t rdata = { 0 };
	if (dnssec_key_get_rdata(key, &rdata) != DNSSEC_EOK || rdata.size == 0) {
		dnssec_key_free(key);
		return ERR_PARSE;
	}
	out->algorithm = algorithm;
	out->flags = flags;
	out->keytag = dnssec_key_get_keytag(key);
	out->rdata = xmalloc(rdata.size);
	memcpy(out->rdata, rdata.data, rdata.size);
	out->rdata_size = rdata.size;
	out->pem = xmalloc(pem_size + 1);
	memcpy(out->pem, pem, pem_size);
	out->pem[pem_size] = '\0';
	out->pem_size = pem_size;
	dnssec_key_free(key);
	return ERR_OK;
}

int dnskey_generate(uint8_t algorithm, uint16_t flags, dnskey_pair_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!dnskey_algorithm_is_supported(algorithm)) {
		return ERR_INVAL_ARG;
	}
	if (dnskey_init() != ERR_OK) {
		return ERR_INTERNAL;
	}
	bool is_ecdsa = algorithm == DNSKEY_ALG_ECDSAP256SHA256;
	gnutls_pk_algorithm_t pk = is_ecdsa ? GNUTLS_PK_ECDSA : GNUTLS_PK_EDDSA_ED25519;
	unsigned bits = GNUTLS_CURVE_TO_BITS(is_ecdsa ? GNUTLS_ECC_CURVE_SECP256R1
						      : GNUTLS_ECC_CURVE_ED25519);
	gnutls_x509_privkey_t x = NULL;
	dnssec_binary_t pem = { 0 };
	int ret = ERR_INTERNAL;
	if (gnutls_x509_privkey_init(&x) == GNUTLS_E_SUCCESS &&
	    gnutls_x509_privkey_generate(x, pk, bits, 0) == GNUTLS_E_SUCCESS &&
	    dnssec_pem_from_x509(x, &pem) == DNSSEC_EOK) {
		ret = dnskey_from_pem((const char *)pem.data, pem.size, algorithm, flags, out);
		ret = ret == ERR_OK ? ERR_OK : ERR_INTERNAL;
	}
	if (pem.data != NULL) {
		sodium_memzero(pem.data, pem.size);
	}
	dnssec_binary_free(&pem);
	gnutls_x509_privkey_deinit(x);
	return ret;
}

int dnskey_load(const dnskey_pair_t *k, const char *zone_name, dnssec_key_t **out)
{
	if (dnskey_init() != ERR_OK) {
		return ERR_INTERNAL;
	}
	knot_dname_storage_t owner;
	if (knot_dname_from_str(owner, zone_name, sizeof(owner)) == NULL) {
		return ERR_INVALID;
	}
	knot_dname_to_lower(owner);
	dnssec_key_t *key = NULL;
	int ret = key_from_pem(k->pem, k->pem_size, k->algorithm, k->flags, &key);
	if (ret == ERR_OK && dnssec_key_set_dname(key, owner) != DNSSEC_EOK) {
		dnssec_key_free(key);
		ret = ERR_NOMEM;
	}
	*out = ret == ERR_OK ? key : NULL;
	return ret;
}

int dnskey_tag(const uint8_t *rdata, size_t size, uint16_t *tag)
{
	dnssec_binary_t b = { .size = size, .data = (uint8_t *)rdata };
	return size > 4 && dnssec_keytag(&b, tag) == DNSSEC_EOK ? ERR_OK : ERR_PARSE;
}

int dnskey_rdata(uint16_t flags, uint8_t algorithm, const uint8_t *public_key, size_t key_size,
		 uint8_t **out, size_t *out_size)
{
	if (key_size == 0 || key_size > 65535 - 4) {
		return ERR_INVAL_ARG;
	}
	uint8_t *r = xmalloc(4 + key_size);
	r[0] = (uint8_t)(flags >> 8);
	r[1] = (uint8_t)flags;
	r[2] = DNSKEY_PROTOCOL;
	r[3] = algorithm;
	memcpy(r + 4, public_key, key_size);
	*out = r;
	*out_size = 4 + key_size;
	return ERR_OK;
}

int dnskey_digest(const char *owner, const uint8_t *rdata, size_t size, uint8_t digest_type,
		  uint8_t *digest, size_t *digest_size)
{
	gnutls_digest_algorithm_t alg = digest_type == DNSKEY_DIGEST_SHA256   ? GNUTLS_DIG_SHA256
					: digest_type == DNSKEY_DIGEST_SHA384 ? GNUTLS_DIG_SHA384
									      : GNUTLS_DIG_UNKNOWN;
	if (alg == GNUTLS_DIG_UNKNOWN) {
		return ERR_INVAL_ARG;
	}
	knot_dname_storage_t name;
	if (size <= 4 || size > 65535 || knot_dname_from_str(name, owner, sizeof(name)) == NULL) {
		return ERR_PARSE;
	}
	knot_dname_to_lower(name); /* RFC 4034 6.2: the canonical form */
	size_t name_size = knot_dname_size(name);
	uint8_t *buf = xmalloc(name_size + size);
	memcpy(buf, name, name_size);
	memcpy(buf + name_size, rdata, size);
	int rc = gnutls_hash_fast(alg, buf, name_size + size, digest); /* RFC 4034 5.1.4 */
	free(buf);
	if (rc != GNUTLS_E_SUCCESS) {
		return ERR_INTERNAL;
	}
	*digest_size = gnutls_hash_get_len(alg);
	return ERR_OK;
}

int dnskey_ds(const char *owner, const uint8_t *rdata, size_t size, uint8_t digest_type,
	      uint8_t *out, size_t *out_size)
{
	uint16_t tag = 0;
	size_t n = 0;
	int ret = dnskey_tag(rdata, size, &tag);
	if (ret == ERR_OK) {
		ret = dnskey_digest(owner, rdata, size, digest_type, out + 4, &n);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	out[0] = (uint8_t)(tag >> 8); /* RFC 4034 5.1 */
	out[1] = (uint8_t)tag;
	out[2] = rdata[3];
	out[3] = digest_type;
	*out_size = 4 + n;
	return ERR_OK;
}

/* ------------------------------------------------------------------ the secret */

void dnskey_secret_clear(dnskey_secret_t *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* Write a new secret beside path and link it into place; EEXIST (another process was
 * first) is fine: the caller reads whichever file won. */
static int secret_create(const char *path)
{
	size_t n = strlen(path) + sizeof(".XXXXXX");
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.XXXXXX", path);
	int fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		free(tmp);
		return -errno;
	}
	uint8_t key[DNSKEY_SECRET_SIZE];
	randombytes_buf(key, sizeof(key));
	errno = 0;
	int ret = write(fd, key, sizeof(key)) == (ssize_t)sizeof(key) && fsync(fd) == 0 ? ERR_OK
	       : errno != 0 ? -errno : ERR_IO;
	sodium_memzero(key, sizeof(key));
	close(fd);
	if (ret == ERR_OK && link(tmp, path) != 0 && errno != EEXIST) {
		ret = -errno;
	}
	unlink(tmp);
	free(tmp);
	return ret;
}

int dnskey_secret_load(const char *path, bool may_create, dnskey_secret_t *out)
{
	memset(out, 0, sizeof(*out));
	if (dnskey_init() != ERR_OK) {
		return ERR_INTERNAL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && may_create) {
		int ret = secret_create(path);
		if (ret != ERR_OK) {
			return ret;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		return errno == ENOENT ? ERR_NOTFOUND : -errno;
	}
	struct stat st;
	int ret = fstat(fd, &st) == 0 ? ERR_OK : -errno;
	if (ret == ERR_OK && (st.st_size != DNSKEY_SECRET_SIZE || (st.st_mode & 077) != 0)) {
		ret = ERR_INVALID;
	}
	if (ret == ERR_OK && read(fd, out->key, sizeof(out->key)) != (ssize_t)sizeof(out->key)) {
		ret = ERR_IO;
	}
	close(fd);
	if (ret != ERR_OK) {
		dnskey_secret_clear(out);
	}
	return ret;
}

int dnskey_seal(const dnskey_secret_t *s, const uint8_t *plain, size_t size, uint8_t **out,
		size_t *out_size)
{
	size_t n = DNSKEY_SEAL_OVERHEAD + size;
	uint8_t *b = xmalloc(n);
	b[0] = SEAL_VERSION;
	uint8_t *nonce = b + 1;
	randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, plain, size, nonce, s->key);
	*out = b;
	*out_size = n;
	return ERR_OK;
}

int dnskey_unseal(const dnskey_secret_t *s, const uint8_t *sealed, size_t size, uint8_t **out,
		  size_t *out_size)
{
	*out = NULL;
	*out_size = 0;
	if (size < DNSKEY_SEAL_OVERHEAD || sealed[0] != SEAL_VERSION) {
		return ERR_PARSE;
	}
	size_t n = size - DNSKEY_SEAL_OVERHEAD;
	const uint8_t *nonce = sealed + 1;
	uint8_t *p = xmalloc(n + 1);
	const uint8_t *box = nonce + crypto_secretbox_NONCEBYTES;
	size_t box_size = size - 1 - crypto_secretbox_NONCEBYTES;
	if (crypto_secretbox_open_easy(p, box, box_size, nonce, s->key) != 0) {
		free(p);
		return ERR_DENIED;
	}
	p[n] = '\0';
	*out = p;
	*out_size = n;
	return ERR_OK;
}

void dnskey_plain_free(uint8_t *p, size_t size)
{
	if (p != NULL) {
		sodium_memzero(p, size);
		free(p);
	}
}
