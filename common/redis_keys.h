/* SPDX-License-Identifier: BSD-2-Clause */
/* Redis keys written by one daemon and read by the other (README: "What the operator sees"). */
#ifndef SBC_COMMON_REDIS_KEYS_H
#define SBC_COMMON_REDIS_KEYS_H

/* Set of the ids of registered mediads; each has its TTL'd hash sbc:mediad:<id>. */
#define SBC_KEY_MEDIADS "sbc:mediads"
/* Prefix of a mediad's registration hash. */
#define SBC_KEY_MEDIAD_PREFIX "sbc:mediad:"
/* Prefix of a call's dialog record, written by sigproxy (field "state": ... "ended"). */
#define SBC_KEY_CALL_PREFIX "sbc:call:"
/* Prefix of a call's media record, written by the mediad that owns the call. */
#define SBC_KEY_MEDIA_PREFIX "sbc:media:"
/*
 * SIP trace control, written by an operator tool, read by every sigproxy once a second:
 * a hash with fields on (yes/no), call, number, peer (README "SIP trace").
 */
#define SBC_KEY_TRACE "sbc:trace"

#endif
