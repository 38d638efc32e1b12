/* nsec3.c -- NSEC3 hashes, chains and the proofs of nonexistence (RFC 5155, RFC 9276).
 *
 * DESIGN. The product uses RFC 9276's parameters only: SHA-1, 0 extra iterations, empty
 * salt, no opt-out, so the hash of a name is one SHA-1 of its lowercase wire form. At
 * query time that is gnutls_hash_fast() (the library under libdnssec) on the stack:
 * dnssec_nsec3_hash() allocates its output and a hash context per call, which is fine
 * for building a chain but not for answering. A chain is two parallel arrays sorted by
 * hash (hashes and their NSEC3 RRsets); the proof functions binary-search the hashes only
 * and return indexes, so the zone db may keep the RRsets (and their RRSIGs) as it likes.
 */
#include "dns/dnssec/sign.h"

#include <gnutls/crypto.h>
#include <libdnssec/error.h>
#include <libknot/packet/wire.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

/* RFC 5155 3.2 / 4.2: alg SHA-1, flags 0 (no opt-out), iterations 0, salt length 0. */
static const uint8_t param_rdata[] = { 1, 0, 0, 0, 0 };

const uint8_t *nsec3_param_rdata(uint16_t *size)
{
	*size = sizeof(param_rdata);
	return param_rdata;
}

int nsec3_hash(const knot_dname_t *name, nsec3_hash_t *out)
{
	size_t size = knot_dname_size(name);
	return gnutls_hash_fast(GNUTLS_DIG_SHA1, name, size, out->b) == 0 ? ERR_OK : ERR_INTERNAL;
}

int nsec3_hash_params(const knot_dname_t *name, const dnssec_nsec3_params_t *params,
		      nsec3_hash_t *out)
{
	if (params->algorithm != DNSSEC_NSEC3_ALGORITHM_SHA1) {
		return ERR_INVAL_ARG;
	}
	dnssec_binary_t in = { .size = knot_dname_size(name), .data = (uint8_t *)name };
	dnssec_binary_t hash = { 0 };
	int ret = dnssec_nsec3_hash(&in, params, &hash);
	if (ret != DNSSEC_EOK || hash.size != NSEC3_HASH_SIZE) {
		dnssec_binary_free(&hash);
		return ERR_INTERNAL;
	}
	memcpy(out->b, hash.data, NSEC3_HASH_SIZE);
	dnssec_binary_free(&hash);
	return ERR_OK;
}

/* RFC 4648 7, lowercase (RFC 5155 3.3). Written here because neither libknot nor
 * libdnssec exports its base32hex encoder: 20 bytes are exactly 32 characters. */
static void base32hex(const uint8_t in[NSEC3_HASH_SIZE], uint8_t out[NSEC3_B32_LEN])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	for (size_t g = 0; g < NSEC3_HASH_SIZE / 5; g++) {
		const uint8_t *b = in + 5 * g;
		uint64_t v = ((uint64_t)b[0] << 32) | ((uint64_t)b[1] << 24) |
			     ((uint64_t)b[2] << 16) | ((uint64_t)b[3] << 8) | b[4];
		for (size_t i = 0; i < 8; i++) {
			out[8 * g + i] = (uint8_t)digits[(v >> (35 - 5 * i)) & 31];
		}
	}
}

int nsec3_owner(const nsec3_hash_t *h, const knot_dname_t *apex, knot_dname_t *out)
{
	size_t apex_size = knot_dname_size(apex);
	if (1 + NSEC3_B32_LEN + apex_size > KNOT_DNAME_MAXLEN) {
		return ERR_INVAL_ARG;
	}
	out[0] = NSEC3_B32_LEN;
	base32hex(h->b, out + 1);
	memcpy(out + 1 + NSEC3_B32_LEN, apex, apex_size);
	return ERR_OK;
}

/* --- one NSEC3 rdata ------------------------------------------------------------------- */

/* Where an NSEC3 rdata's type bitmaps start (RFC 5155 3.2), or 0 when malformed. */
static size_t bitmap_offset(const knot_rdata_t *rd)
{
	if (rd->len < 6) {
		return 0;
	}
	size_t off = 5 + (size_t)rd->data[4];         /* after the salt */
	if (off >= rd->len) {
		return 0;
	}
	off += 1 + (size_t)rd->data[off];             /* after the next hashed owner */
	return off <= rd->len ? off : 0;
}

/* The bitmaps in[0 .. size) without the types drop[0 .. n) into out (at most size
 * bytes): trailing zero octets and empty windows left out (RFC 5155 3.2.1). Returns the
 * bytes written, or SIZE_MAX when in is malformed. */
static size_t bitmap_without(const uint8_t *in, size_t size, const uint16_t *drop, size_t n,
			     uint8_t *out)
{
	size_t w = 0;
	for (size_t r = 0; r < size;) {
		if (r + 2 > size || in[r + 1] == 0 || in[r + 1] > 32 || r + 2 + in[r + 1] > size) {
			return SIZE_MAX;
		}
		uint8_t window = in[r], len = in[r + 1], bits[32];
		memcpy(bits, in + r + 2, len);
		for (size_t i = 0; i < n; i++) {
			size_t byte = (drop[i] & 0xff) >> 3;
			if ((drop[i] >> 8) == window && byte < len) {
				bits[byte] &= (uint8_t)~(0x80 >> (drop[i] & 7));
			}
		}
		r += 2 + (size_t)in[r + 1];
		while (len > 0 && bits[len - 1] == 0) {
			len--;
		}
		if (len > 0) {
			out[w] = window;
			out[w + 1] = len;
			memcpy(out + w + 2, bits, len);
			w += 2 + (size_t)len;
		}
	}
	return w;
}

int nsec3_rdata_narrow(const knot_rdata_t *rd, const uint16_t *drop, size_t count,
		       const nsec3_hash_t *next, knot_rdata_t *out)
{
	size_t off = bitmap_offset(rd);
	if (off == 0) {
		return ERR_PARSE;
	}
	size_t hash_at = 6 + (size_t)rd->data[4]; /* the next hashed owner, after its length */
	if (next != NULL && off - hash_at != NSEC3_HASH_SIZE) {
		return ERR_PARSE;
	}
	memcpy(out->data, rd->data, off);
	if (next != NULL) {
		memcpy(out->data + hash_at, next->b, NSEC3_HASH_SIZE); /* RFC 5155 3.1.7 */
	}
	size_t bits = bitmap_without(rd->data + off, rd->len - off, drop, count, out->data + off);
	if (bits == SIZE_MAX) {
		return ERR_PARSE;
	}
	out->len = (uint16_t)(off + bits);
	return ERR_OK;
}

/* --- building the chain --------------------------------------------------------------- */

/* libknot's memory context (mm_alloc is not exported): NULL is malloc. */
static void *mem_alloc(knot_mm_t *mm, size_t size)
{
	return mm != NULL ? mm->alloc(mm->ctx, size) : xmalloc(size);
}

static void mem_free(knot_mm_t *mm, void *p)
{
	if (mm == NULL) {
		free(p);
	} else if (mm->free != NULL) {
		mm->free(p);
	}
}

typedef struct entry {
	nsec3_hash_t h;
	size_t idx; /* into the caller's names */
} entry_t;

typedef struct hash_part {
	const nsec3_name_t *names;
	entry_t *e;
	size_t from, to;
	int ret;
} hash_part_t;

static void *hash_range(void *arg)
{
	hash_part_t *hp = arg;
	for (size_t i = hp->from; i < hp->to && hp->ret == ERR_OK; i++) {
		hp->e[i].idx = i;
		hp->ret = nsec3_hash(hp->names[i].owner, &hp->e[i].h);
	}
	return NULL;
}

static int hash_all(const nsec3_name_t *names, entry_t *e, size_t count, unsigned threads)
{
	enum { MAX_THREADS = 64 };
	if (threads < 1 || count < 1024) {
		threads = 1;
	}
	if (threads > MAX_THREADS) {
		threads = MAX_THREADS;
	}
	hash_part_t parts[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	bool started[MAX_THREADS] = { false };
	for (unsigned t = 0; t < threads; t++) {
		parts[t] = (hash_part_t){ .names = names, .e = e, .from = count * t / threads,
					  .to = count * (t + 1) / threads, .ret = ERR_OK };
		if (t > 0) {
			started[t] = pthread_create(&tids[t], NULL, hash_range, &parts[t]) == 0;
			if (!started[t]) {
				hash_range(&parts[t]);
			}
		}
	}
	hash_range(&parts[0]);
	int ret = parts[0].ret;
	for (unsigned t = 1; t < threads; t++) {
		if (started[t]) {
			pthread_join(tids[t], NULL);
		}
		if (ret == ERR_OK) {
			ret = parts[t].ret;
		}
	}
	return ret;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(((const entry_t *)a)->h.b, ((const entry_t *)b)->h.b, NSEC3_HASH_SIZE);
}

static bool has_type(const nsec3_name_t *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->type_count; i++) {
		if (n->types[i] == type) {
			return true;
		}
	}
	return false;
}

/* RFC 5155 3.2.1 and 7.1: the types at the name; RRSIG where something is signed. */
static void fill_bitmap(dnssec_nsec_bitmap_t *bm, const nsec3_name_t *n)
{
	dnssec_nsec_bitmap_clear(bm);
	if (n->flags & NSEC3_NAME_EMPTY) {
		return;
	}
	if (n->flags & NSEC3_NAME_CUT) {
		/* RFC 4035 2.3 / RFC 5155 7.1: a delegation proves NS (and DS); only DS is
		 * signed there. */
		if (has_type(n, KNOT_RRTYPE_NS)) {
			dnssec_nsec_bitmap_add(bm, KNOT_RRTYPE_NS);
		}
		if (has_type(n, KNOT_RRTYPE_DS)) {
			dnssec_nsec_bitmap_add(bm, KNOT_RRTYPE_DS);
			dnssec_nsec_bitmap_add(bm, KNOT_RRTYPE_RRSIG);
		}
		return;
	}
	for (uint16_t i = 0; i < n->type_count; i++) {
		dnssec_nsec_bitmap_add(bm, n->types[i]);
	}
	if (n->type_count > 0) {
		dnssec_nsec_bitmap_add(bm, KNOT_RRTYPE_RRSIG);
	}
	if (n->flags & NSEC3_NAME_APEX) {
		dnssec_nsec_bitmap_add(bm, KNOT_RRTYPE_NSEC3PARAM);
	}
}

/* One NSEC3 RR: owner from h, rdata with next and the bitmap of n. */
static int make_rrset(knot_rrset_t *rr, const knot_dname_t *apex, const nsec3_hash_t *h,
		      const nsec3_hash_t *next, dnssec_nsec_bitmap_t *bm, uint32_t ttl,
		      uint8_t *scratch, knot_mm_t *mm)
{
	knot_dname_storage_t owner;
	int ret = nsec3_owner(h, apex, owner);
	if (ret != ERR_OK) {
		return ret;
	}
	knot_dname_t *copy = knot_dname_copy(owner, mm);
	if (copy == NULL) {
		return ERR_NOMEM;
	}
	knot_rrset_init(rr, copy, KNOT_RRTYPE_NSEC3, KNOT_CLASS_IN, ttl);
	/* RFC 5155 3.2: alg, flags, iterations, salt length, hash length, next, bitmap. */
	size_t bm_size = dnssec_nsec_bitmap_size(bm);
	uint16_t len = (uint16_t)(sizeof(param_rdata) + 1 + NSEC3_HASH_SIZE + bm_size);
	knot_rdata_t *rd = (knot_rdata_t *)(void *)scratch;
	rd->len = len;
	memcpy(rd->data, param_rdata, sizeof(param_rdata));
	rd->data[sizeof(param_rdata)] = NSEC3_HASH_SIZE;
	memcpy(rd->data + sizeof(param_rdata) + 1, next->b, NSEC3_HASH_SIZE);
	dnssec_nsec_bitmap_write(bm, rd->data + sizeof(param_rdata) + 1 + NSEC3_HASH_SIZE);
	return knot_rdataset_add(&rr->rrs, rd, mm) == KNOT_EOK ? ERR_OK : ERR_NOMEM;
}

static int check_names(const knot_dname_t *apex, const nsec3_name_t *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (names[i].owner == NULL || knot_dname_in_bailiwick(names[i].owner, apex) < 0) {
			return ERR_INVAL_ARG;
		}
	}
	return ERR_OK;
}

static int fill_chain(const knot_dname_t *apex, const nsec3_name_t *names, const entry_t *e,
		      uint32_t ttl, nsec3_chain_t *out, knot_mm_t *mm)
{
	dnssec_nsec_bitmap_t *bm = dnssec_nsec_bitmap_new();
	if (bm == NULL) {
		return ERR_NOMEM;
	}
	/* Rdata: 2 + 6 + 20 + a bitmap of 256 windows of 34 bytes at most. */
	_Alignas(uint16_t) uint8_t scratch[2 + 8 + NSEC3_HASH_SIZE + 256 * 34];
	int ret = ERR_OK;
	for (size_t i = 0; i < out->count && ret == ERR_OK; i++) {
		const nsec3_name_t *n = &names[e[i].idx];
		out->hashes[i] = e[i].h;
		out->names[i] = n->owner;
		fill_bitmap(bm, n);
		const nsec3_hash_t *next = &e[(i + 1) % out->count].h; /* RFC 5155 3.1.7 */
		ret = make_rrset(&out->rrsets[i], apex, &e[i].h, next, bm, ttl, scratch, mm);
	}
	dnssec_nsec_bitmap_free(bm);
	return ret;
}

int nsec3_chain_build(const knot_dname_t *apex, const nsec3_name_t *names, size_t count,
		      uint32_t ttl, unsigned hash_threads, nsec3_chain_t *out, knot_mm_t *mm)
{
	*out = (nsec3_chain_t){ 0 };
	if (count == 0 || check_names(apex, names, count) != ERR_OK) {
		return ERR_INVAL_ARG;
	}
	entry_t *e = xmalloc(count * sizeof(*e));
	int ret = hash_all(names, e, count, hash_threads);
	if (ret != ERR_OK) {
		free(e);
		return ret;
	}
	qsort(e, count, sizeof(*e), entry_cmp);
	for (size_t i = 1; i < count; i++) {
		if (memcmp(e[i - 1].h.b, e[i].h.b, NSEC3_HASH_SIZE) == 0) {
			free(e);
			return ERR_CONFLICT;
		}
	}
	out->count = count;
	out->hashes = mem_alloc(mm, count * sizeof(*out->hashes));
	out->rrsets = mem_alloc(mm, count * sizeof(*out->rrsets));
	out->names = mem_alloc(mm, count * sizeof(*out->names));
	if (out->hashes == NULL || out->rrsets == NULL || out->names == NULL) {
		ret = ERR_NOMEM;
	} else {
		for (size_t i = 0; i < count; i++) {
			knot_rrset_init_empty(&out->rrsets[i]);
		}
		ret = fill_chain(apex, names, e, ttl, out, mm);
	}
	free(e);
	if (ret != ERR_OK) {
		nsec3_chain_clear(out, mm);
	}
	return ret;
}

void nsec3_chain_clear(nsec3_chain_t *c, knot_mm_t *mm)
{
	if (c->rrsets != NULL) {
		for (size_t i = 0; i < c->count; i++) {
			knot_rrset_clear(&c->rrsets[i], mm);
		}
	}
	mem_free(mm, c->hashes);
	mem_free(mm, c->rrsets);
	mem_free(mm, c->names);
	*c = (nsec3_chain_t){ 0 };
}

/* --- lookups -------------------------------------------------------------------------- */

/* The first index whose hash is >= h (count when none). */
static size_t lower_bound(const nsec3_hash_t *hashes, size_t count, const nsec3_hash_t *h)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(hashes[mid].b, h->b, NSEC3_HASH_SIZE) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

ptrdiff_t nsec3_find_match(const nsec3_hash_t *hashes, size_t count, const nsec3_hash_t *h)
{
	size_t pos = lower_bound(hashes, count, h);
	if (pos < count && memcmp(hashes[pos].b, h->b, NSEC3_HASH_SIZE) == 0) {
		return (ptrdiff_t)pos;
	}
	return -1;
}

ptrdiff_t nsec3_find_cover(const nsec3_hash_t *hashes, size_t count, const nsec3_hash_t *h)
{
	if (count == 0) {
		return -1;
	}
	size_t pos = lower_bound(hashes, count, h);
	if (pos < count && memcmp(hashes[pos].b, h->b, NSEC3_HASH_SIZE) == 0) {
		return -1;
	}
	/* Below the first hash or above the last: the last NSEC3 wraps around. */
	return pos == 0 ? (ptrdiff_t)(count - 1) : (ptrdiff_t)(pos - 1);
}

size_t nsec3_proof_list(const nsec3_proof_t *proof, ptrdiff_t out[3])
{
	ptrdiff_t all[3] = { proof->encloser, proof->next_closer, proof->wildcard };
	size_t n = 0;
	for (size_t i = 0; i < 3; i++) {
		bool seen = all[i] < 0;
		for (size_t j = 0; j < n && !seen; j++) {
			seen = out[j] == all[i];
		}
		if (!seen) {
			out[n++] = all[i];
		}
	}
	return n;
}

/* The next closer name (RFC 5155 1.3): qname less its labels below the one just under the
 * encloser; a pointer into qname. NULL when encloser is not a proper ancestor of qname. */
static const knot_dname_t *next_closer(const knot_dname_t *qname, const knot_dname_t *encloser)
{
	size_t ql = knot_dname_labels(qname, NULL);
	size_t el = knot_dname_labels(encloser, NULL);
	if (ql <= el) {
		return NULL;
	}
	const knot_dname_t *nc = qname;
	for (size_t i = 0; i < ql - el - 1; i++) {
		nc = knot_wire_next_label(nc, NULL);
	}
	if (!knot_dname_is_equal(knot_wire_next_label(nc, NULL), encloser)) {
		return NULL;
	}
	return nc;
}

/* The index find() gives for name's hash in the chain (nsec3_find_match or _cover). */
static int find(ptrdiff_t (*fn)(const nsec3_hash_t *, size_t, const nsec3_hash_t *),
		const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name, ptrdiff_t *out)
{
	nsec3_hash_t h;
	int ret = nsec3_hash(name, &h);
	if (ret != ERR_OK) {
		return ret;
	}
	*out = fn(hashes, count, &h);
	return *out < 0 ? ERR_NOTFOUND : ERR_OK;
}

int nsec3_find_name(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name,
		    ptrdiff_t *out)
{
	return find(nsec3_find_match, hashes, count, name, out);
}

static int cover(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name,
		 ptrdiff_t *out)
{
	return find(nsec3_find_cover, hashes, count, name, out);
}

/* "*." + encloser in buf (KNOT_DNAME_MAXLEN bytes). NULL when too long. */
static const knot_dname_t *wildcard_of(const knot_dname_t *encloser, uint8_t *buf)
{
	size_t size = knot_dname_size(encloser);
	if (size + 2 > KNOT_DNAME_MAXLEN) {
		return NULL;
	}
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, encloser, size);
	return buf;
}

int nsec3_wildcard_index(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name,
			 ptrdiff_t *out)
{
	knot_dname_storage_t buf;
	const knot_dname_t *wc = wildcard_of(name, buf);
	if (wc == NULL) {
		return ERR_INVAL_ARG;
	}
	nsec3_hash_t h;
	int ret = nsec3_hash(wc, &h);
	if (ret != ERR_OK) {
		return ret;
	}
	*out = nsec3_find_match(hashes, count, &h);
	if (*out < 0) {
		*out = nsec3_find_cover(hashes, count, &h);
	}
	return *out < 0 ? ERR_NOTFOUND : ERR_OK;
}

/* The index of name's own NSEC3: known, or looked up. */
static int match(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *name,
		 const nsec3_known_t *known, ptrdiff_t *out)
{
	if (known != NULL && known->match >= 0) {
		*out = known->match;
		return ERR_OK;
	}
	return nsec3_find_name(hashes, count, name, out);
}

/* RFC 5155 7.2.1 / 7.2.5 first two parts: the closest encloser proof. */
static int closest_encloser(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *qname,
			    const knot_dname_t *encloser, const nsec3_known_t *known,
			    nsec3_proof_t *out)
{
	*out = (nsec3_proof_t){ -1, -1, -1 };
	const knot_dname_t *nc = next_closer(qname, encloser);
	if (nc == NULL) {
		return ERR_INVAL_ARG;
	}
	int ret = match(hashes, count, encloser, known, &out->encloser);
	if (ret == ERR_OK) {
		ret = cover(hashes, count, nc, &out->next_closer);
	}
	return ret;
}

/* The closest encloser proof, then the NSEC3 that covers (NXDOMAIN, RFC 5155 7.2.1) or
 * matches (wildcard NODATA, 7.2.5) the wildcard at the closest encloser. Which of the
 * two the zone's known index is follows from the zone: the wildcard exists or not. */
static int encloser_and_wildcard(const nsec3_hash_t *hashes, size_t count,
				 const knot_dname_t *qname, const knot_dname_t *encloser,
				 const nsec3_known_t *known, bool is_wildcard_match,
				 nsec3_proof_t *out)
{
	int ret = closest_encloser(hashes, count, qname, encloser, known, out);
	if (ret != ERR_OK) {
		return ret;
	}
	if (known != NULL && known->wildcard >= 0) {
		out->wildcard = known->wildcard;
		return ERR_OK;
	}
	knot_dname_storage_t buf;
	const knot_dname_t *wc = wildcard_of(encloser, buf);
	if (wc == NULL) {
		return ERR_INVAL_ARG;
	}
	return is_wildcard_match ? nsec3_find_name(hashes, count, wc, &out->wildcard)
				 : cover(hashes, count, wc, &out->wildcard);
}

int nsec3_proof_nxdomain(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *qname,
			 const knot_dname_t *encloser, const nsec3_known_t *known,
			 nsec3_proof_t *out)
{
	return encloser_and_wildcard(hashes, count, qname, encloser, known, false, out);
}

int nsec3_proof_nodata(const nsec3_hash_t *hashes, size_t count, const knot_dname_t *qname,
		       const nsec3_known_t *known, nsec3_proof_t *out)
{
	*out = (nsec3_proof_t){ -1, -1, -1 };
	/* RFC 5155 7.2.3, 7.2.4 */
	return match(hashes, count, qname, known, &out->encloser);
}

int nsec3_proof_wildcard_nodata(const nsec3_hash_t *hashes, size_t count,
				const knot_dname_t *qname, const knot_dname_t *encloser,
				const nsec3_known_t *known, nsec3_proof_t *out)
{
	return encloser_and_wildcard(hashes, count, qname, encloser, known, true, out);
}

int nsec3_proof_wildcard_answer(const nsec3_hash_t *hashes, size_t count,
				const knot_dname_t *qname, const knot_dname_t *encloser,
				nsec3_proof_t *out)
{
	*out = (nsec3_proof_t){ -1, -1, -1 };
	const knot_dname_t *nc = next_closer(qname, encloser);
	if (nc == NULL) {
		return ERR_INVAL_ARG;
	}
	return cover(hashes, count, nc, &out->next_closer); /* RFC 5155 7.2.6 */
}
