/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Allocation failure injection for unit tests: link the test with
 * the sbc_oom_wrap library (its link options wrap malloc, calloc, realloc,
 * reallocarray, strdup and strndup), then make the Nth allocation from now fail.
 */
#ifndef SBC_TESTS_OOM_WRAP_H
#define SBC_TESTS_OOM_WRAP_H

#include <stdbool.h>

/* Allocation number fail_at (0 = the next one) returns NULL; later ones succeed. */
void oom_arm(unsigned long fail_at);
/* Stops injecting; returns whether the armed failure happened. */
bool oom_disarm(void);

#endif
