/* SPDX-License-Identifier: BSD-2-Clause */
/* What SIGHUP reloads: a table of hooks, one per feature that can reload without a restart
 * (configuration values, TLS files, the trace file...). Each daemon owns one table, fills
 * it at start-up and runs it on SIGHUP. */
#ifndef SBC_COMMON_RELOAD_H
#define SBC_COMMON_RELOAD_H

#include <stddef.h>

/*
 * Reloads one feature. Returns 0, or an errno with a one-line reason in msg (size bytes);
 * a hook that fails keeps what it had (validate first, then swap in).
 */
typedef int (reload_h)(void *arg, char *msg, size_t size);

#define RELOAD_MAX_HOOKS 16
#define RELOAD_NAME_MAX 32

struct reload_hook {
	char name[RELOAD_NAME_MAX];   /* what the log and the README call it: "log_level" */
	reload_h *fn;
	void *arg;                    /* borrowed; outlives the table */
};

struct reload_table {
	struct reload_hook hook[RELOAD_MAX_HOOKS];
	unsigned n;                   /* in registration order: the order they run */
};

/* Adds a hook (name copied). Returns 0, EINVAL (no name or fn, or a name taken) or ENOSPC. */
int reload_hook_add(struct reload_table *t, const char *name, reload_h *fn, void *arg);

/* Called after each hook with its result and reason (msg is "" on success). */
typedef void (reload_result_h)(const char *name, int err, const char *msg, void *arg);
/*
 * Runs every hook in order, each whatever the others returned, reporting each to res
 * (may be NULL). Returns how many failed.
 */
unsigned reload_run(const struct reload_table *t, reload_result_h *res, void *arg);

#endif
