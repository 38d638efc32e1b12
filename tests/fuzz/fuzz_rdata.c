/* fuzz_rdata.c -- libFuzzer target for record content (dns/wire/rr.h).
 *
 * Input: byte 0 picks the type, byte 1 the priority (0xff: none), the rest is the
 * content (up to the first NUL). Checks the invariants the API relies on: whatever
 * rr_parse() accepts, rr_format() prints back exactly, and parsing that text again gives
 * the same rdata. The whole input is also fed to the zone-file splitter. Any mismatch
 * aborts. Seeds: tests/fuzz/corpus/rdata/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "dns/wire/rr.h"

static const char *const types[] = {
	"A", "AAAA", "ALIAS", "CAA", "CNAME", "DNSKEY", "DS", "HINFO", "MX", "NAPTR", "NS",
	"POOL", "PTR", "SOA", "SPF", "SRV", "SSHFP", "TXT", "URL", "HTTPS", "SVCB", "TLSA",
	"DNAME", "URI", "LOC", "CERT", "SMIMEA", "OPENPGPKEY", "NSEC", "TYPE65000",
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

static void check(bool ok, const char *what, const char *type, const char *content)
{
	if (!ok) {
		fprintf(stderr, "fuzz_rdata: %s (%s [%s])\n", what, type, content);
		abort();
	}
}

static void round_trip(arena_t *a, const rr_input_t *in, const rr_parsed_t *p)
{
	const char *name = in->type->name;
	if (p->rdata == NULL) {
		check(in->type->flags & RR_PSEUDO, "no rdata", name, in->content);
		return;
	}
	const char *content = NULL;
	bool has_prio = false;
	int64_t prio = 0;
	int ret = rr_format(a, in->origin, in->type, p->rdata, p->rdata_size, &content,
			    &has_prio, &prio);
	check(ret == ERR_OK, "format failed", name, in->content);
	check(strcmp(content, p->content) == 0, "format differs", name, in->content);
	check(has_prio == p->has_priority && (!has_prio || prio == p->priority),
	      "priority differs", name, in->content);
	rr_input_t again = *in;
	again.content = p->content;
	again.has_priority = p->has_priority;
	again.priority = p->priority;
	rr_parsed_t q;
	rr_error_t err;
	ret = rr_parse(a, &again, &q, &err);
	check(ret == ERR_OK, "re-parse failed", name, p->content);
	check(q.rdata_size == p->rdata_size &&
	      memcmp(q.rdata, p->rdata, p->rdata_size) == 0, "re-parse differs", name,
	      p->content);
	check(strcmp(q.content, p->content) == 0, "not idempotent", name, p->content);
	const char *line = NULL;
	ret = rr_zonefile_line(a, in->origin, in->name, 3600, in->type, p->rdata,
			       p->rdata_size, p->content, &line);
	check(ret == ERR_OK, "zone line failed", name, p->content);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena_t a;
	if (size < 2) {
		return 0;
	}
	arena_init(&a, 1 << 24);
	char *content = arena_strndup(&a, (const char *)data + 2, size - 2);
	rr_input_t in = {
		.origin = "example.com",
		.name = data[1] & 1 ? "www" : "",
		.type = rrtype_find(types[data[0] % NTYPES]),
		.content = content,
		.has_priority = data[1] != 0xff,
		.priority = data[1] == 0xff ? 0 : data[1] >> 1,
	};
	rr_parsed_t p;
	rr_error_t err;
	int ret = rr_parse(&a, &in, &p, &err);
	if (ret == ERR_OK) {
		round_trip(&a, &in, &p);
	} else {
		check(ret != ERR_INVALID || (err.field != NULL && err.message != NULL),
		      "error without field", in.type->name, content);
	}
	rr_zonefile_split_t sp;
	(void)rr_zonefile_split_pseudo(&a, "example.com", (const char *)data, size, &sp, &err);
	arena_clear(&a);
	return 0;
}
