/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * common/redis against a real redis-server, for what an outage must not lose: an idle
 * connection to a frozen server is dropped by the keepalive within keepalive + deadline,
 * and the backlog keeps writes made while the server is away or lost in flight, caps
 * them (counted drops), and replays them in order once the server is back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lib/proc.h"
#include "lib/redis_cases.h"
#include "lib/redis_server.h"
#include "redis.h"
#include "redis_backlog.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		err = 1; \
		goto out; \
	} \
} while (0)

static struct event_base *base;
static struct redis_server srv;
static enum redis_state last = REDIS_STATE_CONNECTING;
static unsigned long long last_change_ms;
static struct redis_backlog *replay_on_connect;   /* the owner's reflex, as the daemons do */
static struct redis_conn *cur;   /* the connection of the running case */

/* The first state change comes from the loop, never from inside redis_conn_alloc. */
static void
on_state(enum redis_state s, const char *reason, void *arg)
{
	last = s;
	last_change_ms = proc_now_ms();
	if (s == REDIS_STATE_CONNECTED && replay_on_connect != NULL && cur != NULL)
		redis_backlog_replay(replay_on_connect, cur);
}

/* Runs the loop for up to ms until pred() holds; returns whether it did. */
static bool
loop_until(bool (*pred)(void), unsigned ms)
{
	unsigned long long end = proc_now_ms() + ms;
	struct timeval tv = { 0, 5000 };

	while (!pred() && proc_now_ms() < end) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return pred();
}

static bool is_connected(void) { return last == REDIS_STATE_CONNECTED; }
static bool is_down(void) { return last == REDIS_STATE_DISCONNECTED; }
static struct redis_backlog *watched;
static bool
drained(void)
{
	struct redis_backlog_stats st;

	redis_backlog_stats(watched, &st);
	return st.pending == 0;
}

static void
opts_init(struct redis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = srv.port;
	o->cmd_timeout_ms = 250;
	o->keepalive_ms = 100;
	o->backoff_min_ms = 50;
	o->backoff_max_ms = 200;
}

static int
backlog_set(struct redis_backlog *b, struct redis_conn *r, const char *key)
{
	const char *argv[3] = { "SET", key, "v" };
	size_t len[3] = { 3, strlen(key), 1 };

	return redis_backlog_send(b, r, 3, argv, len);
}

/* No command in flight: only the keepalive can see that the server froze. */
static int
test_keepalive(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	unsigned long long t0;
	int err = 0;

	opts_init(&o);
	CHECK(redis_conn_alloc(&r, base, &o, on_state, NULL) == 0);
	CHECK(loop_until(is_connected, 3000));
	CHECK(redis_server_pause(&srv) == 0);
	t0 = proc_now_ms();
	CHECK(loop_until(is_down, 2000));
	fprintf(stderr, "idle connection to a frozen server dropped after %llu ms\n",
	    last_change_ms - t0);
	CHECK(last_change_ms - t0 <= o.keepalive_ms + o.cmd_timeout_ms + 100);
	CHECK(redis_server_resume(&srv) == 0);
	CHECK(loop_until(is_connected, 3000));
 out:
	redis_server_resume(&srv);
	redis_conn_free(r);
	last = REDIS_STATE_CONNECTING;
	return err;
}

/* Server gone: writes are kept up to the cap, the rest dropped and counted, then replayed. */
static int
test_backlog_outage(void)
{
	struct redis_conn *r = NULL;
	struct redis_backlog *b = NULL;
	struct redis_backlog_stats st;
	struct redis_opts o;
	char buf[64];
	int err = 0;

	opts_init(&o);
	CHECK(redis_backlog_alloc(&b, base, 3, 100) == 0);
	watched = b;
	CHECK(redis_conn_alloc(&r, base, &o, on_state, NULL) == 0);
	cur = r;
	CHECK(loop_until(is_connected, 3000));
	CHECK(redis_server_kill(&srv) == 0);
	CHECK(loop_until(is_down, 2000));
	CHECK(backlog_set(b, r, "k1") == EAGAIN);
	CHECK(backlog_set(b, r, "k2") == EAGAIN);
	CHECK(backlog_set(b, r, "k3") == EAGAIN);
	CHECK(backlog_set(b, r, "k4") == ENOBUFS);
	redis_backlog_stats(b, &st);
	CHECK(st.kept == 3 && st.dropped == 1 && st.pending == 3);
	replay_on_connect = b;
	CHECK(redis_server_restart(&srv) == 0);   /* empty: nothing was saved */
	CHECK(loop_until(is_connected, 3000));
	CHECK(loop_until(drained, 2000));
	redis_backlog_stats(b, &st);
	CHECK(st.replayed == 3 && st.pending == 0);
	CHECK(redis_server_query(&srv, "DBSIZE", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, ":3") == 0);
	CHECK(redis_server_query(&srv, "EXISTS k4", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, ":0") == 0);
 out:
	replay_on_connect = NULL;
	cur = NULL;
	redis_conn_free(r);
	redis_backlog_free(b);
	last = REDIS_STATE_CONNECTING;
	return err;
}

/* A write sent to a server that froze before replying is kept and sent again. */
static int
test_backlog_in_flight(void)
{
	struct redis_conn *r = NULL;
	struct redis_backlog *b = NULL;
	struct redis_backlog_stats st;
	struct redis_opts o;
	char buf[64];
	int err = 0;

	opts_init(&o);
	CHECK(redis_backlog_alloc(&b, base, 10, 100) == 0);
	watched = b;
	replay_on_connect = b;
	CHECK(redis_server_query(&srv, "FLUSHALL", buf, sizeof(buf)) == 0);
	CHECK(redis_conn_alloc(&r, base, &o, on_state, NULL) == 0);
	cur = r;
	CHECK(loop_until(is_connected, 3000));
	CHECK(redis_server_pause(&srv) == 0);
	CHECK(backlog_set(b, r, "inflight") == 0);
	CHECK(loop_until(is_down, 2000));
	redis_backlog_stats(b, &st);
	CHECK(st.pending == 1 && st.kept == 1);
	/* the frozen server reads the old connection's bytes on resume: drop them first */
	CHECK(redis_server_kill(&srv) == 0);
	CHECK(redis_server_restart(&srv) == 0);
	CHECK(loop_until(is_connected, 3000));
	CHECK(loop_until(drained, 2000));
	CHECK(redis_server_query(&srv, "EXISTS inflight", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, ":1") == 0);
 out:
	replay_on_connect = NULL;
	cur = NULL;
	redis_server_resume(&srv);
	redis_conn_free(r);
	redis_backlog_free(b);
	last = REDIS_STATE_CONNECTING;
	return err;
}

int
main(void)
{
	static const struct redis_case cases[] = {
		{ "keepalive", test_keepalive },
		{ "backlog_outage", test_backlog_outage },
		{ "backlog_in_flight", test_backlog_in_flight },
	};

	return redis_cases_main(cases, sizeof(cases) / sizeof(cases[0]), &srv, &base, 0);
}
