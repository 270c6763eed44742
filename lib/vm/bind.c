/* SPDX-License-Identifier: MIT */
/*
 * Bind: gtt_vma_bind() in named steps, all under the vm lock: check the
 * request, look up the vma (bind_lookup), find its range, evicting if
 * asked (bind_place), record what the PTE write waits for (bind_deps),
 * hand the binding to the vma and start the write (bind_commit); undo on
 * failure.  A synchronous bind then waits with the lock dropped.
 *
 * Locking: vm->lock held for every step but the waits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vm_internal.h"

static const struct gtt_bind_info default_bind_info;

static bool any_unsignalled(struct gtt_fence *const *fs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!gtt_fence_is_signaled(fs[i]))
			return true;
	return false;
}

static int check_bind_info(const struct gtt_vm *vm,
			   const struct gtt_bind_info *info)
{
	const unsigned int known = GTT_BIND_ASYNC | GTT_BIND_FIXED | GTT_BIND_EVICT |
				    GTT_BIND_ANYWHERE;
	uint64_t align = u64_max(info->alignment, vm->page_size);

	if (!reserved_zero(info->reserved, sizeof(info->reserved)))
		return set_error(-EINVAL, "gtt_vma_bind: the bind info has non-zero reserved fields (built against a newer libgtt?)");

	if (info->flags & ~known)
		return set_error(-EINVAL, "gtt_vma_bind: unknown flags 0x%x", info->flags);
	if (info->num_deps && !info->deps)
		return set_error(-EINVAL, "gtt_vma_bind: %zu deps but deps is NULL", info->num_deps);
	for (size_t i = 0; i < info->num_deps; i++)
		if (!info->deps[i])
			return set_error(-EINVAL, "gtt_vma_bind: deps[%zu] is NULL", i);
	if (info->alignment && !is_pow2(info->alignment))
		return set_error(-EINVAL, "gtt_vma_bind: alignment 0x%" PRIx64 " is not a power of two",
				 info->alignment);
	if (vm_page_off(vm, info->pages_offset))
		return set_error(-EINVAL, "gtt_vma_bind: pages_offset 0x%" PRIx64 " is not a multiple of the page size 0x%" PRIx64,
				 info->pages_offset, vm->page_size);
	if (vm_page_off(vm, info->size))
		return set_error(-EINVAL, "gtt_vma_bind: size 0x%" PRIx64 " is not a multiple of the page size 0x%" PRIx64,
				 info->size, vm->page_size);
	if (info->range_end && info->range_end <= info->range_start)
		return set_error(-EINVAL, "gtt_vma_bind: empty range [0x%" PRIx64 ", 0x%" PRIx64 ")",
				 info->range_start, info->range_end);
	if (!(info->flags & GTT_BIND_FIXED))
		return 0;
	if (info->offset % align)
		return set_error(-EINVAL, "gtt_vma_bind: offset 0x%" PRIx64 " is not aligned to 0x%" PRIx64,
				 info->offset, align);
	if (info->offset < info->range_start)
		return set_error(-EINVAL, "gtt_vma_bind: offset 0x%" PRIx64 " is below range_start 0x%" PRIx64,
				 info->offset, info->range_start);
	return 0;
}

/* One bind request on its way (the steps of gtt_vma_bind()). */
struct bind_op {
	struct gtt_vm *vm;
	const struct gtt_bind_info *info;
	gtt_vma_t h;
	struct vma *v;
	uint64_t size;
	uint64_t align;			/* the placement's: the caller's, or the
					 * backend's granule if larger */
	struct gtt_binding *b;
	struct gtt_range_node *node;	/* b's, once placed (then b->start is set) */
	bool placed;
	int dep_error;			/* no bind job: a failed dependency's */
	struct gtt_fence *wait_for;	/* out of memory: wait, then retry */
	/* A synchronous bind that waits: the vma's eviction record, given
	 * back if the bind fails after all. */
	struct gtt_fence *old_last_unbind;
	bool old_evicted;
};

/* The vma, and the size to map (vm lock held). */
static int bind_lookup(struct bind_op *op)
{
	uint64_t avail, g;
	struct gtt_vm *vm = op->vm;
	const struct gtt_bind_info *info = op->info;
	struct vma *v = vma_lookup(vm, op->h);

	if (!v)
		return set_error(-ENOENT, "gtt_vma_bind: unknown vma handle 0x%" PRIx64, op->h);
	if (vm_is_closed(vm))
		return set_error(-ESHUTDOWN, "gtt_vma_bind: vm '%s' is closed", vm->name);
	if (v->binding)
		return set_error(-EBUSY, "gtt_vma_bind: vma 0x%" PRIx64 " is already bound", op->h);
	op->v = v;
	op->align = info->alignment;
	if (v->sparse) {
		/* Its range only: what it maps comes with gtt_vma_map(). */
		if ((info->size && info->size != vma_sparse(v)->size) || info->pages_offset)
			return set_error(-EINVAL, "gtt_vma_bind: a sparse vma binds its whole size (0x%" PRIx64 ") and has no pages_offset",
					 vma_sparse(v)->size);
		op->size = vma_sparse(v)->size;
		goto sized;
	}
	if (info->pages_offset >= gtt_pages_size(v->pages))
		return set_error(-EINVAL, "gtt_vma_bind: pages_offset 0x%" PRIx64 " is not inside the pages (0x%" PRIx64 " bytes)",
				 info->pages_offset, gtt_pages_size(v->pages));
	avail = gtt_pages_size(v->pages) - info->pages_offset;
	op->size = info->size ? info->size : avail;
	if (op->size > avail || !op->size || vm_page_off(vm, op->size))
		return set_error(-EINVAL, "gtt_vma_bind: size 0x%" PRIx64 " exceeds the pages past pages_offset (0x%" PRIx64 ") or is not page-aligned",
				 op->size, avail);
	/* Pages the backend maps in larger pages (xe's VRAM on DG2): placed
	 * at a multiple of that, and refused if they cannot be. */
	g = backend_granule(vm->be, v->pages, info->pte_flags);
	if (!backend_granule_kept(g, v->pages, info->flags & GTT_BIND_FIXED ? info->offset : 0,
				  op->size, info->pages_offset))
		return set_error(-EINVAL, "gtt_vma_bind: backend '%s' maps these pages (flags 0x%x) in 0x%" PRIx64 "-byte pages: the size 0x%" PRIx64 ", where they start in their memory (pages_offset 0x%" PRIx64 " into the list) and a fixed offset must be multiples",
				 gtt_backend_name(vm->be), info->pte_flags, g, op->size,
				 info->pages_offset);
	op->align = u64_max(op->align, g);
sized:
	if ((info->flags & GTT_BIND_FIXED) &&
	    (info->offset > UINT64_MAX - op->size ||
	     (info->range_end && info->offset + op->size > info->range_end)))
		return set_error(-EINVAL, "gtt_vma_bind: fixed range [0x%" PRIx64 ", +0x%" PRIx64 ") wraps or passes range_end 0x%" PRIx64,
				 info->offset, op->size, info->range_end);
	return 0;
}

/*
 * The allocator's avoid callback for a placement: would a bind at
 * [start, end) wait for an unsignalled pending unbind (bind_deps()'s
 * window)?  The block it names is that unbind's range, widened as the
 * window is, and grown through up to 16 more that touch it, so the
 * allocator can skip past them all.
 */
static bool place_meets_pending(void *arg, uint64_t start, uint64_t end,
				uint64_t *block_start, uint64_t *block_end)
{
	struct gtt_vm *vm = arg;
	struct range_fence *rf;
	uint64_t lo, hi;

	vm_overlap_window(vm, start, end - start, &lo, &hi);
	rf = range_fence_first_unsignalled(&vm->pending, lo, hi);
	if (!rf)
		return false;
	vm_overlap_window(vm, rf->node.start, rf->node.last - rf->node.start + 1,
			  &lo, &hi);
	*block_start = lo;
	/* Extend it upward through unbinds that touch it (a few), so that
	 * a run of them costs the allocator one call, not one each. */
	for (int i = 0; i < 16 && hi < UINT64_MAX; i++) {
		uint64_t l, h;

		rf = range_fence_next(rf, lo, UINT64_MAX);
		if (!rf)
			break;
		vm_overlap_window(vm, rf->node.start,
				  rf->node.last - rf->node.start + 1, &l, &h);
		if (l > hi + 1)
			break;
		if (!range_fence_signalled(rf))
			hi = u64_max(hi, h);
	}
	*block_end = hi == UINT64_MAX ? hi : hi + 1;
	return true;
}

/* Find the range (evicting if asked), into op->node. */
static int bind_place(struct bind_op *op)
{
	struct gtt_vm *vm = op->vm;
	const struct gtt_bind_info *info = op->info;
	bool fixed = info->flags & GTT_BIND_FIXED;
	const struct gtt_range_avoid pending = { .fn = place_meets_pending,
						 .arg = vm };
	bool avoid = !fixed && !(info->flags & GTT_BIND_ANYWHERE) &&
		     vm->pending.count;
	struct gtt_range_request req = {
		.size = op->size,
		.alignment = op->align,
		.color = info->color,
		.range_start = fixed ? info->offset : info->range_start,
		.range_end = fixed ? info->offset + op->size : info->range_end,
		.placement = fixed ? GTT_PLACE_LOW : info->placement,
		.avoid = avoid ? &pending : NULL,
	};
	int err;

	tree_write_begin(vm);
	for (int pass = 0;; pass++) {
		if (pass)	/* the storage of a node never placed, zeroed */
			memset(op->b->node_mem, 0, sizeof(*op->b->node_mem));
		err = fixed ? gtt_range_reserve_in(vm->ra, info->offset, op->size,
						   info->color, op->v, op->b->node_mem,
						   &op->node) :
			      gtt_range_insert_in(vm->ra, &req, op->v, op->b->node_mem,
						  &op->node);
		if (err == -EINVAL) {
			/* The allocator refused the range: name the call. */
			char why[160];

			snprintf(why, sizeof(why), "%s", gtt_last_error());
			set_error(err, "gtt_vma_bind: %s", why);
		}
		if (err != -ENOSPC || pass || !(info->flags & GTT_BIND_EVICT))
			break;
		err = evict_for(vm, &req, op->b, info->num_deps);
		if (err)
			break;
	}
	tree_write_end(vm);
	op->placed = !err;
	/* No room is an expected outcome: a constant message, as the
	 * allocator's own. */
	if (err == -ENOSPC)
		set_error_static(err, fixed ? "gtt_vma_bind: the fixed range is (partly) in use" :
				 "gtt_vma_bind: no free range fits (nor could eviction, if asked, open one)");
	return err;
}

static void bind_unplace(struct bind_op *op)
{
	tree_write_begin(op->vm);
	gtt_range_remove(op->vm->ra, op->node);
	tree_write_end(op->vm);
	op->node = NULL;
	op->placed = false;
}

/*
 * Record what the PTE write waits for: the caller's dependencies and every
 * pending unbind overlapping the range (for ordering only: a failed clear
 * there does not fail this bind).  Return: 0, -ENOMEM (nothing recorded;
 * op->wait_for may name a fence to wait for before retrying).
 */
static int bind_deps(struct bind_op *op, bool want_fence)
{
	struct gtt_vm *vm = op->vm;
	const struct gtt_bind_info *info = op->info;
	struct gtt_binding *b = op->b;
	struct range_fence *rf, *first;
	unsigned int npending;
	uint64_t lo, hi;
	bool waits;

	vm_overlap_window(vm, b->start, b->size, &lo, &hi);
	first = range_fence_first_unsignalled(&vm->pending, lo, hi);
	npending = first ? range_fence_count_unsignalled(&vm->pending, lo, hi) : 0;
	/* A queue backend's write completes later, always: its fence. */
	waits = b->job || npending || vm->queue ||
		any_unsignalled(info->deps, info->num_deps);
	if (!b->bind_fence && (want_fence || waits) &&
	    gtt_fence_create(0, 0, &b->bind_fence))
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for the bind fence");
	if (!waits) {
		/* Every dependency has signalled: no job to wait, and the
		 * first that failed fails the bind (as its record would). */
		for (size_t i = 0; i < info->num_deps && !op->dep_error; i++)
			if (fence_error(info->deps[i]) < 0)
				op->dep_error = fence_error(info->deps[i]);
		return 0;
	}
	if (binding_bind_init(b) || await_reserve(&b->job->aw, info->num_deps + npending)) {
		for (size_t i = 0; i < info->num_deps && !op->wait_for; i++)
			if (!gtt_fence_is_signaled(info->deps[i]))
				op->wait_for = gtt_fence_get(info->deps[i]);
		if (!op->wait_for && first)
			op->wait_for = gtt_fence_get(first->fence);
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for %u dependencies",
				 (unsigned int)(info->num_deps + npending));
	}
	for (size_t i = 0; i < info->num_deps; i++)
		await_add(&b->job->aw, info->deps[i]);
	if (npending) {
		vm->st.bind_waits_on_unbind++;
		for (rf = first; rf; rf = range_fence_next(rf, lo, hi))
			await_add_order(&b->job->aw, rf->fence);
	}
	return 0;
}

/* Hand the binding to the vma and start the PTE write.  True if deferred. */
static bool bind_commit(struct bind_op *op)
{
	struct gtt_vm *vm = op->vm;
	struct gtt_binding *b = op->b;
	bool deferred;

	op->v->binding = b;
	evict_lru_touch(vm, op->v);	/* the bind fence: its first use */
	binding_get(b);			/* the bind job's reference */
	b->bind_counted = vm->queue ||
			  (b->job && atomic_load(&b->job->aw.pending) > 1);
	if (b->bind_counted)
		vm_work_begin(vm);
	/* Deferred: the job waits, or a queue backend has its batch (which
	 * may have written anything if it failed: the waiting path unbinds). */
	if (b->job) {
		deferred = !await_commit(&b->job->aw) || b->submitted;
	} else {
		binding_bind_now(b, op->dep_error);
		deferred = false;
	}
	vm->st.binds++;
	vm->st.bound++;
	vm->st.binds_deferred += deferred;
	return deferred;
}

/*
 * A synchronous bind failed after it was committed: leave the vma unbound.
 * Entries it may have left (a failed clean-up) keep the range and the pages
 * in quarantine.
 */
static void bind_undo_inline(struct bind_op *op)
{
	struct gtt_vm *vm = op->vm;
	struct gtt_binding *b = op->b;

	/* Its entries may remain: the journal must say where. */
	if (b->stale)
		JOURNAL(vm, bind_undone, op->h, b);
	op->v->binding = NULL;
	evict_lru_remove(vm, op->v);
	vm->st.binds--;
	vm->st.bound--;
	if (b->stale) {
		tree_write_begin(vm);
		__atomic_store_n(&op->node->owner, NULL, __ATOMIC_RELEASE);
		tree_write_end(vm);
		b->qnode = op->node;
		quarantine_add_locked(vm, b);	/* takes the vma's reference */
	} else {
		bind_unplace(op);
		binding_put(b);
	}
	op->b = NULL;
	op->node = NULL;
}

/* @here: the failure happened in this thread, so the backend's own
 * message is still gtt_last_error(). */
static void bind_error_message(struct bind_op *op, int err, bool here)
{
	if (op->b->backend_failed && here) {
		char why[160];

		snprintf(why, sizeof(why), "%s", gtt_last_error());
		set_error(err, "gtt_vma_bind: backend '%s' failed to write the PTEs: %s",
			  gtt_backend_name(op->vm->be), why);
	} else if (op->b->backend_failed) {
		set_error(err, "gtt_vma_bind: backend '%s' failed to write the PTEs (%s)",
			  gtt_backend_name(op->vm->be), gtt_strerror(err));
	} else {
		set_error(err, "gtt_vma_bind: a dependency failed (%s)",
			  gtt_strerror(err));
	}
}

/* Everything under the vm lock.  On error nothing has changed. */
static int bind_locked(struct bind_op *op, struct gtt_fence **fence,
		       bool *deferred)
{
	struct gtt_vm *vm = op->vm;
	const struct gtt_bind_info *info = op->info;
	bool async = info->flags & GTT_BIND_ASYNC;
	int err;

	err = bind_lookup(op);
	if (err)
		return err;
	op->b = binding_create(vm, op->v->pages, 0, op->size, info->pte_flags,
			       (vm->queue ? BINDING_INLINE_UNBIND | BINDING_INLINE_JOB : 0) |
			       (op->v->sparse ? BINDING_INLINE_SPARSE : 0) |
			       BINDING_INLINE_NODE);
	if (!op->b)
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory");
	op->b->pages_offset = info->pages_offset;
	op->b->region = op->v->sparse;
	err = bind_place(op);
	if (err)
		goto fail;
	binding_place(op->b, op->node->start);
	err = bind_deps(op, fence || async);
	if (err)
		goto fail;
	*deferred = bind_commit(op);
	if (!*deferred && op->b->bind_error && !async) {
		err = op->b->bind_error;
		bind_error_message(op, err, true);
		bind_undo_inline(op);
		return err;
	}
	/* Placed again: a failed call above left its eviction record, and one
	 * that fails after its wait gets it back (gtt_vma_bind()). */
	if (*deferred && !async) {
		op->old_last_unbind = op->v->last_unbind;
		op->old_evicted = op->v->evicted;
	} else {
		gtt_fence_put(op->v->last_unbind);
	}
	op->v->evicted = false;
	op->v->last_unbind = NULL;
	if (fence)
		*fence = gtt_fence_get(op->b->bind_fence);
	return 0;
fail:
	/* The node lives in the binding: out of the allocator first. */
	if (op->placed)
		bind_unplace(op);
	op->node = NULL;
	binding_bind_drop(op->b);
	binding_put(op->b);
	op->b = NULL;
	return err;
}

GTT_API int gtt_vma_bind(struct gtt_vm *vm, gtt_vma_t h,
			 const struct gtt_bind_info *info,
			 struct gtt_fence **fence)
{
	struct bind_op op;
	struct gtt_fence *bf;
	bool deferred = false;
	int err;

	if (!vm)
		return set_error(-EINVAL, "gtt_vma_bind: vm is NULL");
	if (!info)
		info = &default_bind_info;
	err = check_bind_info(vm, info);
	if (err)
		return err;

	pthread_mutex_lock(&vm->lock);
	for (;;) {
		op = (struct bind_op){ .vm = vm, .info = info, .h = h };
		vm_retire_locked(vm);
		err = bind_locked(&op, fence, &deferred);
		if (!op.wait_for)
			break;
		/* Out of memory for a dependency record (synchronous binds
		 * only): wait for it without the lock, then try again. */
		if (info->flags & GTT_BIND_ASYNC) {
			gtt_fence_put(op.wait_for);
			break;
		}
		vm_wait_unlocked(vm, op.wait_for);
	}
	TRACE(vm, bind(vm, h, info, err, op.b));
	if (!err) JOURNAL(vm, bind, h, op.b);
	if (err || !deferred || (info->flags & GTT_BIND_ASYNC)) {
		pthread_mutex_unlock(&vm->lock);
		return err;
	}
	bf = gtt_fence_get(op.b->bind_fence);	/* for the wait below */
	binding_get(op.b);	/* read after the wait, compared under the lock */
	pthread_mutex_unlock(&vm->lock);

	executor_wait_fence(vm->ex, bf);
	err = gtt_fence_status(bf);
	gtt_fence_put(bf);
	if (err >= 0) {
		gtt_fence_put(op.old_last_unbind);
		binding_put(op.b);
		return 0;
	}
	if (fence) {
		gtt_fence_put(*fence);
		*fence = NULL;
	}
	/* Leave it unbound (its PTEs hold scratch, or a clear retries them). */
	pthread_mutex_lock(&vm->lock);
	op.v = vma_lookup(vm, h);
	if (op.v && op.v->binding == op.b && !op.v->pin_count) {
		struct gtt_fence *uf = NULL;

		if (!unbind_locked(vm, h, &op.v, true, &uf)) {
			/* As if it had never been placed. */
			if (op.v && !op.v->binding) {
				gtt_fence_put(op.v->last_unbind);
				op.v->last_unbind = op.old_last_unbind;
				op.v->evicted = op.old_evicted;
				op.old_last_unbind = NULL;
			}
			pthread_mutex_unlock(&vm->lock);
			executor_wait_fence(vm->ex, uf);
			gtt_fence_put(uf);
			pthread_mutex_lock(&vm->lock);
		}
	}
	gtt_fence_put(op.old_last_unbind);
	bind_error_message(&op, err, false);
	binding_put(op.b);
	pthread_mutex_unlock(&vm->lock);
	return err;
}
