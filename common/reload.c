/* SPDX-License-Identifier: BSD-2-Clause */
/* The SIGHUP reload hook table: registration and one pass over every hook. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reload.h"

int
reload_hook_add(struct reload_table *t, const char *name, reload_h *fn, void *arg)
{
	unsigned i;

	if (t == NULL || name == NULL || name[0] == '\0' || fn == NULL ||
	    strlen(name) >= RELOAD_NAME_MAX)
		return EINVAL;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->hook[i].name, name) == 0)
			return EINVAL;
	if (t->n == RELOAD_MAX_HOOKS)
		return ENOSPC;
	snprintf(t->hook[t->n].name, sizeof(t->hook[t->n].name), "%s", name);
	t->hook[t->n].fn = fn;
	t->hook[t->n].arg = arg;
	t->n++;
	return 0;
}

unsigned
reload_run(const struct reload_table *t, reload_result_h *res, void *arg)
{
	char msg[256];
	unsigned i, failed = 0;
	int err;

	for (i = 0; t != NULL && i < t->n; i++) {
		msg[0] = '\0';
		err = t->hook[i].fn(t->hook[i].arg, msg, sizeof(msg));
		if (err) {
			failed++;
			if (msg[0] == '\0')
				snprintf(msg, sizeof(msg), "%s", strerror(err));
		}
		if (res != NULL)
			res(t->hook[i].name, err, err ? msg : "", arg);
	}
	return failed;
}
