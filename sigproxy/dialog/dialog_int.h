/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to sigproxy/dialog: the argument vector of a record write and the record's fields. */
#ifndef SBC_SIGPROXY_DIALOG_INT_H
#define SBC_SIGPROXY_DIALOG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dialog.h"

/* One Redis command being built: arguments borrowed, or formatted into buf. */
#define DIALOG_ARGV_MAX 128	/* a whole record with its end: about 120 */
struct dialog_argv {
	int n;
	bool full;			/* an argument did not fit: do not send */
	const char *argv[DIALOG_ARGV_MAX];
	size_t lens[DIALOG_ARGV_MAX];
	size_t used;
	char buf[2048];
	char num[2][16];		/* dialog_uac_fields' numbers */
};

/* dialog_fields.c */
void dialog_argv_reset(struct dialog_argv *v);
/* s (len bytes, borrowed until the command is sent) as the next argument. */
void dialog_argv_add(struct dialog_argv *v, const char *s, size_t len);
/* An argument formatted into v->buf. */
void dialog_argv_addf(struct dialog_argv *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A field name (borrowed) and its value (borrowed, NUL-terminated). */
void dialog_argv_field(struct dialog_argv *v, const char *k, const char *val);
/* A field name (borrowed) and a value formatted into v->buf. */
void dialog_argv_fieldf(struct dialog_argv *v, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The fields about the parties and their connections (whole-record writes). */
void dialog_fields_parties(const struct sp_call *c, struct dialog_argv *v);
/* The end: ISO end time, and per leg the media summary mediad gave (media may be NULL). */
void dialog_fields_end(const struct sp_call *c, const struct ng_leg *media, struct dialog_argv *v);
/* A field of a record written by another instance, if it is one of the above; true if taken. */
bool dialog_fields_read(struct sp_call *c, const char *k, const char *val);

/* dialog_record.c */
struct redisReply;
/*
 * The fields of a record (HGETALL reply r: field, value, ...) into c: a call another
 * instance wrote, or a newer copy of it. Exported for tests/fuzz (fuzz_sigproxy_redis).
 */
void dialog_record_apply(struct sp *sp, struct sp_call *c, const struct redisReply *r);

#endif
