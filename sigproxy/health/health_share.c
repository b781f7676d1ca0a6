/* SPDX-License-Identifier: BSD-2-Clause */
/* Backend health shared through Redis: sbc:backend:<name> out (our observation, our hold-downs), the newest in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "health_int.h"
#include "log.h"

/* States as written (index: enum health_state). */
static const char *const wire_states[] = { "unknown", "up", "down" };

/*
 * The key outlives its last writer by three probe periods and a hold-down, so a hold-down
 * written by one instance is seen by the others for as long as it lasts.
 */
static unsigned
share_ttl_s(const struct sp_config *cfg)
{
	return (3u * cfg->health_interval_ms + cfg->holddown_ms) / 1000u + 5u;
}

bool
health_share_fresh(const struct backend *b)
{
	int64_t age = health_wall_ms() - b->shared_checked_ms;

	/* three probe periods (and a second of clock skew either way) */
	return b->shared_checked_ms != 0 && age >= -1000 &&
	    age <= 3 * (int64_t)b->h->sp->cfg.health_interval_ms + 1000;
}

void
health_share_publish(struct backend *b)
{
	struct sp *sp = b->h->sp;
	char key[300], since[24], checked[24], last[16], ok[16], fail[16], ttl[16];

	if (!sp_redis_up(sp))
		return;
	/*
	 * The newest observation wins, but an instance without a verdict of its own (it has
	 * just started) does not cover up another's fresh verdict with "unknown".
	 */
	if (b->state == HEALTH_UNKNOWN && health_share_fresh(b) &&
	    b->shared_state != HEALTH_UNKNOWN && strcmp(b->shared_by, sp->cfg.instance_id) != 0)
		return;
	snprintf(key, sizeof(key), "%s%s", HEALTH_KEY_PREFIX, b->uri);
	snprintf(since, sizeof(since), "%lld", (long long)b->since_s);
	snprintf(checked, sizeof(checked), "%lld", (long long)health_wall_ms());
	if (b->last == HEALTH_NO_ANSWER)
		snprintf(last, sizeof(last), "timeout");
	else if (b->last == HEALTH_SEND_FAILED)
		snprintf(last, sizeof(last), "send_failed");
	else
		snprintf(last, sizeof(last), "%d", b->last);
	snprintf(ok, sizeof(ok), "%u", b->ok);
	snprintf(fail, sizeof(fail), "%u", b->fail);
	snprintf(ttl, sizeof(ttl), "%u", share_ttl_s(&sp->cfg));
	redis_cmd(sp->redis, NULL, NULL, "HSET %s state %s since %s checked_ms %s last_probe %s "
	    "ok %s fail %s probe_up_on %s instance %s", key, wire_states[b->state], since, checked,
	    last, ok, fail, b->up_on_any ? "any" : "200", sp->cfg.instance_id);
	redis_cmd(sp->redis, NULL, NULL, "EXPIRE %s %s", key, ttl);
}

void
health_share_hold(struct backend *b, const char *why)
{
	struct sp *sp = b->h->sp;
	char key[300], until[24], ttl[16];

	if (!sp_redis_up(sp))
		return;
	snprintf(key, sizeof(key), "%s%s", HEALTH_KEY_PREFIX, b->uri);
	snprintf(until, sizeof(until), "%lld",
	    (long long)(health_wall_ms() + sp->cfg.holddown_ms));
	snprintf(ttl, sizeof(ttl), "%u", share_ttl_s(&sp->cfg));
	redis_cmd(sp->redis, NULL, NULL, "HSET %s holddown_until_ms %s holddown_by %s "
	    "holddown_reason %s", key, until, sp->cfg.instance_id, why);
	redis_cmd(sp->redis, NULL, NULL, "EXPIRE %s %s", key, ttl);
}

static enum health_state
wire_state_parse(const char *s)
{
	if (strcmp(s, "up") == 0)
		return HEALTH_UP;
	if (strcmp(s, "down") == 0)
		return HEALTH_DOWN;
	return HEALTH_UNKNOWN;
}

static void
read_done(struct redisReply *r, void *arg)
{
	struct backend *b = arg;
	const char *me = b->h->sp->cfg.instance_id;
	enum health_state st = HEALTH_UNKNOWN, was = b->shared_state;
	int64_t checked = 0, hold = 0;
	char by[sizeof(b->shared_by)] = "";
	size_t i;

	b->read_pending = false;
	/* no answer (Redis gone): keep what we had; it goes stale by itself */
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "state") == 0)
			st = wire_state_parse(v);
		else if (strcmp(k, "checked_ms") == 0)
			checked = strtoll(v, NULL, 10);
		else if (strcmp(k, "holddown_until_ms") == 0)
			hold = strtoll(v, NULL, 10);
		else if (strcmp(k, "instance") == 0)
			snprintf(by, sizeof(by), "%s", v);
	}
	b->shared_state = st;
	b->shared_checked_ms = checked;
	b->shared_holddown_ms = hold;
	snprintf(b->shared_by, sizeof(b->shared_by), "%s", by);
	/* what another instance saw, once per change: the line that explains our choice */
	if (st != was && by[0] != '\0' && strcmp(by, me) != 0 && health_share_fresh(b))
		log_info("backend_shared target=%s state=%s by=%s", b->uri, wire_states[st], by);
}

void
health_share_read(struct backend *b)
{
	struct sp *sp = b->h->sp;

	if (b->read_pending || !sp_redis_up(sp))
		return;
	if (redis_cmd(sp->redis, read_done, b, "HGETALL %s%s", HEALTH_KEY_PREFIX, b->uri) == 0)
		b->read_pending = true;
}
