/* SPDX-License-Identifier: MIT */
/**
 * DOC: address spaces, mappings and bindings
 *
 * A &struct gtt_vm is one GPU virtual address space (a GGTT or a PPGTT):
 * a range allocator, a backend that owns the page table, and the set of
 * unbinds still in flight.
 *
 * A *vma* (gtt_vma_t) is one buffer's placement in a vm.  It is a handle,
 * not a pointer: a handle that was destroyed, or belongs to another vm, is
 * rejected with -ENOENT instead of touching freed memory.
 *
 * A *binding* is the life of one placement, from the bind request until its
 * unbind has completed.  It owns the unbind fence and a reference on the
 * pages, so memory stays mapped-safe until the GPU can no longer reach it.
 *
 * The rules (those of the kernel patch this library generalises):
 *
 * 1. Unbind returns at once with a fence; the VA range goes back to the
 *    allocator immediately.  The PTE clear waits for the vma's active
 *    fences (GPU work still using it, the bind itself).
 * 2. Every binding whose unbind is pending sits in the vm's interval tree
 *    until its unbind fence signals.  A new bind into an overlapping range
 *    (widened by one page each side under colour guards) adds those unbinds
 *    as dependencies: its PTEs are never written before their clear.
 * 3. If nothing is pending, the unbind runs at once in the caller, with no
 *    executor hop.
 * 4. A hold (gtt_vma_hold(), e.g. an error capture reading the mapping)
 *    delays the unbind fence until it is released.
 * 5. Pages created %GTT_PAGES_BORROWED are unbound synchronously, and
 *    their vmas are never chosen for eviction (which is asynchronous).
 * 6. A closed vm skips backend work but still signals every fence;
 *    destroying a vm first waits for all pending unbinds, without holding
 *    the vm lock while waiting.
 * 7. %GTT_UNBIND_TRYLOCK returns -EBUSY instead of blocking on the vm lock.
 *    Ordering is never lost for lack of memory: a call takes every
 *    dependency record it needs before it changes anything.  When that
 *    fails, an asynchronous or trylock call returns -ENOMEM with nothing
 *    changed; a synchronous call waits (without the vm lock) for one of
 *    the fences it could not record, then tries again.
 *
 * Failures of the backend.  A bind whose PTE write (or its invalidation)
 * fails puts scratch back over what it may have written before it reports
 * the error, so the range never maps pages whose owner was told the bind
 * failed.  A failed PTE clear is reported on the unbind fence (a
 * synchronous unbind returns it) and the binding goes into *quarantine*:
 * its pages stay referenced — their destructor does not run — while any
 * entry may still map them.  A failure seen under the vm lock (a
 * synchronous bind's clean-up, an unbind with nothing pending) also keeps
 * the range out of the allocator.  Every later call on the vm retries the
 * clear of what is still in quarantine; a range that a later bind has
 * overwritten counts as clear once that bind's write ran.  Binds ordered
 * after a failed unbind do not inherit its error.  gtt_vm_destroy() tries
 * once more, then releases what is left (see &struct gtt_vm_stats).
 *
 * Queue backends (gtt/backend.h, e.g. xe's VM_BIND).  The vm computes the
 * same dependencies — the caller's, the active fences of what is unmapped,
 * the pending clears a bind overlaps — but hands those the backend can
 * wait for itself to its submit, and waits on the CPU only for the rest;
 * the fences it returns carry the backend's, so a later call (or the
 * kernel, through gtt/sync.h) waits for the kernel's fence directly.  A
 * dependency handed over passes its error on as the kernel does (xe runs
 * the bind after a failed in-fence), not as the CPU path does (which then
 * writes nothing).  A submit the backend refuses changes nothing and fails
 * the call or its fence.  A batch whose fence fails may have done anything:
 * a synchronous bind then unbinds (a clear follows), a failed clear's pages
 * stay in quarantine until a later bind over the range has been written
 * (a queue backend's clears are retried only by gtt_vm_destroy(), which
 * may wait).  Every bind and unbind on a queue backend completes when the
 * kernel's fence signals, in the thread that observes it (a watcher).
 *
 * Beyond the patch: deferred work never takes the vm lock to retire a
 * finished unbind: it pushes the binding on a lock-free list that the next
 * vm operation drains.
 *
 * Thread safety: every function is thread-safe.  Operations on one vm are
 * serialised by its lock, which is never held while waiting for a fence.
 */
#ifndef GTT_VM_H
#define GTT_VM_H

#include <stdio.h>

#include <gtt/backend.h>
#include <gtt/common.h>
#include <gtt/executor.h>
#include <gtt/fence.h>
#include <gtt/pages.h>
#include <gtt/range_alloc.h>
#include <gtt/resv.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_vm;
struct gtt_binding;

/** typedef gtt_vma_t - Handle of a vma; 0 is never a valid handle. */
typedef uint64_t gtt_vma_t;

/** Flags for &struct gtt_vm_config. */
enum gtt_vm_flags {
	/** @GTT_VM_COLOR_GUARD: guard page between nodes of different colour. */
	GTT_VM_COLOR_GUARD = 1u << 0,
	/**
	 * @GTT_VM_RCU_READERS: gtt_vm_lookup() and gtt_vm_pending() run
	 * without the vm lock (liburcu, urcu-bp), concurrently with binds and
	 * unbinds.  Removed nodes, vmas and bindings are then freed through
	 * call_rcu, which starts liburcu's call_rcu worker thread.
	 */
	GTT_VM_RCU_READERS = 1u << 1,
};

/**
 * enum gtt_evict_order - Which vmas %GTT_BIND_EVICT unbinds to open a hole.
 *
 * - %GTT_EVICT_FEWEST (0, the default): the fewest vmas whose removal
 *   opens a hole (the allocator's gtt_range_evict_scan(); ties: the
 *   placement's preferred end).  About linear in the vmas of the
 *   request's range.
 * - %GTT_EVICT_LRU: least recently used first.  A vma's use is the moment
 *   its last active fence was *added* (gtt_vma_add_active(),
 *   gtt_vma_add_active_many(), and its bind, whose fence is its first
 *   active fence), not when that fence signalled.  gtt_vm_add_active()
 *   uses every bound vma at once, which leaves their order as it was.
 * - %GTT_EVICT_ROSTER: the order of the caller's
 *   &gtt_vm_config.evict_roster callback; vmas it does not list are never
 *   evicted.
 *
 * LRU and ROSTER scan as drm_mm's scan is fed (the allocator's ordered
 * scan, &struct gtt_range_scan): candidates are added in the order until
 * the ones added so far form a run of adjacent vmas whose removal opens a
 * hole for the request; then only the fewest of that run that open it
 * (those in the hole) are evicted.  Past 32 candidates the scan allocates
 * (eightfold at each step); when that fails, the bind fails with -ENOMEM
 * and nothing evicted.  Cost: O(1) per candidate
 * considered (pinned or sparse ones skipped on the way included) plus one
 * O(log n) look for a hole and the pick in the run that opens one (about
 * linear in that run); keeping the LRU order costs O(1) per bind, unbind
 * and active fence added, in LRU vms only.  Where the request's range
 * leaves it one placement (%GTT_BIND_FIXED), the victims are those it
 * overlaps and, with %GTT_VM_COLOR_GUARD, a neighbour of another colour
 * that touches it (its guard page would fall inside), whatever the order:
 * LRU finds them as FEWEST does, ROSTER only if its roster lists them all.
 *
 * Under every order, pinned vmas, sparse vmas and vmas over
 * %GTT_PAGES_BORROWED pages are never victims, the colour rule is kept
 * (a hole next to a neighbour of another colour keeps its guard page),
 * and nothing is evicted unless the bind then gets its placement and all
 * it needs (its PTE write may still fail, see %GTT_BIND_EVICT).
 */
enum gtt_evict_order {
	GTT_EVICT_FEWEST = 0,	/* fewest victims */
	GTT_EVICT_LRU = 1,	/* least recently used (active fence added) first */
	GTT_EVICT_ROSTER = 2,	/* the caller's order (evict_roster) */
};

/**
 * typedef gtt_evict_roster_fn - Eviction candidates, in the caller's order.
 * @arg: &gtt_vm_config.evict_roster_arg.
 * @req: the placement the bind is looking for (size, alignment, colour,
 *	range), e.g. to list only vmas in its range.
 * @cursor: the callback's place in its list: 0 at the first call of each
 *	eviction, then whatever it left there.
 * @vmas: receives up to @max handles, the next candidates in order.
 * @max: room in @vmas (at least 1).
 *
 * Called under the vm lock, possibly several times per eviction and not
 * to the end of the list once a hole has opened: it must not call into
 * the vm (any gtt_vm_ / gtt_vma_ call on it deadlocks), nor block.  The
 * handles are checked: unknown or destroyed ones, vmas that are unbound,
 * pinned, sparse or over borrowed pages, and repeats are skipped.
 *
 * Return: the number of handles written (0: no more candidates; if none
 * opened a hole, the bind fails with -ENOSPC), or a negative errno: the
 * bind fails with it and nothing is evicted.  The bind fails the same
 * way with -EINVAL for a count above @max, and for a list of more than
 * four times the live vmas' number of handles in one eviction (a roster
 * that repeats itself would never end).
 */
typedef int (*gtt_evict_roster_fn)(void *arg,
				   const struct gtt_range_request *req,
				   uint64_t *cursor, gtt_vma_t *vmas,
				   unsigned int max);

/**
 * struct gtt_vm_config - How to build a vm.
 * @name: label for dumps (copied; may be NULL).
 * @start: first usable address (multiple of @page_size).
 * @size: bytes of address space, non-zero multiple of @page_size; the vm
 *	ends below 2^64 (@start + @size < 2^64: unlike a bare range
 *	allocator, a vm cannot end at 2^64).
 * @page_size: GTT page size, power of two >= 4096 (0 means 4096).
 * @flags: &enum gtt_vm_flags.
 * @backend: page-table backend (required; must outlive the vm).
 * @executor: runs deferred work; NULL runs it in the signalling thread.
 * @evict_order: &enum gtt_evict_order of %GTT_BIND_EVICT (0: fewest).
 * @evict_roster: with %GTT_EVICT_ROSTER, the candidates (required);
 *	NULL with the other orders.
 * @evict_roster_arg: for @evict_roster.
 * @reserved: zero (see common.h).
 *
 * The eviction fields took three of the six reserved words the struct had
 * before, so its size is unchanged.
 */
struct gtt_vm_config {
	const char *name;
	uint64_t start;
	uint64_t size;
	uint64_t page_size;
	unsigned int flags;
	struct gtt_backend *backend;
	struct gtt_executor *executor;
	enum gtt_evict_order evict_order;
	gtt_evict_roster_fn evict_roster;
	void *evict_roster_arg;
	uint64_t reserved[3];
};

/** gtt_vm_create() - New open vm.  Return: 0, -EINVAL, -ENOMEM. */
GTT_API int gtt_vm_create(const struct gtt_vm_config *cfg,
			  struct gtt_vm **out);

/**
 * gtt_vm_close() - Mark the vm closed.
 *
 * From here on backend work is skipped (the device is gone or the page
 * table is about to be freed) but every bind and unbind fence still
 * signals; new binds fail with -ESHUTDOWN.  Idempotent.
 */
GTT_API void gtt_vm_close(struct gtt_vm *vm);

/** gtt_vm_is_closed() - True after gtt_vm_close(). */
GTT_API bool gtt_vm_is_closed(const struct gtt_vm *vm);

/**
 * gtt_vm_destroy() - Unbind and free everything, then the vm.
 *
 * Every vma still bound is unbound (pins are ignored), then the call waits,
 * without the vm lock, until every pending unbind and deferred job of this
 * vm has finished — including unbinds delayed by holds, so release every
 * gtt_vma_hold() first — and frees the vm.  The executor and the backend
 * are not touched.  NULL is ignored.
 */
GTT_API void gtt_vm_destroy(struct gtt_vm *vm);

/**
 * gtt_vma_create() - New unbound vma for @pages.
 * @vm: the vm.
 * @pages: what the vma maps (a reference is taken).
 * @resv: the buffer's reservation object, or NULL.  Unbind fences are
 *	added to it with %GTT_RESV_BOOKKEEP usage.  Must outlive the vma.
 * @out: receives the handle.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_vma_create(struct gtt_vm *vm, struct gtt_pages *pages,
			   struct gtt_resv *resv, gtt_vma_t *out);

/**
 * gtt_vma_destroy() - Free a vma; a bound vma is unbound synchronously first.
 *
 * Return: 0, -ENOENT (unknown handle), -EAGAIN (pinned); or, when the
 * vma was bound and its PTE clear failed, that error: the vma is destroyed
 * all the same and its pages stay in quarantine (see the DOC above).
 */
GTT_API int gtt_vma_destroy(struct gtt_vm *vm, gtt_vma_t vma);

/** Flags for &struct gtt_bind_info. */
enum gtt_bind_flags {
	/** @GTT_BIND_ASYNC: return at once; completion on the bind fence. */
	GTT_BIND_ASYNC = 1u << 0,
	/** @GTT_BIND_FIXED: place at exactly @offset. */
	GTT_BIND_FIXED = 1u << 1,
	/**
	 * @GTT_BIND_EVICT: if no hole fits, evict unpinned vmas (async
	 * unbinds; vmas of %GTT_PAGES_BORROWED pages are never evicted),
	 * chosen in the vm's &enum gtt_evict_order.  An
	 * owner learns of it from gtt_vma_query() (@evicted) and gets the
	 * eviction's fence from gtt_vma_last_unbind().  Nothing is evicted
	 * unless the bind then gets its placement and everything it needs
	 * (memory, dependency records); a PTE write that fails after that
	 * leaves the victims evicted: a synchronous bind returns the error
	 * and leaves the vma unbound, an asynchronous one's fence carries it
	 * and the vma stays bound, holding scratch, until it is unbound (as
	 * gtt_vma_bind() says).
	 */
	GTT_BIND_EVICT = 1u << 2,
	/**
	 * @GTT_BIND_ANYWHERE: place without regard to pending unbinds.  By
	 * default a bind that is not %GTT_BIND_FIXED prefers, among the
	 * placements its @placement policy allows, one that no unsignalled
	 * pending unbind overlaps (widened by a page each side with
	 * %GTT_VM_COLOR_GUARD), so that its PTE write need not wait for an
	 * older batch; it takes an overlapping one only when nothing else
	 * fits (see gtt/range_alloc.h, "Avoidance", for the order and the
	 * cost).  This flag places as if there were no pending unbinds.
	 */
	GTT_BIND_ANYWHERE = 1u << 3,
};

/**
 * struct gtt_bind_info - Where and how to bind.
 * @flags: &enum gtt_bind_flags.
 * @offset: address with %GTT_BIND_FIXED; ignored otherwise.  It must be a
 *	multiple of @alignment (and of the page size) and lie within
 *	[@range_start, @range_end).
 * @size: bytes to map, starting @pages_offset into the pages; 0 maps all
 *	that is left of them from there.
 * @alignment: power of two, 0 for the page size.  A backend that maps the
 *	pages in larger pages raises it to theirs (xe: objects marked
 *	%GTT_PTE_LOCAL_MEM on DG2 and PVC, 64 KiB: gtt/xe.h), and then
 *	refuses a fixed @offset or a @size that is not a multiple of it,
 *	or a @pages_offset that does not start the mapping at a multiple
 *	in the pages' memory (a GEM object: gtt_pages_create_bo()'s offset
 *	counts), with -EINVAL.
 * @color: node colour (e.g. cache level) for the colour-guard rule.
 * @range_start: lowest allowed address.
 * @range_end: allowed end (exclusive), 0 for the end of the vm.
 * @placement: &enum gtt_placement.
 * @pte_flags: GTT_PTE_* flags passed to the backend.
 * @deps: fences the PTE write must wait for (e.g. a migration).
 * @num_deps: entries in @deps.
 * @pages_offset: where in the pages the mapping starts, in bytes: a
 *	multiple of the page size, within the pages (binding 4 pages of a
 *	16-page buffer from its 8th page, say).
 * @reserved: zero (see common.h).
 *
 * A zero-initialised struct asks for a best-fit, page-aligned, synchronous
 * bind of the whole page list.
 */
struct gtt_bind_info {
	unsigned int flags;
	uint64_t offset;
	uint64_t size;
	uint64_t alignment;
	uint32_t color;
	uint64_t range_start;
	uint64_t range_end;
	enum gtt_placement placement;
	uint32_t pte_flags;
	struct gtt_fence *const *deps;
	size_t num_deps;
	uint64_t pages_offset;
	uint64_t reserved[7];
};

/**
 * gtt_vma_bind() - Place and map a vma.
 * @vm: the vm.
 * @vma: an unbound vma.
 * @info: where and how; NULL means the defaults.
 * @fence: if not NULL, receives the bind fence (one reference); with a
 *	synchronous bind it is already signalled.
 *
 * The PTE write waits for @info->deps and for every pending unbind that
 * overlaps the new range.  A synchronous bind waits for them (without the vm
 * lock); %GTT_BIND_ASYNC returns at once and the write happens on the
 * executor.  The bind fence also becomes an active fence of the vma, so an
 * unbind always waits for it.
 *
 * A synchronous bind that fails (a dependency's error, or the backend's)
 * returns the error and leaves the vma unbound.  An asynchronous bind
 * reports every failure after its arguments were accepted on the bind
 * fence — also a dependency that had already failed — and the vma stays
 * bound, its range holding scratch, until it is unbound.  On a queue
 * backend a dependency handed to the kernel is the kernel's to judge (see
 * above: xe runs the bind after a failed in-fence, so its error does not
 * reach the bind fence).
 *
 * Return: 0; -ENOENT (unknown vma); -EBUSY (already bound); -EINVAL (bad
 * size, alignment, offset or range); -ENOSPC (no room); -ESHUTDOWN (vm
 * closed); -ENOMEM (nothing changed); for a synchronous bind, the error of
 * a dependency or of the backend.
 */
GTT_API int gtt_vma_bind(struct gtt_vm *vm, gtt_vma_t vma,
			 const struct gtt_bind_info *info,
			 struct gtt_fence **fence);

/** Flags for gtt_vma_unbind(). */
enum gtt_unbind_flags {
	/** @GTT_UNBIND_ASYNC: return at once with the unbind fence. */
	GTT_UNBIND_ASYNC = 1u << 0,
	/** @GTT_UNBIND_TRYLOCK: -EBUSY instead of waiting for the vm lock. */
	GTT_UNBIND_TRYLOCK = 1u << 1,
};

/**
 * gtt_vma_unbind() - Remove a vma's placement.
 * @vm: the vm.
 * @vma: a bound, unpinned vma.
 * @flags: &enum gtt_unbind_flags.
 * @fence: if not NULL, receives the unbind fence (one reference).
 *
 * The range is free for new binds when this returns.  The PTE clear runs
 * after the vma's active fences; if none is pending it runs right here.
 * Without %GTT_UNBIND_ASYNC, or for borrowed pages, the call waits for the
 * unbind fence (without the vm lock).  The fence is added to the vma's
 * resv, if any, with %GTT_RESV_BOOKKEEP (unless no slot can be had and
 * either the clear ran in the call with no holder or the call waits for
 * the fence, synchronous and not %GTT_UNBIND_TRYLOCK: the fence has
 * signalled before the call returns).  The fence carries the PTE
 * clear's error, if it failed (the pages then stay in quarantine).
 *
 * Return: 0; -ENOENT (unknown vma, or not bound: a double unbind, or an
 * eviction came first); -EAGAIN (pinned); -EBUSY (trylock failed);
 * -ENOMEM (async or trylock: nothing changed); for a synchronous unbind,
 * the PTE clear's error (the vma is unbound all the same).
 */
GTT_API int gtt_vma_unbind(struct gtt_vm *vm, gtt_vma_t vma,
			   unsigned int flags, struct gtt_fence **fence);

/** gtt_vma_pin() - Forbid unbind and eviction.  Return: 0, -ENOENT (unknown or unbound), -EOVERFLOW. */
GTT_API int gtt_vma_pin(struct gtt_vm *vm, gtt_vma_t vma);

/** gtt_vma_unpin() - Undo one gtt_vma_pin().  Return: 0, -ENOENT, -EINVAL (not pinned). */
GTT_API int gtt_vma_unpin(struct gtt_vm *vm, gtt_vma_t vma);

/**
 * gtt_vma_add_active() - Record GPU work that uses the vma's mapping.
 *
 * The next unbind waits for @fence before clearing the PTEs.  Fences of one
 * context replace each other (only the latest is kept).
 *
 * Return: 0, -ENOENT (unknown or unbound vma), -EINVAL, -ENOMEM.
 */
GTT_API int gtt_vma_add_active(struct gtt_vm *vm, gtt_vma_t vma,
			       struct gtt_fence *fence);

/**
 * gtt_vma_add_active_many() - gtt_vma_add_active() for @count vmas at once.
 * @vm: the vm.
 * @vmas: the vmas a submission uses (a vma may appear more than once).
 * @count: entries in @vmas.
 * @fence: the submission's fence.
 *
 * One lock for the whole list, and all or nothing: on failure no vma has
 * the fence.  Return: 0, -ENOENT (some vma unknown or unbound), -EINVAL,
 * -ENOMEM.
 */
GTT_API int gtt_vma_add_active_many(struct gtt_vm *vm, const gtt_vma_t *vmas,
				    size_t count, struct gtt_fence *fence);

/**
 * gtt_vm_add_active() - Record GPU work that may use any mapping of @vm.
 * @vm: the vm.
 * @fence: the work's fence.
 *
 * The way VM_BIND drivers track work: per vm, not per buffer.  Every
 * unbind (and every unmap, gtt/map.h) that starts from here on waits for
 * @fence before its PTE clear, as for a vma's own active fences; fences of
 * one context replace each other.  Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_vm_add_active(struct gtt_vm *vm, struct gtt_fence *fence);

/**
 * struct gtt_vma_info - A vma's state.
 * @bound: whether it has a placement.
 * @offset: its address (valid when bound).
 * @size: mapped bytes (valid when bound).
 * @pin_count: pins held.
 * @active: active fences not yet signalled.
 * @evicted: not bound because %GTT_BIND_EVICT took its last placement.
 * @pages_offset: where in the pages the mapping starts (valid when bound).
 * @reserved: zero.
 */
struct gtt_vma_info {
	bool bound;
	uint64_t offset;
	uint64_t size;
	unsigned int pin_count;
	unsigned int active;
	bool evicted;
	uint64_t pages_offset;
	uint64_t reserved[3];
};

/** gtt_vma_query() - Fill @info.  Return: 0, -ENOENT, -EINVAL. */
GTT_API int gtt_vma_query(struct gtt_vm *vm, gtt_vma_t vma,
			  struct gtt_vma_info *info);

/**
 * gtt_vm_lookup() - Which vma is bound at @addr?
 * @vm: the vm.
 * @addr: the address.
 * @vma: receives the handle.
 * @offset: receives the vma's start address (may be NULL).
 *
 * Lock-free with %GTT_VM_RCU_READERS (it may fall back to the lock when
 * writers keep changing the tree under it).
 * Return: 0, -ENOENT (nothing bound there), -EINVAL.
 */
GTT_API int gtt_vm_lookup(struct gtt_vm *vm, uint64_t addr, gtt_vma_t *vma,
			  uint64_t *offset);

/**
 * gtt_vm_pending() - How many unbinds a bind into a range would wait for.
 * @vm: the vm.
 * @start: first address of the range.
 * @size: bytes (non-zero, the range must not wrap).
 * @count: receives the number of pending unbinds (fence not yet signalled)
 *	overlapping the range, widened by a page each side under colour guards.
 *
 * Lock-free with %GTT_VM_RCU_READERS.  Return: 0, -EINVAL.
 */
GTT_API int gtt_vm_pending(struct gtt_vm *vm, uint64_t start, uint64_t size,
			   size_t *count);

/**
 * gtt_vma_last_unbind() - The fence of the eviction that took the vma's
 * placement.
 * @vm: the vm.
 * @vma: the vma.
 * @fence: receives a reference to it, or NULL: the vma is bound, was
 *	unbound by its owner (whose gtt_vma_unbind() returned the fence), or
 *	never bound.
 *
 * Set when %GTT_BIND_EVICT unbinds the vma, dropped when it is bound
 * again.  The pages of the old placement are out of the page table once
 * the fence has signalled without an error.
 *
 * Return: 0, -ENOENT (unknown vma), -EINVAL.
 */
GTT_API int gtt_vma_last_unbind(struct gtt_vm *vm, gtt_vma_t vma,
				struct gtt_fence **fence);

/**
 * gtt_vma_hold() - Keep the vma's current binding from completing its unbind.
 * @binding: receives the binding; release it with gtt_binding_unhold().
 *
 * Use it while reading the mapping (error capture): an unbind may start,
 * and its PTE clear may run, but its fence does not signal, and its pages
 * stay referenced, until the hold is released.
 *
 * Return: 0, -ENOENT (unknown or unbound vma), -EINVAL.
 */
GTT_API int gtt_vma_hold(struct gtt_vm *vm, gtt_vma_t vma,
			 struct gtt_binding **binding);

/** gtt_binding_unhold() - Release a hold; NULL is ignored.  Thread-safe. */
GTT_API void gtt_binding_unhold(struct gtt_binding *binding);

/** gtt_binding_offset() - Start address of a held binding. */
GTT_API uint64_t gtt_binding_offset(const struct gtt_binding *binding);
/** gtt_binding_size() - Size of a held binding. */
GTT_API uint64_t gtt_binding_size(const struct gtt_binding *binding);
/** gtt_binding_pages() - Pages of a held binding (valid while held). */
GTT_API struct gtt_pages *gtt_binding_pages(const struct gtt_binding *binding);

/**
 * gtt_vm_wait_idle() - Wait until no bind or unbind of @vm is in flight.
 * @timeout_ns: negative waits forever.
 *
 * Waits without the vm lock.  Return: 0, -ETIME, -EINVAL.
 */
GTT_API int gtt_vm_wait_idle(struct gtt_vm *vm, int64_t timeout_ns);

/**
 * struct gtt_vm_stats - Counters since creation.
 * @vmas: live vmas.
 * @bound: vmas with a placement.
 * @pending_unbinds: unbinds in the interval tree (their fence not signalled).
 * @binds: successful bind requests.
 * @binds_deferred: binds whose PTE write had to wait for fences.
 * @bind_waits_on_unbind: binds that found an overlapping pending unbind.
 * @unbinds: unbind requests accepted.
 * @unbinds_immediate: unbinds that ran at once in the caller.
 * @unbinds_deferred: unbinds that waited for active fences.
 * @evictions: vmas evicted by %GTT_BIND_EVICT.
 * @oom_sync_waits: dependencies waited for synchronously for lack of memory.
 * @backend_errors: backend calls that failed.
 * @quarantined: bindings whose PTE clear failed and whose pages are still
 *	held (see the DOC above).
 * @reserved: zero.
 */
struct gtt_vm_stats {
	uint64_t vmas;
	uint64_t bound;
	uint64_t pending_unbinds;
	uint64_t binds;
	uint64_t binds_deferred;
	uint64_t bind_waits_on_unbind;
	uint64_t unbinds;
	uint64_t unbinds_immediate;
	uint64_t unbinds_deferred;
	uint64_t evictions;
	uint64_t oom_sync_waits;
	uint64_t backend_errors;
	uint64_t quarantined;
	uint64_t reserved[8];
};

/** gtt_vm_stats() - Fill @st.  Return: 0, -EINVAL. */
GTT_API int gtt_vm_stats(struct gtt_vm *vm, struct gtt_vm_stats *st);

/**
 * gtt_vm_dump() - Print the vm readably to @out: its configuration, each
 * node with its owner and state, pending unbinds, and the counters.
 *
 * Return: 0, -EINVAL.
 */
GTT_API int gtt_vm_dump(struct gtt_vm *vm, FILE *out);

/** gtt_vm_range_alloc() - The vm's allocator, for inspection only (read it under no concurrent vm calls). */
GTT_API struct gtt_range_alloc *gtt_vm_range_alloc(struct gtt_vm *vm);

#ifdef __cplusplus
}
#endif
#endif
