/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: start child processes and stop them by PID within a deadline. */
#ifndef SBC_TESTS_PROC_H
#define SBC_TESTS_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Starts argv[0] (looked up in PATH) with argv. stdout and stderr go to log_path
 * (appended; NULL: /dev/null), stdin is /dev/null. The child gets SIGKILL if the
 * test process dies first (PR_SET_PDEATHSIG), so a crashed test leaves nothing
 * running (the signal follows the forking thread: spawn from a thread that
 * outlives the child, normally the test's main thread). Returns 0 with *pidp set, or an errno value (ENOENT when argv[0]
 * cannot be executed: the child reports exec failure through a pipe).
 */
int proc_spawn(pid_t *pidp, char *const argv[], const char *log_path);

/*
 * Waits up to timeout_ms for pid to exit and reaps it. Returns 0 with *status
 * (may be NULL) as from waitpid, or ETIMEDOUT (the child keeps running), or ECHILD.
 */
int proc_wait(pid_t pid, unsigned timeout_ms, int *status);

/*
 * Sends sig, waits up to timeout_ms, then SIGKILL and reaps. Returns 0 when the
 * process is gone and reaped (*status may be NULL), or an errno value.
 * Safe to call on a pid that already exited but was not reaped yet.
 */
int proc_stop(pid_t pid, int sig, unsigned timeout_ms, int *status);

/* True while pid runs; a child found exited is reaped here (its status is lost). */
bool proc_alive(pid_t pid);

/* Milliseconds on the monotonic clock, for deadlines in tests. */
unsigned long long proc_now_ms(void);

/* Creates a private directory "/tmp/<prefix>.XXXXXX" (TMPDIR respected) into buf. */
int proc_mkdtemp(char *buf, size_t size, const char *prefix);
/* Removes dir and the regular files and sockets directly inside it. */
void proc_rmdir(const char *dir);

/*
 * Runs a shell command line made like printf (certificate scripts, file shuffling in
 * fixtures). Returns its exit status, or -1 when it did not exit normally.
 */
int proc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
