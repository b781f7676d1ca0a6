/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP sockets as both daemons open them: non-blocking, close-on-exec, v6-only for v6. */
#ifndef SBC_COMMON_SOCK_H
#define SBC_COMMON_SOCK_H

#include "addr.h"

/*
 * Opens a UDP socket bound to local (port 0 picks one). rcvbuf > 0 asks for that
 * receive buffer size (best effort). IPv6 sockets are v6-only so that a v4 and a v6
 * socket can share a port. Returns 0 and the descriptor in *fdp (caller closes it),
 * or the errno of the step that failed; *fdp is written only on success.
 */
int sock_udp_bind(const struct sa *local, int rcvbuf, int *fdp);

/*
 * Whether a's IP is an address of this host (or the wildcard): binds a UDP socket to it
 * with port 0 and closes it at once, nothing is sent. Returns 0, or the errno of the
 * bind (EADDRNOTAVAIL: not on this host), or EINVAL for a NULL or unset address.
 */
int sock_addr_local(const struct sa *a);

/* The address a socket is bound to. Returns 0 or errno; *out written only on success. */
int sock_local_addr(int fd, struct sa *out);

#endif
