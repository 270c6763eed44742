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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "support/queue_kernel.h"
#ifdef GTT_FAIL_XE
#include <drm/xe_drm.h>

#include "backends/xe/xe_internal.h"
#include "support/fake_xe.h"
#endif
#include "base/rcu.h"
#include "base/util.h"

#ifdef GTT_OFF_RCU
#define GTT_FAIL_RCU false
#else
#define GTT_FAIL_RCU true
#endif

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

/*
 * A synchronous bind that fails inside the call (a dependency that failed,
 * a PTE write the backend refused) leaves the vma as it was: an evicted
 * vma still says so and still gives its eviction's unbind fence.
 */
static void test_failed_bind_keeps_eviction_record(void **state)
{
	struct gtt_fence *gpu = new_fence(), *bad = new_fence(), *last = NULL, *again = NULL;
	struct gtt_bind_info evict = fixed_at(VA, GTT_BIND_EVICT | GTT_BIND_ASYNC);
	struct gtt_bind_info rebind = { .deps = &bad, .num_deps = 1 };
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, 4 * PAGE, 0);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	b = make_vma(&f, 0xb0000000, 2, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_bind(f.vm, b, &evict, NULL), 0);	/* evicts a */
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &last), 0);
	assert_non_null(last);
	assert_int_equal(gtt_vma_unbind(f.vm, b, GTT_UNBIND_ASYNC, NULL), 0);
	gtt_fence_signal(bad, -ECANCELED);
	/* Placed away from its pending unbind: nothing to wait for. */
	assert_int_equal(gtt_vma_bind(f.vm, a, &rebind, NULL), -ECANCELED);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_false(info.bound);
	assert_true(info.evicted);
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &again), 0);
	assert_ptr_equal(again, last);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), -ENOENT);
	assert_non_null(strstr(gtt_last_error(), "evicted"));
	/* The backend refuses the write: the same. */
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), -EIO);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_true(info.evicted);
	gtt_fence_put(again);
	again = NULL;
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &again), 0);
	assert_ptr_equal(again, last);
	/* A bind that waits for its dependency and fails after: the same. */
	{
		struct gtt_fence *later = new_fence();
		struct gtt_bind_info waits = { .deps = &later, .num_deps = 1 };
		struct delayed d = { .f = later, .us = 20000, .error = -ECANCELED };
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, signal_later, &d), 0);
		assert_int_equal(gtt_vma_bind(f.vm, a, &waits, NULL), -ECANCELED);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
		assert_false(info.bound);
		assert_true(info.evicted);
		gtt_fence_put(again);
		again = NULL;
		assert_int_equal(gtt_vma_last_unbind(f.vm, a, &again), 0);
		assert_ptr_equal(again, last);
		gtt_fence_put(later);
	}
	/* A bind that succeeds ends the record. */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_false(info.evicted);
	gtt_fence_put(again);
	again = NULL;
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &again), 0);
	assert_null(again);
	gtt_fence_put(last);
	gtt_fence_put(bad);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/*
 * Every allocation of a bind that fails leaves the vma unbound, the range
 * free and nothing allocated, with -ENOMEM and a message naming
 * gtt_vma_bind() (not the helper that ran out).
 */
static void test_bind_oom_names_the_call(void **state)
{
	struct gtt_fence *dep = new_fence(), *bf = NULL;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	for (int async = 0; async < 2; async++) {
		for (uint64_t nth = 1;; nth++) {
			struct gtt_bind_info bi = { .flags = async ? GTT_BIND_ASYNC : 0,
						    .deps = &dep, .num_deps = async };
			struct gtt_vma_info info;
			int64_t live = mem_live();
			int err;

			mem_fail_after(nth);
			err = gtt_vma_bind(f.vm, a, &bi, &bf);
			mem_fail_after(0);
			if (!err)
				break;
			assert_int_equal(err, -ENOMEM);
			assert_non_null(strstr(gtt_last_error(), "gtt_vma_bind"));
			assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
			assert_false(info.bound);
			assert_int_equal(mem_live(), live);
		}
		assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), 0);
		gtt_fence_put(bf);
		bf = NULL;
	}
	gtt_fence_signal(dep, 0);
	gtt_executor_run_all(f.ex);
	gtt_fence_put(dep);
	fixture_fini(&f);
}

/* Signals the GPU fences of struct destroy_race one by one, some with an
 * error, while the main thread destroys the vm. */
struct destroy_race {
	struct gtt_fence **gpu;
	unsigned int n;
};

static void *signal_all(void *arg)
{
	struct destroy_race *d = arg;

	for (unsigned int i = 0; i < d->n; i++) {
		gtt_fence_signal(d->gpu[i], i % 3 ? 0 : -EIO);
		if (i % 4 == 0)
			usleep(50);
	}
	return NULL;
}

/*
 * gtt_vm_destroy() while the GPU work that unbinds (of plain and sparse
 * vmas, some clears failing) wait for ends on another thread: the unbind
 * jobs run on a pool's workers and on the signalling thread, failed clears
 * reach the quarantine from there, and destruction waits for all of it
 * before it frees the vm (ASan and TSan builds see any access after).
 * Every page object is released once and nothing stays allocated.
 */
static void test_destroy_while_callbacks_run(void **state)
{
	enum { N = 24 };

	(void)state;
	for (int round = 0; round < 8; round++) {
		struct gtt_mock_config mc = { .start = VA, .size = VM_SIZE, .scratch_addr = 0xdead000 };
		struct gtt_vm_config vc = { .name = "race", .start = VA, .size = VM_SIZE,
					    .flags = round & 1 ? GTT_VM_COLOR_GUARD : 0 };
		struct gtt_fence *gpu[N];
		struct destroy_race d = { .gpu = gpu, .n = N };
		struct gtt_backend *be;
		struct gtt_executor *ex;
		struct gtt_vm *vm;
		int64_t live = mem_live();
		int freed[N] = { 0 };
		pthread_t th;

		assert_int_equal(gtt_mock_create(&mc, &be), 0);
		assert_int_equal(gtt_executor_create_pool(2, &ex), 0);
		vc.backend = be;
		vc.executor = ex;
		assert_int_equal(gtt_vm_create(&vc, &vm), 0);
		for (unsigned int i = 0; i < N; i++) {
			gtt_vma_t h;

			gpu[i] = new_fence();
			if (i % 6 == 5) {
				struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC };
				struct gtt_pages *p = make_pages(0xa0000000 + i * 0x100000, 1, 0);

				assert_int_equal(gtt_pages_set_destructor(p, count_release, &freed[i]), 0);
				assert_int_equal(gtt_vma_create_sparse(vm, 2 * PAGE, NULL, &h), 0);
				assert_int_equal(gtt_vma_bind(vm, h, &(struct gtt_bind_info){ 0 }, NULL), 0);
				mi.pages = p;
				assert_int_equal(gtt_vma_map(vm, h, 0, PAGE, &mi, NULL), 0);
				gtt_pages_put(p);
			} else {
				h = counted_vma(vm, 0xa0000000 + i * 0x100000, 1, 0, &freed[i]);
				assert_int_equal(gtt_vma_bind(vm, h, NULL, NULL), 0);
			}
			assert_int_equal(gtt_vma_add_active(vm, h, gpu[i]), 0);
			assert_int_equal(gtt_vma_unbind(vm, h, GTT_UNBIND_ASYNC, NULL), 0);
		}
		/* Some of the clears the workers run fail. */
		assert_int_equal(gtt_mock_fail_calls(be, 1 + round, 3, -EIO), 0);
		assert_int_equal(pthread_create(&th, NULL, signal_all, &d), 0);
		gtt_vm_destroy(vm);
		assert_int_equal(pthread_join(th, NULL), 0);
		for (unsigned int i = 0; i < N; i++) {
			assert_int_equal(freed[i], 1);
			gtt_fence_put(gpu[i]);
		}
		gtt_executor_destroy(ex);
		gtt_backend_destroy(be);
		assert_int_equal(mem_live(), live);
	}
}

#ifndef GTT_OFF_RCU
/*
 * With lock-free readers, a bind that fails (no room; a PTE write the
 * backend refused) drops its page reference in the call, like any other
 * vm: the pages' destructor runs in a thread gtt_pages_set_destructor()
 * names, when the owner lets go, not on liburcu's thread a grace period
 * later.  The test holds a read section, so a deferred release could not
 * have run yet.
 */
static void test_rcu_failed_bind_releases_pages_in_call(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct fixture f;
	int freed_b = 0, freed_c = 0;
	gtt_vma_t a, b, c;

	(void)state;
	fixture_init(&f, VA, 4 * PAGE, GTT_VM_RCU_READERS);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	b = counted_vma(f.vm, 0xb0000000, 4, 0, &freed_b);
	c = counted_vma(f.vm, 0xc0000000, 2, 0, &freed_c);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	rcu_read_begin();
	assert_int_equal(gtt_vma_bind(f.vm, b, NULL, NULL), -ENOSPC);
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, c, NULL, NULL), -EIO);
	assert_int_equal(gtt_vma_destroy(f.vm, b), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, c), 0);
	assert_int_equal(freed_b, 1);
	assert_int_equal(freed_c, 1);
	rcu_read_end();
	fixture_fini(&f);
}
#endif

/*
 * A synchronous unbind never returns -ENOMEM (gtt/vm.h): with nothing to
 * wait for, its clear runs in the call and its fence has signalled before
 * anyone can look, so a resv slot that cannot be had is not needed.  Every
 * allocation of the call is made to fail in turn: the vma ends unbound,
 * its range clear and free, and nothing stays allocated.
 */
static void test_sync_unbind_oom_with_resv(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_resv *resv = NULL;
	int64_t live = mem_live();
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	assert_int_equal(gtt_resv_create(&resv), 0);
	a = make_vma(&f, 0xa0000000, 2, resv);
	for (uint64_t nth = 1; nth < 8; nth++) {
		struct gtt_vma_info info;
		int err;

		assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
		mem_fail_after(nth);
		err = gtt_vma_unbind(f.vm, a, 0, NULL);
		mem_fail_after(0);
		assert_int_equal(err, 0);
		assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
		assert_false(info.bound);
		assert_false(mock_entry(&f, VA).valid);
	}
	/* An unbind that has to wait still needs its slot: -ENOMEM for an
	 * asynchronous one, with nothing changed. */
	{
		struct gtt_fence *gpu = new_fence();
		struct gtt_vma_info info;

		assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
		assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
		int err;

		/* Allocation nth fails, until the call needs fewer. */
		for (uint64_t nth = 1; mem_fail_after(nth),
		     (err = gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL)); nth++) {
			mem_fail_after(0);
			assert_int_equal(err, -ENOMEM);
			assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
			assert_true(info.bound);
		}
		mem_fail_after(0);
		assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 1);
		gtt_fence_signal(gpu, 0);
		gtt_executor_run_all(f.ex);
		gtt_fence_put(gpu);
	}
	fixture_fini(&f);
	gtt_resv_destroy(resv);
	assert_int_equal(mem_live(), live);
}

/* Releases a hold after a while (another thread: the unbind waits). */
struct late_unhold {
	struct gtt_binding *b;
	unsigned int us;
};

static void *unhold_later(void *arg)
{
	struct late_unhold *u = arg;

	usleep(u->us);
	gtt_binding_unhold(u->b);
	return NULL;
}

/*
 * Nor with a hold on the binding, where the clear runs in the call but the
 * fence signals only when the hold goes: a synchronous unbind (it waits
 * for that fence) goes without the resv slot it cannot have, as when there
 * is no holder, instead of -ENOMEM with nothing to wait for.  Each
 * allocation of the call fails in turn (a fresh resv each time, so that
 * its slot array must grow): 0, the vma unbound, its range scratch and
 * free, the fence signalled (no pending fence left in the resv), the pages
 * released once, nothing left allocated.
 */
static void test_sync_unbind_oom_with_resv_and_hold(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	int64_t live = mem_live();
	struct fixture f;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	for (uint64_t nth = 1; nth < 6; nth++) {
		struct late_unhold u = { .us = 20000 };
		struct gtt_resv *resv = NULL;
		struct gtt_pages *p = make_pages(0xa0000000, 2, 0);
		struct gtt_vma_info info;
		struct gtt_range_stats rs;
		struct gtt_fence *uf = NULL;
		pthread_t t;
		gtt_vma_t a;
		int freed = 0, err;

		assert_int_equal(gtt_pages_set_destructor(p, count_release, &freed), 0);
		assert_int_equal(gtt_resv_create(&resv), 0);
		assert_int_equal(gtt_vma_create(f.vm, p, resv, &a), 0);
		gtt_pages_put(p);
		assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
		assert_int_equal(gtt_vma_hold(f.vm, a, &u.b), 0);
		assert_int_equal(pthread_create(&t, NULL, unhold_later, &u), 0);
		mem_fail_after(nth);
		err = gtt_vma_unbind(f.vm, a, 0, &uf);
		mem_fail_after(0);
		assert_int_equal(pthread_join(t, NULL), 0);
		if (err)
			print_message("allocation %llu: %s\n", (unsigned long long)nth,
				      gtt_last_error());
		assert_int_equal(err, 0);
		assert_int_equal(gtt_fence_status(uf), 1);
		gtt_fence_put(uf);
		assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
		assert_false(info.bound);
		assert_false(mock_entry(&f, VA).valid);
		assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 0);
		assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(f.vm), &rs), 0);
		assert_int_equal(rs.nodes, 0);
		assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
		assert_int_equal(freed, 1);
		gtt_resv_destroy(resv);
	}
	fixture_fini(&f);
	assert_int_equal(mem_live(), live);
}

/*
 * The same on a queue backend, whose clear always completes later (so the
 * fence never signals in the call): a synchronous unbind whose resv slot
 * cannot be had goes without it.  Each allocation fails in turn, a fresh
 * resv each time: unbound, nothing pending in the resv, nothing placed,
 * and 0 with the table scratch — or, when the allocation that failed was
 * the pretend kernel's own (its submit refused), the clear's error (its
 * message: the PTE clear failed, or the backend refused the unbind) with
 * the pages in quarantine until the vm goes.  Nothing leaked.
 */
static void test_sync_unbind_oom_with_resv_queue(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_vm_config vc = { .name = "queue", .start = VA, .size = VM_SIZE };
	int64_t live = mem_live();
	struct gtt_backend *be;
	struct gtt_executor *ex;
	unsigned int clears_failed = 0;
	struct gtt_vm *vm;
	struct qk *k;

	(void)state;
	assert_int_equal(qk_create(VA, VM_SIZE, &k, &be), 0);
	assert_int_equal(gtt_executor_create_manual(&ex), 0);
	vc.backend = be;
	vc.executor = ex;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	for (uint64_t nth = 1; nth < 6; nth++) {
		struct gtt_resv *resv = NULL;
		struct gtt_pages *p = make_pages(0xa0000000, 2, 0);
		struct gtt_range_stats rs;
		struct gtt_vma_info info;
		struct gtt_mock_entry e;
		struct gtt_vm_stats vs;
		gtt_vma_t a;
		int err;

		assert_int_equal(gtt_resv_create(&resv), 0);
		assert_int_equal(gtt_vma_create(vm, p, resv, &a), 0);
		gtt_pages_put(p);
		assert_int_equal(gtt_vma_bind(vm, a, &at, NULL), 0);
		mem_fail_after(nth);
		err = gtt_vma_unbind(vm, a, 0, NULL);
		mem_fail_after(0);
		if (err && !strstr(gtt_last_error(), "the PTE clear failed") &&
		    !strstr(gtt_last_error(), "refused the unbind"))
			fail_msg("allocation %llu: %s", (unsigned long long)nth, gtt_last_error());
		assert_int_equal(gtt_vma_query(vm, a, &info), 0);
		assert_false(info.bound);
		assert_int_equal(gtt_mock_read(qk_table(k), VA, &e), 0);
		assert_int_equal(gtt_vm_stats(vm, &vs), 0);
		assert_true(!err ? !e.valid : vs.quarantined > 0);
		clears_failed += !!err;
		assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 0);
		assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(vm), &rs), 0);
		assert_int_equal(rs.nodes, 0);
		assert_int_equal(gtt_vma_destroy(vm, a), 0);
		gtt_resv_destroy(resv);
	}
	assert_true(clears_failed > 0);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(ex);
	gtt_backend_destroy(be);
	assert_int_equal(mem_live(), live);
}

/*
 * A bind the allocator refuses (a fixed range or a range limit outside
 * the vm) fails with -EINVAL and a message naming gtt_vma_bind(), with the
 * allocator's reason; nothing is placed or evicted.
 */
static void test_bind_outside_vm_names_the_call(void **state)
{
	struct gtt_bind_info below = fixed_at(0x1000, GTT_BIND_EVICT);
	struct gtt_bind_info past = fixed_at(VA + VM_SIZE - PAGE, 0);
	struct gtt_bind_info limit = { .range_start = 0x1000, .range_end = 0x3000 };
	const struct gtt_bind_info *bad[] = { &below, &past, &limit };
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gtt_vma_bind(f.vm, a, bad[i], NULL), -EINVAL);
		assert_non_null(strstr(gtt_last_error(), "gtt_vma_bind"));
		assert_non_null(strstr(gtt_last_error(), "outside"));
		assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
		assert_false(info.bound);
	}
	fixture_fini(&f);
}

/* ---- random operations with failures injected, checked after each ---- */

#define R_OBJS 4096
#define R_VMAS 6
#define R_SPARSE 2
#define R_FENCES 64
#define R_PAGES 24

struct rnd {
	struct fixture f;
	uint64_t seed;
	int freed[R_OBJS];
	uint64_t obj_pages[R_OBJS];
	unsigned int nobj;
	gtt_vma_t vma[R_VMAS];
	bool pinned[R_VMAS];
	unsigned int vobj[R_VMAS];	/* the object of each vma */
	struct gtt_pages *vpages[R_VMAS];	/* not a reference: the vma's */
	gtt_vma_t sp[R_SPARSE];
	struct gtt_fence *pend[R_FENCES];	/* GPU work and deps not signalled */
	unsigned int npend;
	struct gtt_fence *got[4 * R_FENCES];	/* fences the calls gave */
	unsigned int ngot;
	struct gtt_binding *holds[8];
	unsigned int nholds;
	bool guard;
	unsigned int step;
	uint64_t arm_mem;	/* an allocation of the next call fails */
	struct qk *k;		/* a queue backend: its kernel, else NULL */
	struct gtt_backend *table;	/* the page table the backend writes */
	bool queue;		/* a queue backend (qk or xe) */
#ifdef GTT_FAIL_XE
	struct fake_xe *xf;	/* xe over a fake kernel, else NULL */
	struct xe_sys sys;
	struct gtt_watcher *w;
	uint32_t xe_vm;
	uint32_t bo[R_OBJS];	/* each object's GEM handle */
#endif
	bool wedged;		/* xe: the device wedged (makes no objects) */
	struct gtt_pages *pobj[R_OBJS];	/* each object (no reference) */
};

static void arm(struct rnd *r)
{
	if (r->arm_mem)
		mem_fail_after(r->arm_mem);
	r->arm_mem = 0;
}

static uint64_t obj_dma(unsigned int id)
{
	return (uint64_t)(id + 1) << 24;
}

static void rnd_new_vma(struct rnd *r, unsigned int i)
{
	unsigned int id = r->nobj++;
	uint64_t npages = 1 + rng_below(&r->seed, 6);

	struct gtt_pages *p;

	assert_true(id < R_OBJS);
#ifdef GTT_FAIL_XE
	if (r->xf) {
		r->bo[id] = fake_xe_bo(r->xf, npages * PAGE, false);
		assert_int_not_equal(r->bo[id], 0);
		assert_int_equal(gtt_pages_create_bo(r->bo[id], 0, npages * PAGE, 0, &p), 0);
	} else
#endif
		p = make_pages(obj_dma(id), npages, 0);
	r->obj_pages[id] = npages;
	r->pobj[id] = p;
	assert_int_equal(gtt_pages_set_destructor(p, count_release, &r->freed[id]), 0);
	assert_int_equal(gtt_vma_create(r->f.vm, p, NULL, &r->vma[i]), 0);
	gtt_pages_put(p);		/* the vma's reference keeps it */
	r->vpages[i] = p;
	r->vobj[i] = id;
}

/* No entry maps pages that were released. */
static void rnd_check_ptes(struct rnd *r)
{
#ifdef GTT_FAIL_XE
	if (r->xf) {
		for (uint64_t va = VA; va < VA + R_PAGES * PAGE; va += PAGE) {
			struct fake_xe_pte e;
			unsigned int id;

			assert_int_equal(fake_xe_lookup(r->xf, r->xe_vm, va, &e), 0);
			if (e.kind != FAKE_PTE_BO)
				continue;
			for (id = 0; id < r->nobj && r->bo[id] != e.obj; id++)
				;
			assert_true(id < r->nobj);
			if (r->freed[id]) {
				print_message("step %u: 0x%llx maps object %u, released\n",
					      r->step, (unsigned long long)va, id);
				fail();
			}
		}
		return;
	}
#endif
	for (uint64_t va = VA; va < VA + R_PAGES * PAGE; va += PAGE) {
		struct gtt_mock_entry e;
		unsigned int id;

		assert_int_equal(gtt_mock_read(r->table, va, &e), 0);
		if (!e.valid || e.null)
			continue;
		id = (unsigned int)(e.addr >> 24) - 1;
		assert_true(id < r->nobj);
		if (r->freed[id]) {
			print_message("seed step %u: 0x%llx maps object %u, released\n",
				      r->step, (unsigned long long)va, id);
			fail();
		}
		/* ... and the journal says what maps it there. */
		if (!journal_explains(r->f.vm, va, r->pobj[id], e.addr & 0xffffff)) {
			print_message("step %u: 0x%llx maps object %u +0x%llx, which the journal explains as scratch\n",
				      r->step, (unsigned long long)va, id,
				      (unsigned long long)(e.addr & 0xffffff));
			fail();
		}
	}
}

/* ROSTER order: the vmas from the last to the first, sparse ones too (the
 * vm skips those), and a handle that names nothing. */
static int rnd_roster(void *arg, const struct gtt_range_request *req,
		      uint64_t *cursor, gtt_vma_t *vmas, unsigned int max)
{
	const struct rnd *r = arg;
	unsigned int n = 0;

	(void)req;
	for (; *cursor < R_VMAS + R_SPARSE + 1 && n < max; (*cursor)++) {
		uint64_t c = *cursor;

		vmas[n++] = c < R_VMAS ? r->vma[R_VMAS - 1 - c] :
			    c < R_VMAS + R_SPARSE ? r->sp[c - R_VMAS] : 0xbad;
	}
	return (int)n;
}

/* The allocator keeps the colour rule, and every bound vma has its node. */
static void rnd_check_alloc(struct rnd *r)
{
	struct gtt_range_alloc *ra = gtt_vm_range_alloc(r->f.vm);
	struct gtt_range_node *prev = NULL;

	for (struct gtt_range_node *n = gtt_range_first(ra); n; prev = n, n = gtt_range_next(ra, n))
		if (r->guard && prev && gtt_range_node_color(prev) != gtt_range_node_color(n) &&
		    gtt_range_node_start(prev) + gtt_range_node_size(prev) >= gtt_range_node_start(n)) {
			print_message("step %u: nodes at 0x%llx and 0x%llx of colours %u, %u touch\n",
				      r->step, (unsigned long long)gtt_range_node_start(prev),
				      (unsigned long long)gtt_range_node_start(n),
				      gtt_range_node_color(prev), gtt_range_node_color(n));
			fail();
		}
	for (unsigned int i = 0; i < R_VMAS + R_SPARSE; i++) {
		gtt_vma_t h = i < R_VMAS ? r->vma[i] : r->sp[i - R_VMAS];
		struct gtt_vma_info vi;
		struct gtt_range_node *n;

		if (gtt_vma_query(r->f.vm, h, &vi) || !vi.bound)
			continue;
		n = gtt_range_lookup(ra, vi.offset);
		assert_non_null(n);
		assert_int_equal(gtt_range_node_start(n), vi.offset);
		assert_int_equal(gtt_range_node_size(n), vi.size);
		/* The lookup (lock-free with RCU readers) agrees. */
		{
			gtt_vma_t found = 0;
			uint64_t at = 0;

			assert_int_equal(gtt_vm_lookup(r->f.vm, vi.offset + vi.size - PAGE, &found, &at), 0);
			assert_int_equal(found, h);
			assert_int_equal(at, vi.offset);
		}
	}
}

static bool rnd_idle(const struct rnd *r)
{
	for (unsigned int i = 0; i < r->npend; i++)
		if (!gtt_fence_is_signaled(r->pend[i]))
			return false;
	return true;
}

static void rnd_keep(struct rnd *r, struct gtt_fence *f)
{
	if (!f)
		return;
	if (r->ngot == 4 * R_FENCES) {
		/* Keep the unsignalled ones only. */
		unsigned int k = 0;

		for (unsigned int i = 0; i < r->ngot; i++) {
			if (gtt_fence_is_signaled(r->got[i]))
				gtt_fence_put(r->got[i]);
			else
				r->got[k++] = r->got[i];
		}
		r->ngot = k;
		if (k == 4 * R_FENCES) {
			gtt_fence_put(f);
			return;
		}
	}
	r->got[r->ngot++] = f;
}

static struct gtt_fence *rnd_pending(struct rnd *r)
{
	struct gtt_fence *f;

	if (r->npend == R_FENCES) {
		gtt_fence_signal(r->pend[0], 0);
		gtt_fence_put(r->pend[0]);
		memmove(&r->pend[0], &r->pend[1], (R_FENCES - 1) * sizeof(r->pend[0]));
		r->npend--;
	}
	f = new_fence();
	r->pend[r->npend++] = f;
	return f;
}

static void rnd_step(struct rnd *r)
{
	unsigned int op = (unsigned int)rng_below(&r->seed, 18);
	unsigned int i = (unsigned int)rng_below(&r->seed, R_VMAS);
	unsigned int s = (unsigned int)rng_below(&r->seed, R_SPARSE);
	/* A synchronous call would wait for the GPU, a dependency or a hold
	 * that only this thread ends. */
	bool idle = rnd_idle(r) && !r->nholds;
	struct gtt_fence *fence = NULL, *dep = NULL;

	switch (op) {
	case 0: case 1: {	/* bind */
		struct gtt_bind_info bi = { 0 };
		unsigned int how = (unsigned int)rng_below(&r->seed, 8);
		struct gtt_vm_stats before, after;
		int err;

		if (how < 3) {
			bi.flags |= GTT_BIND_FIXED;
			bi.offset = VA + rng_below(&r->seed, R_PAGES - 6) * PAGE;
		}
		if (rng_below(&r->seed, 2))
			bi.flags |= GTT_BIND_EVICT;
		if (r->guard)
			bi.color = (uint32_t)rng_below(&r->seed, 2);
		if (!idle || rng_below(&r->seed, 3) == 0)
			bi.flags |= GTT_BIND_ASYNC;
		if (rng_below(&r->seed, 4) == 0) {
			dep = (bi.flags & GTT_BIND_ASYNC) && rng_below(&r->seed, 2) ?
			      rnd_pending(r) : NULL;
			if (!dep) {
				dep = new_fence();
				gtt_fence_signal(dep, rng_below(&r->seed, 2) ? -ECANCELED : 0);
				rnd_keep(r, dep);
			}
			bi.deps = &dep;
			bi.num_deps = 1;
		}
		struct gtt_vma_info old[R_VMAS];

		for (unsigned int k = 0; k < R_VMAS; k++)
			if (gtt_vma_query(r->f.vm, r->vma[k], &old[k]))
				old[k].bound = false;
		assert_int_equal(gtt_vm_stats(r->f.vm, &before), 0);
		arm(r);
		err = gtt_vma_bind(r->f.vm, r->vma[i], &bi, rng_below(&r->seed, 2) ? &fence : NULL);
		mem_fail_after(0);
		/* Those may fail after the eviction (a queue backend's own
		 * allocation, say): the victims stay evicted (gtt/vm.h). */
		if (err && (strstr(gtt_last_error(), "failed to write the PTEs") ||
			    strstr(gtt_last_error(), "a dependency failed")))
			err = 0;
		rnd_keep(r, fence);
		assert_int_equal(gtt_vm_stats(r->f.vm, &after), 0);
		/* Nothing is evicted unless the bind gets its placement and
		 * what it needs (only its PTE write may fail after that). */
		if (err && after.evictions != before.evictions) {
			print_message("step %u: bind %d evicted %llu\n", r->step, err,
				      (unsigned long long)(after.evictions - before.evictions));
			fail();
		}
		/* A victim overlaps the new range, or touches it (a colour
		 * guard): nothing farther was needed to open it. */
		if (!err && after.evictions != before.evictions) {
			struct gtt_vma_info now, got;

			assert_int_equal(gtt_vma_query(r->f.vm, r->vma[i], &got), 0);
			for (unsigned int k = 0; k < R_VMAS && got.bound; k++) {
				if (!old[k].bound || gtt_vma_query(r->f.vm, r->vma[k], &now) ||
				    now.bound || !now.evicted)
					continue;
				if (old[k].offset + old[k].size + PAGE <= got.offset ||
				    old[k].offset >= got.offset + got.size + PAGE) {
					print_message("step %u: victim [0x%llx, +0x%llx) far from [0x%llx, +0x%llx)\n",
						      r->step, (unsigned long long)old[k].offset,
						      (unsigned long long)old[k].size,
						      (unsigned long long)got.offset,
						      (unsigned long long)got.size);
					fail();
				}
			}
		}
		break;
	}
	case 2:	/* unbind */
		arm(r);
		(void)gtt_vma_unbind(r->f.vm, r->vma[i],
				     idle && rng_below(&r->seed, 2) ? 0 : GTT_UNBIND_ASYNC, &fence);
		rnd_keep(r, fence);
		break;
	case 3:	/* destroy, and a new vma over new pages */
		if (!idle)
			break;
		arm(r);
		(void)gtt_vma_destroy(r->f.vm, r->vma[i]);
		mem_fail_after(0);
		/* Gone, also when it reports a failed clear. */
		if (gtt_vma_query(r->f.vm, r->vma[i], &(struct gtt_vma_info){ 0 }) == -ENOENT) {
			r->pinned[i] = false;
			r->vpages[i] = NULL;
			if (r->nobj < R_OBJS && !r->wedged)
				rnd_new_vma(r, i);
		}
		break;
	case 4: {	/* GPU work */
		struct gtt_fence *g = rnd_pending(r);

		arm(r);
		if (rng_below(&r->seed, 4) == 0)
			(void)gtt_vm_add_active(r->f.vm, g);
		else
			(void)gtt_vma_add_active(r->f.vm, rng_below(&r->seed, 2) ? r->vma[i] : r->sp[s], g);
		break;
	}
	case 5:	/* GPU work ends */
		if (r->npend) {
			unsigned int k = (unsigned int)rng_below(&r->seed, r->npend);

			gtt_fence_signal(r->pend[k], rng_below(&r->seed, 4) ? 0 : -EIO);
		}
		break;
	case 6:
		gtt_executor_run_all(r->f.ex);
		break;
	case 7:	/* the backend fails */
#ifdef GTT_FAIL_XE
		if (r->xf) {
			/* The kernel refuses a batch, or takes it but its
			 * fence cannot be exported. */
			static const unsigned long reqs[] = { DRM_IOCTL_XE_VM_BIND,
				DRM_IOCTL_SYNCOBJ_TRANSFER, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD };

			/* Rarely, late: the device wedges (every later call and
			 * every pending job fails with -ECANCELED). */
			if (r->step > 1000 && !rng_below(&r->seed, 200)) {
				fake_xe_wedge(r->xf);
				r->wedged = true;
			}
			fake_xe_fail(r->xf, reqs[rng_below(&r->seed, 3)],
				     1 + (unsigned int)rng_below(&r->seed, 3), EIO);
		} else
#endif
		if (!r->k)
			(void)gtt_mock_fail_calls(r->f.be, 1 + rng_below(&r->seed, 4),
						  1 + rng_below(&r->seed, 3), -EIO);
		else if (rng_below(&r->seed, 2))
			qk_fail_submit(r->k, -EIO);
		else
			qk_fail_run(r->k, -EIO);
		break;
	case 8:	/* sparse vma bind or unbind */
		if (rng_below(&r->seed, 2)) {
			struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC };

			if (r->guard)
				bi.color = (uint32_t)rng_below(&r->seed, 2);
			arm(r);
			(void)gtt_vma_bind(r->f.vm, r->sp[s], &bi, NULL);
		} else {
			arm(r);
			(void)gtt_vma_unbind(r->f.vm, r->sp[s], GTT_UNBIND_ASYNC, &fence);
			rnd_keep(r, fence);
		}
		break;
	case 9: case 10: {	/* map or unmap inside a sparse vma */
		struct gtt_map_info mi = { .flags = idle && rng_below(&r->seed, 2) ? 0 : GTT_MAP_ASYNC };
		uint64_t off = rng_below(&r->seed, 8), n = 1 + rng_below(&r->seed, 8 - off);

		if (op == 9) {
			uint64_t np = r->obj_pages[r->vobj[i]];

			if (!r->vpages[i])
				break;
			if (n > np)
				n = np;
			mi.pages = r->vpages[i];
			arm(r);
			(void)gtt_vma_map(r->f.vm, r->sp[s], off * PAGE, n * PAGE, &mi, &fence);
		} else {
			arm(r);
			(void)gtt_vma_unmap(r->f.vm, r->sp[s], off * PAGE, n * PAGE, &mi, &fence);
		}
		rnd_keep(r, fence);
		break;
	}
	case 11:	/* hold, or let one go */
		if (r->nholds && rng_below(&r->seed, 2)) {
			gtt_binding_unhold(r->holds[--r->nholds]);
		} else if (r->nholds < 8) {
			if (!gtt_vma_hold(r->f.vm, r->vma[i], &r->holds[r->nholds]))
				r->nholds++;
		}
		break;
	case 14: case 15: {	/* a batch over both sparse vmas, or an object's unmap or move */
		struct gtt_map_info mi = { .flags = idle && rng_below(&r->seed, 2) ? 0 : GTT_MAP_ASYNC };
		unsigned int j = (unsigned int)rng_below(&r->seed, R_VMAS);
		struct gtt_map_op ops[3];
		size_t n = 1 + rng_below(&r->seed, 3);

		if (!r->vpages[i] || !r->vpages[j])
			break;
		if (op == 15) {
			arm(r);
			if (rng_below(&r->seed, 2) || i == j)
				(void)gtt_vm_unmap_pages(r->f.vm, r->vpages[i], &mi, &fence);
			else
				(void)gtt_vm_move_pages(r->f.vm, r->vpages[i], r->vpages[j], &mi, &fence);
			rnd_keep(r, fence);
			break;
		}
		for (size_t k = 0; k < n; k++) {
			uint64_t off = rng_below(&r->seed, 8), len = 1 + rng_below(&r->seed, 8 - off);
			unsigned int kind = (unsigned int)rng_below(&r->seed, 3);

			ops[k] = (struct gtt_map_op){ .kind = kind == 2 ? GTT_OP_UNMAP : GTT_OP_MAP,
						      .vma = r->sp[rng_below(&r->seed, R_SPARSE)],
						      .offset = off * PAGE, .size = len * PAGE };
			if (kind == 1) {
				ops[k].pte_flags = GTT_PTE_NULL;
			} else if (kind == 0) {
				ops[k].pages = r->vpages[i];
				ops[k].size = u64_min(len, r->obj_pages[r->vobj[i]]) * PAGE;
			}
		}
		arm(r);
		(void)gtt_vm_map_batch(r->f.vm, ops, n, &mi, &fence);
		rnd_keep(r, fence);
		break;
	}
	case 16:	/* pin, or unpin (one pin at a time) */
		if (!r->pinned[i])
			r->pinned[i] = !gtt_vma_pin(r->f.vm, r->vma[i]);
		else if (!gtt_vma_unpin(r->f.vm, r->vma[i]) || !r->vpages[i])
			r->pinned[i] = false;
		break;
	case 13:	/* the GPU catches up */
		for (unsigned int k = 0; k < r->npend; k++) {
			gtt_fence_signal(r->pend[k], rng_below(&r->seed, 8) ? 0 : -EIO);
			gtt_fence_put(r->pend[k]);
		}
		r->npend = 0;
		gtt_executor_run_all(r->f.ex);
		break;
	case 12:	/* an allocation of the next call fails */
		r->arm_mem = 1 + rng_below(&r->seed, 6);
		return;
	default: {	/* any call retires and retries */
		struct gtt_vm_stats st;

		(void)gtt_vm_stats(r->f.vm, &st);
		break;
	}
	}
	mem_fail_after(0);
}

/* The backends the random tests run over. */
enum rnd_backend { RND_MOCK, RND_QUEUE, RND_XE };

static void rnd_run(uint64_t seed, bool guard, bool rcu, enum rnd_backend kind,
		    enum gtt_evict_order order, unsigned int steps)
{
	struct rnd *r = calloc(1, sizeof(*r));
	int64_t live = mem_live();
	struct gtt_mock_stats ms;
	struct gtt_vm_stats st;
	struct gtt_range_stats rs;

	assert_non_null(r);
	r->seed = seed;
	r->guard = guard;
	{
		struct gtt_vm_config vc = { .name = "random", .start = VA, .size = R_PAGES * PAGE,
					    .flags = (guard ? GTT_VM_COLOR_GUARD : 0) |
						     (rcu ? GTT_VM_RCU_READERS : 0),
					    .evict_order = order,
					    .evict_roster = order == GTT_EVICT_ROSTER ? rnd_roster : NULL,
					    .evict_roster_arg = r };
		struct gtt_mock_config mc = { .start = VA, .size = R_PAGES * PAGE,
					      .scratch_addr = 0xdead000 };

		r->queue = kind != RND_MOCK;
		if (kind == RND_QUEUE) {
			assert_int_equal(qk_create(VA, R_PAGES * PAGE, &r->k, &r->f.be), 0);
			r->table = qk_table(r->k);
		} else if (kind == RND_MOCK) {
			assert_int_equal(gtt_mock_create(&mc, &r->f.be), 0);
			r->table = r->f.be;
		} else {
#ifdef GTT_FAIL_XE
			struct gtt_xe_info xi;

			r->xf = calloc(1, sizeof(*r->xf));
			assert_non_null(r->xf);
			fake_xe_init(r->xf, &fake_xe_tgl);
			fake_xe_start_thread(r->xf);
			r->sys = fake_xe_sys(r->xf);
			assert_int_equal(gtt_watcher_create(&r->w), 0);
			assert_int_equal(xe_backend_create(FAKE_XE_FD, NULL, r->w, &r->sys, &r->f.be), 0);
			assert_int_equal(gtt_xe_info(r->f.be, &xi), 0);
			r->xe_vm = xi.vm_id;
#endif
		}
		assert_int_equal(gtt_executor_create_manual(&r->f.ex), 0);
		vc.backend = r->f.be;
		vc.executor = r->f.ex;
		assert_int_equal(gtt_vm_create(&vc, &r->f.vm), 0);
		assert_int_equal(gtt_vm_journal_enable(r->f.vm, 1u << 14), 0);
	}
	for (unsigned int i = 0; i < R_VMAS; i++)
		rnd_new_vma(r, i);
	for (unsigned int s = 0; s < R_SPARSE; s++)
		assert_int_equal(gtt_vma_create_sparse(r->f.vm, 8 * PAGE, NULL, &r->sp[s]), 0);
	for (r->step = 0; r->step < steps; r->step++) {
		rnd_step(r);
		if (!r->arm_mem) {
			rnd_check_ptes(r);
			rnd_check_alloc(r);
		}
	}
	mem_fail_after(0);
	r->arm_mem = 0;
	/* The device recovers, the GPU finishes, everything is unbound. */
	if (r->k) {
		qk_fail_submit(r->k, 0);
		qk_fail_run(r->k, 0);
	} else if (!r->queue) {
		assert_int_equal(gtt_mock_fail_call(r->f.be, 0, 0), 0);
	}
#ifdef GTT_FAIL_XE
	if (r->xf)
		fake_xe_fail(r->xf, 0, 0, 0);
#endif
	for (unsigned int i = 0; i < r->npend; i++) {
		gtt_fence_signal(r->pend[i], 0);
		gtt_fence_put(r->pend[i]);
	}
	r->npend = 0;
	while (r->nholds)
		gtt_binding_unhold(r->holds[--r->nholds]);
	gtt_executor_run_all(r->f.ex);
	for (unsigned int i = 0; i < R_VMAS; i++) {
		while (!gtt_vma_unpin(r->f.vm, r->vma[i]))
			;
		(void)gtt_vma_unbind(r->f.vm, r->vma[i], 0, NULL);
	}
	for (unsigned int s = 0; s < R_SPARSE; s++)
		(void)gtt_vma_unbind(r->f.vm, r->sp[s], 0, NULL);
	gtt_executor_run_all(r->f.ex);
	assert_int_equal(gtt_vm_wait_idle(r->f.vm, -1), 0);
	assert_int_equal(gtt_vm_stats(r->f.vm, &st), 0);	/* retries the quarantine */
	assert_int_equal(gtt_vm_stats(r->f.vm, &st), 0);
	rnd_check_ptes(r);
	for (unsigned int i = 0; i < r->ngot; i++) {
		if (!gtt_fence_is_signaled(r->got[i])) {
			print_message("seed 0x%llx: fence %u never signalled\n",
				      (unsigned long long)seed, i);
			fail();
		}
		gtt_fence_put(r->got[i]);
	}
	/* A queue backend's quarantine is retried only by the vm's end. */
	if (!r->queue)
		assert_int_equal(st.quarantined, 0);
	assert_int_equal(st.bound, 0);
	assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(r->f.vm), &rs), 0);
	assert_int_equal(rs.nodes, 0);
	if (!r->queue) {
		assert_int_equal(gtt_mock_stats(r->table, &ms), 0);
		assert_int_equal(ms.valid_entries, 0);
	}
	for (unsigned int i = 0; i < R_VMAS; i++)
		if (r->vpages[i])
			assert_int_equal(gtt_vma_destroy(r->f.vm, r->vma[i]), 0);
	for (unsigned int s = 0; s < R_SPARSE; s++)
		assert_int_equal(gtt_vma_destroy(r->f.vm, r->sp[s]), 0);
	gtt_vm_destroy(r->f.vm);
	/* Destruction cleared what the quarantine held. */
	if (r->table) {
		assert_int_equal(gtt_mock_stats(r->table, &ms), 0);
		assert_int_equal(ms.valid_entries, 0);
	}
#ifdef GTT_FAIL_XE
	if (r->xf && !r->wedged)
		assert_int_equal(fake_xe_extents(r->xf, r->xe_vm), 0);
#endif
	gtt_executor_destroy(r->f.ex);
	gtt_backend_destroy(r->f.be);
#ifdef GTT_FAIL_XE
	if (r->xf) {
		/* The backend never made a call the kernel's rules refuse. */
		if (r->xf->refusals != r->xf->refused[FR_INJECTED] + r->xf->refused[FR_WEDGED])
			fail_msg("the fake refused a call: %s (%s)", fake_xe_rule_name(r->xf->last_rule),
				 fake_xe_rule_source(r->xf->last_rule));
		assert_int_equal(r->xf->unordered_points, 0);
		gtt_watcher_destroy(r->w);
		fake_xe_fini(r->xf);
		free(r->xf);
	}
#endif
	for (unsigned int id = 0; id < r->nobj; id++)
		if (r->freed[id] != 1) {
			print_message("seed 0x%llx: object %u released %d times\n",
				      (unsigned long long)seed, id, r->freed[id]);
			fail();
		}
	assert_int_equal(mem_live(), live);
	free(r);
}

/*
 * Random binds (fixed or not, evicting, with colours under a guard, with
 * a dependency pending or failed), unbinds, destroys, GPU work per vma and
 * per vm, holds, sparse binds, maps and unmaps, with backend calls and
 * allocations made to fail at random: after every step no entry maps
 * released pages, and the vm's journal explains every mapped entry (a
 * mapping of those pages there, not yet cleared); at the end, with the device recovered and everything
 * unbound, nothing is mapped, quarantined or placed, every fence a call
 * gave has signalled and every page object was released once.
 */
/* 16 seeds of GTT_FAIL_STEPS steps (default 2000), half with colour guards,
 * in each eviction order, a quarter with lock-free readers (where built). */
static void rnd_seeds(uint64_t mult, enum rnd_backend kind)
{
	const char *env = getenv("GTT_FAIL_STEPS");
	unsigned int steps = env ? (unsigned int)strtoul(env, NULL, 0) : 2000;

	for (uint64_t seed = 1; seed <= 16; seed++)
		rnd_run(seed * mult, seed & 1, GTT_FAIL_RCU && seed % 4 == 3, kind,
			(enum gtt_evict_order)(seed / 2 % 3), steps);
}

static void test_random_failures(void **state)
{
	(void)state;
	rnd_seeds(0x9E3779B97F4A7C15ull, RND_MOCK);
}

/* The same over a queue backend (a pretend kernel whose submissions or
 * batches fail at random instead of PTE writes). */
static void test_random_failures_queue(void **state)
{
	(void)state;
	rnd_seeds(0xD1B54A32D192ED03ull, RND_QUEUE);
}

#ifdef GTT_FAIL_XE
/* The same over xe VM_BIND (a fake xe kernel): VM_BINDs refused, and
 * batches taken whose fence cannot be exported (failed at once); the fake
 * also checks that no call breaks the kernel's rules. */
static void test_random_failures_xe(void **state)
{
	(void)state;
	rnd_seeds(0x94D049BB133111EBull, RND_XE);
}
#endif

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_add_active_many_refused_keeps_fences),
		T(test_failed_bind_keeps_eviction_record),
		T(test_bind_oom_names_the_call),
		T(test_destroy_while_callbacks_run),
#ifndef GTT_OFF_RCU
		T(test_rcu_failed_bind_releases_pages_in_call),
#endif
		T(test_sync_unbind_oom_with_resv),
		T(test_sync_unbind_oom_with_resv_and_hold),
		T(test_sync_unbind_oom_with_resv_queue),
		T(test_bind_outside_vm_names_the_call),
		T(test_random_failures),
		T(test_random_failures_queue),
#ifdef GTT_FAIL_XE
		T(test_random_failures_xe),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
