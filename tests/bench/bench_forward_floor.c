/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel's floor for a relay on this machine: CPU per packet of the barest
 * forwarder shaped like mediad (one UDP socket per call, epoll, recvmmsg and
 * sendmmsg on the socket that is ready), without any relay logic, optionally with
 * one SRTP protect per packet. It tells how much of bench_relay's CPU per packet is
 * mediad's own work and how much any userspace relay pays the kernel here.
 * With -i batched the same forwarder is shaped like mediad's batched style instead: every
 * call's port steered to one socket by mediad's sk_lookup program, the call found from
 * IP_ORIGDSTADDR, each batch sent in one sendmmsg on a raw socket with our own headers.
 *
 * With -N NS_RELAY,NS_GEN -a RELAY_IP,GEN_IP (two network namespaces joined by a veth pair,
 * made by the caller, e.g. bench_io.sh --veth) the forwarder's ports are in the first and
 * the generator and the sink in the second. -i xdp (needs -N) steers the ports with mediad's
 * XDP program to one AF_XDP socket, whose frames are protected in place, readdressed and
 * sent back on the same ring, one kick a batch.
 *
 *   bench_forward_floor [-c calls] [-s seconds] [-S] [-i sockets|batched|xdp [-N .. -a ..]]
 *   (-S: one SRTP protect per packet; batched and xdp need root)
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
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>

#include "addr.h"
#include "relay_int.h"
#include "srtp.h"

#define PCMU_LEN 172          /* 12-byte RTP header + 20 ms of G.711 */
#define PERIOD_NS 20000000ull /* each call sends every 20 ms */
#define TICK_NS 50000l        /* the generator wakes every 50 µs (it never sleeps on a socket) */
#define BATCH 32
#define BUF_SIZE 2208         /* packet + SRTP tailroom, 16-byte multiple */

struct bench {
	unsigned calls, seconds;
	bool srtp;
	bool batched;             /* -i batched: sk_lookup + raw send, as mediad's batched style */
	bool xdp;                 /* -i xdp: XDP program + AF_XDP socket, as mediad's xdp style */
	struct relay_xdp *xdpk;   /* owned with -i xdp */
	struct relay_xsk *xsk;    /* owned with -i xdp */
	struct relay_bpf *bpf;    /* owned with -i batched */
	int shared_fd, raw_fd;    /* owned with -i batched */
	unsigned *call_of_port;   /* owned with -i batched: port -> call index + 1 */
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

/* Where udp_bound binds: loopback, or with -i xdp the address of the current namespace's side. */
static struct in_addr bind_ip = { .s_addr = 0 };

static int
udp_bound(struct sockaddr_in *out)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = bind_ip.s_addr ?
	    bind_ip.s_addr : htonl(INADDR_LOOPBACK) };
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

/* The forwarder of the batched style: one socket for every call, one raw sendmmsg a batch. */
static void *
forwarder_batched(void *arg)
{
	struct bench *b = arg;
	static _Alignas(16) uint8_t buf[BATCH][BUF_SIZE];
	static uint8_t ctl[BATCH][64], hdr[BATCH][RELAY_RAW_HDR_MAX];
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec iov[BATCH], tiov[BATCH][2];
	struct sockaddr_in name = b->sink;
	struct epoll_event ev = { .events = EPOLLIN };
	struct sa src, dst;
	uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	unsigned i;
	int ep = epoll_create1(EPOLL_CLOEXEC), m, s;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b->shared_fd, &ev) != 0)
		exit(1);
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	memcpy(&dst.u.in, &b->sink, sizeof(b->sink));
	dst.len = sizeof(b->sink);
	memcpy(&src.u.in, &b->sink, sizeof(b->sink));
	src.len = sizeof(b->sink);
	name.sin_port = 0;
	memset(rx, 0, sizeof(rx));
	memset(tx, 0, sizeof(tx));
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = 2048 };
		rx[i].msg_hdr.msg_iov = &iov[i];
		rx[i].msg_hdr.msg_iovlen = 1;
		tx[i].msg_hdr.msg_iov = tiov[i];
		tx[i].msg_hdr.msg_iovlen = 2;
		tx[i].msg_hdr.msg_name = &name;
		tx[i].msg_hdr.msg_namelen = sizeof(name);
	}
	while (!atomic_load(&b->stop)) {
		if (epoll_wait(ep, &ev, 1, 100) <= 0)
			continue;
		for (;;) {
			for (i = 0; i < BATCH; i++) {
				rx[i].msg_hdr.msg_control = ctl[i];
				rx[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
			}
			m = recvmmsg(b->shared_fd, rx, BATCH, MSG_DONTWAIT, NULL);
			if (m <= 0)
				break;
			for (s = 0, i = 0; i < (unsigned)m; i++) {
				struct cmsghdr *c = CMSG_FIRSTHDR(&rx[i].msg_hdr);
				struct sockaddr_in od;
				size_t len = rx[i].msg_len, hl;
				unsigned call;

				if (c == NULL || c->cmsg_type != IP_ORIGDSTADDR)
					continue;
				memcpy(&od, CMSG_DATA(c), sizeof(od));
				call = b->call_of_port[ntohs(od.sin_port)];
				if (call-- == 0)
					continue;
				if (b->srtp && srtp_ctx_protect_rtp(b->tx[call], buf[i], &len,
				    BUF_SIZE) != 0)
					continue;
				/* Symmetric: from the address and port it arrived on. */
				src.u.in.sin_addr = od.sin_addr;
				src.u.in.sin_port = od.sin_port;
				hl = relay_raw_header(hdr[s], &src, &dst, buf[i], len);
				tiov[s][0] = (struct iovec){ .iov_base = hdr[s], .iov_len = hl };
				tiov[s][1] = (struct iovec){ .iov_base = buf[i], .iov_len = len };
				s++;
			}
			if (s > 0 && (s = sendmmsg(b->raw_fd, tx, (unsigned)s, MSG_DONTWAIT)) > 0)
				atomic_fetch_add(&b->forwarded, (unsigned long)s);
			if (m < BATCH)
				break;
		}
	}
	b->fwd_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	close(ep);
	return NULL;
}

/* Steers one call's port to the forwarder; 0 or errno. */
typedef int (port_steer_h)(struct bench *b, const struct relay_port_key *k);

static int
port_steer_batched(struct bench *b, const struct relay_port_key *k)
{
	return relay_bpf_port_add(b->bpf, k, b->shared_fd);
}

static int
port_steer_xdp(struct bench *b, const struct relay_port_key *k)
{
	return relay_xdp_port_add(&b->xdpk->ifs[0], k, 0);
}

/* Every call's port: its call in call_of_port, steered by steer; exits on failure. */
static void
ports_map(struct bench *b, port_steer_h *steer)
{
	unsigned i;

	for (i = 0; i < b->calls; i++) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		struct relay_port_key k;
		struct sa sa;
		int err;

		getsockname(b->relay_fd[i], (struct sockaddr *)&a, &len);
		sa_from_sockaddr(&sa, (struct sockaddr *)&a, len);
		b->call_of_port[ntohs(a.sin_port)] = i + 1;
		err = relay_port_key_from_sa(&k, &sa);
		if (err == 0)
			err = steer(b, &k);
		if (err) {
			fprintf(stderr, "bench_forward_floor: port map: %s\n", strerror(err));
			exit(1);
		}
	}
}

/* The batched style's kernel side for every call's port; exits on failure (needs root). */
static void
batched_setup(struct bench *b)
{
	char why[160] = "";
	int on = 1, sz = 8 << 20;

	b->call_of_port = calloc(65536, sizeof(unsigned));
	b->shared_fd = udp_bound(NULL);
	if (b->call_of_port == NULL ||
	    setsockopt(b->shared_fd, SOL_IP, IP_RECVORIGDSTADDR, &on, sizeof(on)) != 0 ||
	    relay_raw_open(AF_INET, &b->raw_fd) != 0 ||
	    relay_bpf_open(&b->bpf, b->calls, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_forward_floor: batched: %s\n", why[0] ? why : strerror(errno));
		exit(1);
	}
	if (setsockopt(b->shared_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(b->shared_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	ports_map(b, port_steer_batched);
}

/* The forwarder of the xdp style: frames from the AF_XDP socket, protected in place, sent back
 * on its ring to the sink (MACs swapped: the generator's veth end is the next hop). */
static void *
forwarder_xdp(void *arg)
{
	struct bench *b = arg;
	struct relay_xsk_pkt p[BATCH];
	struct pollfd pf = { .fd = relay_xsk_fd(b->xsk), .events = POLLIN };
	struct sa src, dst;
	uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	unsigned n, i, sent;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.u.in.sin_family = AF_INET;
	src.len = sizeof(src.u.in);
	memcpy(&dst.u.in, &b->sink, sizeof(b->sink));
	dst.len = sizeof(b->sink);
	while (!atomic_load(&b->stop)) {
		if (poll(&pf, 1, 100) <= 0)
			continue;
		while ((n = relay_xsk_rx(b->xsk, p, BATCH)) > 0) {
			for (sent = 0, i = 0; i < n; i++) {
				uint8_t *d = p[i].data, mac[6];
				size_t len = p[i].len >= 42 ? p[i].len - 42 : 0;
				uint16_t port = (uint16_t)(d[36] << 8 | d[37]);
				unsigned call = b->call_of_port[port];

				if (len == 0 || call-- == 0 || (b->srtp && srtp_ctx_protect_rtp(
				    b->tx[call], d + 42, &len, p[i].cap - 42) != 0)) {
					relay_xsk_free(b->xsk, p[i].addr);
					continue;
				}
				memcpy(mac, d, 6);
				memcpy(d, d + 6, 6);
				memcpy(d + 6, mac, 6);
				/* Symmetric: from the address and port it arrived on. */
				memcpy(&src.u.in.sin_addr, d + 30, 4);
				memcpy(&src.u.in.sin_port, d + 36, 2);
				(void)relay_raw_header_full(d + 14, &src, &dst, d + 42, len);
				if (relay_xsk_tx(b->xsk, p[i].addr, (uint32_t)(42 + len)))
					sent++;
				else
					relay_xsk_free(b->xsk, p[i].addr);
			}
			(void)relay_xsk_flush(b->xsk);
			atomic_fetch_add(&b->forwarded, (unsigned long)sent);
			if (n < BATCH)
				break;
		}
	}
	b->fwd_cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* Enters network namespace name (/run/netns/NAME, as ip netns makes them); exits on failure. */
static void
netns_enter(const char *name, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%.*s", (int)len, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "bench_forward_floor: namespace %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* The xdp style's kernel side for every call's port (in the relay's namespace, current). */
static void
xdp_setup(struct bench *b, const struct in_addr *relay_ip)
{
	struct sa ra;
	char why[160] = "";

	memset(&ra, 0, sizeof(ra));
	ra.u.in.sin_family = AF_INET;
	ra.u.in.sin_addr = *relay_ip;
	ra.len = sizeof(ra.u.in);
	b->call_of_port = calloc(65536, sizeof(unsigned));
	if (b->call_of_port == NULL ||
	    relay_xdp_open(&b->xdpk, &ra, 1, b->calls, why, sizeof(why)) != 0 ||
	    relay_xsk_open(&b->xsk, &b->xdpk->ifs[0], 0) != 0) {
		fprintf(stderr, "bench_forward_floor: xdp: %s\n", why[0] ? why : strerror(errno));
		exit(1);
	}
	ports_map(b, port_steer_xdp);
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
	const char *netns = NULL, *addrs = NULL;
	struct in_addr relay_ip = { 0 }, gen_ip = { 0 };

	while ((ch = getopt(argc, argv, "c:s:Si:N:a:")) != -1) {
		switch (ch) {
		case 'c': b.calls = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': b.seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': b.srtp = true; break;
		case 'N': netns = optarg; break;
		case 'a': addrs = optarg; break;
		case 'i':
			if (strcmp(optarg, "batched") == 0 || strcmp(optarg, "sockets") == 0 ||
			    strcmp(optarg, "xdp") == 0) {
				b.batched = optarg[0] == 'b';
				b.xdp = optarg[0] == 'x';
				break;
			}
			/* FALLTHROUGH */
		default:
			fprintf(stderr, "usage: bench_forward_floor [-c calls] [-s seconds] [-S] "
			    "[-i sockets|batched|xdp] [-N NS_RELAY,NS_GEN -a RELAY_IP,GEN_IP]\n");
			return 2;
		}
	}
	if ((b.xdp || netns != NULL) && (netns == NULL || addrs == NULL ||
	    strchr(netns, ',') == NULL || strchr(addrs, ',') == NULL ||
	    inet_pton(AF_INET, strchr(addrs, ',') + 1, &gen_ip) != 1)) {
		fprintf(stderr, "bench_forward_floor: -i xdp (and -N) need -N NS_RELAY,NS_GEN "
		    "-a RELAY_IP,GEN_IP\n");
		return 2;
	}
	if (netns != NULL) {
		char rip[64];

		snprintf(rip, sizeof(rip), "%.*s", (int)(strchr(addrs, ',') - addrs), addrs);
		if (inet_pton(AF_INET, rip, &relay_ip) != 1)
			return 2;
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
	/* With -N: the generator's sockets (and the sink) in its namespace, the relay's ports
	 * (and the batched or xdp kernel side) in the other; a socket stays in the namespace it
	 * was made in. */
	if (netns != NULL) {
		netns_enter(strchr(netns, ',') + 1, strlen(strchr(netns, ',') + 1));
		bind_ip = gen_ip;
	}
	for (i = 0; i < b.calls; i++)
		b.gen_fd[i] = udp_bound(NULL);
	b.sink_fd = udp_bound(&b.sink);
	if (netns != NULL) {
		netns_enter(netns, (size_t)(strchr(netns, ',') - netns));
		bind_ip = relay_ip;
	}
	for (i = 0; i < b.calls; i++) {
		b.relay_fd[i] = udp_bound(NULL);
		if (b.srtp) {
			struct crypto_key k = { .suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
			    .key_salt_len = 30 };

			memset(k.key_salt, (int)(i & 0xff), k.key_salt_len);
			if (srtp_ctx_create(&b.tx[i], k.suite, &k, SRTP_CTX_OUTBOUND, NULL) != 0)
				return 1;
		}
	}
	(void)setsockopt(b.sink_fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (b.batched)
		batched_setup(&b);
	if (b.xdp)
		xdp_setup(&b, &relay_ip);
	if (pthread_create(&fwd, NULL, b.batched ? forwarder_batched : b.xdp ? forwarder_xdp :
	    forwarder, &b) != 0 ||
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
	printf("bench_forward_floor: io=%s calls=%u srtp=%s seconds=%u forwarded_pps=%.0f "
	    "received=%lu fwd_cpu_us_per_pkt=%.3f (whole run: %lu packets)\n",
	    b.batched ? "batched" : b.xdp ? "xdp" : "sockets", b.calls,
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
	if (b.xdp) {
		relay_xsk_close(b.xsk);
		relay_xdp_close(b.xdpk);
		free(b.call_of_port);
	}
	if (b.batched) {
		relay_bpf_close(b.bpf);
		close(b.shared_fd);
		close(b.raw_fd);
		free(b.call_of_port);
	}
	free(b.relay_fd);
	free(b.gen_fd);
	free(b.tx);
	return atomic_load(&b.received) > 0 ? 0 : 1;
}
