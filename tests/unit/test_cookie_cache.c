/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for proto/cookie_cache: hits, in-progress, collisions, expiry, eviction. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cookie_cache.h"

/* Source keys as mediad would pass them: the peer's sockaddr bytes. */
static struct sockaddr_in
src_addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(ip);
	sin.sin_port = htons(port);
	return sin;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

#define LOOKUP(c, s, ck, cmd, cid, now, r, rl) \
	ng_cookie_cache_lookup((c), &(s), sizeof(s), (ck), strlen(ck), (cmd), strlen(cmd), \
	    (cid), slen(cid), (now), (r), (rl))
#define STORE(c, s, ck, rep, now) \
	ng_cookie_cache_store((c), &(s), sizeof(s), (ck), strlen(ck), (rep), strlen(rep), (now))

static void
test_alloc_args(void **state)
{
	struct ng_cookie_cache *c = NULL;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 0, 30000), EINVAL);
	assert_int_equal(ng_cookie_cache_alloc(&c, 10, 0), EINVAL);
	assert_int_equal(ng_cookie_cache_alloc(NULL, 10, 10), EINVAL);
	assert_null(c);
	assert_int_equal(ng_cookie_cache_alloc(&c, 10, 30000), 0);
	assert_non_null(c);
	assert_int_equal(ng_cookie_cache_count(c), 0);
	ng_cookie_cache_free(c);
	ng_cookie_cache_free(NULL);
}

static void
test_miss_progress_hit(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s = src_addr(0x7f000001, 5060);
	char reply[] = "4711_1_17 d6:result2:oke";
	const char *r = NULL;
	size_t rl = 0;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 100, 30000), 0);
	assert_int_equal(LOOKUP(c, s, "4711_1_17", "offer", "call1", 1000, &r, &rl), NG_COOKIE_MISS);
	assert_null(r);
	assert_int_equal(ng_cookie_cache_count(c), 1);
	/* Retransmission while the command runs. */
	assert_int_equal(LOOKUP(c, s, "4711_1_17", "offer", "call1", 1100, &r, &rl),
	    NG_COOKIE_IN_PROGRESS);
	assert_null(r);
	assert_int_equal(STORE(c, s, "4711_1_17", reply, 1200), 0);
	/* The cache holds a copy. */
	memset(reply, 'X', sizeof(reply) - 1);
	assert_int_equal(LOOKUP(c, s, "4711_1_17", "offer", "call1", 1300, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(rl, 24);
	assert_memory_equal(r, "4711_1_17 d6:result2:oke", 24);
	assert_int_equal(ng_cookie_cache_count(c), 1);
	/* A second store replaces the reply. */
	assert_int_equal(STORE(c, s, "4711_1_17", "new", 1400), 0);
	assert_int_equal(LOOKUP(c, s, "4711_1_17", "offer", "call1", 1500, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(rl, 3);
	assert_memory_equal(r, "new", 3);
	/* Unknown entry. */
	assert_int_equal(STORE(c, s, "nope", "x", 1500), ENOENT);
	ng_cookie_cache_free(c);
}

static void
test_ping_without_call_id(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s = src_addr(0x7f000001, 5060);
	const char *r;
	size_t rl;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 10, 30000), 0);
	assert_int_equal(ng_cookie_cache_lookup(c, &s, sizeof(s), "5323_1", 6, "ping", 4, NULL, 0,
	    0, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(STORE(c, s, "5323_1", "5323_1 d6:result4:ponge", 1), 0);
	assert_int_equal(ng_cookie_cache_lookup(c, &s, sizeof(s), "5323_1", 6, "ping", 4, NULL, 0,
	    2, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(rl, 23);
	assert_memory_equal(r, "5323_1 d6:result4:ponge", 23);
	/* An empty call-id equals an absent one; a real one does not. */
	assert_int_equal(ng_cookie_cache_lookup(c, &s, sizeof(s), "5323_1", 6, "ping", 4, "", 0,
	    3, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(ng_cookie_cache_lookup(c, &s, sizeof(s), "5323_1", 6, "ping", 4, "x", 1,
	    4, &r, &rl), NG_COOKIE_COLLISION);
	/* Inconsistent arguments are treated as a miss, never dereferenced. */
	assert_int_equal(ng_cookie_cache_lookup(c, NULL, 5, "a", 1, "ping", 4, NULL, 0,
	    5, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(ng_cookie_cache_store(c, NULL, 5, "a", 1, "r", 1, 5), EINVAL);
	ng_cookie_cache_free(c);
}

static void
test_collision(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s = src_addr(0x0a000001, 5060);
	const char *r;
	size_t rl;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 100, 30000), 0);
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "offer", "X", 0, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(STORE(c, s, "0_12345_17", "reply-for-X", 10), 0);
	/* Another proxy instance reuses the cookie for call Y: never X's reply. */
	r = NULL;
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "offer", "Y", 20, &r, &rl), NG_COOKIE_COLLISION);
	assert_null(r);
	assert_int_equal(ng_cookie_cache_count(c), 1);
	/* Y's entry replaced X's: its retransmission is in progress... */
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "offer", "Y", 30, &r, &rl), NG_COOKIE_IN_PROGRESS);
	assert_int_equal(STORE(c, s, "0_12345_17", "reply-for-Y", 40), 0);
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "offer", "Y", 50, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(rl, 11);
	assert_memory_equal(r, "reply-for-Y", 11);
	/* Same call-id, other command. */
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "delete", "Y", 60, &r, &rl), NG_COOKIE_COLLISION);
	/* Command compared exactly, including length. */
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "delet", "Y", 70, &r, &rl), NG_COOKIE_COLLISION);
	assert_int_equal(LOOKUP(c, s, "0_12345_17", "delet", "YY", 80, &r, &rl), NG_COOKIE_COLLISION);
	assert_int_equal(ng_cookie_cache_count(c), 1);
	ng_cookie_cache_free(c);
}

static void
test_source_is_part_of_key(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s1 = src_addr(0x0a000001, 5060);
	struct sockaddr_in s2 = src_addr(0x0a000002, 5060);
	struct sockaddr_in s3 = src_addr(0x0a000001, 5061);
	const char *r;
	size_t rl;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 100, 30000), 0);
	assert_int_equal(LOOKUP(c, s1, "1_1_1", "offer", "A", 0, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(STORE(c, s1, "1_1_1", "A-reply", 1), 0);
	/* Same cookie, same call even, from another host or port: a new request. */
	assert_int_equal(LOOKUP(c, s2, "1_1_1", "offer", "A", 2, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(LOOKUP(c, s3, "1_1_1", "offer", "B", 3, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(ng_cookie_cache_count(c), 3);
	assert_int_equal(STORE(c, s2, "1_1_1", "A2-reply", 4), 0);
	assert_int_equal(LOOKUP(c, s1, "1_1_1", "offer", "A", 5, &r, &rl), NG_COOKIE_HIT);
	assert_memory_equal(r, "A-reply", 7);
	assert_int_equal(LOOKUP(c, s2, "1_1_1", "offer", "A", 6, &r, &rl), NG_COOKIE_HIT);
	assert_memory_equal(r, "A2-reply", 8);
	assert_int_equal(LOOKUP(c, s3, "1_1_1", "offer", "B", 7, &r, &rl), NG_COOKIE_IN_PROGRESS);
	/* Key boundaries: src "ab"+cookie "c" is not src "a"+cookie "bc". */
	assert_int_equal(ng_cookie_cache_lookup(c, "ab", 2, "c", 1, "ping", 4, NULL, 0, 8, &r, &rl),
	    NG_COOKIE_MISS);
	assert_int_equal(ng_cookie_cache_lookup(c, "a", 1, "bc", 2, "ping", 4, NULL, 0, 9, &r, &rl),
	    NG_COOKIE_MISS);
	assert_int_equal(ng_cookie_cache_count(c), 5);
	ng_cookie_cache_free(c);
}

static void
test_ttl_expiry(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s = src_addr(0x7f000001, 40000);
	const char *r;
	size_t rl;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 100, 30000), 0);
	assert_int_equal(LOOKUP(c, s, "a", "offer", "1", 1000, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(STORE(c, s, "a", "ra", 1001), 0);
	assert_int_equal(LOOKUP(c, s, "b", "offer", "2", 11000, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(STORE(c, s, "b", "rb", 11001), 0);
	assert_int_equal(LOOKUP(c, s, "a", "offer", "1", 30999, &r, &rl), NG_COOKIE_HIT);
	/* 30 s after arrival "a" is gone; "b" is still there. */
	assert_int_equal(ng_cookie_cache_expire(c, 31000), 1);
	assert_int_equal(ng_cookie_cache_count(c), 1);
	assert_int_equal(LOOKUP(c, s, "b", "offer", "2", 31000, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(LOOKUP(c, s, "a", "offer", "1", 31000, &r, &rl), NG_COOKIE_MISS);
	/* Lazy expiry in lookup; store on an expired entry is ENOENT. */
	assert_int_equal(LOOKUP(c, s, "c", "offer", "3", 41000, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(STORE(c, s, "b", "late", 41001), ENOENT);
	assert_int_equal(ng_cookie_cache_count(c), 2);   /* the new "a" and "c" */
	/* A clock that steps back expires nothing and breaks nothing. */
	assert_int_equal(ng_cookie_cache_expire(c, 5), 0);
	assert_int_equal(ng_cookie_cache_expire(c, 10000000), 2);
	assert_int_equal(ng_cookie_cache_count(c), 0);
	ng_cookie_cache_free(c);
}

static void
test_size_eviction(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s = src_addr(0x7f000001, 40000);
	const char *r;
	size_t rl;
	char ck[16];
	int i;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, 3, 60000), 0);
	for (i = 0; i < 5; i++) {
		snprintf(ck, sizeof(ck), "ck%d", i);
		assert_int_equal(LOOKUP(c, s, ck, "ping", NULL, (uint64_t)i, &r, &rl), NG_COOKIE_MISS);
		assert_int_equal(STORE(c, s, ck, ck, (uint64_t)i), 0);
		assert_true(ng_cookie_cache_count(c) <= 3);
	}
	assert_int_equal(ng_cookie_cache_count(c), 3);
	/* The two oldest were evicted, the three newest answer from cache. */
	assert_int_equal(STORE(c, s, "ck0", "x", 10), ENOENT);
	assert_int_equal(STORE(c, s, "ck1", "x", 10), ENOENT);
	assert_int_equal(LOOKUP(c, s, "ck4", "ping", NULL, 11, &r, &rl), NG_COOKIE_HIT);
	assert_memory_equal(r, "ck4", 3);
	assert_int_equal(LOOKUP(c, s, "ck2", "ping", NULL, 12, &r, &rl), NG_COOKIE_HIT);
	assert_memory_equal(r, "ck2", 3);
	/* A hit does not refresh: ck2 is still the oldest and goes next. */
	assert_int_equal(LOOKUP(c, s, "ck5", "ping", NULL, 13, &r, &rl), NG_COOKIE_MISS);
	assert_int_equal(LOOKUP(c, s, "ck3", "ping", NULL, 14, &r, &rl), NG_COOKIE_HIT);
	assert_int_equal(STORE(c, s, "ck2", "x", 15), ENOENT);
	ng_cookie_cache_free(c);
}

/* CPU time, so a loaded machine does not make the bound below flaky. */
static uint64_t
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
test_many_entries(void **state)
{
	struct ng_cookie_cache *c;
	struct sockaddr_in s;
	const char *r;
	size_t rl;
	char ck[32];
	uint64_t t0, elapsed;
	uint32_t i, n = 100000;

	(void)state;
	assert_int_equal(ng_cookie_cache_alloc(&c, n, 60000), 0);
	t0 = cpu_ms();
	for (i = 0; i < n; i++) {
		s = src_addr(0x0a000000 + (i % 7), (uint16_t)(5060 + i % 3));
		snprintf(ck, sizeof(ck), "0_%u_%u", i % 97, i);
		assert_int_equal(LOOKUP(c, s, ck, "offer", ck, 1000, &r, &rl), NG_COOKIE_MISS);
		assert_int_equal(STORE(c, s, ck, ck, 1000), 0);
	}
	assert_int_equal(ng_cookie_cache_count(c), n);
	for (i = 0; i < n; i++) {
		s = src_addr(0x0a000000 + (i % 7), (uint16_t)(5060 + i % 3));
		snprintf(ck, sizeof(ck), "0_%u_%u", i % 97, i);
		assert_int_equal(LOOKUP(c, s, ck, "offer", ck, 2000, &r, &rl), NG_COOKIE_HIT);
		assert_int_equal(rl, strlen(ck));
		assert_memory_equal(r, ck, rl);
	}
	/* 300k operations on 100k entries: a linear scan does ~10^10 compares
	 * (minutes); the hash takes well under a second, ~3 s under ASan. */
	elapsed = cpu_ms() - t0;
	assert_true(elapsed < 20000);
	assert_int_equal(ng_cookie_cache_expire(c, 61000), n);
	assert_int_equal(ng_cookie_cache_count(c), 0);
	ng_cookie_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_args),
		cmocka_unit_test(test_miss_progress_hit),
		cmocka_unit_test(test_ping_without_call_id),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_source_is_part_of_key),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_size_eviction),
		cmocka_unit_test(test_many_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
