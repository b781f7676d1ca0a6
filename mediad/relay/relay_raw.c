/* SPDX-License-Identifier: BSD-2-Clause */
/* The batched style's sender: IPv4/IPv6 + UDP headers built here, so that one raw socket
 * sends a whole batch from any media port in one sendmmsg. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "relay_int.h"

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_HDR 8

/* 32-bit one's complement accumulation of big-endian 16-bit words. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
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
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t
header(uint8_t *hdr, const struct sa *src, const struct sa *dst, const uint8_t *payload,
    size_t len, bool full)
{
	uint8_t *udp;
	uint32_t sum;
	uint16_t ulen = (uint16_t)(UDP_HDR + len), c;
	int f = sa_family(src);

	if (f != sa_family(dst) || len > RELAY_BUF_SIZE)
		return 0;
	if (f == AF_INET) {
		/* Total length and header checksum are the kernel's (IP_HDRINCL fills them). */
		memset(hdr, 0, IP4_HDR);
		hdr[0] = 0x45;
		hdr[6] = 0x40;          /* DF, as a UDP socket with path MTU discovery sends */
		hdr[8] = 64;
		hdr[9] = IPPROTO_UDP;
		memcpy(hdr + 12, &src->u.in.sin_addr, 4);
		memcpy(hdr + 16, &dst->u.in.sin_addr, 4);
		if (full) {
			put16(hdr + 2, (uint16_t)(IP4_HDR + ulen));
			put16(hdr + 10, csum_fold(csum_add(0, hdr, IP4_HDR)));
		}
		udp = hdr + IP4_HDR;
		sum = csum_add(IPPROTO_UDP + (uint32_t)ulen, hdr + 12, 8);
	} else if (f == AF_INET6) {
		memset(hdr, 0, IP6_HDR);
		hdr[0] = 0x60;
		put16(hdr + 4, ulen);
		hdr[6] = IPPROTO_UDP;
		hdr[7] = 64;
		memcpy(hdr + 8, &src->u.in6.sin6_addr, 16);
		memcpy(hdr + 24, &dst->u.in6.sin6_addr, 16);
		udp = hdr + IP6_HDR;
		sum = csum_add(IPPROTO_UDP + (uint32_t)ulen, hdr + 8, 32);
	} else {
		return 0;
	}
	put16(udp, sa_port(src));
	put16(udp + 2, sa_port(dst));
	put16(udp + 4, ulen);
	udp[6] = udp[7] = 0;
	sum = csum_add(sum, udp, UDP_HDR);
	sum = csum_add(sum, payload, len);
	c = csum_fold(sum);
	/* 0 means "no checksum" on IPv4 and is invalid on IPv6: send its other form. */
	put16(udp + 6, c == 0 ? 0xffff : c);
	return (size_t)(udp + UDP_HDR - hdr);
}

size_t
relay_raw_header(uint8_t *hdr, const struct sa *src, const struct sa *dst,
    const uint8_t *payload, size_t len)
{
	return header(hdr, src, dst, payload, len, false);
}

size_t
relay_raw_header_full(uint8_t *hdr, const struct sa *src, const struct sa *dst,
    const uint8_t *payload, size_t len)
{
	return header(hdr, src, dst, payload, len, true);
}

int
relay_raw_open(int family, int *fdp)
{
	int fd, sndbuf = 4 << 20;

	/* IPPROTO_RAW: send only (the kernel never queues received packets on it), and the
	 * header is ours (IP_HDRINCL / IPV6_HDRINCL implied). */
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return errno;
	/* Best effort: a burst of a full wakeup must not find the buffer full. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	*fdp = fd;
	return 0;
}
