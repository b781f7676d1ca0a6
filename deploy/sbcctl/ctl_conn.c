/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl's Redis connection: the [redis] section of sigproxy's INI read through
 * common/config (host, port or unix socket, password, db; with Sentinel the master the
 * sentinels name), or --redis and $REDISCLI_AUTH. hiredis's synchronous API: the tool
 * waits for each answer anyway.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "addr.h"
#include "config.h"
#include "redis_conf.h"
#include "sbcctl.h"

#define CTL_REDIS_TIMEOUT_MS 2000

struct redis_target {
	char host[256];
	int port;
	char unix_path[256];
	char password[128];
	int db;
	struct redis_conf rc;	/* the shared [redis] rows: Sentinel */
};

/* Sentinel mode: asks each sentinel in turn which master serves master_name. */
static int
target_from_sentinels(struct redis_target *t)
{
	struct timeval tv = { 1, 0 };
	char list[sizeof(t->rc.sentinels)], *tok, *save = NULL;
	redisContext *sc;
	redisReply *r;
	struct sa a;
	char ip[SA_STRLEN];

	snprintf(list, sizeof(list), "%s", t->rc.sentinels);
	for (tok = strtok_r(list, " ,", &save); tok != NULL; tok = strtok_r(NULL, " ,", &save)) {
		if (sa_parse(&a, tok, 26379) != 0)
			continue;
		sa_format_ip(&a, ip, sizeof(ip));
		sc = redisConnectWithTimeout(ip, sa_port(&a), tv);
		if (sc == NULL || sc->err) {
			redisFree(sc);
			continue;
		}
		redisSetTimeout(sc, tv);
		if (t->rc.sentinel_password[0] != '\0')
			freeReplyObject(redisCommand(sc, "AUTH %s", t->rc.sentinel_password));
		r = redisCommand(sc, "SENTINEL get-master-addr-by-name %s", t->rc.master_name);
		if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->str != NULL && r->element[1]->str != NULL &&
		    strlen(r->element[0]->str) < sizeof(t->host)) {
			snprintf(t->host, sizeof(t->host), "%s", r->element[0]->str);
			t->port = atoi(r->element[1]->str);
			t->unix_path[0] = '\0';
			freeReplyObject(r);
			redisFree(sc);
			return 0;
		}
		freeReplyObject(r);
		redisFree(sc);
	}
	fprintf(stderr, "sbcctl: no sentinel of '%s' named a master for '%s'\n", t->rc.sentinels,
	    t->rc.master_name);
	return CTL_USAGE;
}

static int
target_from_ini(struct redis_target *t, const char *path)
{
	struct conf *c = NULL;
	struct conf_error ce;
	const char *host, *sock, *pw;
	int64_t port, db;
	bool enabled;
	char msg[512];
	int rc = CTL_USAGE;

	memset(&ce, 0, sizeof(ce));
	if (conf_load(&c, path, &ce) != 0) {
		fprintf(stderr, "sbcctl: %s\n", ce.file[0] ? conf_error_str(&ce, msg, sizeof(msg)) :
		    path);
		goto out;
	}
	/* the daemon's own keys and defaults ([redis] in deploy/examples/sigproxy.ini) */
	if (conf_get_bool(c, "redis", "enabled", true, &enabled, &ce) ||
	    conf_get_str(c, "redis", "host", "127.0.0.1", &host, &ce) ||
	    conf_get_int(c, "redis", "port", 6379, 1, 65535, &port, &ce) ||
	    conf_get_str(c, "redis", "unix_socket", "", &sock, &ce) ||
	    conf_get_str(c, "redis", "password", "", &pw, &ce) ||
	    conf_get_int(c, "redis", "db", 0, 0, 255, &db, &ce) ||
	    conf_apply(c, redis_conf_keys, "redis", &t->rc, &t->rc, &ce)) {
		fprintf(stderr, "sbcctl: %s\n", conf_error_str(&ce, msg, sizeof(msg)));
		goto out;
	}
	if (!enabled) {
		fprintf(stderr, "sbcctl: %s: [redis] enabled = no: this sigproxy keeps no state "
		    "an operator tool could read\n", path);
		goto out;
	}
	if (strlen(host) >= sizeof(t->host) || strlen(sock) >= sizeof(t->unix_path) ||
	    strlen(pw) >= sizeof(t->password)) {
		fprintf(stderr, "sbcctl: %s: [redis] value too long\n", path);
		goto out;
	}
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->unix_path, sizeof(t->unix_path), "%s", sock);
	snprintf(t->password, sizeof(t->password), "%s", pw);
	t->port = (int)port;
	t->db = (int)db;
	rc = t->rc.sentinels[0] != '\0' ? target_from_sentinels(t) : 0;
 out:
	conf_free(c);
	return rc;
}

/* "host:port", "[v6]:port", "host" (6379) or a unix socket path (with a '/'). */
static int
target_from_arg(struct redis_target *t, const char *a)
{
	const char *colon;
	char *end;
	size_t hl;

	if (strchr(a, '/') != NULL) {
		if (strlen(a) >= sizeof(t->unix_path))
			goto bad;
		snprintf(t->unix_path, sizeof(t->unix_path), "%s", a);
		return 0;
	}
	t->port = 6379;
	if (a[0] == '[') {
		const char *rb = strchr(a, ']');

		if (rb == NULL)
			goto bad;
		hl = (size_t)(rb - a - 1);
		a++;
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(a, ':');
		hl = colon ? (size_t)(colon - a) : strlen(a);
	}
	if (hl == 0 || hl >= sizeof(t->host))
		goto bad;
	memcpy(t->host, a, hl);
	t->host[hl] = '\0';
	if (colon != NULL) {
		long p = strtol(colon + 1, &end, 10);

		if (*end != '\0' || p < 1 || p > 65535)
			goto bad;
		t->port = (int)p;
	}
	return 0;
 bad:
	fprintf(stderr, "sbcctl: --redis wants HOST:PORT or a unix socket path\n");
	return CTL_USAGE;
}

int
ctl_redis_connect(struct ctl *x, const struct ctl_redis_opts *o)
{
	struct timeval tv = { CTL_REDIS_TIMEOUT_MS / 1000, (CTL_REDIS_TIMEOUT_MS % 1000) * 1000 };
	struct redis_target t;
	struct redisReply *r;
	const char *env = getenv("REDISCLI_AUTH");
	int rc;

	memset(&t, 0, sizeof(t));
	snprintf(t.host, sizeof(t.host), "127.0.0.1");
	t.port = 6379;
	if (o->ini != NULL && (rc = target_from_ini(&t, o->ini)) != 0)
		return rc;
	if (o->addr != NULL) {
		memset(&t, 0, sizeof(t));
		if ((rc = target_from_arg(&t, o->addr)) != 0)
			return rc;
	}
	if (t.password[0] == '\0' && env != NULL)
		snprintf(t.password, sizeof(t.password), "%s", env);
	if (o->db >= 0)
		t.db = o->db;
	x->rc = t.unix_path[0] ? redisConnectUnixWithTimeout(t.unix_path, tv) :
	    redisConnectWithTimeout(t.host, t.port, tv);
	if (x->rc == NULL || x->rc->err) {
		char where[300];

		if (t.unix_path[0])
			snprintf(where, sizeof(where), "%s", t.unix_path);
		else
			snprintf(where, sizeof(where), "%s:%d", t.host, t.port);
		fprintf(stderr, "sbcctl: cannot reach Redis at %s: %s\n", where,
		    x->rc ? x->rc->errstr : "out of memory");
		rc = CTL_USAGE;
		goto out;
	}
	redisSetTimeout(x->rc, tv);
	if (t.password[0] != '\0') {
		r = redisCommand(x->rc, "AUTH %s", t.password);
		rc = r == NULL || r->type == REDIS_REPLY_ERROR ? CTL_USAGE : 0;
		if (rc)
			fprintf(stderr, "sbcctl: Redis refused the password (%s)\n",
			    r ? r->str : x->rc->errstr);
		freeReplyObject(r);
		if (rc)
			goto out;
	}
	if (t.db > 0) {
		r = redisCommand(x->rc, "SELECT %d", t.db);
		rc = r == NULL || r->type == REDIS_REPLY_ERROR ? CTL_USAGE : 0;
		if (rc)
			fprintf(stderr, "sbcctl: SELECT %d failed\n", t.db);
		freeReplyObject(r);
		if (rc)
			goto out;
	}
	rc = 0;
 out:
	explicit_bzero(t.password, sizeof(t.password));
	explicit_bzero(t.rc.sentinel_password, sizeof(t.rc.sentinel_password));
	if (rc)
		ctl_redis_close(x);
	return rc;
}

void
ctl_redis_close(struct ctl *x)
{
	if (x->rc != NULL)
		redisFree(x->rc);
	x->rc = NULL;
}

struct redisReply *
ctl_cmd(struct ctl *x, const char *fmt, ...)
{
	struct redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(x->rc, fmt, ap);
	va_end(ap);
	if (r == NULL)
		fprintf(stderr, "sbcctl: Redis: %s\n", x->rc->errstr);
	return r;
}

const char *
ctl_hash_get(const struct redisReply *r, const char *field)
{
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->str != NULL && strcmp(r->element[i]->str, field) == 0)
			return r->element[i + 1]->str;
	return NULL;
}
