/* SPDX-License-Identifier: BSD-2-Clause */
/* What redis.c (the connection) and redis_cmd.c (its commands) share (internal to common/). */
#ifndef SBC_COMMON_REDIS_INT_H
#define SBC_COMMON_REDIS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/async.h>

#include "addr.h"
#include "redis.h"

struct event;
struct redis_sentinel;

enum pending_kind {
	PENDING_USER = 0,
	PENDING_AUTH,
	PENDING_SELECT,
	PENDING_ROLE,   /* Sentinel mode: the server must be the master */
	PENDING_PING,   /* last handshake step: proves the server answers */
	PENDING_KEEPALIVE,
};

/* One command handed to hiredis; freed when hiredis calls back (always exactly once). */
struct redis_pending {
	struct redis_pending *prev, *next;
	struct redis_conn *r;       /* borrowed; r outlives every pending entry */
	enum pending_kind kind;
	redis_reply_h *h;
	void *arg;
	uint64_t deadline_ms;       /* monotonic */
};

struct redis_conn {
	struct event_base *base;    /* borrowed */
	struct redis_opts opts;     /* strings owned (copied) */
	redis_state_h *state_h;
	void *arg;

	redisAsyncContext *ac;      /* NULL between attempts; owned by hiredis once attached */
	enum redis_state state;     /* what the owner was last told (or the initial CONNECTING) */

	struct redis_pending *head, *tail;   /* in send order: head is the oldest */
	struct event *cmd_timer;    /* fires at the oldest command's deadline */
	struct event *conn_timer;   /* connect + handshake deadline; also deferred drops */
	struct event *retry_timer;  /* backoff before the next attempt */
	struct event *free_ev;      /* deferred redis_conn_free */
	struct event *ka_timer;     /* keepalive PING when idle; NULL: keepalive_ms is 0 */
	struct redis_sentinel *sentinel;   /* NULL: connect to opts.host/unix_path */
	char master_host[SA_STRLEN];       /* Sentinel mode: the master asked for last */
	uint16_t master_port;
	uint64_t sentinel_checked_ms;      /* monotonic: last time the sentinels were asked */
	unsigned backoff_ms;        /* next reconnect delay before jitter */
	const char *drop_reason;    /* static string for a deferred drop */
	char reason[160];           /* text of the last failure, for the owner callback */

	char *fmt;                  /* reused RESP encoding buffer (hiredis copies it) */
	size_t fmt_cap;

	unsigned depth;             /* > 0 while an owner callback runs */
	bool dying;                 /* redis_conn_free was called */

	struct redis_stats stats;
};

/*
 * Queues one command on r->ac (connected or in the handshake), already RESP-encoded
 * (cmd stays the caller's) or from argv; its reply reaches h (PENDING_USER) exactly once.
 * 0, ENOTCONN or ENOMEM.
 */
int redis_pending_send_formatted(struct redis_conn *r, enum pending_kind kind, redis_reply_h *h,
    void *arg, const char *cmd, size_t len);
int redis_pending_send(struct redis_conn *r, enum pending_kind kind, redis_reply_h *h, void *arg,
    int argc, const char **argv, const size_t *argvlen);

#endif
