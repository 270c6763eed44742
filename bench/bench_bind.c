/* SPDX-License-Identifier: MIT */
/*
 * bench-bind: synchronous bind+unbind pairs of 4 KiB mappings on one
 * thread, with 1k, 100k and 1M other mappings live in the same vm (mock
 * backend, manual executor: no threads involved).
 *
 * Two patterns:
 *  - hot:   bind one extra vma and unbind it again, over and over;
 *  - churn: unbind a random live vma and bind it again (the allocator
 *           must find the hole it left; memory access is random).
 *
 * Baselines, in the same run: the same pattern with 1k live mappings, and
 * the same sequence of placements and removals through the bare allocator
 * (gtt_range_insert()/gtt_range_remove() on an allocator of the same size
 * holding the same number of nodes): "vm/alloc" is what the vm's bind path
 * costs over its allocator.
 *
 * Memory: the heap bytes (malloc's in-use count, its chunk headers
 * included) the vm takes per live vma, measured around creating and
 * binding the vmas (their pages are created before and not counted), and
 * the binding's share of it; the mock backend's page table (16 bytes an
 * entry, leaves allocated on first write) is part of the bind figure.
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID): everything
 * runs in this one thread and nothing sleeps, so on an idle machine it is
 * the wall time, and on a shared one it leaves out the time others ran.
 *
 * Targets (docs/performance.md): >= 2M pairs/s at 100k live, no more than
 * 2x slower at 1M than at 1k, vm/alloc <= 1.3, <= 256 bytes per vma.
 *
 * --trace: the cost of recording (gtt/trace.h).  Each pattern at 1k and
 * 100k live runs without recording and with a recording into a sink that
 * discards (the cost of the recorder) and into a FILE on /dev/null (plus
 * stdio), alternating, best of 3 each; the ratio against no recording is
 * printed.
 */
#include <inttypes.h>
#include <malloc.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull

struct world {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	gtt_vma_t *vmas;
	size_t n;
	double vma_bytes;	/* heap per vma: created */
	double bind_bytes;	/* and bound */
};

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-bind: %s: %s\n", what, gtt_last_error());
	exit(1);
}

/* Heap bytes in use (small chunks and mmapped ones). */
static double heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
}

static void world_init(struct world *w, size_t live)
{
	struct gtt_pages **pages;
	double h0, h1;
	uint64_t size = (uint64_t)(live * 2 + 1024) * PAGE;
	struct gtt_mock_config mc = { .start = PAGE, .size = size };
	struct gtt_vm_config vc = { .start = PAGE, .size = size };

	if (gtt_mock_create(&mc, &w->be) || gtt_executor_create_manual(&w->ex))
		die("setup");
	vc.backend = w->be;
	vc.executor = w->ex;
	if (gtt_vm_create(&vc, &w->vm))
		die("vm");
	w->n = live + 1;
	w->vmas = calloc(w->n, sizeof(*w->vmas));
	pages = calloc(w->n, sizeof(*pages));
	if (!w->vmas || !pages)
		die("calloc");
	for (size_t i = 0; i < w->n; i++) {
		struct gtt_pages_segment seg = { 0x100000000ull + i * PAGE, PAGE };

		if (gtt_pages_create(&seg, 1, 0, &pages[i]))
			die("pages");
	}
	h0 = heap_bytes();
	for (size_t i = 0; i < w->n; i++)
		if (gtt_vma_create(w->vm, pages[i], NULL, &w->vmas[i]))
			die("vma");
	h1 = heap_bytes();
	for (size_t i = 0; i < live; i++)
		if (gtt_vma_bind(w->vm, w->vmas[i], NULL, NULL))
			die("populate");
	w->vma_bytes = (h1 - h0) / (double)w->n;
	w->bind_bytes = (heap_bytes() - h1) / (double)live;
	for (size_t i = 0; i < w->n; i++)
		gtt_pages_put(pages[i]);	/* the vmas hold theirs */
	free(pages);
}

static void world_fini(struct world *w)
{
	gtt_vm_destroy(w->vm);
	gtt_executor_destroy(w->ex);
	gtt_backend_destroy(w->be);
	free(w->vmas);
}

/* The same sequence through the bare allocator: ns per pair. */
static double run_alloc(size_t live, uint64_t pairs, int churn)
{
	uint64_t size = (uint64_t)(live * 2 + 1024) * PAGE, seed = 12345, t;
	const struct gtt_range_request req = { .size = PAGE };
	struct gtt_range_node **nodes = calloc(live + 1, sizeof(*nodes));
	struct gtt_range_alloc *ra;

	if (!nodes || gtt_range_alloc_create(PAGE, size, PAGE, 0, &ra))
		die("allocator");
	for (size_t i = 0; i < live; i++)
		if (gtt_range_insert(ra, &req, NULL, &nodes[i]))
			die("allocator populate");
	for (int warm = 1; warm >= 0; warm--) {
		uint64_t n = warm ? pairs / 10 : pairs;

		seed = 12345;
		t = bench_cpu_now();
		for (uint64_t i = 0; i < n; i++) {
			size_t k = churn ? bench_rng(&seed) % live : live;

			if (churn) {
				if (gtt_range_remove(ra, nodes[k]) ||
				    gtt_range_insert(ra, &req, NULL, &nodes[k]))
					die("allocator churn");
			} else {
				if (gtt_range_insert(ra, &req, NULL, &nodes[k]) ||
				    gtt_range_remove(ra, nodes[k]))
					die("allocator hot");
			}
		}
		t = bench_cpu_now() - t;
	}
	gtt_range_alloc_destroy(ra);
	free(nodes);
	return (double)t / (double)pairs;
}

/* Returns ns per pair. */
static double run(struct world *w, size_t live, uint64_t pairs, int churn)
{
	uint64_t seed = 12345, t;

	t = bench_cpu_now();
	for (uint64_t i = 0; i < pairs; i++) {
		gtt_vma_t v = churn ? w->vmas[bench_rng(&seed) % live] : w->vmas[live];

		if (churn) {
			if (gtt_vma_unbind(w->vm, v, 0, NULL) ||
			    gtt_vma_bind(w->vm, v, NULL, NULL))
				die("churn");
		} else {
			if (gtt_vma_bind(w->vm, v, NULL, NULL) ||
			    gtt_vma_unbind(w->vm, v, 0, NULL))
				die("hot");
		}
	}
	return (double)(bench_cpu_now() - t) / (double)pairs;
}

static int discard(void *arg, const char *data, size_t len)
{
	(void)data;
	*(uint64_t *)arg += len;
	return 0;
}

/* ns per pair: 0 without recording, 1 into a discarding sink, 2 into a
 * FILE on /dev/null. */
static double run_traced(struct world *w, size_t live, uint64_t pairs,
			 int churn, int how, FILE *null, uint64_t *bytes)
{
	struct gtt_trace_config tc = { 0 };
	double ns;

	if (how == 1) {
		tc.write = discard;
		tc.arg = bytes;
	} else {
		tc.file = null;
	}
	if (how && gtt_vm_trace_start(w->vm, &tc))
		die("trace start");
	ns = run(w, live, pairs, churn);
	if (how && gtt_vm_trace_stop(w->vm))
		die("trace stop");
	return ns;
}

static int trace_bench(int quick)
{
	static const char *const how_name[] = { "off", "discard", "/dev/null" };
	size_t sizes[] = { 1000, 100000 };
	uint64_t pairs = quick ? 2000 : 1000000;
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		die("/dev/null");
	if (quick)
		sizes[1] = 2000;
	printf("%-10s %-6s %-10s %12s %14s %12s\n", "live", "mode", "recording",
	       "ns/pair", "bytes/pair", "vs off");
	for (size_t s = 0; s < 2; s++) {
		struct world w = { 0 };

		world_init(&w, sizes[s]);
		for (int churn = 0; churn < 2; churn++) {
			double best[3] = { 1e30, 1e30, 1e30 };
			uint64_t bytes = 0;

			run(&w, sizes[s], pairs / 10, churn);	/* warm up */
			for (int rep = 0; rep < 3; rep++) {
				for (int how = 0; how < 3; how++) {
					uint64_t b = 0;
					double ns = run_traced(&w, sizes[s], pairs, churn,
							       how, null, &b);

					if (ns < best[how])
						best[how] = ns;
					if (how == 1)
						bytes = b;
				}
			}
			for (int how = 0; how < 3; how++)
				printf("%-10zu %-6s %-10s %12.1f %14.1f %11.2fx\n",
				       sizes[s], churn ? "churn" : "hot", how_name[how],
				       best[how], how ? (double)bytes / (double)pairs : 0.0,
				       best[how] / best[0]);
		}
		world_fini(&w);
	}
	fclose(null);
	return 0;
}

int main(int argc, char **argv)
{
	bool trace = argc > 1 && !strcmp(argv[argc - 1], "--trace");

	if (trace)
		argc--;
	int quick = bench_parse(argc, argv,
		"Synchronous bind+unbind pairs of 4 KiB mappings, one thread, with\n"
		"1k, 100k and 1M live mappings; ratios against the 1k case and\n"
		"against the same sequence through the bare range allocator; heap\n"
		"bytes per live vma.\n"
		"  --trace  (last) the same with and without a trace recording: the\n"
		"           recorder's cost, ratio against no recording");
	size_t sizes[] = { 1000, 100000, 1000000 };
	uint64_t pairs = quick ? 2000 : 2000000;
	double base[2] = { 0, 0 };

	if (trace)
		return trace_bench(quick);
	if (quick) {
		sizes[1] = 2000;
		sizes[2] = 4000;
	}
	double ns[3][2], alloc_ns[3][2], vma_bytes[3], bind_bytes[3];

	for (size_t s = 0; s < 3; s++) {
		struct world w = { 0 };
		uint64_t t = bench_now();

		fprintf(stderr, "  populating %zu mappings...\n", sizes[s]);
		world_init(&w, sizes[s]);
		fprintf(stderr, "  done in %.2f s\n", (double)(bench_now() - t) / 1e9);
		vma_bytes[s] = w.vma_bytes;
		bind_bytes[s] = w.bind_bytes;
		for (int churn = 0; churn < 2; churn++) {
			run(&w, sizes[s], pairs / 10, churn);	/* warm up */
			ns[s][churn] = run(&w, sizes[s], pairs, churn);
		}
		world_fini(&w);
		for (int churn = 0; churn < 2; churn++)
			alloc_ns[s][churn] = run_alloc(sizes[s], pairs, churn);
	}
	base[0] = ns[0][0];
	base[1] = ns[0][1];
	printf("%-10s %-6s %12s %14s %16s %14s %9s\n", "live", "mode", "ns/pair",
	       "pairs/s", "time vs 1k live", "alloc ns/pair", "vm/alloc");
	for (size_t s = 0; s < 3; s++)
		for (int churn = 0; churn < 2; churn++)
			printf("%-10zu %-6s %12.1f %14.0f %15.2fx %14.1f %8.2fx\n",
			       sizes[s], churn ? "churn" : "hot", ns[s][churn],
			       1e9 / ns[s][churn], ns[s][churn] / base[churn],
			       alloc_ns[s][churn], ns[s][churn] / alloc_ns[s][churn]);
	printf("\n%-10s %14s %14s %14s\n", "live", "heap B/vma", "of it: vma", "bound");
	for (size_t s = 0; s < 3; s++)
		printf("%-10zu %14.0f %14.0f %14.0f\n", sizes[s],
		       vma_bytes[s] + bind_bytes[s], vma_bytes[s], bind_bytes[s]);
	return 0;
}
