/* SPDX-License-Identifier: MIT */
/*
 * VFIO IOMMU plumbing for the VFIO backends: the legacy container/group
 * flow with the type1v2 IOMMU (vfio_iommu.c) or the cdev + iommufd flow
 * (vfio_iommufd.c), the IOVA space the kernel reports, DMA mappings with
 * exact-range bookkeeping, device fds, regions and config space.
 *
 * Every system call goes through struct vfio_sys, so the tests can put a
 * fake VFIO layer underneath (tests/test_vfio.c) and the guest test the
 * real one (tests/guest/).
 */
#ifndef GTT_BACKENDS_VFIO_IOMMU_H
#define GTT_BACKENDS_VFIO_IOMMU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gtt/range_alloc.h>

struct vfio_sys {
	void *ctx;
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	/* Returns the ioctl's result, or -1 with errno set, like ioctl(2). */
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	/* Map @len bytes of @fd at @offset read/write and shared, at @fixed if
	 * not NULL (replacing what is there); with @fd < 0, reserve @len bytes
	 * of inaccessible address space.  MAP_FAILED on error. */
	void *(*mmap)(void *ctx, void *fixed, size_t len, int fd, off_t offset);
	int (*munmap)(void *ctx, void *addr, size_t len);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, off_t offset);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t offset);
	/* Optional: one aligned @width-byte (4 or 8) store into a mapped BAR.
	 * NULL (the real layer): the backend stores directly. */
	void (*mmio_write)(void *ctx, void *addr, uint64_t value, unsigned int width);
	/* The first entry (not . or ..) of directory @path: 0 or -errno. */
	int (*list_dir)(void *ctx, const char *path, char *first, size_t size);
};

/* The real system calls. */
extern const struct vfio_sys vfio_sys_real;

#define VFIO_MAX_RANGES 16

struct vfio_iommu {
	const struct vfio_sys *sys;
	int container;			/* /dev/vfio/vfio, or /dev/iommu */
	int group;			/* legacy: /dev/vfio/N */
	bool iommufd;			/* cdev + iommufd flow */
	int cdev;			/* iommufd: /dev/vfio/devices/vfioN */
	uint32_t ioas;			/* iommufd: the IO address space */
	uint64_t pgsizes;		/* IOMMU page sizes (bitmap) */
	uint64_t ranges[VFIO_MAX_RANGES][2];	/* usable IOVA [start, end] */
	unsigned int nranges;
	/* IOVA allocator: one node per DMA mapping (owner = CPU address);
	 * the gaps between usable ranges are reserved nodes. */
	struct gtt_range_alloc *iova;
	pthread_mutex_t lock;		/* the IOVA allocator */
};

/*
 * Open /dev/vfio/vfio and /dev/vfio/@group, check the API version, type1v2
 * and group viability, attach, select type1v2 and read the IOVA ranges.
 * Errors say what to fix (e.g. which group to bind to vfio-pci).
 */
int vfio_iommu_open(struct vfio_iommu *io, const struct vfio_sys *sys,
		    int group);
/*
 * The cdev + iommufd flow: open /dev/iommu and the device's cdev (found
 * through /sys/bus/pci/devices/@bdf/vfio-dev), bind, allocate an IOAS,
 * attach, read the IOVA ranges.  -EOPNOTSUPP when built without the
 * Linux >= 6.6 uAPI headers.
 */
int vfio_iommufd_open(struct vfio_iommu *io, const struct vfio_sys *sys,
		      const char *bdf);
/* Unmap everything still mapped and close the descriptors. */
void vfio_iommu_close(struct vfio_iommu *io);
/* Map [@cpu, @cpu + @size) for device DMA at a fresh IOVA. */
int vfio_dma_map(struct vfio_iommu *io, void *cpu, uint64_t size,
		 uint64_t *iova);
/* The same, at an IOVA that is a multiple of @align (a power of two). */
int vfio_dma_map_aligned(struct vfio_iommu *io, void *cpu, uint64_t size,
			 uint64_t align, uint64_t *iova);
/* Zeroed memory of @size (a power of two) mapped at an IOVA aligned to
 * @size: *@cpu is free()d by the caller after unmapping. */
int vfio_dma_alloc_zeroed(struct vfio_iommu *io, uint64_t size, void **cpu, uint64_t *iova);
/* The CPU address behind a mapped @iova, or NULL. */
void *vfio_dma_cpu(struct vfio_iommu *io, uint64_t iova);
/* Unmap exactly one earlier mapping (type1v2 cannot split one). */
int vfio_dma_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size);

/* The device @bdf ("0000:00:03.0") of the open group: a device fd. */
int vfio_device_open(struct vfio_iommu *io, const char *bdf, int *fd);
void vfio_device_close(struct vfio_iommu *io, int fd);
#define VFIO_MAX_AREAS 8

/* A mapped region: one address range; only the areas are accessible. */
struct vfio_region {
	void *ptr;
	uint64_t size;
	unsigned int nareas;
	uint64_t areas[VFIO_MAX_AREAS][2];	/* mmapped [offset, +size) */
};

/*
 * mmap region @index (a BAR) of device @fd read/write.  With a sparse-mmap
 * capability (e.g. around an MSI-X table) the region's address range is
 * reserved and each area mapped in place; the holes stay inaccessible.
 * -EOPNOTSUPP without the MMAP flag or with no mappable area.
 */
int vfio_region_map(struct vfio_iommu *io, int fd, unsigned int index,
		    struct vfio_region *r);
void vfio_region_unmap(struct vfio_iommu *io, struct vfio_region *r);
/* [@off, @off + @len) lies in one mapped area. */
bool vfio_region_covers(const struct vfio_region *r, uint64_t off, uint64_t len);
/* Read @len bytes of the device's PCI config space at @offset. */
int vfio_config_read(struct vfio_iommu *io, int fd, unsigned int offset,
		     void *buf, size_t len);
int vfio_config_write(struct vfio_iommu *io, int fd, unsigned int offset,
		      const void *buf, size_t len);
/*
 * An eventfd the kernel signals when it wants device @dev back (hot
 * unplug, driver unbind: vfio-pci's request IRQ); the removal waits until
 * the device fd is closed.  Returns the eventfd, or -EOPNOTSUPP / -errno.
 */
int vfio_request_notify(struct vfio_iommu *io, int dev);
/* Turn on memory decoding and bus mastering (PCI COMMAND bits 1 and 2):
 * vfio-pci leaves bus mastering off, and a GPU that cannot master cannot
 * read the pages its entries point at. */
int vfio_enable_dma(struct vfio_iommu *io, int fd);

/* Shared by both flows. */
void vfio_iommu_init(struct vfio_iommu *io, const struct vfio_sys *sys);
int vfio_sys_ioctl(struct vfio_iommu *io, int fd, unsigned long req, void *arg);
int vfio_iova_space_init(struct vfio_iommu *io);
int iommufd_kernel_map(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t iova);
int iommufd_kernel_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t *size);

struct gtt_backend;
struct gtt_vfio_config;
/* gtt_vfio_create() over the system calls of @sys (tests give a fake). */
int vfio_backend_create(const struct gtt_vfio_config *cfg,
			const struct vfio_sys *sys, struct gtt_backend **out);

#endif
