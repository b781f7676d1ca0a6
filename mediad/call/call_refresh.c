/* SPDX-License-Identifier: BSD-2-Clause */
/* Keeping the SRTP indexes in sbc:media:<call-id> fresh: at once when urgent, else periodically. */
#include <stdbool.h>

#include "call.h"
#include "mediad.h"

/* Whether any SRTP leg of c moved since its indexes were written (urgent: see differs). */
static bool
call_index_moved(const struct call *c, bool urgent)
{
	struct relay_srtp_state now;
	unsigned i, j;

	for (i = 0; i < 2; i++) {
		if (c->mono[i] == NULL)
			continue;
		for (j = 0; j < c->mono[i]->nmedia && j < MEDIAD_MAX_MEDIA; j++) {
			if (!(c->stored.opt[i][j] & CALL_STORED_INDEX))
				continue;
			call_index_read(c, i, j, &now);
			if (call_index_differs(&now, &c->stored.idx[i][j], urgent))
				return true;
		}
	}
	return false;
}

void
call_refresh_index(struct mediad *md, uint64_t now_ms)
{
	uint64_t ev = srtp_ctx_events();
	bool urgent = ev != md->index_events;
	struct call *c;

	if (md->store == NULL || !call_store_connected(md->store))
		return;	/* the reconnect rewrites every call whole */
	md->index_events = ev;
	for (c = md->calls.head; c != NULL; c = c->next) {
		bool due = now_ms - c->stored.idx_ms >= md->cfg.media_state_interval_ms;

		if (c->nrm == 0 || (!urgent && !due))
			continue;
		if (!c->stored.valid) {
			/* Nothing to add fields to: the whole record, but not on every event. */
			if (due)
				call_store_write(md->store, c);
		} else if (call_index_moved(c, !due)) {
			call_store_write_index(md->store, c);
		} else if (due) {
			c->stored.idx_ms = now_ms;	/* checked: nothing moved */
		}
	}
}
