/* SPDX-License-Identifier: BSD-2-Clause */
/* HEP3 encoding: the chunks Homer and sngrep read (addresses, ports, time, agent, SIP payload, Call-ID). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "trace_int.h"

/* Chunk types of the generic vendor (0), HEP3 specification. */
enum {
	HEP_IP_FAMILY = 0x0001,
	HEP_IP_PROTO = 0x0002,
	HEP_IPV4_SRC = 0x0003,
	HEP_IPV4_DST = 0x0004,
	HEP_IPV6_SRC = 0x0005,
	HEP_IPV6_DST = 0x0006,
	HEP_SRC_PORT = 0x0007,
	HEP_DST_PORT = 0x0008,
	HEP_TS_SEC = 0x0009,
	HEP_TS_USEC = 0x000a,
	HEP_PROTO_TYPE = 0x000b,
	HEP_CAPTURE_ID = 0x000c,
	HEP_PAYLOAD = 0x000f,
	HEP_CORRELATION = 0x0011,
};

struct hep_buf {
	uint8_t *p;
	size_t size, len;
	bool full;
};

static void
put(struct hep_buf *b, const void *data, size_t n)
{
	if (b->full || b->len + n > b->size) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
put16(struct hep_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 2);
}

/* One chunk: vendor 0, type, length including its 6-byte header, data. */
static void
chunk(struct hep_buf *b, uint16_t type, const void *data, size_t n)
{
	if (n > 0xffff - 6) {
		b->full = true;
		return;
	}
	put16(b, 0);
	put16(b, type);
	put16(b, (uint16_t)(n + 6));
	put(b, data, n);
}

static void
chunk8(struct hep_buf *b, uint16_t type, uint8_t v)
{
	chunk(b, type, &v, 1);
}

static void
chunk16(struct hep_buf *b, uint16_t type, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	chunk(b, type, x, 2);
}

static void
chunk32(struct hep_buf *b, uint16_t type, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	chunk(b, type, x, 4);
}

/* The address of a (NULL or unknown: the unspecified address of family af). */
static void
chunk_addr(struct hep_buf *b, int af, bool src, const struct sa *a)
{
	static const uint8_t zero[16];
	const void *p = zero;

	if (af == AF_INET6) {
		if (a != NULL && sa_family(a) == AF_INET6)
			p = &a->u.in6.sin6_addr;
		chunk(b, src ? HEP_IPV6_SRC : HEP_IPV6_DST, p, 16);
	} else {
		if (a != NULL && sa_family(a) == AF_INET)
			p = &a->u.in.sin_addr;
		chunk(b, src ? HEP_IPV4_SRC : HEP_IPV4_DST, p, 4);
	}
}

int
trace_hep_encode(uint8_t *out, size_t size, size_t *outlen, const struct trace_msg *m,
    const char *msg, const struct timeval *tv, uint32_t capture_id, const char *call_id,
    size_t call_id_len)
{
	struct hep_buf b = { out, size, 0, false };
	const struct sa *src, *dst;
	int af;

	src = m->dir == TRACE_IN ? m->peer : m->local;
	dst = m->dir == TRACE_IN ? m->local : m->peer;
	af = (m->peer != NULL && sa_family(m->peer) == AF_INET6) ? AF_INET6 : AF_INET;
	put(&b, "HEP3", 4);
	put16(&b, 0);	/* total length, set below */
	chunk8(&b, HEP_IP_FAMILY, af == AF_INET6 ? 10 : 2);
	/* TLS is carried over TCP: the IP protocol is what HEP records */
	chunk8(&b, HEP_IP_PROTO, m->proto == TP_UDP ? IPPROTO_UDP : IPPROTO_TCP);
	chunk_addr(&b, af, true, src);
	chunk_addr(&b, af, false, dst);
	chunk16(&b, HEP_SRC_PORT, src != NULL ? sa_port(src) : 0);
	chunk16(&b, HEP_DST_PORT, dst != NULL ? sa_port(dst) : 0);
	chunk32(&b, HEP_TS_SEC, (uint32_t)tv->tv_sec);
	chunk32(&b, HEP_TS_USEC, (uint32_t)tv->tv_usec);
	chunk8(&b, HEP_PROTO_TYPE, TRACE_HEP_SIP);
	chunk32(&b, HEP_CAPTURE_ID, capture_id);
	if (call_id_len > 0)
		chunk(&b, HEP_CORRELATION, call_id, call_id_len);
	chunk(&b, HEP_PAYLOAD, msg, m->len);
	if (b.full || b.len > 0xffff)
		return EMSGSIZE;
	out[4] = (uint8_t)(b.len >> 8);
	out[5] = (uint8_t)b.len;
	*outlen = b.len;
	return 0;
}
