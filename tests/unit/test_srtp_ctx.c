/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for mediad/srtp_ctx: OpenSSL vs NSS interop, tamper/replay/garbage, no allocation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "srtp.h"

/* ---- Allocation counter: real malloc underneath, counted while armed ---- */

static atomic_long alloc_count;
static atomic_int alloc_armed;

#if defined(__SANITIZE_ADDRESS__)
#define SRTP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SRTP_TEST_ASAN 1
#endif
#endif

#ifdef SRTP_TEST_ASAN
#include <sanitizer/allocator_interface.h>

/* ASan owns malloc; its hook sees every allocation in the process. */
static void
count_malloc_hook(const volatile void *p, size_t n)
{
	if (atomic_load(&alloc_armed))
		atomic_fetch_add(&alloc_count, 1);
}

static void
count_free_hook(const volatile void *p)
{
}

static void
alloc_counter_setup(void)
{
	static int done;

	if (!done)
		__sanitizer_install_malloc_and_free_hooks(count_malloc_hook, count_free_hook);
	done = 1;
}
#else
/* glibc lets a program replace malloc; forward to its implementation. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);

void *
malloc(size_t n)
{
	if (atomic_load(&alloc_armed))
		atomic_fetch_add(&alloc_count, 1);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	if (atomic_load(&alloc_armed))
		atomic_fetch_add(&alloc_count, 1);
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	if (atomic_load(&alloc_armed))
		atomic_fetch_add(&alloc_count, 1);
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

static void
alloc_counter_setup(void)
{
}
#endif

static void
alloc_count_start(void)
{
	alloc_counter_setup();
	atomic_store(&alloc_count, 0);
	atomic_store(&alloc_armed, 1);
}

static long
alloc_count_stop(void)
{
	atomic_store(&alloc_armed, 0);
	return atomic_load(&alloc_count);
}

/* ---- Packets and keys ---- */

#define NPKT		120
#define PKT_CAP		(1500 + SRTP_CTX_TAILROOM)
#define SEQ_START	65480	/* the run crosses the 16-bit wrap: ROC 0 -> 1 */

static const enum crypto_suite all_suites[] = {
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	CRYPTO_SUITE_AEAD_AES_128_GCM,
	CRYPTO_SUITE_AEAD_AES_256_GCM,
	CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
};
#define NSUITES (sizeof(all_suites) / sizeof(all_suites[0]))

struct pkt {
	size_t len;
	_Alignas(8) uint8_t b[PKT_CAP];
};

static void
make_key(struct crypto_key *k, enum crypto_suite s, uint8_t seed)
{
	const struct crypto_suite_info *i = crypto_suite_info(s);

	memset(k, 0, sizeof(*k));
	k->suite = s;
	k->key_salt_len = i->key_len + i->salt_len;
	for (size_t j = 0; j < k->key_salt_len; j++)
		k->key_salt[j] = (uint8_t)(seed + j * 7);
}

/* RTP with a 160-byte payload; some carry a CSRC or a header extension. */
static void
make_rtp(struct pkt *p, int i, uint32_t ssrc)
{
	uint16_t seq = (uint16_t)(SEQ_START + i);
	uint32_t ts = 1000 + 160u * (uint32_t)i;
	size_t o = 12;

	memset(p, 0, sizeof(*p));
	p->b[0] = 0x80;
	p->b[1] = (uint8_t)(i % 11 == 0 ? 0x80 : 0x00);
	p->b[2] = (uint8_t)(seq >> 8);
	p->b[3] = (uint8_t)seq;
	p->b[4] = (uint8_t)(ts >> 24);
	p->b[5] = (uint8_t)(ts >> 16);
	p->b[6] = (uint8_t)(ts >> 8);
	p->b[7] = (uint8_t)ts;
	p->b[8] = (uint8_t)(ssrc >> 24);
	p->b[9] = (uint8_t)(ssrc >> 16);
	p->b[10] = (uint8_t)(ssrc >> 8);
	p->b[11] = (uint8_t)ssrc;
	if (i % 7 == 3) {
		p->b[0] |= 1;
		memcpy(p->b + o, "\x01\x02\x03\x04", 4);
		o += 4;
	}
	if (i % 5 == 2) {
		p->b[0] |= 0x10;
		memcpy(p->b + o, "\xbe\xde\x00\x01\x10\xaa\x00\x00", 8);
		o += 8;
	}
	for (int j = 0; j < 160; j++)
		p->b[o + (size_t)j] = (uint8_t)(0xd5 ^ (j + i));
	p->len = o + 160;
}

/* A sender report with one SDES chunk. */
static void
make_rtcp(struct pkt *p, int i, uint32_t ssrc)
{
	static const uint8_t sdes[] = {
		0x81, 0xca, 0x00, 0x04, 0, 0, 0, 0, 0x01, 0x06, 's', 'b', 'c', '-', 't', 'x',
		0x00, 0x00, 0x00, 0x00,
	};

	memset(p, 0, sizeof(*p));
	p->b[0] = 0x80;
	p->b[1] = 200;
	p->b[3] = 6;
	p->b[4] = (uint8_t)(ssrc >> 24);
	p->b[5] = (uint8_t)(ssrc >> 16);
	p->b[6] = (uint8_t)(ssrc >> 8);
	p->b[7] = (uint8_t)ssrc;
	for (int j = 8; j < 28; j++)
		p->b[j] = (uint8_t)(i * 3 + j);
	memcpy(p->b + 28, sdes, sizeof(sdes));
	memcpy(p->b + 32, p->b + 4, 4);
	p->len = 28 + sizeof(sdes);
}

/* ---- Running one engine in a child process (the replacement is global) ---- */

struct job {
	enum srtp_engine_impl impl;
	enum crypto_suite suite;
	struct srtp_ctx_opts opts;
	enum srtp_ctx_dir dir;	/* OUTBOUND: protect; INBOUND: unprotect */
	int rtcp;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	uint8_t *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
child_run(const struct job *j, struct pkt *in, int fd)
{
	struct srtp_ctx *ctx = NULL;
	struct crypto_key k;
	int rc = 0;

	if (srtp_engine_init_impl(j->impl) != 0 || srtp_engine_active() != j->impl)
		_exit(3);
	make_key(&k, j->suite, 0x40);
	if (srtp_ctx_create(&ctx, j->suite, &k, j->dir, &j->opts) != 0)
		_exit(4);
	for (int i = 0; i < NPKT; i++) {
		struct pkt *p = &in[i];

		if (j->dir == SRTP_CTX_OUTBOUND)
			rc = j->rtcp ? srtp_ctx_protect_rtcp(ctx, p->b, &p->len, sizeof(p->b)) :
			    srtp_ctx_protect_rtp(ctx, p->b, &p->len, sizeof(p->b));
		else
			rc = j->rtcp ? srtp_ctx_unprotect_rtcp(ctx, p->b, &p->len) :
			    srtp_ctx_unprotect_rtp(ctx, p->b, &p->len);
		if (rc != 0)
			_exit(10 + (rc & 0x7f));
		if (write_all(fd, &p->len, sizeof(p->len)) || write_all(fd, p->b, p->len))
			_exit(5);
	}
	srtp_ctx_destroy(ctx);
	_exit(0);
}

/* Runs the job in a fresh child on a copy of in; returns its output packets. */
static void
run_job(const struct job *j, const struct pkt *in, struct pkt *out)
{
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		memcpy(out, in, sizeof(*out) * NPKT);
		child_run(j, out, fds[1]);
	}
	close(fds[1]);
	memset(out, 0, sizeof(*out) * NPKT);
	for (int i = 0; i < NPKT; i++) {
		if (read_all(fds[0], &out[i].len, sizeof(out[i].len)) != 0)
			break;
		assert_true(out[i].len <= sizeof(out[i].b));
		assert_int_equal(read_all(fds[0], out[i].b, out[i].len), 0);
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child (%s, suite %s, %s, %s) failed: status 0x%x",
		    srtp_engine_impl_name(j->impl), crypto_suite_name(j->suite),
		    j->dir == SRTP_CTX_OUTBOUND ? "protect" : "unprotect",
		    j->rtcp ? "rtcp" : "rtp", status);
}

static void
interop_one(enum crypto_suite s, int rtcp, unsigned int flags)
{
	static struct pkt plain[NPKT], c_nss[NPKT], c_ossl[NPKT], back[NPKT];
	struct job j = { .suite = s, .rtcp = rtcp, .opts = { .flags = flags } };

	print_message("interop %s %s flags %#x\n", crypto_suite_name(s),
	    rtcp ? "SRTCP" : "SRTP", flags);
	for (int i = 0; i < NPKT; i++) {
		if (rtcp)
			make_rtcp(&plain[i], i, 0x5bc0ffee);
		else
			make_rtp(&plain[i], i, 0x5bc0ffee);
	}
	j.dir = SRTP_CTX_OUTBOUND;
	j.impl = SRTP_ENGINE_LIBSRTP;
	run_job(&j, plain, c_nss);
	j.impl = SRTP_ENGINE_OPENSSL;
	run_job(&j, plain, c_ossl);
	for (int i = 0; i < NPKT; i++) {
		assert_true(c_nss[i].len > plain[i].len || (flags & SRTP_CTX_UNAUTHENTICATED_SRTP));
		assert_int_equal(c_nss[i].len, c_ossl[i].len);
		assert_memory_equal(c_nss[i].b, c_ossl[i].b, c_nss[i].len);
		/* Really encrypted unless the session parameters say otherwise. */
		if (!rtcp && !(flags & SRTP_CTX_UNENCRYPTED_SRTP))
			assert_memory_not_equal(c_nss[i].b + plain[i].len - 160,
			    plain[i].b + plain[i].len - 160, 160);
		if (!rtcp && (flags & SRTP_CTX_UNENCRYPTED_SRTP))
			assert_memory_equal(c_nss[i].b, plain[i].b, plain[i].len);
		if (rtcp && !(flags & SRTP_CTX_UNENCRYPTED_SRTCP))
			assert_memory_not_equal(c_nss[i].b + 8, plain[i].b + 8, plain[i].len - 8);
		if (rtcp && (flags & SRTP_CTX_UNENCRYPTED_SRTCP))
			assert_memory_equal(c_nss[i].b, plain[i].b, plain[i].len);
	}
	/* Cross-unprotect: NSS reads OpenSSL's output and the other way round. */
	j.dir = SRTP_CTX_INBOUND;
	j.impl = SRTP_ENGINE_LIBSRTP;
	run_job(&j, c_ossl, back);
	for (int i = 0; i < NPKT; i++) {
		assert_int_equal(back[i].len, plain[i].len);
		assert_memory_equal(back[i].b, plain[i].b, plain[i].len);
	}
	j.impl = SRTP_ENGINE_OPENSSL;
	run_job(&j, c_nss, back);
	for (int i = 0; i < NPKT; i++) {
		assert_int_equal(back[i].len, plain[i].len);
		assert_memory_equal(back[i].b, plain[i].b, plain[i].len);
	}
}

/* Must run before anything in this process initialises the engine. */
static void
test_interop_all_suites(void **state)
{
	assert_int_equal(srtp_engine_active(), SRTP_ENGINE_NONE);
	for (size_t i = 0; i < NSUITES; i++) {
		interop_one(all_suites[i], 0, 0);
		interop_one(all_suites[i], 1, 0);
	}
}

static void
test_interop_session_params(void **state)
{
	enum crypto_suite s = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;

	interop_one(s, 0, SRTP_CTX_UNENCRYPTED_SRTP);
	interop_one(s, 0, SRTP_CTX_UNAUTHENTICATED_SRTP);
	interop_one(s, 1, SRTP_CTX_UNENCRYPTED_SRTCP);
	interop_one(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, 0,
	    SRTP_CTX_UNENCRYPTED_SRTP | SRTP_CTX_UNENCRYPTED_SRTCP);
	interop_one(CRYPTO_SUITE_AEAD_AES_128_GCM, 1, SRTP_CTX_UNENCRYPTED_SRTCP);
	interop_one(CRYPTO_SUITE_AEAD_AES_256_GCM, 1, SRTP_CTX_UNENCRYPTED_SRTCP);
	assert_int_equal(srtp_engine_active(), SRTP_ENGINE_NONE);
}

/* libsrtp's own (NSS) types pass their self tests through our engine API too. */
static void
test_libsrtp_engine_self_test(void **state)
{
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (srtp_engine_init_impl(SRTP_ENGINE_LIBSRTP) != 0)
			_exit(3);
		if (srtp_engine_self_test() != 0)
			_exit(4);
		/* Final choice: the OpenSSL types cannot be swapped in under it. */
		if (srtp_engine_init() != EBUSY)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- In-process tests (OpenSSL engine) ---- */

struct pair {
	struct srtp_ctx *out, *in;
};

static void
pair_create(struct pair *p, enum crypto_suite s, unsigned int flags)
{
	struct srtp_ctx_opts o = { .flags = flags };
	struct crypto_key k;

	make_key(&k, s, 0x11);
	assert_int_equal(srtp_ctx_create(&p->out, s, &k, SRTP_CTX_OUTBOUND, &o), 0);
	assert_int_equal(srtp_ctx_create(&p->in, s, &k, SRTP_CTX_INBOUND, &o), 0);
	assert_int_equal(srtp_ctx_suite(p->out), s);
	assert_int_equal(srtp_ctx_direction(p->out), SRTP_CTX_OUTBOUND);
	assert_int_equal(srtp_ctx_direction(p->in), SRTP_CTX_INBOUND);
}

static void
pair_destroy(struct pair *p)
{
	srtp_ctx_destroy(p->out);
	srtp_ctx_destroy(p->in);
}

static void
test_create_errors(void **state)
{
	struct srtp_ctx *ctx = NULL;
	struct srtp_ctx_opts o = { 0 };
	struct crypto_key k;

	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1);
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_NONE, &k, SRTP_CTX_INBOUND, NULL),
	    EINVAL);
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_COUNT, &k, SRTP_CTX_INBOUND, NULL),
	    EINVAL);
	/* key of another suite */
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AEAD_AES_128_GCM, &k,
	    SRTP_CTX_INBOUND, NULL), EINVAL);
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, &k,
	    (enum srtp_ctx_dir)7, NULL), EINVAL);
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, NULL,
	    SRTP_CTX_INBOUND, NULL), EINVAL);
	k.key_salt_len = 29;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, &k,
	    SRTP_CTX_INBOUND, NULL), EINVAL);
	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1);
	/* an MKI longer than RFC 4568 allows, or a value its length cannot hold */
	k.mki_len = CRYPTO_MKI_MAX_LEN + 1;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, &k,
	    SRTP_CTX_INBOUND, &o), EINVAL);
	k.mki_len = 1;
	k.mki = 256;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, &k,
	    SRTP_CTX_INBOUND, &o), EINVAL);
	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1);
	o.flags = 0x80;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, &k,
	    SRTP_CTX_INBOUND, &o), EINVAL);
	make_key(&k, CRYPTO_SUITE_AEAD_AES_128_GCM, 1);
	o.flags = SRTP_CTX_UNENCRYPTED_SRTP;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AEAD_AES_128_GCM, &k,
	    SRTP_CTX_INBOUND, &o), ENOTSUP);
	o.flags = SRTP_CTX_UNAUTHENTICATED_SRTP;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AEAD_AES_256_GCM, &k,
	    SRTP_CTX_INBOUND, &o), EINVAL);	/* 128-bit key for a 256-bit suite */
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AEAD_AES_128_GCM, &k,
	    SRTP_CTX_INBOUND, &o), ENOTSUP);
	assert_null(ctx);
	/* A key whose suite is left unset is taken for the named suite. */
	k.suite = CRYPTO_SUITE_NONE;
	assert_int_equal(srtp_ctx_create(&ctx, CRYPTO_SUITE_AEAD_AES_128_GCM, &k,
	    SRTP_CTX_INBOUND, NULL), 0);
	assert_non_null(ctx);
	assert_int_equal(srtp_engine_active(), SRTP_ENGINE_OPENSSL);
	srtp_ctx_destroy(ctx);
	srtp_ctx_destroy(NULL);
}

static void
test_trailer_lengths(void **state)
{
	static const struct {
		enum crypto_suite s;
		unsigned int flags;
		size_t rtp, rtcp;
	} t[] = {
		{ CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0, 10, 14 },
		{ CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, 0, 4, 14 },
		{ CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, 0, 10, 14 },
		{ CRYPTO_SUITE_AEAD_AES_128_GCM, 0, 16, 20 },
		{ CRYPTO_SUITE_AEAD_AES_256_GCM, 0, 16, 20 },
		{ CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, SRTP_CTX_UNAUTHENTICATED_SRTP, 0, 14 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pair p;
		struct pkt pk;
		size_t l0;

		pair_create(&p, t[i].s, t[i].flags);
		assert_int_equal(srtp_ctx_trailer_len(p.out, 0), t[i].rtp);
		assert_int_equal(srtp_ctx_trailer_len(p.out, 1), t[i].rtcp);
		assert_true(t[i].rtcp <= SRTP_CTX_TAILROOM);
		make_rtp(&pk, 1, 42);
		l0 = pk.len;
		assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len, sizeof(pk.b)), 0);
		assert_int_equal(pk.len, l0 + t[i].rtp);
		make_rtcp(&pk, 1, 42);
		l0 = pk.len;
		assert_int_equal(srtp_ctx_protect_rtcp(p.out, pk.b, &pk.len, sizeof(pk.b)), 0);
		assert_int_equal(pk.len, l0 + t[i].rtcp);
		/* Exactly the trailer fits; one byte less does not. */
		make_rtp(&pk, 2, 42);
		l0 = pk.len;
		assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len,
		    l0 + t[i].rtp), 0);
		if (t[i].rtp > 0) {
			make_rtp(&pk, 4, 42);
			l0 = pk.len;
			assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len,
			    l0 + t[i].rtp - 1), ENOSPC);
			assert_int_equal(pk.len, l0);
		}
		make_rtcp(&pk, 2, 42);
		l0 = pk.len;
		assert_int_equal(srtp_ctx_protect_rtcp(p.out, pk.b, &pk.len,
		    l0 + t[i].rtcp - 1), ENOSPC);
		assert_int_equal(srtp_ctx_protect_rtcp(p.out, pk.b, &pk.len, l0 - 1), ENOSPC);
		pair_destroy(&p);
	}
}

static void
test_roundtrip_tamper_replay(void **state)
{
	for (size_t si = 0; si < NSUITES; si++) {
		struct pair p;
		struct pkt pk, c, keep;

		print_message("tamper/replay %s\n", crypto_suite_name(all_suites[si]));
		pair_create(&p, all_suites[si], 0);
		for (int i = 0; i < 40; i++) {
			struct pkt orig;
			size_t l;

			make_rtp(&orig, i, 0xabcdef01);
			c = orig;
			assert_int_equal(srtp_ctx_protect_rtp(p.out, c.b, &c.len, sizeof(c.b)), 0);
			if (i == 5)
				keep = c;
			/* Any flipped bit (header, payload, tag) fails authentication. */
			for (size_t pos = 0; pos < c.len; pos += (i % 3) + 5) {
				pk = c;
				pk.b[pos] ^= (uint8_t)(1u << (pos % 8));
				l = pk.len;
				int rc = srtp_ctx_unprotect_rtp(p.in, pk.b, &l);
				/*
				 * A flip in the header may make it malformed; one in the
				 * sequence number may move it behind the replay window.
				 */
				if (pos == 2 || pos == 3)
					assert_true(rc == EBADMSG || rc == EALREADY);
				else if (pos < orig.len - 160)
					assert_true(rc == EBADMSG || rc == EINVAL);
				else
					assert_int_equal(rc, EBADMSG);
				assert_int_equal(l, pk.len);
			}
			pk = c;
			assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b, &pk.len), 0);
			assert_int_equal(pk.len, orig.len);
			assert_memory_equal(pk.b, orig.b, orig.len);
			/* The same packet again is a replay. */
			pk = c;
			assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b, &pk.len), EALREADY);
		}
		/* An old packet replayed later. */
		assert_int_equal(srtp_ctx_unprotect_rtp(p.in, keep.b, &keep.len), EALREADY);

		/* SRTCP the same way. */
		for (int i = 0; i < 10; i++) {
			struct pkt orig;
			size_t l;

			make_rtcp(&orig, i, 0xabcdef01);
			c = orig;
			assert_int_equal(srtp_ctx_protect_rtcp(p.out, c.b, &c.len, sizeof(c.b)), 0);
			for (size_t pos = 1; pos < c.len; pos += 3) {
				/* E + SRTCP index: before the tag, after it for AEAD. */
				size_t ix = orig.len +
				    (crypto_suite_info(all_suites[si])->aead ? 16 : 0);
				int rc;

				pk = c;
				pk.b[pos] ^= 0x04;
				l = pk.len;
				rc = srtp_ctx_unprotect_rtcp(p.in, pk.b, &l);
				if (pos >= ix && pos < ix + 4)
					assert_true(rc == EBADMSG || rc == EALREADY);
				else
					assert_int_equal(rc, EBADMSG);
			}
			/* Clearing the E bit (plain SRTCP) is refused too. */
			pk = c;
			pk.b[orig.len + (crypto_suite_info(all_suites[si])->aead ? 16 : 0)] &= 0x7f;
			l = pk.len;
			assert_int_equal(srtp_ctx_unprotect_rtcp(p.in, pk.b, &l), EBADMSG);
			pk = c;
			assert_int_equal(srtp_ctx_unprotect_rtcp(p.in, pk.b, &pk.len), 0);
			assert_int_equal(pk.len, orig.len);
			assert_memory_equal(pk.b, orig.b, orig.len);
			pk = c;
			assert_int_equal(srtp_ctx_unprotect_rtcp(p.in, pk.b, &pk.len), EALREADY);
		}
		/* A context with another key rejects the stream as forged. */
		{
			struct crypto_key k2;
			struct srtp_ctx *other;

			make_key(&k2, all_suites[si], 0x99);
			assert_int_equal(srtp_ctx_create(&other, all_suites[si], &k2,
			    SRTP_CTX_INBOUND, NULL), 0);
			make_rtp(&pk, 50, 7);
			assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len,
			    sizeof(pk.b)), 0);
			assert_int_equal(srtp_ctx_unprotect_rtp(other, pk.b, &pk.len), EBADMSG);
			srtp_ctx_destroy(other);
		}
		pair_destroy(&p);
	}
}

/* Short, garbage and inconsistent packets: a clean error, never success or a crash. */
static void
test_garbage(void **state)
{
	uint64_t x = 0x1234567887654321ull;

	for (size_t si = 0; si < NSUITES; si++) {
		struct pair p;
		struct pkt pk;
		size_t l;

		pair_create(&p, all_suites[si], 0);
		/* Every length 0..64 of random bytes, with and without version 2. */
		for (size_t len = 0; len <= 64; len++) {
			for (int v = 0; v < 8; v++) {
				uint8_t *heap = malloc(len ? len : 1);
				int rc;

				assert_non_null(heap);
				for (size_t i = 0; i < len; i++) {
					x ^= x << 13;
					x ^= x >> 7;
					x ^= x << 17;
					heap[i] = (uint8_t)x;
				}
				if (len > 0 && v & 1)
					heap[0] = (uint8_t)((heap[0] & 0x3f) | 0x80);
				/* Exact-size copy (aligned by malloc) so ASan sees overreads. */
				l = len;
				rc = srtp_ctx_unprotect_rtp(p.in, heap, &l);
				if (rc != EINVAL && rc != EBADMSG)
					fail_msg("rtp len %zu v %d rc %d", len, v, rc);
				assert_int_equal(l, len);
				l = len;
				rc = srtp_ctx_unprotect_rtcp(p.in, heap, &l);
				if (rc != EINVAL && rc != EBADMSG)
					fail_msg("rtcp len %zu v %d rc %d", len, v, rc);
				assert_int_equal(l, len);
				free(heap);
			}
		}
		/* Protect refuses what is not RTP/RTCP. */
		memset(&pk, 0, sizeof(pk));
		pk.len = 11;
		pk.b[0] = 0x80;
		assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len, sizeof(pk.b)), EINVAL);
		pk.len = 7;
		assert_int_equal(srtp_ctx_protect_rtcp(p.out, pk.b, &pk.len, sizeof(pk.b)), EINVAL);
		make_rtp(&pk, 1, 1);
		pk.b[0] = 0x40;
		assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len, sizeof(pk.b)), EINVAL);
		/* CSRC count beyond the packet. */
		make_rtp(&pk, 1, 1);
		pk.b[0] = 0x8f;
		pk.len = 12 + 4 * 14;
		assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len, sizeof(pk.b)), EINVAL);
		/* Header extension length beyond the packet (0xffff words). */
		make_rtp(&pk, 1, 1);
		pk.b[0] = 0x90;
		pk.b[12] = 0xbe;
		pk.b[13] = 0xde;
		pk.b[14] = 0xff;
		pk.b[15] = 0xff;
		l = pk.len;
		assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &l, sizeof(pk.b)), EINVAL);
		assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b, &l), EINVAL);
		/* Header exactly filling the packet leaves no room for the tag. */
		pk.b[14] = 0x00;
		pk.b[15] = 0x01;
		l = 20;
		assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b, &l), EINVAL);
		/* Oversized and misaligned. */
		make_rtp(&pk, 1, 1);
		l = 70000;
		assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b, &l), EINVAL);
		l = 100;
		assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b + 1, &l), EINVAL);
		assert_int_equal(srtp_ctx_protect_rtcp(p.out, pk.b + 2, &l, 1000), EINVAL);
		/* Wrong direction. */
		make_rtp(&pk, 1, 1);
		assert_int_equal(srtp_ctx_unprotect_rtp(p.out, pk.b, &pk.len), EINVAL);
		assert_int_equal(srtp_ctx_protect_rtp(p.in, pk.b, &pk.len, sizeof(pk.b)), EINVAL);
		assert_int_equal(srtp_ctx_protect_rtp(NULL, pk.b, &pk.len, sizeof(pk.b)), EINVAL);
		pair_destroy(&p);
	}
	assert_string_equal(srtp_ctx_strerror(EBADMSG), "authentication failed");
	assert_string_equal(srtp_ctx_strerror(EALREADY), "replayed packet");
	assert_string_equal(srtp_ctx_strerror(EINVAL), "malformed packet");
}

/* After warm-up, protect and unprotect allocate nothing, for every suite. */
static void
test_no_alloc_per_packet(void **state)
{
	for (size_t si = 0; si < NSUITES; si++) {
		struct pair p;
		struct pkt pk;
		long n;
		int i;

		pair_create(&p, all_suites[si], 0);
		for (i = 0; i < 8; i++) {
			make_rtp(&pk, i, 0x77);
			assert_int_equal(srtp_ctx_protect_rtp(p.out, pk.b, &pk.len, sizeof(pk.b)), 0);
			assert_int_equal(srtp_ctx_unprotect_rtp(p.in, pk.b, &pk.len), 0);
			make_rtcp(&pk, i, 0x77);
			assert_int_equal(srtp_ctx_protect_rtcp(p.out, pk.b, &pk.len, sizeof(pk.b)), 0);
			assert_int_equal(srtp_ctx_unprotect_rtcp(p.in, pk.b, &pk.len), 0);
		}
		/* The counter itself works: one known allocation is seen. */
		{
			/* volatile: the compiler may not elide this malloc/free pair */
			void *volatile probe;

			alloc_count_start();
			probe = malloc(16);
			free(probe);
			assert_int_equal(alloc_count_stop(), 1);
		}

		alloc_count_start();
		for (; i < 1008; i++) {
			make_rtp(&pk, i, 0x77);
			if (srtp_ctx_protect_rtp(p.out, pk.b, &pk.len, sizeof(pk.b)) ||
			    srtp_ctx_unprotect_rtp(p.in, pk.b, &pk.len))
				break;
			make_rtcp(&pk, i, 0x77);
			if (srtp_ctx_protect_rtcp(p.out, pk.b, &pk.len, sizeof(pk.b)) ||
			    srtp_ctx_unprotect_rtcp(p.in, pk.b, &pk.len))
				break;
			/* Rejections are on the hot path too. */
			pk.b[pk.len - 1] ^= 1;
			(void)srtp_ctx_unprotect_rtcp(p.in, pk.b, &pk.len);
		}
		n = alloc_count_stop();
		print_message("%s: %ld allocations in %d packet pairs\n",
		    crypto_suite_name(all_suites[si]), n, i - 8);
		assert_int_equal(i, 1008);
		assert_int_equal(n, 0);
		pair_destroy(&p);
	}
}

/* Our outbound stream can be re-created (new SSRC state) with the same key. */
static void
test_outbound_recreate(void **state)
{
	struct pair p;
	struct pkt a, b;
	struct crypto_key k;

	pair_create(&p, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0);
	make_rtp(&a, 3, 9);
	assert_int_equal(srtp_ctx_protect_rtp(p.out, a.b, &a.len, sizeof(a.b)), 0);
	/* Re-sending the same index is allowed on the sender side. */
	make_rtp(&b, 3, 9);
	assert_int_equal(srtp_ctx_protect_rtp(p.out, b.b, &b.len, sizeof(b.b)), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.b, b.b, a.len);
	srtp_ctx_destroy(p.out);
	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0x11);
	assert_int_equal(srtp_ctx_create(&p.out, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, &k,
	    SRTP_CTX_OUTBOUND, NULL), 0);
	make_rtp(&b, 4, 9);
	assert_int_equal(srtp_ctx_protect_rtp(p.out, b.b, &b.len, sizeof(b.b)), 0);
	assert_int_equal(srtp_ctx_unprotect_rtp(p.in, a.b, &a.len), 0);
	assert_int_equal(srtp_ctx_unprotect_rtp(p.in, b.b, &b.len), 0);
	pair_destroy(&p);
}

static int
send_one(struct srtp_ctx *tx, struct srtp_ctx *rx, uint16_t seq, uint32_t ssrc)
{
	struct pkt pk, orig;
	int rc;

	/* make_rtp numbers from SEQ_START; pick i so the sequence is seq. */
	make_rtp(&orig, (int)(uint16_t)(seq - SEQ_START), ssrc);
	pk = orig;
	rc = srtp_ctx_protect_rtp(tx, pk.b, &pk.len, sizeof(pk.b));
	if (rc)
		return rc;
	rc = srtp_ctx_unprotect_rtp(rx, pk.b, &pk.len);
	if (rc == 0 && (pk.len != orig.len || memcmp(pk.b, orig.b, orig.len) != 0))
		rc = EIO;
	return rc;
}

/* A restarted mediad continues a stream past a sequence wrap by restoring the ROC. */
static void
test_roc_restore(void **state)
{
	static const enum crypto_suite suites[] = {
		CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, CRYPTO_SUITE_AEAD_AES_256_GCM,
	};
	const uint32_t ssrc = 0xfeed0001;

	for (size_t si = 0; si < sizeof(suites) / sizeof(suites[0]); si++) {
		enum crypto_suite s = suites[si];
		struct srtp_ctx *tx, *rx, *tx2, *rx2, *fresh;
		struct crypto_key k;
		uint32_t roc = 99;
		uint16_t seq = 65500;

		make_key(&k, s, 0x33);
		assert_int_equal(srtp_ctx_create(&tx, s, &k, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_create(&rx, s, &k, SRTP_CTX_INBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_roc_get(tx, ssrc, &roc), ENOENT);
		assert_int_equal(roc, 99);
		for (int i = 0; i < 100; i++)
			assert_int_equal(send_one(tx, rx, seq++, ssrc), 0);
		assert_int_equal(srtp_ctx_roc_get(tx, ssrc, &roc), 0);
		assert_int_equal(roc, 1);
		assert_int_equal(srtp_ctx_roc_get(rx, ssrc, &roc), 0);
		assert_int_equal(roc, 1);
		assert_int_equal(srtp_ctx_roc_set(tx, ssrc, 1), EEXIST);

		/* Sender restarts: without the ROC the receiver rejects it... */
		assert_int_equal(srtp_ctx_create(&fresh, s, &k, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(send_one(fresh, rx, seq++, ssrc), EBADMSG);
		srtp_ctx_destroy(fresh);
		/* ...with it the stream continues. */
		assert_int_equal(srtp_ctx_create(&tx2, s, &k, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_roc_set(tx2, ssrc, 1), 0);
		assert_int_equal(srtp_ctx_roc_set(tx2, ssrc, 1), EEXIST);
		for (int i = 0; i < 10; i++)
			assert_int_equal(send_one(tx2, rx, seq++, ssrc), 0);
		assert_int_equal(srtp_ctx_roc_get(tx2, ssrc, &roc), 0);
		assert_int_equal(roc, 1);

		/* Receiver restarts, same story. */
		assert_int_equal(srtp_ctx_create(&fresh, s, &k, SRTP_CTX_INBOUND, NULL), 0);
		assert_int_equal(send_one(tx2, fresh, seq++, ssrc), EBADMSG);
		srtp_ctx_destroy(fresh);
		assert_int_equal(srtp_ctx_create(&rx2, s, &k, SRTP_CTX_INBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_roc_set(rx2, ssrc, 1), 0);
		for (int i = 0; i < 10; i++)
			assert_int_equal(send_one(tx2, rx2, seq++, ssrc), 0);
		/* Other SSRCs on the restored context still work from the template. */
		assert_int_equal(send_one(tx2, rx2, 100, ssrc + 1), 0);
		srtp_ctx_destroy(tx);
		srtp_ctx_destroy(rx);
		srtp_ctx_destroy(tx2);
		srtp_ctx_destroy(rx2);
	}
	assert_int_equal(srtp_ctx_roc_get(NULL, 1, NULL), EINVAL);
	assert_int_equal(srtp_ctx_roc_set(NULL, 1, 1), EINVAL);
}

struct thread_job {
	enum crypto_suite suite;
	uint32_t ssrc;
	int errors;
};

static void *
thread_main(void *arg)
{
	struct thread_job *tj = arg;
	struct srtp_ctx *out = NULL, *in = NULL;
	struct crypto_key k;
	struct pkt pk, orig;

	make_key(&k, tj->suite, (uint8_t)tj->ssrc);
	if (srtp_ctx_create(&out, tj->suite, &k, SRTP_CTX_OUTBOUND, NULL) ||
	    srtp_ctx_create(&in, tj->suite, &k, SRTP_CTX_INBOUND, NULL)) {
		tj->errors++;
		goto out;
	}
	for (int i = 0; i < 3000; i++) {
		make_rtp(&orig, i, tj->ssrc);
		pk = orig;
		if (srtp_ctx_protect_rtp(out, pk.b, &pk.len, sizeof(pk.b)) ||
		    srtp_ctx_unprotect_rtp(in, pk.b, &pk.len) ||
		    pk.len != orig.len || memcmp(pk.b, orig.b, orig.len) != 0)
			tj->errors++;
	}
 out:
	srtp_ctx_destroy(out);
	srtp_ctx_destroy(in);
	return NULL;
}

/* Worker threads each with their own contexts, as the relay runs them. */
static void
test_threads_independent(void **state)
{
	struct thread_job tj[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		tj[i].suite = all_suites[(size_t)i % NSUITES];
		tj[i].ssrc = 0x1000u + (uint32_t)i;
		tj[i].errors = 0;
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &tj[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(tj[i].errors, 0);
	}
}

/*
 * A resumed context's packet path allocates nothing either: srtp_ctx_resume made the
 * SSRC's stream, and the first packets only set libsrtp's ROC, across a wrap.
 */
static void
test_no_alloc_after_resume(void **state)
{
	struct srtp_ctx_ssrc_state st = { .ssrc = 0x77, .have_rtp = true, .roc = 5,
	    .seq = 65500, .have_rtcp = true, .rtcp_index = 30 };
	struct srtp_ctx *out, *in;
	struct crypto_key k;
	struct pkt pk;
	long n;
	int i;

	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0x5c);
	assert_int_equal(srtp_ctx_create(&out, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&in, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_resume(out, &st), 0);
	assert_int_equal(srtp_ctx_resume(in, &st), 0);
	alloc_count_start();
	/* make_rtp numbers from SEQ_START: i = 21 is sequence 65501, just above the state */
	for (i = 21; i < 221; i++) {
		make_rtp(&pk, i, 0x77);
		if (srtp_ctx_protect_rtp(out, pk.b, &pk.len, sizeof(pk.b)) ||
		    srtp_ctx_unprotect_rtp(in, pk.b, &pk.len))
			break;
		make_rtcp(&pk, i, 0x77);
		if (srtp_ctx_protect_rtcp(out, pk.b, &pk.len, sizeof(pk.b)) ||
		    srtp_ctx_unprotect_rtcp(in, pk.b, &pk.len))
			break;
	}
	n = alloc_count_stop();
	assert_int_equal(i, 221);
	assert_int_equal(n, 0);
	srtp_ctx_destroy(out);
	srtp_ctx_destroy(in);
}

int
main(void)
{
	/* The fork-based interop group first: the parent must still be uninitialised. */
	const struct CMUnitTest interop[] = {
		cmocka_unit_test(test_interop_all_suites),
		cmocka_unit_test(test_interop_session_params),
		cmocka_unit_test(test_libsrtp_engine_self_test),
	};
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_trailer_lengths),
		cmocka_unit_test(test_roundtrip_tamper_replay),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_no_alloc_per_packet),
		cmocka_unit_test(test_outbound_recreate),
		cmocka_unit_test(test_threads_independent),
		cmocka_unit_test(test_roc_restore),
		cmocka_unit_test(test_no_alloc_after_resume),
	};
	int fails;

	fails = cmocka_run_group_tests_name("srtp_ctx_interop", interop, NULL, NULL);
	fails += cmocka_run_group_tests_name("srtp_ctx", local, NULL, NULL);
	return fails ? 1 : 0;
}
