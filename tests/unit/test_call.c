/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of mediad's call model and offer/answer logic: tags, re-offers, crypto, ports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bencode.h"
#include "call.h"
#include "call_fixture.h"
#include "mediad.h"
#include "ng.h"
#include "ng_server.h"
#include "timeutil.h"

#define CRLF "\r\n"

static const char sdp_srtp_offer[] =
    "v=0" CRLF "o=carrier 1000 1 IN IP4 198.51.100.10" CRLF "s=-" CRLF
    "c=IN IP4 198.51.100.10" CRLF "t=0 0" CRLF "m=audio 20000 RTP/SAVP 0 101" CRLF
    "a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF
    "a=fmtp:101 0-16" CRLF
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c" CRLF
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR" CRLF
    "a=sendrecv" CRLF;

static const char sdp_rtp_answer[] =
    "v=0" CRLF "o=ivr 2000 1 IN IP4 10.0.0.20" CRLF "s=-" CRLF "c=IN IP4 10.0.0.20" CRLF
    "t=0 0" CRLF "m=audio 30000 RTP/AVP 0 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF
    "a=rtpmap:101 telephone-event/8000" CRLF "a=fmtp:101 0-16" CRLF "a=sendrecv" CRLF;

static const char sdp_ivr_hold[] =
    "v=0" CRLF "o=ivr 2000 2 IN IP4 10.0.0.21" CRLF "s=-" CRLF "c=IN IP4 10.0.0.21" CRLF
    "t=0 0" CRLF "m=audio 30002 RTP/AVP 0 101" CRLF "a=rtpmap:0 PCMU/8000" CRLF
    "a=rtpmap:101 telephone-event/8000" CRLF "a=sendonly" CRLF;

static const char sdp_savp_nocrypto[] =
    "v=0" CRLF "o=x 1 1 IN IP4 198.51.100.11" CRLF "s=-" CRLF "c=IN IP4 198.51.100.11" CRLF
    "t=0 0" CRLF "m=audio 20000 RTP/SAVP 0" CRLF "a=crypto:1 BOGUS_SUITE inline:AAAA" CRLF;

static int destroyed;

static void
count_destroy(struct call *c, void *arg)
{
	(void)c;
	(void)arg;
	destroyed++;
}

static void
test_table(void **state)
{
	struct call_table t;
	struct call *a, *b, *x;

	(void)state;
	destroyed = 0;
	assert_int_equal(call_table_init(&t, 4, count_destroy, NULL), 0);
	assert_int_equal(call_create(&t, "one", 3, &a), 0);
	assert_int_equal(call_create(&t, "two", 3, &b), 0);
	assert_int_equal(call_create(&t, "one", 3, &x), EEXIST);
	assert_int_equal(call_create(&t, "n\0l", 3, &x), EINVAL);
	assert_ptr_equal(call_find(&t, "two", 3), b);
	assert_null(call_find(&t, "tw", 2));
	assert_ptr_equal(t.head, a);
	assert_ptr_equal(t.tail, b);
	assert_int_equal(t.count, 2);
	assert_int_equal(monologue_alloc(&a->mono[0], "tagA", 4, NULL), 0);
	assert_int_equal(monologue_alloc(&a->mono[1], NULL, 0, NULL), 0);
	assert_ptr_equal(call_mono_by_tag(a, "tagA", 4), a->mono[0]);
	assert_ptr_equal(call_mono_by_tag(a, "", 0), a->mono[1]);
	assert_null(call_mono_by_tag(a, "tag", 3));
	assert_int_equal(call_mono_index(a, a->mono[1]), 1);
	call_destroy(a);
	assert_int_equal(destroyed, 1);
	assert_null(call_find(&t, "one", 3));
	assert_ptr_equal(t.head, b);
	call_table_clear(&t);
	assert_int_equal(destroyed, 2);
}

/* Flow A: SRTP from outside, RTP inside; answer; re-offers in both directions. */
static void
test_flow_a_and_reoffers(void **state)
{
	struct call_env *e = *state;
	char key1[80], key2[80];
	unsigned in_port, out_port;

	assert_null(call_env_run(e, ng_handle_offer, "call-id", "A1", "from-tag", "caller",
	    "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
	    "direction", "[outside,inside]", "replace", "[origin,session-connection]",
	    "label", "outside", NULL));
	/* Towards the IVR: inside advertised address, RTP/AVP, no crypto, even port. */
	assert_non_null(strstr(e->sdp, "c=IN IP4 10.0.0.5\r\n"));
	assert_non_null(strstr(e->sdp, "o=carrier 1000 1 IN IP4 10.0.0.5\r\n"));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0 101\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_non_null(strstr(e->sdp, "a=rtpmap:101 telephone-event/8000"));
	in_port = sdp_m_port(e->sdp);
	assert_int_equal(in_port % 2, 0);
	assert_true(in_port >= 40000 && in_port <= 40004);
	assert_int_equal(call_env_pool_in_use(e, 0), 1);
	assert_int_equal(call_env_pool_in_use(e, 1), 1);

	/* The offer again (a retransmission that missed the cache): same port. */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "A1", "from-tag", "caller",
	    "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
	    "direction", "[outside,inside]", NULL));
	assert_int_equal(sdp_m_port(e->sdp), in_port);
	assert_int_equal(call_env_pool_in_use(e, 1), 1);

	/* Answer: from-tag is still the offerer; reply goes back to the carrier. */
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "A1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", sdp_rtp_answer, "label", "inside", NULL));
	assert_non_null(strstr(e->sdp, " RTP/SAVP 0 101\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 1);
	assert_non_null(strstr(e->sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	/* never the offerer's key */
	assert_null(strstr(e->sdp, "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c"));
	out_port = sdp_m_port(e->sdp);
	assert_int_equal(out_port % 2, 0);
	assert_true(out_port >= 30000 && out_port <= 30098);
	sdp_crypto_key(e->sdp, key1, sizeof(key1));
	{
		struct call *c = call_find(&e->md.calls, "A1", 2);

		assert_non_null(c);
		assert_string_equal(c->mono[0]->tag, "caller");
		assert_string_equal(c->mono[1]->tag, "ivr");
		assert_string_equal(c->mono[0]->label, "outside");
		assert_string_equal(c->mono[1]->label, "inside");
		assert_int_equal(c->state, CALL_STATE_ANSWERED);
	}

	/* Callee re-INVITE (hold): from-tag = callee, to-tag = caller. The caller gets
	 * our SRTP side: same port, the active suite only, the same key (no new session). */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "A1", "from-tag", "ivr",
	    "to-tag", "caller", "sdp", sdp_ivr_hold, NULL));
	assert_int_equal(sdp_m_port(e->sdp), out_port);
	assert_non_null(strstr(e->sdp, " RTP/SAVP 0 101\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 1);
	assert_non_null(strstr(e->sdp, "a=sendonly"));
	sdp_crypto_key(e->sdp, key2, sizeof(key2));
	assert_string_equal(key1, key2);
	/* The caller answers with the same key it had: still one port pair per side. */
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "A1", "from-tag", "ivr",
	    "to-tag", "caller", "sdp", sdp_srtp_offer, NULL));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0 101\r\n"));
	assert_int_equal(sdp_m_port(e->sdp), in_port);
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);

	/* Caller re-offer: the IVR side keeps its port. */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "A1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP", NULL));
	assert_int_equal(sdp_m_port(e->sdp), in_port);
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "A1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", sdp_rtp_answer, NULL));
	assert_int_equal(sdp_m_port(e->sdp), out_port);
	sdp_crypto_key(e->sdp, key2, sizeof(key2));
	assert_string_equal(key1, key2);   /* our key is stable across re-INVITEs */
	assert_int_equal(call_env_pool_in_use(e, 0), 1);
	assert_int_equal(call_env_pool_in_use(e, 1), 1);

	/* Wrong tags */
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "A1", "from-tag", "nobody",
	    "to-tag", "ivr", "sdp", sdp_rtp_answer, NULL), "Invalid dialogue association");
	/* The callee side answering its own re-offer under another tag is not a fork. */
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "A1", "from-tag", "ivr",
	    "to-tag", "stranger", "sdp", sdp_srtp_offer, NULL), "Invalid dialogue association");
	/* Failover: another target answers the caller's offer; same ports, new tag. */
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "A1", "from-tag", "caller",
	    "to-tag", "ivr2", "sdp", sdp_ivr_hold, NULL));
	assert_int_equal(sdp_m_port(e->sdp), out_port);
	assert_non_null(call_mono_by_tag(call_find(&e->md.calls, "A1", 2), "ivr2", 4));
	assert_int_equal(call_env_pool_in_use(e, 1), 1);

	assert_null(call_env_run(e, ng_handle_delete, "call-id", "A1", "from-tag", "caller", NULL));
	assert_non_null(bencode_dict_get(e->reply, "tags"));
	assert_null(call_find(&e->md.calls, "A1", 2));
	assert_int_equal(call_env_pool_in_use(e, 0), 0);
	assert_int_equal(call_env_pool_in_use(e, 1), 0);
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "A1", "from-tag", "caller", NULL));
	assert_non_null(bencode_dict_get(e->reply, "warning"));
	assert_string_equal(call_env_run(e, ng_handle_delete, "call-id", "A1", "flags", "[fatal]", NULL),
	    NG_ERR_UNKNOWN_CALL);
}

/* SDES no-X prunes the first offered suite: the answer keeps the second line's tag. */
static void
test_sdes_no_suite(void **state)
{
	struct call_env *e = *state;

	assert_null(call_env_run(e, ng_handle_offer, "call-id", "A2", "from-tag", "f",
	    "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
	    "direction", "[outside,inside]", "SDES", "[no-AES_CM_128_HMAC_SHA1_80]", NULL));
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "A2", "from-tag", "f",
	    "to-tag", "t", "sdp", sdp_rtp_answer, "SDES", "[no-AES_CM_128_HMAC_SHA1_80]", NULL));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 1);
	assert_non_null(strstr(e->sdp, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "A2", NULL));
}

/* Flow B: RTP from the IVR, SRTP towards the carrier. */
static void
test_flow_b(void **state)
{
	struct call_env *e = *state;
	char carrier_answer[1024];

	assert_null(call_env_run(e, ng_handle_offer, "call-id", "B1", "from-tag", "ivr",
	    "sdp", sdp_rtp_answer, "transport-protocol", "RTP/SAVP", "DTLS", "off",
	    "direction", "[inside,outside]", NULL));
	assert_non_null(strstr(e->sdp, " RTP/SAVP 0 101\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 2);
	assert_non_null(strstr(e->sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	assert_non_null(strstr(e->sdp, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
	assert_null(strstr(e->sdp, "a=fingerprint"));

	/* An answer without crypto is refused, never a silent plain-RTP call. */
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "B1", "from-tag", "ivr",
	    "to-tag", "carrier", "sdp", sdp_rtp_answer, NULL), MEDIAD_ERR_NO_CRYPTO);

	/* The carrier picks our second line. */
	snprintf(carrier_answer, sizeof(carrier_answer),
	    "v=0" CRLF "o=c 5 5 IN IP4 198.51.100.20" CRLF "s=-" CRLF
	    "c=IN IP4 198.51.100.20" CRLF "t=0 0" CRLF "m=audio 21000 RTP/SAVP 0 101" CRLF
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR" CRLF);
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "B1", "from-tag", "ivr",
	    "to-tag", "carrier", "sdp", carrier_answer, NULL));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0 101\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_non_null(strstr(e->sdp, "c=IN IP4 10.0.0.5\r\n"));
	{
		struct call *c = call_find(&e->md.calls, "B1", 2);
		struct call_media *cm = &c->mono[1]->media[0];

		assert_int_equal(cm->ours.tag, 2);
		assert_int_equal(cm->ours.key.suite, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
		assert_int_equal(cm->peer.key.suite, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
		assert_true(cm->have_peer_key);
		assert_int_equal(sa_port(&cm->remote_rtp), 21000);
	}
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "B1", NULL));
}

static void
test_errors(void **state)
{
	struct call_env *e = *state;

	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "E1", "from-tag", "f",
	    "sdp", sdp_savp_nocrypto, "transport-protocol", "RTP/AVP", NULL),
	    MEDIAD_ERR_NO_CRYPTO);
	assert_null(call_find(&e->md.calls, "E1", 2));   /* nothing left behind */
	assert_int_equal(call_env_pool_in_use(e, 0) + call_env_pool_in_use(e, 1), 0);
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "E1", "from-tag", "f", NULL),
	    NG_ERR_NO_SDP);
	assert_string_equal(call_env_run(e, ng_handle_offer, "from-tag", "f", "sdp", "v=0", NULL),
	    NG_ERR_NO_CALL_ID);
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "E1", "sdp", sdp_rtp_answer,
	    NULL), NG_ERR_NO_FROM_TAG);
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "E1", "from-tag", "f",
	    "sdp", "this is not sdp", NULL), NG_ERR_SDP_PARSE);
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "E1", "from-tag", "f",
	    "sdp", sdp_rtp_answer, "direction", "[outside,nowhere]", NULL),
	    "Unknown interface 'nowhere'");
	assert_non_null(call_env_run(e, ng_handle_offer, "call-id", "E1", "from-tag", "f",
	    "sdp", sdp_rtp_answer, "transport-protocol", "RTP/FOO", NULL));
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "nope", "from-tag", "f",
	    "to-tag", "t", "sdp", sdp_rtp_answer, NULL), NG_ERR_UNKNOWN_CALL);
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "nope", "from-tag", "f",
	    "sdp", sdp_rtp_answer, NULL), NG_ERR_NO_TO_TAG);
	assert_string_equal(call_env_run(e, ng_handle_query, "call-id", "nope", NULL),
	    NG_ERR_UNKNOWN_CALL);
	/* One tag cannot be both ends of a dialogue. */
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "E1", "from-tag", "same",
	    "to-tag", "same", "sdp", sdp_rtp_answer, NULL), "Invalid dialogue association");
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "E2", "from-tag", "f", "sdp", sdp_rtp_answer,
	    NULL));
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "E2", "from-tag", "f",
	    "to-tag", "f", "sdp", sdp_rtp_answer, NULL), "Invalid dialogue association");
	assert_null(call_env_run(e, ng_handle_query, "call-id", "E2", NULL));
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "E2", NULL));
	assert_null(call_find(&e->md.calls, "E1", 2));
	assert_int_equal(e->md.calls.count, 0);
}

/* The inside range has 3 pairs: the 4th call fails cleanly and frees what it took. */
static void
test_port_exhaustion(void **state)
{
	struct call_env *e = *state;
	char id[8];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "X%u", i);
		assert_null(call_env_run(e, ng_handle_offer, "call-id", id, "from-tag", "f",
		    "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
		    "direction", "[outside,inside]", NULL));
	}
	assert_int_equal(call_env_pool_in_use(e, 1), 3);
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "X3", "from-tag", "f",
	    "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
	    "direction", "[outside,inside]", NULL), NG_ERR_NO_PORTS);
	assert_null(call_find(&e->md.calls, "X3", 2));
	assert_int_equal(call_env_pool_in_use(e, 0), 3);   /* the outside pair it took went back */
	assert_null(call_env_run(e, ng_handle_list, NULL));
	assert_int_equal(bencode_dict_get(e->reply, "calls")->count, 3);
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "X1", NULL));
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "X3", "from-tag", "f",
	    "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
	    "direction", "[outside,inside]", NULL));
	assert_null(call_env_run(e, ng_handle_list, "limit", "2", NULL));
	assert_int_equal(bencode_dict_get(e->reply, "calls")->count, 2);
	assert_non_null(call_env_run(e, ng_handle_list, "limit", "-1", NULL));
}

/* Offer-only calls, silent calls and held calls time out on their own clocks. */
static void
test_timeouts(void **state)
{
	struct call_env *e = *state;
	uint64_t now;

	e->md.cfg.offer_timeout_s = 10;
	e->md.cfg.media_timeout_s = 20;
	e->md.cfg.silent_timeout_s = 100;
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "O1", "from-tag", "f", "sdp", sdp_rtp_answer,
	    "direction", "[inside,outside]", NULL));
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "O2", "from-tag", "f", "sdp", sdp_rtp_answer,
	    "direction", "[inside,outside]", NULL));
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "O2", "from-tag", "f", "to-tag", "t",
	    "sdp", sdp_rtp_answer, NULL));
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "O3", "from-tag", "f", "sdp", sdp_rtp_answer,
	    "direction", "[inside,outside]", NULL));
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "O3", "from-tag", "f", "to-tag", "t",
	    "sdp", sdp_ivr_hold, NULL));
	/* The reaper is given the time: the clock moves forward, never a call's stamps
	 * backward (they would wrap on a machine up for less than the 105 s used here). */
	now = time_mono_ms();
	call_reap(&e->md, now);
	assert_int_equal(e->md.calls.count, 3);   /* nothing is due yet */

	/* 15 s: the offer-only call is due, the answered ones are not. */
	call_reap(&e->md, now + 15000);
	assert_null(call_find(&e->md.calls, "O1", 2));
	assert_non_null(call_find(&e->md.calls, "O2", 2));
	/* 25 s without media: the active call goes, the held one (silent timeout) stays. */
	call_reap(&e->md, now + 25000);
	assert_null(call_find(&e->md.calls, "O2", 2));
	assert_non_null(call_find(&e->md.calls, "O3", 2));
	/* 105 s: past the silent timeout too. */
	call_reap(&e->md, now + 105000);
	assert_int_equal(e->md.calls.count, 0);
	assert_int_equal(call_env_pool_in_use(e, 0) + call_env_pool_in_use(e, 1), 0);
}

static void
test_load_limit(void **state)
{
	struct call_env *e = *state;

	e->md.cfg.max_sessions = 1;
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "L1", "from-tag", "f", "sdp", sdp_rtp_answer,
	    NULL));
	assert_ptr_equal(call_env_run(e, ng_handle_offer, "call-id", "L2", "from-tag", "f",
	    "sdp", sdp_rtp_answer, "supports", "[load limit]", NULL), mediad_load_limit);
	assert_string_equal(call_env_run(e, ng_handle_offer, "call-id", "L2", "from-tag", "f",
	    "sdp", sdp_rtp_answer, NULL), NG_ERR_SESSION_LIMIT);
	/* A re-offer of an existing call is not a new session. */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "L1", "from-tag", "f", "sdp", sdp_rtp_answer,
	    NULL));
	assert_int_equal(e->md.calls.count, 1);
}

/* Records from Redis: only our own, complete, with keys of the right size, are restored. */
static int
restore(struct call_env *e, const char *const *kv)
{
	size_t n = 0, lens[64];

	while (kv[n] != NULL) {
		lens[n] = strlen(kv[n]);
		n++;
	}
	return call_restore_one(&e->md, kv, lens, n);
}

static void
test_restore(void **state)
{
	struct call_env *e = *state;
	char out_local[64], in_local[64];
	const char *good[] = {
		"call_id", "R1", "owner", "unit", "state", "answered", "created", "1700000000",
		"a_tag", "caller", "a_interface", "outside", "a_label", "outside",
		"a_m1_proto", "RTP/SAVP", "a_m1_local", out_local, "a_m1_remote", "198.51.100.10:20000",
		"a_m1_remote_rtcp", "198.51.100.10:20001", "a_m1_direction", "sendrecv",
		"a_m1_rtcp_mux", "no", "a_m1_suite", "AES_CM_128_HMAC_SHA1_80",
		"a_m1_rx_key", "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", "a_m1_rx_tag", "1",
		"a_m1_tx_key", "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "a_m1_tx_tag", "1",
		"b_tag", "ivr", "b_interface", "inside", "b_m1_proto", "RTP/AVP",
		"b_m1_local", in_local, "b_m1_remote", "10.0.0.20:30000", "b_m1_direction", "sendonly",
		NULL,
	};
	const char *bad_owner[] = { "call_id", "R2", "owner", "someone-else", "state", "answered", NULL };
	const char *no_id[] = { "owner", "unit", "state", "answered", NULL };
	const char *deleting[] = { "call_id", "R3", "owner", "unit", "state", "deleting", NULL };
	const char *bad_iface[] = { "call_id", "R4", "owner", "unit", "state", "offered",
	    "a_tag", "x", "a_interface", "nowhere", NULL };
	const char *bad_key[] = { "call_id", "R5", "owner", "unit", "state", "answered",
	    "a_tag", "x", "a_interface", "outside", "a_m1_proto", "RTP/SAVP",
	    "a_m1_local", out_local, "a_m1_suite", "AES_CM_128_HMAC_SHA1_80",
	    "a_m1_tx_key", "c2hvcnQ=", NULL };
	struct call *c;

	{
		char a[SA_STRLEN];

		snprintf(out_local, sizeof(out_local), "%s:30010",
		    sa_format_ip(&e->md.cfg.ifaces[0].addr, a, sizeof(a)));
		snprintf(in_local, sizeof(in_local), "%s:40002",
		    sa_format_ip(&e->md.cfg.ifaces[1].addr, a, sizeof(a)));
	}
	assert_int_equal(restore(e, bad_owner), ENOENT);
	assert_int_equal(restore(e, no_id), EINVAL);
	assert_int_equal(restore(e, deleting), ENOENT);
	assert_int_equal(restore(e, bad_iface), ENOENT);
	assert_int_equal(restore(e, bad_key), EINVAL);
	assert_int_equal(e->md.calls.count, 0);
	assert_int_equal(call_env_pool_in_use(e, 0) + call_env_pool_in_use(e, 1), 0);

	assert_int_equal(restore(e, good), 0);
	c = call_find(&e->md.calls, "R1", 2);
	assert_non_null(c);
	assert_int_equal(c->state, CALL_STATE_ANSWERED);
	assert_string_equal(c->mono[0]->tag, "caller");
	assert_string_equal(c->mono[1]->tag, "ivr");
	assert_int_equal(c->mono[0]->media[0].ports.port, 30010);
	assert_int_equal(c->mono[1]->media[0].ports.port, 40002);
	assert_true(c->mono[0]->media[0].have_peer_key && c->mono[0]->media[0].have_our_key);
	assert_int_equal(c->mono[0]->media[0].ours.key.key_salt_len, 30);
	assert_true(c->mono[1]->media[0].sends && !c->mono[1]->media[0].receives);
	assert_int_equal(call_env_pool_in_use(e, 0), 1);
	assert_int_equal(call_env_pool_in_use(e, 1), 1);
	assert_int_equal(restore(e, good), EEXIST);
	/* A re-offer after the restore keeps the restored ports and our key. */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "R1", "from-tag", "ivr", "to-tag", "caller",
	    "sdp", sdp_rtp_answer, NULL));
	assert_int_equal(sdp_m_port(e->sdp), 30010);
	assert_non_null(strstr(e->sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"));
}

/* SRTP indexes as Redis holds them: readable, exact both ways, malformed ones refused. */
static void
test_index_format_parse(void **state)
{
	struct srtp_ctx_ssrc_state st[SRTP_CTX_MAX_SSRC] = {
		{ .ssrc = 0xdeadbeef, .have_rtp = true, .roc = 3, .seq = 65535, .have_rtcp = true,
		  .rtcp_index = 0x7fffffff },
		{ .ssrc = 1, .have_rtp = true, .roc = 0, .seq = 0 },
		{ .ssrc = 0x10, .have_rtcp = true, .rtcp_index = 9 },
	}, back[SRTP_CTX_MAX_SSRC];
	static const char *const bad[] = {
		"roc=1 seq=2", "ssrc=1 roc=1", "ssrc=1 seq=1", "ssrc=0x100000000",
		"ssrc=1 seq=65536 roc=0", "ssrc=1 srtcp=2147483648", "ssrc=1 roc=-1 seq=1",
		"ssrc=1 bogus=2", "ssrc=1;ssrc=2;ssrc=3;ssrc=4;ssrc=5", "ssrc=1 roc=1x seq=2",
	};
	char buf[CALL_INDEX_STRLEN];
	unsigned n;

	assert_int_equal(call_index_format(buf, sizeof(buf), st, 3), 0);
	assert_string_equal(buf, "ssrc=0xdeadbeef roc=3 seq=65535 srtcp=2147483647; "
	    "ssrc=0x00000001 roc=0 seq=0; ssrc=0x00000010 srtcp=9");
	assert_int_equal(call_index_parse(buf, back, SRTP_CTX_MAX_SSRC, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(back, st, 3 * sizeof(st[0]));
	assert_int_equal(call_index_format(buf, 20, st, 3), ENOSPC);
	assert_int_equal(call_index_format(buf, sizeof(buf), st, 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(call_index_parse("", back, SRTP_CTX_MAX_SSRC, &n), 0);
	assert_int_equal(n, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(call_index_parse(bad[i], back, SRTP_CTX_MAX_SSRC, &n), EINVAL);
}

/* A restored record's indexes reach the media (and a later store) unchanged. */
static void
test_restore_index(void **state)
{
	struct call_env *e = *state;
	char out_local[64], in_local[64], a[SA_STRLEN];
	const char *rec[] = {
		"call_id", "RX1", "owner", "unit", "state", "answered",
		"a_tag", "caller", "a_interface", "outside",
		"a_m1_proto", "RTP/SAVP", "a_m1_local", out_local, "a_m1_remote", "198.51.100.10:20000",
		"a_m1_suite", "AES_CM_128_HMAC_SHA1_80",
		"a_m1_rx_key", "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c",
		"a_m1_tx_key", "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
		"a_m1_rx_index", "ssrc=0x1234abcd roc=1 seq=371 srtcp=12",
		"a_m1_tx_index", "ssrc=0x0badf00d roc=2 seq=9 srtcp=40; ssrc=0x00000007 srtcp=3",
		"b_tag", "ivr", "b_interface", "inside", "b_m1_proto", "RTP/AVP",
		"b_m1_local", in_local, "b_m1_remote", "10.0.0.20:30000", NULL,
	};
	struct relay_srtp_state rs;
	struct call *c;
	size_t i;

	snprintf(out_local, sizeof(out_local), "%s:30020",
	    sa_format_ip(&e->md.cfg.ifaces[0].addr, a, sizeof(a)));
	snprintf(in_local, sizeof(in_local), "%s:40004",
	    sa_format_ip(&e->md.cfg.ifaces[1].addr, a, sizeof(a)));
	/* a typo in an index is a record that cannot be trusted: not restored */
	for (i = 0; rec[i] != NULL && strcmp(rec[i], "a_m1_rx_index") != 0; i++)
		;
	rec[i + 1] = "ssrc=0x1234abcd roc=1";
	assert_int_equal(restore(e, rec), EINVAL);
	assert_int_equal(call_env_pool_in_use(e, 0) + call_env_pool_in_use(e, 1), 0);
	rec[i + 1] = "ssrc=0x1234abcd roc=1 seq=371 srtcp=12";
	assert_int_equal(restore(e, rec), 0);
	c = call_find(&e->md.calls, "RX1", 3);
	assert_non_null(c);
	call_index_read(c, 0, 0, &rs);
	assert_int_equal(rs.nrx, 1);
	assert_int_equal(rs.rx[0].ssrc, 0x1234abcd);
	assert_int_equal(rs.rx[0].roc, 1);
	assert_int_equal(rs.rx[0].seq, 371);
	assert_int_equal(rs.rx[0].rtcp_index, 12);
	assert_int_equal(rs.ntx, 2);
	assert_int_equal(rs.tx[0].roc, 2);
	assert_int_equal(rs.tx[0].rtcp_index, 40);
	assert_false(rs.tx[1].have_rtp);
	assert_int_equal(rs.tx[1].rtcp_index, 3);
	/* the plain leg has none */
	call_index_read(c, 1, 0, &rs);
	assert_int_equal(rs.nrx + rs.ntx, 0);
}

/* The steps of one call, each run with allocation failure armed in turn. */
enum oom_step { OOM_OFFER, OOM_REOFFER, OOM_ANSWER, OOM_REINVITE, OOM_QUERY, OOM_DELETE, OOM_N };

static const char *
oom_run_step(struct call_env *e, enum oom_step step, long fail_at, bool *fired)
{
	switch (step) {
	case OOM_OFFER:
	case OOM_REOFFER:  /* a retransmitted offer: same ports, same keys */
		return call_env_run_oom(e, fail_at, fired, ng_handle_offer, "call-id", "M1",
		    "from-tag", "caller", "sdp", sdp_srtp_offer, "transport-protocol", "RTP/AVP",
		    "direction", "[outside,inside]", "label", "outside", NULL);
	case OOM_ANSWER:
		return call_env_run_oom(e, fail_at, fired, ng_handle_answer, "call-id", "M1",
		    "from-tag", "caller", "to-tag", "ivr", "sdp", sdp_rtp_answer,
		    "label", "inside", NULL);
	case OOM_REINVITE:  /* the callee holds */
		return call_env_run_oom(e, fail_at, fired, ng_handle_offer, "call-id", "M1",
		    "from-tag", "ivr", "to-tag", "caller", "sdp", sdp_ivr_hold, NULL);
	case OOM_QUERY:
		return call_env_run_oom(e, fail_at, fired, ng_handle_query, "call-id", "M1", NULL);
	case OOM_DELETE:
		return call_env_run_oom(e, fail_at, fired, ng_handle_delete, "call-id", "M1", NULL);
	default:
		fail();
	}
	return NULL;
}

/*
 * The call model under allocation failure: for each step of a call (offer, repeated
 * offer, answer, re-INVITE, query, delete), the steps before it run normally and then
 * each allocation of that step fails in turn. A failure must end in an error reason or
 * a complete result (never a crash), the call must delete cleanly afterwards, every port
 * goes back to its pool, and nothing leaks (LeakSanitizer in the asan build).
 */
static void
test_oom(void **state)
{
	struct call_env *e = *state;
	unsigned step, prev, failures = 0, errors = 0;
	long at;
	bool fired;
	const char *reason;

	for (step = 0; step < OOM_N; step++) {
		for (at = 0; at < 10000; at++) {
			for (prev = 0; prev < step; prev++)
				assert_null(oom_run_step(e, prev, -1, NULL));
			fired = false;
			reason = oom_run_step(e, step, at, &fired);
			if (reason != NULL) {
				/* an error here can only come from the injected failure */
				assert_true(fired);
				errors++;
				if (step == OOM_OFFER) {
					/* a failed first offer leaves nothing behind */
					assert_null(call_find(&e->md.calls, "M1", 2));
					assert_int_equal(call_env_pool_in_use(e, 0) + call_env_pool_in_use(e, 1), 0);
				}
			} else if (step == OOM_OFFER || step == OOM_REOFFER) {
				assert_non_null(strstr(e->sdp, "c=IN IP4 10.0.0.5\r\n"));
				assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
			} else if (step == OOM_ANSWER) {
				assert_int_equal(sdp_count(e->sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"), 1);
			}
			(void)call_env_run(e, ng_handle_delete, "call-id", "M1", NULL);
			assert_int_equal(e->md.calls.count, 0);
			assert_int_equal(call_env_pool_in_use(e, 0) + call_env_pool_in_use(e, 1), 0);
			if (!fired)
				break;
			failures++;
		}
		assert_true(at < 10000);
	}
	/* Allocation failures were injected and some of them surfaced as errors. */
	assert_true(failures > 10);
	assert_true(errors > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_flow_a_and_reoffers, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_sdes_no_suite, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_flow_b, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_errors, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_port_exhaustion, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_load_limit, call_env_setup, call_env_teardown),
		cmocka_unit_test_setup_teardown(test_restore, call_env_setup, call_env_teardown),
		cmocka_unit_test(test_index_format_parse),
		cmocka_unit_test_setup_teardown(test_restore_index, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_oom, call_env_setup, call_env_teardown),
	};

	log_init("test_call", LOG_LEVEL_ERR, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
