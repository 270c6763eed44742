/* SPDX-License-Identifier: MIT */
/*
 * Mappings inside sparse vmas (gtt/map.h): every split case drm_gpuvm's
 * "Split and Merge" DOC draws, checked in the page table (each 4 KiB page)
 * and in the mock's write and clear counts (kept parts: zero rewrites);
 * the fence ordering of covered parts and new writes; unbinding a sparse
 * vma; the failure paths (bad arguments, memory running out, a failed
 * clear).  Every test arms alarm(): a hang kills it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sparse_world.h"

/* A mapping at any page, from any page of the buffer. */
static void test_map_any_range(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	expect(&w, 0, 0);				/* placed: nothing mapped */
	assert_int_equal(map(&w, 3, 4, w.a, 8), 0);
	for (uint64_t i = 0; i < 4; i++)
		expect(&w, 3 + i, A + (8 + i) * PAGE);
	expect(&w, 2, 0);
	expect(&w, 7, 0);
	assert_int_equal(mstats(&w).entries_written, 4);
	world_fini(&w);
}

/* New inside old: old splits into a kept head and a kept tail. */
static void test_split_inside(void **state)
{
	struct gtt_mock_stats before;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 8, w.a, 0), 0);
	before = mstats(&w);
	assert_int_equal(map(&w, 3, 2, w.b, 0), 0);
	for (uint64_t i = 0; i < 8; i++)
		expect(&w, i, i == 3 || i == 4 ? B + (i - 3) * PAGE : A + i * PAGE);
	/* Only the two new entries were written; the kept parts not at all. */
	assert_int_equal(mstats(&w).entries_written - before.entries_written, 2);
	world_fini(&w);
}

/* New over the start of old, over its end, and covering several. */
static void test_split_start_end_several(void **state)
{
	struct gtt_mock_stats before;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 4, 4, w.a, 0), 0);		/* [4, 8) */
	before = mstats(&w);
	assert_int_equal(map(&w, 2, 4, w.b, 0), 0);		/* over its start */
	assert_int_equal(mstats(&w).entries_written - before.entries_written, 4);
	expect(&w, 2, B);
	expect(&w, 5, B + 3 * PAGE);
	expect(&w, 6, A + 2 * PAGE);				/* kept */
	expect(&w, 7, A + 3 * PAGE);
	before = mstats(&w);
	assert_int_equal(map(&w, 7, 3, w.b, 8), 0);		/* over its end */
	assert_int_equal(mstats(&w).entries_written - before.entries_written, 3);
	expect(&w, 6, A + 2 * PAGE);
	expect(&w, 7, B + 8 * PAGE);
	expect(&w, 9, B + 10 * PAGE);
	/* One map over all three pieces and beyond. */
	assert_int_equal(map(&w, 1, 12, w.a, 4), 0);
	for (uint64_t i = 1; i < 13; i++)
		expect(&w, i, A + (4 + i - 1) * PAGE);
	expect(&w, 0, 0);
	expect(&w, 13, 0);
	world_fini(&w);
}

/* Identical remap and an adjacent, contiguous map: entries as expected. */
static void test_identical_and_adjacent(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);		/* identical */
	assert_int_equal(map(&w, 4, 4, w.a, 4), 0);		/* contiguous */
	for (uint64_t i = 0; i < 8; i++)
		expect(&w, i, A + i * PAGE);
	/* Unmapping across the seam splits both. */
	assert_int_equal(unmap(&w, 3, 2), 0);
	expect(&w, 2, A + 2 * PAGE);
	expect(&w, 3, 0);
	expect(&w, 4, 0);
	expect(&w, 5, A + 5 * PAGE);
	world_fini(&w);
}

/* Partial unmaps: the kept parts are not rewritten; unmapping nothing is
 * fine; a hole punched twice stays a hole. */
static void test_partial_unmap(void **state)
{
	struct gtt_mock_stats before;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 16, w.a, 0), 0);
	before = mstats(&w);
	assert_int_equal(unmap(&w, 5, 3), 0);
	assert_int_equal(mstats(&w).entries_written, before.entries_written);
	assert_int_equal(mstats(&w).entries_cleared - before.entries_cleared, 3);
	for (uint64_t i = 0; i < 16; i++)
		expect(&w, i, i >= 5 && i < 8 ? 0 : A + i * PAGE);
	assert_int_equal(unmap(&w, 5, 3), 0);
	assert_int_equal(unmap(&w, 40, 8), 0);			/* nothing there */
	assert_int_equal(unmap(&w, 0, 64), 0);			/* everything */
	for (uint64_t i = 0; i < 16; i++)
		expect(&w, i, 0);
	world_fini(&w);
}

/* The seed's scenario with a partial unmap: a job still runs on the vma;
 * the covered part's clear waits for it, the kept parts stay mapped, and a
 * map over the covered part waits for that clear. */
static void test_partial_unmap_under_running_job(void **state)
{
	struct gtt_fence *gpu = NULL, *uf = NULL, *mf = NULL;
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_map_info over = { .flags = GTT_MAP_ASYNC };
	struct world w;

	(void)state;
	world_init(&w);
	over.pages = w.b;
	assert_int_equal(map(&w, 0, 8, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 2 * PAGE, 2 * PAGE, &async, &uf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(uf));
	expect(&w, 2, A + 2 * PAGE);				/* still there */
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 2 * PAGE, PAGE, &over, &mf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(mf));
	expect(&w, 2, A + 2 * PAGE);				/* not written yet */
	assert_int_equal(w.freed_a, 0);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(uf), 1);
	assert_int_equal(gtt_fence_status(mf), 1);
	expect(&w, 2, B);
	expect(&w, 3, 0);
	expect(&w, 1, A + PAGE);
	expect(&w, 4, A + 4 * PAGE);
	gtt_fence_put(gpu);
	gtt_fence_put(uf);
	gtt_fence_put(mf);
	world_fini(&w);
}

/* Unbinding the sparse vma clears everything in it, after its GPU work,
 * and only then lets the pages go. */
static void test_unbind_sparse_vma(void **state)
{
	struct gtt_fence *gpu = NULL, *uf = NULL;
	struct gtt_vma_info info;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(map(&w, 10, 4, w.b, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	gtt_pages_put(w.a);
	gtt_pages_put(w.b);
	w.a = w.b = NULL;
	assert_int_equal(gtt_vma_unbind(w.f.vm, w.sv, GTT_UNBIND_ASYNC, &uf), 0);
	gtt_executor_run_all(w.f.ex);
	expect(&w, 0, A);
	assert_int_equal(w.freed_a + w.freed_b, 0);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(uf), 1);
	expect(&w, 0, 0);
	expect(&w, 10, 0);
	assert_int_equal(w.freed_a, 1);
	assert_int_equal(w.freed_b, 1);
	assert_int_equal(gtt_vma_query(w.f.vm, w.sv, &info), 0);
	assert_false(info.bound);
	assert_int_equal(map(&w, 0, 1, NULL, 0), -EINVAL);	/* no pages */
	gtt_fence_put(gpu);
	gtt_fence_put(uf);
	fixture_fini(&w.f);
}

/* Bad input changes nothing. */
static void test_bad_input(void **state)
{
	struct gtt_map_info mi = { 0 };
	gtt_vma_t plain;
	struct world w;

	(void)state;
	world_init(&w);
	mi.pages = w.a;
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(map(&w, 62, 4, w.a, 0), -EINVAL);	/* past the vma */
	assert_int_equal(map(&w, 0, 0, w.a, 0), -EINVAL);
	assert_int_equal(map(&w, 0, 4, w.a, 14), -EINVAL);	/* past the pages */
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 100, PAGE, &mi, NULL), -EINVAL);
	mi.pages_offset = 10;
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, PAGE, &mi, NULL), -EINVAL);
	mi.pages_offset = 0;
	mi.reserved[0] = 1;
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, PAGE, &mi, NULL), -EINVAL);
	mi.reserved[0] = 0;
	mi.flags = 0x80;
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, PAGE, &mi, NULL), -EINVAL);
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, PAGE, NULL, NULL), -EINVAL);
	assert_int_equal(gtt_vma_map(w.f.vm, 999, 0, PAGE, &mi, NULL), -EINVAL);
	plain = make_vma(&w.f, 0xc0000000, 1, NULL);
	assert_int_equal(gtt_vma_bind(w.f.vm, plain, NULL, NULL), 0);
	mi.flags = 0;
	assert_int_equal(gtt_vma_map(w.f.vm, plain, 0, PAGE, &mi, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "not sparse"));
	for (uint64_t i = 0; i < 4; i++)
		expect(&w, i, A + i * PAGE);
	expect(&w, 4, 0);
	world_fini(&w);
}

/* Memory running out anywhere in a map or unmap: -ENOMEM with nothing
 * changed for an async call; the entries and the pages as they were. */
static void test_oom_changes_nothing(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *gpu = NULL, *gpu2 = NULL, *gpu3 = NULL;
	struct world w;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	world_init(&w);
	mi.pages = w.b;
	assert_int_equal(map(&w, 0, 8, w.a, 0), 0);
	assert_int_equal(map(&w, 8, 8, w.a, 8), 0);
	/* Three active fences: the cut's records go beyond the inline ones. */
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu2), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu3), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu2), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu3), 0);
	for (n = 1; n < 100; n++) {
		mem_fail_after(n);
		err = gtt_vma_map(w.f.vm, w.sv, 4 * PAGE, 8 * PAGE, &mi, NULL);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		for (uint64_t i = 0; i < 16; i++)
			expect(&w, i, A + i * PAGE);
		gtt_executor_run_all(w.f.ex);
		for (uint64_t i = 0; i < 16; i++)
			expect(&w, i, A + i * PAGE);
	}
	assert_true(n > 5);
	assert_int_equal(err, 0);
	gtt_fence_signal(gpu, 0);
	gtt_fence_signal(gpu2, 0);
	gtt_fence_signal(gpu3, 0);
	gtt_executor_run_all(w.f.ex);
	for (uint64_t i = 0; i < 16; i++)
		expect(&w, i, i >= 4 && i < 12 ? B + (i - 4) * PAGE : A + i * PAGE);
	gtt_fence_put(gpu);
	gtt_fence_put(gpu2);
	gtt_fence_put(gpu3);
	world_fini(&w);
}

/* A failed clear of a covered part: the call says so, and the buffer's
 * pages stay referenced while the entries may map them. */
static void test_failed_clear(void **state)
{
	struct gtt_vm_stats st;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	gtt_pages_put(w.a);
	w.a = NULL;
	assert_int_equal(gtt_mock_fail_calls(w.f.be, 1, UINT64_MAX, -EIO), 0);
	assert_int_equal(unmap(&w, 0, 4), -EIO);
	assert_int_equal(w.freed_a, 0);
	assert_int_equal(gtt_vm_stats(w.f.vm, &st), 0);
	assert_int_equal(st.quarantined, 1);
	assert_int_equal(gtt_mock_fail_call(w.f.be, 0, 0), 0);
	/* Inside the sparse vma the quarantine waits for its unbind. */
	assert_int_equal(gtt_vma_unbind(w.f.vm, w.sv, 0, NULL), 0);
	assert_int_equal(gtt_vm_stats(w.f.vm, &st), 0);
	assert_int_equal(st.quarantined, 0);
	assert_int_equal(w.freed_a, 1);
	expect(&w, 0, 0);
	gtt_pages_put(w.b);
	fixture_fini(&w.f);
}

/* NULL mappings: the GPU may access them and reads return zero; a map
 * over one, and one over a mapping, split like any other. */
static void test_null_mapping(void **state)
{
	struct gtt_map_info null = { .pte_flags = GTT_PTE_NULL };
	struct gtt_translation t;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 8, w.a, 0), 0);
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 2 * PAGE, 4 * PAGE, &null, NULL), 0);
	for (uint64_t i = 2; i < 6; i++) {
		assert_true(mock_entry(&w.f, VA + i * PAGE).null);
		assert_int_equal(gtt_backend_translate(w.f.be, VA + i * PAGE, &t), 0);
		assert_true(t.present && t.null);
	}
	expect(&w, 1, A + PAGE);
	expect(&w, 6, A + 6 * PAGE);
	assert_int_equal(map(&w, 3, 1, w.b, 5), 0);		/* into the NULL */
	assert_true(mock_entry(&w.f, VA + 2 * PAGE).null);
	expect(&w, 3, B + 5 * PAGE);
	assert_true(mock_entry(&w.f, VA + 4 * PAGE).null);
	{	/* The dump shows the pieces. */
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		assert_int_equal(gtt_vm_dump(w.f.vm, mem), 0);
		fclose(mem);
		assert_non_null(strstr(text, "sparse"));
		assert_non_null(strstr(text, "NULL"));
		assert_non_null(strstr(text, "+0x5000"));	/* B from page 5 */
		free(text);
	}
	null.pages = w.a;					/* NULL takes no pages */
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, PAGE, &null, NULL), -EINVAL);
	assert_int_equal(unmap(&w, 0, 8), 0);
	for (uint64_t i = 0; i < 8; i++) {
		expect(&w, i, 0);
		assert_false(mock_entry(&w.f, VA + i * PAGE).null);
	}
	world_fini(&w);
}

/* The simulated GPU reads through pieces: correct use passes, a NULL
 * mapping reads as nothing, and a job that still reads a part unmapped
 * behind its back (its fence never given) is caught. */
static void test_sim_over_pieces(void **state)
{
	struct gtt_map_info null = { .pte_flags = GTT_PTE_NULL };
	uint64_t addrs[3] = { VA + PAGE + 8, VA + 5 * PAGE, VA + 9 * PAGE };
	const struct gtt_sim_report *r;
	struct gtt_sim_job *job;
	struct gtt_sim *sim;
	struct world w;
	size_t n;

	(void)state;
	world_init(&w);
	if (gtt_sim_create(w.f.vm, w.f.be, &sim) == -EOPNOTSUPP) {
		world_fini(&w);		/* built with -Dsim=disabled */
		skip();
	}
	assert_int_equal(map(&w, 0, 8, w.a, 4), 0);
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 8 * PAGE, 4 * PAGE, &null, NULL), 0);
	assert_int_equal(gtt_sim_submit(sim, addrs, 3, GTT_SIM_TRACK, &job), 0);
	assert_int_equal(gtt_sim_complete(sim, job, 0), 0);
	assert_null(gtt_sim_reports(sim, &n));
	/* Untracked: the vma does not know the job reads page 5. */
	assert_int_equal(gtt_sim_submit(sim, addrs, 3, 0, &job), 0);
	assert_int_equal(map(&w, 5, 1, w.b, 0), 0);
	assert_int_equal(gtt_sim_complete(sim, job, 0), 1);
	r = gtt_sim_reports(sim, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].kind, GTT_SIM_STALE);
	assert_int_equal(r[0].addr, VA + 5 * PAGE);
	gtt_sim_destroy(sim);
	world_fini(&w);
}

/* NULL mappings in a real PPGTT: the hardware's null entry on gen12+
 * (TGL), scratch where the platform has none (SKL). */
static void test_null_mapping_ppgtt(void **state)
{
	const unsigned int fams[2] = { GTT_INTEL_TGL, GTT_INTEL_SKL };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct gtt_mock_config mc = { .size = 1ull << 32, .scratch_addr = 0xdead000,
					      .mode = GTT_MOCK_INTEL_PPGTT,
					      .intel_family = fams[k] };
		struct gtt_vm_config vc = { .start = 1ull << 20, .size = 64 << 20 };
		struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 2 << 20 };
		struct gtt_map_info null = { .pte_flags = GTT_PTE_NULL };
		struct gtt_translation t;
		struct gtt_backend *be;
		struct gtt_vm *vm;
		gtt_vma_t sv;

		assert_int_equal(gtt_mock_create(&mc, &be), 0);
		vc.backend = be;
		assert_int_equal(gtt_vm_create(&vc, &vm), 0);
		assert_int_equal(gtt_vma_create_sparse(vm, 4 << 20, NULL, &sv), 0);
		assert_int_equal(gtt_vma_bind(vm, sv, &at, NULL), 0);
		assert_int_equal(gtt_vma_map(vm, sv, PAGE, 16 * PAGE, &null, NULL), 0);
		assert_int_equal(gtt_backend_translate(be, (2 << 20) + 4 * PAGE, &t), 0);
		assert_true(t.present);
		assert_true(k == 0 ? t.null && !t.scratch : t.scratch && !t.null);
		assert_int_equal(gtt_vma_unbind(vm, sv, 0, NULL), 0);
		assert_int_equal(gtt_backend_translate(be, (2 << 20) + 4 * PAGE, &t), 0);
		assert_false(t.null);
		gtt_vm_destroy(vm);
		gtt_backend_destroy(be);
	}
}

/* Work recorded for the whole vm orders unmaps too. */
static void test_unmap_waits_vm_wide_work(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *gpu = NULL, *uf = NULL;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vm_add_active(w.f.vm, gpu), 0);
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, PAGE, PAGE, &async, &uf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(uf));
	expect(&w, 1, A + PAGE);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(uf), 1);
	expect(&w, 1, 0);
	gtt_fence_put(gpu);
	gtt_fence_put(uf);
	world_fini(&w);
}

/* A batch: operations in order, one job, one TLB invalidation, one fence;
 * all of it or — a bad operation — none. */
static void test_batch(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *gpu = NULL, *bf = NULL;
	struct gtt_mock_stats before;
	struct gtt_map_op ops[4];
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 8, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 10 * PAGE,
				      .size = 4 * PAGE, .pages = w.b };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv, .offset = 11 * PAGE,
				      .size = PAGE };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 2 * PAGE,
				      .size = 2 * PAGE, .pages = w.b, .pages_offset = 8 * PAGE };
	ops[3] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 62 * PAGE,
				      .size = 4 * PAGE, .pages = w.b };	/* past the vma */
	before = mstats(&w);
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 4, &async, &bf), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "ops[3]"));
	assert_null(bf);
	assert_int_equal(mstats(&w).bind_calls, before.bind_calls);
	for (uint64_t i = 0; i < 8; i++)
		expect(&w, i, A + i * PAGE);
	expect(&w, 10, 0);
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 3, &async, &bf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(bf));		/* the cut waits for the GPU */
	expect(&w, 2, A + 2 * PAGE);
	expect(&w, 10, 0);					/* nothing written yet */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(bf), 1);
	expect(&w, 10, B);
	expect(&w, 11, 0);					/* ops[1] after ops[0] */
	expect(&w, 12, B + 2 * PAGE);
	expect(&w, 2, B + 8 * PAGE);
	expect(&w, 3, B + 9 * PAGE);
	expect(&w, 4, A + 4 * PAGE);
	/* One invalidation for the batch's writes and clears. */
	assert_int_equal(mstats(&w).invalidations - before.invalidations, 1);
	gtt_fence_put(bf);
	gtt_fence_put(gpu);
	world_fini(&w);
}

/* A batch under memory pressure: all or nothing. */
static void test_batch_oom(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_map_op ops[3];
	struct world w;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 16, w.a, 0), 0);
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv, .offset = 2 * PAGE,
				      .size = 2 * PAGE };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 6 * PAGE,
				      .size = 4 * PAGE, .pages = w.b };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 3 * PAGE,
				      .size = 4 * PAGE, .pte_flags = GTT_PTE_NULL };
	for (n = 1; n < 200; n++) {
		mem_fail_after(n);
		err = gtt_vm_map_batch(w.f.vm, ops, 3, &async, NULL);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		gtt_executor_run_all(w.f.ex);
		for (uint64_t i = 0; i < 16; i++)
			expect(&w, i, A + i * PAGE);
	}
	assert_int_equal(err, 0);
	gtt_executor_run_all(w.f.ex);
	expect(&w, 2, 0);
	for (uint64_t i = 3; i < 7; i++)
		assert_true(mock_entry(&w.f, VA + i * PAGE).null);
	expect(&w, 7, B + PAGE);
	expect(&w, 10, A + 10 * PAGE);
	world_fini(&w);
}

/* Every mapping of some pages, found through the reverse index: unmapped
 * in one batch (xe's UNMAP_ALL), or moved to other pages after a copy. */
static void test_unmap_and_move_pages(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *copy = NULL, *gpu = NULL, *mf = NULL, *mf2 = NULL;
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = VA + 128 * PAGE };
	struct gtt_pages *c = make_pages(0xc0000000, 16, 0);
	int freed_c = 0;
	gtt_vma_t sv2;
	struct world w;

	(void)state;
	world_init(&w);
	gtt_pages_set_destructor(c, count_release, &freed_c);
	assert_int_equal(gtt_vma_create_sparse(w.f.vm, 16 * PAGE, NULL, &sv2), 0);
	assert_int_equal(gtt_vma_bind(w.f.vm, sv2, &at, NULL), 0);
	/* A mapped three times (two vmas), B once. */
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(map(&w, 10, 2, w.a, 8), 0);
	assert_int_equal(map(&w, 20, 2, w.b, 0), 0);
	struct gtt_map_info mi = { .pages = w.a, .pages_offset = 12 * PAGE };
	assert_int_equal(gtt_vma_map(w.f.vm, sv2, PAGE, 2 * PAGE, &mi, NULL), 0);

	/* Move A to C after a copy; the GPU still reads A meanwhile. */
	assert_int_equal(gtt_fence_create(0, 0, &copy), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vm_add_active(w.f.vm, gpu), 0);
	async.deps = &copy;
	async.num_deps = 1;
	assert_int_equal(gtt_vm_move_pages(w.f.vm, w.a, c, &async, &mf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(mf));
	expect(&w, 0, A);				/* not before the copy */
	gtt_fence_signal(copy, 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(mf));	/* nor before the GPU is done */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(mf), 1);
	expect(&w, 0, 0xc0000000);
	expect(&w, 3, 0xc0000000 + 3 * PAGE);
	expect(&w, 10, 0xc0000000 + 8 * PAGE);
	expect(&w, 20, B);
	assert_int_equal(mock_entry(&w.f, VA + 129 * PAGE).addr, 0xc0000000 + 12 * PAGE);
	gtt_pages_put(w.a);			/* A is mapped nowhere now */
	w.a = NULL;
	assert_int_equal(w.freed_a, 1);
	/* C's own move: on C's timeline, not A's. */
	async.num_deps = 0;
	assert_int_equal(gtt_vm_move_pages(w.f.vm, c, w.b, &async, &mf2), 0);
	gtt_executor_run_all(w.f.ex);
	assert_true(gtt_fence_context(mf2) && gtt_fence_context(mf2) != gtt_fence_context(mf));
	/* Unmap everything of B (both the moved pieces and its own). */
	assert_int_equal(gtt_vm_unmap_pages(w.f.vm, w.b, NULL, NULL), 0);
	for (uint64_t i = 0; i < 24; i++)
		expect(&w, i, 0);
	assert_int_equal(mock_entry(&w.f, VA + 129 * PAGE).valid, false);
	assert_int_equal(gtt_vm_unmap_pages(w.f.vm, w.b, NULL, NULL), 0);	/* none left */
	assert_int_equal(gtt_vm_move_pages(w.f.vm, c, c, NULL, NULL), -EINVAL);
	gtt_pages_put(c);
	gtt_fence_put(copy);
	gtt_fence_put(gpu);
	gtt_fence_put(mf);
	gtt_fence_put(mf2);
	gtt_pages_put(w.b);
	fixture_fini(&w.f);
	assert_int_equal(freed_c, 1);
	assert_int_equal(w.freed_b, 1);
}

/* Repeated moves of one object coalesce: their fences share a timeline. */
static void test_move_timeline(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *f1 = NULL, *f2 = NULL;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 2, w.a, 0), 0);
	assert_int_equal(gtt_vm_move_pages(w.f.vm, w.a, w.b, &async, &f1), 0);
	assert_int_equal(gtt_vm_move_pages(w.f.vm, w.b, w.a, &async, &f2), 0);
	/* Different objects: different timelines.  Moving A again: A's. */
	assert_true(gtt_fence_context(f1) != gtt_fence_context(f2));
	gtt_fence_put(f2);
	assert_int_equal(gtt_vm_move_pages(w.f.vm, w.a, w.b, &async, &f2), 0);
	assert_int_equal(gtt_fence_context(f1), gtt_fence_context(f2));
	assert_true(gtt_fence_is_later(f2, f1));
	gtt_executor_run_all(w.f.ex);
	expect(&w, 0, B);
	gtt_fence_put(f1);
	gtt_fence_put(f2);
	world_fini(&w);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_map_any_range),
		T(test_split_inside),
		T(test_split_start_end_several),
		T(test_identical_and_adjacent),
		T(test_partial_unmap),
		T(test_partial_unmap_under_running_job),
		T(test_unbind_sparse_vma),
		T(test_bad_input),
		T(test_oom_changes_nothing),
		T(test_failed_clear),
		T(test_null_mapping),
		T(test_sim_over_pieces),
		T(test_null_mapping_ppgtt),
		T(test_unmap_waits_vm_wide_work),
		T(test_batch),
		T(test_batch_oom),
		T(test_unmap_and_move_pages),
		T(test_move_timeline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
