/* SPDX-License-Identifier: MIT */
/*
 * VFIO IOMMU plumbing: see vfio_iommu.h.  The order of operations follows
 * the kernel's VFIO documentation (the legacy container/group flow):
 * container -> API version -> type1v2 extension -> group -> viable? ->
 * SET_CONTAINER -> SET_IOMMU(type1v2) -> IOMMU_GET_INFO (+ capability
 * chain for the IOVA ranges) -> MAP_DMA / UNMAP_DMA.  The cdev + iommufd
 * flow is vfio_iommufd.c; both share the IOVA allocator and device code.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "alloc/range_alloc_internal.h"
#include "base/util.h"
#include "vfio_iommu.h"

static int real_open(void *ctx, const char *path, int flags)
{
	(void)ctx;
	return open(path, flags | O_CLOEXEC);
}

static int real_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd);
}

static int real_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	(void)ctx;
	return ioctl(fd, request, arg);
}

static void *real_mmap(void *ctx, void *fixed, size_t len, int fd, off_t offset)
{
	(void)ctx;
	if (fd < 0)		/* reserve address space */
		return mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return mmap(fixed, len, PROT_READ | PROT_WRITE, MAP_SHARED | (fixed ? MAP_FIXED : 0),
		    fd, offset);
}

static int real_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	return munmap(addr, len);
}

static ssize_t real_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pread(fd, buf, len, off);
}

static ssize_t real_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, len, off);
}

static int real_list_dir(void *ctx, const char *path, char *first, size_t size)
{
	(void)ctx;
	return dir_first_entry(path, first, size);
}

const struct vfio_sys vfio_sys_real = {
	.open = real_open, .close = real_close, .ioctl = real_ioctl,
	.mmap = real_mmap, .munmap = real_munmap, .pread = real_pread,
	.pwrite = real_pwrite, .list_dir = real_list_dir,
};

int vfio_sys_ioctl(struct vfio_iommu *io, int fd, unsigned long req, void *arg)
{
	int r = io->sys->ioctl(io->sys->ctx, fd, req, arg);

	return r < 0 ? -errno : r;
}

/*
 * The capability at @off of a VFIO info answer, @len bytes of it: inside the
 * @room bytes we gave the kernel (never the argsz it wrote back, which may
 * lie), after the fixed @base part, 8-byte aligned as the kernel lays them.
 */
static const void *cap_at(const void *buf, size_t room, size_t base, uint32_t off,
			  size_t len, const char *what, int *err)
{
	if (off < base || off % 8 || off > room || len > room - off) {
		*err = set_error(-EIO, "vfio: %s capability [%u, +%zu) is misaligned or outside "
				 "the %zu-byte answer", what, off, len, room);
		return NULL;
	}
	return (const char *)buf + off;
}

/* The next capability after @h at @off; chains only go forward. */
static int cap_next(const struct vfio_info_cap_header *h, uint32_t *off, const char *what)
{
	if (h->next && h->next <= *off)
		return set_error(-EIO, "vfio: %s capability chain loops (%u -> %u)",
				 what, *off, h->next);
	*off = h->next;
	return 0;
}

/* Read the IOVA ranges from the IOMMU info capability chain. */
static int read_info(struct vfio_iommu *io)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	struct vfio_iommu_type1_info *info;
	size_t room;
	uint32_t off;
	int err;

	err = vfio_sys_ioctl(io, io->container, VFIO_IOMMU_GET_INFO, &probe);
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
	err = vfio_sys_ioctl(io, io->container, VFIO_IOMMU_GET_INFO, info);
	if (err)
		err = set_error(err, "vfio: VFIO_IOMMU_GET_INFO failed");
	else if (info->argsz > room || info->argsz < sizeof(*info))
		err = set_error(-EIO, "vfio: VFIO_IOMMU_GET_INFO answered %u bytes into %zu",
				info->argsz, room);
	off = !err && (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	while (!err && off) {
		const struct vfio_info_cap_header *h;
		const struct vfio_iommu_type1_info_cap_iova_range *c;

		h = cap_at(info, info->argsz, sizeof(*info), off, sizeof(*h), "IOMMU info", &err);
		if (!h)
			break;
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			c = cap_at(info, info->argsz, sizeof(*info), off, sizeof(*c), "IOVA range", &err);
			if (c && (uint64_t)c->nr_iovas * sizeof(c->iova_ranges[0]) >
				 info->argsz - off - sizeof(*c))
				err = set_error(-EIO, "vfio: %u IOVA ranges overrun the %u-byte info",
						c->nr_iovas, info->argsz);
			for (uint32_t i = 0; !err && i < c->nr_iovas && io->nranges < VFIO_MAX_RANGES; i++) {
				io->ranges[io->nranges][0] = c->iova_ranges[i].start;
				io->ranges[io->nranges][1] = c->iova_ranges[i].end;
				io->nranges++;
			}
		}
		if (!err)
			err = cap_next(h, &off, "IOMMU info");
	}
	mem_free(info);
	if (!err && !io->nranges)
		err = set_error(-EPROTO, "vfio: the IOMMU reports no usable IOVA range");
	return err;
}

/* Exclusive, page-aligned end of a range whose last byte is @last. */
static uint64_t range_end(uint64_t last)
{
	return last == UINT64_MAX ? UINT64_MAX & ~4095ull : (last + 1) & ~4095ull;
}

/* An allocator over the usable ranges (page-aligned), gaps reserved. */
int vfio_iova_space_init(struct vfio_iommu *io)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	struct gtt_range_node *n;
	int err;

	for (unsigned int i = 0; i < io->nranges; i++) {
		lo = u64_min(lo, (io->ranges[i][0] + 4095) & ~4095ull);
		hi = u64_max(hi, range_end(io->ranges[i][1]));
	}
	/* Leave IOVA 0 unused: a zero address is the classic DMA bug. */
	if (lo == 0)
		lo = 4096;
	if (hi <= lo)
		return set_error(-EPROTO, "vfio: IOVA ranges leave no page to map");
	err = gtt_range_alloc_create(lo, hi - lo, 4096, 0, &io->iova);
	if (err)
		return err;
	/* Reserve every page of [lo, hi) that no range covers. */
	for (uint64_t at = lo; at < hi;) {
		uint64_t next = hi;
		bool inside = false;

		for (unsigned int i = 0; i < io->nranges; i++) {
			if (at >= io->ranges[i][0] && at <= io->ranges[i][1]) {
				inside = true;
				next = u64_min(hi, range_end(io->ranges[i][1]));
				break;
			}
			if (io->ranges[i][0] > at)
				next = u64_min(next, (io->ranges[i][0] + 4095) & ~4095ull);
		}
		if (!inside) {
			err = gtt_range_reserve(io->iova, at, next - at, 0, NULL, &n);
			if (err)
				return err;
		}
		at = next > at ? next : hi;
	}
	return 0;
}

void vfio_iommu_init(struct vfio_iommu *io, const struct vfio_sys *sys)
{
	memset(io, 0, sizeof(*io));
	io->sys = sys;
	io->container = io->group = io->cdev = -1;
	pthread_mutex_init(&io->lock, NULL);
}

int vfio_iommu_open(struct vfio_iommu *io, const struct vfio_sys *sys, int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32];
	int err, r;

	vfio_iommu_init(io, sys);
	io->container = sys->open(sys->ctx, "/dev/vfio/vfio", O_RDWR);
	if (io->container < 0) {
		err = set_error(-errno, "vfio: cannot open /dev/vfio/vfio (is the vfio module loaded?)");
		goto fail;
	}
	r = vfio_sys_ioctl(io, io->container, VFIO_GET_API_VERSION, NULL);
	if (r != VFIO_API_VERSION) {
		err = set_error(-EPROTO, "vfio: API version %d, expected %d", r, VFIO_API_VERSION);
		goto fail;
	}
	if (vfio_sys_ioctl(io, io->container, VFIO_CHECK_EXTENSION,
		      (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU) <= 0) {
		err = set_error(-EOPNOTSUPP, "vfio: the kernel has no type1v2 IOMMU (load vfio_iommu_type1)");
		goto fail;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	io->group = sys->open(sys->ctx, path, O_RDWR);
	if (io->group < 0) {
		err = set_error(-errno, "vfio: cannot open %s: bind the group's devices to vfio-pci "
				"(echo vfio-pci > /sys/bus/pci/devices/BDF/driver_override; "
				"echo BDF > /sys/bus/pci/drivers_probe)", path);
		goto fail;
	}
	err = vfio_sys_ioctl(io, io->group, VFIO_GROUP_GET_STATUS, &st);
	if (err)
		goto fail;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		err = set_error(-EPERM, "vfio: group %d is not viable: every device in "
				"/sys/kernel/iommu_groups/%d/devices must be bound to vfio-pci "
				"(or unbound)", group, group);
		goto fail;
	}
	err = vfio_sys_ioctl(io, io->group, VFIO_GROUP_SET_CONTAINER, &io->container);
	if (!err)
		err = vfio_sys_ioctl(io, io->container, VFIO_SET_IOMMU,
				(void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (err) {
		set_error(err, "vfio: cannot attach group %d to a type1v2 container", group);
		goto fail;
	}
	err = read_info(io);
	if (!err)
		err = vfio_iova_space_init(io);
	if (!err)
		return 0;
fail:
	vfio_iommu_close(io);
	return err;
}

/* The kernel side of a mapping, in either flow. */
static int kernel_map(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)cpu, .iova = iova, .size = size,
	};
	int err = io->iommufd ? iommufd_kernel_map(io, cpu, size, iova)
			      : vfio_sys_ioctl(io, io->container, VFIO_IOMMU_MAP_DMA, &map);

	if (err)
		set_error(err, "vfio: %s of 0x%llx bytes failed",
			  io->iommufd ? "IOMMU_IOAS_MAP" : "VFIO_IOMMU_MAP_DMA",
			  (unsigned long long)size);
	return err;
}

static int kernel_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap un = { .argsz = sizeof(un), .iova = iova, .size = size };
	uint64_t done = size;
	int err;

	if (io->iommufd) {
		err = iommufd_kernel_unmap(io, iova, &done);
	} else {
		err = vfio_sys_ioctl(io, io->container, VFIO_IOMMU_UNMAP_DMA, &un);
		done = un.size;
	}
	if (err)
		return set_error(err, "vfio: %s failed",
				 io->iommufd ? "IOMMU_IOAS_UNMAP" : "VFIO_IOMMU_UNMAP_DMA");
	if (done != size)
		return set_error(-EIO, "vfio: the kernel unmapped 0x%llx bytes, not 0x%llx",
				 (unsigned long long)done, (unsigned long long)size);
	return 0;
}

int vfio_dma_map_aligned(struct vfio_iommu *io, void *cpu, uint64_t size,
			 uint64_t align, uint64_t *iova)
{
	struct gtt_range_request req = { .size = size, .alignment = align };
	struct gtt_range_node *n;
	int err;

	if (!io->sys || !size || size % 4096 || (uintptr_t)cpu % 4096)
		return set_error(-EINVAL, "vfio: DMA map of %p +0x%llx is empty or not page aligned",
				 cpu, (unsigned long long)size);
	pthread_mutex_lock(&io->lock);
	err = gtt_range_insert(io->iova, &req, cpu, &n);
	if (!err) {
		err = kernel_map(io, cpu, size, n->start);
		if (err)
			gtt_range_remove(io->iova, n);
		else
			*iova = n->start;
	}
	pthread_mutex_unlock(&io->lock);
	return err;
}

int vfio_dma_map(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t *iova)
{
	return vfio_dma_map_aligned(io, cpu, size, 0, iova);
}

int vfio_dma_alloc_zeroed(struct vfio_iommu *io, uint64_t size, void **cpu, uint64_t *iova)
{
	void *p = aligned_alloc(size, size);
	int err;

	if (!p)
		return set_error(-ENOMEM, "vfio: out of memory for 0x%llx bytes of DMA memory",
				 (unsigned long long)size);
	memset(p, 0, size);
	err = vfio_dma_map_aligned(io, p, size, size, iova);
	if (err)
		free(p);
	else
		*cpu = p;
	return err;
}

int vfio_dma_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size)
{
	struct gtt_range_node *n;
	int err;

	if (!io->sys)
		return set_error(-EINVAL, "vfio: DMA unmap on a closed IOMMU");
	pthread_mutex_lock(&io->lock);
	n = gtt_range_lookup(io->iova, iova);
	/* type1v2 and iommufd refuse to split a mapping: only whole ones go. */
	if (!n || !n->owner || n->start != iova || n->size != size)
		err = set_error(-EINVAL, "vfio: [0x%llx, +0x%llx) is not exactly one DMA mapping",
				(unsigned long long)iova, (unsigned long long)size);
	else if (!(err = kernel_unmap(io, iova, size)))
		gtt_range_remove(io->iova, n);
	pthread_mutex_unlock(&io->lock);
	return err;
}

void *vfio_dma_cpu(struct vfio_iommu *io, uint64_t iova)
{
	struct gtt_range_node *n;
	void *cpu = NULL;

	pthread_mutex_lock(&io->lock);
	n = gtt_range_lookup(io->iova, iova);
	if (n && n->owner)
		cpu = (char *)n->owner + (iova - n->start);
	pthread_mutex_unlock(&io->lock);
	return cpu;
}

void vfio_iommu_close(struct vfio_iommu *io)
{
	if (io->iova) {
		struct gtt_range_node *n = gtt_range_first(io->iova), *next;

		for (; n; n = next) {
			next = gtt_range_next(io->iova, n);
			if (n->owner)
				vfio_dma_unmap(io, n->start, n->size);
		}
		gtt_range_alloc_destroy(io->iova);
		io->iova = NULL;
	}
	if (io->cdev >= 0)		/* closing it unbinds it from the iommufd */
		io->sys->close(io->sys->ctx, io->cdev);
	if (io->group >= 0)
		io->sys->close(io->sys->ctx, io->group);
	if (io->container >= 0)
		io->sys->close(io->sys->ctx, io->container);
	io->group = io->container = io->cdev = -1;
	if (io->sys)
		pthread_mutex_destroy(&io->lock);
	io->sys = NULL;
}

int vfio_device_open(struct vfio_iommu *io, const char *bdf, int *fd)
{
	int r;

	if (io->iommufd) {		/* the cdev, opened and bound already */
		*fd = io->cdev;
		return 0;
	}
	r = io->sys->ioctl(io->sys->ctx, io->group, VFIO_GROUP_GET_DEVICE_FD, (void *)bdf);
	if (r < 0)
		return set_error(-errno, "vfio: device %s is not in the group (or not bound to vfio-pci)", bdf);
	*fd = r;
	return 0;
}

void vfio_device_close(struct vfio_iommu *io, int fd)
{
	if (fd >= 0 && !io->iommufd)	/* iommufd: the cdev goes with the IOMMU */
		io->sys->close(io->sys->ctx, fd);
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
		const struct vfio_region_info_cap_sparse_mmap *sp;

		h = cap_at(info, info->argsz, sizeof(*info), off, sizeof(*h), "region info", &err);
		if (!h)
			return err;
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			sp = cap_at(info, info->argsz, sizeof(*info), off, sizeof(*sp), "region sparse-mmap",
				    &err);
			if (!sp)
				return err;
			if ((uint64_t)sp->nr_areas * sizeof(sp->areas[0]) > info->argsz - off - sizeof(*sp))
				return set_error(-EIO, "vfio: %u sparse-mmap areas overrun the %u-byte region info",
						 sp->nr_areas, info->argsz);
			if (sp->nr_areas > VFIO_MAX_AREAS)
				return set_error(-EOPNOTSUPP, "vfio: %u sparse-mmap areas, more than %d",
						 sp->nr_areas, VFIO_MAX_AREAS);
			r->nareas = 0;
			for (uint32_t i = 0; i < sp->nr_areas; i++) {
				uint64_t a = sp->areas[i].offset, n = sp->areas[i].size;

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
		err = cap_next(h, &off, "region info");
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
	err = vfio_sys_ioctl(io, fd, VFIO_DEVICE_GET_REGION_INFO, &probe);
	if (err)
		return set_error(err, "vfio: no region %u", index);
	if (probe.argsz > sizeof(probe)) {	/* capabilities follow: ask again */
		info = mem_zalloc(probe.argsz);
		if (!info)
			return set_error(-ENOMEM, "vfio: out of memory for region info");
		info->argsz = probe.argsz;
		info->index = index;
		err = vfio_sys_ioctl(io, fd, VFIO_DEVICE_GET_REGION_INFO, info);
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
	int err = vfio_sys_ioctl(io, dev, VFIO_DEVICE_GET_IRQ_INFO, &info);

	if (err || !info.count || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
		return -EOPNOTSUPP;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(u.set.data, &fd, sizeof(fd));
	err = vfio_sys_ioctl(io, dev, VFIO_DEVICE_SET_IRQS, &u);
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
	int err = vfio_sys_ioctl(io, fd, VFIO_DEVICE_GET_REGION_INFO, &info);

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
