/* SPDX-License-Identifier: MIT */
/*
 * The trace recorder's clock (trace_clock.h): whether the TSC may stand in
 * for CLOCK_MONOTONIC here, and the re-reading of CLOCK_MONOTONIC that
 * measures the TSC's rate and sets a new base.
 *
 * Locking: the caller's (the recorder's lock).
 */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "trace/trace_clock.h"

#define REBASE_NS 1000000ull	/* a base is used for 1 ms at most */

/* The kernel keeps CLOCK_MONOTONIC with the TSC: then the TSC is
 * invariant and in step across CPUs, as far as the kernel can tell. */
static bool tsc_is_clocksource(void)
{
#if defined(__x86_64__)
	char name[32] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");

	if (!f)
		return false;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	fclose(f);
	return !strcmp(name, "tsc\n");
#else
	return false;
#endif
}

void trace_clock_start(struct trace_clock *c)
{
	memset(c, 0, sizeof(*c));
	c->tsc = tsc_is_clocksource();
	c->cal_tsc = trace_clock_tsc();
	c->t0 = c->last = now_ns();
	c->base_ns = c->t0;
	c->base_tsc = c->cal_tsc;
}

uint64_t trace_clock_rebase(struct trace_clock *c)
{
	uint64_t ns = now_ns(), tsc;

	if (ns < c->last)
		ns = c->last;
	c->last = ns;
	if (!c->tsc)
		return ns - c->t0;
	tsc = trace_clock_tsc();
	c->base_ns = ns;
	c->base_tsc = tsc;
	c->span = 0;
	/* The rate, over everything since the start once that is 1 ms. */
	if (ns - c->t0 >= REBASE_NS && tsc > c->cal_tsc) {
		unsigned __int128 m = ((unsigned __int128)(ns - c->t0) << 32) / (tsc - c->cal_tsc);

		if (m && m < (1ull << 40)) {	/* between 2^-32 and 256 ns a tick */
			c->mult = (uint64_t)m;
			c->span = (uint64_t)(((unsigned __int128)REBASE_NS << 32) / c->mult);
		}
	}
	return ns - c->t0;
}
