/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's health part, its one interface: backends probed with OPTIONS, held down
 * after a failed INVITE, published in sbc:backend:<name>; the answer to OPTIONS for us.
 */
#ifndef SBC_SIGPROXY_HEALTH_H
#define SBC_SIGPROXY_HEALTH_H

#include <stdbool.h>

#include "route.h"
#include "sigproxy.h"
#include "sip.h"

struct health;

/* Starts probing every route target on sp->base (when set). 0 or ENOMEM; health_free(). */
int health_alloc(struct health **hp, struct sp *sp);
void health_free(struct health *h);
/* Whether t may get a call now: not down, not held down (an unknown backend is used). */
bool health_target_up(struct health *h, const struct route_target *t);
/* An INVITE to t timed out: hold it down for cfg.holddown_ms. */
void health_target_failed(struct health *h, const struct route_target *t);
/* Backends whose probes say up and that are not held down; *total: backends known. */
unsigned health_backends_up(const struct health *h, unsigned *total);
/* True when m answers one of our probes (then it is consumed). */
bool health_response(struct health *h, const struct sip_msg *m);
/*
 * 200 or 503 for OPTIONS addressed to us: Redis (when used) and a mediad reachable, and
 * a healthy target on the route the Request-URI user matches (any route when none).
 */
int health_self_status(struct sp *sp, const struct sip_msg *m);

#endif
