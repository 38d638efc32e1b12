/* zonedb.h -- the DNS server's view of every active zone: immutable snapshots, swapped
 * whole, read without locks.
 *
 * DESIGN. Each zone is one immutable zdb_zone_t built from the store (build.c): nodes
 * with their RRsets as libknot knot_rrset_t (wire rdata ready for knot_pkt_put()), in one
 * memory block, with a hash index of owner names for exact and closest-encloser lookups.
 * The set of zones is a table of slots; a change to a zone builds a new zdb_zone_t and
 * stores it in its slot with one atomic pointer store; adding or removing a zone builds
 * a new table and swaps the table pointer. Readers (DNS workers) never lock: they hold
 * pointers only between two quiescent points (zdb_reader_quiescent()), and retired
 * zones and tables are freed once every online reader has passed one (QSBR, as Knot's
 * RCU). All names inside are lowercase wire format; compare queries after lowering.
 */
#pragma once

#include <libknot/libknot.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct zdb_node zdb_node_t;

enum {
	ZDB_NODE_DELEG = 1 << 0,   /* NS at a name below the apex: a zone cut */
	ZDB_NODE_NONAUTH = 1 << 1, /* at or below a zone cut (not the cut itself): glue only */
	ZDB_NODE_EMPTY = 1 << 2,   /* empty non-terminal: exists, has no RRsets */
	ZDB_NODE_DNAME = 1 << 3,   /* has a DNAME RRset */
	ZDB_NODE_CNAME = 1 << 4,   /* has a CNAME RRset */
};

struct zdb_node {
	const knot_dname_t *owner;   /* lowercase wire */
	const zdb_node_t *parent;    /* the node one label up; NULL at the apex */
	const zdb_node_t *wildcard;  /* the child "*" of this node, or NULL */
	knot_rrset_t *rrsets;        /* sorted by type; each rrset's owner is this owner */
	uint16_t rrset_count;
	uint16_t flags;              /* ZDB_NODE_* */
	uint16_t labels;             /* label count of owner */
};

typedef struct zdb_zone zdb_zone_t;

/* The zone's apex name, node and serial. */
const knot_dname_t *zdb_zone_apex(const zdb_zone_t *z);
const zdb_node_t *zdb_zone_apex_node(const zdb_zone_t *z);
uint32_t zdb_zone_serial(const zdb_zone_t *z);
/* The store's id of the zone (0 when built without one). */
int64_t zdb_zone_id(const zdb_zone_t *z);
/* The zone's SOA RRset (never NULL in a served zone). */
const knot_rrset_t *zdb_zone_soa(const zdb_zone_t *z);

/* The node for exactly this name (lowercase wire, in the zone), or NULL. */
const zdb_node_t *zdb_zone_get(const zdb_zone_t *z, const knot_dname_t *name);
/* The node for qname (lowercase wire, at or under the apex) if it exists, else NULL and
 * *encloser = the closest encloser (the longest existing ancestor, empty non-terminals
 * included; RFC 4592 3.3.1). When the node exists, *encloser is the node. */
const zdb_node_t *zdb_zone_find(const zdb_zone_t *z, const knot_dname_t *qname,
				const zdb_node_t **encloser);
/* The RRset of one type at a node, or NULL. */
const knot_rrset_t *zdb_node_rrset(const zdb_node_t *n, uint16_t type);
/* The closest zone cut at or above node (its node), or NULL when node is authoritative
 * data. Walks parents; the cut is the highest ZDB_NODE_DELEG ancestor. */
const zdb_node_t *zdb_node_cut(const zdb_node_t *n);

/* --- the set of zones ---------------------------------------------------------------- */

typedef struct zdb zdb_t;

zdb_t *zdb_new(void);
/* Frees every zone; readers must be stopped. */
void zdb_free(zdb_t *db);
/* The zone whose apex is the longest suffix of qname (lowercase wire), or NULL: the
 * query is for a name we do not host (REFUSED). Lock-free; valid until the reader's next
 * quiescent point. */
const zdb_zone_t *zdb_find_zone(const zdb_t *db, const knot_dname_t *qname);
/* Number of zones served. */
size_t zdb_zone_count(const zdb_t *db);

/* Writer side (one writer thread at a time): publish a new version of a zone (takes
 * ownership; replaces the zone with the same apex), or remove one. The old version is
 * retired and freed after a grace period. */
void zdb_publish(zdb_t *db, zdb_zone_t *zone);
void zdb_remove(zdb_t *db, const knot_dname_t *apex);
/* Free what readers can no longer see. Call from the writer now and then. */
void zdb_reclaim(zdb_t *db);

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
/* The store's id of the zone being built. */
void zdb_builder_set_id(zdb_builder_t *b, int64_t id);
/* Add one RR: owner text (absolute), type, TTL, wire rdata. RRs of one owner and type
 * join one RRset (the lowest TTL wins, RFC 2181 5.2). Returns ERR_* (ERR_INVALID for an
 * owner outside the zone or a malformed name). */
int zdb_builder_add(zdb_builder_t *b, const char *owner, uint16_t type, uint32_t ttl,
		    const uint8_t *rdata, uint16_t size);
/* Finish: index names, add empty non-terminals, mark cuts and glue. NULL with *err set
 * when the zone cannot be served (no SOA at the apex, CNAME beside other data, ...); the
 * builder is freed either way. */
zdb_zone_t *zdb_builder_finish(zdb_builder_t *b, const char **err);
void zdb_builder_free(zdb_builder_t *b);
void zdb_zone_free(zdb_zone_t *z);
