/* SPDX-License-Identifier: BSD-2-Clause */
/* The command side of a Redis connection: queueing commands, flushing, state and counters. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redis.h"
#include "redis_ev.h"
#include "redis_int.h"
#include "redis_resp.h"

const char *
redis_state_name(enum redis_state s)
{
	switch (s) {
	case REDIS_STATE_DISCONNECTED:
		return "disconnected";
	case REDIS_STATE_CONNECTING:
		return "connecting";
	case REDIS_STATE_CONNECTED:
		return "connected";
	}
	return "unknown";
}

/*
 * Event adapter (hiredis's libevent one, changed where it cost system calls per
 * command): the read event stays registered instead of being re-added after every
 * reply, and once connected a write goes out from an event activated in the same
 * loop pass, after the other callbacks of that pass, so the commands they issued
 * leave in one write without a write-readiness round through epoll. Only when the
 * socket is full does the write wait for the fd.
 */
void
redis_flush(struct redis_conn *r)
{
	if (r != NULL && r->ac != NULL && (r->ac->c.flags & REDIS_CONNECTED))
		redis_ev_flush_now(r->ac);
}

enum redis_state
redis_conn_state(const struct redis_conn *r)
{
	return r->state;
}

int
redis_cmd_argv(struct redis_conn *r, redis_reply_h *h, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	int err;

	if (r == NULL || argc <= 0 || argv == NULL || argv[0] == NULL ||
	    resp_cmd_is_streaming(argv[0], argvlen ? argvlen[0] : strlen(argv[0])))
		return EINVAL;
	if (r->dying || r->ac == NULL || r->state != REDIS_STATE_CONNECTED) {
		r->stats.failed_commands++;
		return ENOTCONN;
	}
	err = redis_pending_send(r, PENDING_USER, h, arg, argc, argv, argvlen);
	if (err)
		r->stats.failed_commands++;
	else
		r->stats.commands++;
	return err;
}

int
redis_cmd(struct redis_conn *r, redis_reply_h *h, void *arg, const char *fmt, ...)
{
	const char *name;
	size_t namelen;
	char *cmd = NULL;
	va_list ap;
	int len, err;

	if (r == NULL || fmt == NULL)
		return EINVAL;
	if (r->dying || r->ac == NULL || r->state != REDIS_STATE_CONNECTED) {
		r->stats.failed_commands++;
		return ENOTCONN;
	}
	va_start(ap, fmt);
	len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (len < 0)
		return cmd == NULL ? ENOMEM : EINVAL;
	if (!resp_first_arg(cmd, (size_t)len, &name, &namelen) ||
	    resp_cmd_is_streaming(name, namelen)) {
		redisFreeCommand(cmd);
		return EINVAL;
	}
	err = redis_pending_send_formatted(r, PENDING_USER, h, arg, cmd, (size_t)len);
	redisFreeCommand(cmd);
	if (err)
		r->stats.failed_commands++;
	else
		r->stats.commands++;
	return err;
}

void
redis_conn_stats(const struct redis_conn *r, struct redis_stats *out)
{
	*out = r->stats;
}

bool
redis_conn_sentinel(const struct redis_conn *r)
{
	return r->sentinel != NULL;
}

const char *
redis_conn_peer(const struct redis_conn *r, char *buf, size_t size)
{
	if (r->sentinel != NULL)
		snprintf(buf, size, "%s:%u", r->master_host[0] ? r->master_host : "?",
		    r->master_port);
	else if (r->opts.unix_path != NULL)
		snprintf(buf, size, "%s", r->opts.unix_path);
	else
		snprintf(buf, size, "%s:%u", r->opts.host, r->opts.port);
	return buf;
}
