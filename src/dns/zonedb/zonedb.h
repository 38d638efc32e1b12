/* zonedb.h -- the DNS server's view of every active zone: immutable versions, swapped
 * whole, read without locks.
 *
 * DESIGN. Each version of a zone is one immutable zdb_zone_t: nodes with their RRsets as
 * libknot knot_rrset_t (wire rdata ready for knot_pkt_put()) and a hash index of owner
 * names for exact and closest-encloser lookups. A version is built whole from the store
 * (build.c), or patched from the previous one (patch.c): the names a change touched get
 * new nodes, and the new version shares every other node, and every index chunk it did not
 * write, with the old one, so a change to a zone of a million names costs about what it
 * changed. A node points at no other node but its wildcard child (a patch that replaces
 * a "*" node replaces its parent too): parents and zone cuts are found by name.
 * The set of zones is a table of slots; a new version goes into its zone's slot with one
 * atomic pointer store. Readers (DNS workers) never lock: they hold pointers only between
 * two quiescent points (zdb_reader_quiescent()), and retired versions and tables are
 * freed once every online reader has passed one (QSBR, as Knot's RCU). All names inside
 * are lowercase wire format; compare queries after lowering.
 * ALIAS, URL and POOL records (the API's pseudo-types) are kept per node as a
 * zdb_pseudo_t beside the RRsets, never as RRsets: the answer engine turns them into
 * A/AAAA or a CNAME at query time (dns/alias for ALIAS targets outside our zones).
 */
#pragma once

#include <libknot/libknot.h>
#include <stdatomic.h>

#include "dns/dnssec/sign.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct zdb_node zdb_node_t;

enum {
	ZDB_NODE_DELEG = 1 << 0,   /* NS at a name below the apex: a zone cut */
	ZDB_NODE_NONAUTH = 1 << 1, /* at or below a zone cut (not the cut itself): glue only */
	ZDB_NODE_EMPTY = 1 << 2,   /* empty non-terminal: exists, has no RRsets */
	ZDB_NODE_DNAME = 1 << 3,   /* has a DNAME RRset */
	ZDB_NODE_CNAME = 1 << 4,   /* has a CNAME RRset */
	ZDB_NODE_ALIAS = 1 << 5,   /* has an ALIAS record (pseudo->alias) */
	ZDB_NODE_URL = 1 << 6,     /* has a URL record: A/AAAA are the redirector's */
	ZDB_NODE_POOL = 1 << 7,    /* has POOL records (pseudo->pool) */
	ZDB_NODE_WILDCARD = 1 << 8, /* has a child "*" (zdb_zone_wildcard()) */
	ZDB_NODE_APEX = 1 << 9,
};

/* The pseudo-types (rrtype.def's private-use codes): records the API stores that never
 * reach the wire as themselves; the answer engine turns them into A/AAAA or a CNAME. */
enum {
	ZDB_TYPE_ALIAS = 65401,
	ZDB_TYPE_URL = 65402,
	ZDB_TYPE_POOL = 65403,
};

/* ALIAS, URL and POOL at one name (issue 5); in the zone's memory. */
typedef struct zdb_pseudo {
	const knot_dname_t *alias;     /* ALIAS target, lowercase wire; NULL without one. Of
					* several ALIAS records at a name, the first in
					* canonical order answers. */
	uint32_t alias_ttl;
	uint32_t url_ttl;              /* the lowest TTL of the URL records (ZDB_NODE_URL) */
	uint32_t pool_ttl;             /* the lowest TTL of the POOL records */
	uint16_t pool_count;
	const knot_rdata_t *const *pool; /* POOL members: rdata holding one lowercase wire
					  * name each, ready to be a CNAME's rdata */
} zdb_pseudo_t;

/* What a node of a signed zone has beyond an unsigned one (sign_zone.c). Every node of a
 * signed zone has one, empty non-terminals included; unsigned zones pay nothing for it. */
typedef struct zdb_node_sig {
	/* zdb_node_nsec3_known()'s cache: the index in the zone's NSEC3 chain of the node's
	 * NSEC3 and of the NSEC3 matching or covering "*.owner"; unknown until a query first
	 * needs it, then written once by whichever reader gets there first (the same value
	 * for all of them), atomically. */
	uint32_t nsec3, nsec3_wildcard;
	knot_rrset_t rrsigs[];       /* rrsigs[i] is the RRSIG RRset that covers rrsets[i]
				      * (count 0 where it is not signed: NS at a cut, glue) */
} zdb_node_sig_t;

struct zdb_node {
	const knot_dname_t *owner;   /* lowercase wire */
	knot_rrset_t *rrsets;        /* sorted by type; each rrset's owner is this owner */
	const zdb_pseudo_t *pseudo;  /* with ZDB_NODE_ALIAS, _URL or _POOL, else NULL */
	const zdb_node_t *wildcard;  /* the child "*" (zdb_zone_wildcard()), or NULL */
	zdb_node_sig_t *sig;         /* in a signed zone; NULL in an unsigned one */
	uint32_t children;           /* nodes one label below (empty non-terminals included) */
	uint16_t rrset_count;
	uint16_t flags;              /* ZDB_NODE_* */
	uint16_t labels;             /* label count of owner */
};

/* The RRSIG RRsets of n's RRsets (rrsigs[i] covers rrsets[i]), or NULL (unsigned zone). */
static inline const knot_rrset_t *zdb_node_rrsigs(const zdb_node_t *n)
{
	return n->sig != NULL ? n->sig->rrsigs : NULL;
}

typedef struct zdb_zone zdb_zone_t;

/* The zone's apex name, node and serial. */
const knot_dname_t *zdb_zone_apex(const zdb_zone_t *z);
const zdb_node_t *zdb_zone_apex_node(const zdb_zone_t *z);
uint32_t zdb_zone_serial(const zdb_zone_t *z);
/* The store's id of the zone (0 when built without one). */
int64_t zdb_zone_id(const zdb_zone_t *z);
/* The zone's SOA RRset (never NULL in a served zone). */
const knot_rrset_t *zdb_zone_soa(const zdb_zone_t *z);
/* The zone's ALIAS targets (lowercase wire, one per node with an ALIAS; duplicates
 * possible), *count of them; valid as long as the zone. */
const knot_dname_t *const *zdb_zone_aliases(const zdb_zone_t *z, size_t *count);

/* Every node of the zone, for zone transfers: *pos starts at 0; each call returns the next
 * node (the apex first, then in index order; empty non-terminals included: they have no
 * RRsets), NULL at the end. */
const zdb_node_t *zdb_zone_next(const zdb_zone_t *z, size_t *pos);
size_t zdb_zone_node_count(const zdb_zone_t *z);
/* RRs in the zone's RRsets (pseudo-records aside), kept as versions are made. */
size_t zdb_zone_rr_count(const zdb_zone_t *z);
/* When this version was patched from the version with serial *from: the nodes it replaced,
 * *count pairs of old (NULL: a new name) and new (NULL: a name gone). NULL when it was
 * built whole. Valid as long as the zone; the old nodes as long as the old version. */
typedef struct zdb_change {
	const zdb_node_t *old, *new;
} zdb_change_t;
const zdb_change_t *zdb_zone_changes(const zdb_zone_t *z, uint32_t *from, size_t *count);
/* Data another module keeps with one version of a zone (dns/xfr: its IXFR journal),
 * freed with the zone by free_fn. Set it once, by the writer, before the zone is
 * published or right after (readers see NULL or the value); readers get it lock-free. */
void zdb_zone_set_ext(zdb_zone_t *z, void *ext, void (*free_fn)(void *));
void *zdb_zone_ext(const zdb_zone_t *z);

/* A lowercase wire name and the hash of each of its suffixes (zdb_hash_name()): the
 * answer path asks both zdb_find_zone() and zdb_zone_find() about the same name, and
 * hashing it is the larger part of either when the data is in the cache. */
#define ZDB_MAX_LABELS 128
typedef struct zdb_hashed_name {
	size_t labels;
	uint64_t hash[ZDB_MAX_LABELS + 1];                 /* [i]: without i labels */
	const knot_dname_t *suffix[ZDB_MAX_LABELS + 1];    /* [0]: the name itself */
} zdb_hashed_name_t;

void zdb_hash_name(const knot_dname_t *name, zdb_hashed_name_t *out);

/* The node for exactly this name (lowercase wire, in the zone), or NULL. */
const zdb_node_t *zdb_zone_get(const zdb_zone_t *z, const knot_dname_t *name);
/* The node for qname (lowercase wire, at or under the apex) if it exists, else NULL and
 * *encloser = the closest encloser (the longest existing ancestor, empty non-terminals
 * included; RFC 4592 3.3.1). When the node exists, *encloser is the node. */
const zdb_node_t *zdb_zone_find(const zdb_zone_t *z, const knot_dname_t *qname,
				const zdb_node_t **encloser);
/* The same, for a name already hashed. */
const zdb_node_t *zdb_zone_find_hashed(const zdb_zone_t *z, const zdb_hashed_name_t *qname,
				       const zdb_node_t **encloser);
/* The RRset of one type at a node, or NULL. */
const knot_rrset_t *zdb_node_rrset(const zdb_node_t *n, uint16_t type);
/* The child "*" of node n (RFC 4592), or NULL. */
const zdb_node_t *zdb_zone_wildcard(const zdb_zone_t *z, const zdb_node_t *n);
/* The zone cut at or above node n (its node), or NULL when n is authoritative data: the
 * highest ZDB_NODE_DELEG node on the way up to the apex. */
const zdb_node_t *zdb_zone_cut(const zdb_zone_t *z, const zdb_node_t *n);

/* --- the set of zones ---------------------------------------------------------------- */

typedef struct zdb zdb_t;

zdb_t *zdb_new(void);
/* Frees every zone; readers must be stopped. */
void zdb_free(zdb_t *db);
/* The zone whose apex is the longest suffix of qname (lowercase wire), or NULL: the
 * query is for a name we do not host (REFUSED). Lock-free; valid until the reader's next
 * quiescent point. */
const zdb_zone_t *zdb_find_zone(const zdb_t *db, const knot_dname_t *qname);
/* The same for a name already hashed, without its first `skip` labels. */
const zdb_zone_t *zdb_find_zone_hashed(const zdb_t *db, const zdb_hashed_name_t *qname,
				       size_t skip);
/* Number of zones served. */
size_t zdb_zone_count(const zdb_t *db);

/* Writer side (one writer thread at a time): publish a new version of a zone (takes
 * ownership; replaces the zone with the same apex), or remove one. The old version is
 * retired and freed after a grace period. */
void zdb_publish(zdb_t *db, zdb_zone_t *zone);
void zdb_remove(zdb_t *db, const knot_dname_t *apex);
/* Free what readers can no longer see. Call from the writer now and then. */
void zdb_reclaim(zdb_t *db);
/* Hand memory that readers may still hold to the same grace period: free_fn(p) runs
 * once every online reader has passed a quiescent point (in the writer's next
 * zdb_reclaim(), or in zdb_free()), under the db's lock (free_fn must not call zdb_*).
 * For other lock-free structures the readers reach, such as the ALIAS cache's answers.
 * Any thread; only the writer reclaims. */
void zdb_retire(zdb_t *db, void *p, void (*free_fn)(void *));

/* --- prefetching a batch of lookups (zone.c) ------------------------------------------ */

/* A lookup waits on up to three cache misses in a row: the zone table's slot, the zone's
 * index slot, the node. For a batch of questions, call zdb_prefetch_start() for each,
 * then zdb_prefetch_step() for each, twice over: every round issues one level's loads
 * for the whole batch, so the misses of different questions overlap instead of queuing
 * ("group prefetching"). Hints only: they read, never change, and what zdb_find_zone()
 * and zdb_zone_find() then find is the same with or without them. Same validity as
 * zdb_find_zone()'s result: an online reader, within one batch. */
typedef struct zdb_prefetch {
	uint64_t name_hash;   /* the qname's */
	uint64_t zone_hash;   /* the suffix zdb_find_zone() probes first */
	const void *next;     /* what the next step reads */
	unsigned level;       /* which that is; 0: nothing more to do */
} zdb_prefetch_t;

/* qname: lowercase wire. */
void zdb_prefetch_start(const zdb_t *db, const knot_dname_t *qname, zdb_prefetch_t *p);
void zdb_prefetch_step(zdb_prefetch_t *p);

/* --- readers (QSBR) ------------------------------------------------------------------- */

typedef struct zdb_reader zdb_reader_t;

/* Register a reader thread (a DNS worker); it starts online. */
zdb_reader_t *zdb_reader_register(zdb_t *db);
void zdb_reader_unregister(zdb_t *db, zdb_reader_t *r);
/* "I hold no pointer from the zone db now": call between batches of queries. */
void zdb_reader_quiescent(zdb_reader_t *r);
/* Around blocking calls (poll, recvmmsg without timeout): an offline reader never delays
 * reclamation. Online again before touching the zone db. */
void zdb_reader_offline(zdb_reader_t *r);
void zdb_reader_online(zdb_reader_t *r);

/* --- building a zone (build.c) -------------------------------------------------------- */

typedef struct zdb_builder zdb_builder_t;

/* Start a zone with this apex (text, with or without the trailing dot) and serial. */
zdb_builder_t *zdb_builder_new(const char *apex, uint32_t serial);
/* The store's id of the zone being built, and its serial (when known only later). */
void zdb_builder_set_id(zdb_builder_t *b, int64_t id);
void zdb_builder_set_serial(zdb_builder_t *b, uint32_t serial);
/* Add one RR: owner text (absolute), type, TTL, wire rdata. RRs of one owner and type
 * join one RRset (the lowest TTL wins, RFC 2181 5.2). Returns ERR_* (ERR_INVALID for an
 * owner outside the zone or a malformed name). */
int zdb_builder_add(zdb_builder_t *b, const char *owner, uint16_t type, uint32_t ttl,
		    const uint8_t *rdata, uint16_t size);
/* Add one pseudo-record: owner text (absolute), type ZDB_TYPE_ALIAS, _URL or _POOL, TTL,
 * and the API's normalized content: a host name for ALIAS and POOL (absolute, with or
 * without the trailing dot), anything for URL (the node is only marked; the redirect
 * role reads the URL from the store). Pseudo-records sit beside any RRset but a CNAME,
 * and are never put on the wire as themselves. Returns ERR_OK, ERR_INVALID (owner
 * outside the zone, a malformed name, another type). */
int zdb_builder_add_pseudo(zdb_builder_t *b, const char *owner, uint16_t type, uint32_t ttl,
			   const char *content);
/* Finish: index names, add empty non-terminals, mark cuts and glue. NULL with *err set
 * when the zone cannot be served (no SOA at the apex, CNAME beside other data, ...); the
 * builder is freed either way. */
zdb_zone_t *zdb_builder_finish(zdb_builder_t *b, const char **err);
void zdb_builder_free(zdb_builder_t *b);
void zdb_zone_free(zdb_zone_t *z);

/* --- signing a zone (sign_zone.c) ---------------------------------------------------- */

/* A signed zone's NSEC3 chain (RFC 5155 with RFC 9276's parameters) and the RRSIG RRset of
 * each NSEC3 RRset (rrsigs[i] covers chain.rrsets[i]). */
typedef struct zdb_nsec3 {
	nsec3_chain_t chain;
	knot_rrset_t *rrsigs;
} zdb_nsec3_t;

/* The chain of a signed zone, or NULL for an unsigned one. */
const zdb_nsec3_t *zdb_zone_nsec3(const zdb_zone_t *z);
/* Node n's NSEC3 indexes in signed zone z's chain, for the proof functions: computed (one
 * SHA-1 and one search each) when a query first needs them and kept in the node, so an
 * encloser that proves many answers (the apex, mostly) is hashed once, not for each
 * answer. Readers may call it concurrently. -1 where the chain has none. */
nsec3_known_t zdb_node_nsec3_known(const zdb_zone_t *z, const zdb_node_t *n);

/* One key of a zone as the signer uses it at p->now: published keys are in the DNSKEY
 * RRset (and CDS/CDNSKEY when they are SEP keys and active), active ones sign. */
typedef struct zdb_key {
	zsign_key_t sign;           /* key, tag, algorithm, roles */
	const uint8_t *dnskey;      /* DNSKEY rdata */
	uint16_t dnskey_size;
	bool is_published, is_active;
} zdb_key_t;

/* Sign z, a version built whole and not yet published: DNSKEY, CDS, CDNSKEY and
 * NSEC3PARAM at the apex, RRSIGs for every authoritative RRset (copied from prev's same
 * RRset where the data is the same and the signature is not due: zsign_rrset_refresh),
 * and the NSEC3 chain with its RRSIGs. p->keys are the active keys; keys[] all the
 * zone's keys with their state. *refresh_at: when the first signature comes due (RRSIG
 * time). Returns ERR_OK or ERR_* with *err saying why. */
int zdb_zone_sign(zdb_zone_t *z, const zdb_zone_t *prev, const zsign_policy_t *p,
		  const zdb_key_t *keys, size_t key_count, unsigned threads,
		  uint32_t *refresh_at, const char **err);

/* --- signing answers made at query time (signer.c) ---------------------------------- */

/* The active keys of a signed version, for the answers that exist only at query time
 * (ALIAS/URL addresses, POOL CNAMEs, NSEC3 RRs with a narrower bitmap): the dns workers
 * sign those with them (each with its own libdnssec contexts) and cache the signatures.
 * Refcounted; immutable once attached to a version. */
typedef struct zdb_signer zdb_signer_t;

/* A signer for apex (lowercase wire, copied): new signatures are valid for lifetime
 * seconds (from an hour back) and served until refresh seconds before they expire.
 * Free with zdb_signer_unref(). */
zdb_signer_t *zdb_signer_new(const knot_dname_t *apex, uint32_t lifetime, uint32_t refresh);
/* Add an active key: takes ownership of key (freed with the signer), its roles
 * (ZSIGN_KEY_*), its DNSKEY rdata (read only to identify the key set). ERR_OK,
 * ERR_INVAL_ARG (no private key, no role, too many keys: key not taken). */
int zdb_signer_add_key(zdb_signer_t *s, dnssec_key_t *key, uint8_t roles, const uint8_t *dnskey,
		       size_t size);
void zdb_signer_ref(zdb_signer_t *s);
void zdb_signer_unref(zdb_signer_t *s);
/* The policy to sign with at now (RRSIG time); its pointers live as long as s. */
void zdb_signer_policy(const zdb_signer_t *s, uint32_t now, zsign_policy_t *out);
/* An id of the key set (the keys' DNSKEY rdata and roles): a signature made with one
 * signer serves another with the same id. */
uint64_t zdb_signer_keyset(const zdb_signer_t *s);
/* Attach s to z, a version not yet published (takes the caller's reference; freed with
 * z's memory). */
void zdb_zone_set_signer(zdb_zone_t *z, zdb_signer_t *s);
/* The signer of a signed version, or NULL (unsigned, or signed without one). */
const zdb_signer_t *zdb_zone_signer(const zdb_zone_t *z);

/* --- patching a zone (patch.c) -------------------------------------------------------- */

/* A new version of base with serial, in which the names given get new data. Name each
 * touched name (owner text, absolute) and add the RRs it holds now with zdb_builder_add()
 * and zdb_builder_add_pseudo() (an RR's owner counts as touched); a touched name
 * with no RRs loses its data (and its node, unless names below it remain). base stays
 * valid and unchanged; it must outlive the new version's construction only. */
zdb_builder_t *zdb_patch_new(const zdb_zone_t *base, uint32_t serial);
int zdb_patch_touch(zdb_builder_t *b, const char *owner);
/* Finish a patch: the new version, or NULL with *err set when the result cannot be served
 * (as zdb_builder_finish()), or NULL with *err NULL when the change is one a patch does not
 * make (a zone cut appears or goes above existing names): build the zone whole instead.
 * The builder is freed either way. */
zdb_zone_t *zdb_patch_finish(zdb_builder_t *b, const char **err);
