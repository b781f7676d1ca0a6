/* SPDX-License-Identifier: BSD-2-Clause */
/* What the relay targets (fuzz_packet, fuzz_frame) share: suites, fixed keys, sockets. */
#ifndef SBC_TESTS_FUZZ_RELAY_FIXTURE_H
#define SBC_TESTS_FUZZ_RELAY_FIXTURE_H

#include <stdint.h>

#include "srtp.h"

/* Every SDES suite, picked by a few bits of an input (index % FUZZ_NSUITES). */
#define FUZZ_NSUITES 5
extern const enum crypto_suite fuzz_suites[FUZZ_NSUITES];

/* A key of suite s whose bytes follow from seed: both ends of a test make the same one. */
void fuzz_fixed_key(struct crypto_key *k, enum crypto_suite s, uint8_t seed);
/* An unbound UDP socket for a relay leg (the relay owns it then); aborts when none. */
int fuzz_udp_fd(void);

#endif
