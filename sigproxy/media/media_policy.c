/* SPDX-License-Identifier: BSD-2-Clause */
/* Encryption policy per side, decided per m= line: which lines to refuse, which profile to
 * ask of mediad, whether its SDP may go to a side; and the ng request itself. */
#include <errno.h>
#include <string.h>

#include "bencode.h"
#include "media.h"

static const char *const line_reasons[] = {
	"ok", "plain RTP on a side that requires SRTP", "SRTP profile without a usable key",
	"SRTP on a side whose policy is off",
};

const char *
policy_line_reason(enum policy_line v)
{
	return (unsigned)v < 4 ? line_reasons[v] : "?";
}

enum policy_line
policy_line_in(enum sp_policy p, const struct sdp_line_info *mi)
{
	if (mi->savp && p == SP_POLICY_OFF)
		return POLICY_LINE_SRTP;
	/* SAVP without a usable key would relay silence: never accepted */
	if (mi->savp && !mi->crypto)
		return POLICY_LINE_NOKEY;
	/* RTP/AVP with a key is best-effort SRTP (RFC 8643): SRTP enough for required */
	if (p == SP_POLICY_REQUIRED && !(mi->rtp && mi->crypto))
		return POLICY_LINE_PLAIN;
	return POLICY_LINE_OK;
}

void
policy_plan_in(enum sp_policy p, const struct sdp_info *si, struct policy_plan *pl)
{
	unsigned i;

	memset(pl, 0, sizeof(*pl));
	for (i = 0; i < si->nmedia; i++) {
		const struct sdp_line_info *mi = &si->m[i];
		enum policy_line v;

		if (mi->disabled)
			continue;
		pl->active++;
		v = policy_line_in(p, mi);
		if (v != POLICY_LINE_OK) {
			pl->reject |= 1u << i;
			if (pl->first == 0) {
				pl->first = i + 1;
				pl->why = v;
			}
			continue;
		}
		pl->usable++;
		if (mi->rtp && mi->crypto && !mi->savp && p == SP_POLICY_OFF)
			pl->strip |= 1u << i;	/* OSRTP from an off side: answered plain */
		else if (mi->rtp && mi->crypto)
			pl->srtp |= 1u << i;
	}
}

int
policy_sdp_out_check(enum sp_policy p, const struct sdp_info *si, uint32_t srtp,
    unsigned *bad)
{
	unsigned i;

	*bad = 0;
	if (si->nmedia == 0 || si->too_many)
		return 488;
	for (i = 0; i < si->nmedia; i++) {
		const struct sdp_line_info *mi = &si->m[i];

		if (mi->disabled)
			continue;
		if ((p == SP_POLICY_REQUIRED && !mi->crypto) || (p == SP_POLICY_OFF && mi->crypto) ||
		    (mi->savp && !mi->crypto) || ((srtp & (1u << i)) && !mi->crypto)) {
			*bad = i + 1;
			return 488;
		}
	}
	return 0;
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

bool
policy_offer_osrtp(enum sp_policy recipient, bool sender_srtp, bool keys_safe)
{
	return recipient == SP_POLICY_OPTIONAL && !sender_srtp && keys_safe;
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
    const char *profile, bool osrtp, struct bencode_item **dp)
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
	if (osrtp) {
		static const char *const offer[] = { "offer" };

		if ((err = add_list(a, d, "OSRTP", offer, 1)))
			return err;
	}
	*dp = d;
	return 0;
}
