/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flood control in the transport (limits.c) with a clock of the test's own: request and
 * TLS-connection token buckets, bans and their end, per-source connection counts, exempt
 * sources, IPv4-mapped IPv6, the table forgetting the source seen longest ago, and every
 * allocation failing in turn. The socket side is in test_transport and the daemon tests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "lib/oom_wrap.h"
#include "transport_int.h"

struct fx {
	struct tp_limits *lim;
	struct metric m[5];
	struct tp_metrics tm;
};

static struct sa
ip(const char *s)
{
	struct sa a;

	assert_int_equal(sa_parse(&a, s, 5060), 0);
	return a;
}

static struct fx *
fx_new(const struct tp_limits_conf *conf, unsigned max_conns_in)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->tm.bans = &f->m[0];
	f->tm.banned = &f->m[1];
	f->tm.sources = &f->m[2];
	assert_int_equal(tp_limits_alloc(&f->lim, conf, max_conns_in, &f->tm), 0);
	return f;
}

static void
fx_free(struct fx *f)
{
	tp_limits_free(f->lim);
	free(f);
}

/* The first burst passes, the next request bans the source; the ban ends on time. */
static void
test_request_rate_and_ban(void **state)
{
	struct tp_limits_conf c = { .req_rate = 10, .req_burst = 5, .ban_ms = 1000 };
	struct fx *f = fx_new(&c, 16);
	struct sa a = ip("192.0.2.1:5060"), b = ip("192.0.2.2");
	enum tp_drop why = TP_DROP_NREASONS;
	uint64_t t = 1000000;
	int i;

	for (i = 0; i < 5; i++)
		assert_true(tp_limits_msg_ok(f->lim, &a, true, t, &why));
	assert_false(tp_limits_msg_ok(f->lim, &a, true, t, &why));
	assert_int_equal(why, TP_DROP_RATE);
	assert_int_equal(metric_get(&f->m[0]), 1);
	/* Banned: requests and responses alike, whatever the bucket holds by now. */
	assert_true(tp_limits_banned(f->lim, &a, t + 500));
	assert_false(tp_limits_msg_ok(f->lim, &a, false, t + 500, &why));
	assert_int_equal(why, TP_DROP_BANNED);
	assert_false(tp_limits_msg_ok(f->lim, &a, true, t + 999, &why));
	assert_int_equal(why, TP_DROP_BANNED);
	/* Another source is not touched by it. */
	assert_true(tp_limits_msg_ok(f->lim, &b, true, t + 500, &why));
	tp_limits_sweep(f->lim, t + 500);
	assert_int_equal(metric_get(&f->m[1]), 1);
	assert_int_equal(metric_get(&f->m[2]), 2);
	/* The ban ends; the bucket refilled meanwhile (10/s for 1 s: full again). */
	assert_false(tp_limits_banned(f->lim, &a, t + 1000));
	for (i = 0; i < 5; i++)
		assert_true(tp_limits_msg_ok(f->lim, &a, true, t + 1000, &why));
	assert_false(tp_limits_msg_ok(f->lim, &a, true, t + 1000, &why));
	tp_limits_sweep(f->lim, t + 1000);
	assert_int_equal(metric_get(&f->m[1]), 1);
	assert_int_equal(metric_get(&f->m[0]), 2);
	fx_free(f);
}

/* At the rate and no faster: 10/s is one request per 100 ms after the burst. */
static void
test_request_rate_steady(void **state)
{
	struct tp_limits_conf c = { .req_rate = 10, .req_burst = 1, .ban_ms = 0 };
	struct fx *f = fx_new(&c, 16);
	struct sa a = ip("192.0.2.1");
	enum tp_drop why;
	uint64_t t = 5000;
	unsigned ok = 0, i;

	for (i = 0; i < 100; i++, t += 10)
		ok += tp_limits_msg_ok(f->lim, &a, true, t, &why);
	assert_int_equal(ok, 10);   /* 1 s of traffic every 10 ms */
	/* ban_ms 0: over the rate is dropped, never banned */
	assert_false(tp_limits_banned(f->lim, &a, t));
	assert_int_equal(metric_get(&f->m[0]), 0);
	/* Responses are never counted against the rate. */
	for (i = 0; i < 50; i++)
		assert_true(tp_limits_msg_ok(f->lim, &a, false, t, &why));
	fx_free(f);
}

/* Connections per source, given back when they close; TLS connections at a rate. */
static void
test_conns_per_source(void **state)
{
	struct tp_limits_conf c = { .max_per_source = 3, .tls_rate = 1, .tls_burst = 4,
	    .ban_ms = 2000 };
	struct fx *f = fx_new(&c, 16);
	struct sa a = ip("198.51.100.7:40000"), a2 = ip("198.51.100.7:40001");
	enum tp_drop why;
	bool counted;
	uint64_t t = 10000;
	int i;

	for (i = 0; i < 3; i++) {
		assert_true(tp_limits_accept_ok(f->lim, i ? &a2 : &a, false, t, &counted, &why));
		assert_true(counted);
	}
	/* The port does not matter: the address holds three. */
	assert_false(tp_limits_accept_ok(f->lim, &a2, false, t, &counted, &why));
	assert_int_equal(why, TP_DROP_SOURCE_CONNS);
	assert_false(counted);
	assert_false(tp_limits_banned(f->lim, &a, t));	/* a full source is not banned */
	tp_limits_conn_gone(f->lim, &a);
	assert_true(tp_limits_accept_ok(f->lim, &a, true, t, &counted, &why));
	tp_limits_conn_gone(f->lim, &a);
	tp_limits_conn_gone(f->lim, &a);
	tp_limits_conn_gone(f->lim, &a);
	/* TLS: burst 4 (one used above), then over the rate: banned. */
	for (i = 0; i < 3; i++) {
		assert_true(tp_limits_accept_ok(f->lim, &a, true, t, &counted, &why));
		tp_limits_conn_gone(f->lim, &a);
	}
	assert_false(tp_limits_accept_ok(f->lim, &a, true, t, &counted, &why));
	assert_int_equal(why, TP_DROP_TLS_RATE);
	assert_false(tp_limits_accept_ok(f->lim, &a, false, t + 1, &counted, &why));
	assert_int_equal(why, TP_DROP_BANNED);
	assert_true(tp_limits_accept_ok(f->lim, &a, true, t + 2000, &counted, &why));
	tp_limits_conn_gone(f->lim, &a);
	/* More closes than opens (a bug elsewhere) must not wrap the count. */
	tp_limits_conn_gone(f->lim, &a);
	for (i = 0; i < 3; i++)
		assert_true(tp_limits_accept_ok(f->lim, &a, false, t + 2000, &counted, &why));
	assert_false(tp_limits_accept_ok(f->lim, &a, false, t + 2000, &counted, &why));
	fx_free(f);
}

/* Exempt networks are never limited; IPv4-mapped IPv6 is the IPv4 source. */
static void
test_exempt_and_mapped(void **state)
{
	struct acl *ex = NULL;
	struct tp_limits_conf c = { .req_rate = 1, .req_burst = 1, .ban_ms = 1000,
	    .max_per_source = 1 };
	struct sa in = ip("10.1.2.3"), out = ip("203.0.113.9"), mapped = ip("[::ffff:203.0.113.9]");
	struct fx *f;
	enum tp_drop why;
	bool counted;
	int i;

	assert_int_equal(acl_parse(&ex, "10.0.0.0/8", NULL, NULL), 0);
	c.exempt = ex;
	f = fx_new(&c, 16);
	assert_false(tp_limits_applies(f->lim, &in));
	assert_true(tp_limits_applies(f->lim, &out));
	for (i = 0; i < 100; i++)
		assert_true(tp_limits_msg_ok(f->lim, &in, true, 1000, &why));
	for (i = 0; i < 10; i++) {
		assert_true(tp_limits_accept_ok(f->lim, &in, true, 1000, &counted, &why));
		assert_false(counted);
	}
	/* out and its mapped form share one bucket and one connection count */
	assert_true(tp_limits_msg_ok(f->lim, &out, true, 1000, &why));
	assert_false(tp_limits_msg_ok(f->lim, &mapped, true, 1000, &why));
	assert_true(tp_limits_banned(f->lim, &out, 1001));
	assert_true(tp_limits_accept_ok(f->lim, &mapped, false, 5000, &counted, &why));
	assert_false(tp_limits_accept_ok(f->lim, &out, false, 5000, &counted, &why));
	assert_int_equal(why, TP_DROP_SOURCE_CONNS);
	fx_free(f);
	acl_free(ex);
}

/*
 * A full table forgets the source seen longest ago, never one with a connection open
 * (its count must stay right); max_sources is raised above max_conns_in.
 */
static void
test_table_full(void **state)
{
	struct tp_limits_conf c = { .req_rate = 1, .req_burst = 1, .ban_ms = 60000,
	    .max_per_source = 1, .max_sources = 4 };
	struct fx *f = fx_new(&c, 7);	/* room for 8 */
	char buf[32];
	struct sa a[12], keep = ip("192.0.2.200");
	enum tp_drop why;
	bool counted;
	int i;

	assert_true(tp_limits_accept_ok(f->lim, &keep, false, 1, &counted, &why));
	for (i = 0; i < 12; i++) {
		snprintf(buf, sizeof(buf), "192.0.2.%d", i + 1);
		a[i] = ip(buf);
		assert_true(tp_limits_msg_ok(f->lim, &a[i], true, 10 + i, &why));
		/* each one spends its token and is banned by the second request */
		assert_false(tp_limits_msg_ok(f->lim, &a[i], true, 10 + i, &why));
	}
	tp_limits_sweep(f->lim, 100);
	assert_int_equal(metric_get(&f->m[2]), 8);
	/* The oldest were forgotten (their bans too); the newest are remembered. */
	assert_false(tp_limits_banned(f->lim, &a[0], 100));
	assert_true(tp_limits_banned(f->lim, &a[11], 100));
	/* The source with a connection open was kept all along: still full. */
	assert_false(tp_limits_accept_ok(f->lim, &keep, false, 100, &counted, &why));
	assert_int_equal(why, TP_DROP_SOURCE_CONNS);
	tp_limits_conn_gone(f->lim, &keep);
	assert_true(tp_limits_accept_ok(f->lim, &keep, false, 100, &counted, &why));
	fx_free(f);
}

static void
test_drop_names(void **state)
{
	assert_string_equal(tp_drop_name(TP_DROP_BANNED), "banned");
	assert_string_equal(tp_drop_name(TP_DROP_HEADER_TIMEOUT), "header_timeout");
	assert_string_equal(tp_drop_name(TP_DROP_NREASONS), "?");
}

/* Each allocation of tp_limits_alloc fails in turn: ENOMEM and nothing leaked. */
static void
test_oom(void **state)
{
	struct tp_limits_conf c = { .req_rate = 5 };
	struct tp_metrics tm = { 0 };
	unsigned long at;

	for (at = 0;; at++) {
		struct tp_limits *lim = NULL;
		bool fired;
		int rc;

		oom_arm(at);
		rc = tp_limits_alloc(&lim, &c, 10, &tm);
		fired = oom_disarm();
		if (!fired) {
			assert_int_equal(rc, 0);
			tp_limits_free(lim);
			break;
		}
		assert_int_equal(rc, ENOMEM);
		tp_limits_free(lim);
	}
	assert_true(at >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_rate_and_ban),
		cmocka_unit_test(test_request_rate_steady),
		cmocka_unit_test(test_conns_per_source),
		cmocka_unit_test(test_exempt_and_mapped),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
