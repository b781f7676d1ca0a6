/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside of the transaction part. The INVITE transaction is layered, each file calling
 * only those above it in this list:
 *   in_dialog.c        the border check of in-dialog requests (under every file below)
 *   hide.c             topology hiding and dialog routing as message edits (likewise)
 *   invite_server.c    the server transaction: the object, answers upstream, best response
 *   invite_branch.c    client branches towards targets, failover, timers
 *   invite_request.c   INVITE and CANCEL in, the offer to mediad, the first branch
 *   invite_response.c  responses from branches: failover, 2xx and 18x through mediad
 * Non-INVITE: nit.c (forwarding, the transaction, responses) under nit_request.c.
 * Responses of no transaction here: stateless.c.
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
	unsigned leg;		/* in dialog: the sender's leg (0 caller, 1 callee) */
	char *vias;		/* req's Via lines when they went on hidden (owned) */
	char *rr_lines;		/* req's Record-Route lines, likewise */
	const struct route_rule *rule;
	char user[ROUTE_USER_MAX];
	unsigned next_target;
	struct branch br[ROUTE_TARGETS_MAX + 1];
	unsigned nbr;
	enum txn_state state;	/* changed by txn_enter_state() only */
	bool cancelled;
	bool late_offer;	/* INVITE without SDP */
	bool offer_retried;	/* a second mediad was asked after the first failed */
	char *offer;		/* body for the targets: mediad's SDP (in a multipart) */
	size_t offer_len;
	const char *offer_ctype;	/* its Content-Type (static, or owned by req) */
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
	bool admit_refused;	/* a target was skipped for its call limit ... */
	enum route_refusal admit_why;	/* ... this one, */
	unsigned admit_retry;	/* ... free again in this many seconds (0: unknown) */
	uint64_t start_us;	/* time_mono_us() when the INVITE arrived: call setup time */
};

/* in_dialog.c */
/*
 * h gets the call an in-dialog request belongs to and the sender's leg with status 0,
 * or (c NULL) the status to refuse it with, the refusal already counted and logged:
 * nothing of any call changed. Called once, now or after the call's record was read
 * from Redis; src and m must stay valid until then (the caller holds them).
 */
typedef void (txn_dialog_h)(struct sp_call *c, unsigned leg, int status, void *arg);
/*
 * The check: a call known here or in Redis with m's Call-ID, m's From and To tags
 * those of one leg (either direction), m arriving on that leg's side, and m's own
 * next hop either us or the dialog's next hop towards the other leg.
 */
void txn_dialog_check(struct sp *sp, const struct sp_src *src, const struct sip_msg *m,
    txn_dialog_h *h, void *arg);
/* Counts a refusal of m and logs it (at most once per source every 10 s); returns status. */
int txn_refuse_note(struct sp *sp, const struct sp_src *src, const struct sip_msg *m,
    enum sp_refusal why, int status);

/* hide.c */
/* Who a response relayed upstream goes to, for the topology hiding edits. */
struct txn_upstream {
	enum sp_side up, down;		/* the request came from up and went to down */
	const struct sp_listener *lsnr;	/* the listener it came in on */
	bool initial;			/* a dialog-forming INVITE (Record-Routed) */
	const char *vias;		/* its Via lines when it went on without them */
	const char *rr_lines;		/* its Record-Route lines, likewise */
	const char *call_id;		/* the Call-ID it came with (the leg up's) */
	uint32_t cseq;			/* the CSeq it came with when it went on with
					 * another (dialog_cseq_to); 0: none */
};
/* Whether messages towards side s hide the other side ([dialog] topology_hiding_*). */
bool txn_hides(const struct sp *sp, enum sp_side s);
/* Our Contact URI for a message leaving on listener l over tp: "sip:sbc@host:port;transport=tp". */
void txn_contact_self(const struct sp_listener *l, enum tp_proto tp, char *buf, size_t size);
/*
 * f hides the side of out: only our Via and our outgoing Record-Route entry, no
 * received Record-Route, our Contact (written into contact[size], which f points at).
 */
void txn_hide_request(const struct sp_listener *out, enum tp_proto tp, struct sip_fwd *f,
    char *contact, size_t size);
/* f carries the Request-URI and Route set the record has for to_leg (c outlives f). */
void txn_dialog_route(const struct sp_call *c, unsigned to_leg, struct sip_fwd *f);
/* r's edits for a response relayed to u->up (contact: room for our Contact, r points at it). */
void txn_hide_response(struct sp *sp, const struct txn_upstream *u, struct sip_relay *r,
    char *contact, size_t size);
/* The response m relayed upstream per u, body replaced when body != NULL, into sp->buf. */
int txn_relay_build(struct sp *sp, const struct txn_upstream *u, const struct sip_msg *m,
    const char *body, size_t body_len, const char *ctype, size_t *len);
/* A dialog-forming message from leg: its remote target and route set into the call. */
void txn_learn_remote(struct sp *sp, struct sp_call *c, unsigned leg, const struct sip_msg *m);
/*
 * The Call-ID to write on a message to leg of c when its legs carry different ones
 * (sip_fwd.call_id, sip_relay.call_id); NULL when they do not (c may be NULL).
 */
const char *txn_leg_call_id(const struct sp_call *c, unsigned leg);
/* With [dialog] call_id_replace, a Call-ID of ours for c's callee leg (once). 0 or an errno. */
int txn_leg_call_id_make(struct sp *sp, struct sp_call *c);
/* A target refresh from leg (re-INVITE, UPDATE or their 2xx): its Contact; true when changed. */
bool txn_refresh_target(struct sp_call *c, unsigned leg, const struct sip_msg *m);

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
/* The response m relayed upstream by t (body replaced when body != NULL) into t->sp->buf. */
int txn_upstream_build(struct sp_txn *t, const struct sip_msg *m, const char *body,
    size_t body_len, const char *ctype, size_t *len);
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
/* The same with extra header lines (CRLF-terminated, may be NULL): a Warning for a 488. */
void txn_final_extra(struct sp_txn *t, int status, const char *extra, const char *why);
/*
 * The request cannot be forwarded at all: with our Via and Record-Route it is over what
 * a UDP datagram (or our build buffer) holds. 513 (RFC 3261 §21.5.9) with a Warning.
 */
void txn_final_too_large(struct sp_txn *t);
/*
 * Whether an INVITE or UPDATE m from src has a body the proxy can take: none, SDP, or a
 * multipart with one SDP part (counted as tolerated). Otherwise answers 415 with Accept
 * (and Accept-Encoding), counts and logs it, and returns false; m stays the caller's.
 */
bool txn_body_acceptable(struct sp *sp, const struct sp_src *src, const struct sip_msg *m);
/* §16.7: keeps the best final response from the targets (m) or a local failure (status). */
void txn_best_consider(struct sp_txn *t, const struct sip_msg *m, int status);
void txn_best_local(struct sp_txn *t, int status);
/* All targets failed: the best final upstream, the call failed, done. */
void txn_send_best(struct sp_txn *t);
/*
 * Call admission said no. Before a transaction (the route's limit): 503 with Retry-After
 * to m (taken), counted. In one (every target at its limit): the same upstream, done.
 */
void txn_admit_refuse(struct sp *sp, const struct sp_src *src, struct sip_msg *m,
    const char *route, enum route_refusal why, unsigned retry_s);
void txn_final_admit(struct sp_txn *t);

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
 * Sends m (taken), a request of call c from leg, to the other leg along the dialog
 * (body replaced when body != NULL) and makes its transaction, unless m is an ACK;
 * failures are answered upstream. Returns 0 when m went out, else an errno.
 */
int txn_nit_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m,
    struct sp_call *c, unsigned leg, const char *body, size_t body_len);
/* True when m retransmits a request we hold (answered again or passed on); m stays the caller's. */
bool txn_nit_retransmit(struct sp *sp, const struct sip_msg *m);

#endif
