/* SPDX-License-Identifier: MIT */
/*
 * gtt-hello: the smallest complete libgtt program (the README's API tour).
 * A vm on the mock backend, one buffer bound, used by "GPU work", unbound
 * asynchronously, and everything torn down.
 */
#include <stdio.h>

#include <gtt/gtt.h>

int main(void)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 1 << 30 };
	struct gtt_vm_config vc = { .name = "ggtt", .start = 0x10000, .size = 1 << 30 };
	struct gtt_pages_segment seg = { .addr = 0x80000000, .length = 64 * 4096 };
	struct gtt_backend *mock;
	struct gtt_executor *pool;
	struct gtt_vm *vm;
	struct gtt_pages *pages;
	struct gtt_fence *gpu_work, *unbind;
	struct gtt_vma_info info;
	gtt_vma_t vma;
	int err;

	/* A page table, worker threads, and an address space over them. */
	if ((err = gtt_mock_create(&mc, &mock)) ||
	    (err = gtt_executor_create_pool(2, &pool)))
		goto fail;
	vc.backend = mock;
	vc.executor = pool;
	if ((err = gtt_vm_create(&vc, &vm)))
		goto fail;

	/* A buffer: its DMA pages, and its placement (vma) in this vm. */
	if ((err = gtt_pages_create(&seg, 1, 0, &pages)) ||
	    (err = gtt_vma_create(vm, pages, NULL, &vma)))
		goto fail;
	gtt_pages_put(pages);			/* the vma holds its own reference */

	/* Bind it wherever it fits best (sync: PTEs are written on return). */
	if ((err = gtt_vma_bind(vm, vma, NULL, NULL)) ||
	    (err = gtt_vma_query(vm, vma, &info)))
		goto fail;
	printf("bound at 0x%llx\n", (unsigned long long)info.offset);

	/* The GPU reads it: tell the vm, so unbind waits for that work. */
	if ((err = gtt_fence_create(0, 0, &gpu_work)) ||
	    (err = gtt_vma_add_active(vm, vma, gpu_work)))
		goto fail;

	/* Unbind returns at once; the range is free, the PTE clear waits. */
	if ((err = gtt_vma_unbind(vm, vma, GTT_UNBIND_ASYNC, &unbind)))
		goto fail;
	printf("unbind fence %s\n", gtt_fence_is_signaled(unbind) ? "signalled" : "pending");

	gtt_fence_signal(gpu_work, 0);		/* the GPU finishes */
	gtt_fence_wait(unbind, -1);		/* now the PTEs point at scratch */
	printf("unbind fence %s\n", gtt_fence_is_signaled(unbind) ? "signalled" : "pending");

	gtt_fence_put(unbind);
	gtt_fence_put(gpu_work);
	gtt_vm_destroy(vm);			/* destroys the vma too */
	gtt_executor_destroy(pool);
	gtt_backend_destroy(mock);
	return 0;
fail:
	fprintf(stderr, "gtt-hello: %s\n", gtt_last_error());
	return 1;
}
