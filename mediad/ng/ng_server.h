/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad/ng (part of library mediad_core): the ng control server (rtpengine's protocol:
 * allow list, cookie cache, dispatch) and the command handlers that drive the calls. */
#ifndef SBC_MEDIAD_NG_SERVER_H
#define SBC_MEDIAD_NG_SERVER_H

#include "addr.h"
#include "ng.h"

struct bencode_arena;
struct bencode_item;
struct mediad;

/* ng handlers return this (not a reason) when the client should get "load limit".
 * (ng_opts.c) */
extern const char mediad_load_limit[];
/* NG_ERR_NO_CRYPTO under the name tests/unit/test_call.c spells. */
#define MEDIAD_ERR_NO_CRYPTO NG_ERR_NO_CRYPTO

/* ---- ng_server.c ---- */

struct ng_server;
/* Binds the control socket on md->cfg.ng_listen and starts serving on md->base. */
int ng_server_alloc(struct ng_server **sp, struct mediad *md);
void ng_server_free(struct ng_server *s);
/* The bound address (port 0 in the config becomes the real port). */
void ng_server_local(const struct ng_server *s, struct sa *out);

/* Handler convention: return NULL on success (reply dict filled, "result" added by
 * the caller), an error reason string (NG_ERR_*), or mediad_load_limit. */
typedef const char *(ng_handler_h)(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);

/* The handler of a command other than ping; NULL for ping and unknown commands. */
ng_handler_h *ng_handler_for(enum ng_op op);

/* ---- ng_offer.c, ng_answer.c, ng_delete.c, ng_query.c: the handlers ---- */

const char *ng_handle_offer(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_answer(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_delete(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_query(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_list(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_statistics(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);

#endif
