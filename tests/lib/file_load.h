/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: read a corpus or seed file whole. */
#ifndef SBC_TESTS_FILE_LOAD_H
#define SBC_TESTS_FILE_LOAD_H

#include <stddef.h>

/*
 * Reads dir/name into a malloc'd buffer (the caller frees it) with a NUL after
 * the last byte, so text files can be used as strings; *len excludes the NUL.
 * Returns NULL with errno set when the file cannot be read whole.
 */
char *file_load(const char *dir, const char *name, size_t *len);

#endif
