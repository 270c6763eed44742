/* SPDX-License-Identifier: MIT */
/*
 * The ordered eviction scan's calls for the vm (lib/vm/evict.c), beside
 * the public ones in gtt/range_alloc.h (struct gtt_range_scan).
 */
#ifndef GTT_LIB_RANGE_SCAN_H
#define GTT_LIB_RANGE_SCAN_H

#include <gtt/range_alloc.h>

/*
 * gtt_range_scan_add() for a caller that skips repeated candidates: the
 * same, but -EEXIST (@node added already) sets no error message.
 */
int range_scan_add(struct gtt_range_scan *scan, struct gtt_range_node *node);

/*
 * Once a hole opened: how many victims (the fewest of the run that opened
 * it), the lowest in *@first, the others the nodes after it.  0 (and
 * *@first NULL) if no hole has opened.
 */
size_t range_scan_pick(struct gtt_range_scan *scan, struct gtt_range_node **first);

#endif
