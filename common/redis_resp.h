/* SPDX-License-Identifier: BSD-2-Clause */
/* RESP (the Redis protocol) encoding of one command. */
#ifndef SBC_COMMON_REDIS_RESP_H
#define SBC_COMMON_REDIS_RESP_H

#include <stddef.h>

/*
 * Encodes argv (lengths from argvlen, or strlen when argvlen is NULL) as a RESP array
 * into *bufp, which is grown (old contents wiped) when *capp is too small; the caller
 * owns *bufp and frees it. The encoding is followed by a NUL not counted in *lenp.
 * Returns 0 or ENOMEM (then *bufp and *capp are unchanged).
 */
int resp_encode(char **bufp, size_t *capp, int argc, const char **argv, const size_t *argvlen,
    size_t *lenp);

#endif
