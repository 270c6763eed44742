/* SPDX-License-Identifier: MIT */
/*
 * The VFIO backend's state, shared by its GGTT (vfio.c) and the PPGTTs
 * made from it (vfio_ppgtt.c), which use its IOMMU container.
 */
#ifndef GTT_BACKENDS_VFIO_INTERNAL_H
#define GTT_BACKENDS_VFIO_INTERNAL_H

#include <pthread.h>

#include "intel/intel_pt.h"
#include "vfio_iommu.h"

struct gtt_backend;

struct vfio_be {
	struct vfio_iommu io;
	int dev;
	struct vfio_region bar;
	void *scratch;
	uint64_t scratch_iova;
	struct intel_ggtt ggtt;
	pthread_mutex_t lock;		/* written span */
	uint64_t lo, hi;		/* entries ever written [lo, hi) */
	bool gone;			/* the device vanished (atomic) */
	bool requested;			/* ... because the kernel asked for it back */
	int req_fd;			/* eventfd: the kernel wants the device back */
	bool read_only;			/* inspect only: no writes at all */
	int group;
	unsigned int bar_index;
	/* One for the GGTT backend, one per PPGTT: the device stays open
	 * until the last of them is destroyed. */
	unsigned int refs;		/* atomic */
};

/* The VFIO state behind a VFIO GGTT backend, or NULL. */
struct vfio_be *vfio_be_of(struct gtt_backend *be);
void vfio_be_get(struct vfio_be *v);
void vfio_be_put(struct vfio_be *v);
/* The VFIO state behind a VFIO PPGTT backend, or NULL. */
struct vfio_be *vfio_ppgtt_parent(struct gtt_backend *be);
/* For the guest test: the IOMMU of a VFIO backend (GGTT or PPGTT). */
struct vfio_iommu *vfio_backend_iommu(struct gtt_backend *be);

#endif
