/* SPDX-License-Identifier: BSD-2-Clause */
/* Allocation failure injection through the linker's --wrap (see oom_wrap.h). */
#include <stddef.h>

#include "lib/oom_wrap.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_reallocarray(void *p, size_t n, size_t m);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_reallocarray(void *p, size_t n, size_t m);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* Tests are single-threaded while armed: plain statics are enough. */
static bool oom_armed, oom_fired;
static unsigned long oom_count, oom_fail_at;

void
oom_arm(unsigned long fail_at)
{
	oom_count = 0;
	oom_fail_at = fail_at;
	oom_fired = false;
	oom_armed = true;
}

bool
oom_disarm(void)
{
	oom_armed = false;
	return oom_fired;
}

static bool
oom_now(void)
{
	if (!oom_armed || oom_count++ != oom_fail_at)
		return false;
	oom_fired = true;
	return true;
}

void *
__wrap_malloc(size_t n)
{
	return oom_now() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return oom_now() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return oom_now() ? NULL : __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t n, size_t m)
{
	return oom_now() ? NULL : __real_reallocarray(p, n, m);
}

char *
__wrap_strdup(const char *s)
{
	return oom_now() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return oom_now() ? NULL : __real_strndup(s, n);
}
