/* SPDX-License-Identifier: MIT */
/*
 * DOC: a VFIO device: its fd (from whichever flow opened the IOMMU), its
 * regions (BAR mmaps, sparse areas around an MSI-X table), its PCI config
 * space and its request IRQ.
 *
 * Locking: none; a device fd and its regions belong to one owner, which
 * opens, maps, unmaps and closes them.
 */
#ifndef GTT_BACKENDS_VFIO_DEVICE_H
#define GTT_BACKENDS_VFIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vfio_iommu;

/* The device @bdf ("0000:00:03.0") behind the open IOMMU: a device fd. */
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

#endif
