/* SPDX-License-Identifier: MIT */
/*
 * The Intel GGTT and PPGTT code, driven through a vm over the mock's Intel
 * modes and checked by walking the tables: entries, scratch, reserved
 * pages, on-demand table allocation and freeing, huge and 64K pages,
 * platform rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "base/util.h"
#include "backend/backend_internal.h"
#include "intel/intel_pt_write.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define SCRATCH 0xdead000ull

struct intel_world {
	struct gtt_backend *be;
	struct gtt_vm *vm;
	const struct gtt_intel_platform *p;
};

static void intel_init(struct intel_world *w, enum gtt_intel_family fam,
		       unsigned int mode, uint64_t size, uint64_t vm_start,
		       uint64_t vm_size)
{
	struct gtt_mock_config mc = { .size = size, .scratch_addr = SCRATCH,
				      .mode = mode, .intel_family = fam };
	struct gtt_vm_config vc = { .start = vm_start, .size = vm_size };

	w->p = gtt_intel_platform(fam);
	assert_int_equal(gtt_mock_create(&mc, &w->be), 0);
	vc.backend = w->be;
	assert_int_equal(gtt_vm_create(&vc, &w->vm), 0);
}

static void intel_fini(struct intel_world *w)
{
	gtt_vm_destroy(w->vm);
	gtt_backend_destroy(w->be);
}

static gtt_vma_t vma_over(struct gtt_vm *vm, const struct gtt_pages_segment *segs,
			  size_t n)
{
	struct gtt_pages *p;
	gtt_vma_t h;

	assert_int_equal(gtt_pages_create(segs, n, 0, &p), 0);
	assert_int_equal(gtt_vma_create(vm, p, NULL, &h), 0);
	gtt_pages_put(p);
	return h;
}

static struct gtt_translation walk(struct gtt_backend *be, uint64_t va)
{
	struct gtt_translation t;

	assert_int_equal(gtt_backend_translate(be, va, &t), 0);
	return t;
}

/* ---- GGTT ---- */

static void check_ggtt(enum gtt_intel_family fam)
{
	const uint64_t size = 16 * MiB;
	struct gtt_pages_segment segs[] = {
		{ 0x12345000, 2 * PAGE }, { 0x7000000, PAGE }, { 0x20000000, 3 * PAGE },
	};
	struct intel_world w;
	struct gtt_vma_info info;
	uint64_t expect[6] = { 0x12345000, 0x12346000, 0x7000000,
			       0x20000000, 0x20001000, 0x20002000 };
	gtt_vma_t v;

	/* i915 keeps page 0 and the last page out of use. */
	intel_init(&w, fam, GTT_MOCK_INTEL_GGTT, size, PAGE, size - 2 * PAGE);
	v = vma_over(w.vm, segs, 3);
	struct gtt_bind_info bi = { .placement = GTT_PLACE_HIGH };
	assert_int_equal(gtt_vma_bind(w.vm, v, &bi, NULL), 0);
	gtt_vma_query(w.vm, v, &info);
	assert_int_equal(info.offset + info.size, size - PAGE);	/* up to the guard */
	for (int i = 0; i < 6; i++) {
		struct gtt_translation t = walk(w.be, info.offset + i * PAGE + 0x10);
		uint64_t pte;

		assert_true(t.present);
		assert_false(t.scratch);
		assert_int_equal(t.addr, expect[i] + 0x10);
		assert_int_equal(gtt_intel_ggtt_encode(w.p->ggtt_format, expect[i], 0, &pte), 0);
		assert_int_equal(t.pte, pte);
		if (w.p->ggtt_pte_size == 4)
			assert_int_equal(t.pte >> 32, 0);
	}
	/* Reserved and unused entries hold scratch. */
	assert_true(walk(w.be, 0).scratch);
	assert_true(walk(w.be, size - PAGE).scratch);
	assert_true(walk(w.be, size / 2).scratch);
	/* Unbind always scrubs. */
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	for (int i = 0; i < 6; i++)
		assert_true(walk(w.be, info.offset + i * PAGE).scratch);
	struct gtt_translation t;

	assert_int_equal(gtt_backend_translate(w.be, size, &t), -ERANGE);
	intel_fini(&w);
}

static void test_ggtt_snb(void **s) { (void)s; check_ggtt(GTT_INTEL_SNB); }
static void test_ggtt_hsw(void **s) { (void)s; check_ggtt(GTT_INTEL_HSW); }
static void test_ggtt_bdw(void **s) { (void)s; check_ggtt(GTT_INTEL_BDW); }
static void test_ggtt_tgl(void **s) { (void)s; check_ggtt(GTT_INTEL_TGL); }
static void test_ggtt_mtl(void **s) { (void)s; check_ggtt(GTT_INTEL_MTL); }

static void test_ggtt_rejects_unencodable(void **state)
{
	struct gtt_pages_segment seg = { 1ull << 41, PAGE };	/* too wide for gen8 */
	struct intel_world w;
	struct gtt_vm_stats st;
	gtt_vma_t v;

	(void)state;
	intel_init(&w, GTT_INTEL_BDW, GTT_MOCK_INTEL_GGTT, 4 * MiB, PAGE, 4 * MiB - 2 * PAGE);
	v = vma_over(w.vm, &seg, 1);
	assert_int_equal(gtt_vma_bind(w.vm, v, NULL, NULL), -EINVAL);
	gtt_vm_stats(w.vm, &st);
	assert_int_equal(st.bound, 0);
	assert_true(walk(w.be, PAGE).scratch);
	intel_fini(&w);
}

/* ---- PPGTT ---- */

static void test_ppgtt_4level_tables_on_demand(void **state)
{
	struct gtt_pages_segment seg = { 0x40000000, 3 * PAGE };
	struct gtt_mock_stats ms;
	struct intel_world w;
	gtt_vma_t a, b;

	(void)state;
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_PPGTT, 1ull << 48, PAGE,
		   (1ull << 48) - PAGE);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 0);
	/* Unmapped addresses walk the scratch hierarchy to the scratch page. */
	struct gtt_translation t = walk(w.be, 0x123456789000ull);

	assert_true(t.present && t.scratch);
	assert_int_equal(t.addr, SCRATCH);
	a = vma_over(w.vm, &seg, 1);
	b = vma_over(w.vm, &seg, 1);
	/* Far apart: different PML4 slots, each needs PDP, PD and PT. */
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 0x7f0000001000ull };
	assert_int_equal(gtt_vma_bind(w.vm, a, &at, NULL), 0);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 3);
	at.offset = 0x100000ull;
	assert_int_equal(gtt_vma_bind(w.vm, b, &at, NULL), 0);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 6);
	assert_true(ms.flushes > 0);
	t = walk(w.be, 0x7f0000002008ull);
	assert_int_equal(t.addr, 0x40001008);
	assert_int_equal(t.level, 0);
	assert_int_equal(t.page_size, PAGE);
	/* Tables go away with their last entry. */
	assert_int_equal(gtt_vma_unbind(w.vm, a, 0, NULL), 0);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 3);
	assert_true(walk(w.be, 0x7f0000001000ull).scratch);
	assert_int_equal(gtt_vma_unbind(w.vm, b, 0, NULL), 0);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 0);
	intel_fini(&w);
}

static void test_ppgtt_3level_chv(void **state)
{
	struct gtt_pages_segment seg = { 0x80000000, 2 * PAGE };
	struct gtt_mock_stats ms;
	struct intel_world w;
	struct gtt_translation t;
	gtt_vma_t a;

	(void)state;
	intel_init(&w, GTT_INTEL_CHV, GTT_MOCK_INTEL_PPGTT, 4 * GiB, PAGE, 4 * GiB - PAGE);
	a = vma_over(w.vm, &seg, 1);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 3 * GiB + 0x5000 };
	assert_int_equal(gtt_vma_bind(w.vm, a, &at, NULL), 0);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 1);		/* only a PT: the 4 PDs always exist */
	t = walk(w.be, 3 * GiB + 0x6000);
	assert_int_equal(t.addr, 0x80001000);
	assert_int_equal(gtt_backend_translate(w.be, 4 * GiB, &t), -ERANGE);
	assert_int_equal(gtt_vma_unbind(w.vm, a, 0, NULL), 0);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 0);
	intel_fini(&w);
}

static void check_huge(enum gtt_intel_family fam, uint64_t page, unsigned int level)
{
	/* Two contiguous segments making one aligned 2 GiB run, plus a tail. */
	struct gtt_pages_segment segs[] = {
		{ 0x100000000ull, GiB }, { 0x140000000ull, GiB }, { 0x300000, 3 * PAGE },
	};
	struct intel_world w;
	struct gtt_translation t;
	struct gtt_mock_stats ms;
	gtt_vma_t v;

	intel_init(&w, fam, GTT_MOCK_INTEL_PPGTT, 1ull << 47, 0, 1ull << 47);
	v = vma_over(w.vm, segs, 3);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 4 * GiB };
	assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
	t = walk(w.be, 4 * GiB + GiB + 0x201234);
	assert_int_equal(t.addr, 0x140000000ull + 0x201234);
	assert_int_equal(t.page_size, page);
	assert_int_equal(t.level, level);
	t = walk(w.be, 6 * GiB + PAGE);			/* the tail: 4K pages */
	assert_int_equal(t.addr, 0x301000);
	assert_int_equal(t.page_size, PAGE);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_true(walk(w.be, 4 * GiB + GiB).scratch);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 0);
	intel_fini(&w);
}

static void test_ppgtt_huge_pages(void **state)
{
	(void)state;
	check_huge(GTT_INTEL_SKL, 64 * 1024, 0);	/* gen9: no 2M leaves, 64K IPS tables */
	check_huge(GTT_INTEL_ICL, 2 * MiB, 1);	/* gen11+: 2M leaves */
	check_huge(GTT_INTEL_LNL, GiB, 2);		/* Xe2: 1G leaves */
}

static void test_ppgtt_64k_hint(void **state)
{
	struct gtt_pages_segment segs[] = { { 0x200000, 16 * PAGE }, { 0x900000, PAGE } };
	struct intel_world w;
	struct gtt_translation t;
	gtt_vma_t v;

	(void)state;
	intel_init(&w, GTT_INTEL_DG2, GTT_MOCK_INTEL_PPGTT, 1ull << 40, 0, 1ull << 40);
	v = vma_over(w.vm, segs, 2);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 0x10000 };
	assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
	t = walk(w.be, 0x10000 + 5 * PAGE);
	assert_int_equal(t.page_size, 64 * 1024);
	assert_true(t.flags & GTT_INTEL_PS64);
	assert_int_equal(t.addr, 0x205000);
	t = walk(w.be, 0x20000);			/* the lone 4K tail */
	assert_int_equal(t.page_size, PAGE);
	assert_int_equal(t.addr, 0x900000);
	intel_fini(&w);
}

/* Walk raw tables by hand (independent of the library's walker): the
 * entry of level @stop for @va, reading the PT with @pt_stride entries per
 * 64K when the PDE says 64K mode (16 for IPS, 1 for compact). */
static uint64_t raw_entry_levels(struct gtt_backend *be, int levels, uint64_t va,
				 unsigned int pt_stride)
{
	uint64_t dma, e = 0;

	assert_int_equal(gtt_mock_ppgtt_root(be, &dma), 0);
	for (int level = levels - 1; level >= 0; level--) {
		unsigned int idx = (unsigned int)(va >> (12 + 9 * level)) & 511;

		if (level == 0 && pt_stride)
			idx = (unsigned int)((va >> 16) & 31) * pt_stride;
		assert_int_equal(gtt_mock_table_read(be, dma, idx, &e), 0);
		dma = e & 0x3ffffffff000ull;
	}
	return e;
}

static uint64_t raw_entry(struct gtt_backend *be, uint64_t va, unsigned int pt_stride)
{
	return raw_entry_levels(be, 4, va, pt_stride);
}

/* gen9-12.0: a whole 2 MiB of 64K chunks puts the page table in IPS mode. */
static void test_ppgtt_64k_ips(void **state)
{
	struct gtt_pages_segment segs[32];
	struct gtt_translation t;
	struct gtt_mock_stats ms;
	struct intel_world w;
	gtt_vma_t v, part;

	(void)state;
	for (int i = 0; i < 32; i++)	/* 64K chunks, scattered: no 2M page */
		segs[i] = (struct gtt_pages_segment){ 0x100000000ull + i * 0x200000ull, 64 * 1024 };
	intel_init(&w, GTT_INTEL_SKL, GTT_MOCK_INTEL_PPGTT, 1ull << 40, 0, 1ull << 40);
	v = vma_over(w.vm, segs, 32);
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 4 * MiB };
	assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
	t = walk(w.be, 4 * MiB + 5 * 65536 + 0x1234);
	assert_int_equal(t.addr, 0x100000000ull + 5 * 0x200000ull + 0x1234);
	assert_int_equal(t.page_size, 64 * 1024);
	assert_int_equal(t.level, 0);
	t = walk(w.be, 4 * MiB + 31 * 65536);
	assert_int_equal(t.addr, 0x100000000ull + 31 * 0x200000ull);
	/* Hardware layout: PDE bit 11 (IPS), every 16th PTE used. */
	for (int k = 0; k < 32; k++)
		assert_int_equal(raw_entry(w.be, 4 * MiB + k * 65536ull, 16) & ~0xfffull,
				 0x100000000ull + k * 0x200000ull);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_true(walk(w.be, 4 * MiB).scratch);
	gtt_mock_stats(w.be, &ms);
	assert_int_equal(ms.tables, 0);
	/* Half a page table of the same chunks: ordinary 4K entries. */
	part = vma_over(w.vm, segs, 16);
	assert_int_equal(gtt_vma_bind(w.vm, part, &at, NULL), 0);
	t = walk(w.be, 4 * MiB + 65536 + PAGE);
	assert_int_equal(t.page_size, PAGE);
	assert_int_equal(t.addr, 0x100200000ull + PAGE);
	intel_fini(&w);
}

/* XeHP discrete: local memory goes through compact 64K tables. */
static void test_ppgtt_64k_compact_lmem(void **state)
{
	struct gtt_pages_segment lmem[2] = { { 0x800000000ull, 64 * 1024 },
					     { 0x800100000ull, 64 * 1024 } };
	struct gtt_pages_segment lmem2 = { 0x800400000ull, 128 * 1024 };
	struct gtt_pages_segment smem = { 0x40000000, PAGE };
	struct gtt_pages_segment small = { 0x800800000ull, PAGE };
	struct gtt_mock_config mc = { .size = 1ull << 40, .scratch_addr = 0x10000,
				      .mode = GTT_MOCK_INTEL_PPGTT,
				      .intel_family = GTT_INTEL_DG2 };
	struct gtt_vm_config vc = { .start = 0, .size = 1ull << 40 };
	struct gtt_bind_info lm = { .flags = GTT_BIND_FIXED, .offset = 2 * MiB,
				    .pte_flags = GTT_PTE_LOCAL_MEM };
	struct gtt_translation t;
	struct gtt_backend *be;
	struct gtt_vm *vm;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	assert_int_equal(gtt_vma_bind(vm, vma_over(vm, lmem, 2), &lm, NULL), 0);
	t = walk(be, 2 * MiB + 65536 + 0x10);
	assert_int_equal(t.addr, 0x800100010ull);
	assert_int_equal(t.page_size, 64 * 1024);
	assert_true(t.flags & GTT_PTE_LOCAL_MEM);
	/* Hardware layout: one entry per 64K, LM bit 11 in the PTE. */
	assert_int_equal(raw_entry(be, 2 * MiB + 65536, 1) & 0x3ffffffff000ull, 0x800100000ull);
	assert_true(raw_entry(be, 2 * MiB + 65536, 1) & (1u << 11));
	/* More local memory in the same 2 MiB: fine, same compact table. */
	lm.offset = 2 * MiB + 4 * 65536;
	assert_int_equal(gtt_vma_bind(vm, vma_over(vm, &lmem2, 1), &lm, NULL), 0);
	assert_int_equal(walk(be, 2 * MiB + 5 * 65536).addr, 0x800410000ull);
	/* System memory in that 2 MiB region is refused, nothing written. */
	struct gtt_bind_info sm = { .flags = GTT_BIND_FIXED, .offset = 2 * MiB + MiB };
	assert_int_equal(gtt_vma_bind(vm, vma_over(vm, &smem, 1), &sm, NULL), -EINVAL);
	/* Local memory must come in 64K units. */
	lm.offset = 8 * MiB;
	assert_int_equal(gtt_vma_bind(vm, vma_over(vm, &small, 1), &lm, NULL), -EINVAL);
	assert_true(walk(be, 8 * MiB).scratch);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	/* Compact tables need a 64K-aligned scratch page. */
	mc.scratch_addr = 0x11000;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	vc.backend = be;
	assert_int_equal(gtt_vm_create(&vc, &vm), 0);
	lm.offset = 2 * MiB;
	assert_int_equal(gtt_vma_bind(vm, vma_over(vm, lmem, 2), &lm, NULL), -EINVAL);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
}

static void test_ppgtt_read_only_rules(void **state)
{
	struct gtt_pages_segment seg = { 0x40000000, PAGE };
	struct gtt_bind_info ro = { .pte_flags = GTT_PTE_READ_ONLY };
	struct intel_world w;
	gtt_vma_t v;

	(void)state;
	intel_init(&w, GTT_INTEL_BDW, GTT_MOCK_INTEL_PPGTT, 1ull << 40, PAGE, 1ull << 39);
	v = vma_over(w.vm, &seg, 1);
	assert_int_equal(gtt_vma_bind(w.vm, v, &ro, NULL), 0);
	assert_true(walk(w.be, PAGE).flags & GTT_PTE_READ_ONLY);
	intel_fini(&w);
	/* i915 disables read-only PPGTT pages on gen12 */
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_PPGTT, 1ull << 40, PAGE, 1ull << 39);
	v = vma_over(w.vm, &seg, 1);
	assert_int_equal(gtt_vma_bind(w.vm, v, &ro, NULL), -EINVAL);
	intel_fini(&w);
}

static void test_backend_dump_runs(void **state)
{
	struct gtt_pages_segment segs[] = { { 0x12345000, 2 * PAGE }, { 0x7000000, PAGE } };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 4 * PAGE };
	struct intel_world w;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_GGTT, 16 * PAGE, PAGE, 14 * PAGE);
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, segs, 2), &at, NULL), 0);
	out = open_memstream(&buf, &len);
	assert_int_equal(gtt_backend_dump(w.be, 0, 16 * PAGE, out), 0);
	fclose(out);
	/* scratch 0-3, a 2-page run, a 1-page run, scratch 7-15: four lines */
	assert_non_null(strstr(buf, "0x000000000000-0x000000003fff  scratch                 4 pages"));
	assert_non_null(strstr(buf, "0x000000004000-0x000000005fff  -> 0x000012345000         2 pages  4K"));
	assert_non_null(strstr(buf, "0x000000006000-0x000000006fff  -> 0x000007000000         1 pages"));
	assert_non_null(strstr(buf, "0x000000007000-0x00000000ffff  scratch                 9 pages"));
	int lines = 0;

	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 4);
	free(buf);
	assert_int_equal(gtt_backend_dump(w.be, 1, PAGE, stderr), -EINVAL);
	out = fopen("/dev/null", "w");
	assert_int_equal(gtt_backend_dump(w.be, 0, 32 * PAGE, out), -ERANGE);
	fclose(out);
	intel_fini(&w);
}

struct run_log {
	int n;
	uint64_t start[8], pages[8], total, calls;
	bool scratch[8], present[8];
};

static int log_run(void *arg, uint64_t start, uint64_t pages, const struct gtt_translation *f)
{
	struct run_log *l = arg;

	if (l->n < 8) {
		l->start[l->n] = start;
		l->pages[l->n] = pages;
		l->scratch[l->n] = f->scratch;
		l->present[l->n] = f->present;
	}
	l->n++;
	l->total += pages;
	return 0;
}

/* A whole 48-bit PPGTT is walked by stepping over scratch subtrees. */
static void test_runs_step_over_scratch(void **state)
{
	struct gtt_pages_segment huge = { 0x40000000ull, 2 * MiB }, small = { 0x12345000, 3 * PAGE };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = GiB };
	struct gtt_translation t;
	struct intel_world w;
	struct run_log l = { 0 };
	const uint64_t top = 1ull << 48;

	(void)state;
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_PPGTT, top, 0, top);
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &huge, 1), &at, NULL), 0);
	at.offset = 0x7f0000000000ull + 5 * PAGE;
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &small, 1), &at, NULL), 0);
	/* Extents: a 2 MiB leaf, an empty 512 GiB slot, a scratch PTE. */
	t = walk(w.be, GiB + 4 * PAGE);
	assert_true(t.present && !t.scratch && t.page_size == 2 * MiB);
	assert_int_equal(t.extent, 2 * MiB - 4 * PAGE);
	t = walk(w.be, 0x100000000000ull + 3 * PAGE);
	assert_true(t.scratch);
	assert_int_equal(t.extent, (512 * GiB) - 3 * PAGE);
	t = walk(w.be, 0x7f0000000000ull + 9 * PAGE);		/* a table exists: one page */
	assert_true(t.scratch);
	assert_int_equal(t.extent, PAGE);
	/* scratch, the huge page, scratch, the 3 pages, scratch */
	assert_int_equal(gtt_backend_runs(w.be, 0, top, log_run, &l), 0);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.total, top / PAGE);
	assert_true(l.scratch[0] && l.pages[0] == GiB / PAGE);
	assert_true(l.present[1] && !l.scratch[1] && l.pages[1] == 512 && l.start[1] == GiB);
	assert_true(l.scratch[2]);
	assert_true(!l.scratch[3] && l.pages[3] == 3 && l.start[3] == 0x7f0000000000ull + 5 * PAGE);
	assert_true(l.scratch[4] && l.start[4] + l.pages[4] * PAGE == top);
	/* A range starting inside a huge page is cut at both ends. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(gtt_backend_runs(w.be, GiB + MiB, 2 * MiB, log_run, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.pages[0], MiB / PAGE);
	assert_int_equal(l.total, 2 * MiB / PAGE);
	intel_fini(&w);

	/* The generic mock says the same of its missing subtrees. */
	struct gtt_mock_config mc = { .start = PAGE, .size = top - 2 * PAGE };
	struct gtt_vm_config vc = { .start = PAGE, .size = top - 2 * PAGE };

	assert_int_equal(gtt_mock_create(&mc, &w.be), 0);
	vc.backend = w.be;
	assert_int_equal(gtt_vm_create(&vc, &w.vm), 0);
	at.offset = 0x7f0000000000ull + 5 * PAGE;
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &small, 1), &at, NULL), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(gtt_backend_runs(w.be, PAGE, top - 2 * PAGE, log_run, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.total, top / PAGE - 2);
	assert_true(!l.scratch[1] && l.pages[1] == 3 && l.start[1] == at.offset);
	intel_fini(&w);
}

static uint64_t tables_of(struct gtt_backend *be)
{
	struct gtt_mock_stats ms;

	assert_int_equal(gtt_mock_stats(be, &ms), 0);
	return ms.tables;
}

/* Every 4 KiB page of [va, va + size) translates to scratch. */
static void assert_all_scratch(struct gtt_backend *be, uint64_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE) {
		struct gtt_translation t = walk(be, va + off);

		if (!t.scratch)
			fail_msg("0x%llx still maps 0x%llx", (unsigned long long)(va + off),
				 (unsigned long long)t.addr);
	}
}

static void dg2_lmem_world(struct intel_world *w)
{
	struct gtt_mock_config mc = { .size = 1ull << 40, .scratch_addr = 0x10000,
				      .mode = GTT_MOCK_INTEL_PPGTT,
				      .intel_family = GTT_INTEL_DG2 };
	struct gtt_vm_config vc = { .start = 0, .size = 1ull << 40 };

	w->p = gtt_intel_platform(GTT_INTEL_DG2);
	assert_int_equal(gtt_mock_create(&mc, &w->be), 0);
	vc.backend = w->be;
	assert_int_equal(gtt_vm_create(&vc, &w->vm), 0);
}

/*
 * Issue #9 item 1: unbinding local memory from a compact 64K table must
 * scrub the entries (they are indexed by (va >> 16) & 31, not by the 4 KiB
 * index), free the tables, and leave the 2 MiB region usable for system
 * memory again.
 */
static void test_ppgtt_compact_unbind_clears(void **state)
{
	const uint64_t offs[] = { 0, 0x10000, 0x20000, 0x30000, 0x80000, 0xf0000,
				  0x100000, 0x150000, 0x1e0000, 0x1f0000 };
	struct gtt_pages_segment lmem = { 0x800000000ull, 64 * 1024 };
	struct gtt_pages_segment lmem2 = { 0x800200000ull, 128 * 1024 };
	struct gtt_pages_segment smem = { 0x40000000, PAGE };
	struct intel_world w;

	(void)state;
	dg2_lmem_world(&w);
	for (size_t k = 0; k < ARRAY_SIZE(offs); k++) {
		struct gtt_bind_info lm = { .flags = GTT_BIND_FIXED, .offset = 2 * MiB + offs[k],
					    .pte_flags = GTT_PTE_LOCAL_MEM };
		struct gtt_bind_info sm = { .flags = GTT_BIND_FIXED, .offset = 2 * MiB + 0x5000 };
		uint64_t before = tables_of(w.be);
		gtt_vma_t v = vma_over(w.vm, &lmem, 1), s;

		assert_int_equal(gtt_vma_bind(w.vm, v, &lm, NULL), 0);
		assert_int_equal(walk(w.be, lm.offset + 0x3000).addr, 0x800003000ull);
		assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
		assert_all_scratch(w.be, lm.offset, 64 * 1024);
		assert_int_equal(tables_of(w.be), before);
		/* The region takes system memory again. */
		s = vma_over(w.vm, &smem, 1);
		assert_int_equal(gtt_vma_bind(w.vm, s, &sm, NULL), 0);
		assert_int_equal(walk(w.be, sm.offset).addr, 0x40000000);
		assert_int_equal(gtt_vma_unbind(w.vm, s, 0, NULL), 0);
		assert_int_equal(tables_of(w.be), before);
	}
	/* Across two compact tables. */
	struct gtt_bind_info lm = { .flags = GTT_BIND_FIXED, .offset = 4 * MiB - 0x10000,
				    .pte_flags = GTT_PTE_LOCAL_MEM };
	gtt_vma_t v = vma_over(w.vm, &lmem2, 1);

	assert_int_equal(gtt_vma_bind(w.vm, v, &lm, NULL), 0);
	assert_int_equal(walk(w.be, 4 * MiB + 0x1000).addr, 0x800211000ull);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_all_scratch(w.be, lm.offset, 128 * 1024);
	assert_int_equal(tables_of(w.be), 0);
	intel_fini(&w);
}

/*
 * Issue #9 item 23: a failed bind reports its own reason, and (found on
 * the way) leaves no table behind, even a compact one it just created.
 */
static void test_ppgtt_bind_keeps_error_message(void **state)
{
	struct gtt_pages_segment small = { 0x800800000ull, PAGE };
	struct gtt_pages_segment lmem = { 0x800000000ull, 64 * 1024 };
	struct gtt_pages_segment smem = { 0x40000000, PAGE };
	struct gtt_bind_info lm = { .flags = GTT_BIND_FIXED, .offset = 8 * MiB,
				    .pte_flags = GTT_PTE_LOCAL_MEM };
	struct gtt_bind_info sm = { .flags = GTT_BIND_FIXED, .offset = 8 * MiB + 0x1000 };
	struct intel_world w;

	(void)state;
	dg2_lmem_world(&w);
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &small, 1), &lm, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "64 KiB"));
	assert_null(strstr(gtt_last_error(), "out of memory"));
	assert_int_equal(tables_of(w.be), 0);
	/* The region was left as it was: system memory goes in. */
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &smem, 1), &sm, NULL), 0);
	/* And local memory next to it is refused with the rule's own words. */
	lm.offset = 8 * MiB + 0x10000;
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &lmem, 1), &lm, NULL), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "local and system memory"));
	assert_true(walk(w.be, lm.offset).scratch);
	intel_fini(&w);
}

/*
 * Issue #9 item 6: every allocation of the PPGTT create path may fail:
 * -ENOMEM, nothing leaked, nothing freed twice (the ASan build checks).
 */
/* Every allocation of gtt_mock_create() fails in turn: -ENOMEM, no backend, nothing leaked. */
static void check_create_oom(enum gtt_intel_family fam, uint64_t size, uint64_t min_allocs)
{
	struct gtt_mock_config mc = { .size = size, .scratch_addr = 0x10000,
				      .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = fam };
	int64_t baseline = mem_live();
	bool completed = false;
	uint64_t n;

	for (n = 1; n < 1000 && !completed; n++) {
		struct gtt_backend *be = NULL;
		int err;

		mem_fail_after(n);
		err = gtt_mock_create(&mc, &be);
		if (!mem_fail_fired()) {
			assert_int_equal(err, 0);
			completed = true;
		} else {
			assert_int_equal(err, -ENOMEM);
			assert_null(be);
		}
		mem_fail_after(0);
		if (be)
			gtt_backend_destroy(be);
		assert_int_equal(mem_live(), baseline);
	}
	assert_true(completed);
	assert_true(n > min_allocs);
}

static void test_ppgtt_create_alloc_failures(void **state)
{
	const enum gtt_intel_family fams[] = { GTT_INTEL_CHV, GTT_INTEL_TGL, GTT_INTEL_DG2,
					       GTT_INTEL_LNL };

	(void)state;
	/* root, scratch tables, child array at least */
	for (size_t f = 0; f < ARRAY_SIZE(fams); f++)
		check_create_oom(fams[f], 1ull << gtt_intel_platform(fams[f])->ppgtt_bits, 3);
}

struct probe {
	uint64_t va;
	struct gtt_translation t;
};

/*
 * The bind path under allocation failure: -ENOMEM, the tables (walked
 * page by page at the probes) exactly as before, no table or memory left
 * behind, and the same bind succeeding once memory is back.
 */
static void check_bind_oom_keeping(struct intel_world *w, const struct gtt_pages_segment *segs,
				   size_t nsegs, const struct gtt_bind_info *bi,
				   const uint64_t *probe_va, size_t nprobes, bool keeps_tables)
{
	struct probe pr[16];
	uint64_t tables = tables_of(w->be);
	bool completed = false;
	uint64_t n;

	assert_true(nprobes <= ARRAY_SIZE(pr));
	for (size_t k = 0; k < nprobes; k++) {
		pr[k].va = probe_va[k];
		pr[k].t = walk(w->be, probe_va[k]);
	}
	for (n = 1; n < 1000 && !completed; n++) {
		gtt_vma_t v = vma_over(w->vm, segs, nsegs);
		int64_t live = mem_live();
		int err;

		mem_fail_after(n);
		err = gtt_vma_bind(w->vm, v, bi, NULL);
		if (!mem_fail_fired()) {
			mem_fail_after(0);
			assert_int_equal(err, 0);
			completed = true;
			assert_int_equal(gtt_vma_unbind(w->vm, v, 0, NULL), 0);
		} else {
			mem_fail_after(0);
			assert_int_equal(err, -ENOMEM);
			assert_int_equal(mem_live(), live);
		}
		/* gen6/7 keeps a page table after its last entry goes. */
		if (!completed || !keeps_tables)
			assert_int_equal(tables_of(w->be), tables);
		for (size_t k = 0; k < nprobes; k++) {
			struct gtt_translation t = walk(w->be, pr[k].va);

			assert_int_equal(t.pte, pr[k].t.pte);
			assert_int_equal(t.addr, pr[k].t.addr);
			assert_int_equal(t.level, pr[k].t.level);
			assert_int_equal(t.scratch, pr[k].t.scratch);
		}
		assert_int_equal(gtt_vma_destroy(w->vm, v), 0);
	}
	assert_true(completed);
	assert_true(n > 2);
}

static void check_bind_oom(struct intel_world *w, const struct gtt_pages_segment *segs,
			   size_t nsegs, const struct gtt_bind_info *bi,
			   const uint64_t *probe_va, size_t nprobes)
{
	check_bind_oom_keeping(w, segs, nsegs, bi, probe_va, nprobes, false);
}

static void test_ppgtt_bind_alloc_failures(void **state)
{
	struct gtt_pages_segment keep = { 0x12340000, 16 * PAGE };
	struct gtt_pages_segment segs[] = { { 0x40000000, 3 * MiB }, { 0x90000000, 5 * PAGE } };
	struct gtt_pages_segment lmem = { 0x800000000ull, 3 * MiB };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 0x7f0000000000ull };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = 0x7f8000000000ull - MiB };
	const uint64_t probes[] = { 0x7f0000000000ull, 0x7f0000003000ull, 0x7f0000010000ull,
				    bi.offset, bi.offset + 0x5000, bi.offset + MiB,
				    bi.offset + 2 * MiB + 0x1000, bi.offset + 3 * MiB + 0x2000,
				    0x7f8000000000ull + 3 * MiB - PAGE };
	const enum gtt_intel_family fams[] = { GTT_INTEL_TGL, GTT_INTEL_SKL, GTT_INTEL_DG2,
					       GTT_INTEL_LNL };
	struct intel_world w;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		intel_init(&w, fams[f], GTT_MOCK_INTEL_PPGTT, 1ull << 47, 0, 1ull << 47);
		/* Something already mapped that shares the upper tables. */
		assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &keep, 1), &at, NULL), 0);
		/* Crosses a PML4 slot: new PDP, PDs and PTs, a 2M leaf where allowed. */
		check_bind_oom(&w, segs, 2, &bi, probes, ARRAY_SIZE(probes));
		intel_fini(&w);
	}
	/* 3-level CHV. */
	const uint64_t chv_probes[] = { 3 * GiB, 3 * GiB + 0x5000, 2 * GiB - PAGE };

	intel_init(&w, GTT_INTEL_CHV, GTT_MOCK_INTEL_PPGTT, 4 * GiB, 0, 4 * GiB);
	bi.offset = 2 * GiB - MiB;
	check_bind_oom(&w, &keep, 1, &bi, chv_probes, ARRAY_SIZE(chv_probes));
	intel_fini(&w);
	/* DG2 local memory through compact tables. */
	const uint64_t lm_probes[] = { 2 * MiB, 2 * MiB + 0x30000, 4 * MiB + 0x1f0000 };

	dg2_lmem_world(&w);
	bi = (struct gtt_bind_info){ .flags = GTT_BIND_FIXED, .offset = 2 * MiB + 0x20000,
				     .pte_flags = GTT_PTE_LOCAL_MEM };
	check_bind_oom(&w, &lmem, 1, &bi, lm_probes, ARRAY_SIZE(lm_probes));
	intel_fini(&w);
}

/*
 * Empty entries are encoded as the kernel encodes them (Linux 6.12).
 * PPGTT scratch PTE: i915 gen8_init_scratch(): I915_CACHE_NONE's PAT index
 * (i915_pci.c: LEGACY/TGL_CACHELEVEL 3 = PWT|PCD through DG2, MTL_CACHELEVEL
 * 2) and PTE_READ_ONLY where vm->has_read_only (gen8/9); Xe2 (xe only):
 * __xe_pt_empty_pte() takes XE_CACHE_WB, 2 on Xe2 (xe_pat.c).  PDEs: i915's
 * gen8_pde_encode(, I915_CACHE_NONE) sets PPAT_UNCACHED (PAT index 3) in
 * every table pointer; on Xe2 libgtt's are PAT 0 (xe: the bind's index).
 * GGTT scratch: I915_CACHE_NONE, expressible only in the MTL format (2: PAT1);
 * xe's Xe2 GGTT scratch takes XE_CACHE_WB, 2 as well (xe_ggtt.c).
 * The values are spelled out per platform here, not derived.
 */
static void test_scratch_encoded_as_the_kernel(void **state)
{
	static const struct {
		enum gtt_intel_family fam;
		unsigned int pte_pat, pde_pat, ggtt_pat;
		bool ro;
	} want[] = {
		{ GTT_INTEL_BDW, 3, 3, 0, true }, { GTT_INTEL_CHV, 3, 3, 0, true },
		{ GTT_INTEL_SKL, 3, 3, 0, true }, { GTT_INTEL_BXT, 3, 3, 0, true },
		{ GTT_INTEL_ICL, 3, 3, 0, false }, { GTT_INTEL_EHL, 3, 3, 0, false },
		{ GTT_INTEL_TGL, 3, 3, 0, false }, { GTT_INTEL_RKL, 3, 3, 0, false },
		{ GTT_INTEL_ADL, 3, 3, 0, false }, { GTT_INTEL_DG1, 3, 3, 0, false },
		{ GTT_INTEL_DG2, 3, 3, 0, false }, { GTT_INTEL_MTL, 2, 3, 2, false },
		{ GTT_INTEL_ARL, 2, 3, 2, false }, { GTT_INTEL_LNL, 2, 0, 2, false },
		{ GTT_INTEL_BMG, 2, 0, 2, false },
	};
	(void)state;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const struct gtt_intel_platform *p = gtt_intel_platform(want[k].fam);
		/* Discrete XeHP+ needs a 64 KiB-aligned scratch page. */
		const uint64_t scratch = 0xdea0000ull, size = 1ull << p->ppgtt_bits;
		struct gtt_mock_config mc = { .size = size, .scratch_addr = scratch,
					      .mode = GTT_MOCK_INTEL_PPGTT,
					      .intel_family = want[k].fam };
		uint32_t ro = want[k].ro ? GTT_PTE_READ_ONLY : 0;
		struct gtt_intel_entry d;
		struct gtt_translation t;
		struct gtt_backend *be;
		uint64_t pte, root, e;

		assert_int_equal(gtt_mock_create(&mc, &be), 0);
		t = walk(be, size / 2 + 5 * PAGE);
		assert_true(t.scratch);
		assert_int_equal(gtt_intel_ppgtt_encode(p->ppgtt_format, 0, scratch,
							GTT_PTE_PAT(want[k].pte_pat) | ro, &pte), 0);
		if (t.pte != pte)
			fail_msg("%s: scratch PTE 0x%llx, the kernel's 0x%llx", p->name,
				 (unsigned long long)t.pte, (unsigned long long)pte);
		assert_int_equal(gtt_intel_ppgtt_decode(p->ppgtt_format, 0, t.pte, &d), 0);
		assert_int_equal(d.flags & (GTT_PTE_PAT_MASK | GTT_PTE_READ_ONLY),
				 GTT_PTE_PAT(want[k].pte_pat) | ro);
		/* The root's entry 0: a scratch pointer, or CHV's first PD. */
		assert_int_equal(gtt_mock_ppgtt_root(be, &root), 0);
		assert_int_equal(gtt_mock_table_read(be, root, 0, &e), 0);
		assert_int_equal(gtt_intel_ppgtt_decode(p->ppgtt_format, p->ppgtt_levels - 1,
							e, &d), 0);
		assert_true(d.present);
		if ((d.flags & GTT_PTE_PAT_MASK) != GTT_PTE_PAT(want[k].pde_pat))
			fail_msg("%s: PDE 0x%llx, PAT %u expected", p->name,
				 (unsigned long long)e, want[k].pde_pat);
		gtt_backend_destroy(be);

		mc.mode = GTT_MOCK_INTEL_GGTT;
		mc.size = 16 * MiB;
		assert_int_equal(gtt_mock_create(&mc, &be), 0);
		t = walk(be, 8 * MiB);
		assert_true(t.scratch);
		assert_int_equal(gtt_intel_ggtt_encode(p->ggtt_format, scratch,
						       GTT_PTE_PAT(want[k].ggtt_pat), &pte), 0);
		assert_int_equal(t.pte, pte);
		gtt_backend_destroy(be);
	}
}

/*
 * Every table pointer a bind links carries the PDE flags the kernel
 * gives it (88ac8f5: PAT 3, i915's PPAT_UNCACHED, through 12.70; PAT 0 on
 * Xe2), as the scratch pointers do: a 4 KiB page and 2 MiB of scattered
 * 64 KiB chunks (a 64 KiB-mode page table where the platform has one, as
 * in test_ppgtt_64k_ips()) bound on
 * each platform, and each level's pointer on their walks read from the
 * tables: present, that PAT, and exactly the encoder's entry for the
 * child's address with those flags (and GTT_INTEL_PT_64K where the
 * pointer has it).  Fails if the pointers' precomputed bits
 * (intel_ppgtt.c table_bits[], pt64k_bits) miss pde_flags(): BDW's
 * level-3 pointer 0x...4003 against the kernel's 0x...401b, or with
 * pt64k_bits alone, SKL's IPS pointer; no other test reads the pointers
 * a bind links.
 */
static void test_table_pointers_encoded_as_the_kernel(void **state)
{
	static const struct {
		enum gtt_intel_family fam;
		unsigned int pde_pat;
	} want[] = {
		{ GTT_INTEL_BDW, 3 }, { GTT_INTEL_CHV, 3 }, { GTT_INTEL_SKL, 3 },
		{ GTT_INTEL_BXT, 3 }, { GTT_INTEL_ICL, 3 }, { GTT_INTEL_EHL, 3 },
		{ GTT_INTEL_TGL, 3 }, { GTT_INTEL_RKL, 3 }, { GTT_INTEL_ADL, 3 },
		{ GTT_INTEL_DG1, 3 }, { GTT_INTEL_DG2, 3 }, { GTT_INTEL_MTL, 3 },
		{ GTT_INTEL_ARL, 3 }, { GTT_INTEL_LNL, 0 }, { GTT_INTEL_BMG, 0 },
	};
	unsigned int pt64k = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const struct gtt_intel_platform *p = gtt_intel_platform(want[k].fam);
		const uint64_t size = 1ull << p->ppgtt_bits, base = size / 2;
		struct gtt_pages_segment one = { 0x40000000, PAGE };
		struct gtt_pages_segment chunks[32];
		struct gtt_bind_info a = { .flags = GTT_BIND_FIXED, .offset = base + 5 * PAGE };
		struct gtt_bind_info b = { .flags = GTT_BIND_FIXED, .offset = base + 8 * MiB };
		struct intel_world w;
		gtt_vma_t v1, v2;

		for (int i = 0; i < 32; i++)
			chunks[i] = (struct gtt_pages_segment){ 0x80000000ull + i * 0x200000ull,
								64 * 1024 };
		intel_init(&w, want[k].fam, GTT_MOCK_INTEL_PPGTT, size, 0, size);
		v1 = vma_over(w.vm, &one, 1);
		v2 = vma_over(w.vm, chunks, 32);
		assert_int_equal(gtt_vma_bind(w.vm, v1, &a, NULL), 0);
		assert_int_equal(gtt_vma_bind(w.vm, v2, &b, NULL), 0);
		for (int n = 0; n < 2; n++) {
			uint64_t va = n ? b.offset : a.offset, table, e, enc;
			struct gtt_intel_entry d;

			assert_int_equal(gtt_mock_ppgtt_root(w.be, &table), 0);
			for (unsigned int l = p->ppgtt_levels - 1; l >= 1; l--) {
				uint32_t f = GTT_PTE_PAT(want[k].pde_pat);

				assert_int_equal(gtt_mock_table_read(w.be, table,
								     (unsigned int)(va >> (12 + 9 * l)) & 511,
								     &e), 0);
				assert_int_equal(gtt_intel_ppgtt_decode(p->ppgtt_format, l, e, &d), 0);
				assert_true(d.present);
				assert_false(d.flags & GTT_INTEL_HUGE);
				if (d.flags & GTT_INTEL_PT_64K) {
					f |= GTT_INTEL_PT_64K;
					pt64k++;
				}
				assert_int_equal(gtt_intel_ppgtt_encode(p->ppgtt_format, l, d.addr, f,
									&enc), 0);
				if (e != enc)
					fail_msg("%s: level %u pointer 0x%llx, the kernel's 0x%llx",
						 p->name, l, (unsigned long long)e,
						 (unsigned long long)enc);
				table = d.addr;
			}
		}
		assert_int_equal(walk(w.be, a.offset).addr, 0x40000000);
		assert_int_equal(walk(w.be, b.offset + 64 * 1024).addr, 0x80200000);
		intel_fini(&w);
	}
	assert_true(pt64k > 0);		/* pt64k_bits were read */
}

/*
 * Issue #9 item 25: Xe2 PPGTTs have 5 levels, as xe builds them
 * (xe_pci.c XE2_GFX_FEATURES: va_bits = 48, vm_max_level = 4; xe_pt.c
 * shifts 12, 21, 30, 39, 48): the root is a level-4 table whose entry 0
 * points at the level-3 table covering the 48-bit space.
 */
static void check_xe2_five_levels(enum gtt_intel_family fam)
{
	struct gtt_pages_segment seg = { 0x40000000, 3 * PAGE };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 0x7f0000001000ull };
	const uint64_t top = 1ull << 48;
	struct gtt_intel_entry d;
	struct gtt_translation t;
	struct intel_world w;
	uint64_t root, e;
	gtt_vma_t v;

	intel_init(&w, fam, GTT_MOCK_INTEL_PPGTT, top, 0, top);
	assert_int_equal(w.p->ppgtt_levels, 5);
	/* Nothing bound: the root's entry 0 is the scratch level-3 pointer,
	 * so all 48 bits are one scratch block. */
	t = walk(w.be, 0x100000000000ull + 3 * PAGE);
	assert_true(t.present && t.scratch);
	assert_int_equal(t.addr, SCRATCH);
	assert_int_equal(t.extent, top - 0x100000000000ull - 3 * PAGE);
	assert_int_equal(gtt_mock_ppgtt_root(w.be, &root), 0);
	assert_int_equal(gtt_mock_table_read(w.be, root, 0, &e), 0);
	assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_XE2, 4, e, &d), 0);
	assert_true(d.present);
	v = vma_over(w.vm, &seg, 1);
	assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
	assert_int_equal(tables_of(w.be), 4);		/* level 3, 2, 1 and 0 */
	/* The hardware walk: five levels, the level-4 index is bit 48 up. */
	assert_int_equal(raw_entry_levels(w.be, 5, at.offset + PAGE, 0) & ~0xfffull, 0x40001000);
	assert_int_equal(gtt_mock_table_read(w.be, root, 0, &e), 0);
	assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_XE2, 4, e, &d), 0);
	assert_int_equal(e, d.addr | 3);		/* present, RW, PAT 0 */
	for (unsigned int i = 1; i < 512; i++) {	/* 48-bit: the rest stays scratch */
		uint64_t other;

		assert_int_equal(gtt_mock_table_read(w.be, root, i, &other), 0);
		assert_int_not_equal(other, e);
	}
	t = walk(w.be, at.offset + 2 * PAGE + 0x10);
	assert_int_equal(t.addr, 0x40002010);
	assert_int_equal(t.level, 0);
	t = walk(w.be, 0x100000000000ull);		/* an empty PML4 slot */
	assert_true(t.scratch);
	assert_int_equal(t.extent, 512 * GiB);
	assert_int_equal(gtt_backend_translate(w.be, top, &t), -ERANGE);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_int_equal(tables_of(w.be), 0);
	assert_all_scratch(w.be, at.offset, 3 * PAGE);
	intel_fini(&w);
}

static void test_ppgtt_xe2_five_levels(void **state)
{
	(void)state;
	check_xe2_five_levels(GTT_INTEL_LNL);
	check_xe2_five_levels(GTT_INTEL_BMG);
}

static void test_mock_intel_config_errors(void **state)
{
	struct gtt_mock_config mc = { .size = 4 * GiB, .mode = GTT_MOCK_INTEL_PPGTT,
				      .intel_family = GTT_INTEL_HSW };
	struct gtt_backend *be;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), -EINVAL);	/* gen6/7 PPGTT: 2 GiB */
	mc.intel_family = 999;
	assert_int_equal(gtt_mock_create(&mc, &be), -EINVAL);
	mc = (struct gtt_mock_config){ .size = 8ull << 30, .mode = GTT_MOCK_INTEL_GGTT,
				       .intel_family = GTT_INTEL_TGL };
	assert_int_equal(gtt_mock_create(&mc, &be), -EINVAL);	/* GGTT <= 4 GiB */
	mc = (struct gtt_mock_config){ .start = PAGE, .size = MiB, .mode = GTT_MOCK_INTEL_GGTT,
				       .intel_family = GTT_INTEL_TGL };
	assert_int_equal(gtt_mock_create(&mc, &be), -EINVAL);	/* starts at 0 */
	mc = (struct gtt_mock_config){ .size = 8ull << 30, .mode = GTT_MOCK_INTEL_PPGTT,
				       .intel_family = GTT_INTEL_CHV };
	assert_int_equal(gtt_mock_create(&mc, &be), -EINVAL);	/* CHV: 32 bits */
}


/* ---- issue #11: NULL entries, huge-leaf demotion, remaps, pages_offset ---- */

static int be_bind(struct gtt_backend *be, uint64_t va, uint64_t size,
		   const struct gtt_pages *p, uint64_t off, uint32_t flags)
{
	return be->ops->bind(be->priv, va, size, p, off, flags);
}

static int be_clear(struct gtt_backend *be, uint64_t va, uint64_t size)
{
	return be->ops->clear(be->priv, va, size);
}

static struct gtt_backend *ppgtt_mock(enum gtt_intel_family fam)
{
	const struct gtt_intel_platform *p = gtt_intel_platform(fam);
	struct gtt_mock_config mc = { .size = 1ull << p->ppgtt_bits, .scratch_addr = 0x10000,
				      .mode = GTT_MOCK_INTEL_PPGTT, .intel_family = fam };
	struct gtt_backend *be;

	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	return be;
}

static struct gtt_pages *pages_of(const struct gtt_pages_segment *segs, size_t n)
{
	struct gtt_pages *p;

	assert_int_equal(gtt_pages_create(segs, n, 0, &p), 0);
	return p;
}

static void test_ppgtt_null_entries(void **state)
{
	const enum gtt_intel_family with[] = { GTT_INTEL_TGL, GTT_INTEL_DG1, GTT_INTEL_DG2,
					       GTT_INTEL_MTL, GTT_INTEL_LNL, GTT_INTEL_BMG };
	const enum gtt_intel_family without[] = { GTT_INTEL_BDW, GTT_INTEL_CHV, GTT_INTEL_SKL,
						  GTT_INTEL_ICL };

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(with); f++) {
		struct gtt_backend *be = ppgtt_mock(with[f]);
		struct gtt_mock_entry me;
		struct gtt_translation t;

		assert_true(gtt_intel_platform(with[f])->has_null_pte);
		/* 4K entries, then a 2M null leaf. */
		assert_int_equal(be_bind(be, 0x5000, 3 * PAGE, NULL, 0, GTT_PTE_NULL), 0);
		t = walk(be, 0x6000);
		assert_true(t.present && t.null && !t.scratch);
		assert_int_equal(t.addr, 0);
		assert_true(t.flags & GTT_PTE_NULL);
		assert_true(t.pte & (1u << 9));
		assert_true(walk(be, 0x8000).scratch);
		assert_int_equal(gtt_mock_read(be, 0x7000, &me), 0);
		assert_true(me.null && !me.valid && me.addr == 0);
		assert_int_equal(be_bind(be, 4 * MiB, 2 * MiB, NULL, 0, GTT_PTE_NULL), 0);
		t = walk(be, 5 * MiB);
		assert_true(t.null);
		assert_int_equal(t.level, 1);
		/* A NULL bind takes no pages; no local memory. */
		struct gtt_pages_segment seg = { 0x40000000, PAGE };
		struct gtt_pages *p = pages_of(&seg, 1);

		assert_int_equal(be_bind(be, 0x5000, PAGE, p, 0, GTT_PTE_NULL), -EINVAL);
		assert_int_equal(be_bind(be, 0x5000, PAGE, NULL, 0,
					 GTT_PTE_NULL | GTT_PTE_LOCAL_MEM), -EINVAL);
		/* Remap a NULL page with memory, then clear everything. */
		assert_int_equal(be_bind(be, 0x6000, PAGE, p, 0, 0), 0);
		assert_int_equal(walk(be, 0x6000).addr, 0x40000000);
		assert_true(walk(be, 0x5000).null);
		assert_int_equal(be_clear(be, 0x5000, 3 * PAGE), 0);
		assert_int_equal(be_clear(be, 4 * MiB, 2 * MiB), 0);
		assert_int_equal(tables_of(be), 0);
		gtt_pages_put(p);
		gtt_backend_destroy(be);
	}
	for (size_t f = 0; f < ARRAY_SIZE(without); f++) {
		struct gtt_backend *be = ppgtt_mock(without[f]);
		struct gtt_translation t;

		assert_false(gtt_intel_platform(without[f])->has_null_pte);
		assert_int_equal(be_bind(be, 0x5000, 3 * PAGE, NULL, 0, GTT_PTE_NULL), 0);
		t = walk(be, 0x6000);
		assert_true(t.present && t.scratch && !t.null);
		assert_int_equal(t.addr, 0x10000);
		assert_int_equal(tables_of(be), 0);
		gtt_backend_destroy(be);
	}
}

static void test_ggtt_refuses_null(void **state)
{
	struct gtt_mock_config mc = { .size = 16 * MiB, .scratch_addr = SCRATCH,
				      .mode = GTT_MOCK_INTEL_GGTT, .intel_family = GTT_INTEL_TGL };
	struct gtt_backend *be;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(be_bind(be, PAGE, PAGE, NULL, 0, GTT_PTE_NULL), -EOPNOTSUPP);
	assert_non_null(strstr(gtt_last_error(), "null"));
	assert_true(walk(be, PAGE).scratch);
	gtt_backend_destroy(be);
}

static void test_mock_generic_null(void **state)
{
	struct gtt_mock_config mc = { .start = 0x100000, .size = 64 * MiB, .scratch_addr = SCRATCH };
	struct gtt_mock_stats ms;
	struct gtt_mock_entry me;
	struct gtt_translation t;
	struct gtt_backend *be;

	(void)state;
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(be_bind(be, 0x200000, 4 * PAGE, NULL, 0, GTT_PTE_NULL | GTT_PTE_PAT(3)), 0);
	t = walk(be, 0x202000);
	assert_true(t.present && t.null && !t.scratch);
	assert_int_equal(t.addr, 0);
	assert_int_equal(t.flags, GTT_PTE_NULL | GTT_PTE_PAT(3));
	assert_int_equal(gtt_mock_read(be, 0x203000, &me), 0);
	assert_true(me.null && !me.valid);
	assert_int_equal(me.addr, 0);
	assert_int_equal(me.writes, 1);
	gtt_mock_stats(be, &ms);
	assert_int_equal(ms.valid_entries, 4);
	assert_int_equal(be_bind(be, 0x200000, PAGE, (struct gtt_pages *)NULL, PAGE, GTT_PTE_NULL),
			 -EINVAL);
	assert_int_equal(be_clear(be, 0x200000, 4 * PAGE), 0);
	assert_true(walk(be, 0x202000).scratch);
	gtt_mock_stats(be, &ms);
	assert_int_equal(ms.valid_entries, 0);
	gtt_backend_destroy(be);
}

/* The translation of every 4 KiB page of [va, va + size). */
static struct gtt_translation *snapshot(struct gtt_backend *be, uint64_t va, uint64_t size)
{
	struct gtt_translation *v = malloc(size / PAGE * sizeof(*v));

	assert_non_null(v);
	for (uint64_t k = 0; k < size / PAGE; k++)
		v[k] = walk(be, va + k * PAGE);
	return v;
}

/* Same memory, same flags (the page size and PS64 hint may change). */
static void assert_same_mapping(const struct gtt_translation *a, const struct gtt_translation *b,
				uint64_t va)
{
	const uint32_t hw = GTT_INTEL_PS64;

	if (a->present != b->present || a->scratch != b->scratch || a->null != b->null ||
	    a->addr != b->addr || (a->flags & ~hw) != (b->flags & ~hw))
		fail_msg("0x%llx: was 0x%llx flags 0x%x scratch %d, now 0x%llx flags 0x%x scratch %d",
			 (unsigned long long)va, (unsigned long long)a->addr, a->flags, a->scratch,
			 (unsigned long long)b->addr, b->flags, b->scratch);
}

/*
 * Cut [cut, cut + cut_size) out of a mapping of [va, va + size): a clear,
 * or (remap != NULL) a bind of other pages.  Every page outside the cut
 * keeps its translation; inside, scratch or the new pages.  Then clearing
 * everything leaves no table.
 */
static void check_cut(struct gtt_backend *be, uint64_t va, uint64_t size, uint64_t cut,
		      uint64_t cut_size, const struct gtt_pages *remap, uint32_t flags)
{
	struct gtt_translation *before = snapshot(be, va, size), *after;

	if (remap)
		assert_int_equal(be_bind(be, cut, cut_size, remap, 0, flags), 0);
	else
		assert_int_equal(be_clear(be, cut, cut_size), 0);
	after = snapshot(be, va, size);
	for (uint64_t k = 0; k < size / PAGE; k++) {
		uint64_t a = va + k * PAGE;

		if (a < cut || a >= cut + cut_size)
			assert_same_mapping(&before[k], &after[k], a);
		else if (!remap)
			assert_true(after[k].scratch);
		else
			assert_int_equal(after[k].addr,
					 gtt_pages_segments(remap, &(size_t){ 0 })[0].addr + (a - cut));
		/* No PS64 hint survives on a group that is not one 64 KiB page. */
		if ((after[k].flags & GTT_INTEL_PS64) && k % 16 == 0 && k + 15 < size / PAGE)
			assert_int_equal(after[k + 15].addr, after[k].addr + 15 * PAGE);
	}
	free(before);
	free(after);
}

struct leaf_case {
	enum gtt_intel_family fam;
	uint64_t leaf;		/* 2M, 1G, or 64K (IPS / compact / PS64) */
	uint32_t flags;
	uint64_t dma;
};

static void check_leaf_cuts(const struct leaf_case *lc, bool remap)
{
	const uint64_t va = lc->leaf >= GiB ? 4 * GiB : 4 * MiB;
	/* 64K cases map a whole 2M region of 64K pages (IPS wants all of it). */
	const uint64_t size = lc->leaf >= 2 * MiB ? lc->leaf : 2 * MiB;
	const uint64_t unit = (lc->flags & GTT_PTE_LOCAL_MEM) ? 64 * 1024 : PAGE;
	const uint64_t cuts[3] = { va, va + size / 2 + unit, va + size - unit };
	struct gtt_pages_segment seg = { lc->dma, size };
	struct gtt_pages_segment other = { 0x7000000000ull & ~(lc->leaf - 1), unit };

	for (unsigned int c = 0; c < 3; c++) {
		struct gtt_backend *be = ppgtt_mock(lc->fam);
		struct gtt_pages *p = pages_of(&seg, 1), *q = pages_of(&other, 1);
		struct gtt_translation t;

		assert_int_equal(be_bind(be, va, size, p, 0, lc->flags), 0);
		t = walk(be, va + unit);
		assert_int_equal(t.page_size, lc->leaf);
		check_cut(be, va, size, cuts[c], unit, remap ? q : NULL, lc->flags);
		assert_int_equal(be_clear(be, va, size), 0);
		assert_int_equal(tables_of(be), 0);
		gtt_pages_put(p);
		gtt_pages_put(q);
		gtt_backend_destroy(be);
	}
}

static const struct leaf_case leaf_cases[] = {
	{ GTT_INTEL_TGL, 2 * MiB, GTT_PTE_PAT(2), 0x40000000 },		/* 4-level 2M */
	{ GTT_INTEL_LNL, GiB, GTT_PTE_PAT(5), 0x80000000 },		/* Xe2 1G */
	{ GTT_INTEL_SKL, 64 * 1024, GTT_PTE_PAT(1), 0x40010000 },	/* IPS 64K */
	{ GTT_INTEL_DG2, 64 * 1024, 0, 0x40010000 },			/* PS64 hint */
	{ GTT_INTEL_DG2, 2 * MiB, GTT_PTE_LOCAL_MEM, 0x800000000ull },	/* LM 2M -> compact */
	{ GTT_INTEL_DG2, 64 * 1024, GTT_PTE_LOCAL_MEM, 0x800010000ull },/* compact 64K */
};

static void test_ppgtt_partial_clear_demotes(void **state)
{
	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(leaf_cases); k++)
		check_leaf_cuts(&leaf_cases[k], false);
}

static void test_ppgtt_partial_remap_demotes(void **state)
{
	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(leaf_cases); k++)
		check_leaf_cuts(&leaf_cases[k], true);
}

/* Table counts of a demotion: a 1G leaf cut by one 4K page. */
static void test_ppgtt_demotion_tables(void **state)
{
	struct gtt_pages_segment seg = { 0x80000000, GiB };
	struct gtt_backend *be = ppgtt_mock(GTT_INTEL_LNL);
	struct gtt_pages *p = pages_of(&seg, 1);
	uint64_t t0;

	(void)state;
	assert_int_equal(be_bind(be, 4 * GiB, GiB, p, 0, 0), 0);
	t0 = tables_of(be);
	assert_int_equal(be_clear(be, 4 * GiB + 3 * MiB, PAGE), 0);
	assert_int_equal(tables_of(be), t0 + 2);	/* a PD of 2M leaves, one PT */
	assert_int_equal(walk(be, 4 * GiB + 5 * MiB).level, 1);
	assert_int_equal(walk(be, 4 * GiB + 3 * MiB + PAGE).level, 0);
	/* Remapping the whole GiB again puts one 1G leaf back, tables freed. */
	assert_int_equal(be_bind(be, 4 * GiB, GiB, p, 0, 0), 0);
	assert_int_equal(tables_of(be), t0);
	assert_int_equal(walk(be, 4 * GiB + 3 * MiB).level, 2);
	/* A DG2 local-memory 64K page cannot be cut. */
	gtt_pages_put(p);
	gtt_backend_destroy(be);
	struct gtt_pages_segment lm = { 0x800000000ull, 64 * 1024 };

	be = ppgtt_mock(GTT_INTEL_DG2);
	p = pages_of(&lm, 1);
	assert_int_equal(be_bind(be, 2 * MiB, 64 * 1024, p, 0, GTT_PTE_LOCAL_MEM), 0);
	t0 = tables_of(be);
	assert_int_equal(be_clear(be, 2 * MiB + PAGE, PAGE), -EINVAL);
	assert_non_null(strstr(gtt_last_error(), "64 KiB"));
	assert_int_equal(walk(be, 2 * MiB + PAGE).addr, 0x800001000ull);
	assert_int_equal(tables_of(be), t0);
	gtt_pages_put(p);
	gtt_backend_destroy(be);
}

/* CHV 3-level: a remap in the middle of 4K pages. */
static void test_ppgtt_chv_remap(void **state)
{
	struct gtt_pages_segment seg = { 0x40000000, 64 * PAGE }, other = { 0x50000000, 2 * PAGE };
	struct gtt_backend *be = ppgtt_mock(GTT_INTEL_CHV);
	struct gtt_pages *p = pages_of(&seg, 1), *q = pages_of(&other, 1);

	(void)state;
	assert_int_equal(be_bind(be, 3 * GiB - 32 * PAGE, 64 * PAGE, p, 0, 0), 0);
	check_cut(be, 3 * GiB - 32 * PAGE, 64 * PAGE, 3 * GiB - PAGE, 2 * PAGE, q, 0);
	check_cut(be, 3 * GiB - 32 * PAGE, 64 * PAGE, 3 * GiB - 8 * PAGE, 4 * PAGE, NULL, 0);
	assert_int_equal(be_clear(be, 3 * GiB - 32 * PAGE, 64 * PAGE), 0);
	assert_int_equal(tables_of(be), 0);
	gtt_pages_put(p);
	gtt_pages_put(q);
	gtt_backend_destroy(be);
}

/*
 * A partial clear or remap that runs out of memory changes nothing: every
 * page translates as before, the table count is the same, nothing leaks.
 */
static void check_cut_oom(enum gtt_intel_family fam, uint64_t leaf, uint64_t dma, bool remap)
{
	const uint64_t va = leaf >= GiB ? 4 * GiB : 4 * MiB;
	struct gtt_pages_segment seg = { dma, leaf }, other = { 0x7000000000ull, PAGE };
	struct gtt_backend *be = ppgtt_mock(fam);
	struct gtt_pages *p = pages_of(&seg, 1), *q = pages_of(&other, 1);
	struct gtt_translation *before;
	bool completed = false;
	uint64_t n, tables;

	assert_int_equal(be_bind(be, va, leaf, p, 0, 0), 0);
	before = snapshot(be, va, leaf);
	tables = tables_of(be);
	for (n = 1; n < 100 && !completed; n++) {
		int64_t live = mem_live();
		int err;

		mem_fail_after(n);
		err = remap ? be_bind(be, va + leaf / 2 + PAGE, PAGE, q, 0, 0)
			    : be_clear(be, va + leaf / 2 + PAGE, PAGE);
		completed = !mem_fail_fired();
		mem_fail_after(0);
		if (completed) {
			assert_int_equal(err, 0);
			break;
		}
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(mem_live(), live);
		assert_int_equal(tables_of(be), tables);
		struct gtt_translation *now = snapshot(be, va, leaf);

		for (uint64_t k = 0; k < leaf / PAGE; k++) {
			assert_same_mapping(&before[k], &now[k], va + k * PAGE);
			assert_int_equal(before[k].pte, now[k].pte);
		}
		free(now);
	}
	assert_true(completed);
	assert_true(n > 1);
	free(before);
	assert_int_equal(be_clear(be, va, leaf), 0);
	assert_int_equal(tables_of(be), 0);
	gtt_pages_put(p);
	gtt_pages_put(q);
	gtt_backend_destroy(be);
}

static void test_ppgtt_cut_alloc_failures(void **state)
{
	(void)state;
	check_cut_oom(GTT_INTEL_TGL, 2 * MiB, 0x40000000, false);
	check_cut_oom(GTT_INTEL_TGL, 2 * MiB, 0x40000000, true);
	check_cut_oom(GTT_INTEL_LNL, GiB, 0x80000000, false);
	check_cut_oom(GTT_INTEL_LNL, GiB, 0x80000000, true);
}

/* pages_offset, starting inside a segment: the DMA address there decides huge leaves. */
static void test_ppgtt_pages_offset(void **state)
{
	struct gtt_pages_segment segs[] = { { 0x10000000, MiB }, { 0x3ff00000, 6 * MiB } };
	struct gtt_pages *p = pages_of(segs, 2);
	struct gtt_translation t;

	(void)state;
	const enum gtt_intel_family fams[] = { GTT_INTEL_TGL, GTT_INTEL_DG2, GTT_INTEL_CHV };

	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		struct gtt_backend *be = ppgtt_mock(fams[f]);
		bool huge = gtt_intel_platform(fams[f])->page_sizes & GTT_INTEL_PAGE_2M;

		/* 1 MiB into segment 1: DMA 0x40000000, 2 MiB aligned. */
		assert_int_equal(be_bind(be, 4 * MiB, 4 * MiB, p, 2 * MiB, 0), 0);
		t = walk(be, 4 * MiB + 0x1234);
		assert_int_equal(t.addr, 0x40001234);
		assert_int_equal(t.level, huge ? 1 : 0);
		assert_int_equal(walk(be, 8 * MiB - PAGE).addr, 0x40400000 - PAGE);
		/* One page further: not aligned, 4 KiB entries. */
		assert_int_equal(be_bind(be, 16 * MiB, 2 * MiB, p, 2 * MiB + PAGE, 0), 0);
		t = walk(be, 16 * MiB);
		assert_int_equal(t.addr, 0x40001000);
		assert_int_equal(t.level, 0);
		/* From inside segment 0 across into segment 1. */
		assert_int_equal(be_bind(be, 32 * MiB, 2 * MiB, p, MiB - 2 * PAGE, 0), 0);
		assert_int_equal(walk(be, 32 * MiB + PAGE).addr, 0x100ff000);
		assert_int_equal(walk(be, 32 * MiB + 2 * PAGE).addr, 0x3ff00000);
		assert_int_equal(be_bind(be, 32 * MiB, PAGE, p, 7 * MiB, 0), -ERANGE);
		gtt_backend_destroy(be);
	}
	/* The GGTT and the generic mock. */
	struct gtt_mock_config gc = { .size = 16 * MiB, .scratch_addr = SCRATCH,
				      .mode = GTT_MOCK_INTEL_GGTT, .intel_family = GTT_INTEL_TGL };
	struct gtt_mock_config mc = { .size = 64 * MiB, .scratch_addr = SCRATCH };
	struct gtt_backend *be;

	assert_int_equal(gtt_mock_create(&gc, &be), 0);
	assert_int_equal(be_bind(be, PAGE, 4 * PAGE, p, MiB - 2 * PAGE, 0), 0);
	assert_int_equal(walk(be, 2 * PAGE).addr, 0x100ff000);
	assert_int_equal(walk(be, 3 * PAGE).addr, 0x3ff00000);
	gtt_backend_destroy(be);
	assert_int_equal(gtt_mock_create(&mc, &be), 0);
	assert_int_equal(be_bind(be, PAGE, 4 * PAGE, p, MiB + 3 * PAGE, 0), 0);
	assert_int_equal(walk(be, PAGE).addr, 0x3ff03000);
	assert_int_equal(be_bind(be, 8 * PAGE, 4 * PAGE, p, MiB - PAGE, 0), 0);
	assert_int_equal(walk(be, 9 * PAGE).addr, 0x3ff00000);
	gtt_backend_destroy(be);
	gtt_pages_put(p);
}

/* ---- issue #14: the one-pass entry writers (intel/intel_pt_write.h) ---- */

/*
 * Every 4 KiB page of [va, va + size) maps what @p holds at @off onwards,
 * and each 4 KiB entry is bit for bit what the encoder makes of its
 * address (with the PS64 hint where a 64 KiB page is reported).
 */
static void assert_exact(struct gtt_backend *be, const struct gtt_intel_platform *plat,
			 bool ggtt, uint64_t va, uint64_t size, const struct gtt_pages *p,
			 uint64_t off, uint32_t flags)
{
	for (uint64_t k = 0; k < size; k += PAGE) {
		struct gtt_translation t = walk(be, va + k);
		uint64_t want, e;

		assert_int_equal(gtt_pages_addr(p, off + k, &want), 0);
		assert_true(t.present && !t.scratch);
		assert_int_equal(t.addr, want);
		if (ggtt) {
			assert_int_equal(gtt_intel_ggtt_encode(plat->ggtt_format, want, flags, &e), 0);
			assert_int_equal(t.pte, e);
		} else if (t.level == 0 && (t.page_size == PAGE || (t.flags & GTT_INTEL_PS64))) {
			assert_int_equal(gtt_intel_ppgtt_encode(plat->ppgtt_format, 0, want,
								flags | (t.flags & GTT_INTEL_PS64), &e), 0);
			assert_int_equal(t.pte, e);
		}
	}
}

/*
 * A segment list of every shape the writers branch on: one-page segments
 * (fewer than four, then a whole table's worth), runs crossing table
 * ends, a 2 MiB run 4 KiB past 2 MiB alignment (4 KiB entries), an aligned
 * 2 MiB run (a leaf where it lands aligned), 64 KiB-aligned 64 KiB runs,
 * odd lengths.  Nothing merges: each segment starts past a gap.
 */
static struct gtt_pages *writer_pages(void)
{
	struct gtt_pages_segment segs[1400];
	uint64_t dma = 0x100000000ull;
	size_t n = 0;

#define SEG(len) do { segs[n++] = (struct gtt_pages_segment){ dma, (len) }; \
		      dma += (len) + PAGE; } while (0)
	SEG(PAGE);
	SEG(PAGE);
	SEG(PAGE);
	SEG(1021 * PAGE);
	for (int i = 0; i < 1100; i++)
		SEG(PAGE);
	dma = (dma + 2 * MiB - 1) / (2 * MiB) * (2 * MiB) + PAGE;
	SEG(2 * MiB);
	dma = (dma + 2 * MiB - 1) / (2 * MiB) * (2 * MiB);
	SEG(2 * MiB);
	dma = (dma + 0xffff) & ~0xffffull;
	SEG(64 * 1024);
	dma = (dma + 0xffff) & ~0xffffull;
	SEG(64 * 1024);
	SEG(5 * PAGE);
	SEG(3 * PAGE);
	for (int i = 0; i < 7; i++)
		SEG(PAGE);
	SEG(513 * PAGE);
#undef SEG
	assert_true(n <= ARRAY_SIZE(segs));
	return pages_of(segs, n);
}

/* The pages around [va, va + size) hold scratch (nothing spilled over). */
static void assert_edges_scratch(struct gtt_backend *be, uint64_t va, uint64_t size)
{
	if (va)
		assert_true(walk(be, va - PAGE).scratch);
	assert_true(walk(be, va + size).scratch);
}

/*
 * The list bound whole and in parts at starts on, just after and just
 * before a page-table boundary, with pages offsets that start inside a
 * segment; each part checked entry by entry, then cleared piece by piece
 * (the tables' used counts must free every table, and none too early).
 * Fails if the writer drops or repeats a page at a segment or table end,
 * mis-steps a run, or if a table's used count is off (the remap below
 * covers entries already in use).
 */
static void check_writer_edges(enum gtt_intel_family fam)
{
	const struct gtt_intel_platform *plat = gtt_intel_platform(fam);
	struct gtt_backend *be = ppgtt_mock(fam);
	struct gtt_pages *p = writer_pages();
	uint64_t total = gtt_pages_size(p);
	const uint64_t base = 1ull << 40;
	const struct { uint64_t va, off, size; } part[] = {
		{ base, 0, total },				/* all, from a table start */
		{ base + 64 * MiB + 5 * PAGE, 0, total },	/* all, from mid-table */
		{ base + 128 * MiB + 5 * PAGE, 2 * PAGE, 2 * MiB - 5 * PAGE },	/* to a table end */
		{ base + 132 * MiB - PAGE, 1020 * PAGE, 2 * PAGE },	/* across a table end */
		{ base + 136 * MiB, 3 * PAGE + 7 * PAGE, 4 * MiB },	/* starts inside a run */
	};

	for (size_t k = 0; k < ARRAY_SIZE(part); k++) {
		assert_int_equal(be_bind(be, part[k].va, part[k].size, p, part[k].off, 0), 0);
		assert_exact(be, plat, false, part[k].va, part[k].size, p, part[k].off, 0);
		assert_edges_scratch(be, part[k].va, part[k].size);
	}
	/* A remap over the middle of the first part: entries in use. */
	assert_int_equal(be_bind(be, base + MiB, 3 * MiB, p, 9 * PAGE, 0), 0);
	assert_exact(be, plat, false, base + MiB, 3 * MiB, p, 9 * PAGE, 0);
	assert_exact(be, plat, false, base, MiB, p, 0, 0);
	assert_exact(be, plat, false, base + 4 * MiB, total - 4 * MiB, p, 4 * MiB, 0);
	/* Clear the first part's first half: the second half stays mapped. */
	assert_int_equal(be_clear(be, base, total / 2), 0);
	assert_all_scratch(be, base, total / 2);
	assert_exact(be, plat, false, base + total / 2, total - total / 2, p, total / 2, 0);
	assert_int_equal(be_clear(be, base + total / 2, total - total / 2), 0);
	for (size_t k = 1; k < ARRAY_SIZE(part); k++)
		assert_int_equal(be_clear(be, part[k].va, part[k].size), 0);
	/* A clear of a whole table that was only partly in use. */
	assert_int_equal(be_bind(be, base + 200 * MiB + 7 * PAGE, 5 * PAGE, p, 0, 0), 0);
	assert_int_equal(be_clear(be, base + 200 * MiB, 2 * MiB), 0);
	assert_all_scratch(be, base + 200 * MiB, 2 * MiB);
	assert_int_equal(tables_of(be), 0);
	gtt_pages_put(p);
	gtt_backend_destroy(be);
}

static void test_writer_edges(void **state)
{
	/* TGL: the one-pass writer; SKL: IPS tables beside it; DG2: the
	 * PS64-hinting loop (a new whole table gets its scratch first). */
	const enum gtt_intel_family fams[] = { GTT_INTEL_TGL, GTT_INTEL_SKL, GTT_INTEL_DG2,
					       GTT_INTEL_LNL, GTT_INTEL_BDW };

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fams); f++)
		check_writer_edges(fams[f]);
}

/* The last entries of the address space, from a list ending there. */
static void test_writer_last_entry(void **state)
{
	struct gtt_pages_segment segs[] = { { 0x5000000, PAGE }, { 0x7000000, 3 * PAGE },
					    { 0x9000000, PAGE } };
	struct gtt_pages *p = pages_of(segs, 3);
	const enum gtt_intel_family fams[] = { GTT_INTEL_TGL, GTT_INTEL_CHV };

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		const struct gtt_intel_platform *plat = gtt_intel_platform(fams[f]);
		struct gtt_backend *be = ppgtt_mock(fams[f]);
		uint64_t end = 1ull << plat->ppgtt_bits;

		assert_int_equal(be_bind(be, end - 5 * PAGE, 5 * PAGE, p, 0, 0), 0);
		assert_exact(be, plat, false, end - 5 * PAGE, 5 * PAGE, p, 0, 0);
		assert_true(walk(be, end - 6 * PAGE).scratch);
		assert_int_equal(be_bind(be, end - PAGE, PAGE, p, 4 * PAGE, 0), 0);
		assert_int_equal(walk(be, end - PAGE).addr, 0x9000000);
		assert_int_equal(be_clear(be, end - 5 * PAGE, 5 * PAGE), 0);
		assert_int_equal(tables_of(be), 0);
		gtt_backend_destroy(be);
	}
	/* The GGTT's last entries, on gen8 and on MTL with PAT bits 52/53 set. */
	const enum gtt_intel_family gfams[] = { GTT_INTEL_BDW, GTT_INTEL_MTL };

	for (size_t f = 0; f < ARRAY_SIZE(gfams); f++) {
		const struct gtt_intel_platform *plat = gtt_intel_platform(gfams[f]);
		struct gtt_mock_config gc = { .size = 16 * MiB, .scratch_addr = SCRATCH,
					      .mode = GTT_MOCK_INTEL_GGTT, .intel_family = gfams[f] };
		uint32_t flags = gfams[f] == GTT_INTEL_MTL ? GTT_PTE_PAT(3) : 0;
		struct gtt_backend *be;

		assert_int_equal(gtt_mock_create(&gc, &be), 0);
		assert_int_equal(be_bind(be, 16 * MiB - 5 * PAGE, 5 * PAGE, p, 0, flags), 0);
		assert_exact(be, plat, true, 16 * MiB - 5 * PAGE, 5 * PAGE, p, 0, flags);
		assert_true(walk(be, 16 * MiB - 6 * PAGE).scratch);
		gtt_backend_destroy(be);
	}
	gtt_pages_put(p);
}

/* The GGTT writer over the same shapes, at starts that are not 4-aligned. */
static void test_writer_ggtt(void **state)
{
	const enum gtt_intel_family fams[] = { GTT_INTEL_TGL, GTT_INTEL_MTL, GTT_INTEL_HSW };
	struct gtt_pages *p = writer_pages();
	uint64_t total = gtt_pages_size(p);

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		const struct gtt_intel_platform *plat = gtt_intel_platform(fams[f]);
		struct gtt_mock_config gc = { .size = 64 * MiB, .scratch_addr = SCRATCH,
					      .mode = GTT_MOCK_INTEL_GGTT, .intel_family = fams[f] };
		uint32_t flags = fams[f] == GTT_INTEL_MTL ? GTT_PTE_PAT(2) : 0;
		struct gtt_backend *be;

		assert_int_equal(gtt_mock_create(&gc, &be), 0);
		for (uint64_t start = PAGE; start <= 3 * PAGE; start += PAGE) {
			assert_int_equal(be_bind(be, start, total, p, 0, flags), 0);
			assert_exact(be, plat, true, start, total, p, 0, flags);
			assert_int_equal(be_bind(be, 32 * MiB + start, 9 * PAGE, p, 1021 * PAGE, flags), 0);
			assert_exact(be, plat, true, 32 * MiB + start, 9 * PAGE, p, 1021 * PAGE, flags);
			assert_edges_scratch(be, 32 * MiB + start, 9 * PAGE);
			assert_int_equal(be_clear(be, start, total), 0);
			assert_int_equal(be_clear(be, 32 * MiB + start, 9 * PAGE), 0);
		}
		gtt_backend_destroy(be);
	}
	gtt_pages_put(p);
}

/*
 * Sparse mappings (gtt/map.h) of parts of the list, at offsets inside
 * segments and tables, through a vm: the writer starts and stops where
 * each piece does, and a piece mapped over another keeps its neighbours.
 */
static void test_writer_sparse_maps(void **state)
{
	struct gtt_pages *p = writer_pages();
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 64 * MiB };
	struct gtt_map_info mi = { .pages = p };
	struct intel_world w;
	gtt_vma_t sv;

	(void)state;
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_PPGTT, 1ull << 40, 0, 1ull << 40);
	assert_int_equal(gtt_vma_create_sparse(w.vm, 16 * MiB, NULL, &sv), 0);
	assert_int_equal(gtt_vma_bind(w.vm, sv, &at, NULL), 0);
	mi.pages_offset = 2 * PAGE;
	assert_int_equal(gtt_vma_map(w.vm, sv, 3 * PAGE, 6 * MiB, &mi, NULL), 0);
	mi.pages_offset = 1100 * PAGE;
	assert_int_equal(gtt_vma_map(w.vm, sv, 2 * MiB - 2 * PAGE, 5 * PAGE, &mi, NULL), 0);
	assert_exact(w.be, w.p, false, 64 * MiB + 3 * PAGE, 2 * MiB - 5 * PAGE, p, 2 * PAGE, 0);
	assert_exact(w.be, w.p, false, 66 * MiB - 2 * PAGE, 5 * PAGE, p, 1100 * PAGE, 0);
	assert_exact(w.be, w.p, false, 66 * MiB + 3 * PAGE, 4 * MiB, p, 2 * MiB + 2 * PAGE, 0);
	assert_true(walk(w.be, 64 * MiB + 2 * PAGE).scratch);
	assert_true(walk(w.be, 70 * MiB + 3 * PAGE).scratch);
	assert_int_equal(gtt_vma_unbind(w.vm, sv, 0, NULL), 0);
	assert_all_scratch(w.be, 64 * MiB, 16 * MiB);
	assert_int_equal(tables_of(w.be), 0);
	gtt_pages_put(p);
	intel_fini(&w);
}

/*
 * Pages that include the scratch page itself, bound with the flags the
 * scratch entries carry, write entries equal to scratch.  A table's used
 * count must not count them: the clear sees scratch there and does not
 * count them down, so a table so counted is never freed.  On every family
 * with a PPGTT: a one-page bind of the scratch page, a 64 KiB bind over
 * it (with a 4 KiB page beside it in the same table), scattered pages
 * holding it given as a page array, and a 2 MiB sparse mapping over it (a huge leaf where the platform
 * has one, or an IPS table) unmapped a page first (which splits the
 * leaf into 4 KiB entries, or the IPS table), then half by half, each leaves no page table once unbound.  Fails if any writer
 * (the one-pass 4 KiB writer, the PS64 and 64 KiB-table loops, the split
 * of a huge leaf, IPS's fill) counts a written entry that equals scratch.
 */
static void test_scratch_page_bound(void **state)
{
	const uint64_t lo64k = SCRATCH & ~(64 * 1024ull - 1), lo2m = SCRATCH & ~(2 * MiB - 1);
	struct gtt_pages_segment one = { SCRATCH, PAGE }, blk = { lo64k, 64 * 1024 },
				 huge = { lo2m, 2 * MiB }, other = { 0x40000000, PAGE };
	const uint64_t scattered[] = { 0x40000000, 0x40005000, SCRATCH, 0x40003000,
				       0x40009000, 0x40001000 };
	const uint64_t size = 1ull << 31;

	(void)state;
	for (unsigned int f = 0; f < GTT_INTEL_FAMILY_COUNT; f++) {
		const struct gtt_intel_platform *plat = gtt_intel_platform(f);
		struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 2 * MiB };
		struct gtt_pages *hp;
		struct gtt_map_info mi = { 0 };
		struct intel_world w;
		gtt_vma_t v, v2, sv;

		/* gen6/7 keep empty tables until trimmed: test_gen6_scratch_page_bound() */
		if (!plat || plat->ppgtt_format == GTT_PPGTT_NONE)
			continue;
		intel_init(&w, f, GTT_MOCK_INTEL_PPGTT, size, 0, size);
		v = vma_over(w.vm, &one, 1);
		assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
		assert_int_equal(walk(w.be, at.offset).addr, SCRATCH);
		assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
		if (tables_of(w.be))
			fail_msg("%s: a one-page bind of the scratch page left %llu tables",
				 plat->name, (unsigned long long)tables_of(w.be));

		at.offset = 4 * MiB;
		v = vma_over(w.vm, &blk, 1);
		assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
		assert_int_equal(walk(w.be, at.offset + (SCRATCH - lo64k)).addr, SCRATCH);
		/* A 4 KiB page beside it: an IPS (64 KiB) table turns into a 4 KiB one. */
		at.offset = 4 * MiB + 128 * 1024;
		v2 = vma_over(w.vm, &other, 1);
		assert_int_equal(gtt_vma_bind(w.vm, v2, &at, NULL), 0);
		assert_int_equal(walk(w.be, 4 * MiB + (SCRATCH - lo64k)).addr, SCRATCH);
		assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
		assert_int_equal(gtt_vma_unbind(w.vm, v2, 0, NULL), 0);
		if (tables_of(w.be))
			fail_msg("%s: a 64 KiB bind over the scratch page left %llu tables",
				 plat->name, (unsigned long long)tables_of(w.be));

		/* Scattered pages given as a page array (its own writer). */
		at.offset = 6 * MiB;
		assert_int_equal(gtt_pages_create_array(scattered, ARRAY_SIZE(scattered), PAGE, 0,
							&hp), 0);
		assert_int_equal(gtt_vma_create(w.vm, hp, NULL, &v), 0);
		gtt_pages_put(hp);
		assert_int_equal(gtt_vma_bind(w.vm, v, &at, NULL), 0);
		assert_int_equal(walk(w.be, at.offset + 2 * PAGE).addr, SCRATCH);
		assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
		if (tables_of(w.be))
			fail_msg("%s: a page array holding the scratch page left %llu tables",
				 plat->name, (unsigned long long)tables_of(w.be));

		at.offset = 8 * MiB;
		assert_int_equal(gtt_pages_create(&huge, 1, 0, &hp), 0);
		mi.pages = hp;
		assert_int_equal(gtt_vma_create_sparse(w.vm, 2 * MiB, NULL, &sv), 0);
		assert_int_equal(gtt_vma_bind(w.vm, sv, &at, NULL), 0);
		assert_int_equal(gtt_vma_map(w.vm, sv, 0, 2 * MiB, &mi, NULL), 0);
		assert_int_equal(walk(w.be, at.offset + (SCRATCH - lo2m)).addr, SCRATCH);
		/* One page out: a 2 MiB leaf splits into 4 KiB entries, an IPS
		 * table turns into a 4 KiB one (both write the scratch page's). */
		assert_int_equal(gtt_vma_unmap(w.vm, sv, 0, PAGE, NULL, NULL), 0);
		assert_int_equal(gtt_vma_unmap(w.vm, sv, MiB, MiB, NULL, NULL), 0);
		assert_int_equal(walk(w.be, at.offset + (SCRATCH - lo2m)).addr, SCRATCH);
		assert_int_equal(gtt_vma_unmap(w.vm, sv, 0, MiB, NULL, NULL), 0);
		assert_int_equal(gtt_vma_unbind(w.vm, sv, 0, NULL), 0);
		assert_all_scratch(w.be, at.offset, 2 * MiB);
		if (tables_of(w.be))
			fail_msg("%s: a 2 MiB mapping over the scratch page left %llu tables",
				 plat->name, (unsigned long long)tables_of(w.be));
		gtt_pages_put(hp);
		intel_fini(&w);
	}
}

/*
 * A bind whose page tables are all written whole (4 KiB entries from
 * runs 4 KiB past 2 MiB alignment, and a table of one-page segments),
 * under a new PD, with every allocation failing in turn: nothing the
 * device can see changes, nothing is left allocated.  Fails if such a
 * table were linked before the plan is complete, or were not freed when
 * the plan is undone.
 */
static void test_writer_whole_tables_alloc_failures(void **state)
{
	struct gtt_pages_segment segs[600];
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = 0x7f8000000000ull - 2 * MiB };
	const uint64_t probes[] = { bi.offset, bi.offset + 0x5000, bi.offset + 2 * MiB,
				    bi.offset + 4 * MiB - PAGE, bi.offset + 6 * MiB + 0x3000,
				    bi.offset - PAGE };
	struct gtt_pages_segment keep = { 0x12340000, 4 * PAGE };
	struct gtt_bind_info kat = { .flags = GTT_BIND_FIXED, .offset = bi.offset - 4 * PAGE };
	struct intel_world w;
	size_t n = 0;

	(void)state;
	segs[n++] = (struct gtt_pages_segment){ 0x40001000, 2 * MiB };
	segs[n++] = (struct gtt_pages_segment){ 0x80001000, 4 * MiB };
	for (; n < 2 + 512; n++)
		segs[n] = (struct gtt_pages_segment){ 0x100000000ull + 2 * n * PAGE, PAGE };
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_PPGTT, 1ull << 47, 0, 1ull << 47);
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &keep, 1), &kat, NULL), 0);
	check_bind_oom(&w, segs, n, &bi, probes, ARRAY_SIZE(probes));
	intel_fini(&w);
}

/* ---- issue #14: the 32-byte run loop and the per-table steps around it ---- */

static void run_wide(uint64_t *e, uint64_t n, uint64_t first)
{
	intel_write_run(e, n, first, true);
}

static void run_narrow(uint64_t *e, uint64_t n, uint64_t first)
{
	intel_write_run(e, n, first, false);
}

static void run128_wide(uint64_t *e, uint64_t n, uint64_t first)
{
	intel_write_run128(e, n, first, true);
}

static void run128_narrow(uint64_t *e, uint64_t n, uint64_t first)
{
	intel_write_run128(e, n, first, false);
}

/*
 * @write of @n entries at every entry offset 0-7 from a 64-byte boundary,
 * for lengths around each loop's step and a table's size, against the
 * entries written one by one; the guard entries around them untouched.
 */
static void check_run_writer(void (*write)(uint64_t *, uint64_t, uint64_t), const char *name)
{
	enum { GUARD = 8, MAXN = 1100 };
	const size_t len = MAXN + 2 * GUARD + 8;
	const uint64_t first = 0x8000000123456000ull | 0x3, sentinel = 0x5a5a5a5a5a5a5a5aull;
	uint64_t *buf = aligned_alloc(64, (len * sizeof(uint64_t) + 63) / 64 * 64);
	uint64_t ns[100];
	size_t nn = 0;

	assert_non_null(buf);
	for (uint64_t n = 0; n <= 80; n++)
		ns[nn++] = n;
	for (uint64_t n = 127; n <= 1025; n = n * 2 + 1)	/* 127, 255, ... 1023 */
		for (uint64_t d = 0; d < 3; d++)
			ns[nn++] = n + d;		/* and one and two past */
	ns[nn++] = MAXN;
	assert_true(nn <= ARRAY_SIZE(ns));
	for (unsigned int at = 0; at < 8; at++) {
		for (size_t j = 0; j < nn; j++) {
			uint64_t n = ns[j];

			for (size_t k = 0; k < len; k++)
				buf[k] = sentinel;
			write(buf + GUARD + at, n, first);
			for (size_t k = 0; k < len; k++) {
				uint64_t i = k - GUARD - at;	/* wraps below the run */
				uint64_t want = i < n ? first + i * PAGE : sentinel;

				if (buf[k] != want)
					fail_msg("%s: %llu entries at offset %u: entry %zu is 0x%llx, want 0x%llx",
						 name, (unsigned long long)n, at, k,
						 (unsigned long long)buf[k], (unsigned long long)want);
			}
		}
	}
	free(buf);
}

/*
 * The run writers of intel_pt_write.h: the dispatching one (32-byte
 * stores for long runs into page tables where the CPU has AVX2), the
 * 16- and 8-byte loops behind it, and the 32-byte loop itself where it can
 * run.  Fails if the 32-byte loop's alignment steps, its main loop or its
 * tail drop, repeat or mis-step an entry, or write outside the run.
 */
static void test_write_run_shapes(void **state)
{
	(void)state;
	check_run_writer(run_wide, "intel_write_run, page table");
	check_run_writer(run_narrow, "intel_write_run, GGTT window");
	check_run_writer(run128_wide, "intel_write_run128, 16-byte");
	check_run_writer(run128_narrow, "intel_write_run128, 8-byte");
#if INTEL_PT_RUN256
	if (__builtin_cpu_supports("avx2"))
		check_run_writer(intel_write_run256, "intel_write_run256");
	else
		print_message("no AVX2 here: intel_write_run256 not run\n");
#endif
}

/*
 * Every 4 KiB page of [va, va + size) translates through the entry the
 * encoder makes of the address @p has at @off onwards with @flags (and the
 * PS64 hint where the walk reports one; a 64 KiB entry of an IPS table
 * holds its first page's): bit for bit what a per-entry writer would
 * store, whether or not the entry equals scratch.
 */
static void assert_reference(struct gtt_backend *be, const struct gtt_intel_platform *plat,
			     uint64_t va, uint64_t size, const struct gtt_pages *p, uint64_t off,
			     uint32_t flags)
{
	for (uint64_t k = 0; k < size; k += PAGE) {
		struct gtt_translation t = walk(be, va + k);
		bool ips = t.page_size == 64 * 1024 && !(t.flags & GTT_INTEL_PS64);
		uint64_t addr, e;

		assert_int_equal(gtt_pages_addr(p, off + k, &addr), 0);
		assert_int_equal(gtt_intel_ppgtt_encode(plat->ppgtt_format, 0,
							ips ? addr & ~(64 * 1024ull - 1) : addr,
							flags | (t.flags & GTT_INTEL_PS64), &e), 0);
		if (t.level != 0 || t.pte != e || t.addr != addr)
			fail_msg("%s: 0x%llx: level %u pte 0x%llx, want 0x%llx", plat->name,
				 (unsigned long long)(va + k), t.level, (unsigned long long)t.pte,
				 (unsigned long long)e);
	}
}

/* Runs of every length class the run writers branch on, one holding the
 * scratch page of ppgtt_mock() (0x10000) as its tenth page. */
static const struct gtt_pages_segment run_segs[] = {
	{ 0x200003000ull, 37 * PAGE },		/* starts at an odd entry: alignment steps */
	{ 0x300001000ull, 2 * MiB },		/* a table's worth, 4 KiB past 2 MiB */
	{ 0x10000 - 9 * PAGE, 40 * PAGE },	/* the scratch page inside a run */
	{ 0x400000000ull, 1500 * PAGE },	/* crosses two table ends */
	{ 0x500005000ull, 17 * PAGE },
	{ 0x600000000ull, 3 * PAGE },		/* short: the inline loops */
	{ 0x700000000ull, 16 * PAGE },		/* the shortest 32-byte run */
	{ 0x800002000ull, 1031 * PAGE },
};

/* The list as segments, or as one address per page (a page array of runs,
 * which the writers read through its merged runs). */
static struct gtt_pages *run_pages(bool array)
{
	struct gtt_pages *p = pages_of(run_segs, ARRAY_SIZE(run_segs));
	uint64_t *pa, n = gtt_pages_size(p) / PAGE;
	struct gtt_pages *a;

	if (!array)
		return p;
	pa = calloc(n, sizeof(*pa));
	assert_non_null(pa);
	for (uint64_t k = 0; k < n; k++)
		assert_int_equal(gtt_pages_addr(p, k * PAGE, &pa[k]), 0);
	assert_int_equal(gtt_pages_create_array(pa, n, PAGE, 0, &a), 0);
	free(pa);
	gtt_pages_put(p);
	return a;
}

/*
 * The runs bound (flags 0: the scratch page's entry equals scratch) from a
 * table start, from mid-table at odd entries, to and across table ends and
 * from inside a run, each part against the per-entry reference; then a
 * remap over entries in use, clears from mid-table to mid-table with the
 * rest still exact, and the last clears leave no page table.  Fails if a
 * run writer drops, repeats or mis-steps an entry at a run, 32-byte group
 * or table end, if a table's link is wrong, or if a used count is off:
 * counting the scratch-equal entry keeps its table forever (the last
 * check), missing an entry frees a table that still maps pages (the
 * checks after the partial clears).
 */
static void check_runs_reference(enum gtt_intel_family fam, bool array)
{
	const struct gtt_intel_platform *plat = gtt_intel_platform(fam);
	struct gtt_backend *be = ppgtt_mock(fam);
	struct gtt_pages *p = run_pages(array);
	uint64_t total = gtt_pages_size(p);
	const uint64_t base = 1ull << 39;
	const struct { uint64_t va, off, size; } part[] = {
		{ base, 0, total },					/* from a table start */
		{ base + 64 * MiB + 3 * PAGE, 0, total },		/* from entry 3 */
		{ base + 128 * MiB + 5 * PAGE, 40 * PAGE, 2 * MiB - 5 * PAGE },	/* to a table end */
		{ base + 132 * MiB - 21 * PAGE, 45 * PAGE, 700 * PAGE },	/* across one */
		{ base + 136 * MiB + 7 * PAGE, 600 * PAGE + 11 * PAGE, 6 * MiB },	/* inside a run */
	};

	for (size_t k = 0; k < ARRAY_SIZE(part); k++) {
		assert_int_equal(be_bind(be, part[k].va, part[k].size, p, part[k].off, 0), 0);
		assert_reference(be, plat, part[k].va, part[k].size, p, part[k].off, 0);
		assert_edges_scratch(be, part[k].va, part[k].size);
	}
	/* A remap of the first part's middle, one entry off its alignment. */
	assert_int_equal(be_bind(be, base + MiB + PAGE, 3 * MiB, p, 13 * PAGE, 0), 0);
	assert_reference(be, plat, base, MiB + PAGE, p, 0, 0);
	assert_reference(be, plat, base + MiB + PAGE, 3 * MiB, p, 13 * PAGE, 0);
	assert_reference(be, plat, base + 4 * MiB + PAGE, total - 4 * MiB - PAGE, p,
			 4 * MiB + PAGE, 0);
	/* Clears from mid-table to mid-table: the rest stays exact. */
	assert_int_equal(be_clear(be, base + 64 * MiB + 100 * PAGE, 700 * PAGE), 0);
	assert_all_scratch(be, base + 64 * MiB + 100 * PAGE, 700 * PAGE);
	assert_reference(be, plat, base + 64 * MiB + 3 * PAGE, 97 * PAGE, p, 0, 0);
	assert_reference(be, plat, base + 64 * MiB + 800 * PAGE, total - 797 * PAGE, p,
			 797 * PAGE, 0);
	/* The same pages again over part 3's middle, its scratch-equal entry
	 * among them: entries in use, each counted once. */
	assert_int_equal(be_bind(be, part[3].va + 50 * PAGE, 500 * PAGE, p,
				 part[3].off + 50 * PAGE, 0), 0);
	assert_reference(be, plat, part[3].va, part[3].size, p, part[3].off, 0);
	/* Bound again: into tables partly in use. */
	assert_int_equal(be_bind(be, base + 64 * MiB + 100 * PAGE, 700 * PAGE, p, 97 * PAGE, 0), 0);
	assert_reference(be, plat, part[1].va, part[1].size, p, 0, 0);
	assert_int_equal(be_clear(be, base, total / 2), 0);
	assert_reference(be, plat, base + total / 2, total - total / 2, p, total / 2, 0);
	assert_int_equal(be_clear(be, base + total / 2, total - total / 2), 0);
	/* The rest in pieces of 300 pages: no clear takes a whole table (one
	 * that does sets the count to 0), so a table goes only when its count
	 * is exact. */
	for (size_t k = 1; k < ARRAY_SIZE(part); k++) {
		for (uint64_t at = 0; at < part[k].size; at += 300 * PAGE) {
			uint64_t n = part[k].size - at < 300 * PAGE ? part[k].size - at : 300 * PAGE;

			uint64_t rest = part[k].size - at - n;

			assert_int_equal(be_clear(be, part[k].va + at, n), 0);
			assert_reference(be, plat, part[k].va + at + n,
					 rest < 600 * PAGE ? rest : 600 * PAGE, p,
					 part[k].off + at + n, 0);
		}
	}
	if (tables_of(be))
		fail_msg("%s%s: %llu page tables left after the last clear", plat->name,
			 array ? " (page array)" : "", (unsigned long long)tables_of(be));
	gtt_pages_put(p);
	gtt_backend_destroy(be);
}

static void test_writer_runs_reference(void **state)
{
	/* TGL, BDW: the one-pass writer (32-byte runs); SKL: 64 KiB tables
	 * possible beside it; DG2, LNL: the PS64 loop (the reference then). */
	const enum gtt_intel_family fams[] = { GTT_INTEL_TGL, GTT_INTEL_BDW, GTT_INTEL_SKL,
					       GTT_INTEL_DG2, GTT_INTEL_LNL };

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		check_runs_reference(fams[f], false);
		check_runs_reference(fams[f], true);
	}
}

/*
 * A bind of the runs from mid-table over 5 MiB and more, into page tables
 * some of which come off the spare list (a bind and unbind before) and
 * one of which is shared with a mapping kept beside it, with every
 * allocation failing in turn (the plan's step array, sized for the bind
 * in one allocation, among them): -ENOMEM, every probed entry as before,
 * no table or memory left, then the bind succeeds.  Fails if a failure
 * left a table linked, a spare lost or an entry written.
 */
static void test_writer_runs_alloc_failures(void **state)
{
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED,
				    .offset = 0x7f8000000000ull - 2 * MiB + 5 * PAGE };
	struct gtt_pages_segment keep = { 0x12340000, 4 * PAGE };
	struct gtt_bind_info kat = { .flags = GTT_BIND_FIXED, .offset = bi.offset - 4 * PAGE };
	struct gtt_pages_segment spare = { 0x50000000, 8 * MiB };
	struct gtt_bind_info sat = { .flags = GTT_BIND_FIXED, .offset = 0x7f8000000000ull };
	const uint64_t probes[] = { kat.offset, bi.offset, bi.offset + 37 * PAGE,
				    0x7f8000000000ull, 0x7f8000000000ull + 2 * MiB + 0x3000,
				    bi.offset + 6 * MiB, 0x7f8000000000ull + 16 * MiB - PAGE };
	struct intel_world w;
	gtt_vma_t sv;

	(void)state;
	intel_init(&w, GTT_INTEL_TGL, GTT_MOCK_INTEL_PPGTT, 1ull << 47, 0, 1ull << 47);
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &keep, 1), &kat, NULL), 0);
	sv = vma_over(w.vm, &spare, 1);
	assert_int_equal(gtt_vma_bind(w.vm, sv, &sat, NULL), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, sv, 0, NULL), 0);
	check_bind_oom(&w, run_segs, ARRAY_SIZE(run_segs), &bi, probes, ARRAY_SIZE(probes));
	intel_fini(&w);
}

/*
 * A bind whose plan needs more steps than its first allocation holds
 * (f8c199d sizes it from the bind: one a 2 MiB, one a 1 GiB, 8 more, at
 * most 1024): 2 GiB + 6 MiB + 5 pages of 4 KiB entries on SKL (no 2 MiB
 * leaves; the pages are not 64 KiB-aligned, so no IPS table), from 3
 * pages below 1 GiB: 1029 page tables and 4 directories, of which the
 * first of each serve a kept mapping too: 1031 new ones, so the step
 * array grows once past 1024.  Every allocation fails in turn until the
 * growth's has (its message names the table plan, after the first
 * allocation's), after one bind and unbind that leave the spare tables
 * and the mock's memory as a failed bind does: each -ENOMEM leaves the probed entries, the table count
 * and mem_live() as they were.  Then the bind succeeds and maps its first,
 * middle and last pages, and its unbind leaves no table.  Until now only
 * test_ppgtt_huge_pages grew a plan past its first allocation, and no
 * test failed the growth.  Fails if plan_push() forgot the steps when
 * the growth fails (checked: ed->n = 0 there; the undo misses the tables,
 * mem_live() 0x458 against 0x256) or kept too few when it succeeds
 * (checked: 8 steps dropped; the warm-up's unbind leaves -4 tables).
 */
static void test_plan_grows_past_estimate(void **state)
{
	const uint64_t size = 2 * GiB + 6 * MiB + 5 * PAGE;
	struct gtt_pages_segment seg = { 0x100001000ull, size };
	struct gtt_pages_segment keep = { 0x12340000, 4 * PAGE };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = GiB - 3 * PAGE };
	struct gtt_bind_info kat = { .flags = GTT_BIND_FIXED, .offset = GiB - 8 * PAGE };
	const uint64_t probes[] = { kat.offset, bi.offset, GiB, bi.offset + size / 2,
				    bi.offset + size - PAGE, bi.offset + size };
	struct gtt_translation before[ARRAY_SIZE(probes)];
	unsigned int plan_failures = 0;
	struct intel_world w;
	uint64_t tables, n;
	gtt_vma_t v;

	(void)state;
	intel_init(&w, GTT_INTEL_SKL, GTT_MOCK_INTEL_PPGTT, 1ull << 48, 0, 1ull << 48);
	assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &keep, 1), &kat, NULL), 0);
	tables = tables_of(w.be);
	for (size_t k = 0; k < ARRAY_SIZE(probes); k++)
		before[k] = walk(w.be, probes[k]);
	/* Once bound and unbound: the spare tables and the mock's own
	 * memory are as a failed bind leaves them. */
	v = vma_over(w.vm, &seg, 1);
	assert_int_equal(gtt_vma_bind(w.vm, v, &bi, NULL), 0);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_int_equal(tables_of(w.be), tables);
	for (n = 1; plan_failures < 2; n++) {
		int64_t live = mem_live();
		int err;

		assert_true(n < 10000);
		mem_fail_after(n);
		err = gtt_vma_bind(w.vm, v, &bi, NULL);
		assert_true(mem_fail_fired());
		mem_fail_after(0);
		assert_int_equal(err, -ENOMEM);
		plan_failures += strstr(gtt_last_error(), "table plan") != NULL;
		assert_int_equal(mem_live(), live);
		assert_int_equal(tables_of(w.be), tables);
		for (size_t k = 0; k < ARRAY_SIZE(probes); k++) {
			struct gtt_translation t = walk(w.be, probes[k]);

			assert_int_equal(t.pte, before[k].pte);
			assert_int_equal(t.level, before[k].level);
		}
	}
	/* The second was the growth's, at the 1025th step (512 of the
	 * tables before it come off the spare list without allocating). */
	assert_true(n > 500);
	assert_int_equal(gtt_vma_bind(w.vm, v, &bi, NULL), 0);
	assert_int_equal(tables_of(w.be), tables + 1028 + 3);
	assert_int_equal(walk(w.be, bi.offset).addr, seg.addr);
	assert_int_equal(walk(w.be, bi.offset + size / 2).addr, seg.addr + size / 2);
	assert_int_equal(walk(w.be, bi.offset + size - PAGE).addr, seg.addr + size - PAGE);
	assert_int_equal(walk(w.be, kat.offset).addr, keep.addr);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_int_equal(tables_of(w.be), tables);
	assert_all_scratch(w.be, bi.offset, size);
	intel_fini(&w);
}

/* ---- randomized differential: binds and clears against a per-page model ---- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/*
 * Random segment lists: one-page segments (some adjacent, merging), short
 * runs, 64 KiB-aligned 64 KiB runs, 2 MiB-aligned runs of 2-4 MiB.
 */
static struct gtt_pages *rnd_pages(void)
{
	struct gtt_pages_segment segs[700];
	uint64_t dma = 0x200000000ull + rnd_below(64) * 2 * MiB;
	size_t n = 0, want = 1 + rnd_below(ARRAY_SIZE(segs));

	while (n < want) {
		uint64_t len;

		switch (rnd_below(6)) {
		case 0:
		case 1:
			len = PAGE;
			break;
		case 2:
			len = (1 + rnd_below(40)) * PAGE;
			break;
		case 3:
			dma = (dma + 0xffff) & ~0xffffull;
			len = (1 + rnd_below(3)) * 64 * 1024;
			break;
		case 4:
			dma = (dma + 2 * MiB - 1) & ~(2 * MiB - 1);
			len = (2 + rnd_below(3)) * MiB;
			break;
		default:
			len = (1 + rnd_below(600)) * PAGE;
			break;
		}
		segs[n++] = (struct gtt_pages_segment){ dma, len };
		dma += len + (rnd_below(3) ? PAGE * rnd_below(3) : 0);
	}
	return pages_of(segs, n);
}

#define RND_WIN (6 * MiB)
#define RND_PAGES (RND_WIN / PAGE)

struct rnd_model {
	uint64_t base[2];		/* two windows of RND_WIN */
	uint64_t addr[2][RND_PAGES];	/* 0: scratch, 1: null, else the page | 2 */
	unsigned int flags[2][RND_PAGES];
};

/* Steps per run: GTT_RANDOM_OPS, 120 unless set. */
static unsigned int rnd_ops(void)
{
	const char *env = getenv("GTT_RANDOM_OPS");

	return env ? (unsigned int)atoi(env) : 120;
}

/* A random range of window *@w: pages [*@first, *@first + *@n). */
static void rnd_range(unsigned int *w, uint64_t *first, uint64_t *n)
{
	uint64_t max;

	*w = (unsigned int)rnd_below(2);
	*first = rnd_below(RND_PAGES);
	max = RND_PAGES - *first;
	*n = 1 + (rnd_below(4) ? rnd_below(max < 64 ? max : 64) : rnd_below(max));
}

/* The model after [@first, @first + @n) of window @w maps @p from page @off. */
static void rnd_set(struct rnd_model *m, unsigned int w, uint64_t first, uint64_t n,
		    const struct gtt_pages *p, uint64_t off, unsigned int flags)
{
	for (uint64_t k = 0; k < n; k++) {
		uint64_t a;

		assert_int_equal(gtt_pages_addr(p, (off + k) * PAGE, &a), 0);
		m->addr[w][first + k] = a | 2;
		m->flags[w][first + k] = flags;
	}
}

static void rnd_check(struct gtt_backend *be, const struct gtt_intel_platform *plat,
		      const struct rnd_model *m, unsigned int op)
{
	for (unsigned int w = 0; w < 2; w++) {
		for (uint64_t k = 0; k < RND_PAGES; k++) {
			uint64_t va = m->base[w] + k * PAGE, want = m->addr[w][k], e;
			struct gtt_translation t = walk(be, va);

			if (!want) {
				if (!t.scratch)
					fail_msg("op %u %s: 0x%llx should be scratch, maps 0x%llx (null %d)",
						 op, plat->name, (unsigned long long)va,
						 (unsigned long long)t.addr, t.null);
				continue;
			}
			if (want == 1) {
				if (!t.null)
					fail_msg("op %u %s: 0x%llx should be null", op, plat->name,
						 (unsigned long long)va);
				continue;
			}
			want &= ~2ull;
			if (!t.present || t.scratch || t.null || t.addr != want)
				fail_msg("op %u %s: 0x%llx maps 0x%llx, want 0x%llx", op, plat->name,
					 (unsigned long long)va, (unsigned long long)t.addr,
					 (unsigned long long)want);
			if (t.level == 0 && (t.page_size == PAGE || (t.flags & GTT_INTEL_PS64))) {
				assert_int_equal(gtt_intel_ppgtt_encode(plat->ppgtt_format, 0, want,
					m->flags[w][k] | (t.flags & GTT_INTEL_PS64), &e), 0);
				if (t.pte != e)
					fail_msg("op %u %s: 0x%llx pte 0x%llx want 0x%llx", op,
						 plat->name, (unsigned long long)va,
						 (unsigned long long)t.pte, (unsigned long long)e);
			}
			if (t.flags & GTT_INTEL_PS64) {
				/* A hinted group: 16 pages of one aligned 64 KiB page. */
				uint64_t g = k & ~15ull, a0 = m->addr[w][g] & ~2ull;

				if (a0 & 0xffff)
					fail_msg("op %u: PS64 at 0x%llx on a misaligned page", op,
						 (unsigned long long)va);
				for (unsigned int j = 0; j < 16; j++)
					if (m->addr[w][g + j] != ((a0 + j * PAGE) | 2))
						fail_msg("op %u: PS64 at 0x%llx over pages that are not one 64 KiB page",
							 op, (unsigned long long)va);
			}
		}
	}
}

static void check_random(enum gtt_intel_family fam, uint64_t seed, unsigned int ops)
{
	const struct gtt_intel_platform *plat = gtt_intel_platform(fam);
	int64_t live = mem_live();
	struct gtt_backend *be = ppgtt_mock(fam);
	struct gtt_pages *pool[4];
	struct rnd_model *m = mem_zalloc(sizeof(*m));
	uint64_t top = 1ull << plat->ppgtt_bits;
	bool lmem = plat->discrete && plat->ppgtt_format >= GTT_PPGTT_XEHP;

	assert_non_null(m);
	rnd_state = seed;
	for (size_t k = 0; k < ARRAY_SIZE(pool); k++)
		pool[k] = rnd_pages();
	/* Local memory: 64 KiB-aligned chunks of 64 KiB to 1 MiB, 2 MiB runs. */
	struct gtt_pages_segment lsegs[64];

	for (size_t k = 0; k < ARRAY_SIZE(lsegs); k++)
		lsegs[k] = (struct gtt_pages_segment){ 0x800000000ull + k * 4 * MiB +
						       rnd_below(8) * 64 * 1024,
						       k % 5 ? (1 + rnd_below(16)) * 64 * 1024
							     : 2 * MiB };
	struct gtt_pages *lm = pages_of(lsegs, ARRAY_SIZE(lsegs));
	/* One window across a 1 GiB boundary, one at the end of the vm. */
	m->base[0] = (top > 8 * GiB ? 4 * GiB : GiB) - 2 * MiB;
	m->base[1] = top - RND_WIN;
	for (unsigned int op = 0; op < ops; op++) {
		unsigned int w;
		uint64_t first, n, va;
		int r, err;

		rnd_range(&w, &first, &n);
		va = m->base[w] + first * PAGE;
		r = (int)rnd_below(8);
		/* Discrete XeHP+: the top window holds local memory. */
		bool local = lmem && w == 1;

		if (rnd_below(3) == 0) {	/* align for whole tables and leaves */
			first &= ~511ull;
			va = m->base[w] + first * PAGE;
			n = (1 + rnd_below(2)) * 512;
			if (n > RND_PAGES - first)
				n = RND_PAGES - first;
		}
		if (local && rnd_below(4)) {	/* compact tables: 64 KiB units */
			first &= ~15ull;
			n = (n + 15) & ~15ull;
			if (n > RND_PAGES - first)
				n = RND_PAGES - first;
			va = m->base[w] + first * PAGE;
		}
		/* Now and then an allocation of the step fails: nothing done. */
		mem_fail_after(rnd_below(5) ? 0 : 1 + rnd_below(4));
		if (r < 2) {
			err = be_clear(be, va, n * PAGE);
			if (err == -ENOMEM && mem_fail_fired()) {
				mem_fail_after(0);
				rnd_check(be, plat, m, op);
				continue;
			}
			if (err) {	/* splits a local-memory 64 KiB page: nothing done */
				assert_true(local);
				assert_int_equal(err, -EINVAL);
			}
			for (uint64_t k = 0; !err && k < n; k++)
				m->addr[w][first + k] = 0;
		} else if (r == 2 && plat->has_null_pte) {
			err = be_bind(be, va, n * PAGE, NULL, 0, GTT_PTE_NULL);
			if (err == -ENOMEM && mem_fail_fired()) {
				mem_fail_after(0);
				rnd_check(be, plat, m, op);
				continue;
			}
			if (err && (!local || err != -EINVAL))	/* lmem: a compact table's rules */
				fail_msg("op %u %s: NULL bind: %d (%s)", op, plat->name, err,
					 gtt_last_error());
			for (uint64_t k = 0; !err && k < n; k++)
				m->addr[w][first + k] = 1;
		} else {
			struct gtt_pages *p = local ? lm : pool[rnd_below(ARRAY_SIZE(pool))];
			uint64_t pp = gtt_pages_size(p) / PAGE;
			uint64_t off = 0;
			unsigned int flags = plat->ppgtt_read_only && !rnd_below(4) ?
					     GTT_PTE_READ_ONLY : 0;
			uint32_t pat = GTT_PTE_PAT(rnd_below(5));
			uint64_t e;

			if (!gtt_intel_ppgtt_encode(plat->ppgtt_format, 0, 0, flags | pat, &e))
				flags |= pat;	/* a PAT index the platform has */
			if (local)
				flags |= GTT_PTE_LOCAL_MEM;
			if (n > pp)
				n = pp;
			off = rnd_below(pp - n + 1);
			if (local ? rnd_below(4) != 0 : rnd_below(2) != 0)
				off &= rnd_below(2) ? ~511ull : ~15ull;	/* 2 MiB or 64 KiB */
			if (off + n > pp)
				off = pp - n;
			err = be_bind(be, va, n * PAGE, p, off * PAGE, flags);
			if (err == -ENOMEM && mem_fail_fired()) {
				mem_fail_after(0);
				rnd_check(be, plat, m, op);
				continue;
			}
			if (err == -EINVAL && local) {
				/* Local and system memory in one 2 MiB region,
				 * or a 64 KiB rule broken: nothing written. */
				rnd_check(be, plat, m, op);
				continue;
			}
			if (err) {
				fail_msg("op %u %s: bind 0x%llx +%llu pages off %llu: %d", op,
					 plat->name, (unsigned long long)va,
					 (unsigned long long)n, (unsigned long long)off, err);
			}
			rnd_set(m, w, first, n, p, off, flags);
		}
		mem_fail_after(0);
		rnd_check(be, plat, m, op);
	}
	for (unsigned int w = 0; w < 2; w++) {
		int err = be_clear(be, m->base[w], RND_WIN);

		if (err)
			fail_msg("%s: final clear of window %u: %d (%s)", plat->name, w, err,
				 gtt_last_error());
	}
	assert_int_equal(tables_of(be), 0);
	for (size_t k = 0; k < ARRAY_SIZE(pool); k++)
		gtt_pages_put(pool[k]);
	gtt_pages_put(lm);
	mem_free(m);
	gtt_backend_destroy(be);
	assert_int_equal(mem_live(), live);
}

/*
 * Random binds (one-page segments, runs, 64 KiB and 2 MiB shapes, NULL
 * entries), remaps and clears in two windows (across a 1 GiB boundary and
 * at the end of the vm) on each gen8+ PPGTT, every page checked against a
 * per-page model after each step, then no table left.  On discrete XeHP+,
 * local-memory binds (compact 64 KiB tables) too: those the 64 KiB rules
 * refuse, and clears that would split a local-memory 64 KiB page, must
 * leave every page as it was.
 */
static void test_writer_random(void **state)
{
	unsigned int ops = rnd_ops();

	(void)state;
	for (unsigned int f = 0; f < GTT_INTEL_FAMILY_COUNT; f++) {
		const struct gtt_intel_platform *plat = gtt_intel_platform(f);

		if (!plat || plat->ppgtt_format < GTT_PPGTT_GEN8)
			continue;
		for (uint64_t seed = 1; seed <= 3; seed++)
			check_random(f, seed * 0x9e3779b97f4a7c15ull + f, ops);
	}
}

/* GGTT: every entry of the two windows against the model. */
static void rnd_check_ggtt(struct gtt_backend *be, const struct gtt_intel_platform *plat,
			   const struct rnd_model *m, unsigned int op)
{
	for (unsigned int w = 0; w < 2; w++) {
		for (uint64_t k = 0; k < RND_PAGES; k++) {
			uint64_t va = m->base[w] + k * PAGE, want = m->addr[w][k] & ~2ull, e;
			struct gtt_translation t = walk(be, va);

			if (!m->addr[w][k]) {
				if (!t.scratch)
					fail_msg("op %u %s: GGTT 0x%llx should be scratch", op,
						 plat->name, (unsigned long long)va);
				continue;
			}
			assert_int_equal(gtt_intel_ggtt_encode(plat->ggtt_format, want,
							       m->flags[w][k], &e), 0);
			if (t.scratch || t.addr != want || t.pte != e)
				fail_msg("op %u %s: GGTT 0x%llx pte 0x%llx, want 0x%llx", op,
					 plat->name, (unsigned long long)va,
					 (unsigned long long)t.pte, (unsigned long long)e);
		}
	}
}

/*
 * The GGTT writers (the shared 8-byte one on gen8+, the folding loop of
 * gen6/7) and the plain clear, on every family: random binds, remaps and
 * clears over a 12 MiB GGTT, every entry checked after each step.
 */
static void test_writer_ggtt_random(void **state)
{
	unsigned int ops = rnd_ops();

	(void)state;
	for (unsigned int f = 0; f < GTT_INTEL_FAMILY_COUNT; f++) {
		const struct gtt_intel_platform *plat = gtt_intel_platform(f);
		struct gtt_mock_config gc = { .size = 2 * RND_WIN, .scratch_addr = SCRATCH,
					      .mode = GTT_MOCK_INTEL_GGTT, .intel_family = f };
		struct gtt_pages *pool[3];
		struct gtt_backend *be;
		struct rnd_model *m;

		if (!plat)
			continue;
		m = mem_zalloc(sizeof(*m));
		assert_non_null(m);
		assert_int_equal(gtt_mock_create(&gc, &be), 0);
		rnd_state = 0x51ed270b27c3a4d1ull + f;
		for (size_t k = 0; k < ARRAY_SIZE(pool); k++)
			pool[k] = rnd_pages();
		m->base[1] = RND_WIN;
		for (unsigned int op = 0; op < ops; op++) {
			unsigned int w;
			uint64_t first, n, va;

			rnd_range(&w, &first, &n);
			va = m->base[w] + first * PAGE;

			if (rnd_below(3) == 0) {
				assert_int_equal(be_clear(be, va, n * PAGE), 0);
				for (uint64_t k = 0; k < n; k++)
					m->addr[w][first + k] = 0;
			} else {
				struct gtt_pages *p = pool[rnd_below(ARRAY_SIZE(pool))];
				uint64_t pp = gtt_pages_size(p) / PAGE, off, e;
				uint32_t flags = GTT_PTE_PAT(rnd_below(5));

				if (gtt_intel_ggtt_encode(plat->ggtt_format, 0, flags, &e))
					flags = 0;
				if (n > pp)
					n = pp;
				off = rnd_below(pp - n + 1);
				assert_int_equal(be_bind(be, va, n * PAGE, p, off * PAGE, flags), 0);
				rnd_set(m, w, first, n, p, off, flags);
			}
			rnd_check_ggtt(be, plat, m, op);
		}
		for (size_t k = 0; k < ARRAY_SIZE(pool); k++)
			gtt_pages_put(pool[k]);
		mem_free(m);
		gtt_backend_destroy(be);
	}
}

/* gtt_pages_first_page(), gtt_pages_last_page() and gtt_pages_longest_run(): found at creation. */
static void test_pages_shape(void **state)
{
	struct gtt_pages_segment segs[] = { { 0x10000, PAGE }, { 0x11000, 2 * PAGE },
					    { 0x900000, PAGE }, { 0x20000, 4 * PAGE },
					    { 0x24000, PAGE }, { 0x8000, PAGE } };
	struct gtt_pages *p = pages_of(segs, ARRAY_SIZE(segs)), *bo;

	(void)state;
	assert_int_equal(gtt_pages_first_page(p), 0x8000);	/* the last segment */
	assert_int_equal(gtt_pages_last_page(p), 0x900000);
	assert_int_equal(gtt_pages_longest_run(p), 5 * PAGE);	/* 0x20000.. and 0x24000 merge */
	gtt_pages_put(p);
	p = pages_of(segs, 2);
	assert_int_equal(gtt_pages_first_page(p), 0x10000);
	assert_int_equal(gtt_pages_last_page(p), 0x12000);
	assert_int_equal(gtt_pages_longest_run(p), 3 * PAGE);
	gtt_pages_put(p);
	assert_int_equal(gtt_pages_first_page(NULL), 0);
	assert_int_equal(gtt_pages_last_page(NULL), 0);
	assert_int_equal(gtt_pages_longest_run(NULL), 0);
	assert_int_equal(gtt_pages_create_bo(7, 0, MiB, 0, &bo), 0);
	assert_int_equal(gtt_pages_first_page(bo), 0);
	assert_int_equal(gtt_pages_last_page(bo), 0);
	assert_int_equal(gtt_pages_longest_run(bo), 0);
	gtt_pages_put(bo);
}

/* ---- gen6/7 PPGTT: a page directory in the GGTT ---- */

#include "intel/intel_pt.h"
#include "intel/intel_pt_pool.h"

static const enum gtt_intel_family gen6_fams[] = { GTT_INTEL_SNB, GTT_INTEL_IVB,
						   GTT_INTEL_HSW, GTT_INTEL_VLV };

static uint64_t table_entry(struct gtt_backend *be, uint64_t dma, unsigned int i)
{
	uint64_t e;

	assert_int_equal(gtt_mock_table_read(be, dma, i, &e), 0);
	return e;
}

/* The PDE of @va, decoded: which page table maps it. */
static uint64_t gen6_pt_of(struct intel_world *w, uint64_t va)
{
	struct gtt_intel_entry d;
	uint64_t pd;

	assert_int_equal(gtt_mock_ppgtt_root(w->be, &pd), 0);
	assert_int_equal(gtt_intel_gen6_pde_decode(w->p->ggtt_format,
						    table_entry(w->be, pd, (unsigned int)(va >> 22)), &d), 0);
	assert_true(d.present);
	return d.addr;
}

/*
 * Per platform: a bind across a page-table boundary (4 MiB), PTEs in the
 * GGTT layout read through the PD in the GGTT, tables made on demand and
 * kept after the unbind (i915 cannot drop a PDE the context cached), the
 * unused PDEs on the scratch table, cache levels, the 2 GiB limit.
 */
static void check_gen6(enum gtt_intel_family fam)
{
	struct gtt_pages_segment segs[] = { { 0x12345000, 3 * PAGE }, { 0x87654000ull, 2 * PAGE } };
	const uint64_t addr[5] = { 0x12345000, 0x12346000, 0x12347000, 0x87654000, 0x87655000 };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = 4 * MiB - 2 * PAGE,
				    .pte_flags = GTT_PTE_PAT(GTT_INTEL_CACHE_LLC) };
	struct intel_world w;
	struct gtt_translation t;
	uint64_t pd, scratch_pt, pte;
	gtt_vma_t v;

	intel_init(&w, fam, GTT_MOCK_INTEL_PPGTT, 2 * GiB, PAGE, 2 * GiB - PAGE);
	assert_int_equal(w.p->ppgtt_levels, 2);
	assert_int_equal(tables_of(w.be), 0);
	/* Nothing bound: every PDE points at the one scratch table, and the
	 * walk says so for the whole 4 MiB. */
	assert_int_equal(gtt_mock_ppgtt_root(w.be, &pd), 0);
	assert_int_equal(pd % GTT_INTEL_GEN6_PD_ALIGN, 0);
	scratch_pt = gen6_pt_of(&w, 0);
	for (unsigned int i = 0; i < GTT_INTEL_GEN6_PDES; i++)
		assert_int_equal(gen6_pt_of(&w, (uint64_t)i << 22), scratch_pt);
	t = walk(w.be, 9 * MiB + 0x10);
	assert_true(t.present && t.scratch);
	assert_int_equal(t.addr, SCRATCH + 0x10);
	assert_int_equal(t.extent, 3 * MiB - 0x10);
	v = vma_over(w.vm, segs, 2);
	assert_int_equal(gtt_vma_bind(w.vm, v, &bi, NULL), 0);
	assert_int_equal(tables_of(w.be), 2);		/* PDE 0 and PDE 1 */
	assert_int_not_equal(gen6_pt_of(&w, 0), scratch_pt);
	assert_int_not_equal(gen6_pt_of(&w, 4 * MiB), scratch_pt);
	assert_int_equal(gen6_pt_of(&w, 8 * MiB), scratch_pt);
	for (int i = 0; i < 5; i++) {
		uint64_t va = bi.offset + (uint64_t)i * PAGE;

		t = walk(w.be, va + 0x20);
		assert_true(t.present);
		assert_false(t.scratch);
		assert_int_equal(t.level, 0);
		assert_int_equal(t.page_size, PAGE);
		assert_int_equal(t.addr, addr[i] + 0x20);
		assert_int_equal(gtt_intel_ggtt_encode(w.p->ggtt_format, addr[i], bi.pte_flags, &pte), 0);
		assert_int_equal(t.pte, pte);
		assert_int_equal(t.pte >> 32, 0);
		/* The same entry, read from the table the PDE points at. */
		assert_int_equal(table_entry(w.be, gen6_pt_of(&w, va), (unsigned int)(va >> 12) % 1024), pte);
	}
	assert_true(walk(w.be, bi.offset - PAGE).scratch);
	assert_true(walk(w.be, bi.offset + 5 * PAGE).scratch);
	/* Unbind scrubs, and keeps the tables. */
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_all_scratch(w.be, bi.offset, 5 * PAGE);
	assert_int_equal(tables_of(w.be), 2);
	assert_int_not_equal(gen6_pt_of(&w, 0), scratch_pt);
	/* Bound again, the same tables serve. */
	assert_int_equal(gtt_vma_bind(w.vm, v, &bi, NULL), 0);
	assert_int_equal(tables_of(w.be), 2);
	assert_int_equal(gtt_vma_unbind(w.vm, v, 0, NULL), 0);
	assert_int_equal(gtt_vma_destroy(w.vm, v), 0);
	/* The last page of the 2 GiB and then the end. */
	assert_true(walk(w.be, 2 * GiB - 1).scratch);
	assert_int_equal(gtt_backend_translate(w.be, 2 * GiB, &t), -ERANGE);
	assert_int_equal(gtt_mock_table_read(w.be, pd, GTT_INTEL_GEN6_PDES, &pte), -EINVAL);
	assert_int_equal(gtt_mock_table_read(w.be, gen6_pt_of(&w, 0), GTT_INTEL_GEN6_PTES, &pte),
			 -EINVAL);
	intel_fini(&w);
}

static void test_gen6_ppgtt_snb(void **s) { (void)s; check_gen6(GTT_INTEL_SNB); }
static void test_gen6_ppgtt_ivb(void **s) { (void)s; check_gen6(GTT_INTEL_IVB); }
static void test_gen6_ppgtt_hsw(void **s) { (void)s; check_gen6(GTT_INTEL_HSW); }
static void test_gen6_ppgtt_vlv(void **s) { (void)s; check_gen6(GTT_INTEL_VLV); }

/* Host-memory tables for the direct tests of the gen6/7 code. */
struct gen6_rig {
	struct intel_pt_pool pool;
	struct intel_pt_mem mem;
	struct intel_ggtt ggtt;
	void *window;
	uint64_t next;
};

/* A 64 MiB GGTT of @fam, all scratch, and a table pool. */
static void rig_init(struct gen6_rig *r, enum gtt_intel_family fam)
{
	const struct gtt_intel_platform *p = gtt_intel_platform(fam);
	struct intel_pt_mem gmem = { 0 };

	memset(r, 0, sizeof(*r));
	intel_pt_pool_init(&r->pool, &(struct intel_pt_chunk_source){
		.ctx = &r->next, .get = host_chunk_get, .put = host_chunk_put }, 4);
	intel_pt_pool_mem(&r->pool, &r->mem);
	r->window = mem_zalloc(64 * MiB / PAGE * 4);
	assert_non_null(r->window);
	gmem.ggtt = r->window;
	assert_int_equal(intel_ggtt_init(&r->ggtt, p, p->ggtt_format, 64 * MiB, SCRATCH, &gmem), 0);
}

static void rig_fini(struct gen6_rig *r)
{
	/* Every GGTT entry back on scratch, no reservation left. */
	for (uint64_t i = 0; i < r->ggtt.entries; i++)
		assert_int_equal(intel_ggtt_load_entry(&r->ggtt, i), (uint32_t)r->ggtt.scratch_pte);
	assert_int_equal(r->ggtt.nrsv, 0);
	mem_free(r->window);
	intel_pt_pool_fini(&r->pool);
}

/* The GGTT refuses the directory's entries; two PPGTTs get two directories. */
static void test_gen6_ppgtt_pd_reserved_in_ggtt(void **state)
{
	struct gtt_pages_segment seg = { 0x5000, PAGE };
	struct intel_gen6_ppgtt a, b;
	struct gtt_pages *pg;
	struct gen6_rig r;
	uint64_t at, at2;

	(void)state;
	rig_init(&r, GTT_INTEL_IVB);
	assert_int_equal(gtt_pages_create(&seg, 1, 0, &pg), 0);
	assert_int_equal(intel_ggtt_find_free(&r.ggtt, GTT_INTEL_GEN6_PD_SPAN,
					      GTT_INTEL_GEN6_PD_ALIGN, &at), 0);
	/* As high as it goes below the last page, 64 KiB aligned. */
	assert_int_equal(at, 64 * MiB - 2 * MiB - 64 * 1024);
	assert_int_equal(intel_gen6_ppgtt_init(&a, &r.ggtt, at, SCRATCH, &r.mem), 0);
	assert_int_equal(intel_ggtt_bind(&r.ggtt, at + 2 * MiB - PAGE, PAGE, pg, 0, 0), -EBUSY);
	assert_int_equal(intel_ggtt_clear(&r.ggtt, at - PAGE, 2 * PAGE), -EBUSY);
	assert_int_equal(intel_ggtt_bind(&r.ggtt, at - PAGE, PAGE, pg, 0, 0), 0);
	assert_int_equal(intel_ggtt_bind(&r.ggtt, at + 2 * MiB, PAGE, pg, 0, 0), 0);
	/* The directory's entries are PDEs to the scratch table. */
	for (unsigned int i = 0; i < GTT_INTEL_GEN6_PDES; i++)
		assert_int_equal(intel_ggtt_load_entry(&r.ggtt, at / PAGE + i), a.scratch_pde);
	/* A second directory: not over the first, not over mapped entries. */
	assert_int_equal(intel_gen6_ppgtt_init(&b, &r.ggtt, at, SCRATCH, &r.mem), -EBUSY);
	assert_int_equal(intel_gen6_ppgtt_init(&b, &r.ggtt, at - 2 * MiB + 64 * 1024, SCRATCH, &r.mem),
			 -EBUSY);	/* its last entry is mapped */
	assert_int_equal(intel_gen6_ppgtt_init(&b, &r.ggtt, at + 4096, SCRATCH, &r.mem), -EINVAL);
	assert_int_equal(intel_ggtt_find_free(&r.ggtt, GTT_INTEL_GEN6_PD_SPAN,
					      GTT_INTEL_GEN6_PD_ALIGN, &at2), 0);
	assert_true(at2 + 2 * MiB <= at - PAGE);
	assert_int_equal(intel_gen6_ppgtt_init(&b, &r.ggtt, at2, SCRATCH, &r.mem), 0);
	assert_int_equal(r.ggtt.nrsv, 2);
	intel_gen6_ppgtt_fini(&a);
	assert_int_equal(intel_ggtt_clear(&r.ggtt, at - PAGE, 2 * MiB + 2 * PAGE), 0);
	intel_gen6_ppgtt_fini(&b);
	gtt_pages_put(pg);
	rig_fini(&r);
}

/* Out of range, misaligned, what the format cannot say: refused, nothing written. */
static void test_gen6_ppgtt_rejects(void **state)
{
	struct gtt_pages_segment seg = { 0x10000, 4 * PAGE }, wide = { 1ull << 39, PAGE };
	struct intel_gen6_ppgtt pp;
	struct gtt_translation t;
	struct gtt_pages *pg, *pw;
	struct gen6_rig r;
	uint64_t at;

	(void)state;
	rig_init(&r, GTT_INTEL_HSW);
	assert_int_equal(gtt_pages_create(&seg, 1, 0, &pg), 0);
	assert_int_equal(gtt_pages_create(&wide, 1, 0, &pw), 0);
	assert_int_equal(intel_ggtt_find_free(&r.ggtt, GTT_INTEL_GEN6_PD_SPAN,
					      GTT_INTEL_GEN6_PD_ALIGN, &at), 0);
	assert_int_equal(intel_gen6_ppgtt_init(&pp, &r.ggtt, at, SCRATCH, &r.mem), 0);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0x800, PAGE, pg, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, 0x800, pg, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, 0, pg, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 2 * GiB - PAGE, 2 * PAGE, pg, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 2 * GiB, PAGE, pg, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, 5 * PAGE, pg, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pg, 4 * PAGE, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, NULL, 0, 0), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pg, 0, GTT_PTE_READ_ONLY), -EINVAL);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pg, 0, GTT_PTE_LOCAL_MEM), -EINVAL);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pg, 0, GTT_PTE_PAT(4)), -EINVAL);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pw, 0, 0), -EINVAL);	/* HSW: 39 bits */
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pg, 0, GTT_PTE_NULL), -EINVAL);
	assert_int_equal(intel_gen6_ppgtt_clear(&pp, 0x800, PAGE), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_clear(&pp, 2 * GiB - PAGE, 2 * PAGE), -ERANGE);
	assert_int_equal(intel_gen6_ppgtt_translate(&pp, 2 * GiB, &t), -ERANGE);
	assert_int_equal(pp.tables, 0);		/* nothing was made */
	/* A NULL bind is scratch here (no null PTE before gen12). */
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, pg, 0, 0), 0);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 0, PAGE, NULL, 0, GTT_PTE_NULL), 0);
	assert_int_equal(intel_gen6_ppgtt_translate(&pp, 0, &t), 0);
	assert_true(t.scratch);
	intel_gen6_ppgtt_fini(&pp);
	gtt_pages_put(pg);
	gtt_pages_put(pw);
	rig_fini(&r);
}

/* A SNB rig with a gen6 PPGTT whose directory sits in free GGTT entries:
 * the directory's GGTT offset. */
static uint64_t gen6_open(struct gen6_rig *r, struct intel_gen6_ppgtt *pp)
{
	uint64_t at;

	rig_init(r, GTT_INTEL_SNB);
	assert_int_equal(intel_ggtt_find_free(&r->ggtt, GTT_INTEL_GEN6_PD_SPAN,
					      GTT_INTEL_GEN6_PD_ALIGN, &at), 0);
	assert_int_equal(intel_gen6_ppgtt_init(pp, &r->ggtt, at, SCRATCH, &r->mem), 0);
	return at;
}

/* Empty tables stay until trimmed; trim frees only those, PDEs back on scratch. */
static void test_gen6_ppgtt_trim(void **state)
{
	struct gtt_pages_segment seg = { 0x10000, 1024 * PAGE + 2 * PAGE };
	struct intel_gen6_ppgtt pp;
	struct gtt_translation t;
	struct gtt_pages *pg;
	struct gen6_rig r;
	uint64_t at;

	(void)state;
	at = gen6_open(&r, &pp);
	assert_int_equal(gtt_pages_create(&seg, 1, 0, &pg), 0);
	/* [4 MiB - 1 page, 8 MiB + 1 page): three tables, the middle one full. */
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 4 * MiB - PAGE, 1026 * PAGE, pg, 0, 0), 0);
	assert_int_equal(pp.tables, 3);
	assert_int_equal(pp.pt[1]->used, 1024);
	assert_int_equal(intel_gen6_ppgtt_clear(&pp, 4 * MiB - PAGE, PAGE), 0);
	assert_int_equal(intel_gen6_ppgtt_clear(&pp, 6 * MiB, 2 * MiB + PAGE), 0);
	assert_int_equal(pp.tables, 3);			/* kept, two of them empty */
	assert_int_equal(pp.pt[1]->used, 512);
	assert_int_equal(intel_gen6_ppgtt_trim(&pp), 2);
	assert_int_equal(pp.tables, 1);
	assert_null(pp.pt[0]);
	assert_null(pp.pt[2]);
	assert_int_equal(intel_ggtt_load_entry(&r.ggtt, at / PAGE + 0), pp.scratch_pde);
	assert_int_equal(intel_ggtt_load_entry(&r.ggtt, at / PAGE + 2), pp.scratch_pde);
	assert_int_equal(intel_gen6_ppgtt_translate(&pp, 5 * MiB, &t), 0);
	assert_int_equal(t.addr, 0x10000 + MiB + PAGE);
	assert_int_equal(intel_gen6_ppgtt_translate(&pp, 8 * MiB, &t), 0);
	assert_true(t.scratch);
	assert_int_equal(t.extent, 4 * MiB);
	assert_int_equal(intel_gen6_ppgtt_trim(&pp), 0);
	intel_gen6_ppgtt_fini(&pp);
	gtt_pages_put(pg);
	rig_fini(&r);
}

/* gen6/7: a bind of the scratch page itself leaves its table empty (trim
 * frees it); fails if the writer counts an entry equal to scratch. */
static void test_gen6_scratch_page_bound(void **state)
{
	struct gtt_pages_segment seg = { SCRATCH - PAGE, 3 * PAGE };
	struct intel_gen6_ppgtt pp;
	struct gtt_pages *pg;
	struct gen6_rig r;

	(void)state;
	gen6_open(&r, &pp);
	assert_int_equal(gtt_pages_create(&seg, 1, 0, &pg), 0);
	assert_int_equal(intel_gen6_ppgtt_bind(&pp, 4 * MiB, 3 * PAGE, pg, 0, 0), 0);
	assert_int_equal(pp.pt[1]->used, 2);		/* the scratch page's entry is scratch */
	assert_int_equal(intel_gen6_ppgtt_clear(&pp, 4 * MiB, 3 * PAGE), 0);
	assert_int_equal(pp.pt[1]->used, 0);
	assert_int_equal(intel_gen6_ppgtt_trim(&pp), 1);
	assert_int_equal(pp.tables, 0);
	intel_gen6_ppgtt_fini(&pp);
	gtt_pages_put(pg);
	rig_fini(&r);
}

/* Every allocation of create and of a bind fails in turn: -ENOMEM, nothing changed or leaked. */
static void test_gen6_ppgtt_alloc_failures(void **state)
{
	struct gtt_pages_segment keep = { 0x12340000, 4 * PAGE };
	struct gtt_pages_segment segs[] = { { 0x40000000, 9 * MiB }, { 0x90000000, 5 * PAGE } };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 4 * MiB - 2 * PAGE };
	struct gtt_bind_info bi = { .flags = GTT_BIND_FIXED, .offset = 8 * MiB - PAGE };
	const uint64_t probes[] = { 4 * MiB - 2 * PAGE, 4 * MiB + PAGE, 8 * MiB - PAGE, 8 * MiB,
				    12 * MiB, 16 * MiB + 4 * PAGE, 17 * MiB + 0x5000, 30 * MiB };
	struct intel_world w;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(gen6_fams); f++) {
		/* mock, GGTT window, reservation, scratch table at least */
		check_create_oom(gen6_fams[f], 2 * GiB, 3);
		intel_init(&w, gen6_fams[f], GTT_MOCK_INTEL_PPGTT, 2 * GiB, PAGE, 2 * GiB - PAGE);
		/* Two tables already there (PDEs 0, 1); the bind needs PDEs 1-4. */
		assert_int_equal(gtt_vma_bind(w.vm, vma_over(w.vm, &keep, 1), &at, NULL), 0);
		check_bind_oom_keeping(&w, segs, 2, &bi, probes, ARRAY_SIZE(probes), true);
		assert_int_equal(tables_of(w.be), 5);	/* the three new ones kept */
		intel_fini(&w);
	}
}

static void test_gen6_pp_dir_load(void **state)
{
	struct gtt_intel_reg_write wr[GTT_INTEL_MAX_PP_DIR_WRITES];
	const uint32_t rings[] = { 0x2000, 0x12000, 0x22000, 0x1a000 };

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(gen6_fams); f++) {
		const struct gtt_intel_platform *p = gtt_intel_platform(gen6_fams[f]);
		int n = gtt_intel_gen6_pp_dir_load(p, 0x7fdf0000, wr);

		assert_int_equal(n, p->family == GTT_INTEL_HSW ? 8 : 6);
		for (int r = 0; r < n / 2; r++) {
			/* i915 intel_engine_regs.h: DCLV base + 0x220 = PP_DIR_DCLV_2G, then BASE + 0x228. */
			assert_int_equal(wr[2 * r].reg, rings[r] + 0x220);
			assert_int_equal(wr[2 * r].value, 0xffffffffu);
			assert_int_equal(wr[2 * r + 1].reg, rings[r] + 0x228);
			/* GGTT page 0x7fdf0, entry byte 0x1ff7c0 = line 0x7fdf, in bits 31:16 */
			assert_int_equal(wr[2 * r + 1].value, 0x7fdf0000u);
		}
	}
	assert_int_equal(gtt_intel_gen6_pp_dir_load(gtt_intel_platform(GTT_INTEL_SNB), 0x7fdf1000, wr),
			 -EINVAL);
	assert_int_equal(gtt_intel_gen6_pp_dir_load(gtt_intel_platform(GTT_INTEL_BDW), 0, wr), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pp_dir_load(NULL, 0, wr), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pp_dir_load(gtt_intel_platform(GTT_INTEL_SNB), 0, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ggtt_snb),
		cmocka_unit_test(test_ggtt_hsw),
		cmocka_unit_test(test_ggtt_bdw),
		cmocka_unit_test(test_ggtt_tgl),
		cmocka_unit_test(test_ggtt_mtl),
		cmocka_unit_test(test_ggtt_rejects_unencodable),
		cmocka_unit_test(test_ppgtt_4level_tables_on_demand),
		cmocka_unit_test(test_ppgtt_3level_chv),
		cmocka_unit_test(test_ppgtt_huge_pages),
		cmocka_unit_test(test_ppgtt_64k_hint),
		cmocka_unit_test(test_ppgtt_64k_ips),
		cmocka_unit_test(test_ppgtt_64k_compact_lmem),
		cmocka_unit_test(test_ppgtt_read_only_rules),
		cmocka_unit_test(test_backend_dump_runs),
		cmocka_unit_test(test_runs_step_over_scratch),
		cmocka_unit_test(test_scratch_page_bound),
		cmocka_unit_test(test_mock_intel_config_errors),
		cmocka_unit_test(test_ppgtt_compact_unbind_clears),
		cmocka_unit_test(test_ppgtt_bind_keeps_error_message),
		cmocka_unit_test(test_ppgtt_create_alloc_failures),
		cmocka_unit_test(test_ppgtt_bind_alloc_failures),
		cmocka_unit_test(test_ppgtt_xe2_five_levels),
		cmocka_unit_test(test_scratch_encoded_as_the_kernel),
		cmocka_unit_test(test_table_pointers_encoded_as_the_kernel),
		cmocka_unit_test(test_ppgtt_null_entries),
		cmocka_unit_test(test_ggtt_refuses_null),
		cmocka_unit_test(test_mock_generic_null),
		cmocka_unit_test(test_ppgtt_partial_clear_demotes),
		cmocka_unit_test(test_ppgtt_partial_remap_demotes),
		cmocka_unit_test(test_ppgtt_demotion_tables),
		cmocka_unit_test(test_ppgtt_chv_remap),
		cmocka_unit_test(test_ppgtt_cut_alloc_failures),
		cmocka_unit_test(test_ppgtt_pages_offset),
		cmocka_unit_test(test_writer_edges),
		cmocka_unit_test(test_writer_last_entry),
		cmocka_unit_test(test_writer_ggtt),
		cmocka_unit_test(test_writer_sparse_maps),
		cmocka_unit_test(test_writer_whole_tables_alloc_failures),
		cmocka_unit_test(test_write_run_shapes),
		cmocka_unit_test(test_writer_runs_reference),
		cmocka_unit_test(test_writer_runs_alloc_failures),
		cmocka_unit_test(test_plan_grows_past_estimate),
		cmocka_unit_test(test_writer_random),
		cmocka_unit_test(test_writer_ggtt_random),
		cmocka_unit_test(test_pages_shape),
		cmocka_unit_test(test_gen6_ppgtt_snb),
		cmocka_unit_test(test_gen6_ppgtt_ivb),
		cmocka_unit_test(test_gen6_ppgtt_hsw),
		cmocka_unit_test(test_gen6_ppgtt_vlv),
		cmocka_unit_test(test_gen6_ppgtt_pd_reserved_in_ggtt),
		cmocka_unit_test(test_gen6_ppgtt_rejects),
		cmocka_unit_test(test_gen6_ppgtt_trim),
		cmocka_unit_test(test_gen6_scratch_page_bound),
		cmocka_unit_test(test_gen6_ppgtt_alloc_failures),
		cmocka_unit_test(test_gen6_pp_dir_load),
	};

	return cmocka_run_group_tests_name("intel_pt", tests, NULL, NULL);
}
