/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket addresses: parse "host:port" / "[v6]:port", format, compare, CIDR match. */
#ifndef SBC_COMMON_ADDR_H
#define SBC_COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 address with port; len is the valid sockaddr length. */
struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};

/* Longest string sa_format() writes, NUL included: "[v6]:65535". */
#define SA_STRLEN (INET6_ADDRSTRLEN + 8)

/*
 * Parses a numeric address with optional port: "192.0.2.1", "192.0.2.1:5060",
 * "::1", "[::1]:5060". A missing port becomes default_port. No DNS.
 * Returns 0 or EINVAL; *out is written only on success.
 */
int sa_parse(struct sa *out, const char *s, uint16_t default_port);
/* Numeric address without port, length-delimited (not NUL-terminated). */
int sa_parse_ip(struct sa *out, const char *s, size_t len, uint16_t port);
void sa_set_port(struct sa *a, uint16_t port);
uint16_t sa_port(const struct sa *a);
int sa_family(const struct sa *a);
/* Writes "ip:port" ("[v6]:port") into buf; returns buf. */
char *sa_format(const struct sa *a, char *buf, size_t size);
/* Writes the address alone, no port; returns buf. */
char *sa_format_ip(const struct sa *a, char *buf, size_t size);
bool sa_equal(const struct sa *a, const struct sa *b);     /* address and port */
bool sa_equal_ip(const struct sa *a, const struct sa *b);  /* address only */
bool sa_is_any(const struct sa *a);
void sa_from_sockaddr(struct sa *out, const struct sockaddr *s, socklen_t len);

/* A network for access lists: "192.0.2.0/24", "2001:db8::/32", or a host address. */
struct sa_net {
	struct sa addr;
	unsigned prefix;
};
int sa_net_parse(struct sa_net *out, const char *s);
bool sa_net_contains(const struct sa_net *net, const struct sa *a);

#endif
