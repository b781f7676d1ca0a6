/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The mediads sigproxy may use: the registry set and registrations in Redis, choice by
 * load, ping hysteresis, drain; a mediad silent for mediad_dead_ms is reported lost (its
 * calls are the handler's to move).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "bencode.h"
#include "log.h"
#include "media.h"
#include "redis_keys.h"
#include "timeutil.h"

#define POOL_MAX 64

struct mediad_pool {
	struct sp *sp;		/* may be NULL in tests */
	struct mediad_entry e[POOL_MAX];
	unsigned n;
	struct event *timer;
	unsigned up_after;
	bool scan_done;		/* the last registry read was answered: "seen" flags are meaningful */
	mediad_lost_h *lost_h;	/* the move part's (NULL: nobody cares) */
	void *lost_arg;
};

struct mediad_entry *
mediad_pool_find(struct mediad_pool *p, const char *id)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->e[i].id, id) == 0)
			return &p->e[i];
	return NULL;
}

int
mediad_pool_update(struct mediad_pool *p, const char *id, const struct sa *ng, unsigned load)
{
	struct mediad_entry *e = mediad_pool_find(p, id);

	if (e == NULL) {
		if (p->n == POOL_MAX)
			return ENOSPC;
		e = &p->e[p->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", id);
		e->up = true;
		e->last_ok_ms = time_mono_ms();
		log_info("mediad_added id=%s load=%u", LOG_Q(id), load);
	}
	e->ng = *ng;
	e->load = load;
	e->seen = true;
	return 0;
}

int
mediad_pool_choose(struct mediad_pool *p, struct mediad_entry **ep)
{
	struct mediad_entry *best = NULL;
	unsigned i;

	for (i = 0; i < p->n; i++) {
		if (!p->e[i].up || p->e[i].draining || p->e[i].lost)
			continue;
		if (best == NULL || p->e[i].load < best->load)
			best = &p->e[i];
	}
	if (best == NULL)
		return ENOENT;
	/* count the new call at once so a burst between scans spreads too */
	best->load++;
	*ep = best;
	return 0;
}

void
mediad_pool_mark_down(struct mediad_pool *p, const char *id)
{
	struct mediad_entry *e = mediad_pool_find(p, id);

	if (e == NULL || !e->up)
		return;
	e->up = false;
	e->ok_streak = 0;
	log_warnx("mediad_down id=%s reason=no-ng-reply action=%s", LOG_Q(id),
	    LOG_Q("skipped for new calls; pinged until it answers"));
}

void
mediad_pool_mark_ok(struct mediad_pool *p, const char *id)
{
	struct mediad_entry *e = mediad_pool_find(p, id);

	if (e == NULL)
		return;
	e->last_ok_ms = time_mono_ms();
	if (e->up)
		return;
	if (++e->ok_streak >= p->up_after) {
		e->up = true;
		e->lost = false;
		log_info("mediad_up id=%s pings=%u", LOG_Q(id), e->ok_streak);
	}
}

unsigned
mediad_pool_up_count(const struct mediad_pool *p)
{
	unsigned i, n = 0;

	for (i = 0; p != NULL && i < p->n; i++)
		n += p->e[i].up && !p->e[i].draining && !p->e[i].lost;
	return n;
}

bool
mediad_pool_usable(struct mediad_pool *p, const char *id)
{
	struct mediad_entry *e = mediad_pool_find(p, id);

	return e != NULL && e->up && !e->draining && !e->lost;
}

void
mediad_pool_set_lost_h(struct mediad_pool *p, mediad_lost_h *h, void *arg)
{
	p->lost_h = h;
	p->lost_arg = arg;
}

void
mediad_pool_set_drain(struct mediad_pool *p, const char *id, bool on, const char *by)
{
	struct mediad_entry *e = mediad_pool_find(p, id);

	if (e == NULL || e->draining == on)
		return;
	e->draining = on;
	/* at info whatever the level: an operator's action is always worth a line */
	log_infox("mediad_%s id=%s by=%s effect=%s", on ? "drained" : "undrained", LOG_Q(id),
	    LOG_Q(by), LOG_Q(on ? "no new calls; its calls stay or move ([media] drained_calls)" :
	    "takes new calls"));
	if (on && p->lost_h != NULL)
		p->lost_h(e->id, true, p->lost_arg);
}

/* e is lost: its calls are the handler's. Once, until it answers again. */
static void
lost_report(struct mediad_pool *p, struct mediad_entry *e, uint64_t now, const char *why)
{
	e->lost = true;
	log_warnx("mediad_lost id=%s reason=%s silent_ms=%llu action=%s", LOG_Q(e->id), why,
	    (unsigned long long)(now - e->last_ok_ms), LOG_Q("its calls are handed on"));
	if (p->lost_h != NULL)
		p->lost_h(e->id, false, p->lost_arg);
}

/* Silent for mediad_dead_ms: lost. */
static void
lost_check(struct mediad_pool *p, struct mediad_entry *e, uint64_t now)
{
	if (e->up || e->lost || p->sp == NULL || now - e->last_ok_ms < p->sp->cfg.mediad_dead_ms)
		return;
	lost_report(p, e, now, "no-ng-reply");
}

/*
 * A mediad whose registration is gone (deregistered at shutdown, or expired) is forgotten:
 * no new calls, and no pings either (they would go on forever). Calls it holds keep its
 * address in their dialogs. If it registers again it comes back as a new entry. One that
 * had stopped answering too is lost first: its calls move (one stopped on purpose, which
 * answered to the end, is expected back and restores its calls).
 */
static void
pool_remove(struct mediad_pool *p, unsigned i, const char *why)
{
	if (!p->e[i].up && !p->e[i].lost)
		lost_report(p, &p->e[i], time_mono_ms(), why);
	/* its ping's retransmissions stop too */
	if (p->e[i].ping_req != NULL) {
		ng_req_cancel(p->e[i].ping_req);
		free(p->e[i].ping_ctx);
	}
	log_warnx("mediad_removed id=%s reason=%s", LOG_Q(p->e[i].id), why);
	p->e[i] = p->e[--p->n];
}

unsigned
mediad_pool_registered_count(const struct mediad_pool *p)
{
	unsigned i, n = 0;

	for (i = 0; p != NULL && i < p->n; i++)
		n += strcmp(p->e[i].id, "static") != 0;
	return n;
}

struct ping_ctx {
	struct mediad_pool *p;
	char id[64];
};

static void
ping_done(const struct bencode_item *reply, void *arg)
{
	struct ping_ctx *x = arg;
	struct mediad_entry *e = mediad_pool_find(x->p, x->id);

	if (e != NULL) {
		e->ping_pending = false;
		e->ping_req = NULL;
		e->ping_ctx = NULL;
		if (reply != NULL && bencode_str_eq(bencode_dict_get(reply, "result"), "pong")) {
			mediad_pool_mark_ok(x->p, x->id);
		} else if (e->up) {
			/* a mediad that dies between calls is seen here, not by the next call */
			mediad_pool_mark_down(x->p, x->id);
		} else {
			e->ok_streak = 0;
		}
		if (reply == NULL)
			lost_check(x->p, e, time_mono_ms());
	}
	free(x);
}

static void
hgetall_done(struct redisReply *r, void *arg)
{
	struct ping_ctx *x = arg;
	const char *id = NULL, *ng = NULL, *drain = NULL, *drain_by = NULL;
	unsigned load = 0;
	struct sa a;
	size_t i;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i + 1 < r->elements; i += 2) {
			const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

			if (k == NULL || v == NULL)
				continue;
			if (strcmp(k, "id") == 0)
				id = v;
			else if (strcmp(k, "ng") == 0)
				ng = v;
			else if (strcmp(k, "load") == 0)
				load = (unsigned)strtoul(v, NULL, 10);
			else if (strcmp(k, "drain") == 0)
				drain = v;
			else if (strcmp(k, "drain_by") == 0)
				drain_by = v;
		}
		if (id != NULL && ng != NULL && sa_parse(&a, ng, 2223) == 0 &&
		    mediad_pool_update(x->p, id, &a, load) == 0)
			mediad_pool_set_drain(x->p, id, drain != NULL && strcmp(drain, "yes") == 0,
			    drain_by != NULL ? drain_by : "registration");
		/* In the set but its registration expired: a mediad that is gone for good. */
		if (r->elements == 0 && x->p->sp != NULL) {
			(void)redis_cmd(x->p->sp->redis, NULL, NULL, "SREM %s %s", SBC_KEY_MEDIADS,
			    x->id);
			for (i = 0; i < x->p->n; i++)
				if (strcmp(x->p->e[i].id, x->id) == 0)
					pool_remove(x->p, i, "registration-expired");
		}
	}
	free(x);
}

/* SMEMBERS of the registry set: read each registration (the replies come back in order). */
static void
members_done(struct redisReply *r, void *arg)
{
	struct mediad_pool *p = arg;
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	p->scan_done = true;
	for (i = 0; i < r->elements; i++) {
		const char *id = r->element[i]->str;
		struct ping_ctx *x;

		if (id == NULL || strlen(id) >= sizeof(x->id))
			continue;
		x = calloc(1, sizeof(*x));
		if (x == NULL)
			return;
		x->p = p;
		snprintf(x->id, sizeof(x->id), "%s", id);
		if (redis_cmd(p->sp->redis, hgetall_done, x, "HGETALL %s%s", SBC_KEY_MEDIAD_PREFIX,
		    id))
			free(x);
	}
	redis_flush(p->sp->redis);   /* mediad liveness: not held back with record writes */
}

static void
pool_tick(evutil_socket_t fd, short what, void *arg)
{
	struct mediad_pool *p = arg;
	struct sp *sp = p->sp;
	struct timeval tv;
	uint64_t now = time_mono_ms();
	unsigned i;

	if (sp->redis != NULL && redis_conn_state(sp->redis) == REDIS_STATE_CONNECTED) {
		/* out of the registry set: deregistered or expired, gone either way */
		for (i = 0; p->scan_done && i < p->n; i++) {
			if (!p->e[i].seen && strcmp(p->e[i].id, "static") != 0) {
				pool_remove(p, i--, "registration-gone");
				continue;
			}
			p->e[i].seen = false;
		}
		p->scan_done = false;
		redis_cmd(sp->redis, members_done, p, "SMEMBERS %s", SBC_KEY_MEDIADS);
		redis_flush(sp->redis);
	}
	for (i = 0; i < p->n; i++) {
		struct mediad_entry *e = &p->e[i];
		struct bencode_arena a;
		struct bencode_item *d;
		struct ping_ctx *x;

		lost_check(p, e, now);
		/* every mediad, up or not: one that dies between calls must be noticed */
		if (e->ping_pending)
			continue;
		x = calloc(1, sizeof(*x));
		if (x == NULL)
			continue;
		x->p = p;
		snprintf(x->id, sizeof(x->id), "%s", e->id);
		bencode_arena_init(&a);
		d = bencode_dict(&a);
		if (d == NULL || bencode_dict_add_cstr(&a, d, "command", "ping") ||
		    ng_client_send(sp->ng, &e->ng, d, ping_done, x, &e->ping_req)) {
			free(x);
		} else {
			e->ping_pending = true;
			e->ping_ctx = x;
		}
		bencode_arena_free(&a);
	}
	tv = timeval_from_ms(sp->cfg.mediad_refresh_ms);
	evtimer_add(p->timer, &tv);
}

int
mediad_pool_alloc(struct mediad_pool **pp, struct sp *sp)
{
	struct mediad_pool *p;
	struct sa a;
	int err = 0;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ENOMEM;
	p->sp = sp;
	p->up_after = sp ? sp->cfg.mediad_up_after : 3;
	if (sp == NULL)
		goto out;
	if (sp->cfg.mediad_static[0] != '\0' && sa_parse(&a, sp->cfg.mediad_static, 2223) == 0)
		mediad_pool_update(p, "static", &a, 0);
	if (sp->base != NULL) {
		p->timer = evtimer_new(sp->base, pool_tick, p);
		if (p->timer == NULL) {
			err = ENOMEM;
			goto out;
		}
		pool_tick(-1, 0, p);
	}
 out:
	if (err)
		mediad_pool_free(p);
	else
		*pp = p;
	return err;
}

void
mediad_pool_free(struct mediad_pool *p)
{
	if (p == NULL)
		return;
	if (p->timer)
		event_free(p->timer);
	free(p);
}
