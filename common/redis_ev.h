/* SPDX-License-Identifier: BSD-2-Clause */
/* redis.c's libevent hooks for hiredis (internal to common/). */
#ifndef SBC_COMMON_REDIS_EV_H
#define SBC_COMMON_REDIS_EV_H

#include <hiredis/async.h>

struct event_base;

/*
 * Attaches ac to base. Queued commands are written once per loop pass, or after
 * delay_ms when it is not 0 (so commands of several passes share one write).
 * REDIS_OK or REDIS_ERR; hiredis frees the hooks through its cleanup callback.
 */
int redis_ev_attach(redisAsyncContext *ac, struct event_base *base, unsigned delay_ms);
/* Writes what is queued in this loop pass, without waiting for the delay. */
void redis_ev_flush_now(redisAsyncContext *ac);

#endif
