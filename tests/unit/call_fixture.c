/* SPDX-License-Identifier: BSD-2-Clause */
/* The mediad control plane in-process for the call model tests (see call_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "call_fixture.h"
#include "config.h"
#include "lib/oom_wrap.h"
#include "metrics.h"

int
call_env_setup(void **state)
{
	struct call_env *e = calloc(1, sizeof(*e));
	struct conf *c;
	struct conf_error err;
	char text[1024];
	unsigned i, o = 60u + (unsigned)(getpid() % 40), p = (unsigned)(getpid() / 100 % 250) + 1;

	assert_non_null(e);
	/* Private loopback addresses (127.60-99.x.x, disjoint from the other mediad tests):
	 * nobody else binds these ports. The inside range
	 * holds only 3 pairs, for the exhaustion case. */
	snprintf(text, sizeof(text),
	    "[mediad]\nid = unit\n[interface outside]\naddress = 127.%u.%u.1\n"
	    "port_min = 30000\nport_max = 30099\nencryption = optional\n"
	    "[interface inside]\naddress = 127.%u.%u.2\nadvertised = 10.0.0.5\n"
	    "port_min = 40000\nport_max = 40005\nencryption = off\n"
	    "[redis]\nenabled = no\n", o, p, o, p);
	assert_int_equal(conf_load_string(&c, "unit.ini", text, &err), 0);
	assert_int_equal(mediad_config_load(&e->md.cfg, c, &err), 0);
	conf_free(c);
	for (i = 0; i < e->md.cfg.niface; i++) {
		struct mediad_iface *ifc = &e->md.cfg.ifaces[i];

		assert_int_equal(port_pool_alloc(&ifc->pool, &ifc->addr, ifc->port_min,
		    ifc->port_max), 0);
	}
	assert_int_equal(metrics_alloc(&e->md.metrics), 0);
	assert_int_equal(mediad_counters_register(&e->md), 0);
	assert_int_equal(call_table_init(&e->md.calls, 64, mediad_call_destroy_h, &e->md), 0);
	bencode_arena_init(&e->a);
	*state = e;
	return 0;
}

int
call_env_teardown(void **state)
{
	struct call_env *e = *state;
	unsigned i;

	call_table_clear(&e->md.calls);
	for (i = 0; i < e->md.cfg.niface; i++) {
		assert_int_equal(port_pool_in_use(e->md.cfg.ifaces[i].pool), 0);
		port_pool_free(e->md.cfg.ifaces[i].pool);
	}
	metrics_free(e->md.metrics);
	bencode_arena_free(&e->a);
	free(e);
	return 0;
}

/* call_env_run() and call_env_run_oom() (call_fixture.h); fail_at < 0: no injection. */
static const char *
call_env_run_v(struct call_env *e, ng_handler_h *h, long fail_at, bool *fired, va_list ap)
{
	struct bencode_arena wa;
	struct bencode_item *d, *v;
	struct ng_msg m;
	struct bencode_error berr;
	const char *k, *reason;
	size_t len;

	bencode_arena_free(&e->a);
	bencode_arena_init(&wa);
	d = bencode_dict(&wa);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);

		if (val[0] == '[') {
			char *copy = bencode_arena_alloc(&wa, strlen(val) + 1), *tok, *save;

			strcpy(copy, val + 1);
			copy[strlen(copy) - 1] = '\0';
			v = bencode_list(&wa);
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				assert_int_equal(bencode_list_add(v, bencode_cstr(&wa, tok)), 0);
			assert_int_equal(bencode_dict_add(&wa, d, k, v), 0);
		} else {
			assert_int_equal(bencode_dict_add_cstr(&wa, d, k, val), 0);
		}
	}
	assert_int_equal(ng_encode("c1", 2, d, e->dgram, sizeof(e->dgram), &len), 0);
	bencode_arena_free(&wa);
	assert_int_equal(ng_msg_parse(&e->a, e->dgram, len, &m, &berr), 0);
	e->reply = bencode_dict(&e->a);
	/* Only the handler runs with allocation failure armed. */
	if (fail_at >= 0)
		oom_arm((unsigned long)fail_at);
	reason = h(&e->md, &m, &e->a, e->reply);
	if (fail_at >= 0)
		*fired = oom_disarm();
	e->sdp[0] = '\0';
	v = bencode_dict_get(e->reply, "sdp");
	if (v != NULL) {
		assert_true(v->len < sizeof(e->sdp));
		memcpy(e->sdp, v->str, v->len);
		e->sdp[v->len] = '\0';
	}
	return reason;
}

const char *
call_env_run(struct call_env *e, ng_handler_h *h, ...)
{
	const char *reason;
	va_list ap;

	va_start(ap, h);
	reason = call_env_run_v(e, h, -1, NULL, ap);
	va_end(ap);
	return reason;
}

/* call_env_run() with the fail_at-th allocation of the handler failing; *fired says if it did. */
const char *
call_env_run_oom(struct call_env *e, long fail_at, bool *fired, ng_handler_h *h, ...)
{
	const char *reason;
	va_list ap;

	va_start(ap, h);
	reason = call_env_run_v(e, h, fail_at, fired, ap);
	va_end(ap);
	return reason;
}

unsigned
sdp_count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

unsigned
sdp_m_port(const char *sdp)
{
	const char *m = strstr(sdp, "m=audio ");

	assert_non_null(m);
	return (unsigned)atoi(m + 8);
}

void
sdp_crypto_key(const char *sdp, char *out, size_t size)
{
	const char *p = strstr(sdp, "inline:");
	size_t n;

	assert_non_null(p);
	p += 7;
	n = strcspn(p, "|\r\n ");
	assert_true(n < size);
	memcpy(out, p, n);
	out[n] = '\0';
}

unsigned
call_env_pool_in_use(struct call_env *e, unsigned i)
{
	return port_pool_in_use(e->md.cfg.ifaces[i].pool);
}
