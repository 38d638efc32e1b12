/* q_dnssec.c -- SQLite queries for DNSSEC: each zone's state and keys, and the delegation
 * signer records of domains; every one is scoped to an account.
 *
 * DESIGN: enabling and disabling are zone changes like a record change: the state, the
 * keys, the new serial, the 'dnssec' change-log row (the DNS loader rebuilds the zone from
 * it) and the webhook outbox row commit in one transaction (sq_zone_commit_change). DS
 * records are the parent's data (a registry's), not the zone's: they change no serial.
 */
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

/* ------------------------------------------------------------------ state */

#define STATE_COLS "s.zone_id, s.enabled, s.algorithm, s.layout, s.created_at, s.updated_at"

static void read_state(arena_t *a, sqlite3_stmt *s, void *p)
{
	zone_dnssec_t *d = p;
	d->zone_id = sqlite3_column_int64(s, 0);
	d->is_enabled = sqlite3_column_int(s, 1) != 0;
	d->policy.algorithm = (uint8_t)sqlite3_column_int(s, 2);
	const char *layout = (const char *)sqlite3_column_text(s, 3);
	bool is_split = layout != NULL &&
			strcmp(layout, zone_key_layout_name(ZONE_KEYS_KSK_ZSK)) == 0;
	d->policy.layout = is_split ? ZONE_KEYS_KSK_ZSK : ZONE_KEYS_CSK;
	d->created_at = sqlite3_column_int64(s, 4);
	d->updated_at = sqlite3_column_int64(s, 5);
}

int sq_dnssec_get(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
		  zone_dnssec_t *out)
{
	sq_bind_t b = { .i = { zone_id, account_id, account_id }, .count = 3 };
	return sq_query(st, a,
			"SELECT " STATE_COLS " FROM zone_dnssec s JOIN zones z ON z.id = s.zone_id "
			"WHERE s.zone_id = ? AND (z.account_id = ? OR ? = 0)",
			&b, read_state, sizeof(*out), true, out, NULL);
}

/* The zone's state row inside a transaction: 1 found, 0 none, or an ERR_*. */
static int state_in_txn(sq_conn_t *c, const zone_t *z, zone_dnssec_t *out)
{
	static const char sql[] = "SELECT " STATE_COLS " FROM zone_dnssec s JOIN zones z "
				  "ON z.id = s.zone_id WHERE s.zone_id = ? AND z.account_id = ?";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, z->id);
	sqlite3_bind_int64(s, 2, z->account_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_state(NULL, s, out);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sq_err(c, rc);
}

/* The webhook payload of dnssec.create / dnssec.delete (EventDNSSECCreate/Delete). */
static json_t *event_payload(const zone_t *z, const zone_dnssec_t *d)
{
	return json_pack("{s:o, s:o}", "dnssec", zone_dnssec_to_json(d), "zone", zone_to_json(z));
}

static int insert_key(sq_conn_t *c, zone_key_t *k)
{
	static const char sql[] =
		"INSERT INTO dnssec_keys (zone_id, role, algorithm, flags, key_tag, public_key,"
		" private_key, created_at, publish_at, active_at, retire_at, remove_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), nullif(?, 0), nullif(?, 0),"
		" nullif(?, 0))";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, k->zone_id);
	sq_bind_text(s, 2, k->role);
	sqlite3_bind_int(s, 3, k->algorithm);
	sqlite3_bind_int(s, 4, k->flags);
	sqlite3_bind_int(s, 5, k->keytag);
	sqlite3_bind_blob(s, 6, k->dnskey, (int)k->dnskey_size, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, k->sealed, (int)k->sealed_size, SQLITE_STATIC);
	const int64_t t[] = { k->created, k->publish, k->active, k->retire, k->remove };
	for (int i = 0; i < 5; i++) {
		sqlite3_bind_int64(s, 8 + i, t[i]);
	}
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK) {
		k->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

static int enable_txn(sq_conn_t *c, void *arg)
{
	store_dnssec_enable_t *en = arg;
	const zone_t *z = en->zone;
	int found = state_in_txn(c, z, &en->state);
	if (found < 0) {
		return found;
	}
	en->was_enabled = found == 1 && en->state.is_enabled;
	if (en->was_enabled) {
		return ERR_OK;
	}
	int64_t now = time_now();
	static const char sql[] =
		"INSERT INTO zone_dnssec (zone_id, enabled, algorithm, layout, created_at,"
		" updated_at) VALUES (?1, 1, ?2, ?3, ?4, ?4) ON CONFLICT (zone_id) DO UPDATE SET"
		" enabled = 1, algorithm = ?2, layout = ?3, created_at = ?4, updated_at = ?4";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, z->id);
	sqlite3_bind_int(s, 2, en->policy.algorithm);
	sq_bind_text(s, 3, zone_key_layout_name(en->policy.layout));
	sqlite3_bind_int64(s, 4, now);
	int ret = sq_step_done(c, s);
	for (size_t i = 0; ret == ERR_OK && i < en->key_count; i++) {
		en->keys[i].zone_id = z->id;
		ret = insert_key(c, &en->keys[i]);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	en->state = (zone_dnssec_t){ .zone_id = z->id, .is_enabled = true, .policy = en->policy,
				     .created_at = now, .updated_at = now };
	return sq_zone_commit_change(c, z->id, "dnssec", json_array(), json_array(), z->account_id,
				     "dnssec.create", event_payload(z, &en->state), &en->serial);
}

int sq_dnssec_enable(store_t *st, store_dnssec_enable_t *en)
{
	return sq_write(st, enable_txn, en);
}

typedef struct {
	const zone_t *zone;
	zone_dnssec_t *out;
	uint32_t serial;
} disable_t;

static int disable_txn(sq_conn_t *c, void *arg)
{
	disable_t *d = arg;
	const zone_t *z = d->zone;
	int found = state_in_txn(c, z, d->out);
	if (found <= 0 || !d->out->is_enabled) {
		return found < 0 ? found : ERR_STATE;
	}
	/* Nothing secret stays behind: the keys go (docs/dnssec.md). */
	sqlite3_stmt *s = sq_prepare(c, "DELETE FROM dnssec_keys WHERE zone_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, z->id);
	int ret = sq_step_done(c, s);
	s = ret == ERR_OK ? sq_prepare(c, "UPDATE zone_dnssec SET enabled = 0, updated_at = ? "
					  "WHERE zone_id = ?")
			  : NULL;
	if (s == NULL) {
		return ret == ERR_OK ? ERR_STORE : ret;
	}
	int64_t now = time_now();
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, z->id);
	ret = sq_step_done(c, s);
	if (ret != ERR_OK) {
		return ret;
	}
	/* The event carries the configuration that was removed (fixtures/v2/webhooks/
	 * dnssec.delete: "enabled": true), the state keeps what is now true. */
	json_t *payload = event_payload(z, d->out);
	d->out->is_enabled = false;
	d->out->updated_at = now;
	return sq_zone_commit_change(c, z->id, "dnssec", json_array(), json_array(), z->account_id,
				     "dnssec.delete", payload, &d->serial);
}

int sq_dnssec_disable(store_t *st, const zone_t *zone, zone_dnssec_t *out, uint32_t *serial)
{
	disable_t d = { .zone = zone, .out = out };
	int ret = sq_write(st, disable_txn, &d);
	*serial = d.serial;
	return ret;
}

/* ------------------------------------------------------------------ keys */

/* A blob column copied into the arena (NULL and 0 for SQL NULL). */
static const uint8_t *blob(arena_t *a, sqlite3_stmt *s, int col, size_t *size)
{
	const void *p = sqlite3_column_blob(s, col);
	*size = (size_t)sqlite3_column_bytes(s, col);
	uint8_t *copy = p != NULL ? arena_alloc(a, *size) : NULL;
	if (copy != NULL) {
		memcpy(copy, p, *size);
	}
	return copy;
}

static void read_key(arena_t *a, sqlite3_stmt *s, void *p)
{
	zone_key_t *k = p;
	k->id = sqlite3_column_int64(s, 0);
	k->zone_id = sqlite3_column_int64(s, 1);
	k->role = sq_text(a, s, 2);
	k->algorithm = (uint8_t)sqlite3_column_int(s, 3);
	k->flags = (uint16_t)sqlite3_column_int(s, 4);
	k->keytag = (uint16_t)sqlite3_column_int(s, 5);
	k->dnskey = blob(a, s, 6, &k->dnskey_size);
	k->sealed = blob(a, s, 7, &k->sealed_size);
	int64_t *t[] = { &k->created, &k->publish, &k->active, &k->retire, &k->remove };
	for (int i = 0; i < 5; i++) {
		*t[i] = sqlite3_column_int64(s, 8 + i); /* NULL reads as 0 */
	}
}

int sq_dnssec_keys(store_t *st, arena_t *a, int64_t account_id, int64_t zone_id,
		   zone_key_t **out, size_t *count)
{
	sq_bind_t b = { .i = { zone_id, account_id, account_id }, .count = 3 };
	return sq_query(st, a,
			"SELECT k.id, k.zone_id, k.role, k.algorithm, k.flags, k.key_tag, "
			"k.public_key, k.private_key, k.created_at, k.publish_at, k.active_at, "
			"k.retire_at, k.remove_at FROM dnssec_keys k "
			"JOIN zones z ON z.id = k.zone_id "
			"WHERE k.zone_id = ? AND (z.account_id = ? OR ? = 0) ORDER BY k.id",
			&b, read_key, sizeof(**out), false, out, count);
}

/* ------------------------------------------------------------------ rollovers */

static void read_zone(arena_t *a, sqlite3_stmt *s, void *p)
{
	store_dnssec_zone_t *z = p;
	zone_dnssec_t d;
	read_state(a, s, &d);
	z->zone_id = d.zone_id;
	z->policy = d.policy;
	z->account_id = sqlite3_column_int64(s, 6);
	z->domain_id = sqlite3_column_int64(s, 7);
	z->name = sq_text(a, s, 8);
	z->soa_ttl = (uint32_t)sqlite3_column_int64(s, 9);
	z->max_ttl = (uint32_t)sqlite3_column_int64(s, 10);
}

int sq_dnssec_zones(store_t *st, arena_t *a, store_dnssec_zone_t **out, size_t *count)
{
	sq_bind_t b = { .count = 0 };
	return sq_query(st, a,
			"SELECT " STATE_COLS ", z.account_id, ifnull(z.domain_id, 0), z.name, "
			"ifnull((SELECT max(r.ttl) FROM records r WHERE r.zone_id = z.id AND "
			"r.type = 'SOA'), 0), "
			"ifnull((SELECT max(r.ttl) FROM records r WHERE r.zone_id = z.id), 0) "
			"FROM zone_dnssec s JOIN zones z ON z.id = s.zone_id "
			"WHERE s.enabled = 1 ORDER BY s.zone_id",
			&b, read_zone, sizeof(**out), false, out, count);
}

/* "id:role:retire:remove," per key, oldest first: what a rollover step was planned on. */
static void key_print(sbuf_t *sb, const zone_key_t *k)
{
	sbuf_printf(sb, "%lld:%s:%lld:%lld,", (long long)k->id, k->role, (long long)k->retire,
		    (long long)k->remove);
}

static int keys_unchanged(sq_conn_t *c, const store_dnssec_rekey_t *rk)
{
	sqlite3_stmt *s = sq_prepare(c, "SELECT id, role, ifnull(retire_at, 0), "
					"ifnull(remove_at, 0) FROM dnssec_keys WHERE zone_id = ? "
					"ORDER BY id");
	if (s == NULL) {
		return ERR_STORE;
	}
	sbuf_t now = SBUF_INIT, planned = SBUF_INIT;
	sqlite3_bind_int64(s, 1, rk->zone_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		zone_key_t k = { .id = sqlite3_column_int64(s, 0),
				 .role = (const char *)sqlite3_column_text(s, 1),
				 .retire = sqlite3_column_int64(s, 2),
				 .remove = sqlite3_column_int64(s, 3) };
		key_print(&now, &k);
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < rk->planned_count; i++) {
		key_print(&planned, &rk->planned[i]);
	}
	bool is_same = now.len == planned.len &&
		       (now.len == 0 || memcmp(now.p, planned.p, now.len) == 0);
	int ret = rc != SQLITE_DONE ? sq_err(c, rc) : is_same ? ERR_OK : ERR_CONFLICT;
	sbuf_clear(&now);
	sbuf_clear(&planned);
	return ret;
}

static int change_key(sq_conn_t *c, int64_t zone_id, const zone_key_t *k)
{
	sqlite3_stmt *s = sq_prepare(c, "UPDATE dnssec_keys SET role = ?, publish_at = nullif(?, 0),"
					" active_at = nullif(?, 0), retire_at = nullif(?, 0),"
					" remove_at = nullif(?, 0) WHERE id = ? AND zone_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sq_bind_text(s, 1, k->role);
	const int64_t v[] = { k->publish, k->active, k->retire, k->remove, k->id, zone_id };
	for (int i = 0; i < 6; i++) {
		sqlite3_bind_int64(s, 2 + i, v[i]);
	}
	return sq_step_done(c, s);
}

static int delete_key(sq_conn_t *c, int64_t zone_id, int64_t id)
{
	sqlite3_stmt *s = sq_prepare(c, "DELETE FROM dnssec_keys WHERE id = ? AND zone_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, zone_id);
	return sq_step_done(c, s);
}

static int rekey_txn(sq_conn_t *c, void *arg)
{
	store_dnssec_rekey_t *rk = arg;
	zone_t z = { .id = rk->zone_id, .account_id = rk->account_id };
	zone_dnssec_t state;
	int found = state_in_txn(c, &z, &state);
	if (found <= 0 || !state.is_enabled) {
		return found < 0 ? found : ERR_STATE;
	}
	int ret = keys_unchanged(c, rk);
	if (ret == ERR_OK && rk->add != NULL) {
		rk->add->zone_id = rk->zone_id;
		ret = insert_key(c, rk->add);
	}
	if (ret == ERR_OK && rk->change != NULL) {
		ret = change_key(c, rk->zone_id, rk->change);
	}
	if (ret == ERR_OK && rk->delete_id != 0) {
		ret = delete_key(c, rk->zone_id, rk->delete_id);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	return sq_zone_commit_change(c, rk->zone_id, "dnssec", json_array(), json_array(),
				     rk->account_id, NULL, NULL, &rk->serial);
}

int sq_dnssec_rekey(store_t *st, store_dnssec_rekey_t *rk)
{
	return sq_write(st, rekey_txn, rk);
}

/* ------------------------------------------------------------------ DS records */

#define DS_COLS                                                                         \
	"r.id, r.domain_id, r.algorithm, r.digest, r.digest_type, r.keytag, r.public_key, " \
	"r.created_at, r.updated_at"
#define DS_FROM "ds_records r JOIN domains d ON d.id = r.domain_id"
#define DS_MINE "r.domain_id = ? AND d.account_id = ?"

static void read_ds(arena_t *a, sqlite3_stmt *s, void *p)
{
	ds_record_t *r = p;
	r->id = sqlite3_column_int64(s, 0);
	r->domain_id = sqlite3_column_int64(s, 1);
	r->algorithm = sq_text(a, s, 2);
	r->digest = sq_text(a, s, 3);
	r->digest_type = sq_text(a, s, 4);
	r->keytag = sq_text(a, s, 5);
	r->public_key = sq_text(a, s, 6);
	r->created_at = sqlite3_column_int64(s, 7);
	r->updated_at = sqlite3_column_int64(s, 8);
}

typedef struct {
	int64_t account_id;
	ds_record_t *r;
} ds_op_t;

/* Bind a nullable text. */
static void bind_opt(sqlite3_stmt *s, int idx, const char *v)
{
	if (v != NULL) {
		sq_bind_text(s, idx, v);
	} else {
		sqlite3_bind_null(s, idx);
	}
}

static int ds_create_txn(sq_conn_t *c, void *arg)
{
	ds_op_t *op = arg;
	ds_record_t *r = op->r;
	sqlite3_stmt *s = sq_prepare(c, "INSERT INTO ds_records (domain_id, algorithm, digest,"
					" digest_type, keytag, public_key, created_at, updated_at)"
					" SELECT id, ?, ?, ?, ?, ?, ?, ? FROM domains"
					" WHERE id = ? AND account_id = ?");
	if (s == NULL) {
		return ERR_STORE;
	}
	r->created_at = r->updated_at = time_now();
	const char *text[] = { r->algorithm, r->digest, r->digest_type, r->keytag, r->public_key };
	for (int i = 0; i < 5; i++) {
		bind_opt(s, i + 1, text[i]);
	}
	sqlite3_bind_int64(s, 6, r->created_at);
	sqlite3_bind_int64(s, 7, r->updated_at);
	sqlite3_bind_int64(s, 8, r->domain_id);
	sqlite3_bind_int64(s, 9, op->account_id);
	int ret = sq_step_done(c, s);
	if (ret == ERR_OK && sqlite3_changes(c->db) == 0) {
		return ERR_NOTFOUND; /* the domain went away */
	}
	if (ret == ERR_OK) {
		r->id = sqlite3_last_insert_rowid(c->db);
	}
	return ret;
}

int sq_ds_create(store_t *st, int64_t account_id, ds_record_t *r)
{
	ds_op_t op = { account_id, r };
	return sq_write(st, ds_create_txn, &op);
}

int sq_ds_get(store_t *st, arena_t *a, int64_t account_id, int64_t domain_id, int64_t id,
	      ds_record_t *out)
{
	sq_bind_t b = { .i = { domain_id, account_id, id }, .count = 3 };
	return sq_query(st, a, "SELECT " DS_COLS " FROM " DS_FROM " WHERE " DS_MINE " AND r.id = ?",
			&b, read_ds, sizeof(*out), true, out, NULL);
}

/* content/v2/domains/dnssec.md, Sorting: id (the default) and created_at. */
static const sq_sort_col_t ds_sorts[] = {
	{ "id", "r.id" },
	{ "created_at", "r.created_at" },
	{ NULL, NULL },
};

int sq_ds_list(store_t *st, arena_t *a, int64_t account_id, int64_t domain_id,
	       const store_list_t *q, ds_record_t **out, size_t *count, int64_t *total)
{
	sq_bind_t b = { .i = { domain_id, account_id }, .count = 2 };
	sq_list_query_t lq = {
		.cols = DS_COLS,
		.from = DS_FROM,
		.where = DS_MINE,
		.sorts = ds_sorts,
		.tiebreak = "r.id",
		.bind = &b,
		.read = read_ds,
		.elem_size = sizeof(**out),
	};
	return sq_list(st, a, &lq, q, out, count, total);
}

static int ds_delete_txn(sq_conn_t *c, void *arg)
{
	const int64_t *k = arg; /* domain, account, id */
	static const char sql[] = "DELETE FROM ds_records WHERE id = ?3 AND domain_id = ?1 AND "
				  "domain_id IN (SELECT id FROM domains WHERE account_id = ?2)";
	sqlite3_stmt *s = sq_prepare(c, sql);
	if (s == NULL) {
		return ERR_STORE;
	}
	for (int i = 0; i < 3; i++) {
		sqlite3_bind_int64(s, i + 1, k[i]);
	}
	int ret = sq_step_done(c, s);
	return ret == ERR_OK && sqlite3_changes(c->db) == 0 ? ERR_NOTFOUND : ret;
}

int sq_ds_delete(store_t *st, int64_t account_id, int64_t domain_id, int64_t id)
{
	int64_t k[3] = { domain_id, account_id, id };
	return sq_write(st, ds_delete_txn, k);
}
