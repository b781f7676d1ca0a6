/* SPDX-License-Identifier: BSD-2-Clause */
/* Bounded, ordered store of Redis writes kept until acknowledged and replayed on reconnect. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "redis.h"
#include "redis_backlog.h"
#include "timeutil.h"

#define BACKLOG_MAX_ARGS 128	/* a dialog record with its media summary: about 100 */
#define BACKLOG_WAIT_RETRY_MS 500
/* WAITs in a row that saw no replica before the master's word is taken alone */
#define BACKLOG_WAIT_TRIES 3

enum bl_state {
	BL_QUEUED = 0,  /* not sent on the current connection */
	BL_SENT,        /* sent; its reply is due (the reply callback holds a pointer) */
	BL_DONE,        /* the master replied; waiting for WAIT to see it on a replica */
};

struct bl_entry {
	struct bl_entry *prev, *next;
	struct redis_backlog *b;    /* borrowed */
	enum bl_state st;
	uint64_t seq;
	int argc;
	size_t *lens;               /* argc lengths, then the arguments back to back */
	char *data;
};

struct redis_backlog {
	struct bl_entry *head, *tail;   /* oldest first */
	size_t n;
	unsigned max;
	unsigned wait_ms;
	uint64_t next_seq;
	struct redis_conn *r;       /* borrowed: the connection of the last send */
	bool wait_inflight;         /* one WAIT at a time */
	bool wait_again;            /* writes went out behind the WAIT in flight */
	uint64_t wait_seq;          /* the WAIT in flight covers entries up to this seq */
	unsigned wait_zero;         /* WAITs in a row that saw no replica */
	struct event *wait_ev;      /* WAIT again after a reply of 0 replicas */
	struct redis_backlog_stats st;
};

static void
entry_free(struct redis_backlog *b, struct bl_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		b->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		b->tail = e->prev;
	b->n--;
	free(e->lens);
	free(e);
}

/* Errors a retry may mend: the server is starting, has no master, or refused for now. */
static bool
error_transient(const char *s)
{
	static const char *const t[] = { "LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN",
	    "NOREPLICAS", "OOM", "CLUSTERDOWN", NULL };
	unsigned i;

	for (i = 0; t[i] != NULL; i++)
		if (strncmp(s, t[i], strlen(t[i])) == 0)
			return true;
	return false;
}

static void wait_send(struct redis_backlog *b);

static void
wait_done(struct redisReply *reply, void *arg)
{
	struct redis_backlog *b = arg;
	struct bl_entry *e, *next;

	b->wait_inflight = false;
	if (reply == NULL)
		return;   /* the connection went: the replay sends everything again */
	if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= 1)
		b->wait_zero = 0;
	else
		b->wait_zero++;
	/*
	 * A master without a replica (its replica died, or is the master that just
	 * failed) can never satisfy WAIT: after a few tries its own reply is taken,
	 * counted as unreplicated, rather than holding the writes forever.
	 */
	if (b->wait_zero == 0 || b->wait_zero >= BACKLOG_WAIT_TRIES) {
		for (e = b->head; e != NULL; e = next) {
			next = e->next;
			if (e->st == BL_DONE && e->seq <= b->wait_seq) {
				if (b->wait_zero > 0)
					b->st.unreplicated++;
				entry_free(b, e);
			}
		}
		b->wait_zero = 0;
	} else if (!b->wait_again) {
		/* no replica has them yet: ask again a little later, not in a loop */
		struct timeval tv = timeval_from_ms(BACKLOG_WAIT_RETRY_MS);

		evtimer_add(b->wait_ev, &tv);
		return;
	}
	if (b->wait_again)
		wait_send(b);
}

static void
wait_send(struct redis_backlog *b)
{
	char ms[16];

	if (b->wait_inflight) {
		b->wait_again = true;
		return;
	}
	b->wait_again = false;
	snprintf(ms, sizeof(ms), "%u", b->wait_ms);
	b->wait_seq = b->next_seq - 1;
	if (redis_cmd(b->r, wait_done, b, "WAIT 1 %s", ms) == 0) {
		b->wait_inflight = true;
		redis_flush(b->r);
	}
}

static void
wait_timer(evutil_socket_t fd, short what, void *arg)
{
	struct redis_backlog *b = arg;
	struct bl_entry *e;

	for (e = b->head; e != NULL; e = e->next)
		if (e->st == BL_DONE)
			break;
	if (e != NULL && b->r != NULL && redis_conn_state(b->r) == REDIS_STATE_CONNECTED)
		wait_send(b);
}

static void
entry_done(struct redisReply *reply, void *arg)
{
	struct bl_entry *e = arg;
	struct redis_backlog *b = e->b;

	if (reply == NULL || (reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
	    error_transient(reply->str))) {
		e->st = BL_QUEUED;
		b->st.kept++;
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		b->st.failed++;
		entry_free(b, e);
		return;
	}
	if (b->wait_ms > 0 && b->r != NULL && redis_conn_sentinel(b->r))
		e->st = BL_DONE;
	else
		entry_free(b, e);
}

static int
entry_send(struct redis_backlog *b, struct redis_conn *r, struct bl_entry *e)
{
	const char *argv[BACKLOG_MAX_ARGS];
	const char *p = e->data;
	int i, err;

	for (i = 0; i < e->argc; i++) {
		argv[i] = p;
		p += e->lens[i];
	}
	err = redis_cmd_argv(r, entry_done, e, e->argc, argv, e->lens);
	if (err == 0) {
		e->st = BL_SENT;
		b->r = r;
	}
	return err;
}

int
redis_backlog_send(struct redis_backlog *b, struct redis_conn *r, int argc,
    const char **argv, const size_t *lens)
{
	struct bl_entry *e;
	size_t total = 0;
	char *p;
	int i, err;

	if (argc <= 0 || argc > BACKLOG_MAX_ARGS)
		return EINVAL;
	if (b->n >= b->max) {
		b->st.dropped++;
		return ENOBUFS;
	}
	for (i = 0; i < argc; i++)
		total += lens[i];
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ENOMEM;
	/* one block: the lengths, then the argument bytes */
	e->lens = malloc(sizeof(size_t) * (size_t)argc + total + 1);
	if (e->lens == NULL) {
		free(e);
		return ENOMEM;
	}
	e->data = (char *)(e->lens + argc);
	for (i = 0, p = e->data; i < argc; i++) {
		e->lens[i] = lens[i];
		memcpy(p, argv[i], lens[i]);
		p += lens[i];
	}
	e->b = b;
	e->argc = argc;
	e->seq = ++b->next_seq;
	e->prev = b->tail;
	if (b->tail)
		b->tail->next = e;
	else
		b->head = e;
	b->tail = e;
	b->n++;
	err = r != NULL && redis_conn_state(r) == REDIS_STATE_CONNECTED ? entry_send(b, r, e) :
	    ENOTCONN;
	if (err) {
		b->st.kept++;
		return EAGAIN;
	}
	if (b->wait_ms > 0 && redis_conn_sentinel(r))
		wait_send(b);
	return 0;
}

unsigned
redis_backlog_replay(struct redis_backlog *b, struct redis_conn *r)
{
	struct bl_entry *e;
	unsigned n = 0;

	b->wait_inflight = false;   /* a WAIT of the old connection got its NULL already */
	for (e = b->head; e != NULL; e = e->next) {
		if (e->st == BL_SENT)
			continue;
		if (entry_send(b, r, e) != 0)
			break;
		n++;
	}
	b->st.replayed += n;
	if (n > 0 && b->wait_ms > 0 && redis_conn_sentinel(r))
		wait_send(b);
	return n;
}

void
redis_backlog_stats(const struct redis_backlog *b, struct redis_backlog_stats *out)
{
	*out = b->st;
	out->pending = b->n;
}

int
redis_backlog_alloc(struct redis_backlog **bp, struct event_base *base, unsigned max_entries,
    unsigned wait_ms)
{
	struct redis_backlog *b;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return ENOMEM;
	b->max = max_entries ? max_entries : 1;
	b->wait_ms = wait_ms;
	b->wait_ev = evtimer_new(base, wait_timer, b);
	if (b->wait_ev == NULL) {
		free(b);
		return ENOMEM;
	}
	*bp = b;
	return 0;
}

size_t
redis_backlog_free(struct redis_backlog *b)
{
	size_t n;

	if (b == NULL)
		return 0;
	n = b->n;
	while (b->head != NULL)
		entry_free(b, b->head);
	event_free(b->wait_ev);
	free(b);
	return n;
}
