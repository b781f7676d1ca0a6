/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/metrics: exact exposition text, validation, threads, real HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "metrics.h"
#include "lib/oom_wrap.h"

static char *
render(struct metrics *m)
{
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	assert_non_null(b);
	assert_int_equal(metrics_render(m, b), 0);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	assert_non_null(s);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

static void
collect_dyn(struct evbuffer *out, void *arg)
{
	unsigned *calls = arg;

	(*calls)++;
	metrics_write(out, "sbc_dyn", "gauge", "Dynamic series.", "k=\"a\"", 5);
	metrics_write(out, "sbc_dyn", "gauge", NULL, "k=\"b\"", 6);
}

static const char expect_text[] =
    "# HELP sbc_packets_total Packets relayed.\n"
    "# TYPE sbc_packets_total counter\n"
    "sbc_packets_total{iface=\"outside\"} 3\n"
    "sbc_packets_total{iface=\"inside\"} 0\n"
    "# HELP sbc_calls_active Calls in progress.\n"
    "# TYPE sbc_calls_active gauge\n"
    "sbc_calls_active 18446744073709551615\n"
    "# HELP sbc_escaped a\\\\b\\nc\n"
    "# TYPE sbc_escaped counter\n"
    "sbc_escaped 0\n"
    "# HELP sbc_nohelp sbc_nohelp\n"
    "# TYPE sbc_nohelp counter\n"
    "sbc_nohelp{a=\"x\\\"y\",b=\"\\\\\"} 1\n"
    "# HELP sbc_dyn Dynamic series.\n"
    "# TYPE sbc_dyn gauge\n"
    "sbc_dyn{k=\"a\"} 5\n"
    "sbc_dyn{k=\"b\"} 6\n";

static struct metrics *
build_registry(unsigned *collector_calls)
{
	struct metrics *m = NULL;
	struct metric *out, *in, *active, *esc, *nohelp;

	assert_int_equal(metrics_alloc(&m), 0);
	out = metrics_counter(m, "sbc_packets_total", "iface=\"outside\"", "Packets relayed.");
	active = metrics_gauge(m, "sbc_calls_active", NULL, "Calls in progress.");
	in = metrics_counter(m, "sbc_packets_total", "iface=\"inside\"", NULL);
	esc = metrics_counter(m, "sbc_escaped", "", "a\\b\nc");
	nohelp = metrics_counter(m, "sbc_nohelp", "a=\"x\\\"y\",b=\"\\\\\"", NULL);
	assert_non_null(out);
	assert_non_null(in);
	assert_non_null(active);
	assert_non_null(esc);
	assert_non_null(nohelp);
	assert_ptr_not_equal(out, in);
	metric_inc(out);
	metric_add(out, 2);
	metric_set(active, UINT64_MAX);
	metric_inc(nohelp);
	assert_int_equal(metrics_add_collector(m, collect_dyn, collector_calls), 0);
	return m;
}

static void
test_render_exact(void **state)
{
	unsigned calls = 0;
	struct metrics *m = build_registry(&calls);
	char *s = render(m);

	assert_string_equal(s, expect_text);
	assert_int_equal(calls, 1);
	free(s);
	metrics_free(m);
}

static void
test_register_rules(void **state)
{
	struct metrics *m = NULL;
	struct metric *a, *b;
	static const char *const bad_names[] = {
		"", "1abc", "a-b", "a b", "a{b}", "ä", NULL,
	};
	static const char *const bad_labels[] = {
		"iface=outside", "iface=\"outside", "=\"x\"", "1a=\"x\"", "__name__=\"x\"",
		"a=\"x\"}", "a=\"x\",", "a=\"\\q\"", "a=\"x\"b=\"y\"", "a=\"x\ny\"", "{a=\"x\"}",
		"a:b=\"x\"", NULL,
	};
	char longname[300];
	unsigned i;

	assert_int_equal(metrics_alloc(&m), 0);
	for (i = 0; bad_names[i] != NULL; i++)
		if (metrics_counter(m, bad_names[i], NULL, "x") != NULL)
			fail_msg("accepted name '%s'", bad_names[i]);
	assert_null(metrics_counter(m, NULL, NULL, "x"));
	for (i = 0; bad_labels[i] != NULL; i++)
		if (metrics_counter(m, "sbc_l", bad_labels[i], "x") != NULL)
			fail_msg("accepted labels '%s'", bad_labels[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_null(metrics_gauge(m, longname, NULL, NULL));

	a = metrics_counter(m, "sbc:ok_total", "x=\"1\"", "Help.");
	b = metrics_counter(m, "sbc:ok_total", "x=\"1\"", "Other help.");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	/* One family, one type. */
	assert_null(metrics_gauge(m, "sbc:ok_total", "x=\"2\"", NULL));
	assert_null(metrics_counter(NULL, "sbc_x", NULL, NULL));
	assert_int_equal(metrics_add_collector(m, NULL, NULL), EINVAL);
	assert_int_equal(metrics_alloc(NULL), EINVAL);
	metrics_free(m);
	metrics_free(NULL);
}

struct adder {
	struct metric *m;
	unsigned n;
};

static void *
adder_run(void *arg)
{
	struct adder *a = arg;
	unsigned i;

	for (i = 0; i < a->n; i++)
		metric_inc(a->m);
	return NULL;
}

static void
test_threads(void **state)
{
	struct metrics *m = NULL;
	struct adder ad;
	pthread_t t[4];
	unsigned i;

	assert_int_equal(metrics_alloc(&m), 0);
	ad.m = metrics_counter(m, "sbc_ops_total", NULL, "Ops.");
	ad.n = 200000;
	assert_non_null(ad.m);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, adder_run, &ad), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(metric_get(ad.m), 800000);
	metrics_free(m);
}

/* A blocking client in its own thread while the test thread runs the event loop. */
struct client {
	uint16_t port;
	const char *req;
	size_t reqlen;
	char resp[16384];
	size_t resplen;
	int err;
	atomic_bool done;
};

static void *
client_run(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	int fd;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(c->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		c->err = errno;
		goto out;
	}
	if (write(fd, c->req, c->reqlen) < 0) {
		c->err = errno;
		goto out;
	}
	while (c->resplen < sizeof(c->resp) - 1 &&
	    (n = read(fd, c->resp + c->resplen, sizeof(c->resp) - 1 - c->resplen)) > 0)
		c->resplen += (size_t)n;
 out:
	c->resp[c->resplen] = '\0';
	close(fd);
	atomic_store(&c->done, true);
	return NULL;
}

static void
noop(evutil_socket_t fd, short what, void *arg)
{
}

static void
http_exchange(struct event_base *base, struct client *c, uint16_t port, const char *req,
    size_t reqlen)
{
	struct timeval tv = { 0, 10000 };
	struct event *tick = event_new(base, -1, EV_PERSIST, noop, NULL);
	struct timeval t0, t1;
	pthread_t th;

	memset(c, 0, sizeof(*c));
	c->port = port;
	c->req = req;
	c->reqlen = reqlen;
	event_add(tick, &tv);
	assert_int_equal(pthread_create(&th, NULL, client_run, c), 0);
	gettimeofday(&t0, NULL);
	do {
		event_base_loop(base, EVLOOP_ONCE);
		gettimeofday(&t1, NULL);
	} while (!atomic_load(&c->done) && t1.tv_sec - t0.tv_sec < 10);
	pthread_join(th, NULL);
	event_free(tick);
	assert_int_equal(c->err, 0);
}

static void
test_http(void **state)
{
	static const char get[] = "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
	static const char other[] = "GET /other HTTP/1.0\r\n\r\n";
	static const char post[] = "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
	static const char garbage[] = "\x01\x02\xff garbage \x00\r\n\r\n";
	struct event_base *base = event_base_new();
	struct metrics *m, *m2 = NULL;
	struct client *c = calloc(1, sizeof(*c));
	unsigned calls = 0;
	char *big, *body;
	uint16_t port;
	size_t i;

	assert_non_null(base);
	assert_non_null(c);
	m = build_registry(&calls);
	assert_int_equal(metrics_listen(m, base, "nonsense"), EINVAL);
	assert_int_equal(metrics_listen(m, base, "127.0.0.1:0"), 0);
	assert_int_equal(metrics_listen(m, base, "127.0.0.1:0"), EINVAL);   /* once only */
	port = metrics_port(m);
	assert_true(port != 0);

	http_exchange(base, c, port, get, sizeof(get) - 1);
	assert_non_null(strstr(c->resp, "HTTP/1.0 200 OK\r\n"));
	assert_non_null(strstr(c->resp,
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	body = strstr(c->resp, "\r\n\r\n");
	assert_non_null(body);
	assert_string_equal(body + 4, expect_text);

	http_exchange(base, c, port, other, sizeof(other) - 1);
	assert_non_null(strstr(c->resp, " 404 "));
	assert_null(strstr(c->resp, "sbc_packets_total"));

	http_exchange(base, c, port, post, sizeof(post) - 1);
	assert_non_null(strstr(c->resp, " 405 "));

	/* Garbage and oversized headers: an error or a close, and the server lives on. */
	http_exchange(base, c, port, garbage, sizeof(garbage) - 1);
	assert_null(strstr(c->resp, " 200 "));
	big = malloc(20000);
	assert_non_null(big);
	memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
	for (i = 26; i < 19996; i++)
		big[i] = 'a';
	memcpy(big + 19996, "\r\n\r\n", 4);
	http_exchange(base, c, port, big, 20000);
	assert_null(strstr(c->resp, " 200 "));
	free(big);

	http_exchange(base, c, port, get, sizeof(get) - 1);
	assert_non_null(strstr(c->resp, " 200 OK"));
	assert_int_equal(calls, 2);   /* the collector ran once per successful GET */
	assert_int_equal(metrics_port(NULL), 0);

	{
		static const char head[] = "HEAD /metrics HTTP/1.0\r\n\r\n";

		http_exchange(base, c, port, head, sizeof(head) - 1);
		assert_non_null(strstr(c->resp, " 200 OK"));
		body = strstr(c->resp, "\r\n\r\n");
		assert_non_null(body);
		assert_string_equal(body + 4, "");
	}

	/* The same port twice: the bind error comes back. */
	assert_int_equal(metrics_alloc(&m2), 0);
	{
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
		assert_int_not_equal(metrics_listen(m2, base, addr), 0);
	}
	metrics_free(m2);
	metrics_free(m);
	event_base_free(base);
	free(c);
}

/* A daemon's counters in miniature, registered from one table. */
struct demo_counters {
	struct metric *cmd[2];
	struct metric *errors;
	struct metric *active;
	struct metric *dropped_a, *dropped_b;
};

#define DC(field) offsetof(struct demo_counters, field)

static const struct metrics_def demo_defs[] = {
	{ "sbc_cmd_total", METRICS_COUNTER, "command=\"ping\"", "Commands run.", DC(cmd[0]) },
	{ "sbc_cmd_total", METRICS_COUNTER, "command=\"offer\"", "Commands run.", DC(cmd[1]) },
	{ "sbc_errors_total", METRICS_COUNTER, NULL, "Errors.", DC(errors) },
	{ "sbc_active", METRICS_GAUGE, NULL, "Held now.", DC(active) },
	{ "sbc_dropped_total", METRICS_COUNTER, "reason=\"a\"", "Dropped.", DC(dropped_a) },
	{ "sbc_dropped_total", METRICS_COUNTER, "reason=\"b\"", NULL, DC(dropped_b) },
	{ NULL, 0, NULL, NULL, 0 },
};

static void
test_register_table(void **state)
{
	static const struct metrics_def bad_name[] = {
		{ "sbc bad", METRICS_COUNTER, NULL, NULL, 0 }, { NULL, 0, NULL, NULL, 0 },
	};
	static const struct metrics_def bad_labels[] = {
		{ "sbc_ok", METRICS_COUNTER, "x=1", NULL, 0 }, { NULL, 0, NULL, NULL, 0 },
	};
	static const struct metrics_def clash[] = {
		{ "sbc_active", METRICS_COUNTER, "x=\"1\"", NULL, 0 }, { NULL, 0, NULL, NULL, 0 },
	};
	struct demo_counters dc, again;
	struct metrics *m = NULL;
	struct metric *slot = NULL;
	char *text;

	assert_int_equal(metrics_alloc(&m), 0);
	memset(&dc, 0, sizeof(dc));
	assert_int_equal(metrics_register_table(m, demo_defs, &dc), 0);
	metric_inc(dc.cmd[1]);
	metric_add(dc.errors, 2);
	metric_set(dc.active, 7);
	metric_inc(dc.dropped_b);
	text = render(m);
	assert_string_equal(text,
	    "# HELP sbc_cmd_total Commands run.\n"
	    "# TYPE sbc_cmd_total counter\n"
	    "sbc_cmd_total{command=\"ping\"} 0\n"
	    "sbc_cmd_total{command=\"offer\"} 1\n"
	    "# HELP sbc_errors_total Errors.\n"
	    "# TYPE sbc_errors_total counter\n"
	    "sbc_errors_total 2\n"
	    "# HELP sbc_active Held now.\n"
	    "# TYPE sbc_active gauge\n"
	    "sbc_active 7\n"
	    "# HELP sbc_dropped_total Dropped.\n"
	    "# TYPE sbc_dropped_total counter\n"
	    "sbc_dropped_total{reason=\"a\"} 0\n"
	    "sbc_dropped_total{reason=\"b\"} 1\n");
	free(text);
	/* The same rows again give the same series, as metrics_counter() does. */
	memset(&again, 0, sizeof(again));
	assert_int_equal(metrics_register_table(m, demo_defs, &again), 0);
	assert_memory_equal(&again, &dc, sizeof(dc));
	/* A bad row is a programming error, told apart from ENOMEM. */
	assert_int_equal(metrics_register_table(m, bad_name, &slot), EINVAL);
	assert_int_equal(metrics_register_table(m, bad_labels, &slot), EINVAL);
	assert_int_equal(metrics_register_table(m, clash, &slot), EINVAL);
	assert_null(slot);
	assert_int_equal(metrics_register_table(NULL, demo_defs, &dc), EINVAL);
	assert_int_equal(metrics_register_table(m, NULL, &dc), EINVAL);
	metrics_free(m);
}

/* Milliseconds observed in microseconds, exposed in seconds. */
static const struct metrics_buckets ms_buckets = {
	1e-6, 4, { 1000, 10000, 100000, 2500000 },
};

struct hist_demo {
	struct metrics_hist *setup;
	struct metrics_hist *rtt;
	unsigned calls;
};

static uint64_t
read_calls(const void *base)
{
	const struct hist_demo *d = base;

	return d->calls;
}

static const struct metrics_hist_def hist_defs[] = {
	{ "sbc_setup_seconds", NULL, "Setup time.", offsetof(struct hist_demo, setup),
	  &ms_buckets },
	{ "sbc_rtt_seconds", "peer=\"a\"", "Round trip.", offsetof(struct hist_demo, rtt),
	  &ms_buckets },
	{ NULL, NULL, NULL, 0, NULL },
};

static const struct metrics_read_def read_defs[] = {
	{ "sbc_calls_active", NULL, "Calls now.", read_calls },
	{ NULL, NULL, NULL, NULL },
};

/* Prometheus text of a histogram: cumulative buckets, le in seconds, +Inf = _count. */
static void
test_histogram(void **state)
{
	static const struct metrics_buckets bad[] = {
		{ 1e-6, 0, { 0 } },                     /* no bucket */
		{ 1e-6, 2, { 10, 10 } },                /* not ascending */
		{ 0, 1, { 10 } },                       /* no scale */
		{ 1e-6, METRICS_HIST_MAX_BUCKETS + 1, { 1 } },
	};
	static const struct metrics_hist_def bad_hist[][2] = {
		{ { "sbc_h", NULL, NULL, 0, NULL }, { NULL, NULL, NULL, 0, NULL } },
		{ { "sbc_h", NULL, NULL, 0, &bad[1] }, { NULL, NULL, NULL, 0, NULL } },
		{ { "sbc calls", NULL, NULL, 0, &ms_buckets }, { NULL, NULL, NULL, 0, NULL } },
		{ { "sbc_calls_active", NULL, NULL, 0, &ms_buckets }, { NULL, NULL, NULL, 0, NULL } },
	};
	static const struct metrics_read_def bad_read[][2] = {
		{ { "sbc_r", NULL, NULL, NULL }, { NULL, NULL, NULL, NULL } },
		{ { "sbc_setup_seconds", NULL, NULL, read_calls }, { NULL, NULL, NULL, NULL } },
		{ { "sbc_r", "x=1", NULL, read_calls }, { NULL, NULL, NULL, NULL } },
	};
	struct hist_demo d, slot;
	struct metrics *m = NULL;
	unsigned i;
	char *text;

	assert_int_equal(metrics_alloc(&m), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(metrics_register_hist_table(m, hist_defs, &d), 0);
	assert_int_equal(metrics_register_read_table(m, read_defs, &d), 0);
	assert_non_null(d.setup);
	assert_non_null(d.rtt);
	/* On a bound counts in that bucket; one above goes to the next. */
	metrics_hist_observe(d.setup, 0);
	metrics_hist_observe(d.setup, 1000);
	metrics_hist_observe(d.setup, 1001);
	metrics_hist_observe(d.setup, 2500000);
	metrics_hist_observe(d.setup, 9000000);
	metrics_hist_observe(NULL, 5);
	d.calls = 3;
	text = render(m);
	assert_string_equal(text,
	    "# HELP sbc_setup_seconds Setup time.\n"
	    "# TYPE sbc_setup_seconds histogram\n"
	    "sbc_setup_seconds_bucket{le=\"0.001\"} 2\n"
	    "sbc_setup_seconds_bucket{le=\"0.01\"} 3\n"
	    "sbc_setup_seconds_bucket{le=\"0.1\"} 3\n"
	    "sbc_setup_seconds_bucket{le=\"2.5\"} 4\n"
	    "sbc_setup_seconds_bucket{le=\"+Inf\"} 5\n"
	    "sbc_setup_seconds_sum 11.502001\n"
	    "sbc_setup_seconds_count 5\n"
	    "# HELP sbc_rtt_seconds Round trip.\n"
	    "# TYPE sbc_rtt_seconds histogram\n"
	    "sbc_rtt_seconds_bucket{peer=\"a\",le=\"0.001\"} 0\n"
	    "sbc_rtt_seconds_bucket{peer=\"a\",le=\"0.01\"} 0\n"
	    "sbc_rtt_seconds_bucket{peer=\"a\",le=\"0.1\"} 0\n"
	    "sbc_rtt_seconds_bucket{peer=\"a\",le=\"2.5\"} 0\n"
	    "sbc_rtt_seconds_bucket{peer=\"a\",le=\"+Inf\"} 0\n"
	    "sbc_rtt_seconds_sum{peer=\"a\"} 0\n"
	    "sbc_rtt_seconds_count{peer=\"a\"} 0\n"
	    "# HELP sbc_calls_active Calls now.\n"
	    "# TYPE sbc_calls_active gauge\n"
	    "sbc_calls_active 3\n");
	free(text);
	/* A read gauge follows its source at every scrape, nothing to set. */
	d.calls = 0;
	text = render(m);
	assert_non_null(strstr(text, "\nsbc_calls_active 0\n"));
	free(text);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(metrics_histogram(m, "sbc_bad_seconds", NULL, "x", &bad[i]));
	/* Same name and labels: the same histogram. */
	assert_ptr_equal(metrics_histogram(m, "sbc_setup_seconds", NULL, NULL, &ms_buckets),
	    d.setup);
	assert_null(metrics_counter(m, "sbc_setup_seconds", NULL, "x"));
	memset(&slot, 0, sizeof(slot));
	for (i = 0; i < sizeof(bad_hist) / sizeof(bad_hist[0]); i++)
		assert_int_equal(metrics_register_hist_table(m, bad_hist[i], &slot), EINVAL);
	for (i = 0; i < sizeof(bad_read) / sizeof(bad_read[0]); i++)
		assert_int_equal(metrics_register_read_table(m, bad_read[i], &slot), EINVAL);
	assert_null(slot.setup);
	metrics_free(m);
}

struct hist_thread_arg {
	struct metrics_hist *h;
	unsigned n;
};

static void *
hist_thread(void *arg)
{
	struct hist_thread_arg *a = arg;
	unsigned i;

	for (i = 0; i < a->n; i++)
		metrics_hist_observe(a->h, i % 3000000);
	return NULL;
}

/* Observations from several threads at once are all counted, sum included. */
static void
test_histogram_threads(void **state)
{
	struct hist_thread_arg a;
	struct metrics *m = NULL;
	pthread_t t[4];
	char *text, want[128];
	uint64_t sum = 0;
	unsigned i;

	assert_int_equal(metrics_alloc(&m), 0);
	a.h = metrics_histogram(m, "sbc_t_seconds", NULL, "t", &ms_buckets);
	a.n = 100000;
	assert_non_null(a.h);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hist_thread, &a), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < a.n; i++)
		sum += 4 * (uint64_t)(i % 3000000);
	text = render(m);
	assert_non_null(strstr(text, "sbc_t_seconds_bucket{le=\"+Inf\"} 400000\n"));
	assert_non_null(strstr(text, "sbc_t_seconds_count 400000\n"));
	/* 4 threads x 1001 values in 0..1000 */
	assert_non_null(strstr(text, "sbc_t_seconds_bucket{le=\"0.001\"} 4004\n"));
	snprintf(want, sizeof(want), "sbc_t_seconds_sum %.9g\n", (double)sum * 1e-6);
	assert_non_null(strstr(text, want));
	free(text);
	metrics_free(m);
}

static void
collect_none(struct evbuffer *out, void *arg)
{
}

/* Each allocation in metrics.c fails in turn: NULL/ENOMEM, no crash, no leak (ASan). */
static void
test_oom(void **state)
{
	unsigned long at;
	unsigned failures = 0;

	for (at = 0; at < 1000; at++) {
		struct metrics *m = NULL;
		unsigned i, got = 0;
		char name[32];
		bool fired;
		int rc;

		oom_arm(at);
		rc = metrics_alloc(&m);
		if (rc == 0) {
			for (i = 0; i < 40; i++) {
				snprintf(name, sizeof(name), "sbc_m%u_total", i % 7);
				got += metrics_counter(m, name, i % 2 ? "a=\"1\"" : NULL, "h") != NULL;
			}
			rc = metrics_add_collector(m, collect_none, NULL);
		}
		if (rc == 0) {
			struct demo_counters dc;

			rc = metrics_register_table(m, demo_defs, &dc);
			if (rc != 0)
				assert_int_equal(rc, ENOMEM);
		}
		if (rc == 0) {
			struct hist_demo hd;

			rc = metrics_register_hist_table(m, hist_defs, &hd);
			if (rc == 0)
				rc = metrics_register_read_table(m, read_defs, &hd);
			if (rc != 0)
				assert_int_equal(rc, ENOMEM);
		}
		fired = oom_disarm();
		if (m != NULL)
			metrics_free(m);
		if (!fired) {
			assert_int_equal(rc, 0);
			assert_int_equal(got, 40);
			break;
		}
		failures++;
	}
	assert_true(at < 1000);
	assert_true(failures > 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_register_rules),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_register_table),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_threads),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
