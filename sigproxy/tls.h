/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS contexts for sigproxy (OpenSSL 3): certificates, peer verification, reload, logging. */
#ifndef SBC_SIGPROXY_TLS_H
#define SBC_SIGPROXY_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct tls;

enum tls_role {
	TLS_ROLE_SERVER = 0,
	TLS_ROLE_CLIENT,
};

/* Strings are read during tls_alloc()/tls_reload() only. */
struct tls_conf {
	const char *cert_file;     /* PEM chain: leaf first, then intermediates (all are sent);
	                            * required for servers, optional for clients (mutual TLS) */
	const char *key_file;      /* PEM private key of the leaf */
	const char *ca_file;       /* PEM CA certificates used to verify the peer */
	const char *crl_file;      /* PEM CRLs; enables X509_V_FLAG_CRL_CHECK (NULL: none) */
	const char *ciphers;       /* TLS <= 1.2 cipher list (NULL: OpenSSL default) */
	const char *ciphersuites;  /* TLS 1.3 suites (NULL: OpenSSL default) */
	int min_version;           /* TLS1_VERSION..TLS1_3_VERSION; 0: TLS1_2_VERSION. Below
	                            * 1.2 logs a warning; OpenSSL 3 needs "@SECLEVEL=0" in
	                            * ciphers for 1.0/1.1 to work at all. */
	int max_version;           /* 0: highest supported */
	bool verify_peer;          /* server: mutual TLS, a client certificate signed by
	                            * ca_file is required; client: verify the server (the
	                            * normal case; needs ca_file) */
};

/*
 * Builds a context. name labels log lines ("outside-tls"). Returns 0, EINVAL
 * (bad conf, unreadable or mismatching files: the reason is logged once), ENOMEM.
 * Caller owns *tp: tls_free().
 */
int tls_alloc(struct tls **tp, const char *name, enum tls_role role, const struct tls_conf *conf);
/*
 * Builds a new SSL_CTX from conf and uses it for new connections only;
 * connections already open keep the old one (each SSL holds a reference).
 * On error the old context stays in place. Returns 0 or as tls_alloc().
 */
int tls_reload(struct tls *t, const struct tls_conf *conf);
void tls_free(struct tls *t);
const char *tls_name(const struct tls *t);
enum tls_role tls_role(const struct tls *t);
/* How many successful tls_reload() calls so far (the generation of new connections). */
unsigned tls_generation(const struct tls *t);

/* "1.0", "1.1", "1.2", "1.3" (also "TLSv1.2") -> TLS1_2_VERSION ...; 0 or EINVAL. */
int tls_version_parse(const char *s, int *out);

/*
 * Per-connection state kept with each SSL: the peer address (for logs), the
 * expected name, and what the verify callback saw of the peer certificate.
 */
struct tls_peer_cert {
	char subject_cn[128];
	char sans[512];            /* "DNS:a,DNS:b,IP:192.0.2.1" */
	int verify_err;            /* first X509 verify error, 0: none */
	int verify_depth;
	char expected[256];        /* client: the target name or IP, "" otherwise */
	char peer[64];             /* "ip:port" of the peer */
};

/*
 * A new SSL for one connection. Client: host (a name or a numeric IP) is
 * verified against the certificate and a name is sent as SNI; host NULL
 * disables the name check only when the context does not verify. peer is the
 * remote "ip:port" used in logs. The SSL holds its own reference to the
 * current SSL_CTX. Returns 0, ENOMEM, EINVAL; caller owns *sslp (SSL_free, or
 * hands it to a bufferevent with BEV_OPT_CLOSE_ON_FREE).
 */
int tls_ssl_new(struct tls *t, const char *host, const char *peer, SSL **sslp);
/* The state attached by tls_ssl_new(), or NULL. Owned by ssl. */
const struct tls_peer_cert *tls_ssl_peer(const SSL *ssl);

/*
 * Writes the reason a handshake failed, as key=value fields for one log line:
 * reason="..." with the X509 verify error string, else the OpenSSL errors in
 * errs (as collected by bufferevent_get_openssl_error), else "connection
 * closed during handshake"; then, when the peer certificate was seen,
 * subject_cn=, sans= and (client side) expected=. Returns buf.
 */
char *tls_failure_reason(const SSL *ssl, const unsigned long *errs, size_t nerrs,
    char *buf, size_t size);

/* Subject CN and all SANs of a certificate, as in struct tls_peer_cert. */
void tls_cert_names(X509 *cert, char *cn, size_t cnsize, char *sans, size_t sanssize);

#endif
