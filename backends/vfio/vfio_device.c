/* SPDX-License-Identifier: MIT */
/*
 * DOC: a VFIO device: fds, region mmaps (sparse areas included), PCI
 * config space, the request IRQ.  See vfio_device.h.  The fd itself comes
 * from the IOMMU's flow (vfio_iommu_ops.device_open).
 *
 * Locking: none; the owner of a device fd serialises what it does with it.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "base/util.h"
#include "vfio_device.h"
#include "vfio_iommu.h"

int vfio_device_open(struct vfio_iommu *io, const char *bdf, int *fd)
{
	return io->ops->device_open(io, bdf, fd);
}

void vfio_device_close(struct vfio_iommu *io, int fd)
{
	if (fd >= 0 && io->ops)
		io->ops->device_close(io, fd);
}

/*
 * The areas of a region that may be mmapped: the sparse-mmap capability's
 * list (page-aligned, inside the region), or the whole region without one.
 * @room is what we gave the kernel; its argsz must fit in it.
 */
static int mmap_areas(const struct vfio_region_info *info, size_t room, struct vfio_region *r)
{
	uint32_t off = (info->flags & VFIO_REGION_INFO_FLAG_CAPS) ? info->cap_offset : 0;
	int err = 0;

	r->nareas = 1;
	r->areas[0][0] = 0;
	r->areas[0][1] = info->size;
	if (off && (info->argsz > room || info->argsz < sizeof(*info)))
		return set_error(-EIO, "vfio: region info answered %u bytes into %zu",
				 info->argsz, room);
	while (off) {
		const struct vfio_info_cap_header *h;
		struct vfio_region_info_cap_sparse_mmap sp;
		const char *at;

		h = vfio_cap_at(info, info->argsz, sizeof(*info), off, sizeof(*h), "region info", &err);
		if (!h)
			return err;
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			/* Copied out: it may sit at a 4-byte offset, and its
			 * areas hold 64-bit fields. */
			at = vfio_cap_at(info, info->argsz, sizeof(*info), off, sizeof(sp),
					 "region sparse-mmap", &err);
			if (!at)
				return err;
			memcpy(&sp, at, sizeof(sp));
			if ((uint64_t)sp.nr_areas * sizeof(struct vfio_region_sparse_mmap_area) >
			    info->argsz - off - sizeof(sp))
				return set_error(-EIO, "vfio: %u sparse-mmap areas overrun the %u-byte region info",
						 sp.nr_areas, info->argsz);
			if (sp.nr_areas > VFIO_MAX_AREAS)
				return set_error(-EOPNOTSUPP, "vfio: %u sparse-mmap areas, more than %d",
						 sp.nr_areas, VFIO_MAX_AREAS);
			r->nareas = 0;
			for (uint32_t i = 0; i < sp.nr_areas; i++) {
				const char *e = at + sizeof(sp) +
						i * sizeof(struct vfio_region_sparse_mmap_area);
				uint64_t a = vfio_cap_u64(e + offsetof(struct vfio_region_sparse_mmap_area, offset));
				uint64_t n = vfio_cap_u64(e + offsetof(struct vfio_region_sparse_mmap_area, size));

				if ((a | n) % 4096 || a > info->size || n > info->size - a)
					return set_error(-EIO, "vfio: sparse-mmap area [0x%llx, +0x%llx) "
							 "is misaligned or outside the region",
							 (unsigned long long)a, (unsigned long long)n);
				if (n) {
					r->areas[r->nareas][0] = a;
					r->areas[r->nareas++][1] = n;
				}
			}
			return 0;
		}
		err = vfio_cap_next(h->next, &off, "region info");
		if (err)
			return err;
	}
	return 0;
}

int vfio_region_map(struct vfio_iommu *io, int fd, unsigned int index, struct vfio_region *r)
{
	struct vfio_region_info probe = { .argsz = sizeof(probe), .index = index };
	struct vfio_region_info *info = &probe;
	const struct vfio_sys *sys = io->sys;
	void *p = MAP_FAILED;
	int err;

	memset(r, 0, sizeof(*r));
	err = vfio_sys_ioctl(io->sys, fd, VFIO_DEVICE_GET_REGION_INFO, &probe);
	if (err)
		return set_error(err, "vfio: no region %u", index);
	if (probe.argsz > sizeof(probe)) {	/* capabilities follow: ask again */
		info = mem_zalloc(probe.argsz);
		if (!info)
			return set_error(-ENOMEM, "vfio: out of memory for region info");
		info->argsz = probe.argsz;
		info->index = index;
		err = vfio_sys_ioctl(io->sys, fd, VFIO_DEVICE_GET_REGION_INFO, info);
		if (err) {
			mem_free(info);
			return set_error(err, "vfio: no region %u", index);
		}
	}
	if (!info->size || !(info->flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    !(info->flags & VFIO_REGION_INFO_FLAG_READ) ||
	    !(info->flags & VFIO_REGION_INFO_FLAG_WRITE)) {
		err = set_error(-EOPNOTSUPP, "vfio: region %u cannot be mmapped read/write (flags 0x%x)",
				index, info->flags);
		goto out;
	}
	if (info->offset > (uint64_t)INT64_MAX || info->size > (uint64_t)INT64_MAX - info->offset) {
		err = set_error(-EIO, "vfio: region %u at 0x%llx, 0x%llx bytes, is past any file offset",
				index, (unsigned long long)info->offset,
				(unsigned long long)info->size);
		goto out;
	}
	err = mmap_areas(info, info == &probe ? sizeof(probe) : probe.argsz, r);
	if (!err && !r->nareas)
		err = set_error(-EOPNOTSUPP, "vfio: no part of region %u may be mmapped", index);
	if (err)
		goto out;
	if (r->nareas == 1 && r->areas[0][0] == 0 && r->areas[0][1] == info->size) {
		p = sys->mmap(sys->ctx, NULL, info->size, fd, (off_t)info->offset);
	} else {
		/* Reserve the whole region, then map each area in place: the
		 * holes (an MSI-X table, say) stay inaccessible. */
		p = sys->mmap(sys->ctx, NULL, info->size, -1, 0);
		for (unsigned int i = 0; p != MAP_FAILED && i < r->nareas; i++) {
			void *at = (char *)p + r->areas[i][0];

			if (sys->mmap(sys->ctx, at, r->areas[i][1], fd,
				      (off_t)(info->offset + r->areas[i][0])) != at) {
				sys->munmap(sys->ctx, p, info->size);
				p = MAP_FAILED;
			}
		}
	}
	if (p == MAP_FAILED) {
		err = set_error(-errno ? -errno : -EIO, "vfio: mmap of region %u failed", index);
		goto out;
	}
	r->ptr = p;
	r->size = info->size;
out:
	if (info != &probe)
		mem_free(info);
	return err;
}

void vfio_region_unmap(struct vfio_iommu *io, struct vfio_region *r)
{
	if (r->ptr)
		io->sys->munmap(io->sys->ctx, r->ptr, r->size);
	r->ptr = NULL;
}

bool vfio_region_covers(const struct vfio_region *r, uint64_t off, uint64_t len)
{
	for (unsigned int i = 0; i < r->nareas; i++)
		if (off >= r->areas[i][0] && len <= r->areas[i][1] &&
		    off - r->areas[i][0] <= r->areas[i][1] - len)
			return true;
	return false;
}

int vfio_request_notify(struct vfio_iommu *io, int dev)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_REQ_IRQ_INDEX };
	union {
		struct vfio_irq_set set;
		char bytes[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} u = { .set = { .argsz = sizeof(u), .index = VFIO_PCI_REQ_IRQ_INDEX, .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };
	int32_t fd;
	int err = vfio_sys_ioctl(io->sys, dev, VFIO_DEVICE_GET_IRQ_INFO, &info);

	if (err || !info.count || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
		return -EOPNOTSUPP;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(u.set.data, &fd, sizeof(fd));
	err = vfio_sys_ioctl(io->sys, dev, VFIO_DEVICE_SET_IRQS, &u);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Where [@offset, +@len) of the config space is in the device fd. */
static int config_at(struct vfio_iommu *io, int fd, unsigned int offset, size_t len,
		     off_t *at)
{
	struct vfio_region_info info = { .argsz = sizeof(info),
					 .index = VFIO_PCI_CONFIG_REGION_INDEX };
	int err = vfio_sys_ioctl(io->sys, fd, VFIO_DEVICE_GET_REGION_INFO, &info);

	if (err)
		return set_error(err, "vfio: no config space region");
	if (offset > info.size || len > info.size - offset)
		return set_error(-EINVAL, "vfio: config access [0x%x, +%zu) past 0x%llx bytes",
				 offset, len, (unsigned long long)info.size);
	*at = (off_t)(info.offset + offset);
	return 0;
}

int vfio_config_read(struct vfio_iommu *io, int fd, unsigned int offset,
		     void *buf, size_t len)
{
	ssize_t n;
	off_t at = 0;	/* set unless config_at() fails */
	int err = config_at(io, fd, offset, len, &at);

	if (err)
		return err;
	n = io->sys->pread(io->sys->ctx, fd, buf, len, at);
	if (n != (ssize_t)len)
		return set_error(n < 0 ? -errno : -EIO, "vfio: config read at 0x%x failed", offset);
	return 0;
}

int vfio_config_write(struct vfio_iommu *io, int fd, unsigned int offset,
		      const void *buf, size_t len)
{
	ssize_t n;
	off_t at = 0;	/* set unless config_at() fails */
	int err = config_at(io, fd, offset, len, &at);

	if (err)
		return err;
	n = io->sys->pwrite(io->sys->ctx, fd, buf, len, at);
	if (n != (ssize_t)len)
		return set_error(n < 0 ? -errno : -EIO, "vfio: config write at 0x%x failed", offset);
	return 0;
}

int vfio_enable_dma(struct vfio_iommu *io, int fd)
{
	uint16_t cmd;
	int err = vfio_config_read(io, fd, 0x04, &cmd, sizeof(cmd));

	if (err || (cmd & 0x6) == 0x6)
		return err;
	cmd |= 0x6;		/* memory space, bus master */
	return vfio_config_write(io, fd, 0x04, &cmd, sizeof(cmd));
}
