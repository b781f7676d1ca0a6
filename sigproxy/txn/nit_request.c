/* SPDX-License-Identifier: BSD-2-Clause */
/* Non-INVITE requests and ACKs for 2xx in: BYE ends the call, UPDATE and a late answer through mediad. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "txn_int.h"

/* A request waiting for a Redis lookup or mediad before it is forwarded. */
struct pending {
	struct sp *sp;
	struct sp_src src;
	struct sip_msg *m;
	char branch[SP_ID_MAX];	/* top Via branch of m: the ng via-branch */
};

static int
pending_new(struct sp *sp, const struct sp_src *src, struct sip_msg *m, struct pending **pp)
{
	struct pending *p = calloc(1, sizeof(*p));
	struct sip_via v;

	if (p == NULL)
		return ENOMEM;
	p->sp = sp;
	p->src = *src;
	if (src->conn)
		p->src.conn = tp_conn_ref(src->conn);
	p->m = m;
	if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL)
		snprintf(p->branch, sizeof(p->branch), "%s", v.branch);
	*pp = p;
	return 0;
}

/* Frees p once its message went on (or was answered): m is not p's any more. */
static void
pending_free(struct pending *p)
{
	if (p->src.conn)
		tp_conn_deref(p->src.conn);
	free(p);
}

static void
bye_with_call(struct sp_call *c, void *arg)
{
	struct pending *p = arg;

	if (c != NULL)
		dialog_note_cseq(c, dialog_leg(c, p->src.lsnr->side), sip_msg_cseq(p->m));
	/* forward while the call still holds the caller's connection */
	txn_nit_forward(p->sp, &p->src, p->m, NULL, 0);
	if (c != NULL)
		media_end_call(p->sp, c, dialog_leg(c, p->src.lsnr->side) == 0 ? "bye_caller" :
		    "bye_callee");
	pending_free(p);
}

static void
update_offered(int status, const char *sdp, size_t len, void *arg)
{
	struct pending *p = arg;

	if (status != 200)
		send_reply(p->sp, &p->src, p->m, status, NULL, NULL);
	if (status != 200)
		sip_msg_free(p->m);
	else
		txn_nit_forward(p->sp, &p->src, p->m, sdp, len);
	pending_free(p);
}

/* UPDATE with SDP (RFC 3311): an offer like a re-INVITE's, the answer in its 2xx. */
static void
update_offer(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct sp_call *c = dialog_find(sp, sip_msg_call_id(m));
	struct media_op *op;
	struct pending *p;
	const char *body;
	size_t blen;
	int st;

	body = sip_msg_body(m, &blen);
	if (c == NULL && blen > 0) {
		/* only mediad's SDP ever leaves: without the call there is none to give */
		log_warnx("sdp_refused reason=\"UPDATE with SDP for a call not known here\"");
		send_reply(sp, src, m, 481, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	if (c == NULL || blen == 0) {
		txn_nit_forward(sp, src, m, NULL, 0);
		return;
	}
	if (pending_new(sp, src, m, &p)) {
		send_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	st = media_offer(sp, c, sip_msg_from_tag(m), sip_msg_to_tag(m), p->branch, src->lsnr->side,
	    dialog_peer_side(c, src->lsnr->side), src->lsnr->proto, body, blen, update_offered, p,
	    &op);
	if (st)
		update_offered(st, NULL, 0, p);
}

void
txn_nit_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct sp_call *c;
	struct pending *p;

	if (txn_nit_retransmit(sp, m)) {
		sip_msg_free(m);
		return;
	}
	if (sip_msg_method_id(m) == SIP_METHOD_UPDATE) {
		update_offer(sp, src, m);
		return;
	}
	if (sip_msg_method_id(m) != SIP_METHOD_BYE) {
		txn_nit_forward(sp, src, m, NULL, 0);
		return;
	}
	log_info("bye_in");
	log_debug("%s: BYE on listener %s", __func__, src->lsnr->name);
	if (pending_new(sp, src, m, &p)) {
		send_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	c = dialog_find(sp, sip_msg_call_id(m));
	/* a call set up by another instance: its record says which mediad holds the media */
	if (c == NULL && dialog_lookup(sp, sip_msg_call_id(m), bye_with_call, p) == 0)
		return;
	bye_with_call(c, p);
}

static void
ack_answered(int status, const char *sdp, size_t len, void *arg)
{
	struct pending *p = arg;
	struct sp_call *c = dialog_find(p->sp, sip_msg_call_id(p->m));

	if (status != 200) {
		/* the ACK goes on without SDP; the callee learns nothing it could misuse */
		log_warnx("late_answer_failed status=%d", status);
		txn_nit_forward(p->sp, &p->src, p->m, "", 0);
	} else {
		txn_nit_forward(p->sp, &p->src, p->m, sdp, len);
	}
	if (c != NULL) {
		dialog_clear_late_offer(c);
		dialog_write(p->sp, c);
	}
	pending_free(p);
}

void
txn_ack_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct sp_call *c = dialog_find(sp, sip_msg_call_id(m));
	struct media_op *op;
	struct pending *p;
	const char *body;
	size_t blen;
	int st;

	body = sip_msg_body(m, &blen);
	if (c == NULL || !c->late_offer || blen == 0) {
		txn_nit_forward(sp, src, m, NULL, 0);
		return;
	}
	/* late offer: the answer travels in the ACK, tags swapped (ng-protocol.md §4) */
	if (pending_new(sp, src, m, &p)) {
		sip_msg_free(m);
		return;
	}
	st = media_answer(sp, c, sip_msg_to_tag(m), sip_msg_from_tag(m), c->late_branch,
	    src->lsnr->side, dialog_peer_side(c, src->lsnr->side), src->lsnr->proto, body, blen,
	    ack_answered, p, &op);
	if (st)
		ack_answered(st, NULL, 0, p);
}
