/* SPDX-License-Identifier: BSD-2-Clause */
/* INVITE transactions: 100 Trying, retransmission absorption, failover across targets, CANCEL, media. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "sigproxy.h"
#include "timeutil.h"

#define TXN_LINGER_MS	32000u	/* RFC 3261 Timer H/J: absorb retransmissions and ACKs */
#define TXN_TIMER_C_MS	180000u	/* after a provisional: wait this long for the final */

enum txn_state {
	TXN_MEDIA = 0,		/* waiting for mediad before the first branch */
	TXN_CALLING,		/* a branch is out */
	TXN_ANSWERING,		/* 2xx in, waiting for mediad's answer */
	TXN_DONE,		/* final sent upstream; lingering */
};

struct branch {
	char id[SIP_BRANCH_SIZE];
	char *sent_raw;		/* the INVITE as forwarded (owned), for CANCEL and ACK */
	size_t sent_len;
	struct sip_msg *sent;	/* sent_raw parsed, on first use only (most calls never need it) */
	enum sip_transport tp;
	struct sa dst;
	char host[256];
	struct tp_conn *conn;	/* stream it went out on (ref), NULL for UDP; closeh matches it */
	bool provisional;
	bool cancelled;
	bool failed;		/* connection refused or handshake failed: no CANCEL, no ACK */
};

struct sp_txn {
	struct sp_txn *next;
	struct sp *sp;
	struct sip_msg *req;
	char in_branch[SP_ID_MAX];
	char call_id[SP_CALL_ID_MAX];
	struct sp_src src;
	enum sp_side in_side, out_side;
	bool in_dialog;
	const struct route_rule *rule;
	char user[ROUTE_USER_MAX];
	unsigned next_target;
	struct branch br[ROUTE_TARGETS_MAX + 1];
	unsigned nbr;
	enum txn_state state;
	bool cancelled;
	bool late_offer;	/* INVITE without SDP */
	bool offer_retried;	/* a second mediad was asked after the first failed */
	char *offer;		/* SDP for the targets (mediad's) */
	size_t offer_len;
	int best_status;
	char *best;		/* raw best final response so far */
	size_t best_len;
	char *last;		/* last response sent upstream */
	size_t last_len;
	int last_status;
	struct sip_msg *answer_2xx;	/* 2xx waiting for mediad */
	struct sip_msg *early;		/* 18x with SDP waiting for mediad */
	struct media_op *mop;
	struct event *timer;
};

static void txn_try_next(struct sp_txn *t);

static const char *
sip_tpname(enum sip_transport t)
{
	return t == SIP_TRANSPORT_TLS ? "tls" : t == SIP_TRANSPORT_TCP ? "tcp" : "udp";
}

static void
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

static void
timer_set(struct sp_txn *t, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(t->timer, &tv);
}

static struct sp_txn *
txn_find(struct sp *sp, const char *branch, const char *call_id)
{
	struct sp_txn *t;

	for (t = sp->txns[sp_bucket(call_id)]; t != NULL; t = t->next)
		if (strcmp(t->in_branch, branch) == 0 && strcmp(t->call_id, call_id) == 0)
			return t;
	return NULL;
}

static struct branch *
branch_find(struct sp *sp, const char *id, const char *call_id, struct sp_txn **tp)
{
	struct sp_txn *t;
	unsigned i;

	for (t = sp->txns[sp_bucket(call_id)]; t != NULL; t = t->next) {
		for (i = 0; i < t->nbr; i++) {
			if (strcmp(t->br[i].id, id) == 0) {
				*tp = t;
				return &t->br[i];
			}
		}
	}
	return NULL;
}

static void
upstream_send(struct sp_txn *t, const char *buf, size_t len, int status)
{
	char *copy = malloc(len);

	if (copy != NULL) {
		memcpy(copy, buf, len);
		free(t->last);
		t->last = copy;
		t->last_len = len;
		t->last_status = status;
	}
	proxy_count_response(t->sp, status);
	proxy_send_response(t->sp, &t->src, buf, len);
}

static void
upstream_reply(struct sp_txn *t, int status, const char *reason, const char *extra)
{
	char tag[32], buf[8192];
	size_t len;

	if (sip_tag_new(tag, sizeof(tag)))
		snprintf(tag, sizeof(tag), "sp%llu", (unsigned long long)time_mono_us());
	if (sip_build_response(buf, sizeof(buf), &len, t->req, status, reason, tag, extra)) {
		log_warnx("sip_build_failed status=%d", status);
		return;
	}
	upstream_send(t, buf, len, status);
}

static void
call_fail(struct sp_txn *t, const char *reason)
{
	struct sp_call *c = dialog_find(t->sp, t->call_id);

	if (c == NULL || t->in_dialog)
		return;
	metric_inc(t->sp->ctr.calls_failed);
	media_delete(t->sp, c);
	dialog_end(t->sp, c, reason);
}

/* The transaction is over upstream: keep it a while for retransmissions. */
static void
txn_done(struct sp_txn *t)
{
	t->state = TXN_DONE;
	evtimer_del(t->timer);
	timer_set(t, TXN_LINGER_MS);
}

static void
final_local(struct sp_txn *t, int status, const char *reason, const char *why)
{
	log_info("invite_final call_id=%s status=%d reason=\"%s\"", t->call_id, status, why);
	upstream_reply(t, status, reason, NULL);
	call_fail(t, why);
	txn_done(t);
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

static void
best_consider(struct sp_txn *t, const struct sip_msg *m, int status)
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
static void
best_local(struct sp_txn *t, int status)
{
	if (t->best_status != 0 && class_rank(status) <= class_rank(t->best_status))
		return;
	free(t->best);
	t->best = NULL;
	t->best_len = 0;
	t->best_status = status;
}

static void
send_best(struct sp_txn *t)
{
	struct sip_msg *m = NULL;
	char *buf = t->sp->buf;
	size_t len;

	/* a 503, received or local, must not make the caller's side think we are overloaded */
	if (t->best_status == 503) {
		final_local(t, 500, "All targets unavailable", "all targets failed");
		return;
	}
	if (t->best == NULL) {
		final_local(t, t->best_status == 408 ? 408 : 503, NULL, "all targets failed");
		return;
	}
	if (sip_msg_parse(&m, t->best, t->best_len, SIP_TRANSPORT_UDP, NULL, NULL) ||
	    sip_build_response_fwd(buf, SP_BUF_SIZE, &len, m, NULL, 0, NULL)) {
		sip_msg_free(m);
		final_local(t, 500, NULL, "best response unusable");
		return;
	}
	log_info("invite_final call_id=%s status=%d reason=\"best of all targets\"", t->call_id,
	    t->best_status);
	upstream_send(t, buf, len, t->best_status);
	sip_msg_free(m);
	call_fail(t, "all targets failed");
	txn_done(t);
}

/* connp (may be NULL) gets a reference to the stream used, when the transport says which. */
static int
txn_send(struct sp_txn *t, enum sip_transport tp, const struct sa *dst, const char *host,
    const char *buf, size_t len, struct tp_conn **connp)
{
	if (t->in_dialog)
		return proxy_send_in_dialog(t->sp, dialog_find(t->sp, t->call_id), t->out_side, tp,
		    dst, buf, len);
	return proxy_send_to(t->sp, t->out_side, tp, dst, host, buf, len, connp);
}

static void
branch_send(struct sp_txn *t, struct branch *b, const char *buf, size_t len)
{
	/* a failed connection is not retried for a CANCEL or ACK nobody is waiting for */
	if (b->failed)
		return;
	if (txn_send(t, b->tp, &b->dst, b->host[0] ? b->host : NULL, buf, len, NULL))
		log_warnx("sip_send_failed call_id=%s branch=%s", t->call_id, b->id);
}

/* The INVITE as forwarded on b, parsed on first use; NULL if there is none. */
static const struct sip_msg *
branch_sent(struct branch *b)
{
	if (b->sent == NULL && b->sent_raw != NULL &&
	    sip_msg_parse(&b->sent, b->sent_raw, b->sent_len, b->tp, NULL, NULL))
		b->sent = NULL;
	return b->sent;
}

static void
branch_cancel(struct sp_txn *t, struct branch *b)
{
	const struct sip_msg *sent = branch_sent(b);
	char buf[8192];
	size_t len;

	if (b->cancelled || sent == NULL)
		return;
	b->cancelled = true;
	if (sip_build_cancel(buf, sizeof(buf), &len, sent) == 0)
		branch_send(t, b, buf, len);
}

static void
branch_ack(struct sp_txn *t, struct branch *b, const struct sip_msg *resp)
{
	const struct sip_msg *sent = branch_sent(b);
	char buf[8192];
	size_t len;

	if (sent != NULL && sip_build_ack(buf, sizeof(buf), &len, sent, resp) == 0)
		branch_send(t, b, buf, len);
}

static void
txn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sp_txn *t = arg;
	struct branch *b;

	if (t->state == TXN_DONE) {
		txn_free(t);
		return;
	}
	if (t->state != TXN_CALLING || t->nbr == 0)
		return;
	b = &t->br[t->nbr - 1];
	if (!b->provisional) {
		const struct route_target *tg = t->rule ? &t->rule->targets[t->next_target - 1] : NULL;

		log_warnx("failover_timeout call_id=%s target=%s after_ms=%u", t->call_id,
		    tg ? tg->uri : b->host, t->rule ? t->rule->timeout_ms : 0);
		if (tg != NULL)
			health_target_failed(t->sp->health, tg);
	} else {
		log_warnx("invite_timeout call_id=%s (no final response)", t->call_id);
	}
	branch_cancel(t, b);
	if (t->best_status == 0)
		t->best_status = 408;
	if (t->in_dialog) {
		final_local(t, 408, NULL, "re-INVITE timeout");
		return;
	}
	metric_inc(t->sp->ctr.failovers);
	txn_try_next(t);
}

static int
branch_start(struct sp_txn *t, enum sip_transport tp, const struct sa *dst, const char *host,
    const struct route_target *tg)
{
	struct sp *sp = t->sp;
	struct sp_listener *out = proxy_listener_for(sp, t->out_side, tp);
	struct branch *b;
	struct sip_fwd f;
	struct sip_hop hop;
	char *buf = sp->buf;
	size_t len;
	int err;

	if (out == NULL || t->nbr > ROUTE_TARGETS_MAX)
		return ENETUNREACH;
	b = &t->br[t->nbr];
	memset(b, 0, sizeof(*b));
	if ((err = sip_branch_new(b->id, sizeof(b->id))))
		return err;
	b->tp = tp;
	b->dst = *dst;
	snprintf(b->host, sizeof(b->host), "%s", host ? host : "");
	memset(&f, 0, sizeof(f));
	/* a stream leaving from a side without such a listener still says what it is */
	hop = out->hop;
	hop.transport = tp;
	f.via = &hop;
	f.branch = b->id;
	if (!t->in_dialog) {
		f.rr_in = &t->src.lsnr->hop;
		f.rr_out = &out->hop;
	}
	f.self = sp->cfg.self;
	f.nself = sp->cfg.nlisteners;
	if (tg != NULL) {
		f.ruri_user = t->user;
		f.ruri_host = tg->host;
		f.ruri_port = tg->port;
		f.ruri_transport = tg->transport == SIP_TRANSPORT_UDP ? NULL : sip_tpname(tg->transport);
	}
	if (t->offer != NULL) {
		f.body = t->offer;
		f.body_len = t->offer_len;
		f.content_type = "application/sdp";
	}
	f.received = NULL;
	err = sip_build_request(buf, SP_BUF_SIZE, &len, t->req, &f);
	if (err)
		return err;
	b->sent_raw = malloc(len);
	if (b->sent_raw == NULL)
		return ENOMEM;
	memcpy(b->sent_raw, buf, len);
	b->sent_len = len;
	t->nbr++;
	err = txn_send(t, tp, dst, host, buf, len, &b->conn);
	if (err) {
		b->failed = true;
		return err;
	}
	t->state = TXN_CALLING;
	timer_set(t, t->rule ? t->rule->timeout_ms : ROUTE_TIMEOUT_DEFAULT_MS);
	return 0;
}

/*
 * The stream under the live branch b failed before any response: a local 503 (§16.7 step 6),
 * and the next target at once rather than at the failover timer.
 */
static void
branch_conn_failed(struct sp_txn *t, struct branch *b, int err)
{
	const struct route_target *tg = t->rule && t->next_target > 0 ?
	    &t->rule->targets[t->next_target - 1] : NULL;

	evtimer_del(t->timer);
	log_warnx("target_conn_failed call_id=%s target=%s transport=%s err=\"%s\"", t->call_id,
	    tg ? tg->uri : b->host, sip_tpname(b->tp), strerror(err));
	if (tg != NULL)
		health_target_failed(t->sp->health, tg);
	best_local(t, 503);
	if (t->in_dialog || t->cancelled) {
		send_best(t);
		return;
	}
	metric_inc(t->sp->ctr.failovers);
	txn_try_next(t);
}

void
txn_invite_conn_failed(struct sp *sp, struct tp_conn *conn, int err)
{
	struct sp_txn *t;
	unsigned i, j;

	/* rare (one call per failed connection): a scan beats a per-connection index */
	for (i = 0; i < SP_BUCKETS; i++) {
		for (t = sp->txns[i]; t != NULL; t = t->next) {
			for (j = 0; j < t->nbr; j++) {
				struct branch *b = &t->br[j];

				if (b->conn != conn || b->failed)
					continue;
				b->failed = true;
				/* txn_try_next() below appends branches: stop looking at this txn */
				if (j == t->nbr - 1 && t->state == TXN_CALLING && !b->provisional)
					branch_conn_failed(t, b, err);
				break;
			}
		}
	}
}

static void
txn_try_next(struct sp_txn *t)
{
	struct sp *sp = t->sp;
	struct sp_call *c;

	while (t->rule != NULL && t->next_target < t->rule->ntargets) {
		const struct route_target *tg = &t->rule->targets[t->next_target++];
		struct sa dst;
		int err;

		if (!health_target_up(sp->health, tg)) {
			log_info("target_skipped call_id=%s target=%s reason=down", t->call_id, tg->uri);
			continue;
		}
		if (sa_parse_ip(&dst, tg->host, strlen(tg->host), tg->port)) {
			log_warnx("target_unusable call_id=%s target=%s reason=\"not numeric\"",
			    t->call_id, tg->uri);
			continue;
		}
		err = branch_start(t, tg->transport, &dst, NULL, tg);
		if (err) {
			log_warnx("target_send_failed call_id=%s target=%s err=%d", t->call_id, tg->uri,
			    err);
			best_local(t, 503);
			continue;
		}
		c = dialog_find(sp, t->call_id);
		if (c != NULL) {
			snprintf(c->target, sizeof(c->target), "%s", tg->uri);
			snprintf(c->transport[1], sizeof(c->transport[1]), "%s",
			    sip_tpname(tg->transport));
		}
		log_info("invite_forward call_id=%s target=%s try=%u", t->call_id, tg->uri,
		    t->next_target);
		return;
	}
	send_best(t);
}

static void txn_media_start(struct sp_txn *t, struct sp_call *c);

static void
offer_done(int status, const char *sdp, size_t len, void *arg)
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
		c->has_mediad = false;
		log_info("offer_retry call_id=%s reason=\"mediad %s failed\"", t->call_id,
		    c->mediad_id);
		txn_media_start(t, c);
		return;
	}
	if (status != 200) {
		final_local(t, status, NULL, "mediad offer failed");
		return;
	}
	if (sdp != NULL) {
		t->offer = malloc(len + 1);
		if (t->offer == NULL) {
			final_local(t, 500, NULL, "out of memory");
			return;
		}
		memcpy(t->offer, sdp, len);
		t->offer_len = len;
	}
	if (t->in_dialog) {
		enum sip_transport tp;
		struct sa dst;

		if (proxy_next_hop(t->sp, t->req, &tp, &dst) ||
		    branch_start(t, tp, &dst, NULL, NULL))
			final_local(t, 404, NULL, "no next hop");
		return;
	}
	txn_try_next(t);
}

/* BYE towards the callee for a 2xx we cannot accept (policy); best effort. */
static void
callee_bye(struct sp_txn *t, struct branch *b, const struct sip_msg *resp)
{
	const char *from, *to, *cid = sip_msg_call_id(resp);
	struct sp_listener *out = proxy_listener_for(t->sp, t->out_side, b->tp);
	struct sip_addr ct;
	char ruri[300], br[SIP_BRANCH_SIZE], buf[4096];
	const char *methods[2] = { "ACK", "BYE" };
	int i, n;

	if (out == NULL || branch_sent(b) == NULL || sip_msg_header(b->sent, "From", 0, &from) ||
	    sip_msg_header(resp, "To", 0, &to) || sip_msg_contact(resp, 0, &ct) ||
	    ct.uri.host == NULL)
		return;
	if (ct.uri.port)
		snprintf(ruri, sizeof(ruri), "sip:%s%s%s:%u", ct.uri.user ? ct.uri.user : "",
		    ct.uri.user ? "@" : "", ct.uri.host, ct.uri.port);
	else
		snprintf(ruri, sizeof(ruri), "sip:%s%s%s", ct.uri.user ? ct.uri.user : "",
		    ct.uri.user ? "@" : "", ct.uri.host);
	for (i = 0; i < 2; i++) {
		if (sip_branch_new(br, sizeof(br)))
			return;
		n = snprintf(buf, sizeof(buf), "%s %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%u;branch=%s\r\n"
		    "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
		    "Content-Length: 0\r\n\r\n", methods[i], ruri, sip_transport_name(b->tp),
		    out->hop.host, out->hop.port, br, from, to, cid,
		    sip_msg_cseq(resp) + (unsigned)i, methods[i]);
		if (n > 0 && (size_t)n < sizeof(buf))
			branch_send(t, b, buf, (size_t)n);
	}
}

static void
answer_done(int status, const char *sdp, size_t len, void *arg)
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
		callee_bye(t, &t->br[t->nbr - 1], m);
		sip_msg_free(m);
		final_local(t, status == 488 ? 488 : 500, NULL, "mediad answer failed");
		return;
	}
	if (sip_build_response_fwd(buf, SP_BUF_SIZE, &blen, m, sdp, len, "application/sdp")) {
		callee_bye(t, &t->br[t->nbr - 1], m);
		sip_msg_free(m);
		final_local(t, 500, NULL, "2xx could not be rebuilt");
		return;
	}
	upstream_send(t, buf, blen, sip_msg_status(m));
	if (c != NULL && !t->in_dialog) {
		const char *tag = sip_msg_to_tag(m);

		snprintf(c->to_tag, sizeof(c->to_tag), "%s", tag ? tag : "");
		c->state = SP_CALL_ANSWERED;
		c->answered = time_wall_s();
		metric_inc(sp->ctr.calls_answered);
		log_info("call_answered call_id=%s target=%s mediad=%s caller=%s/%s callee=%s/%s",
		    c->call_id, c->target, c->mediad_id, c->transport[0], c->crypto[0],
		    c->transport[1], c->crypto[1]);
		dialog_write(sp, c);
	}
	sip_msg_free(m);
	txn_done(t);
}

static void
on_2xx(struct sp_txn *t, struct branch *b, const struct sip_msg *m)
{
	struct sp *sp = t->sp;
	struct sp_call *c = dialog_find(sp, t->call_id);
	const char *body;
	size_t blen;
	int st;

	evtimer_del(t->timer);
	/* a 2xx overtakes a pending early answer: the 18x must not follow the 2xx */
	media_cancel(t->mop);
	t->mop = NULL;
	sip_msg_free(t->early);
	t->early = NULL;
	body = sip_msg_body(m, &blen);
	/* kept until mediad answers: a reference, not a second parse */
	t->answer_2xx = sip_msg_ref(m);
	t->state = TXN_ANSWERING;
	if (c == NULL || blen == 0) {
		/* nothing to relay (no SDP in the 2xx: not valid for an offer/answer we made) */
		if (c == NULL || !t->late_offer) {
			answer_done(c == NULL ? 200 : 488, body, blen, t);
			return;
		}
	}
	if (t->late_offer) {
		/* offer in the 2xx: tags and sides swapped (ng-protocol.md §4) */
		c->late_offer = true;
		snprintf(c->late_branch, sizeof(c->late_branch), "%s", t->in_branch);
		st = media_offer(sp, c, sip_msg_to_tag(m), sip_msg_from_tag(m), t->in_branch,
		    t->out_side,
		    t->in_side, body, blen, answer_done, t, &t->mop);
	} else {
		st = media_answer(sp, c, sip_msg_from_tag(m), sip_msg_to_tag(m), t->in_branch,
		    t->out_side,
		    t->in_side, body, blen, answer_done, t, &t->mop);
	}
	if (st)
		answer_done(st, NULL, 0, t);
}

static void
early_done(int status, const char *sdp, size_t len, void *arg)
{
	struct sp_txn *t = arg;
	struct sip_msg *m = t->early;
	char *buf = t->sp->buf;
	size_t blen;
	int err;

	t->mop = NULL;
	t->early = NULL;
	if (m == NULL)
		return;
	/* without mediad's SDP the 18x goes on bodiless: the inside address never leaks */
	if (status == 200)
		err = sip_build_response_fwd(buf, SP_BUF_SIZE, &blen, m, sdp, len, "application/sdp");
	else
		err = sip_build_response_fwd(buf, SP_BUF_SIZE, &blen, m, "", 0, "application/sdp");
	if (err == 0 && t->state == TXN_CALLING)
		upstream_send(t, buf, blen, sip_msg_status(m));
	sip_msg_free(m);
}

/* A 18x upstream; with SDP (early media) through mediad's answer first. */
static void
early_forward(struct sp_txn *t, const struct sip_msg *m)
{
	struct sp_call *c = dialog_find(t->sp, t->call_id);
	const char *body;
	char *buf = t->sp->buf;
	size_t blen, len;
	int st;

	body = sip_msg_body(m, &blen);
	if (blen == 0) {
		if (sip_build_response_fwd(buf, SP_BUF_SIZE, &len, m, NULL, 0, NULL) == 0)
			upstream_send(t, buf, len, sip_msg_status(m));
		return;
	}
	if (c == NULL || t->late_offer || t->mop != NULL || t->early != NULL) {
		/* no offer of ours to answer (late offer) or one already pending: no body */
		if (sip_build_response_fwd(buf, SP_BUF_SIZE, &len, m, "", 0, "application/sdp") == 0)
			upstream_send(t, buf, len, sip_msg_status(m));
		return;
	}
	t->early = sip_msg_ref(m);
	st = media_answer(t->sp, c, sip_msg_from_tag(m), sip_msg_to_tag(m), t->in_branch,
	    t->out_side,
	    t->in_side, body, blen, early_done, t, &t->mop);
	if (st)
		early_done(st, NULL, 0, t);
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
	if (sip_msg_method_id(m) == SIP_METHOD_CANCEL)
		return branch_find(sp, v.branch, sip_msg_call_id(m), &t) != NULL;	/* our CANCEL's answer: hop by hop */
	if (sip_msg_method_id(m) != SIP_METHOD_INVITE)
		return false;
	b = branch_find(sp, v.branch, sip_msg_call_id(m), &t);
	if (b == NULL)
		return false;
	if (status >= 300) {
		branch_ack(t, b, m);
		if (b != &t->br[t->nbr - 1] || t->state != TXN_CALLING)
			return true;	/* a cancelled branch, or a retransmission */
		evtimer_del(t->timer);
		log_info("target_failed call_id=%s status=%d", t->call_id, status);
		best_consider(t, m, status);
		if (!t->in_dialog && status / 100 != 6 && route_failover_on(t->rule, status) &&
		    !t->cancelled) {
			metric_inc(sp->ctr.failovers);
			txn_try_next(t);
		} else {
			send_best(t);
		}
		return true;
	}
	if (status >= 200) {
		if (t->state == TXN_DONE && t->last_status / 100 == 2) {
			/* retransmitted 2xx: the upstream ACK has not passed yet */
			proxy_send_response(sp, &t->src, t->last, t->last_len);
			return true;
		}
		if (t->state != TXN_CALLING || b != &t->br[t->nbr - 1]) {
			if (t->state != TXN_ANSWERING)
				callee_bye(t, b, m);	/* a 2xx after CANCEL or failover */
			return true;
		}
		on_2xx(t, b, m);
		return true;
	}
	/* provisional */
	if (b != &t->br[t->nbr - 1] || t->state != TXN_CALLING)
		return true;
	if (!b->provisional) {
		b->provisional = true;
		evtimer_del(t->timer);
		timer_set(t, TXN_TIMER_C_MS);
	}
	if (b->cancelled)
		return true;
	if (status == 100)
		return true;
	early_forward(t, m);
	return true;
}

bool
txn_invite_ack(struct sp *sp, const struct sip_msg *m)
{
	struct sip_via v;
	struct sp_txn *t;

	if (sip_msg_via(m, 0, &v) || v.branch == NULL)
		return false;
	t = txn_find(sp, v.branch, sip_msg_call_id(m));
	/* ACK of a non-2xx final we sent is ours (hop by hop); an ACK for a 2xx goes on */
	return t != NULL && t->state == TXN_DONE && t->last_status >= 300;
}

void
txn_invite_cancel(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	struct sip_via v;
	struct sp_txn *t = NULL;

	if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL)
		t = txn_find(sp, v.branch, sip_msg_call_id(m));
	if (t == NULL) {
		proxy_reply(sp, src, m, 481, NULL, NULL);
		return;
	}
	proxy_reply(sp, src, m, 200, NULL, NULL);
	if (t->state == TXN_DONE || t->cancelled)
		return;
	t->cancelled = true;
	log_info("invite_cancel call_id=%s", t->call_id);
	if (t->nbr > 0)
		branch_cancel(t, &t->br[t->nbr - 1]);
	media_cancel(t->mop);
	t->mop = NULL;
	upstream_reply(t, 487, NULL, NULL);
	call_fail(t, "cancel");
	txn_done(t);
}

static int
txn_new(struct sp *sp, const struct sp_src *src, struct sip_msg *m, struct sp_txn **tp)
{
	struct sp_txn *t;
	struct sip_via v;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->timer = evtimer_new(sp->base, txn_timer, t);
	if (t->timer == NULL) {
		free(t);
		return ENOMEM;
	}
	t->sp = sp;
	t->req = m;
	t->src = *src;
	if (src->conn)
		t->src.conn = tp_conn_ref(src->conn);
	if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL)
		snprintf(t->in_branch, sizeof(t->in_branch), "%s", v.branch);
	snprintf(t->call_id, sizeof(t->call_id), "%s", sip_msg_call_id(m));
	t->in_side = src->lsnr->side;
	t->next = sp->txns[sp_bucket(t->call_id)];
	sp->txns[sp_bucket(t->call_id)] = t;
	*tp = t;
	return 0;
}

static void
txn_media_start(struct sp_txn *t, struct sp_call *c)
{
	const char *body;
	size_t blen;
	int st;

	body = sip_msg_body(t->req, &blen);
	if (blen == 0 || c == NULL) {
		t->late_offer = blen == 0 && c != NULL;
		offer_done(200, NULL, 0, t);
		return;
	}
	st = media_offer(t->sp, c, sip_msg_from_tag(t->req), sip_msg_to_tag(t->req), t->in_branch,
	    t->in_side, t->out_side, body, blen, offer_done, t, &t->mop);
	if (st)
		final_local(t, st, NULL, st == 488 ? "encryption policy" : "no mediad");
}

static void
reinvite_loaded(struct sp_call *c, void *arg)
{
	struct sp_txn *t = arg;

	txn_media_start(t, c);
}

void
txn_invite_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	const char *to_tag = sip_msg_to_tag(m);
	struct sip_via v;
	struct sp_txn *t;
	struct sp_call *c;
	char extra[64];
	size_t ulen;
	const char *user;
	int err;

	if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL &&
	    (t = txn_find(sp, v.branch, sip_msg_call_id(m))) != NULL) {
		if (t->last != NULL)
			proxy_send_response(sp, &t->src, t->last, t->last_len);
		sip_msg_free(m);
		return;
	}
	if (to_tag == NULL) {
		const struct route_rule *rule;
		char userbuf[ROUTE_USER_MAX];

		if (sp->cfg.redis_enabled && !sp_redis_up(sp)) {
			metric_inc(sp->ctr.redis_unavailable);
			snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", sp->cfg.retry_after);
			log_warnx("invite_refused call_id=%s status=503 reason=\"redis unavailable\"",
			    sip_msg_call_id(m));
			proxy_reply(sp, src, m, 503, "Service Unavailable (state store down)", extra);
			sip_msg_free(m);
			return;
		}
		user = sip_msg_ruri_user(m, &ulen);
		err = route_match(sp->cfg.routes, user ? user : "", user ? ulen : 0, src->lsnr->name,
		    &rule, userbuf, sizeof(userbuf));
		if (err) {
			log_info("invite_refused call_id=%s status=404 reason=\"no route\"",
			    sip_msg_call_id(m));
			proxy_reply(sp, src, m, err == ENOENT ? 404 : 500, NULL, NULL);
			sip_msg_free(m);
			return;
		}
		if (dialog_find(sp, sip_msg_call_id(m)) != NULL) {
			/* a second INVITE for a live call-id without To tag: a loop or a spiral */
			proxy_reply(sp, src, m, 482, NULL, NULL);
			sip_msg_free(m);
			return;
		}
		if (txn_new(sp, src, m, &t)) {
			proxy_reply(sp, src, m, 500, NULL, NULL);
			sip_msg_free(m);
			return;
		}
		t->rule = rule;
		snprintf(t->user, sizeof(t->user), "%s", userbuf);
		{
			unsigned i;

			t->out_side = SP_SIDE_INSIDE;
			for (i = 0; i < route_table_count(sp->cfg.routes) && i < 64; i++)
				if (route_table_rule(sp->cfg.routes, i) == rule)
					t->out_side = sp->cfg.route_side[i];
		}
		upstream_reply(t, 100, NULL, NULL);
		metric_inc(sp->ctr.calls);
		if (dialog_create(sp, &c, t->call_id, sip_msg_from_tag(m))) {
			final_local(t, 500, NULL, "call state");
			return;
		}
		c->side[0] = t->in_side;
		c->side[1] = t->out_side;
		if (src->conn != NULL)
			c->caller_conn = tp_conn_ref(src->conn);
		snprintf(c->route, sizeof(c->route), "%s", rule->name);
		snprintf(c->transport[0], sizeof(c->transport[0]), "%s",
		    tp_proto_name(src->lsnr->proto));
		log_info("invite_in call_id=%s route=%s listener=%s", t->call_id, rule->name,
		    src->lsnr->name);
		dialog_write(sp, c);
		txn_media_start(t, c);
		return;
	}
	/* re-INVITE: routed by its Route set, media through the call's mediad */
	if (!proxy_routed_via_us(sp, m)) {
		metric_inc(sp->ctr.drops);
		log_info("sip_refused method=INVITE call_id=%s reason=\"not routed via us\"",
		    sip_msg_call_id(m));
		proxy_reply(sp, src, m, 403, "Not relayed (no Route through this proxy)", NULL);
		sip_msg_free(m);
		return;
	}
	if (txn_new(sp, src, m, &t)) {
		proxy_reply(sp, src, m, 500, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	t->in_dialog = true;
	t->out_side = t->in_side == SP_SIDE_OUTSIDE ? SP_SIDE_INSIDE : SP_SIDE_OUTSIDE;
	upstream_reply(t, 100, NULL, NULL);
	c = dialog_find(sp, t->call_id);
	if (c == NULL && dialog_lookup(sp, t->call_id, reinvite_loaded, t) == 0)
		return;
	txn_media_start(t, c);
}
