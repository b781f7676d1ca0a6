/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP listeners: one socket each, drained per wakeup with a cap, ACL checked before anything else. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "sock.h"
#include "transport_int.h"

/* Datagrams handled per wakeup, so one busy socket cannot starve the loop. */
#define UDP_BURST 64

static void
udp_readcb(evutil_socket_t fd, short what, void *arg)
{
	struct tp_listener *l = arg;
	struct tp *tp = l->tp;
	uint64_t now = time_mono_ms();
	enum tp_drop why;
	int i;

	for (i = 0; i < UDP_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		struct sa src;
		ssize_t n;
		size_t skip;

		n = recvfrom(fd, l->rxbuf, TP_UDP_RXBUF, MSG_TRUNC, (struct sockaddr *)&ss, &slen);
		if (n < 0) {
			/* ICMP errors from earlier sends surface here; they are not ours to log. */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNREFUSED && tp_rl_ok(&l->rl))
				log_warn("sip_udp_recv_error listener=%s", l->name);
			return;
		}
		sa_from_sockaddr(&src, (struct sockaddr *)&ss, slen);
		if (l->acl != NULL && !acl_allows(l->acl, &src)) {
			l->stats.acl_drops++;
			continue;
		}
		if ((size_t)n > TP_UDP_RXBUF) {
			l->stats.bad_msgs++;
			continue;
		}
		for (skip = 0; skip < (size_t)n; skip++)
			if (l->rxbuf[skip] != '\r' && l->rxbuf[skip] != '\n')
				break;
		if (n == 0) {
			l->stats.bad_msgs++;
			continue;
		}
		/* Before parsing: a banned source, or a request over its rate, costs no more. */
		if (l->limited && !tp_limits_msg_ok(tp->lim, &src,
		    skip < (size_t)n && tp_msg_is_request(l->rxbuf + skip, (size_t)n - skip), now,
		    &why)) {
			tp_drop_count(tp, why);
			continue;
		}
		if (skip == (size_t)n) {
			l->stats.keepalives++;
			continue;
		}
		l->stats.rx_msgs++;
		l->stats.rx_bytes += (uint64_t)n;
		tp->conf.recvh(l, NULL, &src, l->rxbuf + skip, (size_t)n - skip, tp->conf.arg);
	}
}

int
tp_udp_open(struct tp_listener *l)
{
	int fd, err;

	l->rxbuf = malloc(TP_UDP_RXBUF);
	if (l->rxbuf == NULL)
		return ENOMEM;
	/* v6-only: v4 and v6 listeners on one port must not collide. */
	err = sock_udp_bind(&l->addr, 0, &fd);
	if (err)
		return err;
	err = sock_local_addr(fd, &l->addr);
	if (err)
		goto out;
	l->ev = event_new(l->tp->base, fd, EV_READ | EV_PERSIST, udp_readcb, l);
	if (l->ev == NULL || event_add(l->ev, NULL) < 0) {
		err = ENOMEM;
		goto out;
	}
	l->fd = fd;
 out:
	if (err) {
		if (l->ev) {
			event_free(l->ev);
			l->ev = NULL;
		}
		close(fd);
	}
	return err;
}

void
tp_udp_close(struct tp_listener *l)
{
	if (l->ev)
		event_free(l->ev);
	l->ev = NULL;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int
tp_send_udp(struct tp_listener *l, const struct sa *dst, const void *buf, size_t len)
{
	ssize_t n;

	if (l == NULL || dst == NULL || buf == NULL || len == 0 || l->proto != TP_UDP || l->fd < 0)
		return EINVAL;
	n = sendto(l->fd, buf, len, 0, &dst->u.sa, dst->len);
	if (n < 0) {
		int err = errno;

		l->stats.tx_errors++;
		if (tp_rl_ok(&l->rl))
			log_warn("sip_udp_send_error listener=%s len=%zu", l->name, len);
		return err;
	}
	l->stats.tx_msgs++;
	return 0;
}
