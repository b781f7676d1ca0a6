/* SPDX-License-Identifier: BSD-2-Clause */
/* SIP edits for dialogs: routing by a record, topology hiding both ways, remote target and route set. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip.h"
#include "sip_fixture.h"

static const struct sip_hop hop_in = { TP_UDP, "192.0.2.10", 5060 };
static const struct sip_hop hop_out = { TP_TLS, "198.51.100.1", 5061 };
static const struct sip_hop self[2] = {
	{ TP_UDP, "192.0.2.10", 5060 },
	{ TP_TLS, "198.51.100.1", 5061 },
};

/* A re-INVITE from the inside platform, through an inside proxy, towards a hidden outside. */
static const char reinvite[] =
    "INVITE sip:alice@203.0.113.5:5061;transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bKprx\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr\r\n"
    "Route: <sip:192.0.2.10:5060;transport=udp;lr>, <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
    "Record-Route: <sip:10.0.0.7;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "From: <sip:ivr@example.net>;tag=b\r\n"
    "To: \"Alice\" <sip:alice@example.com>;tag=a\r\n"
    "Call-ID: call-1@example.com\r\n"
    "CSeq: 5 INVITE\r\n"
    "Contact: <sip:ivr@10.0.0.5:5080>;expires=60\r\n"
    "Content-Length: 0\r\n\r\n";

static void
test_request_along_dialog_hidden(void **state)
{
	struct sip_msg *m = sip_fixture_parse(reinvite);
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_out;
	f.branch = "z9hG4bKout";
	f.self = self;
	f.nself = 2;
	/* the record's target and route set, whatever the request asked for */
	f.ruri = "sip:alice@203.0.113.5:5061;transport=tls";
	f.routes = "<sip:203.0.113.99;lr>";
	f.via_hide = true;
	f.rr_strip = true;
	f.contact = "sip:sbc@198.51.100.1:5061;transport=tls";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	sip_fixture_expect(buf, len,
	    "INVITE sip:alice@203.0.113.5:5061;transport=tls SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 198.51.100.1:5061;branch=z9hG4bKout\r\n"
	    "Route: <sip:203.0.113.99;lr>\r\n"
	    "Max-Forwards: 68\r\n"
	    "From: <sip:ivr@example.net>;tag=b\r\n"
	    "To: \"Alice\" <sip:alice@example.com>;tag=a\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 5 INVITE\r\n"
	    "Contact: <sip:sbc@198.51.100.1:5061;transport=tls>\r\n"
	    "Content-Length: 0\r\n\r\n");
	/* the leg it goes to carries another Call-ID */
	f.call_id = "sbcleg-abc";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_non_null(strstr(buf, "\r\nCall-ID: sbcleg-abc\r\n"));
	assert_null(strstr(buf, "call-1@example.com"));
	f.call_id = "two words";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.call_id = NULL;
	/* an empty route set: no Route line at all */
	f.routes = "";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_null(strstr(buf, "Route:"));
	/* a stored target that is no single URI is refused, not written */
	f.ruri = "sip:x@1.2.3.4 SIP/2.0\r\nVia: evil";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.ruri = "sip:alice@203.0.113.5";
	f.contact = "<sip:sbc@198.51.100.1>";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.contact = NULL;
	f.routes = "<sip:a;lr>\r\nX: y";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	sip_msg_free(m);
}

static void
test_initial_invite_hidden_record_route(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "INVITE sip:9011@192.0.2.10 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr\r\n"
	    "Record-Route: <sip:10.0.0.7;lr>\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:ivr@example.net>;tag=b\r\n"
	    "To: <sip:9011@example.com>\r\n"
	    "Call-ID: c2\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:ivr@10.0.0.5:5080>\r\n"
	    "Content-Length: 0\r\n\r\n");
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_out;
	f.branch = "z9hG4bKo2";
	f.rr_out = &hop_out;	/* rr_in left out: the hidden side sees our entry alone */
	f.via_hide = true;
	f.rr_strip = true;
	f.contact = "sip:sbc@198.51.100.1:5061;transport=tls";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	sip_fixture_expect(buf, len,
	    "INVITE sip:9011@192.0.2.10 SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 198.51.100.1:5061;branch=z9hG4bKo2\r\n"
	    "Record-Route: <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "Max-Forwards: 69\r\n"
	    "From: <sip:ivr@example.net>;tag=b\r\n"
	    "To: <sip:9011@example.com>\r\n"
	    "Call-ID: c2\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:sbc@198.51.100.1:5061;transport=tls>\r\n"
	    "Content-Length: 0\r\n\r\n");
	/* rr_in without rr_out stays a caller's error */
	f.rr_out = NULL;
	f.rr_in = &hop_in;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	sip_msg_free(m);
}

/* The outside answered the hidden INVITE above: its Vias come back, our inside entry too. */
static void
test_response_restores_hidden(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/TLS 198.51.100.1:5061;branch=z9hG4bKo2\r\n"
	    "Record-Route: <sip:203.0.113.20;lr>, <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "From: <sip:ivr@example.net>;tag=b\r\n"
	    "To: <sip:9011@example.com>;tag=o\r\n"
	    "Call-ID: c2\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:bob@203.0.113.30>\r\n"
	    "Content-Length: 0\r\n\r\n");
	struct sip_relay r = { 0 };
	char buf[2048];
	size_t len;

	r.vias = "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr\r\n";
	r.rr_hop = &hop_in;
	r.rr_lines = "Record-Route: <sip:10.0.0.7;lr>\r\n";
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, m, &r), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr\r\n"
	    "Record-Route: <sip:203.0.113.20;lr>, <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "Record-Route: <sip:192.0.2.10:5060;transport=udp;lr>\r\n"
	    "Record-Route: <sip:10.0.0.7;lr>\r\n"
	    "From: <sip:ivr@example.net>;tag=b\r\n"
	    "To: <sip:9011@example.com>;tag=o\r\n"
	    "Call-ID: c2\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:bob@203.0.113.30>\r\n"
	    "Content-Length: 0\r\n\r\n");
	/* without the stored Vias a response with our Via alone goes nowhere */
	assert_int_equal(sip_build_response_fwd(buf, sizeof(buf), &len, m, NULL, 0, NULL), ENOENT);
	r.vias = "Via: x";	/* not whole lines */
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, m, &r), EINVAL);
	sip_msg_free(m);
}

/* The inside answered an outside caller: towards the hidden caller only its side remains. */
static void
test_response_to_hidden_side(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKin\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc\r\n"
	    "Record-Route: <sip:10.0.0.7;lr>\r\n"
	    "Record-Route: <sip:192.0.2.10:5060;transport=udp;lr>, <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "Record-Route: <sip:203.0.113.20;lr>\r\n"
	    "From: <sip:alice@example.com>;tag=a\r\n"
	    "To: <sip:801@example.com>;tag=b\r\n"
	    "Call-ID: c3\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:ivr@10.0.0.5:5080>\r\n"
	    "Contact: <sip:ivr2@10.0.0.6>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: 5\r\n\r\n"
	    "v=0\r\n");
	struct sip_relay r = { 0 };
	char buf[2048], rset[256];
	size_t len;

	r.contact = "sip:sbc@198.51.100.1:5061;transport=tls";
	r.rr_from = &hop_out;
	r.body = "v=1\r\n";
	r.body_len = 5;
	r.content_type = "application/sdp";
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, m, &r), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc\r\n"
	    "Record-Route: <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "Record-Route: <sip:203.0.113.20;lr>\r\n"
	    "From: <sip:alice@example.com>;tag=a\r\n"
	    "To: <sip:801@example.com>;tag=b\r\n"
	    "Call-ID: c3\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:sbc@198.51.100.1:5061;transport=tls>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: 5\r\n\r\n"
	    "v=1\r\n");
	/* our entry not found: nothing of the set reaches the hidden side */
	r.rr_from = &(struct sip_hop){ TP_TLS, "198.51.100.77", 5061 };
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, m, &r), 0);
	assert_null(strstr(buf, "Record-Route"));
	r.call_id = "c3-caller";
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, m, &r), 0);
	assert_non_null(strstr(buf, "\r\nCall-ID: c3-caller\r\n"));
	r.call_id = NULL;
	r.rr_from = NULL;
	r.rr_drop = true;
	assert_int_equal(sip_build_response_relay(buf, sizeof(buf), &len, m, &r), 0);
	assert_null(strstr(buf, "Record-Route"));
	/* what the proxy keeps of the callee: the entries above ours, nearest first */
	assert_int_equal(sip_msg_route_set(m, self, 2, rset, sizeof(rset)), 0);
	assert_string_equal(rset, "<sip:10.0.0.7;lr>");
	assert_int_equal(sip_msg_contact_uri(m, rset, sizeof(rset)), 0);
	assert_string_equal(rset, "sip:ivr@10.0.0.5:5080");
	assert_int_equal(sip_msg_route_set(m, self, 2, rset, 8), ENOSPC);
	sip_msg_free(m);
}

/* A message on a leg whose Call-ID the SBC made answers its call's own; builders copy the received. */
static void
test_call_id_alias(void **state)
{
	struct sip_msg *m = sip_fixture_parse(reinvite);
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	assert_string_equal(sip_msg_call_id(m), "call-1@example.com");
	assert_int_equal(sip_msg_set_call_id(m, "the-call"), 0);
	assert_string_equal(sip_msg_call_id(m), "the-call");
	assert_string_equal(sip_msg_call_id_received(m), "call-1@example.com");
	f.via = &hop_out;
	f.branch = "z9hG4bKx";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_non_null(strstr(buf, "Call-ID: call-1@example.com\r\n"));
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 481, NULL, "t", NULL), 0);
	assert_non_null(strstr(buf, "Call-ID: call-1@example.com\r\n"));
	sip_msg_free(m);
}

static void
test_route_set_and_target(void **state)
{
	struct sip_msg *m = sip_fixture_parse(reinvite), *m2;
	char buf[256], *lines = NULL;
	enum tp_proto tp;
	struct sa dst;
	char a[SA_STRLEN];

	/* a request: its Record-Route in order; its Contact without header parameters */
	assert_int_equal(sip_msg_route_set(m, self, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "<sip:10.0.0.7;lr>");
	assert_int_equal(sip_msg_contact_uri(m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sip:ivr@10.0.0.5:5080");
	assert_int_equal(sip_msg_contact_uri(m, buf, 10), ENOSPC);
	assert_int_equal(sip_msg_lines_dup(m, "Via", &lines), 0);
	assert_string_equal(lines, "Via: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bKprx\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr\r\n");
	free(lines);
	assert_int_equal(sip_msg_lines_dup(m, "X-None", &lines), 0);
	assert_string_equal(lines, "");
	free(lines);
	/* where stored text leads: a bare URI keeps its parameters, a set gives its first entry */
	assert_int_equal(sip_text_dest("sip:alice@203.0.113.5:5061;transport=tls", &tp, &dst), 0);
	assert_int_equal(tp, TP_TLS);
	assert_string_equal(sa_format(&dst, a, sizeof(a)), "203.0.113.5:5061");
	assert_int_equal(sip_text_dest("<sip:10.0.0.7;lr>, <sip:10.0.0.8;lr>", &tp, &dst), 0);
	assert_int_equal(tp, TP_UDP);
	assert_string_equal(sa_format(&dst, a, sizeof(a)), "10.0.0.7:5060");
	assert_int_equal(sip_text_dest("sips:[2001:db8::1]", &tp, &dst), 0);
	assert_int_equal(tp, TP_TLS);
	assert_int_equal(sip_text_dest("sip:ivr.example.net", &tp, &dst), EHOSTUNREACH);
	assert_int_equal(sip_text_dest("sip:1.2.3.4;transport=sctp", &tp, &dst), EPROTONOSUPPORT);
	assert_int_equal(sip_text_dest("<>", &tp, &dst), EBADMSG);
	assert_int_equal(sip_text_dest("", &tp, &dst), EBADMSG);
	sip_msg_free(m);
	/* no Contact, or "*": no remote target */
	m2 = sip_fixture_parse("BYE sip:a@1.2.3.4 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.5;branch=z9hG4bKq\r\n"
	    "From: <sip:b@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: q\r\nCSeq: 2 BYE\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(sip_msg_contact_uri(m2, buf, sizeof(buf)), ENOENT);
	assert_int_equal(sip_msg_route_set(m2, self, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	sip_msg_free(m2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_along_dialog_hidden),
		cmocka_unit_test(test_initial_invite_hidden_record_route),
		cmocka_unit_test(test_response_restores_hidden),
		cmocka_unit_test(test_response_to_hidden_side),
		cmocka_unit_test(test_route_set_and_target),
		cmocka_unit_test(test_call_id_alias),
	};

	sip_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
