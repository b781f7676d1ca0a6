/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: frame, parse and validate any bytes; build every derived message from valid ones. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "sip.h"
#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[160 * 1024];
static char out2[160 * 1024];

static const struct sip_hop hops[2] = {
	{ TP_UDP, "192.0.2.10", 5060 },
	{ TP_TLS, "198.51.100.1", 5061 },
};

static struct route_table *
routes(void)
{
	static struct route_table *t;
	static const char *const tg[] = { "sip:10.0.0.5:5080", "sip:10.0.0.6;transport=tcp" };
	static const struct route_rule_spec specs[] = {
		{ .name = "ivr", .match = "^80110(\\d\\d)$", .rewrite = "ivr-$1", .targets = tg,
		  .ntargets = 2 },
		{ .name = "all", .match = "^(.*)(.)$", .rewrite = "$2$1$0", .targets = tg,
		  .ntargets = 1 },
	};
	char why[128];
	size_t i;

	if (t == NULL) {
		if (route_table_new(&t) != 0)
			abort();
		for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
			if (route_table_add(t, &specs[i], why, sizeof(why)) != 0)
				abort();
	}
	return t;
}

/* A message we built from a valid one must parse and validate again. */
static void
reparse(const char *buf, size_t len)
{
	struct sip_msg *m = NULL;
	struct sip_error e;

	if (sip_msg_parse(&m, buf, len, TP_UDP, NULL, &e) != 0) {
		fprintf(stderr, "built message does not parse: %s\n%.*s\n", e.reason, (int)len, buf);
		abort();
	}
	if (sip_msg_validate(m, &e) != 0) {
		fprintf(stderr, "built message invalid: %s\n%.*s\n", e.reason, (int)len, buf);
		abort();
	}
	sip_msg_free(m);
}

static void
exercise_request(const struct sip_msg *m)
{
	const struct route_rule *r = NULL;
	struct sip_fwd f;
	char user[ROUTE_USER_MAX];
	const char *u;
	size_t len, ulen;
	int rc;

	if (sip_build_response(out, sizeof(out), &len, m, 100, NULL, "tt", NULL) == 0)
		reparse(out, len);
	if (sip_build_response(out, sizeof(out), &len, m, 503, NULL, "tt", "Retry-After: 5\r\n") == 0)
		reparse(out, len);
	u = sip_msg_ruri_user(m, &ulen);
	memset(&f, 0, sizeof(f));
	if (u != NULL && route_match(routes(), u, ulen, NULL, &r, user, sizeof(user)) == 0) {
		f.ruri_user = user;
		f.ruri_host = r->targets[0].host;
		f.ruri_port = r->targets[0].port;
	}
	f.via = &hops[0];
	f.branch = "z9hG4bKfuzz";
	f.rr_in = &hops[1];
	f.rr_out = &hops[0];
	f.self = hops;
	f.nself = 2;
	f.received = "203.0.113.9";
	f.rport = 4000;
	rc = sip_build_request(out, sizeof(out), &len, m, &f);
	if (rc != 0 && rc != EINVAL && rc != ELOOP && rc != ENOSPC)
		abort();
	if (rc == 0) {
		struct sip_msg *sent = NULL;

		reparse(out, len);
		if (sip_msg_parse(&sent, out, len, TP_UDP, NULL, NULL) == 0) {
			if (sip_build_cancel(out2, sizeof(out2), &len, sent) == 0)
				reparse(out2, len);
			sip_msg_free(sent);
		}
	}
	f.body = "v=0\r\n";
	f.body_len = 5;
	f.content_type = "application/sdp";
	f.ruri_user = NULL;
	f.ruri_host = NULL;
	if (sip_build_request(out, sizeof(out), &len, m, &f) == 0)
		reparse(out, len);
}

/*
 * The body as the proxy sees it: the SDP it finds lies inside the body, and the body
 * rebuilt around another SDP keeps every other byte. RFC 2543 identifiers exist for
 * every message with a From, and are stable.
 */
static void
exercise_body(const struct sip_msg *m)
{
	static const char sdp[] = "v=0\r\nm=audio 9 RTP/AVP 0\r\n";
	struct sip_body b;
	const char *ctype, *t1, *t2;
	char *o = NULL;
	size_t olen;

	if (sip_body_parse(m, &b) != 0)
		abort();
	if (b.sdp != NULL && (b.sdp < b.body || b.sdp + b.sdp_len > b.body + b.len))
		abort();
	if ((b.kind == SIP_BODY_SDP || b.kind == SIP_BODY_MULTIPART) != (b.sdp != NULL))
		abort();
	if (b.kind == SIP_BODY_MULTIPART) {
		if (sip_body_with_sdp(&b, sdp, sizeof(sdp) - 1, &o, &olen, &ctype) != 0)
			return;
		if (olen != b.head_len + sizeof(sdp) - 1 + (b.len - b.tail_off) ||
		    memcmp(o, b.body, b.head_len) != 0 ||
		    memcmp(o + b.head_len + sizeof(sdp) - 1, b.body + b.tail_off,
		    b.len - b.tail_off) != 0 || ctype != b.ctype)
			abort();
		free(o);
	}
	t1 = sip_msg_dialog_from_tag(m);
	t2 = sip_msg_dialog_from_tag(m);
	if (t1 != t2)
		abort();
	(void)sip_msg_dialog_to_tag(m);
	(void)sip_msg_txn_key(m);
	(void)sip_msg_is_legacy(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sip_msg *m = NULL;
	struct sip_error e;
	size_t skip, msglen, len;

	/*
	 * Stream framing on the same bytes: what it frames stays inside the buffer and,
	 * being complete with a single Content-Length, parses as a stream message.
	 */
	if (tp_frame(buf, size, &skip, &msglen) == 0) {
		if (skip + msglen > size)
			abort();
		if (msglen > 0) {
			if (sip_msg_parse(&m, buf + skip, msglen, TP_TLS, NULL, &e) == 0) {
				sip_msg_validate(m, &e);
				sip_msg_free(m);
				m = NULL;
			}
		}
	}
	if (sip_msg_parse(&m, buf, size, size > 0 && (data[0] & 1) ? TP_TCP :
	    TP_UDP, NULL, &e) != 0)
		return 0;
	if (sip_msg_validate(m, &e) == 0) {
		exercise_body(m);
		if (sip_msg_is_request(m)) {
			exercise_request(m);
		} else if (sip_build_response_fwd(out, sizeof(out), &len, m, "v=0\r\n", 5,
		    "application/sdp") == 0) {
			reparse(out, len);
		}
	} else if (sip_msg_is_request(m) && e.status != 0) {
		/*
		 * Invalid requests are still answered. The answer copies the bad headers
		 * (RFC 3261 §8.2.6.2), so it need not validate, but it must frame and
		 * parse as a response with that status.
		 */
		if (sip_build_response(out, sizeof(out), &len, m, e.status, e.reason, "tt",
		    NULL) == 0) {
			struct sip_msg *r = NULL;

			if (sip_msg_parse(&r, out, len, TP_UDP, NULL, NULL) != 0 ||
			    sip_msg_status(r) != e.status) {
				fprintf(stderr, "answer does not parse:\n%.*s\n", (int)len, out);
				abort();
			}
			sip_msg_free(r);
		}
	}
	sip_msg_free(m);
	return 0;
}
