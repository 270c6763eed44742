/* SPDX-License-Identifier: MIT */
/*
 * DOC: the legacy VFIO container/group flow with the type1v2 IOMMU.
 *
 * The order of operations follows the kernel's VFIO documentation:
 * container -> API version -> type1v2 extension -> group -> viable? ->
 * SET_CONTAINER -> SET_IOMMU(type1v2) -> IOMMU_GET_INFO (+ capability
 * chain for the IOVA ranges) -> MAP_DMA / UNMAP_DMA.  vfio_iommu_open()
 * fills the IOMMU's ops with this flow's steps (see vfio_iommu.h).
 *
 * Locking: the map and unmap steps run under vfio_iommu.lock (taken by
 * vfio_iommu.c); the rest runs while the owner opens or closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/vfio.h>

#include "base/util.h"
#include "vfio_iommu.h"

static int ioctl_of(struct vfio_iommu *io, int fd, unsigned long req, void *arg)
{
	return vfio_sys_ioctl(io->sys, fd, req, arg);
}

/* Read the IOVA ranges from the IOMMU info capability chain. */
static int group_ranges(struct vfio_iommu *io)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	struct vfio_iommu_type1_info *info;
	size_t room;
	uint32_t off;
	int err;

	err = ioctl_of(io, io->container, VFIO_IOMMU_GET_INFO, &probe);
	if (err)
		return set_error(err, "vfio: VFIO_IOMMU_GET_INFO failed");
	io->pgsizes = probe.flags & VFIO_IOMMU_INFO_PGSIZES ? probe.iova_pgsizes : 4096;
	io->nranges = 0;
	if (!(probe.flags & VFIO_IOMMU_INFO_CAPS) || probe.argsz <= sizeof(probe)) {
		/* No capability chain: the whole 64-bit space, as old kernels imply. */
		io->ranges[0][0] = 0;
		io->ranges[0][1] = UINT64_MAX;
		io->nranges = 1;
		return 0;
	}
	/* The kernel said how big the full answer is: ask again with room. */
	room = probe.argsz;
	info = mem_zalloc(room);
	if (!info)
		return set_error(-ENOMEM, "vfio: out of memory for the IOMMU info");
	info->argsz = probe.argsz;
	err = ioctl_of(io, io->container, VFIO_IOMMU_GET_INFO, info);
	if (err)
		err = set_error(err, "vfio: VFIO_IOMMU_GET_INFO failed");
	else if (info->argsz > room || info->argsz < sizeof(*info))
		err = set_error(-EIO, "vfio: VFIO_IOMMU_GET_INFO answered %u bytes into %zu",
				info->argsz, room);
	off = !err && (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	while (!err && off) {
		const struct vfio_info_cap_header *h;
		struct vfio_iommu_type1_info_cap_iova_range c;
		const char *at;

		h = vfio_cap_at(info, info->argsz, sizeof(*info), off, sizeof(*h), "IOMMU info", &err);
		if (!h)
			break;
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			/* Copied out: it may sit at a 4-byte offset, and its
			 * ranges hold 64-bit fields. */
			at = vfio_cap_at(info, info->argsz, sizeof(*info), off, sizeof(c), "IOVA range",
					 &err);
			if (at)
				memcpy(&c, at, sizeof(c));
			if (at && (uint64_t)c.nr_iovas * sizeof(struct vfio_iova_range) >
				  info->argsz - off - sizeof(c))
				err = set_error(-EIO, "vfio: %u IOVA ranges overrun the %u-byte info",
						c.nr_iovas, info->argsz);
			for (uint32_t i = 0; at && !err && i < c.nr_iovas && io->nranges < VFIO_MAX_RANGES; i++) {
				const char *r = at + sizeof(c) + i * sizeof(struct vfio_iova_range);

				io->ranges[io->nranges][0] = vfio_cap_u64(r + offsetof(struct vfio_iova_range, start));
				io->ranges[io->nranges][1] = vfio_cap_u64(r + offsetof(struct vfio_iova_range, end));
				io->nranges++;
			}
		}
		if (!err)
			err = vfio_cap_next(h->next, &off, "IOMMU info");
	}
	mem_free(info);
	if (!err && !io->nranges)
		err = set_error(-EPROTO, "vfio: the IOMMU reports no usable IOVA range");
	return err;
}

static int group_map(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)cpu, .iova = iova, .size = size,
	};
	int err = ioctl_of(io, io->container, VFIO_IOMMU_MAP_DMA, &map);

	if (err)
		set_error(err, "vfio: VFIO_IOMMU_MAP_DMA of 0x%llx bytes failed",
			  (unsigned long long)size);
	return err;
}

static int group_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size, uint64_t *done)
{
	struct vfio_iommu_type1_dma_unmap un = { .argsz = sizeof(un), .iova = iova, .size = size };
	int err = ioctl_of(io, io->container, VFIO_IOMMU_UNMAP_DMA, &un);

	if (err)
		return set_error(err, "vfio: VFIO_IOMMU_UNMAP_DMA failed");
	*done = un.size;
	return 0;
}

static int group_device_open(struct vfio_iommu *io, const char *bdf, int *fd)
{
	int r = io->sys->ioctl(io->sys->ctx, io->group, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);

	if (r < 0)
		return set_error(-errno, "vfio: device %s is not in the group (or not bound to vfio-pci)", bdf);
	*fd = r;
	return 0;
}

static void group_device_close(struct vfio_iommu *io, int fd)
{
	io->sys->close(io->sys->ctx, fd);
}

static void group_close(struct vfio_iommu *io)
{
	if (io->group >= 0)
		io->sys->close(io->sys->ctx, io->group);
	if (io->container >= 0)
		io->sys->close(io->sys->ctx, io->container);
}

static const struct vfio_iommu_ops group_ops = {
	.ranges = group_ranges, .map = group_map, .unmap = group_unmap,
	.device_open = group_device_open, .device_close = group_device_close,
	.close = group_close,
};

int vfio_iommu_open(struct vfio_iommu *io, const struct vfio_sys *sys, int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32];
	int err, r;

	vfio_iommu_init(io, sys, &group_ops);
	io->container = sys->open(sys->ctx, "/dev/vfio/vfio", O_RDWR);
	if (io->container < 0) {
		err = set_error(-errno, "vfio: cannot open /dev/vfio/vfio (is the vfio module loaded?)");
		goto fail;
	}
	r = ioctl_of(io, io->container, VFIO_GET_API_VERSION, NULL);
	if (r != VFIO_API_VERSION) {
		err = set_error(-EPROTO, "vfio: API version %d, expected %d", r, VFIO_API_VERSION);
		goto fail;
	}
	if (ioctl_of(io, io->container, VFIO_CHECK_EXTENSION,
		     (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) <= 0) {
		err = set_error(-EOPNOTSUPP, "vfio: the kernel has no type1v2 IOMMU (load vfio_iommu_type1)");
		goto fail;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	io->group = sys->open(sys->ctx, path, O_RDWR);
	if (io->group < 0 && errno == EBUSY) {
		/* The kernel allows one opener, and none while a device of the
		 * group is bound to an iommufd through its cdev. */
		err = set_error(-EBUSY, "vfio: %s is busy: another process has it open, or one of "
				"its devices is in use through its VFIO cdev (iommufd)", path);
		goto fail;
	}
	if (io->group < 0) {
		err = set_error(-errno, "vfio: cannot open %s: bind the group's devices to vfio-pci "
				"(echo vfio-pci > /sys/bus/pci/devices/BDF/driver_override; "
				"echo BDF > /sys/bus/pci/drivers_probe)", path);
		goto fail;
	}
	err = ioctl_of(io, io->group, VFIO_GROUP_GET_STATUS, &st);
	if (err)
		goto fail;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		err = set_error(-EPERM, "vfio: group %d is not viable: every device in "
				"/sys/kernel/iommu_groups/%d/devices must be bound to vfio-pci "
				"(or unbound)", group, group);
		goto fail;
	}
	err = ioctl_of(io, io->group, VFIO_GROUP_SET_CONTAINER, &io->container);
	if (!err)
		err = ioctl_of(io, io->container, VFIO_SET_IOMMU,
			       (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (err) {
		set_error(err, "vfio: cannot attach group %d to a type1v2 container", group);
		goto fail;
	}
	err = vfio_iommu_attached(io);
	if (!err)
		return 0;
fail:
	vfio_iommu_close(io);
	return err;
}
