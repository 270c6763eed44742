/* SPDX-License-Identifier: MIT */
/*
 * Quarantine: bindings whose PTE clear failed.
 *
 * When a clear (or the invalidation after it) fails, the entries of the
 * range may still map the binding's pages.  The unbind fence signals with
 * the error, so its owner learns of it, but the binding keeps its page
 * reference: the pages are not released while an entry can reach them.
 * The binding then waits here, in vm->quarantine, until every page of its
 * range is known to be clear again:
 *
 * - the part still held by its own node (b->qnode: a failure seen under the
 *   vm lock keeps the range out of the allocator) is cleared again;
 * - a part the allocator has handed to a new binding since (a failure in a
 *   deferred clear comes too late to keep the range, and an eviction gives
 *   its range to the bind that evicts) is clear once that binding's PTE
 *   write has run and succeeded, since that write was ordered after the
 *   failed clear (rule 2) and replaced the old entries; a bind whose
 *   dependency failed wrote nothing and replaces nothing;
 * - a free part is cleared again, unless an unbind still pending there may
 *   be waiting for the GPU (its own clear comes later and covers it).
 *
 * A failure seen by a worker arrives through the lock-free vm->failed
 * stack (quarantine_push_failed()); the next vm call takes it in.  The
 * retries run under the vm lock at the start of every vm call (from
 * vm_retire_locked()), so they cost nothing while the quarantine is empty.
 * Destroying the vm tries once more and then releases what is left: the
 * backend's table then still holds those entries (counted in
 * backend_errors), which is the backend owner's to reset or destroy.
 *
 * A queue backend (gtt/backend.h) reports a clear only later, by then
 * without the vm lock, so its failures always come too late to keep the
 * range: its parts are clear once a later bind there has been written.  Its
 * clears are not retried on every call, since they complete only later and
 * a call may be asynchronous or a trylock; vm destruction, which may block,
 * tries once, waiting for each.
 *
 * A closed vm skips backend work (rule 6): its quarantine releases at once.
 * A clear that fails with -ENODEV (the device is gone) leaves nothing to
 * protect and quarantines nothing.
 */
#include "vm_internal.h"

void quarantine_push_failed(struct gtt_vm *vm, struct gtt_binding *b)
{
	lfstack_push(&vm->failed, &b->failed);
}

void quarantine_add_locked(struct gtt_vm *vm, struct gtt_binding *b)
{
	b->q_next = vm->quarantine;
	vm->quarantine = b;
	vm->st.quarantined++;
}

/* Whether the PTE write of the binding now at @n replaced what was there
 * (a bind whose dependency failed wrote nothing: not yet). */
static bool overwritten(const struct gtt_range_node *n)
{
	const struct vma *v = n->owner;
	const struct gtt_binding *nb = v ? v->binding : NULL;

	/* A sparse vma writes only where it has pieces: not yet, to be safe. */
	return nb && !v->sparse &&
	       atomic_load_explicit(&nb->replaced, memory_order_acquire);
}

/* A queue backend's clear is waited for: only by a caller that may block. */
static bool clear_part(struct gtt_vm *vm, uint64_t start, uint64_t end,
		       bool may_wait)
{
	if (vm->queue && !may_wait)
		return false;
	return !vm_clear_failed(vm, backend_clear(vm->be, start, end - start));
}

/* Try to make @b's range clear.  True when no entry can reach its pages,
 * or when the vm is closed (*@closed: nothing was cleared). */
static bool settle(struct gtt_vm *vm, struct gtt_binding *b, bool may_wait,
		   bool *closed)
{
	uint64_t pos = b->start, end = b->start + b->size;
	bool clear = true;

	*closed = vm_is_closed(vm);
	if (*closed)
		return true;
	while (pos < end) {
		struct gtt_range_node *n = range_node_from(vm->ra, pos);
		uint64_t part_end;

		if (n && n->start <= pos) {
			part_end = u64_min(n->start + n->size, end);
			if (n == b->qnode)
				clear &= clear_part(vm, pos, part_end, may_wait);
			else
				clear &= overwritten(n);
		} else {
			part_end = n ? u64_min(n->start, end) : end;
			clear &= !range_fence_first_unsignalled(&vm->pending, pos,
								part_end - 1) &&
				 clear_part(vm, pos, part_end, may_wait);
		}
		pos = part_end;
	}
	return clear;
}

static void release(struct gtt_vm *vm, struct gtt_binding *b, bool closed)
{
	struct gtt_pages *pages = b->pages;

	JOURNAL(vm, release, b, closed);
	if (b->qnode) {
		tree_write_begin(vm);
		gtt_range_remove(vm->ra, b->qnode);
		tree_write_end(vm);
		b->qnode = NULL;
	}
	b->pages = NULL;
	gtt_pages_put(pages);
	binding_release_pieces(b);
	vm->st.quarantined--;
	binding_put(b);		/* the reference the vma handed over */
}

static void retry_locked(struct gtt_vm *vm, bool may_wait)
{
	struct gtt_binding **link = &vm->quarantine, *b;
	bool closed;

	while ((b = *link)) {
		if (settle(vm, b, may_wait, &closed)) {
			*link = b->q_next;
			release(vm, b, closed);
		} else {
			link = &b->q_next;
		}
	}
}

void quarantine_collect_locked(struct gtt_vm *vm)
{
	struct lfstack_node *n, *next;

	if (!lfstack_empty(&vm->failed)) {
		for (n = lfstack_take_all(&vm->failed); n; n = next) {
			next = n->next;	/* before q_next, which shares it */
			quarantine_add_locked(vm, container_of(n, struct gtt_binding, failed));
		}
	}
	if (vm->quarantine)
		retry_locked(vm, false);
}

void quarantine_release_all(struct gtt_vm *vm)
{
	struct gtt_binding *b;

	retry_locked(vm, true);
	while ((b = vm->quarantine)) {
		vm->quarantine = b->q_next;
		release(vm, b, true);	/* the vm goes: nothing clears it */
	}
}
