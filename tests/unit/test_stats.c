/* test_stats.c -- the dns role's zone counters: exact totals while workers count, tables
 * that grow under a concurrent collector, failed flushes that lose nothing, and a flush
 * into a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "dns/stats/stats.h"

/* Sum collected deltas into totals[zone_id] (zone ids below cap). */
static void add_deltas(uint64_t *totals, size_t cap, const store_analytics_count_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(d[i].zone_id > 0 && (size_t)d[i].zone_id < cap);
		assert_true(d[i].volume > 0);
		totals[d[i].zone_id] += d[i].volume;
	}
}

static uint64_t volume_of(const store_analytics_count_t *d, size_t n, int64_t zone_id)
{
	for (size_t i = 0; i < n; i++) {
		if (d[i].zone_id == zone_id) {
			return d[i].volume;
		}
	}
	return 0;
}

static void test_count_collect_commit(void **state)
{
	stats_t *s = stats_new();
	stats_worker_t *a = stats_worker_add(s), *b = stats_worker_add(s);
	for (int i = 0; i < 10; i++) {
		stats_count_id(a, 1);
	}
	stats_count_id(a, 2);
	for (int i = 0; i < 5; i++) {
		stats_count_id(b, 1);
	}
	stats_count_id(b, 0);   /* no store id: not counted */
	stats_count_id(NULL, 1); /* counting off */
	stats_count(a, NULL);   /* outside every zone */

	store_analytics_count_t *d = NULL;
	size_t n = 0;
	stats_collect(s, &d, &n);
	assert_int_equal(n, 2);
	assert_int_equal(volume_of(d, n, 1), 15);
	assert_int_equal(volume_of(d, n, 2), 1);
	free(d);

	/* not committed (the flush failed): the same counts again, plus the new ones */
	stats_count_id(b, 2);
	stats_collect(s, &d, &n);
	assert_int_equal(volume_of(d, n, 1), 15);
	assert_int_equal(volume_of(d, n, 2), 2);
	free(d);
	stats_commit(s);

	stats_collect(s, &d, &n);
	assert_int_equal(n, 0);
	free(d);
	stats_count_id(a, 1);
	stats_collect(s, &d, &n);
	assert_int_equal(n, 1);
	assert_int_equal(volume_of(d, n, 1), 1);
	free(d);
	stats_free(s);
	assert_null(stats_worker_add(NULL));
}

/* Many zones in one worker: the table doubles several times, counts move along. */
static void test_growth(void **state)
{
	enum { ZONES = 20000 };
	stats_t *s = stats_new();
	stats_worker_t *w = stats_worker_add(s);
	uint64_t *totals = calloc(ZONES + 1, sizeof(uint64_t));
	for (int round = 0; round < 3; round++) {
		for (int64_t z = 1; z <= ZONES; z++) {
			for (int64_t k = 0; k <= z % 3; k++) {
				stats_count_id(w, z);
			}
		}
		store_analytics_count_t *d = NULL;
		size_t n = 0;
		stats_collect(s, &d, &n);
		add_deltas(totals, ZONES + 1, d, n);
		free(d);
		stats_commit(s);
	}
	for (int64_t z = 1; z <= ZONES; z++) {
		assert_int_equal(totals[z], 3 * (uint64_t)(z % 3 + 1));
	}
	free(totals);
	stats_free(s);
}

/* Workers count while a collector flushes (and sometimes "fails" to); the totals are
 * exact. Zones spread so that every worker's table grows during the run. */
enum { WORKERS = 4, PER_WORKER = 300000, ZONE_COUNT = 5000 };

typedef struct worker_arg {
	stats_t *s;
	int index;
	atomic_int *running;
} worker_arg_t;

static int64_t zone_for(int worker, long i)
{
	/* Skewed: most queries for a few zones, the rest over a set of zones that widens
	 * through the run, so that the tables grow (at 10, 20, 41 and 82 % of it) while the
	 * collector reads them. */
	long spread = 1 + i * (long)ZONE_COUNT / PER_WORKER;
	return i % 4 != 0 ? 1 + (i + worker) % 7 : 1 + (i / 4 * 7919 + worker) % spread;
}

static void *run_worker(void *arg)
{
	worker_arg_t *wa = arg;
	stats_worker_t *w = stats_worker_add(wa->s);
	for (long i = 0; i < PER_WORKER; i++) {
		stats_count_id(w, zone_for(wa->index, i));
		if (i % 4096 == 0) {
			sched_yield(); /* let the collector in, also on few CPUs */
		}
	}
	atomic_fetch_sub(wa->running, 1);
	return NULL;
}

static void test_concurrent_exact(void **state)
{
	stats_t *s = stats_new();
	atomic_int running = WORKERS;
	pthread_t th[WORKERS];
	worker_arg_t args[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		args[i] = (worker_arg_t){ .s = s, .index = i, .running = &running };
		assert_int_equal(pthread_create(&th[i], NULL, run_worker, &args[i]), 0);
	}
	uint64_t *flushed = calloc(ZONE_COUNT + 1, sizeof(uint64_t));
	int passes = 0;
	bool is_last = false;
	while (!is_last) {
		is_last = atomic_load(&running) == 0; /* one more pass after the last worker */
		store_analytics_count_t *d = NULL;
		size_t n = 0;
		stats_collect(s, &d, &n);
		if (passes++ % 5 != 4 || is_last) { /* every fifth flush "fails" */
			add_deltas(flushed, ZONE_COUNT + 1, d, n);
			stats_commit(s);
		}
		free(d);
	}
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(th[i], NULL);
	}
	uint64_t *want = calloc(ZONE_COUNT + 1, sizeof(uint64_t));
	for (int w = 0; w < WORKERS; w++) {
		for (long i = 0; i < PER_WORKER; i++) {
			want[zone_for(w, i)]++;
		}
	}
	uint64_t sum = 0;
	for (int z = 1; z <= ZONE_COUNT; z++) {
		assert_int_equal(flushed[z], want[z]);
		sum += flushed[z];
	}
	assert_int_equal(sum, (uint64_t)WORKERS * PER_WORKER);
	print_message("%d collector passes\n", passes);
	free(flushed);
	free(want);
	stats_free(s);
}

/* stats_flush() into a store: the counts land as (zone, date, node) rows. */
static void test_flush_to_store(void **state)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/nameplate-stats-XXXXXX");
	assert_non_null(mkdtemp(dir));
	store_opts_t opts = { .dir = dir };
	store_t *st = NULL;
	int applied = 0;
	assert_int_equal(store_open(&st, NULL, &opts), ERR_OK);
	assert_int_equal(store_migrate(st, &applied), ERR_OK);
	store_bootstrap_t b = {
		.user = { .email = "a@example.com", .password_hash = "h" },
		.account = { .email = "a@example.com", .name = "A", .plan_identifier = "p" },
		.token = { .name = "t" },
		.token_digest = "d",
	};
	assert_int_equal(store_bootstrap(st, &b), ERR_OK);
	zone_t z = { .account_id = b.account.id, .name = "flush.test", .is_active = true };
	store_zone_new_t zn = { .zone = &z };
	assert_int_equal(store_zone_create(st, &zn), ERR_OK);

	stats_t *s = stats_new();
	stats_worker_t *w = stats_worker_add(s);
	for (int i = 0; i < 42; i++) {
		stats_count_id(w, z.id);
	}
	assert_int_equal(stats_flush(s, st, "2024-01-02", "n1", "AMS"), ERR_OK);
	stats_count_id(w, z.id);
	assert_int_equal(stats_flush(s, st, "2024-01-02", "n1", "AMS"), ERR_OK);
	assert_int_equal(stats_flush(s, st, "2024-01-02", "n1", "AMS"), ERR_OK); /* nothing new */

	arena_t a;
	arena_init(&a, 0);
	store_analytics_query_t q = { .start_date = "2024-01-01", .end_date = "2024-01-31",
				      .by_zone = true, .by_date = true, .page = { .limit = 10 } };
	store_analytics_row_t *rows = NULL;
	size_t n = 0;
	int64_t total = 0;
	assert_int_equal(store_analytics_query(st, &a, b.account.id, &q, &rows, &n, &total),
			 ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(total, 1);
	assert_string_equal(rows[0].zone_name, "flush.test");
	assert_string_equal(rows[0].date, "2024-01-02");
	assert_int_equal(rows[0].volume, 43);
	arena_clear(&a);
	stats_free(s);
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_collect_commit),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_concurrent_exact),
		cmocka_unit_test(test_flush_to_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
