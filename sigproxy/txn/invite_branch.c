/* SPDX-License-Identifier: BSD-2-Clause */
/* INVITE client branches: one per target tried, failover on timeout or failure, CANCEL, ACK, BYE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "timeutil.h"
#include "txn_int.h"

struct branch *
txn_branch_find(struct sp *sp, const char *id, const char *call_id, struct sp_txn **tp)
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

/* connp (may be NULL) gets a reference to the stream used, when the transport says which. */
static int
branch_send_raw(struct sp_txn *t, enum tp_proto tp, const struct sa *dst, const char *host,
    const char *buf, size_t len, struct tp_conn **connp)
{
	if (t->in_dialog)
		return send_in_dialog(t->sp, dialog_conn_back(dialog_find(t->sp, t->call_id),
		    t->out_side), t->out_side, tp, dst, buf, len);
	return send_to(t->sp, t->out_side, tp, dst, host, buf, len, connp);
}

static void
branch_send(struct sp_txn *t, struct branch *b, const char *buf, size_t len)
{
	/* a failed connection is not retried for a CANCEL or ACK nobody is waiting for */
	if (b->failed)
		return;
	if (branch_send_raw(t, b->tp, &b->dst, b->host[0] ? b->host : NULL, buf, len, NULL))
		log_warnx("sip_send_failed branch=%s", b->id);
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

void
txn_branch_cancel(struct sp_txn *t, struct branch *b)
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

void
txn_branch_ack(struct sp_txn *t, struct branch *b, const struct sip_msg *resp)
{
	const struct sip_msg *sent = branch_sent(b);
	char buf[8192];
	size_t len;

	if (sent != NULL && sip_build_ack(buf, sizeof(buf), &len, sent, resp) == 0)
		branch_send(t, b, buf, len);
}

void
txn_branch_bye(struct sp_txn *t, struct branch *b, const struct sip_msg *resp)
{
	struct sp_listener *out = send_listener_for(t->sp, t->out_side, b->tp);
	const struct sip_msg *sent = branch_sent(b);
	char br[SIP_BRANCH_SIZE], buf[4096];
	struct sip_hop via;
	size_t len;
	int err;

	if (out == NULL || sent == NULL)
		return;
	via = out->hop;
	via.transport = b->tp;
	if (sip_branch_new(br, sizeof(br)))
		return;
	err = sip_build_ack_2xx(buf, sizeof(buf), &len, sent, resp, &via, br);
	if (err == EINVAL)
		return;		/* no Contact to send to, nor From to send as */
	if (err == 0)
		branch_send(t, b, buf, len);
	if (sip_branch_new(br, sizeof(br)))
		return;
	if (sip_build_bye(buf, sizeof(buf), &len, sent, resp, &via, br) == 0)
		branch_send(t, b, buf, len);
}

/* The route target of the live branch; NULL in dialog. */
static const struct route_target *
branch_target(const struct sp_txn *t)
{
	return t->rule != NULL && t->next_target > 0 ? &t->rule->targets[t->next_target - 1] :
	    NULL;
}

/* The length of each timer on t (a re-INVITE has no rule: the defaults). */
static unsigned
branch_timer_ms(const struct sp_txn *t, enum sp_invite_timer which)
{
	const struct route_rule *r = t->rule;

	switch (which) {
	case SP_TIMER_PROVISIONAL:
		return r != NULL ? r->timeout_ms : ROUTE_TIMEOUT_DEFAULT_MS;
	case SP_TIMER_ANSWER:
		return r != NULL ? r->answer_timeout_ms : 0;
	default:
		return r != NULL ? r->timer_c_ms : ROUTE_TIMER_C_DEFAULT_MS;
	}
}

/* Arms the earlier of the answer timeout and Timer C. */
static void
branch_timer_arm(struct sp_txn *t)
{
	uint64_t now = time_mono_ms(), at = t->timer_c_by;

	if (t->answer_by != 0 && t->answer_by < at)
		at = t->answer_by;
	txn_timer_stop(t);
	txn_timer_set(t, at > now ? (unsigned)(at - now) : 0);
}

void
txn_branch_provisional(struct sp_txn *t, struct branch *b)
{
	uint64_t now = time_mono_ms();

	/* Timer C restarts with every provisional (RFC 3261 16.7 step 2); the answer timeout
	 * runs from the first one only, as FreeSWITCH's call_timeout does */
	if (!b->provisional) {
		b->provisional = true;
		/* a re-INVITE has no answer timeout: only Timer C ends it */
		t->answer_by = t->rule != NULL ? now + branch_timer_ms(t, SP_TIMER_ANSWER) : 0;
	}
	t->timer_c_by = now + branch_timer_ms(t, SP_TIMER_C);
	branch_timer_arm(t);
}

/* Which timer ended the live branch b (the one armed last, see branch_timer_arm). */
static enum sp_invite_timer
branch_timer_which(const struct sp_txn *t, const struct branch *b)
{
	if (!b->provisional)
		return SP_TIMER_PROVISIONAL;
	if (t->answer_by != 0 && t->answer_by <= t->timer_c_by)
		return SP_TIMER_ANSWER;
	return SP_TIMER_C;
}

void
txn_invite_timer(evutil_socket_t fd, short what, void *arg)
{
	static const char *const names[] = { "provisional", "answer", "timer_c" };
	static const char *const whys[] = { "no provisional response", "no answer",
	    "no response (Timer C)" };
	struct sp_txn *t = arg;
	const struct route_target *tg;
	enum sp_invite_timer which;
	struct branch *b;

	log_set_call_id(t->call_id);
	if (t->state == TXN_DONE) {
		txn_free(t);
		goto out;
	}
	if (t->state != TXN_CALLING || t->nbr == 0)
		goto out;
	b = &t->br[t->nbr - 1];
	tg = branch_target(t);
	which = branch_timer_which(t, b);
	log_warnx("failover_timeout timer=%s target=%s after_ms=%u", names[which],
	    tg ? tg->uri : b->host, branch_timer_ms(t, which));
	metric_inc(t->sp->ctr.invite_timeouts[which]);
	/* a target that hangs is as dead for the next call as one that never answered */
	if (tg != NULL)
		health_target_failed(t->sp->health, tg, whys[which]);
	txn_branch_cancel(t, b);
	if (t->best_status == 0)
		t->best_status = 408;
	if (t->in_dialog) {
		txn_final_local(t, 408, NULL, "re-INVITE timeout");
		goto out;
	}
	metric_inc(t->sp->ctr.failovers);
	txn_try_next(t);
 out:
	log_set_call_id(NULL);
}

int
txn_branch_start(struct sp_txn *t, enum tp_proto tp, const struct sa *dst, const char *host,
    const struct route_target *tg)
{
	struct sp *sp = t->sp;
	struct sp_listener *out = send_listener_for(sp, t->out_side, tp);
	struct sp_call *c = dialog_find(sp, t->call_id);
	struct branch *b;
	struct sip_fwd f;
	struct sip_hop hop;
	char *buf = sp->buf, contact[SP_URI_MAX];
	size_t len;
	int err;

	if (out == NULL || t->nbr > ROUTE_TARGETS_MAX)
		return ENETUNREACH;
	if (t->in_dialog && c == NULL)
		return ENOENT;
	/* a hidden side's responses carry our Via alone: the request's own come back from here */
	if (txn_hides(sp, t->out_side) && t->vias == NULL &&
	    (sip_msg_lines_dup(t->req, "Via", &t->vias) ||
	    sip_msg_lines_dup(t->req, "Record-Route", &t->rr_lines)))
		return ENOMEM;
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
		if (c != NULL && (err = txn_leg_call_id_make(sp, c)))
			return err;
		f.call_id = txn_leg_call_id(c, 1);
	} else {
		txn_dialog_route(c, 1 - t->leg, &f);
		f.call_id = txn_leg_call_id(c, 1 - t->leg);
		f.cseq = dialog_cseq_to(c, 1 - t->leg, sip_msg_cseq(t->req));
	}
	f.self = sp->cfg.self;
	f.nself = sp->cfg.nlisteners;
	if (txn_hides(sp, t->out_side))
		txn_hide_request(out, tp, &f, contact, sizeof(contact));
	if (tg != NULL) {
		f.ruri_user = t->user;
		f.ruri_host = tg->host;
		f.ruri_port = tg->port;
		f.ruri_transport = tg->transport == TP_UDP ? NULL : tp_proto_name(tg->transport);
	}
	if (t->offer != NULL) {
		f.body = t->offer;
		f.body_len = t->offer_len;
		f.content_type = t->offer_ctype;
	}
	f.received = NULL;
	err = sip_build_request(buf, SP_BUF_SIZE, &len, t->req, &f);
	if (err)
		return err;
	if (tp == TP_UDP && len > SP_FWD_MAX)
		return EMSGSIZE;	/* no datagram holds it (RFC 3261 §18.1.1 would want TCP) */
	b->sent_raw = malloc(len);
	if (b->sent_raw == NULL)
		return ENOMEM;
	memcpy(b->sent_raw, buf, len);
	b->sent_len = len;
	t->nbr++;
	err = branch_send_raw(t, tp, dst, host, buf, len, &b->conn);
	if (err) {
		b->failed = true;
		return err;
	}
	txn_enter_state(t, TXN_CALLING);
	t->answer_by = 0;
	t->timer_c_by = 0;
	txn_timer_stop(t);
	txn_timer_set(t, branch_timer_ms(t, SP_TIMER_PROVISIONAL));
	return 0;
}

/*
 * The stream under the live branch b failed before any response: a local 503 (§16.7 step 6),
 * and the next target at once rather than at the failover timer.
 */
static void
branch_conn_failed(struct sp_txn *t, struct branch *b, int err)
{
	const struct route_target *tg = branch_target(t);

	txn_timer_stop(t);
	log_warnx("target_conn_failed target=%s transport=%s err=\"%s\"", tg ? tg->uri : b->host,
	    tp_proto_name(b->tp), strerror(err));
	if (tg != NULL)
		health_target_failed(t->sp->health, tg, "connection failed");
	txn_best_local(t, 503);
	if (t->in_dialog || t->cancelled) {
		txn_send_best(t);
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
				if (j == t->nbr - 1 && t->state == TXN_CALLING && !b->provisional) {
					log_set_call_id(t->call_id);
					branch_conn_failed(t, b, err);
					log_set_call_id(NULL);
				}
				break;
			}
		}
	}
}

/* Whether the call may go to target ti now (the target's call limits); logs a refusal. */
static bool
target_admitted(struct sp_txn *t, struct sp_call *c, unsigned ti)
{
	enum route_refusal why;
	unsigned retry;

	if (c == NULL || route_admit_target(t->sp->admit, t->rule, ti, time_mono_ms(), &c->admit,
	    &why, &retry) == 0)
		return true;
	log_info("target_skipped target=%s reason=%s", t->rule->targets[ti].uri,
	    route_refusal_name(why));
	/* the soonest retry of the targets refused goes upstream */
	if (!t->admit_refused || (retry != 0 && (t->admit_retry == 0 || retry < t->admit_retry))) {
		t->admit_why = why;
		t->admit_retry = retry;
	}
	t->admit_refused = true;
	return false;
}

void
txn_keys_refused(struct sp_txn *t, enum tp_proto tp, const char *target)
{
	log_warnx("sdes_refused side=%s transport=%s direction=out%s%s reason=\"SDES keys "
	    "would be sent over %s; %s_sdes_requires_tls = yes\"", sp_side_name(t->out_side),
	    tp_proto_name(tp), target ? " target=" : "", target ? target : "", tp_proto_name(tp),
	    sp_side_name(t->out_side));
	metric_inc(t->sp->ctr.sdes_tls_rejects);
}

void
txn_try_next(struct sp_txn *t)
{
	struct sp *sp = t->sp;
	struct sp_call *c;

	while (t->rule != NULL && t->next_target < t->rule->ntargets) {
		const struct route_target *tg = &t->rule->targets[t->next_target++];
		struct sa dst;
		int err;

		if (!health_target_up(sp->health, tg)) {
			log_info("target_skipped target=%s reason=down", tg->uri);
			continue;
		}
		if (sa_parse_ip(&dst, tg->host, strlen(tg->host), tg->port)) {
			log_warnx("target_unusable target=%s reason=\"not numeric\"", tg->uri);
			continue;
		}
		if (t->offer_keys && !media_keys_allowed(sp, t->out_side, tg->transport)) {
			/* our offer's keys must not cross this target's transport on that side */
			txn_keys_refused(t, tg->transport, tg->uri);
			txn_best_local(t, 488);
			continue;
		}
		c = dialog_find(sp, t->call_id);
		if (!t->in_dialog && !target_admitted(t, c, t->next_target - 1))
			continue;
		err = txn_branch_start(t, tg->transport, &dst, NULL, tg);
		if (err == ENOSPC || err == EMSGSIZE) {
			/* the request as forwarded fits no datagram or buffer: no target helps */
			txn_final_too_large(t);
			return;
		}
		if (err) {
			log_warnx("target_send_failed target=%s err=%d", tg->uri, err);
			txn_best_local(t, 503);
			continue;
		}
		if (c != NULL)
			dialog_set_target(c, tg->uri, tg->transport);
		log_info("invite_forward target=%s try=%u", tg->uri, t->next_target);
		return;
	}
	/* No target answered, and one was at its limit: the caller may retry later. */
	if (t->admit_refused && t->best == NULL) {
		txn_final_admit(t);
		return;
	}
	txn_send_best(t);
}
