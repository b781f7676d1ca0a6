/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl hangup, drain and undrain: requests to every sigproxy through the Redis stream
 * sbc:control (README "Operator requests"), and the drain flag in a mediad's registration.
 * hangup waits until the record says the call ended, so the exit code tells the truth.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "redis_keys.h"
#include "sbcctl.h"

#define HANGUP_WAIT_DEFAULT_S 5

/* "user@host" of whoever runs the tool (the sudo user when run with sudo). */
static void
who_am_i(char *buf, size_t size)
{
	const char *u = getenv("SUDO_USER");
	struct passwd *pw;
	char host[128] = "?";

	if (u == NULL || u[0] == '\0') {
		pw = getpwuid(getuid());
		u = pw != NULL ? pw->pw_name : "?";
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, size, "%s@%s", u, host);
}

/* Appends a request to the stream (bounded: the newest ~1000 stay, for a day). */
static int
control_add(struct ctl *x, const char *cmd, const char *key, const char *value, size_t vlen,
    const char *by)
{
	struct redisReply *r;
	int rc = 0;

	r = ctl_cmd(x, "XADD %s MAXLEN ~ %d * cmd %s %s %b by %s", SBC_KEY_CONTROL,
	    SBC_CONTROL_MAXLEN, cmd, key, value, vlen, by);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL)
			fprintf(stderr, "sbcctl: XADD %s: %s\n", SBC_KEY_CONTROL, r->str);
		rc = CTL_FAIL;
	}
	freeReplyObject(r);
	freeReplyObject(ctl_cmd(x, "EXPIRE %s %d", SBC_KEY_CONTROL, SBC_CONTROL_TTL_S));
	return rc;
}

int
ctl_hangup(struct ctl *x, int argc, char **argv)
{
	struct redisReply *h;
	const char *id, *state;
	char by[192], inst[64], reason[64];
	long wait_s = HANGUP_WAIT_DEFAULT_S, i;
	size_t idl;
	int rc = CTL_FAIL;

	if (argc == 4 && strcmp(argv[2], "--wait") == 0) {
		wait_s = strtol(argv[3], NULL, 10);
		if (wait_s < 0 || wait_s > 600)
			wait_s = HANGUP_WAIT_DEFAULT_S;
	} else if (argc != 2) {
		fprintf(stderr, "usage: sbcctl hangup CALL-ID [--wait SECONDS]\n");
		return CTL_USAGE;
	}
	id = argv[1];
	idl = strlen(id);
	if ((h = ctl_call_get(x, id)) == NULL)
		return CTL_FAIL;
	state = ctl_hash_get(h, "state");
	if (state == NULL || strcmp(state, "ended") == 0) {
		fprintf(stderr, "sbcctl: call '%s' already ended (%s)\n", CTL_ESC(id),
		    CTL_ESC(ctl_hash_get(h, "end_reason")));
		goto out;
	}
	snprintf(inst, sizeof(inst), "%s", ctl_hash_get(h, "instance") ?
	    ctl_hash_get(h, "instance") : "?");
	who_am_i(by, sizeof(by));
	if ((rc = control_add(x, "hangup", "call_id", id, idl, by)) != 0)
		goto out;
	rc = CTL_FAIL;
	/* the instance that set the call up sends the BYEs within a second (it polls) */
	for (i = 0; i < wait_s * 10; i++) {
		freeReplyObject(h);
		h = ctl_cmd(x, "HGETALL %s%b", SBC_KEY_CALL_PREFIX, id, idl);
		if (h == NULL)
			goto out;
		state = ctl_hash_get(h, "state");
		if (h->type != REDIS_REPLY_ARRAY || h->elements == 0 || state == NULL ||
		    strcmp(state, "ended") == 0) {
			snprintf(reason, sizeof(reason), "%s", ctl_hash_get(h, "end_reason") ?
			    ctl_hash_get(h, "end_reason") : "record gone");
			rc = CTL_OK;
			break;
		}
		usleep(100000);
	}
	if (x->json) {
		bool first = true;

		fputc('{', x->out);
		ctl_json_kv(x, &first, "call_id", id);
		ctl_json_kv(x, &first, "result", rc == CTL_OK ? "ended" : "not ended");
		if (rc == CTL_OK)
			ctl_json_kv(x, &first, "end_reason", reason);
		ctl_json_kv(x, &first, "by", by);
		ctl_json_kv(x, &first, "instance", inst);
		fputs("}\n", x->out);
	} else if (rc == CTL_OK) {
		fprintf(x->out, "call %s ended (%s), requested by %s\n", CTL_ESC(id),
		    CTL_ESC(reason), CTL_ESC(by));
	}
	if (rc != CTL_OK)
		fprintf(stderr, "sbcctl: call '%s' not ended within %ld s: its sigproxy (%s) did "
		    "not act on %s (is it running? its log says call_hangup)\n", CTL_ESC(id),
		    wait_s, CTL_ESC(inst), SBC_KEY_CONTROL);
 out:
	freeReplyObject(h);
	return rc;
}

int
ctl_drain(struct ctl *x, int argc, char **argv, bool on)
{
	struct redisReply *h = NULL, *r = NULL;
	const char *id, *calls;
	char by[192], since[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc = CTL_FAIL;

	if (argc != 2) {
		fprintf(stderr, "usage: sbcctl %s MEDIAD-ID\n", on ? "drain" : "undrain");
		return CTL_USAGE;
	}
	id = argv[1];
	h = ctl_cmd(x, "HGETALL %s%s", SBC_KEY_MEDIAD_PREFIX, id);
	if (h == NULL)
		goto out;
	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) {
		fprintf(stderr, "sbcctl: no mediad '%s' registered (%s<id> absent: see sbcctl "
		    "mediads)\n", CTL_ESC(id), SBC_KEY_MEDIAD_PREFIX);
		goto out;
	}
	who_am_i(by, sizeof(by));
	gmtime_r(&now, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/*
	 * The flag lives in the registration, beside what mediad writes there: every sigproxy
	 * reads it with the registration (every mediad_refresh_ms) and sends it no new call.
	 * A mediad that restarts registers afresh, undrained.
	 */
	if (on)
		r = ctl_cmd(x, "HSET %s%s drain yes drain_by %s drain_since %s",
		    SBC_KEY_MEDIAD_PREFIX, id, by, since);
	else
		r = ctl_cmd(x, "HDEL %s%s drain drain_by drain_since", SBC_KEY_MEDIAD_PREFIX, id);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		goto out;
	/* had the registration expired meanwhile, the flag must not make a key that never does */
	freeReplyObject(ctl_cmd(x, "EXPIRE %s%s 60 NX", SBC_KEY_MEDIAD_PREFIX, id));
	if ((rc = control_add(x, on ? "drain" : "undrain", "mediad", id, strlen(id), by)) != 0)
		goto out;
	calls = ctl_hash_get(h, "calls");
	if (x->json) {
		bool first = true;

		fputc('{', x->out);
		ctl_json_kv(x, &first, "mediad", id);
		ctl_json_kv(x, &first, "drain", on ? "yes" : "no");
		ctl_json_kv(x, &first, "by", by);
		ctl_json_ku(x, &first, "calls", calls ? strtoull(calls, NULL, 10) : 0);
		fputs("}\n", x->out);
	} else {
		fprintf(x->out, "mediad %s %s (%s calls on it now); requested by %s\n",
		    CTL_ESC(id), on ? "drained: no new calls" : "takes new calls again",
		    calls ? CTL_ESC(calls) : "?", CTL_ESC(by));
	}
 out:
	freeReplyObject(h);
	freeReplyObject(r);
	return rc;
}
