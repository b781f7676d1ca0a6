/* SPDX-License-Identifier: BSD-2-Clause */
/* ng query, list and statistics: read-only views of the calls. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bencode.h"
#include "mediad.h"
#include "metrics.h"
#include "ng.h"
#include "ng_server.h"
#include "timeutil.h"

const char *
ng_handle_query(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	const char *id;
	size_t len;
	struct call *c;

	if (ng_get_str(m->dict, "call-id", &id, &len) || len == 0)
		return NG_ERR_NO_CALL_ID;
	c = call_find(&md->calls, id, len);
	if (c == NULL)
		return NG_ERR_UNKNOWN_CALL;
	/* the operator CLI asks every call of a listing: a few hundred bytes each */
	if (ng_list_has(m->dict, "flags", "leg-summary")) {
		if (call_legs_add(md, c, false, a, reply))
			return NG_ERR_NO_MEMORY;
		return NULL;
	}
	if (call_stats_add(md, c, a, reply))
		return NG_ERR_NO_MEMORY;
	return NULL;
}

const char *
ng_handle_list(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct bencode_item *calls, *stats = NULL, *one;
	struct call *c;
	int64_t limit = 32, n = 0;

	if (ng_dict_get(m->dict, "limit") != NULL &&
	    (ng_get_int(m->dict, "limit", &limit) || limit < 0))
		return NG_ERR_BAD_LIMIT;
	calls = bencode_list(a);
	if (calls == NULL)
		return NG_ERR_NO_MEMORY;
	/*
	 * rtpengine's reply is the list of call-ids; flag "stats" adds a summary per
	 * call (keyed by call-id) for operators who want counters without a query each.
	 */
	if (ng_list_has(m->dict, "flags", "stats") && (stats = bencode_dict(a)) == NULL)
		return NG_ERR_NO_MEMORY;
	for (c = md->calls.head; c != NULL && n < limit; c = c->next, n++) {
		if (bencode_list_add(calls, bencode_cstr(a, c->call_id)))
			return NG_ERR_NO_MEMORY;
		if (stats == NULL)
			continue;
		one = bencode_dict(a);
		if (one == NULL || call_stats_add_summary(md, c, a, one) ||
		    bencode_dict_add(a, stats, c->call_id, one))
			return NG_ERR_NO_MEMORY;
	}
	if (bencode_dict_add(a, reply, "calls", calls) ||
	    (stats != NULL && bencode_dict_add(a, reply, "stats", stats)))
		return NG_ERR_NO_MEMORY;
	return NULL;
}

const char *
ng_handle_statistics(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct bencode_item *st = bencode_dict(a), *cur = bencode_dict(a), *tot = bencode_dict(a);
	char up[32];

	(void)m;
	if (st == NULL || cur == NULL || tot == NULL)
		return NG_ERR_NO_MEMORY;
	snprintf(up, sizeof(up), "%lld", (long long)(time_wall_s() - md->started));
	if (bencode_dict_add_int(a, cur, "sessionsown", (int64_t)md->calls.count) ||
	    bencode_dict_add_int(a, cur, "sessionsforeign", 0) ||
	    bencode_dict_add_int(a, cur, "sessionstotal", (int64_t)md->calls.count) ||
	    bencode_dict_add(a, tot, "uptime", bencode_str_dup(a, up, strlen(up))) ||
	    bencode_dict_add_int(a, tot, "managedsessions",
	    (int64_t)metric_get(md->ctr.calls_total)) ||
	    bencode_dict_add(a, st, "currentstatistics", cur) ||
	    bencode_dict_add(a, st, "totalstatistics", tot) ||
	    bencode_dict_add(a, reply, "statistics", st))
		return NG_ERR_NO_MEMORY;
	return NULL;
}
