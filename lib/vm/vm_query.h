/* SPDX-License-Identifier: MIT */
/*
 * What the vm has bound at an address, for components outside lib/vm that
 * must check a vm's state against something else (the simulated GPU,
 * sim/sim.c), without reaching into the vm's structures or its lock.
 *
 * Locking: vm_query_addr() takes and drops the vm lock itself; what it
 * reports is a snapshot, with references that keep it valid after.
 */
#ifndef GTT_LIB_VM_QUERY_H
#define GTT_LIB_VM_QUERY_H

#include <gtt/fence.h>
#include <gtt/pages.h>
#include <gtt/vm.h>

struct vm_query {
	gtt_vma_t vma;			/* the vma bound there */
	uint64_t start;			/* its binding's first address */
	uint64_t pages_offset;		/* where in @pages @start maps */
	struct gtt_pages *pages;	/* a reference: gtt_pages_put() */
	/* The bind's fence, a reference (gtt_fence_put()), or NULL when the
	 * bind could never be deferred. */
	struct gtt_fence *bind_fence;
};

/*
 * Report, under the vm lock, the binding at @addr into @q.
 * Return: 0, or -ENOENT if nothing is bound there (a constant message:
 * the caller says what it was looking for).
 */
int vm_query_addr(struct gtt_vm *vm, uint64_t addr, struct vm_query *q);

#endif
