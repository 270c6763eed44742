/* SPDX-License-Identifier: MIT */
/*
 * Lock-free readers (GTT_VM_RCU_READERS): results, deferred frees, and
 * readers racing a writer (run under TSan by scripts/test.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "helpers.h"
#include "base/util.h"
#include "vm/vm_internal.h"

#define VA 0x1000000ull

static void rcu_fixture(struct fixture *f, uint64_t pages)
{
	struct gtt_mock_config mc = { .start = VA, .size = pages * PAGE };
	struct gtt_vm_config vc = { .start = VA, .size = pages * PAGE,
				    .flags = GTT_VM_RCU_READERS };

	assert_int_equal(gtt_mock_create(&mc, &f->be), 0);
	assert_int_equal(gtt_executor_create_manual(&f->ex), 0);
	vc.backend = f->be;
	vc.executor = f->ex;
	assert_int_equal(gtt_vm_create(&vc, &f->vm), 0);
}

static void test_results_and_deferred_frees(void **state)
{
	int64_t baseline = mem_live();
	struct gtt_fence *gpu;
	struct fixture f;
	gtt_vma_t a, b, h;
	uint64_t off;
	size_t n;

	(void)state;
	rcu_fixture(&f, 64);
	a = make_vma(&f, 0xa0000000, 4, NULL);
	b = make_vma(&f, 0xb0000000, 2, NULL);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = VA + 8 * PAGE };
	assert_int_equal(gtt_vma_bind(f.vm, a, &at, NULL), 0);
	assert_int_equal(gtt_vm_lookup(f.vm, VA + 9 * PAGE + 5, &h, &off), 0);
	assert_true(h == a);
	assert_int_equal(off, VA + 8 * PAGE);
	assert_int_equal(gtt_vm_lookup(f.vm, VA + 12 * PAGE, &h, NULL), -ENOENT);
	assert_int_equal(gtt_vm_lookup(f.vm, VA, &h, NULL), -ENOENT);
	/* A pending unbind shows in gtt_vm_pending until it completes. */
	gtt_fence_create(0, 0, &gpu);
	gtt_vma_add_active(f.vm, a, gpu);
	assert_int_equal(gtt_vma_unbind(f.vm, a, GTT_UNBIND_ASYNC, NULL), 0);
	assert_int_equal(gtt_vm_pending(f.vm, VA + 10 * PAGE, PAGE, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gtt_vm_pending(f.vm, VA + 12 * PAGE, PAGE, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gtt_vm_pending(f.vm, VA, 0, &n), -EINVAL);
	at.offset = VA + 8 * PAGE;
	at.flags |= GTT_BIND_ASYNC;
	assert_int_equal(gtt_vma_bind(f.vm, b, &at, NULL), 0);
	assert_int_equal(gtt_vm_lookup(f.vm, VA + 8 * PAGE, &h, NULL), 0);
	assert_true(h == b);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(f.ex);
	assert_int_equal(gtt_vm_pending(f.vm, VA + 8 * PAGE, 4 * PAGE, &n), 0);
	assert_int_equal(n, 0);
	gtt_fence_put(gpu);
	fixture_fini(&f);
	/* Nodes, vmas and bindings went through call_rcu; destroy waited. */
	assert_int_equal(mem_live(), baseline);
}

/* An evicting bind nests unbind brackets inside its own: the sequence must
 * stay odd through the whole change and end even. */
static void test_nested_write_brackets(void **state)
{
	struct fixture f;
	gtt_vma_t v[4], big;
	uint32_t before;

	(void)state;
	rcu_fixture(&f, 4);
	for (int i = 0; i < 4; i++) {
		v[i] = make_vma(&f, 0xa0000000 + i * PAGE, 1, NULL);
		assert_int_equal(gtt_vma_bind(f.vm, v[i], NULL, NULL), 0);
	}
	before = atomic_load(&f.vm->seq);
	assert_int_equal(before % 2, 0);
	big = make_vma(&f, 0xb0000000, 2, NULL);
	struct gtt_bind_info ev = { .flags = GTT_BIND_EVICT };
	assert_int_equal(gtt_vma_bind(f.vm, big, &ev, NULL), 0);
	assert_int_equal(f.vm->write_depth, 0);
	/* Exactly one outer bracket: +2, however many evictions nested in it. */
	assert_int_equal(atomic_load(&f.vm->seq), before + 2);
	fixture_fini(&f);
}

/* The allocator's lock-free lookup agrees with the locked one. */
static void test_range_lookup_rcu(void **state)
{
	struct fixture f;
	struct gtt_range_node *n;
	void *owner;
	uint64_t start;

	(void)state;
	rcu_fixture(&f, 64);
	for (int i = 0; i < 8; i++) {
		gtt_vma_t v = make_vma(&f, 0xa0000000 + i * 4 * PAGE, 1 + i % 3, NULL);
		struct gtt_bind_info at = { .flags = GTT_BIND_FIXED,
					    .offset = VA + i * 5 * PAGE };

		assert_int_equal(gtt_vma_bind(f.vm, v, &at, NULL), 0);
	}
	rcu_read_begin();
	for (uint64_t a = VA - PAGE; a < VA + 64 * PAGE; a += PAGE / 2) {
		int r = range_lookup_rcu(f.vm->ra, a, &owner, &start);

		n = gtt_range_lookup(f.vm->ra, a);
		assert_int_equal(r, n && n->owner);
		if (r) {
			assert_ptr_equal(owner, n->owner);
			assert_int_equal(start, n->start);
		}
	}
	rcu_read_end();
	fixture_fini(&f);
}

struct race {
	struct gtt_vm *vm;
	_Atomic int stop;
	_Atomic unsigned long lookups, hits, pending_queries;
	_Atomic unsigned long bad;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed;

	while (!r->stop) {
		uint64_t addr = VA + rng_below(&seed, 256) * PAGE + 16;
		gtt_vma_t h;
		uint64_t start;
		size_t n;

		if (gtt_vm_lookup(r->vm, addr, &h, &start) == 0) {
			/* Plausible: at or below addr, page aligned, a real handle. */
			if (start > addr || start % PAGE || !h || addr - start >= 8 * PAGE)
				r->bad++;
			r->hits++;
		}
		r->lookups++;
		if (gtt_vm_pending(r->vm, addr & ~(PAGE - 1), PAGE, &n) || n > 64)
			r->bad++;
		r->pending_queries++;
	}
	return NULL;
}

static void test_readers_race_writer(void **state)
{
	struct gtt_mock_config mc = { .start = VA, .size = 256 * PAGE };
	struct gtt_vm_config vc = { .start = VA, .size = 256 * PAGE,
				    .flags = GTT_VM_RCU_READERS };
	struct race r = { 0 };
	struct gtt_executor *pool;
	struct gtt_backend *be;
	gtt_vma_t v[48];
	pthread_t t[2];
	uint64_t seed = 5;
	int64_t baseline = mem_live();
	const char *env = getenv("GTT_STRESS_ITERS");
	unsigned long iters = env ? strtoul(env, NULL, 10) * 10 : 30000;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(gtt_executor_create_pool(1, &pool), 0);
	vc.backend = be;
	vc.executor = pool;
	assert_int_equal(gtt_vm_create(&vc, &r.vm), 0);
	for (int i = 0; i < 48; i++) {
		struct gtt_pages *p = make_pages(0x100000000ull + i * 0x100000ull,
						 1 + i % 8, 0);

		assert_int_equal(gtt_vma_create(r.vm, p, NULL, &v[i]), 0);
		gtt_pages_put(p);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, reader, &r);
	for (unsigned long it = 0; it < iters; it++) {
		int i = (int)rng_below(&seed, 48);
		struct gtt_fence *gpu;

		if (gtt_vma_bind(r.vm, v[i], NULL, NULL) == 0) {
			gtt_fence_create(0, 0, &gpu);
			gtt_vma_add_active(r.vm, v[i], gpu);
			gtt_vma_unbind(r.vm, v[i], GTT_UNBIND_ASYNC, NULL);
			gtt_fence_signal(gpu, 0);	/* the clear runs on the pool */
			gtt_fence_put(gpu);
		}
	}
	r.stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	print_message("rcu race: %lu lookups (%lu hits), %lu pending queries during %lu bind/unbind pairs\n",
		      (unsigned long)r.lookups, (unsigned long)r.hits,
		      (unsigned long)r.pending_queries, iters);
	assert_int_equal(r.bad, 0);
	assert_true(r.lookups > 0);
	gtt_vm_destroy(r.vm);
	gtt_executor_destroy(pool);
	gtt_backend_destroy(be);
	assert_int_equal(mem_live(), baseline);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_and_deferred_frees),
		cmocka_unit_test(test_nested_write_brackets),
		cmocka_unit_test(test_range_lookup_rcu),
		cmocka_unit_test(test_readers_race_writer),
	};

	return cmocka_run_group_tests_name("rcu", tests, NULL, NULL);
}
