/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy's private header: daemon state, configuration and the prototypes of the core files. */
#ifndef SBC_SIGPROXY_SIGPROXY_H
#define SBC_SIGPROXY_SIGPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "metrics.h"
#include "redis.h"
#include "route.h"
#include "sip_build.h"
#include "sip_msg.h"
#include "transport.h"

struct event;
struct event_base;
struct bencode_item;
struct ng_client;
struct mediad_pool;
struct health;

enum sp_side {
	SP_SIDE_OUTSIDE = 0,
	SP_SIDE_INSIDE = 1,
};
#define SP_NSIDES 2

enum sp_policy {
	SP_POLICY_OFF = 0,
	SP_POLICY_OPTIONAL,
	SP_POLICY_REQUIRED,
};

#define SP_LISTENERS_MAX 16
#define SP_BUF_SIZE	 65536
#define SP_BUCKETS	 4096	/* power of two */
#define SP_CALL_ID_MAX	 512	/* bytes with NUL; longer Call-IDs get 400 */
#define SP_ID_MAX	 256	/* bytes with NUL of a branch or tag (RFC 4475 longreq: 155) */

/* Bucket of a Call-ID (FNV-1a); NULL counts as "". */
static inline unsigned
sp_bucket(const char *call_id)
{
	uint32_t h = 2166136261u;

	while (call_id != NULL && *call_id != '\0')
		h = (h ^ (uint8_t)*call_id++) * 16777619u;
	return h & (SP_BUCKETS - 1);
}

/* One configured listener: "[listener <name>]". */
struct sp_listener {
	char name[64];
	enum tp_proto proto;
	struct sa addr;
	char advertise[64];	/* host put in Via/Record-Route */
	enum sp_side side;
	struct acl *acl;	/* owned, NULL: any */
	struct tls *tls;	/* owned, TLS only */
	struct tp_listener *tpl;	/* borrowed from tp */
	struct sip_hop hop;
};

struct sp_config {
	char instance_id[64];
	int log_level;
	char metrics_listen[64];
	bool trace;

	struct sp_listener listeners[SP_LISTENERS_MAX];
	unsigned nlisteners;
	struct sip_hop self[SP_LISTENERS_MAX];
	struct tls *client_tls;	/* owned, NULL: no outbound TLS */

	enum sp_policy policy[SP_NSIDES];
	char sdes[256];		/* SDES tokens for ng ("only-AES_CM_128_HMAC_SHA1_80 ...") */
	char iface[SP_NSIDES][32];	/* mediad interface names used in "direction" */

	unsigned ng_timeout_ms;
	unsigned ng_retries;
	unsigned mediad_refresh_ms;
	unsigned mediad_up_after;	/* successful pings before a down mediad is used again */
	char mediad_static[64];	/* "ip:port": a fixed mediad (no Redis registry needed) */

	bool redis_enabled;
	char redis_host[64];
	uint16_t redis_port;
	char redis_unix[256];
	char redis_password[128];
	int redis_db;

	unsigned call_ttl_active;	/* s, safety TTL while a call lives */
	unsigned call_ttl_ended;	/* s, kept for inspection after the end */
	unsigned retry_after;		/* s, in 503 when Redis is down */

	bool health_probe;		/* send OPTIONS to backends */
	unsigned health_interval_ms;
	unsigned holddown_ms;

	struct route_table *routes;	/* owned */
	enum sp_side route_side[64];	/* per route index: side of its targets */
};

/* Daemon-wide counters (metrics endpoint). */
struct sp_counters {
	struct metric *calls, *calls_answered, *calls_failed;
	struct metric *resp_class[7];	/* index = status / 100 */
	struct metric *failovers, *ng_timeouts, *ng_errors, *drops, *bad_requests;
	struct metric *redis_unavailable, *policy_rejects;
};

struct sp_txn;
struct sp_nit;
struct sp_call;

struct sp {
	struct event_base *base;
	struct sp_config cfg;
	struct tp *tp;
	struct metrics *metrics;
	struct sp_counters ctr;
	struct redis_conn *redis;
	struct ng_client *ng;
	struct mediad_pool *pool;
	struct health *health;
	struct event *sigusr1, *sigterm, *sigint, *sighup;
	bool trace;
	/* Hashed by Call-ID: every lookup (request, response, ACK, CANCEL) carries one. */
	struct sp_txn *txns[SP_BUCKETS];	/* INVITE transactions */
	struct sp_nit *nits[SP_BUCKETS];	/* non-INVITE transactions */
	struct sp_call *calls[SP_BUCKETS];	/* calls this instance knows */
	char buf[SP_BUF_SIZE];		/* scratch for building messages */
};

/* Where a message came from. */
struct sp_src {
	struct sp_listener *lsnr;
	struct tp_conn *conn;	/* NULL for UDP */
	struct sa addr;
};

/* sigproxy_config.c */
int sp_config_load(struct sp_config *cfg, struct conf *c, struct conf_error *err);
void sp_config_free(struct sp_config *cfg);
const char *sp_side_name(enum sp_side s);
int sp_side_parse(const char *s, enum sp_side *out);
const char *sp_policy_name(enum sp_policy p);

/* daemon.c: start everything on sp->base from sp->cfg; stop frees what start made (any state). */
int sp_start(struct sp *sp);
void sp_stop(struct sp *sp);

/* proxy.c */
void proxy_recv(struct tp_listener *l, struct tp_conn *conn, const struct sa *src,
    const char *msg, size_t len, void *arg);
struct sp_listener *proxy_listener_by_tpl(struct sp *sp, const struct tp_listener *l);
struct sp_listener *proxy_listener_for(struct sp *sp, enum sp_side side, enum sip_transport t);
int proxy_send_response(struct sp *sp, const struct sp_src *to, const char *buf, size_t len);
int proxy_reply(struct sp *sp, const struct sp_src *to, const struct sip_msg *req, int status,
    const char *reason, const char *extra);
/* Like proxy_send_to, but over the caller's own connection when the call has one open. */
int proxy_send_in_dialog(struct sp *sp, struct sp_call *c, enum sp_side side,
    enum sip_transport t, const struct sa *dst, const char *buf, size_t len);
int proxy_send_to(struct sp *sp, enum sp_side side, enum sip_transport t, const struct sa *dst,
    const char *host, const char *buf, size_t len, struct tp_conn **connp);
void proxy_trace(struct sp *sp, const char *dir, const struct sa *peer, const char *buf,
    size_t len);
void proxy_count_response(struct sp *sp, int status);
int proxy_next_hop(struct sp *sp, const struct sip_msg *m, enum sip_transport *tp,
    struct sa *dst);
/* True when the top Route names us: an in-dialog request we Record-Routed. */
bool proxy_routed_via_us(struct sp *sp, const struct sip_msg *m);
bool proxy_is_self_uri(struct sp *sp, const struct sip_uri *u);
/* tp_close_h of the core (arg: struct sp): failed outbound connects end their branches. */
void proxy_conn_closed(struct tp_conn *conn, int err, void *arg);

/* txn_invite.c */
void txn_invite_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m);
bool txn_invite_ack(struct sp *sp, const struct sip_msg *m);
void txn_invite_cancel(struct sp *sp, const struct sp_src *src, struct sip_msg *m);
bool txn_invite_response(struct sp *sp, struct sip_msg *m);
/* An outbound stream failed to connect (err from closeh): its branches fail over now. */
void txn_invite_conn_failed(struct sp *sp, struct tp_conn *conn, int err);
void txn_invite_free_all(struct sp *sp);

/* txn_noninvite.c */
void txn_nit_request(struct sp *sp, const struct sp_src *src, struct sip_msg *m);
bool txn_nit_response(struct sp *sp, struct sip_msg *m);
void txn_nit_free_all(struct sp *sp);
void txn_ack_forward(struct sp *sp, const struct sp_src *src, struct sip_msg *m);

/* dialog.c: calls known to this instance and their records sbc:call:<call-id>. */
enum sp_call_state {
	SP_CALL_SETUP = 0,
	SP_CALL_EARLY,
	SP_CALL_ANSWERED,
	SP_CALL_ENDED,
};
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
	struct tp_conn *caller_conn;	/* stream the INVITE came on: requests to the caller reuse it */
	bool srtp_offered[SP_NSIDES];	/* per sender side, last offer */
	bool late_offer;		/* offer came in a 2xx, answer due in the ACK */
	char late_branch[SP_ID_MAX];	/* via-branch of that offer, repeated in the answer */
	enum sp_call_state state;
	int64_t start, answered, ended;
	char end_reason[64];
	uint64_t stored_conn;		/* Redis connection (its connects count) that got the last
					 * whole record; 0 = none: the next write is whole */
};
const char *dialog_state_name(enum sp_call_state s);
int dialog_create(struct sp *sp, struct sp_call **cp, const char *call_id, const char *from_tag);
struct sp_call *dialog_find(struct sp *sp, const char *call_id);
void dialog_write(struct sp *sp, struct sp_call *c);
void dialog_end(struct sp *sp, struct sp_call *c, const char *reason);
void dialog_free_all(struct sp *sp);
/* Looks the call up in Redis; h gets the call (owned by sp) or NULL. */
typedef void (dialog_lookup_h)(struct sp_call *c, void *arg);
int dialog_lookup(struct sp *sp, const char *call_id, dialog_lookup_h *h, void *arg);
/* How long dialog record writes may wait to leave for Redis together (daemon.c). */
#define SP_REDIS_WRITE_DELAY_MS 25
bool sp_redis_up(const struct sp *sp);

/* ng_client.c: asynchronous ng requests over UDP with retries matched by cookie. */
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

/* mediad_pool.c: healthy mediads from Redis (or a static one), chosen by load. */
struct mediad_entry {
	char id[64];
	struct sa ng;
	unsigned load;
	bool up;
	unsigned ok_streak;	/* successful pings while down */
	bool seen;		/* in the last registry scan */
	bool ping_pending;
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
unsigned mediad_pool_up_count(const struct mediad_pool *p);

/* media_policy.c: encryption policy and ng request building. */
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
struct bencode_arena;
/*
 * Builds an ng offer/answer dict. op "offer"/"answer"; tags per ng-protocol.md §4.
 * Returns 0 with *dp, EINVAL or ENOMEM.
 */
int policy_ng_dict(struct bencode_arena *a, const struct sp_config *cfg, const char *op,
    const char *call_id, const char *from_tag, const char *to_tag, const char *branch,
    const char *sdp, size_t sdp_len, enum sp_side from_side, enum sp_side to_side,
    const char *profile, struct bencode_item **dp);

/* media.c: ng offer/answer/delete for a call. */
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
void media_delete(struct sp *sp, struct sp_call *c);

/* health.c */
int health_alloc(struct health **hp, struct sp *sp);
void health_free(struct health *h);
bool health_target_up(struct health *h, const struct route_target *t);
void health_target_failed(struct health *h, const struct route_target *t);
bool health_response(struct health *h, const struct sip_msg *m);
/*
 * 200 or 503 for OPTIONS addressed to us: Redis (when used) and a mediad reachable, and
 * a healthy target on the route the Request-URI user matches (any route when none).
 */
int health_self_status(struct sp *sp, const struct sip_msg *m);

#endif
