/* SPDX-License-Identifier: BSD-2-Clause */
/* The ng control socket: allow list, datagram decoding, cookie cache, dispatch, replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "bencode.h"
#include "cookie_cache.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng.h"
#include "ng_server.h"
#include "sock.h"
#include "timeutil.h"

#define NG_BURST 64            /* datagrams per wakeup before yielding to the loop */
#define NG_CACHE_ENTRIES 16384
#define NG_RCVBUF (1 << 20)    /* bytes: bursts of commands wait here, not in drops */

struct ng_server {
	struct mediad *md;
	int fd;
	struct sa local;
	struct event *ev;
	struct event *tick;            /* once a second: the count of a flood that stopped */
	struct ng_cookie_cache *cache;
	struct bencode_arena arena;    /* one per message, reset after each */
	char rx[NG_MAX_DATAGRAM + 1];
	char tx[NG_MAX_DATAGRAM];
	struct log_ratelimit rl_acl, rl_bad;
};

/* The cache key of a source: family, port and address bytes, zero padded. */
struct src_key {
	uint16_t family;
	uint16_t port;
	unsigned char addr[16];
};

static void
src_key_make(struct src_key *k, const struct sa *a)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint16_t)sa_family(a);
	k->port = sa_port(a);
	if (k->family == AF_INET)
		memcpy(k->addr, &a->u.in.sin_addr, 4);
	else if (k->family == AF_INET6)
		memcpy(k->addr, &a->u.in6.sin6_addr, 16);
}

static bool
src_allowed(const struct mediad_config *cfg, const struct sa *src)
{
	unsigned i;

	for (i = 0; i < cfg->nallow; i++)
		if (sa_net_contains(&cfg->allow[i], src))
			return true;
	return false;
}

ng_handler_h *
ng_handler_for(enum ng_op op)
{
	switch (op) {
	case NG_OP_OFFER: return ng_handle_offer;
	case NG_OP_ANSWER: return ng_handle_answer;
	case NG_OP_DELETE: return ng_handle_delete;
	case NG_OP_QUERY: return ng_handle_query;
	case NG_OP_LIST: return ng_handle_list;
	case NG_OP_STATISTICS: return ng_handle_statistics;
	default: return NULL;
	}
}

static void
send_reply(struct ng_server *s, const struct sa *dst, const char *buf, size_t len)
{
	if (sendto(s->fd, buf, len, 0, &dst->u.sa, dst->len) < 0) {
		char a[SA_STRLEN];

		log_warn("ng_send_failed dst=%s len=%zu", sa_format(dst, a, sizeof(a)), len);
	}
}

/* Runs one decoded request and encodes its reply into s->tx. Returns the length. */
static size_t
ng_run(struct ng_server *s, const struct ng_msg *m, const char **reasonp)
{
	struct mediad *md = s->md;
	struct bencode_item *reply;
	const char *reason = NULL;
	ng_handler_h *h;
	size_t len = 0;
	int err;

	reply = bencode_dict(&s->arena);
	if (reply == NULL) {
		reason = NG_ERR_NO_MEMORY;
		goto error;
	}
	if (m->op == NG_OP_PING) {
		if (bencode_dict_add_cstr(&s->arena, reply, "result", "pong")) {
			reason = NG_ERR_NO_MEMORY;
			goto error;
		}
		goto encode;
	}
	if (m->op == NG_OP_UNKNOWN) {
		reason = m->command == NULL ? NG_ERR_NO_COMMAND : NG_ERR_UNKNOWN_CMD;
		goto error;
	}
	h = ng_handler_for(m->op);
	if (h == NULL) {
		reason = NG_ERR_UNKNOWN_CMD;
		goto error;
	}
	reason = h(md, m, &s->arena, reply);
	if (reason == mediad_load_limit) {
		reply = bencode_dict(&s->arena);
		if (reply == NULL ||
		    bencode_dict_add_cstr(&s->arena, reply, "result", "load limit") ||
		    bencode_dict_add_cstr(&s->arena, reply, "message", NG_ERR_SESSION_LIMIT)) {
			reason = NG_ERR_NO_MEMORY;
			goto error;
		}
		reason = NULL;
		goto encode;
	}
	if (reason != NULL)
		goto error;
	if (bencode_dict_add_cstr(&s->arena, reply, "result", "ok")) {
		reason = NG_ERR_NO_MEMORY;
		goto error;
	}
 encode:
	err = ng_encode(m->cookie, m->cookie_len, reply, s->tx, sizeof(s->tx), &len);
	if (err == 0) {
		*reasonp = NULL;
		return len;
	}
	reason = NG_ERR_REPLY_TOO_LARGE;
 error:
	metric_inc(md->ctr.errors);
	*reasonp = reason;
	if (ng_encode_error(m->cookie, m->cookie_len, reason, s->tx, sizeof(s->tx), &len))
		return 0;
	return len;
}

static void
ng_datagram(struct ng_server *s, const struct sa *src, size_t n)
{
	struct mediad *md = s->md;
	struct bencode_error berr;
	struct ng_msg m;
	struct src_key key;
	const char *cached, *reason = NULL;
	size_t cached_len, len;
	uint64_t t0 = time_mono_us();
	enum ng_cookie_result cr;
	char a[SA_STRLEN];
	int err;

	err = ng_msg_parse(&s->arena, s->rx, n, &m, &berr);
	if (err == ENOMSG) {
		metric_inc(md->ctr.dropped_malformed);
		log_limited(&s->rl_bad, time_mono_ms(), LOG_LEVEL_WARN,
		    "ng_drop reason=no-cookie src=%s len=%zu", sa_format(src, a, sizeof(a)), n);
		return;
	}
	if (err) {
		const char *why = err == EPROTONOSUPPORT ? NG_ERR_JSON : NG_ERR_DECODE;

		metric_inc(md->ctr.errors);
		log_limited(&s->rl_bad, time_mono_ms(), LOG_LEVEL_WARN,
		    "ng_bad_request src=%s len=%zu error=%s at=%zu detail=%s",
		    sa_format(src, a, sizeof(a)), n, LOG_Q(why), err == EPROTONOSUPPORT ? 0 :
		    berr.offset, LOG_Q(err == EPROTONOSUPPORT ? "json" :
		    (berr.what != NULL ? berr.what : "?")));
		/* The cookie is the bytes before the first space: ng_msg_parse found one. */
		{
			const char *sp = memchr(s->rx, ' ', n);

			if (sp != NULL && ng_encode_error(s->rx, (size_t)(sp - s->rx), why, s->tx,
			    sizeof(s->tx), &len) == 0)
				send_reply(s, src, s->tx, len);
		}
		return;
	}

	src_key_make(&key, src);
	cr = ng_cookie_cache_lookup(s->cache, &key, sizeof(key), m.cookie, m.cookie_len,
	    m.command != NULL ? m.command : "", m.command_len,
	    m.call_id != NULL ? m.call_id : "", m.call_id_len, time_mono_ms(),
	    &cached, &cached_len);
	switch (cr) {
	case NG_COOKIE_HIT:
		metric_inc(md->ctr.cache_hits);
		log_info("ng_retransmit src=%s cookie=%s command=%s answer=from-cache",
		    sa_format(src, a, sizeof(a)), LOG_QN(m.cookie, m.cookie_len),
		    LOG_QN(m.command != NULL ? m.command : "", m.command_len));
		send_reply(s, src, cached, cached_len);
		return;
	case NG_COOKIE_IN_PROGRESS:
		metric_inc(md->ctr.dropped_in_progress);
		return;
	case NG_COOKIE_COLLISION:
		metric_inc(md->ctr.cookie_collisions);
		log_warnx("ng_cookie_collision src=%s cookie=%s command=%s call_id=%s action=%s",
		    sa_format(src, a, sizeof(a)), LOG_QN(m.cookie, m.cookie_len),
		    LOG_QN(m.command != NULL ? m.command : "", m.command_len),
		    LOG_QN(m.call_id != NULL ? m.call_id : "", m.call_id_len),
		    LOG_Q("same cookie, different request: run as new"));
		break;
	case NG_COOKIE_MISS:
		break;
	}

	if (m.op < 8)
		metric_inc(md->ctr.cmd[m.op]);
	md->ng_commands++;
	/* the client's bytes as they are: the log escapes them (NUL and newline included) */
	if (m.call_id != NULL)
		log_set_call_id_n(m.call_id, m.call_id_len);
	len = ng_run(s, &m, &reason);
	metric_set(md->ctr.calls_active, md->calls.count);
	if (len > 0) {
		(void)ng_cookie_cache_store(s->cache, &key, sizeof(key), m.cookie, m.cookie_len,
		    s->tx, len, time_mono_ms());
		send_reply(s, src, s->tx, len);
	}
	if (reason != NULL)
		log_info("ng_command src=%s command=%s result=error reason=%s us=%llu",
		    sa_format(src, a, sizeof(a)),
		    LOG_QN(m.command != NULL ? m.command : "-", m.command != NULL ? m.command_len : 1),
		    LOG_Q(reason), (unsigned long long)(time_mono_us() - t0));
	else if (m.op != NG_OP_PING || log_level_current >= LOG_LEVEL_DEBUG)
		log_info("ng_command src=%s command=%s result=ok us=%llu",
		    sa_format(src, a, sizeof(a)), LOG_ESCWN(m.command, m.command_len),
		    (unsigned long long)(time_mono_us() - t0));
	log_set_call_id(NULL);
}

static void
ng_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ng_server *s = arg;
	struct mediad *md = s->md;
	unsigned i;

	for (i = 0; i < NG_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sa src;
		ssize_t n;
		char a[SA_STRLEN];

		/* MSG_TRUNC returns the real length, so an oversized datagram is noticed. */
		n = recvfrom(fd, s->rx, sizeof(s->rx) - 1, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("ng_recv_failed");
			return;
		}
		sa_from_sockaddr(&src, (struct sockaddr *)&ss, sl);
		if (!src_allowed(&md->cfg, &src)) {
			metric_inc(md->ctr.dropped_acl);
			log_limited(&s->rl_acl, time_mono_ms(), LOG_LEVEL_WARN,
			    "ng_drop reason=not-allowed src=%s allow_key=ng_allow",
			    sa_format(&src, a, sizeof(a)));
			continue;
		}
		if ((size_t)n > NG_MAX_DATAGRAM || n == 0) {
			metric_inc(md->ctr.dropped_malformed);
			log_limited(&s->rl_bad, time_mono_ms(), LOG_LEVEL_WARN,
			    "ng_drop reason=%s src=%s len=%zd", n == 0 ? "empty" : "oversized",
			    sa_format(&src, a, sizeof(a)), n);
			continue;
		}
		s->rx[n] = '\0';
		ng_datagram(s, &src, (size_t)n);
		bencode_arena_free(&s->arena);
	}
}

static void
ng_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ng_server *s = arg;
	uint64_t now = time_mono_ms();

	log_ratelimit_flush(&s->rl_bad, now, LOG_LEVEL_WARN, "ng_bad_request");
	log_ratelimit_flush(&s->rl_acl, now, LOG_LEVEL_WARN, "ng_drop reason=not-allowed");
}

int
ng_server_alloc(struct ng_server **sp, struct mediad *md)
{
	struct timeval second = { 1, 0 };
	struct ng_server *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ENOMEM;
	s->md = md;
	s->fd = -1;
	bencode_arena_init(&s->arena);
	s->rl_acl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 5);
	s->rl_bad = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 10);
	err = ng_cookie_cache_alloc(&s->cache, NG_CACHE_ENTRIES,
	    (uint64_t)md->cfg.cookie_ttl_s * 1000u);
	if (err)
		goto out;
	err = sock_udp_bind(&md->cfg.ng_listen, NG_RCVBUF, &s->fd);
	if (err)
		goto out;
	err = sock_local_addr(s->fd, &s->local);
	if (err)
		goto out;
	s->ev = event_new(md->base, s->fd, EV_READ | EV_PERSIST, ng_readable, s);
	s->tick = event_new(md->base, -1, EV_PERSIST, ng_tick, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0 || s->tick == NULL ||
	    event_add(s->tick, &second) != 0) {
		err = ENOMEM;
		goto out;
	}
 out:
	if (err)
		ng_server_free(s);
	else
		*sp = s;
	return err;
}

void
ng_server_free(struct ng_server *s)
{
	if (s == NULL)
		return;
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->tick != NULL)
		event_free(s->tick);
	if (s->fd >= 0)
		close(s->fd);
	if (s->cache != NULL)
		ng_cookie_cache_free(s->cache);
	bencode_arena_free(&s->arena);
	free(s);
}

void
ng_server_local(const struct ng_server *s, struct sa *out)
{
	*out = s->local;
}
