/* SPDX-License-Identifier: BSD-2-Clause */
/* End-to-end media peer: plays the SRTP caller and the plain-RTP backend at once and checks every payload bit-exact both ways. */

/*
 * Usage:
 *   e2e_media -s SUITE -k CALLER_KEY -K PEER_KEY -a CALLER_LOCAL -A RELAY_OUTSIDE
 *             -b BACKEND_LOCAL -B RELAY_INSIDE [-n COUNT] [-q FIRST_SEQ] [-t MS]
 *
 * CALLER_KEY is the inline key the caller offered (it protects what the caller sends),
 * PEER_KEY the one the relay answered with (it protects what the caller receives);
 * either may carry RFC 4568 key parameters ("<key>|2^31|1:1"): with an MKI, every packet
 * under that key carries it (protected with it, and unprotected only with it).
 * Addresses are IPv4 "a.b.c.d:port". Exit 0 only when COUNT packets arrived each way,
 * each with exactly the payload that was sent, and the SRTP leg never carried the plain
 * payload; 1 on any loss or mismatch; 2 on bad usage or setup failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <srtp2/srtp.h>

#define PAYLOAD_LEN 160
#define RTP_HDR 12
#define MAX_COUNT 10000

struct suite_map {
	const char *name;
	void (*set)(srtp_crypto_policy_t *p);
	size_t key_len;
};

static const struct suite_map suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default, 30 },
	{ "AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, 30 },
	{ "AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 46 },
	{ "AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, 28 },
	{ "AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth, 44 },
};

struct leg {
	int fd;
	struct sockaddr_in remote;
	unsigned received;
	unsigned bad;
	bool seen[MAX_COUNT];
};

static int
addr_parse(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n;
	long port;

	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof(host))
		return EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return EINVAL;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return EINVAL;
	return 0;
}

static int
sock_open(int *fdp, const char *local)
{
	struct sockaddr_in sin;
	int fd, one = 1, err;

	err = addr_parse(local, &sin);
	if (err)
		return err;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		err = errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/* The payload is a function of direction and sequence number, so the receiver can recompute it. */
static void
payload_fill(uint8_t *p, int dir, uint16_t seq)
{
	uint32_t x = 0x9e3779b9u * (uint32_t)(seq + 1) ^ (uint32_t)dir * 0x85ebca6bu;

	for (size_t i = 0; i < PAYLOAD_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static size_t
rtp_build(uint8_t *pkt, int dir, uint16_t seq, uint32_t ssrc)
{
	uint32_t ts = (uint32_t)seq * 160u;

	pkt[0] = 0x80;
	pkt[1] = 0;	/* PCMU */
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[4] = (uint8_t)(ts >> 24);
	pkt[5] = (uint8_t)(ts >> 16);
	pkt[6] = (uint8_t)(ts >> 8);
	pkt[7] = (uint8_t)ts;
	pkt[8] = (uint8_t)(ssrc >> 24);
	pkt[9] = (uint8_t)(ssrc >> 16);
	pkt[10] = (uint8_t)(ssrc >> 8);
	pkt[11] = (uint8_t)ssrc;
	payload_fill(pkt + RTP_HDR, dir, seq);
	return RTP_HDR + PAYLOAD_LEN;
}

static int
key_decode(const char *b64, size_t want, uint8_t *out)
{
	uint8_t buf[96];
	char padded[96];
	size_t len = strlen(b64), pad;
	int n;

	/* SDES keys come padded or unpadded (RFC 4568 allows both): pad for OpenSSL. */
	while (len > 0 && b64[len - 1] == '=')
		len--;
	if (len == 0 || len > 88 || len % 4 == 1)
		return EINVAL;
	memcpy(padded, b64, len);
	pad = (4 - len % 4) % 4;
	memset(padded + len, '=', pad);
	n = EVP_DecodeBlock(buf, (const unsigned char *)padded, (int)(len + pad));
	if (n < 0)
		return EINVAL;
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	n -= (int)pad;
	if ((size_t)n != want)
		return EINVAL;
	memcpy(out, buf, want);
	return 0;
}

/* "<key>[|lifetime][|mki:len]": the key alone into b64, the MKI bytes into mki. */
static int
key_params(const char *in, char *b64, size_t size, uint8_t *mki, unsigned *mki_len)
{
	const char *bar = strchr(in, '|');
	size_t n = bar ? (size_t)(bar - in) : strlen(in);

	*mki_len = 0;
	if (n >= size)
		return EINVAL;
	memcpy(b64, in, n);
	b64[n] = '\0';
	while (bar != NULL) {
		unsigned long v, l;
		char *end;

		v = strtoul(bar + 1, &end, 10);
		if (*end == ':') {
			l = strtoul(end + 1, &end, 10);
			if (l == 0 || l > 16)
				return EINVAL;
			memset(mki, 0, l);
			for (unsigned i = 0; i < 4 && i < l; i++)
				mki[l - 1 - i] = (uint8_t)(v >> (8 * i));
			*mki_len = (unsigned)l;
		}
		bar = strchr(bar + 1, '|');
	}
	return 0;
}

static int
session_make(srtp_t *sp, const struct suite_map *sm, const char *param, bool inbound,
    unsigned *mki_lenp)
{
	srtp_policy_t pol;
	srtp_master_key_t mk, *mks[1] = { &mk };
	uint8_t key[64], mki[16];
	char b64[96];

	if (key_params(param, b64, sizeof(b64), mki, mki_lenp) != 0 ||
	    key_decode(b64, sm->key_len, key) != 0)
		return EINVAL;
	memset(&pol, 0, sizeof(pol));
	sm->set(&pol.rtp);
	sm->set(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = key;
	if (*mki_lenp > 0) {
		mk.key = key;
		mk.mki_id = mki;
		mk.mki_size = *mki_lenp;
		pol.key = NULL;
		pol.keys = mks;
		pol.num_master_keys = 1;
	}
	pol.window_size = 1024;
	pol.allow_repeat_tx = 0;
	if (srtp_create(sp, &pol) != srtp_err_status_ok)
		return EINVAL;
	return 0;
}

/* Checks one received packet; dir 0 is caller->backend, 1 backend->caller. */
static void
leg_check(struct leg *l, const uint8_t *pkt, int len, int dir, uint16_t seq0, unsigned count)
{
	uint8_t want[PAYLOAD_LEN];
	uint16_t seq, idx;

	if (len != RTP_HDR + PAYLOAD_LEN || (pkt[0] & 0xc0) != 0x80) {
		l->bad++;
		return;
	}
	seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	idx = (uint16_t)(seq - seq0);
	if (idx >= count) {
		l->bad++;
		return;
	}
	payload_fill(want, dir, seq);
	if (memcmp(want, pkt + RTP_HDR, PAYLOAD_LEN) != 0) {
		l->bad++;
		return;
	}
	if (!l->seen[idx]) {
		l->seen[idx] = true;
		l->received++;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: e2e_media -s SUITE -k CALLER_KEY -K PEER_KEY -a CALLER_LOCAL "
		"-A RELAY_OUTSIDE -b BACKEND_LOCAL -B RELAY_INSIDE [-n COUNT] [-q SEQ] [-t MS]\n");
	exit(2);
}

static unsigned long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

int
main(int argc, char **argv)
{
	const char *suite = NULL, *ckey = NULL, *pkey = NULL, *al = NULL, *ar = NULL,
		*bl = NULL, *br = NULL;
	const struct suite_map *sm = NULL;
	static struct leg caller, backend;	/* large seen[] arrays: not on the stack */
	srtp_t tx = NULL, rx = NULL;
	unsigned tx_mki = 0, rx_mki = 0;
	unsigned count = 50, sent = 0, leaked = 0, interval = 10, tail_ms = 1500;
	uint16_t seq0 = 1;
	unsigned long long next, deadline = 0;
	int c, rc = 2;

	while ((c = getopt(argc, argv, "s:k:K:a:A:b:B:n:q:t:i:")) != -1) {
		switch (c) {
		case 's': suite = optarg; break;
		case 'k': ckey = optarg; break;
		case 'K': pkey = optarg; break;
		case 'a': al = optarg; break;
		case 'A': ar = optarg; break;
		case 'b': bl = optarg; break;
		case 'B': br = optarg; break;
		case 'n': count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'q': seq0 = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 't': tail_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': interval = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!suite || !ckey || !pkey || !al || !ar || !bl || !br || count == 0 || count > MAX_COUNT)
		usage();
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strcmp(suites[i].name, suite) == 0)
			sm = &suites[i];
	if (sm == NULL) {
		fprintf(stderr, "e2e_media: unknown suite %s\n", suite);
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		return 2;
	if (session_make(&tx, sm, ckey, false, &tx_mki) ||
	    session_make(&rx, sm, pkey, true, &rx_mki)) {
		fprintf(stderr, "e2e_media: bad key for %s (caller %s, peer %s)\n", suite, ckey, pkey);
		goto out;
	}
	if (sock_open(&caller.fd, al) || sock_open(&backend.fd, bl) ||
	    addr_parse(ar, &caller.remote) || addr_parse(br, &backend.remote)) {
		fprintf(stderr, "e2e_media: bad address or bind failed: %s\n", strerror(errno));
		goto out;
	}

	next = now_ms();
	for (;;) {
		struct pollfd pfd[2] = { { caller.fd, POLLIN, 0 }, { backend.fd, POLLIN, 0 } };
		unsigned long long t = now_ms();
		uint8_t pkt[RTP_HDR + PAYLOAD_LEN + 64];
		int len, timeout;

		if (sent < count && t >= next) {
			uint16_t seq = (uint16_t)(seq0 + sent);

			len = (int)rtp_build(pkt, 0, seq, 0x11111111u);
			if ((tx_mki ? srtp_protect_mki(tx, pkt, &len, 1, 0) :
			    srtp_protect(tx, pkt, &len)) != srtp_err_status_ok) {
				fprintf(stderr, "e2e_media: srtp_protect failed\n");
				goto out;
			}
			sendto(caller.fd, pkt, (size_t)len, 0, (struct sockaddr *)&caller.remote,
			    sizeof(caller.remote));
			len = (int)rtp_build(pkt, 1, seq, 0x22222222u);
			sendto(backend.fd, pkt, (size_t)len, 0, (struct sockaddr *)&backend.remote,
			    sizeof(backend.remote));
			sent++;
			next += interval;
			if (sent == count)
				deadline = t + tail_ms;
		}
		if (sent == count && (now_ms() >= deadline ||
		    (backend.received == count && caller.received == count)))
			break;
		timeout = sent < count ? (int)(next > t ? next - t : 0) : (int)(deadline - t);
		if (poll(pfd, 2, timeout < 0 ? 0 : timeout) < 0)
			continue;
		/* backend socket: plain RTP from the relay, caller->backend direction */
		while ((len = (int)recv(backend.fd, pkt, sizeof(pkt), 0)) > 0)
			leg_check(&backend, pkt, len, 0, seq0, count);
		/* caller socket: SRTP from the relay, backend->caller direction */
		while ((len = (int)recv(caller.fd, pkt, sizeof(pkt), 0)) > 0) {
			uint8_t plain[PAYLOAD_LEN];
			uint16_t seq;

			if (len >= RTP_HDR + PAYLOAD_LEN) {
				seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
				payload_fill(plain, 1, seq);
				if (memcmp(plain, pkt + RTP_HDR, PAYLOAD_LEN) == 0)
					leaked++;
			}
			if ((rx_mki ? srtp_unprotect_mki(rx, pkt, &len, 1) :
			    srtp_unprotect(rx, pkt, &len)) != srtp_err_status_ok) {
				caller.bad++;
				continue;
			}
			leg_check(&caller, pkt, len, 1, seq0, count);
		}
	}
	printf("e2e_media suite=%s mki=%u/%u sent=%u caller_to_backend=%u/%u "
	    "backend_to_caller=%u/%u bad=%u/%u plain_on_srtp_leg=%u\n", suite, tx_mki, rx_mki,
	    sent, backend.received, count, caller.received, count, backend.bad, caller.bad,
	    leaked);
	rc = (backend.received == count && caller.received == count && backend.bad == 0 &&
	    caller.bad == 0 && leaked == 0) ? 0 : 1;
 out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
	if (caller.fd > 0)
		close(caller.fd);
	if (backend.fd > 0)
		close(backend.fd);
	srtp_shutdown();
	return rc;
}
