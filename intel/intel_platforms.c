/* SPDX-License-Identifier: MIT */
/*
 * Intel platform descriptors and the PCI ID table.  Every field comes from
 * shared/reference/intel-gtt-facts.md (sections 1-4); fields the sheet marks
 * UNCONFIRMED set .unconfirmed and are listed in docs/intel.md.
 */
#include <stdlib.h>
#include <strings.h>

#include <gtt/intel.h>

#include "base/util.h"

#define P4K GTT_INTEL_PAGE_4K
#define P64K GTT_INTEL_PAGE_64K
#define P2M GTT_INTEL_PAGE_2M
#define P1G GTT_INTEL_PAGE_1G

static const struct gtt_intel_platform platforms[GTT_INTEL_FAMILY_COUNT] = {
	[GTT_INTEL_SNB] = { .family = GTT_INTEL_SNB, .name = "SNB", .graphics_ver = 600,
			    .ggtt_format = GTT_GGTT_SNB, .ggtt_pte_size = 4, .ggtt_bar_offset = 2 << 20,
			    .ppgtt_format = GTT_PPGTT_NONE, .ppgtt_bits = 31, .ppgtt_levels = 2,
			    .page_sizes = P4K, .dma_bits = 40, .has_llc = true },
	[GTT_INTEL_IVB] = { .family = GTT_INTEL_IVB, .name = "IVB", .graphics_ver = 700,
			    .ggtt_format = GTT_GGTT_IVB, .ggtt_pte_size = 4, .ggtt_bar_offset = 2 << 20,
			    .ppgtt_format = GTT_PPGTT_NONE, .ppgtt_bits = 31, .ppgtt_levels = 2,
			    .page_sizes = P4K, .dma_bits = 40, .has_llc = true },
	[GTT_INTEL_HSW] = { .family = GTT_INTEL_HSW, .name = "HSW", .graphics_ver = 750,
			    .ggtt_format = GTT_GGTT_HSW, .ggtt_pte_size = 4, .ggtt_bar_offset = 2 << 20,
			    .ppgtt_format = GTT_PPGTT_NONE, .ppgtt_bits = 31, .ppgtt_levels = 2,
			    .page_sizes = P4K, .dma_bits = 39, .has_llc = true },
	[GTT_INTEL_VLV] = { .family = GTT_INTEL_VLV, .name = "VLV", .graphics_ver = 700,
			    .ggtt_format = GTT_GGTT_VLV, .ggtt_pte_size = 4, .ggtt_bar_offset = 2 << 20,
			    .ppgtt_format = GTT_PPGTT_NONE, .ppgtt_bits = 31, .ppgtt_levels = 2,
			    .page_sizes = P4K, .dma_bits = 40 },
	[GTT_INTEL_BDW] = { .family = GTT_INTEL_BDW, .name = "BDW", .graphics_ver = 800,
			    .ggtt_format = GTT_GGTT_GEN8, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN8, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K, .dma_bits = 39, .has_llc = true,
			    .ppgtt_read_only = true },
	[GTT_INTEL_CHV] = { .family = GTT_INTEL_CHV, .name = "CHV", .graphics_ver = 800,
			    .ggtt_format = GTT_GGTT_GEN8, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN8, .ppgtt_bits = 32, .ppgtt_levels = 3,
			    .page_sizes = P4K, .dma_bits = 39, .ppgtt_read_only = true },
	[GTT_INTEL_SKL] = { .family = GTT_INTEL_SKL, .name = "SKL", .graphics_ver = 900,
			    .ggtt_format = GTT_GGTT_GEN8, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN8, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K, .dma_bits = 39, .has_llc = true,
			    .ppgtt_read_only = true },
	[GTT_INTEL_BXT] = { .family = GTT_INTEL_BXT, .name = "BXT", .graphics_ver = 900,
			    .ggtt_format = GTT_GGTT_GEN8, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN8, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K, .dma_bits = 39,
			    .ppgtt_read_only = true },
	[GTT_INTEL_ICL] = { .family = GTT_INTEL_ICL, .name = "ICL", .graphics_ver = 1100,
			    .ggtt_format = GTT_GGTT_GEN8, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN8, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 39, .has_llc = true },
	[GTT_INTEL_EHL] = { .family = GTT_INTEL_EHL, .name = "EHL", .graphics_ver = 1100,
			    .ggtt_format = GTT_GGTT_GEN8, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN8, .ppgtt_bits = 36, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 39, .has_llc = true },
	[GTT_INTEL_TGL] = { .family = GTT_INTEL_TGL, .name = "TGL", .graphics_ver = 1200,
			    .ggtt_format = GTT_GGTT_GEN12, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN12, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 39, .has_llc = true,
			    .has_null_pte = true },
	[GTT_INTEL_RKL] = { .family = GTT_INTEL_RKL, .name = "RKL", .graphics_ver = 1200,
			    .ggtt_format = GTT_GGTT_GEN12, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN12, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 39, .has_llc = true,
			    .has_null_pte = true },
	[GTT_INTEL_ADL] = { .family = GTT_INTEL_ADL, .name = "ADL", .graphics_ver = 1200,
			    .ggtt_format = GTT_GGTT_GEN12, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN12, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 39, .has_llc = true,
			    .has_null_pte = true },
	[GTT_INTEL_DG1] = { .family = GTT_INTEL_DG1, .name = "DG1", .graphics_ver = 1210,
			    .ggtt_format = GTT_GGTT_GEN12, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_GEN12, .ppgtt_bits = 47, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 39,
			    .discrete = true,
			    .has_null_pte = true },
	/* DG2 GGTT use of address bits 45:39: UNCONFIRMED. */
	[GTT_INTEL_DG2] = { .family = GTT_INTEL_DG2, .name = "DG2", .graphics_ver = 1255,
			    .ggtt_format = GTT_GGTT_GEN12, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_XEHP, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 46,
			    .discrete = true, .unconfirmed = true,
			    .has_null_pte = true },
	[GTT_INTEL_MTL] = { .family = GTT_INTEL_MTL, .name = "MTL", .graphics_ver = 1270,
			    .ggtt_format = GTT_GGTT_MTL, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_MTL, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 46,
			    .cpu_ggtt_write_risky = true,
			    .has_null_pte = true },
	[GTT_INTEL_ARL] = { .family = GTT_INTEL_ARL, .name = "ARL", .graphics_ver = 1270,
			    .ggtt_format = GTT_GGTT_MTL, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_MTL, .ppgtt_bits = 48, .ppgtt_levels = 4,
			    .page_sizes = P4K | P64K | P2M, .dma_bits = 46,
			    .cpu_ggtt_write_risky = true,
			    .has_null_pte = true },
	/*
	 * Xe2 (xe driver only).  From xe_pci.c: XE2_GFX_FEATURES has va_bits = 48
	 * and vm_max_level = 4 (a 5-level PPGTT), lnl_desc/bmg_desc have
	 * dma_mask_size = 46 and no has_llc.  Other facts remain UNCONFIRMED.
	 */
	[GTT_INTEL_LNL] = { .family = GTT_INTEL_LNL, .name = "LNL", .graphics_ver = 2004,
			    .ggtt_format = GTT_GGTT_MTL, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_XE2, .ppgtt_bits = 48, .ppgtt_levels = 5,
			    .page_sizes = P4K | P64K | P2M | P1G, .dma_bits = 46,
			    .cpu_ggtt_write_risky = true, .unconfirmed = true,
			    .has_null_pte = true },
	[GTT_INTEL_BMG] = { .family = GTT_INTEL_BMG, .name = "BMG", .graphics_ver = 2001,
			    .ggtt_format = GTT_GGTT_MTL, .ggtt_pte_size = 8, .ggtt_bar_offset = 8 << 20,
			    .ppgtt_format = GTT_PPGTT_XE2, .ppgtt_bits = 48, .ppgtt_levels = 5,
			    .page_sizes = P4K | P64K | P2M | P1G, .dma_bits = 46,
			    .discrete = true, .cpu_ggtt_write_risky = true,
			    .unconfirmed = true,
			    .has_null_pte = true },
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

GTT_API const struct gtt_intel_platform *gtt_intel_find(const char *name)
{
	char *end;

	if (!name || !*name)
		return NULL;
	if (name[0] == '0' && (name[1] == 'x' || name[1] == 'X')) {
		unsigned long id = strtoul(name + 2, &end, 16);

		return !*end && end != name + 2 && id <= 0xffff ?
		       gtt_intel_lookup((uint16_t)id, NULL) : NULL;
	}
	for (size_t f = 1; f < ARRAY_SIZE(platforms); f++)
		if (platforms[f].name && !strcasecmp(name, platforms[f].name))
			return &platforms[f];
	set_error(-ENOENT, "gtt_intel_find: '%s' is neither a platform name nor a known device ID", name);
	return NULL;
}

GTT_API int gtt_intel_ggtt_size(const struct gtt_intel_platform *p,
				uint16_t ggc, uint64_t *gsm_out, uint64_t *ggtt_out)
{
	const uint64_t mib = 1 << 20;
	unsigned int hi = (ggc >> 8) & 3, lo = (ggc >> 6) & 3;
	uint64_t gsm, ggtt;

	if (!p || !gsm_out || !ggtt_out)
		return set_error(-EINVAL, "gtt_intel_ggtt_size: NULL argument");
	switch (p->family) {
	case GTT_INTEL_SNB:
	case GTT_INTEL_IVB:
	case GTT_INTEL_HSW:
	case GTT_INTEL_VLV:
		gsm = hi * mib;
		break;
	case GTT_INTEL_CHV:
		gsm = hi ? mib << hi : 0;
		break;
	case GTT_INTEL_MTL:
	case GTT_INTEL_ARL:
		if (lo != 3)
			return set_error(-EINVAL, "gtt_intel_ggtt_size: %s GGC 0x%04x has GGMS %u; i915 requires 3 (8 MiB)",
					 p->name, ggc, lo);
		gsm = 8 * mib;
		break;
	default:
		gsm = p->graphics_ver >= 1250 ? 8 * mib : (lo ? mib << lo : 0);
	}
	if (!gsm)
		return set_error(-ENODEV, "gtt_intel_ggtt_size: GGC 0x%04x reports no GTT stolen memory: the GGTT is disabled",
				 ggc);
	ggtt = gsm / p->ggtt_pte_size * 4096;
	*gsm_out = gsm;
	*ggtt_out = ggtt > (4ull << 30) ? 4ull << 30 : ggtt;
	return 0;
}
