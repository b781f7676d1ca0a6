/* SPDX-License-Identifier: BSD-2-Clause */
/* Request and response dispatch: parse, validate, answer locally or hand to a transaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "health.h"
#include "log.h"
#include "send.h"
#include "sigproxy.h"
#include "timeutil.h"
#include "txn.h"
#include "uac.h"

void
proxy_conn_closed(struct tp_conn *conn, int err, void *arg)
{
	struct sp *sp = arg;

	if (!tp_conn_outbound(conn))
		return;
	switch (err) {
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EPROTO:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ECONNRESET:
		txn_invite_conn_failed(sp, conn, err);
		break;
	default:
		/* clean close, idle timeout, garbage from the peer: no request lost to it */
		break;
	}
}

/* Addressed to us: Request-URI is ours and no Route leads elsewhere. */
static bool
request_for_us(struct sp *sp, const struct sip_msg *m)
{
	enum tp_proto tp;
	struct sa dst;

	return send_next_hop(sp, m, &tp, &dst) == ENOENT;
}

static void
drop(struct sp *sp, const struct sa *src, const char *why)
{
	char a[SA_STRLEN];

	metric_inc(sp->ctr.drops);
	log_limited(&sp->rl_drop, time_mono_ms(), LOG_LEVEL_WARN, "sip_drop src=%s reason=\"%s\"",
	    sa_format(src, a, sizeof(a)), LOG_ESC(why));
}

static void
request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	enum sip_method meth = sip_msg_method_id(m);
	char extra[64], a[SA_STRLEN];

	/* RFC 2543 peers: carried on derived keys (sip_legacy.c), counted so operators see them */
	if (sip_msg_is_legacy(m)) {
		metric_inc(sp->ctr.tolerated[SP_TOL_LEGACY]);
		log_limited(&sp->rl_tol, time_mono_ms(), LOG_LEVEL_INFO, "sip_tolerated "
		    "kind=legacy-request method=%s src=%s from_tag=%s", LOG_ESCW(sip_msg_method(m)),
		    sa_format(&src->addr, a, sizeof(a)), sip_msg_from_tag(m) ? "yes" : "no");
	}

	if (meth == SIP_METHOD_OPTIONS && request_for_us(sp, m)) {
		int st = health_self_status(sp, m, src->lsnr->name);

		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", sp->cfg.retry_after);
		send_reply(sp, src, m, st, NULL, st == 503 ? extra : NULL);
		sip_msg_free(m);
		return;
	}
	if (sip_msg_max_forwards(m) == 0 && meth != SIP_METHOD_ACK) {
		send_reply(sp, src, m, 483, NULL, NULL);
		sip_msg_free(m);
		return;
	}
	switch (meth) {
	case SIP_METHOD_INVITE:
		txn_invite_request(sp, src, m);	/* takes m */
		return;
	case SIP_METHOD_ACK:
		if (txn_invite_ack(sp, m)) {
			sip_msg_free(m);
			return;
		}
		txn_ack_forward(sp, src, m);	/* takes m */
		return;
	case SIP_METHOD_CANCEL:
		txn_invite_cancel(sp, src, m);
		sip_msg_free(m);
		return;
	default:
		txn_nit_request(sp, src, m);	/* takes m */
		return;
	}
}

static bool
ids_fit(const struct sip_msg *m)
{
	const char *ft = sip_msg_from_tag(m), *tt = sip_msg_to_tag(m);
	struct sip_via v;

	if (strlen(sip_msg_call_id(m)) >= SP_CALL_ID_MAX)
		return false;
	if (sip_msg_via(m, 0, &v) == 0 && v.branch != NULL && strlen(v.branch) >= SP_ID_MAX)
		return false;
	return (ft == NULL || strlen(ft) < SP_ID_MAX) && (tt == NULL || strlen(tt) < SP_ID_MAX);
}

/* A valid message from s under the Call-ID of its call; takes m. */
static void
handle(struct sp *sp, const struct sp_src *s, struct sip_msg *m)
{
	/* every line logged while a valid message is handled names its call */
	log_set_call_id(sip_msg_call_id(m));
	if (sip_msg_is_request(m)) {
		request(sp, s, m);
		return;
	}
	if (health_response(sp->health, m, s) || txn_invite_response(sp, m) ||
	    txn_nit_response(sp, m) || uac_response(sp, m)) {
		sip_msg_free(m);
		return;
	}
	if (txn_response_stateless(sp, s, m))
		drop(sp, &s->addr, "response matches no transaction");
	sip_msg_free(m);
}

/* A message waiting for Redis to say which call its leg's Call-ID belongs to. */
struct leg_wait {
	struct sp *sp;
	struct sp_src src;
	struct sip_msg *m;
};

static void
leg_call_id_read(const char *call_id, void *arg)
{
	struct leg_wait *w = arg;

	/* unknown, it goes on under the Call-ID it came with: no call has it, it is refused */
	if (call_id != NULL && sip_msg_set_call_id(w->m, call_id) != 0) {
		drop(w->sp, &w->src.addr, "out of memory");
		sip_msg_free(w->m);
	} else {
		handle(w->sp, &w->src, w->m);
	}
	log_set_call_id(NULL);
	if (w->src.conn)
		tp_conn_deref(w->src.conn);
	free(w);
}

/*
 * Gives m its call's own Call-ID when the SBC made the one it carries: from memory, else
 * from Redis (another instance made it). True when m was taken (dropped, or waits for
 * Redis and is handled then); false: handle m now.
 */
static bool
leg_call_id_resolve(struct sp *sp, const struct sp_src *s, struct sip_msg *m)
{
	struct sp_call *c = dialog_find_alias(sp, sip_msg_call_id(m));
	struct leg_wait *w;

	if (c != NULL) {
		if (sip_msg_set_call_id(m, c->call_id) == 0)
			return false;
		drop(sp, &s->addr, "out of memory");
		sip_msg_free(m);
		return true;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return false;
	w->sp = sp;
	w->src = *s;
	if (s->conn)
		w->src.conn = tp_conn_ref(s->conn);
	w->m = m;
	if (dialog_lookup_alias(sp, sip_msg_call_id(m), leg_call_id_read, w) == 0)
		return true;
	if (w->src.conn)
		tp_conn_deref(w->src.conn);
	free(w);
	return false;
}

/* A parsed message from s; takes m. */
static void
dispatch(struct sp *sp, const struct sp_src *s, struct sip_msg *m)
{
	const struct sa *src = &s->addr;
	struct sip_error e;

	memset(&e, 0, sizeof(e));
	if (sip_msg_validate(m, &e)) {
		if (sip_msg_is_request(m) && e.status > 0 &&
		    sip_msg_method_id(m) != SIP_METHOD_ACK) {
			char extra[160], a[SA_STRLEN];

			metric_inc(sp->ctr.bad_requests);
			extra[0] = '\0';
			if (e.status == 420 && e.unsupported[0])
				snprintf(extra, sizeof(extra), "Unsupported: %s\r\n", e.unsupported);
			/* one line per bad request would let any peer fill the disk */
			log_limited(&sp->rl_bad, time_mono_ms(), LOG_LEVEL_INFO,
			    "sip_bad_request src=%s status=%d reason=\"%s\"",
			    sa_format(src, a, sizeof(a)), e.status, LOG_ESC(e.reason));
			if (send_reply(sp, s, m, e.status, e.reason, extra[0] ? extra : NULL))
				drop(sp, src, e.reason);
		} else {
			drop(sp, src, e.reason[0] ? e.reason : "invalid");
		}
		sip_msg_free(m);
		return;
	}
	/* transactions and calls key on the Call-ID, branch and tags in fixed buffers */
	if (!ids_fit(m)) {
		if (sip_msg_is_request(m) && sip_msg_method_id(m) != SIP_METHOD_ACK) {
			metric_inc(sp->ctr.bad_requests);
			send_reply(sp, s, m, 400, "Call-ID, branch or tag too long", NULL);
		} else {
			drop(sp, src, "Call-ID, branch or tag too long");
		}
		sip_msg_free(m);
		return;
	}
	/* a callee's leg whose Call-ID the SBC made: the call is known by its own */
	if (strncmp(sip_msg_call_id(m), SP_LEG_CALL_ID_PREFIX,
	    strlen(SP_LEG_CALL_ID_PREFIX)) == 0 && leg_call_id_resolve(sp, s, m))
		return;
	handle(sp, s, m);
}

void
proxy_recv(struct tp_listener *l, struct tp_conn *conn, const struct sa *src, const char *msg,
    size_t len, void *arg)
{
	struct sp *sp = arg;
	struct sp_src s;
	struct sip_msg *m = NULL;
	struct sip_error e;

	memset(&s, 0, sizeof(s));
	s.lsnr = send_listener_by_tpl(sp, l);
	s.conn = conn;
	s.addr = *src;
	if (s.lsnr == NULL) {
		drop(sp, src, "no listener");
		return;
	}
	send_trace(sp, TRACE_IN, s.lsnr, conn, src, msg, len);
	memset(&e, 0, sizeof(e));
	if (sip_msg_parse(&m, msg, len, s.lsnr->proto, NULL, &e)) {
		drop(sp, src, e.reason[0] ? e.reason : "unparseable");
		return;
	}
	dispatch(sp, &s, m);
	log_set_call_id(NULL);
}
