/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy configuration: the table of its keys (listeners, TLS, media policy, ng, Redis,
 * health, limits, route sides) and the checks between keys; the file is validated whole. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "route.h"
#include "sigproxy_config.h"

static const char *const side_names[] = { "outside", "inside", NULL };
static const char *const policy_names[] = { "off", "optional", "required", NULL };
static const char *const proto_names[] = { "udp", "tcp", "tls", NULL };
static const char *const log_levels[] = { "err", "warn", "info", "debug", NULL };

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

static int
tls_version_set(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	if (tls_version_parse(value, field) == 0)
		return 0;
	snprintf(msg, size, "not a TLS version: %s", value ? value : "");
	return EINVAL;
}

/* One [listener <name>] as read; strings are borrowed from the conf. */
struct lsnr_keys {
	unsigned proto;         /* enum tp_proto */
	const char *address;
	unsigned side;          /* enum sp_side */
	const char *advertise;
	const char *acl;
};

/* The TLS keys of a listener or of [tls_client]; strings borrowed from the conf. */
struct tls_keys {
	const char *cert, *key, *ca, *crl, *ciphers;
	int min_version;
	bool verify;
};

#define SP(field) CONF_FIELD(struct sp_config, field)
#define LK(field) CONF_FIELD(struct lsnr_keys, field)
#define TK(field) CONF_FIELD(struct tls_keys, field)
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
	{ "sigproxy", "call_ttl_ended", CONF_TYPE_INT, "3600", 1, 864000, SP(call_ttl_ended),
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

	{ "redis", "enabled", CONF_TYPE_BOOL, "yes", 0, 0, SP(redis_enabled), NULL, 0, NULL },
	{ "redis", "host", CONF_TYPE_STR, "127.0.0.1", 0, 0, SP(redis_host), NULL, 0, NULL },
	{ "redis", "unix_socket", CONF_TYPE_STR, "", 0, 0, SP(redis_unix), NULL, 0, NULL },
	{ "redis", "password", CONF_TYPE_STR, "", 0, 0, SP(redis_password), NULL, CONF_SECRET,
	  NULL },
	{ "redis", "port", CONF_TYPE_INT, "6379", 1, 65535, SP(redis_port), NULL, 0, NULL },
	{ "redis", "db", CONF_TYPE_INT, "0", 0, 255, SP(redis_db), NULL, 0, NULL },

	{ "health", "probe", CONF_TYPE_BOOL, "yes", 0, 0, SP(health_probe), NULL, 0, NULL },
	{ "health", "interval_ms", CONF_TYPE_INT, "5000", 100, 600000, SP(health_interval_ms),
	  NULL, 0, NULL },
	{ "health", "holddown_ms", CONF_TYPE_INT, "30000", 0, 3600000, SP(holddown_ms), NULL, 0,
	  NULL },

	/* The rest of [route <name>] is route.c's table. */
	{ "route", "side", CONF_TYPE_ENUM, "inside", 0, 0, 0, sizeof(enum sp_side), side_names,
	  CONF_NAMED, NULL },
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

#define TLS_ROWS(kind, flags, verify_def)							\
	{ kind, "tls_cert", CONF_TYPE_STRP, NULL, 0, 0, TK(cert), NULL, flags, NULL },		\
	{ kind, "tls_key", CONF_TYPE_STRP, NULL, 0, 0, TK(key), NULL, flags, NULL },		\
	{ kind, "tls_ca", CONF_TYPE_STRP, NULL, 0, 0, TK(ca), NULL, flags, NULL },		\
	{ kind, "tls_crl", CONF_TYPE_STRP, NULL, 0, 0, TK(crl), NULL, flags, NULL },		\
	{ kind, "tls_ciphers", CONF_TYPE_STRP, NULL, 0, 0, TK(ciphers), NULL, flags, NULL },	\
	{ kind, "tls_min_version", CONF_TYPE_HOOK, "1.2", 0, 0, TK(min_version), NULL, flags,	\
	  tls_version_set },								\
	{ kind, "tls_verify_peer", CONF_TYPE_BOOL, verify_def, 0, 0, TK(verify), NULL, flags, NULL }

/* A server verifies clients only when asked (mutual TLS); a client always verifies. */
static const struct conf_key lsnr_tls_keys[] = { TLS_ROWS("listener", CONF_NAMED, "no"), END_ROW };
static const struct conf_key client_tls_keys[] = { TLS_ROWS("tls_client", 0, "yes"), END_ROW };

/* [limits] exempt: networks as a listener's acl takes them, into a struct acl * field. */
static int
exempt_set(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	const char *bad = NULL;
	size_t badlen = 0;
	int err;

	if (value == NULL || value[0] == '\0')
		return 0;
	err = acl_parse(field, value, &bad, &badlen);
	if (err == EINVAL)
		snprintf(msg, size, "bad network \"%.*s\"", (int)badlen, bad ? bad : "");
	return err;
}

#define LIM(field) SP(limits.field)

/*
 * [limits]: per source, connection budgets, deadlines. The defaults protect a 2-core
 * machine with 1 GB (the README says why each is what it is).
 */
static const struct conf_key limits_conf_keys[] = {
	{ "limits", "max_conns_in", CONF_TYPE_INT, "1024", 1, 1000000, LIM(max_conns_in), NULL, 0,
	  NULL },
	{ "limits", "max_conns_out", CONF_TYPE_INT, "256", 1, 1000000, LIM(max_conns_out), NULL,
	  0, NULL },
	{ "limits", "max_conns_per_source", CONF_TYPE_INT, "32", 0, 1000000,
	  LIM(max_conns_per_source), NULL, 0, NULL },
	{ "limits", "requests_per_second", CONF_TYPE_INT, "50", 0, 1000000,
	  LIM(requests_per_second), NULL, 0, NULL },
	{ "limits", "requests_burst", CONF_TYPE_INT, "100", 1, 1000000, LIM(requests_burst), NULL,
	  0, NULL },
	{ "limits", "tls_conns_per_second", CONF_TYPE_INT, "5", 0, 1000000,
	  LIM(tls_conns_per_second), NULL, 0, NULL },
	{ "limits", "tls_conns_burst", CONF_TYPE_INT, "20", 1, 1000000, LIM(tls_conns_burst), NULL,
	  0, NULL },
	{ "limits", "ban_ms", CONF_TYPE_INT, "60000", 0, 86400000, LIM(ban_ms), NULL, 0, NULL },
	{ "limits", "max_sources", CONF_TYPE_INT, "16384", 16, 10000000, LIM(max_sources), NULL, 0,
	  NULL },
	{ "limits", "handshake_timeout_ms", CONF_TYPE_INT, "5000", 100, 600000,
	  LIM(handshake_timeout_ms), NULL, 0, NULL },
	{ "limits", "header_timeout_ms", CONF_TYPE_INT, "10000", 100, 600000,
	  LIM(header_timeout_ms), NULL, 0, NULL },
	{ "limits", "idle_timeout_ms", CONF_TYPE_INT, "300000", 1000, 86400000,
	  LIM(idle_timeout_ms), NULL, 0, NULL },
	{ "limits", "connect_timeout_ms", CONF_TYPE_INT, "5000", 100, 600000,
	  LIM(connect_timeout_ms), NULL, 0, NULL },
	{ "limits", "inside", CONF_TYPE_BOOL, "no", 0, 0, LIM(inside), NULL, 0, NULL },
	{ "limits", "exempt", CONF_TYPE_HOOK, NULL, 0, 0, LIM(exempt), NULL, 0, exempt_set },
	END_ROW,
};

/* Every table of sigproxy's keys, for conf_check_known. */
static const struct conf_key *const sp_conf_tables[] = {
	sp_conf_keys, lsnr_conf_keys, lsnr_tls_keys, client_tls_keys, route_conf_keys,
	limits_conf_keys, NULL,
};

static int
pem_no_password(char *buf, int size, int rwflag, void *u)
{
	/* An encrypted key cannot be used unattended: refuse it instead of prompting. */
	return -1;
}

/* Opens path for key (tls_cert, tls_key ...) or fills *err naming that key's line. */
static int
tls_file_open(struct conf *c, const char *sec, const char *key, const char *path, FILE **fp,
    struct conf_error *err)
{
	*fp = fopen(path, "r");
	if (*fp == NULL)
		return conf_error_set(c, sec, key, err, "cannot read %s: %s", path, strerror(errno));
	return 0;
}

/*
 * What tls_alloc would only log, named by key and line: unreadable files, and a
 * certificate whose public key is not the private key's.
 */
static int
tls_files_check(struct conf *c, const char *sec, const struct tls_keys *tk,
    struct conf_error *err)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	FILE *f;
	int rc;

	if (tk->ca != NULL) {
		if ((rc = tls_file_open(c, sec, "tls_ca", tk->ca, &f, err)))
			return rc;
		fclose(f);
	}
	if (tk->crl != NULL) {
		if ((rc = tls_file_open(c, sec, "tls_crl", tk->crl, &f, err)))
			return rc;
		fclose(f);
	}
	if (tk->cert == NULL)
		return 0;
	if ((rc = tls_file_open(c, sec, "tls_cert", tk->cert, &f, err)))
		return rc;
	x = PEM_read_X509(f, NULL, pem_no_password, NULL);
	fclose(f);
	if (x == NULL) {
		rc = conf_error_set(c, sec, "tls_cert", err, "%s holds no PEM certificate", tk->cert);
		goto out;
	}
	if ((rc = tls_file_open(c, sec, "tls_key", tk->key, &f, err)))
		goto out;
	pk = PEM_read_PrivateKey(f, NULL, pem_no_password, NULL);
	fclose(f);
	if (pk == NULL) {
		rc = conf_error_set(c, sec, "tls_key", err,
		    "%s holds no unencrypted PEM private key", tk->key);
		goto out;
	}
	if (X509_check_private_key(x, pk) != 1)
		rc = conf_error_set(c, sec, "tls_key", err,
		    "%s does not match the certificate in tls_cert (%s)", tk->key, tk->cert);
 out:
	ERR_clear_error();
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

static int
tls_from_conf(struct conf *c, const char *sec, const char *name, enum tls_role role,
    struct tls **tp, struct conf_error *err)
{
	const struct conf_key *table = role == TLS_ROLE_SERVER ? lsnr_tls_keys : client_tls_keys;
	struct tls_keys tk;
	struct tls_conf tc;
	int rc;

	memset(&tk, 0, sizeof(tk));
	if ((rc = conf_apply(c, table, sec, &tk, NULL, err)))
		return rc;
	if (role == TLS_ROLE_SERVER && (tk.cert == NULL || tk.key == NULL))
		return conf_error_set(c, sec, "tls_cert", err, "TLS listener needs tls_cert and tls_key");
	if (tk.cert != NULL && tk.key == NULL)
		return conf_error_set(c, sec, "tls_cert", err, "needs tls_key as well");
	if (tk.key != NULL && tk.cert == NULL)
		return conf_error_set(c, sec, "tls_key", err, "needs tls_cert as well");
	if ((rc = tls_files_check(c, sec, &tk, err)))
		return rc;
	memset(&tc, 0, sizeof(tc));
	tc.cert_file = tk.cert;
	tc.key_file = tk.key;
	tc.ca_file = tk.ca;
	tc.crl_file = tk.crl;
	tc.ciphers = tk.ciphers;
	tc.min_version = tk.min_version;
	tc.verify_peer = tk.verify;
	if (tls_alloc(tp, name, role, &tc))
		return conf_error_set(c, sec, "tls_cert", err, "TLS context failed (see log)");
	return 0;
}

struct lsnr_ctx {
	struct sp_config *cfg;
	struct conf *c;
	struct conf_error *err;
	int rc;
};

/* TLS keys on a UDP or TCP listener would be silently ignored: refuse them. */
static int
lsnr_tls_keys_refuse(struct conf *c, const char *sec, enum tp_proto proto,
    struct conf_error *err)
{
	const struct conf_key *k;

	for (k = lsnr_tls_keys; k->name != NULL; k++)
		if (conf_key_line(c, sec, k->name) != 0)
			return conf_error_set(c, sec, k->name, err,
			    "only for transport = tls (this listener is %s)", proto_names[proto]);
	return 0;
}

static void
lsnr_section(const char *sec, void *arg)
{
	struct lsnr_ctx *x = arg;
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
	if (l->proto == TP_TLS)
		rc = tls_from_conf(x->c, sec, l->name, TLS_ROLE_SERVER, &l->tls, x->err);
	else
		rc = lsnr_tls_keys_refuse(x->c, sec, l->proto, x->err);
	if (rc) {
		acl_free(l->acl);
		l->acl = NULL;
		x->rc = rc;
		return;
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

int
sp_config_load(struct sp_config *cfg, struct conf *c, struct conf_error *err)
{
	static const char *const plain[] = { "sigproxy", "media", "redis", "health" };
	struct lsnr_ctx lx;
	struct route_side_ctx rx;
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
	if ((rc = conf_apply(c, limits_conf_keys, "limits", cfg, cfg, err)))
		goto out;

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
	if (conf_section_line(c, "tls_client") != 0) {
		if (!conf_key_line(c, "tls_client", "tls_ca") &&
		    !conf_key_line(c, "tls_client", "tls_cert")) {
			rc = conf_section_error(c, "tls_client", err,
			    "needs tls_ca (to verify targets) or tls_cert (mutual TLS)");
			goto out;
		}
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
	if ((rc = rx.rc))
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
	if (cfg->client_tls)
		tls_free(cfg->client_tls);
	cfg->client_tls = NULL;
	if (cfg->routes)
		route_table_free(cfg->routes);
	cfg->routes = NULL;
	acl_free(cfg->limits.exempt);
	cfg->limits.exempt = NULL;
}
