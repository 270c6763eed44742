/* SPDX-License-Identifier: MIT */
/*
 * DOC: the fake VFIO kernel: see fake_vfio.h.
 *
 * Locking: fake_ioctl() serialises every ioctl with one lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "support/fake_vfio.h"

static void note(struct fake *f, const char *what)
{
	if (f->nlog < 32)
		snprintf(f->log[f->nlog++], 24, "%s", what);
}

static int fail_errno(int e)
{
	errno = e;
	return -1;
}

static int fake_open(void *ctx, const char *path, int flags)
{
	struct fake *f = ctx;
	char want[32];

	(void)flags;
	snprintf(want, sizeof(want), "/dev/vfio/%d", f->group);
	if (!strcmp(path, "/dev/vfio/vfio"))
		return CONTAINER;
	if (!strcmp(path, want)) {
		if (f->bound)		/* its device is bound through the cdev */
			return fail_errno(EBUSY);
		f->group_open = true;
		return GROUP_FD;
	}
	if (!strcmp(path, "/dev/vfio/devices/vfio0") && f->has_cdev) {
		f->cdev_open = true;
		return 102;
	}
	if (!strcmp(path, "/dev/iommu") && f->has_iommufd)
		return IOMMUFD_FD;
	return fail_errno(ENOENT);
}

static int fake_close(void *ctx, int fd)
{
	struct fake *f = ctx;

	f->closes++;
	if (fd == GROUP_FD)
		f->group_open = false;
	if (fd == 102 && f->cdev_open)		/* closing the cdev unbinds it */
		f->cdev_open = f->bound = f->ioas_attached = f->iommu = false;
	return 0;
}

/* A device fd the kernel answers on: a cdev only once bound (EINVAL before). */
static bool device_fd(struct fake *f, int fd)
{
	return fd == 102 && (!f->cdev_open || f->bound);
}

static bool in_a_range(struct fake *f, uint64_t s, uint64_t size)
{
	for (int i = 0; i < f->nranges; i++)
		if (s >= f->ranges[i][0] && s + size - 1 <= f->ranges[i][1])
			return true;
	return false;
}

/* A new mapping: EEXIST over an existing one, ENOMEM on request. */
static int fake_map(struct fake *f, uint64_t iova, uint64_t size)
{
	for (int i = 0; i < f->nmaps; i++)
		if (iova < f->map[i].iova + f->map[i].size && f->map[i].iova < iova + size)
			return fail_errno(EEXIST);
	if (f->fail_map)
		return fail_errno(ENOMEM);
	f->map[f->nmaps].iova = iova;
	f->map[f->nmaps++].size = size;
	return 0;
}

/* Unmap the whole mappings inside [iova, +size); EINVAL if one would be
 * split (type1v2 and iommufd alike).  *@done: bytes unmapped. */
static int fake_unmap(struct fake *f, uint64_t iova, uint64_t size, uint64_t *done)
{
	*done = 0;
	for (int i = 0; i < f->nmaps; i++) {
		uint64_t s = f->map[i].iova, e = s + f->map[i].size;

		if (s < iova + size && iova < e && (s < iova || e > iova + size))
			return fail_errno(EINVAL);
	}
	for (int i = 0; i < f->nmaps; i++)
		if (f->map[i].iova >= iova && f->map[i].iova + f->map[i].size <= iova + size) {
			*done += f->map[i].size;
			f->map[i--] = f->map[--f->nmaps];
		}
	return 0;
}

#ifdef HAVE_IOMMUFD
/* iommufd's unmap: the mappings inside [iova, +size) go in IOVA order
 * until one sticks out, which stops it with ENOENT (the ones before it
 * stay unmapped); ENOENT too if nothing was mapped.  [0, 2^64 - 1]: all. */
static int fake_unmap_iommufd(struct fake *f, uint64_t iova, uint64_t size, uint64_t *done)
{
	uint64_t last = iova + size - 1;

	*done = 0;
	if (iova == 0 && size == UINT64_MAX)
		last = UINT64_MAX;
	else if (!size)
		return fail_errno(EINVAL);
	else if (last < iova)
		return fail_errno(EOVERFLOW);
	for (;;) {
		int lo = -1;

		for (int i = 0; i < f->nmaps; i++)
			if (f->map[i].iova <= last && iova <= f->map[i].iova + f->map[i].size - 1 &&
			    (lo < 0 || f->map[i].iova < f->map[lo].iova))
				lo = i;
		if (lo < 0)
			break;
		if (f->map[lo].iova < iova || f->map[lo].iova + f->map[lo].size - 1 > last)
			return fail_errno(ENOENT);
		*done += f->map[lo].size;
		f->map[lo] = f->map[--f->nmaps];
	}
	return *done ? 0 : fail_errno(ENOENT);
}
#endif

static int fake_ioctl_locked(struct fake *f, int fd, unsigned long req, void *arg);

/* The kernel serialises a container's mappings; so does the fake. */
static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int r, e;

	pthread_mutex_lock(&lock);
	r = fake_ioctl_locked(ctx, fd, req, arg);
	e = errno;
	pthread_mutex_unlock(&lock);
	errno = e;
	return r;
}

static int fake_ioctl_locked(struct fake *f, int fd, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GET_API_VERSION:
		note(f, "api");
		return fd == CONTAINER ? f->api : fail_errno(EBADF);
	case VFIO_CHECK_EXTENSION:
		note(f, "ext");
		return f->type1v2 && (uintptr_t)arg == VFIO_TYPE1v2_IOMMU;
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		note(f, "status");
		if (fd != GROUP_FD || st->argsz != sizeof(*st))
			return fail_errno(EINVAL);
		st->flags = f->viable ? VFIO_GROUP_FLAGS_VIABLE : 0;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER:
		note(f, "set_container");
		if (fd != GROUP_FD || *(int *)arg != CONTAINER || !f->viable)
			return fail_errno(EINVAL);
		f->attached = true;
		return 0;
	case VFIO_SET_IOMMU:
		note(f, "set_iommu");
		if (!f->attached || (uintptr_t)arg != VFIO_TYPE1v2_IOMMU)
			return fail_errno(EINVAL);
		f->iommu = true;
		return 0;
	case VFIO_IOMMU_GET_INFO: {
		struct vfio_iommu_type1_info *info = arg;
		struct vfio_iommu_type1_info_cap_iova_range *cap;
		uint32_t first = (sizeof(*info) + 7) & ~7u;
		uint32_t off = first + (f->caps_4aligned ? 12 : 0);
		uint32_t need = off + sizeof(*cap) + f->nranges * sizeof(cap->iova_ranges[0]);

		note(f, "info");
		if (!f->iommu || info->argsz < sizeof(*info))
			return fail_errno(EINVAL);
		info->flags = VFIO_IOMMU_INFO_PGSIZES;
		info->iova_pgsizes = 0x40201000;
		info->cap_offset = 0;
		if (!f->caps)
			return 0;
		info->flags |= VFIO_IOMMU_INFO_CAPS;
		if (info->argsz < need) {	/* tell the caller how much room */
			info->argsz = need;
			return 0;
		}
		info->cap_offset = f->bad_chain ? info->argsz + 64 : first;
		if (f->caps_4aligned) {	/* a DMA-available capability first */
			struct vfio_info_cap_header h = { .id = 3, .version = 1, .next = off };

			memcpy((char *)info + first, &h, sizeof(h));
		}
		/* Written byte by byte: the offset need not be 8-byte aligned. */
		{
			struct vfio_iommu_type1_info_cap_iova_range c = {
				.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
				.nr_iovas = (uint32_t)f->nranges,
			};

			memcpy((char *)info + off, &c, sizeof(c));
			for (int i = 0; i < f->nranges; i++) {
				struct vfio_iova_range r = { .start = f->ranges[i][0],
							     .end = f->ranges[i][1] };

				memcpy((char *)info + off + sizeof(c) + i * sizeof(r), &r, sizeof(r));
			}
		}
		cap = (void *)((char *)info + off);
		if (f->lie == LIE_INFO_ARGSZ) {
			info->argsz = need + 4096;
			info->cap_offset = need + 1024;
		} else if (f->lie == LIE_INFO_SHORT) {
			info->argsz = 4;
			info->cap_offset = need + 1024;
		} else if (f->lie == LIE_INFO_NR) {
			cap->nr_iovas = 100000;
			info->argsz = off + sizeof(*cap) + 100000 * sizeof(cap->iova_ranges[0]);
		} else if (f->lie == LIE_INFO_LOOP) {
			cap->header.id = 0x7777;	/* not IOVA: walk on */
			cap->header.next = (uint32_t)off;
		} else if (f->lie == LIE_INFO_MISALIGNED) {
			info->cap_offset = off + 1;
		}
		return 0;
	}
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *m = arg;

		f->map_calls++;
		if (!f->iommu || m->argsz != sizeof(*m) || !m->size ||
		    m->flags != (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) ||
		    !in_a_range(f, m->iova, m->size))
			return fail_errno(EINVAL);
		return fake_map(f, m->iova, m->size);
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *u = arg;
		uint64_t done;

		f->unmap_calls++;
		if (u->argsz != sizeof(*u) || fake_unmap(f, u->iova, u->size, &done))
			return fail_errno(EINVAL);
		u->size = done;
		return 0;
	}
#ifdef HAVE_IOMMUFD
	case VFIO_DEVICE_BIND_IOMMUFD: {
		struct vfio_device_bind_iommufd *b = arg;

		/* In the order vfio_df_ioctl_bind_iommufd() checks. */
		note(f, "bind");
		if (b->argsz < sizeof(*b) || b->flags || b->iommufd < 0)
			return fail_errno(EINVAL);
		if (fd != 102 || !f->cdev_open)		/* a group's device fd */
			return fail_errno(EINVAL);
		if (f->bind_busy || f->group_open)
			return fail_errno(EBUSY);
		if (f->bound)				/* bound once only */
			return fail_errno(EINVAL);
		if (b->iommufd != IOMMUFD_FD)		/* not an iommufd */
			return fail_errno(EBADFD);
		f->bound = true;
		b->out_devid = FAKE_DEVID;
		return 0;
	}
	case IOMMU_IOAS_ALLOC: {
		struct iommu_ioas_alloc *a = arg;

		note(f, "ioas");
		if (fd != IOMMUFD_FD || a->size != sizeof(*a) || a->flags)
			return fail_errno(EINVAL);
		f->ioas_alloced = true;
		a->out_ioas_id = FAKE_IOAS;
		return 0;
	}
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
		struct vfio_device_attach_iommufd_pt *a = arg;

		note(f, "attach");
		if (!device_fd(f, fd) || a->argsz < sizeof(*a) || a->flags || !f->bound)
			return fail_errno(EINVAL);
		if (a->pt_id != FAKE_IOAS || !f->ioas_alloced)
			return fail_errno(ENOENT);
		f->ioas_attached = true;
		f->iommu = true;		/* device access allowed from here */
		a->pt_id = FAKE_HWPT;		/* the page table made for the IOAS */
		return 0;
	}
	case IOMMU_IOAS_IOVA_RANGES: {
		struct iommu_ioas_iova_ranges *q = arg;
		struct iommu_iova_range *r = (void *)(uintptr_t)q->allowed_iovas;
		/* A fresh IOAS allows everything; attaching narrows it. */
		uint32_t n = f->ioas_attached ? (uint32_t)f->nranges : 1;

		note(f, "ranges");
		if (fd != IOMMUFD_FD || q->size != sizeof(*q) || q->__reserved)
			return fail_errno(EINVAL);
		if (q->ioas_id != FAKE_IOAS || !f->ioas_alloced)
			return fail_errno(ENOENT);
		/* As many as there is room for, the count, EMSGSIZE if short. */
		for (uint32_t i = 0; i < n && i < q->num_iovas; i++) {
			r[i].start = f->ioas_attached ? f->ranges[i][0] : 0;
			r[i].last = f->ioas_attached ? f->ranges[i][1] : UINT64_MAX;
		}
		q->out_iova_alignment = f->ioas_attached ? 4096 : 1;
		if (q->num_iovas < n) {
			q->num_iovas = n;
			return fail_errno(EMSGSIZE);
		}
		q->num_iovas = n;
		return 0;
	}
	case IOMMU_IOAS_MAP: {
		struct iommu_ioas_map *m = arg;

		f->map_calls++;
		/* Stricter than the kernel on the flags: libgtt must ask for
		 * its own IOVA, readable and writeable. */
		if (fd != IOMMUFD_FD || m->size != sizeof(*m) || !m->length ||
		    m->flags != (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE))
			return fail_errno(EINVAL);
		if (m->ioas_id != FAKE_IOAS || !f->ioas_alloced)
			return fail_errno(ENOENT);
		if (!in_a_range(f, m->iova, m->length) ||
		    (f->ioas_attached && (m->iova % 4096 || m->length % 4096)))
			return fail_errno(EINVAL);
		return fake_map(f, m->iova, m->length);
	}
	case IOMMU_IOAS_UNMAP: {
		struct iommu_ioas_unmap *u = arg;
		uint64_t done;

		f->unmap_calls++;
		if (fd != IOMMUFD_FD || u->size != sizeof(*u))
			return fail_errno(EINVAL);
		if (u->ioas_id != FAKE_IOAS || !f->ioas_alloced)
			return fail_errno(ENOENT);
		if (fake_unmap_iommufd(f, u->iova, u->length, &done))
			return -1;
		u->length = done;
		return 0;
	}
#endif
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *ii = arg;

		if (!device_fd(f, fd) || ii->argsz != sizeof(*ii))
			return fail_errno(EINVAL);
		ii->count = ii->index == VFIO_PCI_REQ_IRQ_INDEX ? 1 : 0;
		ii->flags = ii->count ? VFIO_IRQ_INFO_EVENTFD : 0;
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *is = arg;

		if (!device_fd(f, fd) || is->argsz != sizeof(*is) + sizeof(int32_t) ||
		    is->index != VFIO_PCI_REQ_IRQ_INDEX || is->start || is->count != 1 ||
		    is->flags != (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER))
			return fail_errno(EINVAL);
		memcpy(&f->req_fd, is->data, sizeof(int32_t));
		return 0;
	}
	case VFIO_GROUP_GET_DEVICE_FD:
		if (fd != GROUP_FD || !f->iommu || strcmp(arg, "0000:00:03.0"))
			return fail_errno(EINVAL);
		return 102;
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info *ri = arg;
		struct vfio_region_info_cap_sparse_mmap *sp;
		uint32_t need = sizeof(*ri) + sizeof(*sp) + 2 * sizeof(sp->areas[0]);
		bool cfg = ri->index == VFIO_PCI_CONFIG_REGION_INDEX;
		uint64_t *hole;

		if (!device_fd(f, fd) || ri->argsz < sizeof(*ri))
			return fail_errno(EINVAL);
		if (ri->index != 0 && ri->index != 2 && !cfg)
			return fail_errno(EINVAL);
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		if (ri->index == 0 || (ri->index == 2 && f->region_mmap))
			ri->flags |= VFIO_REGION_INFO_FLAG_MMAP;
		ri->size = cfg ? 256 : ri->index == 0 ? 16 << 20 : 1 << 20;
		ri->offset = (uint64_t)ri->index << 40;
		ri->cap_offset = 0;
		if (!cfg && f->lie == LIE_REGION_OFFSET)
			ri->offset = UINT64_MAX - 4095;
		if (!cfg && f->lie == LIE_REGION_SHORT) {
			ri->flags |= VFIO_REGION_INFO_FLAG_CAPS;
			ri->argsz = 0;
			ri->cap_offset = 4096;
			return 0;
		}
		hole = ri->index == 0 ? f->bar0_hole : f->bar2_hole;
		if (cfg || !hole[1])
			return 0;
		/* A sparse-mmap capability: everything but the hole. */
		ri->flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (ri->argsz < need) {
			ri->argsz = need;
			return 0;
		}
		ri->cap_offset = sizeof(*ri);
		sp = (void *)(ri + 1);
		sp->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		sp->header.next = 0;
		sp->nr_areas = 0;
		if (hole[0])
			sp->areas[sp->nr_areas++] = (struct vfio_region_sparse_mmap_area){ 0, hole[0] };
		if (hole[0] + hole[1] < ri->size)
			sp->areas[sp->nr_areas++] = (struct vfio_region_sparse_mmap_area){
				hole[0] + hole[1], ri->size - hole[0] - hole[1] };
		if (f->lie == LIE_REGION_ARGSZ) {
			ri->argsz = need + 4096;
			ri->cap_offset = need + 512;
		} else if (f->lie == LIE_REGION_NR) {
			sp->nr_areas = 100000;
			ri->argsz = sizeof(*ri) + sizeof(*sp) + 100000 * sizeof(sp->areas[0]);
		} else if (f->lie == LIE_REGION_LOOP) {
			sp->header.id = 0x7777;		/* not sparse-mmap: walk on */
			sp->header.next = sizeof(*ri);
		}
		return 0;
	}
	}
	return fail_errno(ENOTTY);
}

/*
 * BAR0 is one memfd mapped twice: the backend gets a read-only view, so a
 * store that bypasses mmio_write() kills the test; mmio_write() checks
 * each store (inside BAR0, naturally aligned, 4 or 8 bytes), records it
 * and performs it through the writable view.
 */
static void *fake_mmap(void *ctx, void *fixed, size_t len, int fd, off_t off)
{
	struct fake *f = ctx;
	uint64_t bar0_off = (uint64_t)off;
	void *p;

	if (fd < 0) {				/* a reservation */
		f->maps_live++;
		return mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (!device_fd(f, fd))
		return (errno = EINVAL, MAP_FAILED);
	if ((uint64_t)off >> 40 == 2) {		/* region 2: plain memory */
		if (!fixed)
			f->maps_live++;
		return mmap(fixed, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | (fixed ? MAP_FIXED : 0), -1, 0);
	}
	if ((uint64_t)off >> 40 != 0)
		return (errno = EINVAL, MAP_FAILED);
	if (!f->bar0_rw) {
		int mfd = memfd_create("fake-bar0", 0);

		assert_true(mfd >= 0);
		f->bar0_len = 16 << 20;
		assert_int_equal(ftruncate(mfd, (off_t)f->bar0_len), 0);
		f->bar0_rw = mmap(NULL, f->bar0_len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		f->bar0_fd = mfd;
		assert_true(f->bar0_rw != MAP_FAILED);
		memcpy((char *)f->bar0_rw + (8 << 20), f->preset, sizeof(f->preset));
		((uint64_t *)f->bar0_rw)[f->bar0_len / 8 - 1] = f->preset_last;
	}
	if (!fixed)
		f->maps_live++;
	p = mmap(fixed, len, PROT_READ, MAP_SHARED | (fixed ? MAP_FIXED : 0), f->bar0_fd, off);
	assert_true(p != MAP_FAILED);
	f->bar0 = (char *)p - bar0_off;		/* where BAR0 starts for the backend */
	return p;
}

static void fake_mmio_write(void *ctx, void *addr, uint64_t value, unsigned int width)
{
	struct fake *f = ctx;
	uint64_t off = (uint64_t)((char *)addr - (char *)f->bar0);

	if ((char *)addr < (char *)f->bar0 || off + width > f->bar0_len ||
	    (width != 4 && width != 8) || off % width) {
		f->bad_stores++;
		return;
	}
	f->stores[width]++;
	f->last[f->nstores++ % 16] = (typeof(f->last[0])){ off, value, width };
	if (f->drop_writes)
		return;
	if (width == 8)
		__atomic_store_n((uint64_t *)((char *)f->bar0_rw + off), value, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint32_t *)((char *)f->bar0_rw + off), (uint32_t)value,
				 __ATOMIC_RELAXED);
}

void fake_vanish(struct fake *f)
{
	f->gone = f->drop_writes = true;
	memset(f->bar0_rw, 0xff, f->bar0_len);	/* reads of a missing device */
}

/* Config space accesses: @at receives the offset, or errno is set. */
static bool config_access(struct fake *f, int fd, size_t len, off_t off, uint64_t *at)
{
	*at = (uint64_t)off - ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40);
	if (f->gone)
		return (errno = ENODEV, false);
	if (!device_fd(f, fd) || *at > 256 || len > 256 - *at)
		return (errno = EINVAL, false);
	return true;
}

static ssize_t fake_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	struct fake *f = ctx;
	uint64_t at;

	if (!config_access(f, fd, len, off, &at))
		return -1;
	memcpy(buf, f->config + at, len);
	return (ssize_t)len;
}

static ssize_t fake_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct fake *f = ctx;
	uint64_t at;

	if (!config_access(f, fd, len, off, &at))
		return -1;
	memcpy(f->config + at, buf, len);
	return (ssize_t)len;
}

/* PCI config space of a fake GPU: vendor, device, GGC at 0x50. */
void fake_gpu(struct fake *f, uint16_t vendor, uint16_t device, uint16_t ggc)
{
	memcpy(f->config, &vendor, 2);
	memcpy(f->config + 2, &device, 2);
	memcpy(f->config + 0x50, &ggc, 2);
}

static int fake_munmap(void *ctx, void *addr, size_t len)
{
	struct fake *f = ctx;

	f->maps_live--;
	if (addr == f->bar0 && f->bar0_rw) {
		munmap(f->bar0_rw, f->bar0_len);
		close(f->bar0_fd);
		f->bar0 = f->bar0_rw = NULL;
	}
	return munmap(addr, len);
}

static int fake_list_dir(void *ctx, const char *path, char *first, size_t size)
{
	struct fake *f = ctx;

	if (!f->has_cdev || strcmp(path, "/sys/bus/pci/devices/0000:00:03.0/vfio-dev"))
		return -ENOENT;
	snprintf(first, size, "vfio0");
	return 0;
}

struct fake fake_good(void)
{
	return (struct fake){ .group = 7, .api = VFIO_API_VERSION, .type1v2 = true,
			      .viable = true, .caps = true, .nranges = 2,
			      .ranges = { { 0, 0xfedfffff }, { 0xfef00000, 0x7fffffffff } } };
}

struct vfio_sys fake_sys(struct fake *f)
{
	return (struct vfio_sys){ .ctx = f, .open = fake_open, .close = fake_close,
				  .ioctl = fake_ioctl, .mmap = fake_mmap, .munmap = fake_munmap,
				  .pread = fake_pread, .pwrite = fake_pwrite, .mmio_write = fake_mmio_write,
				  .list_dir = fake_list_dir };
}
