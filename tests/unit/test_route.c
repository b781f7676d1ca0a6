/* SPDX-License-Identifier: BSD-2-Clause */
/* Routing rules: matching, captures and rewrite, listener filter, targets, config loading, errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "route.h"

static struct route_table *
table_of(const struct route_rule_spec *specs, unsigned n)
{
	struct route_table *t = NULL;
	char why[256];
	unsigned i;

	assert_int_equal(route_table_new(&t), 0);
	for (i = 0; i < n; i++)
		if (route_table_add(t, &specs[i], why, sizeof(why)) != 0)
			fail_msg("rule %u: %s", i, why);
	return t;
}

static const char *const ivr_targets[] = { "sip:10.0.0.5:5080", "sip:10.0.0.6;transport=tcp" };
static const char *const any_target[] = { "sip:10.0.0.9" };
static const char *const tel_target[] = { "tel:1" };
static const char *const name_target[] = { "sip:pbx.example.com" };
static const char *const udp_peer_target[] = { "sip:10.0.0.1;tls_peer=a" };

static void
test_match_rewrite_order(void **state)
{
	const struct route_rule_spec specs[] = {
		{ .name = "ivr", .match = "^80110(\\d\\d)$", .rewrite = "ivr-$1",
		  .targets = ivr_targets, .ntargets = 2 },
		{ .name = "swap", .match = "^(\\d{3})-(\\d{4})$", .rewrite = "$2$$$1:$0",
		  .targets = any_target, .ntargets = 1 },
		{ .name = "catchall", .match = ".*", .targets = any_target, .ntargets = 1 },
	};
	struct route_table *t = table_of(specs, 3);
	const struct route_rule *r = NULL;
	char user[ROUTE_USER_MAX];

	assert_int_equal(route_table_count(t), 3);
	assert_int_equal(route_match(t, "8011042", 7, NULL, &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "ivr");
	assert_string_equal(user, "ivr-42");
	assert_int_equal(r->ntargets, 2);
	assert_string_equal(r->targets[0].host, "10.0.0.5");
	assert_int_equal(r->targets[0].port, 5080);
	assert_int_equal(r->targets[0].transport, TP_UDP);
	assert_string_equal(r->targets[1].host, "10.0.0.6");
	assert_int_equal(r->targets[1].port, 5060);
	assert_int_equal(r->targets[1].transport, TP_TCP);
	assert_int_equal(r->timeout_ms, ROUTE_TIMEOUT_DEFAULT_MS);
	/* Anchored pattern: one digit too many falls through to the catch-all, user unchanged. */
	assert_int_equal(route_match(t, "80110421", 8, NULL, &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "catchall");
	assert_string_equal(user, "80110421");
	/* $0, $$ and two groups. */
	assert_int_equal(route_match(t, "555-1234", 8, NULL, &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "swap");
	assert_string_equal(user, "1234$555:555-1234");
	/* Only the given length is matched: a NUL inside the user part is data. */
	assert_int_equal(route_match(t, "8011042\0" "9", 9, NULL, &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "catchall");
	/* Output too small: ENOSPC, and the caller's buffer and rule pointer are left alone. */
	strcpy(user, "keep");
	r = NULL;
	assert_int_equal(route_match(t, "8011042", 7, NULL, &r, user, 6), ENOSPC);
	assert_string_equal(user, "keep");
	assert_null(r);
	assert_int_equal(route_match(t, "8011042", 7, NULL, &r, user, 7), 0);
	assert_int_equal(route_match(t, "80110421", 8, NULL, &r, user, 8), ENOSPC);
	route_table_free(t);
}

static void
test_no_match_and_listener(void **state)
{
	const struct route_rule_spec specs[] = {
		{ .name = "outside-only", .match = "^1", .listener = "outside",
		  .targets = any_target, .ntargets = 1 },
		{ .name = "inside", .match = "^1", .listener = "inside",
		  .targets = ivr_targets, .ntargets = 2 },
	};
	struct route_table *t = table_of(specs, 2);
	const struct route_rule *r = NULL;
	char user[64];

	assert_int_equal(route_match(t, "123", 3, "outside", &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "outside-only");
	assert_int_equal(route_match(t, "123", 3, "inside", &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "inside");
	r = NULL;
	assert_int_equal(route_match(t, "123", 3, "other", &r, user, sizeof(user)), ENOENT);
	assert_int_equal(route_match(t, "123", 3, NULL, &r, user, sizeof(user)), ENOENT);
	assert_int_equal(route_match(t, "999", 3, "outside", &r, user, sizeof(user)), ENOENT);
	assert_null(r);
	assert_null(route_table_rule(t, 2));
	route_table_free(t);
}

static void
test_backtracking_bounded(void **state)
{
	const struct route_rule_spec specs[] = {
		{ .name = "evil", .match = "^(a+)+$", .targets = any_target, .ntargets = 1 },
		{ .name = "next", .match = "b$", .targets = any_target, .ntargets = 1 },
	};
	struct route_table *t = table_of(specs, 2);
	const struct route_rule *r = NULL;
	char user[64];
	static const char subject[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";

	/* Exponential backtracking hits the match limit: no match for that rule, next one wins. */
	assert_int_equal(route_match(t, subject, strlen(subject), NULL, &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "next");
	route_table_free(t);
}

static void
test_targets(void **state)
{
	static const struct {
		const char *uri;
		const char *host;
		uint16_t port;
		enum tp_proto tp;
	} good[] = {
		{ "sip:10.0.0.1", "10.0.0.1", 5060, TP_UDP },
		{ "SIP:ivr.example.com:5070;transport=TCP", "ivr.example.com", 5070, TP_TCP },
		{ "sips:ivr.example.com", "ivr.example.com", 5061, TP_TLS },
		{ "sip:h;transport=tls", "h", 5061, TP_TLS },
		{ "sip:[2001:db8::5]:5062;transport=tls;lr", "2001:db8::5", 5062, TP_TLS },
		{ "sip:[::1]", "::1", 5060, TP_UDP },
		{ "sip:someone@10.0.0.2:5090", "10.0.0.2", 5090, TP_UDP },
		{ "sip:10.0.0.3;transport=tls;tls_peer=carrier-a", "10.0.0.3", 5061, TP_TLS },
	};
	static const char *const bad[] = {
		"", "sip:", "http://x", "sip:h:0", "sip:h:70000", "sip:h:", "sip:h:12x",
		"sip:h;transport=sctp", "sips:h;transport=udp", "sip:[::1", "sip:[]", "sip:h x",
		"sip:h;;lr", "sip:[zz::1]", "sip:h/path", "sip:h;transport=",
		"sips:h;tls_peer=", "sips:h;tls_peer=" "0123456789012345678901234567890123456789"
		"012345678901234567890123",
	};
	struct route_target t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (route_target_parse(good[i].uri, &t) != 0)
			fail_msg("refused %s", good[i].uri);
		assert_string_equal(t.uri, good[i].uri);
		assert_string_equal(t.host, good[i].host);
		assert_int_equal(t.port, good[i].port);
		assert_int_equal(t.transport, good[i].tp);
		assert_string_equal(t.tls_peer, strstr(good[i].uri, "tls_peer") ? "carrier-a" : "");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (route_target_parse(bad[i], &t) != EINVAL)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(route_target_parse(NULL, &t), EINVAL);
}

static void
test_failover_codes(void **state)
{
	const struct route_rule_spec specs[] = {
		{ .name = "d", .match = "x", .targets = any_target, .ntargets = 1 },
		{ .name = "c", .match = "x", .targets = any_target, .ntargets = 1,
		  .failover_on = "486, 6xx,404", .timeout_ms = 1500 },
	};
	struct route_table *t = table_of(specs, 2);
	const struct route_rule *d = route_table_rule(t, 0), *c = route_table_rule(t, 1);

	assert_true(route_failover_on(d, 500));
	assert_true(route_failover_on(d, 503));
	assert_true(route_failover_on(d, 599));
	assert_true(route_failover_on(d, 408));
	assert_false(route_failover_on(d, 486));
	assert_false(route_failover_on(d, 404));
	assert_false(route_failover_on(d, 600));
	assert_false(route_failover_on(d, 99));
	assert_false(route_failover_on(d, 700));
	assert_true(route_failover_on(c, 486));
	assert_true(route_failover_on(c, 404));
	assert_true(route_failover_on(c, 603));
	assert_false(route_failover_on(c, 503));
	assert_int_equal(c->timeout_ms, 1500);
	route_table_free(t);
}

static void
test_add_errors(void **state)
{
	static const struct {
		struct route_rule_spec spec;
		const char *msg;
	} t[] = {
		{ { .name = "r", .match = "^(80", .targets = any_target, .ntargets = 1 },
		  "match: missing closing parenthesis at offset 4" },
		{ { .name = "r", .match = "a{2,1}", .targets = any_target, .ntargets = 1 },
		  "match: numbers out of order in {} quantifier at offset 5" },
		{ { .name = "r", .match = NULL, .targets = any_target, .ntargets = 1 },
		  "match: missing pattern" },
		{ { .name = "r", .match = "^(1)", .rewrite = "x$2", .targets = any_target, .ntargets = 1 },
		  "rewrite: refers to a capture group the pattern does not have" },
		{ { .name = "r", .match = "^1", .rewrite = "x$", .targets = any_target, .ntargets = 1 },
		  "rewrite: '$' must be followed by a digit or '$'" },
		{ { .name = "r", .match = "^1", .targets = any_target, .ntargets = 0 },
		  "target: 0 targets, need 1 to 16" },
		{ { .name = "r", .match = "^1", .targets = tel_target, .ntargets = 1 },
		  "target: cannot parse \"tel:1\" (want sip:host[:port][;transport=udp|tcp|tls])" },
		{ { .name = "r", .match = "^1", .targets = name_target, .ntargets = 1 },
		  "target: \"sip:pbx.example.com\" names host \"pbx.example.com\": only numeric "
		  "addresses work (no DNS)" },
		{ { .name = "r", .match = "^1", .targets = udp_peer_target, .ntargets = 1 },
		  "target: \"sip:10.0.0.1;tls_peer=a\": tls_peer only on a TLS target (sips: or "
		  ";transport=tls)" },
		{ { .name = "r", .match = "^1", .targets = any_target, .ntargets = 1, .failover_on = "5xy" },
		  "failover_on: want a list like \"5xx,408\"" },
		{ { .name = "r", .match = "^1", .targets = any_target, .ntargets = 1, .failover_on = "" },
		  NULL },
		{ { .name = "r", .match = "^1", .targets = any_target, .ntargets = 1, .timeout_ms = 10 },
		  "timeout_ms: 10 out of 50..120000" },
		{ { .name = "", .match = "^1", .targets = any_target, .ntargets = 1 },
		  "route name empty or too long" },
	};
	struct route_table *tab = NULL;
	char why[256];
	size_t i;

	assert_int_equal(route_table_new(&tab), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = route_table_add(tab, &t[i].spec, why, sizeof(why));

		if (t[i].msg == NULL) {
			assert_int_equal(rc, 0);	/* empty failover list: never fail over */
			continue;
		}
		if (rc != EINVAL || strcmp(why, t[i].msg) != 0)
			fail_msg("case %zu: rc=%d why=\"%s\"", i, rc, why);
	}
	assert_int_equal(route_table_count(tab), 1);
	assert_false(route_failover_on(route_table_rule(tab, 0), 503));
	route_table_free(tab);
}

static void
test_load_config(void **state)
{
	static const char text[] =
	    "[global]\n"
	    "x = 1\n"
	    "[route ivr]\n"
	    "match = ^80110(\\d\\d)$\n"
	    "listener = outside\n"
	    "rewrite = ivr-$1\n"
	    "target = sip:10.0.0.5:5080\n"
	    "target = sip:10.0.0.6:5080;transport=tcp\n"
	    "timeout_ms = 2000\n"
	    "failover_on = 5xx,408,486\n"
	    "[route default]\n"
	    "match = .\n"
	    "target = sips:192.0.2.7\n";
	struct conf *c = NULL;
	struct conf_error err;
	struct route_table *t = NULL;
	const struct route_rule *r;
	char user[64];

	assert_int_equal(conf_load_string(&c, "routes.conf", text, &err), 0);
	assert_int_equal(route_table_load(&t, c, &err), 0);
	assert_int_equal(route_table_count(t), 2);
	r = route_table_rule(t, 0);
	assert_string_equal(r->name, "ivr");
	assert_string_equal(r->listener, "outside");
	assert_int_equal(r->ntargets, 2);
	assert_int_equal(r->targets[1].transport, TP_TCP);
	assert_int_equal(r->timeout_ms, 2000);
	assert_true(route_failover_on(r, 486));
	r = route_table_rule(t, 1);
	assert_string_equal(r->name, "default");
	assert_string_equal(r->listener, "");
	assert_int_equal(r->targets[0].transport, TP_TLS);
	assert_int_equal(r->targets[0].port, 5061);
	assert_int_equal(route_match(t, "8011007", 7, "outside", &r, user, sizeof(user)), 0);
	assert_string_equal(user, "ivr-07");
	assert_int_equal(route_match(t, "8011007", 7, "inside", &r, user, sizeof(user)), 0);
	assert_string_equal(r->name, "default");
	route_table_free(t);
	conf_free(c);

	/* No routes at all: an empty table, every request gets 404. */
	assert_int_equal(conf_load_string(&c, "empty.conf", "[global]\nx = 1\n", &err), 0);
	assert_int_equal(route_table_load(&t, c, &err), 0);
	assert_int_equal(route_table_count(t), 0);
	assert_int_equal(route_match(t, "1", 1, NULL, &r, user, sizeof(user)), ENOENT);
	route_table_free(t);
	conf_free(c);
}

static void
expect_load_error(const char *text, unsigned line, const char *key, const char *msg)
{
	struct conf *c = NULL;
	struct conf_error err;
	struct route_table *t = NULL;
	char buf[512];

	assert_int_equal(conf_load_string(&c, "routes.conf", text, &err), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(route_table_load(&t, c, &err), EINVAL);
	conf_error_str(&err, buf, sizeof(buf));
	if (err.line != line || strcmp(err.key, key) != 0 || strstr(err.msg, msg) == NULL)
		fail_msg("got \"%s\" (line %u key %s)", buf, err.line, err.key);
	assert_string_equal(err.file, "routes.conf");
	assert_non_null(strstr(buf, "routes.conf"));
	assert_non_null(strstr(buf, msg));
	conf_free(c);
}

static void
test_load_errors(void **state)
{
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\n"
	    "[route bad]\ntarget = sip:192.0.2.1\nmatch = ^80110(\\d\\d$\n",
	    6, "match", "missing closing parenthesis at offset 12");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\ntarget = ftp:x\n",
	    4, "target", "cannot parse \"ftp:x\"");
	expect_load_error("[route a]\ntarget = sip:192.0.2.1\n", 0, "match", "missing");
	expect_load_error("[route a]\nmatch = ^1\n", 0, "target", "0 targets");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\ntimeout_ms = 5\n",
	    4, "timeout_ms", "");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\nfailover_on = 9xx\n",
	    4, "failover_on", "want a list");
	expect_load_error("[route a]\nmatch = (a)\nrewrite = $3\ntarget = sip:192.0.2.1\n",
	    3, "rewrite", "capture group");
	/* Targets are sent to as written: a host name would fail at the first call. The
	 * error names the line of that target, not the last one. */
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\n"
	    "target = sip:ivr.example.com;transport=tcp\ntarget = sip:[2001:db8::1]:5080\n",
	    4, "target", "names host \"ivr.example.com\": only numeric addresses work");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sips:h\n",
	    3, "target", "names host \"h\"");
}

/* The INVITE timers and the probe keys of a route: defaults, values, bounds, typos. */
static void
test_timer_and_probe_keys(void **state)
{
	static const char text[] =
	    "[route seed]\n"
	    "match = ^8\n"
	    "target = sip:10.0.0.5\n"
	    "answer_timeout_ms = 3000\n"
	    "timer_c_ms = 2000\n"
	    "probe = no\n"
	    "probe_up_on = any\n"
	    "[route plain]\n"
	    "match = .\n"
	    "target = sip:10.0.0.6\n";
	static const struct route_rule_spec spec = { .name = "r", .match = "^1",
	    .targets = any_target, .ntargets = 1 };
	struct route_rule_spec bad = spec;
	struct conf *c = NULL;
	struct conf_error err;
	struct route_table *t = NULL;
	const struct route_rule *r;
	char why[256];

	assert_int_equal(conf_load_string(&c, "routes.conf", text, &err), 0);
	assert_int_equal(route_table_load(&t, c, &err), 0);
	r = route_table_rule(t, 0);
	assert_int_equal(r->timeout_ms, ROUTE_TIMEOUT_DEFAULT_MS);
	assert_int_equal(r->answer_timeout_ms, 3000);
	assert_int_equal(r->timer_c_ms, 2000);
	assert_int_equal(r->probe, ROUTE_PROBE_NO);
	assert_int_equal(r->probe_up_on, ROUTE_UP_ON_ANY);
	/* absent: 30 s to answer (not FreeSWITCH's 3 s: a default must not cut ringing
	 * calls), RFC 3261's 3 min Timer C, and [health] decides about probes */
	r = route_table_rule(t, 1);
	assert_int_equal(r->answer_timeout_ms, ROUTE_ANSWER_TIMEOUT_DEFAULT_MS);
	assert_int_equal(r->answer_timeout_ms, 30000);
	assert_int_equal(r->timer_c_ms, 180000);
	assert_int_equal(r->probe, ROUTE_PROBE_INHERIT);
	assert_int_equal(r->probe_up_on, ROUTE_UP_ON_INHERIT);
	route_table_free(t);
	conf_free(c);

	/* the same defaults for rules built without a file */
	assert_int_equal(route_table_new(&t), 0);
	assert_int_equal(route_table_add(t, &spec, why, sizeof(why)), 0);
	assert_int_equal(route_table_rule(t, 0)->answer_timeout_ms, 30000);
	assert_int_equal(route_table_rule(t, 0)->timer_c_ms, 180000);
	bad.answer_timeout_ms = 99;
	assert_int_equal(route_table_add(t, &bad, why, sizeof(why)), EINVAL);
	assert_string_equal(why, "answer_timeout_ms: 99 out of 100..3600000");
	bad = spec;
	bad.timer_c_ms = 3600001;
	assert_int_equal(route_table_add(t, &bad, why, sizeof(why)), EINVAL);
	assert_string_equal(why, "timer_c_ms: 3600001 out of 1000..3600000");
	route_table_free(t);

	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\nanswer_timeout_ms = 0\n",
	    4, "answer_timeout_ms", "");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\ntimer_c_ms = 999\n",
	    4, "timer_c_ms", "");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\nanswer_timeout_ms = 3s\n",
	    4, "answer_timeout_ms", "");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\nprobe_up_on = 2xx\n",
	    4, "probe_up_on", "");
	expect_load_error("[route a]\nmatch = ^1\ntarget = sip:192.0.2.1\nprobe = sometimes\n",
	    4, "probe", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_rewrite_order),
		cmocka_unit_test(test_no_match_and_listener),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_backtracking_bounded),
		cmocka_unit_test(test_failover_codes),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_load_config),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_timer_and_probe_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
