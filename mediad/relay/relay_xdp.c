/* SPDX-License-Identifier: BSD-2-Clause */
/* The xdp style's kernel side: the embedded XDP program attached (native mode, through a BPF
 * link that dies with the process) to every media interface, and its maps: media ports ->
 * owning worker's queue, queue -> AF_XDP socket. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <sys/ioctl.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "relay_bpf_obj.h"
#include "relay_int.h"

/* Whether a is in the network of interface address i (a v4 /8 on lo holds all of 127/8). */
static bool
in_net(const struct ifaddrs *i, const struct sa *a)
{
	const uint8_t *x, *y, *m;
	size_t n, k;

	if (i->ifa_netmask == NULL)
		return false;
	if (sa_family(a) == AF_INET) {
		x = (const uint8_t *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
		m = (const uint8_t *)&((const struct sockaddr_in *)i->ifa_netmask)->sin_addr;
		y = (const uint8_t *)&a->u.in.sin_addr;
		n = 4;
	} else {
		x = (const uint8_t *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		m = (const uint8_t *)&((const struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
		y = (const uint8_t *)&a->u.in6.sin6_addr;
		n = 16;
	}
	for (k = 0; k < n; k++)
		if ((x[k] & m[k]) != (y[k] & m[k]))
			return false;
	return true;
}

/* The interface that holds address a, else one whose network holds it (its index and
 * name); ENXIO when none does. */
static int
iface_of(const struct sa *a, int *ifindex, char *name)
{
	struct ifaddrs *ifa, *i, *net = NULL;
	struct sa s;
	int err = ENXIO;

	if (getifaddrs(&ifa) != 0)
		return errno;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != sa_family(a))
			continue;
		sa_from_sockaddr(&s, i->ifa_addr, i->ifa_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		if (sa_equal_ip(&s, a))
			break;
		if (net == NULL && in_net(i, a))
			net = i;
	}
	if (i == NULL)
		i = net;
	if (i != NULL) {
		snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
		*ifindex = (int)if_nametoindex(i->ifa_name);
		err = *ifindex > 0 ? 0 : ENXIO;
	}
	freeifaddrs(ifa);
	return err;
}

static int
iface_mac(const char *name, uint8_t *mac)
{
	struct ifreq r;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&r, 0, sizeof(r));
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &r) != 0)
		err = errno;
	else
		memcpy(mac, r.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* Loads the program for one interface and attaches it in driver (native) mode. */
static int
iface_attach(struct relay_xdp_if *ifc, unsigned max_ports, char *why, size_t whysize)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	struct bpf_program *prog;
	struct bpf_map *ports, *xsks;
	int err, fd;

	err = relay_bpf_load(&ifc->obj, relay_bpf_xdp_obj, relay_bpf_xdp_obj_len, "XDP",
	    "relay_xdp_ports", max_ports, why, whysize);
	if (err)
		return err;
	ports = bpf_object__find_map_by_name(ifc->obj, "relay_xdp_ports");
	xsks = bpf_object__find_map_by_name(ifc->obj, "relay_xsks");
	prog = bpf_object__find_program_by_name(ifc->obj, "relay_xdp");
	if (ports == NULL || xsks == NULL || prog == NULL) {
		snprintf(why, whysize, "XDP object without its maps or program");
		return EINVAL;
	}
	ifc->ports_fd = bpf_map__fd(ports);
	ifc->xsks_fd = bpf_map__fd(xsks);
	fd = bpf_link_create(bpf_program__fd(prog), ifc->ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		err = errno;
		snprintf(why, whysize, "%s: native XDP attach: %s%s", ifc->name, strerror(err),
		    err == EOPNOTSUPP ? " (the driver has no native XDP)" :
		    err == EBUSY || err == EEXIST ? " (another XDP program is attached)" : "");
		return err;
	}
	ifc->link_fd = fd;
	return 0;
}

void
relay_xdp_close(struct relay_xdp *x)
{
	unsigned i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nifs; i++) {
		if (x->ifs[i].link_fd >= 0)
			close(x->ifs[i].link_fd);
		if (x->ifs[i].obj != NULL)
			bpf_object__close(x->ifs[i].obj);
	}
	free(x);
}

int
relay_xdp_open(struct relay_xdp **xp, const struct sa *addrs, unsigned naddrs,
    unsigned max_ports, char *why, size_t whysize)
{
	struct relay_xdp *x;
	char name[IF_NAMESIZE];
	unsigned i, j;
	int err = 0, ifindex = 0;

	if (naddrs == 0) {
		snprintf(why, whysize, "no media interface address");
		return EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return ENOMEM;
	for (i = 0; i < naddrs && err == 0; i++) {
		err = iface_of(&addrs[i], &ifindex, name);
		if (err) {
			snprintf(why, whysize, "no interface holds a media address");
			break;
		}
		for (j = 0; j < x->nifs && x->ifs[j].ifindex != ifindex; j++)
			;
		if (x->naddr < RELAY_XDP_MAX_ADDR &&
		    relay_port_key_from_sa(&x->addr[x->naddr].ip, &addrs[i]) == 0) {
			x->addr[x->naddr].ip.port = 0;
			x->addr[x->naddr++].ifi = j;
		}
		if (j < x->nifs)
			continue;
		if (x->nifs == RELAY_XDP_MAX_IF) {
			err = E2BIG;
			snprintf(why, whysize, "more than %d media interfaces", RELAY_XDP_MAX_IF);
			break;
		}
		x->ifs[j].ifindex = ifindex;
		x->ifs[j].link_fd = -1;
		snprintf(x->ifs[j].name, sizeof(x->ifs[j].name), "%s", name);
		x->nifs++;
		err = iface_mac(name, x->ifs[j].mac);
		if (err) {
			snprintf(why, whysize, "%s: no hardware address: %s", name, strerror(err));
			break;
		}
		err = iface_attach(&x->ifs[j], max_ports, why, whysize);
	}
	if (err)
		relay_xdp_close(x);
	else
		*xp = x;
	return err;
}

struct relay_xdp_if *
relay_xdp_iface(struct relay_xdp *x, int ifindex)
{
	unsigned i;

	for (i = 0; x != NULL && i < x->nifs; i++)
		if (x->ifs[i].ifindex == ifindex)
			return &x->ifs[i];
	return NULL;
}

struct relay_xdp_if *
relay_xdp_iface_of(struct relay_xdp *x, const struct relay_port_key *k)
{
	struct relay_port_key ip = *k;
	unsigned i;

	ip.port = 0;
	for (i = 0; x != NULL && i < x->naddr; i++)
		if (memcmp(&x->addr[i].ip, &ip, sizeof(ip)) == 0)
			return &x->ifs[x->addr[i].ifi];
	return NULL;
}

int
relay_xdp_port_add(struct relay_xdp_if *ifc, const struct relay_port_key *k, unsigned queue)
{
	__u32 v = queue;

	if (bpf_map_update_elem(ifc->ports_fd, k, &v, BPF_ANY) != 0)
		return errno;
	return 0;
}

void
relay_xdp_port_del(struct relay_xdp_if *ifc, const struct relay_port_key *k)
{
	(void)bpf_map_delete_elem(ifc->ports_fd, k);
}

int
relay_xdp_sock_map(struct relay_xdp_if *ifc, unsigned queue, int xsk_fd)
{
	__u32 q = queue, v = (__u32)xsk_fd;

	if (bpf_map_update_elem(ifc->xsks_fd, &q, &v, BPF_ANY) != 0)
		return errno;
	return 0;
}
