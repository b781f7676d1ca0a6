/* SPDX-License-Identifier: BSD-2-Clause */
/* Responses on INVITE branches: failures fail over, 2xx and 18x go upstream through mediad's answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "txn_int.h"

/*
 * The response m upstream with mediad's SDP in place of the callee's (a multipart's other
 * parts untouched), built into sp->buf; 0 or an errno.
 */
static int
upstream_with_sdp(struct sp_txn *t, const struct sip_msg *m, const char *sdp, size_t len,
    size_t *blen)
{
	const char *ctype = NULL;
	char *body = NULL;
	size_t bl = 0;
	int err;

	err = sip_msg_body_replace_sdp(m, sdp, len, &body, &bl, &ctype);
	if (err == 0)
		err = txn_upstream_build(t, m, body, bl, ctype, blen);
	free(body);
	return err;
}

static void
answer_done(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct sp_txn *t = arg;
	struct sp *sp = t->sp;
	struct sp_call *c = dialog_find(sp, t->call_id);
	struct sip_msg *m = t->answer_2xx;
	char *buf = sp->buf;
	size_t blen;

	t->mop = NULL;
	t->answer_2xx = NULL;
	if (status != 200) {
		/* never forward a 2xx whose media we could not set up: end both sides */
		txn_branch_bye(t, &t->br[t->nbr - 1], m);
		sip_msg_free(m);
		txn_final_extra(t, status == 488 ? 488 : 500, warning, "mediad answer failed");
		return;
	}
	if (upstream_with_sdp(t, m, sdp, len, &blen)) {
		txn_branch_bye(t, &t->br[t->nbr - 1], m);
		sip_msg_free(m);
		txn_final_local(t, 500, NULL, "2xx could not be rebuilt");
		return;
	}
	txn_upstream_send(t, buf, blen, sip_msg_status(m));
	if (c != NULL && t->in_dialog) {
		/* a target refresh both ways: the re-INVITE's Contact and its 2xx's */
		bool moved = txn_refresh_target(c, 1 - t->leg, m);

		if (txn_refresh_target(c, t->leg, t->req) || moved)
			dialog_write(sp, c);
	}
	if (c != NULL && !t->in_dialog) {
		dialog_set_answered(c, sip_msg_dialog_to_tag(m));
		txn_learn_remote(sp, c, 1, m);
		dialog_set_callee_conn(c, t->br[t->nbr - 1].conn);
		metric_inc(sp->ctr.calls_answered);
		metrics_hist_observe(sp->hist.call_setup, time_mono_us() - t->start_us);
		log_info("call_answered target=%s mediad=%s caller=%s/%s callee=%s/%s", c->target,
		    c->mediad_id, c->transport[0], c->crypto[0], c->transport[1], c->crypto[1]);
		dialog_write(sp, c);
	}
	sip_msg_free(m);
	txn_done(t);
}

static void
on_2xx(struct sp_txn *t, const struct sip_msg *m)
{
	struct sp *sp = t->sp;
	struct sp_call *c = dialog_find(sp, t->call_id);
	struct sip_body b;
	const char *body;
	size_t blen;
	int st;

	txn_timer_stop(t);
	/* a 2xx overtakes a pending early answer: the 18x must not follow the 2xx */
	media_cancel(t->mop);
	t->mop = NULL;
	sip_msg_free(t->early);
	t->early = NULL;
	/* the SDP (a multipart's SDP part); a body we cannot read counts as none */
	(void)sip_body_parse(m, &b);
	body = b.sdp;
	blen = b.sdp != NULL ? b.sdp_len : 0;
	if (b.kind == SIP_BODY_UNSUPPORTED)
		log_warnx("answer_body_refused content_type=%s reason=%s",
		    LOG_Q(b.ctype ? b.ctype : ""), LOG_Q(b.why));
	/* kept until mediad answers: a reference, not a second parse */
	t->answer_2xx = sip_msg_ref(m);
	txn_enter_state(t, TXN_ANSWERING);
	if (c == NULL || blen == 0) {
		/*
		 * Nothing to relay (no SDP in the 2xx: not valid for an offer/answer we made);
		 * an SDP without its call never goes on as it came (keys, inside addresses).
		 */
		if (c == NULL || !t->late_offer) {
			answer_done(c != NULL ? 488 : blen > 0 ? 500 : 200, body, blen, NULL, t);
			return;
		}
	}
	if (t->late_offer) {
		/* offer in the 2xx: tags and sides swapped (ng-protocol.md §4) */
		dialog_set_late_offer(c, t->in_branch);
		st = media_offer(sp, c, sip_msg_dialog_to_tag(m), sip_msg_dialog_from_tag(m),
		    t->in_branch, t->out_side, t->in_side, t->br[t->nbr - 1].tp, body, blen,
		    answer_done, t, &t->mop);
	} else {
		st = media_answer(sp, c, sip_msg_dialog_from_tag(m), sip_msg_dialog_to_tag(m),
		    t->in_branch, t->out_side, t->in_side, t->br[t->nbr - 1].tp, body, blen,
		    answer_done, t, &t->mop);
	}
	if (st)
		answer_done(st, NULL, 0, st == 488 ? media_refusal_warning() : NULL, t);
}

static void
early_done(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct sp_txn *t = arg;
	struct sip_msg *m = t->early;
	char *buf = t->sp->buf;
	size_t blen;
	int err;

	t->mop = NULL;
	t->early = NULL;
	(void)warning;	/* the 18x goes on without a body: the 2xx decides */
	if (m == NULL)
		return;
	/* without mediad's SDP the 18x goes on bodiless: the inside address never leaks */
	if (status == 200)
		err = upstream_with_sdp(t, m, sdp, len, &blen);
	else
		err = txn_upstream_build(t, m, "", 0, "application/sdp", &blen);
	if (err == 0 && t->state == TXN_CALLING)
		txn_upstream_send(t, buf, blen, sip_msg_status(m));
	sip_msg_free(m);
}

/* A 18x upstream; with SDP (early media) through mediad's answer first. */
static void
early_forward(struct sp_txn *t, const struct sip_msg *m)
{
	struct sp_call *c = dialog_find(t->sp, t->call_id);
	struct sip_body b;
	const char *body;
	char *buf = t->sp->buf;
	size_t blen, len;
	int st;

	/* an early dialog: its requests (PRACK, UPDATE) are checked against this leg */
	if (c != NULL && !t->in_dialog && sip_msg_to_tag(m) != NULL) {
		dialog_set_early(c, sip_msg_to_tag(m));
		txn_learn_remote(t->sp, c, 1, m);
	}
	/* the SDP (a multipart's SDP part); a body we cannot read counts as none */
	(void)sip_body_parse(m, &b);
	body = b.sdp;
	blen = b.sdp != NULL ? b.sdp_len : 0;
	if (b.len == 0) {
		if (txn_upstream_build(t, m, NULL, 0, NULL, &len) == 0)
			txn_upstream_send(t, buf, len, sip_msg_status(m));
		return;
	}
	if (c == NULL || blen == 0 || t->late_offer || t->mop != NULL || t->early != NULL) {
		/* no offer of ours to answer (late offer), one already pending, no SDP: no body */
		if (txn_upstream_build(t, m, "", 0, "application/sdp", &len) == 0)
			txn_upstream_send(t, buf, len, sip_msg_status(m));
		return;
	}
	t->early = sip_msg_ref(m);
	st = media_answer(t->sp, c, sip_msg_dialog_from_tag(m), sip_msg_dialog_to_tag(m),
	    t->in_branch, t->out_side, t->in_side, t->br[t->nbr - 1].tp, body, blen, early_done, t,
	    &t->mop);
	if (st)
		early_done(st, NULL, 0, NULL, t);
}

/* A final failure on branch b: the next target, or the best final upstream. */
static void
on_failure(struct sp_txn *t, struct branch *b, const struct sip_msg *m, int status)
{
	txn_branch_ack(t, b, m);
	if (b != &t->br[t->nbr - 1] || t->state != TXN_CALLING)
		return;	/* a cancelled branch, or a retransmission */
	txn_timer_stop(t);
	log_info("target_failed status=%d", status);
	txn_best_consider(t, m, status);
	if (!t->in_dialog && status / 100 != 6 && route_failover_on(t->rule, status) &&
	    !t->cancelled) {
		metric_inc(t->sp->ctr.failovers);
		txn_try_next(t);
	} else {
		txn_send_best(t);
	}
}

bool
txn_invite_response(struct sp *sp, struct sip_msg *m)
{
	struct sip_via v;
	struct sp_txn *t;
	struct branch *b;
	int status = sip_msg_status(m);

	if (sip_msg_via(m, 0, &v) || v.branch == NULL)
		return false;
	if (sip_msg_method_id(m) == SIP_METHOD_CANCEL)	/* our CANCEL's answer: hop by hop */
		return txn_branch_find(sp, v.branch, sip_msg_call_id(m), &t) != NULL;
	if (sip_msg_method_id(m) != SIP_METHOD_INVITE)
		return false;
	b = txn_branch_find(sp, v.branch, sip_msg_call_id(m), &t);
	if (b == NULL)
		return false;
	if (status >= 300) {
		on_failure(t, b, m, status);
		return true;
	}
	if (status >= 200) {
		if (t->state == TXN_DONE && t->last_status / 100 == 2) {
			/* retransmitted 2xx: the upstream ACK has not passed yet */
			send_response(sp, &t->src, t->last, t->last_len);
			return true;
		}
		if (t->state != TXN_CALLING || b != &t->br[t->nbr - 1]) {
			if (t->state != TXN_ANSWERING)
				txn_branch_bye(t, b, m);	/* a 2xx after CANCEL or failover */
			return true;
		}
		on_2xx(t, m);
		return true;
	}
	/* provisional */
	if (b != &t->br[t->nbr - 1] || t->state != TXN_CALLING)
		return true;
	txn_branch_provisional(t, b);
	if (b->cancelled)
		return true;
	if (status == 100)
		return true;
	early_forward(t, m);
	return true;
}
