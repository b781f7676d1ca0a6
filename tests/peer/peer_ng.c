/* SPDX-License-Identifier: BSD-2-Clause */
/* sbc-test-peer's ng client: offer/answer/query/delete for both parties, and their SDP. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bencode.h"
#include "ng.h"
#include "peer.h"
#include "rand.h"
#include "sdp.h"

#define NG_TRIES	4
#define NG_WAIT_MS	1500
#define SDP_MAX		2048

int
peer_ng_open(struct peer *p)
{
	char host[64];
	const char *colon = strrchr(p->o.ng, ':');
	size_t hl;
	int fd;

	if (colon == NULL || (hl = (size_t)(colon - p->o.ng)) >= sizeof(host))
		return EINVAL;
	memcpy(host, p->o.ng, hl);
	host[hl] = '\0';
	memset(&p->ng_addr, 0, sizeof(p->ng_addr));
	p->ng_addr.sin_family = AF_INET;
	p->ng_addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &p->ng_addr.sin_addr) != 1 || p->ng_addr.sin_port == 0)
		return EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&p->ng_addr, sizeof(p->ng_addr)) != 0) {
		int err = errno;

		close(fd);
		return err;
	}
	p->ng_fd = fd;
	return 0;
}

void
peer_ng_close(struct peer *p)
{
	if (p->ng_fd >= 0)
		close(p->ng_fd);
	p->ng_fd = -1;
}

/*
 * Sends one request and waits for the reply with the same cookie,
 * retransmitting with that cookie (the relay must answer from its cache).
 * On success *replyp is the reply dictionary in arena a; the reply datagram
 * lives in rbuf, which the caller keeps for as long as it reads the tree.
 */
static int
ng_request(struct peer *p, struct bencode_arena *a, const struct bencode_item *req,
    char *rbuf, size_t rcap, struct bencode_item **replyp)
{
	char cookie[32], *sbuf;
	size_t slen, clen;
	struct ng_msg m;
	struct bencode_error berr;
	int try, err = ETIMEDOUT;

	sbuf = malloc(NG_MAX_DATAGRAM);
	if (sbuf == NULL)
		return ENOMEM;
	clen = (size_t)snprintf(cookie, sizeof(cookie), "%d_%u", (int)getpid(), ++p->cookie_n);
	err = ng_encode(cookie, clen, req, sbuf, NG_MAX_DATAGRAM, &slen);
	if (err)
		goto out;
	err = ETIMEDOUT;
	for (try = 0; try < NG_TRIES; try++) {
		struct pollfd pfd = { .fd = p->ng_fd, .events = POLLIN };
		uint64_t end = peer_now_ns() + (uint64_t)NG_WAIT_MS * 1000000u;

		if (send(p->ng_fd, sbuf, slen, 0) < 0) {
			err = errno;
			goto out;
		}
		for (;;) {
			uint64_t now = peer_now_ns();
			ssize_t n;

			if (now >= end)
				break;
			if (poll(&pfd, 1, (int)((end - now) / 1000000u) + 1) <= 0)
				continue;
			n = recv(p->ng_fd, rbuf, rcap - 1, 0);
			if (n <= 0)
				continue;
			/* A late reply to an earlier request: not ours, keep waiting. */
			if ((size_t)n <= clen || memcmp(rbuf, cookie, clen) != 0 || rbuf[clen] != ' ')
				continue;
			err = ng_reply_parse(a, rbuf, (size_t)n, &m, &berr);
			if (err)
				goto out;
			*replyp = m.dict;
			err = 0;
			goto out;
		}
	}
 out:
	free(sbuf);
	return err;
}

static bool
reply_ok(const struct bencode_item *r, const char *what, struct peer *p)
{
	struct bencode_item *res = bencode_dict_get(r, "result");
	struct bencode_item *why = bencode_dict_get(r, "error-reason");

	if (bencode_str_eq(res, "ok") || bencode_str_eq(res, "pong"))
		return true;
	peer_fail(p, "%s: result %.*s (%.*s)", what, res ? (int)res->len : 0,
	    res ? res->str : "", why ? (int)why->len : 0, why ? why->str : "");
	return false;
}

int
peer_ng_ping(struct peer *p)
{
	struct bencode_arena a;
	struct bencode_item *req, *rep;
	char *rbuf = malloc(NG_MAX_DATAGRAM);
	int err = ENOMEM;

	bencode_arena_init(&a);
	if (rbuf == NULL)
		goto out;
	req = bencode_dict(&a);
	if (req == NULL || bencode_dict_add_cstr(&a, req, "command", "ping"))
		goto out;
	err = ng_request(p, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	if (err == 0 && !bencode_str_eq(bencode_dict_get(rep, "result"), "pong"))
		err = EPROTO;
 out:
	bencode_arena_free(&a);
	free(rbuf);
	return err;
}

/* The SDP one party sends: PCMU + telephone-event, optionally SDES (with RTP/AVP: OSRTP). */
static int
sdp_build(char *buf, size_t size, bool mux, const char *name, unsigned version,
    const struct sockaddr_in *local, bool srtp, bool osrtp, uint32_t tag,
    const struct crypto_key *key, unsigned params, const char *dir)
{
	char ip[INET_ADDRSTRLEN], crypto[SDP_CRYPTO_LINE_MAX] = "";
	int n;

	inet_ntop(AF_INET, &local->sin_addr, ip, sizeof(ip));
	if (srtp) {
		size_t cl;
		int err = sdp_crypto_format(crypto, sizeof(crypto) - 2, tag, key, params,
		    &cl);

		if (err)
			return err;
		memcpy(crypto + cl, "\r\n", 3);
	}
	n = snprintf(buf, size,
	    "v=0\r\no=%s 4711 %u IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
	    "m=audio %u %s 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n%s%sa=%s\r\n",
	    name, version, ip, ip, ntohs(local->sin_port), srtp && !osrtp ? "RTP/SAVP" : "RTP/AVP",
	    crypto, mux ? "a=rtcp-mux\r\n" : "", dir);
	return n > 0 && (size_t)n < size ? 0 : ENOSPC;
}

/* What a party learns from the SDP the relay sent it. */
struct sdp_seen {
	struct sockaddr_in media;	/* c= and m= port */
	bool savp;
	unsigned ncrypto;
	struct sdp_crypto crypto[16];
	char dir[16];
};

static void
copy_trunc(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
sdp_scan(const char *sdp, size_t len, struct sdp_seen *out)
{
	const char *p = sdp, *end = sdp + len;
	char sess_ip[64] = "", media_ip[64] = "";
	unsigned port = 0;
	bool in_media = false;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((eol ? eol : end) - p);
		char line[512];

		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll >= sizeof(line))
			ll = sizeof(line) - 1;
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = eol ? eol + 1 : end;
		if (strncmp(line, "m=", 2) == 0) {
			char proto[32];

			in_media = true;
			if (sscanf(line, "m=audio %u %31s", &port, proto) != 2)
				return EBADMSG;
			out->savp = strcmp(proto, "RTP/SAVP") == 0;
		} else if (strncmp(line, "c=IN IP4 ", 9) == 0) {
			copy_trunc(in_media ? media_ip : sess_ip, sizeof(media_ip), line + 9);
		} else if (strncmp(line, "a=crypto:", 9) == 0 && in_media) {
			const char *reason;

			if (out->ncrypto < 16 && sdp_crypto_parse(&out->crypto[out->ncrypto],
			    line + 9, ll - 9, &reason) == 0)
				out->ncrypto++;
		} else if (in_media && (strcmp(line, "a=sendrecv") == 0 ||
		    strcmp(line, "a=sendonly") == 0 || strcmp(line, "a=recvonly") == 0 ||
		    strcmp(line, "a=inactive") == 0)) {
			copy_trunc(out->dir, sizeof(out->dir), line + 2);
		}
	}
	out->media.sin_family = AF_INET;
	out->media.sin_port = htons((uint16_t)port);
	if (port == 0 || port > 65535 || inet_pton(AF_INET, media_ip[0] ? media_ip : sess_ip,
	    &out->media.sin_addr) != 1)
		return EBADMSG;
	return 0;
}

/* Builds the common part of an offer/answer request. */
static struct bencode_item *
req_base(struct bencode_arena *a, struct peer_call *c, const char *cmd, bool to_tag,
    const char *sdp)
{
	struct bencode_item *d = bencode_dict(a), *rep = bencode_list(a);

	if (d == NULL || rep == NULL ||
	    bencode_dict_add_cstr(a, d, "command", cmd) ||
	    bencode_dict_add_cstr(a, d, "call-id", c->call_id) ||
	    bencode_dict_add_cstr(a, d, "from-tag", "caller") ||
	    (to_tag && bencode_dict_add_cstr(a, d, "to-tag", "callee")) ||
	    bencode_dict_add_cstr(a, d, "sdp", sdp) ||
	    bencode_dict_add_cstr(a, d, "ICE", "remove") ||
	    bencode_list_add(rep, bencode_cstr(a, "origin")) ||
	    bencode_list_add(rep, bencode_cstr(a, "session-connection")) ||
	    bencode_dict_add(a, d, "replace", rep))
		return NULL;
	return d;
}

static int
reply_sdp(struct peer *p, struct bencode_item *rep, const char *what, struct sdp_seen *seen)
{
	struct bencode_item *sdp;

	if (!reply_ok(rep, what, p))
		return EPROTO;
	sdp = bencode_dict_get(rep, "sdp");
	if (sdp == NULL || sdp->type != BENCODE_STRING || sdp_scan(sdp->str, sdp->len, seen)) {
		peer_fail(p, "%s: reply without a usable SDP", what);
		return EPROTO;
	}
	return 0;
}

static int
ctx_new(struct srtp_ctx **ctxp, const struct crypto_key *key, enum srtp_ctx_dir dir,
    unsigned params)
{
	struct srtp_ctx_opts opts = { 0 };

	if (params & SDP_CRYPTO_UNENCRYPTED_SRTP)
		opts.flags |= SRTP_CTX_UNENCRYPTED_SRTP;
	if (params & SDP_CRYPTO_UNENCRYPTED_SRTCP)
		opts.flags |= SRTP_CTX_UNENCRYPTED_SRTCP;
	if (params & SDP_CRYPTO_UNAUTHENTICATED_SRTP)
		opts.flags |= SRTP_CTX_UNAUTHENTICATED_SRTP;
	return srtp_ctx_create(ctxp, key->suite, key, dir, &opts);
}

static int
ctx_replace(struct srtp_ctx **ctxp, const struct crypto_key *key, enum srtp_ctx_dir dir,
    unsigned params)
{
	struct srtp_ctx *n;
	int err = ctx_new(&n, key, dir, params);

	if (err)
		return err;
	srtp_ctx_destroy(*ctxp);
	*ctxp = n;
	return 0;
}

int
peer_call_signal(struct peer *p, struct peer_call *c, const char *caller_dir,
    const char *callee_dir, bool new_key)
{
	struct bencode_arena a;
	struct bencode_item *req, *rep, *l;
	struct sdp_seen seen;
	struct crypto_key key_s = c->key_s, key_m;
	const struct crypto_suite_info *si = crypto_suite_info(p->o.suite);
	char *rbuf = malloc(NG_MAX_DATAGRAM), sdp[SDP_MAX];
	bool reoffer = c->version > 0, srtp_caller = !p->o.rtp_caller;
	/* Sabotage: ask for RFC 4568 UNENCRYPTED_SRTP, so the plain-payload check must fire. */
	unsigned params_s = p->o.sabotage != NULL && strcmp(p->o.sabotage, "unencrypted") == 0 ?
	    SDP_CRYPTO_UNENCRYPTED_SRTP : 0, params_m = 0;
	unsigned i;
	int err;

	bencode_arena_init(&a);
	err = ENOMEM;
	if (rbuf == NULL || si == NULL)
		goto out;
	c->version++;
	if (new_key) {
		key_s.suite = p->o.suite;
		key_s.key_salt_len = si->key_len + si->salt_len;
		err = rand_bytes(key_s.key_salt, key_s.key_salt_len);
		if (err)
			goto out;
	}
	/* ---- offer, from the caller ---- */
	if (srtp_caller)
		err = sdp_build(sdp, sizeof(sdp), p->o.rtcp, "srtp", c->version, &c->local_s,
		    true, p->o.osrtp, 1, &key_s, params_s, caller_dir);
	else
		err = sdp_build(sdp, sizeof(sdp), p->o.rtcp, "rtp", c->version, &c->local_r,
		    false, false, 0, NULL, 0, caller_dir);
	if (err)
		goto out;
	err = ENOMEM;
	req = req_base(&a, c, "offer", reoffer, sdp);
	l = bencode_list(&a);
	if (req == NULL || l == NULL ||
	    bencode_dict_add_cstr(&a, req, "transport-protocol",
	    srtp_caller || p->o.osrtp ? "RTP/AVP" : "RTP/SAVP") ||
	    bencode_dict_add_cstr(&a, req, "DTLS", "off") ||
	    (p->o.osrtp && !srtp_caller &&
	    bencode_dict_add_cstr(&a, req, "OSRTP", "offer")) ||
	    bencode_list_add(l, bencode_cstr(&a, srtp_caller ? p->o.if_out : p->o.if_in)) ||
	    bencode_list_add(l, bencode_cstr(&a, srtp_caller ? p->o.if_in : p->o.if_out)) ||
	    bencode_dict_add(&a, req, "direction", l))
		goto out;
	err = ng_request(p, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	if (err) {
		peer_fail(p, "offer %s: no reply (%s)", c->call_id, strerror(err));
		goto out;
	}
	err = reply_sdp(p, rep, "offer", &seen);
	if (err)
		goto out;
	if (srtp_caller) {
		if (seen.savp || seen.ncrypto != 0) {
			peer_fail(p, "offer: SDP towards the RTP party is not plain RTP/AVP");
			err = EPROTO;
			goto out;
		}
		c->relay_r = seen.media;
	} else {
		/* The SRTP callee picks the relay's line with our suite, keeping its tag. */
		for (i = 0; i < seen.ncrypto; i++)
			if (seen.crypto[i].key.suite == p->o.suite)
				break;
		if (seen.savp == p->o.osrtp || i == seen.ncrypto) {
			peer_fail(p, "offer: SDP towards the SRTP party has no %s %s line",
			    p->o.osrtp ? "RTP/AVP (OSRTP)" : "RTP/SAVP", crypto_suite_name(p->o.suite));
			err = EPROTO;
			goto out;
		}
		c->tag = seen.crypto[i].tag;
		key_m = seen.crypto[i].key;
		params_m = seen.crypto[i].params;
		c->relay_s = seen.media;
	}
	bencode_arena_free(&a);

	/* ---- answer, from the callee ---- */
	if (srtp_caller)
		err = sdp_build(sdp, sizeof(sdp), p->o.rtcp, "rtp", c->version, &c->local_r,
		    false, false, 0, NULL, 0, callee_dir);
	else
		err = sdp_build(sdp, sizeof(sdp), p->o.rtcp, "srtp", c->version, &c->local_s,
		    true, p->o.osrtp, c->tag, &key_s, params_s, callee_dir);
	if (err)
		goto out;
	err = ENOMEM;
	req = req_base(&a, c, "answer", true, sdp);
	if (req == NULL)
		goto out;
	err = ng_request(p, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	if (err) {
		peer_fail(p, "answer %s: no reply (%s)", c->call_id, strerror(err));
		goto out;
	}
	err = reply_sdp(p, rep, "answer", &seen);
	if (err)
		goto out;
	if (srtp_caller) {
		/* Exactly one line: our suite under the tag we offered, with the relay's own key. */
		if (seen.savp == p->o.osrtp || seen.ncrypto != 1 || seen.crypto[0].tag != 1 ||
		    seen.crypto[0].key.suite != p->o.suite) {
			peer_fail(p, "answer: SDP towards the SRTP party: savp=%d crypto lines=%u",
			    seen.savp, seen.ncrypto);
			err = EPROTO;
			goto out;
		}
		c->tag = 1;
		key_m = seen.crypto[0].key;
		params_m = seen.crypto[0].params;
		c->relay_s = seen.media;
	} else {
		if (seen.savp || seen.ncrypto != 0) {
			peer_fail(p, "answer: SDP towards the RTP party is not plain RTP/AVP");
			err = EPROTO;
			goto out;
		}
		c->relay_r = seen.media;
	}
	if (key_m.key_salt_len == key_s.key_salt_len &&
	    memcmp(key_m.key_salt, key_s.key_salt, key_s.key_salt_len) == 0) {
		peer_fail(p, "the relay echoed the SRTP party's key instead of its own");
		err = EPROTO;
		goto out;
	}
	/* Contexts: a new own key restarts our sender; a new relay key gets a fresh
	 * inbound context while the old one stays for packets still in flight. */
	if (c->tx == NULL || memcmp(&key_s, &c->key_s, sizeof(key_s)) != 0) {
		err = ctx_replace(&c->tx, &key_s, SRTP_CTX_OUTBOUND, params_s);
		if (err)
			goto out;
		c->key_s = key_s;
	}
	if (c->rx == NULL || memcmp(&key_m, &c->key_m, sizeof(key_m)) != 0) {
		struct srtp_ctx *n;

		err = ctx_new(&n, &key_m, SRTP_CTX_INBOUND, params_m);
		if (err)
			goto out;
		srtp_ctx_destroy(c->rx_old);
		c->rx_old = c->rx;
		c->rx = n;
		c->key_m = key_m;
	}
	c->params_s = params_s;
	c->params_m = params_m;
	err = 0;
 out:
	if (err && err != EPROTO && err != ETIMEDOUT)
		peer_fail(p, "signalling %s: %s", c->call_id, strerror(err));
	bencode_arena_free(&a);
	free(rbuf);
	return err;
}

static int
simple_cmd(struct peer *p, struct peer_call *c, const char *cmd, int64_t *errorsp)
{
	struct bencode_arena a;
	struct bencode_item *req, *rep, *t;
	char *rbuf = malloc(NG_MAX_DATAGRAM);
	int err = ENOMEM;

	bencode_arena_init(&a);
	if (rbuf == NULL)
		goto out;
	req = bencode_dict(&a);
	if (req == NULL || bencode_dict_add_cstr(&a, req, "command", cmd) ||
	    bencode_dict_add_cstr(&a, req, "call-id", c->call_id) ||
	    bencode_dict_add_cstr(&a, req, "from-tag", "caller"))
		goto out;
	err = ng_request(p, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	if (err) {
		peer_fail(p, "%s %s: no reply (%s)", cmd, c->call_id, strerror(err));
		goto out;
	}
	if (!reply_ok(rep, cmd, p)) {
		err = EPROTO;
		goto out;
	}
	if (errorsp != NULL) {
		t = bencode_dict_get(bencode_dict_get(bencode_dict_get(rep, "totals"), "RTP"),
		    "errors");
		if (t == NULL || t->type != BENCODE_INTEGER) {
			peer_fail(p, "%s: no totals.RTP.errors in the reply", cmd);
			err = EPROTO;
			goto out;
		}
		*errorsp = t->num;
	}
 out:
	bencode_arena_free(&a);
	free(rbuf);
	return err;
}

int
peer_call_query_errors(struct peer *p, struct peer_call *c, int64_t *errorsp)
{
	return simple_cmd(p, c, "query", errorsp);
}

int
peer_call_delete(struct peer *p, struct peer_call *c)
{
	return simple_cmd(p, c, "delete", NULL);
}
