/* SPDX-License-Identifier: BSD-2-Clause */
/* Calls known to this instance and their dialog records sbc:call:<call-id> in Redis. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "dialog.h"
#include "log.h"
#include "redis_backlog.h"
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
	else if ((err == ENOBUFS || err == ENOMEM) && log_ratelimit_ok(&rl, time_mono_ms()))
		log_warnx("dialog_write_dropped key=%s reason=%s (%llu suppressed so far; raise "
		    "[redis] pending_max)", LOG_ESCW(argv[1]), err == ENOBUFS ? "backlog-full" :
		    "out-of-memory", rl.suppressed);
}

void
dialog_write(struct sp *sp, struct sp_call *c)
{
	char key[SP_CALL_ID_MAX + 16], start[24], ans[24], end[24], ttl[24], ng[SA_STRLEN];
	const char *argv[40];
	size_t lens[40];
	int n = 0, i;
	struct redis_stats rs;
	bool whole;

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
	 * The end changes three fields only: when this connection already got the whole
	 * record, only those go out (a reconnect may have lost it: then all of them).
	 */
	whole = c->state != SP_CALL_ENDED || c->stored_conn != rs.connects || !sp_redis_up(sp);
	snprintf(key, sizeof(key), "sbc:call:%s", c->call_id);
	snprintf(end, sizeof(end), "%lld", (long long)c->ended);
#define F(k, v) do { argv[n++] = (k); argv[n++] = (v); } while (0)
	argv[n++] = "HSET";
	argv[n++] = key;
	F("state", dialog_state_name(c->state));
	if (!whole)
		goto tail;
	snprintf(start, sizeof(start), "%lld", (long long)c->start);
	snprintf(ans, sizeof(ans), "%lld", (long long)c->answered);
	if (c->has_mediad)
		sa_format(&c->mediad_ng, ng, sizeof(ng));
	else
		ng[0] = '\0';
	F("from_tag", c->from_tag);
	F("to_tag", c->to_tag);
	F("route", c->route);
	F("target", c->target);
	F("mediad", c->mediad_id);
	F("mediad_ng", ng);
	F("caller_side", sp_side_name(c->side[0]));
	F("callee_side", sp_side_name(c->side[1]));
	F("caller_transport", c->transport[0]);
	F("callee_transport", c->transport[1]);
	F("caller_crypto", c->crypto[0][0] ? c->crypto[0] : "none");
	F("callee_crypto", c->crypto[1][0] ? c->crypto[1] : "none");
	F("start", start);
	F("answer", ans);
	F("instance", sp->cfg.instance_id);
 tail:
	F("end", end);
	F("end_reason", c->end_reason);
#undef F
	for (i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	if (c->state == SP_CALL_ENDED) {
		dialog_write_end(sp, n, argv, lens);
	} else if (redis_cmd_argv(sp->redis, NULL, NULL, n, argv, lens)) {
		/* the reconnect's dialog_resync writes it whole */
		c->stored_conn = 0;
		log_warnx("dialog_write_deferred key=%s (rewritten when Redis is back)",
		    LOG_ESCW(key));
	} else if (whole) {
		c->stored_conn = rs.connects;
	}
	snprintf(ttl, sizeof(ttl), "%u",
	    c->state == SP_CALL_ENDED ? sp->cfg.call_ttl_ended : sp->cfg.call_ttl_active);
	argv[0] = "EXPIRE";
	argv[1] = key;
	argv[2] = ttl;
	for (i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	if (c->state == SP_CALL_ENDED)
		dialog_write_end(sp, 3, argv, lens);
	else
		redis_cmd_argv(sp->redis, NULL, NULL, 3, argv, lens);
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
dialog_end(struct sp *sp, struct sp_call *c, const char *reason)
{
	dialog_enter_state(c, SP_CALL_ENDED);
	c->ended = time_wall_s();
	snprintf(c->end_reason, sizeof(c->end_reason), "%s", reason);
	log_info("call_end reason=%s", reason);
	dialog_write(sp, c);
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
	err = redis_cmd(sp->redis, lookup_done, x, "HGETALL sbc:call:%s", call_id);
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
