/* SPDX-License-Identifier: BSD-2-Clause */
/* A bounded string buffer over caller memory: appends never overrun, always NUL-terminated. */
#ifndef SBC_COMMON_STRBUF_H
#define SBC_COMMON_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;		/* borrowed; size bytes */
	size_t size;		/* capacity including the NUL */
	size_t len;		/* bytes written, NUL excluded */
	bool truncated;		/* an append did not fit (what fitted was kept) */
};

/* size must be at least 1. */
void strbuf_init(struct strbuf *sb, char *buf, size_t size);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
