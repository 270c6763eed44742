/* SPDX-License-Identifier: MIT */
/*
 * What the guest's fence programs (sync_in_guest.c, syncobj_in_guest.c)
 * both need of the kernel's fence drivers that the installed headers do
 * not give: vgem's and sw_sync's uAPI, and a sync_file's status.  Each
 * program is one file compiled on its own; nothing here keeps state.
 */
#ifndef GTT_TESTS_GUEST_FENCES_H
#define GTT_TESTS_GUEST_FENCES_H

#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include <drm.h>
#include <linux/sync_file.h>

/* vgem's uapi (include/uapi/drm/vgem_drm.h): attach a fence to a buffer,
 * and signal it. */
struct vgem_attach { uint32_t handle, flags, out_fence, pad; };
struct vgem_signal { uint32_t fence, flags; };
#define VGEM_FENCE_WRITE 0x1
#define VGEM_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_attach)
#define VGEM_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_signal)

/* sw_sync's uapi (drivers/dma-buf/sw_sync.c; not in the installed
 * headers): a fence at @value on the timeline, as a sync_file; the
 * timeline's counter moves forward by the given amount. */
struct sw_sync_create_fence_data { uint32_t value; char name[32]; int32_t fence; };
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)
#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"

/* The status of sync_file @fd (1 signalled, 0 pending, a negative errno
 * failed; 2 if it cannot be read) and the driver of its (first) fence. */
static inline int sf_info(int fd, char *driver, size_t size)
{
	struct sync_fence_info fi = { 0 };
	struct sync_file_info info = { .num_fences = 1, .sync_fence_info = (uintptr_t)&fi };

	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return 2;
	snprintf(driver, size, "%s", fi.driver_name);
	return info.status;
}

#endif
