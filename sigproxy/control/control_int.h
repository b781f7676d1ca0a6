/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to sigproxy/control: the part's state and the BYEs in flight. */
#ifndef SBC_SIGPROXY_CONTROL_INT_H
#define SBC_SIGPROXY_CONTROL_INT_H

#include <stdbool.h>

#include "control.h"

struct control_bye;

struct sp_control {
	struct sp *sp;
	char last_id[48];		/* stream position read up to; "" until known */
	bool pending;			/* a stream read is out */
	struct control_bye *byes;	/* BYEs waiting for an answer (control_hangup.c) */
};

struct redisReply;
/*
 * control.c: an XREAD reply of sbc:control (r may be NULL), arg the sp_control: each
 * request in it run. Exported for tests/fuzz (fuzz_sigproxy_redis).
 */
void control_read_done(struct redisReply *r, void *arg);

/* control_hangup.c: the BYEs still out are dropped (shutdown). */
void control_byes_free(struct sp_control *k);

#endif
