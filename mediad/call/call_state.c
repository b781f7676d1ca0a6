/* SPDX-License-Identifier: BSD-2-Clause */
/* The call state machine: one entry point for every state change, traced old -> new. */
#include "call.h"
#include "log.h"

const char *
call_state_name(enum call_state st)
{
	switch (st) {
	case CALL_STATE_OFFERED: return "offered";
	case CALL_STATE_ANSWERED: return "answered";
	case CALL_STATE_DELETING: return "deleting";
	}
	return "?";
}

void
call_enter_state(struct call *c, enum call_state st)
{
	enum call_state old = c->state;

	if (old == st)
		return;
	log_set_call_id(c->call_id);
	log_debug("%s from=%s to=%s", __func__, call_state_name(old),
	    call_state_name(st));
	c->state = st;
}
