/* SPDX-License-Identifier: BSD-2-Clause */
/* Private structures shared by transport_udp.c and transport_stream.c; not for the core. */
#ifndef SBC_SIGPROXY_TRANSPORT_INT_H
#define SBC_SIGPROXY_TRANSPORT_INT_H

#include <sys/queue.h>

#include "log.h"
#include "transport.h"

struct event;
struct evconnlistener;
struct bufferevent;

struct tp_listener {
	LIST_ENTRY(tp_listener) entry;
	struct tp *tp;                 /* owner */
	char name[64];
	enum tp_proto proto;
	struct sa addr;                /* bound address, real port */
	const struct acl *acl;         /* borrowed, NULL = allow all */
	struct tls *tls;               /* borrowed, TLS listeners */
	int fd;                        /* UDP socket, -1 otherwise */
	struct event *ev;              /* UDP read event */
	struct evconnlistener *evl;    /* TCP/TLS */
	char *rxbuf;                   /* UDP: TP_UDP_RXBUF bytes, owned */
	struct tp_stats stats;
	struct log_ratelimit rl;       /* warnings caused by peers */
};

struct tp {
	struct event_base *base;       /* borrowed */
	struct tp_conf conf;
	struct tls *client_tls;        /* borrowed */
	LIST_HEAD(, tp_listener) listeners;
	LIST_HEAD(, tp_conn) conns;    /* open connections; each holds one reference */
	unsigned nconns;
	struct tp_stats orphan;        /* outbound connections without a via listener */
	struct log_ratelimit rl;
};

#define TP_UDP_RXBUF 65536

/* transport_udp.c */
int tp_udp_open(struct tp_listener *l);
void tp_udp_close(struct tp_listener *l);

/* transport_stream.c */
int tp_stream_listen(struct tp_listener *l);
void tp_stream_listen_close(struct tp_listener *l);
void tp_conns_free(struct tp *tp);
int tp_stream_send(struct tp *tp, const struct tp_target *t, const void *buf, size_t len,
    struct tp_conn **connp);

/* transport.c: tp_alloc/tp_free, the listener registry, shared helpers. */
bool tp_rl_ok(struct log_ratelimit *rl);

#endif
