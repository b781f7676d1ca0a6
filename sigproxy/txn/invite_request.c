/* SPDX-License-Identifier: BSD-2-Clause */
/* INVITEs in: routing, the call, the offer to mediad before the first branch; CANCEL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "txn_int.h"

static void txn_media_start(struct sp_txn *t, struct sp_call *c);

static void
offer_done(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct sp_txn *t = arg;
	struct sp_call *c;

	t->mop = NULL;
	if (t->state == TXN_DONE)
		return;
	c = dialog_find(t->sp, t->call_id);
	if (status == 503 && !t->in_dialog && !t->offer_retried && c != NULL &&
	    mediad_pool_up_count(t->sp->pool) > 0) {
		/* a new call may move to another mediad: nothing is set up on the first one */
		t->offer_retried = true;
		dialog_forget_mediad(c);
		log_info("offer_retry reason=\"mediad %s failed\"", c->mediad_id);
		txn_media_start(t, c);
		return;
	}
	if (status != 200) {
		txn_final_extra(t, status, warning, "mediad offer failed");
		return;
	}
	if (sdp != NULL) {
		/* mediad's SDP in place of the caller's, a multipart's other parts untouched */
		if (sip_msg_body_replace_sdp(t->req, sdp, len, &t->offer, &t->offer_len,
		    &t->offer_ctype)) {
			txn_final_local(t, 500, NULL, "out of memory");
			return;
		}
		t->offer_keys = policy_sdp_has_keys(sdp, len);
	}
	if (t->in_dialog) {
		enum tp_proto tp;
		struct sa dst;
		int err;

		/* the dialog's route, as checked (the call may have ended meanwhile) */
		if (c == NULL) {
			txn_final_local(t, 481, NULL, "call ended");
		} else if (dialog_next_hop(c, 1 - t->leg, &tp, &dst)) {
			txn_final_local(t, 502, NULL, "no next hop");
		} else if (t->offer_keys && !media_keys_allowed(t->sp, t->out_side, tp)) {
			txn_keys_refused(t, tp, NULL);
			txn_final_local(t, 488, NULL, "SDES keys need TLS");
		} else if ((err = txn_branch_start(t, tp, &dst, NULL, NULL)) != 0) {
			if (err == ENOSPC || err == EMSGSIZE)
				txn_final_too_large(t);
			else
				txn_final_local(t, 502, NULL, "no next hop");
		}
		return;
	}
	txn_try_next(t);
}

static void
txn_media_start(struct sp_txn *t, struct sp_call *c)
{
	struct sip_body b;
	const char *body;
	size_t blen;
	int st;

	/* the SDP (a multipart's SDP part); other bodies were refused or go on as they are */
	(void)sip_body_parse(t->req, &b);
	body = b.sdp;
	blen = b.sdp != NULL ? b.sdp_len : 0;
	if (blen > 0 && c == NULL) {
		/* only mediad's SDP ever leaves: without the call there is none to give */
		log_warnx("sdp_refused reason=\"re-INVITE with SDP for a call not known here\"");
		txn_final_local(t, 481, NULL, "no call for the SDP");
		return;
	}
	if (blen == 0 || c == NULL) {
		t->late_offer = blen == 0 && c != NULL;
		offer_done(200, NULL, 0, NULL, t);
		return;
	}
	st = media_offer(t->sp, c, sip_msg_dialog_from_tag(t->req), sip_msg_dialog_to_tag(t->req),
	    t->in_branch, t->in_side, t->out_side, t->src.lsnr->proto, body, blen, offer_done, t,
	    &t->mop);
	if (st)
		txn_final_extra(t, st, st == 488 ? media_refusal_warning() : NULL,
		    st == 488 ? "encryption policy" : "no mediad");
}

/* The re-INVITE passed its dialog check (status 0) or is refused with status. */
static void
reinvite_checked(struct sp_call *c, unsigned leg, int status, void *arg)
{
	struct sp_txn *t = arg;

	if (t->state == TXN_DONE)
		return;		/* cancelled while its call was read */
	if (status) {
		txn_final_local(t, status, status == 403 ? "Not relayed (no such dialog)" : NULL,
		    "refused at the border");
		return;
	}
	t->leg = leg;
	t->out_side = c->side[1 - leg];
	dialog_note_cseq(t->sp, c, leg, sip_msg_cseq(t->req));
	txn_media_start(t, c);
}

/*
 * The INVITE ends before an answer: its live branch CANCELled, mediad's offer dropped,
 * status upstream (extra: header lines), the call failed with reason.
 */
static void
invite_stop(struct sp_txn *t, int status, const char *phrase, const char *extra,
    const char *reason)
{
	t->cancelled = true;
	if (t->nbr > 0)
		txn_branch_cancel(t, &t->br[t->nbr - 1]);
	media_cancel(t->mop);
	t->mop = NULL;
	txn_upstream_reply(t, status, phrase, extra);
	txn_call_fail(t, reason);
	txn_done(t);
}

bool
txn_invite_abort(struct sp *sp, const char *call_id, int status, const char *phrase,
    const char *extra, const char *reason)
{
	struct sp_txn *t;

	for (t = sp->txns[sp_bucket(call_id)]; t != NULL; t = t->next)
		if (!t->in_dialog && t->state != TXN_DONE && !t->cancelled &&
		    strcmp(t->call_id, call_id) == 0)
			break;
	if (t == NULL)
		return false;
	log_info("invite_abort status=%d reason=%s", status, LOG_Q(reason));
	invite_stop(t, status, phrase, extra, reason);
	return true;
}

void
txn_invite_cancel(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	const char *key = sip_msg_txn_key(m);
	struct sp_txn *t = NULL;

	if (key != NULL)
		t = txn_find(sp, key, sip_msg_call_id(m));
	/* only from the side the INVITE came from: the branch alone travels both ways */
	if (t == NULL || t->in_side != src->lsnr->side) {
		send_reply(sp, src, m, txn_refuse_note(sp, src, m, SP_REFUSED_CANCEL, 481), NULL,
		    NULL);
		return;
	}
	send_reply(sp, src, m, 200, NULL, NULL);
	if (t->state == TXN_DONE || t->cancelled)
		return;
	log_info("invite_cancel");
	invite_stop(t, 487, NULL, NULL, "cancel");
}

/* The transaction for m; on failure 500 upstream and m freed. Returns 0 or ENOMEM. */
static int
invite_txn_open(struct sp *sp, const struct sp_src *src, struct sip_msg *m, struct sp_txn **tp)
{
	int err;

	err = txn_new(sp, src, m, txn_invite_timer, tp);
	if (err) {
		send_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
	}
	return err;
}

/* Side of the targets of rule (inside unless its section says otherwise). */
static enum sp_side
rule_side(struct sp *sp, const struct route_rule *rule)
{
	enum sp_side side = SP_SIDE_INSIDE;
	unsigned i;

	for (i = 0; i < route_table_count(sp->cfg.routes) && i < 64; i++)
		if (route_table_rule(sp->cfg.routes, i) == rule)
			side = sp->cfg.route_side[i];
	return side;
}

/* An INVITE without To tag: a new call along the rule its Request-URI user matches. */
static void
invite_initial(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	const struct route_rule *rule;
	char userbuf[ROUTE_USER_MAX], extra[64];
	struct route_slot slot;
	enum route_refusal why;
	struct sp_txn *t;
	struct sp_call *c;
	const char *user;
	unsigned retry;
	size_t ulen;
	int err;

	if (sp->cfg.redis_enabled && !sp_redis_up(sp)) {
		metric_inc(sp->ctr.redis_unavailable);
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", sp->cfg.retry_after);
		log_warnx("invite_refused status=503 reason=\"redis unavailable\"");
		send_reply(sp, src, m, 503, "Service Unavailable (state store down)", extra);
		sip_msg_free(m);
		return;
	}
	user = sip_msg_ruri_user(m, &ulen);
	err = route_match(sp->cfg.routes, user ? user : "", user ? ulen : 0, src->lsnr->name,
	    &rule, userbuf, sizeof(userbuf));
	if (err) {
		log_info("invite_refused status=404 reason=\"no route\"");
		send_reply(sp, src, m, err == ENOENT ? 404 : 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	if (dialog_find(sp, sip_msg_call_id(m)) != NULL) {
		/* a second INVITE for a live call-id without To tag: a loop or a spiral */
		send_reply(sp, src, m, 482, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	if (route_admit_call(sp->admit, rule, time_mono_ms(), &slot, &why, &retry) != 0) {
		txn_admit_refuse(sp, src, m, rule->name, why, retry);
		return;
	}
	if (invite_txn_open(sp, src, m, &t)) {
		route_admit_release(sp->admit, &slot);
		return;
	}
	t->rule = rule;
	snprintf(t->user, sizeof(t->user), "%s", userbuf);
	t->out_side = rule_side(sp, rule);
	txn_upstream_reply(t, 100, NULL, NULL);
	metric_inc(sp->ctr.calls);
	if (dialog_create(sp, &c, t->call_id, sip_msg_dialog_from_tag(m))) {
		route_admit_release(sp->admit, &slot);
		txn_final_local(t, 500, NULL, "call state");
		return;
	}
	/* the call holds its place on the route until it is freed */
	c->admit = slot;
	dialog_set_legs(c, t->in_side, t->out_side, src->conn, src->lsnr->proto);
	dialog_set_caller(c, m, &src->addr, src->conn);
	dialog_set_route(c, rule->name);
	txn_learn_remote(sp, c, 0, t->req);
	log_info("invite_in route=%s listener=%s", rule->name, src->lsnr->name);
	dialog_write(sp, c);
	txn_media_start(t, c);
}

void
txn_invite_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	const char *key = sip_msg_txn_key(m);
	struct sp_txn *t;

	if (key != NULL && (t = txn_find(sp, key, sip_msg_call_id(m))) != NULL) {
		if (t->last != NULL)
			send_response(sp, &t->src, t->last, t->last_len);
		sip_msg_free(m);
		return;
	}
	if (!txn_body_acceptable(sp, src, m)) {
		sip_msg_free(m);
		return;
	}
	if (sip_msg_to_tag(m) == NULL) {
		invite_initial(sp, src, m);
		return;
	}
	/* re-INVITE: checked against its dialog, routed along it, media through its mediad */
	if (invite_txn_open(sp, src, m, &t))
		return;
	t->in_dialog = true;
	t->out_side = t->in_side == SP_SIDE_OUTSIDE ? SP_SIDE_INSIDE : SP_SIDE_OUTSIDE;
	txn_upstream_reply(t, 100, NULL, NULL);
	txn_dialog_check(sp, &t->src, t->req, reinvite_checked, t);
}
