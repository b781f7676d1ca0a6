/* SPDX-License-Identifier: BSD-2-Clause */
/* Request and response dispatch: parse, validate, answer locally or hand to a transaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sigproxy.h"
#include "timeutil.h"

static struct log_ratelimit rl_drop = LOG_RATELIMIT_INIT(1000, 10);

struct sp_listener *
proxy_listener_by_tpl(struct sp *sp, const struct tp_listener *l)
{
	unsigned i;

	for (i = 0; i < sp->cfg.nlisteners; i++)
		if (sp->cfg.listeners[i].tpl == l)
			return &sp->cfg.listeners[i];
	return NULL;
}

struct sp_listener *
proxy_listener_for(struct sp *sp, enum sp_side side, enum sip_transport t)
{
	struct sp_listener *any = NULL;
	unsigned i;

	for (i = 0; i < sp->cfg.nlisteners; i++) {
		struct sp_listener *l = &sp->cfg.listeners[i];

		if (l->side != side)
			continue;
		if ((enum sip_transport)l->proto == t)
			return l;
		if (any == NULL)
			any = l;
	}
	/* UDP needs a socket of its own kind; streams can go out from any side listener */
	return t == SIP_TRANSPORT_UDP ? NULL : any;
}

void
proxy_trace(struct sp *sp, const char *dir, const struct sa *peer, const char *buf, size_t len)
{
	char a[SA_STRLEN];

	if (!sp->trace)
		return;
	log_infox("sip_trace %s peer=%s len=%zu\n%.*s", dir, peer ? sa_format(peer, a, sizeof(a)) :
	    "-", len, (int)len, buf);
}

void
proxy_count_response(struct sp *sp, int status)
{
	if (status >= 100 && status < 700)
		metric_inc(sp->ctr.resp_class[status / 100]);
}

int
proxy_send_response(struct sp *sp, const struct sp_src *to, const char *buf, size_t len)
{
	int err;

	proxy_trace(sp, "out", &to->addr, buf, len);
	if (to->conn != NULL)
		err = tp_conn_send(to->conn, buf, len);
	else
		err = tp_send_udp(to->lsnr->tpl, &to->addr, buf, len);
	if (err)
		log_warnx("sip_send_failed dir=upstream err=%d", err);
	return err;
}

int
proxy_reply(struct sp *sp, const struct sp_src *to, const struct sip_msg *req, int status,
    const char *reason, const char *extra)
{
	char tag[32], buf[8192];
	size_t len;
	int err;

	if (sip_tag_new(tag, sizeof(tag)))
		snprintf(tag, sizeof(tag), "sp%llu", (unsigned long long)time_mono_us());
	err = sip_build_response(buf, sizeof(buf), &len, req, status, reason, tag, extra);
	if (err) {
		log_warnx("sip_build_failed status=%d err=%d", status, err);
		return err;
	}
	proxy_count_response(sp, status);
	return proxy_send_response(sp, to, buf, len);
}

int
proxy_send_to(struct sp *sp, enum sp_side side, enum sip_transport t, const struct sa *dst,
    const char *host, const char *buf, size_t len, struct tp_conn **connp)
{
	struct sp_listener *l = proxy_listener_for(sp, side, t);
	struct tp_target tg;
	int err;

	proxy_trace(sp, "out", dst, buf, len);
	if (t == SIP_TRANSPORT_UDP) {
		if (l == NULL)
			return ENETUNREACH;
		if (connp)
			*connp = NULL;
		return tp_send_udp(l->tpl, dst, buf, len);
	}
	memset(&tg, 0, sizeof(tg));
	tg.proto = t == SIP_TRANSPORT_TLS ? TP_TLS : TP_TCP;
	tg.addr = *dst;
	tg.host = host;
	/* any listener of the side: the connection's traffic then comes back with that side */
	tg.via = l ? l->tpl : NULL;
	err = tp_send(sp->tp, &tg, buf, len, connp);
	return err;
}

int
proxy_send_in_dialog(struct sp *sp, struct sp_call *c, enum sp_side side, enum sip_transport t,
    const struct sa *dst, const char *buf, size_t len)
{
	/*
	 * A caller behind NAT or a TLS wrapper cannot be reached at its Contact: RFC 5923
	 * style, the connection it opened is the way back for the whole dialog.
	 */
	if (c != NULL && c->caller_conn != NULL && side == c->side[0] && t != SIP_TRANSPORT_UDP &&
	    tp_conn_is_open(c->caller_conn)) {
		proxy_trace(sp, "out", tp_conn_peer(c->caller_conn), buf, len);
		return tp_conn_send(c->caller_conn, buf, len);
	}
	return proxy_send_to(sp, side, t, dst, NULL, buf, len, NULL);
}

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

bool
proxy_is_self_uri(struct sp *sp, const struct sip_uri *u)
{
	unsigned i;

	if (u->host == NULL)
		return false;
	for (i = 0; i < sp->cfg.nlisteners; i++) {
		const struct sip_hop *h = &sp->cfg.listeners[i].hop;
		uint16_t dp = h->transport == SIP_TRANSPORT_TLS ? 5061 : 5060;
		const char *host = u->host;
		size_t hl = strlen(host);
		char ip[SA_STRLEN];

		if (hl > 2 && host[0] == '[') {
			host++;
			hl -= 2;
		}
		if ((u->port ? u->port : dp) != (h->port ? h->port : dp))
			continue;
		if ((strlen(h->host) == hl && strncasecmp(h->host, host, hl) == 0))
			return true;
		sa_format_ip(&sp->cfg.listeners[i].addr, ip, sizeof(ip));
		if (strlen(ip) == hl && strncasecmp(ip, host, hl) == 0)
			return true;
	}
	return false;
}

static int
uri_dest(const struct sip_uri *u, enum sip_transport *tp, struct sa *dst)
{
	enum sip_transport t = SIP_TRANSPORT_UDP;
	const char *host = u->host;
	size_t hl;

	if (host == NULL)
		return EINVAL;
	hl = strlen(host);
	if (hl > 2 && host[0] == '[') {
		host++;
		hl -= 2;
	}
	if (u->scheme && strcasecmp(u->scheme, "sips") == 0)
		t = SIP_TRANSPORT_TLS;
	if (u->transport && sip_transport_parse(u->transport, &t))
		return EPROTONOSUPPORT;
	/* no DNS on the signalling path: targets and contacts must be numeric */
	if (sa_parse_ip(dst, host, hl, u->port ? u->port : (t == SIP_TRANSPORT_TLS ? 5061 : 5060)))
		return EHOSTUNREACH;
	*tp = t;
	return 0;
}

int
proxy_next_hop(struct sp *sp, const struct sip_msg *m, enum sip_transport *tp, struct sa *dst)
{
	struct sip_addr r;
	struct sip_uri u;
	unsigned i, n = sip_msg_route_count(m);

	for (i = 0; i < n; i++) {
		if (sip_msg_route(m, i, &r))
			return EBADMSG;
		if (proxy_is_self_uri(sp, &r.uri))
			continue;
		return uri_dest(&r.uri, tp, dst);
	}
	if (sip_msg_ruri(m, &u))
		return EBADMSG;
	if (proxy_is_self_uri(sp, &u))
		return ENOENT;
	return uri_dest(&u, tp, dst);
}

bool
proxy_routed_via_us(struct sp *sp, const struct sip_msg *m)
{
	struct sip_addr r;

	return sip_msg_route_count(m) > 0 && sip_msg_route(m, 0, &r) == 0 &&
	    proxy_is_self_uri(sp, &r.uri);
}

/* Addressed to us: Request-URI is ours and no Route leads elsewhere. */
static bool
request_for_us(struct sp *sp, const struct sip_msg *m)
{
	enum sip_transport tp;
	struct sa dst;

	return proxy_next_hop(sp, m, &tp, &dst) == ENOENT;
}

static void
drop(struct sp *sp, const struct sa *src, const char *why)
{
	char a[SA_STRLEN];

	metric_inc(sp->ctr.drops);
	if (log_ratelimit_ok(&rl_drop, time_mono_ms()))
		log_warnx("sip_drop src=%s reason=\"%s\"", sa_format(src, a, sizeof(a)), why);
}

static void
request(struct sp *sp, const struct sp_src *src, struct sip_msg *m)
{
	enum sip_method meth = sip_msg_method_id(m);
	char extra[64];

	if (meth == SIP_METHOD_OPTIONS && request_for_us(sp, m)) {
		int st = health_self_status(sp, m);

		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", sp->cfg.retry_after);
		proxy_reply(sp, src, m, st, NULL, st == 503 ? extra : NULL);
		sip_msg_free(m);
		return;
	}
	if (sip_msg_max_forwards(m) == 0 && meth != SIP_METHOD_ACK) {
		proxy_reply(sp, src, m, 483, NULL, NULL);
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

/*
 * RFC 3261 §16.7 step 1: a response without a transaction but with our Via on top
 * (e.g. another instance forwarded the request, the peer answered us) is forwarded
 * statelessly to the next Via. Returns 0 when sent.
 */
static int
response_stateless(struct sp *sp, const struct sp_src *src, const struct sip_msg *m)
{
	struct sip_via top, next;
	struct sip_uri u;
	enum sip_transport tp;
	struct sa dst;
	const char *host;
	char *buf = sp->buf;
	size_t len, hl;

	if (sip_msg_via(m, 0, &top) || sip_msg_via(m, 1, &next) || next.host == NULL)
		return ENOENT;
	memset(&u, 0, sizeof(u));
	u.host = top.host;
	u.port = top.port;
	if (!proxy_is_self_uri(sp, &u))
		return ENOENT;
	if (next.transport == NULL || sip_transport_parse(next.transport, &tp))
		return EPROTONOSUPPORT;
	host = next.received ? next.received : next.host;
	hl = strlen(host);
	if (hl > 2 && host[0] == '[') {
		host++;
		hl -= 2;
	}
	if (sa_parse_ip(&dst, host, hl, next.rport_value ? next.rport_value :
	    next.port ? next.port : (tp == SIP_TRANSPORT_TLS ? 5061 : 5060)))
		return EHOSTUNREACH;
	if (sip_build_response_fwd(buf, SP_BUF_SIZE, &len, m, NULL, 0, NULL))
		return EBADMSG;
	proxy_count_response(sp, sip_msg_status(m));
	return proxy_send_to(sp, src->lsnr->side == SP_SIDE_OUTSIDE ? SP_SIDE_INSIDE :
	    SP_SIDE_OUTSIDE, tp, &dst, NULL, buf, len, NULL);
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

void
proxy_recv(struct tp_listener *l, struct tp_conn *conn, const struct sa *src, const char *msg,
    size_t len, void *arg)
{
	struct sp *sp = arg;
	struct sp_src s;
	struct sip_msg *m = NULL;
	struct sip_error e;

	memset(&s, 0, sizeof(s));
	s.lsnr = proxy_listener_by_tpl(sp, l);
	s.conn = conn;
	s.addr = *src;
	if (s.lsnr == NULL) {
		drop(sp, src, "no listener");
		return;
	}
	proxy_trace(sp, "in", src, msg, len);
	memset(&e, 0, sizeof(e));
	if (sip_msg_parse(&m, msg, len, (enum sip_transport)s.lsnr->proto, NULL, &e)) {
		drop(sp, src, e.reason[0] ? e.reason : "unparseable");
		return;
	}
	if (sip_msg_validate(m, &e)) {
		if (sip_msg_is_request(m) && e.status > 0 &&
		    sip_msg_method_id(m) != SIP_METHOD_ACK) {
			char extra[160];

			metric_inc(sp->ctr.bad_requests);
			extra[0] = '\0';
			if (e.status == 420 && e.unsupported[0])
				snprintf(extra, sizeof(extra), "Unsupported: %s\r\n", e.unsupported);
			log_info("sip_bad_request status=%d reason=\"%s\"", e.status, e.reason);
			if (proxy_reply(sp, &s, m, e.status, e.reason, extra[0] ? extra : NULL))
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
			proxy_reply(sp, &s, m, 400, "Call-ID, branch or tag too long", NULL);
		} else {
			drop(sp, src, "Call-ID, branch or tag too long");
		}
		sip_msg_free(m);
		return;
	}
	if (sip_msg_is_request(m)) {
		request(sp, &s, m);
		return;
	}
	if (health_response(sp->health, m) || txn_invite_response(sp, m) ||
	    txn_nit_response(sp, m)) {
		sip_msg_free(m);
		return;
	}
	if (response_stateless(sp, &s, m))
		drop(sp, src, "response matches no transaction");
	sip_msg_free(m);
}
