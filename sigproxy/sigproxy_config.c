/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy configuration: listeners, media policy, ng, Redis, health and routes from the INI file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "route.h"
#include "sigproxy_config.h"

static const char *const side_names[] = { "outside", "inside", NULL };
static const char *const policy_names[] = { "off", "optional", "required", NULL };
static const char *const proto_names[] = { "udp", "tcp", "tls", NULL };

const char *
sp_side_name(enum sp_side s)
{
	return s == SP_SIDE_INSIDE ? "inside" : "outside";
}

int
sp_side_parse(const char *s, enum sp_side *out)
{
	if (strcasecmp(s, "outside") == 0)
		*out = SP_SIDE_OUTSIDE;
	else if (strcasecmp(s, "inside") == 0)
		*out = SP_SIDE_INSIDE;
	else
		return EINVAL;
	return 0;
}

const char *
sp_policy_name(enum sp_policy p)
{
	return policy_names[p];
}

struct lsnr_ctx {
	struct sp_config *cfg;
	struct conf *c;
	struct conf_error *err;
	int rc;
};

static int
tls_from_conf(struct conf *c, const char *sec, const char *name, enum tls_role role,
    struct tls **tp, struct conf_error *err)
{
	struct tls_conf tc;
	const char *cert, *key, *ca, *crl, *ciphers, *minv;
	bool verify;
	int rc, v = 0;

	memset(&tc, 0, sizeof(tc));
	if ((rc = conf_get_str(c, sec, "tls_cert", NULL, &cert, err)) ||
	    (rc = conf_get_str(c, sec, "tls_key", NULL, &key, err)) ||
	    (rc = conf_get_str(c, sec, "tls_ca", NULL, &ca, err)) ||
	    (rc = conf_get_str(c, sec, "tls_crl", NULL, &crl, err)) ||
	    (rc = conf_get_str(c, sec, "tls_ciphers", NULL, &ciphers, err)) ||
	    (rc = conf_get_str(c, sec, "tls_min_version", "1.2", &minv, err)) ||
	    (rc = conf_get_bool(c, sec, "tls_verify_peer", role == TLS_ROLE_CLIENT, &verify, err)))
		return rc;
	if (tls_version_parse(minv, &v))
		return conf_error_set(c, sec, "tls_min_version", err, "not a TLS version: %s", minv);
	tc.cert_file = cert;
	tc.key_file = key;
	tc.ca_file = ca;
	tc.crl_file = crl;
	tc.ciphers = ciphers;
	tc.min_version = v;
	tc.verify_peer = verify;
	if (role == TLS_ROLE_SERVER && (cert == NULL || key == NULL))
		return conf_error_set(c, sec, "tls_cert", err, "TLS listener needs tls_cert and tls_key");
	if (tls_alloc(tp, name, role, &tc))
		return conf_error_set(c, sec, "tls_cert", err, "TLS context failed (see log)");
	return 0;
}

static void
lsnr_section(const char *sec, void *arg)
{
	struct lsnr_ctx *x = arg;
	struct sp_config *cfg = x->cfg;
	struct sp_listener *l;
	const char *addr, *adv, *acl;
	unsigned proto, side;
	const char *bad = NULL;
	size_t badlen = 0;
	int rc;

	if (x->rc)
		return;
	if (cfg->nlisteners == SP_LISTENERS_MAX) {
		x->rc = conf_error_set(x->c, sec, "transport", x->err, "too many listeners");
		return;
	}
	l = &cfg->listeners[cfg->nlisteners];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", sec + strlen("listener "));
	if ((rc = conf_get_enum(x->c, sec, "transport", proto_names, 0, &proto, x->err)) ||
	    (rc = conf_get_str(x->c, sec, "address", NULL, &addr, x->err)) ||
	    (rc = conf_get_enum(x->c, sec, "side", side_names, 0, &side, x->err)) ||
	    (rc = conf_get_str(x->c, sec, "advertise", NULL, &adv, x->err)) ||
	    (rc = conf_get_str(x->c, sec, "acl", NULL, &acl, x->err))) {
		x->rc = rc;
		return;
	}
	l->proto = (enum tp_proto)proto;
	l->side = (enum sp_side)side;
	if (addr == NULL || sa_parse(&l->addr, addr, proto == TP_TLS ? 5061 : 5060)) {
		x->rc = conf_error_set(x->c, sec, "address", x->err,
		    "need a numeric address[:port], got %s", addr ? addr : "nothing");
		return;
	}
	if (acl != NULL && acl_parse(&l->acl, acl, &bad, &badlen)) {
		x->rc = conf_error_set(x->c, sec, "acl", x->err, "bad network \"%.*s\"",
		    (int)badlen, bad ? bad : "");
		return;
	}
	if (adv != NULL)
		snprintf(l->advertise, sizeof(l->advertise), "%s", adv);
	else
		sa_format_ip(&l->addr, l->advertise, sizeof(l->advertise));
	if (l->proto == TP_TLS) {
		rc = tls_from_conf(x->c, sec, l->name, TLS_ROLE_SERVER, &l->tls, x->err);
		if (rc) {
			acl_free(l->acl);
			l->acl = NULL;
			x->rc = rc;
			return;
		}
	}
	cfg->nlisteners++;
}

struct route_side_ctx {
	struct sp_config *cfg;
	struct conf *c;
	struct conf_error *err;
	int rc;
};

static void
route_side_section(const char *sec, void *arg)
{
	struct route_side_ctx *x = arg;
	const struct route_rule *r;
	unsigned i, side;

	if (x->rc)
		return;
	if ((x->rc = conf_get_enum(x->c, sec, "side", side_names, SP_SIDE_INSIDE, &side, x->err)))
		return;
	for (i = 0; i < route_table_count(x->cfg->routes) && i < 64; i++) {
		r = route_table_rule(x->cfg->routes, i);
		if (strcmp(r->name, sec + strlen("route ")) == 0)
			x->cfg->route_side[i] = (enum sp_side)side;
	}
}

int
sp_config_load(struct sp_config *cfg, struct conf *c, struct conf_error *err)
{
	static const char *const levels[] = { "err", "warn", "info", "debug", NULL };
	struct lsnr_ctx lx;
	struct route_side_ctx rx;
	const char *s, *id, *ms, *sdes, *ifo, *ifi, *rh, *ru, *rp;
	unsigned lvl, po, pi, i;
	int64_t v;
	bool b;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
#define GINT(sec, key, def, lo, hi, dst) do { \
	if ((rc = conf_get_int(c, sec, key, def, lo, hi, &v, err))) goto out; \
	dst = v; } while (0)
	if ((rc = conf_get_str(c, "sigproxy", "id", "sigproxy1", &id, err)) ||
	    (rc = conf_get_enum(c, "sigproxy", "log_level", levels, 2, &lvl, err)) ||
	    (rc = conf_get_str(c, "sigproxy", "metrics_listen", "", &ms, err)) ||
	    (rc = conf_get_bool(c, "sigproxy", "sip_trace", false, &b, err)))
		goto out;
	snprintf(cfg->instance_id, sizeof(cfg->instance_id), "%s", id);
	cfg->log_level = (int)lvl;
	snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", ms);
	cfg->trace = b;
	GINT("sigproxy", "call_ttl_active", 86400, 60, 864000, cfg->call_ttl_active);
	GINT("sigproxy", "call_ttl_ended", 3600, 1, 864000, cfg->call_ttl_ended);
	GINT("sigproxy", "retry_after", 5, 1, 3600, cfg->retry_after);

	if ((rc = conf_get_enum(c, "media", "outside_policy", policy_names, SP_POLICY_OPTIONAL,
	    &po, err)) ||
	    (rc = conf_get_enum(c, "media", "inside_policy", policy_names, SP_POLICY_OFF, &pi, err)) ||
	    (rc = conf_get_str(c, "media", "sdes", "", &sdes, err)) ||
	    (rc = conf_get_str(c, "media", "outside_interface", "outside", &ifo, err)) ||
	    (rc = conf_get_str(c, "media", "inside_interface", "inside", &ifi, err)) ||
	    (rc = conf_get_str(c, "media", "mediad", "", &s, err)))
		goto out;
	cfg->policy[SP_SIDE_OUTSIDE] = (enum sp_policy)po;
	cfg->policy[SP_SIDE_INSIDE] = (enum sp_policy)pi;
	snprintf(cfg->sdes, sizeof(cfg->sdes), "%s", sdes);
	snprintf(cfg->iface[SP_SIDE_OUTSIDE], sizeof(cfg->iface[0]), "%s", ifo);
	snprintf(cfg->iface[SP_SIDE_INSIDE], sizeof(cfg->iface[0]), "%s", ifi);
	snprintf(cfg->mediad_static, sizeof(cfg->mediad_static), "%s", s);
	if (s[0] != '\0') {
		struct sa tmp;

		if (sa_parse(&tmp, s, 2223)) {
			rc = conf_error_set(c, "media", "mediad", err, "need ip:port, got %s", s);
			goto out;
		}
	}
	GINT("media", "ng_timeout_ms", 300, 20, 10000, cfg->ng_timeout_ms);
	GINT("media", "ng_retries", 2, 0, 10, cfg->ng_retries);
	GINT("media", "mediad_refresh_ms", 2000, 100, 60000, cfg->mediad_refresh_ms);
	GINT("media", "mediad_up_after", 3, 1, 100, cfg->mediad_up_after);

	if ((rc = conf_get_bool(c, "redis", "enabled", true, &b, err)) ||
	    (rc = conf_get_str(c, "redis", "host", "127.0.0.1", &rh, err)) ||
	    (rc = conf_get_str(c, "redis", "unix_socket", "", &ru, err)) ||
	    (rc = conf_get_str(c, "redis", "password", "", &rp, err)))
		goto out;
	cfg->redis_enabled = b;
	snprintf(cfg->redis_host, sizeof(cfg->redis_host), "%s", rh);
	snprintf(cfg->redis_unix, sizeof(cfg->redis_unix), "%s", ru);
	snprintf(cfg->redis_password, sizeof(cfg->redis_password), "%s", rp);
	GINT("redis", "port", 6379, 1, 65535, cfg->redis_port);
	GINT("redis", "db", 0, 0, 255, cfg->redis_db);

	if ((rc = conf_get_bool(c, "health", "probe", true, &b, err)))
		goto out;
	cfg->health_probe = b;
	GINT("health", "interval_ms", 5000, 100, 600000, cfg->health_interval_ms);
	GINT("health", "holddown_ms", 30000, 0, 3600000, cfg->holddown_ms);

	lx.cfg = cfg;
	lx.c = c;
	lx.err = err;
	lx.rc = 0;
	conf_foreach_section(c, "listener ", lsnr_section, &lx);
	if ((rc = lx.rc))
		goto out;
	if (cfg->nlisteners == 0) {
		rc = conf_error_set(c, "listener", "address", err, "no [listener <name>] section");
		goto out;
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		struct sp_listener *l = &cfg->listeners[i];

		l->hop.transport = l->proto;
		l->hop.host = l->advertise;
		l->hop.port = sa_port(&l->addr);
		cfg->self[i] = l->hop;
	}
	if (conf_key_line(c, "tls_client", "tls_ca") || conf_key_line(c, "tls_client", "tls_cert")) {
		if ((rc = tls_from_conf(c, "tls_client", "client", TLS_ROLE_CLIENT, &cfg->client_tls,
		    err)))
			goto out;
	}
	if ((rc = route_table_load(&cfg->routes, c, err)))
		goto out;
	for (i = 0; i < 64; i++)
		cfg->route_side[i] = SP_SIDE_INSIDE;
	rx.cfg = cfg;
	rx.c = c;
	rx.err = err;
	rx.rc = 0;
	conf_foreach_section(c, "route ", route_side_section, &rx);
	rc = rx.rc;
#undef GINT
 out:
	if (rc)
		sp_config_free(cfg);
	return rc;
}

void
sp_config_free(struct sp_config *cfg)
{
	unsigned i;

	for (i = 0; i < cfg->nlisteners; i++) {
		acl_free(cfg->listeners[i].acl);
		if (cfg->listeners[i].tls)
			tls_free(cfg->listeners[i].tls);
		cfg->listeners[i].acl = NULL;
		cfg->listeners[i].tls = NULL;
	}
	cfg->nlisteners = 0;
	if (cfg->client_tls)
		tls_free(cfg->client_tls);
	cfg->client_tls = NULL;
	if (cfg->routes)
		route_table_free(cfg->routes);
	cfg->routes = NULL;
}
