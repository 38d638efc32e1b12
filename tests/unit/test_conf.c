/* test_conf.c -- settings: defaults, file, environment, ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/err.h"

static void test_defaults(void **state)
{
	conf_t c;
	conf_init(&c);
	assert_string_equal(c.data, "var");
	assert_string_equal(c.api, "127.0.0.1:8080");
	assert_int_equal(c.rate_limit, 2400);
	assert_int_equal(c.rate_limit_unauth, 30);
	conf_clear(&c);
}

static void test_file_env_order(void **state)
{
	char path[] = "/tmp/nameplate-conf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# comment\ndata: /srv/np\napi: \"0.0.0.0:9000\"\nrate-limit: 10\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	conf_t c;
	conf_init(&c);
	char err[256];
	assert_int_equal(conf_load_file(&c, path, err, sizeof(err)), ERR_OK);
	assert_string_equal(c.data, "/srv/np");
	assert_string_equal(c.api, "0.0.0.0:9000");
	setenv("NAMEPLATE_RATE_LIMIT", "20", 1);
	assert_int_equal(conf_load_env(&c, err, sizeof(err)), ERR_OK);
	assert_int_equal(c.rate_limit, 20);
	unsetenv("NAMEPLATE_RATE_LIMIT");
	unlink(path);
	conf_clear(&c);
}

static void test_bad_values(void **state)
{
	conf_t c;
	conf_init(&c);
	char err[256];
	assert_int_equal(conf_set(&c, "rate-limit", "abc", err, sizeof(err)), ERR_INVALID);
	assert_non_null(strstr(err, "not a number"));
	assert_int_equal(conf_set(&c, "rate-limit", "0", err, sizeof(err)), ERR_INVALID);
	assert_int_equal(conf_set(&c, "no-such-key", "1", err, sizeof(err)), ERR_INVALID);
	assert_int_equal(c.rate_limit, 2400); /* unchanged */
	conf_clear(&c);
}

static void test_file_errors(void **state)
{
	char path[] = "/tmp/nameplate-conf-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "data: x\nthis line has no colon\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	conf_t c;
	conf_init(&c);
	char err[256];
	assert_int_equal(conf_load_file(&c, path, err, sizeof(err)), ERR_PARSE);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
	conf_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_env_order),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
