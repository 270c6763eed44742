/* SPDX-License-Identifier: MIT */
/*
 * Eviction: the victims a bind with GTT_BIND_EVICT unbinds to open a hole,
 * chosen by the allocator's scan (pinned vmas and vmas over borrowed
 * pages are never victims), with everything the bind needs afterwards
 * taken before anything is evicted.
 *
 * Locking: vm->lock held, inside the bind's bracket for lock-free readers.
 */
#include "vm_internal.h"

static bool vma_evictable(void *arg, struct gtt_range_node *node)
{
	struct vma *v = node->owner;

	(void)arg;
	/* Borrowed pages cannot outlive the call that unbinds them (rule 5),
	 * and an eviction is asynchronous: such vmas are never victims. */
	return v && v->binding && !v->pin_count && !v->sparse &&
	       !(gtt_pages_flags(v->pages) & GTT_PAGES_BORROWED);
}

static uint64_t node_end(const struct gtt_range_alloc *ra,
			 const struct gtt_range_node *n, bool after)
{
	if (n == &ra->head)	/* a vm ends below 2^64 (gtt_vm_create()) */
		return after ? ra->last + 1 : ra->start;
	return after ? n->start : n->start + n->size;
}

/*
 * Unbind (async) the fewest unpinned vmas that open a hole for @req, with
 * everything the bind @b will need afterwards taken first: nothing is
 * evicted unless the bind can then complete.  Return: 0, -ENOSPC, -ENOMEM
 * (nothing changed).
 */
int evict_for(struct gtt_vm *vm, const struct gtt_range_request *req,
		     struct gtt_binding *b, size_t num_deps)
{
	struct gtt_range_node **victims;
	uint64_t lo, hi;
	size_t n, i;
	int err;

	err = range_evict_scan(vm->ra, req, vma_evictable, NULL, NULL, 0, &n);
	if (err)
		return err;
	victims = mem_alloc((n ? n : 1) * sizeof(*victims));
	if (!victims)
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for eviction");
	err = range_evict_scan(vm->ra, req, vma_evictable, NULL, victims, n, &n);
	if (err || !n)
		goto out;
	/* The hole the victims open, and the unbinds a bind there may await:
	 * those pending now and the victims themselves. */
	vm_overlap_window(vm, node_end(vm->ra, victims[0]->prev, false),
		       node_end(vm->ra, victims[n - 1]->next, true) -
		       node_end(vm->ra, victims[0]->prev, false), &lo, &hi);
	if (!b->bind_fence && gtt_fence_create(0, 0, &b->bind_fence)) {
		err = -ENOMEM;
		goto out;
	}
	if (binding_bind_init(b) || await_reserve(&b->job->aw, num_deps +
			   range_fence_count(&vm->pending, lo, hi) + n)) {
		err = set_error(-ENOMEM, "gtt_vma_bind: out of memory for the dependencies of an eviction");
		goto out;
	}
	for (i = 0; i < n; i++) {
		err = unbind_prepare(vm, victims[i]->owner);
		if (err) {
			while (i--)
				unbind_abort(victims[i]->owner);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		TRACE(vm, evict(vm, victims[i]->owner));
		unbind_commit(vm, victims[i]->owner, NULL, true);
		vm->st.evictions++;
	}
out:
	mem_free(victims);
	return err;
}
