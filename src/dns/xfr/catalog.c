/* catalog.c -- the catalog zone (RFC 9432): every zone this node serves, as a zone that
 * secondaries (Knot's catalog-role interpret, BIND, a Nameplate secondary) transfer to
 * learn which zones to serve.
 *
 * DESIGN. Built from scratch with the zone db's builder whenever the set of zones
 * changes, and published like any zone; transfers and IXFR journals then work for it as
 * for the others (the journal is the difference of two versions). Its content is the
 * RFC 9432 version 2 schema:
 *     <catalog>              0 SOA invalid. invalid. <serial> 3600 600 2147483646 0
 *     <catalog>              0 NS  invalid.
 *     version.<catalog>      0 TXT "2"
 *     <id>.zones.<catalog>   0 PTR <member>.
 * where <id> is stable for a member (a hash of its name), so a secondary sees a member
 * removed and added again only when the zone itself went away.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "dns/xfr/xfr_internal.h"

#define CATALOG_TTL 0  /* RFC 9432 5.1: nobody should cache it */

void catalog_member_label(const knot_dname_t *member, char out[41])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, member, knot_dname_size(member));
	for (int i = 0; i < 20; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 15];
	}
	out[40] = '\0';
}

/* "invalid." (RFC 9432 4.1: the SOA and NS point nowhere) */
static const uint8_t INVALID[] = { 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0 };

static int add_soa_ns(zdb_builder_t *b, const char *apex, uint32_t serial)
{
	uint8_t soa[2 * sizeof(INVALID) + 20];
	memcpy(soa, INVALID, sizeof(INVALID));
	memcpy(soa + sizeof(INVALID), INVALID, sizeof(INVALID));
	uint8_t *p = soa + 2 * sizeof(INVALID);
	knot_wire_write_u32(p, serial);
	knot_wire_write_u32(p + 4, 3600);       /* refresh */
	knot_wire_write_u32(p + 8, 600);        /* retry */
	knot_wire_write_u32(p + 12, 2147483646); /* expire: never, as RFC 9432's example */
	knot_wire_write_u32(p + 16, 0);         /* minimum */
	int ret = zdb_builder_add(b, apex, KNOT_RRTYPE_SOA, CATALOG_TTL, soa, sizeof(soa));
	if (ret == ERR_OK) {
		ret = zdb_builder_add(b, apex, KNOT_RRTYPE_NS, CATALOG_TTL, INVALID,
				      sizeof(INVALID));
	}
	return ret;
}

zdb_zone_t *catalog_build(const knot_dname_t *apex, const knot_dname_t *const *members,
			  size_t count, uint32_t serial)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(name, apex, sizeof(name)) == NULL) {
		return NULL;
	}
	zdb_builder_t *b = zdb_builder_new(name, serial);
	if (b == NULL) {
		return NULL;
	}
	int ret = add_soa_ns(b, name, serial);
	char owner[KNOT_DNAME_TXT_MAXLEN + 64];
	static const uint8_t version[] = { 1, '2' }; /* TXT "2": schema version 2 (RFC 9432 4.2) */
	snprintf(owner, sizeof(owner), "version.%s", name);
	if (ret == ERR_OK) {
		ret = zdb_builder_add(b, owner, KNOT_RRTYPE_TXT, CATALOG_TTL, version, sizeof(version));
	}
	for (size_t i = 0; ret == ERR_OK && i < count; i++) {
		char label[41];
		catalog_member_label(members[i], label);
		snprintf(owner, sizeof(owner), "%s.zones.%s", label, name);
		if (zdb_builder_add(b, owner, KNOT_RRTYPE_PTR, CATALOG_TTL, members[i],
				    (uint16_t)knot_dname_size(members[i])) != ERR_OK) {
			char member[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
			(void)knot_dname_to_str(member, members[i], sizeof(member));
			log_warn("zone %s, catalog leaves out %s (name too long under the catalog)",
				 name, member);
		}
	}
	if (ret != ERR_OK) {
		log_err("zone %s, catalog zone not built (%s)", name, err_str(ret));
		zdb_builder_free(b);
		return NULL;
	}
	const char *why = NULL;
	zdb_zone_t *z = zdb_builder_finish(b, &why);
	if (z == NULL) {
		log_err("zone %s, catalog zone not built (%s)", name, why);
	}
	return z;
}
