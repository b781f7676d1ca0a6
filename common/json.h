/* SPDX-License-Identifier: BSD-2-Clause */
/* JSON text for records and tools: strings escaped so no value can break its line or field. */
#ifndef SBC_COMMON_JSON_H
#define SBC_COMMON_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * Appends s (len bytes, any content: NULs, newlines, invalid UTF-8) as one JSON string
 * with its quotes: '"' and '\' escaped, control bytes, DEL, C1 controls and bytes that
 * are not valid UTF-8 as \u00XX (so the line stays one line and valid UTF-8), valid
 * UTF-8 kept. A cut (sb full) is seen in sb->truncated.
 */
void json_str(struct strbuf *sb, const char *s, size_t len);
/* json_str of a NUL-terminated string; NULL gives null. */
void json_cstr(struct strbuf *sb, const char *s);
/* "key": (key escaped) */
void json_key(struct strbuf *sb, const char *key);

#endif
