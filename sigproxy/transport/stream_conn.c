/* SPDX-License-Identifier: BSD-2-Clause */
/* A TCP or TLS connection's lifetime on its bufferevent: open, read and frame, write, idle and close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "transport_int.h"

/* A peer that does not read its responses is cut off past this much queued output. */
#define CONN_MAX_OUTPUT (1024 * 1024)

static const char *
state_name(enum conn_state s)
{
	switch (s) {
	case CONN_CONNECTING: return "connecting";
	case CONN_OPEN: return "open";
	case CONN_CLOSED: return "closed";
	}
	return "?";
}

const char *
tp_conn_lname(const struct tp_conn *c)
{
	return c->lsnr ? c->lsnr->name : "-";
}

struct log_ratelimit *
tp_conn_rl(struct tp_conn *c)
{
	return c->lsnr ? &c->lsnr->rl : &c->tp->rl;
}

static void
conn_enter_state(struct tp_conn *c, enum conn_state s)
{
	char pb[SA_STRLEN];

	log_debug("%s transport=%s peer=%s listener=%s from=%s to=%s", __func__,
	    tp_proto_name(c->proto), sa_format(&c->peer, pb, sizeof(pb)), LOG_Q(tp_conn_lname(c)),
	    state_name(c->state), state_name(s));
	c->state = s;
}
struct tp_conn *
tp_conn_ref(struct tp_conn *c)
{
	if (c != NULL)
		c->refs++;
	return c;
}

struct tp_conn *
tp_conn_deref(struct tp_conn *c)
{
	if (c == NULL)
		return NULL;
	if (--c->refs == 0)
		free(c);
	return NULL;
}

void
tp_conn_drop(struct tp_conn *c, int err, bool notify)
{
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];

	if (c->state == CONN_CLOSED)
		return;
	conn_enter_state(c, CONN_CLOSED);
	log_debug("%s transport=%s peer=%s listener=%s err=%d", __func__, tp_proto_name(c->proto),
	    sa_format(&c->peer, pb, sizeof(pb)), LOG_Q(tp_conn_lname(c)), err);
	if (c->timer)
		event_free(c->timer);
	c->timer = NULL;
	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->connev)
		event_free(c->connev);
	c->connev = NULL;
	if (c->cfd >= 0)
		evutil_closesocket(c->cfd);
	c->cfd = -1;
	if (c->pending)
		evbuffer_free(c->pending);
	c->pending = NULL;
	LIST_REMOVE(c, entry);
	if (c->outbound)
		metric_set(tp->m.conns_out, --tp->nconns_out);
	else
		metric_set(tp->m.conns_in, --tp->nconns_in);
	if (c->counted)
		tp_limits_conn_gone(tp->lim, &c->peer);
	c->counted = false;
	tp->closed_since_trim++;
	if (c->stats)
		c->stats->conns_open--;
	c->stats = NULL;
	c->tp = NULL;
	/* The listener may be freed before the last handle goes away. */
	c->lsnr = NULL;
	if (notify && tp->conf.closeh)
		tp->conf.closeh(c, err, tp->conf.arg);
	tp_conn_deref(c);
}

void
tp_conn_close(struct tp_conn *c)
{
	if (c != NULL)
		tp_conn_drop(c, 0, true);
}

void
tp_conns_free(struct tp *tp)
{
	struct tp_conn *c;

	while ((c = LIST_FIRST(&tp->conns)) != NULL) {
		c->lsnr = NULL;
		tp_conn_drop(c, 0, false);
	}
}

static void
timer_arm(struct tp_conn *c, unsigned ms)
{
	struct timeval tv = timeval_from_ms(ms);

	evtimer_add(c->timer, &tv);
}

/* The message under way (or the first one awaited) is late: the header deadline. */
static void
conn_header_late(struct tp_conn *c, uint64_t now)
{
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];
	size_t have = c->bev ? evbuffer_get_length(bufferevent_get_input(c->bev)) : 0;

	c->stats->bad_msgs++;
	tp_drop_count(tp, TP_DROP_HEADER_TIMEOUT);
	if (tp_rl_ok(tp_conn_rl(c)))
		log_warnx("sip_conn_header_timeout transport=%s dir=%s listener=%s peer=%s "
		    "bytes=%zu after_ms=%llu reason=\"%s not complete within %u ms\"",
		    tp_proto_name(c->proto), c->outbound ? "out" : "in", tp_conn_lname(c),
		    sa_format(&c->peer, pb, sizeof(pb)), have,
		    (unsigned long long)(now - c->msg_start_ms),
		    have ? "message" : "first message", tp->conf.header_timeout_ms);
	tp_conn_drop(c, ETIMEDOUT, true);
}

static void
conn_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_conn *c = arg;
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];
	uint64_t now, idle;
	unsigned limit;

	if (c->state == CONN_CONNECTING) {
		limit = c->outbound ? tp->conf.connect_timeout_ms : tp->conf.handshake_timeout_ms;
		if (c->outbound) {
			c->stats->connect_failures++;
		} else {
			c->stats->tls_failures++;
			tp_drop_count(tp, TP_DROP_HANDSHAKE_TIMEOUT);
		}
		if (tp_rl_ok(tp_conn_rl(c)))
			log_warnx("sip_conn_timeout transport=%s dir=%s listener=%s peer=%s "
			    "reason=\"%s not complete after %u ms\"", tp_proto_name(c->proto),
			    c->outbound ? "out" : "in", tp_conn_lname(c),
			    sa_format(&c->peer, pb, sizeof(pb)),
			    c->proto == TP_TLS ? "TLS handshake" : "connect", limit);
		tp_conn_drop(c, ETIMEDOUT, true);
		return;
	}
	now = time_mono_ms();
	if (c->msg_start_ms != 0) {
		/* Bytes trickling in do not move this: only a complete message ends it. */
		if (now - c->msg_start_ms >= tp->conf.header_timeout_ms) {
			conn_header_late(c, now);
			return;
		}
		timer_arm(c, (unsigned)(c->msg_start_ms + tp->conf.header_timeout_ms - now));
		return;
	}
	idle = now - c->last_ms;
	if (idle >= tp->conf.idle_timeout_ms) {
		c->stats->conns_idle_closed++;
		log_info("sip_conn_idle_close transport=%s listener=%s peer=%s idle_ms=%llu",
		    tp_proto_name(c->proto), tp_conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)),
		    (unsigned long long)idle);
		tp_conn_drop(c, 0, true);
		return;
	}
	timer_arm(c, (unsigned)(tp->conf.idle_timeout_ms - idle));
}

static void conn_readcb(struct bufferevent *bev, void *arg);
static void conn_eventcb(struct bufferevent *bev, short what, void *arg);

int
tp_conn_new(struct tp *tp, struct tp_listener *l, enum tp_proto proto, bool outbound,
    const struct sa *peer, struct bufferevent *bev, struct tp_conn **cp)
{
	struct tp_conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		if (bev)
			bufferevent_free(bev);
		return ENOMEM;
	}
	c->timer = evtimer_new(tp->base, conn_timercb, c);
	if (c->timer == NULL) {
		if (bev)
			bufferevent_free(bev);
		free(c);
		return ENOMEM;
	}
	c->cfd = -1;
	c->tp = tp;
	c->refs = 1;
	c->proto = proto;
	c->outbound = outbound;
	c->peer = *peer;
	c->lsnr = l;
	c->stats = l ? &l->stats : &tp->orphan;
	c->bev = bev;
	c->last_ms = time_mono_ms();
	c->state = CONN_CONNECTING;
	LIST_INSERT_HEAD(&tp->conns, c, entry);
	if (outbound)
		metric_set(tp->m.conns_out, ++tp->nconns_out);
	else
		metric_set(tp->m.conns_in, ++tp->nconns_in);
	c->stats->conns_open++;
	if (bev)
		tp_conn_attach(c, bev);
	timer_arm(c, outbound ? tp->conf.connect_timeout_ms : tp->conf.handshake_timeout_ms);
	*cp = c;
	return 0;
}

void
tp_conn_attach(struct tp_conn *c, struct bufferevent *bev)
{
	c->bev = bev;
	bufferevent_setcb(bev, conn_readcb, NULL, conn_eventcb, c);
}

int
tp_conn_tls_start(struct tp_conn *c, struct tls *t, const char *host, bool server)
{
	struct bufferevent *bev;
	char pb[SA_STRLEN];
	SSL *ssl;
	int err;

	err = tls_ssl_new(t, host, sa_format(&c->peer, pb, sizeof(pb)), &ssl);
	if (err)
		return err;
	bev = bufferevent_openssl_socket_new(c->tp->base, c->cfd, ssl,
	    server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return ENOMEM;
	}
	c->cfd = -1;	/* the bufferevent owns it now */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	tp_conn_attach(c, bev);
	return 0;
}

static void
conn_local_fill(struct tp_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &slen) == 0)
		sa_from_sockaddr(&c->local, (struct sockaddr *)&ss, slen);
}

void
tp_conn_opened(struct tp_conn *c)
{
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];

	conn_enter_state(c, CONN_OPEN);
	conn_local_fill(c);
	c->last_ms = time_mono_ms();
	/* Whoever connects to us speaks first: the first message has the header deadline. */
	if (!c->outbound)
		c->msg_start_ms = c->last_ms;
	if (c->outbound)
		c->stats->conns_connected++;
	if (c->proto == TP_TLS) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		X509 *cert = SSL_get0_peer_certificate(ssl);

		snprintf(c->info.version, sizeof(c->info.version), "%s", SSL_get_version(ssl));
		snprintf(c->info.cipher, sizeof(c->info.cipher), "%s", SSL_get_cipher_name(ssl));
		c->info.peer_cert = cert != NULL;
		c->info.verified = cert != NULL && SSL_get_verify_result(ssl) == X509_V_OK;
		tls_cert_names(cert, c->info.subject_cn, sizeof(c->info.subject_cn),
		    c->info.sans, sizeof(c->info.sans));
		tls_cert_sha256(cert, c->info.cert_sha256, sizeof(c->info.cert_sha256));
		if (!c->outbound) {
			const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

			/* The name comes from the peer: keep it printable for logs. */
			for (size_t i = 0; sni && sni[i] && i + 1 < sizeof(c->info.sni); i++)
				c->info.sni[i] = sni[i] > 0x20 && sni[i] < 0x7f && sni[i] != '"' ?
				    sni[i] : '?';
		}
		c->tls_up = true;
		c->stats->tls_handshakes++;
		log_info("tls_established dir=%s listener=%s peer=%s version=%s cipher=%s "
		    "peer_cert=%s subject_cn=\"%s\"%s%s%s%s%s%s", c->outbound ? "out" : "in",
		    tp_conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)), c->info.version,
		    c->info.cipher, !c->info.peer_cert ? "none" :
		    c->info.verified ? "verified" : "unverified", LOG_ESC(c->info.subject_cn),
		    c->host[0] ? " expected=\"" : "", c->host, c->host[0] ? "\"" : "",
		    c->info.sni[0] ? " sni=\"" : "", c->info.sni, c->info.sni[0] ? "\"" : "");
	}
	timer_arm(c, c->msg_start_ms ? tp->conf.header_timeout_ms : tp->conf.idle_timeout_ms);
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct tp_conn *c = arg;
	char pb[SA_STRLEN];
	int err;

	if (what & BEV_EVENT_CONNECTED) {
		tp_conn_opened(c);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	err = (what & BEV_EVENT_EOF) ? 0 : EVUTIL_SOCKET_ERROR();
	if (c->proto == TP_TLS) {
		unsigned long errs[8];
		size_t n = 0;
		unsigned long e;

		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (n < sizeof(errs) / sizeof(errs[0]))
				errs[n++] = e;
		if (c->state == CONN_CONNECTING) {
			char reason[1024];

			c->stats->tls_failures++;
			if (tp_rl_ok(tp_conn_rl(c)))
				log_warnx("tls_handshake_failed dir=%s listener=%s peer=%s %s",
				    c->outbound ? "out" : "in", tp_conn_lname(c),
				    sa_format(&c->peer, pb, sizeof(pb)),
				    tls_failure_reason(bufferevent_openssl_get_ssl(bev), errs, n,
				    reason, sizeof(reason)));
			tp_conn_drop(c, EPROTO, true);
			return;
		}
		if (n > 0) {
			char es[160];

			ERR_error_string_n(errs[0], es, sizeof(es));
			c->stats->tls_failures++;
			if (tp_rl_ok(tp_conn_rl(c)))
				log_warnx("tls_error dir=%s listener=%s peer=%s reason=\"%s\"",
				    c->outbound ? "out" : "in", tp_conn_lname(c),
				    sa_format(&c->peer, pb, sizeof(pb)), es);
			tp_conn_drop(c, EPROTO, true);
			return;
		}
	} else if (c->state == CONN_CONNECTING) {
		c->stats->connect_failures++;
		if (err == 0)
			err = ECONNRESET;
		if (tp_rl_ok(tp_conn_rl(c)))
			log_warnx("sip_connect_failed transport=tcp listener=%s peer=%s error=\"%s\"",
			    tp_conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)), strerror(err));
		tp_conn_drop(c, err, true);
		return;
	}
	log_debug("%s transport=%s peer=%s closed=yes what=0x%x err=%d", __func__,
	    tp_proto_name(c->proto), sa_format(&c->peer, pb, sizeof(pb)), (unsigned)what, err);
	tp_conn_drop(c, err, true);
}

/* From a banned source, or a request over its rate that banned it: closes c. */
static void
conn_limit_drop(struct tp_conn *c, enum tp_drop why)
{
	tp_drop_count(c->tp, why);
	tp_conn_drop(c, EACCES, true);
}

/*
 * What is left in the buffer after a read: a message begun (its deadline starts now) or
 * none (the idle timer runs again; the timer was set for the deadline, which may be later).
 */
static void
conn_msg_track(struct tp_conn *c, size_t left, uint64_t now)
{
	if (left == 0) {
		if (c->msg_start_ms != 0) {
			c->msg_start_ms = 0;
			timer_arm(c, c->tp->conf.idle_timeout_ms);
		}
		return;
	}
	if (c->msg_start_ms == 0) {
		c->msg_start_ms = now;
		timer_arm(c, c->tp->conf.header_timeout_ms);
	}
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint64_t now = time_mono_ms();
	char pb[SA_STRLEN];
	enum tp_drop why;

	if (c->limited && tp_limits_banned(c->tp->lim, &c->peer, now)) {
		conn_limit_drop(c, TP_DROP_BANNED);
		return;
	}
	/* recvh may close c: keep the object alive until this loop is done with it. */
	tp_conn_ref(c);
	while (c->state == CONN_OPEN) {
		size_t have = evbuffer_get_length(in), want, skip = 0, mlen = 0;
		const char *p;
		int rc;

		if (have == 0) {
			conn_msg_track(c, 0, now);
			break;
		}
		want = have < TP_MAX_HEADER + TP_MAX_BODY ? have : TP_MAX_HEADER + TP_MAX_BODY;
		p = (const char *)evbuffer_pullup(in, (ssize_t)want);
		if (p == NULL)
			break;
		rc = tp_frame(p, want, &skip, &mlen);
		if (skip > 0) {
			c->crlf_run += (unsigned)skip;
			/* RFC 5626: a CRLFCRLF ping is answered with one CRLF pong. */
			if (c->crlf_run >= 4) {
				c->stats->keepalives++;
				bufferevent_write(c->bev, "\r\n", 2);
				c->crlf_run = 0;
			}
			/* A keep-alive is traffic between messages: the idle timer restarts. */
			if (have == skip)
				c->last_ms = now;
		}
		if (rc == 0) {
			struct tp_listener *l = c->lsnr;
			struct tp *tp = c->tp;

			c->crlf_run = 0;
			if (c->limited && !tp_limits_msg_ok(tp->lim, &c->peer,
			    tp_msg_is_request(p + skip, mlen), now, &why)) {
				/* Banned now (or before): the connection goes. Without a ban
				 * (ban_ms 0) only the message does. */
				if (tp_limits_banned(tp->lim, &c->peer, now)) {
					conn_limit_drop(c, why);
					break;
				}
				tp_drop_count(tp, why);
				evbuffer_drain(in, skip + mlen);
				c->last_ms = now;
				conn_msg_track(c, 0, now);
				continue;
			}
			c->stats->rx_msgs++;
			c->stats->rx_bytes += mlen;
			tp->conf.recvh(l, c, &c->peer, p + skip, mlen, tp->conf.arg);
			if (c->state != CONN_OPEN)
				break;
			evbuffer_drain(in, skip + mlen);
			/* The idle timer runs from the end of the last complete message; a
			 * message that follows has a deadline of its own. */
			c->last_ms = now;
			conn_msg_track(c, 0, now);
			continue;
		}
		if (rc == ENODATA) {
			if (skip)
				evbuffer_drain(in, skip);
			conn_msg_track(c, have - skip, now);
			break;
		}
		c->stats->bad_msgs++;
		if (tp_rl_ok(tp_conn_rl(c)))
			log_warnx("sip_stream_garbage transport=%s listener=%s peer=%s reason=\"%s\" "
			    "note=\"connection closed\"", tp_proto_name(c->proto), tp_conn_lname(c),
			    sa_format(&c->peer, pb, sizeof(pb)),
			    rc == EMSGSIZE ? "message over 64 KiB header or body limit" :
			    "no valid Content-Length or not SIP");
		tp_conn_drop(c, rc, true);
		break;
	}
	tp_conn_deref(c);
}

int
tp_conn_send(struct tp_conn *c, const void *buf, size_t len)
{
	struct evbuffer *out;
	char pb[SA_STRLEN];

	if (c == NULL || buf == NULL || len == 0)
		return EINVAL;
	if (c->state == CONN_CLOSED)
		return ENOTCONN;
	out = c->bev ? bufferevent_get_output(c->bev) : c->pending;
	/* An inbound TLS connection before its ClientHello has neither. */
	if (out == NULL)
		return ENOTCONN;
	if (evbuffer_get_length(out) + len > CONN_MAX_OUTPUT) {
		c->stats->tx_errors++;
		if (tp_rl_ok(tp_conn_rl(c)))
			log_warnx("sip_conn_stalled transport=%s listener=%s peer=%s "
			    "reason=\"peer does not read; over 1 MiB queued\" note=\"connection closed\"",
			    tp_proto_name(c->proto), tp_conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)));
		tp_conn_drop(c, ENOBUFS, true);
		return ENOBUFS;
	}
	if (evbuffer_add(out, buf, len) != 0) {
		c->stats->tx_errors++;
		return ENOMEM;
	}
	c->stats->tx_msgs++;
	c->last_ms = time_mono_ms();
	/* A CRLF arriving after our own ping is its pong, not half of a peer's ping. */
	c->crlf_run = 0;
	return 0;
}

bool
tp_conn_is_open(const struct tp_conn *c)
{
	return c->state != CONN_CLOSED;
}

enum tp_proto
tp_conn_proto(const struct tp_conn *c)
{
	return c->proto;
}

bool
tp_conn_outbound(const struct tp_conn *c)
{
	return c->outbound;
}

const struct sa *
tp_conn_peer(const struct tp_conn *c)
{
	return &c->peer;
}

const struct sa *
tp_conn_local(const struct tp_conn *c)
{
	return &c->local;
}

struct tp_listener *
tp_conn_listener(const struct tp_conn *c)
{
	return c->lsnr;
}

void
tp_conn_set_user(struct tp_conn *c, void *user)
{
	c->user = user;
}

void *
tp_conn_user(const struct tp_conn *c)
{
	return c->user;
}

int
tp_conn_tls_info(const struct tp_conn *c, struct tp_tls_info *out)
{
	if (c == NULL || out == NULL || c->proto != TP_TLS || !c->tls_up)
		return ENOENT;
	*out = c->info;
	return 0;
}
