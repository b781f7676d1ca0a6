/* SPDX-License-Identifier: BSD-2-Clause */
/* The shared main() of the Redis client tests: one server and one loop for every case. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "lib/evloop.h"
#include "lib/redis_cases.h"
#include "lib/redis_server.h"

int
redis_cases_main(const struct redis_case *cases, size_t n, struct redis_server *rs,
    struct event_base **basep, unsigned settle_ms)
{
	unsigned failed = 0;
	size_t i;
	int err;

	/* a server killed mid-write must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	*basep = event_base_new();
	if (*basep == NULL)
		return 1;
	err = redis_server_start(rs, NULL);
	if (err) {
		fprintf(stderr, "cannot start redis-server: %s\n", strerror(err));
		event_base_free(*basep);
		*basep = NULL;
		return 1;
	}
	for (i = 0; i < n; i++) {
		err = cases[i].fn();
		fprintf(stderr, "%s %s\n", err ? "FAIL" : "ok  ", cases[i].name);
		if (err)
			failed++;
		if (settle_ms > 0)
			evloop_run_ms(*basep, settle_ms);
	}
	redis_server_cleanup(rs);
	event_base_free(*basep);
	*basep = NULL;
	return failed ? 1 : 0;
}
