/* SPDX-License-Identifier: BSD-2-Clause */
/* Produces the SDP a recipient sees from a parsed SDP: our addresses, ports, profile and keys. */
#ifndef SBC_MEDIAD_SDP_REWRITE_H
#define SBC_MEDIAD_SDP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "sdp.h"

/* What to do with a=crypto in one media (the peer's lines are always removed). */
enum sdp_rw_crypto {
	SDP_RW_CRYPTO_NONE = 0,     /* emit none */
	SDP_RW_CRYPTO_EMIT,         /* emit the lines in sdp_rw_media.crypto, in order */
};

/* One crypto line to emit: for an answer one entry carrying the accepted
 * offer's tag; for our offer tags 1..n, each with its own fresh key. */
struct sdp_rw_crypto_line {
	uint32_t tag;
	struct crypto_key key;      /* our key (never the peer's) */
	unsigned params;            /* SDP_CRYPTO_UNENCRYPTED_SRTP... */
};

#define SDP_RW_MAX_CRYPTO 8

/* Per m= line of the input, same index. Ignored for media with port 0. */
struct sdp_rw_media {
	struct sa addr;             /* local address to advertise (port ignored) */
	uint16_t port;              /* local RTP port; RTCP is port + 1 unless rtcp-mux */
	enum sdp_proto proto;       /* SDP_PROTO_KEEP or the profile towards the recipient */
	bool rtcp_mux;              /* keep a=rtcp-mux if the input had it (no a=rtcp then);
	                               false strips a=rtcp-mux and advertises port + 1 */
	enum sdp_rw_crypto crypto_mode;
	struct sdp_rw_crypto_line crypto[SDP_RW_MAX_CRYPTO];
	size_t ncrypto;
	bool rtcp_mux_add;          /* write a=rtcp-mux even if the input lacked it (rtcp-mux
	                               offer/require); no a=rtcp then. Default false: as rtcp_mux */
};

/* Flags of struct sdp_rw_params. */
#define SDP_RW_REPLACE_ORIGIN    0x0001u  /* o= address -> origin_addr */
#define SDP_RW_REPLACE_SESS_CONN 0x0002u  /* kept for ng parity: session c= is always rewritten when present */
#define SDP_RW_SDP_VERSION       0x0004u  /* o= sess-version -> sdp_version */
#define SDP_RW_ICE_REMOVE        0x0008u  /* drop a=candidate, a=ice-*, a=end-of-candidates... */
#define SDP_RW_DTLS_REMOVE       0x0010u  /* drop a=fingerprint, a=setup, a=tls-id */
#define SDP_RW_NO_RTCP_ATTR      0x0020u  /* do not add a=rtcp */
#define SDP_RW_FULL_RTCP_ATTR    0x0040u  /* a=rtcp:<port> IN IP4 <addr> */
#define SDP_RW_ORIGINAL_SENDRECV 0x0080u  /* do not add a direction attribute */
#define SDP_RW_CRYPTO_PAD        0x0100u  /* keep base64 padding (= SDP_CRYPTO_FMT_PAD) */
#define SDP_RW_CRYPTO_LIFETIME   0x0200u  /* append |2^31 (= SDP_CRYPTO_FMT_LIFETIME) */
#define SDP_RW_REPLACE_ZERO_ADDR 0x0400u  /* also replace c=0.0.0.0 / :: (default keeps hold address) */

struct sdp_rw_params {
	unsigned flags;             /* SDP_RW_* */
	struct sa origin_addr;      /* for SDP_RW_REPLACE_ORIGIN; family 0: first active media's addr */
	struct sa session_addr;     /* session c=; family 0: first active media's addr */
	uint64_t sdp_version;       /* for SDP_RW_SDP_VERSION */
	struct sdp_rw_media media[SDP_MAX_MEDIA];
	size_t nmedia;              /* must equal sdp->nmedia */
};

/*
 * Rewrites sdp for its recipient (pure: no sockets, no clock, no randomness).
 * Every line not named in the rules below is copied byte for byte, in order:
 * - m=: port -> media.port (port 0 media are copied untouched), protocol
 *   replaced unless SDP_PROTO_KEEP, formats kept;
 * - c=: every c= line gets our address (the session c= too); a null address
 *   (hold) is kept unless SDP_RW_REPLACE_ZERO_ADDR; a media without any c=
 *   applying to it gets one;
 * - o=: address and/or version per flags;
 * - peer a=crypto, a=rtcp always removed; a=rtcp-mux per media.rtcp_mux;
 *   ICE/DTLS attributes per flags (session and media level);
 * - static payload types without a=rtpmap get one (before the first a= line);
 * - appended to each active media: direction (if none; the session's or
 *   sendrecv), a=rtcp-mux (media.rtcp_mux_add and the input had none) or
 *   a=rtcp:<port+1> (when rtcp-mux is not in the output), then our crypto lines.
 * Output has CRLF line endings. Returns 0 with *outp (malloc'd,
 * NUL-terminated, caller frees) and *lenp, or EINVAL (nmedia mismatch, bad
 * address/crypto parameters), EMSGSIZE (result over SDP_MAX_SIZE or
 * SDP_MAX_ATTRS), ENOMEM; *reason is set on error.
 */
int sdp_rewrite(const struct sdp *sdp, const struct sdp_rw_params *p, char **outp,
    size_t *lenp, const char **reason);

#endif
