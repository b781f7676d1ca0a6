/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An operator's hang-up: a BYE to each party of an answered call, built from what the call
 * holds (remote target, route set, tags, URIs, the leg's Call-ID, CSeq; sip_build_in_dialog),
 * the caller's over the stream it opened; UDP BYEs sent again at 0.5, 1 and 2 s until answered, as RFC 3261 Timer E would;
 * answers absorbed here. An unanswered call is cancelled instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "control_int.h"
#include "dialog.h"
#include "log.h"
#include "media.h"
#include "send.h"
#include "sip.h"
#include "timeutil.h"
#include "txn.h"

#define BYE_TRIES 4		/* first send and three retransmissions (UDP) */
#define BYE_T1_MS 500
#define BYE_WAIT_MS 8000	/* an answer over a stream (no retransmissions) */

struct control_bye {
	struct control_bye *next;
	struct sp_control *k;
	char branch[SIP_BRANCH_SIZE];
	char call_id[SP_CALL_ID_MAX];
	unsigned leg;		/* 0 caller, 1 callee */
	char *msg;		/* owned */
	size_t len;
	enum sp_side side;
	enum tp_proto tp;
	struct sa dst;
	struct tp_conn *back;	/* ref: the caller's own stream, or NULL */
	struct event *timer;	/* UDP retransmissions, then the end of waiting */
	unsigned tries;
};

static const char *const leg_names[2] = { "caller", "callee" };

static void
bye_free(struct control_bye *b)
{
	struct control_bye **pp;

	for (pp = &b->k->byes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	if (b->timer != NULL)
		event_free(b->timer);
	tp_conn_deref(b->back);
	free(b->msg);
	free(b);
}

void
control_byes_free(struct sp_control *k)
{
	while (k->byes != NULL)
		bye_free(k->byes);
}

static void
bye_send(struct control_bye *b)
{
	struct sp *sp = b->k->sp;

	if (send_in_dialog(sp, b->back, b->side, b->tp, &b->dst, b->msg, b->len) != 0)
		log_warnx("hangup_bye_failed leg=%s", leg_names[b->leg]);
	b->tries++;
}

static void
bye_timer(evutil_socket_t fd, short what, void *arg)
{
	struct control_bye *b = arg;
	struct timeval tv;

	log_set_call_id(b->call_id);
	if (b->tp != TP_UDP || b->tries >= BYE_TRIES) {
		log_warnx("hangup_bye_unanswered leg=%s tries=%u", leg_names[b->leg], b->tries);
		log_set_call_id(NULL);
		bye_free(b);
		return;
	}
	bye_send(b);
	/* 0.5, 1, 2 s between sends, then as long again for the answer to the last */
	tv = timeval_from_ms(BYE_T1_MS << (b->tries - 1));
	evtimer_add(b->timer, &tv);
	log_set_call_id(NULL);
}

/* A BYE to leg (0 caller, 1 callee) in the name of the other party. 0 or an errno. */
static int
bye_start(struct sp *sp, struct sp_call *c, unsigned leg)
{
	struct sp_control *k = sp->control;
	unsigned other = leg ^ 1;
	struct sip_dialog_req r;
	struct control_bye *b;
	struct sp_listener *l;
	struct sip_hop via;
	char buf[4096];
	size_t len;
	int err;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return ENOMEM;
	b->k = k;
	b->leg = leg;
	b->side = c->side[leg];
	snprintf(b->call_id, sizeof(b->call_id), "%s", c->call_id);
	/* where the party's in-dialog requests go: its route set, else its remote target */
	if (c->remote[leg] == NULL) {
		err = ENOENT;
		goto out;
	}
	if ((err = dialog_next_hop(c, leg, &b->tp, &b->dst)) != 0)
		goto out;
	/* the caller's stream wins over its Contact (NAT, TLS wrappers), as for its requests */
	if (leg == 0 && c->caller_conn != NULL && tp_conn_is_open(c->caller_conn)) {
		b->back = tp_conn_ref(c->caller_conn);
		b->tp = tp_conn_proto(c->caller_conn);
	}
	l = send_listener_for(sp, b->side, b->tp);
	if (l == NULL || (err = sip_branch_new(b->branch, sizeof(b->branch))) != 0) {
		err = err ? err : ENETUNREACH;
		goto out;
	}
	via = l->hop;
	via.transport = b->tp;
	memset(&r, 0, sizeof(r));
	r.method = "BYE";
	r.ruri = c->remote[leg];
	r.routes = c->rset[leg];
	r.via = &via;
	r.branch = b->branch;
	r.from_uri = other == 0 ? c->caller : c->callee;
	r.from_tag = other == 0 ? c->from_tag : c->to_tag;
	r.to_uri = leg == 0 ? c->caller : c->callee;
	r.to_tag = leg == 0 ? c->from_tag : c->to_tag;
	/* the Call-ID that leg knows (the SBC may have given the callee's leg its own) */
	r.call_id = dialog_leg_call_id(c, leg);
	/* above anything the party we speak for sent in this dialog */
	r.cseq = c->cseq[other] + 1;
	r.extra = "Reason: Q.850;cause=16;text=\"hangup by operator\"\r\n";
	if ((err = sip_build_in_dialog(buf, sizeof(buf), &len, &r)) != 0)
		goto out;
	b->msg = malloc(len);
	if (b->msg == NULL) {
		err = ENOMEM;
		goto out;
	}
	memcpy(b->msg, buf, len);
	b->len = len;
	{
		struct timeval tv = timeval_from_ms(b->tp == TP_UDP ? BYE_T1_MS : BYE_WAIT_MS);

		b->timer = evtimer_new(sp->base, bye_timer, b);
		if (b->timer == NULL || evtimer_add(b->timer, &tv)) {
			err = ENOMEM;
			goto out;
		}
	}
	b->next = k->byes;
	k->byes = b;
	bye_send(b);
	log_info("hangup_bye leg=%s transport=%s", leg_names[leg], tp_proto_name(b->tp));
	return 0;
 out:
	if (b->timer != NULL)
		event_free(b->timer);
	tp_conn_deref(b->back);
	free(b->msg);
	free(b);
	return err;
}

int
control_hangup(struct sp *sp, const char *call_id, const char *by)
{
	struct sp_call *c = dialog_find(sp, call_id);
	unsigned leg;
	int err;

	if (c == NULL) {
		log_debug("%s: call %s is not held here", __func__, LOG_ESCW(call_id));
		return ENOENT;
	}
	log_set_call_id(call_id);
	log_info("control_hangup by=%s state=%s", LOG_ESCW(by), dialog_state_name(c->state));
	if (c->state != SP_CALL_ANSWERED) {
		/* ringing: the INVITE is cancelled (and the call ends with it) */
		if (!txn_invite_abort(sp, call_id, "hangup"))
			media_end_call(sp, c, "hangup");
		log_set_call_id(NULL);
		return 0;
	}
	for (leg = 0; leg < 2; leg++)
		if ((err = bye_start(sp, c, leg)) != 0)
			log_warnx("hangup_bye_failed leg=%s err=%s remote_target=%s",
			    leg_names[leg], LOG_Q(strerror(err)), LOG_Q(c->remote[leg] ?
			    c->remote[leg] : "unknown"));
	media_end_call(sp, c, "hangup");
	log_set_call_id(NULL);
	return 0;
}

bool
control_response(struct sp *sp, const struct sip_msg *m)
{
	struct sp_control *k = sp->control;
	struct control_bye *b;
	struct sip_via v;
	int st = sip_msg_status(m);

	if (k == NULL || k->byes == NULL || sip_msg_method_id(m) != SIP_METHOD_BYE ||
	    sip_msg_via(m, 0, &v) != 0 || v.branch == NULL)
		return false;
	for (b = k->byes; b != NULL; b = b->next)
		if (strcmp(b->branch, v.branch) == 0 && strcmp(b->call_id, sip_msg_call_id(m)) == 0)
			break;
	if (b == NULL)
		return false;
	/* a provisional answer changes nothing: the final one ends the BYE */
	if (st >= 200) {
		log_info("hangup_bye_answered leg=%s status=%d", leg_names[b->leg], st);
		bye_free(b);
	}
	return true;
}
