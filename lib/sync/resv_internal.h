/* SPDX-License-Identifier: MIT */
/*
 * Reservation-object internals for the library's own users (lib/vm/):
 * reserving a slot, adding into it, and handing back reservations that were
 * not used.  See the contract in gtt/resv.h.
 */
#ifndef GTT_LIB_RESV_INTERNAL_H
#define GTT_LIB_RESV_INTERNAL_H

#include <gtt/resv.h>

/*
 * Set one slot aside for the library's next resv_add_reserved(): a pool of
 * its own, which no gtt_resv_add() of an application can take.
 * Return: 0, -ENOMEM (nothing reserved).
 */
int resv_reserve(struct gtt_resv *resv);
/*
 * Track @fence with @usage in one of the slots reserved with
 * resv_reserve(), consuming that reservation (also when the fence
 * replaces one of its context in place).  Cannot fail; calling it without
 * a reservation of one's own is a bug in the caller.
 */
void resv_add_reserved(struct gtt_resv *resv, struct gtt_fence *fence,
		       enum gtt_resv_usage usage);

/* Return @n reservations the caller will not use (at most all of them). */
void resv_unreserve(struct gtt_resv *resv, unsigned int n);

#endif
