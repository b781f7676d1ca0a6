/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Once a second: the counts of log floods that stopped, the trace control key in
 * Redis (sbc:trace), through which an operator tool switches and filters the SIP trace
 * of every instance at run time, and the heaps trimmed after a load peak (heap_trim.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "heap_trim.h"
#include "log.h"
#include "redis_keys.h"
#include "sigproxy.h"
#include "timeutil.h"
#include "trace.h"

#define TICK_MS 1000

struct sp_tick {
	struct sp *sp;
	struct event *ev;
	bool pending;		/* an HGETALL is out */
	bool active;		/* the trace follows the Redis key, not the INI file */
	char seen[1100];	/* the key's content last acted on ("" when none) */
	struct heap_trim trim;
};

/* Back to what the INI file says, after the control key went away. */
static void
trace_ctl_release(struct sp_tick *k)
{
	struct sp *sp = k->sp;
	char msg[160];

	k->active = false;
	k->seen[0] = '\0';
	/* the INI filter was checked at load: it compiles */
	(void)trace_set_filter(sp->trace, sp->cfg.trace_call, sp->cfg.trace_number,
	    sp->cfg.trace_peer, msg, sizeof(msg));
	trace_set_on(sp->trace, sp->cfg.trace);
	log_infox("sip_trace_control source=redis key=%s state=removed on=%s from=configuration",
	    SBC_KEY_TRACE, sp->cfg.trace ? "yes" : "no");
}

static void
trace_ctl_apply(struct sp_tick *k, const char *on, const char *call, const char *number,
    const char *peer)
{
	char sig[sizeof(k->seen)], msg[160];
	bool want;

	snprintf(sig, sizeof(sig), "%s\n%s\n%s\n%s", on, call, number, peer);
	if (strcmp(sig, k->seen) == 0)
		return;
	/* acted on once, right or wrong: a bad key is reported once, not every second */
	snprintf(k->seen, sizeof(k->seen), "%s", sig);
	want = strcasecmp(on, "yes") == 0 || strcasecmp(on, "on") == 0 || strcmp(on, "1") == 0 ||
	    strcasecmp(on, "true") == 0;
	if (trace_set_filter(k->sp->trace, call, number, peer, msg, sizeof(msg))) {
		log_warnx("sip_trace_control_refused source=redis key=%s reason=%s trace=unchanged",
		    SBC_KEY_TRACE, LOG_Q(msg));
		return;
	}
	k->active = true;
	trace_set_on(k->sp->trace, want);
	log_infox("sip_trace_control source=redis key=%s on=%s call=\"%s\" number=\"%s\" "
	    "peer=\"%s\"", SBC_KEY_TRACE, want ? "yes" : "no", LOG_ESC(call), LOG_ESC(number),
	    LOG_ESC(peer));
}

static void
trace_ctl_done(struct redisReply *r, void *arg)
{
	struct sp_tick *k = arg;
	const char *on = "yes", *call = "", *number = "", *peer = "";
	size_t i;

	k->pending = false;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	if (r->elements == 0) {
		if (k->active)
			trace_ctl_release(k);
		return;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

		if (f == NULL || v == NULL)
			continue;
		if (strcmp(f, "on") == 0)
			on = v;
		else if (strcmp(f, "call") == 0)
			call = v;
		else if (strcmp(f, "number") == 0)
			number = v;
		else if (strcmp(f, "peer") == 0)
			peer = v;
	}
	trace_ctl_apply(k, on, call, number, peer);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_tick *k = arg;
	struct sp *sp = k->sp;
	uint64_t now = time_mono_ms();

	log_ratelimit_flush(&sp->rl_bad, now, LOG_LEVEL_INFO, "sip_bad_request");
	log_ratelimit_flush(&sp->rl_drop, now, LOG_LEVEL_WARN, "sip_drop");
	log_ratelimit_flush(&sp->rl_tol, now, LOG_LEVEL_INFO, "sip_tolerated");
	(void)heap_trim_tick(&k->trim);
	if (!k->pending && sp_redis_up(sp) &&
	    redis_cmd(sp->redis, trace_ctl_done, k, "HGETALL %s", SBC_KEY_TRACE) == 0)
		k->pending = true;
}

int
tick_start(struct sp *sp)
{
	struct timeval tv = timeval_from_ms(TICK_MS);
	struct sp_tick *k;

	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return ENOMEM;
	k->sp = sp;
	k->ev = event_new(sp->base, -1, EV_PERSIST, tick_cb, k);
	if (k->ev == NULL || event_add(k->ev, &tv)) {
		if (k->ev)
			event_free(k->ev);
		free(k);
		return ENOMEM;
	}
	sp->tick = k;
	return 0;
}

void
tick_stop(struct sp *sp)
{
	struct sp_tick *k = sp->tick;

	if (k == NULL)
		return;
	event_free(k->ev);
	free(k);
	sp->tick = NULL;
}
