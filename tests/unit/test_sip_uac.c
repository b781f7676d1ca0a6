/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requests of the SBC's own in a dialog: their exact bytes (sip_build_uac), the CSeq a
 * forwarded request and its relayed response carry once the SBC spoke in a party's name,
 * the parties' URIs as received, and the CSeq bookkeeping per leg (dialog_uac.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dialog.h"
#include "sip.h"
#include "sip_fixture.h"

static const struct sip_hop via_out = { TP_UDP, "198.51.100.1", 5060 };

static void
uac_fill(struct sip_uac_req *q)
{
	memset(q, 0, sizeof(*q));
	q->method = "BYE";
	q->ruri = "sip:alice@203.0.113.5:5070";
	q->routes = "<sip:203.0.113.9;lr>";
	q->via = &via_out;
	q->branch = "z9hG4bKsbc1";
	q->from_uri = "sip:8011001@198.51.100.1";
	q->from_tag = "b-tag";
	q->to_uri = "sip:alice@example.com";
	q->to_tag = "a-tag";
	q->call_id = "call-1@example.com";
	q->cseq = 7;
	q->extra = "Reason: SIP;cause=408;text=\"media timeout\"\r\n";
}

static void
test_bye_bytes(void **state)
{
	struct sip_uac_req q;
	char buf[2048];
	size_t len;

	uac_fill(&q);
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), 0);
	sip_fixture_expect(buf, len,
	    "BYE sip:alice@203.0.113.5:5070 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsbc1\r\n"
	    "Max-Forwards: 70\r\n"
	    "Route: <sip:203.0.113.9;lr>\r\n"
	    "From: <sip:8011001@198.51.100.1>;tag=b-tag\r\n"
	    "To: <sip:alice@example.com>;tag=a-tag\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 7 BYE\r\n"
	    "Reason: SIP;cause=408;text=\"media timeout\"\r\n"
	    "Content-Length: 0\r\n\r\n");
	/* what it builds parses and passes the proxy's own checks */
	sip_msg_free(sip_fixture_parse(buf));
	/* too small a buffer */
	assert_int_equal(sip_build_uac(buf, 64, &len, &q), ENOSPC);
}

static void
test_invite_bytes(void **state)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 30000 RTP/AVP 0\r\n";
	struct sip_uac_req q;
	char buf[2048], want[64];
	size_t len;

	uac_fill(&q);
	q.method = "INVITE";
	q.routes = NULL;
	q.extra = NULL;
	q.contact = "sip:sbc@198.51.100.1:5060;transport=udp";
	q.body = sdp;
	q.body_len = strlen(sdp);
	q.content_type = "application/sdp";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), 0);
	assert_null(strstr(buf, "Route:"));
	assert_non_null(strstr(buf, "\r\nCSeq: 7 INVITE\r\n"));
	assert_non_null(strstr(buf, "\r\nContact: <sip:sbc@198.51.100.1:5060;transport=udp>\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Type: application/sdp\r\n"));
	snprintf(want, sizeof(want), "\r\nContent-Length: %zu\r\n\r\nv=0\r\n", strlen(sdp));
	assert_non_null(strstr(buf, want));
	sip_msg_free(sip_fixture_parse(buf));
	/* no offer at all: a re-INVITE without SDP */
	q.body = NULL;
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), 0);
	assert_non_null(strstr(buf, "\r\nContent-Length: 0\r\n\r\n"));
}

/* Stored values come from the network: none may break its line or the message. */
static void
test_refused_values(void **state)
{
	struct sip_uac_req q;
	char buf[2048];
	size_t len;

	uac_fill(&q);
	q.to_tag = "a\r\nBYE sip:x SIP/2.0";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.call_id = "two words";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.ruri = "sip:alice@203.0.113.5>\r\nX: y";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.routes = "<sip:a;lr>\r\nX: y";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.extra = "Reason: no line end";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.from_tag = "";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.cseq = 0;
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
	uac_fill(&q);
	q.body = "v=0\r\n";
	q.body_len = 5;
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);	/* no type */
}

static const char bye_in[] =
    "BYE sip:sbc@192.0.2.10:5060;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bKa1\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@example.com;user=phone>;tag=a-tag\r\n"
    "To: sip:8011001@192.0.2.10;tag=b-tag\r\n"
    "Call-ID: call-1@example.com\r\n"
    "CSeq: 3 BYE\r\n"
    "Content-Length: 0\r\n\r\n";

static void
test_cseq_rewrite(void **state)
{
	static const struct sip_hop self[1] = { { TP_UDP, "192.0.2.10", 5060 } };
	struct sip_msg *m = sip_fixture_parse(bye_in), *resp;
	struct sip_fwd f = { 0 };
	struct sip_relay r = { 0 };
	char buf[2048], out[2048];
	size_t len;

	f.via = &via_out;
	f.branch = "z9hG4bKfwd";
	f.self = self;
	f.nself = 1;
	f.ruri = "sip:8011001@10.0.0.5";
	f.routes = "";
	f.cseq = 5;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_non_null(strstr(buf, "\r\nCSeq: 5 BYE\r\n"));
	assert_null(strstr(buf, "CSeq: 3"));
	/* the callee answers the number it saw; the caller gets its own back */
	snprintf(out, sizeof(out), "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKfwd\r\n"
	    "Via: SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bKa1\r\n"
	    "From: \"Alice\" <sip:alice@example.com;user=phone>;tag=a-tag\r\n"
	    "To: sip:8011001@192.0.2.10;tag=b-tag\r\n"
	    "Call-ID: call-1@example.com\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n");
	resp = sip_fixture_parse(out);
	r.cseq = 3;
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, resp, &r), 0);
	assert_non_null(strstr(buf, "\r\nCSeq: 3 BYE\r\n"));
	r.cseq = 0;
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, resp, &r), 0);
	assert_non_null(strstr(buf, "\r\nCSeq: 5 BYE\r\n"));
	sip_msg_free(resp);
	sip_msg_free(m);
}

/*
 * The parties' URIs are stored as sbcctl shows them (users %-decoded): what a request of
 * ours writes in From and To is escaped again, so no stored byte breaks the message.
 */
static void
test_party_uris(void **state)
{
	struct sip_uac_req q;
	char buf[2048];
	size_t len;

	uac_fill(&q);
	q.to_uri = "sip:\nevil\"\x1b[31m<x>@example.com";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), 0);
	assert_non_null(strstr(buf, "\r\nTo: <sip:%0Aevil%22%1B[31m%3Cx%3E@example.com>;tag=a-tag\r\n"));
	sip_msg_free(sip_fixture_parse(buf));
	/* a URI as received (already escaped) goes out unchanged */
	uac_fill(&q);
	q.from_uri = "sip:a%20b@example.com;user=phone";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), 0);
	assert_non_null(strstr(buf, "\r\nFrom: <sip:a%20b@example.com;user=phone>;tag=b-tag\r\n"));
	uac_fill(&q);
	q.from_uri = "";
	assert_int_equal(sip_build_uac(buf, sizeof(buf), &len, &q), EINVAL);
}

/* The CSeqs one leg sees stay in order: its peer's, the SBC's own, its peer's again. */
static void
test_cseq_per_leg(void **state)
{
	static struct sp sp;	/* no Redis: nothing is written */
	struct sp_call *c, *copy;
	const char *argv[16];
	char num[2][16];
	unsigned n, i;

	assert_int_equal(dialog_create(&sp, &c, "call-1@example.com", "a-tag"), 0);
	c->cseq[0] = 5;			/* the caller's INVITE */
	assert_int_equal(dialog_cseq_to(c, 1, 5), 0);	/* nothing to shift yet */
	/* a BYE or re-INVITE of ours to the callee in the caller's name: above 5 */
	assert_int_equal(dialog_cseq_next(&sp, c, 1), 6);
	/* the caller's next request (6) reaches the callee as 7, its answer goes back as 6 */
	dialog_note_cseq(&sp, c, 0, 6);
	assert_int_equal(dialog_cseq_to(c, 1, 6), 7);
	assert_int_equal(dialog_cseq_from(c, 1, 7), 6);
	assert_int_equal(dialog_cseq_next(&sp, c, 1), 8);
	assert_int_equal(dialog_cseq_to(c, 1, 7), 9);
	/* towards the caller, in the callee's name: the callee sent nothing yet */
	assert_int_equal(dialog_cseq_next(&sp, c, 0), 1);
	assert_int_equal(dialog_cseq_to(c, 0, 1), 2);
	/* a lower CSeq never lowers what was seen */
	dialog_note_cseq(&sp, c, 0, 2);
	assert_int_equal(c->cseq[0], 6);
	/* the space ends below 2^31 */
	c->cseq[0] = 0x7fffffffu - 2;
	assert_int_equal(dialog_cseq_next(&sp, c, 1), 0);
	c->cseq[0] = 7;
	/* the record's fields give any instance the same view (the CSeqs: dialog_fields.c) */
	n = dialog_uac_fields(c, "sp1", argv, num);
	assert_true(n == 6);
	assert_string_equal(argv[0], "owner");
	assert_int_equal(dialog_create(&sp, &copy, "call-2@example.com", "x"), 0);
	for (i = 2; i < n; i += 2)
		assert_true(dialog_uac_field_read(copy, argv[i], argv[i + 1]));
	assert_true(dialog_uac_field_read(copy, "caller_cseq", "7"));
	assert_int_equal(copy->cseq[0], 7);
	assert_int_equal(copy->cseq_shift[1], c->cseq_shift[1]);
	assert_int_equal(copy->cseq_shift[0], c->cseq_shift[0]);
	/* garbage and going back are ignored */
	assert_true(dialog_uac_field_read(copy, "caller_cseq", "12x"));
	assert_true(dialog_uac_field_read(copy, "caller_cseq", "3"));
	assert_true(dialog_uac_field_read(copy, "callee_cseq_shift", "99999999999"));
	assert_int_equal(copy->cseq[0], 7);
	assert_int_equal(copy->cseq_shift[1], c->cseq_shift[1]);
	assert_false(dialog_uac_field_read(copy, "caller_contact", "sip:x@y"));
	dialog_free_all(&sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bye_bytes),
		cmocka_unit_test(test_invite_bytes),
		cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_cseq_rewrite),
		cmocka_unit_test(test_party_uris),
		cmocka_unit_test(test_cseq_per_leg),
	};

	sip_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
