/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's media part, its one interface: the ng client, the mediads it may use, the
 * encryption policy, and a call's offer, answer and delete through its mediad.
 */
#ifndef SBC_SIGPROXY_MEDIA_H
#define SBC_SIGPROXY_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "sigproxy.h"
#include "transport.h"	/* enum tp_proto */

struct event_base;
struct bencode_arena;
struct bencode_item;
struct ng_client;
struct mediad_pool;
struct sp_call;

/* ---- ng_client.c: asynchronous ng requests over UDP with retries matched by cookie ---- */

struct ng_req;
/* reply is the decoded dict (valid during the call) or NULL after the last timeout. */
typedef void (ng_reply_h)(const struct bencode_item *reply, void *arg);
int ng_client_alloc(struct ng_client **ncp, struct event_base *base, const char *instance,
    unsigned timeout_ms, unsigned retries);
void ng_client_free(struct ng_client *nc);
/* Round trips (first send to reply, retries included) go into h (borrowed; NULL: none). */
void ng_client_set_rtt(struct ng_client *nc, struct metrics_hist *h);
/* Sends dict (encoded now) to dst; h is called exactly once unless ng_req_cancel(). */
int ng_client_send(struct ng_client *nc, const struct sa *dst, const struct bencode_item *dict,
    ng_reply_h *h, void *arg, struct ng_req **reqp);
void ng_req_cancel(struct ng_req *r);
/* Formats the cookie the client will use next into buf (for tests); returns its length. */
size_t ng_client_cookie(struct ng_client *nc, char *buf, size_t size);
struct ng_client_stats {
	uint64_t sent, retransmits, timeouts, replies, stray;
};
void ng_client_stats(const struct ng_client *nc, struct ng_client_stats *out);

/* ---- mediad_pool.c: healthy mediads from Redis (or a static one), chosen by load ---- */

struct mediad_entry {
	char id[64];
	struct sa ng;
	unsigned load;
	bool up;
	unsigned ok_streak;	/* successful pings while down */
	bool seen;		/* in the last registry scan */
	bool ping_pending;
	struct ng_req *ping_req;	/* the ping out (its retransmissions), NULL when none */
	void *ping_ctx;			/* its context, freed with it when cancelled */
	bool draining;		/* drained ("drain" in its registration): no new calls */
	bool lost;		/* silent for mediad_dead_ms: its calls were handed on */
	uint64_t last_ok_ms;	/* mono: its last ng answer (or when it was added) */
};
/*
 * A mediad was lost (no ng answer for [media] mediad_dead_ms; drained false), or was
 * drained (drained true). Registered from above (the move part), called from the pool's
 * timer: what happens to the mediad's calls is the handler's.
 */
typedef void (mediad_lost_h)(const char *id, bool drained, void *arg);
int mediad_pool_alloc(struct mediad_pool **pp, struct sp *sp);
void mediad_pool_free(struct mediad_pool *p);
/* Adds or updates an entry (registry scan, static config, tests). */
int mediad_pool_update(struct mediad_pool *p, const char *id, const struct sa *ng, unsigned load);
/* The up entry with the lowest load; ENOENT when none. */
int mediad_pool_choose(struct mediad_pool *p, struct mediad_entry **ep);
struct mediad_entry *mediad_pool_find(struct mediad_pool *p, const char *id);
void mediad_pool_mark_down(struct mediad_pool *p, const char *id);
/* A successful ping/reply: up again after cfg.mediad_up_after in a row. */
void mediad_pool_mark_ok(struct mediad_pool *p, const char *id);
/* Mediads a new call may go to: up and not drained. */
unsigned mediad_pool_up_count(const struct mediad_pool *p);
void mediad_pool_set_lost_h(struct mediad_pool *p, mediad_lost_h *h, void *arg);
/*
 * Drained (on) or not: a drained mediad gets no new call. Read from the registration's
 * "drain" field at every refresh, and set at once when an operator request says so (by:
 * who asked, for the log). An unknown id is ignored.
 */
void mediad_pool_set_drain(struct mediad_pool *p, const char *id, bool on, const char *by);
/* Whether id may take a moved call now: up, not drained, not lost. */
bool mediad_pool_usable(struct mediad_pool *p, const char *id);
/* Entries that come from a registration in Redis (the static one excluded). */
unsigned mediad_pool_registered_count(const struct mediad_pool *p);

/* ---- media_sdp.c: what an SDP carries per m= line; refusing lines ---- */

#define MEDIA_MAX_LINES 32	/* m= lines looked at; an SDP with more is refused */

/* One m= line as the policy sees it. */
struct sdp_line_info {
	bool rtp;		/* an RTP profile: RTP/AVP(F), RTP/SAVP(F), UDP/TLS/RTP/SAVP(F) */
	bool savp;		/* a secure one: RTP/SAVP(F), UDP/TLS/RTP/SAVP(F) */
	bool crypto;		/* an a=crypto line with a suite we support */
	bool disabled;		/* port 0: carries nothing */
};

struct sdp_info {
	unsigned nmedia;
	bool too_many;		/* more than MEDIA_MAX_LINES m= lines */
	bool keys;		/* some a=crypto line, usable or not: SDES keys travel in it */
	char suite[64];		/* first supported suite, "" when none */
	struct sdp_line_info m[MEDIA_MAX_LINES];
};
void policy_sdp_scan(const char *sdp, size_t len, struct sdp_info *out);
/* Whether an SDP carries an a=crypto line (SDES keys). */
bool policy_sdp_has_keys(const char *sdp, size_t len);
/*
 * A copy of sdp where the m= lines in reject (bit i: line i, 0-based) get port 0 and lose
 * their a=crypto lines, and those in strip lose their a=crypto lines; everything else as
 * it was. Returns 0 with *outp (malloc'd, NUL-terminated; caller frees) and *lenp, or ENOMEM.
 */
int policy_sdp_edit(const char *sdp, size_t len, uint32_t reject, uint32_t strip, char **outp,
    size_t *lenp);

/* ---- media_policy.c: encryption policy per side and per m= line; ng request building ---- */

/* Why a line breaks a side's policy. */
enum policy_line {
	POLICY_LINE_OK = 0,
	POLICY_LINE_PLAIN,	/* plain RTP (or no RTP at all) on a required side */
	POLICY_LINE_NOKEY,	/* an SRTP profile without a usable key: it would relay silence */
	POLICY_LINE_SRTP,	/* SRTP on a side whose policy is off */
};
const char *policy_line_reason(enum policy_line v);
/* The verdict on one active line of an SDP from a side with policy p. */
enum policy_line policy_line_in(enum sp_policy p, const struct sdp_line_info *mi);

/* What to do with an SDP received from a side (an offer or an answer). */
struct policy_plan {
	uint32_t reject;	/* lines refused: port 0 before mediad sees them */
	uint32_t strip;		/* lines whose keys go: best-effort SRTP from an off side */
	uint32_t srtp;		/* lines that stay SRTP (the answer must keep them so) */
	unsigned active, usable;	/* lines not port 0; of those, not refused */
	unsigned first;		/* 1-based first refused line, 0: none */
	enum policy_line why;	/* its verdict */
};
void policy_plan_in(enum sp_policy p, const struct sdp_info *si, struct policy_plan *pl);
/*
 * mediad's SDP towards a side with policy p: 0, or 488 when an active line breaks the
 * policy, or a line that side offered as SRTP (bit in srtp) came back without a key: never
 * a silent fall back to plain RTP. *bad gets the 1-based line (0: no m= line at all).
 */
int policy_sdp_out_check(enum sp_policy p, const struct sdp_info *si, uint32_t srtp,
    unsigned *bad);
/* Profile for the recipient side of an offer. */
const char *policy_offer_profile(enum sp_policy recipient, bool sender_srtp);
/*
 * Whether we offer best-effort SRTP (RTP/AVP with keys, RFC 8643) to a recipient: on an
 * optional side that gets RTP/AVP, when keys may travel to it (keys_safe: its leg is TLS).
 */
bool policy_offer_osrtp(enum sp_policy recipient, bool sender_srtp, bool keys_safe);
/*
 * Builds an ng offer/answer dict. op "offer"/"answer"; tags per ng-protocol.md §4;
 * osrtp adds OSRTP offer. Returns 0 with *dp, EINVAL or ENOMEM.
 */
int policy_ng_dict(struct bencode_arena *a, const struct sp_config *cfg, const char *op,
    const char *call_id, const char *from_tag, const char *to_tag, const char *branch,
    const char *sdp, size_t sdp_len, enum sp_side from_side, enum sp_side to_side,
    const char *profile, bool osrtp, struct bencode_item **dp);
/* Adds flag to the "flags" list of d (made when absent). 0, EINVAL or ENOMEM. */
int policy_ng_flag(struct bencode_arena *a, struct bencode_item *d, const char *flag);

/* ---- media.c: ng offer/answer/delete for a call ---- */

/*
 * status 200 with the rewritten SDP (valid during the call), or the SIP status to
 * answer with (488 policy or an SDP mediad cannot carry, 503 mediad unreachable or
 * overloaded, 500 mediad's own failure); warning: NULL, or for a 488 a Warning header
 * line (CRLF-terminated, valid during the call) saying why (RFC 3261 §21.4.26).
 * The functions return 0 (h will be called unless media_cancel()) or a SIP status
 * at once (488: the SDP breaks the policy, or carries keys that arrived over rx_tp, a
 * transport the sending side must not use for them; 503: no mediad).
 */
struct media_op;
typedef void (media_done_h)(int status, const char *sdp, size_t len, const char *warning,
    void *arg);
int media_offer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, enum tp_proto rx_tp,
    const char *sdp, size_t len, media_done_h *h, void *arg, struct media_op **opp);
int media_answer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, enum tp_proto rx_tp,
    const char *sdp, size_t len, media_done_h *h, void *arg, struct media_op **opp);
/*
 * Whether SDES keys may travel over transport tp on side s: always over TLS, otherwise
 * only where [media] <side>_sdes_requires_tls = no. The name form takes "tls", "udp"...
 */
bool media_keys_allowed(const struct sp *sp, enum sp_side s, enum tp_proto tp);
/*
 * The Warning header line (CRLF-terminated) saying why media_offer/media_answer just
 * returned 488 at once; NULL when it gave none. Valid until the next of those calls.
 */
const char *media_refusal_warning(void);
bool media_keys_allowed_name(const struct sp *sp, enum sp_side s, const char *tp);
void media_cancel(struct media_op *op);

/* ---- media_end.c: the end of a call ---- */

/*
 * Ends c (stamped ended with reason now): ng delete asking for each leg's media summary,
 * then the compliance record (audit part) and the closed record (dialog_end) when mediad
 * answered or did not. c is detached at once and freed by then: do not use it after.
 */
void media_end_call(struct sp *sp, struct sp_call *c, const char *reason);

/*
 * What the mediad a call moves away from knew of its parties' SRTP (from its record
 * sbc:media:<call-id>): per party tag and m= line, the key the party sent with (base64 as
 * stored) and the indexes reached. A party that keeps its key continues that session at
 * the new mediad (its rollover counter goes on).
 */
#define MEDIA_RESUME_LINES 4
struct media_resume {
	struct {
		char tag[SP_ID_MAX];	/* "": nothing known of this party */
		unsigned n;		/* lines */
		char key[MEDIA_RESUME_LINES][72];	/* "inline:<base64>" */
		char index[MEDIA_RESUME_LINES][256];
	} party[2];
};
/* Fills r from an HGETALL of sbc:media:<call-id> (field/value strings, n of them). */
void media_resume_read(struct media_resume *r, const char *const *fields,
    const char *const *values, size_t n);
/* media_answer for a moved call: the new mediad's relay continues the parties' sessions. */
int media_answer_resume(struct sp *sp, struct sp_call *c, const char *from_tag,
    const char *to_tag, enum sp_side from, enum sp_side to, enum tp_proto rx_tp,
    const char *sdp, size_t len, const struct media_resume *r, media_done_h *h, void *arg,
    struct media_op **opp);
/*
 * ng delete of call_id (from_tag: its caller's) at the mediad at ng, whichever mediad the
 * call is on now: the relay a call moved away from. Best effort, never waited for.
 */
void media_delete_at(struct sp *sp, const char *call_id, const char *from_tag,
    const struct sa *ng);

#endif
