/* SPDX-License-Identifier: BSD-2-Clause */
/* SDES a=crypto lines (RFC 4568): tolerant parsing, formatting, and choosing one for an answer. */
#ifndef SBC_MEDIAD_SDP_CRYPTO_H
#define SBC_MEDIAD_SDP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_suite.h"

/* RFC 4568 session parameters (bit set in sdp_crypto.params). */
#define SDP_CRYPTO_UNENCRYPTED_SRTP    0x01u
#define SDP_CRYPTO_UNENCRYPTED_SRTCP   0x02u
#define SDP_CRYPTO_UNAUTHENTICATED_SRTP 0x04u

/* Longest line sdp_crypto_format() writes, NUL included. */
#define SDP_CRYPTO_LINE_MAX 192

/* Bit of a suite in an allow mask. */
#define SDP_CRYPTO_SUITE_BIT(s) (1u << (unsigned)(s))
/* Every suite of crypto_suite.h. */
#define SDP_CRYPTO_ALLOW_ALL (((1u << CRYPTO_SUITE_COUNT) - 1u) & ~1u)

/* One usable a=crypto line as parsed from a peer's SDP. */
struct sdp_crypto {
	uint32_t tag;              /* 1..999999999 as offered */
	struct crypto_key key;     /* suite, master key || salt (decoded) */
	unsigned params;           /* SDP_CRYPTO_UNENCRYPTED_SRTP... */
	bool has_lifetime;
	uint64_t lifetime;         /* packets; "2^n" with n > 63 saturates at UINT64_MAX */
	bool has_mki;              /* always false today: lines with an MKI are skipped (ENOTSUP) */
	uint32_t mki_value;
	unsigned mki_len;          /* bytes, 1..128 */
	bool has_kdr;
	unsigned kdr;              /* KDR=n, only 0 is usable */
	bool has_wsh;
	unsigned wsh;              /* WSH=n, replay window size hint (packets) */
	bool fec_order_srtp_fec;   /* FEC_ORDER=SRTP_FEC seen (we do no FEC; kept for logs) */
	bool key_padded;           /* the inline key carried base64 '=' padding */
};

/*
 * Parses the value of an a=crypto attribute, that is everything after
 * "a=crypto:" (no line ending): "<tag> <suite> inline:<key||salt>[|<lifetime>]
 * [|<MKI>:<len>][;inline:...] [session params]". A leading "a=crypto:" is
 * accepted too. Returns 0 with *out filled, or an errno with *reason (static
 * string) set and *out untouched:
 *   EBADMSG - malformed (no tag, no "inline:", bad base64, bad lifetime/MKI)
 *   ENOTSUP - well formed but unusable here (unknown suite, several inline keys,
 *             MKI in use, KDR != 0, FEC_KEY, unknown session parameter)
 *   EINVAL  - the key length does not match the suite
 * None of them is fatal for the SDP: the caller skips that line.
 */
int sdp_crypto_parse(struct sdp_crypto *out, const char *val, size_t len, const char **reason);

/* Formatting options for sdp_crypto_format(). */
#define SDP_CRYPTO_FMT_PAD       0x100u  /* keep base64 '=' padding (SDES-pad) */
#define SDP_CRYPTO_FMT_LIFETIME  0x200u  /* append "|2^31" (SDES-lifetime) */

/*
 * Writes "a=crypto:<tag> <SUITE> inline:<base64 key||salt>[|2^31][ <params>]"
 * (no line ending, NUL-terminated) into buf. flags: SDP_CRYPTO_FMT_* ORed with
 * the session parameter bits SDP_CRYPTO_UNENCRYPTED_SRTP... Returns 0 and the
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

#endif
