/* SPDX-License-Identifier: BSD-2-Clause */
/* SDP parsed into a model that keeps every line verbatim and in order (RFC 4566, 3264). */

/*
 * Why not libosip2's sdp_message_parse(): checked against this project's
 * corpus, it fails (-1) as soon as a line comes out of RFC order (b= after an
 * a= line, as some PBXs write) or has an unknown type letter, and it rebuilds
 * the text from its own structures, so sdp_message_to_str() cannot give the
 * "everything else byte for byte" output we promise. This parser is a single
 * pass over a private copy of the input: every line is kept as a slice, in
 * order, and only the fields the relay needs are interpreted.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sdp.h"

static const char *const proto_names[] = {
	[SDP_PROTO_KEEP] = NULL,
	[SDP_PROTO_RTP_AVP] = "RTP/AVP",
	[SDP_PROTO_RTP_SAVP] = "RTP/SAVP",
	[SDP_PROTO_RTP_AVPF] = "RTP/AVPF",
	[SDP_PROTO_RTP_SAVPF] = "RTP/SAVPF",
	[SDP_PROTO_UDP_TLS_RTP_SAVP] = "UDP/TLS/RTP/SAVP",
	[SDP_PROTO_UDP_TLS_RTP_SAVPF] = "UDP/TLS/RTP/SAVPF",
};

const char *
sdp_proto_name(enum sdp_proto p)
{
	if ((unsigned)p >= sizeof(proto_names) / sizeof(proto_names[0]))
		return NULL;
	return proto_names[p];
}

enum sdp_proto
sdp_proto_from_name(const char *s, size_t len)
{
	for (size_t i = 1; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (strlen(proto_names[i]) == len && memcmp(proto_names[i], s, len) == 0)
			return (enum sdp_proto)i;
	}
	return SDP_PROTO_KEEP;
}

bool
sdp_proto_is_secure(enum sdp_proto p)
{
	return p == SDP_PROTO_RTP_SAVP || p == SDP_PROTO_RTP_SAVPF ||
	    p == SDP_PROTO_UDP_TLS_RTP_SAVP || p == SDP_PROTO_UDP_TLS_RTP_SAVPF;
}

const char *
sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_SENDRECV:
		return "sendrecv";
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	default:
		return "";
	}
}

enum sdp_dir
sdp_media_dir(const struct sdp *sdp, const struct sdp_media *m)
{
	if (m->dir != SDP_DIR_NONE)
		return m->dir;
	if (sdp->dir != SDP_DIR_NONE)
		return sdp->dir;
	return SDP_DIR_SENDRECV;
}

const struct sdp_conn *
sdp_media_conn(const struct sdp *sdp, const struct sdp_media *m)
{
	return m->conn.present ? &m->conn : &sdp->conn;
}

/*
 * One freed model kept per thread for the next parse: it is ~60 KB, and every malloc
 * of that size makes glibc consolidate its fast bins first (offer and answer of every
 * call parse one each). Kept wiped; never more than one.
 */
static _Thread_local struct sdp *sdp_spare;

static void
sdp_spare_exit(void)
{
	free(sdp_spare);
	sdp_spare = NULL;
}

static struct sdp *
sdp_alloc(void)
{
	static _Thread_local bool registered;
	struct sdp *sdp = sdp_spare;

	if (sdp != NULL) {
		sdp_spare = NULL;
		return sdp;
	}
	/* The main thread's spare is freed at exit, so leak checkers see nothing left. */
	if (!registered) {
		registered = true;
		(void)atexit(sdp_spare_exit);
	}
	return malloc(sizeof(*sdp));
}

void
sdp_free(struct sdp *sdp)
{
	if (sdp == NULL)
		return;
	/* The text and the model hold the peer's SRTP master keys. */
	if (sdp->buf != NULL)
		explicit_bzero(sdp->buf, sdp->len);
	free(sdp->lines);
	free(sdp->buf);
	/* Only the media in use hold anything: wiping all SDP_MAX_MEDIA cost more than the parse. */
	explicit_bzero(sdp->media, sdp->nmedia * sizeof(sdp->media[0]));
	explicit_bzero(sdp, offsetof(struct sdp, media));
	if (sdp_spare == NULL)
		sdp_spare = sdp;
	else
		free(sdp);
}

static bool
str_eq(struct sdp_str s, const char *lit)
{
	return strlen(lit) == s.len && strncasecmp(s.p, lit, s.len) == 0;
}

static bool
str_prefix(struct sdp_str s, const char *lit)
{
	size_t l = strlen(lit);

	return s.len >= l && strncasecmp(s.p, lit, l) == 0;
}

/* Next blank-separated token of *s; false when none is left. */
static bool
next_token(struct sdp_str *s, struct sdp_str *tok)
{
	const char *p = s->p, *end = s->p + s->len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	tok->p = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	tok->len = (size_t)(p - tok->p);
	s->len = (size_t)(end - p);
	s->p = p;
	return tok->len > 0;
}

static int
parse_u64(struct sdp_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0 || s.len > 20)
		return EBADMSG;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';

		if (d > 9 || v > (max - d) / 10)
			return EBADMSG;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
addr_family(struct sdp_str addrtype)
{
	if (str_eq(addrtype, "IP4"))
		return AF_INET;
	if (str_eq(addrtype, "IP6"))
		return AF_INET6;
	return 0;
}

/* True for 0.0.0.0 and ::, the RFC 2543 / 3264 hold addresses. */
static bool
addr_is_null(int family, struct sdp_str a)
{
	char tmp[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	size_t n = family == AF_INET ? 4 : 16;

	if (family == 0 || a.len == 0 || a.len >= sizeof(tmp))
		return false;
	memcpy(tmp, a.p, a.len);
	tmp[a.len] = '\0';
	if (inet_pton(family, tmp, bin) != 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (bin[i] != 0)
			return false;
	}
	return true;
}

static int
parse_conn(struct sdp_conn *c, const struct sdp_line *l, size_t idx, const char **reason)
{
	struct sdp_str rest = l->value, nettype, addrtype, addr;
	const char *slash;

	if (!next_token(&rest, &nettype) || !next_token(&rest, &addrtype) ||
	    !next_token(&rest, &addr)) {
		*reason = "malformed c= line";
		return EBADMSG;
	}
	/* Several c= at one level (layered multicast): the first one describes it. */
	if (c->present)
		return 0;
	slash = memchr(addr.p, '/', addr.len);
	if (slash != NULL)
		addr.len = (size_t)(slash - addr.p);
	c->present = true;
	c->line = idx;
	c->family = str_eq(nettype, "IN") ? addr_family(addrtype) : 0;
	c->addr = addr;
	c->null_addr = addr_is_null(c->family, addr);
	return 0;
}

static int
parse_origin(struct sdp_origin *o, const struct sdp_line *l, size_t idx, const char **reason)
{
	struct sdp_str rest = l->value, nettype, addrtype;

	if (o->present) {
		*reason = "more than one o= line";
		return EBADMSG;
	}
	if (!next_token(&rest, &o->username) || !next_token(&rest, &o->sess_id) ||
	    !next_token(&rest, &o->sess_version_text) || !next_token(&rest, &nettype) ||
	    !next_token(&rest, &addrtype) || !next_token(&rest, &o->addr)) {
		*reason = "malformed o= line";
		return EBADMSG;
	}
	if (parse_u64(o->sess_version_text, UINT64_MAX, &o->sess_version)) {
		*reason = "o= line with a bad session version";
		return EBADMSG;
	}
	o->family = str_eq(nettype, "IN") ? addr_family(addrtype) : 0;
	o->present = true;
	o->line = idx;
	return 0;
}

static int
parse_media_line(struct sdp_media *m, const struct sdp_line *l, size_t idx, const char **reason)
{
	struct sdp_str rest = l->value, port, fmt;
	const char *slash;
	uint64_t v;

	m->line = idx;
	if (!next_token(&rest, &m->type)) {
		*reason = "m= line without media type";
		return EBADMSG;
	}
	if (!next_token(&rest, &port)) {
		*reason = "m= line without port";
		return EBADMSG;
	}
	m->port_count = 1;
	slash = memchr(port.p, '/', port.len);
	if (slash != NULL) {
		struct sdp_str cnt = { slash + 1, port.len - (size_t)(slash - port.p) - 1 };

		if (parse_u64(cnt, 65535, &v) || v == 0) {
			*reason = "m= line with a bad port count";
			return EBADMSG;
		}
		m->port_count = (unsigned)v;
		port.len = (size_t)(slash - port.p);
	}
	if (parse_u64(port, 65535, &v)) {
		*reason = "m= line with a bad port";
		return EBADMSG;
	}
	m->port = (uint16_t)v;
	if (!next_token(&rest, &m->proto_text)) {
		*reason = "m= line without protocol";
		return EBADMSG;
	}
	m->proto = sdp_proto_from_name(m->proto_text.p, m->proto_text.len);
	while (rest.len > 0 && (rest.p[0] == ' ' || rest.p[0] == '\t')) {
		rest.p++;
		rest.len--;
	}
	m->formats = rest;
	while (next_token(&rest, &fmt)) {
		if (m->nfmt == SDP_MAX_FORMATS) {
			*reason = "too many formats on m= line";
			return EBADMSG;
		}
		m->fmt[m->nfmt++] = fmt;
	}
	return 0;
}

static void
classify_attr(struct sdp_line *l)
{
	const char *colon = memchr(l->value.p, ':', l->value.len);
	struct sdp_str n;

	l->name = l->value;
	l->attr_value.p = l->value.p + l->value.len;
	l->attr_value.len = 0;
	if (colon != NULL) {
		l->name.len = (size_t)(colon - l->value.p);
		l->attr_value.p = colon + 1;
		l->attr_value.len = l->value.len - l->name.len - 1;
	}
	n = l->name;
	if (str_eq(n, "rtpmap"))
		l->attr = SDP_ATTR_RTPMAP;
	else if (str_eq(n, "fmtp"))
		l->attr = SDP_ATTR_FMTP;
	else if (str_eq(n, "ptime"))
		l->attr = SDP_ATTR_PTIME;
	else if (str_eq(n, "crypto"))
		l->attr = SDP_ATTR_CRYPTO;
	else if (str_eq(n, "rtcp"))
		l->attr = SDP_ATTR_RTCP;
	else if (str_eq(n, "rtcp-mux"))
		l->attr = SDP_ATTR_RTCP_MUX;
	else if (str_eq(n, "sendrecv"))
		l->attr = SDP_ATTR_SENDRECV;
	else if (str_eq(n, "sendonly"))
		l->attr = SDP_ATTR_SENDONLY;
	else if (str_eq(n, "recvonly"))
		l->attr = SDP_ATTR_RECVONLY;
	else if (str_eq(n, "inactive"))
		l->attr = SDP_ATTR_INACTIVE;
	else if (str_eq(n, "candidate") || str_eq(n, "remote-candidates") ||
	    str_eq(n, "end-of-candidates") || str_prefix(n, "ice-"))
		l->attr = SDP_ATTR_ICE;
	else if (str_eq(n, "fingerprint"))
		l->attr = SDP_ATTR_FINGERPRINT;
	else if (str_eq(n, "setup"))
		l->attr = SDP_ATTR_SETUP;
	else if (str_eq(n, "tls-id"))
		l->attr = SDP_ATTR_TLS_ID;
	else if (str_eq(n, "tcap") || str_eq(n, "acap") || str_eq(n, "pcfg") ||
	    str_eq(n, "acfg") || str_eq(n, "csup") || str_eq(n, "creq"))
		l->attr = SDP_ATTR_CAPNEG;
	else
		l->attr = SDP_ATTR_OTHER;
}

static enum sdp_dir
attr_dir(enum sdp_attr a)
{
	switch (a) {
	case SDP_ATTR_SENDRECV:
		return SDP_DIR_SENDRECV;
	case SDP_ATTR_SENDONLY:
		return SDP_DIR_SENDONLY;
	case SDP_ATTR_RECVONLY:
		return SDP_DIR_RECVONLY;
	case SDP_ATTR_INACTIVE:
		return SDP_DIR_INACTIVE;
	default:
		return SDP_DIR_NONE;
	}
}

static void
media_add_crypto(struct sdp_media *m, const struct sdp_line *l, size_t idx)
{
	struct sdp_crypto c;
	const char *why = NULL;
	int err;

	m->ncrypto_lines++;
	err = sdp_crypto_parse(&c, l->attr_value.p, l->attr_value.len, &why);
	if (err == 0 && m->ncrypto == SDP_MAX_CRYPTO) {
		err = E2BIG;
		why = "too many crypto lines";
	}
	if (err == 0) {
		m->crypto[m->ncrypto++] = c;
		return;
	}
	if (m->nskipped < SDP_MAX_CRYPTO) {
		m->skipped[m->nskipped].line = idx;
		m->skipped[m->nskipped].err = err;
		m->skipped[m->nskipped].reason = why;
		m->nskipped++;
	}
}

static void
media_add_rtcp(struct sdp_media *m, const struct sdp_line *l)
{
	struct sdp_str rest = l->attr_value, port;
	uint64_t v;

	/* A malformed a=rtcp is dropped by the rewriter anyway; just don't trust it. */
	if (next_token(&rest, &port) && parse_u64(port, 65535, &v) == 0) {
		m->has_rtcp = true;
		m->rtcp_port = (uint16_t)v;
	}
}

/* Interprets one line; idx is its index in sdp->lines. */
static int
parse_line(struct sdp *sdp, size_t idx, size_t *nattrs, const char **reason)
{
	struct sdp_line *l = &sdp->lines[idx];
	struct sdp_media *m = sdp->nmedia ? &sdp->media[sdp->nmedia - 1] : NULL;
	enum sdp_dir d;

	switch (l->type) {
	case 'v':
		if (idx != 0) {
			*reason = "v= line not first";
			return EBADMSG;
		}
		return 0;
	case 'o':
		if (m != NULL) {
			*reason = "o= line inside a media section";
			return EBADMSG;
		}
		return parse_origin(&sdp->origin, l, idx, reason);
	case 'c':
		return parse_conn(m ? &m->conn : &sdp->conn, l, idx, reason);
	case 'm':
		if (sdp->nmedia == SDP_MAX_MEDIA) {
			*reason = SDP_ERR_TOO_MANY_MEDIA;
			return EBADMSG;
		}
		if (m != NULL)
			m->end = idx;
		else
			sdp->nsession = idx;
		*nattrs = 0;
		/* sdp_parse zeroes only the session part: each media is cleared as it starts. */
		memset(&sdp->media[sdp->nmedia], 0, sizeof(sdp->media[0]));
		return parse_media_line(&sdp->media[sdp->nmedia++], l, idx, reason);
	case 'a':
		break;
	default:
		return 0;
	}

	if (++*nattrs > SDP_MAX_ATTRS) {
		*reason = "too many attributes";
		return EBADMSG;
	}
	classify_attr(l);
	if (l->attr == SDP_ATTR_CAPNEG)
		sdp->capneg = true;
	d = attr_dir(l->attr);
	if (m == NULL) {
		if (d != SDP_DIR_NONE)
			sdp->dir = d;
		else if (l->attr == SDP_ATTR_ICE)
			sdp->ice = true;
		else if (l->attr == SDP_ATTR_FINGERPRINT || l->attr == SDP_ATTR_SETUP)
			sdp->dtls = true;
		return 0;
	}
	if (d != SDP_DIR_NONE) {
		m->dir = d;
		return 0;
	}
	switch (l->attr) {
	case SDP_ATTR_CRYPTO:
		media_add_crypto(m, l, idx);
		break;
	case SDP_ATTR_RTCP:
		media_add_rtcp(m, l);
		break;
	case SDP_ATTR_RTCP_MUX:
		m->rtcp_mux = true;
		break;
	case SDP_ATTR_ICE:
		m->ice = true;
		break;
	case SDP_ATTR_FINGERPRINT:
	case SDP_ATTR_SETUP:
		m->dtls = true;
		break;
	default:
		break;
	}
	return 0;
}

/* Splits the copy into lines; checks the characters of each. */
static int
split_lines(struct sdp *sdp, const char **reason)
{
	char *p = sdp->buf, *end = sdp->buf + sdp->len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		struct sdp_line *l;

		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol == p) {
			/* Blank lines carry nothing; tolerate them (trailing ones are common). */
			p = nl ? nl + 1 : end;
			continue;
		}
		for (const char *q = p; q < eol; q++) {
			unsigned char c = (unsigned char)*q;

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				*reason = "control character in SDP";
				return EBADMSG;
			}
		}
		if (eol - p < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z') {
			*reason = "malformed SDP line";
			return EBADMSG;
		}
		if (sdp->nlines == SDP_MAX_LINES) {
			*reason = "too many lines in SDP";
			return EBADMSG;
		}
		l = &sdp->lines[sdp->nlines++];
		l->type = p[0];
		l->text.p = p;
		l->text.len = (size_t)(eol - p);
		l->value.p = p + 2;
		l->value.len = l->text.len - 2;
		/* trailing blanks ("v=0 ", a key followed by spaces) mean nothing: the text
		 * stays as written, the value is read without them */
		while (l->value.len > 0 && (l->value.p[l->value.len - 1] == ' ' ||
		    l->value.p[l->value.len - 1] == '\t'))
			l->value.len--;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int
sdp_parse(struct sdp **sdpp, const char *buf, size_t len, const char **reason)
{
	struct sdp *sdp;
	size_t nattrs = 0, nl = 1;
	const char *why = NULL;
	int err;

	if (len == 0) {
		*reason = "empty SDP";
		return EBADMSG;
	}
	if (len > SDP_MAX_SIZE) {
		*reason = "SDP too large";
		return EBADMSG;
	}
	for (size_t i = 0; i < len; i++)
		nl += buf[i] == '\n';
	if (nl > SDP_MAX_LINES)
		nl = SDP_MAX_LINES;

	/* ~60 KB, mostly media slots: zero the session part, each media when it starts. */
	sdp = sdp_alloc();
	if (sdp == NULL)
		return ENOMEM;
	memset(sdp, 0, offsetof(struct sdp, media));
	sdp->nmedia = 0;
	sdp->buf = malloc(len + 1);
	sdp->lines = calloc(nl, sizeof(*sdp->lines));
	if (sdp->buf == NULL || sdp->lines == NULL) {
		err = ENOMEM;
		goto out;
	}
	memcpy(sdp->buf, buf, len);
	sdp->buf[len] = '\0';
	sdp->len = len;

	err = split_lines(sdp, &why);
	if (err)
		goto out;
	if (sdp->nlines == 0 || sdp->lines[0].type != 'v') {
		why = "SDP does not start with v=";
		err = EBADMSG;
		goto out;
	}
	if (!str_eq(sdp->lines[0].value, "0")) {
		why = "unsupported SDP version";
		err = EBADMSG;
		goto out;
	}
	sdp->nsession = sdp->nlines;
	for (size_t i = 0; i < sdp->nlines; i++) {
		err = parse_line(sdp, i, &nattrs, &why);
		if (err)
			goto out;
	}
	if (sdp->nmedia > 0)
		sdp->media[sdp->nmedia - 1].end = sdp->nlines;
	if (sdp->capneg)
		sdp_capneg_resolve(sdp);
 out:
	if (err) {
		if (why != NULL)
			*reason = why;
		else if (err == ENOMEM)
			*reason = "out of memory";
		sdp_free(sdp);
	} else {
		*sdpp = sdp;
	}
	return err;
}
