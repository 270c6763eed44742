/* SPDX-License-Identifier: MIT */
/**
 * DOC: xe VM_BIND backend
 *
 * A queue backend (gtt/backend.h) whose page table belongs to the Linux xe
 * kernel driver: libgtt decides where things go, the kernel writes the
 * entries.  Creating it makes an xe VM (DRM_IOCTL_XE_VM_CREATE), a bind
 * exec queue on the VM_BIND engine class and a timeline syncobj.  Each
 * batch the vm submits becomes one DRM_IOCTL_XE_VM_BIND: one bind op
 * inline, or xe's vector of binds for more.  Its operations:
 *
 * - pages of a GEM object (gtt_pages_create_bo()): DRM_XE_VM_BIND_OP_MAP
 *   of that object, at the list's offset plus the op's pages offset;
 * - user memory (gtt_pages_create_userptr()): DRM_XE_VM_BIND_OP_MAP_USERPTR;
 * - %GTT_PTE_NULL: DRM_XE_VM_BIND_OP_MAP with DRM_XE_VM_BIND_FLAG_NULL;
 * - an unmap: DRM_XE_VM_BIND_OP_UNMAP.
 *
 * %GTT_PTE_READ_ONLY becomes DRM_XE_VM_BIND_FLAG_READONLY and the PAT field
 * (GTT_PTE_PAT()) the op's pat_index, which the kernel checks against the
 * platform's table (userptr needs a coherent index).  Page lists of DMA
 * segments cannot be mapped (-EOPNOTSUPP): the kernel owns the memory.
 *
 * %GTT_PTE_LOCAL_MEM marks a mapping of a GEM object that may live in VRAM.
 * On a device whose minimum bind alignment (DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT,
 * read at creation) is 64 KiB — DG2 and PVC, not Xe2 — the kernel binds
 * such objects only in 64 KiB pages and cannot split such a mapping inside
 * one (checked against Linux 6.12 xe_vm.c and xe_pt.c).  Marked, such a
 * mapping is held to that before anything changes: gtt_vma_bind() places
 * it 64 KiB aligned; a fixed bind or a map that is not 64 KiB aligned
 * (address, size, and the offset in the object: the page list's own plus
 * pages_offset), or a map or unmap of a sparse vma that
 * would cut it inside a 64 KiB page, fails with -EINVAL and a message.
 * Unmarked, the kernel's own -EINVAL comes back instead.
 *
 * Dependencies the kernel can wait for itself (@can_wait) are: the
 * backend's own earlier results, passed as their timeline point, and any
 * fence that carries a sync_file (gtt_fence_export_sync_file() would give
 * one), imported into a temporary binary syncobj for the ioctl.  The vm
 * waits for every other dependency on the CPU first.  A batch's out-fence
 * is the next point of the timeline; it is exported as a sync_file and
 * imported with the watcher given at creation, so the fence the vm hands
 * out signals when the kernel's does, and passes the kernel's fence on when
 * exported again.  The bind queue runs batches in submission order.
 *
 * Errors the ioctl returns (-EINVAL for arguments the kernel refuses,
 * -ENOMEM, -ENOSPC, -EBUSY, -ENOENT for an unknown object, -ECANCELED or
 * -ENODEV once the GPU is wedged or gone) come back from the submit, with
 * a message naming the ioctl and the batch's first op (index, op, address,
 * range), and the kernel has done nothing.  A failure after the kernel
 * took the batch (its out-fence could not be exported) fails the batch's
 * fence instead; the vm then keeps the pages until the range is cleared.
 *
 * The kernel has no PTE read-back: the backend has no translate op, and
 * what is mapped is what the vm's bookkeeping says (gtt_vm_dump()).
 *
 * With a dry-run stream in the config nothing is sent to a device: each
 * ioctl is printed instead, answered with made-up ids, and every batch
 * completes at once.  No DRM device (-1) and no watcher are needed then.
 *
 * Built only when libgtt was compiled with <drm/xe_drm.h> (Linux >= 6.8
 * uAPI headers; -Dxe): otherwise every function here returns -EOPNOTSUPP.
 *
 * Thread safety: the backend ops follow the backend contract (batches may
 * be submitted from several threads; they are numbered and issued under
 * one lock, so the queue order is the timeline order); create and destroy
 * must not race with anything.
 */
#ifndef GTT_XE_H
#define GTT_XE_H

#include <stdio.h>

#include <gtt/backend.h>
#include <gtt/common.h>
#include <gtt/fence.h>
#include <gtt/sync.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * GTT_XE_VM_SCRATCH_PAGE - VM create flag: unmapped addresses read the
 * scratch page instead of faulting (DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE).
 */
#define GTT_XE_VM_SCRATCH_PAGE (1u << 0)

/**
 * struct gtt_xe_config - How to set up the xe VM and its bind queue.
 * @vm_flags: %GTT_XE_VM_SCRATCH_PAGE or 0.  (The kernel's long-running
 *	and fault modes refuse syncobj out-fences, which this backend needs.)
 * @gt_id: a GT of the device (0 on every single-tile part).  The kernel
 *	only checks that it exists: Linux 6.12 makes a VM_BIND queue on every
 *	tile whatever it is (xe_exec_queue.c xe_exec_queue_create_ioctl()),
 *	running on each tile's migration engine.
 * @dry_run: if not NULL, print each ioctl here instead of issuing it; see
 *	the DOC above.
 * @reserved: zero (see common.h).
 */
struct gtt_xe_config {
	uint32_t vm_flags;
	uint16_t gt_id;
	FILE *dry_run;
	uint64_t reserved[4];
};

/**
 * struct gtt_xe_info - The kernel objects behind an xe backend, for a
 * driver's own ioctls (its exec queues need the VM, its execs may wait on
 * the timeline).
 * @vm_id: the xe VM.
 * @exec_queue_id: the bind exec queue.
 * @syncobj: the timeline syncobj that the batches signal.
 * @point: the timeline point of the last batch submitted (0: none yet).
 * @reserved: zero.
 */
struct gtt_xe_info {
	uint32_t vm_id;
	uint32_t exec_queue_id;
	uint32_t syncobj;
	uint64_t point;
	uint64_t reserved[2];
};

/**
 * gtt_xe_backend_create() - An xe VM with a bind queue, as a queue backend.
 * @drm_fd: an open xe DRM device (a render node); the backend neither
 *	duplicates nor closes it, so it must stay open until destroy.  -1 in
 *	a dry run.
 * @cfg: the configuration; NULL means all defaults.
 * @w: the watcher that imports the batches' out-fences; must outlive the
 *	backend's fences.  May be NULL in a dry run.
 * @out: receives the backend; gtt_backend_destroy() destroys the bind
 *	queue, the syncobjs and the VM.
 *
 * Return: 0; -EINVAL (NULL @out, no watcher, unknown @vm_flags bits,
 * non-zero reserved words); -EOPNOTSUPP (built without the backend, or a
 * VM mode it cannot serve); -ENOMEM; or the error of the ioctl that failed
 * (named in the message), with everything made before it undone.
 */
GTT_API int gtt_xe_backend_create(int drm_fd, const struct gtt_xe_config *cfg,
				  struct gtt_watcher *w, struct gtt_backend **out);

/**
 * gtt_xe_info() - The VM, bind queue and timeline of an xe backend.
 *
 * Return: 0, -EINVAL (@be is not an xe backend, or @out NULL), -EOPNOTSUPP.
 */
GTT_API int gtt_xe_info(struct gtt_backend *be, struct gtt_xe_info *out);

/**
 * gtt_xe_unmap_all() - Unmap every mapping of GEM object @handle in the VM
 * (DRM_XE_VM_BIND_OP_UNMAP_ALL), on the bind queue.
 * @be: an xe backend.
 * @handle: the GEM object.
 * @pat_index: a PAT index the kernel accepts for @handle: it checks the
 *	index's coherency against the object's CPU caching even here (on
 *	Xe2, index 0 is not coherent and is refused for a write-back
 *	object); one its mappings use is right.
 * @deps: fences the kernel waits for first; each must be one the backend
 *	can wait for (its own, or one carrying a sync_file).
 * @num_deps: how many.
 * @done: receives the fence of the unmap (one reference).
 *
 * This goes around every vm's bookkeeping: a vm over @be still believes
 * its mappings of @handle are there.  It is for tools and for tearing
 * down a VM someone else filled, not for a vm's own objects (unmap those
 * through the vm: gtt/map.h).
 *
 * Return: 0, -EINVAL (bad arguments, a dependency the kernel cannot wait
 * for), -EOPNOTSUPP, -ENOMEM, or the ioctl's error.
 */
GTT_API int gtt_xe_unmap_all(struct gtt_backend *be, uint32_t handle,
			     uint16_t pat_index, struct gtt_fence *const *deps, size_t num_deps,
			     struct gtt_fence **done);

#ifdef __cplusplus
}
#endif
#endif
