/* SPDX-License-Identifier: BSD-2-Clause */
/* Owned copies of a TLS configuration: what a context reads again when its files are reloaded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport_int.h"

static int
str_dup(const char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst == NULL ? ENOMEM : 0;
}

void
tls_conf_clear(struct tls_conf *c)
{
	unsigned i;

	free((char *)c->cert_file);
	free((char *)c->key_file);
	free((char *)c->ca_file);
	free((char *)c->crl_file);
	free((char *)c->ciphers);
	free((char *)c->ciphersuites);
	for (i = 0; c->allow != NULL && i < c->nallow; i++)
		free((char *)c->allow[i]);
	free((char **)c->allow);
	memset(c, 0, sizeof(*c));
}

int
tls_conf_dup(struct tls_conf *dst, const struct tls_conf *src)
{
	struct tls_conf c;
	const char **allow = NULL;
	unsigned i;
	int err;

	memset(&c, 0, sizeof(c));
	c.min_version = src->min_version;
	c.max_version = src->max_version;
	c.verify_peer = src->verify_peer;
	if ((err = str_dup(&c.cert_file, src->cert_file)) ||
	    (err = str_dup(&c.key_file, src->key_file)) ||
	    (err = str_dup(&c.ca_file, src->ca_file)) ||
	    (err = str_dup(&c.crl_file, src->crl_file)) ||
	    (err = str_dup(&c.ciphers, src->ciphers)) ||
	    (err = str_dup(&c.ciphersuites, src->ciphersuites)))
		goto out;
	if (src->nallow > 0) {
		allow = calloc(src->nallow, sizeof(*allow));
		if (allow == NULL) {
			err = ENOMEM;
			goto out;
		}
		c.allow = allow;
		for (i = 0; i < src->nallow; i++) {
			if ((err = str_dup(&allow[i], src->allow[i])))
				goto out;
			c.nallow++;
		}
	}
 out:
	if (err)
		tls_conf_clear(&c);
	else
		*dst = c;
	return err;
}
