/* SPDX-License-Identifier: BSD-2-Clause */
/* Outbound TCP and TLS: reuse of an open connection, or connect (own TCP connect for TLS), then send. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "transport_int.h"

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
		} else if (c->state == CONN_OPEN && (c->proto == TP_TCP || t->host == NULL)) {
			/* RFC 5923-style reuse of the connection the peer opened (once its
			 * handshake is done: before, it has nothing to write to). */
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
	struct bufferevent *bev;
	socklen_t slen = sizeof(int);
	char pb[SA_STRLEN];
	int soerr = 0, err;

	event_free(c->connev);
	c->connev = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		soerr = errno;
	if (soerr != 0) {
		c->stats->connect_failures++;
		if (tp_rl_ok(tp_conn_rl(c)))
			log_warnx("sip_connect_failed transport=tls listener=%s peer=%s error=\"%s\"",
			    tp_conn_lname(c), sa_format(&c->peer, pb, sizeof(pb)), strerror(soerr));
		tp_conn_drop(c, soerr, true);
		return;
	}
	err = tp_conn_tls_start(c, c->tls, c->host, false);
	if (err) {
		tp_conn_drop(c, err, true);
		return;
	}
	bev = c->bev;
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
	err = tp_conn_new(tp, t->via, t->proto, true, &t->addr, bev, &c);
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
		tp_conn_drop(c, err, false);
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
		/* Outbound has a budget of its own: no inbound flood can use it up. */
		if (tp->nconns_out >= tp->conf.max_conns_out) {
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
