/* SPDX-License-Identifier: BSD-2-Clause */
/* Encryption policy per side: what an SDP carries, which profile to ask of mediad, when to refuse. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "bencode.h"
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

/* "a=crypto:<tag> <suite> inline:<key>": only the suite decides usability here. */
static void
crypto_line(const char *s, size_t n, struct sdp_info *out)
{
	const char *p = s + 9, *end = s + n, *suite;

	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	suite = p;
	while (p < end && *p != ' ')
		p++;
	if (p < end && suite_supported(suite, (size_t)(p - suite)) &&
	    memmem(p, (size_t)(end - p), "inline:", 7) != NULL) {
		if (!out->crypto)
			memcpy(out->suite, suite, (size_t)(p - suite));
		out->crypto = true;
	}
}

void
policy_sdp_scan(const char *sdp, size_t len, struct sdp_info *out)
{
	const char *p = sdp, *end = sdp + len;

	memset(out, 0, sizeof(*out));
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (has_prefix(p, n, "m=")) {
			out->has_media = true;
			if (memmem(p, n, "RTP/SAVP", 8) != NULL)
				out->savp = true;
		} else if (has_prefix(p, n, "a=crypto:") && n < 512) {
			crypto_line(p, n, out);
		}
		p = nl ? nl + 1 : NULL;
	}
}

const char *
policy_offer_profile(enum sp_policy recipient, bool sender_srtp)
{
	switch (recipient) {
	case SP_POLICY_REQUIRED:
		return "RTP/SAVP";
	case SP_POLICY_OPTIONAL:
		return sender_srtp ? "RTP/SAVP" : "RTP/AVP";
	default:
		return "RTP/AVP";
	}
}

int
policy_offer_check(enum sp_policy p, const struct sdp_info *si)
{
	if (p == SP_POLICY_REQUIRED && !(si->savp && si->crypto))
		return 488;
	/* SAVP without a usable key would relay silence: never accept it */
	if (p != SP_POLICY_OFF && si->savp && !si->crypto)
		return 488;
	return 0;
}

int
policy_answer_check(enum sp_policy p, const struct sdp_info *si)
{
	if (!si->has_media)
		return 488;
	if (p == SP_POLICY_REQUIRED && !(si->savp && si->crypto))
		return 488;
	if (si->savp && !si->crypto)
		return 488;
	return 0;
}

static int
add_list(struct bencode_arena *a, struct bencode_item *d, const char *key, const char *const *v,
    unsigned n)
{
	struct bencode_item *l = bencode_list(a);
	unsigned i;
	int err;

	if (l == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++) {
		struct bencode_item *s = bencode_cstr(a, v[i]);

		if (s == NULL)
			return ENOMEM;
		if ((err = bencode_list_add(l, s)))
			return err;
	}
	return bencode_dict_add(a, d, key, l);
}

/* Splits cfg->sdes ("only-X no-Y") into an arena list. */
static int
add_sdes(struct bencode_arena *a, struct bencode_item *d, const char *sdes)
{
	struct bencode_item *l;
	const char *p = sdes;
	int err;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	l = bencode_list(a);
	if (l == NULL)
		return ENOMEM;
	while (*p != '\0') {
		const char *s = p;
		struct bencode_item *it;

		while (*p != '\0' && *p != ' ' && *p != ',')
			p++;
		if (p > s) {
			it = bencode_str(a, s, (size_t)(p - s));
			if (it == NULL)
				return ENOMEM;
			if ((err = bencode_list_add(l, it)))
				return err;
		}
		while (*p == ' ' || *p == ',')
			p++;
	}
	return bencode_dict_add(a, d, "SDES", l);
}

int
policy_ng_flag(struct bencode_arena *a, struct bencode_item *d, const char *flag)
{
	struct bencode_item *l = bencode_dict_get(d, "flags");

	if (l == NULL) {
		l = bencode_list(a);
		if (l == NULL)
			return ENOMEM;
		if (bencode_dict_add(a, d, "flags", l))
			return ENOMEM;
	}
	return bencode_list_add(l, bencode_cstr(a, flag));
}

int
policy_ng_dict(struct bencode_arena *a, const struct sp_config *cfg, const char *op,
    const char *call_id, const char *from_tag, const char *to_tag, const char *branch,
    const char *sdp, size_t sdp_len, enum sp_side from_side, enum sp_side to_side,
    const char *profile, struct bencode_item **dp)
{
	static const char *const replace[] = { "origin", "session-connection" };
	static const char *const mux[] = { "demux" };
	static const char *const sup[] = { "load limit" };
	const char *dir[2];
	struct bencode_item *d;
	int err;

	if (call_id == NULL || from_tag == NULL || op == NULL)
		return EINVAL;
	d = bencode_dict(a);
	if (d == NULL)
		return ENOMEM;
	dir[0] = cfg->iface[from_side];
	dir[1] = cfg->iface[to_side];
	if ((err = bencode_dict_add_cstr(a, d, "command", op)) ||
	    (err = bencode_dict_add_cstr(a, d, "call-id", call_id)) ||
	    (err = bencode_dict_add_cstr(a, d, "from-tag", from_tag)) ||
	    (to_tag && to_tag[0] && (err = bencode_dict_add_cstr(a, d, "to-tag", to_tag))) ||
	    (branch && branch[0] && (err = bencode_dict_add_cstr(a, d, "via-branch", branch))))
		return err;
	if (strcmp(op, "delete") == 0) {
		/* mediad answers with each leg's totals in a few hundred bytes (ng_legs_read) */
		static const char *const summary[] = { "leg-summary" };

		if ((err = add_list(a, d, "flags", summary, 1)))
			return err;
		*dp = d;
		return 0;
	}
	if (sdp == NULL)
		return EINVAL;
	if ((err = bencode_dict_add_str(a, d, "sdp", sdp, sdp_len)) ||
	    (err = add_list(a, d, "direction", dir, 2)) ||
	    (err = bencode_dict_add_cstr(a, d, "transport-protocol", profile)) ||
	    (err = bencode_dict_add_cstr(a, d, "ICE", "remove")) ||
	    (err = bencode_dict_add_cstr(a, d, "DTLS", "off")) ||
	    (err = add_list(a, d, "replace", replace, 2)) ||
	    (err = add_list(a, d, "rtcp-mux", mux, 1)) ||
	    (err = add_list(a, d, "supports", sup, 1)) ||
	    (err = bencode_dict_add_cstr(a, d, "label", sp_side_name(from_side))) ||
	    (err = add_sdes(a, d, cfg->sdes)))
		return err;
	*dp = d;
	return 0;
}
