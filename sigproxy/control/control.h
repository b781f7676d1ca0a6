/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's control part, its one interface: operator requests read from the Redis stream
 * sbc:control (written by sbcctl: hangup, drain, undrain; README "Operator requests"), and
 * the BYEs a hang-up sends to both parties of a call.
 */
#ifndef SBC_SIGPROXY_CONTROL_H
#define SBC_SIGPROXY_CONTROL_H

#include <stdbool.h>

#include "sigproxy.h"

struct sip_msg;

/* sp->control; 0 or ENOMEM. control_free(sp) frees it (and is a no-op without it). */
int control_alloc(struct sp *sp);
void control_free(struct sp *sp);
/* Reads the requests added since the last call (tick.c, once a second); never waits. */
void control_poll(struct sp *sp);
/* True when m answers one of our BYEs (absorbed); m stays the caller's. */
bool control_response(struct sp *sp, const struct sip_msg *m);
/*
 * Ends call_id now if this instance holds it (control_hangup.c): answered, a BYE to each
 * party and the call ended "hangup"; not answered yet, the INVITE cancelled. by: who asked,
 * for the log. Returns 0 or ENOENT (another instance holds it, or nobody).
 */
int control_hangup(struct sp *sp, const char *call_id, const char *by);

#endif
