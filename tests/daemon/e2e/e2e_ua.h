/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * e2e_ua: both parties of N calls through the SBC, as real user agents: an SRTP caller
 * (SDES over SIP/UDP) and an RTP callee, each answering re-INVITEs with or without an
 * offer and BYEs, following every new media address and key, streaming 20 ms packets
 * both ways and checking each one. It reports per call the longest media gap in each
 * direction (with its end, for the time to media after a fault), the Reason of each BYE
 * it received, and CSeq order violations it saw (a real UA answers them 500).
 */
#ifndef SBC_TESTS_E2E_UA_H
#define SBC_TESTS_E2E_UA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srtp.h"

#define UA_CALLS_MAX	64
#define UA_PAYLOAD	160
#define UA_MSG_MAX	8192

/* One party's side of a call: its dialog and its media. */
struct ua_leg {
	bool caller;			/* the SRTP party (else the RTP callee) */
	bool up;			/* dialog established */
	char call_id[160];
	char local_tag[32], remote_tag[160];
	char local_uri[160], remote_uri[256];
	char contact[256];		/* the peer's remote target */
	char route[1024];		/* route set towards the peer ("" none) */
	uint32_t local_cseq;		/* our last request's */
	uint32_t remote_cseq;		/* the peer's last request's */
	unsigned cseq_errors;		/* requests with a CSeq not above the last: answered 500 */
	unsigned reinvites, offerless;	/* re-INVITEs answered, of which without SDP */
	bool byed;			/* the peer sent BYE */
	char bye_reason[256];		/* its Reason header ("" none) */
	uint64_t bye_ms;		/* wall ms */
	/* a 2xx we sent, retransmitted until its ACK */
	char pending[UA_MSG_MAX];
	size_t pending_len;
	struct sockaddr_in pending_to;
	unsigned pending_tries;
	uint64_t pending_next;
	bool answer_in_ack;		/* our 2xx held an offer: the ACK brings the answer */
	/* media */
	int media_fd;
	struct sockaddr_in media_local, media_remote;
	bool have_remote;
	bool stop;			/* stopped sending (media stops on purpose) */
	struct crypto_key tx_key;	/* the caller's own key, kept for the whole call */
	uint32_t tx_tag;
	struct srtp_ctx *tx, *rx_ctx;	/* caller only */
	struct crypto_key rx_key;	/* the relay's key towards the caller */
	bool have_rx_key;
	uint16_t seq;
	uint32_t ssrc, ts, sent;
	unsigned rx, bad, authfail;
	uint64_t first_rx, last_rx;	/* wall ms */
	uint64_t gap, gap_start, gap_end;	/* longest gap between two packets, wall ms */
	uint64_t gaps[8][2];		/* every gap over UA_GAP_MS: its start and end */
	unsigned ngaps;
};

#define UA_GAP_MS 200	/* a gap worth listing (packets come every 20 ms) */

struct ua_call {
	unsigned idx;
	struct ua_leg caller, callee;
	char invite[UA_MSG_MAX];	/* the caller's INVITE, retransmitted until answered */
	size_t invite_len;
	unsigned invite_tries;
	uint64_t invite_next;
	bool answered;
	bool bye_sent;
	bool bye_done;
	int final_status;		/* the caller's INVITE failed with this (0: it did not) */
	char final_reason[256];		/* that response's Reason header ("" none) */
	/* the callee rings (-r): the INVITE it answers later, or that a CANCEL ends */
	bool ringing, cancelled;
	uint64_t answer_at;		/* wall ms */
	char ring_invite[UA_MSG_MAX + 1];
	size_t ring_len;
	struct sockaddr_in ring_from;
};

struct ua {
	struct sockaddr_in sbc;		/* sigproxy's outside UDP listener */
	struct sockaddr_in caller_sip, callee_sip;
	int caller_fd, callee_fd;	/* one SIP socket per side */
	char user[64];			/* Request-URI user of the first call (+ index) */
	unsigned ncalls;
	struct ua_call calls[UA_CALLS_MAX];
	uint64_t start_ms;
	unsigned stop_media_ms;		/* 0: never */
	unsigned ring_ms;		/* the callee rings this long before it answers (0: at once) */
	int first_seq;			/* the callers' first RTP sequence number (-1: random) */
	bool media_stopped;
	bool reported_up;
};

/* e2e_ua_sip.c */
/* The caller's INVITE of call c (and its first send). */
int ua_invite(struct ua *u, struct ua_call *c);
/* A datagram on a SIP socket (caller: true for the caller side's). */
void ua_sip_recv(struct ua *u, bool caller, const char *buf, size_t len,
    const struct sockaddr_in *from);
/* Retransmissions due (INVITE, 2xx until ACK). */
void ua_sip_timers(struct ua *u, uint64_t now);
/* The caller hangs up call c (BYE along the dialog). */
void ua_bye(struct ua *u, struct ua_call *c);

/* e2e_ua_media.c */
int ua_media_open(struct ua_leg *l, const char *ip);
/* Our SDP for l (an offer or an answer; tag: the crypto tag to use) into buf. */
int ua_sdp_build(const struct ua_leg *l, uint32_t tag, char *buf, size_t size);
/*
 * What the peer's SDP says: media address, and for the caller the relay's key (its
 * first usable a=crypto; *tag gets that line's tag). 0 or EBADMSG.
 */
int ua_sdp_apply(struct ua_leg *l, const char *sdp, size_t len, uint32_t *tag);
/* One packet from each party of every live call whose turn it is. */
void ua_media_send(struct ua *u, struct ua_call *c);
void ua_media_recv(struct ua *u, struct ua_call *c, bool caller);
void ua_media_close(struct ua_leg *l);

uint64_t ua_now_ms(void);	/* wall clock: the shell compares with date +%s%3N */

#endif
