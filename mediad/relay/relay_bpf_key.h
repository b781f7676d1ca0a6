/* SPDX-License-Identifier: BSD-2-Clause */
/* The key of the sk_lookup port map, shared by the BPF program (relay_lookup.bpf.c) and
 * mediad (relay_bpf.c, relay_ports.c): one local address and port of a media socket. */
#ifndef SBC_MEDIAD_RELAY_BPF_KEY_H
#define SBC_MEDIAD_RELAY_BPF_KEY_H

#include <linux/types.h>

struct relay_port_key {
	__u32 ip[4];     /* network order; IPv4 in ip[0], the rest zero */
	__u16 port;      /* host order, as struct bpf_sk_lookup gives local_port */
	__u16 family;    /* AF_INET or AF_INET6 */
};

#endif
