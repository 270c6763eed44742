/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the QEMU guest (scripts/guest-test.sh): libgtt's DRM syncobj
 * import and export (gtt/sync.h) against the kernel's real syncobjs, on the
 * render node of QEMU's virtio-gpu-pci (Linux 6.12's virtio_gpu has
 * DRIVER_SYNCOBJ and DRIVER_SYNCOBJ_TIMELINE; vgem has neither).  Kernel
 * fences that stay pending until we say so come from vgem: a dumb buffer's
 * fence, exported as a sync_file through its dma-buf, signalled with
 * vgem's ioctl (vgem also signals them itself after 10 s, so every check
 * signals its fences well before that).  sw_sync timelines (debugfs) give
 * kernel fences too, ones that can also signal with an error.
 * Prints "guest: N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <xf86drm.h>

#include <gtt/gtt.h>

#include "base/util.h"
#include "tests/guest/guest_fences.h"
#include "tests/support/probe.h"

#define SEC 1000000000ll

static int passed, failed;

#define CHECK(cond, what) do { \
	if (cond) { passed++; printf("guest: ok   syncobj: %s\n", what); } \
	else { failed++; printf("guest: FAIL syncobj: %s (errno %d: %s)\n", what, errno, \
				gtt_last_error()); } \
} while (0)

static int vgem = -1, gpu = -1;

/* The first node under /dev/dri named @prefix%d whose driver is @name. */
static int open_driver(const char *prefix, int first, const char *name)
{
	char path[64];

	for (int i = first; i < first + 8; i++) {
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/%s%d", prefix, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, name)) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

static int fds_now(void)
{
	return probe_entries("/proc/self/fd");
}

static int64_t abs_ns(int64_t from_now)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * SEC + ts.tv_nsec + from_now;
}

/* A pending vgem fence as a sync_file; its id for vgem_signal(). */
static int vgem_fence(uint32_t *id)
{
	struct drm_mode_create_dumb dumb = { .height = 1, .width = 1024, .bpp = 32 };
	struct vgem_attach at = { .flags = VGEM_FENCE_WRITE };
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_WRITE };
	int dmabuf, err;

	if (drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb))
		return -1;
	at.handle = dumb.handle;
	err = drmIoctl(vgem, VGEM_ATTACH, &at);
	if (!err)
		err = drmPrimeHandleToFD(vgem, dumb.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf);
	drmCloseBufferHandle(vgem, dumb.handle);	/* the fence outlives it */
	if (err)
		return -1;
	*id = at.out_fence;
	err = ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex);
	close(dmabuf);
	return err ? -1 : ex.fd;
}

static int vgem_signal(uint32_t id)
{
	struct vgem_signal sig = { .fence = id };

	return drmIoctl(vgem, VGEM_SIGNAL, &sig);
}

/* Put sync_file @sf into @handle: as its fence (@point 0) or at @point. */
static int into_syncobj(int sf, uint32_t handle, uint64_t point)
{
	uint32_t tmp;
	int err;

	if (!point)
		return drmSyncobjImportSyncFile(gpu, handle, sf);
	if (drmSyncobjCreate(gpu, 0, &tmp))
		return -1;
	err = drmSyncobjImportSyncFile(gpu, tmp, sf);
	if (!err)
		err = drmSyncobjTransfer(gpu, handle, point, tmp, 0, 0);
	drmSyncobjDestroy(gpu, tmp);
	return err;
}

/* A pending vgem fence at @point of @handle (0: as the binary fence). */
static int pending_in_syncobj(uint32_t handle, uint64_t point, uint32_t *id)
{
	int sf = vgem_fence(id), err;

	if (sf < 0)
		return -1;
	err = into_syncobj(sf, handle, point);
	close(sf);
	return err;
}

/* drmSyncobjTimelineWait() of one point (0: a binary syncobj), flags, timeout from now. */
static int wait_point(uint32_t handle, uint64_t point, unsigned int flags, int64_t timeout)
{
	return drmSyncobjTimelineWait(gpu, &handle, &point, 1, abs_ns(timeout), flags, NULL);
}

/* A thread blocked in drmSyncobjTimelineWait(WAIT_FOR_SUBMIT). */
struct waiter {
	pthread_t thread;
	uint32_t handle;
	uint64_t point;
	int ret;
	_Atomic bool done;
};

static void *waiter_main(void *arg)
{
	struct waiter *wt = arg;

	wt->ret = wait_point(wt->handle, wt->point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			     10 * SEC);
	atomic_store(&wt->done, true);
	return NULL;
}

static void waiter_start(struct waiter *wt, uint32_t handle, uint64_t point)
{
	*wt = (struct waiter){ .handle = handle, .point = point, .ret = 1 };
	pthread_create(&wt->thread, NULL, waiter_main, wt);
	usleep(50000);		/* let it block in the kernel */
}

static int waiter_join(struct waiter *wt)
{
	pthread_join(wt->thread, NULL);
	return wt->ret;
}

static void device_checks(void)
{
	uint64_t cap = 0, tcap = 0;

	CHECK(drmGetCap(gpu, DRM_CAP_SYNCOBJ, &cap) == 0 && cap == 1 &&
	      drmGetCap(gpu, DRM_CAP_SYNCOBJ_TIMELINE, &tcap) == 0 && tcap == 1,
	      "virtio_gpu has syncobjs and timeline syncobjs (DRM_CAP_SYNCOBJ{,_TIMELINE})");
	CHECK(drmGetCap(vgem, DRM_CAP_SYNCOBJ, &cap) == 0 && cap == 0,
	      "vgem has none");
	CHECK(fds_now() > 0, "open descriptors counted in /proc/self/fd");
}

static void import_checks(struct gtt_watcher *w)
{
	struct gtt_fence *f = NULL, *g = NULL;
	uint32_t b, t;

	drmSyncobjCreate(gpu, 0, &b);
	drmSyncobjCreate(gpu, 0, &t);
	CHECK(gtt_fence_import_syncobj(w, gpu, b, 0, &f) == -EINVAL && !f,
	      "binary import of a syncobj with no fence yet: -EINVAL");
	CHECK(gtt_fence_import_syncobj(w, gpu, 9999, 0, &f) == -ENOENT && !f,
	      "import of a handle that does not exist: -ENOENT");
	CHECK(drmSyncobjSignal(gpu, &b, 1) == 0 && gtt_fence_import_syncobj(w, gpu, b, 0, &f) == 0 &&
	      gtt_fence_wait(f, 5 * SEC) == 0 && gtt_fence_status(f) == 1,
	      "binary import after drmSyncobjSignal: signalled");
	gtt_fence_put(f);
	f = NULL;

	uint64_t five = 5;
	CHECK(gtt_fence_import_syncobj(w, gpu, t, 5, &f) == -EINVAL && !f,
	      "timeline import of a point with no fence yet: -EINVAL");
	CHECK(drmSyncobjTimelineSignal(gpu, &t, &five, 1) == 0 &&
	      gtt_fence_import_syncobj(w, gpu, t, 5, &f) == 0 &&
	      gtt_fence_import_syncobj(w, gpu, t, 3, &g) == 0 &&
	      gtt_fence_wait(f, 5 * SEC) == 0 && gtt_fence_status(f) == 1 &&
	      gtt_fence_wait(g, 5 * SEC) == 0 && gtt_fence_status(g) == 1,
	      "timeline import of points 5 and 3 after drmSyncobjTimelineSignal(5): signalled");
	gtt_fence_put(f);
	gtt_fence_put(g);
	f = g = NULL;

	/* Pending kernel fences: vgem's, in the binary syncobj and at point 7. */
	uint32_t idb, idt;
	CHECK(pending_in_syncobj(b, 0, &idb) == 0 && pending_in_syncobj(t, 7, &idt) == 0,
	      "vgem sync_files transferred into the binary syncobj and to point 7");
	CHECK(gtt_fence_import_syncobj(w, gpu, b, 0, &f) == 0 &&
	      gtt_fence_import_syncobj(w, gpu, t, 7, &g) == 0 &&
	      gtt_fence_wait(f, SEC / 10) == -ETIME && gtt_fence_wait(g, 0) == -ETIME,
	      "both imports pending while vgem's fences are");
	CHECK(vgem_signal(idb) == 0 && gtt_fence_wait(f, 5 * SEC) == 0 && gtt_fence_status(f) == 1 &&
	      gtt_fence_wait(g, SEC / 10) == -ETIME,
	      "vgem signals the binary one's fence: that import signals, the point's does not");
	/* The pending imported point is a fence the kernel knows. */
	int sf = -1;
	CHECK(gtt_fence_export_sync_file(g, &sf) == 0 && sf >= 0,
	      "a pending imported syncobj point exports as a sync_file");
	if (sf >= 0)
		close(sf);
	CHECK(vgem_signal(idt) == 0 && gtt_fence_wait(g, 5 * SEC) == 0 && gtt_fence_status(g) == 1,
	      "vgem signals point 7's fence: the timeline import signals");
	/* Signalled, it keeps no descriptor: nothing is left to wait for. */
	CHECK(gtt_fence_export_sync_file(g, &sf) == -ENODATA,
	      "a signalled import exports no sync_file (-ENODATA)");
	gtt_fence_put(f);
	gtt_fence_put(g);
	drmSyncobjDestroy(gpu, b);
	drmSyncobjDestroy(gpu, t);
}

/* A CPU-only fence exported: the syncobj is signalled from the CPU. */
static void cpu_export_checks(void)
{
	struct gtt_fence *f, *e;
	struct waiter wt;
	uint32_t b, t;
	uint64_t last = 0;
	int fds;

	drmSyncobjCreate(gpu, 0, &t);
	gtt_fence_create(0, 0, &f);
	CHECK(gtt_fence_export_syncobj(f, gpu, t, 4) == 0, "a CPU fence exported to timeline point 4");
	CHECK(wait_point(t, 4, 0, 0) == -EINVAL,
	      "before it signals, point 4 has no fence: a wait without WAIT_FOR_SUBMIT gets -EINVAL");
	CHECK(wait_point(t, 4, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, SEC / 20) == -ETIME,
	      "with WAIT_FOR_SUBMIT it times out");
	waiter_start(&wt, t, 4);
	CHECK(!atomic_load(&wt.done), "a thread waits for point 4 (WAIT_FOR_SUBMIT)");
	gtt_fence_signal(f, 0);
	CHECK(waiter_join(&wt) == 0, "the fence signals: the waiting thread returns 0");
	CHECK(drmSyncobjQuery(gpu, &t, &last, 1) == 0 && last == 4, "the timeline's payload is 4");
	gtt_fence_put(f);

	/* Binary: an old signalled fence is dropped at export. */
	drmSyncobjCreate(gpu, DRM_SYNCOBJ_CREATE_SIGNALED, &b);
	gtt_fence_create(0, 0, &f);
	CHECK(gtt_fence_export_syncobj(f, gpu, b, 0) == 0, "a CPU fence exported to a signalled binary syncobj");
	CHECK(wait_point(b, 0, 0, 0) == -EINVAL,
	      "its old fence is gone: a wait without WAIT_FOR_SUBMIT gets -EINVAL");
	waiter_start(&wt, b, 0);
	CHECK(!atomic_load(&wt.done), "a thread waits for it (drmSyncobjTimelineWait, WAIT_FOR_SUBMIT)");
	gtt_fence_signal(f, -EIO);
	CHECK(waiter_join(&wt) == 0 && wait_point(b, 0, 0, 0) == 0,
	      "the fence signals (with -EIO): the thread returns 0, the syncobj is signalled");
	gtt_fence_put(f);

	/* Already signalled: signalled at once. */
	gtt_fence_create(0, 0, &f);
	gtt_fence_signal(f, 0);
	CHECK(gtt_fence_export_syncobj(f, gpu, t, 6) == 0 && wait_point(t, 6, 0, 0) == 0,
	      "a signalled fence exported to point 6: signalled at once");
	gtt_fence_put(f);

	/* Failures leave nothing behind. */
	gtt_fence_create(0, 0, &f);
	fds = fds_now();
	CHECK(gtt_fence_export_syncobj(f, gpu, 9999, 0) == -ENOENT &&
	      gtt_fence_export_syncobj(f, gpu, 9999, 8) == -ENOENT &&
	      probe_no_callbacks(f) && fds_now() == fds,
	      "export to a handle that does not exist: -ENOENT, no callback, no descriptor");
	CHECK(gtt_fence_export_syncobj(f, vgem, 1, 0) == -EOPNOTSUPP && probe_no_callbacks(f) &&
	      strstr(gtt_last_error(), "no syncobjs"),
	      "export through vgem, which has no syncobjs: -EOPNOTSUPP");
	drmSyncobjSignal(gpu, &b, 1);
	mem_fail_after(1);
	CHECK(gtt_fence_export_syncobj(f, gpu, b, 0) == -ENOMEM && mem_fail_fired() &&
	      probe_no_callbacks(f) && fds_now() == fds && wait_point(b, 0, 0, 0) == 0,
	      "out of memory: -ENOMEM, the syncobj untouched, nothing left");
	mem_fail_after(0);
	/* The caller closes its descriptor, and destroys the syncobj, early. */
	int dupfd = fcntl(gpu, F_DUPFD_CLOEXEC, 3);
	drmSyncobjCreate(gpu, 0, &b);
	CHECK(gtt_fence_export_syncobj(f, dupfd, t, 10) == 0 && close(dupfd) == 0,
	      "export on a descriptor the caller then closes");
	gtt_fence_create(0, 0, &e);
	CHECK(gtt_fence_export_syncobj(e, gpu, b, 0) == 0 && drmSyncobjDestroy(gpu, b) == 0,
	      "export to a syncobj the caller then destroys");
	waiter_start(&wt, t, 10);
	gtt_fence_signal(f, 0);
	gtt_fence_signal(e, 0);
	CHECK(waiter_join(&wt) == 0 && fds_now() == fds,
	      "both signal: point 10 through the library's own descriptor; descriptors closed");
	gtt_fence_put(f);
	gtt_fence_put(e);
	drmSyncobjDestroy(gpu, t);
}

/* A fence the kernel knows goes into the syncobj in the kernel, at once. */
static void kernel_export_checks(struct gtt_watcher *w)
{
	struct gtt_fence *f = NULL, *c;
	uint32_t b, t, id;
	int sf, out = -1, fds;

	drmSyncobjCreate(gpu, 0, &b);
	drmSyncobjCreate(gpu, 0, &t);
	sf = vgem_fence(&id);
	CHECK(sf >= 0 && gtt_fence_import_fd(w, sf, &f) == 0, "a vgem sync_file imported");
	close(sf);
	if (!f)
		return;
	CHECK(gtt_fence_export_syncobj(f, gpu, b, 0) == 0 &&
	      gtt_fence_export_syncobj(f, gpu, t, 3) == 0 && probe_no_callbacks(f),
	      "exported to a binary syncobj and to point 3, with no callback");
	CHECK(wait_point(b, 0, 0, 0) == -ETIME && wait_point(t, 3, 0, 0) == -ETIME,
	      "both hold a pending fence at once: waits without WAIT_FOR_SUBMIT time out");
	CHECK(drmSyncobjExportSyncFile(gpu, b, &out) == 0, "the binary syncobj's fence exports as a sync_file");
	struct pollfd pfd = { .fd = out, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0, "that sync_file is pending");
	struct waiter wt;
	waiter_start(&wt, t, 3);
	CHECK(!atomic_load(&wt.done) && !gtt_fence_is_signaled(f), "a thread waits for point 3");
	CHECK(vgem_signal(id) == 0 && waiter_join(&wt) == 0 && wait_point(b, 0, 0, SEC) == 0 &&
	      poll(&pfd, 1, 1000) == 1,
	      "vgem signals: point 3 and the binary syncobj signal in the kernel");
	CHECK(gtt_fence_wait(f, 5 * SEC) == 0 && gtt_fence_status(f) == 1, "and the library's fence");
	close(out);

	/* Errors of the kernel path. */
	fds = fds_now();
	CHECK(gtt_fence_export_syncobj(f, gpu, 9999, 0) == -ENOENT &&
	      gtt_fence_export_syncobj(f, gpu, 9999, 2) == -ENOENT && fds_now() == fds,
	      "kernel path to a handle that does not exist: -ENOENT, nothing left");
	CHECK(gtt_fence_export_syncobj(f, vgem, 1, 0) == -EOPNOTSUPP &&
	      gtt_fence_export_syncobj(f, vgem, 1, 2) == -EOPNOTSUPP && fds_now() == fds,
	      "kernel path through vgem, which has no syncobjs: -EOPNOTSUPP");
	gtt_fence_put(f);

	/* gtt_fence_export_sync_file round trip. */
	struct gtt_fence *g = NULL;
	sf = vgem_fence(&id);
	f = NULL;
	CHECK(sf >= 0 && gtt_fence_import_fd(w, sf, &f) == 0 &&
	      gtt_fence_export_sync_file(f, &out) == 0, "a vgem fence imported and exported as a sync_file");
	close(sf);
	struct sync_file_info info = { 0 };
	CHECK(f && ioctl(out, SYNC_IOC_FILE_INFO, &info) == 0 && info.status == 0,
	      "the export is a real sync_file, active");
	CHECK(f && gtt_fence_import_fd(w, out, &g) == 0 && gtt_fence_wait(g, SEC / 10) == -ETIME,
	      "imported again: pending");
	CHECK(vgem_signal(id) == 0 && g && gtt_fence_wait(g, 5 * SEC) == 0 && gtt_fence_status(g) == 1 &&
	      gtt_fence_wait(f, 5 * SEC) == 0,
	      "vgem signals: both library fences signal");
	pfd.fd = out;
	CHECK(poll(&pfd, 1, 0) == 1, "and the exported sync_file is readable");
	close(out);
	gtt_fence_create(0, 0, &c);
	CHECK(gtt_fence_export_sync_file(c, &out) == -ENODATA, "a CPU fence has no sync_file: -ENODATA");
	gtt_fence_put(c);
	gtt_fence_put(f);
	gtt_fence_put(g);
	drmSyncobjDestroy(gpu, b);
	drmSyncobjDestroy(gpu, t);
}

/* An imported sw_sync fence exported to syncobjs: sw_sync's own fence is
 * what the syncobjs hold, its signal and its error reach them in the kernel. */
static void sw_sync_export_checks(struct gtt_watcher *w)
{
	struct sw_sync_create_fence_data d = { .value = 1, .name = "gtt" };
	struct gtt_fence *f = NULL, *g = NULL;
	char driver[32] = "";
	uint32_t b, t, one = 1;
	int tl, out = -1, out2 = -1;

	tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	CHECK(tl >= 0 && ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) == 0 &&
	      gtt_fence_import_fd(w, d.fence, &f) == 0,
	      "a sw_sync fence (point 1 of a timeline) imported");
	if (!f)
		return;
	close(d.fence);
	drmSyncobjCreate(gpu, 0, &b);
	drmSyncobjCreate(gpu, 0, &t);
	CHECK(gtt_fence_export_syncobj(f, gpu, b, 0) == 0 &&
	      gtt_fence_export_syncobj(f, gpu, t, 2) == 0 && probe_no_callbacks(f),
	      "exported to a binary syncobj and to point 2 in the kernel (no callback)");
	CHECK(wait_point(b, 0, 0, 0) == -ETIME && wait_point(t, 2, 0, 0) == -ETIME &&
	      drmSyncobjExportSyncFile(gpu, b, &out) == 0 &&
	      sf_info(out, driver, sizeof(driver)) == 0 && !strcmp(driver, "sw_sync"),
	      "the syncobj holds sw_sync's fence itself, pending");
	CHECK(ioctl(tl, SW_SYNC_IOC_INC, &one) == 0 && wait_point(b, 0, 0, SEC) == 0 &&
	      wait_point(t, 2, 0, SEC) == 0 && gtt_fence_wait(f, 5 * SEC) == 0 &&
	      gtt_fence_status(f) == 1,
	      "sw_sync's timeline moves to 1: both syncobjs and the library fence signal");
	close(out);
	gtt_fence_put(f);
	f = NULL;

	/* A fence that ends in an error: the timeline is closed first. */
	d = (struct sw_sync_create_fence_data){ .value = 5, .name = "gtt" };
	CHECK(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) == 0 && gtt_fence_import_fd(w, d.fence, &g) == 0 &&
	      gtt_fence_export_syncobj(g, gpu, b, 0) == 0 && wait_point(b, 0, 0, 0) == -ETIME,
	      "a second sw_sync fence (point 5) imported and exported to the binary syncobj");
	close(d.fence);
	close(tl);
	CHECK(g && gtt_fence_wait(g, 5 * SEC) == 0 && gtt_fence_status(g) == -ENOENT &&
	      wait_point(b, 0, 0, SEC) == 0 && drmSyncobjExportSyncFile(gpu, b, &out2) == 0 &&
	      sf_info(out2, driver, sizeof(driver)) == -ENOENT,
	      "the timeline closed: the library fence and the syncobj's fence both end with -ENOENT");
	if (out2 >= 0)
		close(out2);
	gtt_fence_put(g);
	drmSyncobjDestroy(gpu, b);
	drmSyncobjDestroy(gpu, t);
}

/* An async bind ordered behind an imported timeline point; its fence out to point 2. */
static void bind_checks(struct gtt_watcher *w)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 1 << 20 };
	struct gtt_vm_config vc = { .start = 0x10000, .size = 1 << 20 };
	struct gtt_pages_segment seg = { 0x80000000, 4096 };
	struct gtt_fence *dep = NULL, *bindf = NULL;
	struct gtt_mock_entry e = { 0 };
	struct gtt_backend *be;
	struct gtt_pages *pages;
	struct gtt_vm *vm;
	struct waiter wt;
	uint32_t t, id;
	gtt_vma_t v;

	drmSyncobjCreate(gpu, 0, &t);
	CHECK(pending_in_syncobj(t, 1, &id) == 0 && gtt_fence_import_syncobj(w, gpu, t, 1, &dep) == 0,
	      "a pending vgem fence at point 1, imported");
	if (!dep)
		return;
	gtt_mock_create(&mc, &be);
	vc.backend = be;
	gtt_vm_create(&vc, &vm);
	gtt_pages_create(&seg, 1, 0, &pages);
	gtt_vma_create(vm, pages, NULL, &v);
	struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC, .deps = &dep, .num_deps = 1 };
	CHECK(gtt_vma_bind(vm, v, &bi, &bindf) == 0 && !gtt_fence_is_signaled(bindf),
	      "an async bind behind point 1 returns with a pending fence");
	CHECK(bindf && gtt_fence_export_syncobj(bindf, gpu, t, 2) == 0,
	      "the bind fence exported to point 2");
	waiter_start(&wt, t, 2);
	usleep(100000);
	CHECK(gtt_mock_read(be, 0x10000, &e) == 0 && !e.valid && !atomic_load(&wt.done),
	      "150 ms later: no PTE yet, point 2 not signalled");
	CHECK(vgem_signal(id) == 0 && gtt_fence_wait(bindf, 5 * SEC) == 0 &&
	      gtt_fence_status(bindf) == 1, "vgem signals point 1: the bind completes");
	CHECK(gtt_mock_read(be, 0x10000, &e) == 0 && e.valid && e.addr == 0x80000000,
	      "the PTE is written");
	CHECK(waiter_join(&wt) == 0, "and the thread waiting for point 2 returns");
	gtt_fence_put(dep);
	gtt_fence_put(bindf);
	gtt_pages_put(pages);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	drmSyncobjDestroy(gpu, t);
}

/* Destroying a watcher with imports in flight cancels them; nothing leaks. */
static void teardown_checks(void)
{
	struct gtt_fence *f[3] = { NULL, NULL, NULL };
	struct gtt_watcher *w;
	uint32_t b, t, id[3];
	int64_t live;
	int fds, sf;

	drmSyncobjCreate(gpu, 0, &b);
	drmSyncobjCreate(gpu, 0, &t);
	fds = fds_now();
	live = mem_live();
	gtt_watcher_create(&w);
	sf = vgem_fence(&id[2]);
	CHECK(pending_in_syncobj(b, 0, &id[0]) == 0 && pending_in_syncobj(t, 9, &id[1]) == 0 &&
	      sf >= 0 && gtt_fence_import_syncobj(w, gpu, b, 0, &f[0]) == 0 &&
	      gtt_fence_import_syncobj(w, gpu, t, 9, &f[1]) == 0 &&
	      gtt_fence_import_fd(w, sf, &f[2]) == 0 && gtt_watcher_count(w) == 3,
	      "a new watcher with three pending imports (binary, point 9, sync_file)");
	close(sf);
	gtt_watcher_destroy(w);
	CHECK(f[0] && f[1] && f[2] && gtt_fence_status(f[0]) == -ECANCELED &&
	      gtt_fence_status(f[1]) == -ECANCELED && gtt_fence_status(f[2]) == -ECANCELED,
	      "watcher destroyed: all three fences -ECANCELED");
	for (int i = 0; i < 3; i++)
		gtt_fence_put(f[i]);
	CHECK(mem_live() == live && fds_now() == fds,
	      "no memory and no descriptor left behind");
	for (int i = 0; i < 3; i++)
		vgem_signal(id[i]);
	drmSyncobjDestroy(gpu, b);
	drmSyncobjDestroy(gpu, t);
}

int main(void)
{
	struct gtt_watcher *w = NULL;

	vgem = open_driver("card", 0, "vgem");
	gpu = open_driver("renderD", 128, "virtio_gpu");
	CHECK(vgem >= 0 && gpu >= 0, "vgem and the virtio_gpu render node opened");
	if (vgem < 0 || gpu < 0)
		goto out;
	device_checks();
	CHECK(gtt_watcher_create(&w) == 0, "watcher started");
	import_checks(w);
	cpu_export_checks();
	kernel_export_checks(w);
	sw_sync_export_checks(w);
	bind_checks(w);
	gtt_watcher_destroy(w);
	teardown_checks();
out:
	printf("guest: %d passed, %d failed\n", passed, failed);
	return failed || !passed;
}
