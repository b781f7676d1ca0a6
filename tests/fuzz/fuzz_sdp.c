/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes SDP parsing, rewriting (whose output must parse again) and a=crypto parse/format round trips. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_sdp: check failed: %s (line %d)\n", #cond, __LINE__); \
		abort(); \
	} \
} while (0)

static const enum sdp_proto protos[] = {
	SDP_PROTO_RTP_AVP, SDP_PROTO_RTP_SAVP, SDP_PROTO_KEEP, SDP_PROTO_RTP_SAVPF,
};

/* A parsed line must format and parse back to the same key (lifetime, MKI), tag and params. */
static void
crypto_roundtrip(const struct sdp_crypto *c)
{
	char line[SDP_CRYPTO_LINE_MAX];
	struct sdp_crypto back;
	const char *why = NULL;
	size_t n = 0;

	CHECK(sdp_crypto_format(line, sizeof(line), c->tag, &c->key, c->params, &n) == 0);
	CHECK(n == strlen(line));
	CHECK(sdp_crypto_parse(&back, line, n, &why) == 0);
	CHECK(back.tag == c->tag);
	CHECK(back.key.suite == c->key.suite);
	CHECK(back.key.key_salt_len == c->key.key_salt_len);
	CHECK(memcmp(back.key.key_salt, c->key.key_salt, c->key.key_salt_len) == 0);
	CHECK(back.params == c->params);
	/* lifetime and MKI go with the key into the SRTP context: they survive too */
	CHECK(back.key.lifetime == c->key.lifetime);
	CHECK(back.key.mki_len == c->key.mki_len);
	CHECK(c->key.mki_len == 0 || back.key.mki == c->key.mki);
	CHECK(back.has_mki == c->has_mki && back.has_lifetime == (c->key.lifetime != 0));
}

/* Every line of the input, taken as an a=crypto value. */
static void
fuzz_crypto_lines(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		struct sdp_crypto c;
		const char *why = NULL;
		int err;

		err = sdp_crypto_parse(&c, p, len, &why);
		if (err == 0)
			crypto_roundtrip(&c);
		else
			CHECK(why != NULL);
		p = nl ? nl + 1 : end;
	}
}

/* Fixed parameters, varied by a hash of the input (every SDP starts "v=0") so all branches get reached. */
static void
fill_params(struct sdp_rw_params *p, const struct sdp *sdp, uint8_t sel)
{
	static const unsigned flag_sets[] = {
		SDP_RW_REPLACE_ORIGIN | SDP_RW_ICE_REMOVE | SDP_RW_DTLS_REMOVE,
		SDP_RW_REPLACE_ORIGIN | SDP_RW_SDP_VERSION | SDP_RW_FULL_RTCP_ATTR,
		SDP_RW_NO_RTCP_ATTR | SDP_RW_ORIGINAL_SENDRECV | SDP_RW_REPLACE_ZERO_ADDR,
		SDP_RW_CRYPTO_PAD | SDP_RW_CRYPTO_LIFETIME | SDP_RW_ICE_REMOVE,
	};
	const char *ip = (sel & 0x10) ? "2001:db8::5" : "10.0.0.5";

	memset(p, 0, sizeof(*p));
	p->flags = flag_sets[sel & 3];
	p->sdp_version = 42;
	p->nmedia = sdp->nmedia;
	for (size_t i = 0; i < sdp->nmedia; i++) {
		struct sdp_rw_media *m = &p->media[i];
		const struct sdp_media *sm = &sdp->media[i];

		CHECK(sa_parse_ip(&m->addr, ip, strlen(ip), 0) == 0);
		m->port = (uint16_t)(40000 + 2 * i);
		m->proto = protos[(sel >> 2) & 3];
		m->rtcp_mux = (sel & 0x20) != 0;
		m->rtcp_mux_add = (sel & 0x40) != 0;
		if (!sdp_proto_is_secure(m->proto == SDP_PROTO_KEEP ? sm->proto : m->proto))
			continue;
		/* Answer shape: one line with the first offered tag, our own key. */
		m->crypto_mode = SDP_RW_CRYPTO_EMIT;
		m->ncrypto = 1;
		m->crypto[0].tag = sm->ncrypto ? sm->crypto[0].tag : 1;
		m->crypto[0].key.suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
		m->crypto[0].key.key_salt_len = 30;
		memset(m->crypto[0].key.key_salt, 0xa5, 30);
		m->crypto[0].params = sm->ncrypto ? sm->crypto[0].params : 0;
	}
}

/* A c= line of the output is ours, or a hold address (0.0.0.0 / ::) kept from the input. */
static bool
conn_ok(const struct sdp_line *l, const char *ip)
{
	const char *p = l->value.p, *end = p + l->value.len, *a;
	size_t n;

	if (l->value.len > 7 && memcmp(p, "IN IP", 5) == 0 && strlen(ip) == l->value.len - 7 &&
	    memcmp(p + 7, ip, l->value.len - 7) == 0)
		return true;
	for (int words = 0; words < 2; words++) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	a = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '/')
		p++;
	n = (size_t)(p - a);
	return (n == 7 && memcmp(a, "0.0.0.0", 7) == 0) || (n == 2 && memcmp(a, "::", 2) == 0);
}

static uint8_t
input_hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return (uint8_t)(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_rw_params params;
	struct sdp *sdp = NULL, *again = NULL;
	const char *why = NULL;
	char *out = NULL;
	size_t len = 0;
	uint8_t sel;
	int err;

	fuzz_crypto_lines(data, size);

	err = sdp_parse(&sdp, (const char *)data, size, &why);
	if (err) {
		CHECK(err == EBADMSG || err == ENOMEM);
		CHECK(why != NULL);
		return 0;
	}
	for (size_t i = 0; i < sdp->nmedia; i++) {
		const struct sdp_media *m = &sdp->media[i];

		CHECK(m->line < m->end && m->end <= sdp->nlines);
		CHECK(m->ncrypto + m->nskipped <= m->ncrypto_lines);
		for (size_t k = 0; k < m->ncrypto; k++)
			crypto_roundtrip(&m->crypto[k]);
	}

	sel = input_hash(data, size);
	fill_params(&params, sdp, sel);
	why = NULL;
	err = sdp_rewrite(sdp, &params, &out, &len, &why);
	if (err) {
		/* Only size limits may stop a rewrite with valid parameters. */
		CHECK(err == EMSGSIZE || err == ENOMEM);
		CHECK(why != NULL);
		goto out;
	}
	CHECK(out != NULL && strlen(out) == len);
	for (size_t i = 0; i < len; i++)
		CHECK(out[i] != '\n' || (i > 0 && out[i - 1] == '\r'));
	why = NULL;
	err = sdp_parse(&again, out, len, &why);
	if (err)
		fprintf(stderr, "fuzz_sdp: rewritten SDP does not parse: %s\n%s\n", why, out);
	CHECK(err == 0);
	CHECK(again->nmedia == sdp->nmedia);
	for (size_t i = 0; i < again->nlines; i++) {
		const struct sdp_line *l = &again->lines[i];

		if (l->type == 'c' && !conn_ok(l, (sel & 0x10) ? "2001:db8::5" : "10.0.0.5")) {
			fprintf(stderr, "fuzz_sdp: foreign c= line: %.*s\n", (int)l->text.len, l->text.p);
			abort();
		}
		CHECK(l->attr != SDP_ATTR_ICE || !(params.flags & SDP_RW_ICE_REMOVE));
	}
	for (size_t i = 0; i < sdp->nmedia; i++) {
		CHECK(again->media[i].nfmt == sdp->media[i].nfmt);
		CHECK(again->media[i].port == (sdp->media[i].port ? params.media[i].port : 0));
		/* Only our crypto lines are left. */
		CHECK(again->media[i].ncrypto_lines ==
		    (sdp->media[i].port && params.media[i].crypto_mode == SDP_RW_CRYPTO_EMIT ?
		    params.media[i].ncrypto : 0));
	}
 out:
	sdp_free(again);
	sdp_free(sdp);
	free(out);
	return 0;
}
