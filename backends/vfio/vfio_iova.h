/* SPDX-License-Identifier: MIT */
/*
 * DOC: the IOVA space of one VFIO IOMMU.
 *
 * An allocator over the usable IOVA ranges the kernel reports: one node per
 * DMA mapping, whose owner is the CPU address behind it; the gaps between
 * the ranges are reserved nodes, and IOVA 0 is never handed out.  Built on
 * the public range allocator (gtt/range_alloc.h).
 *
 * Locking: none of its own; the caller serialises (vfio_iommu.lock).
 */
#ifndef GTT_BACKENDS_VFIO_IOVA_H
#define GTT_BACKENDS_VFIO_IOVA_H

#include <stdbool.h>
#include <stdint.h>

struct gtt_range_alloc;

struct vfio_iova {
	struct gtt_range_alloc *ra;
};

/* Cover the @n usable ranges [start, last] (page-aligned inwards). */
int vfio_iova_init(struct vfio_iova *s, const uint64_t (*ranges)[2], unsigned int n);
/* Free the allocator; mappings still in it are forgotten. */
void vfio_iova_fini(struct vfio_iova *s);
/* A fresh IOVA for @size bytes at @cpu, a multiple of @align (0: a page). */
int vfio_iova_alloc(struct vfio_iova *s, uint64_t size, uint64_t align, void *cpu,
		    uint64_t *iova);
/* [@iova, +@size) is exactly one mapping. */
bool vfio_iova_is_mapping(struct vfio_iova *s, uint64_t iova, uint64_t size);
/* Forget the mapping that starts at @iova. */
void vfio_iova_free(struct vfio_iova *s, uint64_t iova);
/* The CPU address behind a mapped @iova, or NULL. */
void *vfio_iova_cpu(struct vfio_iova *s, uint64_t iova);
/* The first mapping at or after *@iova: true with *@iova, *@size set. */
bool vfio_iova_next(struct vfio_iova *s, uint64_t *iova, uint64_t *size);

#endif
