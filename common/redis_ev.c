/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hiredis's event hooks on libevent, written for a busy proxy rather than taken from
 * hiredis's own adapter: the read event stays registered between replies instead of
 * being deleted and added again for each one, and commands queued during a loop pass
 * leave together in one write at its end (or after write_delay_ms), not one write each.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/time.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redis_ev.h"

struct redis_ev {
	redisAsyncContext *ac;
	struct event *rev, *wev, *flush;
	struct timeval delay;       /* write_delay_ms; zero: flush in the same loop pass */
};

/* The adapter whose flush is running (the socket filled up if it asks to write). */
static _Thread_local struct redis_ev *redis_ev_flushing;

static void
redis_ev_read(evutil_socket_t fd, short what, void *arg)
{
	struct redis_ev *e = arg;

	redisAsyncHandleRead(e->ac);
}

static void
redis_ev_write(evutil_socket_t fd, short what, void *arg)
{
	struct redis_ev *e = arg;

	redisAsyncHandleWrite(e->ac);
}

static void
redis_ev_flush(evutil_socket_t fd, short what, void *arg)
{
	struct redis_ev *e = arg;

	redis_ev_flushing = e;
	redisAsyncHandleWrite(e->ac);   /* may free e (disconnect): not touched after */
	redis_ev_flushing = NULL;
}

static void
redis_ev_add_read(void *privdata)
{
	struct redis_ev *e = privdata;

	if (!event_pending(e->rev, EV_READ, NULL))
		event_add(e->rev, NULL);
}

static void
redis_ev_del_read(void *privdata)
{
	struct redis_ev *e = privdata;

	event_del(e->rev);
}

static void
redis_ev_add_write(void *privdata)
{
	struct redis_ev *e = privdata;

	if (redis_ev_flushing == e || !(e->ac->c.flags & REDIS_CONNECTED)) {
		event_add(e->wev, NULL);
		return;
	}
	if (event_pending(e->wev, EV_WRITE, NULL))
		return;
	if (!timerisset(&e->delay))
		event_active(e->flush, EV_TIMEOUT, 0);   /* no-op when already active */
	else if (!event_pending(e->flush, EV_TIMEOUT, NULL))
		event_add(e->flush, &e->delay);
}


static void
redis_ev_del_write(void *privdata)
{
	struct redis_ev *e = privdata;

	event_del(e->wev);
}

static void
redis_ev_cleanup(void *privdata)
{
	struct redis_ev *e = privdata;

	if (redis_ev_flushing == e)
		redis_ev_flushing = NULL;
	event_free(e->rev);
	event_free(e->wev);
	event_free(e->flush);
	free(e);
}

int
redis_ev_attach(redisAsyncContext *ac, struct event_base *base, unsigned delay_ms)
{
	struct redis_ev *e;

	if (ac->ev.data != NULL)
		return REDIS_ERR;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return REDIS_ERR;
	e->ac = ac;
	e->delay.tv_sec = (time_t)(delay_ms / 1000);
	e->delay.tv_usec = (suseconds_t)((delay_ms % 1000) * 1000);
	e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, redis_ev_read, e);
	e->wev = event_new(base, ac->c.fd, EV_WRITE, redis_ev_write, e);
	e->flush = event_new(base, -1, 0, redis_ev_flush, e);
	if (e->rev == NULL || e->wev == NULL || e->flush == NULL) {
		if (e->rev)
			event_free(e->rev);
		if (e->wev)
			event_free(e->wev);
		if (e->flush)
			event_free(e->flush);
		free(e);
		return REDIS_ERR;
	}
	ac->ev.addRead = redis_ev_add_read;
	ac->ev.delRead = redis_ev_del_read;
	ac->ev.addWrite = redis_ev_add_write;
	ac->ev.delWrite = redis_ev_del_write;
	ac->ev.cleanup = redis_ev_cleanup;
	ac->ev.data = e;
	/* as hiredis's adapter: readable for replies, writable for the connect */
	event_add(e->rev, NULL);
	event_add(e->wev, NULL);
	return REDIS_OK;
}

void
redis_ev_flush_now(redisAsyncContext *ac)
{
	struct redis_ev *e = ac->ev.data;

	if (e == NULL || event_pending(e->wev, EV_WRITE, NULL))
		return;
	event_del(e->flush);
	event_active(e->flush, EV_TIMEOUT, 0);
}
