/* SPDX-License-Identifier: BSD-2-Clause */
/* Source-address access lists: a flat array of networks scanned per packet or accept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

struct acl {
	struct sa_net *nets;   /* owned, count entries */
	unsigned count;
	unsigned cap;
	bool any;              /* "any" was added */
};

int
acl_alloc(struct acl **ap)
{
	struct acl *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ENOMEM;
	*ap = a;
	return 0;
}

void
acl_free(struct acl *a)
{
	if (a == NULL)
		return;
	free(a->nets);
	free(a);
}

int
acl_add(struct acl *a, const char *net)
{
	struct sa_net n;
	int err;

	if (a == NULL || net == NULL)
		return EINVAL;
	if (strcmp(net, "any") == 0) {
		a->any = true;
		return 0;
	}
	err = sa_net_parse(&n, net);
	if (err)
		return err;
	if (a->count == a->cap) {
		unsigned ncap = a->cap ? a->cap * 2 : 8;
		struct sa_net *nn;

		nn = realloc(a->nets, ncap * sizeof(*nn));
		if (nn == NULL)
			return ENOMEM;
		a->nets = nn;
		a->cap = ncap;
	}
	a->nets[a->count++] = n;
	return 0;
}

int
acl_parse(struct acl **ap, const char *s, const char **bad, size_t *badlen)
{
	struct acl *a = NULL;
	const char *p = s;
	int err;

	if (s == NULL)
		return EINVAL;
	err = acl_alloc(&a);
	if (err)
		return err;
	while (*p) {
		char tok[128];
		size_t n;

		p += strspn(p, " ,\t");
		if (*p == '\0')
			break;
		n = strcspn(p, " ,\t");
		if (n >= sizeof(tok)) {
			err = EINVAL;
		} else {
			memcpy(tok, p, n);
			tok[n] = '\0';
			err = acl_add(a, tok);
		}
		if (err) {
			if (err == EINVAL && bad != NULL) {
				*bad = p;
				if (badlen != NULL)
					*badlen = n;
			}
			goto out;
		}
		p += n;
	}
 out:
	if (err)
		acl_free(a);
	else
		*ap = a;
	return err;
}

bool
acl_allows(const struct acl *a, const struct sa *src)
{
	struct sa v4;
	const struct sa *s = src;
	unsigned i;

	if (a == NULL || src == NULL)
		return false;
	if (a->any)
		return true;
	/* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; match them as IPv4. */
	if (src->u.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&src->u.in6.sin6_addr)) {
		memset(&v4, 0, sizeof(v4));
		v4.u.in.sin_family = AF_INET;
		v4.u.in.sin_port = src->u.in6.sin6_port;
		memcpy(&v4.u.in.sin_addr, &src->u.in6.sin6_addr.s6_addr[12], 4);
		v4.len = sizeof(v4.u.in);
		s = &v4;
	}
	for (i = 0; i < a->count; i++)
		if (sa_net_contains(&a->nets[i], s))
			return true;
	return false;
}

unsigned
acl_count(const struct acl *a)
{
	return a == NULL ? 0 : a->count + (a->any ? 1 : 0);
}
