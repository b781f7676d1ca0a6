/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: the main() of a program whose cases share one private redis-server and loop. */
#ifndef SBC_TESTS_REDIS_CASES_H
#define SBC_TESTS_REDIS_CASES_H

#include <stddef.h>

struct event_base;
struct redis_server;

struct redis_case {
	const char *name;
	int (*fn)(void);	/* 0: passed */
};

/*
 * Starts *rs (redis_server_start, no options) and a new event base in *basep, which the
 * cases use; runs every case, printing "ok  <name>" or "FAIL <name>" to stderr, then lets
 * the loop run settle_ms (0: not at all) so that deferred frees happen before the next case;
 * stops the server and frees the base. Returns the exit status: 0 when every case passed.
 */
int redis_cases_main(const struct redis_case *cases, size_t n, struct redis_server *rs,
    struct event_base **basep, unsigned settle_ms);

#endif
