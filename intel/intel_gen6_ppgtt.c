/* SPDX-License-Identifier: MIT */
/*
 * The gen6/7 PPGTT (SNB, IVB, HSW, VLV): a page directory of 512 entries
 * that are GGTT entries — the ones mapping a 2 MiB, 64 KiB-aligned GGTT
 * range, which the GGTT code then refuses to bind or clear — each
 * pointing at a 4 KiB page table of 1024 four-byte PTEs in the GGTT's
 * own layout; 512 x 4 MiB = 2 GiB.  Written from i915's gt/gen6_ppgtt.c,
 * gt/gen6_ppgtt.h and gt/intel_gtt.h (read, not copied): I915_PDES,
 * GEN6_PTES, GEN6_PDE_SHIFT = 22, GEN6_PD_ALIGN, gen6_write_pde(),
 * gen6_flush_pd(), gen6_alloc_va_range(), gen6_ppgtt_clear_range().
 *
 * Empty PDEs point at a scratch page table full of scratch PTEs (i915's
 * scratch[1]); the scratch PTE is uncached, and read-only on VLV, the one
 * format with a writeable bit (i915 encodes it with PTE_READ_ONLY).
 * Page tables are allocated when a bind first needs them, filled with
 * scratch, written, and only then linked: one 32-bit store of the PDE
 * into the GGTT, then a fence, a posting read of the last PDE written and
 * the GGTT TLB invalidation, as gen6_flush_pd() does.  A clear scrubs PTEs
 * back to scratch but keeps the table, even empty, as i915 does: "the hw
 * doesn't support removing PDE on the fly (they are cached inside the
 * context with no means to invalidate the cache)".  intel_gen6_ppgtt_trim()
 * frees empty tables for a caller that knows no ring has the directory
 * loaded (i915 does that when the directory leaves the GGTT,
 * pd_vma_unbind()); fini frees the rest and puts scratch back into the
 * directory's GGTT entries.
 *
 * PTE writes to page tables are followed by the backend's flush of the
 * written lines.  The shape (pt[], used counts) is guarded by a mutex.
 */
#include <string.h>

#include <gtt/backend.h>

#include "intel_pt.h"
#include "base/util.h"

#define SZ_4K (1ull << 12)
#define SZ_4M (1ull << 22)	/* what one PDE maps: GEN6_PDE_SHIFT */

static bool is_gen6(const struct gtt_intel_platform *p)
{
	return p && p->graphics_ver >= 600 && p->graphics_ver < 800;
}

/* ---- register writes that load a directory ---- */

#define RING_PP_DIR_DCLV 0x220	/* i915 gt/intel_engine_regs.h, per ring base */
#define RING_PP_DIR_BASE 0x228
#define PP_DIR_DCLV_2G 0xffffffffu

GTT_API int gtt_intel_gen6_pp_dir_load(const struct gtt_intel_platform *p, uint64_t pd_offset,
				       struct gtt_intel_reg_write *out)
{
	/* RENDER_RING_BASE, GEN6_BSD_RING_BASE, BLT_RING_BASE, VEBOX_RING_BASE. */
	static const uint32_t base[] = { 0x2000, 0x12000, 0x22000, 0x1a000 };
	unsigned int rings, n = 0;

	if (!is_gen6(p) || !out || pd_offset % GTT_INTEL_GEN6_PD_ALIGN || pd_offset >> 32)
		return set_error(-EINVAL, "gtt_intel_gen6_pp_dir_load: not a gen6/7 platform, out is NULL, "
				 "or the directory at 0x%llx is not 64 KiB aligned below 4 GiB",
				 (unsigned long long)pd_offset);
	rings = p->family == GTT_INTEL_HSW ? 4 : 3;	/* HSW has the VEBOX ring */
	for (unsigned int r = 0; r < rings; r++) {
		out[n++] = (struct gtt_intel_reg_write){ base[r] + RING_PP_DIR_DCLV, PP_DIR_DCLV_2G,
							 false };
		/* GGTT page index * 4 bytes per entry << 10: the offset itself. */
		out[n++] = (struct gtt_intel_reg_write){ base[r] + RING_PP_DIR_BASE,
							 (uint32_t)(pd_offset / SZ_4K * 4 << 10), false };
	}
	return (int)n;
}

/* ---- tables ---- */

static uint64_t pd_slot(const struct intel_gen6_ppgtt *pp, unsigned int pde)
{
	return pp->pd_offset / SZ_4K + pde;
}

static int table_alloc(struct intel_gen6_ppgtt *pp, struct gen6_pt *t)
{
	t->cpu = pp->mem.alloc_table(pp->mem.ctx, &t->dma);
	if (!t->cpu)
		return -ENOMEM;
	t->used = 0;
	for (unsigned int i = 0; i < GEN6_PTES; i++)
		__atomic_store_n((uint32_t *)t->cpu + i, (uint32_t)pp->scratch_pte,
				 __ATOMIC_RELAXED);
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, t->cpu, GEN6_PTES * 4);
	return 0;
}

static void table_free(struct intel_gen6_ppgtt *pp, struct gen6_pt *t)
{
	pp->mem.free_table(pp->mem.ctx, t->cpu, t->dma);
	t->cpu = NULL;
}

/* The PDE of a page table at @dma (validated when the table was made). */
static uint64_t pde_of(const struct intel_gen6_ppgtt *pp, uint64_t dma)
{
	uint64_t e = 0;

	gtt_intel_gen6_pde_encode(pp->fmt, dma, &e);
	return e;
}

/* Write PDE slots [first, last] from pt[] (NULL: the scratch table), then
 * fence, posting read and GGTT TLB invalidation. */
static int write_pdes(struct intel_gen6_ppgtt *pp, unsigned int first, unsigned int last)
{
	uint64_t e = 0;
	int err;

	for (unsigned int i = first; i <= last; i++) {
		e = pp->pt[i] ? pde_of(pp, pp->pt[i]->dma) : pp->scratch_pde;
		intel_ggtt_store_entry(pp->ggtt, pd_slot(pp, i), e);
	}
	err = intel_ggtt_flush_entries(pp->ggtt, pd_slot(pp, last), e);
	intel_ggtt_invalidate(pp->ggtt);
	return err;
}

static void free_tables(struct intel_gen6_ppgtt *pp)
{
	for (unsigned int i = 0; i < GEN6_PDES; i++) {
		if (!pp->pt[i])
			continue;
		table_free(pp, pp->pt[i]);
		mem_free(pp->pt[i]);
		pp->pt[i] = NULL;
		pp->tables--;
	}
}

int intel_gen6_ppgtt_init(struct intel_gen6_ppgtt *pp, struct intel_ggtt *ggtt,
			  uint64_t pd_offset, uint64_t scratch_dma,
			  const struct intel_pt_mem *mem)
{
	bool reserved = false;
	int err;

	memset(pp, 0, sizeof(*pp));
	if (!ggtt || !is_gen6(ggtt->platform) || !mem || !mem->alloc_table ||
	    !mem->free_table || !mem->table_cpu)
		return set_error(-EINVAL, "intel gen6 ppgtt: no gen6/7 GGTT, or memory ops missing");
	if (pd_offset % GTT_INTEL_GEN6_PD_ALIGN)
		return set_error(-EINVAL, "intel gen6 ppgtt: page directory at GGTT 0x%llx is not 64 KiB aligned",
				 (unsigned long long)pd_offset);
	pp->platform = ggtt->platform;
	pp->fmt = ggtt->fmt;
	pp->ggtt = ggtt;
	pp->pd_offset = pd_offset;
	pp->size = GTT_INTEL_GEN6_PPGTT_SIZE;
	pp->scratch_dma = scratch_dma;
	pp->mem = *mem;
	pthread_mutex_init(&pp->lock, NULL);
	/* i915 gen6_ppgtt_init_scratch(): I915_CACHE_NONE, PTE_READ_ONLY (VLV only has the bit). */
	err = gtt_intel_ggtt_encode(pp->fmt, scratch_dma,
				    pp->fmt == GTT_GGTT_VLV ? GTT_PTE_READ_ONLY : 0, &pp->scratch_pte);
	if (!err)
		err = intel_ggtt_reserve(ggtt, pd_offset, GTT_INTEL_GEN6_PD_SPAN);
	reserved = !err;
	if (!err && table_alloc(pp, &pp->scratch_pt))
		err = set_error(-ENOMEM, "intel gen6 ppgtt: out of memory for the scratch page table");
	if (!err)
		err = gtt_intel_gen6_pde_encode(pp->fmt, pp->scratch_pt.dma, &pp->scratch_pde);
	if (!err)
		err = write_pdes(pp, 0, GEN6_PDES - 1);
	if (err) {
		if (reserved) {
			/* Put back what the directory's entries held. */
			for (unsigned int i = 0; i < GEN6_PDES; i++)
				intel_ggtt_store_entry(ggtt, pd_slot(pp, i), ggtt->scratch_pte);
			intel_ggtt_flush_entries(ggtt, pd_slot(pp, GEN6_PDES - 1), ggtt->scratch_pte);
			intel_ggtt_invalidate(ggtt);
			intel_ggtt_unreserve(ggtt, pd_offset);
		}
		if (pp->scratch_pt.cpu)
			table_free(pp, &pp->scratch_pt);
		pthread_mutex_destroy(&pp->lock);
		memset(pp, 0, sizeof(*pp));	/* the caller must not fini */
		return err;
	}
	return 0;
}

void intel_gen6_ppgtt_fini(struct intel_gen6_ppgtt *pp)
{
	struct intel_ggtt *g = pp->ggtt;

	if (!g)
		return;
	for (unsigned int i = 0; i < GEN6_PDES; i++)
		intel_ggtt_store_entry(g, pd_slot(pp, i), g->scratch_pte);
	/* A device that went away reads back wrong: nothing more to do then. */
	(void)intel_ggtt_flush_entries(g, pd_slot(pp, GEN6_PDES - 1), g->scratch_pte);
	intel_ggtt_invalidate(g);
	intel_ggtt_unreserve(g, pp->pd_offset);
	free_tables(pp);
	table_free(pp, &pp->scratch_pt);
	pthread_mutex_destroy(&pp->lock);
	pp->ggtt = NULL;
}

static int check_range(const struct intel_gen6_ppgtt *pp, uint64_t start, uint64_t size)
{
	if (!size || start % SZ_4K || size % SZ_4K || start >= pp->size ||
	    size > pp->size - start)
		return set_error(-ERANGE, "intel gen6 ppgtt: [0x%llx, +0x%llx) outside the 2 GiB address space or not 4 KiB aligned",
				 (unsigned long long)start, (unsigned long long)size);
	return 0;
}

/* ---- bind ---- */

int intel_gen6_ppgtt_bind(struct intel_gen6_ppgtt *pp, uint64_t start, uint64_t size,
			  const struct gtt_pages *pages, uint64_t pages_offset,
			  uint32_t flags)
{
	struct gen6_pt *fresh[GEN6_PDES] = { 0 };
	const struct gtt_pages_segment *segs;
	unsigned int first, last;
	uint64_t bits, pte, widest = 0, off = pages_offset, va, end;
	size_t nsegs, si = 0;
	int err;

	err = check_range(pp, start, size);
	if (err)
		return err;
	if (flags & GTT_PTE_NULL) {
		if (pages || pages_offset)
			return set_error(-EINVAL, "intel gen6 ppgtt: a NULL bind takes no pages");
		return intel_gen6_ppgtt_clear(pp, start, size);	/* no null PTE: scratch */
	}
	if (!pages || pages_offset > gtt_pages_size(pages) ||
	    size > gtt_pages_size(pages) - pages_offset)
		return set_error(-ERANGE, "intel gen6 ppgtt: bind runs past the end of the pages");
	if ((flags & GTT_PTE_READ_ONLY) && !pp->platform->ppgtt_read_only)
		return set_error(-EINVAL, "intel gen6 ppgtt: %s cannot map read-only (i915 offers no read-only gen6/7 PPGTT pages)",
				 pp->platform->name);
	/* Validate before writing: the widest address is the only one that can fail. */
	segs = gtt_pages_segments(pages, &nsegs);
	for (size_t k = 0; k < nsegs; k++)
		widest = u64_max(widest, segs[k].addr + segs[k].length - SZ_4K);
	err = gtt_intel_ggtt_encode(pp->fmt, 0, flags, &bits);
	if (!err)
		err = gtt_intel_ggtt_encode(pp->fmt, widest, flags, &pte);
	if (err)
		return err;

	first = (unsigned int)(start / SZ_4M);
	last = (unsigned int)((start + size - 1) / SZ_4M);
	pthread_mutex_lock(&pp->lock);
	/* Every table the bind needs, before anything is written. */
	for (unsigned int i = first; i <= last; i++) {
		if (pp->pt[i])
			continue;
		fresh[i] = mem_zalloc(sizeof(*fresh[i]));
		if (!fresh[i] || table_alloc(pp, fresh[i]) ||
		    gtt_intel_gen6_pde_encode(pp->fmt, fresh[i]->dma, &pte)) {
			if (fresh[i] && fresh[i]->cpu)
				table_free(pp, fresh[i]);
			mem_free(fresh[i]);
			fresh[i] = NULL;
			for (unsigned int k = first; k < i; k++) {
				if (fresh[k]) {
					table_free(pp, fresh[k]);
					mem_free(fresh[k]);
				}
			}
			pthread_mutex_unlock(&pp->lock);
			return set_error(-ENOMEM, "intel gen6 ppgtt: out of memory for a page table (nothing changed)");
		}
	}
	/* The PTEs, new tables still unlinked. */
	while (si < nsegs && off >= segs[si].length)
		off -= segs[si++].length;
	for (va = start, end = start + size; va < end;) {
		unsigned int pde = (unsigned int)(va / SZ_4M);
		struct gen6_pt *t = pp->pt[pde] ? pp->pt[pde] : fresh[pde];
		uint32_t *e = t->cpu;
		unsigned int i0 = (unsigned int)(va % SZ_4M / SZ_4K), i = i0;
		uint64_t stop = u64_min(end, (uint64_t)(pde + 1) * SZ_4M);

		for (; va < stop; va += SZ_4K, i++) {
			uint32_t pte = (uint32_t)(bits | intel_ggtt_addr_field(pp->fmt,
								      segs[si].addr + off));

			/* used counts entries that differ from scratch: the
			 * scratch page bound with scratch's bits is not one. */
			t->used += (__atomic_load_n(&e[i], __ATOMIC_RELAXED) == (uint32_t)pp->scratch_pte) -
				   (pte == (uint32_t)pp->scratch_pte);
			__atomic_store_n(&e[i], pte, __ATOMIC_RELAXED);
			off += SZ_4K;
			if (off >= segs[si].length && si + 1 < nsegs) {
				off = 0;
				si++;
			}
		}
		if (pp->mem.flush)
			pp->mem.flush(pp->mem.ctx, e + i0, (i - i0) * 4);
	}
	/* Then link the new tables: one PDE store each. */
	unsigned int lo = GEN6_PDES, hi = 0;

	for (unsigned int i = first; i <= last; i++) {
		if (!fresh[i])
			continue;
		pp->pt[i] = fresh[i];
		pp->tables++;
		lo = i < lo ? i : lo;
		hi = i;
	}
	err = lo <= hi ? write_pdes(pp, lo, hi) : 0;
	pthread_mutex_unlock(&pp->lock);
	return err;
}

/* ---- clear ---- */

int intel_gen6_ppgtt_clear(struct intel_gen6_ppgtt *pp, uint64_t start, uint64_t size)
{
	int err = check_range(pp, start, size);

	if (err)
		return err;
	pthread_mutex_lock(&pp->lock);
	for (uint64_t va = start, end = start + size; va < end;) {
		unsigned int pde = (unsigned int)(va / SZ_4M);
		uint64_t stop = u64_min(end, (uint64_t)(pde + 1) * SZ_4M);
		struct gen6_pt *t = pp->pt[pde];

		if (t) {
			uint32_t *e = t->cpu;
			unsigned int i0 = (unsigned int)(va % SZ_4M / SZ_4K), i = i0;

			for (uint64_t a = va; a < stop; a += SZ_4K, i++) {
				if (__atomic_load_n(&e[i], __ATOMIC_RELAXED) == (uint32_t)pp->scratch_pte)
					continue;
				__atomic_store_n(&e[i], (uint32_t)pp->scratch_pte, __ATOMIC_RELAXED);
				t->used--;
			}
			if (pp->mem.flush)
				pp->mem.flush(pp->mem.ctx, e + i0, (i - i0) * 4);
		}
		va = stop;
	}
	pthread_mutex_unlock(&pp->lock);
	return 0;
}

int intel_gen6_ppgtt_trim(struct intel_gen6_ppgtt *pp)
{
	unsigned int lo = GEN6_PDES, hi = 0;
	struct gen6_pt *gone[GEN6_PDES] = { 0 };
	int n = 0, err = 0;

	pthread_mutex_lock(&pp->lock);
	for (unsigned int i = 0; i < GEN6_PDES; i++) {
		if (!pp->pt[i] || pp->pt[i]->used)
			continue;
		gone[i] = pp->pt[i];
		pp->pt[i] = NULL;
		lo = i < lo ? i : lo;
		hi = i;
	}
	/* The PDEs point at scratch before the tables go. */
	if (lo <= hi)
		err = write_pdes(pp, lo, hi);
	for (unsigned int i = 0; i < GEN6_PDES; i++) {
		if (!gone[i])
			continue;
		table_free(pp, gone[i]);
		mem_free(gone[i]);
		pp->tables--;
		n++;
	}
	pthread_mutex_unlock(&pp->lock);
	return err ? err : n;
}

/* ---- walk ---- */

int intel_gen6_ppgtt_translate(struct intel_gen6_ppgtt *pp, uint64_t addr,
			       struct gtt_translation *out)
{
	struct gtt_intel_entry d;
	uint64_t pde, pte;
	const uint32_t *table;
	int err;

	if (addr >= pp->size)
		return set_error(-ERANGE, "intel gen6 ppgtt: 0x%llx is outside the 2 GiB address space",
				 (unsigned long long)addr);
	pthread_mutex_lock(&pp->lock);
	/* As the device does: the PDE from the GGTT, the table by DMA address. */
	pde = intel_ggtt_load_entry(pp->ggtt, pd_slot(pp, (unsigned int)(addr / SZ_4M)));
	err = gtt_intel_gen6_pde_decode(pp->fmt, pde, &d);
	if (!err && !d.present) {
		*out = (struct gtt_translation){ .pte = pde, .level = 1,
						 .extent = SZ_4M - addr % SZ_4M };
		goto out;
	}
	if (err)
		goto out;
	table = d.addr == pp->scratch_pt.dma ? pp->scratch_pt.cpu
					     : pp->mem.table_cpu(pp->mem.ctx, d.addr);
	if (!table) {
		err = set_error(-EFAULT, "intel gen6 ppgtt: PDE points at 0x%llx, which is no table",
				(unsigned long long)d.addr);
		goto out;
	}
	pte = __atomic_load_n(&table[addr % SZ_4M / SZ_4K], __ATOMIC_RELAXED);
	err = gtt_intel_ggtt_decode(pp->fmt, pte, &d);
	if (err)
		goto out;
	out->present = d.present;
	out->null = false;
	out->scratch = d.present && d.addr == pp->scratch_dma;
	out->addr = d.addr + addr % SZ_4K;
	out->flags = d.flags;
	out->page_size = SZ_4K;
	out->pte = pte;
	out->level = 0;
	out->extent = SZ_4K - addr % SZ_4K;
	/* Through the scratch table: the rest of its 4 MiB is scratch too. */
	if (table == pp->scratch_pt.cpu)
		out->extent = SZ_4M - addr % SZ_4M;
out:
	pthread_mutex_unlock(&pp->lock);
	return err;
}
