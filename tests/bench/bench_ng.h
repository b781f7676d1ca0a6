/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_relay's ng client: sets calls up on an external relay (mediad or rtpengine). */
#ifndef SBC_BENCH_NG_H
#define SBC_BENCH_NG_H

#include "addr.h"
#include "srtp.h"

/* Opens a UDP socket connected to the relay's ng address "IP:PORT"; 0 or errno. */
int bench_ng_open(const char *ng, int *fdp);
/*
 * One call: the SRTP caller at caller (key) offers through interface if_out to if_in,
 * the plain RTP callee at callee answers. On success *to_caller is the relay's port the
 * caller sends to and *to_callee the one the callee sends to. 0 or errno.
 */
int bench_ng_call(int fd, const char *call_id, const struct sa *caller, const struct sa *callee,
    const struct crypto_key *key, const char *if_out, const char *if_in, struct sa *to_caller,
    struct sa *to_callee);
/* Deletes the call (best effort). */
void bench_ng_delete(int fd, const char *call_id);

#endif
