/* SPDX-License-Identifier: MIT */
#ifndef GTT_LIB_BACKEND_INTERNAL_H
#define GTT_LIB_BACKEND_INTERNAL_H

#include <gtt/backend.h>

struct gtt_backend {
	const struct gtt_backend_ops *ops;
	void *priv;
	/* Set by a backend of libgtt's own after creation (xe), else NULL:
	 * the alignment in bytes that a mapping of @pages with @pte_flags
	 * must keep at both ends — where it starts, where it ends and where
	 * a later map or unmap cuts it, and its offset into the memory behind
	 * @pages (for a GEM object, where in the object: the list's own
	 * offset plus the one into the list; backend_granule_kept()) — or 0
	 * for none beyond the vm's page size.  Quick, no locks taken: the vm
	 * calls it under its lock. */
	uint64_t (*granule)(void *priv, const struct gtt_pages *pages, uint32_t pte_flags);
};

struct gtt_pages;

/*
 * What the vm asks of a backend, each followed by the TLB invalidation that
 * makes it visible (the one place where invalidations could be batched).
 * backend_write() is for PTE backends only; on a queue backend,
 * backend_clear() submits one op and waits for it: only for callers that may
 * block (vm destruction's last quarantine retry).
 * Return: 0 or the first failing op's negative errno (its message set).
 */
int backend_write(struct gtt_backend *be, uint64_t start, uint64_t size,
		  struct gtt_pages *pages, uint64_t pages_offset,
		  uint32_t pte_flags);
int backend_clear(struct gtt_backend *be, uint64_t start, uint64_t size);
/* The same without the invalidation, for a batch that invalidates once. */
int backend_map(struct gtt_backend *be, uint64_t start, uint64_t size,
		struct gtt_pages *pages, uint64_t pages_offset, uint32_t pte_flags);
int backend_unmap(struct gtt_backend *be, uint64_t start, uint64_t size);
int backend_invalidate(struct gtt_backend *be);

/* A queue backend (gtt/backend.h): ops->submit instead of PTE writes. */
static inline bool backend_is_queue(const struct gtt_backend *be)
{
	return be->ops->submit != NULL;
}
/* Submit a batch; *@done is its fence.  0, or the backend's error (nothing
 * done; its message set, naming the backend). */
int backend_submit(struct gtt_backend *be, const struct gtt_backend_op *ops,
		   size_t count, struct gtt_fence *const *deps, size_t num_deps,
		   struct gtt_fence **done);
/* @be's granule for a mapping of @pages with @pte_flags (see above): a
 * power of two, or 0. */
uint64_t backend_granule(const struct gtt_backend *be, const struct gtt_pages *pages,
			 uint32_t pte_flags);
/* Whether a mapping at @addr of @size bytes of @pages from @pages_offset
 * keeps granule @g (0: none): @addr, @size and where it starts in the
 * memory behind @pages (gtt_pages_memory()'s offset + @pages_offset) are
 * multiples of @g. */
bool backend_granule_kept(uint64_t g, const struct gtt_pages *pages, uint64_t addr,
			  uint64_t size, uint64_t pages_offset);
/* Whether a queue backend waits for @k itself. */
bool backend_can_wait(struct gtt_backend *be, struct gtt_fence *k);

#endif
