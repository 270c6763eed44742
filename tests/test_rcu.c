/* SPDX-License-Identifier: MIT */
/*
 * Lock-free readers (GTT_VM_RCU_READERS): results, deferred frees, and
 * readers racing a writer (run under TSan by scripts/test.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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

/* ---- the allocator's red-black address tree under lock-free readers ---- */

enum { RB_PINNED = 24, RB_SLOTS = 1024, RB_GAP = 48 };

/* Caller storage for a churn node, reused only after a grace period (as
 * the vm's bindings are). */
struct rb_slot {
	struct gtt_range_node_storage mem;
	struct gtt_range_node *node;
	struct rcu_head rcu;
	_Atomic int busy;	/* inserted, or removed less than a grace period ago */
};

struct rb_race {
	struct gtt_range_alloc *ra;
	_Atomic uint32_t seq;
	_Atomic int stop;
	uint64_t pinned[RB_PINNED];	/* starts, read-only while readers run */
	int tag[RB_PINNED];
	_Atomic unsigned long valid, torn, wrong, raw_miss;
};

static void rb_slot_release(struct rcu_head *head)
{
	struct rb_slot *s = container_of(head, struct rb_slot, rcu);

	RCU_CALLBACK_BEGIN(head);
	atomic_store_explicit(&s->busy, 0, memory_order_release);
}

/* Look up a pinned node, always there: a validated answer must find it;
 * count the unvalidated walks that did not (the tree tears under them). */
static void *rb_reader(void *arg)
{
	struct rb_race *r = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed;

	while (!atomic_load(&r->stop)) {
		unsigned int i = (unsigned int)rng_below(&seed, RB_PINNED);
		uint64_t addr = r->pinned[i] + rng_below(&seed, 2 * PAGE), start = 0;
		void *owner = NULL;
		uint32_t s;
		int found;

		rcu_read_begin();
		if (!seqcount_read_begin(&r->seq, &s)) {
			rcu_read_end();
			continue;
		}
		found = range_lookup_rcu(r->ra, addr, &owner, &start);
		if (seqcount_read_retry(&r->seq, s)) {
			r->torn++;
			if (found != 1 || owner != &r->tag[i])
				r->raw_miss++;
		} else {
			r->valid++;
			if (found != 1 || owner != &r->tag[i] || start != r->pinned[i])
				r->wrong++;
		}
		rcu_read_end();
	}
	return NULL;
}

/*
 * Readers look up nodes that stay in the tree while a writer inserts
 * (every placement, so nodes enter everywhere and the tree rotates and
 * recolours) and removes others around them, inside the write brackets
 * readers validate with: no validated lookup may miss or misname a pinned
 * node, and (TSan: scripts/test.sh runs this file under it) no reader
 * reads memory the writer reuses, which waits for a grace period as the
 * vm's bindings do.  The unvalidated misses are counted to show the
 * walks were really torn.
 */
static void test_rbtree_readers_never_miss(void **state)
{
	static struct rb_slot slot[RB_SLOTS];
	struct rb_race r = { 0 };
	const char *env = getenv("GTT_STRESS_ITERS");
	unsigned long iters = env ? strtoul(env, NULL, 10) * 10 : 30000, changes = 0;
	uint64_t seed = 11;
	pthread_t t[2];

	(void)state;
	memset(slot, 0, sizeof(slot));
	assert_int_equal(gtt_range_alloc_create(0, RB_PINNED * RB_GAP * PAGE, 0, 0, &r.ra), 0);
	for (int i = 0; i < RB_PINNED; i++) {
		struct gtt_range_node *n;

		r.pinned[i] = (uint64_t)i * RB_GAP * PAGE + 16 * PAGE;
		assert_int_equal(gtt_range_reserve(r.ra, r.pinned[i], 2 * PAGE, 0,
						   &r.tag[i], &n), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, rb_reader, &r);
	while (!atomic_load(&r.valid))
		sched_yield();	/* the readers are running */
	while (changes < iters) {
		struct rb_slot *s = &slot[rng_below(&seed, RB_SLOTS)];

		if (atomic_load_explicit(&s->busy, memory_order_acquire) && !s->node) {
			sched_yield();	/* removed, a grace period not over */
			continue;
		}
		seqcount_write_begin(&r.seq);
		if (s->node) {
			assert_int_equal(gtt_range_remove(r.ra, s->node), 0);
			s->node = NULL;
			rcu_defer(&s->rcu, rb_slot_release);
		} else {
			struct gtt_range_request q = {
				.size = (1 + rng_below(&seed, 4)) * PAGE,
				.placement = (enum gtt_placement)rng_below(&seed, 3),
			};

			if (gtt_range_insert_in(r.ra, &q, s, &s->mem, &s->node) == 0)
				atomic_store_explicit(&s->busy, 1, memory_order_relaxed);
			else
				s->node = NULL;
		}
		seqcount_write_end(&r.seq);
		changes++;
		/* Give the readers windows in which no writer is inside. */
		for (volatile int spin = 0; spin < 200; spin++)
			;
	}
	atomic_store(&r.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	print_message("rbtree readers: %lu validated lookups, %lu torn (%lu of them missed), during %lu changes\n",
		      (unsigned long)r.valid, (unsigned long)r.torn,
		      (unsigned long)r.raw_miss, changes);
	assert_int_equal(r.wrong, 0);
	assert_true(r.valid > 0);
	assert_int_equal(range_alloc_check(r.ra), 0);
	for (int i = 0; i < RB_SLOTS; i++)
		if (slot[i].node)
			assert_int_equal(gtt_range_remove(r.ra, slot[i].node), 0);
	gtt_range_alloc_destroy(r.ra);
	urcu_bp_barrier();	/* every rb_slot_release() ran */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_and_deferred_frees),
		cmocka_unit_test(test_nested_write_brackets),
		cmocka_unit_test(test_range_lookup_rcu),
		cmocka_unit_test(test_readers_race_writer),
		cmocka_unit_test(test_rbtree_readers_never_miss),
	};

	return cmocka_run_group_tests_name("rcu", tests, NULL, NULL);
}
