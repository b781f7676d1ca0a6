/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of mediad's encryption enforcement per interface and per media line: plain RTP
 * refused on encryption = required, keys never sent towards encryption = off, best-effort
 * SRTP (RFC 8643) answered and offered with keys, mixed SDPs decided line by line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "call.h"
#include "call_fixture.h"
#include "mediad.h"
#include "metrics.h"
#include "ng.h"
#include "ng_server.h"

#define CRLF "\r\n"
#define KEY80 "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c"
#define KEY32 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define SESSION "v=0" CRLF "o=x 1 1 IN IP4 198.51.100.10" CRLF "s=-" CRLF \
    "c=IN IP4 198.51.100.10" CRLF "t=0 0" CRLF

static const char sdp_plain[] = SESSION "m=audio 20000 RTP/AVP 0" CRLF;
static const char sdp_savp[] = SESSION "m=audio 20000 RTP/SAVP 0" CRLF
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 CRLF;
/* best-effort SRTP as Avaya and AudioCodes send it: RTP/AVP with keys */
static const char sdp_osrtp[] = SESSION "m=audio 20000 RTP/AVP 0" CRLF
    "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY32 CRLF
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 CRLF;
/* audio SRTP with a key, video plain */
static const char sdp_mixed[] = SESSION "m=audio 20000 RTP/SAVP 0" CRLF
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 CRLF
    "m=video 20002 RTP/AVP 96" CRLF "a=rtpmap:96 H264/90000" CRLF;
static const char ivr_plain[] = "v=0" CRLF "o=ivr 2 2 IN IP4 10.0.0.20" CRLF "s=-" CRLF
    "c=IN IP4 10.0.0.20" CRLF "t=0 0" CRLF "m=audio 30000 RTP/AVP 0" CRLF;

#define OUTSIDE 0
#define INSIDE 1

static void
set_enc(struct call_env *e, enum mediad_encryption out, enum mediad_encryption in)
{
	e->md.cfg.ifaces[OUTSIDE].encryption = out;
	e->md.cfg.ifaces[INSIDE].encryption = in;
}

static uint64_t
ctr(const struct metric *m)
{
	return metric_get(m);
}

/* The reply's "warning", or "". */
static const char *
warning(struct call_env *e, char *buf, size_t size)
{
	struct bencode_item *w = bencode_dict_get(e->reply, "warning");

	snprintf(buf, size, "%.*s", w != NULL ? (int)w->len : 0, w != NULL ? w->str : "");
	return buf;
}

static const char *
offer_out_in(struct call_env *e, const char *id, const char *sdp, const char *proto)
{
	return call_env_run(e, ng_handle_offer, "call-id", id, "from-tag", "caller", "sdp", sdp,
	    "transport-protocol", proto, "direction", "[outside,inside]", NULL);
}

/* A plain offer on a required interface: refused with a reason naming it, counted, no call. */
static void
test_plain_refused_on_required(void **state)
{
	struct call_env *e = *state;
	const char *reason;

	set_enc(e, MEDIAD_ENC_REQUIRED, MEDIAD_ENC_OFF);
	reason = offer_out_in(e, "P1", sdp_plain, "RTP/AVP");
	assert_non_null(reason);
	assert_string_equal(reason, "Plain RTP refused: interface 'outside' requires SRTP "
	    "(encryption = required)");
	assert_int_equal(ctr(e->md.ctr.enc_rejected[0]), 1);
	assert_int_equal(ctr(e->md.ctr.enc_refused), 1);
	assert_null(call_find(&e->md.calls, "P1", 2));
	assert_int_equal(call_env_pool_in_use(e, OUTSIDE) + call_env_pool_in_use(e, INSIDE), 0);

	/* The same towards it: whatever the client asks, the outside gets no plain RTP. */
	reason = call_env_run(e, ng_handle_offer, "call-id", "P2", "from-tag", "ivr",
	    "sdp", ivr_plain, "transport-protocol", "RTP/AVP", "direction", "[inside,outside]",
	    NULL);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "interface 'outside' requires SRTP"));
	/* asked for best-effort keys, a required side gets them for sure: RTP/SAVP */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "P3", "from-tag", "ivr",
	    "sdp", ivr_plain, "transport-protocol", "RTP/AVP", "OSRTP", "[offer]",
	    "direction", "[inside,outside]", NULL));
	assert_non_null(strstr(e->sdp, " RTP/SAVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 2);
	assert_int_equal(ctr(e->md.ctr.enc_refused), 2);
	assert_int_equal(ctr(e->md.ctr.osrtp_offered), 0);
	/* with RTP/SAVP asked it goes through */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "P4", "from-tag", "ivr",
	    "sdp", ivr_plain, "transport-protocol", "RTP/SAVP", "direction", "[inside,outside]",
	    NULL));
	assert_non_null(strstr(e->sdp, " RTP/SAVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 2);
}

/* An off interface: keys never sent towards it, SRTP offered from it refused. */
static void
test_off_strips_and_refuses(void **state)
{
	struct call_env *e = *state;
	const char *reason;
	char w[160];

	set_enc(e, MEDIAD_ENC_REQUIRED, MEDIAD_ENC_OFF);
	/* the client asks RTP/SAVP (or passes SAVP through) towards the inside: plain there */
	assert_null(offer_out_in(e, "S1", sdp_savp, "RTP/SAVP"));
	assert_non_null(strstr(e->sdp, "m=audio 4000"));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "S2", "from-tag", "caller",
	    "sdp", sdp_savp, "direction", "[outside,inside]", NULL));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_int_equal(ctr(e->md.ctr.keys_stripped), 2);
	assert_string_equal(warning(e, w, sizeof(w)), "");

	/* SRTP offered from the inside is refused: answering it would send a key there */
	reason = call_env_run(e, ng_handle_offer, "call-id", "S3", "from-tag", "ivr",
	    "sdp", sdp_savp, "transport-protocol", "RTP/SAVP", "direction", "[inside,outside]",
	    NULL);
	assert_non_null(reason);
	assert_string_equal(reason, "SRTP refused: interface 'inside' carries plain RTP only "
	    "(encryption = off)");
	assert_int_equal(ctr(e->md.ctr.enc_rejected[1]), 1);

	/* OSRTP from the inside: its keys are ignored and the answer is plain */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "S4", "from-tag", "ivr",
	    "sdp", sdp_osrtp, "transport-protocol", "RTP/SAVP", "direction", "[inside,outside]",
	    NULL));
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "S4", "from-tag", "ivr",
	    "to-tag", "carrier", "sdp", sdp_savp, NULL));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
}

/* RFC 8643: RTP/AVP with a=crypto answered with RTP/AVP and one a=crypto, SRTP on that leg. */
static void
osrtp_answered(struct call_env *e, enum mediad_encryption out)
{
	struct call *c;
	struct call_media *cm;
	char key[80];

	set_enc(e, out, MEDIAD_ENC_OFF);
	assert_null(offer_out_in(e, "O1", sdp_osrtp, "RTP/AVP"));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "O1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", ivr_plain, NULL));
	/* same profile as offered, exactly one line: the first offered suite, its tag */
	assert_non_null(strstr(e->sdp, "m=audio 300"));
	assert_non_null(strstr(e->sdp, " RTP/AVP 0\r\n"));
	assert_null(strstr(e->sdp, "SAVP"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 1);
	assert_non_null(strstr(e->sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:"));
	sdp_crypto_key(e->sdp, key, sizeof(key));
	assert_string_not_equal(key, KEY32);
	c = call_find(&e->md.calls, "O1", 2);
	assert_non_null(c);
	cm = &c->mono[0]->media[0];
	assert_true(cm->osrtp && call_media_srtp(cm));
	assert_true(cm->have_peer_key && cm->have_our_key);
	assert_int_equal(cm->ours.key.suite, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
	assert_false(call_media_srtp(&c->mono[1]->media[0]));
	assert_int_equal(ctr(e->md.ctr.osrtp_answered), 1);
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "O1", NULL));
}

static void
test_osrtp_answered_required(void **state)
{
	osrtp_answered(*state, MEDIAD_ENC_REQUIRED);
}

static void
test_osrtp_answered_optional(void **state)
{
	osrtp_answered(*state, MEDIAD_ENC_OPTIONAL);
}

/* Towards an optional side we offer OSRTP when asked; its answer decides SRTP or plain. */
static void
test_osrtp_offered(void **state)
{
	struct call_env *e = *state;
	static const char carrier_osrtp[] = "v=0" CRLF "o=c 5 5 IN IP4 198.51.100.20" CRLF
	    "s=-" CRLF "c=IN IP4 198.51.100.20" CRLF "t=0 0" CRLF "m=audio 21000 RTP/AVP 0" CRLF
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY32 CRLF;
	static const char carrier_plain[] = "v=0" CRLF "o=c 5 5 IN IP4 198.51.100.20" CRLF
	    "s=-" CRLF "c=IN IP4 198.51.100.20" CRLF "t=0 0" CRLF "m=audio 21000 RTP/AVP 0" CRLF;
	struct call_media *cm;
	unsigned k;

	set_enc(e, MEDIAD_ENC_OPTIONAL, MEDIAD_ENC_OFF);
	for (k = 0; k < 2; k++) {
		const char *id = k == 0 ? "F1" : "F2";

		assert_null(call_env_run(e, ng_handle_offer, "call-id", id, "from-tag", "ivr",
		    "sdp", ivr_plain, "transport-protocol", "RTP/AVP", "OSRTP", "[offer]",
		    "direction", "[inside,outside]", NULL));
		assert_non_null(strstr(e->sdp, " RTP/AVP 0\r\n"));
		assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 2);
		assert_null(call_env_run(e, ng_handle_answer, "call-id", id, "from-tag", "ivr",
		    "to-tag", "carrier", "sdp", k == 0 ? carrier_osrtp : carrier_plain, NULL));
		assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
		cm = &call_find(&e->md.calls, id, 2)->mono[1]->media[0];
		if (k == 0) {
			/* the carrier took our second line: SRTP with it */
			assert_true(cm->osrtp && cm->have_peer_key && cm->have_our_key);
			assert_int_equal(cm->ours.tag, 2);
		} else {
			/* best effort declined: plain RTP on the optional side, no key kept */
			assert_false(cm->osrtp || cm->have_our_key || cm->have_peer_key);
		}
		/* the inside pool holds 3 pairs */
		assert_null(call_env_run(e, ng_handle_delete, "call-id", id, NULL));
	}
	assert_int_equal(ctr(e->md.ctr.osrtp_offered), 2);
	/* the same towards an off side: plain, no key */
	set_enc(e, MEDIAD_ENC_OFF, MEDIAD_ENC_OFF);
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "F3", "from-tag", "ivr",
	    "sdp", ivr_plain, "transport-protocol", "RTP/AVP", "OSRTP", "[offer]",
	    "direction", "[inside,outside]", NULL));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_null(call_env_run(e, ng_handle_delete, "call-id", "F3", NULL));
	/* an unknown OSRTP option changes nothing */
	set_enc(e, MEDIAD_ENC_OPTIONAL, MEDIAD_ENC_OFF);
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "F4", "from-tag", "ivr",
	    "sdp", ivr_plain, "transport-protocol", "RTP/AVP", "OSRTP", "[offer-legacy]",
	    "direction", "[inside,outside]", NULL));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
}

/* Audio SRTP + plain video on a required side: the video line alone is refused (port 0). */
static void
test_mixed_per_line(void **state)
{
	struct call_env *e = *state;
	static const char ivr_two[] = "v=0" CRLF "o=ivr 2 2 IN IP4 10.0.0.20" CRLF "s=-" CRLF
	    "c=IN IP4 10.0.0.20" CRLF "t=0 0" CRLF "m=audio 30000 RTP/AVP 0" CRLF
	    "m=video 30002 RTP/AVP 96" CRLF;
	char w[160];
	struct call *c;
	const char *v;

	set_enc(e, MEDIAD_ENC_REQUIRED, MEDIAD_ENC_OFF);
	assert_null(offer_out_in(e, "X1", sdp_mixed, "RTP/AVP"));
	assert_non_null(strstr(e->sdp, "m=audio 4000"));
	v = strstr(e->sdp, "m=video ");
	assert_non_null(v);
	assert_int_equal(strncmp(v, "m=video 0 RTP/AVP 96\r\n", 22), 0);
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	assert_string_equal(warning(e, w, sizeof(w)),
	    "media refused by encryption policy (port 0): 2");
	assert_int_equal(ctr(e->md.ctr.enc_rejected[0]), 1);
	assert_int_equal(ctr(e->md.ctr.enc_refused), 0);
	/* only the audio line holds ports */
	assert_int_equal(call_env_pool_in_use(e, OUTSIDE), 1);
	assert_int_equal(call_env_pool_in_use(e, INSIDE), 1);

	/* the IVR answers the refused line with a port anyway: the caller still sees 0 */
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "X1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", ivr_two, NULL));
	assert_non_null(strstr(e->sdp, " RTP/SAVP 0\r\n"));
	assert_int_equal(sdp_count(e->sdp, "a=crypto:"), 1);
	v = strstr(e->sdp, "m=video ");
	assert_non_null(v);
	assert_int_equal(strncmp(v, "m=video 0 RTP/AVP 96\r\n", 22), 0);
	c = call_find(&e->md.calls, "X1", 2);
	assert_true(c->mono[0]->media[1].rejected && c->mono[1]->media[1].rejected);
	assert_int_equal(sa_family(&c->mono[1]->media[1].remote_rtp), AF_UNSPEC);
	assert_null(c->rm[1]);
}

/* A re-offer that would turn a running SRTP leg plain is refused and changes nothing. */
static void
test_reoffer_downgrade(void **state)
{
	struct call_env *e = *state;
	struct call_media *cm;
	struct crypto_key before;
	unsigned port;

	set_enc(e, MEDIAD_ENC_REQUIRED, MEDIAD_ENC_OFF);
	assert_null(offer_out_in(e, "D1", sdp_savp, "RTP/AVP"));
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "D1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", ivr_plain, NULL));
	port = sdp_m_port(e->sdp);
	cm = &call_find(&e->md.calls, "D1", 2)->mono[0]->media[0];
	before = cm->ours.key;
	assert_non_null(call_env_run(e, ng_handle_offer, "call-id", "D1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", sdp_plain, "transport-protocol", "RTP/AVP", NULL));
	assert_int_equal(cm->proto, SDP_PROTO_RTP_SAVP);
	assert_true(cm->have_peer_key && cm->have_our_key);
	assert_memory_equal(&cm->ours.key, &before, sizeof(before));
	assert_false(cm->rejected);
	/* the call carries on: a proper re-offer keeps port and key */
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "D1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", sdp_savp, "transport-protocol", "RTP/AVP", NULL));
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "D1", "from-tag", "caller",
	    "to-tag", "ivr", "sdp", ivr_plain, NULL));
	assert_int_equal(sdp_m_port(e->sdp), port);
	assert_memory_equal(&cm->ours.key, &before, sizeof(before));
}

/* An answer line without a usable key is refused alone; the call goes on with the rest. */
static void
test_answer_per_line(void **state)
{
	struct call_env *e = *state;
	static const char ivr_two[] = "v=0" CRLF "o=ivr 2 2 IN IP4 10.0.0.20" CRLF "s=-" CRLF
	    "c=IN IP4 10.0.0.20" CRLF "t=0 0" CRLF "m=audio 30000 RTP/AVP 0" CRLF
	    "m=audio 30002 RTP/AVP 0" CRLF;
	static const char carrier[] = "v=0" CRLF "o=c 5 5 IN IP4 198.51.100.20" CRLF "s=-" CRLF
	    "c=IN IP4 198.51.100.20" CRLF "t=0 0" CRLF "m=audio 21000 RTP/SAVP 0" CRLF
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 CRLF
	    "m=audio 21002 RTP/SAVP 0" CRLF "a=crypto:7 BOGUS inline:AAAA" CRLF;
	static const char carrier_none[] = "v=0" CRLF "o=c 5 5 IN IP4 198.51.100.20" CRLF
	    "s=-" CRLF "c=IN IP4 198.51.100.20" CRLF "t=0 0" CRLF "m=audio 21000 RTP/SAVP 0" CRLF
	    "m=audio 21002 RTP/SAVP 0" CRLF;
	const char *second;
	char w[160];

	set_enc(e, MEDIAD_ENC_REQUIRED, MEDIAD_ENC_OFF);
	assert_null(call_env_run(e, ng_handle_offer, "call-id", "L1", "from-tag", "ivr",
	    "sdp", ivr_two, "transport-protocol", "RTP/SAVP", "direction", "[inside,outside]",
	    NULL));
	/* no line with a key: refused whole, and nothing is marked for the next answer */
	assert_string_equal(call_env_run(e, ng_handle_answer, "call-id", "L1", "from-tag", "ivr",
	    "to-tag", "carrier", "sdp", carrier_none, NULL), NG_ERR_NO_CRYPTO);
	assert_int_equal(ctr(e->md.ctr.enc_refused), 1);
	assert_null(call_env_run(e, ng_handle_answer, "call-id", "L1", "from-tag", "ivr",
	    "to-tag", "carrier", "sdp", carrier, NULL));
	assert_int_equal(sdp_count(e->sdp, "a=crypto"), 0);
	second = strstr(strstr(e->sdp, "m=audio ") + 1, "m=audio ");
	assert_non_null(second);
	assert_int_equal(strncmp(second, "m=audio 0 RTP/SAVP 0\r\n", 22), 0);
	assert_true(sdp_m_port(e->sdp) >= 40000);
	assert_string_equal(warning(e, w, sizeof(w)),
	    "media refused by encryption policy (port 0): 2");
	assert_int_equal(ctr(e->md.ctr.enc_rejected[2]), 1);
}

/* A Redis record of an OSRTP leg comes back as SRTP under RTP/AVP. */
static void
test_restore_osrtp(void **state)
{
	struct call_env *e = *state;
	char out_local[64], a[SA_STRLEN];
	const char *rec[] = {
		"call_id", "R9", "owner", "unit", "state", "answered", "created", "1700000000",
		"a_tag", "caller", "a_interface", "outside", "a_m1_proto", "RTP/AVP",
		"a_m1_osrtp", "yes", "a_m1_local", out_local, "a_m1_suite",
		"AES_CM_128_HMAC_SHA1_80", "a_m1_rx_key", KEY80, "a_m1_tx_key", KEY32,
		"a_m2_type", "video", "a_m2_proto", "none",
		"b_tag", "ivr", "b_interface", "inside", "b_m1_proto", "RTP/AVP",
		"b_m2_type", "video", "b_m2_proto", "none", NULL,
	};
	size_t l[40], n;
	struct call_media *cm;

	snprintf(out_local, sizeof(out_local), "%s:30020",
	    sa_format_ip(&e->md.cfg.ifaces[OUTSIDE].addr, a, sizeof(a)));
	for (n = 0; rec[n] != NULL; n++)
		l[n] = strlen(rec[n]);
	assert_int_equal(call_restore_one(&e->md, rec, l, n), 0);
	cm = &call_find(&e->md.calls, "R9", 2)->mono[0]->media[0];
	assert_int_equal(cm->proto, SDP_PROTO_RTP_AVP);
	assert_true(cm->osrtp && call_media_srtp(cm) && cm->have_peer_key && cm->have_our_key);
	/* a line refused in the first offer never had a profile: it comes back disabled */
	assert_int_equal(call_find(&e->md.calls, "R9", 2)->mono[0]->nmedia, 2);
	assert_true(call_find(&e->md.calls, "R9", 2)->mono[0]->media[1].disabled);
}

/* A line sigproxy refused reaches mediad with port 0: carried as such even when not RTP. */
static void
test_port0_not_rtp(void **state)
{
	struct call_env *e = *state;
	static const char sdp[] = SESSION "m=audio 20000 RTP/SAVP 0" CRLF
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 CRLF "m=image 0 udptl t38" CRLF;
	static const char active[] = SESSION "m=image 20004 udptl t38" CRLF;

	set_enc(e, MEDIAD_ENC_REQUIRED, MEDIAD_ENC_OFF);
	assert_null(offer_out_in(e, "T1", sdp, "RTP/AVP"));
	assert_non_null(strstr(e->sdp, "m=image 0 udptl t38\r\n"));
	/* an active non-RTP line is still refused (mediad cannot relay it) */
	assert_non_null(offer_out_in(e, "T2", active, "RTP/AVP"));
	/* DTLS-SRTP without SDES keys: the reason still names DTLS */
	assert_string_equal(offer_out_in(e, "T3", SESSION "m=audio 20000 UDP/TLS/RTP/SAVP 0" CRLF
	    "a=fingerprint:sha-256 AA:BB" CRLF, "RTP/AVP"), NG_ERR_DTLS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_refused_on_required, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_off_strips_and_refuses, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_osrtp_answered_required, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_osrtp_answered_optional, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_osrtp_offered, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_mixed_per_line, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_reoffer_downgrade, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_answer_per_line, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_restore_osrtp, call_env_setup,
		    call_env_teardown),
		cmocka_unit_test_setup_teardown(test_port0_not_rtp, call_env_setup,
		    call_env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
