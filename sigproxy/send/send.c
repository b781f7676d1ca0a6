/* SPDX-License-Identifier: BSD-2-Clause */
/* Sending: replies back where a request came from, requests to a hop or along a dialog, the trace. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "send.h"
#include "timeutil.h"

void
send_trace(struct sp *sp, enum trace_dir dir, const struct sp_listener *l, struct tp_conn *conn,
    const struct sa *peer, const char *buf, size_t len)
{
	struct sp_listener *cl = NULL;
	struct trace_msg m;

	if (sp->trace == NULL || !trace_is_on(sp->trace))
		return;
	memset(&m, 0, sizeof(m));
	m.dir = dir;
	m.buf = buf;
	m.len = len;
	m.peer = peer;
	if (conn != NULL) {
		/* an outbound stream leaves from any listener of its side: name the one it uses */
		if (tp_conn_listener(conn) != NULL)
			cl = send_listener_by_tpl(sp, tp_conn_listener(conn));
		if (cl != NULL)
			l = cl;
		m.proto = tp_conn_proto(conn);
		m.local = tp_conn_local(conn);
		if (peer == NULL)
			m.peer = tp_conn_peer(conn);
	} else if (l != NULL) {
		m.proto = l->proto;
		m.local = &l->addr;
	}
	m.listener = l != NULL ? l->name : NULL;
	trace_message(sp->trace, &m);
}

void
send_count_response(struct sp *sp, int status)
{
	if (status >= 100 && status < 700)
		metric_inc(sp->ctr.resp_class[status / 100]);
}

int
send_response(struct sp *sp, const struct sp_src *to, const char *buf, size_t len)
{
	int err;

	send_trace(sp, TRACE_OUT, to->lsnr, to->conn, &to->addr, buf, len);
	if (to->conn != NULL)
		err = tp_conn_send(to->conn, buf, len);
	else
		err = tp_send_udp(to->lsnr->tpl, &to->addr, buf, len);
	if (err)
		log_warnx("sip_send_failed dir=upstream err=%d", err);
	return err;
}

int
send_reply(struct sp *sp, const struct sp_src *to, const struct sip_msg *req, int status,
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
	send_count_response(sp, status);
	return send_response(sp, to, buf, len);
}

int
send_to(struct sp *sp, enum sp_side side, enum tp_proto t, const struct sa *dst,
    const char *host, const char *buf, size_t len, struct tp_conn **connp)
{
	struct sp_listener *l = send_listener_for(sp, side, t);
	const struct sp_tls_peer *peer;
	struct tp_conn *c = NULL;
	struct tp_target tg;
	int err;

	if (t == TP_UDP) {
		if (l == NULL)
			return ENETUNREACH;
		send_trace(sp, TRACE_OUT, l, NULL, dst, buf, len);
		if (connp)
			*connp = NULL;
		return tp_send_udp(l->tpl, dst, buf, len);
	}
	memset(&tg, 0, sizeof(tg));
	tg.proto = t;
	tg.addr = *dst;
	tg.host = host;
	/*
	 * A target address that names a [tls_peer] is always reached its way: INVITEs,
	 * in-dialog requests and probes alike check its server name and show its certificate.
	 */
	if (t == TP_TLS && host == NULL && (peer = sp_tls_peer_for(&sp->cfg, dst)) != NULL) {
		tg.host = peer->server_name[0] != '\0' ? peer->server_name : NULL;
		tg.tls = peer->tls;
	}
	/* any listener of the side: the connection's traffic then comes back with that side */
	tg.via = l ? l->tpl : NULL;
	err = tp_send(sp->tp, &tg, buf, len, &c);
	/* after the send: the stream, new or reused, knows its transport and addresses */
	if (c != NULL)
		send_trace(sp, TRACE_OUT, l, c, dst, buf, len);
	else
		send_trace(sp, TRACE_OUT, NULL, NULL, dst, buf, len);
	if (connp != NULL)
		*connp = c;
	else if (c != NULL)
		tp_conn_deref(c);
	return err;
}

int
send_in_dialog(struct sp *sp, struct tp_conn *back, enum sp_side side, enum tp_proto t,
    const struct sa *dst, const char *buf, size_t len)
{
	/*
	 * A caller behind NAT or a TLS wrapper cannot be reached at its Contact: RFC 5923
	 * style, the connection it opened is the way back for the whole dialog.
	 */
	if (back != NULL && t != TP_UDP && tp_conn_is_open(back)) {
		send_trace(sp, TRACE_OUT, NULL, back, NULL, buf, len);
		return tp_conn_send(back, buf, len);
	}
	return send_to(sp, side, t, dst, NULL, buf, len, NULL);
}
