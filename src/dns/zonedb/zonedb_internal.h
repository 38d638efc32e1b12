/* zonedb_internal.h -- the zone structure shared by build.c and zone.c. */
#pragma once

#include "core/arena.h"
#include "dns/zonedb/zonedb.h"

struct zdb_zone {
	arena_t mem;              /* everything below lives here */
	knot_dname_t *apex;
	zdb_node_t *apex_node;
	const knot_rrset_t *soa;
	uint32_t serial;
	int64_t id;               /* the store's zone id */
	zdb_node_t *nodes;
	size_t node_count;
	uint32_t *index;          /* open addressing: node number + 1, 0 = empty */
	size_t index_mask;        /* index size - 1 (a power of two) */
	uint64_t apex_hash;
	const knot_dname_t **aliases; /* every ALIAS target (zdb_zone_aliases()) */
	size_t alias_count;
	_Atomic(void *) ext;      /* zdb_zone_set_ext(): the transfer journal */
	void (*ext_free)(void *);
};

/* Hash of a lowercase wire name (FNV-1a over its bytes). */
uint64_t zdb_name_hash(const knot_dname_t *name);
