/* SPDX-License-Identifier: MIT */
/*
 * Intel GGTT and PPGTT entry encoders and decoders.  Bit positions are
 * those of shared/reference/intel-gtt-facts.md sections 1.3 and 2.2; the
 * golden vectors in tests/test_intel_pte.c check each row.
 */
#include <gtt/intel.h>

#include "intel_pt.h"
#include "base/util.h"

#define BIT(n) (1ull << (n))
#define ADDR_4K(bits) ((BIT(bits) - 1) & ~0xfffull)

static inline uint32_t pat_of(uint32_t flags)
{
	return (flags & GTT_PTE_PAT_MASK) >> GTT_PTE_PAT_SHIFT;
}

static int bad(const char *who, const char *why, uint64_t addr, uint32_t flags)
{
	return set_error(-EINVAL, "%s: %s (address 0x%llx, flags 0x%x)", who, why,
			 (unsigned long long)addr, flags);
}

/* ---- GGTT ---- */

static uint64_t unfold(uint64_t pte, uint64_t hi_mask)
{
	return (pte & 0xfffff000ull) | ((pte & hi_mask) << 28);
}

/* HSW cacheability control: bits 2:0 at PTE 3:1, bit 3 at PTE 11. */
static uint64_t hsw_control(unsigned int ctl)
{
	return ((uint64_t)(ctl & 7) << 1) | ((ctl & 8) ? BIT(11) : 0);
}

GTT_API int gtt_intel_ggtt_encode(enum gtt_intel_ggtt_format fmt,
				  uint64_t addr, uint32_t flags, uint64_t *pte)
{
	const char *who = "gtt_intel_ggtt_encode";
	uint32_t pat = pat_of(flags);
	bool ro = flags & GTT_PTE_READ_ONLY, lm = flags & GTT_PTE_LOCAL_MEM;
	uint64_t e;

	if (!pte)
		return bad(who, "pte is NULL", addr, flags);
	if (flags & GTT_PTE_NULL)
		return bad(who, "GGTT entries have no null form", addr, flags);
	if (addr & 0xfff)
		return bad(who, "address not 4 KiB aligned", addr, flags);
	switch (fmt) {
	case GTT_GGTT_SNB:
	case GTT_GGTT_IVB:
	case GTT_GGTT_VLV:
		if (addr >> 40)
			return bad(who, "address wider than 40 bits", addr, flags);
		if (lm || (ro && fmt != GTT_GGTT_VLV))
			return bad(who, "no local-memory or read-only bit", addr, flags);
		e = intel_ggtt_addr_field(fmt, addr) | 1;
		if (fmt == GTT_GGTT_VLV) {
			if (pat > GTT_INTEL_CACHE_WT)
				return bad(who, "unknown cache level", addr, flags);
			e |= (ro ? 0 : BIT(1)) | (pat != GTT_INTEL_CACHE_NONE ? BIT(2) : 0);
		} else if (pat == GTT_INTEL_CACHE_NONE) {
			e |= 1u << 1;			/* 01b: uncached */
		} else if (pat == GTT_INTEL_CACHE_LLC ||
			   (pat == GTT_INTEL_CACHE_L3_LLC && fmt == GTT_GGTT_SNB)) {
			e |= 2u << 1;			/* 10b: LLC */
		} else if (pat == GTT_INTEL_CACHE_L3_LLC) {
			e |= 3u << 1;			/* 11b: L3 + LLC (IVB) */
		} else {
			return bad(who, "cache level not expressible on this platform", addr, flags);
		}
		break;
	case GTT_GGTT_HSW:
	case GTT_GGTT_HSW_EDRAM:
		if (addr >> 39)
			return bad(who, "address wider than 39 bits", addr, flags);
		if (lm || ro)
			return bad(who, "no local-memory or read-only bit", addr, flags);
		if (pat > GTT_INTEL_CACHE_WT)
			return bad(who, "unknown cache level", addr, flags);
		e = intel_ggtt_addr_field(fmt, addr) | 1;
		if (pat == GTT_INTEL_CACHE_NONE)
			break;					/* control 0: uncached */
		if (fmt == GTT_GGTT_HSW)
			e |= hsw_control(0x2);			/* WB, LLC, age 3 */
		else
			e |= hsw_control(pat == GTT_INTEL_CACHE_WT ? 0x7 : 0x8);
		break;
	case GTT_GGTT_GEN8:
		if (addr >> 39)
			return bad(who, "address wider than 39 bits", addr, flags);
		if (lm || ro || pat)
			return bad(who, "gen8 GGTT entries have no LM, RO or PAT bits", addr, flags);
		e = addr | 1;
		break;
	case GTT_GGTT_GEN12:
	case GTT_GGTT_MTL:
		if (addr >> 46)
			return bad(who, "address wider than 46 bits", addr, flags);
		if (ro)
			return bad(who, "GGTT entries have no read-only bit", addr, flags);
		if (pat > (fmt == GTT_GGTT_MTL ? 3u : 0u))
			return bad(who, "PAT index not expressible in the GGTT", addr, flags);
		e = addr | 1 | (lm ? BIT(1) : 0);
		e |= (pat & 1 ? BIT(52) : 0) | (pat & 2 ? BIT(53) : 0);
		break;
	default:
		return bad(who, "unknown GGTT format", addr, flags);
	}
	*pte = e;
	return 0;
}

GTT_API int gtt_intel_ggtt_decode(enum gtt_intel_ggtt_format fmt, uint64_t pte,
				  struct gtt_intel_entry *out)
{
	const char *who = "gtt_intel_ggtt_decode";
	uint32_t flags = 0;
	uint64_t defined;

	if (!out)
		return bad(who, "out is NULL", 0, 0);
	*out = (struct gtt_intel_entry){ .present = pte & 1 };
	switch (fmt) {
	case GTT_GGTT_SNB:
	case GTT_GGTT_IVB:
	case GTT_GGTT_VLV:
		defined = 0xfffff000ull | 0xff0 | 0x7;
		out->addr = unfold(pte, 0xff0);
		if (fmt == GTT_GGTT_VLV) {
			flags |= pte & BIT(1) ? 0 : GTT_PTE_READ_ONLY;
			flags |= GTT_PTE_PAT(pte & BIT(2) ? GTT_INTEL_CACHE_LLC : GTT_INTEL_CACHE_NONE);
		} else {
			unsigned int c = (pte >> 1) & 3;

			flags |= GTT_PTE_PAT(c == 2 ? GTT_INTEL_CACHE_LLC :
					     c == 3 ? GTT_INTEL_CACHE_L3_LLC :
					     GTT_INTEL_CACHE_NONE);
		}
		break;
	case GTT_GGTT_HSW:
	case GTT_GGTT_HSW_EDRAM: {
		unsigned int ctl = (unsigned int)(((pte >> 1) & 7) | ((pte >> 8) & 8));

		defined = 0xffffffffull;
		out->addr = unfold(pte, 0x7f0);
		if (ctl == 0)
			flags |= GTT_PTE_PAT(GTT_INTEL_CACHE_NONE);
		else if (fmt == GTT_GGTT_HSW && ctl == 0x2)
			flags |= GTT_PTE_PAT(GTT_INTEL_CACHE_LLC);
		else if (fmt == GTT_GGTT_HSW_EDRAM && ctl == 0x7)
			flags |= GTT_PTE_PAT(GTT_INTEL_CACHE_WT);
		else if (fmt == GTT_GGTT_HSW_EDRAM && ctl == 0x8)
			flags |= GTT_PTE_PAT(GTT_INTEL_CACHE_LLC);
		else
			return bad(who, "cacheability control not produced by libgtt", 0, ctl);
		break;
	}
	case GTT_GGTT_GEN8:
		defined = ADDR_4K(39) | 1;
		out->addr = pte & ADDR_4K(39);
		break;
	case GTT_GGTT_GEN12:
	case GTT_GGTT_MTL:
		defined = ADDR_4K(46) | 3;
		if (fmt == GTT_GGTT_MTL)
			defined |= BIT(52) | BIT(53);
		out->addr = pte & ADDR_4K(46);
		flags |= pte & BIT(1) ? GTT_PTE_LOCAL_MEM : 0;
		flags |= GTT_PTE_PAT((pte & BIT(52) ? 1 : 0) | (pte & BIT(53) ? 2 : 0));
		break;
	default:
		return bad(who, "unknown GGTT format", 0, 0);
	}
	if (pte & ~defined)
		return set_error(-EINVAL, "%s: entry 0x%llx sets bits the format does not define",
				 who, (unsigned long long)pte);
	out->flags = flags;
	return 0;
}

/* ---- PPGTT ---- */

struct ppgtt_layout {
	unsigned int addr_bits;
	unsigned int max_pat;
	bool lm;		/* LM bit 11 in leaves */
	bool ps64;		/* PS64 hint bit 8 in PTEs */
	unsigned int pt64k_bit;	/* PDE bit saying "64 KiB page table" */
	unsigned int max_level;	/* 3, or 4 where the tree has 5 levels */
	bool null;		/* null bit 9 in leaves (xe's XE_PTE_NULL) */
};

static bool layout_of(enum gtt_intel_ppgtt_format fmt, struct ppgtt_layout *l)
{
	switch (fmt) {
	case GTT_PPGTT_GEN8:
		*l = (struct ppgtt_layout){ 39, 7, false, false, 11, 3, false };
		return true;
	case GTT_PPGTT_GEN12:
		*l = (struct ppgtt_layout){ 39, 7, true, false, 11, 3, true };
		return true;
	case GTT_PPGTT_XEHP:
		*l = (struct ppgtt_layout){ 46, 7, true, true, 6, 3, true };
		return true;
	case GTT_PPGTT_MTL:
		*l = (struct ppgtt_layout){ 46, 15, true, true, 6, 3, true };
		return true;
	case GTT_PPGTT_XE2:
		/* xe: 5 levels (xe_pci.c vm_max_level = 4) */
		*l = (struct ppgtt_layout){ 46, 31, true, true, 6, 4, true };
		return true;
	default:
		return false;
	}
}

/* PAT bit positions: 0, 1 at 3, 4; 2 at 7 in PTEs or 12 in huge leaves; 3 at 62; 4 at 61. */
static const unsigned int pat_bit_leaf[5] = { 3, 4, 7, 62, 61 };
static const unsigned int pat_bit_huge[5] = { 3, 4, 12, 62, 61 };

static uint64_t put_pat(uint32_t pat, const unsigned int *pos)
{
	uint64_t e = 0;

	for (unsigned int i = 0; i < 5; i++)
		if (pat & (1u << i))
			e |= BIT(pos[i]);
	return e;
}

static uint32_t get_pat(uint64_t e, const unsigned int *pos, unsigned int max)
{
	uint32_t pat = 0;

	for (unsigned int i = 0; i < 5 && (1u << i) <= max; i++)
		if (e & BIT(pos[i]))
			pat |= 1u << i;
	return pat;
}

GTT_API int gtt_intel_ppgtt_encode(enum gtt_intel_ppgtt_format fmt,
				   unsigned int level, uint64_t addr,
				   uint32_t flags, uint64_t *pte)
{
	const char *who = "gtt_intel_ppgtt_encode";
	const uint32_t known = GTT_PTE_READ_ONLY | GTT_PTE_LOCAL_MEM | GTT_PTE_NULL |
			       GTT_PTE_PAT_MASK | GTT_INTEL_HUGE |
			       GTT_INTEL_PT_64K | GTT_INTEL_PS64;
	bool huge = flags & GTT_INTEL_HUGE, ro = flags & GTT_PTE_READ_ONLY;
	bool lm = flags & GTT_PTE_LOCAL_MEM, null = flags & GTT_PTE_NULL;
	uint32_t pat = pat_of(flags);
	struct ppgtt_layout l;
	uint64_t align, e;

	if (!pte || !layout_of(fmt, &l) || level > l.max_level || (flags & ~known))
		return bad(who, "NULL pte, unknown format, level the format lacks or unknown flag",
			   addr, flags);
	if (huge && level != 1 && level != 2)
		return bad(who, "huge leaves exist only in PDEs and PDPEs", addr, flags);
	align = huge ? (level == 1 ? 1ull << 21 : 1ull << 30) : 4096;
	if (addr & (align - 1))
		return bad(who, "address not aligned for this entry", addr, flags);
	if (addr >> l.addr_bits)
		return bad(who, "address wider than the format's field", addr, flags);
	if (pat > l.max_pat)
		return bad(who, "PAT index not expressible in this format", addr, flags);
	if (lm && !l.lm)
		return bad(who, "no local-memory bit in this format", addr, flags);
	if ((flags & GTT_INTEL_PS64) && (level || !l.ps64))
		return bad(who, "PS64 only in XeHP+ PTEs", addr, flags);
	if (null && (!l.null || addr || lm || (level && !huge)))
		return bad(who, "null entries: gen12+ leaves, address 0, no local memory", addr, flags);

	e = addr | 1;
	if (level == 0 || huge) {
		e |= ro ? 0 : BIT(1);
		e |= put_pat(pat, huge ? pat_bit_huge : pat_bit_leaf);
		e |= lm ? BIT(11) : 0;
		e |= huge ? BIT(7) : 0;
		e |= (flags & GTT_INTEL_PS64) ? BIT(8) : 0;
		e |= null ? BIT(9) : 0;
		if (flags & GTT_INTEL_PT_64K)
			return bad(who, "64 KiB table mode is a PDE property", addr, flags);
	} else {
		/* Pointer to the next-level table. */
		if (ro || lm || pat > 3)
			return bad(who, "table pointers take PAT 0-3 and no RO/LM", addr, flags);
		e |= BIT(1) | put_pat(pat, pat_bit_leaf);
		if (flags & GTT_INTEL_PT_64K) {
			if (level != 1)
				return bad(who, "64 KiB table mode is a PDE property", addr, flags);
			e |= BIT(l.pt64k_bit);
		}
	}
	*pte = e;
	return 0;
}

GTT_API int gtt_intel_ppgtt_decode(enum gtt_intel_ppgtt_format fmt,
				   unsigned int level, uint64_t pte,
				   struct gtt_intel_entry *out)
{
	const char *who = "gtt_intel_ppgtt_decode";
	struct ppgtt_layout l;
	uint32_t flags = 0;

	if (!out || !layout_of(fmt, &l) || level > l.max_level)
		return bad(who, "NULL out, unknown format or level the format lacks", pte, 0);
	*out = (struct gtt_intel_entry){ .present = pte & 1 };
	if (level == 0 || ((level == 1 || level == 2) && (pte & BIT(7)))) {
		bool huge = level != 0;
		uint64_t align = !huge ? 4096 : level == 1 ? 1ull << 21 : 1ull << 30;

		out->addr = pte & (BIT(l.addr_bits) - 1) & ~(align - 1);
		flags |= pte & BIT(1) ? 0 : GTT_PTE_READ_ONLY;
		flags |= GTT_PTE_PAT(get_pat(pte, huge ? pat_bit_huge : pat_bit_leaf, l.max_pat));
		if (l.lm && (pte & BIT(11)))
			flags |= GTT_PTE_LOCAL_MEM;
		if (huge)
			flags |= GTT_INTEL_HUGE;
		if (!huge && l.ps64 && (pte & BIT(8)))
			flags |= GTT_INTEL_PS64;
		if (l.null && (pte & BIT(9)))
			flags |= GTT_PTE_NULL;
	} else {
		out->addr = pte & (BIT(l.addr_bits) - 1) & ~0xfffull;
		flags |= GTT_PTE_PAT(get_pat(pte, pat_bit_leaf, 3));
		if (level == 1 && (pte & BIT(l.pt64k_bit)))
			flags |= GTT_INTEL_PT_64K;
	}
	out->flags = flags;
	return 0;
}

/* ---- gen6/7 page-directory entries ---- */

static bool gen6_format(enum gtt_intel_ggtt_format fmt)
{
	return fmt == GTT_GGTT_SNB || fmt == GTT_GGTT_IVB || fmt == GTT_GGTT_VLV ||
	       fmt == GTT_GGTT_HSW || fmt == GTT_GGTT_HSW_EDRAM;
}

/*
 * i915 gt/intel_gtt.h: GEN6_PDE_ADDR_ENCODE(addr) is GEN6_GTT_ADDR_ENCODE,
 * addr | ((addr >> 28) & 0xff0) — bits 39:32 into 11:4 — on every gen6/7
 * platform (Haswell's PTEs use HSW_GTT_ADDR_ENCODE, its PDEs do not);
 * GEN6_PDE_VALID is bit 0; gen6_write_pde() ORs nothing else in.
 */
GTT_API int gtt_intel_gen6_pde_encode(enum gtt_intel_ggtt_format fmt, uint64_t pt_addr,
				      uint64_t *pde)
{
	const char *who = "gtt_intel_gen6_pde_encode";
	bool hsw = fmt == GTT_GGTT_HSW || fmt == GTT_GGTT_HSW_EDRAM;

	if (!pde || !gen6_format(fmt))
		return bad(who, "NULL pde, or not a gen6/7 format", pt_addr, 0);
	if (pt_addr & 0xfff)
		return bad(who, "page table not 4 KiB aligned", pt_addr, 0);
	if (pt_addr >> (hsw ? 39 : 40))
		return bad(who, hsw ? "page table above 2^39 (Haswell)" : "page table above 2^40",
			   pt_addr, 0);
	*pde = (pt_addr & 0xfffff000ull) | ((pt_addr >> 28) & 0xff0) | 1;
	return 0;
}

GTT_API int gtt_intel_gen6_pde_decode(enum gtt_intel_ggtt_format fmt, uint64_t pde,
				      struct gtt_intel_entry *out)
{
	const char *who = "gtt_intel_gen6_pde_decode";

	if (!out || !gen6_format(fmt))
		return bad(who, "NULL out, or not a gen6/7 format", pde, 0);
	if (pde & ~(0xfffff000ull | 0xff0 | 1))
		return set_error(-EINVAL, "%s: entry 0x%llx sets bits a PDE does not define",
				 who, (unsigned long long)pde);
	*out = (struct gtt_intel_entry){ .present = pde & 1, .addr = unfold(pde, 0xff0) };
	return 0;
}
