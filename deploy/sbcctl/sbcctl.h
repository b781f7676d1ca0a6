/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl, the operator CLI, its one interface: the connection to Redis (from sigproxy's INI
 * or --redis), ng queries to mediads, output for people and for scripts (--json), and the
 * commands, one file per group. Files list their functions under their name below.
 */
#ifndef SBC_DEPLOY_SBCCTL_H
#define SBC_DEPLOY_SBCCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ng.h"

struct redisContext;
struct redisReply;
struct sa;

/* Exit codes: 0 done, 1 the thing asked about failed or is not there, 2 usage or setup. */
#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	2

struct ctl {
	struct redisContext *rc;	/* connected, AUTH and SELECT done */
	bool json;			/* --json: one JSON document on stdout */
	unsigned ng_timeout_ms;		/* per ng attempt */
	FILE *out;
};

/* ---- ctl_conn.c: Redis, from the daemon's INI or the command line ---- */

struct ctl_redis_opts {
	const char *ini;		/* -c FILE: its [redis] section */
	const char *addr;		/* --redis host:port or a unix socket path */
	int db;				/* --db, -1: the INI's or 0 */
};
/* Connects and authenticates (password from the INI or $REDISCLI_AUTH). 0 or CTL_USAGE. */
int ctl_redis_connect(struct ctl *x, const struct ctl_redis_opts *o);
void ctl_redis_close(struct ctl *x);
/* A command (hiredis format); NULL after a connection error (reported on stderr). */
struct redisReply *ctl_cmd(struct ctl *x, const char *fmt, ...);
/* The field/value pairs of an HGETALL reply: value of field, NULL when absent. */
const char *ctl_hash_get(const struct redisReply *r, const char *field);

/* ---- ctl_ng.c: ng queries to mediads, many at once ---- */

struct ctl_ng_query {
	struct sa *dst;			/* the mediad's ng address (borrowed) */
	const char *call_id;
	const char *caller_tag;		/* legs[0] is this party (NULL: the first) */
	bool ok;			/* mediad answered with statistics */
	char error[96];			/* else why not */
	struct ng_leg legs[2];
};
/* Sends every query (flag leg-summary) and waits for the answers (retries on timeout). */
void ctl_ng_query_all(struct ctl *x, struct ctl_ng_query *q, size_t n);
/* One ng ping: round trip in µs, or -1. */
long ctl_ng_ping(struct ctl *x, const struct sa *dst);

/* ---- ctl_out.c: output ---- */

/* s for a terminal: control bytes, DEL, C1 and invalid UTF-8 as \xHH (so a value can
 * neither break its line nor drive the terminal); NULL as "-". Into buf; returns buf. */
const char *ctl_esc(char *buf, size_t size, const char *s);
#define CTL_ESC(s) ctl_esc((char[1024]){ 0 }, 1024, (s))
/* JSON: a string value (escaped; NULL: null), "key": prefixes, plain numbers. */
void ctl_json_str(struct ctl *x, const char *s);
void ctl_json_key(struct ctl *x, const char *key);
/* "key":"value" with a leading comma unless first. */
void ctl_json_kv(struct ctl *x, bool *first, const char *key, const char *value);
void ctl_json_ku(struct ctl *x, bool *first, const char *key, uint64_t value);
/* A leg's media from mediad: srtp, packets and bytes both ways, lost, drops by reason. */
void ctl_json_media(struct ctl *x, bool *first, const struct ng_leg *m);
/* "hh:mm:ss" (or "Nd hh:mm") of a duration in seconds. */
const char *ctl_age(char *buf, size_t size, int64_t secs);
/* A record's field that holds a secret (an SRTP key): printed masked. */
bool ctl_field_secret(const char *field);

/* ---- ctl_calls.c: calls and show ---- */

/* A call's record (HGETALL); NULL after saying why on stderr (no such record, Redis). */
struct redisReply *ctl_call_get(struct ctl *x, const char *id);
int ctl_calls(struct ctl *x, int argc, char **argv);
int ctl_show(struct ctl *x, int argc, char **argv);

/* ---- ctl_control.c: requests to sigproxy through sbc:control (hangup, drain) ---- */

int ctl_hangup(struct ctl *x, int argc, char **argv);
int ctl_drain(struct ctl *x, int argc, char **argv, bool on);

/* ---- ctl_status.c: mediads, backends, trace ---- */

int ctl_mediads(struct ctl *x, int argc, char **argv);
int ctl_backends(struct ctl *x, int argc, char **argv);
int ctl_trace(struct ctl *x, int argc, char **argv);

/* ---- ctl_cert.c: certificate check (no Redis) ---- */

int ctl_cert(struct ctl *x, int argc, char **argv);

#endif
