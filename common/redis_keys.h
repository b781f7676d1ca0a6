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
/* Prefix of a backend's health hash, written by every sigproxy that probes it. */
#define SBC_KEY_BACKEND_PREFIX "sbc:backend:"
/*
 * Live calls: a sorted set of Call-IDs scored by start time (epoch s), added by sigproxy at a
 * call's first record write and removed at its end; a reader removes a member whose record
 * is gone (expired) or ended, so listing calls never scans the keyspace.
 */
#define SBC_KEY_CALLS "sbc:calls"
/*
 * Events for the signalling side, a stream written by mediad: entries with type
 * (media_timeout), call_id, mediad, reason, after_s. Read by sigproxy through the
 * consumer group SBC_GROUP_SIGPROXY: one instance handles each (README "Calls the SBC
 * ends or moves"). Capped at about SBC_EVENTS_MAXLEN entries.
 */
#define SBC_KEY_EVENTS "sbc:events"
#define SBC_EVENTS_MAXLEN 10000
/*
 * Operator requests, a stream written by sbcctl (or any tool): entries with fields cmd
 * (hangup, drain, undrain), call_id or mediad, by (who asked). Read through the same
 * consumer group as sbc:events. Capped at about SBC_CONTROL_MAXLEN entries and expiring a
 * day after the last one (README "Operator requests").
 */
#define SBC_KEY_CONTROL "sbc:control"
#define SBC_CONTROL_MAXLEN 1000
#define SBC_CONTROL_TTL_S 86400
#define SBC_GROUP_SIGPROXY "sigproxy"
/*
 * The calls whose media record a mediad owns: a set of Call-IDs per mediad, written by
 * that mediad, read by sigproxy when the mediad is lost (its calls move elsewhere).
 */
#define SBC_KEY_MEDIAD_CALLS_PREFIX "sbc:mediad_calls:"
/* A call being moved to another mediad: SET NX PX by the one sigproxy that moves it. */
#define SBC_KEY_MOVE_PREFIX "sbc:move:"

#endif
