/* SPDX-License-Identifier: BSD-2-Clause */
/* Calls known to this instance and their dialog records sbc:call:<call-id> in Redis. */
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

static const char *const state_names[] = { "setup", "early", "answered", "ended" };

const char *
dialog_state_name(enum sp_call_state s)
{
	return state_names[s];
}

struct sp_call *
dialog_find(struct sp *sp, const char *call_id)
{
	struct sp_call *c;

	for (c = sp->calls[sp_bucket(call_id)]; c != NULL; c = c->next)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

int
dialog_create(struct sp *sp, struct sp_call **cp, const char *call_id, const char *from_tag)
{
	struct sp_call *c;

	if (strlen(call_id) >= sizeof(c->call_id) ||
	    (from_tag && strlen(from_tag) >= sizeof(c->from_tag)))
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	snprintf(c->call_id, sizeof(c->call_id), "%s", call_id);
	snprintf(c->from_tag, sizeof(c->from_tag), "%s", from_tag ? from_tag : "");
	c->start = time_wall_s();
	c->next = sp->calls[sp_bucket(c->call_id)];
	sp->calls[sp_bucket(c->call_id)] = c;
	*cp = c;
	return 0;
}

static void
dialog_unlink_free(struct sp *sp, struct sp_call *c)
{
	struct sp_call **pp;

	for (pp = &sp->calls[sp_bucket(c->call_id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->caller_conn)
		tp_conn_deref(c->caller_conn);
	free(c);
}

void
dialog_free_all(struct sp *sp)
{
	unsigned i;

	for (i = 0; i < SP_BUCKETS; i++)
		while (sp->calls[i] != NULL)
			dialog_unlink_free(sp, sp->calls[i]);
}

/* Sends v (when it fit); false when it was not sent. */
static bool
argv_send(struct sp *sp, struct dialog_argv *v)
{
	return !v->full && redis_cmd_argv(sp->redis, NULL, NULL, v->n, v->argv, v->lens) == 0;
}

/* One command of an ended call's record: kept until Redis acknowledges it. */
static void
dialog_write_end(struct sp *sp, int argc, const char **argv, const size_t *lens)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 1);
	int err;

	err = redis_backlog_send(sp->redis_backlog, sp->redis, argc, argv, lens);
	if (err == EAGAIN && strcmp(argv[0], "HSET") == 0)
		log_info("dialog_end_kept key=%s (written when Redis is back)",
		    LOG_ESCW(argv[1]));
	else if ((err == ENOBUFS || err == ENOMEM || err == EINVAL) &&
	    log_ratelimit_ok(&rl, time_mono_ms()))
		log_warnx("dialog_write_dropped key=%s reason=%s (%llu suppressed so far; raise "
		    "[redis] pending_max)", LOG_ESCW(argv[1]), err == ENOBUFS ? "backlog-full" :
		    err == EINVAL ? "too-many-arguments" : "out-of-memory", rl.suppressed);
}

void
dialog_write(struct sp *sp, struct sp_call *c)
{
	static struct dialog_argv v;	/* 4 KB: not on the stack (control thread only) */
	char key[SP_CALL_ID_MAX + 16], ng[SA_STRLEN];
	size_t klen;
	struct redis_stats rs;
	bool whole, first;

	if (sp->redis == NULL)
		return;
	/*
	 * Calls never wait on Redis. While it is away a live call's record is left to
	 * dialog_resync (everything live is written again on reconnect); an end is kept
	 * in the backlog until Redis acknowledges it, so nothing that ended stays answered.
	 */
	if (!sp_redis_up(sp) && c->state != SP_CALL_ENDED) {
		c->stored_conn = 0;
		return;
	}
	redis_conn_stats(sp->redis, &rs);
	/*
	 * The end changes a few fields only: when this connection already got the whole
	 * record, only those go out (a reconnect may have lost it: then all of them).
	 */
	first = c->stored_conn != rs.connects;
	whole = c->state != SP_CALL_ENDED || first || !sp_redis_up(sp);
	klen = (size_t)snprintf(key, sizeof(key), "%s%s", SBC_KEY_CALL_PREFIX, c->call_id);
	dialog_argv_reset(&v);
	dialog_argv_add(&v, "HSET", 4);
	dialog_argv_add(&v, key, klen);
	dialog_argv_field(&v, "state", dialog_state_name(c->state));
	if (whole) {
		if (c->has_mediad)
			sa_format(&c->mediad_ng, ng, sizeof(ng));
		else
			ng[0] = '\0';
		dialog_argv_field(&v, "from_tag", c->from_tag);
		dialog_argv_field(&v, "to_tag", c->to_tag);
		dialog_argv_field(&v, "route", c->route);
		dialog_argv_field(&v, "target", c->target);
		dialog_argv_field(&v, "mediad", c->mediad_id);
		dialog_argv_field(&v, "mediad_ng", ng);
		dialog_argv_field(&v, "caller_side", sp_side_name(c->side[0]));
		dialog_argv_field(&v, "callee_side", sp_side_name(c->side[1]));
		dialog_argv_field(&v, "caller_transport", c->transport[0]);
		dialog_argv_field(&v, "callee_transport", c->transport[1]);
		dialog_argv_field(&v, "caller_crypto", c->crypto[0][0] ? c->crypto[0] : "none");
		dialog_argv_field(&v, "callee_crypto", c->crypto[1][0] ? c->crypto[1] : "none");
		dialog_argv_fieldf(&v, "start", "%lld", (long long)c->start);
		dialog_argv_fieldf(&v, "answer", "%lld", (long long)c->answered);
		dialog_argv_field(&v, "instance", sp->cfg.instance_id);
		dialog_fields_parties(c, &v);
	}
	dialog_argv_fieldf(&v, "end", "%lld", (long long)c->ended);
	dialog_argv_field(&v, "end_reason", c->end_reason);
	if (c->state == SP_CALL_ENDED)
		dialog_fields_end(c, c->end_media, &v);
	if (v.full) {
		log_warnx("dialog_write_lost key=%s (record too long)", LOG_ESCW(key));
		return;
	}
	if (c->state == SP_CALL_ENDED) {
		dialog_write_end(sp, v.n, v.argv, v.lens);
	} else if (redis_cmd_argv(sp->redis, NULL, NULL, v.n, v.argv, v.lens)) {
		/* the reconnect's dialog_resync writes it whole */
		c->stored_conn = 0;
		log_warnx("dialog_write_deferred key=%s (rewritten when Redis is back)",
		    LOG_ESCW(key));
		return;
	} else if (whole) {
		c->stored_conn = rs.connects;
	}
	dialog_argv_reset(&v);
	dialog_argv_add(&v, "EXPIRE", 6);
	dialog_argv_add(&v, key, klen);
	dialog_argv_addf(&v, "%u",
	    c->state == SP_CALL_ENDED ? sp->cfg.call_ttl_ended : sp->cfg.call_ttl_active);
	if (c->state == SP_CALL_ENDED)
		dialog_write_end(sp, v.n, v.argv, v.lens);
	else
		argv_send(sp, &v);
	/*
	 * The live-calls index: a listing reads it instead of scanning the keyspace. In at
	 * the first write on a connection (dialog_resync writes every live call again), out
	 * at the end, kept like the end itself until Redis has it: nothing ended stays listed.
	 */
	if (c->state != SP_CALL_ENDED && !first)
		return;
	dialog_argv_reset(&v);
	if (c->state == SP_CALL_ENDED) {
		dialog_argv_add(&v, "ZREM", 4);
		dialog_argv_add(&v, SBC_KEY_CALLS, strlen(SBC_KEY_CALLS));
	} else {
		dialog_argv_add(&v, "ZADD", 4);
		dialog_argv_add(&v, SBC_KEY_CALLS, strlen(SBC_KEY_CALLS));
		dialog_argv_addf(&v, "%lld", (long long)c->start);
	}
	dialog_argv_add(&v, c->call_id, strlen(c->call_id));
	if (c->state == SP_CALL_ENDED)
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
dialog_detach(struct sp *sp, struct sp_call *c)
{
	struct sp_call **pp;

	for (pp = &sp->calls[sp_bucket(c->call_id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->next = NULL;
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
	log_info("call_end reason=%s", reason);
	c->end_media = media;
	dialog_write(sp, c);
	c->end_media = NULL;
	dialog_unlink_free(sp, c);
}

struct lookup_ctx {
	struct sp *sp;
	char call_id[SP_CALL_ID_MAX];
	dialog_lookup_h *h;
	void *arg;
};

static void
lookup_done(struct redisReply *r, void *arg)
{
	struct lookup_ctx *x = arg;
	struct sp *sp = x->sp;
	struct sp_call *c = NULL;
	size_t i;

	log_set_call_id(x->call_id);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		goto out;
	/* another request may have created it meanwhile */
	c = dialog_find(sp, x->call_id);
	if (c != NULL)
		goto out;
	if (dialog_create(sp, &c, x->call_id, NULL))
		goto out;
	/* a call another instance set up: only an answered one has a record to act on */
	dialog_enter_state(c, SP_CALL_ANSWERED);
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
		else
			dialog_fields_read(c, k, v);
	}
	if (c->state == SP_CALL_ENDED) {
		dialog_unlink_free(sp, c);
		c = NULL;
	} else {
		log_info("call_loaded from=redis mediad=%s", c->mediad_id);
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

void
dialog_enter_state(struct sp_call *c, enum sp_call_state s)
{
	log_debug("%s: call %s -> %s", __func__, dialog_state_name(c->state),
	    dialog_state_name(s));
	c->state = s;
}

void
dialog_set_answered(struct sp_call *c, const char *to_tag)
{
	snprintf(c->to_tag, sizeof(c->to_tag), "%s", to_tag ? to_tag : "");
	dialog_enter_state(c, SP_CALL_ANSWERED);
	c->answered = time_wall_s();
}

void
dialog_set_legs(struct sp_call *c, enum sp_side caller, enum sp_side callee,
    struct tp_conn *caller_conn, enum tp_proto caller_tp)
{
	c->side[0] = caller;
	c->side[1] = callee;
	tp_conn_deref(c->caller_conn);
	c->caller_conn = tp_conn_ref(caller_conn);
	snprintf(c->transport[0], sizeof(c->transport[0]), "%s", tp_proto_name(caller_tp));
}

void
dialog_set_route(struct sp_call *c, const char *route)
{
	snprintf(c->route, sizeof(c->route), "%s", route);
}

void
dialog_set_target(struct sp_call *c, const char *uri, enum tp_proto tp)
{
	snprintf(c->target, sizeof(c->target), "%s", uri);
	snprintf(c->transport[1], sizeof(c->transport[1]), "%s", tp_proto_name(tp));
}

void
dialog_set_late_offer(struct sp_call *c, const char *branch)
{
	c->late_offer = true;
	snprintf(c->late_branch, sizeof(c->late_branch), "%s", branch);
}

void
dialog_clear_late_offer(struct sp_call *c)
{
	c->late_offer = false;
}

void
dialog_set_mediad(struct sp_call *c, const char *id, const struct sa *ng)
{
	snprintf(c->mediad_id, sizeof(c->mediad_id), "%s", id);
	c->mediad_ng = *ng;
	c->has_mediad = true;
}

void
dialog_forget_mediad(struct sp_call *c)
{
	c->has_mediad = false;
}

void
dialog_set_crypto(struct sp_call *c, unsigned leg, const char *suite)
{
	snprintf(c->crypto[leg], sizeof(c->crypto[leg]), "%s", suite);
}

void
dialog_set_srtp_offered(struct sp_call *c, enum sp_side sender, uint32_t lines)
{
	c->srtp_offered[sender] = lines;
}

unsigned
dialog_leg(const struct sp_call *c, enum sp_side s)
{
	return c->side[0] == s ? 0 : 1;
}

enum sp_side
dialog_peer_side(const struct sp_call *c, enum sp_side s)
{
	return s == c->side[0] ? c->side[1] : c->side[0];
}

struct tp_conn *
dialog_conn_back(const struct sp_call *c, enum sp_side side)
{
	return c != NULL && side == c->side[0] ? c->caller_conn : NULL;
}
