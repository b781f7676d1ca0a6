/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes the relay's per-packet decision (classify, source check, unprotect, latch, protect) on a fixed-key media. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "relay_int.h"
#include "srtp.h"
#include "fuzz_relay_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_packet: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

/*
 * Input: byte 0 selects leg, socket, rtcp-mux, suite, strict source and
 * whether the rest is first SRTP-protected with the peer's real key (so the
 * fuzzer reaches the path after authentication); byte 1 the source address;
 * the rest is the datagram, processed twice (the second time a replay).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	static uint8_t buf[RELAY_BUF_SIZE];
	struct relay_leg_cfg a, b;
	struct relay_media *m = NULL;
	struct relay_media_stats st;
	struct relay_fwd fwd;
	struct relay_pass pass = { 1000, NULL, NULL };
	struct sa src;
	uint8_t mode, srcsel;
	unsigned leg, stream, round;
	enum crypto_suite suite;
	size_t len, plen;
	bool truncated = false;
	uint64_t seen = 0;

	if (!init) {
		log_init("fuzz_packet", LOG_LEVEL_ERR, false);
		CHECK(srtp_engine_init() == 0);
		init = true;
	}
	if (size < 2)
		return 0;
	mode = data[0];
	srcsel = data[1];
	data += 2;
	size -= 2;
	leg = mode & 1;
	stream = (mode >> 1) & 1;
	suite = fuzz_suites[((mode >> 4) & 7) % FUZZ_NSUITES];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.fd_rtp = fuzz_udp_fd();
	a.rtcp_mux = (mode >> 3) & 1;
	a.fd_rtcp = a.rtcp_mux ? -1 : fuzz_udp_fd();
	CHECK(sa_parse(&a.remote_rtp, "192.0.2.1:4000", 0) == 0);
	a.srtp = true;
	fuzz_fixed_key(&a.rx_key, suite, 1);
	fuzz_fixed_key(&a.tx_key, suite, 2);
	a.send = a.recv = true;
	a.latch = RELAY_LATCH_AUTH;
	a.strict_source = (mode >> 7) & 1;
	b.fd_rtp = fuzz_udp_fd();
	b.fd_rtcp = fuzz_udp_fd();
	CHECK(sa_parse(&b.remote_rtp, "198.51.100.2:5000", 0) == 0);
	CHECK(sa_parse(&b.remote_rtcp, "198.51.100.2:5001", 0) == 0);
	b.send = b.recv = true;
	b.latch = RELAY_LATCH_SIGNALLED_IP;
	b.strict_source = a.strict_source;
	CHECK(relay_media_new(&m, &a, &b) == 0);

	/* Sources: the signalled ones, the same IP on another port, a stranger. */
	switch (srcsel & 3) {
	case 0: src = leg ? b.remote_rtp : a.remote_rtp; break;
	case 1: CHECK(sa_parse(&src, leg ? "198.51.100.2:6000" : "192.0.2.1:6000", 0) == 0); break;
	case 2: CHECK(sa_parse(&src, "203.0.113.9:7000", 0) == 0); break;
	default: CHECK(sa_parse(&src, "[2001:db8::1]:8000", 0) == 0); break;
	}
	if (stream == RELAY_STREAM_RTCP && a.rtcp_mux && leg == RELAY_LEG_A)
		stream = RELAY_STREAM_RTP;  /* no RTCP socket on a muxed leg */

	plen = size;
	if (plen > RELAY_PKT_MAX) {
		plen = RELAY_PKT_MAX;
		truncated = true;
	}
	for (round = 0; round < 2; round++) {
		int r;

		memcpy(buf, data, plen);
		len = plen;
		/* Protect with the key leg A expects, as a genuine peer would. */
		if ((mode & 4) && leg == RELAY_LEG_A && len >= 12 && (buf[0] >> 6) == 2) {
			struct srtp_ctx *peer = NULL;
			unsigned s = RELAY_STREAM_RTP;
			size_t l2 = len;

			CHECK(srtp_ctx_create(&peer, suite, &a.rx_key, SRTP_CTX_OUTBOUND, NULL) == 0);
			(void)relay_stream_classify(buf, len, a.rtcp_mux, &s);
			if (s == RELAY_STREAM_RTCP || stream == RELAY_STREAM_RTCP) {
				if (srtp_ctx_protect_rtcp(peer, buf, &l2, sizeof(buf)) == 0)
					len = l2;
			} else if (srtp_ctx_protect_rtp(peer, buf, &l2, sizeof(buf)) == 0) {
				len = l2;
			}
			srtp_ctx_destroy(peer);
		}
		r = relay_stream_process(m, leg, stream, buf, len, sizeof(buf), truncated,
		    &src, &pass, &fwd);
		seen++;
		/* FUZZ_PACKET_VERBOSE=1 shows what each seed reaches. */
		if (getenv("FUZZ_PACKET_VERBOSE") != NULL)
			fprintf(stderr, "mode=%02x leg=%u round=%u len=%zu -> %s\n", mode, leg,
			    round, len, r < 0 ? "forward" : relay_drop_name((enum relay_drop)r));
		CHECK(r >= -1 && r < RELAY_DROP_COUNT);
		if (r == -1) {
			CHECK(fwd.len + RELAY_TAILROOM <= sizeof(buf) + RELAY_TAILROOM);
			CHECK(fwd.len <= sizeof(buf));
			CHECK(sa_family(fwd.dst) == AF_INET || sa_family(fwd.dst) == AF_INET6);
			CHECK(fwd.fd >= 0);
			/* Plain RTP leaving leg B is never longer than what came in. */
			if (leg == RELAY_LEG_A)
				CHECK(fwd.len <= len);
			else
				CHECK(fwd.len > len);
			/* A replay never passes an SRTP leg. */
			CHECK(!(leg == RELAY_LEG_A && round == 1));
		}
	}
	relay_media_snapshot(m, &st);
	{
		uint64_t in = 0;

		for (unsigned s = 0; s < RELAY_STREAM_COUNT; s++)
			in += st.leg[leg].stream[s].packets_in;
		CHECK(in == seen);
	}
	relay_media_free(m);
	return 0;
}
