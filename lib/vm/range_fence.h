/* SPDX-License-Identifier: MIT */
/*
 * Range fences: address ranges that a new user must order after, each
 * with the fence that says when its range is free (the role of xe's
 * xe_range_fence).  The vm keeps one tree of them: its pending unbinds.
 *
 * Locking.  Insertion, draining and the locked queries are serialised by
 * the owner's lock (the vm lock), which also brackets insertion and
 * draining for lock-free readers (tree_write_begin/end).  A range fence
 * retires itself when its fence signals, from whatever thread signals it:
 * a fence callback pushes it on the tree's lock-free `retired` stack, and
 * the next writer takes it out of the tree (range_fence_drain()), so the
 * signalling thread never waits for the lock.  range_fence_count_rcu()
 * runs without the lock.
 *
 * A range fence is embedded in its user's structure; the tree holds one
 * reference on it from insertion until range_fence_drain() calls the
 * tree's release function.
 */
#ifndef GTT_LIB_VM_RANGE_FENCE_H
#define GTT_LIB_VM_RANGE_FENCE_H

#include <gtt/fence.h>

#include "base/interval_tree.h"
#include "base/lfstack.h"

struct range_fence_tree;

struct range_fence {
	struct itree_node node;		/* [start, last] */
	struct gtt_fence *fence;	/* the range is free once it signals */
	struct gtt_fence_cb cb;		/* retires it on signal */
	struct range_fence_tree *tree;
	struct lfstack_node retire;	/* on tree->retired once signalled */
};

struct range_fence_tree {
	struct itree tree;
	uint64_t count;			/* range fences in the tree */
	lfstack_t retired;		/* signalled, waiting to leave it */
	/* Drops the tree's reference on a range fence leaving it. */
	void (*release)(struct range_fence *rf);
};

void range_fence_tree_init(struct range_fence_tree *t,
			   void (*release)(struct range_fence *rf));

/* Add @rf for [start, last], free once @fence signals (a fence that has
 * already signalled retires at once).  Lock held. */
void range_fence_insert(struct range_fence_tree *t, struct range_fence *rf,
			uint64_t start, uint64_t last, struct gtt_fence *fence);

/* Whether signalled range fences wait to leave the tree (lock-free). */
static inline bool range_fence_has_retired(struct range_fence_tree *t)
{
	return !lfstack_empty(&t->retired);
}

/* Take the signalled range fences out of the tree.  Lock held, inside the
 * writer's bracket for lock-free readers. */
void range_fence_drain(struct range_fence_tree *t);

static inline bool range_fence_signalled(const struct range_fence *rf)
{
	return gtt_fence_is_signaled(rf->fence);
}

/* Overlap queries over [lo, hi] (lock held).  first/next visit every
 * range fence there, signalled or not, in start order. */
struct range_fence *range_fence_first(struct range_fence_tree *t,
				      uint64_t lo, uint64_t hi);
struct range_fence *range_fence_next(struct range_fence *rf, uint64_t lo,
				     uint64_t hi);
/* The first one there whose fence has not signalled, or NULL. */
struct range_fence *range_fence_first_unsignalled(struct range_fence_tree *t,
						  uint64_t lo, uint64_t hi);
/* How many there are: all of them (an upper bound on what a new user
 * will wait for), or only the unsignalled ones. */
unsigned int range_fence_count(struct range_fence_tree *t, uint64_t lo,
			       uint64_t hi);
unsigned int range_fence_count_unsignalled(struct range_fence_tree *t,
					   uint64_t lo, uint64_t hi);

/* Lock-free count of the unsignalled ones (inside an RCU read section and
 * the owner's seqcount read section).  Return: the count, -1 if torn. */
long range_fence_count_unsignalled_rcu(struct range_fence_tree *t,
				       uint64_t lo, uint64_t hi);

#endif
