/* SPDX-License-Identifier: BSD-2-Clause */
/* Clock helpers: monotonic milliseconds/microseconds and wall-clock seconds. */
#ifndef SBC_COMMON_TIMEUTIL_H
#define SBC_COMMON_TIMEUTIL_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static inline uint64_t
time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t
time_mono_ms(void)
{
	return time_mono_us() / 1000u;
}

static inline int64_t
time_wall_s(void)
{
	return (int64_t)time(NULL);
}

/* A relative timeout for libevent and hiredis, from milliseconds. */
static inline struct timeval
timeval_from_ms(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000u);
	tv.tv_usec = (suseconds_t)((ms % 1000u) * 1000u);
	return tv;
}

#endif
