/* SPDX-License-Identifier: MIT */
/*
 * What other threads may do while a vm call waits without the vm lock (the
 * synchronous out-of-memory fallback, a synchronous bind waiting for its
 * dependency), and a quarantine that must not trust a bind that wrote
 * nothing.  Found by a review of the issue #9 fixes; each test failed
 * before its fix.  Every test arms alarm(): a hang kills it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_ALARM_S 20
#include "helpers.h"
#include "base/util.h"

#define VA 0x100000ull
#define VM_SIZE (64 * PAGE)

static struct gtt_vm_stats stats(struct gtt_vm *vm)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(vm, &st), 0);
	return st;
}

/*
 * A deferred clear of a fails; b was placed on the same range meanwhile,
 * ordered after that clear, but b's own dependency failed, so b's bind job
 * wrote nothing: a's pages must stay referenced while the PTEs map them.
 */
static void test_quarantine_trusts_bind_that_wrote_nothing(void **state)
{
	struct gtt_fence *gpu = new_fence(), *dep = new_fence();
	struct gtt_fence *uf = NULL, *bf = NULL;
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct fixture f;
	int freed = 0, freed2 = 0;
	gtt_vma_t a, b;
	bool mapped;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	a = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	b = counted_vma(f.vm, 0xb0000000, 2, 0, &freed2);
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vma_add_active(f.vm, a, gpu), 0);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, &uf), 0);
	assert_int_equal(gtt_vma_destroy(f.vm, a), 0);
	at.flags |= GTT_BIND_ASYNC;
	at.deps = &dep;
	at.num_deps = 1;
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, &bf), 0);
	assert_int_equal(gtt_mock_fail_call(f.be, 1, -EIO), 0);	/* a's clear */
	gtt_fence_signal(gpu, 0);
	gtt_fence_signal(dep, -EIO);		/* b writes nothing */
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_fence_status(uf), -EIO);
	assert_int_equal(gtt_fence_status(bf), -EIO);
	(void)stats(f.vm);			/* the quarantine runs */
	mapped = mock_entry(&f, VA).valid &&
		 mock_entry(&f, VA).addr == 0xa0000000;
	/* Either the PTE is clear, or a's pages must still be referenced. */
	assert_false(mapped && freed);
	gtt_fence_put(uf);
	gtt_fence_put(bf);
	gtt_fence_put(gpu);
	gtt_fence_put(dep);
	fixture_fini(&f);
}

/*
 * The synchronous out-of-memory fallback drops the vm lock to wait: a vma
 * pinned meanwhile must not be unbound (or destroyed).
 */
struct unbind_thread {
	struct gtt_vm *vm;
	gtt_vma_t h;
	int ret;
	bool destroy;
};

static void *do_unbind(void *arg)
{
	struct unbind_thread *t = arg;

	mem_fail_after(1);	/* the await slot for the third fence */
	if (t->destroy)
		t->ret = gtt_vma_destroy(t->vm, t->h);
	else
		t->ret = gtt_vma_unbind(t->vm, t->h, 0, NULL);
	return NULL;
}

static void wait_oom_waiting(struct gtt_vm *vm)
{
	for (int i = 0; i < 2000 && !stats(vm).oom_sync_waits; i++)
		usleep(1000);
	assert_int_equal(stats(vm).oom_sync_waits, 1);
	usleep(20000);		/* it is in the wait */
}

static void oom_wait_then_pin(bool destroy)
{
	struct gtt_fence *g[3] = { new_fence(), new_fence(), new_fence() };
	struct gtt_bind_info at = fixed_at(VA, 0);
	struct gtt_vma_info info;
	struct unbind_thread t = { 0 };
	struct fixture f;
	pthread_t th;
	int freed = 0;

	fixture_init(&f, VA, VM_SIZE, 0);
	t.vm = f.vm;
	t.destroy = destroy;
	t.h = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, t.h, &at, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gtt_vma_add_active(f.vm, t.h, g[i]), 0);
	assert_int_equal(pthread_create(&th, NULL, do_unbind, &t), 0);
	wait_oom_waiting(f.vm);
	/* While the unbind waits unlocked, the owner pins the vma. */
	assert_int_equal(gtt_vma_pin(f.vm, t.h), 0);
	for (int i = 0; i < 3; i++)
		gtt_fence_signal(g[i], 0);
	pthread_join(th, NULL);
	gtt_executor_run_all(f.ex);
	/* A pinned vma must not be unbound (or destroyed): -EAGAIN. */
	assert_int_equal(t.ret, -EAGAIN);
	assert_int_equal(gtt_vma_query(f.vm, t.h, &info), 0);
	assert_true(info.bound);
	assert_int_equal(info.pin_count, 1);
	gtt_vma_unpin(f.vm, t.h);
	for (int i = 0; i < 3; i++)
		gtt_fence_put(g[i]);
	fixture_fini(&f);
}

static void test_oom_unbind_wait_ignores_new_pin(void **state)
{
	(void)state;
	oom_wait_then_pin(false);
}

static void test_oom_destroy_wait_ignores_new_pin(void **state)
{
	(void)state;
	oom_wait_then_pin(true);
}

/*
 * Same window: the vma is unbound and bound again elsewhere while the
 * synchronous unbind waits; that unbind must not take the new placement,
 * which its caller never saw.
 */
static void test_oom_unbind_wait_unbinds_new_binding(void **state)
{
	struct gtt_fence *g[3] = { new_fence(), new_fence(), new_fence() };
	struct gtt_bind_info at = fixed_at(VA, 0), at2 = fixed_at(VA + 16 * PAGE, 0);
	struct gtt_vma_info info;
	struct unbind_thread t = { 0 };
	struct fixture f;
	pthread_t th;
	int freed = 0;

	(void)state;
	fixture_init(&f, VA, VM_SIZE, 0);
	t.vm = f.vm;
	t.h = counted_vma(f.vm, 0xa0000000, 2, 0, &freed);
	assert_int_equal(gtt_vma_bind(f.vm, t.h, &at, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gtt_vma_add_active(f.vm, t.h, g[i]), 0);
	assert_int_equal(pthread_create(&th, NULL, do_unbind, &t), 0);
	wait_oom_waiting(f.vm);
	/* Another thread unbinds it and binds it again at another place. */
	assert_int_equal(gtt_vma_unbind(f.vm, t.h, GTT_UNBIND_ASYNC, NULL), 0);
	for (int i = 0; i < 3; i++)
		gtt_fence_signal(g[i], 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_vma_bind(f.vm, t.h, &at2, NULL), 0);
	pthread_join(th, NULL);
	/* The waiting unbind's own placement is gone: it must not unbind the
	 * new one (-ENOENT, the new binding stays). */
	assert_int_equal(t.ret, -ENOENT);
	assert_int_equal(gtt_vma_query(f.vm, t.h, &info), 0);
	assert_true(info.bound);
	for (int i = 0; i < 3; i++)
		gtt_fence_put(g[i]);
	fixture_fini(&f);
}

/*
 * A synchronous bind whose dependency fails reports it after the wait; if
 * the vma was unbound and destroyed meanwhile, its binding must still be
 * alive for that report (ASan saw a use-after-free).
 */
struct bind_thread {
	struct gtt_vm *vm;
	gtt_vma_t h;
	struct gtt_fence *dep;
	int ret;
	_Atomic int started;
};

static void *do_bind(void *arg)
{
	struct bind_thread *t = arg;
	struct gtt_bind_info at = fixed_at(VA, 0);

	at.deps = &t->dep;
	at.num_deps = 1;
	atomic_store(&t->started, 1);
	t->ret = gtt_vma_bind(t->vm, t->h, &at, NULL);
	return NULL;
}

static void test_sync_bind_error_reads_freed_binding(void **state)
{
	struct gtt_mock_config mc = { .start = VA, .size = VM_SIZE,
				      .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .name = "noex", .start = VA, .size = VM_SIZE };
	struct gtt_backend *be;
	struct gtt_vm *vm;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);	/* no executor: inline */
	for (int round = 0; round < 10; round++) {
		struct bind_thread t = { .vm = vm, .dep = new_fence() };
		struct gtt_vma_info info;
		pthread_t th;
		int freed = 0;

		t.h = counted_vma(vm, 0xa0000000, 2, 0, &freed);
		assert_int_equal(pthread_create(&th, NULL, do_bind, &t), 0);
		for (int i = 0; i < 2000; i++) {
			if (atomic_load(&t.started) &&
			    !gtt_vma_query(vm, t.h, &info) && info.bound)
				break;
			usleep(500);
		}
		usleep(20000);			/* the bind waits unlocked */
		assert_int_equal(gtt_vma_unbind(vm, t.h, GTT_UNBIND_ASYNC, NULL), 0);
		assert_int_equal(gtt_vma_destroy(vm, t.h), 0);
		gtt_fence_signal(t.dep, -EIO);	/* bind, unbind run here */
		(void)stats(vm);		/* retire: frees the binding */
		pthread_join(th, NULL);
		assert_int_equal(t.ret, -EIO);
		gtt_fence_put(t.dep);
	}
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

/*
 * Maps, unmaps and NULL maps from two threads on two sparse vmas of one vm,
 * with a pool executor and GPU work signalled by a third thread: when
 * everything has finished, every page shows the last operation its thread
 * made there (calls on one sparse vma take effect in order).
 */
#define RACE_PAGES 32
#define RACE_OPS 1500

struct racer {
	struct gtt_vm *vm;
	struct gtt_backend *be;
	gtt_vma_t sv;
	uint64_t va;
	struct gtt_pages *pages;
	uint64_t dma;
	uint64_t seed;
	uint64_t want[RACE_PAGES];	/* 0 none, 1 NULL, else a DMA address */
	struct gtt_fence *gpu[4];
};

static void *race_maps(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < RACE_OPS; i++) {
		uint64_t first = rng_below(&r->seed, RACE_PAGES);
		uint64_t n = 1 + rng_below(&r->seed, RACE_PAGES - first);
		uint64_t kind = rng_below(&r->seed, 3), from = rng_below(&r->seed, 16);
		struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC };

		if (kind == 0 && from + n > 32)
			from = 32 - n;
		if (kind == 0) {
			mi.pages = r->pages;
			mi.pages_offset = from * PAGE;
			assert_int_equal(gtt_vma_map(r->vm, r->sv, first * PAGE, n * PAGE, &mi, NULL), 0);
		} else if (kind == 1) {
			mi.pte_flags = GTT_PTE_NULL;
			assert_int_equal(gtt_vma_map(r->vm, r->sv, first * PAGE, n * PAGE, &mi, NULL), 0);
		} else {
			assert_int_equal(gtt_vma_unmap(r->vm, r->sv, first * PAGE, n * PAGE, &mi, NULL), 0);
		}
		for (uint64_t k = 0; k < n; k++)
			r->want[first + k] = kind == 0 ? r->dma + (from + k) * PAGE : kind == 1;
		if (i % 64 == 0) {
			struct gtt_fence *f = NULL;

			assert_int_equal(gtt_fence_create(0, 0, &f), 0);
			assert_int_equal(gtt_vma_add_active(r->vm, r->sv, f), 0);
			gtt_fence_signal(r->gpu[i / 64 % 4], 0);	/* an older job ends */
			gtt_fence_put(r->gpu[i / 64 % 4]);
			r->gpu[i / 64 % 4] = f;
		}
	}
	return NULL;
}

static void test_maps_from_two_threads(void **state)
{
	struct gtt_mock_config mc = { .start = VA, .size = 128 * PAGE, .scratch_addr = 0xdead000 };
	struct gtt_vm_config vc = { .start = VA, .size = 128 * PAGE };
	struct racer r[2];
	struct gtt_executor *pool;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	pthread_t t[2];

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(gtt_executor_create_pool(2, &pool), 0);
	vc.backend = be;
	vc.executor = pool;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	for (int k = 0; k < 2; k++) {
		struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = VA + k * 64 * PAGE };

		memset(&r[k], 0, sizeof(r[k]));
		r[k].vm = vm;
		r[k].be = be;
		r[k].va = VA + k * 64 * PAGE;
		r[k].dma = 0xa0000000ull + k * 0x10000000ull;
		r[k].seed = 1234 + k;
		r[k].pages = make_pages(r[k].dma, 32, 0);
		for (int g = 0; g < 4; g++)
			assert_int_equal(gtt_fence_create(0, 0, &r[k].gpu[g]), 0);
		assert_int_equal(gtt_vma_create_sparse(vm, RACE_PAGES * PAGE, NULL, &r[k].sv), 0);
		assert_int_equal(gtt_vma_bind(vm, r[k].sv, &at, NULL), 0);
	}
	for (int k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, race_maps, &r[k]);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (int k = 0; k < 2; k++)
		for (int g = 0; g < 4; g++) {
			gtt_fence_signal(r[k].gpu[g], 0);
			gtt_fence_put(r[k].gpu[g]);
		}
	assert_int_equal(gtt_vm_wait_idle(vm, 10ll * 1000 * 1000 * 1000), 0);
	for (int k = 0; k < 2; k++)
		for (int p = 0; p < RACE_PAGES; p++) {
			struct gtt_mock_entry e;

			assert_int_equal(gtt_mock_read(be, r[k].va + p * PAGE, &e), 0);
			if (r[k].want[p] == 0)
				assert_true(!e.valid && !e.null);
			else if (r[k].want[p] == 1)
				assert_true(e.null);
			else
				assert_true(e.valid && e.addr == r[k].want[p]);
		}
	gtt_vm_destroy(vm);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);
	for (int k = 0; k < 2; k++)
		gtt_pages_put(r[k].pages);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_quarantine_trusts_bind_that_wrote_nothing),
		T(test_oom_unbind_wait_ignores_new_pin),
		T(test_oom_destroy_wait_ignores_new_pin),
		T(test_oom_unbind_wait_unbinds_new_binding),
		T(test_sync_bind_error_reads_freed_binding),
		T(test_maps_from_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
