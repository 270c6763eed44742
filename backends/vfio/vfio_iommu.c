/* SPDX-License-Identifier: MIT */
/*
 * DOC: the flow-independent half of a VFIO IOMMU: DMA mappings with
 * exact-range bookkeeping over the IOVA allocator, DMA memory, closing.
 * The kernel side of each step is the flow's struct vfio_iommu_ops.
 *
 * Locking: vfio_iommu.lock is held from choosing an IOVA to the end of the
 * map ioctl (and from the exactness check to the end of the unmap), so
 * the allocator and the kernel never disagree.
 */
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "vfio_iommu.h"

void vfio_iommu_init(struct vfio_iommu *io, const struct vfio_sys *sys,
		     const struct vfio_iommu_ops *ops)
{
	memset(io, 0, sizeof(*io));
	io->sys = sys;
	io->ops = ops;
	io->container = io->group = io->cdev = -1;
	pthread_mutex_init(&io->lock, NULL);
}

int vfio_iommu_attached(struct vfio_iommu *io)
{
	int err = io->ops->ranges(io);

	return err ? err : vfio_iova_init(&io->iova, io->ranges, io->nranges);
}

int vfio_dma_map_aligned(struct vfio_iommu *io, void *cpu, uint64_t size,
			 uint64_t align, uint64_t *iova)
{
	uint64_t at;
	int err;

	if (!io->sys || !size || size % 4096 || (uintptr_t)cpu % 4096)
		return set_error(-EINVAL, "vfio: DMA map of %p +0x%llx is empty or not page aligned",
				 cpu, (unsigned long long)size);
	pthread_mutex_lock(&io->lock);
	err = vfio_iova_alloc(&io->iova, size, align, cpu, &at);
	if (!err) {
		err = io->ops->map(io, cpu, size, at);
		if (err)
			vfio_iova_free(&io->iova, at);
		else
			*iova = at;
	}
	pthread_mutex_unlock(&io->lock);
	return err;
}

int vfio_dma_map(struct vfio_iommu *io, void *cpu, uint64_t size, uint64_t *iova)
{
	return vfio_dma_map_aligned(io, cpu, size, 0, iova);
}

/* The kernel side of an unmap: all of it, or an error. */
static int kernel_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size)
{
	uint64_t done = size;
	int err = io->ops->unmap(io, iova, size, &done);

	if (!err && done != size)
		err = set_error(-EIO, "vfio: the kernel unmapped 0x%llx bytes, not 0x%llx",
				(unsigned long long)done, (unsigned long long)size);
	return err;
}

int vfio_dma_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size)
{
	int err;

	if (!io->sys)
		return set_error(-EINVAL, "vfio: DMA unmap on a closed IOMMU");
	pthread_mutex_lock(&io->lock);
	/* type1v2 and iommufd refuse to split a mapping: only whole ones go. */
	if (!vfio_iova_is_mapping(&io->iova, iova, size))
		err = set_error(-EINVAL, "vfio: [0x%llx, +0x%llx) is not exactly one DMA mapping",
				(unsigned long long)iova, (unsigned long long)size);
	else if (!(err = kernel_unmap(io, iova, size)))
		vfio_iova_free(&io->iova, iova);
	pthread_mutex_unlock(&io->lock);
	return err;
}

void *vfio_dma_cpu(struct vfio_iommu *io, uint64_t iova)
{
	void *cpu;

	pthread_mutex_lock(&io->lock);
	cpu = vfio_iova_cpu(&io->iova, iova);
	pthread_mutex_unlock(&io->lock);
	return cpu;
}

int vfio_dma_alloc_zeroed(struct vfio_iommu *io, uint64_t size, void **cpu, uint64_t *iova)
{
	void *p = mem_alloc_aligned(size, size);
	int err;

	if (!p)
		return set_error(-ENOMEM, "vfio: out of memory for 0x%llx bytes of DMA memory",
				 (unsigned long long)size);
	memset(p, 0, size);
	err = vfio_dma_map_aligned(io, p, size, size, iova);
	if (err)
		mem_free(p);
	else
		*cpu = p;
	return err;
}

void vfio_dma_free(struct vfio_iommu *io, void *cpu, uint64_t iova, uint64_t size)
{
	if (!cpu)
		return;
	vfio_dma_unmap(io, iova, size);
	mem_free(cpu);
}

void vfio_iommu_close(struct vfio_iommu *io)
{
	uint64_t at = 0, size;

	if (io->iova.ra) {
		while (vfio_iova_next(&io->iova, &at, &size)) {
			vfio_dma_unmap(io, at, size);
			if (at + size < at)
				break;		/* the mapping ended at 2^64 */
			at += size;
		}
		vfio_iova_fini(&io->iova);
	}
	if (io->ops)
		io->ops->close(io);
	io->group = io->container = io->cdev = -1;
	if (io->sys)
		pthread_mutex_destroy(&io->lock);
	io->sys = NULL;
	io->ops = NULL;
}
