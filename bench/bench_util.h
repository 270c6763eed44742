/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the benchmarks: a monotonic clock, the thread's
 * CPU clock, option parsing for --quick/--help, percentiles, and a
 * deterministic PRNG.
 */
#ifndef GTT_BENCH_UTIL_H
#define GTT_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in ns. */
static inline uint64_t bench_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_rng(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v in place; returns the p-th percentile (0..100). */
static inline uint64_t percentile(uint64_t *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)((double)(n - 1) * p / 100.0);
	return v[i];
}

/* Returns 1 for --quick, exits for --help or a bad option. */
static inline int bench_parse(int argc, char **argv, const char *help)
{
	int quick = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--quick]\n\n%s\n  --quick  tiny sizes, for a smoke test (figures are not meaningful)\n",
			       argv[0], help);
			exit(0);
		} else {
			fprintf(stderr, "%s: unknown option %s (try --help)\n", argv[0], argv[i]);
			exit(2);
		}
	}
	return quick;
}

#endif
