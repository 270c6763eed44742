/* SPDX-License-Identifier: MIT */
/*
 * DOC: a VFIO IOMMU, opened through one of two flows, and its DMA mappings.
 *
 * The legacy container/group flow with the type1v2 IOMMU (vfio_group.c)
 * and the cdev + iommufd flow (vfio_iommufd.c) each fill a struct
 * vfio_iommu_ops when they open; everything after the open (DMA map and
 * unmap with exact-range bookkeeping, device fds, closing) goes through
 * that table, so neither flow knows the other and vfio_iommu.c knows
 * neither.  The IOVA space is vfio_iova.c; device regions, config space
 * and IRQs are vfio_device.c.
 *
 * Locking: vfio_iommu.lock covers the IOVA allocator and the map/unmap
 * ioctl that goes with each choice; opening and closing are the owner's.
 */
#ifndef GTT_BACKENDS_VFIO_IOMMU_H
#define GTT_BACKENDS_VFIO_IOMMU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_iova.h"
#include "vfio_sys.h"

#define VFIO_MAX_RANGES 16

struct vfio_iommu;

/* What differs between the two flows, once open. */
struct vfio_iommu_ops {
	/* Read the usable IOVA ranges and the page sizes into the IOMMU. */
	int (*ranges)(struct vfio_iommu *io);
	/* Map [@cpu, +@size) at @iova in the kernel (0, or -errno with a message). */
	int (*map)(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t iova);
	/* Unmap [@iova, +@size): *@done is what the kernel says it unmapped. */
	int (*unmap)(struct vfio_iommu *io, uint64_t iova, uint64_t size, uint64_t *done);
	/* A device fd for @bdf, and its release. */
	int (*device_open)(struct vfio_iommu *io, const char *bdf, int *fd);
	void (*device_close)(struct vfio_iommu *io, int fd);
	/* Close the flow's descriptors (the mappings are gone by then). */
	void (*close)(struct vfio_iommu *io);
};

struct vfio_iommu {
	const struct vfio_sys *sys;
	const struct vfio_iommu_ops *ops;	/* the flow that opened it */
	int container;			/* /dev/vfio/vfio, or /dev/iommu */
	int group;			/* group flow: /dev/vfio/N */
	int cdev;			/* iommufd: /dev/vfio/devices/vfioN */
	uint32_t ioas;			/* iommufd: the IO address space */
	uint64_t pgsizes;		/* IOMMU page sizes (bitmap) */
	uint64_t ranges[VFIO_MAX_RANGES][2];	/* usable IOVA [start, end] */
	unsigned int nranges;
	struct vfio_iova iova;		/* one node per DMA mapping */
	pthread_mutex_t lock;		/* the IOVA allocator */
};

/*
 * The group flow (vfio_group.c): open /dev/vfio/vfio and /dev/vfio/@group,
 * check the API version, type1v2 and group viability, attach, select
 * type1v2 and read the IOVA ranges.  Errors say what to fix (e.g. which
 * group to bind to vfio-pci).
 */
int vfio_iommu_open(struct vfio_iommu *io, const struct vfio_sys *sys,
		    int group);
/*
 * The cdev + iommufd flow (vfio_iommufd.c): open /dev/iommu and the
 * device's cdev (found through /sys/bus/pci/devices/@bdf/vfio-dev), bind,
 * allocate an IOAS, attach, read the IOVA ranges.  -EOPNOTSUPP when built
 * without the Linux >= 6.6 uAPI headers.
 */
int vfio_iommufd_open(struct vfio_iommu *io, const struct vfio_sys *sys,
		      const char *bdf);

/* For the flows' open functions: an IOMMU with nothing open, on @ops. */
void vfio_iommu_init(struct vfio_iommu *io, const struct vfio_sys *sys,
		     const struct vfio_iommu_ops *ops);
/* For the flows' open functions, once attached: read the ranges and set up
 * the IOVA space.  On failure the caller closes. */
int vfio_iommu_attached(struct vfio_iommu *io);
/* Unmap everything still mapped and close the descriptors. */
void vfio_iommu_close(struct vfio_iommu *io);

/* Map [@cpu, @cpu + @size) for device DMA at a fresh IOVA. */
int vfio_dma_map(struct vfio_iommu *io, void *cpu, uint64_t size,
		 uint64_t *iova);
/* The same, at an IOVA that is a multiple of @align (a power of two). */
int vfio_dma_map_aligned(struct vfio_iommu *io, void *cpu, uint64_t size,
			 uint64_t align, uint64_t *iova);
/* Unmap exactly one earlier mapping (type1v2 cannot split one). */
int vfio_dma_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size);
/* The CPU address behind a mapped @iova, or NULL. */
void *vfio_dma_cpu(struct vfio_iommu *io, uint64_t iova);
/* Zeroed memory of @size (a power of two) from the mem_* allocator, mapped
 * at an IOVA aligned to @size; released with vfio_dma_free(). */
int vfio_dma_alloc_zeroed(struct vfio_iommu *io, uint64_t size, void **cpu, uint64_t *iova);
/* Unmap and free what vfio_dma_alloc_zeroed() gave (nothing if @cpu is NULL). */
void vfio_dma_free(struct vfio_iommu *io, void *cpu, uint64_t iova, uint64_t size);

#endif
