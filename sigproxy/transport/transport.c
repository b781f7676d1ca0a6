/* SPDX-License-Identifier: BSD-2-Clause */
/* The transport set: allocation, listener registry, statistics and dispatch to UDP or streams. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "transport_int.h"

/* Closed connections after which a quiet second gives their memory back to the system. */
#define TRIM_AFTER_CLOSED 64

/* The series the caller did not give count into dummies of our own. */
static void
metrics_fill(struct tp *tp, const struct tp_metrics *given)
{
	struct metric **slots[TP_DROP_NREASONS + 5];
	unsigned i, n = 0;

	if (given != NULL)
		tp->m = *given;
	for (i = 0; i < TP_DROP_NREASONS; i++)
		slots[n++] = &tp->m.drops[i];
	slots[n++] = &tp->m.bans;
	slots[n++] = &tp->m.banned;
	slots[n++] = &tp->m.sources;
	slots[n++] = &tp->m.conns_in;
	slots[n++] = &tp->m.conns_out;
	for (i = 0; i < n; i++)
		if (*slots[i] == NULL)
			*slots[i] = &tp->dummy[i];
}

/*
 * Once a second: the limits' gauges, and after a burst of closed connections (a flood
 * that ended), the freed memory back to the system: glibc keeps freed chunks in its
 * arenas, and thousands of TLS connections leave megabytes there otherwise.
 */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tp *tp = arg;

	tp_limits_sweep(tp->lim, time_mono_ms());
	if (tp->closed_since_trim >= TRIM_AFTER_CLOSED &&
	    tp->closed_since_trim == tp->closed_last_tick) {
		malloc_trim(0);
		tp->closed_since_trim = 0;
	}
	tp->closed_last_tick = tp->closed_since_trim;
}

int
tp_alloc(struct tp **tpp, struct event_base *base, const struct tp_conf *conf)
{
	struct timeval sec = { 1, 0 };
	struct tp *tp;
	int err;

	if (tpp == NULL || base == NULL || conf == NULL || conf->recvh == NULL)
		return EINVAL;
	tp = calloc(1, sizeof(*tp));
	if (tp == NULL)
		return ENOMEM;
	tp->base = base;
	tp->conf = *conf;
	if (tp->conf.idle_timeout_ms == 0)
		tp->conf.idle_timeout_ms = 300000;
	if (tp->conf.connect_timeout_ms == 0)
		tp->conf.connect_timeout_ms = 5000;
	if (tp->conf.handshake_timeout_ms == 0)
		tp->conf.handshake_timeout_ms = tp->conf.connect_timeout_ms;
	if (tp->conf.header_timeout_ms == 0)
		tp->conf.header_timeout_ms = 10000;
	if (tp->conf.max_conns_in == 0)
		tp->conf.max_conns_in = 4096;
	if (tp->conf.max_conns_out == 0)
		tp->conf.max_conns_out = 1024;
	LIST_INIT(&tp->listeners);
	LIST_INIT(&tp->conns);
	tp->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 20);
	metrics_fill(tp, conf->metrics);
	err = tp_limits_alloc(&tp->lim, &tp->conf.limits, tp->conf.max_conns_in, &tp->m);
	if (err)
		goto out;
	tp->tick = event_new(base, -1, EV_PERSIST, tick_cb, tp);
	if (tp->tick == NULL || event_add(tp->tick, &sec) != 0)
		err = ENOMEM;
 out:
	if (err)
		tp_free(tp);
	else
		*tpp = tp;
	return err;
}

void
tp_free(struct tp *tp)
{
	struct tp_listener *l;

	if (tp == NULL)
		return;
	tp_conns_free(tp);
	while ((l = LIST_FIRST(&tp->listeners)) != NULL) {
		LIST_REMOVE(l, entry);
		if (l->proto == TP_UDP)
			tp_udp_close(l);
		else
			tp_stream_listen_close(l);
		free(l->rxbuf);
		free(l);
	}
	if (tp->tick)
		event_free(tp->tick);
	tp_limits_free(tp->lim);
	free(tp);
}

void
tp_set_client_tls(struct tp *tp, struct tls *client)
{
	tp->client_tls = client;
}

int
tp_listen(struct tp *tp, const struct tp_listener_conf *conf, struct tp_listener **lp)
{
	struct tp_listener *l;
	int err;

	if (tp == NULL || conf == NULL || conf->name == NULL || conf->name[0] == '\0' ||
	    strlen(conf->name) >= sizeof(l->name))
		return EINVAL;
	if (conf->proto != TP_UDP && conf->proto != TP_TCP && conf->proto != TP_TLS)
		return EINVAL;
	if ((conf->proto == TP_TLS) != (conf->tls != NULL))
		return EINVAL;
	if (conf->addr.u.sa.sa_family != AF_INET && conf->addr.u.sa.sa_family != AF_INET6)
		return EINVAL;
	if (tp_listener_find(tp, conf->name) != NULL)
		return EEXIST;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ENOMEM;
	l->tp = tp;
	snprintf(l->name, sizeof(l->name), "%s", conf->name);
	l->proto = conf->proto;
	l->addr = conf->addr;
	l->acl = conf->acl;
	l->tls = conf->tls;
	l->fd = -1;
	l->limited = conf->limited;
	l->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 20);
	err = l->proto == TP_UDP ? tp_udp_open(l) : tp_stream_listen(l);
	if (err) {
		free(l->rxbuf);
		free(l);
		return err;
	}
	LIST_INSERT_HEAD(&tp->listeners, l, entry);
	*lp = l;
	return 0;
}

struct tp_listener *
tp_listener_find(const struct tp *tp, const char *name)
{
	struct tp_listener *l;

	LIST_FOREACH(l, &tp->listeners, entry)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

const char *
tp_listener_name(const struct tp_listener *l)
{
	return l->name;
}

enum tp_proto
tp_listener_proto(const struct tp_listener *l)
{
	return l->proto;
}

const struct sa *
tp_listener_addr(const struct tp_listener *l)
{
	return &l->addr;
}

void
tp_listener_stats(const struct tp_listener *l, struct tp_stats *out)
{
	*out = l->stats;
}

static void
stats_add(struct tp_stats *a, const struct tp_stats *b)
{
	const uint64_t *s = (const uint64_t *)b;
	uint64_t *d = (uint64_t *)a;
	size_t i;

	/* struct tp_stats is a plain array of uint64_t counters. */
	for (i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

void
tp_stats_total(const struct tp *tp, struct tp_stats *out)
{
	const struct tp_listener *l;
	struct tp_stats sum;

	sum = tp->orphan;
	LIST_FOREACH(l, &tp->listeners, entry)
		stats_add(&sum, &l->stats);
	*out = sum;
}

int
tp_send(struct tp *tp, const struct tp_target *t, const void *buf, size_t len,
    struct tp_conn **connp)
{
	int err;

	if (tp == NULL || t == NULL || buf == NULL || len == 0)
		return EINVAL;
	if (t->proto == TP_UDP) {
		if (t->via == NULL || t->via->proto != TP_UDP)
			return EINVAL;
		err = tp_send_udp(t->via, &t->addr, buf, len);
		if (err == 0 && connp != NULL)
			*connp = NULL;
		return err;
	}
	if (t->proto != TP_TCP && t->proto != TP_TLS)
		return EINVAL;
	return tp_stream_send(tp, t, buf, len, connp);
}
