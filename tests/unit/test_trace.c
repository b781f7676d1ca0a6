/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of sigproxy's SIP trace: filter, header scan, HEP3 encoding, trace file, masking, HEP socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace.h"
#include "trace_int.h"

#define KEY "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static const char invite[] =
    "INVITE sip:8011001@sbc.example.test SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 192.0.2.4:5061;branch=z9hG4bK1\r\n"
    "From: \"Alice\" <sip:alice@example.test>;tag=1\r\n"
    "To: <sip:8011001@sbc.example.test>\r\n"
    "Call-ID: abc@192.0.2.4\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 67\r\n"
    "\r\n"
    "m=audio 4000 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY "\r\n";

static const char response[] =
    "SIP/2.0 200 OK\r\n"
    "v: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK2\r\n"
    "f: <sip:+4930123@example.test>;tag=9\r\n"
    "t: <tel:+4930999;phone-context=x>;tag=8\r\n"
    "i: other@host\r\n"
    "l: 0\r\n"
    "\r\n";

static struct sa peer4, local4;

static struct trace_msg
msg(const char *buf, enum trace_dir dir)
{
	struct trace_msg m;

	memset(&m, 0, sizeof(m));
	m.dir = dir;
	m.proto = TP_UDP;
	m.listener = "outside-udp";
	m.local = &local4;
	m.peer = &peer4;
	m.buf = buf;
	m.len = strlen(buf);
	return m;
}

static int
setup(void **state)
{
	assert_int_equal(sa_parse(&peer4, "192.0.2.4:5071", 5060), 0);
	assert_int_equal(sa_parse(&local4, "198.51.100.1:5061", 5060), 0);
	return 0;
}

static void
test_hdr_find(void **state)
{
	const char *v;
	size_t n;

	assert_int_equal(trace_hdr_find(invite, strlen(invite), "call-id", 'i', &v, &n), 0);
	assert_int_equal(n, strlen("abc@192.0.2.4"));
	assert_memory_equal(v, "abc@192.0.2.4", n);
	/* compact form, any case */
	assert_int_equal(trace_hdr_find(response, strlen(response), "Call-ID", 'i', &v, &n), 0);
	assert_memory_equal(v, "other@host", n);
	assert_int_equal(trace_hdr_find(response, strlen(response), "to", 't', &v, &n), 0);
	assert_memory_equal(v, "<tel:", 5);
	/* the body is not a header section, nor is the start line */
	assert_int_equal(trace_hdr_find(invite, strlen(invite), "m", 0, &v, &n), ENOENT);
	assert_int_equal(trace_hdr_find("Call-ID: x", 10, "call-id", 'i', &v, &n), ENOENT);
	/* a header whose name only starts like the one asked for */
	assert_int_equal(trace_hdr_find("X\r\nToken: a\r\nT: b\r\n\r\n", 21, "to", 't', &v, &n), 0);
	assert_memory_equal(v, "b", n);
}

static void
test_filter_parse(void **state)
{
	struct trace_filter *f = (struct trace_filter *)1;
	char err[160];

	assert_int_equal(trace_filter_parse(&f, NULL, "", NULL, err, sizeof(err)), 0);
	assert_null(f);
	assert_true(trace_filter_match(NULL, &(struct trace_msg){ .buf = "x", .len = 1 }));
	err[0] = '\0';
	assert_int_equal(trace_filter_parse(&f, NULL, "([", NULL, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "bad regular expression"));
	assert_int_equal(trace_filter_parse(&f, NULL, NULL, "192.0.2.0/33", err, sizeof(err)),
	    EINVAL);
	assert_non_null(strstr(err, "bad network"));
	assert_int_equal(trace_filter_parse(&f, NULL, NULL, "not-an-address", err, sizeof(err)),
	    EINVAL);
}

static void
test_filter_match(void **state)
{
	struct trace_filter *f;
	struct trace_msg mi = msg(invite, TRACE_IN), mr = msg(response, TRACE_OUT);
	struct sa other;
	char err[160];

	/* call: exact Call-ID, compact form too */
	assert_int_equal(trace_filter_parse(&f, "abc@192.0.2.4", NULL, NULL, err, sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mi));
	assert_false(trace_filter_match(f, &mr));
	trace_filter_free(f);
	assert_int_equal(trace_filter_parse(&f, "abc@192.0.2", NULL, NULL, err, sizeof(err)), 0);
	assert_false(trace_filter_match(f, &mi));
	trace_filter_free(f);
	assert_int_equal(trace_filter_parse(&f, "other@host", NULL, NULL, err, sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mr));
	trace_filter_free(f);

	/* number: Request-URI, From or To user */
	assert_int_equal(trace_filter_parse(&f, NULL, "^8011\\d+$", NULL, err, sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mi));
	assert_false(trace_filter_match(f, &mr));
	trace_filter_free(f);
	assert_int_equal(trace_filter_parse(&f, NULL, "^alice$", NULL, err, sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mi));
	trace_filter_free(f);
	/* responses: From and To, tel: URIs up to their parameters */
	assert_int_equal(trace_filter_parse(&f, NULL, "^\\+4930999$", NULL, err, sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mr));
	assert_false(trace_filter_match(f, &mi));
	trace_filter_free(f);
	assert_int_equal(trace_filter_parse(&f, NULL, "^\\+4930123$", NULL, err, sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mr));
	trace_filter_free(f);
	/* a host is not a number: "sip:sbc.example.test" has no user */
	assert_int_equal(trace_filter_parse(&f, NULL, "example", NULL, err, sizeof(err)), 0);
	assert_false(trace_filter_match(f, &mi));
	trace_filter_free(f);

	/* peer: networks, IPv4 and IPv6 */
	assert_int_equal(trace_filter_parse(&f, NULL, NULL, "192.0.2.0/24, 2001:db8::/32", err,
	    sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mi));
	assert_int_equal(sa_parse(&other, "203.0.113.5:5060", 5060), 0);
	mi.peer = &other;
	assert_false(trace_filter_match(f, &mi));
	assert_int_equal(sa_parse(&other, "[2001:db8::7]:5060", 5060), 0);
	assert_true(trace_filter_match(f, &mi));
	mi.peer = NULL;
	assert_false(trace_filter_match(f, &mi));
	trace_filter_free(f);

	/* every criterion set must match */
	mi = msg(invite, TRACE_IN);
	assert_int_equal(trace_filter_parse(&f, "abc@192.0.2.4", "^8011", "203.0.113.0/24", err,
	    sizeof(err)), 0);
	assert_false(trace_filter_match(f, &mi));
	trace_filter_free(f);
	assert_int_equal(trace_filter_parse(&f, "abc@192.0.2.4", "^8011", "192.0.2.4", err,
	    sizeof(err)), 0);
	assert_true(trace_filter_match(f, &mi));
	trace_filter_free(f);
}

/* Reads a HEP3 packet: the value of chunk type t (vendor 0), its length in *len. */
static const uint8_t *
hep_chunk(const uint8_t *p, size_t n, uint16_t t, size_t *len)
{
	size_t i = 6;

	while (i + 6 <= n) {
		uint16_t v = (uint16_t)(p[i] << 8 | p[i + 1]);
		uint16_t ty = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
		uint16_t l = (uint16_t)(p[i + 4] << 8 | p[i + 5]);

		assert_true(l >= 6 && i + l <= n);
		if (v == 0 && ty == t) {
			*len = l - 6u;
			return p + i + 6;
		}
		i += l;
	}
	return NULL;
}

static uint32_t
be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void
test_hep_encode(void **state)
{
	static uint8_t out[TRACE_HEP_MAX];
	struct trace_msg m = msg(invite, TRACE_IN);
	struct timeval tv = { 1700000000, 123456 };
	const uint8_t *c;
	size_t n, l;
	struct sa p6, l6;

	assert_int_equal(trace_hep_encode(out, sizeof(out), &n, &m, invite, &tv, 2001, "abc@h", 5),
	    0);
	assert_memory_equal(out, "HEP3", 4);
	assert_int_equal(be(out + 4, 2), n);
	assert_non_null(c = hep_chunk(out, n, 1, &l));
	assert_int_equal(l, 1);
	assert_int_equal(*c, 2);
	assert_non_null(c = hep_chunk(out, n, 2, &l));
	assert_int_equal(*c, 17);
	/* in: from the peer to us */
	assert_non_null(c = hep_chunk(out, n, 3, &l));
	assert_int_equal(l, 4);
	assert_memory_equal(c, "\xc0\x00\x02\x04", 4);
	assert_non_null(c = hep_chunk(out, n, 4, &l));
	assert_memory_equal(c, "\xc6\x33\x64\x01", 4);
	assert_int_equal(be(hep_chunk(out, n, 7, &l), 2), 5071);
	assert_int_equal(be(hep_chunk(out, n, 8, &l), 2), 5061);
	assert_int_equal(be(hep_chunk(out, n, 9, &l), 4), 1700000000u);
	assert_int_equal(be(hep_chunk(out, n, 10, &l), 4), 123456);
	assert_int_equal(*hep_chunk(out, n, 11, &l), 1);
	assert_int_equal(be(hep_chunk(out, n, 12, &l), 4), 2001);
	assert_non_null(c = hep_chunk(out, n, 17, &l));
	assert_int_equal(l, 5);
	assert_memory_equal(c, "abc@h", 5);
	assert_non_null(c = hep_chunk(out, n, 15, &l));
	assert_int_equal(l, strlen(invite));
	assert_memory_equal(c, invite, l);

	/* out over TLS, IPv6: from us to the peer, TCP */
	assert_int_equal(sa_parse(&p6, "[2001:db8::4]:5061", 5060), 0);
	assert_int_equal(sa_parse(&l6, "[2001:db8::1]:5061", 5060), 0);
	m.dir = TRACE_OUT;
	m.proto = TP_TLS;
	m.peer = &p6;
	m.local = &l6;
	assert_int_equal(trace_hep_encode(out, sizeof(out), &n, &m, invite, &tv, 7, NULL, 0), 0);
	assert_int_equal(*hep_chunk(out, n, 1, &l), 10);
	assert_int_equal(*hep_chunk(out, n, 2, &l), 6);
	assert_non_null(c = hep_chunk(out, n, 5, &l));
	assert_int_equal(l, 16);
	assert_int_equal(c[15], 1);
	assert_non_null(c = hep_chunk(out, n, 6, &l));
	assert_int_equal(c[15], 4);
	assert_null(hep_chunk(out, n, 17, &l));
	/* unknown local address: zeros, not garbage */
	m.local = NULL;
	assert_int_equal(trace_hep_encode(out, sizeof(out), &n, &m, invite, &tv, 7, NULL, 0), 0);
	assert_non_null(c = hep_chunk(out, n, 5, &l));
	assert_memory_equal(c, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* too big for one packet */
	assert_int_equal(trace_hep_encode(out, 200, &n, &m, invite, &tv, 7, NULL, 0), EMSGSIZE);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void
test_trace_file_and_hep(void **state)
{
	char dir[] = "/tmp/test_trace.XXXXXX", path[128], moved[128], err[160], want[256];
	static char evil[512], rx[TRACE_HEP_MAX];
	struct trace_conf c;
	struct trace *t;
	struct trace_msg m = msg(invite, TRACE_IN);
	struct sa coll;
	socklen_t sl = sizeof(coll.u.ss);
	char *text;
	ssize_t n;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trace.log", dir);
	snprintf(moved, sizeof(moved), "%s/trace.log.1", dir);
	/* a collector on loopback */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(sa_parse(&coll, "127.0.0.1:0", 0), 0);
	assert_int_equal(bind(fd, &coll.u.sa, coll.len), 0);
	assert_int_equal(getsockname(fd, &coll.u.sa, &sl), 0);
	coll.len = sl;

	memset(&c, 0, sizeof(c));
	c.file = path;
	c.hep = &coll;
	c.hep_id = 99;
	assert_int_equal(trace_alloc(&t, &c), 0);
	/* off: nothing */
	trace_message(t, &m);
	text = slurp(path);
	assert_string_equal(text, "");
	free(text);
	trace_set_on(t, true);
	trace_message(t, &m);
	/* a message with control bytes and a forged record header in its body */
	snprintf(evil, sizeof(evil), "OPTIONS sip:x@h SIP/2.0\r\nCall-ID: e\x1b[2J\xff\r\n\r\n"
	    "#### 2026-01-01T00:00:00.000000Z in udp listener=forged\r\n");
	m = msg(evil, TRACE_OUT);
	trace_message(t, &m);
	text = slurp(path);
	assert_non_null(strstr(text, "#### "));
	snprintf(want, sizeof(want), " in udp listener=outside-udp 192.0.2.4:5071 -> "
	    "198.51.100.1:5061 len=%zu bytes=%zu call_id=abc@192.0.2.4\nINVITE sip:8011001@",
	    strlen(invite), strlen(invite));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "inline:****************************************\r\n\n"));
	assert_null(strstr(text, KEY));
	assert_non_null(strstr(text, " out udp listener=outside-udp 198.51.100.1:5061 -> "
	    "192.0.2.4:5071 "));
	assert_non_null(strstr(text, "Call-ID: e\\x1b[2J\\xff\r\n"));
	assert_null(strstr(text, "\x1b"));
	free(text);
	/* HEP: the same messages, keys masked */
	n = recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_memory_equal(rx, "HEP3", 4);
	assert_non_null(memmem(rx, (size_t)n, "inline:*****", 12));
	assert_null(memmem(rx, (size_t)n, KEY, strlen(KEY)));
	assert_true(recv(fd, rx, sizeof(rx), MSG_DONTWAIT) > 0);

	/* filter: only the Call-ID asked for */
	assert_int_equal(trace_set_filter(t, "abc@192.0.2.4", NULL, NULL, err, sizeof(err)), 0);
	/* logrotate: moved away, reopened, a new file */
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(trace_reopen(t), 0);
	trace_message(t, &m);
	m = msg(invite, TRACE_IN);
	trace_message(t, &m);
	text = slurp(path);
	assert_non_null(strstr(text, "call_id=abc@192.0.2.4\n"));
	assert_null(strstr(text, "OPTIONS"));
	free(text);
	/* a bad filter leaves the old one */
	assert_int_equal(trace_set_filter(t, NULL, "(", NULL, err, sizeof(err)), EINVAL);
	trace_free(t);
	close(fd);
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_find),
		cmocka_unit_test(test_filter_parse),
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_hep_encode),
		cmocka_unit_test(test_trace_file_and_hep),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
