/* SPDX-License-Identifier: MIT */
/*
 * The Intel PPGTT (gen8+): a 3-level (32-bit: four page directories, as
 * i915 preallocates them), 4-level or, on Xe2, 5-level radix tree of 4 KiB
 * tables of 512 eight-byte entries.  Bits 47:39 index the PML4, 38:30 the
 * PDP, 29:21 the PD, 20:12 the page table; on Xe2 the root is one level
 * higher, indexed by bits 56:48, as xe builds it (xe_pci.c: va_bits = 48,
 * vm_max_level = 4; xe_pt.c: level shifts 12, 21, 30, 39, 48), so with
 * 48-bit addresses only its entry 0 is used.
 *
 * Empty entries point at the scratch hierarchy: a scratch PT full of
 * scratch-page PTEs, a scratch PD full of pointers to it, a scratch PDP
 * full of pointers to that.  Tables are allocated when a bind first needs
 * them and freed as soon as their last non-scratch entry is cleared.  A
 * bind uses a 1 GiB or 2 MiB leaf wherever the platform allows it and the
 * range and the pages are aligned and contiguous for it, and sets the PS64
 * hint on 64 KiB-contiguous runs on XeHP+.
 *
 * 64 KiB page tables: on gen9-12.0 a bind that covers a page table's whole
 * 2 MiB with 64 KiB-aligned, 64 KiB-contiguous chunks puts that table in
 * IPS mode (every 16th entry maps 64 KiB; PDE bit 11).  On XeHP+ local
 * memory must be mapped in 64 KiB units by compact tables (32 entries of
 * 64 KiB; PDE bit 6); a table is either compact or not, so local and
 * system memory cannot share a 2 MiB region, and compact tables need a
 * 64 KiB-aligned scratch page.
 *
 * Every table write is followed by the backend's flush of the written
 * lines (a real device does not snoop page-table reads); the vm invalidates
 * TLBs through the backend after each operation.  The table shape is
 * guarded by a mutex.
 */
#include <stdlib.h>
#include <string.h>

#include <gtt/backend.h>

#include "intel_pt.h"
#include "base/util.h"

#define SZ_4K (1ull << 12)
#define SZ_64K (1ull << 16)
#define SZ_2M (1ull << 21)
#define SZ_1G (1ull << 30)

static inline unsigned int shift_of(unsigned int level)
{
	return 12 + 9 * level;
}

static inline unsigned int index_at(uint64_t addr, unsigned int level)
{
	return (unsigned int)(addr >> shift_of(level)) & (PT_ENTRIES - 1);
}

static void put_entry(struct intel_ppgtt *pp, struct pt *t, unsigned int i,
		      uint64_t e)
{
	uint64_t *slot = (uint64_t *)t->cpu + i;

	__atomic_store_n(slot, e, __ATOMIC_RELAXED);
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, slot, sizeof(*slot));
}

static uint64_t get_entry(const struct pt *t, unsigned int i)
{
	return __atomic_load_n((uint64_t *)t->cpu + i, __ATOMIC_RELAXED);
}

/* A table of @level filled with that level's scratch entry. */
static int table_alloc(struct intel_ppgtt *pp, unsigned int level,
		       struct pt *t, bool shadow)
{
	t->cpu = pp->mem.alloc_table(pp->mem.ctx, &t->dma);
	if (!t->cpu)
		return -ENOMEM;
	t->used = 0;
	t->child = NULL;
	if (shadow && level > 0) {
		t->child = mem_zalloc(PT_ENTRIES * sizeof(*t->child));
		if (!t->child) {
			pp->mem.free_table(pp->mem.ctx, t->cpu, t->dma);
			t->cpu = NULL;	/* nothing for a later table_free() */
			return -ENOMEM;
		}
	}
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		__atomic_store_n((uint64_t *)t->cpu + i, pp->scratch_entry[level],
				 __ATOMIC_RELAXED);
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, t->cpu, PT_ENTRIES * 8);
	return 0;
}

static void table_free(struct intel_ppgtt *pp, struct pt *t)
{
	mem_free(t->child);
	pp->mem.free_table(pp->mem.ctx, t->cpu, t->dma);
	t->cpu = NULL;
}

int intel_ppgtt_init(struct intel_ppgtt *pp, const struct gtt_intel_platform *p,
		     uint64_t scratch_dma, const struct intel_pt_mem *mem)
{
	int err;

	memset(pp, 0, sizeof(*pp));
	if (!p || p->ppgtt_format == GTT_PPGTT_NONE || p->ppgtt_levels < 3 ||
	    p->ppgtt_levels > PPGTT_MAX_LEVELS || !mem || !mem->alloc_table ||
	    !mem->free_table || !mem->table_cpu)
		return set_error(-EINVAL, "intel ppgtt: platform has no gen8 PPGTT, or memory ops missing");
	pp->platform = p;
	pp->fmt = p->ppgtt_format;
	pp->levels = p->ppgtt_levels;
	pp->top_entries = pp->levels == 3 ? 4 : PT_ENTRIES;
	pp->size = 1ull << p->ppgtt_bits;
	pp->scratch_dma = scratch_dma;
	pp->mem = *mem;
	pthread_mutex_init(&pp->lock, NULL);

	/* The scratch hierarchy, bottom up. */
	err = gtt_intel_ppgtt_encode(pp->fmt, 0, scratch_dma, 0, &pp->scratch_entry[0]);
	for (unsigned int l = 1; !err && l < pp->levels; l++) {
		err = table_alloc(pp, l - 1, &pp->scratch_table[l - 1], false);
		if (!err)
			err = gtt_intel_ppgtt_encode(pp->fmt, l, pp->scratch_table[l - 1].dma,
						     0, &pp->scratch_entry[l]);
	}
	if (!err)
		err = table_alloc(pp, pp->levels - 1, &pp->root, true);
	/* 3-level: the four page directories always exist (they are registers). */
	for (unsigned int i = 0; !err && pp->levels == 3 && i < 4; i++) {
		struct pt *pd = mem_zalloc(sizeof(*pd));

		err = pd ? table_alloc(pp, 1, pd, true) : -ENOMEM;
		if (err) {
			mem_free(pd);
			break;
		}
		uint64_t e;

		pp->root.child[i] = pd;
		gtt_intel_ppgtt_encode(pp->fmt, 2, pd->dma, 0, &e);
		put_entry(pp, &pp->root, i, e);
	}
	if (err) {
		intel_ppgtt_fini(pp);
		memset(pp, 0, sizeof(*pp));	/* the caller must not fini again */
		return set_error(err, "intel ppgtt: cannot allocate the scratch hierarchy or root");
	}
	return 0;
}

static void free_subtree(struct intel_ppgtt *pp, struct pt *t, unsigned int level)
{
	if (t->child)
		for (unsigned int i = 0; i < PT_ENTRIES; i++)
			if (t->child[i]) {
				free_subtree(pp, t->child[i], level - 1);
				mem_free(t->child[i]);
			}
	table_free(pp, t);
}

void intel_ppgtt_fini(struct intel_ppgtt *pp)
{
	if (pp->root.cpu)
		free_subtree(pp, &pp->root, pp->levels - 1);
	for (unsigned int l = 0; l < PPGTT_MAX_LEVELS - 1; l++)
		if (pp->scratch_table[l].cpu)
			table_free(pp, &pp->scratch_table[l]);
	pthread_mutex_destroy(&pp->lock);
}

/* ---- bind ---- */

struct cursor {
	const struct gtt_pages_segment *segs;
	size_t nsegs, si;
	uint64_t off;		/* within segs[si] */
	uint64_t leaf_bits;	/* encode(0, flags): OR in an address */
	uint64_t ps64_bits;	/* the same with the PS64 hint */
	uint32_t flags;
};

static uint64_t cur_addr(const struct cursor *c)
{
	return c->segs[c->si].addr + c->off;
}

/* Bytes physically contiguous from the cursor. */
static uint64_t cur_run(const struct cursor *c)
{
	uint64_t run = c->segs[c->si].length - c->off;

	for (size_t s = c->si + 1; s < c->nsegs &&
	     c->segs[s].addr == c->segs[s - 1].addr + c->segs[s - 1].length; s++)
		run += c->segs[s].length;
	return run;
}

static void cur_advance(struct cursor *c, uint64_t n)
{
	c->off += n;
	while (c->si < c->nsegs && c->off >= c->segs[c->si].length) {
		c->off -= c->segs[c->si].length;
		c->si++;
	}
}

/* Child table under entry @i of @t (a level @level table), created on demand. */
/* Child table under entry @i of @t (a level @level table), created on
 * demand; a page table is created in @mode. */
static struct pt *child_of(struct intel_ppgtt *pp, struct pt *t,
			   unsigned int level, unsigned int i, enum pt_mode mode,
			   int *err)
{
	struct pt *c = t->child[i];
	uint64_t e;

	if (c)
		return c;
	c = mem_zalloc(sizeof(*c));
	if (!c || table_alloc(pp, level - 1, c, true)) {
		mem_free(c);
		*err = set_error(-ENOMEM, "intel ppgtt: out of memory for a level-%u table",
				 level - 1);
		return NULL;
	}
	c->mode = level == 1 ? mode : PT_4K;
	t->child[i] = c;
	gtt_intel_ppgtt_encode(pp->fmt, level, c->dma,
			       c->mode != PT_4K ? GTT_INTEL_PT_64K : 0, &e);
	put_entry(pp, t, i, e);
	t->used++;
	pp->tables++;
	return c;
}

/* Whether [cur, cur + len) is made of 64 KiB-aligned, 64 KiB-contiguous chunks. */
static bool chunks_64k(const struct cursor *cur, uint64_t len)
{
	struct cursor c = *cur;

	for (uint64_t done = 0; done < len; done += SZ_64K) {
		if ((cur_addr(&c) & (SZ_64K - 1)) || cur_run(&c) < SZ_64K)
			return false;
		cur_advance(&c, SZ_64K);
	}
	return true;
}

/* Entry index of @va in a page table of @mode. */
static unsigned int pte_index(enum pt_mode mode, uint64_t va)
{
	switch (mode) {
	case PT_64K_IPS:
		return (unsigned int)((va >> 16) & 31) * 16;
	case PT_64K_COMPACT:
		return (unsigned int)(va >> 16) & 31;
	default:
		return index_at(va, 0);
	}
}

/* Fill [va, end) of a 64 KiB-mode table, 64 KiB per entry. */
static int bind_ptes_64k(struct intel_ppgtt *pp, struct pt *t, uint64_t va,
			 uint64_t end, struct cursor *cur)
{
	uint64_t *e = t->cpu;

	if ((va | end) & (SZ_64K - 1) || !chunks_64k(cur, end - va))
		return set_error(-EINVAL, "intel ppgtt: a 64 KiB page table needs 64 KiB-aligned ranges and pages (at 0x%llx)",
				 (unsigned long long)va);
	for (; va < end; va += SZ_64K) {
		unsigned int i = pte_index(t->mode, va);

		if (__atomic_load_n(&e[i], __ATOMIC_RELAXED) == pp->scratch_entry[0])
			t->used++;
		__atomic_store_n(&e[i], cur->leaf_bits | cur_addr(cur), __ATOMIC_RELAXED);
		cur_advance(cur, SZ_64K);
	}
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, e, PT_ENTRIES * sizeof(*e));
	return 0;
}

/*
 * Write the PTEs of [va, end), all inside table @t.  Addresses were
 * validated per segment, so each entry is the precomputed bits OR the
 * address; the written span is flushed once.
 */
static int bind_ptes(struct intel_ppgtt *pp, struct pt *t, uint64_t va,
		     uint64_t end, struct cursor *cur)
{
	bool ps64_ok = pp->fmt >= GTT_PPGTT_XEHP &&
		       (pp->platform->page_sizes & GTT_INTEL_PAGE_64K);
	unsigned int first = index_at(va, 0), i = first;
	uint64_t *e = t->cpu;

	while (va < end) {
		uint64_t left = (end - va) / SZ_4K;
		uint64_t in_seg = (cur->segs[cur->si].length - cur->off) / SZ_4K;
		uint64_t bits = cur->leaf_bits, addr = cur_addr(cur), n;

		if (ps64_ok && !(va & (SZ_64K - 1)) && left >= 16 &&
		    !(addr & (SZ_64K - 1)) && cur_run(cur) >= SZ_64K) {
			/* A whole 64K block: hint it (may span segments). */
			for (unsigned int k = 0; k < 16; k++, i++) {
				if (__atomic_load_n(&e[i], __ATOMIC_RELAXED) == pp->scratch_entry[0])
					t->used++;
				__atomic_store_n(&e[i], cur->ps64_bits | cur_addr(cur),
						 __ATOMIC_RELAXED);
				cur_advance(cur, SZ_4K);
			}
			va += SZ_64K;
			continue;
		}
		n = left < in_seg ? left : in_seg;
		if (ps64_ok && n > (SZ_64K - (va & (SZ_64K - 1))) / SZ_4K)
			n = (SZ_64K - (va & (SZ_64K - 1))) / SZ_4K;	/* stop at 64K */
		for (uint64_t k = 0; k < n; k++, i++) {
			if (__atomic_load_n(&e[i], __ATOMIC_RELAXED) == pp->scratch_entry[0])
				t->used++;
			__atomic_store_n(&e[i], bits | (addr + k * SZ_4K), __ATOMIC_RELAXED);
		}
		cur_advance(cur, n * SZ_4K);
		va += n * SZ_4K;
	}
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, e + first, (i - first) * sizeof(*e));
	return 0;
}

static int bind_range(struct intel_ppgtt *pp, struct pt *t, unsigned int level,
		      uint64_t va, uint64_t end, struct cursor *cur,
		      uint32_t flags)
{
	while (va < end) {
		unsigned int i = index_at(va, level);
		uint64_t span = 1ull << shift_of(level);
		uint64_t next = (va & ~(span - 1)) + span;
		uint64_t e;
		int err = 0;

		if (next > end || next < va)
			next = end;
		if (level == 0)
			return t->mode == PT_4K ? bind_ptes(pp, t, va, end, cur)
						: bind_ptes_64k(pp, t, va, end, cur);
		/* A huge leaf, if everything lines up and the slot is empty. */
		if ((level == 1 || level == 2) && !(va & (span - 1)) &&
		    end - va >= span && !t->child[i] &&
		    (pp->platform->page_sizes & (level == 1 ? GTT_INTEL_PAGE_2M
							     : GTT_INTEL_PAGE_1G)) &&
		    !(cur_addr(cur) & (span - 1)) && cur_run(cur) >= span) {
			err = gtt_intel_ppgtt_encode(pp->fmt, level, cur_addr(cur),
						     flags | GTT_INTEL_HUGE, &e);
			if (err)
				return err;
			put_entry(pp, t, i, e);
			t->used++;
			if (level == 1)
				pp->huge_2m++;
			else
				pp->huge_1g++;
			cur_advance(cur, span);
			va += span;
			continue;
		}
		/* A new page table: which mode? */
		enum pt_mode mode = PT_4K;

		if (level == 1 && pp->fmt >= GTT_PPGTT_XEHP && pp->platform->discrete &&
		    (cur->flags & GTT_PTE_LOCAL_MEM)) {
			mode = PT_64K_COMPACT;
		} else if (level == 1 && pp->fmt <= GTT_PPGTT_GEN12 &&
			   (pp->platform->page_sizes & GTT_INTEL_PAGE_64K) &&
			   !(va & (span - 1)) && end - va >= span &&
			   chunks_64k(cur, span)) {
			mode = PT_64K_IPS;
		}
		if (level == 1 && t->child[i] && t->child[i]->mode != mode &&
		    (mode == PT_64K_COMPACT || t->child[i]->mode == PT_64K_COMPACT))
			return set_error(-EINVAL, "intel ppgtt: local and system memory in one 2 MiB region at 0x%llx",
					 (unsigned long long)va);
		if (mode == PT_64K_COMPACT && (pp->scratch_dma & (SZ_64K - 1)))
			return set_error(-EINVAL, "intel ppgtt: compact page tables need a 64 KiB-aligned scratch page");

		struct pt *c = child_of(pp, t, level, i, mode, &err);

		if (!c)
			return err;
		err = bind_range(pp, c, level - 1, va, next, cur, flags);
		if (err)
			return err;
		va = next;
	}
	return 0;
}

static int check_range(struct intel_ppgtt *pp, uint64_t start, uint64_t size)
{
	if (!size || start % SZ_4K || size % SZ_4K || start >= pp->size ||
	    size > pp->size - start)
		return set_error(-ERANGE, "intel ppgtt: [0x%llx, +0x%llx) outside the %u-bit address space",
				 (unsigned long long)start, (unsigned long long)size,
				 pp->platform->ppgtt_bits);
	return 0;
}

static int clear_range(struct intel_ppgtt *pp, struct pt *t, unsigned int level,
		       uint64_t va, uint64_t end);

int intel_ppgtt_bind(struct intel_ppgtt *pp, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t pages_offset,
		     uint32_t flags)
{
	struct cursor cur = { 0 };
	uint64_t e;
	int err;

	err = check_range(pp, start, size);
	if (err)
		return err;
	if (pages_offset > gtt_pages_size(pages) ||
	    size > gtt_pages_size(pages) - pages_offset)
		return set_error(-ERANGE, "intel ppgtt: bind runs past the end of the pages");
	if ((flags & GTT_PTE_READ_ONLY) && !pp->platform->ppgtt_read_only)
		return set_error(-EINVAL, "intel ppgtt: %s cannot map read-only", pp->platform->name);
	err = gtt_intel_ppgtt_encode(pp->fmt, 0, 0, flags, &cur.leaf_bits);
	if (!err && pp->fmt >= GTT_PPGTT_XEHP)
		err = gtt_intel_ppgtt_encode(pp->fmt, 0, 0, flags | GTT_INTEL_PS64,
					     &cur.ps64_bits);
	if (err)
		return err;
	cur.flags = flags;
	cur.segs = gtt_pages_segments(pages, &cur.nsegs);
	/* Every page must be encodable: it is enough to try the widest. */
	uint64_t widest = 0;

	for (size_t k = 0; k < cur.nsegs; k++)
		widest = u64_max(widest, cur.segs[k].addr + cur.segs[k].length - SZ_4K);
	err = gtt_intel_ppgtt_encode(pp->fmt, 0, widest, flags, &e);
	if (err)
		return err;
	cur_advance(&cur, pages_offset);
	pthread_mutex_lock(&pp->lock);
	err = bind_range(pp, &pp->root, pp->levels - 1, start, start + size, &cur, flags);
	/*
	 * Undo what was written and free the tables made for it.  The range
	 * held nothing before (the vm binds only free ranges), and what was
	 * written is whole 64 KiB entries, so this clear cannot fail and the
	 * message of the real failure stays.
	 */
	if (err)
		clear_range(pp, &pp->root, pp->levels - 1, start, start + size);
	pthread_mutex_unlock(&pp->lock);
	return err;
}

/* ---- clear ---- */

/*
 * Scrub [va, end) of page table @t, indexing it by its own mode.  In a
 * 64 KiB-mode table an entry is cleared whole: a range that cuts one that
 * maps something is refused before anything is written.
 */
static int clear_ptes(struct intel_ppgtt *pp, struct pt *t, uint64_t va, uint64_t end)
{
	uint64_t step = t->mode == PT_4K ? SZ_4K : SZ_64K;
	uint64_t *ent = t->cpu;
	unsigned int lo, hi;

	if (t->mode != PT_4K) {
		if (((va & (SZ_64K - 1)) &&
		     get_entry(t, pte_index(t->mode, va)) != pp->scratch_entry[0]) ||
		    ((end & (SZ_64K - 1)) &&
		     get_entry(t, pte_index(t->mode, end - 1)) != pp->scratch_entry[0]))
			return set_error(-EINVAL, "intel ppgtt: clear splits a 64 KiB page at 0x%llx",
					 (unsigned long long)va);
		va &= ~(SZ_64K - 1);
	}
	lo = hi = pte_index(t->mode, va);
	for (; va < end; va += step) {
		hi = pte_index(t->mode, va);
		if (get_entry(t, hi) != pp->scratch_entry[0]) {
			__atomic_store_n(&ent[hi], pp->scratch_entry[0], __ATOMIC_RELAXED);
			t->used--;
		}
	}
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, ent + lo, (hi - lo + 1) * sizeof(*ent));
	return 0;
}

static int clear_range(struct intel_ppgtt *pp, struct pt *t, unsigned int level,
		       uint64_t va, uint64_t end)
{
	if (level == 0)
		return clear_ptes(pp, t, va, end);
	while (va < end) {
		unsigned int i = index_at(va, level);
		uint64_t span = 1ull << shift_of(level);
		uint64_t next = (va & ~(span - 1)) + span;
		uint64_t e = get_entry(t, i);

		if (next > end || next < va)
			next = end;
		if (e == pp->scratch_entry[level]) {
			va = next;
			continue;
		}
		if (!t->child[i]) {
			/* A huge leaf: only ever cleared whole. */
			if ((va & (span - 1)) || next - va != span)
				return set_error(-EINVAL, "intel ppgtt: clear splits a huge page at 0x%llx",
						 (unsigned long long)va);
			put_entry(pp, t, i, pp->scratch_entry[level]);
			t->used--;
			if (level == 1)
				pp->huge_2m--;
			else
				pp->huge_1g--;
		} else {
			struct pt *c = t->child[i];
			int err = clear_range(pp, c, level - 1, va, next);

			if (err)
				return err;
			/* Free tables that hold nothing any more (not the 3-level PDs). */
			if (!c->used && !(pp->levels == 3 && t == &pp->root)) {
				put_entry(pp, t, i, pp->scratch_entry[level]);
				t->used--;
				t->child[i] = NULL;
				table_free(pp, c);
				mem_free(c);
				pp->tables--;
			}
		}
		va = next;
	}
	return 0;
}

int intel_ppgtt_clear(struct intel_ppgtt *pp, uint64_t start, uint64_t size)
{
	int err = check_range(pp, start, size);

	if (err)
		return err;
	pthread_mutex_lock(&pp->lock);
	err = clear_range(pp, &pp->root, pp->levels - 1, start, start + size);
	pthread_mutex_unlock(&pp->lock);
	return err;
}

/* ---- walk ---- */

int intel_ppgtt_translate(struct intel_ppgtt *pp, uint64_t addr,
			  struct gtt_translation *out)
{
	struct gtt_intel_entry d;
	const void *table;
	uint64_t block_end = 0;		/* end of a scratch subtree we walk through */
	int err = 0;

	if (addr >= pp->size)
		return set_error(-ERANGE, "intel ppgtt: 0x%llx is outside the %u-bit address space",
				 (unsigned long long)addr, pp->platform->ppgtt_bits);
	pthread_mutex_lock(&pp->lock);
	enum pt_mode mode = PT_4K;

	table = pp->root.cpu;
	for (unsigned int level = pp->levels - 1;; level--) {
		struct pt view = { .cpu = (void *)table };
		uint64_t e = get_entry(&view, level ? index_at(addr, level)
						    : pte_index(mode, addr));
		uint64_t cover = 1ull << shift_of(level);	/* what this entry maps */

		err = gtt_intel_ppgtt_decode(pp->fmt, level, e, &d);
		if (err)
			break;
		if (!d.present) {
			*out = (struct gtt_translation){ .pte = e, .level = level,
							 .extent = cover - (addr & (cover - 1)) };
			break;
		}
		if (level == 0 || (d.flags & GTT_INTEL_HUGE)) {
			uint64_t page = mode != PT_4K ? SZ_64K : 1ull << shift_of(level);

			out->present = true;
			out->scratch = d.addr == pp->scratch_dma;
			out->addr = d.addr + (addr & (page - 1));
			out->flags = d.flags & ~(uint32_t)GTT_INTEL_HUGE;
			out->page_size = (d.flags & GTT_INTEL_PS64) ? SZ_64K : page;
			out->pte = e;
			out->level = level;
			out->extent = out->scratch && block_end ? block_end - addr
								 : page - (addr & (page - 1));
			break;
		}
		/* An entry pointing at a scratch table: all it covers is scratch. */
		if (!block_end && d.addr == pp->scratch_table[level - 1].dma)
			block_end = (addr & ~(cover - 1)) + cover;
		/* Follow the pointer the way the device does: by DMA address. */
		if (level == 1 && (d.flags & GTT_INTEL_PT_64K))
			mode = pp->fmt >= GTT_PPGTT_XEHP ? PT_64K_COMPACT : PT_64K_IPS;
		table = pp->mem.table_cpu(pp->mem.ctx, d.addr);
		if (!table) {
			err = set_error(-EFAULT, "intel ppgtt: entry points at 0x%llx, which is no table",
					(unsigned long long)d.addr);
			break;
		}
	}
	pthread_mutex_unlock(&pp->lock);
	return err;
}
