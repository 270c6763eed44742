/* SPDX-License-Identifier: MIT */
/*
 * Edges of the sparse mapping calls (gtt/map.h) that a review found:
 * dependencies that must hold back an unmap's clears, the unbind counters,
 * borrowed pages (rule 5: never unmapped asynchronously), memory failures
 * while a piece's write is still pending, and gtt_vma_add_active_many().
 * Each test failed before its fix.  Every test arms alarm().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sparse_world.h"

/*
 * gtt_vma_unmap() takes "flags and dependencies" (map.h), and @deps are
 * "fences the work must wait for": the clear of an unmap must not run
 * before them, nor may the call's fence signal.
 */
static void test_unmap_ignores_deps(void **state)
{
	struct gtt_fence *dep = NULL, *f = NULL;
	struct gtt_map_info ui = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &dep), 0);
	ui.deps = &dep;
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, &ui, &f), 0);
	gtt_executor_run_all(w.f.ex);
	/* The dependency has not signalled: nothing may have happened. */
	assert_false(gtt_fence_is_signaled(f));
	expect(&w, 0, A);
	gtt_fence_signal(dep, 0);
	gtt_executor_run_all(w.f.ex);
	assert_true(gtt_fence_is_signaled(f));
	expect(&w, 0, 0);
	gtt_fence_put(f);
	gtt_fence_put(dep);
	world_fini(&w);
}

/*
 * An unmap's info carries flags and dependencies only: gtt_vma_unmap()
 * refuses pages, a pages_offset or PTE flags with -EINVAL and a message,
 * as gtt_vm_unmap_pages() does, and changes nothing (the mapping, the
 * mock's calls, the vm's counters, the memory).
 */
static void test_unmap_refuses_mapping_fields(void **state)
{
	struct gtt_map_info bad[3] = {
		{ .pages = NULL, .pages_offset = PAGE },
		{ .pte_flags = GTT_PTE_READ_ONLY },
		{ .flags = GTT_MAP_ASYNC },
	};
	struct gtt_fence *f = NULL;
	struct world w;

	(void)state;
	world_init(&w);
	bad[2].pages = w.b;
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	for (int i = 0; i < 3; i++) {
		struct gtt_mock_stats ms = mstats(&w);
		struct gtt_vm_stats vs = vstats(&w);
		size_t live = mem_live();

		assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, &bad[i], &f), -EINVAL);
		assert_non_null(strstr(gtt_last_error(), "gtt_vma_unmap"));
		assert_non_null(strstr(gtt_last_error(), "flags and deps only"));
		assert_null(f);
		assert_int_equal(gtt_vm_unmap_pages(w.f.vm, w.a, &bad[i], &f), -EINVAL);
		assert_null(f);
		gtt_executor_run_all(w.f.ex);
		for (uint64_t p = 0; p < 4; p++)
			expect(&w, p, A + p * PAGE);
		assert_int_equal(mstats(&w).clear_calls, ms.clear_calls);
		assert_int_equal(vstats(&w).unbinds, vs.unbinds);
		assert_int_equal(mem_live(), live);
	}
	/* The same range with flags and deps only goes through. */
	bad[2].pages = NULL;
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, &bad[2], &f), 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(f), 1);
	gtt_fence_put(f);
	expect(&w, 0, 0);
	world_fini(&w);
}

/* Every accepted unbind is either immediate or deferred (vm.h's stats);
 * the clears of an unmap count in @unbinds only. */
static void test_unmap_stats(void **state)
{
	struct gtt_fence *gpu = NULL;
	struct gtt_vm_stats st0, st;
	struct world w;

	(void)state;
	world_init(&w);
	st0 = vstats(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, NULL, NULL), 0);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	{
		struct gtt_map_info ui = { .flags = GTT_MAP_ASYNC };

		assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, &ui, NULL), 0);
	}
	st = vstats(&w);
	assert_int_equal(st.unbinds - st0.unbinds, 2);
	assert_int_equal(st.unbinds, st.unbinds_immediate + st.unbinds_deferred);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	gtt_fence_put(gpu);
	world_fini(&w);
}

/*
 * Rule 5 and gtt/pages.h: borrowed pages are freed by their owner "as soon
 * as unbind returns", so unbinding them is always synchronous.  An unmap
 * of a borrowed mapping returns while its entries still map the memory.
 */
static void *signal_in_200ms(void *arg)
{
	usleep(200 * 1000);
	gtt_fence_signal(arg, 0);
	return NULL;
}

static void test_borrowed_unmap_async(void **state)
{
	struct gtt_map_info ui = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *gpu = NULL, *f = NULL;
	struct world w;
	pthread_t t;

	(void)state;
	world_init_flags(&w, GTT_PAGES_BORROWED);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	/* The GPU finishes a little later (another thread). */
	assert_int_equal(pthread_create(&t, NULL, signal_in_200ms, gpu), 0);
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, &ui, &f), 0);
	/* Returned: the owner frees the memory now.  Nothing may map it. */
	assert_true(gtt_fence_is_signaled(f));
	expect(&w, 0, 0);
	pthread_join(t, NULL);
	gtt_executor_run_all(w.f.ex);
	gtt_fence_put(f);
	gtt_fence_put(gpu);
	world_fini(&w);
}

/* The same for the sparse vma's own unbind: its pieces map borrowed
 * pages, yet GTT_UNBIND_ASYNC returns before their entries are cleared
 * (the check looks at the sparse vma's pages, which are none). */
static void test_borrowed_sparse_unbind_async(void **state)
{
	struct gtt_fence *gpu = NULL, *f = NULL;
	struct world w;
	pthread_t t;

	(void)state;
	world_init_flags(&w, GTT_PAGES_BORROWED);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &gpu), 0);
	assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu), 0);
	assert_int_equal(pthread_create(&t, NULL, signal_in_200ms, gpu), 0);
	assert_int_equal(gtt_vma_unbind(w.f.vm, w.sv, GTT_UNBIND_ASYNC, &f), 0);
	assert_true(gtt_fence_is_signaled(f));
	expect(&w, 0, 0);
	pthread_join(t, NULL);
	gtt_executor_run_all(w.f.ex);
	gtt_fence_put(f);
	gtt_fence_put(gpu);
	world_fini(&w);
}

/* Memory failure sweep: a split at both ends of a piece whose write has
 * not run yet, with several active fences. */
static void test_oom_sweep_split_pending_write(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct gtt_map_info ai = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *dep = NULL, *gpu[3] = { 0 }, *f = NULL;
	struct world w;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	world_init(&w);
	assert_int_equal(gtt_fence_create(0, 0, &dep), 0);
	mi.deps = &dep;
	mi.pages = w.a;
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, 16 * PAGE, &mi, NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(gtt_fence_create(0, 0, &gpu[i]), 0);
		assert_int_equal(gtt_vma_add_active(w.f.vm, w.sv, gpu[i]), 0);
	}
	assert_int_equal(gtt_vm_add_active(w.f.vm, gpu[0]), 0);
	ai.pages = w.b;
	for (n = 1; n < 200; n++) {
		mem_fail_after(n);
		err = gtt_vma_map(w.f.vm, w.sv, 4 * PAGE, 4 * PAGE, &ai, &f);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!err)
			break;
		assert_true(fired);
		assert_int_equal(err, -ENOMEM);
		gtt_executor_run_all(w.f.ex);
		expect(&w, 0, 0);
	}
	assert_int_equal(err, 0);
	gtt_fence_signal(dep, 0);
	for (int i = 0; i < 3; i++)
		gtt_fence_signal(gpu[i], 0);
	gtt_executor_run_all(w.f.ex);
	assert_true(gtt_fence_is_signaled(f));
	for (uint64_t i = 0; i < 16; i++)
		expect(&w, i, i >= 4 && i < 8 ? B + i * PAGE - 4 * PAGE : A + i * PAGE);
	gtt_fence_put(f);
	gtt_fence_put(dep);
	for (int i = 0; i < 3; i++)
		gtt_fence_put(gpu[i]);
	world_fini(&w);
}

/* Memory failure sweep over the sparse vma's own unbind with many pieces
 * whose writes are pending. */
static void test_oom_sweep_sparse_unbind(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct gtt_fence *dep[6] = { 0 }, *uf = NULL;
	struct world w;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	world_init(&w);
	mi.pages = w.a;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(gtt_fence_create(0, 0, &dep[i]), 0);
		mi.deps = &dep[i];
		assert_int_equal(gtt_vma_map(w.f.vm, w.sv, i * 2 * PAGE, 2 * PAGE, &mi, NULL), 0);
	}
	for (n = 1; n < 200; n++) {
		mem_fail_after(n);
		err = gtt_vma_unbind(w.f.vm, w.sv, GTT_UNBIND_ASYNC, &uf);
		mem_fail_after(0);
		if (!err)
			break;
		assert_int_equal(err, -ENOMEM);
	}
	assert_int_equal(err, 0);
	assert_false(gtt_fence_is_signaled(uf));
	for (int i = 0; i < 6; i++)
		gtt_fence_signal(dep[i], 0);
	gtt_executor_run_all(w.f.ex);
	assert_true(gtt_fence_is_signaled(uf));
	expect(&w, 0, 0);
	gtt_fence_put(uf);
	for (int i = 0; i < 6; i++)
		gtt_fence_put(dep[i]);
	world_fini(&w);
}

/* gtt_vma_add_active_many(): a vma listed twice, a memory sweep, all or
 * nothing. */
static void test_add_active_many(void **state)
{
	struct gtt_fence *gpu = NULL;
	struct gtt_vma_info vi;
	gtt_vma_t v[3];
	struct world w;
	int err = -ENOMEM;

	(void)state;
	world_init(&w);
	v[0] = w.sv;
	v[1] = make_vma(&w.f, A, 4, NULL);
	v[2] = w.sv;
	assert_int_equal(gtt_vma_bind(w.f.vm, v[1], NULL, NULL), 0);
	assert_int_equal(gtt_fence_create(7, 1, &gpu), 0);
	for (uint64_t n = 1; n < 100; n++) {
		mem_fail_after(n);
		err = gtt_vma_add_active_many(w.f.vm, v, 3, gpu);
		mem_fail_after(0);
		if (!err)
			break;
		assert_int_equal(err, -ENOMEM);
	}
	assert_int_equal(err, 0);
	assert_int_equal(gtt_vma_query(w.f.vm, w.sv, &vi), 0);
	assert_int_equal(vi.active, 1);
	assert_int_equal(gtt_vma_query(w.f.vm, v[1], &vi), 0);
	assert_int_equal(vi.active, 1);
	gtt_fence_signal(gpu, 0);
	gtt_fence_put(gpu);
	world_fini(&w);
}

/*
 * Found by the model (tests/model.c): each move's fence is the next point
 * on a timeline of the pages' own, so a later move's fence must never
 * signal before an earlier one's — a resv or an active list that keeps
 * only the later fence would take the object for idle while move 1 still
 * maps it.  Move 2 has nothing to wait for but move 1.
 */
static void test_move_timeline_order(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct gtt_fence *copy = NULL, *f1 = NULL, *f2 = NULL;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 4, w.a, 0), 0);
	assert_int_equal(gtt_fence_create(0, 0, &copy), 0);
	mi.deps = &copy;
	assert_int_equal(gtt_vm_move_pages(w.f.vm, w.a, w.b, &mi, &f1), 0);
	assert_int_equal(map(&w, 20, 4, w.a, 0), 0);
	mi.num_deps = 0;
	assert_int_equal(gtt_vm_move_pages(w.f.vm, w.a, w.b, &mi, &f2), 0);
	gtt_executor_run_all(w.f.ex);
	assert_true(gtt_fence_is_later(f2, f1));
	assert_false(gtt_fence_is_signaled(f1));
	assert_false(gtt_fence_is_signaled(f2));	/* waits for move 1 */
	gtt_fence_signal(copy, 0);
	gtt_executor_run_all(w.f.ex);
	gtt_fence_put(f1);
	gtt_fence_put(f2);
	gtt_fence_put(copy);
	world_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unmap_ignores_deps, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_stats, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_refuses_mapping_fields, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_borrowed_unmap_async, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_borrowed_sparse_unbind_async, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_oom_sweep_split_pending_write, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_oom_sweep_sparse_unbind, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_add_active_many, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_move_timeline_order, alarm_setup, alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
