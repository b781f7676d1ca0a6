/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The mediad control plane in-process for the call model tests: a struct mediad with
 * two interfaces on private loopback addresses (outside 30000-30099; inside 40000-40005,
 * only 3 pairs, for the exhaustion case), no relay and no Redis, and a way to run one
 * ng command through a handler.
 */
#ifndef SBC_TESTS_UNIT_CALL_FIXTURE_H
#define SBC_TESTS_UNIT_CALL_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "bencode.h"
#include "mediad.h"
#include "ng.h"
#include "ng_server.h"

struct call_env {
	struct mediad md;
	struct bencode_arena a;
	char dgram[8192];
	struct bencode_item *reply;
	char sdp[4096];
};

/* cmocka setup/teardown: *state is a struct call_env; teardown checks that every port
 * went back to its pool. */
int call_env_setup(void **state);
int call_env_teardown(void **state);

/*
 * Runs one command given as key/value pairs (NULL-terminated); values starting with
 * '[' are lists of words separated by ','. Returns the reason (NULL = ok); the
 * reply dict is in e->reply and its SDP (if any) copied to e->sdp.
 */
const char *call_env_run(struct call_env *e, ng_handler_h *h, ...);
/* The same with the fail_at-th allocation of the handler failing (lib/oom_wrap.h);
 * *fired says whether it did. Only the handler runs with failure armed. */
const char *call_env_run_oom(struct call_env *e, long fail_at, bool *fired, ng_handler_h *h, ...);
/* Ports in use on interface i (0 outside, 1 inside). */
unsigned call_env_pool_in_use(struct call_env *e, unsigned i);

/* Occurrences of needle in an SDP; the port of its first m=audio line; the inline key
 * of its first a=crypto line, copied to out. */
unsigned sdp_count(const char *hay, const char *needle);
unsigned sdp_m_port(const char *sdp);
void sdp_crypto_key(const char *sdp, char *out, size_t size);

#endif
