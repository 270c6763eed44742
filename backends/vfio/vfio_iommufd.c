/* SPDX-License-Identifier: MIT */
/*
 * DOC: the VFIO cdev + iommufd flow (Linux >= 6.6), the alternative to the
 * legacy container/group flow of vfio_group.c, following the kernel's
 * "VFIO Device cdev" documentation:
 *   /sys/bus/pci/devices/BDF/vfio-dev/vfioN -> open /dev/vfio/devices/vfioN
 *   -> open /dev/iommu -> VFIO_DEVICE_BIND_IOMMUFD -> IOMMU_IOAS_ALLOC ->
 *   VFIO_DEVICE_ATTACH_IOMMUFD_PT -> IOMMU_IOAS_IOVA_RANGES ->
 *   IOMMU_IOAS_MAP (at IOVAs our allocator picks) / IOMMU_IOAS_UNMAP.
 * vfio_iommufd_open() fills the IOMMU's ops with this flow's steps (see
 * vfio_iommu.h).  Built only when the installed uAPI headers have
 * iommufd; otherwise vfio_iommufd_open() says so.
 *
 * Locking: the map and unmap steps run under vfio_iommu.lock (taken by
 * vfio_iommu.c); the rest runs while the owner opens or closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <linux/vfio.h>

#include "base/util.h"
#include "vfio_iommu.h"

#if defined(VFIO_DEVICE_BIND_IOMMUFD) && __has_include(<linux/iommufd.h>)

#include <linux/iommufd.h>

/* The IOVA ranges of the IOAS, with the size-then-retry protocol. */
static int iommufd_ranges(struct vfio_iommu *io)
{
	struct iommu_iova_range r[VFIO_MAX_RANGES];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = io->ioas,
					    .num_iovas = VFIO_MAX_RANGES,
					    .allowed_iovas = (uintptr_t)r };
	int err = vfio_sys_ioctl(io->sys, io->container, IOMMU_IOAS_IOVA_RANGES, &q);

	if (err == -EMSGSIZE)
		return set_error(-EPROTO, "iommufd: %u IOVA ranges, more than the %d supported",
				 q.num_iovas, VFIO_MAX_RANGES);
	if (err)
		return set_error(err, "iommufd: IOMMU_IOAS_IOVA_RANGES failed");
	if (q.num_iovas > VFIO_MAX_RANGES)
		return set_error(-EPROTO, "iommufd: the kernel filled %u ranges into %d",
				 q.num_iovas, VFIO_MAX_RANGES);
	io->nranges = q.num_iovas;
	for (unsigned int i = 0; i < io->nranges; i++) {
		io->ranges[i][0] = r[i].start;
		io->ranges[i][1] = r[i].last;
	}
	/* The IOVA alignment is the smallest page the IOMMU maps. */
	io->pgsizes = q.out_iova_alignment > 4096 ? q.out_iova_alignment : 4096;
	if (!io->nranges)
		return set_error(-EPROTO, "iommufd: the IOAS reports no usable IOVA range");
	return 0;
}

/* The cdev name ("vfio3") of @bdf, from sysfs. */
static int find_cdev(struct vfio_iommu *io, const char *bdf, char *path, size_t size)
{
	char dir[96], name[32];
	int err;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	err = io->sys->list_dir(io->sys->ctx, dir, name, sizeof(name));
	if (err)
		return set_error(-ENODEV, "iommufd: %s has no VFIO device cdev (%s is missing): bind it "
				 "to vfio-pci on a kernel with CONFIG_VFIO_DEVICE_CDEV", bdf, dir);
	snprintf(path, size, "/dev/vfio/devices/%s", name);
	return 0;
}

static int iommufd_map(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = io->ioas, .user_va = (uintptr_t)cpu,
		.length = size, .iova = iova,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};
	int err = vfio_sys_ioctl(io->sys, io->container, IOMMU_IOAS_MAP, &m);

	if (err)
		set_error(err, "vfio: IOMMU_IOAS_MAP of 0x%llx bytes failed",
			  (unsigned long long)size);
	return err;
}

static int iommufd_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size, uint64_t *done)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = io->ioas, .iova = iova,
				      .length = size };
	int err = vfio_sys_ioctl(io->sys, io->container, IOMMU_IOAS_UNMAP, &u);

	if (err)
		return set_error(err, "vfio: IOMMU_IOAS_UNMAP failed");
	*done = u.length;
	return 0;
}

/* The cdev is the device fd, opened and bound already. */
static int iommufd_device_open(struct vfio_iommu *io, const char *bdf, int *fd)
{
	(void)bdf;
	*fd = io->cdev;
	return 0;
}

/* The cdev goes with the IOMMU. */
static void iommufd_device_close(struct vfio_iommu *io, int fd)
{
	(void)io, (void)fd;
}

static void iommufd_close(struct vfio_iommu *io)
{
	if (io->cdev >= 0)		/* closing it unbinds it from the iommufd */
		io->sys->close(io->sys->ctx, io->cdev);
	if (io->container >= 0)
		io->sys->close(io->sys->ctx, io->container);
}

static const struct vfio_iommu_ops iommufd_ops = {
	.ranges = iommufd_ranges, .map = iommufd_map, .unmap = iommufd_unmap,
	.device_open = iommufd_device_open, .device_close = iommufd_device_close,
	.close = iommufd_close,
};

int vfio_iommufd_open(struct vfio_iommu *io, const struct vfio_sys *sys, const char *bdf)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char path[64];
	int err;

	vfio_iommu_init(io, sys, &iommufd_ops);
	if (!bdf) {
		err = set_error(-EINVAL, "iommufd: no device given");
		goto fail;
	}
	err = find_cdev(io, bdf, path, sizeof(path));
	if (err)
		goto fail;
	io->cdev = sys->open(sys->ctx, path, O_RDWR);
	if (io->cdev < 0) {
		err = set_error(-errno, "iommufd: cannot open %s", path);
		goto fail;
	}
	io->container = sys->open(sys->ctx, "/dev/iommu", O_RDWR);
	if (io->container < 0) {
		err = set_error(-errno, "iommufd: cannot open /dev/iommu (kernel without "
				"CONFIG_IOMMUFD, or the module is not loaded)");
		goto fail;
	}
	bind.iommufd = io->container;
	err = vfio_sys_ioctl(io->sys, io->cdev, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (err) {
		set_error(err, "iommufd: VFIO_DEVICE_BIND_IOMMUFD of %s failed (is it open "
			  "through its group?)", bdf);
		goto fail;
	}
	err = vfio_sys_ioctl(io->sys, io->container, IOMMU_IOAS_ALLOC, &alloc);
	if (err) {
		set_error(err, "iommufd: IOMMU_IOAS_ALLOC failed");
		goto fail;
	}
	io->ioas = alloc.out_ioas_id;
	attach.pt_id = io->ioas;
	err = vfio_sys_ioctl(io->sys, io->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (err) {
		set_error(err, "iommufd: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed");
		goto fail;
	}
	/* Ranges narrow when a device attaches: read them after. */
	err = vfio_iommu_attached(io);
	if (!err)
		return 0;
fail:
	vfio_iommu_close(io);
	return err;
}

#else

int vfio_iommufd_open(struct vfio_iommu *io, const struct vfio_sys *sys, const char *bdf)
{
	(void)bdf;
	vfio_iommu_init(io, sys, NULL);
	vfio_iommu_close(io);		/* nothing open: leaves it closed */
	return set_error(-EOPNOTSUPP, "iommufd: libgtt was built with uAPI headers older than "
			 "Linux 6.6 (no <linux/iommufd.h> or VFIO_DEVICE_BIND_IOMMUFD); use the "
			 "group flow");
}

#endif
