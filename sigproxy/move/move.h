/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's move part, its one interface: the calls of a lost mediad (no ng answer for
 * [media] mediad_dead_ms), or of a drained one when [media] drained_calls = move, go to
 * another mediad while both parties stay on the line. Every instance hears of the loss
 * (the mediad pool); each call is moved by exactly one of them, the one that takes its
 * lock in Redis (SET sbc:move:<call-id> NX PX), the instance that set the call up first.
 * A move is a third-party re-negotiation (RFC 3725): a re-INVITE without SDP to the
 * caller, whose offer in the 2xx goes to the new mediad; the new mediad's SDP in a
 * re-INVITE to the callee; the callee's answer through the new mediad, acknowledged to
 * the callee, and its result in the ACK to the caller. A call that cannot move is ended
 * (BYE to both, Reason "media relay lost").
 */
#ifndef SBC_SIGPROXY_MOVE_H
#define SBC_SIGPROXY_MOVE_H

#include <stdbool.h>

#include "sigproxy.h"

/* sp->move, registered with the mediad pool; 0 or an errno. */
int move_alloc(struct sp *sp);
/* Nothing more starts; moves under way are dropped quietly (shutdown). */
void move_stop(struct sp *sp);
void move_free(struct sp *sp);
/*
 * The calls of mediad id move now (lost, or drained with drained_calls = move). Also what
 * the pool calls. Calls this instance set up are tried at once, the others named in
 * sbc:mediad_calls:<id> a moment later.
 */
void move_calls_of(struct sp *sp, const char *id, bool drained);

#endif
