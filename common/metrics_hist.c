/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus histograms: lock-free bucket counts, rendered cumulative with _sum and _count. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "metrics_int.h"

struct metrics_hist {
	struct metrics_buckets b;     /* read-only after creation */
	/* Per bucket, not cumulative: one atomic add per observation. [b.n] is +Inf. */
	_Atomic uint64_t count[METRICS_HIST_MAX_BUCKETS + 1];
	_Atomic uint64_t sum;         /* in the observed unit */
};

bool
metrics_buckets_valid(const struct metrics_buckets *b)
{
	unsigned i;

	if (b == NULL || b->n == 0 || b->n > METRICS_HIST_MAX_BUCKETS || !(b->scale > 0))
		return false;
	for (i = 1; i < b->n; i++)
		if (b->le[i] <= b->le[i - 1])
			return false;
	return true;
}

struct metrics_hist *
metrics_hist_new(const struct metrics_buckets *b)
{
	struct metrics_hist *h;
	unsigned i;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->b = *b;
	for (i = 0; i <= METRICS_HIST_MAX_BUCKETS; i++)
		atomic_init(&h->count[i], 0);
	atomic_init(&h->sum, 0);
	return h;
}

void
metrics_hist_observe(struct metrics_hist *h, uint64_t value)
{
	unsigned i;

	if (h == NULL)
		return;
	/* A dozen bounds: a linear scan beats a search and stays branch-predictable. */
	for (i = 0; i < h->b.n && value > h->b.le[i]; i++)
		;
	atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, value, memory_order_relaxed);
}

int
metrics_hist_render(struct evbuffer *out, const char *name, const char *labels,
    struct metrics_hist *h)
{
	const char *sep = labels != NULL && labels[0] != '\0' ? "," : "";
	uint64_t cum = 0;
	unsigned i;

	if (labels == NULL)
		labels = "";
	for (i = 0; i <= h->b.n; i++) {
		cum += atomic_load_explicit(&h->count[i], memory_order_relaxed);
		if (i < h->b.n) {
			if (evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%.6g\"} %" PRIu64 "\n",
			    name, labels, sep, (double)h->b.le[i] * h->b.scale, cum) < 0)
				return ENOMEM;
		} else if (evbuffer_add_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n",
		    name, labels, sep, cum) < 0) {
			return ENOMEM;
		}
	}
	/* _count is the +Inf bucket, so the two always agree within one scrape. */
	if (evbuffer_add_printf(out, "%s_sum%s%s%s %.9g\n%s_count%s%s%s %" PRIu64 "\n",
	    name, *labels ? "{" : "", labels, *labels ? "}" : "",
	    (double)atomic_load_explicit(&h->sum, memory_order_relaxed) * h->b.scale,
	    name, *labels ? "{" : "", labels, *labels ? "}" : "", cum) < 0)
		return ENOMEM;
	return 0;
}
