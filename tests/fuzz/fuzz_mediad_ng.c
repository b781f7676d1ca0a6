/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes mediad's ng handlers: raw datagrams, and offer/answer/re-offer with fuzzed SDP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "call.h"
#include "mediad.h"
#include "ng.h"
#include "ng_server.h"
#include "fuzz_mediad_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mediad *md;

static void
setup(void)
{
	/* A private loopback slice keeps the fuzzer's sockets out of everyone's way. */
	md = fuzz_mediad_new(201);
	log_init("fuzz", LOG_LEVEL_ERR, false);
}

/* Runs one request datagram through parse, handler and reply encoding, as the server does. */
static void
run_dgram(const char *buf, size_t len)
{
	struct bencode_arena a;
	struct bencode_error berr;
	struct ng_msg m;
	static char out[NG_MAX_DATAGRAM];
	size_t olen;

	bencode_arena_init(&a);
	if (ng_msg_parse(&a, buf, len, &m, &berr) == 0) {
		ng_handler_h *h = ng_handler_for(m.op);
		struct bencode_item *reply = bencode_dict(&a);
		const char *reason = NULL;

		if (h != NULL && reply != NULL)
			reason = h(md, &m, &a, reply);
		if (reason == NULL && reply != NULL &&
		    bencode_dict_add_cstr(&a, reply, "result", "ok") == 0)
			(void)ng_encode(m.cookie, m.cookie_len, reply, out, sizeof(out), &olen);
		else if (reason != NULL && reason != mediad_load_limit)
			(void)ng_encode_error(m.cookie, m.cookie_len, reason, out, sizeof(out), &olen);
	}
	bencode_arena_free(&a);
}

/* Builds "<cookie> <dict>" with the fuzzed SDP and runs it. */
static void
run_cmd(const char *cmd, const char *from, const char *to, const char *proto, bool osrtp,
    const uint8_t *sdp, size_t len)
{
	struct bencode_arena a;
	struct bencode_item *d, *dir;
	static char buf[NG_MAX_DATAGRAM];
	size_t blen;

	bencode_arena_init(&a);
	d = bencode_dict(&a);
	dir = bencode_list(&a);
	if (d == NULL || dir == NULL)
		goto out;
	(void)bencode_dict_add_cstr(&a, d, "command", cmd);
	(void)bencode_dict_add_cstr(&a, d, "call-id", "fuzz-call");
	(void)bencode_dict_add_cstr(&a, d, "from-tag", from);
	if (to != NULL)
		(void)bencode_dict_add_cstr(&a, d, "to-tag", to);
	if (proto != NULL)
		(void)bencode_dict_add_cstr(&a, d, "transport-protocol", proto);
	if (osrtp)
		(void)bencode_dict_add_cstr(&a, d, "OSRTP", "offer");
	(void)bencode_list_add(dir, bencode_cstr(&a, "outside"));
	(void)bencode_list_add(dir, bencode_cstr(&a, "inside"));
	(void)bencode_dict_add(&a, d, "direction", dir);
	(void)bencode_dict_add_str(&a, d, "sdp", (const char *)sdp, len);
	if (ng_encode("f1", 2, d, buf, sizeof(buf), &blen) == 0)
		run_dgram(buf, blen);
 out:
	bencode_arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (md == NULL)
		setup();
	if (size == 0)
		return 0;
	/* First byte: mode. Even: the rest is a raw datagram. Odd: the rest is SDP
	 * driven through offer, answer, callee re-offer, re-answer, query, delete. */
	if ((data[0] & 1) == 0) {
		run_dgram((const char *)data + 1, size - 1);
	} else {
		const char *proto = (data[0] & 2) ? "RTP/SAVP" : "RTP/AVP";
		bool osrtp = (data[0] & 0x40) != 0;

		/* bits 2-5: each interface's encryption (off, optional, required) */
		md->cfg.ifaces[0].encryption = (enum mediad_encryption)((data[0] >> 2) & 3u) % 3u;
		md->cfg.ifaces[1].encryption = (enum mediad_encryption)((data[0] >> 4) & 3u) % 3u;
		run_cmd("offer", "a", NULL, proto, osrtp, data + 1, size - 1);
		run_cmd("answer", "a", "b", NULL, false, data + 1, size - 1);
		run_cmd("offer", "b", "a", NULL, osrtp, data + 1, size - 1);
		run_cmd("answer", "b", "a", NULL, false, data + 1, size - 1);
		run_cmd("query", "a", NULL, NULL, false, data, 0);
		run_cmd("delete", "a", NULL, NULL, false, data, 0);
	}
	/* Nothing may outlive an input: every call and port goes back. */
	while (md->calls.head != NULL)
		call_destroy(md->calls.head);
	if (port_pool_in_use(md->cfg.ifaces[0].pool) || port_pool_in_use(md->cfg.ifaces[1].pool))
		abort();
	return 0;
}
