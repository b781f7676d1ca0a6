/* SPDX-License-Identifier: BSD-2-Clause */
/* Every RFC 4475 torture message through parse + validate + build, per rfc4475_expect.txt. */
#include <dirent.h>
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

static char *
load(const char *name, size_t *len)
{
	char *buf = file_load(RFC4475_DIR, name, len);

	if (buf == NULL)
		fail_msg("cannot read %s/%s", RFC4475_DIR, name);
	return buf;
}

static struct sip_msg *
parse_ok(const char *name)
{
	struct sip_msg *m = NULL;
	struct sip_error e;
	size_t len;
	char *buf = load(name, &len);
	int rc = sip_msg_parse(&m, buf, len, TP_UDP, NULL, &e);

	free(buf);
	if (rc != 0)
		fail_msg("%s: parse rc=%d %s", name, rc, e.reason);
	rc = sip_msg_validate(m, &e);
	if (rc != 0)
		fail_msg("%s: validate rc=%d %d %s", name, rc, e.status, e.reason);
	return m;
}

static const struct sip_hop hop_out = { TP_UDP, "192.0.2.10", 5060 };
static const struct sip_hop hop_in = { TP_TLS, "198.51.100.1", 5061 };

/* What we build from a message must itself parse and validate. */
static void
check_rebuild(const char *name, const struct sip_msg *m)
{
	static char out[80000];
	struct sip_fwd f = { 0 };
	struct sip_msg *m2 = NULL;
	struct sip_error e;
	const char *mf;
	size_t len = 0;
	int rc;

	if (sip_msg_is_request(m)) {
		rc = sip_build_response(out, sizeof(out), &len, m, 404, NULL, "totag1", NULL);
		assert_int_equal(rc, 0);
		assert_int_equal(sip_msg_parse(&m2, out, len, TP_UDP, NULL, &e), 0);
		rc = sip_msg_validate(m2, &e);
		if (rc != 0)
			fail_msg("%s: built 404 invalid: %s\n%s", name, e.reason, out);
		assert_int_equal(sip_msg_status(m2), 404);
		sip_msg_free(m2);
		m2 = NULL;

		f.via = &hop_out;
		f.branch = "z9hG4bKtestbranch";
		f.rr_in = &hop_in;
		f.rr_out = &hop_out;
		rc = sip_build_request(out, sizeof(out), &len, m, &f);
		if (sip_msg_max_forwards(m) == 0) {
			assert_int_equal(rc, ELOOP);
			return;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(sip_msg_parse(&m2, out, len, TP_UDP, NULL, &e), 0);
		rc = sip_msg_validate(m2, &e);
		if (rc != 0)
			fail_msg("%s: forwarded request invalid: %s\n%s", name, e.reason, out);
		assert_int_equal(sip_msg_via_count(m2), sip_msg_via_count(m) + 1);
		/* RFC 3261 §16.6 step 3: decrement, or add 70 when absent. */
		if (sip_msg_header(m, "Max-Forwards", 0, &mf) == 0)
			assert_int_equal(sip_msg_max_forwards(m2), sip_msg_max_forwards(m) - 1);
		else
			assert_int_equal(sip_msg_max_forwards(m2), 70);
		sip_msg_free(m2);
	} else {
		rc = sip_build_response_fwd(out, sizeof(out), &len, m, NULL, 0, NULL);
		if (sip_msg_via_count(m) < 2) {
			assert_int_equal(rc, ENOENT);
			return;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(sip_msg_parse(&m2, out, len, TP_UDP, NULL, &e), 0);
		assert_int_equal(sip_msg_validate(m2, &e), 0);
		sip_msg_free(m2);
	}
}

/* The table drives the whole corpus: every file listed, every listed file present. */
static void
test_expect_table(void **state)
{
	char line[256], file[128], outcome[16];
	unsigned entries = 0, files = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;
	int code;

	f = fopen(EXPECT_FILE, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct sip_msg *m = NULL;
		struct sip_error e;
		size_t len;
		char *buf;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%127s %15s %d", file, outcome, &code), 3);
		entries++;
		buf = load(file, &len);
		memset(&e, 0, sizeof(e));
		rc = sip_msg_parse(&m, buf, len, TP_UDP, NULL, &e);
		free(buf);
		if (strcmp(outcome, "drop") == 0) {
			if (rc == 0) {
				rc = sip_msg_validate(m, &e);
				if (rc != EBADMSG || e.status != 0)
					fail_msg("%s: want drop, got rc=%d status=%d", file, rc, e.status);
				assert_false(sip_msg_is_request(m));
			} else {
				assert_int_equal(rc, EBADMSG);
			}
			assert_true(e.reason[0] != '\0');
		} else if (strcmp(outcome, "reject") == 0) {
			if (rc != 0)
				fail_msg("%s: parse failed (%s), nothing to answer", file, e.reason);
			assert_true(sip_msg_is_request(m));
			rc = sip_msg_validate(m, &e);
			if (code == 483) {
				assert_int_equal(rc, 0);
				assert_int_equal(sip_msg_max_forwards(m), 0);
			} else if (rc != EBADMSG || e.status != code) {
				fail_msg("%s: want %d, got rc=%d status=%d (%s)", file, code, rc,
				    e.status, e.reason);
			} else {
				static char out[80000];
				struct sip_msg *r = NULL;

				assert_true(e.reason[0] != '\0');
				if (code == 420)
					assert_true(e.unsupported[0] != '\0');
				/* The answer can be built and is itself a valid response. */
				assert_int_equal(sip_build_response(out, sizeof(out), &len, m, code,
				    e.reason, "t1", NULL), 0);
				assert_int_equal(sip_msg_parse(&r, out, len, TP_UDP,
				    NULL, &e), 0);
				assert_int_equal(sip_msg_status(r), code);
				sip_msg_free(r);
			}
			if (code == 483)
				check_rebuild(file, m);
		} else if (strcmp(outcome, "body") == 0) {
			struct sip_body b;

			/* valid as a message; its body is what the proxy refuses (415) */
			if (rc != 0)
				fail_msg("%s: parse failed: %s", file, e.reason);
			rc = sip_msg_validate(m, &e);
			if (rc != 0)
				fail_msg("%s: rejected: %d %s", file, e.status, e.reason);
			assert_int_equal(sip_body_parse(m, &b), 0);
			assert_int_equal(b.kind, SIP_BODY_UNSUPPORTED);
			assert_null(b.sdp);
			assert_int_equal(code, 415);
		} else if (strcmp(outcome, "accept") == 0) {
			if (rc != 0)
				fail_msg("%s: parse failed: %s", file, e.reason);
			rc = sip_msg_validate(m, &e);
			if (rc != 0)
				fail_msg("%s: rejected: %d %s", file, e.status, e.reason);
			check_rebuild(file, m);
		} else {
			fail_msg("bad outcome %s", outcome);
		}
		sip_msg_free(m);
	}
	fclose(f);
	d = opendir(RFC4475_DIR);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 4 && strcmp(de->d_name + n - 4, ".dat") == 0)
			files++;
	}
	closedir(d);
	assert_int_equal(entries, 50);
	assert_int_equal(files, entries);
}

static void
test_wsinv(void **state)
{
	struct sip_msg *m = parse_ok("wsinv.dat");
	struct sip_uri u;
	struct sip_via v;
	struct sip_addr a;
	size_t len;

	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_INVITE);
	assert_int_equal(sip_msg_ruri(m, &u), 0);
	assert_string_equal(u.user, "vivekg");
	assert_string_equal(u.host, "chair-dnrc.example.com");
	assert_string_equal(sip_msg_to_tag(m), "1918181833n");
	assert_string_equal(sip_msg_from_tag(m), "98asjd8");
	assert_int_equal(sip_msg_max_forwards(m), 68);
	assert_string_equal(sip_msg_call_id(m), "wsinv.ndaksdj@192.0.2.1");
	assert_int_equal(sip_msg_cseq(m), 9);
	assert_string_equal(sip_msg_cseq_method(m), "INVITE");
	assert_int_equal(sip_msg_via_count(m), 3);
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_string_equal(v.branch, "390skdjuw");
	assert_string_equal(v.host, "192.0.2.2");
	assert_int_equal(sip_msg_via(m, 1, &v), 0);
	assert_string_equal(v.transport, "TCP");
	assert_string_equal(v.host, "spindle.example.com");
	assert_int_equal(sip_msg_route_count(m), 1);
	assert_int_equal(sip_msg_route(m, 0, &a), 0);
	assert_true(a.uri.lr);
	assert_string_equal(a.uri.host, "services.example.com");
	assert_int_equal(sip_msg_contact_count(m), 1);
	assert_non_null(sip_msg_body(m, &len));
	assert_int_equal(len, 150);
	assert_string_equal(sip_msg_content_type(m), "application/sdp");
	sip_msg_free(m);
}

static void
test_intmeth(void **state)
{
	struct sip_msg *m = parse_ok("intmeth.dat");
	struct sip_via v;

	assert_string_equal(sip_msg_method(m), "!interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_OTHER);
	assert_int_equal(sip_msg_cseq(m), 139122385);
	assert_int_equal(sip_msg_max_forwards(m), 255);
	assert_string_equal(sip_msg_call_id(m), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	assert_string_equal(sip_msg_from_tag(m), "_token~1'+`*%!-.");
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_string_equal(v.branch, "z9hG4bK-.!%66*_+`'~");
	sip_msg_free(m);
}

static void
test_escapes(void **state)
{
	struct sip_msg *m = parse_ok("esc01.dat");
	const char *user;
	struct sip_uri u;
	size_t len;

	user = sip_msg_ruri_user(m, &len);
	assert_int_equal(len, strlen("sips:user@example.com"));
	assert_memory_equal(user, "sips:user@example.com", len);
	assert_int_equal(sip_msg_ruri(m, &u), 0);
	assert_string_equal(u.host, "example.net");
	assert_string_equal(sip_msg_from_tag(m), "938");
	assert_string_equal(sip_msg_content_type(m), "application/sdp");
	sip_msg_free(m);

	m = parse_ok("escnull.dat");
	user = sip_msg_ruri_user(m, &len);
	assert_int_equal(len, 0);
	assert_string_equal(user, "");
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_REGISTER);
	assert_int_equal(sip_msg_contact_count(m), 2);
	sip_msg_free(m);

	m = parse_ok("esc02.dat");
	assert_string_equal(sip_msg_method(m), "RE%47IST%45R");
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_OTHER);
	/* "C%6Fntact" is another header, not a Contact. */
	assert_int_equal(sip_msg_contact_count(m), 2);
	sip_msg_free(m);

	m = parse_ok("semiuri.dat");
	user = sip_msg_ruri_user(m, &len);
	assert_int_equal(len, strlen("user;par=u@example.net"));
	assert_memory_equal(user, "user;par=u@example.net", len);
	assert_int_equal(sip_msg_ruri(m, &u), 0);
	assert_string_equal(u.host, "example.com");
	sip_msg_free(m);
}

static void
test_misc_valid(void **state)
{
	struct sip_msg *m = parse_ok("lwsdisp.dat");
	struct sip_addr a;
	struct sip_via v;
	const char *raw;
	size_t len;

	assert_int_equal(sip_msg_from(m, &a), 0);
	assert_string_equal(a.display, "caller");
	assert_string_equal(a.tag, "323");
	sip_msg_free(m);

	m = parse_ok("longreq.dat");
	assert_int_equal(sip_msg_via_count(m), 34);
	assert_non_null(sip_msg_body(m, &len));
	assert_int_equal(len, 150);
	sip_msg_free(m);

	/* dblreq: the INVITE after the REGISTER's empty body is datagram noise. */
	m = parse_ok("dblreq.dat");
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_REGISTER);
	raw = sip_msg_raw(m, &len);
	assert_null(memmem(raw, len, "INVITE", 6));
	sip_msg_body(m, &len);
	assert_int_equal(len, 0);
	sip_msg_free(m);

	m = parse_ok("transports.dat");
	assert_int_equal(sip_msg_via_count(m), 5);
	assert_int_equal(sip_msg_via(m, 1, &v), 0);
	assert_string_equal(v.transport, "SCTP");
	assert_int_equal(sip_msg_via(m, 3, &v), 0);
	assert_string_equal(v.transport, "UNKNOWN");
	sip_msg_free(m);

	m = parse_ok("mpart01.dat");
	assert_int_equal(sip_msg_method_id(m), SIP_METHOD_MESSAGE);
	sip_msg_body(m, &len);
	assert_int_equal(len, 553);
	assert_string_equal(sip_msg_content_type(m), "multipart/mixed");
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_true(v.rport);
	assert_int_equal(v.rport_value, 0);
	sip_msg_free(m);

	m = parse_ok("unreason.dat");
	assert_false(sip_msg_is_request(m));
	assert_int_equal(sip_msg_status(m), 200);
	assert_memory_equal(sip_msg_reason(m), "= 2**3 * 5**2 ", 14);
	assert_string_equal(sip_msg_method(m), "INVITE");
	sip_msg_free(m);

	m = parse_ok("noreason.dat");
	assert_int_equal(sip_msg_status(m), 100);
	assert_string_equal(sip_msg_reason(m), "");
	sip_msg_free(m);

	m = parse_ok("inv2543.dat");
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_null(v.branch);
	assert_null(sip_msg_from_tag(m));
	sip_msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expect_table),
		cmocka_unit_test(test_wsinv),
		cmocka_unit_test(test_intmeth),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_misc_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
