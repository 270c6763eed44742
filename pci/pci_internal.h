/* SPDX-License-Identifier: MIT */
/* PCI discovery internals, reachable by the tests (tests/test_pci.c). */
#ifndef GTT_BACKENDS_PCI_INTERNAL_H
#define GTT_BACKENDS_PCI_INTERNAL_H

#include <gtt/pci.h>

/*
 * Fill @d's driver, iommu_group, vfio_ready and problem from sysfs and
 * /dev under @root ("" for the real system; the tests give a fake tree).
 * @d->slot must be set.
 */
void pci_check_vfio(const char *root, struct gtt_pci_device *d);

#endif
