/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's dialog part, its one interface: the calls this instance knows, their state
 * machine (dialog.c), their records sbc:call:<call-id> in Redis, readable with redis-cli,
 * and the live-calls index sbc:calls (dialog_record.c, under dialog.c; the fields beyond
 * the dialog in dialog_fields.c), who calls whom over what (dialog_parties.c), and which
 * leg an in-dialog request belongs to (dialog_match.c).
 */
#ifndef SBC_SIGPROXY_DIALOG_H
#define SBC_SIGPROXY_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sigproxy.h"

struct ng_leg;
struct sip_msg;

#define SP_URI_MAX	512	/* bytes with NUL of a stored remote target */
#define SP_LEG_CALL_ID_MAX 48	/* bytes with NUL of a Call-ID the SBC makes for a leg */
#define SP_LEG_CALL_ID_PREFIX "sbcleg-"	/* how such a Call-ID starts */
#define SP_RSET_MAX	1024	/* bytes with NUL of a stored route set */
#define SP_PARTY_MAX	256	/* bytes with NUL of a stored From/To URI (longer ones are cut) */

enum sp_call_state {
	SP_CALL_SETUP = 0,
	SP_CALL_EARLY,
	SP_CALL_ANSWERED,
	SP_CALL_ENDED,
};

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
	/*
	 * Per leg (0 caller, 1 callee), owned, NULL while unknown: its remote target (the
	 * Contact URI of its INVITE or 2xx) and the route set from us towards it
	 * ("<e1>, <e2>", nearest first). In-dialog requests go only there.
	 */
	char *remote[2];
	char *rset[2];
	/*
	 * The Call-ID the callee's leg carries when the SBC made it one of its own
	 * ([dialog] call_id_replace); "" when both legs carry call_id. Linked into
	 * sp->aliases by it.
	 */
	char callee_call_id[SP_LEG_CALL_ID_MAX];
	struct sp_call *alias_next;
	bool loaded;			/* read from the record another instance wrote: a copy,
					 * read again for each request, forgotten when idle */
	uint64_t touched;		/* ms (monotonic) of the last use of a loaded copy */
	uint32_t srtp_offered[SP_NSIDES];	/* per sender side, last offer: bit i = m= line i
						 * offered as SRTP (the answer must keep it so) */
	bool late_offer;		/* offer came in a 2xx, answer due in the ACK */
	char late_branch[SP_ID_MAX];	/* via-branch of that offer, repeated in the answer */
	/* Who calls whom, from the caller's INVITE (raw network bytes: escape to print) */
	char caller[SP_PARTY_MAX];	/* From URI (user %-decoded; "" when unknown) */
	char callee[SP_PARTY_MAX];	/* To URI */
	char ruri_user[128];		/* user part of the Request-URI as received */
	char source[SA_STRLEN];		/* the caller's address:port */
	struct sp_leg_tls tls[2];	/* per leg */
	/*
	 * Per leg: the highest CSeq it sent that passed the border, and what is added to the
	 * CSeq of requests forwarded to it once the SBC sent it requests of its own (so that
	 * leg only ever sees its peer's CSeq grow; dialog_uac.c).
	 */
	uint32_t cseq[2];
	uint32_t cseq_shift[2];
	enum sp_call_state state;
	int64_t start, answered, ended;
	char end_reason[64];
	uint64_t stored_conn;		/* Redis connection (its connects count) that got the last
					 * whole record; 0 = none: the next write is whole */
	struct route_slot admit;	/* call admission held (a new call of this instance);
					 * given back when the call is freed */
	const struct ng_leg *end_media;	/* borrowed during dialog_end(): the media summary */
};

/* ---- dialog.c: the calls in memory ---- */

const char *dialog_state_name(enum sp_call_state s);
/* A new call in state setup, owned by sp. Returns 0, EINVAL (ids too long) or ENOMEM. */
int dialog_create(struct sp *sp, struct sp_call **cp, const char *call_id, const char *from_tag);
struct sp_call *dialog_find(struct sp *sp, const char *call_id);
/* Frees c (unlinked) without touching its record. */
void dialog_forget(struct sp *sp, struct sp_call *c);
/*
 * Takes c out of the calls this instance finds, by either Call-ID (an ending call waits
 * for mediad's last word); dialog_end() or dialog_forget() still frees it.
 */
void dialog_detach(struct sp *sp, struct sp_call *c);
void dialog_free_all(struct sp *sp);
/* A loaded copy was used now. */
void dialog_touch(struct sp_call *c);
/*
 * The callee's leg carries call_id, a Call-ID the SBC made (see callee_call_id): the
 * call is found by it too. 0 or EINVAL (too long, or the leg has one already).
 */
int dialog_set_callee_call_id(struct sp *sp, struct sp_call *c, const char *call_id);
/* The call whose callee's leg carries call_id; NULL when none here. */
struct sp_call *dialog_find_alias(struct sp *sp, const char *call_id);
/* The Call-ID leg (0 caller, 1 callee) carries. */
const char *dialog_leg_call_id(const struct sp_call *c, unsigned leg);
/*
 * Forgets loaded copies unused for idle_ms (calls another instance set up and that
 * may have ended there); returns how many. Their records stay.
 */
unsigned dialog_forget_idle(struct sp *sp, uint64_t idle_ms);

/* ---- dialog_record.c: the records sbc:call:<call-id> ---- */

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
 * Reads the call's record; h gets the call (owned by sp) or NULL (no record, or an
 * ended one). A loaded copy already here is read again; one set up here is not. When
 * Redis fails, h gets what memory holds. 0 or an errno (h not called).
 */
typedef void (dialog_lookup_h)(struct sp_call *c, void *arg);
int dialog_lookup(struct sp *sp, const char *call_id, dialog_lookup_h *h, void *arg);
/*
 * The call a Call-ID the SBC made for a callee's leg belongs to, from Redis (the key
 * sbc:cid:<alias> written with the call's record): h gets the call's own Call-ID (valid
 * during the call) or NULL. 0 or an errno (h not called).
 */
typedef void (dialog_alias_h)(const char *call_id, void *arg);
int dialog_lookup_alias(struct sp *sp, const char *alias, dialog_alias_h *h, void *arg);

/* ---- dialog.c: changes, each through one function ---- */

/* Every state change; logs old -> new at debug. */
void dialog_enter_state(struct sp_call *c, enum sp_call_state s);
/* Answered with the callee's tag: state answered, answer time now. */
void dialog_set_answered(struct sp_call *c, const char *to_tag);
/* A provisional with the callee's tag before any answer: state early, that tag. */
void dialog_set_early(struct sp_call *c, const char *to_tag);
/*
 * Leg's remote target and route set (either NULL: kept), copied. 0, EINVAL (longer
 * than SP_URI_MAX or SP_RSET_MAX) or ENOMEM; nothing changes on error.
 */
int dialog_set_remote(struct sp_call *c, unsigned leg, const char *target, const char *rset);
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
 * Request-URI user, source address, CSeq, and the TLS facts of conn.
 */
void dialog_set_caller(struct sp_call *c, const struct sip_msg *m, const struct sa *src,
    struct tp_conn *conn);
/* The callee's 2xx resp came over conn (the stream the INVITE went out on, NULL for UDP). */
void dialog_set_callee_conn(struct sp_call *c, struct tp_conn *conn);
/* "2026-01-31T12:34:56Z" of epoch seconds t into buf (24 bytes); "" for t <= 0. */
void dialog_time_iso(int64_t t, char *buf, size_t size);

/* ---- dialog_uac.c: the CSeqs per leg, for requests of the SBC's own ---- */

/*
 * A request from leg with CSeq cseq passed the border: the leg's highest CSeq, written
 * to the record when it grew on an answered call (so any instance can speak after it).
 */
void dialog_note_cseq(struct sp *sp, struct sp_call *c, unsigned leg, uint32_t cseq);
/* The CSeq a request with cseq carries when forwarded to leg (0: unchanged). */
uint32_t dialog_cseq_to(const struct sp_call *c, unsigned leg, uint32_t cseq);
/*
 * The CSeq to write on a response from leg to a request that went there with cseq (0:
 * unchanged): the number its sender wrote.
 */
uint32_t dialog_cseq_from(const struct sp_call *c, unsigned leg, uint32_t cseq);
/*
 * The CSeq of a new request of the SBC's own to leg, in the other party's name: above
 * any the leg has seen in the dialog; later requests forwarded to it follow on (the
 * shift grows, written to the record). 0 when the space is used up (2^31).
 */
uint32_t dialog_cseq_next(struct sp *sp, struct sp_call *c, unsigned leg);
/* URI of leg's party (0: From of the caller's INVITE, 1: its To); NULL when unknown. */
const char *dialog_party_uri(const struct sp_call *c, unsigned leg);
/*
 * The record fields of dialog_uac.c: name/value pairs appended to argv (at most 6),
 * "owner" (instance: the one that set the call up and holds its connections) unless c is
 * a copy of another instance's call, and each leg's CSeq shift.
 */
unsigned dialog_uac_fields(const struct sp_call *c, const char *instance, const char **argv,
    char num[2][16]);
/* One record field into c when it is one of dialog_uac.c's: true when taken. */
bool dialog_uac_field_read(struct sp_call *c, const char *k, const char *v);

/* Leg index (0 caller, 1 callee) of the party on side s. */
unsigned dialog_leg(const struct sp_call *c, enum sp_side s);
/* The caller's own stream when a request goes to the caller's side (c may be NULL), else NULL. */
struct tp_conn *dialog_conn_back(const struct sp_call *c, enum sp_side side);

/* ---- dialog_match.c: which leg a request comes from, where a request to a leg goes ---- */

enum dialog_refusal {
	DIALOG_MATCH = 0,
	DIALOG_TAGS,		/* the Call-ID's, but the tags of neither leg */
	DIALOG_SIDE,		/* a leg's tags, arriving on the other leg's side */
	DIALOG_NO_TARGET,	/* the other leg's remote target is unknown */
};
const char *dialog_refusal_name(enum dialog_refusal r);
/*
 * The leg (0 caller, 1 callee) that sent a request with these tags (either may be
 * NULL) arriving on side s: from-tag and to-tag as the caller has them, or swapped
 * for the callee, on that leg's side. DIALOG_MATCH with *legp, or why not.
 */
enum dialog_refusal dialog_match(const struct sp_call *c, const char *from_tag,
    const char *to_tag, enum sp_side s, unsigned *legp);
/*
 * Where a request to leg goes next: the first entry of its route set, else its
 * remote target. 0 with *tp and *dst, ENOENT (unknown) or as sip_text_dest.
 */
int dialog_next_hop(const struct sp_call *c, unsigned leg, enum tp_proto *tp, struct sa *dst);

#endif
