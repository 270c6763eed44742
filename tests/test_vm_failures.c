/* SPDX-License-Identifier: MIT */
/*
 * The vm's failure paths, each injected and then checked in the page table,
 * the allocator, the page references and the fences: a backend that fails
 * a PTE write, an invalidation or a clear; memory that runs out in the
 * middle of an unbind, a bind or an eviction; eviction of borrowed pages;
 * the argument checks of fixed binds.
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
#include "base/util.h"

#define VA 0x100000ull
#define VM_SIZE (64 * PAGE)

static bool range_valid(struct fixture *f, uint64_t va, uint64_t npages,
			bool valid)
{
	for (uint64_t i = 0; i < npages; i++)
		if (mock_entry(f, va + i * PAGE).valid != valid)
			return false;
	return true;
}

static struct gtt_vm_stats stats(struct fixture *f)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(f->vm, &st), 0);
	return st;
}

static uint64_t nodes(struct fixture *f)
{
	struct gtt_range_stats rs;

	assert_int_equal(gtt_range_alloc_stats(gtt_vm_range_alloc(f->vm), &rs), 0);
	return rs.nodes;
}

/* Issue #9 item 2: a synchronous bind whose invalidation fails (the PTEs are
 * written by then) puts scratch back before releasing range and pages. */
static void test_failed_invalidate_restores_scratch(void **state)
{
	struct gtt_bind_info at = fixed_at(VA + 4 * PAGE, 0);
	struct gtt_mock_stats ms;
	struct fixture f;
	int freed = 0;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 4, 0, &freed);
	assert_int_equal(gtt_mock_fail_call(f.be, 2, -EIO), 0);	/* call 2: invalidate */
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EIO);
	assert_non_null(strstr(gtt_last_error(), "failed to write the PTEs"));
	assert_true(range_valid(&f, VA + 4 * PAGE, 4, false));
	assert_int_equal(gtt_mock_stats(f.be, &ms), 0);
	assert_int_equal(ms.valid_entries, 0);
	assert_int_equal(nodes(&f), 0);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_int_equal(stats(&f).bound, 0);
	/* The binding holds no page reference any more: the vma's goes last. */
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 1);
	fixture_fini(&f);
}

/* Item 2, deferred: the bind fence carries the error, the range holds
 * scratch, and the vma stays bound until unbound. */
static void test_failed_deferred_bind_restores_scratch(void **state)
{
	struct gtt_fence *dep = new_fence(), *bindf = NULL;
	struct gtt_bind_info at = fixed_at(VA, GTT_BIND_ASYNC);
	struct gtt_vma_info info;
	struct fixture f;
	int freed = 0;
	gtt_vma_t a;

	(void)state;
	at.deps = &dep;
	at.num_deps = 1;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, &bindf), 0);
	assert_int_equal(gtt_mock_fail_call(f.be, 2, -EIO), 0);
	gtt_fence_signal(dep, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bindf), -EIO);
	assert_true(range_valid(&f, VA, 2, false));
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_true(info.bound);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 1);
	gtt_fence_put(bindf);
	gtt_fence_put(dep);
	fixture_fini(&f);
}

/* Items 2 + 3: the clean-up clear fails too.  The range keeps mapping the
 * pages, so they stay referenced and the range stays out of the allocator
 * until a retry clears it. */
static void test_failed_cleanup_quarantines(void **state)
{
	struct gtt_bind_info at = fixed_at(VA + 8 * PAGE, 0);
	struct fixture f;
	int freed = 0, freed2 = 0;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	b = counted_vma(f.vm, 0xb0000000, 2, 0, &freed2);
	/* bind ok, invalidate fails, every clear after it fails. */
	assert_int_equal(gtt_mock_fail_calls(f.be, 2, UINT64_MAX, -EIO), 0);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EIO);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 0);			/* still mapped */
	assert_true(range_valid(&f, VA + 8 * PAGE, 2, true));
	assert_int_equal(stats(&f).quarantined, 1);
	assert_int_equal(nodes(&f), 1);
	/* Nobody else is placed there meanwhile. */
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), -ENOSPC);
	/* The device recovers: the next call clears and releases. */
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_int_equal(freed, 1);
	assert_true(range_valid(&f, VA + 8 * PAGE, 2, false));
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	assert_int_equal(mock_entry(&f, VA + 8 * PAGE).addr, 0xb0000000);
	fixture_fini(&f);
	assert_int_equal(freed2, 1);
}

/* Item 3: a failed clear of an unbind that runs at once.  The caller sees
 * the error, the pages stay referenced while the PTEs map them, the range
 * is kept, and the next unrelated bind there does not inherit the error. */
static void test_failed_clear_inline(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_fence *uf = NULL;
	struct fixture f;
	int freed = 0, freed2 = 0;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 3, 0, &freed);
	b = counted_vma(f.vm, 0xb0000000, 3, 0, &freed2);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_mock_fail_calls(f.be, 1, UINT64_MAX, -EIO), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, &uf), -EIO);
	assert_non_null(strstr(gtt_last_error(), "clear failed"));
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(freed, 0);
	assert_true(range_valid(&f, VA, 3, true));
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), -ENOSPC);
	assert_int_equal(stats(&f).quarantined, 1);
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);	/* no -EIO */
	assert_int_equal(freed, 1);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_int_equal(mock_entry(&f, VA + 2 * PAGE).addr, 0xb0000000 + 2 * PAGE);
	gtt_fence_put(uf);
	fixture_fini(&f);
	assert_int_equal(freed2, 1);
}

/* Borrowed pages (their owner frees the memory once an unbind returns 0):
 * asked for an async unbind, the clear still runs in the call; when it
 * fails the call says so, the entries still reach the memory and the
 * destructor waits until the quarantine's retry has cleared them. */
static void test_failed_clear_borrowed(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_fence *uf = NULL;
	struct fixture f;
	int freed = 0;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 2, GTT_PAGES_BORROWED, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_mock_fail_calls(f.be, 1, UINT64_MAX, -EIO), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), -EIO);
	assert_non_null(strstr(gtt_last_error(), "clear failed"));
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);	/* it was unbound */
	assert_int_equal(freed, 0);
	assert_true(range_valid(&f, VA, 2, true));
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xa0000000 + PAGE);
	/* Every later call retries the clear; while it fails, still held. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(stats(&f).quarantined, 1);
		assert_int_equal(freed, 0);
		assert_true(range_valid(&f, VA, 2, true));
	}
	/* Once the clear succeeds: cleared, then released. */
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_true(range_valid(&f, VA, 2, false));
	assert_int_equal(freed, 1);
	gtt_fence_put(uf);
	fixture_fini(&f);
	assert_int_equal(freed, 1);
}

/* Item 3, deferred: the clear runs on the executor after the GPU work and
 * fails; a bind placed there meanwhile is ordered after it, succeeds, and
 * its write is what makes the old pages unreachable. */
static void test_failed_deferred_clear_overwritten(void **state)
{
	struct gtt_fence *gpu = new_fence(), *uf = NULL, *bf = NULL;
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct fixture f;
	int freed = 0, freed2 = 0;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	b = counted_vma(f.vm, 0xb0000000, 2, 0, &freed2);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	at.flags |= GTT_BIND_ASYNC;
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, &bf), 0);	/* waits for a's clear */
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);	/* a's clear */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(gtt_fence_status(bf), 1);		/* not inherited */
	assert_int_equal(mock_entry(&f, VA).addr, 0xb0000000);
	assert_int_equal(stats(&f).quarantined, 0);		/* overwritten */
	assert_int_equal(freed, 1);
	gtt_fence_put(uf);
	gtt_fence_put(bf);
	gtt_fence_put(gpu);
	fixture_fini(&f);
	assert_int_equal(freed2, 1);
}

/* Item 3, deferred and nobody there: retried at each call until it works. */
static void test_failed_deferred_clear_retried(void **state)
{
	struct gtt_fence *gpu = new_fence(), *uf = NULL;
	struct gtt_bind_info at = fixed_at(VA + PAGE, 0);
	struct fixture f;
	int freed = 0;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(gtt_mock_fail_calls(f.be, 1, UINT64_MAX, -EIO), 0);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(stats(&f).quarantined, 1);
	assert_int_equal(stats(&f).quarantined, 1);
	assert_int_equal(freed, 0);
	assert_true(range_valid(&f, VA + PAGE, 2, true));
	assert_int_equal(gtt_mock_fail_call(f.be, 0, 0), 0);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_int_equal(freed, 1);
	assert_true(range_valid(&f, VA + PAGE, 2, false));
	gtt_fence_put(uf);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/* Item 3: destroying the vm releases what is still quarantined. */
static void test_destroy_releases_quarantine(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct fixture f;
	int freed = 0;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 1, 0, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_mock_fail_calls(f.be, 1, UINT64_MAX, -EIO), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, a), -EIO);
	assert_non_null(strstr(gtt_last_error(), "destroyed"));
	assert_int_equal(freed, 0);
	gtt_vm_destroy(f.vm);
	assert_int_equal(freed, 1);
	gtt_executor_destroy(f.ex);
	gtt_backend_destroy(f.be);
}

/* Item 4: eviction never takes vmas of borrowed pages; the owner of an
 * evicted vma learns it and gets the eviction's fence. */
static void test_evict_skips_borrowed(void **state)
{
	struct gtt_bind_info evict = { .flags = GTT_BIND_EVICT };
	struct gtt_fence *gpu = new_fence(), *last = NULL;
	struct gtt_vma_info info;
	struct fixture f;
	int freed[4] = { 0 }, freed_big = 0;
	gtt_vma_t v[4], big;

	(void)state;
	fixture_init(&f, VA, 4 * PAGE, 0);
	for (int i = 0; i < 4; i++) {
		v[i] = counted_vma(f.vm, 0xa0000000 + i * PAGE, 1,
				   i == 1 ? 0 : GTT_PAGES_BORROWED, &freed[i]);
		assert_int_equal(gtt_vma_bind(f.vm, v[i], NULL, NULL), 0);
	}
	big = counted_vma(f.vm, 0xb0000000, 2, 0, &freed_big);
	/* Only v[1] may go: no two adjacent evictable pages. */
	assert_int_equal(gtt_vma_bind(f.vm, big, &evict, NULL), -ENOSPC);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(gtt_vma_query(f.vm, v[i], &info), 0);
		assert_true(info.bound);
		assert_false(info.evicted);
	}
	gtt_vma_destroy(f.vm, big);
	big = counted_vma(f.vm, 0xb0000000, 1, 0, &freed_big);
	assert_int_equal(gtt_vma_add_active(f.vm, v[1], gpu), 0);
	evict.flags |= GTT_BIND_ASYNC;
	assert_int_equal(gtt_vma_bind(f.vm, big, &evict, NULL), 0);
	assert_int_equal(gtt_vma_query(f.vm, big, &info), 0);
	assert_int_equal(info.offset, VA + PAGE);
	assert_int_equal(gtt_vma_query(f.vm, v[1], &info), 0);
	assert_false(info.bound);
	assert_true(info.evicted);
	assert_int_equal(gtt_vma_unbind(f.vm, v[1], 0, NULL), -ENOENT);
	assert_non_null(strstr(gtt_last_error(), "evicted"));
	assert_int_equal(gtt_vma_last_unbind(f.vm, v[1], &last), 0);
	assert_non_null(last);
	assert_false(gtt_fence_is_signaled(last));	/* GPU still on it */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(last), 1);
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xb0000000);
	gtt_fence_put(last);
	gtt_fence_put(gpu);
	fixture_fini(&f);
	for (int i = 0; i < 4; i++)
		assert_int_equal(freed[i], 1);
}

/* Only an eviction's fence is kept for the vma's owner, until it is bound
 * again; an unbind the owner asked for hands its fence over and keeps no
 * binding alive. */
static void test_last_unbind_only_for_evictions(void **state)
{
	struct gtt_bind_info evict = { .flags = GTT_BIND_EVICT };
	struct gtt_fence *last = NULL;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, PAGE, 0);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	b = make_vma(&f, 0xb0000000, 1, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &last), 0);
	assert_null(last);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_bind(f.vm, b, &evict, NULL), 0);	/* evicts a */
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &last), 0);
	assert_non_null(last);
	gtt_fence_put(last);
	assert_int_equal(gtt_vma_unbind(f.vm, b, 0, NULL), 0);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);	/* placed again */
	assert_int_equal(gtt_vma_last_unbind(f.vm, a, &last), 0);
	assert_null(last);
	fixture_fini(&f);
}

/* Signals @fences once it could take the vm lock: if the waiting call
 * held it, this thread would never get there. */
struct late_signal {
	struct gtt_vm *vm;
	gtt_vma_t probe;
	struct gtt_fence **fences;
	int n;
};

static void *signal_after_lock(void *arg)
{
	struct late_signal *ls = arg;
	struct gtt_vma_info info;

	usleep(20000);
	gtt_vma_query(ls->vm, ls->probe, &info);	/* takes the vm lock */
	for (int i = 0; i < ls->n; i++)
		gtt_fence_signal(ls->fences[i], 0);
	return NULL;
}

/* Item 5: an async or trylock unbind that cannot record its third active
 * fence returns -ENOMEM with nothing changed, and never blocks; a
 * synchronous one waits, without the vm lock. */
static void test_unbind_oom_never_blocks(void **state)
{
	struct gtt_fence *gpu[3];
	struct gtt_vma_info info;
	struct late_signal ls;
	struct fixture f;
	pthread_t t;
	gtt_vma_t a;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	for (int i = 0; i < 3; i++) {
		gpu[i] = new_fence();
		assert_int_equal(gtt_vma_add_active(f.vm, a, gpu[i]), 0);
	}
	for (n = 1; n < 64; n++) {
		mem_fail_after(n);
		err = gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC | GTT_UNBIND_TRYLOCK, NULL);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
		assert_true(info.bound);
		assert_int_equal(info.active, 3);
		assert_true(mock_entry(&f, info.offset).valid);
	}
	assert_true(n > 1);
	assert_int_equal(err, 0);
	assert_int_equal(stats(&f).oom_sync_waits, 0);
	gtt_vma_query(f.vm, a, &info);
	assert_false(info.bound);
	assert_true(mock_entry(&f, VA).valid);	/* clear waits for the GPU */

	/* Synchronous: waits for the fences it could not record, unlocked. */
	for (int i = 0; i < 3; i++)
		gtt_fence_signal(gpu[i], 0);
	gtt_executor_run_all(f.ex);
	assert_false(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	for (int i = 0; i < 3; i++) {
		gtt_fence_put(gpu[i]);
		gpu[i] = new_fence();
		assert_int_equal(gtt_vma_add_active(f.vm, a, gpu[i]), 0);
	}
	ls = (struct late_signal){ .vm = f.vm, .probe = a, .fences = gpu, .n = 3 };
	pthread_create(&t, NULL, signal_after_lock, &ls);
	mem_fail_after(1);	/* the first allocation: the third record */
	err = gtt_vma_unbind(f.vm, a, 0, NULL);
	assert_true(mem_fail_fired());
	mem_fail_after(0);
	pthread_join(t, NULL);
	assert_int_equal(err, 0);
	assert_true(stats(&f).oom_sync_waits >= 1);
	assert_false(mock_entry(&f, VA).valid);
	for (int i = 0; i < 3; i++)
		gtt_fence_put(gpu[i]);
	fixture_fini(&f);
}

/* Item 5 for binds: an async bind that cannot record its dependencies
 * returns -ENOMEM with nothing changed; a synchronous one waits unlocked. */
static void test_bind_oom_never_blocks(void **state)
{
	struct gtt_fence *dep[3], *bf = NULL;
	struct gtt_bind_info at = fixed_at(VA, GTT_BIND_ASYNC);
	struct gtt_vma_info info;
	struct late_signal ls;
	struct fixture f;
	pthread_t t;
	gtt_vma_t a;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	for (int i = 0; i < 3; i++)
		dep[i] = new_fence();
	at.deps = dep;
	at.num_deps = 3;
	a = make_vma(&f, 0xa0000000, 2, NULL);
	for (n = 1; n < 64; n++) {
		mem_fail_after(n);
		err = gtt_vma_bind(f.vm, a, &at, &bf);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_null(bf);
		assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
		assert_false(info.bound);
		assert_int_equal(nodes(&f), 0);
		assert_int_equal(stats(&f).binds, 0);
	}
	assert_int_equal(err, 0);
	assert_false(gtt_fence_is_signaled(bf));
	for (int i = 0; i < 3; i++)
		gtt_fence_signal(dep[i], 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bf), 1);
	gtt_fence_put(bf);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);

	for (int i = 0; i < 3; i++) {
		gtt_fence_put(dep[i]);
		dep[i] = new_fence();
	}
	at.flags = GTT_BIND_FIXED;
	ls = (struct late_signal){ .vm = f.vm, .probe = a, .fences = dep, .n = 3 };
	pthread_create(&t, NULL, signal_after_lock, &ls);
	/* Fail every allocation the first attempt makes after the binding,
	 * its node and its fence: the dependency records. */
	mem_fail_after(4);
	err = gtt_vma_bind(f.vm, a, &at, NULL);
	bool fired = mem_fail_fired();
	mem_fail_after(0);
	pthread_join(t, NULL);
	assert_true(fired);
	assert_int_equal(err, 0);
	assert_true(stats(&f).oom_sync_waits >= 1);
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xa0000000 + PAGE);
	for (int i = 0; i < 3; i++)
		gtt_fence_put(dep[i]);
	fixture_fini(&f);
}

/* Item 12: an EVICT bind that runs out of memory evicts nothing. */
static void test_evict_oom_changes_nothing(void **state)
{
	struct gtt_bind_info evict = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC };
	struct gtt_fence *gpu[8], *bf = NULL;
	struct gtt_vma_info info;
	struct gtt_resv *resv;
	struct fixture f;
	gtt_vma_t v[8], big;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	fixture_init(&f, VA, 8 * PAGE, 0);
	assert_int_equal(gtt_resv_create(&resv), 0);
	for (int i = 0; i < 8; i++) {
		v[i] = make_vma(&f, 0xa0000000 + i * PAGE, 1, resv);
		assert_int_equal(gtt_vma_bind(f.vm, v[i], NULL, NULL), 0);
		gpu[i] = new_fence();
		/* three active fences each: records beyond the inline ones */
		assert_int_equal(gtt_vma_add_active(f.vm, v[i], gpu[i]), 0);
	}
	big = make_vma(&f, 0xb0000000, 8, NULL);
	for (n = 1; n < 256; n++) {
		mem_fail_after(n);
		err = gtt_vma_bind(f.vm, big, &evict, &bf);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(stats(&f).evictions, 0);
		assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 0);
		assert_int_equal(stats(&f).bound, 8);
		for (int i = 0; i < 8; i++) {
			assert_int_equal(gtt_vma_query(f.vm, v[i], &info), 0);
			assert_true(info.bound);
			assert_int_equal(info.active, 1);
			assert_true(mock_entry(&f, VA + i * PAGE).valid);
		}
	}
	assert_int_equal(err, 0);
	assert_int_equal(stats(&f).evictions, 8);
	assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 8);
	for (int i = 0; i < 8; i++)
		gtt_fence_signal(gpu[i], 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bf), 1);
	assert_int_equal(mock_entry(&f, VA + 7 * PAGE).addr, 0xb0000000 + 7 * PAGE);
	for (int i = 0; i < 8; i++)
		gtt_fence_put(gpu[i]);
	gtt_fence_put(bf);
	fixture_fini(&f);
	gtt_resv_destroy(resv);
}

/* An eviction whose clear fails right away: the bind that evicts still
 * gets the range (its write replaces the entries); the victim's pages stay
 * referenced until that write ran. */
static void test_evict_with_failed_clear(void **state)
{
	struct gtt_bind_info evict = fixed_at(VA, GTT_BIND_EVICT);
	struct fixture f;
	int freed = 0, freed_c = 0;
	gtt_vma_t a, c;

	(void)state;
	fixture_init(&f, VA, PAGE, 0);
	a = counted_vma(f.vm, 0xa0000000, 1, 0, &freed);
	c = counted_vma(f.vm, 0xc0000000, 1, 0, &freed_c);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);	/* a's clear */
	assert_int_equal(gtt_vma_bind(f.vm, c, &evict, NULL), 0);
	assert_int_equal(mock_entry(&f, VA).addr, 0xc0000000);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	assert_int_equal(stats(&f).quarantined, 0);
	assert_int_equal(freed, 1);
	fixture_fini(&f);
	assert_int_equal(freed_c, 1);
}

/* Item 14: no arbitrary limit on the number of victims. */
static void test_evict_many_victims(void **state)
{
	struct gtt_bind_info evict = { .flags = GTT_BIND_EVICT };
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t big;

	(void)state;
	fixture_init(&f, 0, 4ull << 20, 0);
	for (int i = 0; i < 1024; i++) {
		gtt_vma_t h = make_vma(&f, 0xa0000000 + i * PAGE, 1, NULL);

		assert_int_equal(gtt_vma_bind(f.vm, h, NULL, NULL), 0);
	}
	big = make_vma(&f, 0xc0000000, 512, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, big, &evict, NULL), 0);
	assert_int_equal(stats(&f).evictions, 512);
	assert_int_equal(gtt_vma_query(f.vm, big, &info), 0);
	assert_true(info.bound);
	assert_int_equal(mock_entry(&f, info.offset + 511 * PAGE).addr, 0xc0000000 + 511 * PAGE);
	fixture_fini(&f);
}

/* Item 13 through the vm: a fixed bind next to a vma of another colour
 * evicts that neighbour (its guard page is in the way). */
static void test_fixed_evict_colour_neighbour(void **state)
{
	struct gtt_bind_info at = fixed_at(0x2000, GTT_BIND_EVICT);
	struct gtt_bind_info one = fixed_at(0x1000, 0);
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, 0, 16 * PAGE, GTT_VM_COLOR_GUARD);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	b = make_vma(&f, 0xb0000000, 1, NULL);
	one.color = 1;
	assert_int_equal(gtt_vma_bind(f.vm, a, &one, NULL), 0);
	at.color = 2;
	at.flags &= ~GTT_BIND_EVICT;
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), -ENOSPC);
	at.flags |= GTT_BIND_EVICT;
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_true(info.evicted);
	assert_int_equal(stats(&f).evictions, 1);
	assert_false(mock_entry(&f, 0x1000).valid);
	assert_int_equal(mock_entry(&f, 0x2000).addr, 0xb0000000);
	fixture_fini(&f);
}

struct find { struct gtt_fence *f; bool found; };

static int find_fence(void *arg, struct gtt_fence *fence, enum gtt_resv_usage usage)
{
	struct find *fd = arg;

	(void)usage;
	fd->found |= fence == fd->f;
	return 0;
}

/* Item 21: the unbind fence always lands in the vma's resv, also shared by
 * two vms and with memory running out; reservations never pile up. */
static void test_unbind_fence_always_in_resv(void **state)
{
	struct gtt_fence *gpu = new_fence(), *uf = NULL;
	struct fixture f, g;
	struct gtt_resv *resv;
	gtt_vma_t a, b;
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	fixture_init(&g, VA, VM_SIZE, 0);
	assert_int_equal(gtt_resv_create(&resv), 0);
	a = make_vma(&f, 0xa0000000, 1, resv);
	b = make_vma(&g, 0xa0000000, 1, resv);
	for (int i = 0; i < 70000; i++) {	/* more than a resv holds */
		assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
		assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	}
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_bind(g.vm, b, NULL, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_add_active(g.vm, b, gpu), 0);
	for (n = 1; n < 64; n++) {
		struct find fd = { 0 };

		mem_fail_after(n);
		err = gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (err) {
			assert_true(fired);
			assert_int_equal(err, -ENOMEM);
			continue;
		}
		fd.f = uf;
		assert_int_equal(gtt_resv_for_each(resv, GTT_RESV_BOOKKEEP, find_fence, &fd), 0);
		assert_true(fd.found);
		break;
	}
	assert_int_equal(err, 0);
	assert_int_equal(gtt_vma_unbind(g.vm, b, GTT_UNBIND_ASYNC, NULL), 0);
	assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 2);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	gtt_executor_run_all(g.ex);
	assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 0);
	gtt_fence_put(uf);
	gtt_fence_put(gpu);
	fixture_fini(&f);
	fixture_fini(&g);
	gtt_resv_destroy(resv);
}

/* Issue #11: bind part of a buffer from any page of it. */
static void test_bind_from_pages_offset(void **state)
{
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_pages_segment segs[2] = {
		{ .addr = 0xa0000000, .length = 8 * PAGE },
		{ .addr = 0xb0000000, .length = 8 * PAGE },
	};
	struct gtt_vma_info info;
	struct gtt_pages *p;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	assert_int_equal(gtt_pages_create(segs, 2, 0, &p), 0);
	assert_int_equal(gtt_vma_create(f.vm, p, NULL, &a), 0);
	assert_int_equal(gtt_vma_create(f.vm, p, NULL, &b), 0);
	gtt_pages_put(p);
	/* 4 pages from page 6: the end of one segment, the start of the next. */
	at.pages_offset = 6 * PAGE;
	at.size = 4 * PAGE;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(mock_entry(&f, VA).addr, 0xa0000000 + 6 * PAGE);
	assert_int_equal(mock_entry(&f, VA + PAGE).addr, 0xa0000000 + 7 * PAGE);
	assert_int_equal(mock_entry(&f, VA + 2 * PAGE).addr, 0xb0000000);
	assert_int_equal(mock_entry(&f, VA + 3 * PAGE).addr, 0xb0000000 + PAGE);
	assert_false(mock_entry(&f, VA + 4 * PAGE).valid);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_int_equal(info.pages_offset, 6 * PAGE);
	assert_int_equal(info.size, 4 * PAGE);
	/* size 0: what is left from the offset; the same pages a second time. */
	at = (struct gtt_bind_info){ .pages_offset = 12 * PAGE };
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	assert_int_equal(gtt_vma_query(f.vm, b, &info), 0);
	assert_int_equal(info.size, 4 * PAGE);
	assert_int_equal(mock_entry(&f, info.offset).addr, 0xb0000000 + 4 * PAGE);
	assert_int_equal(gtt_vma_unbind(f.vm, b, 0, NULL), 0);
	/* Bad offsets and sizes change nothing. */
	at = (struct gtt_bind_info){ .pages_offset = 100 };
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), -EINVAL);
	at = (struct gtt_bind_info){ .pages_offset = 16 * PAGE };
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), -EINVAL);
	at = (struct gtt_bind_info){ .pages_offset = 14 * PAGE, .size = 4 * PAGE };
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), -EINVAL);
	assert_int_equal(stats(&f).bound, 1);
	assert_int_equal(nodes(&f), 1);
	fixture_fini(&f);
}

/* Issue #11: work recorded for the whole vm orders every unbind and unmap;
 * a batch of vmas gets a fence all or nothing. */
static void test_vm_wide_active(void **state)
{
	struct gtt_fence *gpu = new_fence(), *gpu2 = new_fence(), *uf = NULL;
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t v[3];
	uint64_t n;
	int err = -ENOMEM;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	for (int i = 0; i < 3; i++) {
		v[i] = make_vma(&f, 0xa0000000 + i * PAGE, 1, NULL);
		assert_int_equal(gtt_vma_bind(f.vm, v[i], NULL, NULL), 0);
	}
	assert_int_equal(gtt_vm_add_active(f.vm, gpu), 0);
	assert_int_equal(gtt_vma_query(f.vm, v[0], &info), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, v[0], GTT_UNBIND_ASYNC, &uf), 0);
	gtt_executor_run_all(f.ex);
	assert_false(gtt_fence_is_signaled(uf));
	assert_true(mock_entry(&f, info.offset).valid);	/* GPU may still use it */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(uf), 1);
	assert_false(mock_entry(&f, info.offset).valid);
	gtt_fence_put(uf);
	/* Many vmas: one unknown one makes the whole call fail, changing nothing. */
	gtt_vma_t list[4] = { v[1], v[2], v[1], 12345 };
	assert_int_equal(gtt_vma_add_active_many(f.vm, list, 4, gpu2), -ENOENT);
	assert_int_equal(gtt_vma_query(f.vm, v[1], &info), 0);
	assert_int_equal(info.active, 0);
	for (n = 1; n < 20; n++) {
		mem_fail_after(n);
		err = gtt_vma_add_active_many(f.vm, list, 3, gpu2);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(gtt_vma_query(f.vm, v[1], &info), 0);
		assert_int_equal(info.active, 0);
		assert_int_equal(gtt_vma_query(f.vm, v[2], &info), 0);
		assert_int_equal(info.active, 0);
	}
	assert_int_equal(err, 0);
	assert_int_equal(gtt_vma_query(f.vm, v[1], &info), 0);
	assert_int_equal(info.active, 1);
	assert_int_equal(gtt_vma_unbind(f.vm, v[2], GTT_UNBIND_ASYNC, &uf), 0);
	gtt_executor_run_all(f.ex);
	assert_false(gtt_fence_is_signaled(uf));
	gtt_fence_signal(gpu2, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(uf), 1);
	gtt_fence_put(uf);
	gtt_fence_put(gpu);
	gtt_fence_put(gpu2);
	fixture_fini(&f);
}

/* Item 15: fixed binds honour alignment and the range limits. */
static void test_fixed_bind_checks(void **state)
{
	struct gtt_bind_info at = fixed_at(0x101000, 0);
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, 0, 8ull << 20, 0);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	at.alignment = 0x10000;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "aligned"));
	at = fixed_at(2ull << 20, 0);
	at.range_end = 1ull << 20;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EINVAL);
	at = fixed_at(0x3000, 0);
	at.range_start = 0x4000;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EINVAL);
	at = fixed_at(0x3000, 0);
	at.alignment = 3 * PAGE;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "power of two"));
	at = (struct gtt_bind_info){ .alignment = 3 * PAGE };
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -EINVAL);
	assert_int_equal(nodes(&f), 0);
	assert_int_equal(stats(&f).binds, 0);
	/* The same, well formed, work. */
	at = fixed_at(0x110000, 0);
	at.alignment = 0x10000;
	at.range_end = 0x120000;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	fixture_fini(&f);
}

/* Item 19: an async bind with an already failed dependency reports it on
 * the bind fence; a synchronous one says so without stale text. */
static void test_failed_dependency_reporting(void **state)
{
	struct gtt_fence *dep = new_fence(), *bf = NULL;
	struct gtt_bind_info at = fixed_at(VA, GTT_BIND_ASYNC);
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	gtt_fence_signal(dep, -ECANCELED);
	at.deps = &dep;
	at.num_deps = 1;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, &bf), 0);
	assert_int_equal(gtt_fence_status(bf), -ECANCELED);
	assert_false(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_true(info.bound);
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	gtt_fence_put(bf);
	/* An unrelated earlier failure must not show up in the message. */
	assert_int_equal(gtt_vma_unbind(f.vm, 12345, 0, NULL), -ENOENT);
	at.flags = GTT_BIND_FIXED;
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), -ECANCELED);
	assert_non_null(strstr(gtt_last_error(), "dependency"));
	assert_null(strstr(gtt_last_error(), "unknown vma"));
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_false(info.bound);
	gtt_fence_put(dep);
	fixture_fini(&f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_failed_invalidate_restores_scratch),
		T(test_failed_deferred_bind_restores_scratch),
		T(test_failed_cleanup_quarantines),
		T(test_failed_clear_inline),
		T(test_failed_clear_borrowed),
		T(test_failed_deferred_clear_overwritten),
		T(test_failed_deferred_clear_retried),
		T(test_destroy_releases_quarantine),
		T(test_evict_skips_borrowed),
		T(test_last_unbind_only_for_evictions),
		T(test_unbind_oom_never_blocks),
		T(test_bind_oom_never_blocks),
		T(test_evict_oom_changes_nothing),
		T(test_evict_with_failed_clear),
		T(test_evict_many_victims),
		T(test_fixed_evict_colour_neighbour),
		T(test_unbind_fence_always_in_resv),
		T(test_bind_from_pages_offset),
		T(test_vm_wide_active),
		T(test_fixed_bind_checks),
		T(test_failed_dependency_reporting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
