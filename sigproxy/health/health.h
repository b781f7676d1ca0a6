/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's health part, its one interface: backends probed with OPTIONS (down after N
 * failed probes, up after M answered ones), held down after a failed INVITE, shared
 * through sbc:backend:<name> so that every instance agrees; the answer to OPTIONS for us.
 */
#ifndef SBC_SIGPROXY_HEALTH_H
#define SBC_SIGPROXY_HEALTH_H

#include <stdbool.h>

#include "route.h"
#include "sigproxy.h"
#include "sip.h"

struct health;
struct sp_src;

/* Starts probing the route targets on sp->base (when set). 0 or ENOMEM; health_free(). */
int health_alloc(struct health **hp, struct sp *sp);
void health_free(struct health *h);
/*
 * Whether t may get a call now: not down (by our probes, or by a fresh shared verdict when
 * we have none) and not held down (by any instance). A backend with no verdict is used.
 */
bool health_target_up(struct health *h, const struct route_target *t);
/* An INVITE to t failed without an answer (why: which timer, or the connection): hold it down. */
void health_target_failed(struct health *h, const struct route_target *t, const char *why);
/* True when m (from src) answers one of our probes, which it then counts for. */
bool health_response(struct health *h, const struct sip_msg *m, const struct sp_src *src);
/* Backends by state, for the metrics. */
void health_count(const struct health *h, unsigned *up, unsigned *down, unsigned *unknown);
/*
 * 200 or 503 for OPTIONS addressed to us (that came in on listener): Redis (when used) and
 * a mediad reachable, and a target known up (or, when nobody probes it, not held down) on
 * the route the Request-URI user matches, or on any route when none matches.
 */
int health_self_status(struct sp *sp, const struct sip_msg *m, const char *listener);

#endif
