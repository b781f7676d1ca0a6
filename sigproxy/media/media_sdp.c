/* SPDX-License-Identifier: BSD-2-Clause */
/* What an SDP carries per m= line (profile, keys, port 0), and the edit that refuses lines
 * (port 0) or drops their keys before mediad sees them. No key is ever copied or logged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media.h"

static const char *const suites[] = {
	"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM",
	"AEAD_AES_256_GCM", "AES_256_CM_HMAC_SHA1_80", NULL,
};

static bool
suite_supported(const char *s, size_t n)
{
	unsigned i;

	for (i = 0; suites[i] != NULL; i++)
		if (strlen(suites[i]) == n && strncasecmp(suites[i], s, n) == 0)
			return true;
	return false;
}

static bool
has_prefix(const char *s, size_t n, const char *p)
{
	size_t pl = strlen(p);

	return n >= pl && strncasecmp(s, p, pl) == 0;
}

/* The next line of [p, end): its length without the line ending; *next after it. */
static size_t
line_next(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

	*next = nl ? nl + 1 : end;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* Word w (0-based, split on blanks) of a line; its length, 0 when absent. */
static size_t
word(const char *s, size_t n, unsigned w, const char **out)
{
	const char *p = s, *end = s + n;

	for (;;) {
		const char *b;

		while (p < end && *p == ' ')
			p++;
		b = p;
		while (p < end && *p != ' ')
			p++;
		if (b == p)
			return 0;
		if (w-- == 0) {
			*out = b;
			return (size_t)(p - b);
		}
	}
}

/* "m=<type> <port>[/n] <proto> ...": port 0 and the profile. */
static void
media_line(const char *s, size_t n, struct sdp_line_info *mi)
{
	const char *port, *proto;
	size_t pl = word(s, n, 1, &port), tl = word(s, n, 2, &proto);

	mi->disabled = pl == 0 || port[0] == '0';
	if (tl == 0)
		return;
	/* RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP(F): the rest is not RTP */
	if ((tl == 7 || tl == 8) && strncmp(proto, "RTP/AVP", 7) == 0)
		mi->rtp = tl == 7 || proto[7] == 'F';
	else if ((tl == 8 || tl == 9) && strncmp(proto, "RTP/SAVP", 8) == 0)
		mi->rtp = mi->savp = tl == 8 || proto[8] == 'F';
	else if ((tl == 16 || tl == 17) && strncmp(proto, "UDP/TLS/RTP/SAVP", 16) == 0)
		mi->rtp = mi->savp = tl == 16 || proto[16] == 'F';
}

/*
 * "a=crypto:<tag> <suite> inline:<key>", or the same as an RFC 5939 attribute
 * capability ("a=acap:<n> crypto:<tag> <suite> inline:<key>", first = 1 word further):
 * only the suite decides usability here.
 */
static void
crypto_line(const char *s, size_t n, unsigned first, struct sdp_line_info *mi,
    struct sdp_info *out)
{
	const char *suite = NULL, *key = NULL;
	size_t sl = word(s, n, first, &suite), kl = word(s, n, first + 1, &key);

	if (sl == 0 || !suite_supported(suite, sl) || kl < 7 || strncmp(key, "inline:", 7) != 0)
		return;
	/* a capability is best-effort SRTP on a plain line; an SRTP line needs a=crypto */
	if (first > 1 && mi != NULL && mi->savp)
		return;
	if (out->suite[0] == '\0' && sl < sizeof(out->suite))
		memcpy(out->suite, suite, sl);
	if (mi != NULL)
		mi->crypto = true;
}

/* "a=acap:<n> crypto:...": SDES keys offered as an RFC 5939 capability. */
static bool
is_acap_crypto(const char *s, size_t n)
{
	const char *w;
	size_t wl;

	if (!has_prefix(s, n, "a=acap:"))
		return false;
	wl = word(s, n, 1, &w);
	return wl >= 7 && strncasecmp(w, "crypto:", 7) == 0;
}

void
policy_sdp_scan(const char *sdp, size_t len, struct sdp_info *out)
{
	const char *p = sdp, *end = sdp + len, *next;
	struct sdp_line_info *cur = NULL;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		size_t n = line_next(p, end, &next);

		if (has_prefix(p, n, "m=")) {
			if (out->nmedia >= MEDIA_MAX_LINES) {
				out->too_many = true;
				cur = NULL;
			} else {
				cur = &out->m[out->nmedia++];
				media_line(p, n, cur);
			}
		} else if (has_prefix(p, n, "a=crypto:")) {
			/* keys travel in this SDP, usable or not, wherever they stand */
			out->keys = true;
			if (n < 512)
				crypto_line(p, n, 1, cur, out);
		} else if (is_acap_crypto(p, n)) {
			out->keys = true;
			if (n < 512)
				crypto_line(p, n, 2, cur, out);
		}
		p = next;
	}
}

bool
policy_sdp_has_keys(const char *sdp, size_t len)
{
	struct sdp_info si;

	policy_sdp_scan(sdp, len, &si);
	return si.keys;
}

/* Appends n bytes to the output. */
static void
put(char *out, size_t *o, const char *s, size_t n)
{
	memcpy(out + *o, s, n);
	*o += n;
}

int
policy_sdp_edit(const char *sdp, size_t len, uint32_t reject, uint32_t strip, char **outp,
    size_t *lenp)
{
	const char *p = sdp, *end = sdp + len, *next;
	char *out;
	size_t o = 0;
	int idx = -1;

	/* never longer than the input: ports shrink to "0", key lines go */
	out = malloc(len + 1);
	if (out == NULL)
		return ENOMEM;
	while (p < end) {
		size_t n = line_next(p, end, &next);
		uint32_t bit;

		if (has_prefix(p, n, "m=") && idx < (int)MEDIA_MAX_LINES)
			idx++;
		bit = idx >= 0 && idx < (int)MEDIA_MAX_LINES ? 1u << idx : 0;
		if ((has_prefix(p, n, "a=crypto:") || is_acap_crypto(p, n)) &&
		    (bit & (reject | strip))) {
			p = next;
			continue;	/* a refused line's keys, or keys a plain side must not get */
		}
		if (has_prefix(p, n, "m=") && (bit & reject)) {
			const char *port;
			size_t pl = word(p, n, 1, &port), head = (size_t)(port - p);

			if (pl > 0) {
				/* "m=video 0 RTP/AVP 96": the stream refused (RFC 3264 §6) */
				put(out, &o, p, head);
				put(out, &o, "0", 1);
				while (pl > 0 && port[0] != ' ' && port[0] != '/') {
					port++;
					pl--;
				}
				put(out, &o, port, (size_t)(next - port));
				p = next;
				continue;
			}
		}
		put(out, &o, p, (size_t)(next - p));
		p = next;
	}
	out[o] = '\0';
	*outp = out;
	*lenp = o;
	return 0;
}
