/* SPDX-License-Identifier: BSD-2-Clause */
/* Reply cache that makes retransmitted ng commands idempotent: keyed on the
 * source address and cookie, checked against command and call-id, bounded in
 * size and age. Single-threaded (owned by the control loop). */
#ifndef SBC_PROTO_COOKIE_CACHE_H
#define SBC_PROTO_COOKIE_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct ng_cookie_cache;

enum ng_cookie_result {
	NG_COOKIE_MISS = 0,      /* not seen: run the command */
	NG_COOKIE_HIT,           /* same source, cookie, command, call-id: replay *reply */
	NG_COOKIE_IN_PROGRESS,   /* seen, no reply stored yet: drop, the client retries */
	NG_COOKIE_COLLISION,     /* same source+cookie but another command/call-id: log, run as new */
};

/* max_entries > 0; ttl_ms: entries older than this are gone (30000-60000 recommended). */
int ng_cookie_cache_alloc(struct ng_cookie_cache **cp, size_t max_entries, uint64_t ttl_ms);
void ng_cookie_cache_free(struct ng_cookie_cache *c);

/*
 * Looks up (src, cookie). src is an opaque key (e.g. the sockaddr bytes).
 * On NG_COOKIE_HIT, *reply and *reply_len point into the cache, valid until the
 * next call on c. On NG_COOKIE_MISS and NG_COOKIE_COLLISION an in-progress
 * entry is created (replacing the colliding one) to be completed by
 * ng_cookie_cache_store(). now_ms is a monotonic clock.
 */
enum ng_cookie_result ng_cookie_cache_lookup(struct ng_cookie_cache *c,
    const void *src, size_t src_len, const char *cookie, size_t cookie_len,
    const char *command, size_t command_len, const char *call_id, size_t call_id_len,
    uint64_t now_ms, const char **reply, size_t *reply_len);

/* Stores the reply (copied) for an entry made by lookup. Returns 0, ENOENT, ENOMEM. */
int ng_cookie_cache_store(struct ng_cookie_cache *c, const void *src, size_t src_len,
    const char *cookie, size_t cookie_len, const char *reply, size_t reply_len, uint64_t now_ms);

/* Drops expired entries; also done lazily by lookup. Returns entries dropped. */
size_t ng_cookie_cache_expire(struct ng_cookie_cache *c, uint64_t now_ms);
size_t ng_cookie_cache_count(const struct ng_cookie_cache *c);

#endif
