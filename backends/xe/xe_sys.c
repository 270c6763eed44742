/* SPDX-License-Identifier: MIT */
/*
 * DOC: the real system calls behind struct xe_sys (see xe_sys.h), and the
 * names of the requests, for messages and dry runs.
 *
 * Locking: none needed; nothing here has state.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include <drm/xe_drm.h>

#include "xe_sys.h"

static int real_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	(void)ctx;
	return ioctl(fd, request, arg);
}

const struct xe_sys xe_sys_real = {
	.ioctl = real_ioctl,
};

int xe_sys_ioctl(const struct xe_sys *sys, int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = sys->ioctl(sys->ctx, fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	if (ret < 0)
		return errno > 0 ? -errno : -EIO;
	return ret;
}

const char *xe_ioctl_name(unsigned long req)
{
	switch (req) {
	case DRM_IOCTL_XE_VM_CREATE: return "DRM_IOCTL_XE_VM_CREATE";
	case DRM_IOCTL_XE_VM_DESTROY: return "DRM_IOCTL_XE_VM_DESTROY";
	case DRM_IOCTL_XE_VM_BIND: return "DRM_IOCTL_XE_VM_BIND";
	case DRM_IOCTL_XE_EXEC_QUEUE_CREATE: return "DRM_IOCTL_XE_EXEC_QUEUE_CREATE";
	case DRM_IOCTL_XE_EXEC_QUEUE_DESTROY: return "DRM_IOCTL_XE_EXEC_QUEUE_DESTROY";
	case DRM_IOCTL_XE_GEM_CREATE: return "DRM_IOCTL_XE_GEM_CREATE";
	case DRM_IOCTL_XE_DEVICE_QUERY: return "DRM_IOCTL_XE_DEVICE_QUERY";
	case DRM_IOCTL_SYNCOBJ_CREATE: return "DRM_IOCTL_SYNCOBJ_CREATE";
	case DRM_IOCTL_SYNCOBJ_DESTROY: return "DRM_IOCTL_SYNCOBJ_DESTROY";
	case DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: return "DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE";
	case DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: return "DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD";
	case DRM_IOCTL_SYNCOBJ_TRANSFER: return "DRM_IOCTL_SYNCOBJ_TRANSFER";
	case DRM_IOCTL_SYNCOBJ_SIGNAL: return "DRM_IOCTL_SYNCOBJ_SIGNAL";
	case DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL: return "DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL";
	default: return "an unknown DRM ioctl";
	}
}

const char *xe_bind_op_name(unsigned int op)
{
	switch (op) {
	case DRM_XE_VM_BIND_OP_MAP: return "MAP";
	case DRM_XE_VM_BIND_OP_UNMAP: return "UNMAP";
	case DRM_XE_VM_BIND_OP_MAP_USERPTR: return "MAP_USERPTR";
	case DRM_XE_VM_BIND_OP_UNMAP_ALL: return "UNMAP_ALL";
	case DRM_XE_VM_BIND_OP_PREFETCH: return "PREFETCH";
	default: return "unknown op";
	}
}
