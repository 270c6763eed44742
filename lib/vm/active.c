/* SPDX-License-Identifier: MIT */
/*
 * Active fences: the GPU work that may still use a vma's mapping (the
 * vma's list) or any mapping of a vm (the vm's list, for VM_BIND drivers
 * that track work per vm).  An unbind's clear waits for both.
 *
 * A list keeps only work that may still run: signalled fences are dropped
 * as it grows, and of one timeline (fence context) only the latest is
 * kept.  The vm lock protects every list.
 */
#include <inttypes.h>

#include "vm_internal.h"

/* Whether @a is done, or ordered before @fence on @fence's timeline. */
static bool superseded(const struct gtt_fence *a, const struct gtt_fence *fence)
{
	return gtt_fence_is_signaled(a) ||
	       (fence && fence->context && a->context == fence->context &&
		!gtt_fence_is_later(a, fence));
}

/* How many fences of @l stay when @fence joins it. */
static unsigned int kept(const struct active_list *l, const struct gtt_fence *fence)
{
	unsigned int keep = 0;

	for (unsigned int i = 0; i < l->n; i++)
		keep += !superseded(l->f[i], fence);
	return keep;
}

/* Only room: a call that fails later (another vma of its list) must leave
 * the list as it was, so nothing is dropped before active_push(). */
int active_make_room(struct active_list *l, const struct gtt_fence *fence)
{
	if (kept(l, fence) == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 4;
		struct gtt_fence **f = mem_realloc(l->f, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		l->f = f;
		l->cap = cap;
	}
	return 0;
}

void active_push(struct active_list *l, struct gtt_fence *fence)
{
	unsigned int k = 0;

	/* Fences only signal: no more are kept than active_make_room() saw. */
	for (unsigned int i = 0; i < l->n; i++) {
		if (superseded(l->f[i], fence))
			gtt_fence_put(l->f[i]);
		else
			l->f[k++] = l->f[i];
	}
	l->n = k;
	l->f[l->n++] = gtt_fence_get(fence);
}

void active_clear(struct active_list *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		gtt_fence_put(l->f[i]);
	l->n = 0;
}

void active_fini(struct active_list *l)
{
	active_clear(l);
	mem_free(l->f);
	l->f = NULL;
	l->cap = 0;
}

unsigned int active_unsignalled(const struct active_list *l)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < l->n; i++)
		n += !gtt_fence_is_signaled(l->f[i]);
	return n;
}

struct gtt_fence *active_first_unsignalled(const struct active_list *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (!gtt_fence_is_signaled(l->f[i]))
			return gtt_fence_get(l->f[i]);
	return NULL;
}

void active_await(const struct active_list *l, struct await *aw)
{
	for (unsigned int i = 0; i < l->n; i++)
		await_add(aw, l->f[i]);
}

void active_await_order(const struct active_list *l, struct await *aw)
{
	for (unsigned int i = 0; i < l->n; i++)
		await_add_order(aw, l->f[i]);
}

/* ---- public ---- */

GTT_API int gtt_vm_add_active(struct gtt_vm *vm, struct gtt_fence *fence)
{
	int err;

	if (!vm || !fence)
		return set_error(-EINVAL, "gtt_vm_add_active: vm or fence is NULL");
	pthread_mutex_lock(&vm->lock);
	err = active_make_room(&vm->active, fence);
	if (!err)
		active_push(&vm->active, fence);
	TRACE(vm, active(vm, 0, fence, err));
	pthread_mutex_unlock(&vm->lock);
	return err ? set_error(err, "gtt_vm_add_active: out of memory") : 0;
}

GTT_API int gtt_vma_add_active_many(struct gtt_vm *vm, const gtt_vma_t *vmas,
				    size_t count, struct gtt_fence *fence)
{
	struct vma *v;
	int err = 0;

	if (!vm || !fence || (count && !vmas))
		return set_error(-EINVAL, "gtt_vma_add_active_many: vm, fence or vmas is NULL");
	pthread_mutex_lock(&vm->lock);
	/* Every vma checked and given room first: all or nothing. */
	for (size_t i = 0; i < count && !err; i++) {
		v = vma_lookup(vm, vmas[i]);
		if (!v || !v->binding)
			err = set_error(-ENOENT, "gtt_vma_add_active_many: vmas[%zu] (0x%" PRIx64 ") is unknown or not bound",
					i, vmas[i]);
		else if (active_make_room(&v->active, fence))
			err = set_error(-ENOMEM, "gtt_vma_add_active_many: out of memory");
	}
	for (size_t i = 0; i < count && !err; i++) {
		v = vma_lookup(vm, vmas[i]);
		/* A vma listed twice has it already (and no room for more). */
		if (!v->active.n || v->active.f[v->active.n - 1] != fence)
			active_push(&v->active, fence);
		evict_lru_touch(vm, v);
	}
	TRACE(vm, active_many(vm, vmas, count, fence, err));
	pthread_mutex_unlock(&vm->lock);
	return err;
}
