/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging to stderr or syslog, one line per event, level checked before formatting. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

volatile int log_level_current = LOG_LEVEL_INFO;

static const char *log_ident = "sbc";
static bool log_syslog;
/* Escaped (log_esc_into with spaces and quotes): 127 input bytes at 4 bytes each, "..." */
static _Thread_local char log_call_id[128 * 4 + 4];

static const char *const level_names[] = { "err", "warn", "info", "debug" };
static const int level_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *ident, enum log_level level, bool to_syslog)
{
	log_ident = ident;
	log_level_current = level;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_level_current = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	if (s == NULL)
		return EINVAL;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "error") == 0) {
		*out = LOG_LEVEL_ERR;
		return 0;
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return 0;
	}
	return EINVAL;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

void
log_set_call_id(const char *call_id)
{
	if (call_id == NULL)
		log_call_id[0] = '\0';
	else
		log_set_call_id_n(call_id, strnlen(call_id, 128));
}

void
log_set_call_id_n(const char *call_id, size_t len)
{
	log_esc_into(log_call_id, sizeof(log_call_id), call_id, len > 127 ? 127 : len,
	    LOG_ESC_QUOTES | LOG_ESC_SPACE);
	if (len > 127)
		strcat(log_call_id, "...");
}

/*
 * The one writer: formats, masks secrets, escapes what is left unsafe, adds the
 * context. suffix (may be NULL) goes after the message, before the context.
 */
static void __attribute__((format(printf, 4, 0)))
log_vwrite(enum log_level level, const char *errstr, const char *suffix, const char *fmt,
    va_list ap)
{
	/* a whole escaped line: up to 4 bytes out per byte in, cut with "..." */
	char msg[2048], line[sizeof(msg) * 4 + 4];
	size_t n;
	int rc;

	rc = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (rc < 0)
		return;
	n = (size_t)rc < sizeof(msg) ? (size_t)rc : sizeof(msg) - 1;
	if (suffix != NULL && n < sizeof(msg) - 1) {
		snprintf(msg + n, sizeof(msg) - n, "%s", suffix);
		n = strlen(msg);
	}
	/* Keys first, while "inline:" still reads as it was written; then one event, one line. */
	log_mask_secrets(msg, n);
	log_esc_into(line, sizeof(line), msg, n, 0);
	if (log_syslog) {
		syslog(level_syslog[level], "%s%s%s%s%s", line,
		    log_call_id[0] ? " call_id=" : "", log_call_id,
		    errstr ? " error=" : "", errstr ? errstr : "");
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s %s %s%s%s%s%s%s\n", stamp, ts.tv_nsec / 1000000,
	    log_ident, level_names[level], line,
	    log_call_id[0] ? " call_id=" : "", log_call_id,
	    errstr ? " error=\"" : "", errstr ? errstr : "", errstr ? "\"" : "");
}

#define LOG_BODY(level, errstr) do {				\
	va_list ap;						\
	if (log_level_current < (level))			\
		return;						\
	va_start(ap, fmt);					\
	log_vwrite((level), (errstr), NULL, fmt, ap);			\
	va_end(ap);						\
} while (0)

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	const char *es = strerror(saved);

	LOG_BODY(LOG_LEVEL_WARN, es);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_WARN, NULL);
	errno = saved;
}

void
log_errx(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_ERR, NULL);
	errno = saved;
}

void
log_infox(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_INFO, NULL);
	errno = saved;
}

void
log_debugx(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_DEBUG, NULL);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *es = strerror(errno);

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, es, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, NULL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

bool
log_ratelimit_ok(struct log_ratelimit *rl, unsigned long long now_ms)
{
	if (now_ms - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now_ms;
		rl->in_window = 0;
	}
	if (rl->in_window < rl->burst) {
		rl->in_window++;
		return true;
	}
	rl->suppressed++;
	rl->pending++;
	return false;
}

void
log_limited_write(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	char suffix[48];
	va_list ap;

	if (log_level_current < (int)level)
		return;
	suffix[0] = '\0';
	if (rl->pending > 0)
		snprintf(suffix, sizeof(suffix), " suppressed=%llu", rl->pending);
	rl->pending = 0;
	va_start(ap, fmt);
	log_vwrite(level, NULL, suffix[0] ? suffix : NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

static void __attribute__((format(printf, 2, 3)))
log_plain(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, NULL, NULL, fmt, ap);
	va_end(ap);
}

bool
log_ratelimit_flush(struct log_ratelimit *rl, unsigned long long now_ms, enum log_level level,
    const char *event)
{
	int saved = errno;

	if (rl->pending == 0 || now_ms - rl->window_start_ms < rl->interval_ms ||
	    log_level_current < (int)level)
		return false;
	log_plain(level, "%s suppressed=%llu", event, rl->pending);
	rl->pending = 0;
	errno = saved;
	return true;
}
