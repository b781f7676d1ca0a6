/* SPDX-License-Identifier: BSD-2-Clause */
/* Files a daemon appends records to. */
#include <errno.h>
#include <fcntl.h>

#include "file.h"

int
file_open_append(const char *path, int *fdp)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return errno;
	*fdp = fd;
	return 0;
}
