/* SPDX-License-Identifier: MIT */
/*
 * DOC: a dry run of the xe backend (struct xe_sys, see xe_sys.h): every
 * ioctl is printed, one line per call plus one per bind op and per sync of
 * a VM_BIND, and answered as a kernel that accepts everything: VM, queue
 * and syncobj ids count up from 1, and an exported sync_file is an eventfd
 * that is already readable, so every batch completes at once.
 *
 * Locking: none; the backend issues its ioctls under its own lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/eventfd.h>

#include <drm/xe_drm.h>

#include "xe_sys.h"

static void print_bind_op(FILE *out, unsigned int i, const struct drm_xe_vm_bind_op *op)
{
	fprintf(out, "  bind[%u] op=%s obj=%u %s=0x%" PRIx64 " addr=0x%" PRIx64
		" range=0x%" PRIx64 " flags=0x%x pat_index=%u\n",
		i, xe_bind_op_name(op->op), op->obj,
		op->op == DRM_XE_VM_BIND_OP_MAP_USERPTR ? "userptr" : "obj_offset",
		(uint64_t)op->obj_offset, (uint64_t)op->addr, (uint64_t)op->range,
		op->flags, op->pat_index);
}

static void print_bind(FILE *out, const struct drm_xe_vm_bind *b)
{
	const struct drm_xe_vm_bind_op *ops = b->num_binds > 1 ?
		(const void *)(uintptr_t)b->vector_of_binds : &b->bind;
	const struct drm_xe_sync *syncs = (const void *)(uintptr_t)b->syncs;

	fprintf(out, "DRM_IOCTL_XE_VM_BIND vm_id=%u exec_queue_id=%u num_binds=%u num_syncs=%u\n",
		b->vm_id, b->exec_queue_id, b->num_binds, b->num_syncs);
	for (unsigned int i = 0; i < b->num_binds; i++)
		print_bind_op(out, i, &ops[i]);
	for (unsigned int i = 0; i < b->num_syncs; i++)
		fprintf(out, "  sync[%u] type=%s flags=%s handle=%u timeline_value=%" PRIu64 "\n",
			i, syncs[i].type == DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ ?
			"TIMELINE_SYNCOBJ" : "SYNCOBJ",
			syncs[i].flags & DRM_XE_SYNC_FLAG_SIGNAL ? "SIGNAL" : "0",
			syncs[i].handle, (uint64_t)syncs[i].timeline_value);
}

static int dry_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct xe_dry_run *dr = ctx;
	FILE *out = dr->out;

	(void)fd;
	switch (req) {
	case DRM_IOCTL_XE_VM_CREATE: {
		struct drm_xe_vm_create *a = arg;

		a->vm_id = dr->next_id++;
		fprintf(out, "DRM_IOCTL_XE_VM_CREATE flags=0x%x -> vm_id=%u\n", a->flags, a->vm_id);
		return 0;
	}
	case DRM_IOCTL_XE_VM_DESTROY:
		fprintf(out, "DRM_IOCTL_XE_VM_DESTROY vm_id=%u\n",
			((struct drm_xe_vm_destroy *)arg)->vm_id);
		return 0;
	case DRM_IOCTL_XE_EXEC_QUEUE_CREATE: {
		struct drm_xe_exec_queue_create *a = arg;
		const struct drm_xe_engine_class_instance *eci =
			(const void *)(uintptr_t)a->instances;

		a->exec_queue_id = dr->next_id++;
		fprintf(out, "DRM_IOCTL_XE_EXEC_QUEUE_CREATE vm_id=%u width=%u num_placements=%u "
			"engine_class=%s engine_instance=%u gt_id=%u -> exec_queue_id=%u\n",
			a->vm_id, a->width, a->num_placements,
			eci->engine_class == DRM_XE_ENGINE_CLASS_VM_BIND ? "VM_BIND" : "other",
			eci->engine_instance, eci->gt_id, a->exec_queue_id);
		return 0;
	}
	case DRM_IOCTL_XE_EXEC_QUEUE_DESTROY:
		fprintf(out, "DRM_IOCTL_XE_EXEC_QUEUE_DESTROY exec_queue_id=%u\n",
			((struct drm_xe_exec_queue_destroy *)arg)->exec_queue_id);
		return 0;
	case DRM_IOCTL_XE_VM_BIND:
		print_bind(out, arg);
		return 0;
	case DRM_IOCTL_SYNCOBJ_CREATE: {
		struct drm_syncobj_create *a = arg;

		a->handle = dr->next_id++;
		fprintf(out, "DRM_IOCTL_SYNCOBJ_CREATE flags=0x%x -> handle=%u\n", a->flags, a->handle);
		return 0;
	}
	case DRM_IOCTL_SYNCOBJ_DESTROY:
		fprintf(out, "DRM_IOCTL_SYNCOBJ_DESTROY handle=%u\n",
			((struct drm_syncobj_destroy *)arg)->handle);
		return 0;
	case DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: {
		struct drm_syncobj_handle *a = arg;

		fprintf(out, "DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE fd=%d flags=%s handle=%u\n", a->fd,
			a->flags ? "IMPORT_SYNC_FILE" : "0", a->handle);
		return 0;
	}
	case DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: {
		struct drm_syncobj_handle *a = arg;

		a->fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		if (a->fd < 0)
			return -1;
		fprintf(out, "DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD handle=%u flags=%s -> a signalled sync_file\n",
			a->handle, a->flags ? "EXPORT_SYNC_FILE" : "0");
		return 0;
	}
	case DRM_IOCTL_SYNCOBJ_TRANSFER: {
		struct drm_syncobj_transfer *a = arg;

		fprintf(out, "DRM_IOCTL_SYNCOBJ_TRANSFER src_handle=%u src_point=%" PRIu64
			" dst_handle=%u dst_point=%" PRIu64 " flags=0x%x\n",
			a->src_handle, (uint64_t)a->src_point, a->dst_handle,
			(uint64_t)a->dst_point, a->flags);
		return 0;
	}
	default:
		fprintf(out, "%s (request 0x%lx)\n", xe_ioctl_name(req), req);
		return 0;
	}
}

struct xe_sys xe_sys_dry_run(struct xe_dry_run *dr, FILE *out)
{
	dr->out = out;
	dr->next_id = 1;
	return (struct xe_sys){ .ctx = dr, .ioctl = dry_ioctl };
}
