/* SPDX-License-Identifier: BSD-2-Clause */
/* A private copy of struct redis_opts with the defaults filled in (what redis.c keeps). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"
#include "redis_opts.h"

static int
strdup_opt(const char **dst, const char *src)
{
	if (src == NULL || src[0] == '\0') {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(src);
	return *dst == NULL ? ENOMEM : 0;
}

static void
free_secret(const char *s)
{
	if (s != NULL) {
		explicit_bzero((char *)s, strlen(s));
		free((char *)s);
	}
}

void
redis_opts_clear(struct redis_opts *o)
{
	free((char *)o->host);
	free((char *)o->unix_path);
	free((char *)o->sentinels);
	free((char *)o->master_name);
	free_secret(o->password);
	free_secret(o->sentinel_password);
	memset(o, 0, sizeof(*o));
}

int
redis_opts_copy(struct redis_opts *dst, const struct redis_opts *src)
{
	int err;

	*dst = *src;
	dst->host = dst->unix_path = dst->password = NULL;
	dst->sentinels = dst->master_name = dst->sentinel_password = NULL;
	if (dst->port == 0)
		dst->port = 6379;
	if (dst->connect_timeout_ms == 0)
		dst->connect_timeout_ms = 1000;
	if (dst->cmd_timeout_ms == 0)
		dst->cmd_timeout_ms = 250;
	if (dst->backoff_min_ms == 0)
		dst->backoff_min_ms = 100;
	if (dst->backoff_max_ms == 0)
		dst->backoff_max_ms = 1000;
	if (dst->backoff_max_ms < dst->backoff_min_ms)
		dst->backoff_max_ms = dst->backoff_min_ms;
	err = strdup_opt(&dst->host, src->unix_path ? NULL : src->host);
	if (!err)
		err = strdup_opt(&dst->unix_path, src->unix_path);
	if (!err)
		err = strdup_opt(&dst->password, src->password);
	if (!err)
		err = strdup_opt(&dst->sentinels, src->sentinels);
	if (!err)
		err = strdup_opt(&dst->master_name, src->master_name);
	if (!err)
		err = strdup_opt(&dst->sentinel_password, src->sentinel_password);
	if (err)
		redis_opts_clear(dst);
	return err;
}
