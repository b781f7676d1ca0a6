/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel's floor for a relay on this machine: CPU per packet of the barest
 * forwarder shaped like mediad (one UDP socket per call, epoll, recvmmsg and
 * sendmmsg on the socket that is ready), without any relay logic, optionally with
 * one SRTP protect per packet. It tells how much of bench_relay's CPU per packet is
 * mediad's own work and how much any userspace relay pays the kernel here.
 *
 *   bench_forward_floor [-c calls] [-s seconds] [-S]     (-S: one SRTP protect per packet)
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "srtp.h"

#define PCMU_LEN 172          /* 12-byte RTP header + 20 ms of G.711 */
#define PERIOD_NS 20000000ull /* each call sends every 20 ms */
#define TICK_NS 50000l        /* the generator wakes every 50 µs (it never sleeps on a socket) */
#define BATCH 32
#define BUF_SIZE 2208         /* packet + SRTP tailroom, 16-byte multiple */

struct bench {
	unsigned calls, seconds;
	bool srtp;
	int *relay_fd;            /* owned: the forwarder's socket of each call */
	int *gen_fd;              /* owned: the generator's socket of each call */
	struct srtp_ctx **tx;     /* owned with -S: one outbound context per call */
	int sink_fd;              /* owned: the generator receives everything here */
	struct sockaddr_in sink;
	atomic_bool stop;
	atomic_ulong forwarded, received;
	uint64_t fwd_cpu_ns;
};

static uint64_t
clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int
udp_bound(struct sockaddr_in *out)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("bench_forward_floor: socket");
		exit(1);
	}
	if (out != NULL)
		*out = a;
	return fd;
}

/* Paced sends (calls x 50 packets/s, spread evenly) and non-blocking drains of the sink. */
static void *
generator(void *arg)
{
	struct bench *b = arg;
	struct sockaddr_in *dst = calloc(b->calls, sizeof(*dst));
	static uint8_t rbuf[64][2048];
	struct mmsghdr rx[64];
	struct iovec riov[64];
	uint8_t pkt[PCMU_LEN];
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), sent = 0, due;
	unsigned i;
	int n;

	if (dst == NULL)
		exit(1);
	for (i = 0; i < b->calls; i++) {
		socklen_t len = sizeof(dst[i]);

		getsockname(b->relay_fd[i], (struct sockaddr *)&dst[i], &len);
	}
	memset(pkt, 0xd5, sizeof(pkt));
	memset(rx, 0, sizeof(rx));
	for (i = 0; i < 64; i++) {
		riov[i] = (struct iovec){ .iov_base = rbuf[i], .iov_len = sizeof(rbuf[i]) };
		rx[i].msg_hdr.msg_iov = &riov[i];
		rx[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&b->stop)) {
		due = (clock_ns(CLOCK_MONOTONIC) - t0) * b->calls / PERIOD_NS;
		for (; sent < due; sent++) {
			unsigned c = (unsigned)(sent % b->calls);
			uint16_t seq = (uint16_t)(sent / b->calls);

			/* RTP v2, PCMU, per-call SSRC, increasing sequence (SRTP needs it). */
			pkt[0] = 0x80;
			pkt[1] = 0;
			pkt[2] = (uint8_t)(seq >> 8);
			pkt[3] = (uint8_t)seq;
			memcpy(pkt + 8, &c, sizeof(c));
			(void)sendto(b->gen_fd[c], pkt, sizeof(pkt), 0, (struct sockaddr *)&dst[c],
			    sizeof(dst[c]));
		}
		while ((n = recvmmsg(b->sink_fd, rx, 64, MSG_DONTWAIT, NULL)) > 0)
			atomic_fetch_add(&b->received, (unsigned long)n);
		nanosleep(&(struct timespec){ .tv_nsec = TICK_NS }, NULL);
	}
	free(dst);
	return NULL;
}

/* The forwarder: what mediad's worker does per ready socket, minus the relay logic. */
static void *
forwarder(void *arg)
{
	struct bench *b = arg;
	static _Alignas(16) uint8_t buf[BATCH][BUF_SIZE];
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec iov[BATCH], tiov[BATCH];
	struct epoll_event ev[64];
	uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	unsigned i;
	int ep = epoll_create1(EPOLL_CLOEXEC), n, k, m, s;

	if (ep < 0)
		exit(1);
	for (i = 0; i < b->calls; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, b->relay_fd[i], &e) != 0)
			exit(1);
	}
	memset(rx, 0, sizeof(rx));
	memset(tx, 0, sizeof(tx));
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = 2048 };
		rx[i].msg_hdr.msg_iov = &iov[i];
		rx[i].msg_hdr.msg_iovlen = 1;
		tiov[i].iov_base = buf[i];
		tx[i].msg_hdr.msg_iov = &tiov[i];
		tx[i].msg_hdr.msg_iovlen = 1;
		tx[i].msg_hdr.msg_name = &b->sink;
		tx[i].msg_hdr.msg_namelen = sizeof(b->sink);
	}
	while (!atomic_load(&b->stop)) {
		n = epoll_wait(ep, ev, 64, 100);
		for (k = 0; k < n; k++) {
			unsigned c = ev[k].data.u32;

			m = recvmmsg(b->relay_fd[c], rx, BATCH, MSG_DONTWAIT, NULL);
			for (s = 0, i = 0; m > 0 && i < (unsigned)m; i++) {
				size_t len = rx[i].msg_len;

				if (b->srtp && srtp_ctx_protect_rtp(b->tx[c], buf[i], &len,
				    BUF_SIZE) != 0)
					continue;
				tiov[s].iov_base = buf[i];
				tiov[s].iov_len = len;
				s++;
			}
			if (s > 0 && (s = sendmmsg(b->relay_fd[c], tx, (unsigned)s, MSG_DONTWAIT)) > 0)
				atomic_fetch_add(&b->forwarded, (unsigned long)s);
		}
	}
	b->fwd_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	close(ep);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct bench b = { .calls = 1000, .seconds = 5 };
	pthread_t gen, fwd;
	struct rlimit rl;
	unsigned long f0, f1;
	unsigned i;
	int ch, rb = 8 << 20;

	while ((ch = getopt(argc, argv, "c:s:S")) != -1) {
		switch (ch) {
		case 'c': b.calls = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': b.seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': b.srtp = true; break;
		default:
			fprintf(stderr, "usage: bench_forward_floor [-c calls] [-s seconds] [-S]\n");
			return 2;
		}
	}
	if (b.calls < 1 || b.calls > 20000 || b.seconds < 1 || b.seconds > 60) {
		fprintf(stderr, "bench_forward_floor: 1-20000 calls, 1-60 seconds\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * b.calls + 64) {
		rl.rlim_cur = rl.rlim_max < 2 * b.calls + 64 ? rl.rlim_max : 2 * b.calls + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	b.relay_fd = calloc(b.calls, sizeof(int));
	b.gen_fd = calloc(b.calls, sizeof(int));
	b.tx = calloc(b.calls, sizeof(*b.tx));
	if (b.relay_fd == NULL || b.gen_fd == NULL || b.tx == NULL)
		return 1;
	if (b.srtp && srtp_engine_init() != 0)
		return 1;
	for (i = 0; i < b.calls; i++) {
		b.relay_fd[i] = udp_bound(NULL);
		b.gen_fd[i] = udp_bound(NULL);
		if (b.srtp) {
			struct crypto_key k = { .suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
			    .key_salt_len = 30 };

			memset(k.key_salt, (int)(i & 0xff), k.key_salt_len);
			if (srtp_ctx_create(&b.tx[i], k.suite, &k, SRTP_CTX_OUTBOUND, NULL) != 0)
				return 1;
		}
	}
	b.sink_fd = udp_bound(&b.sink);
	(void)setsockopt(b.sink_fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (pthread_create(&fwd, NULL, forwarder, &b) != 0 ||
	    pthread_create(&gen, NULL, generator, &b) != 0)
		return 1;
	/* The first second warms up (first SRTP packet of each SSRC, socket buffers). */
	sleep(1);
	f0 = atomic_load(&b.forwarded);
	sleep(b.seconds);
	f1 = atomic_load(&b.forwarded);
	atomic_store(&b.stop, true);
	pthread_join(gen, NULL);
	pthread_join(fwd, NULL);
	printf("bench_forward_floor: calls=%u srtp=%s seconds=%u forwarded_pps=%.0f "
	    "received=%lu fwd_cpu_us_per_pkt=%.3f (whole run: %lu packets)\n", b.calls,
	    b.srtp ? "AES_CM_128_HMAC_SHA1_80" : "none", b.seconds,
	    (double)(f1 - f0) / b.seconds, atomic_load(&b.received),
	    f1 > 0 ? (double)b.fwd_cpu_ns / 1000.0 / (double)atomic_load(&b.forwarded) : 0.0,
	    atomic_load(&b.forwarded));
	for (i = 0; i < b.calls; i++) {
		close(b.relay_fd[i]);
		close(b.gen_fd[i]);
		srtp_ctx_destroy(b.tx[i]);
	}
	close(b.sink_fd);
	free(b.relay_fd);
	free(b.gen_fd);
	free(b.tx);
	return atomic_load(&b.received) > 0 ? 0 : 1;
}
