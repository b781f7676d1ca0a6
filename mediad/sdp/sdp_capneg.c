/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 5939 SDP capability negotiation: the SRTP potential configuration of a media, if any. */

/*
 * What devices send for best-effort SRTP (Avaya Aura, AudioCodes "SRTP offer: both",
 * Asterisk's capneg patch, Cisco's "best effort"): an RTP/AVP media whose potential
 * configuration offers RTP/SAVP with SDES keys:
 *
 *   m=audio 49170 RTP/AVP 0 18
 *   a=tcap:1 RTP/SAVP RTP/SAVPF          (transport capabilities 1 and 2)
 *   a=acap:1 crypto:1 AES_CM_128_HMAC_SHA1_80 inline:...|2^20|1:4
 *   a=acap:2 crypto:2 AES_CM_128_HMAC_SHA1_32 inline:...
 *   a=pcfg:1 t=1 a=1|2                   (SAVP with acap 1, or with acap 2)
 *
 * The answer takes one configuration: m= with its transport, the chosen a=crypto as an
 * actual attribute, and "a=acfg:1 t=1 a=1". Only transports and crypto attributes are
 * understood here; any other capability keeps the media on its actual configuration.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "sdp.h"

#define CAP_NUM_MAX 1024u	/* capability numbers are 1..2^31; beyond this, nobody */

static bool
name_is(const struct sdp_line *l, const char *n)
{
	return l->attr == SDP_ATTR_CAPNEG && l->name.len == strlen(n) &&
	    strncasecmp(l->name.p, n, l->name.len) == 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal at *pp (advanced past it); 0 when there is none or it is out of range. */
static unsigned
take_num(const char **pp, const char *end)
{
	const char *p = *pp;
	unsigned v = 0;

	while (p < end && *p >= '0' && *p <= '9' && v <= CAP_NUM_MAX)
		v = v * 10 + (unsigned)(*p++ - '0');
	if (p == *pp || v > CAP_NUM_MAX)
		return 0;
	*pp = p;
	return v;
}

/* The profile of transport capability num, looked up in lines [from, to). */
static enum sdp_proto
tcap_find(const struct sdp *sdp, size_t from, size_t to, unsigned num)
{
	for (size_t i = from; i < to; i++) {
		const struct sdp_line *l = &sdp->lines[i];
		const char *p, *end;
		unsigned n;

		/* only a= lines have an attribute value (the others' is not set) */
		if (!name_is(l, "tcap"))
			continue;
		p = l->attr_value.p;
		end = p + l->attr_value.len;
		n = take_num(&p, end);
		if (n == 0 || n > num)
			continue;
		/* "a=tcap:1 RTP/SAVP RTP/SAVPF": numbers n, n+1, ... in order */
		for (;;) {
			const char *tok;

			while (p < end && is_blank(*p))
				p++;
			tok = p;
			while (p < end && !is_blank(*p))
				p++;
			if (p == tok)
				break;
			if (n++ != num)
				continue;
			if (p - tok == 8 && memcmp(tok, "RTP/SAVP", 8) == 0)
				return SDP_PROTO_RTP_SAVP;
			if (p - tok == 9 && memcmp(tok, "RTP/SAVPF", 9) == 0)
				return SDP_PROTO_RTP_SAVPF;
			return SDP_PROTO_KEEP;	/* known, but not SDES-SRTP */
		}
	}
	return SDP_PROTO_KEEP;
}

/* The line of attribute capability num in [from, to), or NULL. */
static const struct sdp_line *
acap_find(const struct sdp *sdp, size_t from, size_t to, unsigned num)
{
	for (size_t i = from; i < to; i++) {
		const struct sdp_line *l = &sdp->lines[i];
		const char *p, *end;

		if (!name_is(l, "acap"))
			continue;
		p = l->attr_value.p;
		end = p + l->attr_value.len;
		if (take_num(&p, end) == num && p < end && is_blank(*p))
			return l;
	}
	return NULL;
}

/* An a=creq at session level or in m asks for an extension we do not have. */
static bool
creq_unknown(const struct sdp *sdp, const struct sdp_media *m)
{
	for (size_t i = 0; i < sdp->nlines; i++) {
		const struct sdp_line *l = &sdp->lines[i];

		if ((i < sdp->nsession || (i > m->line && i < m->end)) && name_is(l, "creq"))
			return true;	/* the base framework needs no option tag */
	}
	return false;
}

/* Candidate crypto lines of one configuration, in preference order. */
struct cfg_try {
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	size_t n;
	struct sdp_crypto_skip skipped[SDP_MAX_CRYPTO];
	size_t nskipped;
};

/*
 * The attribute capability num (index of its line) as a crypto line of t; false when
 * it is not a crypto attribute at all (the configuration is then not ours to take).
 */
static bool
try_acap(const struct sdp *sdp, const struct sdp_media *m, unsigned num, struct cfg_try *t)
{
	const struct sdp_line *l = acap_find(sdp, m->line + 1, m->end, num);
	const char *p, *end, *why = NULL;
	struct sdp_crypto c;
	int err;

	if (l == NULL)
		l = acap_find(sdp, 0, sdp->nsession, num);
	if (l == NULL)
		return false;
	p = l->attr_value.p;
	end = p + l->attr_value.len;
	(void)take_num(&p, end);
	while (p < end && is_blank(*p))
		p++;
	if ((size_t)(end - p) < 7 || strncasecmp(p, "crypto:", 7) != 0)
		return false;
	err = sdp_crypto_parse(&c, p + 7, (size_t)(end - p - 7), &why);
	if (err == 0 && t->n < SDP_MAX_CRYPTO) {
		c.acap = num;
		t->crypto[t->n++] = c;
	} else if (t->nskipped < SDP_MAX_CRYPTO) {
		t->skipped[t->nskipped].line = (size_t)(l - sdp->lines);
		t->skipped[t->nskipped].err = err ? err : E2BIG;
		t->skipped[t->nskipped].reason = err ? why : "too many crypto lines";
		t->nskipped++;
	}
	explicit_bzero(&c, sizeof(c));
	return true;
}

/*
 * "a=<acap-list>": alternatives split by '|', each a ','-list of capability numbers
 * ('+' mandatory, "[...]" optional; a leading "-m:"/"-s:"/"-ms:" deletes actual
 * attributes, which our own answer does anyway). Every capability must be a crypto
 * attribute. false: something else is asked.
 */
static bool
parse_acap_list(const struct sdp *sdp, const struct sdp_media *m, const char *p,
    const char *end, struct cfg_try *t)
{
	const char *colon;

	if (p < end && *p == '-') {
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL)
			return false;
		p = colon + 1;
	}
	while (p < end) {
		unsigned num;

		if (*p == '|' || *p == ',' || *p == '+' || *p == '[' || *p == ']') {
			p++;
			continue;
		}
		num = take_num(&p, end);
		if (num == 0 || !try_acap(sdp, m, num, t))
			return false;
	}
	return true;
}

/*
 * One "a=pcfg:<n> t=<list> a=<list>": true with *tcap and *proto when it offers an SRTP
 * transport and only crypto attributes (their usable lines in t).
 */
static bool
parse_pcfg(const struct sdp *sdp, const struct sdp_media *m, const struct sdp_line *l,
    unsigned *cfgp, unsigned *tcap, enum sdp_proto *proto, struct cfg_try *t)
{
	const char *p = l->attr_value.p, *end = p + l->attr_value.len;
	bool have_t = false;
	unsigned cfg;

	cfg = take_num(&p, end);
	if (cfg == 0)
		return false;
	while (p < end) {
		const char *tok, *tend;

		while (p < end && is_blank(*p))
			p++;
		tok = p;
		while (p < end && !is_blank(*p))
			p++;
		tend = p;
		if (tend == tok)
			break;
		if (tend - tok > 2 && tok[0] == 't' && tok[1] == '=') {
			/* alternatives: the first SRTP one */
			const char *q = tok + 2;

			while (q < tend && !have_t) {
				unsigned n = take_num(&q, tend);
				enum sdp_proto pr;

				if (n == 0)
					return false;
				pr = tcap_find(sdp, m->line + 1, m->end, n);
				if (pr == SDP_PROTO_KEEP)
					pr = tcap_find(sdp, 0, sdp->nsession, n);
				if (pr != SDP_PROTO_KEEP) {
					*tcap = n;
					*proto = pr;
					have_t = true;
				}
				if (q < tend && *q == '|')
					q++;
				else if (q < tend)
					return false;
			}
		} else if (tend - tok > 2 && tok[0] == 'a' && tok[1] == '=') {
			if (!parse_acap_list(sdp, m, tok + 2, tend, t))
				return false;
		} else {
			/* RFC 6871 media capabilities, extensions: not ours */
			return false;
		}
	}
	*cfgp = cfg;
	return have_t && t->n > 0;
}

static void
media_resolve(const struct sdp *sdp, struct sdp_media *m, struct cfg_try *t)
{
	unsigned best = 0, cfg, tcap = 0;
	enum sdp_proto proto = SDP_PROTO_KEEP;
	size_t lines0 = m->ncrypto_lines, skipped0 = m->nskipped;

	if ((m->proto != SDP_PROTO_RTP_AVP && m->proto != SDP_PROTO_RTP_AVPF) || m->port == 0 ||
	    m->ncrypto > 0 || creq_unknown(sdp, m))
		return;
	/* pcfg is media-level; the lowest configuration number is the most preferred */
	for (size_t i = m->line + 1; i < m->end; i++) {
		const struct sdp_line *l = &sdp->lines[i];

		if (!name_is(l, "pcfg"))
			continue;
		memset(t, 0, sizeof(*t));
		if (!parse_pcfg(sdp, m, l, &cfg, &tcap, &proto, t) || (best != 0 && cfg >= best))
			continue;
		best = cfg;
		memcpy(m->crypto, t->crypto, t->n * sizeof(t->crypto[0]));
		m->ncrypto = t->n;
		m->capneg.cfg = cfg;
		m->capneg.tcap = tcap;
		m->capneg.proto = proto;
		/* the configuration's crypto capabilities count as the media's crypto lines */
		m->nskipped = skipped0;
		for (size_t k = 0; k < t->nskipped && m->nskipped < SDP_MAX_CRYPTO; k++)
			m->skipped[m->nskipped++] = t->skipped[k];
		m->ncrypto_lines = lines0 + t->n + t->nskipped;
	}
	explicit_bzero(t, sizeof(*t));
}

void
sdp_capneg_resolve(struct sdp *sdp)
{
	struct cfg_try t;	/* peers' keys: wiped after each media */

	for (size_t i = 0; i < sdp->nmedia; i++)
		media_resolve(sdp, &sdp->media[i], &t);
}
