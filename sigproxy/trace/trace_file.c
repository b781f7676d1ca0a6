/* SPDX-License-Identifier: BSD-2-Clause */
/* The trace file: one record per message (header line, the whole message, a blank line), appended. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "trace_int.h"

/* A message escaped: at most 4 bytes per byte, "..." and NUL (log_esc_into). */
#define TRACE_ESC_MAX ((size_t)TP_MAX_HEADER * 2 * 4 + 4)

struct trace_file {
	char *path;
	int fd;			/* -1: closed (a reopen failed) */
	char *esc;		/* TRACE_ESC_MAX bytes */
};

int
trace_file_open(struct trace_file **fp, const char *path)
{
	struct trace_file *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return ENOMEM;
	f->fd = -1;
	f->path = strdup(path);
	f->esc = malloc(TRACE_ESC_MAX);
	if (f->path == NULL || f->esc == NULL) {
		err = ENOMEM;
		goto out;
	}
	err = file_open_append(path, &f->fd);
 out:
	if (err)
		trace_file_close(f);
	else
		*fp = f;
	return err;
}

void
trace_file_close(struct trace_file *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->esc);
	free(f->path);
	free(f);
}

int
trace_file_reopen(struct trace_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	return file_open_append(f->path, &f->fd);
}

int
trace_file_write(struct trace_file *f, const struct trace_msg *m, const char *msg,
    const struct timeval *tv, const char *call_id, size_t call_id_len)
{
	char hdr[1024], stamp[32], la[SA_STRLEN], pa[SA_STRLEN];
	const char *src, *dst;
	struct iovec iov[3];
	struct tm tm;
	size_t elen;
	ssize_t n;
	int hl;

	if (f->fd < 0)
		return EBADF;
	if (m->local == NULL || sa_family(m->local) == AF_UNSPEC)
		snprintf(la, sizeof(la), "-");
	else
		sa_format(m->local, la, sizeof(la));
	if (m->peer == NULL)
		snprintf(pa, sizeof(pa), "-");
	else
		sa_format(m->peer, pa, sizeof(pa));
	src = m->dir == TRACE_IN ? pa : la;
	dst = m->dir == TRACE_IN ? la : pa;
	/*
	 * Control bytes of the message become \xHH (line breaks and tabs stay): what a
	 * peer sends cannot drive the terminal of whoever reads the file. bytes= is what
	 * follows the header line, so a reader can split records exactly.
	 */
	elen = log_esc_into(f->esc, TRACE_ESC_MAX, msg, m->len, LOG_ESC_KEEP_LINES);
	gmtime_r(&tv->tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	hl = snprintf(hdr, sizeof(hdr), "#### %s.%06ldZ %s %s listener=%s %s -> %s len=%zu "
	    "bytes=%zu call_id=%s\n", stamp, (long)tv->tv_usec, m->dir == TRACE_IN ? "in" : "out",
	    tp_proto_name(m->proto), m->listener ? LOG_ESCW(m->listener) : "-", src, dst,
	    m->len, elen, call_id_len ? LOG_ESCWN(call_id, call_id_len) : "-");
	if (hl < 0 || (size_t)hl >= sizeof(hdr))
		return EMSGSIZE;
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = f->esc;
	iov[1].iov_len = elen;
	/* records are separated by an empty line; a message without a body ends in CRLF CRLF */
	iov[2].iov_base = "\n";
	iov[2].iov_len = 1;
	n = writev(f->fd, iov, 3);
	if (n < 0)
		return errno;
	return (size_t)n == (size_t)hl + elen + 1 ? 0 : EIO;
}
