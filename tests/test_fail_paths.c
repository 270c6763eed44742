/* SPDX-License-Identifier: MIT */
/*
 * Failure paths found by the failure-path audit, one test each: a call
 * that fails part-way (a bad handle, memory running out, a backend error)
 * must leave the vm as it was, and what it did go through must leave no
 * entry mapping pages whose owner was told they are free, no range lost
 * or freed twice, every reference dropped and every fence signalled with
 * its error.
 *
 * Every test arms alarm(): a call that blocks where it must not kills the
 * test instead of hanging the suite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "base/util.h"

#define VA 0x100000ull
#define VM_SIZE (64 * PAGE)

/*
 * gtt_vma_add_active_many() is all or nothing: when a later vma of the
 * list is refused, an earlier one keeps every fence its unbind must wait
 * for, including one that the refused fence would have superseded on its
 * timeline.
 */
static void test_add_active_many_refused_keeps_fences(void **state)
{
	uint64_t ctx = gtt_fence_context_alloc(1);
	struct gtt_fence *f1 = NULL, *f2 = NULL, *uf = NULL;
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_vma_info info;
	struct fixture f;
	int freed = 0;
	gtt_vma_t a, list[2];

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	assert_int_equal(gtt_fence_create(ctx, 1, &f1), 0);
	assert_int_equal(gtt_fence_create(ctx, 2, &f2), 0);
	a = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, f1), 0);
	list[0] = a;
	list[1] = 0xbad;		/* unknown: the call is refused */
	assert_int_equal(gtt_vma_add_active_many(f.vm, list, 2, f2), -ENOENT);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_int_equal(info.active, 1);	/* f1 is still there */
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	gtt_executor_run_all(f.ex);
	/* The clear waits for the GPU work of f1. */
	assert_false(gtt_fence_is_signaled(uf));
	assert_true(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 0);
	gtt_fence_signal(f1, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(uf), 1);
	assert_false(mock_entry(&f, VA).valid);
	assert_int_equal(freed, 1);
	gtt_fence_put(uf);
	gtt_fence_put(f1);
	gtt_fence_put(f2);
	fixture_fini(&f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_active_many_refused_keeps_fences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
