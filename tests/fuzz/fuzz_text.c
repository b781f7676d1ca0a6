/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzzes the small parsers of what sigproxy reads from Redis, from a sentinel and from a
 * peer's certificate, one target with a selector byte (each is too cheap for its own):
 *   0  a sentinel's reply (RESP, read by hiredis) to get-master-addr-by-name
 *   1  a stored remote target or route set (sip_text_dest: dialog records in Redis)
 *   2  the trace filter from sbc:trace (Call-ID, number regex, peer networks) on a message
 *   3  a certificate's names (CN, SAN DNS/URI/email/IP) against a TLS allow-list
 * with properties beyond "no crash": what parses stays inside its input, the trace
 * filter's regex is bounded, and the allow-list decision agrees with a plain model.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "redis_sentinel.h"
#include "sip.h"
#include "trace.h"
#include "transport_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_text: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

/* Splits s (NUL-terminated, n bytes) at its first n-1 newlines into parts[n]. */
static void
split_lines(char *s, char **parts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *nl = i + 1 < n ? strchr(s, '\n') : NULL;

		parts[i] = s;
		if (nl != NULL) {
			*nl = '\0';
			s = nl + 1;
		} else {
			s += strlen(s);
		}
	}
}

/* ---- 0: sentinel replies ---- */

static void
sentinel_reply(const char *buf, size_t len)
{
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;

	CHECK(rd != NULL);
	CHECK(redisReaderFeed(rd, buf, len) == REDIS_OK);
	while (redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL) {
		const redisReply *r = reply;
		char host[64];
		const char *why = NULL;
		uint16_t port = 0;
		int err;

		memset(host, 0x5a, sizeof(host));
		err = redis_sentinel_reply_parse(r, host, sizeof(host), &port, &why);
		if (err == 0) {
			CHECK(memchr(host, '\0', sizeof(host)) != NULL);
			CHECK(strlen(host) <= r->element[0]->len);
			CHECK(memcmp(host, r->element[0]->str, strlen(host)) == 0);
			CHECK(port != 0);
		} else {
			CHECK(err == EPROTO || err == ENOENT || err == EBADMSG);
			CHECK(why != NULL && port == 0);
			CHECK((unsigned char)host[0] == 0x5a);
		}
		freeReplyObject(reply);
		reply = NULL;
	}
	redisReaderFree(rd);
}

/* ---- 1: stored remote targets and route sets ---- */

static void
text_dest(const char *text)
{
	enum tp_proto tp = (enum tp_proto)-1;
	struct sa dst;
	int err;

	memset(&dst, 0, sizeof(dst));
	err = sip_text_dest(text, &tp, &dst);
	if (err == 0) {
		CHECK(tp == TP_UDP || tp == TP_TCP || tp == TP_TLS);
		CHECK(sa_family(&dst) == AF_INET || sa_family(&dst) == AF_INET6);
		CHECK(sa_port(&dst) != 0);
	} else {
		CHECK(err == EBADMSG || err == EINVAL || err == EPROTONOSUPPORT ||
		    err == EHOSTUNREACH || err == ENOMEM);
	}
}

/* ---- 2: the trace filter ---- */

/* CPU time, not wall time: a loaded machine must not fail the bound below. */
static uint64_t
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* parts: call, number, peer, the peer's address, then the message (its newlines kept). */
static void
trace_filter(char *s)
{
	char *p[5], msg[256];
	struct trace_filter *f = NULL;
	struct sa peer;
	struct trace_msg m;
	uint64_t t0;
	bool have_peer;
	int err;

	split_lines(s, p, 5);
	msg[0] = '\0';
	err = trace_filter_parse(&f, p[0], p[1], p[2], msg, sizeof(msg));
	if (err) {
		CHECK(err == EINVAL || err == ENOMEM);
		CHECK(f == NULL && (err == ENOMEM || msg[0] != '\0'));
		return;
	}
	CHECK((f == NULL) == (p[0][0] == '\0' && p[1][0] == '\0' && p[2][0] == '\0'));
	have_peer = sa_parse(&peer, p[3], 5060) == 0;
	memset(&m, 0, sizeof(m));
	m.dir = TRACE_IN;
	m.proto = TP_UDP;
	m.peer = have_peer ? &peer : NULL;
	m.buf = p[4];
	m.len = strlen(p[4]);
	/*
	 * A filter comes from whoever can write sbc:trace and runs on every message: its
	 * regex is bounded like a route's (100,000 steps: some ms under ASan for the three
	 * URIs), never PCRE2's default 10,000,000 (0.6 s under ASan; seed trace_backtrack).
	 */
	t0 = cpu_ms();
	(void)trace_filter_match(f, &m);
	if (cpu_ms() - t0 > 100) {
		fprintf(stderr, "fuzz_text: trace filter match took %llu ms of CPU\n",
		    (unsigned long long)(cpu_ms() - t0));
		abort();
	}
	CHECK(f != NULL || trace_filter_match(f, &m));
	trace_filter_free(f);
}

/* ---- 3: certificate names against an allow-list ---- */

/* The model: equal ignoring case, or "*.rest" and one label of [A-Za-z0-9_-] then ".rest". */
static bool
model_match(const char *pat, const char *name, size_t len, bool wild)
{
	size_t plen = strlen(pat), i;

	if (memchr(name, '\0', len) != NULL)
		return false;
	if (plen == len && strncasecmp(pat, name, len) == 0)
		return true;
	if (!wild || pat[0] != '*' || len < plen)
		return false;
	for (i = 0; i < len - (plen - 1); i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return false;
	}
	return i > 0 && strncasecmp(name + i, pat + 1, plen - 1) == 0;
}

static bool
model_any(char **allow, unsigned nallow, const char *name, size_t len, bool wild)
{
	for (unsigned i = 0; i < nallow; i++)
		if (model_match(allow[i], name, len, wild))
			return true;
	return false;
}

/* A SAN of type t (GEN_DNS, GEN_URI, GEN_EMAIL, GEN_IPADD) holding len bytes of v. */
static void
san_add(GENERAL_NAMES *gens, int t, const char *v, size_t len)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *s = t == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();

	CHECK(g != NULL && s != NULL);
	CHECK(ASN1_STRING_set(s, v, (int)len) == 1);
	GENERAL_NAME_set0_value(g, t, s);
	CHECK(sk_GENERAL_NAME_push(gens, g) > 0);
}

/*
 * parts: the allow-list (comma separated), the CN, then names, each "<type><value>" with
 * type d (DNS), u (URI), e (email), 4/6 (IP: its value an address in text); '\x01' in a
 * value stands for a NUL (as a forged certificate carries it).
 */
static void
tls_names(char *s)
{
	char *p[8], *allow[16], msg[160], *tok, *save = NULL;
	unsigned nallow = 0, i;
	bool want = false, got;
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();

	CHECK(x != NULL && subj != NULL && gens != NULL);
	split_lines(s, p, 8);
	for (tok = strtok_r(p[0], ",", &save); tok != NULL && nallow < 16;
	    tok = strtok_r(NULL, ",", &save))
		if (tls_allow_pattern_check(tok, msg, sizeof(msg)) == 0)
			allow[nallow++] = tok;
	if (p[1][0] != '\0') {
		size_t n = strlen(p[1]);

		/* what a CN of that text reads as: utf8 of a UTF8String, NULs kept */
		for (i = 0; i < n; i++)
			if (p[1][i] == '\x01')
				p[1][i] = '\0';
		if (X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
		    (const unsigned char *)p[1], (int)n, -1, 0) == 1)
			want |= model_any(allow, nallow, p[1], n, true);
	}
	CHECK(X509_set_subject_name(x, subj) == 1);
	for (i = 2; i < 8; i++) {
		char *v = p[i] + (p[i][0] != '\0'), ip[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		size_t n = strlen(v);

		for (size_t k = 0; k < n; k++)
			if (v[k] == '\x01')
				v[k] = '\0';
		switch (p[i][0]) {
		case 'd': case 'u': case 'e':
			san_add(gens, p[i][0] == 'd' ? GEN_DNS : p[i][0] == 'u' ? GEN_URI : GEN_EMAIL,
			    v, n);
			want |= model_any(allow, nallow, v, n, p[i][0] == 'd');
			break;
		case '4': case '6':
			if (inet_pton(p[i][0] == '4' ? AF_INET : AF_INET6, v, bin) != 1)
				break;
			san_add(gens, GEN_IPADD, (const char *)bin, p[i][0] == '4' ? 4 : 16);
			CHECK(inet_ntop(p[i][0] == '4' ? AF_INET : AF_INET6, bin, ip, sizeof(ip)));
			want |= model_any(allow, nallow, ip, strlen(ip), false);
			break;
		}
	}
	if (sk_GENERAL_NAME_num(gens) > 0)
		CHECK(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1);
	got = tls_allow_match(x, (const char *const *)allow, nallow);
	if (got != want) {
		fprintf(stderr, "fuzz_text: allow-list says %d, the model %d\n", got, want);
		abort();
	}
	GENERAL_NAMES_free(gens);
	X509_NAME_free(subj);
	X509_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	char *s;

	if (!init) {
		log_init("fuzz_text", LOG_LEVEL_ERR, false);
		sip_init();
		init = true;
	}
	if (size < 1)
		return 0;
	s = malloc(size);
	CHECK(s != NULL);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] & 3) {
	case 0:
		sentinel_reply(s, size - 1);
		break;
	case 1:
		text_dest(s);
		break;
	case 2:
		trace_filter(s);
		break;
	case 3:
		tls_names(s);
		break;
	}
	free(s);
	return 0;
}
