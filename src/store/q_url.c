/* q_url.c -- SQLite query of the redirect role: the URL record that answers for a host.
 *
 * DESIGN: two indexed reads, no transaction (a record changed between them only means the
 * request saw the zone a moment earlier). The zone is the longest suffix of the host
 * among active zones, as the dns role serves only active zones; the record follows DNS
 * wildcard rules (RFC 4592), so the redirector answers the names whose A/AAAA the dns
 * role points at it. Names are stored lowercase and the host comes lowercase.
 */
#include <string.h>

#include "core/err.h"
#include "store/sqlite_internal.h"

typedef struct zone_hit {
	int64_t id;
	int64_t name_len;
} zone_hit_t;

typedef struct url_hit {
	const char *content;
	uint32_t ttl;
} url_hit_t;

static void read_zone_hit(arena_t *a, sqlite3_stmt *s, void *p)
{
	zone_hit_t *z = p;
	z->id = sqlite3_column_int64(s, 0);
	z->name_len = sqlite3_column_int64(s, 1);
}

static void read_url_hit(arena_t *a, sqlite3_stmt *s, void *p)
{
	url_hit_t *u = p;
	u->content = sq_text(a, s, 0);
	u->ttl = (uint32_t)sqlite3_column_int64(s, 1);
}

/* Every suffix of the host ("a.b.c", "b.c", "c"), each one probe of zones' name index. */
static const char zone_sql[] =
	"WITH RECURSIVE sfx(n) AS (SELECT ?1 UNION ALL "
	"SELECT substr(n, instr(n, '.') + 1) FROM sfx WHERE instr(n, '.') > 0) "
	"SELECT z.id, length(z.name) FROM sfx JOIN zones z ON z.name = sfx.n "
	"WHERE z.active = 1 ORDER BY length(z.name) DESC LIMIT 1";

/* anc walks from the relative name up to the apex (""): depth 0 is the name itself (an
 * exact URL record), depth d > 0 probes the wildcard "*.<ancestor>". RFC 4592 3.3.1: a
 * wildcard applies only at the closest encloser, i.e. when `child` (the ancestor's child
 * on the way to the name, or the name itself) does not exist: no record at it or below
 * it. When child exists, every shallower wildcard fails the same test, so the first row
 * by depth is the answer. Several URL records at one name: the oldest. The existence
 * test scans the zone's names (a suffix has no index), so it names r to run only for a
 * wildcard URL record that is there. */
static const char record_sql[] =
	"WITH RECURSIVE anc(n, child, d) AS (SELECT ?2, NULL, 0 UNION ALL "
	"SELECT CASE WHEN instr(n, '.') > 0 THEN substr(n, instr(n, '.') + 1) ELSE '' END, "
	"n, d + 1 FROM anc WHERE n <> '') "
	"SELECT r.content, r.ttl FROM anc JOIN records r ON r.zone_id = ?1 AND r.type = 'URL' "
	"AND r.name = CASE WHEN anc.d = 0 THEN anc.n WHEN anc.n = '' THEN '*' "
	"ELSE '*.' || anc.n END "
	"WHERE anc.d = 0 OR NOT EXISTS (SELECT 1 FROM records e WHERE e.zone_id = r.zone_id "
	"AND (e.name = anc.child "
	"OR substr(e.name, -length(anc.child) - 1) = '.' || anc.child)) "
	"ORDER BY anc.d, r.id LIMIT 1";

int sq_url_target(store_t *st, arena_t *a, const char *host, const char **content,
		  uint32_t *ttl)
{
	size_t host_len = strlen(host);
	zone_hit_t z = { 0 };
	sq_bind_t zb = { .t = { host }, .is_text = 1u, .count = 1 };
	int ret = sq_query(st, a, zone_sql, &zb, read_zone_hit, sizeof(z), true, &z, NULL);
	if (ret != ERR_OK) {
		return ret;
	}
	/* The zone is a suffix of the host: the part before it (and its dot) is relative. */
	size_t rel_len = (size_t)z.name_len < host_len ? host_len - (size_t)z.name_len - 1 : 0;
	const char *rel = arena_strndup(a, host, rel_len);
	if (rel == NULL) {
		return ERR_TOOBIG;
	}
	url_hit_t u = { 0 };
	sq_bind_t rb = { .i = { z.id }, .t = { NULL, rel }, .is_text = 1u << 1, .count = 2 };
	ret = sq_query(st, a, record_sql, &rb, read_url_hit, sizeof(u), true, &u, NULL);
	if (ret == ERR_OK) {
		*content = u.content;
		*ttl = u.ttl;
	}
	return ret;
}
