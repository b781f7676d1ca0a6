/* SPDX-License-Identifier: BSD-2-Clause */
/* Clock helpers: monotonic milliseconds/microseconds and wall-clock seconds. */
#ifndef SBC_COMMON_TIMEUTIL_H
#define SBC_COMMON_TIMEUTIL_H

#include <stdint.h>
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

#endif
