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
#include <string.h>

#include "vm_internal.h"

static const struct gtt_fence_ops unbind_fence_ops = { .name = "unbind" };

/* Room for a part after the binding: its offset, and the size grows. */
static size_t part_at(size_t *size, size_t align, size_t part)
{
	size_t at = (*size + align - 1) & ~(align - 1);

	*size = at + part;
	return at;
}

static void bind_job(struct await *aw, int dep_error);

static void binding_free_now(struct gtt_binding *b)
{
	gtt_pages_put(b->pages);	/* only if it never completed */
	gtt_fence_put(b->bind_fence);
	if (!b->job_inline)
		mem_free(b->job);	/* a bind that never ran */
	if (b->un)
		mem_free(b->un->why);
	if (!b->un_inline)
		mem_free(b->un);
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

	/* Lock-free readers may still be looking at it in the pending tree
	 * or through its node: its memory waits for them.  They read neither
	 * the pages nor the bind fence, which go here, in the thread that let
	 * go (gtt_pages_set_destructor() names the threads a destructor may
	 * run in; liburcu's is not one of them). */
	if (b->rcu_free) {
		gtt_pages_put(b->pages);
		b->pages = NULL;
		gtt_fence_put(b->bind_fence);
		b->bind_fence = NULL;
		rcu_defer(&b->rcu, binding_free_rcu);
	} else {
		binding_free_now(b);
	}
}

struct gtt_binding *binding_create(struct gtt_vm *vm, struct gtt_pages *pages,
				   uint64_t start, uint64_t size,
				   uint32_t pte_flags, unsigned int inline_parts)
{
	bool un = inline_parts & BINDING_INLINE_UNBIND;
	bool job = inline_parts & BINDING_INLINE_JOB;
	bool sp = inline_parts & BINDING_INLINE_SPARSE;
	bool node = inline_parts & BINDING_INLINE_NODE;
	size_t bytes = sizeof(struct gtt_binding), un_at = 0, job_at = 0, sp_at = 0;
	size_t node_at = 0;
	struct gtt_binding *b;
	char *mem;

	/* One allocation: the binding, then the parts it carries inline. */
	if (node)
		node_at = part_at(&bytes, _Alignof(struct gtt_range_node_storage),
				  sizeof(struct gtt_range_node_storage));
	if (un)
		un_at = part_at(&bytes, _Alignof(struct unbind_state), sizeof(struct unbind_state));
	if (job)
		job_at = part_at(&bytes, _Alignof(struct bind_job), sizeof(struct bind_job));
	if (sp)
		sp_at = part_at(&bytes, _Alignof(struct binding_sparse), sizeof(struct binding_sparse));
	mem = mem_alloc(bytes);
	if (!mem)
		return NULL;
	b = (struct gtt_binding *)(void *)mem;
	b->un = un ? (struct unbind_state *)(void *)(mem + un_at) : NULL;
	b->job = job ? (struct bind_job *)(void *)(mem + job_at) : NULL;
	b->sp = sp ? (struct binding_sparse *)(void *)(mem + sp_at) : NULL;
	b->node_mem = node ? (struct gtt_range_node_storage *)(void *)(mem + node_at) : NULL;
	if (node)
		memset(b->node_mem, 0, sizeof(*b->node_mem));
	b->un_inline = un;
	b->job_inline = job;
	if (un) {
		b->un->b = b;
		b->un->why = NULL;
	}
	if (job) {
		b->job->b = b;
		vm_await_init(vm, &b->job->aw, bind_job);
	}
	if (sp) {
		b->sp->b = b;
		itree_init(&b->sp->pieces);
		b->sp->batch = NULL;
		b->sp->sparse_vma = 0;
		b->sp->indexed = false;
	}
	fence_init(&b->unbind_fence, &unbind_fence_ops, NULL, 0, 0,
		   binding_free);
	b->vm = vm;
	b->pages = gtt_pages_get(pages);
	b->size = size;
	b->pages_offset = 0;
	b->region = false;
	binding_place(b, start);
	b->pte_flags = pte_flags;
	b->bind_error = 0;
	b->clear_error = 0;
	atomic_init(&b->replaced, false);
	b->backend_failed = false;
	b->stale = false;
	b->qnode = NULL;
	b->jid = 0;
	b->jfailed = false;
	b->q_next = NULL;
	atomic_init(&b->holds, 1);
	b->bind_fence = NULL;
	b->bind_counted = false;
	b->unbind_counted = false;
	/* Readers may reach it through its node, or once it is in the
	 * pending tree (set then). */
	b->rcu_free = vm->rcu && node;
	b->submitted = false;
	b->no_resv_slot = false;
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
	binding_put(binding_of_pending(rf));
}

struct gtt_backend_op binding_op(const struct gtt_binding *b, bool map)
{
	bool null = b->pte_flags & GTT_PTE_NULL;

	if (!map)
		return (struct gtt_backend_op){ .kind = GTT_BACKEND_OP_UNMAP,
						.start = b->start, .size = b->size };
	return (struct gtt_backend_op){
		.kind = GTT_BACKEND_OP_MAP, .pte_flags = b->pte_flags,
		.start = b->start, .size = b->size,
		.pages = null ? NULL : b->pages,
		.pages_offset = null ? 0 : b->pages_offset,
	};
}

/* ---- bind ---- */

/* The bind job's end: the range holds its entries (@replaced) or not. */
static void bind_finish(struct gtt_binding *b, int err, bool replaced)
{
	struct gtt_vm *vm = b->vm;

	b->bind_error = err;
	/* Nothing was written after a failed dependency: what the range held
	 * before (a failed clear's entries, say) is still there. */
	atomic_store_explicit(&b->replaced, replaced, memory_order_release);
	if (err) JOURNAL(vm, bind_failed, b);	/* before anyone sees the fence */
	if (b->bind_fence)
		gtt_fence_signal(b->bind_fence, err);
	if (b->job) {
		await_fini(&b->job->aw);
		if (!b->job_inline) {
			mem_free(b->job);
			b->job = NULL;
		}
	}
	if (b->bind_counted)
		vm_work_end(vm);
	binding_put(b);
}

/* A queue backend's batch finished (any thread; b->done's callback). */
static void bind_done(struct gtt_fence *done, struct gtt_fence_cb *cb)
{
	struct gtt_binding *b = container_of(cb, struct bind_job, cb)->b;
	int err = fence_error(done);

	gtt_fence_put(done);	/* its signaller holds its own */
	if (err) {
		/* Anything may be written: the range counts as holding what
		 * it held, and entries of its own may remain (stale, as after
		 * a failed clean-up: the journal says so) until its unbind's
		 * clear settles them. */
		vm_note_backend_error(b->vm);
		b->backend_failed = true;
		b->stale = true;
	}
	bind_finish(b, err, !err);
}

/*
 * Hand the job's op and the dependencies it passed on to a queue backend;
 * @fn finishes the job when the batch's fence signals (at once if it has).
 * Return: 0, or the backend's error: nothing was done.
 */
static int queue_submit(struct gtt_binding *b, struct await *aw,
			const struct gtt_backend_op *op, struct gtt_fence *proxy,
			struct gtt_fence_cb *cb, gtt_fence_func_t fn)
{
	size_t nd;
	struct gtt_fence *const *deps = await_passed(aw, &nd);
	struct gtt_fence *done;
	int err = backend_submit(b->vm->be, op, 1, deps, nd, &done);

	if (err)
		return err;
	/* The caller's fence signals with the batch's: the kernel may wait
	 * for that one in its place. */
	if (proxy)
		fence_set_kernel(proxy, done);
	/* The reference on @done is the callback's. */
	if (gtt_fence_add_callback(done, cb, fn) == -ENOENT)
		fn(done, cb);
	return 0;
}

/* The bind job: write the PTEs, unless a dependency failed (@dep_error). */
static void bind_run(struct gtt_binding *b, int dep_error)
{
	struct gtt_vm *vm = b->vm;
	bool replaced = false;
	int err = dep_error;

	/* A sparse vma's placement writes nothing: its pieces do. */
	if (!err && !vm_is_closed(vm) && !b->region && vm->queue) {
		const struct gtt_backend_op op = binding_op(b, true);

		b->submitted = true;	/* read by the binding call only */
		err = queue_submit(b, &b->job->aw, &op, b->bind_fence, &b->job->cb,
				   bind_done);
		if (!err)
			return;
		b->submitted = false;
		/* Nothing was written. */
		vm_note_backend_error(vm);
		b->backend_failed = true;
	} else if (!err && !vm_is_closed(vm) && !b->region) {
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
	bind_finish(b, err, replaced);
}

void binding_release_pieces(struct gtt_binding *b)
{
	struct itree_node *it;

	if (!b->sp)
		return;
	while ((it = itree_first(&b->sp->pieces, 0, UINT64_MAX))) {
		itree_remove(&b->sp->pieces, it);
		binding_put(binding_of_piece(it));
	}
}

static void bind_job(struct await *aw, int dep_error)
{
	bind_run(container_of(aw, struct bind_job, aw)->b, dep_error);
}

void binding_bind_now(struct gtt_binding *b, int dep_error)
{
	bind_run(b, dep_error);
}

int binding_bind_init(struct gtt_binding *b)
{
	if (b->job)
		return 0;	/* inline, or an eviction took records already */
	b->job = mem_alloc(sizeof(*b->job));
	if (!b->job)
		return -ENOMEM;
	b->job->b = b;
	vm_await_init(b->vm, &b->job->aw, bind_job);
	return 0;
}

void binding_bind_drop(struct gtt_binding *b)
{
	if (!b->job)
		return;
	await_cancel(&b->job->aw);
	if (!b->job_inline) {
		mem_free(b->job);
		b->job = NULL;
	}
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

/* The unbind job's end, after its clear returned @err (if it @ran). */
static void unbind_finish(struct gtt_binding *b, bool ran, int err)
{
	if (ran) {
		b->stale = vm_clear_failed(b->vm, err);
		b->clear_error = err;
	}
	JOURNAL(b->vm, clear, b, ran, err);
	if (b->un)
		await_fini(&b->un->aw);
	binding_unhold(b);
}

static void unbind_done(struct gtt_fence *done, struct gtt_fence_cb *cb)
{
	struct gtt_binding *b = container_of(cb, struct unbind_state, cb)->b;
	int err = fence_error(done);

	gtt_fence_put(done);
	unbind_finish(b, true, err);
}

/* The unbind job: clear, then drop the unbind's hold (dependency errors
 * do not matter: failed GPU work still used the mapping). */
static void unbind_run(struct gtt_binding *b)
{
	struct gtt_vm *vm = b->vm;
	bool ran = !vm_is_closed(vm);
	int err = 0;

	if (ran && vm->queue) {
		const struct gtt_backend_op op = binding_op(b, false);

		/* No holder can appear any more: with none but the unbind's
		 * own, the unbind fence signals exactly with the batch. */
		err = queue_submit(b, &b->un->aw, &op,
				   atomic_load(&b->holds) == 1 ? &b->unbind_fence : NULL,
				   &b->un->cb, unbind_done);
		if (!err)
			return;
		mem_free(b->un->why);
		b->un->why = error_copy();	/* this thread's: for the caller */
	} else if (ran) {
		err = backend_clear(vm->be, b->start, b->size);
	}
	unbind_finish(b, ran, err);
}

static void unbind_job(struct await *aw, int dep_error)
{
	(void)dep_error;
	unbind_run(container_of(aw, struct unbind_state, aw)->b);
}

void binding_unbind_now(struct gtt_binding *b)
{
	unbind_run(b);
}

int binding_unbind_init(struct gtt_binding *b)
{
	if (!b->un) {
		b->un = mem_alloc(sizeof(*b->un));
		if (!b->un)
			return -ENOMEM;
		b->un->b = b;
		b->un->why = NULL;
	}
	vm_await_init(b->vm, &b->un->aw, unbind_job);
	return 0;
}

const char *binding_unbind_why(const struct gtt_fence *unbind_fence)
{
	const struct gtt_binding *b = container_of(unbind_fence, struct gtt_binding, unbind_fence);

	return b->un ? b->un->why : NULL;
}

void binding_unbind_drop(struct gtt_binding *b)
{
	if (!b->un)
		return;
	await_cancel(&b->un->aw);
	if (!b->un_inline) {
		mem_free(b->un->why);
		mem_free(b->un);
		b->un = NULL;
	}
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
