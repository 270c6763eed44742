/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the QEMU guest: libgtt's VFIO IOMMU plumbing
 * (backends/vfio_iommu.c) against the kernel's real VFIO and an emulated
 * Intel IOMMU, on a pci-testdev bound to vfio-pci by /init.  Also checks
 * that the kernel behaves as the fake layer in tests/test_vfio.c assumes.
 * Then, on an ivshmem device, its BAR2 stands in for the GGTT window: the
 * Intel GGTT code (the same the mock runs) fills it with scratch and binds
 * two page lists; the host checks every entry in the backing file after
 * power-off (tests/guest/check_ggtt_window.py).
 *   vfio_in_guest GROUP [IVSHMEM_GROUP IVSHMEM_BDF]
 * Prints "guest: N passed, M failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/vfio.h>

#include <gtt/gtt.h>

#include "intel_pt.h"
#include "vfio_iommu.h"

static int passed, failed;

#define CHECK(cond, what) do { \
	if (cond) { passed++; printf("guest: ok   vfio: %s\n", what); } \
	else { failed++; printf("guest: FAIL vfio: %s (errno %d: %s)\n", what, errno, gtt_last_error()); } \
} while (0)

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

	if (argc > 3) {
		struct gtt_pages_segment a = { 0x100000000ull, 16 * 4096 };
		struct gtt_pages_segment b = { 0x200000000ull, 8 * 4096 };
		struct intel_pt_mem mem = { 0 };
		struct gtt_translation t;
		struct intel_ggtt g;
		struct gtt_pages *pa, *pb;
		uint64_t bar_size = 0;
		void *bar = NULL;
		int dev = -1;

		CHECK(vfio_iommu_open(&io, &vfio_sys_real, atoi(argv[2])) == 0 &&
		      vfio_device_open(&io, argv[3], &dev) == 0, "ivshmem device opened");
		CHECK(dev >= 0 && vfio_region_map(&io, dev, 2, &bar, &bar_size) == 0 &&
		      bar_size == (4u << 20), "BAR2 (4 MiB) mmapped through VFIO");
		if (bar) {
			mem.ggtt = bar;
			CHECK(intel_ggtt_init(&g, gtt_intel_platform(GTT_INTEL_TGL), GTT_GGTT_GEN12,
					      bar_size / 8 * 4096, 0xfee00000, &mem) == 0,
			      "GGTT window filled with scratch (524288 single 64-bit stores)");
			gtt_pages_create(&a, 1, 0, &pa);
			gtt_pages_create(&b, 1, 0, &pb);
			CHECK(intel_ggtt_bind(&g, 16 * 4096, 16 * 4096, pa, 0, 0) == 0 &&
			      intel_ggtt_bind(&g, 1000 * 4096, 8 * 4096, pb, 0, GTT_PTE_LOCAL_MEM) == 0,
			      "two page lists bound through the BAR (posting reads matched)");
			CHECK(intel_ggtt_translate(&g, 17 * 4096 + 8, &t) == 0 &&
			      t.addr == 0x100001008ull && !t.scratch,
			      "walking the BAR-resident GGTT gives the bound page");
			gtt_pages_put(pa);
			gtt_pages_put(pb);
			vfio_region_unmap(&io, bar, bar_size);
		}
		vfio_device_close(&io, dev);
		vfio_iommu_close(&io);
	}
out:
	printf("guest: %d passed, %d failed\n", passed, failed);
	return failed || !passed;
}
