/* SPDX-License-Identifier: BSD-2-Clause */
/* Source-address access lists: IPv4/IPv6 networks a listener accepts traffic from. */
#ifndef SBC_SIGPROXY_ACL_H
#define SBC_SIGPROXY_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct acl;

/* An empty list (denies everything). Caller owns *ap: acl_free(). Returns 0 or ENOMEM. */
int acl_alloc(struct acl **ap);
void acl_free(struct acl *a);
/* Adds "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" or "any". Returns 0, EINVAL, ENOMEM. */
int acl_add(struct acl *a, const char *net);
/*
 * Builds a list from "net, net net" (comma and/or space separated). On EINVAL,
 * *bad (if non-NULL) points at the offending entry within s (its length in
 * *badlen). Returns 0, EINVAL, ENOMEM; *ap written only on success.
 */
int acl_parse(struct acl **ap, const char *s, const char **bad, size_t *badlen);
/* True when a's address (port ignored) is in one of the networks. IPv4-mapped
 * IPv6 sources (::ffff:a.b.c.d) match IPv4 entries. */
bool acl_allows(const struct acl *a, const struct sa *src);
unsigned acl_count(const struct acl *a);

#endif
