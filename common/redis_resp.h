/* SPDX-License-Identifier: BSD-2-Clause */
/* RESP (the Redis protocol) encoding of one command. */
#ifndef SBC_COMMON_REDIS_RESP_H
#define SBC_COMMON_REDIS_RESP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Encodes argv (lengths from argvlen, or strlen when argvlen is NULL) as a RESP array
 * into *bufp, which is grown (old contents wiped) when *capp is too small; the caller
 * owns *bufp and frees it. The encoding is followed by a NUL not counted in *lenp.
 * Returns 0 or ENOMEM (then *bufp and *capp are unchanged).
 */
int resp_encode(char **bufp, size_t *capp, int argc, const char **argv, const size_t *argvlen,
    size_t *lenp);

/*
 * Whether a command name is one whose reply callback hiredis calls more than once
 * (SUBSCRIBE, MONITOR ...): redis.c refuses them.
 */
bool resp_cmd_is_streaming(const char *name, size_t len);
/* First argument of a RESP array "*N\r\n$L\r\nNAME\r\n..."; false if malformed. */
bool resp_first_arg(const char *cmd, size_t len, const char **name, size_t *namelen);

#endif
