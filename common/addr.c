/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket address parsing, formatting and network matching. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int
sa_parse_ip(struct sa *out, const char *s, size_t len, uint16_t port)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	struct sa a;

	if (len == 0 || len >= sizeof(tmp))
		return EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, tmp, &a.u.in.sin_addr) == 1) {
		a.u.in.sin_family = AF_INET;
		a.u.in.sin_port = htons(port);
		a.len = sizeof(a.u.in);
	} else if (inet_pton(AF_INET6, tmp, &a.u.in6.sin6_addr) == 1) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_port = htons(port);
		a.len = sizeof(a.u.in6);
	} else {
		return EINVAL;
	}
	*out = a;
	return 0;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > 65535)
		return EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int
sa_parse(struct sa *out, const char *s, uint16_t default_port)
{
	const char *colon;
	uint16_t port = default_port;

	if (s == NULL)
		return EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return EINVAL;
		if (close[1] == ':') {
			if (parse_port(close + 2, &port))
				return EINVAL;
		} else if (close[1] != '\0') {
			return EINVAL;
		}
		/* Brackets are for IPv6 only (RFC 3986 IP-literal, RFC 3261 IPv6reference). */
		struct sa a;

		if (sa_parse_ip(&a, s + 1, (size_t)(close - s - 1), port) != 0 ||
		    a.u.sa.sa_family != AF_INET6)
			return EINVAL;
		*out = a;
		return 0;
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		/* exactly one colon: IPv4 with port */
		if (parse_port(colon + 1, &port))
			return EINVAL;
		return sa_parse_ip(out, s, (size_t)(colon - s), port);
	}
	return sa_parse_ip(out, s, strlen(s), port);
}

void
sa_set_port(struct sa *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in.sin_port = htons(port);
	else if (a->u.sa.sa_family == AF_INET6)
		a->u.in6.sin6_port = htons(port);
}

uint16_t
sa_port(const struct sa *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return ntohs(a->u.in.sin_port);
	if (a->u.sa.sa_family == AF_INET6)
		return ntohs(a->u.in6.sin6_port);
	return 0;
}

int
sa_family(const struct sa *a)
{
	return a->u.sa.sa_family;
}

/* Decimal v at p; returns the end. */
static char *
put_uint(char *p, unsigned v)
{
	char tmp[10], *d = tmp + sizeof(tmp);

	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(p, d, (size_t)(tmp + sizeof(tmp) - d));
	return p + (tmp + sizeof(tmp) - d);
}

/*
 * Dotted quad of an IPv4 sockaddr into buf (at least 16 bytes); false if too small.
 * glibc's inet_ntop formats IPv4 with sprintf: mediad writes some ten addresses
 * per call into Redis, and that was most of the cost of those writes.
 */
static bool
format_ip4(const struct sa *a, char *buf, size_t size)
{
	const unsigned char *b = (const unsigned char *)&a->u.in.sin_addr;
	char *p = buf;
	int i;

	if (size < INET_ADDRSTRLEN)
		return false;
	for (i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		p = put_uint(p, b[i]);
	}
	*p = '\0';
	return true;
}

char *
sa_format_ip(const struct sa *a, char *buf, size_t size)
{
	const void *p = a->u.sa.sa_family == AF_INET6 ?
	    (const void *)&a->u.in6.sin6_addr : (const void *)&a->u.in.sin_addr;

	if (a->u.sa.sa_family == AF_INET && format_ip4(a, buf, size))
		return buf;
	if ((a->u.sa.sa_family != AF_INET && a->u.sa.sa_family != AF_INET6) ||
	    inet_ntop(a->u.sa.sa_family, p, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
	return buf;
}

char *
sa_format(const struct sa *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	size_t n;

	sa_format_ip(a, ip, sizeof(ip));
	if (a->u.sa.sa_family == AF_INET && (n = strlen(ip)) + 7 <= size) {
		/* "a.b.c.d:port" without snprintf, as above */
		memcpy(buf, ip, n);
		buf[n] = ':';
		*put_uint(buf + n + 1, sa_port(a)) = '\0';
		return buf;
	}
	if (a->u.sa.sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip, sa_port(a));
	else
		snprintf(buf, size, "%s:%u", ip, sa_port(a));
	return buf;
}

bool
sa_equal_ip(const struct sa *a, const struct sa *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
	return false;
}

bool
sa_equal(const struct sa *a, const struct sa *b)
{
	return sa_equal_ip(a, b) && sa_port(a) == sa_port(b);
}

bool
sa_is_any(const struct sa *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
	return true;
}

void
sa_from_sockaddr(struct sa *out, const struct sockaddr *s, socklen_t len)
{
	memset(out, 0, sizeof(*out));
	if (len > sizeof(out->u.ss))
		len = sizeof(out->u.ss);
	memcpy(&out->u.ss, s, len);
	out->len = len;
}

int
sa_net_parse(struct sa_net *out, const char *s)
{
	const char *slash = strchr(s, '/');
	struct sa_net n;
	unsigned long prefix;
	char *end;
	int err;

	if (slash == NULL) {
		err = sa_parse_ip(&n.addr, s, strlen(s), 0);
		if (err)
			return err;
		n.prefix = n.addr.u.sa.sa_family == AF_INET ? 32 : 128;
	} else {
		err = sa_parse_ip(&n.addr, s, (size_t)(slash - s), 0);
		if (err)
			return err;
		if (slash[1] < '0' || slash[1] > '9')
			return EINVAL;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end != '\0' ||
		    prefix > (n.addr.u.sa.sa_family == AF_INET ? 32u : 128u))
			return EINVAL;
		n.prefix = (unsigned)prefix;
	}
	*out = n;
	return 0;
}

static bool
bits_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool
sa_net_contains(const struct sa_net *net, const struct sa *a)
{
	const struct sa *n = &net->addr;

	if (n->u.sa.sa_family == AF_INET && a->u.sa.sa_family == AF_INET)
		return bits_match((const uint8_t *)&n->u.in.sin_addr,
		    (const uint8_t *)&a->u.in.sin_addr, net->prefix);
	if (n->u.sa.sa_family == AF_INET6 && a->u.sa.sa_family == AF_INET6)
		return bits_match((const uint8_t *)&n->u.in6.sin6_addr,
		    (const uint8_t *)&a->u.in6.sin6_addr, net->prefix);
	if (n->u.sa.sa_family == AF_INET && a->u.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr))
		return bits_match((const uint8_t *)&n->u.in.sin_addr,
		    (const uint8_t *)&a->u.in6.sin6_addr + 12, net->prefix);
	return false;
}
