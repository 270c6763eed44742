/* SPDX-License-Identifier: MIT */
/*
 * The life of an address space: see gtt/vm.h for the rules.  This file
 * creates, closes and destroys a vm, counts the work in flight that may
 * outlive a call (vm_work_begin/end, gtt_vm_wait_idle()), and runs the
 * retirement every vm call starts with (vm_retire_locked()).  The rest of
 * the vm is split by concern (see vm_internal.h).
 *
 * Locking.  vm->lock serialises the allocator, the pending-unbind tree, the
 * vma table and every vma's fields.  It is held while a bind or unbind
 * decides; inline work (an unbind with nothing pending, a bind with no
 * dependency) runs under it, which is what keeps a range from being reused
 * before its PTEs are settled.  Waiting for fences happens after unlocking.
 * Deferred jobs never take vm->lock (see binding.c).  vm->idle_lock guards
 * only the in-flight count, and is never held while waiting for anything
 * but that count.
 */
#include <time.h>

#include "vm_internal.h"

/* ---- in-flight work and retirement ---- */

void vm_work_begin(struct gtt_vm *vm)
{
	pthread_mutex_lock(&vm->idle_lock);
	vm->inflight++;
	pthread_mutex_unlock(&vm->idle_lock);
}

void vm_work_end(struct gtt_vm *vm)
{
	pthread_mutex_lock(&vm->idle_lock);
	if (--vm->inflight == 0)
		pthread_cond_broadcast(&vm->idle_cond);
	pthread_mutex_unlock(&vm->idle_lock);
}

/* The passer of the vm's awaits: what its queue backend waits for itself. */
static bool vm_can_pass(const struct await_passer *p, struct gtt_fence *k)
{
	const struct gtt_vm *vm = container_of(p, struct gtt_vm, passer);

	return backend_can_wait(vm->be, k);
}

void vm_await_init(struct gtt_vm *vm, struct await *aw,
		   void (*fn)(struct await *aw, int error))
{
	await_init(aw, vm->ex, fn);
	if (vm->queue)
		await_set_passer(aw, &vm->passer);
}

void vm_note_backend_error(struct gtt_vm *vm)
{
	atomic_fetch_add_explicit(&vm->backend_errors, 1, memory_order_relaxed);
}

/*
 * Whether a clear that returned @err may have left entries mapping the
 * pages (counted as a backend error).  -ENODEV says the device is gone:
 * nothing can reach its tables any more, so nothing is left to protect.
 */
bool vm_clear_failed(struct gtt_vm *vm, int err)
{
	if (!err)
		return false;
	vm_note_backend_error(vm);
	return err != -ENODEV;
}

void vm_retire_locked(struct gtt_vm *vm)
{
	if (range_fence_has_retired(&vm->pending)) {
		tree_write_begin(vm);
		range_fence_drain(&vm->pending);
		tree_write_end(vm);
	}
	quarantine_collect_locked(vm);
}

/* Drop the vm lock, wait for @f (and put it), take the lock again. */
void vm_wait_unlocked(struct gtt_vm *vm, struct gtt_fence *f)
{
	vm->st.oom_sync_waits++;
	pthread_mutex_unlock(&vm->lock);
	executor_wait_fence(vm->ex, f);
	gtt_fence_put(f);
	pthread_mutex_lock(&vm->lock);
}

/* The range itself, widened by a page each side under colour guards (the
 * allocator leaves a page between colours: see design.md). */
void vm_overlap_window(const struct gtt_vm *vm, uint64_t start, uint64_t size,
		       uint64_t *lo, uint64_t *hi)
{
	*lo = start;
	*hi = start + size - 1;
	if (vm->flags & GTT_VM_COLOR_GUARD) {
		*lo = start >= vm->page_size ? start - vm->page_size : 0;
		*hi = *hi <= UINT64_MAX - vm->page_size ? *hi + vm->page_size
							: UINT64_MAX;
	}
}

/* ---- vm ---- */

GTT_API int gtt_vm_create(const struct gtt_vm_config *cfg, struct gtt_vm **out)
{
	struct gtt_vm *vm;
	uint64_t page;
	int err;

	if (!cfg || !out || !cfg->backend)
		return set_error(-EINVAL, "gtt_vm_create: config, backend or out is NULL");
	if (!reserved_zero(cfg->reserved, sizeof(cfg->reserved)))
		return set_error(-EINVAL, "gtt_vm_create: the config has non-zero reserved fields (built against a newer libgtt?)");
	if (cfg->flags & ~(unsigned int)(GTT_VM_COLOR_GUARD | GTT_VM_RCU_READERS))
		return set_error(-EINVAL, "gtt_vm_create: unknown flags 0x%x", cfg->flags);
	if ((unsigned int)cfg->evict_order > GTT_EVICT_ROSTER)
		return set_error(-EINVAL, "gtt_vm_create: unknown eviction order %d", (int)cfg->evict_order);
	if ((cfg->evict_order == GTT_EVICT_ROSTER) != !!cfg->evict_roster)
		return set_error(-EINVAL, "gtt_vm_create: an eviction roster callback goes with GTT_EVICT_ROSTER, and only with it");
	if ((cfg->flags & GTT_VM_RCU_READERS) && !rcu_available())
		return set_error(-EOPNOTSUPP, "gtt_vm_create: GTT_VM_RCU_READERS needs liburcu; "
				 "libgtt was built without it (-Drcu=disabled)");
	/* The allocator may end at 2^64; a vm's end (vm->end, the PTE
	 * ranges, the pending tree's windows) must fit in a u64. */
	if (cfg->size && cfg->start > UINT64_MAX - cfg->size)
		return set_error(-EINVAL, "gtt_vm_create: [0x%llx, +0x%llx) does not end below 2^64",
				 (unsigned long long)cfg->start, (unsigned long long)cfg->size);
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
	vma_table_init(vm);
	vm->start = cfg->start;
	vm->end = cfg->start + cfg->size;
	vm->page_size = page;
	vm->flags = cfg->flags;
	vm->be = cfg->backend;
	vm->ex = cfg->executor;
	vm->evict_order = cfg->evict_order;
	vm->roster = cfg->evict_roster;
	vm->roster_arg = cfg->evict_roster_arg;
	vm->queue = backend_is_queue(vm->be);
	vm->passer.fn = vm_can_pass;
	/* Its nodes live in bindings, which readers' grace periods cover. */
	vm->rcu = cfg->flags & GTT_VM_RCU_READERS;
	range_fence_tree_init(&vm->pending, binding_tree_release);
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
			/* An expected outcome: no sentence to format. */
			err = set_error_static(-ETIME, "gtt_vm_wait_idle: work still in flight (timed out)");
			break;
		}
		/* Run queued work we may run ourselves (see executor_wait_fence). */
		bool may_help;

		pthread_mutex_unlock(&vm->idle_lock);
		bool ran = executor_help(vm->ex, &may_help);

		pthread_mutex_lock(&vm->idle_lock);
		/* Work may have ended while the lock was dropped: its wake-up
		 * came before this thread waits, so look again first. */
		if (ran || !vm->inflight)
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
	TRACE(vm, vm_gone(vm));
	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	vma_table_unbind_all(vm);
	pthread_mutex_unlock(&vm->lock);

	/* Pending unbinds and holds finish without the vm lock held. */
	gtt_vm_wait_idle(vm, -1);

	pthread_mutex_lock(&vm->lock);
	vm_retire_locked(vm);
	quarantine_release_all(vm);
	vma_table_fini(vm);
	active_fini(&vm->active);
	pthread_mutex_unlock(&vm->lock);

	gtt_range_alloc_destroy(vm->ra);
	pthread_cond_destroy(&vm->idle_cond);
	pthread_mutex_destroy(&vm->idle_lock);
	pthread_mutex_destroy(&vm->lock);
	journal_destroy(vm);
	if (vm->rcu)
		urcu_bp_barrier();	/* deferred frees done before we return */
	mem_free(vm);
}

GTT_API struct gtt_range_alloc *gtt_vm_range_alloc(struct gtt_vm *vm)
{
	return vm ? vm->ra : NULL;
}
