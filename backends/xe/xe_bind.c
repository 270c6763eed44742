/* SPDX-License-Identifier: MIT */
/*
 * DOC: the xe backend's batches.  A batch of &struct gtt_backend_op becomes
 * one DRM_IOCTL_XE_VM_BIND on the backend's bind queue: each op a
 * drm_xe_vm_bind_op (one inline, more as xe's vector of binds), each
 * dependency an in-sync, and the next point of the backend's timeline
 * syncobj the out-sync.  A dependency that is one of our own out-fences
 * (its context is ours; its seqno is its point) is waited for as that
 * point; any other that carries a sync_file is imported into a temporary
 * binary syncobj, destroyed once the ioctl has taken its fence.  The new
 * point is then moved into a binary syncobj, exported as a sync_file and
 * imported with the watcher: the fence handed back owns that sync_file
 * and signals when the watcher's import does, and not before the fence of
 * the batch before it (the seqno order of a context).
 *
 * Locking: x->lock is held from numbering a batch to exporting its point,
 * so batches enter the queue in timeline order and the one export syncobj
 * serves every batch; it also guards x->last_done.  Nothing here waits for a dependency.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <drm/xe_drm.h>

#include <gtt/xe.h>

#include "base/util.h"
#include "sync/fence_internal.h"
#include "xe_internal.h"

/* What a message says about a batch: its first op, and how many there are. */
static void describe(char *buf, size_t len, const struct drm_xe_vm_bind_op *ops, size_t n)
{
	const struct drm_xe_vm_bind_op *op = &ops[0];

	if (op->op == DRM_XE_VM_BIND_OP_UNMAP_ALL)
		snprintf(buf, len, "op 0 of %zu (UNMAP_ALL of object %u)", n, op->obj);
	else
		snprintf(buf, len, "op 0 of %zu (%s%s at 0x%" PRIx64 ", range 0x%" PRIx64 ")",
			 n, xe_bind_op_name(op->op),
			 op->flags & DRM_XE_VM_BIND_FLAG_NULL ? " NULL" : "",
			 (uint64_t)op->addr, (uint64_t)op->range);
}

static const char *kind_name(uint32_t kind)
{
	return kind == GTT_BACKEND_OP_MAP ? "map" : kind == GTT_BACKEND_OP_UNMAP ? "unmap" : "op";
}

uint64_t xe_granule(void *priv, const struct gtt_pages *pages, uint32_t pte_flags)
{
	const struct xe_be *x = priv;
	struct gtt_pages_memory m;

	/* xe_bo.c ___xe_bo_create_locked() gives every object that may live
	 * in VRAM XE_BO_FLAG_INTERNAL_64K on a NEED64K device; the kernel
	 * binds it only 64 KiB aligned (xe_vm.c xe_vm_bind_ioctl_validate_bo())
	 * and cannot re-bind a piece of it that a cut leaves unaligned
	 * (xe_pt.c xe_pt_stage_bind_entry()).  Only the caller knows where
	 * an object lives: GTT_PTE_LOCAL_MEM says so. */
	if (x->min_align <= 4096 || !(pte_flags & GTT_PTE_LOCAL_MEM) || (pte_flags & GTT_PTE_NULL) ||
	    gtt_pages_memory(pages, &m) || m.kind != GTT_PAGES_BO)
		return 0;
	return x->min_align;
}

/* One op of a batch in xe's terms; a message names op @i if it cannot be. */
static int translate(const struct xe_be *x, const struct gtt_backend_op *op, size_t i,
		     struct drm_xe_vm_bind_op *out)
{
	uint64_t g;
	struct gtt_pages_memory m;

	memset(out, 0, sizeof(*out));
	if (!reserved_zero(op->reserved, sizeof(op->reserved)))
		return set_error(-EINVAL, "xe submit: op %zu: reserved words are not zero", i);
	out->addr = op->start;
	out->range = op->size;
	switch (op->kind) {
	case GTT_BACKEND_OP_UNMAP:
		out->op = DRM_XE_VM_BIND_OP_UNMAP;
		return 0;
	case GTT_BACKEND_OP_MAP:
		break;
	default:
		return set_error(-EINVAL, "xe submit: op %zu: unknown kind %u", i, op->kind);
	}
	out->pat_index = (uint16_t)((op->pte_flags & GTT_PTE_PAT_MASK) >> GTT_PTE_PAT_SHIFT);
	if (op->pte_flags & GTT_PTE_READ_ONLY)
		out->flags |= DRM_XE_VM_BIND_FLAG_READONLY;
	out->op = DRM_XE_VM_BIND_OP_MAP;
	if (op->pte_flags & GTT_PTE_NULL) {
		out->flags |= DRM_XE_VM_BIND_FLAG_NULL;	/* obj and offset stay 0 */
		return 0;
	}
	if (gtt_pages_memory(op->pages, &m))
		return set_error(-EINVAL, "xe submit: op %zu (%s at 0x%" PRIx64 "): no pages",
				 i, kind_name(op->kind), op->start);
	if (op->pages_offset > m.size || op->size > m.size - op->pages_offset)
		return set_error(-EINVAL, "xe submit: op %zu (%s at 0x%" PRIx64 ", range 0x%" PRIx64
				 "): runs past the end of its pages", i, kind_name(op->kind),
				 op->start, op->size);
	switch (m.kind) {
	case GTT_PAGES_BO:
		out->obj = m.handle;
		out->obj_offset = m.offset + op->pages_offset;
		g = xe_granule((void *)x, op->pages, op->pte_flags);
		if (g && ((out->addr | out->range | out->obj_offset) & (g - 1)))
			return set_error(-EINVAL, "xe submit: op %zu (map at 0x%" PRIx64 ", range 0x%" PRIx64
					 ", object offset 0x%" PRIx64 "): this device binds VRAM objects "
					 "(GTT_PTE_LOCAL_MEM) in 0x%" PRIx64 "-byte pages: address, range "
					 "and offset must be multiples (xe_vm.c xe_vm_bind_ioctl_validate_bo)",
					 i, op->start, op->size, (uint64_t)out->obj_offset, g);
		return 0;
	case GTT_PAGES_USERPTR:
		out->op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
		out->userptr = m.addr + op->pages_offset;
		return 0;
	default:
		return set_error(-EOPNOTSUPP, "xe submit: op %zu (%s at 0x%" PRIx64 ", range 0x%" PRIx64
				 "): pages of DMA segments%s cannot be mapped by xe (use a GEM "
				 "object or user memory)", i, kind_name(op->kind), op->start, op->size,
				 gtt_pages_array(op->pages, NULL, NULL) ? " (a page array)" : "");
	}
}

bool xe_can_wait(void *priv, struct gtt_fence *dep)
{
	struct xe_be *x = priv;

	/* Our own out-fences (a point of our timeline), or a sync_file. */
	return dep && ((x && dep->context == x->context) || fence_has_sync_fd(dep));
}

/*
 * Passes the watcher's import on to the fence we handed out, once the
 * batch before it has signalled too: the watcher may see several
 * sync_files ready at once and report them in any order, and fences of one
 * context must signal in seqno order (gtt/fence.h).
 */
struct done_link {
	struct gtt_fence_cb on_import, on_prev;
	_Atomic int pending;		/* the import and the previous batch */
	int status;			/* the import's outcome */
	struct gtt_fence *done;
};

static void link_put(struct done_link *l)
{
	if (atomic_fetch_sub(&l->pending, 1) != 1)
		return;
	gtt_fence_signal(l->done, l->status);
	gtt_fence_put(l->done);
	mem_free(l);
}

static void import_signalled(struct gtt_fence *imported, struct gtt_fence_cb *cb)
{
	struct done_link *l = container_of(cb, struct done_link, on_import);
	int status = gtt_fence_status(imported);

	l->status = status < 0 ? status : 0;
	link_put(l);
}

static void prev_signalled(struct gtt_fence *prev, struct gtt_fence_cb *cb)
{
	(void)prev;
	link_put(container_of(cb, struct done_link, on_prev));
}

/* The in-syncs for @deps, *@nsyncs of them; temporary syncobjs made go
 * into @tmp. */
static int in_syncs(struct xe_be *x, struct gtt_fence *const *deps, size_t n,
		    struct drm_xe_sync *syncs, size_t *nsyncs, uint32_t *tmp,
		    const char *what)
{
	*nsyncs = 0;
	for (size_t i = 0; i < n; i++) {
		struct gtt_fence *k = deps[i] ? fence_kernel(deps[i]) : NULL;
		struct drm_syncobj_create sc = { 0 };
		struct drm_syncobj_handle h = { .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE };
		int err, sfd;

		if (!k)
			return set_error(-EINVAL, "%s: dependency %zu is NULL", what, i);
		if (k->context == x->context) {
			syncs[(*nsyncs)++] = (struct drm_xe_sync){
				.type = DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ,
				.handle = x->timeline, .timeline_value = k->seqno };
			continue;
		}
		sfd = fence_dup_sync_fd(k);
		if (sfd < 0 && gtt_fence_is_signaled(k))
			continue;	/* signalled meanwhile: nothing to wait for */
		if (sfd < 0)
			return set_error(-EINVAL, "%s: dependency %zu is a fence the kernel cannot wait for (or no descriptor is left)",
					 what, i);
		err = xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
		if (err < 0) {
			close(sfd);
			return set_error(err, "%s: DRM_IOCTL_SYNCOBJ_CREATE for dependency %zu failed",
					 what, i);
		}
		tmp[i] = sc.handle;
		h.handle = sc.handle;
		h.fd = sfd;
		err = xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &h);
		close(sfd);
		if (err < 0)
			return set_error(err, "%s: DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE (import sync_file) "
					 "for dependency %zu failed", what, i);
		syncs[(*nsyncs)++] = (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
							    .handle = sc.handle };
	}
	return 0;
}

static void destroy_tmp(struct xe_be *x, uint32_t *tmp, size_t n)
{
	for (size_t i = 0; tmp && i < n; i++) {
		struct drm_syncobj_destroy d = { .handle = tmp[i] };

		if (tmp[i])
			(void)xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
	}
}

/* Under x->lock: point @point as a sync_file in *@fd. */
static int export_point(struct xe_be *x, uint64_t point, int *fd, const char *what)
{
	struct drm_syncobj_transfer t = { .src_handle = x->timeline, .src_point = point,
					  .dst_handle = x->export_obj };
	struct drm_syncobj_handle h = { .handle = x->export_obj,
					.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
					.fd = -1 };
	int err = xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_SYNCOBJ_TRANSFER, &t);

	if (err < 0)
		return set_error(err, "%s: the batch was submitted, but DRM_IOCTL_SYNCOBJ_TRANSFER "
				 "of its point %" PRIu64 " failed", what, point);
	err = xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);
	if (err < 0)
		return set_error(err, "%s: the batch was submitted, but DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD "
				 "(export sync_file) of its point %" PRIu64 " failed", what, point);
	*fd = h.fd;
	return 0;
}

/*
 * The batch is in the kernel: tie @f to its sync_file @fd (or fail it with
 * @err, the kernel's fence being out of reach), after @prev, the batch
 * before (a reference, consumed; may be NULL).  Consumes @l.
 */
static void finish(struct xe_be *x, struct gtt_fence *f, int fd, int err,
		   struct gtt_fence *prev, struct done_link *l)
{
	struct gtt_fence *imported = NULL;

	l->done = gtt_fence_get(f);
	atomic_init(&l->pending, 2);
	if (!err) {
		fence_own_sync_fd(f, fd);
		if (x->w)
			err = gtt_fence_import_fd(x->w, fd, &imported);
	}
	if (imported) {
		if (gtt_fence_add_callback(imported, &l->on_import, import_signalled) == -ENOENT)
			import_signalled(imported, &l->on_import);
		gtt_fence_put(imported);
	} else {			/* failed, or a dry run: done at once */
		l->status = err;
		link_put(l);
	}
	if (!prev || gtt_fence_add_callback(prev, &l->on_prev, prev_signalled) == -ENOENT)
		link_put(l);
	gtt_fence_put(prev);
}

int xe_bind(struct xe_be *x, const struct drm_xe_vm_bind_op *ops, size_t n,
	    struct gtt_fence *const *deps, size_t num_deps,
	    struct gtt_fence **done, const char *what)
{
	struct drm_xe_vm_bind args = { .vm_id = x->vm_id, .exec_queue_id = x->queue_id,
				       .num_binds = (uint32_t)n };
	struct drm_xe_sync *syncs = NULL;
	struct done_link *link = NULL;
	struct gtt_fence *f = NULL, *prev;
	uint32_t *tmp = NULL;
	uint64_t point;
	size_t nsyncs;
	char desc[96];
	int err, fd = -1;

	if (num_deps > DRM_XE_MAX_SYNCS - 1)
		return set_error(-E2BIG, "%s: %zu dependencies (xe takes at most %d syncs)",
				 what, num_deps, DRM_XE_MAX_SYNCS);
	if (n > UINT32_MAX)
		return set_error(-E2BIG, "%s: %zu ops in one batch", what, n);
	syncs = mem_zalloc((num_deps + 1) * sizeof(*syncs));
	tmp = num_deps ? mem_zalloc(num_deps * sizeof(*tmp)) : NULL;
	link = mem_zalloc(sizeof(*link));
	if (!syncs || (num_deps && !tmp) || !link) {
		err = set_error(-ENOMEM, "%s: out of memory", what);
		goto out;
	}
	err = in_syncs(x, deps, num_deps, syncs, &nsyncs, tmp, what);
	if (err)
		goto out;
	if (n == 1)
		args.bind = ops[0];
	else
		args.vector_of_binds = (uintptr_t)ops;
	args.num_syncs = (uint32_t)nsyncs + 1;
	args.syncs = (uintptr_t)syncs;

	pthread_mutex_lock(&x->lock);
	point = x->point + 1;
	err = gtt_fence_create(x->context, point, &f);
	if (err) {
		pthread_mutex_unlock(&x->lock);
		goto out;
	}
	syncs[nsyncs] = (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ,
					      .flags = DRM_XE_SYNC_FLAG_SIGNAL,
					      .handle = x->timeline, .timeline_value = point };
	err = xe_sys_ioctl(&x->sys, x->fd, DRM_IOCTL_XE_VM_BIND, &args);
	if (err < 0) {
		pthread_mutex_unlock(&x->lock);
		describe(desc, sizeof(desc), ops, n);
		err = set_error(err, "%s: DRM_IOCTL_XE_VM_BIND failed, %s", what, desc);
		gtt_fence_put(f);
		f = NULL;
		goto out;
	}
	x->point = point;
	prev = x->last_done;
	x->last_done = gtt_fence_get(f);
	err = export_point(x, point, &fd, what);
	pthread_mutex_unlock(&x->lock);
	finish(x, f, fd, err, prev, link);	/* a failure here is on the fence */
	link = NULL;
	err = 0;
	*done = f;
out:
	destroy_tmp(x, tmp, num_deps);
	mem_free(tmp);
	mem_free(syncs);
	mem_free(link);
	return err;
}

int xe_submit(void *priv, const struct gtt_backend_op *ops, size_t count,
	      struct gtt_fence *const *deps, size_t num_deps,
	      struct gtt_fence **done)
{
	struct xe_be *x = priv;
	struct drm_xe_vm_bind_op one, *bops;
	int err = 0;

	if (!ops || !count || !done || (num_deps && !deps))
		return set_error(-EINVAL, "xe submit: no ops, no deps array, or done is NULL");
	bops = count == 1 ? &one : mem_alloc(count * sizeof(*bops));
	if (!bops)
		return set_error(-ENOMEM, "xe submit: out of memory for %zu bind ops", count);
	for (size_t i = 0; i < count && !err; i++)
		err = translate(x, &ops[i], i, &bops[i]);
	if (!err)
		err = xe_bind(x, bops, count, deps, num_deps, done, "xe submit");
	if (bops != &one)
		mem_free(bops);
	return err;
}

GTT_API int gtt_xe_unmap_all(struct gtt_backend *be, uint32_t handle,
			     uint16_t pat_index, struct gtt_fence *const *deps, size_t num_deps,
			     struct gtt_fence **done)
{
	struct xe_be *x = xe_of(be);
	struct drm_xe_vm_bind_op op = { .op = DRM_XE_VM_BIND_OP_UNMAP_ALL, .obj = handle,
					  .pat_index = pat_index };

	if (!x || !handle || !done || (num_deps && !deps))
		return set_error(-EINVAL, "gtt_xe_unmap_all: not an xe backend, object 0, "
				 "no deps array, or done is NULL");
	return xe_bind(x, &op, 1, deps, num_deps, done, "gtt_xe_unmap_all");
}
