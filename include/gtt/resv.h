/* SPDX-License-Identifier: MIT */
/**
 * DOC: reservation objects
 *
 * A gtt_resv holds the fences of one buffer object, each tagged with a usage
 * class.  The classes are ordered; asking for a class includes every class
 * before it:
 *
 * - %GTT_RESV_KERNEL: memory management (moves, clears); everyone waits.
 * - %GTT_RESV_WRITE: implicit-sync writers.
 * - %GTT_RESV_READ: implicit-sync readers.
 * - %GTT_RESV_BOOKKEEP: everything else, e.g. the unbind fences that libgtt
 *   adds; only the owner of the memory waits before reusing it.
 *
 * So a query for %GTT_RESV_READ sees KERNEL, WRITE and READ fences.
 *
 * Adding a fence replaces an older fence of the same context whose usage is
 * the same or weaker, and reuses slots whose fence already signalled, so a
 * resv stays small on a busy timeline.
 *
 * Reservations: gtt_resv_reserve(resv, n) makes room for n fences, which
 * the next n gtt_resv_add() calls use without allocating (the way a kernel
 * driver reserves fence slots before it commits).  The library keeps its
 * own adds (the unbind fences of a vma created with a resv) in a separate
 * pool that no application's gtt_resv_add() can take, so a resv shared by
 * several owners (an application and two vms binding one buffer) keeps
 * every promise and the library's adds cannot fail once an unbind started.
 * gtt_resv_add() without a reservation replaces in place, or grows the
 * array, or fails with -ENOMEM leaving the resv as it was.  An add consumes
 * a reservation also when its fence replaces another in place.
 * A resv holds at most %GTT_RESV_MAX_FENCES fences and reservations.
 *
 * Thread safety: all functions are thread-safe; a resv has its own lock.
 */
#ifndef GTT_RESV_H
#define GTT_RESV_H

#include <gtt/common.h>
#include <gtt/fence.h>

#ifdef __cplusplus
extern "C" {
#endif

/** enum gtt_resv_usage - Usage classes, strongest first. */
enum gtt_resv_usage {
	GTT_RESV_KERNEL = 0,
	GTT_RESV_WRITE = 1,
	GTT_RESV_READ = 2,
	GTT_RESV_BOOKKEEP = 3,
};

struct gtt_resv;

/** Most fences (used plus reserved slots) one resv holds. */
#define GTT_RESV_MAX_FENCES 65536u

/** gtt_resv_create() - New empty reservation object.  Return: 0, -EINVAL, -ENOMEM. */
GTT_API int gtt_resv_create(struct gtt_resv **out);

/** gtt_resv_destroy() - Drop every fence and free @resv; NULL is ignored. */
GTT_API void gtt_resv_destroy(struct gtt_resv *resv);

/**
 * gtt_resv_reserve() - Set @n slots aside for the caller.
 * @resv: the reservation object.
 * @n: how many; at most %GTT_RESV_MAX_FENCES.
 *
 * Each later gtt_resv_add() consumes one reservation and needs no memory
 * (reservations are not tied to a thread: any gtt_resv_add() on @resv uses
 * one while some are outstanding).  The library's own adds never use them.
 *
 * Return: 0; -EINVAL for NULL or @n above %GTT_RESV_MAX_FENCES; -ENOMEM
 * when memory ran out or the used and reserved slots would exceed
 * %GTT_RESV_MAX_FENCES (nothing is reserved then).
 */
GTT_API int gtt_resv_reserve(struct gtt_resv *resv, unsigned int n);

/**
 * gtt_resv_add() - Track @fence with @usage (takes its own reference).
 *
 * While gtt_resv_reserve() reservations are outstanding it consumes one
 * and needs no memory (also when @fence replaces another in place).
 * Without one it replaces a fence in place, takes a free slot beyond the
 * reservations, or grows the array.  It never takes a slot the library
 * reserved for its own adds.
 *
 * Return: 0, -EINVAL (NULL or bad usage), -ENOMEM (out of memory or
 * %GTT_RESV_MAX_FENCES reached; the resv is unchanged).
 */
GTT_API int gtt_resv_add(struct gtt_resv *resv, struct gtt_fence *fence,
			 enum gtt_resv_usage usage);

/**
 * typedef gtt_resv_visit_fn - Visitor for gtt_resv_for_each().
 *
 * Return non-zero to stop the iteration; that value is returned.
 */
typedef int (*gtt_resv_visit_fn)(void *arg, struct gtt_fence *fence,
				 enum gtt_resv_usage usage);

/**
 * gtt_resv_for_each() - Visit the unsignalled fences of class @usage or
 * stronger.
 *
 * The visitor runs without the resv lock held, on a snapshot, so it may
 * call back into the resv.
 *
 * Return: 0, the visitor's non-zero value, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_resv_for_each(struct gtt_resv *resv,
			      enum gtt_resv_usage usage,
			      gtt_resv_visit_fn fn, void *arg);

/**
 * gtt_resv_count() - Fences of class @usage or stronger not yet signalled.
 */
GTT_API size_t gtt_resv_count(struct gtt_resv *resv, enum gtt_resv_usage usage);

/**
 * gtt_resv_wait() - Wait for every fence of class @usage or stronger.
 * @timeout_ns: overall limit; negative waits forever.
 *
 * Return: 0, -ETIME, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_resv_wait(struct gtt_resv *resv, enum gtt_resv_usage usage,
			  int64_t timeout_ns);

/**
 * gtt_resv_merged() - One fence for everything of class @usage or stronger.
 * @out: receives a fence (one reference): see gtt_fence_merge().
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
GTT_API int gtt_resv_merged(struct gtt_resv *resv, enum gtt_resv_usage usage,
			    struct gtt_fence **out);

/**
 * gtt_resv_prune() - Drop every signalled fence.
 *
 * Return: how many were dropped.
 */
GTT_API size_t gtt_resv_prune(struct gtt_resv *resv);

#ifdef __cplusplus
}
#endif
#endif
