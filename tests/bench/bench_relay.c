/* SPDX-License-Identifier: BSD-2-Clause */
/* Relay benchmark: N calls of 20 ms PCMU, SRTP <-> RTP both ways over loopback; loss, CPU per packet, latency. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "addr.h"
#include "bench_ng.h"
#include "log.h"
#include "rand.h"
#include "relay.h"
#include "srtp.h"
#include "timeutil.h"

#define PCMU_LEN 172          /* 12-byte header + 160 bytes (20 ms of 8 kHz G.711) */
#define TICK_NS 20000000ll    /* 20 ms packetisation */
#define SLOTS 20              /* a tick is sent in 1 ms slots, not in one burst */
#define LAT_MAX (4u << 20)    /* latency samples kept */

/* The load generator plays all callers from one socket and all IVR ports from
 * another, so that it can batch (sendmmsg/recvmmsg) and leave the relay a core. */
struct call {
	struct sa to_a, to_b;            /* relay ports */
	struct srtp_ctx *caller_tx;      /* caller's outbound SRTP */
	struct relay_media *m;
	uint16_t seq_a, seq_b;
	uint32_t ssrc_a, ssrc_b;
};

#define GEN_BATCH 64

struct bench {
	unsigned ncalls, workers, seconds;
	bool direct;                     /* baseline: generator to receiver, no relay */
	const char *ng;                  /* -n: an external relay's ng address, else in-process */
	int ng_fd;
	const char *bind_ip;             /* -a: the generator's address (default 127.0.0.1) */
	const char *if_out, *if_in;      /* -I: ng interface names */
	bool rx_tick;                    /* -t: the receiver polls every 50 µs */
	int caller_fd, ivr_fd;           /* generator sockets */
	struct sa caller_addr, ivr_addr;
	struct call *calls;
	struct relay *r;
	_Atomic bool stop_rx;
	_Atomic uint64_t sent_a, sent_b, recv_a, recv_b, bad;
	uint32_t *lat_us;                /* receiver thread only */
	size_t nlat;
};

static const char *udp_bind_ip = "127.0.0.1";

static int
udp_open(struct sa *addr)
{
	struct sa lo;
	socklen_t len = sizeof(addr->u.ss);
	int fd, sz = 8 << 20;

	if (sa_parse(&lo, udp_bind_ip, 0) != 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Root may exceed rmem_max; otherwise the kernel caps it quietly. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, &lo.u.sa, sizeof(struct sockaddr_in)) != 0 ||
	    getsockname(fd, &addr->u.sa, &len) != 0) {
		close(fd);
		return -1;
	}
	addr->len = len;
	return fd;
}

static uint32_t
now_us32(void)
{
	return (uint32_t)time_mono_us();
}

/* The RTP timestamp carries the send time in µs: it is in the clear and authenticated. */
static size_t
pcmu_make(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	uint32_t ts = htonl(now_us32());

	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memcpy(p + 4, &ts, 4);
	ssrc = htonl(ssrc);
	memcpy(p + 8, &ssrc, 4);
	memset(p + 12, 0xff, PCMU_LEN - 12);
	return PCMU_LEN;
}

static void *
rx_main(void *arg)
{
	struct bench *b = arg;
	static uint8_t buf[GEN_BATCH][2048];
	struct mmsghdr h[GEN_BATCH];
	struct iovec iov[GEN_BATCH];
	struct pollfd p[2] = { { b->caller_fd, POLLIN, 0 }, { b->ivr_fd, POLLIN, 0 } };

	while (!atomic_load(&b->stop_rx)) {
		if (b->rx_tick) {
			/*
			 * -t: nap and poll without blocking. A relay sending to a receiver
			 * asleep on its socket pays for waking it, which it does not when
			 * the receivers are phones on other hosts.
			 */
			nanosleep(&(struct timespec){ .tv_nsec = 50000 }, NULL);
			if (poll(p, 2, 0) <= 0)
				continue;
		} else if (poll(p, 2, 50) <= 0) {
			continue;
		}
		for (int k = 0; k < 2; k++) {
			bool at_caller = k == 0;
			int n;

			if (!(p[k].revents & POLLIN))
				continue;
			for (int i = 0; i < GEN_BATCH; i++) {
				iov[i].iov_base = buf[i];
				iov[i].iov_len = sizeof(buf[i]);
				memset(&h[i], 0, sizeof(h[i]));
				h[i].msg_hdr.msg_iov = &iov[i];
				h[i].msg_hdr.msg_iovlen = 1;
			}
			while ((n = recvmmsg(p[k].fd, h, GEN_BATCH, MSG_DONTWAIT, NULL)) > 0) {
				uint32_t now = now_us32();

				for (int i = 0; i < n; i++) {
					uint32_t ts;
					unsigned len = h[i].msg_len;

					if (len < 12) {
						atomic_fetch_add(&b->bad, 1);
						continue;
					}
					memcpy(&ts, buf[i] + 4, 4);
					if (b->nlat < LAT_MAX)
						b->lat_us[b->nlat++] = now - ntohl(ts);
					/* SRTP towards the caller is longer; plain towards the IVR is exact. */
					if (!b->direct && (at_caller ? len <= PCMU_LEN : len != PCMU_LEN))
						atomic_fetch_add(&b->bad, 1);
				}
				atomic_fetch_add(at_caller ? &b->recv_b : &b->recv_a, (uint64_t)n);
				if (n < GEN_BATCH)
					break;
			}
		}
	}
	return NULL;
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;

	return a < c ? -1 : a > c;
}

static int
calls_setup(struct bench *b)
{
	enum crypto_suite suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
	const struct crypto_suite_info *si = crypto_suite_info(suite);

	b->calls = calloc(b->ncalls, sizeof(*b->calls));
	if (b->calls == NULL)
		return ENOMEM;
	b->caller_fd = udp_open(&b->caller_addr);
	b->ivr_fd = udp_open(&b->ivr_addr);
	if (b->caller_fd < 0 || b->ivr_fd < 0)
		return errno;
	for (unsigned i = 0; i < b->ncalls; i++) {
		struct call *c = &b->calls[i];
		struct relay_leg_cfg la, lb;
		int err;

		memset(&la, 0, sizeof(la));
		memset(&lb, 0, sizeof(lb));
		c->ssrc_a = (uint32_t)rand_u64();
		c->ssrc_b = (uint32_t)rand_u64();
		if (b->ng != NULL) {
			char id[48];

			la.rx_key.suite = suite;
			la.rx_key.key_salt_len = si->key_len + si->salt_len;
			snprintf(id, sizeof(id), "bench-%d-%u", (int)getpid(), i);
			err = rand_bytes(la.rx_key.key_salt, la.rx_key.key_salt_len);
			if (err == 0)
				err = srtp_ctx_create(&c->caller_tx, suite, &la.rx_key,
				    SRTP_CTX_OUTBOUND, NULL);
			if (err == 0)
				err = bench_ng_call(b->ng_fd, id, &b->caller_addr, &b->ivr_addr,
				    &la.rx_key, b->if_out, b->if_in, &c->to_a, &c->to_b);
			if (err)
				return err;
			continue;
		}
		if (b->direct) {
			/* Same generator work (protect included), straight to the receiver. */
			c->to_a = b->ivr_addr;
			c->to_b = b->caller_addr;
			la.rx_key.suite = suite;
			la.rx_key.key_salt_len = si->key_len + si->salt_len;
			err = srtp_ctx_create(&c->caller_tx, suite, &la.rx_key,
			    SRTP_CTX_OUTBOUND, NULL);
			if (err)
				return err;
			continue;
		}
		la.fd_rtp = udp_open(&c->to_a);
		lb.fd_rtp = udp_open(&c->to_b);
		if (la.fd_rtp < 0 || lb.fd_rtp < 0)
			return errno;
		la.fd_rtcp = lb.fd_rtcp = -1;
		la.rtcp_mux = lb.rtcp_mux = true;
		la.remote_rtp = b->caller_addr;
		lb.remote_rtp = b->ivr_addr;
		la.srtp = true;
		la.rx_key.suite = la.tx_key.suite = suite;
		la.rx_key.key_salt_len = la.tx_key.key_salt_len = si->key_len + si->salt_len;
		if (rand_bytes(la.rx_key.key_salt, la.rx_key.key_salt_len) != 0 ||
		    rand_bytes(la.tx_key.key_salt, la.tx_key.key_salt_len) != 0)
			return EIO;
		la.send = la.recv = lb.send = lb.recv = true;
		la.latch = RELAY_LATCH_AUTH;
		lb.latch = RELAY_LATCH_SIGNALLED_IP;
		err = srtp_ctx_create(&c->caller_tx, suite, &la.rx_key, SRTP_CTX_OUTBOUND, NULL);
		if (err)
			return err;
		err = relay_media_create(b->r, &la, &lb, &c->m);
		if (err)
			return err;
	}
	return 0;
}

static void
calls_free(struct bench *b)
{
	for (unsigned i = 0; b->calls != NULL && i < b->ncalls; i++) {
		struct call *c = &b->calls[i];

		relay_media_destroy(c->m);
		srtp_ctx_destroy(c->caller_tx);
		if (b->ng != NULL && c->caller_tx != NULL) {
			char id[48];

			snprintf(id, sizeof(id), "bench-%d-%u", (int)getpid(), i);
			bench_ng_delete(b->ng_fd, id);
		}
	}
	free(b->calls);
	if (b->caller_fd > 0)
		close(b->caller_fd);
	if (b->ivr_fd > 0)
		close(b->ivr_fd);
}

/* sendmmsg of n prepared datagrams; returns how many left. */
static unsigned
gen_flush(int fd, struct mmsghdr *h, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int r = sendmmsg(fd, h + done, n - done, 0);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			done++;  /* skip the failing one; it counts as lost */
			continue;
		}
		done += (unsigned)r;
	}
	return done;
}

/* Sends every call's packet of each 20 ms tick, spread over 1 ms slots, for b->seconds. */
static void
generate(struct bench *b)
{
	static uint8_t pa[GEN_BATCH][2048], pb[GEN_BATCH][2048];
	struct mmsghdr ha[GEN_BATCH], hb[GEN_BATCH];
	struct iovec ia[GEN_BATCH], ib[GEN_BATCH];
	struct timespec next;
	uint64_t ticks = (uint64_t)b->seconds * 50, slot_ns = TICK_NS / SLOTS;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint64_t t = 0; t < ticks; t++) {
		for (unsigned s = 0; s < SLOTS; s++) {
			unsigned n = 0;

			for (unsigned i = s; i < b->ncalls; i += SLOTS) {
				struct call *c = &b->calls[i];
				size_t len = pcmu_make(pa[n], c->seq_a++, c->ssrc_a);

				if (srtp_ctx_protect_rtp(c->caller_tx, pa[n], &len, sizeof(pa[n])) != 0)
					continue;
				memset(&ha[n], 0, sizeof(ha[n]));
				ia[n].iov_base = pa[n];
				ia[n].iov_len = len;
				ha[n].msg_hdr.msg_name = &c->to_a.u.sa;
				ha[n].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
				ha[n].msg_hdr.msg_iov = &ia[n];
				ha[n].msg_hdr.msg_iovlen = 1;
				len = pcmu_make(pb[n], c->seq_b++, c->ssrc_b);
				memset(&hb[n], 0, sizeof(hb[n]));
				ib[n].iov_base = pb[n];
				ib[n].iov_len = len;
				hb[n].msg_hdr.msg_name = &c->to_b.u.sa;
				hb[n].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
				hb[n].msg_hdr.msg_iov = &ib[n];
				hb[n].msg_hdr.msg_iovlen = 1;
				if (++n == GEN_BATCH || i + SLOTS >= b->ncalls) {
					atomic_fetch_add(&b->sent_a, gen_flush(b->caller_fd, ha, n));
					atomic_fetch_add(&b->sent_b, gen_flush(b->ivr_fd, hb, n));
					n = 0;
				}
			}
			next.tv_nsec += (long)slot_ns;
			if (next.tv_nsec >= 1000000000l) {
				next.tv_nsec -= 1000000000l;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
	}
}

/* utime + stime of a process (all its threads), from /proc; 0 if unreadable. */
static uint64_t
proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15, counted after the ")" that ends the command name. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return 0;
	return (uint64_t)(ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_relay [-c calls] [-s seconds] [-w workers] [-l max_loss_pct] [-d] [-t]"
	    " [-i sockets|batched] [-n IP:PORT -p PID [-a IP] [-I OUT,IN]]\n"
	    "  -n  drive an external relay (mediad, rtpengine) over ng instead of the in-process one;\n"
	    "      -p its PID (CPU from /proc), -a the generator's address, -I the ng interfaces\n"
	    "  -i  the relay's I/O style (default sockets; batched needs root)\n"
	    "  -d  baseline without the relay (generator straight to receiver), to subtract latency\n"
	    "  -t  the receiver polls every 50 us instead of sleeping on its sockets\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct rlimit rl;
	pthread_t rx;
	double max_loss = 0.1, loss, cpu_ns_per_pkt, wall;
	uint64_t cpu0 = 0, cpu1 = 0, sent, recvd, t0, t1;
	struct relay_opts ro = { .io = RELAY_IO_SOCKETS };
	char why[160] = "", ifs[64] = "outside,inside";
	pid_t pid = 0;
	int ch, err, rc = 1;

	memset(&b, 0, sizeof(b));
	b.ncalls = 100;
	b.workers = 1;
	b.seconds = 5;
	while ((ch = getopt(argc, argv, "c:s:w:l:dti:n:p:a:I:")) != -1) {
		switch (ch) {
		case 'c': b.ncalls = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': b.seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': b.workers = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': max_loss = strtod(optarg, NULL); break;
		case 'd': b.direct = true; break;
		case 't': b.rx_tick = true; break;
		case 'n': b.ng = optarg; break;
		case 'p': pid = (pid_t)strtol(optarg, NULL, 10); break;
		case 'a': udp_bind_ip = optarg; break;
		case 'I': snprintf(ifs, sizeof(ifs), "%s", optarg); break;
		case 'i':
			if (strcmp(optarg, "batched") == 0)
				ro.io = RELAY_IO_BATCHED;
			else if (strcmp(optarg, "sockets") != 0)
				usage();
			break;
		default: usage();
		}
	}
	if (b.ncalls == 0 || b.seconds == 0 || b.workers == 0 || (b.ng != NULL) != (pid > 0) ||
	    strchr(ifs, ',') == NULL)
		usage();
	b.if_out = ifs;
	b.if_in = strchr(ifs, ',') + 1;
	*strchr(ifs, ',') = '\0';
	log_init("bench_relay", LOG_LEVEL_WARN, false);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (srtp_engine_init() != 0) {
		fprintf(stderr, "bench_relay: srtp_engine_init failed\n");
		return 1;
	}
	b.lat_us = malloc(LAT_MAX * sizeof(*b.lat_us));
	if (b.lat_us == NULL)
		return 1;
	ro.nworkers = b.workers;
	ro.max_ports = 4 * b.ncalls + 16;
	if (b.ng != NULL)
		err = bench_ng_open(b.ng, &b.ng_fd);
	else
		err = relay_alloc_opts(&b.r, &ro, NULL, why, sizeof(why));
	if (err)
		fprintf(stderr, "bench_relay: relay %s: %s %s\n", b.ng ? b.ng : relay_io_name(ro.io),
		    strerror(err), why);
	if (err == 0)
		err = calls_setup(&b);
	if (err) {
		fprintf(stderr, "bench_relay: setup: %s (calls=%u)\n", strerror(err), b.ncalls);
		goto out;
	}
	if (pthread_create(&rx, NULL, rx_main, &b) != 0)
		goto out;
	if (b.ng != NULL)
		cpu0 = proc_cpu_ns(pid);
	for (unsigned w = 0; b.r != NULL && w < b.workers; w++)
		cpu0 += relay_worker_cpu_ns(b.r, w);
	t0 = time_mono_us();
	generate(&b);
	t1 = time_mono_us();
	/* Let the last packets through before counting. */
	usleep(300000);
	if (b.ng != NULL)
		cpu1 = proc_cpu_ns(pid);
	for (unsigned w = 0; b.r != NULL && w < b.workers; w++)
		cpu1 += relay_worker_cpu_ns(b.r, w);
	atomic_store(&b.stop_rx, true);
	pthread_join(rx, NULL);

	sent = b.sent_a + b.sent_b;
	recvd = b.recv_a + b.recv_b;
	wall = (double)(t1 - t0) / 1e6;
	loss = sent ? 100.0 * (double)(sent - (recvd < sent ? recvd : sent)) / (double)sent : 100.0;
	cpu_ns_per_pkt = recvd ? (double)(cpu1 - cpu0) / (double)recvd : 0;
	qsort(b.lat_us, b.nlat, sizeof(*b.lat_us), cmp_u32);
	printf("relay=%s calls=%u workers=%u seconds=%.2f sent=%llu received=%llu (srtp->rtp %llu/%llu, "
	    "rtp->srtp %llu/%llu) bad=%llu\n", b.ng ? b.ng : relay_io_name(ro.io), b.ncalls, b.workers, wall,
	    (unsigned long long)sent, (unsigned long long)recvd,
	    (unsigned long long)b.recv_a, (unsigned long long)b.sent_a,
	    (unsigned long long)b.recv_b, (unsigned long long)b.sent_b,
	    (unsigned long long)b.bad);
	printf("relayed_pps=%.0f loss_pct=%.4f relay_cpu_us_per_pkt=%.3f relay_cpu_util=%.1f%%\n",
	    (double)recvd / wall, loss, cpu_ns_per_pkt / 1000.0,
	    100.0 * (double)(cpu1 - cpu0) / 1e9 / wall / b.workers);
	if (b.nlat > 0)
		printf("latency_us p50=%u p99=%u max=%u (%s)\n",
		    b.lat_us[b.nlat / 2], b.lat_us[b.nlat * 99 / 100], b.lat_us[b.nlat - 1],
		    b.direct ? "baseline: one loopback hop, no relay" :
		    "one way through the relay: 2 loopback hops");
	rc = (loss <= max_loss && b.bad == 0) ? 0 : 1;
	if (rc)
		fprintf(stderr, "bench_relay: FAIL loss %.4f%% > %.4f%% or %llu bad packets\n",
		    loss, max_loss, (unsigned long long)b.bad);
 out:
	calls_free(&b);
	relay_free(b.r);
	free(b.lat_us);
	return rc;
}
