/* SPDX-License-Identifier: MIT */
/*
 * Intel platforms and entry formats: a test per family (ID lookup and the
 * descriptor facts), golden vectors for every GGTT and PPGTT row of the
 * facts sheet, rejection of what a format cannot express, and seeded
 * random round trips (encode(decode(e)) == e) for every format.
 */
#include <errno.h>

#include "helpers.h"

#define BIT(n) (1ull << (n))

static uint64_t ggtt(enum gtt_intel_ggtt_format f, uint64_t addr, uint32_t flags)
{
	uint64_t pte = 0;

	assert_int_equal(gtt_intel_ggtt_encode(f, addr, flags, &pte), 0);
	return pte;
}

static uint64_t ppgtt(enum gtt_intel_ppgtt_format f, unsigned int level,
		      uint64_t addr, uint32_t flags)
{
	uint64_t pte = 0;

	assert_int_equal(gtt_intel_ppgtt_encode(f, level, addr, flags, &pte), 0);
	return pte;
}

/* ---- one test per family ---- */

struct family_case {
	uint16_t id;
	enum gtt_intel_family family;
	const char *label;
	unsigned int ver;
	enum gtt_intel_ggtt_format ggtt;
	enum gtt_intel_ppgtt_format ppgtt;
	unsigned int ppgtt_bits;
	bool llc;
	bool risky;
};

static const struct family_case families[] = {
	{ 0x0102, GTT_INTEL_SNB, "SNB", 600, GTT_GGTT_SNB, GTT_PPGTT_NONE, 31, true, false },
	{ 0x0162, GTT_INTEL_IVB, "IVB", 700, GTT_GGTT_IVB, GTT_PPGTT_NONE, 31, true, false },
	{ 0x0412, GTT_INTEL_HSW, "HSW", 750, GTT_GGTT_HSW, GTT_PPGTT_NONE, 31, true, false },
	{ 0x0F31, GTT_INTEL_VLV, "VLV", 700, GTT_GGTT_VLV, GTT_PPGTT_NONE, 31, false, false },
	{ 0x1616, GTT_INTEL_BDW, "BDW", 800, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, true, false },
	{ 0x22B0, GTT_INTEL_CHV, "CHV", 800, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 32, false, false },
	{ 0x1912, GTT_INTEL_SKL, "SKL", 900, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, true, false },
	{ 0x5912, GTT_INTEL_SKL, "KBL", 900, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, true, false },
	{ 0x3E92, GTT_INTEL_SKL, "CFL", 900, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, true, false },
	{ 0x5A84, GTT_INTEL_BXT, "BXT", 900, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, false, false },
	{ 0x3185, GTT_INTEL_BXT, "GLK", 900, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, false, false },
	{ 0x8A52, GTT_INTEL_ICL, "ICL", 1100, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 48, true, false },
	{ 0x4571, GTT_INTEL_EHL, "EHL", 1100, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 36, true, false },
	{ 0x4E71, GTT_INTEL_EHL, "JSL", 1100, GTT_GGTT_GEN8, GTT_PPGTT_GEN8, 36, true, false },
	{ 0x9A49, GTT_INTEL_TGL, "TGL", 1200, GTT_GGTT_GEN12, GTT_PPGTT_GEN12, 48, true, false },
	{ 0x4C8A, GTT_INTEL_RKL, "RKL", 1200, GTT_GGTT_GEN12, GTT_PPGTT_GEN12, 48, true, false },
	{ 0x4680, GTT_INTEL_ADL, "ADL-S", 1200, GTT_GGTT_GEN12, GTT_PPGTT_GEN12, 48, true, false },
	{ 0xA780, GTT_INTEL_ADL, "RPL-S", 1200, GTT_GGTT_GEN12, GTT_PPGTT_GEN12, 48, true, false },
	{ 0x4905, GTT_INTEL_DG1, "DG1", 1210, GTT_GGTT_GEN12, GTT_PPGTT_GEN12, 47, false, false },
	{ 0x5690, GTT_INTEL_DG2, "DG2", 1255, GTT_GGTT_GEN12, GTT_PPGTT_XEHP, 48, false, false },
	{ 0x7D55, GTT_INTEL_MTL, "MTL", 1270, GTT_GGTT_MTL, GTT_PPGTT_MTL, 48, false, true },
	{ 0x7D51, GTT_INTEL_ARL, "ARL", 1270, GTT_GGTT_MTL, GTT_PPGTT_MTL, 48, false, true },
	{ 0x6420, GTT_INTEL_LNL, "LNL", 2004, GTT_GGTT_MTL, GTT_PPGTT_XE2, 48, false, true },
	{ 0xE202, GTT_INTEL_BMG, "BMG", 2001, GTT_GGTT_MTL, GTT_PPGTT_XE2, 48, false, true },
};

static void check_family(const struct family_case *c)
{
	const struct gtt_intel_platform *p;
	const char *label = NULL;

	p = gtt_intel_lookup(c->id, &label);
	assert_non_null(p);
	assert_int_equal(p->family, c->family);
	assert_string_equal(label, c->label);
	assert_ptr_equal(gtt_intel_platform(c->family), p);
	assert_int_equal(p->graphics_ver, c->ver);
	assert_int_equal(p->ggtt_format, c->ggtt);
	assert_int_equal(p->ggtt_pte_size, c->ver < 800 ? 4 : 8);
	assert_int_equal(p->ppgtt_format, c->ppgtt);
	assert_int_equal(p->ppgtt_bits, c->ppgtt_bits);
	/* xe builds 5 levels on Xe2 (xe_pci.c: XE2_GFX_FEATURES, vm_max_level = 4);
	 * gen6/7: a directory in the GGTT over 2 GiB (i915_pci.c ppgtt_size = 31) */
	assert_int_equal(p->ppgtt_levels, c->ppgtt == GTT_PPGTT_NONE ? 2 : c->ppgtt_bits <= 32 ? 3 :
			 c->ppgtt == GTT_PPGTT_XE2 ? 5 : 4);
	assert_int_equal(p->has_llc, c->llc);
	assert_int_equal(p->cpu_ggtt_write_risky, c->risky);
	assert_false(p->ggtt_color_guard);	/* never on gen6+ (facts §3) */
	assert_true(p->page_sizes & GTT_INTEL_PAGE_4K);
	/* 64K from gen9, 2M from gen11 (facts §2.2) */
	assert_int_equal(!!(p->page_sizes & GTT_INTEL_PAGE_64K), c->ver >= 900);
	assert_int_equal(!!(p->page_sizes & GTT_INTEL_PAGE_2M), c->ver >= 1100);
	/* RO PPGTT from BDW, disabled by i915 on gen11/12 */
	assert_int_equal(p->ppgtt_read_only, c->ver >= 800 && c->ver < 1100);
}

#define FAMILY_TEST(name, idx) \
	static void test_family_##name(void **state) \
	{ (void)state; check_family(&families[idx]); }
FAMILY_TEST(snb, 0) FAMILY_TEST(ivb, 1) FAMILY_TEST(hsw, 2) FAMILY_TEST(vlv, 3)
FAMILY_TEST(bdw, 4) FAMILY_TEST(chv, 5) FAMILY_TEST(skl, 6) FAMILY_TEST(kbl, 7)
FAMILY_TEST(cfl, 8) FAMILY_TEST(bxt, 9) FAMILY_TEST(glk, 10) FAMILY_TEST(icl, 11)
FAMILY_TEST(ehl, 12) FAMILY_TEST(jsl, 13) FAMILY_TEST(tgl, 14) FAMILY_TEST(rkl, 15)
FAMILY_TEST(adl, 16) FAMILY_TEST(rpl, 17) FAMILY_TEST(dg1, 18) FAMILY_TEST(dg2, 19)
FAMILY_TEST(mtl, 20) FAMILY_TEST(arl, 21) FAMILY_TEST(lnl, 22) FAMILY_TEST(bmg, 23)

static void test_unknown_ids(void **state)
{
	const char *label = NULL;

	(void)state;
	assert_null(gtt_intel_lookup(0x0000, &label));
	assert_string_equal(label, "unknown");
	assert_null(gtt_intel_lookup(0xFFFF, NULL));
	assert_null(gtt_intel_lookup(0x0042, NULL));	/* Ironlake: not described */
	assert_null(gtt_intel_platform(GTT_INTEL_UNKNOWN));
	assert_null(gtt_intel_platform(GTT_INTEL_FAMILY_COUNT));
	for (int f = GTT_INTEL_SNB; f < GTT_INTEL_FAMILY_COUNT; f++)
		assert_int_equal(gtt_intel_platform(f)->family, f);
}

/* ---- GGC decoding (facts §1.2) ---- */

static void ggc(enum gtt_intel_family f, uint16_t v, uint64_t gsm, uint64_t ggtt)
{
	uint64_t g = 0, t = 0;

	assert_int_equal(gtt_intel_ggtt_size(gtt_intel_platform(f), v, &g, &t), 0);
	assert_int_equal(g, gsm);
	assert_int_equal(t, ggtt);
}

static void test_ggc_decoding(void **state)
{
	const uint64_t M = 1 << 20, G = 1ull << 30;
	uint64_t g, t;

	(void)state;
	ggc(GTT_INTEL_SNB, 0x0100, 1 * M, 1 * G);	/* 4-byte entries */
	ggc(GTT_INTEL_IVB, 0x0200, 2 * M, 2 * G);
	ggc(GTT_INTEL_BDW, 0x0040, 2 * M, 1 * G);	/* 8-byte entries */
	ggc(GTT_INTEL_BDW, 0x0080, 4 * M, 2 * G);
	ggc(GTT_INTEL_SKL, 0x00c0, 8 * M, 4 * G);
	ggc(GTT_INTEL_TGL, 0x30c0, 8 * M, 4 * G);	/* GMS bits ignored */
	ggc(GTT_INTEL_CHV, 0x0100, 2 * M, 1 * G);	/* CHV: bits 9:8, shifted */
	ggc(GTT_INTEL_CHV, 0x0300, 8 * M, 4 * G);
	ggc(GTT_INTEL_MTL, 0x00c0, 8 * M, 4 * G);
	ggc(GTT_INTEL_LNL, 0x0000, 8 * M, 4 * G);	/* xe does not read GGC */
	assert_int_equal(gtt_intel_ggtt_size(gtt_intel_platform(GTT_INTEL_MTL), 0x0080, &g, &t), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_size(gtt_intel_platform(GTT_INTEL_TGL), 0x0000, &g, &t), -ENODEV);
	assert_int_equal(gtt_intel_ggtt_size(gtt_intel_platform(GTT_INTEL_SNB), 0x0000, &g, &t), -ENODEV);
	assert_int_equal(gtt_intel_ggtt_size(NULL, 0x00c0, &g, &t), -EINVAL);
	assert_int_equal(gtt_intel_platform(GTT_INTEL_HSW)->ggtt_bar_offset, 2 * M);
	assert_int_equal(gtt_intel_platform(GTT_INTEL_TGL)->ggtt_bar_offset, 8 * M);
}

/* ---- golden vectors (facts §1.3 and §2.2) ---- */

static void test_ggtt_gen6_gen7(void **state)
{
	const uint64_t a = 0x1234567000ull;	/* bits 39:32 = 0x12 */
	const uint64_t h = 0x7f00001000ull;	/* bits 38:32 = 0x7f */

	(void)state;
	/* SNB: addr 39:32 -> 11:4, bits 2:1 01b uncached / 10b LLC, bit 0 valid */
	assert_int_equal(ggtt(GTT_GGTT_SNB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_NONE)), 0x34567123);
	assert_int_equal(ggtt(GTT_GGTT_SNB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x34567125);
	assert_int_equal(ggtt(GTT_GGTT_SNB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_L3_LLC)), 0x34567125);
	/* IVB: 11b = L3 + LLC */
	assert_int_equal(ggtt(GTT_GGTT_IVB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_L3_LLC)), 0x34567127);
	/* VLV: bit 1 writeable, bit 2 snooped */
	assert_int_equal(ggtt(GTT_GGTT_VLV, a, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x34567127);
	assert_int_equal(ggtt(GTT_GGTT_VLV, a, GTT_PTE_READ_ONLY), 0x34567121);
	/* HSW: addr 38:32 -> 10:4; WB LLC age3 = control 0x2 at bits 3:1 */
	assert_int_equal(ggtt(GTT_GGTT_HSW, h, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x17f5);
	assert_int_equal(ggtt(GTT_GGTT_HSW, h, 0), 0x17f1);
	/* HSW eDRAM: WT = control 0x7, WB = control 0x8 (bit 11) */
	assert_int_equal(ggtt(GTT_GGTT_HSW_EDRAM, h, GTT_PTE_PAT(GTT_INTEL_CACHE_WT)), 0x17ff);
	assert_int_equal(ggtt(GTT_GGTT_HSW_EDRAM, h, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x1ff1);

	uint64_t pte;

	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_SNB, BIT(40), 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_HSW, BIT(39), 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_SNB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_WT), &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_IVB, a, GTT_PTE_READ_ONLY, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_SNB, a + 8, 0, &pte), -EINVAL);

	struct gtt_intel_entry e;

	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_SNB, 0x34567125, &e), 0);
	assert_true(e.present);
	assert_int_equal(e.addr, a);
	assert_int_equal(e.flags, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC));
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_HSW, 0x17f5, &e), 0);
	assert_int_equal(e.addr, h);
	/* eDRAM write-back: bit 11 is control bit 3, not address bit 39 */
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_HSW_EDRAM, 0x1ff1, &e), 0);
	assert_int_equal(e.addr, h);
	assert_int_equal(e.flags, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC));
	/* bit 3 is undefined on SNB; a 64-bit value is not a gen6 entry */
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_SNB, 0x3456712d, &e), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_SNB, BIT(32) | 1, &e), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_HSW, 0x17f9, &e), -EINVAL); /* control 4 */
}

static void test_ggtt_gen8_plus(void **state)
{
	uint64_t pte;
	struct gtt_intel_entry e;

	(void)state;
	/* gen8: present bit 0, address 38:12, nothing else */
	assert_int_equal(ggtt(GTT_GGTT_GEN8, 0x7ffffff000ull, 0), 0x7ffffff001ull);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_GEN8, BIT(39), 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_GEN8, 0x1000, GTT_PTE_PAT(1), &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_GEN8, 0x1000, GTT_PTE_LOCAL_MEM, &pte), -EINVAL);
	/* gen12: LM bit 1, address 45:12 */
	assert_int_equal(ggtt(GTT_GGTT_GEN12, 0x3ffffffff000ull, GTT_PTE_LOCAL_MEM), 0x3ffffffff003ull);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_GEN12, BIT(46), 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_GEN12, 0x1000, GTT_PTE_PAT(1), &pte), -EINVAL);
	/* MTL: PAT0 bit 52, PAT1 bit 53, index <= 3 */
	assert_int_equal(ggtt(GTT_GGTT_MTL, 0x1000, GTT_PTE_PAT(3)), BIT(53) | BIT(52) | 0x1001);
	assert_int_equal(ggtt(GTT_GGTT_MTL, 0x1000, GTT_PTE_PAT(2)), BIT(53) | 0x1001);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_MTL, 0x1000, GTT_PTE_PAT(4), &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_encode(GTT_GGTT_MTL, 0x1000, GTT_PTE_READ_ONLY, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_MTL, BIT(52) | 0x2003, &e), 0);
	assert_int_equal(e.addr, 0x2000);
	assert_int_equal(e.flags, GTT_PTE_PAT(1) | GTT_PTE_LOCAL_MEM);
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_GEN12, BIT(52) | 1, &e), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_decode(GTT_GGTT_GEN8, BIT(1) | 1, &e), -EINVAL);
}

static void test_ppgtt_golden(void **state)
{
	uint64_t pte;

	(void)state;
	/* gen8 PTE: RW bit 1; PPAT index bits PWT 3 / PCD 4 / PAT 7 */
	assert_int_equal(ppgtt(GTT_PPGTT_GEN8, 0, 0x1000, GTT_PTE_PAT(4)), 0x1083);
	assert_int_equal(ppgtt(GTT_PPGTT_GEN8, 0, 0x1000, GTT_PTE_PAT(3)), 0x101b);
	assert_int_equal(ppgtt(GTT_PPGTT_GEN8, 0, 0x1000, GTT_PTE_READ_ONLY), 0x1001);
	/* gen12: LM bit 11 */
	assert_int_equal(ppgtt(GTT_PPGTT_GEN12, 0, 0x1000, GTT_PTE_LOCAL_MEM), 0x1803);
	/* XeHP: PS64 bit 8; MTL: PAT3 bit 62; Xe2: PAT4 bit 61 */
	assert_int_equal(ppgtt(GTT_PPGTT_XEHP, 0, 0x1000, GTT_INTEL_PS64), 0x1103);
	assert_int_equal(ppgtt(GTT_PPGTT_MTL, 0, 0x1000, GTT_PTE_PAT(8)), BIT(62) | 0x1003);
	assert_int_equal(ppgtt(GTT_PPGTT_XE2, 0, 0x1000, GTT_PTE_PAT(16)), BIT(61) | 0x1003);
	assert_int_equal(ppgtt(GTT_PPGTT_XE2, 0, 0x1000, GTT_PTE_PAT(31)),
			 BIT(62) | BIT(61) | 0x1000 | 0x80 | 0x18 | 3);
	/* huge leaves: PS bit 7, PAT2 moves to bit 12 */
	assert_int_equal(ppgtt(GTT_PPGTT_GEN12, 1, 0x200000, GTT_INTEL_HUGE | GTT_PTE_PAT(4)), 0x201083);
	assert_int_equal(ppgtt(GTT_PPGTT_GEN12, 2, 0x40000000, GTT_INTEL_HUGE), 0x40000083);
	/* table pointers: RW always; 64K table: IPS bit 11 (gen8/12), compact bit 6 (XeHP+) */
	assert_int_equal(ppgtt(GTT_PPGTT_GEN8, 1, 0x5000, 0), 0x5003);
	assert_int_equal(ppgtt(GTT_PPGTT_GEN12, 1, 0x5000, GTT_INTEL_PT_64K), 0x5803);
	assert_int_equal(ppgtt(GTT_PPGTT_XEHP, 1, 0x5000, GTT_INTEL_PT_64K), 0x5043);
	assert_int_equal(ppgtt(GTT_PPGTT_GEN8, 3, 0x5000, GTT_PTE_PAT(3)), 0x501b);
	/* Xe2's level-4 entry (xe: pde_encode_bo of the root's child, like any PDE) */
	assert_int_equal(ppgtt(GTT_PPGTT_XE2, 4, 0x5000, 0), 0x5003);
	assert_int_equal(ppgtt(GTT_PPGTT_XE2, 4, 0x3fffffff000ull, GTT_PTE_PAT(3)),
			 0x3fffffff01bull);
	assert_int_equal(ppgtt(GTT_PPGTT_XE2, 3, 0x5000, GTT_PTE_PAT(2)), 0x5013);

	/* what the formats cannot say */
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 0, 0x1000, GTT_INTEL_HUGE, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 3, 0x1000, GTT_INTEL_HUGE, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN12, 1, 0x1000, GTT_INTEL_HUGE, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN12, 2, 0x200000, GTT_INTEL_HUGE, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN12, 0, 0x1000, GTT_INTEL_PS64, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN12, 2, 0x1000, GTT_INTEL_PT_64K, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 0, 0x1000, GTT_PTE_LOCAL_MEM, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 1, 0x1000, GTT_PTE_READ_ONLY, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN12, 0, 0x1000, GTT_PTE_PAT(8), &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_MTL, 0, BIT(46), 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 0, BIT(39), 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_NONE, 0, 0x1000, 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 4, 0x1000, 0, &pte), -EINVAL);
	/* Level 4 exists on Xe2 only, and only as a table pointer. */
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_MTL, 4, 0x1000, 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_XEHP, 4, 0x1000, 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_XE2, 5, 0x1000, 0, &pte), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_XE2, 4, 0x40000000, GTT_INTEL_HUGE, &pte),
			 -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_XE2, 4, 0x1000, GTT_INTEL_PT_64K, &pte),
			 -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_XE2, 4, 0x1000, GTT_PTE_PAT(4), &pte),
			 -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_XE2, 4, 0x1000, GTT_PTE_LOCAL_MEM, &pte),
			 -EINVAL);
	{
		struct gtt_intel_entry e;

		assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_XE2, 4, 0x501b, &e), 0);
		assert_true(e.present);
		assert_int_equal(e.addr, 0x5000);
		assert_int_equal(e.flags, GTT_PTE_PAT(3));
		/* bit 7 is no PS bit up there */
		assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_XE2, 4, 0x5083, &e), 0);
		assert_false(e.flags & GTT_INTEL_HUGE);
		assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_MTL, 4, 0x5003, &e), -EINVAL);
		assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_XE2, 5, 0x5003, &e), -EINVAL);
	}
}

/* ---- random round trips: encode(decode(e)) == e, address preserved ---- */

static void roundtrip_ggtt(enum gtt_intel_ggtt_format f, unsigned int bits,
			   unsigned int max_pat, uint32_t extra, uint64_t *rng)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t addr = (rng_next(rng) & ((1ull << bits) - 1)) & ~0xfffull;
		uint32_t flags = GTT_PTE_PAT(rng_below(rng, max_pat + 1)) |
				 (rng_below(rng, 2) ? extra : 0);
		struct gtt_intel_entry e;
		uint64_t pte, again;

		if (gtt_intel_ggtt_encode(f, addr, flags, &pte))
			continue;	/* e.g. WT on SNB: rejected, tested above */
		assert_int_equal(gtt_intel_ggtt_decode(f, pte, &e), 0);
		assert_true(e.present);
		assert_int_equal(e.addr, addr);
		assert_int_equal(gtt_intel_ggtt_encode(f, e.addr, e.flags, &again), 0);
		assert_int_equal(again, pte);
	}
}

static void roundtrip_ppgtt(enum gtt_intel_ppgtt_format f, unsigned int bits,
			    unsigned int max_pat, unsigned int levels, uint64_t *rng)
{
	for (int i = 0; i < 100000; i++) {
		unsigned int level = (unsigned int)rng_below(rng, levels);
		uint32_t flags = GTT_PTE_PAT(rng_below(rng, max_pat + 1));
		uint64_t addr, pte, again;
		struct gtt_intel_entry e;

		if (rng_below(rng, 2))
			flags |= GTT_PTE_READ_ONLY;
		if (rng_below(rng, 2))
			flags |= GTT_PTE_LOCAL_MEM;
		if (rng_below(rng, 3) == 0)
			flags |= GTT_INTEL_HUGE;
		if (rng_below(rng, 3) == 0)
			flags |= level ? GTT_INTEL_PT_64K : GTT_INTEL_PS64;
		addr = (rng_next(rng) & ((1ull << bits) - 1)) & ~0xfffull;
		if (flags & GTT_INTEL_HUGE)
			addr &= ~((level == 2 ? 1ull << 30 : 1ull << 21) - 1);
		if (gtt_intel_ppgtt_encode(f, level, addr, flags, &pte))
			continue;
		assert_int_equal(gtt_intel_ppgtt_decode(f, level, pte, &e), 0);
		assert_true(e.present);
		assert_int_equal(e.addr, addr);
		assert_int_equal(e.flags, flags);
		assert_int_equal(gtt_intel_ppgtt_encode(f, level, e.addr, e.flags, &again), 0);
		assert_int_equal(again, pte);
	}
}

static void test_roundtrips(void **state)
{
	uint64_t rng = 2024;

	(void)state;
	roundtrip_ggtt(GTT_GGTT_SNB, 40, 3, 0, &rng);
	roundtrip_ggtt(GTT_GGTT_IVB, 40, 3, 0, &rng);
	roundtrip_ggtt(GTT_GGTT_VLV, 40, 1, GTT_PTE_READ_ONLY, &rng);
	roundtrip_ggtt(GTT_GGTT_HSW, 39, 1, 0, &rng);
	roundtrip_ggtt(GTT_GGTT_HSW_EDRAM, 39, 3, 0, &rng);
	roundtrip_ggtt(GTT_GGTT_GEN8, 39, 0, 0, &rng);
	roundtrip_ggtt(GTT_GGTT_GEN12, 46, 0, GTT_PTE_LOCAL_MEM, &rng);
	roundtrip_ggtt(GTT_GGTT_MTL, 46, 3, GTT_PTE_LOCAL_MEM, &rng);
	roundtrip_ppgtt(GTT_PPGTT_GEN8, 39, 7, 4, &rng);
	roundtrip_ppgtt(GTT_PPGTT_GEN12, 39, 7, 4, &rng);
	roundtrip_ppgtt(GTT_PPGTT_XEHP, 46, 7, 4, &rng);
	roundtrip_ppgtt(GTT_PPGTT_MTL, 46, 15, 4, &rng);
	roundtrip_ppgtt(GTT_PPGTT_XE2, 46, 31, 5, &rng);
}

/* GGTT TLB invalidation per family, without and with GuC (facts §1.5). */
static void test_ggtt_invalidation(void **state)
{
	static const struct {
		enum gtt_intel_family f;
		uint32_t plain;		/* 0: no write without GuC */
		uint32_t guc;		/* the register GuC adds (the last one written) */
	} want[] = {
		{ GTT_INTEL_SNB, 0x101008, 0 }, { GTT_INTEL_IVB, 0x101008, 0 },
		{ GTT_INTEL_HSW, 0x101008, 0 }, { GTT_INTEL_VLV, 0x101008, 0 },
		{ GTT_INTEL_BDW, 0x101008, 0 }, { GTT_INTEL_CHV, 0x101008, 0 },
		{ GTT_INTEL_SKL, 0x101008, 0x4274 }, { GTT_INTEL_BXT, 0, 0x4274 },
		{ GTT_INTEL_ICL, 0, 0x4274 }, { GTT_INTEL_EHL, 0, 0x4274 },
		{ GTT_INTEL_TGL, 0, 0xcee8 }, { GTT_INTEL_RKL, 0, 0xcee8 },
		{ GTT_INTEL_ADL, 0, 0xcee8 }, { GTT_INTEL_DG1, 0, 0xcee8 },
		{ GTT_INTEL_DG2, 0, 0xcee8 }, { GTT_INTEL_MTL, 0, 0xcee8 },
		{ GTT_INTEL_ARL, 0, 0xcee8 }, { GTT_INTEL_LNL, 0, 0xcf7c },
		{ GTT_INTEL_BMG, 0, 0xcf7c },
	};
	struct gtt_intel_reg_write w[GTT_INTEL_MAX_INVAL_WRITES];

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct gtt_intel_platform *p = gtt_intel_platform(want[i].f);
		int n = gtt_intel_ggtt_invalidation(p, false, w);

		assert_int_equal(n, want[i].plain ? 1 : 0);
		if (n) {
			assert_int_equal(w[0].reg, want[i].plain);
			assert_int_equal(w[0].value, 1);
			/* gen6/7 read the register back; gen8+ do not. */
			assert_int_equal(w[0].readback, p->graphics_ver < 800);
		}
		n = gtt_intel_ggtt_invalidation(p, true, w);
		assert_true(n >= 0 && n <= GTT_INTEL_MAX_INVAL_WRITES);
		if (!want[i].guc) {
			assert_int_equal(n, want[i].plain ? 1 : 0);
			continue;
		}
		assert_int_equal(w[n - 1].reg, want[i].guc);
		assert_int_equal(w[n - 1].value, 1);
		if (want[i].guc == 0xcf7c) {	/* DESC1 (bit 6) goes first */
			assert_int_equal(w[n - 2].reg, 0xcf80);
			assert_int_equal(w[n - 2].value, 1u << 6);
		}
	}
	assert_int_equal(gtt_intel_ggtt_invalidation(NULL, false, w), -EINVAL);
	assert_int_equal(gtt_intel_ggtt_invalidation(gtt_intel_platform(GTT_INTEL_TGL), false, NULL),
			 -EINVAL);
}

/*
 * Issue #9 item 24: the kernel's INTEL_RPLU_IDS (bound to the ADL-P
 * descriptors in i915_pci.c and xe_pci.c) were dropped by the generator.
 */
static void test_rplu_ids_are_adl_p(void **state)
{
	static const uint16_t rplu[] = { 0xA721, 0xA7A1, 0xA7A9, 0xA7AC, 0xA7AD };
	const struct gtt_intel_platform *adl_p;
	const char *label = NULL;
	char name[8];

	(void)state;
	adl_p = gtt_intel_lookup(0x46A6, &label);		/* an ADL-P ID */
	assert_non_null(adl_p);
	assert_string_equal(label, "ADL-P");
	for (size_t i = 0; i < sizeof(rplu) / sizeof(rplu[0]); i++) {
		label = NULL;
		assert_ptr_equal(gtt_intel_lookup(rplu[i], &label), adl_p);
		assert_string_equal(label, "RPL-U");
		snprintf(name, sizeof(name), "0x%04X", rplu[i]);
		assert_ptr_equal(gtt_intel_find(name), adl_p);
	}
	assert_int_equal(adl_p->family, GTT_INTEL_ADL);
}

/*
 * Issue #9 item 26: the exact GGTT invalidation writes, one test per
 * platform class, checked against i915 (gt/intel_ggtt.c
 * gen6_ggtt_invalidate, gen8_ggtt_invalidate, guc_ggtt_invalidate;
 * gt/uc/intel_guc_reg.h) and xe (xe_ggtt.c, xe_guc_tlb_inval.c /
 * xe_gt_tlb_invalidation.c; regs/xe_guc_regs.h).
 */
struct inval_want {
	int n;
	struct gtt_intel_reg_write w[GTT_INTEL_MAX_INVAL_WRITES];
};

static void check_inval(enum gtt_intel_family f, bool guc, struct inval_want want)
{
	struct gtt_intel_reg_write w[GTT_INTEL_MAX_INVAL_WRITES];
	const struct gtt_intel_platform *p = gtt_intel_platform(f);

	for (int i = 0; i < GTT_INTEL_MAX_INVAL_WRITES; i++)
		w[i] = (struct gtt_intel_reg_write){ 0xdead, 0xdead, true };
	assert_int_equal(gtt_intel_ggtt_invalidation(p, guc, w), want.n);
	for (int i = 0; i < want.n; i++) {
		assert_int_equal(w[i].reg, want.w[i].reg);
		assert_int_equal(w[i].value, want.w[i].value);
		assert_int_equal(w[i].readback, want.w[i].readback);
	}
}

#define FLSH(rb)	{ 0x101008, 1, rb }
#define GTCR		{ 0x4274, 1, false }
#define INV_CR		{ 0xcee8, 1, false }
#define DESC1		{ 0xcf80, 1u << 6, false }
#define DESC0		{ 0xcf7c, 1, false }

/* gen6/7: GFX_FLSH_CNTL and a posting read of it, GuC or not. */
static void test_inval_gen6_gen7(void **state)
{
	(void)state;
	for (enum gtt_intel_family f = GTT_INTEL_SNB; f <= GTT_INTEL_VLV; f++) {
		check_inval(f, false, (struct inval_want){ 1, { FLSH(true) } });
		check_inval(f, true, (struct inval_want){ 1, { FLSH(true) } });
	}
}

/* gen8-10 with a WC GSM (not BXT/GLK): GFX_FLSH_CNTL; gen9 GuC adds GTCR. */
static void test_inval_gen8_gen10(void **state)
{
	(void)state;
	check_inval(GTT_INTEL_BDW, false, (struct inval_want){ 1, { FLSH(false) } });
	check_inval(GTT_INTEL_CHV, false, (struct inval_want){ 1, { FLSH(false) } });
	check_inval(GTT_INTEL_BDW, true, (struct inval_want){ 1, { FLSH(false) } });
	check_inval(GTT_INTEL_SKL, false, (struct inval_want){ 1, { FLSH(false) } });
	check_inval(GTT_INTEL_SKL, true, (struct inval_want){ 2, { FLSH(false), GTCR } });
}

/* BXT/GLK and gen11 (UC GSM): nothing; with GuC, GEN8_GTCR. */
static void test_inval_gen9lp_gen11(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		enum gtt_intel_family f = (enum gtt_intel_family[]){
			GTT_INTEL_BXT, GTT_INTEL_ICL, GTT_INTEL_EHL }[i];

		check_inval(f, false, (struct inval_want){ 0 });
		check_inval(f, true, (struct inval_want){ 1, { GTCR } });
	}
}

/* gen12 up to 12.55: with GuC, GEN12_GUC_TLB_INV_CR. */
static void test_inval_gen12(void **state)
{
	(void)state;
	for (size_t i = 0; i < 5; i++) {
		enum gtt_intel_family f = (enum gtt_intel_family[]){
			GTT_INTEL_TGL, GTT_INTEL_RKL, GTT_INTEL_ADL, GTT_INTEL_DG1,
			GTT_INTEL_DG2 }[i];

		check_inval(f, false, (struct inval_want){ 0 });
		check_inval(f, true, (struct inval_want){ 1, { INV_CR } });
	}
}

/*
 * Graphics 12.70 (MTL, ARL): the same GUC_TLB_INV_CR as gen12.  Mainline
 * i915 otherwise asks the GuC over CT (has_guc_tlb_invalidation); its MMIO
 * fallback and xe's (every graphics version below 20 but PVC) is 0xCEE8.
 */
static void test_inval_mtl_arl(void **state)
{
	(void)state;
	check_inval(GTT_INTEL_MTL, false, (struct inval_want){ 0 });
	check_inval(GTT_INTEL_ARL, false, (struct inval_want){ 0 });
	check_inval(GTT_INTEL_MTL, true, (struct inval_want){ 1, { INV_CR } });
	check_inval(GTT_INTEL_ARL, true, (struct inval_want){ 1, { INV_CR } });
}

/* Xe2 (LNL, BMG): xe's MMIO fallback, DESC1 = bit 6 then DESC0 = 1. */
static void test_inval_xe2(void **state)
{
	(void)state;
	check_inval(GTT_INTEL_LNL, false, (struct inval_want){ 0 });
	check_inval(GTT_INTEL_BMG, false, (struct inval_want){ 0 });
	check_inval(GTT_INTEL_LNL, true, (struct inval_want){ 2, { DESC1, DESC0 } });
	check_inval(GTT_INTEL_BMG, true, (struct inval_want){ 2, { DESC1, DESC0 } });
}


/* Null entries (xe's XE_PTE_NULL, bit 9): gen12+ PPGTT leaves only. */
static void test_ppgtt_null_golden(void **state)
{
	const enum gtt_intel_ppgtt_format with[] = { GTT_PPGTT_GEN12, GTT_PPGTT_XEHP,
						     GTT_PPGTT_MTL, GTT_PPGTT_XE2 };
	struct gtt_intel_entry d;
	uint64_t e;

	(void)state;
	for (size_t f = 0; f < sizeof(with) / sizeof(with[0]); f++) {
		assert_int_equal(gtt_intel_ppgtt_encode(with[f], 0, 0, GTT_PTE_NULL, &e), 0);
		assert_int_equal(e, 0x203);		/* present, RW, null */
		assert_int_equal(gtt_intel_ppgtt_decode(with[f], 0, e, &d), 0);
		assert_true(d.present);
		assert_int_equal(d.flags, GTT_PTE_NULL);
		assert_int_equal(gtt_intel_ppgtt_encode(with[f], 1, 0, GTT_PTE_NULL | GTT_INTEL_HUGE, &e), 0);
		assert_int_equal(e, 0x283);		/* plus PS (bit 7) */
		assert_int_equal(gtt_intel_ppgtt_encode(with[f], 0, 0,
							GTT_PTE_NULL | GTT_PTE_READ_ONLY | GTT_PTE_PAT(3), &e), 0);
		assert_int_equal(e, 0x219);		/* present, PAT0/1 at 3/4, null; no RW */
		/* Not with an address, local memory, or in a table pointer. */
		assert_int_equal(gtt_intel_ppgtt_encode(with[f], 0, 0x1000, GTT_PTE_NULL, &e), -EINVAL);
		assert_int_equal(gtt_intel_ppgtt_encode(with[f], 0, 0, GTT_PTE_NULL | GTT_PTE_LOCAL_MEM, &e), -EINVAL);
		assert_int_equal(gtt_intel_ppgtt_encode(with[f], 1, 0, GTT_PTE_NULL, &e), -EINVAL);
	}
	if (gtt_intel_ppgtt_encode(GTT_PPGTT_XE2, 2, 0, GTT_PTE_NULL | GTT_INTEL_HUGE, &e) == 0)
		assert_int_equal(e, 0x283);
	/* gen8-11: no null bit; bit 9 decodes as nothing. */
	assert_int_equal(gtt_intel_ppgtt_encode(GTT_PPGTT_GEN8, 0, 0, GTT_PTE_NULL, &e), -EINVAL);
	assert_int_equal(gtt_intel_ppgtt_decode(GTT_PPGTT_GEN8, 0, 0x203, &d), 0);
	assert_false(d.flags & GTT_PTE_NULL);
	/* No GGTT format has one. */
	for (int f = GTT_GGTT_SNB; f <= GTT_GGTT_MTL; f++)
		assert_int_equal(gtt_intel_ggtt_encode(f, 0, GTT_PTE_NULL, &e), -EINVAL);
}

/*
 * gen6/7 PPGTT entries, derived by hand.  PTEs: the GGTT layout, because
 * i915 gives the gen6 PPGTT the GGTT's encoder (gt/gen6_ppgtt.c
 * gen6_ppgtt_create(): vm.pte_encode = ggtt->vm.pte_encode); the bits are
 * gt/intel_gtt.h GEN6_PTE_VALID (0), GEN6_PTE_UNCACHED (1 << 1),
 * GEN6_PTE_CACHE_LLC (2 << 1), GEN7_PTE_CACHE_L3_LLC (3 << 1),
 * BYT_PTE_WRITEABLE (1), BYT_PTE_SNOOPED_BY_CPU_CACHES (2),
 * HSW_CACHEABILITY_CONTROL (3 bits at 3:1, the 4th at 11),
 * GEN6_GTT_ADDR_ENCODE (addr 39:32 at 11:4), HSW_GTT_ADDR_ENCODE (38:32 at
 * 10:4), and facts sheet §1.3.  PDEs: GEN6_PDE_ADDR_ENCODE (=
 * GEN6_GTT_ADDR_ENCODE, on Haswell too) | GEN6_PDE_VALID (gen6_write_pde()).
 */
static void test_gen6_ppgtt_golden(void **state)
{
	const uint64_t a = 0xa587654000ull;	/* 39:32 = 0xa5 -> 0xa50 at 11:4 */
	const uint64_t h = 0x5a87654000ull;	/* 38:32 = 0x5a -> 0x5a0 at 10:4 */
	struct gtt_intel_entry d;
	uint64_t pde;

	(void)state;
	/* SNB: cache 01b uncached, 10b LLC at 2:1 */
	assert_int_equal(ggtt(GTT_GGTT_SNB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_NONE)), 0x87654a53);
	assert_int_equal(ggtt(GTT_GGTT_SNB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x87654a55);
	/* IVB: adds 11b L3 + LLC */
	assert_int_equal(ggtt(GTT_GGTT_IVB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_NONE)), 0x87654a53);
	assert_int_equal(ggtt(GTT_GGTT_IVB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x87654a55);
	assert_int_equal(ggtt(GTT_GGTT_IVB, a, GTT_PTE_PAT(GTT_INTEL_CACHE_L3_LLC)), 0x87654a57);
	/* VLV: bit 1 writeable, bit 2 snooped; the scratch PTE is read-only uncached */
	assert_int_equal(ggtt(GTT_GGTT_VLV, a, GTT_PTE_PAT(GTT_INTEL_CACHE_NONE)), 0x87654a53);
	assert_int_equal(ggtt(GTT_GGTT_VLV, a, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x87654a57);
	assert_int_equal(ggtt(GTT_GGTT_VLV, a, GTT_PTE_READ_ONLY), 0x87654a51);
	/* HSW: control 0 uncached, 0x2 WB LLC age 3 (bits 3:1 = 010b) */
	assert_int_equal(ggtt(GTT_GGTT_HSW, h, 0), 0x876545a1);
	assert_int_equal(ggtt(GTT_GGTT_HSW, h, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x876545a5);
	/* HSW eDRAM: WB eLLC control 0x8 (bit 11), WT control 0x7 (3:1 = 111b) */
	assert_int_equal(ggtt(GTT_GGTT_HSW_EDRAM, h, GTT_PTE_PAT(GTT_INTEL_CACHE_LLC)), 0x87654da1);
	assert_int_equal(ggtt(GTT_GGTT_HSW_EDRAM, h, GTT_PTE_PAT(GTT_INTEL_CACHE_WT)), 0x876545af);

	/* PDEs: page table at 0xa5_1234_5000 -> 0x12345000 | 0xa50 | valid */
	const enum gtt_intel_ggtt_format g6[] = { GTT_GGTT_SNB, GTT_GGTT_IVB, GTT_GGTT_VLV };

	for (size_t i = 0; i < sizeof(g6) / sizeof(g6[0]); i++) {
		assert_int_equal(gtt_intel_gen6_pde_encode(g6[i], 0xa512345000ull, &pde), 0);
		assert_int_equal(pde, 0x12345a51);
		assert_int_equal(gtt_intel_gen6_pde_encode(g6[i], BIT(39), &pde), 0);
		assert_int_equal(pde, 0x801);		/* bit 39 -> bit 11 */
		assert_int_equal(gtt_intel_gen6_pde_encode(g6[i], BIT(40), &pde), -EINVAL);
		assert_int_equal(gtt_intel_gen6_pde_decode(g6[i], 0x12345a51, &d), 0);
		assert_true(d.present);
		assert_int_equal(d.addr, 0xa512345000ull);
		assert_int_equal(d.flags, 0);
	}
	/* HSW: the same gen6 folding (0x5a -> 0x5a0), tables kept below 2^39 */
	assert_int_equal(gtt_intel_gen6_pde_encode(GTT_GGTT_HSW, 0x5a12345000ull, &pde), 0);
	assert_int_equal(pde, 0x123455a1);
	assert_int_equal(gtt_intel_gen6_pde_encode(GTT_GGTT_HSW_EDRAM, 0x5a12345000ull, &pde), 0);
	assert_int_equal(pde, 0x123455a1);
	assert_int_equal(gtt_intel_gen6_pde_encode(GTT_GGTT_HSW, BIT(39), &pde), -EINVAL);
	/* What a PDE cannot be or say. */
	assert_int_equal(gtt_intel_gen6_pde_encode(GTT_GGTT_SNB, 0x12345800, &pde), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_encode(GTT_GGTT_GEN8, 0x12345000, &pde), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_encode(GTT_GGTT_SNB, 0x12345000, NULL), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_decode(GTT_GGTT_SNB, 0x12345a53, &d), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_decode(GTT_GGTT_SNB, BIT(32) | 1, &d), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_decode(GTT_GGTT_GEN12, 1, &d), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_decode(GTT_GGTT_SNB, 1, NULL), -EINVAL);
	assert_int_equal(gtt_intel_gen6_pde_decode(GTT_GGTT_IVB, 0, &d), 0);
	assert_false(d.present);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_snb), cmocka_unit_test(test_family_ivb),
		cmocka_unit_test(test_family_hsw), cmocka_unit_test(test_family_vlv),
		cmocka_unit_test(test_family_bdw), cmocka_unit_test(test_family_chv),
		cmocka_unit_test(test_family_skl), cmocka_unit_test(test_family_kbl),
		cmocka_unit_test(test_family_cfl), cmocka_unit_test(test_family_bxt),
		cmocka_unit_test(test_family_glk), cmocka_unit_test(test_family_icl),
		cmocka_unit_test(test_family_ehl), cmocka_unit_test(test_family_jsl),
		cmocka_unit_test(test_family_tgl), cmocka_unit_test(test_family_rkl),
		cmocka_unit_test(test_family_adl), cmocka_unit_test(test_family_rpl),
		cmocka_unit_test(test_family_dg1), cmocka_unit_test(test_family_dg2),
		cmocka_unit_test(test_family_mtl), cmocka_unit_test(test_family_arl),
		cmocka_unit_test(test_family_lnl), cmocka_unit_test(test_family_bmg),
		cmocka_unit_test(test_unknown_ids),
		cmocka_unit_test(test_ggc_decoding),
		cmocka_unit_test(test_ggtt_gen6_gen7),
		cmocka_unit_test(test_ggtt_gen8_plus),
		cmocka_unit_test(test_ppgtt_golden),
		cmocka_unit_test(test_ppgtt_null_golden),
		cmocka_unit_test(test_gen6_ppgtt_golden),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_ggtt_invalidation),
		cmocka_unit_test(test_rplu_ids_are_adl_p),
		cmocka_unit_test(test_inval_gen6_gen7),
		cmocka_unit_test(test_inval_gen8_gen10),
		cmocka_unit_test(test_inval_gen9lp_gen11),
		cmocka_unit_test(test_inval_gen12),
		cmocka_unit_test(test_inval_mtl_arl),
		cmocka_unit_test(test_inval_xe2),
	};

	return cmocka_run_group_tests_name("intel_pte", tests, NULL, NULL);
}
