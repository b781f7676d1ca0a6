/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside of the transaction part. The INVITE transaction is layered, each file calling
 * only those above it in this list:
 *   invite_server.c    the server transaction: the object, answers upstream, best response
 *   invite_branch.c    client branches towards targets, failover, timers
 *   invite_request.c   INVITE and CANCEL in, the offer to mediad, the first branch
 *   invite_response.c  responses from branches: failover, 2xx and 18x through mediad
 * Non-INVITE: nit.c (forwarding, the transaction, responses) under nit_request.c.
 */
#ifndef SBC_SIGPROXY_TXN_INT_H
#define SBC_SIGPROXY_TXN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "dialog.h"
#include "health.h"
#include "media.h"
#include "route.h"
#include "send.h"
#include "sigproxy.h"
#include "sip.h"
#include "txn.h"

#define TXN_LINGER_MS	32000u	/* RFC 3261 Timer H/J: absorb retransmissions and ACKs */

enum txn_state {
	TXN_MEDIA = 0,		/* waiting for mediad before the first branch */
	TXN_CALLING,		/* a branch is out */
	TXN_ANSWERING,		/* 2xx in, waiting for mediad's answer */
	TXN_DONE,		/* final sent upstream; lingering */
};

struct branch {
	char id[SIP_BRANCH_SIZE];
	char *sent_raw;		/* the INVITE as forwarded (owned), for CANCEL and ACK */
	size_t sent_len;
	struct sip_msg *sent;	/* sent_raw parsed, on first use only (most calls never need it) */
	enum tp_proto tp;
	struct sa dst;
	char host[256];
	struct tp_conn *conn;	/* stream it went out on (ref), NULL for UDP; closeh matches it */
	bool provisional;
	bool cancelled;
	bool failed;		/* connection refused or handshake failed: no CANCEL, no ACK */
};

struct sp_txn {
	struct sp_txn *next;
	struct sp *sp;
	struct sip_msg *req;
	char in_branch[SP_ID_MAX];
	char call_id[SP_CALL_ID_MAX];
	struct sp_src src;
	enum sp_side in_side, out_side;
	bool in_dialog;
	const struct route_rule *rule;
	char user[ROUTE_USER_MAX];
	unsigned next_target;
	struct branch br[ROUTE_TARGETS_MAX + 1];
	unsigned nbr;
	enum txn_state state;	/* changed by txn_enter_state() only */
	bool cancelled;
	bool late_offer;	/* INVITE without SDP */
	bool offer_retried;	/* a second mediad was asked after the first failed */
	char *offer;		/* SDP for the targets (mediad's) */
	size_t offer_len;
	bool offer_keys;	/* it carries SDES keys: TLS only where the side says so */
	int best_status;
	char *best;		/* raw best final response so far */
	size_t best_len;
	char *last;		/* last response sent upstream */
	size_t last_len;
	int last_status;
	struct sip_msg *answer_2xx;	/* 2xx waiting for mediad */
	struct sip_msg *early;		/* 18x with SDP waiting for mediad */
	struct media_op *mop;
	struct event *timer;	/* failover, answer timeout or Timer C, then lingering */
	uint64_t answer_by;	/* mono ms: no final by then cancels the live branch; 0: none */
	uint64_t timer_c_by;	/* mono ms: Timer C of the live branch, moved by each 1xx */
};

/* invite_server.c */
typedef void (txn_timer_h)(evutil_socket_t fd, short what, void *arg);
/*
 * A server transaction for the INVITE m (taken) from src, in state media, hashed by
 * Call-ID; its timer calls timerh with the transaction. 0 or ENOMEM (m stays the caller's).
 */
int txn_new(struct sp *sp, const struct sp_src *src, struct sip_msg *m, txn_timer_h *timerh,
    struct sp_txn **tp);
void txn_free(struct sp_txn *t);
struct sp_txn *txn_find(struct sp *sp, const char *branch, const char *call_id);
/* Every state change; logs old -> new at debug. */
void txn_enter_state(struct sp_txn *t, enum txn_state s);
void txn_timer_set(struct sp_txn *t, unsigned ms);
void txn_timer_stop(struct sp_txn *t);
/* A response upstream (kept as the last, for retransmissions), counted. */
void txn_upstream_send(struct sp_txn *t, const char *buf, size_t len, int status);
/* Our own response upstream. */
void txn_upstream_reply(struct sp_txn *t, int status, const char *reason, const char *extra);
/* An initial INVITE that fails ends its call (media deleted, record closed). */
void txn_call_fail(struct sp_txn *t, const char *reason);
/* The transaction is over upstream: it lingers for retransmissions. */
void txn_done(struct sp_txn *t);
/* Our own final upstream, the call failed, done. */
void txn_final_local(struct sp_txn *t, int status, const char *reason, const char *why);
/* §16.7: keeps the best final response from the targets (m) or a local failure (status). */
void txn_best_consider(struct sp_txn *t, const struct sip_msg *m, int status);
void txn_best_local(struct sp_txn *t, int status);
/* All targets failed: the best final upstream, the call failed, done. */
void txn_send_best(struct sp_txn *t);

/* invite_branch.c */
/* The timer of every INVITE transaction (txn_new's timerh): lingering, failover, Timer C. */
void txn_invite_timer(evutil_socket_t fd, short what, void *arg);
struct branch *txn_branch_find(struct sp *sp, const char *id, const char *call_id,
    struct sp_txn **tp);
/* A new branch to dst (tg: the route target, NULL in dialog); 0 or an errno. */
int txn_branch_start(struct sp_txn *t, enum tp_proto tp, const struct sa *dst,
    const char *host, const struct route_target *tg);
/* A provisional response on the live branch b: the answer timeout (first) and Timer C run. */
void txn_branch_provisional(struct sp_txn *t, struct branch *b);
void txn_branch_cancel(struct sp_txn *t, struct branch *b);
/* ACK of a non-2xx final on b (hop by hop). */
void txn_branch_ack(struct sp_txn *t, struct branch *b, const struct sip_msg *resp);
/* ACK and BYE to the callee for a 2xx resp on b we cannot accept; best effort. */
void txn_branch_bye(struct sp_txn *t, struct branch *b, const struct sip_msg *resp);
/* The next usable target of the rule, or the best final when none is left. */
void txn_try_next(struct sp_txn *t);
/* Logs and counts an offer whose keys may not go over tp (target: its URI, or NULL). */
void txn_keys_refused(struct sp_txn *t, enum tp_proto tp, const char *target);

/* nit.c */
/*
 * Sends m (taken) on along its Route set (body replaced when body != NULL) and makes
 * its transaction, unless m is an ACK; refusals and failures are answered upstream.
 */
void txn_nit_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m,
    const char *body, size_t body_len);
/* True when m retransmits a request we hold (answered again or passed on); m stays the caller's. */
bool txn_nit_retransmit(struct sp *sp, const struct sip_msg *m);

#endif
