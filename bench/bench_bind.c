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
 * Baseline: the same pattern with 1k live mappings, in the same run.
 * Targets (docs/performance.md): >= 2M pairs/s at 100k live, and no more
 * than 2x slower at 1M than at 1k.
 */
#include <inttypes.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull

struct world {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	gtt_vma_t *vmas;
	size_t n;
};

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-bind: %s: %s\n", what, gtt_last_error());
	exit(1);
}

static void world_init(struct world *w, size_t live)
{
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
	for (size_t i = 0; i < w->n; i++) {
		struct gtt_pages_segment seg = { 0x100000000ull + i * PAGE, PAGE };
		struct gtt_pages *p;

		if (gtt_pages_create(&seg, 1, 0, &p) ||
		    gtt_vma_create(w->vm, p, NULL, &w->vmas[i]))
			die("vma");
		gtt_pages_put(p);
		if (i < live && gtt_vma_bind(w->vm, w->vmas[i], NULL, NULL))
			die("populate");
	}
}

static void world_fini(struct world *w)
{
	gtt_vm_destroy(w->vm);
	gtt_executor_destroy(w->ex);
	gtt_backend_destroy(w->be);
	free(w->vmas);
}

/* Returns ns per pair. */
static double run(struct world *w, size_t live, uint64_t pairs, int churn)
{
	uint64_t seed = 12345, t;

	t = bench_now();
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
	return (double)(bench_now() - t) / (double)pairs;
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Synchronous bind+unbind pairs of 4 KiB mappings, one thread, with\n"
		"1k, 100k and 1M live mappings; ratio against the 1k case.");
	size_t sizes[] = { 1000, 100000, 1000000 };
	uint64_t pairs = quick ? 2000 : 2000000;
	double base[2] = { 0, 0 };

	if (quick) {
		sizes[1] = 2000;
		sizes[2] = 4000;
	}
	printf("%-10s %-6s %12s %14s %16s\n", "live", "mode", "ns/pair",
	       "pairs/s", "time vs 1k live");
	for (size_t s = 0; s < 3; s++) {
		struct world w = { 0 };
		uint64_t t = bench_now();

		fprintf(stderr, "  populating %zu mappings...\n", sizes[s]);
		world_init(&w, sizes[s]);
		fprintf(stderr, "  done in %.2f s\n", (double)(bench_now() - t) / 1e9);
		for (int churn = 0; churn < 2; churn++) {
			double ns;

			run(&w, sizes[s], pairs / 10, churn);	/* warm up */
			ns = run(&w, sizes[s], pairs, churn);
			if (s == 0)
				base[churn] = ns;
			printf("%-10zu %-6s %12.1f %14.0f %15.2fx\n", sizes[s],
			       churn ? "churn" : "hot", ns, 1e9 / ns,
			       ns / base[churn]);
		}
		world_fini(&w);
	}
	return 0;
}
