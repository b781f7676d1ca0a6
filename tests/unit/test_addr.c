/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/addr: parse and format v4/v6 with ports, bad input, CIDR matching. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

static void
roundtrip(const char *in, uint16_t defport, const char *want)
{
	char buf[SA_STRLEN];
	struct sa a;

	if (sa_parse(&a, in, defport) != 0)
		fail_msg("sa_parse(\"%s\") failed", in);
	assert_string_equal(sa_format(&a, buf, sizeof(buf)), want);
}

static void
test_parse_v4(void **state)
{
	struct sa a;
	char buf[SA_STRLEN];

	roundtrip("192.0.2.1", 5060, "192.0.2.1:5060");
	roundtrip("192.0.2.1:5061", 5060, "192.0.2.1:5061");
	roundtrip("0.0.0.0:0", 1, "0.0.0.0:0");
	roundtrip("255.255.255.255:65535", 0, "255.255.255.255:65535");
	assert_int_equal(sa_parse(&a, "198.51.100.7:7", 0), 0);
	assert_int_equal(sa_family(&a), AF_INET);
	assert_int_equal(sa_port(&a), 7);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_false(sa_is_any(&a));
	assert_string_equal(sa_format_ip(&a, buf, sizeof(buf)), "198.51.100.7");
	sa_set_port(&a, 9);
	assert_string_equal(sa_format(&a, buf, sizeof(buf)), "198.51.100.7:9");
	assert_int_equal(sa_parse(&a, "0.0.0.0", 0), 0);
	assert_true(sa_is_any(&a));
}

static void
test_parse_v6(void **state)
{
	struct sa a;
	char buf[SA_STRLEN];

	roundtrip("::1", 5060, "[::1]:5060");
	roundtrip("[::1]:5061", 5060, "[::1]:5061");
	roundtrip("[2001:db8::1]", 7, "[2001:db8::1]:7");
	roundtrip("2001:DB8:0:0:0:0:0:1", 0, "[2001:db8::1]:0");
	roundtrip("[::ffff:192.0.2.1]:80", 0, "[::ffff:192.0.2.1]:80");
	assert_int_equal(sa_parse(&a, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", 0), 0);
	assert_string_equal(sa_format(&a, buf, sizeof(buf)),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	assert_int_equal(sa_family(&a), AF_INET6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(sa_parse(&a, "::", 0), 0);
	assert_true(sa_is_any(&a));
	assert_string_equal(sa_format_ip(&a, buf, sizeof(buf)), "::");
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", ":", ":5060", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:-1",
		"192.0.2.1:+5", "192.0.2.1:5060x", "192.0.2.1: 5060", " 192.0.2.1",
		"192.0.2.256", "192.0.2", "example.com", "example.com:5060", "[::1", "[::1]x",
		"[::1]:", "[::1]:99999", "[192.0.2.1]:5", "[]:5", "::1::2", "1.2.3.4.5",
		"[::1]:5060:1", "192.0.2.1:99999999999999999999",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]:1",
	};
	struct sa a, orig;
	size_t i;

	memset(&a, 0x5a, sizeof(a));
	orig = a;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sa_parse(&a, bad[i], 5060) != EINVAL)
			fail_msg("sa_parse accepted \"%s\"", bad[i]);
		/* out-param untouched on failure */
		assert_memory_equal(&a, &orig, sizeof(a));
	}
	assert_int_equal(sa_parse(&a, NULL, 0), EINVAL);
	assert_int_equal(sa_parse_ip(&a, "192.0.2.1", 0, 0), EINVAL);
	/* Length-delimited: only the first len bytes count. */
	assert_int_equal(sa_parse_ip(&a, "192.0.2.1:5060", 9, 5), 0);
	assert_int_equal(sa_port(&a), 5);
}

static void
test_compare(void **state)
{
	struct sa a, b, c, d;
	struct sockaddr_in sin;

	assert_int_equal(sa_parse(&a, "192.0.2.1:5060", 0), 0);
	assert_int_equal(sa_parse(&b, "192.0.2.1:5061", 0), 0);
	assert_int_equal(sa_parse(&c, "[::ffff:192.0.2.1]:5060", 0), 0);
	assert_true(sa_equal_ip(&a, &b));
	assert_false(sa_equal(&a, &b));
	assert_false(sa_equal_ip(&a, &c));   /* mapped v6 is another family */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5060);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	sa_from_sockaddr(&d, (struct sockaddr *)&sin, sizeof(sin));
	assert_true(sa_equal(&a, &d));
	assert_int_equal(d.len, sizeof(sin));
}

static void
test_format_small_buffer(void **state)
{
	struct sa a;
	char buf[8];

	assert_int_equal(sa_parse(&a, "[2001:db8::1]:5060", 0), 0);
	sa_format(&a, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);   /* truncated, terminated */
	memset(&a, 0, sizeof(a));
	assert_string_equal(sa_format_ip(&a, buf, sizeof(buf)), "?");
}

static void
test_cidr(void **state)
{
	struct sa_net n;
	struct sa a;

	assert_int_equal(sa_net_parse(&n, "192.0.2.0/24"), 0);
	assert_int_equal(n.prefix, 24);
	assert_int_equal(sa_parse(&a, "192.0.2.200:5060", 0), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "192.0.3.1", 0), 0);
	assert_false(sa_net_contains(&n, &a));
	/* v4-mapped v6 source matches a v4 network (dual-stack sockets). */
	assert_int_equal(sa_parse(&a, "[::ffff:192.0.2.9]:1", 0), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "2001:db8::1", 0), 0);
	assert_false(sa_net_contains(&n, &a));

	/* Non-byte-aligned prefix. */
	assert_int_equal(sa_net_parse(&n, "10.0.0.0/13"), 0);
	assert_int_equal(sa_parse(&a, "10.7.255.255", 0), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "10.8.0.0", 0), 0);
	assert_false(sa_net_contains(&n, &a));

	assert_int_equal(sa_net_parse(&n, "0.0.0.0/0"), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_net_parse(&n, "192.0.2.7"), 0);
	assert_int_equal(n.prefix, 32);
	assert_int_equal(sa_parse(&a, "192.0.2.7", 0), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "192.0.2.8", 0), 0);
	assert_false(sa_net_contains(&n, &a));

	assert_int_equal(sa_net_parse(&n, "2001:db8::/32"), 0);
	assert_int_equal(sa_parse(&a, "[2001:db8:ffff::1]:5", 0), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "2001:db9::1", 0), 0);
	assert_false(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "192.0.2.1", 0), 0);
	assert_false(sa_net_contains(&n, &a));
	assert_int_equal(sa_net_parse(&n, "::1"), 0);
	assert_int_equal(n.prefix, 128);
	assert_int_equal(sa_net_parse(&n, "2001:db8::/127"), 0);
	assert_int_equal(sa_parse(&a, "2001:db8::1", 0), 0);
	assert_true(sa_net_contains(&n, &a));
	assert_int_equal(sa_parse(&a, "2001:db8::2", 0), 0);
	assert_false(sa_net_contains(&n, &a));
}

static void
test_cidr_bad(void **state)
{
	static const char *const bad[] = {
		"", "/", "/24", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/-1", "192.0.2.0/+1",
		"192.0.2.0/24x", "192.0.2.0/ 24", "2001:db8::/129", "192.0.2.0/24/1",
		"[::1]/128", "192.0.2.0:80/24", "192.0.2.0/99999999999999999999999",
		"host/24",
	};
	struct sa_net n, orig;
	size_t i;

	memset(&n, 0x33, sizeof(n));
	orig = n;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sa_net_parse(&n, bad[i]) != EINVAL)
			fail_msg("sa_net_parse accepted \"%s\"", bad[i]);
		assert_memory_equal(&n, &orig, sizeof(n));
	}
}

static uint32_t
rnd(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Valid addresses mutated at random: parse never crashes; what parses round-trips. */
static void
test_random_input(void **state)
{
	static const char alphabet[] = "0123456789abcdefABCDEF:.[]/ %-+x";
	static const char *const seeds[] = {
		"192.0.2.1", "192.0.2.1:5060", "[2001:db8::1]:5061", "::1", "10.0.0.0/8",
		"2001:db8::/32", "[::ffff:192.0.2.1]:1", "0.0.0.0:0",
	};
	uint32_t seed = 777;
	char in[64], out[SA_STRLEN];
	unsigned iter, accepted = 0, rejected = 0;

#define RND() rnd(&seed)
	for (iter = 0; iter < 200000; iter++) {
		unsigned muts = RND() % 4, i;
		struct sa a, b;
		struct sa_net net;
		size_t n;

		snprintf(in, sizeof(in), "%s", seeds[RND() % 8]);
		for (i = 0; i < muts; i++) {
			n = strlen(in);
			switch (RND() % 3) {
			case 0:     /* replace */
				if (n > 0)
				{
					size_t at = RND() % n;

					in[at] = alphabet[RND() % (sizeof(alphabet) - 1)];
				}
				break;
			case 1:     /* delete */
				if (n > 0) {
					size_t at = RND() % n;

					memmove(in + at, in + at + 1, n - at);
				}
				break;
			default:    /* insert */
				if (n + 1 < sizeof(in)) {
					size_t at = RND() % (n + 1);

					memmove(in + at + 1, in + at, n - at + 1);
					in[at] = alphabet[RND() % (sizeof(alphabet) - 1)];
				}
				break;
			}
		}
		if (sa_parse(&a, in, 5060) == 0) {
			accepted++;
			sa_format(&a, out, sizeof(out));
			if (sa_parse(&b, out, 0) != 0 || !sa_equal(&a, &b))
				fail_msg("'%s' -> '%s' does not round-trip", in, out);
		} else {
			rejected++;
		}
		if (sa_net_parse(&net, in) == 0)
			assert_true(net.prefix <= 128);
	}
#undef RND
	assert_true(accepted > 1000);
	assert_true(rejected > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
