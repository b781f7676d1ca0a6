/* SPDX-License-Identifier: BSD-2-Clause */
/* Backend health: OPTIONS probes, hold-down after failed INVITEs, sbc:backend:<name>, our own OPTIONS answer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "health.h"
#include "log.h"
#include "media.h"
#include "rand.h"
#include "send.h"
#include "timeutil.h"

#define HEALTH_MAX 64

/*
 * A backend that never answered a probe stays "unknown" and is used: platforms that
 * ignore OPTIONS rely on passive detection (a timed-out INVITE holds it down).
 */
enum hstate {
	H_UNKNOWN = 0,
	H_UP,
	H_DOWN,
};

struct backend {
	char uri[256];
	enum tp_proto tp;
	struct sa addr;
	enum sp_side side;
	enum hstate state;
	bool probe_out;
	char branch[48];
	uint32_t cseq;
	uint64_t holddown_until;
};

struct health {
	struct sp *sp;
	struct backend b[HEALTH_MAX];
	unsigned n;
	struct event *timer;
};

static const char *const hnames[] = { "unknown", "up", "down" };

unsigned
health_backends_up(const struct health *h, unsigned *total)
{
	uint64_t now = time_mono_ms();
	unsigned i, up = 0;

	for (i = 0; h != NULL && i < h->n; i++)
		up += h->b[i].state == H_UP && now >= h->b[i].holddown_until;
	*total = h != NULL ? h->n : 0;
	return up;
}

static struct backend *
backend_find(struct health *h, const struct route_target *t)
{
	unsigned i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->b[i].uri, t->uri) == 0)
			return &h->b[i];
	return NULL;
}

static void
backend_publish(struct health *h, struct backend *b)
{
	struct sp *sp = h->sp;
	char key[300], ttl[16];

	if (!sp_redis_up(sp))
		return;
	snprintf(key, sizeof(key), "sbc:backend:%s", b->uri);
	snprintf(ttl, sizeof(ttl), "%u", sp->cfg.health_interval_ms * 3 / 1000 + 5);
	redis_cmd(sp->redis, NULL, NULL, "HSET %s state %s holddown %s checked %lld instance %s",
	    key, hnames[b->state], time_mono_ms() < b->holddown_until ? "yes" : "no",
	    (long long)time_wall_s(), sp->cfg.instance_id);
	redis_cmd(sp->redis, NULL, NULL, "EXPIRE %s %s", key, ttl);
}

static void
backend_set(struct health *h, struct backend *b, enum hstate s, const char *why)
{
	if (b->state == s)
		return;
	if (s == H_DOWN || b->state == H_DOWN)
		log_info("backend_%s target=%s reason=%s", s == H_DOWN ? "down" : "up",
		    LOG_Q(b->uri), LOG_Q(why));
	b->state = s;
	backend_publish(h, b);
}

bool
health_target_up(struct health *h, const struct route_target *t)
{
	struct backend *b = h ? backend_find(h, t) : NULL;

	if (b == NULL)
		return true;
	if (time_mono_ms() < b->holddown_until)
		return false;
	return b->state != H_DOWN;
}

void
health_target_failed(struct health *h, const struct route_target *t)
{
	struct backend *b = h ? backend_find(h, t) : NULL;

	if (b == NULL || h->sp->cfg.holddown_ms == 0)
		return;
	b->holddown_until = time_mono_ms() + h->sp->cfg.holddown_ms;
	log_warnx("backend_holddown target=%s ms=%u reason=\"INVITE timed out\"", b->uri,
	    h->sp->cfg.holddown_ms);
	backend_publish(h, b);
}

bool
health_response(struct health *h, const struct sip_msg *m)
{
	struct sip_via v;
	unsigned i;

	if (h == NULL || sip_msg_method_id(m) != SIP_METHOD_OPTIONS || sip_msg_via(m, 0, &v) ||
	    v.branch == NULL)
		return false;
	for (i = 0; i < h->n; i++) {
		struct backend *b = &h->b[i];

		if (strcmp(b->branch, v.branch) != 0)
			continue;
		if (sip_msg_status(m) >= 200) {
			b->probe_out = false;
			/* any answer proves the platform is alive (some answer OPTIONS with 4xx) */
			backend_set(h, b, H_UP, "answered OPTIONS");
		}
		return true;
	}
	return false;
}

static void
probe(struct health *h, struct backend *b)
{
	struct sp *sp = h->sp;
	struct sp_listener *out = send_listener_for(sp, b->side, b->tp);
	char buf[1024], tag[32], ip[SA_STRLEN], cid[160];
	struct sip_hop via;
	size_t len;

	if (out == NULL)
		return;
	if (b->probe_out && b->state == H_UP)
		backend_set(h, b, H_DOWN, "no answer to OPTIONS");
	snprintf(b->branch, sizeof(b->branch), "z9hG4bKhc%016" PRIx64, rand_u64());
	snprintf(tag, sizeof(tag), "%08" PRIx64, rand_u64() & 0xffffffffu);
	b->cseq++;
	sa_format(&b->addr, ip, sizeof(ip));
	snprintf(cid, sizeof(cid), "hc-%s-%s", sp->cfg.instance_id, b->branch + 9);
	/* a stream leaving from a side without such a listener still says what it is */
	via = out->hop;
	via.transport = b->tp;
	if (sip_build_options(buf, sizeof(buf), &len, ip, &via, b->branch, tag, cid, b->cseq))
		return;
	if (send_to(sp, b->side, b->tp, &b->addr, NULL, buf, len, NULL) == 0)
		b->probe_out = true;
}

static void
health_tick(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	unsigned i;
	struct timeval tv = timeval_from_ms(h->sp->cfg.health_interval_ms);

	for (i = 0; i < h->n; i++) {
		if (h->sp->cfg.health_probe)
			probe(h, &h->b[i]);
		backend_publish(h, &h->b[i]);
	}
	evtimer_add(h->timer, &tv);
}

int
health_alloc(struct health **hp, struct sp *sp)
{
	struct health *h;
	unsigned i, j;
	int err = 0;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ENOMEM;
	h->sp = sp;
	for (i = 0; i < route_table_count(sp->cfg.routes); i++) {
		const struct route_rule *r = route_table_rule(sp->cfg.routes, i);

		for (j = 0; j < r->ntargets && h->n < HEALTH_MAX; j++) {
			const struct route_target *t = &r->targets[j];
			struct backend *b;

			if (backend_find(h, t) != NULL)
				continue;
			b = &h->b[h->n];
			if (sa_parse_ip(&b->addr, t->host, strlen(t->host), t->port))
				continue;
			snprintf(b->uri, sizeof(b->uri), "%s", t->uri);
			b->tp = t->transport;
			b->side = i < 64 ? sp->cfg.route_side[i] : SP_SIDE_INSIDE;
			h->n++;
		}
	}
	if (sp->base != NULL) {
		h->timer = evtimer_new(sp->base, health_tick, h);
		if (h->timer == NULL) {
			err = ENOMEM;
			goto out;
		}
		struct timeval tv = timeval_from_ms(200);

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

int
health_self_status(struct sp *sp, const struct sip_msg *m)
{
	const struct route_rule *rule;
	char user[ROUTE_USER_MAX];
	const char *u;
	size_t ulen = 0;
	unsigned i, j;

	if (sp->cfg.redis_enabled && !sp_redis_up(sp))
		return 503;
	if (sp->pool == NULL || mediad_pool_up_count(sp->pool) == 0)
		return 503;
	/* OPTIONS for a routed number asks about that route's targets only */
	u = m != NULL ? sip_msg_ruri_user(m, &ulen) : NULL;
	if (u != NULL && ulen > 0 &&
	    route_match(sp->cfg.routes, u, ulen, NULL, &rule, user, sizeof(user)) == 0) {
		for (j = 0; j < rule->ntargets; j++)
			if (health_target_up(sp->health, &rule->targets[j]))
				return 200;
		return 503;
	}
	for (i = 0; i < route_table_count(sp->cfg.routes); i++) {
		const struct route_rule *r = route_table_rule(sp->cfg.routes, i);

		for (j = 0; j < r->ntargets; j++)
			if (health_target_up(sp->health, &r->targets[j]))
				return 200;
	}
	return 503;
}
