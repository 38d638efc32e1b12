/* test_store_sqlite.c -- the SQLite backend: migrations, identity rows, atomic operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "store/store.h"

typedef struct {
	char dir[64];
	store_t *st;
	arena_t arena;
} fx_t;

static int setup(void **state)
{
	fx_t *fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/nameplate-unit-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		return -1;
	}
	store_opts_t opts = { .dir = fx->dir, .is_sync_full = false };
	if (store_open(&fx->st, NULL, &opts) != ERR_OK) {
		return -1;
	}
	int applied = 0;
	if (store_migrate(fx->st, &applied) != ERR_OK || applied < 1) {
		return -1;
	}
	arena_init(&fx->arena, 0);
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
	if (system(cmd) != 0) {
		return -1;
	}
	free(fx);
	return 0;
}

static void test_migrate_idempotent(void **state)
{
	fx_t *fx = *state;
	int applied = -1, version = 0;
	assert_int_equal(store_migrate(fx->st, &applied), ERR_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(store_schema_version(fx->st, &version), ERR_OK);
	assert_true(version >= 1);
}

static void test_bootstrap_and_tokens(void **state)
{
	fx_t *fx = *state;
	bool is_empty = false;
	assert_int_equal(store_is_empty(fx->st, &is_empty), ERR_OK);
	assert_true(is_empty);
	store_bootstrap_t b = {
		.user = { .email = "a@example.com", .password_hash = "h" },
		.account = { .email = "a@example.com", .name = "A", .plan_identifier = "p" },
		.token = { .name = "t" },
		.token_digest = "digest-1",
	};
	assert_int_equal(store_bootstrap(fx->st, &b), ERR_OK);
	assert_true(b.user.id > 0 && b.account.id > 0 && b.token.id > 0);
	assert_int_equal(store_is_empty(fx->st, &is_empty), ERR_OK);
	assert_false(is_empty);

	token_t t;
	assert_int_equal(store_token_get_by_digest(fx->st, &fx->arena, "digest-1", &t), ERR_OK);
	assert_int_equal(t.kind, TOKEN_ACCOUNT);
	assert_int_equal(t.account_id, b.account.id);
	assert_int_equal(store_token_revoke(fx->st, t.id, time_now()), ERR_OK);
	assert_int_equal(store_token_get_by_digest(fx->st, &fx->arena, "digest-1", &t),
			 ERR_NOTFOUND);
	assert_int_equal(store_token_revoke(fx->st, t.id, time_now()), ERR_NOTFOUND);

	membership_t m;
	assert_int_equal(store_membership_get(fx->st, &fx->arena, b.account.id, b.user.id, &m),
			 ERR_OK);
	assert_int_equal(m.role, ROLE_OWNER);

	/* a second bootstrap with the same email fails whole: no stray account */
	store_bootstrap_t b2 = b;
	b2.token_digest = "digest-2";
	assert_int_equal(store_bootstrap(fx->st, &b2), ERR_CONFLICT);
	account_t *accs = NULL;
	size_t n = 0;
	assert_int_equal(store_account_list(fx->st, &fx->arena, &accs, &n), ERR_OK);
	assert_int_equal(n, 1);
}

static void test_memberships(void **state)
{
	fx_t *fx = *state;
	user_t u = { .email = "M@Example.com", .password_hash = "h" };
	assert_int_equal(store_user_create(fx->st, &u), ERR_OK);
	user_t again = { .email = "m@example.com", .password_hash = "h" };
	assert_int_equal(store_user_create(fx->st, &again), ERR_CONFLICT); /* case-blind */
	account_t a1 = { .email = "x@y", .name = "one", .plan_identifier = "p" };
	account_t a2 = { .email = "x@y", .name = "two", .plan_identifier = "p" };
	assert_int_equal(store_account_create(fx->st, &a1), ERR_OK);
	assert_int_equal(store_account_create(fx->st, &a2), ERR_OK);
	const char *doms[] = { "a.com", "b.com", NULL };
	membership_t m = { .account_id = a1.id, .user_id = u.id, .role = ROLE_DOMAIN_MANAGER,
			   .domains = doms };
	assert_int_equal(store_membership_put(fx->st, &m), ERR_OK);
	membership_t m2 = { .account_id = a2.id, .user_id = u.id, .role = ROLE_ADMIN };
	assert_int_equal(store_membership_put(fx->st, &m2), ERR_OK);
	membership_t got;
	assert_int_equal(store_membership_get(fx->st, &fx->arena, a1.id, u.id, &got), ERR_OK);
	assert_int_equal(got.role, ROLE_DOMAIN_MANAGER);
	assert_string_equal(got.domains[0], "a.com");
	assert_string_equal(got.domains[1], "b.com");
	assert_null(got.domains[2]);
	assert_null(got.zones[0]);
	account_t *accs = NULL;
	size_t n = 0;
	assert_int_equal(store_account_list_for_user(fx->st, &fx->arena, u.id, &accs, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_true(accs[0].id < accs[1].id);
	/* replacing the membership replaces its grants */
	m.role = ROLE_ADMIN;
	m.domains = NULL;
	assert_int_equal(store_membership_put(fx->st, &m), ERR_OK);
	assert_int_equal(store_membership_get(fx->st, &fx->arena, a1.id, u.id, &got), ERR_OK);
	assert_null(got.domains[0]);
	assert_int_equal(store_membership_remove(fx->st, a1.id, u.id), ERR_OK);
	assert_int_equal(store_membership_get(fx->st, &fx->arena, a1.id, u.id, &got), ERR_NOTFOUND);
	/* a membership needs a real account */
	membership_t bad = { .account_id = 9999, .user_id = u.id, .role = ROLE_OWNER };
	assert_int_equal(store_membership_put(fx->st, &bad), ERR_NOTFOUND);
}

static void test_oauth_exchange_once(void **state)
{
	fx_t *fx = *state;
	user_t u = { .email = "o@example.com", .password_hash = "h" };
	assert_int_equal(store_user_create(fx->st, &u), ERR_OK);
	account_t a = { .email = "o@example.com", .name = "o", .plan_identifier = "p" };
	assert_int_equal(store_account_create(fx->st, &a), ERR_OK);
	oauth_app_t app = { .name = "app", .client_id = "cid", .secret_hash = "sh",
			    .redirect_uri = "http://127.0.0.1/cb" };
	assert_int_equal(store_oauth_app_create(fx->st, &app), ERR_OK);
	oauth_code_t c = { .code_hash = "code-1", .app_id = app.id, .user_id = u.id,
			   .account_id = a.id, .state = "s", .expires_at = time_now() + 60 };
	assert_int_equal(store_oauth_code_create(fx->st, &c), ERR_OK);
	token_t t = { .kind = TOKEN_ACCOUNT, .account_id = a.id, .oauth_app_id = app.id };
	assert_int_equal(store_oauth_code_exchange(fx->st, "code-1", &t, "tok-1"), ERR_OK);
	token_t t2 = t;
	assert_int_equal(store_oauth_code_exchange(fx->st, "code-1", &t2, "tok-2"), ERR_CONFLICT);
	token_t got;
	assert_int_equal(store_token_get_by_digest(fx->st, &fx->arena, "tok-2", &got), ERR_NOTFOUND);
	assert_int_equal(store_token_get_by_digest(fx->st, &fx->arena, "tok-1", &got), ERR_OK);
	assert_int_equal(got.oauth_app_id, app.id);
	oauth_code_t back;
	assert_int_equal(store_oauth_code_get(fx->st, &fx->arena, "code-1", &back), ERR_OK);
	assert_true(back.is_used);
	assert_string_equal(back.state, "s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_and_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memberships, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oauth_exchange_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
