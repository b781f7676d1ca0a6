/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Non-INVITE requests and ACKs for 2xx in: each is checked against its dialog first; then
 * BYE ends the call once it went on, UPDATE and PRACK offers and a late answer go
 * through mediad, and an SDP anywhere else goes on without its body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "txn_int.h"

/* A request waiting for its dialog check or for mediad before it is forwarded. */
struct pending {
	struct sp *sp;
	struct sp_src src;
	struct sip_msg *m;
	char branch[SP_ID_MAX];	/* top Via branch of m: the ng via-branch */
	unsigned leg;		/* the sender's leg, once checked */
};

static int
pending_new(struct sp *sp, const struct sp_src *src, struct sip_msg *m, struct pending **pp)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return ENOMEM;
	p->sp = sp;
	p->src = *src;
	if (src->conn)
		p->src.conn = tp_conn_ref(src->conn);
	p->m = m;
	if (sip_msg_txn_key(m) != NULL)
		snprintf(p->branch, sizeof(p->branch), "%s", sip_msg_txn_key(m));
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

/*
 * Answers p's request with status (Retry-After with a 503, warning with a 488: NULL or a
 * Warning line) and drops it with p.
 */
static void
pending_reply(struct pending *p, int status, const char *reason, const char *warning)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", p->sp->cfg.retry_after);
	send_reply(p->sp, &p->src, p->m, status, reason, status == 503 ? extra :
	    status == 488 ? warning : NULL);
	sip_msg_free(p->m);
	pending_free(p);
}

/* Whether m carries a session description (offer or answer), alone or in a multipart. */
static bool
has_sdp(const struct sip_msg *m)
{
	struct sip_body b;

	(void)sip_body_parse(m, &b);
	return b.sdp != NULL && b.sdp_len > 0;
}

/* m's SDP (a multipart's SDP part); *blen 0 when it has none. */
static const char *
sdp_of(const struct sip_msg *m, size_t *blen)
{
	struct sip_body b;

	(void)sip_body_parse(m, &b);
	*blen = b.sdp != NULL ? b.sdp_len : 0;
	return b.sdp;
}

static void
bye_forward(struct sp_call *c, struct pending *p)
{
	struct sp *sp = p->sp;
	int err;

	log_info("bye_in");
	log_debug("%s method=BYE listener=%s", __func__, LOG_Q(p->src.lsnr->name));
	/* forward while the call still holds the caller's connection */
	err = txn_nit_forward(sp, &p->src, p->m, c, p->leg, NULL, 0);
	/* only a BYE that went on ends the call: one that did not changes nothing */
	if (err == 0)
		media_end_call(sp, c, p->leg == 0 ? "bye_caller" : "bye_callee");
	pending_free(p);
}

static void
offer_sent(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct pending *p = arg;
	struct sp_call *c = dialog_find(p->sp, sip_msg_call_id(p->m));

	if (status == 200 && c == NULL)
		status = 481;	/* the call ended while mediad answered */
	if (status != 200) {
		pending_reply(p, status, NULL, warning);
		return;
	}
	txn_nit_forward(p->sp, &p->src, p->m, c, p->leg, sdp, len);
	pending_free(p);
}

/* UPDATE or PRACK with SDP (RFC 3311, 3262): an offer like a re-INVITE's, the answer in its 2xx. */
static void
offer_forward(struct sp_call *c, struct pending *p)
{
	struct sp *sp = p->sp;
	struct media_op *op;
	const char *body;
	size_t blen;
	int st;

	body = sdp_of(p->m, &blen);
	st = media_offer(sp, c, sip_msg_dialog_from_tag(p->m), sip_msg_dialog_to_tag(p->m),
	    p->branch, p->src.lsnr->side, c->side[1 - p->leg], p->src.lsnr->proto, body, blen,
	    offer_sent, p, &op);
	if (st)
		offer_sent(st, NULL, 0, st == 488 ? media_refusal_warning() : NULL, p);
}

static void
nit_checked(struct sp_call *c, unsigned leg, int status, void *arg)
{
	struct pending *p = arg;
	enum sip_method meth = sip_msg_method_id(p->m);

	if (status) {
		pending_reply(p, status, status == 403 ? "Not relayed (no such dialog)" : NULL, NULL);
		return;
	}
	p->leg = leg;
	if (meth == SIP_METHOD_BYE) {
		bye_forward(c, p);
		return;
	}
	if (meth == SIP_METHOD_UPDATE && txn_refresh_target(c, leg, p->m))
		dialog_write(p->sp, c);
	if (has_sdp(p->m) && (meth == SIP_METHOD_UPDATE || meth == SIP_METHOD_PRACK)) {
		offer_forward(c, p);
		return;
	}
	/* an SDP anywhere else never reaches mediad: txn_nit_forward() sends it bodiless */
	txn_nit_forward(p->sp, &p->src, p->m, c, leg, NULL, 0);
	pending_free(p);
}

void
txn_nit_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct pending *p;
	int st;

	if (txn_nit_retransmit(sp, m)) {
		sip_msg_free(m);
		return;
	}
	/* an offer in a body we cannot read is refused (415) before anything else */
	if (sip_msg_method_id(m) == SIP_METHOD_UPDATE || sip_msg_method_id(m) == SIP_METHOD_PRACK) {
		if (!txn_body_acceptable(sp, src, m)) {
			sip_msg_free(m);
			return;
		}
	}
	if (sip_msg_dialog_to_tag(m) == NULL) {
		/* outside any dialog and not for us: the SBC relays calls, nothing else */
		st = txn_refuse_note(sp, src, m, SP_REFUSED_OUT_OF_DIALOG, 403);
		send_reply(sp, src, m, st, "Not relayed (no dialog)", NULL);
		sip_msg_free(m);
		return;
	}
	if (pending_new(sp, src, m, &p)) {
		send_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	txn_dialog_check(sp, &p->src, p->m, nit_checked, p);
}

static void
ack_answered(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct pending *p = arg;
	struct sp_call *c = dialog_find(p->sp, sip_msg_call_id(p->m));

	(void)warning;	/* an ACK is answered by nobody */
	if (c == NULL) {
		sip_msg_free(p->m);	/* the call ended meanwhile: nothing to acknowledge */
		pending_free(p);
		return;
	}
	if (status != 200) {
		/* the ACK goes on without SDP; the callee learns nothing it could misuse */
		log_warnx("late_answer_failed status=%d", status);
		sdp = "";
		len = 0;
	}
	dialog_clear_late_offer(c);
	dialog_write(p->sp, c);
	txn_nit_forward(p->sp, &p->src, p->m, c, p->leg, sdp, len);
	pending_free(p);
}

static void
ack_checked(struct sp_call *c, unsigned leg, int status, void *arg)
{
	struct pending *p = arg;
	struct media_op *op;
	const char *body;
	size_t blen;
	int st;

	if (status) {
		/* an ACK is never answered: refused, it is dropped (and was counted) */
		sip_msg_free(p->m);
		pending_free(p);
		return;
	}
	p->leg = leg;
	body = sdp_of(p->m, &blen);
	if (!c->late_offer || blen == 0) {
		/* an SDP with no offer of ours to answer goes nowhere: the ACK goes on without it */
		(void)sip_msg_body(p->m, &blen);
		txn_nit_forward(p->sp, &p->src, p->m, c, leg, blen > 0 ? "" : NULL, 0);
		pending_free(p);
		return;
	}
	/* late offer: the answer travels in the ACK, tags swapped (ng-protocol.md §4) */
	st = media_answer(p->sp, c, sip_msg_dialog_to_tag(p->m), sip_msg_dialog_from_tag(p->m),
	    c->late_branch, p->src.lsnr->side, c->side[1 - leg], p->src.lsnr->proto, body, blen,
	    ack_answered, p, &op);
	if (st)
		ack_answered(st, NULL, 0, NULL, p);
}

void
txn_ack_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct pending *p;

	if (pending_new(sp, src, m, &p)) {
		sip_msg_free(m);
		return;
	}
	txn_dialog_check(sp, &p->src, p->m, ack_checked, p);
}
