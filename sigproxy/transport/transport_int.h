/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside of the transport part, shared by its files only: listeners, connections, TLS per SSL. */
#ifndef SBC_SIGPROXY_TRANSPORT_INT_H
#define SBC_SIGPROXY_TRANSPORT_INT_H

#include <string.h>
#include <sys/queue.h>

#include <event2/util.h>
#include <openssl/ssl.h>

#include "log.h"
#include "metrics.h"
#include "timeutil.h"
#include "transport.h"

struct event;
struct evconnlistener;
struct bufferevent;
struct evbuffer;

struct tp_listener {
	LIST_ENTRY(tp_listener) entry;
	struct tp *tp;                 /* owner */
	char name[64];
	enum tp_proto proto;
	struct sa addr;                /* bound address, real port */
	const struct acl *acl;         /* borrowed, NULL = allow all */
	struct tls *tls;               /* borrowed, TLS listeners */
	int fd;                        /* UDP socket, -1 otherwise */
	struct event *ev;              /* UDP read event */
	struct evconnlistener *evl;    /* TCP/TLS */
	char *rxbuf;                   /* UDP: TP_UDP_RXBUF bytes, owned */
	struct event *resume;          /* TCP/TLS: accepting again after EMFILE (owned) */
	bool limited;                  /* per-source limits apply */
	struct tp_stats stats;
	struct log_ratelimit rl;       /* warnings caused by peers */
};

struct tp {
	struct event_base *base;       /* borrowed */
	struct tp_conf conf;
	struct tls *client_tls;        /* borrowed */
	LIST_HEAD(, tp_listener) listeners;
	LIST_HEAD(, tp_conn) conns;    /* open connections; each holds one reference */
	unsigned nconns_in, nconns_out;
	struct tp_limits *lim;         /* owned: per-source state (limits.c) */
	struct tp_metrics m;           /* conf.metrics' series, dummies for those not given */
	struct metric dummy[TP_DROP_NREASONS + 5];
	struct event *tick;            /* housekeeping once a second (owned) */
	unsigned closed_since_trim;    /* connections closed since memory was last given back */
	unsigned closed_last_tick;
	struct tp_stats orphan;        /* outbound connections without a via listener */
	struct log_ratelimit rl;
};

/* Counts a drop in the metrics. */
static inline void
tp_drop_count(struct tp *tp, enum tp_drop why)
{
	metric_inc(tp->m.drops[why]);
}

#define TP_UDP_RXBUF 65536

enum conn_state {
	CONN_CONNECTING = 0,  /* TCP connect (and TLS handshake) in progress */
	CONN_OPEN,
	CONN_CLOSED,
};

struct tp_conn {
	LIST_ENTRY(tp_conn) entry;     /* in tp->conns while not closed */
	struct tp *tp;                 /* NULL once closed */
	unsigned refs;                 /* tp->conns holds one while open */
	enum tp_proto proto;
	enum conn_state state;
	bool outbound;
	struct sa peer;
	struct sa local;
	struct tp_listener *lsnr;      /* accepting listener or via; NULL after tp_free */
	struct tp_stats *stats;        /* lsnr's or tp->orphan; NULL once closed */
	struct bufferevent *bev;       /* owned; NULL once closed, and while an outbound TLS
	                                * connection waits for TCP (see stream_connect.c) */
	evutil_socket_t cfd;           /* outbound TLS: socket while TCP connects, else -1 */
	struct event *connev;          /* outbound TLS: TCP connect completion */
	struct evbuffer *pending;      /* outbound TLS: output queued before the bufferevent */
	struct event *timer;           /* connect/handshake timeout, then idle check */
	uint64_t last_ms;              /* end of the last complete message (or keep-alive) or
	                                * our last send, monotonic: the idle timer runs from it */
	uint64_t msg_start_ms;         /* first byte of a message not yet complete (inbound: also
	                                * set-up until the first message), 0: none; the header
	                                * deadline runs from it */
	bool limited;                  /* inbound on a limited listener, source not exempt */
	bool counted;                  /* holds one of its source's max_per_source slots */
	struct tls *tls;               /* outbound TLS: context used (part of the reuse key) */
	char host[256];                /* outbound TLS: name verified (reuse key), "" otherwise */
	unsigned crlf_run;             /* CR/LF bytes seen in a row between messages */
	struct tp_tls_info info;       /* valid when tls_up */
	bool tls_up;
	void *user;
};

/* Warnings caused by peers go through the listener's (or the set's) rate limit. */
static inline bool
tp_rl_ok(struct log_ratelimit *rl)
{
	return log_ratelimit_ok(rl, time_mono_ms());
}

/* transport_udp.c */
int tp_udp_open(struct tp_listener *l);
void tp_udp_close(struct tp_listener *l);

/* stream_conn.c: a stream connection's lifetime, reading and writing. */
/* Creates the connection around bev (may be NULL: attached later; taken over, freed on error). */
int tp_conn_new(struct tp *tp, struct tp_listener *l, enum tp_proto proto, bool outbound,
    const struct sa *peer, struct bufferevent *bev, struct tp_conn **cp);
/* Hands c the bufferevent it reads and writes from now on (outbound TLS after TCP is up). */
void tp_conn_attach(struct tp_conn *c, struct bufferevent *bev);
/*
 * Starts TLS on c's connected socket c->cfd: an SSL from t (host as tls_ssl_new() takes
 * it), and a bufferevent that owns the socket from now on, attached to c (not yet
 * enabled). Returns 0, or an errno (c unchanged: the caller drops it).
 */
int tp_conn_tls_start(struct tp_conn *c, struct tls *t, const char *host, bool server);
/* The connection (and handshake) is up: open state, TLS facts, idle timer. */
void tp_conn_opened(struct tp_conn *c);
/* Releases sockets and unlinks; notify decides whether closeh hears about it. */
void tp_conn_drop(struct tp_conn *c, int err, bool notify);
void tp_conns_free(struct tp *tp);
/* Name of c's listener for logs ("-" without one), and the rate limit for its warnings. */
const char *tp_conn_lname(const struct tp_conn *c);
struct log_ratelimit *tp_conn_rl(struct tp_conn *c);

/* limits.c: per-source state in a table of fixed size, allocated at start. */
struct tp_limits;
/* conf is copied; m (borrowed) receives bans, banned and sources. 0 or ENOMEM. */
int tp_limits_alloc(struct tp_limits **lp, const struct tp_limits_conf *conf,
    unsigned max_conns_in, struct tp_metrics *m);
void tp_limits_free(struct tp_limits *lim);
/*
 * A datagram or a framed message from src (request: not a response) at now: true when it
 * may go on; false with *why when it is dropped (banned source, or a request over the
 * source's rate, which bans the source for ban_ms).
 */
bool tp_limits_msg_ok(struct tp_limits *lim, const struct sa *src, bool request, uint64_t now,
    enum tp_drop *why);
/*
 * A new inbound connection from src at now: true when it may be accepted (*counted: it
 * holds one of its source's max_per_source slots until tp_limits_conn_gone()); false with
 * *why (banned, source_conns, tls_rate).
 */
bool tp_limits_accept_ok(struct tp_limits *lim, const struct sa *src, bool tls, uint64_t now,
    bool *counted, enum tp_drop *why);
void tp_limits_conn_gone(struct tp_limits *lim, const struct sa *src);
/* Whether src is banned at now (open connections from it are closed on their next read). */
bool tp_limits_banned(struct tp_limits *lim, const struct sa *src, uint64_t now);
/* Whether the limits apply to src at all (not exempt). */
bool tp_limits_applies(const struct tp_limits *lim, const struct sa *src);
/* Brings the banned and sources gauges up to date (once a second). */
void tp_limits_sweep(struct tp_limits *lim, uint64_t now);

/* True when a message (after keep-alive CRLFs) is a request, i.e. not "SIP/2.0 ..." */
static inline bool
tp_msg_is_request(const char *p, size_t len)
{
	return !(len >= 8 && memcmp(p, "SIP/2.0 ", 8) == 0);
}

/* stream_accept.c */
int tp_stream_listen(struct tp_listener *l);
void tp_stream_listen_close(struct tp_listener *l);

/* stream_connect.c */
int tp_stream_send(struct tp *tp, const struct tp_target *t, const void *buf, size_t len,
    struct tp_conn **connp);

/* tls.c: what a connection needs of its TLS context. */
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
	const struct tls *tls;     /* borrowed: the context it was made from (outlives it) */
	bool not_allowed;          /* server: verified, but no name on the allow-list */
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
/* SHA-256 of cert as "AB:CD:..." (out: 96 bytes); "" when cert is NULL or on failure. */
void tls_cert_sha256(X509 *cert, char *out, size_t size);

/* tls_conf.c: owned copies. dup: 0 or ENOMEM (dst written only on success); clear frees. */
int tls_conf_dup(struct tls_conf *dst, const struct tls_conf *src);
void tls_conf_clear(struct tls_conf *c);

/* tls_policy.c */
/*
 * Lists in out (as "NAME(cbc+sha1+kx-rsa),...", cut at size) the TLS <= 1.2 ciphers ctx
 * would negotiate that are not ECDHE with an AEAD, and logs them in one warning line
 * naming the context. Returns how many there are (0: nothing logged).
 */
unsigned tls_ciphers_audit(SSL_CTX *ctx, const char *name, char *out, size_t size);
/*
 * Whether the subject CN or a SAN (DNS, URI, email, IP) of cert matches an entry of allow:
 * the exact name (case-insensitive), or for CN and DNS names "*.example.com" standing for
 * exactly one label in front of example.com.
 */
bool tls_allow_match(X509 *cert, const char *const *allow, unsigned nallow);

#endif
