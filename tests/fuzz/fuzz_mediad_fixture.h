/* SPDX-License-Identifier: BSD-2-Clause */
/* What the mediad targets (fuzz_mediad_ng, fuzz_media_record) share: a mediad to drive. */
#ifndef SBC_TESTS_FUZZ_MEDIAD_FIXTURE_H
#define SBC_TESTS_FUZZ_MEDIAD_FIXTURE_H

struct mediad;

/*
 * A mediad with id "fuzz" and two interfaces, outside and inside, each with ports
 * 30000-30063 on 127.<net>.<pid slice>.1 and .2 (a private loopback slice per target and
 * process), their port pools, metrics and call table; no relay, no Redis. Aborts on failure.
 */
struct mediad *fuzz_mediad_new(unsigned net);

#endif
