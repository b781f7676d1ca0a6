/* SPDX-License-Identifier: BSD-2-Clause */
/* The control thread's API to one media: create on a worker, update, stats, destroy. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "relay_int.h"

int
relay_media_create(struct relay *r, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b, struct relay_media **mp)
{
	struct relay_media *m = NULL;
	unsigned i, s;
	int err;

	if (r == NULL || mp == NULL)
		return EINVAL;
	err = relay_media_new(&m, a, b);
	if (err)
		return err;
	/* Later commands for the media queue behind its ATTACH on the same worker. */
	err = relay_worker_attach(relay_pick_worker(r), m);
	if (err) {
		/* The caller keeps its fds when we fail. */
		for (i = 0; i < RELAY_LEG_COUNT; i++)
			for (s = 0; s < RELAY_STREAM_COUNT; s++)
				m->leg[i].sock[s].fd = -1;
		relay_media_free(m);
	} else {
		*mp = m;
	}
	return err;
}

int
relay_media_update(struct relay_media *m, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b)
{
	struct relay_update u;
	struct relay_cmd cmd;
	int err;

	err = relay_media_update_prepare(m, a, b, &u);
	if (err)
		goto out;
	if (m->worker != NULL) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.op = RELAY_CMD_UPDATE;
		cmd.media = m;
		cmd.update = &u;
		err = relay_worker_call(m->worker, &cmd);
	} else {
		relay_media_apply_update(m, &u);
	}
 out:
	relay_update_release(&u);
	return err;
}

/* One worker round trip: optional final snapshot, detach; then close and free here. */
static void
media_destroy(struct relay_media *m, struct relay_media_stats *out)
{
	struct relay_cmd cmd;

	if (m->worker != NULL) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.op = RELAY_CMD_DETACH;
		cmd.media = m;
		cmd.stats = out;
		(void)relay_worker_call(m->worker, &cmd);
	} else if (out != NULL) {
		relay_media_snapshot(m, out);
	}
	relay_media_free(m);
}

void
relay_media_destroy(struct relay_media *m)
{
	if (m == NULL)
		return;
	media_destroy(m, NULL);
}

void
relay_media_destroy_stats(struct relay_media *m, struct relay_media_stats *out)
{
	if (m == NULL)
		return;
	media_destroy(m, out);
}

void
relay_media_stats(const struct relay_media *m, struct relay_media_stats *out)
{
	struct relay_cmd cmd;

	if (m->worker == NULL) {
		relay_media_snapshot(m, out);
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = RELAY_CMD_STATS;
	/* The worker only reads the media for a snapshot. */
	cmd.media = (struct relay_media *)(uintptr_t)m;
	cmd.stats = out;
	(void)relay_worker_call(m->worker, &cmd);
}
