/* SPDX-License-Identifier: BSD-2-Clause */
/* One backend's health: consecutive probe results with N/M hysteresis, hold-down, the merged view. */
#include <stdio.h>
#include <string.h>

#include "health_int.h"
#include "log.h"
#include "timeutil.h"

static const char *const state_names[] = { "unknown", "up", "down" };

const char *
health_state_name(enum health_state s)
{
	return state_names[s];
}

struct backend *
health_backend_find(struct health *h, const char *uri)
{
	unsigned i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->b[i].uri, uri) == 0)
			return &h->b[i];
	return NULL;
}

static void
result_format(int result, char *buf, size_t size)
{
	if (result == HEALTH_NO_ANSWER)
		snprintf(buf, size, "no answer");
	else if (result == HEALTH_SEND_FAILED)
		snprintf(buf, size, "send failed");
	else
		snprintf(buf, size, "%d", result);
}

static void
state_set(struct backend *b, enum health_state s)
{
	struct sp *sp = b->h->sp;
	char last[16];

	result_format(b->last, last, sizeof(last));
	if (s == HEALTH_DOWN) {
		metric_inc(sp->ctr.backend_down);
		log_warnx("backend_down target=%s was=%s failed_probes=%u last=\"%s\"", b->uri,
		    state_names[b->state], b->fail, last);
	} else {
		metric_inc(sp->ctr.backend_up);
		log_info("backend_up target=%s was=%s answered_probes=%u last=\"%s\"", b->uri,
		    state_names[b->state], b->ok, last);
	}
	b->state = s;
	b->since_s = time_wall_s();
}

void
health_backend_observe(struct backend *b, int result)
{
	const struct sp_config *cfg = &b->h->sp->cfg;
	bool ok = result >= 200 && (b->up_on_any || result < 300);
	char last[16];

	b->last = result;
	if (ok) {
		b->fail = 0;
		if (b->ok < HEALTH_COUNT_MAX)
			b->ok++;
		if (b->state != HEALTH_UP && b->ok >= cfg->health_up_after)
			state_set(b, HEALTH_UP);
	} else {
		b->ok = 0;
		if (b->fail < HEALTH_COUNT_MAX)
			b->fail++;
		/* each failure that counts towards a verdict is worth a line; a dead one is quiet */
		if (b->state != HEALTH_DOWN) {
			result_format(result, last, sizeof(last));
			log_info("backend_probe_failed target=%s result=\"%s\" failed=%u down_after=%u",
			    b->uri, last, b->fail, cfg->health_down_after);
		}
		if (b->state != HEALTH_DOWN && b->fail >= cfg->health_down_after)
			state_set(b, HEALTH_DOWN);
	}
	health_share_publish(b);
}

enum health_state
health_backend_state(const struct backend *b)
{
	/* our own probes decide once they have; until then (or without probes) the newest
	 * observation another instance shared, while it is fresh */
	if (b->probed && b->state != HEALTH_UNKNOWN)
		return b->state;
	if (health_share_fresh(b))
		return b->shared_state;
	return b->state;
}

bool
health_backend_held(const struct backend *b)
{
	return time_mono_ms() < b->holddown_until ||
	    (b->shared_holddown_ms != 0 && health_wall_ms() < b->shared_holddown_ms);
}

void
health_backend_hold(struct backend *b, const char *why)
{
	unsigned ms = b->h->sp->cfg.holddown_ms;

	if (ms == 0)
		return;
	b->holddown_until = time_mono_ms() + ms;
	log_warnx("backend_holddown target=%s ms=%u reason=\"%s\"", b->uri, ms, why);
	health_share_hold(b, why);
}
