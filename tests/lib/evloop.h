/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: drive a libevent loop for a while, or until a counter is reached. */
#ifndef SBC_TESTS_EVLOOP_H
#define SBC_TESTS_EVLOOP_H

#include <stdbool.h>

struct event_base;

/* Runs base's loop for ms milliseconds. */
void evloop_run_ms(struct event_base *base, unsigned ms);
/* Runs it in 5 ms slices until *counter reaches want or timeout_ms pass; returns whether it did. */
bool evloop_run_until(struct event_base *base, const unsigned *counter, unsigned want,
    unsigned timeout_ms);

#endif
