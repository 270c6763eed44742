/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the QEMU guest (scripts/guest-test.sh, on the kernel of
 * scripts/guest-kernel.sh, which has CONFIG_IOMMUFD and the VFIO device
 * cdev): the cdev + iommufd flow against the real kernel and the emulated
 * Intel IOMMU.
 *   1. The raw ioctls, step by step, on a device bound to vfio-pci, with
 *      the answers the fake kernel (tests/support/fake_vfio.c) gives
 *      checked against the real ones: device access before the bind,
 *      binds refused, the attach's output, IOVA ranges before and after
 *      the attach, map and unmap refusals.
 *   2. libgtt's flow (vfio_iommufd_open()): the same ranges, and the
 *      device's group and cdev excluding each other.
 *   3. The VFIO backend over iommufd (gtt_vfio_config.iommufd) on an
 *      ivshmem BAR: a vm binds through it.
 *   iommufd_in_guest BDF GROUP [IVSHMEM_BDF]
 * Prints "guest: N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <gtt/gtt.h>
#include <gtt/vfio.h>

#include "base/util.h"
#include "backends/vfio/vfio_device.h"
#include "backends/vfio/vfio_iommu.h"

static int passed, failed;

#define CHECK(cond, what) do { \
	if (cond) { passed++; printf("guest: ok   iommufd: %s\n", what); } \
	else { failed++; printf("guest: FAIL iommufd: %s (errno %d: %s)\n", what, errno, \
				gtt_last_error()); } \
} while (0)

/* ioctl(2) as 0 or -errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	errno = 0;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int ranges(int iommufd, uint32_t ioas, struct iommu_iova_range *r, uint32_t *n,
		  uint64_t *align)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = *n,
					    .allowed_iovas = (uintptr_t)r };
	int err = xioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &q);

	*n = q.num_iovas;
	*align = q.out_iova_alignment;
	return err;
}

static int map(int iommufd, uint32_t ioas, void *cpu, uint64_t len, uint64_t *iova, bool fixed)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)cpu, .length = len,
		.iova = *iova, .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
					(fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
	};
	int err = xioctl(iommufd, IOMMU_IOAS_MAP, &m);

	*iova = m.iova;
	return err;
}

static int unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *done)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };
	int err = xioctl(iommufd, IOMMU_IOAS_UNMAP, &u);

	*done = u.length;
	return err;
}

/* The cdev path of @bdf ("/dev/vfio/devices/vfioN"), from sysfs. */
static bool cdev_path(const char *bdf, char *path, size_t size)
{
	char dir[96], name[32];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	if (dir_first_entry(dir, name, sizeof(name)))
		return false;
	snprintf(path, size, "/dev/vfio/devices/%s", name);
	return true;
}

/* Part 1: the kernel's answers, one ioctl at a time. */
static void raw_checks(const char *bdf, uint64_t want[2][2])
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range r[8];
	uint8_t *buf = aligned_alloc(4096, 4 * 4096);
	uint64_t align, iova, got, done;
	char path[96];
	uint32_t n;
	int dev, fd;

	CHECK(cdev_path(bdf, path, sizeof(path)), "the device has a cdev in /sys/bus/pci/devices/BDF/vfio-dev");
	dev = open(path, O_RDWR | O_CLOEXEC);
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0 && fd >= 0, "its /dev/vfio/devices/vfioN and /dev/iommu open");
	if (dev < 0 || fd < 0)
		goto out;
	printf("guest: info iommufd: %s is %s\n", bdf, path);
	CHECK(xioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) == -EINVAL,
	      "before the bind the cdev refuses device ioctls (EINVAL)");
	bind.iommufd = dev;
	CHECK(xioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) == -EBADFD,
	      "a bind to a descriptor that is not an iommufd: EBADFD");
	bind.iommufd = fd;
	CHECK(xioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) == 0, "VFIO_DEVICE_BIND_IOMMUFD");
	CHECK(xioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) == -EINVAL,
	      "a second bind of the same cdev: EINVAL");
	CHECK(xioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0 && ri.size,
	      "bound, not attached: device ioctls work (BAR0 region info)");
	CHECK(xioctl(fd, IOMMU_IOAS_ALLOC, &alloc) == 0, "IOMMU_IOAS_ALLOC");
	n = 8;
	CHECK(ranges(fd, alloc.out_ioas_id, r, &n, &align) == 0 && n == 1 && r[0].start == 0 &&
	      r[0].last == UINT64_MAX,
	      "a fresh IOAS allows every IOVA: one range [0, 2^64 - 1]");
	at.pt_id = alloc.out_ioas_id;
	CHECK(xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0,
	      "VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS");
	printf("guest: info iommufd: device id %u, IOAS %u, attached: pt_id %u\n",
	       bind.out_devid, alloc.out_ioas_id, at.pt_id);
	CHECK(at.pt_id != alloc.out_ioas_id,
	      "the attach writes back the id of the page table it made for the IOAS");
	n = 0;
	CHECK(ranges(fd, alloc.out_ioas_id, r, &n, &align) == -EMSGSIZE && n == 2,
	      "IOMMU_IOAS_IOVA_RANGES with no room: EMSGSIZE and the count (2)");
	n = 8;
	CHECK(ranges(fd, alloc.out_ioas_id, r, &n, &align) == 0 && n == 2 && align == 4096,
	      "attached: 2 ranges, 4 KiB alignment");
	for (uint32_t i = 0; i < n; i++)
		printf("guest: info iommufd: IOVA range [0x%llx, 0x%llx]\n",
		       (unsigned long long)r[i].start, (unsigned long long)r[i].last);
	CHECK(n == 2 && r[0].start == want[0][0] && r[0].last == want[0][1] &&
	      r[1].start == want[1][0] && r[1].last == want[1][1],
	      "the same ranges as type1 reports for this IOMMU (the MSI window left out)");

	iova = 0x100000;
	CHECK(map(fd, alloc.out_ioas_id, buf, 2 * 4096, &iova, true) == 0 && iova == 0x100000,
	      "IOMMU_IOAS_MAP at a fixed IOVA");
	got = 0x101000;
	CHECK(map(fd, alloc.out_ioas_id, buf + 2 * 4096, 4096, &got, true) == -EEXIST,
	      "a map over part of it: EEXIST");
	got = 0xfee00000;
	CHECK(map(fd, alloc.out_ioas_id, buf + 2 * 4096, 4096, &got, true) == -EINVAL,
	      "a map into the MSI window (outside the ranges): EINVAL");
	got = 0x100800;
	CHECK(map(fd, alloc.out_ioas_id, buf + 2 * 4096, 4096, &got, true) == -EINVAL,
	      "a map at an IOVA that is not 4 KiB aligned: EINVAL");
	got = 0;
	CHECK(map(fd, alloc.out_ioas_id, buf + 2 * 4096, 4096, &got, false) == 0 && got &&
	      got % 4096 == 0, "without FIXED_IOVA the kernel picks the IOVA");
	printf("guest: info iommufd: the kernel picked IOVA 0x%llx\n", (unsigned long long)got);
	CHECK(unmap(fd, alloc.out_ioas_id, got, 4096, &done) == 0 && done == 4096,
	      "IOMMU_IOAS_UNMAP of it: length 4096 back");
	CHECK(unmap(fd, alloc.out_ioas_id, 0x100000, 4096, &done) == -ENOENT,
	      "an unmap that would split a mapping: ENOENT (type1 says EINVAL)");
	CHECK(unmap(fd, alloc.out_ioas_id, 0x200000, 4096, &done) == -ENOENT,
	      "an unmap of nothing mapped: ENOENT");
	iova = 0x102000;
	CHECK(map(fd, alloc.out_ioas_id, buf + 2 * 4096, 2 * 4096, &iova, true) == 0,
	      "a second mapping right after the first");
	CHECK(unmap(fd, alloc.out_ioas_id, 0xff000, 0x10000, &done) == 0 && done == 4 * 4096,
	      "an unmap covering both whole: both go, the length says 4 pages");
	iova = 0x100000;
	CHECK(map(fd, alloc.out_ioas_id, buf, 4096, &iova, true) == 0 &&
	      map(fd, alloc.out_ioas_id, buf + 4096, 2 * 4096, &(uint64_t){ 0x101000 }, true) == 0 &&
	      unmap(fd, alloc.out_ioas_id, 0x100000, 2 * 4096, &done) == -ENOENT &&
	      unmap(fd, alloc.out_ioas_id, 0x100000, 4096, &done) == -ENOENT,
	      "an unmap whose end splits a mapping: ENOENT, and the whole one before it went too");
	CHECK(unmap(fd, alloc.out_ioas_id, 0, UINT64_MAX, &done) == 0 && done == 2 * 4096,
	      "unmap of [0, 2^64 - 1]: everything left (the split one)");
out:
	if (dev >= 0)
		close(dev);
	if (fd >= 0)
		close(fd);
	free(buf);
}

/* Part 2: libgtt's flow; the group and the cdev exclude each other. */
static void library_checks(const char *bdf, int group, uint64_t want[2][2])
{
	struct vfio_iommu io, g;
	uint64_t iova[2];
	char *buf = aligned_alloc(4096, 2 * 4096);
	int dev = -1;

	CHECK(vfio_iommufd_open(&io, &vfio_sys_real, bdf) == 0 && io.nranges == 2 &&
	      io.ranges[0][0] == want[0][0] && io.ranges[0][1] == want[0][1] &&
	      io.ranges[1][0] == want[1][0] && io.ranges[1][1] == want[1][1] &&
	      io.pgsizes == 4096,
	      "vfio_iommufd_open(): bound, attached, the kernel's ranges read");
	if (!io.sys) {
		free(buf);
		return;
	}
	CHECK(vfio_dma_map(&io, buf, 4096, &iova[0]) == 0 &&
	      vfio_dma_map(&io, buf + 4096, 4096, &iova[1]) == 0 && iova[0] != iova[1] &&
	      iova[0] >= want[0][0] && iova[1] <= want[0][1],
	      "two buffers mapped at IOVAs libgtt picked");
	CHECK(vfio_dma_unmap(&io, iova[0], 4096) == 0 && vfio_dma_map(&io, buf, 4096, &iova[0]) == 0,
	      "an exact unmap, and the IOVA mapped again");
	CHECK(vfio_device_open(&io, bdf, &dev) == 0 && dev == io.cdev,
	      "the device fd is the bound cdev");
	CHECK(vfio_iommu_open(&g, &vfio_sys_real, group) == -EBUSY,
	      "while the cdev is bound, its group does not open (EBUSY)");
	vfio_device_close(&io, dev);
	vfio_iommu_close(&io);
	CHECK(vfio_iommu_open(&g, &vfio_sys_real, group) == 0 && vfio_device_open(&g, bdf, &dev) == 0,
	      "after vfio_iommu_close() the group flow has the device again");
	CHECK(vfio_iommufd_open(&io, &vfio_sys_real, bdf) == -EBUSY &&
	      strstr(gtt_last_error(), "through its group"),
	      "while the group has it, the cdev's bind is refused (EBUSY), saying why");
	vfio_device_close(&g, dev);
	vfio_iommu_close(&g);
	free(buf);
}

/* Part 3: the VFIO backend over iommufd, on an ivshmem BAR2 laid out like
 * an Intel BAR0 (registers, then the GGTT window). */
static void backend_checks(const char *bdf)
{
	struct gtt_vfio_config cfg = { .bdf = bdf, .iommufd = true, .bar = 2,
				       .window_offset = 2u << 20, .window_size = 2u << 20,
				       .family = GTT_INTEL_TGL };
	struct gtt_vm_config vc = { .name = "iommufd-ggtt", .start = 4096,
				    .size = (1ull << 30) - 2 * 4096 };
	struct gtt_bind_info at = { .flags = GTT_BIND_FIXED, .offset = 64 * 4096 };
	char *buf = aligned_alloc(4096, 4 * 4096);
	struct gtt_pages_segment seg;
	struct gtt_translation t;
	struct gtt_backend *be = NULL;
	struct gtt_pages *p = NULL;
	struct gtt_vm *vm = NULL;
	uint64_t iova = 0;
	gtt_vma_t h = 0;

	CHECK(gtt_vfio_create(&cfg, &be) == 0, "VFIO backend with .iommufd on the ivshmem BAR");
	if (!be) {
		free(buf);
		return;
	}
	vc.backend = be;
	CHECK(gtt_vfio_dma_map(be, buf, 4 * 4096, &iova) == 0 &&
	      (seg = (struct gtt_pages_segment){ iova, 4 * 4096 },
	       gtt_pages_create(&seg, 1, 0, &p) == 0) &&
	      gtt_vm_create(&vc, &vm) == 0 && gtt_vma_create(vm, p, NULL, &h) == 0 &&
	      gtt_vma_bind(vm, h, &at, NULL) == 0 &&
	      gtt_backend_translate(be, at.offset + 3 * 4096, &t) == 0 && t.addr == iova + 3 * 4096,
	      "a vm binds 4 pages mapped through iommufd; the entries read back from the BAR");
	if (vm)
		gtt_vm_destroy(vm);
	gtt_pages_put(p);
	CHECK(gtt_vfio_dma_unmap(be, iova, 4 * 4096) == 0, "the buffer unmapped");
	gtt_backend_destroy(be);
	free(buf);
}

int main(int argc, char **argv)
{
	/* What type1 reports for this machine's IOMMU (vfio_in_guest prints it):
	 * 39-bit addresses, the IOAPIC/MSI window 0xfee00000-0xfeefffff out. */
	uint64_t want[2][2] = { { 0, 0xfedfffff }, { 0xfef00000, 0x7fffffffff } };

	if (argc < 3 || !argv[1][0]) {
		CHECK(false, "a device on vfio-pci was found");
		goto out;
	}
	raw_checks(argv[1], want);
	library_checks(argv[1], atoi(argv[2]), want);
	if (argc > 3 && argv[3][0])
		backend_checks(argv[3]);
out:
	printf("guest: %d passed, %d failed\n", passed, failed);
	return failed || !passed;
}
