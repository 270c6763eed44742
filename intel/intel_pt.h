/* SPDX-License-Identifier: MIT */
/*
 * Intel page tables, written once for every backend.  A backend supplies
 * the memory (struct intel_pt_mem): the mock gives host memory, the VFIO
 * backend DMA-mapped memory and the BAR0 GGTT window.  Everything else —
 * entry encoding, scratch filling, table allocation, store width, flushes,
 * the walk — is here.
 */
#ifndef GTT_BACKENDS_INTEL_PT_H
#define GTT_BACKENDS_INTEL_PT_H

#include <pthread.h>

#include <gtt/intel.h>

struct intel_pt_mem {
	void *ctx;
	/* GGTT: the entry window (host memory, or BAR0 + 8 MiB). */
	void *ggtt;
	/* PPGTT: 4 KiB naturally aligned tables reachable by the device. */
	void *(*alloc_table)(void *ctx, uint64_t *dma);
	void (*free_table)(void *ctx, void *cpu, uint64_t dma);
	void *(*table_cpu)(void *ctx, uint64_t dma);
	/* Make CPU writes to [cpu, cpu + len) visible to the device. */
	void (*flush)(void *ctx, const void *cpu, size_t len);
	/* GGTT: the MMIO registers (BAR0), for TLB invalidation; NULL if none. */
	void *mmio;
	/* Optional: store @value (@width 4 or 8 bytes) at @addr as one aligned
	 * store.  NULL means a direct store; the VFIO fake layer records here. */
	void (*write)(void *ctx, void *addr, uint64_t value, unsigned int width);
};
/* The vm calls the backend's invalidate op after every bind and clear, once
 * these functions have returned; GGTT backends call intel_ggtt_invalidate(). */

/* ---- GGTT ---- */

/*
 * The address bits of a GGTT entry: gen6/7 fold DMA address bits 39:32
 * (SNB/IVB/VLV) or 38:32 (HSW) into 11:4.  An entry is this ORed with
 * gtt_intel_ggtt_encode(fmt, 0, flags).  Inline: the bind loop calls it
 * for every entry.
 */
static inline uint64_t intel_ggtt_addr_field(enum gtt_intel_ggtt_format fmt,
					     uint64_t addr)
{
	switch (fmt) {
	case GTT_GGTT_SNB:
	case GTT_GGTT_IVB:
	case GTT_GGTT_VLV:
		return (addr & 0xfffff000ull) | ((addr >> 28) & 0xff0);
	case GTT_GGTT_HSW:
	case GTT_GGTT_HSW_EDRAM:
		return (addr & 0xfffff000ull) | ((addr >> 28) & 0x7f0);
	default:
		return addr;
	}
}

struct intel_ggtt {
	const struct gtt_intel_platform *platform;
	enum gtt_intel_ggtt_format fmt;
	unsigned int pte_size;
	uint64_t entries;		/* GGTT size / 4 KiB */
	uint64_t scratch_dma;
	uint64_t scratch_pte;
	struct intel_pt_mem mem;
	bool guc;			/* GuC runs: invalidate its TLB too */
	/* gen6/7 PPGTT page directories living in the window: GGTT ranges
	 * [lo, hi) whose entries are PDEs.  bind and clear refuse them
	 * (-EBUSY).  Changed only by intel_gen6_ppgtt_init()/_fini(), which
	 * must not race with binds and clears of this GGTT. */
	struct intel_ggtt_rsv { uint64_t lo, hi; } *rsv;
	size_t nrsv;
};

/* Take over a window whose entries are left as they are (inspection). */
int intel_ggtt_attach(struct intel_ggtt *g, const struct gtt_intel_platform *p,
		      enum gtt_intel_ggtt_format fmt, uint64_t size,
		      uint64_t scratch_dma, const struct intel_pt_mem *mem);
/* Attach and fill the whole window with scratch.  @fmt overrides the
 * platform's format (e.g. HSW with eDRAM). */
int intel_ggtt_init(struct intel_ggtt *g, const struct gtt_intel_platform *p,
		    enum gtt_intel_ggtt_format fmt, uint64_t size,
		    uint64_t scratch_dma, const struct intel_pt_mem *mem);
int intel_ggtt_bind(struct intel_ggtt *g, uint64_t start, uint64_t size,
		    const struct gtt_pages *pages, uint64_t pages_offset,
		    uint32_t flags);
int intel_ggtt_clear(struct intel_ggtt *g, uint64_t start, uint64_t size);
int intel_ggtt_translate(struct intel_ggtt *g, uint64_t addr,
			 struct gtt_translation *out);
/*
 * Invalidate the GPU's GGTT TLBs: the platform's register writes
 * (gtt_intel_ggtt_invalidation()) into mem.mmio.  Nothing without mmio.
 */
void intel_ggtt_invalidate(struct intel_ggtt *g);
/* For the gen6/7 PPGTT, whose page directory is a range of GGTT entries. */
/* Mark GGTT [start, start + size) as not the vm's: -EBUSY if it overlaps a
 * reservation or an entry there is not scratch, -ENOMEM. */
int intel_ggtt_reserve(struct intel_ggtt *g, uint64_t start, uint64_t size);
/* Drop the reservation starting at @start (the last one frees the list). */
void intel_ggtt_unreserve(struct intel_ggtt *g, uint64_t start);
/* The highest @align-aligned range of @size below the last GGTT page that
 * intel_ggtt_reserve() would accept: 0 and *@start, or -ENOSPC. */
int intel_ggtt_find_free(struct intel_ggtt *g, uint64_t size, uint64_t align,
			 uint64_t *start);
/* Entry @idx, raw: one aligned store / load of the entry width. */
void intel_ggtt_store_entry(struct intel_ggtt *g, uint64_t idx, uint64_t entry);
uint64_t intel_ggtt_load_entry(const struct intel_ggtt *g, uint64_t idx);
/* A fence and a posting read of entry @idx, which must hold @entry: -EIO if not. */
int intel_ggtt_flush_entries(struct intel_ggtt *g, uint64_t idx, uint64_t entry);

/* ---- PPGTT ---- */

#define PT_ENTRIES 512
/* Xe2 builds 5 levels (xe: vm_max_level = 4); gen8-MTL 3 or 4. */
#define PPGTT_MAX_LEVELS 5

/* How a page table (level 0) maps its 2 MiB. */
enum pt_mode {
	PT_4K = 0,		/* 512 entries of 4 KiB */
	PT_64K_IPS,		/* gen9-12.0: every 16th entry maps 64 KiB */
	PT_64K_COMPACT,		/* XeHP+: 32 entries of 64 KiB */
};

struct pt {
	void *cpu;			/* 512 entries of 8 bytes */
	uint64_t dma;
	unsigned int used;		/* non-scratch entries */
	enum pt_mode mode;		/* level 0 only */
	struct pt **child;		/* levels >= 1: shadow of the children */
	/* A new page table a bind writes whole: planned without its scratch
	 * fill and not linked by the plan; the bind's write pass writes
	 * every entry, then links it (so the device never sees it unfilled). */
	bool blank;
	/* A page table on the PPGTT's spare list: the next one there. */
	struct pt *next_spare;
};

/*
 * Page tables a clear empties are kept for the next bind, up to this many
 * (1 GiB of 4 KiB pages' worth: 2 MiB of table memory), instead of going
 * back to the allocator; the PPGTT's fini frees them.
 */
#define PPGTT_SPARE_MAX 512

struct intel_ppgtt {
	const struct gtt_intel_platform *platform;
	enum gtt_intel_ppgtt_format fmt;
	unsigned int levels;		/* 3 (32-bit), 4, or 5 (Xe2) */
	unsigned int top_entries;	/* 4 for 3-level, else 512 */
	uint64_t size;			/* 1 << ppgtt_bits */
	uint64_t scratch_dma;
	uint64_t scratch_entry[PPGTT_MAX_LEVELS];	/* what an empty entry holds, per level */
	/* What an entry pointing at a table of the level below holds
	 * besides the table's address, per level (1 up); for a page table
	 * in a 64 KiB mode, pt64k_bits. */
	uint64_t table_bits[PPGTT_MAX_LEVELS];
	uint64_t pt64k_bits;
	struct pt scratch_table[PPGTT_MAX_LEVELS - 1];	/* scratch PT, PD, PDP, PML4 */
	struct pt root;
	pthread_mutex_t lock;		/* table shape and used counts */
	struct intel_pt_mem mem;
	uint64_t tables;		/* tables allocated, scratch excluded */
	uint64_t huge_2m, huge_1g;	/* huge leaves currently mapped */
	uint64_t ps64_bit;		/* the PS64 hint bit of a PTE, 0 before XeHP */
	uint32_t pde_flags;		/* every table pointer's (pde_flags()) */
	/* Emptied page tables kept for reuse (PPGTT_SPARE_MAX at most):
	 * unlinked from the tree, every entry scratch, used 0. */
	struct pt *spare;
	unsigned int nspare;
};

/* On failure everything is freed and @pp is left zeroed: no fini then. */
int intel_ppgtt_init(struct intel_ppgtt *pp, const struct gtt_intel_platform *p,
		     uint64_t scratch_dma, const struct intel_pt_mem *mem);
void intel_ppgtt_fini(struct intel_ppgtt *pp);
int intel_ppgtt_bind(struct intel_ppgtt *pp, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t pages_offset,
		     uint32_t flags);
int intel_ppgtt_clear(struct intel_ppgtt *pp, uint64_t start, uint64_t size);
int intel_ppgtt_translate(struct intel_ppgtt *pp, uint64_t addr,
			  struct gtt_translation *out);

/* ---- gen6/7 PPGTT (SNB, IVB, HSW, VLV) ---- */

#define GEN6_PDES GTT_INTEL_GEN6_PDES	/* 512 PDEs of 4 MiB: 2 GiB */
#define GEN6_PTES GTT_INTEL_GEN6_PTES	/* 1024 four-byte PTEs per 4 KiB table */

struct gen6_pt {
	void *cpu;			/* 1024 entries of 4 bytes */
	uint64_t dma;
	unsigned int used;		/* non-scratch entries */
};

struct intel_gen6_ppgtt {
	const struct gtt_intel_platform *platform;
	enum gtt_intel_ggtt_format fmt;	/* the GGTT's: PTEs share its layout */
	struct intel_ggtt *ggtt;	/* holds the PDEs */
	uint64_t pd_offset;		/* GGTT address of the PD's entries */
	uint64_t size;			/* 2 GiB */
	uint64_t scratch_dma;
	uint64_t scratch_pte;		/* what an empty PTE holds */
	uint64_t scratch_pde;		/* what an empty PDE holds: the scratch PT */
	struct gen6_pt scratch_pt;
	struct gen6_pt *pt[GEN6_PDES];	/* NULL: the PDE points at the scratch PT */
	pthread_mutex_t lock;		/* table shape and used counts */
	struct intel_pt_mem mem;	/* page tables (the GGTT window is ggtt's) */
	uint64_t tables;		/* page tables allocated, scratch excluded */
};

/*
 * A PPGTT whose page directory is the 512 entries of @ggtt that map
 * [@pd_offset, @pd_offset + 2 MiB) (64 KiB aligned, all scratch): they are
 * reserved and pointed at the scratch page table.  On failure nothing is
 * left and @pp is zeroed: no fini then.
 */
int intel_gen6_ppgtt_init(struct intel_gen6_ppgtt *pp, struct intel_ggtt *ggtt,
			  uint64_t pd_offset, uint64_t scratch_dma,
			  const struct intel_pt_mem *mem);
/* Scratch back into the PD's GGTT entries, every table freed. */
void intel_gen6_ppgtt_fini(struct intel_gen6_ppgtt *pp);
int intel_gen6_ppgtt_bind(struct intel_gen6_ppgtt *pp, uint64_t start, uint64_t size,
			  const struct gtt_pages *pages, uint64_t pages_offset,
			  uint32_t flags);
int intel_gen6_ppgtt_clear(struct intel_gen6_ppgtt *pp, uint64_t start, uint64_t size);
int intel_gen6_ppgtt_translate(struct intel_gen6_ppgtt *pp, uint64_t addr,
			       struct gtt_translation *out);
/*
 * Free the page tables that map nothing, pointing their PDEs back at the
 * scratch table.  Only while no ring has this PD loaded: the hardware
 * caches PDEs in the context and cannot be told to drop them (i915 frees
 * them only when the PD leaves the GGTT, pd_vma_unbind()).  Returns the
 * number freed, or -EIO if the PDE posting read failed.
 */
int intel_gen6_ppgtt_trim(struct intel_gen6_ppgtt *pp);

#endif
