/* SPDX-License-Identifier: BSD-2-Clause */
/* Metrics in Prometheus text format on libevent's HTTP server (GET /metrics).
 * Counters and gauges are registered from tables, one row per series; collectors add
 * dynamic series. */
#ifndef SBC_COMMON_METRICS_H
#define SBC_COMMON_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evbuffer;
struct metrics;
struct metrics_buckets;
struct metrics_hist;

/* Updated from any thread without locks. */
struct metric {
	_Atomic uint64_t value;
};

static inline void metric_inc(struct metric *m) { atomic_fetch_add_explicit(&m->value, 1, memory_order_relaxed); }
static inline void metric_add(struct metric *m, uint64_t n) { atomic_fetch_add_explicit(&m->value, n, memory_order_relaxed); }
static inline void metric_set(struct metric *m, uint64_t v) { atomic_store_explicit(&m->value, v, memory_order_relaxed); }
static inline uint64_t metric_get(const struct metric *m) { return atomic_load_explicit(&m->value, memory_order_relaxed); }

/* Allocates an empty registry; nothing listens until metrics_listen(). Caller owns *mp. */
int metrics_alloc(struct metrics **mp);
void metrics_free(struct metrics *m);
/*
 * Serves GET /metrics on addr ("127.0.0.1:9090"; port 0 picks one, see
 * metrics_port). Returns 0, EINVAL or the bind errno.
 */
int metrics_listen(struct metrics *m, struct event_base *base, const char *addr);
uint16_t metrics_port(const struct metrics *m);

/*
 * Registers a series; name must be a valid Prometheus name, labels either NULL
 * or a label set without braces ('iface="outside"'). Registering the same
 * name+labels twice returns the same metric. Returns NULL on ENOMEM or invalid
 * name. The metric is owned by m and lives until metrics_free().
 */
struct metric *metrics_counter(struct metrics *m, const char *name, const char *labels, const char *help);
struct metric *metrics_gauge(struct metrics *m, const char *name, const char *labels, const char *help);
/*
 * Registers a histogram (name without _bucket/_sum/_count). Same rules as
 * metrics_counter; b is copied and must hold 1..METRICS_HIST_MAX_BUCKETS ascending
 * bounds. Returns NULL on ENOMEM or invalid arguments.
 */
struct metrics_hist *metrics_histogram(struct metrics *m, const char *name, const char *labels,
    const char *help, const struct metrics_buckets *b);

enum metrics_type {
	METRICS_COUNTER = 0,
	METRICS_GAUGE,
};

/*
 * Histogram buckets: upper bounds (inclusive, ascending) in the unit values are
 * observed in (e.g. microseconds), and the factor that turns that unit into the one
 * exposed (1e-6 for seconds). +Inf is implicit.
 */
#define METRICS_HIST_MAX_BUCKETS 24
struct metrics_buckets {
	double scale;
	unsigned n;
	uint64_t le[METRICS_HIST_MAX_BUCKETS];
};

/* Counts value in h (any thread, no lock, no allocation). NULL h is a no-op. */
void metrics_hist_observe(struct metrics_hist *h, uint64_t value);

/* One series. A table is an array of rows ended by a row whose name is NULL. */
struct metrics_def {
	const char *name;
	enum metrics_type type;
	const char *labels;       /* NULL: none; else as metrics_counter() takes them */
	const char *help;         /* NULL: the family's first help */
	size_t off;               /* of the struct metric * that receives the series */
};

/*
 * Registers every row of defs and stores each series at base + off. Returns 0, EINVAL
 * (a row with an invalid name or labels, or a type clash: a programming error) or
 * ENOMEM. On error, pointers already stored stay valid (owned by m).
 */
int metrics_register_table(struct metrics *m, const struct metrics_def *defs, void *base);

/* Reads a gauge's value when /metrics is rendered (base: as registered). */
typedef uint64_t (metrics_read_h)(const void *base);

/* A gauge whose value is read at each scrape: what a daemon holds now (calls, peers up). */
struct metrics_read_def {
	const char *name;
	const char *labels;       /* as in struct metrics_def */
	const char *help;
	metrics_read_h *read;     /* called with base, on the thread that renders */
};
/*
 * Registers every row of defs as a gauge read by read(base) at each scrape; base is
 * borrowed and must outlive m. Returns 0, EINVAL (a bad row, or a name taken by another
 * type) or ENOMEM.
 */
int metrics_register_read_table(struct metrics *m, const struct metrics_read_def *defs,
    const void *base);

/* A histogram row: the struct metrics_hist * at base + off receives it. */
struct metrics_hist_def {
	const char *name;         /* without _bucket, _sum, _count */
	const char *labels;
	const char *help;
	size_t off;
	const struct metrics_buckets *buckets;
};
/* As metrics_register_table, for histograms (EINVAL also for invalid buckets). */
int metrics_register_hist_table(struct metrics *m, const struct metrics_hist_def *defs,
    void *base);

/* A collector writes extra series when /metrics is read (from the base's thread). */
typedef void (metrics_collect_h)(struct evbuffer *out, void *arg);
int metrics_add_collector(struct metrics *m, metrics_collect_h *fn, void *arg);
/* Helpers for collectors: one sample line, with # HELP/# TYPE when help is non-NULL. */
void metrics_write(struct evbuffer *out, const char *name, const char *type,
    const char *help, const char *labels, uint64_t value);

/* The whole exposition text (also what the HTTP handler sends). */
int metrics_render(struct metrics *m, struct evbuffer *out);

#endif
