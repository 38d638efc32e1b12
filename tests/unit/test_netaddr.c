/* test_netaddr.c -- settings' socket addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "core/err.h"
#include "core/netaddr.h"

static int parse(const char *text, uint16_t def, struct sockaddr_storage *ss)
{
	socklen_t len = 0;
	return netaddr_parse(text, strlen(text), def, ss, &len);
}

static void test_forms(void **state)
{
	struct sockaddr_storage ss;
	assert_int_equal(parse("127.0.0.1:5300", 0, &ss), ERR_OK);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5300);
	assert_int_equal(parse("[::1]:53", 0, &ss), ERR_OK);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(parse("192.0.2.1", 53, &ss), ERR_OK);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
	assert_int_equal(parse("[2001:db8::1]", 53, &ss), ERR_OK);
	assert_int_equal(parse("0.0.0.0:0", 0, &ss), ERR_OK);
}

static void test_refused(void **state)
{
	struct sockaddr_storage ss;
	const char *bad[] = { "", "127.0.0.1", "::1:53", "[::1]", "localhost:53", "1.2.3.4:99999",
			      "1.2.3.4:5x", "[::1]x53", "[::1:53", ":53", "1.2.3.4:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], 0, &ss), ERR_INVALID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
