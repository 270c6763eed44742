/* SPDX-License-Identifier: MIT */
/*
 * Reservation-object internals for the library's own users (lib/vm/):
 * adding into a slot reserved with gtt_resv_reserve(), and handing back
 * reservations that were not used.  See the contract in gtt/resv.h.
 */
#ifndef GTT_LIB_RESV_INTERNAL_H
#define GTT_LIB_RESV_INTERNAL_H

#include <gtt/resv.h>

/*
 * Track @fence with @usage in one of the slots the caller reserved with
 * gtt_resv_reserve(), consuming that reservation (also when the fence
 * replaces one of its context in place).  Cannot fail; calling it without
 * a reservation of one's own is a bug in the caller.
 */
void resv_add_reserved(struct gtt_resv *resv, struct gtt_fence *fence,
		       enum gtt_resv_usage usage);

/* Return @n reservations the caller will not use (at most all of them). */
void resv_unreserve(struct gtt_resv *resv, unsigned int n);

#endif
