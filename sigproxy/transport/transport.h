/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's transport part, its one interface: source ACLs, TLS contexts, and the UDP,
 * TCP and TLS listeners and connections on one libevent base.
 */
#ifndef SBC_SIGPROXY_TRANSPORT_H
#define SBC_SIGPROXY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct event_base;
struct acl;
struct tls;
struct tp;
struct tp_listener;
struct tp_conn;

/* ---- source-address access lists: IPv4/IPv6 networks a listener accepts traffic from ---- */

/* An empty list (denies everything). Caller owns *ap: acl_free(). Returns 0 or ENOMEM. */
int acl_alloc(struct acl **ap);
void acl_free(struct acl *a);
/* Adds "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" or "any". Returns 0, EINVAL, ENOMEM. */
int acl_add(struct acl *a, const char *net);
/*
 * Builds a list from "net, net net" (comma and/or space separated). On EINVAL,
 * *bad (if non-NULL) points at the offending entry within s (its length in
 * *badlen). Returns 0, EINVAL, ENOMEM; *ap written only on success.
 */
int acl_parse(struct acl **ap, const char *s, const char **bad, size_t *badlen);
/* True when a's address (port ignored) is in one of the networks. IPv4-mapped
 * IPv6 sources (::ffff:a.b.c.d) match IPv4 entries. */
bool acl_allows(const struct acl *a, const struct sa *src);
unsigned acl_count(const struct acl *a);

/* ---- TLS contexts (OpenSSL 3): certificates, peer verification, reload ---- */

enum tls_role {
	TLS_ROLE_SERVER = 0,
	TLS_ROLE_CLIENT,
};

/*
 * The TLS <= 1.2 ciphers used when none are configured: ECDHE key exchange with an AEAD
 * only (no CBC, no SHA-1 MAC, no RSA key exchange). TLS 1.3 keeps OpenSSL's suites.
 */
#define TLS_CIPHERS_DEFAULT "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* Strings are copied by tls_alloc()/tls_reload() (tls_reload_files() reads them again). */
struct tls_conf {
	const char *cert_file;     /* PEM chain: leaf first, then intermediates (all are sent);
	                            * required for servers, optional for clients (mutual TLS) */
	const char *key_file;      /* PEM private key of the leaf */
	const char *ca_file;       /* PEM CA certificates used to verify the peer */
	const char *crl_file;      /* PEM CRLs; enables X509_V_FLAG_CRL_CHECK (NULL: none) */
	const char *ciphers;       /* TLS <= 1.2 cipher list (NULL: TLS_CIPHERS_DEFAULT); what
	                            * is weaker than the default is named in a warning */
	const char *ciphersuites;  /* TLS 1.3 suites (NULL: OpenSSL default) */
	int min_version;           /* <openssl/ssl.h> TLS1_VERSION..TLS1_3_VERSION; 0: 1.2. Below
	                            * 1.2 logs a warning; OpenSSL 3 needs "@SECLEVEL=0" in
	                            * ciphers for 1.0/1.1 to work at all. */
	int max_version;           /* 0: highest supported */
	bool verify_peer;          /* server: mutual TLS, a client certificate signed by
	                            * ca_file is required; client: verify the server (the
	                            * normal case; needs ca_file) */
	const char *const *allow;  /* server with verify_peer: client certificate names
	                            * accepted (subject CN or a SAN; "*.example.com" is one
	                            * label); a verified certificate with none is refused */
	unsigned nallow;           /* 0: every certificate that verifies */
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
/*
 * tls_reload() with the configuration last used (same paths): picks up new certificate,
 * key, CA and CRL files. Returns as tls_reload(); a failure is logged naming the file.
 */
int tls_reload_files(struct tls *t);
void tls_free(struct tls *t);
const char *tls_name(const struct tls *t);
enum tls_role tls_role(const struct tls *t);
/* How many successful tls_reload() calls so far (the generation of new connections). */
unsigned tls_generation(const struct tls *t);

/* "1.0", "1.1", "1.2", "1.3" (also "TLSv1.2") -> TLS1_2_VERSION ...; 0 or EINVAL. */
int tls_version_parse(const char *s, int *out);
/*
 * Whether pat can be an allow-list entry: a name without spaces, commas or quotes, or
 * "*." and a name of two labels or more. 0, or EINVAL with the reason in msg.
 */
int tls_allow_pattern_check(const char *pat, char *msg, size_t size);

/* ---- listeners and connections ---- */

/*
 * Threading: everything here runs on the thread that runs the event_base given
 * to tp_alloc(); no function may be called from another thread.
 * The process must ignore SIGPIPE: libevent and OpenSSL write with write(2).
 */

/*
 * The one transport vocabulary of sigproxy: listeners, connections, SIP messages (Via,
 * ;transport=), route targets and dialog records all use it (transport_proto.c).
 */
enum tp_proto {
	TP_UDP = 0,
	TP_TCP,
	TP_TLS,
};

/* Limits of the stream framer: header section and body, each. */
#define TP_MAX_HEADER 65536
#define TP_MAX_BODY   65536

/*
 * A whole SIP message arrived. conn is NULL for UDP, otherwise the connection
 * it came on (borrowed for the duration of the call: tp_conn_ref() it to keep
 * it, e.g. for the response). msg is not NUL-terminated and is only valid
 * during the call. The callback may call any tp_* function except tp_free(),
 * tp_conn_close(conn) included.
 */
typedef void (tp_recv_h)(struct tp_listener *lsnr, struct tp_conn *conn,
    const struct sa *src, const char *msg, size_t len, void *arg);

/*
 * A stream connection closed (by either side, idle timeout, error, or
 * tp_conn_close). err: 0 clean close or idle timeout, ECONNREFUSED/ETIMEDOUT/
 * ENETUNREACH... for a failed connect, EPROTO for a failed TLS handshake,
 * EBADMSG/EMSGSIZE for framing garbage, ENOBUFS for a peer that does not read,
 * ECONNRESET for a reset. Called once per connection (not for a connect that
 * tp_send() already reported failed), after which tp_conn_send() returns
 * ENOTCONN; handles stay valid until their last tp_conn_deref(). May be NULL.
 */
typedef void (tp_close_h)(struct tp_conn *conn, int err, void *arg);

/* ---- flood and abuse control (limits.c) ---- */

/*
 * Per source address (IPv4-mapped IPv6 counts as IPv4; the port is ignored), on listeners
 * opened with limited = true. 0 turns a limit off.
 */
struct tp_limits_conf {
	unsigned max_per_source;  /* inbound stream connections open at once per source */
	unsigned req_rate;        /* requests per second per source (token bucket) */
	unsigned req_burst;       /* the bucket: requests at once; 0: 2 * req_rate */
	unsigned tls_rate;        /* new inbound TLS connections per second per source */
	unsigned tls_burst;       /* 0: 2 * tls_rate */
	unsigned ban_ms;          /* a source over a rate is dropped this long (before parsing) */
	unsigned max_sources;     /* sources remembered at once, least recently seen forgotten
	                           * first (about 100 bytes each, allocated at start); 0: 16384,
	                           * never fewer than max_conns_in + 1 */
	const struct acl *exempt; /* borrowed, may be NULL: sources no per-source limit applies to */
};

/* Why the transport dropped something before the core saw it (sigproxy_limit_drops_total). */
enum tp_drop {
	TP_DROP_BANNED = 0,        /* datagram, message or connection from a banned source */
	TP_DROP_RATE,              /* request over the source's rate (the source is banned) */
	TP_DROP_TLS_RATE,          /* TLS connection over the source's rate (banned) */
	TP_DROP_SOURCE_CONNS,      /* connection over max_per_source */
	TP_DROP_MAX_CONNS,         /* inbound connection over max_conns_in */
	TP_DROP_HANDSHAKE_TIMEOUT, /* inbound TLS handshake not done within handshake_timeout_ms */
	TP_DROP_HEADER_TIMEOUT,    /* message not complete within header_timeout_ms */
	TP_DROP_NREASONS,
};
/* "banned", "rate", ... as in the metric's reason label. */
const char *tp_drop_name(enum tp_drop d);

/*
 * Series the transport keeps up to date (borrowed, e.g. registered with
 * metrics_register_table; any NULL member is replaced by a private dummy).
 */
struct metric;
struct tp_metrics {
	struct metric *drops[TP_DROP_NREASONS];  /* counters */
	struct metric *bans;                     /* counter: sources banned */
	struct metric *banned;                   /* gauge: sources under a ban now */
	struct metric *sources;                  /* gauge: sources remembered now */
	struct metric *conns_in, *conns_out;     /* gauges: open stream connections */
};

struct tp_conf {
	unsigned idle_timeout_ms;     /* stream connection without a complete message (or a
	                               * CRLF keep-alive) for this long is closed; 0: 300000 */
	unsigned connect_timeout_ms;  /* outbound TCP connect + TLS handshake; 0: 5000 */
	unsigned handshake_timeout_ms; /* inbound TLS, accept to handshake done; 0: connect_timeout_ms */
	unsigned header_timeout_ms;   /* a message (header and body) must be complete this long
	                               * after its first byte, and an inbound connection must
	                               * deliver its first message (or keep-alive) this long after
	                               * set-up; bytes arriving meanwhile do not extend it; 0: 10000 */
	unsigned max_conns_in;        /* inbound stream connections, all sources; 0: 4096 */
	unsigned max_conns_out;       /* our own outbound connections: a budget of their own, so
	                               * inbound floods never starve them; 0: 1024 */
	struct tp_limits_conf limits; /* per source, on listeners with limited = true */
	struct tp_metrics *metrics;   /* optional, borrowed; must outlive tp */
	tp_recv_h *recvh;             /* required */
	tp_close_h *closeh;           /* optional */
	void *arg;                    /* passed to both callbacks */
};

/* Allocates a transport set on base (borrowed, must outlive it). Caller owns *tpp: tp_free(). */
int tp_alloc(struct tp **tpp, struct event_base *base, const struct tp_conf *conf);
/* Closes every listener and connection without calling closeh; outstanding conn handles stay valid. */
void tp_free(struct tp *tp);

struct tp_listener_conf {
	const char *name;        /* "outside-tls", copied; used in logs and stats */
	enum tp_proto proto;
	struct sa addr;          /* IPv4 or IPv6; port 0 picks one (see tp_listener_addr) */
	const struct acl *acl;   /* borrowed, may be NULL (= allow all); must outlive the listener */
	struct tls *tls;         /* TP_TLS: server context (tls.h), borrowed; tls_reload() is seen at once */
	bool limited;            /* the per-source limits of tp_conf apply to its sources */
};

/*
 * Opens a listener. Returns 0, EINVAL (bad conf), EEXIST (name taken), ENOMEM,
 * or the socket/bind errno (EADDRINUSE...).
 * The listener belongs to tp (freed by tp_free); *lp is a borrowed handle.
 */
int tp_listen(struct tp *tp, const struct tp_listener_conf *conf, struct tp_listener **lp);
/* Finds a listener by name; NULL if none. */
struct tp_listener *tp_listener_find(const struct tp *tp, const char *name);
const char *tp_listener_name(const struct tp_listener *l);
enum tp_proto tp_listener_proto(const struct tp_listener *l);
/* The bound address (with the real port when 0 was configured). */
const struct sa *tp_listener_addr(const struct tp_listener *l);

/* Counters per listener (connections opened by tp_send count on their listener). */
struct tp_stats {
	uint64_t rx_msgs;          /* SIP messages handed to recvh */
	uint64_t tx_msgs;          /* messages sent (queued for streams) */
	uint64_t rx_bytes;
	uint64_t tx_errors;        /* failed sends */
	uint64_t acl_drops;        /* datagrams / connections refused by the ACL */
	uint64_t keepalives;       /* CRLF keep-alives received */
	uint64_t bad_msgs;         /* garbage: framing errors, empty datagrams, connection closed */
	uint64_t conns_accepted;
	uint64_t conns_connected;  /* outbound */
	uint64_t conns_refused;    /* over max_conns_in/out, or the source's limits */
	uint64_t conns_idle_closed;
	uint64_t conns_open;       /* gauge */
	uint64_t tls_handshakes;   /* successful */
	uint64_t tls_failures;     /* failed handshakes and TLS errors */
	uint64_t connect_failures; /* outbound connect errors and timeouts */
};
void tp_listener_stats(const struct tp_listener *l, struct tp_stats *out);
/* Sum over every listener plus outbound connections opened without a via listener. */
void tp_stats_total(const struct tp *tp, struct tp_stats *out);

/* A UDP datagram from a UDP listener's own socket. Returns 0 or an errno. */
int tp_send_udp(struct tp_listener *l, const struct sa *dst, const void *buf, size_t len);

/*
 * Queues a whole message on a stream connection (responses go back on the
 * connection the request came in on). Returns 0, ENOTCONN when it has closed,
 * ENOBUFS when the peer does not read (output over 1 MiB: the connection is
 * closed), EINVAL.
 */
int tp_conn_send(struct tp_conn *c, const void *buf, size_t len);

/* Where a request goes. */
struct tp_target {
	enum tp_proto proto;
	struct sa addr;          /* resolved destination address and port */
	const char *host;        /* TLS: name checked against the certificate (SAN dNSName,
	                          * CN only without SANs) and sent as SNI; NULL: addr's IP
	                          * is checked against SAN iPAddress. Ignored for UDP/TCP. */
	struct tp_listener *via; /* UDP: socket to send from (required). TCP/TLS: optional;
	                          * its stats count the connection and tp_conn_listener()
	                          * returns it (the kernel picks the source address). */
	struct tls *tls;         /* TLS: client context for this peer (e.g. a legacy profile);
	                          * NULL: the one given to tp_set_client_tls(). */
};

/*
 * Client side TLS context used for outbound TLS connections (borrowed; must
 * outlive tp; tls_reload() on it is seen by new connections).
 */
void tp_set_client_tls(struct tp *tp, struct tls *client);

/*
 * Sends a request towards target. UDP: sent from target->via at once (*connp
 * set to NULL). TCP/TLS: reuses an open connection with the same proto, address
 * and (TLS) host name and client context, or an inbound connection from exactly
 * that address (TCP, or TLS with host NULL), otherwise connects; the message is
 * queued and written when the connection (and handshake) is up. A failed connect
 * or handshake later reports through closeh. If connp is non-NULL, *connp
 * receives a new reference to the connection used (caller derefs).
 * Returns 0, EINVAL, EMFILE (max_conns_out), ENOBUFS (a reused connection that
 * stalled), ENOMEM, or a socket errno.
 */
int tp_send(struct tp *tp, const struct tp_target *target, const void *buf, size_t len,
    struct tp_conn **connp);

/* Reference counting: ref returns c; deref returns NULL ("c = tp_conn_deref(c)"). */
struct tp_conn *tp_conn_ref(struct tp_conn *c);
struct tp_conn *tp_conn_deref(struct tp_conn *c);
/* Closes now (pending output is dropped); closeh is called with err 0. Idempotent. */
void tp_conn_close(struct tp_conn *c);

bool tp_conn_is_open(const struct tp_conn *c);
enum tp_proto tp_conn_proto(const struct tp_conn *c);
bool tp_conn_outbound(const struct tp_conn *c);
const struct sa *tp_conn_peer(const struct tp_conn *c);
const struct sa *tp_conn_local(const struct tp_conn *c);
/* The listener it was accepted on, or target->via for outbound (may be NULL). */
struct tp_listener *tp_conn_listener(const struct tp_conn *c);
/* Opaque slot for the core (e.g. alias data); not touched by the transport. */
void tp_conn_set_user(struct tp_conn *c, void *user);
void *tp_conn_user(const struct tp_conn *c);

/*
 * TLS facts about an established connection, for logs and per-peer
 * authorization. Returns 0, or ENOENT when the connection is not TLS or the
 * handshake has not completed.
 */
struct tp_tls_info {
	char version[16];        /* "TLSv1.3" */
	char cipher[64];
	bool peer_cert;          /* the peer presented a certificate */
	bool verified;           /* ... and it verified against the CA file */
	char subject_cn[128];    /* of the peer certificate, "" if none */
	char sans[512];          /* all SANs, "DNS:a,DNS:b,IP:192.0.2.1", truncated at 511 */
	char sni[256];           /* inbound: the server name the client asked for, "" if none */
	char cert_sha256[96];    /* SHA-256 of the peer certificate (DER), "AB:CD:..." as
	                          * openssl x509 -fingerprint prints it; "" if none */
};
int tp_conn_tls_info(const struct tp_conn *c, struct tp_tls_info *out);

/*
 * Stream framer, exported for tests and fuzzing. Looks at buf[0..len):
 * *skip = leading CRLF keep-alive bytes to discard; after them a message of
 * *msglen bytes (headers, blank line, Content-Length body) is complete: returns 0.
 * ENODATA: need more bytes (*skip still set). EBADMSG: no usable Content-Length
 * or garbage. EMSGSIZE: header section or body over the limits.
 */
int tp_frame(const char *buf, size_t len, size_t *skip, size_t *msglen);

/* "udp", "tcp", "tls": logs, records, URI parameters (Via writes it upper case). */
const char *tp_proto_name(enum tp_proto p);
/* "udp"/"tcp"/"tls", case-insensitive; 0 or EINVAL. */
int tp_proto_parse(const char *s, enum tp_proto *out);

#endif
