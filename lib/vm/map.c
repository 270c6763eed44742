/* SPDX-License-Identifier: MIT */
/*
 * Mappings inside sparse vmas (gtt/map.h): the split, its fences, the calls.
 *
 * A sparse vma's placement is a binding that maps nothing (b->region).
 * Each mapping inside it is a binding too, a *piece*, kept in the vma's
 * piece tree (v->pieces, non-overlapping, under the vm lock).  A piece's
 * bind job writes its entries.  A part an operation covers becomes a piece
 * of its own that goes through the ordinary unbind — clear after the vma's
 * active fences and the write it came from, in the pending tree until
 * then, quarantined if the clear fails.  A part that stays mapped becomes a
 * piece that takes over the old piece's pages, offset and bind fence and
 * runs no job: the old piece's write put its entries there, and nothing
 * rewrites them.
 *
 * A call is prepared — every binding, dependency record and fence it can
 * need is taken, and -ENOMEM leaves everything as it was — then committed,
 * which cannot fail.
 *
 * When the sparse vma unbinds, map_hand_over() moves its pieces to its
 * binding: the unbind's clear of the whole range waits for their writes,
 * and their pages go when it completes (binding_release_pieces()).
 */
#include <inttypes.h>

#include <gtt/map.h>

#include "vm_internal.h"

/* The fence a call returns: signalled when all of the call's work is done. */
struct map_fence {
	struct gtt_fence fence;
	struct await aw;
};

static const struct gtt_fence_ops map_fence_ops = { .name = "map" };

static void map_fence_free(struct gtt_fence *f)
{
	mem_free(container_of(f, struct map_fence, fence));
}

static void map_fence_job(struct await *aw, int error)
{
	struct map_fence *mf = container_of(aw, struct map_fence, aw);

	gtt_fence_signal(&mf->fence, error);
	await_fini(aw);
	gtt_fence_put(&mf->fence);	/* the await's reference */
}

#define MAX_NEW 5	/* two kept ends, two cut ends, one new piece */

/* One call on its way. */
struct map_op {
	struct gtt_vm *vm;
	struct vma *v;
	uint64_t start, end;		/* [start, end) in the vm */
	const struct gtt_map_info *info;
	bool map;
	struct gtt_binding **old;	/* overlapped pieces, lowest first */
	size_t nold;
	size_t nready;			/* cuts whose unbind await is set up */
	struct gtt_binding *head_keep, *tail_keep;
	struct gtt_binding *head_cut, *tail_cut;
	struct gtt_binding *piece;	/* what gtt_vma_map() maps */
	struct map_fence *mf;
	struct gtt_fence *wait_for;	/* out of memory: wait, then retry */
};

static struct gtt_binding *piece_of(struct itree_node *it)
{
	return container_of(it, struct gtt_binding, piece);
}

unsigned int map_pending_writes(const struct vma *v, struct gtt_fence **f)
{
	unsigned int n = 0;

	if (!v->sparse)
		return 0;
	for (struct itree_node *it = itree_first(&v->pieces, 0, UINT64_MAX); it;
	     it = itree_next(it, 0, UINT64_MAX)) {
		struct gtt_fence *bf = piece_of(it)->bind_fence;

		if (bf && !gtt_fence_is_signaled(bf) && !n++ && f)
			*f = gtt_fence_get(bf);
	}
	return n;
}

void map_hand_over(struct vma *v, struct gtt_binding *b)
{
	struct itree_node *it;

	if (!v->sparse)
		return;
	while ((it = itree_first(&v->pieces, 0, UINT64_MAX))) {
		struct gtt_fence *bf = piece_of(it)->bind_fence;

		if (bf)
			await_add(&b->unbind_await, bf);
		itree_remove(&v->pieces, it);
		itree_insert(&b->pieces, it);
	}
}

/* A piece for [start, start + size) that maps what @from maps there. */
static struct gtt_binding *piece_like(struct gtt_vm *vm,
				      const struct gtt_binding *from,
				      uint64_t start, uint64_t size)
{
	struct gtt_binding *p = binding_create(vm, from->pages, start, size,
					       from->pte_flags);

	if (!p)
		return NULL;
	binding_bind_init(p);		/* both awaits set up: op_release() */
	binding_unbind_init(p);		/* may cancel them */
	p->pages_offset = from->pages_offset + (start - from->start);
	p->bind_fence = gtt_fence_get(from->bind_fence);
	atomic_store_explicit(&p->replaced,
			      atomic_load_explicit(&from->replaced, memory_order_acquire),
			      memory_order_relaxed);
	p->piece.start = start;
	p->piece.last = start + size - 1;
	return p;
}

/* What a covered part's clear waits for: its write and the vma's GPU work. */
static unsigned int cut_deps(const struct vma *v, const struct gtt_binding *c)
{
	return (c->bind_fence && !gtt_fence_is_signaled(c->bind_fence)) +
	       active_unsignalled(&v->active) + active_unsignalled(&c->vm->active);
}

/* The cut of the @i-th overlapped piece: a new end piece, or the piece. */
static struct gtt_binding *cut_of(const struct map_op *op, size_t i)
{
	if (i == 0 && op->head_cut)
		return op->head_cut;
	if (i == op->nold - 1 && op->tail_cut)
		return op->tail_cut;
	return op->old[i];
}

static void op_release(struct map_op *op)
{
	struct gtt_binding *fresh[MAX_NEW] = { op->head_keep, op->tail_keep,
					       op->head_cut, op->tail_cut, op->piece };

	for (size_t i = 0; i < op->nready; i++) {
		struct gtt_binding *c = cut_of(op, i);

		if (c == op->old[i])
			await_cancel(&c->unbind_await);
	}
	for (size_t i = 0; i < MAX_NEW; i++) {
		if (!fresh[i])
			continue;
		await_cancel(&fresh[i]->unbind_await);
		await_cancel(&fresh[i]->bind_await);
		binding_put(fresh[i]);
	}
	if (op->mf) {
		await_cancel(&op->mf->aw);
		gtt_fence_put(&op->mf->fence);
	}
	mem_free(op->old);
	op->old = NULL;
}

/* A fence the call could not record, to wait for before trying again. */
static void pick_wait(struct map_op *op)
{
	const struct gtt_map_info *info = op->info;
	struct range_fence *rf;

	for (size_t i = 0; i < info->num_deps && !op->wait_for; i++)
		if (!gtt_fence_is_signaled(info->deps[i]))
			op->wait_for = gtt_fence_get(info->deps[i]);
	for (size_t i = 0; i < op->nold && !op->wait_for; i++)
		if (op->old[i]->bind_fence && !gtt_fence_is_signaled(op->old[i]->bind_fence))
			op->wait_for = gtt_fence_get(op->old[i]->bind_fence);
	if (!op->wait_for)
		op->wait_for = active_first_unsignalled(&op->v->active);
	if (!op->wait_for)
		op->wait_for = active_first_unsignalled(&op->vm->active);
	if (!op->wait_for && (rf = range_fence_first_unsignalled(&op->vm->pending, op->start,
								 op->end - 1)))
		op->wait_for = gtt_fence_get(rf->fence);
}

/* Take everything (vm lock held).  0, or -ENOMEM with nothing changed. */
static int op_prepare(struct map_op *op)
{
	struct gtt_vm *vm = op->vm;
	struct vma *v = op->v;
	const struct gtt_map_info *info = op->info;
	struct itree_node *it;
	unsigned int ncuts, npending;
	size_t n = 0;

	for (it = itree_first(&v->pieces, op->start, op->end - 1); it;
	     it = itree_next(it, op->start, op->end - 1))
		n++;
	op->old = mem_alloc((n ? n : 1) * sizeof(*op->old));
	if (!op->old)
		goto nomem;
	for (it = itree_first(&v->pieces, op->start, op->end - 1); it;
	     it = itree_next(it, op->start, op->end - 1))
		op->old[op->nold++] = piece_of(it);
	if (n) {
		struct gtt_binding *first = op->old[0], *last = op->old[n - 1];
		uint64_t first_end = first->start + first->size;
		uint64_t last_end = last->start + last->size;

		if (first->start < op->start) {
			op->head_keep = piece_like(vm, first, first->start,
						   op->start - first->start);
			op->head_cut = piece_like(vm, first, op->start,
						  u64_min(first_end, op->end) - op->start);
			if (!op->head_keep || !op->head_cut)
				goto nomem;
		}
		if (last_end > op->end) {
			op->tail_keep = piece_like(vm, last, op->end, last_end - op->end);
			if (!op->tail_keep)
				goto nomem;
			if (n > 1 || !op->head_cut) {
				uint64_t s = u64_max(last->start, op->start);

				op->tail_cut = piece_like(vm, last, s, op->end - s);
				if (!op->tail_cut)
					goto nomem;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct gtt_binding *c = cut_of(op, i);

		if (c == op->old[i])
			binding_unbind_init(c);	/* fresh cuts have theirs */
		op->nready++;
		if (await_reserve(&c->unbind_await, cut_deps(v, c)))
			goto nomem;
	}
	ncuts = (unsigned int)n;
	if (op->map) {
		op->piece = binding_create(vm, info->pages, op->start,
					   op->end - op->start, info->pte_flags);
		if (!op->piece)
			goto nomem;
		op->piece->pages_offset = info->pages_offset;
		op->piece->piece.start = op->start;
		op->piece->piece.last = op->end - 1;
		binding_bind_init(op->piece);	/* both set up: op_release() */
		binding_unbind_init(op->piece);	/* may cancel them */
		if (gtt_fence_create(0, 0, &op->piece->bind_fence))
			goto nomem;
		/* The caller's deps, the vma's placement, the pending clears
		 * it overlaps: those there now and this call's cuts. */
		npending = range_fence_count_unsignalled(&vm->pending, op->start,
							 op->end - 1);
		if (await_reserve(&op->piece->bind_await,
				  (unsigned int)info->num_deps + 1 + npending + ncuts))
			goto nomem;
	}
	op->mf = mem_alloc(sizeof(*op->mf));
	if (!op->mf)
		goto nomem;
	fence_init(&op->mf->fence, &map_fence_ops, NULL, 0, 0, map_fence_free);
	await_init(&op->mf->aw, vm->ex, map_fence_job);
	if (await_reserve(&op->mf->aw, ncuts + op->map))
		goto nomem;
	return 0;
nomem:
	pick_wait(op);
	op_release(op);
	return set_error(-ENOMEM, "%s: out of memory", op->map ? "gtt_vma_map" : "gtt_vma_unmap");
}

/* Start the clear of covered part @c (vm lock held); cannot fail. */
static void cut_commit(struct gtt_vm *vm, struct vma *v, struct gtt_binding *c)
{
	struct await *aw = &c->unbind_await;

	if (c->bind_fence)
		await_add(aw, c->bind_fence);
	active_await(&v->active, aw);
	active_await(&vm->active, aw);
	tree_write_begin(vm);
	c->unbind_counted = atomic_load(&aw->pending) > 1;
	if (c->unbind_counted) {
		vm_work_begin(vm);
		binding_get(c);			/* the tree's reference */
		c->rcu_free = vm->rcu;
		range_fence_insert(&vm->pending, &c->pending, c->start,
				   c->start + c->size - 1, &c->unbind_fence);
	}
	tree_write_end(vm);
	/* Its creation reference belongs to the unbind from here. */
	await_commit(aw);
}

/* Apply a prepared call (vm lock held); cannot fail. */
static void op_commit(struct map_op *op)
{
	struct gtt_vm *vm = op->vm;
	struct vma *v = op->v;
	const struct gtt_map_info *info = op->info;
	struct await *faw = &op->mf->aw;
	struct gtt_binding *p = op->piece;

	for (size_t i = 0; i < op->nold; i++)
		itree_remove(&v->pieces, &op->old[i]->piece);
	if (op->head_keep)
		itree_insert(&v->pieces, &op->head_keep->piece);
	if (op->tail_keep)
		itree_insert(&v->pieces, &op->tail_keep->piece);
	gtt_fence_get(&op->mf->fence);	/* the await's, dropped by its job */
	for (size_t i = 0; i < op->nold; i++) {
		struct gtt_binding *c = cut_of(op, i);

		/* An end piece's cut replaces it: the piece itself goes. */
		if (c != op->old[i])
			binding_put(op->old[i]);
		binding_get(c);		/* for the call's fence, below */
		cut_commit(vm, v, c);
		await_add(faw, &c->unbind_fence);
		binding_put(c);
		vm->st.unbinds++;
	}
	if (p) {
		for (size_t i = 0; i < info->num_deps; i++)
			await_add(&p->bind_await, info->deps[i]);
		if (v->binding->bind_fence)
			await_add(&p->bind_await, v->binding->bind_fence);
		for (struct range_fence *rf = range_fence_first(&vm->pending, op->start, op->end - 1);
		     rf; rf = range_fence_next(rf, op->start, op->end - 1))
			if (!range_fence_signalled(rf))
				await_add_order(&p->bind_await, rf->fence);
		itree_insert(&v->pieces, &p->piece);
		await_add(faw, p->bind_fence);
		binding_get(p);		/* the bind job's reference */
		p->bind_counted = atomic_load(&p->bind_await.pending) > 1;
		if (p->bind_counted)
			vm_work_begin(vm);
		vm->st.binds++;
		vm->st.binds_deferred += !await_commit(&p->bind_await);
	}
	await_commit(faw);
	mem_free(op->old);
}

static int check_range(const struct gtt_vm *vm, const struct vma *v,
		       uint64_t offset, uint64_t size, const char *who)
{
	if (!v)
		return set_error(-ENOENT, "%s: unknown vma handle", who);
	if (!v->sparse)
		return set_error(-EINVAL, "%s: vma 0x%" PRIx64 " is not sparse (gtt_vma_create_sparse())",
				 who, v->handle);
	if (!v->binding)
		return set_error(-ENOENT, "%s: sparse vma 0x%" PRIx64 " is not bound", who, v->handle);
	if (vm_is_closed(vm))
		return set_error(-ESHUTDOWN, "%s: vm '%s' is closed", who, vm->name);
	if (!size || (offset | size) % vm->page_size || offset > v->sparse_size ||
	    size > v->sparse_size - offset)
		return set_error(-EINVAL, "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty, not page-aligned or outside the vma's 0x%" PRIx64 " bytes",
				 who, offset, size, v->sparse_size);
	return 0;
}

static int check_info(const struct gtt_vm *vm, const struct gtt_map_info *info,
		      bool map, const char *who)
{
	const unsigned int known = GTT_MAP_ASYNC | GTT_MAP_TRYLOCK;

	if (info->flags & ~known)
		return set_error(-EINVAL, "%s: unknown flags 0x%x", who, info->flags);
	if (!reserved_zero(info->reserved, sizeof(info->reserved)))
		return set_error(-EINVAL, "%s: the info has non-zero reserved fields (built against a newer libgtt?)", who);
	if (info->num_deps && !info->deps)
		return set_error(-EINVAL, "%s: %zu deps but deps is NULL", who, info->num_deps);
	for (size_t i = 0; i < info->num_deps; i++)
		if (!info->deps[i])
			return set_error(-EINVAL, "%s: deps[%zu] is NULL", who, i);
	if (!map)
		return 0;
	if (info->pte_flags & GTT_PTE_NULL) {
		if (info->pages || info->pages_offset)
			return set_error(-EINVAL, "%s: a NULL mapping takes no pages", who);
		return 0;
	}
	if (!info->pages || info->pages_offset % vm->page_size)
		return set_error(-EINVAL, "%s: no pages, or pages_offset 0x%" PRIx64 " is not page-aligned",
				 who, info->pages_offset);
	return 0;
}

static int do_op(struct gtt_vm *vm, gtt_vma_t h, uint64_t offset, uint64_t size,
		 const struct gtt_map_info *info, bool map, struct gtt_fence **fence)
{
	const char *who = map ? "gtt_vma_map" : "gtt_vma_unmap";
	const struct gtt_map_info none = { 0 };
	bool wait, trylock;
	struct map_op op;
	struct gtt_fence *f;
	int err;

	if (!vm)
		return set_error(-EINVAL, "%s: vm is NULL", who);
	if (!info && map)
		return set_error(-EINVAL, "%s: info is NULL", who);
	if (!info)
		info = &none;
	err = check_info(vm, info, map, who);
	if (err)
		return err;
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
		op = (struct map_op){ .vm = vm, .v = vma_lookup(vm, h), .info = info, .map = map };
		err = check_range(vm, op.v, offset, size, who);
		if (err)
			break;
		if (map && !(info->pte_flags & GTT_PTE_NULL) &&
		    (info->pages_offset >= gtt_pages_size(info->pages) ||
		     size > gtt_pages_size(info->pages) - info->pages_offset)) {
			err = set_error(-EINVAL, "%s: 0x%" PRIx64 " bytes from pages_offset 0x%" PRIx64 " pass the end of the pages (0x%" PRIx64 ")",
					who, size, info->pages_offset, gtt_pages_size(info->pages));
			break;
		}
		op.start = op.v->binding->start + offset;
		op.end = op.start + size;
		err = op_prepare(&op);
		if (!err || !op.wait_for)
			break;
		/* Out of memory for a record: only a call that may block
		 * waits for that fence (unlocked) and tries again. */
		if (!wait || trylock) {
			gtt_fence_put(op.wait_for);
			break;
		}
		vm_wait_unlocked(vm, op.wait_for);
	}
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		return err;
	}
	f = &op.mf->fence;	/* its first reference is the call's */
	op_commit(&op);
	pthread_mutex_unlock(&vm->lock);
	if (wait) {
		executor_wait_fence(vm->ex, f);
		err = gtt_fence_status(f) < 0 ? gtt_fence_status(f) : 0;
		if (err)
			set_error(err, "%s: a dependency, a clear or the PTE write failed (%s)",
				  who, gtt_strerror(err));
	}
	if (fence)
		*fence = f;
	else
		gtt_fence_put(f);
	return err;
}

GTT_API int gtt_vma_map(struct gtt_vm *vm, gtt_vma_t h, uint64_t offset,
			uint64_t size, const struct gtt_map_info *info,
			struct gtt_fence **fence)
{
	return do_op(vm, h, offset, size, info, true, fence);
}

GTT_API int gtt_vma_unmap(struct gtt_vm *vm, gtt_vma_t h, uint64_t offset,
			  uint64_t size, const struct gtt_map_info *info,
			  struct gtt_fence **fence)
{
	return do_op(vm, h, offset, size, info, false, fence);
}
