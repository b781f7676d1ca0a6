/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's uac part, its one interface: requests the SBC itself sends inside a dialog,
 * in the name of one party to the other (the BYE that ends a call, the re-INVITE that
 * moves its media), each a client transaction of its own: built from the call (remote
 * target, route set, tags, the leg's Call-ID, the next CSeq towards it), sent over the
 * leg's transport (the caller's own stream when it is open), retransmitted over UDP,
 * answered by branch, and for an INVITE the ACK of its 2xx (sent again when the 2xx is).
 * Above send and dialog; the parts that end and move calls use it.
 */
#ifndef SBC_SIGPROXY_UAC_H
#define SBC_SIGPROXY_UAC_H

#include <stdbool.h>
#include <stddef.h>

#include "sigproxy.h"

struct sip_msg;
struct sp_call;
struct uac_req;

/*
 * The end of a request: status of its final response (408 when none came in time, 503
 * when it could not be sent), resp that response (valid during the call) or NULL. After
 * a 2xx to an INVITE r waits for uac_ack() (or uac_abandon()); in every other case r is
 * gone when h returns.
 */
typedef void (uac_done_h)(struct uac_req *r, int status, const struct sip_msg *resp,
    void *arg);

struct uac_opts {
	const char *method;	/* "BYE" or "INVITE" */
	const char *extra;	/* whole header lines (a Reason), or NULL */
	const char *body;	/* an SDP (INVITE), or NULL: none */
	size_t body_len;
	unsigned timeout_ms;	/* no final response by then: 408 */
};

/*
 * Sends a request to leg (0 caller, 1 callee) of c in the other party's name. h is called
 * once, later (never from inside uac_send). 0 with *rp (may be NULL), or ENOENT (the leg's
 * remote target is unknown), EINVAL (a stored value cannot be written), ERANGE (no CSeq
 * left), ENOMEM, ENETUNREACH.
 */
int uac_send(struct sp *sp, struct sp_call *c, unsigned leg, const struct uac_opts *o,
    uac_done_h *h, void *arg, struct uac_req **rp);
/*
 * The ACK of the 2xx r got, with body (an SDP answer, NULL: none), to the 2xx's Contact;
 * r then absorbs retransmissions of the 2xx (answering each with the ACK again) and frees
 * itself. 0 or an errno (r is freed either way).
 */
int uac_ack(struct uac_req *r, const char *body, size_t len);
/*
 * No more callbacks for r. A 2xx waiting for its ACK gets one without a body (the caller
 * ends the call next); a request still out is left to run out quietly.
 */
void uac_abandon(struct uac_req *r);
/* The Call-ID and leg r went to (its call, for the handler's log context). */
const char *uac_call_id(const struct uac_req *r);
/* True when m answers one of our requests (taken into account); m stays the caller's. */
bool uac_response(struct sp *sp, const struct sip_msg *m);
/* Every request dropped without callbacks (shutdown). */
void uac_free_all(struct sp *sp);

#endif
