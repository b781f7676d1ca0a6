/* SPDX-License-Identifier: BSD-2-Clause */
/* Bounded string buffer: the one place that does the snprintf length arithmetic. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

void
strbuf_init(struct strbuf *sb, char *buf, size_t size)
{
	sb->buf = buf;
	sb->size = size;
	sb->len = 0;
	sb->truncated = false;
	buf[0] = '\0';
}

void
strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
	size_t room = sb->size - 1 - sb->len;

	if (n > room) {
		n = room;
		sb->truncated = true;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room = sb->size - sb->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		sb->truncated = true;
		return;
	}
	if ((size_t)n >= room) {
		sb->len = sb->size - 1;
		sb->truncated = true;
	} else {
		sb->len += (size_t)n;
	}
}
