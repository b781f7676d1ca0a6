/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl's ng client: every query of a listing goes out at once (one datagram each, cookies
 * of our own), answers are matched by cookie, unanswered ones are sent again after the
 * timeout (twice), as sigproxy's client does. Replies are mediad's compact per-leg summary.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bencode.h"
#include "rand.h"
#include "sbcctl.h"

#define CTL_NG_TRIES 3

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct pending {
	char cookie[40];
	size_t cookie_len;
	char *dgram;		/* encoded request, for retransmission */
	size_t len;
	bool done;
};

/* "<cookie> <dict>" of a query for q into p. */
static int
query_encode(const struct ctl_ng_query *q, struct pending *p, uint64_t nonce, size_t i)
{
	struct bencode_arena a;
	struct bencode_item *d, *flags;
	char buf[NG_MAX_DATAGRAM];
	int err = ENOMEM;

	p->cookie_len = (size_t)snprintf(p->cookie, sizeof(p->cookie), "sbcctl_%016llx_%zu",
	    (unsigned long long)nonce, i);
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	flags = bencode_list(&a);
	if (d == NULL || flags == NULL || bencode_dict_add_cstr(&a, d, "command", "query") ||
	    bencode_dict_add_cstr(&a, d, "call-id", q->call_id) ||
	    bencode_list_add(flags, bencode_cstr(&a, "leg-summary")) ||
	    bencode_dict_add(&a, d, "flags", flags))
		goto out;
	if ((err = ng_encode(p->cookie, p->cookie_len, d, buf, sizeof(buf), &p->len)))
		goto out;
	p->dgram = malloc(p->len);
	if (p->dgram == NULL) {
		err = ENOMEM;
		goto out;
	}
	memcpy(p->dgram, buf, p->len);
 out:
	bencode_arena_free(&a);
	return err;
}

/* A reply datagram: which query it answers, and what it says. */
static void
reply_take(struct ctl_ng_query *q, struct pending *p, size_t n, const char *buf, size_t len)
{
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error be;
	const char *res, *why;
	size_t i, rl = 0, wl = 0;

	bencode_arena_init(&a);
	if (ng_reply_parse(&a, buf, len, &m, &be) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!p[i].done && m.cookie_len == p[i].cookie_len &&
		    memcmp(m.cookie, p[i].cookie, m.cookie_len) == 0)
			break;
	if (i == n)
		goto out;	/* a late answer to a retransmission */
	p[i].done = true;
	if (ng_get_str(m.dict, "result", &res, &rl) || rl != 2 || memcmp(res, "ok", 2) != 0) {
		if (ng_get_str(m.dict, "error-reason", &why, &wl) != 0)
			why = "error", wl = 5;
		snprintf(q[i].error, sizeof(q[i].error), "mediad: %.*s", (int)wl, why);
		goto out;
	}
	if (ng_legs_read(m.dict, q[i].caller_tag, q[i].legs) != 0) {
		snprintf(q[i].error, sizeof(q[i].error), "mediad sent no statistics");
		goto out;
	}
	q[i].ok = true;
 out:
	bencode_arena_free(&a);
}

static int
sock_for(int fds[2], int family)
{
	int *fd = &fds[family == AF_INET6];

	if (*fd < 0)
		*fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	return *fd;
}

void
ctl_ng_query_all(struct ctl *x, struct ctl_ng_query *q, size_t n)
{
	struct pending *p;
	int fds[2] = { -1, -1 };
	uint64_t nonce = rand_u64(), deadline;
	size_t i, left;
	unsigned tries;
	char buf[NG_MAX_DATAGRAM];

	if (n == 0)
		return;
	p = calloc(n, sizeof(*p));
	if (p == NULL) {
		for (i = 0; i < n; i++)
			snprintf(q[i].error, sizeof(q[i].error), "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		q[i].ok = false;
		snprintf(q[i].error, sizeof(q[i].error), "mediad did not answer");
		if (q[i].dst == NULL || query_encode(&q[i], &p[i], nonce, i) != 0) {
			p[i].done = true;
			if (q[i].dst == NULL)
				snprintf(q[i].error, sizeof(q[i].error), "no mediad address");
		}
	}
	for (tries = 0; tries < CTL_NG_TRIES; tries++) {
		for (i = 0, left = 0; i < n; i++) {
			int fd;

			if (p[i].done)
				continue;
			fd = sock_for(fds, sa_family(q[i].dst));
			if (fd >= 0 && sendto(fd, p[i].dgram, p[i].len, 0, &q[i].dst->u.sa,
			    q[i].dst->len) == (ssize_t)p[i].len)
				left++;
		}
		deadline = now_us() + (uint64_t)x->ng_timeout_ms * 1000u;
		while (left > 0 && now_us() < deadline) {
			struct pollfd pf[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
			int k, wait = (int)((deadline - now_us()) / 1000u) + 1;

			if (poll(pf, 2, wait) <= 0)
				continue;
			for (k = 0; k < 2; k++) {
				ssize_t got;

				if (!(pf[k].revents & POLLIN))
					continue;
				while ((got = recv(pf[k].fd, buf, sizeof(buf), 0)) > 0) {
					reply_take(q, p, n, buf, (size_t)got);
					left = 0;
					for (i = 0; i < n; i++)
						left += !p[i].done;
				}
			}
		}
		if (left == 0)
			break;
	}
	for (i = 0; i < n; i++)
		free(p[i].dgram);
	free(p);
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

long
ctl_ng_ping(struct ctl *x, const struct sa *dst)
{
	static const char ping[] = "sbcctl_ping d7:command4:pinge";
	uint64_t t0 = now_us(), deadline = t0 + (uint64_t)x->ng_timeout_ms * 1000u;
	char buf[512];
	long rtt = -1;
	int fd;

	fd = socket(sa_family(dst), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, ping, sizeof(ping) - 1, 0, &dst->u.sa, dst->len) < 0)
		goto out;
	while (now_us() < deadline) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t got;

		if (poll(&pf, 1, (int)((deadline - now_us()) / 1000u) + 1) <= 0)
			continue;
		got = recv(fd, buf, sizeof(buf) - 1, 0);
		if (got <= 0)
			continue;
		buf[got] = '\0';
		if (strncmp(buf, "sbcctl_ping ", 12) == 0 && strstr(buf, "pong") != NULL) {
			rtt = (long)(now_us() - t0);
			break;
		}
	}
 out:
	if (fd >= 0)
		close(fd);
	return rtt;
}
