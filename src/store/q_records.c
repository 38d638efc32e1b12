/* q_records.c -- SQLite queries for zone records, and the atomic zone change
 * (deletes, updates, creates; CNAME and duplicate rules that need the zone's data). */
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

/* Column 3 is a placeholder: the reader takes the type from type_code (a list page read
 * 14 columns a row, the unused text one included). */
#define RECORD_COLS                                                                       \
	"r.id, r.zone_id, r.name, NULL, r.content, r.rdata, r.ttl, r.priority, r.regions, " \
	"r.system_record, r.parent_id, r.created_at, r.updated_at, r.type_code"

/* Records carry the zone's name; the reader takes it from here. */
static __thread const char *reading_zone;

/* A row of RECORD_COLS into r, its strings and rdata borrowed from the statement: valid
 * until its next step or reset. */
static void read_record_row(sqlite3_stmt *s, record_t *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->zone_id = sqlite3_column_int64(s, 1);
	r->zone_name = reading_zone;
	r->name = (const char *)sqlite3_column_text(s, 2);
	/* Only types rr_parse() took are stored, so the code always has a row. */
	r->type = rrtype_by_code((uint16_t)sqlite3_column_int(s, 13));
	r->content = (const char *)sqlite3_column_text(s, 4);
	if (sqlite3_column_type(s, 5) == SQLITE_BLOB) {
		r->rdata = sqlite3_column_blob(s, 5);
		r->rdata_size = (uint16_t)sqlite3_column_bytes(s, 5);
	}
	r->ttl = (uint32_t)sqlite3_column_int64(s, 6);
	r->has_priority = sqlite3_column_type(s, 7) != SQLITE_NULL;
	r->priority = sqlite3_column_int64(s, 7);
	r->regions = (const char *)sqlite3_column_text(s, 8);
	r->is_system = sqlite3_column_int(s, 9) != 0;
	r->parent_id = sqlite3_column_int64(s, 10);
	r->created_at = sqlite3_column_int64(s, 11);
	r->updated_at = sqlite3_column_int64(s, 12);
}

/* Column col's text (already read as p) copied into the arena. */
static const char *keep_text(arena_t *a, sqlite3_stmt *s, int col, const char *p)
{
	return p != NULL ? arena_strndup(a, p, (size_t)sqlite3_column_bytes(s, col)) : NULL;
}

/* A row into the record at p, everything copied into the arena. */
static void read_record(arena_t *a, sqlite3_stmt *s, void *p)
{
	record_t *r = p;
	read_record_row(s, r);
	r->name = keep_text(a, s, 2, r->name);
	r->content = keep_text(a, s, 4, r->content);
	r->regions = keep_text(a, s, 8, r->regions);
	if (r->rdata != NULL) {
		uint8_t *rd = arena_alloc(a, (size_t)r->rdata_size + 1);
		if (rd != NULL) {
			memcpy(rd, r->rdata, r->rdata_size);
		}
		r->rdata = rd;
		r->rdata_size = rd != NULL ? r->rdata_size : 0;
	}
}

int sq_insert_record(sq_conn_t *c, record_t *r)
{
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO records (zone_id, name, type, type_code, "
					"content, rdata, ttl, priority, regions, system_record, "
					"parent_id, created_at, updated_at) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (s == NULL) {
		return ERR_STORE;
	}
	r->created_at = r->updated_at = time_now();
	sqlite3_bind_int64(s, 1, r->zone_id);
	sq_bind_text(s, 2, r->name);
	sq_bind_text(s, 3, r->type->name);
	sqlite3_bind_int(s, 4, r->type->code);
	sq_bind_text(s, 5, r->content);
	if (r->rdata != NULL) {
		sqlite3_bind_blob(s, 6, r->rdata, r->rdata_size, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 7, r->ttl);
	if (r->has_priority) {
		sqlite3_bind_int64(s, 8, r->priority);
	}
	sq_bind_text(s, 9, r->regions != NULL ? r->regions : "global");
	sqlite3_bind_int(s, 10, r->is_system);
	if (r->parent_id != 0) {
		sqlite3_bind_int64(s, 11, r->parent_id);
	}
	sqlite3_bind_int64(s, 12, r->created_at);
	sqlite3_bind_int64(s, 13, r->updated_at);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		r->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

int sq_record_get(store_t *st, arena_t *a, const zone_t *zone, int64_t id, record_t *out)
{
	sq_bind_t b = { .i = { zone->id, id }, .count = 2 };
	reading_zone = zone->name;
	return sq_query(st, a, "SELECT " RECORD_COLS " FROM records r WHERE r.zone_id = ? AND r.id = ?",
			&b, read_record, sizeof(*out), true, out, NULL);
}

/* The page query of a zone's records: only the filters given, one statement per
 * combination (cached by its text), so none is evaluated row by row for nothing and
 * name= can seek the (zone_id, name) index. b and page are the caller's, used by lq. */
static void record_list_query(const zone_t *zone, const store_filter_t *f,
			      const store_list_t *q, sq_bind_t *b, store_list_t *page,
			      sq_list_query_t *lq)
{
	static const sq_sort_col_t sorts[] = {
		{ "id", "r.id" }, { "name", "r.name" }, { "content", "r.content" },
		{ "type", "r.type" }, { NULL, NULL },
	};
	static const char *const wheres[8] = {
		"r.zone_id = ?1",
		"r.zone_id = ?1 AND r.name = ?2",
		"r.zone_id = ?1 AND instr(lower(r.name), lower(?3)) > 0",
		"r.zone_id = ?1 AND r.name = ?2 AND instr(lower(r.name), lower(?3)) > 0",
		"r.zone_id = ?1 AND r.type = upper(?4)",
		"r.zone_id = ?1 AND r.name = ?2 AND r.type = upper(?4)",
		"r.zone_id = ?1 AND instr(lower(r.name), lower(?3)) > 0 AND r.type = upper(?4)",
		("r.zone_id = ?1 AND r.name = ?2 AND instr(lower(r.name), lower(?3)) > 0 "
		 "AND r.type = upper(?4)"), /* parenthesized: one element (clang) */
	};
	unsigned which = (f->has_name ? 1u : 0) | (f->name_like != NULL ? 2u : 0) |
			 (f->type != NULL ? 4u : 0);
	*b = (sq_bind_t){ .is_text = (1u << 1) | (1u << 2) | (1u << 3) };
	b->i[0] = zone->id;
	b->t[1] = f->has_name ? f->name : NULL;
	b->t[2] = f->name_like;
	b->t[3] = f->type;
	/* Bound up to the highest parameter the WHERE names: LIMIT and OFFSET (sq_list's
	 * unnumbered ?s) come right after it. */
	b->count = which & 4 ? 4 : which & 2 ? 3 : which & 1 ? 2 : 1;
	*page = *q;
	if (page->sort_count == 0) { /* the default order: by name */
		page->sort_count = 1;
		page->sort_fields[0] = "name";
	}
	*lq = (sq_list_query_t){
		.cols = RECORD_COLS,
		.from = "records r",
		.where = wheres[which],
		.sorts = sorts,
		.tiebreak = "r.id",
		.bind = b,
		.read = read_record,
		.elem_size = sizeof(record_t),
		/* Unfiltered, the total is the zone's counter, not a count(*) over the zone. */
		.count_sql = which == 0 ? "SELECT record_count FROM zones WHERE id = ?1" : NULL,
	};
	reading_zone = zone->name;
}

int sq_record_list(store_t *st, arena_t *a, const zone_t *zone, const store_filter_t *f,
		   const store_list_t *q, record_t **out, size_t *count, int64_t *total)
{
	sq_bind_t b;
	store_list_t page;
	sq_list_query_t lq;
	record_list_query(zone, f, q, &b, &page, &lq);
	return sq_list(st, a, &lq, &page, out, count, total);
}

typedef struct each_ctx {
	void (*fn)(void *ctx, const record_t *r);
	void *ctx;
} each_ctx_t;

static void on_row(void *p, sqlite3_stmt *s)
{
	each_ctx_t *e = p;
	record_t r;
	read_record_row(s, &r);
	e->fn(e->ctx, &r);
}

int sq_record_list_each(store_t *st, const zone_t *zone, const store_filter_t *f,
			const store_list_t *q, int64_t *total,
			void (*fn)(void *ctx, const record_t *r), void *ctx)
{
	sq_bind_t b;
	store_list_t page;
	sq_list_query_t lq;
	record_list_query(zone, f, q, &b, &page, &lq);
	each_ctx_t e = { fn, ctx };
	lq.each = on_row;
	lq.each_ctx = &e;
	void *none = NULL;
	size_t n = 0;
	return sq_list(st, NULL, &lq, &page, &none, &n, total);
}

int sq_record_all(store_t *st, arena_t *a, const zone_t *zone, record_t **out, size_t *count)
{
	sq_bind_t b = { .i = { zone->id }, .count = 1 };
	reading_zone = zone->name;
	return sq_query(st, a,
			"SELECT " RECORD_COLS " FROM records r WHERE r.zone_id = ? "
			"ORDER BY r.system_record DESC, r.type_code = 6 DESC, r.name, r.type, r.id",
			&b, read_record, sizeof(record_t), false, out, count);
}

/* --- the zone change ---------------------------------------------------------------- */

static int load_record(sq_conn_t *c, arena_t *a, const zone_t *zone, int64_t id, record_t *out)
{
	sqlite3_stmt *s = sq_prepare(c, "SELECT " RECORD_COLS " FROM records r "
					"WHERE r.zone_id = ? AND r.id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, zone->id);
	sqlite3_bind_int64(s, 2, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		reading_zone = zone->name;
		read_record(a, s, out);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
}

/* Whether the zone has another record that sql (binding zone_id, r's name, id and type
 * code, in that order) selects. */
static int other_exists(sq_conn_t *c, const record_t *r, const char *sql, bool *exists)
{
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, r->zone_id);
	sq_bind_text(s, 2, r->name);
	sqlite3_bind_int64(s, 3, r->id);
	sqlite3_bind_int(s, 4, r->type->code);
	int rc = sqlite3_step(s);
	*exists = rc == SQLITE_ROW && sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? ERR_OK : sq_err(c, rc);
}

/* The rules a record's name must keep with the rest of the zone. Each sets *why to the
 * rule r breaks (the 400's message on "name"), or leaves it NULL. */
typedef int (*name_rule_t)(sq_conn_t *c, const record_t *r, const char **why);

/* CNAME stands alone at its name (RFC 1034 3.6.2, RFC 2181 10.1). */
static int cname_alone(sq_conn_t *c, const record_t *r, const char **why)
{
	bool found = false;
	int ret = other_exists(c, r, "SELECT EXISTS (SELECT 1 FROM records WHERE zone_id = ? "
				     "AND name = ? AND id != ? AND (? = 5 OR type_code = 5) "
				     "AND type_code NOT IN (46, 47, 50))", &found);
	if (found) {
		*why = "a CNAME record cannot share its name with other records";
	}
	return ret;
}

/* RFC 6672 2.4: one DNAME at a name, and nothing below it (knotd refuses either zone):
 * no DNAME at an ancestor of r's name (the apex included); for a DNAME, no other DNAME
 * at its name and no record below it. */
static int dname_rules(sq_conn_t *c, const record_t *r, const char **why)
{
	sqlite3_stmt *s = sq_prepare(c, "SELECT EXISTS (SELECT 1 FROM records WHERE zone_id = ? "
					"AND name = ? AND id != ? AND type_code = 39)");
	if (s == NULL) {
		return ERR_STORE;
	}
	/* names are relative: the ancestors of "a.b" are "b" and "" (the apex) */
	int rc = SQLITE_ROW;
	for (const char *p = r->name; *p != '\0' && *why == NULL && rc == SQLITE_ROW;) {
		const char *dot = strchr(p, '.');
		p = dot != NULL ? dot + 1 : "";
		sqlite3_bind_int64(s, 1, r->zone_id);
		sq_bind_text(s, 2, p);
		sqlite3_bind_int64(s, 3, r->id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && sqlite3_column_int(s, 0) != 0) {
			*why = "a name below a DNAME record cannot hold records";
		}
		sqlite3_reset(s);
	}
	if (rc != SQLITE_ROW) {
		return sq_err(c, rc);
	}
	if (*why != NULL || r->type->code != 39) { /* DNAME */
		return ERR_OK;
	}
	bool found = false;
	int ret = other_exists(c, r, "SELECT EXISTS (SELECT 1 FROM records WHERE zone_id = ? "
				     "AND name = ? AND id != ? AND type_code = ?)", &found);
	if (ret != ERR_OK || found) {
		*why = found ? "a name can hold only one DNAME record" : NULL;
		return ret;
	}
	/* below "d" is "*.d", below the apex "" is every other name */
	ret = other_exists(c, r, "SELECT EXISTS (SELECT 1 FROM records WHERE zone_id = ?1 "
				 "AND id != ?3 AND ?4 = 39 AND (?2 = '' AND name != '' OR "
				 "substr(name, -length(?2) - 1) = '.' || ?2))", &found);
	if (found) {
		*why = "a DNAME record cannot be placed above names that hold records";
	}
	return ret;
}

static const name_rule_t name_rules[] = { cname_alone, dname_rules };

static void fail(store_change_t *chg, const char *kind, size_t index, const char *message,
		 const char *field, const char *field_message)
{
	chg->fail_kind = kind;
	chg->fail_index = index;
	chg->fail_message = message;
	if (field != NULL) {
		chg->fail_errors = json_object();
		zone_field_error(chg->fail_errors, field, field_message);
	}
}

/* The checks and the write of one record (created or updated). */
static int put_record(sq_conn_t *c, store_change_t *chg, const char *kind, size_t index,
		      record_t *r, bool is_update)
{
	int ret = ERR_OK;
	for (size_t i = 0; i < sizeof(name_rules) / sizeof(name_rules[0]); i++) {
		const char *why = NULL;
		ret = name_rules[i](c, r, &why);
		if (ret != ERR_OK) {
			return ret;
		}
		if (why != NULL) {
			fail(chg, kind, index, "Validation failed", "name", why);
			return ERR_INVALID;
		}
	}
	if (!is_update) {
		ret = sq_insert_record(c, r);
	} else {
		sqlite3_stmt *s = sq_prepare(c, "UPDATE records SET name = ?, content = ?, rdata = ?, "
						"ttl = ?, priority = ?, regions = ?, updated_at = ? "
						"WHERE id = ?");
		if (s == NULL) {
			return ERR_STORE;
		}
		r->updated_at = time_now();
		sq_bind_text(s, 1, r->name);
		sq_bind_text(s, 2, r->content);
		if (r->rdata != NULL) {
			sqlite3_bind_blob(s, 3, r->rdata, r->rdata_size, SQLITE_STATIC);
		}
		sqlite3_bind_int64(s, 4, r->ttl);
		if (r->has_priority) {
			sqlite3_bind_int64(s, 5, r->priority);
		}
		sq_bind_text(s, 6, r->regions);
		sqlite3_bind_int64(s, 7, r->updated_at);
		sqlite3_bind_int64(s, 8, r->id);
		ret = sq_step_done(c, s);
	}
	if (ret == ERR_CONFLICT) {
		fail(chg, kind, index, "Validation failed", "content",
		     "a record with this name, type and content already exists");
		return ERR_INVALID;
	}
	return ret;
}

static int change_deletes(sq_conn_t *c, store_change_t *chg, json_t *removed)
{
	chg->deleted = arena_alloc_array(chg->arena, chg->delete_count + 1, sizeof(record_t));
	for (size_t i = 0; i < chg->delete_count; i++) {
		record_t *r = &chg->deleted[i];
		int ret = load_record(c, chg->arena, chg->zone, chg->deletes[i], r);
		if (ret == ERR_NOTFOUND) {
			fail(chg, "deletes", i,
			     arena_printf(chg->arena, "Record not found ID=%lld",
					  (long long)chg->deletes[i]),
			     NULL, NULL);
			return ERR_INVALID;
		}
		if (ret != ERR_OK) {
			return ret;
		}
		if (r->is_system && !chg->is_system_change) {
			fail(chg, "deletes", i, "System records cannot be deleted", NULL, NULL);
			return ERR_INVALID;
		}
		sqlite3_stmt *s = sq_prepare(c, "DELETE FROM records WHERE id = ?");
		if (s == NULL) {
			return ERR_STORE;
		}
		sqlite3_bind_int64(s, 1, r->id);
		if ((ret = sq_step_done(c, s)) != ERR_OK) {
			return ret;
		}
		json_array_append_new(removed, sq_record_rr_json(r));
	}
	return ERR_OK;
}

static int change_updates(sq_conn_t *c, store_change_t *chg, json_t *removed, json_t *added)
{
	chg->updated = arena_alloc_array(chg->arena, chg->update_count + 1, sizeof(record_t));
	for (size_t i = 0; i < chg->update_count; i++) {
		record_t old;
		int ret = load_record(c, chg->arena, chg->zone, chg->update_ids[i], &old);
		if (ret == ERR_NOTFOUND) {
			fail(chg, "updates", i,
			     arena_printf(chg->arena, "Record not found ID=%lld",
					  (long long)chg->update_ids[i]),
			     NULL, NULL);
			return ERR_INVALID;
		}
		if (ret != ERR_OK) {
			return ret;
		}
		if (old.is_system && !chg->is_system_change) {
			fail(chg, "updates", i, "System records cannot be changed", NULL, NULL);
			return ERR_INVALID;
		}
		json_t *errors = json_object();
		record_t *r = &chg->updated[i];
		ret = record_from_json(chg->arena, chg->zone, chg->update_bodies[i], true, &old,
				       chg->allowed_regions, r, errors);
		if (ret != ERR_OK) {
			chg->fail_kind = "updates";
			chg->fail_index = i;
			chg->fail_message = "Validation failed";
			chg->fail_errors = errors;
			return ERR_INVALID;
		}
		json_decref(errors);
		if ((ret = put_record(c, chg, "updates", i, r, true)) != ERR_OK) {
			return ret;
		}
		json_array_append_new(removed, sq_record_rr_json(&old));
		json_array_append_new(added, sq_record_rr_json(r));
	}
	return ERR_OK;
}

static int change_txn(sq_conn_t *c, void *arg)
{
	store_change_t *chg = arg;
	json_t *removed = json_array(), *added = json_array();
	int ret = change_deletes(c, chg, removed);
	if (ret == ERR_OK) {
		ret = change_updates(c, chg, removed, added);
	}
	for (size_t i = 0; ret == ERR_OK && i < chg->create_count; i++) {
		record_t *r = &chg->creates[i];
		r->zone_id = chg->zone->id;
		r->zone_name = chg->zone->name;
		ret = put_record(c, chg, "creates", i, r, false);
		if (ret == ERR_OK) {
			json_array_append_new(added, sq_record_rr_json(r));
		}
	}
	if (ret != ERR_OK) {
		json_decref(removed);
		json_decref(added);
		return ret;
	}
	json_t *payload = json_pack("{s:s,s:I}", "zone", chg->zone->name, "zone_id",
				    (json_int_t)chg->zone->id);
	json_t *list = json_array();
	for (size_t i = 0; i < chg->create_count; i++) {
		json_array_append_new(list, record_to_json(&chg->creates[i]));
	}
	for (size_t i = 0; i < chg->update_count; i++) {
		json_array_append_new(list, record_to_json(&chg->updated[i]));
	}
	json_object_set_new(payload, "zone_records", list);
	return sq_zone_commit_change(c, chg->zone->id, "records", removed, added,
				     chg->zone->account_id, chg->event, payload, &chg->serial);
}

int sq_zone_change(store_t *st, store_change_t *chg)
{
	chg->fail_kind = NULL;
	chg->fail_errors = NULL;
	return sq_write(st, change_txn, chg);
}

typedef void (*record_fn)(void *ctx, const char *name, uint16_t type, uint32_t ttl,
			  const uint8_t *rdata, uint16_t size, const char *content,
			  const char *regions);

/* The zone's serial, and (after >= 0) whether a change-log row after `after` is not a
 * record change. */
static const char SERIAL_SQL[] =
	"SELECT serial, ?2 >= 0 AND EXISTS (SELECT 1 FROM zone_changes WHERE zone_id = ?1 AND "
	"id > ?2 AND kind != 'records') FROM zones WHERE id = ?1";
static const char ALL_SQL[] =
	"SELECT name, type_code, ttl, rdata, content, regions FROM records WHERE zone_id = ?1";
/* The touched names come from the rows' RR lists (absolute names with the final dot, as
 * sq_record_rr_json() writes them); records keep names relative to the zone. */
static const char TOUCHED_SQL[] =
	"WITH z(name) AS (SELECT name || '.' FROM zones WHERE id = ?1), "
	"t(abs) AS (SELECT json_extract(j.value, '$.name') FROM zone_changes c, "
	"json_each(c.removed) j WHERE c.zone_id = ?1 AND c.id > ?2 "
	"UNION SELECT json_extract(j.value, '$.name') FROM zone_changes c, "
	"json_each(c.added) j WHERE c.zone_id = ?1 AND c.id > ?2), "
	"n(rel) AS (SELECT CASE WHEN t.abs = z.name THEN '' "
	"ELSE substr(t.abs, 1, length(t.abs) - length(z.name) - 1) END FROM t, z "
	"WHERE t.abs = z.name OR t.abs LIKE '%.' || z.name) "
	"SELECT n.rel, r.type_code, r.ttl, r.rdata, r.content, r.regions FROM n "
	"LEFT JOIN records r ON r.zone_id = ?1 AND r.name = n.rel ORDER BY n.rel";

/* In one read transaction: the zone's serial, then fn for every record (after < 0), or
 * for the names the rows after `after` touched: fn(name, 0, ...) once per name first
 * (record_each_touched in store.h). */
static int each_record(store_t *st, int64_t zone_id, int64_t after, uint32_t *serial,
		       record_fn fn, void *ctx)
{
	sq_conn_t *c = sq_acquire(st);
	if (c == NULL) {
		return ERR_STORE;
	}
	int ret = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
	sqlite3_stmt *s = ret == ERR_OK ? sq_prepare(c, SERIAL_SQL) : NULL;
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, zone_id);
		sqlite3_bind_int64(s, 2, after);
		int rc = sqlite3_step(s);
		*serial = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(s, 0) : 0;
		ret = rc == SQLITE_ROW ? (sqlite3_column_int(s, 1) ? ERR_CONFLICT : ERR_OK)
				       : rc == SQLITE_DONE ? ERR_NOTFOUND : sq_err(c, rc);
		sqlite3_reset(s);
	}
	bool is_touched = after >= 0;
	s = ret == ERR_OK ? sq_prepare(c, is_touched ? TOUCHED_SQL : ALL_SQL) : NULL;
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, zone_id);
		if (is_touched) {
			sqlite3_bind_int64(s, 2, after);
		}
		int rc;
		char *last = NULL;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(s, 0);
			if (is_touched && (last == NULL || strcmp(last, name) != 0)) {
				free(last);
				last = xstrdup(name);
				fn(ctx, name, 0, 0, NULL, 0, NULL, NULL);
			}
			if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
				fn(ctx, name, (uint16_t)sqlite3_column_int(s, 1),
				   (uint32_t)sqlite3_column_int64(s, 2), sqlite3_column_blob(s, 3),
				   (uint16_t)sqlite3_column_bytes(s, 3),
				   (const char *)sqlite3_column_text(s, 4),
				   (const char *)sqlite3_column_text(s, 5));
			}
		}
		free(last);
		ret = rc == SQLITE_DONE ? ERR_OK : sq_err(c, rc);
		sqlite3_reset(s);
	}
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	sq_release(st, c);
	return ret;
}

int sq_record_each(store_t *st, int64_t zone_id, uint32_t *serial, record_fn fn, void *ctx)
{
	return each_record(st, zone_id, -1, serial, fn, ctx);
}

int sq_record_each_touched(store_t *st, int64_t zone_id, int64_t after, uint32_t *serial,
			   record_fn fn, void *ctx)
{
	return each_record(st, zone_id, after < 0 ? 0 : after, serial, fn, ctx);
}
