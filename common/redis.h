/* SPDX-License-Identifier: BSD-2-Clause */
/* A Redis connection on libevent (hiredis async) that reconnects with backoff
 * and reports its state changes to its owner. */
#ifndef SBC_COMMON_REDIS_H
#define SBC_COMMON_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct redisReply;
struct redis_conn;

enum redis_state {
	REDIS_STATE_DISCONNECTED = 0,
	REDIS_STATE_CONNECTING,
	REDIS_STATE_CONNECTED,   /* connected, AUTH and SELECT done */
};

struct redis_opts {
	const char *host;          /* TCP host (numeric or name); ignored with unix_path */
	uint16_t port;             /* default 6379 */
	const char *unix_path;     /* unix socket; NULL for TCP */
	const char *password;      /* AUTH; NULL for none; never logged */
	int db;                    /* SELECT db when > 0 */
	unsigned connect_timeout_ms;   /* connect + handshake deadline, default 1000 */
	/*
	 * Reply deadline per command, default 250: a reply later than this means a hung
	 * server (SIGSTOP, swap storm, a partition): the connection is dropped and the
	 * owner told at once, so new calls are refused instead of accepted without a record.
	 */
	unsigned cmd_timeout_ms;
	/*
	 * With nothing in flight, a PING this often (ms; 0: never), so that a server that
	 * hangs while we are idle is found within keepalive_ms + cmd_timeout_ms. Default 0.
	 */
	unsigned keepalive_ms;
	unsigned backoff_min_ms;       /* first reconnect delay, default 100 */
	unsigned backoff_max_ms;       /* cap of the doubling delay, default 1000 */
	/*
	 * Redis Sentinel: "ip:port ip:port ..." (NULL or "": none). Each connect first asks
	 * the sentinels in turn for master_name's address (SENTINEL get-master-addr-by-name,
	 * after AUTH sentinel_password when set), then checks with ROLE that the server is a
	 * master; host, port and unix_path are not used then.
	 */
	const char *sentinels;
	const char *master_name;
	const char *sentinel_password; /* never logged */
	/*
	 * 0 (default): commands leave at the end of the loop pass that issued them.
	 * > 0: they may wait up to this long to leave together with later ones: one
	 * write and one wakeup of the server, and one read of the replies, for many
	 * commands (record writes nobody waits for). redis_flush() sends at once.
	 */
	unsigned write_delay_ms;
};

/* State change report; reason is a short text ("connect refused", "auth failed"). */
typedef void (redis_state_h)(enum redis_state state, const char *reason, void *arg);
/*
 * Reply to one command. reply is NULL when the command failed without a reply
 * (disconnected, timed out); reply->type may be REDIS_REPLY_ERROR. The reply is
 * owned by hiredis and valid only during the call.
 */
typedef void (redis_reply_h)(struct redisReply *reply, void *arg);

/*
 * Allocates the connection and starts connecting on base. Strings in opts are
 * copied. state_h may be NULL. Returns 0 or ENOMEM/EINVAL; the caller owns *rp
 * (redis_conn_free, which fails pending commands with reply NULL).
 */
int redis_conn_alloc(struct redis_conn **rp, struct event_base *base,
    const struct redis_opts *opts, redis_state_h *state_h, void *arg);
void redis_conn_free(struct redis_conn *r);
enum redis_state redis_conn_state(const struct redis_conn *r);
const char *redis_state_name(enum redis_state s);

/*
 * Queues a command (hiredis format string). Returns 0 when queued (h, if not
 * NULL, is then called exactly once), ENOTCONN when not connected (h is not
 * called), or ENOMEM.
 */
int redis_cmd(struct redis_conn *r, redis_reply_h *h, void *arg, const char *fmt, ...);
int redis_cmd_argv(struct redis_conn *r, redis_reply_h *h, void *arg,
    int argc, const char **argv, const size_t *argvlen);
/* Sends what is queued without waiting out write_delay_ms (after a command someone waits on). */
void redis_flush(struct redis_conn *r);

/* Counters for the metrics endpoint. */
struct redis_stats {
	uint64_t connects, disconnects, commands, failed_commands;
	uint64_t timeouts;          /* connections dropped for a late reply (hung server) */
};
/* Whether the connection follows a Sentinel deployment (opts.sentinels set). */
bool redis_conn_sentinel(const struct redis_conn *r);
/* The server connected now or last ("ip:port" or the socket path) into buf. */
const char *redis_conn_peer(const struct redis_conn *r, char *buf, size_t size);
void redis_conn_stats(const struct redis_conn *r, struct redis_stats *out);

#endif
