/* SPDX-License-Identifier: BSD-2-Clause */
/* redis.c's private copy of its options (internal to common/). */
#ifndef SBC_COMMON_REDIS_OPTS_H
#define SBC_COMMON_REDIS_OPTS_H

#include "redis.h"

/*
 * Copies src into dst with every string duplicated ("" becomes NULL) and the
 * defaults of redis.h filled in. 0 or ENOMEM (dst then holds nothing owned).
 */
int redis_opts_copy(struct redis_opts *dst, const struct redis_opts *src);
/* Frees what redis_opts_copy made; secrets are wiped first. */
void redis_opts_clear(struct redis_opts *o);

#endif
