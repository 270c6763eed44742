/* SPDX-License-Identifier: MIT */
/*
 * DOC: a fake VFIO kernel for tests/test_vfio.c, behind struct vfio_sys.
 *
 * It behaves like the kernel's type1v2 and iommufd where it matters: argsz
 * checks, the order of the container/group and cdev flows, the GET_INFO
 * size-then-retry protocol with a capability chain, EEXIST for
 * overlapping maps, EINVAL for an unmap that would split one (type1;
 * iommufd says ENOENT, after unmapping the whole ones before it), sparse
 * BAR mmaps, config space, the request IRQ.  The iommufd answers are the
 * ones Linux 6.12 gave in the QEMU guest (tests/guest/iommufd_in_guest.c
 * checks the same cases there): a cdev refuses device access until it is
 * bound, binds once, excludes the group (EBUSY both ways); the attach
 * writes back the id of the page table it made; a fresh IOAS allows every
 * IOVA at alignment 1, an attached one the device's ranges at 4 KiB.  It counts what it is asked
 * (mappings live, stores through the MMIO seam, closes) and can lie (enum
 * lie) or lose the device (fake_vanish()).  BAR0 is read-only to the code
 * under test: every store must go through mmio_write.
 *
 * Locking: ioctls are serialised by one lock, as the kernel serialises a
 * container's mappings; the rest is driven from one thread.
 */
#ifndef GTT_TESTS_SUPPORT_FAKE_VFIO_H
#define GTT_TESTS_SUPPORT_FAKE_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>

#include "backends/vfio/vfio_sys.h"
#include "backends/vfio/vfio_iommu.h"

#define CONTAINER 100
#define GROUP_FD 101
#define IOMMUFD_FD 103
/* The ids Linux gives, in order, to the bound device, the IOAS and the page
 * table the attach makes for it (one iommufd, nothing else in it). */
#define FAKE_DEVID 1
#define FAKE_IOAS 2
#define FAKE_HWPT 3

#if defined(VFIO_DEVICE_BIND_IOMMUFD) && __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#define HAVE_IOMMUFD 1
#endif

struct fake {
	int group;
	int api;
	bool type1v2, viable, caps, fail_map, bad_chain;
	bool caps_4aligned;	/* IOMMU info laid out as Linux 6.1 does: a
				 * 12-byte capability first, IOVA ranges at
				 * a 4- but not 8-byte aligned offset */
	uint64_t ranges[VFIO_MAX_RANGES + 1][2];
	int nranges;
	bool attached, iommu;
	struct { uint64_t iova, size; } map[256];
	int nmaps, map_calls, unmap_calls, closes;
	char log[32][24];
	int nlog;
	bool region_mmap;
	uint64_t bar0_hole[2], bar2_hole[2];	/* not mmappable: offset, size */
	int maps_live;
	uint8_t config[256];
	void *bar0;		/* what the backend sees: read-only */
	void *bar0_rw;		/* the same pages, writable: only mmio_write uses it */
	size_t bar0_len;
	int bar0_fd;
	/* Every store through the seam: count per width, misuse, and the last 16. */
	uint64_t stores[9];
	int bad_stores;
	struct { uint64_t off, value; unsigned int width; } last[16];
	uint64_t nstores;
	bool drop_writes;	/* BAR stores are lost */
	bool gone;		/* the device vanished: config fails too */
	/* iommufd: a cdev and /dev/iommu exist; someone else has the group
	 * open (the bind gets EBUSY); state: which of the cdev and the group
	 * are open here, bound, IOAS allocated, attached. */
	bool has_cdev, has_iommufd, bind_busy;
	bool cdev_open, group_open, bound, ioas_alloced, ioas_attached;
	int req_fd;		/* the request eventfd the backend registered */
	uint64_t preset[16];	/* BAR0 + 8 MiB starts with these entries, and */
	uint64_t preset_last;	/* its last entry holds this (a driver's leftovers) */
	int lie;		/* enum lie: how GET_INFO / GET_REGION_INFO lie */
};

/* Lying kernel answers (issue #9 item 8). */
enum lie {
	LIE_NONE,
	LIE_INFO_ARGSZ,		/* IOMMU info: argsz grows, a cap past our buffer */
	LIE_INFO_SHORT,		/* IOMMU info: argsz 4, a cap past our buffer */
	LIE_INFO_NR,		/* IOMMU info: 100000 IOVA ranges, argsz to match */
	LIE_INFO_LOOP,		/* IOMMU info: the capability is its own next */
	LIE_INFO_MISALIGNED,	/* IOMMU info: cap_offset not 4-byte aligned */
	LIE_REGION_ARGSZ,	/* region info: argsz grows, a cap past our buffer */
	LIE_REGION_SHORT,	/* region info: argsz 0 with a cap far away */
	LIE_REGION_NR,		/* region info: 100000 sparse areas, argsz to match */
	LIE_REGION_LOOP,	/* region info: the capability is its own next */
	LIE_REGION_OFFSET,	/* region info: offset + size wraps around */
};

/* The store @back places before the latest (0 = the latest). */
#define LAST(f, back) ((f)->last[((f)->nstores - 1 - (back)) % 16])

/* A group-7 fake with two usable IOVA ranges, type1v2, viable, with caps. */
struct fake fake_good(void);
/* The system calls of @f. */
struct vfio_sys fake_sys(struct fake *f);
/* PCI config space of a fake GPU: vendor, device, GGC at 0x50. */
void fake_gpu(struct fake *f, uint16_t vendor, uint16_t device, uint16_t ggc);
/* The device vanishes: BAR0 reads all ones, config space fails, stores drop. */
void fake_vanish(struct fake *f);

#endif
