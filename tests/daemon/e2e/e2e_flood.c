/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Abuse generator for the flood tests, bounded in count and time, on loopback only:
 *   udp        a request flood (OPTIONS) at a rate; counts the answers
 *   tcp-idle   many TCP connections that never send (TLS port: no ClientHello either)
 *   tls-hello  many connections that send one ClientHello and then stall
 *   trickle    one connection sending a SIP header a byte at a time
 *   pair       two complete requests on one connection, a gap apart (idle is allowed)
 * Prints key=value results on one line for the shell test to check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS 20000

static struct sockaddr_in target, source;
static unsigned count = 1, rate, hold_ms = 3000, interval_ms = 500, gap_ms = 1000;
static unsigned max_ms = 15000;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: e2e_flood -m udp|tcp-idle|tls-hello|trickle|pair -t ip:port -s ip\n"
	    "  [-n count] [-r per_second] [-H hold_ms] [-i interval_ms] [-g gap_ms] [-M max_ms]\n");
	exit(2);
}

static int
parse_ipport(const char *s, struct sockaddr_in *out, int need_port)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (n >= sizeof(host) || (need_port && colon == NULL))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons(colon ? (uint16_t)atoi(colon + 1) : 0);
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

static int
sock_new(int type)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&source, sizeof(source)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
options_msg(char *buf, size_t size, const char *tp, unsigned i)
{
	char to[INET_ADDRSTRLEN], from[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &target.sin_addr, to, sizeof(to));
	inet_ntop(AF_INET, &source.sin_addr, from, sizeof(from));
	return snprintf(buf, size, "OPTIONS sip:ping@%s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s:5060;branch=z9hG4bK-flood-%u-%u\r\n"
	    "From: <sip:flood@example.test>;tag=f%u\r\nTo: <sip:ping@%s>\r\n"
	    "Call-ID: flood-%u-%u@%s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
	    "Content-Length: 0\r\n\r\n", to, tp, from, (unsigned)getpid(), i, i, to,
	    (unsigned)getpid(), i, from);
}

/* ---- udp: count datagrams out, answers in ---- */
static int
run_udp(void)
{
	int fd = sock_new(SOCK_DGRAM);
	unsigned sent = 0, answered = 0;
	uint64_t t0 = now_ms(), end;
	char buf[2048];

	if (fd < 0 || connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0) {
		perror("udp socket");
		return 1;
	}
	while (sent < count && now_ms() - t0 < max_ms) {
		/* on schedule: at rate per second, or as fast as the socket takes them */
		if (rate == 0 || sent * 1000ull < (now_ms() - t0) * rate) {
			int n = options_msg(buf, sizeof(buf), "UDP", sent);

			if (send(fd, buf, (size_t)n, 0) == n)
				sent++;
		}
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			answered++;
		if (rate != 0)
			usleep(200);
	}
	/* the stragglers */
	for (end = now_ms() + 1000; now_ms() < end; usleep(5000))
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			answered++;
	printf("sent=%u answered=%u ms=%llu\n", sent, answered,
	    (unsigned long long)(now_ms() - t0));
	close(fd);
	return 0;
}

/* ---- many connections: state of each, the most open at once ---- */
enum cstate { C_CONNECTING, C_OPEN, C_CLOSED };

struct conn {
	int fd;
	enum cstate st;
	uint64_t open_ms, closed_ms;
};

static struct conn *conns;

/* The ClientHello an OpenSSL client sends first (the same bytes for every connection). */
static int
client_hello(unsigned char *buf, size_t size, size_t *len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL *ssl;
	int n;

	if (ctx == NULL || rb == NULL || wb == NULL)
		return -1;
	ssl = SSL_new(ctx);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_tlsext_host_name(ssl, "sbc.example.test");
	SSL_connect(ssl);	/* wants to read: the hello is in wb */
	n = BIO_read(wb, buf, (int)size);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

/*
 * The most connections the server held at once: those it kept 500 ms or more (one it
 * closes at once was refused; the client may notice that a moment late).
 */
static unsigned
max_held(unsigned n, uint64_t end)
{
	unsigned i, j, best = 0;

	for (i = 0; i < n; i++) {
		uint64_t t = conns[i].open_ms, ci = conns[i].closed_ms ? conns[i].closed_ms : end;
		unsigned k = 0;

		if (conns[i].open_ms == 0 || ci - t < 500)
			continue;
		for (j = 0; j < n; j++) {
			uint64_t cj = conns[j].closed_ms ? conns[j].closed_ms : end;

			if (conns[j].open_ms != 0 && cj - conns[j].open_ms >= 500 &&
			    conns[j].open_ms <= t && cj > t)
				k++;
		}
		if (k > best)
			best = k;
	}
	return best;
}

static int
run_conns(int hello)
{
	unsigned char ch[4096];
	size_t chlen = 0;
	unsigned opened = 0, i, open_now = 0, max_open = 0, established = 0, closed = 0;
	unsigned refused_at_once = 0, deadline_closed = 0;
	uint64_t t0 = now_ms(), min_life = 0, max_life = 0;
	struct pollfd *pfd;
	char buf[4096];

	if (hello && client_hello(ch, sizeof(ch), &chlen) != 0) {
		fprintf(stderr, "no ClientHello\n");
		return 1;
	}
	conns = calloc(count, sizeof(*conns));
	pfd = calloc(count, sizeof(*pfd));
	if (conns == NULL || pfd == NULL)
		return 1;
	for (i = 0; i < count; i++) {
		int fd = sock_new(SOCK_STREAM);

		if (fd < 0) {
			perror("socket");
			break;
		}
		if (connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0 &&
		    errno != EINPROGRESS) {
			close(fd);
			conns[i].fd = -1;
			conns[i].st = C_CLOSED;
			continue;
		}
		conns[i].fd = fd;
		conns[i].st = C_CONNECTING;
		opened++;
	}
	while (now_ms() - t0 < hold_ms) {
		for (i = 0; i < opened; i++) {
			pfd[i].fd = conns[i].st == C_CLOSED ? -1 : conns[i].fd;
			pfd[i].events = conns[i].st == C_CONNECTING ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, opened, 20) < 0)
			break;
		for (i = 0; i < opened; i++) {
			struct conn *c = &conns[i];
			int soerr = 0;
			socklen_t sl = sizeof(soerr);

			if (pfd[i].revents == 0)
				continue;
			if (c->st == C_CONNECTING) {
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
				if (soerr != 0) {
					c->st = C_CLOSED;
					continue;
				}
				c->st = C_OPEN;
				c->open_ms = now_ms();
				established++;
				open_now++;
				if (open_now > max_open)
					max_open = open_now;
				if (hello)
					send(c->fd, ch, chlen, MSG_NOSIGNAL);
				continue;
			}
			/* Open: the server's ServerHello is read and ignored; EOF or RST closes. */
			ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
				continue;
			c->st = C_CLOSED;
			c->closed_ms = now_ms();
			closed++;
			open_now--;
			{
				uint64_t life = c->closed_ms - c->open_ms;

				if (life < 500) {
					refused_at_once++;
				} else {
					deadline_closed++;
					if (min_life == 0 || life < min_life)
						min_life = life;
					if (life > max_life)
						max_life = life;
				}
			}
		}
	}
	printf("opened=%u established=%u max_open=%u max_held=%u open_at_end=%u closed=%u "
	    "refused_at_once=%u closed_later=%u life_min_ms=%llu life_max_ms=%llu\n", opened,
	    established, max_open, max_held(opened, now_ms()), open_now, closed, refused_at_once,
	    deadline_closed, (unsigned long long)min_life, (unsigned long long)max_life);
	fflush(stdout);
	for (i = 0; i < opened; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(pfd);
	free(conns);
	return 0;
}

/* A blocking TCP connection to target from source; -1 on failure. */
static int
tcp_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&source, sizeof(source)) < 0 ||
	    connect(fd, (struct sockaddr *)&target, sizeof(target)) < 0) {
		perror("tcp connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether fd was closed by the peer (EOF or reset) within ms. */
static int
peer_closed(int fd, unsigned ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[512];
	ssize_t n;

	if (poll(&p, 1, (int)ms) <= 0)
		return 0;
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN);
}

/* ---- trickle: one byte every interval until the server closes ---- */
static int
run_trickle(void)
{
	char msg[1024];
	int fd = tcp_connect(), n;
	unsigned sent = 0;
	uint64_t t0 = now_ms();

	if (fd < 0)
		return 1;
	n = options_msg(msg, sizeof(msg), "TCP", 1);
	while (now_ms() - t0 < max_ms) {
		if (sent < (unsigned)n - 4 && send(fd, msg + sent, 1, MSG_NOSIGNAL) == 1)
			sent++;
		if (peer_closed(fd, interval_ms)) {
			printf("closed_after_ms=%llu bytes=%u\n", (unsigned long long)(now_ms() - t0),
			    sent);
			close(fd);
			return 0;
		}
	}
	printf("closed_after_ms=-1 bytes=%u\n", sent);
	close(fd);
	return 0;
}

/* The status of the response read from fd within ms, 0 when none (or closed). */
static int
read_status(int fd, unsigned ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[4096];
	ssize_t n;

	if (poll(&p, 1, (int)ms) <= 0)
		return 0;
	n = recv(fd, b, sizeof(b) - 1, 0);
	if (n <= 12 || strncmp(b, "SIP/2.0 ", 8) != 0)
		return 0;
	return atoi(b + 8);
}

/* ---- pair: two whole requests, gap_ms apart, on one connection ---- */
static int
run_pair(void)
{
	char msg[1024];
	int fd = tcp_connect(), n, st1, st2;

	if (fd < 0)
		return 1;
	n = options_msg(msg, sizeof(msg), "TCP", 1);
	send(fd, msg, (size_t)n, MSG_NOSIGNAL);
	st1 = read_status(fd, 3000);
	usleep(gap_ms * 1000);
	n = options_msg(msg, sizeof(msg), "TCP", 2);
	send(fd, msg, (size_t)n, MSG_NOSIGNAL);
	st2 = read_status(fd, 3000);
	printf("first=%d second=%d\n", st1, st2);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "m:t:s:n:r:H:i:g:M:")) != -1) {
		switch (ch) {
		case 'm': mode = optarg; break;
		case 't': if (parse_ipport(optarg, &target, 1)) usage(); break;
		case 's': if (parse_ipport(optarg, &source, 0)) usage(); break;
		case 'n': count = (unsigned)atoi(optarg); break;
		case 'r': rate = (unsigned)atoi(optarg); break;
		case 'H': hold_ms = (unsigned)atoi(optarg); break;
		case 'i': interval_ms = (unsigned)atoi(optarg); break;
		case 'g': gap_ms = (unsigned)atoi(optarg); break;
		case 'M': max_ms = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	/* Bounded: a test that asks for more is a mistake, not a bigger flood. */
	if (mode == NULL || target.sin_port == 0 || source.sin_family == 0 || count == 0 ||
	    count > MAX_CONNS || hold_ms > 120000 || max_ms > 120000)
		usage();
	/* Loopback only. */
	if ((ntohl(target.sin_addr.s_addr) >> 24) != 127 || (ntohl(source.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "e2e_flood: loopback addresses only\n");
		return 2;
	}
	if (strcmp(mode, "udp") == 0)
		return run_udp();
	if (strcmp(mode, "tcp-idle") == 0)
		return run_conns(0);
	if (strcmp(mode, "tls-hello") == 0)
		return run_conns(1);
	if (strcmp(mode, "trickle") == 0)
		return run_trickle();
	if (strcmp(mode, "pair") == 0)
		return run_pair();
	usage();
	return 2;
}
