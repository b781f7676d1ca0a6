/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP socket creation shared by the ng server and client, the media ports and SIP/UDP. */
#include <errno.h>
#include <unistd.h>

#include "sock.h"

int
sock_udp_bind(const struct sa *local, int rcvbuf, int *fdp)
{
	int fd, err, on = 1;

	fd = socket(sa_family(local), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sa_family(local) == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		goto fail;
	/* Best effort: the kernel caps it at rmem_max, and a small buffer still works. */
	if (rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, &local->u.sa, local->len) < 0)
		goto fail;
	*fdp = fd;
	return 0;
 fail:
	err = errno;
	close(fd);
	return err;
}

int
sock_local_addr(int fd, struct sa *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return errno;
	sa_from_sockaddr(out, (struct sockaddr *)&ss, len);
	return 0;
}

int
sock_addr_local(const struct sa *a)
{
	struct sa probe;
	int fd, err;

	if (a == NULL || (sa_family(a) != AF_INET && sa_family(a) != AF_INET6))
		return EINVAL;
	/* Port 0: the question is the address, not whether a daemon holds the port. */
	probe = *a;
	sa_set_port(&probe, 0);
	err = sock_udp_bind(&probe, 0, &fd);
	if (err)
		return err;
	close(fd);
	return 0;
}
