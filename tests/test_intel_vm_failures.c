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
 * clears: only the Intel tables allocate in a clear.  And an LRU eviction
 * next to a colour guard whose bind then cannot allocate its page tables.
 */
#include <string.h>

#include "helpers.h"
#include "alloc/range_alloc_internal.h"

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

/* The vm's allocator: its trees sound, and its nodes and holes make up
 * its @size bytes. */
static void check_alloc(struct gtt_vm *vm, uint64_t size)
{
	struct gtt_range_alloc *ra = gtt_vm_range_alloc(vm);
	struct gtt_range_stats rs;
	uint64_t used = 0, nodes = 0;

	assert_int_equal(range_alloc_check(ra), 0);
	assert_int_equal(gtt_range_alloc_stats(ra, &rs), 0);
	for (struct gtt_range_node *n = gtt_range_first(ra); n; n = gtt_range_next(ra, n)) {
		used += gtt_range_node_size(n);
		nodes++;
	}
	assert_int_equal(rs.used, used);
	assert_int_equal(rs.nodes, nodes);
	assert_int_equal(rs.used + rs.free, size);
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
	check_alloc(r->vm, 64 * MiB);
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

/* ---- an evicting bind whose page tables cannot be allocated ---- */

/*
 * A TGL vm with colour guards, in LRU order: A and B (2 MiB each, 2 MiB
 * leaves) then C (one page of colour 0, a page table of its own) fill
 * [2 MiB, 6 MiB + 4 KiB).  N, 4 MiB of one-page segments in colour 1,
 * fits only once A, B and C go: without C its guard page would fall in
 * the hole.  N's write needs two page tables where the leaves were (no
 * spare: the victims had none), so its allocations fail in turn after the
 * eviction too.
 */
#define EV_START (2 * MiB)
#define EV_SIZE (4 * MiB + PAGE)
#define EV_A 0x40000000ull
#define EV_B 0x40200000ull
#define EV_C 0x50000000ull
#define EV_N 0x60000000ull

struct ev {
	struct gtt_backend *be;
	struct gtt_vm *vm;
	gtt_vma_t a, b, c, n;
	int freed[4];		/* A, B, C, N */
	int64_t live;
};

static gtt_vma_t ev_vma(struct ev *w, struct gtt_pages *p, int *freed, uint64_t at,
			uint32_t color)
{
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = at, .color = color };
	gtt_vma_t h;

	assert_int_equal(gtt_pages_set_destructor(p, count_release, freed), 0);
	assert_int_equal(gtt_vma_create(w->vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	if (at)
		assert_int_equal(gtt_vma_bind(w->vm, h, &bi, NULL), 0);
	return h;
}

static void ev_init(struct ev *w)
{
	struct gtt_mock_config mc = { .size = 1ull << 32, .scratch_addr = 0xdead000,
				      .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = GTT_INTEL_TGL };
	struct gtt_vm_config vc = { .start = EV_START, .size = EV_SIZE,
				    .flags = GTT_VM_COLOR_GUARD, .evict_order = GTT_EVICT_LRU };
	struct gtt_pages_segment segs[4 * MiB / PAGE];
	struct gtt_translation t;
	struct gtt_pages *p;

	memset(w, 0, sizeof(*w));
	w->live = mem_live();
	assert_int_equal(gtt_mock_create(&mc, &w->be), 0);
	vc.backend = w->be;
	assert_int_equal(gtt_vm_create(&vc, &w->vm), 0);
	w->a = ev_vma(w, make_pages(EV_A, 2 * MiB / PAGE, 0), &w->freed[0], EV_START, 0);
	w->b = ev_vma(w, make_pages(EV_B, 2 * MiB / PAGE, 0), &w->freed[1], EV_START + 2 * MiB, 0);
	w->c = ev_vma(w, make_pages(EV_C, 1, 0), &w->freed[2], EV_START + 4 * MiB, 0);
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)	/* every other page */
		segs[i] = (struct gtt_pages_segment){ EV_N + 2 * i * PAGE, PAGE };
	assert_int_equal(gtt_pages_create(segs, sizeof(segs) / sizeof(segs[0]), 0, &p), 0);
	w->n = ev_vma(w, p, &w->freed[3], 0, 1);
	assert_int_equal(gtt_backend_translate(w->be, EV_START, &t), 0);
	assert_int_equal(t.page_size, 2 * MiB);		/* A is a leaf */
}

/* Every page of [EV_START, +EV_SIZE): a bound vma's maps its pages (at
 * @dma, @stride apart), and an unbound vma's pages, evicted or never
 * bound, are mapped nowhere. */
static void ev_check(struct ev *w, uint64_t k)
{
	const struct { gtt_vma_t *h; uint64_t dma, stride; int *freed; } v[4] = {
		{ &w->a, EV_A, PAGE, &w->freed[0] }, { &w->b, EV_B, PAGE, &w->freed[1] },
		{ &w->c, EV_C, PAGE, &w->freed[2] }, { &w->n, EV_N, 2 * PAGE, &w->freed[3] },
	};
	struct gtt_vma_info info[4];
	bool out[4];		/* its pages are out of the page table */

	for (int i = 0; i < 4; i++) {
		struct gtt_fence *f = NULL;

		assert_int_equal(gtt_vma_query(w->vm, *v[i].h, &info[i]), 0);
		assert_int_equal(*v[i].freed, 0);	/* the vma holds them */
		/* An evicted vma's fence has signalled (nothing to wait for)
		 * without an error: its pages are out of the page table. */
		assert_int_equal(gtt_vma_last_unbind(w->vm, *v[i].h, &f), 0);
		assert_true(!f == !info[i].evicted);
		if (f) {
			assert_int_equal(gtt_fence_status(f), 1);
			gtt_fence_put(f);
		}
		out[i] = !info[i].bound;
	}
	for (uint64_t off = 0; off < EV_SIZE; off += PAGE) {
		struct gtt_translation t;
		bool mapped = false;

		assert_int_equal(gtt_backend_translate(w->be, EV_START + off, &t), 0);
		for (int i = 0; i < 4; i++) {
			uint64_t at = EV_START + off;

			if (!info[i].bound || at < info[i].offset || at - info[i].offset >= info[i].size)
				continue;
			/* A bound vma's page: mapped as its pages say. */
			assert_true(t.present && !t.scratch);
			assert_int_equal(t.addr, v[i].dma + (at - info[i].offset) / PAGE * v[i].stride);
			mapped = true;
		}
		if (mapped || (t.present && t.scratch))
			continue;
		for (int i = 0; i < 4; i++)
			if (out[i] && t.addr >= v[i].dma && t.addr < v[i].dma + 8 * MiB)
				fail_msg("evicting bind, allocation %llu: 0x%llx maps 0x%llx, unbound",
					 (unsigned long long)k, (unsigned long long)(EV_START + off),
					 (unsigned long long)t.addr);
	}
	check_alloc(w->vm, EV_SIZE);
}

static void ev_fini(struct ev *w)
{
	struct gtt_mock_stats ms;

	gtt_vm_destroy(w->vm);
	assert_int_equal(gtt_mock_stats(w->be, &ms), 0);
	assert_int_equal(ms.tables, 0);
	gtt_backend_destroy(w->be);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w->freed[i], 1);
	assert_int_equal(mem_live(), w->live);
}

/*
 * Every allocation of the evicting bind fails in turn.  Before the
 * eviction: -ENOMEM, all three still bound.  After it (N's page tables):
 * -ENOMEM with A, B and C evicted, their fences signalled and their range
 * scratch, N unbound (GTT_BIND_EVICT: the write may still fail), and the
 * same bind then succeeds without evicting more.  Without a failure: N at
 * 2 MiB.  After each: every bound vma maps its pages, no unbound vma's
 * page is mapped, the allocator is sound; at the end every page object
 * was released once and no table or memory is left.  Fails if the
 * ordered scan took the raw span for the hole (A and B evicted, then
 * -ENOSPC: C's guard page).
 */
static void test_evict_guard_tables_fail(void **state)
{
	unsigned int before = 0, after = 0;
	uint64_t k;

	(void)state;
	for (k = 1; k < 1000; k++) {
		struct gtt_vm_stats st;
		struct gtt_vma_info info;
		struct ev w;
		bool hit;
		int err;

		ev_init(&w);
		mem_fail_after(k);
		err = gtt_vma_bind(w.vm, w.n, &(struct gtt_bind_info){ .flags = GTT_BIND_EVICT,
									  .color = 1 }, NULL);
		hit = mem_fail_fired();
		mem_fail_after(0);
		assert_true(err == 0 || (hit && err == -ENOMEM));
		assert_int_equal(gtt_vm_stats(w.vm, &st), 0);
		assert_true(st.evictions == 0 || st.evictions == 3);
		if (err) {
			before += !st.evictions;
			after += st.evictions == 3;
		}
		ev_check(&w, k);
		if (!err) {
			assert_int_equal(st.evictions, 3);
			assert_int_equal(gtt_vma_query(w.vm, w.n, &info), 0);
			assert_int_equal(info.offset, EV_START);
		}
		/* Memory back: the bind succeeds now in every case. */
		assert_int_equal(gtt_vma_bind(w.vm, w.n, &(struct gtt_bind_info){
			.flags = GTT_BIND_EVICT, .color = 1 }, NULL), err ? 0 : -EBUSY);
		assert_int_equal(gtt_vm_stats(w.vm, &st), 0);
		assert_int_equal(st.evictions, 3);
		assert_int_equal(gtt_vma_query(w.vm, w.n, &info), 0);
		assert_int_equal(info.offset, EV_START);
		ev_check(&w, k);
		ev_fini(&w);
		if (!hit)
			break;
	}
	print_message("evicting bind: %u allocations failed before the eviction, %u after\n",
		      before, after);
	assert_true(k < 1000);
	assert_true(before >= 3 && after >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cut_memory_fails, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_cut_call_fails, alarm_setup, alarm_teardown),
		cmocka_unit_test_setup_teardown(test_evict_guard_tables_fail, alarm_setup,
						alarm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
