/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to common/metrics*.c: the histogram's storage and exposition. */
#ifndef SBC_COMMON_METRICS_INT_H
#define SBC_COMMON_METRICS_INT_H

#include <stdbool.h>

#include "metrics.h"

/* Whether b has 1..METRICS_HIST_MAX_BUCKETS strictly ascending bounds and a scale > 0. */
bool metrics_buckets_valid(const struct metrics_buckets *b);
/* A zeroed histogram over a copy of b (valid); NULL on ENOMEM. Freed with free(). */
struct metrics_hist *metrics_hist_new(const struct metrics_buckets *b);
/*
 * Writes name_bucket{labels,le="..."} (cumulative, +Inf last), name_sum and name_count.
 * labels NULL or "" for none. Returns 0 or ENOMEM.
 */
int metrics_hist_render(struct evbuffer *out, const char *name, const char *labels,
    struct metrics_hist *h);

#endif
