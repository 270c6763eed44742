/* SPDX-License-Identifier: MIT */
/*
 * gttctl --xe DEVICE: a gtt_vm over the xe backend (gtt/xe.h) on an xe
 * render node, driven by a list of commands that run in order on one VM:
 * bind [ADDR] (a new buffer of --pages pages: a GEM object in system
 * memory, or with --userptr malloc'd memory), unbind ADDR, dump.  The
 * kernel has no PTE read-back, so dump prints the vm's bookkeeping
 * (gtt_vm_dump()).  Whatever is still bound when the list ends is
 * unbound, and the VM destroyed, before gttctl exits.  With --dry-run no
 * device is opened: the backend prints every ioctl instead of issuing it,
 * and so does this file for its own (GEM create and close).
 *
 * Built only with the xe backend (-Dxe, Linux >= 6.8 uAPI headers).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gtt/gtt.h>
#include <gtt/xe.h>

#include "gttctl.h"

static bool is_command(const char *s)
{
	return !strcmp(s, "bind") || !strcmp(s, "unbind") || !strcmp(s, "dump");
}

static int xe_main(const struct opts *o, int argc, char **argv);

int cmd_xe(const struct opts *o, int argc, char **argv)
{
	if (!argc)
		return usage_error("--xe wants commands: bind [ADDR], unbind ADDR, dump%s", "");
	for (int j = 0; j < argc; j++)	/* the whole list is checked before anything runs */
		if (!is_command(argv[j]) &&
		    (!j || !strcmp(argv[j - 1], "dump") || !is_command(argv[j - 1])))
			return usage_error("--xe: '%s' is not bind [ADDR], unbind ADDR or dump", argv[j]);
	if (!o->pages || o->pages > (1u << 20))
		return usage_error("--pages wants 1..1M pages%s", "");
	return xe_main(o, argc, argv);
}

#ifndef GTTCTL_HAVE_XE

static int xe_main(const struct opts *o, int argc, char **argv)
{
	(void)o, (void)argc, (void)argv;
	fprintf(stderr, "gttctl: --xe: this gttctl was built without the xe backend; rebuild with "
		"meson -Dxe=enabled and Linux >= 6.8 uAPI headers (scripts/uapi-headers.sh, "
		"docs/xe.md)\n");
	return 1;
}

#else

#include <sys/ioctl.h>

#include <drm/xe_drm.h>

#define MAX_BUFS 64

struct xe_buf {
	uint64_t at, size;
	gtt_vma_t vma;
	struct gtt_pages *pages;
	uint32_t handle;	/* GEM object, 0 for user memory */
	void *mem;		/* user memory, NULL for a GEM object */
};

struct xe_run {
	const struct opts *o;
	int fd;			/* -1 in a dry run */
	struct gtt_watcher *w;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	const struct gtt_intel_platform *plat;
	uint16_t pat;
	uint32_t sysmem;	/* the placement bit of system memory */
	unsigned int va_bits;
	uint32_t next_handle;	/* the dry run's made-up GEM handles */
	struct xe_buf bufs[MAX_BUFS];
	int nbufs;
};

static int xe_errno(const char *what)
{
	fprintf(stderr, "gttctl: --xe: %s failed: %s\n", what, strerror(errno));
	return 1;
}

/* DRM_IOCTL_XE_DEVICE_QUERY: size first, then the data (freed by the caller). */
static void *xe_query(int fd, uint32_t query)
{
	struct drm_xe_device_query q = { .query = query };
	void *data;

	if (ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &q) || !q.size)
		return NULL;
	data = calloc(1, q.size);
	q.data = (uintptr_t)data;
	if (data && ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &q)) {
		free(data);
		return NULL;
	}
	return data;
}

/*
 * xe's coherent write-back PAT index per platform (xe_pat.c): index 0 on
 * gen12 through DG2, 3 (WB, 1-way coherent) on MTL/ARL, 2 (L3 WB, 2-way
 * coherent) on Xe2.  User memory needs a coherent one, and so does a WB
 * object.
 */
static int wb_pat(const struct gtt_intel_platform *p)
{
	return p->graphics_ver >= 2000 ? 2 : p->graphics_ver >= 1270 ? 3 : 0;
}

/* The device: its ID (for the platform), system memory's placement bit,
 * the VA width. */
static int xe_probe(struct xe_run *x)
{
	struct drm_xe_query_config *cfg = xe_query(x->fd, DRM_XE_DEVICE_QUERY_CONFIG);
	struct drm_xe_query_mem_regions *mr = xe_query(x->fd, DRM_XE_DEVICE_QUERY_MEM_REGIONS);
	uint16_t devid;

	if (!cfg || !mr) {
		free(cfg);
		free(mr);
		return xe_errno("DRM_IOCTL_XE_DEVICE_QUERY (is this an xe device?)");
	}
	devid = (uint16_t)cfg->info[DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID];
	x->va_bits = (unsigned int)cfg->info[DRM_XE_QUERY_CONFIG_VA_BITS];
	x->plat = gtt_intel_lookup(devid, NULL);
	for (uint32_t i = 0; i < mr->num_mem_regions; i++)
		if (mr->mem_regions[i].mem_class == DRM_XE_MEM_REGION_CLASS_SYSMEM)
			x->sysmem = 1u << mr->mem_regions[i].instance;
	free(cfg);
	free(mr);
	if (!x->sysmem) {
		fprintf(stderr, "gttctl: --xe: the device lists no system memory region\n");
		return 1;
	}
	if (x->o->pat < 0 && !x->plat) {
		fprintf(stderr, "gttctl: --xe: device 0x%04x is not in libgtt's table: give --pat "
			"with a coherent write-back PAT index\n", devid);
		return 1;
	}
	x->pat = (uint16_t)(x->o->pat >= 0 ? x->o->pat : wb_pat(x->plat));
	printf("xe device 0x%04x (%s), %u-bit VA, system memory placement 0x%x, pat_index %u\n",
	       devid, x->plat ? x->plat->name : "unknown", x->va_bits, x->sysmem, x->pat);
	return 0;
}

static int xe_open(struct xe_run *x)
{
	struct gtt_xe_config cfg = { 0 };
	struct gtt_vm_config vc = { .name = "gttctl-xe", .start = 1 << 20 };
	int err;

	x->fd = -1;
	x->va_bits = 48;
	x->sysmem = 1;		/* a dry run's guess: system memory is instance 0 */
	x->pat = (uint16_t)(x->o->pat >= 0 ? x->o->pat : 0);
	if (x->o->dry_run) {
		cfg.dry_run = stdout;
		printf("dry run: no device opened; ioctls are printed, not issued%s\n",
		       x->o->pat >= 0 ? "" : " (pat_index 0: give --pat for the device's "
		       "coherent write-back index)");
	} else {
		x->fd = open(x->o->xe, O_RDWR | O_CLOEXEC);
		if (x->fd < 0) {
			fprintf(stderr, "gttctl: --xe: cannot open %s: %s\n", x->o->xe, strerror(errno));
			return 1;
		}
		err = xe_probe(x);
		if (err)
			return err;
		if (gtt_watcher_create(&x->w))
			return fail("--xe: watcher");
	}
	if (gtt_xe_backend_create(x->fd, &cfg, x->w, &x->be))
		return fail("--xe");
	vc.size = (1ull << x->va_bits) - vc.start;
	vc.backend = x->be;
	if (gtt_vm_create(&vc, &x->vm))
		return fail("--xe: vm");
	return 0;
}

static void gem_close(struct xe_run *x, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	if (x->fd < 0)
		printf("DRM_IOCTL_GEM_CLOSE handle=%u (gttctl's own)\n", handle);
	else if (ioctl(x->fd, DRM_IOCTL_GEM_CLOSE, &c))
		xe_errno("DRM_IOCTL_GEM_CLOSE");
}

/* Memory for a buffer: a GEM object in system memory, or user memory. */
static int buf_memory(struct xe_run *x, struct xe_buf *b)
{
	struct drm_xe_gem_create gc = { .size = b->size, .placement = x->sysmem,
					.cpu_caching = DRM_XE_GEM_CPU_CACHING_WB };

	if (x->o->userptr) {
		b->mem = aligned_alloc(PAGE, b->size);
		if (!b->mem)
			return xe_errno("allocating user memory");
		memset(b->mem, 0xa5, b->size);
		if (gtt_pages_create_userptr((uintptr_t)b->mem, b->size, 0, &b->pages))
			return fail("--xe: userptr pages");
		return 0;
	}
	if (x->fd < 0) {
		gc.handle = ++x->next_handle;
		printf("DRM_IOCTL_XE_GEM_CREATE size=0x%" PRIx64 " placement=0x%x cpu_caching=WB "
		       "-> handle=%u (gttctl's own)\n", b->size, gc.placement, gc.handle);
	} else if (ioctl(x->fd, DRM_IOCTL_XE_GEM_CREATE, &gc)) {
		return xe_errno("DRM_IOCTL_XE_GEM_CREATE");
	}
	b->handle = gc.handle;
	if (gtt_pages_create_bo(b->handle, 0, b->size, 0, &b->pages))
		return fail("--xe: GEM object pages");
	return 0;
}

static void buf_free(struct xe_run *x, struct xe_buf *b)
{
	if (b->vma)
		gtt_vma_destroy(x->vm, b->vma);		/* unbinds a bound vma first */
	gtt_pages_put(b->pages);
	if (b->handle)
		gem_close(x, b->handle);
	free(b->mem);
	*b = x->bufs[--x->nbufs];			/* the last takes its place */
}

static int xe_bind(struct xe_run *x, const char *addr)
{
	struct gtt_bind_info bi = { .pte_flags = GTT_PTE_PAT(x->pat) };
	struct gtt_vma_info vi;
	struct xe_buf *b;
	int err;

	if (x->nbufs == MAX_BUFS)
		return usage_error("--xe: at most 64 buffers%s", "");
	if (addr) {
		bi.flags = GTT_BIND_FIXED;
		if (!parse_u64(addr, &bi.offset) || bi.offset % PAGE)
			return usage_error("bind wants a 4 KiB aligned address, not '%s'", addr);
	}
	b = &x->bufs[x->nbufs++];
	memset(b, 0, sizeof(*b));
	b->size = x->o->pages * PAGE;
	err = buf_memory(x, b);
	if (!err && gtt_vma_create(x->vm, b->pages, NULL, &b->vma))
		err = fail("--xe: vma");
	if (!err && gtt_vma_bind(x->vm, b->vma, &bi, NULL))
		err = fail("--xe: bind");
	if (!err && gtt_vma_query(x->vm, b->vma, &vi))
		err = fail("--xe: query");
	if (err) {
		buf_free(x, b);
		return err;
	}
	b->at = vi.offset;
	if (b->handle)
		printf("bound %" PRIu64 " pages at 0x%" PRIx64 ": GEM object %u in system memory, "
		       "pat_index %u\n", x->o->pages, b->at, b->handle, x->pat);
	else
		printf("bound %" PRIu64 " pages at 0x%" PRIx64 ": user memory at %p, pat_index %u\n",
		       x->o->pages, b->at, b->mem, x->pat);
	return 0;
}

static int xe_unbind(struct xe_run *x, const char *addr)
{
	uint64_t at;
	int err;

	if (!addr || !parse_u64(addr, &at))
		return usage_error("unbind wants the address of a buffer bound before%s", "");
	for (int i = 0; i < x->nbufs; i++) {
		struct xe_buf *b = &x->bufs[i];

		if (b->at != at)
			continue;
		err = gtt_vma_unbind(x->vm, b->vma, 0, NULL);
		if (err)
			return fail("--xe: unbind");
		printf("unbound 0x%" PRIx64 " (%" PRIu64 " pages)\n", at, b->size / PAGE);
		buf_free(x, b);
		return 0;
	}
	fprintf(stderr, "gttctl: --xe: nothing was bound at 0x%" PRIx64 " in this run\n", at);
	return 1;
}

static int xe_dump(struct xe_run *x)
{
	printf("vm bookkeeping (the kernel has no PTE read-back):\n");
	fflush(stdout);
	return gtt_vm_dump(x->vm, stdout) ? fail("--xe: dump") : 0;
}

static void xe_close(struct xe_run *x)
{
	if (x->nbufs)
		printf("end of the commands: unbinding %d buffer%s, destroying the VM\n", x->nbufs,
		       x->nbufs == 1 ? "" : "s");
	while (x->nbufs)
		buf_free(x, &x->bufs[x->nbufs - 1]);
	gtt_vm_destroy(x->vm);
	gtt_backend_destroy(x->be);
	gtt_watcher_destroy(x->w);
	if (x->fd >= 0)
		close(x->fd);
}

static int xe_main(const struct opts *o, int argc, char **argv)
{
	static struct xe_run x;		/* 64 buffers: not on the stack */
	int err = 0, i = 0;

	memset(&x, 0, sizeof(x));
	x.o = o;
	err = xe_open(&x);
	while (!err && i < argc) {
		const char *cmd = argv[i++];
		const char *arg = i < argc && !is_command(argv[i]) ? argv[i++] : NULL;

		fflush(stdout);
		if (!strcmp(cmd, "bind"))
			err = xe_bind(&x, arg);
		else if (!strcmp(cmd, "unbind"))
			err = xe_unbind(&x, arg);
		else
			err = xe_dump(&x);
		fflush(stdout);
	}
	xe_close(&x);
	fflush(stdout);
	return err;
}

#endif
