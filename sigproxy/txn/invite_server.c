/* SPDX-License-Identifier: BSD-2-Clause */
/* INVITE server transactions: the object, its answers upstream, the best final, lingering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "timeutil.h"
#include "txn_int.h"

static const char *
state_name(enum txn_state s)
{
	switch (s) {
	case TXN_MEDIA: return "media";
	case TXN_CALLING: return "calling";
	case TXN_ANSWERING: return "answering";
	case TXN_DONE: return "done";
	}
	return "?";
}

void
txn_enter_state(struct sp_txn *t, enum txn_state s)
{
	log_debug("%s from=%s to=%s", __func__, state_name(t->state), state_name(s));
	t->state = s;
}

int
txn_new(struct sp *sp, const struct sp_src *src, struct sip_msg *m, txn_timer_h *timerh,
    struct sp_txn **tp)
{
	struct sp_txn *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->timer = evtimer_new(sp->base, timerh, t);
	if (t->timer == NULL) {
		free(t);
		return ENOMEM;
	}
	t->sp = sp;
	t->req = m;
	t->src = *src;
	t->start_us = time_mono_us();
	if (src->conn)
		t->src.conn = tp_conn_ref(src->conn);
	/* the top Via branch, or for an RFC 2543 request the key derived from it */
	if (sip_msg_txn_key(m) != NULL)
		snprintf(t->in_branch, sizeof(t->in_branch), "%s", sip_msg_txn_key(m));
	snprintf(t->call_id, sizeof(t->call_id), "%s", sip_msg_call_id(m));
	t->in_side = src->lsnr->side;
	t->next = sp->txns[sp_bucket(t->call_id)];
	sp->txns[sp_bucket(t->call_id)] = t;
	*tp = t;
	return 0;
}

void
txn_free(struct sp_txn *t)
{
	struct sp_txn **pp;
	unsigned i;

	for (pp = &t->sp->txns[sp_bucket(t->call_id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	media_cancel(t->mop);
	if (t->timer)
		event_free(t->timer);
	for (i = 0; i < t->nbr; i++) {
		sip_msg_free(t->br[i].sent);
		free(t->br[i].sent_raw);
		tp_conn_deref(t->br[i].conn);
	}
	sip_msg_free(t->answer_2xx);
	sip_msg_free(t->early);
	sip_msg_free(t->req);
	if (t->src.conn)
		tp_conn_deref(t->src.conn);
	free(t->offer);
	free(t->best);
	free(t->last);
	free(t->vias);
	free(t->rr_lines);
	free(t);
}

void
txn_invite_free_all(struct sp *sp)
{
	unsigned i;

	for (i = 0; i < SP_BUCKETS; i++)
		while (sp->txns[i] != NULL)
			txn_free(sp->txns[i]);
}

struct sp_txn *
txn_find(struct sp *sp, const char *branch, const char *call_id)
{
	struct sp_txn *t;

	for (t = sp->txns[sp_bucket(call_id)]; t != NULL; t = t->next)
		if (strcmp(t->in_branch, branch) == 0 && strcmp(t->call_id, call_id) == 0)
			return t;
	return NULL;
}

void
txn_timer_set(struct sp_txn *t, unsigned ms)
{
	struct timeval tv = timeval_from_ms(ms);

	evtimer_add(t->timer, &tv);
}

void
txn_timer_stop(struct sp_txn *t)
{
	evtimer_del(t->timer);
}

int
txn_upstream_build(struct sp_txn *t, const struct sip_msg *m, const char *body,
    size_t body_len, const char *ctype, size_t *len)
{
	struct txn_upstream u = { t->in_side, t->out_side, t->src.lsnr, !t->in_dialog, t->vias,
	    t->rr_lines, sip_msg_call_id_received(t->req), sip_msg_cseq(t->req) };

	return txn_relay_build(t->sp, &u, m, body, body_len, ctype, len);
}

void
txn_upstream_send(struct sp_txn *t, const char *buf, size_t len, int status)
{
	char *copy = malloc(len);

	if (copy != NULL) {
		memcpy(copy, buf, len);
		free(t->last);
		t->last = copy;
		t->last_len = len;
		t->last_status = status;
	}
	send_count_response(t->sp, status);
	send_response(t->sp, &t->src, buf, len);
}

void
txn_upstream_reply(struct sp_txn *t, int status, const char *reason, const char *extra)
{
	char tag[32], buf[8192];
	size_t len;

	if (sip_tag_new(tag, sizeof(tag)))
		snprintf(tag, sizeof(tag), "sp%llu", (unsigned long long)time_mono_us());
	if (sip_build_response(buf, sizeof(buf), &len, t->req, status, reason, tag, extra)) {
		log_warnx("sip_build_failed status=%d", status);
		return;
	}
	txn_upstream_send(t, buf, len, status);
}

void
txn_call_fail(struct sp_txn *t, const char *reason)
{
	struct sp_call *c = dialog_find(t->sp, t->call_id);

	if (c == NULL || t->in_dialog)
		return;
	metric_inc(t->sp->ctr.calls_failed);
	media_end_call(t->sp, c, reason);
}

void
txn_done(struct sp_txn *t)
{
	txn_enter_state(t, TXN_DONE);
	txn_timer_stop(t);
	txn_timer_set(t, TXN_LINGER_MS);
}

/* Our final upstream (reason phrase and extra header lines may be NULL), call failed. */
static void
final_local(struct sp_txn *t, int status, const char *reason, const char *extra,
    const char *why)
{
	log_info("invite_final status=%d reason=\"%s\"", status, why);
	txn_upstream_reply(t, status, reason, extra);
	txn_call_fail(t, why);
	txn_done(t);
}

void
txn_final_local(struct sp_txn *t, int status, const char *reason, const char *why)
{
	final_local(t, status, reason, NULL, why);
}

void
txn_final_extra(struct sp_txn *t, int status, const char *extra, const char *why)
{
	final_local(t, status, NULL, extra, why);
}

void
txn_final_too_large(struct sp_txn *t)
{
	size_t len;

	(void)sip_msg_raw(t->req, &len);
	log_warnx("invite_too_large len=%zu reason=\"over %u bytes with our Via and "
	    "Record-Route\"", len, (unsigned)SP_FWD_MAX);
	final_local(t, 513, NULL, SP_TOO_LARGE_WARNING, "too large to forward");
}

/* §16.7: 6xx first, then 4xx, then 5xx, then 3xx; 503 upstream becomes 500 (point 6). */
static int
class_rank(int st)
{
	switch (st / 100) {
	case 6: return 4;
	case 4: return 3;
	case 5: return 2;
	case 3: return 1;
	default: return 0;
	}
}

void
txn_best_consider(struct sp_txn *t, const struct sip_msg *m, int status)
{
	const char *raw;
	size_t len;

	if (t->best_status != 0 && class_rank(status) <= class_rank(t->best_status))
		return;
	raw = sip_msg_raw(m, &len);
	free(t->best);
	t->best = malloc(len);
	if (t->best == NULL) {
		t->best_status = 0;
		return;
	}
	memcpy(t->best, raw, len);
	t->best_len = len;
	t->best_status = status;
}

/* A failure without a response (connect refused, handshake failed): a 503 (§16.7 step 6). */
void
txn_best_local(struct sp_txn *t, int status)
{
	if (t->best_status != 0 && class_rank(status) <= class_rank(t->best_status))
		return;
	free(t->best);
	t->best = NULL;
	t->best_len = 0;
	t->best_status = status;
}

/* Retry-After of a refusal: when a call per second is free again, else the configured one. */
static unsigned
admit_retry_after(const struct sp *sp, unsigned retry_s)
{
	return retry_s != 0 ? retry_s : sp->cfg.retry_after;
}

void
txn_admit_refuse(struct sp *sp, const struct sp_src *src, struct sip_msg *m, const char *route,
    enum route_refusal why, unsigned retry_s)
{
	char extra[64];

	metric_inc(sp->ctr.calls_refused[why]);
	snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", admit_retry_after(sp, retry_s));
	log_info("invite_refused status=503 reason=%s route=%s", route_refusal_name(why), route);
	send_reply(sp, src, m, 503, "Service Unavailable (call limit)", extra);
	sip_msg_free(m);
}

void
txn_final_admit(struct sp_txn *t)
{
	char extra[64];

	metric_inc(t->sp->ctr.calls_refused[t->admit_why]);
	snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
	    admit_retry_after(t->sp, t->admit_retry));
	log_info("invite_final status=503 reason=%s route=%s", route_refusal_name(t->admit_why),
	    t->rule ? t->rule->name : "-");
	txn_upstream_reply(t, 503, "Service Unavailable (call limit)", extra);
	txn_call_fail(t, "call limit");
	txn_done(t);
}

void
txn_send_best(struct sp_txn *t)
{
	struct sip_msg *m = NULL;
	char *buf = t->sp->buf;
	size_t len;

	/* a 503, received or local, must not make the caller's side think we are overloaded */
	if (t->best_status == 503) {
		txn_final_local(t, 500, "All targets unavailable", "all targets failed");
		return;
	}
	if (t->best == NULL) {
		/* 488: every target was refused our offer's keys (no TLS towards them) */
		txn_final_local(t, t->best_status == 408 || t->best_status == 488 ?
		    t->best_status : 503, NULL, "all targets failed");
		return;
	}
	if (sip_msg_parse(&m, t->best, t->best_len, TP_UDP, NULL, NULL) ||
	    txn_upstream_build(t, m, NULL, 0, NULL, &len)) {
		sip_msg_free(m);
		txn_final_local(t, 500, NULL, "best response unusable");
		return;
	}
	log_info("invite_final status=%d reason=\"best of all targets\"", t->best_status);
	txn_upstream_send(t, buf, len, t->best_status);
	sip_msg_free(m);
	txn_call_fail(t, "all targets failed");
	txn_done(t);
}

bool
txn_invite_ack(struct sp *sp, const struct sip_msg *m)
{
	const char *key = sip_msg_txn_key(m);
	struct sp_txn *t;

	if (key == NULL)
		return false;
	t = txn_find(sp, key, sip_msg_call_id(m));
	/* ACK of a non-2xx final we sent is ours (hop by hop); an ACK for a 2xx goes on */
	return t != NULL && t->state == TXN_DONE && t->last_status >= 300;
}

bool
txn_body_acceptable(struct sp *sp, const struct sp_src *src, const struct sip_msg *m)
{
	struct sip_body b;
	char a[SA_STRLEN];

	(void)sip_body_parse(m, &b);
	if (b.kind == SIP_BODY_MULTIPART || b.no_ctype) {
		metric_inc(sp->ctr.tolerated[b.no_ctype ? SP_TOL_NO_CTYPE : SP_TOL_MULTIPART]);
		log_limited(&sp->rl_tol, time_mono_ms(), LOG_LEVEL_INFO, "sip_tolerated kind=%s "
		    "method=%s src=%s", b.no_ctype ? "sdp-without-content-type" : "multipart-sdp",
		    LOG_ESCW(sip_msg_method(m)), sa_format(&src->addr, a, sizeof(a)));
	}
	if (b.kind != SIP_BODY_UNSUPPORTED)
		return true;
	/* never parsed as SDP: the offer in it is not one we can make out (RFC 3261 §21.4.13) */
	metric_inc(sp->ctr.unsupported_bodies);
	log_limited(&sp->rl_bad, time_mono_ms(), LOG_LEVEL_INFO, "sip_body_refused method=%s "
	    "src=%s status=415 content_type=%s reason=%s", LOG_ESCW(sip_msg_method(m)),
	    sa_format(&src->addr, a, sizeof(a)), LOG_Q(b.ctype ? b.ctype : ""), LOG_Q(b.why));
	send_reply(sp, src, m, 415, NULL, b.encoding ? SIP_BODY_ACCEPT SIP_BODY_ACCEPT_ENCODING :
	    SIP_BODY_ACCEPT);
	return false;
}
