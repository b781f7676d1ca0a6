/* SPDX-License-Identifier: BSD-2-Clause */
/* Cryptographically secure random bytes from the kernel (getrandom). */
#ifndef SBC_COMMON_RAND_H
#define SBC_COMMON_RAND_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf with len CSPRNG bytes; returns 0 or an errno value. */
int rand_bytes(void *buf, size_t len);
/* A random 64-bit value; aborts if the kernel cannot supply entropy. */
uint64_t rand_u64(void);

#endif
