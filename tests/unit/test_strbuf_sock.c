/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/strbuf (bounded appends) and common/sock (UDP bind helper). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sock.h"
#include "strbuf.h"

static void
test_strbuf_fits(void **state)
{
	char buf[16];
	struct strbuf sb;

	strbuf_init(&sb, buf, sizeof(buf));
	assert_string_equal(buf, "");
	strbuf_puts(&sb, "abc");
	strbuf_printf(&sb, "-%d-", 42);
	strbuf_append(&sb, "xyz", 2);
	assert_string_equal(buf, "abc-42-xy");
	assert_int_equal(sb.len, 9);
	assert_false(sb.truncated);
}

static void
test_strbuf_truncates(void **state)
{
	char buf[8];
	struct strbuf sb;

	memset(buf, 'Z', sizeof(buf));
	strbuf_init(&sb, buf, sizeof(buf));
	strbuf_puts(&sb, "12345");
	strbuf_printf(&sb, "%s", "6789");
	assert_string_equal(buf, "1234567");
	assert_int_equal(sb.len, 7);
	assert_true(sb.truncated);
	/* Full: further appends keep the terminator and the length. */
	strbuf_puts(&sb, "more");
	strbuf_printf(&sb, "%d", 1);
	assert_string_equal(buf, "1234567");
	assert_int_equal(sb.len, 7);
}

static void
test_sock_udp_bind(void **state)
{
	struct sa a, got, same;
	int fd = -1, fd2 = -1;

	assert_int_equal(sa_parse(&a, "127.0.0.1:0", 0), 0);
	assert_int_equal(sock_udp_bind(&a, 65536, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(sock_local_addr(fd, &got), 0);
	assert_true(sa_port(&got) != 0);
	/* The same port again is refused with the bind errno, and no descriptor leaks out. */
	same = got;
	fd2 = -7;
	assert_int_equal(sock_udp_bind(&same, 0, &fd2), EADDRINUSE);
	assert_int_equal(fd2, -7);
	close(fd);
	assert_int_equal(sa_parse(&a, "[::1]:0", 0), 0);
	if (sock_udp_bind(&a, 0, &fd) == 0) {
		assert_int_equal(sock_local_addr(fd, &got), 0);
		assert_int_equal(sa_family(&got), AF_INET6);
		close(fd);
	}
	assert_int_equal(sock_local_addr(-1, &got), EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_fits),
		cmocka_unit_test(test_strbuf_truncates),
		cmocka_unit_test(test_sock_udp_bind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
