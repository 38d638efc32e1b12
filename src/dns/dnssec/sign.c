/* sign.c -- RRSIGs for RRsets through libdnssec, the keep-or-resign rule, and signing
 * many RRsets on several threads (RFC 4034 3 and 6, RFC 4035 2.2).
 *
 * DESIGN. The data to sign is the RRSIG rdata without its signature followed by the RRset
 * in canonical form (RFC 4034 3.1.8.1); the first part is also the start of the RRSIG
 * that is emitted, so both are laid out once in the context's scratch buffer: header,
 * signer, then every RR as owner | type | class | original TTL | rdlength | rdata in the
 * rdataset's order (libknot keeps rdata sorted canonically, RFC 4034 6.3). libdnssec's
 * signing contexts are per key and not thread-safe, so each thread has a zsign_ctx_t;
 * the keys themselves are shared read-only (Knot's signing threads do the same).
 */
#include "dns/dnssec/sign.h"

#include <gnutls/crypto.h>
#include <libknot/packet/wire.h>
#include <libdnssec/error.h>
#include <libdnssec/sign.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

#define RRSIG_HEADER_SIZE 18 /* type covered .. key tag (RFC 4034 3.1) */

struct zsign_ctx {
	const zsign_policy_t *p;
	dnssec_sign_ctx_t **sign; /* one per key of p */
	uint8_t *buf;             /* RRSIG header + signer + canonical RRset */
	size_t buf_size;
	size_t apex_size;
	/* One RRSIG rdata in knot_rdata_t form: header, signer, signature (RSA 4096 at most). */
	_Alignas(uint16_t) uint8_t rrsig[sizeof(uint16_t) + RRSIG_HEADER_SIZE + KNOT_DNAME_MAXLEN +
					 512 + 1];
};

static bool key_role_signs(uint8_t roles, uint16_t type)
{
	bool is_key_type = type == KNOT_RRTYPE_DNSKEY || type == KNOT_RRTYPE_CDS ||
			   type == KNOT_RRTYPE_CDNSKEY;
	return (roles & (is_key_type ? ZSIGN_KEY_KSK : ZSIGN_KEY_ZSK)) != 0;
}

int zsign_key_init(zsign_key_t *k, const dnssec_key_t *key, uint8_t roles)
{
	if (key == NULL || !dnssec_key_can_sign(key) || (roles & ZSIGN_KEY_CSK) == 0) {
		return ERR_INVAL_ARG;
	}
	*k = (zsign_key_t){ .key = key, .tag = dnssec_key_get_keytag(key),
			    .algorithm = dnssec_key_get_algorithm(key), .roles = roles };
	return ERR_OK;
}

bool zsign_key_signs(const zsign_key_t *k, uint16_t type)
{
	return key_role_signs(k->roles, type);
}

bool zsign_rrset_is_signed(uint16_t type, bool is_cut, bool is_below_cut)
{
	if (type == KNOT_RRTYPE_RRSIG || is_below_cut) {
		return false;
	}
	/* RFC 4035 2.2: at a delegation only DS (and NSEC, not used here) are signed. */
	return !is_cut || type == KNOT_RRTYPE_DS;
}

/* --- the context --------------------------------------------------------------------- */

zsign_ctx_t *zsign_ctx_new(const zsign_policy_t *p)
{
	zsign_ctx_t *c = xcalloc(1, sizeof(*c));
	c->p = p;
	c->apex_size = knot_dname_size(p->apex);
	c->sign = xcalloc(p->key_count ? p->key_count : 1, sizeof(*c->sign));
	for (size_t i = 0; i < p->key_count; i++) {
		if (dnssec_sign_new(&c->sign[i], p->keys[i].key) != DNSSEC_EOK) {
			zsign_ctx_free(c);
			return NULL;
		}
	}
	c->buf_size = 4096;
	c->buf = xmalloc(c->buf_size);
	return c;
}

void zsign_ctx_free(zsign_ctx_t *c)
{
	if (c == NULL) {
		return;
	}
	for (size_t i = 0; i < c->p->key_count; i++) {
		dnssec_sign_free(c->sign[i]);
	}
	free(c->sign);
	free(c->buf);
	free(c);
}

static void buf_reserve(zsign_ctx_t *c, size_t size)
{
	if (size > c->buf_size) {
		while (c->buf_size < size) {
			c->buf_size *= 2;
		}
		c->buf = xrealloc(c->buf, c->buf_size);
	}
}

/* --- canonical form ------------------------------------------------------------------ */

/* RFC 4034 3.1.3: labels of the owner, a leading "*" not counted. */
static uint8_t rrsig_labels(const knot_dname_t *owner)
{
	size_t labels = knot_dname_labels(owner, NULL);
	return (uint8_t)(knot_dname_is_wildcard(owner) ? labels - 1 : labels);
}

static size_t canonical_size(const knot_rrset_t *rrset, size_t owner_size)
{
	size_t size = 0;
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		size += owner_size + 10 + rd->len;
		rd = knot_rdataset_next(rd);
	}
	return size;
}

/* RFC 4034 6.2: owner in lowercase, original TTL; 6.3: the rdataset's order. Writes at
 * out (canonical_size() bytes), returns the bytes written. */
static size_t canonical_write(const knot_rrset_t *rrset, const knot_dname_t *owner_lc,
			      size_t owner_size, uint32_t orig_ttl, uint8_t *out)
{
	uint8_t *w = out;
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		memcpy(w, owner_lc, owner_size);
		w += owner_size;
		knot_wire_write_u16(w, rrset->type);
		knot_wire_write_u16(w + 2, rrset->rclass);
		knot_wire_write_u32(w + 4, orig_ttl);
		knot_wire_write_u16(w + 8, rd->len);
		w += 10;
		memcpy(w, rd->data, rd->len);
		w += rd->len;
		rd = knot_rdataset_next(rd);
	}
	return (size_t)(w - out);
}

/* Spread expirations: a per-RRset offset in [0, jitter] from the owner and type. */
static uint32_t expiration_for(const zsign_policy_t *p, const knot_dname_t *owner_lc,
			       size_t owner_size, uint16_t type)
{
	if (p->jitter == 0) {
		return p->expiration;
	}
	uint32_t h = 2166136261u ^ type; /* FNV-1a: spreading, not security */
	for (size_t i = 0; i < owner_size; i++) {
		h = (h ^ owner_lc[i]) * 16777619u;
	}
	return p->expiration - h % (p->jitter + 1);
}

static int map_dnssec_err(int ret)
{
	return ret == DNSSEC_ENOMEM ? ERR_NOMEM : ERR_INTERNAL;
}

/* --- signing ------------------------------------------------------------------------- */

int zsign_rrset_with(zsign_ctx_t *c, size_t key_index, const knot_rrset_t *rrset,
		     knot_rdataset_t *sigs, knot_mm_t *mm)
{
	const zsign_policy_t *p = c->p;
	if (key_index >= p->key_count || rrset == NULL || rrset->rrs.count == 0) {
		return ERR_INVAL_ARG;
	}
	const zsign_key_t *k = &p->keys[key_index];
	knot_dname_storage_t owner;
	size_t owner_size = knot_dname_store(owner, rrset->owner);
	knot_dname_to_lower(owner);
	if (owner_size == 0 || knot_dname_in_bailiwick(owner, p->apex) < 0) {
		return ERR_INVAL_ARG;
	}

	size_t head = RRSIG_HEADER_SIZE + c->apex_size;
	size_t data = canonical_size(rrset, owner_size);
	buf_reserve(c, head + data);
	uint8_t *w = c->buf;
	knot_wire_write_u16(w, rrset->type); /* RFC 4034 3.1 */
	w[2] = k->algorithm;
	w[3] = rrsig_labels(owner);
	knot_wire_write_u32(w + 4, rrset->ttl);
	knot_wire_write_u32(w + 8, expiration_for(p, owner, owner_size, rrset->type));
	knot_wire_write_u32(w + 12, p->inception);
	knot_wire_write_u16(w + 16, k->tag);
	memcpy(w + RRSIG_HEADER_SIZE, p->apex, c->apex_size); /* RFC 4034 3.1.7: lowercase */
	canonical_write(rrset, owner, owner_size, rrset->ttl, w + head);

	dnssec_sign_ctx_t *s = c->sign[key_index];
	dnssec_binary_t in = { .size = head + data, .data = c->buf };
	dnssec_binary_t sig = { 0 };
	int ret = dnssec_sign_init(s);
	if (ret == DNSSEC_EOK) {
		ret = dnssec_sign_add(s, &in);
	}
	if (ret == DNSSEC_EOK) {
		ret = dnssec_sign_write(s, DNSSEC_SIGN_NORMAL, &sig);
	}
	if (ret != DNSSEC_EOK) {
		return map_dnssec_err(ret);
	}
	size_t rd_len = head + sig.size;
	if (knot_rdata_size((uint16_t)rd_len) > sizeof(c->rrsig) || rd_len > UINT16_MAX) {
		dnssec_binary_free(&sig);
		return ERR_INTERNAL;
	}
	knot_rdata_t *rd = (knot_rdata_t *)(void *)c->rrsig;
	rd->len = (uint16_t)rd_len;
	memcpy(rd->data, c->buf, head);
	memcpy(rd->data + head, sig.data, sig.size);
	dnssec_binary_free(&sig);
	return knot_rdataset_add(sigs, rd, mm) == KNOT_EOK ? ERR_OK : ERR_NOMEM;
}

int zsign_rrset(zsign_ctx_t *c, const knot_rrset_t *rrset, knot_rdataset_t *sigs,
		knot_mm_t *mm)
{
	return zsign_rrset_refresh(c, rrset, false, NULL, sigs, mm, NULL);
}

bool zsign_rrsig_is_reusable(const zsign_policy_t *p, size_t key_index,
			     const knot_rrset_t *rrset, const knot_rdata_t *rrsig)
{
	const zsign_key_t *k = &p->keys[key_index];
	if (rrsig->len < RRSIG_HEADER_SIZE + 1 || knot_rrsig_type_covered(rrsig) != rrset->type ||
	    knot_rrsig_alg(rrsig) != k->algorithm || knot_rrsig_key_tag(rrsig) != k->tag ||
	    knot_rrsig_original_ttl(rrsig) != rrset->ttl ||
	    knot_rrsig_labels(rrsig) != rrsig_labels(rrset->owner)) {
		return false;
	}
	const knot_dname_t *signer = knot_rrsig_signer_name(rrsig);
	size_t max = rrsig->len - RRSIG_HEADER_SIZE;
	if (knot_dname_wire_check(signer, signer + max, NULL) <= 0 ||
	    !knot_dname_is_equal(signer, p->apex)) {
		return false;
	}
	/* RFC 4034 3.1.5: serial arithmetic. Valid now, and not expiring within refresh. */
	int32_t since = (int32_t)(p->now - knot_rrsig_sig_inception(rrsig));
	int32_t left = (int32_t)(knot_rrsig_sig_expiration(rrsig) - p->now);
	return since >= 0 && left > 0 && (uint32_t)left > p->refresh;
}

static const knot_rdata_t *find_reusable(const zsign_policy_t *p, size_t key_index,
					 const knot_rrset_t *rrset,
					 const knot_rdataset_t *old_sigs)
{
	if (old_sigs == NULL) {
		return NULL;
	}
	knot_rdata_t *rd = old_sigs->rdata;
	for (uint16_t i = 0; i < old_sigs->count; i++) {
		if (zsign_rrsig_is_reusable(p, key_index, rrset, rd)) {
			return rd;
		}
		rd = knot_rdataset_next(rd);
	}
	return NULL;
}

int zsign_rrset_refresh(zsign_ctx_t *c, const knot_rrset_t *rrset, bool is_same_data,
			const knot_rdataset_t *old_sigs, knot_rdataset_t *sigs, knot_mm_t *mm,
			size_t *made)
{
	size_t count = 0;
	int ret = ERR_OK;
	for (size_t i = 0; i < c->p->key_count && ret == ERR_OK; i++) {
		if (!zsign_key_signs(&c->p->keys[i], rrset->type)) {
			continue;
		}
		const knot_rdata_t *old =
			is_same_data ? find_reusable(c->p, i, rrset, old_sigs) : NULL;
		if (old != NULL) {
			ret = knot_rdataset_add(sigs, old, mm) == KNOT_EOK ? ERR_OK : ERR_NOMEM;
			continue;
		}
		ret = zsign_rrset_with(c, i, rrset, sigs, mm);
		count += ret == ERR_OK;
	}
	if (made != NULL) {
		*made = count;
	}
	return ret;
}

bool zsign_rdataset_refresh_at(const zsign_policy_t *p, const knot_rdataset_t *sigs,
			       uint32_t *at)
{
	bool has = false;
	int32_t soonest = INT32_MAX; /* relative to p->now, serial arithmetic */
	knot_rdata_t *rd = sigs->rdata;
	for (uint16_t i = 0; i < sigs->count; i++) {
		int32_t left = (int32_t)(knot_rrsig_sig_expiration(rd) - p->refresh - p->now);
		if (left < soonest) {
			soonest = left;
		}
		has = true;
		rd = knot_rdataset_next(rd);
	}
	*at = has ? p->now + (uint32_t)soonest : 0;
	return has;
}

/* --- comparing and digesting signed data ---------------------------------------------- */

bool zsign_rrset_same(const knot_rrset_t *a, const knot_rrset_t *b)
{
	return a->type == b->type && a->rclass == b->rclass && a->ttl == b->ttl &&
	       knot_dname_is_case_equal(a->owner, b->owner) && knot_rdataset_eq(&a->rrs, &b->rrs);
}

int zsign_rrset_digest(const knot_rrset_t *rrset, zsign_digest_t *out)
{
	knot_dname_storage_t owner;
	size_t owner_size = knot_dname_store(owner, rrset->owner);
	knot_dname_to_lower(owner);
	gnutls_hash_hd_t h;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		return ERR_INTERNAL;
	}
	uint8_t head[10];
	knot_rdata_t *rd = rrset->rrs.rdata;
	for (uint16_t i = 0; i < rrset->rrs.count; i++) {
		knot_wire_write_u16(head, rrset->type);
		knot_wire_write_u16(head + 2, rrset->rclass);
		knot_wire_write_u32(head + 4, rrset->ttl);
		knot_wire_write_u16(head + 8, rd->len);
		gnutls_hash(h, owner, owner_size);
		gnutls_hash(h, head, sizeof(head));
		gnutls_hash(h, rd->data, rd->len);
		rd = knot_rdataset_next(rd);
	}
	uint8_t full[32];
	gnutls_hash_deinit(h, full);
	memcpy(out->b, full, sizeof(out->b));
	return ERR_OK;
}

/* --- verifying ------------------------------------------------------------------------ */

int zsign_rrset_verify(const knot_rrset_t *rrset, const knot_rdata_t *rrsig,
		       const dnssec_key_t *key)
{
	if (rrset->rrs.count == 0 || rrsig->len <= RRSIG_HEADER_SIZE ||
	    knot_rrsig_type_covered(rrsig) != rrset->type ||
	    knot_rrsig_key_tag(rrsig) != dnssec_key_get_keytag(key) ||
	    knot_rrsig_alg(rrsig) != dnssec_key_get_algorithm(key)) {
		return ERR_INVALID;
	}
	const knot_dname_t *signer = knot_rrsig_signer_name(rrsig);
	int signer_size = knot_dname_wire_check(signer, rrsig->data + rrsig->len, NULL);
	if (signer_size <= 0) {
		return ERR_INVALID;
	}
	size_t head = RRSIG_HEADER_SIZE + (size_t)signer_size;
	/* RFC 4035 5.3.2: an owner with more labels than the RRSIG says was expanded from
	 * the wildcard "*." + its rightmost `labels` labels. */
	knot_dname_storage_t owner;
	size_t labels = knot_dname_labels(rrset->owner, NULL);
	uint8_t rl = knot_rrsig_labels(rrsig);
	const knot_dname_t *src = rrset->owner;
	size_t owner_size;
	if (rl < labels) {
		for (size_t i = 0; i < labels - rl; i++) {
			src = knot_wire_next_label(src, NULL);
		}
		size_t src_size = knot_dname_size(src);
		if (src_size + 2 > sizeof(owner)) {
			return ERR_INVALID;
		}
		owner[0] = 1;
		owner[1] = '*';
		memcpy(owner + 2, src, src_size);
		owner_size = 2 + src_size;
	} else {
		owner_size = knot_dname_store(owner, src);
	}
	knot_dname_to_lower(owner);

	size_t data = canonical_size(rrset, owner_size);
	uint8_t *buf = xmalloc(head + data);
	memcpy(buf, rrsig->data, head);
	canonical_write(rrset, owner, owner_size, knot_rrsig_original_ttl(rrsig), buf + head);
	dnssec_sign_ctx_t *s = NULL;
	int ret = dnssec_sign_new(&s, key);
	if (ret == DNSSEC_EOK) {
		dnssec_binary_t in = { .size = head + data, .data = buf };
		ret = dnssec_sign_add(s, &in);
	}
	if (ret == DNSSEC_EOK) {
		dnssec_binary_t sig = { .size = rrsig->len - head,
					.data = (uint8_t *)rrsig->data + head };
		ret = dnssec_sign_verify(s, false, &sig);
	}
	dnssec_sign_free(s);
	free(buf);
	if (ret == DNSSEC_INVALID_SIGNATURE) {
		return ERR_INVALID;
	}
	return ret == DNSSEC_EOK ? ERR_OK : map_dnssec_err(ret);
}

/* --- several threads ------------------------------------------------------------------ */

enum { RUN_CHUNK = 64, RUN_MAX_THREADS = 64 };

typedef struct run_state {
	const zsign_policy_t *p;
	zsign_job_t *jobs;
	size_t count;
	atomic_size_t next;
	atomic_int err;
	atomic_size_t made;
} run_state_t;

static void *run_worker(void *arg)
{
	run_state_t *st = arg;
	zsign_ctx_t *c = zsign_ctx_new(st->p);
	if (c == NULL) {
		atomic_store(&st->err, ERR_INTERNAL);
		return NULL;
	}
	size_t made = 0;
	for (;;) {
		size_t from = atomic_fetch_add(&st->next, RUN_CHUNK);
		if (from >= st->count || atomic_load(&st->err) != ERR_OK) {
			break;
		}
		size_t to = from + RUN_CHUNK < st->count ? from + RUN_CHUNK : st->count;
		for (size_t i = from; i < to; i++) {
			zsign_job_t *j = &st->jobs[i];
			size_t n = 0;
			int ret = zsign_rrset_refresh(c, j->rrset, j->is_same_data, j->old_sigs,
						      &j->sigs, NULL, &n);
			made += n;
			if (ret != ERR_OK) {
				int ok = ERR_OK;
				atomic_compare_exchange_strong(&st->err, &ok, ret);
				break;
			}
		}
	}
	atomic_fetch_add(&st->made, made);
	zsign_ctx_free(c);
	return NULL;
}

int zsign_run(const zsign_policy_t *p, zsign_job_t *jobs, size_t count, unsigned threads,
	      size_t *made)
{
	run_state_t st = { .p = p, .jobs = jobs, .count = count };
	atomic_init(&st.next, 0);
	atomic_init(&st.err, ERR_OK);
	atomic_init(&st.made, 0);
	if (threads < 1) {
		threads = 1;
	}
	if (threads > RUN_MAX_THREADS) {
		threads = RUN_MAX_THREADS;
	}
	pthread_t tids[RUN_MAX_THREADS];
	unsigned started = 0;
	for (unsigned i = 1; i < threads; i++) {
		if (pthread_create(&tids[started], NULL, run_worker, &st) == 0) {
			started++;
		}
	}
	run_worker(&st); /* the caller's thread is one of them */
	for (unsigned i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
	}
	if (made != NULL) {
		*made = atomic_load(&st.made);
	}
	return atomic_load(&st.err);
}

/* --- apex key RRsets ------------------------------------------------------------------ */

static int add_binary(knot_rdataset_t *rrs, const dnssec_binary_t *bin, knot_mm_t *mm)
{
	if (bin->size > UINT16_MAX) {
		return ERR_INTERNAL;
	}
	knot_rdata_t *rd = xmalloc(knot_rdata_size((uint16_t)bin->size));
	knot_rdata_init(rd, (uint16_t)bin->size, bin->data);
	int ret = knot_rdataset_add(rrs, rd, mm);
	free(rd);
	return ret == KNOT_EOK ? ERR_OK : ERR_NOMEM;
}

int zsign_apex_keys(const zsign_policy_t *p, knot_rdataset_t *dnskey, knot_rdataset_t *cdnskey,
		    knot_rdataset_t *cds, knot_mm_t *mm)
{
	for (size_t i = 0; i < p->key_count; i++) {
		const zsign_key_t *k = &p->keys[i];
		dnssec_binary_t rdata = { 0 };
		if (dnssec_key_get_rdata(k->key, &rdata) != DNSSEC_EOK) {
			return ERR_INTERNAL;
		}
		int ret = add_binary(dnskey, &rdata, mm);
		if (ret != ERR_OK || !(k->roles & ZSIGN_KEY_KSK)) {
			if (ret != ERR_OK) {
				return ret;
			}
			continue;
		}
		ret = add_binary(cdnskey, &rdata, mm); /* RFC 7344 3.2 */
		if (ret != ERR_OK) {
			return ret;
		}
		dnssec_binary_t ds = { 0 };
		if (dnssec_key_create_ds(k->key, DNSSEC_KEY_DIGEST_SHA256, &ds) != DNSSEC_EOK) {
			return ERR_INTERNAL;
		}
		ret = add_binary(cds, &ds, mm); /* RFC 7344 3.1 */
		dnssec_binary_free(&ds);
		if (ret != ERR_OK) {
			return ret;
		}
	}
	return ERR_OK;
}
