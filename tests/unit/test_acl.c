/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the source-address access lists of sigproxy listeners. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transport.h"

static struct sa
addr(const char *s)
{
	struct sa a;

	assert_int_equal(sa_parse(&a, s, 5060), 0);
	return a;
}

static void
test_acl_v4_v6(void **state)
{
	struct acl *a = NULL;
	struct sa s;

	assert_int_equal(acl_parse(&a, "192.0.2.0/24, 198.51.100.7 2001:db8::/32", NULL, NULL), 0);
	assert_int_equal(acl_count(a), 3);
	s = addr("192.0.2.200:5061");
	assert_true(acl_allows(a, &s));
	s = addr("192.0.3.1");
	assert_false(acl_allows(a, &s));
	s = addr("198.51.100.7");
	assert_true(acl_allows(a, &s));
	s = addr("198.51.100.8");
	assert_false(acl_allows(a, &s));
	s = addr("[2001:db8:1::5]:5060");
	assert_true(acl_allows(a, &s));
	s = addr("[2001:db9::5]:5060");
	assert_false(acl_allows(a, &s));
	/* A v4 peer seen on a dual-stack socket. */
	s = addr("[::ffff:192.0.2.9]:5060");
	assert_true(acl_allows(a, &s));
	s = addr("[::ffff:192.0.3.9]:5060");
	assert_false(acl_allows(a, &s));
	acl_free(a);
}

static void
test_acl_empty_and_any(void **state)
{
	struct acl *a = NULL;
	struct sa s = addr("127.0.0.1");

	assert_int_equal(acl_alloc(&a), 0);
	assert_false(acl_allows(a, &s));        /* an empty list denies */
	assert_int_equal(acl_add(a, "any"), 0);
	assert_true(acl_allows(a, &s));
	acl_free(a);
	assert_int_equal(acl_parse(&a, "   ", NULL, NULL), 0);
	assert_int_equal(acl_count(a), 0);
	assert_false(acl_allows(a, &s));
	acl_free(a);
	assert_false(acl_allows(NULL, &s));
	acl_free(NULL);
}

static void
test_acl_bad_entries(void **state)
{
	static const char *const bad[] = {
		"192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/x", "300.1.1.1",
		"host.example.com", "192.0.2.0/24/1", "/24", "::1/-1", "1.2.3.4/ 8x",
	};
	struct acl *a = (struct acl *)0x1;
	const char *where = NULL;
	size_t wlen = 0, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = (struct acl *)0x1;
		assert_int_equal(acl_parse(&a, bad[i], NULL, NULL), EINVAL);
		assert_ptr_equal(a, (struct acl *)0x1);   /* untouched on error */
	}
	assert_int_equal(acl_parse(&a, "10.0.0.0/8, bogus!, 192.0.2.1", &where, &wlen), EINVAL);
	assert_non_null(where);
	assert_int_equal(wlen, 6);
	assert_memory_equal(where, "bogus!", 6);
	/* An entry longer than any address is refused, not truncated into something valid. */
	char longent[300];

	memset(longent, '1', sizeof(longent) - 1);
	longent[sizeof(longent) - 1] = '\0';
	assert_int_equal(acl_parse(&a, longent, NULL, NULL), EINVAL);
	assert_int_equal(acl_parse(&a, NULL, NULL, NULL), EINVAL);
	assert_int_equal(acl_add(NULL, "1.2.3.4"), EINVAL);
}

static void
test_acl_many(void **state)
{
	struct acl *a = NULL;
	struct sa s;
	char net[32];
	unsigned i;

	assert_int_equal(acl_alloc(&a), 0);
	for (i = 0; i < 200; i++) {
		snprintf(net, sizeof(net), "10.%u.0.0/16", i);
		assert_int_equal(acl_add(a, net), 0);
	}
	assert_int_equal(acl_count(a), 200);
	s = addr("10.199.3.4");
	assert_true(acl_allows(a, &s));
	s = addr("10.200.3.4");
	assert_false(acl_allows(a, &s));
	acl_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_v4_v6),
		cmocka_unit_test(test_acl_empty_and_any),
		cmocka_unit_test(test_acl_bad_entries),
		cmocka_unit_test(test_acl_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
