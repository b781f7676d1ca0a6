/* SPDX-License-Identifier: BSD-2-Clause */
/* SIP message parsing: our own line scanner for framing and exact copies, libosip2 for semantics. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "sip_int.h"

static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void
osip_trace_silent(const char *fi, int li, osip_trace_level_t level, const char *chfr,
    va_list ap)
{
}

static void
sip_init_once(void)
{
	int level;

	parser_init();
	/* libosip2 prints its own parse errors to stderr; ours go through sip_error. */
	osip_trace_initialize_func(TRACE_LEVEL0, osip_trace_silent);
	for (level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++)
		osip_trace_disable_level((osip_trace_level_t)level);
}

void
sip_init(void)
{
	pthread_once(&sip_once, sip_init_once);
}

static void
err_set(struct sip_error *err, int status, const char *reason)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	err->status = status;
	snprintf(err->reason, sizeof(err->reason), "%s", reason);
}

/* Header names we act on; compact forms from RFC 3261 §7.3.3 (and "k" for Supported). */
static const struct {
	const char *name;
	char compact;
	enum sip_hdr_id id;
} sip_hdr_names[] = {
	{ "Via", 'v', SIP_HDR_VIA },
	{ "From", 'f', SIP_HDR_FROM },
	{ "To", 't', SIP_HDR_TO },
	{ "Call-ID", 'i', SIP_HDR_CALL_ID },
	{ "CSeq", 0, SIP_HDR_CSEQ },
	{ "Content-Length", 'l', SIP_HDR_CONTENT_LENGTH },
	{ "Content-Type", 'c', SIP_HDR_CONTENT_TYPE },
	{ "Max-Forwards", 0, SIP_HDR_MAX_FORWARDS },
	{ "Contact", 'm', SIP_HDR_CONTACT },
	{ "Route", 0, SIP_HDR_ROUTE },
	{ "Record-Route", 0, SIP_HDR_RECORD_ROUTE },
	{ "Proxy-Require", 0, SIP_HDR_PROXY_REQUIRE },
	{ "Require", 0, SIP_HDR_REQUIRE },
	{ "Supported", 'k', SIP_HDR_OTHER },
	{ "Subject", 's', SIP_HDR_OTHER },
	{ "Content-Encoding", 'e', SIP_HDR_OTHER },
};

enum sip_hdr_id
sip_hdr_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(sip_hdr_names) / sizeof(sip_hdr_names[0]); i++) {
		if (len == 1 && sip_hdr_names[i].compact != 0 &&
		    (name[0] | 0x20) == sip_hdr_names[i].compact)
			return sip_hdr_names[i].id;
		if (strlen(sip_hdr_names[i].name) == len &&
		    strncasecmp(sip_hdr_names[i].name, name, len) == 0)
			return sip_hdr_names[i].id;
	}
	return SIP_HDR_OTHER;
}

/* Two names of a header we do not act on: equal, or long and compact forms of one. */
bool
sip_hdr_same_other(const char *name, size_t len, const char *want)
{
	size_t i, wlen = strlen(want);

	if (len == wlen && strncasecmp(name, want, len) == 0)
		return true;
	for (i = 0; i < sizeof(sip_hdr_names) / sizeof(sip_hdr_names[0]); i++) {
		const char *lng = sip_hdr_names[i].name;
		char c = sip_hdr_names[i].compact;

		if (sip_hdr_names[i].id != SIP_HDR_OTHER || c == 0)
			continue;
		if ((strcasecmp(want, lng) == 0 || (wlen == 1 && (want[0] | 0x20) == c)) &&
		    ((len == strlen(lng) && strncasecmp(name, lng, len) == 0) ||
		    (len == 1 && (name[0] | 0x20) == c)))
			return true;
	}
	return false;
}

bool
sip_is_token_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return strchr("-.!%*_+`'~", c) != NULL && c != 0;
}

/* Length of the line starting at p (terminator excluded) and of its terminator (CRLF or LF). */
static int
line_next(const char *p, size_t avail, size_t *linelen, size_t *termlen)
{
	const char *lf = memchr(p, '\n', avail);

	if (lf == NULL)
		return ENODATA;
	*linelen = (size_t)(lf - p);
	*termlen = 1;
	if (*linelen > 0 && p[*linelen - 1] == '\r') {
		(*linelen)--;
		*termlen = 2;
	}
	return 0;
}


/*
 * Finds the end of the header section: *hdr_end is the offset just after the empty
 * line. ENODATA when no empty line is in buf[0..len) (and len <= limit), EBADMSG
 * when the section would exceed limit.
 */
static int
find_header_end(const char *buf, size_t len, size_t limit, size_t *hdr_end)
{
	size_t off = 0, ll, tl;
	int err;

	for (;;) {
		if (off >= limit)
			return EBADMSG;
		err = line_next(buf + off, len - off, &ll, &tl);
		if (err) {
			if (len - off > limit - off)
				return EBADMSG;
			return ENODATA;
		}
		if (off + ll + tl > limit)
			return EBADMSG;
		off += ll + tl;
		if (ll == 0 && off > tl) {
			*hdr_end = off;
			return 0;
		}
		if (ll == 0)
			return EBADMSG;	/* empty start line: callers skip CRLFs first */
	}
}

static size_t
skip_crlf(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

/* Strict decimal, no sign, no spaces; false on overflow of max. */
bool
sip_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Unfolds value bytes [p, p+n) into dst: each CRLF/LF + WSP run becomes one SP; trims. */
static size_t
unfold(char *dst, const char *p, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	while (i < n) {
		if (p[i] == '\r' || p[i] == '\n') {
			while (i < n && (p[i] == '\r' || p[i] == '\n' || p[i] == ' ' || p[i] == '\t'))
				i++;
			dst[o++] = ' ';
			continue;
		}
		dst[o++] = p[i++];
	}
	while (o > 0 && (dst[o - 1] == ' ' || dst[o - 1] == '\t'))
		o--;
	dst[o] = '\0';
	return o;
}

/* Splits the header section of m->raw into m->hdrs; EBADMSG with a reason. */
static int
scan_headers(struct sip_msg *m, unsigned max_headers, const char **why)
{
	size_t off, ll, tl, cap = 16;
	char *arena_p = m->arena;
	struct sip_hdr *h;

	m->hdrs = calloc(cap, sizeof(*m->hdrs));
	if (m->hdrs == NULL)
		return ENOMEM;
	/*
	 * CR only ever ends a line: a bare one would be read as a line end by some
	 * parsers and as data by others (found by fuzz_sip: libosip2 lost headers).
	 */
	for (off = 0; off < m->hdr_end; off++) {
		if (m->raw[off] == '\r' && (off + 1 >= m->hdr_end || m->raw[off + 1] != '\n')) {
			*why = "bare CR in header section";
			return EBADMSG;
		}
	}
	if (line_next(m->raw, m->hdr_end, &ll, &tl) != 0)
		return EBADMSG;
	m->start_len = ll;
	off = ll + tl;
	while (off < m->hdr_end) {
		const char *line = m->raw + off, *colon;
		size_t nlen, end;

		if (line_next(line, m->hdr_end - off, &ll, &tl) != 0)
			return EBADMSG;
		if (ll == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			*why = "continuation line without a header";
			return EBADMSG;
		}
		colon = memchr(line, ':', ll);
		if (colon == NULL) {
			*why = "header line without a colon";
			return EBADMSG;
		}
		nlen = (size_t)(colon - line);
		while (nlen > 0 && (line[nlen - 1] == ' ' || line[nlen - 1] == '\t'))
			nlen--;
		if (nlen == 0) {
			*why = "empty header name";
			return EBADMSG;
		}
		for (size_t i = 0; i < nlen; i++) {
			if (!sip_is_token_char((unsigned char)line[i])) {
				*why = "invalid character in a header name";
				return EBADMSG;
			}
		}
		/* Continuation lines belong to this header. */
		end = off + ll + tl;
		for (;;) {
			size_t l2, t2;

			if (end >= m->hdr_end || (m->raw[end] != ' ' && m->raw[end] != '\t'))
				break;
			if (line_next(m->raw + end, m->hdr_end - end, &l2, &t2) != 0)
				return EBADMSG;
			end += l2 + t2;
		}
		if (m->nhdrs == max_headers) {
			*why = "too many header lines";
			return EBADMSG;
		}
		if (m->nhdrs == cap) {
			struct sip_hdr *n = reallocarray(m->hdrs, cap * 2, sizeof(*n));

			if (n == NULL)
				return ENOMEM;
			m->hdrs = n;
			cap *= 2;
		}
		h = &m->hdrs[m->nhdrs++];
		h->name = line;
		h->name_len = nlen;
		h->id = sip_hdr_lookup(line, nlen);
		h->line_off = off;
		h->line_len = end - off;
		h->value = arena_p;
		h->value_len = unfold(arena_p, colon + 1, (size_t)(m->raw + end - (colon + 1)));
		arena_p += h->value_len + 1;
		off = end;
	}
	return 0;
}

/* Splits the start line into method/URI/version or version/code/reason (strictness is in validate). */
static int
scan_start_line(struct sip_msg *m, const char **why)
{
	const char *p = m->raw, *e = m->raw + m->start_len, *sp1, *sp2;
	size_t n;

	sp1 = memchr(p, ' ', m->start_len);
	if (sp1 == NULL || sp1 == p) {
		*why = "start line without spaces";
		return EBADMSG;
	}
	m->sl = calloc(1, m->start_len + 3);
	if (m->sl == NULL)
		return ENOMEM;
	if (m->start_len >= 4 && strncmp(p, "SIP/", 4) == 0) {
		uint64_t code;

		m->request = false;
		n = (size_t)(sp1 - p);
		sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
		if (sp2 == NULL)
			sp2 = e;
		if (!sip_parse_uint(sp1 + 1, (size_t)(sp2 - sp1 - 1), 999, &code) ||
		    sp2 - sp1 - 1 != 3) {
			*why = "bad status code";
			return EBADMSG;
		}
		m->status = (int)code;
		memcpy(m->sl, p, n);
		m->version = m->sl;
		m->reason = m->sl + n + 1;
		if (sp2 < e)
			memcpy(m->reason, sp2 + 1, (size_t)(e - sp2 - 1));
		return 0;
	}
	m->request = true;
	sp2 = memrchr(sp1, ' ', (size_t)(e - sp1));
	if (sp2 == sp1) {
		*why = "request line without SIP version";
		return EBADMSG;
	}
	n = (size_t)(sp1 - p);
	memcpy(m->sl, p, n);
	m->method = m->sl;
	m->ruri_str = m->sl + n + 1;
	memcpy(m->ruri_str, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	m->version = m->ruri_str + (sp2 - sp1 - 1) + 1;
	memcpy(m->version, sp2 + 1, (size_t)(e - sp2 - 1));
	return 0;
}

const struct sip_hdr *
sip_msg_hdr_find(const struct sip_msg *m, enum sip_hdr_id id, unsigned idx)
{
	unsigned i;

	for (i = 0; i < m->nhdrs; i++) {
		if (m->hdrs[i].id == id && idx-- == 0)
			return &m->hdrs[i];
	}
	return NULL;
}

unsigned
sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	unsigned i, n = 0;

	for (i = 0; i < m->nhdrs; i++)
		n += m->hdrs[i].id == id;
	return n;
}

static void
scan_fields(struct sip_msg *m)
{
	const struct sip_hdr *h;
	uint64_t v;

	h = sip_msg_hdr_find(m, SIP_HDR_CSEQ, 0);
	if (h != NULL) {
		const char *sp = memchr(h->value, ' ', h->value_len);

		if (sp != NULL && sip_parse_uint(h->value, (size_t)(sp - h->value),
		    UINT32_MAX, &v)) {
			const char *meth = sp;

			while (*meth == ' ' || *meth == '\t')
				meth++;
			m->cseq = (uint32_t)v;
			m->cseq_method = meth;
			m->cseq_ok = *meth != '\0';
			for (const char *c = meth; *c != '\0'; c++)
				if (!sip_is_token_char((unsigned char)*c))
					m->cseq_ok = false;
		}
	}
	h = sip_msg_hdr_find(m, SIP_HDR_MAX_FORWARDS, 0);
	m->max_forwards = SIP_MAX_FORWARDS_DEFAULT;
	m->mf_ok = true;
	if (h != NULL) {
		m->mf_ok = sip_parse_uint(h->value, h->value_len, 255, &v);
		if (m->mf_ok)
			m->max_forwards = (unsigned)v;
	}
	h = sip_msg_hdr_find(m, SIP_HDR_CONTENT_TYPE, 0);
	if (h != NULL) {
		size_t n = strcspn(h->value, ";");

		while (n > 0 && (h->value[n - 1] == ' ' || h->value[n - 1] == '\t'))
			n--;
		m->ctype = strndup(h->value, n);
	}
}

/* %-decodes src[0..n) into a new buffer; bad escapes are kept verbatim (routing sees them as is). */
static char *
unescape(const char *src, size_t n, size_t *outlen)
{
	size_t i, o = 0;
	char *dst = malloc(n + 1);

	if (dst == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (src[i] == '%' && i + 2 < n && isxdigit((unsigned char)src[i + 1]) &&
		    isxdigit((unsigned char)src[i + 2])) {
			char hex[3] = { src[i + 1], src[i + 2], '\0' };

			dst[o++] = (char)strtoul(hex, NULL, 16);
			i += 2;
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
	*outlen = o;
	return dst;
}

/*
 * libosip2 sees a private copy of the header section only: we frame and hold the
 * body ourselves, and its MIME body parser leaks on malformed multipart input
 * (found by fuzz_sip; seed tests/fuzz/seeds/sip/osip_multipart_leak.sip). So its
 * copy has Content-Length renamed to an extension header, and NUL bytes (legal
 * only as quoted-pairs, RFC 4475 intmeth) blanked because it works on C strings.
 */
static int
osip_parse_guarded(const struct sip_msg *m)
{
	char *copy;
	size_t i;
	int rc;

	copy = malloc(m->hdr_end + 1);
	if (copy == NULL)
		return ENOMEM;
	memcpy(copy, m->raw, m->hdr_end);
	copy[m->hdr_end] = '\0';
	for (i = 0; i < m->hdr_end; i++)
		if (copy[i] == '\0')
			copy[i] = ' ';
	for (i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].id == SIP_HDR_CONTENT_LENGTH)
			memset(copy + m->hdrs[i].line_off, 'X', m->hdrs[i].name_len);
	rc = osip_message_parse(m->osip, copy, m->hdr_end) == 0 ? 0 : EBADMSG;
	free(copy);
	return rc;
}

/*
 * The user part straight from the Request-URI text: libosip2 decodes it too, but
 * into a C string that a %00 would cut short (RFC 4475 escnull).
 */
static char *
ruri_user_decode(const char *ruri, size_t *outlen)
{
	const char *colon, *at, *end;
	char *tmp, *dec;

	if (ruri == NULL || (colon = strchr(ruri, ':')) == NULL)
		return unescape("", 0, outlen);
	if (colon - ruri == 3 && strncasecmp(ruri, "tel", 3) == 0) {
		end = colon + 1 + strcspn(colon + 1, ";");
	} else {
		at = strchr(colon + 1, '@');
		if (at == NULL)
			return unescape("", 0, outlen);
		end = memchr(colon + 1, ':', (size_t)(at - colon - 1));
		if (end == NULL)
			end = at;
	}
	tmp = strndup(colon + 1, (size_t)(end - colon - 1));
	if (tmp == NULL)
		return NULL;
	dec = unescape(tmp, strlen(tmp), outlen);
	free(tmp);
	return dec;
}

void
sip_msg_free(struct sip_msg *m)
{
	if (m == NULL)
		return;
	if (m->refs > 0) {
		m->refs--;
		return;
	}
	if (m->osip != NULL)
		osip_message_free(m->osip);
	free(m->raw);
	free(m->arena);
	free(m->hdrs);
	free(m->sl);
	free(m->ctype);
	free(m->ruri_user);
	free(m->call_id_alias);
	free(m);
}

struct sip_msg *
sip_msg_ref(const struct sip_msg *m)
{
	struct sip_msg *w = (struct sip_msg *)m;   /* always heap-allocated by sip_msg_parse */

	w->refs++;
	return w;
}

int
sip_msg_parse(struct sip_msg **mp, const char *buf, size_t len,
    enum tp_proto tp, const struct sip_limits *lim, struct sip_error *err)
{
	size_t max_size = SIP_MAX_SIZE_DEFAULT, s, hdr_end = 0, avail;
	unsigned max_headers = SIP_MAX_HEADERS_DEFAULT;
	struct sip_msg *m = NULL;
	const char *why = "malformed message";
	const struct sip_hdr *h;
	uint64_t cl = 0;
	int rc;

	if (lim != NULL && lim->max_size != 0)
		max_size = lim->max_size;
	if (lim != NULL && lim->max_headers != 0)
		max_headers = lim->max_headers;
	sip_init();
	s = skip_crlf(buf, len);
	buf += s;
	len -= s;
	rc = find_header_end(buf, len, max_size, &hdr_end);
	if (rc == EBADMSG && len > max_size) {
		err_set(err, 513, "Message Too Large");
		return EBADMSG;
	}
	if (rc) {
		err_set(err, 400, "no end of header section");
		return EBADMSG;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	m->tp = tp;
	m->too_large = len > max_size;
	avail = m->too_large ? 0 : len - hdr_end;
	m->raw = malloc(hdr_end + avail + 1);
	m->arena = malloc(hdr_end + 1);
	if (m->raw == NULL || m->arena == NULL) {
		rc = ENOMEM;
		goto out;
	}
	memcpy(m->raw, buf, hdr_end + avail);
	m->raw[hdr_end + avail] = '\0';
	m->hdr_end = hdr_end;
	rc = scan_headers(m, max_headers, &why);
	if (rc == 0)
		rc = scan_start_line(m, &why);
	if (rc) {
		if (rc == EBADMSG)
			err_set(err, 400, why);
		goto out;
	}
	/* Content-Length decides the body: surplus datagram bytes are noise (RFC 3261 §18.3). */
	m->cl_count = sip_msg_hdr_count(m, SIP_HDR_CONTENT_LENGTH);
	m->body_off = hdr_end;
	m->body_len = avail;
	if (m->cl_count > 0) {
		h = sip_msg_hdr_find(m, SIP_HDR_CONTENT_LENGTH, 0);
		if (!sip_parse_uint(h->value, h->value_len, SIZE_MAX / 2, &cl)) {
			m->cl_bad = true;
		} else if (!m->too_large) {
			if (cl < avail)
				m->body_len = (size_t)cl;
			else if (cl > avail)
				m->cl_short = true;
		}
	} else if (tp != TP_UDP) {
		m->cl_bad = true;	/* mandatory on streams; tp_frame() already refused it */
	}
	m->raw_len = hdr_end + m->body_len;
	m->raw[m->raw_len] = '\0';
	scan_fields(m);
	if (osip_message_init(&m->osip) != 0) {
		m->osip = NULL;
		rc = ENOMEM;
		goto out;
	}
	rc = osip_parse_guarded(m);
	if (rc == ENOMEM)
		goto out;
	if (rc) {
		/*
		 * Our scanner still holds the start line and header lines, enough to
		 * answer 400 from; libosip2's half-filled structure is replaced by an
		 * empty one so every accessor sees "absent" rather than garbage.
		 */
		osip_message_free(m->osip);
		m->osip = NULL;
		if (osip_message_init(&m->osip) != 0) {
			m->osip = NULL;
			rc = ENOMEM;
			goto out;
		}
		m->osip_failed = true;
	}
	m->ruri_user = ruri_user_decode(m->request ? m->ruri_str : NULL, &m->ruri_user_len);
	rc = m->ruri_user == NULL ? ENOMEM : 0;
 out:
	if (rc)
		sip_msg_free(m);
	else
		*mp = m;
	return rc;
}
