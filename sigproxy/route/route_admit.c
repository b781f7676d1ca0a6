/* SPDX-License-Identifier: BSD-2-Clause */
/* Call admission: calls at once and new calls per second, per route and per backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "tbucket.h"

struct admit_bucket {
	unsigned calls;		/* held now */
	unsigned max_calls;	/* 0: no limit */
	unsigned cps;		/* 0: no limit */
	struct tbucket tb;	/* new calls: cps per second, one second's worth at once */
	bool primed;		/* tb filled once (on the first call: the clock is the caller's) */
};

struct route_admit {
	const struct route_table *t;	/* borrowed */
	struct admit_bucket *rule;	/* one per rule */
	struct admit_bucket *backend;	/* one per distinct target (host, port, transport) */
	unsigned nbackends;
	unsigned *tmap;			/* rule index * ROUTE_TARGETS_MAX + target -> backend */
};

const char *
route_refusal_name(enum route_refusal r)
{
	static const char *const names[ROUTE_REFUSE_N] = {
		"route_max_calls", "route_max_cps", "target_max_calls", "target_max_cps",
	};

	return (unsigned)r < ROUTE_REFUSE_N ? names[r] : "?";
}

static bool
target_same(const struct route_target *a, const struct route_target *b)
{
	return a->port == b->port && a->transport == b->transport && strcmp(a->host, b->host) == 0;
}

/* The smallest limit that is set (0: none). */
static unsigned
limit_min(unsigned cur, unsigned v)
{
	if (v == 0)
		return cur;
	return cur == 0 || v < cur ? v : cur;
}

int
route_admit_alloc(struct route_admit **ap, const struct route_table *t)
{
	unsigned n = route_table_count(t), i, j, k, max = n * ROUTE_TARGETS_MAX;
	const struct route_target **first;
	struct route_admit *a;
	int err = ENOMEM;

	a = calloc(1, sizeof(*a));
	first = calloc(max ? max : 1, sizeof(*first));
	if (a == NULL || first == NULL)
		goto out;
	a->t = t;
	a->rule = calloc(n ? n : 1, sizeof(*a->rule));
	a->backend = calloc(max ? max : 1, sizeof(*a->backend));
	a->tmap = calloc(max ? max : 1, sizeof(*a->tmap));
	if (a->rule == NULL || a->backend == NULL || a->tmap == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const struct route_rule *r = route_table_rule(t, i);

		a->rule[i].max_calls = r->max_calls;
		a->rule[i].cps = r->max_cps;
		for (j = 0; j < r->ntargets; j++) {
			for (k = 0; k < a->nbackends; k++)
				if (target_same(first[k], &r->targets[j]))
					break;
			if (k == a->nbackends)
				first[a->nbackends++] = &r->targets[j];
			a->tmap[i * ROUTE_TARGETS_MAX + j] = k;
			a->backend[k].max_calls = limit_min(a->backend[k].max_calls,
			    r->target_max_calls);
			a->backend[k].cps = limit_min(a->backend[k].cps, r->target_max_cps);
		}
	}
	err = 0;
 out:
	free(first);
	if (err)
		route_admit_free(a);
	else
		*ap = a;
	return err;
}

void
route_admit_free(struct route_admit *a)
{
	if (a == NULL)
		return;
	free(a->rule);
	free(a->backend);
	free(a->tmap);
	free(a);
}

/* Whether one more call fits b at now; takes its place (and a token) when it does. */
static int
bucket_take(struct admit_bucket *b, uint64_t now, bool *cps_refused, unsigned *retry_s)
{
	*cps_refused = false;
	if (b->max_calls != 0 && b->calls >= b->max_calls) {
		*retry_s = 0;
		return EBUSY;
	}
	if (b->cps != 0) {
		if (!b->primed) {
			tbucket_init(&b->tb, b->cps, now);
			b->primed = true;
		}
		if (!tbucket_take(&b->tb, b->cps, b->cps, now)) {
			*cps_refused = true;
			/* whole seconds, at least one: Retry-After has no finer unit */
			*retry_s = (unsigned)((tbucket_wait_ms(&b->tb, b->cps) + 999) / 1000);
			if (*retry_s == 0)
				*retry_s = 1;
			return EBUSY;
		}
	}
	b->calls++;
	return 0;
}

int
route_admit_call(struct route_admit *a, const struct route_rule *r, uint64_t now,
    struct route_slot *slot, enum route_refusal *why, unsigned *retry_s)
{
	bool cps;
	int err;

	memset(slot, 0, sizeof(*slot));
	err = bucket_take(&a->rule[r->index], now, &cps, retry_s);
	if (err) {
		*why = cps ? ROUTE_REFUSE_MAX_CPS : ROUTE_REFUSE_MAX_CALLS;
		return err;
	}
	slot->route_held = true;
	slot->rule = r->index;
	return 0;
}

int
route_admit_target(struct route_admit *a, const struct route_rule *r, unsigned ti,
    uint64_t now, struct route_slot *slot, enum route_refusal *why, unsigned *retry_s)
{
	unsigned k = a->tmap[r->index * ROUTE_TARGETS_MAX + ti];
	bool cps;
	int err;

	if (slot->target_held) {
		a->backend[slot->backend].calls--;
		slot->target_held = false;
	}
	err = bucket_take(&a->backend[k], now, &cps, retry_s);
	if (err) {
		*why = cps ? ROUTE_REFUSE_TARGET_MAX_CPS : ROUTE_REFUSE_TARGET_MAX_CALLS;
		return err;
	}
	slot->target_held = true;
	slot->backend = k;
	return 0;
}

void
route_admit_release(struct route_admit *a, struct route_slot *slot)
{
	if (a == NULL || slot == NULL)
		return;
	if (slot->route_held)
		a->rule[slot->rule].calls--;
	if (slot->target_held)
		a->backend[slot->backend].calls--;
	slot->route_held = slot->target_held = false;
}

unsigned
route_admit_calls(const struct route_admit *a, const struct route_rule *r)
{
	return a->rule[r->index].calls;
}

unsigned
route_admit_target_calls(const struct route_admit *a, const struct route_rule *r, unsigned ti)
{
	return a->backend[a->tmap[r->index * ROUTE_TARGETS_MAX + ti]].calls;
}
