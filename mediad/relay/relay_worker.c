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

	struct metric *m_media;             /* media gauge; NULL without a registry */
	struct event *shared_ev[2];         /* batched: io.shared_fd readable; NULL if absent */
	struct event *xsk_ev[RELAY_XDP_MAX_IF];  /* xdp: io.xsk[i] readable */
	struct relay_io io;                 /* the packet path; worker thread only */
};

struct relay {
	unsigned nworkers;
	struct relay_worker **workers;
	enum relay_io_style io;             /* the style in use (never AUTO) */
	struct relay_bpf *bpf;              /* owned; NULL unless batched or xdp */
	struct relay_xdp *xdp;              /* owned; NULL unless xdp */
	char io_why[160];                   /* why AUTO did not get batched; "" otherwise */
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

/* A media port's own socket is readable (both styles). */
static void
sock_readable(evutil_socket_t fd, short what, void *arg)
{
	struct relay_sock *s = arg;

	relay_io_drain_port(&s->media->worker->io, s);
}

/* One of the worker's AF_XDP sockets is readable (xdp). */
static void
xsk_readable(evutil_socket_t fd, short what, void *arg)
{
	struct relay_worker *w = arg;
	unsigned i;

	for (i = 0; i < RELAY_XDP_MAX_IF; i++)
		if (w->io.xsk[i] != NULL && relay_xsk_fd(w->io.xsk[i]) == fd)
			relay_io_drain_xsk(&w->io, i);
}

/* The worker's shared receive socket is readable (batched). */
static void
shared_readable(evutil_socket_t fd, short what, void *arg)
{
	struct relay_worker *w = arg;

	relay_io_drain_shared(&w->io, fd == w->io.shared_fd[1] ? 1 : 0);
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
	} else {
		relay_io_media_add(&w->io, m);
	}
	m->prev = NULL;
	m->next = w->media;
	if (w->media != NULL)
		w->media->prev = m;
	w->media = m;
	/* nmedia was counted by relay_worker_attach when it queued the media. */
	if (w->m_media != NULL)
		metric_set(w->m_media, atomic_load(&w->nmedia));
	return err;
}

static void
worker_detach(struct relay_worker *w, struct relay_media *m)
{
	relay_io_media_del(&w->io, m);
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
	if (w->m_media != NULL)
		metric_set(w->m_media, atomic_load(&w->nmedia));
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
worker_free(struct relay_worker *w)
{
	if (w == NULL)
		return;
	if (w->cmd_ev != NULL)
		event_free(w->cmd_ev);
	if (w->beat_ev != NULL)
		event_free(w->beat_ev);
	for (unsigned f = 0; f < 2; f++)
		if (w->shared_ev[f] != NULL)
			event_free(w->shared_ev[f]);
	for (unsigned f = 0; f < RELAY_XDP_MAX_IF; f++)
		if (w->xsk_ev[f] != NULL)
			event_free(w->xsk_ev[f]);
	relay_io_fini(&w->io);
	if (w->base != NULL)
		event_base_free(w->base);
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	pthread_cond_destroy(&w->cmd_cond);
	pthread_mutex_destroy(&w->cmd_lock);
	free(w);
}

static int
worker_new(struct relay_worker **wp, struct relay *r, unsigned idx, struct metrics *reg,
    char *why, size_t whysize)
{
	struct relay_worker *w;
	unsigned f;
	int err = 0;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ENOMEM;
	w->relay = r;
	w->idx = idx;
	w->cmd_fd = -1;
	w->io.shared_fd[0] = w->io.shared_fd[1] = w->io.raw_fd[0] = w->io.raw_fd[1] = -1;
	pthread_mutex_init(&w->cmd_lock, NULL);
	pthread_cond_init(&w->cmd_cond, NULL);
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
	err = relay_io_init(&w->io, idx, r->bpf, r->xdp, reg, why, whysize);
	if (err)
		goto out;
	for (f = 0; f < 2; f++) {
		if (w->io.shared_fd[f] < 0)
			continue;
		w->shared_ev[f] = event_new(w->base, w->io.shared_fd[f], EV_READ | EV_PERSIST,
		    shared_readable, w);
		if (w->shared_ev[f] == NULL || event_add(w->shared_ev[f], NULL) != 0) {
			err = ENOMEM;
			goto out;
		}
	}
	for (f = 0; f < RELAY_XDP_MAX_IF; f++) {
		if (w->io.xsk[f] == NULL)
			continue;
		w->xsk_ev[f] = event_new(w->base, relay_xsk_fd(w->io.xsk[f]), EV_READ | EV_PERSIST,
		    xsk_readable, w);
		if (w->xsk_ev[f] == NULL || event_add(w->xsk_ev[f], NULL) != 0) {
			err = ENOMEM;
			goto out;
		}
	}
	if (reg != NULL) {
		char lab[32];

		snprintf(lab, sizeof(lab), "worker=\"%u\"", idx);
		w->m_media = metrics_gauge(reg, "sbc_relay_media", lab,
		    "Media (bridged m= lines) owned by the worker");
	}
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
		relay_io_log_totals(&r->workers[i]->io, relay_io_name(r->io));
		worker_free(r->workers[i]);
	}
	/* After the workers: no media port is steered any more once the links go. */
	relay_xdp_close(r->xdp);
	relay_bpf_close(r->bpf);
	free(r->workers);
	free(r);
}

/* A relay of one I/O style (SOCKETS, BATCHED or XDP); why says what failed. */
static int
relay_new(struct relay **rp, const struct relay_opts *o, enum relay_io_style io,
    struct metrics *reg, char *why, size_t whysize)
{
	struct relay *r;
	sigset_t all, old;
	unsigned i;
	int err = 0;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->workers = calloc(o->nworkers, sizeof(*r->workers));
	if (r->workers == NULL) {
		free(r);
		return ENOMEM;
	}
	r->nworkers = o->nworkers;
	r->io = io;
	/* xdp keeps the batched path for what the XDP program passes to the kernel. */
	if (io == RELAY_IO_BATCHED || io == RELAY_IO_XDP) {
		err = relay_bpf_open(&r->bpf, o->max_ports, why, whysize);
		if (err)
			goto out;
	}
	if (io == RELAY_IO_XDP) {
		err = relay_xdp_open(&r->xdp, o->addrs, o->naddrs, o->max_ports, why, whysize);
		if (err)
			goto out;
	}
	/* Workers never take signals: the main thread's handlers stay in charge. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < o->nworkers; i++) {
		char name[24];

		err = worker_new(&r->workers[i], r, i, reg, why, whysize);
		if (err)
			break;
		err = pthread_create(&r->workers[i]->thread, NULL, worker_main, r->workers[i]);
		if (err)
			break;
		r->workers[i]->started = true;
		snprintf(name, sizeof(name), "relay-%u", i);
		/* Thread names stop at 15 characters: "relay-255" fits. */
		pthread_setname_np(r->workers[i]->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
 out:
	if (err)
		relay_free(r);
	else
		*rp = r;
	return err;
}

int
relay_alloc_opts(struct relay **rp, const struct relay_opts *o, struct metrics *reg,
    char *why, size_t whysize)
{
	char rx[sizeof(((struct relay *)0)->io_why)] = "";
	char rb[sizeof(rx)] = "";
	int err;

	if (rp == NULL || o == NULL || o->nworkers == 0 || o->nworkers > 256 ||
	    (unsigned)o->io > RELAY_IO_XDP)
		return EINVAL;
	if (why != NULL && whysize > 0)
		why[0] = '\0';
	if (o->io != RELAY_IO_AUTO)
		return relay_new(rp, o, o->io, reg, why, whysize);
	/* AUTO: the fastest style this host gives, and why the faster ones were not had. */
	if (relay_new(rp, o, RELAY_IO_XDP, reg, rx, sizeof(rx)) == 0)
		return 0;
	if (relay_new(rp, o, RELAY_IO_BATCHED, reg, rb, sizeof(rb)) == 0) {
		snprintf((*rp)->io_why, sizeof((*rp)->io_why), "xdp: %s", rx);
		return 0;
	}
	err = relay_new(rp, o, RELAY_IO_SOCKETS, reg, why, whysize);
	if (err == 0)
		snprintf((*rp)->io_why, sizeof((*rp)->io_why), "batched: %s", rb);
	return err;
}

int
relay_alloc(struct relay **rp, unsigned nworkers, struct metrics *reg)
{
	struct relay_opts o = { .nworkers = nworkers, .io = RELAY_IO_SOCKETS };

	return relay_alloc_opts(rp, &o, reg, NULL, 0);
}

enum relay_io_style
relay_io(const struct relay *r)
{
	return r->io;
}

const char *
relay_io_why(const struct relay *r)
{
	return r->io_why;
}

const char *
relay_io_name(enum relay_io_style s)
{
	static const char *const names[] = { "auto", "sockets", "batched", "xdp" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
