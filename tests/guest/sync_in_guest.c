/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the QEMU guest (scripts/guest-test.sh): libgtt's kernel
 * fence import against real kernel sync_files.  vgem gives a dumb buffer
 * a fence that stays unsignalled until we signal it; the buffer's dma-buf
 * exports that fence as a sync_file.  sw_sync (CONFIG_SW_SYNC, in debugfs)
 * gives timelines whose fences signal when the timeline's counter passes
 * them, and with -ENOENT when the timeline is closed first: the error
 * an imported fence must carry.  Prints "guest: N passed, M failed".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <xf86drm.h>

#include <gtt/gtt.h>

#include "tests/guest/guest_fences.h"

static int passed, failed;

#define CHECK(cond, what) do { \
	if (cond) { passed++; printf("guest: ok   %s\n", what); } \
	else { failed++; printf("guest: FAIL %s (errno %d)\n", what, errno); } \
} while (0)

static int open_vgem(void)
{
	char path[64];

	for (int i = 0; i < 8; i++) {
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, "vgem")) {
			drmFreeVersion(v);
			return fd;
		}
		drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

/* A dumb buffer with an unsignalled vgem fence, and that fence as a sync_file. */
static int fenced_sync_file(int drm, uint32_t *fence_id)
{
	struct drm_mode_create_dumb dumb = { .height = 1, .width = 1024, .bpp = 32 };
	struct vgem_attach at = { .flags = VGEM_FENCE_WRITE };
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_WRITE };
	int dmabuf;

	if (drmIoctl(drm, DRM_IOCTL_MODE_CREATE_DUMB, &dumb))
		return -1;
	at.handle = dumb.handle;
	if (drmIoctl(drm, VGEM_ATTACH, &at))
		return -1;
	*fence_id = at.out_fence;
	if (drmPrimeHandleToFD(drm, dumb.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf))
		return -1;
	if (ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex)) {
		close(dmabuf);
		return -1;
	}
	close(dmabuf);
	return ex.fd;
}

/* A sync_file for point @value of sw_sync timeline @tl, or -1. */
static int sw_fence(int tl, uint32_t value)
{
	struct sw_sync_create_fence_data d = { .value = value, .name = "gtt" };

	return ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d) ? -1 : d.fence;
}

static int sw_inc(int tl, uint32_t by)
{
	return ioctl(tl, SW_SYNC_IOC_INC, &by);
}

/* Fences from sw_sync timelines: signalled by the counter, or with an
 * error when the timeline goes away. */
static void sw_sync_checks(void)
{
	struct gtt_fence *f[4] = { NULL, NULL, NULL, NULL };
	struct gtt_watcher *w;
	char driver[32] = "";
	int tl, sf[4], out = -1;

	tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	CHECK(tl >= 0, "sw_sync timeline opened (" SW_SYNC_PATH ")");
	if (tl < 0)
		return;
	gtt_watcher_create(&w);
	sf[0] = sw_fence(tl, 1);
	sf[1] = sw_fence(tl, 2);
	sf[2] = sw_fence(tl, 5);
	CHECK(sf[0] >= 0 && sf[1] >= 0 && sf[2] >= 0 && sf_info(sf[0], driver, sizeof(driver)) == 0 &&
	      !strcmp(driver, "sw_sync"),
	      "sw_sync fences at points 1, 2 and 5: pending sync_files of driver sw_sync");
	CHECK(gtt_fence_import_fd(w, sf[0], &f[0]) == 0 && gtt_fence_import_fd(w, sf[1], &f[1]) == 0 &&
	      gtt_fence_import_fd(w, sf[2], &f[2]) == 0 &&
	      gtt_fence_wait(f[0], 100000000) == -ETIME && !gtt_fence_is_signaled(f[1]),
	      "imported: pending while sw_sync's are");
	CHECK(sw_inc(tl, 1) == 0 && gtt_fence_wait(f[0], 5000000000ll) == 0 &&
	      gtt_fence_status(f[0]) == 1 && gtt_fence_wait(f[1], 100000000) == -ETIME,
	      "the timeline moves to 1: point 1's import signals, point 2's does not");
	CHECK(gtt_fence_export_sync_file(f[1], &out) == 0 &&
	      sf_info(out, driver, sizeof(driver)) == 0 && !strcmp(driver, "sw_sync"),
	      "an imported sw_sync fence exports as a sync_file holding sw_sync's fence");
	CHECK(sw_inc(tl, 1) == 0 && gtt_fence_wait(f[1], 5000000000ll) == 0 &&
	      gtt_fence_status(f[1]) == 1 && sf_info(out, driver, sizeof(driver)) == 1,
	      "the timeline moves to 2: point 2's import and its export signal");
	sf[3] = sw_fence(tl, 2);
	CHECK(sf[3] >= 0 && gtt_fence_import_fd(w, sf[3], &f[3]) == 0 &&
	      gtt_fence_wait(f[3], 5000000000ll) == 0 && gtt_fence_status(f[3]) == 1,
	      "a fence at a point the timeline has passed: imported signalled");
	/* Closing the timeline signals what is left on it with -ENOENT. */
	close(tl);
	CHECK(gtt_fence_wait(f[2], 5000000000ll) == 0 && gtt_fence_status(f[2]) == -ENOENT &&
	      sf_info(sf[2], driver, sizeof(driver)) == -ENOENT,
	      "the timeline closed under point 5: the kernel signals it with -ENOENT, "
	      "and the import carries -ENOENT");
	for (int i = 0; i < 4; i++) {
		gtt_fence_put(f[i]);
		if (sf[i] >= 0)
			close(sf[i]);
	}
	if (out >= 0)
		close(out);
	gtt_watcher_destroy(w);
}

int main(void)
{
	struct gtt_mock_config mc = { .start = 0x10000, .size = 1 << 20 };
	struct gtt_vm_config vc = { .start = 0x10000, .size = 1 << 20 };
	struct gtt_pages_segment seg = { 0x80000000, 4096 };
	struct gtt_fence *f = NULL, *g = NULL, *bindf = NULL, *s = NULL;
	struct pollfd pfd = { .events = POLLIN };
	struct gtt_mock_entry e;
	struct gtt_watcher *w;
	struct gtt_backend *be;
	struct gtt_pages *pages;
	struct gtt_vm *vm;
	uint32_t id, id2, syncobj;
	gtt_vma_t v;
	int drm, sf, sf2;

	drm = open_vgem();
	CHECK(drm >= 0, "vgem device opened");
	if (drm < 0)
		goto out;
	sf = fenced_sync_file(drm, &id);
	CHECK(sf >= 0, "sync_file exported from a vgem-fenced dma-buf");
	if (sf < 0)
		goto out;
	pfd.fd = sf;
	CHECK(poll(&pfd, 1, 0) == 0, "the kernel fence starts unsignalled");

	gtt_watcher_create(&w);
	CHECK(gtt_fence_import_fd(w, sf, &f) == 0, "sync_file imported");
	CHECK(gtt_fence_wait(f, 100000000) == -ETIME, "imported fence pending while the kernel's is");

	/* The kernel fence orders an async bind. */
	gtt_mock_create(&mc, &be);
	vc.backend = be;
	gtt_vm_create(&vc, &vm);
	gtt_pages_create(&seg, 1, 0, &pages);
	gtt_vma_create(vm, pages, NULL, &v);
	struct gtt_bind_info bi = { .flags = GTT_BIND_ASYNC, .deps = &f, .num_deps = 1 };
	CHECK(gtt_vma_bind(vm, v, &bi, &bindf) == 0 && !gtt_fence_is_signaled(bindf),
	      "bind waits for the kernel fence");

	struct vgem_signal sig = { .fence = id };
	CHECK(drmIoctl(drm, VGEM_SIGNAL, &sig) == 0, "vgem signals its fence");
	CHECK(gtt_fence_wait(f, 5000000000ll) == 0 && gtt_fence_status(f) == 1,
	      "imported fence signalled by the kernel");
	CHECK(gtt_fence_wait(bindf, 5000000000ll) == 0 && gtt_fence_status(bindf) == 1,
	      "the bind completed after it");
	CHECK(gtt_mock_read(be, 0x10000, &e) == 0 && e.valid && e.addr == 0x80000000,
	      "the PTE was written");

	/* Destroying the watcher cancels what it still watches. */
	sf2 = fenced_sync_file(drm, &id2);
	CHECK(sf2 >= 0 && gtt_fence_import_fd(w, sf2, &g) == 0, "second sync_file imported");
	gtt_watcher_destroy(w);
	CHECK(gtt_fence_status(g) == -ECANCELED, "watcher destroy cancels a pending import");
	sig.fence = id2;
	drmIoctl(drm, VGEM_SIGNAL, &sig);

	/* vgem has no syncobjs: the import fails cleanly. */
	gtt_watcher_create(&w);
	syncobj = 1;
	CHECK(drmSyncobjCreate(drm, 0, &syncobj) != 0 &&
	      gtt_fence_import_syncobj(w, drm, 1, 0, &s) < 0 && !s,
	      "syncobj import refused cleanly on a driver without syncobjs");
	gtt_watcher_destroy(w);
	sw_sync_checks();

	gtt_fence_put(f);
	gtt_fence_put(g);
	gtt_fence_put(bindf);
	gtt_pages_put(pages);
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	close(sf);
	close(sf2);
out:
	printf("guest: %d passed, %d failed\n", passed, failed);
	return failed || !passed;
}
