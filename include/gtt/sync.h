/* SPDX-License-Identifier: MIT */
/**
 * DOC: kernel fences
 *
 * Fences that come from the kernel, or go to it, as file descriptors.
 *
 * Import: a &struct gtt_watcher owns one thread that waits, with epoll, on
 * every imported descriptor at once — a sync_file, an eventfd, the read end
 * of a pipe: anything that becomes readable when the work is done — and
 * signals the matching library fence.  There is one thread per watcher,
 * never one per fence, and it exists only because the caller created the
 * watcher.  A sync_file's own error status is carried into the fence.
 * DRM syncobjs (binary, or a timeline point) are imported through libdrm
 * by exporting them as a sync_file first.
 *
 * Export: gtt_fence_export_eventfd() gives a pollable eventfd that becomes
 * readable (count 1) when the fence signals.  Exporting as a sync_file
 * would need a kernel sync_file producer; Linux offers none to userspace
 * outside debugfs (sw_sync), so libgtt does not.
 *
 * Thread safety: import and export may be called from any thread; destroy
 * must not race with imports on the same watcher.
 */
#ifndef GTT_SYNC_H
#define GTT_SYNC_H

#include <gtt/common.h>
#include <gtt/fence.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gtt_watcher;

/**
 * gtt_watcher_create() - Start a watcher and its one epoll thread.
 *
 * Return: 0, -EINVAL, -ENOMEM, or the error of epoll/eventfd/pthread_create.
 */
GTT_API int gtt_watcher_create(struct gtt_watcher **out);

/**
 * gtt_watcher_destroy() - Stop the thread and free the watcher.
 *
 * Fences still waiting for their descriptor are signalled with -ECANCELED.
 * NULL is ignored.
 */
GTT_API void gtt_watcher_destroy(struct gtt_watcher *w);

/**
 * gtt_watcher_count() - Descriptors currently watched.
 */
GTT_API size_t gtt_watcher_count(struct gtt_watcher *w);

/**
 * gtt_fence_import_fd() - A fence that signals when @fd becomes readable.
 * @w: the watcher.
 * @fd: a sync_file, eventfd, pipe read end...; it is duplicated, the
 *	caller keeps (and closes) its own.
 * @out: receives the fence (one reference), context 0.
 *
 * If @fd is a sync_file, the fence carries its error status.  A descriptor
 * that reports an error or hang-up without becoming readable signals the
 * fence with -EPIPE.
 *
 * Return: 0, -EINVAL, -EBADF, -ENOMEM, -ESHUTDOWN (watcher stopping).
 */
GTT_API int gtt_fence_import_fd(struct gtt_watcher *w, int fd,
				struct gtt_fence **out);

/**
 * gtt_fence_import_syncobj() - A fence for a DRM syncobj (point 0: binary).
 * @w: the watcher.
 * @drm_fd: an open DRM device.
 * @handle: the syncobj.
 * @point: a timeline point, or 0 for a binary syncobj.
 * @out: receives the fence.
 *
 * The syncobj (or its point) must already carry a fence.
 * Return: 0, -EOPNOTSUPP (built without libdrm), the libdrm error, or as
 * gtt_fence_import_fd().
 */
GTT_API int gtt_fence_import_syncobj(struct gtt_watcher *w, int drm_fd,
				     uint32_t handle, uint64_t point,
				     struct gtt_fence **out);

/**
 * gtt_fence_export_eventfd() - A pollable eventfd for @fence.
 * @fence: the fence.
 * @fd: receives a non-blocking eventfd that becomes readable, with count
 *	1, once @fence signals.  The caller closes it.
 *
 * Return: 0, -EINVAL, -ENOMEM, or the error of eventfd().
 */
GTT_API int gtt_fence_export_eventfd(struct gtt_fence *fence, int *fd);

#ifdef __cplusplus
}
#endif
#endif
