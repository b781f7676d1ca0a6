/* SPDX-License-Identifier: BSD-2-Clause */
/* ng offer and answer: match tags to monologues, take the peer's media and keys from its
 * SDP, allocate ports, choose crypto, rewrite the SDP for the recipient, drive the relay. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bencode.h"
#include "metrics.h"
#include "mediad.h"
#include "ng.h"
#include "rand.h"
#include "relay.h"
#include "sdp.h"
#include "sdp_crypto.h"
#include "sdp_rewrite.h"
#include "timeutil.h"

/* SDP_CRYPTO_* session parameters and RELAY_SRTP_* are separate namespaces. */
static unsigned
srtp_flags_of(unsigned params)
{
	unsigned f = 0;

	if (params & SDP_CRYPTO_UNENCRYPTED_SRTP)
		f |= RELAY_SRTP_UNENCRYPTED_SRTP;
	if (params & SDP_CRYPTO_UNENCRYPTED_SRTCP)
		f |= RELAY_SRTP_UNENCRYPTED_SRTCP;
	if (params & SDP_CRYPTO_UNAUTHENTICATED_SRTP)
		f |= RELAY_SRTP_UNAUTHENTICATED_SRTP;
	return f;
}

static int
key_generate(struct crypto_key *k, enum crypto_suite suite)
{
	const struct crypto_suite_info *info = crypto_suite_info(suite);
	int err;

	if (info == NULL)
		return EINVAL;
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->key_salt_len = info->key_len + info->salt_len;
	err = rand_bytes(k->key_salt, k->key_salt_len);
	if (err)
		explicit_bzero(k, sizeof(*k));
	return err;
}

/* Where the party of an SDP media receives: SDP address, or the SIP source / media-address. */
static void
media_remote(const struct ng_opts *o, const struct sdp *sdp, const struct sdp_media *sm,
    struct call_media *cm)
{
	const struct sdp_conn *conn = sdp_media_conn(sdp, sm);
	struct sa ip;
	bool have = false;

	memset(&cm->remote_rtp, 0, sizeof(cm->remote_rtp));
	memset(&cm->remote_rtcp, 0, sizeof(cm->remote_rtcp));
	if (o->have_media_address) {
		ip = o->media_address;
		have = true;
	} else if (o->sip_source && o->have_received_from) {
		ip = o->received_from;
		have = true;
	} else if (conn != NULL && conn->present && !conn->null_addr &&
	    sa_parse_ip(&ip, conn->addr.p, conn->addr.len, 0) == 0) {
		have = true;
	}
	/* c=0.0.0.0 (old-style hold) or port 0: nowhere to send until the next SDP. */
	if (!have || sm->port == 0 || (conn != NULL && conn->null_addr && !o->have_media_address))
		return;
	cm->remote_rtp = ip;
	sa_set_port(&cm->remote_rtp, sm->port);
	cm->remote_rtcp = ip;
	sa_set_port(&cm->remote_rtcp, sm->has_rtcp ? sm->rtcp_port : (uint16_t)(sm->port + 1u));
}

static void
media_direction(const struct sdp *sdp, const struct sdp_media *sm, struct call_media *cm)
{
	switch (sdp_media_dir(sdp, sm)) {
	case SDP_DIR_SENDONLY:
		cm->sends = true;
		cm->receives = false;
		break;
	case SDP_DIR_RECVONLY:
		cm->sends = false;
		cm->receives = true;
		break;
	case SDP_DIR_INACTIVE:
		cm->sends = cm->receives = false;
		break;
	default:
		cm->sends = cm->receives = true;
		break;
	}
}

static void
log_skipped_crypto(const struct sdp_media *sm, unsigned idx)
{
	size_t i;

	for (i = 0; i < sm->nskipped; i++)
		log_info("sdes_line_skipped media=%u reason=\"%s\"", idx, sm->skipped[i].reason);
}

static const char *
ensure_ports(struct mediad *md, struct monologue *mono, struct call_media *cm)
{
	int err;

	if (cm->have_ports)
		return NULL;
	err = port_pool_take(mono->iface->pool, &cm->ports);
	if (err) {
		metric_inc(md->ctr.no_ports);
		log_warnx("ports_exhausted interface=%s range=%u-%u in_use=%u",
		    mono->iface->name, mono->iface->port_min, mono->iface->port_max,
		    port_pool_in_use(mono->iface->pool));
		return NG_ERR_NO_PORTS;
	}
	cm->have_ports = true;
	return NULL;
}

static bool
keys_ready(const struct call_media *cm)
{
	return !sdp_proto_is_secure(cm->proto) || (cm->have_peer_key && cm->have_our_key);
}

/* The relay leg for one party: its sockets, where it receives, its keys and direction. */
static void
leg_cfg(const struct ng_opts *o, const struct call_media *cm, struct relay_leg_cfg *l)
{
	memset(l, 0, sizeof(*l));
	l->fd_rtp = cm->ports.fd_rtp;
	l->fd_rtcp = cm->rtcp_mux ? -1 : cm->ports.fd_rtcp;
	l->remote_rtp = cm->remote_rtp;
	l->remote_rtcp = cm->rtcp_mux ? cm->remote_rtp : cm->remote_rtcp;
	l->srtp = sdp_proto_is_secure(cm->proto) && cm->have_peer_key && cm->have_our_key;
	if (l->srtp) {
		l->rx_key = cm->peer.key;
		l->tx_key = cm->ours.key;
		l->srtp_flags = srtp_flags_of(cm->peer.flags | cm->ours.flags);
	}
	l->rtcp_mux = cm->rtcp_mux;
	l->send = cm->receives;
	l->recv = cm->sends;
	if (o->asymmetric)
		l->latch = RELAY_LATCH_OFF;
	else
		l->latch = l->srtp ? RELAY_LATCH_AUTH : RELAY_LATCH_SIGNALLED_IP;
	l->strict_source = o->strict_source;
}

/*
 * Creates or updates the relay media of every bridged m= line once both sides are
 * known. Before the first answer there is nothing to bridge: the sockets stay with
 * the call (and are closed with it).
 */
const char *
call_relay_sync(struct mediad *md, const struct ng_opts *o, struct call *c)
{
	struct monologue *a = c->mono[0], *b = c->mono[1];
	unsigned i;

	if (md->relay == NULL || a == NULL || b == NULL || c->state != CALL_STATE_ANSWERED)
		return NULL;
	for (i = 0; i < a->nmedia && i < b->nmedia; i++) {
		struct call_media *ma = &a->media[i], *mb = &b->media[i];
		struct relay_leg_cfg la, lb;
		int err;

		if (!ma->have_ports || !mb->have_ports)
			continue;
		/* A media added by a re-offer waits for its answer: an SRTP leg without both
		 * keys must never start out as plain RTP. */
		if (c->rm[i] == NULL && (!keys_ready(ma) || !keys_ready(mb)))
			continue;
		leg_cfg(o, ma, &la);
		leg_cfg(o, mb, &lb);
		if (c->rm[i] != NULL) {
			err = relay_media_update(c->rm[i], &la, &lb);
		} else {
			err = relay_media_create(md->relay, &la, &lb, &c->rm[i]);
			if (err == 0) {
				/* The relay owns the sockets now; an unused RTCP socket (mux) is
				 * closed but its port stays reserved with the pair. */
				if (ma->rtcp_mux && ma->ports.fd_rtcp >= 0)
					close(ma->ports.fd_rtcp);
				if (mb->rtcp_mux && mb->ports.fd_rtcp >= 0)
					close(mb->ports.fd_rtcp);
				ma->ports.fd_rtp = ma->ports.fd_rtcp = -1;
				mb->ports.fd_rtp = mb->ports.fd_rtcp = -1;
				if (i + 1 > c->nrm)
					c->nrm = i + 1;
			}
		}
		explicit_bzero(&la, sizeof(la));
		explicit_bzero(&lb, sizeof(lb));
		if (err) {
			log_warnx("relay_setup_failed media=%u error=%d", i + 1, err);
			return "Failed to set up the media relay";
		}
	}
	return NULL;
}

static uint64_t
hash_bytes(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

/*
 * Rewrites sdp for recipient `to` (whose ports, profile and keys are in to->media)
 * and adds it to the reply. crypto_answer: emit ours with the peer's tag (one line),
 * otherwise emit every proposed key.
 */
static const char *
reply_sdp(const struct ng_opts *o, const struct sdp *sdp, struct monologue *to,
    bool answer, struct bencode_arena *a, struct bencode_item *reply)
{
	struct sdp_rw_params *p;
	const char *reason = NULL, *why = NULL;
	char *out = NULL;
	size_t len = 0, i, j;
	unsigned params;
	int err;

	/* SDP_MAX_MEDIA slots, few used: zero (and later wipe) only those. */
	p = malloc(sizeof(*p));
	if (p == NULL)
		return "Out of memory";
	memset(p, 0, offsetof(struct sdp_rw_params, media));
	memset(p->media, 0, sdp->nmedia * sizeof(p->media[0]));
	p->flags = o->rw_flags;
	p->origin_addr = to->iface->advertised;
	p->session_addr = to->iface->advertised;
	p->nmedia = sdp->nmedia;
	for (i = 0; i < sdp->nmedia; i++) {
		struct sdp_rw_media *rm = &p->media[i];
		struct call_media *cm = &to->media[i];

		rm->addr = to->iface->advertised;
		rm->port = cm->ports.port;
		rm->proto = cm->proto;
		/* Offer: a=rtcp-mux iff we offer it to this party (written even when the sender
		 * had none: rtcp-mux offer/require). Answer: iff this party's leg muxes, which
		 * after demux means writing it although the answerer never saw it. */
		rm->rtcp_mux = answer ? cm->rtcp_mux : cm->mux_offered;
		rm->rtcp_mux_add = rm->rtcp_mux;
		if (!sdp_proto_is_secure(cm->proto) || cm->disabled)
			continue;
		rm->crypto_mode = SDP_RW_CRYPTO_EMIT;
		if (answer) {
			params = (cm->ours.flags | o->sdes_params_set) & ~o->sdes_params_clear;
			rm->crypto[0].tag = cm->ours.tag;
			rm->crypto[0].key = cm->ours.key;
			rm->crypto[0].params = params;
			rm->ncrypto = 1;
		} else {
			for (j = 0; j < cm->nproposed && j < SDP_RW_MAX_CRYPTO; j++) {
				params = (cm->proposed[j].flags | o->sdes_params_set) &
				    ~o->sdes_params_clear;
				rm->crypto[j].tag = cm->proposed[j].tag;
				rm->crypto[j].key = cm->proposed[j].key;
				rm->crypto[j].params = params;
			}
			rm->ncrypto = j;
		}
	}
	if (o->rw_flags & SDP_RW_SDP_VERSION) {
		/* Keep our o= version per recipient: unchanged SDP keeps it, any change bumps it. */
		if (!to->have_sdp_version)
			to->sdp_version = sdp->origin.present ? sdp->origin.sess_version : 1;
		p->sdp_version = to->sdp_version;
		err = sdp_rewrite(sdp, p, &out, &len, &why);
		if (err == 0 && to->have_sdp_version && hash_bytes(out, len) != to->sdp_hash) {
			free(out);
			out = NULL;
			p->sdp_version = ++to->sdp_version;
			err = sdp_rewrite(sdp, p, &out, &len, &why);
		}
		if (err == 0) {
			to->have_sdp_version = true;
			/* hash over the SDP as it would be with the old version: compare like with like */
			to->sdp_hash = hash_bytes(out, len);
		}
	} else {
		err = sdp_rewrite(sdp, p, &out, &len, &why);
	}
	explicit_bzero(p->media, sdp->nmedia * sizeof(p->media[0]));
	explicit_bzero(p, offsetof(struct sdp_rw_params, media));
	free(p);
	if (err) {
		log_warnx("sdp_rewrite_failed error=%d reason=\"%s\"", err, why ? why : "?");
		return err == ENOMEM ? "Out of memory" : NG_ERR_SDP_INCOMPLETE;
	}
	{
		struct bencode_item *it = bencode_str_dup(a, out, len);

		if (it == NULL || bencode_dict_add(a, reply, "sdp", it))
			reason = "Out of memory";
	}
	explicit_bzero(out, len);
	free(out);
	return reason;
}

/* Takes the sender's media from its SDP (address, profile, direction, offered crypto). */
static const char *
take_sender_media(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    struct monologue *s, bool is_offer)
{
	size_t i;

	for (i = 0; i < sdp->nmedia; i++) {
		const struct sdp_media *sm = &sdp->media[i];
		struct call_media *cm = &s->media[i];
		size_t k;

		cm->index = (unsigned)i + 1;
		snprintf(cm->type, sizeof(cm->type), "%.*s", (int)sm->type.len, sm->type.p);
		cm->disabled = sm->port == 0;
		if (sm->proto == SDP_PROTO_KEEP)
			return ng_reasonf("Unsupported transport protocol '%.*s' in SDP",
			    (int)(sm->proto_text.len > 32 ? 32 : sm->proto_text.len),
			    sm->proto_text.p);
		if ((sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP ||
		    sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF) && sm->ncrypto == 0)
			return "DTLS-SRTP is not supported (use RTP/SAVP with SDES)";
		media_remote(o, sdp, sm, cm);
		media_direction(sdp, sm, cm);
		if (!is_offer)
			continue;
		cm->proto = sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP ? SDP_PROTO_RTP_SAVP :
		    sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF ? SDP_PROTO_RTP_SAVPF : sm->proto;
		cm->mux_offered = sm->rtcp_mux && !(o->rtcp_mux & NG_RTCP_MUX_REJECT);
		cm->noffered = 0;
		if (!sdp_proto_is_secure(cm->proto) || cm->disabled)
			continue;
		for (k = 0; k < sm->ncrypto && cm->noffered < MEDIAD_MAX_CRYPTO; k++) {
			const struct sdp_crypto *sc = &sm->crypto[k];

			if (!(o->allowed_suites & SDP_CRYPTO_SUITE_BIT(sc->key.suite)))
				continue;
			cm->offered[cm->noffered].tag = sc->tag;
			cm->offered[cm->noffered].key = sc->key;
			cm->offered[cm->noffered].flags = sc->params;
			cm->noffered++;
		}
		if (cm->noffered == 0) {
			log_skipped_crypto(sm, cm->index);
			log_warnx("sdes_negotiation_failed media=%u side=offerer lines=%zu "
			    "usable=%zu allowed=0 (%s, refusing plain RTP)", cm->index,
			    sm->ncrypto_lines, sm->ncrypto, MEDIAD_ERR_NO_CRYPTO);
			return MEDIAD_ERR_NO_CRYPTO;
		}
	}
	(void)md;
	return NULL;
}

/* What we offer the recipient of an offer: ports, profile and our keys. */
static const char *
prepare_recipient(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    const struct call *c, struct monologue *s, struct monologue *r)
{
	size_t i;
	unsigned k;
	const char *reason;

	for (i = 0; i < sdp->nmedia; i++) {
		struct call_media *sm = &s->media[i], *rm = &r->media[i];
		bool was_set = rm->proto != SDP_PROTO_KEEP;

		rm->index = sm->index;
		memcpy(rm->type, sm->type, sizeof(rm->type));
		rm->disabled = sm->disabled;
		if (o->transport != SDP_PROTO_KEEP)
			rm->proto = o->transport;
		else if (!was_set)
			rm->proto = sm->proto;
		/*
		 * Whether we offer rtcp-mux to the recipient; its answer then decides whether
		 * its leg muxes. A running relay media keeps the mux it was created with
		 * (relay_media_update ignores it): a re-offer must advertise just that.
		 */
		if (c->rm[i] != NULL)
			rm->mux_offered = rm->rtcp_mux;
		else if (o->rtcp_mux & (NG_RTCP_MUX_OFFER | NG_RTCP_MUX_REQUIRE))
			rm->mux_offered = true;
		else if (o->rtcp_mux & NG_RTCP_MUX_DEMUX)
			rm->mux_offered = false;
		else
			rm->mux_offered = sm->mux_offered;
		if (sm->disabled)
			continue;
		reason = ensure_ports(md, s, sm);
		if (reason != NULL)
			return reason;
		reason = ensure_ports(md, r, rm);
		if (reason != NULL)
			return reason;
		if (!sdp_proto_is_secure(rm->proto)) {
			rm->nproposed = 0;
			continue;
		}
		if (o->sdes_off) {
			log_warnx("sdes_negotiation_failed media=%u side=recipient "
			    "(SDES off but %s requested)", rm->index, sdp_proto_name(rm->proto));
			return MEDIAD_ERR_NO_CRYPTO;
		}
		if (rm->have_our_key && !o->rekey &&
		    (o->allowed_suites & SDP_CRYPTO_SUITE_BIT(rm->ours.key.suite))) {
			/* Re-offer: only the active suite, same tag, same key (no new SRTP session). */
			rm->proposed[0] = rm->ours;
			rm->nproposed = 1;
			continue;
		}
		if (rm->nproposed > 0 && !o->rekey)
			continue;  /* offer repeated before any answer: same keys */
		rm->nproposed = 0;
		for (k = 0; k < md->cfg.noffer_suites; k++) {
			enum crypto_suite suite = md->cfg.offer_suites[k];
			struct call_crypto *cc = &rm->proposed[rm->nproposed];

			if (!(o->allowed_suites & SDP_CRYPTO_SUITE_BIT(suite)))
				continue;
			if (key_generate(&cc->key, suite))
				return "Failed to generate SRTP key";
			cc->tag = rm->nproposed + 1;
			cc->flags = 0;
			rm->nproposed++;
		}
		if (rm->nproposed == 0) {
			log_warnx("sdes_negotiation_failed media=%u side=recipient "
			    "(no configured offer suite allowed by SDES options)", rm->index);
			return MEDIAD_ERR_NO_CRYPTO;
		}
	}
	return NULL;
}

static const char *
check_media_count(const struct sdp *sdp, const struct monologue *s)
{
	if (sdp->nmedia == 0)
		return NG_ERR_SDP_INCOMPLETE;
	if (sdp->nmedia > MEDIAD_MAX_MEDIA)
		return ng_reasonf("Too many media sections (%zu, at most %d)", sdp->nmedia,
		    MEDIAD_MAX_MEDIA);
	/* RFC 3264 §8: m= lines are never removed from a re-offer. */
	if (s != NULL && s->nmedia > sdp->nmedia)
		return NG_ERR_SDP_INCOMPLETE;
	return NULL;
}

static const char *
parse_sdp(const struct ng_opts *o, struct sdp **sdpp)
{
	const char *why = NULL;
	int err;

	if (o->sdp == NULL || o->sdp_len == 0)
		return NG_ERR_NO_SDP;
	err = sdp_parse(sdpp, o->sdp, o->sdp_len, &why);
	if (err) {
		log_info("sdp_parse_failed error=%d reason=\"%s\"", err, why ? why : "?");
		return err == ENOMEM ? "Out of memory" : NG_ERR_SDP_PARSE;
	}
	return NULL;
}

static const char *
set_labels(const struct ng_opts *o, struct monologue *from, struct monologue *to)
{
	if (o->label != NULL && monologue_set_str(&from->label, o->label, o->label_len))
		return "Out of memory";
	if (o->to_label != NULL && to != NULL &&
	    monologue_set_str(&to->label, o->to_label, o->to_label_len))
		return "Out of memory";
	return NULL;
}

const char *
ng_handle_offer(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct ng_opts o;
	struct sdp *sdp = NULL;
	struct call *c;
	struct monologue *s, *r;
	const char *reason;
	bool created = false;

	reason = ng_opts_parse(md, m, &o);
	if (reason != NULL)
		return reason;
	if (o.from_tag == NULL || o.from_tag_len == 0)
		return NG_ERR_NO_FROM_TAG;
	if (o.to_tag != NULL && o.to_tag_len == o.from_tag_len &&
	    memcmp(o.to_tag, o.from_tag, o.to_tag_len) == 0)
		return "Invalid dialogue association";
	if (o.fragment)
		return NULL;  /* trickle-ICE fragment: we have no ICE; ok without SDP */
	reason = parse_sdp(&o, &sdp);
	if (reason != NULL)
		return reason;

	c = call_find(&md->calls, o.call_id, o.call_id_len);
	if (c == NULL) {
		if (md->cfg.max_sessions && md->calls.count >= md->cfg.max_sessions) {
			reason = o.supports_load_limit ? mediad_load_limit : NG_ERR_SESSION_LIMIT;
			goto out;
		}
		if (call_create(&md->calls, o.call_id, o.call_id_len, &c)) {
			reason = "Out of memory";
			goto out;
		}
		created = true;
		metric_inc(md->ctr.calls_total);
	}
	if (c->state == CALL_STATE_DELETING) {
		/* A re-offer within the delete delay revives the call. */
		if (c->delete_ev != NULL) {
			event_free(c->delete_ev);
			c->delete_ev = NULL;
		}
		c->state = c->mono[1] != NULL && c->mono[1]->tag[0] ? CALL_STATE_ANSWERED :
		    CALL_STATE_OFFERED;
	}

	s = call_mono_by_tag(c, o.from_tag, o.from_tag_len);
	if (s == NULL && c->mono[0] == NULL) {
		struct mediad_iface *fi = o.from_if ? o.from_if : &md->cfg.ifaces[0];
		struct mediad_iface *ti = o.to_if ? o.to_if : &md->cfg.ifaces[0];

		if (monologue_alloc(&c->mono[0], o.from_tag, o.from_tag_len, fi) ||
		    monologue_alloc(&c->mono[1], o.to_tag, o.to_tag != NULL ? o.to_tag_len : 0, ti)) {
			reason = "Out of memory";
			goto out;
		}
		s = c->mono[0];
	} else if (s == NULL && c->mono[1] != NULL && c->mono[1]->tag[0] == '\0' &&
	    o.to_tag != NULL && call_mono_by_tag(c, o.to_tag, o.to_tag_len) == c->mono[0]) {
		/* Late offer by the callee (offer in 200 OK): it names itself now. */
		s = c->mono[1];
		if (monologue_set_str(&s->tag, o.from_tag, o.from_tag_len)) {
			reason = "Out of memory";
			goto out;
		}
	} else if (s == NULL) {
		log_warnx("ng_offer_unknown_tag from_tag=%.*s (call has other tags)",
		    (int)o.from_tag_len, o.from_tag);
		reason = "Invalid dialogue association";
		goto out;
	}
	r = c->mono[call_mono_index(c, s) == 0 ? 1 : 0];
	if (r->tag[0] == '\0' && o.to_tag != NULL && o.to_tag_len > 0 &&
	    monologue_set_str(&r->tag, o.to_tag, o.to_tag_len)) {
		reason = "Out of memory";
		goto out;
	}
	if (o.via_branch != NULL && monologue_set_str(&r->via_branch, o.via_branch, o.via_branch_len)) {
		reason = "Out of memory";
		goto out;
	}
	reason = set_labels(&o, s, r);
	if (reason != NULL)
		goto out;

	reason = check_media_count(sdp, s);
	if (reason != NULL)
		goto out;
	reason = take_sender_media(md, &o, sdp, s, true);
	if (reason != NULL)
		goto out;
	reason = prepare_recipient(md, &o, sdp, c, s, r);
	if (reason != NULL)
		goto out;
	s->nmedia = r->nmedia = (unsigned)sdp->nmedia;
	reason = reply_sdp(&o, sdp, r, false, a, reply);
	if (reason != NULL)
		goto out;
	/* A re-offer updates what the relay already does (new address, hold); keys change
	 * with the answer. */
	reason = call_relay_sync(md, &o, c);
	if (reason != NULL)
		goto out;
	c->last_signal = time_wall_s();
	c->last_signal_ms = time_mono_ms();
	log_info("call_offer from_tag=%s to_iface=%s from_iface=%s media=%u proto=%s->%s%s",
	    s->tag, r->iface->name, s->iface->name, s->nmedia,
	    sdp_proto_name(s->media[0].proto), sdp_proto_name(r->media[0].proto),
	    created ? " new=yes" : "");
	if (md->store != NULL)
		call_store_write(md->store, c);
 out:
	if (reason != NULL && created && c != NULL)
		call_destroy(c);
	sdp_free(sdp);
	return reason;
}

/* The answerer accepted one of the keys we proposed: find it (tag first, suite second). */
static const char *
take_answer_crypto(const struct sdp_media *sm, struct call_media *cm, const struct ng_opts *o)
{
	size_t k, j;

	if (!sdp_proto_is_secure(sm->proto)) {
		log_warnx("sdes_negotiation_failed media=%u side=answerer (offered %s, answered "
		    "%.*s: refusing plain RTP)", cm->index, sdp_proto_name(cm->proto),
		    (int)sm->proto_text.len, sm->proto_text.p);
		return MEDIAD_ERR_NO_CRYPTO;
	}
	for (k = 0; k < sm->ncrypto; k++) {
		for (j = 0; j < cm->nproposed; j++) {
			if (sm->crypto[k].tag == cm->proposed[j].tag &&
			    sm->crypto[k].key.suite == cm->proposed[j].key.suite)
				goto found;
		}
	}
	for (k = 0; k < sm->ncrypto; k++) {
		for (j = 0; j < cm->nproposed; j++) {
			if (sm->crypto[k].key.suite == cm->proposed[j].key.suite &&
			    (o->allowed_suites & SDP_CRYPTO_SUITE_BIT(sm->crypto[k].key.suite)))
				goto found;
		}
	}
	log_skipped_crypto(sm, cm->index);
	log_warnx("sdes_negotiation_failed media=%u side=answerer lines=%zu usable=%zu "
	    "(none matches what we offered: %s)", cm->index, sm->ncrypto_lines, sm->ncrypto,
	    MEDIAD_ERR_NO_CRYPTO);
	return MEDIAD_ERR_NO_CRYPTO;
 found:
	cm->peer.tag = sm->crypto[k].tag;
	cm->peer.key = sm->crypto[k].key;
	cm->peer.flags = sm->crypto[k].params;
	cm->have_peer_key = true;
	cm->ours = cm->proposed[j];
	cm->have_our_key = true;
	cm->proposed[0] = cm->ours;
	cm->nproposed = 1;
	return NULL;
}

/*
 * A leg that is plain RTP after this exchange keeps no SRTP key: nothing uses it, the
 * record in Redis stops carrying it, and a later SRTP offer starts a fresh session.
 */
static void
forget_keys(struct call_media *cm)
{
	if (!cm->have_peer_key && !cm->have_our_key && cm->nproposed == 0)
		return;
	explicit_bzero(&cm->peer, sizeof(cm->peer));
	explicit_bzero(&cm->ours, sizeof(cm->ours));
	explicit_bzero(cm->proposed, sizeof(cm->proposed));
	cm->have_peer_key = cm->have_our_key = false;
	cm->nproposed = 0;
}

/* Our answer to the offerer: its first usable offered line, a fresh (or kept) key. */
static const char *
choose_offerer_crypto(struct call_media *cm, const struct ng_opts *o)
{
	struct call_crypto *sel = NULL;
	unsigned k;

	for (k = 0; k < cm->noffered; k++) {
		if (o->allowed_suites & SDP_CRYPTO_SUITE_BIT(cm->offered[k].key.suite)) {
			sel = &cm->offered[k];
			break;
		}
	}
	if (sel == NULL)
		return MEDIAD_ERR_NO_CRYPTO;
	cm->peer = *sel;
	cm->have_peer_key = true;
	/* Our key stays across re-INVITEs unless the suite changes or a re-key is asked. */
	if (!cm->have_our_key || cm->ours.key.suite != sel->key.suite || o->rekey) {
		if (key_generate(&cm->ours.key, sel->key.suite))
			return "Failed to generate SRTP key";
		cm->have_our_key = true;
	}
	cm->ours.tag = sel->tag;
	cm->ours.flags = sel->flags;
	return NULL;
}

const char *
ng_handle_answer(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct ng_opts o;
	struct sdp *sdp = NULL;
	struct call *c;
	struct monologue *off, *ans;
	const char *reason;
	size_t i;

	reason = ng_opts_parse(md, m, &o);
	if (reason != NULL)
		return reason;
	if (o.from_tag == NULL || o.from_tag_len == 0)
		return NG_ERR_NO_FROM_TAG;
	if (o.to_tag == NULL || o.to_tag_len == 0)
		return NG_ERR_NO_TO_TAG;
	if (o.to_tag_len == o.from_tag_len && memcmp(o.to_tag, o.from_tag, o.to_tag_len) == 0)
		return "Invalid dialogue association";
	c = call_find(&md->calls, o.call_id, o.call_id_len);
	if (c == NULL)
		return NG_ERR_UNKNOWN_CALL;
	reason = parse_sdp(&o, &sdp);
	if (reason != NULL)
		return reason;

	off = call_mono_by_tag(c, o.from_tag, o.from_tag_len);
	if (off == NULL) {
		reason = "Invalid dialogue association";
		goto out;
	}
	ans = c->mono[call_mono_index(c, off) == 0 ? 1 : 0];
	if (ans->tag[0] == '\0') {
		if (monologue_set_str(&ans->tag, o.to_tag, o.to_tag_len)) {
			reason = "Out of memory";
			goto out;
		}
	} else if (strlen(ans->tag) != o.to_tag_len || memcmp(ans->tag, o.to_tag, o.to_tag_len)) {
		/* Another branch answers the original offer (a fork, or the proxy failed over
		 * to the next target after early media): the new dialogue replaces the old
		 * one in this two-party model. The callee side never re-offers as the caller. */
		if (off != c->mono[0]) {
			log_warnx("ng_answer_tag_mismatch to_tag=%.*s known=%s", (int)o.to_tag_len,
			    o.to_tag, ans->tag);
			reason = "Invalid dialogue association";
			goto out;
		}
		log_info("call_answerer_changed old_tag=%s new_tag=%.*s", ans->tag,
		    (int)o.to_tag_len, o.to_tag);
		if (monologue_set_str(&ans->tag, o.to_tag, o.to_tag_len)) {
			reason = "Out of memory";
			goto out;
		}
	}
	if (sdp->nmedia != off->nmedia || off->nmedia == 0) {
		log_info("ng_answer_media_mismatch offered=%u answered=%zu", off->nmedia, sdp->nmedia);
		reason = NG_ERR_SDP_INCOMPLETE;
		goto out;
	}
	if (o.label != NULL && monologue_set_str(&ans->label, o.label, o.label_len)) {
		reason = "Out of memory";
		goto out;
	}
	reason = take_sender_media(md, &o, sdp, ans, false);
	if (reason != NULL)
		goto out;
	for (i = 0; i < sdp->nmedia; i++) {
		const struct sdp_media *sm = &sdp->media[i];
		struct call_media *am = &ans->media[i], *om = &off->media[i];

		am->disabled = sm->port == 0;
		if (am->disabled || om->disabled)
			continue;
		if (sdp_proto_is_secure(am->proto)) {
			reason = take_answer_crypto(sm, am, &o);
			if (reason != NULL)
				goto out;
		} else if (sdp_proto_is_secure(sm->proto) && !o.transport_accept) {
			log_warnx("ng_answer_proto_mismatch media=%u offered=%s answered=%.*s",
			    am->index, sdp_proto_name(am->proto), (int)sm->proto_text.len,
			    sm->proto_text.p);
			reason = "Answer uses a different transport protocol than offered";
			goto out;
		}
		/*
		 * The answer decides the answerer's leg, if we offered it mux. Towards the
		 * offerer mux follows the answerer, except that an offerer's mux we did not
		 * pass on (demux) is accepted by us. Once the relay media runs both stay
		 * as created (see prepare_recipient).
		 */
		if (c->rm[i] == NULL) {
			am->rtcp_mux = sm->rtcp_mux && am->mux_offered;
			om->rtcp_mux = om->mux_offered && (sm->rtcp_mux || !am->mux_offered) &&
			    !(o.rtcp_mux & NG_RTCP_MUX_REJECT);
		}
		if (sdp_proto_is_secure(om->proto)) {
			reason = choose_offerer_crypto(om, &o);
			if (reason != NULL) {
				log_warnx("sdes_negotiation_failed media=%u side=offerer (%s)",
				    om->index, reason);
				goto out;
			}
		} else {
			forget_keys(om);
		}
		if (!sdp_proto_is_secure(am->proto))
			forget_keys(am);
	}
	ans->nmedia = (unsigned)sdp->nmedia;
	c->state = CALL_STATE_ANSWERED;
	reason = reply_sdp(&o, sdp, off, true, a, reply);
	if (reason != NULL)
		goto out;
	reason = call_relay_sync(md, &o, c);
	if (reason != NULL)
		goto out;
	c->last_signal = time_wall_s();
	c->last_signal_ms = time_mono_ms();
	log_info("call_answer to_tag=%s media=%u offerer_suite=%s answerer_suite=%s",
	    ans->tag, ans->nmedia,
	    off->media[0].have_our_key ? crypto_suite_name(off->media[0].ours.key.suite) : "none",
	    ans->media[0].have_our_key ? crypto_suite_name(ans->media[0].ours.key.suite) : "none");
	if (md->store != NULL)
		call_store_write(md->store, c);
 out:
	sdp_free(sdp);
	return reason;
}
