/* q_zones.c -- SQLite queries for domains and zones, and the serial/change-log/outbox
 * bookkeeping that every zone change commits with. */
#include <ctype.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

#define DOMAIN_COLS                                                                         \
	"SELECT d.id, d.account_id, d.registrant_id, d.name, d.unicode_name, d.state, "     \
	"d.auto_renew, d.private_whois, d.trustee, d.expires_at, d.created_at, d.updated_at "
#define ZONE_COLS                                                                        \
	"SELECT z.id, z.account_id, z.domain_id, z.name, z.reverse, z.secondary, z.active, " \
	"z.serial, z.last_transferred_at, z.created_at, z.updated_at "

static void read_domain(arena_t *a, sqlite3_stmt *s, void *p)
{
	domain_t *d = p;
	d->id = sqlite3_column_int64(s, 0);
	d->account_id = sqlite3_column_int64(s, 1);
	d->registrant_id = sqlite3_column_int64(s, 2);
	d->name = sq_text(a, s, 3);
	d->unicode_name = sq_text(a, s, 4);
	d->state = sq_text(a, s, 5);
	d->auto_renew = sqlite3_column_int(s, 6) != 0;
	d->private_whois = sqlite3_column_int(s, 7) != 0;
	d->trustee = sqlite3_column_int(s, 8) != 0;
	d->expires_at = sqlite3_column_int64(s, 9);
	d->created_at = sqlite3_column_int64(s, 10);
	d->updated_at = sqlite3_column_int64(s, 11);
}

void sq_read_zone(arena_t *a, sqlite3_stmt *s, void *p)
{
	zone_t *z = p;
	z->id = sqlite3_column_int64(s, 0);
	z->account_id = sqlite3_column_int64(s, 1);
	z->domain_id = sqlite3_column_int64(s, 2);
	z->name = sq_text(a, s, 3);
	z->is_reverse = sqlite3_column_int(s, 4) != 0;
	z->is_secondary = sqlite3_column_int(s, 5) != 0;
	z->is_active = sqlite3_column_int(s, 6) != 0;
	z->serial = (uint32_t)sqlite3_column_int64(s, 7);
	z->last_transferred_at = sqlite3_column_int64(s, 8);
	z->created_at = sqlite3_column_int64(s, 9);
	z->updated_at = sqlite3_column_int64(s, 10);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

json_t *sq_record_rr_json(const record_t *r)
{
	char owner[600];
	snprintf(owner, sizeof(owner), "%s%s%s.", r->name, *r->name ? "." : "", r->zone_name);
	json_t *o = json_pack("{s:s,s:i,s:I}", "name", owner, "type", r->type->code, "ttl",
			      (json_int_t)r->ttl);
	if (r->rdata != NULL) {
		char *h = malloc((size_t)r->rdata_size * 2 + 1);
		hex(r->rdata, r->rdata_size, h);
		json_object_set_new(o, "rdata", json_string(h));
		free(h);
	} else {
		json_object_set_new(o, "content", json_string(r->content));
	}
	if (r->regions != NULL && strcmp(r->regions, "global") != 0) {
		/* a record some DNS nodes leave out: IXFR history filters it as they do */
		json_object_set_new(o, "regions", json_string(r->regions));
	}
	return o;
}

/* Rewrite the SOA record's serial: in the rdata (the 4 bytes 20 from the end, RFC 1035
 * 3.3.13) and in the content's third field. Returns the old and new SOA RRs. */
static int soa_reserial(sq_conn_t *c, int64_t zone_id, uint32_t serial, json_t *removed,
			json_t *added)
{
	sqlite3_stmt *s = sq_prepare(c, "SELECT r.id, r.content, r.rdata, r.ttl, r.name, z.name "
					"FROM records r JOIN zones z ON z.id = r.zone_id "
					"WHERE r.zone_id = ? AND r.type_code = 6");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, zone_id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? ERR_OK : sq_err(c, rc); /* secondary zones may lack one */
	}
	int64_t id = sqlite3_column_int64(s, 0);
	const char *content = (const char *)sqlite3_column_text(s, 1);
	int size = sqlite3_column_bytes(s, 2);
	uint8_t rdata[512];
	char newc[1024];
	int ret = ERR_OK;
	if (size < 22 || size > (int)sizeof(rdata) || content == NULL) {
		ret = ERR_STORE;
	} else {
		memcpy(rdata, sqlite3_column_blob(s, 2), (size_t)size);
		const char *p = content;
		size_t n = 0;
		for (int field = 0; field < 2 && *p; field++) { /* copy mname and rname */
			size_t w = strcspn(p, " ");
			n += (size_t)snprintf(newc + n, sizeof(newc) - n, "%.*s ", (int)w, p);
			p += w;
			while (*p == ' ') {
				p++;
			}
		}
		p += strcspn(p, " "); /* skip the old serial */
		snprintf(newc + n, sizeof(newc) - n, "%u%s", serial, p);
		const rrtype_t *soa = rrtype_by_code(6);
		const char *rel = (const char *)sqlite3_column_text(s, 4);
		record_t r = { .name = rel ? rel : "", .zone_name = (const char *)sqlite3_column_text(s, 5),
			       .type = soa, .ttl = (uint32_t)sqlite3_column_int64(s, 3),
			       .rdata = rdata, .rdata_size = (uint16_t)size };
		json_array_append_new(removed, sq_record_rr_json(&r));
		uint32_t be = htobe32(serial);
		memcpy(rdata + size - 20, &be, 4);
		json_array_append_new(added, sq_record_rr_json(&r));
	}
	sqlite3_reset(s);
	if (ret != ERR_OK) {
		return ret;
	}
	s = sq_prepare(c, "UPDATE records SET content = ?, rdata = ?, updated_at = ? WHERE id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sq_bind_text(s, 1, newc);
	sqlite3_bind_blob(s, 2, rdata, size, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, time_now());
	sqlite3_bind_int64(s, 4, id);
	return sq_step_done(c, s);
}

int sq_zone_commit_change(sq_conn_t *c, int64_t zone_id, const char *kind, json_t *removed,
			  json_t *added, int64_t account_id, const char *event, json_t *payload,
			  uint32_t *serial)
{
	int ret = ERR_STORE;
	int64_t now = time_now();
	sqlite3_stmt *s = sq_prepare(c, "SELECT serial, name, secondary FROM zones WHERE id = ?");
	char *zname = NULL;
	uint32_t next = 0;
	bool is_secondary = false;
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, zone_id);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			uint32_t old = (uint32_t)sqlite3_column_int64(s, 0);
			/* strictly increasing; a Unix time while writes are slower than 1/s. A
			 * secondary zone's serial is its primary's: (de)activation keeps it. */
			is_secondary = sqlite3_column_int(s, 2) != 0;
			next = is_secondary ? old
					    : (int64_t)old + 1 > now ? old + 1 : (uint32_t)now;
			zname = strdup((const char *)sqlite3_column_text(s, 1));
			ret = ERR_OK;
		} else {
			ret = rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
		}
		sqlite3_reset(s);
	}
	json_t *soa_removed = json_array(), *soa_added = json_array();
	if (ret == ERR_OK && strcmp(kind, "zone_deleted") != 0 && !is_secondary) {
		ret = soa_reserial(c, zone_id, next, soa_removed, soa_added);
	}
	if (ret == ERR_OK) {
		s = sq_prepare(c, "UPDATE zones SET serial = ?, updated_at = ? WHERE id = ?");
		ret = s == NULL ? ERR_STORE : ERR_OK;
		if (ret == ERR_OK) {
			sqlite3_bind_int64(s, 1, next);
			sqlite3_bind_int64(s, 2, now);
			sqlite3_bind_int64(s, 3, zone_id);
			ret = sq_step_done(c, s);
		}
	}
	if (ret == ERR_OK) {
		/* IXFR's order: old SOA first in the removed set, new SOA first in the added. */
		json_array_extend(soa_removed, removed);
		json_array_extend(soa_added, added);
		char *rem = json_dump_compact(soa_removed), *add = json_dump_compact(soa_added);
		s = sq_prepare(c, "INSERT INTO zone_changes (zone_id, zone_name, serial, kind, "
				  "removed, added, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
		ret = s == NULL ? ERR_STORE : ERR_OK;
		if (ret == ERR_OK) {
			sqlite3_bind_int64(s, 1, zone_id);
			sq_bind_text(s, 2, zname);
			sqlite3_bind_int64(s, 3, next);
			sq_bind_text(s, 4, kind);
			sq_bind_text(s, 5, rem);
			sq_bind_text(s, 6, add);
			sqlite3_bind_int64(s, 7, now);
			ret = sq_step_done(c, s);
		}
		free(rem);
		free(add);
	}
	if (ret == ERR_OK && event != NULL) {
		char *body = json_dump_compact(payload);
		s = sq_prepare(c, "INSERT INTO outbox (account_id, event, payload, created_at) "
				  "VALUES (?, ?, ?, ?)");
		ret = s == NULL ? ERR_STORE : ERR_OK;
		if (ret == ERR_OK) {
			sqlite3_bind_int64(s, 1, account_id);
			sq_bind_text(s, 2, event);
			sq_bind_text(s, 3, body);
			sqlite3_bind_int64(s, 4, now);
			ret = sq_step_done(c, s);
		}
		free(body);
	}
	json_decref(soa_removed);
	json_decref(soa_added);
	json_decref(removed);
	json_decref(added);
	json_decref(payload);
	free(zname);
	*serial = next;
	return ret;
}

static int insert_domain(sq_conn_t *c, domain_t *d)
{
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO domains (account_id, registrant_id, name, "
					"unicode_name, state, created_at, updated_at) "
					"VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	d->created_at = d->updated_at = time_now();
	sqlite3_bind_int64(s, 1, d->account_id);
	if (d->registrant_id != 0) {
		sqlite3_bind_int64(s, 2, d->registrant_id);
	}
	sq_bind_text(s, 3, d->name);
	sq_bind_text(s, 4, d->unicode_name);
	sq_bind_text(s, 5, d->state);
	sqlite3_bind_int64(s, 6, d->created_at);
	sqlite3_bind_int64(s, 7, d->updated_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		d->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

static int insert_zone(sq_conn_t *c, zone_t *z)
{
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO zones (account_id, domain_id, name, reverse, "
					"secondary, active, serial, created_at, updated_at) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	z->created_at = z->updated_at = time_now();
	sqlite3_bind_int64(s, 1, z->account_id);
	if (z->domain_id != 0) {
		sqlite3_bind_int64(s, 2, z->domain_id);
	}
	sq_bind_text(s, 3, z->name);
	sqlite3_bind_int(s, 4, z->is_reverse);
	sqlite3_bind_int(s, 5, z->is_secondary);
	sqlite3_bind_int(s, 6, z->is_active);
	sqlite3_bind_int64(s, 7, z->serial);
	sqlite3_bind_int64(s, 8, z->created_at);
	sqlite3_bind_int64(s, 9, z->updated_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		z->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

static int zone_create_txn(sq_conn_t *c, void *arg)
{
	store_zone_new_t *zn = arg;
	int ret = ERR_OK;
	if (zn->domain != NULL) {
		ret = insert_domain(c, zn->domain);
		zn->zone->domain_id = zn->domain->id;
	}
	if (ret == ERR_OK) {
		ret = insert_zone(c, zn->zone);
	}
	json_t *added = json_array();
	for (size_t i = 0; ret == ERR_OK && i < zn->record_count; i++) {
		zn->records[i].zone_id = zn->zone->id;
		ret = sq_insert_record(c, &zn->records[i]);
		if (ret == ERR_OK && zn->records[i].type->code != 6) {
			json_array_append_new(added, sq_record_rr_json(&zn->records[i]));
		}
	}
	if (ret != ERR_OK) {
		json_decref(added);
		return ret;
	}
	json_t *payload = zn->domain != NULL
				  ? json_pack("{s:o}", "domain", domain_to_json(zn->domain))
				  : json_pack("{s:o}", "zone", zone_to_json(zn->zone));
	uint32_t serial = 0;
	ret = sq_zone_commit_change(c, zn->zone->id, "zone_created", json_array(), added,
				    zn->zone->account_id,
				    zn->domain != NULL ? "domain.create" : "zone.create", payload,
				    &serial);
	zn->zone->serial = serial;
	return ret;
}

int sq_zone_create(store_t *st, store_zone_new_t *z)
{
	return sq_write(st, zone_create_txn, z);
}

/* An id ("42") or a name ("example.com"). */
static bool is_id(const char *ref)
{
	if (ref == NULL || *ref == '\0' || strlen(ref) > 18) {
		return false;
	}
	for (const char *p = ref; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p)) {
			return false;
		}
	}
	return true;
}

int sq_domain_get(store_t *st, arena_t *a, int64_t account_id, const char *ref, domain_t *out)
{
	sq_bind_t b = { .i = { account_id, account_id }, .count = 3 };
	if (is_id(ref)) {
		b.i[2] = strtoll(ref, NULL, 10);
		return sq_query(st, a, DOMAIN_COLS "FROM domains d WHERE (d.account_id = ? OR ? = 0) "
						   "AND d.id = ?",
				&b, read_domain, sizeof(*out), true, out, NULL);
	}
	b.t[2] = ref;
	b.is_text = 1u << 2;
	return sq_query(st, a, DOMAIN_COLS "FROM domains d WHERE (d.account_id = ? OR ? = 0) "
					   "AND d.name = ?",
			&b, read_domain, sizeof(*out), true, out, NULL);
}

int sq_zone_get(store_t *st, arena_t *a, int64_t account_id, const char *ref, zone_t *out)
{
	sq_bind_t b = { .i = { account_id, account_id }, .count = 3 };
	if (is_id(ref)) {
		b.i[2] = strtoll(ref, NULL, 10);
		return sq_query(st, a, ZONE_COLS "FROM zones z WHERE (z.account_id = ? OR ? = 0) "
						 "AND z.id = ?",
				&b, sq_read_zone, sizeof(*out), true, out, NULL);
	}
	size_t len = strlen(ref);
	b.t[2] = len > 1 && ref[len - 1] == '.' ? arena_strndup(a, ref, len - 1) : ref;
	b.is_text = 1u << 2;
	return sq_query(st, a, ZONE_COLS "FROM zones z WHERE (z.account_id = ? OR ? = 0) "
					 "AND z.name = ?",
			&b, sq_read_zone, sizeof(*out), true, out, NULL);
}

/* Binds of the domain and zone lists: account, name_like, registrant, grant user and kind. */
static sq_bind_t list_bind(int64_t account_id, const store_filter_t *f)
{
	sq_bind_t b = { .count = 5, .is_text = (1u << 1) | (1u << 4) };
	b.i[0] = account_id;
	b.t[1] = f != NULL ? f->name_like : NULL;
	b.i[2] = f != NULL ? f->registrant_id : 0;
	b.i[3] = f != NULL ? f->grant_user_id : 0;
	b.t[4] = f != NULL && f->grant_kind != NULL ? f->grant_kind : "";
	return b;
}

int sq_domain_list(store_t *st, arena_t *a, int64_t account_id, const store_filter_t *f,
		   const store_list_t *q, domain_t **out, size_t *count, int64_t *total)
{
	static const sq_sort_col_t sorts[] = {
		{ "id", "d.id" }, { "name", "d.name" }, { "expiration", "d.expires_at" }, { NULL, NULL },
	};
	sq_bind_t b = list_bind(account_id, f);
	store_list_t page = *q;
	if (page.sort_count == 0) { /* default: ascending by name */
		page.sort_count = 1;
		page.sort_fields[0] = "name";
	}
	sq_list_query_t lq = {
		.cols = "d.id, d.account_id, d.registrant_id, d.name, d.unicode_name, d.state, "
			"d.auto_renew, d.private_whois, d.trustee, d.expires_at, d.created_at, "
			"d.updated_at",
		.from = "domains d",
		.where = "d.account_id = ?1 AND (?2 IS NULL OR instr(lower(d.name), lower(?2)) > 0) "
			 "AND (?3 = 0 OR d.registrant_id = ?3) "
			 "AND (?4 = 0 OR d.name IN (SELECT g.name FROM membership_grants g "
			 "WHERE g.account_id = ?1 AND g.user_id = ?4 AND g.kind = ?5))",
		.sorts = sorts,
		.tiebreak = "d.id",
		.bind = &b,
		.read = read_domain,
		.elem_size = sizeof(domain_t),
	};
	return sq_list(st, a, &lq, &page, out, count, total);
}

int sq_zone_list(store_t *st, arena_t *a, int64_t account_id, const store_filter_t *f,
		 const store_list_t *q, zone_t **out, size_t *count, int64_t *total)
{
	static const sq_sort_col_t sorts[] = {
		{ "id", "z.id" }, { "name", "z.name" }, { NULL, NULL },
	};
	sq_bind_t b = list_bind(account_id, f);
	store_list_t page = *q;
	if (page.sort_count == 0) {
		page.sort_count = 1;
		page.sort_fields[0] = "name";
	}
	sq_list_query_t lq = {
		.cols = "z.id, z.account_id, z.domain_id, z.name, z.reverse, z.secondary, z.active, "
			"z.serial, z.last_transferred_at, z.created_at, z.updated_at",
		.from = "zones z",
		.where = "z.account_id = ?1 AND (?2 IS NULL OR instr(lower(z.name), lower(?2)) > 0) "
			 "AND ?3 = ?3 "
			 "AND (?4 = 0 OR z.name IN (SELECT g.name FROM membership_grants g "
			 "WHERE g.account_id = ?1 AND g.user_id = ?4 AND g.kind = ?5))",
		.sorts = sorts,
		.tiebreak = "z.id",
		.bind = &b,
		.read = sq_read_zone,
		.elem_size = sizeof(zone_t),
	};
	return sq_list(st, a, &lq, &page, out, count, total);
}

typedef struct {
	int64_t account_id;
	int64_t id;
	bool is_active;
	bool is_domain;
	zone_t *out;
} zone_op_t;

/* Delete a domain (and, by cascade, its zone and records), or a zone without a domain. */
static int delete_txn(sq_conn_t *c, void *arg)
{
	zone_op_t *op = arg;
	sqlite3_stmt *s = sq_prepare(c, op->is_domain
						? "SELECT z.id, d.name FROM domains d LEFT JOIN zones z "
						  "ON z.domain_id = d.id WHERE d.id = ? AND d.account_id = ?"
						: "SELECT z.id, z.name FROM zones z WHERE z.id = ? AND "
						  "z.account_id = ? AND z.domain_id IS NULL");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, op->id);
	sqlite3_bind_int64(s, 2, op->account_id);
	int rc = sqlite3_step(s);
	int64_t zone_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	char *name = rc == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(s, 1)) : NULL;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
	}
	int ret = ERR_OK;
	if (zone_id != 0) {
		/* The last change-log row tells other DNS nodes the zone is gone. */
		uint32_t serial;
		json_t *payload = json_pack("{s:{s:I,s:s}}", op->is_domain ? "domain" : "zone", "id",
					    (json_int_t)op->id, "name", name);
		ret = sq_zone_commit_change(c, zone_id, "zone_deleted", json_array(), json_array(),
					    op->account_id,
					    op->is_domain ? "domain.delete" : "zone.delete", payload,
					    &serial);
	}
	free(name);
	if (ret == ERR_OK) {
		s = sq_prepare(c, op->is_domain ? "DELETE FROM domains WHERE id = ?"
						: "DELETE FROM zones WHERE id = ?");
		ret = s == NULL ? ERR_STORE : ERR_OK;
		if (ret == ERR_OK) {
			sqlite3_bind_int64(s, 1, op->id);
			ret = sq_step_done(c, s);
		}
	}
	return ret;
}

int sq_domain_delete(store_t *st, int64_t account_id, int64_t domain_id)
{
	zone_op_t op = { .account_id = account_id, .id = domain_id, .is_domain = true };
	return sq_write(st, delete_txn, &op);
}

int sq_zone_delete(store_t *st, int64_t account_id, int64_t zone_id)
{
	zone_op_t op = { .account_id = account_id, .id = zone_id, .is_domain = false };
	return sq_write(st, delete_txn, &op);
}

static int set_active_txn(sq_conn_t *c, void *arg)
{
	zone_op_t *op = arg;
	sqlite3_stmt *s = sq_prepare(c, "UPDATE zones SET active = ?, updated_at = ? "
					"WHERE id = ? AND account_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int(s, 1, op->is_active);
	sqlite3_bind_int64(s, 2, time_now());
	sqlite3_bind_int64(s, 3, op->id);
	sqlite3_bind_int64(s, 4, op->account_id);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK && sqlite3_changes(c->db) == 0) {
		return ERR_NOTFOUND;
	}
	uint32_t serial;
	json_t *payload = json_pack("{s:o}", "zone", zone_to_json(op->out));
	json_object_set_new(json_object_get(payload, "zone"), "active", json_boolean(op->is_active));
	return ret == ERR_OK ? sq_zone_commit_change(c, op->id,
						     op->is_active ? "zone_activated"
								   : "zone_deactivated",
						     json_array(), json_array(), op->account_id,
						     op->is_active ? "zone.activate" : "zone.deactivate",
						     payload, &serial)
			     : ret;
}

int sq_zone_set_active(store_t *st, int64_t account_id, int64_t zone_id, bool is_active,
		       zone_t *out)
{
	zone_op_t op = { .account_id = account_id, .id = zone_id, .is_active = is_active, .out = out };
	int ret = sq_write(st, set_active_txn, &op);
	if (ret == ERR_OK) {
		out->is_active = is_active;
		out->updated_at = time_now();
	}
	return ret;
}

int sq_zone_all(store_t *st, arena_t *a, zone_t **out, size_t *count)
{
	return sq_query(st, a, ZONE_COLS "FROM zones z ORDER BY z.id", NULL, sq_read_zone,
			sizeof(zone_t), false, out, count);
}

static void read_change(arena_t *a, sqlite3_stmt *s, void *p)
{
	store_change_row_t *c = p;
	c->id = sqlite3_column_int64(s, 0);
	c->zone_id = sqlite3_column_int64(s, 1);
	c->zone_name = sq_text(a, s, 2);
	c->serial = (uint32_t)sqlite3_column_int64(s, 3);
	c->kind = sq_text(a, s, 4);
}

int sq_change_since(store_t *st, arena_t *a, int64_t after, size_t limit,
		    store_change_row_t **out, size_t *count)
{
	sq_bind_t b = { .i = { after, (int64_t)limit }, .count = 2 };
	return sq_query(st, a, "SELECT id, zone_id, zone_name, serial, kind FROM zone_changes "
			       "WHERE id > ? ORDER BY id LIMIT ?",
			&b, read_change, sizeof(store_change_row_t), false, out, count);
}

static void read_max(arena_t *a, sqlite3_stmt *s, void *p)
{
	*(int64_t *)p = sqlite3_column_int64(s, 0);
}

int sq_change_last(store_t *st, int64_t *id)
{
	*id = 0;
	return sq_query(st, NULL, "SELECT coalesce(max(id), 0) FROM zone_changes", NULL, read_max,
			sizeof(int64_t), true, id, NULL);
}

typedef struct {
	const char *name;
	uint32_t serial;
} touch_t;

static int touch_txn(sq_conn_t *c, void *arg)
{
	touch_t *t = arg;
	sqlite3_stmt *s = sq_prepare(c, "SELECT id, account_id FROM zones WHERE name = ? AND "
					"secondary = 0 AND active = 1");
	if (s == NULL) {
		return ERR_STORE;
	}
	sq_bind_text(s, 1, t->name);
	int rc = sqlite3_step(s);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	int64_t account = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
	}
	/* "zone_replaced": the stored records did not change, the answers did; a history that
	 * spans it is rebuilt from the zone (AXFR) rather than from the log. */
	return sq_zone_commit_change(c, id, "zone_replaced", json_array(), json_array(), account,
				     NULL, NULL, &t->serial);
}

int sq_zone_touch(store_t *st, const char *zone_name, uint32_t *serial)
{
	touch_t t = { .name = zone_name };
	int ret = sq_write(st, touch_txn, &t);
	*serial = t.serial;
	return ret;
}
