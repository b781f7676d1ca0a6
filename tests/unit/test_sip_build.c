/* SPDX-License-Identifier: BSD-2-Clause */
/* SIP builders: exact bytes of local responses, forwarded requests and responses, CANCEL, ACK. */
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

static const char invite[] =
    "INVITE sip:801100@sbc.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
    "To: <sip:801100@sbc.example.com>\r\n"
    "Call-ID: call-1@example.com\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@203.0.113.5:5061;transport=tls>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "v=0\r\n";

static const struct sip_hop hop_inside = { TP_UDP, "192.0.2.10", 5060 };
static const struct sip_hop hop_outside = { TP_TLS, "198.51.100.1", 5061 };
static const struct sip_hop self[2] = {
	{ TP_UDP, "192.0.2.10", 5060 },
	{ TP_TLS, "198.51.100.1", 5061 },
};

static void
test_trying_and_final(void **state)
{
	struct sip_msg *m = sip_fixture_parse(invite);
	char buf[2048];
	size_t len;

	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 100, NULL, "tt", NULL), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 100 Trying\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(buf[len], '\0');
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 503, NULL, "tt",
	    "Retry-After: 5\r\n"), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 503 Service Unavailable\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>;tag=tt\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Retry-After: 5\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 404, "No Route", NULL,
	    NULL), 0);
	assert_non_null(strstr(buf, "SIP/2.0 404 No Route\r\n"));
	assert_non_null(strstr(buf, "To: <sip:801100@sbc.example.com>\r\n"));
	sip_msg_free(m);
}

static void
test_response_keeps_existing_tag(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "BYE sip:a@b SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1\r\n"
	    "Via: SIP/2.0/UDP g;branch=z9hG4bK0\r\n"
	    "From: <sip:x@y>;tag=1\r\n"
	    "t: \"Tag;tag=no\" <sip:a@b;tag=uri> ; TAG = had\r\n"
	    "i: c\r\n"
	    "CSeq: 2 BYE\r\n\r\n");
	char buf[1024];
	size_t len;

	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 481, NULL, "new", NULL), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
	    "Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1\r\n"
	    "Via: SIP/2.0/UDP g;branch=z9hG4bK0\r\n"
	    "From: <sip:x@y>;tag=1\r\n"
	    "To: \"Tag;tag=no\" <sip:a@b;tag=uri> ; TAG = had\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 2 BYE\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_msg_free(m);
}

static void
test_response_errors(void **state)
{
	struct sip_msg *m = sip_fixture_parse(invite), *r;
	char buf[2048];
	size_t len, full, i;

	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 99, NULL, NULL, NULL), EINVAL);
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 700, NULL, NULL, NULL), EINVAL);
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 400, "a\r\nb", NULL, NULL),
	    EINVAL);
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 400, NULL, "t\n", NULL), EINVAL);
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 400, NULL, NULL, "X: 1"),
	    EINVAL);
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, m, 400, NULL, NULL,
	    "X: 1\r\n\r\nY: 2\r\n"), EINVAL);
	/* Every buffer shorter than the result (plus NUL) gives ENOSPC, never a partial write past it. */
	assert_int_equal(sip_build_response(buf, sizeof(buf), &full, m, 486, NULL, "t", NULL), 0);
	for (i = 0; i <= full; i++)
		assert_int_equal(sip_build_response(buf, i, &len, m, 486, NULL, "t", NULL), ENOSPC);
	assert_int_equal(sip_build_response(buf, full + 1, &len, m, 486, NULL, "t", NULL), 0);
	assert_int_equal(len, full);
	/* A response is not answered. */
	r = sip_fixture_parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
	    "To: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n");
	assert_int_equal(sip_build_response(buf, sizeof(buf), &len, r, 400, NULL, NULL, NULL), EINVAL);
	sip_msg_free(r);
	sip_msg_free(m);
	assert_string_equal(sip_reason_phrase(483), "Too Many Hops");
	assert_string_equal(sip_reason_phrase(299), "Unknown");
}

static void
test_forward_invite(void **state)
{
	struct sip_msg *m = sip_fixture_parse(invite), *sent;
	struct sip_fwd f = { 0 };
	static const char want[] =
	    "INVITE sip:ivr-00@10.0.0.5:5080 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
	    "Record-Route: <sip:192.0.2.10:5060;transport=udp;lr>\r\n"
	    "Record-Route: <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;received=203.0.113.9;rport=40000\r\n"
	    "Max-Forwards: 69\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Contact: <sip:alice@203.0.113.5:5061;transport=tls>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: 10\r\n"
	    "\r\n"
	    "v=0\r\nnew\r\n";
	char buf[4096];
	size_t len;

	f.via = &hop_inside;
	f.branch = "z9hG4bKbr1";
	f.rr_in = &hop_outside;
	f.rr_out = &hop_inside;
	f.self = self;
	f.nself = 2;
	f.ruri_user = "ivr-00";
	f.ruri_host = "10.0.0.5";
	f.ruri_port = 5080;
	f.body = "v=0\r\nnew\r\n";
	f.body_len = 10;
	f.content_type = "application/sdp";
	f.received = "203.0.113.9";
	f.rport = 40000;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	sip_fixture_expect(buf, len, want);

	/* What we sent parses back, and CANCEL for that branch is exact. */
	sent = sip_fixture_parse(buf);
	assert_int_equal(sip_build_cancel(buf, sizeof(buf), &len, sent), 0);
	sip_fixture_expect(buf, len,
	    "CANCEL sip:ivr-00@10.0.0.5:5080 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 CANCEL\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_msg_free(sent);
	sip_msg_free(m);
}

static void
test_forward_keeps_body_and_adds_mf(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "MESSAGE sip:bob@example.com;transport=tcp SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h:5070;branch=z9hG4bK9\r\n"
	    "f: <sip:x@y>;tag=1\r\n"
	    "t: <sip:bob@example.com>\r\n"
	    "i: c9\r\n"
	    "CSeq: 3 MESSAGE\r\n"
	    "c: text/plain\r\n"
	    "l: 2\r\n\r\nhiEXTRA");
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_inside;
	f.branch = "z9hG4bKbr3";
	f.ruri_transport = "udp";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	sip_fixture_expect(buf, len,
	    "MESSAGE sip:bob@example.com;transport=udp SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr3\r\n"
	    "Via: SIP/2.0/UDP h:5070;branch=z9hG4bK9\r\n"
	    "f: <sip:x@y>;tag=1\r\n"
	    "t: <sip:bob@example.com>\r\n"
	    "i: c9\r\n"
	    "CSeq: 3 MESSAGE\r\n"
	    "c: text/plain\r\n"
	    "Max-Forwards: 70\r\n"
	    "Content-Length: 2\r\n\r\nhi");
	sip_msg_free(m);
}

static void
test_forward_in_dialog_strips_our_routes(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "BYE sip:alice@203.0.113.5:5061;transport=tls SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr1\r\n"
	    "Route: <sip:192.0.2.10:5060;transport=udp;lr>, <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "Route: <sip:edge.example.com;lr>\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:ivr-00@10.0.0.5>;tag=b\r\n"
	    "To: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 1 BYE\r\n"
	    "Content-Length: 0\r\n\r\n");
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_outside;
	f.branch = "z9hG4bKbr2";
	f.self = self;
	f.nself = 2;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	sip_fixture_expect(buf, len,
	    "BYE sip:alice@203.0.113.5:5061;transport=tls SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 198.51.100.1:5061;branch=z9hG4bKbr2\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5080;branch=z9hG4bKivr1\r\n"
	    "Route: <sip:edge.example.com;lr>\r\n"
	    "Max-Forwards: 69\r\n"
	    "From: <sip:ivr-00@10.0.0.5>;tag=b\r\n"
	    "To: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 1 BYE\r\n"
	    "Content-Length: 0\r\n\r\n");
	/* Without our addresses nothing is stripped and the Route lines pass verbatim. */
	f.nself = 0;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_non_null(strstr(buf, "Route: <sip:192.0.2.10:5060;transport=udp;lr>, "
	    "<sip:198.51.100.1:5061;transport=tls;lr>\r\nRoute: <sip:edge.example.com;lr>\r\n"));
	sip_msg_free(m);
}

static void
test_forward_strict_router(void **state)
{
	/* Default ports: sip:192.0.2.10 is our UDP 5060 hop. */
	struct sip_msg *m = sip_fixture_parse(
	    "ACK sip:192.0.2.10;transport=udp SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKs1\r\n"
	    "Route: <sip:bob@10.0.0.5:5080>\r\n"
	    "From: <sip:x@y>;tag=1\r\n"
	    "To: <sip:bob@example.com>;tag=2\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 ACK\r\n\r\n");
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_inside;
	f.branch = "z9hG4bKbr4";
	f.self = self;
	f.nself = 2;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	sip_fixture_expect(buf, len,
	    "ACK sip:bob@10.0.0.5:5080 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr4\r\n"
	    "Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKs1\r\n"
	    "From: <sip:x@y>;tag=1\r\n"
	    "To: <sip:bob@example.com>;tag=2\r\n"
	    "Call-ID: c\r\n"
	    "CSeq: 1 ACK\r\n"
	    "Max-Forwards: 70\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_msg_free(m);
}

static void
test_forward_errors(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 0\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
	struct sip_fwd f = { 0 };
	const struct sip_hop v6 = { TP_TCP, "2001:db8::1", 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_inside;
	f.branch = "z9hG4bKx";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), ELOOP);
	sip_msg_free(m);
	m = sip_fixture_parse(invite);
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, NULL), EINVAL);
	f.branch = NULL;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.branch = "z9hG4bKx";
	f.rr_in = &hop_outside;	/* rr_out missing */
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.rr_in = NULL;
	f.body = "x";
	f.body_len = 1;		/* content_type missing */
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.body = NULL;
	f.ruri_user = "a\r\nX: injected";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.ruri_user = NULL;
	f.received = "1.2.3.4;evil=1";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
	f.received = NULL;
	assert_int_equal(sip_build_request(buf, 100, &len, m, &f), ENOSPC);
	sip_msg_free(m);
	/* More Route entries than we handle (32): refused, not truncated. */
	{
		char big[4096];
		size_t off = (size_t)snprintf(big, sizeof(big), "OPTIONS sip:a@b SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nRoute: <sip:r0;lr>");
		int k;

		for (k = 1; k < 33; k++)
			off += (size_t)snprintf(big + off, sizeof(big) - off, ", <sip:r%d;lr>", k);
		snprintf(big + off, sizeof(big) - off, "\r\nFrom: <sip:x@y>;tag=1\r\n"
		    "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
		m = sip_fixture_parse(big);
		assert_int_equal(sip_msg_route_count(m), 33);
		assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), EINVAL);
		sip_msg_free(m);
	}
	m = sip_fixture_parse(invite);
	/* IPv6 hops are bracketed, default ports written out in Record-Route. */
	f.via = &v6;
	f.rr_in = &v6;
	f.rr_out = &hop_inside;
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_non_null(strstr(buf, "Via: SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKx\r\n"));
	assert_non_null(strstr(buf, "Record-Route: <sip:[2001:db8::1]:5060;transport=tcp;lr>\r\n"));
	sip_msg_free(m);
}

static const char ringing[] =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport=40000\r\n"
    "Record-Route: <sip:192.0.2.10:5060;transport=udp;lr>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
    "To: <sip:801100@sbc.example.com>;tag=ivrtag\r\n"
    "Call-ID: call-1@example.com\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:ivr@10.0.0.5:5080>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "v=0\r\n";

static void
test_forward_response(void **state)
{
	struct sip_msg *m = sip_fixture_parse(ringing);
	char buf[2048];
	size_t len;

	assert_int_equal(sip_build_response_fwd(buf, sizeof(buf), &len, m, NULL, 0, NULL), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 180 Ringing\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport=40000\r\n"
	    "Record-Route: <sip:192.0.2.10:5060;transport=udp;lr>\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>;tag=ivrtag\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Contact: <sip:ivr@10.0.0.5:5080>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: 5\r\n"
	    "\r\n"
	    "v=0\r\n");
	assert_int_equal(sip_build_response_fwd(buf, sizeof(buf), &len, m, "v=1\r\nxx\r\n", 9,
	    "application/sdp"), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 180 Ringing\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport=40000\r\n"
	    "Record-Route: <sip:192.0.2.10:5060;transport=udp;lr>\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>;tag=ivrtag\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Contact: <sip:ivr@10.0.0.5:5080>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: 9\r\n"
	    "\r\n"
	    "v=1\r\nxx\r\n");
	assert_int_equal(sip_build_response_fwd(buf, sizeof(buf), &len, m, "x", 1, NULL), EINVAL);
	sip_msg_free(m);

	/* Our Via first in a combined line: the rest of the line stays. */
	m = sip_fixture_parse("SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKb\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n");
	assert_int_equal(sip_build_response_fwd(buf, sizeof(buf), &len, m, NULL, 0, NULL), 0);
	sip_fixture_expect(buf, len,
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKb\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_msg_free(m);

	/* Only our Via: the response was for us. */
	m = sip_fixture_parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
	assert_int_equal(sip_build_response_fwd(buf, sizeof(buf), &len, m, NULL, 0, NULL), ENOENT);
	sip_msg_free(m);
}

static void
test_ack_for_failure(void **state)
{
	struct sip_msg *sent = sip_fixture_parse(
	    "INVITE sip:ivr-00@10.0.0.5:5080 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc\r\n"
	    "Route: <sip:10.0.0.7;lr>\r\n"
	    "Max-Forwards: 69\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n");
	struct sip_msg *busy = sip_fixture_parse(
	    "SIP/2.0 486 Busy Here\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>;tag=ivrtag\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 INVITE\r\n"
	    "Content-Length: 0\r\n\r\n");
	struct sip_msg *ok = sip_fixture_parse(
	    "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 10 INVITE\r\n\r\n");
	char buf[2048];
	size_t len;

	assert_int_equal(sip_build_ack(buf, sizeof(buf), &len, sent, busy), 0);
	sip_fixture_expect(buf, len,
	    "ACK sip:ivr-00@10.0.0.5:5080 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbr1\r\n"
	    "Route: <sip:10.0.0.7;lr>\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n"
	    "To: <sip:801100@sbc.example.com>;tag=ivrtag\r\n"
	    "Call-ID: call-1@example.com\r\n"
	    "CSeq: 10 ACK\r\n"
	    "Content-Length: 0\r\n\r\n");
	/* 2xx is ACKed end to end, not by us; CANCEL/ACK need an INVITE. */
	assert_int_equal(sip_build_ack(buf, sizeof(buf), &len, sent, ok), EINVAL);
	assert_int_equal(sip_build_cancel(buf, sizeof(buf), &len, busy), EINVAL);
	assert_int_equal(sip_build_ack(buf, 50, &len, sent, busy), ENOSPC);
	sip_msg_free(ok);
	sip_msg_free(busy);
	sip_msg_free(sent);
}

static void
test_branch_and_tag(void **state)
{
	char a[SIP_BRANCH_SIZE], b[SIP_BRANCH_SIZE], t[32];
	size_t i;

	assert_int_equal(sip_branch_new(a, sizeof(a)), 0);
	assert_int_equal(sip_branch_new(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 29);
	assert_memory_equal(a, "z9hG4bK", 7);
	assert_string_not_equal(a, b);
	for (i = 7; i < 29; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.",
		    a[i]));
	assert_int_equal(sip_branch_new(a, 29), ENOSPC);
	assert_int_equal(sip_tag_new(t, sizeof(t)), 0);
	assert_int_equal(strlen(t), 16);
	assert_int_equal(sip_tag_new(t, 16), ENOSPC);
}

/* fuzz_sip found: a user:password URI whose rewrite libosip2 serialized unparseably. */
static void
test_rewrite_drops_password(void **state)
{
	struct sip_msg *m = sip_fixture_parse(
	    "INVITE sip:alice:secret@sbc.example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n");
	struct sip_fwd f = { 0 };
	char buf[2048];
	size_t len;

	f.via = &hop_inside;
	f.branch = "z9hG4bKpw";
	f.ruri_user = "ivr-1";
	f.ruri_host = "10.0.0.5";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_memory_equal(buf, "INVITE sip:ivr-1@10.0.0.5 SIP/2.0\r\n", 35);
	/* The user is given decoded; libosip2 escapes what a URI cannot hold. */
	f.ruri_user = "a b@c";
	assert_int_equal(sip_build_request(buf, sizeof(buf), &len, m, &f), 0);
	assert_memory_equal(buf, "INVITE sip:a%20b%40c@10.0.0.5 SIP/2.0\r\n", 39);
	sip_msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trying_and_final),
		cmocka_unit_test(test_response_keeps_existing_tag),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_forward_invite),
		cmocka_unit_test(test_forward_keeps_body_and_adds_mf),
		cmocka_unit_test(test_forward_in_dialog_strips_our_routes),
		cmocka_unit_test(test_forward_strict_router),
		cmocka_unit_test(test_forward_errors),
		cmocka_unit_test(test_forward_response),
		cmocka_unit_test(test_ack_for_failure),
		cmocka_unit_test(test_branch_and_tag),
		cmocka_unit_test(test_rewrite_drops_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
