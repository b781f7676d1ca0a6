/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Who calls whom and over what: the parties' URIs, the caller's source, each leg's CSeq and
 * TLS facts, kept in the call for its record, the operator CLI and the compliance
 * record. Values are the network's bytes (NULs aside): whoever prints them escapes them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dialog.h"
#include "sip.h"

/* n bytes of s into dst (size), a NUL inside s (a %00 in a URI user) as '?'. */
static void
copy_bytes(char *dst, size_t size, const char *s, size_t n)
{
	size_t i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		dst[i] = s[i] != '\0' ? s[i] : '?';
	dst[n] = '\0';
}

/* "scheme:user@host:port;transport=t" of u, each part only when present. */
static void
uri_format(const struct sip_uri *u, char *buf, size_t size)
{
	char port[8] = "";

	if (u->port != 0)
		snprintf(port, sizeof(port), ":%u", u->port);
	snprintf(buf, size, "%s:%s%s%s%s%s%s", u->scheme ? u->scheme : "sip",
	    u->user ? u->user : "", u->user ? "@" : "", u->host ? u->host : "", port,
	    u->transport ? ";transport=" : "", u->transport ? u->transport : "");
}

static void
leg_tls(struct sp_leg_tls *t, struct tp_conn *conn)
{
	struct tp_tls_info ti;

	memset(t, 0, sizeof(*t));
	if (conn == NULL || tp_conn_tls_info(conn, &ti) != 0)
		return;
	snprintf(t->version, sizeof(t->version), "%s", ti.version);
	snprintf(t->cipher, sizeof(t->cipher), "%s", ti.cipher);
	snprintf(t->cert_sha256, sizeof(t->cert_sha256), "%s", ti.cert_sha256);
}

void
dialog_set_caller(struct sp_call *c, const struct sip_msg *m, const struct sa *src,
    struct tp_conn *conn)
{
	struct sip_addr a;
	const char *user;
	size_t ulen = 0;

	if (sip_msg_from(m, &a) == 0)
		uri_format(&a.uri, c->caller, sizeof(c->caller));
	if (sip_msg_to(m, &a) == 0)
		uri_format(&a.uri, c->callee, sizeof(c->callee));
	user = sip_msg_ruri_user(m, &ulen);
	copy_bytes(c->ruri_user, sizeof(c->ruri_user), user ? user : "", user ? ulen : 0);
	sa_format(src, c->source, sizeof(c->source));
	c->cseq[0] = sip_msg_cseq(m);
	leg_tls(&c->tls[0], conn);
}

void
dialog_set_callee_conn(struct sp_call *c, struct tp_conn *conn)
{
	leg_tls(&c->tls[1], conn);
}

void
dialog_time_iso(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}
