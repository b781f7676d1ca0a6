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
	unsigned starts;	/* processes started: each restart logs to a file of its own */
};

/* Finds "ng=127.0.0.1:PORT" in the ready line of the log. */
static bool
ready_port(const char *log, char *ng, size_t ngsize)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		const char *m = strstr(line, "mediad_ready ");
		const char *n = m ? strstr(m, " ng=") : NULL;
		size_t l;

		if (n == NULL)
			continue;
		n += 4;
		l = strcspn(n, " \n");
		if (l > 0 && l < ngsize) {
			memcpy(ng, n, l);
			ng[l] = '\0';
			found = true;
		}
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
	int err = ETIMEDOUT;

	while (proc_now_ms() < end) {
		if (ready_port(s->log, ng, ngsize)) {
			err = 0;
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
	f = fopen(s->conf, "w");
	if (f == NULL) {
		err = errno;
		goto out;
	}
	/* Private loopback addresses: fixed port ranges cannot collide with other tests. */
	fprintf(f, "[mediad]\nid = peer-%d\nng_listen = 127.0.0.1:0\nng_allow = 127.0.0.0/8\n"
	    "workers = %u\nlog_level = info\nmetrics_listen =\nmedia_timeout = %u\n"
	    "[interface %s]\naddress = %s\nport_min = 20000\nport_max = 29999\n"
	    "encryption = %s\n"
	    "[interface %s]\naddress = %s\nport_min = 30000\nport_max = 39999\n"
	    "encryption = off\n[srtp]\noffer_suites =",
	    (int)getpid(), o->workers, o->media_timeout, o->if_out, o->relay_out_ip,
	    o->out_encryption, o->if_in, o->relay_in_ip);
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
