/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of common/heap_trim: nothing happens between looks, nor with little free, and
 * after a peak the freed pages go back to the kernel (the process's RSS falls), and only
 * what was freed since the last trim makes another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "heap_trim.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define BLOCKS 40000
#define BLOCK_SIZE 1024

static long
rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* HEAP_TRIM_TICKS - 1 ticks that must not trim, then the one that looks. */
static bool
minute(struct heap_trim *t)
{
	unsigned i;

	for (i = 0; i + 1 < HEAP_TRIM_TICKS; i++)
		assert_false(heap_trim_tick(t));
	return heap_trim_tick(t);
}

static void
test_heap_trim_idle_heap_untouched(void **state)
{
	struct heap_trim t = { 0 };

	(void)state;
	/* nothing freed worth a walk: no trim, whatever the tick */
	assert_false(minute(&t));
	assert_false(minute(&t));
}

static void
test_heap_trim_after_peak(void **state)
{
	struct heap_trim t = { 0 };
	char **b = calloc(BLOCKS, sizeof(*b));
	long before, after;
	size_t i;

	(void)state;
#ifdef UNDER_ASAN
	/* ASan's allocator is not glibc's: there is nothing of glibc's to trim */
	free(b);
	skip();
#endif
	assert_non_null(b);
	for (i = 0; i < BLOCKS; i++) {
		b[i] = malloc(BLOCK_SIZE);
		assert_non_null(b[i]);
		memset(b[i], 0xa5, BLOCK_SIZE);	/* resident */
	}
	/* keep one block in 64: the free space is in the middle, not only at the top */
	for (i = 0; i < BLOCKS; i++)
		if (i % 64 != 0) {
			free(b[i]);
			b[i] = NULL;
		}
	before = rss_kb();
	assert_true(minute(&t));
	after = rss_kb();
	print_message("rss %ld kB -> %ld kB\n", before, after);
	assert_true(before > 0 && after > 0);
	/* about 39 MB were freed: most of it must have left the process */
	assert_true(before - after > 20 * 1024);
	/* a second look finds nothing freed since: no walk */
	assert_false(minute(&t));
	/* a new peak and fall is trimmed again */
	for (i = 0; i < BLOCKS; i++)
		if (b[i] == NULL) {
			b[i] = malloc(BLOCK_SIZE);
			assert_non_null(b[i]);
			memset(b[i], 0x5a, BLOCK_SIZE);
		}
	assert_false(minute(&t));	/* in use again: nothing to give back */
	for (i = 0; i < BLOCKS; i++)
		if (i % 64 != 0) {
			free(b[i]);
			b[i] = NULL;
		}
	assert_true(minute(&t));
	for (i = 0; i < BLOCKS; i++)
		free(b[i]);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_trim_idle_heap_untouched),
		cmocka_unit_test(test_heap_trim_after_peak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
