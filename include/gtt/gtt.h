/* SPDX-License-Identifier: MIT */
/**
 * DOC: libgtt
 *
 * Umbrella header: include this to get the whole public API.
 * See README.md for a tour and docs/ for the guides.
 */
#ifndef GTT_GTT_H
#define GTT_GTT_H

#include <gtt/common.h>
#include <gtt/fence.h>
#include <gtt/executor.h>
#include <gtt/await.h>
#include <gtt/resv.h>
#include <gtt/pages.h>
#include <gtt/range_alloc.h>
#include <gtt/backend.h>
#include <gtt/vm.h>
#include <gtt/map.h>
#include <gtt/trace.h>
#include <gtt/journal.h>
#include <gtt/mock.h>
#include <gtt/intel.h>
#include <gtt/sim.h>
#include <gtt/sync.h>
#include <gtt/vfio.h>
#include <gtt/xe.h>
#include <gtt/pci.h>

#endif
