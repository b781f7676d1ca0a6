/* SPDX-License-Identifier: BSD-2-Clause */
/* ng delete (with delete delay), the call teardown hook, and the timeout reaper. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bencode.h"
#include "metrics.h"
#include "mediad.h"
#include "ng.h"
#include "relay.h"
#include "timeutil.h"

void
mediad_call_destroy_h(struct call *c, void *arg)
{
	struct mediad *md = arg;
	unsigned i, j;

	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		/* Synchronous: when it returns the worker no longer touches the sockets. */
		relay_media_destroy(c->rm[i]);
		c->rm[i] = NULL;
	}
	for (i = 0; i < 2; i++) {
		struct monologue *mono = c->mono[i];

		if (mono == NULL)
			continue;
		for (j = 0; j < MEDIAD_MAX_MEDIA; j++) {
			struct call_media *cm = &mono->media[j];

			if (cm->have_ports) {
				port_pair_release(mono->iface->pool, &cm->ports);
				cm->have_ports = false;
			}
		}
	}
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

	log_info("call_delete_delay_expired call_id=%s", c->call_id);
	call_destroy(c);
	metric_set(md->ctr.calls_active, t->count);
}

const char *
ng_handle_delete(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct ng_opts o;
	struct call *c;
	const char *reason;
	int64_t delay;

	reason = ng_opts_parse(md, m, &o);
	if (reason != NULL)
		return reason;
	c = call_find(&md->calls, o.call_id, o.call_id_len);
	/* A from-tag (or, with the to-tag flag, a to-tag) that the call does not know
	 * means this delete is not for this call. */
	if (c != NULL && o.from_tag != NULL && o.from_tag_len > 0 &&
	    call_mono_by_tag(c, o.from_tag, o.from_tag_len) == NULL)
		c = NULL;
	if (c != NULL && o.to_tag_flag && o.to_tag != NULL && o.to_tag_len > 0 &&
	    call_mono_by_tag(c, o.to_tag, o.to_tag_len) == NULL)
		c = NULL;
	if (c == NULL) {
		if (o.fatal)
			return NG_ERR_UNKNOWN_CALL;
		if (bencode_dict_add_cstr(a, reply, "warning", NG_WARN_DELETE_UNKNOWN))
			return "Out of memory";
		return NULL;
	}
	delay = o.delete_delay >= 0 ? o.delete_delay : (int64_t)md->cfg.delete_delay_s;
	if (delay == 0) {
		int err = 0;

		/* Final statistics and tear-down in one worker round trip per media. */
		if (!o.fast)
			err = call_stats_add_destroy(md, c, a, reply);
		log_info("call_delete immediate=yes");
		/* The relay media are already gone: finish the delete even without a reply. */
		call_destroy(c);
		return err != 0 ? "Out of memory" : NULL;
	}
	/* Statistics as they were at deletion time, unless the client wants a small reply. */
	if (!o.fast && call_stats_add(md, c, a, reply))
		return "Out of memory";
	if (c->delete_ev == NULL) {
		c->delete_ev = evtimer_new(md->base, delete_timer, c);
		if (c->delete_ev == NULL) {
			call_destroy(c);
			return NULL;
		}
	}
	{
		struct timeval tv = { (time_t)delay, 0 };

		evtimer_add(c->delete_ev, &tv);
	}
	c->state = CALL_STATE_DELETING;
	log_info("call_delete delay_s=%lld", (long long)delay);
	return NULL;
}

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
mediad_reap(struct mediad *md)
{
	uint64_t now = time_mono_ms();
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
		call_destroy(c);
		log_set_call_id(NULL);
	}
	metric_set(md->ctr.calls_active, md->calls.count);
}
