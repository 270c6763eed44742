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
 * Where the vm's time goes, in the same run: the same pairs on a vm over a
 * backend that writes nothing (its bind, clear and invalidate return 0:
 * "null be"), so the vm's own bookkeeping shows apart from the mock's page
 * table work; and the latency of one dependent load from a random line of
 * a buffer far larger than the caches (256 MiB, 4 KiB pages: what a random
 * object costs at 1M live) and of one that fits in the L2 cache (256 KiB),
 * the two ends between which the 1M / 1k ratio moves.
 *
 * --trace: the cost of recording (gtt/trace.h).  Each pattern at 1k and
 * 100k live runs without recording and with a recording into a sink that
 * discards (the cost of the recorder) and into a FILE on /dev/null (plus
 * stdio), alternating, best of 3 each; the ratio against no recording is
 * printed.
 *
 * --journal: every vm keeps a binding journal (gtt/journal.h) of
 * BENCH_JOURNAL entries, enabled before it is populated; the ring wraps
 * during the run, as it would in a long-running driver.  Compare the
 * figures with a run without it.
 */
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull
#define BENCH_JOURNAL (1u << 16)

static bool journal;	/* --journal */

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

/* A backend whose device has no page table: every op succeeds at once. */
static int null_bind(void *priv, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t pages_offset,
		     uint32_t pte_flags)
{
	(void)priv, (void)start, (void)size, (void)pages, (void)pages_offset;
	(void)pte_flags;
	return 0;
}

static int null_clear(void *priv, uint64_t start, uint64_t size)
{
	(void)priv, (void)start, (void)size;
	return 0;
}

static int null_invalidate(void *priv)
{
	(void)priv;
	return 0;
}

static const struct gtt_backend_ops null_ops = {
	.name = "null",
	.bind = null_bind,
	.clear = null_clear,
	.invalidate = null_invalidate,
};

/* @null_be: over null_ops instead of the mock. */
static void world_init(struct world *w, size_t live, bool null_be)
{
	struct gtt_pages **pages;
	double h0, h1;
	uint64_t size = (uint64_t)(live * 2 + 1024) * PAGE;
	struct gtt_mock_config mc = { .start = PAGE, .size = size };
	struct gtt_vm_config vc = { .start = PAGE, .size = size };

	if ((null_be ? gtt_backend_create(&null_ops, NULL, &w->be) :
		       gtt_mock_create(&mc, &w->be)) ||
	    gtt_executor_create_manual(&w->ex))
		die("setup");
	vc.backend = w->be;
	vc.executor = w->ex;
	if (gtt_vm_create(&vc, &w->vm))
		die("vm");
	if (journal && gtt_vm_journal_enable(w->vm, BENCH_JOURNAL))
		die("journal");
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

/*
 * ns per dependent load from a random 64-byte line of a @bytes buffer: a
 * chase through a random cycle over the lines (Sattolo's shuffle), so each
 * load's address comes from the previous load.
 */
static double chase_ns(size_t bytes, uint64_t loads)
{
	size_t n = bytes / 64, *next = aligned_alloc(64, n * 64);
	uint64_t seed = 99, t;
	size_t *perm = malloc(n * sizeof(*perm)), at = 0;

	if (!next || !perm)
		die("chase buffer");
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = bench_rng(&seed) % i, x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (size_t i = 0; i < n; i++)
		next[perm[i] * 8] = perm[(i + 1) % n] * 8;
	free(perm);
	for (uint64_t i = 0; i < n; i++)	/* touch every line once */
		at = next[at];
	t = bench_cpu_now();
	for (uint64_t i = 0; i < loads; i++)
		at = next[at];
	t = bench_cpu_now() - t;
	/* Keep the chase from being optimised away. */
	if (at == (size_t)-1)
		puts("");
	free(next);
	return (double)t / (double)loads;
}

/*
 * The primitives a bind+unbind pair of any vm with a lock per call, an
 * allocation per binding and a timestamped fence pays at least once: ns of
 * an uncontended mutex lock+unlock, a malloc+free of a binding's size, and
 * a clock_gettime(CLOCK_MONOTONIC).
 */
static void primitives(uint64_t n, double *lock_ns, double *malloc_ns,
		       double *clock_ns)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	void *volatile keep;
	uint64_t t, sum = 0;

	t = bench_cpu_now();
	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	*lock_ns = (double)(bench_cpu_now() - t) / (double)n;
	t = bench_cpu_now();
	for (uint64_t i = 0; i < n; i++) {
		keep = malloc(480);
		free(keep);
	}
	*malloc_ns = (double)(bench_cpu_now() - t) / (double)n;
	t = bench_cpu_now();
	for (uint64_t i = 0; i < n; i++)
		sum += bench_now();
	*clock_ns = (double)(bench_cpu_now() - t) / (double)n;
	if (!sum)
		puts("");
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

		world_init(&w, sizes[s], false);
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
	journal = argc > 1 && !strcmp(argv[argc - 1], "--journal");
	if (journal)
		argc--;
	int quick = bench_parse(argc, argv,
		"Synchronous bind+unbind pairs of 4 KiB mappings, one thread, with\n"
		"1k, 100k and 1M live mappings; ratios against the 1k case and\n"
		"against the same sequence through the bare range allocator; heap\n"
		"bytes per live vma.\n"
		"  --trace  (last) the same with and without a trace recording: the\n"
		"           recorder's cost, ratio against no recording\n"
		"  --journal (last, or before --trace) every vm keeps a binding\n"
		"           journal (gtt/journal.h): compare with a run without");
	size_t sizes[] = { 1000, 100000, 1000000 };
	uint64_t pairs = quick ? 2000 : 2000000;
	double base[2] = { 0, 0 };

	if (trace)
		return trace_bench(quick);
	if (quick) {
		sizes[1] = 2000;
		sizes[2] = 4000;
	}
	double ns[3][2], null_ns[3][2], alloc_ns[3][2];
	double vma_bytes[3], bind_bytes[3], null_bytes[3];

	for (size_t s = 0; s < 3; s++) {
		for (int null_be = 0; null_be < 2; null_be++) {
			struct world w = { 0 };
			uint64_t t = bench_now();

			fprintf(stderr, "  populating %zu mappings%s...\n", sizes[s],
				null_be ? " (null backend)" : "");
			world_init(&w, sizes[s], null_be);
			fprintf(stderr, "  done in %.2f s\n",
				(double)(bench_now() - t) / 1e9);
			if (null_be) {
				null_bytes[s] = w.vma_bytes + w.bind_bytes;
			} else {
				vma_bytes[s] = w.vma_bytes;
				bind_bytes[s] = w.bind_bytes;
			}
			for (int churn = 0; churn < 2; churn++) {
				run(&w, sizes[s], pairs / 10, churn);	/* warm up */
				(null_be ? null_ns : ns)[s][churn] =
					run(&w, sizes[s], pairs, churn);
			}
			world_fini(&w);
		}
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
	printf("\nwhere the time goes: the same pairs on a vm over a backend that writes nothing\n");
	printf("%-10s %-6s %14s %14s %14s %14s\n", "live", "mode", "alloc ns/pair",
	       "null be ns", "null be/alloc", "mock/null be");
	for (size_t s = 0; s < 3; s++)
		for (int churn = 0; churn < 2; churn++)
			printf("%-10zu %-6s %14.1f %14.1f %13.2fx %13.2fx\n",
			       sizes[s], churn ? "churn" : "hot", alloc_ns[s][churn],
			       null_ns[s][churn],
			       null_ns[s][churn] / alloc_ns[s][churn],
			       ns[s][churn] / null_ns[s][churn]);
	printf("\n%-10s %14s %14s %14s %16s\n", "live", "heap B/vma", "of it: vma",
	       "bound", "null be B/vma");
	for (size_t s = 0; s < 3; s++)
		printf("%-10zu %14.0f %14.0f %14.0f %16.0f\n", sizes[s],
		       vma_bytes[s] + bind_bytes[s], vma_bytes[s], bind_bytes[s],
		       null_bytes[s]);

	uint64_t loads = quick ? 100000 : 20000000;
	double near = chase_ns(256 << 10, loads);
	double far = chase_ns(quick ? 4 << 20 : 256 << 20, loads / 4);

	printf("\none dependent load from a random line: %.1f ns in 256 KiB (cache), "
	       "%.1f ns in %s (memory): %.1fx\n", near, far,
	       quick ? "4 MiB" : "256 MiB", far / near);
	double lock_ns, malloc_ns, clock_ns;

	primitives(quick ? 100000 : 10000000, &lock_ns, &malloc_ns, &clock_ns);
	printf("primitives: mutex lock+unlock %.1f ns, malloc+free %.1f ns, "
	       "clock_gettime %.1f ns\n", lock_ns, malloc_ns, clock_ns);
	printf("1M live churn: bare allocator %.0f ns/pair = %.1f such loads; vm %.0f ns = %.1f\n",
	       alloc_ns[2][1], alloc_ns[2][1] / far, ns[2][1], ns[2][1] / far);
	return 0;
}
