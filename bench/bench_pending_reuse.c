/* SPDX-License-Identifier: MIT */
/*
 * bench-pending-reuse: how often a new transient buffer lands on a range
 * whose unbind still waits for the GPU, in the driver guide's flow
 * (docs/driver-guide.md): each frame creates transient buffers, binds
 * them, marks them active with the frame's fence and unbinds them async;
 * 3 frames are in flight, and a frame's fence signals 3 frames later.
 * Run with GTT_BIND_ANYWHERE (placement blind to pending unbinds: the
 * baseline, "before") and without it ("after"), in the same process.
 * Reports the fraction of binds that had to wait for a pending unbind
 * (gtt_vm_stats bind_waits_on_unbind / binds) and the bind throughput.
 *
 * Mock backend, manual executor (no threads: the deferred clears and
 * writes run when the frame's fence signals), one thread.
 */
#include <gtt/gtt.h>

#include "bench_util.h"

#define PAGE 4096ull
#define IN_FLIGHT 3
#define PERSISTENT 32

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "bench-pending-reuse: %s: %s\n", what, gtt_last_error());
	exit(1);
}

struct result { uint64_t binds, waits, bind_ns; };

static struct result run(unsigned int flags, size_t frames, size_t per_frame,
			 uint64_t vm_size)
{
	struct gtt_mock_config mc = { .start = 1ull << 20, .size = vm_size };
	struct gtt_vm_config vc = { .name = "bench", .start = 1ull << 20,
				    .size = vm_size };
	struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC | flags };
	struct gtt_fence *ring[IN_FLIGHT] = { NULL };
	struct gtt_executor *ex;
	struct gtt_backend *be;
	struct gtt_vm_stats st0, st1;
	struct gtt_vm *vm;
	gtt_vma_t keep[PERSISTENT], *v = calloc(per_frame, sizeof(*v));
	struct result r = { 0 };
	uint64_t rng = 12345;

	if (!v || gtt_mock_create(&mc, &be) || gtt_executor_create_manual(&ex))
		die("setup");
	vc.backend = be;
	vc.executor = ex;
	if (gtt_vm_create(&vc, &vm))
		die("vm");
	/* Long-lived buffers, bound once, so the space is not empty. */
	for (int i = 0; i < PERSISTENT; i++) {
		struct gtt_pages_segment seg = { 0x100000000ull,
						 (1 + bench_rng(&rng) % 64) * PAGE };
		struct gtt_pages *p;

		if (gtt_pages_create(&seg, 1, 0, &p) ||
		    gtt_vma_create(vm, p, NULL, &keep[i]) ||
		    gtt_vma_bind(vm, keep[i], NULL, NULL))
			die("persistent");
		gtt_pages_put(p);
	}
	gtt_vm_stats(vm, &st0);
	for (size_t f = 0; f < frames; f++) {
		struct gtt_fence *frame;

		/* The frame 3 frames back is done. */
		if (ring[f % IN_FLIGHT]) {
			gtt_fence_signal(ring[f % IN_FLIGHT], 0);
			gtt_fence_put(ring[f % IN_FLIGHT]);
			gtt_executor_run_all(ex);
		}
		if (gtt_fence_create(0, 0, &frame))
			die("fence");
		ring[f % IN_FLIGHT] = frame;
		for (size_t i = 0; i < per_frame; i++) {
			struct gtt_pages_segment seg = { 0x200000000ull + i * (1ull << 24),
							 (1 + bench_rng(&rng) % 16) * PAGE };
			struct gtt_pages *p;
			uint64_t t0;
			int err;

			if (gtt_pages_create(&seg, 1, 0, &p) ||
			    gtt_vma_create(vm, p, NULL, &v[i]))
				die("vma");
			gtt_pages_put(p);
			t0 = bench_now();
			err = gtt_vma_bind(vm, v[i], &bi, NULL);
			r.bind_ns += bench_now() - t0;
			if (err)
				die("bind");
			if (gtt_vma_add_active(vm, v[i], frame))
				die("active");
		}
		/* Transient: freed while the GPU still runs the frame. */
		for (size_t i = 0; i < per_frame; i++)
			if (gtt_vma_unbind(vm, v[i], GTT_UNBIND_ASYNC, NULL) ||
			    gtt_vma_destroy(vm, v[i]))
				die("unbind");
	}
	gtt_vm_stats(vm, &st1);
	r.binds = st1.binds - st0.binds;
	r.waits = st1.bind_waits_on_unbind - st0.bind_waits_on_unbind;
	for (int i = 0; i < IN_FLIGHT; i++) {
		if (ring[i]) {
			gtt_fence_signal(ring[i], 0);
			gtt_fence_put(ring[i]);
		}
	}
	gtt_executor_run_all(ex);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	free(v);
	return r;
}

int main(int argc, char **argv)
{
	int quick = bench_parse(argc, argv,
		"Fraction of transient buffers bound over a range whose unbind still\n"
		"waits for the GPU (3 frames in flight), with GTT_BIND_ANYWHERE\n"
		"(before) and with placement that avoids pending unbinds (after).");
	size_t frames = quick ? 12 : 3000, per_frame = quick ? 8 : 64;
	/* Room for the persistent buffers and 4 frames (3 pending, 1 being
	 * built) of at most 16 pages a buffer, four times over. */
	uint64_t vm_size = (PERSISTENT * 64 + 4 * 4 * per_frame * 16) * PAGE;
	struct result b = run(GTT_BIND_ANYWHERE, frames, per_frame, vm_size);
	struct result a = run(0, frames, per_frame, vm_size);
	double bf = 100.0 * (double)b.waits / (double)b.binds;
	double af = 100.0 * (double)a.waits / (double)a.binds;
	double bt = (double)b.binds / ((double)b.bind_ns / 1e9);
	double at = (double)a.binds / ((double)a.bind_ns / 1e9);

	printf("%zu frames x %zu transient buffers (1-16 pages), %d in flight, vm %llu MiB\n",
	       frames, per_frame, IN_FLIGHT, (unsigned long long)(vm_size >> 20));
	printf("%-26s %8s %12s %12s\n", "placement", "binds", "on pending", "binds/s");
	printf("%-26s %8llu %11.2f%% %12.0f   (baseline)\n", "before (GTT_BIND_ANYWHERE)",
	       (unsigned long long)b.binds, bf, bt);
	printf("%-26s %8llu %11.2f%% %12.0f\n", "after (avoid pending)",
	       (unsigned long long)a.binds, af, at);
	printf("bind throughput after/before: %.2fx\n", at / bt);
	return 0;
}
