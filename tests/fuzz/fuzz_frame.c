/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzzes the xdp style's receive path on whole frames: the Ethernet/IPv4/IPv6/UDP parser,
 * the port lookup, the relay's per-packet decision, and the headers of the frame it would
 * send (which must parse back to where it goes, with valid checksums).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "log.h"
#include "relay_int.h"
#include "srtp.h"
#include "fuzz_relay_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_frame: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define ETH_HDR 14
#define FRAME_SIZE 4096		/* XSK_UMEM__DEFAULT_FRAME_SIZE: one UMEM frame */
/* What a received frame may hold: its UMEM frame after the headroom. */
#define FRAME_MAX (FRAME_SIZE - RELAY_XSK_HEADROOM)


/*
 * The media's local addresses as the port table knows them (leg A: 192.0.2.100 and
 * 2001:db8::100, ports 30000/30001; leg B the same at 40000/40001); seeds aim at them.
 */
static const char *const local_addrs[8] = {
	"192.0.2.100:30000", "192.0.2.100:30001", "[2001:db8::100]:30000",
	"[2001:db8::100]:30001", "192.0.2.100:40000", "192.0.2.100:40001",
	"[2001:db8::100]:40000", "[2001:db8::100]:40001",
};

/* Sources: the signalled ones, their address on another port, strangers of both families. */
static const char *const sources[8] = {
	"192.0.2.1:4000", "192.0.2.1:6000", "198.51.100.2:5000", "198.51.100.2:5001",
	"203.0.113.9:7000", "[2001:db8::1]:8000", "[2001:db8::2]:5000", "198.51.100.2:6000",
};

/* The Internet checksum, our own: a check must not share the code it checks (relay_raw.c). */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len >= 2) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * The IP header (IPv4: its checksum) and the UDP checksum of a frame built by
 * relay_raw_header_full verify as a receiver checks them: every sum folds to 0xffff.
 */
static void
check_checksums(const uint8_t *ip, size_t hl, size_t plen)
{
	const uint8_t *udp = ip + hl;
	size_t ulen = 8 + plen;
	uint32_t s;

	CHECK(((size_t)udp[4] << 8 | udp[5]) == ulen);
	if (hl == 20) {
		CHECK(fold(sum16(0, ip, 20)) == 0xffff);
		CHECK(((size_t)ip[2] << 8 | ip[3]) == 20 + ulen);
		s = sum16(IPPROTO_UDP + (uint32_t)ulen, ip + 12, 8);
	} else {
		CHECK(((size_t)ip[4] << 8 | ip[5]) == ulen);
		s = sum16(IPPROTO_UDP + (uint32_t)ulen, ip + 8, 32);
	}
	CHECK(fold(sum16(s, udp, ulen)) == 0xffff);
}

/* A frame from src to dst around payload (len bytes) into f; its length, 0 when it cannot. */
static size_t
frame_build(uint8_t *f, size_t size, const struct sa *src, const struct sa *dst,
    const uint8_t *payload, size_t len)
{
	size_t hl = sa_family(dst) == AF_INET6 ? 40 : 20, n;

	if (ETH_HDR + hl + 8 + len > size || sa_family(src) != sa_family(dst))
		return 0;
	memset(f, 0x02, 12);
	f[12] = sa_family(dst) == AF_INET6 ? 0x86 : 0x08;
	f[13] = sa_family(dst) == AF_INET6 ? 0xdd : 0x00;
	memmove(f + ETH_HDR + hl + 8, payload, len);
	n = relay_raw_header_full(f + ETH_HDR, src, dst, f + ETH_HDR + hl + 8, len);
	if (n == 0)
		return 0;
	CHECK(n == hl + 8);
	check_checksums(f + ETH_HDR, hl, len);
	return ETH_HDR + n + len;
}

/* The frame f parses back to exactly where it was built to go. */
static void
check_parses_to(uint8_t *f, size_t flen, const struct sa *src, const struct sa *dst,
    size_t plen)
{
	struct relay_xsk_pkt p = { .data = f, .len = (uint32_t)flen, .cap = FRAME_MAX };
	struct relay_port_key k, want;
	struct sa s;
	size_t off, l;

	CHECK(relay_io_frame_parse(&p, &k, &s, &off, &l) == 0);
	CHECK(relay_port_key_from_sa(&want, dst) == 0);
	CHECK(memcmp(&k, &want, sizeof(k)) == 0);
	CHECK(sa_equal(&s, src));
	CHECK(l == plen && off + l == flen);
}

/* The relay media of one input: leg A SRTP (fixed keys), leg B plain RTP. */
static struct relay_media *
media_new(uint8_t mode, struct relay_leg_cfg *a)
{
	struct relay_leg_cfg b;
	struct relay_media *m = NULL;
	enum crypto_suite suite = fuzz_suites[((mode >> 4) & 7) % FUZZ_NSUITES];

	memset(a, 0, sizeof(*a));
	memset(&b, 0, sizeof(b));
	a->fd_rtp = fuzz_udp_fd();
	a->rtcp_mux = (mode >> 3) & 1;
	a->fd_rtcp = a->rtcp_mux ? -1 : fuzz_udp_fd();
	CHECK(sa_parse(&a->remote_rtp, "192.0.2.1:4000", 0) == 0);
	a->srtp = true;
	fuzz_fixed_key(&a->rx_key, suite, 1);
	fuzz_fixed_key(&a->tx_key, suite, 2);
	a->send = a->recv = true;
	a->latch = RELAY_LATCH_AUTH;
	a->strict_source = (mode >> 7) & 1;
	b.fd_rtp = fuzz_udp_fd();
	b.fd_rtcp = fuzz_udp_fd();
	CHECK(sa_parse(&b.remote_rtp, "198.51.100.2:5000", 0) == 0);
	CHECK(sa_parse(&b.remote_rtcp, "198.51.100.2:5001", 0) == 0);
	b.send = b.recv = true;
	b.latch = RELAY_LATCH_SIGNALLED_IP;
	b.strict_source = a->strict_source;
	CHECK(relay_media_new(&m, a, &b) == 0);
	return m;
}

/* The port table: every local address above, to its leg's socket (RTCP to RTP when muxed). */
static void
ports_fill(struct relay_ports *t, struct relay_media *m)
{
	for (unsigned i = 0; i < 8; i++) {
		struct relay_port_key k;
		struct sa a;
		unsigned leg = i / 4, stream = i & 1;

		if (m->leg[leg].sock[stream].fd < 0)
			stream = RELAY_STREAM_RTP;
		CHECK(sa_parse(&a, local_addrs[i], 0) == 0);
		CHECK(relay_port_key_from_sa(&k, &a) == 0);
		CHECK(relay_ports_add(t, &k, &m->leg[leg].sock[stream]) == 0);
	}
}

/*
 * Protects payload as leg A's peer would (so the decision gets past authentication): as
 * SRTCP when it goes to the RTCP port or looks like RTCP on a muxed one.
 */
static size_t
peer_protect(const struct relay_leg_cfg *a, uint8_t *buf, size_t len, size_t cap,
    bool rtcp_port)
{
	struct srtp_ctx *peer = NULL;
	unsigned stream = RELAY_STREAM_RTP;
	size_t l = len;

	if (len < 12 || (buf[0] >> 6) != 2)
		return len;
	(void)relay_stream_classify(buf, len, a->rtcp_mux, &stream);
	CHECK(srtp_ctx_create(&peer, a->rx_key.suite, &a->rx_key, SRTP_CTX_OUTBOUND, NULL) == 0);
	if (((rtcp_port && !a->rtcp_mux) || stream == RELAY_STREAM_RTCP ?
	    srtp_ctx_protect_rtcp(peer, buf, &l, cap) :
	    srtp_ctx_protect_rtp(peer, buf, &l, cap)) != 0)
		l = len;
	srtp_ctx_destroy(peer);
	return l;
}

/*
 * Input: byte 0 selects how the frame is made (bit 0: built here around the payload, else
 * the rest is the frame itself), whether a built payload is first SRTP-protected with leg
 * A's peer key (bit 2), rtcp-mux on leg A, the suite and strict source; when built, byte 1
 * names the local address (bits 0-2) and the source (bits 4-6) and the rest is the UDP
 * payload. The frame goes through parse, lookup and the decision twice (the second time a
 * replay); a forwarded payload is wrapped as the xdp style sends it and parsed back.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	static uint8_t frame[FRAME_MAX], out[FRAME_MAX];
	/* a UMEM frame: the received frame starts after the headroom, as the kernel puts it */
	static _Alignas(64) uint8_t umem[FRAME_SIZE];
	uint8_t *work = umem + RELAY_XSK_HEADROOM;
	struct relay_leg_cfg a;
	struct relay_media *m;
	struct relay_ports ports;
	struct relay_pass pass = { 1000, NULL, NULL };
	size_t flen;
	uint8_t mode;

	if (!init) {
		log_init("fuzz_frame", LOG_LEVEL_ERR, false);
		CHECK(srtp_engine_init() == 0);
		CHECK(relay_xsk_frame_size() == FRAME_SIZE);
		init = true;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	m = media_new(mode, &a);
	memset(&ports, 0, sizeof(ports));
	ports_fill(&ports, m);
	if (mode & 1) {
		struct sa src, dst;
		_Alignas(16) uint8_t payload[FRAME_MAX];
		uint8_t sel;
		size_t plen;

		if (size < 1)
			goto out;
		sel = data[0];
		CHECK(sa_parse(&dst, local_addrs[sel & 7], 0) == 0);
		CHECK(sa_parse(&src, sources[(sel >> 4) & 7], 0) == 0);
		plen = size - 1 > RELAY_PKT_MAX ? RELAY_PKT_MAX : size - 1;
		memcpy(payload, data + 1, plen);
		if ((mode & 4) && (sel & 7) < 4)
			plen = peer_protect(&a, payload, plen, sizeof(payload), (sel & 1) != 0);
		flen = frame_build(frame, sizeof(frame), &src, &dst, payload, plen);
		if (flen == 0)
			goto out;
		check_parses_to(frame, flen, &src, &dst, plen);
	} else {
		flen = size > FRAME_MAX ? FRAME_MAX : size;
		memcpy(frame, data, flen);
	}
	for (unsigned round = 0; round < 2; round++) {
		struct relay_xsk_pkt p = { .data = work, .len = (uint32_t)flen, .cap = FRAME_MAX };
		struct relay_port_key k;
		struct relay_sock *s;
		struct relay_fwd fwd;
		struct sa src;
		size_t off = 0, plen = 0, olen;
		int r;

		memcpy(work, frame, flen);
		if (relay_io_frame_parse(&p, &k, &src, &off, &plen) != 0)
			break;
		/*
		 * What the parser hands on lies inside the frame, after the headers, and is
		 * 4-byte aligned, as libsrtp needs it.
		 */
		CHECK(off == ETH_HDR + 28 || off == ETH_HDR + 48);
		CHECK(off + plen <= flen);
		CHECK(((uintptr_t)(work + off) & 3) == 0);
		CHECK(k.family == AF_INET || k.family == AF_INET6);
		CHECK(sa_family(&src) == k.family);
		s = relay_ports_find(&ports, &k);
		if (s == NULL)
			break;
		r = relay_stream_process(s->media, s->leg, s->stream, work + off, plen,
		    p.cap - off, false, &src, &pass, &fwd);
		/* FUZZ_FRAME_VERBOSE=1 shows what each seed reaches. */
		if (getenv("FUZZ_FRAME_VERBOSE") != NULL)
			fprintf(stderr, "mode=%02x leg=%u stream=%u round=%u len=%zu -> %s\n", mode,
			    s->leg, s->stream, round, plen,
			    r < 0 ? "forward" : relay_drop_name((enum relay_drop)r));
		CHECK(r >= -1 && r < RELAY_DROP_COUNT);
		if (r != -1)
			continue;
		CHECK(fwd.len <= plen + RELAY_TAILROOM && off + fwd.len <= p.cap);
		CHECK(sa_family(fwd.dst) == AF_INET || sa_family(fwd.dst) == AF_INET6);
		/* a replay never passes the SRTP leg */
		CHECK(!(s->leg == RELAY_LEG_A && round == 1));
		olen = frame_build(out, sizeof(out), fwd.src, fwd.dst, work + off, fwd.len);
		if (olen != 0)
			check_parses_to(out, olen, fwd.src, fwd.dst, fwd.len);
	}
 out:
	relay_ports_free(&ports);
	relay_media_free(m);
	return 0;
}
