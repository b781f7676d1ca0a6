/* SPDX-License-Identifier: BSD-2-Clause */
/* A call's media through its mediad: ng offer, answer and delete with the encryption policy applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "ng.h"
#include "dialog.h"
#include "media.h"

struct media_op {
	struct sp *sp;
	char call_id[SP_CALL_ID_MAX];
	char mediad_id[64];
	bool answer;
	enum sp_side from, to;
	media_done_h *h;
	void *arg;
	struct ng_req *req;
	char suite_from[64];
};

void
media_cancel(struct media_op *op)
{
	if (op == NULL)
		return;
	ng_req_cancel(op->req);
	free(op);
}

static void
op_done(const struct bencode_item *reply, void *arg)
{
	struct media_op *op = arg;
	struct sp *sp = op->sp;
	struct sp_call *c = dialog_find(sp, op->call_id);
	const char *sdp = NULL, *res;
	struct sdp_info si;
	size_t len = 0, rlen = 0;
	int status = 200;

	/* an ng reply (or its timeout) is handled for its call */
	log_set_call_id(op->call_id);
	if (reply == NULL) {
		metric_inc(sp->ctr.ng_timeouts);
		mediad_pool_mark_down(sp->pool, op->mediad_id);
		status = 503;
		goto out;
	}
	mediad_pool_mark_ok(sp->pool, op->mediad_id);
	if (ng_get_str(reply, "result", &res, &rlen) || rlen != 2 || memcmp(res, "ok", 2) != 0) {
		const char *why = "";
		size_t wl = 0;

		ng_get_str(reply, "error-reason", &why, &wl);
		if (wl == 0)
			ng_get_str(reply, "message", &why, &wl);
		log_warnx("ng_error op=%s result=%s reason=\"%s\"",
		    op->answer ? "answer" : "offer", LOG_ESCWN(res ? res : "", res ? rlen : 0),
		    LOG_ESCN(why, wl));
		metric_inc(sp->ctr.ng_errors);
		status = (rlen == 10 && memcmp(res, "load limit", 10) == 0) ? 503 : 500;
		goto out;
	}
	if (ng_get_str(reply, "sdp", &sdp, &len)) {
		status = 500;
		goto out;
	}
	policy_sdp_scan(sdp, len, &si);
	/* never a silent fall back to plain RTP towards a side that requires SRTP */
	if (policy_answer_check(sp->cfg.policy[op->to], &si)) {
		log_warnx("policy_reject side=%s policy=%s reason=\"%s SDP for that side "
		    "carries no usable crypto\"", sp_side_name(op->to),
		    sp_policy_name(sp->cfg.policy[op->to]), op->answer ? "answer" : "offer");
		metric_inc(sp->ctr.policy_rejects);
		status = 488;
		goto out;
	}
	if (c != NULL) {
		unsigned lt = dialog_leg(c, op->to), lf = dialog_leg(c, op->from);

		dialog_set_crypto(c, lt, si.crypto ? si.suite : "none");
		if (op->answer || c->crypto[lf][0] == '\0')
			dialog_set_crypto(c, lf, op->suite_from[0] ? op->suite_from : "none");
	}
 out:
	op->req = NULL;
	op->h(status, status == 200 ? sdp : NULL, status == 200 ? len : 0, op->arg);
	free(op);
	log_set_call_id(NULL);
}

static int
media_send(struct sp *sp, struct sp_call *c, bool answer, const char *from_tag,
    const char *to_tag, const char *branch, enum sp_side from, enum sp_side to, const char *sdp,
    size_t len, media_done_h *h, void *arg, struct media_op **opp)
{
	struct bencode_arena a;
	struct bencode_item *d;
	struct mediad_entry *e;
	struct media_op *op;
	struct sdp_info si;
	const char *profile;
	int err, status = 0;

	policy_sdp_scan(sdp, len, &si);
	if (!answer) {
		if (policy_offer_check(sp->cfg.policy[from], &si)) {
			log_warnx("policy_reject side=%s policy=%s reason=\"offer without "
			    "usable crypto\"", sp_side_name(from),
			    sp_policy_name(sp->cfg.policy[from]));
			metric_inc(sp->ctr.policy_rejects);
			return 488;
		}
		dialog_set_srtp_offered(c, from, si.savp && si.crypto);
		/*
		 * Optional towards a leg known to be on TLS (a late offer to a TLS caller): SDES
		 * keys are safe there and the peer chose secure signalling, so offer SRTP.
		 */
		profile = policy_offer_profile(sp->cfg.policy[to], c->srtp_offered[from] ||
		    strcmp(c->transport[dialog_leg(c, to)], "tls") == 0);
	} else {
		if (policy_answer_check(sp->cfg.policy[from], &si)) {
			log_warnx("policy_reject side=%s policy=%s reason=\"answer without "
			    "usable crypto\"", sp_side_name(from),
			    sp_policy_name(sp->cfg.policy[from]));
			metric_inc(sp->ctr.policy_rejects);
			return 488;
		}
		profile = (sp->cfg.policy[to] != SP_POLICY_OFF && c->srtp_offered[to]) ?
		    "RTP/SAVP" : "RTP/AVP";
	}
	if (!c->has_mediad) {
		if (mediad_pool_choose(sp->pool, &e)) {
			log_warnx("no_mediad reason=\"no healthy mediad\"");
			return 503;
		}
		dialog_set_mediad(c, e->id, &e->ng);
		log_info("mediad_chosen mediad=%s load=%u", e->id, e->load);
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return 500;
	op->sp = sp;
	snprintf(op->call_id, sizeof(op->call_id), "%s", c->call_id);
	snprintf(op->mediad_id, sizeof(op->mediad_id), "%s", c->mediad_id);
	snprintf(op->suite_from, sizeof(op->suite_from), "%s", si.crypto ? si.suite : "");
	op->answer = answer;
	op->from = from;
	op->to = to;
	op->h = h;
	op->arg = arg;
	bencode_arena_init(&a);
	err = policy_ng_dict(&a, &sp->cfg, answer ? "answer" : "offer", c->call_id, from_tag,
	    to_tag, branch, sdp, len, from, to, profile, &d);
	if (err == 0)
		err = ng_client_send(sp->ng, &c->mediad_ng, d, op_done, op, &op->req);
	bencode_arena_free(&a);
	if (err) {
		log_warnx("ng_send_failed err=%d", err);
		free(op);
		status = 500;
	} else {
		*opp = op;
	}
	return status;
}

int
media_offer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, const char *sdp, size_t len,
    media_done_h *h, void *arg, struct media_op **opp)
{
	return media_send(sp, c, false, from_tag, to_tag, branch, from, to, sdp, len, h, arg, opp);
}

int
media_answer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, const char *sdp, size_t len,
    media_done_h *h, void *arg, struct media_op **opp)
{
	return media_send(sp, c, true, from_tag, to_tag, branch, from, to, sdp, len, h, arg, opp);
}
