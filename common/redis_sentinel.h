/* SPDX-License-Identifier: BSD-2-Clause */
/* Asking Redis Sentinels where a master is (internal to common/: redis.c's resolver). */
#ifndef SBC_COMMON_REDIS_SENTINEL_H
#define SBC_COMMON_REDIS_SENTINEL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct redis_sentinel;
struct redisReply;

#define REDIS_SENTINELS_MAX 8

/*
 * Answer to one question: err 0 with the master's host ("ip") and port, or an errno
 * (EHOSTUNREACH: no sentinel answered; ENOENT: none knows the master) with reason a
 * short text. Called once per redis_sentinel_ask, from the event loop, never from
 * inside redis_sentinel_ask; host is valid only during the call.
 */
typedef void (redis_sentinel_h)(int err, const char *host, uint16_t port, const char *reason,
    void *arg);

/*
 * Parses list ("ip:port ip:port", commas allowed) and keeps copies of master and
 * password (NULL: no AUTH). Returns 0, EINVAL (empty or bad list, no master) or
 * ENOMEM; the caller owns *sp.
 */
int redis_sentinel_alloc(struct redis_sentinel **sp, struct event_base *base, const char *list,
    const char *master, const char *password, unsigned timeout_ms);
/* Frees s; a question in progress is dropped without calling its handler. */
void redis_sentinel_free(struct redis_sentinel *s);
/*
 * Asks the sentinels one after the other, each within timeout_ms, starting with the
 * one that answered last, until one names the master. h runs exactly once unless
 * redis_sentinel_cancel or _free comes first. 0, or EBUSY when a question is running.
 */
int redis_sentinel_ask(struct redis_sentinel *s, redis_sentinel_h *h, void *arg);
void redis_sentinel_cancel(struct redis_sentinel *s);
/* Whether list parses as redis_sentinel_alloc wants it (configuration checks). */
int redis_sentinel_list_check(const char *list);
/*
 * A sentinel's reply to SENTINEL get-master-addr-by-name (hiredis's parse of what came
 * off the network): 0 with the master's host (NUL-terminated in host[size]) and *port;
 * else *why (static, or r's own error text) and EPROTO (an error reply), ENOENT (not a
 * two-string array: the master is unknown there) or EBADMSG (a bad port); host and
 * *port are written only on success.
 */
int redis_sentinel_reply_parse(const struct redisReply *r, char *host, size_t size,
    uint16_t *port, const char **why);

#endif
