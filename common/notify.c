/* SPDX-License-Identifier: BSD-2-Clause */
/* sd_notify from libsystemd: READY/RELOADING/STOPPING/STATUS and watchdog pings on a loop timer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "notify.h"

struct notify {
	struct event *timer;        /* NULL without a watchdog */
	uint64_t usec;              /* WATCHDOG_USEC; 0: none */
	notify_alive_h *alive;
	void *arg;
};

static void
notify_tick(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;

	if (n->alive == NULL || n->alive(n->arg))
		(void)sd_notify(0, "WATCHDOG=1");
}

int
notify_alloc(struct notify **np, struct event_base *base, notify_alive_h *alive, void *arg)
{
	struct notify *n;
	struct timeval tv;
	uint64_t usec = 0;
	int err = 0;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return ENOMEM;
	n->alive = alive;
	n->arg = arg;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, names this process. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->usec = usec;
		/* Half the interval, as sd_watchdog_enabled(3) advises: one late ping is no restart. */
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		n->timer = event_new(base, -1, EV_PERSIST, notify_tick, n);
		if (n->timer == NULL || event_add(n->timer, &tv) != 0)
			err = ENOMEM;
	}
	if (err)
		notify_free(n);
	else
		*np = n;
	return err;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->timer != NULL)
		event_free(n->timer);
	free(n);
}

uint64_t
notify_watchdog_usec(const struct notify *n)
{
	return n != NULL ? n->usec : 0;
}

void
notify_ready(struct notify *n, const char *status)
{
	(void)n;
	if (status != NULL)
		(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	else
		(void)sd_notify(0, "READY=1");
}

void
notify_status(struct notify *n, const char *status)
{
	(void)n;
	if (status != NULL)
		(void)sd_notifyf(0, "STATUS=%s", status);
}

void
notify_reloading(struct notify *n)
{
	(void)n;
	(void)sd_notify(0, "RELOADING=1");
}

void
notify_stopping(struct notify *n)
{
	(void)n;
	(void)sd_notify(0, "STOPPING=1");
}
