/* SPDX-License-Identifier: MIT */
/*
 * The Intel GGTT: a flat array of 4-byte (gen6/7) or 8-byte (gen8+)
 * entries in a window the backend maps.  Every entry that maps nothing
 * holds the scratch entry; unbinding always scrubs back to scratch.
 *
 * Each entry is written with one aligned store of its full width (the
 * device drops wider writes and may observe torn narrower ones).  After a
 * batch: a full fence and a posting read of the last entry written (which
 * also catches dropped writes); the vm then calls the backend's TLB
 * invalidation.
 */
#include <gtt/backend.h>

#include "intel_pt.h"
#include "intel_pt_write.h"
#include "base/util.h"

#define GTT_PAGE 4096ull

static bool covers(const struct intel_ggtt *g, uint64_t start, uint64_t size);
static int refuse_reserved(const struct intel_ggtt *g, const char *op, uint64_t start,
			   uint64_t size);

/* One aligned store of @width (4 or 8) bytes, through the seam if any. */
static void put(const struct intel_pt_mem *mem, void *addr, uint64_t value,
		unsigned int width)
{
	if (__builtin_expect(mem->write != NULL, 0))
		mem->write(mem->ctx, addr, value, width);
	else if (width == 8)
		__atomic_store_n((uint64_t *)addr, value, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint32_t *)addr, (uint32_t)value, __ATOMIC_RELAXED);
}

static void store(struct intel_ggtt *g, uint64_t idx, uint64_t pte)
{
	put(&g->mem, (char *)g->mem.ggtt + idx * g->pte_size, pte, g->pte_size);
}

static uint64_t load(const struct intel_ggtt *g, uint64_t idx)
{
	if (g->pte_size == 8)
		return __atomic_load_n((uint64_t *)g->mem.ggtt + idx, __ATOMIC_RELAXED);
	return __atomic_load_n((uint32_t *)g->mem.ggtt + idx, __ATOMIC_RELAXED);
}

/* Fence, then a posting read of the last entry written. */
static int finish(struct intel_ggtt *g, uint64_t last_idx, uint64_t last_pte)
{
	full_fence();
	if (load(g, last_idx) != (g->pte_size == 8 ? last_pte : (uint32_t)last_pte))
		return set_error(-EIO, "intel ggtt: readback of entry %llu does not match what was written",
				 (unsigned long long)last_idx);
	return 0;
}

int intel_ggtt_attach(struct intel_ggtt *g, const struct gtt_intel_platform *p,
		      enum gtt_intel_ggtt_format fmt, uint64_t size,
		      uint64_t scratch_dma, const struct intel_pt_mem *mem)
{
	if (!p || !mem || !mem->ggtt || !size || size % GTT_PAGE)
		return set_error(-EINVAL, "intel ggtt: platform, memory window or size missing");
	g->platform = p;
	g->fmt = fmt;
	g->pte_size = p->ggtt_pte_size;
	g->entries = size / GTT_PAGE;
	g->scratch_dma = scratch_dma;
	g->mem = *mem;
	/*
	 * Scratch is never in local memory here, and encoded as the kernel
	 * does: i915's I915_CACHE_NONE PAT index, which only the MTL format
	 * (12.70+) has bits for: 2 on MTL/ARL, as xe's XE_CACHE_WB is on Xe2
	 * (xe_ggtt.c encodes its scratch with that one).
	 */
	return gtt_intel_ggtt_encode(fmt, scratch_dma,
				     fmt == GTT_GGTT_MTL ? GTT_PTE_PAT(2) : 0,
				     &g->scratch_pte);
}

int intel_ggtt_init(struct intel_ggtt *g, const struct gtt_intel_platform *p,
		    enum gtt_intel_ggtt_format fmt, uint64_t size,
		    uint64_t scratch_dma, const struct intel_pt_mem *mem)
{
	int err = intel_ggtt_attach(g, p, fmt, size, scratch_dma, mem);

	if (err)
		return err;
	for (uint64_t i = 0; i < g->entries; i++)
		store(g, i, g->scratch_pte);
	return finish(g, g->entries - 1, g->scratch_pte);
}

static bool covers(const struct intel_ggtt *g, uint64_t start, uint64_t size)
{
	return size && !(start % GTT_PAGE) && !(size % GTT_PAGE) &&
	       start / GTT_PAGE <= g->entries &&
	       size / GTT_PAGE <= g->entries - start / GTT_PAGE;
}

int intel_ggtt_bind(struct intel_ggtt *g, uint64_t start, uint64_t size,
		    const struct gtt_pages *pages, uint64_t pages_offset,
		    uint32_t flags)
{
	const struct gtt_pages_segment *segs;
	uint64_t idx, end, bits, pte = 0, off = pages_offset;
	size_t nsegs, si = 0;
	int err;

	if (flags & GTT_PTE_NULL)
		return set_error(-EOPNOTSUPP, "intel ggtt: the GGTT has no null entries (GTT_PTE_NULL)");
	if (!covers(g, start, size) || pages_offset > gtt_pages_size(pages) ||
	    size > gtt_pages_size(pages) - pages_offset)
		return set_error(-ERANGE, "intel ggtt: bind [0x%llx, +0x%llx) outside the table or the pages",
				 (unsigned long long)start, (unsigned long long)size);
	err = refuse_reserved(g, "bind", start, size);
	if (err)
		return err;
	/* Validate before writing, so a failure writes nothing; the widest
	 * address is the only one that can be too wide. */
	segs = gtt_pages_segments(pages, &nsegs);
	err = gtt_intel_ggtt_encode(g->fmt, 0, flags, &bits);
	if (!err)
		err = gtt_intel_ggtt_encode(g->fmt, gtt_pages_last_page(pages), flags, &pte);
	if (err)
		return err;
	idx = start / GTT_PAGE;
	end = idx + size / GTT_PAGE;
	/* gen8+ entries hold the address as is; no recording seam: the
	 * shared writer, one 8-byte store per entry, from the page array
	 * where that is the denser input. */
	bool plain = !g->mem.write && g->pte_size == 8 &&
		     intel_ggtt_addr_field(g->fmt, UINT64_MAX) == UINT64_MAX;
	size_t npages;
	const uint64_t *pa = plain ? intel_write_array(pages, &npages) : NULL;

	if (pa) {
		pte = intel_write_pages((uint64_t *)g->mem.ggtt + idx, end - idx, bits,
					pa + pages_offset / GTT_PAGE, false);
		return finish(g, end - 1, pte);
	}
	while (si < nsegs && off >= segs[si].length)
		off -= segs[si++].length;
	if (plain) {
		pte = intel_write_entries((uint64_t *)g->mem.ggtt + idx, end - idx, bits,
					  segs, nsegs, &si, &off, false);
		return finish(g, end - 1, pte);
	}
	while (idx < end) {
		uint64_t n = (segs[si].length - off) / GTT_PAGE;

		if (n > end - idx)
			n = end - idx;
		for (uint64_t k = 0; k < n; k++) {
			pte = bits | intel_ggtt_addr_field(g->fmt, segs[si].addr + off +
							   k * GTT_PAGE);
			store(g, idx + k, pte);
		}
		idx += n;
		off = 0;
		si++;
	}
	return finish(g, end - 1, pte);
}

int intel_ggtt_clear(struct intel_ggtt *g, uint64_t start, uint64_t size)
{
	uint64_t first = start / GTT_PAGE, n = size / GTT_PAGE;

	if (!covers(g, start, size))
		return set_error(-ERANGE, "intel ggtt: clear [0x%llx, +0x%llx) outside the table",
				 (unsigned long long)start, (unsigned long long)size);
	int err = refuse_reserved(g, "clear", start, size);

	if (err)
		return err;
	if (!g->mem.write && g->pte_size == 8) {	/* no seam: plain 8-byte stores */
		uint64_t *e = (uint64_t *)g->mem.ggtt + first;

		for (uint64_t i = 0; i < n; i++)
			__atomic_store_n(e + i, g->scratch_pte, __ATOMIC_RELAXED);
	} else {
		for (uint64_t i = 0; i < n; i++)
			store(g, first + i, g->scratch_pte);
	}
	return finish(g, first + n - 1, g->scratch_pte);
}

int intel_ggtt_translate(struct intel_ggtt *g, uint64_t addr,
			 struct gtt_translation *out)
{
	struct gtt_intel_entry e;
	uint64_t pte;
	int err;

	if (addr / GTT_PAGE >= g->entries)
		return set_error(-ERANGE, "intel ggtt: 0x%llx is past the end of the GGTT",
				 (unsigned long long)addr);
	pte = load(g, addr / GTT_PAGE);
	err = gtt_intel_ggtt_decode(g->fmt, pte, &e);
	if (err)
		return err;
	out->present = e.present;
	out->scratch = e.present && e.addr == g->scratch_dma;
	out->addr = e.addr + addr % GTT_PAGE;
	out->flags = e.flags;
	out->page_size = GTT_PAGE;
	out->pte = pte;
	out->level = 0;
	return 0;
}

void intel_ggtt_invalidate(struct intel_ggtt *g)
{
	struct gtt_intel_reg_write w[GTT_INTEL_MAX_INVAL_WRITES];
	int n = g->mem.mmio ? gtt_intel_ggtt_invalidation(g->platform, g->guc, w) : 0;

	for (int i = 0; i < n; i++) {
		uint32_t *reg = (uint32_t *)((char *)g->mem.mmio + w[i].reg);

		put(&g->mem, reg, w[i].value, 4);
		if (w[i].readback)
			(void)__atomic_load_n(reg, __ATOMIC_RELAXED);
	}
}

/* ---- ranges of entries that are a gen6/7 PPGTT's page directory ---- */

static bool reserved(const struct intel_ggtt *g, uint64_t start, uint64_t size)
{
	for (size_t i = 0; i < g->nrsv; i++)
		if (start < g->rsv[i].hi && g->rsv[i].lo < start + size)
			return true;
	return false;
}

static int refuse_reserved(const struct intel_ggtt *g, const char *op, uint64_t start,
			   uint64_t size)
{
	if (!g->nrsv || !reserved(g, start, size))
		return 0;
	return set_error(-EBUSY, "intel ggtt: %s [0x%llx, +0x%llx) overlaps the entries of a gen6/7 PPGTT page directory",
			 op, (unsigned long long)start, (unsigned long long)size);
}

/* Every entry of [start, start + size) holds scratch. */
static bool all_scratch(const struct intel_ggtt *g, uint64_t start, uint64_t size)
{
	uint64_t want = g->pte_size == 8 ? g->scratch_pte : (uint32_t)g->scratch_pte;

	for (uint64_t i = start / GTT_PAGE; i < (start + size) / GTT_PAGE; i++)
		if (load(g, i) != want)
			return false;
	return true;
}

int intel_ggtt_reserve(struct intel_ggtt *g, uint64_t start, uint64_t size)
{
	struct intel_ggtt_rsv *v;

	if (!covers(g, start, size))
		return set_error(-ERANGE, "intel ggtt: reserve [0x%llx, +0x%llx) outside the table",
				 (unsigned long long)start, (unsigned long long)size);
	if (reserved(g, start, size) || !all_scratch(g, start, size))
		return set_error(-EBUSY, "intel ggtt: [0x%llx, +0x%llx) is in use (mapped, or another page directory)",
				 (unsigned long long)start, (unsigned long long)size);
	v = mem_realloc(g->rsv, (g->nrsv + 1) * sizeof(*v));
	if (!v)
		return set_error(-ENOMEM, "intel ggtt: out of memory for a reserved range");
	v[g->nrsv++] = (struct intel_ggtt_rsv){ start, start + size };
	g->rsv = v;
	return 0;
}

void intel_ggtt_unreserve(struct intel_ggtt *g, uint64_t start)
{
	for (size_t i = 0; i < g->nrsv; i++) {
		if (g->rsv[i].lo != start)
			continue;
		g->rsv[i] = g->rsv[--g->nrsv];
		break;
	}
	if (!g->nrsv) {
		mem_free(g->rsv);
		g->rsv = NULL;
	}
}

int intel_ggtt_find_free(struct intel_ggtt *g, uint64_t size, uint64_t align,
			 uint64_t *start)
{
	/* Below the last page, which stays scratch (i915's prefetch guard). */
	uint64_t top = (g->entries - 1) * GTT_PAGE;

	if (!size || !align || size > top)
		return set_error(-ENOSPC, "intel ggtt: no room for 0x%llx bytes of reserved entries",
				 (unsigned long long)size);
	for (uint64_t at = (top - size) / align * align;; at -= align) {
		if (at && !reserved(g, at, size) && all_scratch(g, at, size)) {
			*start = at;
			return 0;
		}
		if (at < align)
			break;
	}
	return set_error(-ENOSPC, "intel ggtt: no free 0x%llx-byte range of scratch entries (page 0 excluded)",
			 (unsigned long long)size);
}

void intel_ggtt_store_entry(struct intel_ggtt *g, uint64_t idx, uint64_t entry)
{
	store(g, idx, entry);
}

uint64_t intel_ggtt_load_entry(const struct intel_ggtt *g, uint64_t idx)
{
	return load(g, idx);
}

int intel_ggtt_flush_entries(struct intel_ggtt *g, uint64_t idx, uint64_t entry)
{
	return finish(g, idx, entry);
}
