/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * XDP program of the xdp I/O style, one copy attached to each media interface: a UDP
 * datagram (IPv4 without options or fragments, or IPv6 without extension headers) for a
 * media port of this mediad that arrives on the receive queue of the worker owning the
 * port goes to that worker's AF_XDP socket. Everything else, or a full socket, passes to
 * the kernel (where the sk_lookup program of the batched style still steers it).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "relay_bpf_key.h"

#define RELAY_AF_INET 2
#define RELAY_AF_INET6 10

/* Media port -> receive queue index of the owning worker's AF_XDP socket. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);     /* mediad sets the real size before loading */
	__type(key, struct relay_port_key);
	__type(value, __u32);
} relay_xdp_ports SEC(".maps");

/* Receive queue index -> the AF_XDP socket bound to it. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} relay_xsks SEC(".maps");

SEC("xdp")
int relay_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct relay_port_key k = {};
	struct udphdr *udp;
	__u32 *q;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(0x3fff)) != 0)
			return XDP_PASS;
		udp = (void *)(ip + 1);
		k.family = RELAY_AF_INET;
		k.ip[0] = ip->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
		k.family = RELAY_AF_INET6;
		__builtin_memcpy(k.ip, &ip6->daddr, 16);
	} else {
		return XDP_PASS;
	}
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	k.port = bpf_ntohs(udp->dest);
	q = bpf_map_lookup_elem(&relay_xdp_ports, &k);
	/* Another queue's worker owns it: the kernel path delivers it to that worker. */
	if (q == NULL || *q != ctx->rx_queue_index)
		return XDP_PASS;
	return bpf_redirect_map(&relay_xsks, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
