/* SPDX-License-Identifier: BSD-2-Clause */
/* The sk_lookup program (relay_lookup.bpf.c) compiled at build time, embedded in mediad. */
#ifndef SBC_MEDIAD_RELAY_BPF_OBJ_H
#define SBC_MEDIAD_RELAY_BPF_OBJ_H

extern const unsigned char relay_bpf_obj[];
extern const unsigned long relay_bpf_obj_len;

#endif
