/* SPDX-License-Identifier: BSD-2-Clause */
/* Redis commands under construction for call_store.c: argv in one reused buffer, field names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "call_store_argv.h"

/* Empties b; the bytes used so far are wiped, since they may hold SRTP keys. */
void
store_argv_reset(struct argv_buf *b)
{
	explicit_bzero(b->buf, b->used);
	b->argc = 0;
	b->used = 0;
	b->overflow = false;
}

void
store_arg_add(struct argv_buf *b, const char *s, size_t len)
{
	if (b->argc >= STORE_MAX_ARGS || b->used + len + 1 > sizeof(b->buf)) {
		b->overflow = true;
		return;
	}
	memcpy(b->buf + b->used, s, len);
	b->buf[b->used + len] = '\0';
	b->argv[b->argc] = b->buf + b->used;
	b->len[b->argc] = len;
	b->argc++;
	b->used += len + 1;
}

/* Formats straight into b: no copy of a key on the stack to wipe. */
void
store_arg_addf(struct argv_buf *b, const char *fmt, ...)
{
	size_t room = sizeof(b->buf) - b->used;
	char *at = b->buf + b->used;
	va_list ap;
	int n;

	if (b->argc >= STORE_MAX_ARGS) {
		b->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		/* what did fit lies past b->used, where a reset would not wipe it */
		explicit_bzero(at, room);
		b->overflow = true;
		return;
	}
	b->argv[b->argc] = at;
	b->len[b->argc] = (size_t)n;
	b->argc++;
	b->used += (size_t)n + 1;
}

void
store_field(struct argv_buf *b, const char *name, const char *value)
{
	store_arg_add(b, name, strlen(name));
	store_arg_add(b, value, strlen(value));
}

void
store_field_key(struct argv_buf *b, const char *name, const struct crypto_key *k)
{
	char text[128];
	size_t n;

	if (sdp_base64_encode(text, sizeof(text), k->key_salt, k->key_salt_len, true, &n)) {
		b->overflow = true;
		return;
	}
	/* lifetime and MKI as a=crypto writes them after the key (call_restore.c reads them) */
	if (k->lifetime != 0)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "|%llu",
		    (unsigned long long)k->lifetime);
	if (k->mki_len != 0 && n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, "|%u:%u", (unsigned)k->mki, k->mki_len);
	store_field(b, name, text);
	explicit_bzero(text, sizeof(text));
}

/*
 * "<side>_m<n>_<suffix>" (n > 0) or "<side>_<suffix>" (n == 0) into buf: a call write
 * makes some 40 of these, and snprintf was most of its cost.
 */
void
store_media_name(char *buf, size_t size, char side, unsigned n, const char *suffix)
{
	char digits[12], *d = digits + sizeof(digits);
	size_t slen = strlen(suffix), dlen, off = 0;
	bool media = n != 0;

	do {
		*--d = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	dlen = (size_t)(digits + sizeof(digits) - d);
	if (size < 4 + dlen + slen)
		abort();   /* callers pass 64-byte buffers and fixed suffixes */
	buf[off++] = side;
	buf[off++] = '_';
	if (media) {
		buf[off++] = 'm';
		memcpy(buf + off, d, dlen);
		off += dlen;
		buf[off++] = '_';
	}
	memcpy(buf + off, suffix, slen + 1);
}
