/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmark: SRTP protect/unprotect cost per 172-byte RTP packet, NSS (libsrtp) vs OpenSSL engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "srtp.h"

#define PAYLOAD_LEN	160	/* PCMU, 20 ms */
#define PKT_LEN		(12 + PAYLOAD_LEN)
#define BATCH		64	/* packets timed together: clock cost amortised */
#define MAX_SESSIONS	100000

struct slot {
	_Alignas(8) uint8_t b[PKT_LEN + SRTP_CTX_TAILROOM];
	size_t len;
};

struct session {
	struct srtp_ctx *tx, *rx;
	uint16_t seq;
	uint32_t ssrc;
};

struct opts {
	long count;		/* packets per row */
	int nsess;
	int sessions[8];
	int nsuites;
	enum crypto_suite suites[CRYPTO_SUITE_COUNT];
	int nimpl;
	enum srtp_engine_impl impls[2];
};

static double
now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
make_pkt(struct slot *s, const struct session *ss, uint32_t ts)
{
	uint8_t *b = s->b;

	b[0] = 0x80;
	b[1] = 0x00;
	b[2] = (uint8_t)(ss->seq >> 8);
	b[3] = (uint8_t)ss->seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ss->ssrc >> 24);
	b[9] = (uint8_t)(ss->ssrc >> 16);
	b[10] = (uint8_t)(ss->ssrc >> 8);
	b[11] = (uint8_t)ss->ssrc;
	memset(b + 12, 0xd5, PAYLOAD_LEN);	/* PCMU silence */
	s->len = PKT_LEN;
}

static int
sessions_create(struct session *ss, int n, enum crypto_suite suite)
{
	const struct crypto_suite_info *info = crypto_suite_info(suite);
	struct crypto_key k;
	int err;

	for (int i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.suite = suite;
		k.key_salt_len = info->key_len + info->salt_len;
		for (size_t j = 0; j < k.key_salt_len; j++)
			k.key_salt[j] = (uint8_t)(i * 31 + (int)j * 7 + 1);
		ss[i].seq = (uint16_t)(i * 977);
		ss[i].ssrc = 0x10000000u + (uint32_t)i;
		err = srtp_ctx_create(&ss[i].tx, suite, &k, SRTP_CTX_OUTBOUND, NULL);
		if (err == 0)
			err = srtp_ctx_create(&ss[i].rx, suite, &k, SRTP_CTX_INBOUND, NULL);
		if (err) {
			fprintf(stderr, "bench_srtp: srtp_ctx_create: %s\n", strerror(err));
			return err;
		}
	}
	return 0;
}

static void
sessions_destroy(struct session *ss, int n)
{
	for (int i = 0; i < n; i++) {
		srtp_ctx_destroy(ss[i].tx);
		srtp_ctx_destroy(ss[i].rx);
	}
}

/*
 * One row: count packets spread round-robin over n sessions, in batches
 * of BATCH: all protected, then all unprotected, each phase timed.
 */
static int
run_row(enum srtp_engine_impl impl, enum crypto_suite suite, int n, long count)
{
	static struct slot slots[BATCH];
	static uint8_t plain[BATCH][PKT_LEN];
	struct session *ss;
	double cpu_p = 0, cpu_u = 0, wall_p = 0, wall_u = 0;
	long done = 0, next = 0;
	int err;

	ss = calloc((size_t)n, sizeof(*ss));
	if (ss == NULL)
		return ENOMEM;
	err = sessions_create(ss, n, suite);
	if (err)
		goto out;
	/* Warm-up: every session sees one packet (libsrtp clones its stream then). */
	for (int i = 0; i < n; i++) {
		make_pkt(&slots[0], &ss[i], 0);
		ss[i].seq++;
		err = srtp_ctx_protect_rtp(ss[i].tx, slots[0].b, &slots[0].len,
		    sizeof(slots[0].b));
		if (!err)
			err = srtp_ctx_unprotect_rtp(ss[i].rx, slots[0].b, &slots[0].len);
		if (err)
			goto fail;
	}
	while (done < count) {
		int nb = count - done < BATCH ? (int)(count - done) : BATCH;
		int sidx[BATCH];
		double c0, c1, c2, w0, w1, w2;

		for (int k = 0; k < nb; k++) {
			sidx[k] = (int)(next++ % n);
			make_pkt(&slots[k], &ss[sidx[k]], (uint32_t)done * 160u);
			ss[sidx[k]].seq++;
			memcpy(plain[k], slots[k].b, PKT_LEN);
		}
		w0 = now_ns(CLOCK_MONOTONIC);
		c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		for (int k = 0; k < nb; k++) {
			err = srtp_ctx_protect_rtp(ss[sidx[k]].tx, slots[k].b, &slots[k].len,
			    sizeof(slots[k].b));
			if (err)
				goto fail;
		}
		c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		w1 = now_ns(CLOCK_MONOTONIC);
		for (int k = 0; k < nb; k++) {
			err = srtp_ctx_unprotect_rtp(ss[sidx[k]].rx, slots[k].b, &slots[k].len);
			if (err)
				goto fail;
		}
		c2 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		w2 = now_ns(CLOCK_MONOTONIC);
		cpu_p += c1 - c0;
		cpu_u += c2 - c1;
		wall_p += w1 - w0;
		wall_u += w2 - w1;
		/* Untimed: the round trip gave back the plaintext. */
		for (int k = 0; k < nb; k++) {
			if (slots[k].len != PKT_LEN || memcmp(slots[k].b, plain[k], PKT_LEN)) {
				fprintf(stderr, "bench_srtp: round trip mismatch\n");
				err = EIO;
				goto out;
			}
		}
		done += nb;
	}
	printf("%-8s %-24s %8d %9ld %10.0f %10.0f %10.0f %10.0f\n",
	    srtp_engine_impl_name(impl), crypto_suite_name(suite), n, count,
	    cpu_p / (double)count, cpu_u / (double)count,
	    wall_p / (double)count, wall_u / (double)count);
	fflush(stdout);
	goto out;
 fail:
	fprintf(stderr, "bench_srtp: %s %s: %s\n", srtp_engine_impl_name(impl),
	    crypto_suite_name(suite), srtp_ctx_strerror(err));
 out:
	sessions_destroy(ss, n);
	free(ss);
	return err;
}

/* The engine choice is global to a process: each implementation runs in a child. */
static int
run_impl(const struct opts *o, enum srtp_engine_impl impl)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		int err = srtp_engine_init_impl(impl);

		if (err) {
			fprintf(stderr, "bench_srtp: engine %s: %s\n",
			    srtp_engine_impl_name(impl), strerror(err));
			_exit(2);
		}
		for (int s = 0; s < o->nsuites; s++) {
			for (int i = 0; i < o->nsess; i++) {
				if (run_row(impl, o->suites[s], o->sessions[i], o->count))
					_exit(1);
			}
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EIO;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_srtp [--count N] [--sessions N[,N...]] [--suite NAME|all]\n"
	    "                  [--impl openssl|libsrtp|both] [--smoke]\n"
	    "defaults: --count 50000 --sessions 1,1000 --suite all --impl both\n");
	exit(2);
}

static int
parse_sessions(struct opts *o, char *arg)
{
	o->nsess = 0;
	for (char *t = strtok(arg, ","); t != NULL; t = strtok(NULL, ",")) {
		char *end;
		long v = strtol(t, &end, 10);

		if (*end != '\0' || v < 1 || v > MAX_SESSIONS || o->nsess == 8)
			return EINVAL;
		o->sessions[o->nsess++] = (int)v;
	}
	return o->nsess ? 0 : EINVAL;
}

int
main(int argc, char **argv)
{
	struct opts o = { .count = 50000, .nsess = 2, .sessions = { 1, 1000 } };
	const char *suite = "all", *impl = "both";
	int err = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--smoke") == 0) {
			o.count = 300;
			o.nsess = 2;
			o.sessions[0] = 1;
			o.sessions[1] = 10;
		} else if (strcmp(a, "--count") == 0 && i + 1 < argc) {
			char *end;

			o.count = strtol(argv[++i], &end, 10);
			if (*end != '\0' || o.count < 1 || o.count > 100000000)
				usage();
		} else if (strcmp(a, "--sessions") == 0 && i + 1 < argc) {
			if (parse_sessions(&o, argv[++i]))
				usage();
		} else if (strcmp(a, "--suite") == 0 && i + 1 < argc) {
			suite = argv[++i];
		} else if (strcmp(a, "--impl") == 0 && i + 1 < argc) {
			impl = argv[++i];
		} else {
			usage();
		}
	}
	if (strcmp(suite, "all") == 0) {
		for (int s = CRYPTO_SUITE_NONE + 1; s < CRYPTO_SUITE_COUNT; s++)
			o.suites[o.nsuites++] = (enum crypto_suite)s;
	} else {
		o.suites[0] = crypto_suite_from_name(suite, strlen(suite));
		if (o.suites[0] == CRYPTO_SUITE_NONE)
			usage();
		o.nsuites = 1;
	}
	if (strcmp(impl, "both") == 0 || strcmp(impl, "libsrtp") == 0)
		o.impls[o.nimpl++] = SRTP_ENGINE_LIBSRTP;
	if (strcmp(impl, "both") == 0 || strcmp(impl, "openssl") == 0)
		o.impls[o.nimpl++] = SRTP_ENGINE_OPENSSL;
	if (o.nimpl == 0)
		usage();

	printf("# bench_srtp: %d-byte RTP (PCMU %d B + 12 B header), sessions round-robin,"
	    " ns per packet\n", PKT_LEN, PAYLOAD_LEN);
	printf("# cpu = thread CPU time, wall = monotonic; libsrtp = Debian's NSS build\n");
	printf("%-8s %-24s %8s %9s %10s %10s %10s %10s\n", "impl", "suite", "sessions",
	    "packets", "cpu_prot", "cpu_unprot", "wall_prot", "wall_unpr");
	for (int i = 0; i < o.nimpl && !err; i++)
		err = run_impl(&o, o.impls[i]);
	if (err)
		fprintf(stderr, "bench_srtp: failed\n");
	return err ? 1 : 0;
}
