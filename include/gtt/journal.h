/* SPDX-License-Identifier: MIT */
/**
 * DOC: the binding journal and the fault explainer
 *
 * A vm can keep a journal: a bounded ring of the events that decide what
 * an address maps — a bind placed, an unbind started (by its owner or by
 * an eviction), an unbind's PTE clear run (or failed), a quarantined
 * binding released, a sparse map or unmap operation.  When the ring is
 * full the oldest event is overwritten and counted as lost.  A vm has no
 * journal until gtt_vm_journal_enable(); without one, each place that
 * would record costs one test of a pointer.
 *
 * gtt_vm_explain() reads the journal back for one GPU address: which
 * mappings covered it, when each was bound and unbound, whether its
 * unbind's clear had run (until then the PTEs still pointed at the old
 * pages: a GPU access hit them; after it, the access hits scratch), and
 * what is there now.  gtt_explain_print() writes that as the "potential
 * use-after-free" report a driver wants when the GPU faults, the one
 * RADV builds from VK_EXT_device_address_binding_report, but from the VA
 * manager itself.  The simulated GPU's reports point at it
 * (gtt_sim_report_explain()).
 *
 * Times are CLOCK_MONOTONIC nanoseconds, except in a replay
 * (gtt_trace_replay()), where they are the trace's t= of the record being
 * replayed, and vmas and pages are named by the trace's handles and ids.
 *
 * Thread safety: the journal has its own lock, taken under the vm lock by
 * binds and unbinds and, without the vm lock, by the thread that runs an
 * unbind's clear (an executor's worker, a releasing holder).  No other
 * lock is taken while it is held.  Every call here may run from any
 * thread, concurrently with the vm's other calls.
 */
#ifndef GTT_JOURNAL_H
#define GTT_JOURNAL_H

#include <stdio.h>

#include <gtt/common.h>
#include <gtt/pages.h>
#include <gtt/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/** GTT_JOURNAL_MAX_ENTRIES - The largest ring gtt_vm_journal_enable() takes. */
#define GTT_JOURNAL_MAX_ENTRIES (1u << 24)

/** enum gtt_journal_kind - What a journal event records. */
enum gtt_journal_kind {
	/** @GTT_JOURNAL_BIND: a vma was placed at [start, start + size);
	 *	its PTE write is issued (it may still wait). */
	GTT_JOURNAL_BIND = 1,
	/** @GTT_JOURNAL_UNBIND: its owner started the vma's unbind: the
	 *	range is free for new binds, the PTEs stay until the clear. */
	GTT_JOURNAL_UNBIND = 2,
	/** @GTT_JOURNAL_EVICT: as %GTT_JOURNAL_UNBIND, started by an eviction. */
	GTT_JOURNAL_EVICT = 3,
	/** @GTT_JOURNAL_CLEAR: an unbind's PTE clear ran (@err 0: the range
	 *	maps scratch now), failed (@err, %GTT_JOURNAL_QUARANTINED: the
	 *	pages are kept until the range is known clear), or was skipped
	 *	(%GTT_JOURNAL_SKIPPED: the vm is closed). */
	GTT_JOURNAL_CLEAR = 4,
	/** @GTT_JOURNAL_RELEASE: a quarantined binding's range is known clear
	 *	(cleared again, or overwritten by a later bind); its pages go.
	 *	With %GTT_JOURNAL_SKIPPED: let go because the vm is closed (or
	 *	destroyed): nothing cleared the range. */
	GTT_JOURNAL_RELEASE = 5,
	/** @GTT_JOURNAL_MAP: a sparse map operation (gtt/map.h) of a batch
	 *	that was committed; @pages NULL for a NULL mapping. */
	GTT_JOURNAL_MAP = 6,
	/** @GTT_JOURNAL_UNMAP: a sparse unmap operation of a committed batch. */
	GTT_JOURNAL_UNMAP = 7,
	/** @GTT_JOURNAL_BIND_FAILED: a bind's PTE write failed after the call
	 *	was accepted (@err: a dependency's error, or the backend's):
	 *	nothing was written (or what was is cleared again), so the range
	 *	holds scratch — unless %GTT_JOURNAL_PARTIAL.  An asynchronous
	 *	vma stays bound until its owner unbinds it; a synchronous bind
	 *	is unbound at once (unbind and clear events follow).  A sparse
 *	map's failed write (binding 0) names its sparse vma, and the range
 *	and pages of the %GTT_JOURNAL_MAP it follows. */
	GTT_JOURNAL_BIND_FAILED = 8,
};

/** Flags of &struct gtt_journal_event. */
enum gtt_journal_flags {
	/** @GTT_JOURNAL_QUARANTINED: the failed clear's pages are in quarantine. */
	GTT_JOURNAL_QUARANTINED = 1u << 0,
	/** @GTT_JOURNAL_SKIPPED: the clear was not run (the vm is closed);
	 *	on a release: the vm closed before the range was known clear. */
	GTT_JOURNAL_SKIPPED = 1u << 1,
	/** @GTT_JOURNAL_PARTIAL: a failed bind's write may have left entries
	 *	mapping its pages (the clear after it failed too, or a queue
	 *	backend's batch failed: it may have done anything); its unbind's
	 *	clear settles them. */
	GTT_JOURNAL_PARTIAL = 1u << 2,
	/** @GTT_JOURNAL_CUT: a clear or release of a part cut from a sparse
	 *	mapping (gtt/map.h): @pages and @pages_offset name what the
	 *	part mapped (NULL pages: a NULL mapping), so that it ends that
	 *	mapping only. */
	GTT_JOURNAL_CUT = 1u << 3,
};

/**
 * struct gtt_journal_event - One event.
 * @seq: its number in the journal: 1, 2, ... (the lost ones included).
 * @time: when (see the DOC section).
 * @kind: &enum gtt_journal_kind.
 * @flags: &enum gtt_journal_flags.
 * @err: %GTT_JOURNAL_CLEAR: the clear's result (0 or a negative errno);
 *	%GTT_JOURNAL_BIND_FAILED: the bind's error.
 * @vma: the vma (the sparse vma for map and unmap, and for a sparse map's
 *	failed write); 0 for clear, release and a vma's failed-bind events,
 *	which name their binding.
 * @binding: the mapping the event belongs to: the @seq of its
 *	%GTT_JOURNAL_BIND event (0 when that came before the journal, and
 *	for map, unmap and the clears of their pieces).
 * @start: first address of the range.
 * @size: bytes.
 * @pages: the pages mapped (bind, map, a sparse map's failed write), as
 *	an identity only: the object may be gone.
 * @pages_offset: where in @pages the mapping starts.
 * @pages_id: in a replay, the trace's id of @pages; 0 otherwise.
 * @reserved: zero.
 */
struct gtt_journal_event {
	uint64_t seq;
	uint64_t time;
	uint32_t kind;
	uint32_t flags;
	int32_t err;
	gtt_vma_t vma;
	uint64_t binding;
	uint64_t start;
	uint64_t size;
	const struct gtt_pages *pages;
	uint64_t pages_offset;
	uint64_t pages_id;
	uint64_t reserved[1];
};

/**
 * gtt_vm_journal_enable() - Start keeping @vm's journal.
 * @vm: the vm.
 * @entries: how many events the ring holds, 1 to
 *	%GTT_JOURNAL_MAX_ENTRIES (each takes sizeof(struct gtt_journal_event)).
 *
 * The journal lasts as long as the vm.  Events of bindings made before it
 * name no binding; explanations then say so.
 *
 * Return: 0; -EINVAL (NULL, @entries 0 or too large); -EBUSY (already
 * enabled); -ENOMEM (nothing changed).
 */
GTT_API int gtt_vm_journal_enable(struct gtt_vm *vm, uint32_t entries);

/**
 * gtt_vm_journal_read() - Copy the newest events, oldest first.
 * @vm: the vm.
 * @out: room for @max events (may be NULL when @max is 0).
 * @max: how many to copy at most.
 * @count: receives how many were copied.
 * @lost: receives how many events the ring has overwritten (may be NULL).
 *
 * Return: 0; -EINVAL (NULL arguments, or no journal).
 */
GTT_API int gtt_vm_journal_read(struct gtt_vm *vm, struct gtt_journal_event *out,
				size_t max, size_t *count, uint64_t *lost);

/** enum gtt_explain_state - Where a mapping's life had got to. */
enum gtt_explain_state {
	/** @GTT_EXPLAIN_BOUND: bound (its PTEs are written or about to be). */
	GTT_EXPLAIN_BOUND = 1,
	/** @GTT_EXPLAIN_UNBINDING: unbound, clear not yet run: the PTEs still
	 *	map its pages — a GPU access there reads them (use after free). */
	GTT_EXPLAIN_UNBINDING = 2,
	/** @GTT_EXPLAIN_CLEARED: the clear ran: accesses hit scratch. */
	GTT_EXPLAIN_CLEARED = 3,
	/** @GTT_EXPLAIN_QUARANTINED: the clear failed: the PTEs may still
	 *	map the pages, which the quarantine keeps; the range is held. */
	GTT_EXPLAIN_QUARANTINED = 4,
	/** @GTT_EXPLAIN_RELEASED: quarantined, then known clear. */
	GTT_EXPLAIN_RELEASED = 5,
	/** @GTT_EXPLAIN_SKIPPED: the vm was closed: no clear was written
	 *	(or, after a failed one, the quarantine let it go unsettled). */
	GTT_EXPLAIN_SKIPPED = 6,
	/** @GTT_EXPLAIN_BIND_FAILED: still bound, but its PTE write failed
	 *	(@bind_error): accesses hit scratch, or, with @bind_partial, may
	 *	read its pages through entries the failed write left. */
	GTT_EXPLAIN_BIND_FAILED = 7,
};

/**
 * struct gtt_explain_mapping - One mapping that covered the address.
 * @binding: its bind event's seq (0: bound before the journal started,
 *	or a sparse piece).
 * @vma: the vma (0 if unknown).
 * @sparse: a sparse map operation (gtt/map.h) rather than a vma's bind.
 * @evicted: its unbind was an eviction.
 * @state: &enum gtt_explain_state at the explanation's time.
 * @clear_error: the clear's error (%GTT_EXPLAIN_QUARANTINED).
 * @bind_error: the error of its PTE write, if it failed after the bind was
 *	accepted (the state is then %GTT_EXPLAIN_BIND_FAILED until the
 *	unbind), else 0.
 * @bind_partial: that failed write may have left entries behind.
 * @start: first address of the mapping.
 * @size: bytes.
 * @pages: the pages (identity only), NULL if unknown or a NULL mapping.
 * @pages_offset: where in @pages the mapping starts.
 * @pages_id: in a replay, the trace's id of @pages; 0 otherwise.
 * @bound_at: time of the bind (0 if before the journal, or if the ring
 *	lost the bind's event: then @binding is not 0 and at most
 *	&gtt_explain.lost; in a replay, 0 may also be the trace's t=0).
 * @unbound_at: time the unbind started, 0 if not (yet).
 * @cleared_at: time of the clear (or its failure), 0 if not (yet).
 * @released_at: time the quarantine released it, 0 if not (yet).
 * @reserved: zero.
 */
struct gtt_explain_mapping {
	uint64_t binding;
	gtt_vma_t vma;
	bool sparse;
	bool evicted;
	uint32_t state;
	int32_t clear_error;
	int32_t bind_error;
	bool bind_partial;
	uint64_t start;
	uint64_t size;
	const struct gtt_pages *pages;
	uint64_t pages_offset;
	uint64_t bound_at;
	uint64_t unbound_at;
	uint64_t cleared_at;
	uint64_t released_at;
	uint64_t pages_id;
	uint64_t reserved[1];
};

/** GTT_EXPLAIN_MAX - Mappings an explanation keeps (the latest ones). */
#define GTT_EXPLAIN_MAX 8

/**
 * struct gtt_explain - The history of one address.
 * @addr: the address explained.
 * @time: the time it is explained at (0: now).
 * @count: mappings in @m, oldest first (the latest %GTT_EXPLAIN_MAX).
 * @dropped: older mappings that did not fit in @m.
 * @m: the mappings that covered @addr.
 * @lost: events the journal had lost: older history may be missing.
 * @oldest: time of the oldest event still in the journal (0: none).
 * @now_vma: explained now (@time 0): the vma bound at @addr, or 0.
 * @now_held: explained now: the range at @addr is held by the
 *	quarantine (a clear failed there): not free, nothing bound.
 * @now_pending: explained now: unbinds whose clear is still pending
 *	on @addr's page.
 * @now_outside: explained now: @addr is outside the vm's range (nothing
 *	can be bound there).
 * @reserved: zero.
 */
struct gtt_explain {
	uint64_t addr;
	uint64_t time;
	uint32_t count;
	uint32_t dropped;
	struct gtt_explain_mapping m[GTT_EXPLAIN_MAX];
	uint64_t lost;
	uint64_t oldest;
	gtt_vma_t now_vma;
	bool now_held;
	bool now_outside;
	uint64_t now_pending;
	uint64_t reserved[4];
};

/**
 * gtt_vm_explain() - The history of @addr from @vm's journal.
 * @vm: the vm (with a journal).
 * @addr: a GPU virtual address.
 * @time: explain as of this time (events after it are ignored), or 0 for
 *	now: then @out also says what the vm maps there now.
 * @out: receives the explanation.
 *
 * The latest mapping in @out->m is the one a GPU access at @time would
 * meet, unless its state is %GTT_EXPLAIN_CLEARED or later (scratch).  An
 * asynchronous bind whose PTE write failed later still shows as bound.
 * Explaining now takes the vm lock (and, like every vm call, first
 * retires finished unbinds and retries the quarantine); explaining a past
 * time takes only the journal's.  Not from a fence callback run under the
 * vm lock.
 *
 * Return: 0; -EINVAL (NULL, or @vm has no journal).
 */
GTT_API int gtt_vm_explain(struct gtt_vm *vm, uint64_t addr, uint64_t time,
			   struct gtt_explain *out);

/**
 * gtt_explain_state_name() - "bound", "unbinding", "cleared",
 * "quarantined", "released", "skipped", or "?".
 */
GTT_API const char *gtt_explain_state_name(uint32_t state);

/**
 * gtt_explain_print() - Write @ex as a readable report.
 * @f: where.
 * @ex: from gtt_vm_explain().
 *
 * One line for the address and what a GPU access there would meet, one
 * per mapping ("vma 0x... (pages #1 +0x0, 64 KiB at 0x...) bound at
 * t=..., unbound at t=... (unbind completed at t=...: PTEs cleared)"),
 * and what is there now.  Pages are named by their trace id in a replay
 * ("pages 3"), otherwise numbered in the order they appear in the report
 * ("pages #1").
 *
 * Return: 0; -EINVAL (NULL); -EIO (writing failed).
 */
GTT_API int gtt_explain_print(FILE *f, const struct gtt_explain *ex);

#ifdef __cplusplus
}
#endif
#endif
