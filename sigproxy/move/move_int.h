/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside of the move part. Its files, each calling only the one below it:
 *   move.c       the part's alloc/free, the pool's report of a lost or drained mediad,
 *                the calls to move (this instance's, then sbc:mediad_calls:<id>), locks
 *   move_call.c  one call's move: re-INVITEs through the uac part, offer and answer
 *                through the new mediad, the end of the call when it cannot move
 */
#ifndef SBC_SIGPROXY_MOVE_INT_H
#define SBC_SIGPROXY_MOVE_INT_H

#include <stdbool.h>

#include "metrics.h"
#include "move.h"

struct move_op;

struct move_counters {
	struct metric *moved, *failed;	/* calls moved to another mediad, moves that failed */
	struct metric *lost, *drained;	/* mediads reported lost, drained (calls handed on) */
};

struct move {
	struct sp *sp;
	struct move_counters ctr;
	bool stopping;
	struct move_op *ops;	/* moves under way (move_call.c) */
	struct move_scan *scans;	/* sbc:mediad_calls:<id> reads waiting (move.c) */
};

/* move_call.c */
/*
 * Moves call_id off mediad from (drained: it is alive, its media is deleted there after
 * the move). The lock, if any, is the caller's; it is released at the end. 0 or ENOMEM.
 */
int move_call(struct move *m, const char *call_id, const char *from, bool drained);
/* Every move under way dropped without callbacks (shutdown, after the ng client). */
void move_ops_free(struct move *m);

#endif
