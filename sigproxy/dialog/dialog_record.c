/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dialog records sbc:call:<call-id> in Redis: written as a call changes (best effort, batched),
 * read for a call another instance set up (and read again for every request while the copy
 * here is one), and the end of a call, which writes its last state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "dialog_int.h"
#include "log.h"
#include "redis_backlog.h"
#include "redis_keys.h"
#include "timeutil.h"

/* sbc:cid:<callee leg's Call-ID> -> the call's, living as long as the record. */
static void
alias_write(struct sp *sp, const struct sp_call *c, const char *ttl)
{
	char key[SP_LEG_CALL_ID_MAX + 16];
	const char *argv[5];
	size_t lens[5];
	int i;

	snprintf(key, sizeof(key), "sbc:cid:%s", c->callee_call_id);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = c->call_id;
	argv[3] = "EX";
	argv[4] = ttl;
	for (i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	if (redis_cmd_argv(sp->redis, NULL, NULL, 5, argv, lens))
		log_warnx("dialog_write_lost key=%s", LOG_ESCW(key));
}

/* One command of an ended call's record: kept until Redis acknowledges it. */
static void
dialog_write_end(struct sp *sp, int argc, const char **argv, const size_t *lens)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 1);
	int err;

	err = redis_backlog_send(sp->redis_backlog, sp->redis, argc, argv, lens);
	if (err == EAGAIN && strcmp(argv[0], "HSET") == 0)
		log_info("dialog_end_kept key=%s until=redis-back", LOG_ESCW(argv[1]));
	else if ((err == ENOBUFS || err == ENOMEM || err == EINVAL) &&
	    log_ratelimit_ok(&rl, time_mono_ms()))
		log_warnx("dialog_write_dropped key=%s reason=%s suppressed=%llu action=%s",
		    LOG_ESCW(argv[1]), err == ENOBUFS ? "backlog-full" : err == EINVAL ?
		    "too-many-arguments" : "out-of-memory", rl.suppressed,
		    LOG_Q("raise [redis] pending_max"));
}

/* A live call's command: no backlog, dialog_resync rewrites what a reconnect lost. */
static bool
argv_send(struct sp *sp, struct dialog_argv *v)
{
	return !v->full && redis_cmd_argv(sp->redis, NULL, NULL, v->n, v->argv, v->lens) == 0;
}

/* The fields a whole record has (whoever reads it must be able to carry the call on). */
static void
record_whole(struct sp *sp, const struct sp_call *c, struct dialog_argv *v)
{
	char ng[SA_STRLEN];
	const char *uac[6];
	unsigned n, i;

	if (c->has_mediad)
		sa_format(&c->mediad_ng, ng, sizeof(ng));
	else
		ng[0] = '\0';
	dialog_argv_field(v, "from_tag", c->from_tag);
	dialog_argv_field(v, "to_tag", c->to_tag);
	dialog_argv_field(v, "route", c->route);
	dialog_argv_field(v, "target", c->target);
	dialog_argv_field(v, "mediad", c->mediad_id);
	dialog_argv_fieldf(v, "mediad_ng", "%s", ng);
	dialog_argv_field(v, "caller_side", sp_side_name(c->side[0]));
	dialog_argv_field(v, "callee_side", sp_side_name(c->side[1]));
	dialog_argv_field(v, "caller_transport", c->transport[0]);
	dialog_argv_field(v, "callee_transport", c->transport[1]);
	dialog_argv_field(v, "caller_crypto", c->crypto[0][0] ? c->crypto[0] : "none");
	dialog_argv_field(v, "callee_crypto", c->crypto[1][0] ? c->crypto[1] : "none");
	dialog_argv_fieldf(v, "start", "%lld", (long long)c->start);
	dialog_argv_fieldf(v, "answer", "%lld", (long long)c->answered);
	dialog_argv_field(v, "instance", sp->cfg.instance_id);
	/* what any instance needs to route and check the call's in-dialog requests */
	dialog_argv_field(v, "caller_contact", c->remote[0] ? c->remote[0] : "");
	dialog_argv_field(v, "callee_contact", c->remote[1] ? c->remote[1] : "");
	dialog_argv_field(v, "caller_route", c->rset[0] ? c->rset[0] : "");
	dialog_argv_field(v, "callee_route", c->rset[1] ? c->rset[1] : "");
	dialog_argv_field(v, "late_branch", c->late_offer ? c->late_branch : "");
	dialog_argv_field(v, "callee_call_id", c->callee_call_id);
	/* what an operator and the compliance record need: who, from where, over what */
	dialog_fields_parties(c, v);
	/* and what any instance needs to send requests of its own (dialog_uac.c) */
	n = dialog_uac_fields(c, sp->cfg.instance_id, uac, v->num);
	for (i = 0; i < n; i += 2)
		dialog_argv_field(v, uac[i], uac[i + 1]);
}

void
dialog_write(struct sp *sp, struct sp_call *c)
{
	static struct dialog_argv v;	/* 4 KB: not on the stack (control thread only) */
	char key[SP_CALL_ID_MAX + 16], ttl[24];
	size_t klen;
	struct redis_stats rs;
	bool whole, first, ended = c->state == SP_CALL_ENDED;

	if (sp->redis == NULL)
		return;
	/*
	 * Calls never wait on Redis. While it is away a live call's record is left to
	 * dialog_resync (everything live is written again on reconnect); an end is kept
	 * in the backlog until Redis acknowledges it, so nothing that ended stays answered.
	 */
	if (!sp_redis_up(sp) && !ended) {
		c->stored_conn = 0;
		return;
	}
	redis_conn_stats(sp->redis, &rs);
	/*
	 * The end changes a few fields only: when this connection already got the whole
	 * record, only those go out (a reconnect may have lost it: then all of them).
	 */
	first = c->stored_conn != rs.connects;
	whole = !ended || first || !sp_redis_up(sp);
	klen = (size_t)snprintf(key, sizeof(key), "%s%s", SBC_KEY_CALL_PREFIX, c->call_id);
	dialog_argv_reset(&v);
	dialog_argv_add(&v, "HSET", 4);
	dialog_argv_add(&v, key, klen);
	dialog_argv_field(&v, "state", dialog_state_name(c->state));
	if (whole)
		record_whole(sp, c, &v);
	dialog_argv_fieldf(&v, "end", "%lld", (long long)c->ended);
	dialog_argv_field(&v, "end_reason", c->end_reason);
	if (ended)
		dialog_fields_end(c, c->end_media, &v);
	if (v.full) {
		log_warnx("dialog_write_lost key=%s reason=record-too-long", LOG_ESCW(key));
		return;
	}
	if (ended) {
		dialog_write_end(sp, v.n, v.argv, v.lens);
	} else if (redis_cmd_argv(sp->redis, NULL, NULL, v.n, v.argv, v.lens)) {
		/* the reconnect's dialog_resync writes it whole */
		c->stored_conn = 0;
		log_warnx("dialog_write_deferred key=%s until=redis-back", LOG_ESCW(key));
		return;
	} else if (whole) {
		c->stored_conn = rs.connects;
	}
	snprintf(ttl, sizeof(ttl), "%u", ended ? sp->cfg.call_ttl_ended : sp->cfg.call_ttl_active);
	dialog_argv_reset(&v);
	dialog_argv_add(&v, "EXPIRE", 6);
	dialog_argv_add(&v, key, klen);
	dialog_argv_add(&v, ttl, strlen(ttl));
	if (ended)
		dialog_write_end(sp, v.n, v.argv, v.lens);
	else
		argv_send(sp, &v);
	/* the alias expires with the record; a lost one is rewritten by dialog_resync */
	if (c->callee_call_id[0] != '\0' && sp_redis_up(sp))
		alias_write(sp, c, ttl);
	/*
	 * The live-calls index: a listing reads it instead of scanning the keyspace. In at
	 * the first write on a connection (dialog_resync writes every live call again), out
	 * at the end, kept like the end itself until Redis has it: nothing ended stays listed.
	 * A copy of another instance's call is that instance's to list.
	 */
	if ((!ended && !first) || (c->loaded && !ended))
		return;
	dialog_argv_reset(&v);
	dialog_argv_add(&v, ended ? "ZREM" : "ZADD", 4);
	dialog_argv_add(&v, SBC_KEY_CALLS, strlen(SBC_KEY_CALLS));
	if (!ended)
		dialog_argv_addf(&v, "%lld", (long long)c->start);
	dialog_argv_add(&v, c->call_id, strlen(c->call_id));
	if (ended)
		dialog_write_end(sp, v.n, v.argv, v.lens);
	else
		argv_send(sp, &v);
}

unsigned
dialog_resync(struct sp *sp)
{
	struct sp_call *c;
	unsigned i, n = 0;

	for (i = 0; i < SP_BUCKETS; i++) {
		for (c = sp->calls[i]; c != NULL; c = c->next) {
			/* a copy of another instance's call: its owner (or the record) is newer */
			if (c->loaded)
				continue;
			log_set_call_id(c->call_id);
			c->stored_conn = 0;
			dialog_write(sp, c);
			n++;
		}
	}
	log_set_call_id(NULL);
	return n;
}

void
dialog_stamp_end(struct sp_call *c, const char *reason)
{
	dialog_enter_state(c, SP_CALL_ENDED);
	c->ended = time_wall_s();
	snprintf(c->end_reason, sizeof(c->end_reason), "%s", reason);
}

void
dialog_end(struct sp *sp, struct sp_call *c, const char *reason, const struct ng_leg *media)
{
	if (c->state != SP_CALL_ENDED || c->ended == 0)
		dialog_stamp_end(c, reason);
	log_info("call_end reason=%s", LOG_ESCW(c->end_reason));
	c->end_media = media;
	dialog_write(sp, c);
	c->end_media = NULL;
	dialog_forget(sp, c);
}

/* The routing fields of a record; a value that does not fit leaves the leg unknown. */
static void
record_remote(struct sp_call *c, const char *k, const char *v)
{
	static const char *const names[2][2] = {
		{ "caller_contact", "caller_route" }, { "callee_contact", "callee_route" },
	};
	unsigned leg;

	if (v[0] == '\0')
		return;
	for (leg = 0; leg < 2; leg++) {
		if (strcmp(k, names[leg][0]) == 0)
			dialog_set_remote(c, leg, v, NULL);
		else if (strcmp(k, names[leg][1]) == 0)
			dialog_set_remote(c, leg, NULL, v);
	}
}

struct lookup_ctx {
	struct sp *sp;
	char call_id[SP_CALL_ID_MAX];
	dialog_lookup_h *h;
	void *arg;
};

void
dialog_record_apply(struct sp *sp, struct sp_call *c, const struct redisReply *r)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "from_tag") == 0)
			snprintf(c->from_tag, sizeof(c->from_tag), "%s", v);
		else if (strcmp(k, "to_tag") == 0)
			snprintf(c->to_tag, sizeof(c->to_tag), "%s", v);
		else if (strcmp(k, "route") == 0)
			snprintf(c->route, sizeof(c->route), "%s", v);
		else if (strcmp(k, "target") == 0)
			snprintf(c->target, sizeof(c->target), "%s", v);
		else if (strcmp(k, "mediad") == 0)
			snprintf(c->mediad_id, sizeof(c->mediad_id), "%s", v);
		else if (strcmp(k, "mediad_ng") == 0)
			c->has_mediad = sa_parse(&c->mediad_ng, v, 2223) == 0;
		else if (strcmp(k, "caller_side") == 0)
			sp_side_parse(v, &c->side[0]);
		else if (strcmp(k, "callee_side") == 0)
			sp_side_parse(v, &c->side[1]);
		else if (strcmp(k, "caller_transport") == 0)
			snprintf(c->transport[0], sizeof(c->transport[0]), "%s", v);
		else if (strcmp(k, "callee_transport") == 0)
			snprintf(c->transport[1], sizeof(c->transport[1]), "%s", v);
		else if (strcmp(k, "caller_crypto") == 0)
			snprintf(c->crypto[0], sizeof(c->crypto[0]), "%s", v);
		else if (strcmp(k, "callee_crypto") == 0)
			snprintf(c->crypto[1], sizeof(c->crypto[1]), "%s", v);
		else if (strcmp(k, "start") == 0)
			c->start = strtoll(v, NULL, 10);
		else if (strcmp(k, "answer") == 0)
			c->answered = strtoll(v, NULL, 10);
		else if (strcmp(k, "state") == 0 && strcmp(v, "ended") == 0)
			dialog_enter_state(c, SP_CALL_ENDED);
		else if (strcmp(k, "late_branch") == 0 && v[0] != '\0')
			dialog_set_late_offer(c, v);
		else if (strcmp(k, "callee_call_id") == 0 && v[0] != '\0')
			dialog_set_callee_call_id(sp, c, v);
		else if (!dialog_fields_read(c, k, v) && !dialog_uac_field_read(c, k, v))
			record_remote(c, k, v);
	}
}

static void
lookup_done(struct redisReply *r, void *arg)
{
	struct lookup_ctx *x = arg;
	struct sp *sp = x->sp;
	struct sp_call *c = dialog_find(sp, x->call_id);
	bool fresh = false;

	log_set_call_id(x->call_id);
	/* Redis failed: what memory holds (a copy read before), if anything */
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		goto out;
	/* set up here meanwhile: this instance's memory is the truth */
	if (c != NULL && !c->loaded)
		goto out;
	if (r->elements < 2) {
		/* no record (expired): no call, whatever an old copy said */
		if (c != NULL)
			dialog_forget(sp, c);
		c = NULL;
		goto out;
	}
	if (c == NULL) {
		if (dialog_create(sp, &c, x->call_id, NULL))
			goto out;
		fresh = true;
		/* a call another instance set up: only an answered one has a record to act on */
		dialog_enter_state(c, SP_CALL_ANSWERED);
	}
	dialog_record_apply(sp, c, r);
	c->loaded = true;
	dialog_touch(c);
	if (c->state == SP_CALL_ENDED) {
		dialog_forget(sp, c);
		c = NULL;
	} else if (fresh) {
		log_info("call_loaded from=redis mediad=%s", LOG_ESCW(c->mediad_id));
	}
 out:
	x->h(c, x->arg);
	free(x);
	log_set_call_id(NULL);
}

int
dialog_lookup(struct sp *sp, const char *call_id, dialog_lookup_h *h, void *arg)
{
	struct lookup_ctx *x;
	int err;

	if (!sp_redis_up(sp))
		return ENOTCONN;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return ENOMEM;
	x->sp = sp;
	snprintf(x->call_id, sizeof(x->call_id), "%s", call_id);
	x->h = h;
	x->arg = arg;
	err = redis_cmd(sp->redis, lookup_done, x, "HGETALL %s%s", SBC_KEY_CALL_PREFIX, call_id);
	if (err)
		free(x);
	else
		redis_flush(sp->redis);   /* a request waits for it */
	return err;
}


struct alias_ctx {
	char alias[SP_LEG_CALL_ID_MAX];
	dialog_alias_h *h;
	void *arg;
};

static void
alias_done(struct redisReply *r, void *arg)
{
	struct alias_ctx *x = arg;

	x->h(r != NULL && r->type == REDIS_REPLY_STRING ? r->str : NULL, x->arg);
	free(x);
}

int
dialog_lookup_alias(struct sp *sp, const char *alias, dialog_alias_h *h, void *arg)
{
	struct alias_ctx *x;
	int err;

	if (!sp_redis_up(sp))
		return ENOTCONN;
	if (strlen(alias) >= sizeof(x->alias))
		return EINVAL;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return ENOMEM;
	snprintf(x->alias, sizeof(x->alias), "%s", alias);
	x->h = h;
	x->arg = arg;
	err = redis_cmd(sp->redis, alias_done, x, "GET sbc:cid:%s", alias);
	if (err)
		free(x);
	else
		redis_flush(sp->redis);   /* a message waits for it */
	return err;
}
