/* SPDX-License-Identifier: MIT */
/*
 * Range fences; see range_fence.h for what they are and their locking.
 *
 * The tree only ever shrinks under the owner's lock: a signalled range
 * fence stays in it (queries skip or count it as they ask) until the next
 * writer drains the retired stack.  Each drain is one exchange of the
 * stack's top, so a push racing a drain lands on the next drain.
 */
#include "range_fence.h"
#include "base/seqcount.h"
#include "base/util.h"

#define to_rf(n) container_of(n, struct range_fence, node)

void range_fence_tree_init(struct range_fence_tree *t,
			   void (*release)(struct range_fence *rf))
{
	itree_init(&t->tree);
	t->count = 0;
	atomic_init(&t->retired, NULL);
	t->release = release;
}

/* The fence's callback: runs once, in the signalling thread. */
static void retire_on_signal(struct gtt_fence *fence, struct gtt_fence_cb *cb)
{
	struct range_fence *rf = container_of(cb, struct range_fence, cb);

	(void)fence;
	lfstack_push(&rf->tree->retired, &rf->retire);
}

void range_fence_insert(struct range_fence_tree *t, struct range_fence *rf,
			uint64_t start, uint64_t last, struct gtt_fence *fence)
{
	rf->node.start = start;
	rf->node.last = last;
	rf->fence = fence;
	rf->tree = t;
	itree_insert(&t->tree, &rf->node);
	t->count++;
	if (gtt_fence_add_callback(fence, &rf->cb, retire_on_signal))
		lfstack_push(&t->retired, &rf->retire);	/* signalled already */
}

void range_fence_drain(struct range_fence_tree *t)
{
	struct lfstack_node *n, *next;

	for (n = lfstack_take_all(&t->retired); n; n = next) {
		struct range_fence *rf = container_of(n, struct range_fence, retire);

		next = n->next;
		itree_remove(&t->tree, &rf->node);
		t->count--;
		t->release(rf);
	}
}

struct range_fence *range_fence_first(struct range_fence_tree *t,
				      uint64_t lo, uint64_t hi)
{
	struct itree_node *n = itree_first(&t->tree, lo, hi);

	return n ? to_rf(n) : NULL;
}

struct range_fence *range_fence_next(struct range_fence *rf, uint64_t lo,
				     uint64_t hi)
{
	struct itree_node *n = itree_next(&rf->node, lo, hi);

	return n ? to_rf(n) : NULL;
}

struct range_fence *range_fence_first_unsignalled(struct range_fence_tree *t,
						  uint64_t lo, uint64_t hi)
{
	struct range_fence *rf;

	for (rf = range_fence_first(t, lo, hi); rf; rf = range_fence_next(rf, lo, hi))
		if (!range_fence_signalled(rf))
			return rf;
	return NULL;
}

static unsigned int count(struct range_fence_tree *t, uint64_t lo,
			  uint64_t hi, bool unsignalled_only)
{
	unsigned int n = 0;

	for (struct range_fence *rf = range_fence_first(t, lo, hi); rf;
	     rf = range_fence_next(rf, lo, hi))
		n += !unsignalled_only || !range_fence_signalled(rf);
	return n;
}

unsigned int range_fence_count(struct range_fence_tree *t, uint64_t lo,
			       uint64_t hi)
{
	return count(t, lo, hi, false);
}

unsigned int range_fence_count_unsignalled(struct range_fence_tree *t,
					   uint64_t lo, uint64_t hi)
{
	return count(t, lo, hi, true);
}

/* Safe without the lock: the fence pointer is set before the node is
 * published, and the embedding structure outlives readers (RCU). */
static bool unsignalled(const struct itree_node *n, void *arg)
{
	(void)arg;
	return !gtt_fence_is_signaled(LOAD_ACQ(to_rf(n)->fence));
}

long range_fence_count_unsignalled_rcu(struct range_fence_tree *t,
				       uint64_t lo, uint64_t hi)
{
	return itree_count_rcu(&t->tree, lo, hi, unsignalled, NULL);
}
