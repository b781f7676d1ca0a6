/* SPDX-License-Identifier: BSD-2-Clause */
/* Token buckets in integer arithmetic: rate per second, a burst, the caller's monotonic clock. */
#ifndef SBC_COMMON_TBUCKET_H
#define SBC_COMMON_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

/* Tokens are kept in thousandths: a rate of n per second adds n of them per millisecond. */
#define TBUCKET_MILLI 1000u

struct tbucket {
	uint64_t last;		/* monotonic ms of the last refill */
	uint32_t tokens;	/* thousandths of a token */
};

/* Full (burst tokens) at now. */
static inline void
tbucket_init(struct tbucket *b, unsigned burst, uint64_t now)
{
	b->tokens = burst * TBUCKET_MILLI;
	b->last = now;
}

/* Refills for the time since the last call, then takes one token if there is one. */
static inline bool
tbucket_take(struct tbucket *b, unsigned rate, unsigned burst, uint64_t now)
{
	uint64_t t = b->tokens, cap = (uint64_t)burst * TBUCKET_MILLI;

	if (now > b->last) {
		t += (now - b->last) * rate;
		if (t > cap)
			t = cap;
		b->last = now;
	}
	if (t < TBUCKET_MILLI) {
		b->tokens = (uint32_t)t;
		return false;
	}
	b->tokens = (uint32_t)(t - TBUCKET_MILLI);
	return true;
}

/* Milliseconds until the next token (0: one is there), as of the last tbucket_take(). */
static inline uint64_t
tbucket_wait_ms(const struct tbucket *b, unsigned rate)
{
	if (b->tokens >= TBUCKET_MILLI || rate == 0)
		return 0;
	return (TBUCKET_MILLI - b->tokens + rate - 1) / rate;
}

#endif
