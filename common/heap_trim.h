/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hands the free pages of glibc's heaps back to the kernel after a load peak. A daemon that
 * held many calls for a while keeps their freed memory resident otherwise (the soak
 * benchmark measured sigproxy 5 % and mediad 2 % above an earlier idle point with the bytes
 * in use unchanged). Called from a periodic tick of the control thread.
 */
#ifndef SBC_COMMON_HEAP_TRIM_H
#define SBC_COMMON_HEAP_TRIM_H

#include <stdbool.h>
#include <stddef.h>

/* Free bytes in the heaps below which a trim is not worth its walk. */
#define HEAP_TRIM_MIN_FREE (4u << 20)
/*
 * Ticks between two looks at the heaps (once a minute with a 1 s tick): rare enough that
 * the look (mallinfo2 walks the free lists) costs nothing measurable.
 */
#define HEAP_TRIM_TICKS 60

struct heap_trim {
	unsigned ticks;
	/*
	 * Free bytes at the last trim, lowered to the least seen since: glibc counts trimmed
	 * pages as free still, so only what was freed since (a new fall) is worth a trim.
	 */
	size_t free_low;
	bool trimmed;
};

/*
 * One tick: every HEAP_TRIM_TICKS calls it looks at the heaps and trims them when more than
 * half of them is free and at least HEAP_TRIM_MIN_FREE was freed since the last trim (or
 * the least free seen after it). Returns true when it trimmed. t starts zeroed.
 */
bool heap_trim_tick(struct heap_trim *t);

#endif
