/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to mediad/ng: request options and the steps the offer/answer handlers share. */
#ifndef SBC_MEDIAD_NG_INT_H
#define SBC_MEDIAD_NG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "call.h"
#include "ng_server.h"
#include "sdp.h"

struct mediad_iface;

/* ---- ng_opts.c: the options of one request ---- */

/*
 * rtcp-mux options (ng_opts.rtcp_mux), a set: none = pass through what the offerer
 * asked for. OFFER/REQUIRE win over DEMUX; REJECT with OFFER is the reverse of DEMUX.
 */
#define NG_RTCP_MUX_OFFER   0x01u  /* offer a=rtcp-mux to the recipient even if the sender did not */
#define NG_RTCP_MUX_REQUIRE 0x02u  /* as OFFER here: the answer still decides the recipient's leg */
#define NG_RTCP_MUX_DEMUX   0x04u  /* accept from the offerer, do not offer onwards */
#define NG_RTCP_MUX_ACCEPT  0x08u  /* parsed; pass-through already accepts */
#define NG_RTCP_MUX_REJECT  0x10u  /* refuse the sender's (offerer's) a=rtcp-mux */

/* The options of an offer/answer request, read once; strings borrowed from the message. */
struct ng_opts {
	const char *call_id, *from_tag, *to_tag, *via_branch, *label, *to_label;
	size_t call_id_len, from_tag_len, to_tag_len, via_branch_len, label_len, to_label_len;
	const char *sdp;
	size_t sdp_len;
	enum sdp_proto transport;        /* SDP_PROTO_KEEP when not given */
	bool transport_accept;
	struct mediad_iface *from_if, *to_if;  /* NULL when not given */
	unsigned rw_flags;               /* SDP_RW_* from replace, flags, ICE, SDES pad ... */
	bool sip_source;                 /* use received-from instead of the SDP address */
	bool have_received_from;
	struct sa received_from;
	bool have_media_address;
	struct sa media_address;
	bool strict_source, asymmetric, fragment, fatal, fast, to_tag_flag, rekey;
	bool leg_summary;                /* "leg-summary": per-leg totals, not the stream tree */
	bool supports_load_limit;
	bool sdes_off;
	bool osrtp_offer;                /* OSRTP offer: keys with RTP/AVP(F) (RFC 8643) */
	unsigned sdes_mki;               /* SDES "mki": MKI bytes of the keys we offer (0: the
	                                    recipient interface's sdes_mki) */
	unsigned sdes_params_set, sdes_params_clear;  /* CRYPTO_PARAM_* */
	unsigned allowed_suites;         /* after SDES no-/only- */
	unsigned rtcp_mux;               /* NG_RTCP_MUX_* */
	int64_t delete_delay;            /* -1 when not given */
	/* a call moved here: per party tag, its key and indexes at the mediad it left */
	const struct bencode_item *resume;
};

/*
 * Reads the options of m into *o for command op (checks the keys op requires).
 * Returns NULL or the error reason for the client (see ng-protocol.md §3).
 */
const char *ng_opts_parse(struct mediad *md, const struct ng_msg *m, struct ng_opts *o);
/* printf into a static buffer, for reasons that name a value (control thread only). */
const char *ng_reasonf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The relay options a request carries. */
void ng_opts_relay(const struct ng_opts *o, struct call_relay_opts *ro);

/* ---- ng_resume.c: a moved call's SRTP sessions continued ---- */

/*
 * Before the relay of c is made (an answer): each party named in o->resume that kept the
 * key it used at the old mediad resumes its inbound SRTP there (rollover counter, index).
 */
void ng_resume_apply(const struct ng_opts *o, struct call *c);

/* ---- ng_tags.c: which party of the call a request speaks for ---- */

/*
 * Offer: the sender *sp (from-tag) and the recipient *rp of c; creates both parties
 * of a new call, lets a late offerer (offer in 200 OK) name itself, records the
 * recipient's tag, via-branch and labels. Returns NULL or the reason.
 */
const char *ng_tags_offer(struct mediad *md, const struct ng_opts *o, struct call *c,
    struct monologue **sp, struct monologue **rp);
/*
 * Answer: the offerer *offp (from-tag) and the answerer *ansp (to-tag) of c; a new
 * to-tag on the first offer's answer replaces the old answerer (fork, failover).
 * Returns NULL or the reason.
 */
const char *ng_tags_answer(const struct ng_opts *o, struct call *c, struct monologue **offp,
    struct monologue **ansp);

/* ---- ng_policy.c: encryption per media line against the interfaces that carry it ---- */

/* Whether a media line can be carried; the reasons are counted per value. */
enum ng_line_verdict {
	NG_LINE_OK = 0,
	NG_LINE_PLAIN_ON_REQUIRED,       /* plain RTP on an encryption = required interface */
	NG_LINE_SRTP_ON_OFF,             /* SRTP on an encryption = off interface */
	NG_LINE_NO_KEY,                  /* an SRTP profile without a usable a=crypto line */
	NG_LINE_NOT_RTP,                 /* no RTP at all (TCP/BFCP, udptl T.38, TCP/MSRP...) */
	NG_LINE_DTLS_ONLY,               /* DTLS-SRTP without an SDES key: we speak SDES only */
};

/* What one m= line of an offer becomes for its sender and its recipient. */
struct ng_line_plan {
	enum ng_line_verdict verdict;
	const struct mediad_iface *iface;  /* the interface a refused line is refused on */
	bool sender_srtp;                /* the sender's keys are taken: its leg is SRTP */
	bool sender_osrtp;               /* ... over RTP/AVP(F): answered with one key (OSRTP) */
	enum sdp_proto rproto;           /* profile towards the recipient */
	bool recipient_osrtp;            /* keys offered to the recipient with RTP/AVP(F) */
	bool stripped;                   /* SRTP asked towards an off interface: offered plain */
};

/*
 * Plans every m= line of an offer from s to r (plans: sdp->nmedia entries), logs and
 * counts the refused ones. Returns NULL, or the reason when no active line is left
 * (counted as a refusal; nothing of the call has changed then).
 */
const char *ng_policy_offer(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    const struct monologue *s, const struct monologue *r, struct ng_line_plan *plans);
/* NG_LINE_OK, or why party mono's leg cm breaks the encryption of mono's interface. */
enum ng_line_verdict ng_policy_leg(const struct monologue *mono, const struct call_media *cm);
/*
 * An answered line i that cannot be carried (verdict v on interface ifc): both parties'
 * media are refused (port 0 towards the offerer), logged and counted. Keys stay: a
 * running relay must never turn plain.
 */
void ng_policy_reject_answered(struct mediad *md, struct monologue *off, struct monologue *ans,
    size_t i, enum ng_line_verdict v, const struct mediad_iface *ifc);
/* The client's reason for verdict v on interface ifc (static buffer: use before the next). */
const char *ng_policy_reason(enum ng_line_verdict v, const struct mediad_iface *ifc);
/* Adds "warning" naming the refused lines of a request that went through; 0 or ENOMEM. */
int ng_policy_warn(struct bencode_arena *a, struct bencode_item *reply, const struct monologue *m);

/* ---- ng_sdp_in.c: what a request's SDP tells about its sender ---- */

/* NG_LINE_NOT_RTP or NG_LINE_DTLS_ONLY for an active line mediad does not relay, else OK. */
enum ng_line_verdict ng_sdp_line_unrelayable(const struct sdp_media *sm);
/* Parses the request's SDP; NULL and *sdpp (sdp_free it) or the reason. */
const char *ng_sdp_parse(const struct ng_opts *o, struct sdp **sdpp);
/*
 * An answer with fewer m= lines than the offer it answers (sipp's UAS, many IVRs): the
 * lines it left out are added with port 0, as RFC 3264 §6 wants them (type, profile and
 * formats of the offerer off's lines), and counted as tolerated. *sdpp is replaced.
 * NULL or the reason.
 */
const char *ng_sdp_pad_answer(struct mediad *md, const struct ng_opts *o,
    const struct monologue *off, unsigned offered, struct sdp **sdpp);
/* An offer's m= lines: at least one, at most MEDIAD_MAX_MEDIA, none removed since s's last. */
const char *ng_sdp_check_count(const struct sdp *sdp, const struct monologue *s);
/*
 * Takes the sender's media from its SDP: address, profile, direction and, from an
 * offer (plans non-NULL, from ng_policy_offer), the a=crypto lines it offers. A line
 * refused in the offer keeps what its leg had and is disabled. Returns NULL or the reason.
 */
const char *ng_sdp_take_media(struct mediad *md, const struct ng_opts *o,
    const struct sdp *sdp, struct monologue *s, const struct ng_line_plan *plans);

/* ---- ng_sdp_reply.c: the SDP for the recipient ---- */

/*
 * Rewrites sdp for recipient `to` (whose ports, profile and keys are in to->media)
 * and adds it to the reply as "sdp". answer: emit ours with the peer's tag (one line),
 * otherwise emit every proposed key. Returns NULL or the reason.
 */
const char *ng_sdp_reply(const struct ng_opts *o, const struct sdp *sdp, struct monologue *to,
    bool answer, struct bencode_arena *a, struct bencode_item *reply);
/*
 * The end of an offer or answer that went through: ng_sdp_reply() for `to`, the warning
 * naming refused lines (ng_policy_warn), then call c's relay updated from o (a re-offer
 * changes addresses and hold; keys change with the answer). NULL or the reason.
 */
const char *ng_sdp_reply_relay(struct mediad *md, const struct ng_opts *o,
    const struct sdp *sdp, struct monologue *to, bool answer, struct call *c,
    struct bencode_arena *a, struct bencode_item *reply);

#endif
