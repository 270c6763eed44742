/* SPDX-License-Identifier: MIT */
/*
 * Unbind: the decisions taken under the vm lock.  unbind_prepare() takes
 * everything an unbind can need (dependency records, a resv slot) and may
 * fail with nothing changed; unbind_commit() cannot fail: it frees the
 * range (or keeps it for a clear run right here), puts the binding in the
 * pending tree when its clear must wait, and starts the unbind job
 * (binding.c).  unbind_locked() loops on the two, waiting for memory when
 * the caller may block; eviction (evict.c) uses the two steps directly.
 *
 * Locking: everything here runs under vm->lock, except the waits, which
 * drop it.
 */
#include <inttypes.h>

#include "sync/resv_internal.h"
#include "vm_internal.h"

static unsigned int unsignalled_deps(const struct vma *v)
{
	const struct gtt_binding *b = v->binding;
	unsigned int n = b->bind_fence && !gtt_fence_is_signaled(b->bind_fence);

	n += active_unsignalled(&v->active) + active_unsignalled(&b->vm->active);
	return n + map_pending_writes(v, NULL);
}

/* A fence an unbind of @v waits for (a reference), or NULL. */
static struct gtt_fence *first_unsignalled(const struct vma *v)
{
	struct gtt_fence *f;
	const struct gtt_binding *b = v->binding;

	if (b->bind_fence && !gtt_fence_is_signaled(b->bind_fence))
		return gtt_fence_get(b->bind_fence);
	if ((f = active_first_unsignalled(&v->active)) ||
	    (f = active_first_unsignalled(&b->vm->active)))
		return f;
	if (map_pending_writes(v, &f))
		return f;
	return NULL;
}

/*
 * Take everything the unbind of @v can need (its unbind state and
 * dependency records, unless it has nothing to wait for, and a resv slot),
 * so that unbind_commit() cannot fail.  Fences only ever signal, so what
 * has nothing to wait for here has nothing at commit either.  @slotless:
 * the caller waits for the unbind fence before it returns, so a resv slot
 * that cannot be had may be gone without.  Return: 0, or -ENOMEM with
 * nothing changed.
 */
int unbind_prepare(struct gtt_vm *vm, struct vma *v, bool slotless)
{
	struct gtt_binding *b = v->binding;
	unsigned int n = unsignalled_deps(v);

	if ((n || b->un) &&
	    (binding_unbind_init(b) || await_reserve(&b->un->aw, n))) {
		binding_unbind_drop(b);
		return set_error(-ENOMEM, "gtt_vma_unbind: out of memory for the dependencies of vma 0x%" PRIx64 " in vm '%s'",
				 v->handle, vm->name);
	}
	b->no_resv_slot = false;
	if (v->resv && resv_reserve(v->resv)) {
		/* A clear with nothing to wait for and no holder runs under
		 * this lock, and its fence signals before anyone can look at
		 * the resv: it would only get a signalled fence.  So such an
		 * unbind (the one a synchronous call ends up with after
		 * waiting) goes without, and never fails for lack of memory;
		 * so does one whose caller waits for its fence (@slotless). */
		if (slotless ||
		    (!n && !b->un && !vm->queue && atomic_load(&b->holds) == 1)) {
			b->no_resv_slot = true;
			return 0;
		}
		binding_unbind_drop(b);
		return set_error(-ENOMEM, "gtt_vma_unbind: out of memory reserving a resv slot");
	}
	return 0;
}

void unbind_abort(struct vma *v)
{
	binding_unbind_drop(v->binding);
	if (v->resv && !v->binding->no_resv_slot)
		resv_unreserve(v->resv, 1);
}

/*
 * Start the prepared unbind of @v (the vm lock is held).  The vma is unbound,
 * its range is free (or quarantined, if a clear run here failed), and
 * *@fence (if asked for) holds the unbind fence.
 */
void unbind_commit(struct gtt_vm *vm, struct vma *v,
		   struct gtt_fence **fence, bool evicted)
{
	struct gtt_binding *b = v->binding;
	/* No await: everything it would wait for has signalled. */
	struct await *aw = b->un ? &b->un->aw : NULL;
	struct gtt_range_node *node = binding_node(b);
	bool immediate;

	JOURNAL(vm, unbind, v, evicted);
	if (aw && b->bind_fence)
		await_add(aw, b->bind_fence);
	if (aw) {
		active_await(&v->active, aw);
		active_await(&vm->active, aw);
	}
	vma_drop_active(v);
	/* A sparse vma's clear covers its pieces: after their writes, and
	 * their pages go only when it completes. */
	map_hand_over(v, b);

	/* The range is reusable from here; the tree orders its next user.
	 * An unbind that runs right here keeps its node until its clear has
	 * run, so that a failed clear can keep the range (quarantine) — but
	 * not an eviction, whose range the bind that evicts is waiting for
	 * (its PTE write replaces what a failed clear left).  A queue
	 * backend's clear always completes later. */
	immediate = !vm->queue && (!aw || atomic_load(&aw->pending) == 1);
	tree_write_begin(vm);
	if (!immediate)
		gtt_range_remove(vm->ra, node);
	v->binding = NULL;
	evict_lru_remove(vm, v);
	vm->st.bound--;
	vm->st.unbinds++;

	/* Holders cannot appear any more (the vma no longer points at b). */
	b->unbind_counted = !immediate || atomic_load(&b->holds) > 1;
	if (b->unbind_counted)
		vm_work_begin(vm);
	if (!immediate) {
		binding_get(b);			/* the tree's reference */
		b->rcu_free = vm->rcu;		/* readers can reach it now */
		range_fence_insert(&vm->pending, &b->un->pending, b->start,
				   b->start + b->size - 1, &b->unbind_fence);
		vm->st.unbinds_deferred++;
	} else {
		vm->st.unbinds_immediate++;
	}
	tree_write_end(vm);
	if (v->resv && !b->no_resv_slot)
		resv_add_reserved(v->resv, &b->unbind_fence, GTT_RESV_BOOKKEEP);
	if (fence) {
		binding_get(b);
		*fence = &b->unbind_fence;
	}
	/* Kept for the owner of an evicted vma only: the caller of an unbind
	 * has its fence, and a kept fence keeps the whole binding alive. */
	gtt_fence_put(v->last_unbind);
	v->last_unbind = evicted ? gtt_fence_get(&b->unbind_fence) : NULL;
	v->evicted = evicted;
	/* The vma's reference on b now belongs to the unbind, which may
	 * complete it right here: look at it through one of our own. */
	binding_get(b);
	if (aw)
		await_commit(aw);
	else
		binding_unbind_now(b);
	if (immediate) {
		tree_write_begin(vm);
		if (b->stale && !evicted) {
			__atomic_store_n(&node->owner, NULL, __ATOMIC_RELEASE);
			b->qnode = node;
		} else {
			gtt_range_remove(vm->ra, node);
		}
		tree_write_end(vm);
	}
	binding_put(b);
}

/*
 * Unbind @v (vm lock held).  When memory for its records runs out and
 * @may_wait, wait (with the lock dropped) for one fence it depends on and
 * try again: the record is then not needed.  With nothing left to wait
 * for, what is missing is the resv slot (a holder, or a queue backend,
 * keeps the fence from signalling here): a caller that may wait also
 * waits for the unbind fence, and goes without it.  While the lock is
 * dropped the vma may change: the call goes on only if it still holds the
 * same binding and no pin; otherwise -ENOENT (*@vp NULL if the vma went
 * away) or -EAGAIN.
 */
int unbind_locked(struct gtt_vm *vm, gtt_vma_t h, struct vma **vp,
		  bool may_wait, struct gtt_fence **fence)
{
	bool slotless = false;

	for (;;) {
		struct vma *v = *vp;
		struct gtt_binding *b = v->binding;
		struct gtt_fence *f;
		int err = unbind_prepare(vm, v, slotless);

		if (!err) {
			unbind_commit(vm, v, fence, false);
			return 0;
		}
		f = may_wait ? first_unsignalled(v) : NULL;
		if (!f && may_wait && !slotless) {
			slotless = true;
			continue;
		}
		if (!f)
			return err;
		binding_get(b);		/* to recognise it, not to use it */
		vm_wait_unlocked(vm, f);
		vm_retire_locked(vm);
		*vp = vma_lookup(vm, h);
		err = !*vp || (*vp)->binding != b ?
		      set_error(-ENOENT, "gtt_vma_unbind: vma 0x%" PRIx64 " was unbound meanwhile", h) :
		      (*vp)->pin_count ?
		      set_error(-EAGAIN, "gtt_vma_unbind: vma 0x%" PRIx64 " was pinned meanwhile", h) : 0;
		binding_put(b);
		if (err)
			return err;
	}
}

static int lock_vm(struct gtt_vm *vm, bool trylock)
{
	if (!trylock) {
		pthread_mutex_lock(&vm->lock);
		return 0;
	}
	if (pthread_mutex_trylock(&vm->lock))
		return set_error(-EBUSY, "gtt_vma_unbind: vm '%s' is locked (trylock)", vm->name);
	return 0;
}

GTT_API int gtt_vma_unbind(struct gtt_vm *vm, gtt_vma_t h, unsigned int flags,
			   struct gtt_fence **fence)
{
	const unsigned int known = GTT_UNBIND_ASYNC | GTT_UNBIND_TRYLOCK;
	struct gtt_fence *f = NULL;
	struct vma *v;
	bool sync;
	int err;

	if (!vm)
		return set_error(-EINVAL, "gtt_vma_unbind: vm is NULL");
	if (flags & ~known)
		return set_error(-EINVAL, "gtt_vma_unbind: unknown flags 0x%x", flags);
	err = lock_vm(vm, flags & GTT_UNBIND_TRYLOCK);
	if (err)
		return err;
	vm_retire_locked(vm);
	v = vma_lookup(vm, h);
	if (!v)
		err = set_error(-ENOENT, "gtt_vma_unbind: unknown vma handle 0x%" PRIx64, h);
	else if (!v->binding)
		err = set_error(-ENOENT, "gtt_vma_unbind: vma 0x%" PRIx64 " is not bound%s", h,
				v->evicted ? " (it was evicted: gtt_vma_last_unbind() gives that unbind's fence)" : "");
	else if (v->pin_count)
		err = set_error(-EAGAIN, "gtt_vma_unbind: vma 0x%" PRIx64 " is pinned (%u)", h, v->pin_count);
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		return err;
	}
	/* Async unbind needs pages the binding can keep alive. */
	sync = !(flags & GTT_UNBIND_ASYNC) ||
	       (gtt_pages_flags(v->pages) & GTT_PAGES_BORROWED) ||
	       map_has_borrowed(v);
	/* Only a call that may block waits for memory (rule 7). */
	err = unbind_locked(vm, h, &v, !(flags & (GTT_UNBIND_ASYNC | GTT_UNBIND_TRYLOCK)), &f);
	TRACE(vm, unbind(vm, h, flags, err, f));
	pthread_mutex_unlock(&vm->lock);
	if (err)
		return err;
	if (sync) {
		executor_wait_fence(vm->ex, f);
		err = gtt_fence_status(f);
		if (err < 0 && binding_unbind_why(f))
			set_error(err, "gtt_vma_unbind: backend '%s' refused the unbind: %s; the pages stay referenced until the range is clear",
				  gtt_backend_name(vm->be), binding_unbind_why(f));
		else if (err < 0)
			set_error(err, "gtt_vma_unbind: the PTE clear failed (%s); the pages stay referenced until the range is clear",
				  gtt_strerror(err));
		else
			err = 0;
	}
	if (fence)
		*fence = f;
	else
		gtt_fence_put(f);
	return err;
}
