/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS contexts (OpenSSL 3): chain and key loading, peer verification, reload, failure reasons. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "addr.h"
#include "log.h"
#include "transport_int.h"

struct tls {
	char name[64];
	enum tls_role role;
	SSL_CTX *ctx;          /* used by new connections; each SSL holds its own reference */
	unsigned generation;
	struct tls_conf conf;  /* owned copy of what ctx was built from: tls_reload_files() */
};

static int tls_ex_idx = -1;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void
tls_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	free(ptr);
}

static void
tls_init_once(void)
{
	tls_ex_idx = SSL_get_ex_new_index(0, "sbc peer cert", NULL, NULL, tls_ex_free);
}

static void
copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Appends s to the comma-separated list in buf, keeping it NUL-terminated. */
static void
list_append(char *buf, size_t size, const char *prefix, const char *s, size_t n)
{
	size_t used = strlen(buf);

	if (used + 1 >= size)
		return;
	snprintf(buf + used, size - used, "%s%s%.*s", used ? "," : "", prefix, (int)n, s);
}

void
tls_cert_sha256(X509 *cert, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (size == 0)
		return;
	out[0] = '\0';
	if (cert == NULL || !X509_digest(cert, EVP_sha256(), md, &n) || n * 3 > size)
		return;
	for (i = 0; i < n; i++) {
		out[i * 3] = hex[md[i] >> 4];
		out[i * 3 + 1] = hex[md[i] & 15];
		out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
	}
}

void
tls_cert_names(X509 *cert, char *cn, size_t cnsize, char *sans, size_t sanssize)
{
	GENERAL_NAMES *gens;
	X509_NAME *subj;
	int i, pos;

	if (cnsize)
		cn[0] = '\0';
	if (sanssize)
		sans[0] = '\0';
	if (cert == NULL)
		return;
	subj = X509_get_subject_name(cert);
	pos = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
	if (pos >= 0) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, pos));
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, d);

		if (n >= 0) {
			copy_str(cn, cnsize, (const char *)utf8, (size_t)n);
			OPENSSL_free(utf8);
		}
	}
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[INET6_ADDRSTRLEN];

		if (g->type == GEN_DNS) {
			list_append(sans, sanssize, "DNS:",
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((len == 4 && inet_ntop(AF_INET, p, ip, sizeof(ip))) ||
			    (len == 16 && inet_ntop(AF_INET6, p, ip, sizeof(ip))))
				list_append(sans, sanssize, "IP:", ip, strlen(ip));
		} else if (g->type == GEN_URI) {
			list_append(sans, sanssize, "URI:",
			    (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
			    (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier));
		}
	}
	GENERAL_NAMES_free(gens);
	/* Names come from the peer: keep log lines free of quotes and control bytes. */
	for (char *p = cn; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == 0x7f)
			*p = '?';
	for (char *p = sans; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == 0x7f || *p == ' ')
			*p = '?';
}

/* Records what the peer's certificate says and the first verify error. */
static int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_peer_cert *pc = ssl ? SSL_get_ex_data(ssl, tls_ex_idx) : NULL;

	if (pc == NULL)
		return ok;
	if (pc->subject_cn[0] == '\0' && pc->sans[0] == '\0')
		tls_cert_names(X509_STORE_CTX_get0_cert(xs), pc->subject_cn,
		    sizeof(pc->subject_cn), pc->sans, sizeof(pc->sans));
	/*
	 * The allow-list is checked last, on the leaf of a chain that verified: a
	 * certificate from our CA that is not on the list is refused in the handshake.
	 */
	if (ok && X509_STORE_CTX_get_error_depth(xs) == 0 && pc->tls != NULL &&
	    pc->tls->role == TLS_ROLE_SERVER && pc->tls->conf.nallow > 0 &&
	    !tls_allow_match(X509_STORE_CTX_get0_cert(xs), pc->tls->conf.allow,
	    pc->tls->conf.nallow)) {
		pc->not_allowed = true;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		ok = 0;
	}
	if (!ok && pc->verify_err == 0) {
		pc->verify_err = X509_STORE_CTX_get_error(xs);
		pc->verify_depth = X509_STORE_CTX_get_error_depth(xs);
	}
	return ok;
}

static const char *
ssl_errstr(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

static const char *
version_name(int v)
{
	switch (v) {
	case TLS1_VERSION: return "TLSv1.0";
	case TLS1_1_VERSION: return "TLSv1.1";
	case TLS1_2_VERSION: return "TLSv1.2";
	case TLS1_3_VERSION: return "TLSv1.3";
	default: return "default";
	}
}

int
tls_version_parse(const char *s, int *out)
{
	static const struct { const char *name; int v; } tab[] = {
		{ "1.0", TLS1_VERSION }, { "1", TLS1_VERSION }, { "1.1", TLS1_1_VERSION },
		{ "1.2", TLS1_2_VERSION }, { "1.3", TLS1_3_VERSION },
	};
	size_t i;

	if (s == NULL)
		return EINVAL;
	if (strncasecmp(s, "TLSv", 4) == 0)
		s += 4;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(s, tab[i].name) == 0) {
			*out = tab[i].v;
			return 0;
		}
	}
	return EINVAL;
}

static int
tls_no_password(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

#define CONF_FAIL(fmt, ...) do {						\
	log_warnx("tls_config_error name=%s " fmt, name, __VA_ARGS__);		\
	err = EINVAL;								\
	goto out;								\
} while (0)
/* The same for a file, which *badfile then names. */
#define FILE_FAIL(path, fmt, ...) do {						\
	*badfile = (path);							\
	CONF_FAIL("file=%s " fmt, (path), __VA_ARGS__);				\
} while (0)

static int
tls_ctx_build(SSL_CTX **ctxp, const char *name, enum tls_role role, const struct tls_conf *conf,
    const char **badfile)
{
	static const unsigned char sid_ctx[] = "sbc-sigproxy";
	SSL_CTX *ctx;
	char eb[256], weak[1024];
	int min, max, err = 0;

	min = conf->min_version ? conf->min_version : TLS1_2_VERSION;
	max = conf->max_version;
	if (min < TLS1_VERSION || min > TLS1_3_VERSION ||
	    (max != 0 && (max < min || max > TLS1_3_VERSION))) {
		log_warnx("tls_config_error name=%s reason=\"bad protocol version range\"", name);
		return EINVAL;
	}
	if (role == TLS_ROLE_SERVER && (conf->cert_file == NULL || conf->key_file == NULL)) {
		log_warnx("tls_config_error name=%s reason=\"server needs cert_file and key_file\"", name);
		return EINVAL;
	}
	if (conf->verify_peer && conf->ca_file == NULL) {
		log_warnx("tls_config_error name=%s reason=\"peer verification needs ca_file\"", name);
		return EINVAL;
	}
	if (conf->nallow > 0 && (role != TLS_ROLE_SERVER || !conf->verify_peer)) {
		log_warnx("tls_config_error name=%s reason=\"an allow-list needs a server that "
		    "verifies clients\"", name);
		return EINVAL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(role == TLS_ROLE_SERVER ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL)
		return ENOMEM;
	if (!SSL_CTX_set_min_proto_version(ctx, min) ||
	    (max && !SSL_CTX_set_max_proto_version(ctx, max)))
		CONF_FAIL("reason=\"protocol version: %s\"", ssl_errstr(eb, sizeof(eb)));
	if (min < TLS1_2_VERSION)
		log_warnx("tls_legacy_version name=%s min=%s note=\"legacy TLS enabled by "
		    "configuration; OpenSSL 3 also needs @SECLEVEL=0 in ciphers\"",
		    name, version_name(min));
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    (role == TLS_ROLE_SERVER ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* An encrypted key would make OpenSSL prompt on the terminal: refuse it instead. */
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_password);
	if (!SSL_CTX_set_cipher_list(ctx, conf->ciphers ? conf->ciphers : TLS_CIPHERS_DEFAULT))
		CONF_FAIL("reason=\"ciphers '%s': %s\"", conf->ciphers ? conf->ciphers :
		    TLS_CIPHERS_DEFAULT, ssl_errstr(eb, sizeof(eb)));
	if (conf->ciphersuites && !SSL_CTX_set_ciphersuites(ctx, conf->ciphersuites))
		CONF_FAIL("reason=\"ciphersuites '%s': %s\"", conf->ciphersuites,
		    ssl_errstr(eb, sizeof(eb)));
	if (conf->cert_file) {
		/* The chain file carries the intermediates: peers get the full chain. */
		if (SSL_CTX_use_certificate_chain_file(ctx, conf->cert_file) != 1)
			FILE_FAIL(conf->cert_file, "reason=\"certificate chain: %s\"",
			    ssl_errstr(eb, sizeof(eb)));
		if (conf->key_file == NULL)
			FILE_FAIL(conf->cert_file, "reason=\"%s\"", "no key_file");
		if (SSL_CTX_use_PrivateKey_file(ctx, conf->key_file, SSL_FILETYPE_PEM) != 1)
			FILE_FAIL(conf->key_file, "reason=\"private key: %s\"",
			    ssl_errstr(eb, sizeof(eb)));
		if (SSL_CTX_check_private_key(ctx) != 1)
			FILE_FAIL(conf->key_file, "reason=\"key does not match certificate: %s\"",
			    ssl_errstr(eb, sizeof(eb)));
	}
	if (conf->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, conf->ca_file, NULL) != 1)
			FILE_FAIL(conf->ca_file, "reason=\"CA file: %s\"",
			    ssl_errstr(eb, sizeof(eb)));
		if (role == TLS_ROLE_SERVER && conf->verify_peer) {
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(conf->ca_file);

			if (names)
				SSL_CTX_set_client_CA_list(ctx, names);
		}
	}
	if (conf->crl_file) {
		X509_STORE *st = SSL_CTX_get_cert_store(ctx);
		X509_LOOKUP *lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());

		if (lk == NULL || X509_load_crl_file(lk, conf->crl_file, X509_FILETYPE_PEM) <= 0)
			FILE_FAIL(conf->crl_file, "reason=\"CRL file: %s\"",
			    ssl_errstr(eb, sizeof(eb)));
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	if (conf->verify_peer)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    (role == TLS_ROLE_SERVER ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), tls_verify_cb);
	else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, tls_verify_cb);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	/* Said at every build: a reload must not make a weak configuration look new. */
	tls_ciphers_audit(ctx, name, weak, sizeof(weak));
 out:
	if (err)
		SSL_CTX_free(ctx);
	else
		*ctxp = ctx;
	return err;
}

int
tls_alloc(struct tls **tp, const char *name, enum tls_role role, const struct tls_conf *conf)
{
	const char *badfile = NULL;
	struct tls *t;
	int err;

	if (tp == NULL || conf == NULL || (role != TLS_ROLE_SERVER && role != TLS_ROLE_CLIENT))
		return EINVAL;
	pthread_once(&tls_once, tls_init_once);
	if (tls_ex_idx < 0)
		return ENOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "tls");
	t->role = role;
	err = tls_ctx_build(&t->ctx, t->name, role, conf, &badfile);
	if (err == 0)
		err = tls_conf_dup(&t->conf, conf);
	if (err) {
		SSL_CTX_free(t->ctx);
		free(t);
		return err;
	}
	*tp = t;
	return 0;
}

int
tls_reload(struct tls *t, const struct tls_conf *conf)
{
	const char *badfile = NULL;
	struct tls_conf copy;
	SSL_CTX *ctx;
	int err;

	if (t == NULL || conf == NULL)
		return EINVAL;
	err = tls_ctx_build(&ctx, t->name, t->role, conf, &badfile);
	if (err == 0 && conf != &t->conf && (err = tls_conf_dup(&copy, conf)) != 0)
		SSL_CTX_free(ctx);
	if (err) {
		log_errx("tls_reload_failed name=%s file=%s note=\"previous certificates stay "
		    "in use\"", t->name, badfile ? badfile : "-");
		return err;
	}
	if (conf != &t->conf) {
		tls_conf_clear(&t->conf);
		t->conf = copy;
	}
	/* Open connections keep the old context alive through their own SSL reference. */
	SSL_CTX_free(t->ctx);
	t->ctx = ctx;
	t->generation++;
	log_info("tls_reloaded name=%s generation=%u", t->name, t->generation);
	return 0;
}

int
tls_reload_files(struct tls *t)
{
	if (t == NULL)
		return EINVAL;
	return tls_reload(t, &t->conf);
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	tls_conf_clear(&t->conf);
	free(t);
}

const char *
tls_name(const struct tls *t)
{
	return t->name;
}

enum tls_role
tls_role(const struct tls *t)
{
	return t->role;
}

unsigned
tls_generation(const struct tls *t)
{
	return t->generation;
}

int
tls_ssl_new(struct tls *t, const char *host, const char *peer, SSL **sslp)
{
	struct tls_peer_cert *pc;
	struct sa ip;
	SSL *ssl;
	int err = 0;

	if (t == NULL || sslp == NULL)
		return EINVAL;
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		return ENOMEM;
	ssl = SSL_new(t->ctx);
	if (ssl == NULL) {
		free(pc);
		return ENOMEM;
	}
	if (!SSL_set_ex_data(ssl, tls_ex_idx, pc)) {
		free(pc);
		err = ENOMEM;
		goto out;
	}
	pc->tls = t;
	if (peer)
		snprintf(pc->peer, sizeof(pc->peer), "%s", peer);
	if (t->role == TLS_ROLE_CLIENT && host != NULL && host[0] != '\0') {
		snprintf(pc->expected, sizeof(pc->expected), "%s", host);
		if (sa_parse_ip(&ip, host, strlen(host), 0) == 0) {
			/* IP literals are matched against iPAddress SANs and never sent as SNI. */
			if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)) {
				err = EINVAL;
				goto out;
			}
		} else {
			if (!SSL_set1_host(ssl, host) || !SSL_set_tlsext_host_name(ssl, host)) {
				err = EINVAL;
				goto out;
			}
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		}
	}
 out:
	if (err)
		SSL_free(ssl);
	else
		*sslp = ssl;
	return err;
}

const struct tls_peer_cert *
tls_ssl_peer(const SSL *ssl)
{
	if (ssl == NULL || tls_ex_idx < 0)
		return NULL;
	return SSL_get_ex_data(ssl, tls_ex_idx);
}

char *
tls_failure_reason(const SSL *ssl, const unsigned long *errs, size_t nerrs,
    char *buf, size_t size)
{
	const struct tls_peer_cert *pc = tls_ssl_peer(ssl);
	char reason[512] = "";
	size_t i;

	if (size == 0)
		return buf;
	if (pc != NULL && pc->not_allowed) {
		snprintf(reason, sizeof(reason), "certificate not allowed: no name on tls_allow "
		    "of %s", pc->tls ? pc->tls->name : "-");
	} else if (pc != NULL && pc->verify_err != 0) {
		snprintf(reason, sizeof(reason), "certificate verify failed: %s (depth %d)",
		    X509_verify_cert_error_string(pc->verify_err), pc->verify_depth);
	} else {
		for (i = 0; i < nerrs; i++) {
			char e[160];

			/* libevent queues the SSL_get_error() code itself (lib 0): no information. */
			if (ERR_GET_LIB(errs[i]) == 0)
				continue;
			ERR_error_string_n(errs[i], e, sizeof(e));
			list_append(reason, sizeof(reason), "", e, strlen(e));
		}
		if (reason[0] == '\0')
			snprintf(reason, sizeof(reason), "connection closed during handshake");
	}
	for (char *p = reason; *p; p++)
		if (*p == '"')
			*p = '\'';
	if (pc != NULL && (pc->subject_cn[0] || pc->sans[0]))
		snprintf(buf, size, "reason=\"%s\" subject_cn=\"%s\" sans=\"%s\"%s%s%s", reason,
		    pc->subject_cn, pc->sans[0] ? pc->sans : "none",
		    pc->expected[0] ? " expected=\"" : "", pc->expected,
		    pc->expected[0] ? "\"" : "");
	else
		snprintf(buf, size, "reason=\"%s\"%s%s%s", reason,
		    pc && pc->expected[0] ? " expected=\"" : "", pc ? pc->expected : "",
		    pc && pc->expected[0] ? "\"" : "");
	return buf;
}
