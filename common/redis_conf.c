/* SPDX-License-Identifier: BSD-2-Clause */
/* The shared [redis] rows (deadlines, keepalive, backlog, Sentinel) and their use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "redis_conf.h"
#include "redis_sentinel.h"

#define RC(field) CONF_FIELD(struct redis_conf, field)

static int
sentinels_check(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	if (redis_sentinel_list_check(value)) {
		snprintf(msg, size, "'%.100s' is not a list of numeric ip:port (at most %d)",
		    value, REDIS_SENTINELS_MAX);
		return EINVAL;
	}
	return 0;
}

/* After sentinels (row order): a list needs the master's name, a name needs a list. */
static int
master_check(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	const struct redis_conf *c = arg;
	bool named = value != NULL && value[0] != '\0';

	if (c->sentinels[0] != '\0' && !named) {
		snprintf(msg, size, "needed with sentinels");
		return EINVAL;
	}
	if (c->sentinels[0] == '\0' && named) {
		snprintf(msg, size, "set, but no sentinels");
		return EINVAL;
	}
	return 0;
}

const struct conf_key redis_conf_keys[] = {
	{ "redis", "host", CONF_TYPE_STR, "127.0.0.1", 0, 0, RC(host), NULL, 0, NULL },
	{ "redis", "port", CONF_TYPE_INT, "6379", 1, 65535, RC(port), NULL, 0, NULL },
	{ "redis", "unix_socket", CONF_TYPE_STR, "", 0, 0, RC(unix_path), NULL, 0, NULL },
	{ "redis", "password", CONF_TYPE_STR, "", 0, 0, RC(password), NULL, CONF_SECRET, NULL },
	{ "redis", "db", CONF_TYPE_INT, "0", 0, 1000, RC(db), NULL, 0, NULL },
	{ "redis", "command_timeout_ms", CONF_TYPE_INT, "250", 20, 10000, RC(cmd_timeout_ms),
	  NULL, 0, NULL },
	{ "redis", "keepalive_ms", CONF_TYPE_INT, "100", 0, 10000, RC(keepalive_ms), NULL, 0,
	  NULL },
	{ "redis", "connect_timeout_ms", CONF_TYPE_INT, "1000", 50, 30000,
	  RC(connect_timeout_ms), NULL, 0, NULL },
	{ "redis", "reconnect_max_ms", CONF_TYPE_INT, "1000", 100, 60000, RC(reconnect_max_ms),
	  NULL, 0, NULL },
	{ "redis", "pending_max", CONF_TYPE_INT, "10000", 10, 1000000, RC(pending_max), NULL, 0,
	  NULL },
	{ "redis", "wait_ms", CONF_TYPE_INT, "100", 10, 5000, RC(wait_ms), NULL, 0, NULL },
	{ "redis", "sentinels", CONF_TYPE_STR, "", 0, 0, RC(sentinels), NULL, 0,
	  sentinels_check },
	{ "redis", "master_name", CONF_TYPE_STR, "", 0, 0, RC(master_name), NULL, 0,
	  master_check },
	{ "redis", "sentinel_password", CONF_TYPE_STR, "", 0, 0, RC(sentinel_password), NULL,
	  CONF_SECRET, NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

void
redis_conf_opts(const struct redis_conf *c, struct redis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = c->host;
	o->port = c->port;
	o->unix_path = c->unix_path[0] ? c->unix_path : NULL;
	o->password = c->password[0] ? c->password : NULL;
	o->db = c->db;
	o->cmd_timeout_ms = c->cmd_timeout_ms;
	o->keepalive_ms = c->keepalive_ms;
	o->connect_timeout_ms = c->connect_timeout_ms;
	o->backoff_min_ms = 100;
	o->backoff_max_ms = c->reconnect_max_ms;
	o->sentinels = c->sentinels[0] ? c->sentinels : NULL;
	o->master_name = c->master_name[0] ? c->master_name : NULL;
	o->sentinel_password = c->sentinel_password[0] ? c->sentinel_password : NULL;
}
