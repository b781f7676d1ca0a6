/* SPDX-License-Identifier: BSD-2-Clause */
/* The service manager's notification protocol (sd_notify): readiness, watchdog pings,
 * reload and stop. Every call is a no-op when the daemon was not started by a service
 * manager (no NOTIFY_SOCKET), so tests and foreground runs need nothing. */
#ifndef SBC_COMMON_NOTIFY_H
#define SBC_COMMON_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct notify;

/*
 * Whether the daemon is healthy enough to ping the watchdog now; called on the loop's
 * thread before each ping. Returning false withholds that ping (the service manager
 * restarts a daemon that withholds them for WatchdogSec).
 */
typedef bool (notify_alive_h)(void *arg);

/*
 * Reads the watchdog interval the service manager asked for (WATCHDOG_USEC, for this
 * process) and, when there is one, pings every half interval from a timer on base,
 * each time alive (may be NULL) agrees. Returns 0 or ENOMEM; the caller owns *np.
 */
int notify_alloc(struct notify **np, struct event_base *base, notify_alive_h *alive, void *arg);
void notify_free(struct notify *n);
/* The watchdog interval in microseconds; 0 when there is none. */
uint64_t notify_watchdog_usec(const struct notify *n);

/* READY=1 with a STATUS= line (status may be NULL): the daemon serves from now on. */
void notify_ready(struct notify *n, const char *status);
/* STATUS= alone: what `systemctl status` shows. */
void notify_status(struct notify *n, const char *status);
/* RELOADING=1 before a reload; notify_ready() after it. */
void notify_reloading(struct notify *n);
/* STOPPING=1: shutdown has begun. */
void notify_stopping(struct notify *n);

#endif
