/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus text exposition (version 0.0.4) of registered series, served by evhttp. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "addr.h"
#include "metrics.h"
#include "metrics_int.h"

#define METRICS_MAX_NAME 128
#define METRICS_MAX_LABELS 512
#define METRICS_MAX_HELP 512

enum series_type {
	SERIES_COUNTER,
	SERIES_GAUGE,
	SERIES_HISTOGRAM,
};

static const char *const series_type_names[] = { "counter", "gauge", "histogram" };

/* One name+labels; allocated alone so the metric pointer handed out never moves. */
struct series {
	struct metric m;        /* first: updated from any thread */
	char *name;
	char *labels;           /* NULL: no labels */
	char *help;             /* NULL: use the family's first help */
	enum series_type type;
	metrics_read_h *read;   /* gauges read at render time; NULL: m holds the value */
	const void *read_base;  /* borrowed; outlives the registry */
	struct metrics_hist *hist;   /* SERIES_HISTOGRAM: owned */
};

struct collector {
	metrics_collect_h *fn;
	void *arg;
};

struct metrics {
	struct series **series;     /* registration order; main thread only */
	size_t nseries, cap;
	struct collector *collectors;
	size_t ncollectors;
	struct evhttp *http;        /* NULL until metrics_listen */
	uint16_t port;
};

int
metrics_alloc(struct metrics **mp)
{
	struct metrics *m;

	if (mp == NULL)
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	*mp = m;
	return 0;
}

void
metrics_free(struct metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	for (i = 0; i < m->nseries; i++) {
		free(m->series[i]->name);
		free(m->series[i]->labels);
		free(m->series[i]->help);
		free(m->series[i]->hist);
		free(m->series[i]);
	}
	free(m->series);
	free(m->collectors);
	free(m);
}

static bool
name_valid(const char *s, bool allow_colon)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > METRICS_MAX_NAME)
		return false;
	for (i = 0; s[i]; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		    (allow_colon && ch == ':') || (i > 0 && ch >= '0' && ch <= '9');

		if (!ok)
			return false;
	}
	return true;
}

/* 'a="x",b="y\"z"': label names valid, values quoted with \\ \" \n escapes only. */
static bool
labels_valid(const char *s)
{
	char name[METRICS_MAX_NAME + 1];

	if (strlen(s) > METRICS_MAX_LABELS)
		return false;
	for (;;) {
		size_t n = 0;

		while (*s && *s != '=' && n < sizeof(name) - 1)
			name[n++] = *s++;
		name[n] = '\0';
		if (*s != '=' || !name_valid(name, false) || strncmp(name, "__", 2) == 0)
			return false;
		s++;
		if (*s++ != '"')
			return false;
		while (*s && *s != '"') {
			if (*s == '\n')
				return false;
			if (*s == '\\') {
				s++;
				if (*s != '\\' && *s != '"' && *s != 'n')
					return false;
			}
			s++;
		}
		if (*s++ != '"')
			return false;
		if (*s == '\0')
			return true;
		if (*s++ != ',')
			return false;
	}
}

/* Whether name is registered with the other type. */
static bool
series_type_clash(const struct metrics *m, const char *name, enum series_type type)
{
	size_t i;

	for (i = 0; i < m->nseries; i++)
		if (strcmp(m->series[i]->name, name) == 0 && m->series[i]->type != type)
			return true;
	return false;
}

static struct series *
series_register(struct metrics *m, const char *name, const char *labels, const char *help,
    enum series_type type, const struct metrics_buckets *buckets)
{
	struct series *s = NULL;
	size_t i;

	if (m == NULL || !name_valid(name, true) ||
	    (labels != NULL && labels[0] != '\0' && !labels_valid(labels)) ||
	    (help != NULL && strlen(help) > METRICS_MAX_HELP) ||
	    (type == SERIES_HISTOGRAM && !metrics_buckets_valid(buckets)))
		return NULL;
	if (labels != NULL && labels[0] == '\0')
		labels = NULL;
	for (i = 0; i < m->nseries; i++) {
		struct series *o = m->series[i];

		if (strcmp(o->name, name) != 0)
			continue;
		/* One family has one type: a counter and a gauge cannot share a name. */
		if (o->type != type)
			return NULL;
		if ((o->labels == NULL && labels == NULL) ||
		    (o->labels != NULL && labels != NULL && strcmp(o->labels, labels) == 0))
			return o;
	}
	if (m->nseries == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 32;
		struct series **n = realloc(m->series, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		m->series = n;
		m->cap = ncap;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	atomic_init(&s->m.value, 0);
	s->type = type;
	s->name = strdup(name);
	s->labels = labels ? strdup(labels) : NULL;
	s->help = help ? strdup(help) : NULL;
	if (type == SERIES_HISTOGRAM)
		s->hist = metrics_hist_new(buckets);
	if (s->name == NULL || (labels && s->labels == NULL) || (help && s->help == NULL) ||
	    (type == SERIES_HISTOGRAM && s->hist == NULL)) {
		free(s->name);
		free(s->labels);
		free(s->help);
		free(s->hist);
		free(s);
		return NULL;
	}
	m->series[m->nseries++] = s;
	return s;
}

struct metric *
metrics_counter(struct metrics *m, const char *name, const char *labels, const char *help)
{
	struct series *s = series_register(m, name, labels, help, SERIES_COUNTER, NULL);

	return s ? &s->m : NULL;
}

struct metric *
metrics_gauge(struct metrics *m, const char *name, const char *labels, const char *help)
{
	struct series *s = series_register(m, name, labels, help, SERIES_GAUGE, NULL);

	return s ? &s->m : NULL;
}

struct metrics_hist *
metrics_histogram(struct metrics *m, const char *name, const char *labels, const char *help,
    const struct metrics_buckets *b)
{
	struct series *s = series_register(m, name, labels, help, SERIES_HISTOGRAM, b);

	return s ? s->hist : NULL;
}

/* Invalid rows are told apart from ENOMEM: they are bugs, not load. */
static bool
row_valid(const char *name, const char *labels, const char *help)
{
	return name_valid(name, true) &&
	    (labels == NULL || labels[0] == '\0' || labels_valid(labels)) &&
	    (help == NULL || strlen(help) <= METRICS_MAX_HELP);
}

int
metrics_register_table(struct metrics *m, const struct metrics_def *defs, void *base)
{
	const struct metrics_def *d;
	enum series_type type;
	struct series *s;

	if (m == NULL || defs == NULL || base == NULL)
		return EINVAL;
	for (d = defs; d->name != NULL; d++) {
		if (!row_valid(d->name, d->labels, d->help))
			return EINVAL;
		type = d->type == METRICS_GAUGE ? SERIES_GAUGE : SERIES_COUNTER;
		s = series_register(m, d->name, d->labels, d->help, type, NULL);
		if (s == NULL)
			return series_type_clash(m, d->name, type) ? EINVAL : ENOMEM;
		*(struct metric **)(void *)((char *)base + d->off) = &s->m;
	}
	return 0;
}

int
metrics_register_read_table(struct metrics *m, const struct metrics_read_def *defs,
    const void *base)
{
	const struct metrics_read_def *d;
	struct series *s;

	if (m == NULL || defs == NULL || base == NULL)
		return EINVAL;
	for (d = defs; d->name != NULL; d++) {
		if (!row_valid(d->name, d->labels, d->help) || d->read == NULL)
			return EINVAL;
		s = series_register(m, d->name, d->labels, d->help, SERIES_GAUGE, NULL);
		if (s == NULL)
			return series_type_clash(m, d->name, SERIES_GAUGE) ? EINVAL : ENOMEM;
		s->read = d->read;
		s->read_base = base;
	}
	return 0;
}

int
metrics_register_hist_table(struct metrics *m, const struct metrics_hist_def *defs, void *base)
{
	const struct metrics_hist_def *d;
	struct series *s;

	if (m == NULL || defs == NULL || base == NULL)
		return EINVAL;
	for (d = defs; d->name != NULL; d++) {
		if (!row_valid(d->name, d->labels, d->help) || !metrics_buckets_valid(d->buckets))
			return EINVAL;
		s = series_register(m, d->name, d->labels, d->help, SERIES_HISTOGRAM, d->buckets);
		if (s == NULL)
			return series_type_clash(m, d->name, SERIES_HISTOGRAM) ? EINVAL : ENOMEM;
		*(struct metrics_hist **)(void *)((char *)base + d->off) = s->hist;
	}
	return 0;
}

int
metrics_add_collector(struct metrics *m, metrics_collect_h *fn, void *arg)
{
	struct collector *n;

	if (m == NULL || fn == NULL)
		return EINVAL;
	n = realloc(m->collectors, (m->ncollectors + 1) * sizeof(*n));
	if (n == NULL)
		return ENOMEM;
	m->collectors = n;
	m->collectors[m->ncollectors].fn = fn;
	m->collectors[m->ncollectors].arg = arg;
	m->ncollectors++;
	return 0;
}

/* HELP text escapes only backslash and newline (exposition format 0.0.4). */
static int
help_write(struct evbuffer *out, const char *help)
{
	int rc = 0;

	for (; *help && rc == 0; help++) {
		if (*help == '\\')
			rc = evbuffer_add(out, "\\\\", 2);
		else if (*help == '\n')
			rc = evbuffer_add(out, "\\n", 2);
		else
			rc = evbuffer_add(out, help, 1);
	}
	return rc;
}

/* # HELP and # TYPE lines when help is non-NULL ("" means the name). 0 or ENOMEM. */
static int
help_type_write(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	if (help == NULL)
		return 0;
	if (evbuffer_add_printf(out, "# HELP %s ", name) < 0 ||
	    help_write(out, help[0] ? help : name) != 0 ||
	    evbuffer_add_printf(out, "\n# TYPE %s %s\n", name, type ? type : "untyped") < 0)
		return ENOMEM;
	return 0;
}

/* Returns 0 or ENOMEM: evbuffer appends fail only when memory does. */
static int
sample_write(struct evbuffer *out, const char *name, const char *type,
    const char *help, const char *labels, uint64_t value)
{
	if (help_type_write(out, name, type, help) != 0)
		return ENOMEM;
	if (labels != NULL && labels[0] != '\0') {
		if (evbuffer_add_printf(out, "%s{%s} %" PRIu64 "\n", name, labels, value) < 0)
			return ENOMEM;
	} else if (evbuffer_add_printf(out, "%s %" PRIu64 "\n", name, value) < 0) {
		return ENOMEM;
	}
	return 0;
}

void
metrics_write(struct evbuffer *out, const char *name, const char *type,
    const char *help, const char *labels, uint64_t value)
{
	if (out == NULL || name == NULL)
		return;
	(void)sample_write(out, name, type, help, labels, value);
}

int
metrics_render(struct metrics *m, struct evbuffer *out)
{
	size_t i, j;
	int err = 0;

	if (m == NULL || out == NULL)
		return EINVAL;
	/* Families in first-registration order; all series of a family stay together. */
	for (i = 0; i < m->nseries && !err; i++) {
		const struct series *s = m->series[i];
		const char *help = NULL;
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = strcmp(m->series[j]->name, s->name) == 0;
		if (seen)
			continue;
		for (j = i; j < m->nseries && help == NULL; j++)
			if (strcmp(m->series[j]->name, s->name) == 0)
				help = m->series[j]->help;
		for (j = i; j < m->nseries && !err; j++) {
			const struct series *t = m->series[j];

			if (strcmp(t->name, s->name) != 0)
				continue;
			if (t->type == SERIES_HISTOGRAM) {
				err = help_type_write(out, t->name, "histogram",
				    j == i ? (help ? help : "") : NULL);
				if (err == 0)
					err = metrics_hist_render(out, t->name, t->labels, t->hist);
				continue;
			}
			err = sample_write(out, t->name, series_type_names[t->type],
			    j == i ? (help ? help : "") : NULL, t->labels,
			    t->read ? t->read(t->read_base) : metric_get(&t->m));
		}
	}
	for (i = 0; i < m->ncollectors && !err; i++)
		m->collectors[i].fn(out, m->collectors[i].arg);
	return err;
}

static void
http_handle(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);
	struct evbuffer *body;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_add_header(hdrs, "Content-Type", "text/plain; charset=utf-8");
		body = evbuffer_new();
		if (body != NULL)
			evbuffer_add_printf(body, "not found; try /metrics\n");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", body);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(hdrs, "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	body = evbuffer_new();
	if (body == NULL || metrics_render(m, body) != 0) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	evhttp_add_header(hdrs, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	/* libevent would send the body after a HEAD too; the length still tells the size. */
	if (cmd == EVHTTP_REQ_HEAD) {
		char len[24];

		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(body));
		evhttp_add_header(hdrs, "Content-Length", len);
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
	} else {
		evhttp_send_reply(req, HTTP_OK, "OK", body);
	}
	evbuffer_free(body);
}

int
metrics_listen(struct metrics *m, struct event_base *base, const char *addr)
{
	struct evhttp_bound_socket *bs;
	struct evhttp *http = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];
	struct sa sa;
	int err = 0;

	if (m == NULL || base == NULL || addr == NULL || m->http != NULL)
		return EINVAL;
	if (sa_parse(&sa, addr, 9090) != 0)
		return EINVAL;
	http = evhttp_new(base);
	if (http == NULL)
		return ENOMEM;
	/* A scraper sends a few hundred bytes; anything bigger or slower is not one. */
	evhttp_set_max_headers_size(http, 8192);
	evhttp_set_max_body_size(http, 1024);
	evhttp_set_timeout(http, 10);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(http, http_handle, m);
	sa_format_ip(&sa, ip, sizeof(ip));
	errno = 0;
	bs = evhttp_bind_socket_with_handle(http, ip, sa_port(&sa));
	if (bs == NULL) {
		err = errno ? errno : EADDRINUSE;
		goto out;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sslen) != 0) {
		err = errno;
		goto out;
	}
	sa_from_sockaddr(&sa, (struct sockaddr *)&ss, sslen);
	m->port = sa_port(&sa);
 out:
	if (err)
		evhttp_free(http);
	else
		m->http = http;
	return err;
}

uint16_t
metrics_port(const struct metrics *m)
{
	return m ? m->port : 0;
}
