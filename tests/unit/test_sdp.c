/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for SDP parsing and rewriting (mediad/sdp.c, sdp_rewrite.c) over the real-world corpus. */
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

#include "sdp.h"

#ifndef SDP_CORPUS_DIR
#error "SDP_CORPUS_DIR must be defined by the build"
#endif

/*
 * Every file of tests/unit/sdp_corpus, read from its INDEX (first word of each line that is
 * not a comment): the sweep below covers them all, and test_sdp_corpus.pl checks the INDEX
 * against the directory.
 */
#define CORPUS_MAX 256
static char *corpus[CORPUS_MAX];
static size_t ncorpus;

static void
corpus_load(void)
{
	char path[512], line[1024];
	FILE *f;

	if (ncorpus > 0)
		return;
	snprintf(path, sizeof(path), "%s/INDEX", SDP_CORPUS_DIR);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL && ncorpus < CORPUS_MAX) {
		size_t n = strcspn(line, " \t\r\n");

		if (line[0] == '#' || n == 0)
			continue;
		line[n] = '\0';
		corpus[ncorpus] = strdup(line);
		assert_non_null(corpus[ncorpus]);
		ncorpus++;
	}
	fclose(f);
	assert_true(ncorpus >= 60);
}

static void
corpus_free(void)
{
	for (size_t i = 0; i < ncorpus; i++)
		free(corpus[i]);
	ncorpus = 0;
}
#define NCORPUS (corpus_load(), ncorpus)

static char *
load(const char *name, size_t *lenp)
{
	char *buf = file_load(SDP_CORPUS_DIR, name, lenp);

	if (buf == NULL)
		fail_msg("cannot read %s/%s", SDP_CORPUS_DIR, name);
	return buf;
}

static struct sdp *
parse_str(const char *s)
{
	struct sdp *sdp = NULL;
	const char *why = NULL;
	int err = sdp_parse(&sdp, s, strlen(s), &why);

	if (err)
		fail_msg("sdp_parse: %d %s", err, why ? why : "(null)");
	return sdp;
}

static struct sdp *
parse_file(const char *name)
{
	size_t len;
	char *buf = load(name, &len);
	struct sdp *sdp = NULL;
	const char *why = NULL;
	int err = sdp_parse(&sdp, buf, len, &why);

	free(buf);
	if (err)
		fail_msg("%s: sdp_parse: %d %s", name, err, why ? why : "(null)");
	return sdp;
}

static void
set_addr(struct sa *a, const char *ip)
{
	assert_int_equal(sa_parse_ip(a, ip, strlen(ip), 0), 0);
}

/* Every media at ip, ports 40000, 40002...; protocol proto; no crypto. */
static struct sdp_rw_params *
params_for(const struct sdp *sdp, const char *ip, enum sdp_proto proto, unsigned flags)
{
	struct sdp_rw_params *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->flags = flags;
	p->nmedia = sdp->nmedia;
	for (size_t i = 0; i < sdp->nmedia; i++) {
		set_addr(&p->media[i].addr, ip);
		p->media[i].port = (uint16_t)(40000 + 2 * i);
		p->media[i].proto = proto;
	}
	return p;
}

static char *
rewrite_ok(const struct sdp *sdp, const struct sdp_rw_params *p, size_t *lenp)
{
	char *out = NULL;
	size_t len = 0;
	const char *why = NULL;
	int err = sdp_rewrite(sdp, p, &out, &len, &why);

	if (err)
		fail_msg("sdp_rewrite: %d %s", err, why ? why : "(null)");
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	if (lenp)
		*lenp = len;
	return out;
}

/* Number of lines of s equal to line (whole line, CRLF-terminated). */
static size_t
count_lines(const char *s, const char *line)
{
	size_t n = 0, l = strlen(line);

	for (const char *p = s; *p; ) {
		const char *e = strstr(p, "\r\n");

		if (e == NULL)
			break;
		if ((size_t)(e - p) == l && memcmp(p, line, l) == 0)
			n++;
		p = e + 2;
	}
	return n;
}

/* Number of lines of s starting with prefix. */
static size_t
count_prefix(const char *s, const char *prefix)
{
	size_t n = 0, l = strlen(prefix);

	for (const char *p = s; *p; ) {
		const char *e = strstr(p, "\r\n");

		if (strncmp(p, prefix, l) == 0)
			n++;
		if (e == NULL)
			break;
		p = e + 2;
	}
	return n;
}

static size_t
count_newlines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static bool
is_static_known(int pt)
{
	return pt == 0 || pt == 3 || pt == 4 || pt == 8 || pt == 9 || pt == 13 || pt == 18 ||
	    pt == 34;
}

/*
 * The properties every rewrite must have, checked on the re-parsed output:
 * CRLF only; no peer address in any c= or o=; no peer crypto, ICE or DTLS;
 * every other line of the input kept byte for byte and in order; static
 * payload types have a=rtpmap; exactly one direction per active media;
 * a=rtcp:<port+1> unless rtcp-mux is kept.
 */
static void
check_properties(const char *name, const struct sdp *in, const char *out, size_t outlen,
    const struct sdp_rw_params *p)
{
	struct sdp *o = NULL;
	const char *why = NULL, *cursor = out;

	for (size_t i = 0; i < outlen; i++) {
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			fail_msg("%s: bare LF at %zu", name, i);
	}
	assert_true(outlen >= 2 && out[outlen - 2] == '\r' && out[outlen - 1] == '\n');
	if (sdp_parse(&o, out, outlen, &why))
		fail_msg("%s: output does not re-parse: %s\n%s", name, why, out);
	assert_int_equal(o->nmedia, in->nmedia);

	/* Every c= is ours, or the input's hold address. */
	for (size_t i = 0; i < o->nlines; i++) {
		const struct sdp_line *l = &o->lines[i];

		if (l->type == 'c') {
			bool ours = l->text.len == strlen("c=IN IP4 10.0.0.5") &&
			    memcmp(l->text.p, "c=IN IP4 10.0.0.5", l->text.len) == 0;
			bool hold = l->text.len == strlen("c=IN IP4 0.0.0.0") &&
			    memcmp(l->text.p, "c=IN IP4 0.0.0.0", l->text.len) == 0;

			if (!ours && !hold)
				fail_msg("%s: foreign c= line: %.*s", name, (int)l->text.len, l->text.p);
		}
		if (l->type == 'a' && (l->attr == SDP_ATTR_CRYPTO || l->attr == SDP_ATTR_ICE ||
		    l->attr == SDP_ATTR_FINGERPRINT || l->attr == SDP_ATTR_SETUP ||
		    l->attr == SDP_ATTR_TLS_ID || l->attr == SDP_ATTR_CAPNEG))
			fail_msg("%s: attribute kept: %.*s", name, (int)l->text.len, l->text.p);
	}
	assert_true(o->origin.present);
	assert_int_equal(o->origin.addr.len, strlen("10.0.0.5"));
	assert_memory_equal(o->origin.addr.p, "10.0.0.5", o->origin.addr.len);

	/* Everything not subject to a rule is there verbatim, in input order. */
	for (size_t i = 0; i < in->nlines; i++) {
		const struct sdp_line *l = &in->lines[i];
		char *line;
		const char *hit;

		if (l->type == 'o' || l->type == 'c' || l->type == 'm')
			continue;
		if (l->type == 'a' && (l->attr == SDP_ATTR_CRYPTO || l->attr == SDP_ATTR_RTCP ||
		    l->attr == SDP_ATTR_RTCP_MUX || l->attr == SDP_ATTR_ICE ||
		    l->attr == SDP_ATTR_FINGERPRINT || l->attr == SDP_ATTR_SETUP ||
		    l->attr == SDP_ATTR_TLS_ID || l->attr == SDP_ATTR_CAPNEG))
			continue;
		line = malloc(l->text.len + 4);
		assert_non_null(line);
		line[0] = '\n';
		memcpy(line + 1, l->text.p, l->text.len);
		memcpy(line + 1 + l->text.len, "\r\n", 3);
		hit = i == 0 ? (strncmp(out, line + 1, l->text.len + 2) == 0 ? out : NULL) :
		    strstr(cursor, line);
		if (hit == NULL)
			fail_msg("%s: line lost or reordered: %.*s", name, (int)l->text.len, l->text.p);
		cursor = hit + 1;
		free(line);
	}

	for (size_t k = 0; k < o->nmedia; k++) {
		const struct sdp_media *om = &o->media[k], *im = &in->media[k];
		size_t ndir = 0, nrtcp = 0, nmux = 0;

		assert_int_equal(om->nfmt, im->nfmt);
		assert_int_equal(om->formats.len, im->formats.len);
		assert_memory_equal(om->formats.p, im->formats.p, im->formats.len);
		if (im->port == 0) {
			assert_int_equal(om->port, 0);
			continue;
		}
		assert_int_equal(om->port, p->media[k].port);
		assert_true(sdp_media_conn(o, om)->present);
		for (size_t i = om->line + 1; i < om->end; i++) {
			const struct sdp_line *l = &o->lines[i];

			if (l->attr >= SDP_ATTR_SENDRECV && l->attr <= SDP_ATTR_INACTIVE)
				ndir++;
			if (l->attr == SDP_ATTR_RTCP)
				nrtcp++;
			if (l->attr == SDP_ATTR_RTCP_MUX)
				nmux++;
		}
		/* A session-level direction is inherited, so the media may carry its own or none. */
		if (om->dir == SDP_DIR_NONE)
			fail_msg("%s: media %zu without an explicit direction", name, k);
		assert_int_equal(ndir, 1);
		assert_int_equal(sdp_media_dir(o, om), sdp_media_dir(in, im));
		if (im->rtcp_mux && p->media[k].rtcp_mux) {
			assert_int_equal(nmux, 1);
			assert_int_equal(nrtcp, 0);
		} else {
			assert_int_equal(nmux, 0);
			assert_int_equal(nrtcp, 1);
			assert_true(om->has_rtcp);
			assert_int_equal(om->rtcp_port, p->media[k].port + 1);
		}
		/* Static payload types: an a=rtpmap in this media section. */
		for (size_t f = 0; f < om->nfmt; f++) {
			const struct sdp_str *fm = &om->fmt[f];
			size_t found = 0;
			int pt = -1;

			if (fm->len == 1)
				pt = fm->p[0] - '0';
			else if (fm->len == 2)
				pt = (fm->p[0] - '0') * 10 + (fm->p[1] - '0');
			if (!is_static_known(pt) || !sdp_proto_name(im->proto))
				continue;
			for (size_t i = om->line + 1; i < om->end; i++) {
				const struct sdp_line *l = &o->lines[i];

				found += l->attr == SDP_ATTR_RTPMAP && l->attr_value.len > fm->len &&
				    memcmp(l->attr_value.p, fm->p, fm->len) == 0 &&
				    l->attr_value.p[fm->len] == ' ';
			}
			if (found != 1)
				fail_msg("%s: %zu rtpmaps for static pt %d", name, found, pt);
		}
	}
	sdp_free(o);
}

/* Every corpus file parses, and its rewrite has all the properties, both as RTP and SRTP. */
static void
test_corpus_sweep(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCORPUS; i++) {
		struct sdp *sdp = parse_file(corpus[i]);
		unsigned flags = SDP_RW_REPLACE_ORIGIN | SDP_RW_ICE_REMOVE | SDP_RW_DTLS_REMOVE;
		struct sdp_rw_params *p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, flags);
		char *out, *out2;
		size_t len, len2;

		out = rewrite_ok(sdp, p, &len);
		check_properties(corpus[i], sdp, out, len, p);
		assert_int_equal(count_prefix(out, "a=crypto:"), 0);
		/* Pure function: same input, same bytes. */
		out2 = rewrite_ok(sdp, p, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(out, out2, len);
		free(out);
		free(out2);

		/* Same with rtcp-mux kept where offered. */
		for (size_t k = 0; k < sdp->nmedia; k++)
			p->media[k].rtcp_mux = true;
		out = rewrite_ok(sdp, p, &len);
		check_properties(corpus[i], sdp, out, len, p);
		free(out);
		free(p);
		sdp_free(sdp);
	}
}

/* ng-protocol.md section 9, offer: SRTP from the carrier, RTP/AVP towards the IVR. */
static void
test_ng_example_offer(void **state)
{
	static const char in[] =
	    "v=0\r\no=carrier 1000 1 IN IP4 198.51.100.10\r\ns=-\r\n"
	    "c=IN IP4 198.51.100.10\r\nt=0 0\r\nm=audio 20000 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\na=sendrecv\r\n";
	static const char want[] =
	    "v=0\r\no=carrier 1000 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\n"
	    "t=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\na=sendrecv\r\na=rtcp:40001\r\n";
	struct sdp *sdp;
	struct sdp_rw_params *p;
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(strlen(in), 364);
	assert_int_equal(strlen(want), 199);
	sdp = parse_str(in);
	assert_int_equal(sdp->nmedia, 1);
	assert_int_equal(sdp->media[0].ncrypto, 2);
	assert_int_equal(sdp->media[0].crypto[0].tag, 1);
	assert_int_equal(sdp->media[0].crypto[1].key.suite, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP,
	    SDP_RW_REPLACE_ORIGIN | SDP_RW_REPLACE_SESS_CONN | SDP_RW_ICE_REMOVE | SDP_RW_DTLS_REMOVE);
	out = rewrite_ok(sdp, p, &len);
	assert_string_equal(out, want);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* ng-protocol.md section 9, answer: RTP from the IVR, RTP/SAVP with one crypto line (tag 1). */
static void
test_ng_example_answer(void **state)
{
	static const char in[] =
	    "v=0\r\no=ivr 2000 1 IN IP4 10.0.0.20\r\n"
	    "s=-\r\nc=IN IP4 10.0.0.20\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";
	static const char want[] =
	    "v=0\r\no=ivr 2000 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
	    "t=0 0\r\nm=audio 40022 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\na=sendrecv\r\na=rtcp:40023\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:xa3PGQwiCw/sF2trU7UwzG18HkW2mtdMGyxFq8n7\r\n";
	static const char key[] = "xa3PGQwiCw/sF2trU7UwzG18HkW2mtdMGyxFq8n7";
	struct sdp *sdp;
	struct sdp_rw_params *p;
	struct sdp_rw_media *m;
	char *out;
	size_t len, n;

	(void)state;
	assert_int_equal(strlen(in), 183);
	assert_int_equal(strlen(want), 286);
	sdp = parse_str(in);
	p = params_for(sdp, "203.0.113.5", SDP_PROTO_RTP_SAVP,
	    SDP_RW_REPLACE_ORIGIN | SDP_RW_REPLACE_SESS_CONN | SDP_RW_ICE_REMOVE | SDP_RW_DTLS_REMOVE);
	m = &p->media[0];
	m->port = 40022;
	m->crypto_mode = SDP_RW_CRYPTO_EMIT;
	m->ncrypto = 1;
	m->crypto[0].tag = 1;
	m->crypto[0].key.suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
	assert_int_equal(sdp_base64_decode(m->crypto[0].key.key_salt,
	    sizeof(m->crypto[0].key.key_salt), key, strlen(key), &n), 0);
	m->crypto[0].key.key_salt_len = n;
	out = rewrite_ok(sdp, p, &len);
	assert_string_equal(out, want);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* Answer crypto: first offered usable line whose suite is allowed; its tag goes back, one line. */
static void
test_answer_crypto(void **state)
{
	static const struct {
		const char *file;
		unsigned allow;
		uint32_t tag;
		enum crypto_suite suite;
	} cases[] = {
		{ "avaya_offer.sdp", SDP_CRYPTO_ALLOW_ALL, 1, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
		{ "cisco_cube_offer.sdp", SDP_CRYPTO_ALLOW_ALL, 1, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32 },
		{ "cisco_cube_offer.sdp", SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80), 2,
		    CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
		/* AEAD_*_GCM_8 are not ours: skipped, AES-256 (tag 3) is the first usable one. */
		{ "freeswitch_offer.sdp", SDP_CRYPTO_ALLOW_ALL, 3, CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80 },
		{ "freeswitch_offer.sdp", SDP_CRYPTO_ALLOW_ALL &
		    ~SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80), 5,
		    CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
		/* Line 1 uses an MKI: usable (the key carries it to the SRTP context). */
		{ "asterisk_offer.sdp", SDP_CRYPTO_ALLOW_ALL, 1, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
		{ "unusable_crypto.sdp", SDP_CRYPTO_ALLOW_ALL, 5, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
		{ "osrtp_avp_crypto.sdp", SDP_CRYPTO_ALLOW_ALL, 1, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdp *sdp = parse_file(cases[i].file);
		const struct sdp_media *m = &sdp->media[0];
		struct sdp_crypto sel;
		struct sdp_rw_params *p;
		char *out, want[64];
		size_t len;

		assert_int_equal(sdp_crypto_select(m->crypto, m->ncrypto, cases[i].allow, &sel), 0);
		assert_int_equal(sel.tag, cases[i].tag);
		assert_int_equal(sel.key.suite, cases[i].suite);

		/* Our key for the answer (never the peer's): a fixed pattern here. */
		p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_SAVP, SDP_RW_REPLACE_ORIGIN);
		p->media[0].crypto_mode = SDP_RW_CRYPTO_EMIT;
		p->media[0].ncrypto = 1;
		p->media[0].crypto[0].tag = sel.tag;
		p->media[0].crypto[0].key.suite = sel.key.suite;
		p->media[0].crypto[0].key.key_salt_len = sel.key.key_salt_len;
		memset(p->media[0].crypto[0].key.key_salt, 0x5a, sel.key.key_salt_len);
		out = rewrite_ok(sdp, p, &len);
		assert_int_equal(count_prefix(out, "a=crypto:"), 1);
		snprintf(want, sizeof(want), "\r\na=crypto:%u %s inline:", (unsigned)sel.tag,
		    crypto_suite_name(sel.key.suite));
		assert_non_null(strstr(out, want));
		assert_int_equal(strncmp(strstr(out, "m=audio 40000 RTP/SAVP "), "m=audio 40000 RTP/SAVP ",
		    23), 0);
		free(out);
		free(p);
		sdp_free(sdp);
	}
}


/* Vendor shapes: what the model must say about each. */
static void
test_corpus_model(void **state)
{
	struct sdp *sdp;

	(void)state;
	/* Cisco CUBE: LF endings, session and media c=. */
	sdp = parse_file("cisco_cube_offer.sdp");
	assert_true(sdp->conn.present);
	assert_true(sdp->media[0].conn.present);
	assert_int_equal(sdp->media[0].port, 16384);
	assert_int_equal(sdp->media[0].proto, SDP_PROTO_RTP_SAVP);
	assert_int_equal(sdp->media[0].nfmt, 3);
	assert_int_equal(sdp->origin.sess_version, 815);
	assert_int_equal(sdp_media_dir(sdp, &sdp->media[0]), SDP_DIR_SENDRECV);
	assert_int_equal(sdp->media[0].dir, SDP_DIR_NONE);
	sdp_free(sdp);

	/* Polycom: session-level direction, audio + video each with crypto. */
	sdp = parse_file("polycom_offer.sdp");
	assert_int_equal(sdp->nmedia, 2);
	assert_int_equal(sdp->dir, SDP_DIR_SENDRECV);
	assert_int_equal(sdp->media[1].ncrypto, 2);
	assert_true(sdp->media[1].crypto[0].has_lifetime);
	assert_int_equal(sdp->media[1].crypto[0].lifetime, (uint64_t)1 << 31);
	assert_int_equal(sdp->media[1].type.len, 5);
	assert_memory_equal(sdp->media[1].type.p, "video", 5);
	sdp_free(sdp);

	/* Unusable crypto lines: skipped with reasons, the usable ones kept (5 has an MKI). */
	sdp = parse_file("unusable_crypto.sdp");
	assert_int_equal(sdp->media[0].ncrypto_lines, 9);
	assert_int_equal(sdp->media[0].ncrypto, 2);
	assert_int_equal(sdp->media[0].crypto[0].tag, 5);
	assert_int_equal(sdp->media[0].crypto[0].key.mki_len, 4);
	assert_int_equal(sdp->media[0].crypto[0].key.mki, 1);
	assert_int_equal(sdp->media[0].crypto[0].key.lifetime, 1u << 20);
	assert_int_equal(sdp->media[0].crypto[1].tag, 9);
	assert_int_equal(sdp->media[0].nskipped, 7);
	for (size_t i = 0; i < sdp->media[0].nskipped; i++) {
		assert_non_null(sdp->media[0].skipped[i].reason);
		assert_true(sdp->media[0].skipped[i].err == EBADMSG ||
		    sdp->media[0].skipped[i].err == ENOTSUP || sdp->media[0].skipped[i].err == EINVAL);
	}
	assert_int_equal(sdp->media[0].skipped[0].err, ENOTSUP);   /* F8 suite */
	assert_int_equal(sdp->media[0].skipped[1].err, EBADMSG);   /* not base64 */
	assert_int_equal(sdp->media[0].skipped[2].err, EINVAL);    /* 29-byte key */
	sdp_free(sdp);

	/* Lifetimes, KDR=0, WSH, session params, padded and unpadded keys. */
	sdp = parse_file("crypto_params.sdp");
	assert_int_equal(sdp->media[0].ncrypto, 5);
	assert_int_equal(sdp->media[0].crypto[0].lifetime, 1048576);
	assert_true(sdp->media[0].crypto[0].has_kdr);
	assert_int_equal(sdp->media[0].crypto[0].wsh, 128);
	assert_int_equal(sdp->media[0].crypto[1].params, SDP_CRYPTO_UNENCRYPTED_SRTCP);
	assert_true(sdp->media[0].crypto[2].key_padded);
	assert_int_equal(sdp->media[0].crypto[2].key.key_salt_len, 46);
	assert_false(sdp->media[0].crypto[3].key_padded);
	assert_int_equal(sdp->media[0].crypto[3].key.suite, CRYPTO_SUITE_AEAD_AES_128_GCM);
	assert_int_equal(sdp->media[0].crypto[4].params,
	    SDP_CRYPTO_UNENCRYPTED_SRTP | SDP_CRYPTO_UNAUTHENTICATED_SRTP);
	sdp_free(sdp);

	/* WebRTC-ish: ICE, DTLS, rtcp-mux recognised at both levels. */
	sdp = parse_file("rtcp_mux_ice_dtls.sdp");
	assert_true(sdp->ice);
	assert_true(sdp->dtls);
	assert_true(sdp->media[0].ice);
	assert_true(sdp->media[0].dtls);
	assert_true(sdp->media[0].rtcp_mux);
	assert_true(sdp->media[0].has_rtcp);
	assert_int_equal(sdp->media[0].rtcp_port, 50101);
	assert_int_equal(sdp->media[0].proto, SDP_PROTO_RTP_SAVPF);
	assert_false(sdp->conn.present);
	sdp_free(sdp);

	/* Hold forms. */
	sdp = parse_file("hold_zero_addr.sdp");
	assert_true(sdp->conn.null_addr);
	assert_int_equal(sdp->conn.family, AF_INET);
	sdp_free(sdp);
	sdp = parse_file("hold_inactive.sdp");
	assert_int_equal(sdp_media_dir(sdp, &sdp->media[0]), SDP_DIR_INACTIVE);
	sdp_free(sdp);

	sdp = parse_file("ipv6_offer.sdp");
	assert_int_equal(sdp->conn.family, AF_INET6);
	assert_int_equal(sdp->origin.family, AF_INET6);
	sdp_free(sdp);
}

/* Cisco writes LF only, with session and media c=: both rewritten, CRLF out, static PT rtpmaps. */
static void
test_rewrite_cisco(void **state)
{
	static const char want[] =
	    "v=0\r\n"
	    "o=CiscoSystemsSIP-GW-UserAgent 4711 815 IN IP4 198.51.100.30\r\n"
	    "s=SIP Call\r\n"
	    "c=IN IP4 10.0.0.5\r\n"
	    "t=0 0\r\n"
	    "m=audio 40000 RTP/AVP 0 101 19\r\n"
	    "c=IN IP4 10.0.0.5\r\n"
	    "a=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\n"
	    "a=rtpmap:19 CN/8000\r\n"
	    "a=ptime:20\r\n"
	    "a=sendrecv\r\n"
	    "a=rtcp:40001\r\n";
	struct sdp *sdp = parse_file("cisco_cube_offer.sdp");
	struct sdp_rw_params *p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	char *out;

	(void)state;
	out = rewrite_ok(sdp, p, NULL);
	/* Without replace origin the o= line is the sender's: that is the documented default. */
	assert_string_equal(out, want);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* Static payload types without a=rtpmap get one, in format order, before the first a= line. */
static void
test_rewrite_static_rtpmap(void **state)
{
	static const char in[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	    "m=audio 4000 RTP/AVP 18 0 8 9 3 4 13 101 8\r\nb=AS:64\r\n"
	    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
	    "a=ptime:30\r\n";
	static const char want[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
	    "m=audio 40000 RTP/AVP 18 0 8 9 3 4 13 101 8\r\nb=AS:64\r\n"
	    "a=rtpmap:18 G729/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:9 G722/8000\r\n"
	    "a=rtpmap:3 GSM/8000\r\na=rtpmap:4 G723/8000\r\na=rtpmap:13 CN/8000\r\n"
	    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
	    "a=ptime:30\r\na=sendrecv\r\na=rtcp:40001\r\n";
	static const char in2[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	static const char want2[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
	    "c=IN IP4 10.0.0.5\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp:40001\r\n";
	struct sdp *sdp = parse_str(in);
	struct sdp_rw_params *p = params_for(sdp, "10.0.0.5", SDP_PROTO_KEEP, 0);
	char *out;

	(void)state;
	out = rewrite_ok(sdp, p, NULL);
	assert_string_equal(out, want);
	free(out);
	free(p);
	sdp_free(sdp);

	/* No c= anywhere, no a= lines: the media gets both. */
	sdp = parse_str(in2);
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_KEEP, 0);
	out = rewrite_ok(sdp, p, NULL);
	assert_string_equal(out, want2);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* Hold: sendonly/inactive kept, 0.0.0.0 kept by default and replaced on request. */
static void
test_rewrite_hold(void **state)
{
	struct sdp *sdp;
	struct sdp_rw_params *p;
	char *out;

	(void)state;
	sdp = parse_file("hold_sendonly.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "a=sendonly"), 1);
	assert_int_equal(count_lines(out, "a=sendrecv"), 0);
	free(out);
	free(p);
	sdp_free(sdp);

	sdp = parse_file("hold_inactive.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "a=inactive"), 1);
	assert_int_equal(count_lines(out, "a=sendrecv"), 0);
	free(out);
	free(p);
	sdp_free(sdp);

	sdp = parse_file("hold_zero_addr.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "c=IN IP4 0.0.0.0"), 1);
	/* The media inherits the hold address: it must not get our address on its own. */
	assert_int_equal(count_prefix(out, "c="), 1);
	assert_int_equal(count_lines(out, "a=rtpmap:8 PCMA/8000"), 1);
	free(out);
	p->flags = SDP_RW_REPLACE_ZERO_ADDR;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "c=IN IP4 0.0.0.0"), 0);
	assert_int_equal(count_lines(out, "c=IN IP4 10.0.0.5"), 1);
	free(out);
	/* original sendrecv: no direction added. */
	p->flags = SDP_RW_ORIGINAL_SENDRECV;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_prefix(out, "a=sendrecv"), 0);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* Media-level c= only, two media with different local addresses; IPv6 both ways. */
static void
test_rewrite_conn_and_ipv6(void **state)
{
	struct sdp *sdp;
	struct sdp_rw_params *p;
	char *out;

	(void)state;
	sdp = parse_file("media_level_conn.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, SDP_RW_REPLACE_ORIGIN);
	set_addr(&p->media[1].addr, "10.0.0.6");
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_prefix(out, "c="), 2);
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 8 0 101\r\nc=IN IP4 10.0.0.5\r\n"));
	assert_non_null(strstr(out, "m=video 40002 RTP/AVP 96\r\nc=IN IP4 10.0.0.6\r\n"));
	assert_non_null(strstr(out, "o=sbc 5 5 IN IP4 10.0.0.5\r\n"));
	assert_null(strstr(out, "198.51.100"));
	free(out);
	free(p);
	sdp_free(sdp);

	/* Session c= with a media on another address: that media gets its own c=. */
	sdp = parse_file("polycom_offer.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, SDP_RW_REPLACE_ORIGIN);
	set_addr(&p->media[1].addr, "10.0.0.6");
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "c=IN IP4 10.0.0.5"), 1);
	assert_non_null(strstr(out, "m=video 40002 RTP/AVP 109 34\r\nc=IN IP4 10.0.0.6\r\nb=TIAS:1024000\r\n"));
	assert_int_equal(count_lines(out, "a=sendrecv"), 3);  /* session line kept + one per media */
	assert_int_equal(count_lines(out, "a=encryption:optional"), 2);
	assert_null(strstr(out, "198.51.100"));
	free(out);
	free(p);
	sdp_free(sdp);

	/* IPv6 peer, IPv6 local. */
	sdp = parse_file("ipv6_offer.sdp");
	p = params_for(sdp, "2001:db8::5", SDP_PROTO_RTP_AVP, SDP_RW_REPLACE_ORIGIN |
	    SDP_RW_FULL_RTCP_ATTR);
	out = rewrite_ok(sdp, p, NULL);
	assert_non_null(strstr(out, "\r\no=- 20 21 IN IP6 2001:db8::5\r\n"));
	assert_non_null(strstr(out, "\r\nc=IN IP6 2001:db8::5\r\n"));
	assert_non_null(strstr(out, "\r\na=rtcp:40001 IN IP6 2001:db8::5\r\n"));
	assert_non_null(strstr(out, "\r\na=rtpmap:9 G722/8000\r\n"));
	assert_null(strstr(out, "2001:db8::10"));
	free(out);
	/* IPv6 peer, IPv4 local (address family change). */
	for (size_t i = 0; i < p->nmedia; i++)
		set_addr(&p->media[i].addr, "10.0.0.5");
	p->flags = SDP_RW_REPLACE_ORIGIN;
	out = rewrite_ok(sdp, p, NULL);
	assert_non_null(strstr(out, "\r\nc=IN IP4 10.0.0.5\r\n"));
	assert_null(strstr(out, "IP6"));
	free(out);
	free(p);
	sdp_free(sdp);
}

/* ICE and DTLS removal, rtcp-mux kept or stripped or added. */
static void
test_rewrite_ice_dtls_mux(void **state)
{
	struct sdp *sdp;
	struct sdp_rw_params *p;
	char *out;

	(void)state;
	sdp = parse_file("rtcp_mux_ice_dtls.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP,
	    SDP_RW_REPLACE_ORIGIN | SDP_RW_ICE_REMOVE | SDP_RW_DTLS_REMOVE);
	p->media[0].rtcp_mux = true;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_prefix(out, "a=candidate"), 0);
	assert_int_equal(count_prefix(out, "a=ice-"), 0);
	assert_int_equal(count_prefix(out, "a=end-of-candidates"), 0);
	assert_int_equal(count_prefix(out, "a=fingerprint"), 0);
	assert_int_equal(count_prefix(out, "a=setup"), 0);
	assert_int_equal(count_prefix(out, "a=tls-id"), 0);
	assert_int_equal(count_lines(out, "a=rtcp-mux"), 1);
	assert_int_equal(count_prefix(out, "a=rtcp:"), 0);
	assert_int_equal(count_lines(out, "a=mid:0"), 1);
	assert_int_equal(count_lines(out, "a=msid-semantic:WMS *"), 1);
	assert_int_equal(count_lines(out, "a=rtcp-fb:111 transport-cc"), 1);
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 111 0 8 126\r\nc=IN IP4 10.0.0.5\r\n"));
	free(out);

	/* Flags off: ICE/DTLS pass through (the control code decides). */
	p->flags = SDP_RW_REPLACE_ORIGIN;
	p->media[0].rtcp_mux = false;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_prefix(out, "a=candidate"), 2);
	assert_int_equal(count_prefix(out, "a=fingerprint"), 1);
	assert_int_equal(count_lines(out, "a=rtcp-mux"), 0);   /* stripped: demux */
	assert_int_equal(count_lines(out, "a=rtcp:40001"), 1);
	free(out);

	/* rtcp_mux_add on a media that already has it: still exactly one. */
	p->media[0].rtcp_mux_add = true;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "a=rtcp-mux"), 1);
	assert_int_equal(count_prefix(out, "a=rtcp:"), 0);
	free(out);
	free(p);
	sdp_free(sdp);

	/* rtcp_mux_add on a media without it: added after the direction, no a=rtcp. */
	sdp = parse_file("hold_sendonly.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	p->media[0].rtcp_mux_add = true;
	out = rewrite_ok(sdp, p, NULL);
	assert_non_null(strstr(out, "\r\na=sendonly\r\na=rtcp-mux\r\n"));
	assert_int_equal(count_lines(out, "a=rtcp-mux"), 1);
	assert_int_equal(count_prefix(out, "a=rtcp:"), 0);
	free(out);
	/* Default (false) keeps the old behaviour: no mux, a=rtcp. */
	p->media[0].rtcp_mux_add = false;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_lines(out, "a=rtcp-mux"), 0);
	assert_int_equal(count_lines(out, "a=rtcp:40001"), 1);
	free(out);
	p->flags = SDP_RW_NO_RTCP_ATTR;
	out = rewrite_ok(sdp, p, NULL);
	assert_int_equal(count_prefix(out, "a=rtcp"), 0);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* Our offer: RTP/AVP -> RTP/SAVP with a list of keys, pad/lifetime/params; sdp-version. */
static void
test_rewrite_offer_crypto(void **state)
{
	struct sdp *sdp;
	struct sdp_rw_params *p;
	struct sdp_rw_media *m;
	char *out;

	(void)state;
	sdp = parse_str("v=0\r\no=ivr 2000 7 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\nt=0 0\r\n"
	    "m=audio 30000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
	    "a=ptime:20\r\n");
	p = params_for(sdp, "203.0.113.5", SDP_PROTO_RTP_SAVP,
	    SDP_RW_REPLACE_ORIGIN | SDP_RW_SDP_VERSION);
	p->sdp_version = 42;
	m = &p->media[0];
	m->crypto_mode = SDP_RW_CRYPTO_EMIT;
	m->ncrypto = 2;
	m->crypto[0].tag = 1;
	m->crypto[0].key.suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
	m->crypto[0].key.key_salt_len = 30;
	memset(m->crypto[0].key.key_salt, 0, 30);
	m->crypto[1].tag = 2;
	m->crypto[1].key.suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32;
	m->crypto[1].key.key_salt_len = 30;
	memset(m->crypto[1].key.key_salt, 0xff, 30);
	m->crypto[1].params = SDP_CRYPTO_UNENCRYPTED_SRTCP;
	out = rewrite_ok(sdp, p, NULL);
	assert_string_equal(out,
	    "v=0\r\no=ivr 2000 42 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
	    "m=audio 40000 RTP/SAVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
	    "a=sendrecv\r\na=rtcp:40001\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:////////////////////////////////////////"
	    " UNENCRYPTED_SRTCP\r\n");
	free(out);

	/* pad + lifetime: a 46-byte AES-256 key gets its '=' padding and |2^31. */
	m->ncrypto = 1;
	m->crypto[0].key.suite = CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80;
	m->crypto[0].key.key_salt_len = 46;
	memset(m->crypto[0].key.key_salt, 0, 46);
	p->flags = SDP_RW_CRYPTO_PAD | SDP_RW_CRYPTO_LIFETIME;
	out = rewrite_ok(sdp, p, NULL);
	assert_non_null(strstr(out, "\r\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==|2^31\r\n"));
	assert_non_null(strstr(out, "\r\no=ivr 2000 7 IN IP4 10.0.0.20\r\n"));  /* o= untouched */
	free(out);

	/* OSRTP: RTP/AVP kept, with a crypto line (RFC 8643). */
	p->media[0].proto = SDP_PROTO_KEEP;
	p->flags = 0;
	out = rewrite_ok(sdp, p, NULL);
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 8 101\r\n"));
	assert_int_equal(count_prefix(out, "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:"), 1);
	free(out);
	free(p);
	sdp_free(sdp);
}

/* A disabled (port 0) media is copied untouched: no port, crypto or rtcp added. */
static void
test_rewrite_port_zero(void **state)
{
	struct sdp *sdp = parse_file("port_zero_video.sdp");
	struct sdp_rw_params *p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, SDP_RW_REPLACE_ORIGIN);
	char *out;
	const char *v;

	(void)state;
	/* The control code leaves port 0 media without address and port. */
	memset(&p->media[1], 0, sizeof(p->media[1]));
	out = rewrite_ok(sdp, p, NULL);
	v = strstr(out, "m=video 0 RTP/SAVP 96\r\n");
	assert_non_null(v);
	assert_string_equal(v, "m=video 0 RTP/SAVP 96\r\nc=IN IP4 10.0.0.5\r\na=rtpmap:96 H264/90000\r\n");
	assert_int_equal(count_prefix(out, "a=rtcp:"), 1);
	assert_null(strstr(out, "198.51.100"));
	free(out);
	free(p);
	sdp_free(sdp);
}

/* Bad parameters and oversize results are clear errors, never output. */
static void
test_rewrite_errors(void **state)
{
	struct sdp *sdp;
	struct sdp_rw_params *p;
	char *out = NULL, *big;
	size_t len = 0, n;
	const char *why;

	(void)state;
	sdp = parse_file("avaya_offer.sdp");
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);

	p->nmedia = 2;
	why = NULL;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	assert_non_null(why);
	assert_null(out);
	p->nmedia = 1;

	memset(&p->media[0].addr, 0, sizeof(p->media[0].addr));
	why = NULL;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	assert_non_null(why);
	set_addr(&p->media[0].addr, "10.0.0.5");

	p->media[0].port = 0;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	p->media[0].port = 65535;
	why = NULL;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	assert_string_equal(why, "no room for the RTCP port");
	p->media[0].port = 40000;

	p->media[0].proto = (enum sdp_proto)99;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	p->media[0].proto = SDP_PROTO_RTP_SAVP;

	p->media[0].crypto_mode = SDP_RW_CRYPTO_EMIT;
	p->media[0].ncrypto = 0;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	p->media[0].ncrypto = SDP_RW_MAX_CRYPTO + 1;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	p->media[0].ncrypto = 1;
	p->media[0].crypto[0].tag = 1;
	p->media[0].crypto[0].key.suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
	p->media[0].crypto[0].key.key_salt_len = 12;   /* wrong for the suite */
	why = NULL;
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EINVAL);
	assert_non_null(why);
	assert_null(out);
	free(p);
	sdp_free(sdp);

	/* Input just under 64 KiB with LF endings: CRLF pushes the output over. */
	big = malloc(SDP_MAX_SIZE);
	assert_non_null(big);
	n = (size_t)snprintf(big, SDP_MAX_SIZE, "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n"
	    "m=audio 4000 RTP/AVP 0\n");
	while (n + 65 < SDP_MAX_SIZE) {
		memcpy(big + n, "i=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 65);
		n += 65;
	}
	why = NULL;
	sdp = NULL;
	assert_int_equal(sdp_parse(&sdp, big, n, &why), 0);
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EMSGSIZE);
	assert_string_equal(why, "rewritten SDP too large");
	assert_null(out);
	free(p);
	sdp_free(sdp);

	/* As many lines as the parser takes: our c= and a= additions push it over. */
	n = (size_t)snprintf(big, SDP_MAX_SIZE, "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n");
	for (int i = 0; i < SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, "m=audio %d RTP/AVP 0 8 9\n", 2000 + 2 * i);
	for (size_t lines = count_newlines(big, n); n + 3 < SDP_MAX_SIZE && lines < SDP_MAX_LINES;
	    lines++) {
		memcpy(big + n, "k=\n", 3);
		n += 3;
	}
	assert_int_equal(count_newlines(big, n), SDP_MAX_LINES);
	assert_int_equal(sdp_parse(&sdp, big, n, &why), 0);
	p = params_for(sdp, "10.0.0.5", SDP_PROTO_RTP_AVP, 0);
	assert_int_equal(sdp_rewrite(sdp, p, &out, &len, &why), EMSGSIZE);
	assert_string_equal(why, "rewritten SDP has too many lines");
	assert_null(out);
	free(p);
	sdp_free(sdp);
	free(big);
}

static void
expect_bad(const char *buf, size_t len, const char *reason)
{
	struct sdp *sdp = NULL;
	const char *why = NULL;

	assert_int_equal(sdp_parse(&sdp, buf, len, &why), EBADMSG);
	assert_null(sdp);
	assert_non_null(why);
	if (reason != NULL && strcmp(why, reason) != 0)
		fail_msg("expected \"%s\", got \"%s\"", reason, why);
}

#define HDR "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"

/* Garbage of every kind: EBADMSG with a reason, nothing allocated left behind (ASan). */
static void
test_garbage(void **state)
{
	static const unsigned char bin[] = { 0x76, 0x3d, 0x30, 0x0d, 0x0a, 0x00, 0xff, 0x80, 0x01 };
	char *big;
	size_t n;

	(void)state;
	expect_bad("", 0, "empty SDP");
	expect_bad((const char *)bin, sizeof(bin), "control character in SDP");
	expect_bad("\x89PNG\r\n\x1a\n", 8, NULL);
	expect_bad("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", 31, "SDP does not start with v=");
	expect_bad("v=1\r\n", 5, "unsupported SDP version");
	expect_bad("hello world\r\n", 13, "malformed SDP line");
	expect_bad("v=0\r\nX=1\r\n", 10, "malformed SDP line");
	expect_bad(HDR "m=audio\r\n", strlen(HDR "m=audio\r\n"), "m= line without port");
	expect_bad(HDR "m=\r\n", strlen(HDR "m=\r\n"), "m= line without media type");
	expect_bad(HDR "m=audio 70000 RTP/AVP 0\r\n", strlen(HDR "m=audio 70000 RTP/AVP 0\r\n"),
	    "m= line with a bad port");
	expect_bad(HDR "m=audio -1 RTP/AVP 0\r\n", strlen(HDR "m=audio -1 RTP/AVP 0\r\n"),
	    "m= line with a bad port");
	expect_bad(HDR "m=audio 4000/0 RTP/AVP 0\r\n", strlen(HDR "m=audio 4000/0 RTP/AVP 0\r\n"),
	    "m= line with a bad port count");
	expect_bad(HDR "m=audio 4000\r\n", strlen(HDR "m=audio 4000\r\n"), "m= line without protocol");
	expect_bad(HDR "c=IN IP4\r\n", strlen(HDR "c=IN IP4\r\n"), "malformed c= line");
	expect_bad(HDR "o=- 1 1 IN IP4 192.0.2.1\r\n", strlen(HDR "o=- 1 1 IN IP4 192.0.2.1\r\n"),
	    "more than one o= line");
	expect_bad("v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n", strlen("v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n"),
	    "o= line with a bad session version");
	expect_bad("v=0\r\no=- 1\r\n", strlen("v=0\r\no=- 1\r\n"), "malformed o= line");
	expect_bad(HDR "m=audio 4000 RTP/AVP 0\r\no=- 1 1 IN IP4 192.0.2.1\r\n",
	    strlen(HDR "m=audio 4000 RTP/AVP 0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"),
	    "o= line inside a media section");
	expect_bad("v=0\r\nv=0\r\n", 10, "v= line not first");

	big = malloc(SDP_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, 'a', SDP_MAX_SIZE + 1);
	memcpy(big, "v=0\r\ni=", 7);
	expect_bad(big, SDP_MAX_SIZE + 1, "SDP too large");

	/* 1000 m= lines, then 17. */
	n = (size_t)snprintf(big, SDP_MAX_SIZE, HDR);
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, "m=audio %d RTP/AVP 0\r\n", 2000 + 2 * i);
	expect_bad(big, n, "too many media lines");
	n = (size_t)snprintf(big, SDP_MAX_SIZE, HDR);
	for (int i = 0; i < SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, "m=audio %d RTP/AVP 0\r\n", 2000 + 2 * i);
	{
		struct sdp *sdp = NULL;
		const char *why = NULL;

		assert_int_equal(sdp_parse(&sdp, big, n, &why), 0);   /* 16 is the limit, allowed */
		assert_int_equal(sdp->nmedia, SDP_MAX_MEDIA);
		sdp_free(sdp);
	}
	n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, "m=audio 9 RTP/AVP 0\r\n");
	expect_bad(big, n, "too many media lines");

	/* 257 attributes in one media. */
	n = (size_t)snprintf(big, SDP_MAX_SIZE, HDR "m=audio 4000 RTP/AVP 0\r\n");
	for (int i = 0; i <= SDP_MAX_ATTRS; i++)
		n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, "a=x-%d\r\n", i);
	expect_bad(big, n, "too many attributes");

	/* 65 formats on one m= line. */
	n = (size_t)snprintf(big, SDP_MAX_SIZE, HDR "m=audio 4000 RTP/AVP");
	for (int i = 0; i <= SDP_MAX_FORMATS; i++)
		n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, " %d", 96 + i);
	n += (size_t)snprintf(big + n, SDP_MAX_SIZE - n, "\r\n");
	expect_bad(big, n, "too many formats on m= line");

	/* 20000 one-letter lines. */
	n = (size_t)snprintf(big, SDP_MAX_SIZE, HDR);
	while (n + 4 < SDP_MAX_SIZE) {
		memcpy(big + n, "k=\r\n", 4);
		n += 4;
	}
	expect_bad(big, n, NULL);
	free(big);
}

/* Tolerated shapes: LF, missing final newline, blank lines, unknown line types. */
static void
test_tolerant(void **state)
{
	struct sdp *sdp;

	(void)state;
	sdp = parse_str("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n\nt=0 0\nm=audio 4000/2 RTP/AVP 0 8\n"
	    "y=vendor\na=rtcp:4001 IN IP4 192.0.2.1\na=sendonly");
	assert_int_equal(sdp->nmedia, 1);
	assert_int_equal(sdp->media[0].port_count, 2);
	assert_int_equal(sdp->media[0].nfmt, 2);
	assert_int_equal(sdp->media[0].dir, SDP_DIR_SENDONLY);
	assert_true(sdp->media[0].has_rtcp);
	assert_int_equal(sdp->media[0].rtcp_port, 4001);
	assert_int_equal(sdp->nlines, 8);
	sdp_free(sdp);

	assert_int_equal(sdp_proto_from_name("RTP/SAVPF", 9), SDP_PROTO_RTP_SAVPF);
	assert_int_equal(sdp_proto_from_name("rtp/avp", 7), SDP_PROTO_KEEP);
	assert_string_equal(sdp_proto_name(SDP_PROTO_UDP_TLS_RTP_SAVP), "UDP/TLS/RTP/SAVP");
	assert_null(sdp_proto_name(SDP_PROTO_KEEP));
	assert_true(sdp_proto_is_secure(SDP_PROTO_RTP_SAVP));
	assert_false(sdp_proto_is_secure(SDP_PROTO_RTP_AVPF));
	assert_string_equal(sdp_dir_name(SDP_DIR_INACTIVE), "inactive");
	assert_string_equal(sdp_dir_name(SDP_DIR_NONE), "");
}

int
main(void)
{
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_sweep),
		cmocka_unit_test(test_ng_example_offer),
		cmocka_unit_test(test_ng_example_answer),
		cmocka_unit_test(test_answer_crypto),
		cmocka_unit_test(test_corpus_model),
		cmocka_unit_test(test_rewrite_cisco),
		cmocka_unit_test(test_rewrite_static_rtpmap),
		cmocka_unit_test(test_rewrite_hold),
		cmocka_unit_test(test_rewrite_conn_and_ipv6),
		cmocka_unit_test(test_rewrite_ice_dtls_mux),
		cmocka_unit_test(test_rewrite_offer_crypto),
		cmocka_unit_test(test_rewrite_port_zero),
		cmocka_unit_test(test_rewrite_errors),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_tolerant),
	};

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	corpus_free();
	return rc;
}
