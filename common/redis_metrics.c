/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus series of a Redis connection and its backlog, written by a daemon's collector. */
#include <stdio.h>

#include "metrics.h"
#include "redis.h"
#include "redis_backlog.h"
#include "redis_metrics.h"

void
redis_metrics_write(struct evbuffer *out, const char *prefix, const struct redis_conn *r,
    const struct redis_backlog *b)
{
	char name[96];
	struct redis_backlog_stats bs;
	struct redis_stats rs;

#define W(suffix, type, help, v) do {						\
		snprintf(name, sizeof(name), "%s_redis_%s", prefix, suffix);		\
		metrics_write(out, name, type, help, NULL, v);				\
	} while (0)
	if (r != NULL) {
		redis_conn_stats(r, &rs);
		W("up", "gauge", "1 when Redis is connected",
		    redis_conn_state(r) == REDIS_STATE_CONNECTED);
		W("disconnects_total", "counter", "Redis connections lost", rs.disconnects);
		W("timeouts_total", "counter",
		    "Redis connections dropped for a late reply (hung server)", rs.timeouts);
	}
	if (b != NULL) {
		redis_backlog_stats(b, &bs);
		W("pending", "gauge",
		    "call ends and record deletes kept until Redis acknowledges them", bs.pending);
		W("pending_dropped_total", "counter",
		    "call ends and record deletes dropped because the backlog was full", bs.dropped);
		W("replayed_total", "counter", "kept writes sent again after a reconnect",
		    bs.replayed);
	}
#undef W
}
