/* SPDX-License-Identifier: MIT */
/*
 * bench-unbind-latency: how long the *caller* of unbind is blocked while
 * simulated GPU work still uses the mapping for 1 ms.  Synchronous unbind
 * (the baseline, measured in the same run) must wait for the GPU; async
 * unbind returns with a fence.  Target: async at least 100x lower.
 */
#include <pthread.h>
#include <unistd.h>

#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull

struct gpu { struct gtt_fence *f; unsigned int us; };

static void *gpu_work(void *arg)
{
	struct gpu *g = arg;

	usleep(g->us);
	gtt_fence_signal(g->f, 0);
	return NULL;
}

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-unbind-latency: %s: %s\n", what, gtt_last_error());
	exit(1);
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Caller-side latency of async vs sync unbind while simulated GPU\n"
		"work holds the mapping for 1 ms.");
	struct gtt_mock_config mc = { .start = PAGE, .size = 1024 * PAGE };
	struct gtt_vm_config vc = { .start = PAGE, .size = 1024 * PAGE };
	struct gtt_pages_segment seg = { 0x100000000ull, 16 * PAGE };
	size_t rounds = quick ? 10 : 300;
	uint64_t *lat[2];
	struct gtt_executor *ex;
	struct gtt_backend *be;
	struct gtt_pages *pages;
	struct gtt_vm *vm;
	gtt_vma_t v;

	if (gtt_mock_create(&mc, &be) || gtt_executor_create_pool(1, &ex))
		die("setup");
	vc.backend = be;
	vc.executor = ex;
	if (gtt_vm_create(&vc, &vm) || gtt_pages_create(&seg, 1, 0, &pages) ||
	    gtt_vma_create(vm, pages, NULL, &v))
		die("vm");
	lat[0] = calloc(rounds, sizeof(uint64_t));
	lat[1] = calloc(rounds, sizeof(uint64_t));
	for (size_t i = 0; i < rounds; i++) {
		for (int async = 0; async < 2; async++) {
			struct gpu g = { .us = 1000 };
			struct gtt_fence *uf = NULL;
			pthread_t t;
			uint64_t t0;

			if (gtt_vma_bind(vm, v, NULL, NULL) ||
			    gtt_fence_create(0, 0, &g.f) ||
			    gtt_vma_add_active(vm, v, g.f))
				die("bind");
			pthread_create(&t, NULL, gpu_work, &g);
			t0 = bench_now();
			if (gtt_vma_unbind(vm, v, async ? GTT_UNBIND_ASYNC : 0, &uf))
				die("unbind");
			lat[async][i] = bench_now() - t0;
			pthread_join(t, NULL);
			gtt_fence_wait(uf, -1);	/* before the next bind */
			gtt_fence_put(uf);
			gtt_fence_put(g.f);
		}
	}
	double s50 = (double)percentile(lat[0], rounds, 50) / 1e3;
	double a50 = (double)percentile(lat[1], rounds, 50) / 1e3;
	double a99 = (double)percentile(lat[1], rounds, 99) / 1e3;

	printf("%zu rounds, GPU holds the mapping for 1 ms each time\n", rounds);
	printf("%-14s median %9.1f us   (baseline)\n", "sync unbind", s50);
	printf("%-14s median %9.1f us   p99 %7.1f us\n", "async unbind", a50, a99);
	printf("caller blocked %.0fx less with async unbind\n", s50 / a50);
	gtt_pages_put(pages);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	free(lat[0]);
	free(lat[1]);
	return 0;
}
