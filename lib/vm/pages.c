/* SPDX-License-Identifier: MIT */
/*
 * Page lists: see gtt/pages.h.  Segments are stored with the byte offset at
 * which each begins, so an offset is found by binary search.  A page array
 * (gtt_pages_create_array()) is stored as given, plus its runs for
 * gtt_pages_segments(); an offset indexes the array.
 */
#include <pthread.h>
#include <string.h>

#include <gtt/pages.h>

#include <gtt/fence.h>

#include "base/util.h"
#include "vm_internal.h"

struct seg {
	struct gtt_pages_segment s;
	uint64_t offset;	/* bytes before this segment */
};

struct gtt_pages {
	_Atomic int32_t refcount;
	unsigned int flags;
	uint32_t kind;			/* enum gtt_pages_kind */
	uint32_t handle;		/* GTT_PAGES_BO */
	uint64_t base;			/* BO offset, or user address */
	uint64_t size;
	void (*dtor)(void *arg);
	void *dtor_arg;
	size_t count;
	struct gtt_pages_segment *plain;	/* for gtt_pages_segments() */
	uint64_t *array;		/* gtt_pages_create_array(): the pages */
	size_t npages;
	uint64_t page_size;
	uint64_t first_page;		/* gtt_pages_first_page() */
	uint64_t last_page;		/* gtt_pages_last_page() */
	uint64_t longest_run;		/* gtt_pages_longest_run() */
	/* The timeline of the pages' moves (gtt_vm_move_pages()), made on
	 * the first one: each move's fence is its next point, and waits for
	 * the one before, so the points signal in order. */
	pthread_mutex_t move_lock;
	uint64_t timeline;
	uint64_t moves;
	struct gtt_fence *last_move;
	struct seg segs[];
};

void pages_join_moves(struct gtt_pages *p, struct gtt_fence *f,
		      struct gtt_fence **prev)
{
	pthread_mutex_lock(&p->move_lock);
	if (!p->timeline)
		p->timeline = gtt_fence_context_alloc(1);
	f->context = p->timeline;
	f->seqno = ++p->moves;
	*prev = p->last_move;
	p->last_move = gtt_fence_get(f);
	pthread_mutex_unlock(&p->move_lock);
}

#define PAGE_4K 4096ull

static void pages_init(struct gtt_pages *p, uint32_t kind, unsigned int flags,
		       uint64_t size)
{
	atomic_init(&p->refcount, 1);
	pthread_mutex_init(&p->move_lock, NULL);
	p->timeline = 0;
	p->moves = 0;
	p->last_move = NULL;
	p->flags = flags;
	p->kind = kind;
	p->handle = 0;
	p->base = 0;
	p->size = size;
	p->dtor = NULL;
	p->dtor_arg = NULL;
	p->first_page = 0;
	p->last_page = 0;
	p->longest_run = 0;
	p->array = NULL;
	p->npages = 0;
	p->page_size = 0;
}

/* A list with no segments: a GEM object's range or user memory. */
static int pages_create_range(const char *who, uint32_t kind, uint32_t handle,
			      uint64_t base, uint64_t size, unsigned int flags,
			      struct gtt_pages **out)
{
	struct gtt_pages *p;

	if (!out)
		return set_error(-EINVAL, "%s: out is NULL", who);
	if (flags & ~(unsigned int)GTT_PAGES_BORROWED)
		return set_error(-EINVAL, "%s: unknown flags 0x%x", who, flags);
	if (!size || size % PAGE_4K || base % PAGE_4K || base > UINT64_MAX - size)
		return set_error(-EINVAL, "%s: [0x%llx, +0x%llx) is empty, not 4 KiB aligned or wraps",
				 who, (unsigned long long)base, (unsigned long long)size);
	p = mem_alloc(sizeof(*p));
	if (!p)
		return set_error(-ENOMEM, "%s: out of memory", who);
	pages_init(p, kind, flags, size);
	p->count = 0;
	p->plain = NULL;
	p->handle = handle;
	p->base = base;
	*out = p;
	return 0;
}

GTT_API int gtt_pages_create_bo(uint32_t handle, uint64_t offset, uint64_t size,
				unsigned int flags, struct gtt_pages **out)
{
	if (!handle)
		return set_error(-EINVAL, "gtt_pages_create_bo: GEM handle 0 names no object");
	return pages_create_range("gtt_pages_create_bo", GTT_PAGES_BO, handle, offset,
				  size, flags, out);
}

GTT_API int gtt_pages_create_userptr(uint64_t addr, uint64_t size,
				     unsigned int flags, struct gtt_pages **out)
{
	if (!addr)
		return set_error(-EINVAL, "gtt_pages_create_userptr: address 0");
	return pages_create_range("gtt_pages_create_userptr", GTT_PAGES_USERPTR, 0,
				  addr, size, flags, out);
}

GTT_API int gtt_pages_memory(const struct gtt_pages *p, struct gtt_pages_memory *out)
{
	if (!p || !out)
		return set_error(-EINVAL, "gtt_pages_memory: NULL argument");
	*out = (struct gtt_pages_memory){
		.kind = p->kind,
		.handle = p->handle,
		.offset = p->kind == GTT_PAGES_BO ? p->base : 0,
		.addr = p->kind == GTT_PAGES_USERPTR ? p->base : 0,
		.size = p->size,
	};
	return 0;
}

GTT_API int gtt_pages_create(const struct gtt_pages_segment *segs,
			     size_t count, unsigned int flags,
			     struct gtt_pages **out)
{
	struct gtt_pages *p;
	uint64_t total = 0;

	if (!segs || !count || !out)
		return set_error(-EINVAL, "gtt_pages_create: NULL argument or zero segments");
	if (flags & ~(unsigned int)GTT_PAGES_BORROWED)
		return set_error(-EINVAL, "gtt_pages_create: unknown flags 0x%x", flags);
	if (count > (SIZE_MAX - sizeof(*p)) / (sizeof(struct seg) + sizeof(*segs)))
		return set_error(-EINVAL, "gtt_pages_create: too many segments");
	for (size_t i = 0; i < count; i++) {
		const struct gtt_pages_segment *s = &segs[i];

		if (!s->length || s->length % PAGE_4K || s->addr % PAGE_4K)
			return set_error(-EINVAL, "gtt_pages_create: segment %zu [0x%llx, +0x%llx) is empty or not 4 KiB aligned",
					 i, (unsigned long long)s->addr,
					 (unsigned long long)s->length);
		if (s->addr > UINT64_MAX - s->length || total > UINT64_MAX - s->length)
			return set_error(-EINVAL, "gtt_pages_create: segment %zu wraps or the total overflows", i);
		total += s->length;
	}
	p = mem_alloc(sizeof(*p) + count * sizeof(struct seg));
	if (!p)
		return set_error(-ENOMEM, "gtt_pages_create: out of memory");
	p->plain = mem_alloc(count * sizeof(*segs));
	if (!p->plain) {
		mem_free(p);
		return set_error(-ENOMEM, "gtt_pages_create: out of memory");
	}
	memcpy(p->plain, segs, count * sizeof(*segs));
	pages_init(p, GTT_PAGES_DMA, flags, total);
	p->count = count;
	total = 0;
	uint64_t run = 0;

	for (size_t i = 0; i < count; i++) {
		uint64_t len = segs[i].length;

		p->segs[i].s = segs[i];
		p->segs[i].offset = total;
		total += len;
		p->first_page = i ? u64_min(p->first_page, segs[i].addr) : segs[i].addr;
		p->last_page = u64_max(p->last_page, segs[i].addr + len - PAGE_4K);
		/* A run: segments that follow each other in device addresses. */
		if (i && segs[i].addr == segs[i - 1].addr + segs[i - 1].length)
			run += len;
		else
			run = len;
		p->longest_run = u64_max(p->longest_run, run);
	}
	*out = p;
	return 0;
}

/* The number of runs in @addrs (@n pages of @ps); with @runs, also writes
 * them there and sets @p's first_page, last_page and longest_run. */
static size_t array_runs(const uint64_t *addrs, size_t n, uint64_t ps,
			 struct gtt_pages_segment *runs, struct gtt_pages *p)
{
	size_t r = 0;

	for (size_t i = 0; i < n; i++) {
		if (i && addrs[i] == addrs[i - 1] + ps) {
			if (runs)
				runs[r - 1].length += ps;
			continue;
		}
		if (runs)
			runs[r] = (struct gtt_pages_segment){ addrs[i], ps };
		r++;
	}
	for (size_t k = 0; runs && k < r; k++) {
		p->first_page = k ? u64_min(p->first_page, runs[k].addr) : runs[k].addr;
		p->last_page = u64_max(p->last_page, runs[k].addr + runs[k].length - PAGE_4K);
		p->longest_run = u64_max(p->longest_run, runs[k].length);
	}
	return r;
}

GTT_API int gtt_pages_create_array(const uint64_t *addrs, size_t count,
				   uint64_t page_size, unsigned int flags,
				   struct gtt_pages **out)
{
	struct gtt_pages *p;
	size_t nruns;

	if (!addrs || !count || !out)
		return set_error(-EINVAL, "gtt_pages_create_array: NULL argument or zero pages");
	if (flags & ~(unsigned int)GTT_PAGES_BORROWED)
		return set_error(-EINVAL, "gtt_pages_create_array: unknown flags 0x%x", flags);
	if (page_size < PAGE_4K || (page_size & (page_size - 1)))
		return set_error(-EINVAL, "gtt_pages_create_array: page size 0x%llx is not a power of two of 4 KiB or more",
				 (unsigned long long)page_size);
	if (count > UINT64_MAX / page_size ||
	    count > (SIZE_MAX - sizeof(*p)) / (sizeof(*addrs) + sizeof(struct gtt_pages_segment)))
		return set_error(-EINVAL, "gtt_pages_create_array: %zu pages of 0x%llx bytes: too many",
				 count, (unsigned long long)page_size);
	for (size_t i = 0; i < count; i++)
		if (addrs[i] % page_size || addrs[i] > UINT64_MAX - page_size)
			return set_error(-EINVAL, "gtt_pages_create_array: page %zu at 0x%llx is not 0x%llx-aligned or wraps",
					 i, (unsigned long long)addrs[i],
					 (unsigned long long)page_size);
	nruns = array_runs(addrs, count, page_size, NULL, NULL);
	p = mem_alloc(sizeof(*p));
	if (!p)
		return set_error(-ENOMEM, "gtt_pages_create_array: out of memory");
	pages_init(p, GTT_PAGES_DMA, flags, count * page_size);
	p->array = mem_alloc(count * sizeof(*addrs));
	p->plain = p->array ? mem_alloc(nruns * sizeof(*p->plain)) : NULL;
	if (!p->plain) {
		pthread_mutex_destroy(&p->move_lock);
		mem_free(p->array);
		mem_free(p);
		return set_error(-ENOMEM, "gtt_pages_create_array: out of memory");
	}
	memcpy(p->array, addrs, count * sizeof(*addrs));
	p->npages = count;
	p->page_size = page_size;
	p->count = array_runs(addrs, count, page_size, p->plain, p);
	*out = p;
	return 0;
}

GTT_API const uint64_t *gtt_pages_array(const struct gtt_pages *p, size_t *count,
					uint64_t *page_size)
{
	if (count)
		*count = p ? p->npages : 0;
	if (page_size)
		*page_size = p ? p->page_size : 0;
	return p ? p->array : NULL;
}

GTT_API int gtt_pages_set_destructor(struct gtt_pages *p, void (*fn)(void *),
				     void *arg)
{
	if (!p)
		return set_error(-EINVAL, "gtt_pages_set_destructor: pages is NULL");
	p->dtor = fn;
	p->dtor_arg = arg;
	return 0;
}

GTT_API struct gtt_pages *gtt_pages_get(struct gtt_pages *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->refcount, 1, memory_order_relaxed);
	return p;
}

GTT_API void gtt_pages_put(struct gtt_pages *p)
{
	if (!p || atomic_fetch_sub_explicit(&p->refcount, 1,
					    memory_order_acq_rel) != 1)
		return;
	if (p->dtor)
		p->dtor(p->dtor_arg);
	gtt_fence_put(p->last_move);
	pthread_mutex_destroy(&p->move_lock);
	mem_free(p->plain);
	mem_free(p->array);
	mem_free(p);
}

GTT_API uint64_t gtt_pages_size(const struct gtt_pages *p)
{
	return p ? p->size : 0;
}

GTT_API unsigned int gtt_pages_flags(const struct gtt_pages *p)
{
	return p ? p->flags : 0;
}

GTT_API uint64_t gtt_pages_first_page(const struct gtt_pages *p)
{
	return p ? p->first_page : 0;
}

GTT_API uint64_t gtt_pages_last_page(const struct gtt_pages *p)
{
	return p ? p->last_page : 0;
}

GTT_API uint64_t gtt_pages_longest_run(const struct gtt_pages *p)
{
	return p ? p->longest_run : 0;
}

GTT_API const struct gtt_pages_segment *
gtt_pages_segments(const struct gtt_pages *p, size_t *count)
{
	if (count)
		*count = p ? p->count : 0;
	return p ? p->plain : NULL;
}

GTT_API int gtt_pages_addr(const struct gtt_pages *p, uint64_t offset,
			   uint64_t *addr)
{
	size_t lo = 0, hi;

	if (!p || !addr)
		return set_error(-EINVAL, "gtt_pages_addr: NULL argument");
	if (p->kind != GTT_PAGES_DMA)
		return set_error(-EOPNOTSUPP, "gtt_pages_addr: the pages are a %s, with no DMA address known",
				 p->kind == GTT_PAGES_BO ? "GEM object" : "range of user memory");
	if (offset >= p->size)
		return set_error(-ERANGE, "gtt_pages_addr: offset 0x%llx is past the end (0x%llx)",
				 (unsigned long long)offset, (unsigned long long)p->size);
	if (p->array) {
		*addr = p->array[offset / p->page_size] + offset % p->page_size;
		return 0;
	}
	hi = p->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->segs[mid].offset <= offset)
			lo = mid;
		else
			hi = mid;
	}
	*addr = p->segs[lo].s.addr + (offset - p->segs[lo].offset);
	return 0;
}
