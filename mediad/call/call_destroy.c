/* SPDX-License-Identifier: BSD-2-Clause */
/* The end of a call: the delete delay, and the teardown hook that frees what it holds. */
#include <errno.h>

#include <event2/event.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "relay.h"
#include "timeutil.h"

void
mediad_call_destroy_h(struct call *c, void *arg)
{
	struct mediad *md = arg;
	unsigned i;

	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		/* Synchronous: when it returns the worker no longer touches the sockets. */
		relay_media_destroy(c->rm[i]);
		c->rm[i] = NULL;
	}
	call_release_ports(c);
	if (c->delete_ev != NULL) {
		event_free(c->delete_ev);
		c->delete_ev = NULL;
	}
	if (md->store != NULL)
		call_store_delete(md->store, c->call_id);
	log_info("call_destroyed");
}

static void
delete_timer(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	struct call_table *t = c->table;
	struct mediad *md = t->arg;

	log_info("call_delete_delay_expired call_id=%s", LOG_ESCW(c->call_id));
	call_destroy(c);
	metric_set(md->ctr.calls_active, t->count);
}

int
call_delete_later(struct mediad *md, struct call *c, unsigned delay_s)
{
	struct timeval tv;

	if (c->delete_ev == NULL) {
		c->delete_ev = evtimer_new(md->base, delete_timer, c);
		if (c->delete_ev == NULL) {
			call_destroy(c);
			return ENOMEM;
		}
	}
	tv = timeval_from_ms((uint64_t)delay_s * 1000u);
	evtimer_add(c->delete_ev, &tv);
	call_enter_state(c, CALL_STATE_DELETING);
	return 0;
}

void
call_delete_cancel(struct call *c)
{
	if (c->delete_ev != NULL) {
		event_free(c->delete_ev);
		c->delete_ev = NULL;
	}
	call_enter_state(c, c->mono[1] != NULL && c->mono[1]->tag[0] ? CALL_STATE_ANSWERED :
	    CALL_STATE_OFFERED);
}
