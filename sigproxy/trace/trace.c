/* SPDX-License-Identifier: BSD-2-Clause */
/* The SIP trace: on/off, filter, masking, and the fan-out to the trace file, HEP and the log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "timeutil.h"
#include "trace_int.h"

/* Largest message the trace copies: a stream message's header section and body. */
#define TRACE_MSG_MAX ((size_t)TP_MAX_HEADER + TP_MAX_BODY)

struct trace {
	bool on;
	struct trace_filter *filter;	/* NULL: every message */
	struct trace_file *file;	/* NULL: no trace file */
	int hep_fd;			/* -1: no HEP export */
	uint32_t hep_id;
	struct metric *traced, *lost;	/* borrowed from the daemon's metrics */
	char *copy;			/* TRACE_MSG_MAX: the message with keys masked */
	uint8_t *hep;			/* TRACE_HEP_MAX: one HEP packet */
	struct log_ratelimit rl;	/* output errors */
};

void
trace_free(struct trace *t)
{
	if (t == NULL)
		return;
	trace_filter_free(t->filter);
	trace_file_close(t->file);
	if (t->hep_fd >= 0)
		close(t->hep_fd);
	free(t->copy);
	free(t->hep);
	free(t);
}

/* A connected UDP socket: refusals by the collector come back as errors to count. */
static int
hep_open(const struct sa *to, int *fdp)
{
	int fd;

	fd = socket(sa_family(to), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, &to->u.sa, to->len) < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int
trace_alloc(struct trace **tp, const struct trace_conf *c)
{
	struct trace *t;
	char msg[160];
	int err;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->hep_fd = -1;
	t->on = c->on;
	t->hep_id = c->hep_id;
	t->traced = c->traced;
	t->lost = c->lost;
	t->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 3);
	t->copy = malloc(TRACE_MSG_MAX);
	t->hep = malloc(TRACE_HEP_MAX);
	if (t->copy == NULL || t->hep == NULL) {
		err = ENOMEM;
		goto out;
	}
	if ((err = trace_filter_parse(&t->filter, c->call, c->number, c->peer, msg, sizeof(msg))))
		goto out;
	if (c->file != NULL && c->file[0] != '\0' && (err = trace_file_open(&t->file, c->file))) {
		log_errx("trace_file_failed path=\"%s\" err=\"%s\"", c->file, strerror(err));
		goto out;
	}
	if (c->hep != NULL && sa_family(c->hep) != AF_UNSPEC && (err = hep_open(c->hep, &t->hep_fd)))
		goto out;
 out:
	if (err)
		trace_free(t);
	else
		*tp = t;
	return err;
}

bool
trace_is_on(const struct trace *t)
{
	return t->on;
}

void
trace_set_on(struct trace *t, bool on)
{
	t->on = on;
}

int
trace_set_filter(struct trace *t, const char *call, const char *number, const char *peer,
    char *msg, size_t size)
{
	struct trace_filter *f;
	int err;

	if ((err = trace_filter_parse(&f, call, number, peer, msg, size)))
		return err;
	trace_filter_free(t->filter);
	t->filter = f;
	return 0;
}

int
trace_reopen(struct trace *t)
{
	return t->file != NULL ? trace_file_reopen(t->file) : 0;
}

static void
lost(struct trace *t, const char *output, int err)
{
	if (t->lost != NULL)
		metric_inc(t->lost);
	log_limited(&t->rl, time_mono_ms(), LOG_LEVEL_WARN, "sip_trace_lost output=%s err=\"%s\"",
	    output, strerror(err));
}

/* Without a file or a collector the log takes the trace, one escaped line per message. */
static void
trace_log(const struct trace_msg *m, const char *msg)
{
	char la[SA_STRLEN], pa[SA_STRLEN], esc[2048];

	if (m->local == NULL || sa_family(m->local) == AF_UNSPEC)
		snprintf(la, sizeof(la), "-");
	else
		sa_format(m->local, la, sizeof(la));
	log_infox("sip_trace %s transport=%s listener=%s local=%s peer=%s len=%zu msg=\"%s\"",
	    m->dir == TRACE_IN ? "in" : "out", tp_proto_name(m->proto),
	    m->listener ? LOG_ESCW(m->listener) : "-", la,
	    m->peer ? sa_format(m->peer, pa, sizeof(pa)) : "-", m->len,
	    log_esc(esc, sizeof(esc), msg, m->len));
}

void
trace_message(struct trace *t, const struct trace_msg *m)
{
	struct trace_msg mm;
	struct timeval tv;
	const char *cid = NULL;
	size_t cidlen = 0, hlen;
	int err;

	if (t == NULL || !t->on || m->len == 0 || !trace_filter_match(t->filter, m))
		return;
	if (m->len > TRACE_MSG_MAX) {
		lost(t, "all", EMSGSIZE);
		return;
	}
	/* Keys never leave in a trace: mask a copy, same length (Content-Length stays right). */
	memcpy(t->copy, m->buf, m->len);
	log_mask_secrets(t->copy, m->len);
	mm = *m;
	mm.buf = t->copy;
	if (trace_hdr_find(mm.buf, mm.len, "call-id", 'i', &cid, &cidlen))
		cidlen = 0;
	gettimeofday(&tv, NULL);
	if (t->traced != NULL)
		metric_inc(t->traced);
	if (t->file == NULL && t->hep_fd < 0) {
		trace_log(&mm, mm.buf);
		return;
	}
	if (t->file != NULL && (err = trace_file_write(t->file, &mm, mm.buf, &tv, cid, cidlen)))
		lost(t, "file", err);
	if (t->hep_fd >= 0) {
		err = trace_hep_encode(t->hep, TRACE_HEP_MAX, &hlen, &mm, mm.buf, &tv, t->hep_id,
		    cid, cidlen);
		if (err == 0 && send(t->hep_fd, t->hep, hlen, MSG_DONTWAIT) < 0)
			err = errno;
		if (err)
			lost(t, "hep", err);
	}
}
