/* SPDX-License-Identifier: BSD-2-Clause */
/* TCP and TLS listeners: accept with the ACL and the connection limit checked before any TLS work. */
#include <errno.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>

#include "transport_int.h"

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
	if (tp_conn_new(tp, l, l->proto, false, &peer, bev, &c) != 0)
		return;
	l->stats.conns_accepted++;
	if (l->proto == TP_TCP)
		tp_conn_opened(c);
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
