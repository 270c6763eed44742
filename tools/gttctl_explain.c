/* SPDX-License-Identifier: MIT */
/*
 * gttctl explain ADDR TRACE: replay a trace (gtt/trace.h) with a journal
 * on the replayed vm (gtt/journal.h) and print the history of one GPU
 * address: which mappings covered it, when each was bound and unbound,
 * whether its clear had run, and what is there at the end (or at --time).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <gtt/gtt.h>

#include "gttctl.h"

#define EXIT_BAD_TRACE 3
/* Events the journal of a replay keeps (the ring is touched as it fills). */
#define EXPLAIN_ENTRIES (1u << 20)

struct explain_run {
	uint64_t addr, time;
	int err;		/* of enabling the journal, or of explaining */
	bool printed;
};

static void on_vm(void *arg, struct gtt_vm *vm, const struct gtt_replay_stats *st)
{
	struct explain_run *r = arg;
	struct gtt_explain ex;

	if (!st) {
		r->err = gtt_vm_journal_enable(vm, EXPLAIN_ENTRIES);
		return;
	}
	if (st->interval != UINT64_MAX || r->err)
		return;
	r->err = gtt_vm_explain(vm, r->addr, r->time, &ex);
	if (!r->err)
		r->err = gtt_explain_print(stdout, &ex);
	r->printed = !r->err;
}

int cmd_explain(const struct opts *o, const char *addr, const char *path)
{
	struct explain_run r = { .time = o->time };
	struct gtt_replay_config cfg = {
		.placement = GTT_REPLAY_AS_RECORDED,
		.avoid_pending = GTT_REPLAY_AS_RECORDED,
		.timing = o->asap ? GTT_REPLAY_ASAP : GTT_REPLAY_RECORDED,
		.on_vm = on_vm,
		.arg = &r,
	};
	uint64_t line = 0;
	FILE *in;
	int err;

	if (!addr || !path)
		return usage_error("explain needs an ADDR and a TRACE%s", "");
	if (!parse_u64(addr, &r.addr))
		return usage_error("explain: ADDR wants a number, not '%s'", addr);
	err = replay_backend(o, &cfg.backend, NULL);
	if (err)
		return err;
	in = fopen(path, "r");
	if (!in) {
		fprintf(stderr, "gttctl: explain: cannot open %s: %s\n", path, strerror(errno));
		gtt_backend_destroy(cfg.backend);
		return 1;
	}
	err = gtt_trace_replay(in, &cfg, NULL, &line);
	fclose(in);
	gtt_backend_destroy(cfg.backend);
	if (err) {
		fflush(stdout);
		fprintf(stderr, "gttctl: explain %s: %s\n", path, gtt_last_error());
		return err == -EBADMSG ? EXIT_BAD_TRACE : 1;
	}
	if (r.err || !r.printed)
		return fail("explain");
	return 0;
}
