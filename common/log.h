/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging: levels, one line per event with key=value fields, stderr or syslog. */
#ifndef SBC_COMMON_LOG_H
#define SBC_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Process-wide level; read without a lock (a stale read only changes one line). */
extern volatile int log_level_current;

/* ident: program name put in every line; to_syslog: use syslog(3) instead of stderr. */
void log_init(const char *ident, enum log_level level, bool to_syslog);
void log_set_level(enum log_level level);
/* Parses "err", "warn", "info", "debug"; returns 0 or EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * Per-thread context added to every line as call_id=...; pass NULL to clear.
 * The string is copied (truncated at 127 bytes).
 */
void log_set_call_id(const char *call_id);

/* Lines are "LEVEL event key=value ..." by convention: the first word names the event. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_infox(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debugx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The level is checked before any argument is formatted. */
#define log_info(...) do { if (log_level_current >= LOG_LEVEL_INFO) log_infox(__VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_level_current >= LOG_LEVEL_DEBUG) log_debugx(__VA_ARGS__); } while (0)

/*
 * Rate limit for warnings on hot paths: at most `burst` lines per `interval_ms`;
 * log_ratelimit_ok() returns true when a line may be written and counts the
 * suppressed ones, reported with the next permitted line via ->suppressed.
 * One struct per call site and thread (no locking).
 */
struct log_ratelimit {
	unsigned interval_ms;
	unsigned burst;
	unsigned long long window_start_ms;
	unsigned in_window;
	unsigned long long suppressed;
};
#define LOG_RATELIMIT_INIT(ms, n) { (ms), (n), 0, 0, 0 }
bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned long long now_ms);

/*
 * A value for a key=value field (log_quote.c): s as it is when it is one plain word
 * (printable ASCII without space, '"', '\\' or '='), otherwise in double quotes with
 * '"' and '\\' escaped and control bytes as \xHH; "" for NULL or empty. Cut with
 * "..." inside the quotes when it does not fit size (>= 8). Returns buf (or a constant).
 * Every free-text value goes through it: lines stay "event key=value ...".
 */
const char *log_quote(char *buf, size_t size, const char *s);
/* The same for len bytes (a NUL among them is written as \x00). */
const char *log_quote_n(char *buf, size_t size, const char *s, size_t len);
#define LOG_QUOTE_MAX 512
/* log_quote() into a buffer that lives until the end of the enclosing block. */
#define LOG_Q(s) log_quote((char[LOG_QUOTE_MAX]){ 0 }, LOG_QUOTE_MAX, (s))
#define LOG_QN(s, n) log_quote_n((char[LOG_QUOTE_MAX]){ 0 }, LOG_QUOTE_MAX, (s), (size_t)(n))

#endif
