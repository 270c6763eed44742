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
 * them and unlinked as soon as their last non-scratch entry is cleared:
 * a directory is freed then, a page table kept on a bounded spare list
 * (PPGTT_SPARE_MAX; all scratch, reachable from no table) that the next
 * binds take their new page tables from, freed by intel_ppgtt_fini().  A
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
 * Edits at any 4 KiB granularity: a bind may cover mapped entries (a
 * remap), and a bind or clear of part of a huge leaf or 64 KiB run demotes
 * it first (see "the plan" below).  NULL binds write the null bit where
 * the platform has one (has_null_pte), else scratch (docs/intel.md).
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
#include "intel_pt_write.h"
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

/*
 * A table of @level, its entries as the pool gave them (for a page table
 * that a bind writes whole before linking it: see struct pt's blank).
 */
static int table_get(struct intel_ppgtt *pp, unsigned int level,
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
	t->blank = false;
	return 0;
}

/* A table of @level filled with that level's scratch entry. */
static int table_alloc(struct intel_ppgtt *pp, unsigned int level,
		       struct pt *t, bool shadow)
{
	int err = table_get(pp, level, t, shadow);

	if (err)
		return err;
	intel_fill_entries(t->cpu, PT_ENTRIES, pp->scratch_entry[level]);
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

/*
 * The page table @c, unlinked from the tree with every entry scratch (its
 * used count 0), kept on the spare list for a later bind while there is
 * room, else freed.  A spare is reachable from no table, and maps nothing.
 */
static void table_retire(struct intel_ppgtt *pp, struct pt *c)
{
	if (pp->nspare >= PPGTT_SPARE_MAX) {
		table_free(pp, c);
		mem_free(c);
		return;
	}
	c->next_spare = pp->spare;	/* plan_table() sets mode and blank */
	pp->spare = c;
	pp->nspare++;
}

/* A spare page table (all scratch), or NULL. */
static struct pt *spare_take(struct intel_ppgtt *pp)
{
	struct pt *c = pp->spare;

	if (c) {
		pp->spare = c->next_spare;
		c->next_spare = NULL;
		pp->nspare--;
	}
	return c;
}

/*
 * The scratch PTE's flags, as the kernel encodes it.  i915 (through 12.70,
 * gen8_init_scratch()): the platform's I915_CACHE_NONE PAT index (3, PWT|PCD,
 * before gen12 and on TGL..DG2; 2 on MTL/ARL), and PTE_READ_ONLY where the
 * vm has read-only PTEs (gen8/9).  xe on Xe2 (__xe_pt_empty_pte()):
 * XE_CACHE_WB's index, 2 (xe writes NULL PTEs there; libgtt its scratch page).
 */
static uint32_t scratch_flags(const struct gtt_intel_platform *p)
{
	return GTT_PTE_PAT(p->graphics_ver >= 1270 ? 2 : 3) |
	       (p->ppgtt_read_only ? GTT_PTE_READ_ONLY : 0);
}

/*
 * Table pointers' flags: i915 encodes every PDE with PPAT_UNCACHED
 * (gen8_pde_encode(, I915_CACHE_NONE): PWT|PCD, PAT index 3) on every
 * platform it drives (through 12.70).  On Xe2, which only xe drives, xe
 * gives a PDE the PAT index of the bind that made the table (xe_pt.c
 * xe_pt_stage_bind_entry()); libgtt uses 0, the default bind's.
 */
static uint32_t pde_flags(const struct gtt_intel_platform *p)
{
	return p->graphics_ver >= 2000 ? 0 : GTT_PTE_PAT(3);
}

/* The entry of a level-@level table pointing at its child @c (only page
 * tables have a 64 KiB mode). */
static uint64_t child_entry(const struct intel_ppgtt *pp, unsigned int level,
			    const struct pt *c)
{
	return (c->mode != PT_4K ? pp->pt64k_bits : pp->table_bits[level]) | c->dma;
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
	pp->pde_flags = pde_flags(p);
	if (pp->fmt >= GTT_PPGTT_XEHP) {
		uint64_t plain, hinted;

		gtt_intel_ppgtt_encode(pp->fmt, 0, 0, 0, &plain);
		gtt_intel_ppgtt_encode(pp->fmt, 0, 0, GTT_INTEL_PS64, &hinted);
		pp->ps64_bit = plain ^ hinted;
	}
	/* The encoder ORs the address into the rest (child_entry()). */
	for (unsigned int l = 1; l < pp->levels; l++)
		gtt_intel_ppgtt_encode(pp->fmt, l, 0, pp->pde_flags, &pp->table_bits[l]);
	gtt_intel_ppgtt_encode(pp->fmt, 1, 0, pp->pde_flags | GTT_INTEL_PT_64K,
			       &pp->pt64k_bits);
	pthread_mutex_init(&pp->lock, NULL);

	/* The scratch hierarchy, bottom up. */
	err = gtt_intel_ppgtt_encode(pp->fmt, 0, scratch_dma, scratch_flags(p),
				     &pp->scratch_entry[0]);
	for (unsigned int l = 1; !err && l < pp->levels; l++) {
		err = table_alloc(pp, l - 1, &pp->scratch_table[l - 1], false);
		if (!err)
			err = gtt_intel_ppgtt_encode(pp->fmt, l, pp->scratch_table[l - 1].dma,
						     pp->pde_flags, &pp->scratch_entry[l]);
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
		pp->root.child[i] = pd;
		put_entry(pp, &pp->root, i, child_entry(pp, 2, pd));
	}
	if (err) {
		intel_ppgtt_fini(pp);
		memset(pp, 0, sizeof(*pp));	/* the caller must not fini again */
		return set_error(err, "intel ppgtt: cannot allocate the scratch hierarchy or root");
	}
	return 0;
}

/* Free every table under @t (a level @level table), keeping the counters true. */
static void drop_children(struct intel_ppgtt *pp, struct pt *t, unsigned int level)
{
	for (unsigned int i = 0; level && t->child && i < PT_ENTRIES; i++) {
		struct pt *c = t->child[i];

		if (c) {
			drop_children(pp, c, level - 1);
			table_free(pp, c);
			mem_free(c);
			t->child[i] = NULL;
			pp->tables--;
		} else if (get_entry(t, i) != pp->scratch_entry[level]) {
			if (level == 1)
				pp->huge_2m--;
			else
				pp->huge_1g--;
		}
	}
}

void intel_ppgtt_fini(struct intel_ppgtt *pp)
{
	if (pp->root.cpu) {
		drop_children(pp, &pp->root, pp->levels - 1);
		table_free(pp, &pp->root);
	}
	for (unsigned int l = 0; l < PPGTT_MAX_LEVELS - 1; l++)
		if (pp->scratch_table[l].cpu)
			table_free(pp, &pp->scratch_table[l]);
	for (struct pt *c; (c = spare_take(pp));) {
		table_free(pp, c);
		mem_free(c);
	}
	pthread_mutex_destroy(&pp->lock);
}

/*
 * How many of @n entries at @e hold scratch: each one a bind writes turns
 * used.  (A table's used count is never below the number of its entries
 * that are not scratch, so a table with none used is all scratch.)
 */
static uint64_t count_scratch(const struct intel_ppgtt *pp, const uint64_t *e, uint64_t n)
{
	uint64_t scratch = pp->scratch_entry[0], count = 0;

	for (uint64_t k = 0; k < n; k++)
		count += __atomic_load_n(&e[k], __ATOMIC_RELAXED) == scratch;
	return count;
}

/*
 * What writing @v over @old does to a table's used count (its entries that
 * differ from scratch): the scratch page bound with scratch's bits writes
 * an entry equal to scratch, which the clear will not count down.
 */
static int scratch_delta(const struct intel_ppgtt *pp, uint64_t old, uint64_t v)
{
	return (old == pp->scratch_entry[0]) - (v == pp->scratch_entry[0]);
}

/* ---- the pages a bind maps ---- */

/* What a cursor walks: segments, a page array (intel_write_array()), or
 * nothing (NULL entries).  Segments test first, in one compare, as the
 * hot paths did before there were arrays. */
enum cur_kind {
	CUR_SEGS = 0,
	CUR_ARRAY,
	CUR_NULL,
};

struct cursor {
	enum cur_kind kind;
	const struct gtt_pages_segment *segs;
	size_t nsegs, si;
	uint64_t off;		/* within segs[si] */
	const uint64_t *pa;	/* CUR_ARRAY: the 4 KiB page addresses */
	size_t npages, pidx;	/* of pa; the cursor's page */
	uint64_t leaf_bits;	/* encode(0, flags): OR in an address */
	uint64_t ps64_bits;	/* the same with the PS64 hint */
	uint32_t flags;
	bool null;		/* GTT_PTE_NULL (CUR_NULL): every address 0 */
	/* The pages' longest contiguous run (UINT64_MAX for NULL): no leaf
	 * or 64 KiB table larger than it can fit anywhere. */
	uint64_t longest;
	/* A plan's cursor over runs all under 64 KiB: every question it
	 * would answer is "no" (see above), so it need not move. */
	bool frozen;
	/* The pages may hold the scratch page and leaf_bits are scratch's:
	 * some 4 KiB entries written may equal scratch (used must not count
	 * them). */
	bool maybe_scratch;
};

static uint64_t cur_addr(const struct cursor *c)
{
	if (c->kind == CUR_SEGS)
		return c->segs[c->si].addr + c->off;
	return c->kind == CUR_ARRAY ? c->pa[c->pidx] : 0;
}

/* Whether at least @len bytes are physically contiguous from the cursor
 * (the walk stops there: a long run of small segments costs @len, not
 * the whole run, per question). */
static bool cur_run_at_least(const struct cursor *c, uint64_t len)
{
	uint64_t run;

	if (c->kind == CUR_SEGS) {
		run = c->segs[c->si].length - c->off;
		for (size_t s = c->si + 1; run < len && s < c->nsegs &&
		     c->segs[s].addr == c->segs[s - 1].addr + c->segs[s - 1].length; s++)
			run += c->segs[s].length;
		return run >= len;
	}
	if (c->kind == CUR_NULL)
		return true;
	run = SZ_4K;
	for (size_t i = c->pidx + 1; run < len && i < c->npages &&
	     c->pa[i] == c->pa[i - 1] + SZ_4K; i++)
		run += SZ_4K;
	return run >= len;
}

/* Bytes left in the cursor's segment (a page array's: its page). */
static uint64_t cur_seg_left(const struct cursor *c)
{
	if (c->kind == CUR_SEGS)
		return c->segs[c->si].length - c->off;
	return c->kind == CUR_ARRAY ? SZ_4K : UINT64_MAX;
}

/* What the address of the next 4 KiB page adds: nothing for NULL entries. */
static uint64_t cur_step(const struct cursor *c)
{
	return c->null ? 0 : SZ_4K;
}

/* cur_advance() over segments: any number of them. */
static void cur_advance_segs(struct cursor *c, uint64_t n)
{
	const struct gtt_pages_segment *segs = c->segs;
	uint64_t off = c->off + n;
	size_t si = c->si;

	/* Whole segments four at a time (the plan steps over 2 MiB of
	 * one-page segments per table); the lengths' sum cannot wrap, the
	 * list's total does not. */
	for (; si + 4 <= c->nsegs; si += 4) {
		uint64_t four = segs[si].length + segs[si + 1].length +
				segs[si + 2].length + segs[si + 3].length;

		if (off < four)
			break;
		off -= four;
	}
	while (si < c->nsegs && off >= segs[si].length) {
		off -= segs[si].length;
		si++;
	}
	c->off = off;
	c->si = si;
}

/* Move the cursor @n bytes on.  Inline for the common steps: within the
 * segment, or to the start of the next (a table of a long run). */
static inline void cur_advance(struct cursor *c, uint64_t n)
{
	if (c->kind != CUR_SEGS || c->frozen) {
		if (c->kind == CUR_ARRAY && !c->frozen)
			c->pidx += n / SZ_4K;
		return;
	}
	if (c->si < c->nsegs) {
		uint64_t left = c->segs[c->si].length - c->off;

		if (n < left) {
			c->off += n;
			return;
		}
		if (n == left) {
			c->si++;
			c->off = 0;
			return;
		}
	}
	cur_advance_segs(c, n);
}

/*
 * Whether [cur, cur + len) is made of 64 KiB-aligned, 64 KiB-contiguous
 * chunks, none of them the scratch page's with scratch's bits: that 64 KiB
 * entry would equal the empty one, which neither the used count nor
 * ips_to_4k() could tell apart (its 15 pages after the first would go).
 */
static bool chunks_64k_walk(const struct intel_ppgtt *pp, const struct cursor *cur,
			    uint64_t len)
{
	struct cursor c = *cur;

	for (uint64_t done = 0; done < len; done += SZ_64K) {
		if ((cur_addr(&c) & (SZ_64K - 1)) || !cur_run_at_least(&c, SZ_64K) ||
		    (c.maybe_scratch && cur_addr(&c) == pp->scratch_dma))
			return false;
		cur_advance(&c, SZ_64K);
	}
	return true;
}

/* The same, with its usual "no" inline (asked once per new page table). */
static inline bool chunks_64k(const struct intel_ppgtt *pp, const struct cursor *cur,
			      uint64_t len)
{
	if (cur->longest < SZ_64K || (cur_addr(cur) & (SZ_64K - 1)))
		return false;
	return chunks_64k_walk(pp, cur, len);
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

/* A bind maps [va, ...) of a level-@level slot with one huge leaf. */
static bool leaf_fits(const struct intel_ppgtt *pp, unsigned int level, uint64_t va,
		      uint64_t end, const struct cursor *cur)
{
	uint64_t span = 1ull << shift_of(level);

	return cur && (level == 1 || level == 2) && !(va & (span - 1)) &&
	       end - va >= span && cur->longest >= span &&
	       (pp->platform->page_sizes & (level == 1 ? GTT_INTEL_PAGE_2M
						       : GTT_INTEL_PAGE_1G)) &&
	       !(cur_addr(cur) & (span - 1)) && cur_run_at_least(cur, span);
}

/* Whether a bind at @cur needs compact 64 KiB tables (XeHP+ local memory). */
static bool wants_compact(const struct intel_ppgtt *pp, const struct cursor *cur)
{
	return pp->fmt >= GTT_PPGTT_XEHP && pp->platform->discrete &&
	       (cur->flags & GTT_PTE_LOCAL_MEM);
}

/* The mode a new page table for a bind of [va, end) at @cur gets. */
static enum pt_mode mode_for(const struct intel_ppgtt *pp, const struct cursor *cur,
			     uint64_t va, uint64_t end)
{
	if (wants_compact(pp, cur))
		return PT_64K_COMPACT;
	if (pp->fmt <= GTT_PPGTT_GEN12 && (pp->platform->page_sizes & GTT_INTEL_PAGE_64K) &&
	    !(va & (SZ_2M - 1)) && end - va >= SZ_2M && chunks_64k(pp, cur, SZ_2M))
		return PT_64K_IPS;
	return PT_4K;
}

/*
 * ---- the plan: every table an edit needs, made before any entry changes ----
 *
 * A bind or a clear runs in two passes under the lock.  The first walks
 * the range and makes every table the edit needs — new ones full of
 * scratch, and the smaller entries of each huge leaf or 64 KiB run the
 * range cuts (a demotion: the same memory, the same flags) — into the
 * shadow tree only, recording each as a step; it also checks every rule.
 * On failure the steps are undone and the device's tables are untouched.
 * The second pass links the new tables (each link one store that keeps
 * every translation as it was) and then writes the edit itself; it cannot
 * fail.  A new 4 KiB page table that the bind fills from end to end is
 * the exception: the plan takes it without a scratch fill (it would all
 * be overwritten) and does not link it; the write pass writes its 512
 * entries and then links it, so the device sees it only complete.
 */
enum step_kind {
	STEP_NEW,		/* a table where the slot held scratch */
	STEP_DEMOTE,		/* a table replacing a huge leaf */
	STEP_IPS_TO_4K,		/* an IPS page table turned into a 4 KiB one, in place */
};

struct step {
	struct pt *parent, *child;
	unsigned int level;	/* the parent's */
	unsigned int idx;	/* the slot in the parent */
	enum step_kind kind;
	bool spare;		/* STEP_NEW: the child came off the spare list */
};

struct edit {
	struct cursor *cur;	/* NULL: a clear */
	struct step *steps;
	size_t n, cap;
	size_t first_cap;	/* the steps' first allocation; 0: 8 */
};

/* Steps the first allocation of a bind's plan holds: one new page table a
 * 2 MiB and a directory a 1 GiB (so a bind of runs as 4 KiB entries grows
 * the array once, not log2(tables) times), at most PLAN_FIRST_MAX. */
#define PLAN_FIRST_MAX 1024

static size_t plan_first_cap(uint64_t size)
{
	uint64_t n = size / SZ_2M + size / SZ_1G + 8;

	return n < PLAN_FIRST_MAX ? (size_t)n : PLAN_FIRST_MAX;
}

static int plan_push(struct edit *ed, struct step s)
{
	if (ed->n == ed->cap) {
		size_t cap = ed->cap ? 2 * ed->cap : ed->first_cap ? ed->first_cap : 8;
		struct step *v = mem_realloc(ed->steps, cap * sizeof(*v));

		if (!v)
			return set_error(-ENOMEM, "intel ppgtt: out of memory for the table plan");
		ed->steps = v;
		ed->cap = cap;
	}
	ed->steps[ed->n++] = s;
	return 0;
}

/*
 * A shadow-linked table under slot @i of @t, recorded as a step; @blank:
 * a page table the bind writes whole, not filled with scratch first.
 */
static int plan_table(struct intel_ppgtt *pp, struct edit *ed, struct pt *t,
		      unsigned int level, unsigned int i, enum step_kind kind,
		      enum pt_mode mode, bool blank, struct pt **out)
{
	/* A new page table may be a spare: all scratch already, so no fill. */
	struct pt *c = level == 1 && kind == STEP_NEW ? spare_take(pp) : NULL;
	bool spare = c;
	int err;

	if (!c) {
		c = mem_zalloc(sizeof(*c));
		if (!c || (blank ? table_get : table_alloc)(pp, level - 1, c, true)) {
			mem_free(c);
			return set_error(-ENOMEM, "intel ppgtt: out of memory for a level-%u table",
					 level - 1);
		}
	}
	c->mode = level == 1 ? mode : PT_4K;
	c->blank = blank;
	err = plan_push(ed, (struct step){ .parent = t, .child = c, .level = level,
					   .idx = i, .kind = kind, .spare = spare });
	if (err) {
		if (spare) {
			table_retire(pp, c);
		} else {
			table_free(pp, c);
			mem_free(c);
		}
		return err;
	}
	t->child[i] = c;
	*out = c;
	return 0;
}

/*
 * Demote the huge leaf @e in slot @i of @t: a table of smaller entries
 * mapping the same memory with the same flags — 2 MiB leaves for a 1 GiB
 * one; for a 2 MiB one, 4 KiB entries (PS64-hinted on XeHP+), or 64 KiB
 * compact entries for local memory on XeHP+ discrete parts.
 */
static int plan_demote(struct intel_ppgtt *pp, struct edit *ed, struct pt *t,
		       unsigned int level, unsigned int i, uint64_t e, struct pt **out)
{
	bool lm_compact, ps64 = pp->fmt >= GTT_PPGTT_XEHP &&
				(pp->platform->page_sizes & GTT_INTEL_PAGE_64K);
	unsigned int n = PT_ENTRIES;
	uint64_t step, bits;
	struct gtt_intel_entry d;
	uint32_t f;
	struct pt *c;
	int err;

	gtt_intel_ppgtt_decode(pp->fmt, level, e, &d);
	f = d.flags & ~(uint32_t)GTT_INTEL_HUGE;
	lm_compact = level == 1 && (f & GTT_PTE_LOCAL_MEM) && pp->fmt >= GTT_PPGTT_XEHP &&
		     pp->platform->discrete;
	if (level == 2 && !(pp->platform->page_sizes & GTT_INTEL_PAGE_2M))
		return set_error(-EINVAL, "intel ppgtt: cannot split a 1 GiB page without 2 MiB pages");
	if (lm_compact && (pp->scratch_dma & (SZ_64K - 1)))
		return set_error(-EINVAL, "intel ppgtt: compact page tables need a 64 KiB-aligned scratch page");
	if (level == 2) {
		f |= GTT_INTEL_HUGE;
		step = SZ_2M;
	} else if (lm_compact) {
		n = 32;
		step = SZ_64K;
	} else {
		f |= ps64 ? GTT_INTEL_PS64 : 0;
		step = SZ_4K;
	}
	if (d.flags & GTT_PTE_NULL)
		step = 0;
	err = gtt_intel_ppgtt_encode(pp->fmt, level - 1, 0, f, &bits);
	if (err)
		return err;
	err = plan_table(pp, ed, t, level, i, STEP_DEMOTE,
			 lm_compact ? PT_64K_COMPACT : PT_4K, false, &c);
	if (err)
		return err;
	for (unsigned int k = 0; k < n; k++)
		__atomic_store_n((uint64_t *)c->cpu + k, bits | (d.addr + k * step),
				 __ATOMIC_RELAXED);
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, c->cpu, n * sizeof(uint64_t));
	c->used = n;
	if (level == 1)		/* 4 KiB entries: one may be the scratch page */
		c->used -= (unsigned int)count_scratch(pp, c->cpu, n);
	*out = c;
	return 0;
}

/* Whether [va, end) of 64 KiB-mode page table @t cuts an entry that maps something. */
static bool cuts_live(const struct intel_ppgtt *pp, const struct pt *t,
		      uint64_t va, uint64_t end)
{
	return ((va & (SZ_64K - 1)) &&
		get_entry(t, pte_index(t->mode, va)) != pp->scratch_entry[0]) ||
	       ((end & (SZ_64K - 1)) &&
		get_entry(t, pte_index(t->mode, end - 1)) != pp->scratch_entry[0]);
}

/* The page table @c under slot @i of @t, for [va, end): 64 KiB-mode rules. */
static int plan_ptes(struct intel_ppgtt *pp, struct edit *ed, struct pt *t,
		     unsigned int i, struct pt *c, uint64_t va, uint64_t end)
{
	bool fits = true;

	/* A clear takes part of the table (all of it goes without a plan):
	 * a compact table keeps its mode if no live 64 KiB page is cut; an
	 * IPS one always turns 4 KiB, as an empty IPS entry would map the
	 * 64 KiB from the scratch page, of which only 4 KiB is scratch. */
	if (c->mode != PT_4K)
		fits = ed->cur ? !((va | end) & (SZ_64K - 1)) && chunks_64k(pp, ed->cur, end - va)
			       : c->mode == PT_64K_COMPACT && !cuts_live(pp, c, va, end);
	if (ed->cur)
		cur_advance(ed->cur, end - va);
	if (fits)
		return 0;
	if (c->mode == PT_64K_COMPACT)
		return ed->cur ? set_error(-EINVAL, "intel ppgtt: a 64 KiB page table needs 64 KiB-aligned ranges and pages (at 0x%llx)",
					   (unsigned long long)va)
			       : set_error(-EINVAL, "intel ppgtt: clear splits a 64 KiB local-memory page at 0x%llx (local memory is mapped in 64 KiB units)",
					   (unsigned long long)va);
	/* An IPS table cut or written in 4 KiB units becomes a 4 KiB table. */
	return plan_push(ed, (struct step){ .parent = t, .child = c, .level = 1, .idx = i,
					    .kind = STEP_IPS_TO_4K });
}

static int plan_range(struct intel_ppgtt *pp, struct edit *ed, struct pt *t,
		      unsigned int level, uint64_t va, uint64_t end)
{
	while (va < end) {
		unsigned int i = index_at(va, level);
		uint64_t span = 1ull << shift_of(level);
		uint64_t next = (va & ~(span - 1)) + span;
		uint64_t e = get_entry(t, i);
		struct pt *c = t->child[i];
		int err;

		if (next > end || next < va)
			next = end;
		if (leaf_fits(pp, level, va, end, ed->cur)) {
			cur_advance(ed->cur, span);
			va = next;
			continue;
		}
		/* A clear needs nothing where it takes the whole slot or there is nothing. */
		if (!ed->cur && ((!(va & (span - 1)) && next - va == span) ||
				 e == pp->scratch_entry[level])) {
			va = next;
			continue;
		}
		if (!c && e == pp->scratch_entry[level]) {
			enum pt_mode mode = level == 1 ? mode_for(pp, ed->cur, va, end) : PT_4K;

			if (mode == PT_64K_COMPACT && (pp->scratch_dma & (SZ_64K - 1)))
				return set_error(-EINVAL, "intel ppgtt: compact page tables need a 64 KiB-aligned scratch page");
			/* A 4 KiB page table the bind fills from end to end
			 * is written before it is linked: no scratch first. */
			bool whole = level == 1 && mode == PT_4K && ed->cur &&
				     !(va & (span - 1)) && next - va == span;

			err = plan_table(pp, ed, t, level, i, STEP_NEW, mode, whole, &c);
		} else if (!c) {
			err = plan_demote(pp, ed, t, level, i, e, &c);
		} else {
			err = 0;
		}
		if (err)
			return err;
		if (level == 1 && ed->cur &&
		    wants_compact(pp, ed->cur) != (c->mode == PT_64K_COMPACT))
			return set_error(-EINVAL, "intel ppgtt: local and system memory in one 2 MiB region at 0x%llx",
					 (unsigned long long)va);
		err = level == 1 ? plan_ptes(pp, ed, t, i, c, va, next)
				 : plan_range(pp, ed, c, level - 1, va, next);
		if (err)
			return err;
		va = next;
	}
	return 0;
}

/* Forget the plan's tables (a spare goes back on the list, still all
 * scratch); the device's tables were never touched. */
static void plan_undo(struct intel_ppgtt *pp, struct edit *ed)
{
	for (size_t k = ed->n; k-- > 0;) {
		struct step *s = &ed->steps[k];

		if (s->kind == STEP_IPS_TO_4K)
			continue;
		s->parent->child[s->idx] = NULL;
		if (s->spare) {
			table_retire(pp, s->child);
		} else {
			table_free(pp, s->child);
			mem_free(s->child);
		}
	}
}

static void link_table(struct intel_ppgtt *pp, struct step *s)
{
	put_entry(pp, s->parent, s->idx, child_entry(pp, s->level, s->child));
}

/* Fill the 15 entries IPS mode ignores after each live one, then drop IPS. */
static void ips_to_4k(struct intel_ppgtt *pp, struct step *s)
{
	struct pt *c = s->child;

	for (unsigned int k = 0; k < PT_ENTRIES; k += 16) {
		uint64_t e = get_entry(c, k);
		struct gtt_intel_entry d;

		if (e == pp->scratch_entry[0])
			continue;
		gtt_intel_ppgtt_decode(pp->fmt, 0, e, &d);
		for (unsigned int j = 1; j < 16; j++) {
			uint64_t v = e + ((d.flags & GTT_PTE_NULL) ? 0 : j * SZ_4K);

			__atomic_store_n((uint64_t *)c->cpu + k + j, v, __ATOMIC_RELAXED);
			c->used += v != pp->scratch_entry[0];
		}
	}
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, c->cpu, PT_ENTRIES * 8);
	c->mode = PT_4K;
	link_table(pp, s);
}

/* Make the plan real, in the order it was made (parents before children). */
static void plan_apply(struct intel_ppgtt *pp, struct edit *ed)
{
	for (size_t k = 0; k < ed->n; k++) {
		struct step *s = &ed->steps[k];

		switch (s->kind) {
		case STEP_NEW:
			if (!s->child->blank)	/* else bind_range() links it */
				link_table(pp, s);
			s->parent->used++;
			pp->tables++;
			break;
		case STEP_DEMOTE:
			link_table(pp, s);
			if (s->level == 1) {
				pp->huge_2m--;
			} else {
				pp->huge_1g--;
				pp->huge_2m += s->child->used;
			}
			pp->tables++;
			break;
		case STEP_IPS_TO_4K:
			ips_to_4k(pp, s);
			break;
		}
	}
}

/* ---- bind ---- */

/*
 * XeHP+: a 4 KiB table write that starts or ends inside a PS64-hinted
 * 64 KiB group takes the hint off the group's 16 entries first (they no
 * longer form one 64 KiB page).
 */
static void unhint_edges(struct intel_ppgtt *pp, struct pt *t, uint64_t va, uint64_t end)
{
	uint64_t edges[2] = { va, end - 1 };

	for (unsigned int k = 0; k < 2; k++) {
		unsigned int g = index_at(edges[k], 0) & ~15u;

		if (!((k ? end : va) & (SZ_64K - 1)) || !(get_entry(t, g) & pp->ps64_bit))
			continue;
		for (unsigned int j = 0; j < 16; j++) {
			uint64_t e = get_entry(t, g + j);

			if (!(e & pp->ps64_bit))
				continue;
			/* The scratch page in a hinted group was counted; unhinted
			 * it is the scratch entry itself. */
			put_entry(pp, t, g + j, e & ~pp->ps64_bit);
			t->used -= (e & ~pp->ps64_bit) == pp->scratch_entry[0];
		}
	}
}

/* The same, tested inline: before XeHP there are no hints (a call per page
 * table was a measurable part of a bind of 4 KiB entries). */
static inline void unhint(struct intel_ppgtt *pp, struct pt *t, uint64_t va, uint64_t end)
{
	if (pp->ps64_bit)
		unhint_edges(pp, t, va, end);
}

/* Fill [va, end) of a 64 KiB-mode table, 64 KiB per entry (checked by the plan). */
static void bind_ptes_64k(struct intel_ppgtt *pp, struct pt *t, uint64_t va,
			  uint64_t end, struct cursor *cur)
{
	uint64_t *e = t->cpu;

	for (; va < end; va += SZ_64K) {
		unsigned int i = pte_index(t->mode, va);

		uint64_t v = cur->leaf_bits | cur_addr(cur);

		t->used += scratch_delta(pp, __atomic_load_n(&e[i], __ATOMIC_RELAXED), v);
		__atomic_store_n(&e[i], v, __ATOMIC_RELAXED);
		cur_advance(cur, SZ_64K);
	}
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, e, PT_ENTRIES * sizeof(*e));
}

/*
 * Write the PTEs of [va, end), all inside table @t.  Addresses were
 * validated per segment, so each entry is the precomputed bits OR the
 * address; the written span is flushed once.
 */
static void bind_ptes(struct intel_ppgtt *pp, struct pt *t, uint64_t va,
		      uint64_t end, struct cursor *cur)
{
	bool ps64_ok = pp->fmt >= GTT_PPGTT_XEHP &&
		       (pp->platform->page_sizes & GTT_INTEL_PAGE_64K);
	unsigned int first = index_at(va, 0), i = first;
	uint64_t *e = t->cpu;

	if (t->blank && (ps64_ok || cur->null)) {
		/* Only the one-pass writer below needs no scratch first. */
		intel_fill_entries(e, PT_ENTRIES, pp->scratch_entry[0]);
		t->blank = false;
	}
	unhint(pp, t, va, end);
	if (!ps64_ok && !cur->null) {
		/* No hints to place: one pass over the segments. */
		uint64_t n = (end - va) / SZ_4K;

		t->used += t->used ? (unsigned int)count_scratch(pp, e + first, n)
				   : (unsigned int)n;	/* none used: all scratch */
		if (cur->kind == CUR_ARRAY) {
			intel_write_pages(e + first, n, cur->leaf_bits, cur->pa + cur->pidx, true);
			cur->pidx += n;
		} else {
			intel_write_entries(e + first, n, cur->leaf_bits, cur->segs, cur->nsegs,
					    &cur->si, &cur->off, true);
		}
		if (cur->maybe_scratch)
			t->used -= (unsigned int)count_scratch(pp, e + first, n);
		if (pp->mem.flush)
			pp->mem.flush(pp->mem.ctx, e + first, n * sizeof(*e));
		return;
	}
	while (va < end) {
		uint64_t left = (end - va) / SZ_4K;
		uint64_t in_seg = cur_seg_left(cur) / SZ_4K;
		uint64_t bits = cur->leaf_bits, addr = cur_addr(cur), n;

		if (ps64_ok && !(va & (SZ_64K - 1)) && left >= 16 &&
		    !(addr & (SZ_64K - 1)) && cur_run_at_least(cur, SZ_64K)) {
			/* A whole 64K block: hint it (may span segments). */
			for (unsigned int k = 0; k < 16; k++, i++) {
				uint64_t v = cur->ps64_bits | cur_addr(cur);

				t->used += scratch_delta(pp, __atomic_load_n(&e[i],
									     __ATOMIC_RELAXED), v);
				__atomic_store_n(&e[i], v, __ATOMIC_RELAXED);
				cur_advance(cur, SZ_4K);
			}
			va += SZ_64K;
			continue;
		}
		n = left < in_seg ? left : in_seg;
		if (ps64_ok && n > (SZ_64K - (va & (SZ_64K - 1))) / SZ_4K)
			n = (SZ_64K - (va & (SZ_64K - 1))) / SZ_4K;	/* stop at 64K */
		for (uint64_t k = 0; k < n; k++, i++) {
			uint64_t v = bits | (addr + k * cur_step(cur));

			t->used += scratch_delta(pp, __atomic_load_n(&e[i], __ATOMIC_RELAXED), v);
			__atomic_store_n(&e[i], v, __ATOMIC_RELAXED);
		}
		cur_advance(cur, n * SZ_4K);
		va += n * SZ_4K;
	}
	if (pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, e + first, (i - first) * sizeof(*e));
}

/* The write pass of a bind: every table it needs exists (the plan made them). */
static void bind_range(struct intel_ppgtt *pp, struct pt *t, unsigned int level,
		       uint64_t va, uint64_t end, struct cursor *cur)
{
	if (level == 0) {
		if (t->mode == PT_4K)
			bind_ptes(pp, t, va, end, cur);
		else
			bind_ptes_64k(pp, t, va, end, cur);
		return;
	}
	/* The entries linking blank tables, flushed once at the end: each
	 * table was flushed before its link was stored. */
	unsigned int linked_lo = PT_ENTRIES, linked_hi = 0;

	while (va < end) {
		unsigned int i = index_at(va, level);
		uint64_t span = 1ull << shift_of(level);
		uint64_t next = (va & ~(span - 1)) + span;

		if (next > end || next < va)
			next = end;
		if (leaf_fits(pp, level, va, end, cur)) {
			uint64_t old = get_entry(t, i), e;
			bool was_leaf = !t->child[i] && old != pp->scratch_entry[level];

			/* Validated by intel_ppgtt_bind() for this platform's leaves. */
			gtt_intel_ppgtt_encode(pp->fmt, level, cur_addr(cur),
					       cur->flags | GTT_INTEL_HUGE, &e);
			put_entry(pp, t, i, e);
			if (t->child[i]) {	/* a remap over a table: one store, then free it */
				struct pt *c = t->child[i];

				drop_children(pp, c, level - 1);
				table_free(pp, c);
				mem_free(c);
				t->child[i] = NULL;
				pp->tables--;
			} else if (old == pp->scratch_entry[level]) {
				t->used++;
			}
			/* Unless it replaced a leaf of its own size, one more huge leaf. */
			if (!was_leaf) {
				if (level == 1)
					pp->huge_2m++;
				else
					pp->huge_1g++;
			}
			cur_advance(cur, span);
			va = next;
			continue;
		}
		struct pt *c = t->child[i];
		bool blank = c->blank;

		bind_range(pp, c, level - 1, va, next, cur);
		if (blank) {	/* written whole: now the device may see it */
			c->blank = false;
			__atomic_store_n((uint64_t *)t->cpu + i, child_entry(pp, level, c),
					 __ATOMIC_RELAXED);
			linked_lo = i < linked_lo ? i : linked_lo;
			linked_hi = i;
		}
		va = next;
	}
	if (linked_lo <= linked_hi && pp->mem.flush)
		pp->mem.flush(pp->mem.ctx, (uint64_t *)t->cpu + linked_lo,
			      (linked_hi - linked_lo + 1) * sizeof(uint64_t));
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

/* Plan, then apply the plan and run @write; or undo the plan. */
static int run_edit(struct intel_ppgtt *pp, struct edit *ed, uint64_t start, uint64_t end,
		    struct cursor *cur,
		    void (*write)(struct intel_ppgtt *, struct pt *, unsigned int,
				  uint64_t, uint64_t, struct cursor *))
{
	struct cursor plan_cur;
	int err;

	if (cur) {
		plan_cur = *cur;
		plan_cur.frozen = cur->longest < SZ_64K;
		ed->cur = &plan_cur;
	}
	pthread_mutex_lock(&pp->lock);
	err = plan_range(pp, ed, &pp->root, pp->levels - 1, start, end);
	if (err) {
		plan_undo(pp, ed);
	} else {
		plan_apply(pp, ed);
		write(pp, &pp->root, pp->levels - 1, start, end, cur);
	}
	pthread_mutex_unlock(&pp->lock);
	mem_free(ed->steps);
	return err;
}

static void clear_range(struct intel_ppgtt *pp, struct pt *t, unsigned int level,
			uint64_t va, uint64_t end, struct cursor *unused);

int intel_ppgtt_bind(struct intel_ppgtt *pp, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t pages_offset,
		     uint32_t flags)
{
	struct cursor cur = { .flags = flags, .null = flags & GTT_PTE_NULL,
			      .kind = flags & GTT_PTE_NULL ? CUR_NULL : CUR_SEGS,
			      .longest = UINT64_MAX };
	struct edit ed = { .first_cap = plan_first_cap(size) };
	uint64_t e;
	int err;

	err = check_range(pp, start, size);
	if (err)
		return err;
	if (cur.null && (pages || pages_offset))
		return set_error(-EINVAL, "intel ppgtt: a NULL bind takes no pages");
	if (cur.null && !pp->platform->has_null_pte)
		return intel_ppgtt_clear(pp, start, size);	/* scratch: docs/intel.md */
	if (!cur.null && (!pages || pages_offset > gtt_pages_size(pages) ||
			  size > gtt_pages_size(pages) - pages_offset))
		return set_error(-ERANGE, "intel ppgtt: bind runs past the end of the pages");
	if ((flags & GTT_PTE_READ_ONLY) && !pp->platform->ppgtt_read_only)
		return set_error(-EINVAL, "intel ppgtt: %s cannot map read-only", pp->platform->name);
	err = gtt_intel_ppgtt_encode(pp->fmt, 0, 0, flags, &cur.leaf_bits);
	if (!err && pp->fmt >= GTT_PPGTT_XEHP)
		err = gtt_intel_ppgtt_encode(pp->fmt, 0, 0, flags | GTT_INTEL_PS64,
					     &cur.ps64_bits);
	if (!err && (pp->platform->page_sizes & (GTT_INTEL_PAGE_2M | GTT_INTEL_PAGE_1G)))
		err = gtt_intel_ppgtt_encode(pp->fmt, 1, 0, flags | GTT_INTEL_HUGE, &e);
	if (err)
		return err;
	if (!cur.null) {
		/* Every page must be encodable: it is enough to try the widest. */
		cur.pa = intel_write_array(pages, &cur.npages);
		if (cur.pa)
			cur.kind = CUR_ARRAY;
		else
			cur.segs = gtt_pages_segments(pages, &cur.nsegs);
		err = gtt_intel_ppgtt_encode(pp->fmt, 0, gtt_pages_last_page(pages), flags, &e);
		if (err)
			return err;
		cur.longest = gtt_pages_longest_run(pages);
		cur.maybe_scratch = (cur.leaf_bits | pp->scratch_dma) == pp->scratch_entry[0] &&
				    pp->scratch_dma >= gtt_pages_first_page(pages) &&
				    pp->scratch_dma <= gtt_pages_last_page(pages);
		cur_advance(&cur, pages_offset);
	}
	return run_edit(pp, &ed, start, start + size, &cur, bind_range);
}

/* ---- clear ---- */

/* Scrub [va, end) of page table @t, indexing it by its own mode; the plan
 * left no live 64 KiB entry that the range cuts. */
static void clear_ptes(struct intel_ppgtt *pp, struct pt *t, uint64_t va, uint64_t end)
{
	uint64_t step = t->mode == PT_4K ? SZ_4K : SZ_64K;
	uint64_t *ent = t->cpu;
	unsigned int lo, hi;

	if (t->mode == PT_4K && !(va & (SZ_2M - 1)) && end - va == SZ_2M) {
		/* The whole table (an unbind's usual case): one fill, and
		 * nothing in it differs from scratch any more. */
		t->used = 0;
		intel_fill_entries(ent, PT_ENTRIES, pp->scratch_entry[0]);
		if (pp->mem.flush)
			pp->mem.flush(pp->mem.ctx, ent, PT_ENTRIES * sizeof(*ent));
		return;
	}
	if (t->mode == PT_4K)
		unhint(pp, t, va, end);
	else
		va &= ~(SZ_64K - 1);
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
}

static void clear_range(struct intel_ppgtt *pp, struct pt *t, unsigned int level,
			uint64_t va, uint64_t end, struct cursor *unused)
{
	(void)unused;
	if (level == 0) {
		clear_ptes(pp, t, va, end);
		return;
	}
	while (va < end) {
		unsigned int i = index_at(va, level);
		uint64_t span = 1ull << shift_of(level);
		uint64_t next = (va & ~(span - 1)) + span;
		struct pt *c = t->child[i];

		if (next > end || next < va)
			next = end;
		if (get_entry(t, i) == pp->scratch_entry[level]) {
			va = next;
			continue;
		}
		if (!c) {
			/* A huge leaf the range takes whole (the plan split the others). */
			put_entry(pp, t, i, pp->scratch_entry[level]);
			t->used--;
			if (level == 1)
				pp->huge_2m--;
			else
				pp->huge_1g--;
		} else {
			clear_range(pp, c, level - 1, va, next, NULL);
			/* Free tables that hold nothing any more (not the 3-level
			 * PDs); an emptied page table, unlinked first, is kept. */
			if (!c->used && !(pp->levels == 3 && t == &pp->root)) {
				put_entry(pp, t, i, pp->scratch_entry[level]);
				t->used--;
				t->child[i] = NULL;
				if (level == 1) {
					table_retire(pp, c);
				} else {
					table_free(pp, c);
					mem_free(c);
				}
				pp->tables--;
			}
		}
		va = next;
	}
}

int intel_ppgtt_clear(struct intel_ppgtt *pp, uint64_t start, uint64_t size)
{
	struct edit ed = { 0 };
	int err = check_range(pp, start, size);

	if (err)
		return err;
	return run_edit(pp, &ed, start, start + size, NULL, clear_range);
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
			out->null = d.flags & GTT_PTE_NULL;
			out->scratch = !out->null && d.addr == pp->scratch_dma;
			out->addr = out->null ? 0 : d.addr + (addr & (page - 1));
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
