/* SPDX-License-Identifier: BSD-2-Clause */
/* Non-INVITE transactions: forwarding along the Route set, retransmissions, responses upstream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "timeutil.h"
#include "txn_int.h"

#define NIT_LINGER_MS 32000u	/* RFC 3261 Timer J / F */

enum nit_state {
	NIT_TRYING = 0,		/* forwarded, no final yet */
	NIT_ANSWERING,		/* a 2xx to an UPDATE offer waits for mediad's answer */
	NIT_COMPLETED,		/* final sent upstream; lingering */
};

struct sp_nit {
	struct sp_nit *next;
	struct sp *sp;
	char in_branch[SP_ID_MAX];
	char call_id[SP_CALL_ID_MAX];
	char method[32];
	char branch[SIP_BRANCH_SIZE];
	struct sp_src src;
	char *fwd;		/* request as forwarded (UDP retransmissions re-send it) */
	size_t fwd_len;
	enum sp_side out_side;
	enum tp_proto out_tp;
	struct sa out_dst;
	char *final;		/* final response sent upstream */
	size_t final_len;
	struct event *timer;
	enum nit_state state;	/* changed by nit_enter_state() only */
	bool sdp_offer;		/* an UPDATE or PRACK whose offer went through mediad */
	enum sp_side in_side;
	unsigned leg;		/* the sender's leg in its call */
	char *vias;		/* the request's Via lines when they went on hidden (owned) */
	char *up_call_id;	/* the Call-ID it came with when not the call's (owned), else NULL */
	uint32_t up_cseq;	/* its CSeq when it went on with another (dialog_cseq_to), else 0 */
	struct media_op *mop;	/* answer in the 2xx, pending */
	struct sip_msg *resp;	/* that 2xx */
};

/*
 * Whether m carries an SDP that mediad did not write: it never goes on as it came (its
 * keys and addresses stay here), only without a body. Multipart bodies count by content.
 */
static bool
body_is_sdp(const struct sip_msg *m)
{
	const char *ct = sip_msg_content_type(m), *body;
	size_t len;

	body = sip_msg_body(m, &len);
	if (len == 0)
		return false;
	return (ct != NULL && strcasestr(ct, "application/sdp") != NULL) ||
	    memmem(body, len, "application/sdp", 15) != NULL || memmem(body, len, "a=crypto:", 9);
}

static const char *
state_name(enum nit_state s)
{
	switch (s) {
	case NIT_TRYING: return "trying";
	case NIT_ANSWERING: return "answering";
	case NIT_COMPLETED: return "completed";
	}
	return "?";
}

static void
nit_enter_state(struct sp_nit *n, enum nit_state s)
{
	log_debug("%s method=%s from=%s to=%s", __func__, LOG_Q(n->method), state_name(n->state),
	    state_name(s));
	n->state = s;
}

static void
nit_free(struct sp_nit *n)
{
	struct sp_nit **pp;

	for (pp = &n->sp->nits[sp_bucket(n->call_id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	if (n->timer)
		event_free(n->timer);
	media_cancel(n->mop);
	sip_msg_free(n->resp);
	if (n->src.conn)
		tp_conn_deref(n->src.conn);
	free(n->fwd);
	free(n->final);
	free(n->vias);
	free(n->up_call_id);
	free(n);
}

void
txn_nit_free_all(struct sp *sp)
{
	unsigned i;

	for (i = 0; i < SP_BUCKETS; i++)
		while (sp->nits[i] != NULL)
			nit_free(sp->nits[i]);
}

static void
nit_timer(evutil_socket_t fd, short what, void *arg)
{
	nit_free(arg);
}

/* The transaction for m, forwarded as fwd[len] with our branch; NULL when out of memory. */
static struct sp_nit *
nit_new(struct sp *sp, const struct sp_src *src, const struct sip_msg *m, const char *fwd,
    size_t len, const char *branch)
{
	struct timeval tv = timeval_from_ms(NIT_LINGER_MS);
	struct sp_nit *n;

	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->fwd = malloc(len)) == NULL ||
	    (n->timer = evtimer_new(sp->base, nit_timer, n)) == NULL) {
		if (n != NULL) {
			free(n->fwd);
			free(n);
		}
		return NULL;
	}
	n->sp = sp;
	memcpy(n->fwd, fwd, len);
	n->fwd_len = len;
	/* the top Via branch, or for an RFC 2543 request the key derived from it */
	if (sip_msg_txn_key(m) != NULL)
		snprintf(n->in_branch, sizeof(n->in_branch), "%s", sip_msg_txn_key(m));
	snprintf(n->call_id, sizeof(n->call_id), "%s", sip_msg_call_id(m));
	snprintf(n->method, sizeof(n->method), "%s", sip_msg_method(m));
	snprintf(n->branch, sizeof(n->branch), "%s", branch);
	n->src = *src;
	if (src->conn)
		n->src.conn = tp_conn_ref(src->conn);
	n->in_side = src->lsnr->side;
	n->next = sp->nits[sp_bucket(n->call_id)];
	sp->nits[sp_bucket(n->call_id)] = n;
	evtimer_add(n->timer, &tv);
	return n;
}

int
txn_nit_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m, struct sp_call *c,
    unsigned leg, const char *body, size_t body_len)
{
	bool ack = sip_msg_method_id(m) == SIP_METHOD_ACK;
	unsigned to = 1 - leg;
	enum sp_side side = c->side[to];
	struct sp_listener *out;
	enum tp_proto tp;
	struct sip_fwd f;
	struct sip_hop hop;
	struct sp_nit *n = NULL;
	char branch[SIP_BRANCH_SIZE], contact[SP_URI_MAX];
	char *buf = sp->buf, *wrapped = NULL;
	size_t len;
	struct sa dst;
	int err;

	/* an SDP mediad did not write never goes on as it came: without a body */
	if (body == NULL && body_is_sdp(m)) {
		log_info("sdp_dropped method=%s reason=\"SDP not through mediad: forwarded without "
		    "a body\"", LOG_ESCW(sip_msg_method(m)));
		body = "";
		body_len = 0;
	}
	/* the border check passed: the dialog's route, never the request's own */
	err = dialog_next_hop(c, to, &tp, &dst);
	if (err) {
		log_info("sip_no_next_hop method=%s err=%d", LOG_ESCW(sip_msg_method(m)), err);
		if (!ack)
			send_reply(sp, src, m, 502, NULL, NULL);
		goto out;
	}
	out = send_listener_for(sp, side, tp);
	if (out == NULL) {
		err = ENETUNREACH;
		if (!ack)
			send_reply(sp, src, m, 502, "No listener for next hop", NULL);
		goto out;
	}
	if ((err = sip_branch_new(branch, sizeof(branch))))
		goto out;
	memset(&f, 0, sizeof(f));
	hop = out->hop;
	hop.transport = tp;
	f.via = &hop;
	f.branch = branch;
	f.self = sp->cfg.self;
	f.nself = sp->cfg.nlisteners;
	txn_dialog_route(c, to, &f);
	f.call_id = txn_leg_call_id(c, to);
	f.cseq = dialog_cseq_to(c, to, sip_msg_cseq(m));
	if (!ack)
		dialog_note_cseq(sp, c, leg, sip_msg_cseq(m));
	if (txn_hides(sp, side))
		txn_hide_request(out, tp, &f, contact, sizeof(contact));
	if (body != NULL && body_len > 0) {
		/* mediad's SDP in place of the peer's, a multipart's other parts untouched */
		err = sip_msg_body_replace_sdp(m, body, body_len, &wrapped, &f.body_len,
		    &f.content_type);
		if (err) {
			if (!ack)
				send_reply(sp, src, m, 500, NULL, NULL);
			goto out;
		}
		f.body = wrapped;
	} else if (body != NULL) {
		f.body = body;
		f.body_len = body_len;
		f.content_type = "application/sdp";
	}
	err = sip_build_request(buf, SP_BUF_SIZE, &len, m, &f);
	if (err == 0 && tp == TP_UDP && len > SP_FWD_MAX)
		err = EMSGSIZE;
	if (err) {
		/* too large once forwarded: the peer's size, not our failure (513, not 500) */
		if (!ack)
			send_reply(sp, src, m, err == ELOOP ? 483 : err == ENOSPC ||
			    err == EMSGSIZE ? 513 : 500, NULL, err == ENOSPC || err == EMSGSIZE ?
			    SP_TOO_LARGE_WARNING : NULL);
		goto out;
	}
	if (!ack) {
		n = nit_new(sp, src, m, buf, len, branch);
		if (n == NULL || (f.via_hide && sip_msg_lines_dup(m, "Via", &n->vias) != 0) ||
		    (strcmp(sip_msg_call_id_received(m), n->call_id) != 0 &&
		    (n->up_call_id = strdup(sip_msg_call_id_received(m))) == NULL)) {
			if (n != NULL)
				nit_free(n);
			err = ENOMEM;
			send_reply(sp, src, m, 500, NULL, NULL);
			goto out;
		}
		n->out_side = side;
		n->up_cseq = f.cseq != 0 ? sip_msg_cseq(m) : 0;
		n->out_tp = tp;
		n->out_dst = dst;
		n->leg = leg;
		n->sdp_offer = body != NULL && body_len > 0 &&
		    (sip_msg_method_id(m) == SIP_METHOD_UPDATE ||
		    sip_msg_method_id(m) == SIP_METHOD_PRACK);
	}
	err = send_in_dialog(sp, dialog_conn_back(c, side), side, tp, &dst, buf, len);
	if (err) {
		log_warnx("sip_send_failed method=%s err=%d", LOG_ESCW(sip_msg_method(m)), err);
		if (n != NULL)
			send_reply(sp, src, m, 503, NULL, NULL);
	}
 out:
	free(wrapped);
	sip_msg_free(m);
	return err;
}

bool
txn_nit_retransmit(struct sp *sp, const struct sip_msg *m)
{
	const char *key = sip_msg_txn_key(m);
	struct sp_nit *n;

	if (key == NULL)
		return false;
	for (n = sp->nits[sp_bucket(sip_msg_call_id(m))]; n != NULL; n = n->next) {
		if (strcmp(n->in_branch, key) == 0 &&
		    strcmp(n->call_id, sip_msg_call_id(m)) == 0 &&
		    strcmp(n->method, sip_msg_method(m)) == 0) {
			/* a retransmission: answer it or pass it on, never twice the work */
			if (n->final != NULL)
				send_response(sp, &n->src, n->final, n->final_len);
			else if (n->out_tp == TP_UDP)
				send_in_dialog(sp, NULL, n->out_side, n->out_tp, &n->out_dst, n->fwd,
				    n->fwd_len);
			return true;
		}
	}
	return false;
}

/* Sends a response upstream (body replaced when sdp != NULL) and keeps a final one. */
static void
nit_respond(struct sp_nit *n, const struct sip_msg *m, const char *sdp, size_t sdp_len)
{
	struct txn_upstream u = { n->in_side, n->out_side, n->src.lsnr, false, n->vias, NULL,
	    n->up_call_id != NULL ? n->up_call_id : n->call_id, n->up_cseq };
	struct sp *sp = n->sp;
	char *buf = sp->buf;
	size_t len;
	int status = sip_msg_status(m);

	if (sdp == NULL && body_is_sdp(m)) {
		log_info("sdp_dropped status=%d reason=\"SDP not through mediad: forwarded without "
		    "a body\"", status);
		sdp = "";
		sdp_len = 0;
	}
	if (sdp != NULL && sdp_len > 0) {
		/* mediad's SDP in place of the peer's, a multipart's other parts untouched */
		char *body = NULL;
		const char *ctype = NULL;
		size_t bl = 0;
		int err;

		err = sip_msg_body_replace_sdp(m, sdp, sdp_len, &body, &bl, &ctype);
		if (err == 0)
			err = txn_relay_build(sp, &u, m, body, bl, ctype, &len);
		free(body);
		if (err)
			return;
	} else if (txn_relay_build(sp, &u, m, sdp, sdp_len, sdp ? "application/sdp" : NULL,
	    &len)) {
		return;
	}
	send_count_response(sp, status);
	send_response(sp, &n->src, buf, len);
	if (status >= 200) {
		nit_enter_state(n, NIT_COMPLETED);
		n->final = malloc(len);
		if (n->final != NULL) {
			memcpy(n->final, buf, len);
			n->final_len = len;
		}
	}
}

static void
update_answered(int status, const char *sdp, size_t len, const char *warning, void *arg)
{
	struct sp_nit *n = arg;
	struct sip_msg *m = n->resp;

	n->mop = NULL;
	n->resp = NULL;
	nit_enter_state(n, NIT_TRYING);
	if (status != 200)
		log_warnx("update_answer_failed status=%d warning=%s", status,
		    LOG_QN(warning ? warning : "", warning ? strcspn(warning, "\r") : 0));
	/* without mediad's answer the 2xx goes on bodiless rather than with inside addresses */
	nit_respond(n, m, status == 200 ? sdp : "", status == 200 ? len : 0);
	sip_msg_free(m);
}

bool
txn_nit_response(struct sp *sp, struct sip_msg *m)
{
	struct sip_via v;
	struct sp_nit *n;
	int status = sip_msg_status(m);

	if (sip_msg_via(m, 0, &v) || v.branch == NULL)
		return false;
	for (n = sp->nits[sp_bucket(sip_msg_call_id(m))]; n != NULL; n = n->next)
		if (strcmp(n->branch, v.branch) == 0)
			break;
	if (n == NULL)
		return false;
	if (n->state != NIT_TRYING)
		return true;	/* retransmitted final: already answered, or being answered */
	if (status / 100 == 2 && strcmp(n->method, "UPDATE") == 0) {
		struct sp_call *c = dialog_find(sp, n->call_id);

		if (txn_refresh_target(c, 1 - n->leg, m))
			dialog_write(sp, c);
	}
	if (n->sdp_offer && status / 100 == 2) {
		struct sp_call *c = dialog_find(sp, n->call_id);
		struct sip_body b;
		const char *body, *raw;
		size_t blen, rlen;
		int st;

		/* the SDP (a multipart's SDP part) */
		(void)sip_body_parse(m, &b);
		body = b.sdp;
		blen = b.sdp != NULL ? b.sdp_len : 0;
		raw = sip_msg_raw(m, &rlen);
		if (c != NULL && blen > 0 &&
		    sip_msg_parse(&n->resp, raw, rlen, TP_UDP, NULL, NULL) == 0) {
			nit_enter_state(n, NIT_ANSWERING);
			st = media_answer(sp, c, sip_msg_dialog_from_tag(m),
			    sip_msg_dialog_to_tag(m), n->in_branch, n->out_side, n->in_side,
			    n->out_tp, body, blen, update_answered, n, &n->mop);
			if (st)
				update_answered(st, NULL, 0, NULL, n);
			return true;
		}
	}
	nit_respond(n, m, NULL, 0);
	return true;
}
