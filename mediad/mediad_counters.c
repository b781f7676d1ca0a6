/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon-wide counters (ng commands and drops, calls, ports, Redis writes) in the registry. */
#include <errno.h>
#include <stdio.h>

#include "mediad.h"
#include "metrics.h"

int
mediad_counters_register(struct mediad *md)
{
	static const char *const ops[8] = {
		"unknown", "ping", "offer", "answer", "delete", "query", "list", "statistics",
	};
	struct metrics *m = md->metrics;
	struct mediad_counters *c = &md->ctr;
	char labels[64];
	unsigned i;

	for (i = 0; i < 8; i++) {
		snprintf(labels, sizeof(labels), "command=\"%s\"", ops[i]);
		c->cmd[i] = metrics_counter(m, "mediad_ng_commands_total", labels,
		    "ng commands run (retransmissions answered from the cache excluded)");
	}
	c->errors = metrics_counter(m, "mediad_ng_errors_total", NULL,
	    "ng commands answered with an error");
	c->dropped_acl = metrics_counter(m, "mediad_ng_dropped_total", "reason=\"not-allowed\"",
	    "ng datagrams dropped without reply");
	c->dropped_malformed = metrics_counter(m, "mediad_ng_dropped_total",
	    "reason=\"malformed\"", NULL);
	c->dropped_in_progress = metrics_counter(m, "mediad_ng_dropped_total",
	    "reason=\"in-progress\"", NULL);
	c->cache_hits = metrics_counter(m, "mediad_ng_cache_hits_total", NULL,
	    "retransmitted ng commands answered from the cookie cache");
	c->cookie_collisions = metrics_counter(m, "mediad_ng_cookie_collisions_total", NULL,
	    "cookies reused by a different request (run as new)");
	c->calls_active = metrics_gauge(m, "mediad_calls_active", NULL, "calls held now");
	c->calls_total = metrics_counter(m, "mediad_calls_total", NULL, "calls created");
	c->no_ports = metrics_counter(m, "mediad_ports_exhausted_total", NULL,
	    "offers refused with \"Ran out of ports\"");
	c->redis_writes = metrics_counter(m, "mediad_redis_writes_total", NULL,
	    "Redis commands queued for call state and registration");
	c->redis_write_failures = metrics_counter(m, "mediad_redis_write_failures_total", NULL,
	    "Redis writes lost (disconnected or error reply)");
	for (i = 0; i < 8; i++)
		if (c->cmd[i] == NULL)
			return ENOMEM;
	if (c->errors == NULL || c->dropped_acl == NULL || c->dropped_malformed == NULL ||
	    c->dropped_in_progress == NULL || c->cache_hits == NULL ||
	    c->cookie_collisions == NULL || c->calls_active == NULL || c->calls_total == NULL ||
	    c->no_ports == NULL || c->redis_writes == NULL || c->redis_write_failures == NULL)
		return ENOMEM;
	return 0;
}
