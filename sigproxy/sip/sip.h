/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's SIP part, its one interface: parsing with libosip2, proxy validation,
 * read-only accessors, and the builders of every message the proxy sends.
 */
#ifndef SBC_SIGPROXY_SIP_H
#define SBC_SIGPROXY_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"	/* enum tp_proto: the one transport vocabulary */

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
struct sip_hop;

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
    enum tp_proto tp, const struct sip_limits *lim, struct sip_error *err);

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
enum tp_proto sip_msg_transport(const struct sip_msg *m);

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
/*
 * The call's Call-ID: as received, or what sip_msg_set_call_id() said; NULL when absent
 * (never on a validated message).
 */
const char *sip_msg_call_id(const struct sip_msg *m);
/* The Call-ID header's value as received, whatever sip_msg_set_call_id() said. */
const char *sip_msg_call_id_received(const struct sip_msg *m);
/*
 * m arrived on a leg whose Call-ID is the SBC's own for the call call_id: from now on
 * sip_msg_call_id() answers call_id (copied). The message is changed only here, before
 * anyone holds it. 0 or ENOMEM. Builders still copy the received header unless told.
 */
int sip_msg_set_call_id(struct sip_msg *m, const char *call_id);
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
 * The URI of the first Contact exactly as received (no angle brackets, no header
 * parameters) into buf: a dialog's remote target. 0, ENOENT (none, or "*"), ENOSPC.
 */
int sip_msg_contact_uri(const struct sip_msg *m, char *buf, size_t size);
/*
 * The route set a proxy keeps towards the party that sent m (RFC 3261 §12.1), its
 * entries verbatim, nearest first, as "<e1>, <e2>" ("" when none): for a request, its
 * Record-Route entries in order; for a response, the entries above the first that
 * names one of self[nself] (ours), in reverse. 0, ENOSPC, EBADMSG.
 */
int sip_msg_route_set(const struct sip_msg *m, const struct sip_hop *self, unsigned nself,
    char *buf, size_t size);
/*
 * Every header line named name (as sip_msg_header matches names) exactly as received,
 * CRLF-terminated, in one NUL-terminated string the caller frees; "" when none.
 * 0 or ENOMEM.
 */
int sip_msg_lines_dup(const struct sip_msg *m, const char *name, char **out);

/*
 * Where a URI sends a request (RFC 3263 without DNS): transport from the scheme and
 * ;transport, numeric host, port or the transport's default. 0, EINVAL (no host),
 * EPROTONOSUPPORT, EHOSTUNREACH (a name, not an address).
 */
int sip_uri_dest(const struct sip_uri *u, enum tp_proto *tp, struct sa *dst);
/*
 * The same for text: a bare URI (a stored remote target, parameters kept), or a route
 * set "<e1>, <e2>" whose first entry is used. Also EBADMSG when it does not parse.
 */
int sip_text_dest(const char *text, enum tp_proto *tp, struct sa *dst);

/*
 * Any header by name (case-insensitive, compact forms understood): the idx-th
 * occurrence's value as received, unfolded into a NUL-terminated copy owned by m.
 * Returns 0 with *value or ENOENT.
 */
int sip_msg_header(const struct sip_msg *m, const char *name, unsigned idx,
    const char **value);

/* ---- sip_body.c: the body as the proxy sees it ---- */

enum sip_body_kind {
	SIP_BODY_NONE = 0,	/* no body */
	SIP_BODY_SDP,		/* application/sdp (or an SDP without Content-Type: no_ctype) */
	SIP_BODY_MULTIPART,	/* multipart/<any> with exactly one application/sdp part */
	SIP_BODY_OTHER,		/* multipart without SDP: carried as it is */
	SIP_BODY_UNSUPPORTED,	/* a type or encoding the proxy does not understand */
};

/* A body located in its message (every pointer into it: valid while the message lives). */
struct sip_body {
	enum sip_body_kind kind;
	const char *body;	/* the whole body */
	size_t len;
	const char *ctype;	/* Content-Type value as received, parameters kept; NULL if none */
	const char *sdp;	/* the SDP, or the SDP part's content; NULL when there is none */
	size_t sdp_len;
	size_t head_len;	/* multipart: bytes before the SDP part's content */
	size_t tail_off;	/* multipart: offset of the bytes after it */
	const char *why;	/* UNSUPPORTED: what (static) */
	bool encoding;		/* UNSUPPORTED because of Content-Encoding */
	bool no_ctype;		/* an SDP recognised without Content-Type (tolerated) */
};

/*
 * Classifies m's body into *b (RFC 3261 §7.4, RFC 2046 §5.1, RFC 5621). A multipart is
 * split on its boundary: one application/sdp part is the SDP, the other parts stay as
 * they are; two SDP parts, a nested multipart, an encoded part or a broken multipart
 * are UNSUPPORTED (nothing in them may reach mediad or the other side unrewritten).
 * Returns 0.
 */
int sip_body_parse(const struct sip_msg *m, struct sip_body *b);
/*
 * The body to send in place of b with sdp (mediad's) in place of its SDP: the SDP itself,
 * or the multipart with every other byte as received. *outp is malloc'd (NUL-terminated,
 * caller frees), *ctypep the Content-Type to send with it (static, or b->ctype).
 * Returns 0 or ENOMEM.
 */
int sip_body_with_sdp(const struct sip_body *b, const char *sdp, size_t len, char **outp,
    size_t *lenp, const char **ctypep);
/* The same from m's body (sip_body_parse then sip_body_with_sdp); *ctypep owned by m. */
int sip_msg_body_replace_sdp(const struct sip_msg *m, const char *sdp, size_t len,
    char **outp, size_t *lenp, const char **ctypep);
/* What a 415 says the proxy takes (RFC 3261 §21.4.13): header lines, CRLF-terminated. */
#define SIP_BODY_ACCEPT "Accept: application/sdp, multipart/mixed\r\n"
#define SIP_BODY_ACCEPT_ENCODING "Accept-Encoding: identity\r\n"

/* ---- sip_legacy.c: RFC 2543 peers (no From tag, no RFC 3261 branch) ---- */

/* Size of the identifiers derived for RFC 2543 messages, NUL included. */
#define SIP_LEGACY_ID_SIZE 24

/*
 * The From tag that names the sending side of the dialog: the tag, or for an RFC 2543
 * From without one "2543-" and a hash of the From URI and the Call-ID (the same on every
 * message of that dialog, so mediad and the dialog record see one party). NULL only
 * when m has no From. Owned by m.
 */
const char *sip_msg_dialog_from_tag(const struct sip_msg *m);
/*
 * The same for To: the tag, or derived for a response without one (an RFC 2543 callee's
 * 2xx) and for a request from an RFC 2543 party (no From tag either). NULL for any other
 * request without To tag: an initial one. A party's derived tag is the same in From and To.
 */
const char *sip_msg_dialog_to_tag(const struct sip_msg *m);
/*
 * The key of a request's server transaction: its top Via branch when that carries the
 * RFC 3261 magic cookie, else (RFC 3261 §17.2.3) "2543-" and a hash of the Request-URI,
 * From tag, Call-ID, CSeq number and top Via, which an INVITE, its retransmissions, its
 * CANCEL and the ACK of a failure share. NULL for a response. Owned by m.
 */
const char *sip_msg_txn_key(const struct sip_msg *m);
/* Whether m comes from an RFC 2543 peer: From without tag, or top Via without z9hG4bK. */
bool sip_msg_is_legacy(const struct sip_msg *m);

/* ---- building ---- */

/*
 * Every builder writes into the caller's buffer buf[size] and returns 0 with *len
 * (bytes written; buf is also NUL-terminated, not counted), ENOSPC when size is too
 * small, EINVAL for unusable arguments (e.g. CR/LF inside a value), or the errno
 * named below. Nothing is allocated by the caller's side; buf is garbage on error.
 * Headers that the proxy does not touch are copied byte for byte from the input.
 */

/* One of our own SIP addresses: used for Via, Record-Route and Route stripping. */
struct sip_hop {
	enum tp_proto transport;
	const char *host;	/* IP literal or name; IPv6 without brackets */
	uint16_t port;		/* 0: default for the transport (5060, 5061 for TLS) */
};

#define SIP_BRANCH_SIZE 32	/* "z9hG4bK" + 22 random chars + NUL, rounded */

/* Writes "z9hG4bK" + 22 characters from the CSPRNG into buf; returns 0 or an errno. */
int sip_branch_new(char *buf, size_t size);
/* Writes a 16-character random tag (for To tags); returns 0 or an errno. */
int sip_tag_new(char *buf, size_t size);

/*
 * A response generated by the proxy to request req: all Via, From, To, Call-ID and
 * CSeq copied; for status > 100 and a To without tag, ";tag=<to_tag>" is added
 * (to_tag NULL: none added). reason NULL: the standard phrase for the code.
 * extra: NULL or complete header lines each ending in CRLF ("Retry-After: 5\r\n"),
 * placed before "Content-Length: 0". EINVAL if req is a response or status is
 * outside 100..699.
 */
int sip_build_response(char *buf, size_t size, size_t *len, const struct sip_msg *req,
    int status, const char *reason, const char *to_tag, const char *extra);

/* What changes in a request the proxy forwards. Every pointer may be NULL: keep. */
struct sip_fwd {
	const struct sip_hop *via;	/* required: our Via, on the outgoing side */
	const char *branch;		/* required: from sip_branch_new() */
	/*
	 * Double Record-Route (both or neither): rr_in is the side the request came
	 * in on, rr_out the side it leaves on. Written as
	 * "Record-Route: <sip:HOST:PORT;transport=T;lr>" with rr_out on top, so each
	 * peer's in-dialog requests reach us on the side it talks to.
	 */
	const struct sip_hop *rr_in;
	const struct sip_hop *rr_out;
	/*
	 * Our own addresses: Route entries at the top of the Route set that point at
	 * any of them are removed (loose routing, RFC 3261 §16.4); a Request-URI that
	 * is one of them (a strict router before us) is replaced by the last Route.
	 */
	const struct sip_hop *self;
	unsigned nself;
	/* Request-URI rewrite (initial requests): user, host and port, transport param. */
	const char *ruri_user;		/* unescaped: libosip2 %-escapes it; "" removes it */
	const char *ruri_host;		/* IPv6 without brackets */
	uint16_t ruri_port;		/* 0 with ruri_host set: no port */
	const char *ruri_transport;	/* "udp"/"tcp"/"tls" or NULL: no transport param */
	/* Body replacement (SDP from mediad); Content-Length is always rewritten. */
	const char *body;
	size_t body_len;
	const char *content_type;	/* required with body, e.g. "application/sdp" */
	/* Extra header lines, each ending in CRLF, appended before Content-Length. */
	const char *extra;
	/*
	 * In-dialog routing from the dialog record (the request's own Request-URI and
	 * Route set were checked against it): ruri replaces the Request-URI verbatim
	 * (a remote target), routes (non-NULL) replaces the whole Route set, written as
	 * one "Route: <routes>" line unless "".
	 */
	const char *ruri;
	const char *routes;
	/*
	 * Topology hiding towards the side the request goes to: via_hide keeps only our
	 * Via (the received ones stay with the transaction and return on its responses),
	 * rr_strip drops the received Record-Route lines, contact (non-NULL) replaces
	 * every Contact with "Contact: <contact>". With rr_out set and rr_in NULL only
	 * our entry on the outgoing side is written.
	 */
	bool via_hide;
	bool rr_strip;
	const char *contact;
	/* The Call-ID of the leg it goes to, when legs carry different ones (NULL: keep). */
	const char *call_id;
	/*
	 * Source of the request, stamped on its top Via (RFC 3261 §18.2.1, RFC 3581):
	 * received != NULL adds/replaces ";received=", rport != 0 fills a ";rport"
	 * the sender put there (and adds nothing otherwise).
	 */
	const char *received;
	uint16_t rport;
	/*
	 * CSeq number written instead of the received one (0: keep): the SBC sent requests
	 * of its own to that party, whose CSeqs the party's peer did not see.
	 */
	uint32_t cseq;
};

/*
 * The request req as forwarded: our Via on top, Max-Forwards decremented (added as
 * 70 when absent, RFC 3261 §16.6), Record-Route, Route stripping, Request-URI and body changes per f.
 * ELOOP when Max-Forwards is 0 (the core answers 483); EINVAL if req is a response,
 * was not parseable (validate failed), or the rewritten Request-URI does not parse.
 */
int sip_build_request(char *buf, size_t size, size_t *len, const struct sip_msg *req,
    const struct sip_fwd *f);

/*
 * The response resp as forwarded upstream: the top Via (ours) removed, the body
 * replaced when body != NULL (content_type required then). ENOENT when resp has
 * fewer than two Via (it was addressed to us: do not forward).
 */
int sip_build_response_fwd(char *buf, size_t size, size_t *len, const struct sip_msg *resp,
    const char *body, size_t body_len, const char *content_type);

/* What changes in a response relayed upstream. Every pointer may be NULL: keep. */
struct sip_relay {
	const char *body;		/* with content_type, as in sip_build_response_fwd */
	size_t body_len;
	const char *content_type;
	/*
	 * The request went on with our Via alone: these whole Via header lines (the
	 * request's own, from sip_msg_lines_dup) replace what follows ours.
	 */
	const char *vias;
	/* Topology hiding towards the side the response goes to. */
	const char *contact;		/* replaces every Contact: "Contact: <contact>" */
	bool rr_drop;			/* every Record-Route entry dropped */
	/*
	 * Record-Route entries above the first one naming rr_from (the side beyond
	 * it) are dropped; with no entry naming it, all are.
	 */
	const struct sip_hop *rr_from;
	/*
	 * The request went on with our outgoing entry alone (sip_fwd.rr_in NULL): our
	 * entry on the incoming side (rr_hop) and the request's own whole Record-Route
	 * lines (rr_lines) follow the received entries, so the upstream party gets the
	 * route set it would have seen.
	 */
	const struct sip_hop *rr_hop;
	const char *rr_lines;
	/* The Call-ID of the leg it goes to, when legs carry different ones (NULL: keep). */
	const char *call_id;
	/* CSeq number of the request as its sender wrote it (0: keep): see sip_fwd.cseq. */
	uint32_t cseq;
};

/*
 * sip_build_response_fwd with the edits of r (NULL: none). Same returns; EINVAL for
 * CR/LF inside a replacement value.
 */
int sip_build_response_relay(char *buf, size_t size, size_t *len, const struct sip_msg *resp,
    const struct sip_relay *r);

/*
 * CANCEL for a client branch (RFC 3261 §9.1): sent is the INVITE as we forwarded it
 * (parse the bytes sip_build_request wrote). Same Request-URI, top Via, Route set,
 * From, To, Call-ID and CSeq number; Max-Forwards 70. EINVAL unless sent is an INVITE.
 */
int sip_build_cancel(char *buf, size_t size, size_t *len, const struct sip_msg *sent);

/*
 * ACK for a non-2xx final response resp to our INVITE sent (RFC 3261 §17.1.1.3):
 * like CANCEL but the To comes from the response (with its tag). EINVAL unless resp
 * is a 300..699 response and sent an INVITE.
 */
int sip_build_ack(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const struct sip_msg *resp);

/*
 * ACK (CSeq of resp) and BYE (CSeq of resp + 1) of ours for a 2xx resp to the INVITE
 * sent (as we forwarded it) that we cannot accept, so the callee's side ends: sent
 * to the 2xx's Contact with our Via (via, branch), the From of sent, To, Call-ID of
 * resp, Max-Forwards 70. EINVAL unless resp is a 2xx with a Contact.
 */
int sip_build_ack_2xx(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const struct sip_msg *resp, const struct sip_hop *via, const char *branch);
int sip_build_bye(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const struct sip_msg *resp, const struct sip_hop *via, const char *branch);

/*
 * An OPTIONS probe of ours to target ("ip:port"): our Via (via, branch), From
 * <sip:sigproxy@via->host> with from_tag, To <sip:target>, call_id, CSeq cseq.
 */
int sip_build_options(char *buf, size_t size, size_t *len, const char *target,
    const struct sip_hop *via, const char *branch, const char *from_tag, const char *call_id,
    uint32_t cseq);

/*
 * A request of the SBC's own inside a dialog (sip_build_uac.c), in the name of one party
 * to the other: what the dialog record holds, never a received message.
 */
struct sip_uac_req {
	const char *method;		/* "BYE", "INVITE", "ACK" */
	const char *ruri;		/* the recipient's remote target (a stored Contact URI) */
	const char *routes;		/* route set towards it ("<e1>, <e2>"); NULL or "": none */
	const struct sip_hop *via;	/* our Via, on the side it leaves on */
	const char *branch;
	const char *from_uri, *from_tag;	/* the party it speaks for */
	const char *to_uri, *to_tag;		/* the recipient */
	const char *call_id;		/* the Call-ID the recipient's leg carries */
	uint32_t cseq;
	const char *contact;		/* NULL: no Contact; else written as <contact> */
	const char *extra;		/* NULL or whole header lines, each ending in CRLF */
	const char *body;		/* NULL: none; with content_type */
	size_t body_len;
	const char *content_type;
};
/*
 * The request r says, Max-Forwards 70. The From and To URIs are written with the bytes a
 * URI cannot hold raw %-escaped (stored party URIs hold users as decoded). EINVAL when a
 * required value is missing, the Request-URI or Contact is not plain URI text, or a tag,
 * Call-ID, branch or header line would break its line.
 */
int sip_build_uac(char *buf, size_t size, size_t *len, const struct sip_uac_req *r);

/* Standard reason phrase for a status code ("Unknown" for unlisted codes). */
const char *sip_reason_phrase(int status);

#endif
