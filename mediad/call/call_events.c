/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What mediad tells the signalling side, through the Redis stream sbc:events that every
 * sigproxy reads in one consumer group: a call whose media timed out (sigproxy ends it
 * with BYE to both parties). Sent through the write backlog: an event is kept until Redis
 * acknowledges it, and replayed in order after a reconnect.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "redis_backlog.h"
#include "redis_keys.h"

void
call_event_media_timeout(struct mediad *md, const struct call *c, const char *reason,
    unsigned after_s)
{
	char maxlen[16], after[16];
	const char *argv[16];
	size_t lens[16];
	int n = 0, i, err;

	if (md->store == NULL)
		return;
	snprintf(maxlen, sizeof(maxlen), "%u", SBC_EVENTS_MAXLEN);
	snprintf(after, sizeof(after), "%u", after_s);
	argv[n++] = "XADD";
	argv[n++] = SBC_KEY_EVENTS;
	/* capped: nobody reads years of history, and a crashed reader's entries are claimed */
	argv[n++] = "MAXLEN";
	argv[n++] = "~";
	argv[n++] = maxlen;
	argv[n++] = "*";
	argv[n++] = "type";
	argv[n++] = "media_timeout";
	argv[n++] = "call_id";
	argv[n++] = c->call_id;
	argv[n++] = "mediad";
	argv[n++] = md->cfg.id;
	argv[n++] = "reason";
	argv[n++] = reason;
	argv[n++] = "after_s";
	argv[n++] = after;
	for (i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	err = redis_backlog_send(call_store_backlog(md->store), call_store_redis(md->store), n,
	    argv, lens);
	if (err == 0 || err == EAGAIN) {
		metric_inc(md->ctr.events_media_timeout);
		log_info("event_sent type=media_timeout stream=%s queued=%s", SBC_KEY_EVENTS,
		    err == EAGAIN ? "until-redis-back" : "no");
	} else {
		log_warnx("event_lost type=media_timeout reason=%s", err == ENOBUFS ?
		    "backlog-full" : "out-of-memory");
	}
}
