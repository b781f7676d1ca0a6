/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One call's move to another mediad (RFC 3725 flow I): a re-INVITE without SDP to the
 * caller; its offer (in the 2xx) to the new mediad; the new mediad's SDP in a re-INVITE to
 * the callee; the callee's answer through the new mediad; ACK to the callee, and the new
 * mediad's answer in the ACK to the caller. The record names the new mediad from the start,
 * so any instance routes the call's own requests there. A call that cannot move ends
 * (Reason: media relay lost); a drained mediad's call whose caller refused the re-INVITE
 * simply stays where it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "dialog.h"
#include "hangup.h"
#include "log.h"
#include "media.h"
#include "move_int.h"
#include "redis_keys.h"
#include "sip.h"
#include "timeutil.h"
#include "uac.h"

enum move_state {
	MOVE_LOAD = 0,		/* reading the call */
	MOVE_READ,		/* reading the old mediad's record of it */
	MOVE_ASK_CALLER,	/* re-INVITE without SDP to the caller */
	MOVE_OFFER,		/* the caller's offer at the new mediad */
	MOVE_ASK_CALLEE,	/* re-INVITE with the new mediad's offer to the callee */
	MOVE_ANSWER,		/* the callee's answer at the new mediad */
};

struct move_op {
	struct move_op *next;
	struct move *m;
	enum move_state state;
	char call_id[SP_CALL_ID_MAX];
	char from[64];		/* the mediad it leaves */
	struct sa from_ng;
	char to[64];		/* the mediad it goes to */
	bool drained;		/* from is alive: delete there after, or go back on a refusal */
	struct uac_req *r0, *r1;	/* re-INVITE to the caller, to the callee */
	struct media_op *mop;
	uint64_t started_ms;
	bool reading;			/* the old media record is being read */
	bool dead;			/* done while reading: freed when the read ends */
	struct media_resume resume;	/* what it said of the parties' SRTP sessions */
};

static void
op_free(struct move_op *op)
{
	struct move_op **pp;

	for (pp = &op->m->ops; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	}
	/* its record read still points here: that callback frees it */
	if (op->reading) {
		op->dead = true;
		return;
	}
	free(op);
}

void
move_ops_free(struct move *m)
{
	while (m->ops != NULL) {
		media_cancel(m->ops->mop);
		op_free(m->ops);
	}
}

/* The lock goes and the lost mediad's index forgets the call: done, either way. */
static void
op_release(struct move_op *op)
{
	struct sp *sp = op->m->sp;

	if (!sp_redis_up(sp))
		return;
	(void)redis_cmd(sp->redis, NULL, NULL, "DEL %s%s", SBC_KEY_MOVE_PREFIX, op->call_id);
	if (!op->drained)
		(void)redis_cmd(sp->redis, NULL, NULL, "SREM %s%s %s", SBC_KEY_MEDIAD_CALLS_PREFIX,
		    op->from, op->call_id);
}

/* The transport a leg's messages come over, for the policy's check of keys (TLS or not). */
static enum tp_proto
leg_tp(const struct sp_call *c, unsigned leg)
{
	enum tp_proto tp = TP_UDP;

	(void)tp_proto_parse(c->transport[leg], &tp);
	return tp;
}

/*
 * The move failed: pending 2xx get their ACK, and the call ends, unless a drained (live)
 * mediad's call was refused before any party changed anything: it goes back there.
 */
static void
op_fail(struct move_op *op, const char *why)
{
	struct move *m = op->m;
	struct sp *sp = m->sp;
	struct sp_call *c = dialog_find(sp, op->call_id);
	bool untouched = op->state <= MOVE_ASK_CALLER;

	log_set_call_id(op->call_id);
	metric_inc(m->ctr.failed);
	log_warnx("move_failed from=%s to=%s step=%u reason=%s", LOG_ESCW(op->from),
	    op->to[0] ? LOG_ESCW(op->to) : "-", (unsigned)op->state, LOG_Q(why));
	media_cancel(op->mop);
	op->mop = NULL;
	uac_abandon(op->r0);
	uac_abandon(op->r1);
	if (op->drained && untouched && c != NULL) {
		/* nothing changed at either party: the call stays on the drained mediad */
		dialog_set_mediad(c, op->from, &op->from_ng);
		dialog_write(sp, c);
		log_info("move_reverted mediad=%s", LOG_ESCW(op->from));
	} else if (hangup_call(sp, op->call_id, HANGUP_MEDIA_LOST, "move", NULL, NULL) != 0) {
		log_warnx("move_hangup_failed impact=%s", LOG_Q("the call has no media"));
	}
	op_release(op);
	op_free(op);
	log_set_call_id(NULL);
}

static void
op_done(struct move_op *op)
{
	struct move *m = op->m;
	struct sp *sp = m->sp;
	struct sp_call *c = dialog_find(sp, op->call_id);

	metric_inc(m->ctr.moved);
	log_info("call_moved from=%s to=%s after_ms=%llu", LOG_ESCW(op->from), LOG_ESCW(op->to),
	    (unsigned long long)(time_mono_ms() - op->started_ms));
	if (c != NULL)
		dialog_write(sp, c);	/* the suites the new mediad negotiated */
	/* a drained mediad still relays it: its ports go now */
	if (op->drained && c != NULL)
		media_delete_at(sp, op->call_id, c->from_tag, &op->from_ng);
	op_release(op);
	op_free(op);
}

static void
answer_done(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct move_op *op = arg;

	op->mop = NULL;
	if (op->m->stopping) {
		op_free(op);
		return;
	}
	log_set_call_id(op->call_id);
	if (status != 200) {
		op_fail(op, "the new mediad refused the callee's answer");
		return;
	}
	/* the caller's offer is answered in its ACK: media flows both ways from here */
	if (uac_ack(op->r0, sdp, len) != 0) {
		op->r0 = NULL;
		op_fail(op, "ACK to the caller not sent");
		return;
	}
	op->r0 = NULL;
	op_done(op);
	log_set_call_id(NULL);
}

/*
 * A party's final answer to our re-INVITE (*rp: where its 2xx waits for the ACK): the call
 * and the SDP of a 2xx, or NULL after the move failed.
 */
static struct sp_call *
party_sdp(struct move_op *op, struct uac_req **rp, struct uac_req *r, int status,
    const struct sip_msg *resp, const char *who, const char **bodyp, size_t *lenp)
{
	struct sp_call *c = dialog_find(op->m->sp, op->call_id);
	char why[64];

	*rp = status / 100 == 2 ? r : NULL;
	*lenp = 0;
	if (resp != NULL)
		*bodyp = sip_msg_body(resp, lenp);
	if (status / 100 == 2 && *lenp > 0 && c != NULL)
		return c;
	snprintf(why, sizeof(why), "%s: %s", who, status / 100 != 2 ? "re-INVITE refused" :
	    c == NULL ? "the call ended" : "no SDP in the 2xx");
	op_fail(op, why);
	return NULL;
}

static void offer_done(int status, const char *sdp, size_t len, const char *warning,
    void *arg);

/*
 * A party's final answer to our re-INVITE. leg 0, the caller's to one without SDP: its
 * offer, for the new mediad. leg 1, the callee's to the new mediad's offer: its answer.
 */
static void
party_done(struct move_op *op, unsigned leg, struct uac_req *r, int status,
    const struct sip_msg *resp)
{
	struct sp *sp = op->m->sp;
	struct sp_call *c;
	const char *body = NULL;
	size_t blen;
	int st;

	c = party_sdp(op, leg ? &op->r1 : &op->r0, r, status, resp, leg ? "callee" : "caller",
	    &body, &blen);
	if (c == NULL)
		return;
	if (leg == 0) {
		op->state = MOVE_OFFER;
		st = media_offer(sp, c, c->from_tag, c->to_tag, NULL, c->side[0], c->side[1],
		    leg_tp(c, 0), body, blen, offer_done, op, &op->mop);
	} else {
		/* the answer came in the 2xx: its ACK carries nothing */
		(void)uac_ack(r, NULL, 0);
		op->r1 = NULL;
		op->state = MOVE_ANSWER;
		st = media_answer_resume(sp, c, c->from_tag, c->to_tag, c->side[1], c->side[0],
		    leg_tp(c, 1), body, blen, &op->resume, answer_done, op, &op->mop);
	}
	if (st)
		op_fail(op, leg ? "the callee's answer breaks the policy, or no mediad" :
		    "the caller's offer breaks the policy, or no mediad");
}

static void
callee_done(struct uac_req *r, int status, const struct sip_msg *resp, void *arg)
{
	party_done(arg, 1, r, status, resp);
}

static void
caller_done(struct uac_req *r, int status, const struct sip_msg *resp, void *arg)
{
	party_done(arg, 0, r, status, resp);
}

static void
offer_done(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct move_op *op = arg;
	struct sp *sp = op->m->sp;
	struct sp_call *c;
	struct uac_opts o;

	op->mop = NULL;
	if (op->m->stopping) {
		op_free(op);
		return;
	}
	log_set_call_id(op->call_id);
	c = dialog_find(sp, op->call_id);
	if (status != 200 || c == NULL) {
		op_fail(op, c == NULL ? "the call ended" : "the new mediad refused the caller's offer");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.method = "INVITE";
	o.body = sdp;
	o.body_len = len;
	o.timeout_ms = sp->cfg.move_timeout_ms;
	op->state = MOVE_ASK_CALLEE;
	if (uac_send(sp, c, 1, &o, callee_done, op, &op->r1) != 0)
		op_fail(op, "re-INVITE to the callee not sent");
	log_set_call_id(NULL);
}

/* The move's first step towards the parties: a re-INVITE without SDP to the caller. */
static void
ask_caller(struct move_op *op)
{
	struct sp *sp = op->m->sp;
	struct sp_call *c = dialog_find(sp, op->call_id);
	struct uac_opts o;

	if (c == NULL) {
		log_info("move_skipped reason=ended");
		op_release(op);
		op_free(op);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.method = "INVITE";
	o.timeout_ms = sp->cfg.move_timeout_ms;
	op->state = MOVE_ASK_CALLER;
	if (uac_send(sp, c, 0, &o, caller_done, op, &op->r0) != 0)
		op_fail(op, "re-INVITE to the caller not sent");
}

/*
 * The old mediad's record of the call: the parties' SRTP sessions, to be continued. Only
 * now is the caller asked: its offer reaches the new mediad, whose first write of the
 * call replaces this record (keys without indexes), and a read answered after that would
 * start every party afresh (rollover counter 0: a wrapped caller fails every packet).
 */
static void
record_done(struct redisReply *r, void *arg)
{
	struct move_op *op = arg;
	const char *f[256], *v[256];
	size_t i, n = 0;

	op->reading = false;
	if (op->dead) {
		free(op);
		return;
	}
	if (op->m->stopping)
		return;
	log_set_call_id(op->call_id);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i + 1 < r->elements && n < 256; i += 2, n++) {
			f[n] = r->element[i]->str;
			v[n] = r->element[i + 1]->str;
		}
		media_resume_read(&op->resume, f, v, n);
	} else {
		log_warnx("move_record_unread impact=%s",
		    LOG_Q("parties that keep their keys may fail SRTP at the new mediad"));
	}
	ask_caller(op);
	log_set_call_id(NULL);
}

/* The call, from memory or its record: still on the mediad it leaves, and answered. */
static void
call_loaded(struct sp_call *c, void *arg)
{
	struct move_op *op = arg;
	struct sp *sp = op->m->sp;
	struct mediad_entry *e;

	if (op->m->stopping) {
		op_free(op);
		return;
	}
	log_set_call_id(op->call_id);
	if (c == NULL || c->state != SP_CALL_ANSWERED || !c->has_mediad ||
	    strcmp(c->mediad_id, op->from) != 0) {
		/* ended, not answered yet (its INVITE fails or succeeds on its own), moved */
		log_info("move_skipped reason=%s", c == NULL ? "ended" :
		    c->state != SP_CALL_ANSWERED ? "not-answered" : "not-on-that-mediad");
		op_release(op);
		op_free(op);
		goto out;
	}
	if (!op->drained && sp->cfg.mediad_lost == SP_LOST_HANGUP) {
		op_release(op);
		op_free(op);
		(void)hangup_call(sp, c->call_id, HANGUP_MEDIA_LOST, "mediad_lost", NULL, NULL);
		goto out;
	}
	op->from_ng = c->mediad_ng;
	if (mediad_pool_choose(sp->pool, &e) != 0) {
		op_fail(op, "no other mediad");
		goto out;
	}
	snprintf(op->to, sizeof(op->to), "%s", e->id);
	/* every instance routes the call's own offers to the new mediad from now on */
	dialog_forget_mediad(c);
	dialog_set_mediad(c, e->id, &e->ng);
	dialog_write(sp, c);
	log_info("move_start from=%s to=%s drained=%s", LOG_ESCW(op->from), LOG_ESCW(op->to),
	    op->drained ? "yes" : "no");
	/* the parties are asked once the record is read (record_done): never before */
	op->state = MOVE_READ;
	if (sp_redis_up(sp) && redis_cmd(sp->redis, record_done, op, "HGETALL %s%s",
	    SBC_KEY_MEDIA_PREFIX, op->call_id) == 0) {
		op->reading = true;
		goto out;
	}
	log_warnx("move_record_unread impact=%s",
	    LOG_Q("parties that keep their keys may fail SRTP at the new mediad"));
	ask_caller(op);
 out:
	log_set_call_id(NULL);
}

int
move_call(struct move *m, const char *call_id, const char *from, bool drained)
{
	struct sp *sp = m->sp;
	struct move_op *op;
	struct sp_call *c;

	if (strlen(call_id) >= SP_CALL_ID_MAX || strlen(from) >= sizeof(op->from))
		return EINVAL;
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return ENOMEM;
	op->m = m;
	op->drained = drained;
	op->started_ms = time_mono_ms();
	snprintf(op->call_id, sizeof(op->call_id), "%s", call_id);
	snprintf(op->from, sizeof(op->from), "%s", from);
	op->next = m->ops;
	m->ops = op;
	c = dialog_find(sp, call_id);
	if ((c != NULL && (!c->loaded || !sp_redis_up(sp))) || !sp->cfg.redis_enabled ||
	    dialog_lookup(sp, call_id, call_loaded, op) != 0)
		call_loaded(c, op);
	return 0;
}
