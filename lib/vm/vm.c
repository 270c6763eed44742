/* SPDX-License-Identifier: MIT */
/*
 * Address spaces and vmas: see gtt/vm.h for the rules; binding.c for what
 * happens to a placement after the decisions taken here.
 *
 * Locking.  vm->lock serialises the allocator, the pending-unbind tree, the
 * vma table and every vma's fields.  It is held while a bind or unbind
 * decides; inline work (an unbind with nothing pending, a bind with no
 * dependency) runs under it, which is what keeps a range from being reused
 * before its PTEs are settled.  Waiting for fences happens after unlocking.
 * Deferred jobs never take vm->lock (see binding.c).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "sync/resv_internal.h"
#include "vm_internal.h"

#define SLOT_GROWTH 64

/*
 * Handle layout: [63:48] vm tag | [47:28] slot generation | [27:0] slot + 1.
 * The tag makes a handle of one vm unknown to the others; the generation
 * makes a destroyed handle unknown until its slot was reused 2^20 times.
 */
#define H_IDX_BITS 28
#define H_GEN_BITS 20
#define H_GEN_MASK ((1u << H_GEN_BITS) - 1)
#define H_MAX_SLOTS ((1u << H_IDX_BITS) - 2)

static _Atomic uint32_t next_vm_tag = 1;

static gtt_vma_t make_handle(const struct gtt_vm *vm, uint32_t idx)
{
	return ((uint64_t)vm->tag << 48) | ((uint64_t)vm->gens[idx] << H_IDX_BITS) |
	       (idx + 1);
}

static const struct gtt_bind_info default_bind_info;

/* ---- vma handles ---- */

/* Slot number + 1 of a handle (0 is never valid). */
static inline uint32_t handle_idx(gtt_vma_t h)
{
	return (uint32_t)(h & ((1u << H_IDX_BITS) - 1));
}

static struct vma *vma_lookup(struct gtt_vm *vm, gtt_vma_t h)
{
	uint32_t idx = handle_idx(h);
	uint32_t gen = (uint32_t)(h >> H_IDX_BITS) & H_GEN_MASK;

	if ((h >> 48) != vm->tag || !idx || idx > vm->nslots ||
	    vm->gens[idx - 1] != gen)
		return NULL;
	return vm->slots[idx - 1];
}

static int vma_slot_alloc(struct gtt_vm *vm, uint32_t *idx)
{
	if (!vm->nfree) {
		uint32_t n = vm->nslots + SLOT_GROWTH;
		struct vma **slots;
		uint32_t *gens, *free_idx;

		if (n > H_MAX_SLOTS)
			return -ENOSPC;
		slots = mem_realloc(vm->slots, n * sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		vm->slots = slots;
		gens = mem_realloc(vm->gens, n * sizeof(*gens));
		if (!gens)
			return -ENOMEM;
		vm->gens = gens;
		free_idx = mem_realloc(vm->free_idx, n * sizeof(*free_idx));
		if (!free_idx)
			return -ENOMEM;
		vm->free_idx = free_idx;
		for (uint32_t i = n; i-- > vm->nslots;) {
			vm->slots[i] = NULL;
			vm->gens[i] = 1;
			vm->free_idx[vm->nfree++] = i;
		}
		vm->nslots = n;
	}
	*idx = vm->free_idx[--vm->nfree];
	return 0;
}

static void vma_slot_free(struct gtt_vm *vm, struct vma *v)
{
	uint32_t idx = handle_idx(v->handle) - 1;

	vm->slots[idx] = NULL;
	vm->gens[idx] = (vm->gens[idx] + 1) & H_GEN_MASK;
	if (!vm->gens[idx])
		vm->gens[idx] = 1;
	vm->free_idx[vm->nfree++] = idx;
}

static void vma_drop_active(struct vma *v)
{
	for (unsigned int i = 0; i < v->n_active; i++)
		gtt_fence_put(v->active[i]);
	v->n_active = 0;
}

static void vma_free_rcu(struct rcu_head *head)
{
	RCU_CALLBACK_BEGIN(head);
	mem_free(container_of(head, struct vma, rcu));
}

static void range_node_free_rcu(struct rcu_head *head)
{
	RCU_CALLBACK_BEGIN(head);
	mem_free(container_of(head, struct gtt_range_node, rcu));
}

static void range_node_free(struct gtt_range_node *node)
{
	rcu_defer(&node->rcu, range_node_free_rcu);
}

static void vma_free(struct gtt_vm *vm, struct vma *v)
{
	vma_slot_free(vm, v);
	vma_drop_active(v);
	gtt_fence_put(v->last_unbind);
	mem_free(v->active);
	gtt_pages_put(v->pages);
	if (vm->rcu)	/* a reader may have reached it through a node */
		rcu_defer(&v->rcu, vma_free_rcu);
	else
		mem_free(v);
	vm->st.vmas--;
}

/* ---- vm ---- */

GTT_API int gtt_vm_create(const struct gtt_vm_config *cfg, struct gtt_vm **out)
{
	struct gtt_vm *vm;
	uint64_t page;
	int err;

	if (!cfg || !out || !cfg->backend)
		return set_error(-EINVAL, "gtt_vm_create: config, backend or out is NULL");
	if (cfg->flags & ~(unsigned int)(GTT_VM_COLOR_GUARD | GTT_VM_RCU_READERS))
		return set_error(-EINVAL, "gtt_vm_create: unknown flags 0x%x", cfg->flags);
	page = cfg->page_size ? cfg->page_size : 4096;
	vm = mem_zalloc(sizeof(*vm));
	if (!vm)
		return set_error(-ENOMEM, "gtt_vm_create: out of memory");
	err = gtt_range_alloc_create(cfg->start, cfg->size, page,
				     cfg->flags & GTT_VM_COLOR_GUARD ?
				     GTT_RANGE_COLOR_GUARD : 0, &vm->ra);
	if (err) {
		mem_free(vm);
		return err;	/* message set by the allocator */
	}
	snprintf(vm->name, sizeof(vm->name), "%s", cfg->name ? cfg->name : "vm");
	vm->tag = (uint16_t)atomic_fetch_add(&next_vm_tag, 1);
	if (!vm->tag)
		vm->tag = (uint16_t)atomic_fetch_add(&next_vm_tag, 1);
	vm->start = cfg->start;
	vm->end = cfg->start + cfg->size;
	vm->page_size = page;
	vm->flags = cfg->flags;
	vm->be = cfg->backend;
	vm->ex = cfg->executor;
	vm->rcu = cfg->flags & GTT_VM_RCU_READERS;
	if (vm->rcu)
		vm->ra->free_node = range_node_free;
	itree_init(&vm->pending);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->idle_lock, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&vm->idle_cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	*out = vm;
	return 0;
}

GTT_API void gtt_vm_close(struct gtt_vm *vm)
{
	if (vm)
		atomic_store_explicit(&vm->closed, 1, memory_order_release);
}

GTT_API bool gtt_vm_is_closed(const struct gtt_vm *vm)
{
	return vm && vm_is_closed(vm);
}

/* ---- unbind: prepare (may fail, changes nothing), then commit ---- */

static unsigned int unsignalled_deps(const struct vma *v)
{
	const struct gtt_binding *b = v->binding;
	unsigned int n = b->bind_fence && !gtt_fence_is_signaled(b->bind_fence);

	for (unsigned int i = 0; i < v->n_active; i++)
		n += !gtt_fence_is_signaled(v->active[i]);
	return n;
}

/* A fence an unbind of @v waits for (a reference), or NULL. */
static struct gtt_fence *first_unsignalled(const struct vma *v)
{
	const struct gtt_binding *b = v->binding;

	if (b->bind_fence && !gtt_fence_is_signaled(b->bind_fence))
		return gtt_fence_get(b->bind_fence);
	for (unsigned int i = 0; i < v->n_active; i++)
		if (!gtt_fence_is_signaled(v->active[i]))
			return gtt_fence_get(v->active[i]);
	return NULL;
}

/*
 * Take everything the unbind of @v can need (its dependency records and a
 * resv slot), so that unbind_commit() cannot fail.  Return: 0, or -ENOMEM
 * with nothing changed.
 */
static int unbind_prepare(struct gtt_vm *vm, struct vma *v)
{
	struct gtt_binding *b = v->binding;

	binding_unbind_init(b);
	if (await_reserve(&b->unbind_await, unsignalled_deps(v))) {
		await_cancel(&b->unbind_await);
		return set_error(-ENOMEM, "gtt_vma_unbind: out of memory for the dependencies of vma 0x%" PRIx64 " in vm '%s'",
				 v->handle, vm->name);
	}
	if (v->resv && resv_reserve(v->resv)) {
		await_cancel(&b->unbind_await);
		return set_error(-ENOMEM, "gtt_vma_unbind: out of memory reserving a resv slot");
	}
	return 0;
}

static void unbind_abort(struct vma *v)
{
	await_cancel(&v->binding->unbind_await);
	if (v->resv)
		resv_unreserve(v->resv, 1);
}

/*
 * Start the prepared unbind of @v (the vm lock is held).  The vma is unbound,
 * its range is free (or quarantined, if a clear run here failed), and
 * *@fence (if asked for) holds the unbind fence.
 */
static void unbind_commit(struct gtt_vm *vm, struct vma *v,
			  struct gtt_fence **fence, bool evicted)
{
	struct gtt_binding *b = v->binding;
	struct await *aw = &b->unbind_await;
	struct gtt_range_node *node = v->node;
	bool immediate;

	if (b->bind_fence)
		await_add(aw, b->bind_fence);
	for (unsigned int i = 0; i < v->n_active; i++)
		await_add(aw, v->active[i]);
	vma_drop_active(v);

	/* The range is reusable from here; the tree orders its next user.
	 * An unbind that runs right here keeps its node until its clear has
	 * run, so that a failed clear can keep the range (quarantine). */
	immediate = atomic_load(&aw->pending) == 1;
	tree_write_begin(vm);
	if (!immediate)
		gtt_range_remove(vm->ra, node);
	v->node = NULL;
	v->binding = NULL;
	vm->st.bound--;
	vm->st.unbinds++;

	/* Holders cannot appear any more (the vma no longer points at b). */
	b->unbind_counted = !immediate || atomic_load(&b->holds) > 1;
	if (b->unbind_counted)
		vm_work_begin(vm);
	if (!immediate) {
		binding_get(b);			/* the tree's reference */
		b->in_tree = true;
		b->rcu_free = vm->rcu;		/* readers can reach it now */
		itree_insert(&vm->pending, &b->pending);
		vm->st.unbinds_deferred++;
	} else {
		vm->st.unbinds_immediate++;
	}
	tree_write_end(vm);
	if (v->resv)
		resv_add_reserved(v->resv, &b->unbind_fence, GTT_RESV_BOOKKEEP);
	if (fence) {
		binding_get(b);
		*fence = &b->unbind_fence;
	}
	gtt_fence_put(v->last_unbind);
	v->last_unbind = gtt_fence_get(&b->unbind_fence);
	v->evicted = evicted;
	/* The vma's reference on b now belongs to the unbind. */
	await_commit(aw);
	if (immediate) {
		tree_write_begin(vm);
		if (b->stale) {
			__atomic_store_n(&node->owner, NULL, __ATOMIC_RELEASE);
			b->qnode = node;
		} else {
			gtt_range_remove(vm->ra, node);
		}
		tree_write_end(vm);
	}
}

/*
 * Unbind @v (vm lock held).  When memory for its records runs out and
 * @may_wait, wait (with the lock dropped) for one fence it depends on and
 * try again: the record is then not needed.  *@vp is looked up again after
 * each wait (NULL if the vma went away meanwhile).
 */
static int unbind_locked(struct gtt_vm *vm, gtt_vma_t h, struct vma **vp,
			 bool may_wait, struct gtt_fence **fence)
{
	for (;;) {
		struct vma *v = *vp;
		struct gtt_fence *f;
		int err = unbind_prepare(vm, v);

		if (!err) {
			unbind_commit(vm, v, fence, false);
			return 0;
		}
		f = may_wait ? first_unsignalled(v) : NULL;
		if (!f)
			return err;
		vm->st.oom_sync_waits++;
		pthread_mutex_unlock(&vm->lock);
		executor_wait_fence(vm->ex, f);
		gtt_fence_put(f);
		pthread_mutex_lock(&vm->lock);
		vm_retire_locked(vm);
		*vp = vma_lookup(vm, h);
		if (!*vp || !(*vp)->binding)
			return set_error(-ENOENT, "gtt_vma_unbind: vma 0x%" PRIx64 " was unbound meanwhile", h);
	}
}

/* ---- eviction ---- */

static bool vma_evictable(void *arg, struct gtt_range_node *node)
{
	struct vma *v = node->owner;

	(void)arg;
	/* Borrowed pages cannot outlive the call that unbinds them (rule 5),
	 * and an eviction is asynchronous: such vmas are never victims. */
	return v && v->binding && !v->pin_count &&
	       !(gtt_pages_flags(v->pages) & GTT_PAGES_BORROWED);
}

static uint64_t node_end(const struct gtt_range_alloc *ra,
			 const struct gtt_range_node *n, bool after)
{
	if (n == &ra->head)
		return after ? ra->end : ra->start;
	return after ? n->start : n->start + n->size;
}

/* Pending unbinds in [lo, hi], signalled or not (an upper bound). */
static unsigned int pending_in(struct gtt_vm *vm, uint64_t lo, uint64_t hi)
{
	unsigned int n = 0;

	for (struct itree_node *it = itree_first(&vm->pending, lo, hi); it;
	     it = itree_next(it, lo, hi))
		n++;
	return n;
}

static void overlap_window(const struct gtt_vm *vm, uint64_t start,
			   uint64_t size, uint64_t *lo, uint64_t *hi);

/*
 * Unbind (async) the fewest unpinned vmas that open a hole for @req, with
 * everything the bind @b will need afterwards taken first: nothing is
 * evicted unless the bind can then complete.  Return: 0, -ENOSPC, -ENOMEM
 * (nothing changed).
 */
static int evict_for(struct gtt_vm *vm, const struct gtt_range_request *req,
		     struct gtt_binding *b, size_t num_deps)
{
	struct gtt_range_node **victims;
	uint64_t lo, hi;
	size_t n, i;
	int err;

	err = gtt_range_evict_scan(vm->ra, req, vma_evictable, NULL, NULL, 0, &n);
	if (err)
		return err;
	victims = mem_alloc((n ? n : 1) * sizeof(*victims));
	if (!victims)
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for eviction");
	err = gtt_range_evict_scan(vm->ra, req, vma_evictable, NULL, victims,
				   n, &n);
	if (err || !n)
		goto out;
	/* The hole the victims open, and the unbinds a bind there may await:
	 * those pending now and the victims themselves. */
	overlap_window(vm, node_end(vm->ra, victims[0]->prev, false),
		       node_end(vm->ra, victims[n - 1]->next, true) -
		       node_end(vm->ra, victims[0]->prev, false), &lo, &hi);
	if (!b->bind_fence && gtt_fence_create(0, 0, &b->bind_fence)) {
		err = -ENOMEM;
		goto out;
	}
	if (await_reserve(&b->bind_await, num_deps + pending_in(vm, lo, hi) + n)) {
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
		unbind_commit(vm, victims[i]->owner, NULL, true);
		vm->st.evictions++;
	}
out:
	mem_free(victims);
	return err;
}

/* ---- bind ---- */

static bool any_unsignalled(struct gtt_fence *const *fs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!gtt_fence_is_signaled(fs[i]))
			return true;
	return false;
}

/* The window a bind into [start, start + size) must order after: the
 * range itself, widened by a page each side under colour guards. */
static void overlap_window(const struct gtt_vm *vm, uint64_t start,
			   uint64_t size, uint64_t *lo, uint64_t *hi)
{
	*lo = start;
	*hi = start + size - 1;
	if (vm->flags & GTT_VM_COLOR_GUARD) {
		*lo = start >= vm->page_size ? start - vm->page_size : 0;
		*hi = *hi <= UINT64_MAX - vm->page_size ? *hi + vm->page_size
							: UINT64_MAX;
	}
}

static int check_bind_info(const struct gtt_vm *vm,
			   const struct gtt_bind_info *info)
{
	const unsigned int known = GTT_BIND_ASYNC | GTT_BIND_FIXED | GTT_BIND_EVICT;
	uint64_t align = u64_max(info->alignment, vm->page_size);

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
	if (info->size % vm->page_size)
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
	struct gtt_binding *b;
	struct gtt_range_node *node;	/* placed once b->start is set */
	bool placed;
	struct gtt_fence *wait_for;	/* out of memory: wait, then retry */
};

/* The vma, and the size to map (vm lock held). */
static int bind_lookup(struct bind_op *op)
{
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
	op->size = info->size ? info->size : gtt_pages_size(v->pages);
	if (op->size > gtt_pages_size(v->pages) || !op->size ||
	    op->size % vm->page_size)
		return set_error(-EINVAL, "gtt_vma_bind: size 0x%" PRIx64 " exceeds the pages (0x%" PRIx64 ") or is not page-aligned",
				 op->size, gtt_pages_size(v->pages));
	if ((info->flags & GTT_BIND_FIXED) &&
	    (info->offset > UINT64_MAX - op->size ||
	     (info->range_end && info->offset + op->size > info->range_end)))
		return set_error(-EINVAL, "gtt_vma_bind: fixed range [0x%" PRIx64 ", +0x%" PRIx64 ") wraps or passes range_end 0x%" PRIx64,
				 info->offset, op->size, info->range_end);
	return 0;
}

/* Find the range (evicting if asked), into op->node. */
static int bind_place(struct bind_op *op)
{
	struct gtt_vm *vm = op->vm;
	const struct gtt_bind_info *info = op->info;
	bool fixed = info->flags & GTT_BIND_FIXED;
	struct gtt_range_request req = {
		.size = op->size,
		.alignment = info->alignment,
		.color = info->color,
		.range_start = fixed ? info->offset : info->range_start,
		.range_end = fixed ? info->offset + op->size : info->range_end,
		.placement = fixed ? GTT_PLACE_LOW : info->placement,
	};
	int err;

	tree_write_begin(vm);
	for (int pass = 0;; pass++) {
		err = fixed ? range_reserve_node(vm->ra, info->offset, op->size,
						 info->color, op->v, op->node) :
			      range_insert_node(vm->ra, &req, op->v, op->node);
		if (err != -ENOSPC || pass || !(info->flags & GTT_BIND_EVICT))
			break;
		err = evict_for(vm, &req, op->b, info->num_deps);
		if (err)
			break;
	}
	tree_write_end(vm);
	op->placed = !err;
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
	struct itree_node *it, *first = NULL;
	unsigned int npending = 0;
	uint64_t lo, hi;

	overlap_window(vm, b->start, b->size, &lo, &hi);
	for (it = itree_first(&vm->pending, lo, hi); it; it = itree_next(it, lo, hi)) {
		if (gtt_fence_is_signaled(&container_of(it, struct gtt_binding, pending)->unbind_fence))
			continue;
		if (!npending++)
			first = it;
	}
	if (!b->bind_fence && (want_fence || npending ||
			       any_unsignalled(info->deps, info->num_deps)) &&
	    gtt_fence_create(0, 0, &b->bind_fence))
		return -ENOMEM;
	if (await_reserve(&b->bind_await, info->num_deps + npending)) {
		for (size_t i = 0; i < info->num_deps && !op->wait_for; i++)
			if (!gtt_fence_is_signaled(info->deps[i]))
				op->wait_for = gtt_fence_get(info->deps[i]);
		if (!op->wait_for && first)
			op->wait_for = gtt_fence_get(&container_of(first, struct gtt_binding, pending)->unbind_fence);
		return set_error(-ENOMEM, "gtt_vma_bind: out of memory for %u dependencies",
				 (unsigned int)(info->num_deps + npending));
	}
	for (size_t i = 0; i < info->num_deps; i++)
		await_add(&b->bind_await, info->deps[i]);
	if (npending) {
		vm->st.bind_waits_on_unbind++;
		for (it = first; it; it = itree_next(it, lo, hi))
			await_add_order(&b->bind_await,
					&container_of(it, struct gtt_binding, pending)->unbind_fence);
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
	op->v->node = op->node;
	op->v->evicted = false;
	binding_get(b);			/* the bind job's reference */
	b->bind_counted = atomic_load(&b->bind_await.pending) > 1;
	if (b->bind_counted)
		vm_work_begin(vm);
	deferred = !await_commit(&b->bind_await);
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

	op->v->binding = NULL;
	op->v->node = NULL;
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
	op->b = binding_create(vm, op->v->pages, 0, op->size, info->pte_flags);
	if (op->b)
		binding_bind_init(op->b);
	op->node = range_node_alloc();
	if (!op->b || !op->node) {
		err = set_error(-ENOMEM, "gtt_vma_bind: out of memory");
		goto fail;
	}
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
	if (fence)
		*fence = gtt_fence_get(op->b->bind_fence);
	return 0;
fail:
	if (op->b) {
		await_cancel(&op->b->bind_await);
		binding_put(op->b);
		op->b = NULL;
	}
	if (op->placed)
		bind_unplace(op);
	else if (op->node)
		range_node_free_unused(op->node);
	op->node = NULL;
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
		vm->st.oom_sync_waits++;
		pthread_mutex_unlock(&vm->lock);
		executor_wait_fence(vm->ex, op.wait_for);
		gtt_fence_put(op.wait_for);
		pthread_mutex_lock(&vm->lock);
	}
	if (err || !deferred || (info->flags & GTT_BIND_ASYNC)) {
		pthread_mutex_unlock(&vm->lock);
		return err;
	}
	bf = gtt_fence_get(op.b->bind_fence);	/* for the wait below */
	pthread_mutex_unlock(&vm->lock);

	executor_wait_fence(vm->ex, bf);
	err = gtt_fence_status(bf);
	gtt_fence_put(bf);
	if (err >= 0)
		return 0;
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
			pthread_mutex_unlock(&vm->lock);
			executor_wait_fence(vm->ex, uf);
			gtt_fence_put(uf);
			pthread_mutex_lock(&vm->lock);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	bind_error_message(&op, err, false);
	return err;
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
	       (gtt_pages_flags(v->pages) & GTT_PAGES_BORROWED);
	/* Only a call that may block waits for memory (rule 7). */
	err = unbind_locked(vm, h, &v, !(flags & (GTT_UNBIND_ASYNC | GTT_UNBIND_TRYLOCK)), &f);
	pthread_mutex_unlock(&vm->lock);
	if (err)
		return err;
	if (sync) {
		executor_wait_fence(vm->ex, f);
		err = gtt_fence_status(f);
		if (err < 0)
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

GTT_API int gtt_vma_create(struct gtt_vm *vm, struct gtt_pages *pages,
			   struct gtt_resv *resv, gtt_vma_t *out)
{
	struct vma *v;
	uint32_t idx;
	int err;

	if (!vm || !pages || !out)
		return set_error(-EINVAL, "gtt_vma_create: vm, pages or out is NULL");
	v = mem_zalloc(sizeof(*v));
	if (!v)
		return set_error(-ENOMEM, "gtt_vma_create: out of memory");
	pthread_mutex_lock(&vm->lock);
	err = vma_slot_alloc(vm, &idx);
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		mem_free(v);
		return set_error(err, "gtt_vma_create: cannot grow the vma table");
	}
	v->handle = make_handle(vm, idx);
	v->pages = gtt_pages_get(pages);
	v->resv = resv;
	vm->slots[idx] = v;
	vm->st.vmas++;
	*out = v->handle;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

GTT_API int gtt_vma_destroy(struct gtt_vm *vm, gtt_vma_t h)
{
	struct gtt_fence *f = NULL;
	struct vma *v;
	int err = 0;

	if (!vm)
		return set_error(-EINVAL, "gtt_vma_destroy: vm is NULL");
	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	v = vma_lookup(vm, h);
	if (!v)
		err = set_error(-ENOENT, "gtt_vma_destroy: unknown vma handle 0x%" PRIx64, h);
	else if (v->pin_count)
		err = set_error(-EAGAIN, "gtt_vma_destroy: vma 0x%" PRIx64 " is pinned", h);
	else if (v->binding)
		err = unbind_locked(vm, h, &v, true, &f);
	if (!err && v)
		vma_free(vm, v);
	pthread_mutex_unlock(&vm->lock);
	if (f) {
		executor_wait_fence(vm->ex, f);
		err = gtt_fence_status(f) < 0 ? gtt_fence_status(f) : 0;
		if (err)
			set_error(err, "gtt_vma_destroy: vma 0x%" PRIx64 " is destroyed, but its PTE clear failed (%s); the pages stay referenced until the range is clear",
				  h, gtt_strerror(err));
		gtt_fence_put(f);
	}
	return err;
}

static int with_bound_vma(struct gtt_vm *vm, gtt_vma_t h, const char *who,
			  struct vma **out)
{
	if (!vm)
		return set_error(-EINVAL, "%s: vm is NULL", who);
	pthread_mutex_lock(&vm->lock);
	*out = vma_lookup(vm, h);
	if (!*out) {
		pthread_mutex_unlock(&vm->lock);
		return set_error(-ENOENT, "%s: unknown vma handle 0x%" PRIx64, who, h);
	}
	if (!(*out)->binding) {
		pthread_mutex_unlock(&vm->lock);
		return set_error(-ENOENT, "%s: vma 0x%" PRIx64 " is not bound", who, h);
	}
	return 0;
}

GTT_API int gtt_vma_pin(struct gtt_vm *vm, gtt_vma_t h)
{
	struct vma *v = NULL;
	int err = with_bound_vma(vm, h, "gtt_vma_pin", &v);

	if (err)
		return err;
	if (v->pin_count == UINT32_MAX)
		err = set_error(-EOVERFLOW, "gtt_vma_pin: pin count overflow");
	else
		v->pin_count++;
	pthread_mutex_unlock(&vm->lock);
	return err;
}

GTT_API int gtt_vma_unpin(struct gtt_vm *vm, gtt_vma_t h)
{
	struct vma *v = NULL;
	int err = with_bound_vma(vm, h, "gtt_vma_unpin", &v);

	if (err)
		return err;
	if (!v->pin_count)
		err = set_error(-EINVAL, "gtt_vma_unpin: vma 0x%" PRIx64 " is not pinned", h);
	else
		v->pin_count--;
	pthread_mutex_unlock(&vm->lock);
	return err;
}

GTT_API int gtt_vma_add_active(struct gtt_vm *vm, gtt_vma_t h,
			       struct gtt_fence *fence)
{
	struct vma *v = NULL;
	unsigned int i, k = 0;
	int err;

	if (!fence)
		return set_error(-EINVAL, "gtt_vma_add_active: fence is NULL");
	err = with_bound_vma(vm, h, "gtt_vma_add_active", &v);
	if (err)
		return err;
	/* Drop signalled fences and the older fence of the same timeline. */
	for (i = 0; i < v->n_active; i++) {
		struct gtt_fence *a = v->active[i];

		if (gtt_fence_is_signaled(a) ||
		    (fence->context && a->context == fence->context &&
		     !gtt_fence_is_later(a, fence)))
			gtt_fence_put(a);
		else
			v->active[k++] = a;
	}
	v->n_active = k;
	if (v->n_active == v->cap_active) {
		unsigned int cap = v->cap_active ? v->cap_active * 2 : 4;
		struct gtt_fence **a = mem_realloc(v->active, cap * sizeof(*a));

		if (!a) {
			pthread_mutex_unlock(&vm->lock);
			return set_error(-ENOMEM, "gtt_vma_add_active: out of memory");
		}
		v->active = a;
		v->cap_active = cap;
	}
	v->active[v->n_active++] = gtt_fence_get(fence);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

GTT_API int gtt_vma_query(struct gtt_vm *vm, gtt_vma_t h,
			  struct gtt_vma_info *info)
{
	struct vma *v;

	if (!vm || !info)
		return set_error(-EINVAL, "gtt_vma_query: vm or info is NULL");
	pthread_mutex_lock(&vm->lock);
	v = vma_lookup(vm, h);
	if (!v) {
		pthread_mutex_unlock(&vm->lock);
		return set_error(-ENOENT, "gtt_vma_query: unknown vma handle 0x%" PRIx64, h);
	}
	memset(info, 0, sizeof(*info));
	info->bound = v->binding != NULL;
	if (v->binding) {
		info->offset = v->binding->start;
		info->size = v->binding->size;
	}
	info->pin_count = v->pin_count;
	info->evicted = v->evicted;
	for (unsigned int i = 0; i < v->n_active; i++)
		info->active += !gtt_fence_is_signaled(v->active[i]);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

#define RCU_TRIES 4

/*
 * Lock-free walk of the address tree (RCU readers).  Only child links are
 * followed, which never form a cycle, and the walk is bounded anyway.
 * Return: 1 found, 0 nothing bound there, -1 torn by a writer (retry).
 */
static int rcu_find(struct gtt_vm *vm, uint64_t addr, gtt_vma_t *h,
		    uint64_t *start)
{
	struct gtt_range_alloc *ra = vm->ra;
	struct avl_node *n = LOAD_ACQ(ra->by_addr.root), *best = NULL;
	struct gtt_range_node *x;
	struct vma *v;

	for (int steps = 0; n; steps++) {
		if (steps > 128)
			return -1;
		x = container_of(n, struct gtt_range_node, by_addr);
		if (LOAD_ACQ(x->start) <= addr) {
			best = n;
			n = LOAD_ACQ(n->right);
		} else {
			n = LOAD_ACQ(n->left);
		}
	}
	if (!best)
		return 0;
	x = container_of(best, struct gtt_range_node, by_addr);
	if (x == &ra->head || addr - LOAD_ACQ(x->start) >= LOAD_ACQ(x->size))
		return 0;
	v = LOAD_ACQ(x->owner);
	if (!v)
		return 0;
	*h = LOAD_ACQ(v->handle);
	*start = LOAD_ACQ(x->start);
	return 1;
}

GTT_API int gtt_vm_lookup(struct gtt_vm *vm, uint64_t addr, gtt_vma_t *out,
			  uint64_t *offset)
{
	struct gtt_range_node *n;
	uint64_t start = 0;
	gtt_vma_t h = 0;
	int found = -1;

	if (!vm || !out)
		return set_error(-EINVAL, "gtt_vm_lookup: vm or out is NULL");
	if (vm->rcu) {
		rcu_read_begin();
		for (int tries = 0; tries < RCU_TRIES && found < 0; tries++) {
			uint32_t s = atomic_load_explicit(&vm->seq, memory_order_acquire);

			if (s & 1)
				continue;
			found = rcu_find(vm, addr, &h, &start);
			if (atomic_load_explicit(&vm->seq, memory_order_acquire) != s)
				found = -1;
		}
		rcu_read_end();
	}
	if (found < 0) {	/* no RCU readers, or writers kept winning */
		pthread_mutex_lock(&vm->lock);
		n = gtt_range_lookup(vm->ra, addr);
		found = n && n->owner;
		if (found) {
			h = ((struct vma *)n->owner)->handle;
			start = n->start;
		}
		pthread_mutex_unlock(&vm->lock);
	}
	if (!found)
		return set_error(-ENOENT, "gtt_vm_lookup: nothing is bound at 0x%" PRIx64, addr);
	*out = h;
	if (offset)
		*offset = start;
	return 0;
}

static bool pending_alive(const struct itree_node *it)
{
	return !gtt_fence_is_signaled(&container_of(it, struct gtt_binding, pending)->unbind_fence);
}

/*
 * Lock-free count of pending unbinds overlapping [lo, hi]: a depth-first
 * walk down child links with an explicit stack, pruned by subtree_last.
 * Return: the count, or -1 if torn (retry).
 */
static long rcu_count_pending(struct gtt_vm *vm, uint64_t lo, uint64_t hi)
{
	struct avl_node *stack[128], *n = LOAD_ACQ(vm->pending.tree.root);
	long count = 0, visits = 0;
	int sp = 0;

	if (n)
		stack[sp++] = n;
	while (sp) {
		struct itree_node *x;
		struct avl_node *l, *r;

		n = stack[--sp];
		x = container_of(n, struct itree_node, avl);
		if (++visits > (1 << 20))
			return -1;
		if (LOAD_ACQ(x->subtree_last) < lo)
			continue;
		l = LOAD_ACQ(n->left);
		r = LOAD_ACQ(n->right);
		if (l) {
			if (sp == 128)
				return -1;
			stack[sp++] = l;
		}
		if (LOAD_ACQ(x->start) > hi)
			continue;
		count += LOAD_ACQ(x->last) >= lo && pending_alive(x);
		if (r) {
			if (sp == 128)
				return -1;
			stack[sp++] = r;
		}
	}
	return count;
}

GTT_API int gtt_vm_pending(struct gtt_vm *vm, uint64_t start, uint64_t size,
			   size_t *count)
{
	struct itree_node *it;
	uint64_t lo, hi;
	long n = -1;

	if (!vm || !count || !size || start > UINT64_MAX - (size - 1))
		return set_error(-EINVAL, "gtt_vm_pending: NULL argument, zero size or wrapping range");
	overlap_window(vm, start, size, &lo, &hi);
	if (vm->rcu) {
		rcu_read_begin();
		for (int tries = 0; tries < RCU_TRIES && n < 0; tries++) {
			uint32_t s = atomic_load_explicit(&vm->seq, memory_order_acquire);

			if (s & 1)
				continue;
			n = rcu_count_pending(vm, lo, hi);
			if (atomic_load_explicit(&vm->seq, memory_order_acquire) != s)
				n = -1;
		}
		rcu_read_end();
	}
	if (n < 0) {
		n = 0;
		pthread_mutex_lock(&vm->lock);
		for (it = itree_first(&vm->pending, lo, hi); it; it = itree_next(it, lo, hi))
			n += pending_alive(it);
		pthread_mutex_unlock(&vm->lock);
	}
	*count = (size_t)n;
	return 0;
}

GTT_API int gtt_vma_last_unbind(struct gtt_vm *vm, gtt_vma_t h,
				struct gtt_fence **fence)
{
	struct vma *v;

	if (!vm || !fence)
		return set_error(-EINVAL, "gtt_vma_last_unbind: vm or fence is NULL");
	pthread_mutex_lock(&vm->lock);
	v = vma_lookup(vm, h);
	if (v)
		*fence = gtt_fence_get(v->last_unbind);
	pthread_mutex_unlock(&vm->lock);
	if (!v)
		return set_error(-ENOENT, "gtt_vma_last_unbind: unknown vma handle 0x%" PRIx64, h);
	return 0;
}

GTT_API int gtt_vma_hold(struct gtt_vm *vm, gtt_vma_t h,
			 struct gtt_binding **out)
{
	struct vma *v = NULL;
	int err;

	if (!out)
		return set_error(-EINVAL, "gtt_vma_hold: out is NULL");
	err = with_bound_vma(vm, h, "gtt_vma_hold", &v);
	if (err)
		return err;
	/* Bound, so the unbind has not started and holds >= 1. */
	atomic_fetch_add(&v->binding->holds, 1);
	binding_get(v->binding);
	*out = v->binding;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

GTT_API int gtt_vm_wait_idle(struct gtt_vm *vm, int64_t timeout_ns)
{
	uint64_t deadline;
	int err = 0;

	if (!vm)
		return set_error(-EINVAL, "gtt_vm_wait_idle: vm is NULL");
	deadline = deadline_from_timeout(timeout_ns);
	pthread_mutex_lock(&vm->idle_lock);
	while (vm->inflight) {
		uint64_t now = now_ns(), until = deadline;
		struct timespec ts;

		if (now >= deadline) {
			err = set_error(-ETIME, "gtt_vm_wait_idle: work still in flight");
			break;
		}
		/* Run queued work we may run ourselves (see executor_wait_fence). */
		bool may_help;

		pthread_mutex_unlock(&vm->idle_lock);
		bool ran = executor_help(vm->ex, &may_help);

		pthread_mutex_lock(&vm->idle_lock);
		if (ran)
			continue;
		if (may_help)
			until = u64_min(deadline, now + 1000000);
		if (until == UINT64_MAX) {
			pthread_cond_wait(&vm->idle_cond, &vm->idle_lock);
			continue;
		}
		ts.tv_sec = (time_t)(until / 1000000000ull);
		ts.tv_nsec = (long)(until % 1000000000ull);
		pthread_cond_timedwait(&vm->idle_cond, &vm->idle_lock, &ts);
	}
	pthread_mutex_unlock(&vm->idle_lock);
	return err;
}

GTT_API void gtt_vm_destroy(struct gtt_vm *vm)
{
	if (!vm)
		return;
	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	for (uint32_t i = 0; i < vm->nslots; i++) {
		struct vma *v = vm->slots[i];

		if (v && v->binding) {
			/* Teardown: pins are void, the resv may be gone already. */
			v->pin_count = 0;
			v->resv = NULL;
			unbind_locked(vm, v->handle, &v, true, NULL);
		}
	}
	pthread_mutex_unlock(&vm->lock);

	/* Pending unbinds and holds finish without the vm lock held. */
	gtt_vm_wait_idle(vm, -1);

	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	quarantine_release_all(vm);
	for (uint32_t i = 0; i < vm->nslots; i++)
		if (vm->slots[i])
			vma_free(vm, vm->slots[i]);
	pthread_mutex_unlock(&vm->lock);

	gtt_range_alloc_destroy(vm->ra);
	mem_free(vm->slots);
	mem_free(vm->gens);
	mem_free(vm->free_idx);
	pthread_cond_destroy(&vm->idle_cond);
	pthread_mutex_destroy(&vm->idle_lock);
	pthread_mutex_destroy(&vm->lock);
	if (vm->rcu)
		urcu_bp_barrier();	/* deferred frees done before we return */
	mem_free(vm);
}

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

GTT_API struct gtt_range_alloc *gtt_vm_range_alloc(struct gtt_vm *vm)
{
	return vm ? vm->ra : NULL;
}

GTT_API int gtt_vm_dump(struct gtt_vm *vm, FILE *out)
{
	struct gtt_range_stats rs;
	struct gtt_range_node *n;
	struct itree_node *it;
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
		fprintf(out, "  [0x%012" PRIx64 " - 0x%012" PRIx64 "] colour %u  vma 0x%" PRIx64 "%s%s\n",
			n->start, n->start + n->size - 1, n->color,
			v->handle,
			v->pin_count ? "  pinned" : "",
			v->binding && v->binding->bind_fence &&
			!gtt_fence_is_signaled(v->binding->bind_fence) ?
			"  bind pending" : "");
	}
	for (it = itree_first(&vm->pending, 0, UINT64_MAX); it;
	     it = itree_next(it, 0, UINT64_MAX))
		fprintf(out, "  pending unbind [0x%012" PRIx64 " - 0x%012" PRIx64 "]%s\n",
			it->start, it->last,
			gtt_fence_is_signaled(&container_of(it, struct gtt_binding, pending)->unbind_fence) ?
			" (signalled, retiring)" : "");
	pthread_mutex_unlock(&vm->lock);
	fprintf(out, "  binds %" PRIu64 " (deferred %" PRIu64 ", after pending unbind %" PRIu64 "), unbinds %" PRIu64
		" (immediate %" PRIu64 ", deferred %" PRIu64 "), evictions %" PRIu64 ", backend errors %" PRIu64
		", quarantined %" PRIu64 "\n",
		st.binds, st.binds_deferred, st.bind_waits_on_unbind, st.unbinds,
		st.unbinds_immediate, st.unbinds_deferred, st.evictions,
		st.backend_errors, st.quarantined);
	return 0;
}
