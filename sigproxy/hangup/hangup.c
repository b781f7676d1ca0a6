/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hangup_call(): one call ended by the SBC itself, whichever instance set it up. The call
 * comes from memory, or from its record in Redis; each party gets a BYE in the other's
 * name (uac part) with a Reason header saying why; the media goes (ng delete); the
 * record is ended with the cause as end_reason (kept until Redis acknowledges it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "hangup_int.h"
#include "log.h"
#include "media.h"
#include "txn.h"
#include "uac.h"

#define BYE_TIMEOUT_MS 32000u	/* RFC 3261 Timer F */

/*
 * The Reason each cause sends (RFC 3326). A media timeout is SIP 408: the media "request"
 * timed out, which is what carriers' CDR systems map a lost stream to; an operator's
 * hang-up is an ordinary Q.850 normal clearing (16); a call whose relay died and could not
 * move is SIP 503 (service unavailable), not the parties' doing.
 */
static const struct {
	const char *name;
	const char *reason;
} causes[HANGUP_CAUSE_N] = {
	[HANGUP_MEDIA_TIMEOUT] = { "media_timeout",
	    "Reason: SIP;cause=408;text=\"media timeout\"\r\n" },
	[HANGUP_OPERATOR] = { "hangup", "Reason: Q.850;cause=16;text=\"hangup by operator\"\r\n" },
	[HANGUP_MEDIA_LOST] = { "media_lost",
	    "Reason: SIP;cause=503;text=\"media relay lost\"\r\n" },
};

static const char *const refusal_names[HANGUP_REFUSED_N] = {
	"unknown", "not_answered", "malformed", "stale", "wrong_mediad", "media_alive",
};

const char *
hangup_cause_name(enum hangup_cause cause)
{
	return cause < HANGUP_CAUSE_N ? causes[cause].name : "?";
}

void
hangup_refuse(struct hangup *k, enum hangup_refusal why, const char *what, const char *by,
    const char *detail)
{
	metric_inc(k->ctr.refused[why]);
	log_warnx("hangup_refused request=%s reason=%s by=%s detail=%s changed=nothing",
	    LOG_ESCW(what), refusal_names[why], LOG_ESCW(by != NULL ? by : "-"), LOG_Q(detail));
}

struct hangup_op {
	struct sp *sp;
	char call_id[SP_CALL_ID_MAX];
	enum hangup_cause cause;
	char by[128];
	hangup_done_h *h;
	void *arg;
};

static void
op_finish(struct hangup_op *op, int err)
{
	if (op->h != NULL)
		op->h(err, op->arg);
	free(op);
}

/* The end itself, on a call found here or read from its record. */
static int
end_now(struct sp *sp, struct sp_call *c, struct hangup_op *op)
{
	struct hangup *k = sp->hangup;
	struct uac_opts o;
	unsigned leg, sent = 0;
	int err;

	if (c->state != SP_CALL_ANSWERED || c->to_tag[0] == '\0') {
		/* ringing here: an operator's hang-up ends the INVITE (the call goes with it) */
		if (op->cause == HANGUP_OPERATOR && !c->loaded &&
		    txn_invite_abort(sp, op->call_id, 480, "Call Ended By Operator",
		    causes[op->cause].reason, causes[op->cause].name)) {
			metric_inc(k->ctr.ended[op->cause]);
			log_info("call_hangup cause=%s by=%s state=ringing", causes[op->cause].name,
			    LOG_ESCW(op->by));
			return 0;
		}
		hangup_refuse(k, HANGUP_REFUSED_NOT_ANSWERED, hangup_cause_name(op->cause), op->by,
		    dialog_state_name(c->state));
		return EBUSY;
	}
	memset(&o, 0, sizeof(o));
	o.method = "BYE";
	o.extra = causes[op->cause].reason;
	o.timeout_ms = BYE_TIMEOUT_MS;
	for (leg = 0; leg < 2; leg++) {
		/* a party we cannot reach still gets its call ended here and in Redis */
		if ((err = uac_send(sp, c, leg, &o, NULL, NULL, NULL)) == 0)
			sent++;
		else
			log_warnx("hangup_bye_failed leg=%s err=%s", leg == 0 ? "caller" : "callee",
			    LOG_Q(strerror(err)));
	}
	log_info("call_hangup cause=%s by=%s byes=%u mediad=%s%s", causes[op->cause].name,
	    LOG_ESCW(op->by), sent, LOG_ESCW(c->mediad_id), c->loaded ? " from=redis" : "");
	metric_inc(k->ctr.ended[op->cause]);
	/* ng delete (its media summary), the compliance record, the record ended: c goes */
	media_end_call(sp, c, causes[op->cause].name);
	return 0;
}

static void
lookup_done(struct sp_call *c, void *arg)
{
	struct hangup_op *op = arg;
	struct hangup *k = op->sp->hangup;
	int err;

	log_set_call_id(op->call_id);
	if (k == NULL || k->stopping) {
		err = ECANCELED;
	} else if (c == NULL) {
		hangup_refuse(k, HANGUP_REFUSED_UNKNOWN, hangup_cause_name(op->cause), op->by,
		    "no live call with this Call-ID here or in Redis");
		err = ENOENT;
	} else {
		err = end_now(op->sp, c, op);
	}
	op_finish(op, err);
	log_set_call_id(NULL);
}

int
hangup_call(struct sp *sp, const char *call_id, enum hangup_cause cause, const char *by,
    hangup_done_h *h, void *arg)
{
	struct sp_call *c;
	struct hangup_op *op;
	int err;

	if (sp->hangup == NULL || sp->hangup->stopping || cause >= HANGUP_CAUSE_N)
		return ECANCELED;
	if (call_id == NULL || call_id[0] == '\0' || strlen(call_id) >= SP_CALL_ID_MAX)
		return EINVAL;
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return ENOMEM;
	op->sp = sp;
	snprintf(op->call_id, sizeof(op->call_id), "%s", call_id);
	snprintf(op->by, sizeof(op->by), "%s", by != NULL ? by : "?");
	op->cause = cause;
	op->h = h;
	op->arg = arg;
	log_set_call_id(call_id);
	/* set up here: memory is the truth; a copy of another instance's call is read again */
	c = dialog_find(sp, call_id);
	if (c != NULL && (!c->loaded || !sp_redis_up(sp))) {
		op_finish(op, end_now(sp, c, op));
		log_set_call_id(NULL);
		return 0;
	}
	err = dialog_lookup(sp, call_id, lookup_done, op);
	if (err) {
		log_warnx("hangup_failed reason=record-not-readable err=%s", LOG_Q(strerror(err)));
		free(op);
	}
	log_set_call_id(NULL);
	return err;
}
