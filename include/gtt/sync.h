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
 * by exporting them as a sync_file first, so the syncobj or point must
 * already hold a fence.
 *
 * Export: gtt_fence_export_eventfd() gives a pollable eventfd that becomes
 * readable (count 1) when the fence signals.  gtt_fence_export_syncobj()
 * puts a fence into a DRM syncobj (binary, or a timeline point) for an exec
 * ioctl or another process to wait on, and gtt_fence_export_sync_file()
 * gives a sync_file.  Both pass the kernel's own fence on, with no CPU hop,
 * for a fence the kernel knows: one imported from a sync_file or syncobj,
 * and the bind and map fences of a queue backend (gtt/backend.h) once their
 * batch is submitted.  A fence only the CPU knows cannot become a
 * sync_file (Linux lets userspace make those only through debugfs's
 * sw_sync), but it can signal a syncobj: the library signals it from the
 * CPU when the fence signals.
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
 * The syncobj (or its point) must already carry a fence: the import does
 * not wait for one to be submitted.
 *
 * Return: 0; -EINVAL (no fence there yet, or @w or @out NULL); -ENOENT (no
 * syncobj @handle on @drm_fd); -EOPNOTSUPP (built without libdrm, or a
 * device without syncobjs); another error of the DRM call; or as
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

/**
 * gtt_fence_export_sync_file() - The sync_file of a fence the kernel knows.
 * @fence: the fence.
 * @fd: receives a new sync_file descriptor; the caller closes it.
 *
 * A fence keeps its sync_file only until it signals: then there is nothing
 * left to wait for, and a descriptor per signalled fence would run a
 * process out of them (a vm keeps the bind fence of every mapping).
 *
 * Return: 0; -ENODATA if @fence is one only the CPU knows (a plain or
 * custom fence, a bind fence whose batch is not submitted yet, a PTE
 * backend's) or has signalled; -EINVAL; -EMFILE or another dup() error.
 */
GTT_API int gtt_fence_export_sync_file(struct gtt_fence *fence, int *fd);

/**
 * gtt_fence_export_syncobj() - Make a DRM syncobj signal with @fence.
 * @fence: the fence.
 * @drm_fd: an open DRM device; the library keeps its own duplicate for as
 *	long as it needs one, so the caller may close it.
 * @handle: a syncobj on @drm_fd.
 * @point: a timeline point to signal, or 0 for a binary syncobj.
 *
 * A fence the kernel knows (gtt_fence_export_sync_file() would give its
 * sync_file) goes into the syncobj at once, in the kernel: a binary
 * syncobj's fence is replaced by it, a timeline gets it at @point (through
 * a temporary binary syncobj and drmSyncobjTransfer()).  Waiters, in the
 * kernel or not, find that fence there at once and wait for it; nothing is
 * left for the CPU to do.
 *
 * Any other fence adds a callback: when it signals, the library signals
 * the syncobj (drmSyncobjSignal) or the point (drmSyncobjTimelineSignal)
 * from the signalling thread, on its duplicate of @drm_fd, which it then
 * closes.  Until then the syncobj carries no fence: a binary syncobj's old
 * fence is dropped at export (drmSyncobjReset), unless @fence has already
 * signalled.  So a waiter must ask to wait for a fence to appear
 * (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT): without it drmSyncobjWait()
 * and drmSyncobjTimelineWait() fail with -EINVAL, and an exec ioctl given
 * the syncobj as an in-fence finds none.  The fence's error is not
 * carried: a syncobj signalled from userspace cannot fail.  A syncobj
 * that the caller destroys before then is simply not signalled.
 *
 * On a timeline, a wait for a point is satisfied by any point at or above
 * it, so export to points that go up.
 *
 * Return: 0; -EINVAL (@fence NULL); -EBADF (@drm_fd not open); -ENOENT
 * (no syncobj @handle on @drm_fd); -EOPNOTSUPP (built without libdrm, a
 * device without syncobjs, or a @point on one without timeline
 * syncobjs); -ENOMEM; or the error of another DRM call.
 */
GTT_API int gtt_fence_export_syncobj(struct gtt_fence *fence, int drm_fd,
				     uint32_t handle, uint64_t point);

#ifdef __cplusplus
}
#endif
#endif
