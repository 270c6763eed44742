/* SPDX-License-Identifier: MIT */
/*
 * bench-lookup: address -> vma lookups per second from reader threads
 * while one writer binds and unbinds in the same vm.  The same run
 * measures a vm with lock-free readers (GTT_VM_RCU_READERS) and the
 * baseline, a vm whose lookups take its mutex.  First, with no writer,
 * one thread times a lookup that hits against one that misses (the miss
 * is an expected outcome: it must cost about what a hit does).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull
#define LIVE 100000
#define HOT 256

struct run {
	struct gtt_vm *vm;
	gtt_vma_t *vmas;
	_Atomic int stop;
	_Atomic uint64_t lookups;
	_Atomic uint64_t writes;
};

static void *reader(void *arg)
{
	struct run *r = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed | 1, n = 0;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		gtt_vma_t h;

		gtt_vm_lookup(r->vm, PAGE + (bench_rng(&seed) % (2 * LIVE)) * PAGE, &h, NULL);
		n++;
	}
	atomic_fetch_add(&r->lookups, n);
	return NULL;
}

static void *writer(void *arg)
{
	struct run *r = arg;
	uint64_t seed = 99, n = 0;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		gtt_vma_t v = r->vmas[bench_rng(&seed) % LIVE];

		gtt_vma_unbind(r->vm, v, 0, NULL);
		gtt_vma_bind(r->vm, v, NULL, NULL);
		n++;
	}
	atomic_fetch_add(&r->writes, n);
	return NULL;
}

/* Set up a vm of 2 * LIVE pages with LIVE single-page vmas bound low. */
static void populate(struct run *r, unsigned int flags, struct gtt_backend **be)
{
	struct gtt_mock_config mc = { .start = PAGE, .size = 2ull * LIVE * PAGE };
	struct gtt_vm_config vc = { .start = PAGE, .size = 2ull * LIVE * PAGE, .flags = flags };

	gtt_mock_create(&mc, be);
	vc.backend = *be;
	gtt_vm_create(&vc, &r->vm);
	r->vmas = calloc(LIVE, sizeof(*r->vmas));
	for (size_t i = 0; i < LIVE; i++) {
		struct gtt_pages_segment seg = { 0x100000000ull + i * PAGE, PAGE };
		struct gtt_pages *p;

		gtt_pages_create(&seg, 1, 0, &p);
		gtt_vma_create(r->vm, p, NULL, &r->vmas[i]);
		gtt_pages_put(p);
		gtt_vma_bind(r->vm, r->vmas[i], NULL, NULL);
	}
}

static void teardown(struct run *r, struct gtt_backend *be)
{
	gtt_vm_destroy(r->vm);
	gtt_backend_destroy(be);
	free(r->vmas);
}

/* ns per lookup of @n addresses among the HOT pages from @base (few
 * enough to stay in cache: this times the call, not memory). */
static double time_lookups(struct gtt_vm *vm, uint64_t base, size_t n,
			   int expect)
{
	uint64_t seed = 7, t0 = bench_now();
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		gtt_vma_t h;

		bad |= (gtt_vm_lookup(vm, base + (bench_rng(&seed) % HOT) * PAGE,
				      &h, NULL) == 0) != expect;
	}
	if (bad)
		printf("  (unexpected lookup result)\n");
	return (double)(bench_now() - t0) / (double)n;
}

static void latency(const char *label, unsigned int flags, size_t n)
{
	struct run r = { 0 };
	struct gtt_backend *be;
	double hit, miss;

	populate(&r, flags, &be);
	time_lookups(r.vm, PAGE, n / 4, 1);	/* warm up */
	hit = time_lookups(r.vm, PAGE, n, 1);
	miss = time_lookups(r.vm, PAGE + LIVE * PAGE, n, 0);
	printf("%-26s 1 thread, no writer: hit %6.1f ns  miss %6.1f ns\n",
	       label, hit, miss);
	teardown(&r, be);
}

static void measure(const char *label, unsigned int flags, unsigned int readers,
		    double secs, double *lookups_s)
{
	struct run r = { 0 };
	struct gtt_backend *be;
	pthread_t t[8], w;
	uint64_t t0, ns;

	populate(&r, flags, &be);
	t0 = bench_now();
	pthread_create(&w, NULL, writer, &r);
	for (unsigned int i = 0; i < readers; i++)
		pthread_create(&t[i], NULL, reader, &r);
	while (bench_now() - t0 < (uint64_t)(secs * 1e9))
		;
	atomic_store(&r.stop, 1);
	pthread_join(w, NULL);
	for (unsigned int i = 0; i < readers; i++)
		pthread_join(t[i], NULL);
	ns = bench_now() - t0;
	*lookups_s = (double)r.lookups / ((double)ns / 1e9);
	printf("%-26s %u reader%s + 1 writer: %12.0f lookups/s  %10.0f writer pairs/s\n",
	       label, readers, readers > 1 ? "s" : " ", *lookups_s,
	       (double)r.writes / ((double)ns / 1e9));
	teardown(&r, be);
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Lookup latency, hit and miss, in one thread; then lookups/s from\n"
		"reader threads while a writer binds and unbinds (100k live 4 KiB\n"
		"mappings): RCU readers against the mutex baseline.");
	double secs = quick ? 0.05 : 2.0, rcu, mtx;
	size_t n = quick ? 10000 : 2000000;

	latency("mutex (baseline)", 0, n);
	latency("RCU (GTT_VM_RCU_READERS)", GTT_VM_RCU_READERS, n);

	for (unsigned int readers = 1; readers <= 2; readers++) {
		measure("mutex (baseline)", 0, readers, secs, &mtx);
		measure("RCU (GTT_VM_RCU_READERS)", GTT_VM_RCU_READERS, readers, secs, &rcu);
		printf("  RCU / mutex: %.2fx\n", rcu / mtx);
	}
	return 0;
}
