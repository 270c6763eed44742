/* SPDX-License-Identifier: MIT */
/**
 * DOC: Intel GPU platforms and page-table entry formats
 *
 * Facts about Intel GPUs that the page-table code needs, and the encoders
 * and decoders for every GGTT and PPGTT entry format, written from the
 * project's facts sheet (docs/intel.md lists the sources and every item
 * still UNCONFIRMED).
 *
 * Platforms: gtt_intel_lookup() maps a PCI device ID to a family and its
 * &struct gtt_intel_platform.  The ID table is generated from the Linux
 * kernel's i915_pciids.h / xe_pciids.h by scripts/gen-intel-ids.py; an ID
 * that is not in it is reported as unknown, never guessed.
 *
 * Entry formats: the encoders take a DMA address and GTT_PTE_* flags
 * (read-only, local memory, and a PAT/cache index) and return the 64-bit
 * entry, or -EINVAL when the format cannot express the request (an address
 * too wide for the field, a PAT index the format has no bits for,
 * read-only where there is no read-only bit).  The decoders are exact
 * inverses for every entry an encoder produced.
 *
 * On gen6/7 the GGTT has no PAT; there the PAT field of the flags carries
 * the i915 cache level: 0 uncached, 1 LLC, 2 L3+LLC, 3 write-through
 * (%GTT_INTEL_CACHE_*).
 *
 * gen6/7 PPGTT (SNB, IVB, HSW, VLV): two levels over 2 GiB.  Its page
 * directory is a range of GGTT entries (gtt_intel_gen6_pde_encode(),
 * %GTT_INTEL_GEN6_PD_ALIGN), its page tables hold PTEs in the platform's
 * GGTT layout, and the rings find it through RING_PP_DIR_BASE/DCLV
 * (gtt_intel_gen6_pp_dir_load()).  &struct gtt_intel_platform describes
 * it with @ppgtt_levels 2, @ppgtt_bits 31 and @ppgtt_format
 * %GTT_PPGTT_NONE (no gen8-style entries).
 *
 * Thread safety: everything here is pure and may be called from any thread.
 */
#ifndef GTT_INTEL_H
#define GTT_INTEL_H

#include <gtt/backend.h>
#include <gtt/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** enum gtt_intel_family - Platform families libgtt describes. */
enum gtt_intel_family {
	GTT_INTEL_UNKNOWN = 0,
	GTT_INTEL_SNB,	/* Sandy Bridge, gen6 */
	GTT_INTEL_IVB,	/* Ivy Bridge, gen7 */
	GTT_INTEL_HSW,	/* Haswell, gen7.5 */
	GTT_INTEL_VLV,	/* Valleyview / Bay Trail, gen7 */
	GTT_INTEL_BDW,	/* Broadwell, gen8 */
	GTT_INTEL_CHV,	/* Cherryview / Braswell, gen8 */
	GTT_INTEL_SKL,	/* Skylake, Kaby/Coffee/Comet/Whiskey/Amber Lake, gen9 */
	GTT_INTEL_BXT,	/* Broxton / Gemini Lake, gen9 LP */
	GTT_INTEL_ICL,	/* Ice Lake, gen11 */
	GTT_INTEL_EHL,	/* Elkhart / Jasper Lake, gen11 */
	GTT_INTEL_TGL,	/* Tiger Lake, gen12.0 */
	GTT_INTEL_RKL,	/* Rocket Lake, gen12.0 */
	GTT_INTEL_ADL,	/* Alder / Raptor Lake, gen12.0 */
	GTT_INTEL_DG1,	/* DG1, gen12.10, discrete */
	GTT_INTEL_DG2,	/* DG2 / Arc Alchemist, ATS-M, gen12.55, discrete */
	GTT_INTEL_MTL,	/* Meteor Lake, gen12.70 */
	GTT_INTEL_ARL,	/* Arrow Lake, gen12.7x */
	GTT_INTEL_LNL,	/* Lunar Lake, Xe2 (gen20) */
	GTT_INTEL_BMG,	/* Battlemage, Xe2, discrete */
	GTT_INTEL_FAMILY_COUNT
};

/** enum gtt_intel_ggtt_format - GGTT entry layouts. */
enum gtt_intel_ggtt_format {
	GTT_GGTT_SNB,		/* 32-bit, addr 39:32 folded into 11:4, cache bits 2:1 */
	GTT_GGTT_IVB,		/* as SNB, plus L3+LLC (11b) */
	GTT_GGTT_VLV,		/* as SNB folding; bit 1 writeable, bit 2 snooped */
	GTT_GGTT_HSW,		/* 32-bit, addr 38:32 folded into 10:4, control 3:1 + 11 */
	GTT_GGTT_HSW_EDRAM,	/* HSW with eDRAM: WT and eLLC write-back controls */
	GTT_GGTT_GEN8,		/* 64-bit, present, addr 38:12, no PAT */
	GTT_GGTT_GEN12,		/* 64-bit, present, LM bit 1, addr 45:12, no PAT */
	GTT_GGTT_MTL,		/* GEN12 plus PAT0/PAT1 at bits 52/53 */
};

/** enum gtt_intel_ppgtt_format - PPGTT entry layouts (gen8+). */
enum gtt_intel_ppgtt_format {
	GTT_PPGTT_NONE,		/* no gen8-style PPGTT (gen6/7) */
	GTT_PPGTT_GEN8,		/* PPAT index in PWT/PCD/PAT bits 3/4/7; IPS 64K bit 11 in PDEs (gen9+) */
	GTT_PPGTT_GEN12,	/* PAT0-2 at 3/4/7, LM bit 11; IPS 64K bit 11 in PDEs */
	GTT_PPGTT_XEHP,		/* GEN12 plus PS64 hint (bit 8), compact 64K PT (PDE bit 6) */
	GTT_PPGTT_MTL,		/* XEHP plus PAT3 at bit 62 */
	GTT_PPGTT_XE2,		/* MTL plus PAT4 at bit 61 */
};

/* Page-size support bits for &struct gtt_intel_platform.page_sizes. */
#define GTT_INTEL_PAGE_4K  (1u << 0)
#define GTT_INTEL_PAGE_64K (1u << 1)
#define GTT_INTEL_PAGE_2M  (1u << 2)
#define GTT_INTEL_PAGE_1G  (1u << 3)

/* gen6/7 cache levels, carried in the PAT field of the PTE flags. */
#define GTT_INTEL_CACHE_NONE   0
#define GTT_INTEL_CACHE_LLC    1
#define GTT_INTEL_CACHE_L3_LLC 2
#define GTT_INTEL_CACHE_WT     3

/**
 * struct gtt_intel_platform - What the page-table code needs to know.
 * @family: the family.
 * @name: short name ("TGL").
 * @graphics_ver: graphics IP version x100 (600, 750, 1255, 2000...).
 * @ggtt_format: GGTT entry layout.
 * @ggtt_pte_size: 4 or 8 bytes.
 * @ggtt_bar_offset: where the GGTT entries start in BAR0 (2 MiB on gen6/7,
 *	8 MiB on gen8+).
 * @ppgtt_format: gen8-style PPGTT entry layout, %GTT_PPGTT_NONE before
 *	gen8 (gen6/7 PPGTT entries have the GGTT layout, @ggtt_format).
 * @ppgtt_bits: PPGTT address bits (31 on gen6/7: 2 GiB).
 * @ppgtt_levels: PPGTT levels: 2 on gen6/7 (a page directory in the
 *	GGTT, then page tables), 3 for a 32-bit gen8 space, 4 above, 5 on
 *	Xe2 (LNL, BMG: xe builds a level-4 root over the 48-bit space).
 * @page_sizes: GTT_INTEL_PAGE_* the platform's PPGTT can map.
 * @dma_bits: device DMA address width.
 * @has_llc: CPU and GPU share the last-level cache.
 * @discrete: a discrete card with local memory.
 * @ggtt_color_guard: i915 keeps guard pages between GGTT nodes of
 *	different cache colour (never on gen6+).
 * @ppgtt_read_only: read-only PPGTT pages are usable (i915 disables them
 *	on gen11/12 for a hardware erratum).
 * @cpu_ggtt_write_risky: the facts sheet marks CPU writes to the GGTT
 *	through BAR0 as hazardous on this platform (MTL and later).
 * @unconfirmed: some field is not confirmed by a primary source (see
 *	docs/intel.md).
 * @has_null_pte: PPGTT leaves have the null bit (bit 9, xe's XE_PTE_NULL:
 *	present, reads return zero, writes dropped): every platform with a
 *	gen12+ PPGTT layout (TGL and later, the platforms xe drives).  Before
 *	that, a %GTT_PTE_NULL bind points the range at the scratch page.
 */
struct gtt_intel_platform {
	enum gtt_intel_family family;
	const char *name;
	unsigned int graphics_ver;
	enum gtt_intel_ggtt_format ggtt_format;
	unsigned int ggtt_pte_size;
	uint64_t ggtt_bar_offset;
	enum gtt_intel_ppgtt_format ppgtt_format;
	unsigned int ppgtt_bits;
	unsigned int ppgtt_levels;
	unsigned int page_sizes;
	unsigned int dma_bits;
	bool has_llc;
	bool discrete;
	bool ggtt_color_guard;
	bool ppgtt_read_only;
	bool cpu_ggtt_write_risky;
	bool unconfirmed;
	bool has_null_pte;
};

/**
 * gtt_intel_platform() - The descriptor of a family.
 *
 * Return: the descriptor, or NULL for %GTT_INTEL_UNKNOWN or an out-of-range value.
 */
GTT_API const struct gtt_intel_platform *
gtt_intel_platform(enum gtt_intel_family family);

/**
 * gtt_intel_lookup() - Identify an Intel GPU by PCI device ID.
 * @device_id: the PCI device ID (vendor 0x8086 assumed).
 * @label: if not NULL, receives the sub-platform label ("KBL", "RPL-S"...).
 *
 * Return: the family's descriptor, or NULL for an ID not in the table.
 */
GTT_API const struct gtt_intel_platform *
gtt_intel_lookup(uint16_t device_id, const char **label);

/**
 * gtt_intel_find() - A platform by name or PCI device ID.
 * @name: a family name as in &struct gtt_intel_platform.name, any case
 *	("tgl", "MTL"), or a device ID in hex ("0x9a49").
 *
 * Return: the descriptor, or NULL for NULL or an unknown name or ID.
 */
GTT_API const struct gtt_intel_platform *gtt_intel_find(const char *name);

/**
 * gtt_intel_ggtt_size() - Decode the GGC register (PCI config 0x50).
 * @p: the platform.
 * @ggc: the 16-bit register value.
 * @gsm: receives the GTT stolen memory size (bytes of entries).
 * @ggtt: receives the GGTT address-space size (clamped to 4 GiB, as i915 does).
 *
 * gen6/7: GGMS in bits 9:8, GGMS x 1 MiB; CHV: bits 9:8, 1 MiB << GGMS;
 * gen8-12.10: bits 7:6, 1 MiB << GGMS; MTL/ARL: must read 3 (8 MiB, as
 * i915 requires); other 12.50+ parts (xe): 8 MiB, the register is not read.
 *
 * Return: 0; -ENODEV if GGMS says there is no GTT stolen memory; -EINVAL
 * for NULL or a value the platform does not accept.
 */
GTT_API int gtt_intel_ggtt_size(const struct gtt_intel_platform *p,
				uint16_t ggc, uint64_t *gsm, uint64_t *ggtt);

/**
 * struct gtt_intel_reg_write - One MMIO register write.
 * @reg: register offset in the MMIO BAR (BAR0).
 * @value: 32-bit value to write.
 * @readback: read the register back afterwards (a posting read).
 */
struct gtt_intel_reg_write {
	uint32_t reg;
	uint32_t value;
	bool readback;
};

/** Most register writes gtt_intel_ggtt_invalidation() returns. */
#define GTT_INTEL_MAX_INVAL_WRITES 3

/**
 * gtt_intel_ggtt_invalidation() - How to invalidate the GGTT TLBs.
 * @p: the platform.
 * @guc: GuC firmware is running (normally not under bare vfio-pci).
 * @out: receives up to %GTT_INTEL_MAX_INVAL_WRITES writes, in order.
 *
 * The writes go after the entries, a store fence and a posting read of the
 * last entry.  gen6/7: GFX_FLSH_CNTL (0x101008) = 1 and read back.  gen8-10
 * except BXT/GLK: GFX_FLSH_CNTL = 1 (i915 does this for its WC mapping
 * only; with our uncached mapping it is presumed harmless — UNCONFIRMED on
 * hardware).  BXT/GLK and gen11+ map the GGTT uncached: nothing.  With
 * @guc: GEN8_GTCR (0x4274) on gen9-11, GUC_TLB_INV_CR (0xCEE8) on
 * gen12 through 12.70 (TGL ... DG2, MTL, ARL), the DESC1 (0xCF80, bit 6)
 * then DESC0 (0xCF7C, bit 0) pair on Xe2 (LNL, BMG): the MMIO paths of
 * i915's guc_ggtt_invalidate() and of xe, used when the invalidation is
 * not sent to the GuC as a message.
 * Forcewake is not taken (UNCONFIRMED whether 0xCEE8 needs it in RC6).
 *
 * Return: the number of writes (0 means the fence and posting read are
 * enough), or -EINVAL for NULL.
 */
GTT_API int gtt_intel_ggtt_invalidation(const struct gtt_intel_platform *p, bool guc,
					struct gtt_intel_reg_write *out);

/* Extra flags for the PPGTT encoders (beyond GTT_PTE_*). */
/** A PDE/PDPE that maps a 2 MiB / 1 GiB page itself (PS bit). */
#define GTT_INTEL_HUGE   (1u << 16)
/** A PDE whose page table is in 64 KiB mode (IPS, or compact on XeHP+). */
#define GTT_INTEL_PT_64K (1u << 17)
/** A PTE that is part of a 64 KiB page (PS64 hint, XeHP+). */
#define GTT_INTEL_PS64   (1u << 18)

/**
 * struct gtt_intel_entry - A decoded entry.
 * @present: the valid/present bit.
 * @addr: the DMA address it points at.
 * @flags: GTT_PTE_* and GTT_INTEL_* flags, as an encoder would take them.
 * @reserved: zero.
 */
struct gtt_intel_entry {
	bool present;
	uint64_t addr;
	uint32_t flags;
	uint64_t reserved[2];
};

/**
 * gtt_intel_ggtt_encode() - Build a GGTT entry.
 * @fmt: the layout.
 * @addr: page DMA address (4 KiB aligned).
 * @flags: GTT_PTE_* flags (PAT field: cache level on gen6/7).
 * @pte: receives the entry (upper 32 bits zero for 4-byte formats).
 *
 * No GGTT format has a null entry: %GTT_PTE_NULL is refused.
 *
 * Return: 0, or -EINVAL if @fmt cannot express @addr or @flags.
 */
GTT_API int gtt_intel_ggtt_encode(enum gtt_intel_ggtt_format fmt,
				  uint64_t addr, uint32_t flags, uint64_t *pte);

/**
 * gtt_intel_ggtt_decode() - Split a GGTT entry into address and flags.
 *
 * Return: 0, or -EINVAL for an unknown format, NULL @out, or an entry
 * with bits the format does not define.
 */
GTT_API int gtt_intel_ggtt_decode(enum gtt_intel_ggtt_format fmt, uint64_t pte,
				  struct gtt_intel_entry *out);

/**
 * gtt_intel_ppgtt_encode() - Build a PPGTT entry.
 * @fmt: the layout.
 * @level: 0 for a PTE, 1 for a PDE, 2 for a PDPE, 3 for a PML4E, 4 for
 *	an entry of Xe2's level-4 root table (%GTT_PPGTT_XE2 only).
 * @addr: what it points at: a page (level 0, or a huge leaf), else the
 *	next-level table.  4 KiB aligned; 2 MiB / 1 GiB for huge leaves.
 * @flags: GTT_PTE_* plus %GTT_INTEL_HUGE (level 1 or 2),
 *	%GTT_INTEL_PT_64K (level 1 table pointers), %GTT_INTEL_PS64 (level 0).
 * @pte: receives the entry.
 *
 * %GTT_PTE_NULL (leaves only, @addr 0, no local memory; %GTT_PPGTT_GEN12
 * and later) sets the null bit 9 of xe's XE_PTE_NULL.
 *
 * Table pointers (levels 1-4 without %GTT_INTEL_HUGE) accept PAT indexes
 * 0-3 only (bits 3/4).  Huge leaves carry PAT bit 2 at bit 12, because bit
 * 7 is the PS bit there (the xe layout; UNCONFIRMED for gen8-12.0 i915).
 *
 * Return: 0, or -EINVAL if the layout cannot express the request.
 */
GTT_API int gtt_intel_ppgtt_encode(enum gtt_intel_ppgtt_format fmt,
				   unsigned int level, uint64_t addr,
				   uint32_t flags, uint64_t *pte);

/**
 * gtt_intel_ppgtt_decode() - Split a PPGTT entry of @level.
 *
 * Return: 0, or -EINVAL for an unknown format, a level the format does
 * not have (4 exists only in %GTT_PPGTT_XE2), or NULL @out.
 */
GTT_API int gtt_intel_ppgtt_decode(enum gtt_intel_ppgtt_format fmt,
				   unsigned int level, uint64_t pte,
				   struct gtt_intel_entry *out);

/*
 * gen6/7 PPGTT (SNB, IVB, HSW, VLV): a two-level table over 2 GiB (i915 ppgtt_size = 31): a page directory of
 * %GTT_INTEL_GEN6_PDES entries, each pointing at a 4 KiB page table of
 * %GTT_INTEL_GEN6_PTES four-byte PTEs (4 MiB each).  The page directory
 * is not memory of its own: its entries are GGTT entries, the 512 that map
 * a 2 MiB, 64 KiB-aligned GGTT range (i915 gen6_ppgtt.c: I915_PDES,
 * GEN6_PD_ALIGN; the PDE of slot n is written where the GGTT entry of
 * that range's page n is).  PTEs have the platform's GGTT layout
 * (gtt_intel_ggtt_encode() with the GGTT format, eDRAM HSW included: i915
 * gives the PPGTT the GGTT's pte_encode); PDEs have their own
 * (gtt_intel_gen6_pde_encode()).  A ring finds the directory through
 * RING_PP_DIR_BASE and RING_PP_DIR_DCLV (gtt_intel_gen6_pp_dir_load()).
 */

/** Entries in a gen6/7 page directory (i915 I915_PDES). */
#define GTT_INTEL_GEN6_PDES 512u
/** Entries in a gen6/7 page table: 4 KiB of four-byte PTEs. */
#define GTT_INTEL_GEN6_PTES 1024u
/** GGTT address alignment of a page directory (i915 GEN6_PD_ALIGN: 16 pages,
 * so its entries start on a 64-byte line of the GGTT). */
#define GTT_INTEL_GEN6_PD_ALIGN (64ull << 10)
/** GGTT address range whose entries a page directory takes (512 pages). */
#define GTT_INTEL_GEN6_PD_SPAN (2ull << 20)
/** Address space of a gen6/7 PPGTT: 512 PDEs of 4 MiB. */
#define GTT_INTEL_GEN6_PPGTT_SIZE (2ull << 30)

/**
 * gtt_intel_gen6_pde_encode() - Build a gen6/7 page-directory entry.
 * @fmt: the platform's GGTT format (%GTT_GGTT_SNB ... %GTT_GGTT_HSW_EDRAM).
 * @pt_addr: DMA address of the page table (4 KiB aligned).
 * @pde: receives the entry (upper 32 bits zero).
 *
 * Bit 0 valid, DMA address bits 31:12 in place and bits 39:32 folded into
 * 11:4 on every gen6/7 platform, Haswell included (i915 gt/intel_gtt.h:
 * GEN6_PDE_ADDR_ENCODE is GEN6_GTT_ADDR_ENCODE; GEN6_PDE_VALID).  Bits 3:1
 * are zero: a PDE has no cache field.  On Haswell, whose PTEs carry only 39
 * address bits, libgtt also keeps page tables below 2^39 (whether its PDE
 * bit 11 is address bit 39 is UNCONFIRMED).
 *
 * Return: 0, or -EINVAL for another format, a misaligned or too wide
 * address, or NULL @pde.
 */
GTT_API int gtt_intel_gen6_pde_encode(enum gtt_intel_ggtt_format fmt, uint64_t pt_addr,
				      uint64_t *pde);

/**
 * gtt_intel_gen6_pde_decode() - Split a gen6/7 page-directory entry.
 *
 * Return: 0, or -EINVAL for another format, NULL @out, or an entry with
 * bits a PDE does not define (3:1, 63:32).
 */
GTT_API int gtt_intel_gen6_pde_decode(enum gtt_intel_ggtt_format fmt, uint64_t pde,
				      struct gtt_intel_entry *out);

/** Most register writes gtt_intel_gen6_pp_dir_load() returns (4 rings). */
#define GTT_INTEL_MAX_PP_DIR_WRITES 8

/**
 * gtt_intel_gen6_pp_dir_load() - How the rings find a gen6/7 page directory.
 * @p: a gen6/7 platform.
 * @pd_offset: GGTT address of the page directory's entries
 *	(%GTT_INTEL_GEN6_PD_ALIGN aligned, below 4 GiB).
 * @out: receives up to %GTT_INTEL_MAX_PP_DIR_WRITES writes, in order.
 *
 * Per ring, RING_PP_DIR_DCLV (ring base + 0x220) = 0xffffffff
 * (PP_DIR_DCLV_2G: every line of PDEs valid) then RING_PP_DIR_BASE (ring
 * base + 0x228) = the directory's offset in the GGTT's entry area in
 * 64-byte lines, in bits 31:16 — which comes to @pd_offset itself (i915:
 * pp_dir = GGTT page index * 4 << 10, gen6_ppgtt.c pd_vma_bind(),
 * intel_ring_submission.c set_pp_dir(), load_pd_dir()).  Rings: render
 * 0x2000, video 0x12000, blitter 0x22000, and on Haswell the video
 * enhancement ring 0x1a000 (i915_pci.c engine masks).  i915 writes them by
 * MMIO while a ring is stopped (xcs_resume()) and otherwise with
 * MI_LOAD_REGISTER_IMM before every request (switch_mm()), followed by a
 * TLB invalidation (INSTPM); PPGTT mode itself is enabled elsewhere
 * (docs/intel.md).  None of this has run on hardware.
 *
 * Return: the number of writes, or -EINVAL for a platform without a gen6/7
 * PPGTT, a misaligned @pd_offset or NULL.
 */
GTT_API int gtt_intel_gen6_pp_dir_load(const struct gtt_intel_platform *p, uint64_t pd_offset,
				       struct gtt_intel_reg_write *out);

#ifdef __cplusplus
}
#endif
#endif
