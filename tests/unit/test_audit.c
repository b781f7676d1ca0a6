/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of sigproxy/audit: the compliance record's JSON for a call (every field, nulls
 * for what is unknown, hostile values escaped, a record too long refused), and its file
 * output (appended, one line per call, reopened after a move).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "dialog.h"
#include "ng.h"

static void
call_fill(struct sp_call *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->call_id, sizeof(c->call_id), "abc@host");
	snprintf(c->from_tag, sizeof(c->from_tag), "ft");
	snprintf(c->route, sizeof(c->route), "ivr");
	snprintf(c->target, sizeof(c->target), "sip:192.0.2.5:5060");
	snprintf(c->mediad_id, sizeof(c->mediad_id), "md1");
	c->side[0] = SP_SIDE_OUTSIDE;
	c->side[1] = SP_SIDE_INSIDE;
	snprintf(c->transport[0], sizeof(c->transport[0]), "tls");
	snprintf(c->transport[1], sizeof(c->transport[1]), "udp");
	snprintf(c->crypto[0], sizeof(c->crypto[0]), "AES_CM_128_HMAC_SHA1_80");
	snprintf(c->crypto[1], sizeof(c->crypto[1]), "none");
	snprintf(c->caller, sizeof(c->caller), "sip:alice@example.test");
	snprintf(c->callee, sizeof(c->callee), "sip:8011001@sbc.example.test");
	snprintf(c->ruri_user, sizeof(c->ruri_user), "8011001");
	snprintf(c->source, sizeof(c->source), "192.0.2.4:40000");
	snprintf(c->tls[0].version, sizeof(c->tls[0].version), "TLSv1.3");
	snprintf(c->tls[0].cipher, sizeof(c->tls[0].cipher), "TLS_AES_256_GCM_SHA384");
	snprintf(c->tls[0].cert_sha256, sizeof(c->tls[0].cert_sha256), "AA:BB");
	snprintf(c->end_reason, sizeof(c->end_reason), "bye_caller");
	c->state = SP_CALL_ENDED;
	c->start = 1767225600;		/* 2026-01-01T00:00:00Z */
	c->answered = 1767225602;
	c->ended = 1767225662;
}

static void
test_audit_json_whole(void **state)
{
	struct sp_call c;
	struct ng_leg m[2];
	char buf[4096];
	size_t n;

	call_fill(&c);
	memset(m, 0, sizeof(m));
	m[0].present = m[1].present = true;
	snprintf(m[0].suite, sizeof(m[0].suite), "AES_CM_128_HMAC_SHA1_80");
	m[0].packets_in = 3000;
	m[0].bytes_in = 546000;
	m[0].packets_out = 2990;
	m[0].bytes_out = 544180;
	m[0].have_out = m[0].have_lost = true;
	m[0].lost = 10;
	m[0].ndrops = 1;
	snprintf(m[0].drops[0].reason, sizeof(m[0].drops[0].reason), "auth");
	m[0].drops[0].count = 2;
	m[1].packets_in = 2990;
	m[1].bytes_in = 514280;
	/* rtpengine: no packets out, no loss: those keys stay out of the record */
	n = audit_json(buf, sizeof(buf), &c, "sp1", m);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "{\"time\":\"2026-01-01T00:01:02Z\",\"call_id\":\"abc@host\","
	    "\"instance\":\"sp1\",\"start\":\"2026-01-01T00:00:00Z\","
	    "\"answer\":\"2026-01-01T00:00:02Z\",\"end\":\"2026-01-01T00:01:02Z\","
	    "\"duration_s\":60,\"end_reason\":\"bye_caller\",\"callee_call_id\":null,"
	    "\"caller\":\"sip:alice@example.test\","
	    "\"callee\":\"sip:8011001@sbc.example.test\",\"ruri_user\":\"8011001\","
	    "\"source\":\"192.0.2.4:40000\",\"route\":\"ivr\",\"target\":\"sip:192.0.2.5:5060\","
	    "\"mediad\":\"md1\",\"legs\":{\"caller\":{\"side\":\"outside\",\"transport\":\"tls\","
	    "\"tls_version\":\"TLSv1.3\",\"tls_cipher\":\"TLS_AES_256_GCM_SHA384\","
	    "\"peer_cert_sha256\":\"AA:BB\",\"srtp\":\"AES_CM_128_HMAC_SHA1_80\","
	    "\"packets_in\":3000,\"bytes_in\":546000,\"packets_out\":2990,\"bytes_out\":544180,"
	    "\"lost\":10,\"drops\":{\"auth\":2}},\"callee\":{\"side\":\"inside\","
	    "\"transport\":\"udp\",\"tls_version\":null,\"tls_cipher\":null,"
	    "\"peer_cert_sha256\":null,\"srtp\":\"plain\",\"packets_in\":2990,"
	    "\"bytes_in\":514280,\"drops\":{}}}}");
}

static void
test_audit_json_unknown_and_hostile(void **state)
{
	struct sp_call c;
	char buf[4096], tiny[64];

	call_fill(&c);
	/* not answered, no mediad answer: nulls, not zeros or empty strings */
	c.answered = 0;
	c.mediad_id[0] = '\0';
	/* what came from the network may hold anything */
	snprintf(c.call_id, sizeof(c.call_id), "x\"},\"end_reason\":\"ok\n\x1b[2J\\");
	snprintf(c.caller, sizeof(c.caller), "sip:\xff\xfe@evil");
	assert_true(audit_json(buf, sizeof(buf), &c, "sp1", NULL) > 0);
	assert_non_null(strstr(buf, "\"call_id\":\"x\\\"},\\\"end_reason\\\":\\\"ok\\u000a"
	    "\\u001b[2J\\\\\","));
	assert_non_null(strstr(buf, "\"caller\":\"sip:\\u00ff\\u00fe@evil\""));
	assert_non_null(strstr(buf, "\"answer\":null"));
	assert_non_null(strstr(buf, "\"duration_s\":0"));
	assert_non_null(strstr(buf, "\"mediad\":null"));
	/* the signalling side's word on the suite when mediad said nothing */
	assert_non_null(strstr(buf, "\"srtp\":\"AES_CM_128_HMAC_SHA1_80\",\"media\":null}"));
	assert_non_null(strstr(buf, "\"srtp\":\"plain\",\"media\":null}"));
	assert_null(strchr(buf, '\n'));
	/* a record that does not fit is refused whole, never cut */
	assert_int_equal(audit_json(tiny, sizeof(tiny), &c, "sp1", NULL), 0);
}

static void
test_audit_file(void **state)
{
	char dir[] = "/tmp/sbc-audit-XXXXXX", path[96], moved[96], line[4096];
	struct audit_conf ac;
	struct audit *a = NULL;
	struct sp_call c;
	FILE *f;
	int n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/calls.json", dir);
	snprintf(moved, sizeof(moved), "%s/calls.json.1", dir);
	memset(&ac, 0, sizeof(ac));
	ac.instance = "sp1";
	assert_int_equal(audit_open(&a, &ac), 0);
	assert_false(audit_on(a));
	audit_close(a);
	ac.file = path;
	assert_int_equal(audit_open(&a, &ac), 0);
	assert_true(audit_on(a));
	call_fill(&c);
	audit_write(a, &c, NULL);
	audit_write(a, &c, NULL);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(audit_reopen(a), 0);
	audit_write(a, &c, NULL);
	audit_close(a);
	f = fopen(moved, "r");
	assert_non_null(f);
	for (n = 0; fgets(line, sizeof(line), f) != NULL; n++)
		assert_int_equal(strncmp(line, "{\"time\":", 8), 0);
	fclose(f);
	assert_int_equal(n, 2);
	f = fopen(path, "r");
	assert_non_null(f);
	for (n = 0; fgets(line, sizeof(line), f) != NULL; n++)
		assert_int_equal(line[strlen(line) - 1], '\n');
	fclose(f);
	assert_int_equal(n, 1);
	unlink(path);
	unlink(moved);
	rmdir(dir);
	/* a file that cannot be opened: the errno, nothing allocated */
	snprintf(path, sizeof(path), "/nonexistent-%d/calls.json", (int)getpid());
	a = NULL;
	assert_int_equal(audit_open(&a, &ac), ENOENT);
	assert_null(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_json_whole),
		cmocka_unit_test(test_audit_json_unknown_and_hostile),
		cmocka_unit_test(test_audit_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
