/* SPDX-License-Identifier: BSD-2-Clause */
/* The state store's series for a daemon's /metrics collector (same names in both daemons). */
#ifndef SBC_COMMON_REDIS_METRICS_H
#define SBC_COMMON_REDIS_METRICS_H

struct evbuffer;
struct redis_backlog;
struct redis_conn;

/*
 * Writes <prefix>_redis_up, _pending, _pending_dropped_total, _replayed_total,
 * _disconnects_total and _timeouts_total for r and b (either may be NULL: skipped).
 */
void redis_metrics_write(struct evbuffer *out, const char *prefix, const struct redis_conn *r,
    const struct redis_backlog *b);

#endif
