/* SPDX-License-Identifier: BSD-2-Clause */
/* The BPF programs compiled at build time and embedded in mediad: the sk_lookup program of
 * the batched style (relay_lookup.bpf.c) and the XDP program of the xdp style (relay_xdp.bpf.c). */
#ifndef SBC_MEDIAD_RELAY_BPF_OBJ_H
#define SBC_MEDIAD_RELAY_BPF_OBJ_H

extern const unsigned char relay_bpf_lookup_obj[];
extern const unsigned long relay_bpf_lookup_obj_len;
extern const unsigned char relay_bpf_xdp_obj[];
extern const unsigned long relay_bpf_xdp_obj_len;

#endif
