/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared fixture of the relay tests: a 2-worker relay, loopback sockets, an SRTP caller and a plain IVR. */
#ifndef SBC_TEST_RELAY_FIXTURE_H
#define SBC_TEST_RELAY_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "relay.h"

struct metrics;
struct srtp_ctx;

#define RELAY_BURST_MAX_PKT 2048
#define PAYLOAD_LEN 160
#define RTP_LEN (12 + PAYLOAD_LEN)
#define WAIT_MS 2000

/* One UDP socket on 127.0.0.x, port 0, with its address read back. */
struct usock {
	int fd;
	struct sa addr;
};

struct fx {
	struct metrics *met;              /* NULL unless the test looks at metrics */
	struct relay *r;
	struct relay_media *m;
	enum crypto_suite suite;
	/* Test peers: the SRTP caller (outside) and the plain RTP IVR (inside). */
	struct usock caller, caller_rtcp, ivr, ivr_rtcp;
	/* Relay sockets (handed to the relay); addresses kept for sending to them. */
	struct usock a, a_rtcp, b, b_rtcp;
	struct relay_leg_cfg ca, cb;
	struct crypto_key k_caller, k_ours;
	struct srtp_ctx *caller_tx, *caller_rx;
	uint16_t seq_caller, seq_ivr;
};


int usock_open(struct usock *u, const char *ip);
void usock_close(struct usock *u);
void key_make(struct crypto_key *k, enum crypto_suite s);
size_t rtp_make(uint8_t *buf, uint16_t seq, uint32_t ssrc, uint8_t pt);  /* 172 bytes */
size_t rtcp_make(uint8_t *buf, uint32_t ssrc, uint32_t marker);          /* 28-byte SR */
void send_to(int fd, const void *buf, size_t len, const struct sa *to);
/* One datagram within ms; its length or -1 on timeout. */
ssize_t recv_wait(int fd, uint8_t *buf, size_t cap, int ms, struct sa *from);
void stats_get(struct fx *f, struct relay_media_stats *st);
typedef bool (stats_pred_h)(const struct relay_media_stats *st, const void *arg);
/* Polls the stats until pred holds (the relay is asynchronous) or WAIT_MS pass. */
bool stats_wait(struct fx *f, stats_pred_h *pred, const void *arg, struct relay_media_stats *st);
/* Waits until exactly n drops of why are counted on (leg, stream). */
void expect_drops(struct fx *f, unsigned leg, unsigned stream, enum relay_drop why, uint64_t n);
/* Where the relay listens for (leg, stream). */
struct sa relay_addr(struct fx *f, unsigned leg, unsigned stream);
/* count packets caller -> SRTP leg -> IVR, checked bit-exact and in order. */
void caller_to_ivr(struct fx *f, unsigned count, unsigned burst);
/* count packets IVR -> RTP leg -> caller, checked encrypted on the wire and exact after unprotect. */
void ivr_to_caller(struct fx *f, unsigned count, unsigned burst);

/* cmocka fixtures: AES_CM_128_HMAC_SHA1_80, separate RTCP ports (fx_setup), rtcp-mux on leg A
 * (fx_setup_mux), with a metrics registry (fx_setup_metrics), suite from the prestate. */
int fx_setup_full(void **state, enum crypto_suite suite, bool mux_a, bool with_metrics);
int fx_setup_suite(void **state, enum crypto_suite suite, bool mux_a);
int fx_setup(void **state);
int fx_setup_mux(void **state);
int fx_setup_metrics(void **state);
int fx_setup_prestate(void **state);
int fx_teardown(void **state);
/*
 * The relay's I/O style under test: SBC_RELAY_IO=sockets|batched in the environment (the
 * CMake registration runs each relay test once per style), sockets when unset.
 */
enum relay_io_style fx_relay_io(void);
/* relay_alloc_opts with fx_relay_io(); fails the test unless that very style is in use. */
int fx_relay_alloc(struct relay **rp, unsigned nworkers, struct metrics *m);
/* A per-worker series of f->met (fx_setup_metrics) summed over both workers; extra adds
 * labels after worker="N" (",reason=\"auth\""). */
uint64_t fx_metric_sum(struct fx *f, const char *name, const char *extra);
/* Group setup: logging and srtp_engine_init(). */
int relay_group_setup(void **state);

#endif
