/* SPDX-License-Identifier: MIT */
/*
 * DOC: the VFIO backends' shared state and the functions the entry points
 * (vfio.c) call.
 *
 * struct vfio_be is one opened device: its IOMMU, device fd, BAR0 and GGTT.
 * The GGTT backend (vfio_ggtt.c) creates it; each PPGTT made from it
 * (vfio_ppgtt.c) holds a reference, so the device stays open until the last
 * of them is destroyed.  The two backends never call each other: vfio.c,
 * which knows both ops tables, tells them apart and hands a PPGTT its
 * device; the last reference runs the release the GGTT backend installed.
 *
 * Locking: vfio_be.lock covers the written span; refs, gone and requested
 * are atomics; the rest is set at creation and read-only after.
 */
#ifndef GTT_BACKENDS_VFIO_INTERNAL_H
#define GTT_BACKENDS_VFIO_INTERNAL_H

#include <pthread.h>

#include "intel/intel_pt.h"
#include "vfio_device.h"
#include "vfio_iommu.h"

struct gtt_backend;
struct gtt_vfio_config;

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
	bool regs_only;			/* no GGTT: register access only */
	bool force;			/* writes allowed on risky platforms */
	const struct gtt_intel_platform *platform;	/* NULL: not an Intel GPU */
	uint64_t window_offset, window_size;	/* the entries in the BAR (0, 0: none known) */
	int group;
	unsigned int bar_index;
	/* One for the GGTT backend, one per PPGTT (atomic); the last put
	 * calls release. */
	unsigned int refs;
	void (*release)(struct vfio_be *v);
};

static inline void vfio_be_get(struct vfio_be *v)
{
	__atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
}

static inline void vfio_be_put(struct vfio_be *v)
{
	if (__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
		v->release(v);
}

/* vfio_ggtt.c: gtt_vfio_create() over the system calls of @sys (tests give
 * a fake); the VFIO state behind a VFIO GGTT backend, or NULL. */
int vfio_backend_create(const struct gtt_vfio_config *cfg,
			const struct vfio_sys *sys, struct gtt_backend **out);
struct vfio_be *vfio_ggtt_of(struct gtt_backend *be);

/* vfio_ppgtt.c: a PPGTT backend over device @dev (not read-only); the VFIO
 * state behind a VFIO PPGTT backend, or NULL. */
int vfio_ppgtt_create(struct vfio_be *dev, struct gtt_backend **out, uint64_t *root);
struct vfio_be *vfio_ppgtt_of(struct gtt_backend *be);

/* vfio_regs.c: gtt_vfio_reg_read() / gtt_vfio_reg_write() on @v. */
int vfio_reg_read(struct vfio_be *v, int space, uint64_t offset, unsigned int width,
		  uint64_t *value);
int vfio_reg_write(struct vfio_be *v, int space, uint64_t offset, unsigned int width,
		   uint64_t value);

/* vfio.c: the IOMMU of a VFIO backend, GGTT or PPGTT (the guest test). */
struct vfio_iommu *vfio_backend_iommu(struct gtt_backend *be);

#endif
