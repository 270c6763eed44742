/* SPDX-License-Identifier: MIT */
/*
 * DOC: the xe backend's life: creation (the device's minimum bind
 * alignment from the config query, an xe VM, a bind exec queue on the
 * VM_BIND engine class, a timeline syncobj for the batches' out-fences and
 * a binary one to export points through), destruction in the reverse
 * order, and the public getters (gtt/xe.h).  Batches are in xe_bind.c.
 *
 * Destroying the backend with batches in flight is allowed: the kernel
 * kills the queue's pending jobs, their sync_files signal (with an error)
 * and the watcher signals the fences the vm holds; no fence refers back to
 * the backend.
 *
 * Locking: create and destroy run alone (the backend contract); the rest
 * is in xe_bind.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <drm/xe_drm.h>

#include <gtt/xe.h>

#include "backend/backend_internal.h"
#include "base/util.h"
#include "xe_internal.h"

static void xe_destroy(void *priv);

static const struct gtt_backend_ops xe_ops = {
	.name = "xe",
	.submit = xe_submit,
	.can_wait = xe_can_wait,
	.destroy = xe_destroy,
};

struct xe_be *xe_of(struct gtt_backend *be)
{
	return be && be->ops == &xe_ops ? be->priv : NULL;
}

static int create_call(struct xe_be *x, unsigned long req, void *arg)
{
	int err = xe_sys_ioctl(&x->sys, x->fd, req, arg);

	if (err < 0)
		return set_error(err, "gtt_xe_backend_create: %s failed", xe_ioctl_name(req));
	return 0;
}

static void syncobj_destroy(struct xe_be *x, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };

	if (handle)
		(void)xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

/* Undo whatever of create exists (ids are never 0 once made). */
static void teardown(struct xe_be *x)
{
	if (x->queue_id) {
		struct drm_xe_exec_queue_destroy d = { .exec_queue_id = x->queue_id };

		(void)xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &d);
	}
	syncobj_destroy(x, x->export_obj);
	syncobj_destroy(x, x->timeline);
	if (x->vm_id) {
		struct drm_xe_vm_destroy d = { .vm_id = x->vm_id };

		(void)xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_XE_VM_DESTROY, &d);
	}
	gtt_fence_put(x->last_done);
	pthread_mutex_destroy(&x->lock);
	mem_free(x);
}

static void xe_destroy(void *priv)
{
	teardown(priv);
}

static int check_config(const struct gtt_xe_config *cfg, int drm_fd,
			struct gtt_watcher *w)
{
	if (!reserved_zero(cfg->reserved, sizeof(cfg->reserved)))
		return set_error(-EINVAL, "gtt_xe_backend_create: reserved config words are not zero");
	if (cfg->vm_flags & ~GTT_XE_VM_SCRATCH_PAGE)
		return set_error(-EINVAL, "gtt_xe_backend_create: unknown vm_flags 0x%x",
				 cfg->vm_flags & ~GTT_XE_VM_SCRATCH_PAGE);
	if (!cfg->dry_run && !w)
		return set_error(-EINVAL, "gtt_xe_backend_create: a watcher is needed to import "
				 "the batches' out-fences");
	if (!cfg->dry_run && drm_fd < 0)
		return set_error(-EINVAL, "gtt_xe_backend_create: no DRM device (fd %d)", drm_fd);
	return 0;
}

/* DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT of the device, into x->min_align.  The
 * reply is as long as the kernel says (num_params grows with the uAPI). */
static int query_min_align(struct xe_be *x)
{
	const uint32_t least = sizeof(struct drm_xe_query_config) +
			       (DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT + 1) * sizeof(uint64_t);
	struct drm_xe_device_query q = { .query = DRM_XE_DEVICE_QUERY_CONFIG };
	struct drm_xe_query_config *c;
	int err;

	x->min_align = 4096;
	if (x->dry_run)
		return 0;
	err = create_call(x, DRM_IOCTL_XE_DEVICE_QUERY, &q);
	if (err)
		return err;
	if (q.size < least || q.size % sizeof(uint64_t))
		return set_error(-EIO, "gtt_xe_backend_create: the config query answers %u bytes",
				 q.size);
	c = mem_zalloc(q.size);
	if (!c)
		return set_error(-ENOMEM, "gtt_xe_backend_create: out of memory for the config query");
	q.data = (uintptr_t)c;
	err = create_call(x, DRM_IOCTL_XE_DEVICE_QUERY, &q);
	if (!err && c->num_params > DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT &&
	    c->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT] > 4096)
		x->min_align = c->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT];
	mem_free(c);
	if (err)
		return err;
	if (x->min_align & (x->min_align - 1))
		return set_error(-EIO, "gtt_xe_backend_create: minimum alignment 0x%" PRIx64
				 " is not a power of two", x->min_align);
	return 0;
}

int xe_backend_create(int drm_fd, const struct gtt_xe_config *cfg,
		      struct gtt_watcher *w, const struct xe_sys *sys,
		      struct gtt_backend **out)
{
	static const struct gtt_xe_config defaults;
	struct drm_xe_engine_class_instance eci = {
		.engine_class = DRM_XE_ENGINE_CLASS_VM_BIND,
	};
	struct drm_xe_vm_create vc = { 0 };
	struct drm_xe_exec_queue_create qc = { .width = 1, .num_placements = 1 };
	struct drm_syncobj_create sc = { 0 };
	struct xe_be *x;
	int err;

	if (!out)
		return set_error(-EINVAL, "gtt_xe_backend_create: out is NULL");
	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	err = check_config(cfg, drm_fd, w);
	if (err)
		return err;
	x = mem_zalloc(sizeof(*x));
	if (!x)
		return set_error(-ENOMEM, "gtt_xe_backend_create: out of memory");
	if (pthread_mutex_init(&x->lock, NULL)) {
		mem_free(x);
		return set_error(-ENOMEM, "gtt_xe_backend_create: cannot create a mutex");
	}
	x->fd = drm_fd;
	x->w = w;
	x->dry_run = cfg->dry_run != NULL;
	x->sys = x->dry_run ? xe_sys_dry_run(&x->dry, cfg->dry_run) : *sys;
	x->context = gtt_fence_context_alloc(1);

	err = query_min_align(x);
	if (err)
		goto fail;
	vc.flags = cfg->vm_flags & GTT_XE_VM_SCRATCH_PAGE ? DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE : 0;
	err = create_call(x, DRM_IOCTL_XE_VM_CREATE, &vc);
	if (err)
		goto fail;
	x->vm_id = vc.vm_id;
	eci.gt_id = cfg->gt_id;
	qc.vm_id = x->vm_id;
	qc.instances = (uintptr_t)&eci;
	err = create_call(x, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &qc);
	if (err)
		goto fail;
	x->queue_id = qc.exec_queue_id;
	err = create_call(x, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	if (err)
		goto fail;
	x->timeline = sc.handle;
	sc = (struct drm_syncobj_create){ 0 };
	err = create_call(x, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	if (err)
		goto fail;
	x->export_obj = sc.handle;
	err = gtt_backend_create(&xe_ops, x, out);
	if (err)
		goto fail;
	(*out)->granule = xe_granule;
	return 0;
fail:
	teardown(x);
	return err;
}

GTT_API int gtt_xe_backend_create(int drm_fd, const struct gtt_xe_config *cfg,
				  struct gtt_watcher *w, struct gtt_backend **out)
{
	return xe_backend_create(drm_fd, cfg, w, &xe_sys_real, out);
}

GTT_API int gtt_xe_info(struct gtt_backend *be, struct gtt_xe_info *out)
{
	struct xe_be *x = xe_of(be);

	if (!x || !out)
		return set_error(-EINVAL, "gtt_xe_info: not an xe backend, or out is NULL");
	pthread_mutex_lock(&x->lock);
	*out = (struct gtt_xe_info){
		.vm_id = x->vm_id, .exec_queue_id = x->queue_id,
		.syncobj = x->timeline, .point = x->point,
	};
	pthread_mutex_unlock(&x->lock);
	return 0;
}
