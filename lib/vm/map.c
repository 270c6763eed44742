/* SPDX-License-Identifier: MIT */
/*
 * Mappings inside sparse vmas (gtt/map.h): batches of map and unmap
 * operations, the split, one job per batch.
 *
 * A sparse vma's placement is a binding that maps nothing (b->region).
 * Each mapping inside it is a binding too, a *piece*, kept in the vma's
 * piece tree (v->pieces, non-overlapping, under the vm lock).  A batch
 * changes the trees at once, in the order of its operations:
 *
 * - a part an operation covers becomes a *cut*: a binding of its own that
 *   sits in the vm's pending tree (later binds order after it, rule 2)
 *   until the batch's job has cleared it; its pages go then, or to the
 *   quarantine if the clear failed;
 * - a part that stays mapped becomes a piece that takes over the old
 *   piece's pages, offset and bind fence: nothing rewrites its entries;
 * - a mapped range becomes a new piece whose bind fence is the batch's.
 *
 * The batch's job waits for everything any of its parts waits for — the
 * caller's dependencies; for the cuts, the vma's and the vm's active
 * fences and the writes the cuts came from; for the new pieces, the vma's
 * placement and the pending clears they overlap — then does the batch's
 * page-table work in order and invalidates once.  Only the caller's
 * dependencies pass their errors on: after one failed, the job still
 * clears (the GPU may have used the mapping) but writes nothing.
 *
 * A batch is prepared — every binding, record, fence and array it can need
 * is taken, counted from what the trees hold now plus what its own earlier
 * operations can add — so that applying it cannot fail, and -ENOMEM leaves
 * everything as it was.
 *
 * When a sparse vma unbinds, map_hand_over() moves its pieces to its
 * binding: that unbind's clear of the whole range waits for their writes,
 * and their pages go when it completes (binding_release_pieces()).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <gtt/map.h>

#include "vm_internal.h"

/* One piece of page-table work of a batch, done in order by its job. */
struct map_action {
	struct gtt_binding *b;
	bool write;			/* write b's entries; else clear b */
};

struct map_batch {
	/* The batch's fence, and the bind fence of the pieces it maps; its
	 * refcount is the batch's. */
	struct gtt_fence fence;
	struct await aw;
	struct gtt_vm *vm;
	struct map_action *acts;
	size_t nacts;
	struct gtt_binding **pool;	/* fresh bindings for the split */
	size_t npool, used;
	struct gtt_pages *timeline;	/* a move: the moved pages */
	size_t ncuts, nwaiting;		/* for the stats */
	bool borrowed;			/* a cut maps borrowed pages (rule 5) */
	bool counted;			/* in vm->inflight */
	/* A queue backend: the batch as it submits it, and its fence. */
	struct gtt_backend_op *bops;
	struct gtt_fence *done;
	struct gtt_fence_cb done_cb;
	int dep_error;
	char *why;			/* the backend's message when it refused
					 * the batch (set before the fence
					 * signals), or NULL */
};

static const struct gtt_fence_ops batch_fence_ops = { .name = "map batch" };

static void batch_free(struct gtt_fence *f)
{
	struct map_batch *mb = container_of(f, struct map_batch, fence);

	for (size_t i = mb->used; i < mb->npool; i++)
		binding_put(mb->pool[i]);
	mem_free(mb->pool);
	mem_free(mb->acts);
	mem_free(mb->bops);
	mem_free(mb->why);
	mem_free(mb);
}

static struct gtt_binding *piece_of(struct itree_node *it)
{
	return binding_of_piece(it);
}

/* ---- the reverse index: live pieces by (pages, address) ---- */

static struct gtt_binding *obj_of(struct avl_node *n)
{
	return container_of(n, struct binding_sparse, obj)->b;
}

static bool obj_before(const struct gtt_binding *a, const struct gtt_pages *pages,
		       uint64_t start)
{
	return (uintptr_t)a->pages < (uintptr_t)pages ||
	       (a->pages == pages && a->start < start);
}

/* @p joins @v's piece tree, and the index if it maps pages. */
static void piece_add(struct gtt_vm *vm, struct vma *v, struct gtt_binding *p)
{
	struct avl_node **link = &vm->by_pages.root, *parent = NULL;

	itree_insert(&vma_sparse(v)->pieces, &p->sp->piece);
	p->sp->sparse_vma = v->handle;
	if (!p->pages)
		return;
	while (*link) {
		parent = *link;
		link = obj_before(p, obj_of(parent)->pages, obj_of(parent)->start) ?
		       &parent->left : &parent->right;
	}
	avl_insert(&vm->by_pages, parent, link, &p->sp->obj);
	p->sp->indexed = true;
}

static void piece_del(struct gtt_vm *vm, struct vma *v, struct gtt_binding *p)
{
	itree_remove(&vma_sparse(v)->pieces, &p->sp->piece);
	if (p->sp->indexed)
		avl_remove(&vm->by_pages, &p->sp->obj);
	p->sp->indexed = false;
}

/* The first live piece mapping @pages, or NULL; then obj_next(). */
static struct gtt_binding *obj_first(struct gtt_vm *vm, const struct gtt_pages *pages)
{
	struct avl_node *n = vm->by_pages.root, *best = NULL;

	while (n) {
		if (obj_before(obj_of(n), pages, 0)) {
			n = n->right;
		} else {
			best = n;
			n = n->left;
		}
	}
	return best && obj_of(best)->pages == pages ? obj_of(best) : NULL;
}

static struct gtt_binding *obj_next(struct gtt_binding *p)
{
	struct avl_node *n = avl_next(&p->sp->obj);

	return n && obj_of(n)->pages == p->pages ? obj_of(n) : NULL;
}

unsigned int map_pending_writes(const struct vma *v, struct gtt_fence **f)
{
	unsigned int n = 0;

	if (!v->sparse)
		return 0;
	for (struct itree_node *it = itree_first(&vma_sparse(v)->pieces, 0, UINT64_MAX); it;
	     it = itree_next(it, 0, UINT64_MAX)) {
		struct gtt_fence *bf = piece_of(it)->bind_fence;

		if (bf && !gtt_fence_is_signaled(bf) && !n++ && f)
			*f = gtt_fence_get(bf);
	}
	/* Cuts still to be cleared inside it: their clears come after the
	 * writes they were cut from. */
	if (v->binding) {
		struct range_fence_tree *pt = &v->binding->vm->pending;
		uint64_t lo = v->binding->start, hi = lo + v->binding->size - 1;
		struct range_fence *rf;

		if (f && !n && (rf = range_fence_first_unsignalled(pt, lo, hi)))
			*f = gtt_fence_get(rf->fence);
		n += range_fence_count_unsignalled(pt, lo, hi);
	}
	return n;
}

bool map_has_borrowed(const struct vma *v)
{
	if (!v->sparse)
		return false;
	for (struct itree_node *it = itree_first(&vma_sparse(v)->pieces, 0, UINT64_MAX); it;
	     it = itree_next(it, 0, UINT64_MAX))
		if (gtt_pages_flags(piece_of(it)->pages) & GTT_PAGES_BORROWED)
			return true;
	return false;
}

void map_hand_over(struct vma *v, struct gtt_binding *b)
{
	struct itree_node *it;

	if (!v->sparse)
		return;
	/* Without an unbind await, all of these have signalled. */
	for (struct range_fence *rf = range_fence_first(&b->vm->pending, b->start,
							b->start + b->size - 1);
	     rf && b->un; rf = range_fence_next(rf, b->start, b->start + b->size - 1))
		if (!range_fence_signalled(rf))
			await_add_order(&b->un->aw, rf->fence);
	while ((it = itree_first(&vma_sparse(v)->pieces, 0, UINT64_MAX))) {
		struct gtt_fence *bf = piece_of(it)->bind_fence;

		if (bf && b->un)
			await_add(&b->un->aw, bf);
		piece_del(b->vm, v, piece_of(it));	/* no longer a live mapping */
		itree_insert(&b->sp->pieces, it);
	}
}

/* A fresh piece for [start, start + size) mapping what @from maps there. */
static struct gtt_binding *piece_like(struct map_batch *mb,
				      const struct gtt_binding *from,
				      uint64_t start, uint64_t size)
{
	struct gtt_binding *p = mb->pool[mb->used++];

	p->pages = gtt_pages_get(from->pages);
	p->pte_flags = from->pte_flags;
	p->size = size;
	binding_place(p, start);
	p->pages_offset = from->pages_offset + (start - from->start);
	p->bind_fence = gtt_fence_get(from->bind_fence);
	atomic_store_explicit(&p->replaced,
			      atomic_load_explicit(&from->replaced, memory_order_acquire),
			      memory_order_relaxed);
	p->sp->piece.start = start;
	p->sp->piece.last = start + size - 1;
	return p;
}

/* What waits for @rf must not wait for this batch's own work. */
static bool batch_owns(const struct map_batch *mb, const struct range_fence *rf)
{
	const struct gtt_binding *b = binding_of_pending(rf);

	return b->sp && b->sp->batch == mb;
}

/* @c, covered by the batch: to be cleared by the batch's job. */
static void cut(struct map_batch *mb, struct vma *v, struct gtt_binding *c)
{
	struct gtt_vm *vm = mb->vm;

	/* The write it came from (the vma's GPU work: apply()). */
	(void)v;
	if (c->bind_fence && c->bind_fence != &mb->fence)
		await_add_order(&mb->aw, c->bind_fence);
	c->sp->batch = mb;
	c->unbind_counted = true;
	vm_work_begin(vm);
	binding_get(c);				/* the pending tree's */
	c->rcu_free = vm->rcu;
	range_fence_insert(&vm->pending, &c->un->pending, c->start,
			   c->start + c->size - 1, &c->unbind_fence);
	mb->acts[mb->nacts++] = (struct map_action){ .b = c, .write = false };
	mb->ncuts++;
	mb->borrowed |= gtt_pages_flags(c->pages) & GTT_PAGES_BORROWED;
	vm->st.unbinds++;
}

/* Apply one checked operation to the trees (vm lock held); cannot fail. */
static void apply(struct map_batch *mb, const struct gtt_map_op *op)
{
	struct gtt_vm *vm = mb->vm;
	struct vma *v = vma_lookup(vm, op->vma);
	uint64_t start = v->binding->start + op->offset, end = start + op->size;
	struct itree_node *it;

	tree_write_begin(vm);
	/* The GPU work that may still use what this op covers. */
	if (itree_first(&vma_sparse(v)->pieces, start, end - 1))
		active_await_order(&v->active, &mb->aw);
	while ((it = itree_first(&vma_sparse(v)->pieces, start, end - 1))) {
		struct gtt_binding *p = piece_of(it);
		uint64_t p_end = p->start + p->size;
		uint64_t cs = u64_max(p->start, start), ce = u64_min(p_end, end);

		piece_del(vm, v, p);
		if (p->start < start)
			piece_add(vm, v, piece_like(mb, p, p->start, start - p->start));
		if (p_end > end)
			piece_add(vm, v, piece_like(mb, p, end, p_end - end));
		if (cs == p->start && ce == p_end) {
			cut(mb, v, p);		/* the tree's reference is the cut's */
		} else {
			cut(mb, v, piece_like(mb, p, cs, ce - cs));
			binding_put(p);		/* the tree's reference */
		}
	}
	if (op->kind == GTT_OP_MAP) {
		struct gtt_binding *p = mb->pool[mb->used++];

		p->pages = gtt_pages_get(op->pages);
		p->pte_flags = op->pte_flags;
		p->size = op->size;
		binding_place(p, start);
		p->pages_offset = op->pages_offset;
		p->bind_fence = gtt_fence_get(&mb->fence);
		p->sp->piece.start = start;
		p->sp->piece.last = end - 1;
		/* After the vma's placement (whose failure it shares, as a
		 * dependency's) and the clears it overlaps. */
		if (v->binding->bind_fence)
			await_add(&mb->aw, v->binding->bind_fence);
		bool waits = false;

		for (struct range_fence *rf = range_fence_first(&vm->pending, start, end - 1);
		     rf; rf = range_fence_next(rf, start, end - 1))
			if (!range_fence_signalled(rf) && !batch_owns(mb, rf)) {
				await_add_order(&mb->aw, rf->fence);
				waits = true;
			}
		mb->nwaiting += waits;
		piece_add(vm, v, p);
		binding_get(p);			/* the job's */
		mb->acts[mb->nacts++] = (struct map_action){ .b = p, .write = true };
		vm->st.binds++;
	}
	tree_write_end(vm);
}

/* The end of a batch's job, once every action's outcome is recorded. */
static void batch_end(struct map_batch *mb, int err)
{
	struct gtt_vm *vm = mb->vm;

	/* The batch lives on as the bind fence of its pieces: keep it small. */
	mem_free(mb->acts);
	mb->acts = NULL;
	mb->nacts = 0;
	mem_free(mb->bops);
	mb->bops = NULL;
	gtt_fence_signal(&mb->fence, err);
	await_fini(&mb->aw);
	if (mb->counted)
		vm_work_end(vm);
	gtt_fence_put(&mb->fence);		/* the job's */
}

/*
 * A queue backend's batch ended with @err (@ran), or was refused with it:
 * then nothing was done.  After a failure anything may be done: the new
 * pieces count as not written (and, if the batch ran, as holding entries
 * of their own until they are cleared: stale), the cuts as not cleared
 * (their pages wait in the quarantine).
 */
static void batch_queue_end(struct map_batch *mb, int err, bool ran)
{
	struct gtt_vm *vm = mb->vm;

	if (err)
		vm_note_backend_error(vm);
	for (size_t i = 0; i < mb->nacts; i++) {
		struct gtt_binding *b = mb->acts[i].b;

		if (mb->acts[i].write) {
			b->bind_error = mb->dep_error ? mb->dep_error : err;
			b->backend_failed = !mb->dep_error && err;
			/* After a failed dependency no write was handed over. */
			b->stale = ran && b->backend_failed;
			atomic_store_explicit(&b->replaced, !b->bind_error,
					      memory_order_release);
			if (b->bind_error)
				JOURNAL(vm, piece_failed, b);
			binding_put(b);		/* the job's */
		} else {
			b->stale = vm_clear_failed(vm, err);
			b->clear_error = err;
			JOURNAL(vm, clear, b, true, err);
			binding_unhold(b);	/* completes it */
		}
	}
	batch_end(mb, mb->dep_error ? mb->dep_error : err);
}

static void batch_done(struct gtt_fence *done, struct gtt_fence_cb *cb)
{
	struct map_batch *mb = container_of(cb, struct map_batch, done_cb);
	int err = fence_error(done);

	mb->done = NULL;
	gtt_fence_put(done);
	batch_queue_end(mb, err, true);
}

/*
 * A queue backend takes the batch's work as one submission, with the
 * dependencies it waits for itself; after a failed dependency, only the
 * clears.  True if the batch was handed over (or refused: then ended).
 */
static bool batch_submit(struct map_batch *mb, int dep_error)
{
	struct gtt_vm *vm = mb->vm;
	struct gtt_fence *const *deps;
	size_t n = 0, nd;
	int err;

	for (size_t i = 0; i < mb->nacts; i++)
		if (!mb->acts[i].write || !dep_error)
			mb->bops[n++] = binding_op(mb->acts[i].b, mb->acts[i].write);
	if (!n)
		return false;
	mb->dep_error = dep_error;
	deps = await_passed(&mb->aw, &nd);
	err = backend_submit(vm->be, mb->bops, n, deps, nd, &mb->done);
	if (err) {
		/* Its message is this thread's: keep it for the caller (best
		 * effort; without memory the caller gets the errno's name). */
		mb->why = error_copy();
		batch_queue_end(mb, err, false);
		return true;
	}
	/* Whoever waits for the batch, or for a cut that nothing else holds,
	 * may let the kernel wait for the submission instead. */
	fence_set_kernel(&mb->fence, mb->done);
	for (size_t i = 0; i < mb->nacts; i++)
		if (!mb->acts[i].write && atomic_load(&mb->acts[i].b->holds) == 1)
			fence_set_kernel(&mb->acts[i].b->unbind_fence, mb->done);
	if (gtt_fence_add_callback(mb->done, &mb->done_cb, batch_done) == -ENOENT)
		batch_done(mb->done, &mb->done_cb);
	return true;
}

static void batch_job(struct await *aw, int dep_error)
{
	struct map_batch *mb = container_of(aw, struct map_batch, aw);
	struct gtt_vm *vm = mb->vm;
	bool closed = vm_is_closed(vm), any = false;
	int err = dep_error, inval = 0;

	if (vm->queue && !closed && batch_submit(mb, dep_error))
		return;
	for (size_t i = 0; i < mb->nacts && !closed; i++) {
		struct gtt_binding *b = mb->acts[i].b;
		int e;

		if (mb->acts[i].write) {
			if (dep_error)
				continue;	/* nothing is written after a failed dep */
			e = backend_map(vm->be, b->start, b->size, b->pages,
					b->pages_offset, b->pte_flags);
			if (e) {
				/* Put scratch back over what it may have written. */
				vm_note_backend_error(vm);
				b->backend_failed = true;
				b->bind_error = e;
				b->stale = vm_clear_failed(vm, backend_unmap(vm->be, b->start, b->size));
				err = err ? err : e;
			}
		} else {
			e = backend_unmap(vm->be, b->start, b->size);
			b->stale = vm_clear_failed(vm, e);
			b->clear_error = e;
			err = err ? err : e;
		}
		any = true;
	}
	if (any && (inval = backend_invalidate(vm->be))) {
		bool cleared = true;

		vm_note_backend_error(vm);
		err = err ? err : inval;
		/* The new entries may or may not be visible: put scratch back
		 * over them before their owners learn that the batch failed,
		 * and make that visible (or quarantine what is left). */
		for (size_t i = 0; i < mb->nacts; i++) {
			struct gtt_binding *b = mb->acts[i].b;

			if (!mb->acts[i].write || b->bind_error || dep_error)
				continue;
			b->backend_failed = true;
			b->bind_error = inval;
			b->stale = vm_clear_failed(vm, backend_unmap(vm->be, b->start, b->size));
			cleared &= !b->stale;
		}
		if (!cleared || vm_clear_failed(vm, backend_invalidate(vm->be)))
			for (size_t i = 0; i < mb->nacts; i++)
				if (mb->acts[i].write && !dep_error)
					mb->acts[i].b->stale = true;
	}
	for (size_t i = 0; i < mb->nacts; i++) {
		struct gtt_binding *b = mb->acts[i].b;

		if (mb->acts[i].write) {
			if (!b->bind_error)
				b->bind_error = closed ? 0 : dep_error ? dep_error : inval;
			atomic_store_explicit(&b->replaced,
					      !closed && !dep_error && !b->stale &&
					      (!b->bind_error || b->backend_failed),
					      memory_order_release);
			if (b->bind_error)	/* before anyone sees the fence */
				JOURNAL(vm, piece_failed, b);
			binding_put(b);		/* the job's */
		} else {
			/* Without a confirmed invalidation the old entries may
			 * still be cached: keep the pages (quarantine). */
			if (inval && !closed && !b->clear_error) {
				b->clear_error = inval;
				b->stale = true;
			}
			JOURNAL(vm, clear, b, !closed, b->clear_error);
			binding_unhold(b);	/* completes it */
		}
	}
	batch_end(mb, err);
}

/* Check @op: its own arguments, then against the vm now (lock held). */
static int check_op(struct gtt_vm *vm, const struct gtt_map_op *op, size_t i,
		    const char *who)
{
	bool map = op->kind == GTT_OP_MAP, null = op->pte_flags & GTT_PTE_NULL;
	struct vma *v;
	uint64_t g;

	if (!map && op->kind != GTT_OP_UNMAP)
		return set_error(-EINVAL, "%s: ops[%zu]: unknown kind %d", who, i, (int)op->kind);
	if (!reserved_zero(op->reserved, sizeof(op->reserved)))
		return set_error(-EINVAL, "%s: ops[%zu] has non-zero reserved fields (built against a newer libgtt?)",
				 who, i);
	if (!map && (op->pages || op->pages_offset || op->pte_flags))
		return set_error(-EINVAL, "%s: ops[%zu]: an unmap takes no pages or flags", who, i);
	if (map && null && (op->pages || op->pages_offset))
		return set_error(-EINVAL, "%s: ops[%zu]: a NULL mapping takes no pages", who, i);
	if (map && !null &&
	    (!op->pages || vm_page_off(vm, op->pages_offset) ||
	     op->pages_offset >= gtt_pages_size(op->pages) ||
	     op->size > gtt_pages_size(op->pages) - op->pages_offset))
		return set_error(-EINVAL, "%s: ops[%zu]: no pages, pages_offset 0x%" PRIx64 " not page-aligned, or 0x%" PRIx64 " bytes from it pass the end of the pages",
				 who, i, op->pages_offset, op->size);
	if (map && !null && !vm_maps_pages(vm, op->pages))
		return set_error(-EOPNOTSUPP, "%s: ops[%zu]: backend '%s' writes PTEs, which point at DMA pages: it cannot map a GEM object or user memory",
				 who, i, gtt_backend_name(vm->be));
	v = vma_lookup(vm, op->vma);
	if (!v)
		return set_error(-ENOENT, "%s: ops[%zu]: unknown vma handle 0x%" PRIx64, who, i, op->vma);
	if (!v->sparse)
		return set_error(-EINVAL, "%s: ops[%zu]: vma 0x%" PRIx64 " is not sparse (gtt_vma_create_sparse())",
				 who, i, op->vma);
	if (!v->binding)
		return set_error(-ENOENT, "%s: ops[%zu]: sparse vma 0x%" PRIx64 " is not bound", who, i, op->vma);
	if (!op->size || vm_page_off(vm, op->offset | op->size) ||
	    op->offset > vma_sparse(v)->size || op->size > vma_sparse(v)->size - op->offset)
		return set_error(-EINVAL, "%s: ops[%zu]: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty, not page-aligned or outside the vma's 0x%" PRIx64 " bytes",
				 who, i, op->offset, op->size, vma_sparse(v)->size);
	g = map ? backend_granule(vm->be, op->pages, op->pte_flags) : 0;
	if (!backend_granule_kept(g, op->pages, v->binding->start + op->offset, op->size,
				  op->pages_offset))
		return set_error(-EINVAL, "%s: ops[%zu]: backend '%s' maps these pages (flags 0x%x) in 0x%" PRIx64 "-byte pages: the address 0x%" PRIx64 ", size 0x%" PRIx64 " and where they start in their memory (pages offset 0x%" PRIx64 " into the list) must be multiples",
				 who, i, gtt_backend_name(vm->be), op->pte_flags, g,
				 v->binding->start + op->offset, op->size, op->pages_offset);
	return 0;
}

/* A fence this batch could not record, to wait for before trying again. */
static struct gtt_fence *batch_wait_for(struct gtt_vm *vm, const struct gtt_map_op *ops,
					size_t count, const struct gtt_map_info *info)
{
	struct gtt_fence *f = NULL;

	for (size_t i = 0; i < info->num_deps && !f; i++)
		if (!gtt_fence_is_signaled(info->deps[i]))
			f = gtt_fence_get(info->deps[i]);
	if (!f)
		f = active_first_unsignalled(&vm->active);
	for (size_t i = 0; i < count && !f; i++) {
		struct vma *v = vma_lookup(vm, ops[i].vma);
		uint64_t start = v->binding->start + ops[i].offset;
		struct range_fence *rf;

		f = active_first_unsignalled(&v->active);
		if (!f && (rf = range_fence_first_unsignalled(&vm->pending, start,
							      start + ops[i].size - 1)))
			f = gtt_fence_get(rf->fence);
		for (struct itree_node *it = itree_first(&vma_sparse(v)->pieces, start, start + ops[i].size - 1);
		     it && !f; it = itree_next(it, start, start + ops[i].size - 1))
			if (piece_of(it)->bind_fence && !gtt_fence_is_signaled(piece_of(it)->bind_fence))
				f = gtt_fence_get(piece_of(it)->bind_fence);
	}
	return f;
}

struct iv {
	uint64_t s, e;
	uint64_t g;			/* the backend's granule for it, or 0 */
};

static int iv_cmp(const void *pa, const void *pb)
{
	const struct iv *a = pa, *b = pb;

	return a->s < b->s ? -1 : a->s > b->s;
}

/* A cut at @at of a piece whose granule is @g (0: none) must be aligned. */
static int cut_ok(const struct gtt_vm *vm, uint64_t at, uint64_t g, size_t i, const char *who)
{
	if (!g || !(at & (g - 1)))
		return 0;
	return set_error(-EINVAL, "%s: ops[%zu] would split a mapping at 0x%" PRIx64 ", which backend '%s' maps in 0x%" PRIx64 "-byte pages: it can only be cut at a multiple of that (unmap or map the whole page)",
			 who, i, at, gtt_backend_name(vm->be), g);
}

/*
 * What a batch needs, exactly: a dry run of its split over copies of the
 * ranges of the pieces it touches, vma by vma, in the batch's order (vm
 * lock held).  It also refuses a split the backend cannot make (a cut
 * through one of its large pages: backend_granule()).  Return: 0, -ENOMEM
 * (for the dry run itself), -EINVAL (with the message).
 */
static int batch_needs(struct gtt_vm *vm, const struct gtt_map_op *ops,
		       size_t count, size_t *nacts, size_t *nfresh, size_t *nrec,
		       const char *who)
{
	bool *done = mem_zalloc(count ? count : 1);
	int err = 0;

	if (!done)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		struct vma *v = vma_lookup(vm, ops[i].vma);
		uint64_t base = v->binding->start;
		size_t cap = 1, n = 0;
		struct iv *a;

		if (done[i])
			continue;
		for (size_t j = i; j < count; j++) {
			if (ops[j].vma != ops[i].vma)
				continue;
			cap += 3;
			for (struct itree_node *it = itree_first(&vma_sparse(v)->pieces, base + ops[j].offset,
								 base + ops[j].offset + ops[j].size - 1);
			     it; it = itree_next(it, base + ops[j].offset,
						 base + ops[j].offset + ops[j].size - 1))
				cap++;
		}
		a = mem_alloc(cap * sizeof(*a));
		if (!a) {
			mem_free(done);
			return -ENOMEM;
		}
		for (size_t j = i; j < count; j++) {
			if (ops[j].vma != ops[i].vma)
				continue;
			for (struct itree_node *it = itree_first(&vma_sparse(v)->pieces, base + ops[j].offset,
								 base + ops[j].offset + ops[j].size - 1);
			     it; it = itree_next(it, base + ops[j].offset,
						 base + ops[j].offset + ops[j].size - 1))
				a[n++] = (struct iv){ it->start, it->last + 1,
						      backend_granule(vm->be, piece_of(it)->pages,
								      piece_of(it)->pte_flags) };
		}
		qsort(a, n, sizeof(*a), iv_cmp);
		{
			size_t m = 0;

			for (size_t k = 0; k < n; k++)	/* one copy of each */
				if (!m || a[m - 1].s != a[k].s)
					a[m++] = a[k];
			n = m;
		}
		for (size_t j = i; j < count; j++) {
			uint64_t s = base + ops[j].offset, e = s + ops[j].size;
			bool map = ops[j].kind == GTT_OP_MAP, left, right;
			struct iv put[3];
			size_t lo = 0, hi, k, r = 0;

			if (ops[j].vma != ops[i].vma)
				continue;
			done[j] = true;
			while (lo < n && a[lo].e <= s)
				lo++;
			for (hi = lo; hi < n && a[hi].s < e; hi++)
				;
			k = hi - lo;
			left = k && a[lo].s < s;
			right = k && a[hi - 1].e > e;
			if (!err && left)
				err = cut_ok(vm, s, a[lo].g, j, who);
			if (!err && right)
				err = cut_ok(vm, e, a[hi - 1].g, j, who);
			*nacts += k + map;
			/* kept ends, cut ends that are new pieces, the new piece */
			*nfresh += left + right + left + (right && (k > 1 || !left)) + map;
			*nrec += k + (k ? active_unsignalled(&v->active) : 0) +
				 (map ? 1 + range_fence_count_unsignalled(&vm->pending, s, e - 1) : 0);
			if (left)
				put[r++] = (struct iv){ a[lo].s, s, a[lo].g };
			if (map)
				put[r++] = (struct iv){ s, e, backend_granule(vm->be, ops[j].pages,
									     ops[j].pte_flags) };
			if (right)
				put[r++] = (struct iv){ e, a[hi - 1].e, a[hi - 1].g };
			memmove(&a[lo + r], &a[hi], (n - hi) * sizeof(*a));
			memcpy(&a[lo], put, r * sizeof(*a));
			n = n - k + r;
		}
		mem_free(a);
	}
	mem_free(done);
	return err;
}

/*
 * Take everything the batch can need (vm lock held, ops checked): a fresh
 * binding for each part it can keep or cut, and records for everything its
 * job can wait for.  An operation covers at most the pieces there now plus
 * three per earlier operation (two kept ends and a new piece), and each
 * piece it covers yields one cut and at most two kept ends.  Return: 0,
 * -ENOMEM, or batch_needs()' -EINVAL (with its message).
 */
static int batch_prepare(struct gtt_vm *vm, const struct gtt_map_op *ops,
			 size_t count, const struct gtt_map_info *info,
			 struct gtt_pages *timeline, struct map_batch **out, const char *who)
{
	struct map_batch *mb = mem_zalloc(sizeof(*mb));
	size_t nacts = 1, nfresh = 0, nrec = info->num_deps + 1;	/* + a move's previous point */
	int err = mb ? batch_needs(vm, ops, count, &nacts, &nfresh, &nrec, who) : -ENOMEM;

	if (err) {
		mem_free(mb);
		return err;
	}
	mb->timeline = timeline;
	fence_init(&mb->fence, &batch_fence_ops, NULL, 0, 0, batch_free);
	mb->vm = vm;
	vm_await_init(vm, &mb->aw, batch_job);
	nrec += active_unsignalled(&vm->active);
	mb->acts = mem_alloc(nacts * sizeof(*mb->acts));
	mb->pool = mem_alloc((nfresh ? nfresh : 1) * sizeof(*mb->pool));
	if (vm->queue)
		mb->bops = mem_alloc(nacts * sizeof(*mb->bops));
	if (!mb->acts || !mb->pool || (vm->queue && !mb->bops) || await_reserve(&mb->aw, (unsigned int)u64_min(nrec, UINT32_MAX)))
		goto nomem;
	for (; mb->npool < nfresh; mb->npool++) {
		mb->pool[mb->npool] = binding_create(vm, NULL, 0, 0, 0,
						     BINDING_INLINE_UNBIND |
						     BINDING_INLINE_SPARSE);
		if (!mb->pool[mb->npool])
			goto nomem;
	}
	*out = mb;
	return 0;
nomem:
	await_cancel(&mb->aw);
	gtt_fence_put(&mb->fence);
	return -ENOMEM;
}

/* Everything checked and taken: change the trees and start the job. */
static void batch_commit(struct map_batch *mb, const struct gtt_map_op *ops,
			 size_t count, const struct gtt_map_info *info)
{
	struct gtt_vm *vm = mb->vm;
	struct gtt_fence *prev = NULL;

	/* A move: the next point on the moved pages' timeline, after the
	 * point before it (timeline points signal in order). */
	if (mb->timeline) {
		pages_join_moves(mb->timeline, &mb->fence, &prev);
		if (prev)
			await_add_order(&mb->aw, prev);
		gtt_fence_put(prev);
	}
	for (size_t i = 0; i < info->num_deps; i++)
		await_add(&mb->aw, info->deps[i]);
	active_await_order(&vm->active, &mb->aw);
	for (size_t i = 0; i < count; i++)
		apply(mb, &ops[i]);
	for (; mb->npool > mb->used; mb->npool--)	/* what the split did not use */
		binding_put(mb->pool[mb->npool - 1]);
	mem_free(mb->pool);	/* the used ones belong to the trees now */
	mb->pool = NULL;
	mb->npool = mb->used = 0;
	gtt_fence_get(&mb->fence);		/* the job's */
	mb->counted = vm->queue || atomic_load(&mb->aw.pending) > 1;
	if (mb->counted)
		vm_work_begin(vm);
	/* The stats count a batch's cuts as unbinds and its pieces as
	 * binds, deferred when the job has to wait. */
	if (mb->counted) {
		vm->st.unbinds_deferred += mb->ncuts;
		vm->st.binds_deferred += mb->nacts - mb->ncuts;
	} else {
		vm->st.unbinds_immediate += mb->ncuts;
	}
	vm->st.bind_waits_on_unbind += mb->nwaiting;
	await_commit(&mb->aw);
}

/*
 * The operations that unmap every live piece of @from, or with @to, map
 * each one to @to at the same offset instead (vm lock held).
 */
static int gather(struct gtt_vm *vm, struct gtt_pages *from, struct gtt_pages *to,
		  struct gtt_map_op **ops, size_t *count, const char *who)
{
	size_t n = 0;

	for (struct gtt_binding *p = obj_first(vm, from); p; p = obj_next(p))
		n++;
	*ops = mem_alloc((n ? n : 1) * sizeof(**ops));
	if (!*ops)
		return set_error(-ENOMEM, "%s: out of memory", who);
	*count = 0;
	for (struct gtt_binding *p = obj_first(vm, from); p; p = obj_next(p)) {
		struct vma *v = vma_lookup(vm, p->sp->sparse_vma);

		(*ops)[(*count)++] = (struct gtt_map_op){
			.kind = to ? GTT_OP_MAP : GTT_OP_UNMAP, .vma = p->sp->sparse_vma,
			.offset = p->start - v->binding->start, .size = p->size,
			.pages = to, .pages_offset = to ? p->pages_offset : 0,
			.pte_flags = to ? p->pte_flags : 0,
		};
	}
	return 0;
}

/*
 * Check, prepare and commit a batch, then wait for it unless async.  With
 * @from, the operations are gathered under the lock from the reverse index
 * (gather()) instead of given.
 */
static int batch(struct gtt_vm *vm, const struct gtt_map_op *given, size_t count,
		 struct gtt_pages *from, struct gtt_pages *to,
		 const struct gtt_map_info *info, struct gtt_fence **fence,
		 const char *who)
{
	const struct gtt_map_info none = { 0 };
	const unsigned int known = GTT_MAP_ASYNC | GTT_MAP_TRYLOCK;
	struct gtt_map_op *gathered = NULL;
	const struct gtt_map_op *ops = given;
	struct map_batch *mb = NULL;
	struct gtt_fence *f;
	bool wait, trylock;
	int err = 0;

	if (!vm || (!from && (!given || !count)))
		return set_error(-EINVAL, "%s: vm or ops is NULL, or no operation", who);
	if (!info)
		info = &none;
	if (info->flags & ~known)
		return set_error(-EINVAL, "%s: unknown flags 0x%x", who, info->flags);
	if (!reserved_zero(info->reserved, sizeof(info->reserved)))
		return set_error(-EINVAL, "%s: the info has non-zero reserved fields (built against a newer libgtt?)", who);
	if (info->num_deps && !info->deps)
		return set_error(-EINVAL, "%s: %zu deps but deps is NULL", who, info->num_deps);
	for (size_t i = 0; i < info->num_deps; i++)
		if (!info->deps[i])
			return set_error(-EINVAL, "%s: deps[%zu] is NULL", who, i);
	wait = !(info->flags & GTT_MAP_ASYNC);
	trylock = info->flags & GTT_MAP_TRYLOCK;
	if (trylock) {
		if (pthread_mutex_trylock(&vm->lock))
			return set_error(-EBUSY, "%s: vm '%s' is locked (trylock)", who, vm->name);
	} else {
		pthread_mutex_lock(&vm->lock);
	}
	for (;;) {
		vm_retire_locked(vm);
		if (vm_is_closed(vm)) {
			err = set_error(-ESHUTDOWN, "%s: vm '%s' is closed", who, vm->name);
			break;
		}
		if (from) {
			mem_free(gathered);
			gathered = NULL;
			err = gather(vm, from, to, &gathered, &count, who);
			ops = gathered;
		}
		for (size_t i = 0; i < count && !err; i++)
			err = check_op(vm, &ops[i], i, who);
		if (err)
			break;
		err = batch_prepare(vm, ops, count, info, to ? from : NULL, &mb, who);
		if (err != -ENOMEM)
			break;		/* done, or refused (the message is set) */
		err = set_error(-ENOMEM, "%s: out of memory", who);
		/* Only a call that may block waits (unlocked) and tries again. */
		f = wait && !trylock ? batch_wait_for(vm, ops, count, info) : NULL;
		if (!f)
			break;
		err = 0;
		vm_wait_unlocked(vm, f);
	}
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		mem_free(gathered);
		return err;
	}
	f = &mb->fence;		/* its first reference is the caller's */
	JOURNAL(vm, batch, vm, ops, count);	/* before its job may run */
	batch_commit(mb, ops, count, info);
	TRACE(vm, batch(vm, ops, count, info, f, who));
	mem_free(gathered);
	/* Borrowed pages may be freed once the call returns (rule 5). */
	wait |= mb->borrowed;
	pthread_mutex_unlock(&vm->lock);
	if (wait) {
		executor_wait_fence(vm->ex, f);
		err = gtt_fence_status(f) < 0 ? gtt_fence_status(f) : 0;
		if (err && mb->why)
			set_error(err, "%s: backend '%s' refused the batch: %s", who,
				  gtt_backend_name(vm->be), mb->why);
		else if (err)
			set_error(err, "%s: a dependency, a clear or a PTE write failed (%s)",
				  who, gtt_strerror(err));
	}
	if (fence)
		*fence = f;
	else
		gtt_fence_put(f);
	return err;
}

/* An info that names no mapping (NULL too): what every call but
 * gtt_vma_map() takes, since its operations carry their own. */
static bool flags_and_deps_only(const struct gtt_map_info *info)
{
	return !info || (!info->pages && !info->pages_offset && !info->pte_flags);
}

GTT_API int gtt_vm_map_batch(struct gtt_vm *vm, const struct gtt_map_op *ops,
			     size_t count, const struct gtt_map_info *info,
			     struct gtt_fence **fence)
{
	if (!flags_and_deps_only(info))
		return set_error(-EINVAL, "gtt_vm_map_batch: pages, pages_offset and pte_flags belong in the ops");
	return batch(vm, ops, count, NULL, NULL, info, fence, "gtt_vm_map_batch");
}

GTT_API int gtt_vma_map(struct gtt_vm *vm, gtt_vma_t h, uint64_t offset,
			uint64_t size, const struct gtt_map_info *info,
			struct gtt_fence **fence)
{
	struct gtt_map_op op;

	if (!info)
		return set_error(-EINVAL, "gtt_vma_map: info is NULL");
	op = (struct gtt_map_op){ .kind = GTT_OP_MAP, .vma = h, .offset = offset,
				  .size = size, .pages = info->pages,
				  .pages_offset = info->pages_offset,
				  .pte_flags = info->pte_flags };
	/* The info's own mapping fields are carried by the op. */
	struct gtt_map_info how = *info;

	how.pages = NULL;
	how.pages_offset = 0;
	how.pte_flags = 0;
	return batch(vm, &op, 1, NULL, NULL, &how, fence, "gtt_vma_map");
}

GTT_API int gtt_vma_unmap(struct gtt_vm *vm, gtt_vma_t h, uint64_t offset,
			  uint64_t size, const struct gtt_map_info *info,
			  struct gtt_fence **fence)
{
	struct gtt_map_op op = { .kind = GTT_OP_UNMAP, .vma = h, .offset = offset,
				 .size = size };

	if (!flags_and_deps_only(info))
		return set_error(-EINVAL, "gtt_vma_unmap: the info carries flags and deps only");
	return batch(vm, &op, 1, NULL, NULL, info, fence, "gtt_vma_unmap");
}

GTT_API int gtt_vm_unmap_pages(struct gtt_vm *vm, struct gtt_pages *pages,
			       const struct gtt_map_info *info,
			       struct gtt_fence **fence)
{
	if (!pages)
		return set_error(-EINVAL, "gtt_vm_unmap_pages: pages is NULL");
	if (!flags_and_deps_only(info))
		return set_error(-EINVAL, "gtt_vm_unmap_pages: the info carries flags and deps only");
	return batch(vm, NULL, 0, pages, NULL, info, fence, "gtt_vm_unmap_pages");
}

GTT_API int gtt_vm_move_pages(struct gtt_vm *vm, struct gtt_pages *from,
			      struct gtt_pages *to, const struct gtt_map_info *info,
			      struct gtt_fence **fence)
{
	if (!from || !to || from == to)
		return set_error(-EINVAL, "gtt_vm_move_pages: from or to is NULL, or they are the same");
	if (!flags_and_deps_only(info))
		return set_error(-EINVAL, "gtt_vm_move_pages: the info carries flags and deps only");
	return batch(vm, NULL, 0, from, to, info, fence, "gtt_vm_move_pages");
}
