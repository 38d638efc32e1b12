/* zonedb_internal.h -- the zone structure shared by build.c, patch.c and zone.c.
 *
 * Memory: a version's nodes, RRsets and index chunks live in generations (arenas with a
 * reference count). A version built whole has one; a patched version references its
 * base's generations and adds its own, and a generation is freed when the last version
 * using it is. A patch rebuilds whole instead once the patches' memory outgrows the
 * first generation's (zdb_patch_finish()), so replaced nodes never pile up.
 *
 * The name index is open addressing over (index_mask + 1) slots split in chunks of at
 * most ZDB_CHUNK_SLOTS: a patch copies the array of chunk pointers and the chunks it
 * writes, nothing else.
 */
#pragma once

#include "core/arena.h"
#include "dns/zonedb/zonedb.h"

#define ZDB_CHUNK_BITS 9
#define ZDB_CHUNK_SLOTS ((size_t)1 << ZDB_CHUNK_BITS)
#define ZDB_NSEC3_UNKNOWN UINT32_MAX     /* zdb_node_sig_t.nsec3*: not looked up yet */
#define ZDB_NSEC3_NONE (UINT32_MAX - 1)  /* looked up: the chain has none */

/* An index slot: 0 when never used, else a node's address with the top 16 bits of its
 * name's hash in the address's top 16 bits (user-space addresses fit in 48 bits), so a
 * probe reads a node only when those bits match; &zdb_tomb for a name a patch removed.
 * Eight bytes: a zone of 50 names has a 1 KiB index. */
typedef struct zdb_slot {
	uintptr_t v;
} zdb_slot_t;

#define ZDB_SLOT_ADDR_BITS 48

extern const zdb_node_t zdb_tomb;

static inline const zdb_node_t *zdb_slot_node(zdb_slot_t s)
{
	return (const zdb_node_t *)(s.v & (((uintptr_t)1 << ZDB_SLOT_ADDR_BITS) - 1));
}

static inline bool zdb_slot_matches(zdb_slot_t s, uint64_t h)
{
	return (s.v >> ZDB_SLOT_ADDR_BITS) == (h >> ZDB_SLOT_ADDR_BITS);
}

static inline zdb_slot_t zdb_slot_make(const zdb_node_t *n, uint64_t h)
{
	return (zdb_slot_t){ (uintptr_t)n | (uintptr_t)(h >> ZDB_SLOT_ADDR_BITS << ZDB_SLOT_ADDR_BITS) };
}

typedef struct zdb_gen {
	_Atomic size_t refs;
	arena_t mem;
} zdb_gen_t;

struct zdb_zone {
	/* what every query reads, first: one cache line */
	zdb_slot_t **chunks;      /* the index: chunk i holds slots i << ZDB_CHUNK_BITS .. */
	zdb_slot_t *chunk1;       /* chunks points here when the index is one chunk */
	size_t index_mask;        /* slots - 1 (a power of two) */
	const zdb_node_t *apex_node;
	const knot_rrset_t *soa;
	int64_t id;               /* the store's zone id (the query counters' key) */
	uint64_t apex_hash;
	uint32_t apex_labels;
	uint32_t serial;
	/* the zone table compares apexes: the name right after the hot fields */
	knot_dname_t apex_buf[KNOT_DNAME_MAXLEN];
	knot_dname_t *apex;       /* apex_buf */
	/* the rest */
	size_t node_count;        /* live nodes */
	size_t slots_used;        /* nodes and tombstones */
	size_t rr_count;
	zdb_gen_t *gen;           /* this version's own memory: everything it made lives here */
	zdb_gen_t **gens;         /* every generation the version uses, gen last */
	size_t gen_count;
	size_t patch_bytes;       /* memory of the generations made by patches */
	const knot_dname_t **aliases; /* every ALIAS target (zdb_zone_aliases()) */
	size_t alias_count;
	const zdb_change_t *changes;  /* zdb_zone_changes() */
	size_t change_count;
	uint32_t changes_from;
	const zdb_nsec3_t *nsec3;     /* a signed zone's chain; NULL: unsigned */
	_Atomic(void *) ext;      /* zdb_zone_set_ext(): the transfer journal */
	void (*ext_free)(void *);
	const zdb_signer_t *signer;   /* zdb_zone_set_signer(): online signing; NULL: none */
};

/* Equality of two lowercase wire names (inline: lookups compare once per hit). */
static inline bool zdb_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		uint8_t len = *a;
		if (len != *b) {
			return false;
		}
		if (len == 0) {
			return true;
		}
		for (uint8_t i = 1; i <= len; i++) {
			if (a[i] != b[i]) {
				return false;
			}
		}
		a += len + 1;
		b += len + 1;
	}
}

/* Hash of a lowercase wire name, composed label by label from the root, so one pass over
 * a name gives every suffix's hash (zdb_name_hashes()). */
uint64_t zdb_name_hash(const knot_dname_t *name);
/* The hash of every suffix of name: hashes[i] and suffixes[i] for the name without its
 * first i labels, i = 0 .. labels (the root last). Returns the label count. */
size_t zdb_name_hashes(const knot_dname_t *name, uint64_t hashes[ZDB_MAX_LABELS + 1],
		       const knot_dname_t *suffixes[ZDB_MAX_LABELS + 1]);

/* The index slot number holding name (hash h), or the first free slot for it in *free_at
 * (a tombstone if one comes first) and -1. */
long zdb_index_probe(const zdb_zone_t *z, const knot_dname_t *name, uint64_t h, size_t *free_at);
static inline zdb_slot_t *zdb_slot_at(const zdb_zone_t *z, size_t i)
{
	return &z->chunks[i >> ZDB_CHUNK_BITS][i & (ZDB_CHUNK_SLOTS - 1)];
}
/* A fresh, empty index of at least 2 * nodes slots in z's generation. */
void zdb_index_init(zdb_zone_t *z, size_t nodes);
/* Put a node into an index that has room (builds; patches use their own copy-on-write). */
void zdb_index_put(zdb_zone_t *z, const zdb_node_t *n, uint64_t h);

/* A new version of base's zone (not yet indexed): its own generation, base's apex, id,
 * serial and RR count (patch.c, compact.c). */
zdb_zone_t *zdb_zone_new_from(const zdb_zone_t *base);
/* A new generation (refs 1) and dropping a reference. */
zdb_gen_t *zdb_gen_new(void);
void zdb_gen_unref(zdb_gen_t *g);

/* A node's signed-zone part with room for count RRSIG RRsets (zeroed), its NSEC3
 * positions not yet known (sign_zone.c). */
zdb_node_sig_t *zdb_node_sig_new(zdb_zone_t *z, uint16_t count);

/* The builder, which patch.c shares (build.c). */
typedef struct zdb_pending {
	const knot_dname_t *owner; /* lowercase, in the scratch arena */
	uint16_t type;             /* 0: a name a patch touches (no RR) */
	uint16_t owner_size;       /* knot_dname_size(owner) */
	uint32_t ttl;
	knot_rdata_t *rdata;       /* in the scratch arena */
} zdb_pending_t;

struct zdb_builder {
	zdb_zone_t *z;
	const zdb_zone_t *base;    /* a patch's base version; NULL for a whole build */
	arena_t scratch;
	zdb_pending_t *rrs;
	size_t count, cap;
	const knot_dname_t *last_owner; /* consecutive RRs of one owner share its bytes */
	size_t rdata_bytes;        /* of every pending RR, for the build's memory estimate */
};

/* A new pending entry for owner (text): the name checked, lowered and kept in the zone's
 * generation. NULL when the owner is malformed or outside the zone. */
zdb_pending_t *zdb_builder_push(zdb_builder_t *b, const char *owner);
/* Sort the pending RRs by owner (zdb_name_order()), type and rdata. */
void zdb_builder_sort(zdb_builder_t *b);
/* The order of names in builds: shorter wire names first, then by bytes, so a parent
 * comes before its children. */
int zdb_name_order(const knot_dname_t *a, const knot_dname_t *b);
/* Fill node from the pending RRs [from, to) of its owner (RRsets, pseudo-records, the
 * CNAME/DNAME/ALIAS/URL/POOL flags; entries of type 0 skipped), in z's generation. Returns
 * the number of RRs put in RRsets. */
size_t zdb_fill_node(zdb_zone_t *z, zdb_node_t *node, const zdb_pending_t *rrs, size_t from,
		     size_t to);
/* A new node in z's generation with its own copy of owner right after it. */
zdb_node_t *zdb_node_alloc(zdb_zone_t *z, const knot_dname_t *owner);
/* What is wrong with a node's own data (a CNAME beside other data), or NULL. */
const char *zdb_node_check(const zdb_node_t *n);
/* A copy of z in one new generation, answering as z does (compact.c). */
zdb_zone_t *zdb_compact(zdb_zone_t *z);
/* Every ALIAS target of the zone's nodes into z->aliases (a whole build). */
void zdb_list_aliases(zdb_zone_t *z);
