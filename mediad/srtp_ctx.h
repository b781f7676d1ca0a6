/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-leg SRTP/SRTCP contexts: protect and unprotect packets in place with one SDES key. */
#ifndef SBC_MEDIAD_SRTP_CTX_H
#define SBC_MEDIAD_SRTP_CTX_H

#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>	/* SRTP_MAX_TRAILER_LEN */

#include "crypto_suite.h"

/*
 * Tailroom a caller must leave after every packet handed to a protect
 * function: libsrtp documents that it may write SRTP_MAX_TRAILER_LEN
 * bytes after an RTP packet and 4 more after an RTCP one (index word).
 * With the suites we accept and no MKI the real growth is smaller
 * (srtp_ctx_trailer_len(): at most 20 bytes, SRTCP with a GCM tag), and
 * protect checks that real need against the capacity it is given.
 */
#define SRTP_CTX_TAILROOM	(SRTP_MAX_TRAILER_LEN + 4)

enum srtp_ctx_dir {
	SRTP_CTX_INBOUND,	/* unprotect packets from the peer */
	SRTP_CTX_OUTBOUND,	/* protect packets sent to the peer */
};

/* RFC 4568 section 6.3 session parameters (flags of struct srtp_ctx_opts). */
#define SRTP_CTX_UNENCRYPTED_SRTP	0x01u
#define SRTP_CTX_UNENCRYPTED_SRTCP	0x02u
#define SRTP_CTX_UNAUTHENTICATED_SRTP	0x04u

struct srtp_ctx_opts {
	unsigned int flags;	/* SRTP_CTX_UNENCRYPTED_* / _UNAUTHENTICATED_* */
	unsigned int mki_len;	/* MKI bytes per packet; only 0 (no MKI) supported */
};

struct srtp_ctx;

/*
 * Create a context for one direction of one leg from an SDES key.
 * key->suite must equal suite (or be CRYPTO_SUITE_NONE) and
 * key->key_salt_len must match the suite.  opts may be NULL (no session
 * parameters, no MKI).  Initialises the SRTP engine (srtp_engine_init())
 * if nobody did.  Returns 0 and sets *ctxp, or EINVAL (bad suite/key
 * length/direction), ENOTSUP (MKI asked, or a session parameter the suite
 * cannot honour: AEAD suites take only UNENCRYPTED_SRTCP), ENOMEM, EIO.
 * The key material is copied; the caller may wipe its copy.
 * Re-keying: destroy and create again.  An inbound context accepts any
 * SSRC (libsrtp ssrc_any_inbound); an outbound one any SSRC we send, and
 * allows re-sending an index (allow_repeat_tx) so a re-created outbound
 * stream does not trip replay protection.
 * Create and destroy may run on any thread; the packet functions on one
 * context must not run concurrently (different contexts are independent).
 */
int srtp_ctx_create(struct srtp_ctx **ctxp, enum crypto_suite suite,
    const struct crypto_key *key, enum srtp_ctx_dir dir,
    const struct srtp_ctx_opts *opts);

/* Free the context and wipe its keys.  NULL is allowed. */
void srtp_ctx_destroy(struct srtp_ctx *ctx);

/*
 * Packet functions.  All work in place on buf, which must be 4-byte
 * aligned (libsrtp reads the header as 32-bit words; EINVAL otherwise).
 * *lenp is the packet length in, and is written only on success
 * (protect: grown by the trailer; unprotect: shrunk to the plain packet).  cap is the size of
 * the buffer at buf: protect fails with ENOSPC unless
 * cap - *lenp >= srtp_ctx_trailer_len() (SRTP_CTX_TAILROOM always is).
 * Returns 0 or:
 *   EINVAL    malformed packet (short, not version 2, header longer than
 *             the packet, shorter than the tag) or wrong direction;
 *   EBADMSG   authentication failed (forged, corrupted, wrong key; also
 *             SRTCP claiming to be unencrypted when the policy encrypts);
 *   EALREADY  replayed or too old for the replay window (libsrtp checks
 *             the window before authenticating, so a forged packet whose
 *             sequence number or SRTCP index is old lands here too);
 *   ENOSPC    not enough tailroom (protect);
 *   EIO       any other libsrtp failure.
 * On failure the buffer content is unspecified (may be partly decrypted).
 * After the first packet of each SSRC (which clones libsrtp's stream
 * template) these functions do not allocate memory.
 */
int srtp_ctx_protect_rtp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp,
    size_t cap);
int srtp_ctx_unprotect_rtp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp);
int srtp_ctx_protect_rtcp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp,
    size_t cap);
int srtp_ctx_unprotect_rtcp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp);

/*
 * Rollover counter (RFC 3711 ROC) of the RTP stream with this SSRC (host
 * order), so a restarted mediad can continue a call's SRTP streams from
 * the state it saved.  srtp_ctx_roc_get: 0 and *rocp, or ENOENT if no
 * packet of that SSRC was processed yet.  srtp_ctx_roc_set: only before
 * the context processes that SSRC (a freshly created one); the first
 * packet's index is then taken as roc:seq.  0, EEXIST (SSRC already
 * seen), ENOMEM, EIO.  Not for the packet path (it may allocate); SRTCP
 * indexes cannot be restored through libsrtp's API.
 */
int srtp_ctx_roc_get(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t *rocp);
int srtp_ctx_roc_set(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t roc);

/* Bytes protect adds to an RTP (rtcp == 0) or RTCP (rtcp != 0) packet. */
size_t srtp_ctx_trailer_len(const struct srtp_ctx *ctx, int rtcp);
enum crypto_suite srtp_ctx_suite(const struct srtp_ctx *ctx);
enum srtp_ctx_dir srtp_ctx_direction(const struct srtp_ctx *ctx);

/* Short text for an error code of the packet functions, for logs/metrics. */
const char *srtp_ctx_strerror(int err);

#endif
