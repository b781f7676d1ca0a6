/* SPDX-License-Identifier: BSD-2-Clause */
/* sbc-test-peer: options, the run from signalling to delete, the final checks and the summary. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sbc-test-peer (--mediad BIN [--workers N] | --ng IP:PORT) [options]\n"
	    "  --media-timeout S   spawned mediad's media_timeout (default 60, 0: off)\n"
	    "  --io STYLE          spawned mediad's io (auto, sockets, batched, xdp); it must run\n"
	    "                      that style and carry the media with it (auto=STYLE: expect STYLE)\n"
	    "  --suite NAME        SDES suite (default AES_CM_128_HMAC_SHA1_80)\n"
	    "  --packets N         packets per direction per call (default 200)\n"
	    "  --rate PPS          packets/s per direction per call (default 50)\n"
	    "  --calls N           calls in parallel (default 1)\n"
	    "  --rtp-caller        the RTP party offers (default: the SRTP party offers)\n"
	    "  --rekey             re-offer with a new SRTP key mid-stream\n"
	    "  --hold              caller re-offers sendonly, then sendrecv\n"
	    "  --forge             inject forged and replayed SRTP packets\n"
	    "  --dtmf              mix RFC 4733 telephone-event packets into the stream\n"
	    "  --osrtp             the SRTP party speaks best-effort SRTP (RFC 8643: RTP/AVP\n"
	    "                      with a=crypto); with --rtp-caller the relay offers it that\n"
	    "  --out-encryption E  spawned mediad's outside interface: required (default),\n"
	    "                      optional or off (the inside one is off)\n"
	    "  --max-loss N        lost packets allowed per direction per call (default 0)\n"
	    "  --rekey-loss N      extra loss allowed around each re-key (default 5)\n"
	    "  --addr-base A.B.C   our parties bind A.B.C.3 (SRTP) and A.B.C.4 (RTP); a spawned\n"
	    "                      mediad gets A.B.C.1 (outside) and A.B.C.2 (inside)\n"
	    "  --measure-pid PID   report CPU per relayed packet and RSS per call of PID\n"
	    "  --measure           with --mediad: measure the spawned mediad\n"
	    "  --no-errors-check   do not compare the relay's error counters (other relays)\n"
	    "  --quiet             print only the first failed check and the summary\n"
	    "  --initial-seq N     even calls start their RTP sequence numbers at N (+ call\n"
	    "                      index): near 65535 they wrap (default: random)\n"
	    "  --rtcp              both parties send RTCP reports (SRTCP on the SRTP side) with\n"
	    "                      rtcp-mux; SRTCP indexes from the relay must only grow\n"
	    "  --kill-restart MS   with --mediad: kill -9 mediad MS ms into the stream and start\n"
	    "                      it again; media must resume within 1 s, nothing sent later\n"
	    "                      may be lost or fail authentication, and the new mediad must\n"
	    "                      count no drop\n"
	    "  --sabotage WHAT     break one thing on purpose so a check must fail: drop (one\n"
	    "                      packet not sent), corrupt (payload changed after the send\n"
	    "                      record), wrongkey (SRTP party switches to an unsignalled key),\n"
	    "                      genuine-forge (the \"forged\" packets carry a valid tag),\n"
	    "                      unencrypted (SRTP party asks for UNENCRYPTED_SRTP)\n");
}

/* utime + stime of a process in microseconds, and its RSS in kB. */
static int
proc_usage(pid_t pid, uint64_t *cpu_us, uint64_t *rss_kb)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;
	int k;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return EBADMSG;
	/* Fields after the command: state is field 3, utime 14, stime 15. */
	for (k = 3, p += 2; k < 14 && p != NULL; k++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (p == NULL || sscanf(p, "%lu %lu", &ut, &st) != 2)
		return EBADMSG;
	*cpu_us = (uint64_t)(ut + st) * 1000000u / (uint64_t)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return errno;
	*rss_kb = 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "VmRSS: %lu", &ut) == 1)
			*rss_kb = ut;
	fclose(f);
	return 0;
}

static uint64_t
percentile(const struct peer_stats *st, double q)
{
	uint64_t want = (uint64_t)((double)st->lat_n * q), acc = 0;
	unsigned i;

	for (i = 0; i <= PEER_LAT_BUCKETS; i++) {
		acc += st->lat_hist[i];
		if (acc > want)
			return i;
	}
	return PEER_LAT_BUCKETS;
}

static bool
all_in(const struct peer *p)
{
	unsigned i, d;

	for (i = 0; i < p->o.calls; i++)
		for (d = 0; d < PEER_DIR_COUNT; d++) {
			const struct peer_flow *f = &p->calls[i].flow[d];

			if (f->received < f->sent - f->nheld)
				return false;
		}
	return true;
}

static int
parse_opts(struct peer_opts *o, int argc, char **argv, bool *measure, bool *errors_check)
{
	static const struct option lo[] = {
		{ "mediad", required_argument, NULL, 'M' },
		{ "workers", required_argument, NULL, 'w' },
		{ "media-timeout", required_argument, NULL, 'T' },
		{ "io", required_argument, NULL, 'Y' },
		{ "ng", required_argument, NULL, 'n' },
		{ "suite", required_argument, NULL, 's' },
		{ "packets", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },
		{ "rtp-caller", no_argument, NULL, 'B' },
		{ "rekey", no_argument, NULL, 'K' },
		{ "hold", no_argument, NULL, 'H' },
		{ "forge", no_argument, NULL, 'F' },
		{ "dtmf", no_argument, NULL, 'D' },
		{ "osrtp", no_argument, NULL, 'O' },
		{ "out-encryption", required_argument, NULL, 'e' },
		{ "max-loss", required_argument, NULL, 'l' },
		{ "rekey-loss", required_argument, NULL, 'k' },
		{ "addr-base", required_argument, NULL, 'a' },
		{ "measure-pid", required_argument, NULL, 'P' },
		{ "measure", no_argument, NULL, 'm' },
		{ "no-errors-check", no_argument, NULL, 'E' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "sabotage", required_argument, NULL, 'S' },
		{ "initial-seq", required_argument, NULL, 'i' },
		{ "rtcp", no_argument, NULL, 'R' },
		{ "kill-restart", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	char base[32];
	long v;
	int ch;

	snprintf(base, sizeof(base), "127.%d.%d", 200 + (int)(getpid() % 50),
	    1 + (int)((getpid() / 50) % 250));
	o->workers = 1;
	o->media_timeout = 60;
	o->suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
	o->packets = 200;
	o->rate = 50;
	o->calls = 1;
	o->rekey_loss = 5;
	o->initial_seq = -1;
	o->if_out = "outside";
	o->if_in = "inside";
	o->out_encryption = "required";
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		v = optarg ? strtol(optarg, NULL, 10) : 0;
		switch (ch) {
		case 'M': o->mediad_bin = optarg; break;
		case 'w': o->workers = (unsigned)v; break;
		case 'T': o->media_timeout = (unsigned)v; break;
		case 'Y': o->io = optarg; break;
		case 'n': o->ng = optarg; break;
		case 's':
			o->suite = crypto_suite_from_name(optarg, strlen(optarg));
			if (o->suite == CRYPTO_SUITE_NONE) {
				fprintf(stderr, "sbc-test-peer: unknown suite %s\n", optarg);
				return EINVAL;
			}
			break;
		case 'p': o->packets = (unsigned)v; break;
		case 'r': o->rate = (unsigned)v; break;
		case 'c': o->calls = (unsigned)v; break;
		case 'B': o->rtp_caller = true; break;
		case 'K': o->rekey = true; break;
		case 'H': o->hold = true; break;
		case 'F': o->forge = true; break;
		case 'D': o->dtmf = true; break;
		case 'O': o->osrtp = true; break;
		case 'e': o->out_encryption = optarg; break;
		case 'l': o->max_loss = (unsigned)v; break;
		case 'k': o->rekey_loss = (unsigned)v; break;
		case 'a': snprintf(base, sizeof(base), "%s", optarg); break;
		case 'P': o->measure_pid = (pid_t)v; break;
		case 'm': *measure = true; break;
		case 'E': *errors_check = false; break;
		case 'q': o->quiet = true; break;
		case 'S': o->sabotage = optarg; break;
		case 'i': o->initial_seq = (int)v; break;
		case 'R': o->rtcp = true; break;
		case 'X': o->kill_restart_ms = (unsigned)v; break;
		default: usage(); return EINVAL;
		}
	}
	if (optind != argc || (o->ng == NULL) == (o->mediad_bin == NULL) ||
	    o->packets < 8 || o->packets > PEER_MAX_PACKETS || o->rate < 1 ||
	    o->rate > 100000 || o->calls < 1 || o->calls > PEER_MAX_CALLS ||
	    o->workers < 1 || o->workers > 64 || strlen(base) > 15 ||
	    o->initial_seq < -1 || o->initial_seq > 65535 ||
	    (o->kill_restart_ms && (o->mediad_bin == NULL || o->kill_restart_ms >=
	    (uint64_t)o->packets * 1000u / o->rate)) ||
	    (strcmp(o->out_encryption, "required") != 0 &&
	    strcmp(o->out_encryption, "optional") != 0 && strcmp(o->out_encryption, "off") != 0)) {
		usage();
		return EINVAL;
	}
	snprintf(o->relay_out_ip, sizeof(o->relay_out_ip), "%s.1", base);
	snprintf(o->relay_in_ip, sizeof(o->relay_in_ip), "%s.2", base);
	snprintf(o->out_ip, sizeof(o->out_ip), "%s.3", base);
	snprintf(o->in_ip, sizeof(o->in_ip), "%s.4", base);
	return 0;
}

/* Packets lost outside [kill - 100 ms, restart + 1 s): none may be. */
static unsigned
lost_outside_restart(const struct peer *p, const struct peer_flow *f)
{
	unsigned i, lost = 0, from = f->kill_index > p->o.rate / 10 ?
	    f->kill_index - p->o.rate / 10 : 0;

	for (i = 0; i < f->sent; i++) {
		if (i >= from && i < f->settled_index)
			continue;
		if (!(f->seen[i / 8] >> (i % 8) & 1u) && !(f->held[i / 8] >> (i % 8) & 1u))
			lost++;
	}
	return lost;
}

/* --kill-restart: media resumed within a second, and the run went on past that second. */
static void
kill_check(struct peer *p, struct peer_call *c, unsigned d)
{
	const struct peer_flow *f = &c->flow[d];
	uint64_t resume_ms;

	if (!f->settled) {
		peer_fail(p, "%s dir %u: the stream ended less than 1 s after the restart",
		    c->call_id, d);
		return;
	}
	if (f->first_after_kill_ns == 0) {
		peer_fail(p, "%s dir %u: no media after the restart", c->call_id, d);
		return;
	}
	resume_ms = f->first_after_kill_ns > p->restart_ns ?
	    (f->first_after_kill_ns - p->restart_ns) / 1000000u : 0;
	if (resume_ms > p->resume_ms_max)
		p->resume_ms_max = resume_ms;
	if (resume_ms >= 1000)
		peer_fail(p, "%s dir %u: media resumed %llu ms after the restart", c->call_id, d,
		    (unsigned long long)resume_ms);
	if (p->o.rtcp && f->rtcp_after_kill == 0)
		peer_fail(p, "%s dir %u: no RTCP after the restart", c->call_id, d);
}

/* The checks of one call after the stream: loss, duplicates, the relay's counters. */
static void
call_check(struct peer *p, struct peer_call *c, bool errors_check, uint64_t *lost_total)
{
	unsigned d, expect_err = c->injected;
	int64_t errors = 0;

	for (d = 0; d < PEER_DIR_COUNT; d++) {
		const struct peer_flow *f = &c->flow[d];
		unsigned want = f->sent - f->nheld;
		unsigned lost = want > f->received ? want - f->received : 0;
		unsigned allow = p->o.max_loss + c->rekeys * p->o.rekey_loss;

		if (p->killed) {
			kill_check(p, c, d);
			/* what the restart window lost was judged there */
			lost = lost_outside_restart(p, f);
		}
		*lost_total += lost;
		expect_err += f->nheld;
		if (f->sent != p->o.packets)
			peer_fail(p, "%s dir %u: sent %u of %u", c->call_id, d, f->sent,
			    p->o.packets);
		if (lost > allow)
			peer_fail(p, "%s dir %u: %u of %u packets lost (allowed %u)", c->call_id,
			    d, lost, want, allow);
		if (p->o.hold && f->nheld == 0 && d == (p->o.rtp_caller ? PEER_DIR_S2R :
		    PEER_DIR_R2S))
			peer_fail(p, "%s: hold never took effect", c->call_id);
	}
	if (p->o.rekey && c->rekeys == 0)
		peer_fail(p, "%s: re-key did not happen", c->call_id);
	if (p->o.forge && c->injected != 3 + 3)
		peer_fail(p, "%s: only %u packets injected", c->call_id, c->injected);
	if (!errors_check)
		return;
	if (peer_call_query_errors(p, c, &errors) != 0)
		return;
	/* Every injected or held packet is a counted drop; nothing else may be one
	 * except packets in flight across a re-key. */
	if (errors < (int64_t)expect_err ||
	    errors > (int64_t)(expect_err + c->rekeys * p->o.rekey_loss))
		peer_fail(p, "%s: relay counted %lld errors, expected %u", c->call_id,
		    (long long)errors, expect_err);
}

/* --kill-restart, called from the stream loop: the crash and the new process. */
static void
on_kill(struct peer *p, void *arg)
{
	struct peer_spawn *sp = arg;
	pid_t pid;
	int err;

	err = peer_spawn_kill_restart(sp, &pid);
	if (err)
		peer_fail(p, "kill -9 and restart of mediad: %s", strerror(err));
	else if (p->o.measure_pid)
		p->o.measure_pid = pid;
}

int
main(int argc, char **argv)
{
	static struct peer peer;
	struct peer *p = &peer;
	struct peer_spawn *sp = NULL;
	char ng[64];
	bool measure = false, errors_check = true, summarized = false;
	uint64_t cpu0 = 0, cpu1 = 0, rss0 = 0, rss1 = 0, rss_tmp, lost = 0, sent = 0, recvd = 0;
	uint64_t t_start, t_end, drain_end;
	unsigned i, d, nopen = 0, held = 0, injected = 0, rekeys = 0;
	unsigned dup = 0, bad = 0, plain = 0, authfail = 0, reorder = 0;
	pid_t mpid = 0;
	int err;

	p->ng_fd = -1;
	if (parse_opts(&p->o, argc, argv, &measure, &errors_check))
		return 2;
	if (p->o.mediad_bin != NULL) {
		err = peer_spawn_start(&sp, &p->o, ng, sizeof(ng), &mpid);
		if (err) {
			printf("sbc-test-peer: FAIL cannot start mediad: %s\n", strerror(err));
			return 1;
		}
		p->o.ng = ng;
		if (measure)
			p->o.measure_pid = mpid;
	}
	err = peer_ng_open(p);
	if (err == 0)
		err = peer_ng_ping(p);
	if (err) {
		peer_fail(p, "ng ping to %s: %s", p->o.ng, strerror(err));
		goto out;
	}
	p->calls = calloc(p->o.calls, sizeof(*p->calls));
	if (p->calls == NULL) {
		peer_fail(p, "out of memory");
		goto out;
	}
	if (p->o.measure_pid)
		(void)proc_usage(p->o.measure_pid, &cpu0, &rss0);
	for (i = 0; i < p->o.calls; i++) {
		err = peer_call_open(p, &p->calls[i], i);
		nopen = i + 1;
		if (err) {
			peer_fail(p, "call %u sockets: %s", i, strerror(err));
			goto out;
		}
		if (peer_call_signal(p, &p->calls[i], "sendrecv", "sendrecv", true) != 0)
			goto out;
	}
	if (p->o.measure_pid)
		(void)proc_usage(p->o.measure_pid, &cpu0, &rss_tmp);
	t_start = peer_now_ns();
	p->kill_h = on_kill;
	p->kill_arg = sp;
	err = peer_stream(p);
	if (err) {
		peer_fail(p, "stream: %s", strerror(err));
		goto out;
	}
	if (p->killed) {
		/* The new mediad has a new ng port; the queries below go to it. */
		err = peer_spawn_wait_ready(sp, ng, sizeof(ng));
		peer_ng_close(p);
		if (err == 0)
			err = peer_ng_open(p);
		if (err) {
			peer_fail(p, "restarted mediad: %s", strerror(err));
			goto out;
		}
	}
	/* Let what is in flight arrive; a relay that sends nothing ends the wait at 1 s. */
	drain_end = peer_now_ns() + 1000000000ull;
	while (!all_in(p) && peer_now_ns() < drain_end)
		peer_pump(p, 10);
	peer_pump(p, 30);	/* duplicates and late extras still count */
	t_end = peer_now_ns();
	if (p->o.measure_pid)
		(void)proc_usage(p->o.measure_pid, &cpu1, &rss1);
	for (i = 0; i < p->o.calls; i++) {
		struct peer_call *c = &p->calls[i];

		call_check(p, c, errors_check, &lost);
		for (d = 0; d < PEER_DIR_COUNT; d++) {
			sent += c->flow[d].sent - c->flow[d].nheld;
			recvd += c->flow[d].received;
			held += c->flow[d].nheld;
			dup += c->flow[d].dup;
			bad += c->flow[d].bad + c->flow[d].unexpected;
			plain += c->flow[d].plain_seen;
			authfail += c->flow[d].authfail;
			reorder += c->flow[d].reorder;
		}
		injected += c->injected;
		rekeys += c->rekeys;
		(void)peer_call_delete(p, c);
	}
	if (p->st.lat_n == 0)
		peer_fail(p, "no packet arrived at all");
	printf("sbc-test-peer: %s suite=%s flow=%s calls=%u rate=%u packets=%u sent=%llu "
	    "received=%llu lost=%llu loss_pct=%.4f dup=%u bad=%u plain_on_srtp=%u authfail=%u "
	    "reorder=%u held=%u injected=%u rekeys=%u p50_us=%llu p99_us=%llu pps=%.0f late_pct=%.2f",
	    p->failures ? "FAIL" : "PASS", crypto_suite_name(p->o.suite),
	    p->o.rtp_caller ? "rtp-caller" : "srtp-caller", p->o.calls, p->o.rate,
	    p->o.packets, (unsigned long long)sent, (unsigned long long)recvd,
	    (unsigned long long)lost, sent ? 100.0 * (double)lost / (double)sent : 0.0,
	    dup, bad, plain, authfail, reorder, held, injected, rekeys,
	    (unsigned long long)percentile(&p->st, 0.5),
	    (unsigned long long)percentile(&p->st, 0.99),
	    (double)recvd * 1e9 / (double)(t_end - t_start),
	    p->st.sends ? 100.0 * (double)p->st.sends_late / (double)p->st.sends : 0.0);
	if (p->killed)
		printf(" killed=1 resume_ms_max=%llu", (unsigned long long)p->resume_ms_max);
	if (p->o.rtcp)
		printf(" srtcp_max_before_kill=%u srtcp_max=%u",
		    p->calls[0].flow[PEER_DIR_R2S].srtcp_max_before_kill,
		    p->calls[0].flow[PEER_DIR_R2S].srtcp_max);
	if (p->o.measure_pid)
		printf(" cpu_us_per_pkt=%.2f rss_kb_per_call=%.1f",
		    recvd ? (double)(cpu1 - cpu0) / (double)recvd : 0.0,
		    (double)((int64_t)rss1 - (int64_t)rss0) / p->o.calls);
	if (p->failures)
		printf(" failures=%u first=\"%s\"", p->failures, p->first_failure);
	printf("\n");
	summarized = true;
 out:
	if (!summarized)
		printf("sbc-test-peer: FAIL %s\n", p->first_failure);
	for (i = 0; i < nopen; i++)
		peer_call_close(&p->calls[i]);
	free(p->calls);
	peer_ng_close(p);
	if (sp != NULL && peer_spawn_stop(sp) != 0)
		p->failures++;
	fflush(stdout);
	return p->failures ? 1 : 0;
}
