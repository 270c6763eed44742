/* SPDX-License-Identifier: MIT */
/*
 * Intel GGTT TLB invalidation: which MMIO registers to write, per platform
 * (facts sheet §1.5, checked against the kernel: i915 gt/intel_ggtt.c
 * gen6_ggtt_invalidate / gen8_ggtt_invalidate / guc_ggtt_invalidate and
 * gt/uc/intel_guc_reg.h; xe xe_ggtt.c and the GGTT case of
 * xe_guc_tlb_inval.c / xe_gt_tlb_invalidation.c, regs/xe_guc_regs.h).
 * The writes themselves are the backend's: the mock has no TLB, the VFIO
 * backend writes them into BAR0.
 */
#include <gtt/intel.h>

#include "base/util.h"

#define GFX_FLSH_CNTL		0x101008
#define GEN8_GTCR		0x4274
#define GUC_TLB_INV_CR		0xcee8
#define GUC_TLB_INV_DESC0	0xcf7c
#define GUC_TLB_INV_DESC1	0xcf80

GTT_API int gtt_intel_ggtt_invalidation(const struct gtt_intel_platform *p, bool guc,
					struct gtt_intel_reg_write *out)
{
	unsigned int ver, n = 0;

	if (!p || !out)
		return set_error(-EINVAL, "gtt_intel_ggtt_invalidation: platform or output missing");
	ver = p->graphics_ver;
	if (ver < 800)
		out[n++] = (struct gtt_intel_reg_write){ GFX_FLSH_CNTL, 1, true };
	else if (ver < 1100 && p->family != GTT_INTEL_BXT)
		out[n++] = (struct gtt_intel_reg_write){ GFX_FLSH_CNTL, 1, false };
	if (guc && ver >= 900 && ver < 1200) {
		out[n++] = (struct gtt_intel_reg_write){ GEN8_GTCR, 1, false };
	} else if (guc && ver >= 1200 && ver < 2000) {
		/* gen12 through 12.70 (MTL, ARL): i915's MMIO path, and xe's for
		 * every graphics version below 20 except PVC. */
		out[n++] = (struct gtt_intel_reg_write){ GUC_TLB_INV_CR, 1, false };
	} else if (guc && ver >= 2000) {
		/* Xe2 (and PVC, not described): xe's PVC_GUC_TLB_INV_DESC1/0. */
		out[n++] = (struct gtt_intel_reg_write){ GUC_TLB_INV_DESC1, 1u << 6, false };
		out[n++] = (struct gtt_intel_reg_write){ GUC_TLB_INV_DESC0, 1, false };
	}
	return (int)n;
}
