/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy/sip bodies (SDP, multipart, refused types) and RFC 2543 identifiers. */
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

#include "sip.h"
#include "sip_fixture.h"

#define parse sip_fixture_parse

#define HEAD(ct, extra) \
	"INVITE sip:8011001@sbc.example.test SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-b1\r\n" \
	"Max-Forwards: 70\r\nFrom: <sip:a@example.test>;tag=f1\r\n" \
	"To: <sip:8011001@sbc.example.test>\r\nCall-ID: body-1@test\r\nCSeq: 1 INVITE\r\n" \
	ct extra

#define SDP "v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" \
	"m=audio 4000 RTP/AVP 0\r\n"

/* A message with body (Content-Length filled in). */
static struct sip_msg *
with_body(const char *head, const char *body)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body), body);
	return parse(buf);
}

static void
test_body_kinds(void **state)
{
	static const struct {
		const char *head, *body;
		enum sip_body_kind kind;
		bool no_ctype, encoding;
	} t[] = {
		{ HEAD("", ""), "", SIP_BODY_NONE, false, false },
		{ HEAD("Content-Type: application/sdp\r\n", ""), SDP, SIP_BODY_SDP, false, false },
		/* case, parameters, compact form */
		{ HEAD("Content-Type: Application/SDP; charset=utf-8\r\n", ""), SDP, SIP_BODY_SDP,
		  false, false },
		{ HEAD("c: application/sdp\r\n", ""), SDP, SIP_BODY_SDP, false, false },
		/* an SDP without Content-Type is still one (tolerated), anything else is not */
		{ HEAD("", ""), SDP, SIP_BODY_SDP, true, false },
		{ HEAD("", ""), "hello\r\n", SIP_BODY_UNSUPPORTED, false, false },
		/* RFC 4475 invut: a type we do not understand is never parsed as SDP */
		{ HEAD("Content-Type: application/unknownformat\r\n", ""), SDP, SIP_BODY_UNSUPPORTED,
		  false, false },
		{ HEAD("Content-Type: application/sdp\r\n", "Content-Encoding: gzip\r\n"), SDP,
		  SIP_BODY_UNSUPPORTED, false, true },
		{ HEAD("Content-Type: application/sdp\r\n", "Content-Encoding: identity\r\n"), SDP,
		  SIP_BODY_SDP, false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sip_msg *m = with_body(t[i].head, t[i].body);
		struct sip_body b;

		assert_int_equal(sip_body_parse(m, &b), 0);
		assert_int_equal(b.kind, t[i].kind);
		assert_int_equal(b.no_ctype, t[i].no_ctype);
		assert_int_equal(b.encoding, t[i].encoding);
		if (b.kind == SIP_BODY_SDP) {
			assert_int_equal(b.sdp_len, strlen(SDP));
			assert_memory_equal(b.sdp, SDP, b.sdp_len);
		} else {
			assert_null(b.sdp);
		}
		if (b.kind == SIP_BODY_UNSUPPORTED)
			assert_non_null(b.why);
		sip_msg_free(m);
	}
}

#define ISUP_PART "--b1\r\nContent-Type: application/ISUP;version=nxv3;base=etsi121\r\n" \
	"Content-Disposition: signal;handling=optional\r\n\r\n\x01\x10\x60\x01\x0a\x7e\x02\x0a\x08" \
	"\r\n"

static void
test_multipart(void **state)
{
	const char *body = "preamble text\r\n--b1\r\nContent-Type: application/sdp\r\n\r\n" SDP
	    "\r\n" ISUP_PART "--b1--\r\nepilogue\r\n";
	const char *want_rest = "\r\n" ISUP_PART "--b1--\r\nepilogue\r\n";
	const char *newsdp = "v=0\r\nm=audio 9 RTP/AVP 0\r\n";
	struct sip_msg *m;
	struct sip_body b;
	const char *ctype;
	char *out;
	size_t len, head;

	(void)state;
	m = with_body(HEAD("Content-Type: multipart/mixed;boundary=b1\r\n", ""), body);
	assert_int_equal(sip_body_parse(m, &b), 0);
	assert_int_equal(b.kind, SIP_BODY_MULTIPART);
	assert_int_equal(b.sdp_len, strlen(SDP));
	assert_memory_equal(b.sdp, SDP, b.sdp_len);
	/* mediad's SDP in place, every other byte (preamble, ISUP, epilogue) as received */
	assert_int_equal(sip_msg_body_replace_sdp(m, newsdp, strlen(newsdp), &out, &len, &ctype),
	    0);
	assert_string_equal(ctype, "multipart/mixed;boundary=b1");
	head = (size_t)(b.sdp - b.body);
	assert_memory_equal(out, body, head);
	assert_memory_equal(out + head, newsdp, strlen(newsdp));
	assert_string_equal(out + head + strlen(newsdp), want_rest);
	assert_int_equal(len, head + strlen(newsdp) + strlen(want_rest));
	free(out);
	sip_msg_free(m);

	/* quoted boundary, LF-only part headers, compact Content-Type in the part */
	m = with_body(HEAD("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", ""),
	    "--b1\nc: application/sdp\n\n" SDP "\n--b1--\n");
	assert_int_equal(sip_body_parse(m, &b), 0);
	assert_int_equal(b.kind, SIP_BODY_MULTIPART);
	assert_int_equal(b.sdp_len, strlen(SDP));
	sip_msg_free(m);

	/* a multipart without SDP goes on as it is */
	m = with_body(HEAD("Content-Type: multipart/mixed;boundary=b1\r\n", ""), ISUP_PART "--b1--\r\n");
	assert_int_equal(sip_body_parse(m, &b), 0);
	assert_int_equal(b.kind, SIP_BODY_OTHER);
	assert_null(b.sdp);
	sip_msg_free(m);
}

/* Multiparts nothing may pass through unrewritten: refused, the SDP never located. */
static void
test_multipart_refused(void **state)
{
	static const char *const bodies[] = {
		/* two SDP parts */
		"--b1\r\nContent-Type: application/sdp\r\n\r\n" SDP "\r\n--b1\r\n"
		"Content-Type: application/sdp\r\n\r\n" SDP "\r\n--b1--\r\n",
		/* nested multipart (an SDP inside would go on as it came) */
		"--b1\r\nContent-Type: multipart/alternative;boundary=b2\r\n\r\n--b2\r\n"
		"Content-Type: application/sdp\r\n\r\n" SDP "\r\n--b2--\r\n\r\n--b1--\r\n",
		/* no closing delimiter */
		"--b1\r\nContent-Type: application/sdp\r\n\r\n" SDP,
		/* only a longer boundary: "--b1x" is not "--b1" */
		"--b1x\r\nContent-Type: application/sdp\r\n\r\n" SDP "\r\n--b1x--\r\n",
		/* an encoded part */
		"--b1\r\nContent-Type: application/sdp\r\nContent-Encoding: gzip\r\n\r\n" SDP
		"\r\n--b1--\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct sip_msg *m = with_body(HEAD("Content-Type: multipart/mixed;boundary=b1\r\n", ""),
		    bodies[i]);
		struct sip_body b;

		assert_int_equal(sip_body_parse(m, &b), 0);
		if (b.kind != SIP_BODY_UNSUPPORTED)
			fail_msg("body %zu: kind %d", i, b.kind);
		assert_null(b.sdp);
		sip_msg_free(m);
	}
	/* without a boundary parameter */
	{
		struct sip_msg *m = with_body(HEAD("Content-Type: multipart/mixed\r\n", ""),
		    bodies[0]);
		struct sip_body b;

		assert_int_equal(sip_body_parse(m, &b), 0);
		assert_int_equal(b.kind, SIP_BODY_UNSUPPORTED);
		sip_msg_free(m);
	}
}

/* RFC 4475 mpart01: a multipart with a binary part and no SDP is carried as it is. */
static void
test_mpart01(void **state)
{
	struct sip_msg *m = NULL;
	struct sip_error e;
	struct sip_body b;
	size_t len;
	char *buf = file_load(RFC4475_DIR, "mpart01.dat", &len);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(sip_msg_parse(&m, buf, len, TP_UDP, NULL, &e), 0);
	free(buf);
	assert_int_equal(sip_body_parse(m, &b), 0);
	assert_int_equal(b.kind, SIP_BODY_OTHER);
	assert_null(b.sdp);
	sip_msg_free(m);
}

#define LEGACY(method, cseq, to, via) \
	method " sip:8011001@sbc.example.test SIP/2.0\r\n" via \
	"Max-Forwards: 70\r\nFrom: Legacy <sip:legacy@example.test>\r\n" to \
	"Call-ID: legacy-1@test\r\nCSeq: " cseq "\r\nContent-Length: 0\r\n\r\n"

static void
test_legacy_ids(void **state)
{
	struct sip_msg *inv, *inv2, *cancel, *ack, *bye, *modern, *other;
	const char *tag, *key;
	char buf[64];

	(void)state;
	inv = parse(LEGACY("INVITE", "1 INVITE", "To: <sip:8011001@sbc.example.test>\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060\r\n"));
	assert_true(sip_msg_is_legacy(inv));
	assert_null(sip_msg_from_tag(inv));
	tag = sip_msg_dialog_from_tag(inv);
	assert_non_null(tag);
	assert_true(strncmp(tag, "2543-", 5) == 0);
	snprintf(buf, sizeof(buf), "%s", tag);
	key = sip_msg_txn_key(inv);
	assert_non_null(key);
	assert_true(strncmp(key, "2543-", 5) == 0);
	/* the same on every message of the dialog: a retransmission, the caller's BYE */
	inv2 = parse(LEGACY("INVITE", "1 INVITE", "To: <sip:8011001@sbc.example.test>\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060\r\n"));
	assert_string_equal(sip_msg_dialog_from_tag(inv2), buf);
	assert_string_equal(sip_msg_txn_key(inv2), key);
	bye = parse(LEGACY("BYE", "2 BYE", "To: <sip:8011001@sbc.example.test>;tag=t9\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060\r\n"));
	assert_string_equal(sip_msg_dialog_from_tag(bye), buf);
	assert_string_not_equal(sip_msg_txn_key(bye), key);	/* another transaction */
	/* RFC 3261 §17.2.3: CANCEL and the ACK of a failure match the INVITE's transaction */
	cancel = parse(LEGACY("CANCEL", "1 CANCEL", "To: <sip:8011001@sbc.example.test>\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060\r\n"));
	assert_string_equal(sip_msg_txn_key(cancel), key);
	ack = parse(LEGACY("ACK", "1 ACK", "To: <sip:8011001@sbc.example.test>;tag=ours\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060\r\n"));
	assert_string_equal(sip_msg_txn_key(ack), key);
	/* another sender (top Via) is another transaction */
	other = parse(LEGACY("INVITE", "1 INVITE", "To: <sip:8011001@sbc.example.test>\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.10:5060\r\n"));
	assert_string_not_equal(sip_msg_txn_key(other), key);
	/* an RFC 3261 branch is its own key; a pre-3261 branch is not trusted as one */
	modern = parse(LEGACY("INVITE", "1 INVITE", "To: <sip:8011001@sbc.example.test>\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-abc\r\n"));
	assert_string_equal(sip_msg_txn_key(modern), "z9hG4bK-abc");
	sip_msg_free(other);
	other = parse(LEGACY("INVITE", "1 INVITE", "To: <sip:8011001@sbc.example.test>\r\n",
	    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=1\r\n"));
	assert_true(strncmp(sip_msg_txn_key(other), "2543-", 5) == 0);
	sip_msg_free(inv);
	sip_msg_free(inv2);
	sip_msg_free(bye);
	sip_msg_free(cancel);
	sip_msg_free(ack);
	sip_msg_free(modern);
	sip_msg_free(other);
}

static void
test_legacy_response(void **state)
{
	struct sip_msg *r, *q;

	(void)state;
	/* an RFC 2543 callee's 200 without To tag: mediad still needs one for the answerer */
	r = parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
	    "From: <sip:a@example.test>;tag=f1\r\nTo: <sip:b@example.test>\r\n"
	    "Call-ID: r1@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_null(sip_msg_to_tag(r));
	assert_non_null(sip_msg_dialog_to_tag(r));
	assert_true(strncmp(sip_msg_dialog_to_tag(r), "2543-", 5) == 0);
	assert_string_equal(sip_msg_dialog_from_tag(r), "f1");
	assert_null(sip_msg_txn_key(r));
	assert_false(sip_msg_is_legacy(r));
	/* an RFC 3261 request without To tag stays "initial": nothing is derived for it */
	q = parse("INVITE sip:b@example.test SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-2\r\nMax-Forwards: 70\r\n"
	    "From: <sip:a@example.test>;tag=f1\r\nTo: <sip:b@example.test>\r\n"
	    "Call-ID: r1@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	assert_null(sip_msg_dialog_to_tag(q));
	sip_msg_free(q);
	/*
	 * An RFC 2543 dialog has no tags at all: the callee's BYE (From: callee, To: caller)
	 * names both parties with the tags its 2xx and the caller's requests gave them.
	 */
	q = parse("BYE sip:a@192.0.2.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.2:5060\r\nMax-Forwards: 70\r\n"
	    "From: <sip:b@example.test>\r\nTo: <sip:a@example.test>\r\n"
	    "Call-ID: r1@test\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n");
	assert_string_equal(sip_msg_dialog_from_tag(q), sip_msg_dialog_to_tag(r));
	assert_non_null(sip_msg_dialog_to_tag(q));
	assert_true(strncmp(sip_msg_dialog_to_tag(q), "2543-", 5) == 0);
	sip_msg_free(r);
	sip_msg_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_kinds),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_multipart_refused),
		cmocka_unit_test(test_mpart01),
		cmocka_unit_test(test_legacy_ids),
		cmocka_unit_test(test_legacy_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
