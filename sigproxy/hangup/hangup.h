/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's hangup part, its one interface: calls the SBC ends itself. hangup_call()
 * ends one call, from this instance's memory or from its record in Redis (any instance
 * can): a BYE to each party with a Reason header (RFC 3326), its media deleted, its
 * record ended with the cause. Requests to do so come from two Redis streams read through
 * one consumer group, so that exactly one sigproxy handles each entry and the entries a
 * crashed one held are claimed by another (hangup_stream.c): mediad's events (sbc:events:
 * a call's media timed out) and operator requests (sbc:control: sbcctl hangup, drain).
 */
#ifndef SBC_SIGPROXY_HANGUP_H
#define SBC_SIGPROXY_HANGUP_H

#include "sigproxy.h"

/* Why the SBC ends a call: its record's end_reason, and the Reason its BYEs carry. */
enum hangup_cause {
	HANGUP_MEDIA_TIMEOUT = 0,	/* mediad saw no media for its media timeout */
	HANGUP_OPERATOR,		/* sbcctl hangup (or any tool writing sbc:control) */
	HANGUP_MEDIA_LOST,		/* the call's mediad died and the call could not move */
	HANGUP_CAUSE_N,
};

/* "media_timeout", "hangup", "media_lost": the record's end_reason. */
const char *hangup_cause_name(enum hangup_cause cause);

/* sp->hangup and its stream reader; 0 or an errno. hangup_free is a no-op without it. */
int hangup_alloc(struct sp *sp);
/* Nothing more starts (shutdown begins); what is out is dropped quietly. */
void hangup_stop(struct sp *sp);
void hangup_free(struct sp *sp);

/*
 * The end of a hang-up: 0 (BYEs out, record ended), ENOENT (no live call by that Call-ID
 * here or in Redis), EBUSY (not answered yet), or an errno; already logged.
 */
typedef void (hangup_done_h)(int err, void *arg);
/*
 * Ends call_id now with cause (by: who asked, for the log; network text is escaped). h
 * (may be NULL) is called once, possibly before this returns. Returns 0 when started
 * (h will be called), or an errno (h is not called).
 */
int hangup_call(struct sp *sp, const char *call_id, enum hangup_cause cause, const char *by,
    hangup_done_h *h, void *arg);

#endif
