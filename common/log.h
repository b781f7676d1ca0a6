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
 * The string is copied escaped as log_esc() does, spaces too (it is not quoted), and
 * cut at 127 input bytes with "..." appended.
 */
void log_set_call_id(const char *call_id);
/* The same for len bytes that may hold NUL bytes (an ng call-id), escaped as \x00. */
void log_set_call_id_n(const char *call_id, size_t len);

/*
 * Lines are "LEVEL event key=value ..." by convention: the first word names the event.
 * Every line is made safe as a whole before it is written, whatever its arguments held:
 * secrets masked (log_mask_secrets), then control bytes and invalid UTF-8 written as
 * \xHH, so one event is one line. A value from the network that is printed in quotes
 * goes through LOG_ESC() as well, so that it cannot close its quotes and add a field.
 */
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
 * Rate limit for lines caused by peers (bad input, per-packet warnings): at most
 * `burst` lines per `interval_ms`. log_ratelimit_ok() returns true when a line may be
 * written and counts the suppressed ones. One struct per call site and thread (no
 * locking). log_limited() is the usual way to use one: the line written after
 * suppressed ones ends with the field "suppressed=N".
 */
struct log_ratelimit {
	unsigned interval_ms;
	unsigned burst;
	unsigned long long window_start_ms;
	unsigned in_window;
	unsigned long long suppressed;	/* since start */
	unsigned long long pending;	/* suppressed since the last line written */
};
#define LOG_RATELIMIT_INIT(ms, n) { (ms), (n), 0, 0, 0, 0 }
bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned long long now_ms);

/*
 * log_limited(rl, now_ms, level, fmt, ...): the line when level is enabled and rl lets
 * it through, with " suppressed=N" appended when lines were suppressed since
 * the last one; arguments are evaluated only then.
 */
#define log_limited(rl, now_ms, level, ...) do {					\
	if (log_level_current >= (int)(level) && log_ratelimit_ok((rl), (now_ms)))	\
		log_limited_write((rl), (level), __VA_ARGS__);				\
} while (0)
void log_limited_write(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * For a periodic timer: when lines of rl were suppressed and its window has passed,
 * writes "event suppressed=N" so that the count of a flood that stopped is not
 * lost. Returns true when it wrote.
 */
bool log_ratelimit_flush(struct log_ratelimit *rl, unsigned long long now_ms,
    enum log_level level, const char *event);

/* ---- Untrusted values (log_esc.c) and secrets (log_mask.c) ---- */

#define LOG_ESC_QUOTES	 0x01u	/* '"' and '\\' as \" and \\ */
#define LOG_ESC_SPACE	 0x02u	/* ' ' as \x20 (for unquoted values) */
#define LOG_ESC_NUL_ENDS 0x04u	/* stop at a NUL byte */
#define LOG_ESC_KEEP_LINES 0x08u	/* CR, LF and TAB as they are (a trace of whole messages) */
/*
 * Writes len bytes of in to out (size bytes, NUL-terminated): printable ASCII and valid
 * UTF-8 as they are, every other byte (controls, DEL, C1, invalid UTF-8) as \xHH, and
 * as flags say. Cut with "..." when it does not fit. Returns the length written.
 */
size_t log_esc_into(char *out, size_t size, const char *in, size_t len, unsigned flags);
/*
 * A network value for a quoted log field: log_esc_into() with LOG_ESC_QUOTES, len
 * (size_t)-1 meaning strlen(s), s NULL as "". Returns buf.
 */
const char *log_esc(char *buf, size_t size, const char *s, size_t len);
#define LOG_ESC_MAX 256
/* log_esc() into a buffer that lives until the end of the enclosing full expression's block. */
#define LOG_ESC(s) log_esc((char[LOG_ESC_MAX]){ 0 }, LOG_ESC_MAX, (s), (size_t)-1)
#define LOG_ESCN(s, n) log_esc((char[LOG_ESC_MAX]){ 0 }, LOG_ESC_MAX, (s), (size_t)(n))
/* For an unquoted field (key=value): spaces escaped too, so the value stays one word. */
const char *log_esc_word(char *buf, size_t size, const char *s, size_t len);
#define LOG_ESCW(s) log_esc_word((char[LOG_ESC_MAX]){ 0 }, LOG_ESC_MAX, (s), (size_t)-1)
#define LOG_ESCWN(s, n) log_esc_word((char[LOG_ESC_MAX]){ 0 }, LOG_ESC_MAX, (s), (size_t)(n))

/*
 * Overwrites secrets in s[0..len) with '*', keeping the length (a traced SIP message
 * keeps its Content-Length): SDES key material after "inline:", MIKEY data after
 * "key-mgmt:<proto> ", SDP "k=" lines, the password of a "sip:user:password@" URI,
 * HTTP Basic credentials after "Authorization:", and values of password, passwd and
 * secret keys ("password=x", "password: x", "password=\"x\""). Returns how many it masked.
 */
size_t log_mask_secrets(char *s, size_t len);

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
