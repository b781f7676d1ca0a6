/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl mediads, backends and trace: the mediad registry (sbc:mediads and each
 * registration, pinged over ng), backend health (sbc:backend:<target>), and the SIP trace
 * of every sigproxy at run time (the hash sbc:trace, README "SIP trace").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hiredis/hiredis.h>
#include <pcre2.h>

#include "addr.h"
#include "redis_keys.h"
#include "sbcctl.h"

#define TRACE_FOR_DEFAULT_S 3600

static const char *
hget(const struct redisReply *h, const char *f)
{
	const char *v = ctl_hash_get(h, f);

	return v != NULL ? v : "";
}

int
ctl_mediads(struct ctl *x, int argc, char **argv)
{
	struct redisReply *ids, *h;
	int64_t now = (int64_t)time(NULL);
	size_t i;
	bool first = true;
	int rc = CTL_FAIL;

	if (argc != 1) {
		fprintf(stderr, "usage: sbcctl mediads\n");
		return CTL_USAGE;
	}
	ids = ctl_cmd(x, "SMEMBERS %s", SBC_KEY_MEDIADS);
	if (ids == NULL || ids->type != REDIS_REPLY_ARRAY)
		goto out;
	if (x->json)
		fputs("{\"mediads\":[", x->out);
	else
		fprintf(x->out, "%-20s %-22s %-6s %-5s %6s %5s %-11s %8s %8s  %s\n", "ID", "NG",
		    "STATE", "DRAIN", "CALLS", "LOAD", "PORTS", "UPDATED", "PING", "INTERFACES");
	for (i = 0; i < ids->elements; i++) {
		const char *id = ids->element[i]->str ? ids->element[i]->str : "";
		const char *ng, *state;
		char ports[32], age[32], ping[32];
		struct sa dst;
		long rtt = -1;

		h = ctl_cmd(x, "HGETALL %s%s", SBC_KEY_MEDIAD_PREFIX, id);
		if (h == NULL)
			goto out;
		ng = hget(h, "ng");
		state = h->type == REDIS_REPLY_ARRAY && h->elements > 0 ? "up" : "gone";
		if (ng[0] != '\0' && sa_parse(&dst, ng, 2223) == 0)
			rtt = ctl_ng_ping(x, &dst);
		if (rtt < 0 && strcmp(state, "up") == 0)
			state = "silent";	/* registered, but no pong: sigproxy marks it down */
		snprintf(ports, sizeof(ports), "%s/%s", hget(h, "ports_in_use"),
		    hget(h, "ports_total"));
		ctl_age(age, sizeof(age), now - strtoll(hget(h, "updated"), NULL, 10));
		if (rtt >= 0)
			snprintf(ping, sizeof(ping), "%.2fms", (double)rtt / 1000.0);
		else
			snprintf(ping, sizeof(ping), "-");
		if (x->json) {
			bool f = true;

			fputs(first ? "{" : ",{", x->out);
			first = false;
			ctl_json_kv(x, &f, "id", id);
			ctl_json_kv(x, &f, "ng", ng);
			ctl_json_kv(x, &f, "state", state);
			ctl_json_kv(x, &f, "drain", hget(h, "drain")[0] ? "yes" : "no");
			ctl_json_kv(x, &f, "drain_by", hget(h, "drain_by"));
			ctl_json_ku(x, &f, "calls", strtoull(hget(h, "calls"), NULL, 10));
			ctl_json_ku(x, &f, "load", strtoull(hget(h, "load"), NULL, 10));
			ctl_json_ku(x, &f, "ports_in_use", strtoull(hget(h, "ports_in_use"), NULL,
			    10));
			ctl_json_ku(x, &f, "ports_total", strtoull(hget(h, "ports_total"), NULL, 10));
			ctl_json_kv(x, &f, "interfaces", hget(h, "interfaces"));
			if (rtt >= 0)
				ctl_json_ku(x, &f, "ping_us", (uint64_t)rtt);
			fputc('}', x->out);
		} else {
			fprintf(x->out, "%-20s %-22s %-6s %-5s %6s %4s%% %-11s %8s %8s  %s\n",
			    CTL_ESC(id), CTL_ESC(ng[0] ? ng : "-"), state,
			    hget(h, "drain")[0] ? "yes" : "no", CTL_ESC(hget(h, "calls")),
			    CTL_ESC(hget(h, "load")), CTL_ESC(ports), strcmp(state, "gone") ?
			    age : "-", ping, CTL_ESC(hget(h, "interfaces")));
		}
		freeReplyObject(h);
	}
	if (x->json)
		fputs("]}\n", x->out);
	rc = CTL_OK;
 out:
	freeReplyObject(ids);
	return rc;
}

int
ctl_backends(struct ctl *x, int argc, char **argv)
{
	struct redisReply *s = NULL, *h;
	char cursor[32] = "0", age[32], hold[32];
	int64_t now = (int64_t)time(NULL);
	size_t i, n = 0;
	bool first = true;
	int rc = CTL_FAIL;

	if (argc != 1) {
		fprintf(stderr, "usage: sbcctl backends\n");
		return CTL_USAGE;
	}
	if (x->json)
		fputs("{\"backends\":[", x->out);
	else
		fprintf(x->out, "%-32s %-8s %9s %-10s %3s %4s %-10s %s\n", "BACKEND", "STATE",
		    "SINCE", "LAST", "OK", "FAIL", "HOLDDOWN", "SEEN-BY");
	/* a handful of keys written by the probes: SCAN with a pattern, not a call listing */
	do {
		s = ctl_cmd(x, "SCAN %s MATCH %s* COUNT 1000", cursor, SBC_KEY_BACKEND_PREFIX);
		if (s == NULL || s->type != REDIS_REPLY_ARRAY || s->elements != 2)
			goto out;
		snprintf(cursor, sizeof(cursor), "%s", s->element[0]->str);
		for (i = 0; i < s->element[1]->elements; i++) {
			const char *key = s->element[1]->element[i]->str;
			const char *name = key + strlen(SBC_KEY_BACKEND_PREFIX);
			int64_t until;

			h = ctl_cmd(x, "HGETALL %s", key);
			if (h == NULL)
				goto out;
			until = strtoll(hget(h, "holddown_until_ms"), NULL, 10) / 1000 - now;
			ctl_age(age, sizeof(age), now - strtoll(hget(h, "since"), NULL, 10));
			if (until > 0)
				snprintf(hold, sizeof(hold), "%llds", (long long)until);
			else
				snprintf(hold, sizeof(hold), "-");
			if (x->json) {
				bool f = true;

				fputs(first ? "{" : ",{", x->out);
				first = false;
				ctl_json_kv(x, &f, "backend", name);
				ctl_json_kv(x, &f, "state", hget(h, "state"));
				ctl_json_kv(x, &f, "since", hget(h, "since"));
				ctl_json_kv(x, &f, "last_probe", hget(h, "last_probe"));
				ctl_json_ku(x, &f, "ok", strtoull(hget(h, "ok"), NULL, 10));
				ctl_json_ku(x, &f, "fail", strtoull(hget(h, "fail"), NULL, 10));
				ctl_json_ku(x, &f, "holddown_s", until > 0 ? (uint64_t)until : 0);
				ctl_json_kv(x, &f, "holddown_reason", hget(h, "holddown_reason"));
				ctl_json_kv(x, &f, "instance", hget(h, "instance"));
				fputc('}', x->out);
			} else {
				fprintf(x->out, "%-32s %-8s %9s %-10s %3s %4s %-10s %s\n",
				    CTL_ESC(name), CTL_ESC(hget(h, "state")),
				    hget(h, "since")[0] ? age : "-", CTL_ESC(hget(h, "last_probe")),
				    CTL_ESC(hget(h, "ok")), CTL_ESC(hget(h, "fail")), hold,
				    CTL_ESC(hget(h, "instance")));
			}
			n++;
			freeReplyObject(h);
		}
		freeReplyObject(s);
		s = NULL;
	} while (strcmp(cursor, "0") != 0);
	if (x->json)
		fputs("]}\n", x->out);
	else if (n == 0)
		fprintf(x->out, "(no backend health in Redis: no probes yet, or probe = no)\n");
	rc = CTL_OK;
 out:
	freeReplyObject(s);
	return rc;
}

/* A filter sigproxy would refuse is refused here, with the reason, before anything changes. */
static int
trace_check(const char *number, const char *peer)
{
	char buf[256], *tok, *save = NULL;
	struct sa_net net;

	if (number != NULL && number[0] != '\0') {
		PCRE2_UCHAR msg[120];
		PCRE2_SIZE off;
		int code;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)number, PCRE2_ZERO_TERMINATED, 0, &code,
		    &off, NULL);

		if (re == NULL) {
			pcre2_get_error_message(code, msg, sizeof(msg));
			fprintf(stderr, "sbcctl: --number: %s at offset %zu\n", (char *)msg,
			    (size_t)off);
			return CTL_USAGE;
		}
		pcre2_code_free(re);
	}
	if (peer == NULL || peer[0] == '\0')
		return 0;
	snprintf(buf, sizeof(buf), "%s", peer);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
		if (strcmp(tok, "any") != 0 && sa_net_parse(&net, tok) != 0) {
			fprintf(stderr, "sbcctl: --peer: '%s' is not a network\n", CTL_ESC(tok));
			return CTL_USAGE;
		}
	return 0;
}

static int
trace_status(struct ctl *x)
{
	struct redisReply *h = ctl_cmd(x, "HGETALL %s", SBC_KEY_TRACE);
	struct redisReply *t = ctl_cmd(x, "TTL %s", SBC_KEY_TRACE);
	bool set = h != NULL && h->type == REDIS_REPLY_ARRAY && h->elements > 0;
	long long ttl = t != NULL && t->type == REDIS_REPLY_INTEGER ? t->integer : -2;

	if (x->json) {
		bool f = true;

		fputc('{', x->out);
		ctl_json_kv(x, &f, "source", set ? "redis" : "configuration");
		if (set) {
			ctl_json_kv(x, &f, "on", hget(h, "on"));
			ctl_json_kv(x, &f, "call", hget(h, "call"));
			ctl_json_kv(x, &f, "number", hget(h, "number"));
			ctl_json_kv(x, &f, "peer", hget(h, "peer"));
			ctl_json_ku(x, &f, "expires_s", ttl > 0 ? (uint64_t)ttl : 0);
		}
		fputs("}\n", x->out);
	} else if (set) {
		fprintf(x->out, "trace %s (every sigproxy, from %s, expires in %lld s)\n"
		    "  call   %s\n  number %s\n  peer   %s\n",
		    strcmp(hget(h, "on"), "no") == 0 ? "off" : "on", SBC_KEY_TRACE, ttl,
		    CTL_ESC(hget(h, "call")), CTL_ESC(hget(h, "number")), CTL_ESC(hget(h, "peer")));
	} else {
		fprintf(x->out, "no run-time trace setting: each sigproxy follows its configuration "
		    "([sigproxy] sip_trace, [trace])\n");
	}
	freeReplyObject(h);
	freeReplyObject(t);
	return h != NULL ? CTL_OK : CTL_FAIL;
}

int
ctl_trace(struct ctl *x, int argc, char **argv)
{
	const char *call = "", *number = "", *peer = "";
	long secs = TRACE_FOR_DEFAULT_S;
	struct redisReply *r;
	bool on;
	int i, rc;

	if (argc == 1)
		return trace_status(x);
	if (strcmp(argv[1], "default") == 0 && argc == 2) {
		freeReplyObject(ctl_cmd(x, "DEL %s", SBC_KEY_TRACE));
		fprintf(x->out, "trace setting removed: each sigproxy follows its configuration "
		    "again (within a second)\n");
		return CTL_OK;
	}
	if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
		goto usage;
	on = strcmp(argv[1], "on") == 0;
	for (i = 2; i + 1 < argc; i += 2) {
		if (on && strcmp(argv[i], "--call") == 0)
			call = argv[i + 1];
		else if (on && strcmp(argv[i], "--number") == 0)
			number = argv[i + 1];
		else if (on && strcmp(argv[i], "--peer") == 0)
			peer = argv[i + 1];
		else if (strcmp(argv[i], "--for") == 0)
			secs = strtol(argv[i + 1], NULL, 10);
		else
			goto usage;
	}
	if (i != argc || secs < 1 || secs > 7 * 86400)
		goto usage;
	if ((rc = trace_check(number, peer)) != 0)
		return rc;
	/* one transaction: a sigproxy reading in between sees the old setting or the new */
	freeReplyObject(ctl_cmd(x, "MULTI"));
	freeReplyObject(ctl_cmd(x, "DEL %s", SBC_KEY_TRACE));
	freeReplyObject(ctl_cmd(x, "HSET %s on %s call %s number %s peer %s", SBC_KEY_TRACE,
	    on ? "yes" : "no", call, number, peer));
	freeReplyObject(ctl_cmd(x, "EXPIRE %s %ld", SBC_KEY_TRACE, secs));
	r = ctl_cmd(x, "EXEC");
	rc = r != NULL && r->type == REDIS_REPLY_ARRAY ? CTL_OK : CTL_FAIL;
	freeReplyObject(r);
	if (rc == CTL_OK)
		fprintf(x->out, "trace %s on every sigproxy within a second, for %ld s\n",
		    on ? "on" : "off", secs);
	return rc;
 usage:
	fprintf(stderr, "usage: sbcctl trace [on [--call ID] [--number RE] [--peer NETS] "
	    "[--for S] | off [--for S] | default]\n");
	return CTL_USAGE;
}
