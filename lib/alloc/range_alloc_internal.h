/* SPDX-License-Identifier: MIT */
/*
 * Range allocator internals, shared with the vm (which reads node fields
 * directly on hot paths) and the tests (which check the invariants).
 */
#ifndef GTT_LIB_RANGE_ALLOC_INTERNAL_H
#define GTT_LIB_RANGE_ALLOC_INTERNAL_H

#include <gtt/range_alloc.h>

#include "base/rbtree.h"
#include "base/seqcount.h"	/* LOAD_ACQ, for range_lookup_rcu() */

/*
 * The fields are ordered for the hot walks: the size tree's descent reads
 * by_size with hole and start, the hole tree's retrace hole_addr with
 * max_hole, so each sits within a few dozen bytes.
 */
struct gtt_range_node {
	/* nodes with a hole, by (hole, start), augmented with max_align */
	struct rb_node by_size;
	uint64_t hole;			/* free bytes right after this node */
	uint64_t start;
	struct rb_node hole_addr;	/* nodes with a hole, by start */
	uint64_t max_hole;		/* largest hole in the hole_addr subtree */
	uint64_t size;
	struct rb_node by_addr;		/* every node and the head, by start */
	struct gtt_range_node *prev;	/* address order, circular via head */
	struct gtt_range_node *next;
	/* GTT_COLOR_NONE for the head and fillers only: insert and reserve
	 * refuse it, and range_scan.c tells them apart by it. */
	uint32_t color;
	/* The marking scan's base + index of this node (range_scan.c);
	 * any value when no scan holds it: never trusted without a check. */
	uint32_t scan_slot;
	bool has_hole;			/* in hole_addr and by_size */
	bool embedded;			/* in caller storage: never freed here */
	bool filler;			/* space not added yet (GTT_RANGE_ALLOC_EMPTY) */
	/* Largest log2 alignment of an address in [hole start, hole end - 1]
	 * over the by_size subtree: no node aligned more can start in it. */
	uint8_t max_align;
	/* hole_align() of this node's own hole, kept while it is in by_size
	 * (the augmentation reads it at every step; it sits in padding). */
	uint8_t own_align;
	void *owner;
	struct gtt_range_alloc *ra;
};

struct gtt_range_alloc {
	/* Zero-sized sentinel at start; its hole is the space before node 1. */
	struct gtt_range_node head;
	struct rb_tree by_addr;
	struct rb_tree hole_addr;	/* red-black: they change the most */
	struct rb_tree by_size;
	uint64_t start;
	uint64_t last;			/* inclusive: the space may end at 2^64 */
	uint64_t page_size;
	unsigned int flags;
	gtt_color_adjust_fn adjust;
	void *adjust_arg;
	uint64_t nodes;
	uint64_t used;
	uint64_t holes;
	uint64_t unadded;		/* bytes in fillers */
	/* The open scan that marks nodes (scan_slot), NULL if none; only
	 * compared, never followed (range_scan.c). */
	const void *marking_scan;
	/* The first slot the next marking scan may give (range_scan.c). */
	uint32_t scan_base;
	unsigned int nospan_shift;	/* 0: none */
	/* Nodes linked and unlinked: an open scan (range_scan.c) refuses
	 * once this moves. */
	uint64_t changes;
};

/*
 * Preallocated nodes, so a caller (the vm's eviction) can allocate all it
 * needs before it changes anything.  range_node_alloc() returns a node for
 * one range_insert_node() or range_reserve_node() (NULL on ENOMEM, with the
 * error set).  Those two are gtt_range_insert() and gtt_range_reserve()
 * taking that node instead of allocating one: they never fail with
 * -ENOMEM, and on failure leave the node untouched for another try.  Once
 * inserted, the node belongs to the allocator (gtt_range_remove() frees it);
 * one never inserted goes back through range_node_free_unused() (NULL ok).
 * Their -ENOSPC is an expected outcome for the vm's placement loop and
 * carries a constant message (set_error_static()).
 */
struct gtt_range_node *range_node_alloc(void);
void range_node_free_unused(struct gtt_range_node *node);
int range_insert_node(struct gtt_range_alloc *ra,
		      const struct gtt_range_request *req, void *owner,
		      struct gtt_range_node *node);
int range_reserve_node(struct gtt_range_alloc *ra, uint64_t start,
		       uint64_t size, uint32_t color, void *owner,
		       struct gtt_range_node *node);

/* gtt_range_evict_scan() for the vm's eviction: the same, but -ENOSPC
 * carries a constant message. */
int range_evict_scan(struct gtt_range_alloc *ra,
		     const struct gtt_range_request *req,
		     gtt_evictable_fn evictable, void *arg,
		     struct gtt_range_node **victims, size_t max_victims,
		     size_t *count);

/* A request, checked and with the allocator's bounds applied. */
struct fit_req {
	uint64_t size;
	uint64_t align;
	uint32_t color;
	uint64_t lo, last;	/* allowed [lo, last] */
	enum gtt_placement placement;
	unsigned int nospan;	/* 0, or no placement crosses a 2^nospan boundary */
	gtt_range_avoid_fn avoid;	/* NULL: every placement as good */
	void *avoid_arg;
};

/*
 * For eviction scans that take candidates in the caller's order
 * (range_scan.c, drm_mm-scan style; the vm's LRU and roster orders):
 * range_fit_req() checks @req (0 or -EINVAL; the avoid callback is
 * dropped); range_fits() says whether
 * it fits already (O(log n)); range_span_fits() whether it would fit once
 * every node strictly between @before and @after (either may be the head)
 * were removed, under the colour rule, the alignment, the range and
 * nospan (O(1)); range_scan_run() chooses in the run of nodes @first ..
 * @last (adjacent, the caller's candidates, whose removal opens a hole)
 * the fewest adjacent ones that open it, as gtt_range_evict_scan() does,
 * and returns how many, the lowest in *@victim (about linear in the run).
 */
int range_fit_req(struct gtt_range_alloc *ra, const struct gtt_range_request *req,
		  struct fit_req *r);
/* range_fit_req() with @who naming the public call in its messages. */
int range_fit_req_as(struct gtt_range_alloc *ra, const struct gtt_range_request *req,
		     struct fit_req *r, const char *who);
bool range_fits(struct gtt_range_alloc *ra, const struct fit_req *r);
bool range_span_fits(const struct gtt_range_alloc *ra, const struct fit_req *r,
		     const struct gtt_range_node *before,
		     const struct gtt_range_node *after);
size_t range_scan_run(const struct gtt_range_alloc *ra, const struct fit_req *r,
		      struct gtt_range_node *first, struct gtt_range_node *last,
		      struct gtt_range_node **victim);

/* The node containing @addr, or else the first node above it; NULL if none. */
struct gtt_range_node *range_node_from(struct gtt_range_alloc *ra,
				       uint64_t addr);

/*
 * Lock-free "which node holds @addr" for RCU readers (a vm with
 * GTT_VM_RCU_READERS), run inside an RCU read section and the caller's
 * seqcount read section, which validates the answer.  Follows child links
 * only, with a bound on the steps.  Return: 1 and the node's owner and
 * start, 0 if no owned node holds @addr, -1 if a writer tore the walk.
 */
int range_lookup_rcu(struct gtt_range_alloc *ra, uint64_t addr, void **owner,
		     uint64_t *start);

/* Check every invariant (trees, list, holes, augmentation).  0 if sound. */
int range_alloc_check(struct gtt_range_alloc *ra);

#endif
