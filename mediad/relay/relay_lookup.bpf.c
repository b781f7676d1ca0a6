/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * sk_lookup program of the batched I/O style: a UDP datagram for a media port of this
 * mediad (local address + port in relay_ports) goes to the socket the map names, the
 * receive socket of the worker that owns the media, instead of the port's own socket.
 * Everything else takes the kernel's normal lookup. Built with clang -target bpf.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "relay_bpf_key.h"

#define RELAY_AF_INET 2

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);     /* mediad sets the real size before loading */
	__type(key, struct relay_port_key);
	__type(value, __u64);
} relay_ports SEC(".maps");

SEC("sk_lookup")
int relay_lookup(struct bpf_sk_lookup *ctx)
{
	struct relay_port_key k = {};
	struct bpf_sock *sk;

	if (ctx->protocol != IPPROTO_UDP)
		return SK_PASS;
	k.family = (__u16)ctx->family;
	k.port = (__u16)ctx->local_port;
	if (ctx->family == RELAY_AF_INET) {
		k.ip[0] = ctx->local_ip4;
	} else {
		k.ip[0] = ctx->local_ip6[0];
		k.ip[1] = ctx->local_ip6[1];
		k.ip[2] = ctx->local_ip6[2];
		k.ip[3] = ctx->local_ip6[3];
	}
	sk = bpf_map_lookup_elem(&relay_ports, &k);
	if (sk == NULL)
		return SK_PASS;
	/*
	 * A failed assignment (the socket went away) is not a drop: the port's own
	 * socket, still bound, receives it through the normal lookup.
	 */
	bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return SK_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
