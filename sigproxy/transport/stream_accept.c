/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP and TLS listeners: accept with the ACL and the limits checked before any TLS work. */
#include <errno.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "transport_int.h"

/*
 * Connections the kernel completes before we accept them. A flood of connects must not
 * overflow it: the kernel then drops handshakes, and legitimate clients wait out SYN
 * retransmissions (1 s, 3 s, ...) before we even see them to judge.
 */
#define LISTEN_BACKLOG 1024

/*
 * The client has sent its first bytes: only now does the connection get its SSL and
 * bufferevent (about 40 KB), so connections that never send a ClientHello cost a
 * socket and a small struct until the handshake deadline closes them.
 */
static void
tls_hello_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_conn *c = arg;
	int err;

	event_free(c->connev);
	c->connev = NULL;
	err = tp_conn_tls_start(c, c->lsnr->tls, NULL, true);
	if (err) {
		tp_conn_drop(c, err, true);
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
refuse(struct tp_listener *l, evutil_socket_t fd, const struct sa *peer, enum tp_drop why)
{
	struct tp *tp = l->tp;
	char pb[SA_STRLEN];

	l->stats.conns_refused++;
	tp_drop_count(tp, why);
	/* A source's own limits are logged once, when it is banned; the global one here. */
	if (why == TP_DROP_MAX_CONNS && tp_rl_ok(&l->rl))
		log_warnx("sip_conn_refused listener=%s peer=%s reason=\"max_conns_in %u reached\"",
		    l->name, sa_format(peer, pb, sizeof(pb)), tp->conf.max_conns_in);
	evutil_closesocket(fd);
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct tp_listener *l = arg;
	struct tp *tp = l->tp;
	struct bufferevent *bev = NULL;
	struct tp_conn *c;
	struct sa peer;
	enum tp_drop why;
	bool limited, counted = false;

	sa_from_sockaddr(&peer, sa, (socklen_t)salen);
	/* Before any allocation or TLS work: an unlisted source costs nothing. */
	if (l->acl != NULL && !acl_allows(l->acl, &peer)) {
		l->stats.acl_drops++;
		evutil_closesocket(fd);
		return;
	}
	limited = l->limited && tp_limits_applies(tp->lim, &peer);
	if (limited && !tp_limits_accept_ok(tp->lim, &peer, l->proto == TP_TLS, time_mono_ms(),
	    &counted, &why)) {
		refuse(l, fd, &peer, why);
		return;
	}
	if (tp->nconns_in >= tp->conf.max_conns_in) {
		if (counted)
			tp_limits_conn_gone(tp->lim, &peer);
		refuse(l, fd, &peer, TP_DROP_MAX_CONNS);
		return;
	}
	if (l->proto == TP_TCP) {
		bev = bufferevent_socket_new(tp->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			if (counted)
				tp_limits_conn_gone(tp->lim, &peer);
			evutil_closesocket(fd);
			return;
		}
	}
	if (tp_conn_new(tp, l, l->proto, false, &peer, bev, &c) != 0) {
		if (counted)
			tp_limits_conn_gone(tp->lim, &peer);
		if (bev == NULL)
			evutil_closesocket(fd);
		return;
	}
	c->limited = limited;
	c->counted = counted;
	l->stats.conns_accepted++;
	if (l->proto == TP_TLS) {
		c->cfd = fd;
		c->connev = event_new(tp->base, fd, EV_READ, tls_hello_cb, c);
		if (c->connev == NULL || event_add(c->connev, NULL) != 0)
			tp_conn_drop(c, ENOMEM, false);
		return;
	}
	tp_conn_opened(c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* EMFILE and friends: stop accepting for a moment, else the listener spins on the backlog. */
static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_listener *l = arg;

	if (l->evl)
		evconnlistener_enable(l->evl);
}

static void
accept_errcb(struct evconnlistener *evl, void *arg)
{
	struct tp_listener *l = arg;
	struct timeval pause = { 0, 100000 };

	if (tp_rl_ok(&l->rl))
		log_warn("sip_accept_error listener=%s note=\"accepting again in 100 ms\"", l->name);
	if (l->resume == NULL)
		l->resume = evtimer_new(l->tp->base, accept_resume_cb, l);
	if (l->resume != NULL && evtimer_add(l->resume, &pause) == 0)
		evconnlistener_disable(evl);
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
	    bind(fd, &l->addr.u.sa, l->addr.len) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
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
	if (l->resume)
		event_free(l->resume);
	l->resume = NULL;
}
