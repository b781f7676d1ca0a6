/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading the keys and flags of ng offer/answer/delete requests into one options struct. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "mediad.h"
#include "ng.h"
#include "ng_int.h"

const char mediad_load_limit[] = "load limit";

const char *
ng_reasonf(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

static bool
name_is(const char *s, size_t len, const char *want)
{
	return ng_name_eq(s, len, want);
}

/* Prefix match with the ng normalisation ('-', '_', ' ' equal, case ignored). */
static bool
name_prefix(const char *s, size_t len, const char *prefix, size_t *rest)
{
	size_t n = strlen(prefix);

	if (len <= n || !ng_name_eq(s, n, prefix))
		return false;
	*rest = n;
	return true;
}

struct sdes_ctx {
	struct ng_opts *o;
	struct sdp_crypto_allow allow;
	const char *bad;
};

static void
sdes_opt(const char *s, size_t len, void *arg)
{
	struct sdes_ctx *ctx = arg;
	struct ng_opts *o = ctx->o;
	int err;

	if (name_is(s, len, "off") || name_is(s, len, "no") || name_is(s, len, "disable") ||
	    name_is(s, len, "disabled")) {
		o->sdes_off = true;
	} else if (name_is(s, len, "pad")) {
		o->rw_flags |= SDP_RW_CRYPTO_PAD;
	} else if (name_is(s, len, "lifetime")) {
		o->rw_flags |= SDP_RW_CRYPTO_LIFETIME;
	} else if (name_is(s, len, "unencrypted srtp")) {
		o->sdes_params_set |= CRYPTO_PARAM_UNENCRYPTED_SRTP;
	} else if (name_is(s, len, "unencrypted srtcp")) {
		o->sdes_params_set |= CRYPTO_PARAM_UNENCRYPTED_SRTCP;
	} else if (name_is(s, len, "unauthenticated srtp")) {
		o->sdes_params_set |= CRYPTO_PARAM_UNAUTHENTICATED_SRTP;
	} else if (name_is(s, len, "encrypted srtp")) {
		o->sdes_params_clear |= CRYPTO_PARAM_UNENCRYPTED_SRTP;
	} else if (name_is(s, len, "encrypted srtcp")) {
		o->sdes_params_clear |= CRYPTO_PARAM_UNENCRYPTED_SRTCP;
	} else if (name_is(s, len, "authenticated srtp")) {
		o->sdes_params_clear |= CRYPTO_PARAM_UNAUTHENTICATED_SRTP;
	} else if (name_is(s, len, "rekey")) {
		o->rekey = true;
	} else if (name_is(s, len, "mki")) {
		o->sdes_mki = 1;	/* our offered keys carry a 1-byte MKI ("|1:1") */
	} else {
		err = sdp_crypto_allow_apply(&ctx->allow, s, len);
		if (err == EINVAL)
			ctx->bad = ng_reasonf(NG_ERRF_UNKNOWN_SUITE,
			    (int)(len > 64 ? 64 : len), s);
		else if (err == ENOENT)
			log_debug("%s sdes_option=%s action=ignored", __func__, LOG_QN(s, len));
	}
}

static void
rtcp_mux_opt(const char *s, size_t len, void *arg)
{
	struct ng_opts *o = arg;

	if (name_is(s, len, "offer"))
		o->rtcp_mux |= NG_RTCP_MUX_OFFER;
	else if (name_is(s, len, "require"))
		o->rtcp_mux |= NG_RTCP_MUX_REQUIRE;
	else if (name_is(s, len, "demux"))
		o->rtcp_mux |= NG_RTCP_MUX_DEMUX;
	else if (name_is(s, len, "accept"))
		o->rtcp_mux |= NG_RTCP_MUX_ACCEPT;
	else if (name_is(s, len, "reject"))
		o->rtcp_mux |= NG_RTCP_MUX_REJECT;
	else
		log_debug("%s rtcp_mux=%s action=ignored", __func__, LOG_QN(s, len));
}

/* OSRTP (RFC 8643) options; accepting such offers is what mediad does anyway. */
static void
osrtp_opt(const char *s, size_t len, void *arg)
{
	struct ng_opts *o = arg;

	if (name_is(s, len, "offer") || name_is(s, len, "offer RFC"))
		o->osrtp_offer = true;
	else
		log_debug("%s osrtp=%s action=ignored", __func__, LOG_QN(s, len));
}

static void
flag_opt(const char *s, size_t len, void *arg)
{
	struct sdes_ctx *ctx = arg;
	struct ng_opts *o = ctx->o;
	size_t rest;

	if (name_is(s, len, "SIP source address"))
		o->sip_source = true;
	else if (name_is(s, len, "trust address") || name_is(s, len, "symmetric") ||
	    name_is(s, len, "recrypt") || name_is(s, len, "port latching"))
		;  /* our defaults already */
	else if (name_is(s, len, "asymmetric"))
		o->asymmetric = true;
	else if (name_is(s, len, "strict source"))
		o->strict_source = true;
	else if (name_is(s, len, "no rtcp attribute"))
		o->rw_flags |= SDP_RW_NO_RTCP_ATTR;
	else if (name_is(s, len, "full rtcp attribute"))
		o->rw_flags |= SDP_RW_FULL_RTCP_ATTR;
	else if (name_is(s, len, "original sendrecv"))
		o->rw_flags |= SDP_RW_ORIGINAL_SENDRECV;
	else if (name_is(s, len, "pad crypto"))
		o->rw_flags |= SDP_RW_CRYPTO_PAD;
	else if (name_is(s, len, "fragment"))
		o->fragment = true;
	else if (name_is(s, len, "fatal"))
		o->fatal = true;
	else if (name_is(s, len, "fast"))
		o->fast = true;
	else if (name_is(s, len, "leg summary"))
		o->leg_summary = true;
	else if (name_is(s, len, "to tag"))
		o->to_tag_flag = true;
	else if (name_is(s, len, "reset"))
		o->rekey = true;
	else if (name_prefix(s, len, "SDES-", &rest))
		sdes_opt(s + rest, len - rest, ctx);
	else if (name_prefix(s, len, "rtcp-mux-", &rest))
		rtcp_mux_opt(s + rest, len - rest, o);
	else if (name_prefix(s, len, "OSRTP-", &rest))
		osrtp_opt(s + rest, len - rest, o);
	else if (name_prefix(s, len, "replace-", &rest)) {
		if (name_is(s + rest, len - rest, "origin"))
			o->rw_flags |= SDP_RW_REPLACE_ORIGIN;
		else if (name_is(s + rest, len - rest, "sdp version"))
			o->rw_flags |= SDP_RW_SDP_VERSION;
	} else
		log_debug("%s flag=%s action=ignored", __func__, LOG_QN(s, len));
}

static void
replace_opt(const char *s, size_t len, void *arg)
{
	struct ng_opts *o = arg;

	if (name_is(s, len, "origin") || name_is(s, len, "origin full"))
		o->rw_flags |= SDP_RW_REPLACE_ORIGIN;
	else if (name_is(s, len, "session connection"))
		o->rw_flags |= SDP_RW_REPLACE_SESS_CONN;
	else if (name_is(s, len, "sdp version") || name_is(s, len, "force increment sdp ver"))
		o->rw_flags |= SDP_RW_SDP_VERSION;
	else if (name_is(s, len, "zero address"))
		o->rw_flags |= SDP_RW_REPLACE_ZERO_ADDR;
}

static int
get_str(const struct bencode_item *d, const char *key, const char **s, size_t *len)
{
	*s = NULL;
	*len = 0;
	return ng_get_str(d, key, s, len);
}

/* "IP4"/"IP6" + address as in received-from; also a single "addr" string. */
static int
parse_family_addr(const struct bencode_item *d, const char *key, struct sa *out)
{
	struct bencode_item *v = ng_dict_get(d, key);
	struct bencode_item *it;

	if (v == NULL)
		return ENOENT;
	if (v->type == BENCODE_STRING)
		return sa_parse_ip(out, v->str, v->len, 0);
	if (v->type != BENCODE_LIST || v->count != 2)
		return EINVAL;
	it = v->child->next;
	if (v->child->type != BENCODE_STRING || it == NULL || it->type != BENCODE_STRING)
		return EINVAL;
	return sa_parse_ip(out, it->str, it->len, 0);
}

static struct mediad_iface *
iface_named(struct mediad *md, const struct bencode_item *it, const char **bad)
{
	struct mediad_iface *ifc;

	if (it == NULL || it->type != BENCODE_STRING) {
		*bad = NG_ERR_BAD_IFACE;
		return NULL;
	}
	ifc = mediad_config_iface(&md->cfg, it->str, it->len);
	if (ifc == NULL)
		*bad = ng_reasonf(NG_ERRF_UNKNOWN_IFACE, (int)(it->len > 32 ? 32 : it->len),
		    it->str);
	return ifc;
}

const char *
ng_opts_parse(struct mediad *md, const struct ng_msg *m, struct ng_opts *o)
{
	const struct bencode_item *d = m->dict;
	struct bencode_item *v;
	struct sdes_ctx sctx;
	const char *s, *bad = NULL;
	size_t len;
	int err;

	memset(o, 0, sizeof(*o));
	o->delete_delay = -1;
	o->transport = SDP_PROTO_KEEP;

	if (get_str(d, "call-id", &o->call_id, &o->call_id_len) || o->call_id_len == 0)
		return NG_ERR_NO_CALL_ID;
	err = get_str(d, "from-tag", &o->from_tag, &o->from_tag_len);
	if (err == EINVAL)
		return NG_ERR_NO_FROM_TAG;
	err = get_str(d, "to-tag", &o->to_tag, &o->to_tag_len);
	if (err == EINVAL)
		return NG_ERR_NO_TO_TAG;
	(void)get_str(d, "via-branch", &o->via_branch, &o->via_branch_len);
	if (get_str(d, "label", &o->label, &o->label_len))
		(void)get_str(d, "from-label", &o->label, &o->label_len);
	(void)get_str(d, "to-label", &o->to_label, &o->to_label_len);
	(void)get_str(d, "sdp", &o->sdp, &o->sdp_len);
	o->resume = ng_dict_get(d, "resume");

	if (get_str(d, "transport-protocol", &s, &len) == 0) {
		if (name_is(s, len, "accept")) {
			o->transport_accept = true;
		} else {
			o->transport = sdp_proto_from_name(s, len);
			if (o->transport == SDP_PROTO_KEEP)
				return ng_reasonf(NG_ERRF_BAD_TRANSPORT,
				    (int)(len > 32 ? 32 : len), s);
			if (o->transport == SDP_PROTO_UDP_TLS_RTP_SAVP ||
			    o->transport == SDP_PROTO_UDP_TLS_RTP_SAVPF)
				return NG_ERR_DTLS;
		}
	}

	/* direction: [interface facing the sender, interface facing the recipient] */
	v = ng_dict_get(d, "direction");
	if (v != NULL) {
		if (v->type != BENCODE_LIST || v->count != 2)
			return NG_ERR_BAD_DIRECTION;
		o->from_if = iface_named(md, v->child, &bad);
		if (o->from_if == NULL)
			return bad;
		o->to_if = iface_named(md, v->child->next, &bad);
		if (o->to_if == NULL)
			return bad;
	}
	if ((v = ng_dict_get(d, "from-interface")) != NULL &&
	    (o->from_if = iface_named(md, v, &bad)) == NULL)
		return bad;
	if ((v = ng_dict_get(d, "to-interface")) != NULL &&
	    (o->to_if = iface_named(md, v, &bad)) == NULL)
		return bad;

	err = parse_family_addr(d, "received-from", &o->received_from);
	if (err == 0)
		o->have_received_from = true;
	else if (err != ENOENT)
		return NG_ERR_BAD_RECEIVED_FROM;
	if (get_str(d, "media-address", &s, &len) == 0) {
		if (sa_parse_ip(&o->media_address, s, len, 0))
			return NG_ERR_BAD_MEDIA_ADDRESS;
		o->have_media_address = true;
	}

	/* We have neither ICE nor DTLS: their attributes always go. */
	o->rw_flags |= SDP_RW_ICE_REMOVE | SDP_RW_DTLS_REMOVE;
	if (get_str(d, "ICE", &s, &len) == 0 && !name_is(s, len, "remove"))
		log_debug("%s ice=%s action=%s", __func__, LOG_QN(s, len),
		    LOG_Q("not supported: ICE attributes removed"));
	if (get_str(d, "DTLS", &s, &len) == 0 && !(name_is(s, len, "off") ||
	    name_is(s, len, "no") || name_is(s, len, "disable") || name_is(s, len, "disabled")))
		log_debug("%s dtls=%s action=%s", __func__, LOG_QN(s, len),
		    LOG_Q("not supported: SDES only"));

	ng_list_foreach(d, "replace", replace_opt, o);
	ng_list_foreach(d, "rtcp-mux", rtcp_mux_opt, o);
	ng_list_foreach(d, "OSRTP", osrtp_opt, o);

	memset(&sctx, 0, sizeof(sctx));
	sctx.o = o;
	sctx.allow.mask = md->cfg.allowed_suites;
	ng_list_foreach(d, "SDES", sdes_opt, &sctx);
	ng_list_foreach(d, "flags", flag_opt, &sctx);
	if (sctx.bad != NULL)
		return sctx.bad;
	o->allowed_suites = sdp_crypto_allow_finish(&sctx.allow) & md->cfg.allowed_suites;

	o->supports_load_limit = ng_list_has(d, "supports", "load limit");
	if (ng_dict_get(d, "delete delay") != NULL) {
		if (ng_get_int(d, "delete delay", &o->delete_delay) || o->delete_delay < 0 ||
		    o->delete_delay > 86400)
			return NG_ERR_BAD_DELETE_DELAY;
	}
	if (ng_dict_get(d, "TOS") != NULL) {
		int64_t tos;

		if (ng_get_int(d, "TOS", &tos) || tos > 255)
			return NG_ERR_BAD_TOS;
	}
	return NULL;
}

void
ng_opts_relay(const struct ng_opts *o, struct call_relay_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->asymmetric = o->asymmetric;
	ro->strict_source = o->strict_source;
}
