/* SPDX-License-Identifier: MIT */
/*
 * The points where a vm reports to its trace recorder (lib/trace/trace.c,
 * gtt/trace.h).  Each is one line in lib/vm: TRACE(vm, bind(...)), a test
 * of vm->trace and, only when recording, a call.  Every hook runs with the
 * vm lock held, in the order the operations take effect.
 */
#ifndef GTT_LIB_TRACE_HOOKS_H
#define GTT_LIB_TRACE_HOOKS_H

#include <gtt/map.h>
#include <gtt/vm.h>

struct gtt_trace;
struct vma;

#define TRACE(vm, call)                                               \
	do {                                                          \
		if (__builtin_expect((vm)->trace != NULL, 0))          \
			trace_rec_##call;                             \
	} while (0)

/* A new vma (plain or sparse). */
void trace_rec_vma(struct gtt_vm *vm, const struct vma *v);
void trace_rec_destroy(struct gtt_vm *vm, gtt_vma_t h, int err);
/* @b: the binding placed (NULL when the bind failed). */
void trace_rec_bind(struct gtt_vm *vm, gtt_vma_t h,
		    const struct gtt_bind_info *info, int err,
		    const struct gtt_binding *b);
void trace_rec_unbind(struct gtt_vm *vm, gtt_vma_t h, unsigned int flags,
		      int err, struct gtt_fence *f);
void trace_rec_pin(struct gtt_vm *vm, gtt_vma_t h, bool pin, int err);
/* @h 0: gtt_vm_add_active(). */
void trace_rec_active(struct gtt_vm *vm, gtt_vma_t h, struct gtt_fence *f,
		      int err);
void trace_rec_active_many(struct gtt_vm *vm, const gtt_vma_t *vmas,
			   size_t count, struct gtt_fence *f, int err);
/* Before the victim's unbind starts: its range is still its own. */
void trace_rec_evict(struct gtt_vm *vm, const struct vma *v);
/* A committed batch; @who names the call. */
void trace_rec_batch(struct gtt_vm *vm, const struct gtt_map_op *ops,
		     size_t count, const struct gtt_map_info *info,
		     struct gtt_fence *f, const char *who);
/* gtt_vm_destroy(): stop recording (without the vm lock). */
void trace_rec_vm_gone(struct gtt_vm *vm);

#endif
