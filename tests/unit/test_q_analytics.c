/* test_q_analytics.c -- the DNS analytics queries: upserts per (zone, date, node), counts
 * that outlive their zone, groupings, date filters, sorting, pagination, accounts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/store.h"

typedef struct {
	char dir[64];
	store_t *st;
	arena_t arena;
	int64_t acc_a, acc_b;
	int64_t a1, a2, b1;  /* zone ids */
} fx_t;

static int64_t new_zone(store_t *st, int64_t account_id, const char *name)
{
	zone_t z = { .account_id = account_id, .name = name, .is_active = true };
	store_zone_new_t zn = { .zone = &z };
	assert_int_equal(store_zone_create(st, &zn), ERR_OK);
	return z.id;
}

static void add(fx_t *fx, const char *date, const char *node, int64_t zone_id, uint64_t n,
		size_t want_dropped)
{
	store_analytics_count_t c = { zone_id, n };
	store_analytics_add_t a = { .date = date, .node = node, .region = "global", .counts = &c,
				    .count = 1 };
	assert_int_equal(store_analytics_add(fx->st, &a), ERR_OK);
	assert_int_equal(a.dropped, want_dropped);
}

static int setup(void **state)
{
	fx_t *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/nameplate-unit-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		return -1;
	}
	store_opts_t opts = { .dir = fx->dir };
	int applied = 0;
	if (store_open(&fx->st, NULL, &opts) != ERR_OK ||
	    store_migrate(fx->st, &applied) != ERR_OK) {
		return -1;
	}
	arena_init(&fx->arena, 0);
	store_bootstrap_t b = {
		.user = { .email = "a@example.com", .password_hash = "h" },
		.account = { .email = "a@example.com", .name = "A", .plan_identifier = "p" },
		.token = { .name = "t" },
		.token_digest = "d",
	};
	account_t other = { .email = "b@example.com", .name = "B", .plan_identifier = "p" };
	if (store_bootstrap(fx->st, &b) != ERR_OK ||
	    store_account_create(fx->st, &other) != ERR_OK) {
		return -1;
	}
	fx->acc_a = b.account.id;
	fx->acc_b = other.id;
	fx->a1 = new_zone(fx->st, fx->acc_a, "a1.test");
	fx->a2 = new_zone(fx->st, fx->acc_a, "a2.test");
	fx->b1 = new_zone(fx->st, fx->acc_b, "b1.test");
	/* day 1: a1 5+3 on n1, a2 7 on n1; day 2: a1 1 on n2, a2 2 on n1; b1 100 on day 1 */
	add(fx, "2024-01-01", "n1", fx->a1, 5, 0);
	add(fx, "2024-01-01", "n1", fx->a2, 7, 0);
	add(fx, "2024-01-01", "n1", fx->b1, 100, 0);
	add(fx, "2024-01-01", "n1", fx->a1, 3, 0);
	add(fx, "2024-01-02", "n2", fx->a1, 1, 0);
	add(fx, "2024-01-02", "n1", fx->a2, 2, 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fx_t *fx = *state;
	store_close(fx->st);
	arena_clear(&fx->arena);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	int rc = system(cmd);
	free(fx);
	return rc == 0 ? 0 : -1;
}

typedef struct {
	store_analytics_row_t *rows;
	size_t n;
	int64_t total;
} result_t;

static result_t query(fx_t *fx, int64_t account_id, store_analytics_query_t q)
{
	result_t r = { 0 };
	if (q.start_date == NULL) {
		q.start_date = "2024-01-01";
		q.end_date = "2024-01-31";
	}
	if (q.page.limit == 0) {
		q.page.limit = 100;
	}
	assert_int_equal(store_analytics_query(fx->st, &fx->arena, account_id, &q, &r.rows, &r.n,
					       &r.total),
			 ERR_OK);
	return r;
}

static void assert_row(const store_analytics_row_t *r, const char *zone, const char *date,
		       int64_t volume)
{
	if (zone == NULL) {
		assert_null(r->zone_name);
	} else {
		assert_string_equal(r->zone_name, zone);
	}
	if (date == NULL) {
		assert_null(r->date);
	} else {
		assert_string_equal(r->date, date);
	}
	assert_int_equal(r->volume, volume);
}

static void test_groupings(void **state)
{
	fx_t *fx = *state;
	result_t r = query(fx, fx->acc_a, (store_analytics_query_t){ 0 });
	assert_int_equal(r.n, 1);
	assert_int_equal(r.total, 1);
	assert_row(&r.rows[0], NULL, NULL, 18);

	r = query(fx, fx->acc_a, (store_analytics_query_t){ .by_zone = true });
	assert_int_equal(r.n, 2);
	assert_row(&r.rows[0], "a1.test", NULL, 9);
	assert_row(&r.rows[1], "a2.test", NULL, 9);

	r = query(fx, fx->acc_a, (store_analytics_query_t){ .by_date = true });
	assert_int_equal(r.n, 2);
	assert_row(&r.rows[0], NULL, "2024-01-01", 15);
	assert_row(&r.rows[1], NULL, "2024-01-02", 3);

	/* both: the default order is date, then zone name; nodes are summed */
	r = query(fx, fx->acc_a, (store_analytics_query_t){ .by_zone = true, .by_date = true });
	assert_int_equal(r.n, 4);
	assert_int_equal(r.total, 4);
	assert_row(&r.rows[0], "a1.test", "2024-01-01", 8);
	assert_row(&r.rows[1], "a2.test", "2024-01-01", 7);
	assert_row(&r.rows[2], "a1.test", "2024-01-02", 1);
	assert_row(&r.rows[3], "a2.test", "2024-01-02", 2);
}

static void test_accounts_and_dates(void **state)
{
	fx_t *fx = *state;
	result_t r = query(fx, fx->acc_b, (store_analytics_query_t){ .by_zone = true });
	assert_int_equal(r.n, 1);
	assert_row(&r.rows[0], "b1.test", NULL, 100);

	/* inclusive bounds */
	r = query(fx, fx->acc_a, (store_analytics_query_t){ .start_date = "2024-01-02",
							     .end_date = "2024-01-02",
							     .by_zone = true });
	assert_int_equal(r.n, 2);
	assert_row(&r.rows[0], "a1.test", NULL, 1);
	assert_row(&r.rows[1], "a2.test", NULL, 2);
	r = query(fx, fx->acc_a, (store_analytics_query_t){ .start_date = "2023-12-01",
							     .end_date = "2023-12-31" });
	assert_int_equal(r.n, 1);
	assert_row(&r.rows[0], NULL, NULL, 0); /* the total of nothing */
	r = query(fx, fx->acc_a, (store_analytics_query_t){ .start_date = "2023-12-01",
							     .end_date = "2023-12-31",
							     .by_zone = true });
	assert_int_equal(r.n, 0);
	assert_int_equal(r.total, 0);
}

static void test_sort_and_pages(void **state)
{
	fx_t *fx = *state;
	store_analytics_query_t q = { .by_zone = true, .by_date = true };
	q.page.sort_count = 2;
	q.page.sort_fields[0] = "volume";
	q.page.sort_desc[0] = true;
	q.page.sort_fields[1] = "zone_name";
	result_t r = query(fx, fx->acc_a, q);
	assert_int_equal(r.n, 4);
	assert_row(&r.rows[0], "a1.test", "2024-01-01", 8);
	assert_row(&r.rows[1], "a2.test", "2024-01-01", 7);
	assert_row(&r.rows[2], "a2.test", "2024-01-02", 2);
	assert_row(&r.rows[3], "a1.test", "2024-01-02", 1);

	q.page.sort_count = 2;
	q.page.sort_fields[0] = "zone_name";
	q.page.sort_desc[0] = true;
	q.page.sort_fields[1] = "date";
	q.page.sort_desc[1] = true;
	q.page.limit = 3;
	q.page.offset = 2;
	r = query(fx, fx->acc_a, q);
	assert_int_equal(r.total, 4);
	assert_int_equal(r.n, 2);
	assert_row(&r.rows[0], "a1.test", "2024-01-02", 1);
	assert_row(&r.rows[1], "a1.test", "2024-01-01", 8);

	/* a sort field that is not grouped has no column: ignored */
	store_analytics_query_t q2 = { .by_date = true };
	q2.page.sort_count = 1;
	q2.page.sort_fields[0] = "zone_name";
	r = query(fx, fx->acc_a, q2);
	assert_int_equal(r.n, 2);
	assert_row(&r.rows[0], NULL, "2024-01-01", 15);
}

/* A deleted zone's counts keep its name; later counts still find their account through
 * the earlier rows; a zone deleted before its first flush is dropped. */
static void test_deleted_zones(void **state)
{
	fx_t *fx = *state;
	assert_int_equal(store_zone_delete(fx->st, fx->acc_a, fx->a2), ERR_OK);
	add(fx, "2024-01-02", "n1", fx->a2, 4, 0);
	add(fx, "2024-01-03", "n3", fx->a2, 1, 0);
	int64_t gone = new_zone(fx->st, fx->acc_a, "gone.test");
	assert_int_equal(store_zone_delete(fx->st, fx->acc_a, gone), ERR_OK);
	add(fx, "2024-01-03", "n1", gone, 9, 1);
	add(fx, "2024-01-03", "n1", 999999, 9, 1);

	result_t r = query(fx, fx->acc_a, (store_analytics_query_t){ .by_zone = true });
	assert_int_equal(r.n, 2);
	assert_row(&r.rows[0], "a1.test", NULL, 9);
	assert_row(&r.rows[1], "a2.test", NULL, 14);
	r = query(fx, fx->acc_b, (store_analytics_query_t){ 0 });
	assert_row(&r.rows[0], NULL, NULL, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_groupings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts_and_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_and_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_zones, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
