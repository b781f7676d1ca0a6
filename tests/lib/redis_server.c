/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: start, crash, pause and restart a private redis-server. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/proc.h"
#include "lib/redis_server.h"

static int
free_port(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		err = errno;
	else
		*port = ntohs(sin.sin_port);
	close(fd);
	return err;
}

/* Reads one CRLF-terminated line with a deadline. */
static int
read_line(int fd, char *buf, size_t size, unsigned timeout_ms)
{
	unsigned long long deadline = proc_now_ms() + timeout_ms;
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = (long long)(deadline - proc_now_ms());
		ssize_t r;

		if (proc_now_ms() >= deadline)
			return ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			return ETIMEDOUT;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return r == 0 ? ECONNRESET : errno;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			if (n > 0 && buf[n - 1] == '\r')
				buf[n - 1] = '\0';
			return 0;
		}
		n++;
	}
	buf[n] = '\0';
	return 0;
}

int
redis_server_query(const struct redis_server *rs, const char *cmd, char *buf, size_t size)
{
	struct sockaddr_un sun;
	char line[512];
	int fd, err = 0;

	if (strlen(rs->unix_path) >= sizeof(sun.sun_path))
		return ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, rs->unix_path, strlen(rs->unix_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		err = errno;
		goto out;
	}
	if (rs->password[0] != '\0') {
		snprintf(line, sizeof(line), "AUTH %s\r\n", rs->password);
		if (write(fd, line, strlen(line)) < 0) {
			err = errno;
			goto out;
		}
		err = read_line(fd, line, sizeof(line), 2000);
		if (err)
			goto out;
	}
	snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (write(fd, line, strlen(line)) < 0) {
		err = errno;
		goto out;
	}
	err = read_line(fd, buf, size, 2000);
 out:
	close(fd);
	return err;
}

static int
server_spawn(struct redis_server *rs)
{
	char port[16];
	char *argv[24];
	int i = 0;

	snprintf(port, sizeof(port), "%u", rs->port);
	argv[i++] = "redis-server";
	argv[i++] = "--port";
	argv[i++] = port;
	argv[i++] = "--bind";
	argv[i++] = "127.0.0.1";
	argv[i++] = "--save";
	argv[i++] = "";
	argv[i++] = "--appendonly";
	argv[i++] = "no";
	argv[i++] = "--dir";
	argv[i++] = rs->dir;
	argv[i++] = "--unixsocket";
	argv[i++] = rs->unix_path;
	argv[i++] = "--unixsocketperm";
	argv[i++] = "700";
	argv[i++] = "--daemonize";
	argv[i++] = "no";
	if (rs->password[0] != '\0') {
		argv[i++] = "--requirepass";
		argv[i++] = rs->password;
	}
	argv[i] = NULL;
	return proc_spawn(&rs->pid, argv, rs->log_path);
}

/* Ready when PING over the socket answers; an early exit means the port was taken. */
static int
server_wait_ready(struct redis_server *rs, unsigned timeout_ms)
{
	unsigned long long deadline = proc_now_ms() + timeout_ms;
	char reply[128];

	while (proc_now_ms() < deadline) {
		if (!proc_alive(rs->pid)) {
			rs->pid = 0;
			return ECHILD;
		}
		if (redis_server_query(rs, "PING", reply, sizeof(reply)) == 0 &&
		    strcmp(reply, "+PONG") == 0)
			return 0;
		usleep(20000);
	}
	return ETIMEDOUT;
}

int
redis_server_start(struct redis_server *rs, const struct redis_server_opts *opts)
{
	int err, attempt;

	memset(rs, 0, sizeof(*rs));
	if (opts != NULL && opts->password != NULL)
		snprintf(rs->password, sizeof(rs->password), "%s", opts->password);
	err = proc_mkdtemp(rs->dir, sizeof(rs->dir), "sbc-redis");
	if (err)
		return err;
	snprintf(rs->unix_path, sizeof(rs->unix_path), "%s/redis.sock", rs->dir);
	snprintf(rs->log_path, sizeof(rs->log_path), "%s/redis.log", rs->dir);
	/* The free port can be taken between probe and bind: try a few. */
	for (attempt = 0; attempt < 5; attempt++) {
		if (opts != NULL && opts->no_tcp)
			rs->port = 0;
		else if ((err = free_port(&rs->port)) != 0)
			break;
		err = server_spawn(rs);
		if (err)
			break;
		err = server_wait_ready(rs, 10000);
		if (err != ECHILD)
			break;
	}
	if (err)
		redis_server_cleanup(rs);
	return err;
}

int
redis_server_kill(struct redis_server *rs)
{
	int err;

	if (rs->pid <= 0)
		return ESRCH;
	err = proc_stop(rs->pid, SIGKILL, 3000, NULL);
	rs->pid = 0;
	/* A killed server leaves its socket file; the restart recreates it. */
	unlink(rs->unix_path);
	return err;
}

int
redis_server_pause(struct redis_server *rs)
{
	return rs->pid > 0 && kill(rs->pid, SIGSTOP) == 0 ? 0 : ESRCH;
}

int
redis_server_resume(struct redis_server *rs)
{
	return rs->pid > 0 && kill(rs->pid, SIGCONT) == 0 ? 0 : ESRCH;
}

int
redis_server_restart(struct redis_server *rs)
{
	unsigned long long deadline = proc_now_ms() + 10000;
	int err;

	if (rs->pid > 0)
		redis_server_kill(rs);
	/* Same port: a client may still hold it in TIME_WAIT; redis sets SO_REUSEADDR. */
	do {
		err = server_spawn(rs);
		if (err)
			return err;
		err = server_wait_ready(rs, 5000);
		if (err == ECHILD)
			usleep(100000);
	} while (err == ECHILD && proc_now_ms() < deadline);
	if (err && rs->pid > 0) {
		proc_stop(rs->pid, SIGKILL, 3000, NULL);
		rs->pid = 0;
	}
	return err;
}

void
redis_server_cleanup(struct redis_server *rs)
{
	if (rs->pid > 0) {
		kill(rs->pid, SIGCONT);
		proc_stop(rs->pid, SIGTERM, 3000, NULL);
		rs->pid = 0;
	}
	if (rs->dir[0] != '\0') {
		proc_rmdir(rs->dir);
		rs->dir[0] = '\0';
	}
}
