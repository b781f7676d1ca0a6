/* SPDX-License-Identifier: BSD-2-Clause */
/* The compliance record's outputs: an appended file (reopened on SIGHUP), syslog, the log line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "dialog.h"
#include "file.h"
#include "log.h"
#include "metrics.h"
#include "ng.h"
#include "strbuf.h"

/* A record is about 1.5 KB; URIs are cut at SP_PARTY_MAX, so this always fits. */
#define AUDIT_LINE_MAX 8192

struct audit {
	char *path;		/* NULL: no file */
	int fd;			/* -1: closed (a reopen failed) */
	bool syslog;
	char instance[64];
	struct metric *written, *lost;
	char line[AUDIT_LINE_MAX];
};

/* Counters are optional (tests, tools): NULL counts nothing. */
static void
count(struct metric *m)
{
	if (m != NULL)
		metric_inc(m);
}

int
audit_open(struct audit **ap, const struct audit_conf *conf)
{
	struct audit *a;
	int err = 0;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ENOMEM;
	a->fd = -1;
	a->syslog = conf->syslog;
	a->written = conf->written;
	a->lost = conf->lost;
	snprintf(a->instance, sizeof(a->instance), "%s", conf->instance ? conf->instance : "");
	if (conf->file != NULL && conf->file[0] != '\0') {
		a->path = strdup(conf->file);
		if (a->path == NULL) {
			err = ENOMEM;
			goto out;
		}
		if ((err = file_open_append(a->path, &a->fd)))
			goto out;
	}
	if (a->syslog)
		openlog("sbc-compliance", LOG_NDELAY | LOG_PID, conf->facility);
 out:
	if (err)
		audit_close(a);
	else
		*ap = a;
	return err;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	if (a->syslog)
		closelog();
	free(a->path);
	free(a);
}

int
audit_reopen(struct audit *a)
{
	if (a == NULL || a->path == NULL)
		return 0;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	return file_open_append(a->path, &a->fd);
}

bool
audit_on(const struct audit *a)
{
	return a != NULL && (a->path != NULL || a->syslog);
}

/* "tls/AES_CM_128_HMAC_SHA1_80 in=250 out=248 lost=0 drops=auth:2" of one leg. */
static void
leg_summary(struct strbuf *b, const struct sp_call *c, unsigned leg, const struct ng_leg *m)
{
	unsigned i;

	strbuf_printf(b, " %s=%s/%s", leg == 0 ? "caller" : "callee",
	    c->transport[leg][0] ? c->transport[leg] : "-",
	    m != NULL && m->present ? (m->suite[0] ? m->suite : "plain") :
	    (c->crypto[leg][0] && strcmp(c->crypto[leg], "none") ? c->crypto[leg] : "plain"));
	if (m == NULL || !m->present) {
		strbuf_puts(b, " media=unknown");
		return;
	}
	strbuf_printf(b, " in=%llu out=%llu", (unsigned long long)m->packets_in,
	    (unsigned long long)m->packets_out);
	if (m->have_lost)
		strbuf_printf(b, " lost=%llu", (unsigned long long)m->lost);
	strbuf_puts(b, " drops=");
	for (i = 0; i < m->ndrops; i++)
		strbuf_printf(b, "%s%s:%llu", i ? "," : "", m->drops[i].reason,
		    (unsigned long long)m->drops[i].count);
	if (m->ndrops == 0)
		strbuf_puts(b, "none");
}

static void
summary_log(const struct sp_call *c, const struct ng_leg *media)
{
	char buf[512];
	struct strbuf b;

	strbuf_init(&b, buf, sizeof(buf));
	leg_summary(&b, c, 0, media != NULL ? &media[0] : NULL);
	leg_summary(&b, c, 1, media != NULL ? &media[1] : NULL);
	/* names from mediad (a sibling) and our own: the log escapes the whole line anyway */
	log_info("call_summary reason=%s duration_s=%lld%s", LOG_ESCW(c->end_reason),
	    (long long)(c->answered > 0 && c->ended >= c->answered ? c->ended - c->answered : 0),
	    buf);
}

void
audit_write(struct audit *a, const struct sp_call *c, const struct ng_leg *media)
{
	size_t len;
	bool ok = true;

	summary_log(c, media);
	if (!audit_on(a))
		return;
	len = audit_json(a->line, sizeof(a->line) - 1, c, a->instance, media);
	if (len == 0) {
		log_warnx("compliance_record_lost reason=record-too-long");
		count(a->lost);
		return;
	}
	if (a->syslog)
		syslog(LOG_INFO, "%s", a->line);
	if (a->path != NULL) {
		a->line[len++] = '\n';
		/* one write: a reader never sees half a record followed by another one */
		if (a->fd < 0 || write(a->fd, a->line, len) != (ssize_t)len) {
			log_warn("compliance_record_lost file=%s", LOG_Q(a->path));
			ok = false;
		}
	}
	count(ok ? a->written : a->lost);
}
