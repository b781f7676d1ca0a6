/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon-wide counters (ng commands and drops, calls, ports, Redis writes) in the registry. */
#include <stddef.h>
#include <stdint.h>

#include "mediad.h"
#include "metrics.h"

#define CMD_HELP "ng commands run (retransmissions answered from the cache excluded)"
#define CTR(field) offsetof(struct mediad_counters, field)

/* The daemon's counters, one row each; ng_op order for the per-command series. */
static const struct metrics_def mediad_counter_defs[] = {
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"unknown\"", CMD_HELP, CTR(cmd[0]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"ping\"", CMD_HELP, CTR(cmd[1]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"offer\"", CMD_HELP, CTR(cmd[2]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"answer\"", CMD_HELP, CTR(cmd[3]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"delete\"", CMD_HELP, CTR(cmd[4]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"query\"", CMD_HELP, CTR(cmd[5]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"list\"", CMD_HELP, CTR(cmd[6]) },
	{ "mediad_ng_commands_total", METRICS_COUNTER, "command=\"statistics\"", CMD_HELP,
	  CTR(cmd[7]) },
	{ "mediad_ng_errors_total", METRICS_COUNTER, NULL,
	  "ng commands answered with an error", CTR(errors) },
	{ "mediad_ng_dropped_total", METRICS_COUNTER, "reason=\"not-allowed\"",
	  "ng datagrams dropped without reply", CTR(dropped_acl) },
	{ "mediad_ng_dropped_total", METRICS_COUNTER, "reason=\"malformed\"", NULL,
	  CTR(dropped_malformed) },
	{ "mediad_ng_dropped_total", METRICS_COUNTER, "reason=\"in-progress\"", NULL,
	  CTR(dropped_in_progress) },
	{ "mediad_ng_cache_hits_total", METRICS_COUNTER, NULL,
	  "retransmitted ng commands answered from the cookie cache", CTR(cache_hits) },
	{ "mediad_ng_cookie_collisions_total", METRICS_COUNTER, NULL,
	  "cookies reused by a different request (run as new)", CTR(cookie_collisions) },
	{ "mediad_calls_active", METRICS_GAUGE, NULL, "calls held now", CTR(calls_active) },
	{ "mediad_calls_total", METRICS_COUNTER, NULL, "calls created", CTR(calls_total) },
	{ "mediad_ports_exhausted_total", METRICS_COUNTER, NULL,
	  "offers refused with \"Ran out of ports\"", CTR(no_ports) },
	{ "mediad_redis_writes_total", METRICS_COUNTER, NULL,
	  "Redis commands queued for call state and registration", CTR(redis_writes) },
	{ "mediad_redis_write_failures_total", METRICS_COUNTER, NULL,
	  "Redis writes lost (disconnected or error reply)", CTR(redis_write_failures) },
	{ "mediad_calls_moved_away_total", METRICS_COUNTER, NULL,
	  "calls dropped here because their record names another mediad (moved while this one "
	  "was cut off or frozen)", CTR(calls_moved_away) },
	{ "mediad_encryption_lines_rejected_total", METRICS_COUNTER,
	  "reason=\"plain-on-required\"", "media lines refused (port 0): plain RTP on an "
	  "encryption = required interface, SRTP on an encryption = off one, or SRTP without a "
	  "usable key", CTR(enc_rejected[0]) },
	{ "mediad_encryption_lines_rejected_total", METRICS_COUNTER, "reason=\"srtp-on-off\"",
	  NULL, CTR(enc_rejected[1]) },
	{ "mediad_encryption_lines_rejected_total", METRICS_COUNTER, "reason=\"no-key\"", NULL,
	  CTR(enc_rejected[2]) },
	{ "mediad_encryption_refused_total", METRICS_COUNTER, NULL,
	  "offers and answers refused: no media line could be carried as the interfaces' "
	  "encryption demands", CTR(enc_refused) },
	{ "mediad_encryption_keys_stripped_total", METRICS_COUNTER, NULL,
	  "media lines an ng request wanted as SRTP towards an encryption = off interface: "
	  "offered there as plain RTP, no key sent", CTR(keys_stripped) },
	{ "mediad_osrtp_total", METRICS_COUNTER, "role=\"answered\"",
	  "best-effort SRTP (RFC 8643: RTP/AVP with a=crypto) offers answered with a key, and "
	  "such offers made", CTR(osrtp_answered) },
	{ "mediad_osrtp_total", METRICS_COUNTER, "role=\"offered\"", NULL, CTR(osrtp_offered) },
	{ "mediad_reloads_total", METRICS_COUNTER, "result=\"ok\"",
	  "SIGHUP reloads, by result (failed: some hook kept its old state)", CTR(reloads_ok) },
	{ "mediad_reloads_total", METRICS_COUNTER, "result=\"failed\"", NULL,
	  CTR(reloads_failed) },
	{ "mediad_events_total", METRICS_COUNTER, "type=\"media_timeout\"",
	  "events added to the stream sbc:events for sigproxy (which ends the call)",
	  CTR(events_media_timeout) },
	{ NULL, 0, NULL, NULL, 0 },
};

#define TOL_HELP "SDPs carried although they deviate from the RFCs, by kind of deviation"

/* enum mediad_tolerated order. */
static const struct metrics_def mediad_tolerated_defs[] = {
	{ "mediad_sdp_tolerated_total", METRICS_COUNTER, "kind=\"answer-missing-lines\"",
	  TOL_HELP, CTR(tolerated[MEDIAD_TOL_ANSWER_MISSING_LINES]) },
	{ "mediad_sdp_tolerated_total", METRICS_COUNTER, "kind=\"crypto-line-skipped\"", NULL,
	  CTR(tolerated[MEDIAD_TOL_CRYPTO_LINE_SKIPPED]) },
	{ "mediad_sdp_tolerated_total", METRICS_COUNTER, "kind=\"mki\"", NULL,
	  CTR(tolerated[MEDIAD_TOL_MKI]) },
	{ "mediad_sdp_tolerated_total", METRICS_COUNTER, "kind=\"capneg\"", NULL,
	  CTR(tolerated[MEDIAD_TOL_CAPNEG]) },
	{ "mediad_media_lines_refused_total", METRICS_COUNTER, "reason=\"not-rtp\"",
	  "media lines refused alone (port 0) that mediad does not relay: not RTP, or "
	  "DTLS-SRTP without an SDES key", CTR(lines_refused[0]) },
	{ "mediad_media_lines_refused_total", METRICS_COUNTER, "reason=\"dtls-only\"", NULL,
	  CTR(lines_refused[1]) },
	{ NULL, 0, NULL, NULL, 0 },
};

int
mediad_counters_register(struct mediad *md)
{
	int err;

	err = metrics_register_table(md->metrics, mediad_counter_defs, &md->ctr);
	if (err == 0)
		err = metrics_register_table(md->metrics, mediad_tolerated_defs, &md->ctr);
	return err;
}
