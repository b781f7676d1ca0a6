/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's transaction part, its one interface: INVITE server transactions with their
 * branches and failover across targets, non-INVITE requests, ACKs, CANCEL. Each takes
 * the message it is given (m is freed by the transaction) unless it says otherwise.
 */
#ifndef SBC_SIGPROXY_TXN_H
#define SBC_SIGPROXY_TXN_H

#include <stdbool.h>

#include "send.h"
#include "sigproxy.h"
#include "sip.h"

/* An INVITE (initial or re-INVITE, or a retransmission of one); takes m. */
void txn_invite_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m);
/* True when m is the ACK of a non-2xx final we sent (hop by hop: absorbed); m stays the caller's. */
bool txn_invite_ack(struct sp *sp, const struct sip_msg *m);
/*
 * The initial INVITE of call_id still running here is ended by the SBC (an operator's
 * hang-up of a ringing call): its branch CANCELled, status upstream (phrase: NULL for the
 * usual one) with the extra header lines, the call failed with reason. False when no such
 * transaction is here.
 */
bool txn_invite_abort(struct sp *sp, const char *call_id, int status, const char *phrase,
    const char *extra, const char *reason);
/* A CANCEL: 200 or 481 to it, 487 to the INVITE; m stays the caller's. */
void txn_invite_cancel(struct sp *sp, const struct sp_src *src, struct sip_msg *m);
/* True when m answers one of our INVITE branches (or our CANCEL); m stays the caller's. */
bool txn_invite_response(struct sp *sp, struct sip_msg *m);
/* An outbound stream failed to connect (err from closeh): its branches fail over now. */
void txn_invite_conn_failed(struct sp *sp, struct tp_conn *conn, int err);
void txn_invite_free_all(struct sp *sp);

/* A non-INVITE request (BYE, UPDATE, OPTIONS, INFO...) to forward; takes m. */
void txn_nit_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m);
/* True when m answers a non-INVITE request we forwarded; m stays the caller's. */
bool txn_nit_response(struct sp *sp, struct sip_msg *m);
void txn_nit_free_all(struct sp *sp);
/*
 * RFC 3261 §16.7 step 1: a response without a transaction but with our Via on top (another
 * instance forwarded the request, the peer answered us) goes on statelessly to the next
 * Via: without a body (an SDP would pass mediad by), with a hidden side's edits. 0 when sent.
 */
int txn_response_stateless(struct sp *sp, const struct sp_src *src, const struct sip_msg *m);
/* An ACK for a 2xx (end to end): forwarded along the dialog, a late answer through mediad; takes m. */
void txn_ack_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m);

#endif
