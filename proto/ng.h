/* SPDX-License-Identifier: BSD-2-Clause */
/* The ng control protocol message layer: "<cookie> <bencoded dict>" datagrams,
 * key/flag normalisation, replies and error replies. See
 * shared/reference/ng-protocol.md. No sockets here. */
#ifndef SBC_PROTO_NG_H
#define SBC_PROTO_NG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bencode.h"

#define NG_MAX_DATAGRAM 65535
#define NG_MAX_COOKIE 64

enum ng_op {
	NG_OP_UNKNOWN = 0,
	NG_OP_PING,
	NG_OP_OFFER,
	NG_OP_ANSWER,
	NG_OP_DELETE,
	NG_OP_QUERY,
	NG_OP_LIST,
	NG_OP_STATISTICS,
};

struct ng_msg {
	const char *cookie;           /* borrowed from the datagram */
	size_t cookie_len;
	struct bencode_item *dict;    /* in the arena */
	enum ng_op op;                /* NG_OP_UNKNOWN for requests with an unknown or no command */
	const char *command;          /* NULL if absent; borrowed */
	size_t command_len;
	/* Convenience copies of common keys (borrowed, NULL/0 if absent). */
	const char *call_id;
	size_t call_id_len;
};

/*
 * Splits and decodes a request datagram. Returns 0 (m filled; a missing
 * "command" key gives op NG_OP_UNKNOWN and command NULL); ENOMSG when there is
 * no cookie (no space, space at offset 0, cookie longer than NG_MAX_COOKIE): the
 * datagram is dropped without reply; EBADMSG/ENODATA/E2BIG when the body is not
 * a valid bencode dictionary (reply "Could not decode bencode dictionary"),
 * with *err filled (offsets count from the start of the datagram);
 * EPROTONOSUPPORT for a JSON body ('{'); E2BIG also for a datagram longer than
 * NG_MAX_DATAGRAM; ENOMEM when the arena cap is hit; EINVAL for NULL a or m.
 */
int ng_msg_parse(struct bencode_arena *a, const char *dgram, size_t len,
    struct ng_msg *m, struct bencode_error *err);
/* The same for a reply datagram (client side): the dict must hold "result". */
int ng_reply_parse(struct bencode_arena *a, const char *dgram, size_t len,
    struct ng_msg *m, struct bencode_error *err);

enum ng_op ng_op_from_name(const char *s, size_t len);  /* exact match */
const char *ng_op_name(enum ng_op op);

/*
 * Keys and flags compare normalised: '-', '_' and ' ' are equal, and case is
 * ignored ("transport-protocol" == "transport protocol" == "Transport_Protocol").
 */
bool ng_name_eq(const char *a, size_t alen, const char *b);
/* Dictionary lookup with normalised key comparison; NULL if absent. */
struct bencode_item *ng_dict_get(const struct bencode_item *dict, const char *key);
/* String value; 0, ENOENT, EINVAL (not a string). */
int ng_get_str(const struct bencode_item *dict, const char *key, const char **s, size_t *len);
/* Integer from an integer or a decimal string; 0, ENOENT, EINVAL. */
int ng_get_int(const struct bencode_item *dict, const char *key, int64_t *v);
/* True if the list under key (or a single string under key) holds flag, compared normalised. */
bool ng_list_has(const struct bencode_item *dict, const char *key, const char *flag);
/* Calls fn for every string in the list (or the single string) under key. */
typedef void (ng_str_h)(const char *s, size_t len, void *arg);
void ng_list_foreach(const struct bencode_item *dict, const char *key, ng_str_h *fn, void *arg);

/*
 * Encodes "<cookie> <dict>" into buf. Returns 0 with *outlen set, ENOSPC if
 * the datagram would not fit cap (*outlen holds the size needed), EINVAL for
 * an empty cookie, one with a space or longer than NG_MAX_COOKIE, or a dict
 * that is not a well-formed DICT. ng_encode_error() follows the same rules.
 */
int ng_encode(const char *cookie, size_t cookie_len, const struct bencode_item *dict,
    char *buf, size_t cap, size_t *outlen);
/* "<cookie> d12:error-reason<n>:<reason>6:result5:errore" */
int ng_encode_error(const char *cookie, size_t cookie_len, const char *reason,
    char *buf, size_t cap, size_t *outlen);

/*
 * ---- ng_legs.c: a call's media per party from a query or delete reply ----
 * One party's media summed over its streams. Strings are copied from the reply (cut to
 * fit) and are raw network bytes: escape them before printing.
 */
#define NG_LEG_DROPS_MAX 12
struct ng_leg {
	bool present;			/* the reply had this party */
	char tag[128];
	char iface[32];			/* mediad interface facing the party */
	char suite[48];			/* SRTP suite, "" plain (or not reported) */
	uint64_t packets_in, bytes_in;	/* from the party */
	uint64_t packets_out, bytes_out;	/* to the party */
	uint64_t lost;			/* of what the party sent (RFC 3550), when have_lost */
	bool have_out, have_lost;	/* rtpengine reports neither */
	unsigned ndrops;
	struct {
		char reason[20];
		uint64_t count;
	} drops[NG_LEG_DROPS_MAX];	/* by reason, of what the party sent */
};
/*
 * Reads reply's "legs" (mediad, flag "leg-summary") or else its "tags" tree (the full
 * statistics of mediad or rtpengine): legs[0] gets the party whose tag is caller_tag
 * (NULL: the first), legs[1] the other. Returns 0, ENOENT (no statistics) or EINVAL.
 */
int ng_legs_read(const struct bencode_item *reply, const char *caller_tag, struct ng_leg legs[2]);

/* Error reasons rtpengine uses and Kamailio string-matches: keep verbatim. */
#define NG_ERR_DECODE       "Could not decode bencode dictionary"
#define NG_ERR_NO_COMMAND   "Dictionary contains no key \"command\""
#define NG_ERR_UNKNOWN_CMD  "Unrecognized command"
#define NG_ERR_NO_SDP       "No SDP body in message"
#define NG_ERR_NO_CALL_ID   "No call-id in message"
#define NG_ERR_NO_FROM_TAG  "No from-tag in message"
#define NG_ERR_NO_TO_TAG    "No to-tag in message"
#define NG_ERR_UNKNOWN_CALL "Unknown call-id"
#define NG_ERR_SDP_PARSE    "Failed to parse SDP"
#define NG_ERR_SDP_INCOMPLETE "Incomplete SDP specification"
#define NG_ERR_NO_PORTS     "Ran out of ports"
#define NG_ERR_SESSION_LIMIT "Parallel session limit reached"
#define NG_WARN_DELETE_UNKNOWN "Call-ID not found or tags didn't match"
#define NG_ERR_NO_MEMORY    "Out of memory"
#define NG_ERR_DIALOGUE     "Invalid dialogue association"
#define NG_ERR_JSON         "Invalid NG data format"
#define NG_ERR_REPLY_TOO_LARGE "Reply too large"

/* mediad's own reasons (rtpengine has no equivalent, or words them differently). */
#define NG_ERR_NO_CRYPTO    "no usable crypto suite"
#define NG_ERR_SRTP_KEY     "Failed to generate SRTP key"
#define NG_ERR_RELAY_SETUP  "Failed to set up the media relay"
#define NG_ERR_ANSWER_PROTO "Answer uses a different transport protocol than offered"
#define NG_ERR_DTLS         "DTLS-SRTP is not supported (use RTP/SAVP with SDES)"
#define NG_ERR_BAD_IFACE    "Invalid interface specification"
#define NG_ERR_BAD_DIRECTION "Invalid direction (want a list of two interface names)"
#define NG_ERR_BAD_RECEIVED_FROM "Invalid received-from (want [\"IP4\"|\"IP6\", address])"
#define NG_ERR_BAD_MEDIA_ADDRESS "Invalid media-address"
#define NG_ERR_BAD_DELETE_DELAY "Invalid delete delay"
#define NG_ERR_BAD_TOS      "Invalid TOS"
#define NG_ERR_BAD_LIMIT    "Invalid limit"
/* printf formats of reasons that name the offending value. */
#define NG_ERRF_BAD_TRANSPORT "Invalid transport protocol '%.*s'"
#define NG_ERRF_UNKNOWN_IFACE "Unknown interface '%.*s'"
#define NG_ERRF_UNKNOWN_SUITE "Unknown crypto suite in SDES option '%.*s'"
#define NG_ERRF_SDP_PROTO   "Unsupported transport protocol '%.*s' in SDP"
#define NG_ERRF_TOO_MANY_MEDIA "Too many media sections (%zu, at most %d)"
/* Their fixed prefixes, for clients that tell the reasons apart. */
#define NG_ERR_SDP_PROTO    "Unsupported transport protocol"
/* No line of an offer is RTP (a T.38 or BFCP-only re-INVITE). */
#define NG_ERR_NOT_RTP      NG_ERR_SDP_PROTO " in SDP: no RTP media line"
#define NG_ERR_TOO_MANY_MEDIA "Too many media sections"
/* Encryption enforced per interface ([interface] encryption): the interface's name. A
 * client tells these refusals by their prefix (sigproxy answers 488 for them). */
#define NG_ERR_ENC_PLAIN    "Plain RTP refused:"
#define NG_ERR_ENC_SRTP     "SRTP refused:"
#define NG_ERRF_ENC_PLAIN   NG_ERR_ENC_PLAIN " interface '%s' requires SRTP (encryption = required)"
#define NG_ERRF_ENC_SRTP    NG_ERR_ENC_SRTP " interface '%s' carries plain RTP only (encryption = off)"

#endif
