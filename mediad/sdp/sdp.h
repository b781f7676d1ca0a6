/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad/sdp (library mediad_sdp): SDP parsed into a model that keeps every line verbatim
 * and in order (RFC 4566, 3264), SDES a=crypto lines (RFC 4568), and the rewrite that
 * produces what a recipient sees. Pure: no sockets, no clock. */
#ifndef SBC_MEDIAD_SDP_H
#define SBC_MEDIAD_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "srtp.h"

/* ---- sdp_crypto.c: a=crypto lines, tolerant parsing, formatting, choosing one ---- */

/* Longest line sdp_crypto_format() writes, NUL included. */
#define SDP_CRYPTO_LINE_MAX 224

/* Bit of a suite in an allow mask. */
#define SDP_CRYPTO_SUITE_BIT(s) (1u << (unsigned)(s))
/* Every suite of enum crypto_suite. */
#define SDP_CRYPTO_ALLOW_ALL (((1u << CRYPTO_SUITE_COUNT) - 1u) & ~1u)

/* One usable a=crypto line as parsed from a peer's SDP. */
struct sdp_crypto {
	uint32_t tag;              /* 1..999999999 as offered */
	struct crypto_key key;     /* suite, master key || salt (decoded) */
	unsigned params;           /* CRYPTO_PARAM_* (srtp.h) */
	bool has_lifetime;
	uint64_t lifetime;         /* packets; "2^n" with n > 63 saturates at UINT64_MAX */
	bool has_mki;              /* "|<value>:<length>": packets carry it (also in key) */
	uint32_t mki_value;
	unsigned mki_len;          /* bytes, 1..128 */
	bool has_kdr;
	unsigned kdr;              /* KDR=n, only 0 is usable */
	bool has_wsh;
	unsigned wsh;              /* WSH=n, replay window size hint (packets) */
	bool fec_order_srtp_fec;   /* FEC_ORDER=SRTP_FEC seen (we do no FEC; kept for logs) */
	bool key_padded;           /* the inline key carried base64 '=' padding */
	unsigned acap;             /* 0: an a=crypto line; else the a=acap number (RFC 5939)
	                              of a potential configuration it came from */
};

/*
 * Parses the value of an a=crypto attribute, that is everything after
 * "a=crypto:" (no line ending): "<tag> <suite> inline:<key||salt>[|<lifetime>]
 * [|<MKI>:<len>][;inline:...] [session params]". A leading "a=crypto:" is
 * accepted too. Returns 0 with *out filled, or an errno with *reason (static
 * string) set and *out untouched:
 *   EBADMSG - malformed (no tag, no "inline:", bad base64, bad lifetime/MKI)
 *   ENOTSUP - well formed but unusable here (unknown suite, several inline keys,
 *             KDR != 0, FEC_KEY, unknown session parameter)
 * An MKI and a lifetime are usable: out->key carries them (mki_len, mki, lifetime)
 * for the SRTP context.
 *   EINVAL  - the key length does not match the suite
 * None of them is fatal for the SDP: the caller skips that line.
 */
int sdp_crypto_parse(struct sdp_crypto *out, const char *val, size_t len, const char **reason);

/* Formatting options for sdp_crypto_format(). */
#define SDP_CRYPTO_FMT_PAD       0x100u  /* keep base64 '=' padding (SDES-pad) */
#define SDP_CRYPTO_FMT_LIFETIME  0x200u  /* append "|2^31" (SDES-lifetime) */

/*
 * Writes "a=crypto:<tag> <SUITE> inline:<base64 key||salt>[|<lifetime>][|<mki>:<len>]
 * [ <params>]" (no line ending, NUL-terminated) into buf: the key's lifetime ("2^n"
 * for a power of two; with none, SDP_CRYPTO_FMT_LIFETIME writes "|2^31") and MKI. flags: SDP_CRYPTO_FMT_* ORed with
 * the session parameter bits CRYPTO_PARAM_* Returns 0 and the
 * length in *lenp (may be NULL), EINVAL for a bad tag/suite/key length, ENOSPC
 * if size is too small (SDP_CRYPTO_LINE_MAX is always enough).
 */
int sdp_crypto_format(char *buf, size_t size, uint32_t tag, const struct crypto_key *key,
    unsigned flags, size_t *lenp);

/*
 * Chooses the crypto for an answer: the first offered line (in offer order)
 * whose suite is in allow (SDP_CRYPTO_SUITE_BIT mask). Returns 0 and copies it
 * to *out (tag, suite and the peer's key), ENOENT if none qualifies.
 */
int sdp_crypto_select(const struct sdp_crypto *offered, size_t n, unsigned allow,
    struct sdp_crypto *out);

/*
 * Applies one ng SDES option to an allow mask: "no-<SUITE>" clears the bit,
 * "only-<SUITE>" builds a whitelist (the first only- replaces the mask; later
 * ones add to it; only- wins over no- whatever the order, so call
 * sdp_crypto_allow_finish() after the last option). Other options (pad, off,
 * unencrypted_srtp...) are not for this function: returns ENOENT for them and
 * EINVAL for no-/only- with an unknown suite; 0 otherwise.
 */
struct sdp_crypto_allow {
	unsigned mask;    /* start value: configured suites */
	unsigned no;      /* collected no- bits */
	unsigned only;    /* collected only- bits (0: none given) */
};
int sdp_crypto_allow_apply(struct sdp_crypto_allow *a, const char *opt, size_t len);
/* The resulting mask: the only- set if any was given (only- wins over no-), else mask & ~no. */
unsigned sdp_crypto_allow_finish(const struct sdp_crypto_allow *a);

/*
 * Base64 helpers (RFC 4648 standard alphabet). decode accepts padded and
 * unpadded input, rejects anything else with EBADMSG; ENOSPC when out is too
 * small. encode writes NUL-terminated text, padded only when pad is true.
 */
int sdp_base64_decode(unsigned char *out, size_t size, const char *in, size_t len, size_t *outlen);
int sdp_base64_encode(char *out, size_t size, const unsigned char *in, size_t len, bool pad,
    size_t *outlen);

/* ---- sdp.c: the parsed model ---- */

#define SDP_MAX_SIZE    65536   /* bytes of input */
#define SDP_MAX_MEDIA   16      /* m= lines */
#define SDP_MAX_ATTRS   256     /* a= lines at session level and in each media */
#define SDP_MAX_CRYPTO  16      /* usable a=crypto lines kept per media (more are skipped) */
#define SDP_MAX_FORMATS 64      /* formats on one m= line */
/* Lines of input (and of a rewrite's output): 16 media of 256 attributes plus their other lines. */
#define SDP_MAX_LINES ((SDP_MAX_MEDIA + 1) * (SDP_MAX_ATTRS + 16))

/* A slice of the parsed copy of the SDP (not NUL-terminated). */
struct sdp_str {
	const char *p;
	size_t len;
};

/* Attributes the rewriter and the control code care about; the rest is SDP_ATTR_OTHER. */
enum sdp_attr {
	SDP_ATTR_NONE = 0,          /* not an a= line */
	SDP_ATTR_OTHER,
	SDP_ATTR_RTPMAP,
	SDP_ATTR_FMTP,
	SDP_ATTR_PTIME,
	SDP_ATTR_CRYPTO,
	SDP_ATTR_RTCP,
	SDP_ATTR_RTCP_MUX,
	SDP_ATTR_SENDRECV,
	SDP_ATTR_SENDONLY,
	SDP_ATTR_RECVONLY,
	SDP_ATTR_INACTIVE,
	SDP_ATTR_ICE,               /* candidate, remote-candidates, end-of-candidates, ice-* */
	SDP_ATTR_FINGERPRINT,
	SDP_ATTR_SETUP,
	SDP_ATTR_TLS_ID,
	SDP_ATTR_CAPNEG,            /* tcap, acap, pcfg, acfg, csup, creq (RFC 5939) */
};

enum sdp_dir {
	SDP_DIR_NONE = 0,           /* no direction attribute */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/* Transport protocol of an m= line; SDP_PROTO_KEEP is for rewrite parameters. */
enum sdp_proto {
	SDP_PROTO_KEEP = 0,         /* as parsed: "anything else" (udp, TCP/MSRP...) */
	SDP_PROTO_RTP_AVP,
	SDP_PROTO_RTP_SAVP,
	SDP_PROTO_RTP_AVPF,
	SDP_PROTO_RTP_SAVPF,
	SDP_PROTO_UDP_TLS_RTP_SAVP,
	SDP_PROTO_UDP_TLS_RTP_SAVPF,
};

/* One line of the SDP, without its line ending. */
struct sdp_line {
	char type;                  /* 'v', 'o', 's', 'c', 'b', 't', 'm', 'a', ... */
	struct sdp_str text;        /* whole line, e.g. "a=rtpmap:0 PCMU/8000" */
	struct sdp_str value;       /* after "x=" */
	enum sdp_attr attr;         /* SDP_ATTR_NONE unless type == 'a' */
	struct sdp_str name;        /* a= lines: before the first ':' */
	struct sdp_str attr_value;  /* a= lines: after the first ':' (empty for flags) */
};

/* A c= line: "IN IP4 <addr>[/ttl...]". */
struct sdp_conn {
	bool present;
	size_t line;                /* index in sdp->lines */
	int family;                 /* AF_INET, AF_INET6, or 0 for an unknown address type */
	struct sdp_str addr;        /* address text without /ttl */
	bool null_addr;             /* 0.0.0.0 or :: (RFC 3264 hold) */
};

/* A crypto line that could not be used, and why. */
struct sdp_crypto_skip {
	size_t line;                /* index in sdp->lines */
	int err;                    /* EBADMSG, ENOTSUP, EINVAL, or E2BIG (over SDP_MAX_CRYPTO) */
	const char *reason;         /* static string */
};

/*
 * RFC 5939 capability negotiation of one media: the SRTP potential configuration an
 * answer would take (best-effort SRTP as Avaya, AudioCodes and Asterisk offer it:
 * "m=audio ... RTP/AVP", "a=tcap:1 RTP/SAVP", "a=acap:1 crypto:...", "a=pcfg:1 t=1 a=1").
 * Its crypto lines are in the media's crypto[] with their acap numbers.
 */
struct sdp_capneg {
	unsigned cfg;               /* a=pcfg config number; 0: no usable configuration */
	unsigned tcap;              /* the transport capability chosen from its t= list */
	enum sdp_proto proto;       /* that capability: RTP/SAVP or RTP/SAVPF */
};

struct sdp_media {
	size_t line;                /* index of the m= line in sdp->lines */
	size_t end;                 /* one past the last line of this media section */
	struct sdp_str type;        /* "audio", "video", ... */
	uint16_t port;              /* 0: rejected/disabled stream (keep, allocate nothing) */
	unsigned port_count;        /* "port/count", 1 when absent */
	struct sdp_str proto_text;  /* as written, e.g. "RTP/SAVP" */
	enum sdp_proto proto;
	struct sdp_str formats;     /* everything after the protocol */
	struct sdp_str fmt[SDP_MAX_FORMATS];
	size_t nfmt;
	struct sdp_conn conn;       /* media-level c=; not present: session c= applies */
	enum sdp_dir dir;           /* media-level attribute (SDP_DIR_NONE if absent) */
	bool rtcp_mux;              /* a=rtcp-mux */
	bool has_rtcp;              /* a=rtcp:<port> [IN IP4 addr] */
	uint16_t rtcp_port;
	bool ice;                   /* any ICE attribute in this media */
	bool dtls;                  /* a=fingerprint or a=setup in this media */
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];  /* usable lines, offer order */
	size_t ncrypto;
	struct sdp_crypto_skip skipped[SDP_MAX_CRYPTO];
	size_t nskipped;            /* skip records kept (at most SDP_MAX_CRYPTO) */
	size_t ncrypto_lines;       /* all a=crypto lines seen, usable or not */
	struct sdp_capneg capneg;   /* RFC 5939 (sdp_capneg.c) */
};

struct sdp_origin {
	bool present;
	size_t line;
	struct sdp_str username;
	struct sdp_str sess_id;
	uint64_t sess_version;
	struct sdp_str sess_version_text;
	int family;                 /* AF_INET, AF_INET6, 0 unknown */
	struct sdp_str addr;
};

struct sdp {
	char *buf;                  /* owned copy of the input; all slices point here */
	size_t len;
	struct sdp_line *lines;     /* owned; every line in input order */
	size_t nlines;
	size_t nsession;            /* lines before the first m= (session level) */
	struct sdp_origin origin;
	struct sdp_conn conn;       /* session-level c= */
	enum sdp_dir dir;           /* session-level direction attribute */
	bool ice;                   /* session-level ICE attributes */
	bool dtls;                  /* session-level fingerprint/setup */
	bool capneg;                /* some RFC 5939 attribute at either level */
	struct sdp_media media[SDP_MAX_MEDIA];
	size_t nmedia;
};

/* sdp_parse's reason for an SDP with more than SDP_MAX_MEDIA m= lines. */
#define SDP_ERR_TOO_MANY_MEDIA "too many media lines"

/*
 * Parses an SDP body (LF or CRLF line endings; a missing final line ending is
 * accepted). The input is copied; the caller may free it afterwards.
 * Returns 0 and *sdpp (free with sdp_free), ENOMEM, or EBADMSG with *reason
 * set to a static string ("m= line without port", "too many media lines"...),
 * which the ng server reports as "Failed to parse SDP". Unusable a=crypto lines
 * are not errors: they are listed in media->skipped.
 */
int sdp_parse(struct sdp **sdpp, const char *buf, size_t len, const char **reason);
void sdp_free(struct sdp *sdp);

/* ---- sdp_capneg.c: RFC 5939 capability negotiation ---- */

/*
 * Called by sdp_parse once every line is in: for each RTP/AVP(F) media with a port and
 * no usable a=crypto of its own, the first a=pcfg (lowest number) offering an SRTP
 * transport (a=tcap, media or session level) with a=acap crypto attributes; those go
 * into media->crypto (acap set) and media->capneg says what to answer (a=acfg).
 * Unusable acap crypto lines are listed in media->skipped. A configuration that needs
 * more than transports and crypto (other attribute capabilities, RFC 6871 media
 * capabilities, an a=creq option) is not taken: the actual configuration stays.
 */
void sdp_capneg_resolve(struct sdp *sdp);

/* Effective direction of a media: its own attribute, else the session's, else sendrecv. */
enum sdp_dir sdp_media_dir(const struct sdp *sdp, const struct sdp_media *m);
/* Connection that applies to a media: media-level if present, else session-level (may be !present). */
const struct sdp_conn *sdp_media_conn(const struct sdp *sdp, const struct sdp_media *m);
/* True for RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP[F]. */
bool sdp_proto_is_secure(enum sdp_proto p);
/* "RTP/AVP"...; NULL for SDP_PROTO_KEEP. */
const char *sdp_proto_name(enum sdp_proto p);
/* Parses "RTP/AVP", ... (exact, case-sensitive); SDP_PROTO_KEEP when unknown. */
enum sdp_proto sdp_proto_from_name(const char *s, size_t len);
/* "sendrecv", "sendonly", "recvonly", "inactive"; "" for SDP_DIR_NONE. */
const char *sdp_dir_name(enum sdp_dir d);

/* ---- sdp_rewrite.c: the SDP a recipient sees: our addresses, ports, profile and keys ---- */

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
	unsigned params;            /* CRYPTO_PARAM_* (srtp.h) */
};

#define SDP_RW_MAX_CRYPTO 8

/* Per m= line of the input, same index. Ignored for media with port 0 or reject. */
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
	bool reject;                /* a stream we refuse: written with port 0 (RFC 3264 §6)
	                               and its profile as in the input, like an input port 0 */
	/* RFC 5939 answer to an offer's potential configuration: "a=acfg:<cfg> t=<tcap>
	   a=<acap>" after our crypto line; acfg_cfg 0: none (peer capneg lines always go) */
	unsigned acfg_cfg, acfg_tcap, acfg_acap;
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
 * - m=: port -> media.port (port 0 media are copied untouched, rejected ones
 *   get port 0 and are then treated alike), protocol replaced unless
 *   SDP_PROTO_KEEP, formats kept;
 * - c=: every c= line gets our address (the session c= too); a null address
 *   (hold) is kept unless SDP_RW_REPLACE_ZERO_ADDR; a media without any c=
 *   applying to it gets one;
 * - o=: address and/or version per flags;
 * - peer a=crypto, a=rtcp and RFC 5939 attributes (tcap, acap, pcfg...) always
 *   removed; a=rtcp-mux per media.rtcp_mux;
 *   ICE/DTLS attributes per flags (session and media level);
 * - static payload types without a=rtpmap get one (before the first a= line);
 * - appended to each active media: direction (if none; the session's or
 *   sendrecv), a=rtcp-mux (media.rtcp_mux_add and the input had none) or
 *   a=rtcp:<port+1> (when rtcp-mux is not in the output), then our crypto lines
 *   and a=acfg (media.acfg_cfg).
 * Output has CRLF line endings. Returns 0 with *outp (malloc'd,
 * NUL-terminated, caller frees) and *lenp, or EINVAL (nmedia mismatch, bad
 * address/crypto parameters), EMSGSIZE (result over SDP_MAX_SIZE or
 * SDP_MAX_ATTRS), ENOMEM; *reason is set on error.
 */
int sdp_rewrite(const struct sdp *sdp, const struct sdp_rw_params *p, char **outp,
    size_t *lenp, const char **reason);

/* The session parameters under the names tests/unit/test_sdp*.c spell (same values). */
#define SDP_CRYPTO_UNENCRYPTED_SRTP	CRYPTO_PARAM_UNENCRYPTED_SRTP
#define SDP_CRYPTO_UNENCRYPTED_SRTCP	CRYPTO_PARAM_UNENCRYPTED_SRTCP
#define SDP_CRYPTO_UNAUTHENTICATED_SRTP	CRYPTO_PARAM_UNAUTHENTICATED_SRTP

#endif
