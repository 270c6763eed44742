/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness over the trace reader (gtt_trace_replay(),
 * lib/trace/replay.c): the input is a trace's text, read through
 * fmemopen(), so that the seed corpus is plain traces (tests/traces/ and
 * tests/trace-seeds/, see scripts/fuzz.sh).  A hash of the input picks the
 * replay's policy (placement, avoid_pending, timing, interval), and the
 * input is replayed twice with it.  It aborts when:
 *  - the replay returns anything but 0 or -EBADMSG (a malformed trace is
 *    -EBADMSG, whatever is wrong with it),
 *  - an -EBADMSG's message does not start with "trace line N:" for the N
 *    returned in *line,
 *  - the two replays differ (figures, intervals, result or line).
 * Crashes, leaks, hangs and UBSan reports are libFuzzer's and the
 * sanitizers' to catch.  The replay's work bound (gtt_replay_config's
 * max_work) is set low so that an input cannot take seconds.
 * Build and run with scripts/fuzz.sh trace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/gtt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sums {
	uint64_t n, records, binds, pte_writes, free;
};

static void on_interval(void *arg, const struct gtt_replay_stats *st)
{
	struct sums *s = arg;

	s->n++;
	s->records += st->records;
	s->binds += st->binds;
	s->pte_writes += st->pte_writes;
	s->free = st->free;
}

struct outcome {
	int err;
	uint64_t line;
	struct gtt_replay_stats total;
	struct sums sums;
	char msg[256];
};

static void replay(const uint8_t *data, size_t size, struct gtt_replay_config *cfg,
		   struct outcome *o)
{
	FILE *f;

	memset(o, 0, sizeof(*o));
	cfg->arg = &o->sums;
	/* fmemopen() of 0 bytes fails in older glibc: read an empty file. */
	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		abort();
	o->err = gtt_trace_replay(f, cfg, &o->total, &o->line);
	fclose(f);
	snprintf(o->msg, sizeof(o->msg), "%s", gtt_last_error());
}

static void check(const struct outcome *o)
{
	char want[40];

	if (o->err != 0 && o->err != -EBADMSG) {
		fprintf(stderr, "fuzz-trace: replay returned %d (%s)\n", o->err, o->msg);
		abort();
	}
	if (o->err != -EBADMSG)
		return;
	snprintf(want, sizeof(want), "trace line %" PRIu64 ": ", o->line);
	if (strncmp(o->msg, want, strlen(want))) {
		fprintf(stderr, "fuzz-trace: line %" PRIu64 " but the message is '%s'\n",
			o->line, o->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int placements[] = { GTT_REPLAY_AS_RECORDED, GTT_PLACE_BEST,
					  GTT_PLACE_LOW, GTT_PLACE_HIGH };
	struct gtt_replay_config cfg = { 0 };
	struct outcome a, b;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	/* Most inputs as recorded (the policy of real use), the rest varied. */
	cfg.placement = h & 1 ? GTT_REPLAY_AS_RECORDED : placements[(h >> 1) & 3];
	cfg.avoid_pending = h & 1 ? GTT_REPLAY_AS_RECORDED : (int)((h >> 3) % 3) - 1;
	cfg.timing = (h >> 5) & 1 ? GTT_REPLAY_ASAP : GTT_REPLAY_RECORDED;
	cfg.interval = (h >> 6) & 7;
	cfg.on_interval = cfg.interval ? on_interval : NULL;
	cfg.max_work = 1u << 16;

	replay(data, size, &cfg, &a);
	check(&a);
	replay(data, size, &cfg, &b);
	if (a.err != b.err || a.line != b.line ||
	    memcmp(&a.total, &b.total, sizeof(a.total)) ||
	    memcmp(&a.sums, &b.sums, sizeof(a.sums))) {
		fprintf(stderr, "fuzz-trace: two replays differ: %d/%d at line %" PRIu64 "/%" PRIu64 "\n",
			a.err, b.err, a.line, b.line);
		abort();
	}
	if (!a.err && cfg.interval &&
	    (a.sums.records != a.total.records || a.sums.binds != a.total.binds ||
	     a.sums.pte_writes != a.total.pte_writes || a.sums.free != a.total.free)) {
		fprintf(stderr, "fuzz-trace: the intervals do not add up to the totals\n");
		abort();
	}
	return 0;
}
