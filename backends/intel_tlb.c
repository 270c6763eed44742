/* SPDX-License-Identifier: MIT */
/*
 * Intel GGTT TLB invalidation: which MMIO registers to write, per platform
 * (facts sheet §1.5).  The writes themselves are the backend's: the mock
 * has no TLB, the VFIO backend writes them into BAR0.
 */
#include <gtt/intel.h>

#include "util.h"

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
	} else if (guc && ver >= 1200 && ver < 1270) {
		out[n++] = (struct gtt_intel_reg_write){ GUC_TLB_INV_CR, 1, false };
	} else if (guc && ver >= 1270) {
		out[n++] = (struct gtt_intel_reg_write){ GUC_TLB_INV_DESC1, 1u << 6, false };
		out[n++] = (struct gtt_intel_reg_write){ GUC_TLB_INV_DESC0, 1, false };
	}
	return (int)n;
}
