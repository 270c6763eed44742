/* SPDX-License-Identifier: MIT */
/*
 * The rules of DESIGN.md ("The rules the seed establishes"), one test each,
 * on the mock backend.  Most use a manual executor so every step of the
 * deferred work is observable.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "vm/vm_internal.h"

#define VA 0x100000ull
#define VM_SIZE (256 * PAGE)

/* Rule 1: unbind returns at once; the range is reusable immediately; the
 * PTE clear waits for the vma's active fences. */
static void test_unbind_async_returns_at_once(void **state)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL;
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 4, NULL);
	b = make_vma(&f, 0xb0000000, 4, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);

	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	assert_false(gtt_fence_is_signaled(unbind));
	assert_int_equal(gtt_vma_query(f.vm, a, &info), 0);
	assert_false(info.bound);
	/* GPU still uses the mapping: PTEs untouched, nothing queued. */
	assert_int_equal(mock_entry(&f, VA).addr, 0xa0000000);
	assert_true(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_executor_pending(f.ex), 0);
	/* The VA is free the moment unbind returned. */
	at.flags |= GTT_BIND_ASYNC;
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	assert_int_equal(gtt_vm_lookup(f.vm, VA, &a, NULL), 0);
	assert_true(a == b);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(unbind), 1);
	assert_int_equal(mock_entry(&f, VA).addr, 0xb0000000);
	gtt_fence_put(unbind);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/* Rule 2: a bind overlapping a pending unbind never writes before the clear. */
static void test_bind_ordered_after_pending_unbind(void **state)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL, *bindf = NULL;
	struct gtt_bind_info at = fixed_at(VA + 2 * PAGE, GTT_BIND_ASYNC);
	struct gtt_vm_stats st;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 4, NULL);
	b = make_vma(&f, 0xb0000000, 4, NULL);
	struct gtt_bind_info at_a = fixed_at(VA, 0);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at_a, NULL), 0);
	gtt_vma_add_active(f.vm, a, gpu);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	/* b overlaps a's last two pages. */
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, &bindf), 0);
	assert_false(gtt_fence_is_signaled(bindf));
	gtt_vm_stats(f.vm, &st);
	assert_int_equal(st.bind_waits_on_unbind, 1);
	assert_int_equal(st.pending_unbinds, 1);
	assert_int_equal(mock_entry(&f, VA + 2 * PAGE).addr, 0xa0000000 + 2 * PAGE);

	gtt_fence_signal(gpu, 0);
	/* Step 1: a's clear.  b's write has not happened yet. */
	assert_int_equal(gtt_executor_run_one(f.ex), 1);
	assert_true(gtt_fence_is_signaled(unbind));
	assert_false(gtt_fence_is_signaled(bindf));
	assert_false(mock_entry(&f, VA + 2 * PAGE).valid);
	/* Step 2: b's write, after the clear, so it survives. */
	assert_int_equal(gtt_executor_run_one(f.ex), 1);
	assert_int_equal(gtt_fence_status(bindf), 1);
	for (int i = 0; i < 4; i++) {
		struct gtt_mock_entry e = mock_entry(&f, VA + (2 + i) * PAGE);

		assert_true(e.valid);
		assert_int_equal(e.addr, 0xb0000000 + i * PAGE);
	}
	assert_false(mock_entry(&f, VA).valid);
	assert_false(mock_entry(&f, VA + PAGE).valid);
	gtt_vm_stats(f.vm, &st);
	assert_int_equal(st.pending_unbinds, 0);	/* retired */
	gtt_fence_put(bindf);
	gtt_fence_put(unbind);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/* Rule 2, colour guards: the range is widened by a page on each side. */
static void check_adjacent_bind(unsigned int vm_flags, bool expect_wait)
{
	struct gtt_fence *gpu = new_fence(), *bindf = NULL;
	struct gtt_bind_info at_a = fixed_at(VA + 4 * PAGE, 0);
	struct gtt_bind_info at_b = fixed_at(VA + 6 * PAGE, GTT_BIND_ASYNC);
	struct fixture f;
	gtt_vma_t a, b;

	fixture_init(&f, VA, VM_SIZE, vm_flags);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	b = make_vma(&f, 0xb0000000, 2, NULL);
	at_b.color = 1;			/* a different colour from a */
	assert_int_equal(gtt_vma_bind(f.vm, a, &at_a, NULL), 0);
	gtt_vma_add_active(f.vm, a, gpu);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), 0);
	assert_int_equal(gtt_vma_bind(f.vm, b, &at_b, &bindf), 0);
	assert_int_equal(gtt_fence_is_signaled(bindf), !expect_wait);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bindf), 1);
	assert_true(mock_entry(&f, VA + 6 * PAGE).valid);
	gtt_fence_put(bindf);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

static void test_color_guard_widens_overlap(void **state)
{
	(void)state;
	check_adjacent_bind(GTT_VM_COLOR_GUARD, true);
	check_adjacent_bind(0, false);
}

/* Rule 3: nothing pending, so the unbind runs at once in the caller. */
static void test_immediate_unbind(void **state)
{
	struct gtt_fence *unbind = NULL;
	struct gtt_mock_stats ms;
	struct gtt_vm_stats st;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 3, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	assert_int_equal(gtt_fence_status(unbind), 1);
	assert_int_equal(gtt_executor_pending(f.ex), 0);	/* no worker hop */
	gtt_mock_stats(f.be, &ms);
	assert_int_equal(ms.clear_calls, 1);
	assert_int_equal(ms.valid_entries, 0);
	gtt_vm_stats(f.vm, &st);
	assert_int_equal(st.unbinds_immediate, 1);
	assert_int_equal(st.unbinds_deferred, 0);
	assert_int_equal(st.pending_unbinds, 0);
	gtt_fence_put(unbind);
	fixture_fini(&f);
}

/* Rule 4: a hold delays the unbind fence (and keeps the pages). */
static void test_hold_delays_unbind_fence(void **state)
{
	struct gtt_fence *unbind = NULL;
	struct gtt_binding *held = NULL;
	struct gtt_pages *p = make_pages(0xa0000000, 2, 0);
	struct fixture f;
	int released = 0;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	gtt_pages_set_destructor(p, count_release, &released);
	assert_int_equal(gtt_vma_create(f.vm, p, NULL, &a), 0);
	gtt_pages_put(p);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	assert_int_equal(gtt_vma_hold(f.vm, a, &held), 0);
	assert_int_equal(gtt_binding_offset(held), VA);
	assert_int_equal(gtt_binding_size(held), 2 * PAGE);
	assert_ptr_equal(gtt_binding_pages(held), p);

	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	/* The clear ran, but the fence waits for the hold; pages stay alive. */
	assert_false(mock_entry(&f, VA).valid);
	assert_false(gtt_fence_is_signaled(unbind));
	assert_int_equal(released, 0);
	assert_int_equal(gtt_vm_wait_idle(f.vm, 0), -ETIME);
	gtt_binding_unhold(held);
	assert_int_equal(gtt_fence_status(unbind), 1);
	assert_int_equal(released, 1);
	assert_int_equal(gtt_vm_wait_idle(f.vm, 0), 0);
	gtt_fence_put(unbind);
	fixture_fini(&f);
}

/* Rule 5: borrowed pages cannot outlive the call, so unbind is synchronous. */
static void test_borrowed_pages_unbind_sync(void **state)
{
	struct gtt_pages *p = make_pages(0xa0000000, 1, GTT_PAGES_BORROWED);
	struct gtt_fence *gpu = new_fence(), *unbind = NULL;
	struct delayed d = { .f = gpu, .us = 20000 };
	struct fixture f;
	pthread_t t;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	assert_int_equal(gtt_vma_create(f.vm, p, NULL, &a), 0);
	gtt_pages_put(p);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), 0);
	gtt_vma_add_active(f.vm, a, gpu);
	pthread_create(&t, NULL, signal_later, &d);
	/* Asked for async; gets sync (the manual executor is helped). */
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	assert_true(gtt_fence_is_signaled(gpu));
	assert_int_equal(gtt_fence_status(unbind), 1);
	assert_false(mock_entry(&f, VA).valid);
	pthread_join(t, NULL);
	gtt_fence_put(unbind);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/* Rule 6a: a closed vm skips backend work but still signals every fence. */
static void test_closed_vm(void **state)
{
	struct gtt_fence *gpu = new_fence(), *u1 = NULL, *u2 = NULL;
	struct gtt_mock_stats before, after;
	struct fixture f;
	gtt_vma_t a, b;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	b = make_vma(&f, 0xb0000000, 1, NULL);
	gtt_vma_bind(f.vm, a, NULL, NULL);
	gtt_vma_bind(f.vm, b, NULL, NULL);
	gtt_vma_add_active(f.vm, b, gpu);
	gtt_mock_stats(f.be, &before);
	gtt_vm_close(f.vm);
	assert_true(gtt_vm_is_closed(f.vm));
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, &u1), 0);
	assert_int_equal(gtt_fence_status(u1), 1);
	assert_int_equal(gtt_vma_unbind(f.vm, b, GTT_UNBIND_ASYNC, &u2), 0);
	assert_false(gtt_fence_is_signaled(u2));
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(u2), 1);
	gtt_mock_stats(f.be, &after);
	assert_int_equal(after.clear_calls, before.clear_calls);
	assert_int_equal(after.invalidations, before.invalidations);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), -ESHUTDOWN);
	gtt_fence_put(u1);
	gtt_fence_put(u2);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

/* A backend wrapper that records whether the vm lock was free during clear. */
struct lock_probe {
	struct gtt_backend *mock;
	struct gtt_vm *vm;
	_Atomic int clears;
	_Atomic int lock_was_held;
};

static int probe_bind(void *priv, uint64_t s, uint64_t n,
		      const struct gtt_pages *p, uint64_t off, uint32_t fl)
{
	struct lock_probe *lp = priv;

	return lp->mock->ops->bind(lp->mock->priv, s, n, p, off, fl);
}

static int probe_clear(void *priv, uint64_t s, uint64_t n)
{
	struct lock_probe *lp = priv;

	if (pthread_mutex_trylock(&lp->vm->lock) == 0)
		pthread_mutex_unlock(&lp->vm->lock);
	else
		lp->lock_was_held = 1;
	lp->clears++;
	return lp->mock->ops->clear(lp->mock->priv, s, n);
}

static int probe_invalidate(void *priv)
{
	struct lock_probe *lp = priv;

	return lp->mock->ops->invalidate(lp->mock->priv);
}

static const struct gtt_backend_ops probe_ops = {
	.name = "lock-probe", .bind = probe_bind, .clear = probe_clear,
	.invalidate = probe_invalidate,
};

struct destroyer { struct gtt_vm *vm; _Atomic int done; };

static void *destroy_thread(void *arg)
{
	struct destroyer *d = arg;

	gtt_vm_destroy(d->vm);
	d->done = 1;
	return NULL;
}

/* Rule 6b: destroy waits for pending unbinds without holding the vm lock. */
static void test_destroy_waits_without_lock(void **state)
{
	struct gtt_mock_config mc = { .start = VA, .size = VM_SIZE };
	struct lock_probe lp = { 0 };
	struct gtt_vm_config vc = { .start = VA, .size = VM_SIZE };
	struct gtt_backend *be;
	struct gtt_executor *pool;
	struct gtt_fence *gpu = new_fence();
	struct destroyer d = { 0 };
	struct gtt_pages *p = make_pages(0xa0000000, 1, 0);
	pthread_t t;
	gtt_vma_t a;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &lp.mock), 0);
	assert_int_equal(gtt_backend_create(&probe_ops, &lp, &be), 0);
	assert_int_equal(gtt_executor_create_pool(1, &pool), 0);
	vc.backend = be;
	vc.executor = pool;
	assert_int_equal(gtt_vm_create(&vc, &lp.vm), 0);
	assert_int_equal(gtt_vma_create(lp.vm, p, NULL, &a), 0);
	gtt_pages_put(p);
	gtt_vma_bind(lp.vm, a, NULL, NULL);
	gtt_vma_add_active(lp.vm, a, gpu);
	assert_int_equal(gtt_vma_unbind(lp.vm, a, GTT_UNBIND_ASYNC, NULL), 0);

	d.vm = lp.vm;
	pthread_create(&t, NULL, destroy_thread, &d);
	usleep(20000);
	assert_int_equal(d.done, 0);		/* still waiting for the GPU */
	gtt_fence_signal(gpu, 0);
	pthread_join(t, NULL);
	assert_int_equal(d.done, 1);
	assert_int_equal(lp.clears, 1);
	assert_int_equal(lp.lock_was_held, 0);	/* worker ran with the lock free */
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);
	gtt_backend_destroy(lp.mock);
	gtt_fence_put(gpu);
}

/* Beyond the seed: a worker never blocks on the vm lock to retire an unbind. */
static void test_worker_retires_without_vm_lock(void **state)
{
	struct gtt_mock_config mc = { .start = VA, .size = VM_SIZE };
	struct gtt_vm_config vc = { .start = VA, .size = VM_SIZE };
	struct gtt_fence *gpu = new_fence(), *unbind = NULL;
	struct gtt_executor *pool;
	struct gtt_vm_stats st;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	struct gtt_pages *p = make_pages(0xa0000000, 1, 0);
	gtt_vma_t a;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(gtt_executor_create_pool(1, &pool), 0);
	vc.backend = be;
	vc.executor = pool;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	gtt_vma_create(vm, p, NULL, &a);
	gtt_pages_put(p);
	gtt_vma_bind(vm, a, NULL, NULL);
	gtt_vma_add_active(vm, a, gpu);
	gtt_vma_unbind(vm, a, GTT_UNBIND_ASYNC, &unbind);

	pthread_mutex_lock(&vm->lock);		/* someone sits on the vm lock */
	gtt_fence_signal(gpu, 0);
	/* The worker clears and signals anyway (5 s is "forever" here). */
	assert_int_equal(gtt_fence_wait(unbind, 5000000000ll), 0);
	assert_int_equal(gtt_vm_wait_idle(vm, 5000000000ll), 0);
	assert_int_equal(vm->pending.count, 1);	/* tree untouched, lock held */
	pthread_mutex_unlock(&vm->lock);
	gtt_vm_stats(vm, &st);			/* next locked call retires it */
	assert_int_equal(st.pending_unbinds, 0);
	gtt_fence_put(unbind);
	gtt_fence_put(gpu);
	gtt_vm_destroy(vm);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);
}

struct locker { struct gtt_vm *vm; _Atomic int state; };

static void *hold_lock(void *arg)
{
	struct locker *l = arg;

	pthread_mutex_lock(&l->vm->lock);
	l->state = 1;
	while (l->state != 2)
		usleep(100);
	pthread_mutex_unlock(&l->vm->lock);
	return NULL;
}

/* Rule 7a: trylock returns -EBUSY instead of blocking, with nothing changed. */
static void test_trylock_busy(void **state)
{
	struct locker l = { 0 };
	struct gtt_vma_info info;
	struct fixture f;
	pthread_t t;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 1, NULL);
	gtt_vma_bind(f.vm, a, NULL, NULL);
	l.vm = f.vm;
	pthread_create(&t, NULL, hold_lock, &l);
	while (l.state != 1)
		usleep(100);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC | GTT_UNBIND_TRYLOCK, NULL), -EBUSY);
	l.state = 2;
	pthread_join(t, NULL);
	gtt_vma_query(f.vm, a, &info);
	assert_true(info.bound);
	assert_true(mock_entry(&f, info.offset).valid);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC | GTT_UNBIND_TRYLOCK, NULL), 0);
	fixture_fini(&f);
}

/* Signal @f[0..n) after 20 ms, from another thread. */
struct later { struct gtt_fence **f; int n; };

static void *signal_all_later(void *arg)
{
	struct later *l = arg;

	usleep(20000);
	for (int i = 0; i < l->n; i++)
		gtt_fence_signal(l->f[i], 0);
	return NULL;
}

/* Rule 7b: without memory to record a dependency, an async bind fails with
 * nothing changed; a synchronous one waits for it (unlocked) instead. */
static void test_oom_dependency_falls_back_to_wait(void **state)
{
	struct gtt_fence *gpu[3], *bindf = NULL;
	struct later l = { .f = gpu, .n = 2 };
	struct gtt_range_stats rs;
	struct gtt_vm_stats st;
	struct fixture f;
	gtt_vma_t v[3], b;
	pthread_t t;
	uint64_t n;
	int err;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	for (int i = 0; i < 3; i++) {
		struct gtt_bind_info at = fixed_at(VA + i * PAGE, 0);

		gpu[i] = new_fence();
		v[i] = make_vma(&f, 0xa0000000 + i * PAGE, 1, NULL);
		gtt_vma_bind(f.vm, v[i], &at, NULL);
		gtt_vma_add_active(f.vm, v[i], gpu[i]);
		gtt_vma_unbind(f.vm, v[i], GTT_UNBIND_ASYNC, NULL);
	}
	b = make_vma(&f, 0xb0000000, 3, NULL);
	gtt_fence_signal(gpu[2], 0);	/* the third unbind can complete */
	/* b overlaps all three: the third dependency record is a malloc. */
	struct gtt_bind_info at = fixed_at(VA, GTT_BIND_ASYNC);
	for (n = 1; n < 20; n++) {
		mem_fail_after(n);
		err = gtt_vma_bind(f.vm, b, &at, &bindf);
		int fired = mem_fail_fired();

		mem_fail_after(0);
		if (!fired)
			break;
		assert_int_equal(err, -ENOMEM);
		gtt_range_alloc_stats(gtt_vm_range_alloc(f.vm), &rs);
		assert_int_equal(rs.nodes, 0);
		gtt_vm_stats(f.vm, &st);
		assert_int_equal(st.binds, 3);
	}
	assert_int_equal(err, 0);
	gtt_vm_stats(f.vm, &st);
	assert_int_equal(st.oom_sync_waits, 0);
	assert_int_equal(gtt_vma_unbind(f.vm, b, GTT_UNBIND_ASYNC, NULL), 0);

	/* Synchronous: the binding, its node, its fence, then the record. */
	at.flags = GTT_BIND_FIXED;
	pthread_create(&t, NULL, signal_all_later, &l);
	mem_fail_after(4);
	err = gtt_vma_bind(f.vm, b, &at, NULL);
	assert_true(mem_fail_fired());
	mem_fail_after(0);
	pthread_join(t, NULL);
	assert_int_equal(err, 0);
	gtt_vm_stats(f.vm, &st);
	assert_int_equal(st.oom_sync_waits, 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mock_entry(&f, VA + i * PAGE).addr, 0xb0000000 + i * PAGE);
		gtt_fence_put(gpu[i]);
	}
	gtt_fence_put(bindf);
	fixture_fini(&f);
}

/* Unbind waits for the vma's active fences and for its own async bind. */
static void test_unbind_waits_active_and_bind(void **state)
{
	struct gtt_fence *migrate = new_fence(), *gpu = new_fence();
	struct gtt_fence *bindf = NULL, *unbind = NULL;
	struct gtt_bind_info async = { .flags = GTT_BIND_ASYNC,
				       .deps = &migrate, .num_deps = 1 };
	struct gtt_mock_stats ms;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, a, &async, &bindf), 0);
	assert_false(mock_entry(&f, VA).valid);		/* waits for migrate */
	gtt_vma_add_active(f.vm, a, gpu);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_executor_pending(f.ex), 0);
	gtt_fence_signal(migrate, 0);
	assert_int_equal(gtt_executor_run_one(f.ex), 1);	/* the bind */
	assert_true(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_executor_run_all(f.ex), 0);	/* unbind still waits for gpu */
	assert_false(gtt_fence_is_signaled(unbind));
	gtt_fence_signal(gpu, 0);
	assert_int_equal(gtt_executor_run_all(f.ex), 1);
	assert_false(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_fence_status(unbind), 1);
	gtt_mock_stats(f.be, &ms);
	assert_int_equal(ms.bind_calls, 1);
	assert_int_equal(ms.clear_calls, 1);
	gtt_fence_put(bindf);
	gtt_fence_put(unbind);
	gtt_fence_put(migrate);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

static void test_pin_double_unbind_resv(void **state)
{
	struct gtt_fence *gpu = new_fence(), *unbind = NULL;
	struct gtt_resv *resv;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	gtt_resv_create(&resv);
	a = make_vma(&f, 0xa0000000, 1, resv);
	assert_int_equal(gtt_vma_pin(f.vm, a), -ENOENT);	/* unbound */
	gtt_vma_bind(f.vm, a, NULL, NULL);
	assert_int_equal(gtt_vma_pin(f.vm, a), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), -EAGAIN);
	assert_int_equal(gtt_vma_destroy(f.vm, a), -EAGAIN);
	assert_true(mock_entry(&f, VA).valid);
	assert_int_equal(gtt_vma_unpin(f.vm, a), 0);
	assert_int_equal(gtt_vma_unpin(f.vm, a), -EINVAL);
	gtt_vma_add_active(f.vm, a, gpu);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &unbind), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), -ENOENT);
	/* The unbind fence went into the resv as bookkeeping. */
	assert_int_equal(gtt_resv_count(f.vm ? resv : NULL, GTT_RESV_READ), 0);
	assert_int_equal(gtt_resv_count(resv, GTT_RESV_BOOKKEEP), 1);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_resv_wait(resv, GTT_RESV_BOOKKEEP, 0), 0);
	gtt_fence_put(unbind);
	gtt_fence_put(gpu);
	fixture_fini(&f);
	gtt_resv_destroy(resv);
}

static void test_bind_failures_leave_state(void **state)
{
	struct gtt_fence *dep = new_fence(), *bindf = NULL;
	struct gtt_bind_info async = { .flags = GTT_BIND_ASYNC, .deps = &dep,
				       .num_deps = 1 };
	struct gtt_range_stats rs;
	struct gtt_vma_info info;
	struct fixture f;
	gtt_vma_t a;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	/* Backend fails the PTE write of a synchronous bind. */
	gtt_mock_fail_call(f.be, 1, -EIO);
	assert_int_equal(gtt_vma_bind(f.vm, a, NULL, NULL), -EIO);
	assert_non_null(strstr(gtt_last_error(), "mock"));
	gtt_vma_query(f.vm, a, &info);
	assert_false(info.bound);
	gtt_range_alloc_stats(gtt_vm_range_alloc(f.vm), &rs);
	assert_int_equal(rs.nodes, 0);
	/* A failed dependency: the bind fence carries it, nothing is written. */
	assert_int_equal(gtt_vma_bind(f.vm, a, &async, &bindf), 0);
	gtt_fence_signal(dep, -EIO);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bindf), -EIO);
	assert_false(mock_entry(&f, VA).valid);
	gtt_fence_put(bindf);
	/* Synchronous bind with a failed dependency: error, left unbound. */
	assert_int_equal(gtt_vma_unbind(f.vm, a, 0, NULL), 0);
	async.flags = 0;
	assert_int_equal(gtt_vma_bind(f.vm, a, &async, NULL), -EIO);
	gtt_vma_query(f.vm, a, &info);
	assert_false(info.bound);
	gtt_fence_put(dep);
	fixture_fini(&f);
}

static void test_evict(void **state)
{
	struct gtt_fence *gpu = new_fence(), *bindf = NULL;
	struct gtt_bind_info evict = { .flags = GTT_BIND_EVICT | GTT_BIND_ASYNC };
	struct gtt_vma_info info;
	struct gtt_vm_stats st;
	struct fixture f;
	gtt_vma_t v[8], big;

	(void)state;
	fixture_init(&f, VA, 8 * PAGE, 0);
	for (int i = 0; i < 8; i++) {
		v[i] = make_vma(&f, 0xa0000000 + i * PAGE, 1, NULL);
		assert_int_equal(gtt_vma_bind(f.vm, v[i], NULL, NULL), 0);
	}
	gtt_vma_pin(f.vm, v[0]);
	gtt_vma_pin(f.vm, v[3]);
	gtt_vma_add_active(f.vm, v[5], gpu);
	big = make_vma(&f, 0xb0000000, 3, NULL);
	assert_int_equal(gtt_vma_bind(f.vm, big, NULL, NULL), -ENOSPC);
	/* The only 3-page run without pins is 4..6 (v[5] still busy). */
	assert_int_equal(gtt_vma_bind(f.vm, big, &evict, &bindf), 0);
	gtt_vma_query(f.vm, big, &info);
	assert_int_equal(info.offset, VA + 4 * PAGE);
	gtt_vm_stats(f.vm, &st);
	assert_int_equal(st.evictions, 3);
	assert_false(gtt_fence_is_signaled(bindf));	/* ordered after v[5] */
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(bindf), 1);
	assert_int_equal(mock_entry(&f, VA + 5 * PAGE).addr, 0xb0000000 + PAGE);
	gtt_vma_query(f.vm, v[5], &info);
	assert_false(info.bound);
	gtt_fence_put(bindf);
	gtt_fence_put(gpu);
	fixture_fini(&f);
}

static void test_lookup_stats_dump(void **state)
{
	struct fixture f;
	gtt_vma_t a, b, found;
	uint64_t off;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = make_vma(&f, 0xa0000000, 2, NULL);
	b = make_vma(&f, 0xb0000000, 1, NULL);
	gtt_vma_bind(f.vm, a, NULL, NULL);
	gtt_vma_bind(f.vm, b, NULL, NULL);
	assert_int_equal(gtt_vm_lookup(f.vm, VA + PAGE + 10, &found, &off), 0);
	assert_true(found == a);
	assert_int_equal(off, VA);
	assert_int_equal(gtt_vm_lookup(f.vm, VA + 2 * PAGE, &found, NULL), 0);
	assert_true(found == b);
	assert_int_equal(gtt_vm_lookup(f.vm, VA + 3 * PAGE, &found, NULL), -ENOENT);
	out = open_memstream(&buf, &len);
	assert_int_equal(gtt_vm_dump(f.vm, out), 0);
	fclose(out);
	assert_non_null(strstr(buf, "vm 'test'"));
	assert_non_null(strstr(buf, "2 nodes"));
	assert_non_null(strstr(buf, "binds 2"));
	free(buf);
	fixture_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unbind_async_returns_at_once),
		cmocka_unit_test(test_bind_ordered_after_pending_unbind),
		cmocka_unit_test(test_color_guard_widens_overlap),
		cmocka_unit_test(test_immediate_unbind),
		cmocka_unit_test(test_hold_delays_unbind_fence),
		cmocka_unit_test(test_borrowed_pages_unbind_sync),
		cmocka_unit_test(test_closed_vm),
		cmocka_unit_test(test_destroy_waits_without_lock),
		cmocka_unit_test(test_worker_retires_without_vm_lock),
		cmocka_unit_test(test_trylock_busy),
		cmocka_unit_test(test_oom_dependency_falls_back_to_wait),
		cmocka_unit_test(test_unbind_waits_active_and_bind),
		cmocka_unit_test(test_pin_double_unbind_resv),
		cmocka_unit_test(test_bind_failures_leave_state),
		cmocka_unit_test(test_evict),
		cmocka_unit_test(test_lookup_stats_dump),
	};

	return cmocka_run_group_tests_name("vm_rules", tests, NULL, NULL);
}
