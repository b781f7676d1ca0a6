/* SPDX-License-Identifier: BSD-2-Clause */
/* bench_relay's ng client: offer/answer/delete with the keys SRTP <-> RTP bridging needs, the
 * same requests sbc-test-peer makes, against mediad or rtpengine. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "bench_ng.h"
#include "bencode.h"
#include "ng.h"
#include "sdp.h"

#define WAIT_MS 1000
#define TRIES 3

int
bench_ng_open(const char *ng, int *fdp)
{
	struct sa a;
	int fd;

	if (sa_parse(&a, ng, 0) != 0 || sa_port(&a) == 0)
		return EINVAL;
	fd = socket(sa_family(&a), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, &a.u.sa, a.len) != 0) {
		int err = errno;

		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/* One request, its reply (same cookie) in rbuf parsed into *rep; retransmitted on silence. */
static int
request(int fd, struct bencode_arena *a, const struct bencode_item *req, char *rbuf,
    size_t rcap, struct bencode_item **rep)
{
	static unsigned serial;
	char cookie[32], *sbuf = malloc(NG_MAX_DATAGRAM);
	size_t slen, clen;
	struct ng_msg m;
	struct bencode_error berr;
	int try, err;

	if (sbuf == NULL)
		return ENOMEM;
	clen = (size_t)snprintf(cookie, sizeof(cookie), "b%d_%u", (int)getpid(), ++serial);
	err = ng_encode(cookie, clen, req, sbuf, NG_MAX_DATAGRAM, &slen);
	for (try = 0; err == 0 && try < TRIES; try++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		err = ETIMEDOUT;
		if (send(fd, sbuf, slen, 0) < 0) {
			err = errno;
			break;
		}
		while (poll(&p, 1, WAIT_MS) > 0) {
			n = recv(fd, rbuf, rcap - 1, 0);
			if (n <= 0 || (size_t)n <= clen || memcmp(rbuf, cookie, clen) != 0)
				continue;
			err = ng_reply_parse(a, rbuf, (size_t)n, &m, &berr);
			if (err == 0)
				*rep = m.dict;
			goto out;
		}
	}
 out:
	free(sbuf);
	return err;
}

/* The media address of the reply's SDP (c= and m= port). */
static int
reply_media(const struct bencode_item *rep, struct sa *out)
{
	const struct bencode_item *res = bencode_dict_get(rep, "result");
	const struct bencode_item *sdp = bencode_dict_get(rep, "sdp");
	const char *c, *m;
	char ip[64];
	unsigned port;

	if (!bencode_str_eq(res, "ok") || sdp == NULL || sdp->type != BENCODE_STRING)
		return EPROTO;
	/* The reply's SDP is NUL-terminated in rbuf only by luck: copy what we read. */
	c = memmem(sdp->str, sdp->len, "c=IN IP4 ", 9);
	m = memmem(sdp->str, sdp->len, "m=audio ", 8);
	if (c == NULL || m == NULL || sscanf(c + 9, "%63[0-9.]", ip) != 1 ||
	    sscanf(m + 8, "%u", &port) != 1 || port == 0 || port > 65535)
		return EPROTO;
	return sa_parse_ip(out, ip, strlen(ip), (uint16_t)port);
}

static int
sdp_make(char *buf, size_t size, const struct sa *at, const struct crypto_key *key)
{
	char ip[SA_STRLEN], crypto[SDP_CRYPTO_LINE_MAX] = "";
	size_t cl;
	int n;

	sa_format_ip(at, ip, sizeof(ip));
	if (key != NULL) {
		if (sdp_crypto_format(crypto, sizeof(crypto) - 2, 1, key, 0, &cl) != 0)
			return EINVAL;
		memcpy(crypto + cl, "\r\n", 3);
	}
	n = snprintf(buf, size, "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
	    "m=audio %u %s 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n%sa=rtcp-mux\r\n"
	    "a=sendrecv\r\n", ip, ip, sa_port(at), key != NULL ? "RTP/SAVP" : "RTP/AVP", crypto);
	return n > 0 && (size_t)n < size ? 0 : ENOSPC;
}

static struct bencode_item *
req_new(struct bencode_arena *a, const char *cmd, const char *call_id, const char *sdp)
{
	struct bencode_item *d = bencode_dict(a);

	if (d == NULL || bencode_dict_add_cstr(a, d, "command", cmd) ||
	    bencode_dict_add_cstr(a, d, "call-id", call_id) ||
	    bencode_dict_add_cstr(a, d, "from-tag", "caller") ||
	    (strcmp(cmd, "offer") != 0 && bencode_dict_add_cstr(a, d, "to-tag", "callee")) ||
	    (sdp != NULL && bencode_dict_add_cstr(a, d, "sdp", sdp)))
		return NULL;
	return d;
}

int
bench_ng_call(int fd, const char *call_id, const struct sa *caller, const struct sa *callee,
    const struct crypto_key *key, const char *if_out, const char *if_in, struct sa *to_caller,
    struct sa *to_callee)
{
	struct bencode_arena a;
	struct bencode_item *req, *rep, *dir;
	char sdp[1024], *rbuf = malloc(NG_MAX_DATAGRAM);
	int err = ENOMEM;

	bencode_arena_init(&a);
	if (rbuf == NULL)
		goto out;
	err = sdp_make(sdp, sizeof(sdp), caller, key);
	if (err)
		goto out;
	err = ENOMEM;
	req = req_new(&a, "offer", call_id, sdp);
	dir = bencode_list(&a);
	if (req == NULL || dir == NULL ||
	    bencode_dict_add_cstr(&a, req, "transport-protocol", "RTP/AVP") ||
	    bencode_dict_add_cstr(&a, req, "ICE", "remove") ||
	    bencode_dict_add_cstr(&a, req, "DTLS", "off") ||
	    bencode_list_add(dir, bencode_cstr(&a, if_out)) ||
	    bencode_list_add(dir, bencode_cstr(&a, if_in)) ||
	    bencode_dict_add(&a, req, "direction", dir))
		goto out;
	err = request(fd, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	if (err == 0)
		err = reply_media(rep, to_callee);
	if (err)
		goto out;
	bencode_arena_free(&a);
	err = sdp_make(sdp, sizeof(sdp), callee, NULL);
	if (err)
		goto out;
	err = ENOMEM;
	req = req_new(&a, "answer", call_id, sdp);
	if (req == NULL || bencode_dict_add_cstr(&a, req, "ICE", "remove"))
		goto out;
	err = request(fd, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	if (err == 0)
		err = reply_media(rep, to_caller);
 out:
	bencode_arena_free(&a);
	free(rbuf);
	return err;
}

void
bench_ng_delete(int fd, const char *call_id)
{
	struct bencode_arena a;
	struct bencode_item *req, *rep;
	char *rbuf = malloc(NG_MAX_DATAGRAM);

	bencode_arena_init(&a);
	req = req_new(&a, "delete", call_id, NULL);
	if (rbuf != NULL && req != NULL)
		(void)request(fd, &a, req, rbuf, NG_MAX_DATAGRAM, &rep);
	bencode_arena_free(&a);
	free(rbuf);
}
