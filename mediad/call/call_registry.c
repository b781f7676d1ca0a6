/* SPDX-License-Identifier: BSD-2-Clause */
/* This mediad's registration in Redis: sbc:mediad:<id> (TTL'd load report) and its id in
 * sbc:mediads, written on a timer and removed at shutdown. */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "redis.h"
#include "redis_keys.h"
#include "timeutil.h"

static void
registry_done(struct redisReply *reply, void *arg)
{
	struct mediad *md = arg;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		metric_inc(md->ctr.redis_write_failures);
}

/* One command; counted like the call store's writes. */
static void
registry_cmd(struct mediad *md, struct redis_conn *r, int argc, const char **argv)
{
	if (redis_cmd_argv(r, registry_done, md, argc, argv, NULL) == 0)
		metric_inc(md->ctr.redis_writes);
	else
		metric_inc(md->ctr.redis_write_failures);
}

void
call_registry_write(struct mediad *md, struct redis_conn *r)
{
	char key[128], a[SA_STRLEN], ifs[512], ng[SA_STRLEN + 8];
	char calls[24], load[16], in_use_s[16], size_s[16], maxs[16], started[24], now[24], ttl[16];
	char since[24], set[160], media_ttl[16];
	unsigned i, in_use = 0, size = 0;
	size_t off = 0;
	const char *argv[32];
	int argc = 0;

	snprintf(key, sizeof(key), "%s%s", SBC_KEY_MEDIAD_PREFIX, md->cfg.id);
	ifs[0] = '\0';
	for (i = 0; i < md->cfg.niface; i++) {
		struct mediad_iface *ifc = &md->cfg.ifaces[i];
		int n;

		in_use += port_pool_in_use(ifc->pool);
		size += port_pool_size(ifc->pool);
		n = snprintf(ifs + off, sizeof(ifs) - off, "%s%s=%s", i ? " " : "", ifc->name,
		    sa_format_ip(&ifc->advertised, a, sizeof(a)));
		if (n < 0 || (size_t)n >= sizeof(ifs) - off)
			break;
		off += (size_t)n;
	}
	snprintf(calls, sizeof(calls), "%zu", md->calls.count);
	/* load: percent of port pairs in use, what limits new calls first */
	snprintf(load, sizeof(load), "%u", size ? (in_use * 100u) / size : 0);
	snprintf(in_use_s, sizeof(in_use_s), "%u", in_use);
	snprintf(size_s, sizeof(size_s), "%u", size);
	snprintf(maxs, sizeof(maxs), "%u", md->cfg.max_sessions);
	snprintf(started, sizeof(started), "%lld", (long long)md->started);
	snprintf(now, sizeof(now), "%lld", (long long)time_wall_s());
	argv[argc++] = "HSET";
	argv[argc++] = key;
	argv[argc++] = "id";
	argv[argc++] = md->cfg.id;
	if (sa_family(&md->ng_addr) != AF_UNSPEC) {
		argv[argc++] = "ng";
		argv[argc++] = sa_format(&md->ng_addr, ng, sizeof(ng));
	}
	argv[argc++] = "interfaces";
	argv[argc++] = ifs;
	argv[argc++] = "calls";
	argv[argc++] = calls;
	argv[argc++] = "load";
	argv[argc++] = load;
	argv[argc++] = "ports_in_use";
	argv[argc++] = in_use_s;
	argv[argc++] = "ports_total";
	argv[argc++] = size_s;
	argv[argc++] = "max_sessions";
	argv[argc++] = maxs;
	argv[argc++] = "started";
	argv[argc++] = started;
	argv[argc++] = "updated";
	argv[argc++] = now;
	if (md->draining) {
		/* drained by a signal here: said at every refresh (an operator's flag, if any,
		 * is left as it is otherwise) */
		snprintf(since, sizeof(since), "%lld", (long long)md->drain_since);
		argv[argc++] = "drain";
		argv[argc++] = "yes";
		argv[argc++] = "drain_by";
		argv[argc++] = "mediad";
		argv[argc++] = "drain_since";
		argv[argc++] = since;
	}
	registry_cmd(md, r, argc, argv);
	snprintf(ttl, sizeof(ttl), "%u", md->cfg.reg_ttl_s);
	registry_cmd(md, r, 3, (const char *[]){ "EXPIRE", key, ttl });
	/*
	 * The index sigproxy reads: one small set instead of a SCAN over every call
	 * record. The TTL'd hash stays the proof of life; sigproxy drops ids whose hash
	 * expired.
	 */
	registry_cmd(md, r, 3, (const char *[]){ "SADD", SBC_KEY_MEDIADS, md->cfg.id });
	/* this mediad's calls index lives as long as the records it names */
	snprintf(set, sizeof(set), "%s%s", SBC_KEY_MEDIAD_CALLS_PREFIX, md->cfg.id);
	snprintf(media_ttl, sizeof(media_ttl), "%u", md->cfg.media_ttl_s);
	registry_cmd(md, r, 3, (const char *[]){ "EXPIRE", set, media_ttl });
}

int
call_registry_remove(struct mediad *md, struct redis_conn *r, redis_reply_h *h, void *arg)
{
	char key[128];
	int err;

	snprintf(key, sizeof(key), "%s%s", SBC_KEY_MEDIAD_PREFIX, md->cfg.id);
	/* One transaction: sigproxy never sees the id without its hash or the reverse. */
	err = redis_cmd_argv(r, NULL, NULL, 1, (const char *[]){ "MULTI" }, NULL);
	if (err == 0)
		err = redis_cmd_argv(r, NULL, NULL, 3,
		    (const char *[]){ "SREM", SBC_KEY_MEDIADS, md->cfg.id }, NULL);
	if (err == 0)
		err = redis_cmd_argv(r, NULL, NULL, 2, (const char *[]){ "DEL", key }, NULL);
	/* h hears from EXEC: the reply to the whole transaction, or NULL when it was lost. */
	if (err == 0)
		err = redis_cmd_argv(r, h, arg, 1, (const char *[]){ "EXEC" }, NULL);
	if (err == 0)
		redis_flush(r);
	return err;
}
