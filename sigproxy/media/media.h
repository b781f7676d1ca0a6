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
	bool draining;		/* an operator drained it: no new calls (its calls stay) */
};
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
/*
 * Drained (on) or not: a drained mediad gets no new call. Read from the registration's
 * "drain" field at every refresh, and set at once when an operator request says so (by:
 * who asked, for the log). An unknown id is ignored.
 */
void mediad_pool_set_drain(struct mediad_pool *p, const char *id, bool on, const char *by);

/* ---- media_policy.c: encryption policy and ng request building ---- */

struct sdp_info {
	bool has_media;
	bool savp;		/* some m= line uses RTP/SAVP(F) */
	bool crypto;		/* an a=crypto line with a suite we support */
	char suite[64];		/* first such suite */
};
void policy_sdp_scan(const char *sdp, size_t len, struct sdp_info *out);
/* Profile for the recipient side of an offer. */
const char *policy_offer_profile(enum sp_policy recipient, bool sender_srtp);
/* 0 when an offer from a side with policy p and SDP si may proceed; else the status (488). */
int policy_offer_check(enum sp_policy p, const struct sdp_info *si);
/* 0 when an SDP (answer or rewritten) towards/from a side with policy p is acceptable. */
int policy_answer_check(enum sp_policy p, const struct sdp_info *si);
/*
 * Builds an ng offer/answer dict. op "offer"/"answer"; tags per ng-protocol.md §4.
 * Returns 0 with *dp, EINVAL or ENOMEM.
 */
int policy_ng_dict(struct bencode_arena *a, const struct sp_config *cfg, const char *op,
    const char *call_id, const char *from_tag, const char *to_tag, const char *branch,
    const char *sdp, size_t sdp_len, enum sp_side from_side, enum sp_side to_side,
    const char *profile, struct bencode_item **dp);
/* Adds flag to the "flags" list of d (made when absent). 0, EINVAL or ENOMEM. */
int policy_ng_flag(struct bencode_arena *a, struct bencode_item *d, const char *flag);

/* ---- media.c: ng offer/answer/delete for a call ---- */

/*
 * status 200 with the rewritten SDP (valid during the call), or the SIP status to
 * answer with (488 policy, 503 mediad unreachable or overloaded, 500 mediad error).
 * The functions return 0 (h will be called unless media_cancel()) or a SIP status
 * at once (488: the SDP breaks the policy; 503: no mediad).
 */
struct media_op;
typedef void (media_done_h)(int status, const char *sdp, size_t len, void *arg);
int media_offer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, const char *sdp, size_t len,
    media_done_h *h, void *arg, struct media_op **opp);
int media_answer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, const char *sdp, size_t len,
    media_done_h *h, void *arg, struct media_op **opp);
void media_cancel(struct media_op *op);

/* ---- media_end.c: the end of a call ---- */

/*
 * Ends c (stamped ended with reason now): ng delete asking for each leg's media summary,
 * then the compliance record (audit part) and the closed record (dialog_end) when mediad
 * answered or did not. c is detached at once and freed by then: do not use it after.
 */
void media_end_call(struct sp *sp, struct sp_call *c, const char *reason);

#endif
