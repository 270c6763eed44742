/* SPDX-License-Identifier: MIT */
/*
 * Batches under stress (from a review of lib/vm/map.c): operations that
 * overlap heavily, an operation over many pieces, several vmas, what a
 * pending batch holds (linear in its size), memory failure sweeps over
 * gtt_vm_map_batch / gtt_vm_unmap_pages / gtt_vm_move_pages, a failed
 * invalidation, failures mid-batch, a sparse vma unbound under a pending
 * batch.  Every test arms alarm(): a hang kills it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sparse_world.h"

struct snap {
	struct gtt_mock_stats m;
	struct gtt_vm_stats v;
	int64_t live;
};

static struct snap snap(struct world *w)
{
	struct snap s = { .m = mstats(w), .v = vstats(w), .live = mem_live() };

	return s;
}

static void same(struct world *w, const struct snap *a)
{
	struct snap b = snap(w);

	assert_int_equal(a->m.bind_calls, b.m.bind_calls);
	assert_int_equal(a->m.clear_calls, b.m.clear_calls);
	assert_int_equal(a->m.invalidations, b.m.invalidations);
	assert_int_equal(a->v.binds, b.v.binds);
	assert_int_equal(a->v.unbinds, b.v.unbinds);
	assert_int_equal(a->v.pending_unbinds, b.v.pending_unbinds);
	assert_int_equal(a->v.oom_sync_waits, b.v.oom_sync_waits);
	assert_int_equal(a->live, b.live);
}

/* Sweep: every allocation failure before the batch is taken gives
 * -ENOMEM with nothing changed; none may fire once it is (that would be
 * an allocation in apply(): a bound that did not hold). */
typedef int (*call_fn)(struct world *w, void *arg, struct gtt_fence **f);

static int sweep(struct world *w, call_fn fn, void *arg, struct gtt_fence **f)
{
	int err = -ENOMEM;
	uint64_t n;

	for (n = 1; n < 20000; n++) {
		struct snap s = snap(w);

		mem_fail_after(n);
		err = fn(w, arg, f);
		bool fired = mem_fail_fired();

		mem_fail_after(0);
		if (!err) {
			assert_false(fired);
			break;
		}
		assert_true(fired);
		assert_int_equal(err, -ENOMEM);
		same(w, &s);
	}
	assert_int_equal(err, 0);
	print_message("sweep: %llu allocations\n", (unsigned long long)n);
	return (int)n;
}

struct batch_arg {
	const struct gtt_map_op *ops;
	size_t count;
	const struct gtt_map_info *info;
};

static int do_batch(struct world *w, void *arg, struct gtt_fence **f)
{
	struct batch_arg *a = arg;

	return gtt_vm_map_batch(w->f.vm, a->ops, a->count, a->info, f);
}

static struct gtt_fence *gpu_on(struct world *w, gtt_vma_t h)
{
	struct gtt_fence *g = new_fence();

	assert_int_equal(gtt_vma_add_active(w->f.vm, h, g), 0);
	return g;
}

/* Probe: the same range mapped and unmapped many times in one batch, over
 * existing pieces, with active fences beyond the inline records. */
static void test_probe_overlap(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_map_op ops[24];
	struct gtt_fence *g[3], *f = NULL;
	struct world w;

	(void)state;
	world_init(&w);
	for (int i = 0; i < 8; i++)
		assert_int_equal(map(&w, 2 * i, 2, w.a, 2 * i), 0);
	for (int i = 0; i < 3; i++)
		g[i] = gpu_on(&w, w.sv);
	for (int i = 0; i < 24; i++) {
		uint64_t off = (uint64_t)(i % 5) * PAGE, sz = (uint64_t)(3 + i % 7) * PAGE;

		if (i % 3 == 2)
			ops[i] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv,
						      .offset = off + PAGE, .size = PAGE };
		else
			ops[i] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv,
						      .offset = off, .size = sz,
						      .pages = i % 2 ? w.b : w.a,
						      .pages_offset = (uint64_t)(i % 4) * PAGE };
	}
	struct batch_arg a = { ops, 24, &async };

	sweep(&w, do_batch, &a, &f);
	for (int i = 0; i < 3; i++) {
		gtt_fence_signal(g[i], 0);
		gtt_fence_put(g[i]);
	}
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(f), 1);
	gtt_fence_put(f);
	world_fini(&w);
}


/* A second sparse vma of 32 pages at VA + 128 pages. */
static gtt_vma_t second_vma(struct world *w)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = VA + 128 * PAGE };
	gtt_vma_t h = 0;

	assert_int_equal(gtt_vma_create_sparse(w->f.vm, 32 * PAGE, NULL, &h), 0);
	assert_int_equal(gtt_vma_bind(w->f.vm, h, &at, NULL), 0);
	return h;
}

static int map_in(struct world *w, gtt_vma_t h, uint64_t page, uint64_t n,
		  struct gtt_pages *p, uint64_t from)
{
	struct gtt_map_info mi = { .pages = p, .pages_offset = from * PAGE };

	return gtt_vma_map(w->f.vm, h, page * PAGE, n * PAGE, &mi, NULL);
}

/* Probe: a batch over two vmas, ops covering many pieces each. */
static void test_probe_two_vmas(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_map_op ops[6];
	struct gtt_fence *g[4], *f = NULL;
	struct world w;
	gtt_vma_t sv2;

	(void)state;
	world_init(&w);
	sv2 = second_vma(&w);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(map(&w, i, 1, i % 2 ? w.a : w.b, i), 0);
		assert_int_equal(map_in(&w, sv2, i, 1, i % 2 ? w.b : w.a, i), 0);
	}
	g[0] = gpu_on(&w, w.sv);
	g[1] = gpu_on(&w, w.sv);
	g[2] = gpu_on(&w, sv2);
	g[3] = new_fence();
	assert_int_equal(gtt_vm_add_active(w.f.vm, g[3]), 0);
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = PAGE,
				      .size = 14 * PAGE, .pages = w.a, .pages_offset = PAGE };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = sv2, .offset = 2 * PAGE,
				      .size = 12 * PAGE };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = sv2, .offset = 0,
				      .size = 16 * PAGE, .pte_flags = GTT_PTE_NULL };
	ops[3] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv, .offset = 3 * PAGE,
				      .size = 2 * PAGE };
	ops[4] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = sv2, .offset = 5 * PAGE,
				      .size = 3 * PAGE, .pages = w.b };
	ops[5] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 0,
				      .size = 16 * PAGE, .pages = w.b };
	struct batch_arg a = { ops, 6, &async };

	sweep(&w, do_batch, &a, &f);
	for (int i = 0; i < 4; i++) {
		gtt_fence_signal(g[i], 0);
		gtt_fence_put(g[i]);
	}
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(f), 1);
	for (uint64_t i = 0; i < 16; i++)
		expect(&w, i, B + i * PAGE);
	gtt_fence_put(f);
	world_fini(&w);
}

static int do_unmap_pages(struct world *w, void *arg, struct gtt_fence **f)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };

	return gtt_vm_unmap_pages(w->f.vm, arg, &async, f);
}

struct move_arg {
	struct gtt_pages *from, *to;
	struct gtt_fence *copy;
};

static int do_move(struct world *w, void *arg, struct gtt_fence **f)
{
	struct move_arg *m = arg;
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC, .deps = &m->copy,
				      .num_deps = 1 };

	return gtt_vm_move_pages(w->f.vm, m->from, m->to, &async, f);
}

/* Probe: unmap_pages and move_pages sweeps over many pieces in two vmas. */
static void test_probe_pages_sweeps(void **state)
{
	struct gtt_fence *g[3], *f = NULL, *f2 = NULL;
	struct gtt_pages *c = make_pages(0xc0000000ull, 16, 0);
	struct move_arg m = { .copy = NULL };
	int freed_c = 0;
	struct world w;
	gtt_vma_t sv2;

	(void)state;
	world_init(&w);
	gtt_pages_set_destructor(c, count_release, &freed_c);
	sv2 = second_vma(&w);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(map(&w, 2 * i, 1, w.a, i), 0);
		assert_int_equal(map_in(&w, sv2, 3 * i, 2, w.a, i), 0);
		assert_int_equal(map(&w, 2 * i + 1, 1, w.b, i), 0);
	}
	g[0] = gpu_on(&w, w.sv);
	g[1] = gpu_on(&w, w.sv);
	g[2] = gpu_on(&w, sv2);
	m.from = w.a;
	m.to = c;
	m.copy = new_fence();
	sweep(&w, do_move, &m, &f);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(f));
	sweep(&w, do_unmap_pages, w.b, &f2);
	gtt_fence_signal(m.copy, 0);
	for (int i = 0; i < 3; i++) {
		gtt_fence_signal(g[i], 0);
		gtt_fence_put(g[i]);
	}
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(f), 1);
	assert_int_equal(gtt_fence_status(f2), 1);
	for (uint64_t i = 0; i < 8; i++) {
		expect(&w, 2 * i, 0xc0000000ull + i * PAGE);
		expect(&w, 2 * i + 1, 0);
	}
	gtt_fence_put(f);
	gtt_fence_put(f2);
	gtt_fence_put(m.copy);
	gtt_pages_put(c);
	world_fini(&w);
	assert_int_equal(freed_c, 1);
}

/*
 * The prepare bound of batch_prepare() grows with the square of the batch:
 * each operation is charged "three per earlier operation" whether or not
 * it overlaps them, and each of those charged pieces again once per active
 * fence of its vma.  64 unmaps of 64 different single-page pieces need 64
 * clears and about 64 records (one active fence), yet the batch reserves
 * ~12,000 await records and a ~6,000-entry action array, and keeps them
 * until its job runs (the array until the last piece of the batch goes).
 * A few thousand single-page ops (vkQueueBindSparse) reserve hundreds of
 * MB, or fail with -ENOMEM.
 */
static void test_disjoint_batch_reserves_quadratically(void **state)
{
	struct gtt_map_info async = { .flags = GTT_MAP_ASYNC };
	struct gtt_map_op ops[64];
	struct gtt_fence *gpu, *f = NULL;
	struct world w;
	int64_t before;

	(void)state;
	world_init(&w);
	for (uint64_t i = 0; i < 64; i++) {
		assert_int_equal(map(&w, i, 1, i % 2 ? w.a : w.b, i % 16), 0);
		ops[i] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv,
					      .offset = i * PAGE, .size = PAGE };
	}
	gpu = gpu_on(&w, w.sv);
	before = mem_live();
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 64, &async, &f), 0);
	int64_t held = mem_live() - before;

	print_message("live allocations held by a pending batch of 64 disjoint unmaps: %lld\n",
		      (long long)held);
	/* The 64 cuts stay allocated, plus a linear number of records. */
	assert_true(held < 64 * 8);
	gtt_fence_signal(gpu, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(f), 1);
	for (uint64_t i = 0; i < 64; i++)
		expect(&w, i, 0);
	gtt_fence_put(gpu);
	gtt_fence_put(f);
	world_fini(&w);
}

/*
 * vm.h: "A bind whose PTE write (or its invalidation) fails puts scratch
 * back over what it may have written before it reports the error, so the
 * range never maps pages whose owner was told the bind failed" — what
 * gtt_vma_bind() does (bind_job: backend_write, then backend_clear).
 * batch_job() does not for the batch's one invalidation: the map reports
 * -EIO and its pages stay mapped.
 */
static void test_failed_invalidation_leaves_pages_mapped(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	/* Call 1: the PTE write; call 2: the batch's invalidation. */
	assert_int_equal(gtt_mock_fail_call(w.f.be, 2, -EIO), 0);
	assert_int_equal(map(&w, 0, 4, w.a, 0), -EIO);
	assert_int_equal(mstats(&w).failures_injected, 1);
	for (uint64_t i = 0; i < 4; i++)
		expect(&w, i, 0);		/* scratch, not A */
	world_fini(&w);
}

/* The same rule on an ordinary bind, for comparison (passes). */
static void test_failed_invalidation_plain_bind(void **state)
{
	struct world w;
	gtt_vma_t h;

	(void)state;
	world_init(&w);
	h = make_vma(&w.f, A, 4, NULL);
	assert_int_equal(gtt_mock_fail_call(w.f.be, 2, -EIO), 0);
	struct gtt_bind_info at = fixed_at(VA + 100 * PAGE, 0);
	int err = gtt_vma_bind(w.f.vm, h, &at, NULL);

	assert_true(err < 0);
	for (uint64_t i = 0; i < 4; i++)
		assert_false(mock_entry(&w.f, VA + (100 + i) * PAGE).valid);
	world_fini(&w);
}

/*
 * map.h: "Unbinding the sparse vma unmaps everything in it, after its
 * active fences and every write in it."  A write still pending whose piece
 * a later unmap has already cut is no longer in the vma's piece tree, so
 * map_hand_over() / map_pending_writes() do not see it: the unbind runs at
 * once and its fence signals, and the pending write lands in the range
 * afterwards (it is cleared again only by the unmap's job).
 */
static void test_sparse_unbind_before_cut_pending_write(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct gtt_map_info ui = { .flags = GTT_MAP_ASYNC };
	struct gtt_fence *dep = new_fence(), *mf = NULL, *uf = NULL, *sf = NULL;
	struct world w;

	(void)state;
	world_init(&w);
	mi.deps = &dep;
	mi.pages = w.a;
	/* B1: a write held back by @dep; B2: an unmap of it, after it. */
	assert_int_equal(gtt_vma_map(w.f.vm, w.sv, 0, 4 * PAGE, &mi, &mf), 0);
	assert_int_equal(gtt_vma_unmap(w.f.vm, w.sv, 0, 4 * PAGE, &ui, &uf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_vma_unbind(w.f.vm, w.sv, GTT_UNBIND_ASYNC, &sf), 0);
	gtt_executor_run_all(w.f.ex);
	gtt_fence_signal(dep, 0);
	/* From the moment the sparse vma's unbind fence has signalled, its
	 * range maps nothing. */
	do {
		if (gtt_fence_is_signaled(sf))
			for (uint64_t i = 0; i < 4; i++)
				expect(&w, i, 0);
	} while (gtt_executor_run_one(w.f.ex) > 0);
	assert_int_equal(gtt_fence_status(sf), 1);
	assert_int_equal(gtt_fence_status(uf), 1);
	gtt_fence_put(mf);
	gtt_fence_put(uf);
	gtt_fence_put(sf);
	gtt_fence_put(dep);
	world_fini(&w);
}

/* Probe: a sparse vma unbound, and the vm closed, under a pending batch. */
static void test_probe_unbind_close_pending(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct gtt_fence *dep = new_fence(), *g, *mf = NULL, *sf = NULL;
	struct gtt_map_op ops[3];
	struct gtt_vm_stats st;
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 8, w.b, 0), 0);
	g = gpu_on(&w, w.sv);
	mi.deps = &dep;
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 2 * PAGE,
				      .size = 4 * PAGE, .pages = w.a };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv, .offset = 3 * PAGE,
				      .size = PAGE };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 7 * PAGE,
				      .size = 4 * PAGE, .pages = w.a, .pages_offset = 4 * PAGE };
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 3, &mi, &mf), 0);
	assert_int_equal(gtt_vma_unbind(w.f.vm, w.sv, GTT_UNBIND_ASYNC, &sf), 0);
	gtt_executor_run_all(w.f.ex);
	assert_false(gtt_fence_is_signaled(sf));
	gtt_fence_signal(g, 0);
	gtt_fence_signal(dep, 0);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(mf), 1);
	assert_int_equal(gtt_fence_status(sf), 1);
	for (uint64_t i = 0; i < 12; i++)
		expect(&w, i, 0);
	st = vstats(&w);
	assert_int_equal(st.pending_unbinds, 0);
	assert_int_equal(st.unbinds, st.unbinds_immediate + st.unbinds_deferred);
	assert_int_equal(st.quarantined, 0);
	assert_int_equal(st.bound, 0);
	gtt_fence_put(g);
	gtt_fence_put(mf);
	gtt_fence_put(sf);
	gtt_fence_put(dep);
	/* Closed under a pending batch: its fence still signals. */
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = VA };

	assert_int_equal(gtt_vma_bind(w.f.vm, w.sv, &at, NULL), 0);
	assert_int_equal(map(&w, 0, 4, w.b, 0), 0);
	dep = new_fence();
	mi.deps = &dep;
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 3, &mi, &mf), 0);
	gtt_vm_close(w.f.vm);
	assert_int_equal(map(&w, 0, 4, w.b, 0), -ESHUTDOWN);
	assert_int_equal(gtt_vm_unmap_pages(w.f.vm, w.a, NULL, NULL), -ESHUTDOWN);
	gtt_fence_signal(dep, 0);
	gtt_executor_run_all(w.f.ex);
	assert_true(gtt_fence_is_signaled(mf));
	gtt_fence_put(mf);
	gtt_fence_put(dep);
	world_fini(&w);
}

/* Probe: a failed dependency and failed backend calls mid-batch. */
static void test_probe_failures_mid_batch(void **state)
{
	struct gtt_map_info mi = { .flags = GTT_MAP_ASYNC, .num_deps = 1 };
	struct gtt_fence *dep = new_fence(), *mf = NULL;
	struct gtt_map_op ops[3];
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(map(&w, 0, 8, w.b, 0), 0);
	mi.deps = &dep;
	ops[0] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 2 * PAGE,
				      .size = 4 * PAGE, .pages = w.a };
	ops[1] = (struct gtt_map_op){ .kind = GTT_OP_UNMAP, .vma = w.sv, .offset = 3 * PAGE,
				      .size = PAGE };
	ops[2] = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = w.sv, .offset = 7 * PAGE,
				      .size = 4 * PAGE, .pages = w.a, .pages_offset = 4 * PAGE };
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 3, &mi, &mf), 0);
	gtt_fence_signal(dep, -EIO);
	gtt_executor_run_all(w.f.ex);
	assert_int_equal(gtt_fence_status(mf), -EIO);
	expect(&w, 0, B);
	expect(&w, 1, B + PAGE);
	for (uint64_t i = 2; i < 11; i++)
		expect(&w, i, i == 6 ? B + 6 * PAGE : 0);
	gtt_fence_put(mf);
	gtt_fence_put(dep);
	/* Second write of a batch fails (calls: write, clear, write). */
	assert_int_equal(unmap(&w, 0, 64), 0);
	assert_int_equal(gtt_mock_fail_call(w.f.be, 3, -EIO), 0);
	assert_int_equal(gtt_vm_map_batch(w.f.vm, ops, 3, NULL, NULL), -EIO);
	expect(&w, 2, A);
	expect(&w, 3, 0);
	expect(&w, 4, A + 2 * PAGE);
	for (uint64_t i = 7; i < 11; i++)
		expect(&w, i, 0);
	assert_int_equal(unmap(&w, 0, 64), 0);
	world_fini(&w);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alarm_setup, alarm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe_overlap),
		T(test_probe_two_vmas),
		T(test_probe_pages_sweeps),
		T(test_disjoint_batch_reserves_quadratically),
		T(test_failed_invalidation_leaves_pages_mapped),
		T(test_failed_invalidation_plain_bind),
		T(test_sparse_unbind_before_cut_pending_write),
		T(test_probe_unbind_close_pending),
		T(test_probe_failures_mid_batch),
	};

	/* R12_FILTER=pattern runs only the matching tests (cmocka's filter). */
	if (getenv("R12_FILTER"))
		cmocka_set_test_filter(getenv("R12_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
