/* SPDX-License-Identifier: MIT */
/*
 * gtt-demo: the story of the kernel patch libgtt generalises, told on the
 * mock backend with timestamps.
 *
 *  1. bind object A;
 *  2. the "GPU" starts work that uses A (a fence another thread signals later);
 *  3. unbind A asynchronously: the call returns at once with a fence, and A's
 *     address range is free immediately;
 *  4. bind object B into the same range: it too returns at once, and its PTE
 *     write is ordered after A's PTE clear, which waits for the GPU;
 *  5. print the timeline and the counters, and check every ordering rule.
 *
 * Exits 0 if every rule held, 1 if one was broken, 2 on a usage or setup error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gtt/gtt.h>

#define PAGE 4096ull
#define VA_START 0x10000ull
#define VA_SIZE (64ull << 20)

static bool quiet;
static uint64_t t0;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double ms_since_start(uint64_t t)
{
	return t ? (double)(t - t0) / 1e6 : -1.0;
}

#define say(...) do { if (!quiet) printf(__VA_ARGS__); } while (0)

struct gpu_job {
	struct gtt_fence *fence;
	unsigned int ms;
};

static void *gpu_thread(void *arg)
{
	struct gpu_job *job = arg;

	usleep(job->ms * 1000);
	gtt_fence_signal(job->fence, 0);
	return NULL;
}

static int check(bool ok, const char *rule)
{
	say("  [%s] %s\n", ok ? " ok " : "FAIL", rule);
	return ok ? 0 : 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gtt-demo [--gpu-ms N] [--quiet] [--help]\n"
		"\n"
		"Bind an object, keep it busy on a simulated GPU, unbind it\n"
		"asynchronously and bind another object into the same range, on the\n"
		"mock backend; print the timeline and check the ordering rules.\n"
		"\n"
		"  --gpu-ms N   how long the simulated GPU work lasts (default 50)\n"
		"  --quiet      print nothing; the exit status tells the result\n"
		"  --help       this text\n"
		"\n"
		"Exit status: 0 all rules held, 1 a rule was broken, 2 error.\n");
}

#define TRY(call) do { int _e = (call); if (_e) { \
	fprintf(stderr, "gtt-demo: %s: %s\n", #call, gtt_last_error()); \
	return 2; } } while (0)

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gpu-ms", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gtt_mock_config mc = { .start = VA_START, .size = VA_SIZE,
				      .scratch_addr = 0xfee00000 };
	struct gtt_vm_config vc = { .name = "demo-ggtt", .start = VA_START,
				    .size = VA_SIZE };
	struct gtt_pages_segment seg_a = { 0x100000000ull, 16 * PAGE };
	struct gtt_pages_segment seg_b = { 0x200000000ull, 16 * PAGE };
	struct gtt_fence *gpu, *unbind_a = NULL, *bind_b = NULL;
	struct gtt_bind_info at;
	struct gtt_vma_info info;
	struct gtt_mock_stats ms;
	struct gtt_vm_stats st;
	struct gtt_mock_entry e;
	struct gtt_pages *pa, *pb;
	struct gtt_executor *ex;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	struct gpu_job job = { .ms = 50 };
	uint64_t t_call, unbind_call_ns, bind_call_ns, offset;
	gtt_vma_t a, b;
	pthread_t gpu_tid;
	int c, broken = 0;

	while ((c = getopt_long(argc, argv, "g:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			job.ms = (unsigned int)strtoul(optarg, NULL, 10);
			if (job.ms < 5 || job.ms > 10000) {
				fprintf(stderr, "gtt-demo: --gpu-ms must be 5..10000\n");
				return 2;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	t0 = now_ns();
	say("libgtt %s demo: async unbind ordered before a rebind of the same range\n\n",
	    gtt_version());

	TRY(gtt_mock_create(&mc, &be));
	TRY(gtt_executor_create_pool(2, &ex));
	vc.backend = be;
	vc.executor = ex;
	TRY(gtt_vm_create(&vc, &vm));
	TRY(gtt_pages_create(&seg_a, 1, 0, &pa));
	TRY(gtt_pages_create(&seg_b, 1, 0, &pb));
	TRY(gtt_vma_create(vm, pa, NULL, &a));
	TRY(gtt_vma_create(vm, pb, NULL, &b));

	/* 1. bind A */
	TRY(gtt_vma_bind(vm, a, NULL, NULL));
	TRY(gtt_vma_query(vm, a, &info));
	offset = info.offset;
	say("%8.3f ms  bound A (16 pages) at 0x%" PRIx64 "\n",
	    ms_since_start(now_ns()), offset);

	/* 2. GPU work that uses A */
	TRY(gtt_fence_create(0, 0, &gpu));
	TRY(gtt_vma_add_active(vm, a, gpu));
	job.fence = gpu;
	pthread_create(&gpu_tid, NULL, gpu_thread, &job);
	say("%8.3f ms  GPU starts %u ms of work reading A\n",
	    ms_since_start(now_ns()), job.ms);

	/* 3. async unbind: returns at once */
	t_call = now_ns();
	TRY(gtt_vma_unbind(vm, a, GTT_UNBIND_ASYNC, &unbind_a));
	unbind_call_ns = now_ns() - t_call;
	say("%8.3f ms  unbind A returned after %.1f us; its fence is %s\n",
	    ms_since_start(now_ns()), (double)unbind_call_ns / 1e3,
	    gtt_fence_is_signaled(unbind_a) ? "signalled" : "pending");

	/* 4. bind B into the same range */
	memset(&at, 0, sizeof(at));
	at.flags = GTT_BIND_FIXED | GTT_BIND_ASYNC;
	at.offset = offset;
	t_call = now_ns();
	TRY(gtt_vma_bind(vm, b, &at, &bind_b));
	bind_call_ns = now_ns() - t_call;
	say("%8.3f ms  bind B at the same 0x%" PRIx64 " returned after %.1f us; PTE write %s\n",
	    ms_since_start(now_ns()), offset, (double)bind_call_ns / 1e3,
	    gtt_fence_is_signaled(bind_b) ? "done" : "queued behind A's unbind");
	gtt_mock_read(be, offset, &e);
	say("            PTE 0x%" PRIx64 " still maps 0x%" PRIx64 " (A's page): the GPU may still read it\n",
	    offset, e.addr);

	/* 5. let it all happen */
	TRY(gtt_fence_wait(bind_b, -1));
	pthread_join(gpu_tid, NULL);
	say("\ntimeline (ms since start):\n");
	say("  %8.3f  GPU work on A finished\n", ms_since_start(gtt_fence_timestamp(gpu)));
	say("  %8.3f  A's PTEs cleared, unbind fence signalled\n",
	    ms_since_start(gtt_fence_timestamp(unbind_a)));
	say("  %8.3f  B's PTEs written, bind fence signalled\n",
	    ms_since_start(gtt_fence_timestamp(bind_b)));

	gtt_vm_stats(vm, &st);
	gtt_mock_stats(be, &ms);
	say("\ncounters: %" PRIu64 " binds (%" PRIu64 " deferred behind a pending unbind), "
	    "%" PRIu64 " unbinds (%" PRIu64 " deferred), %" PRIu64 " PTEs written, "
	    "%" PRIu64 " cleared, %" PRIu64 " TLB invalidations\n",
	    st.binds, st.bind_waits_on_unbind, st.unbinds, st.unbinds_deferred,
	    ms.entries_written, ms.entries_cleared, ms.invalidations);

	say("\nrules:\n");
	broken |= check(unbind_call_ns < (uint64_t)job.ms * 1000000 / 2,
			"unbind returned without waiting for the GPU");
	broken |= check(bind_call_ns < (uint64_t)job.ms * 1000000 / 2,
			"the overlapping bind returned without waiting either");
	broken |= check(gtt_fence_timestamp(unbind_a) >= gtt_fence_timestamp(gpu),
			"A's PTEs were cleared only after the GPU finished with A");
	broken |= check(gtt_fence_timestamp(bind_b) >= gtt_fence_timestamp(unbind_a),
			"B's PTEs were written only after A's clear");
	bool all_b = true;
	for (uint64_t p = 0; p < 16; p++) {
		gtt_mock_read(be, offset + p * PAGE, &e);
		all_b &= e.valid && e.addr == seg_b.addr + p * PAGE;
	}
	broken |= check(all_b, "every PTE of the range now maps B");
	broken |= check(gtt_fence_status(unbind_a) == 1 && gtt_fence_status(bind_b) == 1,
			"both fences signalled without error");

	if (!quiet) {
		printf("\n");
		gtt_vm_dump(vm, stdout);
	}
	gtt_fence_put(gpu);
	gtt_fence_put(unbind_a);
	gtt_fence_put(bind_b);
	gtt_pages_put(pa);
	gtt_pages_put(pb);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	say("\n%s\n", broken ? "a rule was BROKEN" : "all rules held");
	return broken ? 1 : 0;
}
