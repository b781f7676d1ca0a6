/* SPDX-License-Identifier: BSD-2-Clause */
/* common/redis against a real redis-server: commands, crash, pause, restart, AUTH, SELECT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "lib/proc.h"
#include "lib/redis_cases.h"
#include "lib/redis_server.h"
#include "redis.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		err = 1; \
		goto out; \
	} \
} while (0)

struct watch {
	enum redis_state last;
	unsigned n_connected, n_disconnected, n_connecting;
	char reason[200];
	struct redis_conn *free_on_connect;   /* state callback frees this */
};

struct reply {
	unsigned calls;         /* must end up exactly 1 */
	bool null;
	int type;
	char str[128];
	long long integer;
	struct redis_conn *free_me;   /* reply callback frees this */
	struct redis_conn *retry_on;  /* on a NULL reply, try again at once on this */
	int retry_rc;
};

static struct event_base *base;
static struct redis_server srv;

static void
on_state(enum redis_state s, const char *reason, void *arg)
{
	struct watch *w = arg;

	w->last = s;
	snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
	if (s == REDIS_STATE_CONNECTED)
		w->n_connected++;
	else if (s == REDIS_STATE_DISCONNECTED)
		w->n_disconnected++;
	else
		w->n_connecting++;
	if (s == REDIS_STATE_CONNECTED && w->free_on_connect != NULL) {
		redis_conn_free(w->free_on_connect);
		w->free_on_connect = NULL;
	}
}

static void
on_reply(struct redisReply *r, void *arg)
{
	struct reply *rep = arg;

	rep->calls++;
	rep->null = r == NULL;
	if (r != NULL) {
		rep->type = r->type;
		rep->integer = r->integer;
		if (r->str != NULL)
			snprintf(rep->str, sizeof(rep->str), "%.*s", (int)r->len, r->str);
	}
	if (r == NULL && rep->retry_on != NULL) {
		/* The usual owner reflex: retry at once. It must fail cleanly, not recurse. */
		rep->retry_rc = redis_cmd(rep->retry_on, on_reply, rep, "PING");
		rep->retry_on = NULL;
	}
	if (rep->free_me != NULL) {
		redis_conn_free(rep->free_me);
		rep->free_me = NULL;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until *flag becomes true or timeout_ms pass; returns the flag. */
static bool
run_until(const volatile bool *flag, unsigned timeout_ms)
{
	unsigned long long deadline = proc_now_ms() + timeout_ms;
	struct timeval tv = { 0, 10000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, tick, NULL);

	event_add(ev, &tv);
	while (!*flag && proc_now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *flag;
}

/* Condition helpers: run_until needs a bool that the callbacks update. */
static bool cond;
static struct watch *cond_w;
static enum redis_state cond_state;
static struct reply *cond_rep;

static void
cond_tick(evutil_socket_t fd, short what, void *arg)
{
	if (cond_w != NULL && cond_w->last == cond_state)
		cond = true;
	if (cond_rep != NULL && cond_rep->calls > 0)
		cond = true;
}

static bool
wait_state(struct watch *w, enum redis_state s, unsigned timeout_ms)
{
	struct timeval tv = { 0, 5000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, cond_tick, NULL);
	bool ok;

	cond = w->last == s;
	cond_w = w;
	cond_state = s;
	cond_rep = NULL;
	event_add(ev, &tv);
	ok = run_until(&cond, timeout_ms);
	event_free(ev);
	cond_w = NULL;
	return ok;
}

static bool
wait_reply(struct reply *rep, unsigned timeout_ms)
{
	struct timeval tv = { 0, 5000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, cond_tick, NULL);
	bool ok;

	cond = rep->calls > 0;
	cond_rep = rep;
	cond_w = NULL;
	event_add(ev, &tv);
	ok = run_until(&cond, timeout_ms);
	event_free(ev);
	cond_rep = NULL;
	return ok;
}

/* Lets the loop run for ms, e.g. to see that a callback is not called twice. */
static void
settle(unsigned ms)
{
	bool never = false;

	run_until(&never, ms);
}

static void
opts_init(struct redis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = srv.port;
	o->connect_timeout_ms = 1000;
	o->cmd_timeout_ms = 500;
	o->backoff_min_ms = 50;
	o->backoff_max_ms = 400;
}

static int
test_bad_opts(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	int err = 0;

	memset(&o, 0, sizeof(o));
	CHECK(redis_conn_alloc(&r, base, &o, NULL, NULL) == EINVAL);
	o.unix_path = "";
	CHECK(redis_conn_alloc(&r, base, &o, NULL, NULL) == EINVAL);
	o.unix_path = NULL;
	o.host = "127.0.0.1";
	o.db = -1;
	CHECK(redis_conn_alloc(&r, base, &o, NULL, NULL) == EINVAL);
	CHECK(redis_conn_alloc(&r, NULL, &o, NULL, NULL) == EINVAL);
	CHECK(r == NULL);
	CHECK(strcmp(redis_state_name(REDIS_STATE_CONNECTED), "connected") == 0);
 out:
	return err;
}

/* The main scenario: SET/GET, crash, ENOTCONN, restart, self-reconnect. */
static int
test_crash_and_restart(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct redis_stats st;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct reply rep = { 0 }, rep2 = { 0 };
	const char *argv[3] = { "SET", "bin", "a\0b" };
	size_t argvlen[3] = { 3, 3, 3 };
	unsigned long long t0;
	int err = 0;

	opts_init(&o);
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(redis_conn_state(r) == REDIS_STATE_CONNECTING);
	CHECK(redis_cmd(r, on_reply, &rep, "PING") == ENOTCONN);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	CHECK(w.n_connected == 1);

	CHECK(redis_cmd(r, on_reply, &rep, "SET %s %s", "k1", "v1") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(rep.type == REDIS_REPLY_STATUS && strcmp(rep.str, "OK") == 0);
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd(r, on_reply, &rep, "GET %s", "k1") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(rep.type == REDIS_REPLY_STRING && strcmp(rep.str, "v1") == 0);
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd_argv(r, on_reply, &rep, 3, argv, argvlen) == 0);
	CHECK(wait_reply(&rep, 2000));
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd(r, on_reply, &rep, "STRLEN bin") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(rep.type == REDIS_REPLY_INTEGER && rep.integer == 3);
	/* Commands whose callback would run more than once are refused, h never called. */
	{
		const char *sub[2] = { "subscribe", "ch" };

		memset(&rep, 0, sizeof(rep));
		CHECK(redis_cmd(r, on_reply, &rep, "SUBSCRIBE ch") == EINVAL);
		CHECK(redis_cmd(r, on_reply, &rep, "%s ch", "psubscribe") == EINVAL);
		CHECK(redis_cmd(r, on_reply, &rep, "monitor") == EINVAL);
		CHECK(redis_cmd_argv(r, on_reply, &rep, 2, sub, NULL) == EINVAL);
		CHECK(redis_cmd(r, on_reply, &rep, "") == EINVAL);
		CHECK(redis_cmd(r, on_reply, &rep, "   ") == EINVAL);
		settle(50);
		CHECK(rep.calls == 0);
	}
	/* A server error is a reply, not a failure. */
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd(r, on_reply, &rep, "NOSUCHCOMMAND") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(!rep.null && rep.type == REDIS_REPLY_ERROR);

	/* Crash with a command in flight: it fails with NULL exactly once. */
	CHECK(redis_server_pause(&srv) == 0);
	memset(&rep, 0, sizeof(rep));
	rep.retry_on = r;
	CHECK(redis_cmd(r, on_reply, &rep, "GET k1") == 0);
	settle(50);
	CHECK(redis_server_kill(&srv) == 0);
	t0 = proc_now_ms();
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 2000));
	fprintf(stderr, "disconnect seen after %llu ms: %s\n", proc_now_ms() - t0, w.reason);
	CHECK(rep.calls == 1 && rep.null);
	CHECK(rep.retry_rc == ENOTCONN);
	CHECK(redis_conn_state(r) == REDIS_STATE_DISCONNECTED);
	CHECK(redis_cmd(r, on_reply, &rep2, "GET k1") == ENOTCONN);
	CHECK(redis_cmd_argv(r, on_reply, &rep2, 3, argv, argvlen) == ENOTCONN);

	/* Several reconnect attempts fail meanwhile; the owner hears of none of them. */
	settle(800);
	CHECK(w.n_disconnected == 1);
	CHECK(w.n_connected == 1);
	CHECK(rep.calls == 1 && rep2.calls == 0);

	CHECK(redis_server_restart(&srv) == 0);
	t0 = proc_now_ms();
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	fprintf(stderr, "reconnected %llu ms after restart\n", proc_now_ms() - t0);
	CHECK(w.n_connected == 2 && w.n_disconnected == 1);
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd(r, on_reply, &rep, "SET k2 %d", 42) == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(rep.type == REDIS_REPLY_STATUS);
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd(r, on_reply, &rep, "GET k2") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(strcmp(rep.str, "42") == 0);

	redis_conn_stats(r, &st);
	CHECK(st.connects == 2 && st.disconnects == 1);
	CHECK(st.commands == 8);
	CHECK(st.failed_commands == 5);   /* 1 NULL reply + 4 ENOTCONN */
 out:
	redis_conn_free(r);
	return err;
}

/* A server that stops answering: the command deadline fires and the link is rebuilt. */
static int
test_cmd_timeout(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct reply rep = { 0 }, rep2 = { 0 };
	unsigned long long t0;
	int err = 0;

	opts_init(&o);
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	CHECK(redis_server_pause(&srv) == 0);
	t0 = proc_now_ms();
	CHECK(redis_cmd(r, on_reply, &rep, "PING") == 0);
	CHECK(redis_cmd(r, NULL, NULL, "PING") == 0);   /* no callback: still tracked */
	CHECK(redis_cmd(r, on_reply, &rep2, "PING") == 0);
	CHECK(wait_reply(&rep2, 3000));
	fprintf(stderr, "timeout after %llu ms (cmd_timeout_ms=%u)\n",
	    proc_now_ms() - t0, o.cmd_timeout_ms);
	CHECK(proc_now_ms() - t0 >= o.cmd_timeout_ms - 20);
	CHECK(proc_now_ms() - t0 < o.cmd_timeout_ms + 1500);
	CHECK(rep.calls == 1 && rep.null && rep2.calls == 1 && rep2.null);
	CHECK(w.last == REDIS_STATE_DISCONNECTED);
	CHECK(strstr(w.reason, "timeout") != NULL);
	CHECK(redis_server_resume(&srv) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	memset(&rep, 0, sizeof(rep));
	CHECK(redis_cmd(r, on_reply, &rep, "PING") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(!rep.null && strcmp(rep.str, "PONG") == 0);
	settle(100);
	CHECK(rep.calls == 1 && rep2.calls == 1);
 out:
	redis_server_resume(&srv);
	redis_conn_free(r);
	return err;
}

/* Unix socket and SELECT: the connection lands in the asked database. */
static int
test_unix_select(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct reply rep = { 0 };
	int err = 0;

	opts_init(&o);
	o.host = NULL;
	o.unix_path = srv.unix_path;
	o.db = 3;
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	CHECK(redis_cmd(r, on_reply, &rep, "CLIENT INFO") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(rep.type == REDIS_REPLY_STRING);
	CHECK(strstr(rep.str, " db=3 ") != NULL);
	redis_conn_free(r);
	r = NULL;

	/* A database the server does not have: the handshake fails, reported once. */
	memset(&w, 0, sizeof(w));
	w.last = REDIS_STATE_CONNECTING;
	o.db = 100000;
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 3000));
	CHECK(strstr(w.reason, "select failed") != NULL);
	settle(500);
	CHECK(w.n_disconnected == 1 && w.n_connected == 0);
 out:
	redis_conn_free(r);
	return err;
}

/* Freeing from inside callbacks is deferred; pending commands still get NULL once. */
static int
test_free_in_callback(void)
{
	struct redis_conn *r = NULL, *r2 = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct reply a = { 0 }, b = { 0 }, c = { 0 };
	int err = 0;

	opts_init(&o);
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	a.free_me = r;
	CHECK(redis_cmd(r, on_reply, &a, "PING") == 0);
	CHECK(redis_cmd(r, on_reply, &b, "PING") == 0);
	CHECK(redis_cmd(r, on_reply, &c, "PING") == 0);
	r = NULL;
	CHECK(wait_reply(&c, 2000));
	settle(100);
	CHECK(a.calls == 1 && !a.null);
	CHECK(b.calls == 1 && b.null);
	CHECK(c.calls == 1 && c.null);

	/* Freed from the state callback on CONNECTED. */
	memset(&w, 0, sizeof(w));
	w.last = REDIS_STATE_CONNECTING;
	CHECK(redis_conn_alloc(&r2, base, &o, on_state, &w) == 0);
	w.free_on_connect = r2;
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	settle(100);
	CHECK(w.free_on_connect == NULL);
	r2 = NULL;
 out:
	redis_conn_free(r);
	redis_conn_free(r2);
	return err;
}

struct many {
	unsigned calls, nulls;
};

static void
on_many(struct redisReply *r, void *arg)
{
	struct many *m = arg;

	m->calls++;
	if (r == NULL)
		m->nulls++;
}

/* Many commands in flight when the server dies, or when the owner frees: NULL once each. */
static int
test_many_in_flight(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct many m[1000];
	unsigned i;
	int err = 0;

	memset(m, 0, sizeof(m));
	opts_init(&o);
	o.cmd_timeout_ms = 5000;   /* the kill, not the deadline, must end them */
	/* Over the unix socket: the restart must recreate the same path. */
	o.host = NULL;
	o.unix_path = srv.unix_path;
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	CHECK(redis_server_pause(&srv) == 0);
	for (i = 0; i < 1000; i++)
		CHECK(redis_cmd(r, on_many, &m[i], "INCR n%u", i) == 0);
	settle(50);
	CHECK(redis_server_kill(&srv) == 0);
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 2000));
	settle(100);
	for (i = 0; i < 1000; i++)
		CHECK(m[i].calls == 1 && m[i].nulls == 1);
	CHECK(redis_server_restart(&srv) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));

	/* Owner frees with commands pending: each gets NULL during the free. */
	memset(m, 0, sizeof(m));
	CHECK(redis_server_pause(&srv) == 0);
	for (i = 0; i < 1000; i++)
		CHECK(redis_cmd(r, on_many, &m[i], "INCR n%u", i) == 0);
	redis_conn_free(r);
	r = NULL;
	for (i = 0; i < 1000; i++)
		CHECK(m[i].calls == 1 && m[i].nulls == 1);
	settle(50);
	for (i = 0; i < 1000; i++)
		CHECK(m[i].calls == 1);
 out:
	redis_server_resume(&srv);
	redis_conn_free(r);
	return err;
}

/* A peer that accepts TCP but never answers: the handshake deadline gives up. */
static int
test_silent_peer(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned long long t0;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(listen(fd, 16) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	opts_init(&o);
	o.port = ntohs(sin.sin_port);
	o.connect_timeout_ms = 300;
	t0 = proc_now_ms();
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 2000));
	fprintf(stderr, "silent peer given up after %llu ms: %s\n", proc_now_ms() - t0, w.reason);
	CHECK(proc_now_ms() - t0 >= 290);
	CHECK(strstr(w.reason, "timeout") != NULL);
	CHECK(redis_cmd(r, NULL, NULL, "PING") == ENOTCONN);
 out:
	redis_conn_free(r);
	if (fd >= 0)
		close(fd);
	return err;
}

/* Nothing listening: DISCONNECTED once with a reason, then quiet retries. */
static int
test_refused(void)
{
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	int err = 0;

	opts_init(&o);
	o.host = NULL;
	o.unix_path = "/nonexistent/redis.sock";
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 2000));
	settle(600);
	CHECK(w.n_disconnected == 1 && w.n_connected == 0);
	CHECK(w.reason[0] != '\0');
 out:
	redis_conn_free(r);
	return err;
}

static int
test_auth(void)
{
	static const char pass[] = "t0p-s3cret-pass";
	struct redis_server_opts so = { .password = pass };
	struct redis_conn *r = NULL;
	struct redis_opts o;
	struct watch w = { .last = REDIS_STATE_CONNECTING };
	struct reply rep = { 0 };
	int err = 0;

	redis_server_cleanup(&srv);
	CHECK(redis_server_start(&srv, &so) == 0);

	opts_init(&o);
	o.password = pass;
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_CONNECTED, 3000));
	CHECK(redis_cmd(r, on_reply, &rep, "SET a b") == 0);
	CHECK(wait_reply(&rep, 2000));
	CHECK(rep.type == REDIS_REPLY_STATUS && strcmp(rep.str, "OK") == 0);
	redis_conn_free(r);
	r = NULL;

	memset(&w, 0, sizeof(w));
	w.last = REDIS_STATE_CONNECTING;
	o.password = "wrong-password";
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 3000));
	fprintf(stderr, "wrong password: %s\n", w.reason);
	CHECK(strstr(w.reason, "auth failed") != NULL);
	CHECK(strstr(w.reason, "wrong-password") == NULL);
	settle(600);
	CHECK(w.n_connected == 0 && w.n_disconnected == 1);
	redis_conn_free(r);
	r = NULL;

	memset(&w, 0, sizeof(w));
	w.last = REDIS_STATE_CONNECTING;
	o.password = NULL;
	CHECK(redis_conn_alloc(&r, base, &o, on_state, &w) == 0);
	CHECK(wait_state(&w, REDIS_STATE_DISCONNECTED, 3000));
	CHECK(strstr(w.reason, "auth required") != NULL);
	CHECK(w.n_connected == 0);
 out:
	redis_conn_free(r);
	return err;
}

int
main(void)
{
	static const struct redis_case cases[] = {
		{ "bad_opts", test_bad_opts },
		{ "crash_and_restart", test_crash_and_restart },
		{ "cmd_timeout", test_cmd_timeout },
		{ "unix_select", test_unix_select },
		{ "free_in_callback", test_free_in_callback },
		{ "many_in_flight", test_many_in_flight },
		{ "refused", test_refused },
		{ "silent_peer", test_silent_peer },
		{ "auth", test_auth },
	};

	return redis_cases_main(cases, sizeof(cases) / sizeof(cases[0]), &srv, &base, 20);
}
