/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: drive a libevent loop (see evloop.h). */
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include "lib/evloop.h"

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
evloop_run_ms(struct event_base *base, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

bool
evloop_run_until(struct event_base *base, const unsigned *counter, unsigned want,
    unsigned timeout_ms)
{
	uint64_t end = mono_ms() + timeout_ms;

	while (*counter < want && mono_ms() < end)
		evloop_run_ms(base, 5);
	return *counter >= want;
}
