/* SPDX-License-Identifier: BSD-2-Clause */
/* UTF-8 validation for text that came from the network (log lines, JSON records). */
#ifndef SBC_COMMON_UTF8_H
#define SBC_COMMON_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence of two to four bytes at s (at most n bytes), 0 when
 * it is not one. Overlong forms, surrogates, code points above U+10FFFF and the C1
 * controls (U+0080..U+009F, which some terminals obey) are refused.
 */
size_t utf8_len(const unsigned char *s, size_t n);

#endif
