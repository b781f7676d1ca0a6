/* SPDX-License-Identifier: BSD-2-Clause */
/* Produces the SDP a recipient sees from a parsed SDP: our addresses, ports, profile and keys. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp.h"

/* Static RTP payload types (RFC 3551 table 4 and 5) that get an explicit a=rtpmap. */
static const char *const static_pt[35] = {
	[0] = "PCMU/8000", [3] = "GSM/8000", [4] = "G723/8000", [5] = "DVI4/8000",
	[6] = "DVI4/16000", [7] = "LPC/8000", [8] = "PCMA/8000", [9] = "G722/8000",
	[10] = "L16/44100/2", [11] = "L16/44100", [12] = "QCELP/8000", [13] = "CN/8000",
	[14] = "MPA/90000", [15] = "G728/8000", [16] = "DVI4/11025", [17] = "DVI4/22050",
	[18] = "G729/8000", [25] = "CelB/90000", [26] = "JPEG/90000", [28] = "nv/90000",
	[31] = "H261/90000", [32] = "MPV/90000", [33] = "MP2T/90000", [34] = "H263/90000",
};

/* Growing output; the first failure sticks so call sites need not check each append. */
struct out {
	char *p;
	size_t len, cap;
	int err;
};

static void
out_append(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n + 1 > SDP_MAX_SIZE + 1) {
		o->err = EMSGSIZE;
		return;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		char *np;

		while (cap < o->len + n + 1)
			cap *= 2;
		/* Not realloc(): the old block may hold our keys and must be wiped before release. */
		np = malloc(cap);
		if (np == NULL) {
			o->err = ENOMEM;
			return;
		}
		if (o->p != NULL) {
			memcpy(np, o->p, o->len);
			explicit_bzero(o->p, o->cap);
			free(o->p);
		}
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!o->err)
			o->err = EMSGSIZE;
		return;
	}
	out_append(o, tmp, (size_t)n);
}

static void
out_line(struct out *o, struct sdp_str s)
{
	out_append(o, s.p, s.len);
	out_append(o, "\r\n", 2);
}

static bool
sa_usable(const struct sa *a)
{
	return sa_family(a) == AF_INET || sa_family(a) == AF_INET6;
}

/* "IN IP4 192.0.2.1" for c= and o=. */
static void
out_addr(struct out *o, const struct sa *a)
{
	char ip[SA_STRLEN];

	sa_format_ip(a, ip, sizeof(ip));
	out_printf(o, "IN %s %s", sa_family(a) == AF_INET6 ? "IP6" : "IP4", ip);
}

/* Is this c= line a hold address (0.0.0.0 / ::)? Re-parsed as one level may hold several c=. */
static bool
conn_is_null(const struct sdp_line *l)
{
	const char *p = l->value.p, *end = p + l->value.len;
	const char *a;
	int words = 0;
	size_t n;

	/* Third word, up to '/': the address. */
	while (p < end && words < 2) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		words++;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	a = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '/')
		p++;
	n = (size_t)(p - a);
	if (n == 7 && memcmp(a, "0.0.0.0", 7) == 0)
		return true;
	if (n == 2 && memcmp(a, "::", 2) == 0)
		return true;
	return false;
}

static void
out_conn(struct out *o, const struct sdp_line *l, const struct sa *a, unsigned flags)
{
	if (conn_is_null(l) && !(flags & SDP_RW_REPLACE_ZERO_ADDR)) {
		out_line(o, l->text);
		return;
	}
	out_append(o, "c=", 2);
	out_addr(o, a);
	out_append(o, "\r\n", 2);
}

static void
out_origin(struct out *o, const struct sdp *sdp, const struct sdp_line *l,
    const struct sdp_rw_params *p, const struct sa *origin)
{
	const struct sdp_origin *og = &sdp->origin;
	const char *after;

	if (!(p->flags & (SDP_RW_REPLACE_ORIGIN | SDP_RW_SDP_VERSION))) {
		out_line(o, l->text);
		return;
	}
	/* "o=" user SP id SP: everything before the version, verbatim. */
	out_append(o, l->text.p, (size_t)(og->sess_version_text.p - l->text.p));
	if (p->flags & SDP_RW_SDP_VERSION)
		out_printf(o, "%llu", (unsigned long long)p->sdp_version);
	else
		out_append(o, og->sess_version_text.p, og->sess_version_text.len);
	after = og->sess_version_text.p + og->sess_version_text.len;
	if (p->flags & SDP_RW_REPLACE_ORIGIN) {
		out_append(o, " ", 1);
		out_addr(o, origin);
		out_append(o, "\r\n", 2);
	} else {
		out_append(o, after, (size_t)(l->text.p + l->text.len - after));
		out_append(o, "\r\n", 2);
	}
}

/* Attributes dropped at both levels whatever the media parameters. */
static bool
attr_dropped(const struct sdp_line *l, unsigned flags)
{
	switch (l->attr) {
	case SDP_ATTR_CRYPTO:
	case SDP_ATTR_CAPNEG:
		return true;   /* the peer's keys never travel on (a=acap holds them too) */
	case SDP_ATTR_ICE:
		return (flags & SDP_RW_ICE_REMOVE) != 0;
	case SDP_ATTR_FINGERPRINT:
	case SDP_ATTR_SETUP:
	case SDP_ATTR_TLS_ID:
		return (flags & SDP_RW_DTLS_REMOVE) != 0;
	default:
		return false;
	}
}

static bool
media_has_rtpmap(const struct sdp *sdp, const struct sdp_media *m, struct sdp_str pt)
{
	for (size_t i = m->line + 1; i < m->end; i++) {
		const struct sdp_line *l = &sdp->lines[i];

		if (l->attr == SDP_ATTR_RTPMAP && l->attr_value.len > pt.len &&
		    memcmp(l->attr_value.p, pt.p, pt.len) == 0 &&
		    (l->attr_value.p[pt.len] == ' ' || l->attr_value.p[pt.len] == '\t'))
			return true;
	}
	return false;
}

/* Static payload type number of a format, or -1. */
static int
fmt_static_pt(struct sdp_str f)
{
	int v = 0;

	if (f.len == 0 || f.len > 2)
		return -1;
	for (size_t i = 0; i < f.len; i++) {
		if (f.p[i] < '0' || f.p[i] > '9')
			return -1;
		v = v * 10 + (f.p[i] - '0');
	}
	if (v >= (int)(sizeof(static_pt) / sizeof(static_pt[0])) || static_pt[v] == NULL)
		return -1;
	return v;
}

static bool
is_rtp(const struct sdp_media *m)
{
	return m->proto != SDP_PROTO_KEEP;
}

/* Missing a=rtpmap for static payload types, in format order; returns the count. */
static size_t
out_static_rtpmaps(struct out *o, const struct sdp *sdp, const struct sdp_media *m)
{
	unsigned char done[sizeof(static_pt) / sizeof(static_pt[0])] = { 0 };
	size_t n = 0;

	if (!is_rtp(m))
		return 0;
	for (size_t i = 0; i < m->nfmt; i++) {
		int pt = fmt_static_pt(m->fmt[i]);

		if (pt < 0 || done[pt])
			continue;
		done[pt] = 1;
		if (media_has_rtpmap(sdp, m, m->fmt[i]))
			continue;
		out_printf(o, "a=rtpmap:%d %s\r\n", pt, static_pt[pt]);
		n++;
	}
	return n;
}

static void
out_media_line(struct out *o, const struct sdp_media *m, const struct sdp_rw_media *rw)
{
	const char *proto = sdp_proto_name(rw->proto);

	out_printf(o, "m=%.*s %u", (int)m->type.len, m->type.p, (unsigned)rw->port);
	if (m->port_count > 1)
		out_printf(o, "/%u", m->port_count);
	out_append(o, " ", 1);
	if (proto != NULL)
		out_append(o, proto, strlen(proto));
	else
		out_append(o, m->proto_text.p, m->proto_text.len);
	if (m->formats.len > 0) {
		out_append(o, " ", 1);
		out_append(o, m->formats.p, m->formats.len);
	}
	out_append(o, "\r\n", 2);
}

static int
out_crypto(struct out *o, const struct sdp_rw_media *rw, unsigned flags)
{
	unsigned fmt = 0;

	if (flags & SDP_RW_CRYPTO_PAD)
		fmt |= SDP_CRYPTO_FMT_PAD;
	if (flags & SDP_RW_CRYPTO_LIFETIME)
		fmt |= SDP_CRYPTO_FMT_LIFETIME;
	for (size_t i = 0; i < rw->ncrypto; i++) {
		char line[SDP_CRYPTO_LINE_MAX];
		size_t n;
		int err;

		err = sdp_crypto_format(line, sizeof(line), rw->crypto[i].tag, &rw->crypto[i].key,
		    fmt | (rw->crypto[i].params & CRYPTO_PARAM_ALL), &n);
		if (err)
			return err;
		out_append(o, line, n);
		out_append(o, "\r\n", 2);
	}
	return 0;
}

/* One media section; active media get our port, profile, rtcp, direction and keys. */
static int
out_media(struct out *o, const struct sdp *sdp, const struct sdp_media *m,
    const struct sdp_rw_media *rw, const struct sdp_rw_params *p, const struct sa *addr,
    const struct sa *sess_addr, const char **reason)
{
	bool active = m->port != 0 && !rw->reject;
	bool need_conn = false;
	bool rtpmaps_done = !active;
	bool mux_out;
	size_t nattrs = 0;
	int err;

	/* A media inheriting the session c= gets its own when our address for it differs. */
	if (!m->conn.present) {
		if (!sdp->conn.present)
			need_conn = true;
		else if (!(conn_is_null(&sdp->lines[sdp->conn.line]) &&
		    !(p->flags & SDP_RW_REPLACE_ZERO_ADDR)))
			need_conn = !sa_equal_ip(addr, sess_addr);
	}
	if (active) {
		out_media_line(o, m, rw);
	} else if (m->port != 0) {
		struct sdp_rw_media rej = { .port = 0, .proto = SDP_PROTO_KEEP };

		out_media_line(o, m, &rej);
	} else {
		out_line(o, sdp->lines[m->line].text);
	}

	for (size_t i = m->line + 1; i < m->end; i++) {
		const struct sdp_line *l = &sdp->lines[i];

		/* RFC 4566 order: i= then c=, b=, k=, a=; our insertions keep it. */
		if (need_conn && l->type != 'i') {
			out_append(o, "c=", 2);
			out_addr(o, addr);
			out_append(o, "\r\n", 2);
			need_conn = false;
		}
		if (!rtpmaps_done && l->type == 'a') {
			nattrs += out_static_rtpmaps(o, sdp, m);
			rtpmaps_done = true;
		}
		if (l->type == 'c') {
			out_conn(o, l, addr, p->flags);
			continue;
		}
		if (l->type != 'a') {
			out_line(o, l->text);
			continue;
		}
		if (attr_dropped(l, p->flags))
			continue;
		if (active && l->attr == SDP_ATTR_RTCP)
			continue;
		if (active && l->attr == SDP_ATTR_RTCP_MUX && !rw->rtcp_mux && !rw->rtcp_mux_add)
			continue;
		out_line(o, l->text);
		nattrs++;
	}
	if (need_conn) {
		out_append(o, "c=", 2);
		out_addr(o, addr);
		out_append(o, "\r\n", 2);
	}
	if (!rtpmaps_done)
		nattrs += out_static_rtpmaps(o, sdp, m);
	if (!active)
		return 0;

	if (m->dir == SDP_DIR_NONE && !(p->flags & SDP_RW_ORIGINAL_SENDRECV)) {
		out_printf(o, "a=%s\r\n", sdp_dir_name(sdp_media_dir(sdp, m)));
		nattrs++;
	}
	if (rw->rtcp_mux_add && !m->rtcp_mux) {
		out_append(o, "a=rtcp-mux\r\n", 12);
		nattrs++;
	}
	/* With a=rtcp-mux in the output RTCP shares the RTP port: no a=rtcp. */
	mux_out = rw->rtcp_mux_add || (rw->rtcp_mux && m->rtcp_mux);
	if (!(p->flags & SDP_RW_NO_RTCP_ATTR) && !mux_out) {
		if (rw->port == 65535) {
			*reason = "no room for the RTCP port";
			return EINVAL;
		}
		out_printf(o, "a=rtcp:%u", (unsigned)rw->port + 1);
		if (p->flags & SDP_RW_FULL_RTCP_ATTR) {
			out_append(o, " ", 1);
			out_addr(o, &rw->addr);
		}
		out_append(o, "\r\n", 2);
		nattrs++;
	}
	if (rw->crypto_mode == SDP_RW_CRYPTO_EMIT) {
		err = out_crypto(o, rw, p->flags);
		if (err) {
			*reason = "crypto line cannot be formatted";
			return err;
		}
		nattrs += rw->ncrypto;
	}
	if (rw->acfg_cfg != 0) {
		out_printf(o, "a=acfg:%u t=%u", rw->acfg_cfg, rw->acfg_tcap);
		if (rw->acfg_acap != 0)
			out_printf(o, " a=%u", rw->acfg_acap);
		out_append(o, "\r\n", 2);
		nattrs++;
	}
	if (nattrs > SDP_MAX_ATTRS) {
		*reason = "too many attributes after rewriting";
		return EMSGSIZE;
	}
	return 0;
}

static int
check_params(const struct sdp *sdp, const struct sdp_rw_params *p, const char **reason)
{
	if (p->nmedia != sdp->nmedia) {
		*reason = "rewrite parameters do not match the media lines";
		return EINVAL;
	}
	for (size_t i = 0; i < sdp->nmedia; i++) {
		const struct sdp_rw_media *rw = &p->media[i];

		if (sdp->media[i].port == 0 || rw->reject)
			continue;
		if (!sa_usable(&rw->addr) || rw->port == 0) {
			*reason = "no local address or port for an active media";
			return EINVAL;
		}
		if (sdp_proto_name(rw->proto) == NULL && rw->proto != SDP_PROTO_KEEP) {
			*reason = "bad transport protocol";
			return EINVAL;
		}
		if (rw->crypto_mode == SDP_RW_CRYPTO_EMIT &&
		    (rw->ncrypto == 0 || rw->ncrypto > SDP_RW_MAX_CRYPTO)) {
			*reason = "bad number of crypto lines";
			return EINVAL;
		}
	}
	return 0;
}

/* The address for session-level lines: explicit, else the first active media's. */
static const struct sa *
pick_addr(const struct sdp *sdp, const struct sdp_rw_params *p, const struct sa *explicit_addr)
{
	static const struct sa none;

	if (sa_usable(explicit_addr))
		return explicit_addr;
	for (size_t i = 0; i < sdp->nmedia; i++) {
		if (sdp->media[i].port != 0 && !p->media[i].reject)
			return &p->media[i].addr;
	}
	for (size_t i = 0; i < sdp->nmedia; i++) {
		if (sa_usable(&p->media[i].addr))
			return &p->media[i].addr;
	}
	return &none;
}

int
sdp_rewrite(const struct sdp *sdp, const struct sdp_rw_params *p, char **outp,
    size_t *lenp, const char **reason)
{
	struct out o = { NULL, 0, 0, 0 };
	const struct sa *sess_addr, *origin_addr;
	struct sa null4;
	const char *why = NULL;
	int err;

	err = check_params(sdp, p, &why);
	if (err)
		goto out;
	sess_addr = pick_addr(sdp, p, &p->session_addr);
	origin_addr = pick_addr(sdp, p, &p->origin_addr);
	/* Only rejected media and no address given: say "nowhere" rather than keep the peer's. */
	if (!sa_usable(sess_addr) || !sa_usable(origin_addr)) {
		memset(&null4, 0, sizeof(null4));
		sa_parse_ip(&null4, "0.0.0.0", 7, 0);
		if (!sa_usable(sess_addr))
			sess_addr = &null4;
		if (!sa_usable(origin_addr))
			origin_addr = &null4;
	}

	for (size_t i = 0; i < sdp->nsession; i++) {
		const struct sdp_line *l = &sdp->lines[i];

		if (l->type == 'o')
			out_origin(&o, sdp, l, p, origin_addr);
		else if (l->type == 'c')
			out_conn(&o, l, sess_addr, p->flags);
		else if (l->type == 'a' && attr_dropped(l, p->flags))
			continue;
		else
			out_line(&o, l->text);
	}
	for (size_t i = 0; i < sdp->nmedia && !o.err; i++) {
		const struct sdp_rw_media *rw = &p->media[i];
		const struct sa *a = (sdp->media[i].port != 0 && !rw->reject) ||
		    sa_usable(&rw->addr) ? &rw->addr : sess_addr;

		if (!sa_usable(a))
			a = sess_addr;
		err = out_media(&o, sdp, &sdp->media[i], rw, p, a, sess_addr, &why);
		if (err)
			goto out;
	}
	err = o.err;
	if (err == EMSGSIZE)
		why = "rewritten SDP too large";
	else if (err == ENOMEM)
		why = "out of memory";
	if (err == 0) {
		/* Our additions can push a long SDP past what sdp_parse() takes back (re-offers). */
		size_t nlines = 0;

		for (size_t i = 0; i < o.len; i++)
			nlines += o.p[i] == '\n';
		if (nlines > SDP_MAX_LINES) {
			err = EMSGSIZE;
			why = "rewritten SDP has too many lines";
		}
	}
 out:
	if (err) {
		if (o.p != NULL)
			explicit_bzero(o.p, o.cap);
		free(o.p);
		*reason = why ? why : "SDP rewrite failed";
	} else {
		*outp = o.p;
		*lenp = o.len;
	}
	return err;
}
