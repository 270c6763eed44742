/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the QEMU guest: libgtt's VFIO IOMMU plumbing
 * (backends/vfio/vfio_iommu.c) against the kernel's real VFIO and an emulated
 * Intel IOMMU, on a pci-testdev bound to vfio-pci by /init.  Also checks
 * that the kernel behaves as the fake layer in tests/test_vfio.c assumes.
 * Then, on an ivshmem device, its BAR2 stands in for an Intel BAR0 (MMIO
 * registers, then the GGTT window) of the VFIO backend (gtt/vfio.h): a vm
 * binds through it, teardown must put scratch back, and a final bound
 * state is left for the host, which checks every entry and the TLB
 * invalidation register in the file behind the BAR after power-off
 * (tests/guest/check_ggtt_window.py, with the "guest: expect" lines).
 *   vfio_in_guest GROUP [IVSHMEM_GROUP IVSHMEM_BDF [TESTDEV_BDF
 *                 [NVME_GROUP NVME_BDF [IVSHMEM2_GROUP IVSHMEM2_BDF]]]]
 * Prints "guest: N passed, M failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <unistd.h>

#include <linux/vfio.h>

#include <gtt/gtt.h>
#include <gtt/pci.h>
#include <gtt/vfio.h>

#include "backends/vfio/vfio_internal.h"

static int passed, failed;

#define CHECK(cond, what) do { \
	if (cond) { passed++; printf("guest: ok   vfio: %s\n", what); } \
	else { failed++; printf("guest: FAIL vfio: %s (errno %d: %s)\n", what, errno, gtt_last_error()); } \
} while (0)

/*
 * A vm over the VFIO backend on the ivshmem BAR, laid out like a small
 * Intel BAR0: registers in the first 2 MiB, entries (TGL format) in the
 * second.  With guc set, TLB invalidation writes GUC_TLB_INV_CR (0xcee8).
 */
static int backend_with_vm(int group, const char *bdf, struct gtt_backend **be,
			   struct gtt_vm **vm)
{
	struct gtt_vfio_config cfg = { .group = group, .bdf = bdf, .bar = 2,
				       .window_offset = 2u << 20, .window_size = 2u << 20,
				       .family = GTT_INTEL_TGL, .guc = true };
	struct gtt_vm_config vc = { .name = "vfio-ggtt", .start = 4096,
				    .size = (1ull << 30) - 2 * 4096 };

	if (gtt_vfio_create(&cfg, be))
		return -1;
	vc.backend = *be;
	return gtt_vm_create(&vc, vm);
}

static gtt_vma_t bind_at(struct gtt_backend *be, struct gtt_vm *vm, void *cpu,
			 uint64_t pages, uint64_t entry, uint32_t flags, uint64_t *iova)
{
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = entry * 4096,
				    .pte_flags = flags };
	struct gtt_pages_segment seg;
	struct gtt_pages *p;
	gtt_vma_t h = 0;

	if (gtt_vfio_dma_map(be, cpu, pages * 4096, iova))
		return 0;
	seg = (struct gtt_pages_segment){ *iova, pages * 4096 };
	if (gtt_pages_create(&seg, 1, 0, &p))
		return 0;
	if (gtt_vma_create(vm, p, NULL, &h) || gtt_vma_bind(vm, h, &at, NULL))
		h = 0;
	gtt_pages_put(p);
	return h;
}

/* A raw MAP_DMA at @iova: EEXIST tells that the kernel has it mapped. */
static int kernel_map(struct vfio_iommu *io, void *cpu, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)cpu, .iova = iova, .size = 4096,
	};

	errno = 0;
	return ioctl(io->container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

/* A PPGTT whose tables the kernel really has mapped for the device. */
static void ppgtt_tests(struct gtt_backend *ggtt, char *buf)
{
	struct gtt_vm_config vc = { .name = "vfio-ppgtt", .start = 0, .size = 1ull << 40 };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 0x123400000ull };
	struct vfio_iommu *io = vfio_backend_iommu(ggtt);
	struct gtt_pages_segment seg;
	struct gtt_translation t;
	struct gtt_backend *pp;
	struct gtt_pages *p;
	struct gtt_vm *vm;
	uint64_t root, iova;
	gtt_vma_t h;
	char *probe = aligned_alloc(4096, 4096);

	CHECK(gtt_vfio_ppgtt_create(ggtt, &pp, &root) == 0, "a PPGTT (TGL, 4 levels) over the VFIO backend");
	vc.backend = pp;
	CHECK(gtt_vfio_dma_map(pp, buf, 8 * 4096, &iova) == 0 &&
	      (seg = (struct gtt_pages_segment){ iova, 8 * 4096 }, gtt_pages_create(&seg, 1, 0, &p) == 0) &&
	      gtt_vm_create(&vc, &vm) == 0 && gtt_vma_create(vm, p, NULL, &h) == 0 &&
	      gtt_vma_bind(vm, h, &at, NULL) == 0 &&
	      gtt_backend_translate(pp, at.offset + 5 * 4096, &t) == 0 && t.addr == iova + 5 * 4096,
	      "a vm binds 8 pages through the PPGTT; the walk finds them");
	CHECK(kernel_map(io, probe, root) == -EEXIST,
	      "the kernel has the PPGTT root table mapped for the device");
	gtt_vm_destroy(vm);
	gtt_pages_put(p);
	gtt_vfio_dma_unmap(pp, iova, 8 * 4096);
	gtt_backend_destroy(pp);
	CHECK(kernel_map(io, probe, root) == 0, "after destroy, the root table's IOVA is free in the kernel");
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = root, .size = 4096 };

	ioctl(io->container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/*
 * QEMU's NVMe controller keeps its MSI-X table in BAR0, behind a region
 * capability chain: vfio-pci (4.16+) marks such a BAR MSIX_MAPPABLE rather
 * than sparse, so the whole BAR maps and the registers read back.
 */
static void nvme_tests(int group, const char *bdf)
{
	struct vfio_region_info probe = { .argsz = sizeof(probe), .index = 0 };
	struct vfio_region bar = { 0 };
	struct vfio_iommu io;
	uint32_t vs = 0;
	int dev = -1;

	CHECK(vfio_iommu_open(&io, &vfio_sys_real, group) == 0 &&
	      vfio_device_open(&io, bdf, &dev) == 0 &&
	      ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &probe) == 0 &&
	      (probe.flags & VFIO_REGION_INFO_FLAG_CAPS) && probe.argsz > sizeof(probe),
	      "NVMe BAR0 (with its MSI-X table) comes with a capability chain");
	CHECK(vfio_region_map(&io, dev, 0, &bar) == 0 && bar.nareas == 1 &&
	      bar.areas[0][1] == bar.size &&
	      (vs = ((volatile uint32_t *)bar.ptr)[2]) >= 0x00010000,
	      "the chain is walked, the BAR mapped whole, NVMe's version register read");
	printf("guest: info vfio: NVMe BAR0 0x%llx bytes, region flags 0x%x, VS 0x%08x\n",
	       (unsigned long long)bar.size, probe.flags, vs);
	vfio_region_unmap(&io, &bar);
	vfio_device_close(&io, dev);
	vfio_iommu_close(&io);
}

static bool removal_done;	/* atomic */

/* Writes "1" to a sysfs remove file; blocks until the kernel is done. */
static void *remove_device(void *path)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs("1", f) >= 0;

	if (f)
		ok = fclose(f) == 0 && ok;
	__atomic_store_n(&removal_done, true, __ATOMIC_RELEASE);
	return ok ? path : NULL;
}

/*
 * Removing a device that the backend holds: the kernel signals the
 * request eventfd and waits; the next bind fails with -ENODEV, and
 * destroying the backend lets the removal finish.  (A thread, not a
 * child process: a child would inherit the device fd and the BAR mapping
 * and hold up its own removal.)
 */
static void unplug_tests(int group, const char *bdf)
{
	char *buf = aligned_alloc(4096, 8 * 4096), path[96];
	struct gtt_backend *be;
	struct gtt_vm *vm;
	uint64_t iova;
	bool asked = false;
	void *result = NULL;
	pthread_t remover;

	CHECK(backend_with_vm(group, bdf, &be, &vm) == 0 && gtt_vfio_request_fd(be) >= 0 &&
	      bind_at(be, vm, buf, 4, 16, 0, &iova) != 0,
	      "a second ivshmem: backend, vm, a bind, and a request eventfd");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	if (pthread_create(&remover, NULL, remove_device, path))
		return;
	for (int i = 0; i < 150 && !asked; i++) {
		struct gtt_pages_segment seg = { iova + 4 * 4096, 4096 };
		struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 100 * 4096 };
		struct gtt_pages *p;
		gtt_vma_t h;
		int err;

		usleep(100000);
		if (gtt_pages_create(&seg, 1, 0, &p) || gtt_vma_create(vm, p, NULL, &h))
			break;
		gtt_pages_put(p);
		err = gtt_vma_bind(vm, h, &at, NULL);
		asked = err == -ENODEV && strstr(gtt_last_error(), "asks for the device back");
		gtt_vma_destroy(vm, h);
	}
	CHECK(asked, "removal requested: the next bind fails with -ENODEV and says why");
	CHECK(!__atomic_load_n(&removal_done, __ATOMIC_ACQUIRE),
	      "the removal waits while the backend holds the device");
	gtt_vm_destroy(vm);
	gtt_backend_destroy(be);
	CHECK(pthread_join(remover, &result) == 0 && result == path && access(path, F_OK) != 0,
	      "destroying the backend let the removal finish: the device is gone");
}

static void ivshmem_tests(int group, const char *bdf)
{
	struct gtt_vfio_config risky = { .group = group, .bdf = bdf, .bar = 2,
					 .window_offset = 2u << 20, .window_size = 2u << 20,
					 .family = GTT_INTEL_MTL };
	struct gtt_translation t, s;
	struct gtt_backend *be;
	struct gtt_vm *vm;
	struct vfio_iommu io;
	uint64_t iova[3], old_scratch;
	struct vfio_region bar = { 0 };
	char *buf = aligned_alloc(4096, 64 * 4096);
	int dev = -1;

	CHECK(gtt_vfio_create(&risky, &be) == -EPERM, "MTL refused without force");

	/* Phase 1: bind through a vm, then tear down: scratch comes back. */
	CHECK(backend_with_vm(group, bdf, &be, &vm) == 0,
	      "VFIO backend (ivshmem BAR2 as the GGTT window) and a vm over it");
	CHECK(bind_at(be, vm, buf, 4, 2000, 0, &iova[0]) != 0 &&
	      gtt_backend_translate(be, 2001 * 4096, &t) == 0 && t.addr == iova[0] + 4096,
	      "a vm bind writes the BAR through the VFIO backend");
	gtt_backend_translate(be, 3000 * 4096, &s);
	old_scratch = s.pte;
	/* A closed vm skips backend work: its teardown leaves the entries. */
	gtt_vm_close(vm);
	gtt_vm_destroy(vm);
	CHECK(gtt_backend_translate(be, 2001 * 4096, &t) == 0 && t.addr == iova[0] + 4096,
	      "entries still mapped after the closed vm went away");
	gtt_backend_destroy(be);
	CHECK(vfio_iommu_open(&io, &vfio_sys_real, group) == 0 &&
	      vfio_device_open(&io, bdf, &dev) == 0 &&
	      vfio_region_map(&io, dev, 2, &bar) == 0 &&
	      ((volatile uint64_t *)bar.ptr)[(2u << 20) / 8 + 2001] == old_scratch &&
	      ((volatile uint64_t *)bar.ptr)[(2u << 20) / 8 + 2000] == old_scratch,
	      "backend teardown put scratch back where it wrote");
	vfio_region_unmap(&io, &bar);
	vfio_device_close(&io, dev);
	vfio_iommu_close(&io);

	/* Phase 2: bound state left in the BAR for the host to check. */
	CHECK(backend_with_vm(group, bdf, &be, &vm) == 0, "backend created again");
	CHECK(bind_at(be, vm, buf, 16, 16, 0, &iova[1]) != 0 &&
	      bind_at(be, vm, buf + 16 * 4096, 8, 1000, GTT_PTE_LOCAL_MEM, &iova[2]) != 0,
	      "two vmas bound at entries 16 and 1000");
	ppgtt_tests(be, buf + 32 * 4096);
	gtt_backend_translate(be, 3000 * 4096, &s);
	printf("guest: expect 16 0x%llx 16\n", (unsigned long long)(iova[1] | 1));
	printf("guest: expect 1000 0x%llx 8\n", (unsigned long long)(iova[2] | 3));
	printf("guest: expect-scratch 0x%llx\n", (unsigned long long)s.pte);
	/* Left bound on purpose: power-off freezes the BAR for the host. */
}

int main(int argc, char **argv)
{
	struct vfio_iommu io;
	uint64_t iova[3];
	char *buf[3];
	int group = argc > 1 ? atoi(argv[1]) : -1;

	CHECK(group >= 0, "a vfio-pci group was found");
	if (group < 0)
		goto out;
	CHECK(vfio_iommu_open(&io, &vfio_sys_real, group) == 0,
	      "container/group/type1v2 flow on the real kernel");
	if (io.container < 0)
		goto out;
	CHECK(io.nranges >= 1 && (io.pgsizes & 4096), "IOVA ranges and page sizes read");
	printf("guest: info vfio: %u IOVA ranges, first [0x%llx, 0x%llx], pgsizes 0x%llx\n",
	       io.nranges, (unsigned long long)io.ranges[0][0],
	       (unsigned long long)io.ranges[0][1], (unsigned long long)io.pgsizes);
	for (int i = 0; i < 3; i++) {
		buf[i] = aligned_alloc(4096, 2 * 4096);
		memset(buf[i], i, 2 * 4096);
	}
	CHECK(vfio_dma_map(&io, buf[0], 8192, &iova[0]) == 0 &&
	      vfio_dma_map(&io, buf[1], 8192, &iova[1]) == 0 &&
	      iova[0] != iova[1], "two buffers DMA-mapped at distinct IOVAs");

	/* The kernel itself refuses an overlapping map and a split unmap. */
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf[2], .iova = iova[0] + 4096, .size = 4096,
	};
	errno = 0;
	CHECK(ioctl(io.container, VFIO_IOMMU_MAP_DMA, &m) < 0 && errno == EEXIST,
	      "the kernel refuses an overlapping map (EEXIST)");
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova[0], .size = 4096 };
	errno = 0;
	CHECK(ioctl(io.container, VFIO_IOMMU_UNMAP_DMA, &u) < 0 && errno == EINVAL,
	      "the kernel refuses to split a mapping (EINVAL)");
	CHECK(vfio_dma_unmap(&io, iova[0], 4096) == -EINVAL,
	      "libgtt refuses the split before asking");
	CHECK(vfio_dma_unmap(&io, iova[0], 8192) == 0, "an exact unmap succeeds");
	CHECK(vfio_dma_map(&io, buf[2], 8192, &iova[2]) == 0 && iova[2] == iova[0],
	      "the freed IOVA is reused");
	vfio_iommu_close(&io);
	/* After close nothing is left mapped: reopen, map at the same IOVAs. */
	CHECK(vfio_iommu_open(&io, &vfio_sys_real, group) == 0 &&
	      vfio_dma_map(&io, buf[0], 8192, &iova[0]) == 0 &&
	      vfio_dma_map(&io, buf[1], 8192, &iova[1]) == 0,
	      "close unmapped everything (remapping works)");
	vfio_iommu_close(&io);

	if (argc > 4) {
		struct gtt_pci_match ivshmem = { 0x1af4, 0x1110, 0, 0 };
		struct gtt_pci_device d, list[4];
		size_t n = 0;

		/* Discovery (libpciaccess + sysfs) sees what /init set up. */
		CHECK(gtt_pci_inspect(argv[4], &d) == 0 && d.vendor_id == 0x1b36 &&
		      d.device_id == 0x0005 && !strcmp(d.driver, "vfio-pci") &&
		      d.iommu_group == group && d.vfio_ready && !d.problem[0],
		      "discovery: pci-testdev on vfio-pci, its group, ready");
		CHECK(gtt_pci_list(&ivshmem, list, 4, &n) == 0 && n == 2 &&
		      !strcmp(list[0].slot, argv[3]) && list[0].vfio_ready && list[1].vfio_ready &&
		      list[0].bar_size[2] == 4u << 20,
		      "discovery: both ivshmem devices found by ID, ready, BAR2 is 4 MiB");
		CHECK(gtt_pci_inspect("0000:00:00.0", &d) == 0 && d.vendor_id == 0x8086 &&
		      !d.vfio_ready && strstr(d.problem, "bound to no driver") &&
		      strstr(d.problem, "echo vfio-pci > /sys/bus/pci/devices/0000:00:00.0/driver_override"),
		      "discovery: the host bridge is refused, with the commands that fix it");
		CHECK(gtt_pci_list(NULL, list, 4, &n) == 0 && n == 0,
		      "discovery: no Intel display device in this guest");

		/* No profile: the real config space says this is no GPU. */
		struct gtt_vfio_config auto_cfg = { .group = group, .bdf = argv[4] };
		struct gtt_backend *none = NULL;

		CHECK(gtt_vfio_create(&auto_cfg, &none) == -ENODEV && !none &&
		      strstr(gtt_last_error(), "1b36:0005"),
		      "without a profile, pci-testdev (1b36:0005, read through VFIO config space) is refused");
	}
	if (argc > 6)
		nvme_tests(atoi(argv[5]), argv[6]);
	if (argc > 8)
		unplug_tests(atoi(argv[7]), argv[8]);
	if (argc > 3)
		ivshmem_tests(atoi(argv[2]), argv[3]);
out:
	printf("guest: %d passed, %d failed\n", passed, failed);
	return failed || !passed;
}
