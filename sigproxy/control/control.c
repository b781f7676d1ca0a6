/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Operator requests from the Redis stream sbc:control, read once a second without blocking
 * (XREAD from the last entry seen; entries older than this process are not replayed): a
 * hang-up is carried out by the instance that holds the call, a drain by every instance.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "control_int.h"
#include "log.h"
#include "media.h"
#include "redis_keys.h"

int
control_alloc(struct sp *sp)
{
	struct sp_control *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return ENOMEM;
	k->sp = sp;
	sp->control = k;
	return 0;
}

void
control_free(struct sp *sp)
{
	if (sp->control == NULL)
		return;
	control_byes_free(sp->control);
	free(sp->control);
	sp->control = NULL;
}

static const char *
entry_field(const struct redisReply *fv, const char *name)
{
	size_t i;

	for (i = 0; fv != NULL && i + 1 < fv->elements; i += 2)
		if (fv->element[i]->str != NULL && strcmp(fv->element[i]->str, name) == 0)
			return fv->element[i + 1]->str;
	return NULL;
}

/* One request: [id, [field, value, ...]]. */
static void
entry_run(struct sp_control *k, const struct redisReply *e)
{
	struct sp *sp = k->sp;
	const struct redisReply *fv;
	const char *cmd, *by, *arg;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->str == NULL)
		return;
	snprintf(k->last_id, sizeof(k->last_id), "%s", e->element[0]->str);
	fv = e->element[1];
	cmd = entry_field(fv, "cmd");
	by = entry_field(fv, "by");
	if (by == NULL)
		by = "?";
	if (cmd != NULL && strcmp(cmd, "hangup") == 0 &&
	    (arg = entry_field(fv, "call_id")) != NULL) {
		if (control_hangup(sp, arg, by) == 0)
			metric_inc(sp->ctr.control_hangups);
		return;
	}
	if (cmd != NULL && (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0) &&
	    (arg = entry_field(fv, "mediad")) != NULL) {
		/* the flag itself is in the registration: applied here now, read there always */
		mediad_pool_set_drain(sp->pool, arg, strcmp(cmd, "drain") == 0, by);
		metric_inc(sp->ctr.control_hangups);
		return;
	}
	metric_inc(sp->ctr.control_refused);
	log_warnx("control_refused id=%s cmd=%s by=%s reason=%s", LOG_ESCW(k->last_id),
	    LOG_ESCW(cmd ? cmd : "-"), LOG_ESCW(by), LOG_Q("unknown command or missing argument"));
}

void
control_read_done(struct redisReply *r, void *arg)
{
	struct sp_control *k = arg;
	size_t i, j;

	k->pending = false;
	/* XREAD: [[key, [entry, ...]]], nil when nothing is new */
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < r->elements; i++) {
		const struct redisReply *s = r->element[i];

		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		for (j = 0; j < s->element[1]->elements; j++)
			entry_run(k, s->element[1]->element[j]);
	}
}

/* XREVRANGE ... COUNT 1: where the stream ends now; older requests are not ours to run. */
static void
start_done(struct redisReply *r, void *arg)
{
	struct sp_control *k = arg;

	k->pending = false;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	if (r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements > 0 && r->element[0]->element[0]->str != NULL)
		snprintf(k->last_id, sizeof(k->last_id), "%s", r->element[0]->element[0]->str);
	else
		snprintf(k->last_id, sizeof(k->last_id), "0-0");
}

void
control_poll(struct sp *sp)
{
	struct sp_control *k = sp->control;
	int err;

	if (k == NULL || k->pending || !sp_redis_up(sp))
		return;
	if (k->last_id[0] == '\0')
		err = redis_cmd(sp->redis, start_done, k, "XREVRANGE %s + - COUNT 1",
		    SBC_KEY_CONTROL);
	else
		err = redis_cmd(sp->redis, control_read_done, k, "XREAD COUNT 32 STREAMS %s %s",
		    SBC_KEY_CONTROL, k->last_id);
	if (err == 0) {
		k->pending = true;
		redis_flush(sp->redis);
	}
}
