/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes that must reach Redis even across an outage or a failover (the end of a call,
 * the delete of a record): kept in memory, in order, until Redis has acknowledged them,
 * and sent again on reconnect. Bounded: past max_entries new writes are dropped and
 * counted.
 */
#ifndef SBC_COMMON_REDIS_BACKLOG_H
#define SBC_COMMON_REDIS_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct redis_backlog;
struct redis_conn;

struct redis_backlog_stats {
	uint64_t kept;        /* writes that could not go out at once, or were lost in flight */
	uint64_t replayed;    /* writes sent again after a reconnect */
	uint64_t dropped;     /* writes refused because the backlog was full */
	uint64_t failed;      /* writes Redis refused for good (an error that no retry mends) */
	uint64_t unreplicated;   /* Sentinel mode: taken on the master's word, no replica seen */
	size_t pending;       /* writes not acknowledged yet (in flight included) */
};

/*
 * Allocates an empty backlog for at most max_entries writes (> 0). With a Sentinel
 * connection a write counts as acknowledged only when WAIT has seen it on a replica
 * (wait_ms: WAIT's own timeout; a master that shows no replica to three WAITs in a
 * row, 0.5 s apart, is taken at its word); otherwise when the master replied. 0 or
 * ENOMEM.
 * Free it after the redis_conn it sends on (its replies point here).
 */
int redis_backlog_alloc(struct redis_backlog **bp, struct event_base *base,
    unsigned max_entries, unsigned wait_ms);
/* Frees b and what it still holds; returns how many writes were never acknowledged. */
size_t redis_backlog_free(struct redis_backlog *b);

/*
 * Sends one command (argv as redis_cmd_argv takes it) on r and keeps a copy until it is
 * acknowledged. Returns 0 (sent), EAGAIN (r is down: kept, sent by the next replay),
 * ENOBUFS (full: dropped and counted) or ENOMEM.
 */
int redis_backlog_send(struct redis_backlog *b, struct redis_conn *r, int argc,
    const char **argv, const size_t *lens);
/* Sends again, in order, every write not acknowledged; call when r has (re)connected. */
unsigned redis_backlog_replay(struct redis_backlog *b, struct redis_conn *r);
void redis_backlog_stats(const struct redis_backlog *b, struct redis_backlog_stats *out);

#endif
