/* test_router.c -- route matching, captures, 404 and 405 with Allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/err.h"

static void test_match(void **state)
{
	arena_t a;
	arena_init(&a, 0);
	api_req_t req = { .arena = &a, .method = HTTP_GET, .path = "/v2/whoami" };
	api_match_t m;
	assert_int_equal(router_match(&req, &m), ERR_OK);
	assert_string_equal(m.route->pattern, "/v2/whoami");
	req.path = "/v2/whoami/";
	assert_int_equal(router_match(&req, &m), ERR_OK);
	req.method = HTTP_HEAD;
	assert_int_equal(router_match(&req, &m), ERR_OK);
	req.method = HTTP_DELETE;
	req.path = "/v2/whoami";
	assert_int_equal(router_match(&req, &m), ERR_METHOD);
	assert_string_equal(router_allow(&a, m.allowed), "GET, HEAD");
	req.method = HTTP_GET;
	req.path = "/v2/whoamix";
	assert_int_equal(router_match(&req, &m), ERR_NOTFOUND);
	req.path = "/v2";
	assert_int_equal(router_match(&req, &m), ERR_NOTFOUND);
	req.path = "";
	assert_int_equal(router_match(&req, &m), ERR_NOTFOUND);
	req.method = HTTP_POST;
	req.path = "/v2/oauth/access_token";
	assert_int_equal(router_match(&req, &m), ERR_OK);
	assert_true(m.route->flags & API_PUBLIC);
	arena_clear(&a);
}

static void test_methods(void **state)
{
	assert_int_equal(router_method("GET"), HTTP_GET);
	assert_int_equal(router_method("PATCH"), HTTP_PATCH);
	assert_int_equal(router_method("BREW"), 0);
	arena_t a;
	arena_init(&a, 0);
	assert_string_equal(router_allow(&a, HTTP_GET | HTTP_POST | HTTP_PATCH | HTTP_DELETE),
			    "DELETE, GET, HEAD, PATCH, POST"); /* as method-not-allowed.http */
	arena_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_methods),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
