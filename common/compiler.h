/* SPDX-License-Identifier: BSD-2-Clause */
/* Compiler hints shared by the hot paths of both daemons. */
#ifndef SBC_COMMON_COMPILER_H
#define SBC_COMMON_COMPILER_H

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#endif
