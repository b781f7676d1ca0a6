/* SPDX-License-Identifier: BSD-2-Clause */
/* Asynchronous ng client: one UDP socket on libevent, random cookies, per-try timeout and retries. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "bencode.h"
#include "log.h"
#include "media.h"
#include "ng.h"
#include "rand.h"
#include "sock.h"
#include "timeutil.h"

struct ng_req {
	struct ng_req *next;
	struct ng_client *nc;
	char cookie[NG_MAX_COOKIE + 1];
	size_t cookie_len;
	struct sa dst;
	char *dgram;		/* the identical bytes for every try */
	size_t len;
	unsigned tries;
	uint64_t sent_us;	/* time_mono_us() of the first try: round trips count the retries */
	struct event *timer;
	ng_reply_h *h;
	void *arg;
};

struct ng_client {
	struct event_base *base;
	int fd4, fd6;
	struct event *ev4, *ev6;
	char instance[32];
	uint64_t counter;
	unsigned timeout_ms, retries;
	struct ng_req *reqs;
	struct ng_client_stats st;
	struct metrics_hist *rtt;	/* borrowed; NULL: not measured */
	char rbuf[NG_MAX_DATAGRAM + 1];
};

static void
req_unlink(struct ng_req *r)
{
	struct ng_req **pp;

	for (pp = &r->nc->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
}

static void
req_free(struct ng_req *r)
{
	if (r == NULL)
		return;
	req_unlink(r);
	if (r->timer)
		event_free(r->timer);
	free(r->dgram);
	free(r);
}

void
ng_req_cancel(struct ng_req *r)
{
	req_free(r);
}

static int
req_transmit(struct ng_req *r)
{
	struct ng_client *nc = r->nc;
	int fd = sa_family(&r->dst) == AF_INET6 ? nc->fd6 : nc->fd4;
	struct timeval tv = timeval_from_ms(nc->timeout_ms);

	if (fd < 0)
		return EAFNOSUPPORT;
	/* a failed send is treated like a lost datagram: the timer retries it */
	if (sendto(fd, r->dgram, r->len, 0, &r->dst.u.sa, r->dst.len) < 0)
		log_debug("ng_send_failed errno=%d", errno);
	evtimer_add(r->timer, &tv);
	return 0;
}

static void
req_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ng_req *r = arg;
	struct ng_client *nc = r->nc;
	char a[SA_STRLEN];
	ng_reply_h *h;
	void *harg;

	if (r->tries <= nc->retries) {
		r->tries++;
		nc->st.retransmits++;
		req_transmit(r);
		return;
	}
	nc->st.timeouts++;
	log_warnx("ng_timeout mediad=%s cookie=%s tries=%u", sa_format(&r->dst, a, sizeof(a)),
	    r->cookie, r->tries);
	h = r->h;
	harg = r->arg;
	req_free(r);
	h(NULL, harg);
}

size_t
ng_client_cookie(struct ng_client *nc, char *buf, size_t size)
{
	int n;

	/* 64 random bits keep instances with equal ids and counters apart (user-pain: bridged calls) */
	n = snprintf(buf, size, "%016" PRIx64 "_%s_%" PRIu64, rand_u64(), nc->instance,
	    nc->counter);
	return n < 0 ? 0 : (size_t)n;
}

int
ng_client_send(struct ng_client *nc, const struct sa *dst, const struct bencode_item *dict,
    ng_reply_h *h, void *arg, struct ng_req **reqp)
{
	struct ng_req *r;
	size_t need = 0;
	int err;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->nc = nc;
	r->dst = *dst;
	r->h = h;
	r->arg = arg;
	r->cookie_len = ng_client_cookie(nc, r->cookie, sizeof(r->cookie));
	nc->counter++;
	err = ng_encode(r->cookie, r->cookie_len, dict, NULL, 0, &need);
	if (err != ENOSPC && err != 0)
		goto out;
	r->dgram = malloc(need + 1);
	if (r->dgram == NULL) {
		err = ENOMEM;
		goto out;
	}
	err = ng_encode(r->cookie, r->cookie_len, dict, r->dgram, need + 1, &r->len);
	if (err)
		goto out;
	r->timer = evtimer_new(nc->base, req_timeout, r);
	if (r->timer == NULL) {
		err = ENOMEM;
		goto out;
	}
	r->tries = 1;
	r->sent_us = time_mono_us();
	r->next = nc->reqs;
	nc->reqs = r;
	err = req_transmit(r);
	if (err) {
		req_unlink(r);
		goto out;
	}
	nc->st.sent++;
 out:
	if (err) {
		if (r->timer)
			event_free(r->timer);
		free(r->dgram);
		free(r);
	} else if (reqp != NULL) {
		*reqp = r;
	}
	return err;
}

static void
client_read(evutil_socket_t fd, short what, void *arg)
{
	struct ng_client *nc = arg;
	struct bencode_arena a;
	struct bencode_error be;
	struct ng_msg m;
	struct ng_req *r;
	struct sa from;
	unsigned n;

	for (n = 0; n < 64; n++) {
		ssize_t len;
		ng_reply_h *h;
		void *harg;

		from.len = sizeof(from.u.ss);
		len = recvfrom(fd, nc->rbuf, NG_MAX_DATAGRAM, 0, &from.u.sa, &from.len);
		if (len < 0)
			return;
		bencode_arena_init(&a);
		if (ng_reply_parse(&a, nc->rbuf, (size_t)len, &m, &be)) {
			nc->st.stray++;
			bencode_arena_free(&a);
			continue;
		}
		for (r = nc->reqs; r != NULL; r = r->next) {
			if (r->cookie_len == m.cookie_len &&
			    memcmp(r->cookie, m.cookie, m.cookie_len) == 0 &&
			    sa_equal(&r->dst, &from))
				break;
		}
		if (r == NULL) {
			/* a late reply to a retransmission already answered, or spoofed */
			nc->st.stray++;
			bencode_arena_free(&a);
			continue;
		}
		nc->st.replies++;
		metrics_hist_observe(nc->rtt, time_mono_us() - r->sent_us);
		h = r->h;
		harg = r->arg;
		req_free(r);
		h(m.dict, harg);
		bencode_arena_free(&a);
	}
}

/* An unbound-port UDP socket of family (v6-only for IPv6). */
static int
sock_open(int family, int *fdp)
{
	struct sa any;

	memset(&any, 0, sizeof(any));
	if (family == AF_INET6) {
		any.u.in6.sin6_family = AF_INET6;
		any.len = sizeof(any.u.in6);
	} else {
		any.u.in.sin_family = AF_INET;
		any.len = sizeof(any.u.in);
	}
	return sock_udp_bind(&any, 0, fdp);
}

void
ng_client_set_rtt(struct ng_client *nc, struct metrics_hist *h)
{
	nc->rtt = h;
}

int
ng_client_alloc(struct ng_client **ncp, struct event_base *base, const char *instance,
    unsigned timeout_ms, unsigned retries)
{
	struct ng_client *nc;
	int err;

	nc = calloc(1, sizeof(*nc));
	if (nc == NULL)
		return ENOMEM;
	nc->base = base;
	nc->fd4 = nc->fd6 = -1;
	nc->timeout_ms = timeout_ms ? timeout_ms : 300;
	nc->retries = retries;
	snprintf(nc->instance, sizeof(nc->instance), "%s", instance ? instance : "sp");
	/* the counter starts at a random point so a restarted instance never repeats cookies */
	nc->counter = rand_u64() >> 32;
	err = sock_open(AF_INET, &nc->fd4);
	if (err)
		goto out;
	if (sock_open(AF_INET6, &nc->fd6))
		nc->fd6 = -1;	/* no IPv6 on this host: IPv4 mediads only */
	nc->ev4 = event_new(base, nc->fd4, EV_READ | EV_PERSIST, client_read, nc);
	if (nc->ev4 == NULL || event_add(nc->ev4, NULL)) {
		err = ENOMEM;
		goto out;
	}
	if (nc->fd6 >= 0) {
		nc->ev6 = event_new(base, nc->fd6, EV_READ | EV_PERSIST, client_read, nc);
		if (nc->ev6 == NULL || event_add(nc->ev6, NULL)) {
			err = ENOMEM;
			goto out;
		}
	}
 out:
	if (err)
		ng_client_free(nc);
	else
		*ncp = nc;
	return err;
}

void
ng_client_free(struct ng_client *nc)
{
	if (nc == NULL)
		return;
	/*
	 * "h is called exactly once unless cancelled" holds at shutdown too: what is
	 * still pending (pings, deletes: their owners do not wait) ends as a timeout,
	 * so the callbacks free their contexts.
	 */
	while (nc->reqs != NULL) {
		struct ng_req *r = nc->reqs;
		ng_reply_h *h = r->h;
		void *arg = r->arg;

		req_free(r);
		if (h != NULL)
			h(NULL, arg);
	}
	if (nc->ev4)
		event_free(nc->ev4);
	if (nc->ev6)
		event_free(nc->ev6);
	if (nc->fd4 >= 0)
		close(nc->fd4);
	if (nc->fd6 >= 0)
		close(nc->fd6);
	free(nc);
}

void
ng_client_stats(const struct ng_client *nc, struct ng_client_stats *out)
{
	*out = nc->st;
}
