/* SPDX-License-Identifier: MIT */
/*
 * Bindings: the life of one placement, from the bind request until its
 * unbind has completed (the kernel's i915_vma_resource).
 *
 * A binding embeds its unbind fence; the fence's refcount is the binding's.
 * References are held by: the vma while bound (handed to the unbind when it
 * starts), a deferred bind job, the pending-unbind tree, each hold, and
 * whoever received the unbind fence.
 *
 * Unbind.  The unbind await collects the bind fence and the vma's active
 * fences.  When they have signalled, the unbind job clears the PTEs (unless
 * the vm is closed) and drops the unbind's own hold.  When the last hold
 * goes, the binding *completes*: the unbind fence signals, the pages are
 * released, and, if it sat in the pending tree, the binding is pushed on
 * the vm's lock-free `retired` stack.  Whoever next holds the vm lock
 * removes it from the tree.  So neither a worker nor a releasing holder
 * ever waits for the vm lock.
 *
 * Lifetime of the vm.  vm_work_begin()/vm_work_end() bracket every bind or
 * unbind that may finish outside the vm lock (deferred, or completed by a
 * holder); vm destruction waits for the count to reach zero, and
 * vm_work_end() is the last access to the vm.  Work certain to finish
 * inline, under the vm lock, is not counted.
 */
#include "vm_internal.h"

static const struct gtt_fence_ops unbind_fence_ops = { .name = "unbind" };

static void binding_free_now(struct gtt_binding *b)
{
	gtt_pages_put(b->pages);	/* only if it never completed */
	gtt_fence_put(b->bind_fence);
	mem_free(b);
}

static void binding_free_rcu(struct rcu_head *head)
{
	RCU_CALLBACK_BEGIN(head);
	binding_free_now(container_of(head, struct gtt_binding, rcu));
}

static void binding_free(struct gtt_fence *f)
{
	struct gtt_binding *b = container_of(f, struct gtt_binding, unbind_fence);

	/* Lock-free readers may still be looking at it in the pending tree. */
	if (b->rcu_free)
		rcu_defer(&b->rcu, binding_free_rcu);
	else
		binding_free_now(b);
}

struct gtt_binding *binding_create(struct gtt_vm *vm, struct gtt_pages *pages,
				   uint64_t start, uint64_t size,
				   uint32_t pte_flags)
{
	struct gtt_binding *b = mem_alloc(sizeof(*b));

	if (!b)
		return NULL;
	fence_init(&b->unbind_fence, &unbind_fence_ops, NULL, 0, 0,
		   binding_free);
	b->vm = vm;
	b->pages = gtt_pages_get(pages);
	b->size = size;
	b->pages_offset = 0;
	b->region = false;
	b->batch = NULL;
	b->sparse_vma = 0;
	b->indexed = false;
	itree_init(&b->pieces);
	binding_place(b, start);
	b->pte_flags = pte_flags;
	b->bind_error = 0;
	b->clear_error = 0;
	atomic_init(&b->replaced, false);
	b->backend_failed = false;
	b->stale = false;
	b->qnode = NULL;
	b->q_next = NULL;
	atomic_init(&b->holds, 1);
	b->bind_fence = NULL;
	b->bind_counted = false;
	b->unbind_counted = false;
	b->rcu_free = false;	/* set when it enters the pending tree */
	return b;
}

void binding_place(struct gtt_binding *b, uint64_t start)
{
	b->start = start;
}

void binding_get(struct gtt_binding *b)
{
	gtt_fence_get(&b->unbind_fence);
}

void binding_put(struct gtt_binding *b)
{
	gtt_fence_put(&b->unbind_fence);
}

void binding_tree_release(struct range_fence *rf)
{
	binding_put(container_of(rf, struct gtt_binding, pending));
}

/* ---- bind ---- */

static void bind_job(struct await *aw, int dep_error)
{
	struct gtt_binding *b = container_of(aw, struct gtt_binding, bind_await);
	struct gtt_vm *vm = b->vm;
	bool replaced = false;
	int err = dep_error;

	/* A sparse vma's placement writes nothing: its pieces do. */
	if (!err && !vm_is_closed(vm) && !b->region) {
		err = backend_write(vm->be, b->start, b->size, b->pages,
				    b->pages_offset, b->pte_flags);
		replaced = !err;
		if (err) {
			/* Entries may have been written before the failure:
			 * put scratch back before anyone may reuse the range. */
			vm_note_backend_error(vm);
			b->backend_failed = true;
			if (vm_clear_failed(vm, backend_clear(vm->be, b->start, b->size)))
				b->stale = true;
			else
				replaced = true;
		}
	}
	b->bind_error = err;
	/* Nothing was written after a failed dependency: what the range held
	 * before (a failed clear's entries, say) is still there. */
	atomic_store_explicit(&b->replaced, replaced, memory_order_release);
	if (b->bind_fence)
		gtt_fence_signal(b->bind_fence, err);
	await_fini(aw);
	if (b->bind_counted)
		vm_work_end(vm);
	binding_put(b);
}

void binding_release_pieces(struct gtt_binding *b)
{
	struct itree_node *it;

	while ((it = itree_first(&b->pieces, 0, UINT64_MAX))) {
		itree_remove(&b->pieces, it);
		binding_put(container_of(it, struct gtt_binding, piece));
	}
}

void binding_bind_init(struct gtt_binding *b)
{
	await_init(&b->bind_await, b->vm->ex, bind_job);
}

/* ---- unbind ---- */

static void binding_complete(struct gtt_binding *b)
{
	struct gtt_vm *vm = b->vm;
	struct gtt_pages *pages = b->pages;
	bool stale = b->stale, counted = b->unbind_counted;

	/* A stale binding keeps its pages and the vma's reference: both go
	 * to the quarantine, which releases them once the range is clear. */
	if (!stale)
		b->pages = NULL;
	gtt_fence_signal(&b->unbind_fence, b->clear_error);
	if (!stale) {
		gtt_pages_put(pages);
		binding_release_pieces(b);
	} else {
		quarantine_push_failed(vm, b);	/* b is the quarantine's now */
	}
	if (counted)
		vm_work_end(vm);	/* last access to vm */
	if (!stale)
		binding_put(b);		/* the reference the vma handed over */
}

void binding_unhold(struct gtt_binding *b)
{
	if (atomic_fetch_sub_explicit(&b->holds, 1, memory_order_acq_rel) == 1)
		binding_complete(b);
}

static void unbind_job(struct await *aw, int dep_error)
{
	struct gtt_binding *b = container_of(aw, struct gtt_binding, unbind_await);
	struct gtt_vm *vm = b->vm;

	/* Failed GPU work still used the mapping: clear regardless. */
	(void)dep_error;
	if (!vm_is_closed(vm)) {
		int err = backend_clear(vm->be, b->start, b->size);

		b->stale = vm_clear_failed(vm, err);
		b->clear_error = err;
	}
	await_fini(aw);
	binding_unhold(b);
}

void binding_unbind_init(struct gtt_binding *b)
{
	await_init(&b->unbind_await, b->vm->ex, unbind_job);
}

/* ---- holds (public) ---- */

GTT_API void gtt_binding_unhold(struct gtt_binding *b)
{
	if (!b)
		return;
	binding_unhold(b);
	binding_put(b);
}

GTT_API uint64_t gtt_binding_offset(const struct gtt_binding *b)
{
	return b ? b->start : 0;
}

GTT_API uint64_t gtt_binding_size(const struct gtt_binding *b)
{
	return b ? b->size : 0;
}

GTT_API struct gtt_pages *gtt_binding_pages(const struct gtt_binding *b)
{
	return b ? b->pages : NULL;
}
