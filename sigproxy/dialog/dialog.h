/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's dialog part, its one interface: the calls this instance knows, their state
 * machine and their records sbc:call:<call-id> in Redis (readable with redis-cli).
 */
#ifndef SBC_SIGPROXY_DIALOG_H
#define SBC_SIGPROXY_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sigproxy.h"

struct ng_leg;
struct sip_msg;

enum sp_call_state {
	SP_CALL_SETUP = 0,
	SP_CALL_EARLY,
	SP_CALL_ANSWERED,
	SP_CALL_ENDED,
};

#define SP_PARTY_MAX 256	/* bytes with NUL of a stored URI (longer ones are cut) */

/* TLS facts of a leg's connection when the call was set up; all "" when not TLS. */
struct sp_leg_tls {
	char version[16];	/* "TLSv1.3" */
	char cipher[64];
	char cert_sha256[96];	/* the peer's certificate (mutual TLS, or the server's) */
};

/*
 * A call. Other parts read its fields; they change them only through the
 * dialog_* functions below, so every change of state goes through
 * dialog_enter_state() and the record stays what the call is.
 */
struct sp_call {
	struct sp_call *next;
	char call_id[SP_CALL_ID_MAX];
	char from_tag[SP_ID_MAX];	/* caller's tag */
	char to_tag[SP_ID_MAX];		/* callee's tag, "" until answered */
	char route[64];
	char target[256];
	char mediad_id[64];
	struct sa mediad_ng;
	bool has_mediad;
	enum sp_side side[2];		/* [0] caller's side, [1] callee's side */
	char transport[2][8];
	char crypto[2][64];
	struct tp_conn *caller_conn;	/* stream the INVITE came on (ref): requests to the
					 * caller reuse it */
	uint32_t srtp_offered[SP_NSIDES];	/* per sender side, last offer: bit i = m= line i
						 * offered as SRTP (the answer must keep it so) */
	bool late_offer;		/* offer came in a 2xx, answer due in the ACK */
	char late_branch[SP_ID_MAX];	/* via-branch of that offer, repeated in the answer */
	/* Who calls whom, from the caller's INVITE (raw network bytes: escape to print) */
	char caller[SP_PARTY_MAX];	/* From URI */
	char callee[SP_PARTY_MAX];	/* To URI */
	char ruri_user[128];		/* user part of the Request-URI as received */
	char source[SA_STRLEN];		/* the caller's address:port */
	struct sp_leg_tls tls[2];	/* per leg */
	char contact[2][SP_PARTY_MAX];	/* per leg: its Contact URI ("" unknown) */
	uint32_t cseq[2];		/* per leg: the highest CSeq it sent that we saw */
	enum sp_call_state state;
	int64_t start, answered, ended;
	char end_reason[64];
	uint64_t stored_conn;		/* Redis connection (its connects count) that got the last
					 * whole record; 0 = none: the next write is whole */
	const struct ng_leg *end_media;	/* borrowed during dialog_end(): the media summary */
};

const char *dialog_state_name(enum sp_call_state s);
/* A new call in state setup, owned by sp. Returns 0, EINVAL (ids too long) or ENOMEM. */
int dialog_create(struct sp *sp, struct sp_call **cp, const char *call_id, const char *from_tag);
struct sp_call *dialog_find(struct sp *sp, const char *call_id);
/* Writes the record (best effort: nothing waits for Redis). */
void dialog_write(struct sp *sp, struct sp_call *c);
/*
 * Writes every call's record whole (Redis is back: it may have restarted empty, or be
 * a new master). Returns how many.
 */
unsigned dialog_resync(struct sp *sp);
/*
 * Ends the call: state ended, record written with reason and the media summary of each
 * leg (media[0] caller, media[1] callee; NULL: mediad did not say), the call out of the
 * live-calls index sbc:calls, c freed (whether or not dialog_detach() came first).
 */
void dialog_end(struct sp *sp, struct sp_call *c, const char *reason, const struct ng_leg *media);
/* State ended, end time now, reason: what dialog_end writes (it stamps an unstamped call). */
void dialog_stamp_end(struct sp_call *c, const char *reason);
/*
 * Takes c out of the calls this instance finds (an ending call waits for mediad's last
 * word); dialog_end() still ends and frees it.
 */
void dialog_detach(struct sp *sp, struct sp_call *c);
void dialog_free_all(struct sp *sp);
/* Looks the call up in Redis; h gets the call (owned by sp) or NULL. 0 or an errno (h not called). */
typedef void (dialog_lookup_h)(struct sp_call *c, void *arg);
int dialog_lookup(struct sp *sp, const char *call_id, dialog_lookup_h *h, void *arg);

/* Every state change; logs old -> new at debug. */
void dialog_enter_state(struct sp_call *c, enum sp_call_state s);
/* Answered with the callee's tag: state answered, answer time now. */
void dialog_set_answered(struct sp_call *c, const char *to_tag);
/*
 * The legs of a new call: caller's and callee's side, the stream the caller's INVITE
 * came on (NULL for UDP; c takes a reference) and its transport.
 */
void dialog_set_legs(struct sp_call *c, enum sp_side caller, enum sp_side callee,
    struct tp_conn *caller_conn, enum tp_proto caller_tp);
void dialog_set_route(struct sp_call *c, const char *route);
/* The target tried now: its URI and transport. */
void dialog_set_target(struct sp_call *c, const char *uri, enum tp_proto tp);
/* An offer in a 2xx: the answer is due in the ACK, with this via-branch. */
void dialog_set_late_offer(struct sp_call *c, const char *branch);
void dialog_clear_late_offer(struct sp_call *c);
void dialog_set_mediad(struct sp_call *c, const char *id, const struct sa *ng);
/* The call holds no media on its mediad (deleted, or a new call that may move). */
void dialog_forget_mediad(struct sp_call *c);
/* SRTP suite of a leg ("none": plain RTP). */
void dialog_set_crypto(struct sp_call *c, unsigned leg, const char *suite);
/* The m= lines (bit i: line i) the last offer from side sender made as SRTP. */
void dialog_set_srtp_offered(struct sp_call *c, enum sp_side sender, uint32_t lines);

/* ---- dialog_parties.c: who calls whom, over what ---- */

/*
 * The caller's INVITE m from src (conn: its stream, NULL for UDP): From and To URIs, the
 * Request-URI user, source address, Contact, CSeq, and the TLS facts of conn.
 */
void dialog_set_caller(struct sp_call *c, const struct sip_msg *m, const struct sa *src,
    struct tp_conn *conn);
/* The callee's 2xx resp (conn: the stream the INVITE went out on, NULL for UDP). */
void dialog_set_callee(struct sp_call *c, const struct sip_msg *resp, struct tp_conn *conn);
/* A request from leg with CSeq cseq passed: requests we send as the other party must be higher. */
void dialog_note_cseq(struct sp_call *c, unsigned leg, uint32_t cseq);
/* "2026-01-31T12:34:56Z" of epoch seconds t into buf (24 bytes); "" for t <= 0. */
void dialog_time_iso(int64_t t, char *buf, size_t size);

/* Leg index (0 caller, 1 callee) of the party on side s. */
unsigned dialog_leg(const struct sp_call *c, enum sp_side s);
/* The side a request from side s goes to. */
enum sp_side dialog_peer_side(const struct sp_call *c, enum sp_side s);
/* The caller's own stream when a request goes to the caller's side (c may be NULL), else NULL. */
struct tp_conn *dialog_conn_back(const struct sp_call *c, enum sp_side side);

#endif
