/* SPDX-License-Identifier: MIT */
/*
 * The xe backend's state, shared by its files: xe.c (create, destroy, the
 * public getters), xe_bind.c (batches: translation, syncs, submission).
 */
#ifndef GTT_BACKENDS_XE_INTERNAL_H
#define GTT_BACKENDS_XE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <gtt/xe.h>

#include "xe_sys.h"

struct drm_xe_vm_bind_op;

struct xe_be {
	struct xe_sys sys;		/* the kernel, a fake one, or a dry run */
	struct xe_dry_run dry;		/* the dry run's state (sys.ctx) */
	bool dry_run;
	int fd;
	struct gtt_watcher *w;
	uint32_t vm_id, queue_id;
	uint32_t timeline;		/* out-fences: one point per batch */
	uint32_t export_obj;		/* binary syncobj a point is moved into
					 * to export it as a sync_file */
	uint64_t context;		/* our fences' context; seqno = point */
	/* DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT (64 KiB where VRAM objects are
	 * bound in 64 KiB pages: DG2, PVC), 4 KiB in a dry run. */
	uint64_t min_align;
	/* Numbers the batches and issues them, so the queue order is the
	 * timeline order; guards @point, @last_done and @export_obj. */
	pthread_mutex_t lock;
	uint64_t point;			/* the last point submitted */
	struct gtt_fence *last_done;	/* its fence (a reference), or NULL */
};

/* xe.c: gtt_xe_backend_create() over the system calls of @sys (tests give
 * a fake kernel; a dry run in @cfg overrides @sys). */
int xe_backend_create(int drm_fd, const struct gtt_xe_config *cfg,
		      struct gtt_watcher *w, const struct xe_sys *sys,
		      struct gtt_backend **out);
/* The xe state of @be, or NULL if it is not an xe backend. */
struct xe_be *xe_of(struct gtt_backend *be);

/* xe_bind.c: the ops. */
int xe_submit(void *priv, const struct gtt_backend_op *ops, size_t count,
	      struct gtt_fence *const *deps, size_t num_deps,
	      struct gtt_fence **done);
bool xe_can_wait(void *priv, struct gtt_fence *dep);
/* The backend's granule (backend_internal.h): min_align for a mapping of a
 * GEM object in VRAM (GTT_PTE_LOCAL_MEM) on a device that needs it. */
uint64_t xe_granule(void *priv, const struct gtt_pages *pages, uint32_t pte_flags);
/*
 * One VM_BIND of @n bind ops (already translated) after @deps, each of
 * which xe_can_wait() accepted; @what names the caller in messages.
 * Return: 0 with *@done, or a negative errno having done nothing.
 */
int xe_bind(struct xe_be *x, const struct drm_xe_vm_bind_op *ops, size_t n,
	    struct gtt_fence *const *deps, size_t num_deps,
	    struct gtt_fence **done, const char *what);

#endif
