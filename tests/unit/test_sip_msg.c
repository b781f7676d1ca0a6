/* SPDX-License-Identifier: BSD-2-Clause */
/* SIP parser, validator, stream framing and accessors: edge cases and bad input of every kind. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/file_load.h"
#include "lib/oom_wrap.h"

#include "sip.h"

#define INV_HEAD \
	"INVITE sip:801100@sbc.example.com SIP/2.0\r\n" \
	"Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc;rport=40000;received=203.0.113.9\r\n" \
	"Max-Forwards: 70\r\n" \
	"From: \"Alice\" <sip:alice@example.com>;tag=fromtag1\r\n" \
	"To: <sip:801100@sbc.example.com>\r\n" \
	"Call-ID: call-1@example.com\r\n" \
	"CSeq: 10 INVITE\r\n" \
	"Contact: <sip:alice@203.0.113.5:5061;transport=tls>\r\n"

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 203.0.113.5\r\ns=-\r\n";

/* Parses text (UDP unless said otherwise) and returns validate's verdict via *status. */
static int
check(const char *text, size_t len, enum tp_proto tp, int *status, char *reason)
{
	struct sip_msg *m = NULL;
	struct sip_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = sip_msg_parse(&m, text, len, tp, NULL, &e);
	if (rc == 0) {
		rc = sip_msg_validate(m, &e);
		sip_msg_free(m);
	}
	*status = e.status;
	if (reason != NULL)
		snprintf(reason, 128, "%s", e.reason);
	return rc;
}

static int
check_str(const char *text, int *status)
{
	return check(text, strlen(text), TP_UDP, status, NULL);
}

static void
test_valid_invite_accessors(void **state)
{
	char buf[1024];
	struct sip_msg *m = NULL;
	struct sip_error e;
	struct sip_addr a;
	struct sip_via v;
	struct sip_uri u;
	const char *val, *user;
	size_t len;
	int n;

	n = snprintf(buf, sizeof(buf), INV_HEAD "Supported: 100rel\r\nk: timer\r\n"
	    "Content-Type: application/sdp;charset=x\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(sdp), sdp);
	assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, TP_TLS, NULL, &e), 0);
	assert_int_equal(sip_msg_validate(m, &e), 0);
	assert_true(sip_msg_is_request(m));
	assert_int_equal(sip_msg_transport(m), TP_TLS);
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_INVITE);
	assert_int_equal(sip_msg_status(m), 0);
	assert_null(sip_msg_reason(m));
	assert_int_equal(sip_msg_ruri(m, &u), 0);
	assert_string_equal(u.scheme, "sip");
	assert_string_equal(u.user, "801100");
	assert_string_equal(u.host, "sbc.example.com");
	assert_int_equal(u.port, 0);
	user = sip_msg_ruri_user(m, &len);
	assert_int_equal(len, 6);
	assert_string_equal(user, "801100");
	assert_int_equal(sip_msg_ruri_param(m, "transport", &val), ENOENT);
	assert_int_equal(sip_msg_via_count(m), 1);
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_string_equal(v.transport, "TLS");
	assert_string_equal(v.host, "203.0.113.5");
	assert_int_equal(v.port, 5061);
	assert_string_equal(v.branch, "z9hG4bKabc");
	assert_string_equal(v.received, "203.0.113.9");
	assert_true(v.rport);
	assert_int_equal(v.rport_value, 40000);
	assert_int_equal(sip_msg_via(m, 1, &v), ENOENT);
	assert_int_equal(sip_msg_from(m, &a), 0);
	assert_string_equal(a.display, "\"Alice\"");
	assert_string_equal(a.uri.user, "alice");
	assert_string_equal(a.tag, "fromtag1");
	assert_string_equal(sip_msg_from_tag(m), "fromtag1");
	assert_null(sip_msg_to_tag(m));
	assert_string_equal(sip_msg_call_id(m), "call-1@example.com");
	assert_int_equal(sip_msg_cseq(m), 10);
	assert_string_equal(sip_msg_cseq_method(m), "INVITE");
	assert_int_equal(sip_msg_max_forwards(m), 70);
	assert_int_equal(sip_msg_contact_count(m), 1);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	assert_string_equal(a.uri.transport, "tls");
	assert_int_equal(a.uri.port, 5061);
	assert_int_equal(sip_msg_contact(m, 1, &a), ENOENT);
	assert_int_equal(sip_msg_route_count(m), 0);
	assert_int_equal(sip_msg_record_route_count(m), 0);
	assert_string_equal(sip_msg_content_type(m), "application/sdp");
	val = sip_msg_body(m, &len);
	assert_int_equal(len, strlen(sdp));
	assert_memory_equal(val, sdp, len);
	assert_int_equal(sip_msg_header(m, "call-id", 0, &val), 0);
	assert_string_equal(val, "call-1@example.com");
	assert_int_equal(sip_msg_header(m, "i", 0, &val), 0);
	assert_int_equal(sip_msg_header(m, "X-None", 0, &val), ENOENT);
	assert_int_equal(sip_msg_header(m, "supported", 0, &val), 0);
	assert_string_equal(val, "100rel");
	assert_int_equal(sip_msg_header(m, "k", 1, &val), 0);
	assert_string_equal(val, "timer");
	assert_int_equal(sip_msg_header(m, "k", 2, &val), ENOENT);
	assert_int_equal(sip_msg_header(m, "Call-ID", 1, &val), ENOENT);
	sip_msg_free(m);
}

static void
test_response_and_routes(void **state)
{
	static const char resp[] =
	    "SIP/2.0 180 Ringing\r\n"
	    "v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKours\r\n"
	    "Via: SIP/2.0/TLS 203.0.113.5:5061;branch=z9hG4bKabc\r\n"
	    "Record-Route: <sip:192.0.2.10;lr>, <sip:198.51.100.1:5061;transport=tls;lr>\r\n"
	    "f: <sip:alice@example.com>;tag=a\r\n"
	    "t: <sip:bob@example.com>;tag=b\r\n"
	    "i: c1\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "m: *\r\n"
	    "l: 0\r\n\r\n";
	struct sip_msg *m = NULL;
	struct sip_addr a;
	struct sip_uri u;

	assert_int_equal(sip_msg_parse(&m, resp, strlen(resp), TP_UDP, NULL, NULL), 0);
	assert_int_equal(sip_msg_validate(m, NULL), 0);
	assert_false(sip_msg_is_request(m));
	assert_int_equal(sip_msg_status(m), 180);
	assert_string_equal(sip_msg_reason(m), "Ringing");
	assert_string_equal(sip_msg_method(m), "INVITE");
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_INVITE);
	assert_int_equal(sip_msg_ruri(m, &u), ENOENT);
	assert_null(sip_msg_ruri_user(m, &(size_t){ 0 }));
	assert_int_equal(sip_msg_via_count(m), 2);
	assert_int_equal(sip_msg_record_route_count(m), 2);
	assert_int_equal(sip_msg_record_route(m, 1, &a), 0);
	assert_string_equal(a.uri.transport, "tls");
	assert_true(a.uri.lr);
	assert_string_equal(sip_msg_to_tag(m), "b");
	sip_msg_free(m);
}

static void
test_method_ids(void **state)
{
	static const struct {
		const char *name;
		enum sip_method id;
	} t[] = {
		{ "ACK", SIP_METHOD_ACK }, { "BYE", SIP_METHOD_BYE },
		{ "CANCEL", SIP_METHOD_CANCEL }, { "OPTIONS", SIP_METHOD_OPTIONS },
		{ "PRACK", SIP_METHOD_PRACK }, { "UPDATE", SIP_METHOD_UPDATE },
		{ "invite", SIP_METHOD_OTHER },
	};
	char buf[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sip_msg *m = NULL;
		int n = snprintf(buf, sizeof(buf), "%s sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 %s\r\n\r\n",
		    t[i].name, t[i].name);

		assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, TP_UDP, NULL, NULL), 0);
		assert_int_equal(sip_msg_validate(m, NULL), 0);
		assert_int_equal(sip_msg_method_id(m), t[i].id);
		sip_msg_free(m);
	}
}

static void
test_transport_names(void **state)
{
	enum tp_proto tp;

	assert_int_equal(tp_proto_parse("TLS", &tp), 0);
	assert_int_equal(tp, TP_TLS);
	assert_int_equal(tp_proto_parse("udp", &tp), 0);
	assert_int_equal(tp, TP_UDP);
	assert_int_equal(tp_proto_parse("Tcp", &tp), 0);
	assert_int_equal(tp, TP_TCP);
	assert_int_equal(tp_proto_parse("sctp", &tp), EINVAL);
	assert_int_equal(tp_proto_parse(NULL, &tp), EINVAL);
	assert_string_equal(tp_proto_name(TP_TCP), "tcp");
	assert_string_equal(tp_proto_name(TP_UDP), "udp");
}

static void
test_udp_content_length(void **state)
{
	char buf[1024];
	struct sip_msg *m = NULL;
	const char *body;
	size_t len;
	int n, status;

	/* Longer body than Content-Length: the surplus is dropped (RFC 3261 §18.3). */
	n = snprintf(buf, sizeof(buf), INV_HEAD "Content-Length: 4\r\n\r\nv=0\r\ngarbage");
	assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, TP_UDP, NULL, NULL), 0);
	assert_int_equal(sip_msg_validate(m, NULL), 0);
	body = sip_msg_body(m, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(body, "v=0\r", 4);
	sip_msg_raw(m, &len);
	assert_int_equal(len, (size_t)n - strlen("\ngarbage"));
	sip_msg_free(m);

	/* Shorter: 400. */
	n = snprintf(buf, sizeof(buf), INV_HEAD "Content-Length: 40\r\n\r\nv=0\r\n");
	assert_int_equal(check(buf, (size_t)n, TP_UDP, &status, NULL), EBADMSG);
	assert_int_equal(status, 400);
	/* Two of them, a negative one, a non-number, an overflow. */
	n = snprintf(buf, sizeof(buf), INV_HEAD "Content-Length: 0\r\nl: 0\r\n\r\n");
	assert_int_equal(check(buf, (size_t)n, TP_UDP, &status, NULL), EBADMSG);
	n = snprintf(buf, sizeof(buf), INV_HEAD "Content-Length: -1\r\n\r\n");
	assert_int_equal(check(buf, (size_t)n, TP_UDP, &status, NULL), EBADMSG);
	n = snprintf(buf, sizeof(buf), INV_HEAD "Content-Length: 1x\r\n\r\n");
	assert_int_equal(check(buf, (size_t)n, TP_UDP, &status, NULL), EBADMSG);
	n = snprintf(buf, sizeof(buf), INV_HEAD "Content-Length: 99999999999999999999999\r\n\r\n");
	assert_int_equal(check(buf, (size_t)n, TP_UDP, &status, NULL), EBADMSG);
	assert_int_equal(status, 400);
	/* Absent on UDP: the rest of the datagram is the body. */
	n = snprintf(buf, sizeof(buf), INV_HEAD "\r\nv=0\r\n");
	assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, TP_UDP, NULL, NULL), 0);
	assert_int_equal(sip_msg_validate(m, NULL), 0);
	sip_msg_body(m, &len);
	assert_int_equal(len, 5);
	sip_msg_free(m);
	/* Absent on a stream: 400. */
	assert_int_equal(check(buf, (size_t)n, TP_TCP, &status, NULL), EBADMSG);
	assert_int_equal(status, 400);
}

static void
test_limits(void **state)
{
	struct sip_limits lim = { 0, 0 };
	struct sip_msg *m = NULL;
	struct sip_error e;
	char *big;
	size_t off;
	int n, i;

	/* Over the size limit with a small header section: parsed, answered 513. */
	big = malloc(100000);
	assert_non_null(big);
	n = snprintf(big, 100000, INV_HEAD "Content-Length: 70000\r\n\r\n");
	memset(big + n, 'x', 70000);
	assert_int_equal(sip_msg_parse(&m, big, (size_t)n + 70000, TP_UDP, NULL, &e), 0);
	assert_int_equal(sip_msg_validate(m, &e), EBADMSG);
	assert_int_equal(e.status, 513);
	sip_msg_free(m);
	/* Lower custom limit. */
	lim.max_size = 200;
	n = snprintf(big, 100000, INV_HEAD "Content-Length: 300\r\n\r\n");
	memset(big + n, 'x', 300);
	assert_int_equal(sip_msg_parse(&m, big, (size_t)n + 300, TP_UDP, &lim, &e),
	    EBADMSG);
	assert_int_equal(e.status, 513);
	/* Too many header lines. */
	off = (size_t)snprintf(big, 100000, INV_HEAD);
	for (i = 0; i < 200; i++)
		off += (size_t)snprintf(big + off, 100000 - off, "X-H%d: v\r\n", i);
	off += (size_t)snprintf(big + off, 100000 - off, "Content-Length: 0\r\n\r\n");
	assert_int_equal(sip_msg_parse(&m, big, off, TP_UDP, NULL, &e), EBADMSG);
	assert_string_equal(e.reason, "too many header lines");
	lim.max_size = 0;
	lim.max_headers = 300;
	assert_int_equal(sip_msg_parse(&m, big, off, TP_UDP, &lim, &e), 0);
	assert_int_equal(sip_msg_validate(m, &e), 0);
	sip_msg_free(m);
	free(big);
}

static void
test_unparseable(void **state)
{
	static const char *bad[] = {
		"",
		"\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n",		/* no end of headers */
		"INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
		" continuation first\r\n\r\n",
		"INVITE\r\n\r\n",
		"SIP/2.0 2000 OK\r\n\r\n",
		"SIP/2.0 20 OK\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\n folded-without-header\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\n: empty\r\n\r\n",
		/* bare CR inside a line (fuzz_sip: libosip2 then lost the headers after it) */
		"INVITE sip:a@b SIP/2.0\r\nRoute: <sip:x;lr>\r\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\rVia: SIP/2.0/UDP h\r\n\r\n",
	};
	struct sip_msg *m = NULL;
	struct sip_error e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (sip_msg_parse(&m, bad[i], strlen(bad[i]), TP_UDP, NULL, &e) !=
		    EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		assert_true(e.reason[0] != '\0');
	}
	/* Binary garbage never crashes; NUL bytes included. */
	{
		unsigned char junk[512];

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (unsigned char)(i * 37 + 11);
		if (sip_msg_parse(&m, (char *)junk, sizeof(junk), TP_UDP, NULL, &e) == 0) {
			sip_msg_validate(m, &e);
			sip_msg_free(m);
		}
	}
}

static void
test_validate_requests(void **state)
{
	static const struct {
		const char *text;
		int rc, status;
	} t[] = {
		/* minimal valid */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		/* missing Via / Call-ID / CSeq / From */
		{ "OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
		  "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* CSeq method mismatch, CSeq without number */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* Max-Forwards: text, 256, two; 0 is valid here (the core answers 483) */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: ten\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 256\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 0\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		/* Proxy-Require: 420 */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nProxy-Require: foo\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 420 },
		/* URI schemes: sips and tel fine, mailto 416 */
		{ "OPTIONS sips:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		{ "OPTIONS tel:+15551234 SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <tel:+15551234>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		{ "OPTIONS mailto:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 416 },
		/* SIP/3.0: 505; garbage version: 400 */
		{ "OPTIONS sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 505 },
		{ "OPTIONS sip:a@b HTTP/1.1\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* control character in a header, Call-ID with a space */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX: a\x01z\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c d\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* Via without sent-by */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* Request-URI without host */
		{ "OPTIONS sip: SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* empty URI parameters (fuzz_sip: libosip2 re-serialized "<sip:h;>" as "<sip:h>;>") */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nRoute: <sip:h;>\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "OPTIONS sip:a@b;;lr SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* ";;" in the user part is legal (RFC 4475 intmeth) */
		{ "OPTIONS sip:a;;b@h;lr SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		/* bare "z9hG4bK": rejected in a request, not looked at in a response */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		/* a request whose responses would go to a broadcast address */
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 400 },
		/* Response-only shapes: 0 means drop */
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 0 },
		{ "SIP/2.0 099 Weird\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 0 },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
		/* next hop multicast / broadcast / unspecified: drop; host names that merely start with digits are fine */
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 239.1.2.3\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 0 },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP [ff02::1]:5060\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 0 },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP g;received=0.0.0.0\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", EBADMSG, 0 },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 232jadfj23\r\n"
		  "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", 0, 0 },
	};
	size_t i;
	int status;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = check_str(t[i].text, &status);

		if (rc != t[i].rc || (rc != 0 && status != t[i].status))
			fail_msg("case %zu: rc=%d status=%d, want %d/%d", i, rc, status, t[i].rc,
			    t[i].status);
	}
}

static void
test_ruri_user_decoding(void **state)
{
	static const struct {
		const char *ruri;
		const char *user;
		size_t len;
	} t[] = {
		{ "sip:%2541bc@h", "%41bc", 5 },		/* decoded once, not twice */
		{ "sip:a%00b@h", "a\0b", 3 },
		{ "sip:alice:secret@h", "alice", 5 },
		{ "sips:h", "", 0 },
		{ "tel:+1-555-0100;phone-context=example.com", "+1-555-0100", 11 },
		{ "sip:bad%zzesc@h", "bad%zzesc", 9 },
		{ "sip:trail%4@h", "trail%4", 7 },
	};
	char buf[512];
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sip_msg *m = NULL;
		const char *u;
		int n = snprintf(buf, sizeof(buf), "OPTIONS %s SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
		    "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", t[i].ruri);

		assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, TP_UDP, NULL, NULL), 0);
		u = sip_msg_ruri_user(m, &len);
		if (len != t[i].len || memcmp(u, t[i].user, len) != 0)
			fail_msg("%s: got %zu bytes \"%s\"", t[i].ruri, len, u);
		sip_msg_free(m);
	}
}

static char *
load_seed(const char *name, size_t *len)
{
	char *buf = file_load(SIP_SEED_DIR, name, len);

	if (buf == NULL)
		fail_msg("cannot read %s/%s", SIP_SEED_DIR, name);
	return buf;
}

/*
 * Bytes fuzz_sip found: a broken multipart body made libosip2's MIME parser leak
 * (LeakSanitizer fails this test in the ASan build if the guard goes away). We never
 * hand bodies to libosip2 now, so the message parses and its body is ours.
 */
static void
test_regress_osip_multipart_leak(void **state)
{
	struct sip_msg *m = NULL;
	size_t len, blen;
	char *buf = load_seed("osip_multipart_leak.sip", &len);

	assert_int_equal(sip_msg_parse(&m, buf, len, TP_UDP, NULL, NULL), 0);
	sip_msg_validate(m, NULL);
	assert_non_null(sip_msg_body(m, &blen));
	assert_int_equal(blen, 553);
	assert_string_equal(sip_msg_content_type(m), "multipart/mixed");
	sip_msg_free(m);
	free(buf);
}

static void
test_420_unsupported(void **state)
{
	static const char text[] =
	    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	    "Proxy-Require: foo, bar\r\nProxy-Require: baz\r\n"
	    "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
	struct sip_msg *m = NULL;
	struct sip_error e;

	assert_int_equal(sip_msg_parse(&m, text, strlen(text), TP_UDP, NULL, &e), 0);
	assert_int_equal(sip_msg_validate(m, &e), EBADMSG);
	assert_int_equal(e.status, 420);
	assert_string_equal(e.unsupported, "foo, bar, baz");
	sip_msg_free(m);
}

/* What a caller sees of a parsed message, as one line, to compare runs with each other. */
static void
oom_summary(const struct sip_msg *m, bool drop_ct, char *out, size_t size)
{
	struct sip_error e;
	const char *user, *body, *ct;
	size_t ulen = 0, blen = 0;
	int vrc;

	memset(&e, 0, sizeof(e));
	vrc = sip_msg_validate(m, &e);
	user = sip_msg_ruri_user(m, &ulen);
	body = sip_msg_body(m, &blen);
	ct = drop_ct ? NULL : sip_msg_content_type(m);
	snprintf(out, size, "validate=%d/%d method=%d user=%.*s via=%u rr=%u route=%u "
	    "contact=%u call-id=%s ct=%s body=%zu%s", vrc, e.status, (int)sip_msg_method_id(m),
	    (int)ulen, user != NULL ? user : "(null)", sip_msg_via_count(m),
	    sip_msg_record_route_count(m), sip_msg_route_count(m), sip_msg_contact_count(m),
	    sip_msg_call_id(m) != NULL ? sip_msg_call_id(m) : "(null)", ct != NULL ? ct : "(null)",
	    blen, body != NULL ? "" : "(no body)");
}

/*
 * Each allocation of a parse fails in turn, for a request with more header lines than
 * the parser's first table holds, an escaped Request-URI user, a Content-Type and a body,
 * and for a response: ENOMEM, or a message that reads exactly as the one parsed without
 * failure (never a silently different one); nothing leaks (LeakSanitizer in asan).
 * libosip2's own allocations happen inside the shared library and are not injected.
 *
 * KNOWN BUG, tolerated here only in that exact form: scan_fields() in sigproxy's
 * sip_msg.c ignores a failed strndup() of the Content-Type, so the message parses
 * with no Content-Type at all. The test insists on seeing it, so the fix (return
 * ENOMEM from the parse) makes it fail: then delete the exemption.
 */
static void
test_oom_parse(void **state)
{
	static const char *const texts[2] = {
		"INVITE sip:80%3110%30@sbc.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKoom1\r\n"
		"Via: SIP/2.0/UDP 203.0.113.6:5060;branch=z9hG4bKoom0\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:801100@sbc.example.com>\r\nCall-ID: oom-1@example.com\r\n"
		"CSeq: 1 INVITE\r\nContact: <sip:alice@203.0.113.5>\r\n"
		"Route: <sip:203.0.113.1;lr>\r\nRoute: <sip:203.0.113.2;lr>\r\n"
		"Record-Route: <sip:203.0.113.11;lr>\r\nRecord-Route: <sip:203.0.113.12;lr>\r\n"
		"Record-Route: <sip:203.0.113.13;lr>\r\nRecord-Route: <sip:203.0.113.14;lr>\r\n"
		"X-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\nX-E: 5\r\nX-F: 6\r\n"
		"Content-Type: application/sdp;charset=x\r\nContent-Length: 38\r\n\r\n"
		"v=0\r\no=- 1 1 IN IP4 203.0.113.5\r\ns=-\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKoom1\r\n"
		"Record-Route: <sip:203.0.113.11;lr>\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
		"To: <sip:801100@sbc.example.com>;tag=t1\r\nCall-ID: oom-1@example.com\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	};
	char want[512], want_no_ct[512], got[512];
	unsigned long at;
	unsigned k, nomem, ct_lost = 0;
	bool fired;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct sip_msg *m = NULL;
		size_t len = strlen(texts[k]);

		assert_int_equal(sip_msg_parse(&m, texts[k], len, TP_UDP, NULL, NULL), 0);
		oom_summary(m, false, want, sizeof(want));
		oom_summary(m, true, want_no_ct, sizeof(want_no_ct));
		sip_msg_free(m);
		nomem = 0;
		for (at = 0; at < 1000; at++) {
			struct sip_error e;
			int rc;

			m = NULL;
			oom_arm(at);
			rc = sip_msg_parse(&m, texts[k], len, TP_UDP, NULL, &e);
			fired = oom_disarm();
			if (rc != 0) {
				assert_int_equal(rc, ENOMEM);
				assert_null(m);
				assert_true(fired);
				nomem++;
				continue;
			}
			oom_summary(m, false, got, sizeof(got));
			if (fired && strcmp(got, want) != 0 && strcmp(got, want_no_ct) == 0) {
				print_message("KNOWN BUG: lost Content-Type (allocation %lu)\n", at);
				ct_lost++;
			} else {
				assert_string_equal(got, want);
			}
			sip_msg_free(m);
			if (!fired)
				break;
		}
		assert_true(at < 1000);
		assert_true(nomem >= 5);
	}
	if (ct_lost != 1)
		fail_msg("the lost Content-Type bug was seen %u times, not once: fixed? "
		    "then remove its exemption from test_oom_parse", ct_lost);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_invite_accessors),
		cmocka_unit_test(test_response_and_routes),
		cmocka_unit_test(test_method_ids),
		cmocka_unit_test(test_transport_names),
		cmocka_unit_test(test_udp_content_length),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unparseable),
		cmocka_unit_test(test_validate_requests),
		cmocka_unit_test(test_420_unsupported),
		cmocka_unit_test(test_ruri_user_decoding),
		cmocka_unit_test(test_regress_osip_multipart_leak),
		cmocka_unit_test(test_oom_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
