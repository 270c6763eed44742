/* SPDX-License-Identifier: MIT */
/*
 * The simulated GPU and checker: correct use passes, and the classic
 * policy bugs are caught by walking the real Intel page tables.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "base/util.h"

#define MiB (1ull << 20)

struct world {
	struct gtt_backend *be;
	struct gtt_executor *ex;
	struct gtt_vm *vm;
	struct gtt_sim *sim;
	gtt_vma_t a, b;
	uint64_t addrs[4];
};

static void world_init(struct world *w, unsigned int mode)
{
	struct gtt_mock_config mc = { .size = 4 * MiB, .scratch_addr = 0xdead000,
				      .mode = mode, .intel_family = GTT_INTEL_TGL };
	struct gtt_vm_config vc = { .start = PAGE, .size = 4 * MiB - 2 * PAGE };
	struct gtt_pages_segment sa = { 0xa0000000, 4 * PAGE }, sb = { 0xb0000000, 4 * PAGE };
	struct gtt_pages *p;

	assert_int_equal(gtt_mock_create(&mc, &w->be), 0);
	assert_int_equal(gtt_executor_create_manual(&w->ex), 0);
	vc.backend = w->be;
	vc.executor = w->ex;
	assert_int_equal(gtt_vm_create(&vc, &w->vm), 0);
	assert_int_equal(gtt_sim_create(w->vm, w->be, &w->sim), 0);
	gtt_pages_create(&sa, 1, 0, &p);
	gtt_vma_create(w->vm, p, NULL, &w->a);
	gtt_pages_put(p);
	gtt_pages_create(&sb, 1, 0, &p);
	gtt_vma_create(w->vm, p, NULL, &w->b);
	gtt_pages_put(p);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = PAGE };
	assert_int_equal(gtt_vma_bind(w->vm, w->a, &at, NULL), 0);
	for (int i = 0; i < 4; i++)
		w->addrs[i] = PAGE + i * PAGE + 0x40;
}

static void world_fini(struct world *w)
{
	gtt_sim_destroy(w->sim);
	gtt_vm_destroy(w->vm);
	gtt_executor_destroy(w->ex);
	gtt_backend_destroy(w->be);
}

static size_t count_kind(struct gtt_sim *sim, enum gtt_sim_kind kind)
{
	size_t n, k = 0;
	const struct gtt_sim_report *r = gtt_sim_reports(sim, &n);

	for (size_t i = 0; i < n; i++)
		k += r[i].kind == kind;
	return k;
}

/* Correct driver: the unbind waits for the job, the rebind for the unbind. */
static void test_correct_use_passes(void **state)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED | GTT_BIND_ASYNC, .offset = PAGE };
	struct gtt_sim_job *job, *job2;
	struct world w;
	size_t n;

	(void)state;
	world_init(&w, GTT_MOCK_INTEL_GGTT);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 4, GTT_SIM_TRACK, &job), 0);
	assert_int_equal(gtt_sim_run(w.sim, job), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, w.a, GTT_UNBIND_ASYNC, NULL), 0);
	assert_int_equal(gtt_vma_bind(w.vm, w.b, &at, NULL), 0);
	gtt_executor_run_all(w.ex);
	assert_int_equal(gtt_sim_run(w.sim, job), 0);	/* still A's pages */
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 0);
	gtt_executor_run_all(w.ex);			/* A cleared, then B written */
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 4, GTT_SIM_TRACK, &job2), 0);
	assert_int_equal(gtt_sim_complete(w.sim, job2, 0), 0);
	assert_null(gtt_sim_reports(w.sim, &n));
	assert_int_equal(n, 0);
	world_fini(&w);
}

/* A mapping that starts pages_offset into its pages: the simulated GPU
 * expects the page at that offset, in the GGTT and in a PPGTT. */
static void test_pages_offset_mapping_passes(void **state)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 64 * PAGE,
				    .pages_offset = 2 * PAGE, .size = 2 * PAGE };
	const unsigned int modes[] = { GTT_MOCK_INTEL_GGTT, GTT_MOCK_INTEL_PPGTT };
	uint64_t addrs[2] = { 64 * PAGE + 8, 65 * PAGE + 8 };
	struct gtt_sim_job *job;
	struct world w;
	size_t n;

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		world_init(&w, modes[m]);
		assert_int_equal(gtt_vma_bind(w.vm, w.b, &at, NULL), 0);
		assert_int_equal(gtt_sim_submit(w.sim, addrs, 2, GTT_SIM_TRACK, &job), 0);
		assert_int_equal(gtt_sim_complete(w.sim, job, 0), 0);
		assert_null(gtt_sim_reports(w.sim, &n));
		assert_int_equal(n, 0);
		world_fini(&w);
	}
}

/* Broken policy: the driver never tells the vm the job uses A, so the
 * unbind clears A's PTEs while the job still reads them. */
static void test_forgotten_active_fence_is_caught(void **state)
{
	struct gtt_sim_job *job;
	struct world w;
	size_t n;

	(void)state;
	world_init(&w, GTT_MOCK_INTEL_GGTT);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 4, 0, &job), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, w.a, GTT_UNBIND_ASYNC, NULL), 0);
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 4);
	const struct gtt_sim_report *r = gtt_sim_reports(w.sim, &n);

	assert_int_equal(n, 4);
	assert_int_equal(r[0].kind, GTT_SIM_SCRATCH);
	assert_int_equal(r[0].addr, PAGE + 0x40);
	assert_int_equal(r[0].expected, 0xa0000040);
	assert_int_equal(r[0].got, 0xdead040);
	assert_string_equal(gtt_sim_kind_name(r[0].kind), "scratch");
	world_fini(&w);
}

/* With a journal, a report explains itself: the job read its address after
 * the unbind of A had completed (PTEs cleared), and the explanation names
 * A, its unbind and the clear. */
static void test_report_explains_itself(void **state)
{
	struct gtt_sim_job *job;
	struct gtt_explain ex;
	struct world w;
	char buf[2048], want[64];
	FILE *f;
	size_t n;

	(void)state;
	world_init(&w, GTT_MOCK_INTEL_GGTT);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 1, 0, &job), 0);
	/* No journal: nothing to explain, the report still prints. */
	assert_int_equal(gtt_vma_unbind(w.vm, w.a, 0, NULL), 0);
	assert_int_equal(gtt_sim_run(w.sim, job), 1);
	const struct gtt_sim_report *r = gtt_sim_reports(w.sim, &n);

	assert_int_equal(gtt_sim_report_explain(w.sim, &r[0], &ex), -EINVAL);
	assert_int_equal(gtt_sim_report_explain(NULL, &r[0], &ex), -EINVAL);
	assert_int_equal(gtt_sim_report_explain(w.sim, NULL, &ex), -EINVAL);
	assert_int_equal(gtt_sim_report_print(NULL, w.sim, &r[0]), -EINVAL);
	f = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(gtt_sim_report_print(f, w.sim, &r[0]), 0);
	fclose(f);
	assert_string_equal(buf, "job 1: scratch at 0x1040 (expected 0xa0000040, got 0xdead040)\n");
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 1);

	/* With one: bind A again, and read it after its unbind completed. */
	assert_int_equal(gtt_vm_journal_enable(w.vm, 64), 0);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = PAGE };

	assert_int_equal(gtt_vma_bind(w.vm, w.a, &at, NULL), 0);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 4, 0, &job), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, w.a, 0, NULL), 0);
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 4);
	r = gtt_sim_reports(w.sim, &n);
	assert_int_equal(n, 6);	/* the first job ran twice */
	assert_int_equal(r[2].kind, GTT_SIM_SCRATCH);
	assert_true(r[2].time > 0);
	assert_int_equal(gtt_sim_report_explain(w.sim, &r[2], &ex), 0);
	assert_int_equal(ex.addr, PAGE + 0x40);
	assert_int_equal(ex.time, r[2].time);
	assert_int_equal(ex.count, 1);	/* the first life came before the journal */
	assert_int_equal(ex.m[0].vma, w.a);
	assert_int_equal(ex.m[0].state, GTT_EXPLAIN_CLEARED);
	assert_true(ex.m[0].bound_at && ex.m[0].unbound_at && ex.m[0].cleared_at);
	assert_true(ex.m[0].cleared_at <= r[2].time);
	f = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(gtt_sim_report_print(f, w.sim, &r[2]), 0);
	fclose(f);
	snprintf(want, sizeof(want), "vma 0x%llx (pages #1", (unsigned long long)w.a);
	assert_non_null(strstr(buf, "job 2: scratch at 0x1040"));
	assert_non_null(strstr(buf, "unbound and cleared: an access hits scratch"));
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "(unbind completed at t="));
	world_fini(&w);
}

/* Broken policy, worse: the range is reused while the job runs. */
static void test_reuse_under_running_job_is_stale(void **state)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = PAGE };
	struct gtt_sim_job *job;
	struct world w;

	(void)state;
	world_init(&w, GTT_MOCK_INTEL_GGTT);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 4, 0, &job), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, w.a, 0, NULL), 0);
	assert_int_equal(gtt_vma_bind(w.vm, w.b, &at, NULL), 0);
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 4);
	assert_int_equal(count_kind(w.sim, GTT_SIM_STALE), 4);
	world_fini(&w);
}

/* On a table whose cleared entries are not present, the GPU faults. */
static void test_fault_on_generic_mock(void **state)
{
	struct gtt_sim_job *job;
	struct world w;

	(void)state;
	world_init(&w, GTT_MOCK_GENERIC);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 2, 0, &job), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, w.a, 0, NULL), 0);
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 2);
	assert_int_equal(count_kind(w.sim, GTT_SIM_FAULT), 2);
	world_fini(&w);
}

/* A tracked job waits for an async bind before it may run. */
static void test_tracked_job_waits_for_bind(void **state)
{
	struct gtt_fence *migrate;
	struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC | GTT_BIND_FIXED,
				    .offset = 64 * PAGE, .num_deps = 1 };
	struct gtt_sim_job *job, *early;
	uint64_t addr = 64 * PAGE + 8;
	struct world w;

	(void)state;
	world_init(&w, GTT_MOCK_INTEL_PPGTT);
	gtt_fence_create(0, 0, &migrate);
	bi.deps = &migrate;
	assert_int_equal(gtt_vma_bind(w.vm, w.b, &bi, NULL), 0);
	assert_int_equal(gtt_sim_submit(w.sim, &addr, 1, GTT_SIM_TRACK, &job), 0);
	assert_int_equal(gtt_sim_run(w.sim, job), -EAGAIN);
	/* An untracked job does not wait, and reads scratch. */
	assert_int_equal(gtt_sim_submit(w.sim, &addr, 1, 0, &early), 0);
	assert_int_equal(gtt_sim_complete(w.sim, early, 0), 1);
	assert_int_equal(count_kind(w.sim, GTT_SIM_SCRATCH), 1);
	gtt_fence_signal(migrate, 0);
	gtt_executor_run_all(w.ex);
	assert_int_equal(gtt_sim_complete(w.sim, job, 0), 0);
	gtt_fence_put(migrate);
	world_fini(&w);
}

/*
 * Every allocation of a tracked two-vma submit fails in turn.  The last
 * one is vma b's active array growing, after vma a already holds the job's
 * fence: a failed submit must leave no unsignalled fence behind, so both
 * unbinds and the vm's teardown finish, and nothing leaks.
 */
static void test_failed_submit_leaves_no_active_fence(void **state)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 8 * PAGE };
	uint64_t addrs[6];
	bool completed = false;
	uint64_t n;

	(void)state;
	for (n = 1; n < 100 && !completed; n++) {
		int64_t baseline = mem_live();
		struct gtt_fence *busy[4], *ua, *ub;
		struct gtt_sim_job *job = NULL;
		struct world w;
		int err;

		world_init(&w, GTT_MOCK_INTEL_GGTT);
		assert_int_equal(gtt_vma_bind(w.vm, w.b, &at, NULL), 0);
		/* Fill b's active array, so that adding the job must grow it. */
		for (int i = 0; i < 4; i++) {
			assert_int_equal(gtt_fence_create(gtt_fence_context_alloc(1), 1,
							  &busy[i]), 0);
			assert_int_equal(gtt_vma_add_active(w.vm, w.b, busy[i]), 0);
		}
		for (int i = 0; i < 4; i++)
			addrs[i] = w.addrs[i];		/* vma a first */
		addrs[4] = 8 * PAGE + 0x10;		/* then vma b */
		addrs[5] = 9 * PAGE + 0x10;

		mem_fail_after(n);
		err = gtt_sim_submit(w.sim, addrs, 6, GTT_SIM_TRACK, &job);
		completed = !mem_fail_fired();
		mem_fail_after(0);
		if (completed) {
			assert_int_equal(err, 0);
			assert_int_equal(gtt_sim_complete(w.sim, job, 0), 0);
		} else {
			assert_int_equal(err, -ENOMEM);
		}
		for (int i = 0; i < 4; i++) {
			gtt_fence_signal(busy[i], 0);
			gtt_fence_put(busy[i]);
		}
		/* Async unbinds and a bounded wait: a leftover fence fails, never hangs. */
		assert_int_equal(gtt_vma_unbind(w.vm, w.a, GTT_UNBIND_ASYNC, &ua), 0);
		assert_int_equal(gtt_vma_unbind(w.vm, w.b, GTT_UNBIND_ASYNC, &ub), 0);
		gtt_executor_run_all(w.ex);
		assert_true(gtt_fence_is_signaled(ua));
		assert_true(gtt_fence_is_signaled(ub));
		gtt_fence_put(ua);
		gtt_fence_put(ub);
		assert_int_equal(gtt_vm_wait_idle(w.vm, 1000000000), 0);
		world_fini(&w);
		assert_int_equal(mem_live(), baseline);
	}
	assert_true(completed);
	assert_true(n > 6);	/* the sweep reached the second vma's add_active */
}

static void test_sim_bad_input(void **state)
{
	struct gtt_sim_job *job;
	uint64_t nowhere = 3 * MiB;
	struct world w;

	(void)state;
	world_init(&w, GTT_MOCK_INTEL_GGTT);
	assert_int_equal(gtt_sim_submit(w.sim, &nowhere, 1, 0, &job), -ENOENT);
	assert_int_equal(gtt_sim_submit(w.sim, NULL, 1, 0, &job), -EINVAL);
	assert_int_equal(gtt_sim_submit(w.sim, w.addrs, 1, 0x80, &job), -EINVAL);
	assert_int_equal(gtt_sim_run(w.sim, NULL), -EINVAL);
	assert_int_equal(gtt_sim_create(NULL, w.be, &w.sim), -EINVAL);
	world_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_correct_use_passes),
		cmocka_unit_test(test_pages_offset_mapping_passes),
		cmocka_unit_test(test_forgotten_active_fence_is_caught),
		cmocka_unit_test(test_reuse_under_running_job_is_stale),
		cmocka_unit_test(test_report_explains_itself),
		cmocka_unit_test(test_fault_on_generic_mock),
		cmocka_unit_test(test_tracked_job_waits_for_bind),
		cmocka_unit_test(test_sim_bad_input),
		cmocka_unit_test(test_failed_submit_leaves_no_active_fence),
	};

	return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
