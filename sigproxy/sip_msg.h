/* SPDX-License-Identifier: BSD-2-Clause */
/* SIP message layer: framing, parsing with libosip2, proxy validation, read-only accessors. */
#ifndef SBC_SIGPROXY_SIP_MSG_H
#define SBC_SIGPROXY_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sip_transport {
	SIP_TRANSPORT_UDP = 0,
	SIP_TRANSPORT_TCP,
	SIP_TRANSPORT_TLS,
};

enum sip_method {
	SIP_METHOD_OTHER = 0,	/* any extension method: see sip_msg_method() */
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_UPDATE,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_MESSAGE,
};

#define SIP_MAX_SIZE_DEFAULT	65536u	/* bytes, whole message */
#define SIP_MAX_HEADERS_DEFAULT	128u	/* header lines (after unfolding) */
#define SIP_MAX_FORWARDS_DEFAULT 70u	/* RFC 3261 §16.6 step 3 */

struct sip_limits {
	size_t max_size;	/* 0: SIP_MAX_SIZE_DEFAULT */
	unsigned max_headers;	/* 0: SIP_MAX_HEADERS_DEFAULT */
};

/*
 * Why a message was refused. status is the response the core should send when it
 * holds a parsed request (400, 416, 420, 505, 513); 0 means "drop and count"
 * (responses, or nothing parseable to answer from).
 */
struct sip_error {
	int status;
	char reason[128];	/* reason phrase for the response, also fit for a log line */
	char unsupported[128];	/* for 420: value of the Unsupported header to send */
};

struct sip_msg;

/* A URI inside a message; every string is owned by the message, NULL when absent. */
struct sip_uri {
	const char *scheme;	/* "sip", "sips", "tel", ... (lower case as received) */
	const char *user;	/* %-decoded by libosip2 (a %00 ends it: see sip_msg_ruri_user) */
	const char *host;	/* IPv6 references keep their brackets */
	uint16_t port;		/* 0: absent */
	const char *transport;	/* value of ;transport= */
	bool lr;		/* ;lr present */
};

/* A name-addr header (From, To, Contact, Route, Record-Route). */
struct sip_addr {
	const char *display;	/* display name, quotes kept; NULL when absent */
	struct sip_uri uri;
	const char *tag;	/* ;tag= of From/To */
};

struct sip_via {
	const char *transport;	/* "UDP", "TCP", "TLS", ... as received */
	const char *host;	/* sent-by host */
	uint16_t port;		/* sent-by port, 0: absent */
	const char *branch;	/* NULL: absent */
	const char *received;	/* NULL: absent */
	bool rport;		/* ;rport present (with or without value) */
	uint16_t rport_value;	/* 0: no value */
};

/* Calls libosip2's parser_init() once; safe to call from any thread, any number of times. */
void sip_init(void);

/* "UDP", "TCP", "TLS". */
const char *sip_transport_name(enum sip_transport tp);
/* Case-insensitive "udp"/"tcp"/"tls"; returns 0 or EINVAL. */
int sip_transport_parse(const char *s, enum sip_transport *out);

/*
 * Parses one message (a datagram, or one frame from the transport's tp_frame). Leading CRLFs are
 * ignored. For UDP a body longer than Content-Length is truncated (RFC 3261 §18.3).
 * Returns 0 with *mp (free with sip_msg_free()) whenever the start line and header
 * lines can be told apart, even if libosip2 or our checks find the content invalid:
 * then sip_msg_validate() fails with the status to answer (400, 513, ...), and the
 * builders can still copy Via/From/To/Call-ID/CSeq into that answer. Returns EBADMSG
 * with *err filled when not even that holds (no end of headers, a line without a
 * colon, a garbled start line, headers alone over the size limit, too many header
 * lines): nothing to answer from, the caller drops and counts. ENOMEM.
 * A message over lim->max_size whose header section fits is kept without its body
 * and fails validation with 513. lim and err may be NULL.
 */
int sip_msg_parse(struct sip_msg **mp, const char *buf, size_t len,
    enum sip_transport tp, const struct sip_limits *lim, struct sip_error *err);

/*
 * Proxy checks on a parsed message (RFC 3261 §16.3, §8.2 and RFC 4475): start line,
 * SIP/2.0, single To/From/Call-ID/CSeq/Content-Length, CSeq numeric and matching the
 * method, Max-Forwards numeric (0..255), Via/From/To/Contact/Route syntax, no bare
 * control characters, a top Via branch that is not the bare "z9hG4bK" (a Via without
 * branch is accepted: RFC 2543 peers, RFC 4475 longreq/inv2543), Request-URI scheme
 * sip/sips/tel (else 416), Proxy-Require (420, with err->unsupported), size (513),
 * no broadcast/multicast/unspecified address in any Via (RFC 4475 bcast).
 * Returns 0 or EBADMSG with *err filled (err->status says what to answer for a
 * request; always 0 for a response: drop it). Max-Forwards 0 is NOT an error here:
 * the core answers OPTIONS addressed to itself and 483 otherwise.
 */
int sip_msg_validate(const struct sip_msg *m, struct sip_error *err);

/*
 * Releases one reference to m (the parse's, or one from sip_msg_ref()); the last
 * one frees it.
 */
void sip_msg_free(struct sip_msg *m);
/*
 * Another reference to m (which is never modified after parsing), so that a handler
 * can keep a received message past the caller's sip_msg_free() instead of parsing a
 * copy of it again. Returns m.
 */
struct sip_msg *sip_msg_ref(const struct sip_msg *m);

/* The message bytes as kept (leading CRLFs dropped, UDP surplus truncated). */
const char *sip_msg_raw(const struct sip_msg *m, size_t *len);
enum sip_transport sip_msg_transport(const struct sip_msg *m);

bool sip_msg_is_request(const struct sip_msg *m);
/* Request method, or for a response the CSeq method. Never NULL on a parsed message. */
const char *sip_msg_method(const struct sip_msg *m);
enum sip_method sip_msg_method_id(const struct sip_msg *m);
/* Response status code and reason phrase ("" when empty); 0 / NULL for a request. */
int sip_msg_status(const struct sip_msg *m);
const char *sip_msg_reason(const struct sip_msg *m);

/* Request-URI; ENOENT for a response. */
int sip_msg_ruri(const struct sip_msg *m, struct sip_uri *out);
/*
 * Request-URI user part, %-decoded from the received bytes (may contain NULs: use
 * *len): for sip/sips the userinfo before '@' without any password, for tel the
 * number before any ';'. "" when there is none. NULL for a response.
 */
const char *sip_msg_ruri_user(const struct sip_msg *m, size_t *len);
/* A Request-URI parameter: 0 with *value (NULL for a flag like ;lr) or ENOENT. */
int sip_msg_ruri_param(const struct sip_msg *m, const char *name, const char **value);

unsigned sip_msg_via_count(const struct sip_msg *m);
/* idx 0 is the top Via; returns 0 or ENOENT. */
int sip_msg_via(const struct sip_msg *m, unsigned idx, struct sip_via *out);

/* 0 or ENOENT (never on a validated message). */
int sip_msg_from(const struct sip_msg *m, struct sip_addr *out);
int sip_msg_to(const struct sip_msg *m, struct sip_addr *out);
/* Tag shortcuts: NULL when absent. */
const char *sip_msg_from_tag(const struct sip_msg *m);
const char *sip_msg_to_tag(const struct sip_msg *m);
/* Call-ID value as received; NULL when absent (never on a validated message). */
const char *sip_msg_call_id(const struct sip_msg *m);
/* CSeq number and method; 0 / NULL when absent. */
uint32_t sip_msg_cseq(const struct sip_msg *m);
const char *sip_msg_cseq_method(const struct sip_msg *m);
/* Max-Forwards value, SIP_MAX_FORWARDS_DEFAULT when absent. */
unsigned sip_msg_max_forwards(const struct sip_msg *m);

unsigned sip_msg_contact_count(const struct sip_msg *m);
/* Contact "*" has uri.host NULL and display "*". Returns 0 or ENOENT. */
int sip_msg_contact(const struct sip_msg *m, unsigned idx, struct sip_addr *out);
unsigned sip_msg_route_count(const struct sip_msg *m);
int sip_msg_route(const struct sip_msg *m, unsigned idx, struct sip_addr *out);
unsigned sip_msg_record_route_count(const struct sip_msg *m);
int sip_msg_record_route(const struct sip_msg *m, unsigned idx, struct sip_addr *out);

/*
 * The body bytes exactly as received (multipart bodies are not split) and the
 * Content-Type value ("application/sdp", parameters dropped, NULL when absent).
 * *len is 0 for no body.
 */
const char *sip_msg_body(const struct sip_msg *m, size_t *len);
const char *sip_msg_content_type(const struct sip_msg *m);

/*
 * Any header by name (case-insensitive, compact forms understood): the idx-th
 * occurrence's value as received, unfolded into a NUL-terminated copy owned by m.
 * Returns 0 with *value or ENOENT.
 */
int sip_msg_header(const struct sip_msg *m, const char *name, unsigned idx,
    const char **value);

#endif
