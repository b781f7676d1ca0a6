/* SPDX-License-Identifier: BSD-2-Clause */
/* The relay's thin adapter over srtp_ctx: contexts from leg configs, errors mapped to drop reasons. */
#ifndef SBC_MEDIAD_RELAY_SRTP_H
#define SBC_MEDIAD_RELAY_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_suite.h"

struct srtp_ctx;

/* Creates an inbound (rx) or outbound context for key with RELAY_SRTP_* flags; 0 or errno. */
int relay_srtp_ctx_new(struct srtp_ctx **cp, const struct crypto_key *k, unsigned flags, bool rx);
void relay_srtp_ctx_free(struct srtp_ctx *c);
enum crypto_suite relay_srtp_ctx_suite(const struct srtp_ctx *c);
/* Unprotects in place; -1 on success (*len updated), else an enum relay_drop. */
int relay_srtp_unprotect(struct srtp_ctx *c, uint8_t *buf, size_t *len, bool rtcp);
/* Protects in place; 0 or errno (*len updated on success). */
int relay_srtp_protect(struct srtp_ctx *c, uint8_t *buf, size_t *len, size_t cap, bool rtcp);

#endif
