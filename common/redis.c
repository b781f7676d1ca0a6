/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Redis connection on hiredis async + libevent: handshake, command deadlines, keepalive,
 * reconnect with backoff, and the master named by Redis Sentinels when configured.
 */
#include <errno.h>
#include <sys/time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "addr.h"
#include "rand.h"
#include "redis.h"
#include "redis_int.h"
#include "redis_ev.h"
#include "redis_opts.h"
#include "redis_resp.h"
#include "redis_sentinel.h"
#include "timeutil.h"

/* How often a connection in Sentinel mode asks the sentinels whether the master moved. */
#define REDIS_SENTINEL_CHECK_MS 2000

static void conn_start(struct redis_conn *r);
static void conn_drop(struct redis_conn *r, const char *reason);

/* Tells the owner about a real change only: retries that fail again stay silent. */
static void
state_enter(struct redis_conn *r, enum redis_state s, const char *reason)
{
	if (r->state == s)
		return;
	r->state = s;
	if (r->dying || r->state_h == NULL)
		return;
	r->depth++;
	r->state_h(s, reason, r->arg);
	r->depth--;
}

static void
pending_unlink(struct redis_conn *r, struct redis_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		r->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		r->tail = p->prev;
	p->prev = p->next = NULL;
}

static void
timer_arm_ms(struct event *ev, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(ev, &tv);
}

static void
pending_link(struct redis_conn *r, struct redis_pending *p)
{
	p->prev = r->tail;
	p->next = NULL;
	if (r->tail)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	/* The timer only follows the head; see cmd_timer_fire for re-arming. */
	if (!evtimer_pending(r->cmd_timer, NULL))
		timer_arm_ms(r->cmd_timer, r->opts.cmd_timeout_ms);
}

static void
handshake_step(struct redis_conn *r, enum pending_kind kind, redisReply *reply)
{
	if (reply == NULL)
		return;     /* the connection is going away; the disconnect path reports it */
	if (kind == PENDING_ROLE && reply->type != REDIS_REPLY_ERROR) {
		const char *role = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
		    reply->element[0]->type == REDIS_REPLY_STRING ? reply->element[0]->str : "?";

		/* the sentinels' answer is stale (a failover is under way): ask again later */
		if (strcmp(role, "master") != 0) {
			snprintf(r->reason, sizeof(r->reason), "not the master (role %.40s)", role);
			conn_drop(r, r->reason);
		}
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		const char *what = kind == PENDING_AUTH ? "auth failed" :
		    kind == PENDING_SELECT ? "select failed" : kind == PENDING_ROLE ?
		    "role failed" : "ping failed";

		/* Redis error texts never echo the password back. */
		if (strncmp(reply->str, "NOAUTH", 6) == 0)
			what = "auth required";
		snprintf(r->reason, sizeof(r->reason), "%s: %.120s", what, reply->str);
		conn_drop(r, r->reason);
		return;
	}
	if (kind != PENDING_PING)
		return;
	evtimer_del(r->conn_timer);
	r->backoff_ms = r->opts.backoff_min_ms;
	r->stats.connects++;
	state_enter(r, REDIS_STATE_CONNECTED, "connected");
}

static void
cmd_done(redisAsyncContext *ac, void *replyp, void *privdata)
{
	struct redis_pending *p = privdata;
	struct redis_conn *r = p->r;
	redisReply *reply = replyp;

	pending_unlink(r, p);
	if (p->kind == PENDING_KEEPALIVE) {
		free(p);
		return;
	}
	if (p->kind == PENDING_USER) {
		if (r->dying)
			reply = NULL;
		/*
		 * A master demoted by a failover refuses writes: for the owner that is a
		 * lost write (NULL, to be redone), and for us a reason to ask the sentinels.
		 */
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
		    strncmp(reply->str, "READONLY", 8) == 0 && ac == r->ac) {
			reply = NULL;
			r->drop_reason = "server became a replica";
			timer_arm_ms(r->conn_timer, 0);
		}
		if (reply == NULL)
			r->stats.failed_commands++;
		if (p->h != NULL) {
			r->depth++;
			p->h(reply, p->arg);
			r->depth--;
		}
	} else if (!r->dying && ac == r->ac) {
		handshake_step(r, p->kind, reply);
	}
	free(p);
}

/* Queues an already formatted (RESP) command; cmd stays the caller's. */
int
redis_pending_send_formatted(struct redis_conn *r, enum pending_kind kind, redis_reply_h *h,
    void *arg, const char *cmd, size_t len)
{
	struct redis_pending *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ENOMEM;
	p->r = r;
	p->kind = kind;
	p->h = h;
	p->arg = arg;
	p->deadline_ms = time_mono_ms() + r->opts.cmd_timeout_ms;
	if (redisAsyncFormattedCommand(r->ac, cmd_done, p, cmd, len) != REDIS_OK) {
		free(p);
		return (r->ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING)) ?
		    ENOTCONN : ENOMEM;
	}
	pending_link(r, p);
	return 0;
}

int
redis_pending_send(struct redis_conn *r, enum pending_kind kind, redis_reply_h *h, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	size_t len;
	int err;

	err = resp_encode(&r->fmt, &r->fmt_cap, argc, argv, argvlen, &len);
	if (err)
		return err;
	err = redis_pending_send_formatted(r, kind, h, arg, r->fmt, len);
	/* Our copy of AUTH holds the password; hiredis keeps its own until sent. */
	if (kind == PENDING_AUTH)
		explicit_bzero(r->fmt, len);
	return err;
}

static void
retry_schedule(struct redis_conn *r)
{
	uint64_t d = r->backoff_ms, half = d / 2;

	/* Jitter in [d/2, d] so that many clients do not reconnect in lockstep. */
	d = half + rand_u64() % (d - half + 1);
	if (d < r->opts.backoff_min_ms)
		d = r->opts.backoff_min_ms;
	timer_arm_ms(r->retry_timer, d);
	r->backoff_ms = r->backoff_ms >= r->opts.backoff_max_ms / 2 ?
	    r->opts.backoff_max_ms : r->backoff_ms * 2;
}

/*
 * Forgets the context, fails its pending commands with NULL and schedules a retry.
 * Must not run inside hiredis's connect callback (hiredis frees nothing safely there);
 * inside a reply callback redisAsyncFree defers itself until the callback returns.
 */
static void
conn_drop(struct redis_conn *r, const char *reason)
{
	redisAsyncContext *ac = r->ac;

	r->ac = NULL;
	evtimer_del(r->conn_timer);
	evtimer_del(r->cmd_timer);
	if (r->state == REDIS_STATE_CONNECTED)
		r->stats.disconnects++;
	/* r->ac is already NULL, so commands issued from the NULL replies get ENOTCONN. */
	if (ac != NULL) {
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	state_enter(r, REDIS_STATE_DISCONNECTED, reason);
	if (!r->dying)
		retry_schedule(r);
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_conn *r = ac->data;
	const char *argv[2];
	size_t argvlen[2];
	int err = 0;

	if (r == NULL || r->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac itself right after this callback. */
		r->ac = NULL;
		ac->data = NULL;
		snprintf(r->reason, sizeof(r->reason), "%.150s",
		    ac->errstr != NULL && ac->errstr[0] ? ac->errstr : "connect failed");
		conn_drop(r, r->reason);
		return;
	}
	if (r->opts.password != NULL) {
		argv[0] = "AUTH";
		argv[1] = r->opts.password;
		argvlen[0] = 4;
		argvlen[1] = strlen(r->opts.password);
		err = redis_pending_send(r, PENDING_AUTH, NULL, NULL, 2, argv, argvlen);
	}
	if (!err && r->opts.db > 0) {
		char db[16];

		snprintf(db, sizeof(db), "%d", r->opts.db);
		argv[0] = "SELECT";
		argv[1] = db;
		argvlen[0] = 6;
		argvlen[1] = strlen(db);
		err = redis_pending_send(r, PENDING_SELECT, NULL, NULL, 2, argv, argvlen);
	}
	if (!err && r->sentinel != NULL) {
		argv[0] = "ROLE";
		argvlen[0] = 4;
		err = redis_pending_send(r, PENDING_ROLE, NULL, NULL, 1, argv, argvlen);
	}
	if (!err) {
		argv[0] = "PING";
		argvlen[0] = 4;
		err = redis_pending_send(r, PENDING_PING, NULL, NULL, 1, argv, argvlen);
	}
	if (err) {
		/* Freeing ac here would be a use-after-free inside hiredis: defer. */
		r->drop_reason = "handshake send failed";
		timer_arm_ms(r->conn_timer, 0);
	}
}

static void
on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_conn *r = ac->data;

	if (r == NULL || r->ac != ac)
		return;     /* we freed it ourselves */
	/* hiredis frees ac right after this callback. */
	r->ac = NULL;
	ac->data = NULL;
	snprintf(r->reason, sizeof(r->reason), "%.150s", status == REDIS_OK ? "closed" :
	    ac->errstr != NULL && ac->errstr[0] ? ac->errstr : "connection lost");
	conn_drop(r, r->reason);
}

static void
conn_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *r = arg;
	const char *reason = r->drop_reason ? r->drop_reason : "connect timeout";

	r->drop_reason = NULL;
	conn_drop(r, reason);
}

static void
cmd_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *r = arg;
	uint64_t now = time_mono_ms();

	if (r->head == NULL || r->ac == NULL)
		return;
	if (r->head->deadline_ms <= now) {
		/* No per-command timeout in hiredis 0.14: a late reply means a dead link. */
		r->stats.timeouts++;
		conn_drop(r, "command timeout");
		return;
	}
	timer_arm_ms(r->cmd_timer, r->head->deadline_ms - now);
}

/* The sentinels name another master than ours: a failover we were not told about. */
static void
sentinel_check(int err, const char *host, uint16_t port, const char *reason, void *arg)
{
	struct redis_conn *r = arg;

	if (err || r->ac == NULL || (strcmp(host, r->master_host) == 0 && port == r->master_port))
		return;
	snprintf(r->reason, sizeof(r->reason), "the sentinels moved the master to %.60s:%u",
	    host, port);
	conn_drop(r, r->reason);
}

/*
 * Idle: one PING, so that a server that stops answering is found by the command deadline.
 * Sentinel mode: every REDIS_SENTINEL_CHECK_MS the sentinels are asked again, for a master
 * demoted behind a partition that still takes our writes.
 */
static void
ka_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *r = arg;
	const char *argv[1] = { "PING" };
	size_t len[1] = { 4 };
	uint64_t now = time_mono_ms();

	if (r->ac == NULL || r->state != REDIS_STATE_CONNECTED)
		return;
	if (r->sentinel != NULL && now - r->sentinel_checked_ms >= REDIS_SENTINEL_CHECK_MS) {
		r->sentinel_checked_ms = now;
		(void)redis_sentinel_ask(r->sentinel, sentinel_check, r);
	}
	if (r->head != NULL)
		return;
	if (redis_pending_send(r, PENDING_KEEPALIVE, NULL, NULL, 1, argv, len) == 0)
		redis_ev_flush_now(r->ac);
}

static void
retry_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	conn_start(arg);
}

static void
conn_connect(struct redis_conn *r, const char *host, uint16_t port)
{
	redisAsyncContext *ac;

	if (host == NULL)
		ac = redisAsyncConnectUnix(r->opts.unix_path);
	else
		ac = redisAsyncConnect(host, port);
	if (ac == NULL) {
		conn_drop(r, "out of memory");
		return;
	}
	if (ac->err) {
		/* Unix sockets (and bad hosts) fail synchronously. */
		snprintf(r->reason, sizeof(r->reason), "%.150s",
		    ac->errstr != NULL && ac->errstr[0] ? ac->errstr : "connect failed");
		redisAsyncFree(ac);
		conn_drop(r, r->reason);
		return;
	}
	/* Attach before the connect callback: hiredis waits for writability through it. */
	if (redis_ev_attach(ac, r->base, r->opts.write_delay_ms) != REDIS_OK) {
		redisAsyncFree(ac);
		conn_drop(r, "event attach failed");
		return;
	}
	ac->data = r;
	r->ac = ac;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	timer_arm_ms(r->conn_timer, r->opts.connect_timeout_ms);
}

static void
sentinel_answer(int err, const char *host, uint16_t port, const char *reason, void *arg)
{
	struct redis_conn *r = arg;

	if (err) {
		snprintf(r->reason, sizeof(r->reason), "no master from the sentinels: %.110s",
		    reason != NULL && reason[0] ? reason : strerror(err));
		conn_drop(r, r->reason);
		return;
	}
	snprintf(r->master_host, sizeof(r->master_host), "%s", host);
	r->master_port = port;
	conn_connect(r, r->master_host, port);
}

static void
conn_start(struct redis_conn *r)
{
	/* Sentinel mode asks again on every attempt: after a failover the answer changes. */
	if (r->sentinel != NULL) {
		redis_sentinel_cancel(r->sentinel);   /* a periodic check may be running */
		r->sentinel_checked_ms = time_mono_ms();
		if (redis_sentinel_ask(r->sentinel, sentinel_answer, r) != 0)
			conn_drop(r, "sentinel question failed");
		return;
	}
	conn_connect(r, r->opts.unix_path != NULL ? NULL : r->opts.host, r->opts.port);
}

static void
conn_destroy(struct redis_conn *r)
{
	redisAsyncContext *ac = r->ac;

	r->dying = true;
	r->ac = NULL;
	if (ac != NULL) {
		int done;

		/* what write_delay_ms still holds back gets one non-blocking try */
		if (ac->c.flags & REDIS_CONNECTED)
			(void)redisBufferWrite(&ac->c, &done);
		ac->data = NULL;
		redisAsyncFree(ac);   /* runs cmd_done with NULL for every pending command */
	}
	if (r->cmd_timer)
		event_free(r->cmd_timer);
	if (r->conn_timer)
		event_free(r->conn_timer);
	if (r->retry_timer)
		event_free(r->retry_timer);
	if (r->free_ev)
		event_free(r->free_ev);
	if (r->ka_timer)
		event_free(r->ka_timer);
	redis_sentinel_free(r->sentinel);
	if (r->fmt != NULL) {
		explicit_bzero(r->fmt, r->fmt_cap);
		free(r->fmt);
	}
	redis_opts_clear(&r->opts);
	free(r);
}

static void
free_ev_fire(evutil_socket_t fd, short what, void *arg)
{
	conn_destroy(arg);
}

int
redis_conn_alloc(struct redis_conn **rp, struct event_base *base,
    const struct redis_opts *opts, redis_state_h *state_h, void *arg)
{
	struct redis_conn *r;
	int err;

	bool sentinel = opts != NULL && opts->sentinels != NULL && opts->sentinels[0] != '\0';

	if (rp == NULL || base == NULL || opts == NULL || (!sentinel &&
	    ((opts->unix_path == NULL && (opts->host == NULL || opts->host[0] == '\0')) ||
	    (opts->unix_path != NULL && opts->unix_path[0] == '\0'))) || opts->db < 0 ||
	    (sentinel && (opts->master_name == NULL || opts->master_name[0] == '\0')))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->base = base;
	r->state_h = state_h;
	r->arg = arg;
	r->state = REDIS_STATE_CONNECTING;
	err = redis_opts_copy(&r->opts, opts);
	if (err)
		goto out;
	r->backoff_ms = r->opts.backoff_min_ms;
	if (sentinel && (err = redis_sentinel_alloc(&r->sentinel, base, r->opts.sentinels,
	    r->opts.master_name, r->opts.sentinel_password, r->opts.connect_timeout_ms)))
		goto out;
	if (r->opts.keepalive_ms > 0) {
		struct timeval tv = timeval_from_ms(r->opts.keepalive_ms);

		r->ka_timer = event_new(base, -1, EV_PERSIST, ka_timer_fire, r);
		if (r->ka_timer == NULL || event_add(r->ka_timer, &tv) != 0) {
			err = ENOMEM;
			goto out;
		}
	}
	r->cmd_timer = evtimer_new(base, cmd_timer_fire, r);
	r->conn_timer = evtimer_new(base, conn_timer_fire, r);
	r->retry_timer = evtimer_new(base, retry_timer_fire, r);
	r->free_ev = event_new(base, -1, 0, free_ev_fire, r);
	if (!r->cmd_timer || !r->conn_timer || !r->retry_timer || !r->free_ev) {
		err = ENOMEM;
		goto out;
	}
	/* The first attempt runs from the loop so the owner never hears from us inside alloc. */
	timer_arm_ms(r->retry_timer, 0);
 out:
	if (err)
		conn_destroy(r);
	else
		*rp = r;
	return err;
}

void
redis_conn_free(struct redis_conn *r)
{
	if (r == NULL || r->dying)
		return;
	r->dying = true;
	/* Inside an owner callback hiredis may still hold r->ac on its stack. */
	if (r->depth > 0) {
		evtimer_del(r->retry_timer);
		evtimer_del(r->conn_timer);
		evtimer_del(r->cmd_timer);
		if (r->ka_timer)
			event_del(r->ka_timer);
		redis_sentinel_cancel(r->sentinel);
		event_active(r->free_ev, 0, 0);
		return;
	}
	conn_destroy(r);
}
