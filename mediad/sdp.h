/* SPDX-License-Identifier: BSD-2-Clause */
/* SDP parsed into a model that keeps every line verbatim and in order (RFC 4566, 3264). */
#ifndef SBC_MEDIAD_SDP_H
#define SBC_MEDIAD_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp_crypto.h"

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
	struct sdp_media media[SDP_MAX_MEDIA];
	size_t nmedia;
};

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

#endif
