/* q_analytics.c -- SQLite queries for DNS analytics: the dns role's flushes (upserts of
 * (zone, date, node) += volume) and the API's grouped, dated, sorted pages. */
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"
#include "core/timeutil.h"
#include "store/sqlite_internal.h"

/* The zone's account and name come from the zone, or, for a zone deleted since it was
 * counted, from its earlier rows. Tried in this order; the first that writes a row wins. */
#define UPSERT_TAIL                                                                       \
	" ON CONFLICT (zone_id, date, node) DO UPDATE SET volume = volume + excluded.volume, " \
	"region = excluded.region, updated_at = excluded.updated_at"
static const char *const upserts[] = {
	"INSERT INTO dns_analytics (zone_id, date, node, account_id, zone_name, region, volume, "
	"updated_at) SELECT id, ?2, ?3, account_id, name, ?4, ?5, ?6 FROM zones WHERE id = ?1"
	UPSERT_TAIL,
	"INSERT INTO dns_analytics (zone_id, date, node, account_id, zone_name, region, volume, "
	"updated_at) SELECT zone_id, ?2, ?3, account_id, zone_name, ?4, ?5, ?6 "
	"FROM dns_analytics WHERE zone_id = ?1 LIMIT 1" UPSERT_TAIL,
};

static int add_one(sq_conn_t *c, const store_analytics_add_t *add,
		   const store_analytics_count_t *n, int64_t now, bool *is_kept)
{
	*is_kept = false;
	for (size_t i = 0; i < sizeof(upserts) / sizeof(upserts[0]) && !*is_kept; i++) {
		sqlite3_stmt *s = sq_prepare(c, upserts[i]);
		if (s == NULL) {
			return ERR_STORE;
		}
		sqlite3_bind_int64(s, 1, n->zone_id);
		sq_bind_text(s, 2, add->date);
		sq_bind_text(s, 3, add->node);
		sq_bind_text(s, 4, add->region);
		sqlite3_bind_int64(s, 5, (int64_t)n->volume);
		sqlite3_bind_int64(s, 6, now);
		int ret = sq_step_done(c, s);
		if (ret != ERR_OK) {
			return ret;
		}
		*is_kept = sqlite3_changes(c->db) > 0;
	}
	return ERR_OK;
}

static int add_txn(sq_conn_t *c, void *arg)
{
	store_analytics_add_t *add = arg;
	int64_t now = time_now();
	add->dropped = 0;
	for (size_t i = 0; i < add->count; i++) {
		bool is_kept = false;
		int ret = add_one(c, add, &add->counts[i], now, &is_kept);
		if (ret != ERR_OK) {
			return ret;
		}
		add->dropped += !is_kept;
	}
	return ERR_OK;
}

int sq_analytics_add(store_t *st, store_analytics_add_t *add)
{
	return add->count > 0 ? sq_write(st, add_txn, add) : ERR_OK;
}

static void read_row(arena_t *a, sqlite3_stmt *s, void *p)
{
	store_analytics_row_t *r = p;
	r->zone_name = sq_text(a, s, 0);
	r->date = sq_text(a, s, 1);
	r->volume = sqlite3_column_int64(s, 2);
}

int sq_analytics_query(store_t *st, arena_t *a, int64_t account_id,
		       const store_analytics_query_t *q, store_analytics_row_t **out,
		       size_t *count, int64_t *total)
{
	/* Only grouped columns can be sorted; "volume" always can. */
	sq_sort_col_t sorts[4];
	size_t ns = 0;
	if (q->by_zone) {
		sorts[ns++] = (sq_sort_col_t){ "zone_name", "zone_name" };
	}
	if (q->by_date) {
		sorts[ns++] = (sq_sort_col_t){ "date", "date" };
	}
	sorts[ns++] = (sq_sort_col_t){ "volume", "volume_sum" };
	sorts[ns] = (sq_sort_col_t){ NULL, NULL };
	store_list_t page = q->page;
	page.sort_count = 0;
	for (int i = 0; i < q->page.sort_count; i++) {
		for (size_t k = 0; k < ns; k++) {
			if (strcmp(q->page.sort_fields[i], sorts[k].field) == 0) {
				page.sort_fields[page.sort_count] = sorts[k].field;
				page.sort_desc[page.sort_count++] = q->page.sort_desc[i];
			}
		}
	}
	const char *group = q->by_zone && q->by_date ? " GROUP BY zone_name, date"
			    : q->by_zone		 ? " GROUP BY zone_name"
			    : q->by_date		 ? " GROUP BY date"
						 : "";
	sbuf_t cols = SBUF_INIT, where = SBUF_INIT, csql = SBUF_INIT;
	sbuf_printf(&cols, "%s, %s, coalesce(sum(volume), 0) AS volume_sum",
		    q->by_zone ? "zone_name" : "NULL", q->by_date ? "date" : "NULL");
	sbuf_printf(&where, "account_id = ?1 AND date >= ?2 AND date <= ?3 AND (?4 = 0 OR "
			    "zone_name IN (SELECT g.name FROM membership_grants g WHERE "
			    "g.account_id = ?1 AND g.user_id = ?4 AND g.kind = ?5))%s",
		    group);
	/* Without groupings the one row is the total (aggregate without GROUP BY). */
	sbuf_printf(&csql, "SELECT count(*) FROM (SELECT %s FROM dns_analytics WHERE %s)", cols.p,
		    where.p);
	const char *tiebreak = q->by_zone && q->by_date ? "date, zone_name"
			       : q->by_zone		? "zone_name"
			       : q->by_date		? "date"
							: "volume_sum";
	const store_filter_t *f = q->filter;
	sq_bind_t b = { .count = 5, .is_text = (1u << 1) | (1u << 2) | (1u << 4) };
	b.i[0] = account_id;
	b.t[1] = q->start_date;
	b.t[2] = q->end_date;
	b.i[3] = f != NULL ? f->grant_user_id : 0;
	b.t[4] = f != NULL && f->grant_kind != NULL ? f->grant_kind : "";
	sq_list_query_t lq = {
		.cols = cols.p,
		.from = "dns_analytics",
		.where = where.p,
		.sorts = sorts,
		.tiebreak = tiebreak,
		.bind = &b,
		.read = read_row,
		.elem_size = sizeof(store_analytics_row_t),
		.count_sql = csql.p,
	};
	int ret = sq_list(st, a, &lq, &page, out, count, total);
	sbuf_clear(&cols);
	sbuf_clear(&where);
	sbuf_clear(&csql);
	return ret;
}
