/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP and TLS connections on bufferevents: accept with ACL, connect and reuse, framing, idle close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>

#include "acl.h"
#include "timeutil.h"
#include "tls.h"
#include "transport_int.h"

/* A peer that does not read its responses is cut off past this much queued output. */
#define CONN_MAX_OUTPUT (1024 * 1024)

enum conn_state {
	CONN_CONNECTING = 0,  /* TCP connect (and TLS handshake) in progress */
	CONN_OPEN,
	CONN_CLOSED,
};

struct tp_conn {
	LIST_ENTRY(tp_conn) entry;     /* in tp->conns while not closed */
	struct tp *tp;                 /* NULL once closed */
	unsigned refs;                 /* tp->conns holds one while open */
	enum tp_proto proto;
	enum conn_state state;
	bool outbound;
	struct sa peer;
	struct sa local;
	struct tp_listener *lsnr;      /* accepting listener or via; NULL after tp_free */
	struct tp_stats *stats;        /* lsnr's or tp->orphan; NULL once closed */
	struct bufferevent *bev;       /* owned; NULL once closed, and while an outbound TLS
	                                * connection waits for TCP (see conn_tls_connectcb) */
	evutil_socket_t cfd;           /* outbound TLS: socket while TCP connects, else -1 */
	struct event *connev;          /* outbound TLS: TCP connect completion */
	struct evbuffer *pending;      /* outbound TLS: output queued before the bufferevent */
	struct event *timer;           /* connect/handshake timeout, then idle check */
	uint64_t last_ms;              /* last traffic, monotonic */
	struct tls *tls;               /* outbound TLS: context used (part of the reuse key) */
	char host[256];                /* outbound TLS: name verified (reuse key), "" otherwise */
	unsigned crlf_run;             /* CR/LF bytes seen in a row between messages */
	struct tp_tls_info info;       /* valid when tls_up */
	bool tls_up;
	void *user;
};

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

static const char *
conn_lname(const struct tp_conn *c)
{
	return c->lsnr ? c->lsnr->name : "-";
}

static struct log_ratelimit *
conn_rl(struct tp_conn *c)
{
	return c->lsnr ? &c->lsnr->rl : &c->tp->rl;
}

static void
conn_enter_state(struct tp_conn *c, enum conn_state s)
{
	char pb[SA_STRLEN];

	log_debug("%s: conn %s peer=%s listener=%s %s -> %s", __func__, tp_proto_name(c->proto),
	    sa_format(&c->peer, pb, sizeof(pb)), conn_lname(c), state_name(c->state),
	    state_name(s));
	c->state = s;
}

/* ---- framing ---- */

static bool
hname_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

int
tp_frame(const char *buf, size_t len, size_t *skip, size_t *msglen)
{
	size_t s = 0, i, hdrlen = 0, line, clen = 0;
	bool have_cl = false;

	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	buf += s;
	len -= s;
	if (len == 0)
		return ENODATA;
	/* Reject binary garbage at once instead of waiting for 64 KiB of it. */
	for (i = 0; i < len && i < TP_MAX_HEADER; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if ((ch < 0x20 && ch != '\r' && ch != '\n' && ch != '\t') || ch == 0x7f)
			return EBADMSG;
		if (ch == '\n' && i >= 3 && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r') {
			hdrlen = i + 1;
			break;
		}
	}
	if (hdrlen == 0)
		return len >= TP_MAX_HEADER ? EMSGSIZE : ENODATA;
	/* Skip the start line, then look at each header line's name. */
	for (line = 0; line < hdrlen && buf[line] != '\n'; line++)
		;
	line++;
	while (line + 2 < hdrlen) {
		size_t end = line, nlen, v;
		const char *colon;

		while (end < hdrlen && buf[end] != '\n')
			end++;
		/* Folded continuation lines start with SP/HT and carry no name. */
		if (buf[line] != ' ' && buf[line] != '\t') {
			colon = memchr(buf + line, ':', end - line);
			if (colon != NULL) {
				nlen = (size_t)(colon - (buf + line));
				while (nlen > 0 && (buf[line + nlen - 1] == ' ' ||
				    buf[line + nlen - 1] == '\t'))
					nlen--;
				if (hname_is(buf + line, nlen, "Content-Length") ||
				    hname_is(buf + line, nlen, "l")) {
					size_t val = 0, digits = 0;

					v = (size_t)(colon - buf) + 1;
					while (v < end && (buf[v] == ' ' || buf[v] == '\t'))
						v++;
					while (v < end && buf[v] >= '0' && buf[v] <= '9') {
						if (val > TP_MAX_BODY)
							return EMSGSIZE;
						val = val * 10 + (size_t)(buf[v] - '0');
						v++;
						digits++;
					}
					while (v < end && (buf[v] == ' ' || buf[v] == '\t' ||
					    buf[v] == '\r'))
						v++;
					if (digits == 0 || v != end)
						return EBADMSG;
					if (have_cl && val != clen)
						return EBADMSG;
					have_cl = true;
					clen = val;
				}
			}
		}
		line = end + 1;
	}
	if (!have_cl)
		return EBADMSG;
	if (clen > TP_MAX_BODY)
		return EMSGSIZE;
	if (len < hdrlen + clen)
		return ENODATA;
	*msglen = hdrlen + clen;
	return 0;
}

/* ---- connection lifetime ---- */

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

/* Releases sockets and unlinks; notify decides whether closeh hears about it. */
static void
conn_close(struct tp_conn *c, int err, bool notify)
{
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];

	if (c->state == CONN_CLOSED)
		return;
	conn_enter_state(c, CONN_CLOSED);
	log_debug("%s: %s peer=%s listener=%s err=%d", __func__, tp_proto_name(c->proto),
	    sa_format(&c->peer, pb, sizeof(pb)), conn_lname(c), err);
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
	tp->nconns--;
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
		conn_close(c, 0, true);
}

void
tp_conns_free(struct tp *tp)
{
	struct tp_conn *c;

	while ((c = LIST_FIRST(&tp->conns)) != NULL) {
		c->lsnr = NULL;
		conn_close(c, 0, false);
	}
}

static void
timer_arm(struct tp_conn *c, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

static void
conn_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_conn *c = arg;
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];
	uint64_t now, idle;

	if (c->state == CONN_CONNECTING) {
		if (c->outbound)
			c->stats->connect_failures++;
		else
			c->stats->tls_failures++;
		if (tp_rl_ok(conn_rl(c)))
			log_warnx("sip_conn_timeout transport=%s dir=%s listener=%s peer=%s "
			    "reason=\"%s not complete after %u ms\"", tp_proto_name(c->proto),
			    c->outbound ? "out" : "in", conn_lname(c),
			    sa_format(&c->peer, pb, sizeof(pb)),
			    c->proto == TP_TLS ? "TLS handshake" : "connect",
			    tp->conf.connect_timeout_ms);
		conn_close(c, ETIMEDOUT, true);
		return;
	}
	now = time_mono_ms();
	idle = now - c->last_ms;
	if (idle >= tp->conf.idle_timeout_ms) {
		c->stats->conns_idle_closed++;
		log_info("sip_conn_idle_close transport=%s listener=%s peer=%s idle_ms=%llu",
		    tp_proto_name(c->proto), conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)),
		    (unsigned long long)idle);
		conn_close(c, 0, true);
		return;
	}
	timer_arm(c, (unsigned)(tp->conf.idle_timeout_ms - idle));
}

static void conn_readcb(struct bufferevent *bev, void *arg);
static void conn_eventcb(struct bufferevent *bev, short what, void *arg);

/* Creates the connection object around bev (may be NULL; taken over, freed on error). */
static int
conn_new(struct tp *tp, struct tp_listener *l, enum tp_proto proto, bool outbound,
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
	tp->nconns++;
	c->stats->conns_open++;
	if (bev)
		bufferevent_setcb(bev, conn_readcb, NULL, conn_eventcb, c);
	timer_arm(c, tp->conf.connect_timeout_ms);
	*cp = c;
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

static void
conn_opened(struct tp_conn *c)
{
	struct tp *tp = c->tp;
	char pb[SA_STRLEN];

	conn_enter_state(c, CONN_OPEN);
	conn_local_fill(c);
	c->last_ms = time_mono_ms();
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
		    conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)), c->info.version,
		    c->info.cipher, !c->info.peer_cert ? "none" :
		    c->info.verified ? "verified" : "unverified", c->info.subject_cn,
		    c->host[0] ? " expected=\"" : "", c->host, c->host[0] ? "\"" : "",
		    c->info.sni[0] ? " sni=\"" : "", c->info.sni, c->info.sni[0] ? "\"" : "");
	}
	timer_arm(c, tp->conf.idle_timeout_ms);
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct tp_conn *c = arg;
	char pb[SA_STRLEN];
	int err;

	if (what & BEV_EVENT_CONNECTED) {
		conn_opened(c);
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
			if (tp_rl_ok(conn_rl(c)))
				log_warnx("tls_handshake_failed dir=%s listener=%s peer=%s %s",
				    c->outbound ? "out" : "in", conn_lname(c),
				    sa_format(&c->peer, pb, sizeof(pb)),
				    tls_failure_reason(bufferevent_openssl_get_ssl(bev), errs, n,
				    reason, sizeof(reason)));
			conn_close(c, EPROTO, true);
			return;
		}
		if (n > 0) {
			char es[160];

			ERR_error_string_n(errs[0], es, sizeof(es));
			c->stats->tls_failures++;
			if (tp_rl_ok(conn_rl(c)))
				log_warnx("tls_error dir=%s listener=%s peer=%s reason=\"%s\"",
				    c->outbound ? "out" : "in", conn_lname(c),
				    sa_format(&c->peer, pb, sizeof(pb)), es);
			conn_close(c, EPROTO, true);
			return;
		}
	} else if (c->state == CONN_CONNECTING) {
		c->stats->connect_failures++;
		if (err == 0)
			err = ECONNRESET;
		if (tp_rl_ok(conn_rl(c)))
			log_warnx("sip_connect_failed transport=tcp listener=%s peer=%s error=\"%s\"",
			    conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)), strerror(err));
		conn_close(c, err, true);
		return;
	}
	log_debug("%s: %s peer=%s closed what=0x%x err=%d", __func__, tp_proto_name(c->proto),
	    sa_format(&c->peer, pb, sizeof(pb)), (unsigned)what, err);
	conn_close(c, err, true);
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct tp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char pb[SA_STRLEN];

	c->last_ms = time_mono_ms();
	/* recvh may close c: keep the object alive until this loop is done with it. */
	tp_conn_ref(c);
	while (c->state == CONN_OPEN) {
		size_t have = evbuffer_get_length(in), want, skip = 0, mlen = 0;
		const char *p;
		int rc;

		if (have == 0)
			break;
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
		}
		if (rc == 0) {
			struct tp_listener *l = c->lsnr;
			struct tp *tp = c->tp;

			c->crlf_run = 0;
			c->stats->rx_msgs++;
			c->stats->rx_bytes += mlen;
			tp->conf.recvh(l, c, &c->peer, p + skip, mlen, tp->conf.arg);
			if (c->state != CONN_OPEN)
				break;
			evbuffer_drain(in, skip + mlen);
			continue;
		}
		if (rc == ENODATA) {
			if (skip)
				evbuffer_drain(in, skip);
			break;
		}
		c->stats->bad_msgs++;
		if (tp_rl_ok(conn_rl(c)))
			log_warnx("sip_stream_garbage transport=%s listener=%s peer=%s reason=\"%s\" "
			    "note=\"connection closed\"", tp_proto_name(c->proto), conn_lname(c),
			    sa_format(&c->peer, pb, sizeof(pb)),
			    rc == EMSGSIZE ? "message over 64 KiB header or body limit" :
			    "no valid Content-Length or not SIP");
		conn_close(c, rc, true);
		break;
	}
	tp_conn_deref(c);
}

/* ---- listeners ---- */

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct tp_listener *l = arg;
	struct tp *tp = l->tp;
	struct bufferevent *bev;
	struct tp_conn *c;
	struct sa peer;
	char pb[SA_STRLEN];

	sa_from_sockaddr(&peer, sa, (socklen_t)salen);
	/* Before any allocation or TLS work: an unlisted source costs nothing. */
	if (l->acl != NULL && !acl_allows(l->acl, &peer)) {
		l->stats.acl_drops++;
		evutil_closesocket(fd);
		return;
	}
	if (tp->nconns >= tp->conf.max_conns) {
		l->stats.conns_refused++;
		if (tp_rl_ok(&l->rl))
			log_warnx("sip_conn_refused listener=%s peer=%s reason=\"max_conns %u reached\"",
			    l->name, sa_format(&peer, pb, sizeof(pb)), tp->conf.max_conns);
		evutil_closesocket(fd);
		return;
	}
	if (l->proto == TP_TLS) {
		SSL *ssl;

		if (tls_ssl_new(l->tls, NULL, sa_format(&peer, pb, sizeof(pb)), &ssl) != 0) {
			evutil_closesocket(fd);
			return;
		}
		bev = bufferevent_openssl_socket_new(tp->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			SSL_free(ssl);
			evutil_closesocket(fd);
			return;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(tp->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			evutil_closesocket(fd);
			return;
		}
	}
	if (conn_new(tp, l, l->proto, false, &peer, bev, &c) != 0)
		return;
	l->stats.conns_accepted++;
	if (l->proto == TP_TCP)
		conn_opened(c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
accept_errcb(struct evconnlistener *evl, void *arg)
{
	struct tp_listener *l = arg;

	/* EMFILE and friends: keep listening, the next wakeup may succeed. */
	if (tp_rl_ok(&l->rl))
		log_warn("sip_accept_error listener=%s", l->name);
}

int
tp_stream_listen(struct tp_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	int fd, on = 1, err = 0;

	fd = socket(l->addr.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (l->addr.u.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, &l->addr.u.sa, l->addr.len) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &slen) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	sa_from_sockaddr(&l->addr, (struct sockaddr *)&ss, slen);
	l->evl = evconnlistener_new(l->tp->base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->evl == NULL) {
		close(fd);
		return ENOMEM;
	}
	evconnlistener_set_error_cb(l->evl, accept_errcb);
	return 0;
}

void
tp_stream_listen_close(struct tp_listener *l)
{
	if (l->evl)
		evconnlistener_free(l->evl);
	l->evl = NULL;
}

/* ---- sending ---- */

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
	if (evbuffer_get_length(out) + len > CONN_MAX_OUTPUT) {
		c->stats->tx_errors++;
		if (tp_rl_ok(conn_rl(c)))
			log_warnx("sip_conn_stalled transport=%s listener=%s peer=%s "
			    "reason=\"peer does not read; over 1 MiB queued\" note=\"connection closed\"",
			    tp_proto_name(c->proto), conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)));
		conn_close(c, ENOBUFS, true);
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

static struct tp_conn *
conn_find(struct tp *tp, const struct tp_target *t, struct tls *ctls, const char *host)
{
	struct tp_conn *c;

	LIST_FOREACH(c, &tp->conns, entry) {
		if (c->proto != t->proto || !sa_equal(&c->peer, &t->addr))
			continue;
		if (c->outbound) {
			if (c->proto == TP_TCP ||
			    (c->tls == ctls && strcmp(c->host, host) == 0))
				return c;
		} else if (c->proto == TP_TCP || t->host == NULL) {
			/* RFC 5923-style reuse of the connection the peer opened. */
			return c;
		}
	}
	return NULL;
}

/*
 * Outbound TLS does its own TCP connect so that a refused or unreachable peer
 * is reported with its real errno; the TLS bufferevent starts on a connected
 * socket.
 */
static void
conn_tls_connectcb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_conn *c = arg;
	struct tp *tp = c->tp;
	struct bufferevent *bev;
	socklen_t slen = sizeof(int);
	char pb[SA_STRLEN];
	int soerr = 0, err;
	SSL *ssl;

	event_free(c->connev);
	c->connev = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		soerr = errno;
	if (soerr != 0) {
		c->stats->connect_failures++;
		if (tp_rl_ok(conn_rl(c)))
			log_warnx("sip_connect_failed transport=tls listener=%s peer=%s error=\"%s\"",
			    conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)), strerror(soerr));
		conn_close(c, soerr, true);
		return;
	}
	err = tls_ssl_new(c->tls, c->host, sa_format(&c->peer, pb, sizeof(pb)), &ssl);
	if (err) {
		conn_close(c, err, true);
		return;
	}
	bev = bufferevent_openssl_socket_new(tp->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		conn_close(c, ENOMEM, true);
		return;
	}
	c->cfd = -1;   /* the bufferevent owns it now */
	c->bev = bev;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, conn_readcb, NULL, conn_eventcb, c);
	/* What the core queued while TCP was connecting goes out after the handshake. */
	evbuffer_add_buffer(bufferevent_get_output(bev), c->pending);
	evbuffer_free(c->pending);
	c->pending = NULL;
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static int
conn_connect(struct tp *tp, const struct tp_target *t, struct tls *ctls, const char *host,
    struct tp_conn **cp)
{
	struct bufferevent *bev = NULL;
	struct tp_conn *c;
	int fd, err;

	if (t->proto == TP_TCP) {
		bev = bufferevent_socket_new(tp->base, -1, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			return ENOMEM;
	}
	err = conn_new(tp, t->via, t->proto, true, &t->addr, bev, &c);
	if (err)
		return err;
	if (t->proto == TP_TCP) {
		if (bufferevent_socket_connect(bev, &t->addr.u.sa, (int)t->addr.len) != 0) {
			err = EVUTIL_SOCKET_ERROR();
			if (err == 0)
				err = ECONNREFUSED;
			goto out;
		}
		bufferevent_enable(bev, EV_READ | EV_WRITE);
		goto out;
	}
	c->tls = ctls;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->pending = evbuffer_new();
	if (c->pending == NULL) {
		err = ENOMEM;
		goto out;
	}
	fd = socket(t->addr.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	c->cfd = fd;
	if (connect(fd, &t->addr.u.sa, t->addr.len) != 0 && errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	c->connev = event_new(tp->base, fd, EV_WRITE, conn_tls_connectcb, c);
	if (c->connev == NULL || event_add(c->connev, NULL) != 0)
		err = ENOMEM;
 out:
	if (err) {
		c->stats->connect_failures++;
		/* The caller sees the error; closeh is for failures it cannot see. */
		conn_close(c, err, false);
	} else {
		*cp = c;
	}
	return err;
}

int
tp_stream_send(struct tp *tp, const struct tp_target *t, const void *buf, size_t len,
    struct tp_conn **connp)
{
	struct tls *ctls = NULL;
	struct tp_conn *c;
	char host[256] = "";
	int err;

	if (t->addr.u.sa.sa_family != AF_INET && t->addr.u.sa.sa_family != AF_INET6)
		return EINVAL;
	if (t->proto == TP_TLS) {
		ctls = t->tls ? t->tls : tp->client_tls;
		if (ctls == NULL || tls_role(ctls) != TLS_ROLE_CLIENT)
			return EINVAL;
		if (t->host != NULL && t->host[0] != '\0') {
			if (strlen(t->host) >= sizeof(host))
				return EINVAL;
			snprintf(host, sizeof(host), "%s", t->host);
		} else {
			sa_format_ip(&t->addr, host, sizeof(host));
		}
	}
	c = conn_find(tp, t, ctls, host);
	if (c == NULL) {
		if (tp->nconns >= tp->conf.max_conns) {
			(t->via ? &t->via->stats : &tp->orphan)->conns_refused++;
			return EMFILE;
		}
		err = conn_connect(tp, t, ctls, host, &c);
		if (err)
			return err;
	}
	err = tp_conn_send(c, buf, len);
	if (err == 0 && connp != NULL)
		*connp = tp_conn_ref(c);
	return err;
}

/* ---- accessors ---- */

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
