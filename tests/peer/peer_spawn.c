/* SPDX-License-Identifier: BSD-2-Clause */
/* sbc-test-peer's private world: a redis-server and a mediad on addresses and ports of its own. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "srtp.h"
#include "lib/proc.h"
#include "lib/redis_server.h"
#include "peer.h"

struct peer_spawn {
	struct redis_server rs;
	bool rs_up;
	pid_t mediad;
	char dir[256];
	char conf[320];
	char log[320];
	const char *bin;
	char io[16];		/* the io mediad must run; "": any */
	unsigned starts;	/* processes started: each restart logs to a file of its own */
};

/* Copies the value of " key=" in line (up to a blank) into out; false when absent. */
static bool
line_field(const char *line, const char *key, char *out, size_t size)
{
	const char *n = strstr(line, key);
	size_t l;

	if (n == NULL)
		return false;
	n += strlen(key);
	l = strcspn(n, " \n");
	if (l == 0 || l >= size)
		return false;
	memcpy(out, n, l);
	out[l] = '\0';
	return true;
}

/* Finds "ng=127.0.0.1:PORT" and "io=STYLE" in the ready line of the log. */
static bool
ready_port(const char *log, char *ng, size_t ngsize, char *io, size_t iosize)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		const char *m = strstr(line, "mediad_ready ");

		if (m == NULL || !line_field(m, " ng=", ng, ngsize))
			continue;
		if (!line_field(m, " io=", io, iosize))
			io[0] = '\0';
		found = true;
	}
	fclose(f);
	return found;
}

static int
spawn_mediad(struct peer_spawn *s)
{
	char *argv[4];
	int err;

	s->starts++;
	snprintf(s->log, sizeof(s->log), "%s/mediad-%u.log", s->dir, s->starts);
	argv[0] = (char *)s->bin;
	argv[1] = (char *)"-c";
	argv[2] = s->conf;
	argv[3] = NULL;
	err = proc_spawn(&s->mediad, argv, s->log);
	if (err)
		fprintf(stderr, "sbc-test-peer: cannot start %s: %s\n", s->bin, strerror(err));
	return err;
}

int
peer_spawn_wait_ready(struct peer_spawn *s, char *ng, size_t ngsize)
{
	unsigned long long end = proc_now_ms() + 10000;
	char io[32];
	int err = ETIMEDOUT;

	while (proc_now_ms() < end) {
		if (ready_port(s->log, ng, ngsize, io, sizeof(io))) {
			err = 0;
			/* The style asked for, not a fallback: else the test would not test it. */
			if (s->io[0] != '\0' && strcmp(io, s->io) != 0) {
				fprintf(stderr, "sbc-test-peer: mediad runs io=%s, not %s\n", io,
				    s->io);
				err = EPROTO;
			}
			break;
		}
		if (!proc_alive(s->mediad)) {
			s->mediad = 0;
			err = ECHILD;
			break;
		}
		usleep(20000);
	}
	if (err)
		fprintf(stderr, "sbc-test-peer: mediad did not become ready (%s); log %s\n",
		    strerror(err), s->log);
	return err;
}

int
peer_spawn_kill_restart(struct peer_spawn *s, pid_t *mediad_pid)
{
	int status, err;

	if (s->mediad <= 0)
		return ESRCH;
	/* A crash, not a shutdown: nothing is flushed, written or closed in order. */
	err = proc_stop(s->mediad, SIGKILL, 2000, &status);
	s->mediad = 0;
	if (err)
		return err;
	err = spawn_mediad(s);
	if (err == 0)
		*mediad_pid = s->mediad;
	return err;
}

int
peer_spawn_start(struct peer_spawn **sp, struct peer_opts *o, char *ng, size_t ngsize,
    pid_t *mediad_pid)
{
	struct peer_spawn *s = calloc(1, sizeof(*s));
	char io_conf[16] = "";
	FILE *f;
	unsigned i;
	int err;

	if (s == NULL)
		return ENOMEM;
	err = proc_mkdtemp(s->dir, sizeof(s->dir), "sbc-peer");
	if (err)
		goto out;
	err = redis_server_start(&s->rs, &(struct redis_server_opts){ .no_tcp = true });
	if (err) {
		fprintf(stderr, "sbc-test-peer: redis-server: %s\n", strerror(err));
		goto out;
	}
	s->rs_up = true;
	snprintf(s->conf, sizeof(s->conf), "%s/mediad.ini", s->dir);
	if (o->io != NULL)
		snprintf(io_conf, sizeof(io_conf), "%.*s", (int)strcspn(o->io, "="), o->io);
	f = fopen(s->conf, "w");
	if (f == NULL) {
		err = errno;
		goto out;
	}
	/* Private loopback addresses: fixed port ranges cannot collide with other tests. */
	/* ng on the outside address, so that a mediad in another network namespace (the xdp
	 * tests) is reachable too. */
	fprintf(f, "[mediad]\nid = peer-%d\nng_listen = %s:0\nng_allow = 127.0.0.0/8, %s, %s\n"
	    "workers = %u\nlog_level = info\nmetrics_listen =\nmedia_timeout = %u\n%s%s%s"
	    "[interface %s]\naddress = %s\nport_min = 20000\nport_max = 29999\n"
	    "encryption = %s\n"
	    "[interface %s]\naddress = %s\nport_min = 30000\nport_max = 39999\n"
	    "encryption = off\n[srtp]\noffer_suites =",
	    (int)getpid(), o->relay_out_ip, o->out_ip, o->in_ip, o->workers, o->media_timeout,
	    o->io != NULL ? "io = " : "", o->io != NULL ? io_conf : "", o->io != NULL ? "\n" : "",
	    o->if_out, o->relay_out_ip, o->out_encryption, o->if_in, o->relay_in_ip);
	/* Offer our suite first, then the rest, so every suite is exercised. */
	fprintf(f, " %s", crypto_suite_name(o->suite));
	for (i = 1; i < CRYPTO_SUITE_COUNT; i++)
		if (i != (unsigned)o->suite)
			fprintf(f, " %s", crypto_suite_name((enum crypto_suite)i));
	fprintf(f, "\nallowed_suites =");
	for (i = 1; i < CRYPTO_SUITE_COUNT; i++)
		fprintf(f, " %s", crypto_suite_name((enum crypto_suite)i));
	fprintf(f, "\n[redis]\nunix_socket = %s\nregistration_ttl = 4\n"
	    "registration_interval_ms = 500\n", s->rs.unix_path);
	if (fclose(f) != 0) {
		err = errno;
		goto out;
	}
	s->bin = o->mediad_bin;
	/* "auto=xdp": configure auto, expect xdp; "auto" alone expects nothing. */
	if (o->io != NULL && strchr(o->io, '=') != NULL)
		snprintf(s->io, sizeof(s->io), "%s", strchr(o->io, '=') + 1);
	else if (o->io != NULL && strcmp(o->io, "auto") != 0)
		snprintf(s->io, sizeof(s->io), "%s", o->io);
	err = spawn_mediad(s);
	if (err == 0)
		err = peer_spawn_wait_ready(s, ng, ngsize);
 out:
	if (err) {
		peer_spawn_stop(s);
	} else {
		*sp = s;
		*mediad_pid = s->mediad;
	}
	return err;
}

/*
 * After a clean stop of a mediad asked for io = batched or xdp: its workers' stop lines must
 * show that the style carried (nearly) every packet, not a fallback path. 0 or EIO.
 */
static int
style_carried(const struct peer_spawn *s)
{
	FILE *f = fopen(s->log, "r");
	unsigned long long in = 0, steered = 0, xdp = 0, v;
	char line[1024];
	const char *p;
	int err = 0;

	if (strcmp(s->io, "batched") != 0 && strcmp(s->io, "xdp") != 0)
		return 0;
	if (f == NULL)
		return EIO;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "relay_worker_stopped ") == NULL)
			continue;
		if ((p = strstr(line, " packets_in=")) != NULL && sscanf(p, " packets_in=%llu", &v) == 1)
			in += v;
		if ((p = strstr(line, " steered=")) != NULL && sscanf(p, " steered=%llu", &v) == 1)
			steered += v;
		if ((p = strstr(line, " xdp_rx=")) != NULL && sscanf(p, " xdp_rx=%llu", &v) == 1)
			xdp += v;
	}
	fclose(f);
	v = strcmp(s->io, "xdp") == 0 ? xdp : steered;
	/* A few may come on the ports' own sockets (the instant before a port is steered). */
	if (in == 0 || v * 10 < in * 9) {
		fprintf(stderr, "sbc-test-peer: io=%s carried %llu of %llu packets (steered=%llu "
		    "xdp_rx=%llu): the style is not in use\n", s->io, v, in, steered, xdp);
		err = EIO;
	}
	return err;
}

static void
dump_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned n = 0;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && n++ < 200)
		fprintf(stderr, "mediad| %s", line);
	fclose(f);
}

int
peer_spawn_stop(struct peer_spawn *s)
{
	int status = 0, err = 0;

	if (s == NULL)
		return 0;
	if (s->mediad > 0) {
		err = proc_stop(s->mediad, SIGTERM, 5000, &status);
		if (err == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			fprintf(stderr, "sbc-test-peer: mediad exited with status 0x%x\n", status);
			err = EIO;
		}
		if (err == 0)
			err = style_carried(s);
		if (err)
			dump_log(s->log);
	}
	if (s->rs_up)
		redis_server_cleanup(&s->rs);
	if (s->dir[0] != '\0')
		proc_rmdir(s->dir);
	free(s);
	return err;
}
