/* SPDX-License-Identifier: MIT */
/*
 * The vm's counters (gtt_vm_stats()) and its dump (gtt_vm_dump()): nodes,
 * quarantined ranges, pending unbinds, counters.
 *
 * Locking: both read under vm->lock (a snapshot per call).
 */
#include <inttypes.h>

#include "vm_internal.h"

GTT_API int gtt_vm_stats(struct gtt_vm *vm, struct gtt_vm_stats *st)
{
	if (!vm || !st)
		return set_error(-EINVAL, "gtt_vm_stats: vm or st is NULL");
	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	*st = vm->st;
	st->pending_unbinds = vm->pending.count;
	st->backend_errors = atomic_load(&vm->backend_errors);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

GTT_API int gtt_vm_dump(struct gtt_vm *vm, FILE *out)
{
	struct gtt_range_stats rs;
	struct gtt_range_node *n;
	struct range_fence *rf;
	struct gtt_vm_stats st;

	if (!vm || !out)
		return set_error(-EINVAL, "gtt_vm_dump: vm or out is NULL");
	gtt_vm_stats(vm, &st);
	pthread_mutex_lock(&vm->lock);
	gtt_range_alloc_stats(vm->ra, &rs);
	fprintf(out, "vm '%s': [0x%" PRIx64 ", 0x%" PRIx64 ") page 0x%" PRIx64 "%s%s, backend %s\n",
		vm->name, vm->start, vm->end, vm->page_size,
		vm->flags & GTT_VM_COLOR_GUARD ? ", colour guards" : "",
		vm_is_closed(vm) ? ", CLOSED" : "", gtt_backend_name(vm->be));
	fprintf(out, "  %" PRIu64 " nodes, %" PRIu64 " bytes used, %" PRIu64 " free in %" PRIu64 " holes (largest 0x%" PRIx64 ")\n",
		rs.nodes, rs.used, rs.free, rs.holes, rs.largest_hole);
	for (n = gtt_range_first(vm->ra); n; n = gtt_range_next(vm->ra, n)) {
		struct vma *v = n->owner;

		if (!v) {
			fprintf(out, "  [0x%012" PRIx64 " - 0x%012" PRIx64 "] colour %u  quarantined (a PTE clear failed)\n",
				n->start, n->start + n->size - 1, n->color);
			continue;
		}
		fprintf(out, "  [0x%012" PRIx64 " - 0x%012" PRIx64 "] colour %u  vma 0x%" PRIx64 "%s%s%s\n",
			n->start, n->start + n->size - 1, n->color,
			v->handle, v->sparse ? "  sparse" : "",
			v->pin_count ? "  pinned" : "",
			v->binding && v->binding->bind_fence &&
			!gtt_fence_is_signaled(v->binding->bind_fence) ?
			"  bind pending" : "");
		/* A sparse vma: what is mapped inside it. */
		for (struct itree_node *it = v->sparse ? itree_first(&vma_sparse(v)->pieces, 0, UINT64_MAX) : NULL;
		     it; it = itree_next(it, 0, UINT64_MAX)) {
			const struct gtt_binding *p = binding_of_piece(it);

			if (!p->pages)
				fprintf(out, "    [0x%012" PRIx64 " - 0x%012" PRIx64 "] NULL%s\n",
					p->start, p->start + p->size - 1,
					p->bind_fence && !gtt_fence_is_signaled(p->bind_fence) ?
					"  write pending" : "");
			else
				fprintf(out, "    [0x%012" PRIx64 " - 0x%012" PRIx64 "] pages %p +0x%" PRIx64 "%s\n",
					p->start, p->start + p->size - 1, (void *)p->pages,
					p->pages_offset,
					p->bind_fence && !gtt_fence_is_signaled(p->bind_fence) ?
					"  write pending" : "");
		}
	}
	for (rf = range_fence_first(&vm->pending, 0, UINT64_MAX); rf;
	     rf = range_fence_next(rf, 0, UINT64_MAX))
		fprintf(out, "  pending unbind [0x%012" PRIx64 " - 0x%012" PRIx64 "]%s\n",
			rf->node.start, rf->node.last,
			range_fence_signalled(rf) ? " (signalled, retiring)" : "");
	pthread_mutex_unlock(&vm->lock);
	fprintf(out, "  binds %" PRIu64 " (deferred %" PRIu64 ", after pending unbind %" PRIu64 "), unbinds %" PRIu64
		" (immediate %" PRIu64 ", deferred %" PRIu64 "), evictions %" PRIu64 ", backend errors %" PRIu64
		", quarantined %" PRIu64 "\n",
		st.binds, st.binds_deferred, st.bind_waits_on_unbind, st.unbinds,
		st.unbinds_immediate, st.unbinds_deferred, st.evictions,
		st.backend_errors, st.quarantined);
	return 0;
}
