/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy's daemon context, handed to every part: configuration, counters, the parts' state. */
#ifndef SBC_SIGPROXY_SIGPROXY_H
#define SBC_SIGPROXY_SIGPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "reload.h"
#include "route.h"
#include "sigproxy_config.h"

struct event;
struct event_base;
struct tp;
struct tp_listener;
struct tp_conn;
struct ng_client;
struct mediad_pool;
struct health;
struct notify;
struct sp_txn;
struct sp_nit;
struct sp_call;
struct trace;
struct sp_tick;
struct uac_req;
struct hangup;
struct move;
struct audit;

#define SP_BUF_SIZE	 65536
/* Largest message sent: a UDP datagram's payload (IPv4); a built message over it is 513. */
#define SP_FWD_MAX	 65507u
#define SP_TOO_LARGE_WARNING \
	"Warning: 399 sbc \"too large once forwarded: over 65507 bytes with our Via and " \
	"Record-Route\"\r\n"
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

/* The INVITE client timers whose expiry moves a call to the next target. */
enum sp_invite_timer {
	SP_TIMER_PROVISIONAL = 0,	/* route timeout_ms: no provisional response */
	SP_TIMER_ANSWER,		/* route answer_timeout_ms: no final after a provisional */
	SP_TIMER_C,			/* route timer_c_ms: no response since the last provisional */
	SP_TIMER_COUNT,
};

/* Why a request was refused at the border (label reason of sigproxy_refused_total). */
enum sp_refusal {
	SP_REFUSED_UNKNOWN = 0,		/* in-dialog, Call-ID of no call here or in Redis */
	SP_REFUSED_TAGS,		/* a call's Call-ID, the tags of neither leg */
	SP_REFUSED_SIDE,		/* a leg's tags, from the other leg's side */
	SP_REFUSED_ROUTE,		/* Request-URI or Route leading off the dialog's route */
	SP_REFUSED_NO_TARGET,		/* the other leg cannot be reached (no usable target) */
	SP_REFUSED_OUT_OF_DIALOG,	/* a non-INVITE request outside any dialog, not for us */
	SP_REFUSED_STORE_DOWN,		/* the call is not here and Redis cannot be asked */
	SP_REFUSED_CANCEL,		/* a CANCEL matching no INVITE transaction from its side */
	SP_REFUSED_N,
};

/* Daemon-wide counters (metrics endpoint). */
/* Deviations sigproxy carries instead of refusing (README "Tolerated deviations"). */
enum sp_tolerated {
	SP_TOL_LEGACY = 0,	/* RFC 2543 request: From without tag, Via without z9hG4bK */
	SP_TOL_MULTIPART,	/* an SDP inside a multipart body (ISUP, RFC 5621) */
	SP_TOL_NO_CTYPE,	/* an SDP body without Content-Type */
	SP_TOL_COUNT,
};

struct sp_counters {
	struct metric *calls, *calls_answered, *calls_failed;
	struct metric *resp_class[7];	/* index = status / 100 */
	struct metric *failovers, *ng_timeouts, *ng_errors, *drops, *bad_requests;
	struct metric *redis_unavailable, *policy_rejects;
	struct metric *reloads_ok, *reloads_failed;	/* per SIGHUP */
	struct metric *tls_reloads_ok, *tls_reloads_failed;	/* per TLS context */
	struct metric *trace_messages, *trace_lost;
	struct metric *invite_timeouts[SP_TIMER_COUNT];	/* index: enum sp_invite_timer */
	struct metric *backend_down, *backend_up;	/* health transitions */
	struct metric *calls_refused[ROUTE_REFUSE_N];	/* call admission, by reason */
	struct metric *policy_lines_rejected, *sdes_tls_rejects;
	struct metric *refused[SP_REFUSED_N];
	/* what peers send against the RFCs that sigproxy carries anyway, by kind */
	struct metric *tolerated[SP_TOL_COUNT];
	struct metric *unsupported_bodies;	/* offers in bodies we cannot read: 415 */
	struct metric *records_written, *records_lost;	/* compliance records */
};

/* Histograms (daemon.c registers them; NULL-safe to observe). */
struct sp_hists {
	struct metrics_hist *call_setup;	/* initial INVITE received -> 200 sent upstream, µs */
	struct metrics_hist *ng_rtt;		/* ng request sent -> its reply, µs */
};

struct sp {
	struct event_base *base;
	struct sp_config cfg;
	struct tp *tp;
	struct metrics *metrics;
	struct sp_counters ctr;
	struct sp_hists hist;
	struct tp_metrics tpm;		/* the transport's series (drops, bans, connections) */
	struct route_admit *admit;	/* call admission counters for cfg.routes */
	struct redis_conn *redis;
	struct redis_backlog *redis_backlog;	/* ends of calls not yet acknowledged */
	struct ng_client *ng;
	struct mediad_pool *pool;
	struct health *health;
	struct event *sigusr1, *sigterm, *sigint, *sighup;
	const char *conf_path;		/* borrowed (argv): SIGHUP reads it again */
	struct notify *notify;		/* readiness and watchdog for the service manager */
	struct reload_table reload;	/* what SIGHUP reloads (README); features add hooks */
	bool redis_was_up;		/* Redis was connected once: a loss is "lost", not "unreachable" */
	struct sp_tick *tick;		/* once a second: log floods, trace control (tick.c) */
	/* lines caused by peers: bad requests answered, messages dropped (proxy.c) */
	struct log_ratelimit rl_bad, rl_drop;
	/* deviations carried (proxy.c, txn): one line per kind of peer behaviour, not per call */
	struct log_ratelimit rl_tol;
	struct trace *trace;		/* the SIP trace (trace part); never NULL after sp_start */
	struct event *sweep;		/* forgets idle copies of other instances' calls */
	struct uac_req *uacs;		/* requests of the SBC's own in dialogs (uac part) */
	struct hangup *hangup;		/* calls the SBC ends itself (hangup part) */
	struct move *move;		/* calls moved off a lost or drained mediad (move part) */
	struct audit *audit;		/* compliance records (audit part); NULL before sp_start */
	/* Hashed by Call-ID: every lookup (request, response, ACK, CANCEL) carries one. */
	struct sp_txn *txns[SP_BUCKETS];	/* INVITE transactions (txn part) */
	struct sp_nit *nits[SP_BUCKETS];	/* non-INVITE transactions (txn part) */
	struct sp_call *calls[SP_BUCKETS];	/* calls this instance knows (dialog part) */
	struct sp_call *aliases[SP_BUCKETS];	/* the same, by their callee leg's Call-ID
						 * when the SBC made one (dialog part) */
	char buf[SP_BUF_SIZE];		/* scratch for building messages */
};

/* How long dialog record writes may wait to leave for Redis together (daemon.c). */
#define SP_REDIS_WRITE_DELAY_MS 25

/* Whether Redis is usable now (connected, AUTH and SELECT done). */
static inline bool
sp_redis_up(const struct sp *sp)
{
	return sp->redis != NULL && redis_conn_state(sp->redis) == REDIS_STATE_CONNECTED;
}

/* daemon.c: start everything on sp->base from sp->cfg; stop frees what start made (any state). */
int sp_start(struct sp *sp);
void sp_stop(struct sp *sp);
/* SIGHUP: runs every hook of sp->reload (logged and counted each); the service manager
 * sees RELOADING=1, then READY=1. */
void sp_reload(struct sp *sp);

/* sp_metrics.c: sigproxy's metric tables and collector into sp->metrics; 0 or an errno. */
int sp_metrics_register(struct sp *sp);

/* tick.c: the once-a-second timer; stop frees it (and is a no-op without a start). */
int tick_start(struct sp *sp);
void tick_stop(struct sp *sp);

/*
 * proxy.c: the transport's callbacks, registered by sp_start (arg: struct sp).
 * proxy_recv parses, validates and answers locally or hands the message to a
 * transaction; proxy_conn_closed fails over the branches of a failed outbound connect.
 */
void proxy_recv(struct tp_listener *l, struct tp_conn *conn, const struct sa *src,
    const char *msg, size_t len, void *arg);
void proxy_conn_closed(struct tp_conn *conn, int err, void *arg);

#endif
