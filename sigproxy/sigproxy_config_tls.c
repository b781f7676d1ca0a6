/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy's TLS configuration: the TLS keys of listeners, [tls_client] and [tls_peer <name>]
 * (tables), their files checked by key and line, targets mapped to their peer, reload. */
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
#include "sigproxy_config_int.h"

#define SP_TLS_ALLOW_MAX 32

/* A listener's tls_allow entries, copied out of the comma/space separated lines. */
struct tls_allow {
	unsigned n;
	char name[SP_TLS_ALLOW_MAX][256];
};

/* The TLS keys of a listener, [tls_client] or [tls_peer]; strings borrowed from the conf. */
struct tls_keys {
	const char *cert, *key, *ca, *crl, *ciphers;
	int min_version;
	bool verify;
	struct tls_allow allow;		/* listeners only */
	char server_name[256];		/* [tls_peer] only */
};

#define TK(field) CONF_FIELD(struct tls_keys, field)
#define END_ROW { NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL }

static int
tls_version_set(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	/* Absent without default ([tls_peer]): left as it is, inherited or 1.2. */
	if (value == NULL || tls_version_parse(value, field) == 0)
		return 0;
	snprintf(msg, size, "not a TLS version: %s", value ? value : "");
	return EINVAL;
}

/* tls_allow: names separated by commas or spaces, the key repeatable. */
static int
tls_allow_add(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct tls_allow *a = field;
	const char *p = value;
	char name[256];
	size_t n;
	int err;

	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		if (n >= sizeof(name)) {
			snprintf(msg, size, "'%.64s...' is longer than 253 bytes", p);
			return EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if ((err = tls_allow_pattern_check(name, msg, size)))
			return err;
		if (a->n == SP_TLS_ALLOW_MAX) {
			snprintf(msg, size, "more than %d names", SP_TLS_ALLOW_MAX);
			return EINVAL;
		}
		snprintf(a->name[a->n++], sizeof(a->name[0]), "%s", name);
		p += n;
	}
	return 0;
}

/* server_name: a DNS name, checked against the certificate and sent as SNI. */
static int
server_name_check(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	const char *p;

	if (value == NULL || value[0] == '\0')
		return 0;
	for (p = value; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == ':')
			continue;
		snprintf(msg, size, "'%.64s' is not a host name (letters, digits, '-', '.')", value);
		return EINVAL;
	}
	if (value[0] == '.' || p[-1] == '.' || strstr(value, "..") != NULL) {
		snprintf(msg, size, "'%.64s' is not a host name (empty label)", value);
		return EINVAL;
	}
	return 0;
}

#define TLS_ROWS(kind, flags, verify_def, ciphers_def, min_def)				\
	{ kind, "tls_cert", CONF_TYPE_STRP, NULL, 0, 0, TK(cert), NULL, flags, NULL },		\
	{ kind, "tls_key", CONF_TYPE_STRP, NULL, 0, 0, TK(key), NULL, flags, NULL },		\
	{ kind, "tls_ca", CONF_TYPE_STRP, NULL, 0, 0, TK(ca), NULL, flags, NULL },		\
	{ kind, "tls_crl", CONF_TYPE_STRP, NULL, 0, 0, TK(crl), NULL, flags, NULL },		\
	{ kind, "tls_ciphers", CONF_TYPE_STRP, ciphers_def, 0, 0, TK(ciphers), NULL, flags,	\
	  NULL },										\
	{ kind, "tls_min_version", CONF_TYPE_HOOK, min_def, 0, 0, TK(min_version), NULL, flags,\
	  tls_version_set },								\
	{ kind, "tls_verify_peer", CONF_TYPE_BOOL, verify_def, 0, 0, TK(verify), NULL, flags, NULL }

/* A server verifies clients only when asked (mutual TLS); a client always verifies. */
const struct conf_key sp_lsnr_tls_keys[] = {
	TLS_ROWS("listener", CONF_NAMED, "no", TLS_CIPHERS_DEFAULT, "1.2"),
	{ "listener", "tls_allow", CONF_TYPE_LIST, NULL, 0, SP_TLS_ALLOW_MAX, TK(allow), NULL,
	  CONF_NAMED, tls_allow_add },
	END_ROW,
};
const struct conf_key sp_client_tls_keys[] = {
	TLS_ROWS("tls_client", 0, "yes", TLS_CIPHERS_DEFAULT, "1.2"),
	END_ROW,
};
/* [tls_peer <name>]: no defaults; a key it does not set is [tls_client]'s (peer_inherit). */
const struct conf_key sp_peer_tls_keys[] = {
	{ "tls_peer", "server_name", CONF_TYPE_STR, "", 0, 0, TK(server_name), NULL, CONF_NAMED,
	  server_name_check },
	TLS_ROWS("tls_peer", CONF_NAMED, NULL, NULL, NULL),
	END_ROW,
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

/* A context from keys already applied to tk; named name in logs. */
static int
tls_from_keys(struct conf *c, const char *sec, const char *name, enum tls_role role,
    const struct tls_keys *tk, struct tls **tp, struct conf_error *err)
{
	const char *allow[SP_TLS_ALLOW_MAX];
	struct tls_conf tc;
	unsigned i;
	int rc;

	if (role == TLS_ROLE_SERVER && (tk->cert == NULL || tk->key == NULL))
		return conf_error_set(c, sec, "tls_cert", err, "TLS listener needs tls_cert and tls_key");
	if (tk->cert != NULL && tk->key == NULL)
		return conf_error_set(c, sec, "tls_cert", err, "needs tls_key as well");
	if (tk->key != NULL && tk->cert == NULL)
		return conf_error_set(c, sec, "tls_key", err, "needs tls_cert as well");
	if (tk->allow.n > 0 && !tk->verify)
		return conf_error_set(c, sec, "tls_allow", err,
		    "needs tls_verify_peer = yes (a client certificate to check)");
	if (tk->verify && tk->ca == NULL)
		return conf_error_set(c, sec, "tls_verify_peer", err,
		    "needs tls_ca (the CA that signs the peer's certificate)");
	if ((rc = tls_files_check(c, sec, tk, err)))
		return rc;
	memset(&tc, 0, sizeof(tc));
	tc.cert_file = tk->cert;
	tc.key_file = tk->key;
	tc.ca_file = tk->ca;
	tc.crl_file = tk->crl;
	tc.ciphers = tk->ciphers;
	tc.min_version = tk->min_version;
	tc.verify_peer = tk->verify;
	for (i = 0; i < tk->allow.n; i++)
		allow[i] = tk->allow.name[i];
	tc.allow = allow;
	tc.nallow = tk->allow.n;
	if (tls_alloc(tp, name, role, &tc))
		return conf_error_set(c, sec, conf_key_line(c, sec, "tls_ciphers") ? "tls_ciphers" :
		    "tls_cert", err, "TLS context failed (the log line before says why)");
	return 0;
}

/* TLS keys on a UDP or TCP listener would be silently ignored: refuse them. */
static int
lsnr_tls_keys_refuse(struct conf *c, const char *sec, enum tp_proto proto,
    struct conf_error *err)
{
	static const char *const names[] = { "udp", "tcp", "tls" };
	const struct conf_key *k;

	for (k = sp_lsnr_tls_keys; k->name != NULL; k++)
		if (conf_key_line(c, sec, k->name) != 0)
			return conf_error_set(c, sec, k->name, err,
			    "only for transport = tls (this listener is %s)", names[proto]);
	return 0;
}

int
sp_tls_listener_load(struct conf *c, const char *sec, struct sp_listener *l,
    struct conf_error *err)
{
	struct tls_keys *tk;
	int rc;

	if (l->proto != TP_TLS)
		return lsnr_tls_keys_refuse(c, sec, l->proto, err);
	/* Large (the allow-list): not on the stack. */
	tk = calloc(1, sizeof(*tk));
	if (tk == NULL)
		return ENOMEM;
	rc = conf_apply(c, sp_lsnr_tls_keys, sec, tk, NULL, err);
	if (rc == 0)
		rc = tls_from_keys(c, sec, l->name, TLS_ROLE_SERVER, tk, &l->tls, err);
	free(tk);
	return rc;
}

/*
 * Keys [tls_peer sec] does not set come from [tls_client] (client: NULL without one; then
 * the client defaults: verify, the default ciphers, TLS 1.2).
 */
static void
peer_inherit(const struct conf *c, const char *sec, struct tls_keys *tk,
    const struct tls_keys *client)
{
	const struct conf_key *k;

	if (client == NULL) {
		if (conf_key_line(c, sec, "tls_verify_peer") == 0)
			tk->verify = true;
		return;
	}
	for (k = sp_client_tls_keys; k->name != NULL; k++)
		if (conf_key_line(c, sec, k->name) == 0)
			memcpy((char *)tk + k->off, (const char *)client + k->off, k->size);
}

struct peer_ctx {
	struct sp_config *cfg;
	struct conf *c;
	const struct tls_keys *client;	/* NULL: no [tls_client] */
	struct tls_keys *tk;		/* scratch */
	struct conf_error *err;
	int rc;
};

static void
peer_section(const char *sec, void *arg)
{
	struct peer_ctx *x = arg;
	struct sp_tls_peer *p;
	const char *name = sec + strlen("tls_peer ");
	char lname[80];

	if (x->rc)
		return;
	if (x->cfg->ntls_peers == SP_TLS_PEERS_MAX) {
		x->rc = conf_section_error(x->c, sec, x->err, "more than %d [tls_peer] sections",
		    SP_TLS_PEERS_MAX);
		return;
	}
	if (strlen(name) >= sizeof(p->name)) {
		x->rc = conf_section_error(x->c, sec, x->err, "name longer than %zu bytes",
		    sizeof(p->name) - 1);
		return;
	}
	memset(x->tk, 0, sizeof(*x->tk));
	if ((x->rc = conf_apply(x->c, sp_peer_tls_keys, sec, x->tk, NULL, x->err)))
		return;
	/* A client certificate is a pair: inherited whole or set whole, never mixed. */
	if (!conf_key_line(x->c, sec, "tls_cert") != !conf_key_line(x->c, sec, "tls_key")) {
		x->rc = conf_error_set(x->c, sec, conf_key_line(x->c, sec, "tls_cert") ? "tls_cert" :
		    "tls_key", x->err, "tls_cert and tls_key go together");
		return;
	}
	peer_inherit(x->c, sec, x->tk, x->client);
	p = &x->cfg->tls_peers[x->cfg->ntls_peers];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->server_name, sizeof(p->server_name), "%s", x->tk->server_name);
	if (!x->tk->verify && p->server_name[0] != '\0') {
		x->rc = conf_error_set(x->c, sec, "server_name", x->err,
		    "needs tls_verify_peer = yes (nothing would check the name)");
		return;
	}
	snprintf(lname, sizeof(lname), "tls_peer/%s", name);
	x->rc = tls_from_keys(x->c, sec, lname, TLS_ROLE_CLIENT, x->tk, &p->tls, x->err);
	if (x->rc == 0)
		x->cfg->ntls_peers++;
}

int
sp_tls_clients_load(struct sp_config *cfg, struct conf *c, struct conf_error *err)
{
	struct peer_ctx px;
	struct tls_keys *client = NULL, *tk;
	int rc = 0;

	tk = calloc(2, sizeof(*tk));
	if (tk == NULL)
		return ENOMEM;
	if (conf_section_line(c, "tls_client") != 0) {
		if (!conf_key_line(c, "tls_client", "tls_ca") &&
		    !conf_key_line(c, "tls_client", "tls_cert")) {
			rc = conf_section_error(c, "tls_client", err,
			    "needs tls_ca (to verify targets) or tls_cert (mutual TLS)");
			goto out;
		}
		client = &tk[1];
		if ((rc = conf_apply(c, sp_client_tls_keys, "tls_client", client, NULL, err)) ||
		    (rc = tls_from_keys(c, "tls_client", "client", TLS_ROLE_CLIENT, client,
		    &cfg->client_tls, err)))
			goto out;
	}
	px.cfg = cfg;
	px.c = c;
	px.client = client;
	px.tk = &tk[0];
	px.err = err;
	px.rc = 0;
	conf_foreach_section(c, "tls_peer ", peer_section, &px);
	rc = px.rc;
 out:
	free(tk);
	return rc;
}

static int
peer_find(const struct sp_config *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->ntls_peers; i++)
		if (strcmp(cfg->tls_peers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Maps t's address to its tls_peer; the same address cannot have two. */
static int
dest_add(struct sp_config *cfg, struct conf *c, const struct route_rule *r,
    const struct route_target *t, struct conf_error *err)
{
	char sec[80];
	struct sa a;
	int idx;
	unsigned i;

	snprintf(sec, sizeof(sec), "route %s", r->name);
	idx = peer_find(cfg, t->tls_peer);
	if (idx < 0)
		return conf_error_set(c, sec, "target", err, "%s: no [tls_peer %s] section",
		    t->uri, t->tls_peer);
	if (sa_parse_ip(&a, t->host, strlen(t->host), t->port))
		return conf_error_set(c, sec, "target", err, "%s: not a numeric address", t->uri);
	for (i = 0; i < cfg->ntls_dests; i++) {
		if (!sa_equal(&cfg->tls_dests[i].addr, &a))
			continue;
		if (cfg->tls_dests[i].peer == (unsigned)idx)
			return 0;
		return conf_error_set(c, sec, "target", err, "%s: this address already has "
		    "tls_peer=%s (one address, one peer)", t->uri,
		    cfg->tls_peers[cfg->tls_dests[i].peer].name);
	}
	if (cfg->ntls_dests == SP_TLS_DESTS_MAX)
		return conf_error_set(c, sec, "target", err, "more than %d addresses with tls_peer",
		    SP_TLS_DESTS_MAX);
	cfg->tls_dests[cfg->ntls_dests].addr = a;
	cfg->tls_dests[cfg->ntls_dests].peer = (unsigned)idx;
	cfg->ntls_dests++;
	return 0;
}

int
sp_tls_targets_map(struct sp_config *cfg, struct conf *c, struct conf_error *err)
{
	unsigned i, j;
	int rc;

	for (i = 0; i < route_table_count(cfg->routes); i++) {
		const struct route_rule *r = route_table_rule(cfg->routes, i);

		for (j = 0; j < r->ntargets; j++)
			if (r->targets[j].tls_peer[0] != '\0' &&
			    (rc = dest_add(cfg, c, r, &r->targets[j], err)))
				return rc;
	}
	return 0;
}

const struct sp_tls_peer *
sp_tls_peer_for(const struct sp_config *cfg, const struct sa *dst)
{
	unsigned i;

	for (i = 0; i < cfg->ntls_dests; i++)
		if (sa_equal(&cfg->tls_dests[i].addr, dst))
			return &cfg->tls_peers[cfg->tls_dests[i].peer];
	return NULL;
}

static void
reload_one(struct tls *t, unsigned *nok, unsigned *nfail)
{
	if (t == NULL)
		return;
	if (tls_reload_files(t) == 0)
		(*nok)++;
	else
		(*nfail)++;
}

void
sp_config_tls_reload(struct sp_config *cfg, unsigned *nok, unsigned *nfail)
{
	unsigned i;

	*nok = *nfail = 0;
	for (i = 0; i < cfg->nlisteners; i++)
		reload_one(cfg->listeners[i].tls, nok, nfail);
	reload_one(cfg->client_tls, nok, nfail);
	for (i = 0; i < cfg->ntls_peers; i++)
		reload_one(cfg->tls_peers[i].tls, nok, nfail);
}

void
sp_tls_free(struct sp_config *cfg)
{
	unsigned i;

	if (cfg->client_tls)
		tls_free(cfg->client_tls);
	cfg->client_tls = NULL;
	for (i = 0; i < cfg->ntls_peers; i++)
		if (cfg->tls_peers[i].tls)
			tls_free(cfg->tls_peers[i].tls);
	cfg->ntls_peers = 0;
	cfg->ntls_dests = 0;
}
