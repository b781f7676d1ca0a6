/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * e2e_ua: N calls through the SBC, both parties played here (see e2e_ua.h).
 *
 *   e2e_ua -S SBC_IP:PORT -c CALLER_IP -b CALLEE_IP [-n CALLS] [-u USER] [-d MS]
 *          [-m MS] [-e] [-r MS] [-q SEQ]
 *
 * The callers (SIP on CALLER_IP:5060) call USER, USER+1, ... at sigproxy's UDP listener
 * SBC_IP:PORT; sigproxy's route must lead to CALLEE_IP:5060. -d: run this long, then the
 * callers hang up (default 10 s); -m: both parties stop sending media this long after
 * the start (a call whose media stops); -e: exit as soon as every call got BYE on both
 * legs or failed; -r: the callee rings (180) this long before it answers (a CANCEL then
 * gets 487); -q: the callers' first RTP sequence number (65500: the SRTP rollover counter
 * is 1 within a second). Prints "ua_media_up ms=T" once media flows both ways on every call, and at the
 * end one line per call:
 *
 *   ua_call i=0 answered=1 rx_s2r=N rx_r2s=N bad=N authfail=N gap_s2r=G gap_s2r_end=T
 *     gap_r2s=G gap_r2s_end=T reinv_caller=N reinv_callee=N offerless=N cseq_errors=N
 *     bye_caller="REASON" bye_callee="REASON"
 *
 * (gaps in ms, their ends in wall ms; "-" for no BYE), then "ua_gaps i=0 gaps_s2r=S-E,...
 * gaps_r2s=..." with every gap over UA_GAP_MS (wall ms), and "ua_failed i=0 status=N
 * reason=\"...\" cancelled=0|1" for a call whose INVITE failed. Exit 0 when every call was
 * answered, else 1; 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e_ua.h"
#include "srtp.h"

#define TICK_MS 20u

static volatile sig_atomic_t stop_now;

static void
on_term(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: e2e_ua -S SBC_IP:PORT -c CALLER_IP -b CALLEE_IP [-n CALLS] "
	    "[-u USER] [-d MS] [-m MS] [-e] [-r MS] [-q SEQ]\n");
	exit(2);
}

static int
sip_socket(const char *ip, struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(5060);
	if (fd < 0 || inet_pton(AF_INET, ip, &a->sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)a, sizeof(*a)) != 0) {
		fprintf(stderr, "e2e_ua: bind %s:5060: %s\n", ip, strerror(errno));
		exit(2);
	}
	return fd;
}

static void
sip_drain(struct ua *u, bool caller)
{
	char buf[UA_MSG_MAX];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(caller ? u->caller_fd : u->callee_fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fl);
		if (n <= 0)
			return;
		ua_sip_recv(u, caller, buf, (size_t)n, &from);
	}
}

static bool
all_flowing(const struct ua *u)
{
	unsigned i;

	for (i = 0; i < u->ncalls; i++)
		if (u->calls[i].caller.rx == 0 || u->calls[i].callee.rx == 0)
			return false;
	return u->ncalls > 0;
}

static bool
all_ended(const struct ua *u)
{
	unsigned i;

	for (i = 0; i < u->ncalls; i++)
		if ((!u->calls[i].caller.byed || !u->calls[i].callee.byed) &&
		    u->calls[i].final_status == 0)
			return false;
	return true;
}

/* " gaps_<name>=start-end,start-end" (wall ms; "-" when none) */
static void
gaps_print(const char *name, const struct ua_leg *l)
{
	unsigned i;

	printf(" gaps_%s=", name);
	for (i = 0; i < l->ngaps; i++)
		printf("%s%llu-%llu", i ? "," : "", (unsigned long long)l->gaps[i][0],
		    (unsigned long long)l->gaps[i][1]);
	if (l->ngaps == 0)
		printf("-");
}

static void
report(const struct ua *u)
{
	unsigned i;

	for (i = 0; i < u->ncalls; i++) {
		const struct ua_call *c = &u->calls[i];
		const struct ua_leg *a = &c->caller, *b = &c->callee;

		printf("ua_call i=%u callid=%s answered=%d rx_s2r=%u rx_r2s=%u bad=%u authfail=%u "
		    "gap_s2r=%llu gap_s2r_end=%llu gap_r2s=%llu gap_r2s_end=%llu "
		    "last_s2r=%llu last_r2s=%llu reinv_caller=%u reinv_callee=%u offerless=%u "
		    "cseq_errors=%u bye_caller=\"%s\" bye_callee=\"%s\"\n", i, a->call_id,
		    c->answered, b->rx, a->rx, a->bad + b->bad, a->authfail,
		    (unsigned long long)b->gap, (unsigned long long)b->gap_end,
		    (unsigned long long)a->gap, (unsigned long long)a->gap_end,
		    (unsigned long long)b->last_rx, (unsigned long long)a->last_rx, a->reinvites,
		    b->reinvites, a->offerless + b->offerless, a->cseq_errors + b->cseq_errors,
		    a->byed ? a->bye_reason : "-", b->byed ? b->bye_reason : "-");
		if (c->final_status != 0)
			printf("ua_failed i=%u status=%d reason=\"%s\" cancelled=%d\n", i,
			    c->final_status, c->final_reason, c->cancelled);
		/* on a line of its own: the fields above keep their places */
		printf("ua_gaps i=%u", i);
		gaps_print("s2r", b);
		gaps_print("r2s", a);
		printf("\n");
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct ua u;
	struct pollfd pfd[2 + 2 * UA_CALLS_MAX];
	const char *sbc = NULL, *caller_ip = NULL, *callee_ip = NULL;
	unsigned duration = 10000, i, n;
	bool exit_on_end = false;
	uint64_t now, next_tick, end;
	char host[64];
	int ch, rc = 0;

	u.ncalls = 1;
	u.first_seq = -1;
	snprintf(u.user, sizeof(u.user), "8011001");
	while ((ch = getopt(argc, argv, "S:c:b:n:u:d:m:er:q:")) != -1) {
		switch (ch) {
		case 'S': sbc = optarg; break;
		case 'c': caller_ip = optarg; break;
		case 'b': callee_ip = optarg; break;
		case 'n': u.ncalls = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'u': snprintf(u.user, sizeof(u.user), "%s", optarg); break;
		case 'd': duration = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': u.stop_media_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'e': exit_on_end = true; break;
		case 'r': u.ring_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'q': u.first_seq = (int)(strtoul(optarg, NULL, 10) & 0xffff); break;
		default: usage();
		}
	}
	if (sbc == NULL || caller_ip == NULL || callee_ip == NULL || u.ncalls == 0 ||
	    u.ncalls > UA_CALLS_MAX || strchr(sbc, ':') == NULL)
		usage();
	snprintf(host, sizeof(host), "%.*s", (int)(strchr(sbc, ':') - sbc), sbc);
	u.sbc.sin_family = AF_INET;
	u.sbc.sin_port = htons((uint16_t)strtoul(strchr(sbc, ':') + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &u.sbc.sin_addr) != 1)
		usage();
	if (srtp_engine_init() != 0) {
		fprintf(stderr, "e2e_ua: SRTP engine\n");
		return 2;
	}
	srandom((unsigned)(getpid() ^ ua_now_ms()));
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	u.caller_fd = sip_socket(caller_ip, &u.caller_sip);
	u.callee_fd = sip_socket(callee_ip, &u.callee_sip);
	u.start_ms = ua_now_ms();
	for (i = 0; i < u.ncalls; i++) {
		struct ua_call *c = &u.calls[i];

		c->idx = i;
		c->caller.caller = true;
		if (ua_media_open(&c->caller, caller_ip) || ua_media_open(&c->callee, callee_ip) ||
		    ua_invite(&u, c)) {
			fprintf(stderr, "e2e_ua: call %u could not start\n", i);
			return 2;
		}
	}
	end = u.start_ms + duration;
	next_tick = u.start_ms + TICK_MS;
	while (!stop_now) {
		now = ua_now_ms();
		if (now >= end || (exit_on_end && all_ended(&u)))
			break;
		n = 0;
		pfd[n++] = (struct pollfd){ u.caller_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ u.callee_fd, POLLIN, 0 };
		for (i = 0; i < u.ncalls; i++) {
			pfd[n++] = (struct pollfd){ u.calls[i].caller.media_fd, POLLIN, 0 };
			pfd[n++] = (struct pollfd){ u.calls[i].callee.media_fd, POLLIN, 0 };
		}
		(void)poll(pfd, n, next_tick > now ? (int)(next_tick - now) : 0);
		if (pfd[0].revents)
			sip_drain(&u, true);
		if (pfd[1].revents)
			sip_drain(&u, false);
		for (i = 0; i < u.ncalls; i++) {
			ua_media_recv(&u, &u.calls[i], true);
			ua_media_recv(&u, &u.calls[i], false);
		}
		now = ua_now_ms();
		if (now < next_tick)
			continue;
		next_tick += TICK_MS;
		if (next_tick < now)
			next_tick = now + TICK_MS;	/* late (a loaded machine): no burst */
		if (u.stop_media_ms > 0 && !u.media_stopped && now - u.start_ms >= u.stop_media_ms) {
			u.media_stopped = true;
			for (i = 0; i < u.ncalls; i++)
				u.calls[i].caller.stop = u.calls[i].callee.stop = true;
			printf("ua_media_stopped ms=%llu\n", (unsigned long long)now);
			fflush(stdout);
		}
		for (i = 0; i < u.ncalls; i++)
			ua_media_send(&u, &u.calls[i]);
		ua_sip_timers(&u, now);
		if (!u.reported_up && all_flowing(&u)) {
			u.reported_up = true;
			printf("ua_media_up ms=%llu\n", (unsigned long long)now);
			fflush(stdout);
		}
	}
	/* the callers hang up what is still up, and wait a little for the answers */
	for (i = 0; i < u.ncalls; i++)
		ua_bye(&u, &u.calls[i]);
	end = ua_now_ms() + 2000;
	while ((now = ua_now_ms()) < end) {
		bool waiting = false;

		for (i = 0; i < u.ncalls; i++)
			waiting |= u.calls[i].bye_sent && !u.calls[i].bye_done;
		if (!waiting)
			break;
		pfd[0] = (struct pollfd){ u.caller_fd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ u.callee_fd, POLLIN, 0 };
		(void)poll(pfd, 2, 50);
		sip_drain(&u, true);
		sip_drain(&u, false);
	}
	report(&u);
	for (i = 0; i < u.ncalls; i++) {
		rc |= !u.calls[i].answered;
		ua_media_close(&u.calls[i].caller);
		ua_media_close(&u.calls[i].callee);
	}
	close(u.caller_fd);
	close(u.callee_fd);
	return rc;
}
