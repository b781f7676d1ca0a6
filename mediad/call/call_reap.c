/* SPDX-License-Identifier: BSD-2-Clause */
/* Timeouts: offers never answered, answered calls whose media stopped or stayed silent on hold. */
#include "call.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"

/* Hold: some direction of some media carries nothing by agreement (a=sendonly on one
 * side, recvonly or inactive on the other), so silence is expected there. */
static bool
call_on_hold(const struct call *c)
{
	const struct monologue *a = c->mono[0], *b = c->mono[1];
	unsigned j;

	if (a == NULL || b == NULL)
		return false;
	for (j = 0; j < a->nmedia && j < b->nmedia; j++) {
		const struct call_media *ma = &a->media[j], *mb = &b->media[j];

		if (ma->disabled || mb->disabled)
			continue;
		if (!(ma->sends && mb->receives) || !(mb->sends && ma->receives))
			return true;
	}
	return false;
}

void
call_reap(struct mediad *md, uint64_t now)
{
	struct call *c, *next;

	for (c = md->calls.head; c != NULL; c = next) {
		uint64_t last;
		unsigned limit;

		next = c->next;
		if (c->state == CALL_STATE_OFFERED) {
			if (c->last_signal_ms > now ||
			    now - c->last_signal_ms < (uint64_t)md->cfg.offer_timeout_s * 1000u)
				continue;
			log_set_call_id(c->call_id);
			log_warnx("call_timeout reason=offer-not-answered after_s=%u",
			    md->cfg.offer_timeout_s);
			call_destroy(c);
			log_set_call_id(NULL);
			continue;
		}
		if (c->state != CALL_STATE_ANSWERED)
			continue;
		limit = call_on_hold(c) ? md->cfg.silent_timeout_s : md->cfg.media_timeout_s;
		if (limit == 0)
			continue;
		last = call_stats_last_packet_ms(c);
		if (last < c->last_signal_ms)
			last = c->last_signal_ms;
		/*
		 * Workers stamp packets with their own clock reads, which can be later
		 * than ours: a "last" in our future means media just flowed.
		 */
		if (last > now || now - last < (uint64_t)limit * 1000u)
			continue;
		log_set_call_id(c->call_id);
		log_warnx("call_timeout reason=%s after_s=%u", call_on_hold(c) ? "silent-on-hold" :
		    "no-media", limit);
		/* before the destroy: sigproxy ends the call, and then finds no media left */
		call_event_media_timeout(md, c, call_on_hold(c) ? "silent-on-hold" : "no-media",
		    limit);
		call_destroy(c);
		log_set_call_id(NULL);
	}
	metric_set(md->ctr.calls_active, md->calls.count);
}
