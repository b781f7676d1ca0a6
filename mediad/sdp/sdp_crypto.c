/* SPDX-License-Identifier: BSD-2-Clause */
/* SDES a=crypto lines (RFC 4568): tolerant parsing, formatting, and choosing one for an answer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
sdp_base64_decode(unsigned char *out, size_t size, const char *in, size_t len, size_t *outlen)
{
	size_t pad = 0, n = 0, i;
	uint32_t acc = 0;
	unsigned bits = 0;

	/* Padding only at the end, and only as much as completes a quantum. */
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len % 4 == 1)
		return EBADMSG;
	if (pad > 0 && (len + pad) % 4 != 0)
		return EBADMSG;
	for (i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0)
			return EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= size)
				return ENOSPC;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Non-zero leftover bits (a sloppy encoder) are ignored: tolerance wins here. */
	if (outlen)
		*outlen = n;
	return 0;
}

int
sdp_base64_encode(char *out, size_t size, const unsigned char *in, size_t len, bool pad,
    size_t *outlen)
{
	size_t need = (len / 3) * 4, n = 0, i;

	if (len % 3)
		need += pad ? 4 : (len % 3) + 1;
	if (need + 1 > size)
		return ENOSPC;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[n++] = b64_alphabet[(v >> 18) & 63];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = b64_alphabet[(v >> 6) & 63];
		out[n++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[n++] = b64_alphabet[(v >> 18) & 63];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		if (pad) {
			out[n++] = '=';
			out[n++] = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[n++] = b64_alphabet[(v >> 18) & 63];
		out[n++] = b64_alphabet[(v >> 12) & 63];
		out[n++] = b64_alphabet[(v >> 6) & 63];
		if (pad)
			out[n++] = '=';
	}
	out[n] = '\0';
	if (outlen)
		*outlen = n;
	return 0;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated token of [*pp, end): its start; *pp moves past it. */
static const char *
next_token(const char **pp, const char *end)
{
	const char *p = *pp, *tok;

	while (p < end && is_ws(*p))
		p++;
	tok = p;
	while (p < end && !is_ws(*p))
		p++;
	*pp = p;
	return tok;
}

/* Decimal without sign, at most max; 0 or EBADMSG. */
static int
parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EBADMSG;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return EBADMSG;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool
token_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

static bool
token_prefix(const char *s, size_t len, const char *lit)
{
	size_t l = strlen(lit);

	return len >= l && strncasecmp(s, lit, l) == 0;
}

/* "2^n" or decimal; n > 63 saturates, as no stream lives that long anyway. */
static int
parse_lifetime(const char *s, size_t len, uint64_t *out)
{
	uint64_t v;

	if (len > 2 && s[0] == '2' && s[1] == '^') {
		if (parse_uint(s + 2, len - 2, 1000, &v))
			return EBADMSG;
		*out = v > 63 ? UINT64_MAX : (uint64_t)1 << v;
		return 0;
	}
	if (parse_uint(s, len, UINT64_MAX, &v) || v == 0)
		return EBADMSG;
	*out = v;
	return 0;
}

/* The one key-param: "inline:<b64>[|lifetime][|mki:len]". */
static int
parse_key_param(struct sdp_crypto *c, const struct crypto_suite_info *info, const char *s,
    size_t len, const char **reason)
{
	unsigned char raw[CRYPTO_MAX_KEY_SALT + 16];
	const char *end = s + len, *p, *bar;
	size_t rawlen;
	int err;

	if (!token_prefix(s, len, "inline:")) {
		*reason = "crypto key method is not inline";
		return EBADMSG;
	}
	p = s + 7;
	bar = memchr(p, '|', (size_t)(end - p));
	if (bar == NULL)
		bar = end;
	if (bar == p) {
		*reason = "crypto key is empty";
		return EBADMSG;
	}
	c->key_padded = bar[-1] == '=';
	err = sdp_base64_decode(raw, sizeof(raw), p, (size_t)(bar - p), &rawlen);
	if (err == 0 && rawlen == info->key_len + info->salt_len)
		memcpy(c->key.key_salt, raw, rawlen);
	explicit_bzero(raw, sizeof(raw));   /* a peer's master key: no copies left on the stack */
	if (err == ENOSPC) {
		*reason = "crypto key too long for its suite";
		return EINVAL;
	}
	if (err) {
		*reason = "crypto key is not valid base64";
		return EBADMSG;
	}
	if (rawlen != info->key_len + info->salt_len) {
		*reason = "crypto key length does not match its suite";
		return EINVAL;
	}
	c->key.key_salt_len = rawlen;
	c->key.suite = info->suite;

	/* Up to two optional fields; the MKI is the one carrying ':'. */
	for (int field = 0; bar < end; field++) {
		const char *f = bar + 1, *colon;
		size_t flen;

		bar = memchr(f, '|', (size_t)(end - f));
		if (bar == NULL)
			bar = end;
		flen = (size_t)(bar - f);
		colon = memchr(f, ':', flen);
		if (field >= 2 || flen == 0) {
			*reason = "crypto key has malformed parameters";
			return EBADMSG;
		}
		if (colon == NULL) {
			/* RFC 4568 puts the lifetime first; after the MKI is tolerated */
			if (c->has_lifetime || parse_lifetime(f, flen, &c->lifetime)) {
				*reason = "crypto key lifetime is malformed";
				return EBADMSG;
			}
			c->has_lifetime = true;
		} else {
			uint64_t val, l;

			/* RFC 4568: 1..128 bytes, the value written in that many bytes */
			if (c->has_mki || parse_uint(f, (size_t)(colon - f), UINT32_MAX, &val) ||
			    parse_uint(colon + 1, (size_t)(bar - colon - 1), 128, &l) || l == 0 ||
			    (l < 4 && val >> (8 * l) != 0)) {
				*reason = "crypto key MKI is malformed";
				return EBADMSG;
			}
			c->has_mki = true;
			c->mki_value = (uint32_t)val;
			c->mki_len = (unsigned)l;
		}
	}
	return 0;
}

static int
parse_session_param(struct sdp_crypto *c, const char *s, size_t len, const char **reason)
{
	uint64_t v;

	if (token_eq(s, len, "UNENCRYPTED_SRTP")) {
		c->params |= CRYPTO_PARAM_UNENCRYPTED_SRTP;
	} else if (token_eq(s, len, "UNENCRYPTED_SRTCP")) {
		c->params |= CRYPTO_PARAM_UNENCRYPTED_SRTCP;
	} else if (token_eq(s, len, "UNAUTHENTICATED_SRTP")) {
		c->params |= CRYPTO_PARAM_UNAUTHENTICATED_SRTP;
	} else if (token_prefix(s, len, "KDR=")) {
		if (parse_uint(s + 4, len - 4, 24, &v)) {
			*reason = "crypto KDR parameter is malformed";
			return EBADMSG;
		}
		c->has_kdr = true;
		c->kdr = (unsigned)v;
	} else if (token_prefix(s, len, "WSH=")) {
		if (parse_uint(s + 4, len - 4, UINT32_MAX, &v)) {
			*reason = "crypto WSH parameter is malformed";
			return EBADMSG;
		}
		c->has_wsh = true;
		c->wsh = (unsigned)v;
	} else if (token_eq(s, len, "FEC_ORDER=FEC_SRTP")) {
		c->fec_order_srtp_fec = false;
	} else if (token_eq(s, len, "FEC_ORDER=SRTP_FEC")) {
		c->fec_order_srtp_fec = true;
	} else if (token_prefix(s, len, "FEC_KEY=")) {
		*reason = "crypto FEC_KEY is not supported";
		return ENOTSUP;
	} else {
		/* RFC 4568 6.3: an unknown session parameter makes the line unusable. */
		*reason = "crypto line has an unknown session parameter";
		return ENOTSUP;
	}
	return 0;
}

int
sdp_crypto_parse(struct sdp_crypto *out, const char *val, size_t len, const char **reason)
{
	const struct crypto_suite_info *info;
	struct sdp_crypto c;
	const char *p = val, *end = val + len, *tok, *semi;
	enum crypto_suite suite;
	uint64_t tag;
	int err;

	memset(&c, 0, sizeof(c));
	if (len >= 9 && strncasecmp(p, "a=crypto:", 9) == 0)
		p += 9;
	while (p < end && is_ws(*p))
		p++;
	/* Trailing CR or blanks are not part of the value. */
	while (end > p && (is_ws(end[-1]) || end[-1] == '\r' || end[-1] == '\n'))
		end--;

	tok = next_token(&p, end);
	if ((size_t)(p - tok) > 9 || parse_uint(tok, (size_t)(p - tok), 999999999, &tag)) {
		*reason = "crypto tag is not a number";
		return EBADMSG;
	}
	c.tag = (uint32_t)tag;

	tok = next_token(&p, end);
	if (p == tok) {
		*reason = "crypto line without suite";
		return EBADMSG;
	}
	suite = crypto_suite_from_name(tok, (size_t)(p - tok));

	tok = next_token(&p, end);
	if (p == tok) {
		*reason = "crypto line without key";
		return EBADMSG;
	}
	if (suite == CRYPTO_SUITE_NONE) {
		*reason = "crypto suite not supported";
		return ENOTSUP;
	}
	info = crypto_suite_info(suite);
	semi = memchr(tok, ';', (size_t)(p - tok));
	if (semi != NULL) {
		/* Several master keys, told apart by their MKIs: one key per context here. */
		*reason = "crypto line carries several inline keys";
		return ENOTSUP;
	}
	err = parse_key_param(&c, info, tok, (size_t)(p - tok), reason);
	if (err)
		goto out;

	while (p < end && err == 0) {
		tok = next_token(&p, end);
		if (p > tok)
			err = parse_session_param(&c, tok, (size_t)(p - tok), reason);
	}
	if (err)
		goto out;

	/* Well formed but beyond what the SRTP layer does. */
	if (c.has_kdr && c.kdr != 0) {
		*reason = "crypto key derivation rate is not supported";
		err = ENOTSUP;
	} else {
		/* the key carries what the SRTP context needs: MKI in packets, lifetime */
		c.key.mki_len = c.has_mki ? c.mki_len : 0;
		c.key.mki = c.has_mki ? c.mki_value : 0;
		c.key.lifetime = c.has_lifetime ? c.lifetime : 0;
		*out = c;
	}
 out:
	/* The peer's master key: no copy left on the stack. */
	explicit_bzero(&c, sizeof(c));
	return err;
}

int
sdp_crypto_format(char *buf, size_t size, uint32_t tag, const struct crypto_key *key,
    unsigned flags, size_t *lenp)
{
	const struct crypto_suite_info *info = crypto_suite_info(key->suite);
	char b64[(CRYPTO_MAX_KEY_SALT + 2) / 3 * 4 + 1], life[24] = "", mki[24] = "";
	int n;

	if (info == NULL || tag > 999999999 ||
	    key->key_salt_len != info->key_len + info->salt_len ||
	    key->mki_len > CRYPTO_MKI_MAX_LEN)
		return EINVAL;
	if (sdp_base64_encode(b64, sizeof(b64), key->key_salt, key->key_salt_len,
	    (flags & SDP_CRYPTO_FMT_PAD) != 0, NULL))
		return EINVAL;
	if (key->lifetime != 0 && (key->lifetime & (key->lifetime - 1)) == 0)
		snprintf(life, sizeof(life), "|2^%d", __builtin_ctzll(key->lifetime));
	else if (key->lifetime != 0)
		snprintf(life, sizeof(life), "|%llu", (unsigned long long)key->lifetime);
	else if (flags & SDP_CRYPTO_FMT_LIFETIME)
		snprintf(life, sizeof(life), "|2^31");
	if (key->mki_len > 0)
		snprintf(mki, sizeof(mki), "|%u:%u", (unsigned)key->mki, key->mki_len);
	n = snprintf(buf, size, "a=crypto:%u %s inline:%s%s%s%s%s%s", (unsigned)tag, info->name,
	    b64, life, mki,
	    (flags & CRYPTO_PARAM_UNENCRYPTED_SRTP) ? " UNENCRYPTED_SRTP" : "",
	    (flags & CRYPTO_PARAM_UNENCRYPTED_SRTCP) ? " UNENCRYPTED_SRTCP" : "",
	    (flags & CRYPTO_PARAM_UNAUTHENTICATED_SRTP) ? " UNAUTHENTICATED_SRTP" : "");
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;
	if (lenp)
		*lenp = (size_t)n;
	return 0;
}

int
sdp_crypto_select(const struct sdp_crypto *offered, size_t n, unsigned allow,
    struct sdp_crypto *out)
{
	for (size_t i = 0; i < n; i++) {
		enum crypto_suite s = offered[i].key.suite;

		if (crypto_suite_info(s) != NULL && (allow & SDP_CRYPTO_SUITE_BIT(s))) {
			*out = offered[i];
			return 0;
		}
	}
	return ENOENT;
}

int
sdp_crypto_allow_apply(struct sdp_crypto_allow *a, const char *opt, size_t len)
{
	enum crypto_suite s;

	if (token_prefix(opt, len, "no-")) {
		s = crypto_suite_from_name(opt + 3, len - 3);
		if (s == CRYPTO_SUITE_NONE)
			return EINVAL;
		a->no |= SDP_CRYPTO_SUITE_BIT(s);
		return 0;
	}
	if (token_prefix(opt, len, "only-")) {
		s = crypto_suite_from_name(opt + 5, len - 5);
		if (s == CRYPTO_SUITE_NONE)
			return EINVAL;
		a->only |= SDP_CRYPTO_SUITE_BIT(s);
		return 0;
	}
	return ENOENT;
}

unsigned
sdp_crypto_allow_finish(const struct sdp_crypto_allow *a)
{
	if (a->only)
		return a->only & SDP_CRYPTO_ALLOW_ALL;
	return a->mask & ~a->no & SDP_CRYPTO_ALLOW_ALL;
}
