/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside of the hangup part. Its files, each calling only those below it:
 *   hangup_stream.c  the consumer group over sbc:events and sbc:control: reads, claims the
 *                    entries of a crashed instance, hands an entry to the instance that
 *                    holds its call, acknowledges (and the part's alloc/free)
 *   hangup_entry.c   what one entry asks for: a media timeout (checked with the call's
 *                    mediad first), an operator's hang-up, a drain
 *   hangup.c         hangup_call(): the BYEs, the media, the record
 */
#ifndef SBC_SIGPROXY_HANGUP_INT_H
#define SBC_SIGPROXY_HANGUP_INT_H

#include <stdbool.h>

#include "hangup.h"
#include "metrics.h"

struct event;

/* Why an entry was refused (label reason of sigproxy_hangup_refused_total). */
enum hangup_refusal {
	HANGUP_REFUSED_UNKNOWN = 0,	/* no live call by that Call-ID */
	HANGUP_REFUSED_NOT_ANSWERED,	/* the call is not answered yet */
	HANGUP_REFUSED_MALFORMED,	/* fields missing, unknown command or event */
	HANGUP_REFUSED_STALE,		/* older than the stream's age limit */
	HANGUP_REFUSED_WRONG_MEDIAD,	/* a media event from a mediad that does not hold the call */
	HANGUP_REFUSED_MEDIA_ALIVE,	/* the call's mediad still relays it */
	HANGUP_REFUSED_N,
};

struct hangup_counters {
	struct metric *ended[HANGUP_CAUSE_N];	/* calls ended, by cause */
	struct metric *refused[HANGUP_REFUSED_N];
	struct metric *entries, *claimed, *handed;	/* stream entries read, claimed, handed on */
};

#define HANGUP_INFLIGHT_MAX 64	/* entries being handled at once */

struct hangup {
	struct sp *sp;
	struct hangup_counters ctr;
	bool stopping;
	/* hangup_stream.c */
	struct event *poll;
	unsigned ticks;
	bool reading;			/* a read is out */
	bool group_ok;			/* the consumer groups exist (since the last connect) */
	uint64_t connects;		/* Redis connects when group_ok was set */
	char inflight[HANGUP_INFLIGHT_MAX][48];	/* stream entry ids being handled */
	char alive[16][64];		/* consumers seen active lately (handoff candidates) */
	unsigned nalive;
};

/* hangup_stream.c */
struct redisReply;
/*
 * An XREADGROUP reply over sbc:events and sbc:control (r may be NULL), arg the hangup:
 * each entry in it taken. Exported for tests/fuzz (fuzz_sigproxy_redis).
 */
void hangup_read_done(struct redisReply *r, void *arg);

/* hangup.c */
/* Counts and logs a refused entry or request (call_id: escaped). */
void hangup_refuse(struct hangup *k, enum hangup_refusal why, const char *what,
    const char *by, const char *detail);

/* hangup_entry.c */
/*
 * One stream entry (stream: its key; fields/values: its pairs, n of them) to carry out.
 * done is called once with 0 (acknowledge it) when it was handled or refused.
 */
typedef void (hangup_entry_done_h)(int err, void *arg);
void hangup_entry_run(struct hangup *k, const char *stream, const char *id,
    const char *const *fields, const char *const *values, unsigned n,
    hangup_entry_done_h *done, void *arg);
/* The Call-ID an entry is about (NULL: none): the stream asks who holds it. */
const char *hangup_entry_call_id(const char *const *fields, const char *const *values,
    unsigned n);

#endif
