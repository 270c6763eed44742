/* SPDX-License-Identifier: MIT */
/*
 * Intel platform descriptors and the PCI ID table.  Every field comes from
 * shared/reference/intel-gtt-facts.md (sections 1-4); fields the sheet marks
 * UNCONFIRMED set .unconfirmed and are listed in docs/intel.md.
 */
#include <stdlib.h>

#include <gtt/intel.h>

#include "util.h"

#define P4K GTT_INTEL_PAGE_4K
#define P64K GTT_INTEL_PAGE_64K
#define P2M GTT_INTEL_PAGE_2M
#define P1G GTT_INTEL_PAGE_1G

static const struct gtt_intel_platform platforms[GTT_INTEL_FAMILY_COUNT] = {
	[GTT_INTEL_SNB] = { GTT_INTEL_SNB, "SNB", 600, GTT_GGTT_SNB, 4,
			    GTT_PPGTT_NONE, 0, P4K, 40, .has_llc = true },
	[GTT_INTEL_IVB] = { GTT_INTEL_IVB, "IVB", 700, GTT_GGTT_IVB, 4,
			    GTT_PPGTT_NONE, 0, P4K, 40, .has_llc = true },
	[GTT_INTEL_HSW] = { GTT_INTEL_HSW, "HSW", 750, GTT_GGTT_HSW, 4,
			    GTT_PPGTT_NONE, 0, P4K, 39, .has_llc = true },
	[GTT_INTEL_VLV] = { GTT_INTEL_VLV, "VLV", 700, GTT_GGTT_VLV, 4,
			    GTT_PPGTT_NONE, 0, P4K, 40 },
	[GTT_INTEL_BDW] = { GTT_INTEL_BDW, "BDW", 800, GTT_GGTT_GEN8, 8,
			    GTT_PPGTT_GEN8, 48, P4K, 39, .has_llc = true,
			    .ppgtt_read_only = true },
	[GTT_INTEL_CHV] = { GTT_INTEL_CHV, "CHV", 800, GTT_GGTT_GEN8, 8,
			    GTT_PPGTT_GEN8, 32, P4K, 39, .ppgtt_read_only = true },
	[GTT_INTEL_SKL] = { GTT_INTEL_SKL, "SKL", 900, GTT_GGTT_GEN8, 8,
			    GTT_PPGTT_GEN8, 48, P4K | P64K, 39, .has_llc = true,
			    .ppgtt_read_only = true },
	[GTT_INTEL_BXT] = { GTT_INTEL_BXT, "BXT", 900, GTT_GGTT_GEN8, 8,
			    GTT_PPGTT_GEN8, 48, P4K | P64K, 39,
			    .ppgtt_read_only = true },
	[GTT_INTEL_ICL] = { GTT_INTEL_ICL, "ICL", 1100, GTT_GGTT_GEN8, 8,
			    GTT_PPGTT_GEN8, 48, P4K | P64K | P2M, 39, .has_llc = true },
	[GTT_INTEL_EHL] = { GTT_INTEL_EHL, "EHL", 1100, GTT_GGTT_GEN8, 8,
			    GTT_PPGTT_GEN8, 36, P4K | P64K | P2M, 39, .has_llc = true },
	[GTT_INTEL_TGL] = { GTT_INTEL_TGL, "TGL", 1200, GTT_GGTT_GEN12, 8,
			    GTT_PPGTT_GEN12, 48, P4K | P64K | P2M, 39, .has_llc = true },
	[GTT_INTEL_RKL] = { GTT_INTEL_RKL, "RKL", 1200, GTT_GGTT_GEN12, 8,
			    GTT_PPGTT_GEN12, 48, P4K | P64K | P2M, 39, .has_llc = true },
	[GTT_INTEL_ADL] = { GTT_INTEL_ADL, "ADL", 1200, GTT_GGTT_GEN12, 8,
			    GTT_PPGTT_GEN12, 48, P4K | P64K | P2M, 39, .has_llc = true },
	[GTT_INTEL_DG1] = { GTT_INTEL_DG1, "DG1", 1210, GTT_GGTT_GEN12, 8,
			    GTT_PPGTT_GEN12, 47, P4K | P64K | P2M, 39,
			    .discrete = true },
	/* DG2 GGTT use of address bits 45:39: UNCONFIRMED. */
	[GTT_INTEL_DG2] = { GTT_INTEL_DG2, "DG2", 1255, GTT_GGTT_GEN12, 8,
			    GTT_PPGTT_XEHP, 48, P4K | P64K | P2M, 46,
			    .discrete = true, .unconfirmed = true },
	[GTT_INTEL_MTL] = { GTT_INTEL_MTL, "MTL", 1270, GTT_GGTT_MTL, 8,
			    GTT_PPGTT_MTL, 48, P4K | P64K | P2M, 46,
			    .cpu_ggtt_write_risky = true },
	[GTT_INTEL_ARL] = { GTT_INTEL_ARL, "ARL", 1270, GTT_GGTT_MTL, 8,
			    GTT_PPGTT_MTL, 48, P4K | P64K | P2M, 46,
			    .cpu_ggtt_write_risky = true },
	/* Xe2 (xe driver only): PPGTT size, DMA width and LLC: UNCONFIRMED. */
	[GTT_INTEL_LNL] = { GTT_INTEL_LNL, "LNL", 2004, GTT_GGTT_MTL, 8,
			    GTT_PPGTT_XE2, 48, P4K | P64K | P2M | P1G, 46,
			    .cpu_ggtt_write_risky = true, .unconfirmed = true },
	[GTT_INTEL_BMG] = { GTT_INTEL_BMG, "BMG", 2001, GTT_GGTT_MTL, 8,
			    GTT_PPGTT_XE2, 48, P4K | P64K | P2M | P1G, 46,
			    .discrete = true, .cpu_ggtt_write_risky = true,
			    .unconfirmed = true },
};

struct id_entry {
	uint16_t id;
	enum gtt_intel_family family;
	const char *label;
};

#define ID(dev, fam, lbl) { dev, GTT_INTEL_##fam, lbl },
static const struct id_entry ids[] = {
#include "intel_ids.inc"
};
#undef ID

GTT_API const struct gtt_intel_platform *
gtt_intel_platform(enum gtt_intel_family family)
{
	if ((unsigned int)family >= GTT_INTEL_FAMILY_COUNT ||
	    family == GTT_INTEL_UNKNOWN)
		return NULL;
	return &platforms[family];
}

static int by_id(const void *key, const void *elem)
{
	uint16_t k = *(const uint16_t *)key, e = ((const struct id_entry *)elem)->id;

	return k < e ? -1 : k > e;
}

GTT_API const struct gtt_intel_platform *
gtt_intel_lookup(uint16_t device_id, const char **label)
{
	const struct id_entry *e = bsearch(&device_id, ids, ARRAY_SIZE(ids),
					   sizeof(ids[0]), by_id);

	if (label)
		*label = e ? e->label : "unknown";
	if (!e) {
		set_error(-ENOENT, "gtt_intel_lookup: device 0x%04x is not a known Intel GPU", device_id);
		return NULL;
	}
	return &platforms[e->family];
}
