/* SPDX-License-Identifier: MIT */
/*
 * A vm over the Intel PPGTT mock when an unmap's clear cannot be done:
 * unmaps that cut a 64 KiB (IPS) page table or a 2 MiB leaf, which the
 * PPGTT turns into 4 KiB entries first (intel/intel_ppgtt.c, the plan: an
 * allocation), with every allocation of the unmap failing in turn, and
 * with each backend call of it (the clear, the invalidation) failing in
 * turn.  After each failure no entry maps pages the vm has released, the
 * pages outside the cut map what they did, and every page object is held
 * at most once; once memory and the device are back, the rest unmapped
 * and the sparse vma unbound, nothing is mapped, quarantined or left
 * allocated and every page object was released exactly once.  The generic
 * mock's random failure tests (test_fail_paths.c) never reach these
 * clears: only the Intel tables allocate in a clear.
 */
#include <string.h>

#include "helpers.h"

#define MiB (1ull << 20)
#define SZ_64K (64ull << 10)
#define SPARSE_VA (2 * MiB)

/*
 * One layout: @whole_dma (2 MiB, mapped at the sparse vma's start: IPS
 * when only 64 KiB-aligned, a 2 MiB leaf when 2 MiB-aligned), then
 * optionally @cut_dma (@cut_size bytes, mapped over [cut, cut + size)),
 * and the failing unmap of [cut, cut + cut_size).
 */
struct layout {
	const char *name;
	unsigned int family;
	uint64_t whole_dma;
	uint64_t cut_dma;	/* 0: the cut unmaps part of the whole */
	uint64_t cut, cut_size;
	uint64_t page_size;	/* of the whole mapping before the cut */
};

struct rig {
	const struct layout *L;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	gtt_vma_t sv;
	int freed_whole, freed_cut;
	int64_t live;
};

static void rig_init(struct rig *r, const struct layout *L)
{
	struct gtt_mock_config mc = { .size = 1ull << 32, .scratch_addr = 0xdead000,
				      .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = L->family };
	struct gtt_vm_config vc = { .start = MiB, .size = 64 * MiB };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = SPARSE_VA };
	struct gtt_map_info mi = { 0 };
	struct gtt_translation t;
	struct gtt_pages *p;

	memset(r, 0, sizeof(*r));
	r->L = L;
	r->live = mem_live();
	assert_int_equal(gtt_mock_create(&mc, &r->be), 0);
	vc.backend = r->be;
	assert_int_equal(gtt_vm_create(&vc, &r->vm), 0);
	assert_int_equal(gtt_vma_create_sparse(r->vm, 4 * MiB, NULL, &r->sv), 0);
	assert_int_equal(gtt_vma_bind(r->vm, r->sv, &at, NULL), 0);
	p = make_pages(L->whole_dma, 2 * MiB / PAGE, 0);
	assert_int_equal(gtt_pages_set_destructor(p, count_release, &r->freed_whole), 0);
	mi.pages = p;
	assert_int_equal(gtt_vma_map(r->vm, r->sv, 0, 2 * MiB, &mi, NULL), 0);
	gtt_pages_put(p);
	/* The shape the cut must undo: IPS or a leaf. */
	assert_int_equal(gtt_backend_translate(r->be, SPARSE_VA, &t), 0);
	assert_true(t.present && !t.scratch);
	assert_int_equal(t.page_size, L->page_size);
	if (L->cut_dma) {
		p = make_pages(L->cut_dma, L->cut_size / PAGE, 0);
		assert_int_equal(gtt_pages_set_destructor(p, count_release, &r->freed_cut), 0);
		mi.pages = p;
		assert_int_equal(gtt_vma_map(r->vm, r->sv, L->cut, L->cut_size, &mi, NULL), 0);
		gtt_pages_put(p);
	}
}

/* What [0, 2 MiB) of the sparse vma may hold now: outside the cut, the
 * whole mapping; inside, scratch or the pages it held (the cut's own, or
 * the whole's), never pages released. */
static void check_ptes(struct rig *r, const char *when, uint64_t k)
{
	const struct layout *L = r->L;

	for (uint64_t off = 0; off < 2 * MiB; off += PAGE) {
		bool in_cut = off >= L->cut && off < L->cut + L->cut_size;
		uint64_t whole = L->whole_dma + off;
		uint64_t cut = L->cut_dma ? L->cut_dma + (off - L->cut) : whole;
		struct gtt_translation t;

		assert_int_equal(gtt_backend_translate(r->be, SPARSE_VA + off, &t), 0);
		if (!in_cut) {
			if (!t.present || t.scratch || t.addr != whole)
				fail_msg("%s, %s at %llu: 0x%llx maps 0x%llx, not 0x%llx", L->name,
					 when, (unsigned long long)k, (unsigned long long)off,
					 (unsigned long long)t.addr, (unsigned long long)whole);
			continue;
		}
		if (t.present && t.scratch)
			continue;
		if (!t.present || t.addr != cut)
			fail_msg("%s, %s at %llu: 0x%llx in the cut maps 0x%llx", L->name, when,
				 (unsigned long long)k, (unsigned long long)off,
				 (unsigned long long)t.addr);
		if (L->cut_dma ? r->freed_cut : r->freed_whole)
			fail_msg("%s, %s at %llu: 0x%llx maps 0x%llx, whose pages were released",
				 L->name, when, (unsigned long long)k, (unsigned long long)off,
				 (unsigned long long)t.addr);
	}
	assert_true(r->freed_whole <= 1 && r->freed_cut <= 1);
}

/* Memory and device back: unmap the rest, unbind the sparse vma, and
 * nothing is left. */
static void rig_fini(struct rig *r, uint64_t k)
{
	const struct layout *L = r->L;
	struct gtt_vm_stats st;
	struct gtt_mock_stats ms;
	struct gtt_translation t;

	assert_int_equal(gtt_mock_fail_call(r->be, 0, 0), 0);
	/* Everything unmapped: a part whose clear failed still holds its
	 * pages (the quarantine waits for the sparse vma's unbind). */
	assert_int_equal(gtt_vma_unmap(r->vm, r->sv, 0, 2 * MiB, NULL, NULL), 0);
	for (uint64_t off = 0; off < 2 * MiB; off += PAGE) {
		bool in_cut = off >= L->cut && off < L->cut + L->cut_size;

		assert_int_equal(gtt_backend_translate(r->be, SPARSE_VA + off, &t), 0);
		if (t.present && t.scratch)
			continue;
		if (!in_cut || (L->cut_dma ? r->freed_cut : r->freed_whole))
			fail_msg("%s at %llu, all unmapped: 0x%llx maps 0x%llx", L->name,
				 (unsigned long long)k, (unsigned long long)off,
				 (unsigned long long)t.addr);
	}
	assert_int_equal(gtt_vma_unbind(r->vm, r->sv, 0, NULL), 0);
	assert_int_equal(gtt_vm_stats(r->vm, &st), 0);
	assert_int_equal(st.quarantined, 0);
	for (uint64_t off = 0; off < 4 * MiB; off += PAGE) {
		assert_int_equal(gtt_backend_translate(r->be, SPARSE_VA + off, &t), 0);
		assert_true(t.present && t.scratch);
	}
	assert_int_equal(r->freed_whole, 1);
	assert_int_equal(r->freed_cut, L->cut_dma ? 1 : 0);
	assert_int_equal(gtt_mock_stats(r->be, &ms), 0);
	assert_int_equal(ms.tables, 0);
	assert_int_equal(gtt_vma_destroy(r->vm, r->sv), 0);
	gtt_vm_destroy(r->vm);
	gtt_backend_destroy(r->be);
	assert_int_equal(mem_live(), r->live);
}

/* The unmap's fence has signalled, with 0 or the failure. */
static void check_fence(struct gtt_fence *f, int err)
{
	if (!f)
		return;
	assert_true(gtt_fence_is_signaled(f));
	assert_true(gtt_fence_status(f) == 1 || gtt_fence_status(f) == err);
	gtt_fence_put(f);
}

/* Whether the vm holds a part whose clear failed (the sparse vma's parts
 * wait for its unbind, so a call does not release them). */
static bool quarantined(struct rig *r)
{
	struct gtt_vm_stats st;

	assert_int_equal(gtt_vm_stats(r->vm, &st), 0);
	return st.quarantined;
}

static void sweep_memory(const struct layout *L)
{
	unsigned int fired = 0, kept = 0;
	uint64_t k;

	for (k = 1; k < 1000; k++) {
		struct gtt_fence *f = NULL;
		struct rig r;
		bool hit;
		int err;

		rig_init(&r, L);
		mem_fail_after(k);
		err = gtt_vma_unmap(r.vm, r.sv, L->cut, L->cut_size, NULL, &f);
		hit = mem_fail_fired();
		mem_fail_after(0);
		assert_true(err == 0 || (hit && err == -ENOMEM));
		check_fence(f, err);
		check_ptes(&r, "memory failing", k);
		/* A call retries the quarantine (memory is back). */
		kept += quarantined(&r);
		check_ptes(&r, "the next call", k);
		rig_fini(&r, k);
		if (!hit)
			break;
		fired++;
	}
	print_message("%s: %u allocations failed in turn, %u clears failed\n", L->name,
		      fired, kept);
	assert_true(k < 1000);
	assert_true(fired >= 3);
	/* Where the clear allocates (not over the 4 KiB table), it failed. */
	assert_true(L->cut_dma || kept >= 1);
}

static void sweep_calls(const struct layout *L)
{
	unsigned int kept = 0;
	uint64_t n;

	for (n = 1; n < 16; n++) {
		struct gtt_mock_stats before, after;
		struct gtt_fence *f = NULL;
		struct rig r;
		int err;

		rig_init(&r, L);
		assert_int_equal(gtt_mock_stats(r.be, &before), 0);
		assert_int_equal(gtt_mock_fail_call(r.be, n, -EIO), 0);
		err = gtt_vma_unmap(r.vm, r.sv, L->cut, L->cut_size, NULL, &f);
		assert_int_equal(gtt_mock_stats(r.be, &after), 0);
		assert_int_equal(gtt_mock_fail_call(r.be, 0, 0), 0);
		check_fence(f, err);
		check_ptes(&r, "a backend call failing", n);
		kept += quarantined(&r);
		check_ptes(&r, "the next call", n);
		rig_fini(&r, n);
		if (after.failures_injected == before.failures_injected)
			break;
		assert_int_equal(err, -EIO);
	}
	print_message("%s: %llu backend calls failed in turn, %u parts kept\n", L->name,
		      (unsigned long long)n - 1, kept);
	/* The clear and the invalidation failed, each keeping the part. */
	assert_true(n > 2 && n < 16);
	assert_int_equal(kept, n - 1);
}

static const struct layout layouts[] = {
	/* 64 KiB, and 4 KiB, of an IPS table's pages. */
	{ "TGL IPS", GTT_INTEL_TGL, 0x40010000ull, 0, 5 * SZ_64K, SZ_64K, SZ_64K },
	{ "SKL IPS", GTT_INTEL_SKL, 0x40010000ull, 0, 5 * SZ_64K, SZ_64K, SZ_64K },
	{ "TGL IPS 4K", GTT_INTEL_TGL, 0x40010000ull, 0, 3 * PAGE, PAGE, SZ_64K },
	/* Another buffer mapped over 64 KiB of an IPS table (which the map's
	 * clear turned into a 4 KiB one), unmapped: its pages alone. */
	{ "TGL over IPS", GTT_INTEL_TGL, 0x40010000ull, 0x50010000ull, 5 * SZ_64K, SZ_64K,
	  SZ_64K },
	/* Part of a 2 MiB leaf (4 KiB entries after, PS64-hinted on DG2). */
	{ "TGL 2M", GTT_INTEL_TGL, 0x40000000ull, 0, SZ_64K + PAGE, 2 * PAGE, 2 * MiB },
	{ "DG2 2M", GTT_INTEL_DG2, 0x40000000ull, 0, SZ_64K + PAGE, 2 * PAGE, 2 * MiB },
};

static void test_cut_memory_fails(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		sweep_memory(&layouts[i]);
}

static void test_cut_call_fails(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		sweep_calls(&layouts[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_memory_fails, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_cut_call_fails, alarm_setup, alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
