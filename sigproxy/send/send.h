/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's send part, its one interface: the layer under the transactions that knows
 * the listeners and their sides. Local replies, sending to a hop or back along a dialog,
 * the next hop of a request, the SIP trace. It never calls a transaction.
 */
#ifndef SBC_SIGPROXY_SEND_H
#define SBC_SIGPROXY_SEND_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "sigproxy.h"
#include "sip.h"
#include "trace.h"
#include "transport.h"

/* Where a message came from: responses to it go back the same way. */
struct sp_src {
	struct sp_listener *lsnr;
	struct tp_conn *conn;	/* NULL for UDP */
	struct sa addr;
};

/* send_listener.c */
/* The configured listener behind a transport listener; NULL if none. */
struct sp_listener *send_listener_by_tpl(struct sp *sp, const struct tp_listener *l);
/*
 * A listener of side for transport t: one of that transport, else (streams only) any
 * listener of the side, whose Via and statistics the connection then uses. NULL: none.
 */
struct sp_listener *send_listener_for(struct sp *sp, enum sp_side side, enum tp_proto t);

/*
 * Our Contact URI for a message leaving on listener l over tp:
 * "sip:sbc@host:port;transport=tp" (no user part of a party's).
 */
void send_contact_uri(const struct sp_listener *l, enum tp_proto tp, char *buf, size_t size);

/* send.c */
/*
 * Hands a message to the SIP trace (trace.h: on, filter, outputs). l: the listener it
 * came on or leaves from (may be NULL); conn: its stream (NULL for UDP), whose
 * addresses and transport win over l's; peer: the other end (may be NULL).
 */
void send_trace(struct sp *sp, enum trace_dir dir, const struct sp_listener *l,
    struct tp_conn *conn, const struct sa *peer, const char *buf, size_t len);
/* Counts a response sent upstream in sigproxy_responses_total by class. */
void send_count_response(struct sp *sp, int status);
/* Sends buf back where to came from (its connection, or its listener's UDP socket). 0 or errno. */
int send_response(struct sp *sp, const struct sp_src *to, const char *buf, size_t len);
/*
 * Builds and sends our own response to req (a fresh To tag when req has none),
 * counted. reason NULL: the standard phrase; extra: NULL or whole header lines.
 * Returns 0 or an errno.
 */
int send_reply(struct sp *sp, const struct sp_src *to, const struct sip_msg *req, int status,
    const char *reason, const char *extra);
/*
 * Sends a request towards dst on side: UDP from a listener of that side, TCP/TLS over
 * a reused or new connection (host: TLS name to verify, NULL: the server name and client
 * context of dst's [tls_peer] if it has one, else dst's IP). connp (may be
 * NULL) gets a reference to the stream used, or NULL for UDP. 0, ENETUNREACH (no UDP
 * listener on side) or as tp_send().
 */
int send_to(struct sp *sp, enum sp_side side, enum tp_proto t, const struct sa *dst,
    const char *host, const char *buf, size_t len, struct tp_conn **connp);
/*
 * Like send_to, but over back (the stream the dialog's caller opened, from
 * dialog_conn_back(); may be NULL) when it is a stream still open.
 */
int send_in_dialog(struct sp *sp, struct tp_conn *back, enum sp_side side, enum tp_proto t,
    const struct sa *dst, const char *buf, size_t len);

/* send_hop.c */
/* Whether u names one of our listeners (advertised host or bound IP, and port). */
bool send_is_self_uri(struct sp *sp, const struct sip_uri *u);
/*
 * Where m goes next: the first Route that is not us, else the Request-URI (loose
 * routing). Numeric hosts only (no DNS on the signalling path). 0 with *tp and *dst,
 * ENOENT when the Request-URI is ours, EBADMSG, EPROTONOSUPPORT, EHOSTUNREACH.
 */
int send_next_hop(struct sp *sp, const struct sip_msg *m, enum tp_proto *tp, struct sa *dst);

#endif
