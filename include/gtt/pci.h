/* SPDX-License-Identifier: MIT */
/**
 * DOC: PCI discovery
 *
 * Find the devices the VFIO backend could drive and say what stands in
 * the way: gtt_pci_list() enumerates PCI devices with libpciaccess (Intel
 * display devices by default: vendor 0x8086, class 0x03xxxx), names the
 * platform from the device ID, and reads from sysfs the bound driver and
 * the IOMMU group.  A device is ready for gtt_vfio_create() when it is
 * bound to vfio-pci, every other device of its group is bound to vfio-pci,
 * to a driver the kernel lets share a group (pcieport, pci-stub) or to no
 * driver, and /dev/vfio/GROUP can be opened read-write; otherwise @problem
 * says what is wrong and the commands that fix it.
 *
 * Thread safety: the calls serialise among themselves.  libpciaccess keeps
 * one global state that these calls initialise and clean up: do not call
 * them while the program itself uses libpciaccess.  Built without
 * libpciaccess, they return -EOPNOTSUPP.
 */
#ifndef GTT_PCI_H
#define GTT_PCI_H

#include <stddef.h>
#include <stdint.h>

#include <gtt/common.h>
#include <gtt/intel.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct gtt_pci_match - Which devices gtt_pci_list() returns.
 * @vendor_id: PCI vendor ID, or %GTT_PCI_ANY.
 * @device_id: PCI device ID, or %GTT_PCI_ANY.
 * @class_code: 24-bit class code to match under @class_mask.
 * @class_mask: bits of @class_code that must match (0: any class).
 * @reserved: zero (see common.h).
 */
struct gtt_pci_match {
	uint32_t vendor_id;
	uint32_t device_id;
	uint32_t class_code;
	uint32_t class_mask;
	uint64_t reserved[2];
};

/** Matches any vendor or device ID in &struct gtt_pci_match. */
#define GTT_PCI_ANY 0xffffffffu

/**
 * struct gtt_pci_device - One device, and whether VFIO can have it.
 * @slot: "DDDD:BB:DD.F", the name gtt_vfio_config.bdf takes.
 * @vendor_id: PCI vendor ID.
 * @device_id: PCI device ID.
 * @class_code: 24-bit class code (0x030000 for VGA).
 * @revision: PCI revision ID.
 * @platform: the Intel platform for this device ID, or NULL.
 * @label: sub-platform label ("RPL-S"...), or NULL.
 * @bar_size: size of BARs 0-5 in bytes (0: not present or not probed).
 * @ggc: the GGC register (config 0x50) of an Intel display device, for
 *	gtt_intel_ggtt_size(); valid when @ggc_read (reading config space past
 *	64 bytes needs root).
 * @ggc_read: @ggc was read.
 * @driver: bound kernel driver ("i915", "vfio-pci"...), or "" if none.
 * @iommu_group: IOMMU group number, or -1 without one (no IOMMU).
 * @vfio_cdev: the device's VFIO cdev ("vfio3", under /dev/vfio/devices/)
 *	when the kernel has them (Linux 6.6+ with VFIO_DEVICE_CDEV), for
 *	gtt_vfio_config.iommufd; "" otherwise.
 * @vfio_ready: gtt_vfio_create() can open it (see the DOC section).
 * @problem: when not ready: what is wrong and the commands that fix it.
 * @reserved: zero.
 */
struct gtt_pci_device {
	char slot[16];
	uint16_t vendor_id;
	uint16_t device_id;
	uint32_t class_code;
	uint8_t revision;
	const struct gtt_intel_platform *platform;
	const char *label;
	uint64_t bar_size[6];
	uint16_t ggc;
	bool ggc_read;
	char driver[32];
	int iommu_group;
	char vfio_cdev[16];
	bool vfio_ready;
	char problem[384];
	uint64_t reserved[4];
};

/**
 * gtt_pci_list() - Enumerate PCI devices and check them for VFIO.
 * @match: which devices; NULL for Intel display devices.
 * @out: array of @max entries (may be NULL when @max is 0).
 * @max: room in @out.
 * @count: receives how many devices matched (may exceed @max: only the
 *	first @max are written).
 *
 * Return: 0; -ENODEV when the PCI bus cannot be read (no /sys/bus/pci);
 * -EINVAL; -EOPNOTSUPP without libpciaccess.
 */
GTT_API int gtt_pci_list(const struct gtt_pci_match *match,
			 struct gtt_pci_device *out, size_t max, size_t *count);

/**
 * gtt_pci_inspect() - One device by slot.
 * @slot: "DDDD:BB:DD.F" (or "BB:DD.F" for domain 0).
 * @out: receives the device.
 *
 * Return: 0; -ENOENT (no such device); -EINVAL; -ENODEV; -EOPNOTSUPP.
 */
GTT_API int gtt_pci_inspect(const char *slot, struct gtt_pci_device *out);

#ifdef __cplusplus
}
#endif
#endif
