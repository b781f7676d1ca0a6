/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The consumer group "sigproxy" over sbc:events (mediad) and sbc:control (operators):
 * every instance reads it as the consumer named by its id, so each entry goes to exactly
 * one of them. An entry about a call another live instance set up is handed to that
 * instance (XCLAIM into its pending list: it holds the call's connections); entries a
 * crashed instance held are claimed after CLAIM_IDLE_MS; an entry is acknowledged once
 * carried out or refused. Polled without blocking: a blocking read would hold up every
 * command behind it on the shared connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "dialog.h"
#include "hangup_int.h"
#include "log.h"
#include "redis_keys.h"
#include "timeutil.h"

#define POLL_MS		250u	/* how soon a new entry is seen */
#define CLAIM_EVERY	8u	/* polls between claims of a crashed instance's entries (2 s) */
#define CLAIM_IDLE_MS	10000u	/* pending this long at another consumer: it is gone */
#define ALIVE_IDLE_MS	3000u	/* a consumer that read this recently is running */
/* Older entries are acknowledged unread: an operator's request does not run minutes late,
 * and a media timeout from before a long outage of every sigproxy still ends its call. */
#define CONTROL_MAX_AGE_MS 60000u
#define EVENTS_MAX_AGE_MS 600000u
#define ENTRY_FIELDS_MAX 16

static const char *const streams[2] = { SBC_KEY_EVENTS, SBC_KEY_CONTROL };

/* One entry being carried out. */
struct entry_ctx {
	struct hangup *k;
	const char *stream;		/* one of streams[] */
	char id[48];
	unsigned n;
	char *f[ENTRY_FIELDS_MAX], *v[ENTRY_FIELDS_MAX];	/* owned copies */
};

static void
ctx_free(struct entry_ctx *x)
{
	unsigned i;

	for (i = 0; i < x->n; i++) {
		free(x->f[i]);
		free(x->v[i]);
	}
	free(x);
}

static bool
inflight_has(const struct hangup *k, const char *id)
{
	unsigned i;

	for (i = 0; i < HANGUP_INFLIGHT_MAX; i++)
		if (k->inflight[i][0] != '\0' && strcmp(k->inflight[i], id) == 0)
			return true;
	return false;
}

static bool
inflight_add(struct hangup *k, const char *id)
{
	unsigned i;

	for (i = 0; i < HANGUP_INFLIGHT_MAX; i++)
		if (k->inflight[i][0] == '\0') {
			snprintf(k->inflight[i], sizeof(k->inflight[i]), "%s", id);
			return true;
		}
	return false;
}

static void
inflight_del(struct hangup *k, const char *id)
{
	unsigned i;

	for (i = 0; i < HANGUP_INFLIGHT_MAX; i++)
		if (strcmp(k->inflight[i], id) == 0)
			k->inflight[i][0] = '\0';
}

static void
ack(struct hangup *k, const char *stream, const char *id)
{
	struct sp *sp = k->sp;

	if (sp_redis_up(sp))
		(void)redis_cmd(sp->redis, NULL, NULL, "XACK %s %s %s", stream, SBC_GROUP_SIGPROXY,
		    id);
}

static void
entry_done(int err, void *arg)
{
	struct entry_ctx *x = arg;

	inflight_del(x->k, x->id);
	/* an entry that failed for want of memory stays pending: it is claimed again later */
	if (err != ENOMEM && !x->k->stopping)
		ack(x->k, x->stream, x->id);
	ctx_free(x);
}

static void
entry_run(struct entry_ctx *x)
{
	hangup_entry_run(x->k, x->stream, x->id, (const char *const *)x->f,
	    (const char *const *)x->v, x->n, entry_done, x);
	log_set_call_id(NULL);
}

static bool
consumer_alive(const struct hangup *k, const char *name)
{
	unsigned i;

	for (i = 0; i < k->nalive; i++)
		if (strcmp(k->alive[i], name) == 0)
			return true;
	return false;
}

/* HGET owner of the entry's call: handed to that instance when it runs, else done here. */
static void
owner_done(struct redisReply *r, void *arg)
{
	struct entry_ctx *x = arg;
	struct hangup *k = x->k;
	const char *owner = r != NULL && r->type == REDIS_REPLY_STRING ? r->str : NULL;

	if (k->stopping) {
		inflight_del(k, x->id);
		ctx_free(x);
		return;
	}
	if (owner != NULL && strcmp(owner, k->sp->cfg.instance_id) != 0 &&
	    consumer_alive(k, owner) && sp_redis_up(k->sp) &&
	    redis_cmd(k->sp->redis, NULL, NULL, "XCLAIM %s %s %s 0 %s", x->stream,
	    SBC_GROUP_SIGPROXY, owner, x->id) == 0) {
		metric_inc(k->ctr.handed);
		log_info("stream_entry_handed id=%s stream=%s to=%s", x->id, x->stream,
		    LOG_ESCW(owner));
		inflight_del(k, x->id);
		ctx_free(x);
		return;
	}
	entry_run(x);
}

/* Entry e ([id, [field, value...]]) of stream; may_hand: not handed to us already. */
static void
entry_take(struct hangup *k, const char *stream, const struct redisReply *e, bool may_hand)
{
	const struct redisReply *fv;
	struct entry_ctx *x;
	struct sp_call *c;
	const char *id, *call_id;
	unsigned long long ms;
	uint64_t now_ms = (uint64_t)time_wall_s() * 1000u;
	unsigned i, max_age = stream == streams[0] ? EVENTS_MAX_AGE_MS : CONTROL_MAX_AGE_MS;
	bool fail = false;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->str == NULL ||
	    strlen(e->element[0]->str) >= sizeof(x->id))
		return;
	id = e->element[0]->str;
	if (inflight_has(k, id))
		return;
	fv = e->element[1];
	/* trimmed from the stream while pending: nothing left to do */
	if (fv->type != REDIS_REPLY_ARRAY) {
		ack(k, stream, id);
		return;
	}
	ms = strtoull(id, NULL, 10);
	if (ms + max_age < now_ms) {
		hangup_refuse(k, HANGUP_REFUSED_STALE, stream, NULL, "entry older than the age limit");
		ack(k, stream, id);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL || !inflight_add(k, id)) {
		free(x);
		return;	/* read again at the next poll */
	}
	x->k = k;
	x->stream = stream;
	snprintf(x->id, sizeof(x->id), "%s", id);
	for (i = 0; i + 1 < fv->elements && x->n < ENTRY_FIELDS_MAX; i += 2) {
		if (fv->element[i]->str == NULL || fv->element[i + 1]->str == NULL)
			continue;
		x->f[x->n] = strdup(fv->element[i]->str);
		x->v[x->n] = strdup(fv->element[i + 1]->str);
		fail |= x->f[x->n] == NULL || x->v[x->n] == NULL;
		x->n++;
	}
	if (fail) {
		inflight_del(k, id);
		ctx_free(x);
		return;
	}
	call_id = hangup_entry_call_id((const char *const *)x->f, (const char *const *)x->v, x->n);
	c = call_id != NULL ? dialog_find(k->sp, call_id) : NULL;
	/* held here, or nobody to hand it to: carried out here */
	if (!may_hand || call_id == NULL || (c != NULL && !c->loaded) || k->nalive < 2 ||
	    strlen(call_id) >= SP_CALL_ID_MAX ||
	    redis_cmd(k->sp->redis, owner_done, x, "HGET %s%s owner", SBC_KEY_CALL_PREFIX,
	    call_id) != 0) {
		entry_run(x);
		return;
	}
	redis_flush(k->sp->redis);
}

/* XREADGROUP / XAUTOCLAIM replies: every entry of every stream in them. */
static void
entries_take(struct hangup *k, const struct redisReply *r, bool may_hand)
{
	size_t i, j;

	for (i = 0; i < r->elements; i++) {
		const struct redisReply *s = r->element[i];
		const char *stream;

		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 || s->element[0]->str == NULL ||
		    s->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		stream = strcmp(s->element[0]->str, streams[0]) == 0 ? streams[0] :
		    strcmp(s->element[0]->str, streams[1]) == 0 ? streams[1] : NULL;
		if (stream == NULL)
			continue;
		for (j = 0; j < s->element[1]->elements; j++)
			entry_take(k, stream, s->element[1]->element[j], may_hand);
	}
}

void
hangup_read_done(struct redisReply *r, void *arg)
{
	struct hangup *k = arg;

	k->reading = false;
	if (k->stopping)
		return;
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		/* NOGROUP: Redis came back empty, or someone deleted the stream */
		k->group_ok = false;
		log_debug("%s: %s", __func__, r->str ? r->str : "error");
		return;
	}
	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		entries_take(k, r, true);
}

/* Our own pending entries: handed to us by another instance, or left from before. */
static void
pel_done(struct redisReply *r, void *arg)
{
	struct hangup *k = arg;

	k->reading = false;
	if (k->stopping || r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	entries_take(k, r, false);
}

/* XAUTOCLAIM: [cursor, [entries], [deleted ids]]; the entries are ours now. */
static void
claim_take(struct hangup *k, const char *stream, const struct redisReply *r)
{
	size_t j;

	if (k->stopping || r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	for (j = 0; j < r->element[1]->elements; j++) {
		metric_inc(k->ctr.claimed);
		log_info("stream_entry_claimed stream=%s reason=consumer-stopped-reading", stream);
		entry_take(k, stream, r->element[1]->element[j], false);
	}
}

/* The reply does not name its stream: one callback per stream. */
static void
claim_events_done(struct redisReply *r, void *arg)
{
	claim_take(arg, streams[0], r);
}

static void
claim_control_done(struct redisReply *r, void *arg)
{
	claim_take(arg, streams[1], r);
}

/* XINFO CONSUMERS: who read lately (an array of field/value arrays). */
static void
consumers_done(struct redisReply *r, void *arg)
{
	struct hangup *k = arg;
	size_t i, j;

	if (k->stopping || r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	k->nalive = 0;
	for (i = 0; i < r->elements && k->nalive < 16; i++) {
		const struct redisReply *c = r->element[i];
		const char *name = NULL;
		long long idle = -1;

		for (j = 0; c->type == REDIS_REPLY_ARRAY && j + 1 < c->elements; j += 2) {
			const char *f = c->element[j]->str;

			if (f == NULL)
				continue;
			if (strcmp(f, "name") == 0)
				name = c->element[j + 1]->str;
			else if (strcmp(f, "idle") == 0)
				idle = c->element[j + 1]->integer;
		}
		if (name != NULL && idle >= 0 && idle < ALIVE_IDLE_MS &&
		    strlen(name) < sizeof(k->alive[0]))
			snprintf(k->alive[k->nalive++], sizeof(k->alive[0]), "%s", name);
	}
}

static void
group_done(struct redisReply *r, void *arg)
{
	struct hangup *k = arg;

	/* BUSYGROUP: it exists already, which is all we need */
	if (r != NULL && (r->type != REDIS_REPLY_ERROR ||
	    (r->str != NULL && strncmp(r->str, "BUSYGROUP", 9) == 0)))
		return;
	k->group_ok = false;
	log_warnx("stream_group_failed error=%s",
	    LOG_Q(r != NULL && r->str ? r->str : "no reply"));
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hangup *k = arg;
	struct sp *sp = k->sp;
	struct redis_stats rs;
	const char *me = sp->cfg.instance_id;
	unsigned i;

	if (k->stopping || !sp_redis_up(sp) || k->reading)
		return;
	redis_conn_stats(sp->redis, &rs);
	if (!k->group_ok || k->connects != rs.connects) {
		/* from the start of the streams: the age limit skips what is too old */
		for (i = 0; i < 2; i++)
			(void)redis_cmd(sp->redis, group_done, k, "XGROUP CREATE %s %s 0 MKSTREAM",
			    streams[i], SBC_GROUP_SIGPROXY);
		k->group_ok = true;
		k->connects = rs.connects;
	}
	k->ticks++;
	if (k->ticks % CLAIM_EVERY == 0) {
		(void)redis_cmd(sp->redis, consumers_done, k, "XINFO CONSUMERS %s %s", streams[0],
		    SBC_GROUP_SIGPROXY);
		(void)redis_cmd(sp->redis, claim_events_done, k,
		    "XAUTOCLAIM %s %s %s %u 0-0 COUNT 16", streams[0], SBC_GROUP_SIGPROXY, me,
		    CLAIM_IDLE_MS);
		(void)redis_cmd(sp->redis, claim_control_done, k,
		    "XAUTOCLAIM %s %s %s %u 0-0 COUNT 16", streams[1], SBC_GROUP_SIGPROXY, me,
		    CLAIM_IDLE_MS);
	}
	/*
	 * New entries, or now and then ours pending (handed to us, or left from before): never
	 * both in one pass, or an entry carried out at once (its XACK queued behind the second
	 * read) would come back from the pending list and run twice.
	 */
	if (k->ticks % 4 == 2)
		k->reading = redis_cmd(sp->redis, pel_done, k,
		    "XREADGROUP GROUP %s %s COUNT 32 STREAMS %s %s 0 0", SBC_GROUP_SIGPROXY, me,
		    streams[0], streams[1]) == 0;
	else
		k->reading = redis_cmd(sp->redis, hangup_read_done, k,
		    "XREADGROUP GROUP %s %s COUNT 32 STREAMS %s %s > >", SBC_GROUP_SIGPROXY, me,
		    streams[0], streams[1]) == 0;
	redis_flush(sp->redis);
}

static const struct metrics_def hangup_defs[] = {
#define CTR(f) offsetof(struct hangup_counters, f)
#define ENDED_HELP "calls the SBC ended itself (BYE to both parties), by cause"
	{ "sigproxy_calls_ended_total", METRICS_COUNTER, "reason=\"media_timeout\"", ENDED_HELP,
	  CTR(ended[HANGUP_MEDIA_TIMEOUT]) },
	{ "sigproxy_calls_ended_total", METRICS_COUNTER, "reason=\"hangup\"", ENDED_HELP,
	  CTR(ended[HANGUP_OPERATOR]) },
	{ "sigproxy_calls_ended_total", METRICS_COUNTER, "reason=\"media_lost\"", ENDED_HELP,
	  CTR(ended[HANGUP_MEDIA_LOST]) },
#define REFUSED_HELP "media events and operator requests refused (nothing changed), by reason"
	{ "sigproxy_hangup_refused_total", METRICS_COUNTER, "reason=\"unknown\"", REFUSED_HELP,
	  CTR(refused[HANGUP_REFUSED_UNKNOWN]) },
	{ "sigproxy_hangup_refused_total", METRICS_COUNTER, "reason=\"not_answered\"",
	  REFUSED_HELP, CTR(refused[HANGUP_REFUSED_NOT_ANSWERED]) },
	{ "sigproxy_hangup_refused_total", METRICS_COUNTER, "reason=\"malformed\"", REFUSED_HELP,
	  CTR(refused[HANGUP_REFUSED_MALFORMED]) },
	{ "sigproxy_hangup_refused_total", METRICS_COUNTER, "reason=\"stale\"", REFUSED_HELP,
	  CTR(refused[HANGUP_REFUSED_STALE]) },
	{ "sigproxy_hangup_refused_total", METRICS_COUNTER, "reason=\"wrong_mediad\"",
	  REFUSED_HELP, CTR(refused[HANGUP_REFUSED_WRONG_MEDIAD]) },
	{ "sigproxy_hangup_refused_total", METRICS_COUNTER, "reason=\"media_alive\"",
	  REFUSED_HELP, CTR(refused[HANGUP_REFUSED_MEDIA_ALIVE]) },
	{ "sigproxy_stream_entries_total", METRICS_COUNTER, NULL,
	  "entries of sbc:events and sbc:control carried out or refused here", CTR(entries) },
	{ "sigproxy_stream_claimed_total", METRICS_COUNTER, NULL,
	  "entries taken over from an instance that stopped reading", CTR(claimed) },
	{ "sigproxy_stream_handed_total", METRICS_COUNTER, NULL,
	  "entries handed to the instance that holds their call", CTR(handed) },
#undef CTR
	{ NULL, 0, NULL, NULL, 0 },
};

int
hangup_alloc(struct sp *sp)
{
	struct timeval tv = timeval_from_ms(POLL_MS);
	struct hangup *k;
	int err;

	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return ENOMEM;
	k->sp = sp;
	sp->hangup = k;
	if ((err = metrics_register_table(sp->metrics, hangup_defs, &k->ctr)))
		return err;
	/* without Redis there are no streams: hangup_call alone serves */
	if (!sp->cfg.redis_enabled)
		return 0;
	k->poll = event_new(sp->base, -1, EV_PERSIST, poll_cb, k);
	if (k->poll == NULL || event_add(k->poll, &tv))
		return ENOMEM;
	return 0;
}

void
hangup_stop(struct sp *sp)
{
	if (sp->hangup != NULL)
		sp->hangup->stopping = true;
}

void
hangup_free(struct sp *sp)
{
	struct hangup *k = sp->hangup;

	if (k == NULL)
		return;
	if (k->poll != NULL)
		event_free(k->poll);
	free(k);
	sp->hangup = NULL;
}
