/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The calls of a lost (or drained) mediad, found and shared out among the instances: each
 * instance hears of the loss from its own pings; it tries its own calls at once and the
 * rest, from the lost mediad's index sbc:mediad_calls:<id>, SCAN_DELAY_MS later, so that
 * a call moves from the instance holding its connections when that one is alive. Whoever
 * takes a call's lock (SET sbc:move:<call-id> NX PX) moves it; the others skip it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "dialog.h"
#include "log.h"
#include "media.h"
#include "move_int.h"
#include "redis_keys.h"
#include "timeutil.h"

#define SCAN_DELAY_MS	300u	/* the owners of calls take their locks first */

/* A lost mediad's index, read after SCAN_DELAY_MS. */
struct move_scan {
	struct move_scan *next;
	struct move *m;
	char id[64];
	bool drained;
	struct event *ev;
};

/* A lock being taken for one call. */
struct lock_ctx {
	struct move *m;
	char call_id[SP_CALL_ID_MAX];
	char from[64];
	bool drained;
};

static void
lock_done(struct redisReply *r, void *arg)
{
	struct lock_ctx *x = arg;
	struct move *m = x->m;

	log_set_call_id(x->call_id);
	if (!m->stopping && r != NULL && r->type == REDIS_REPLY_STATUS) {
		if (move_call(m, x->call_id, x->from, x->drained) != 0)
			log_warnx("move_not_started reason=out-of-memory");
	} else if (!m->stopping && r != NULL) {
		log_debug("%s: moved by another instance", __func__);
	}
	log_set_call_id(NULL);
	free(x);
}

/*
 * SET NX PX: only one instance moves a call. The lock outlives both re-INVITEs; the
 * mover deletes it when done.
 */
static void
lock_try(struct move *m, const char *call_id, const char *from, bool drained)
{
	struct sp *sp = m->sp;
	struct lock_ctx *x;

	if (!sp->cfg.redis_enabled) {
		(void)move_call(m, call_id, from, drained);
		return;
	}
	if (strlen(call_id) >= sizeof(x->call_id) || !sp_redis_up(sp))
		return;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return;
	x->m = m;
	x->drained = drained;
	snprintf(x->call_id, sizeof(x->call_id), "%s", call_id);
	snprintf(x->from, sizeof(x->from), "%s", from);
	if (redis_cmd(sp->redis, lock_done, x, "SET %s%s %s NX PX %u", SBC_KEY_MOVE_PREFIX,
	    call_id, sp->cfg.instance_id, 4 * sp->cfg.move_timeout_ms) != 0)
		free(x);
}

static void
scan_free(struct move_scan *s)
{
	struct move_scan **pp;

	for (pp = &s->m->scans; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

static void
members_done(struct redisReply *r, void *arg)
{
	struct move_scan *s = arg;
	size_t i;

	if (!s->m->stopping && r != NULL && r->type == REDIS_REPLY_ARRAY) {
		log_info("mediad_calls id=%s calls=%zu", LOG_ESCW(s->id), r->elements);
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->str != NULL)
				lock_try(s->m, r->element[i]->str, s->id, s->drained);
		redis_flush(s->m->sp->redis);
	}
	scan_free(s);
}

static void
scan_timer(evutil_socket_t fd, short what, void *arg)
{
	struct move_scan *s = arg;
	struct sp *sp = s->m->sp;

	if (s->m->stopping || !sp_redis_up(sp) || redis_cmd(sp->redis, members_done, s,
	    "SMEMBERS %s%s", SBC_KEY_MEDIAD_CALLS_PREFIX, s->id) != 0) {
		scan_free(s);
		return;
	}
	redis_flush(sp->redis);
}

void
move_calls_of(struct sp *sp, const char *id, bool drained)
{
	struct move *m = sp->move;
	struct move_scan *s;
	struct timeval tv = timeval_from_ms(SCAN_DELAY_MS);
	struct sp_call *c;
	unsigned i, n = 0;

	if (m == NULL || m->stopping || strlen(id) >= sizeof(s->id))
		return;
	metric_inc(drained ? m->ctr.drained : m->ctr.lost);
	if (drained ? sp->cfg.drained_calls == SP_DRAINED_STAY :
	    sp->cfg.mediad_lost == SP_LOST_KEEP)
		return;
	/* this instance's own calls first: it holds their connections */
	for (i = 0; i < SP_BUCKETS; i++)
		for (c = sp->calls[i]; c != NULL; c = c->next)
			if (!c->loaded && c->state == SP_CALL_ANSWERED && c->has_mediad &&
			    strcmp(c->mediad_id, id) == 0) {
				lock_try(m, c->call_id, id, drained);
				n++;
			}
	log_info("mediad_calls_move id=%s own=%u drained=%s", LOG_ESCW(id), n, drained ? "yes" : "no");
	if (sp->redis != NULL)
		redis_flush(sp->redis);
	if (!sp->cfg.redis_enabled)
		return;
	/* then those of instances that may be gone, from the mediad's index */
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return;
	s->m = m;
	s->drained = drained;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->ev = evtimer_new(sp->base, scan_timer, s);
	if (s->ev == NULL || evtimer_add(s->ev, &tv)) {
		if (s->ev != NULL)
			event_free(s->ev);
		free(s);
		return;
	}
	s->next = m->scans;
	m->scans = s;
}

static void
pool_lost(const char *id, bool drained, void *arg)
{
	move_calls_of(arg, id, drained);
}

static const struct metrics_def move_defs[] = {
#define CTR(f) offsetof(struct move_counters, f)
	{ "sigproxy_calls_moved_total", METRICS_COUNTER, "result=\"ok\"",
	  "calls moved to another mediad (both parties re-INVITEd), by result", CTR(moved) },
	{ "sigproxy_calls_moved_total", METRICS_COUNTER, "result=\"failed\"", NULL, CTR(failed) },
	{ "sigproxy_mediads_lost_total", METRICS_COUNTER, "why=\"silent\"",
	  "mediads whose calls were handed on: silent for mediad_dead_ms, or drained", CTR(lost) },
	{ "sigproxy_mediads_lost_total", METRICS_COUNTER, "why=\"drained\"", NULL, CTR(drained) },
#undef CTR
	{ NULL, 0, NULL, NULL, 0 },
};

int
move_alloc(struct sp *sp)
{
	struct move *m;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	m->sp = sp;
	sp->move = m;
	mediad_pool_set_lost_h(sp->pool, pool_lost, sp);
	return metrics_register_table(sp->metrics, move_defs, &m->ctr);
}

void
move_stop(struct sp *sp)
{
	if (sp->move != NULL)
		sp->move->stopping = true;
}

void
move_free(struct sp *sp)
{
	struct move *m = sp->move;

	if (m == NULL)
		return;
	while (m->scans != NULL)
		scan_free(m->scans);
	move_ops_free(m);
	free(m);
	sp->move = NULL;
}
