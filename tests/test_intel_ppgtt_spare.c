/* SPDX-License-Identifier: MIT */
/*
 * The gen8+ PPGTT's spare page tables (intel/intel_ppgtt.c): a page table
 * a clear empties is kept, all scratch and linked from nowhere, for the
 * next bind; the list is bounded; a bind that fails part way gives back
 * the spares it took and frees what it allocated; fini frees the spares.
 * Driven directly on a TGL PPGTT over host-memory tables, and once through
 * a vm on the mock.
 */
#include <string.h>

#include "helpers.h"
#include "intel/intel_pt.h"
#include "intel/intel_pt_pool.h"

#define MiB (1ull << 20)
#define SCRATCH 0xdead000ull

/* Host-memory tables behind fake DMA addresses, 64 to a chunk (so that the
 * pool's chunks, which stay once taken, do not move mem_live in a sweep). */
struct rig {
	struct intel_pt_pool pool;
	struct intel_pt_mem mem;
	struct intel_ppgtt pp;
	uint64_t next;
	int64_t live;		/* mem_live() before the rig */
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->live = mem_live();
	intel_pt_pool_init(&r->pool, &(struct intel_pt_chunk_source){
		.ctx = &r->next, .get = host_chunk_get, .put = host_chunk_put }, 64);
	intel_pt_pool_mem(&r->pool, &r->mem);
	assert_int_equal(intel_ppgtt_init(&r->pp, gtt_intel_platform(GTT_INTEL_TGL), SCRATCH,
					  &r->mem), 0);
}

/* fini frees the spares with everything else: nothing left (ASan too). */
static void rig_fini(struct rig *r)
{
	intel_ppgtt_fini(&r->pp);
	intel_pt_pool_fini(&r->pool);
	assert_int_equal(mem_live(), r->live);
}

/* One segment of @size bytes at @addr. */
static struct gtt_pages *run_of(uint64_t addr, uint64_t size)
{
	struct gtt_pages_segment seg = { addr, size };
	struct gtt_pages *p;

	assert_int_equal(gtt_pages_create(&seg, 1, 0, &p), 0);
	return p;
}

/* The page table mapping @va (below 1 GiB: PML4 0, PDP 0), or NULL. */
static struct pt *pt_at(struct intel_ppgtt *pp, uint64_t va)
{
	struct pt *pdp = pp->root.child[0], *pd = pdp ? pdp->child[0] : NULL;

	return pd ? pd->child[va >> 21] : NULL;
}

/* Whether the spare list holds the table at @dma. */
static bool spare_has(const struct intel_ppgtt *pp, uint64_t dma)
{
	for (const struct pt *c = pp->spare; c; c = c->next_spare)
		if (c->dma == dma)
			return true;
	return false;
}

static void assert_scratch(struct intel_ppgtt *pp, uint64_t va, uint64_t size)
{
	for (uint64_t a = va; a < va + size; a += PAGE) {
		struct gtt_translation t;

		assert_int_equal(intel_ppgtt_translate(pp, a, &t), 0);
		assert_true(t.present && t.scratch);
	}
}

/*
 * An unbind keeps its emptied page table (the directories above it go),
 * and the next bind takes it instead of a new one: same table, all its
 * other entries scratch without a fill.  Fails if clear_range() frees the
 * page table (no spare), or if a spare were not all scratch.
 */
static void test_spare_reused(void **state)
{
	struct gtt_pages *run = run_of(0x100001000ull, 2 * MiB), *one = run_of(0x7000, PAGE);
	struct gtt_translation t;
	struct rig r;
	uint64_t dma;
	int64_t live;

	(void)state;
	rig_init(&r);
	/* [2 MiB, 4 MiB): PDP, PD and one page table, written whole. */
	assert_int_equal(intel_ppgtt_bind(&r.pp, 2 * MiB, 2 * MiB, run, 0, 0), 0);
	assert_int_equal(r.pp.tables, 3);
	assert_int_equal(r.pp.nspare, 0);
	dma = pt_at(&r.pp, 2 * MiB)->dma;
	assert_int_equal(intel_ppgtt_clear(&r.pp, 2 * MiB, 2 * MiB), 0);
	assert_int_equal(r.pp.tables, 0);
	assert_int_equal(r.pp.nspare, 1);
	assert_true(spare_has(&r.pp, dma));
	assert_null(r.pp.root.child[0]);	/* unlinked: nothing reaches it */
	assert_scratch(&r.pp, 2 * MiB, 2 * MiB);
	/* One page: the spare serves, the other 511 entries are scratch. */
	live = mem_live();
	assert_int_equal(intel_ppgtt_bind(&r.pp, 2 * MiB + PAGE, PAGE, one, 0, 0), 0);
	assert_int_equal(r.pp.nspare, 0);
	assert_int_equal(r.pp.tables, 3);
	assert_int_equal(pt_at(&r.pp, 2 * MiB)->dma, dma);
	/* The PDP and the PD (and its child array) were allocated, not the PT. */
	assert_int_equal(mem_live(), live + 4);
	assert_int_equal(intel_ppgtt_translate(&r.pp, 2 * MiB + PAGE + 8, &t), 0);
	assert_false(t.scratch);
	assert_int_equal(t.addr, 0x7008);
	assert_scratch(&r.pp, 2 * MiB, PAGE);
	assert_scratch(&r.pp, 2 * MiB + 2 * PAGE, 2 * MiB - 2 * PAGE);
	assert_int_equal(pt_at(&r.pp, 2 * MiB)->used, 1);
	assert_int_equal(intel_ppgtt_clear(&r.pp, 2 * MiB + PAGE, PAGE), 0);
	assert_int_equal(r.pp.nspare, 1);
	rig_fini(&r);		/* with a spare on the list */
	gtt_pages_put(run);
	gtt_pages_put(one);
}

/*
 * A 64 KiB (IPS) page table emptied goes on the list too, and comes back
 * as a 4 KiB one with every entry scratch (IPS leaves 15 of 16 unwritten).
 * Fails if a spare kept its mode or held a stale entry.
 */
static void test_spare_from_ips(void **state)
{
	struct gtt_pages *chunks = run_of(0x100010000ull, 2 * MiB), *one = run_of(0x9000, PAGE);
	struct gtt_translation t;
	struct rig r;

	(void)state;
	rig_init(&r);
	assert_int_equal(intel_ppgtt_bind(&r.pp, 0, 2 * MiB, chunks, 0, 0), 0);
	assert_int_equal(pt_at(&r.pp, 0)->mode, PT_64K_IPS);
	assert_int_equal(intel_ppgtt_clear(&r.pp, 0, 2 * MiB), 0);
	assert_int_equal(r.pp.nspare, 1);
	assert_int_equal(intel_ppgtt_bind(&r.pp, 5 * PAGE, PAGE, one, 0, 0), 0);
	assert_int_equal(r.pp.nspare, 0);
	assert_int_equal(pt_at(&r.pp, 0)->mode, PT_4K);
	assert_int_equal(intel_ppgtt_translate(&r.pp, 5 * PAGE, &t), 0);
	assert_int_equal(t.page_size, PAGE);
	assert_int_equal(t.addr, 0x9000);
	assert_scratch(&r.pp, 0, 5 * PAGE);
	assert_scratch(&r.pp, 6 * PAGE, 2 * MiB - 6 * PAGE);
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		if (i != 5)
			assert_int_equal(((uint64_t *)pt_at(&r.pp, 0)->cpu)[i], r.pp.scratch_entry[0]);
	assert_int_equal(intel_ppgtt_clear(&r.pp, 5 * PAGE, PAGE), 0);
	rig_fini(&r);
	gtt_pages_put(chunks);
	gtt_pages_put(one);
}

/*
 * At most PPGTT_SPARE_MAX spares: an unbind of more page tables frees the
 * rest.  Fails without the bound.
 */
static void test_spare_bounded(void **state)
{
	uint64_t size = (PPGTT_SPARE_MAX + 2) * 2 * MiB;
	struct gtt_pages *run = run_of(0x100001000ull, size);
	struct rig r;

	(void)state;
	rig_init(&r);
	assert_int_equal(intel_ppgtt_bind(&r.pp, 0, size, run, 0, 0), 0);
	assert_int_equal(intel_ppgtt_clear(&r.pp, 0, size), 0);
	assert_int_equal(r.pp.tables, 0);
	assert_int_equal(r.pp.nspare, PPGTT_SPARE_MAX);
	/* Bound again: every spare used, two new tables. */
	assert_int_equal(intel_ppgtt_bind(&r.pp, 0, size, run, 0, 0), 0);
	assert_int_equal(r.pp.nspare, 0);
	assert_int_equal(intel_ppgtt_clear(&r.pp, 0, size), 0);
	assert_int_equal(r.pp.nspare, PPGTT_SPARE_MAX);
	rig_fini(&r);
	gtt_pages_put(run);
}

/*
 * A bind of four page tables with two spares on the list, each allocation
 * failing in turn (the first ones after the spares are taken): -ENOMEM,
 * nothing mapped, no table in the tree, the same two spares back on the
 * list, no memory held; then the bind succeeds using both spares (two new
 * page tables only) and its unbind keeps all four.  Fails if plan_undo()
 * frees a spare (the list shrinks, mem_live drops) or keeps a table it
 * allocated (mem_live grows).
 */
static void test_spare_bind_fails_part_way(void **state)
{
	struct gtt_pages *run = run_of(0x100001000ull, 8 * MiB);
	uint64_t dma[2];
	bool completed = false;
	struct rig r;
	uint64_t n;

	(void)state;
	rig_init(&r);
	assert_int_equal(intel_ppgtt_bind(&r.pp, 2 * MiB, 4 * MiB, run, 0, 0), 0);
	dma[0] = pt_at(&r.pp, 2 * MiB)->dma;
	dma[1] = pt_at(&r.pp, 4 * MiB)->dma;
	assert_int_equal(intel_ppgtt_clear(&r.pp, 2 * MiB, 4 * MiB), 0);
	assert_int_equal(r.pp.nspare, 2);
	for (n = 1; n < 100 && !completed; n++) {
		int64_t live = mem_live();
		int err;

		mem_fail_after(n);
		err = intel_ppgtt_bind(&r.pp, 2 * MiB, 8 * MiB, run, 0, 0);
		completed = !mem_fail_fired();
		mem_fail_after(0);
		if (completed) {
			assert_int_equal(err, 0);
			break;
		}
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(mem_live(), live);
		assert_int_equal(r.pp.tables, 0);
		assert_null(r.pp.root.child[0]);
		assert_int_equal(r.pp.root.used, 0);
		assert_int_equal(r.pp.nspare, 2);
		assert_true(spare_has(&r.pp, dma[0]) && spare_has(&r.pp, dma[1]));
		assert_scratch(&r.pp, 2 * MiB, 8 * MiB);
	}
	assert_true(completed);
	assert_true(n > 3);	/* PDP, PD, its child array and a page table at least */
	assert_int_equal(r.pp.nspare, 0);
	assert_int_equal(r.pp.tables, 6);
	for (unsigned int k = 0; k < 4; k++) {
		struct gtt_translation t;
		uint64_t va = 2 * MiB + k * 2 * MiB + 3 * PAGE;

		assert_int_equal(intel_ppgtt_translate(&r.pp, va, &t), 0);
		assert_int_equal(t.addr, 0x100001000ull + k * 2 * MiB + 3 * PAGE);
	}
	assert_true(pt_at(&r.pp, 2 * MiB)->dma == dma[1] || pt_at(&r.pp, 2 * MiB)->dma == dma[0]);
	assert_int_equal(intel_ppgtt_clear(&r.pp, 2 * MiB, 8 * MiB), 0);
	assert_int_equal(r.pp.nspare, 4);
	rig_fini(&r);
	gtt_pages_put(run);
}

/*
 * Through a vm on the mock: unbinds leave spares, a vm and backend
 * destroyed with them leak nothing.
 */
static void test_spare_destroy_with_vm(void **state)
{
	struct gtt_mock_config mc = { .size = 1ull << 40, .scratch_addr = SCRATCH,
				      .mode = GTT_MOCK_INTEL_PPGTT,
				      .intel_family = GTT_INTEL_TGL };
	struct gtt_vm_config vc = { .start = 2 * MiB, .size = 64 * MiB };
	int64_t live = mem_live();
	struct gtt_pages *run = run_of(0x100001000ull, 16 * MiB);
	struct gtt_mock_stats ms;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	gtt_vma_t v;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_vma_create(vm, run, NULL, &v), 0);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(gtt_vma_bind(vm, v, NULL, NULL), 0);
		assert_int_equal(gtt_vma_unbind(vm, v, 0, NULL), 0);
	}
	assert_int_equal(gtt_mock_stats(be, &ms), 0);
	assert_int_equal(ms.tables, 0);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	gtt_pages_put(run);
	assert_int_equal(mem_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spare_reused, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_spare_from_ips, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_spare_bounded, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_spare_bind_fails_part_way, alarm_setup,
						alarm_teardown),
		cmocka_unit_test_setup_teardown(test_spare_destroy_with_vm, alarm_setup,
						alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
