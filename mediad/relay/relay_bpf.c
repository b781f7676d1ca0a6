/* SPDX-License-Identifier: BSD-2-Clause */
/* The batched style's kernel side: loads the embedded sk_lookup program, attaches it to this
 * network namespace and keeps its map of media ports -> worker receive sockets. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "relay_bpf_obj.h"
#include "relay_int.h"

struct relay_bpf {
	struct bpf_object *obj;   /* owned */
	struct bpf_link *link;    /* owned; detaches the program when destroyed or on exit */
	int map_fd;               /* borrowed from obj */
};

/* libbpf's own chatter would reach stderr without our format; the caller logs once. */
static int
bpf_print_none(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int
relay_bpf_load(struct bpf_object **op, const unsigned char *img, unsigned long len,
    const char *what, const char *port_map, unsigned max_ports, char *why, size_t whysize)
{
	struct bpf_object *o;
	struct bpf_map *map;
	int err;

	libbpf_set_print(bpf_print_none);
	o = bpf_object__open_mem(img, len, NULL);
	if (o == NULL) {
		err = errno ? errno : EINVAL;
		snprintf(why, whysize, "%s object: %s", what, strerror(err));
		return err;
	}
	map = bpf_object__find_map_by_name(o, port_map);
	if (map == NULL) {
		snprintf(why, whysize, "%s object without its map %s", what, port_map);
		bpf_object__close(o);
		return EINVAL;
	}
	(void)bpf_map__set_max_entries(map, max_ports > 0 ? max_ports : 1);
	err = bpf_object__load(o);
	if (err) {
		err = -err;
		snprintf(why, whysize, "%s load: %s (needs CAP_BPF and CAP_NET_ADMIN)", what,
		    strerror(err));
		bpf_object__close(o);
		return err;
	}
	*op = o;
	return 0;
}

void
relay_bpf_close(struct relay_bpf *b)
{
	if (b == NULL)
		return;
	if (b->link != NULL)
		bpf_link__destroy(b->link);
	if (b->obj != NULL)
		bpf_object__close(b->obj);
	free(b);
}

int
relay_bpf_open(struct relay_bpf **bp, unsigned max_ports, char *why, size_t whysize)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	struct relay_bpf *b;
	int ns = -1, err;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return ENOMEM;
	err = relay_bpf_load(&b->obj, relay_bpf_lookup_obj, relay_bpf_lookup_obj_len, "BPF",
	    "relay_ports", max_ports, why, whysize);
	if (err)
		goto out;
	map = bpf_object__find_map_by_name(b->obj, "relay_ports");
	prog = bpf_object__find_program_by_name(b->obj, "relay_lookup");
	if (map == NULL || prog == NULL) {
		err = EINVAL;
		snprintf(why, whysize, "sk_lookup object without its program");
		goto out;
	}
	b->map_fd = bpf_map__fd(map);
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		err = errno;
		snprintf(why, whysize, "/proc/self/ns/net: %s", strerror(err));
		goto out;
	}
	b->link = bpf_program__attach_netns(prog, ns);
	if (b->link == NULL) {
		err = errno ? errno : EOPNOTSUPP;
		snprintf(why, whysize, "sk_lookup attach: %s (kernel before 5.9?)", strerror(err));
		goto out;
	}
	err = 0;
 out:
	if (ns >= 0)
		close(ns);
	if (err)
		relay_bpf_close(b);
	else
		*bp = b;
	return err;
}

int
relay_bpf_port_add(struct relay_bpf *b, const struct relay_port_key *k, int sock_fd)
{
	__u64 v = (__u64)sock_fd;

	if (bpf_map_update_elem(b->map_fd, k, &v, BPF_ANY) != 0)
		return errno;
	return 0;
}

int
relay_bpf_port_del(struct relay_bpf *b, const struct relay_port_key *k)
{
	if (bpf_map_delete_elem(b->map_fd, k) != 0)
		return errno;
	return 0;
}
