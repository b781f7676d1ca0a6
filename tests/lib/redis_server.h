/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: a private redis-server in a temp dir, on a free loopback port and a unix socket. */
#ifndef SBC_TESTS_REDIS_SERVER_H
#define SBC_TESTS_REDIS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Typical use (see tests/daemon/test_redis_reconnect.c):
 *
 *	struct redis_server rs;
 *	if (redis_server_start(&rs, NULL) != 0) fail;
 *	... connect to 127.0.0.1:rs.port or rs.unix_path ...
 *	redis_server_kill(&rs);        simulate a crash (SIGKILL)
 *	redis_server_restart(&rs);     same port, socket, password, dir
 *	redis_server_cleanup(&rs);     always: stops the server, removes the dir
 *
 * The server runs with --save '' --appendonly no, so nothing survives a restart.
 * It gets SIGKILL if the test process dies (see proc_spawn).
 */
struct redis_server_opts {
	const char *password;   /* --requirepass; NULL: none */
	bool no_tcp;            /* unix socket only (--port 0) */
};

struct redis_server {
	pid_t pid;              /* 0 when not running */
	uint16_t port;          /* 127.0.0.1 TCP port; 0 with no_tcp */
	char dir[256];          /* private temp dir: socket, log */
	char unix_path[300];    /* dir/redis.sock */
	char log_path[300];     /* dir/redis.log: read it when a start fails */
	char password[128];
};

/*
 * Creates the dir, picks a free port, starts redis-server and waits (up to 10 s)
 * until it answers PING. Returns 0 or an errno value (ENOENT: no redis-server
 * binary; ETIMEDOUT: never became ready). On failure nothing is left running
 * and the dir is removed. opts may be NULL.
 */
int redis_server_start(struct redis_server *rs, const struct redis_server_opts *opts);
/* SIGKILL and reap: the clients see the connection drop at once. */
int redis_server_kill(struct redis_server *rs);
/* SIGSTOP / SIGCONT: the server keeps its sockets but stops answering. */
int redis_server_pause(struct redis_server *rs);
int redis_server_resume(struct redis_server *rs);
/* Starts it again on the same port and socket after kill; waits until ready. */
int redis_server_restart(struct redis_server *rs);
/* Stops the server if running (SIGTERM, SIGKILL after 3 s) and removes the dir. Idempotent. */
void redis_server_cleanup(struct redis_server *rs);
/*
 * Sends one inline command over the unix socket ("PING", "DBSIZE") and copies
 * the first reply line (e.g. "+PONG", ":3", "-NOAUTH ...") into buf. AUTH is
 * sent first when the server has a password. Returns 0 or an errno value.
 */
int redis_server_query(const struct redis_server *rs, const char *cmd, char *buf, size_t size);

#endif
