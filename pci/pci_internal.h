/* SPDX-License-Identifier: MIT */
/* PCI discovery internals, reachable by the tests (tests/test_pci.c). */
#ifndef GTT_BACKENDS_PCI_INTERNAL_H
#define GTT_BACKENDS_PCI_INTERNAL_H

#include <gtt/pci.h>

/*
 * Fill @d's driver, iommu_group, vfio_ready and problem from sysfs and
 * /dev under @root ("" for the real system; the tests give a fake tree).
 * @d->slot must be set.  Without an IOMMU group the advice depends on
 * whether this is a virtual machine: @root/sys/class/dmi/id/sys_vendor
 * and product_name name the hypervisor, the "hypervisor" flag of
 * @root/proc/cpuinfo says there is one.
 */
void pci_check_vfio(const char *root, struct gtt_pci_device *d);

#endif
