/* SPDX-License-Identifier: BSD-2-Clause */
/* Backend health: the backends of the routes, the probe period, "may this target get a call", our own OPTIONS answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "health_int.h"
#include "log.h"
#include "media.h"
#include "timeutil.h"

static struct backend *
backend_of(struct health *h, const struct route_target *t)
{
	return h != NULL ? health_backend_find(h, t->uri) : NULL;
}

bool
health_target_up(struct health *h, const struct route_target *t)
{
	struct backend *b = backend_of(h, t);

	if (b == NULL)
		return true;
	return !health_backend_held(b) && health_backend_state(b) != HEALTH_DOWN;
}

/* For OPTIONS to us: known up; or, when nobody probes it, not known bad (passive only). */
static bool
target_healthy(struct health *h, const struct route_target *t)
{
	struct backend *b = backend_of(h, t);

	if (b == NULL)
		return true;
	if (health_backend_held(b))
		return false;
	switch (health_backend_state(b)) {
	case HEALTH_UP:
		return true;
	case HEALTH_DOWN:
		return false;
	default:
		return !b->probed;
	}
}

void
health_target_failed(struct health *h, const struct route_target *t, const char *why)
{
	struct backend *b = backend_of(h, t);

	if (b != NULL)
		health_backend_hold(b, why);
}

void
health_count(const struct health *h, unsigned *up, unsigned *down, unsigned *unknown)
{
	unsigned i, n[3] = { 0, 0, 0 };

	for (i = 0; h != NULL && i < h->n; i++)
		n[health_backend_state(&h->b[i])]++;
	*unknown = n[HEALTH_UNKNOWN];
	*up = n[HEALTH_UP];
	*down = n[HEALTH_DOWN];
}

static void
health_tick(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	struct sp *sp = h->sp;
	struct timeval tv = timeval_from_ms(sp->cfg.health_interval_ms);
	unsigned i;

	for (i = 0; i < h->n; i++) {
		if (h->b[i].probed)
			health_probe_send(&h->b[i]);
		health_share_read(&h->b[i]);
	}
	/* the reads decide calls: not held back with the record writes */
	if (sp_redis_up(sp))
		redis_flush(sp->redis);
	evtimer_add(h->timer, &tv);
}

/* The backends of every route, once each, in file order. */
static void
backends_collect(struct health *h)
{
	struct sp *sp = h->sp;
	unsigned i, j;

	for (i = 0; i < route_table_count(sp->cfg.routes); i++) {
		const struct route_rule *r = route_table_rule(sp->cfg.routes, i);

		for (j = 0; j < r->ntargets && h->n < HEALTH_MAX; j++) {
			const struct route_target *t = &r->targets[j];
			struct backend *b;

			if (health_backend_find(h, t->uri) != NULL)
				continue;
			b = &h->b[h->n];
			if (sa_parse_ip(&b->addr, t->host, strlen(t->host), t->port))
				continue;
			b->h = h;
			snprintf(b->uri, sizeof(b->uri), "%s", t->uri);
			b->tp = t->transport;
			b->side = i < 64 ? sp->cfg.route_side[i] : SP_SIDE_INSIDE;
			/* routes that share a target agree on these (sp_config_load checks) */
			b->probed = sp_route_probed(&sp->cfg, r);
			b->up_on_any = sp_route_up_on_any(&sp->cfg, r);
			b->since_s = time_wall_s();
			h->n++;
		}
	}
}

int
health_alloc(struct health **hp, struct sp *sp)
{
	struct health *h;
	int err = 0;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ENOMEM;
	h->sp = sp;
	backends_collect(h);
	if (sp->base != NULL) {
		struct timeval tv = timeval_from_ms(200);

		h->timer = evtimer_new(sp->base, health_tick, h);
		if (h->timer == NULL) {
			err = ENOMEM;
			goto out;
		}
		evtimer_add(h->timer, &tv);
	}
 out:
	if (err)
		health_free(h);
	else
		*hp = h;
	return err;
}

void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	if (h->timer)
		event_free(h->timer);
	free(h);
}

/* Whether some target of r is healthy. */
static bool
rule_healthy(struct health *h, const struct route_rule *r)
{
	unsigned j;

	for (j = 0; j < r->ntargets; j++)
		if (target_healthy(h, &r->targets[j]))
			return true;
	return false;
}

int
health_self_status(struct sp *sp, const struct sip_msg *m, const char *listener)
{
	const struct route_rule *rule;
	char user[ROUTE_USER_MAX];
	const char *u;
	size_t ulen = 0;
	unsigned i;

	if (sp->cfg.redis_enabled && !sp_redis_up(sp))
		return 503;
	if (sp->pool == NULL || mediad_pool_up_count(sp->pool) == 0)
		return 503;
	/* OPTIONS for a routed number asks about that route's targets only */
	u = m != NULL ? sip_msg_ruri_user(m, &ulen) : NULL;
	if (u != NULL && ulen > 0 &&
	    route_match(sp->cfg.routes, u, ulen, listener, &rule, user, sizeof(user)) == 0)
		return rule_healthy(sp->health, rule) ? 200 : 503;
	for (i = 0; i < route_table_count(sp->cfg.routes); i++)
		if (rule_healthy(sp->health, route_table_rule(sp->cfg.routes, i)))
			return 200;
	return 503;
}
