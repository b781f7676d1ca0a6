/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbc-test-freeze-thread TID MS: stops one thread of a running process for MS
 * milliseconds and lets it go again, printing "frozen TID T" and "thawed TID T" (T:
 * CLOCK_MONOTONIC in ms when it happened). The other threads keep running, which is what a
 * worker stuck in a packet or a lock looks like from outside. Uses ptrace's seize and
 * interrupt, which stop only that thread (SIGSTOP would stop the whole process).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

/* CLOCK_MONOTONIC in ms: the test compares it with the notification socket's times. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	struct timespec ts;
	pid_t tid;
	long ms;
	int st;

	if (argc != 3) {
		fprintf(stderr, "usage: sbc-test-freeze-thread TID MS\n");
		return 2;
	}
	tid = (pid_t)strtol(argv[1], NULL, 10);
	ms = strtol(argv[2], NULL, 10);
	if (tid <= 0 || ms < 0 || ms > 600000) {
		fprintf(stderr, "sbc-test-freeze-thread: bad TID or MS\n");
		return 2;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
		fprintf(stderr, "sbc-test-freeze-thread: ptrace %d: %s\n", (int)tid, strerror(errno));
		return 1;
	}
	if (waitpid(tid, &st, __WALL) != tid) {
		fprintf(stderr, "sbc-test-freeze-thread: waitpid: %s\n", strerror(errno));
		return 1;
	}
	printf("frozen %d %lld\n", (int)tid, mono_ms());
	fflush(stdout);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	if (ptrace(PTRACE_DETACH, tid, NULL, NULL) != 0) {
		fprintf(stderr, "sbc-test-freeze-thread: detach: %s\n", strerror(errno));
		return 1;
	}
	printf("thawed %d %lld\n", (int)tid, mono_ms());
	return 0;
}
