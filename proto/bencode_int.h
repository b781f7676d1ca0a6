/* SPDX-License-Identifier: BSD-2-Clause */
/* What the bencode decoder and encoder share: the dictionary key order. */
#ifndef SBC_PROTO_BENCODE_INT_H
#define SBC_PROTO_BENCODE_INT_H

#include <string.h>

#include "bencode.h"

/* Byte order, shorter first on a common prefix: the bencode dictionary order. */
static inline int
bencode_key_cmp(const struct bencode_item *x, const struct bencode_item *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int r = 0;

	if (n > 0)
		r = memcmp(x->str, y->str, n);
	if (r != 0)
		return r;
	if (x->len == y->len)
		return 0;
	return x->len < y->len ? -1 : 1;
}

#endif
