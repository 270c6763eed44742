/* SPDX-License-Identifier: MIT */
/*
 * The trace recorder's clock (lib/trace/trace.c): nanoseconds since the
 * recording started, on CLOCK_MONOTONIC, cheaper to read than
 * clock_gettime() where the kernel itself keeps time with the TSC.
 *
 * Where the kernel's clocksource is "tsc" (x86-64), a reading is the TSC
 * scaled by a rate measured against CLOCK_MONOTONIC since the recording
 * started, from a base that is re-read from CLOCK_MONOTONIC whenever the
 * last one is 1 ms old (so NTP's slewing and the rate's error cannot add
 * up beyond what 1 ms of them make).  During the first millisecond, and
 * everywhere else, every reading is clock_gettime().  Readings never go
 * backwards.
 *
 * Locking: the caller's (the recorder's lock); nothing here is shared.
 */
#ifndef GTT_LIB_TRACE_CLOCK_H
#define GTT_LIB_TRACE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct trace_clock {
	uint64_t t0;		/* CLOCK_MONOTONIC at the start */
	bool tsc;		/* read the TSC */
	uint64_t cal_tsc;	/* the TSC at the start: the rate's baseline */
	uint64_t base_tsc, base_ns;	/* the last re-reading */
	uint64_t span;		/* TSC ticks a base is used for (0: none yet) */
	uint64_t mult;		/* ns per tick, << 32 */
	uint64_t last;		/* the last reading (absolute ns) */
};

/* Start the clock: its readings count from now. */
void trace_clock_start(struct trace_clock *c);

/* Re-read CLOCK_MONOTONIC (the slow path of trace_clock_read()). */
uint64_t trace_clock_rebase(struct trace_clock *c);

#if defined(__x86_64__)
static inline uint64_t trace_clock_tsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
#else
static inline uint64_t trace_clock_tsc(void)
{
	return 0;
}
#endif

/* Nanoseconds since trace_clock_start(). */
static inline uint64_t trace_clock_read(struct trace_clock *c)
{
	uint64_t d, ns;

	if (!c->tsc)
		return trace_clock_rebase(c);
	d = trace_clock_tsc() - c->base_tsc;
	if (d >= c->span)
		return trace_clock_rebase(c);
	/* d < span (1 ms of ticks): d * mult stays far below 2^64. */
	ns = c->base_ns + ((d * c->mult) >> 32);
	if (ns < c->last)
		ns = c->last;
	c->last = ns;
	return ns - c->t0;
}

#endif
