/* SPDX-License-Identifier: BSD-2-Clause */
/* Non-INVITE requests (BYE, OPTIONS, UPDATE, INFO...) and ACKs for 2xx: loose routing, media teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "sigproxy.h"

#define NIT_LINGER_MS 32000u	/* RFC 3261 Timer J / F */

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
	enum sip_transport out_tp;
	struct sa out_dst;
	char *final;		/* final response sent upstream */
	size_t final_len;
	struct event *timer;
	bool sdp_offer;		/* an UPDATE whose offer went through mediad */
	enum sp_side in_side;
	struct media_op *mop;	/* answer in the 2xx, pending */
	struct sip_msg *resp;	/* that 2xx */
};

/* A request waiting for a Redis lookup or mediad before it is forwarded. */
struct pending {
	struct sp *sp;
	struct sp_src src;
	struct sip_msg *m;
	char branch[SP_ID_MAX];	/* top Via branch of m: the ng via-branch */
};

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

static enum sp_side
other_side(enum sp_side s)
{
	return s == SP_SIDE_OUTSIDE ? SP_SIDE_INSIDE : SP_SIDE_OUTSIDE;
}

static int pending_new(struct sp *sp, const struct sp_src *src, struct sip_msg *m,
    struct pending **pp);

/* Builds and sends m onwards; creates the transaction unless it is an ACK. */
static void
forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m, const char *body,
    size_t body_len)
{
	bool ack = sip_msg_method_id(m) == SIP_METHOD_ACK;
	struct sp_listener *out;
	enum sip_transport tp;
	enum sp_side side = other_side(src->lsnr->side);
	struct sp_call *c = dialog_find(sp, sip_msg_call_id(m));
	struct sip_via v;
	struct sip_fwd f;
	struct sip_hop hop;
	struct sp_nit *n = NULL;
	char branch[SIP_BRANCH_SIZE];
	char *buf = sp->buf;
	size_t len;
	struct sa dst;
	int err;

	if (c != NULL && c->side[0] != c->side[1])
		side = src->lsnr->side == c->side[0] ? c->side[1] : c->side[0];
	/*
	 * Only requests of dialogs we Record-Routed are relayed: anything else would make
	 * the SBC an open relay from the outside into the trusted network.
	 */
	if (!proxy_routed_via_us(sp, m)) {
		char a[SA_STRLEN];

		log_info("sip_refused method=%s call_id=%s src=%s reason=\"not routed via us\"",
		    sip_msg_method(m), sip_msg_call_id(m), sa_format(&src->addr, a, sizeof(a)));
		metric_inc(sp->ctr.drops);
		if (!ack)
			proxy_reply(sp, src, m, 403, "Not relayed (no Route through this proxy)",
			    NULL);
		goto out;
	}
	err = proxy_next_hop(sp, m, &tp, &dst);
	if (err) {
		log_info("sip_no_next_hop method=%s call_id=%s err=%d", sip_msg_method(m),
		    sip_msg_call_id(m), err);
		if (!ack)
			proxy_reply(sp, src, m, err == ENOENT ? 404 : 502, NULL, NULL);
		goto out;
	}
	out = proxy_listener_for(sp, side, tp);
	if (out == NULL) {
		if (!ack)
			proxy_reply(sp, src, m, 502, "No listener for next hop", NULL);
		goto out;
	}
	if (sip_branch_new(branch, sizeof(branch)))
		goto out;
	memset(&f, 0, sizeof(f));
	hop = out->hop;
	hop.transport = tp;
	f.via = &hop;
	f.branch = branch;
	f.self = sp->cfg.self;
	f.nself = sp->cfg.nlisteners;
	if (body != NULL) {
		f.body = body;
		f.body_len = body_len;
		f.content_type = "application/sdp";
	}
	err = sip_build_request(buf, SP_BUF_SIZE, &len, m, &f);
	if (err) {
		if (!ack)
			proxy_reply(sp, src, m, err == ELOOP ? 483 : 500, NULL, NULL);
		goto out;
	}
	if (!ack) {
		n = calloc(1, sizeof(*n));
		if (n == NULL || (n->fwd = malloc(len)) == NULL ||
		    (n->timer = evtimer_new(sp->base, nit_timer, n)) == NULL) {
			if (n != NULL) {
				free(n->fwd);
				free(n);
			}
			proxy_reply(sp, src, m, 500, NULL, NULL);
			goto out;
		}
		n->sp = sp;
		memcpy(n->fwd, buf, len);
		n->fwd_len = len;
		if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL)
			snprintf(n->in_branch, sizeof(n->in_branch), "%s", v.branch);
		snprintf(n->call_id, sizeof(n->call_id), "%s", sip_msg_call_id(m));
		snprintf(n->method, sizeof(n->method), "%s", sip_msg_method(m));
		snprintf(n->branch, sizeof(n->branch), "%s", branch);
		n->src = *src;
		if (src->conn)
			n->src.conn = tp_conn_ref(src->conn);
		n->out_side = side;
		n->out_tp = tp;
		n->out_dst = dst;
		n->in_side = src->lsnr->side;
		n->sdp_offer = body != NULL && body_len > 0 &&
		    sip_msg_method_id(m) == SIP_METHOD_UPDATE;
		n->next = sp->nits[sp_bucket(n->call_id)];
		sp->nits[sp_bucket(n->call_id)] = n;
		struct timeval tv = { NIT_LINGER_MS / 1000, 0 };
		evtimer_add(n->timer, &tv);
	}
	err = proxy_send_in_dialog(sp, c, side, tp, &dst, buf, len);
	if (err) {
		log_warnx("sip_send_failed method=%s call_id=%s err=%d", sip_msg_method(m),
		    sip_msg_call_id(m), err);
		if (n != NULL)
			proxy_reply(sp, src, m, 503, NULL, NULL);
	}
 out:
	sip_msg_free(m);
}

static void
bye_with_call(struct sp_call *c, void *arg)
{
	struct pending *p = arg;

	if (c != NULL)
		media_delete(p->sp, c);
	/* forward while the call still holds the caller's connection */
	forward(p->sp, &p->src, p->m, NULL, 0);
	if (c != NULL)
		dialog_end(p->sp, c, "bye");
	if (p->src.conn)
		tp_conn_deref(p->src.conn);
	free(p);
}

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

static void
update_offered(int status, const char *sdp, size_t len, void *arg)
{
	struct pending *p = arg;

	if (status != 200)
		proxy_reply(p->sp, &p->src, p->m, status, NULL, NULL);
	if (status != 200)
		sip_msg_free(p->m);
	else
		forward(p->sp, &p->src, p->m, sdp, len);
	if (p->src.conn)
		tp_conn_deref(p->src.conn);
	free(p);
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
	enum sp_side to;
	int st;

	body = sip_msg_body(m, &blen);
	if (c == NULL || blen == 0) {
		forward(sp, src, m, NULL, 0);
		return;
	}
	if (pending_new(sp, src, m, &p)) {
		proxy_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	to = src->lsnr->side == c->side[0] ? c->side[1] : c->side[0];
	st = media_offer(sp, c, sip_msg_from_tag(m), sip_msg_to_tag(m), p->branch, src->lsnr->side, to,
	    body, blen, update_offered, p, &op);
	if (st)
		update_offered(st, NULL, 0, p);
}

void
txn_nit_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct sip_via v;
	struct sp_nit *n;
	struct sp_call *c;
	struct pending *p;

	if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL) {
		for (n = sp->nits[sp_bucket(sip_msg_call_id(m))]; n != NULL; n = n->next) {
			if (strcmp(n->in_branch, v.branch) == 0 &&
			    strcmp(n->call_id, sip_msg_call_id(m)) == 0 &&
			    strcmp(n->method, sip_msg_method(m)) == 0) {
				/* a retransmission: answer it or pass it on, never twice the work */
				if (n->final != NULL)
					proxy_send_response(sp, &n->src, n->final, n->final_len);
				else if (n->out_tp == SIP_TRANSPORT_UDP)
					proxy_send_in_dialog(sp, NULL, n->out_side, n->out_tp,
					    &n->out_dst, n->fwd, n->fwd_len);
				sip_msg_free(m);
				return;
			}
		}
	}
	if (sip_msg_method_id(m) == SIP_METHOD_UPDATE) {
		update_offer(sp, src, m);
		return;
	}
	if (sip_msg_method_id(m) != SIP_METHOD_BYE) {
		forward(sp, src, m, NULL, 0);
		return;
	}
	log_info("bye_in call_id=%s listener=%s", sip_msg_call_id(m), src->lsnr->name);
	if (pending_new(sp, src, m, &p)) {
		proxy_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	c = dialog_find(sp, sip_msg_call_id(m));
	/* a call set up by another instance: its record says which mediad holds the media */
	if (c == NULL && dialog_lookup(sp, sip_msg_call_id(m), bye_with_call, p) == 0)
		return;
	bye_with_call(c, p);
}

/* Sends a response upstream (body replaced when sdp != NULL) and keeps a final one. */
static void
nit_respond(struct sp_nit *n, const struct sip_msg *m, const char *sdp, size_t sdp_len)
{
	struct sp *sp = n->sp;
	char *buf = sp->buf;
	size_t len;
	int status = sip_msg_status(m);

	if (sip_build_response_fwd(buf, SP_BUF_SIZE, &len, m, sdp, sdp_len,
	    sdp ? "application/sdp" : NULL))
		return;
	proxy_count_response(sp, status);
	proxy_send_response(sp, &n->src, buf, len);
	if (status >= 200) {
		n->final = malloc(len);
		if (n->final != NULL) {
			memcpy(n->final, buf, len);
			n->final_len = len;
		}
	}
}

static void
update_answered(int status, const char *sdp, size_t len, void *arg)
{
	struct sp_nit *n = arg;
	struct sip_msg *m = n->resp;

	n->mop = NULL;
	n->resp = NULL;
	if (status != 200)
		log_warnx("update_answer_failed call_id=%s status=%d", n->call_id, status);
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
	if (n->final != NULL || n->mop != NULL)
		return true;	/* retransmitted final: already answered, or being answered */
	if (n->sdp_offer && status / 100 == 2) {
		struct sp_call *c = dialog_find(sp, n->call_id);
		const char *body, *raw;
		size_t blen, rlen;
		int st;

		body = sip_msg_body(m, &blen);
		raw = sip_msg_raw(m, &rlen);
		if (c != NULL && blen > 0 &&
		    sip_msg_parse(&n->resp, raw, rlen, SIP_TRANSPORT_UDP, NULL, NULL) == 0) {
			st = media_answer(sp, c, sip_msg_from_tag(m), sip_msg_to_tag(m), n->in_branch,
			    n->out_side, n->in_side, body, blen, update_answered, n, &n->mop);
			if (st)
				update_answered(st, NULL, 0, n);
			return true;
		}
	}
	nit_respond(n, m, NULL, 0);
	return true;
}

static void
ack_answered(int status, const char *sdp, size_t len, void *arg)
{
	struct pending *p = arg;
	struct sp_call *c = dialog_find(p->sp, sip_msg_call_id(p->m));

	if (status != 200) {
		/* the ACK goes on without SDP; the callee learns nothing it could misuse */
		log_warnx("late_answer_failed call_id=%s status=%d", sip_msg_call_id(p->m), status);
		forward(p->sp, &p->src, p->m, "", 0);
	} else {
		forward(p->sp, &p->src, p->m, sdp, len);
	}
	if (c != NULL) {
		c->late_offer = false;
		dialog_write(p->sp, c);
	}
	if (p->src.conn)
		tp_conn_deref(p->src.conn);
	free(p);
}

void
txn_ack_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct sp_call *c = dialog_find(sp, sip_msg_call_id(m));
	struct media_op *op;
	struct pending *p;
	const char *body;
	size_t blen;
	enum sp_side to;
	int st;

	body = sip_msg_body(m, &blen);
	if (c == NULL || !c->late_offer || blen == 0) {
		forward(sp, src, m, NULL, 0);
		return;
	}
	/* late offer: the answer travels in the ACK, tags swapped (ng-protocol.md §4) */
	if (pending_new(sp, src, m, &p)) {
		sip_msg_free(m);
		return;
	}
	to = src->lsnr->side == c->side[0] ? c->side[1] : c->side[0];
	st = media_answer(sp, c, sip_msg_to_tag(m), sip_msg_from_tag(m), c->late_branch,
	    src->lsnr->side,
	    to, body, blen, ack_answered, p, &op);
	if (st)
		ack_answered(st, NULL, 0, p);
}
