/* SPDX-License-Identifier: MIT */
/*
 * Kernel fences: see gtt/sync.h.
 *
 * The watcher thread sleeps in epoll_wait() on every imported descriptor
 * (EPOLLONESHOT) plus an eventfd used to stop it.  A watch holds a dup of
 * the caller's descriptor and a reference on its fence; the thread signals
 * the fence, unregisters and closes the descriptor, and frees the watch.
 * Watches live on a list under the watcher lock so destruction can cancel
 * the ones still pending.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sync_file.h>

#include <gtt/sync.h>

#include "sync/fence_internal.h"

#ifdef GTT_HAVE_LIBDRM
#include <xf86drm.h>

/* The error of the libdrm call that just failed: its syncobj calls return
 * -1 and leave the ioctl's errno. */
static int drm_error(void)
{
	return errno > 0 ? -errno : -EIO;
}
#endif

struct watch {
	struct watch *prev, *next;
	int fd;
	struct gtt_fence *fence;
};

struct gtt_watcher {
	int epfd;
	int stopfd;
	pthread_t thread;
	pthread_mutex_t lock;
	struct watch head;	/* circular list of pending watches */
	size_t count;
	bool stopping;
};

static const struct gtt_fence_ops fd_fence_ops = { .name = "fd" };

/* A sync_file's status: 1 signalled, 0 active, < 0 error; 2 for other fds. */
static int fd_status(int fd)
{
	struct sync_file_info info = { 0 };

	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
		return 2;
	return info.status;
}

static void finish(struct gtt_watcher *w, struct watch *wt, int error)
{
	pthread_mutex_lock(&w->lock);
	wt->prev->next = wt->next;
	wt->next->prev = wt->prev;
	w->count--;
	pthread_mutex_unlock(&w->lock);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, wt->fd, NULL);
	close(wt->fd);
	gtt_fence_signal(wt->fence, error);
	gtt_fence_put(wt->fence);
	mem_free(wt);
}

static void *watcher_main(void *arg)
{
	struct gtt_watcher *w = arg;
	struct epoll_event ev[32];

	for (;;) {
		int n = epoll_wait(w->epfd, ev, 32, -1);

		if (n < 0)
			continue;	/* EINTR */
		for (int i = 0; i < n; i++) {
			struct watch *wt = ev[i].data.ptr;
			int st;

			if (!wt)
				return NULL;	/* the stop eventfd */
			if (ev[i].events & EPOLLIN) {
				st = fd_status(wt->fd);
				finish(w, wt, st < 0 ? st : 0);
			} else {
				finish(w, wt, -EPIPE);
			}
		}
	}
}

GTT_API int gtt_watcher_create(struct gtt_watcher **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct gtt_watcher *w;
	int err;

	if (!out)
		return set_error(-EINVAL, "gtt_watcher_create: out is NULL");
	w = mem_zalloc(sizeof(*w));
	if (!w)
		return set_error(-ENOMEM, "gtt_watcher_create: out of memory");
	w->head.prev = w->head.next = &w->head;
	pthread_mutex_init(&w->lock, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || w->stopfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stopfd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	err = -pthread_create(&w->thread, NULL, watcher_main, w);
	if (err)
		goto fail;
	*out = w;
	return 0;
fail:
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->stopfd >= 0)
		close(w->stopfd);
	pthread_mutex_destroy(&w->lock);
	mem_free(w);
	return set_error(err, "gtt_watcher_create: cannot start the watcher");
}

GTT_API void gtt_watcher_destroy(struct gtt_watcher *w)
{
	uint64_t one = 1;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_mutex_unlock(&w->lock);
	if (write(w->stopfd, &one, sizeof(one)) != sizeof(one))
		(void)0;	/* an eventfd write of 1 cannot fail here */
	pthread_join(w->thread, NULL);
	while (w->head.next != &w->head)
		finish(w, w->head.next, -ECANCELED);
	close(w->stopfd);
	close(w->epfd);
	pthread_mutex_destroy(&w->lock);
	mem_free(w);
}

GTT_API size_t gtt_watcher_count(struct gtt_watcher *w)
{
	size_t n;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	n = w->count;
	pthread_mutex_unlock(&w->lock);
	return n;
}

GTT_API int gtt_fence_import_fd(struct gtt_watcher *w, int fd,
				struct gtt_fence **out)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	struct watch *wt;
	int err, dupfd;

	if (!w || !out)
		return set_error(-EINVAL, "gtt_fence_import_fd: watcher or out is NULL");
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dupfd < 0)
		return set_error(-EBADF, "gtt_fence_import_fd: %d is not an open descriptor", fd);
	wt = mem_zalloc(sizeof(*wt));
	if (!wt || gtt_fence_create_custom(&fd_fence_ops, NULL, 0, 0, &wt->fence)) {
		mem_free(wt);
		close(dupfd);
		return set_error(-ENOMEM, "gtt_fence_import_fd: out of memory");
	}
	wt->fd = dupfd;
	/* A sync_file stays with the fence, for the kernel to wait on in its
	 * place (gtt_fence_export_sync_file()); other descriptors do not. */
	if (fd_status(dupfd) != 2)
		fence_own_sync_fd(wt->fence, fcntl(dupfd, F_DUPFD_CLOEXEC, 3));
	*out = gtt_fence_get(wt->fence);
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		err = set_error(-ESHUTDOWN, "gtt_fence_import_fd: the watcher is stopping");
		goto undo;
	}
	wt->next = &w->head;
	wt->prev = w->head.prev;
	w->head.prev->next = wt;
	w->head.prev = wt;
	w->count++;
	ev.data.ptr = wt;
	/* Registered under the lock: the thread cannot finish it before. */
	err = epoll_ctl(w->epfd, EPOLL_CTL_ADD, dupfd, &ev) < 0 ? -errno : 0;
	if (err) {
		wt->prev->next = wt->next;
		wt->next->prev = wt->prev;
		w->count--;
	}
	pthread_mutex_unlock(&w->lock);
	if (!err)
		return 0;
	set_error(err, "gtt_fence_import_fd: descriptor %d cannot be polled", fd);
undo:
	gtt_fence_put(*out);
	*out = NULL;
	gtt_fence_put(wt->fence);
	close(dupfd);
	mem_free(wt);
	return err;
}

GTT_API int gtt_fence_import_syncobj(struct gtt_watcher *w, int drm_fd,
				     uint32_t handle, uint64_t point,
				     struct gtt_fence **out)
{
#ifdef GTT_HAVE_LIBDRM
	uint32_t tmp = 0, src = handle;
	int sync_fd = -1, err;

	if (!w || !out)
		return set_error(-EINVAL, "gtt_fence_import_syncobj: watcher or out is NULL");
	if (point) {
		/* Move the point's fence into a binary syncobj we can export. */
		err = drmSyncobjCreate(drm_fd, 0, &tmp) ? drm_error() : 0;
		if (!err && drmSyncobjTransfer(drm_fd, tmp, 0, handle, point, 0))
			err = drm_error();
		if (err) {
			if (tmp)
				drmSyncobjDestroy(drm_fd, tmp);
			return set_error(err,
					 "gtt_fence_import_syncobj: cannot take point %llu of syncobj %u",
					 (unsigned long long)point, handle);
		}
		src = tmp;
	}
	err = drmSyncobjExportSyncFile(drm_fd, src, &sync_fd) ? drm_error() : 0;
	if (tmp)
		drmSyncobjDestroy(drm_fd, tmp);
	if (err)
		return set_error(err,
				 "gtt_fence_import_syncobj: syncobj %u has no fence to export", handle);
	err = gtt_fence_import_fd(w, sync_fd, out);
	close(sync_fd);
	return err;
#else
	(void)w, (void)drm_fd, (void)handle, (void)point, (void)out;
	return set_error(-EOPNOTSUPP, "gtt_fence_import_syncobj: libgtt was built without libdrm "
			 "(-Dsyncobj=disabled)");
#endif
}

struct export_cb {
	struct gtt_fence_cb cb;
	int fd;
};

static void export_signalled(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct export_cb *e = container_of(cb, struct export_cb, cb);
	uint64_t one = 1;

	(void)f;
	if (write(e->fd, &one, sizeof(one)) != sizeof(one))
		(void)0;	/* count 0 -> 1 cannot overflow */
	close(e->fd);
	mem_free(e);
}

GTT_API int gtt_fence_export_sync_file(struct gtt_fence *fence, int *fd)
{
	if (!fence || !fd)
		return set_error(-EINVAL, "gtt_fence_export_sync_file: NULL argument");
	if (!fence_has_sync_fd(fence))
		return set_error(-ENODATA, "gtt_fence_export_sync_file: the fence ('%s') is one only the CPU knows, or has signalled",
				 gtt_fence_name(fence));
	*fd = fence_dup_sync_fd(fence);
	if (*fd < 0)
		return set_error(gtt_fence_is_signaled(fence) ? -ENODATA : -EMFILE,
				 "gtt_fence_export_sync_file: the fence signalled meanwhile, or no descriptor is left");
	return 0;
}

GTT_API int gtt_fence_export_eventfd(struct gtt_fence *fence, int *fd)
{
	struct export_cb *e;
	int efd;

	if (!fence || !fd)
		return set_error(-EINVAL, "gtt_fence_export_eventfd: NULL argument");
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return set_error(-errno, "gtt_fence_export_eventfd: eventfd failed");
	e = mem_alloc(sizeof(*e));
	/* Our own descriptor for the write: the caller may close theirs. */
	if (!e || (e->fd = fcntl(efd, F_DUPFD_CLOEXEC, 3)) < 0) {
		mem_free(e);
		close(efd);
		return set_error(-ENOMEM, "gtt_fence_export_eventfd: out of memory or descriptors");
	}
	if (gtt_fence_add_callback(fence, &e->cb, export_signalled) == -ENOENT)
		export_signalled(fence, &e->cb);
	*fd = efd;
	return 0;
}

#ifdef GTT_HAVE_LIBDRM
/* A signalled syncobj (binary) or timeline point, from the signalling thread. */
struct syncobj_cb {
	struct gtt_fence_cb cb;
	int fd;			/* our dup of the caller's DRM fd */
	uint32_t handle;
	uint64_t point;
};

static void syncobj_signalled(struct gtt_fence *f, struct gtt_fence_cb *cb)
{
	struct syncobj_cb *s = container_of(cb, struct syncobj_cb, cb);

	(void)f;
	/* Nobody to report a failure to: the handle was checked at export,
	 * so it fails only if the caller destroyed the syncobj since. */
	if (s->point)
		(void)drmSyncobjTimelineSignal(s->fd, &s->handle, &s->point, 1);
	else
		(void)drmSyncobjSignal(s->fd, &s->handle, 1);
	close(s->fd);
	mem_free(s);
}

/* The kernel's fence in sync_file @sfd, in the kernel: in place of the
 * binary syncobj's fence, or at @point through a temporary binary one. */
static int syncobj_take_kernel_fence(int drm_fd, uint32_t handle, uint64_t point,
				     int sfd)
{
	uint32_t tmp = 0;
	int err;

	if (!point) {
		if (drmSyncobjImportSyncFile(drm_fd, handle, sfd))
			return set_error(drm_error(), "gtt_fence_export_syncobj: cannot import the "
					 "fence's sync_file into syncobj %u", handle);
		return 0;
	}
	if (drmSyncobjCreate(drm_fd, 0, &tmp))
		return set_error(drm_error(), "gtt_fence_export_syncobj: cannot create a "
				 "temporary syncobj");
	err = drmSyncobjImportSyncFile(drm_fd, tmp, sfd) ? drm_error() : 0;
	if (!err && drmSyncobjTransfer(drm_fd, handle, point, tmp, 0, 0))
		err = drm_error();
	drmSyncobjDestroy(drm_fd, tmp);
	if (err)
		return set_error(err, "gtt_fence_export_syncobj: cannot put the fence at "
				 "point %llu of syncobj %u", (unsigned long long)point, handle);
	return 0;
}

/* Checks, on our dup @fd, what the callback will need: syncobjs (timeline
 * ones for a point) and the handle; a binary syncobj drops its old fence. */
static int syncobj_prepare(int fd, uint32_t handle, uint64_t point, bool pending)
{
	uint64_t cap = 0;
	int objfd = -1;

	if (drmGetCap(fd, point ? DRM_CAP_SYNCOBJ_TIMELINE : DRM_CAP_SYNCOBJ, &cap))
		return set_error(drm_error(), "gtt_fence_export_syncobj: cannot ask descriptor %d about syncobjs (not a DRM device?)", fd);
	if (!cap)
		return set_error(-EOPNOTSUPP, "gtt_fence_export_syncobj: the device has no %s",
				 point ? "timeline syncobjs" : "syncobjs");
	if (drmSyncobjHandleToFD(fd, handle, &objfd)) {
		int err = drm_error();

		/* The kernel says -EINVAL for a handle it does not have
		 * (drm_syncobj_handle_to_fd()); its other syncobj calls, and
		 * the kernel path here, say -ENOENT. */
		return set_error(err == -EINVAL ? -ENOENT : err,
				 "gtt_fence_export_syncobj: no syncobj %u on the device", handle);
	}
	close(objfd);
	if (!point && pending && drmSyncobjReset(fd, &handle, 1))
		return set_error(drm_error(), "gtt_fence_export_syncobj: cannot reset syncobj %u",
				 handle);
	return 0;
}
#endif

GTT_API int gtt_fence_export_syncobj(struct gtt_fence *fence, int drm_fd,
				     uint32_t handle, uint64_t point)
{
#ifdef GTT_HAVE_LIBDRM
	struct syncobj_cb *s;
	int sfd, err;

	if (!fence)
		return set_error(-EINVAL, "gtt_fence_export_syncobj: fence is NULL");
	if (drm_fd < 0)
		return set_error(-EBADF, "gtt_fence_export_syncobj: %d is not an open descriptor",
				 drm_fd);
	/* A kernel fence still pending goes in kernel-side; one that has
	 * signalled (its sync_file closed) takes the CPU path, at once. */
	sfd = fence_dup_sync_fd(fence);
	if (sfd >= 0) {
		err = syncobj_take_kernel_fence(drm_fd, handle, point, sfd);
		close(sfd);
		return err;
	}

	s = mem_alloc(sizeof(*s));
	if (!s)
		return set_error(-ENOMEM, "gtt_fence_export_syncobj: out of memory");
	s->fd = fcntl(drm_fd, F_DUPFD_CLOEXEC, 3);
	if (s->fd < 0) {
		err = -errno;
		mem_free(s);
		return set_error(err, "gtt_fence_export_syncobj: cannot duplicate descriptor %d",
				 drm_fd);
	}
	s->handle = handle;
	s->point = point;
	err = syncobj_prepare(s->fd, handle, point, !gtt_fence_is_signaled(fence));
	if (err) {
		close(s->fd);
		mem_free(s);
		return err;
	}
	if (gtt_fence_add_callback(fence, &s->cb, syncobj_signalled) == -ENOENT)
		syncobj_signalled(fence, &s->cb);
	return 0;
#else
	(void)fence, (void)drm_fd, (void)handle, (void)point;
	return set_error(-EOPNOTSUPP, "gtt_fence_export_syncobj: libgtt was built without libdrm "
			 "(-Dsyncobj=disabled)");
#endif
}
