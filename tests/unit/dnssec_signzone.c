/* dnssec_signzone.c -- sign a zone file with dns/dnssec (for the validator test and the
 * signing benchmark): read it with libzscanner, make fresh keys, add DNSKEY, CDS,
 * CDNSKEY and NSEC3PARAM at the apex, build the NSEC3 chain, sign on N threads, and write
 * the signed zone as text. Prints the time of each phase on stderr.
 *
 *   dnssec_signzone [-a 13|15] [-k csk|split] [-t THREADS] [-n] -o ORIGIN IN [OUT]
 *
 * -n: sign but write nothing (benchmark). The "sign" figure covers what a zone builder
 * would do with a zone already in memory: find cuts, glue and empty non-terminals, build
 * the NSEC3 chain and make every RRSIG.
 */
#include <getopt.h>
#include <inttypes.h>
#include <libknot/packet/wire.h>
#include <libzscanner/scanner.h>
#include <time.h>

#include "dnssec_testkey.h"

#include "core/arena.h"
#include "core/err.h"
#include "core/mem.h"
#include "dns/dnssec/sign.h"

typedef struct rec {
	knot_dname_t *owner; /* lowercase */
	uint16_t type;
	uint32_t ttl;
	knot_rdata_t *rd;
} rec_t;

typedef struct node {
	const knot_dname_t *owner;
	size_t first, count; /* rrsets */
	bool is_cut, is_below, is_ent;
} node_t;

typedef struct zone {
	arena_t arena;
	knot_dname_t *apex;
	rec_t *recs;
	size_t rec_count, rec_cap;
	knot_rrset_t *rrsets;
	size_t rrset_count;
	node_t *nodes;
	size_t node_count;
	int parse_errors;
} zone_t;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- reading -------------------------------------------------------------------------- */

static void on_record(zs_scanner_t *s)
{
	zone_t *z = s->process.data;
	if (z->rec_count == z->rec_cap) {
		z->rec_cap = z->rec_cap ? z->rec_cap * 2 : 1024;
		z->recs = xrealloc(z->recs, z->rec_cap * sizeof(*z->recs));
	}
	rec_t *r = &z->recs[z->rec_count++];
	r->owner = arena_alloc(&z->arena, s->r_owner_length);
	memcpy(r->owner, s->r_owner, s->r_owner_length);
	r->type = s->r_type;
	r->ttl = s->r_ttl;
	r->rd = arena_alloc(&z->arena, knot_rdata_size((uint16_t)s->r_data_length));
	knot_rdata_init(r->rd, (uint16_t)s->r_data_length, s->r_data);
	/* RFC 4034 6.2: lowercase owner and the names inside the rdata of the listed types. */
	knot_rrset_t one;
	knot_rrset_init(&one, r->owner, r->type, KNOT_CLASS_IN, r->ttl);
	one.rrs = (knot_rdataset_t){ .count = 1, .size = (uint32_t)knot_rdata_size(r->rd->len),
				     .rdata = r->rd };
	knot_rrset_rr_to_canonical(&one);
}

static void on_error(zs_scanner_t *s)
{
	zone_t *z = s->process.data;
	fprintf(stderr, "line %" PRIu64 ": %s\n", s->line_counter, zs_strerror(s->error.code));
	z->parse_errors++;
}

static int zone_read(zone_t *z, const char *origin, const char *path)
{
	zs_scanner_t s;
	if (zs_init(&s, origin, KNOT_CLASS_IN, 3600) != 0 || zs_set_input_file(&s, path) != 0 ||
	    zs_set_processing(&s, on_record, on_error, z) != 0 || zs_parse_all(&s) != 0) {
		fprintf(stderr, "%s: cannot parse (%s)\n", path, zs_strerror(s.error.code));
		zs_deinit(&s);
		return -1;
	}
	zs_deinit(&s);
	return z->parse_errors ? -1 : 0;
}

/* --- RRsets, nodes, cuts, empty non-terminals ----------------------------------------- */

static int rec_cmp(const void *a, const void *b)
{
	const rec_t *x = a, *y = b;
	int c = knot_dname_cmp(x->owner, y->owner);
	if (c == 0) {
		c = (int)x->type - (int)y->type;
	}
	return c;
}

static void add_rrset(zone_t *z, const knot_dname_t *owner, uint16_t type, uint32_t ttl)
{
	knot_rrset_t *rr = &z->rrsets[z->rrset_count++];
	knot_rrset_init(rr, (knot_dname_t *)owner, type, KNOT_CLASS_IN, ttl);
}

/* Sorted records -> RRsets (lowest TTL wins) and nodes; room for `extra` more RRsets. */
static void zone_group(zone_t *z, size_t extra)
{
	qsort(z->recs, z->rec_count, sizeof(*z->recs), rec_cmp);
	z->rrsets = xcalloc(z->rec_count + extra, sizeof(*z->rrsets));
	z->nodes = xcalloc(z->rec_count + 1, sizeof(*z->nodes));
	for (size_t i = 0; i < z->rec_count; i++) {
		rec_t *r = &z->recs[i];
		knot_rrset_t *last = z->rrset_count ? &z->rrsets[z->rrset_count - 1] : NULL;
		bool same_owner = last && knot_dname_is_equal(last->owner, r->owner);
		if (!same_owner || last->type != r->type) {
			if (!same_owner) {
				z->nodes[z->node_count++] =
					(node_t){ .owner = r->owner, .first = z->rrset_count };
			}
			add_rrset(z, r->owner, r->type, r->ttl);
			last = &z->rrsets[z->rrset_count - 1];
		}
		z->nodes[z->node_count - 1].count = z->rrset_count - z->nodes[z->node_count - 1].first;
		last->ttl = r->ttl < last->ttl ? r->ttl : last->ttl;
		knot_rdataset_add(&last->rrs, r->rd, NULL);
	}
}

static int node_cmp(const void *a, const void *b)
{
	return knot_dname_cmp(((const node_t *)a)->owner, ((const node_t *)b)->owner);
}

static node_t *node_find(zone_t *z, const knot_dname_t *name)
{
	node_t key = { .owner = name };
	return bsearch(&key, z->nodes, z->node_count, sizeof(node_t), node_cmp);
}

static const knot_rrset_t *node_rrset(const zone_t *z, const node_t *n, uint16_t type)
{
	for (size_t i = 0; i < n->count; i++) {
		if (z->rrsets[n->first + i].type == type) {
			return &z->rrsets[n->first + i];
		}
	}
	return NULL;
}

static int dname_ptr_cmp(const void *a, const void *b)
{
	return knot_dname_cmp(*(const knot_dname_t *const *)a, *(const knot_dname_t *const *)b);
}

/* Empty non-terminals become nodes without RRsets; then cuts and what lies below them. */
static void zone_classify(zone_t *z)
{
	const knot_dname_t **ents = NULL;
	size_t ent_count = 0, ent_cap = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		const knot_dname_t *up = z->nodes[i].owner;
		while (knot_dname_in_bailiwick(up, z->apex) > 0) {
			up = knot_wire_next_label(up, NULL);
			if (knot_dname_is_equal(up, z->apex) || node_find(z, up) != NULL) {
				break; /* an existing node sees to its own ancestors */
			}
			if (ent_count == ent_cap) {
				ent_cap = ent_cap ? 2 * ent_cap : 64;
				ents = xrealloc(ents, ent_cap * sizeof(*ents));
			}
			ents[ent_count++] = up;
		}
	}
	qsort(ents, ent_count, sizeof(*ents), dname_ptr_cmp);
	z->nodes = xrealloc(z->nodes, (z->node_count + ent_count + 1) * sizeof(node_t));
	for (size_t i = 0; i < ent_count; i++) {
		if (i == 0 || !knot_dname_is_equal(ents[i], ents[i - 1])) {
			z->nodes[z->node_count++] = (node_t){ .owner = ents[i], .is_ent = true };
		}
	}
	free(ents);
	qsort(z->nodes, z->node_count, sizeof(node_t), node_cmp);
	for (size_t i = 0; i < z->node_count; i++) {
		node_t *n = &z->nodes[i];
		n->is_cut = !knot_dname_is_equal(n->owner, z->apex) &&
			    node_rrset(z, n, KNOT_RRTYPE_NS) != NULL;
	}
	for (size_t i = 0; i < z->node_count; i++) {
		node_t *n = &z->nodes[i];
		const knot_dname_t *up = n->owner;
		while (!n->is_below && knot_dname_in_bailiwick(up, z->apex) > 0) {
			up = knot_wire_next_label(up, NULL);
			node_t *a = node_find(z, up);
			n->is_below = a != NULL && a->is_cut;
		}
	}
}

/* --- keys and the apex ---------------------------------------------------------------- */

static void push_rec(zone_t *z, uint16_t type, uint32_t ttl, const knot_rdata_t *rd)
{
	zs_scanner_t fake; /* on_record's input, without the scanner */
	fake.process.data = z;
	fake.r_owner_length = (uint32_t)knot_dname_size(z->apex);
	memcpy(fake.r_owner, z->apex, fake.r_owner_length);
	fake.r_type = type;
	fake.r_ttl = ttl;
	fake.r_data_length = rd->len;
	memcpy(fake.r_data, rd->data, rd->len);
	on_record(&fake);
}

static void push_rdataset(zone_t *z, uint16_t type, uint32_t ttl, const knot_rdataset_t *rrs)
{
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; i < rrs->count; i++) {
		push_rec(z, type, ttl, rd);
		rd = knot_rdataset_next(rd);
	}
}

/* DNSKEY, CDS, CDNSKEY and NSEC3PARAM join the apex as records. *neg_ttl: the NSEC3 TTL
 * (RFC 9077: min(SOA TTL, SOA MINIMUM)). */
static int zone_add_apex(zone_t *z, const zsign_policy_t *p, uint32_t *neg_ttl)
{
	const rec_t *soa = NULL;
	for (size_t i = 0; i < z->rec_count && soa == NULL; i++) {
		if (z->recs[i].type == KNOT_RRTYPE_SOA && knot_dname_is_equal(z->recs[i].owner, z->apex)) {
			soa = &z->recs[i];
		}
	}
	if (soa == NULL) {
		fprintf(stderr, "no SOA at the apex\n");
		return -1;
	}
	uint32_t min = knot_soa_minimum(soa->rd);
	*neg_ttl = soa->ttl < min ? soa->ttl : min;
	uint32_t key_ttl = soa->ttl;
	knot_rdataset_t dnskey, cdnskey, cds;
	knot_rdataset_init(&dnskey);
	knot_rdataset_init(&cdnskey);
	knot_rdataset_init(&cds);
	if (zsign_apex_keys(p, &dnskey, &cdnskey, &cds, NULL) != ERR_OK) {
		return -1;
	}
	push_rdataset(z, KNOT_RRTYPE_DNSKEY, key_ttl, &dnskey);
	push_rdataset(z, KNOT_RRTYPE_CDNSKEY, key_ttl, &cdnskey);
	push_rdataset(z, KNOT_RRTYPE_CDS, key_ttl, &cds);
	knot_rdataset_clear(&dnskey, NULL);
	knot_rdataset_clear(&cdnskey, NULL);
	knot_rdataset_clear(&cds, NULL);
	uint16_t size;
	const uint8_t *param = nsec3_param_rdata(&size);
	_Alignas(uint16_t) uint8_t buf[16];
	knot_rdata_init((knot_rdata_t *)(void *)buf, size, param);
	push_rec(z, KNOT_RRTYPE_NSEC3PARAM, 0, (knot_rdata_t *)(void *)buf); /* as Knot: TTL 0 */
	return 0;
}

/* --- NSEC3 and signatures -------------------------------------------------------------- */

static int zone_nsec3(zone_t *z, uint32_t ttl, unsigned threads, nsec3_chain_t *chain)
{
	nsec3_name_t *names = xcalloc(z->node_count, sizeof(*names));
	size_t count = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		const node_t *n = &z->nodes[i];
		if (n->is_below) {
			continue; /* glue: RFC 5155 7.1 */
		}
		uint16_t *types = arena_alloc(&z->arena, (n->count + 1) * sizeof(uint16_t));
		for (size_t j = 0; j < n->count; j++) {
			types[j] = z->rrsets[n->first + j].type;
		}
		uint16_t flags = (n->is_ent ? NSEC3_NAME_EMPTY : 0) | (n->is_cut ? NSEC3_NAME_CUT : 0) |
				 (knot_dname_is_equal(n->owner, z->apex) ? NSEC3_NAME_APEX : 0);
		names[count++] = (nsec3_name_t){ n->owner, types, (uint16_t)n->count, flags };
	}
	int ret = nsec3_chain_build(z->apex, names, count, ttl, threads, chain, NULL);
	free(names);
	return ret;
}

static zsign_job_t *zone_jobs(zone_t *z, nsec3_chain_t *chain, size_t *count)
{
	zsign_job_t *jobs = xcalloc(z->rrset_count + chain->count, sizeof(*jobs));
	size_t n = 0;
	for (size_t i = 0; i < z->node_count; i++) {
		const node_t *nd = &z->nodes[i];
		for (size_t j = 0; j < nd->count && !nd->is_below; j++) {
			knot_rrset_t *rr = &z->rrsets[nd->first + j];
			if (zsign_rrset_is_signed(rr->type, nd->is_cut, false)) {
				jobs[n++].rrset = rr;
			}
		}
	}
	for (size_t i = 0; i < chain->count; i++) {
		jobs[n++].rrset = &chain->rrsets[i];
	}
	*count = n;
	return jobs;
}

/* --- writing -------------------------------------------------------------------------- */

static void dump(FILE *f, const knot_rrset_t *rr, char **buf, size_t *size)
{
	if (knot_rrset_txt_dump(rr, buf, size, &KNOT_DUMP_STYLE_DEFAULT) > 0) {
		fputs(*buf, f);
	}
}

static int zone_write(const char *path, zone_t *z, const zsign_job_t *jobs, size_t job_count)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	size_t size = 1 << 16;
	char *buf = xmalloc(size);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	for (size_t i = 0; i < z->rrset_count; i++) {
		dump(f, &z->rrsets[i], &buf, &size);
	}
	for (size_t i = 0; i < job_count; i++) {
		const knot_rrset_t *rr = jobs[i].rrset;
		if (rr->type == KNOT_RRTYPE_NSEC3) {
			dump(f, rr, &buf, &size);
		}
		knot_rrset_t sig;
		knot_rrset_init(&sig, rr->owner, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, rr->ttl);
		sig.rrs = jobs[i].sigs;
		dump(f, &sig, &buf, &size);
	}
	free(buf);
	return fclose(f) == 0 ? 0 : -1;
}

/* --- main ----------------------------------------------------------------------------- */

static int make_keys(uint8_t alg, bool is_split, const knot_dname_t *apex, dnssec_key_t *keys[2],
		     zsign_key_t zkeys[2])
{
	keys[0] = testkey_new(alg, 257, apex);
	if (keys[0] == NULL ||
	    zsign_key_init(&zkeys[0], keys[0], is_split ? ZSIGN_KEY_KSK : ZSIGN_KEY_CSK) != ERR_OK) {
		return 0;
	}
	if (!is_split) {
		return 1;
	}
	keys[1] = testkey_new(alg, 256, apex);
	if (keys[1] == NULL || zsign_key_init(&zkeys[1], keys[1], ZSIGN_KEY_ZSK) != ERR_OK) {
		return 0;
	}
	return 2;
}

static int usage(void)
{
	fprintf(stderr, "usage: dnssec_signzone [-a 13|15] [-k csk|split] [-t THREADS] [-n] "
			"-o ORIGIN IN [OUT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint8_t alg = 13;
	bool is_split = false, is_dry = false;
	unsigned threads = 2;
	const char *origin = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "a:k:t:no:")) != -1) {
		switch (opt) {
		case 'a': alg = (uint8_t)atoi(optarg); break;
		case 'k': is_split = strcmp(optarg, "split") == 0; break;
		case 't': threads = (unsigned)atoi(optarg); break;
		case 'n': is_dry = true; break;
		case 'o': origin = optarg; break;
		default: return usage();
		}
	}
	if (origin == NULL || optind >= argc || (!is_dry && optind + 2 != argc)) {
		return usage();
	}
	dnssec_crypto_init();
	zone_t z = { 0 };
	arena_init(&z.arena, 0);
	z.apex = knot_dname_from_str_alloc(origin);
	knot_dname_to_lower(z.apex);

	double t0 = now_s();
	if (zone_read(&z, origin, argv[optind]) != 0) {
		return 1;
	}
	double t1 = now_s();
	dnssec_key_t *keys[2] = { NULL, NULL };
	zsign_key_t zkeys[2];
	int key_count = make_keys(alg, is_split, z.apex, keys, zkeys);
	if (key_count == 0) {
		fprintf(stderr, "cannot make keys for algorithm %u\n", alg);
		return 1;
	}
	uint32_t now = (uint32_t)time(NULL);
	zsign_policy_t p = { .apex = z.apex, .keys = zkeys, .key_count = (size_t)key_count,
			     .now = now, .inception = now - 3600, .expiration = now + 14 * 86400,
			     .refresh = 7 * 86400, .jitter = 86400 };
	uint32_t neg_ttl = 0;
	if (zone_add_apex(&z, &p, &neg_ttl) != 0) {
		return 1;
	}

	double t2 = now_s();
	zone_group(&z, 0);
	zone_classify(&z);
	double t3 = now_s();
	nsec3_chain_t chain;
	int ret = zone_nsec3(&z, neg_ttl, threads, &chain);
	if (ret != ERR_OK) {
		fprintf(stderr, "nsec3 chain failed (%s)\n", err_str(ret));
		return 1;
	}
	double t4 = now_s();
	size_t job_count = 0, made = 0;
	zsign_job_t *jobs = zone_jobs(&z, &chain, &job_count);
	ret = zsign_run(&p, jobs, job_count, threads, &made);
	if (ret != ERR_OK) {
		fprintf(stderr, "signing failed (%s)\n", err_str(ret));
		return 1;
	}
	double t5 = now_s();
	if (!is_dry && zone_write(argv[optind + 1], &z, jobs, job_count) != 0) {
		return 1;
	}
	double t6 = now_s();
	fprintf(stderr,
		"records %zu rrsets %zu names %zu nsec3 %zu signatures %zu threads %u alg %u %s\n"
		"parse %.3f s; sign %.3f s (prepare %.3f, nsec3 %.3f, rrsig %.3f); write %.3f s\n",
		z.rec_count, z.rrset_count, z.node_count, chain.count, made, threads, alg,
		is_split ? "ksk+zsk" : "csk", t1 - t0, t5 - t2, t3 - t2, t4 - t3, t5 - t4, t6 - t5);
	for (size_t i = 0; i < job_count; i++) {
		knot_rdataset_clear(&jobs[i].sigs, NULL);
	}
	free(jobs);
	nsec3_chain_clear(&chain, NULL);
	for (size_t i = 0; i < z.rrset_count; i++) {
		knot_rdataset_clear(&z.rrsets[i].rrs, NULL);
	}
	free(z.rrsets);
	free(z.nodes);
	free(z.recs);
	arena_clear(&z.arena);
	knot_dname_free(z.apex, NULL);
	dnssec_key_free(keys[0]);
	dnssec_key_free(keys[1]);
	dnssec_crypto_cleanup();
	return 0;
}
