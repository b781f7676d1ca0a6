/* SPDX-License-Identifier: BSD-2-Clause */
/* The SRTP context's data, shared by the packet functions (srtp_ctx.c) and the per-SSRC
 * index tracking and resume below them (srtp_track.c). Private to mediad/srtp. */
#ifndef SBC_MEDIAD_SRTP_CTX_INT_H
#define SBC_MEDIAD_SRTP_CTX_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include "srtp.h"

#define SRTP_TRACK_VALID	(1ull << 63)

/*
 * One SSRC's indexes. The atomics are the published copy (written by the thread
 * that runs the packet functions, read by any thread through srtp_ctx_state_get);
 * the plain fields belong to the packet path (and to srtp_ctx_resume before it).
 */
struct srtp_track {
	_Atomic uint32_t gen;		/* odd while the slot changes SSRC (seqlock) */
	_Atomic uint32_t ssrc;
	_Atomic uint64_t rtp;		/* SRTP_TRACK_VALID | roc << 16 | seq of the highest index */
	_Atomic uint64_t rtcp;		/* SRTP_TRACK_VALID | highest SRTCP index */
	bool used;
	uint64_t last_use;		/* srtp_ctx.ticks at the last packet: eviction order */
	bool have_rtp, have_rtcp;
	uint64_t rtp_hi;		/* roc << 16 | seq of the highest RTP index */
	uint32_t rtcp_hi;		/* highest SRTCP index */
	bool rtp_floor_on, rtcp_floor_on;
	uint64_t rtp_floor;		/* resumed: RTP indexes at or below are refused */
	uint32_t rtcp_floor;		/* resumed inbound: SRTCP indexes at or below are refused */
	bool roc_pending;		/* resumed, nothing accepted yet: tell libsrtp the ROC */
	bool rtcp_blocked;		/* resumed outbound index beyond what can be skipped */
};

struct srtp_ctx {
	srtp_t session;		/* owned; libsrtp session with one any-SSRC template */
	srtp_policy_t policy;	/* as created; key points at key below (streams added later) */
	unsigned char key[CRYPTO_MAX_KEY_SALT];	/* master key + salt; wiped on destroy */
	enum crypto_suite suite;
	enum srtp_ctx_dir dir;
	bool aead;
	size_t rtp_trailer;	/* bytes protect appends to RTP */
	size_t rtcp_trailer;	/* bytes protect appends to RTCP (index word + tag) */
	size_t rtcp_tag;	/* SRTCP authentication tag bytes */
	unsigned mki_len;	/* MKI bytes in every packet; 0: none */
	unsigned char mki[CRYPTO_MKI_MAX_LEN];	/* its bytes; policy.keys points here */
	srtp_master_key_t mkey;	/* the one master key with MKI (policy.keys[0]) */
	srtp_master_key_t *mkeys[1];
	uint64_t limit;		/* packets allowed under the key (its lifetime); UINT64_MAX: none */
	uint64_t used;		/* packets protected or accepted so far, packet path only */
	uint64_t ticks;		/* packets seen, packet path only */
	struct srtp_track track[SRTP_CTX_MAX_SSRC];
};

/* ---- srtp_track.c, called by the packet functions of srtp_ctx.c ---- */

/*
 * Before an RTP packet (header checked) is handed to libsrtp: its index as this
 * context estimates it, the slot of its SSRC (outbound: taken if new; inbound: only
 * an existing one, a forged packet must not evict anything), and the resume checks.
 * Returns 0 or EALREADY (at or below a resumed floor: refuse the packet).
 */
int srtp_track_rtp_pre(struct srtp_ctx *ctx, const uint8_t *buf, struct srtp_track **tp,
    uint64_t *idxp);
/* After libsrtp accepted it: records the index (inbound: takes the slot if new). */
void srtp_track_rtp_post(struct srtp_ctx *ctx, const uint8_t *buf, struct srtp_track *t,
    uint64_t idx);
/*
 * Before an RTCP packet of len bytes (header checked; inbound: still protected) is
 * handed to libsrtp: the slot of its SSRC if there is one, and EALREADY if resumed
 * state refuses the packet (inbound index at or below the floor; outbound blocked).
 */
int srtp_track_rtcp_pre(struct srtp_ctx *ctx, const uint8_t *buf, size_t len,
    struct srtp_track **tp);
/* The SRTCP index in the trailer of a protected packet of len bytes; -1 if too short. */
int64_t srtp_track_rtcp_index(const struct srtp_ctx *ctx, const uint8_t *pkt, size_t len);
/* After libsrtp accepted it: records idx for the SSRC in buf's header (takes a slot). */
void srtp_track_rtcp_post(struct srtp_ctx *ctx, const uint8_t *buf, struct srtp_track *t,
    int64_t idx);

#endif
