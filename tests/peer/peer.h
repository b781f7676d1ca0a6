/* SPDX-License-Identifier: BSD-2-Clause */
/* sbc-test-peer: both endpoints of SRTP<->RTP calls through mediad, driven over ng, with checks. */
#ifndef SBC_TESTS_PEER_H
#define SBC_TESTS_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "srtp.h"

#define PEER_MAX_CALLS     4096
#define PEER_MAX_PACKETS   60000u	/* per direction per call: seq maps to index without wrap */
#define PEER_RING          4096u	/* send-time ring per direction (latency) */
#define PEER_PAYLOAD_LEN   160u		/* 20 ms of PCMU */
#define PEER_PT_PCMU       0u
#define PEER_PT_DTMF       101u
#define PEER_LAT_BUCKETS   200000u	/* latency histogram: 1 us buckets up to 200 ms */

/* Direction of media: from the SRTP party to the RTP party, and back. */
enum peer_dir {
	PEER_DIR_S2R = 0,
	PEER_DIR_R2S,
	PEER_DIR_COUNT,
};

struct peer_opts {
	const char *ng;			/* "ip:port" of a running relay, or NULL with mediad_bin */
	const char *mediad_bin;		/* spawn a private redis-server and this mediad */
	unsigned workers;		/* mediad workers when spawning */
	unsigned media_timeout;		/* mediad media_timeout (s) when spawning; 0: off */
	/* mediad's io when spawning (auto, sockets, batched, xdp); NULL: unset (auto). Other
	 * than auto, mediad must report that very style in its ready line and (batched, xdp)
	 * carry the packets with it; "auto=STYLE" configures auto and expects STYLE. */
	const char *io;
	enum crypto_suite suite;
	unsigned packets;		/* per direction per call */
	unsigned rate;			/* packets/s per direction per call */
	unsigned calls;
	bool rtp_caller;		/* flow B: RTP party offers, SRTP party answers */
	bool rekey, hold, forge, dtmf;
	bool osrtp;			/* the SRTP party speaks RTP/AVP with keys (RFC 8643) */
	const char *out_encryption;	/* spawned mediad's outside [interface] encryption */
	unsigned max_loss;		/* lost packets allowed per direction per call */
	unsigned rekey_loss;		/* extra loss allowed around a re-key */
	char out_ip[40];	/* our SRTP party binds here */
	char in_ip[40];	/* our RTP party binds here */
	char relay_out_ip[40]; /* spawned mediad's interfaces */
	char relay_in_ip[40];
	const char *if_out, *if_in;	/* ng interface names for direction */
	pid_t measure_pid;		/* relay process for CPU and RSS figures; 0: none */
	bool quiet;
	const char *sabotage;		/* break one thing on purpose: the checks must catch it */
	int initial_seq;		/* first RTP sequence number of even calls; -1: random */
	unsigned kill_restart_ms;	/* kill -9 the spawned mediad this far in and restart it */
	bool rtcp;			/* both parties send RTCP (SRTCP on the SRTP side), rtcp-mux */
};

/* One direction of one call: what was sent and what arrived. */
struct peer_flow {
	uint32_t ssrc;
	uint16_t seq0;
	uint32_t ts0;
	unsigned sent;			/* packets sent (index of the next) */
	unsigned received;		/* distinct packets accepted */
	unsigned dup, bad, reorder, authfail, plain_seen, unexpected;
	unsigned highest;		/* highest index + 1 received */
	uint8_t *seen;			/* bitmap over indexes */
	uint8_t *held;			/* bitmap: index sent while forwarding was off (hold) */
	unsigned nheld;
	uint64_t sent_ns[PEER_RING];
	/* RTCP: reports sent by this flow's sender, and received by the other party */
	unsigned rtcp_sent, rtcp_received, rtcp_after_kill;
	bool have_srtcp;
	uint32_t srtcp_max;		/* highest SRTCP index received (relay -> SRTP party) */
	uint32_t srtcp_max_before_kill;
	/* --kill-restart: packet indexes sent at the kill and one second after the restart */
	unsigned kill_index, settled_index;
	bool settled;
	uint64_t first_after_kill_ns;	/* arrival of the first packet sent after the kill */
};

struct peer_call {
	unsigned idx;
	char call_id[64];
	int fd_s, fd_r;			/* SRTP party's and RTP party's sockets */
	struct sockaddr_in local_s, local_r;
	struct sockaddr_in relay_s, relay_r; /* where each party sends (from the SDP it got) */
	unsigned version;		/* o= version of our SDPs */
	struct crypto_key key_s;	/* the SRTP party's own key (it encrypts with it) */
	struct crypto_key key_m;	/* the relay's key towards the SRTP party */
	uint32_t tag;			/* a=crypto tag in use */
	unsigned params_s, params_m;	/* SDP_CRYPTO_UNENCRYPTED_* of each key's line */
	struct srtp_ctx *tx;		/* SRTP party outbound (key_s) */
	struct srtp_ctx *rx;		/* SRTP party inbound (key_m) */
	struct srtp_ctx *rx_old;	/* previous inbound context kept across a re-key */
	struct peer_flow flow[PEER_DIR_COUNT];
	bool hold_r2s;			/* SRTP party holds: nothing must reach it */
	bool hold_s2r;			/* RTP party holds */
	uint64_t start_ns;		/* first packet's time */
	uint8_t last_srtp[1600] __attribute__((aligned(4)));
	size_t last_srtp_len;		/* a genuine SRTP packet sent earlier, for replay */
	unsigned injected;		/* forged + replayed packets sent */
	unsigned rekeys;
};

struct peer_stats {
	uint64_t sends, sends_late;	/* packets sent more than one interval behind schedule */
	uint64_t lat_hist[PEER_LAT_BUCKETS + 1];
	uint64_t lat_n;
};

struct peer;
/* The kill -9 and restart of --kill-restart, run from the stream loop (main.c sets it). */
typedef void (peer_kill_h)(struct peer *p, void *arg);

struct peer {
	struct peer_opts o;
	peer_kill_h *kill_h;
	void *kill_arg;
	bool killed;
	uint64_t kill_ns, restart_ns;	/* when mediad was killed and started again */
	uint64_t resume_ms_max;		/* slowest first packet after the restart */
	int ng_fd;
	struct sockaddr_in ng_addr;
	unsigned cookie_n;
	struct peer_call *calls;
	struct peer_stats st;
	unsigned failures;
	char first_failure[256];
};

/* peer_ng.c: the ng client and the SDP each party sends. */
int peer_ng_open(struct peer *p);
void peer_ng_close(struct peer *p);
int peer_ng_ping(struct peer *p);
/* Offer and answer for a call (first time or re-INVITE); dir_attr "sendrecv", "sendonly"... */
int peer_call_signal(struct peer *p, struct peer_call *c, const char *caller_dir,
    const char *callee_dir, bool new_key);
/* totals.RTP.errors of a call from a query reply. */
int peer_call_query_errors(struct peer *p, struct peer_call *c, int64_t *errorsp);
int peer_call_delete(struct peer *p, struct peer_call *c);

/* peer_media.c: sockets, packets, the send/receive loop. */
int peer_call_open(struct peer *p, struct peer_call *c, unsigned idx);
void peer_call_close(struct peer_call *c);
/* Streams every call's packets at the configured rate, with the configured actions. */
int peer_stream(struct peer *p);
/* Receives for ms milliseconds without sending (lets packets in flight arrive). */
void peer_pump(struct peer *p, unsigned ms);
uint64_t peer_now_ns(void);
/* Records a failed check (first message kept for the summary). */
void peer_fail(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* peer_spawn.c: a private redis-server and mediad. */
struct peer_spawn;
int peer_spawn_start(struct peer_spawn **sp, struct peer_opts *o, char *ng, size_t ngsize,
    pid_t *mediad_pid);
/* Stops mediad and redis; returns 0 if mediad exited cleanly (status 0). */
int peer_spawn_stop(struct peer_spawn *s);
/* kill -9 mediad, reap it and start it again with the same configuration (no waiting). */
int peer_spawn_kill_restart(struct peer_spawn *s, pid_t *mediad_pid);
/* Waits (10 s at most) for the restarted mediad's ready line: its new ng address. */
int peer_spawn_wait_ready(struct peer_spawn *s, char *ng, size_t ngsize);

#endif
