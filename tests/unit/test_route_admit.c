/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Call admission (route_admit.c) with a clock of the test's own: calls at once and per
 * second on a route and per backend, a backend shared by two routes counted once with
 * the smaller limit, failover moving a call's place from target to target, the Retry-After
 * a refusal asks for, the route keys read from a file, and allocation failures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/oom_wrap.h"
#include "route.h"

static const char *const two[] = { "sip:192.0.2.10:5060", "sip:192.0.2.11:5060" };
static const char *const shared[] = { "sip:192.0.2.10:5060" };

static struct route_table *
table(void)
{
	struct route_table *t = NULL;
	struct route_rule_spec a = { .name = "a", .match = "^1", .targets = two, .ntargets = 2,
	    .max_calls = 3, .target_max_calls = 2 };
	struct route_rule_spec b = { .name = "b", .match = "^2", .targets = shared,
	    .ntargets = 1, .max_cps = 2, .target_max_calls = 1 };
	struct route_rule_spec c = { .name = "c", .match = "^3", .targets = two, .ntargets = 2,
	    .target_max_cps = 4 };

	assert_int_equal(route_table_new(&t), 0);
	assert_int_equal(route_table_add(t, &a, NULL, 0), 0);
	assert_int_equal(route_table_add(t, &b, NULL, 0), 0);
	assert_int_equal(route_table_add(t, &c, NULL, 0), 0);
	return t;
}

/* max_calls on the route; places given back; Retry-After left to the caller (0). */
static void
test_route_max_calls(void **state)
{
	struct route_table *t = table();
	const struct route_rule *a = route_table_rule(t, 0);
	struct route_admit *adm = NULL;
	struct route_slot s[4];
	enum route_refusal why;
	unsigned retry = 99;
	int i;

	assert_int_equal(route_admit_alloc(&adm, t), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(route_admit_call(adm, a, 1000, &s[i], &why, &retry), 0);
	assert_int_equal(route_admit_calls(adm, a), 3);
	assert_int_equal(route_admit_call(adm, a, 1000, &s[3], &why, &retry), EBUSY);
	assert_int_equal(why, ROUTE_REFUSE_MAX_CALLS);
	assert_int_equal(retry, 0);
	assert_false(s[3].route_held);
	route_admit_release(adm, &s[3]);	/* nothing held: nothing given back */
	assert_int_equal(route_admit_calls(adm, a), 3);
	route_admit_release(adm, &s[1]);
	route_admit_release(adm, &s[1]);	/* twice is once */
	assert_int_equal(route_admit_calls(adm, a), 2);
	assert_int_equal(route_admit_call(adm, a, 1000, &s[1], &why, &retry), 0);
	for (i = 0; i < 3; i++)
		route_admit_release(adm, &s[i]);
	assert_int_equal(route_admit_calls(adm, a), 0);
	route_admit_release(NULL, &s[0]);
	route_admit_free(adm);
	route_table_free(t);
}

/* max_cps: a bucket of one second's worth; the refusal says when to come back. */
static void
test_route_max_cps(void **state)
{
	struct route_table *t = table();
	const struct route_rule *b = route_table_rule(t, 1);
	struct route_admit *adm = NULL;
	struct route_slot s;
	enum route_refusal why;
	unsigned retry, ok = 0, i;
	uint64_t now = 50000;

	assert_int_equal(route_admit_alloc(&adm, t), 0);
	for (i = 0; i < 6; i++)
		if (route_admit_call(adm, b, now, &s, &why, &retry) == 0) {
			ok++;
			route_admit_release(adm, &s);
		} else {
			assert_int_equal(why, ROUTE_REFUSE_MAX_CPS);
			assert_int_equal(retry, 1);
		}
	assert_int_equal(ok, 2);
	/* 2 per second: one more after 500 ms, not before */
	assert_int_equal(route_admit_call(adm, b, now + 499, &s, &why, &retry), EBUSY);
	assert_int_equal(route_admit_call(adm, b, now + 500, &s, &why, &retry), 0);
	route_admit_release(adm, &s);
	/* over 10 s at one attempt per 100 ms: 2 per second get through */
	for (ok = 0, i = 1; i <= 100; i++)
		if (route_admit_call(adm, b, now + 500 + i * 100, &s, &why, &retry) == 0) {
			ok++;
			route_admit_release(adm, &s);
		}
	assert_int_equal(ok, 20);
	route_admit_free(adm);
	route_table_free(t);
}

/*
 * Targets: a backend named by two routes is counted once, with the smaller limit (route
 * a says 2, route b says 1 for 192.0.2.10); moving to the next target gives the place
 * at the previous one back.
 */
static void
test_targets(void **state)
{
	struct route_table *t = table();
	const struct route_rule *a = route_table_rule(t, 0), *b = route_table_rule(t, 1);
	struct route_admit *adm = NULL;
	struct route_slot s1, s2, s3;
	enum route_refusal why;
	unsigned retry;

	assert_int_equal(route_admit_alloc(&adm, t), 0);
	assert_int_equal(route_admit_call(adm, a, 1, &s1, &why, &retry), 0);
	assert_int_equal(route_admit_target(adm, a, 0, 1, &s1, &why, &retry), 0);
	assert_int_equal(route_admit_target_calls(adm, a, 0), 1);
	assert_int_equal(route_admit_target_calls(adm, b, 0), 1);	/* the same backend */
	assert_int_equal(route_admit_call(adm, a, 1, &s2, &why, &retry), 0);
	assert_int_equal(route_admit_target(adm, a, 0, 1, &s2, &why, &retry), EBUSY);
	assert_int_equal(why, ROUTE_REFUSE_TARGET_MAX_CALLS);
	assert_false(s2.target_held);
	assert_int_equal(route_admit_target(adm, a, 1, 1, &s2, &why, &retry), 0);
	/* Call 1 fails over to the second backend (named by a, limit 2, and c, no limit):
	 * its place at the first is given back. */
	assert_int_equal(route_admit_target(adm, a, 1, 1, &s1, &why, &retry), 0);
	assert_int_equal(route_admit_target_calls(adm, a, 0), 0);
	assert_int_equal(route_admit_target_calls(adm, a, 1), 2);
	assert_int_equal(route_admit_call(adm, a, 1, &s3, &why, &retry), 0);
	assert_int_equal(route_admit_target(adm, a, 1, 1, &s3, &why, &retry), EBUSY);
	assert_int_equal(route_admit_target(adm, a, 0, 1, &s3, &why, &retry), 0);
	route_admit_release(adm, &s1);
	route_admit_release(adm, &s2);
	route_admit_release(adm, &s3);
	assert_int_equal(route_admit_calls(adm, a), 0);
	assert_int_equal(route_admit_target_calls(adm, a, 0), 0);
	assert_int_equal(route_admit_target_calls(adm, a, 1), 0);
	route_admit_free(adm);
	route_table_free(t);
}

/* target_max_cps: per backend, shared by the routes naming it. */
static void
test_target_cps(void **state)
{
	struct route_table *t = table();
	const struct route_rule *c = route_table_rule(t, 2);
	struct route_admit *adm = NULL;
	struct route_slot s;
	enum route_refusal why;
	unsigned retry, ok = 0, i;

	assert_int_equal(route_admit_alloc(&adm, t), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(route_admit_call(adm, c, 7000, &s, &why, &retry), 0);
		if (route_admit_target(adm, c, 1, 7000, &s, &why, &retry) == 0)
			ok++;
		else
			assert_int_equal(why, ROUTE_REFUSE_TARGET_MAX_CPS);
		route_admit_release(adm, &s);
	}
	assert_int_equal(ok, 4);
	assert_string_equal(route_refusal_name(ROUTE_REFUSE_TARGET_MAX_CPS), "target_max_cps");
	assert_string_equal(route_refusal_name(ROUTE_REFUSE_N), "?");
	route_admit_free(adm);
	route_table_free(t);
}

/* The route keys from a file: defaults 0 (no limit), values, and out-of-range refused. */
static void
test_conf_keys(void **state)
{
	struct conf_error ce;
	struct route_table *t = NULL;
	struct conf *c = NULL;
	const struct route_rule *r;

	memset(&ce, 0, sizeof(ce));
	assert_int_equal(conf_load_string(&c, "t.ini", "[route a]\nmatch = ^1\n"
	    "target = sip:192.0.2.1\nmax_calls = 30\nmax_cps = 5\ntarget_max_calls = 10\n"
	    "target_max_cps = 2\n[route b]\nmatch = ^2\ntarget = sip:192.0.2.2\n", &ce), 0);
	assert_int_equal(route_table_load(&t, c, &ce), 0);
	r = route_table_rule(t, 0);
	assert_int_equal(r->max_calls, 30);
	assert_int_equal(r->max_cps, 5);
	assert_int_equal(r->target_max_calls, 10);
	assert_int_equal(r->target_max_cps, 2);
	r = route_table_rule(t, 1);
	assert_int_equal(r->max_calls + r->max_cps + r->target_max_calls + r->target_max_cps, 0);
	assert_int_equal(r->index, 1);
	route_table_free(t);
	conf_free(c);
	t = NULL;
	assert_int_equal(conf_load_string(&c, "t.ini", "[route a]\nmatch = ^1\n"
	    "target = sip:192.0.2.1\nmax_calls = -1\n", &ce), 0);
	assert_int_equal(route_table_load(&t, c, &ce), EINVAL);
	assert_string_equal(ce.key, "max_calls");
	conf_free(c);
}

static void
test_oom(void **state)
{
	struct route_table *t = table();
	unsigned long at;

	for (at = 0;; at++) {
		struct route_admit *adm = NULL;
		bool fired;
		int rc;

		oom_arm(at);
		rc = route_admit_alloc(&adm, t);
		fired = oom_disarm();
		route_admit_free(adm);
		if (!fired) {
			assert_int_equal(rc, 0);
			break;
		}
		assert_int_equal(rc, ENOMEM);
	}
	assert_true(at >= 4);
	route_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_max_calls),
		cmocka_unit_test(test_route_max_cps),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_target_cps),
		cmocka_unit_test(test_conf_keys),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
