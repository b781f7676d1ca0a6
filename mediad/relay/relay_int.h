/* SPDX-License-Identifier: BSD-2-Clause */
/* Relay internals, by layer: media object (relay_media.c, relay_stream.c, relay_srtp.c),
 * worker thread (relay_worker.c), control API (relay_control.c). Private to mediad/relay;
 * tests/fuzz/fuzz_packet.c drives the packet decision through it (white box). */
#ifndef SBC_MEDIAD_RELAY_INT_H
#define SBC_MEDIAD_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "relay.h"
#include "relay_bpf_key.h"
#include "srtp.h"

struct event;
struct event_base;
struct metric;
struct bpf_object;
struct metrics;
struct relay_bpf;
struct srtp_ctx;

/* recvmmsg batch; also the most packets one sendmmsg flush carries. */
#define RELAY_BATCH 32
/* Batches read from one socket per wakeup before yielding to the other sockets. */
#define RELAY_WAKEUP_BATCHES 8
/* Largest datagram accepted; anything longer is truncated by the kernel and dropped. */
#define RELAY_PKT_MAX 2048
/* Room after the payload for protect: srtp_ctx asks for SRTP_CTX_TAILROOM (148). */
#define RELAY_TAILROOM 160
#define RELAY_BUF_SIZE (RELAY_PKT_MAX + RELAY_TAILROOM)
_Static_assert(RELAY_BUF_SIZE % 16 == 0, "packet buffer rows must stay aligned for libsrtp");

/* ---- the media object's data (owned by relay_media.c, packets by relay_stream.c) ---- */

/* One socket of a leg; the event's argument. */
struct relay_sock {
	struct relay_media *media;   /* borrowed; the media owns this struct */
	struct event *ev;            /* owned; NULL until attached to the worker */
	int fd;                      /* owned; -1 when absent (rtcp with mux) */
	uint8_t leg;                 /* enum relay_leg_id */
	uint8_t stream;              /* RELAY_STREAM_RTCP for a separate RTCP socket */
};

/*
 * RTP sequence numbers of one inbound stream, for loss as RFC 3550 A.1/A.3 counts it:
 * expected (highest extended sequence - first + 1) minus received. Authenticated
 * packets only, so forged ones cannot fake or hide loss.
 */
struct relay_seq {
	uint32_t ssrc;
	uint32_t cycles;		/* sequence wraps << 16 */
	uint16_t base_seq, max_seq;
	bool init;
	uint64_t received;		/* since base_seq */
	uint64_t lost_prior;		/* of earlier SSRCs and sequence restarts */
};

/* Counters written by the owning worker only; read through a worker snapshot. */
struct relay_counters {
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t drops[RELAY_DROP_COUNT];
	uint64_t last_packet_ms;
	struct relay_seq seq;		/* RTP streams only */
};

struct relay_leg {
	struct relay_leg_cfg cfg;           /* worker-owned after attach; keys wiped on free */
	struct relay_sock sock[RELAY_STREAM_COUNT];
	/* SRTP contexts; NULL on a plain leg. RTP and RTCP share one context. */
	struct srtp_ctx *rx, *tx;
	struct sa dest[RELAY_STREAM_COUNT]; /* where this leg sends now */
	bool latched[RELAY_STREAM_COUNT];
	struct relay_counters ctr[RELAY_STREAM_COUNT];
	uint16_t local_port[RELAY_STREAM_COUNT];
	/* Where sock[s] is bound (AF_UNSPEC without a socket): the source of what we send. */
	struct sa local[RELAY_STREAM_COUNT];
};

struct relay_worker;

struct relay_media {
	/* borrowed; set and cleared by relay_worker.c only; NULL when detached (fuzz, tests) */
	struct relay_worker *worker;
	struct relay_leg leg[RELAY_LEG_COUNT];
	/*
	 * The newest last_packet_ms of any stream, written by the worker and read by the
	 * control thread's media timeout check without a worker round trip per call.
	 */
	_Atomic uint64_t last_in_ms;
	struct relay_media *next, *prev;    /* worker's list; worker thread only */
};

/* What relay_stream_process() decided for a packet that is to be forwarded. */
struct relay_fwd {
	int fd;                    /* send from this socket (symmetric RTP) */
	const struct sa *src;      /* its local address: the source a raw send writes */
	const struct sa *dst;      /* points into the media; stable until the next command */
	size_t len;                /* bytes to send after protect */
	struct relay_counters *out_ctr;  /* counters of the outgoing stream */
	struct relay_counters *in_ctr;   /* counters of the stream it arrived on */
};

/* Per-thread state the packet path needs besides the media: clock and log limits. */
struct relay_pass {
	uint64_t now_ms;                   /* read once per wakeup */
	struct log_ratelimit *rl_latch;    /* latch/re-latch lines */
	struct log_ratelimit *rl_drop;     /* drop lines */
};

/* ---- relay_srtp.c: the relay's thin adapter over srtp_ctx ---- */

/* Creates an inbound (rx) or outbound context for key with CRYPTO_PARAM_* flags; 0 or errno. */
int relay_srtp_ctx_new(struct srtp_ctx **cp, const struct crypto_key *k, unsigned flags, bool rx);
void relay_srtp_ctx_free(struct srtp_ctx *c);
/* Resumes n SSRC states in a fresh context (rx: inbound); failures are logged, not fatal. */
void relay_srtp_ctx_resume(struct srtp_ctx *c, const struct srtp_ctx_ssrc_state *st,
    unsigned n, bool rx);
enum crypto_suite relay_srtp_ctx_suite(const struct srtp_ctx *c);
/* Unprotects in place; -1 on success (*len updated), else an enum relay_drop. */
int relay_srtp_unprotect(struct srtp_ctx *c, uint8_t *buf, size_t *len, bool rtcp);
/* Protects in place; 0 or errno (*len updated on success). */
int relay_srtp_protect(struct srtp_ctx *c, uint8_t *buf, size_t *len, size_t cap, bool rtcp);

/* ---- relay_stream.c: the per-packet decision ---- */
/*
 * The whole per-packet decision for a datagram of len bytes in buf (capacity
 * cap >= len + RELAY_TAILROOM) that arrived from src on socket (leg, stream) of m:
 * classify (RTP/RTCP, rtcp-mux demux), check, unprotect, latch, protect in place.
 * Returns -1 and fills *fwd when the packet is to be sent, otherwise the
 * enum relay_drop reason (already counted). No allocation, no locks.
 */
int relay_stream_process(struct relay_media *m, unsigned leg, unsigned stream,
    uint8_t *buf, size_t len, size_t cap, bool truncated, const struct sa *src,
    const struct relay_pass *pass, struct relay_fwd *fwd);
/* Reads RTP: 0 when buf looks like RTP/RTCP v2 of at least min bytes, else EBADMSG. */
int relay_stream_classify(const uint8_t *buf, size_t len, bool mux, unsigned *stream);
/* An RTP packet (at least 12 bytes) that passed the checks, into the loss count. */
void relay_seq_update(struct relay_seq *s, const uint8_t *rtp);
/* Packets lost so far (RFC 3550 A.3), 0 when duplicates outnumber the gaps. */
uint64_t relay_seq_lost(const struct relay_seq *s);

/* ---- relay_media.c: the media object, no thread of its own ---- */

/*
 * A prepared re-configuration of both legs: made by the control thread (contexts
 * created off the packet path), applied by the owning worker. After
 * relay_media_apply_update() new_rx/new_tx hold the contexts it replaced.
 */
struct relay_update {
	struct relay_leg_cfg cfg[RELAY_LEG_COUNT];
	struct srtp_ctx *new_rx[RELAY_LEG_COUNT], *new_tx[RELAY_LEG_COUNT];
	bool swap_rx[RELAY_LEG_COUNT], swap_tx[RELAY_LEG_COUNT];
};

/*
 * Builds a detached media from two configs (SRTP contexts created, fds taken
 * as given, nothing attached to any loop). Returns 0, EINVAL or ENOMEM.
 */
int relay_media_new(struct relay_media **mp, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b);
/* Frees a detached media: closes its fds, frees contexts, wipes keys. */
void relay_media_free(struct relay_media *m);
/* Validates one leg's config; 0 or EINVAL. */
int relay_leg_cfg_check(const struct relay_leg_cfg *c, bool for_update);
/* Resets a leg's destinations to the signalled addresses (forgets latching). */
void relay_leg_reset_dest(struct relay_leg *l);
/*
 * Fills *u for the configs a and b of m: validates them and makes the SRTP contexts
 * of every key that changes. Only reads m's configuration, which the worker does not
 * change between commands. Returns 0, EINVAL or ENOMEM; release *u either way.
 */
int relay_media_update_prepare(const struct relay_media *m, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b, struct relay_update *u);
/* Applies a prepared update (owning worker, or the caller for a detached media). */
void relay_media_apply_update(struct relay_media *m, struct relay_update *u);
/* Frees the contexts *u still holds and wipes it. */
void relay_update_release(struct relay_update *u);
/* Copies counters and state into the public stats struct (worker index left 0). */
void relay_media_snapshot(const struct relay_media *m, struct relay_media_stats *out);

/* ---- relay_bpf.c: the sk_lookup program and its port map (batched style) ---- */

/*
 * Loads the embedded sk_lookup program with a map of max_ports entries and attaches it to
 * this process's network namespace (until relay_bpf_close or exit). Returns 0 or errno
 * (EPERM without CAP_BPF/CAP_NET_ADMIN) with a reason in why; *bp written on success.
 */
int relay_bpf_open(struct relay_bpf **bp, unsigned max_ports, char *why, size_t whysize);
/*
 * Opens an embedded BPF object (img, len bytes), sizes its map port_map to max_ports and
 * loads it. Returns 0 or errno with "<what> ..." in why; *op (owned) written on success.
 */
int relay_bpf_load(struct bpf_object **op, const unsigned char *img, unsigned long len,
    const char *what, const char *port_map, unsigned max_ports, char *why, size_t whysize);
void relay_bpf_close(struct relay_bpf *b);
/* Datagrams to k go to sock_fd (an unconnected bound UDP socket) from now on; 0 or errno. */
int relay_bpf_port_add(struct relay_bpf *b, const struct relay_port_key *k, int sock_fd);
int relay_bpf_port_del(struct relay_bpf *b, const struct relay_port_key *k);

/* ---- relay_raw.c: headers for the raw send socket (batched style) ---- */

/* IPv6 + UDP: the longest header relay_raw_header writes. */
#define RELAY_RAW_HDR_MAX 48
/*
 * Writes the IP and UDP headers (UDP checksum over payload included) of a datagram of len
 * bytes from src to dst into hdr (RELAY_RAW_HDR_MAX bytes). Returns the header length, or
 * 0 when src and dst are not of one family.
 */
size_t relay_raw_header(uint8_t *hdr, const struct sa *src, const struct sa *dst,
    const uint8_t *payload, size_t len);
/* The same with the IPv4 total length and header checksum filled in (for AF_XDP frames). */
size_t relay_raw_header_full(uint8_t *hdr, const struct sa *src, const struct sa *dst,
    const uint8_t *payload, size_t len);
/* A send-only raw socket of family whose datagrams carry our headers; 0 or errno. */
int relay_raw_open(int family, int *fdp);

/* ---- relay_xdp.c: the XDP program on each media interface (xdp style) ---- */

#define RELAY_XDP_MAX_IF 8
#define RELAY_XDP_MAX_ADDR 16

/* One media interface with the XDP program attached. */
struct relay_xdp_if {
	int ifindex;
	char name[16];                      /* IF_NAMESIZE */
	uint8_t mac[6];                     /* its hardware address: our source MAC */
	struct bpf_object *obj;             /* owned */
	int ports_fd, xsks_fd;              /* borrowed from obj */
	int link_fd;                        /* owned: the attachment, gone with the process */
};

struct relay_xdp {
	struct relay_xdp_if ifs[RELAY_XDP_MAX_IF];
	unsigned nifs;
	struct {
		struct relay_port_key ip;       /* port 0 */
		unsigned ifi;                   /* index in ifs */
	} addr[RELAY_XDP_MAX_ADDR];         /* media addresses -> interface */
	unsigned naddr;
};

/*
 * Attaches the XDP program in native mode to the interface of every address in addrs (a
 * port map of max_ports entries each). Returns 0 or errno (EOPNOTSUPP: a driver without
 * native XDP, EPERM, EBUSY) with a reason in why; *xp written on success.
 */
int relay_xdp_open(struct relay_xdp **xp, const struct sa *addrs, unsigned naddrs,
    unsigned max_ports, char *why, size_t whysize);
void relay_xdp_close(struct relay_xdp *x);
/* The interface of ifindex / of a media port's address; NULL when not an XDP one. */
struct relay_xdp_if *relay_xdp_iface(struct relay_xdp *x, int ifindex);
struct relay_xdp_if *relay_xdp_iface_of(struct relay_xdp *x, const struct relay_port_key *k);
/* Datagrams to k arriving on receive queue `queue` go to that queue's AF_XDP socket. */
int relay_xdp_port_add(struct relay_xdp_if *ifc, const struct relay_port_key *k, unsigned queue);
void relay_xdp_port_del(struct relay_xdp_if *ifc, const struct relay_port_key *k);
/* Names xsk_fd as the AF_XDP socket of receive queue `queue`; 0 or errno. */
int relay_xdp_sock_map(struct relay_xdp_if *ifc, unsigned queue, int xsk_fd);

/* ---- relay_xsk.c: one AF_XDP socket of a worker ---- */

struct relay_xsk;

/*
 * Bytes before a received frame's data in its UMEM frame: 2, so that the UDP payload after
 * a 14-byte Ethernet and a 20- or 40-byte IP header lands 4-byte aligned, as libsrtp needs
 * it to work in place.
 */
#define RELAY_XSK_HEADROOM 2

/* A received frame: its bytes (from the Ethernet header), and room to its frame's end. */
struct relay_xsk_pkt {
	uint8_t *data;
	uint32_t len;
	uint64_t addr;                      /* UMEM address: relay_xsk_free / relay_xsk_tx */
	size_t cap;
};

/* Opens the socket on (ifc, queue) with its UMEM and fill ring, in the program's map; 0 or errno. */
int relay_xsk_open(struct relay_xsk **sp, struct relay_xdp_if *ifc, unsigned queue);
void relay_xsk_close(struct relay_xsk *s);
int relay_xsk_fd(const struct relay_xsk *s);
const struct relay_xdp_if *relay_xsk_iface(const struct relay_xsk *s);
size_t relay_xsk_frame_size(void);
/* Up to n received frames, now the caller's (relay_xsk_tx or relay_xsk_free each). */
unsigned relay_xsk_rx(struct relay_xsk *s, struct relay_xsk_pkt *p, unsigned n);
void relay_xsk_free(struct relay_xsk *s, uint64_t addr);
/* A free frame to build a datagram in (NULL when none); *addr its UMEM address. */
uint8_t *relay_xsk_frame(struct relay_xsk *s, uint64_t *addr);
/* Queues len bytes at addr for sending (the frame is the ring's until completion); false
 * when the ring is full (the frame stays the caller's). */
bool relay_xsk_tx(struct relay_xsk *s, uint64_t addr, uint32_t len);
/* Submits what was queued (one kick), takes back completed frames, refills the fill ring.
 * Returns the system calls made. */
unsigned relay_xsk_flush(struct relay_xsk *s);

/* ---- relay_nl.c: next hops for the xdp style's transmit ---- */

/* Direct mapped: well above the destinations of a worker (two per call). */
#define RELAY_NH_SLOTS 16384

struct relay_nh {
	struct relay_port_key dst;          /* port 0 */
	int ifindex;                        /* out interface */
	uint8_t mac[6];                     /* next hop's hardware address */
	bool ok;                            /* false: unresolved, raw send until expires_ms */
	uint64_t expires_ms;
};

/* A worker's cache of next hops (direct mapped) and its rtnetlink socket. */
struct relay_nh_cache {
	int fd;
	uint32_t seq;
	uint64_t lookups;                   /* netlink round trips made */
	struct relay_nh e[RELAY_NH_SLOTS];
};

int relay_nh_open(struct relay_nh_cache *c);
void relay_nh_close(struct relay_nh_cache *c);
/*
 * The next hop for dst: from the cache, else asked from the kernel (route, then neighbour).
 * NULL when the kernel has no usable neighbour entry yet (send through the kernel).
 */
const struct relay_nh *relay_nh_get(struct relay_nh_cache *c, const struct sa *dst,
    uint64_t now_ms);

/* ---- relay_ports.c: a worker's media ports by local address ---- */

struct relay_port_slot {
	struct relay_port_key key;
	struct relay_sock *sock;            /* borrowed from its media; NULL: free slot */
};

struct relay_ports {
	struct relay_port_slot *slot;       /* owned; mask + 1 slots */
	unsigned mask, n;
};

/* The key of a bound address (EAFNOSUPPORT for anything but IPv4/IPv6). */
int relay_port_key_from_sa(struct relay_port_key *k, const struct sa *a);
/* Adds or replaces k -> s; 0 or ENOMEM (the table unchanged). */
int relay_ports_add(struct relay_ports *t, const struct relay_port_key *k, struct relay_sock *s);
void relay_ports_del(struct relay_ports *t, const struct relay_port_key *k);
/* The socket bound to k, or NULL. No allocation. */
struct relay_sock *relay_ports_find(const struct relay_ports *t, const struct relay_port_key *k);
void relay_ports_free(struct relay_ports *t);

/* ---- relay_io.c: a worker's packet path in either I/O style ---- */

/* Per-worker metric series; all NULL without a registry. */
struct relay_io_metrics {
	struct metric *packets_in, *bytes_in, *packets_out, *bytes_out;
	struct metric *drops[RELAY_DROP_COUNT];
	struct metric *recv_calls, *send_calls, *unknown_port, *steered;
	struct metric *xdp_rx, *xdp_tx, *nh_lookups;
};

/* One output datagram gathered during a pass. */
struct relay_out {
	int fd;
	size_t len;
	struct relay_counters *out_ctr;
	struct relay_counters *in_ctr;   /* where a send failure is counted */
};

/* Room for one IP_ORIGDSTADDR / IPV6_ORIGDSTADDR control message. */
#define RELAY_CTL_SIZE 64

/* Index of an address family in the per-family arrays below. */
#define RELAY_FAM_IDX(f) ((f) == AF_INET6 ? 1 : 0)

struct relay_io {
	unsigned idx;                       /* the worker's, for log lines and labels */
	/*
	 * Batched style: the relay's sk_lookup map (borrowed), the worker's receive socket
	 * per family that the map names for its media ports, and a raw send socket per
	 * family. bpf NULL and every fd -1 in the sockets style.
	 */
	struct relay_bpf *bpf;
	int shared_fd[2];                   /* [RELAY_FAM_IDX] */
	int raw_fd[2];
	struct relay_ports ports;           /* media ports of this worker (batched, xdp) */
	/* xdp style: the relay's interfaces (borrowed), this worker's AF_XDP socket on each
	 * (queue = worker index; NULL where that queue does not exist), next hops. */
	struct relay_xdp *xdp;
	struct relay_xsk *xsk[RELAY_XDP_MAX_IF];
	struct relay_nh_cache nh;
	struct relay_xsk_pkt xpkt[RELAY_BATCH];
	struct log_ratelimit rl_latch, rl_drop, rl_sock;
	struct relay_io_metrics met;
	/* Totals for the worker's stop line (relay_io_log_totals): worker thread, then read
	 * after it stopped. */
	uint64_t tot_in, tot_out, tot_steered, tot_xdp_rx, tot_xdp_tx, tot_unknown;
	/* Packet path state, worker thread only: preallocated, reused every batch. */
	struct mmsghdr rx[RELAY_BATCH];
	struct iovec rx_iov[RELAY_BATCH];
	struct sockaddr_storage rx_addr[RELAY_BATCH];
	_Alignas(8) uint8_t rx_ctl[RELAY_BATCH][RELAY_CTL_SIZE];
	struct mmsghdr tx[RELAY_BATCH];
	struct iovec tx_iov[RELAY_BATCH][2];
	struct sockaddr_storage tx_name[RELAY_BATCH];
	uint8_t tx_hdr[RELAY_BATCH][RELAY_RAW_HDR_MAX];
	struct relay_out out[RELAY_BATCH];
	/* libsrtp wants 4-byte aligned packets: keep every row aligned. */
	_Alignas(16) uint8_t buf[RELAY_BATCH][RELAY_BUF_SIZE];
};

/* Per-wakeup sums, added to the metrics once at the end of the wakeup (relay_io_send.c). */
struct relay_tally {
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t drops[RELAY_DROP_COUNT];
	uint64_t recv_calls, send_calls, unknown_port, steered, xdp_rx, xdp_tx;
};

/* ---- relay_io_send.c: gathered output, tallies, metric series ---- */

/* Queues io->buf[i] (decided into *fwd) as output slot n: raw with our headers when the
 * batched style's raw socket of its family is there, else from the port's own socket. */
void relay_io_tx_add(struct relay_io *io, unsigned n, unsigned i, const struct relay_fwd *fwd);
/* Sends output slots 0..n-1: one sendmmsg per run of one socket; counts into *t. */
void relay_io_flush(struct relay_io *io, unsigned n, struct relay_tally *t, uint64_t now_ms);
/* Adds a wakeup's tally to the worker's totals and metric series. */
void relay_io_tally_publish(struct relay_io *io, const struct relay_tally *t);
/* Registers the worker's series in reg (labels worker="N"); without reg, none. */
void relay_io_metrics(struct relay_io *io, struct metrics *reg);

/* ---- relay_io_xdp.c: the xdp style's packet path ---- */

/*
 * A received frame p: Ethernet with UDP over IPv4 (no options, not a fragment) or IPv6
 * (no extension header), as the XDP program lets through. 0 with the port it was sent to
 * (*k), its source (*src), where its UDP payload starts (*off) and its length (*plen,
 * as the UDP header says: *off + *plen <= p->len), or EBADMSG. Reads p->data and p->len.
 */
int relay_io_frame_parse(const struct relay_xsk_pkt *p, struct relay_port_key *k,
    struct sa *src, size_t *off, size_t *plen);
/* Opens the worker's AF_XDP sockets and its next-hop cache; 0 or errno with why. */
int relay_io_xdp_init(struct relay_io *io, char *why, size_t whysize);
/* k to this worker's AF_XDP socket on its interface (add) or not any more. */
void relay_io_xdp_port(struct relay_io *io, const struct relay_port_key *k, bool add);

/*
 * Prepares io for worker idx. With bpf (batched style) it opens the worker's receive
 * and raw send sockets; reg (optional) receives the per-worker series. Returns 0 or
 * errno with a reason in why; on failure nothing is left open.
 */
int relay_io_init(struct relay_io *io, unsigned idx, struct relay_bpf *bpf,
    struct relay_xdp *xdp, struct metrics *reg, char *why, size_t whysize);
void relay_io_fini(struct relay_io *io);
/* One line with the worker's totals by path (once its thread stopped). */
void relay_io_log_totals(const struct relay_io *io, const char *style);
/* A media port's own socket is readable: drain it (both styles). */
void relay_io_drain_port(struct relay_io *io, struct relay_sock *s);
/* The worker's receive socket of family index fi is readable (batched). */
void relay_io_drain_shared(struct relay_io *io, unsigned fi);
/* The worker's AF_XDP socket io->xsk[i] is readable (xdp). */
void relay_io_drain_xsk(struct relay_io *io, unsigned i);
/*
 * Batched style: steers m's ports to this worker's receive sockets (port table, then
 * the map). Not fatal: a port left out keeps arriving on its own socket. No-op in the
 * sockets style.
 */
void relay_io_media_add(struct relay_io *io, struct relay_media *m);
/* Undoes relay_io_media_add before m's sockets close. */
void relay_io_media_del(struct relay_io *io, struct relay_media *m);

/* ---- relay_worker.c: the worker threads ---- */

enum relay_cmd_op {
	RELAY_CMD_ATTACH = 1,
	RELAY_CMD_UPDATE,
	RELAY_CMD_DETACH,
	RELAY_CMD_STATS,
	RELAY_CMD_STOP,
};

/* A command lives on the caller's stack; the caller waits until done. */
struct relay_cmd {
	enum relay_cmd_op op;
	struct relay_media *media;
	/* UPDATE: the new leg state prepared by the control thread (contexts made). */
	struct relay_update *update;
	/* DETACH (optional), STATS: output, with the worker's index filled in. */
	struct relay_media_stats *stats;
	int result;
	bool done;                           /* guarded by the worker's cmd_lock */
	struct relay_cmd *next;
};

/* Runs cmd on worker w and waits for it; returns cmd->result. */
int relay_worker_call(struct relay_worker *w, struct relay_cmd *cmd);
/* The worker with the fewest media. */
struct relay_worker *relay_pick_worker(struct relay *r);
/*
 * Hands the detached media m to worker w without waiting for it: everything that can
 * fail is done here, the ATTACH itself is queued (later commands for m queue behind
 * it). Returns 0 (m->worker set; the worker owns m's sockets from now on) or ENOMEM
 * (m untouched, still detached).
 */
int relay_worker_attach(struct relay_worker *w, struct relay_media *m);

#endif
