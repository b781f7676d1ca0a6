/* SPDX-License-Identifier: BSD-2-Clause */
/* Asks Redis Sentinels, one after the other, for the address of a master (hiredis async). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "addr.h"
#include "redis_ev.h"
#include "redis_sentinel.h"
#include "timeutil.h"

struct redis_sentinel {
	struct event_base *base;          /* borrowed */
	struct sa addr[REDIS_SENTINELS_MAX];
	unsigned n;
	unsigned first;                   /* the one that answered last: asked first */
	unsigned tried;                   /* in the current question */
	char *master;
	char *password;                   /* NULL: no AUTH; wiped on free */
	unsigned timeout_ms;

	redisAsyncContext *ac;            /* the attempt in progress; NULL between attempts */
	struct event *timer;              /* attempt deadline */
	struct event *next_ev;            /* next attempt (or the answer) from the loop */
	redis_sentinel_h *h;              /* NULL: no question running */
	void *arg;
	int err;                          /* of the finished question, delivered by next_ev */
	bool found;                       /* host and port hold the answer */
	char host[SA_STRLEN];
	uint16_t port;
	char reason[160];
};

static int
list_parse(const char *list, struct sa *out, unsigned *np)
{
	const char *p = list;
	unsigned n = 0;
	char word[SA_STRLEN + 8];

	if (list == NULL)
		return EINVAL;
	for (;;) {
		size_t len;
		struct sa a;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t,");
		if (len >= sizeof(word) || n >= REDIS_SENTINELS_MAX)
			return EINVAL;
		memcpy(word, p, len);
		word[len] = '\0';
		/* a sentinel listens on 26379 unless told */
		if (sa_parse(&a, word, 26379))
			return EINVAL;
		if (out != NULL)
			out[n] = a;
		n++;
		p += len;
	}
	if (n == 0)
		return EINVAL;
	*np = n;
	return 0;
}

int
redis_sentinel_list_check(const char *list)
{
	unsigned n;

	return list_parse(list, NULL, &n);
}

/* Drops the attempt in progress; its pending callbacks see ac != s->ac and do nothing. */
static void
attempt_drop(struct redis_sentinel *s)
{
	redisAsyncContext *ac = s->ac;

	s->ac = NULL;
	evtimer_del(s->timer);
	if (ac != NULL) {
		ac->data = NULL;
		redisAsyncFree(ac);   /* deferred by hiredis when inside one of its callbacks */
	}
}

/* Ends the attempt with a failure and moves on from the loop (never inside hiredis). */
static void
attempt_fail(struct redis_sentinel *s, const char *why)
{
	char a[SA_STRLEN];

	snprintf(s->reason, sizeof(s->reason), "sentinel %s: %.100s",
	    sa_format(&s->addr[(s->first + s->tried) % s->n], a, sizeof(a)), why);
	attempt_drop(s);
	s->tried++;
	event_active(s->next_ev, 0, 0);
}

int
redis_sentinel_reply_parse(const redisReply *r, char *host, size_t size, uint16_t *port,
    const char **why)
{
	unsigned long v;
	char *end;

	if (r->type == REDIS_REPLY_ERROR) {
		*why = r->str != NULL ? r->str : "error";
		return EPROTO;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len >= size) {
		*why = "does not know the master";
		return ENOENT;
	}
	v = strtoul(r->element[1]->str, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535) {
		*why = "bad master port";
		return EBADMSG;
	}
	memcpy(host, r->element[0]->str, r->element[0]->len);
	host[r->element[0]->len] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static void
master_done(redisAsyncContext *ac, void *replyp, void *privdata)
{
	struct redis_sentinel *s = privdata;
	redisReply *r = replyp;
	const char *why = NULL;
	int err;

	if (s == NULL || ac != s->ac || s->h == NULL)
		return;
	if (r == NULL) {
		attempt_fail(s, ac->errstr[0] ? ac->errstr : "no reply");
		return;
	}
	err = redis_sentinel_reply_parse(r, s->host, sizeof(s->host), &s->port, &why);
	if (err) {
		attempt_fail(s, why);
		if (err == ENOENT && s->err == 0)
			s->err = ENOENT;
		return;
	}
	s->first = (s->first + s->tried) % s->n;
	s->found = true;
	attempt_drop(s);
	/* answered from the loop: the owner may free us, which must not run inside hiredis */
	event_active(s->next_ev, 0, 0);
}

static void
auth_done(redisAsyncContext *ac, void *replyp, void *privdata)
{
	struct redis_sentinel *s = privdata;
	redisReply *r = replyp;

	if (s == NULL || ac != s->ac || s->h == NULL || r == NULL)
		return;   /* a NULL reply: master_done reports the lost connection */
	if (r->type == REDIS_REPLY_ERROR)
		attempt_fail(s, "auth failed");
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_sentinel *s = ac->data;

	if (s == NULL || ac != s->ac || status == REDIS_OK)
		return;
	/* hiredis frees ac after this callback: forget it without freeing */
	s->ac = NULL;
	ac->data = NULL;
	attempt_fail(s, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void
on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_sentinel *s = ac->data;

	if (s == NULL || ac != s->ac)
		return;
	s->ac = NULL;
	ac->data = NULL;
	attempt_fail(s, "connection closed");
}

static void
timer_fire(evutil_socket_t fd, short what, void *arg)
{
	attempt_fail(arg, "timeout");
}

static void
attempt_start(struct redis_sentinel *s)
{
	const struct sa *a = &s->addr[(s->first + s->tried) % s->n];
	char ip[SA_STRLEN];
	struct timeval tv = timeval_from_ms(s->timeout_ms);
	redisAsyncContext *ac;

	sa_format_ip(a, ip, sizeof(ip));
	ac = redisAsyncConnect(ip, (int)sa_port(a));
	if (ac == NULL) {
		attempt_fail(s, "out of memory");
		return;
	}
	if (ac->err || redis_ev_attach(ac, s->base, 0) != REDIS_OK) {
		/* A copy: errstr dies with ac, and s->reason is where attempt_fail writes. */
		char why[160];

		snprintf(why, sizeof(why), "%.150s", ac->err ? ac->errstr : "event attach failed");
		redisAsyncFree(ac);
		attempt_fail(s, why);
		return;
	}
	ac->data = s;
	s->ac = ac;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* hiredis queues both until the connect completes; they leave in one write */
	if ((s->password != NULL &&
	    redisAsyncCommand(ac, auth_done, s, "AUTH %s", s->password) != REDIS_OK) ||
	    redisAsyncCommand(ac, master_done, s, "SENTINEL get-master-addr-by-name %s",
	    s->master) != REDIS_OK) {
		attempt_fail(s, "command queue failed");
		return;
	}
	evtimer_add(s->timer, &tv);
}

/* Next attempt, or the end of the question: always from the loop, never from hiredis. */
static void
next_fire(evutil_socket_t fd, short what, void *arg)
{
	struct redis_sentinel *s = arg;
	redis_sentinel_h *h = s->h;
	void *harg = s->arg;

	if (h == NULL)
		return;
	if (!s->found && s->tried < s->n) {
		attempt_start(s);
		return;
	}
	s->h = NULL;
	if (s->found)
		h(0, s->host, s->port, NULL, harg);
	else
		h(s->err ? s->err : EHOSTUNREACH, NULL, 0, s->reason, harg);
}

int
redis_sentinel_ask(struct redis_sentinel *s, redis_sentinel_h *h, void *arg)
{
	if (s->h != NULL)
		return EBUSY;
	s->h = h;
	s->arg = arg;
	s->tried = 0;
	s->err = 0;
	s->found = false;
	s->reason[0] = '\0';
	event_active(s->next_ev, 0, 0);
	return 0;
}

void
redis_sentinel_cancel(struct redis_sentinel *s)
{
	if (s == NULL)
		return;
	s->h = NULL;
	attempt_drop(s);
	event_del(s->next_ev);
}

int
redis_sentinel_alloc(struct redis_sentinel **sp, struct event_base *base, const char *list,
    const char *master, const char *password, unsigned timeout_ms)
{
	struct redis_sentinel *s;
	int err;

	if (master == NULL || master[0] == '\0')
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ENOMEM;
	s->base = base;
	s->timeout_ms = timeout_ms ? timeout_ms : 500;
	err = list_parse(list, s->addr, &s->n);
	if (err)
		goto out;
	s->master = strdup(master);
	s->password = password != NULL && password[0] ? strdup(password) : NULL;
	s->timer = evtimer_new(base, timer_fire, s);
	s->next_ev = event_new(base, -1, 0, next_fire, s);
	if (s->master == NULL || (password != NULL && password[0] && s->password == NULL) ||
	    s->timer == NULL || s->next_ev == NULL)
		err = ENOMEM;
 out:
	if (err)
		redis_sentinel_free(s);
	else
		*sp = s;
	return err;
}

void
redis_sentinel_free(struct redis_sentinel *s)
{
	if (s == NULL)
		return;
	redis_sentinel_cancel(s);
	if (s->timer)
		event_free(s->timer);
	if (s->next_ev)
		event_free(s->next_ev);
	free(s->master);
	if (s->password != NULL) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}
