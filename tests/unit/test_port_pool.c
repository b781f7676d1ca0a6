/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of mediad's port pool: even/odd pairs, exhaustion, release, busy ports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "call.h"

/* A loopback address of our own (127.0.0.0/8 is all local on Linux), so the exact
 * port counts below cannot be disturbed by another test binding the same ports. */
static void
own_addr(struct sa *a)
{
	char s[32];

	/* 127.10-59.x.x: disjoint from the other mediad tests' addresses */
	snprintf(s, sizeof(s), "127.%u.%u.%u", 10u + (unsigned)(getpid() % 50),
	    (unsigned)((getpid() / 100) % 250) + 1u, (unsigned)(rand() % 250) + 1u);
	assert_int_equal(sa_parse(a, s, 0), 0);
}

static uint16_t
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sa a;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	sa_from_sockaddr(&a, (struct sockaddr *)&ss, sl);
	return sa_port(&a);
}

static void
test_bad_ranges(void **state)
{
	struct port_pool *p = NULL;
	struct sa a, un;

	(void)state;
	own_addr(&a);
	assert_int_equal(port_pool_alloc(&p, &a, 0, 100), EINVAL);
	assert_int_equal(port_pool_alloc(&p, &a, 40001, 40001), EINVAL);  /* no pair */
	assert_int_equal(port_pool_alloc(&p, &a, 40001, 40002), EINVAL);  /* 40002 lacks +1 */
	assert_int_equal(port_pool_alloc(&p, &a, 40010, 40000), EINVAL);
	memset(&un, 0, sizeof(un));
	assert_int_equal(port_pool_alloc(&p, &un, 40000, 40010), EINVAL);
	assert_null(p);
}

static void
test_even_odd_and_exhaustion(void **state)
{
	struct port_pool *p;
	struct port_pair pairs[4], extra;
	struct sa a;
	unsigned i, j;

	(void)state;
	own_addr(&a);
	/* Odd minimum rounds up: 41001..41008 holds 41002/3, 41004/5, 41006/7 only. */
	assert_int_equal(port_pool_alloc(&p, &a, 41001, 41008), 0);
	assert_int_equal(port_pool_size(p), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(port_pool_take(p, &pairs[i]), 0);
		assert_int_equal(pairs[i].port % 2, 0);
		assert_true(pairs[i].port >= 41002 && pairs[i].port <= 41006);
		assert_int_equal(bound_port(pairs[i].fd_rtp), pairs[i].port);
		assert_int_equal(bound_port(pairs[i].fd_rtcp), pairs[i].port + 1);
		for (j = 0; j < i; j++)
			assert_int_not_equal(pairs[i].port, pairs[j].port);
	}
	assert_int_equal(port_pool_in_use(p), 3);
	memset(&extra, 0x55, sizeof(extra));
	assert_int_equal(port_pool_take(p, &extra), ENOSPC);
	assert_int_equal(extra.port, 0x5555);   /* untouched on failure */

	/* Release one: exactly that pair comes back, and it is bindable again. */
	port_pair_release(p, &pairs[1]);
	assert_int_equal(pairs[1].fd_rtp, -1);
	assert_int_equal(port_pool_in_use(p), 2);
	assert_int_equal(port_pool_take(p, &extra), 0);
	assert_int_equal(extra.port, 41004);
	assert_int_equal(port_pool_take(p, &pairs[3]), ENOSPC);

	/* Releasing something not from the pool changes nothing. */
	port_pool_release(p, 41003);
	port_pool_release(p, 50000);
	port_pool_release(p, 41000);
	assert_int_equal(port_pool_in_use(p), 3);

	port_pair_release(p, &pairs[0]);
	port_pair_release(p, &pairs[2]);
	port_pair_release(p, &extra);
	assert_int_equal(port_pool_in_use(p), 0);
	/* Double release is harmless. */
	port_pool_release(p, 41002);
	assert_int_equal(port_pool_in_use(p), 0);
	port_pool_free(p);
}

static void
test_round_robin(void **state)
{
	struct port_pool *p;
	struct port_pair x, y;
	struct sa a;

	(void)state;
	own_addr(&a);
	assert_int_equal(port_pool_alloc(&p, &a, 42000, 42009), 0);
	assert_int_equal(port_pool_take(p, &x), 0);
	port_pair_release(p, &x);
	/* A just-freed pair is not handed out again at once (late packets of the old call). */
	assert_int_equal(port_pool_take(p, &y), 0);
	assert_int_not_equal(y.port, 42000);
	port_pair_release(p, &y);
	port_pool_free(p);
}

static int
bind_udp(const struct sa *base, uint16_t port)
{
	struct sa a = *base;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	sa_set_port(&a, port);
	assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
	return fd;
}

static void
test_busy_ports_skipped(void **state)
{
	struct port_pool *p;
	struct port_pair x, y;
	struct sa a;
	int busy_rtp, busy_rtcp;

	(void)state;
	own_addr(&a);
	/* Someone else holds 43000 (an RTP port) and 43003 (an RTCP port). */
	busy_rtp = bind_udp(&a, 43000);
	busy_rtcp = bind_udp(&a, 43003);
	assert_int_equal(port_pool_alloc(&p, &a, 43000, 43005), 0);
	assert_int_equal(port_pool_take(p, &x), 0);
	assert_int_equal(x.port, 43004);
	/* Nothing else bindable: exhaustion, not a half-bound pair. */
	assert_int_equal(port_pool_take(p, &y), ENOSPC);
	assert_int_equal(port_pool_in_use(p), 1);
	close(busy_rtp);
	assert_int_equal(port_pool_take(p, &y), 0);
	assert_int_equal(y.port, 43000);
	port_pair_release(p, &x);
	port_pair_release(p, &y);
	close(busy_rtcp);
	port_pool_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_even_odd_and_exhaustion),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_busy_ports_skipped),
	};

	srand((unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
