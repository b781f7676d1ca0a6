/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: child processes started and stopped by PID with deadlines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/proc.h"

unsigned long long
proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

int
proc_spawn(pid_t *pidp, char *const argv[], const char *log_path)
{
	int pfd[2], child_err = 0, err = 0;
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (pidp == NULL || argv == NULL || argv[0] == NULL)
		return EINVAL;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		int fd;

		close(pfd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent may have died between fork and prctl. */
		if (getppid() != parent)
			_exit(127);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(log_path ? log_path : "/dev/null",
		    O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		child_err = errno;
		if (write(pfd[1], &child_err, sizeof(child_err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(child_err)) {
		/* exec failed: reap the child and report why. */
		waitpid(pid, NULL, 0);
		return child_err ? child_err : ENOEXEC;
	}
	*pidp = pid;
	return 0;
}

int
proc_wait(pid_t pid, unsigned timeout_ms, int *status)
{
	unsigned long long deadline = proc_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (status)
				*status = st;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return errno;
		if (proc_now_ms() >= deadline)
			return ETIMEDOUT;
		usleep(10000);
	}
}

int
proc_stop(pid_t pid, int sig, unsigned timeout_ms, int *status)
{
	int err;

	if (pid <= 0)
		return EINVAL;
	if (kill(pid, sig) != 0 && errno != ESRCH)
		return errno;
	err = proc_wait(pid, timeout_ms, status);
	if (err != ETIMEDOUT)
		return err;
	kill(pid, SIGKILL);
	return proc_wait(pid, 5000, status);
}

bool
proc_alive(pid_t pid)
{
	int st;
	pid_t r;

	if (pid <= 0)
		return false;
	r = waitpid(pid, &st, WNOHANG);
	if (r == 0)
		return true;
	return false;
}

int
proc_mkdtemp(char *buf, size_t size, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(buf, size, "%s/%s.XXXXXX", tmp, prefix) >= size)
		return ENAMETOOLONG;
	if (mkdtemp(buf) == NULL)
		return errno;
	return 0;
}

int
proc_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	rc = system(cmd);
	return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void
proc_rmdir(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}
