/* SPDX-License-Identifier: BSD-2-Clause */
/* Files a daemon appends records to (the SIP trace, the compliance record). */
#ifndef SBC_COMMON_FILE_H
#define SBC_COMMON_FILE_H

/*
 * Opens path for appending, created 0640 when absent. O_APPEND: each write(2) lands whole at
 * the end, whatever logrotate (copytruncate included) or another writer did. 0 with *fdp, or
 * the open(2) errno.
 */
int file_open_append(const char *path, int *fdp);

#endif
