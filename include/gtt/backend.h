/* SPDX-License-Identifier: MIT */
/**
 * DOC: backends
 *
 * A backend owns the page table a vm writes: it turns "map these pages at
 * this address" into PTE stores, "clear this range" into scratch stores,
 * and invalidates TLBs.  libgtt ships a mock backend (gtt/mock.h); anyone
 * can write another by filling &struct gtt_backend_ops.
 *
 * Concurrency contract: a vm calls the ops from the thread that binds or
 * unbinds and from executor threads, concurrently, but never for
 * overlapping ranges at the same time (the pending-unbind tree orders
 * those).  A backend that shares structures between ranges (page tables
 * allocated on demand, counters) must protect them itself.
 *
 * Error contract: an op returns 0 or a negative errno.  A failed bind is
 * reported to the caller (or on the bind fence) and the range is treated as
 * holding scratch; a failed clear is reported on the unbind fence.
 *
 * Synchronous and asynchronous backends.  A *PTE backend* (the mock, VFIO)
 * fills @bind, @clear and @invalidate: the vm resolves every dependency on
 * the CPU, then calls them, and they are done when they return.  A *queue
 * backend* (xe's VM_BIND, gtt/xe.h) fills @submit instead: it takes a batch
 * of &struct gtt_backend_op with the dependencies it can wait for itself
 * (@can_wait: fences the kernel knows, such as imported sync_files and its
 * own earlier results) and returns at once with a fence that signals when
 * the batch is what the device sees.  The vm then waits on the CPU only for
 * the dependencies the backend cannot take, hands it the rest, and the bind
 * fence its caller gets carries the backend's fence (gtt/sync.h:
 * gtt_fence_export_sync_file() and gtt_fence_export_syncobj() pass it on to
 * the kernel without a CPU hop).
 */
#ifndef GTT_BACKEND_H
#define GTT_BACKEND_H

#include <stdio.h>

#include <gtt/common.h>
#include <gtt/pages.h>

#ifdef __cplusplus
extern "C" {
#endif

/** PTE flag: map read-only. */
#define GTT_PTE_READ_ONLY (1u << 0)
/** PTE flag: the pages live in device-local memory. */
#define GTT_PTE_LOCAL_MEM (1u << 1)
/**
 * PTE flag: a NULL mapping: the device may access the range, reads return
 * zero and writes are dropped; with it, the bind op's @pages is NULL and
 * @pages_offset 0.  Backends that cannot express it refuse it
 * (-EOPNOTSUPP) or say how they approximate it (gtt/intel.h: scratch
 * before gen12).
 */
#define GTT_PTE_NULL (1u << 2)
/** Shift of the cache/PAT index field in the PTE flags. */
#define GTT_PTE_PAT_SHIFT 8
/** Mask of the cache/PAT index field (5 bits: indexes 0..31). */
#define GTT_PTE_PAT_MASK (0x1fu << GTT_PTE_PAT_SHIFT)
/** Build the PAT field from an index. */
#define GTT_PTE_PAT(i) (((uint32_t)(i) << GTT_PTE_PAT_SHIFT) & GTT_PTE_PAT_MASK)

/**
 * struct gtt_translation - What the device would see at one address.
 * @present: the entry is valid (on Intel, scratch entries are valid too).
 * @scratch: the entry points at the scratch page.
 * @addr: DMA address of the translated byte (0 for a NULL entry).
 * @flags: GTT_PTE_* flags of the entry.
 * @page_size: size of the page the entry maps (4 KiB, 64 KiB, 2 MiB, 1 GiB).
 * @pte: the raw leaf entry.
 * @level: page-table level of the leaf (0 for a PTE or a GGTT entry).
 * @extent: bytes from the translated address on that are known to
 *	translate the same way — the rest of a huge page, or of a region
 *	whose upper-level entry is empty or points at scratch tables — so a
 *	walker may step over them; 0 when the backend does not say (then
 *	only the rest of the 4 KiB page is known).
 * @null: a NULL entry (%GTT_PTE_NULL): present, no memory behind it;
 *	@scratch is false and @addr 0.  Taken from the reserved words, so a
 *	backend built before it leaves it false.
 * @reserved: zero (the backend leaves it so).
 */
struct gtt_translation {
	bool present;
	bool scratch;
	uint64_t addr;
	uint32_t flags;
	uint64_t page_size;
	uint64_t pte;
	unsigned int level;
	uint64_t extent;
	bool null;
	uint64_t reserved[3];
};

/**
 * struct gtt_backend_ops - What a backend does.
 * @name: for dumps and messages.
 * @bind: write PTEs so that [@start, @start + @size) maps the bytes of
 *	@pages beginning at @pages_offset, with @pte_flags (with
 *	%GTT_PTE_NULL: @pages NULL, @pages_offset 0).
 * @clear: point every PTE of [@start, @start + @size) at scratch.
 * @invalidate: make the device forget cached translations.
 * @destroy: free @priv (called by gtt_backend_destroy()); may be NULL.
 * @translate: walk the page table as the device would, for @addr; may be
 *	NULL.  Must be safe against concurrent binds and clears.
 * @submit: a queue backend's only required op (then @bind, @clear and
 *	@invalidate may be NULL): do the @count operations of @ops in order,
 *	each once every fence of @deps has signalled, and store in *@done a
 *	fence (one reference) that signals, with 0 or the error, once the
 *	device sees their result (TLBs invalidated).  @deps holds only fences
 *	@can_wait accepted, none of which had signalled when checked.  It
 *	returns 0, or a negative errno when it did nothing at all (xe's
 *	VM_BIND ioctl undoes a failed batch): then no fence.  It must not wait
 *	for the dependencies; it may be called with a vm's lock held, from an
 *	executor thread or from a fence callback, for ranges that do not
 *	overlap concurrently.  A batch whose @done fence fails may have left
 *	any part done: the vm keeps the pages of what it unmapped or mapped
 *	there until a later clear of the range succeeds (quarantine).
 * @can_wait: whether @submit may be given @dep to wait for itself; NULL
 *	means none (every dependency is awaited on the CPU first).  Called
 *	with a vm's lock held: it must be quick and must not block.
 * @reserved: NULL (room for later ops; see common.h).
 */
/** enum gtt_backend_op_kind - What one &struct gtt_backend_op does. */
enum gtt_backend_op_kind {
	/** @GTT_BACKEND_OP_MAP: map pages (or NULL) over the range. */
	GTT_BACKEND_OP_MAP = 1,
	/** @GTT_BACKEND_OP_UNMAP: the range maps nothing (scratch) again. */
	GTT_BACKEND_OP_UNMAP = 2,
};

/**
 * struct gtt_backend_op - One operation of a queue backend's batch.
 * @kind: an &enum gtt_backend_op_kind.
 * @pte_flags: MAP: GTT_PTE_* flags; UNMAP: 0.
 * @start: first GPU address, a multiple of the vm's page size.
 * @size: bytes, a non-zero multiple of the vm's page size.
 * @pages: MAP: the pages mapped from @pages_offset on (DMA segments, a GEM
 *	object or user memory: gtt/pages.h); NULL with %GTT_PTE_NULL and for
 *	UNMAP.  Referenced by the vm until the batch's fence has signalled.
 * @pages_offset: MAP: where in @pages the range starts.
 * @reserved: zero.
 */
struct gtt_backend_op {
	uint32_t kind;
	uint32_t pte_flags;
	uint64_t start;
	uint64_t size;
	const struct gtt_pages *pages;
	uint64_t pages_offset;
	uint64_t reserved[2];
};

struct gtt_fence;

struct gtt_backend_ops {
	const char *name;
	int (*bind)(void *priv, uint64_t start, uint64_t size,
		    const struct gtt_pages *pages, uint64_t pages_offset,
		    uint32_t pte_flags);
	int (*clear)(void *priv, uint64_t start, uint64_t size);
	int (*invalidate)(void *priv);
	void (*destroy)(void *priv);
	int (*translate)(void *priv, uint64_t addr, struct gtt_translation *out);
	int (*submit)(void *priv, const struct gtt_backend_op *ops, size_t count,
		      struct gtt_fence *const *deps, size_t num_deps,
		      struct gtt_fence **done);
	bool (*can_wait)(void *priv, struct gtt_fence *dep);
	void (*reserved[6])(void);
};

struct gtt_backend;

/**
 * gtt_backend_create() - Wrap an ops table and its private data.
 *
 * Return: 0, -EINVAL (NULL, neither @submit nor all of bind, clear and
 * invalidate, or non-zero reserved ops), -ENOMEM.
 */
GTT_API int gtt_backend_create(const struct gtt_backend_ops *ops, void *priv,
			       struct gtt_backend **out);

/** gtt_backend_priv() - The private data given at creation. */
GTT_API void *gtt_backend_priv(const struct gtt_backend *be);

/** gtt_backend_name() - The ops name, never NULL. */
GTT_API const char *gtt_backend_name(const struct gtt_backend *be);

/** gtt_backend_is_queue() - Whether @be is a queue backend (has @submit). */
GTT_API bool gtt_backend_is_queue(const struct gtt_backend *be);

/**
 * gtt_backend_translate() - What the device would see at @addr.
 *
 * Return: 0; -EOPNOTSUPP if the backend cannot walk its table; -EINVAL;
 * -ERANGE if @addr is outside the table; or the backend's error.
 */
GTT_API int gtt_backend_translate(struct gtt_backend *be, uint64_t addr,
				  struct gtt_translation *out);

/**
 * gtt_backend_dump() - Print what the device sees in [@start, @start + @size).
 * @out: where to print.
 *
 * Walks every 4 KiB page with gtt_backend_translate() and prints one line
 * per run: consecutive pages mapping consecutive DMA addresses with the
 * same flags and page size, consecutive scratch pages, or consecutive
 * non-present pages.  Each line shows the GPU range, the DMA range, the
 * page count and size, the flags and the raw entry of the run's first page.
 *
 * Return: 0, or the first translate error (-EOPNOTSUPP, -ERANGE...).
 */
GTT_API int gtt_backend_dump(struct gtt_backend *be, uint64_t start,
			     uint64_t size, FILE *out);

/**
 * typedef gtt_run_fn - Called by gtt_backend_runs() for each run.
 * @arg: as given.
 * @start: GPU address of the run's first page.
 * @pages: number of 4 KiB pages in the run.
 * @first: the translation of its first page.
 *
 * Return: 0 to go on; anything else stops the walk and is returned.
 */
typedef int (*gtt_run_fn)(void *arg, uint64_t start, uint64_t pages,
			  const struct gtt_translation *first);

/**
 * gtt_backend_runs() - Walk a range run by run, as gtt_backend_dump() prints it.
 * @be: a backend with a translate op.
 * @start: first GPU address, 4 KiB aligned.
 * @size: bytes, a multiple of 4 KiB.
 * @fn: called once per run, in address order.
 * @arg: passed to @fn.
 *
 * A run is consecutive pages mapping consecutive DMA addresses with the
 * same flags and page size, or consecutive scratch pages, or consecutive
 * non-present pages.  Regions a translation's @extent covers are stepped
 * over, so an empty 48-bit PPGTT is walked in a few calls.
 *
 * Return: 0, -EINVAL, the first translate error, or what @fn returned.
 */
GTT_API int gtt_backend_runs(struct gtt_backend *be, uint64_t start, uint64_t size,
			     gtt_run_fn fn, void *arg);

/**
 * gtt_backend_destroy() - Call ops->destroy and free.  Every vm using @be
 * must be destroyed first.  NULL is ignored.
 */
GTT_API void gtt_backend_destroy(struct gtt_backend *be);

#ifdef __cplusplus
}
#endif
#endif
