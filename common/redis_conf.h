/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The [redis] keys both daemons share: the address, password and db, deadlines,
 * keepalive, reconnect backoff, the backlog of writes kept while Redis is away, and
 * Redis Sentinel. One table, applied by each daemon to its struct redis_conf.
 */
#ifndef SBC_COMMON_REDIS_CONF_H
#define SBC_COMMON_REDIS_CONF_H

#include "config.h"
#include "redis.h"

struct redis_conf {
	char host[256];                 /* TCP host; ignored with unix_path */
	uint16_t port;
	char unix_path[108];            /* unix socket; "": TCP */
	char password[128];             /* AUTH; never logged */
	int db;                         /* SELECT when > 0 */
	unsigned cmd_timeout_ms;        /* reply deadline: a later reply means a hung server */
	unsigned keepalive_ms;          /* PING when idle this often; 0: never */
	unsigned connect_timeout_ms;    /* connect + AUTH + first PING, and each sentinel */
	unsigned reconnect_max_ms;      /* cap of the doubling reconnect delay (from 100 ms) */
	unsigned pending_max;           /* writes kept for a Redis that is away */
	unsigned wait_ms;               /* Sentinel mode: WAIT 1 timeout for those writes */
	char sentinels[256];            /* "ip:port ip:port ..."; "": no Sentinel */
	char master_name[64];           /* the master the sentinels monitor */
	char sentinel_password[128];    /* AUTH to the sentinels; never logged */
};

/* The rows of section "redis" that fill a struct redis_conf (conf_apply's base). */
extern const struct conf_key redis_conf_keys[];

/*
 * Fills the fields of o that c configures (all but write_delay_ms); strings stay c's
 * (redis_conn_alloc copies them).
 */
void redis_conf_opts(const struct redis_conf *c, struct redis_opts *o);

#endif
