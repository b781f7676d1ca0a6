/* SPDX-License-Identifier: BSD-2-Clause */
/* Relay worker threads: one event loop each, a command queue from the control thread, batched socket I/O. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "compiler.h"
#include "metrics.h"
#include "relay_int.h"
#include "timeutil.h"

/*
 * The result a posted command carries until the worker runs it: the caller does not
 * wait and the worker frees the command (errno results are never negative).
 */
#define RELAY_RESULT_POSTED (-1)

/* Per-worker metric series; all NULL without a registry. */
struct relay_worker_metrics {
	struct metric *packets_in, *bytes_in, *packets_out, *bytes_out;
	struct metric *drops[RELAY_DROP_COUNT];
	struct metric *media;
};

/* One output datagram gathered during a pass. */
struct relay_out {
	int fd;
	size_t len;
	struct relay_counters *out_ctr;
	struct relay_counters *in_ctr;   /* where a send failure is counted */
};

struct relay_worker {
	struct relay *relay;                /* borrowed */
	unsigned idx;
	pthread_t thread;
	bool started;
	struct event_base *base;            /* worker thread only once started */
	struct event *cmd_ev;
	int cmd_fd;                         /* eventfd: commands pending */
	struct event *beat_ev;              /* stamps beat_ms every RELAY_BEAT_MS */
	_Atomic uint64_t beat_ms;           /* written by the worker, read by relay_stalled_ms */

	pthread_mutex_t cmd_lock;
	pthread_cond_t cmd_cond;            /* a command became done */
	struct relay_cmd *cmd_head, *cmd_tail;  /* guarded by cmd_lock */

	_Atomic unsigned nmedia;            /* written by the worker, read by relay_pick_worker */
	struct relay_media *media;          /* worker thread only */

	/* Packet path state, worker thread only: preallocated, reused every batch. */
	struct mmsghdr rx[RELAY_BATCH];
	struct iovec rx_iov[RELAY_BATCH];
	struct sockaddr_storage rx_addr[RELAY_BATCH];
	struct mmsghdr tx[RELAY_BATCH];
	struct iovec tx_iov[RELAY_BATCH];
	struct relay_out out[RELAY_BATCH];
	struct log_ratelimit rl_latch, rl_drop, rl_sock;
	struct relay_worker_metrics met;
	/* libsrtp wants 4-byte aligned packets: keep every row aligned. */
	_Alignas(16) uint8_t buf[RELAY_BATCH][RELAY_BUF_SIZE];
};

struct relay {
	unsigned nworkers;
	struct relay_worker **workers;
};

/* Per-wakeup sums, added to the metrics once at the end of the wakeup. */
struct relay_tally {
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t drops[RELAY_DROP_COUNT];
};

unsigned
relay_worker_count(const struct relay *r)
{
	return r->nworkers;
}

uint64_t
relay_worker_cpu_ns(const struct relay *r, unsigned idx)
{
	struct timespec ts;
	clockid_t cid;

	if (r == NULL || idx >= r->nworkers || !r->workers[idx]->started ||
	    pthread_getcpuclockid(r->workers[idx]->thread, &cid) != 0 ||
	    clock_gettime(cid, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
relay_stalled_ms(const struct relay *r, uint64_t now_ms, unsigned *idx)
{
	uint64_t beat, age, worst = 0;

	*idx = 0;
	for (unsigned i = 0; r != NULL && i < r->nworkers; i++) {
		beat = atomic_load(&r->workers[i]->beat_ms);
		age = beat == 0 ? UINT64_MAX : now_ms > beat ? now_ms - beat : 0;
		if (age > worst)
			*idx = i, worst = age;
	}
	return worst;
}

struct relay_worker *
relay_pick_worker(struct relay *r)
{
	struct relay_worker *best = r->workers[0];
	unsigned i, load, best_load = atomic_load(&best->nmedia);

	for (i = 1; i < r->nworkers; i++) {
		load = atomic_load(&r->workers[i]->nmedia);
		if (load < best_load) {
			best = r->workers[i];
			best_load = load;
		}
	}
	return best;
}

static int
sock_namelen(const struct sa *a)
{
	return sa_family(a) == AF_INET6 ? (int)sizeof(struct sockaddr_in6) :
	    (int)sizeof(struct sockaddr_in);
}

/* Sends what the pass gathered: one sendmmsg per run of packets leaving the same socket. */
static void
worker_flush(struct relay_worker *w, unsigned n, struct relay_tally *t)
{
	unsigned start = 0, end, i;
	int ret;

	while (start < n) {
		end = start + 1;
		while (end < n && w->out[end].fd == w->out[start].fd)
			end++;
		i = start;
		while (i < end) {
			ret = sendmmsg(w->out[start].fd, &w->tx[i], end - i, MSG_DONTWAIT);
			if (ret < 0 && errno == EINTR)
				continue;
			if (unlikely(ret <= 0)) {
				/* The first datagram failed: count it and move past it. */
				w->out[i].in_ctr->drops[RELAY_DROP_SEND]++;
				t->drops[RELAY_DROP_SEND]++;
				if (log_ratelimit_ok(&w->rl_sock, time_mono_ms()))
					log_warn("relay_send_failed worker=%u suppressed=%llu",
					    w->idx, w->rl_sock.suppressed);
				i++;
				continue;
			}
			for (unsigned k = i; k < i + (unsigned)ret; k++) {
				w->out[k].out_ctr->packets_out++;
				w->out[k].out_ctr->bytes_out += w->out[k].len;
				t->packets_out++;
				t->bytes_out += w->out[k].len;
			}
			i += (unsigned)ret;
		}
		start = end;
	}
}

static void
worker_tally_publish(struct relay_worker *w, const struct relay_tally *t)
{
	unsigned d;

	if (w->met.packets_in == NULL)
		return;
	metric_add(w->met.packets_in, t->packets_in);
	metric_add(w->met.bytes_in, t->bytes_in);
	metric_add(w->met.packets_out, t->packets_out);
	metric_add(w->met.bytes_out, t->bytes_out);
	for (d = 0; d < RELAY_DROP_COUNT; d++)
		if (t->drops[d] != 0)
			metric_add(w->met.drops[d], t->drops[d]);
}

/* The packet path: drain the socket in batches, decide per packet, send in batches. */
static void
sock_readable(evutil_socket_t fd, short what, void *arg)
{
	struct relay_sock *s = arg;
	struct relay_media *m = s->media;
	struct relay_worker *w = m->worker;
	struct relay_tally t;
	struct relay_pass pass;
	struct relay_fwd fwd;
	struct sa src;
	unsigned b, i, nout;
	int n, why;

	memset(&t, 0, sizeof(t));
	pass.now_ms = time_mono_ms();
	pass.rl_latch = &w->rl_latch;
	pass.rl_drop = &w->rl_drop;
	for (b = 0; b < RELAY_WAKEUP_BATCHES; b++) {
		for (i = 0; i < RELAY_BATCH; i++) {
			w->rx_iov[i].iov_base = w->buf[i];
			w->rx_iov[i].iov_len = RELAY_PKT_MAX;
			w->rx[i].msg_hdr.msg_name = &w->rx_addr[i];
			w->rx[i].msg_hdr.msg_namelen = sizeof(w->rx_addr[i]);
			w->rx[i].msg_hdr.msg_iov = &w->rx_iov[i];
			w->rx[i].msg_hdr.msg_iovlen = 1;
			w->rx[i].msg_hdr.msg_control = NULL;
			w->rx[i].msg_hdr.msg_controllen = 0;
			w->rx[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(fd, w->rx, RELAY_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    log_ratelimit_ok(&w->rl_sock, pass.now_ms))
				log_warn("relay_recv_failed worker=%u port=%u suppressed=%llu",
				    w->idx, m->leg[s->leg].local_port[s->stream],
				    w->rl_sock.suppressed);
			break;
		}
		nout = 0;
		for (i = 0; i < (unsigned)n; i++) {
			struct mmsghdr *h = &w->rx[i];

			sa_from_sockaddr(&src, (struct sockaddr *)&w->rx_addr[i],
			    h->msg_hdr.msg_namelen);
			t.packets_in++;
			t.bytes_in += h->msg_len;
			why = relay_stream_process(m, s->leg, s->stream, w->buf[i],
			    h->msg_len, RELAY_BUF_SIZE,
			    (h->msg_hdr.msg_flags & MSG_TRUNC) != 0, &src, &pass, &fwd);
			if (why >= 0) {
				t.drops[why]++;
				continue;
			}
			w->tx_iov[nout].iov_base = w->buf[i];
			w->tx_iov[nout].iov_len = fwd.len;
			memset(&w->tx[nout], 0, sizeof(w->tx[nout]));
			w->tx[nout].msg_hdr.msg_name = (void *)(uintptr_t)&fwd.dst->u.sa;
			w->tx[nout].msg_hdr.msg_namelen = (socklen_t)sock_namelen(fwd.dst);
			w->tx[nout].msg_hdr.msg_iov = &w->tx_iov[nout];
			w->tx[nout].msg_hdr.msg_iovlen = 1;
			w->out[nout].fd = fwd.fd;
			w->out[nout].len = fwd.len;
			w->out[nout].out_ctr = fwd.out_ctr;
			w->out[nout].in_ctr = fwd.in_ctr;
			nout++;
		}
		worker_flush(w, nout, &t);
		if (n < RELAY_BATCH)
			break;
	}
	worker_tally_publish(w, &t);
}

static void
media_events_free(struct relay_media *m)
{
	unsigned i, s;

	for (i = 0; i < RELAY_LEG_COUNT; i++)
		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			if (m->leg[i].sock[s].ev != NULL)
				event_free(m->leg[i].sock[s].ev);
			m->leg[i].sock[s].ev = NULL;
		}
}

/*
 * Control thread: makes the media's events on w's base without touching the base's
 * state (event_new only allocates and assigns), so the worker can add them later.
 */
static int
media_events_new(struct relay_worker *w, struct relay_media *m)
{
	unsigned i, s;

	for (i = 0; i < RELAY_LEG_COUNT; i++)
		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			struct relay_sock *k = &m->leg[i].sock[s];

			if (k->fd < 0)
				continue;
			k->ev = event_new(w->base, k->fd, EV_READ | EV_PERSIST, sock_readable, k);
			if (k->ev == NULL) {
				/* Never added: freeing does not change the worker's base. */
				media_events_free(m);
				return ENOMEM;
			}
		}
	return 0;
}

/*
 * Worker thread: starts the media's events and links it. The media is linked even
 * when an event cannot be added, so that DETACH and STOP find it like any other;
 * such a media relays nothing and the failure is logged.
 */
static int
worker_attach(struct relay_worker *w, struct relay_media *m)
{
	unsigned i, s;
	int err = 0;

	for (i = 0; i < RELAY_LEG_COUNT && err == 0; i++)
		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			struct relay_sock *k = &m->leg[i].sock[s];

			if (k->fd < 0)
				continue;
			if (k->ev == NULL || event_add(k->ev, NULL) != 0) {
				err = ENOMEM;
				break;
			}
		}
	if (err) {
		media_events_free(m);
		log_warnx("relay_attach_failed worker=%u error=%d impact=media-not-relayed",
		    w->idx, err);
	}
	m->prev = NULL;
	m->next = w->media;
	if (w->media != NULL)
		w->media->prev = m;
	w->media = m;
	/* nmedia was counted by relay_worker_attach when it queued the media. */
	if (w->met.media != NULL)
		metric_set(w->met.media, atomic_load(&w->nmedia));
	return err;
}

static void
worker_detach(struct relay_worker *w, struct relay_media *m)
{
	media_events_free(m);
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		w->media = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	m->next = m->prev = NULL;
	m->worker = NULL;
	atomic_fetch_sub(&w->nmedia, 1);
	if (w->met.media != NULL)
		metric_set(w->met.media, atomic_load(&w->nmedia));
}

static void
worker_exec(struct relay_worker *w, struct relay_cmd *cmd)
{
	cmd->result = 0;
	switch (cmd->op) {
	case RELAY_CMD_ATTACH:
		cmd->result = worker_attach(w, cmd->media);
		break;
	case RELAY_CMD_UPDATE:
		relay_media_apply_update(cmd->media, cmd->update);
		break;
	case RELAY_CMD_DETACH:
		/* Final counters in the same round trip as the tear-down (delete replies). */
		if (cmd->stats != NULL) {
			relay_media_snapshot(cmd->media, cmd->stats);
			cmd->stats->worker = w->idx;
		}
		worker_detach(w, cmd->media);
		break;
	case RELAY_CMD_STATS:
		relay_media_snapshot(cmd->media, cmd->stats);
		cmd->stats->worker = w->idx;
		break;
	case RELAY_CMD_STOP:
		while (w->media != NULL) {
			struct relay_media *m = w->media;

			worker_detach(w, m);
			relay_media_free(m);
		}
		event_base_loopbreak(w->base);
		break;
	default:
		cmd->result = EINVAL;
		break;
	}
}

static void
cmd_readable(evutil_socket_t fd, short what, void *arg)
{
	struct relay_worker *w = arg;
	struct relay_cmd *list, *cmd, *next;
	uint64_t v;

	(void)!read(w->cmd_fd, &v, sizeof(v));
	pthread_mutex_lock(&w->cmd_lock);
	list = w->cmd_head;
	w->cmd_head = w->cmd_tail = NULL;
	pthread_mutex_unlock(&w->cmd_lock);
	for (cmd = list; cmd != NULL; cmd = next) {
		bool posted = cmd->result == RELAY_RESULT_POSTED;

		/* The command lives on the caller's stack: read next before it is released. */
		next = cmd->next;
		worker_exec(w, cmd);
		if (posted) {
			/* Nobody waits for a posted command: it is ours to free. */
			free(cmd);
			continue;
		}
		pthread_mutex_lock(&w->cmd_lock);
		cmd->done = true;
		pthread_cond_broadcast(&w->cmd_cond);
		pthread_mutex_unlock(&w->cmd_lock);
	}
}

/* Appends cmd to w's queue (FIFO: a posted ATTACH runs before any later command) and wakes w. */
static void
worker_enqueue(struct relay_worker *w, struct relay_cmd *cmd)
{
	uint64_t one = 1;

	cmd->done = false;
	cmd->next = NULL;
	pthread_mutex_lock(&w->cmd_lock);
	if (w->cmd_tail != NULL)
		w->cmd_tail->next = cmd;
	else
		w->cmd_head = cmd;
	w->cmd_tail = cmd;
	pthread_mutex_unlock(&w->cmd_lock);
	while (write(w->cmd_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static bool
worker_is_self(const struct relay_worker *w)
{
	return w->started && pthread_equal(pthread_self(), w->thread);
}

int
relay_worker_call(struct relay_worker *w, struct relay_cmd *cmd)
{
	/* From inside the worker (a callback) run it directly rather than deadlock. */
	if (worker_is_self(w)) {
		worker_exec(w, cmd);
		return cmd->result;
	}
	cmd->result = 0;
	worker_enqueue(w, cmd);
	pthread_mutex_lock(&w->cmd_lock);
	while (!cmd->done)
		pthread_cond_wait(&w->cmd_cond, &w->cmd_lock);
	pthread_mutex_unlock(&w->cmd_lock);
	return cmd->result;
}

int
relay_worker_attach(struct relay_worker *w, struct relay_media *m)
{
	struct relay_cmd *cmd;
	int err;

	/*
	 * Everything that can fail is done here, so that the ATTACH itself is posted:
	 * the caller does not wait a thread round trip per call.
	 */
	err = media_events_new(w, m);
	if (err)
		return err;
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL) {
		media_events_free(m);
		return ENOMEM;
	}
	cmd->op = RELAY_CMD_ATTACH;
	cmd->media = m;
	/* Written before the worker can see the media; the worker only reads it after. */
	m->worker = w;
	atomic_fetch_add(&w->nmedia, 1);
	if (worker_is_self(w)) {
		worker_exec(w, cmd);
		free(cmd);
	} else {
		cmd->result = RELAY_RESULT_POSTED;
		worker_enqueue(w, cmd);
	}
	return 0;
}

/* The loop ran: a worker stuck in a packet or a lock stops stamping (the watchdog's view). */
static void
worker_beat(evutil_socket_t fd, short what, void *arg)
{
	struct relay_worker *w = arg;

	atomic_store(&w->beat_ms, time_mono_ms());
}

static void *
worker_main(void *arg)
{
	struct relay_worker *w = arg;

	atomic_store(&w->beat_ms, time_mono_ms());   /* 0 until now: not started (READY waits) */
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void
worker_metrics(struct relay_worker *w, struct metrics *reg)
{
	char lab[64];
	unsigned d;

	if (reg == NULL)
		return;
	snprintf(lab, sizeof(lab), "worker=\"%u\"", w->idx);
	w->met.packets_in = metrics_counter(reg, "sbc_relay_packets_in_total", lab,
	    "Datagrams received on media sockets");
	w->met.bytes_in = metrics_counter(reg, "sbc_relay_bytes_in_total", lab,
	    "Bytes received on media sockets");
	w->met.packets_out = metrics_counter(reg, "sbc_relay_packets_out_total", lab,
	    "Datagrams relayed (sent)");
	w->met.bytes_out = metrics_counter(reg, "sbc_relay_bytes_out_total", lab,
	    "Bytes relayed (sent, after SRTP protect)");
	w->met.media = metrics_gauge(reg, "sbc_relay_media", lab,
	    "Media (bridged m= lines) owned by the worker");
	for (d = 0; d < RELAY_DROP_COUNT; d++) {
		snprintf(lab, sizeof(lab), "worker=\"%u\",reason=\"%s\"", w->idx,
		    relay_drop_name((enum relay_drop)d));
		w->met.drops[d] = metrics_counter(reg, "sbc_relay_drops_total", lab,
		    "Datagrams not relayed, by reason");
	}
	/* All or nothing: the packet path tests packets_in alone. */
	if (w->met.packets_in == NULL || w->met.bytes_in == NULL ||
	    w->met.packets_out == NULL || w->met.bytes_out == NULL) {
		log_warnx("relay_metrics_unavailable worker=%u", w->idx);
		memset(&w->met, 0, sizeof(w->met));
	}
	for (d = 0; d < RELAY_DROP_COUNT && w->met.packets_in != NULL; d++)
		if (w->met.drops[d] == NULL)
			memset(&w->met, 0, sizeof(w->met));
}

static void
worker_free(struct relay_worker *w)
{
	if (w == NULL)
		return;
	if (w->cmd_ev != NULL)
		event_free(w->cmd_ev);
	if (w->beat_ev != NULL)
		event_free(w->beat_ev);
	if (w->base != NULL)
		event_base_free(w->base);
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	pthread_cond_destroy(&w->cmd_cond);
	pthread_mutex_destroy(&w->cmd_lock);
	free(w);
}

static int
worker_new(struct relay_worker **wp, struct relay *r, unsigned idx, struct metrics *reg)
{
	struct relay_worker *w;
	int err = 0;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ENOMEM;
	w->relay = r;
	w->idx = idx;
	w->cmd_fd = -1;
	pthread_mutex_init(&w->cmd_lock, NULL);
	pthread_cond_init(&w->cmd_cond, NULL);
	w->rl_latch = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 20);
	w->rl_drop = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	w->rl_sock = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->cmd_fd < 0) {
		err = errno;
		goto out;
	}
	w->base = event_base_new();
	if (w->base == NULL) {
		err = ENOMEM;
		goto out;
	}
	w->cmd_ev = event_new(w->base, w->cmd_fd, EV_READ | EV_PERSIST, cmd_readable, w);
	w->beat_ev = event_new(w->base, -1, EV_PERSIST, worker_beat, w);
	atomic_init(&w->beat_ms, 0);
	if (w->cmd_ev == NULL || event_add(w->cmd_ev, NULL) != 0 || w->beat_ev == NULL ||
	    event_add(w->beat_ev, &(struct timeval){ 0, RELAY_BEAT_MS * 1000 }) != 0) {
		err = ENOMEM;
		goto out;
	}
	worker_metrics(w, reg);
 out:
	if (err)
		worker_free(w);
	else
		*wp = w;
	return err;
}

static void
worker_stop(struct relay_worker *w)
{
	struct relay_cmd cmd;

	if (!w->started)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = RELAY_CMD_STOP;
	(void)relay_worker_call(w, &cmd);
	pthread_join(w->thread, NULL);
	w->started = false;
}

void
relay_free(struct relay *r)
{
	unsigned i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nworkers; i++) {
		if (r->workers[i] == NULL)
			continue;
		worker_stop(r->workers[i]);
		worker_free(r->workers[i]);
	}
	free(r->workers);
	free(r);
}

int
relay_alloc(struct relay **rp, unsigned nworkers, struct metrics *reg)
{
	struct relay *r;
	sigset_t all, old;
	unsigned i;
	int err = 0;

	if (rp == NULL || nworkers == 0 || nworkers > 256)
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->workers = calloc(nworkers, sizeof(*r->workers));
	if (r->workers == NULL) {
		free(r);
		return ENOMEM;
	}
	r->nworkers = nworkers;
	/* Workers never take signals: the main thread's handlers stay in charge. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < nworkers; i++) {
		char name[16];

		err = worker_new(&r->workers[i], r, i, reg);
		if (err)
			break;
		err = pthread_create(&r->workers[i]->thread, NULL, worker_main, r->workers[i]);
		if (err)
			break;
		r->workers[i]->started = true;
		snprintf(name, sizeof(name), "relay-%u", i);
		pthread_setname_np(r->workers[i]->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		relay_free(r);
	else
		*rp = r;
	return err;
}
