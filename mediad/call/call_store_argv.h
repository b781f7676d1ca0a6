/* SPDX-License-Identifier: BSD-2-Clause */
/* call_store.c's argv builder (internal to mediad/call). */
#ifndef SBC_MEDIAD_CALL_STORE_ARGV_H
#define SBC_MEDIAD_CALL_STORE_ARGV_H

#include <stdbool.h>
#include <stddef.h>

struct crypto_key;

#define STORE_MAX_ARGS 256
#define STORE_BUF 16384

/* An argv under construction; strings live in buf. */
struct argv_buf {
	const char *argv[STORE_MAX_ARGS];
	size_t len[STORE_MAX_ARGS];
	int argc;
	char buf[STORE_BUF];
	size_t used;
	bool overflow;
};

/* Empties b; the bytes used so far are wiped, since they may hold SRTP keys. */
void store_argv_reset(struct argv_buf *b);
/* Appends one argument (copied); a full b sets overflow instead. */
void store_arg_add(struct argv_buf *b, const char *s, size_t len);
void store_arg_addf(struct argv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends a field name and its value. */
void store_field(struct argv_buf *b, const char *name, const char *value);
/* Appends a field holding k's key and salt in base64 (the copy on the stack is wiped). */
void store_field_key(struct argv_buf *b, const char *name, const struct crypto_key *k);
/* "<side>_m<n>_<suffix>" (n > 0) or "<side>_<suffix>" (n == 0) into buf (>= 64 bytes). */
void store_media_name(char *buf, size_t size, char side, unsigned n, const char *suffix);

#endif
