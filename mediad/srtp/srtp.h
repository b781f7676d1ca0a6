/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad/srtp: the SDES crypto vocabulary every part shares (suites, keys, session
 * parameters), per-leg SRTP/SRTCP contexts, and the process-wide libsrtp2 engine
 * (OpenSSL EVP primitives). Libraries: mediad_suite (the suite table), mediad_srtp. */
#ifndef SBC_MEDIAD_SRTP_H
#define SBC_MEDIAD_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>	/* SRTP_MAX_TRAILER_LEN */

/* ---- crypto_suite.c (library mediad_suite): SDES suites (RFC 4568, 6188, 7714) ---- */

enum crypto_suite {
	CRYPTO_SUITE_NONE = 0,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	CRYPTO_SUITE_AEAD_AES_128_GCM,
	CRYPTO_SUITE_AEAD_AES_256_GCM,
	CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
	CRYPTO_SUITE_COUNT,
};

/* Longest master key + salt of any supported suite: AES-256 (32) + 14. */
#define CRYPTO_MAX_KEY_SALT 46

struct crypto_suite_info {
	enum crypto_suite suite;
	const char *name;          /* as written in a=crypto */
	size_t key_len;            /* master key bytes */
	size_t salt_len;           /* master salt bytes */
	size_t rtp_auth_tag_len;   /* bytes appended to SRTP packets (GCM: 16) */
	size_t rtcp_auth_tag_len;  /* bytes appended to SRTCP (_32 suites use 80-bit for RTCP) */
	bool aead;
};

/* NULL for CRYPTO_SUITE_NONE or out of range. */
const struct crypto_suite_info *crypto_suite_info(enum crypto_suite s);
/* Exact, case-sensitive name match as RFC 4568 requires; CRYPTO_SUITE_NONE if unknown. */
enum crypto_suite crypto_suite_from_name(const char *name, size_t len);
const char *crypto_suite_name(enum crypto_suite s);  /* "none" for NONE */

/* Longest MKI (RFC 3711 §3.1) an SRTP context carries; RFC 4568 allows 1..128 bytes. */
#define CRYPTO_MKI_MAX_LEN 128

/* An SDES key: master key followed by master salt, with its MKI and lifetime (RFC 4568). */
struct crypto_key {
	enum crypto_suite suite;
	unsigned char key_salt[CRYPTO_MAX_KEY_SALT];
	size_t key_salt_len;       /* key_len + salt_len of the suite */
	unsigned mki_len;          /* bytes of MKI in every packet under this key; 0: no MKI */
	uint32_t mki;              /* its value, big-endian in mki_len bytes */
	uint64_t lifetime;         /* packets (SRTP + SRTCP) under this key; 0: no limit given */
};

/*
 * RFC 4568 section 6.3 session parameters: the one flag set that a=crypto lines
 * (sdp_crypto.params), ng SDES options, relay legs (relay_leg_cfg.srtp_flags) and
 * SRTP contexts (srtp_ctx_opts.flags) all carry, so nothing translates between them.
 */
#define CRYPTO_PARAM_UNENCRYPTED_SRTP    0x01u
#define CRYPTO_PARAM_UNENCRYPTED_SRTCP   0x02u
#define CRYPTO_PARAM_UNAUTHENTICATED_SRTP 0x04u
#define CRYPTO_PARAM_ALL (CRYPTO_PARAM_UNENCRYPTED_SRTP | CRYPTO_PARAM_UNENCRYPTED_SRTCP | \
	CRYPTO_PARAM_UNAUTHENTICATED_SRTP)

/* ---- srtp_ctx.c: per-leg SRTP/SRTCP contexts, packets protected in place ---- */

/*
 * Tailroom a caller must leave after every packet handed to a protect
 * function: libsrtp documents that it may write SRTP_MAX_TRAILER_LEN
 * bytes after an RTP packet and 4 more after an RTCP one (index word).
 * With the suites we accept the real growth is smaller
 * (srtp_ctx_trailer_len(): at most 20 bytes plus the MKI, SRTCP with a GCM tag), and
 * protect checks that real need against the capacity it is given.
 */
#define SRTP_CTX_TAILROOM	(SRTP_MAX_TRAILER_LEN + 4)

enum srtp_ctx_dir {
	SRTP_CTX_INBOUND,	/* unprotect packets from the peer */
	SRTP_CTX_OUTBOUND,	/* protect packets sent to the peer */
};

struct srtp_ctx_opts {
	unsigned int flags;	/* CRYPTO_PARAM_* */
};

struct srtp_ctx;

/*
 * Create a context for one direction of one leg from an SDES key.
 * key->suite must equal suite (or be CRYPTO_SUITE_NONE) and
 * key->key_salt_len must match the suite.  opts may be NULL (no session
 * parameters).  Initialises the SRTP engine (srtp_engine_init())
 * if nobody did.  Returns 0 and sets *ctxp, or EINVAL (bad suite/key
 * length/direction, an MKI longer than CRYPTO_MKI_MAX_LEN or whose value does not
 * fit its length), ENOTSUP (a session parameter the suite cannot honour: AEAD
 * suites take only UNENCRYPTED_SRTCP), ENOMEM, EIO.
 * key->mki_len > 0: every packet carries that MKI (protect writes it, unprotect
 * requires it: another MKI fails as EINVAL). key->lifetime > 0: once that many
 * packets (SRTP and SRTCP together) went through the context, the packet functions
 * refuse more with EKEYEXPIRED (RFC 4568 §6.1: the key must be replaced).
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
 *   EKEYEXPIRED the key's lifetime is used up (nothing was done);
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
 * order).  srtp_ctx_roc_get: 0 and *rocp, or ENOENT if no packet of that
 * SSRC was processed yet.  srtp_ctx_roc_set: only before the context
 * processes that SSRC (a freshly created one); the first packet's index is
 * then taken as roc:seq.  0, EEXIST (SSRC already seen), ENOMEM, EIO.  Not
 * for the packet path (it may allocate).  (srtp_track.c)
 */
int srtp_ctx_roc_get(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t *rocp);
int srtp_ctx_roc_set(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t roc);

/* ---- srtp_track.c: per-SSRC indexes, published for a store and resumed after a restart ---- */

/* SSRCs a context tracks; a further one takes the slot idle longest. */
#define SRTP_CTX_MAX_SSRC		4
/* srtp_ctx_events() moves each time an SRTCP index crosses a multiple of this. */
#define SRTP_CTX_RTCP_STEP		64
/*
 * A resumed outbound SRTCP index starts this far above the stored one: more than the
 * reports that can go out between two stores (one step plus what is sent while the
 * store is written; README "Crash-safe media state").
 */
#define SRTP_CTX_RESUME_RTCP_MARGIN	256
/* Largest resumed outbound SRTCP index (indexes are skipped one protect each, ~1 us). */
#define SRTP_CTX_RESUME_RTCP_MAX	(1u << 20)

/* What a restarted process needs to continue one SSRC of a context exactly. */
struct srtp_ctx_ssrc_state {
	uint32_t ssrc;
	bool have_rtp;
	uint32_t roc;		/* rollover counter of the highest RTP index */
	uint16_t seq;		/* sequence number of the highest RTP index */
	bool have_rtcp;
	uint32_t rtcp_index;	/* highest SRTCP index sent (outbound) or accepted (inbound) */
};

/*
 * Copies the state of up to max tracked SSRCs into out; returns how many. Any thread,
 * while the packet functions run: reads only what the packet path published (atomics,
 * no lock, no allocation). The context must stay alive meanwhile.
 */
unsigned srtp_ctx_state_get(const struct srtp_ctx *ctx, struct srtp_ctx_ssrc_state *out,
    unsigned max);

/*
 * Continues st's SSRC in a fresh context, before any packet of that SSRC (not on the
 * packet path: it allocates, and an outbound one protects throw-away reports).
 *  - RTP: the first packet's ROC is the one that puts its index closest to the stored
 *    highest one (RFC 3711 estimate: a wrap since the store is followed); packets at or
 *    below the stored index are refused (EALREADY): outbound that would reuse
 *    keystream, inbound it is a replay the fresh window cannot see.
 *  - SRTCP outbound: the index continues at rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN,
 *    above anything sent before. Beyond SRTP_CTX_RESUME_RTCP_MAX this SSRC's SRTCP is
 *    refused instead (EOVERFLOW): no keystream is ever reused.
 *  - SRTCP inbound: indexes at or below rtcp_index are refused; the window starts fresh.
 * Returns 0, EINVAL, EEXIST (SSRC already seen or resumed), EOVERFLOW, ENOMEM, EIO.
 */
int srtp_ctx_resume(struct srtp_ctx *ctx, const struct srtp_ctx_ssrc_state *st);

/*
 * A process-wide counter that moves when a context starts tracking an SSRC, a ROC
 * changes or an SRTCP index crosses SRTP_CTX_RTCP_STEP: a store polls it to write
 * soon what must not be lost, without being told from the packet path.
 */
uint64_t srtp_ctx_events(void);

/* Bytes protect adds to an RTP (rtcp == 0) or RTCP (rtcp != 0) packet. */
size_t srtp_ctx_trailer_len(const struct srtp_ctx *ctx, int rtcp);
enum crypto_suite srtp_ctx_suite(const struct srtp_ctx *ctx);
enum srtp_ctx_dir srtp_ctx_direction(const struct srtp_ctx *ctx);

/* Short text for an error code of the packet functions, for logs/metrics. */
const char *srtp_ctx_strerror(int err);

/* ---- srtp_engine.c: process-wide libsrtp2 set-up ---- */

enum srtp_engine_impl {
	SRTP_ENGINE_NONE = 0,	/* not initialised */
	SRTP_ENGINE_OPENSSL,	/* AES-ICM, AES-GCM, HMAC-SHA1 from OpenSSL (default) */
	SRTP_ENGINE_LIBSRTP,	/* libsrtp's own build (NSS on Debian), for comparison */
};

/*
 * srtp_init() plus the OpenSSL replacements, then libsrtp's self tests of
 * every replaced type.  Idempotent and thread-safe; call once at start-up
 * before any thread relays media.  Returns 0, EIO if libsrtp or a self
 * test failed (the process must not relay SRTP then), EBUSY if the
 * engine was already initialised with SRTP_ENGINE_LIBSRTP.
 */
int srtp_engine_init(void);

/*
 * Same with a chosen implementation (SRTP_ENGINE_LIBSRTP keeps libsrtp's
 * own primitives: for tests and benchmarks).  The choice is global to the
 * process and final: EBUSY if a different one is already active, EINVAL
 * for SRTP_ENGINE_NONE or an unknown value.
 */
int srtp_engine_init_impl(enum srtp_engine_impl impl);

/* The active implementation, SRTP_ENGINE_NONE before init. */
enum srtp_engine_impl srtp_engine_active(void);
const char *srtp_engine_impl_name(enum srtp_engine_impl impl);

/*
 * Run libsrtp's self tests (srtp_cipher_type_self_test /
 * srtp_auth_type_self_test) on the types the active implementation
 * registered.  Returns 0, EIO on a failure, ENXIO before init.
 */
int srtp_engine_self_test(void);

/* The session parameters under the names tests/unit/test_srtp_ctx.c spells (same values). */
#define SRTP_CTX_UNENCRYPTED_SRTP	CRYPTO_PARAM_UNENCRYPTED_SRTP
#define SRTP_CTX_UNENCRYPTED_SRTCP	CRYPTO_PARAM_UNENCRYPTED_SRTCP
#define SRTP_CTX_UNAUTHENTICATED_SRTP	CRYPTO_PARAM_UNAUTHENTICATED_SRTP

#endif
