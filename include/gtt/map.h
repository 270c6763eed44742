/* SPDX-License-Identifier: MIT */
/**
 * DOC: sparse vmas and mappings (VM_BIND)
 *
 * A *sparse vma* is a range of the vm with no pages of its own:
 * gtt_vma_create_sparse() makes one of a given size, and gtt_vma_bind()
 * places it like any vma (best fit, fixed, evict, ...).  Placed, it maps
 * nothing: its range holds scratch.  Inside it, gtt_vma_map() maps any page
 * range to any pages from any page offset, and gtt_vma_unmap() unmaps any
 * page range — the operations of a VM_BIND driver (xe's
 * DRM_IOCTL_XE_VM_BIND, drm_gpuvm's split and merge), and what
 * vkQueueBindSparse needs.  For a driver that manages a whole address space
 * this way, one sparse vma covering the vm is enough.
 *
 * Split.  Whatever was mapped where a new operation lands is split: the
 * covered parts are unmapped; the parts outside the operation stay mapped
 * and keep their page-table entries — they are not rewritten.  A map over
 * existing mappings is an implicit unmap of what it covers, followed by the
 * new mapping.
 *
 * Ordering, for every piece (the rules of gtt/vm.h):
 *
 * - the PTE clear of a covered part waits for the sparse vma's active
 *   fences (gtt_vma_add_active()) and for the PTE write of the mapping it
 *   came from;
 * - the new PTE write waits for the caller's dependencies, for the sparse
 *   vma's own placement, and for every pending clear it overlaps — those
 *   this same call starts too (so a map over a mapping in use waits for the
 *   GPU to be done with it);
 * - calls on one sparse vma that overlap take effect in the order they
 *   were made.
 *
 * Batches.  gtt_vm_map_batch() applies a list of map and unmap operations
 * (on one or several sparse vmas) as one unit: the operations take effect
 * in order, all of them or — for lack of memory — none, their page-table
 * work runs as one job with one TLB invalidation at the end, and the batch
 * has one fence (xe's vector of binds).  gtt_vma_map() and gtt_vma_unmap()
 * are batches of one.
 *
 * Each call returns one fence that signals when all of its work is done:
 * the covered parts cleared and the new entries written (with the first
 * error of any of it).  Without %GTT_MAP_ASYNC the call waits for it
 * (without the vm lock).  As for binds and unbinds, a call takes everything
 * it needs before it changes anything: with %GTT_MAP_ASYNC or
 * %GTT_MAP_TRYLOCK it returns -ENOMEM with nothing changed, otherwise it
 * waits for a fence it could not record and tries again.
 *
 * Pages created %GTT_PAGES_BORROWED are never unmapped asynchronously
 * (rule 5): a call that covers them waits for its fence, %GTT_MAP_ASYNC or
 * not, and so does the unbind of a sparse vma that maps them.
 *
 * A failed PTE write leaves the new mapping in place holding scratch; the
 * rest of its batch stands, and the batch's fence carries the error; a failed clear keeps the covered part's pages
 * referenced (the quarantine of gtt/vm.h) until the sparse vma is unbound
 * and its range cleared.  Unbinding the sparse vma unmaps everything in it,
 * after its active fences and every write in it.
 *
 * Work that may use any mapping of the vm can be recorded once for all
 * with gtt_vm_add_active() (gtt/vm.h); unmaps wait for it too.
 *
 * Objects.  The vm keeps a reverse index from pages to the mappings of
 * them in its sparse vmas: gtt_vm_unmap_pages() unmaps every one (xe's
 * UNMAP_ALL), gtt_vm_move_pages() maps every one to other pages at the same
 * offsets (a migration).  Both are one batch.
 */
#ifndef GTT_MAP_H
#define GTT_MAP_H

#include <gtt/common.h>
#include <gtt/fence.h>
#include <gtt/pages.h>
#include <gtt/resv.h>
#include <gtt/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags for &struct gtt_map_info. */
enum gtt_map_flags {
	/** @GTT_MAP_ASYNC: return at once; completion on the fence. */
	GTT_MAP_ASYNC = 1u << 0,
	/** @GTT_MAP_TRYLOCK: -EBUSY instead of waiting for the vm lock. */
	GTT_MAP_TRYLOCK = 1u << 1,
};

/**
 * struct gtt_map_info - What to map, and how to order it.
 * @flags: &enum gtt_map_flags.
 * @pages: what gtt_vma_map() maps (a reference is taken); NULL with
 *	%GTT_PTE_NULL in @pte_flags for a NULL mapping.  Every other
 *	call takes an info with no @pages, @pages_offset or @pte_flags
 *	(-EINVAL otherwise).
 * @pages_offset: where in @pages the mapping starts, in bytes (a multiple
 *	of the page size); 0 for a NULL mapping.
 * @pte_flags: GTT_PTE_* flags passed to the backend.
 * @deps: fences the work must wait for.
 * @num_deps: entries in @deps.
 * @reserved: zero (see gtt/common.h).
 */
struct gtt_map_info {
	unsigned int flags;
	struct gtt_pages *pages;
	uint64_t pages_offset;
	uint32_t pte_flags;
	struct gtt_fence *const *deps;
	size_t num_deps;
	uint64_t reserved[6];
};

/** enum gtt_map_op_kind - What one operation of a batch does. */
enum gtt_map_op_kind {
	GTT_OP_MAP = 0,		/* map pages (or NULL, with GTT_PTE_NULL) */
	GTT_OP_UNMAP = 1,	/* unmap the range */
};

/**
 * struct gtt_map_op - One operation of gtt_vm_map_batch().
 * @kind: &enum gtt_map_op_kind.
 * @vma: a bound sparse vma.
 * @offset: where in @vma, in bytes (a multiple of the page size).
 * @size: bytes (a non-zero multiple of the page size, within @vma).
 * @pages: for %GTT_OP_MAP: the pages (a reference is taken), or NULL
 *	with %GTT_PTE_NULL in @pte_flags; NULL for %GTT_OP_UNMAP.
 * @pages_offset: for %GTT_OP_MAP: where in @pages the mapping starts.
 * @pte_flags: for %GTT_OP_MAP: GTT_PTE_* flags.
 * @reserved: zero (see gtt/common.h).
 */
struct gtt_map_op {
	enum gtt_map_op_kind kind;
	gtt_vma_t vma;
	uint64_t offset;
	uint64_t size;
	struct gtt_pages *pages;
	uint64_t pages_offset;
	uint32_t pte_flags;
	uint64_t reserved[4];
};

/**
 * gtt_vm_map_batch() - Apply @count operations as one unit.
 * @vm: the vm.
 * @ops: the operations, applied in order.
 * @count: entries in @ops (at least 1).
 * @info: flags and dependencies only (@pages, @pages_offset and
 *	@pte_flags must be 0); NULL: synchronous, no dependencies.
 * @fence: if not NULL, receives the batch's fence (one reference).
 *
 * Every operation is checked before anything changes; a bad one fails the
 * whole batch with -EINVAL and the message names it.
 *
 * Return: as gtt_vma_map().
 */
GTT_API int gtt_vm_map_batch(struct gtt_vm *vm, const struct gtt_map_op *ops,
			     size_t count, const struct gtt_map_info *info,
			     struct gtt_fence **fence);

/**
 * gtt_vm_unmap_pages() - Unmap every mapping of @pages in @vm's sparse vmas.
 * @vm: the vm.
 * @pages: the object.
 * @info: flags and dependencies only; NULL: synchronous, none.
 * @fence: if not NULL, receives the batch's fence (one reference).
 *
 * One batch of unmaps, gathered under the vm lock.  No mapping is not an
 * error (the fence is then signalled at once).  Return: as gtt_vma_map().
 */
GTT_API int gtt_vm_unmap_pages(struct gtt_vm *vm, struct gtt_pages *pages,
			       const struct gtt_map_info *info,
			       struct gtt_fence **fence);

/**
 * gtt_vm_move_pages() - Map every mapping of @from to @to instead.
 * @vm: the vm.
 * @from: the object's old pages.
 * @to: its new pages, at least as large where mapped (same offsets, same
 *	PTE flags).
 * @info: flags and dependencies only: pass the migration copy's fence in
 *	@deps.
 * @fence: if not NULL, receives the move's fence (one reference).
 *
 * The new entries are written once @deps (the copy) have signalled; the old
 * entries are cleared, and @from's pages released, only after both the
 * copy and the GPU work using the old mappings (the vmas' and the vm's
 * active fences) are done — the copy itself waits for none of it, that is
 * the caller's to submit.  The fence is the next point on a timeline of
 * @from's own, and signals only after the point before it, so fences of
 * repeated moves of one object replace each other in active lists and
 * reservation objects.
 *
 * Return: as gtt_vma_map(); -EINVAL also when @to is too small for a
 * mapping.
 */
GTT_API int gtt_vm_move_pages(struct gtt_vm *vm, struct gtt_pages *from,
			      struct gtt_pages *to, const struct gtt_map_info *info,
			      struct gtt_fence **fence);

/**
 * gtt_vma_create_sparse() - New unbound sparse vma of @size bytes.
 * @vm: the vm.
 * @size: bytes, a non-zero multiple of the vm's page size.
 * @resv: reservation object, or NULL; the sparse vma's own unbind fence
 *	goes there as for any vma.
 * @out: receives the handle.
 *
 * Sparse vmas are never chosen for eviction.  Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_vma_create_sparse(struct gtt_vm *vm, uint64_t size,
				  struct gtt_resv *resv, gtt_vma_t *out);

/**
 * gtt_vma_map() - Map [@offset, @offset + @size) of a bound sparse vma.
 * @vm: the vm.
 * @vma: a bound sparse vma.
 * @offset: where in the vma, in bytes (a multiple of the page size).
 * @size: bytes (a non-zero multiple of the page size, within the vma).
 * @info: the pages, offset and flags; must not be NULL.
 * @fence: if not NULL, receives the call's fence (one reference).
 *
 * Return: 0; -EINVAL (bad range, offset, pages or flags; not a sparse
 * vma; a split the backend cannot make: a cut through one of its large
 * pages, as xe's 64 KiB VRAM pages on DG2, gtt/xe.h); -ENOENT (unknown or unbound vma); -ESHUTDOWN (vm closed); -EBUSY
 * (trylock); -ENOMEM (nothing changed); without %GTT_MAP_ASYNC, the error
 * of a dependency, of a covered part's clear or of the PTE write.
 */
GTT_API int gtt_vma_map(struct gtt_vm *vm, gtt_vma_t vma, uint64_t offset,
			uint64_t size, const struct gtt_map_info *info,
			struct gtt_fence **fence);

/**
 * gtt_vma_unmap() - Unmap [@offset, @offset + @size) of a bound sparse vma.
 * @vm: the vm.
 * @vma: a bound sparse vma.
 * @offset: where in the vma, in bytes (a multiple of the page size).
 * @size: bytes (a non-zero multiple of the page size, within the vma).
 * @info: flags and dependencies only (NULL: synchronous, none); an info
 *	with @pages, @pages_offset or @pte_flags set is refused (-EINVAL),
 *	as by gtt_vm_unmap_pages().
 * @fence: if not NULL, receives the call's fence (one reference).
 *
 * Unmapping a range where nothing is mapped is not an error.
 *
 * Return: as gtt_vma_map().
 */
GTT_API int gtt_vma_unmap(struct gtt_vm *vm, gtt_vma_t vma, uint64_t offset,
			  uint64_t size, const struct gtt_map_info *info,
			  struct gtt_fence **fence);

#ifdef __cplusplus
}
#endif
#endif
