/* SPDX-License-Identifier: MIT */
/*
 * The vma handle table: handles, the slots they name, and the vma
 * operations that only look one up (create, destroy, pin, unpin, active
 * fences, query, last unbind, hold).
 *
 * Handles are tag:16 | generation:20 | slot+1:28 (design.md, Lifetimes).
 * Locking: the table and every vma field are under vm->lock.  With RCU
 * readers, a vma that a reader may have reached through a range node is
 * freed after a grace period.
 */
#include <inttypes.h>
#include <string.h>

#include <gtt/map.h>

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

/* Slot number + 1 of a handle (0 is never valid). */
static inline uint32_t handle_idx(gtt_vma_t h)
{
	return (uint32_t)(h & ((1u << H_IDX_BITS) - 1));
}

struct vma *vma_lookup(struct gtt_vm *vm, gtt_vma_t h)
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

void vma_drop_active(struct vma *v)
{
	active_clear(&v->active);
}

static void vma_free_rcu(struct rcu_head *head)
{
	RCU_CALLBACK_BEGIN(head);
	mem_free(container_of(head, struct vma, rcu));
}

static void vma_free(struct gtt_vm *vm, struct vma *v)
{
	vma_slot_free(vm, v);
	vma_drop_active(v);
	gtt_fence_put(v->last_unbind);
	active_fini(&v->active);
	gtt_pages_put(v->pages);
	if (vm->rcu)	/* a reader may have reached it through a node */
		rcu_defer(&v->rcu, vma_free_rcu);
	else
		mem_free(v);
	vm->st.vmas--;
}

void vma_table_init(struct gtt_vm *vm)
{
	vm->tag = (uint16_t)atomic_fetch_add(&next_vm_tag, 1);
	if (!vm->tag)
		vm->tag = (uint16_t)atomic_fetch_add(&next_vm_tag, 1);
}

void vma_table_unbind_all(struct gtt_vm *vm)
{
	for (uint32_t i = 0; i < vm->nslots; i++) {
		struct vma *v = vm->slots[i];

		if (v && v->binding) {
			/* Teardown: pins are void, the resv may be gone already. */
			v->pin_count = 0;
			v->resv = NULL;
			unbind_locked(vm, v->handle, &v, true, NULL);
		}
	}
}

void vma_table_fini(struct gtt_vm *vm)
{
	for (uint32_t i = 0; i < vm->nslots; i++)
		if (vm->slots[i])
			vma_free(vm, vm->slots[i]);
	mem_free(vm->slots);
	mem_free(vm->gens);
	mem_free(vm->free_idx);
}

static int vma_new(struct gtt_vm *vm, struct gtt_pages *pages, uint64_t size,
		   struct gtt_resv *resv, gtt_vma_t *out, const char *who)
{
	struct vma *v;
	uint32_t idx;
	int err;

	v = mem_zalloc(pages ? sizeof(*v) : sizeof(struct sparse_vma));
	if (!v)
		return set_error(-ENOMEM, "%s: out of memory", who);
	pthread_mutex_lock(&vm->lock);
	err = vma_slot_alloc(vm, &idx);
	if (err) {
		pthread_mutex_unlock(&vm->lock);
		mem_free(v);
		return set_error(err, "%s: cannot grow the vma table", who);
	}
	v->handle = make_handle(vm, idx);
	v->pages = gtt_pages_get(pages);
	v->resv = resv;
	v->sparse = !pages;
	if (v->sparse) {
		vma_sparse(v)->size = size;
		itree_init(&vma_sparse(v)->pieces);
	}
	vm->slots[idx] = v;
	vm->st.vmas++;
	*out = v->handle;
	TRACE(vm, vma(vm, v));
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

GTT_API int gtt_vma_create(struct gtt_vm *vm, struct gtt_pages *pages,
			   struct gtt_resv *resv, gtt_vma_t *out)
{
	if (!vm || !pages || !out)
		return set_error(-EINVAL, "gtt_vma_create: vm, pages or out is NULL");
	if (!vm_maps_pages(vm, pages))
		return set_error(-EOPNOTSUPP, "gtt_vma_create: backend '%s' writes PTEs, which point at DMA pages: it cannot map a GEM object or user memory",
				 gtt_backend_name(vm->be));
	return vma_new(vm, pages, 0, resv, out, "gtt_vma_create");
}

GTT_API int gtt_vma_create_sparse(struct gtt_vm *vm, uint64_t size,
				  struct gtt_resv *resv, gtt_vma_t *out)
{
	if (!vm || !out)
		return set_error(-EINVAL, "gtt_vma_create_sparse: vm or out is NULL");
	if (!size || vm_page_off(vm, size))
		return set_error(-EINVAL, "gtt_vma_create_sparse: size 0x%" PRIx64 " is zero or not a multiple of the page size 0x%" PRIx64,
				 size, vm->page_size);
	return vma_new(vm, NULL, size, resv, out, "gtt_vma_create_sparse");
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
	/* Looked at again if the vma changed while unbind_locked() waited
	 * for memory without the lock. */
	for (;;) {
		v = vma_lookup(vm, h);
		if (!v)
			err = set_error(-ENOENT, "gtt_vma_destroy: unknown vma handle 0x%" PRIx64, h);
		else if (v->pin_count)
			err = set_error(-EAGAIN, "gtt_vma_destroy: vma 0x%" PRIx64 " is pinned", h);
		else if (v->binding)
			err = unbind_locked(vm, h, &v, true, &f);
		if (err != -ENOENT || !v)
			break;
		err = 0;
	}
	TRACE(vm, destroy(vm, h, err));
	if (!err)
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
	TRACE(vm, pin(vm, h, true, err));
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
	TRACE(vm, pin(vm, h, false, err));
	pthread_mutex_unlock(&vm->lock);
	return err;
}

GTT_API int gtt_vma_add_active(struct gtt_vm *vm, gtt_vma_t h,
			       struct gtt_fence *fence)
{
	struct vma *v = NULL;
	int err;

	if (!fence)
		return set_error(-EINVAL, "gtt_vma_add_active: fence is NULL");
	err = with_bound_vma(vm, h, "gtt_vma_add_active", &v);
	if (err)
		return err;
	err = active_make_room(&v->active, fence);
	if (!err) {
		active_push(&v->active, fence);
		evict_lru_touch(vm, v);
	}
	TRACE(vm, active(vm, h, fence, err));
	pthread_mutex_unlock(&vm->lock);
	return err ? set_error(err, "gtt_vma_add_active: out of memory") : 0;
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
		info->pages_offset = v->binding->pages_offset;
	}
	info->pin_count = v->pin_count;
	info->evicted = v->evicted;
	info->active = active_unsignalled(&v->active);
	pthread_mutex_unlock(&vm->lock);
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
