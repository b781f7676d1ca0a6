/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy configuration: the table of its keys (listeners, media policy, ng, Redis, health,
 * route sides; TLS in sigproxy_config_tls.c, [limits] in sigproxy_config_limits.c) and the
 * checks between keys; the file is validated whole. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "log.h"
#include "route.h"
#include "sigproxy_config_int.h"
#include "trace.h"

static const char *const side_names[] = { "outside", "inside", NULL };
static const char *const policy_names[] = { "off", "optional", "required", NULL };
static const char *const proto_names[] = { "udp", "tcp", "tls", NULL };
static const char *const log_levels[] = { "err", "warn", "info", "debug", NULL };
static const char *const up_on_names[] = { "200", "any", NULL };
/* syslog facilities for the compliance record, in the order of facility_values */
static const char *const facility_names[] = { "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7", "user", "daemon", "auth", "authpriv", NULL };
static const int facility_values[] = { LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
	LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7, LOG_USER, LOG_DAEMON, LOG_AUTH,
	LOG_AUTHPRIV };

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

/* [media] mediad: a remote ng address, so numeric but not necessarily ours. */
static int
mediad_addr_check(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct sa tmp;

	if (value == NULL || value[0] == '\0' || sa_parse(&tmp, value, 2223) == 0)
		return 0;
	snprintf(msg, size, "need ip:port, got %s", value);
	return EINVAL;
}

/* [trace] number and peer: refused here, with their line, rather than at start. */
static int
trace_filter_check(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct trace_filter *f = NULL;
	bool number = strcmp(k->name, "number") == 0;
	int rc;

	rc = trace_filter_parse(&f, NULL, number ? value : NULL, number ? NULL : value, msg,
	    size);
	trace_filter_free(f);
	return rc;
}

/* One [listener <name>] as read; strings are borrowed from the conf. */
struct lsnr_keys {
	unsigned proto;         /* enum tp_proto */
	const char *address;
	unsigned side;          /* enum sp_side */
	const char *advertise;
	const char *acl;
};

#define SP(field) CONF_FIELD(struct sp_config, field)
#define LK(field) CONF_FIELD(struct lsnr_keys, field)
#define END_ROW { NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL }

/* The keys of the plain sections, filling struct sp_config. */
static const struct conf_key sp_conf_keys[] = {
	{ "sigproxy", "id", CONF_TYPE_STR, "sigproxy1", 0, 0, SP(instance_id), NULL, 0, NULL },
	{ "sigproxy", "log_level", CONF_TYPE_ENUM, "info", 0, 0, SP(log_level), log_levels, 0,
	  NULL },
	{ "sigproxy", "metrics_listen", CONF_TYPE_STR, "", 0, 0, SP(metrics_listen), NULL, 0,
	  conf_hook_listen_addr },
	{ "sigproxy", "sip_trace", CONF_TYPE_BOOL, "no", 0, 0, SP(trace), NULL, 0, NULL },
	{ "sigproxy", "call_ttl_active", CONF_TYPE_INT, "86400", 60, 864000, SP(call_ttl_active),
	  NULL, 0, NULL },
	{ "sigproxy", "call_ttl_ended", CONF_TYPE_INT, "3600", 1, 2592000, SP(call_ttl_ended),
	  NULL, 0, NULL },
	{ "sigproxy", "retry_after", CONF_TYPE_INT, "5", 1, 3600, SP(retry_after), NULL, 0, NULL },

	{ "media", "outside_policy", CONF_TYPE_ENUM, "optional", 0, 0,
	  SP(policy[SP_SIDE_OUTSIDE]), policy_names, 0, NULL },
	{ "media", "inside_policy", CONF_TYPE_ENUM, "off", 0, 0, SP(policy[SP_SIDE_INSIDE]),
	  policy_names, 0, NULL },
	{ "media", "sdes", CONF_TYPE_STR, "", 0, 0, SP(sdes), NULL, 0, NULL },
	{ "media", "outside_interface", CONF_TYPE_STR, "outside", 0, 0,
	  SP(iface[SP_SIDE_OUTSIDE]), NULL, 0, NULL },
	{ "media", "inside_interface", CONF_TYPE_STR, "inside", 0, 0, SP(iface[SP_SIDE_INSIDE]),
	  NULL, 0, NULL },
	{ "media", "mediad", CONF_TYPE_STR, "", 0, 0, SP(mediad_static), NULL, 0,
	  mediad_addr_check },
	{ "media", "ng_timeout_ms", CONF_TYPE_INT, "300", 20, 10000, SP(ng_timeout_ms), NULL, 0,
	  NULL },
	{ "media", "ng_retries", CONF_TYPE_INT, "2", 0, 10, SP(ng_retries), NULL, 0, NULL },
	{ "media", "mediad_refresh_ms", CONF_TYPE_INT, "2000", 100, 60000, SP(mediad_refresh_ms),
	  NULL, 0, NULL },
	{ "media", "mediad_up_after", CONF_TYPE_INT, "3", 1, 100, SP(mediad_up_after), NULL, 0,
	  NULL },
	/*
	 * SDES keys travel in SIP: a side can demand that they arrive and leave only over
	 * TLS. Default yes outside (untrusted network), no inside (legacy SIP/UDP).
	 */
	{ "media", "outside_sdes_requires_tls", CONF_TYPE_BOOL, "yes", 0, 0,
	  SP(sdes_requires_tls[SP_SIDE_OUTSIDE]), NULL, 0, NULL },
	{ "media", "inside_sdes_requires_tls", CONF_TYPE_BOOL, "no", 0, 0,
	  SP(sdes_requires_tls[SP_SIDE_INSIDE]), NULL, 0, NULL },

	{ "redis", "enabled", CONF_TYPE_BOOL, "yes", 0, 0, SP(redis_enabled), NULL, 0, NULL },

	{ "health", "probe", CONF_TYPE_BOOL, "yes", 0, 0, SP(health_probe), NULL, 0, NULL },
	{ "health", "interval_ms", CONF_TYPE_INT, "5000", 100, 600000, SP(health_interval_ms),
	  NULL, 0, NULL },
	{ "health", "holddown_ms", CONF_TYPE_INT, "30000", 0, 3600000, SP(holddown_ms), NULL, 0,
	  NULL },
	{ "health", "down_after", CONF_TYPE_INT, "3", 1, 100, SP(health_down_after), NULL, 0,
	  NULL },
	{ "health", "up_after", CONF_TYPE_INT, "2", 1, 100, SP(health_up_after), NULL, 0, NULL },
	{ "health", "probe_up_on", CONF_TYPE_ENUM, "200", 0, 0, SP(health_up_on_any), up_on_names,
	  0, NULL },

	/* The rest of [route <name>] is route.c's table. */
	{ "route", "side", CONF_TYPE_ENUM, "inside", 0, 0, 0, sizeof(enum sp_side), side_names,
	  CONF_NAMED, NULL },
	END_ROW,
};

/* The SIP trace: where it goes and what it keeps (README "SIP trace"). */
static const struct conf_key trace_conf_keys[] = {
	{ "trace", "file", CONF_TYPE_STR, "", 0, 0, SP(trace_file), NULL, 0, NULL },
	{ "trace", "hep_collector", CONF_TYPE_ADDR, NULL, 9060, 0, SP(trace_hep), NULL, 0, NULL },
	{ "trace", "hep_capture_id", CONF_TYPE_INT, "2001", 0, 4294967295LL, SP(trace_hep_id),
	  NULL, 0, NULL },
	{ "trace", "call", CONF_TYPE_STR, "", 0, 0, SP(trace_call), NULL, 0, NULL },
	{ "trace", "number", CONF_TYPE_STR, "", 0, 0, SP(trace_number), NULL, 0,
	  trace_filter_check },
	{ "trace", "peer", CONF_TYPE_STR, "", 0, 0, SP(trace_peer), NULL, 0, trace_filter_check },
	END_ROW,
};

/* The compliance record of every ended call (README "Compliance record"). */
static const struct conf_key compliance_conf_keys[] = {
	{ "compliance", "file", CONF_TYPE_STR, "", 0, 0, SP(compliance_file), NULL, 0, NULL },
	{ "compliance", "syslog", CONF_TYPE_BOOL, "no", 0, 0, SP(compliance_syslog), NULL, 0,
	  NULL },
	{ "compliance", "syslog_facility", CONF_TYPE_ENUM, "local0", 0, 0,
	  SP(compliance_facility), facility_names, 0, NULL },
	END_ROW,
};

/* [dialog]: in-dialog handling at the border. */
static const struct conf_key sp_dialog_keys[] = {
	{ "dialog", "topology_hiding_outside", CONF_TYPE_BOOL, "yes", 0, 0,
	  SP(hide[SP_SIDE_OUTSIDE]), NULL, 0, NULL },
	{ "dialog", "topology_hiding_inside", CONF_TYPE_BOOL, "no", 0, 0,
	  SP(hide[SP_SIDE_INSIDE]), NULL, 0, NULL },
	{ "dialog", "call_id_replace", CONF_TYPE_BOOL, "no", 0, 0, SP(call_id_replace), NULL, 0,
	  NULL },
	END_ROW,
};

static const struct conf_key lsnr_conf_keys[] = {
	{ "listener", "transport", CONF_TYPE_ENUM, "udp", 0, 0, LK(proto), proto_names,
	  CONF_NAMED, NULL },
	/* The port default depends on the transport: parsed in lsnr_section. */
	{ "listener", "address", CONF_TYPE_STRP, NULL, 0, 0, LK(address), NULL,
	  CONF_NAMED | CONF_REQUIRED, NULL },
	{ "listener", "side", CONF_TYPE_ENUM, "outside", 0, 0, LK(side), side_names, CONF_NAMED,
	  NULL },
	{ "listener", "advertise", CONF_TYPE_STRP, NULL, 0, 0, LK(advertise), NULL, CONF_NAMED,
	  NULL },
	{ "listener", "acl", CONF_TYPE_STRP, NULL, 0, 0, LK(acl), NULL, CONF_NAMED, NULL },
	END_ROW,
};

/* Every table of sigproxy's keys, for conf_check_known. */
static const struct conf_key *const sp_conf_tables[] = {
	sp_conf_keys, lsnr_conf_keys, sp_lsnr_tls_keys, sp_client_tls_keys, sp_peer_tls_keys,
	route_conf_keys, trace_conf_keys, compliance_conf_keys, redis_conf_keys,
	sp_dialog_keys, sp_limits_conf_keys, sp_move_conf_keys, NULL,
};

/* What a conf_foreach_section() callback of this file works on; rc: the first error. */
struct section_ctx {
	struct sp_config *cfg;
	struct conf *c;
	struct conf_error *err;
	int rc;
};

/* Runs fn over every section whose name starts with prefix; 0 or the first error. */
static int
sections_load(struct sp_config *cfg, struct conf *c, struct conf_error *err,
    const char *prefix, void (*fn)(const char *sec, void *arg))
{
	struct section_ctx x = { .cfg = cfg, .c = c, .err = err, .rc = 0 };

	conf_foreach_section(c, prefix, fn, &x);
	return x.rc;
}

static void
lsnr_section(const char *sec, void *arg)
{
	struct section_ctx *x = arg;
	struct sp_config *cfg = x->cfg;
	struct sp_listener *l;
	struct lsnr_keys lk;
	const char *bad = NULL;
	size_t badlen = 0;
	char msg[192];
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
	memset(&lk, 0, sizeof(lk));
	if ((x->rc = conf_apply(x->c, lsnr_conf_keys, sec, &lk, NULL, x->err)))
		return;
	l->proto = (enum tp_proto)lk.proto;
	l->side = (enum sp_side)lk.side;
	/* Listening sockets bind here: an address of another host fails only at start. */
	if (conf_addr_parse(&l->addr, lk.address, l->proto == TP_TLS ? 5061 : 5060, CONF_LOCAL,
	    msg, sizeof(msg))) {
		x->rc = conf_error_set(x->c, sec, "address", x->err, "%s", msg);
		return;
	}
	if (lk.advertise != NULL && strlen(lk.advertise) >= sizeof(l->advertise)) {
		x->rc = conf_error_set(x->c, sec, "advertise", x->err, "longer than %zu bytes",
		    sizeof(l->advertise) - 1);
		return;
	}
	if (lk.acl != NULL && acl_parse(&l->acl, lk.acl, &bad, &badlen)) {
		x->rc = conf_error_set(x->c, sec, "acl", x->err, "bad network \"%.*s\"",
		    (int)badlen, bad ? bad : "");
		return;
	}
	if (lk.advertise != NULL)
		snprintf(l->advertise, sizeof(l->advertise), "%s", lk.advertise);
	else
		sa_format_ip(&l->addr, l->advertise, sizeof(l->advertise));
	rc = sp_tls_listener_load(x->c, sec, l, x->err);
	if (rc) {
		acl_free(l->acl);
		l->acl = NULL;
		x->rc = rc;
		return;
	}
	cfg->nlisteners++;
}

static void
route_side_section(const char *sec, void *arg)
{
	struct section_ctx *x = arg;
	const struct route_rule *r;
	enum sp_side side = SP_SIDE_INSIDE;
	unsigned i;

	if (x->rc)
		return;
	if ((x->rc = conf_apply(x->c, sp_conf_keys, sec, &side, NULL, x->err)))
		return;
	for (i = 0; i < route_table_count(x->cfg->routes) && i < 64; i++) {
		r = route_table_rule(x->cfg->routes, i);
		if (strcmp(r->name, sec + strlen("route ")) == 0)
			x->cfg->route_side[i] = side;
	}
}

bool
sp_route_probed(const struct sp_config *cfg, const struct route_rule *r)
{
	if (r->probe == ROUTE_PROBE_INHERIT)
		return cfg->health_probe;
	return r->probe == ROUTE_PROBE_YES;
}

bool
sp_route_up_on_any(const struct sp_config *cfg, const struct route_rule *r)
{
	if (r->probe_up_on == ROUTE_UP_ON_INHERIT)
		return cfg->health_up_on_any;
	return r->probe_up_on == ROUTE_UP_ON_ANY;
}

/*
 * A backend has one health state (sbc:backend:<target>): a target named by two routes
 * that would probe it differently is refused rather than judged by whichever comes first.
 */
static int
route_health_check(const struct sp_config *cfg, struct conf *c, struct conf_error *err)
{
	unsigned n = route_table_count(cfg->routes), i, j, k, l;

	for (i = 0; i < n; i++) {
		const struct route_rule *a = route_table_rule(cfg->routes, i);

		for (j = i + 1; j < n; j++) {
			const struct route_rule *b = route_table_rule(cfg->routes, j);
			char sec[80];

			if (sp_route_probed(cfg, a) == sp_route_probed(cfg, b) &&
			    sp_route_up_on_any(cfg, a) == sp_route_up_on_any(cfg, b))
				continue;
			for (k = 0; k < a->ntargets; k++)
				for (l = 0; l < b->ntargets; l++) {
					if (strcmp(a->targets[k].uri, b->targets[l].uri) != 0)
						continue;
					snprintf(sec, sizeof(sec), "route %s", b->name);
					return conf_error_set(c, sec, sp_route_probed(cfg, a) !=
					    sp_route_probed(cfg, b) ? "probe" : "probe_up_on", err,
					    "target %s is also in route %s, which probes it otherwise "
					    "(one backend, one health state)", b->targets[l].uri,
					    a->name);
				}
		}
	}
	return 0;
}

int
sp_config_load(struct sp_config *cfg, struct conf *c, struct conf_error *err)
{
	static const char *const plain[] = { "sigproxy", "media", "redis", "health" };
	unsigned i;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	/* What no table knows is refused before anything is read: a typo must not look
	 * like a missing key, nor a misspelt section like an absent one. */
	if ((rc = conf_check_known(c, sp_conf_tables, err)))
		goto out;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if ((rc = conf_apply(c, sp_conf_keys, plain[i], cfg, cfg, err)))
			goto out;
	if ((rc = conf_apply(c, trace_conf_keys, "trace", cfg, cfg, err)) ||
	    (rc = conf_apply(c, compliance_conf_keys, "compliance", cfg, cfg, err)))
		goto out;
	cfg->compliance_syslog_facility = facility_values[cfg->compliance_facility];
	if ((rc = conf_apply(c, redis_conf_keys, "redis", &cfg->redis, &cfg->redis, err)))
		goto out;
	if ((rc = conf_apply(c, sp_dialog_keys, "dialog", cfg, cfg, err)))
		goto out;
	if ((rc = conf_apply(c, sp_limits_conf_keys, "limits", cfg, cfg, err)))
		goto out;
	if ((rc = conf_apply(c, sp_move_conf_keys, "media", cfg, cfg, err)))
		goto out;

	if ((rc = sections_load(cfg, c, err, "listener ", lsnr_section)))
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
	if ((rc = sp_tls_clients_load(cfg, c, err)))
		goto out;
	if ((rc = route_table_load(&cfg->routes, c, err)) ||
	    (rc = sp_tls_targets_map(cfg, c, err)))
		goto out;
	for (i = 0; i < 64; i++)
		cfg->route_side[i] = SP_SIDE_INSIDE;
	if ((rc = sections_load(cfg, c, err, "route ", route_side_section)))
		goto out;
	if ((rc = route_health_check(cfg, c, err)))
		goto out;
	rc = conf_check_unused(c, err);
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
	sp_tls_free(cfg);
	if (cfg->routes)
		route_table_free(cfg->routes);
	cfg->routes = NULL;
	acl_free(cfg->limits.exempt);
	cfg->limits.exempt = NULL;
}
