/* SPDX-License-Identifier: BSD-2-Clause */
#include <malloc.h>

#include "heap_trim.h"
#include "log.h"

bool
heap_trim_tick(struct heap_trim *t)
{
	struct mallinfo2 mi;

	if (++t->ticks < HEAP_TRIM_TICKS)
		return false;
	t->ticks = 0;
	/* Both walk every arena: a look every HEAP_TRIM_TICKS, the trim only after a fall. */
	mi = mallinfo2();
	if (t->trimmed && mi.fordblks < t->free_low)
		t->free_low = mi.fordblks;
	if (mi.fordblks <= mi.uordblks ||
	    mi.fordblks - (t->trimmed ? t->free_low : 0) < HEAP_TRIM_MIN_FREE)
		return false;
	malloc_trim(0);
	log_info("heap_trimmed free_kb=%zu in_use_kb=%zu", mi.fordblks / 1024, mi.uordblks / 1024);
	t->trimmed = true;
	t->free_low = mi.fordblks;
	return true;
}
