/* SPDX-License-Identifier: MIT */
/*
 * Runs inside the QEMU guest: real device DMA through the emulated Intel
 * IOMMU, with buffers mapped by libgtt's VFIO DMA layer (the code behind
 * gtt_vfio_dma_map()), on QEMU's "edu" device bound to vfio-pci.  edu
 * copies between memory (by IOVA) and its own buffer.  Everything runs
 * twice: with the IOMMU opened through the group flow (container +
 * type1v2), then through the device cdev + iommufd flow
 * (backends/vfio/vfio_iommufd.c).
 *   1. RAM -> edu -> RAM through two IOVAs: the data arrives.
 *   2. After unmapping, edu's DMA to or from the old IOVA is blocked: a
 *      write does not reach the memory behind it, a read does not see
 *      what the CPU put there since, and the guest kernel logs a DMAR
 *      fault for each — an unmap really revokes the device's access.
 * Linux prints DMAR faults through one ratelimit (dmar_fault(): 10
 * messages per 5 s window, 3 per fault: the status, the record, and the
 * look for a next record), so a window shows 3 faults in full and a 4th
 * is handled without a word: the second flow waits until 5 s of jiffies
 * (times(2)) have passed since the first flow's faults.
 *   dma_in_guest GROUP BDF
 * Prints "guest: N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include <gtt/gtt.h>

#include "backends/vfio/vfio_device.h"
#include "backends/vfio/vfio_iommu.h"

static int passed, failed;
static const char *flow;	/* "dma" or "dma iommufd" */

#define CHECK(cond, what) do { \
	if (cond) { passed++; printf("guest: ok   %s: %s\n", flow, what); } \
	else { failed++; printf("guest: FAIL %s: %s (%s)\n", flow, what, gtt_last_error()); } \
} while (0)

/* edu's registers (QEMU docs/specs/edu.rst). */
#define EDU_ID		0x00
#define EDU_LIVE	0x04
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_BUF		0x40000		/* its 4 KiB DMA buffer, device side */
#define XFER		2048		/* QEMU 7.2's edu refuses a full 4 KiB
					 * (its range check is off by one) */
#define EDU_RUN		1
#define EDU_TO_RAM	2

static volatile uint8_t *edu;

static uint32_t rd32(unsigned int reg) { return *(volatile uint32_t *)(edu + reg); }
static void wr32(unsigned int reg, uint32_t v) { *(volatile uint32_t *)(edu + reg) = v; }
static void wr64(unsigned int reg, uint64_t v) { *(volatile uint64_t *)(edu + reg) = v; }

/* One edu DMA of XFER bytes; waits until the device says it is done. */
static int edu_dma(uint64_t src, uint64_t dst, bool to_ram)
{
	struct timespec ms = { 0, 1000000 };

	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, XFER);
	wr64(EDU_DMA_CMD, EDU_RUN | (to_ram ? EDU_TO_RAM : 0));
	for (int i = 0; i < 5000; i++) {
		if (!(rd32(EDU_DMA_CMD) & EDU_RUN))
			return 0;
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

/* The sequence number of a /dev/kmsg record ("PRI,SEQ,TIME,FLAGS;text"). */
static unsigned long long kmsg_seq(const char *rec)
{
	const char *comma = strchr(rec, ',');

	return comma ? strtoull(comma + 1, NULL, 10) : 0;
}

/* The last record the kernel has logged so far: faults are looked for
 * after it (the first flow left faults at the same IOVAs). */
static unsigned long long kmsg_last(void)
{
	char rec[1024];
	unsigned long long last = 0;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n > 0) {
			rec[n] = 0;
			last = kmsg_seq(rec);
		}
	}
	close(fd);
	return last;
}

/* Wait up to 3 s for the kernel to log a DMAR fault naming @addr, in a
 * record after @since. */
static bool dmar_fault_logged(uint64_t addr, unsigned long long since)
{
	char rec[1024], want[32];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	bool seen = false;

	if (fd < 0)
		return false;
	snprintf(want, sizeof(want), "fault addr 0x%llx", (unsigned long long)addr);
	for (int tries = 0; tries < 30 && !seen; tries++) {
		ssize_t n;

		lseek(fd, 0, SEEK_SET);		/* from the oldest record */
		while (!seen && ((n = read(fd, rec, sizeof(rec) - 1)) > 0 ||
				 (n < 0 && errno == EPIPE))) {	/* EPIPE: records lost */
			if (n < 0)
				continue;
			rec[n] = 0;
			if (kmsg_seq(rec) > since && strstr(rec, "DMAR") && strstr(rec, want)) {
				printf("guest: info %s: kernel: %s", flow,
				       strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				seen = true;
			}
		}
		if (!seen)
			usleep(100000);
	}
	close(fd);
	return seen;
}

/* The proofs, on edu (@bdf) behind @io, an IOMMU opened by either flow. */
static void edu_proofs(struct vfio_iommu *io, const char *bdf)
{
	uint64_t iova_a, iova_b, iova_c;
	uint8_t *a = aligned_alloc(4096, 4096), *b = aligned_alloc(4096, 4096);
	uint8_t *c = aligned_alloc(4096, 4096), *zero = calloc(1, 4096), first[4096];
	struct vfio_region bar = { 0 };
	unsigned long long since = kmsg_last();
	int dev = -1;

	CHECK(vfio_device_open(io, bdf, &dev) == 0 && vfio_region_map(io, dev, 0, &bar) == 0 &&
	      vfio_enable_dma(io, dev) == 0, "BAR0 mapped, bus mastering on");
	if (!bar.ptr)
		goto out;
	edu = bar.ptr;
	wr32(EDU_LIVE, 0x12345678);
	CHECK(rd32(EDU_ID) == 0x010000ed && rd32(EDU_LIVE) == ~0x12345678u,
	      "edu answers through the mapped BAR (ID 0x010000ed, liveness)");

	for (int i = 0; i < 4096; i++)
		a[i] = first[i] = (uint8_t)(i * 7 + 1);
	memset(b, 0, 4096);
	/* edu masks DMA addresses to 28 bits: the IOVAs come from the bottom. */
	CHECK(vfio_dma_map(io, a, 4096, &iova_a) == 0 && vfio_dma_map(io, b, 4096, &iova_b) == 0 &&
	      vfio_dma_map(io, c, 4096, &iova_c) == 0 &&
	      iova_a < (1u << 28) && iova_b < (1u << 28) && iova_c < (1u << 28),
	      "three buffers DMA-mapped below edu's 28-bit DMA limit");
	CHECK(edu_dma(iova_a, EDU_BUF, false) == 0 && edu_dma(EDU_BUF, iova_b, true) == 0 &&
	      !memcmp(a, b, XFER),
	      "edu copied A -> its buffer -> B through the IOMMU");

	/* Revoke B, then have edu write to it: nothing may arrive. */
	CHECK(vfio_dma_unmap(io, iova_b, 4096) == 0, "B unmapped");
	memset(b, 0, 4096);
	CHECK(edu_dma(EDU_BUF, iova_b, true) == 0 && !memcmp(b, zero, 4096),
	      "edu's write to B's old IOVA did not reach B");
	CHECK(dmar_fault_logged(iova_b, since), "the kernel logged a DMAR fault for B's old IOVA");

	/* Revoke A, change it, have edu read it: its buffer keeps the old data. */
	CHECK(vfio_dma_unmap(io, iova_a, 4096) == 0, "A unmapped");
	memset(a, 0x5a, 4096);
	memset(c, 0, 4096);
	CHECK(edu_dma(iova_a, EDU_BUF, false) == 0 && edu_dma(EDU_BUF, iova_c, true) == 0 &&
	      !memchr(c, 0x5a, XFER),
	      "edu's read of A's old IOVA was blocked (A's new bytes never reached it)");
	printf("guest: info %s: edu's buffer after the blocked read starts %02x %02x %02x %02x\n",
	       flow, c[0], c[1], c[2], c[3]);
	CHECK(dmar_fault_logged(iova_a, since), "the kernel logged a DMAR fault for A's old IOVA");
	vfio_region_unmap(io, &bar);
out:
	if (dev >= 0)
		vfio_device_close(io, dev);
	free(a);
	free(b);
	free(c);
	free(zero);
}

int main(int argc, char **argv)
{
	struct vfio_iommu io;
	long tick = sysconf(_SC_CLK_TCK);
	clock_t faulted, now;

	flow = "dma";
	if (argc < 3) {
		CHECK(false, "edu found and bound to vfio-pci");
		goto out;
	}
	CHECK(vfio_iommu_open(&io, &vfio_sys_real, atoi(argv[1])) == 0,
	      "edu's group opened (container, type1v2)");
	if (io.sys) {
		edu_proofs(&io, argv[2]);
		vfio_iommu_close(&io);
	}

	/* The ratelimit counts jiffies, which times(2) returns (TCG guests'
	 * clocks and jiffies drift apart under load). */
	faulted = times(NULL);
	while ((now = times(NULL)) - faulted < 5 * tick + tick / 5)
		usleep(100000);
	flow = "dma iommufd";
	printf("guest: info %s: waited %ld ms for the kernel's DMAR fault ratelimit\n", flow,
	       (long)((now - faulted) * 1000 / tick));
	CHECK(vfio_iommufd_open(&io, &vfio_sys_real, argv[2]) == 0,
	      "edu's cdev bound to /dev/iommu, an IOAS attached");
	if (io.sys) {
		edu_proofs(&io, argv[2]);
		vfio_iommu_close(&io);
	}
out:
	printf("guest: %d passed, %d failed\n", passed, failed);
	return failed || !passed;
}
