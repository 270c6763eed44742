/* SPDX-License-Identifier: MIT */
/**
 * DOC: page lists
 *
 * A gtt_pages is an immutable, reference-counted list of DMA segments: the
 * device addresses a mapping's PTEs point at.  A binding keeps a reference
 * on its pages until its unbind has completed, so memory can be handed back
 * only after the GPU can no longer reach it.  The destructor set with
 * gtt_pages_set_destructor() tells the owner when that moment has come.
 *
 * Pages created with %GTT_PAGES_BORROWED describe memory whose lifetime the
 * library cannot extend (the caller frees it as soon as unbind returns 0).
 * Unbinding them is always synchronous, as in the seed patch, where async
 * unbind needs refcounted pages.  An unbind (or gtt_vma_destroy()) that
 * returns the PTE clear's error has not made the memory unreachable: the
 * entries may still map it, so it must stay allocated until the pages'
 * destructor runs (the quarantine of gtt/vm.h: a later call's retry of
 * the clear succeeded, or gtt_vm_destroy() let go of it).
 *
 * Three kinds of memory can stand behind a page list: DMA pages (what a
 * PTE backend writes into entries: the mock, VFIO), given as segments
 * (gtt_pages_create()) or as one address per page, the way TTM's
 * ttm_tt.dma_address[] and many drivers hold them
 * (gtt_pages_create_array()), or, for a backend
 * whose kernel writes the entries (xe's VM_BIND, gtt/xe.h), a GEM object
 * of that kernel plus an offset into it, or a range of the process's own
 * memory (a user pointer).  A backend refuses a kind it cannot map with
 * -EOPNOTSUPP at bind time; gtt_pages_memory() says which one a list is.
 *
 * Thread safety: references may be taken and dropped from any thread.
 */
#ifndef GTT_PAGES_H
#define GTT_PAGES_H

#include <gtt/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct gtt_pages_segment - One physically contiguous run.
 * @addr: device (DMA/IOVA) address, 4 KiB aligned.
 * @length: bytes, a non-zero multiple of 4 KiB.
 */
struct gtt_pages_segment {
	uint64_t addr;
	uint64_t length;
};

/** Flags for gtt_pages_create(). */
enum gtt_pages_flags {
	/** @GTT_PAGES_BORROWED: lifetime not extendable; unbind is synchronous. */
	GTT_PAGES_BORROWED = 1u << 0,
};

struct gtt_pages;

/**
 * gtt_pages_create() - Build a page list from @count segments (copied).
 *
 * Return: 0, -EINVAL (NULL, zero count, misaligned, zero-length or wrapping
 * segment, total overflow, unknown flag), -ENOMEM.
 */
GTT_API int gtt_pages_create(const struct gtt_pages_segment *segs,
			     size_t count, unsigned int flags,
			     struct gtt_pages **out);

/**
 * gtt_pages_create_array() - Build a page list from @count DMA addresses,
 * one per page of @page_size bytes (copied): TTM's ttm_tt.dma_address[],
 * or any driver's per-page array, passed as it is.
 * @addrs: the page addresses in list order, each a multiple of @page_size.
 * @count: pages, non-zero.
 * @page_size: a power of two, 4 KiB or more.
 * @flags: as for gtt_pages_create().
 * @out: receives the list (one reference).
 *
 * The list is @count * @page_size bytes, page i at @addrs[i].  Pages whose
 * addresses follow each other form one run: gtt_pages_segments() gives the
 * runs (what backends that walk segments map), gtt_pages_longest_run() the
 * longest, so huge pages and 64 KiB tables are found as for segments.
 * With 4 KiB pages in runs shorter than two pages on average (fragmented
 * memory), the Intel GGTT and PPGTT writers read the array itself: 8
 * bytes per entry instead of a 16-byte segment.  Memory: 8 bytes a page
 * plus 16 a run (gtt_pages_create(): 40 a segment).
 *
 * Return: 0, -EINVAL (NULL, zero count, a page size that is not a power of
 * two of at least 4 KiB, an address not aligned to it or whose page wraps,
 * a total size that overflows, unknown flag), -ENOMEM.
 */
GTT_API int gtt_pages_create_array(const uint64_t *addrs, size_t count,
				   uint64_t page_size, unsigned int flags,
				   struct gtt_pages **out);

/**
 * gtt_pages_array() - The page addresses of a list made by
 * gtt_pages_create_array().
 * @count: receives the number of pages (may be NULL).
 * @page_size: receives their size (may be NULL).
 *
 * Return: the array; NULL (and 0 for both) for any other list, or NULL.
 */
GTT_API const uint64_t *gtt_pages_array(const struct gtt_pages *pages, size_t *count,
					uint64_t *page_size);

/** enum gtt_pages_kind - What memory stands behind a page list. */
enum gtt_pages_kind {
	/** @GTT_PAGES_DMA: DMA pages (segments, or a page array). */
	GTT_PAGES_DMA = 0,
	/** @GTT_PAGES_BO: a GEM object (gtt_pages_create_bo()). */
	GTT_PAGES_BO = 1,
	/** @GTT_PAGES_USERPTR: process memory (gtt_pages_create_userptr()). */
	GTT_PAGES_USERPTR = 2,
};

/**
 * struct gtt_pages_memory - What gtt_pages_memory() reports.
 * @kind: an &enum gtt_pages_kind.
 * @handle: GTT_PAGES_BO: the GEM handle (on the DRM file of the backend
 *	that maps it).
 * @offset: GTT_PAGES_BO: where in the object the list starts.
 * @addr: GTT_PAGES_USERPTR: the first byte's virtual address.
 * @size: bytes.
 * @reserved: zero.
 */
struct gtt_pages_memory {
	uint32_t kind;
	uint32_t handle;
	uint64_t offset;
	uint64_t addr;
	uint64_t size;
	uint64_t reserved[2];
};

/**
 * gtt_pages_create_bo() - A page list for @size bytes of GEM object @handle
 * from @offset on.
 * @handle: non-zero GEM handle.
 * @offset: 4 KiB aligned.
 * @size: non-zero multiple of 4 KiB; @offset + @size must not wrap.
 * @flags: as for gtt_pages_create().
 * @out: receives the list (one reference).
 *
 * The library does not look into the object: whoever maps it (the kernel)
 * checks that it is that large.  gtt_pages_segments() gives no segments.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_pages_create_bo(uint32_t handle, uint64_t offset, uint64_t size,
				unsigned int flags, struct gtt_pages **out);

/**
 * gtt_pages_create_userptr() - A page list for @size bytes of this
 * process's memory at @addr (xe's MAP_USERPTR).
 * @addr: 4 KiB aligned, non-zero.
 * @size: non-zero multiple of 4 KiB; @addr + @size must not wrap.
 * @flags: as for gtt_pages_create().
 * @out: receives the list (one reference).
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_pages_create_userptr(uint64_t addr, uint64_t size,
				     unsigned int flags, struct gtt_pages **out);

/**
 * gtt_pages_memory() - What memory stands behind @pages.
 *
 * Return: 0, -EINVAL for NULL.
 */
GTT_API int gtt_pages_memory(const struct gtt_pages *pages,
			     struct gtt_pages_memory *out);

/**
 * gtt_pages_set_destructor() - Call @fn(@arg) when the last reference goes.
 *
 * @fn runs in whichever thread drops that reference: an executor worker,
 * a thread signalling a fence, or a libgtt call that holds a vm's lock (an
 * unbind or unmap whose clear runs at once).  It must not call back into
 * libgtt; hand the memory back, or queue that work elsewhere.
 *
 * Return: 0, -EINVAL for NULL @pages.
 */
GTT_API int gtt_pages_set_destructor(struct gtt_pages *pages,
				     void (*fn)(void *arg), void *arg);

/** gtt_pages_get() - Take a reference.  Return: @pages. */
GTT_API struct gtt_pages *gtt_pages_get(struct gtt_pages *pages);

/** gtt_pages_put() - Drop a reference; NULL is ignored. */
GTT_API void gtt_pages_put(struct gtt_pages *pages);

/** gtt_pages_size() - Total bytes. */
GTT_API uint64_t gtt_pages_size(const struct gtt_pages *pages);

/** gtt_pages_flags() - The flags given at creation. */
GTT_API unsigned int gtt_pages_flags(const struct gtt_pages *pages);

/**
 * gtt_pages_segments() - The segment array.
 * @count: receives the number of segments (may be NULL).
 *
 * For a list made by gtt_pages_create_array(): its runs, consecutive pages
 * merged.
 *
 * Return: the segments; NULL (and a count of 0) for a GEM object or user
 * memory.
 */
GTT_API const struct gtt_pages_segment *
gtt_pages_segments(const struct gtt_pages *pages, size_t *count);

/**
 * gtt_pages_first_page() - The lowest 4 KiB page address of the segments
 * (the smallest segment address), found at creation: with
 * gtt_pages_last_page(), the span every page lies in (a writer asks it
 * whether the pages can hold a given page, such as the scratch page).
 *
 * Return: that address; 0 for NULL, a GEM object or user memory.
 */
GTT_API uint64_t gtt_pages_first_page(const struct gtt_pages *pages);

/**
 * gtt_pages_last_page() - The highest 4 KiB page address of the segments
 * (the largest segment address + length - 4 KiB), found at creation: what
 * a page-table format's address width is checked against, without reading
 * the segments again.
 *
 * Return: that address; 0 for NULL, a GEM object or user memory.
 */
GTT_API uint64_t gtt_pages_last_page(const struct gtt_pages *pages);

/**
 * gtt_pages_longest_run() - The longest physically contiguous run, in
 * bytes, found at creation: consecutive segments that follow each other
 * in device addresses count as one run.  No page larger than this (and no
 * 64 KiB page table) can map any part of the list.
 *
 * Return: bytes; 0 for NULL, a GEM object or user memory.
 */
GTT_API uint64_t gtt_pages_longest_run(const struct gtt_pages *pages);

/**
 * gtt_pages_addr() - Device address of byte @offset (O(log segments); O(1)
 * for a page array).
 *
 * Return: 0, -EINVAL for NULL, -ERANGE if @offset is past the end,
 * -EOPNOTSUPP for a GEM object or user memory (no DMA address known).
 */
GTT_API int gtt_pages_addr(const struct gtt_pages *pages, uint64_t offset,
			   uint64_t *addr);

#ifdef __cplusplus
}
#endif
#endif
