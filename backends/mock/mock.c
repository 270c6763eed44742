/* SPDX-License-Identifier: MIT */
/*
 * Mock backend: a page table in host memory.  See gtt/mock.h.
 *
 * Storage is a radix tree with 512-way nodes, like a real page table:
 * a leaf holds the entries of 512 GTT pages and interior levels are added
 * until the whole configured range is covered.  Nodes are allocated on
 * first write and published with a compare-and-swap, so concurrent binds
 * of disjoint ranges need no lock.  Each entry is one 64-bit word written
 * with a single atomic store (address | compact flags | valid), plus a
 * write counter.
 *
 * Intel modes hand the table to the shared Intel page-table code
 * (intel_ggtt.c / intel_ppgtt.c / intel_gen6_ppgtt.c) with host memory
 * behind it: the GGTT window is an array, PPGTT tables come from the
 * shared table pool (intel_pt_pool.c) in host-memory chunks given fake DMA
 * addresses from TABLE_DMA_BASE, which the pool resolves for the walker.
 * A gen6/7 PPGTT's page directory lives in GGTT entries, so that mode also
 * keeps a GGTT of its own (GEN6_GGTT_SIZE, all scratch but the directory).
 */
#include <string.h>
#include <time.h>

#include <gtt/mock.h>

#include "backend/backend_internal.h"
#include "intel/intel_pt.h"
#include "intel/intel_pt_pool.h"
#include "base/util.h"

#define FANOUT_SHIFT 9
#define FANOUT (1u << FANOUT_SHIFT)

struct mock_entry {
	_Atomic uint64_t pte;
	_Atomic uint32_t writes;
};

struct mock_leaf {
	struct mock_entry e[FANOUT];
};

/* Fake DMA addresses of mock PPGTT tables: above any test page, below 2^39. */
#define TABLE_DMA_BASE (1ull << 38)
#define CHUNK_TABLES 16u
/* The GGTT behind a gen6/7 PPGTT mock: 2 GiB, the largest gen6/7 GGMS gives. */
#define GEN6_GGTT_SIZE (2ull << 30)

struct mock {
	unsigned int mode;		/* enum gtt_mock_mode */
	struct intel_ggtt ggtt;
	struct intel_ppgtt ppgtt;
	struct intel_gen6_ppgtt gen6;	/* PPGTT mode on SNB, IVB, HSW, VLV */
	bool is_gen6;
	void *ggtt_window;
	struct intel_pt_pool pool;	/* PPGTT tables */
	uint64_t next_dma;		/* the next chunk's fake DMA (pool.lock) */
	_Atomic uint64_t flushes;
	uint64_t start;
	uint64_t size;
	uint64_t page_size;
	uint64_t scratch;
	unsigned int levels;		/* interior levels above the leaves */
	_Atomic(void *) root;
	_Atomic uint64_t calls;
	_Atomic uint64_t fail_at;	/* absolute call number, 0 = never */
	_Atomic uint64_t fail_end;	/* first call number after the failing run */
	_Atomic int fail_error;
	_Atomic uint64_t delay_ns;
	struct {
		_Atomic uint64_t bind_calls, clear_calls, invalidations;
		_Atomic uint64_t written, cleared, valid, injected;
	} st;
};

/* PTE word: bit 0 valid, bits 1..7 flags (RO, LM, PAT[4:0]), bit 8 NULL,
 * 12.. addr (0 for a NULL entry). */
#define WORD_NULL (1ull << 8)

static uint64_t pack(uint64_t addr, uint32_t flags, bool valid)
{
	uint64_t f = (flags & (GTT_PTE_READ_ONLY | GTT_PTE_LOCAL_MEM)) |
		     (((flags & GTT_PTE_PAT_MASK) >> GTT_PTE_PAT_SHIFT) << 2);

	return addr | (f << 1) | ((flags & GTT_PTE_NULL) ? WORD_NULL : 0) | (valid ? 1 : 0);
}

static void unpack(uint64_t w, struct gtt_mock_entry *e)
{
	uint32_t f = (uint32_t)(w >> 1) & 0x7f;

	e->null = w & WORD_NULL;
	e->valid = (w & 1) && !e->null;
	e->addr = w & ~0xfffull;
	e->flags = (f & 3) | GTT_PTE_PAT(f >> 2) | (e->null ? GTT_PTE_NULL : 0);
}

static void free_level(void *node, unsigned int level)
{
	if (!node)
		return;
	if (level) {
		_Atomic(void *) *kids = node;

		for (unsigned int i = 0; i < FANOUT; i++)
			free_level(atomic_load(&kids[i]), level - 1);
	}
	mem_free(node);
}

/* Leaf holding page @idx; allocated on demand if @create. */
/*
 * The leaf holding page @idx, created on the way with @create.  Without,
 * a missing node returns NULL and its level in *@missing (if not NULL):
 * the FANOUT^(level + 1) pages around @idx all hold scratch.
 */
static struct mock_leaf *leaf_find(struct mock *m, uint64_t idx, bool create,
				   unsigned int *missing)
{
	_Atomic(void *) *slot = &m->root;

	for (unsigned int level = m->levels;; level--) {
		void *node = atomic_load_explicit(slot, memory_order_acquire);

		if (!node) {
			void *fresh;

			if (!create) {
				if (missing)
					*missing = level;
				return NULL;
			}
			fresh = level ? mem_zalloc(FANOUT * sizeof(_Atomic(void *)))
				      : mem_zalloc(sizeof(struct mock_leaf));
			if (!fresh)
				return NULL;
			if (level == 0) {
				struct mock_leaf *l = fresh;

				for (unsigned int i = 0; i < FANOUT; i++)
					atomic_init(&l->e[i].pte, pack(m->scratch, 0, false));
			}
			if (atomic_compare_exchange_strong(slot, &node, fresh))
				node = fresh;
			else
				free_level(fresh, level);
		}
		if (level == 0)
			return node;
		slot = &((_Atomic(void *) *)node)[(idx >> (FANOUT_SHIFT * level)) & (FANOUT - 1)];
	}
}

static struct mock_leaf *leaf_of(struct mock *m, uint64_t idx, bool create)
{
	return leaf_find(m, idx, create, NULL);
}

static const struct gtt_backend_ops mock_ops;

static struct mock *to_mock(struct gtt_backend *be)
{
	return be && be->ops == &mock_ops ? be->priv : NULL;
}

/* Count a call; non-zero if it is the one asked to fail. */
static int take_call(struct mock *m)
{
	uint64_t n = atomic_fetch_add(&m->calls, 1) + 1;
	uint64_t at = atomic_load(&m->fail_at);

	if (!at || n < at || n >= atomic_load(&m->fail_end))
		return 0;
	atomic_fetch_add(&m->st.injected, 1);
	return atomic_load(&m->fail_error);
}

static void maybe_delay(struct mock *m)
{
	uint64_t ns = atomic_load_explicit(&m->delay_ns, memory_order_relaxed);
	struct timespec ts;

	if (!ns)
		return;
	ts.tv_sec = (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	nanosleep(&ts, NULL);
}

static bool in_range(const struct mock *m, uint64_t start, uint64_t size)
{
	return size && start >= m->start && start - m->start <= m->size &&
	       size <= m->size - (start - m->start) &&
	       !(start % m->page_size) && !(size % m->page_size);
}

static void store(struct mock *m, struct mock_entry *e, uint64_t w)
{
	uint64_t old = atomic_exchange_explicit(&e->pte, w, memory_order_release);

	atomic_fetch_add_explicit(&e->writes, 1, memory_order_relaxed);
	if ((old & 1) != (w & 1)) {
		if (w & 1)
			atomic_fetch_add_explicit(&m->st.valid, 1, memory_order_relaxed);
		else
			atomic_fetch_sub_explicit(&m->st.valid, 1, memory_order_relaxed);
	}
}

/* Generic mode: decoded entries in the sparse radix table. */
static int generic_bind(struct mock *m, uint64_t start, uint64_t size,
			const struct gtt_pages *pages, uint64_t pages_offset,
			uint32_t flags)
{
	const struct gtt_pages_segment *segs;
	uint64_t first, n, seg_off = pages_offset;
	size_t nsegs, si = 0;
	bool null = flags & GTT_PTE_NULL;

	if (null && (pages || pages_offset))
		return set_error(-EINVAL, "mock: a NULL bind takes no pages");
	if (!in_range(m, start, size))
		return set_error(-ERANGE, "mock: bind of [0x%llx, +0x%llx) is outside the table",
				 (unsigned long long)start, (unsigned long long)size);
	if (!null && (!pages || pages_offset > gtt_pages_size(pages) ||
		      size > gtt_pages_size(pages) - pages_offset))
		return set_error(-ERANGE, "mock: bind of 0x%llx bytes from offset 0x%llx: "
				 "the pages are shorter (or missing)",
				 (unsigned long long)size, (unsigned long long)pages_offset);
	/* Make sure every leaf exists first, so a failure writes nothing. */
	first = (start - m->start) / m->page_size;
	n = size / m->page_size;
	for (uint64_t i = 0; i < n; i += FANOUT - ((first + i) % FANOUT))
		if (!leaf_of(m, first + i, true))
			return set_error(-ENOMEM, "mock: no memory for a page-table leaf");
	if (null) {
		for (uint64_t i = 0; i < n; i++)
			store(m, &leaf_of(m, first + i, false)->e[(first + i) % FANOUT],
			      pack(0, flags, true));
		return 0;
	}
	segs = gtt_pages_segments(pages, &nsegs);
	while (si < nsegs && seg_off >= segs[si].length)
		seg_off -= segs[si++].length;
	/* A page of the table maps page_size contiguous bytes: every segment
	 * the range uses must be made of whole pages. */
	if (m->page_size > 4096) {
		uint64_t left = size + seg_off;

		for (size_t k = si; k < nsegs && left; k++) {
			if ((segs[k].addr | segs[k].length | (k == si ? seg_off : 0)) % m->page_size)
				return set_error(-EINVAL, "mock: segment %zu (0x%llx +0x%llx) is not made of "
						 "whole 0x%llx-byte pages", k,
						 (unsigned long long)segs[k].addr,
						 (unsigned long long)segs[k].length,
						 (unsigned long long)m->page_size);
			left -= u64_min(left, segs[k].length);
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		struct mock_leaf *l = leaf_of(m, first + i, false);

		store(m, &l->e[(first + i) % FANOUT],
		      pack(segs[si].addr + seg_off, flags, true));
		seg_off += m->page_size;
		if (seg_off >= segs[si].length && si + 1 < nsegs) {
			seg_off = 0;
			si++;
		}
	}
	return 0;
}

static int generic_clear(struct mock *m, uint64_t start, uint64_t size)
{
	uint64_t first, n, scratch;

	if (!in_range(m, start, size))
		return set_error(-ERANGE, "mock: clear of [0x%llx, +0x%llx) is outside the table",
				 (unsigned long long)start, (unsigned long long)size);
	first = (start - m->start) / m->page_size;
	n = size / m->page_size;
	scratch = pack(m->scratch, 0, false);
	for (uint64_t i = 0; i < n; i++) {
		struct mock_leaf *l = leaf_of(m, first + i, false);

		/* A leaf never written holds scratch already. */
		if (!l) {
			i += FANOUT - 1 - ((first + i) % FANOUT);
			continue;
		}
		store(m, &l->e[(first + i) % FANOUT], scratch);
	}
	return 0;
}

/* Every write op: count it, fail it or sleep first if asked to. */
static int begin_call(struct mock *m, _Atomic uint64_t *counter)
{
	int err;

	atomic_fetch_add(counter, 1);
	err = take_call(m);
	if (!err)
		maybe_delay(m);
	return err;
}

static int mock_bind(void *priv, uint64_t start, uint64_t size,
		     const struct gtt_pages *pages, uint64_t pages_offset,
		     uint32_t flags)
{
	struct mock *m = priv;
	int err = begin_call(m, &m->st.bind_calls);

	if (err)
		return err;
	switch (m->mode) {
	case GTT_MOCK_INTEL_GGTT:
		err = intel_ggtt_bind(&m->ggtt, start, size, pages, pages_offset, flags);
		break;
	case GTT_MOCK_INTEL_PPGTT:
		err = m->is_gen6 ? intel_gen6_ppgtt_bind(&m->gen6, start, size, pages, pages_offset, flags)
				 : intel_ppgtt_bind(&m->ppgtt, start, size, pages, pages_offset, flags);
		break;
	default:
		err = generic_bind(m, start, size, pages, pages_offset, flags);
	}
	if (!err)
		atomic_fetch_add(&m->st.written, size / m->page_size);
	return err;
}

static int mock_clear(void *priv, uint64_t start, uint64_t size)
{
	struct mock *m = priv;
	int err = begin_call(m, &m->st.clear_calls);

	if (err)
		return err;
	switch (m->mode) {
	case GTT_MOCK_INTEL_GGTT:
		err = intel_ggtt_clear(&m->ggtt, start, size);
		break;
	case GTT_MOCK_INTEL_PPGTT:
		err = m->is_gen6 ? intel_gen6_ppgtt_clear(&m->gen6, start, size)
				 : intel_ppgtt_clear(&m->ppgtt, start, size);
		break;
	default:
		err = generic_clear(m, start, size);
	}
	if (!err)
		atomic_fetch_add(&m->st.cleared, size / m->page_size);
	return err;
}

static int mock_invalidate(void *priv)
{
	struct mock *m = priv;

	atomic_fetch_add(&m->st.invalidations, 1);
	return take_call(m);
}

/* The entry of generic-mode page @idx, or NULL if its leaf was never
 * written (every entry of it is scratch). */
static struct mock_entry *generic_slot(struct mock *m, uint64_t idx, unsigned int *missing)
{
	struct mock_leaf *l = leaf_find(m, idx, false, missing);

	return l ? &l->e[idx % FANOUT] : NULL;
}

static int generic_translate(struct mock *m, uint64_t addr,
			     struct gtt_translation *out)
{
	struct mock_entry *slot;
	struct gtt_mock_entry e;
	uint64_t w;

	if (addr < m->start || addr - m->start >= m->size)
		return set_error(-ERANGE, "mock: 0x%llx is outside the table",
				 (unsigned long long)addr);
	uint64_t idx = (addr - m->start) / m->page_size, in_page = (addr - m->start) % m->page_size;
	uint64_t extent = m->page_size - in_page, left = m->start + m->size - addr;
	unsigned int missing;

	slot = generic_slot(m, idx, &missing);
	if (!slot && FANOUT_SHIFT * (missing + 1) < 40) {	/* a whole subtree is scratch */
		uint64_t cover = 1ull << (FANOUT_SHIFT * (missing + 1));

		extent = (cover - idx % cover) * m->page_size - in_page;
	} else if (!slot) {
		extent = left;
	}
	w = slot ? atomic_load_explicit(&slot->pte, memory_order_acquire)
		 : pack(m->scratch, 0, false);
	unpack(w, &e);
	*out = (struct gtt_translation){
		.present = e.valid || e.null, .scratch = !e.valid && !e.null, .null = e.null,
		.addr = e.null ? 0 : e.addr + in_page,
		.flags = e.flags, .page_size = m->page_size, .pte = w,
		.extent = u64_min(extent, left),
	};
	return 0;
}

static int mock_translate(void *priv, uint64_t addr, struct gtt_translation *out)
{
	struct mock *m = priv;

	switch (m->mode) {
	case GTT_MOCK_INTEL_GGTT:
		return intel_ggtt_translate(&m->ggtt, addr, out);
	case GTT_MOCK_INTEL_PPGTT:
		return m->is_gen6 ? intel_gen6_ppgtt_translate(&m->gen6, addr, out)
				  : intel_ppgtt_translate(&m->ppgtt, addr, out);
	default:
		return generic_translate(m, addr, out);
	}
}

/* ---- host memory for the Intel page-table code ---- */

/* The pool's chunks: host memory at made-up DMA addresses. */
static int chunk_get(void *ctx, size_t size, void **cpu, uint64_t *dma)
{
	struct mock *m = ctx;

	*cpu = mem_alloc_aligned(4096, size);
	if (!*cpu)
		return -ENOMEM;
	*dma = TABLE_DMA_BASE + m->next_dma;
	m->next_dma += size;
	return 0;
}

static void chunk_put(void *ctx, void *cpu, uint64_t dma, size_t size)
{
	(void)ctx, (void)dma, (void)size;
	mem_free(cpu);
}

static void table_flush(void *ctx, const void *cpu, size_t len)
{
	struct mock *m = container_of(ctx, struct mock, pool);

	(void)cpu;
	(void)len;
	atomic_fetch_add_explicit(&m->flushes, 1, memory_order_relaxed);
}

static void mock_free(struct mock *m)
{
	if (m->mode == GTT_MOCK_INTEL_PPGTT && m->ppgtt.platform)
		intel_ppgtt_fini(&m->ppgtt);
	if (m->is_gen6)
		intel_gen6_ppgtt_fini(&m->gen6);
	mem_free(m->ggtt_window);
	intel_pt_pool_fini(&m->pool);
	free_level(atomic_load(&m->root), m->levels);
	mem_free(m);
}

static void mock_destroy(void *priv)
{
	mock_free(priv);
}

static const struct gtt_backend_ops mock_ops = {
	.name = "mock",
	.bind = mock_bind,
	.clear = mock_clear,
	.invalidate = mock_invalidate,
	.destroy = mock_destroy,
	.translate = mock_translate,
};

static int intel_setup(struct mock *m, const struct gtt_mock_config *cfg)
{
	const struct gtt_intel_platform *p = gtt_intel_platform(cfg->intel_family);
	struct intel_pt_mem mem = { .flush = table_flush };

	if (!p)
		return set_error(-EINVAL, "gtt_mock_create: unknown Intel family %u", cfg->intel_family);
	if (cfg->start || m->page_size != 4096)
		return set_error(-EINVAL, "gtt_mock_create: Intel tables start at 0 with 4 KiB pages");
	if (cfg->mode == GTT_MOCK_INTEL_GGTT) {
		if (cfg->size > (4ull << 30))
			return set_error(-EINVAL, "gtt_mock_create: a GGTT is at most 4 GiB");
		m->ggtt_window = mem_zalloc(cfg->size / 4096 * p->ggtt_pte_size);
		if (!m->ggtt_window)
			return set_error(-ENOMEM, "gtt_mock_create: out of memory for the GGTT");
		mem.ggtt = m->ggtt_window;
		return intel_ggtt_init(&m->ggtt, p, p->ggtt_format, cfg->size,
				       cfg->scratch_addr, &mem);
	}
	if (!p->ppgtt_levels)
		return set_error(-EINVAL, "gtt_mock_create: %s has no PPGTT", p->name);
	if (cfg->size > (1ull << p->ppgtt_bits))
		return set_error(-EINVAL, "gtt_mock_create: %s PPGTT covers %u bits",
				 p->name, p->ppgtt_bits);
	intel_pt_pool_mem(&m->pool, &mem);
	if (p->ppgtt_format != GTT_PPGTT_NONE)
		return intel_ppgtt_init(&m->ppgtt, p, cfg->scratch_addr, &mem);
	/* gen6/7: a GGTT to hold the directory, placed high as i915 does (PIN_HIGH). */
	struct intel_pt_mem gmem = { 0 };
	uint64_t pd;
	int err;

	m->ggtt_window = mem_zalloc(GEN6_GGTT_SIZE / 4096 * p->ggtt_pte_size);
	if (!m->ggtt_window)
		return set_error(-ENOMEM, "gtt_mock_create: out of memory for the GGTT behind the PPGTT");
	gmem.ggtt = m->ggtt_window;
	err = intel_ggtt_init(&m->ggtt, p, p->ggtt_format, GEN6_GGTT_SIZE, cfg->scratch_addr, &gmem);
	if (!err)
		err = intel_ggtt_find_free(&m->ggtt, GTT_INTEL_GEN6_PD_SPAN, GTT_INTEL_GEN6_PD_ALIGN, &pd);
	if (!err)
		err = intel_gen6_ppgtt_init(&m->gen6, &m->ggtt, pd, cfg->scratch_addr, &mem);
	m->is_gen6 = !err;
	return err;
}

GTT_API int gtt_mock_create(const struct gtt_mock_config *cfg,
			    struct gtt_backend **out)
{
	struct mock *m;
	uint64_t page, pages;
	int err;

	if (!cfg || !out)
		return set_error(-EINVAL, "gtt_mock_create: config or out is NULL");
	if (!reserved_zero(cfg->reserved, sizeof(cfg->reserved)))
		return set_error(-EINVAL, "gtt_mock_create: the config has non-zero reserved fields (built against a newer libgtt?)");
	page = cfg->page_size ? cfg->page_size : 4096;
	if (!is_pow2(page) || page < 4096 || !cfg->size || cfg->size % page ||
	    cfg->start % page || cfg->start > UINT64_MAX - cfg->size ||
	    cfg->scratch_addr % 4096 || cfg->mode > GTT_MOCK_INTEL_PPGTT)
		return set_error(-EINVAL, "gtt_mock_create: start/size/page size/scratch misaligned, zero or wrapping, or unknown mode");
	m = mem_zalloc(sizeof(*m));
	if (!m)
		return set_error(-ENOMEM, "gtt_mock_create: out of memory");
	intel_pt_pool_init(&m->pool, &(struct intel_pt_chunk_source){
		.ctx = m, .get = chunk_get, .put = chunk_put }, CHUNK_TABLES);
	m->mode = cfg->mode;
	m->start = cfg->start;
	m->size = cfg->size;
	m->page_size = page;
	m->scratch = cfg->scratch_addr;
	pages = cfg->size / page;
	for (uint64_t cover = FANOUT; cover < pages && m->levels < 7; cover <<= FANOUT_SHIFT)
		m->levels++;
	err = m->mode == GTT_MOCK_GENERIC ? 0 : intel_setup(m, cfg);
	if (!err)
		err = gtt_backend_create(&mock_ops, m, out);
	if (err)
		mock_free(m);
	return err;
}

GTT_API int gtt_mock_read(struct gtt_backend *be, uint64_t addr,
			  struct gtt_mock_entry *entry)
{
	struct mock *m = to_mock(be);
	struct gtt_translation t;
	struct mock_entry *slot;
	uint64_t gran;
	int err;

	if (!m || !entry)
		return set_error(-EINVAL, "gtt_mock_read: not a mock backend, or entry is NULL");
	err = mock_translate(m, addr, &t);
	if (err)
		return err;
	/* The entry's page: a generic page, or the 4 KiB page of an Intel one. */
	gran = m->mode == GTT_MOCK_GENERIC ? m->page_size : 4096;
	*entry = (struct gtt_mock_entry){
		.valid = t.present && !t.scratch && !t.null,
		.null = t.null,
		.addr = t.null ? 0 : t.addr - (addr - m->start) % gran,
		.flags = t.flags,
	};
	if (m->mode != GTT_MOCK_GENERIC) {
		entry->pte = t.pte;
	} else if ((slot = generic_slot(m, (addr - m->start) / m->page_size, NULL))) {
		entry->writes = atomic_load(&slot->writes);
	}
	return 0;
}

GTT_API int gtt_mock_stats(struct gtt_backend *be, struct gtt_mock_stats *st)
{
	struct mock *m = to_mock(be);

	if (!m || !st)
		return set_error(-EINVAL, "gtt_mock_stats: not a mock backend, or st is NULL");
	memset(st, 0, sizeof(*st));
	st->bind_calls = atomic_load(&m->st.bind_calls);
	st->clear_calls = atomic_load(&m->st.clear_calls);
	st->invalidations = atomic_load(&m->st.invalidations);
	st->entries_written = atomic_load(&m->st.written);
	st->entries_cleared = atomic_load(&m->st.cleared);
	st->valid_entries = atomic_load(&m->st.valid);
	st->failures_injected = atomic_load(&m->st.injected);
	st->tables = m->is_gen6 ? m->gen6.tables :
		     m->mode == GTT_MOCK_INTEL_PPGTT ? m->ppgtt.tables : 0;
	st->flushes = atomic_load(&m->flushes);
	return 0;
}

GTT_API int gtt_mock_fail_calls(struct gtt_backend *be, uint64_t nth,
				uint64_t count, int error)
{
	struct mock *m = to_mock(be);
	uint64_t at;

	if (!m || (nth && (error >= 0 || !count)))
		return set_error(-EINVAL, "gtt_mock_fail_calls: not a mock backend, no call to fail, or error is not negative");
	at = nth ? atomic_load(&m->calls) + nth : 0;
	atomic_store(&m->fail_at, 0);
	atomic_store(&m->fail_error, error);
	atomic_store(&m->fail_end, count > UINT64_MAX - at ? UINT64_MAX : at + count);
	atomic_store(&m->fail_at, at);
	return 0;
}

GTT_API int gtt_mock_fail_call(struct gtt_backend *be, uint64_t nth, int error)
{
	return gtt_mock_fail_calls(be, nth, 1, error);
}

GTT_API int gtt_mock_ppgtt_root(struct gtt_backend *be, uint64_t *dma)
{
	struct mock *m = to_mock(be);

	if (!m || !dma || m->mode != GTT_MOCK_INTEL_PPGTT)
		return set_error(-EINVAL, "gtt_mock_ppgtt_root: not a PPGTT mock, or dma is NULL");
	*dma = m->is_gen6 ? m->gen6.pd_offset : m->ppgtt.root.dma;
	return 0;
}

/* gen6/7: the directory (at its GGTT offset, 512 PDEs) or a page table (1024 PTEs). */
static int gen6_table_read(struct mock *m, uint64_t dma, unsigned int index, uint64_t *entry)
{
	bool pd = dma == m->gen6.pd_offset;
	uint32_t *t;

	if (index >= (pd ? GTT_INTEL_GEN6_PDES : GTT_INTEL_GEN6_PTES))
		return set_error(-EINVAL, "gtt_mock_table_read: index %u past the %s", index,
				 pd ? "directory's 512 entries" : "page table's 1024 entries");
	pthread_mutex_lock(&m->gen6.lock);
	if (pd) {
		*entry = intel_ggtt_load_entry(&m->ggtt, dma / 4096 + index);
		pthread_mutex_unlock(&m->gen6.lock);
		return 0;
	}
	t = intel_pt_pool_cpu(&m->pool, dma);
	if (t)
		*entry = __atomic_load_n(&t[index], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->gen6.lock);
	return t ? 0 : set_error(-EINVAL, "gtt_mock_table_read: no table at 0x%llx",
				 (unsigned long long)dma);
}

GTT_API int gtt_mock_table_read(struct gtt_backend *be, uint64_t dma,
				unsigned int index, uint64_t *entry)
{
	struct mock *m = to_mock(be);
	uint64_t *t;

	if (!m || !entry || m->mode != GTT_MOCK_INTEL_PPGTT)
		return set_error(-EINVAL, "gtt_mock_table_read: not a PPGTT mock, or entry is NULL");
	if (m->is_gen6)
		return gen6_table_read(m, dma, index, entry);
	if (index >= PT_ENTRIES)
		return set_error(-EINVAL, "gtt_mock_table_read: index %u past a table's 512 entries", index);
	pthread_mutex_lock(&m->ppgtt.lock);
	t = intel_pt_pool_cpu(&m->pool, dma);
	if (t)
		*entry = __atomic_load_n(&t[index], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->ppgtt.lock);
	return t ? 0 : set_error(-EINVAL, "gtt_mock_table_read: no table at 0x%llx",
				 (unsigned long long)dma);
}

GTT_API int gtt_mock_set_delay(struct gtt_backend *be, uint64_t ns)
{
	struct mock *m = to_mock(be);

	if (!m)
		return set_error(-EINVAL, "gtt_mock_set_delay: not a mock backend");
	atomic_store(&m->delay_ns, ns);
	return 0;
}
