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
 * library cannot extend (the caller frees it as soon as unbind returns).
 * Unbinding them is always synchronous, as in the seed patch, where async
 * unbind needs refcounted pages.
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
 */
GTT_API const struct gtt_pages_segment *
gtt_pages_segments(const struct gtt_pages *pages, size_t *count);

/**
 * gtt_pages_addr() - Device address of byte @offset (O(log segments)).
 *
 * Return: 0, -EINVAL for NULL, -ERANGE if @offset is past the end.
 */
GTT_API int gtt_pages_addr(const struct gtt_pages *pages, uint64_t offset,
			   uint64_t *addr);

#ifdef __cplusplus
}
#endif
#endif
